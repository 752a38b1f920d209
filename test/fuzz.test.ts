// Hostile inputs for validate and check (scripts/fuzz.ts): mutated bundled traces (fields deleted,
// replaced, duplicated or renamed at random JSON paths; extreme numbers such as 2^31, 2^53, 1e308,
// 1e309 and -0; huge strings; deep nesting; keys such as __proto__ and constructor), bad
// serializations (a BOM, UTF-16, truncation at a random byte, a flipped byte, garbage after the end),
// random bytes, odd files (empty, a folder named x.json, a symlink loop, a broken symlink, a FIFO,
// /dev/null), and traces with their servers renamed to __proto__, x-1, ... (which must get the
// verdict of the trace as written, or be refused as bad input).
//
// For each: an exit code of 0, 1 or 2 (or 4, UNDECIDED, for validate), never 3; one answer line
// naming the file (a BAD line with its JSON pointer and no continuation line, no control
// characters); no stack trace and no internal error; an answer within 5 s. `main` runs in-process in
// worker processes with a watchdog (a hang or a V8 crash is noted against the input); a sample goes
// through the real command, bin/raftspec.mjs, spawned.
//
// The long campaign: npx tsx scripts/fuzz.ts --runs 10000 [--seed N].
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, finalLine, fuzz, judge, loadFixtures, materialize, recipeArb, type Recipe } from '../scripts/fuzz.js';

const SEED = 2026;
const RUNS = 300;
const TIME_BOUND_MS = 5000;

describe('fuzz: hostile inputs to validate and check', () => {
  it(`${RUNS} inputs (seed ${SEED}) in-process: exit 0, 1, 2 (4 for validate), one line naming the file, no crash, each within ${TIME_BOUND_MS / 1000} s`, async () => {
    const s = await fuzz({ runs: RUNS, seed: SEED, timeoutMs: TIME_BOUND_MS, workers: 2 });
    const report = s.findings.map((f) => `${f.verdict.kind} input ${f.id} (${f.command}): ${f.verdict.why}\n    ${f.desc}`).join('\n');
    expect(s.findings.map((f) => `${f.verdict.kind} ${f.id} ${f.command}`), `${report}\n${finalLine(s)}; ${s.unclear} unclear reports`).toEqual([]);
  }, 240_000);

  it('a sample through the real command (bin/raftspec.mjs, spawned): the same, as a fast-check property', () => {
    const fixtures = loadFixtures();
    const dir = mkdtempSync(join(tmpdir(), 'raftspec-fuzz-spawn-'));
    let id = 0;
    let spawned = 0;
    // The hostile kinds first (a FIFO, a symlink loop, deep nesting, 1e309 with a BOM), as examples, then what fast-check draws.
    const pinned: Recipe[] = [
      { kind: 'odd', what: 'fifo' },
      { kind: 'odd', what: 'loop' },
      { kind: 'mutate', fixture: 0, ops: [{ op: 'replace', at: 7, value: { k: 'deep', n: 10_000, obj: false } }], ser: { k: 'plain' } },
      { kind: 'mutate', fixture: 1, ops: [{ op: 'replace', at: 5, value: { k: 'raw', v: '1e309' } }], ser: { k: 'bom' } },
    ];
    fc.assert(fc.property(recipeArb(fixtures.length), fc.constantFrom('validate' as const, 'check' as const), (recipe, command) => {
      const files = materialize(recipe, dir, id++, fixtures);
      const answers = files.map((f) => {
        const start = Date.now();
        spawned++;
        const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'raftspec.mjs'), command, f.path], { cwd: ROOT, encoding: 'utf8', timeout: TIME_BOUND_MS + 4000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
        const hung = r.error !== undefined || r.signal !== null;
        return { f, hung, answer: { code: r.status ?? -1, out: (r.stdout ?? '').split('\n'), err: (r.stderr ?? '').split('\n'), ms: Date.now() - start } };
      });
      for (const [k, a] of answers.entries()) {
        expect(a.hung, `${command} ${a.f.desc}: no answer within the bound`).toBe(false);
        const base = a.f.role === 'renamed' ? answers[k - 1]?.answer : undefined;
        const v = judge({ id, command, path: a.f.path, desc: a.f.desc }, a.answer, base);
        expect(v, `${command} ${a.f.desc}\nstdout: ${a.answer.out.slice(0, 5).join('\n')}\nstderr: ${a.answer.err.slice(0, 5).join('\n')}`).toEqual({ kind: 'ok' });
      }
    }), { numRuns: pinned.length + 4, seed: SEED, endOnFailure: true, examples: pinned.map((r, k): [Recipe, 'validate' | 'check'] => [r, k % 2 === 0 ? 'validate' : 'check']) });
    expect(spawned).toBeGreaterThanOrEqual(pinned.length + 4); // the examples count toward numRuns
  }, 120_000);
});
