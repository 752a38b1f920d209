// The AppendEntries receiver (§5.3): AE-1 .. AE-5 and ALL-1, with the stale and reordered
// requests that a naive reading of Figure 2 gets wrong.
import { describe, expect, it } from 'vitest';
import { ae, entries, server } from './helpers.js';

const reply = (f: { term: number; success: boolean; matchIndex: number; prevLogIndex: number }) =>
  ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', ...f });

describe('rejections (AE-1, AE-2)', () => {
  it('refuses a leader of an older term, with its own term, and changes nothing (AE-1)', () => {
    const s2 = server('s2', { currentTerm: 3, log: entries(1) });
    const ready = s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: entries(2), leaderCommit: 1 }));
    expect(ready.messages).toEqual([reply({ term: 3, success: false, matchIndex: 0, prevLogIndex: 1 })]);
    expect(s2.lastIndex).toBe(1);
    expect(s2.commitIndex).toBe(0);
  });

  it('refuses when it has no entry at prevLogIndex (AE-2)', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1) });
    const ready = s2.step(ae({ prevLogIndex: 2, prevLogTerm: 1, entries: entries(1) }));
    expect(ready.messages).toEqual([reply({ term: 1, success: false, matchIndex: 0, prevLogIndex: 2 })]);
  });

  it('refuses when its entry at prevLogIndex has another term (AE-2), and keeps its log', () => {
    const s2 = server('s2', { currentTerm: 3, log: entries(1, 2) });
    const ready = s2.step(ae({ term: 3, prevLogIndex: 2, prevLogTerm: 3, leaderCommit: 2 }));
    expect(ready.messages).toEqual([reply({ term: 3, success: false, matchIndex: 0, prevLogIndex: 2 })]);
    expect(s2.toJSON().log).toEqual(entries(1, 2));
    expect(s2.commitIndex).toBe(0);
  });

  it('always matches at prevLogIndex 0', () => {
    const s2 = server('s2', { currentTerm: 1 });
    const ready = s2.step(ae({ prevLogIndex: 0, prevLogTerm: 7, entries: entries(1) }));
    expect(ready.messages).toEqual([reply({ term: 1, success: true, matchIndex: 1, prevLogIndex: 0 })]);
  });
});

describe('merging entries (AE-3, AE-4)', () => {
  it('does not truncate on an AppendEntries whose entries it already holds (AE-3: a stale, reordered request)', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1) });
    s2.takeLogChangedFrom();
    const ready = s2.step(ae({ prevLogIndex: 0, entries: entries(1) }));
    expect(s2.toJSON().log).toEqual(entries(1, 1, 1));
    expect(ready.messages).toEqual([reply({ term: 1, success: true, matchIndex: 1, prevLogIndex: 0 })]);
    expect(ready.truncatedAfter).toBeNull();
    expect(ready.appended).toBeNull();
    expect(s2.takeLogChangedFrom()).toBe(Infinity);
  });

  it('does not truncate on a heartbeat', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1) });
    s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1 }));
    expect(s2.lastIndex).toBe(3);
  });

  it('deletes the conflicting entry and all that follow, then appends (AE-3, AE-4)', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1, 1, 2, 2) });
    const newer = [{ term: 3, command: 'y3' }];
    const ready = s2.step(ae({ term: 3, prevLogIndex: 2, prevLogTerm: 1, entries: newer }));
    expect(s2.toJSON().log).toEqual([...entries(1, 1), { term: 3, command: 'y3' }]);
    expect(ready.truncatedAfter).toBe(2);
    expect(ready.appended).toEqual({ index: 3, entries: newer });
    expect(ready.messages).toEqual([reply({ term: 3, success: true, matchIndex: 3, prevLogIndex: 2 })]);
  });

  it('skips the entries it holds and appends only the new ones', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1) });
    const sent = entries(1, 1, 1).slice(1); // indexes 2 and 3
    const ready = s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1, entries: sent }));
    expect(s2.toJSON().log).toEqual(entries(1, 1, 1));
    expect(ready.truncatedAfter).toBeNull();
    expect(ready.appended).toEqual({ index: 3, entries: entries(1, 1, 1).slice(2) });
  });

  it('truncates at the first conflict only, keeping the matching entries before it', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1, 1, 1, 1) });
    const sent = [{ term: 1, command: 'x2' }, { term: 2, command: 'y3' }];
    const ready = s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: sent }));
    expect(s2.toJSON().log.map((e) => e.term)).toEqual([1, 1, 2]);
    expect(ready.truncatedAfter).toBe(2);
    expect(ready.appended).toEqual({ index: 3, entries: sent.slice(1) });
  });
});

describe('following the commit index (AE-5, DEC-2) and applying (ALL-1)', () => {
  it('commits up to the last new entry, not up to its own last index (AE-5)', () => {
    // Entries 2..4 may be stale leftovers: only index 1 is known to match the leader's log.
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1, 1) });
    const ready = s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 4 }));
    expect(s2.commitIndex).toBe(1);
    expect(ready.applied).toEqual([{ index: 1, term: 1, command: 'x1', result: null, duplicate: false }]);
  });

  it('commits up to leaderCommit when the leader has committed less than it sent', () => {
    const s2 = server('s2', { currentTerm: 1 });
    s2.step(ae({ entries: entries(1, 1, 1), leaderCommit: 2 }));
    expect(s2.commitIndex).toBe(2);
    expect(s2.lastApplied).toBe(2);
  });

  it('never moves commitIndex back on a stale AppendEntries (DEC-2)', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1), commitIndex: 3, lastApplied: 3 });
    const ready = s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 5 }));
    expect(s2.commitIndex).toBe(3);
    expect(ready.applied).toEqual([]);
  });

  it('applies every newly committed entry in order, in the same step', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1, 1, 2), commitIndex: 1, lastApplied: 1 });
    const ready = s2.step(ae({ term: 2, prevLogIndex: 3, prevLogTerm: 2, leaderCommit: 3 }));
    expect(ready.applied).toEqual([{ index: 2, term: 1, command: 'x2', result: null, duplicate: false }, { index: 3, term: 2, command: 'x3', result: null, duplicate: false }]);
    expect(s2.lastApplied).toBe(3);
  });
});

describe('AppendEntries by role', () => {
  it('a leader drops an AppendEntries of its own term (DEC-8)', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(ae({ from: 's3', to: 's1', term: 2, entries: entries(2) }));
    expect(ready.messages).toEqual([]);
    expect(s1.role).toBe('leader');
    expect(s1.lastIndex).toBe(0);
  });

  it('a leader that receives an AppendEntries of a newer term follows it and answers with the new term (ALL-2)', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(ae({ from: 's3', to: 's1', term: 3, entries: entries(3) }));
    expect(s1.toJSON()).toMatchObject({ role: 'follower', currentTerm: 3, votedFor: null, nextIndex: {}, matchIndex: {}, votesGranted: [] });
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 3, success: true, matchIndex: 1, prevLogIndex: 0 }]);
  });
});
