// Reviewing a protocol change (conformance/compare.ts, `raftspec diff`): the same trace with and
// without an option, and the first step at which the two runs differ. Expected steps, fields and
// values are read off the paper fixtures by hand.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { readFileSync } from 'node:fs';
import type { Trace } from '../../spec/schema.js';
import { compareOptions, describeComparison } from '../compare.js';

const fixture = (name: string): Trace => JSON.parse(readFileSync(`traces/paper/${name}.json`, 'utf8')) as Trace;

afterEach(() => vi.restoreAllMocks());

describe('compareOptions', () => {
  it('fast backtracking first shows in Figure 7 (f) at the first rejection (step 2), as FB-1 fields on the reply', () => {
    const r = compareOptions(fixture('figure7-f'), { fastBacktracking: true });
    expect(r.status).toBe('differs');
    if (r.status !== 'differs') return;
    expect(r.difference.step).toBe(2);
    expect(r.difference.node).toBe('s2');
    expect(r.difference.field).toBe('messages sent');
    expect(r.difference.without).toBe('AER s2>s1 t8 fail mi0 pi10');
    expect(r.difference.with).toBe('AER s2>s1 t8 fail mi0 pi10 ct3 ci7');
    expect(r.difference.rulesWith).toContain('FB-1');
    expect(r.difference.rulesWithout).not.toContain('FB-1');
    expect(describeComparison(r)).toMatch(/^step 2 \(\/steps\/2: deliver AE s1>s2 /);
  });

  it('an election without log conflicts behaves the same with fast backtracking', () => {
    expect(compareOptions(fixture('election-3-nodes'), { fastBacktracking: true })).toEqual({ status: 'same', steps: 19 });
  });

  it('the leader no-op first shows when the election is won: the first AppendEntries carry [1, null] (CLI-3)', () => {
    const r = compareOptions(fixture('election-3-nodes'), { leaderNoop: true });
    expect(r.status).toBe('differs');
    if (r.status !== 'differs') return;
    expect(r.difference.step).toBe(3);
    expect(r.difference.node).toBe('s1');
    expect(r.difference.with).toContain('[[1,null]]');
    expect(r.difference.rulesWith).toContain('CLI-3');
  });

  it('options the trace already has change nothing', () => {
    const t = fixture('figure7-f-fast-backtracking');
    expect(compareOptions(t, { fastBacktracking: true }).status).toBe('same');
  });

  it('a trace that is wrong as written is bad input, not a difference', () => {
    const t = fixture('election-3-nodes');
    const broken: Trace = { ...t, steps: [{ event: { type: 'restart', node: 's1' } }] };
    expect(compareOptions(broken, { leaderNoop: true })).toEqual({ status: 'bad-input', path: '/steps/0/event', expected: 'an event possible in this state: node s1 is not crashed, so it cannot restart' });
  });
});

describe('raftspec diff', () => {
  it('exits 1 and names the first differing step when a trace differs, 0 when all behave the same', () => {
    const differs = runCli(['diff', '--fast-backtracking', 'traces/paper/figure7-f.json']);
    expect(differs.code).toBe(1);
    expect(differs.out).toContain('DIFFERS traces/paper/figure7-f.json: step 2 ');
    expect(differs.out).toContain('1 trace with {"fastBacktracking":true}: 0 behave the same, 1 differ, 0 bad input');
    const same = runCli(['diff', '--fast-backtracking', 'traces/paper/election-3-nodes.json']);
    expect(same.code).toBe(0);
    expect(same.out).toContain('SAME traces/paper/election-3-nodes.json (19 steps)');
  });

  it('exits 2 without an option to compare', () => {
    const r = runCli(['diff', 'traces/paper/figure7-f.json']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('diff expects the change as option flags');
  });

  it('check with an option flag overrides the trace options: Figure 7 (f) expectations fail where fast backtracking changes an observed field', () => {
    const r = runCli(['check', '--fast-backtracking', 'traces/paper/figure7-f.json']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL traces\/paper\/figure7-f\.json: step \d+ /);
  });
});
