// Leader election (§5.2, §5.4.1): given a server's state and one input, the state and messages after.
import { describe, expect, it } from 'vitest';
import { ae, entries, rv, rvr, S5, server } from './helpers.js';

describe('starting an election (FOL-2, CAN-1, CAN-4)', () => {
  it('a follower whose election timer fires becomes a candidate of the next term and asks every other server for its vote', () => {
    const s1 = server('s1', { currentTerm: 1, log: entries(1, 1) });
    const ready = s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('candidate');
    expect(s1.currentTerm).toBe(2);
    expect(s1.votedFor).toBe('s1');
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages).toEqual([
      { type: 'RequestVote', from: 's1', to: 's2', term: 2, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 1 },
      { type: 'RequestVote', from: 's1', to: 's3', term: 2, candidateId: 's1', lastLogIndex: 2, lastLogTerm: 1 },
    ]);
    expect(ready.hardState).toEqual({ currentTerm: 2, votedFor: 's1' });
  });

  it('a candidate whose timer fires again starts a new election and forgets the votes of the old one (CAN-4)', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'] }, S5);
    const ready = s1.step({ type: 'electionTimeout' });
    expect(s1.currentTerm).toBe(3);
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages.map((m) => m.to)).toEqual(['s2', 's3', 's4', 's5']);
  });

  it('a leader ignores its election timer (DEC-9)', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const before = s1.toJSON();
    const ready = s1.step({ type: 'electionTimeout' });
    expect(ready).toEqual({ messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] });
    expect(s1.toJSON()).toEqual(before);
  });

  it('the only server of a cluster of one becomes leader in the same step (CAN-2)', () => {
    const s1 = server('s1', {}, ['s1']);
    const ready = s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('leader');
    expect(s1.currentTerm).toBe(1);
    expect(ready.messages).toEqual([]);
    expect(s1.toJSON().nextIndex).toEqual({});
  });
});

describe('counting votes (CAN-2, DEC-1)', () => {
  const candidate = (servers: readonly string[] = ['s1', 's2', 's3']) =>
    server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: entries(1), commitIndex: 1, lastApplied: 1 }, servers);

  it('a candidate with votes from a majority becomes leader and sends every follower an AppendEntries from nextIndex (LEA-1)', () => {
    const s1 = candidate();
    const ready = s1.step(rvr({ term: 2 }));
    expect(s1.role).toBe('leader');
    expect(s1.toJSON()).toMatchObject({ nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 }, votesGranted: ['s1', 's2'] });
    expect(ready.messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1 },
      { type: 'AppendEntries', from: 's1', to: 's3', term: 2, leaderId: 's1', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1 },
    ]);
    expect(ready.hardState).toBeNull();
  });

  it('a vote is counted once per voter', () => {
    const s1 = candidate(S5);
    s1.step(rvr({ term: 2 }));
    s1.step(rvr({ term: 2 }));
    expect(s1.role).toBe('candidate');
    expect(s1.votesGranted()).toEqual(['s1', 's2']);
    s1.step(rvr({ term: 2, from: 's3' }));
    expect(s1.role).toBe('leader');
  });

  it('a refused vote does not count', () => {
    const s1 = candidate();
    const ready = s1.step(rvr({ term: 2, voteGranted: false }));
    expect(s1.role).toBe('candidate');
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages).toEqual([]);
  });

  it('a vote of an older term is dropped (DEC-1)', () => {
    const s1 = candidate();
    const ready = s1.step(rvr({ term: 1 }));
    expect(s1.role).toBe('candidate');
    expect(s1.votesGranted()).toEqual(['s1']);
    expect(ready.messages).toEqual([]);
  });

  it('a vote reaching a leader or a follower is dropped (DEC-1)', () => {
    const follower = server('s1', { currentTerm: 2 });
    follower.step(rvr({ term: 2 }));
    expect(follower.votesGranted()).toEqual([]);
    const s1 = candidate();
    s1.step(rvr({ term: 2 }));
    const ready = s1.step(rvr({ term: 2, from: 's3' }));
    expect(ready.messages).toEqual([]);
    expect(s1.votesGranted()).toEqual(['s1', 's2']);
  });

  it('a response of a newer term turns the candidate into a follower of that term (ALL-2, DEC-10)', () => {
    const s1 = candidate();
    const ready = s1.step(rvr({ term: 5, voteGranted: false }));
    expect(s1.toJSON()).toMatchObject({ role: 'follower', currentTerm: 5, votedFor: null, votesGranted: [], nextIndex: {}, matchIndex: {} });
    expect(ready.hardState).toEqual({ currentTerm: 5, votedFor: null });
  });
});

describe('RequestVote receiver (RV-1, RV-2)', () => {
  it('grants its vote to the first candidate of the term and records it', () => {
    const s1 = server('s1', { currentTerm: 1 });
    const ready = s1.step(rv({ term: 1 }));
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's2', term: 1, voteGranted: true }]);
    expect(s1.votedFor).toBe('s2');
    expect(ready.hardState).toEqual({ currentTerm: 1, votedFor: 's2' });
  });

  it('refuses a second candidate of the same term, and grants again to the one it voted for', () => {
    const s1 = server('s1', { currentTerm: 1, votedFor: 's2' });
    expect(s1.step(rv({ term: 1, from: 's3' })).messages[0]).toMatchObject({ to: 's3', voteGranted: false });
    expect(s1.step(rv({ term: 1 })).messages[0]).toMatchObject({ to: 's2', voteGranted: true });
    expect(s1.votedFor).toBe('s2');
  });

  // §5.4.1, against a voter whose last entry is (index 3, term 2).
  it.each([
    { lastLogTerm: 3, lastLogIndex: 1, granted: true, why: 'a higher last term wins whatever the length' },
    { lastLogTerm: 2, lastLogIndex: 3, granted: true, why: 'an equal last term and an equal length' },
    { lastLogTerm: 2, lastLogIndex: 4, granted: true, why: 'an equal last term and a longer log' },
    { lastLogTerm: 2, lastLogIndex: 2, granted: false, why: 'an equal last term and a shorter log' },
    { lastLogTerm: 1, lastLogIndex: 9, granted: false, why: 'a lower last term loses whatever the length' },
  ])('grants a candidate with $why: $granted', ({ lastLogTerm, lastLogIndex, granted }) => {
    const s1 = server('s1', { currentTerm: 3, log: entries(1, 2, 2) });
    const ready = s1.step(rv({ term: 3, lastLogTerm, lastLogIndex }));
    expect(ready.messages[0]).toMatchObject({ voteGranted: granted, term: 3 });
    expect(s1.votedFor).toBe(granted ? 's2' : null);
  });

  it('refuses a candidate of an older term, with its own term (RV-1)', () => {
    const s1 = server('s1', { currentTerm: 3 });
    const ready = s1.step(rv({ term: 2, lastLogTerm: 9, lastLogIndex: 9 }));
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's2', term: 3, voteGranted: false }]);
    expect(s1.votedFor).toBeNull();
  });

  it('a leader that hears of a newer term steps down, forgets its vote and may grant it (ALL-2)', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's3'], log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 1 } });
    const ready = s1.step(rv({ term: 3, lastLogIndex: 1, lastLogTerm: 1 }));
    expect(s1.toJSON()).toMatchObject({ role: 'follower', currentTerm: 3, votedFor: 's2', nextIndex: {}, matchIndex: {}, votesGranted: [] });
    expect(ready.messages).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's2', term: 3, voteGranted: true }]);
    expect(ready.hardState).toEqual({ currentTerm: 3, votedFor: 's2' });
  });

  it('a candidate or leader of the same term refuses: it voted for itself', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    expect(s1.step(rv({ term: 2, lastLogTerm: 5, lastLogIndex: 5 })).messages[0]).toMatchObject({ voteGranted: false });
    expect(s1.role).toBe('candidate');
  });
});

describe('conceding (CAN-3)', () => {
  it('a candidate that receives an AppendEntries of its term becomes a follower and handles it', () => {
    const s2 = server('s2', { role: 'candidate', currentTerm: 2, votedFor: 's2', votesGranted: ['s2'] });
    const ready = s2.step(ae({ term: 2, entries: entries(2) }));
    expect(s2.toJSON()).toMatchObject({ role: 'follower', currentTerm: 2, votedFor: 's2', votesGranted: [], log: entries(2) });
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 0 }]);
  });
});
