// Property tests: random schedules with drops, duplicates, reordering, delayed copies, partitions,
// crashes and restarts, replayed against the model with every invariant checked after every step.
// The seeds are fixed, so a run is reproducible; a failure prints the seed and the shrunk schedule.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { NodeId, ProtocolOptions } from '../spec/schema.js';
import { DEFAULT_CLIENTS, scheduleArb, traceFromChoices } from '../conformance/generate.js';
import { emptyTotals, generateOptions, tally } from '../conformance/campaign.js';
import { replayModel } from '../conformance/replay.js';

interface Campaign {
  readonly name: string;
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  /** Key-value clients, reads and snapshots (issue 4). */
  readonly clients?: boolean;
  /** Membership changes from the generator's bootstrap configuration (issue 5). */
  readonly membership?: boolean;
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
  { name: '3 servers, clients, reads and snapshots in chunks of 48', servers: ['s1', 's2', 's3'], options: { snapshotChunkSize: 48 }, clients: true, runs: 120, steps: 300, seed: 110 },
  { name: '5 servers, clients with the leader no-op, batches of 3, chunks of 32', servers: ['s1', 's2', 's3', 's4', 's5'], options: { leaderNoop: true, maxEntriesPerAppendEntries: 3, snapshotChunkSize: 32 }, clients: true, runs: 60, steps: 400, seed: 111 },
  { name: '1 server, clients and snapshots', servers: ['s1'], options: { leaderNoop: true }, clients: true, runs: 20, steps: 100, seed: 112 },
  // Issue 5: the dissertation's options, alone and in combination.
  { name: '3 servers, PreVote', servers: ['s1', 's2', 's3'], options: { preVote: true }, runs: 60, steps: 300, seed: 113 },
  { name: '5 servers, PreVote, CheckQuorum and the disruption guard', servers: ['s1', 's2', 's3', 's4', 's5'], options: { preVote: true, checkQuorum: true, disruptionGuard: true }, runs: 40, steps: 400, seed: 114 },
  { name: '3 servers, lease reads with clients (the clock assumption kept)', servers: ['s1', 's2', 's3'], options: { leaseReads: true }, clients: true, runs: 80, steps: 300, seed: 121 },
  // Issue 5: membership changes, alone, with snapshots and clients, and with every option.
  { name: '5 servers (3 voters at the start), membership changes', servers: ['s1', 's2', 's3', 's4', 's5'], membership: true, runs: 80, steps: 400, seed: 123 },
  { name: '4 servers (2 voters at the start), membership changes with clients and snapshots', servers: ['s1', 's2', 's3', 's4'], options: { leaderNoop: true, snapshotChunkSize: 24 }, clients: true, membership: true, runs: 60, steps: 400, seed: 124 },
  { name: '3 servers (1 voter at the start), membership changes', servers: ['s1', 's2', 's3'], membership: true, runs: 60, steps: 300, seed: 125 },
  { name: '5 servers, membership changes with every option and clients', servers: ['s1', 's2', 's3', 's4', 's5'], options: { preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true, pipelining: true, flowControlWindow: 2, maxEntriesPerAppendEntries: 2, fastBacktracking: true, leaderNoop: true, snapshotChunkSize: 32, leaseReads: true }, clients: true, membership: true, runs: 50, steps: 400, seed: 126 },
  { name: '5 servers, lease reads with the no-op, CheckQuorum and transfer', servers: ['s1', 's2', 's3', 's4', 's5'], options: { leaseReads: true, leaderNoop: true, checkQuorum: true, leadershipTransfer: true }, clients: true, runs: 40, steps: 400, seed: 122 },
  { name: '3 servers, CheckQuorum', servers: ['s1', 's2', 's3'], options: { checkQuorum: true }, runs: 40, steps: 300, seed: 119 },
  { name: '3 servers, the disruption guard', servers: ['s1', 's2', 's3'], options: { disruptionGuard: true }, runs: 40, steps: 300, seed: 120 },
  { name: '3 servers, leadership transfer with clients', servers: ['s1', 's2', 's3'], options: { leadershipTransfer: true }, clients: true, runs: 60, steps: 300, seed: 115 },
  { name: '3 servers, pipelining, batches of 3', servers: ['s1', 's2', 's3'], options: { pipelining: true, maxEntriesPerAppendEntries: 3 }, runs: 60, steps: 300, seed: 116 },
  { name: '3 servers, flow control window 1 with clients', servers: ['s1', 's2', 's3'], options: { flowControlWindow: 1, maxEntriesPerAppendEntries: 4 }, clients: true, runs: 40, steps: 300, seed: 117 },
  { name: '5 servers, every option at once', servers: ['s1', 's2', 's3', 's4', 's5'], options: { preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true, pipelining: true, flowControlWindow: 2, maxEntriesPerAppendEntries: 2, fastBacktracking: true, leaderNoop: true, snapshotChunkSize: 32 }, clients: true, runs: 40, steps: 400, seed: 118 },
];

describe('invariants hold on random schedules (Figure 3 and the local invariants, after every step)', () => {
  const total = emptyTotals();

  for (const c of CAMPAIGNS) {
    it(`${c.name}: ${c.runs} schedules of up to ${c.steps} steps`, () => {
      fc.assert(
        fc.property(scheduleArb(Math.floor(c.steps / 2), c.steps), (choices) => {
          const { trace, stats } = traceFromChoices(choices, generateOptions(c.servers, c.options, c.clients ? DEFAULT_CLIENTS : undefined, undefined, c.membership ? {} : undefined));
          const r = replayModel(trace);
          if (r.status !== 'pass') {
            throw new Error(r.status === 'fail' ? `step ${r.failure.step} (${r.failure.event}): ${r.failure.problems.join('; ')}` : `${r.path}: ${r.expected}`);
          }
          tally(total, stats);
        }),
        { numRuns: c.runs, seed: c.seed },
      );
    });
  }

  it('the campaigns together replay at least 100,000 steps, and the schedules do interesting things', () => {
    const share = (n: number) => `${((100 * n) / total.traces).toFixed(0)}%`;
    console.log(
      `property campaigns: ${total.traces} traces, ${total.steps} steps; ${total.leadersElected} leaders elected; ` +
        `traces with a commit ${share(total.withCommit)}, with a term change ${share(total.withTermChange)}, with a truncation ${share(total.withTruncation)}, ` +
        `with a snapshot ${share(total.withSnapshot)}, with an InstallSnapshot ${share(total.withInstall)}; ${total.answered} client operations answered (${total.reads} reads), ${total.redirects} redirects; ` +
        `${total.withReconfiguration} traces with a configuration change, ${total.reconfigurations} configuration entries, ${total.removedLeaders} removed leaders stepped down`,
    );
    expect(total.steps).toBeGreaterThanOrEqual(100_000);
    // The generator is biased so that leaders are elected, entries commit and logs get repaired.
    expect(total.withCommit / total.traces).toBeGreaterThan(0.5);
    expect(total.withTermChange / total.traces).toBeGreaterThan(0.5);
    expect(total.withTruncation).toBeGreaterThan(0);
    // With clients (issue 4): snapshots are taken and installed, operations and reads are answered.
    expect(total.withSnapshot).toBeGreaterThan(50);
    expect(total.withInstall).toBeGreaterThan(10);
    expect(total.reads).toBeGreaterThan(100);
    expect(total.answered).toBeGreaterThan(500);
    // With membership changes (issue 5): configurations change, and removed leaders step down (CFG-5).
    expect(total.withReconfiguration).toBeGreaterThan(150);
    expect(total.removedLeaders).toBeGreaterThan(5);
  });
});
