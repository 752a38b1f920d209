// Follower reads (FR-1 .. FR-4, docs/follower-reads.md): ZooKeeper's guarantees instead of
// linearizable reads. Each test: given this state and this input, expect this state, these
// messages, these replies and these rules, written by hand; every step also goes through the
// statechart, which must agree with the reducer (fixtures.ts stepBoth).
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, Entry, NodeId, Observation } from '../../spec/schema.js';
import type { NodeInput } from '../node.js';
import { type Env, type NodeState, leaderView, toJson } from '../state.js';
import { THREE, e, envOf, hidden, st, stepBoth } from './fixtures.js';

const run = stepBoth;

const FR: Env = envOf('s1', THREE, 1, false, { followerReads: true });
const FR2: Env = envOf('s2', THREE, 1, false, { followerReads: true });
const FR_LEASE: Env = envOf('s1', THREE, 1, false, { followerReads: true, leaseReads: true });
const PLAIN2: Env = envOf('s2', THREE, 1, false);
const PLAIN: Env = envOf('s1', THREE, 1, false);

const put = (key: string, value: string) => ({ op: 'put', key, value });
const a = e(1, put('x', '1'));
const b = e(2, put('x', '2'));

/** s2, follower of s1 in term 2: both entries in its log, only the first committed and applied. */
const follower = (o: Observation = {}): NodeState => st({
  role: 'follower', currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [a, b], commitIndex: 1, lastApplied: 1, machine: { data: { x: '1' }, sessions: {} }, ...o,
});
/** s1, leader of term 2, has committed and applied both entries (index 2 is of its term). */
const leader = (o: Observation = {}): NodeState => st({
  role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [a, b],
  commitIndex: 2, lastApplied: 2, machine: { data: { x: '2' }, sessions: {} }, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 }, ...o,
});

const read = (after?: number, key = 'x'): NodeInput => ({ type: 'clientRead', client: 'c1', seq: 4, key, ...(after === undefined ? {} : { after }) });
const SYNC: NodeInput = { type: 'clientSync', client: 'c1', seq: 5 };
const ae = (to: NodeId, readRound?: number): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [] as Entry[], leaderCommit: 2, ...(readRound === undefined ? {} : { readRound }) });
const aer = (from: NodeId, readRound: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 2, readRound });

/** The step changed no state at all: JSON form and hidden state (awaiting, reads, lease). */
function unchanged(before: NodeState, after: NodeState): void {
  expect(toJson(after)).toEqual(toJson(before));
  expect(hidden(after)).toEqual(hidden(before));
}

describe('FR-1 .. FR-4: follower reads', () => {
  it('FR-1: a follower answers a read at once from its applied state: index = lastApplied (1, not its commitIndex or log end), the value there; it sends nothing and changes nothing', () => {
    const s = follower();
    const r = run(FR2, s, read());
    expect(r.replies).toEqual([{ type: 'read', node: 's2', client: 'c1', seq: 4, key: 'x', index: 1, result: '1' }]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FR-1']);
    unchanged(s, r.state);
  });

  it('FR-1: a key never written reads as null; a candidate answers too', () => {
    const s = follower({ role: 'candidate', currentTerm: 3, votedFor: 's2', votesGranted: ['s2'], leaderId: null });
    const r = run(FR2, s, read(undefined, 'y'));
    expect(r.replies).toEqual([{ type: 'read', node: 's2', client: 'c1', seq: 4, key: 'y', index: 1, result: null }]);
    expect(r.rules).toEqual(['FR-1']);
    unchanged(s, r.state);
  });

  it('FR-1, FR-4: a read whose after (1) the follower has applied through is answered, citing the client\'s index', () => {
    const r = run(FR2, follower(), read(1));
    expect(r.replies).toEqual([{ type: 'read', node: 's2', client: 'c1', seq: 4, key: 'x', index: 1, result: '1' }]);
    expect(r.rules).toEqual(['FR-1', 'FR-4']);
  });

  it('FR-1: a leader answers from its applied state too, with no ReadIndex round (readRound stays 0, nothing queued, nothing sent)', () => {
    const s = leader();
    const r = run(FR, s, read(2));
    expect(r.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 4, key: 'x', index: 2, result: '2' }]);
    expect(r.sent).toEqual([]);
    expect(leaderView(r.state).readRound).toBe(0);
    expect(leaderView(r.state).pendingReads).toEqual([]);
    expect(r.rules).toEqual(['FR-1', 'FR-4']);
  });

  it('FR-2, FR-4: a follower that has not applied through the read\'s after (2 > lastApplied 1) does not answer from its state: a redirect naming its leader, nothing changed', () => {
    const s = follower();
    const r = run(FR2, s, read(2));
    expect(r.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 4, leader: 's1' }]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FR-2', 'CLI-1', 'FR-4']);
    unchanged(s, r.state);
  });

  it('FR-2: a follower behind that knows no leader redirects naming none; one whose commitIndex is high enough but has not applied is still behind (lastApplied counts)', () => {
    expect(run(FR2, follower({ leaderId: null }), read(2)).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 4, leader: null }]);
    // DEC-17b's state: committed through 2, applied through 1.
    expect(run(FR2, follower({ commitIndex: 2 }), read(2)).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 4, leader: 's1' }]);
  });

  it('FR-2: a new leader that has not yet applied what the client saw redirects naming itself (the client tries another server)', () => {
    const s = leader({ currentTerm: 3, log: [a, b, e(3, null)], commitIndex: 1, lastApplied: 1, machine: { data: { x: '1' }, sessions: {} }, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 0, s3: 0 } });
    const r = run(FR, s, read(2));
    expect(r.replies).toEqual([{ type: 'redirect', node: 's1', client: 'c1', seq: 4, leader: 's1' }]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FR-2', 'CLI-1', 'FR-4']);
    unchanged(s, r.state);
  });

  it('FR-2: under DEC-23b (proposals forwarded) a follower read is still answered or redirected, never forwarded', () => {
    const forwarding: Env = { ...FR2, decide: (p) => (p === 'DEC-23' ? 'b' : 'a') };
    expect(run(forwarding, follower(), read(2)).sent).toEqual([]);
    expect(run(forwarding, follower(), read(2)).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 4, leader: 's1' }]);
    expect(run(forwarding, follower(), read(1)).replies).toEqual([{ type: 'read', node: 's2', client: 'c1', seq: 4, key: 'x', index: 1, result: '1' }]);
  });

  it('FR-1: without followerReads the same read on a follower is redirected as before (CLI-1, DEC-9), its after ignored', () => {
    const r = run(PLAIN2, follower(), read(1));
    expect(r.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 4, leader: 's1' }]);
    expect(r.rules).toEqual(['CLI-1', 'DEC-9']);
  });

  it('FR-3: a sync on a leader is a read without a key: it gets read index = commitIndex (2) and a round; a majority acknowledging the round answers it with a sync reply at that index', () => {
    const r1 = run(FR, leader(), SYNC);
    expect(r1.replies).toEqual([]);
    expect(r1.sent).toEqual([ae('s2', 1), ae('s3', 1)]);
    expect(leaderView(r1.state).pendingReads).toEqual([{ client: 'c1', seq: 5, key: null, readIndex: 2, round: 1 }]);
    expect(r1.rules).toEqual(['FR-3', 'CLI-4', 'CLI-4']);
    const r2 = run(FR, r1.state, aer('s2', 1));
    expect(r2.replies).toEqual([{ type: 'sync', node: 's1', client: 'c1', seq: 5, index: 2 }]);
    expect(leaderView(r2.state).pendingReads).toEqual([]);
    expect(r2.rules.slice(-2)).toEqual(['CLI-4', 'FR-3']);
  });

  it('FR-3: a sync waits, with no round, until the leader has committed an entry of its term', () => {
    const s = leader({ currentTerm: 3, log: [a, b, e(3, null)], nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 0, s3: 0 } });
    const r = run(FR, s, SYNC);
    expect(r.replies).toEqual([]);
    expect(r.sent).toEqual([]);
    expect(leaderView(r.state).pendingReads).toEqual([{ client: 'c1', seq: 5, key: null, readIndex: null, round: 0 }]);
    expect(r.rules).toEqual(['FR-3', 'CLI-4']);
  });

  it('FR-3: under a lease (LR-2) a sync is answered at once, at commitIndex, with no round of its own', () => {
    const beat = run(FR_LEASE, leader(), { type: 'heartbeatTimeout' });
    const acked = run(FR_LEASE, beat.state, aer('s2', 1));
    const r = run(FR_LEASE, acked.state, SYNC);
    expect(r.replies).toEqual([{ type: 'sync', node: 's1', client: 'c1', seq: 5, index: 2 }]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FR-3', 'LR-2', 'CLI-4', 'FR-3']);
  });

  it('FR-3: a sync on a follower is redirected to the leader it knows (only a leader can confirm it); nothing changes', () => {
    const s = follower();
    const r = run(FR2, s, SYNC);
    expect(r.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 5, leader: 's1' }]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FR-3', 'CLI-1']);
    unchanged(s, r.state);
  });

  it('FR-3: without followerReads a sync has no effect on any role (DEC-9): no reply, nothing queued', () => {
    const l = leader();
    const r = run(PLAIN, l, SYNC);
    expect(r.replies).toEqual([]);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-9']);
    unchanged(l, r.state);
    expect(run(PLAIN2, follower(), SYNC).replies).toEqual([]);
  });

  it('FR-3: a leader that steps down drops its pending sync unanswered (CLI-4)', () => {
    const r1 = run(FR, leader(), SYNC);
    const newer: AppendEntriesResponse = { type: 'AppendEntriesResponse', from: 's3', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 2 };
    const r2 = run(FR, r1.state, newer);
    expect(r2.state.role).toBe('follower');
    expect(r2.replies).toEqual([]);
    expect(hidden(r2.state).pendingReads).toEqual([]);
  });

  it('FR-4: a read with after 0 is a read without after: no FR-4, the same answer', () => {
    const without = run(FR2, follower(), read());
    const zero = run(FR2, follower(), read(0));
    expect(zero.replies).toEqual(without.replies);
    expect(zero.rules).toEqual(['FR-1']);
  });
});
