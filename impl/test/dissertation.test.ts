// The dissertation's election options (docs/dissertation-options.md): PreVote (PV-1 .. PV-3),
// CheckQuorum (CQ-1), the disruption guard (CFG-6), leadership transfer (LT-1 .. LT-5), and the
// heardFromLeader flag they rest on. Given a server's state and one input, the state and messages
// after; then whole clusters.
import { describe, expect, it } from 'vitest';
import type { ClientReply, InstallSnapshotResponse, Message, PreVote, PreVoteResponse, ProtocolOptions, TimeoutNow } from '../../spec/schema.js';
import { Cluster } from '../index.js';
import { ae, aer, entries, rv, S3, S5, server } from './helpers.js';

const PV: ProtocolOptions = { preVote: true };
const CQ: ProtocolOptions = { checkQuorum: true };
const DG: ProtocolOptions = { disruptionGuard: true };
const LT: ProtocolOptions = { leadershipTransfer: true };

/** A PreVote from s3 to s2 unless told otherwise; candidateId follows `from`. */
function pv(f: Partial<Omit<PreVote, 'type' | 'candidateId'>> = {}): PreVote {
  const from = f.from ?? 's3';
  return { type: 'PreVote', from, to: 's2', term: 3, candidateId: from, lastLogIndex: 2, lastLogTerm: 2, ...f };
}

/** A PreVoteResponse from s2 to s1 unless told otherwise. */
function pvr(f: Partial<Omit<PreVoteResponse, 'type'>> = {}): PreVoteResponse {
  return { type: 'PreVoteResponse', from: 's2', to: 's1', term: 3, voteGranted: true, ...f };
}

/** A TimeoutNow from s1 to s2 unless told otherwise. */
function tn(f: Partial<Omit<TimeoutNow, 'type'>> = {}): TimeoutNow {
  return { type: 'TimeoutNow', from: 's1', to: 's2', term: 2, ...f };
}

const EMPTY_READY = { messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] };

describe('PV-1: an election timeout starts a pre-vote', () => {
  it('PV-1: a follower becomes a precandidate of the same term, keeps its vote, forgets its leader and asks for pre-votes for term + 1', () => {
    const s1 = server('s1', { currentTerm: 2, votedFor: 's3', log: entries(1, 2), leaderId: 's3', heardFromLeader: true }, S3, PV);
    const ready = s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('precandidate');
    expect([s1.currentTerm, s1.votedFor, s1.leaderId, s1.heardFromLeader]).toEqual([2, 's3', null, false]);
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages).toEqual([
      { type: 'PreVote', from: 's1', to: 's2', term: 3, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 2 },
      { type: 'PreVote', from: 's1', to: 's3', term: 3, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 2 },
    ]);
    expect(ready.hardState).toBeNull(); // PER-1: nothing persistent changed
  });

  it('PV-1: a candidate whose timer fires again goes back to a pre-vote instead of CAN-4, with its term and its vote for itself', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'] }, S5, PV);
    const ready = s1.step({ type: 'electionTimeout' });
    expect([s1.role, s1.currentTerm, s1.votedFor]).toEqual(['precandidate', 3, 's1']);
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages.map((m) => `${m.type}>${m.to} t${m.term}`)).toEqual(['PreVote>s2 t4', 'PreVote>s3 t4', 'PreVote>s4 t4', 'PreVote>s5 t4']);
  });

  it('PV-1, PV-3: the only server of a cluster of one wins its pre-vote and its election in the same step', () => {
    const s1 = server('s1', { currentTerm: 4 }, ['s1'], PV);
    const ready = s1.step({ type: 'electionTimeout' });
    expect([s1.role, s1.currentTerm, s1.votedFor]).toEqual(['leader', 5, 's1']);
    expect(ready.messages).toEqual([]);
    expect(ready.hardState).toEqual({ currentTerm: 5, votedFor: 's1' });
  });
});

describe('PV-2: answering a pre-vote changes no term and no vote', () => {
  const follower = (state = {}) => server('s2', { currentTerm: 2, votedFor: 's1', log: entries(1, 2), ...state }, S3, PV);

  it('PV-2: a follower that has not heard from a leader grants an up-to-date candidate, in the proposed term, even though it voted for another in its own term', () => {
    const s2 = follower();
    const ready = s2.step(pv());
    expect(ready.messages).toEqual([{ type: 'PreVoteResponse', from: 's2', to: 's3', term: 3, voteGranted: true }]);
    expect([s2.currentTerm, s2.votedFor, s2.role]).toEqual([2, 's1', 'follower']);
    expect(ready.hardState).toBeNull();
  });

  it('PV-2: refused, with its own term, by a server that heard from its leader since its last election timeout', () => {
    const ready = follower({ heardFromLeader: true, leaderId: 's1' }).step(pv());
    expect(ready.messages).toEqual([{ type: 'PreVoteResponse', from: 's2', to: 's3', term: 2, voteGranted: false }]);
  });

  it('PV-2: refused by a leader', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1, 2), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 } }, S3, PV);
    const ready = s1.step(pv({ to: 's1' }));
    expect(ready.messages).toEqual([{ type: 'PreVoteResponse', from: 's1', to: 's3', term: 2, voteGranted: false }]);
    expect(s1.role).toBe('leader');
  });

  it('PV-2: refused when the candidate\'s log is not as up-to-date (§5.4.1)', () => {
    const ready = follower().step(pv({ lastLogIndex: 5, lastLogTerm: 1 }));
    expect(ready.messages).toEqual([{ type: 'PreVoteResponse', from: 's2', to: 's3', term: 2, voteGranted: false }]);
  });

  it('PV-2: refused when the proposed term is not above currentTerm; a newer receiver answers with its own term and does not change', () => {
    expect(follower().step(pv({ term: 2 })).messages).toEqual([{ type: 'PreVoteResponse', from: 's2', to: 's3', term: 2, voteGranted: false }]);
    const s2 = follower({ currentTerm: 5, votedFor: null });
    expect(s2.step(pv()).messages).toEqual([{ type: 'PreVoteResponse', from: 's2', to: 's3', term: 5, voteGranted: false }]);
    expect(s2.currentTerm).toBe(5);
  });

  it('DEC-8: without preVote a PreVote (only an injected one can exist) is dropped, with no reply', () => {
    const s2 = server('s2', { currentTerm: 2 });
    expect(s2.step(pv())).toEqual(EMPTY_READY);
    expect(s2.currentTerm).toBe(2);
  });
});

describe('PV-3: a precandidate with a majority of pre-votes starts a real election', () => {
  const precandidate = (servers: readonly string[] = S3) =>
    server('s1', { role: 'precandidate', currentTerm: 2, votedFor: null, votesGranted: ['s1'], log: entries(1, 2) }, servers, PV);

  it('PV-3: one grant in a cluster of three is a majority: CAN-1 in the next term, plain RequestVotes', () => {
    const s1 = precandidate();
    const ready = s1.step(pvr());
    expect([s1.role, s1.currentTerm, s1.votedFor]).toEqual(['candidate', 3, 's1']);
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages).toEqual([
      { type: 'RequestVote', from: 's1', to: 's2', term: 3, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 2 },
      { type: 'RequestVote', from: 's1', to: 's3', term: 3, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 2 },
    ]);
    expect(ready.messages.some((m) => m.type === 'RequestVote' && 'transfer' in m)).toBe(false);
    expect(ready.hardState).toEqual({ currentTerm: 3, votedFor: 's1' });
  });

  it('PV-3: a pre-vote is counted once per voter; the election starts at the majority', () => {
    const s1 = precandidate(S5);
    s1.step(pvr());
    s1.step(pvr());
    expect(s1.role).toBe('precandidate');
    expect(s1.votesGranted()).toEqual(['s1', 's2']);
    s1.step(pvr({ from: 's3' }));
    expect([s1.role, s1.currentTerm]).toEqual(['candidate', 3]);
  });

  it('PV-3: a grant for another term, or a grant to a server that is no longer a precandidate, is dropped (DEC-1)', () => {
    const s1 = precandidate();
    expect(s1.step(pvr({ term: 4 }))).toEqual(EMPTY_READY);
    expect(s1.step(pvr({ term: 2 }))).toEqual(EMPTY_READY);
    expect([s1.role, s1.currentTerm]).toEqual(['precandidate', 2]);
    const s2 = server('s2', { currentTerm: 2 }, S3, PV);
    expect(s2.step(pvr({ to: 's2', from: 's1' }))).toEqual(EMPTY_READY);
    expect(s2.currentTerm).toBe(2);
  });

  it('PV-3, ALL-2: a refusal naming a newer term makes the precandidate adopt it as a follower; an older or equal one is dropped', () => {
    const s1 = precandidate();
    expect(s1.step(pvr({ voteGranted: false, term: 2 }))).toEqual(EMPTY_READY);
    const ready = s1.step(pvr({ voteGranted: false, term: 3 }));
    expect([s1.role, s1.currentTerm, s1.votedFor]).toEqual(['follower', 3, null]);
    expect(s1.votesGranted()).toEqual([]);
    expect(ready.messages).toEqual([]);
  });

  it('DEC-8: without preVote even a refusal of a newer term is dropped', () => {
    const s1 = server('s1', { currentTerm: 2 });
    expect(s1.step(pvr({ voteGranted: false, term: 9 }))).toEqual(EMPTY_READY);
    expect(s1.currentTerm).toBe(2);
  });
});

describe('PV-1: a precandidate handles everything else as a follower', () => {
  const precandidate = () => server('s1', { role: 'precandidate', currentTerm: 2, votedFor: null, votesGranted: ['s1'], log: entries(1, 2) }, S3, PV);

  it('PV-1, CAN-3: an AppendEntries of its term makes it a follower of that leader, which it has now heard from', () => {
    const s1 = precandidate();
    const ready = s1.step(ae({ from: 's3', to: 's1', term: 2, prevLogIndex: 2, prevLogTerm: 2 }));
    expect([s1.role, s1.leaderId, s1.heardFromLeader]).toEqual(['follower', 's3', true]);
    expect(s1.votesGranted()).toEqual([]);
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 2, success: true, matchIndex: 2, prevLogIndex: 2 }]);
  });

  it('PV-1, RV-2: a RequestVote of its term is granted as a follower would (a pre-vote is not a vote); it stays precandidate', () => {
    const s1 = precandidate();
    const ready = s1.step(rv({ from: 's2', term: 2, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's2', term: 2, voteGranted: true }]);
    expect([s1.role, s1.votedFor]).toEqual(['precandidate', 's2']);
    expect(ready.hardState).toEqual({ currentTerm: 2, votedFor: 's2' });
  });

  it('PV-1: a RequestVote of a newer term makes it a follower of that term first (ALL-2)', () => {
    const s1 = precandidate();
    s1.step(rv({ from: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    expect([s1.role, s1.currentTerm, s1.votedFor]).toEqual(['follower', 3, 's2']);
  });

  it('PV-1, DEC-9, CLI-1: heartbeat timeouts have no effect and clients are redirected (no leader known)', () => {
    const s1 = precandidate();
    expect(s1.step({ type: 'heartbeatTimeout' })).toEqual(EMPTY_READY);
    const ready = s1.step({ type: 'clientRequest', command: 'x' });
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's1', client: null, seq: null, leader: null }]);
    expect(s1.lastIndex).toBe(2);
  });
});

describe('heardFromLeader (PV-2, CFG-6), maintained whatever the options', () => {
  it('PV-2: set by an AppendEntries of its term from the leader, even one that fails the consistency check (AE-2)', () => {
    const s2 = server('s2', { currentTerm: 1 });
    const ready = s2.step(ae({ prevLogIndex: 3, prevLogTerm: 1 }));
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: false, matchIndex: 0, prevLogIndex: 3 }]);
    expect(s2.heardFromLeader).toBe(true);
  });

  it('PV-2: set by an InstallSnapshot of its term; not by a stale AppendEntries (AE-1)', () => {
    const s2 = server('s2', { currentTerm: 1 });
    s2.step({ type: 'InstallSnapshot', from: 's1', to: 's2', term: 1, leaderId: 's1', lastIncludedIndex: 5, lastIncludedTerm: 1, offset: 0, data: '{"da', done: false });
    expect(s2.heardFromLeader).toBe(true);
    const s3 = server('s3', { currentTerm: 2 });
    s3.step(ae({ to: 's3', term: 1 }));
    expect(s3.heardFromLeader).toBe(false);
  });

  it('PV-2: cleared by an election timeout, by a new term (ALL-2) and by a restart', () => {
    const heard = { currentTerm: 2, leaderId: 's1', heardFromLeader: true };
    const a = server('s2', heard);
    a.step({ type: 'electionTimeout' });
    expect([a.role, a.heardFromLeader]).toEqual(['candidate', false]);
    const b = server('s2', heard);
    b.step(rv({ from: 's3', to: 's2', term: 3 }));
    expect([b.currentTerm, b.heardFromLeader]).toEqual([3, false]);
    const c = server('s2', heard);
    c.restartInPlace();
    expect(c.heardFromLeader).toBe(false);
  });
});

describe('CQ-1: CheckQuorum', () => {
  const leader = (options: ProtocolOptions = CQ, servers: readonly string[] = S5) => {
    const peers = servers.filter((p) => p !== 's1');
    return server('s1', {
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], log: entries(1, 2), commitIndex: 1, lastApplied: 1, leaderId: 's1',
      nextIndex: Object.fromEntries(peers.map((p) => [p, 3])), matchIndex: Object.fromEntries(peers.map((p) => [p, 0])),
    }, servers, options);
  };
  const ok = (from: string) => aer({ from, term: 2, success: true, matchIndex: 2, prevLogIndex: 2 });

  it('CQ-1: a leader records each peer it hears from once, in the order heard: successes, rejections and InstallSnapshot responses alike', () => {
    const s1 = leader();
    s1.step(ok('s3'));
    s1.step(ok('s2'));
    s1.step(ok('s3'));
    expect(s1.recentlyActive()).toEqual(['s3', 's2']);
    s1.step(aer({ from: 's4', term: 2, success: false, prevLogIndex: 2 }));
    const isr: InstallSnapshotResponse = { type: 'InstallSnapshotResponse', from: 's5', to: 's1', term: 2, lastIncludedIndex: 1, offset: 0, done: false };
    const ready = s1.step(isr); // a stale answer, dropped by DEC-4, but an answer of our term all the same
    expect(ready.messages).toEqual([]);
    expect(s1.recentlyActive()).toEqual(['s3', 's2', 's4', 's5']);
  });

  it('CQ-1: an impossible success (DEC-8) and a stale response (DEC-1) do not count', () => {
    const s1 = leader();
    s1.step(aer({ from: 's2', term: 2, success: true, matchIndex: 9, prevLogIndex: 2 }));
    s1.step(aer({ from: 's3', term: 1, success: true, matchIndex: 1, prevLogIndex: 0 }));
    expect(s1.recentlyActive()).toEqual([]);
  });

  it('CQ-1: at its election timeout a leader that heard from a majority (itself included) stays leader and starts counting again', () => {
    const s1 = leader();
    s1.step(ok('s3'));
    s1.step(ok('s2'));
    const ready = s1.step({ type: 'electionTimeout' });
    expect(ready.messages).toEqual([]);
    expect([s1.role, s1.currentTerm]).toEqual(['leader', 2]);
    expect(s1.recentlyActive()).toEqual([]);
  });

  it('CQ-1: a leader that did not steps down in the same term, keeps its vote, forgets its leader state and drops its pending reads (CLI-4)', () => {
    const s1 = leader();
    s1.step(ok('s2'));
    s1.step({ type: 'clientRead', client: 'c', seq: 1, key: 'k' }); // waits: no entry of term 2 committed yet
    expect(s1.pendingReadCount).toBe(1);
    const ready = s1.step({ type: 'electionTimeout' });
    expect([s1.role, s1.currentTerm, s1.votedFor, s1.leaderId]).toEqual(['follower', 2, 's1', null]);
    expect(s1.toJSON()).toMatchObject({ nextIndex: {}, matchIndex: {}, votesGranted: [], recentlyActive: [], transferee: null });
    expect(s1.pendingReadCount).toBe(0);
    expect(ready.replies).toEqual([]);
    expect(ready.messages).toEqual([]);
    expect(ready.hardState).toBeNull();
  });

  it('CQ-1: a single-server leader always has its majority', () => {
    const s1 = leader(CQ, ['s1']);
    s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('leader');
  });

  it('DEC-9: without checkQuorum nothing is recorded and the election timeout has no effect on a leader', () => {
    const s1 = leader({});
    s1.step(ok('s2'));
    expect(s1.recentlyActive()).toEqual([]);
    expect(s1.step({ type: 'electionTimeout' })).toEqual(EMPTY_READY);
    expect(s1.role).toBe('leader');
  });
});

describe('CFG-6: the disruption guard', () => {
  const heard = { currentTerm: 2, leaderId: 's1', heardFromLeader: true, log: entries(1, 2) };

  it('CFG-6: a server that heard from its leader drops a RequestVote of a newer term: no term change, no vote, no reply', () => {
    const s2 = server('s2', heard, S3, DG);
    const ready = s2.step(rv({ from: 's3', to: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(ready).toEqual(EMPTY_READY);
    expect([s2.currentTerm, s2.votedFor, s2.leaderId]).toEqual([2, null, 's1']);
  });

  it('CFG-6: a leader drops it too, and stays leader', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1, 2), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 } }, S3, DG);
    expect(s1.step(rv({ from: 's3', term: 3, lastLogIndex: 2, lastLogTerm: 2 }))).toEqual(EMPTY_READY);
    expect([s1.role, s1.currentTerm]).toEqual(['leader', 2]);
  });

  it('CFG-6, LT-4: a RequestVote marked transfer passes the guard (ALL-2, then RV-2)', () => {
    const s2 = server('s2', heard, S3, DG);
    const ready = s2.step(rv({ from: 's3', to: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2, transfer: true }));
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's2', to: 's3', term: 3, voteGranted: true }]);
    expect([s2.currentTerm, s2.votedFor]).toEqual([3, 's3']);
  });

  it('CFG-6: a server that has not heard from a leader since its timeout, or a RequestVote of its own term, is handled as usual', () => {
    const s2 = server('s2', { ...heard, heardFromLeader: false }, S3, DG);
    s2.step(rv({ from: 's3', to: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    expect([s2.currentTerm, s2.votedFor]).toEqual([3, 's3']);
    const s3 = server('s3', heard, S3, DG);
    const ready = s3.step(rv({ from: 's2', to: 's3', term: 2, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's3', to: 's2', term: 2, voteGranted: true }]);
  });

  it('CFG-6 is off by default: the same server adopts the newer term', () => {
    const s2 = server('s2', heard);
    s2.step(rv({ from: 's3', to: 's2', term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    expect(s2.currentTerm).toBe(3);
  });
});

describe('leadership transfer (LT-1 .. LT-5)', () => {
  // s2 holds the whole log (matchIndex 3 = last index), s3 only index 1.
  const leaderState = {
    role: 'leader' as const, currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1, 2, 2), commitIndex: 3, lastApplied: 3, leaderId: 's1',
    nextIndex: { s2: 4, s3: 2 }, matchIndex: { s2: 3, s3: 1 },
  };
  const leader = (options: ProtocolOptions = LT, extra = {}) => server('s1', { ...leaderState, ...extra }, S3, options);
  const timeoutNow = (to: string): Message => ({ type: 'TimeoutNow', from: 's1', to, term: 2 });

  it('LT-1, LT-2: to a target that holds the whole log, TimeoutNow at once', () => {
    const s1 = leader();
    const ready = s1.step({ type: 'transferLeadership', target: 's2' });
    expect(s1.transferee).toBe('s2');
    expect(ready.messages).toEqual([timeoutNow('s2')]);
    expect(ready.hardState).toBeNull();
  });

  it('LT-1: to a target that is behind, its AppendEntries (LEA-3); asking again for the same target does nothing; another target replaces it', () => {
    const s1 = leader();
    const first = s1.step({ type: 'transferLeadership', target: 's3' });
    expect(s1.transferee).toBe('s3');
    expect(first.messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's3', term: 2, leaderId: 's1', prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: 'x2' }], leaderCommit: 3 },
    ]);
    expect(s1.step({ type: 'transferLeadership', target: 's3' })).toEqual(EMPTY_READY);
    const other = s1.step({ type: 'transferLeadership', target: 's2' });
    expect(s1.transferee).toBe('s2');
    expect(other.messages).toEqual([timeoutNow('s2')]);
  });

  it('LT-1, SNAP-2: a target whose next entries are compacted gets the first chunk of the snapshot', () => {
    const s1 = server('s1', { ...leaderState, log: [], snapshotIndex: 3, snapshotTerm: 2, nextIndex: { s2: 4, s3: 1 }, matchIndex: { s2: 3, s3: 0 } }, S3, LT);
    const ready = s1.step({ type: 'transferLeadership', target: 's3' });
    expect(ready.messages).toHaveLength(1);
    expect(ready.messages[0]).toMatchObject({ type: 'InstallSnapshot', to: 's3', term: 2, lastIncludedIndex: 3, lastIncludedTerm: 2, offset: 0 });
  });

  it('DEC-9: no effect for itself, an unknown server, on a follower, or without the option', () => {
    for (const target of ['s1', 's9']) {
      const s1 = leader();
      expect(s1.step({ type: 'transferLeadership', target })).toEqual(EMPTY_READY);
      expect(s1.transferee).toBeNull();
    }
    const follower = server('s2', { currentTerm: 2 }, S3, LT);
    expect(follower.step({ type: 'transferLeadership', target: 's3' })).toEqual(EMPTY_READY);
    const off = leader({});
    expect(off.step({ type: 'transferLeadership', target: 's2' })).toEqual(EMPTY_READY);
    expect(off.transferee).toBeNull();
  });

  it('LT-2: a success from the transferee that leaves it short sends the next entry; the one that catches it up sends TimeoutNow', () => {
    const s1 = leader(LT, { transferee: 's3' });
    const short = s1.step(aer({ from: 's3', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 }));
    expect(short.messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's3', term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 2, entries: [{ term: 2, command: 'x3' }], leaderCommit: 3 },
    ]);
    const caughtUp = s1.step(aer({ from: 's3', term: 2, success: true, matchIndex: 3, prevLogIndex: 2 }));
    expect(caughtUp.messages).toEqual([timeoutNow('s3')]);
  });

  it('LT-2: a response from another server, though caught up, sends no TimeoutNow', () => {
    const s1 = leader(LT, { transferee: 's3' });
    expect(s1.step(aer({ from: 's2', term: 2, success: true, matchIndex: 3, prevLogIndex: 3 })).messages).toEqual([]);
  });

  it('LT-2, SNAP-3: the transferee acknowledging the whole snapshot gets TimeoutNow', () => {
    const s1 = server('s1', { ...leaderState, log: [], snapshotIndex: 3, snapshotTerm: 2, nextIndex: { s2: 4, s3: 1 }, matchIndex: { s2: 3, s3: 0 }, transferee: 's3' }, S3, LT);
    const ready = s1.step({ type: 'InstallSnapshotResponse', from: 's3', to: 's1', term: 2, lastIncludedIndex: 3, offset: 25, done: true });
    expect(s1.matchIndexOf('s3')).toBe(3);
    expect(ready.messages).toEqual([timeoutNow('s3')]);
  });

  it('LT-3: while a transfer is pending a client command is not appended but redirected to the transferee; reads are still served', () => {
    const s1 = leader(LT, { transferee: 's2' });
    const ready = s1.step({ type: 'clientRequest', command: { op: 'put', key: 'k', value: 'v', client: 'c', seq: 1 } });
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's1', client: 'c', seq: 1, leader: 's2' }]);
    expect(ready.messages).toEqual([]);
    expect(s1.lastIndex).toBe(3);
    expect(s1.propose('y')).toMatchObject({ index: 0, term: 2, isLeader: false });
    const read = s1.step({ type: 'clientRead', client: 'c', seq: 2, key: 'k' });
    expect(read.replies).toEqual([]);
    expect(s1.pendingReadCount).toBe(1);
  });

  it('LT-4: a follower receiving TimeoutNow of its term campaigns at once, skipping the pre-vote, its RequestVotes marked transfer', () => {
    const s2 = server('s2', { currentTerm: 2, votedFor: 's1', log: entries(1, 2), leaderId: 's1', heardFromLeader: true }, S3, { ...PV, ...LT });
    const ready = s2.step(tn());
    expect([s2.role, s2.currentTerm, s2.votedFor, s2.heardFromLeader]).toEqual(['candidate', 3, 's2', false]);
    expect(ready.messages).toEqual([
      { type: 'RequestVote', from: 's2', to: 's1', term: 3, candidateId: 's2', lastLogIndex: 2, lastLogTerm: 2, transfer: true },
      { type: 'RequestVote', from: 's2', to: 's3', term: 3, candidateId: 's2', lastLogIndex: 2, lastLogTerm: 2, transfer: true },
    ]);
  });

  it('LT-4: a TimeoutNow of a newer term is adopted first (ALL-2), then acted on', () => {
    const s2 = server('s2', { currentTerm: 2 }, S3, LT);
    s2.step(tn({ term: 4 }));
    expect([s2.role, s2.currentTerm]).toEqual(['candidate', 5]);
  });

  it('LT-4, DEC-1: a stale TimeoutNow, or one reaching a candidate, precandidate or leader, is dropped', () => {
    expect(server('s2', { currentTerm: 3 }, S3, LT).step(tn())).toEqual(EMPTY_READY);
    expect(server('s2', { role: 'candidate', currentTerm: 2, votedFor: 's2', votesGranted: ['s2'] }, S3, LT).step(tn())).toEqual(EMPTY_READY);
    expect(server('s2', { role: 'precandidate', currentTerm: 2, votesGranted: ['s2'] }, S3, { ...PV, ...LT }).step(tn())).toEqual(EMPTY_READY);
    expect(leader().step(tn({ from: 's2', to: 's1' }))).toEqual(EMPTY_READY);
  });

  it('LT-5: at its election timeout the leader abandons a pending transfer and takes client commands again', () => {
    const s1 = leader(LT, { transferee: 's3' });
    expect(s1.step({ type: 'electionTimeout' }).messages).toEqual([]);
    expect([s1.role, s1.transferee]).toEqual(['leader', null]);
    expect(s1.propose('y')).toMatchObject({ index: 4, isLeader: true });
  });

  it('LT-5, CQ-1, ALL-2: a leader that steps down forgets its transfer (DEC-10)', () => {
    const s1 = leader({ ...LT, ...CQ }, { transferee: 's3' });
    s1.step({ type: 'electionTimeout' }); // nobody heard from: CQ-1 steps down
    expect([s1.role, s1.transferee]).toEqual(['follower', null]);
    const s1b = leader(LT, { transferee: 's3' });
    s1b.step(aer({ from: 's2', term: 3, success: false }));
    expect([s1b.role, s1b.transferee]).toEqual(['follower', null]);
  });
});

describe('whole clusters', () => {
  /** A cluster whose `isolated` servers lose every message they send or are sent. */
  function partitioned(options: ProtocolOptions) {
    const isolated = new Set<string>();
    const cluster = new Cluster(['a', 'b', 'c'], { options, drop: (m) => isolated.has(m.from) || isolated.has(m.to) });
    cluster.electionTimeout('a');
    cluster.runUntilQuiet();
    cluster.propose('x');
    cluster.runUntilQuiet();
    return { cluster, isolated };
  }

  it('PV-1, PV-2: with preVote a partitioned server that rejoins does not disrupt the leader', () => {
    const { cluster, isolated } = partitioned(PV);
    expect(cluster.leader()?.id).toBe('a');
    expect(cluster.node('a').currentTerm).toBe(1);
    isolated.add('c');
    for (let k = 0; k < 3; k++) {
      cluster.electionTimeout('c'); // its pre-votes are lost: no new term
      cluster.runUntilQuiet();
    }
    expect([cluster.node('c').role, cluster.node('c').currentTerm]).toEqual(['precandidate', 1]);
    cluster.heartbeatTimeout('a');
    cluster.runUntilQuiet(); // b hears from a
    isolated.delete('c');
    cluster.electionTimeout('c'); // a (leader) and b (heard from a) refuse the pre-vote
    cluster.runUntilQuiet();
    expect([cluster.node('c').role, cluster.node('c').currentTerm]).toEqual(['precandidate', 1]);
    cluster.heartbeatTimeout('a');
    cluster.runUntilQuiet();
    expect(cluster.leader()?.id).toBe('a');
    expect(['a', 'b', 'c'].map((id) => cluster.node(id).currentTerm)).toEqual([1, 1, 1]);
    expect([cluster.node('c').role, cluster.node('c').leaderId, cluster.node('c').heardFromLeader, cluster.node('c').lastIndex]).toEqual(['follower', 'a', true, 1]);
  });

  it('without preVote the same rejoin makes the leader step down (the disruption PV-1 prevents)', () => {
    const { cluster, isolated } = partitioned({});
    isolated.add('c');
    for (let k = 0; k < 3; k++) cluster.electionTimeout('c');
    cluster.runUntilQuiet();
    expect(cluster.node('c').currentTerm).toBe(4);
    isolated.delete('c');
    cluster.heartbeatTimeout('a'); // c refuses with term 4 (AE-1), and a adopts it (ALL-2)
    cluster.runUntilQuiet();
    expect([cluster.node('a').role, cluster.node('a').currentTerm]).toEqual(['follower', 4]);
    expect(cluster.leader()).toBeUndefined();
  });

  it('CQ-1: a leader cut off from the others steps down at its next election timeout, and the others elect a new one', () => {
    const { cluster, isolated } = partitioned(CQ);
    expect(cluster.node('a').recentlyActive()).toEqual(['b', 'c']);
    cluster.electionTimeout('a');
    expect(cluster.node('a').role).toBe('leader');
    expect(cluster.node('a').recentlyActive()).toEqual([]);
    isolated.add('a');
    cluster.heartbeatTimeout('a');
    cluster.runUntilQuiet();
    cluster.electionTimeout('a');
    expect([cluster.node('a').role, cluster.node('a').currentTerm, cluster.node('a').leaderId]).toEqual(['follower', 1, null]);
    cluster.electionTimeout('b');
    cluster.runUntilQuiet();
    expect(cluster.leader()?.id).toBe('b');
    expect(cluster.node('b').currentTerm).toBe(2);
  });

  it('LT-1 .. LT-4: a transfer to a lagging server catches it up, hands it leadership, and redirects clients meanwhile, with preVote and the disruption guard on', () => {
    const replies: ClientReply[] = [];
    let lagging = true;
    const cluster = new Cluster(['a', 'b', 'c'], {
      options: { ...LT, ...PV, ...DG },
      drop: (m) => lagging && m.to === 'c',
      onReply: (r) => replies.push(r),
    });
    cluster.electionTimeout('a');
    cluster.runUntilQuiet();
    cluster.propose('x1');
    cluster.runUntilQuiet();
    cluster.propose('x2');
    cluster.runUntilQuiet();
    expect([cluster.node('a').commitIndex, cluster.node('c').lastIndex]).toEqual([2, 0]);
    expect(replies.map((r) => r.type)).toEqual(['result', 'result']); // LEA-2: x1 and x2 applied on a
    replies.length = 0;
    lagging = false;
    cluster.transferLeadership('a', 'c');
    expect(cluster.node('a').transferee).toBe('c');
    cluster.clientRequest('a', { op: 'put', key: 'k', value: 'v', client: 'cl', seq: 1 });
    expect(replies).toEqual([{ type: 'redirect', node: 'a', client: 'cl', seq: 1, leader: 'c' }]);
    cluster.runUntilQuiet();
    expect(cluster.leader()?.id).toBe('c');
    expect(cluster.node('c').currentTerm).toBe(2);
    expect([cluster.node('a').role, cluster.node('a').currentTerm, cluster.node('a').votedFor, cluster.node('a').transferee]).toEqual(['follower', 2, 'c', null]);
    expect([cluster.node('c').lastIndex, cluster.node('c').entryAt(2).command]).toEqual([2, 'x2']);
    expect(cluster.propose('x3')).toMatchObject({ index: 3, term: 2, isLeader: true });
  });
});
