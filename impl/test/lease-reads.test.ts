// Lease reads in the implementation (docs/compaction-and-clients.md, LR-1 .. LR-3): heartbeats are
// read rounds, a leader acknowledged by a majority since its last election timeout answers reads
// without a round of its own, the lease ends at its election timeout, and the option turns on the
// disruption guard (CFG-6). Given this state and this input, expect these replies, messages and
// state, written out by hand.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../spec/schema.js';
import { aer, entries, rv, S3, server } from './helpers.js';

const LEASE = { leaseReads: true };

/**
 * s1, leader of term 2 of S3 with leaseReads: its log holds x1 (term 1) and x2 (term 2), both
 * committed and applied (so it has committed an entry of its term), and both followers hold both.
 */
function leader(state: Observation = {}, options: object = LEASE) {
  return server('s1', {
    role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1',
    log: entries(1, 2), commitIndex: 2, lastApplied: 2, machine: { data: { k: 'v' }, sessions: {} },
    nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 }, ...state,
  }, S3, options);
}

const read = (seq: number, key = 'k') => ({ type: 'clientRead' as const, client: 'r', seq, key });
const heartbeatTo = (to: string, readRound?: number) => ({
  type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 2,
  ...(readRound === undefined ? {} : { readRound }),
});
/** s2's (or `from`'s) answer to the heartbeat of round `readRound`. */
const ack = (readRound: number, from = 's2') => aer({ from, term: 2, matchIndex: 2, prevLogIndex: 2, readRound });
const answer = (seq: number, result: string | null = 'v') => ({ type: 'read', node: 's1', client: 'r', seq, key: 'k', index: 2, result });

describe('LR-1: heartbeats are rounds', () => {
  it('each heartbeat timeout of a leader increments readRound before it sends, so its AppendEntries carry the new round (LR-1)', () => {
    const s1 = leader();
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([heartbeatTo('s2', 1), heartbeatTo('s3', 1)]);
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([heartbeatTo('s2', 2), heartbeatTo('s3', 2)]);
  });

  it('without leaseReads a heartbeat starts no round: no readRound on the wire (LR-1, CLI-4)', () => {
    const s1 = leader({}, {});
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([heartbeatTo('s2'), heartbeatTo('s3')]);
  });

  it('a heartbeat timeout on a follower starts no round and sends nothing (LR-1, DEC-9)', () => {
    const s2 = server('s2', { currentTerm: 2, leaderId: 's1' }, S3, LEASE);
    expect(s2.step({ type: 'heartbeatTimeout' }).messages).toEqual([]);
  });
});

describe('LR-2: serve under the lease', () => {
  it('once a majority acknowledged a heartbeat round, a read is answered in its own step, with no round (LR-2)', () => {
    const s1 = leader();
    s1.step({ type: 'heartbeatTimeout' }); // round 1
    expect(s1.step(ack(1)).replies).toEqual([]); // s1 and s2: a majority of 3, the lease holds
    const ready = s1.step(read(1));
    expect(ready.replies).toEqual([answer(1)]);
    expect(ready.messages).toEqual([]); // no round started for it
    expect(s1.pendingReadCount).toBe(0);
    // No round was used up: the next heartbeat is round 2.
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([heartbeatTo('s2', 2), heartbeatTo('s3', 2)]);
  });

  it('a rejection acknowledges the round as well: it gives the lease (LR-2, CLI-4)', () => {
    const s1 = leader();
    s1.step({ type: 'heartbeatTimeout' });
    s1.step(aer({ from: 's3', term: 2, success: false, prevLogIndex: 2, readRound: 1 }));
    expect(s1.step(read(1)).replies).toEqual([answer(1)]);
  });

  it('without the lease a read goes through a round of its own (ordinary CLI-4), answered once a majority acknowledges it (LR-2, CLI-4)', () => {
    const s1 = leader();
    const r1 = s1.step(read(1)); // no round acknowledged yet: no lease
    expect(r1.replies).toEqual([]);
    expect(r1.messages).toEqual([heartbeatTo('s2', 1), heartbeatTo('s3', 1)]);
    expect(s1.pendingReadCount).toBe(1);
    expect(s1.step(ack(1, 's3')).replies).toEqual([answer(1)]);
    // That acknowledgement also gave the lease: the next read needs no round.
    const r3 = s1.step(read(2));
    expect(r3.replies).toEqual([answer(2)]);
    expect(r3.messages).toEqual([]);
  });

  it('acknowledgements by a minority give no lease (LR-2)', () => {
    const s1 = server('s1', {
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], leaderId: 's1', log: entries(2), commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 },
    }, ['s1', 's2', 's3', 's4', 's5'], LEASE);
    s1.step({ type: 'heartbeatTimeout' });
    s1.step(aer({ from: 's2', term: 2, matchIndex: 1, prevLogIndex: 1, readRound: 1 })); // s1, s2: 2 of 5
    const ready = s1.step(read(1));
    expect(ready.replies).toEqual([]);
    expect(ready.messages.map((m) => (m.type === 'AppendEntries' ? m.readRound : undefined))).toEqual([2, 2, 2, 2]); // a round of its own
  });

  it('a leader that has not committed an entry of its term reads through CLI-4 even with a lease (LR-2, CLI-4)', () => {
    // The committed entry is of term 1; x2 (term 2) is on s1 only.
    const s1 = leader({ commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    s1.step({ type: 'heartbeatTimeout' });
    s1.step(aer({ from: 's2', term: 2, success: false, prevLogIndex: 1, readRound: 1 })); // a rejection: the lease, nothing committed
    const ready = s1.step(read(1));
    expect(ready.replies).toEqual([]);
    expect(ready.messages).toEqual([]); // waits for an entry of term 2 to commit, as CLI-4 says
    expect(s1.pendingReadCount).toBe(1);
  });

  it('a lease read is answered at once even behind a read whose round is not confirmed yet, which waits for its round (LR-2, CLI-4)', () => {
    const s1 = leader();
    s1.step({ type: 'heartbeatTimeout' }); // round 1
    const r1 = s1.step(read(1)); // no lease yet: round 2
    expect(r1.messages).toEqual([heartbeatTo('s2', 2), heartbeatTo('s3', 2)]);
    expect(s1.step(ack(1)).replies).toEqual([]); // round 1 confirmed (the lease), round 2 not
    const r2 = s1.step(read(2));
    expect(r2.replies).toEqual([answer(2)]);
    expect(r2.messages).toEqual([]);
    expect(s1.pendingReadCount).toBe(1);
    expect(s1.step(ack(2, 's3')).replies).toEqual([answer(1)]);
    expect(s1.pendingReadCount).toBe(0);
  });

  it('no lease while a leadership transfer is pending, nor for the rest of the term once a TimeoutNow was sent, even after LT-5 abandons the transfer (LR-2, LT-5)', () => {
    const s1 = leader({}, { leaseReads: true, leadershipTransfer: true });
    s1.step({ type: 'heartbeatTimeout' }); // round 1
    s1.step(ack(1, 's3')); // the lease
    // s2 holds the whole log: LT-2 sends TimeoutNow at once.
    expect(s1.step({ type: 'transferLeadership', target: 's2' }).messages).toEqual([{ type: 'TimeoutNow', from: 's1', to: 's2', term: 2 }]);
    const r1 = s1.step(read(1));
    expect(r1.replies).toEqual([]);
    expect(r1.messages).toEqual([heartbeatTo('s2', 2), heartbeatTo('s3', 2)]); // a round of its own
    expect(s1.step(ack(2, 's3')).replies).toEqual([answer(1)]);
    s1.step({ type: 'electionTimeout' }); // LR-3 (floor 2), then LT-5: the transfer is abandoned
    expect(s1.transferee).toBeNull();
    expect(s1.step(read(2)).messages).toEqual([heartbeatTo('s2', 3), heartbeatTo('s3', 3)]); // a round of its own
    expect(s1.step(ack(3, 's3')).replies).toEqual([answer(2)]);
    // s2 may still campaign on that TimeoutNow, past the guard: no lease for the rest of term 2.
    const r2 = s1.step(read(3));
    expect(r2.replies).toEqual([]);
    expect(r2.messages).toEqual([heartbeatTo('s2', 4), heartbeatTo('s3', 4)]);
  });

  it('a single server holds the lease always: a read is answered in its own step, before any heartbeat (LR-2)', () => {
    const s1 = server('s1', {}, ['s1'], LEASE);
    s1.step({ type: 'electionTimeout' }); // leader of term 1 at once
    s1.step({ type: 'clientRequest', command: { op: 'put', key: 'k', value: 'one', client: 'c', seq: 1 } }); // committed at once
    const r1 = s1.step({ type: 'clientRead', client: 'r', seq: 1, key: 'k' });
    expect(r1.replies).toEqual([{ type: 'read', node: 's1', client: 'r', seq: 1, key: 'k', index: 1, result: 'one' }]);
    expect(s1.pendingReadCount).toBe(0);
    s1.step({ type: 'electionTimeout' }); // LR-3: leaseFloor = readRound = 0, still leader
    expect(s1.role).toBe('leader');
    expect(s1.step({ type: 'clientRead', client: 'r', seq: 2, key: 'k' }).replies).toEqual([
      { type: 'read', node: 's1', client: 'r', seq: 2, key: 'k', index: 1, result: 'one' },
    ]);
  });
});

describe('LR-3: the lease ends at the leader\'s election timeout', () => {
  it('an election timeout sets leaseFloor to readRound: the earlier acknowledgements no longer count, a later round renews it (LR-3)', () => {
    const s1 = leader();
    expect(s1.leaseFloor).toBe(0);
    s1.step({ type: 'heartbeatTimeout' }); // round 1
    s1.step(ack(1));
    s1.step({ type: 'heartbeatTimeout' }); // round 2, not acknowledged
    const r1 = s1.step({ type: 'electionTimeout' });
    expect(r1.messages).toEqual([]);
    expect(s1.role).toBe('leader');
    expect(s1.leaseFloor).toBe(2);
    const r2 = s1.step(read(1)); // no lease: round 3 of its own
    expect(r2.replies).toEqual([]);
    expect(r2.messages).toEqual([heartbeatTo('s2', 3), heartbeatTo('s3', 3)]);
    expect(s1.step(ack(2, 's3')).replies).toEqual([]); // round 2 is at the floor: no lease, and read 1 needs round 3
    expect(s1.step(ack(3, 's3')).replies).toEqual([answer(1)]);
    const r3 = s1.step(read(2)); // round 3 > floor 2, acknowledged by s1 and s3: the lease again
    expect(r3.replies).toEqual([answer(2)]);
    expect(r3.messages).toEqual([]);
  });

  it('LR-3 comes before CQ-1: a leader that keeps its quorum keeps leaseFloor = readRound; one that steps down has leaseFloor 0 (LR-3, CQ-1)', () => {
    const options = { leaseReads: true, checkQuorum: true };
    const s1 = leader({}, options);
    s1.step({ type: 'heartbeatTimeout' });
    s1.step(ack(1)); // s2 is recently active
    s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('leader');
    expect(s1.leaseFloor).toBe(1);
    s1.step({ type: 'heartbeatTimeout' }); // round 2, unanswered
    s1.step({ type: 'electionTimeout' }); // nobody heard from: CQ-1 steps down
    expect(s1.role).toBe('follower');
    expect(s1.leaseFloor).toBe(0);
    expect(s1.step(read(1)).replies).toEqual([{ type: 'redirect', node: 's1', client: 'r', seq: 1, leader: null }]);
  });

  it('leaseFloor is 0 on becoming leader and on a restart (LR-3)', () => {
    const s1 = leader();
    s1.step({ type: 'heartbeatTimeout' });
    s1.step({ type: 'electionTimeout' });
    expect(s1.leaseFloor).toBe(1);
    s1.restartInPlace();
    expect(s1.leaseFloor).toBe(0);
    s1.step({ type: 'electionTimeout' }); // candidate of term 3
    s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 3, voteGranted: true });
    expect(s1.role).toBe('leader');
    expect(s1.leaseFloor).toBe(0);
  });
});

describe('leaseReads turns on the disruption guard (CFG-6)', () => {
  it('a follower that heard from its leader ignores a newer term\'s RequestVote: no term change, no vote, no reply (CFG-6, LR-2)', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1, 2) }, S3, LEASE);
    s2.step({ type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 2, readRound: 1 });
    const ready = s2.step(rv({ from: 's3', to: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(ready.messages).toEqual([]);
    expect(s2.currentTerm).toBe(2);
    expect(s2.votedFor).toBeNull();
    // After its election timeout it is no longer bound: the same RequestVote is answered.
    s2.step({ type: 'electionTimeout' }); // a candidate of term 3 itself
    expect(s2.step(rv({ from: 's3', to: 's2', term: 4, lastLogIndex: 2, lastLogTerm: 2 })).messages).toEqual([
      { type: 'RequestVoteResponse', from: 's2', to: 's3', term: 4, voteGranted: true },
    ]);
  });

  it('a leader ignores a newer term\'s RequestVote and stays leader (CFG-6, LR-2)', () => {
    const s1 = leader();
    const ready = s1.step(rv({ from: 's3', to: 's1', term: 5, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(ready.messages).toEqual([]);
    expect(s1.role).toBe('leader');
    expect(s1.currentTerm).toBe(2);
  });
});
