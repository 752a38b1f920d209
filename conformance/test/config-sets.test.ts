// A configuration's member lists are sets (CFG-1): a trace that lists the voters of a configuration
// entry in another order names the same entry, in a log expectation, in flight and in a message an
// event names; a configuration with another member is another entry (found by the fuzz test: a
// trace with its servers renamed so that they sort in another order failed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTrace } from '../load.js';
import { validateBySearch } from '../search.js';
import { lockstep } from '../lockstep.js';
import { describeResult } from '../report.js';

const FILES = ['traces/paper/membership-grow-3-to-5-learners.json', 'traces/paper/membership-snapshot-carries-config.json'];

/** Every member list of every configuration in the trace, rewritten by `f` (a deep walk). */
function rewriteConfigs(data: unknown, f: (ids: string[]) => string[]): { data: unknown; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    if (Array.isArray(o.voters) && 'config' in (o as object) === false && ('learners' in o || 'oldVoters' in o || Object.keys(o).length === 1)) {
      for (const key of ['voters', 'learners', 'oldVoters']) if (Array.isArray(out[key])) { out[key] = f(out[key] as string[]); count++; }
    }
    return out;
  };
  return { data: walk(data), count };
}

const load = (data: unknown) => {
  const loaded = checkTrace(data);
  if (!loaded.ok) throw new Error(`${loaded.error.path}: ${loaded.error.expected}`);
  return loaded.trace;
};

describe.each(FILES)('configuration members are sets (CFG-1): %s', (file) => {
  const original = JSON.parse(readFileSync(file, 'utf8'));

  it('the trace with every member list reversed passes validate and check, as written (log entries, snapshotConfig, InstallSnapshot lastConfig)', () => {
    const { data, count } = rewriteConfigs(original, (ids) => [...ids].reverse());
    expect(count).toBeGreaterThan(1);
    const t = load(data);
    const v = validateBySearch(t);
    expect(v.status, describeResult(v as never)).toBe('pass');
    const c = lockstep(t);
    expect(c.status, describeResult(c as never)).toBe('pass');
  });

  it('a configuration with a member left out is another: the trace fails', () => {
    const { data, count } = rewriteConfigs(original, (ids) => (ids.length > 2 ? ids.slice(1) : ids));
    expect(count).toBeGreaterThan(0);
    const v = validateBySearch(load(data));
    expect(v.status).not.toBe('pass');
  });
});
