// Lease reads (LR-1..LR-3) and their clock assumption (conformance/lease.ts): a run that breaks the
// assumption is refused as bad input at the step that breaks it, and the same run, forced through
// the model, shows why: the deposed leader's lease read returns stale data, which LIN-1 reports.
import { describe, it, expect } from 'vitest';
import type { Event, Message, Trace } from '../../spec/schema.js';
import { applyEvent, inFlight, initCluster, type ClusterState } from '../../model/cluster.js';
import { replay } from '../replay.js';
import { historyOf, type HistoryStep } from '../history.js';
import { checkLinearizable } from '../linearizability.js';

const OPTIONS = { leaseReads: true, leaderNoop: true };

/** Builds the run event by event against the model, naming messages by what they are. */
function buildRun(): { events: Event[]; breachStep: number; steps: HistoryStep[] } {
  let c: ClusterState = initCluster(['s1', 's2', 's3'], OPTIONS);
  const events: Event[] = [];
  const steps: HistoryStep[] = [];
  const apply = (e: Event) => {
    const r = applyEvent(c, e);
    if ('error' in r) throw new Error(r.error);
    steps.push({ index: events.length, event: e, replies: r.replies });
    events.push(e);
    c = r.state;
  };
  const deliver = (pick: (m: Message) => boolean) => {
    const m = inFlight(c).find(pick);
    if (!m) throw new Error('message not in flight');
    apply({ type: 'deliver', message: m });
  };
  apply({ type: 'electionTimeout', node: 's1' });
  deliver((m) => m.type === 'RequestVote' && m.to === 's2');
  deliver((m) => m.type === 'RequestVoteResponse' && m.to === 's1'); // s1 leads term 1, appends its no-op
  deliver((m) => m.type === 'AppendEntries' && m.to === 's2');
  deliver((m) => m.type === 'AppendEntriesResponse' && m.from === 's2'); // the no-op commits
  apply({ type: 'heartbeatTimeout', node: 's1' }); // LR-1: round 1
  deliver((m) => m.type === 'AppendEntries' && m.to === 's2' && m.readRound === 1);
  deliver((m) => m.type === 'AppendEntriesResponse' && m.from === 's2' && m.readRound === 1); // s1 holds a lease; s2 is bound
  const breachStep = events.length;
  apply({ type: 'electionTimeout', node: 's2' }); // breaks the clock assumption
  deliver((m) => m.type === 'RequestVote' && m.from === 's2' && m.to === 's3'); // s3 never heard from s1: it votes
  deliver((m) => m.type === 'RequestVoteResponse' && m.to === 's2'); // s2 leads term 2
  apply({ type: 'clientRequest', node: 's2', command: { op: 'put', key: 'x', value: '1', client: 'c1', seq: 1 } });
  for (let k = 0; k < 6 && c.nodes.s2!.lastApplied < 3; k++) {
    deliver((m) => m.to === 's3' && m.type === 'AppendEntries' && m.from === 's2');
    deliver((m) => m.to === 's2' && m.type === 'AppendEntriesResponse');
  }
  expect(c.nodes.s2!.lastApplied).toBe(3); // s1's no-op, s2's no-op, the put: the put is answered
  apply({ type: 'clientRead', node: 's1', client: 'c2', seq: 1, key: 'x' }); // LR-2 on the deposed s1
  return { events, breachStep, steps };
}

describe('lease reads and their clock assumption', () => {
  const run = buildRun();

  it('LR-2: the deposed leader still holds its lease and answers the read at once, with the value before the put', () => {
    const last = run.steps[run.steps.length - 1]!;
    expect(last.replies).toEqual([{ type: 'read', node: 's1', client: 'c2', seq: 1, key: 'x', index: 1, result: null }]);
  });

  it('LIN-1: that answer is stale: the put of x was answered before the read was sent', () => {
    const h = historyOf(run.steps);
    expect(h.violations).toEqual([]);
    const r = checkLinearizable(h.operations);
    expect(r.status).toBe('violation');
    expect(r.status === 'violation' && r.key).toBe('x');
  });

  it('the replay refuses the run as bad input at the election timeout of the bound server, naming the assumption', () => {
    const trace: Trace = { format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], options: OPTIONS, steps: run.events.map((event) => ({ event })) };
    const r = replay(trace);
    expect(r.status).toBe('bad-input');
    if (r.status !== 'bad-input') return;
    expect(r.path).toBe(`/steps/${run.breachStep}/event`);
    expect(r.expected).toContain("s2 answered read round 1 of s1, leader of term 1, whose lease from that round has not ended");
  });

  it('without the breach the same prefix replays: the assumption binds only while the lease stands', () => {
    const events: Event[] = [...run.events.slice(0, run.breachStep), { type: 'electionTimeout', node: 's1' }, { type: 'electionTimeout', node: 's2' }];
    const prefix: Trace = { format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], options: OPTIONS, steps: events.map((event) => ({ event })) };
    // s1's election timeout ends its lease (LR-3), after which s2 may time out.
    expect(replay(prefix).status).toBe('pass');
  });
});
