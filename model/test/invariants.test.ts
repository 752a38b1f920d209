// The invariant checker: for each safety property (SAFE-n) and local invariant (INV-n), a cluster
// state or step that breaks it is reported with exactly that ID and the nodes involved; and a
// correct run, driven through the cluster reducer, reports nothing.
import { describe, it, expect } from 'vitest';
import type { Event, NodeId, Observation } from '../../spec/schema.js';
import { type ClusterState, type ClusterStep, applyEvent, inFlight, initCluster } from '../cluster.js';
import { InvariantChecker, type Violation } from '../invariants.js';
import type { AppliedEntry, NodeState } from '../state.js';
import { fromJson, toJson } from '../state.js';
import { Log } from '../log.js';
import { e } from './fixtures.js';

const SERVERS: readonly NodeId[] = ['s1', 's2', 's3'];

/** What the tests compare: each violation's ID and nodes. */
const found = (vs: readonly Violation[]): Array<[string, NodeId[]]> => vs.map((v) => [v.id, [...v.nodes]]);

/** A step in which server `id` goes to `next` (a JSON observation or a model state). */
function stepTo(prev: ClusterState, id: NodeId, next: Observation | NodeState, applied: readonly AppliedEntry[] = []): ClusterStep {
  const s = isState(next) ? next : fromJson(next);
  return { state: { ...prev, nodes: { ...prev.nodes, [id]: s } }, node: id, sent: [], applied, replies: [], rules: [] };
}
const isState = (x: Observation | NodeState): x is NodeState => x.log instanceof Log;

/** The event of a hand-built step: the checker looks only at whether it is a crash. */
const SOME_EVENT: Event = { type: 'heartbeatTimeout', node: 's1' };

/** Leader of `term` with this log; nextIndex = last + 1 and matchIndex = 0 for its peers. */
function leader(self: NodeId, term: number, log: Observation['log'] = []): Observation {
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  for (const p of SERVERS) if (p !== self) { nextIndex[p] = (log?.length ?? 0) + 1; matchIndex[p] = 0; }
  return { role: 'leader', currentTerm: term, votedFor: self, votesGranted: [self], log, nextIndex, matchIndex };
}

describe('SAFE-1..SAFE-5: the properties of Figure 3', () => {
  it('SAFE-1 Election Safety: a second leader of the same term is reported with both leaders', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 2), s2: { currentTerm: 2, votedFor: 's1' }, s3: { currentTerm: 2 } });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    expect(found(checker.check(c0, stepTo(c0, 's3', leader('s3', 2)), 1, SOME_EVENT))).toEqual([['SAFE-1', ['s1', 's3']]]);
  });

  it('SAFE-1: a leader of a different term is not a second leader', () => {
    // s2 voted for s3 in term 3, so s1 of term 2 has no majority left (INV-14 holds too).
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 2), s2: { currentTerm: 3, votedFor: 's3' }, s3: { currentTerm: 2 } });
    const checker = new InvariantChecker(c0);
    expect(checker.check(c0, stepTo(c0, 's3', leader('s3', 3)), 1, SOME_EVENT)).toEqual([]);
  });

  it('SAFE-1: an initial state with two leaders of one term is reported by takeInitialViolations', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 4), s2: leader('s2', 4) });
    const v = new InvariantChecker(c0).takeInitialViolations();
    expect(found(v)).toEqual([['SAFE-1', ['s1', 's2']]]);
    expect(v[0]?.step).toBe(0);
  });

  it('SAFE-2 Leader Append-Only: a leader that drops an entry of its log is reported', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { ...leader('s1', 2, [e(1, 'a'), e(2, 'b')]), nextIndex: { s2: 2, s3: 2 } } });
    const checker = new InvariantChecker(c0);
    const s1 = c0.nodes.s1 as NodeState;
    // Truncated through the Log API (a version of the same buffer).
    const r = stepTo(c0, 's1', { ...s1, log: s1.log.truncateAfter(1) });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['SAFE-2', ['s1']]]);
  });

  it('SAFE-2: a leader that overwrites an entry with another of the same index is reported', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { ...leader('s1', 2, [e(1, 'a'), e(2, 'b')]), nextIndex: { s2: 2, s3: 2 } } });
    const checker = new InvariantChecker(c0);
    const r = stepTo(c0, 's1', { ...leader('s1', 2, [e(1, 'a'), e(2, 'OTHER')]), nextIndex: { s2: 2, s3: 2 } });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['SAFE-2', ['s1']]]);
  });

  it('SAFE-2: a leader that steps down and then loses entries breaks nothing', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 2, [e(1, 'a'), e(2, 'b')]) });
    const checker = new InvariantChecker(c0);
    expect(checker.check(c0, stepTo(c0, 's1', { currentTerm: 3, votedFor: null, log: [e(1, 'a'), e(3, 'c')] }), 1, SOME_EVENT)).toEqual([]);
  });

  it('SAFE-3 Log Matching: two logs with an entry of the same index and term but different entries before it are reported with both servers', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { currentTerm: 3, log: [e(1, 'a'), e(3, 'b')] }, s2: { currentTerm: 3 } });
    const checker = new InvariantChecker(c0);
    const r = stepTo(c0, 's2', { currentTerm: 3, log: [e(2, 'x'), e(3, 'b')] });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['SAFE-3', ['s2', 's1']]]);
  });

  it('SAFE-3: the same index and term with different commands is reported', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { currentTerm: 1, log: [e(1, 'a')] } });
    const checker = new InvariantChecker(c0);
    expect(found(checker.check(c0, stepTo(c0, 's3', { currentTerm: 1, log: [e(1, 'b')] }), 1, SOME_EVENT))).toEqual([['SAFE-3', ['s3', 's1']]]);
  });

  it('SAFE-4 Leader Completeness: a new leader that lacks a committed entry of an earlier term is reported', () => {
    const c0 = initCluster(SERVERS, undefined, {
      s1: { currentTerm: 1, log: [e(1, 'a')], commitIndex: 1 },
      s2: { currentTerm: 1, log: [e(1, 'a')] },
      s3: { currentTerm: 1 },
    });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    expect(found(checker.check(c0, stepTo(c0, 's3', leader('s3', 2)), 1, SOME_EVENT))).toEqual([['SAFE-4', ['s3']]]);
  });

  it('SAFE-4: an entry committed after a leader of a newer term took office, and missing from its log, is reported against that leader', () => {
    const c0 = initCluster(SERVERS, undefined, {
      s1: { currentTerm: 2, log: [e(1, 'a'), e(2, 'b')], commitIndex: 1 },
      s3: leader('s3', 3, [e(1, 'a')]),
    });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    const r = stepTo(c0, 's1', { currentTerm: 2, log: [e(1, 'a'), e(2, 'b')], commitIndex: 2 });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['SAFE-4', ['s3']]]);
  });

  it('SAFE-5 State Machine Safety: a server applying a different entry at an index some server applied is reported with both', () => {
    const c0 = initCluster(SERVERS);
    const checker = new InvariantChecker(c0);
    // Only the applied entries are reported here; the states do not change (Log Matching and
    // INV-9 are tested on their own).
    const r1: ClusterStep = { state: c0, node: 's1', sent: [], applied: [{ index: 1, term: 1, command: 'a', result: null, duplicate: false }], replies: [], rules: [] };
    expect(checker.check(c0, r1, 1, SOME_EVENT)).toEqual([]);
    const r2: ClusterStep = { state: c0, node: 's2', sent: [], applied: [{ index: 1, term: 1, command: 'b', result: null, duplicate: false }], replies: [], rules: [] };
    expect(found(checker.check(c0, r2, 2, SOME_EVENT))).toEqual([['SAFE-5', ['s1', 's2']]]);
    // The same entry applied again (a restarted server rebuilding its state machine) is fine.
    const r3: ClusterStep = { state: c0, node: 's3', sent: [], applied: [{ index: 1, term: 1, command: 'a', result: null, duplicate: false }], replies: [], rules: [] };
    expect(checker.check(c0, r3, 3, SOME_EVENT)).toEqual([]);
  });
});

describe('INV-1..INV-9: local invariants', () => {
  /** Check one step in which `id` goes from `from` to `to`. */
  function violations(from: Observation, to: Observation, event: Event = SOME_EVENT, id: NodeId = 's1'): Array<[string, NodeId[]]> {
    const c0 = initCluster(SERVERS, undefined, { [id]: from });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    return found(checker.check(c0, stepTo(c0, id, to), 1, event));
  }

  it('INV-1: currentTerm going down is reported', () => {
    expect(violations({ currentTerm: 3 }, { currentTerm: 2 })).toEqual([['INV-1', ['s1']]]);
  });

  it('INV-2: a vote changed within a term is reported (another candidate, or back to null)', () => {
    expect(violations({ currentTerm: 2, votedFor: 's2' }, { currentTerm: 2, votedFor: 's3' })).toEqual([['INV-2', ['s1']]]);
    expect(violations({ currentTerm: 2, votedFor: 's2' }, { currentTerm: 2, votedFor: null })).toEqual([['INV-2', ['s1']]]);
  });

  it('INV-2: a vote lost across a crash is reported too', () => {
    expect(violations({ currentTerm: 2, votedFor: 's2' }, { currentTerm: 2, votedFor: null }, { type: 'crash', node: 's1' })).toEqual([['INV-2', ['s1']]]);
  });

  it('INV-2: voting in a new term, or a first vote in this term, is fine', () => {
    expect(violations({ currentTerm: 2, votedFor: 's2' }, { currentTerm: 3, votedFor: 's3' })).toEqual([]);
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, votedFor: 's3' })).toEqual([]);
  });

  it('INV-3: commitIndex beyond the last log index is reported', () => {
    expect(violations({ currentTerm: 1, log: [e(1, 'a')] }, { currentTerm: 1, log: [e(1, 'a')], commitIndex: 2 })).toEqual([['INV-3', ['s1']]]);
  });

  it('INV-3: lastApplied beyond commitIndex is reported', () => {
    // lastApplied also jumps from 0 to 2 without applying anything, which INV-10 reports as well.
    expect(violations({ currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1 }, { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1, lastApplied: 2 }))
      .toEqual([['INV-3', ['s1']], ['INV-10', ['s1']]]);
  });

  it('INV-3: an initial state that breaks it is reported by takeInitialViolations', () => {
    const c0 = initCluster(SERVERS, undefined, { s2: { currentTerm: 1, log: [e(1, 'a')], commitIndex: 1, lastApplied: 2 } });
    expect(found(new InvariantChecker(c0).takeInitialViolations())).toEqual([['INV-3', ['s2']]]);
  });

  it('INV-4: commitIndex going down is reported', () => {
    const log = [e(1, 'a'), e(1, 'b')];
    expect(violations({ currentTerm: 1, log, commitIndex: 2, lastApplied: 1 }, { currentTerm: 1, log, commitIndex: 1, lastApplied: 1 })).toEqual([['INV-4', ['s1']]]);
  });

  it('INV-4: commitIndex back to 0 on a crash (the restart state) is fine', () => {
    const log = [e(1, 'a'), e(1, 'b')];
    expect(violations({ currentTerm: 1, log, commitIndex: 2, lastApplied: 2 }, { currentTerm: 1, log }, { type: 'crash', node: 's1' })).toEqual([]);
  });

  it('INV-5: a log whose terms go down is reported', () => {
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, log: [e(2, 'a'), e(1, 'b')] })).toEqual([['INV-5', ['s1']]]);
  });

  it('INV-5: an entry of a term above currentTerm is reported', () => {
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, log: [e(3, 'a')] })).toEqual([['INV-5', ['s1']]]);
  });

  it('INV-6: a leader with nextIndex 0 for a follower is reported with the leader and the follower', () => {
    const l = leader('s1', 2, [e(2, 'a')]);
    expect(violations(l, { ...l, nextIndex: { s2: 0, s3: 2 } })).toEqual([['INV-6', ['s1', 's2']]]);
  });

  it('INV-6: matchIndex >= nextIndex, nextIndex past last index + 1, or matchIndex past the last index are reported', () => {
    const l = leader('s1', 2, [e(2, 'a')]);
    expect(violations(l, { ...l, nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 0, s3: 1 } })).toEqual([['INV-6', ['s1', 's3']]]);
    expect(violations(l, { ...l, nextIndex: { s2: 3, s3: 2 } })).toEqual([['INV-6', ['s1', 's2']]]);
    expect(violations(l, { ...l, nextIndex: { s2: 2, s3: 3 }, matchIndex: { s2: 0, s3: 2 } })).toEqual([['INV-6', ['s1', 's3']]]);
  });

  it('INV-6 holds for every peer: a leader with no nextIndex for its peers and matchIndex past its log is reported for each', () => {
    const c0 = initCluster(SERVERS, undefined, {
      s1: { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a')], matchIndex: { s2: 99, s3: 99 } },
    });
    expect(found(new InvariantChecker(c0).takeInitialViolations())).toEqual([['INV-6', ['s1', 's2']], ['INV-6', ['s1', 's3']]]);
  });

  it('INV-7: matchIndex going down while the server stays leader of the same term is reported', () => {
    const l = { ...leader('s1', 2, [e(2, 'a'), e(2, 'b')]), matchIndex: { s2: 2, s3: 0 }, commitIndex: 2 };
    expect(violations(l, { ...l, matchIndex: { s2: 1, s3: 0 } })).toEqual([['INV-7', ['s1', 's2']]]);
  });

  it('INV-7: a new term resets matchIndex without a report', () => {
    const l = { ...leader('s1', 2, [e(2, 'a'), e(2, 'b')]), matchIndex: { s2: 2, s3: 0 }, commitIndex: 2 };
    expect(violations(l, { ...leader('s1', 3, [e(2, 'a'), e(2, 'b')]), commitIndex: 2 })).toEqual([]);
  });

  it('INV-8: a follower that keeps votesGranted is reported', () => {
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, votesGranted: ['s1'] })).toEqual([['INV-8', ['s1']]]);
  });

  it('INV-8: a follower or a candidate that keeps nextIndex or matchIndex is reported', () => {
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, matchIndex: { s2: 0 } })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'], nextIndex: { s2: 1 } })).toEqual([['INV-8', ['s1']]]);
  });

  it('INV-8: a candidate or leader that has not voted for itself, or does not count itself, is reported', () => {
    expect(violations({ currentTerm: 2 }, { role: 'candidate', currentTerm: 3, votedFor: null, votesGranted: ['s1'] })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { ...leader('s1', 3), votesGranted: ['s2', 's3'] })).toEqual([['INV-8', ['s1']]]);
  });

  it('INV-9: a server committing an entry other than the one committed before at that index is reported', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { currentTerm: 1, log: [e(1, 'a')], commitIndex: 1 }, s2: { currentTerm: 2 } });
    const checker = new InvariantChecker(c0);
    const r = stepTo(c0, 's2', { currentTerm: 2, log: [e(2, 'b')], commitIndex: 1 });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['INV-9', ['s2']]]);
  });

  it('INV-9: a server that replaces an entry below its own commitIndex is reported', () => {
    const c0 = initCluster(SERVERS, undefined, {
      s1: { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 2 },
      s2: { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 2 },
    });
    const checker = new InvariantChecker(c0);
    const r = stepTo(c0, 's2', { currentTerm: 2, log: [e(1, 'a'), e(2, 'x')], commitIndex: 2 });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([['INV-9', ['s2']]]);
  });

  it('INV-9: two initial states that committed different entries at one index are reported', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: { currentTerm: 1, log: [e(1, 'a')], commitIndex: 1 }, s2: { currentTerm: 2, log: [e(2, 'b')], commitIndex: 1 } });
    expect(found(new InvariantChecker(c0).takeInitialViolations())).toEqual([['INV-9', ['s2']]]);
  });
});

describe('INV-8 with the dissertation options: precandidates (PV-1) and leader-only state (DEC-10)', () => {
  function violations(from: Observation, to: Observation, id: NodeId = 's1'): Array<[string, NodeId[]]> {
    const c0 = initCluster(SERVERS, undefined, { [id]: from });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    return found(checker.check(c0, stepTo(c0, id, to), 1, SOME_EVENT));
  }

  it('INV-8: a precandidate that counts itself is fine whatever its votedFor (a pre-vote is not a vote)', () => {
    for (const votedFor of [null, 's1', 's2']) {
      expect(violations({ currentTerm: 2, votedFor }, { role: 'precandidate', currentTerm: 2, votedFor, votesGranted: ['s1', 's3'] })).toEqual([]);
    }
  });

  it('INV-8: a precandidate that does not count itself, or keeps nextIndex or matchIndex, is reported', () => {
    expect(violations({ currentTerm: 2 }, { role: 'precandidate', currentTerm: 2, votesGranted: ['s2'] })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { role: 'precandidate', currentTerm: 2, votesGranted: ['s1'], matchIndex: { s2: 0 } })).toEqual([['INV-8', ['s1']]]);
  });

  it('INV-8, DEC-10: a follower, candidate or precandidate that keeps recentlyActive, a transferee or appliedIndex is reported; a leader may hold them', () => {
    expect(violations({ currentTerm: 2 }, { currentTerm: 2, transferee: 's2' })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'], recentlyActive: ['s2'] })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { role: 'precandidate', currentTerm: 2, votesGranted: ['s1'], appliedIndex: { s2: 0 } })).toEqual([['INV-8', ['s1']]]);
    expect(violations({ currentTerm: 2 }, { ...leader('s1', 3), recentlyActive: ['s2'], transferee: 's3', appliedIndex: { s2: 0, s3: 0 } })).toEqual([]);
  });

  it('SAFE-1: a precandidate is not a candidate of any term: one beside the leader of its term breaks nothing', () => {
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 2), s2: { currentTerm: 2, votedFor: 's1' } });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    const r = stepTo(c0, 's2', { role: 'precandidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s2', 's3'] });
    expect(found(checker.check(c0, r, 1, SOME_EVENT))).toEqual([]);
  });
});

describe('a correct run', () => {
  /** Apply events, then deliver every message in flight (oldest first) until none is left; check every step. */
  function run(c0: ClusterState, script: ReadonlyArray<Event | 'deliverAll'>): { state: ClusterState; violations: Violation[]; steps: number } {
    const checker = new InvariantChecker(c0);
    const violations = [...checker.takeInitialViolations()];
    let c = c0;
    let n = 0;
    const apply = (ev: Event) => {
      const r = applyEvent(c, ev);
      if ('error' in r) throw new Error(r.error);
      violations.push(...checker.check(c, r, n++, ev));
      c = r.state;
    };
    for (const item of script) {
      if (item !== 'deliverAll') { apply(item); continue; }
      for (let guard = 0; guard < 1000; guard++) {
        const m = inFlight(c)[0];
        if (!m) break;
        apply({ type: 'deliver', message: m });
      }
    }
    return { state: c, violations, steps: n };
  }

  it('an election, replication, a crash and restart, and a second election report no violation', () => {
    const { state, violations, steps } = run(initCluster(SERVERS), [
      { type: 'electionTimeout', node: 's1' }, 'deliverAll',
      { type: 'clientRequest', node: 's1', command: 'x' }, 'deliverAll',
      { type: 'heartbeatTimeout', node: 's1' }, 'deliverAll',
      { type: 'crash', node: 's2' }, { type: 'restart', node: 's2' },
      { type: 'heartbeatTimeout', node: 's1' }, 'deliverAll',
      { type: 'electionTimeout', node: 's3' }, 'deliverAll',
      { type: 'clientRequest', node: 's3', command: 'y' }, 'deliverAll',
      { type: 'heartbeatTimeout', node: 's3' }, 'deliverAll',
    ]);
    expect(violations).toEqual([]);
    expect(steps).toBeGreaterThan(20);
    for (const id of SERVERS) {
      const s = toJson(state.nodes[id] as NodeState);
      expect(s.currentTerm).toBe(2);
      expect(s.log).toEqual([e(1, 'x'), e(2, 'y')]);
      expect(s.commitIndex).toBe(2);
      expect(s.lastApplied).toBe(2);
    }
    expect(state.nodes.s3?.role).toBe('leader');
  });
});

describe('INV-12: exactly once', () => {
  /** A step in which `node` applied these entries; the states do not change (only what was applied is checked here). */
  const appliedBy = (c: ClusterState, node: NodeId, applied: AppliedEntry[]): ClusterStep => ({ state: c, node, sent: [], applied, replies: [], rules: [] });
  const put1 = { op: 'put', key: 'x', value: '1', client: 'c1', seq: 1 };

  it('INV-12: one (client, seq) executed at two different indexes is reported with both servers', () => {
    const c0 = initCluster(SERVERS);
    const checker = new InvariantChecker(c0);
    expect(checker.check(c0, appliedBy(c0, 's1', [{ index: 2, term: 1, command: put1, result: null, duplicate: false }]), 1, SOME_EVENT)).toEqual([]);
    const again = appliedBy(c0, 's2', [{ index: 5, term: 2, command: { ...put1, value: '2' }, result: null, duplicate: false }]);
    expect(found(checker.check(c0, again, 2, SOME_EVENT))).toEqual([['INV-12', ['s1', 's2']]]);
  });

  it('INV-12: a duplicate answered from the client table, the same index applied again, other clients and commands without a session are fine', () => {
    const c0 = initCluster(SERVERS);
    const checker = new InvariantChecker(c0);
    expect(checker.check(c0, appliedBy(c0, 's1', [
      { index: 1, term: 1, command: put1, result: null, duplicate: false },
      { index: 2, term: 1, command: put1, result: null, duplicate: true }, // CLI-2: a retry, not executed
      { index: 3, term: 1, command: { ...put1, client: 'c2' }, result: null, duplicate: false },
      { index: 4, term: 1, command: { ...put1, seq: 2 }, result: null, duplicate: false },
      { index: 5, term: 1, command: { op: 'put', key: 'x', value: '1' }, result: null, duplicate: false },
      { index: 6, term: 1, command: { op: 'put', key: 'x', value: '1' }, result: null, duplicate: false },
    ]), 1, SOME_EVENT)).toEqual([]);
    // A restarted server rebuilding its state machine executes index 1 again: the same index.
    expect(checker.check(c0, appliedBy(c0, 's2', [{ index: 1, term: 1, command: put1, result: null, duplicate: false }]), 2, SOME_EVENT)).toEqual([]);
  });

  it('INV-12: a client retrying through a new leader executes once: the second copy is a duplicate, and nothing is reported', () => {
    // s1 leads term 1 and commits c1's put; s2 leads term 2 and the client retries there (same seq).
    const c0 = initCluster(SERVERS);
    const checker = new InvariantChecker(c0);
    let c = c0;
    const violations: Violation[] = [];
    let n = 0;
    const apply = (ev: Event) => {
      const r = applyEvent(c, ev);
      if ('error' in r) throw new Error(r.error);
      violations.push(...checker.check(c, r, ++n, ev));
      c = r.state;
      return r;
    };
    const deliverAll = () => { for (let m = inFlight(c)[0]; m; m = inFlight(c)[0]) apply({ type: 'deliver', message: m }); };
    apply({ type: 'electionTimeout', node: 's1' }); deliverAll();
    apply({ type: 'clientRequest', node: 's1', command: put1 }); deliverAll();
    apply({ type: 'heartbeatTimeout', node: 's1' }); deliverAll();
    apply({ type: 'electionTimeout', node: 's2' }); deliverAll();
    const retry = apply({ type: 'clientRequest', node: 's2', command: put1 });
    expect(retry.replies).toEqual([]);
    deliverAll();
    apply({ type: 'heartbeatTimeout', node: 's2' }); deliverAll();
    expect(violations).toEqual([]);
    const s3 = c.nodes.s3 as NodeState;
    expect(s3.log.toArray()).toEqual([e(1, put1), e(2, put1)]);
    expect(s3.lastApplied).toBe(2);
    expect(s3.machine).toEqual({ data: { x: '1' }, sessions: { c1: { seq: 1, result: null } } });
  });
});

describe('INV-10, INV-11 and compacted logs (§7)', () => {
  const put = (key: string, value: string) => ({ op: 'put', key, value });
  const ap = (index: number, term: number, command: unknown): AppliedEntry => ({ index, term, command, result: null, duplicate: false });
  /** The violations of one step in which `id` goes to `next`, from an initial state that breaks nothing. */
  function after(initial: Record<NodeId, Observation>, id: NodeId, next: Observation, applied: AppliedEntry[] = [], event: Event = SOME_EVENT): Array<[string, NodeId[]]> {
    const c0 = initCluster(SERVERS, undefined, initial);
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    return found(checker.check(c0, stepTo(c0, id, next, applied), 1, event));
  }
  const log3 = [e(1, put('x', '1')), e(1, put('x', '2')), e(1, put('y', '3'))];

  it('INV-10: entries applied in order from lastApplied + 1, ending at the new lastApplied, are fine', () => {
    const from = { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 1, machine: { data: { x: '1' }, sessions: {} } };
    const to = { ...from, lastApplied: 3, machine: { data: { x: '2', y: '3' }, sessions: {} } };
    expect(after({ s1: from }, 's1', to, [ap(2, 1, put('x', '2')), ap(3, 1, put('y', '3'))])).toEqual([]);
  });

  it('INV-10: an entry applied past a gap is reported', () => {
    const from = { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 1 };
    expect(after({ s1: from }, 's1', { ...from, lastApplied: 3 }, [ap(3, 1, put('y', '3'))])).toEqual([['INV-10', ['s1']]]);
  });

  it('INV-10: an entry applied twice is reported', () => {
    const from = { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 2 };
    expect(after({ s1: from }, 's1', { ...from, lastApplied: 2 }, [ap(2, 1, put('x', '2'))])).toEqual([['INV-10', ['s1']]]);
  });

  it('INV-10: lastApplied moving without entries applied and without a snapshot installed is reported, forward or back', () => {
    const from = { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 1 };
    expect(after({ s1: from }, 's1', { ...from, lastApplied: 3 })).toEqual([['INV-10', ['s1']]]);
    expect(after({ s1: { ...from, lastApplied: 3 } }, 's1', { ...from, lastApplied: 1 })).toEqual([['INV-10', ['s1']]]);
  });

  it('INV-10: a snapshot install (IS-8) moves lastApplied forward to the snapshot without applying entries: fine', () => {
    const initial = {
      s1: { currentTerm: 2, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1, lastApplied: 1 },
      s2: { currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(2, 'c'), e(2, 'd')], commitIndex: 4, lastApplied: 4 },
    };
    expect(after(initial, 's1', { currentTerm: 2, snapshotIndex: 4, snapshotTerm: 2, log: [], commitIndex: 4, lastApplied: 4 })).toEqual([]);
  });

  it('INV-10: a restart moves lastApplied to snapshotIndex; a restart that leaves it elsewhere is reported', () => {
    const from = { currentTerm: 1, snapshotIndex: 1, snapshotTerm: 1, snapshotMachine: { data: { x: '1' }, sessions: {} }, log: log3.slice(1), commitIndex: 3, lastApplied: 3 };
    const crash: Event = { type: 'crash', node: 's1' };
    expect(after({ s1: from }, 's1', { ...from, commitIndex: 1, lastApplied: 1 }, [], crash)).toEqual([]);
    expect(after({ s1: from }, 's1', { ...from, commitIndex: 3, lastApplied: 3, machine: { data: { x: '2', y: '3' }, sessions: {} } }, [], crash)).toEqual([['INV-10', ['s1']]]);
  });

  it('INV-11: a snapshot whose lastIncludedTerm is not the term of the committed entry at its index is reported (its prefix then differs from the committed one too: INV-9)', () => {
    const initial = {
      s1: { currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(2, 'c')], commitIndex: 3, lastApplied: 3 },
      s2: { currentTerm: 2, log: [e(1, 'a'), e(1, 'b')] },
    };
    expect(after(initial, 's2', { currentTerm: 2, snapshotIndex: 2, snapshotTerm: 2, log: [], commitIndex: 2, lastApplied: 2 }))
      .toEqual([['INV-9', ['s2']], ['INV-11', ['s2']]]);
  });

  it('INV-11: a snapshot through an index nothing committed is reported (with INV-3: commitIndex is below it)', () => {
    const initial = { s1: { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1, lastApplied: 1 } };
    expect(after(initial, 's1', { currentTerm: 1, snapshotIndex: 2, snapshotTerm: 1, log: [], commitIndex: 1, lastApplied: 1 }))
      .toEqual([['INV-3', ['s1']], ['INV-11', ['s1']]]);
  });

  describe('INV-11: state machines at snapshot indexes', () => {
    const M_X1 = { data: { x: '1' }, sessions: {} };
    const M_X2_Y3 = { data: { x: '2', y: '3' }, sessions: {} };
    /** Three servers holding log3, all committed; s1 and s2 applied it all, s3 nothing yet. */
    const initial = {
      s1: { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 3, machine: M_X2_Y3 },
      s2: { currentTerm: 1, log: log3, commitIndex: 3, lastApplied: 3, machine: M_X2_Y3 },
      s3: { currentTerm: 1, log: log3, commitIndex: 3 },
    };
    /** Server `id` compacted through index 1 with this state machine. */
    const compacted = (id: NodeId, snapshotMachine: Observation['snapshotMachine']): Observation =>
      ({ ...initial[id as 's1'], snapshotIndex: 1, snapshotTerm: 1, snapshotMachine, log: log3.slice(1) });

    function checkerAt(): { checker: InvariantChecker; c0: ClusterState } {
      const c0 = initCluster(SERVERS, undefined, initial);
      const checker = new InvariantChecker(c0);
      expect(checker.takeInitialViolations()).toEqual([]);
      return { checker, c0 };
    }

    it('INV-11: two servers snapshotting one index with the same state machine is fine; with different ones it is reported with both', () => {
      const { checker, c0 } = checkerAt();
      const r1 = stepTo(c0, 's1', compacted('s1', M_X1));
      expect(checker.check(c0, r1, 1, SOME_EVENT)).toEqual([]);
      const same = stepTo(r1.state, 's2', compacted('s2', { data: { x: '1' }, sessions: {} }));
      expect(checker.check(r1.state, same, 2, SOME_EVENT)).toEqual([]);
      const { checker: checker2, c0: d0 } = checkerAt();
      const d1 = stepTo(d0, 's1', compacted('s1', M_X1));
      checker2.check(d0, d1, 1, SOME_EVENT);
      const other = stepTo(d1.state, 's2', compacted('s2', { data: { x: '5' }, sessions: {} }));
      expect(found(checker2.check(d1.state, other, 2, SOME_EVENT))).toEqual([['INV-11', ['s1', 's2']]]);
    });

    it('INV-11: a snapshot through lastApplied whose state machine is not the server\'s own is reported', () => {
      const { checker, c0 } = checkerAt();
      const bad = { ...initial.s1, snapshotIndex: 3, snapshotTerm: 1, snapshotMachine: { data: { x: '2', y: '4' }, sessions: {} }, log: [] };
      expect(found(checker.check(c0, stepTo(c0, 's1', bad), 1, SOME_EVENT))).toEqual([['INV-11', ['s1']]]);
    });

    it('INV-11: a server whose lastApplied lands on a snapshot index with another state machine is reported; with the same one it is fine', () => {
      const { checker, c0 } = checkerAt();
      const r1 = stepTo(c0, 's1', compacted('s1', M_X1));
      checker.check(c0, r1, 1, SOME_EVENT);
      const good = stepTo(r1.state, 's3', { ...initial.s3, lastApplied: 1, machine: { data: { x: '1' }, sessions: {} } }, [ap(1, 1, put('x', '1'))]);
      expect(checker.check(r1.state, good, 2, SOME_EVENT)).toEqual([]);
      const bad = stepTo(r1.state, 's3', { ...initial.s3, lastApplied: 1, machine: { data: { x: '7' }, sessions: {} } }, [ap(1, 1, put('x', '1'))]);
      expect(found(checker.check(r1.state, bad, 3, SOME_EVENT))).toEqual([['INV-11', ['s1', 's3']]]);
    });

    it('INV-11: a wrong snapshot is caught by a server whose applied entries pass over its index (the state machine there is rebuilt)', () => {
      const { checker, c0 } = checkerAt();
      const r1 = stepTo(c0, 's1', compacted('s1', { data: { x: '9' }, sessions: {} }));
      expect(checker.check(c0, r1, 1, SOME_EVENT)).toEqual([]);
      // s3 applies 1..3 in one step: after index 1 its state machine is x = "1", not the snapshot's x = "9".
      const pass = stepTo(r1.state, 's3', { ...initial.s3, lastApplied: 3, machine: M_X2_Y3 }, [ap(1, 1, put('x', '1')), ap(2, 1, put('x', '2')), ap(3, 1, put('y', '3'))]);
      expect(found(checker.check(r1.state, pass, 2, SOME_EVENT))).toEqual([['INV-11', ['s1', 's3']]]);
    });
  });

  it('INV-3: snapshotIndex above lastApplied is reported', () => {
    const initial = { s1: { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 2, lastApplied: 1 } };
    expect(after(initial, 's1', { currentTerm: 1, snapshotIndex: 2, snapshotTerm: 1, log: [], commitIndex: 2, lastApplied: 1 })).toEqual([['INV-3', ['s1']]]);
  });

  it('INV-5: the first entry after a snapshot of a term below snapshotTerm is reported', () => {
    const initial = { s1: { currentTerm: 3, log: [e(3, 'a')], commitIndex: 1, lastApplied: 1 } };
    expect(after(initial, 's1', { currentTerm: 3, snapshotIndex: 1, snapshotTerm: 3, log: [e(2, 'b')], commitIndex: 1, lastApplied: 1 })).toEqual([['INV-5', ['s1']]]);
  });

  it('SAFE-3 across compacted logs: a compacted log agrees with a full log of the same entries; a different prefix under one (index, term) is reported', () => {
    const c0 = initCluster(SERVERS, undefined, {
      s1: { currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(2, 'c')], commitIndex: 2, lastApplied: 2 },
      s2: { currentTerm: 2, snapshotIndex: 2, snapshotTerm: 1, log: [e(2, 'c')], commitIndex: 2, lastApplied: 2 },
    });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    const same = stepTo(c0, 's3', { currentTerm: 2, snapshotIndex: 1, snapshotTerm: 1, log: [e(1, 'b'), e(2, 'c')], commitIndex: 1, lastApplied: 1 });
    expect(checker.check(c0, same, 1, SOME_EVENT)).toEqual([]);
    // Entry 3 is (term 2, 'c') as on s1 and s2, but entry 2 before it differs.
    const differs = stepTo(same.state, 's3', { currentTerm: 2, snapshotIndex: 1, snapshotTerm: 1, log: [e(2, 'x'), e(2, 'c')], commitIndex: 1, lastApplied: 1 });
    expect(found(checker.check(same.state, differs, 2, SOME_EVENT))).toEqual([['SAFE-3', ['s3', 's1', 's2']]]);
  });

  it('INV-10, INV-11: a run with snapshots, a crashed follower caught up by InstallSnapshot, and more snapshots reports nothing', () => {
    const c0 = initCluster(SERVERS);
    const checker = new InvariantChecker(c0);
    const violations = [...checker.takeInitialViolations()];
    const rules: string[] = [];
    let c = c0;
    let n = 0;
    const apply = (ev: Event) => {
      const r = applyEvent(c, ev);
      if ('error' in r) throw new Error(r.error);
      violations.push(...checker.check(c, r, ++n, ev));
      rules.push(...r.rules);
      c = r.state;
    };
    const deliverAll = () => { for (let m = inFlight(c)[0]; m; m = inFlight(c)[0]) apply({ type: 'deliver', message: m }); };
    apply({ type: 'electionTimeout', node: 's1' }); deliverAll();
    apply({ type: 'crash', node: 's3' });
    apply({ type: 'clientRequest', node: 's1', command: put('x', '1') }); deliverAll();
    apply({ type: 'clientRequest', node: 's1', command: put('y', '2') }); deliverAll();
    apply({ type: 'heartbeatTimeout', node: 's1' }); deliverAll();
    apply({ type: 'snapshot', node: 's1' });
    apply({ type: 'restart', node: 's3' });
    apply({ type: 'heartbeatTimeout', node: 's1' }); deliverAll(); // SNAP-2: s3 needs entries 1..2, compacted
    apply({ type: 'clientRequest', node: 's1', command: { op: 'append', key: 'x', value: 'z' } }); deliverAll();
    apply({ type: 'heartbeatTimeout', node: 's1' }); deliverAll();
    for (const id of SERVERS) apply({ type: 'snapshot', node: id });
    expect(violations).toEqual([]);
    expect(rules).toEqual(expect.arrayContaining(['SNAP-1', 'SNAP-2', 'IS-5', 'IS-7', 'IS-8', 'SNAP-3']));
    for (const id of SERVERS) {
      const s = toJson(c.nodes[id] as NodeState);
      expect(s.snapshotIndex).toBe(3);
      expect(s.log).toEqual([]);
      expect(s.lastApplied).toBe(3);
      expect(s.machine).toEqual({ data: { x: '1z', y: '2' }, sessions: {} });
      expect(s.snapshotMachine).toEqual({ data: { x: '1z', y: '2' }, sessions: {} });
    }
  });
});

describe('INV-13: a restarted server rebuilds the state machine it had at the crash', () => {
  const put = (key: string, value: string) => ({ op: 'put', key, value });
  const ap = (index: number, term: number, command: unknown): AppliedEntry => ({ index, term, command, result: null, duplicate: false });
  const log = [e(1, put('x', '1')), e(1, put('x', '2'))];
  const M2 = { data: { x: '2' }, sessions: {} };
  const CRASH: Event = { type: 'crash', node: 's1' };
  /** s1 crashes with lastApplied 2, restarts, then applies 1 and 2 again reaching `rebuilt`; the violations of that last step. */
  function replayAfterCrash(rebuilt: Observation['machine'], applied: AppliedEntry[]): Array<[string, NodeId[]]> {
    const before = { currentTerm: 1, log, commitIndex: 2, lastApplied: 2, machine: M2 };
    const c0 = initCluster(SERVERS, undefined, { s1: before });
    const checker = new InvariantChecker(c0);
    expect(checker.takeInitialViolations()).toEqual([]);
    const crashed = stepTo(c0, 's1', { currentTerm: 1, log });
    expect(found(checker.check(c0, crashed, 1, CRASH))).toEqual([]);
    const again = stepTo(crashed.state, 's1', { currentTerm: 1, log, commitIndex: 2, lastApplied: 2, machine: rebuilt }, applied);
    return found(checker.check(crashed.state, again, 2, SOME_EVENT));
  }

  it('INV-13: applying the log again gives the state machine of before the crash: fine', () => {
    expect(replayAfterCrash(M2, [ap(1, 1, put('x', '1')), ap(2, 1, put('x', '2'))])).toEqual([]);
  });

  it('INV-13: a different state machine at the crash\'s lastApplied is reported', () => {
    expect(replayAfterCrash({ data: { x: '1' }, sessions: {} }, [ap(1, 1, put('x', '1')), ap(2, 1, put('x', '2'))])).toEqual([['INV-13', ['s1']]]);
  });
});

describe('INV-14: no two disjoint deciding quorums (docs/membership.md)', () => {
  const FIVE: readonly NodeId[] = ['s1', 's2', 's3', 's4', 's5'];
  const BOOTSTRAP = { voters: ['s1', 's2', 's3', 's4'] };
  const C1 = { voters: ['s1', 's2', 's3', 's4', 's5'] }; // s1 adds s5 in term 1 (CFG-7)
  const C2 = { voters: ['s2', 's3', 's4'] }; // s2 removes s1 in term 2
  const cfg = (term: number, config: { voters: string[] }) => ({ term, command: null, config });
  const progress = (self: NodeId, peers: readonly NodeId[], next: number) => ({
    nextIndex: Object.fromEntries(peers.filter((p) => p !== self).map((p) => [p, next])),
    matchIndex: Object.fromEntries(peers.filter((p) => p !== self).map((p) => [p, 0])),
  });

  it('INV-14: the 2015 single-server bug: s1 elected in term 3 under its 5-server configuration while s2, leader of term 2, still has s3 under its 3-server one', () => {
    // s2 appended C2 before committing an entry of term 2 (the guard of CFG-7 removed) and s3 holds it;
    // s4 and s5 voted for s1 in term 3; s1's log, with C1 of term 1, is as up-to-date as theirs.
    const c0 = initCluster(FIVE, undefined, {
      s1: { role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's4', 's5'], log: [cfg(1, C1)] },
      s2: { role: 'leader', currentTerm: 2, votedFor: 's2', votesGranted: ['s2', 's3', 's4'], log: [cfg(2, C2)], ...progress('s2', C2.voters, 1) },
      s3: { currentTerm: 2, votedFor: 's2', log: [cfg(2, C2)] },
      s4: { currentTerm: 3, votedFor: 's1' },
      s5: { currentTerm: 3, votedFor: 's1', log: [cfg(1, C1)] },
    }, BOOTSTRAP);
    const checker = new InvariantChecker(c0);
    const elected = { role: 'leader' as const, currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's4', 's5'], log: [cfg(1, C1)], ...progress('s1', C1.voters, 2) };
    expect(found(checker.check(c0, stepTo(c0, 's1', elected), 1, SOME_EVENT))).toEqual([['INV-14', ['s2', 's1']]]);
  });

  it('INV-14: with the fix, s2 appends C2 only after committing an entry of term 2 on s3 and s4; s1, still leader of term 1 under C1, has only s5 at its term, so nothing is reported', () => {
    const noop = { term: 2, command: null };
    const c0 = initCluster(FIVE, undefined, {
      s1: { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], log: [cfg(1, C1)], ...progress('s1', C1.voters, 2) },
      s2: { role: 'leader', currentTerm: 2, votedFor: 's2', votesGranted: ['s2', 's3', 's4'], log: [noop], commitIndex: 1, lastApplied: 1, ...progress('s2', BOOTSTRAP.voters, 2) },
      s3: { currentTerm: 2, votedFor: 's2', log: [noop], commitIndex: 1, lastApplied: 1 },
      s4: { currentTerm: 2, votedFor: 's2', log: [noop], commitIndex: 1, lastApplied: 1 },
      s5: { currentTerm: 1, votedFor: 's1', log: [cfg(1, C1)] },
    }, BOOTSTRAP);
    const checker = new InvariantChecker(c0);
    const appended = { role: 'leader' as const, currentTerm: 2, votedFor: 's2', votesGranted: ['s2', 's3', 's4'], log: [noop, cfg(2, C2)], commitIndex: 1, lastApplied: 1, ...progress('s2', C2.voters, 2) };
    expect(checker.check(c0, stepTo(c0, 's2', appended), 1, SOME_EVENT)).toEqual([]);
  });

  it('INV-14: a leader of an older term that a newer election did not reach (two of three servers still at its term) is reported when the newer one takes office', () => {
    // A hand-built state no correct run reaches: s3 became leader of term 2 without anyone's vote.
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 1), s2: { currentTerm: 1, votedFor: 's1' }, s3: { currentTerm: 2, votedFor: 's3' } });
    const checker = new InvariantChecker(c0);
    expect(found(checker.check(c0, stepTo(c0, 's3', leader('s3', 2)), 1, SOME_EVENT))).toEqual([['INV-14', ['s1', 's3']]]);
  });

  it('INV-6: a leader keeping progress for a server outside its configuration is reported (DEC-15)', () => {
    const c0 = initCluster(FIVE, undefined, { s1: { currentTerm: 1 } }, { voters: ['s1', 's2', 's3'] });
    const checker = new InvariantChecker(c0);
    const bad = { role: 'leader' as const, currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 1, s4: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0 } };
    expect(found(checker.check(c0, stepTo(c0, 's1', bad), 1, SOME_EVENT))).toEqual([['INV-6', ['s1', 's4']]]);
  });
});
