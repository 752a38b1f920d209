// The lockstep runner under a profile (spec/choices.ts): the trace's `profile` reaches the model
// and the implementation alike, so a run that takes the 'b' alternatives stays in lockstep; an
// implementation that ignores the profile diverges; an `error` event fails with its message.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Trace } from '../../spec/schema.js';
import { CHOICE_POINTS, type Profile } from '../../spec/choices.js';
import { RaftNode } from '../../impl/index.js';
import { DEFAULT_CLIENTS, scheduleArb, traceFromChoices } from '../generate.js';
import { lockstep, type ImplFactory } from '../lockstep.js';
import { generateOptions, nodeIds } from '../campaign.js';

const ALL_B: Profile = Object.fromEntries(CHOICE_POINTS.map((c) => [c.id, ['b']]));

/** Generated traces of 3 servers with clients and snapshots, under `profile`. */
function traces(profile: Profile, seed: number, count: number): Trace[] {
  const gen = { ...generateOptions(nodeIds(3), { snapshotChunkSize: 48 }, DEFAULT_CLIENTS), profile };
  return fc.sample(scheduleArb(250, 250), { seed, numRuns: count }).map((choices) => traceFromChoices(choices, gen).trace);
}

describe('lockstep under a profile', () => {
  it('a trace whose profile takes every alternative b passes check, and the generator wrote the profile and apply events (DEC-17b)', () => {
    for (const trace of traces(ALL_B, 42, 4)) {
      expect(trace.profile).toMatchObject({ 'DEC-3': 'DEC-3b', 'DEC-17': 'DEC-17b', 'DEC-19': 'DEC-19b' });
      expect(trace.steps.some((s) => s.event.type === 'apply')).toBe(true);
      expect(lockstep(trace)).toMatchObject({ status: 'pass' });
    }
  });

  it('an implementation that ignores the profile diverges from the model on such a trace', () => {
    const deaf: ImplFactory = {
      create: (config, initial) => new RaftNode({ ...config, profile: undefined }, initial),
      restart: (config, persisted) => RaftNode.restart({ ...config, profile: undefined }, persisted),
    };
    const results = traces(ALL_B, 42, 4).map((t) => lockstep(t, deaf).status);
    expect(results).toContain('diverge');
  });

  it('an error event fails the check with the implementation\'s message', () => {
    const trace: Trace = {
      format: 'raft-trace', version: 1, cluster: ['s1'], profile: { 'DEC-17': 'DEC-17b' },
      steps: [
        { event: { type: 'electionTimeout', node: 's1' } },
        { event: { type: 'clientRequest', node: 's1', command: 'a' } },
        { event: { type: 'apply', node: 's1' } },
        { event: { type: 'error', node: 's1', message: 'TypeError: boom' } },
      ],
    };
    const r = lockstep(trace);
    expect(r.status).toBe('fail');
    if (r.status !== 'fail') return;
    expect(r.failure.step).toBe(3);
    expect(r.failure.problems).toEqual(['the implementation failed on s1: TypeError: boom']);
  });
});
