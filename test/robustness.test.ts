// Bad input never crashes the checker: random mutations of real fixtures (a value replaced by
// another JSON value, a field removed, a step dropped or duplicated) give exit 0, 1 or 2 with
// report lines, never an internal error (exit 3) or a stack trace.
import { describe, it, expect, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../conformance/cli.js';
import { collectTraceFiles } from '../conformance/files.js';

const FIXTURES = collectTraceFiles(['traces/paper']).files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
const dir = mkdtempSync(join(tmpdir(), 'raftspec-robust-'));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside a JSON document. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function mutate(doc: unknown, path: Array<string | number>, how: 'replace' | 'remove' | 'duplicate', value: Json): unknown {
  const copy = structuredClone(doc);
  if (path.length === 0) return how === 'replace' ? value : copy;
  let parent: unknown = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
  const last = path[path.length - 1] as string | number;
  const p = parent as Record<string | number, unknown> & unknown[];
  if (how === 'replace') p[last] = value;
  else if (Array.isArray(p) && typeof last === 'number') {
    if (how === 'remove') p.splice(last, 1);
    else p.splice(last, 0, structuredClone(p[last]));
  } else if (how === 'remove') delete p[last];
  return copy;
}

afterEach(() => vi.restoreAllMocks());

describe('random mutations of the paper fixtures', () => {
  it('never crash validate or check: exit 0, 1 or 2, and no stack trace', () => {
    let n = 0;
    const codes = new Map<number, number>();
    fc.assert(fc.property(
      fc.nat(FIXTURES.length - 1), fc.nat(), fc.constantFrom('replace' as const, 'remove' as const, 'duplicate' as const),
      fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, fc.constantFrom('validate', 'check'),
      (which, at, how, value, command) => {
        const doc = FIXTURES[which];
        const all = paths(doc);
        const file = join(dir, `m${++n}.json`);
        writeFileSync(file, JSON.stringify(mutate(doc, all[at % all.length] as Array<string | number>, how, value)));
        const lines: string[] = [];
        vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
        const code = main([command, file], (l) => lines.push(l));
        vi.restoreAllMocks();
        codes.set(code, (codes.get(code) ?? 0) + 1);
        expect([0, 1, 2]).toContain(code);
        expect(lines.join('\n')).not.toMatch(/\n\s+at |internal error/);
        if (code === 2) expect(lines.some((l) => l.startsWith(`BAD  ${file}: /`))).toBe(true);
      },
    ), { numRuns: 400, seed: 21 });
    // The mutations reach all three outcomes: some still hold, some fail, most are bad input.
    expect([...codes.keys()].sort()).toEqual([0, 1, 2]);
  });
});
