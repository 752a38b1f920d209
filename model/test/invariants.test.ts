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
    const c0 = initCluster(SERVERS, undefined, { s1: leader('s1', 2), s3: { currentTerm: 2 } });
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
    expect(violations({ currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1 }, { currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 1, lastApplied: 2 }))
      .toEqual([['INV-3', ['s1']]]);
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
