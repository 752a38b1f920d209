// Property tests: random schedules with drops, duplicates, reordering, delayed copies, partitions,
// crashes and restarts, replayed against the model with every invariant checked after every step.
// The seeds are fixed, so a run is reproducible; a failure prints the seed and the shrunk schedule.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { NodeId, ProtocolOptions } from '../spec/schema.js';
import { scheduleArb, traceFromChoices, type ScheduleStats } from '../conformance/generate.js';
import { replayModel } from '../conformance/replay.js';

interface Campaign {
  readonly name: string;
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  readonly runs: number;
  readonly steps: number;
  readonly seed: number;
}

const CAMPAIGNS: readonly Campaign[] = [
  { name: '3 servers, one entry per AppendEntries', servers: ['s1', 's2', 's3'], runs: 200, steps: 300, seed: 101 },
  { name: '3 servers, batches of 8', servers: ['s1', 's2', 's3'], options: { maxEntriesPerAppendEntries: 8 }, runs: 80, steps: 300, seed: 102 },
  { name: '5 servers, one entry per AppendEntries', servers: ['s1', 's2', 's3', 's4', 's5'], runs: 120, steps: 400, seed: 103 },
  { name: '5 servers, batches of 4', servers: ['s1', 's2', 's3', 's4', 's5'], options: { maxEntriesPerAppendEntries: 4 }, runs: 60, steps: 400, seed: 104 },
  { name: '1 server', servers: ['s1'], runs: 20, steps: 100, seed: 105 },
  { name: '2 servers', servers: ['s1', 's2'], runs: 30, steps: 200, seed: 106 },
  { name: '4 servers', servers: ['s1', 's2', 's3', 's4'], runs: 40, steps: 300, seed: 107 },
  { name: '3 servers, fast backtracking', servers: ['s1', 's2', 's3'], options: { fastBacktracking: true }, runs: 60, steps: 300, seed: 108 },
  { name: '5 servers, fast backtracking, batches of 4', servers: ['s1', 's2', 's3', 's4', 's5'], options: { fastBacktracking: true, maxEntriesPerAppendEntries: 4 }, runs: 40, steps: 400, seed: 109 },
];

describe('invariants hold on random schedules (Figure 3 and the local invariants, after every step)', () => {
  const total: ScheduleStats & { traces: number; withCommit: number; withTermChange: number; withTruncation: number } = {
    steps: 0, leadersElected: 0, commits: 0, termChanges: 0, truncations: 0, crashes: 0, traces: 0, withCommit: 0, withTermChange: 0, withTruncation: 0,
  };

  for (const c of CAMPAIGNS) {
    it(`${c.name}: ${c.runs} schedules of up to ${c.steps} steps`, () => {
      fc.assert(
        fc.property(scheduleArb(Math.floor(c.steps / 2), c.steps), (choices) => {
          const { trace, stats } = traceFromChoices(choices, { servers: c.servers, options: c.options });
          const r = replayModel(trace);
          if (r.status !== 'pass') {
            throw new Error(r.status === 'fail' ? `step ${r.failure.step} (${r.failure.event}): ${r.failure.problems.join('; ')}` : `${r.path}: ${r.expected}`);
          }
          total.traces++;
          total.steps += stats.steps;
          total.commits += stats.commits;
          total.leadersElected += stats.leadersElected;
          if (stats.commits > 0) total.withCommit++;
          if (stats.termChanges > 0) total.withTermChange++;
          if (stats.truncations > 0) total.withTruncation++;
        }),
        { numRuns: c.runs, seed: c.seed },
      );
    });
  }

  it('the campaigns together replay at least 100,000 steps, and the schedules do interesting things', () => {
    const share = (n: number) => `${((100 * n) / total.traces).toFixed(0)}%`;
    console.log(
      `property campaigns: ${total.traces} traces, ${total.steps} steps; ${total.leadersElected} leaders elected; ` +
        `traces with a commit ${share(total.withCommit)}, with a term change ${share(total.withTermChange)}, with a truncation ${share(total.withTruncation)}`,
    );
    expect(total.steps).toBeGreaterThanOrEqual(100_000);
    // The generator is biased so that leaders are elected, entries commit and logs get repaired.
    expect(total.withCommit / total.traces).toBeGreaterThan(0.5);
    expect(total.withTermChange / total.traces).toBeGreaterThan(0.5);
    expect(total.withTruncation).toBeGreaterThan(0);
  });
});
