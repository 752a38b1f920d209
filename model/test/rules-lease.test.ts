// Lease reads (LR-1 .. LR-3, docs/compaction-and-clients.md). Each test: given this state and this
// input, expect this state, these messages, these replies and these rules, written by hand; every
// step also goes through the statechart, which must agree with the reducer.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, Entry, NodeId, Observation } from '../../spec/schema.js';
import { type NodeInput } from '../node.js';
import { type Env, type NodeState, leaderView } from '../state.js';
import { THREE, e, envOf, st, stepBoth } from './fixtures.js';

/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

const LEASE: Env = envOf('s1', THREE, 1, false, { leaseReads: true });
const NO_LEASE: Env = envOf('s1', THREE, 1, false);
const a = e(1, { op: 'put', key: 'x', value: '1' });
const b = e(2, null); // s1's no-op of term 2
const M = { data: { x: '1' }, sessions: {} };
const ae = (to: NodeId, more: Partial<AppendEntries> = {}): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [] as Entry[], leaderCommit: 2, ...more });
const aer = (from: NodeId, readRound: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 2, readRound });
/** s1, leader of term 2, has committed and applied its no-op (index 2). */
const leader = (o: Observation = {}): NodeState => st({
  role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [a, b],
  commitIndex: 2, lastApplied: 2, machine: M, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 }, ...o,
});
const READ: NodeInput = { type: 'clientRead', client: 'c1', seq: 1, key: 'x' };

describe('LR-1 .. LR-3: lease reads', () => {
  it('LR-1: with leaseReads every heartbeat is a read round: readRound goes up and every AppendEntries carries it', () => {
    const r = run(LEASE, leader(), { type: 'heartbeatTimeout' });
    expect(leaderView(r.state).readRound).toBe(1);
    expect(r.sent).toEqual([ae('s2', { readRound: 1 }), ae('s3', { readRound: 1 })]);
    expect(r.rules).toEqual(['LR-1', 'LEA-1']);
    // Without the option a heartbeat is no round.
    const plain = run(NO_LEASE, leader(), { type: 'heartbeatTimeout' });
    expect(leaderView(plain.state).readRound).toBe(0);
    expect(plain.sent).toEqual([ae('s2'), ae('s3')]);
  });

  it('LR-2: a round acknowledged by a majority gives a lease: a read is answered at once at commitIndex, with no round of its own', () => {
    const beat = run(LEASE, leader(), { type: 'heartbeatTimeout' });
    const acked = run(LEASE, beat.state, aer('s2', 1));
    const r = run(LEASE, acked.state, READ);
    expect(r.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 2, result: '1' }]);
    expect(r.sent).toEqual([]);
    expect(leaderView(r.state).readRound).toBe(1);
    expect(r.rules).toEqual(['LR-2', 'CLI-4']);
  });

  it('LR-2: without a majority for a round since the last election timeout there is no lease: the read starts a round (CLI-4)', () => {
    const beat = run(LEASE, leader(), { type: 'heartbeatTimeout' });
    const r = run(LEASE, beat.state, READ);
    expect(r.replies).toEqual([]);
    expect(leaderView(r.state).readRound).toBe(2);
    expect(r.sent).toEqual([ae('s2', { readRound: 2 }), ae('s3', { readRound: 2 })]);
    expect(leaderView(r.state).pendingReads).toEqual([{ client: 'c1', seq: 1, key: 'x', readIndex: 2, round: 2 }]);
  });

  it('LR-2: no lease before the leader has committed an entry of its term, nor while it transfers leadership', () => {
    // The no-op (index 2) is not committed: s2 acknowledges round 1 on a response that matches index 1 only.
    const pending = leader({ commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const beat = run(LEASE, pending, { type: 'heartbeatTimeout' });
    const ackOld: AppendEntriesResponse = { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 1, readRound: 1 };
    const acked = run(LEASE, beat.state, ackOld);
    expect(acked.state.commitIndex).toBe(1);
    const uncommitted = run(LEASE, acked.state, READ);
    expect(uncommitted.replies).toEqual([]);
    expect(uncommitted.rules).not.toContain('LR-2');
    const transferring = run(LEASE, run(LEASE, run(LEASE, leader({ transferee: 's3' }), { type: 'heartbeatTimeout' }).state, aer('s2', 1)).state, READ);
    expect(transferring.replies).toEqual([]);
    expect(transferring.rules).not.toContain('LR-2');
  });

  it('LR-3: the leader\'s election timeout ends the lease: the next read needs a round again', () => {
    const acked = run(LEASE, run(LEASE, leader(), { type: 'heartbeatTimeout' }).state, aer('s2', 1));
    const timeout = run(LEASE, acked.state, { type: 'electionTimeout' });
    expect(timeout.state.role).toBe('leader');
    expect(leaderView(timeout.state).leaseFloor).toBe(1);
    expect(timeout.rules).toEqual(['LR-3']);
    const r = run(LEASE, timeout.state, READ);
    expect(r.replies).toEqual([]);
    expect(r.rules).not.toContain('LR-2');
    // A later heartbeat round acknowledged by a majority gives a new lease.
    const renewed = run(LEASE, run(LEASE, r.state, { type: 'heartbeatTimeout' }).state, aer('s3', 3));
    expect(renewed.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 2, result: '1' }]);
  });

  it('LR-2: a leader that sent a TimeoutNow holds no lease for the rest of its term, even once LT-5 abandoned the transfer', () => {
    const env = envOf('s1', THREE, 1, false, { leaseReads: true, leadershipTransfer: true });
    const sent = run(env, leader(), { type: 'transferLeadership', target: 's2' });
    expect(sent.sent).toEqual([{ type: 'TimeoutNow', from: 's1', to: 's2', term: 2 }]);
    const abandoned = run(env, sent.state, { type: 'electionTimeout' });
    expect(leaderView(abandoned.state).transferee).toBe(null);
    const acked = run(env, run(env, abandoned.state, { type: 'heartbeatTimeout' }).state, aer('s3', 1));
    const r = run(env, acked.state, READ);
    expect(r.replies).toEqual([]);
    expect(r.rules).not.toContain('LR-2');
  });

  it('LR-2 on a single server: the lease is always held', () => {
    const env = envOf('s1', ['s1'], 1, false, { leaseReads: true });
    const s = st({ role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], leaderId: 's1', log: [a, b], commitIndex: 2, lastApplied: 2, machine: M });
    const r = run(env, s, READ);
    expect(r.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 2, result: '1' }]);
    expect(r.rules).toEqual(['LR-2', 'CLI-4']);
  });

  it('LR-2 with CFG-6: leaseReads turns the disruption guard on: a follower that heard from its leader drops a RequestVote of a newer term', () => {
    const env = envOf('s2', THREE, 1, false, { leaseReads: true });
    const s = st({ currentTerm: 2, leaderId: 's1', heardFromLeader: true, log: [a, b] });
    const r = run(env, s, { type: 'RequestVote', from: 's3', to: 's2', term: 3, candidateId: 's3', lastLogIndex: 2, lastLogTerm: 2 });
    expect(r.state.currentTerm).toBe(2);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['CFG-6']);
  });
});
