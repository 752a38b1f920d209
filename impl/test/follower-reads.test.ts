// Follower reads in the implementation (docs/follower-reads.md, FR-1 .. FR-4): any server answers
// a read from its applied state unless it is behind the client's `after`, and a sync goes through
// the leader's ReadIndex queue as a read of no key. Given this state and this input, expect these
// replies, messages and state, written out by hand.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../spec/schema.js';
import { RaftNode } from '../index.js';
import { aer, S3, server } from './helpers.js';

const FR = { followerReads: true };
const put = (key: string, value: string) => ({ op: 'put', key, value });
const LOG = [{ term: 1, command: put('k', 'a') }, { term: 2, command: put('k', 'b') }];

/** s2, follower of s1 in term 2: both entries held, only the first committed and applied. */
const follower = (state: Observation = {}, options: object = FR) => server('s2', {
  currentTerm: 2, votedFor: 's1', leaderId: 's1', log: LOG, commitIndex: 1, lastApplied: 1, machine: { data: { k: 'a' }, sessions: {} }, ...state,
}, S3, options);

/** s1, leader of term 2: both entries committed and applied (index 2 is of its term). */
const leader = (state: Observation = {}, options: object = FR) => server('s1', {
  role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: LOG,
  commitIndex: 2, lastApplied: 2, machine: { data: { k: 'b' }, sessions: {} }, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 }, ...state,
}, S3, options);

const read = (after?: number, key = 'k') => ({ type: 'clientRead' as const, client: 'c', seq: 3, key, ...(after === undefined ? {} : { after }) });
const SYNC = { type: 'clientSync' as const, client: 'c', seq: 4 };
const heartbeatTo = (to: string, readRound?: number) => ({
  type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 2,
  ...(readRound === undefined ? {} : { readRound }),
});

describe('FR-1: answer from the applied state', () => {
  it('a follower answers at once with index = lastApplied (1) and the value applied there, sends nothing (FR-1)', () => {
    const s2 = follower();
    const ready = s2.step(read());
    expect(ready.replies).toEqual([{ type: 'read', node: 's2', client: 'c', seq: 3, key: 'k', index: 1, result: 'a' }]);
    expect(ready.messages).toEqual([]);
    expect(s2.lastApplied).toBe(1);
    expect(s2.commitIndex).toBe(1);
  });

  it('a read whose after the follower has applied through is answered; an absent key is null (FR-1, FR-4)', () => {
    expect(follower().step(read(1)).replies).toEqual([{ type: 'read', node: 's2', client: 'c', seq: 3, key: 'k', index: 1, result: 'a' }]);
    expect(follower().step(read(0, 'zz')).replies).toEqual([{ type: 'read', node: 's2', client: 'c', seq: 3, key: 'zz', index: 1, result: null }]);
  });

  it('a leader answers from its state too: no ReadIndex round, nothing queued (FR-1)', () => {
    const s1 = leader();
    const ready = s1.step(read(2));
    expect(ready.replies).toEqual([{ type: 'read', node: 's1', client: 'c', seq: 3, key: 'k', index: 2, result: 'b' }]);
    expect(ready.messages).toEqual([]);
    expect(s1.pendingReadCount).toBe(0);
    // No round was used: the next heartbeat carries none.
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([heartbeatTo('s2'), heartbeatTo('s3')]);
  });
});

describe('FR-2: never behind the client', () => {
  it('a follower that has not applied through after (2) redirects, naming its leader, and changes nothing (FR-2)', () => {
    const s2 = follower();
    const ready = s2.step(read(2));
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c', seq: 3, leader: 's1' }]);
    expect(ready.messages).toEqual([]);
    expect(s2.lastApplied).toBe(1);
  });

  it('committed is not applied: under DEC-17b a follower committed through 2 but applied through 1 still redirects (FR-2)', () => {
    const s2 = server('s2', { currentTerm: 2, leaderId: 's1', log: LOG, commitIndex: 2, lastApplied: 1, machine: { data: { k: 'a' }, sessions: {} } }, S3, FR);
    expect(s2.step(read(2)).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c', seq: 3, leader: 's1' }]);
  });

  it('under DEC-23b a follower read is not forwarded: answered or redirected (FR-1, FR-2)', () => {
    const s2 = new RaftNode(
      { id: 's2', servers: S3, options: FR, profile: { 'DEC-23': ['b'] } },
      { currentTerm: 2, leaderId: 's1', log: LOG, commitIndex: 1, lastApplied: 1, machine: { data: { k: 'a' }, sessions: {} } },
    );
    const ready = s2.step(read(2));
    expect(ready.messages).toEqual([]);
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c', seq: 3, leader: 's1' }]);
  });

  it('without followerReads a follower redirects every read, its after ignored (CLI-1)', () => {
    expect(follower({}, {}).step(read(1)).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c', seq: 3, leader: 's1' }]);
  });
});

describe('FR-3: sync', () => {
  it('a sync on a leader gets read index = commitIndex and a round; the round confirmed, it is answered with a sync reply (FR-3, CLI-4)', () => {
    const s1 = leader();
    const first = s1.step(SYNC);
    expect(first.replies).toEqual([]);
    expect(first.messages).toEqual([heartbeatTo('s2', 1), heartbeatTo('s3', 1)]);
    expect(s1.pendingReadCount).toBe(1);
    const confirmed = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 2, readRound: 1 }));
    expect(confirmed.replies).toEqual([{ type: 'sync', node: 's1', client: 'c', seq: 4, index: 2 }]);
    expect(s1.pendingReadCount).toBe(0);
  });

  it('under a lease the sync is answered in its own step, with no round (FR-3, LR-2)', () => {
    const s1 = leader({}, { followerReads: true, leaseReads: true });
    s1.step({ type: 'heartbeatTimeout' });
    s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 2, readRound: 1 }));
    const ready = s1.step(SYNC);
    expect(ready.replies).toEqual([{ type: 'sync', node: 's1', client: 'c', seq: 4, index: 2 }]);
    expect(ready.messages).toEqual([]);
  });

  it('a sync on a follower is redirected to its leader (FR-3, CLI-1); without followerReads it has no effect (DEC-9)', () => {
    expect(follower().step(SYNC).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c', seq: 4, leader: 's1' }]);
    const plain = leader({}, {});
    const ready = plain.step(SYNC);
    expect(ready.replies).toEqual([]);
    expect(ready.messages).toEqual([]);
    expect(plain.pendingReadCount).toBe(0);
  });
});
