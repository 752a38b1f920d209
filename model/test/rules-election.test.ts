// Elections (§5.2, §5.4.1): FOL-1, FOL-2, CAN-1..CAN-4, RV-1, RV-2, and the vote-counting pitfalls
// of section 6 of the reference. Each test: given this state and this input, expect this state,
// these messages and these rules. Expected values are written by hand.
import { describe, it, expect } from 'vitest';
import { step } from '../node.js';
import { toJson, leaderView } from '../state.js';
import { EMPTY_MACHINE, FIVE, FOUR, NO_OPTION_STATE, NO_SNAPSHOT, e, envOf, st, expectFired } from './fixtures.js';

describe('FOL-1, FOL-2: followers', () => {
  it('FOL-1: a follower answers a RequestVote and an AppendEntries, each to its sender, with its currentTerm', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a')] });
    const rv = step(envOf('s1'), s, { type: 'RequestVote', from: 's3', to: 's1', term: 2, candidateId: 's3', lastLogIndex: 1, lastLogTerm: 1 });
    expect(rv.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 2, voteGranted: true }]);
    expect(rv.rules).toContain('FOL-1');
    const ae = step(envOf('s1'), s, { type: 'AppendEntries', from: 's2', to: 's1', term: 2, leaderId: 's2', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 });
    expect(ae.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's2', term: 2, success: true, matchIndex: 1, prevLogIndex: 1 }]);
    expect(ae.rules).toContain('FOL-1');
  });

  it('FOL-2: an election timeout turns a follower into a candidate of the next term that votes for itself and asks every other server', () => {
    const s = st({ currentTerm: 1, votedFor: 's2', leaderId: 's2', log: [e(1, 'a')], commitIndex: 1, lastApplied: 1 });
    const r = step(envOf('s1'), s, { type: 'electionTimeout' });
    expect(toJson(r.state)).toEqual({
      role: 'candidate', currentTerm: 2, votedFor: 's1', log: [e(1, 'a')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 1, lastApplied: 1,
      machine: EMPTY_MACHINE, leaderId: null, // CLI-1: s2 led term 1; term 2 has no known leader
      nextIndex: {}, matchIndex: {}, votesGranted: ['s1'],
    });
    expect(r.sent).toEqual([
      { type: 'RequestVote', from: 's1', to: 's2', term: 2, candidateId: 's1', lastLogIndex: 1, lastLogTerm: 1 },
      { type: 'RequestVote', from: 's1', to: 's3', term: 2, candidateId: 's1', lastLogIndex: 1, lastLogTerm: 1 },
    ]);
    expect(r.applied).toEqual([]);
    expectFired(r.rules, ['FOL-2', 'CAN-1']);
  });
});

describe('CAN-1..CAN-4: candidates', () => {
  it('CAN-1: RequestVote carries the new term and the index and term of the last log entry', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b'), e(2, 'c')], commitIndex: 1, lastApplied: 1 });
    const r = step(envOf('s2'), s, { type: 'electionTimeout' });
    expect(r.state.currentTerm).toBe(3);
    expect(r.state.votedFor).toBe('s2');
    expect(r.state.votesGranted).toEqual(['s2']);
    expect(r.sent).toEqual([
      { type: 'RequestVote', from: 's2', to: 's1', term: 3, candidateId: 's2', lastLogIndex: 3, lastLogTerm: 2 },
      { type: 'RequestVote', from: 's2', to: 's3', term: 3, candidateId: 's2', lastLogIndex: 3, lastLogTerm: 2 },
    ]);
    expect(r.rules).toContain('CAN-1');
  });

  it('CAN-1, CAN-2: a single server wins its own election at once and sends nothing', () => {
    const r = step(envOf('s1', ['s1']), st({}), { type: 'electionTimeout' });
    expect(toJson(r.state)).toEqual({
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: 's1', // CLI-1: a leader is its own leaderId
      nextIndex: {}, matchIndex: {}, votesGranted: ['s1'],
    });
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['FOL-2', 'CAN-1', 'CAN-2', 'LEA-1']);
  });

  it('CAN-2, LEA-1: the vote that makes a majority makes the candidate leader: nextIndex = last index + 1, matchIndex = 0, and an empty AppendEntries to each server', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a'), e(1, 'b')], commitIndex: 1, lastApplied: 1 });
    const r = step(envOf('s1'), s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(toJson(r.state)).toEqual({
      role: 'leader', currentTerm: 2, votedFor: 's1', log: [e(1, 'a'), e(1, 'b')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 1, lastApplied: 1,
      machine: EMPTY_MACHINE, leaderId: 's1', // CLI-1: a leader is its own leaderId
      nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 }, votesGranted: ['s1', 's2'],
    });
    expect(r.sent).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 1 },
      { type: 'AppendEntries', from: 's1', to: 's3', term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 1 },
    ]);
    expectFired(r.rules, ['CAN-2', 'LEA-1']);
  });

  it('CAN-2: in a five-server cluster two votes (its own and one more) are not a majority; the third is', () => {
    const env = envOf('s1', FIVE);
    const s = st({ role: 'candidate', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'] });
    const r1 = step(env, s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(r1.state.role).toBe('candidate');
    expect(r1.state.votesGranted).toEqual(['s1', 's2']);
    expect(r1.sent).toEqual([]);
    const r2 = step(env, r1.state, { type: 'RequestVoteResponse', from: 's4', to: 's1', term: 1, voteGranted: true });
    expect(r2.state.role).toBe('leader');
    expect(r2.state.votesGranted).toEqual(['s1', 's2', 's4']);
    expect(leaderView(r2.state).nextIndex).toEqual({ s2: 1, s3: 1, s4: 1, s5: 1 });
    expect(leaderView(r2.state).matchIndex).toEqual({ s2: 0, s3: 0, s4: 0, s5: 0 });
    expect(r2.sent.map((m) => m.to)).toEqual(['s2', 's3', 's4', 's5']);
  });

  it('CAN-2: in a four-server cluster two votes are a tie, not a majority; the third vote wins', () => {
    const env = envOf('s1', FOUR);
    const s = st({ role: 'candidate', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'] });
    const r1 = step(env, s, { type: 'RequestVoteResponse', from: 's3', to: 's1', term: 1, voteGranted: true });
    expect(r1.state.role).toBe('candidate');
    expect(r1.state.votesGranted).toEqual(['s1', 's3']);
    expect(r1.sent).toEqual([]);
    const r2 = step(env, r1.state, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(r2.state.role).toBe('leader');
    expect(r2.rules).toContain('CAN-2');
  });

  it('CAN-2 (pitfall: counting one voter twice): a duplicated grant from the same voter is counted once', () => {
    const s = st({ role: 'candidate', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'] });
    const r = step(envOf('s1', FIVE), s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(r.state.role).toBe('candidate');
    expect(r.state.votesGranted).toEqual(['s1', 's2']);
    expect(r.sent).toEqual([]);
  });

  it('CAN-2: a refused vote is not counted', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1'), s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: false });
    expect(toJson(r.state)).toEqual(toJson(s));
    expect(r.sent).toEqual([]);
  });

  it('DEC-1 (pitfall: a stale vote from an older term): a grant of term 2 does not count for a candidate of term 3', () => {
    const s = st({ role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1'), s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(r.state.role).toBe('candidate');
    expect(r.state.votesGranted).toEqual(['s1']);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-1']);
  });

  it('CAN-3: an AppendEntries of the same term makes a candidate follow that leader, keeping its vote for itself in that term', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's2', to: 's1', term: 2, leaderId: 's2', prevLogIndex: 1, prevLogTerm: 1, entries: [e(2, 'x')], leaderCommit: 0 });
    expect(toJson(r.state)).toEqual({
      role: 'follower', currentTerm: 2, votedFor: 's1', log: [e(1, 'a'), e(2, 'x')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: 's2', // CLI-1: the sender leads this term
      heardFromLeader: true,
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's2', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 }]);
    expectFired(r.rules, ['CAN-3', 'CLI-1', 'AE-4']);
    expect(r.rules).not.toContain('ALL-2');
  });

  it('CAN-3: the candidate concedes even when the consistency check then fails (AE-2)', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's2', to: 's1', term: 2, leaderId: 's2', prevLogIndex: 3, prevLogTerm: 2, entries: [e(2, 'x')], leaderCommit: 0 });
    expect(r.state.role).toBe('follower');
    expect(r.state.votesGranted).toEqual([]);
    expect(r.state.log.toArray()).toEqual([e(1, 'a')]);
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's2', term: 2, success: false, matchIndex: 0, prevLogIndex: 3 }]);
    expectFired(r.rules, ['CAN-3', 'AE-2']);
  });

  it('CAN-3, ALL-2: an AppendEntries of a newer term makes a candidate a follower of that term with no vote', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's3', to: 's1', term: 3, leaderId: 's3', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(toJson(r.state)).toEqual({
      role: 'follower', currentTerm: 3, votedFor: null, log: [], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: 's3', // ALL-2 clears it, then CLI-1: the sender leads term 3
      heardFromLeader: true,
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 3, success: true, matchIndex: 0, prevLogIndex: 0 }]);
    expectFired(r.rules, ['ALL-2', 'CLI-1']);
  });

  it('AE-1: an AppendEntries of an older term does not make a candidate concede', () => {
    const s = st({ role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's2', to: 's1', term: 2, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(toJson(r.state)).toEqual(toJson(s));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's2', term: 3, success: false, matchIndex: 0, prevLogIndex: 0 }]);
    expectFired(r.rules, ['AE-1']);
  });

  it('CAN-4: an election timeout on a candidate starts a new election in the next term and forgets the votes of the old one', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a')] });
    const r = step(envOf('s1', FIVE), s, { type: 'electionTimeout' });
    expect(toJson(r.state)).toEqual({
      role: 'candidate', currentTerm: 3, votedFor: 's1', log: [e(1, 'a')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: null,
      nextIndex: {}, matchIndex: {}, votesGranted: ['s1'],
    });
    expect(r.sent).toEqual(['s2', 's3', 's4', 's5'].map((to) => (
      { type: 'RequestVote', from: 's1', to, term: 3, candidateId: 's1', lastLogIndex: 1, lastLogTerm: 1 })));
    expectFired(r.rules, ['CAN-4', 'CAN-1']);
  });
});

describe('RV-1, RV-2: RequestVote receiver', () => {
  const rv = (term: number, candidateId: string, lastLogIndex: number, lastLogTerm: number) =>
    ({ type: 'RequestVote', from: candidateId, to: 's1', term, candidateId, lastLogIndex, lastLogTerm }) as const;
  const reply = (term: number, to: string, voteGranted: boolean) =>
    ({ type: 'RequestVoteResponse', from: 's1', to, term, voteGranted }) as const;

  it('RV-1: a candidate of an older term is refused with the current term, and the vote is untouched', () => {
    const s = st({ currentTerm: 3, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, rv(2, 's2', 5, 2));
    expect(toJson(r.state)).toEqual(toJson(s));
    expect(r.sent).toEqual([reply(3, 's2', false)]);
    expectFired(r.rules, ['RV-1']);
  });

  it('RV-2: a follower that has not voted grants its vote to an up-to-date candidate and records it', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, rv(2, 's2', 1, 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), votedFor: 's2' });
    expect(r.sent).toEqual([reply(2, 's2', true)]);
    expectFired(r.rules, ['RV-2']);
  });

  it('RV-2: a server that voted for another candidate in this term refuses, and keeps its vote', () => {
    const s = st({ currentTerm: 2, votedFor: 's3' });
    const r = step(envOf('s1'), s, rv(2, 's2', 0, 0));
    expect(r.state.votedFor).toBe('s3');
    expect(r.sent).toEqual([reply(2, 's2', false)]);
  });

  it('RV-2: a repeated RequestVote from the candidate it voted for is granted again', () => {
    const s = st({ currentTerm: 2, votedFor: 's2' });
    const r = step(envOf('s1'), s, rv(2, 's2', 0, 0));
    expect(r.state.votedFor).toBe('s2');
    expect(r.sent).toEqual([reply(2, 's2', true)]);
  });

  it('RV-2 §5.4.1: a higher last term wins even with a shorter log', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(1, 'c')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 1, 2));
    expect(r.state.votedFor).toBe('s2');
    expect(r.sent).toEqual([reply(3, 's2', true)]);
  });

  it('RV-2 §5.4.1: a lower last term loses even with a longer log', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 5, 1));
    expect(r.state.votedFor).toBe(null);
    expect(r.sent).toEqual([reply(3, 's2', false)]);
  });

  it('RV-2 §5.4.1: with equal last terms a longer log wins', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 3, 2));
    expect(r.sent).toEqual([reply(3, 's2', true)]);
  });

  it('RV-2 §5.4.1: with equal last terms an equally long log wins ("at least as up-to-date")', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 2, 2));
    expect(r.sent).toEqual([reply(3, 's2', true)]);
  });

  it('RV-2 §5.4.1: with equal last terms a shorter log loses, and the vote stays free', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 1, 2));
    expect(r.state.votedFor).toBe(null);
    expect(r.sent).toEqual([reply(3, 's2', false)]);
  });

  it('RV-2: a candidate or leader of the term has voted for itself and refuses another candidate of that term', () => {
    const cand = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r1 = step(envOf('s1'), cand, rv(2, 's2', 4, 2));
    expect(r1.state.role).toBe('candidate');
    expect(r1.state.votedFor).toBe('s1');
    expect(r1.sent).toEqual([reply(2, 's2', false)]);
    const lead = st({ role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's3'], nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const r2 = step(envOf('s1'), lead, rv(2, 's2', 4, 2));
    expect(toJson(r2.state)).toEqual(toJson(lead));
    expect(r2.sent).toEqual([reply(2, 's2', false)]);
  });

  it('ALL-2, RV-2 (pitfall: votedFor cleared on a newer term): a server that voted in term 2 can vote again in term 3', () => {
    const s = st({ currentTerm: 2, votedFor: 's3', log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, rv(3, 's2', 1, 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), currentTerm: 3, votedFor: 's2' });
    expect(r.sent).toEqual([reply(3, 's2', true)]);
    expectFired(r.rules, ['ALL-2', 'RV-2']);
  });
});
