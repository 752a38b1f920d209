// Membership changes (§6, dissertation ch. 4; docs/membership.md): configurations as log entries
// (CFG-1), joint consensus (CFG-2, CFG-3), learners (CFG-4), the removed leader (CFG-5), single
// changes and their guards (CFG-7), who campaigns (DEC-14), whose progress a leader keeps (DEC-15),
// and the configuration a snapshot carries. Given a server's state and one input, the state and
// messages after; then whole clusters growing and shrinking.
import { describe, expect, it } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, BootstrapConfiguration, ClientReply, Configuration, Entry, InstallSnapshot, NodeId, Observation, ProtocolOptions } from '../../spec/schema.js';
import { Cluster, MemoryStorage, RaftNode } from '../index.js';
import { ae, aer, S3, S5 } from './helpers.js';

const THREE: BootstrapConfiguration = { voters: ['s1', 's2', 's3'] };
const EMPTY_READY = { messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] };

/** A server of `servers` (default s1..s5) starting from `state`, with the bootstrap configuration (default s1, s2, s3 voters) and options. */
function node(id: NodeId, state: Observation = {}, o: { servers?: readonly NodeId[]; bootstrap?: BootstrapConfiguration; options?: ProtocolOptions } = {}): RaftNode {
  return new RaftNode({ id, servers: o.servers ?? S5, bootstrap: o.bootstrap ?? THREE, ...(o.options ? { options: o.options } : {}) }, state);
}

/** A configuration entry of term `term`. */
const cfg = (term: number, config: Configuration): Entry => ({ term, command: null, config });

/** The joint configuration from s1, s2, s3 to s3, s4, s5. */
const JOINT: Configuration = { voters: ['s3', 's4', 's5'], oldVoters: ['s1', 's2', 's3'] };

/** One line per message: type, receiver, prevLogIndex and the terms of the entries (AppendEntries). */
const brief = (ms: readonly { type: string; to: string }[]): string[] =>
  ms.map((m) => (m.type === 'AppendEntries' ? `AE>${m.to} pi${(m as AppendEntries).prevLogIndex} n${(m as AppendEntries).entries.length} c${(m as AppendEntries).leaderCommit}` : `${m.type}>${m.to}`));

/** s1, leader of term 1 over s1, s2, s3, with an empty log. */
function leaderOfThree(state: Observation = {}, options?: ProtocolOptions): RaftNode {
  return node('s1', { role: 'leader', currentTerm: 1, votedFor: 's1', leaderId: 's1', nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 }, ...state }, options ? { options } : {});
}

describe('CFG-1: the configuration in force is the last one in the log, committed or not', () => {
  it('CFG-1: without a configuration entry, the bootstrap configuration is in force; by default every server a voter', () => {
    expect(node('s4').config).toEqual({ voters: ['s1', 's2', 's3'] });
    expect(new RaftNode({ id: 's2', servers: ['s3', 's1', 's2'] }).config).toEqual({ voters: ['s1', 's2', 's3'] });
  });

  it('CFG-1: a follower adopts a configuration entry as soon as AE-4 appends it, and falls back when AE-3 truncates it', () => {
    const s2 = node('s2');
    const withLearner: Configuration = { voters: ['s1', 's2', 's3'], learners: ['s4'] };
    s2.step(ae({ entries: [cfg(1, withLearner)] }));
    expect(s2.config).toEqual(withLearner);
    expect(s2.commitIndex).toBe(0); // not committed, in force all the same
    // A leader of term 2 overwrites index 1 with an ordinary entry: the bootstrap configuration is back.
    const ready = s2.step(ae({ from: 's3', term: 2, entries: [{ term: 2, command: 'x' }] }));
    expect(ready.truncatedAfter).toBe(0);
    expect(s2.config).toEqual({ voters: ['s1', 's2', 's3'] });
    expect(s2.configIndex).toBe(0);
  });

  it('CFG-1: with two configuration entries, truncating the later one leaves the earlier one in force', () => {
    const first: Configuration = { voters: ['s1', 's2', 's3'], learners: ['s4'] };
    const second: Configuration = { voters: ['s1', 's2', 's3', 's4'] };
    const s2 = node('s2', { currentTerm: 1, log: [cfg(1, first), { term: 1, command: 'a' }, cfg(1, second)] });
    expect([s2.config, s2.configIndex]).toEqual([second, 3]);
    s2.step(ae({ from: 's3', term: 2, prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 2, command: 'b' }] }));
    expect([s2.config, s2.configIndex]).toEqual([first, 1]);
  });
});

describe('CFG-2: joint consensus needs a majority of both halves', () => {
  it('CFG-2: a joint change appends C_old,new (lists sorted, oldVoters the voters in force) and replicates it to every member of both', () => {
    const s1 = leaderOfThree();
    const ready = s1.step({ type: 'reconfigure', change: 'joint', voters: ['s5', 's4', 's3'] });
    const entry = cfg(1, JOINT);
    expect(s1.entryAt(1)).toEqual(entry);
    expect(ready.appended).toEqual({ index: 1, entries: [entry] });
    expect(s1.config).toEqual(JOINT);
    expect(ready.messages).toEqual(['s2', 's3', 's4', 's5'].map((to) => ({
      type: 'AppendEntries', from: 's1', to, term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [entry], leaderCommit: 0,
    })));
    expect(ready.replies).toEqual([]); // no reply: whether the change happened is seen in the log
  });

  it('CFG-2, CFG-3, CFG-5: C_old,new commits only with majorities of both halves; C_new follows in the same step; the leader outside C_new steps down once it commits', () => {
    const s1 = leaderOfThree();
    s1.step({ type: 'reconfigure', change: 'joint', voters: ['s3', 's4', 's5'] });
    s1.step(aer({ from: 's2', matchIndex: 1 })); // C_old: s1, s2 of three; C_new: none
    expect(s1.commitIndex).toBe(0);
    s1.step(aer({ from: 's4', matchIndex: 1 })); // C_new: s4 alone, one of three
    expect(s1.commitIndex).toBe(0);
    const ready = s1.step(aer({ from: 's5', matchIndex: 1 })); // C_new: s4, s5: both halves now
    expect(s1.commitIndex).toBe(1);
    // CFG-3 in the same step: C_new at index 2; s2 is no longer a member (DEC-15).
    const cNew = cfg(1, { voters: ['s3', 's4', 's5'] });
    expect(ready.appended).toEqual({ index: 2, entries: [cNew] });
    expect(s1.config).toEqual({ voters: ['s3', 's4', 's5'] });
    expect(s1.toJSON().nextIndex).toEqual({ s3: 1, s4: 2, s5: 2 });
    expect(s1.toJSON().matchIndex).toEqual({ s3: 0, s4: 1, s5: 1 });
    expect(brief(ready.messages)).toEqual(['AE>s3 pi0 n1 c1', 'AE>s4 pi1 n1 c1', 'AE>s5 pi1 n1 c1']);
    // CFG-5: s1 is not a voter of C_new; it keeps leading, counting itself in no quorum ...
    s1.step(aer({ from: 's4', matchIndex: 2, prevLogIndex: 1 }));
    expect([s1.role, s1.commitIndex]).toEqual(['leader', 1]);
    // ... and steps down in the same term once C_new is committed.
    const last = s1.step(aer({ from: 's5', matchIndex: 2, prevLogIndex: 1 }));
    expect([s1.role, s1.currentTerm, s1.leaderId, s1.commitIndex, s1.lastApplied]).toEqual(['follower', 1, null, 2, 2]);
    expect(s1.toJSON().nextIndex).toEqual({});
    expect(last.messages).toEqual([]);
  });

  it('CFG-2: a candidate under C_old,new asks every voter of both halves and wins only with a majority of each', () => {
    const s3 = node('s3', { currentTerm: 1, log: [cfg(1, JOINT)] });
    const ready = s3.step({ type: 'electionTimeout' });
    expect(ready.messages.map((m) => `${m.type}>${m.to}`)).toEqual(['RequestVote>s1', 'RequestVote>s2', 'RequestVote>s4', 'RequestVote>s5']);
    const vote = (from: NodeId) => s3.step({ type: 'RequestVoteResponse', from, to: 's3', term: 2, voteGranted: true });
    vote('s4');
    vote('s5'); // C_new: s3, s4, s5; C_old: s3 alone
    expect(s3.role).toBe('candidate');
    vote('s1'); // C_old: s1, s3
    expect(s3.role).toBe('leader');
    expect(s3.toJSON().nextIndex).toEqual({ s1: 2, s2: 2, s4: 2, s5: 2 });
  });

  it('CFG-3 on becoming leader: a joint configuration already known to be committed is left at once, after the no-op, in one Ready', () => {
    const s3 = node('s3', { currentTerm: 1, log: [cfg(1, JOINT)], commitIndex: 1, lastApplied: 1 }, { options: { leaderNoop: true } });
    s3.step({ type: 'electionTimeout' });
    for (const from of ['s1', 's2']) s3.step({ type: 'RequestVoteResponse', from, to: 's3', term: 2, voteGranted: true });
    expect(s3.role).toBe('candidate'); // C_old has its majority, C_new only s3
    const ready = s3.step({ type: 'RequestVoteResponse', from: 's5', to: 's3', term: 2, voteGranted: true });
    expect(s3.role).toBe('leader');
    const noop: Entry = { term: 2, command: null };
    const cNew = cfg(2, { voters: ['s3', 's4', 's5'] });
    expect(ready.appended).toEqual({ index: 2, entries: [noop, cNew] });
    expect(s3.toJSON().nextIndex).toEqual({ s4: 2, s5: 2 }); // s1, s2 are no longer members (DEC-15)
    expect(brief(ready.messages)).toEqual(['AE>s4 pi1 n1 c1', 'AE>s5 pi1 n1 c1']);
  });
});

describe('CFG-4: learners receive the log but count in no quorum and never campaign (DEC-14)', () => {
  const WITH_LEARNER: BootstrapConfiguration = { voters: ['s1', 's2', 's3'], learners: ['s4'] };

  it('CFG-4, DEC-14: only voters are asked for votes; the leader replicates to the learner too, and only to members', () => {
    const s1 = node('s1', {}, { bootstrap: WITH_LEARNER });
    expect(brief(s1.step({ type: 'electionTimeout' }).messages)).toEqual(['RequestVote>s2', 'RequestVote>s3']);
    const ready = s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(s1.role).toBe('leader');
    expect(brief(ready.messages)).toEqual(['AE>s2 pi0 n0 c0', 'AE>s3 pi0 n0 c0', 'AE>s4 pi0 n0 c0']);
    expect(s1.toJSON().matchIndex).toEqual({ s2: 0, s3: 0, s4: 0 });
  });

  it('CFG-4: a learner holding an entry does not make it committed; a voter does', () => {
    const s1 = node('s1', { role: 'leader', currentTerm: 1, votedFor: 's1', nextIndex: { s2: 1, s3: 1, s4: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0 } }, { bootstrap: WITH_LEARNER });
    expect(brief(s1.propose('x').ready.messages)).toEqual(['AE>s2 pi0 n1 c0', 'AE>s3 pi0 n1 c0', 'AE>s4 pi0 n1 c0']);
    s1.step(aer({ from: 's4', matchIndex: 1 }));
    expect(s1.commitIndex).toBe(0);
    s1.step(aer({ from: 's2', matchIndex: 1 }));
    expect(s1.commitIndex).toBe(1);
  });

  it('DEC-14: an election timeout on a learner, or on a server outside the configuration, starts no election and no pre-vote; it still ends heardFromLeader', () => {
    for (const options of [{}, { preVote: true }]) {
      for (const id of ['s4', 's5']) {
        const s = node(id, { currentTerm: 3, leaderId: 's1', heardFromLeader: true }, { bootstrap: WITH_LEARNER, options });
        const ready = s.step({ type: 'electionTimeout' });
        expect(ready).toEqual(EMPTY_READY);
        expect([s.role, s.currentTerm, s.votedFor, s.heardFromLeader, s.leaderId]).toEqual(['follower', 3, null, false, 's1']);
      }
    }
  });

  it('DEC-14: a server outside its configuration still answers a RequestVote (§4.1), and grants it by RV-2', () => {
    const s5 = node('s5', {}, { bootstrap: WITH_LEARNER });
    const ready = s5.step({ type: 'RequestVote', from: 's1', to: 's5', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's5', to: 's1', term: 1, voteGranted: true }]);
  });

  it('DEC-14: a precandidate asks only the voters of its configuration for pre-votes', () => {
    const s2 = node('s2', {}, { bootstrap: WITH_LEARNER, options: { preVote: true } });
    expect(brief(s2.step({ type: 'electionTimeout' }).messages)).toEqual(['PreVote>s1', 'PreVote>s3']);
  });

  it('CQ-1: the learners a leader hears from do not keep it leader; one voter more does', () => {
    const both: BootstrapConfiguration = { voters: ['s1', 's2', 's3'], learners: ['s4', 's5'] };
    const state: Observation = { role: 'leader', currentTerm: 1, votedFor: 's1', nextIndex: { s2: 1, s3: 1, s4: 1, s5: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0, s5: 0 } };
    const s1 = node('s1', state, { bootstrap: both, options: { checkQuorum: true } });
    s1.step(aer({ from: 's4' }));
    s1.step(aer({ from: 's5' }));
    expect(s1.recentlyActive()).toEqual(['s4', 's5']);
    s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('follower');
    const t1 = node('s1', state, { bootstrap: both, options: { checkQuorum: true } });
    t1.step(aer({ from: 's3' }));
    t1.step({ type: 'electionTimeout' });
    expect(t1.role).toBe('leader');
  });

  it('LT-1: leadership cannot go to a learner (DEC-9); it can go to a voter', () => {
    const state: Observation = { role: 'leader', currentTerm: 1, votedFor: 's1', nextIndex: { s2: 1, s3: 1, s4: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0 } };
    const s1 = node('s1', state, { bootstrap: WITH_LEARNER, options: { leadershipTransfer: true } });
    expect(s1.step({ type: 'transferLeadership', target: 's4' })).toEqual(EMPTY_READY);
    expect(s1.step({ type: 'transferLeadership', target: 's5' })).toEqual(EMPTY_READY); // not even a member
    expect(s1.transferee).toBeNull();
    expect(brief(s1.step({ type: 'transferLeadership', target: 's2' }).messages)).toEqual(['TimeoutNow>s2']);
  });
});

describe('quorums of the configuration for reads and leases (CLI-4, LR-2)', () => {
  it('CLI-4: under C_old,new a read is answered only once a majority of each half acknowledged its round', () => {
    const log: Entry[] = [{ term: 1, command: null }, cfg(1, JOINT)];
    const s1 = node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', log, commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 },
    });
    const ready = s1.step({ type: 'clientRead', client: 'c', seq: 1, key: 'k' });
    expect(ready.messages.map((m) => `${m.to} r${(m as AppendEntries).readRound}`)).toEqual(['s2 r1', 's3 r1', 's4 r1', 's5 r1']);
    // Answers to the round that DEC-4 drops otherwise (not the current probe): only the acknowledgement counts.
    const ack = (from: NodeId): AppendEntriesResponse => aer({ from, success: false, prevLogIndex: 0, readRound: 1 });
    expect(s1.step(ack('s2')).replies).toEqual([]); // C_old: s1, s2; C_new: none
    expect(s1.step(ack('s4')).replies).toEqual([]); // C_new: s4 alone
    expect(s1.step(ack('s5')).replies).toEqual([{ type: 'read', node: 's1', client: 'c', seq: 1, key: 'k', index: 1, result: null }]);
  });

  it('LR-2: a leader that alone is a quorum of its configuration (its learners count for nothing) holds the lease at once', () => {
    const s1 = node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [{ term: 1, command: null }], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 },
    }, { bootstrap: { voters: ['s1'], learners: ['s2', 's3'] }, options: { leaseReads: true } });
    const ready = s1.step({ type: 'clientRead', client: 'c', seq: 1, key: 'k' });
    expect(ready.messages).toEqual([]); // no round
    expect(ready.replies).toEqual([{ type: 'read', node: 's1', client: 'c', seq: 1, key: 'k', index: 1, result: null }]);
  });
});

describe('CFG-7: single-server changes and when a leader refuses a change', () => {
  /** s1, leader of term 2 over s1, s2, s3, holding one committed entry of term 1. */
  const leaderOfTermTwo = (options?: ProtocolOptions) => node('s1', {
    role: 'leader', currentTerm: 2, votedFor: 's1', log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1,
    nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 },
  }, options ? { options } : {});

  it('DEC-9: a reconfigure on a follower, candidate or precandidate changes nothing', () => {
    for (const role of ['follower', 'candidate', 'precandidate'] as const) {
      const s = node('s2', { role, currentTerm: 2, log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1 });
      expect(s.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3'], learners: ['s4'] })).toEqual(EMPTY_READY);
      expect(s.lastIndex).toBe(1);
    }
  });

  it('CFG-7: before the leader has committed an entry of its term, a single change is refused (the 2015 fix); a joint change is not', () => {
    const s1 = leaderOfTermTwo();
    expect(s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3'], learners: ['s4'] })).toEqual(EMPTY_READY);
    expect(s1.lastIndex).toBe(1);
    s1.step({ type: 'reconfigure', change: 'joint', voters: ['s1', 's2', 's4'] });
    expect(s1.entryAt(2)).toEqual(cfg(2, { voters: ['s1', 's2', 's4'], oldVoters: ['s1', 's2', 's3'] }));
  });

  it('CFG-7: once an entry of its term is committed, one change at a time: a second is refused until the first commits', () => {
    const s1 = leaderOfTermTwo();
    s1.propose('b');
    s1.step(aer({ from: 's2', term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(s1.commitIndex).toBe(2);
    const ready = s1.step({ type: 'reconfigure', change: 'single', voters: ['s3', 's2', 's1'], learners: ['s4'] });
    const addLearner = cfg(2, { voters: ['s1', 's2', 's3'], learners: ['s4'] });
    expect(ready.appended).toEqual({ index: 3, entries: [addLearner] });
    // DEC-15: s4 is a new peer, from the configuration entry's index on.
    expect([s1.nextIndexOf('s4'), s1.matchIndexOf('s4')]).toEqual([3, 0]);
    expect(brief(ready.messages)).toEqual(['AE>s2 pi2 n1 c2', 'AE>s3 pi1 n1 c2', 'AE>s4 pi2 n1 c2']);
    // In progress: refused, single or joint.
    expect(s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3', 's4'] })).toEqual(EMPTY_READY);
    expect(s1.step({ type: 'reconfigure', change: 'joint', voters: ['s1', 's2', 's3', 's4'] })).toEqual(EMPTY_READY);
    s1.step(aer({ from: 's2', term: 2, matchIndex: 3, prevLogIndex: 2 }));
    expect(s1.commitIndex).toBe(3);
    s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3', 's4'] }); // promote the learner
    expect(s1.entryAt(4)).toEqual(cfg(2, { voters: ['s1', 's2', 's3', 's4'] }));
    expect(s1.config).toEqual({ voters: ['s1', 's2', 's3', 's4'] });
  });

  it('CFG-7: a single change of more than one voter is refused; a change of learners only is a single change', () => {
    const s1 = leaderOfThree({ log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    for (const voters of [['s1', 's2', 's3', 's4', 's5'], ['s1', 's4'], ['s1', 's2', 's4']]) {
      expect(s1.step({ type: 'reconfigure', change: 'single', voters })).toEqual(EMPTY_READY);
    }
    s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3'], learners: ['s5', 's4'] });
    expect(s1.entryAt(2)).toEqual(cfg(1, { voters: ['s1', 's2', 's3'], learners: ['s4', 's5'] }));
  });

  it('LT-3: while a leadership transfer is pending, a change is refused', () => {
    const s1 = leaderOfThree({ log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 1, s3: 0 } }, { leadershipTransfer: true });
    s1.step({ type: 'transferLeadership', target: 's3' });
    expect(s1.transferee).toBe('s3');
    expect(s1.step({ type: 'reconfigure', change: 'joint', voters: ['s1', 's2'] })).toEqual(EMPTY_READY);
  });

  it('CFG-7: a single change that removes a leader keeps it leading until that configuration is committed (CFG-5)', () => {
    const s1 = leaderOfThree({ log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    s1.step({ type: 'reconfigure', change: 'single', voters: ['s2', 's3'] });
    expect(s1.toJSON().nextIndex).toEqual({ s2: 2, s3: 2 });
    s1.step(aer({ from: 's2', matchIndex: 2, prevLogIndex: 1 })); // s2 of {s2, s3}: no majority; s1 does not count
    expect([s1.role, s1.commitIndex]).toEqual(['leader', 1]);
    s1.step(aer({ from: 's3', matchIndex: 2, prevLogIndex: 1 }));
    expect([s1.role, s1.commitIndex, s1.leaderId]).toEqual(['follower', 2, null]);
  });

  it('RangeError: a configuration without a voter, or with a voter that is also a learner', () => {
    const s1 = leaderOfThree();
    expect(() => s1.step({ type: 'reconfigure', change: 'single', voters: [] })).toThrow(RangeError);
    expect(() => s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2'], learners: ['s2'] })).toThrow(/both a voter and a learner/);
    expect(s1.lastIndex).toBe(0);
    expect(() => node('s1', {}, { bootstrap: { voters: [] } })).toThrow(RangeError);
    expect(() => node('s1', {}, { bootstrap: { voters: ['s1'], learners: ['s1'] } })).toThrow(/both a voter and a learner/);
  });
});

describe('DEC-15: a leader keeps progress for exactly the members of its configuration', () => {
  it('DEC-15: a removed server loses nextIndex, matchIndex, appliedIndex and its place in recentlyActive; its late answers are ignored', () => {
    const s1 = node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 }, appliedIndex: { s2: 1, s3: 0 }, recentlyActive: ['s3', 's2'],
    }, { options: { checkQuorum: true, flowControlWindow: 10 } });
    s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2'], learners: ['s4'] });
    const j = s1.toJSON();
    expect([j.nextIndex, j.matchIndex, j.appliedIndex]).toEqual([{ s2: 2, s4: 2 }, { s2: 1, s4: 0 }, { s2: 1, s4: 0 }]);
    expect(j.recentlyActive).toEqual(['s2']);
    const late = s1.step(aer({ from: 's3', matchIndex: 2, prevLogIndex: 1, lastApplied: 2 }));
    expect(late.messages).toEqual([]);
    expect([s1.nextIndexOf('s3'), s1.matchIndexOf('s3'), s1.commitIndex]).toEqual([undefined, undefined, 1]);
    expect(s1.recentlyActive()).toEqual(['s2']);
  });

  it('DEC-15, LT-5: a transfer to a server that C_new leaves out is abandoned when CFG-3 appends C_new', () => {
    const joint: Configuration = { voters: ['s1', 's3'], oldVoters: ['s1', 's2', 's3'] };
    const s1 = node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [cfg(1, joint)],
      nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 },
    }, { options: { leadershipTransfer: true } });
    s1.step({ type: 'transferLeadership', target: 's2' }); // a voter of C_old
    expect(s1.transferee).toBe('s2');
    s1.step(aer({ from: 's3', matchIndex: 1 })); // both halves: s1, s3
    expect(s1.entryAt(2)).toEqual(cfg(1, { voters: ['s1', 's3'] }));
    expect(s1.transferee).toBeNull();
    expect(s1.toJSON().nextIndex).toEqual({ s3: 2 });
  });

  it('LT-5: a transfer to a voter that C_new demotes to learner is abandoned too, though it stays a peer', () => {
    const joint: Configuration = { voters: ['s1', 's3'], learners: ['s2'], oldVoters: ['s1', 's2', 's3'] };
    const s1 = node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [cfg(1, joint)],
      nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 },
    }, { options: { leadershipTransfer: true } });
    s1.step({ type: 'transferLeadership', target: 's2' });
    expect(s1.transferee).toBe('s2');
    s1.step(aer({ from: 's3', matchIndex: 1 }));
    expect(s1.entryAt(2)).toEqual(cfg(1, { voters: ['s1', 's3'], learners: ['s2'] }));
    expect(s1.transferee).toBeNull();
    expect(s1.toJSON().nextIndex).toEqual({ s2: 1, s3: 2 });
  });

  it('a configuration naming a server this node never heard of gives it a slot at the end of servers', () => {
    const s1 = new RaftNode({ id: 's1', servers: S3 }, {
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [{ term: 1, command: 'a' }], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 },
    });
    const ready = s1.step({ type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3'], learners: ['s9'] });
    expect(s1.servers).toEqual(['s1', 's2', 's3', 's9']);
    expect(brief(ready.messages)).toEqual(['AE>s2 pi1 n1 c1', 'AE>s3 pi1 n1 c1', 'AE>s9 pi1 n1 c1']);
    // s9's answers are handled as any peer's: its empty log rejects, and the leader backs off (LEA-3b).
    const retry = s1.step(aer({ from: 's9', success: false, prevLogIndex: 1 }));
    expect(brief(retry.messages)).toEqual(['AE>s9 pi0 n1 c1']);
    expect(s1.toJSON().nextIndex).toEqual({ s2: 2, s3: 2, s9: 1 });
  });
});

describe('snapshots carry the configuration (SNAP-1, IS-5, lastConfig)', () => {
  const withLearner: Configuration = { voters: ['s1', 's2', 's3'], learners: ['s4'] };

  it('SNAP-1: the snapshot records the configuration in force at its index: null before any configuration entry, else the last one at or below it', () => {
    const promoted: Configuration = { voters: ['s1', 's2', 's3', 's4'] };
    const log: Entry[] = [{ term: 1, command: 'a' }, cfg(1, withLearner), { term: 1, command: 'b' }, cfg(1, promoted)];
    const s2 = node('s2', { currentTerm: 1, log, commitIndex: 4, lastApplied: 4 });
    expect(s2.step({ type: 'snapshot', index: 1 }).snapshot?.config).toBeNull();
    const ready = s2.step({ type: 'snapshot', index: 3 });
    expect(ready.snapshot).toEqual({ index: 3, term: 1, machine: { data: {}, sessions: {} }, config: withLearner });
    expect(s2.snapshotConfig).toEqual(withLearner);
    expect(s2.config).toEqual(promoted); // the entry after the snapshot is still in force
    s2.step({ type: 'snapshot', index: 4 });
    expect([s2.snapshotConfig, s2.config, s2.configIndex]).toEqual([promoted, promoted, 0]);
    expect(s2.toJSON().snapshotConfig).toEqual(promoted);
  });

  it('SNAP-2: every InstallSnapshot chunk carries the leader\'s snapshot configuration as lastConfig; none while it is the bootstrap one', () => {
    const leader = (snapshotConfig: Configuration | null) => node('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', snapshotIndex: 2, snapshotTerm: 1, snapshotConfig, commitIndex: 2, lastApplied: 2,
      nextIndex: { s2: 1, s3: 3, s4: 3 }, matchIndex: { s2: 0, s3: 2, s4: 2 },
    }, { bootstrap: withLearner, options: { snapshotChunkSize: 10 } });
    const install = (s: RaftNode) => s.step({ type: 'heartbeatTimeout' }).messages.find((m): m is InstallSnapshot => m.type === 'InstallSnapshot');
    expect(install(leader(withLearner))).toMatchObject({ to: 's2', offset: 0, done: false, lastConfig: withLearner });
    const s1 = leader(withLearner);
    s1.step({ type: 'heartbeatTimeout' });
    const second = s1.step({ type: 'InstallSnapshotResponse', from: 's2', to: 's1', term: 1, lastIncludedIndex: 2, offset: 10, done: false });
    expect(second.messages[0]).toMatchObject({ type: 'InstallSnapshot', offset: 10, lastConfig: withLearner });
    expect(install(leader(null))).not.toHaveProperty('lastConfig');
  });

  it('IS-5, IS-7: the installed snapshot\'s configuration is in force; Ready carries it to storage, and a restart keeps it (SNAP-4)', () => {
    const s4 = node('s4', { currentTerm: 1, log: [{ term: 1, command: 'old' }] });
    expect(s4.config).toEqual({ voters: ['s1', 's2', 's3'] });
    const data = JSON.stringify({ data: {}, sessions: {} });
    const ready = s4.step({ type: 'InstallSnapshot', from: 's1', to: 's4', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 2, offset: 0, data, done: true, lastConfig: withLearner });
    expect([s4.snapshotIndex, s4.snapshotConfig, s4.config]).toEqual([3, withLearner, withLearner]);
    expect(ready.snapshot?.config).toEqual(withLearner);
    const disk = new MemoryStorage();
    disk.save(ready);
    const back = RaftNode.restart({ id: 's4', servers: S5, bootstrap: THREE }, disk);
    expect([back.snapshotIndex, back.snapshotConfig, back.config]).toEqual([3, withLearner, withLearner]);
    // ... and so does the snapshot persisted() describes.
    expect(RaftNode.restart({ id: 's4', servers: S5, bootstrap: THREE }, s4.persisted()).config).toEqual(withLearner);
  });

  it('IS-5: a snapshot without lastConfig leaves the bootstrap configuration in force (IS-7 discarded the log\'s)', () => {
    const s4 = node('s4', { currentTerm: 1, log: [cfg(1, withLearner)] });
    const data = JSON.stringify({ data: {}, sessions: {} });
    s4.step({ type: 'InstallSnapshot', from: 's1', to: 's4', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 2, offset: 0, data, done: true });
    expect([s4.snapshotConfig, s4.config]).toEqual([null, { voters: ['s1', 's2', 's3'] }]);
  });

  it('IS-6: with the snapshot\'s last entry held, the configuration entries after it stay in force', () => {
    const later: Configuration = { voters: ['s1', 's2', 's3', 's4'] };
    const s4 = node('s4', { currentTerm: 2, log: [{ term: 2, command: 'a' }, cfg(2, later)] });
    const data = JSON.stringify({ data: {}, sessions: {} });
    s4.step({ type: 'InstallSnapshot', from: 's1', to: 's4', term: 2, leaderId: 's1', lastIncludedIndex: 1, lastIncludedTerm: 2, offset: 0, data, done: true, lastConfig: withLearner });
    expect([s4.snapshotConfig, s4.config, s4.configIndex]).toEqual([withLearner, later, 2]);
  });

  it('SNAP-4: a restart keeps the configuration entries of the log in force', () => {
    const disk = new MemoryStorage();
    disk.hardState = { currentTerm: 1, votedFor: null };
    disk.log.push({ term: 1, command: null, config: { voters: ['s1', 's2'], learners: ['s3'] } });
    const s3 = RaftNode.restart({ id: 's3', servers: S3 }, disk);
    expect(s3.config).toEqual({ voters: ['s1', 's2'], learners: ['s3'] });
    expect(s3.step({ type: 'electionTimeout' }).messages).toEqual([]); // DEC-14: a learner now
  });
});

describe('whole clusters change their membership', () => {
  /** Deliver everything, then a heartbeat so that followers learn the commit index, then deliver again. */
  function settle(c: Cluster, leader: NodeId): void {
    c.runUntilQuiet();
    c.heartbeatTimeout(leader);
    c.runUntilQuiet();
  }

  it('CFG-4, CFG-7: three voters grow to five: each new server joins as a learner, catches up, and is promoted', () => {
    const replies: ClientReply[] = [];
    const c = new Cluster(['a', 'b', 'c', 'd', 'e'], { bootstrap: { voters: ['a', 'b', 'c'] }, onReply: (r) => replies.push(r) });
    c.electionTimeout('d'); // DEC-14: a spare server does not campaign
    expect(c.pending).toBe(0);
    c.electionTimeout('a');
    c.runUntilQuiet();
    expect(c.leader()?.id).toBe('a');
    expect(c.reconfigure('a', 'single', ['a', 'b', 'c'], ['d'])).toBe(false); // CFG-7: no entry of term 1 committed yet
    c.clientRequest('a', 'x');
    settle(c, 'a');
    expect(c.reconfigure('a', 'single', ['a', 'b', 'c'], ['d'])).toBe(true);
    settle(c, 'a');
    expect(c.reconfigure('a', 'single', ['a', 'b', 'c'], ['d', 'e'])).toBe(true);
    settle(c, 'a');
    expect(c.reconfigure('a', 'single', ['a', 'b', 'c', 'd'], ['e'])).toBe(true);
    settle(c, 'a');
    expect(c.reconfigure('a', 'single', ['a', 'b', 'c', 'd', 'e'])).toBe(true);
    settle(c, 'a');
    const five: Configuration = { voters: ['a', 'b', 'c', 'd', 'e'] };
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      const n = c.node(id);
      expect([id, n.config, n.commitIndex, n.lastApplied]).toEqual([id, five, 5, 5]);
    }
    // Three of five now commit: with b and c down, a, d and e still do.
    c.crash('b');
    c.crash('c');
    c.clientRequest('a', 'y');
    c.runUntilQuiet();
    expect(c.node('a').commitIndex).toBe(6);
    expect(replies.filter((r) => r.type === 'result').map((r) => r.type === 'result' && r.index)).toEqual([1, 6]);
  });

  it('CFG-2, CFG-3, CFG-5: five voters shrink to three through C_old,new, removing the leader, which steps down; the rest elect one of theirs', () => {
    const c = new Cluster(['a', 'b', 'c', 'd', 'e']);
    c.electionTimeout('a');
    c.runUntilQuiet();
    c.clientRequest('a', 'x');
    settle(c, 'a');
    expect(c.reconfigure('a', 'joint', ['c', 'd', 'e'])).toBe(true);
    c.runUntilQuiet();
    // C_old,new committed, C_new appended by CFG-3 and committed in turn: a stepped down (CFG-5).
    const a = c.node('a');
    expect(a.entryAt(2).config).toEqual({ voters: ['c', 'd', 'e'], oldVoters: ['a', 'b', 'c', 'd', 'e'] });
    expect(a.entryAt(3).config).toEqual({ voters: ['c', 'd', 'e'] });
    expect([a.role, a.commitIndex, c.leader()]).toEqual(['follower', 3, undefined]);
    c.electionTimeout('a'); // DEC-14: removed, it no longer campaigns
    expect(c.pending).toBe(0);
    c.electionTimeout('c');
    c.runUntilQuiet();
    expect(c.leader()?.id).toBe('c');
    expect(c.node('c').toJSON().nextIndex).toEqual({ d: 4, e: 4 });
    c.clientRequest('c', 'y');
    settle(c, 'c');
    for (const id of ['c', 'd', 'e']) expect([id, c.node(id).commitIndex]).toEqual([id, 4]);
    // b never received C_new: it still has C_old,new, holds index 2 only, and stays behind.
    expect([c.node('b').lastIndex, c.node('b').config.oldVoters !== undefined]).toEqual([2, true]);
  });
});
