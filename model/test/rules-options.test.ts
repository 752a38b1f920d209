// Protocol options (off by default, so that the default is Figure 2): each option's rules, given
// this state and this input, expect this state, these messages and these rules.
import { leaderView } from '../state.js';
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse } from '../../spec/schema.js';
import { step } from '../node.js';
import { e, envOf, st, expectFired , withLeaderState } from './fixtures.js';

const FAST = (self: string) => envOf(self, ['s1', 's2', 's3'], 100, true);
const ae = (prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'] = []): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to: 's2', term: 8, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit: 0 });
const rejection = (prevLogIndex: number, conflictTerm: number, conflictIndex: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex, conflictTerm, conflictIndex });

// Figure 7 (f)'s follower, and the leader of term 8.
const follower = st({ currentTerm: 8, log: [e(1, 'a'), e(1, 'b'), e(1, 'c'), e(2, 'd'), e(2, 'e'), e(2, 'f'), e(3, 'g'), e(3, 'h'), e(3, 'i'), e(3, 'j'), e(3, 'k')] });
const leaderLog = [e(1, 'a'), e(1, 'b'), e(1, 'c'), e(4, 'l'), e(4, 'm'), e(5, 'n'), e(5, 'o'), e(6, 'p'), e(6, 'q'), e(6, 'r')];
const leader = st({ role: 'leader', currentTerm: 8, votedFor: 's1', votesGranted: ['s1', 's3'], log: leaderLog, nextIndex: { s2: 11, s3: 11 }, matchIndex: { s2: 0, s3: 0 } });

describe('fast backtracking (end of §5.3)', () => {
  it('FB-1: a follower failing the consistency check names the conflicting term and the first index it holds of that term', () => {
    const r = step(FAST('s2'), follower, ae(10, 6));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, conflictTerm: 3, conflictIndex: 7 }]);
    expectFired(r.rules, ['AE-2', 'FB-1']);
  });

  it('FB-1: with no entry at prevLogIndex, conflictTerm is 0 and conflictIndex is the last index + 1', () => {
    const r = step(FAST('s2'), follower, ae(14, 8));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 14, conflictTerm: 0, conflictIndex: 12 }]);
  });

  it('FB-1 is off by default: the rejection carries no conflict', () => {
    const r = step(envOf('s2'), follower, ae(10, 6));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10 }]);
    expect(r.rules).not.toContain('FB-1');
  });

  it('DEC-22: where alternatives are decided (a profile, the search), the conflict answer (FB-1) is the default alternative and cites DEC-22', () => {
    const asked = { ...FAST('s2'), decide: () => 'a' as const };
    const r = step(asked, follower, ae(10, 6));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, conflictTerm: 3, conflictIndex: 7 }]);
    expectFired(r.rules, ['AE-2', 'FB-1', 'DEC-22']);
  });

  it('DEC-22b (etcd\'s reject hint): the follower names the last entry at or before the probe whose term is at most prevLogTerm, and its term', () => {
    const etcd = { ...FAST('s2'), decide: (p: string) => (p === 'DEC-22' ? 'b' as const : 'a' as const) };
    const r = step(etcd, follower, ae(10, 6));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, rejectHint: 10, logTerm: 3 }]);
    expectFired(r.rules, ['AE-2', 'DEC-22b']);
    // Beyond its log: from its last entry. Its first entries are of term 1: a probe of term 1 at 5 is hinted at 3.
    expect(step(etcd, follower, ae(14, 8)).sent[0]).toMatchObject({ rejectHint: 11, logTerm: 3 });
    expect(step(etcd, follower, ae(5, 1)).sent[0]).toMatchObject({ rejectHint: 3, logTerm: 1 });
  });

  it('DEC-22b: the leader moves nextIndex one past its own last entry at or before the hint whose term is at most logTerm (never above the probe)', () => {
    const hint = (rejectHint: number, logTerm: number): AppendEntriesResponse =>
      ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, rejectHint, logTerm });
    // Its entries 4..10 are of terms 4 to 6, all above 3: one past index 3 (term 1), one round trip where FB-2 takes two.
    const r = step(FAST('s1'), leader, hint(10, 3));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 4, s3: 11 });
    expect(r.sent).toEqual([{ type: 'AppendEntries', from: 's1', to: 's2', term: 8, leaderId: 's1', prevLogIndex: 3, prevLogTerm: 1, entries: leaderLog.slice(3), leaderCommit: 0 }]);
    expectFired(r.rules, ['DEC-22b', 'LEA-3b']);
    // logTerm 0 (unknown): the hint itself; never above the probe's prevLogIndex.
    expect(leaderView(step(FAST('s1'), leader, hint(6, 0)).state).nextIndex.s2).toBe(7);
    expect(leaderView(step(FAST('s1'), leader, hint(10, 6)).state).nextIndex.s2).toBe(10);
  });

  it('FB-2: a term the leader does not hold is skipped at once: nextIndex = conflictIndex, and the retry starts there', () => {
    const r = step(FAST('s1'), leader, rejection(10, 3, 7));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 7, s3: 11 });
    expect(r.sent).toEqual([{ type: 'AppendEntries', from: 's1', to: 's2', term: 8, leaderId: 's1', prevLogIndex: 6, prevLogTerm: 5, entries: leaderLog.slice(6), leaderCommit: 0 }]);
    expectFired(r.rules, ['FB-2', 'LEA-3b']);
  });

  it('FB-2: a term the leader holds sends nextIndex one past the leader\'s last entry of it', () => {
    // The follower's entry 10 is of term 5, which the leader holds at 6..7: retry from 8.
    const r = step(FAST('s1'), leader, rejection(10, 5, 6));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 8, s3: 11 });
  });

  it('FB-2: nextIndex never goes above the rejected prevLogIndex, nor below matchIndex + 1 (DEC-4)', () => {
    // A conflicting term above every term the leader holds at or before prevLogIndex: at most prevLogIndex.
    const atFive = withLeaderState(leader, { nextIndex: { s2: 6, s3: 11 } });
    expect(leaderView(step(FAST('s1'), atFive, rejection(5, 4, 5)).state).nextIndex).toEqual({ s2: 5, s3: 11 });
    const matched = withLeaderState(leader, { matchIndex: { s2: 5, s3: 0 } });
    expect(leaderView(step(FAST('s1'), matched, rejection(10, 2, 4)).state).nextIndex).toEqual({ s2: 6, s3: 11 });
  });

  it('FB-2 acts only on the current probe: a stale rejection is dropped (DEC-4)', () => {
    const r = step(FAST('s1'), leader, rejection(9, 3, 7));
    expect(r.state).toBe(leader);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-4']);
  });
});
