// Log replication (§5.3, §5.4.2): LEA-1..LEA-4 on the leader, AE-1..AE-5 on the receiver, the
// choices DEC-2..DEC-6, and the replication pitfalls of section 6 of the reference. Each test:
// given this state and this input, expect this state, these messages and these rules.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse } from '../../spec/schema.js';
import { step } from '../node.js';
import { toJson, leaderView } from '../state.js';
import { FIVE, FOUR, e, envOf, st, expectFired } from './fixtures.js';

/** An AppendEntries from s2 (the leader) to s1. */
const aeFromS2 = (term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number): AppendEntries =>
  ({ type: 'AppendEntries', from: 's2', to: 's1', term, leaderId: 's2', prevLogIndex, prevLogTerm, entries, leaderCommit });

/** s1's answer to s2. */
const aerToS2 = (term: number, success: boolean, matchIndex: number, prevLogIndex: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from: 's1', to: 's2', term, success, matchIndex, prevLogIndex });

/** A follower's answer to the leader s1. */
const aerToS1 = (from: string, term: number, success: boolean, matchIndex: number, prevLogIndex: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to: 's1', term, success, matchIndex, prevLogIndex });

/** An AppendEntries from the leader s1. */
const aeFromS1 = (to: string, term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit });

describe('AE-1..AE-5: AppendEntries receiver', () => {
  it('AE-1: an AppendEntries of an older term is refused with the current term and changes nothing', () => {
    const s = st({ currentTerm: 3, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 0, 0, [e(2, 'x')], 1));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([aerToS2(3, false, 0, 0)]);
    expectFired(r.rules, ['AE-1']);
  });

  it('AE-2: no entry at prevLogIndex: refused, and leaderCommit is not followed', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 2, 1, [e(2, 'x')], 2));
    expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true }); // CLI-1: the sender is the leader of the term, even on a refusal
    expect(r.sent).toEqual([aerToS2(2, false, 0, 2)]);
    expectFired(r.rules, ['AE-2']);
  });

  it('AE-2: an entry at prevLogIndex of another term: refused, and nothing is truncated', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 2, 2, [e(2, 'x')], 0));
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(1, 'b')]);
    expect(r.sent).toEqual([aerToS2(2, false, 0, 2)]);
    expectFired(r.rules, ['AE-2']);
  });

  it('AE-2: prevLogIndex 0 always matches, even on an empty log', () => {
    const r = step(envOf('s1'), st({ currentTerm: 1 }), aeFromS2(1, 0, 0, [e(1, 'a')], 0));
    expect(r.state.log.toArray()).toEqual([e(1, 'a')]);
    expect(r.sent).toEqual([aerToS2(1, true, 1, 0)]);
  });

  it('AE-3: a real conflict (same index, different term) deletes that entry and all that follow it', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(1, 'c')], commitIndex: 1, lastApplied: 1 });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [e(2, 'x')], 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true, log: [e(1, 'a'), e(2, 'x')] });
    expect(r.sent).toEqual([aerToS2(2, true, 2, 1)]);
    expectFired(r.rules, ['AE-3', 'AE-4']);
  });

  it('AE-3: truncates only on a real conflict, never on a stale AppendEntries whose entries already match', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(2, 'c')], commitIndex: 1, lastApplied: 1 });
    const r = step(envOf('s1'), s, aeFromS2(2, 0, 0, [e(1, 'a')], 1));
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    expect(r.sent).toEqual([aerToS2(2, true, 1, 0)]);
    expect(r.rules).not.toContain('AE-3');
    expect(r.rules).not.toContain('AE-4');
  });

  it('AE-3 (pitfall: truncating on a heartbeat): an empty AppendEntries truncates nothing after prevLogIndex', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(2, 'c')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [], 0));
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    expect(r.sent).toEqual([aerToS2(2, true, 1, 1)]);
    expect(r.rules).not.toContain('AE-3');
    expect(r.rules).not.toContain('AE-4');
  });

  it('AE-3: with a batch, entries already held are kept and the log is cut at the first conflicting one', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(1, 'c'), e(1, 'd')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [e(1, 'b'), e(2, 'x')], 0));
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'x')]);
    expect(r.sent).toEqual([aerToS2(2, true, 3, 1)]);
    expectFired(r.rules, ['AE-3', 'AE-4']);
  });

  it('AE-4: new entries after the end of the log are appended', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [e(2, 'b')], 0));
    expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true, log: [e(1, 'a'), e(2, 'b')] });
    expect(r.sent).toEqual([aerToS2(2, true, 2, 1)]);
    expectFired(r.rules, ['AE-4']);
    expect(r.rules).not.toContain('AE-3');
  });

  it('AE-4: of a batch partly held, only the entries not already in the log are appended', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [e(2, 'b'), e(2, 'c')], 0));
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(2, 'b'), e(2, 'c')]);
    expect(r.sent).toEqual([aerToS2(2, true, 3, 1)]);
    expectFired(r.rules, ['AE-4']);
    expect(r.rules).not.toContain('AE-3');
  });

  it('AE-5: commitIndex follows leaderCommit when the last new entry reaches it', () => {
    const s = st({ currentTerm: 1 });
    const r = step(envOf('s1'), s, aeFromS2(1, 0, 0, [e(1, 'a')], 1));
    // The opaque command 'a' leaves the state machine empty (KV-1); the sender leads term 1 (CLI-1).
    expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true, log: [e(1, 'a')], commitIndex: 1, lastApplied: 1 });
    expect(r.applied).toEqual([{ index: 1, term: 1, command: 'a', result: null, duplicate: false }]);
    expectFired(r.rules, ['AE-4', 'AE-5', 'ALL-1']);
  });

  it('AE-5 (pitfall: the local last index): commitIndex = min(leaderCommit, prevLogIndex + len(entries)), not the end of the local log', () => {
    // Entries 2 and 3 may be left over from an old leader: only index 1 is known to match.
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(1, 'c')] });
    const r = step(envOf('s1'), s, aeFromS2(2, 1, 1, [], 3));
    expect(r.state.commitIndex).toBe(1);
    expect(r.state.lastApplied).toBe(1);
    expect(r.applied).toEqual([{ index: 1, term: 1, command: 'a', result: null, duplicate: false }]);
    expect(r.sent).toEqual([aerToS2(2, true, 1, 1)]);
    expectFired(r.rules, ['AE-5', 'ALL-1']);
  });

  it('AE-5: with leaderCommit below the last new entry, commitIndex = leaderCommit', () => {
    const s = st({ currentTerm: 1, log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, aeFromS2(1, 1, 1, [e(1, 'b')], 1));
    expect(r.state.commitIndex).toBe(1);
    expect(r.state.log.toArray()).toEqual([e(1, 'a'), e(1, 'b')]);
  });

  it('DEC-2 (pitfall: commitIndex backwards on an old AppendEntries): a stale AppendEntries leaves commitIndex where it is', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b'), e(2, 'c')], commitIndex: 3, lastApplied: 3 });
    const old = step(envOf('s1'), s, aeFromS2(2, 0, 0, [e(1, 'a')], 1));
    expect(old.state.commitIndex).toBe(3);
    expect(old.state.lastApplied).toBe(3);
    expect(old.state.log.toArray()).toEqual([e(1, 'a'), e(2, 'b'), e(2, 'c')]);
    expect(old.sent).toEqual([aerToS2(2, true, 1, 0)]);
    expect(old.applied).toEqual([]);
  });

  it('DEC-2: leaderCommit above commitIndex but a last new entry below it leaves commitIndex as it is', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b'), e(2, 'c')], commitIndex: 3, lastApplied: 3 });
    const r = step(envOf('s1'), s, aeFromS2(2, 0, 0, [e(1, 'a')], 5));
    expect(r.state.commitIndex).toBe(3);
    expectFired(r.rules, ['DEC-2']);
    expect(r.rules).not.toContain('AE-5');
  });
});

describe('LEA-1..LEA-4: leaders', () => {
  /** s1, leader of term 2 in a three-server cluster, everything committed and replicated. */
  const caughtUp = st({
    role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a'), e(2, 'b')], commitIndex: 2, lastApplied: 2,
    nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 },
  });

  it('LEA-1: the heartbeat timer sends each follower that is caught up an empty AppendEntries', () => {
    const r = step(envOf('s1'), caughtUp, { type: 'heartbeatTimeout' });
    expect(r.state).toBe(caughtUp);
    expect(r.sent).toEqual([aeFromS1('s2', 2, 2, 2, [], 2), aeFromS1('s3', 2, 2, 2, [], 2)]);
    expectFired(r.rules, ['LEA-1']);
    expect(r.rules).not.toContain('DEC-5');
  });

  it('DEC-5: the heartbeat to a follower that is behind carries the entries from its nextIndex', () => {
    const s = st({ ...toJson(caughtUp), nextIndex: { s2: 2, s3: 3 }, matchIndex: { s2: 1, s3: 2 } });
    const r = step(envOf('s1'), s, { type: 'heartbeatTimeout' });
    expect(r.sent).toEqual([aeFromS1('s2', 2, 1, 1, [e(2, 'b')], 2), aeFromS1('s3', 2, 2, 2, [], 2)]);
    expectFired(r.rules, ['LEA-1', 'DEC-5']);
  });

  it('DEC-6: one AppendEntries carries at most maxEntriesPerAppendEntries entries', () => {
    const s = st({
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's3'], log: [e(1, 'a'), e(1, 'b'), e(2, 'c')],
      nextIndex: { s2: 1, s3: 4 }, matchIndex: { s2: 0, s3: 0 },
    });
    const one = step(envOf('s1', undefined, 1), s, { type: 'heartbeatTimeout' });
    expect(one.sent).toEqual([aeFromS1('s2', 2, 0, 0, [e(1, 'a')], 0), aeFromS1('s3', 2, 3, 2, [], 0)]);
    const two = step(envOf('s1', undefined, 2), s, { type: 'heartbeatTimeout' });
    expect(two.sent).toEqual([aeFromS1('s2', 2, 0, 0, [e(1, 'a'), e(1, 'b')], 0), aeFromS1('s3', 2, 3, 2, [], 0)]);
    const many = step(envOf('s1', undefined, 10), s, { type: 'heartbeatTimeout' });
    expect(many.sent).toEqual([aeFromS1('s2', 2, 0, 0, [e(1, 'a'), e(1, 'b'), e(2, 'c')], 0), aeFromS1('s3', 2, 3, 2, [], 0)]);
    expect(one.rules).toContain('DEC-6');
    expect(many.rules).not.toContain('DEC-6');
  });

  it('LEA-2, LEA-3: a client command is appended with the current term and sent to every follower; it is not committed yet', () => {
    const r = step(envOf('s1'), caughtUp, { type: 'clientRequest', command: { op: 'set', k: 1 } });
    expect(toJson(r.state)).toEqual({ ...toJson(caughtUp), log: [e(1, 'a'), e(2, 'b'), e(2, { op: 'set', k: 1 })] });
    expect(r.sent).toEqual([
      aeFromS1('s2', 2, 2, 2, [e(2, { op: 'set', k: 1 })], 2),
      aeFromS1('s3', 2, 2, 2, [e(2, { op: 'set', k: 1 })], 2),
    ]);
    expect(r.applied).toEqual([]);
    expect(r.replies).toEqual([]); // LEA-2: the client is answered once the entry is applied
    expectFired(r.rules, ['LEA-2', 'LEA-3']);
  });

  it('LEA-2, LEA-4: a single-server leader commits, applies and answers a client command at once', () => {
    const s = st({ role: 'leader', currentTerm: 1, votedFor: 's1', leaderId: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1', ['s1']), s, { type: 'clientRequest', command: 'x' });
    expect(toJson(r.state)).toEqual({ ...toJson(s), log: [e(1, 'x')], commitIndex: 1, lastApplied: 1 });
    expect(r.applied).toEqual([{ index: 1, term: 1, command: 'x', result: null, duplicate: false }]);
    // 'x' is opaque (KV-1): result null, and no client or seq to echo.
    expect(r.replies).toEqual([{ type: 'result', node: 's1', client: null, seq: null, index: 1, result: null, duplicate: false }]);
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['LEA-2', 'LEA-4', 'ALL-1']);
  });

  /** s1, leader of term 2 of five servers, with entries 2 and 3 not yet replicated anywhere. */
  const behind = st({
    role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], log: [e(1, 'a'), e(2, 'b'), e(2, 'c')], commitIndex: 1, lastApplied: 1,
    nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 },
  });

  it('LEA-3a (pitfall: matchIndex from the acknowledged request): matchIndex is what the request carried, not the leader\'s last index; LEA-3 sends the next entry', () => {
    const r = step(envOf('s1', FIVE), behind, aerToS1('s2', 2, true, 2, 1));
    expect(toJson(r.state)).toEqual({
      ...toJson(behind),
      nextIndex: { s2: 3, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 2, s3: 1, s4: 1, s5: 1 },
    });
    expect(r.sent).toEqual([aeFromS1('s2', 2, 2, 2, [e(2, 'c')], 1)]);
    expectFired(r.rules, ['LEA-3a', 'LEA-3']);
  });

  it('LEA-3: a success that leaves the follower caught up sends nothing more', () => {
    const s = st({ ...toJson(behind), nextIndex: { s2: 3, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 2, s3: 1, s4: 1, s5: 1 } });
    const r = step(envOf('s1', FIVE), s, aerToS1('s2', 2, true, 3, 2));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 4, s3: 2, s4: 2, s5: 2 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 3, s3: 1, s4: 1, s5: 1 });
    expect(r.state.commitIndex).toBe(1);
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['LEA-3a']);
    expect(r.rules).not.toContain('LEA-3');
    expect(r.rules).not.toContain('LEA-4');
  });

  it('DEC-3 (pitfall: matchIndex backwards): a reordered older success moves neither matchIndex nor nextIndex back', () => {
    const s = st({ ...toJson(behind), nextIndex: { s2: 4, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 3, s3: 1, s4: 1, s5: 1 } });
    const r = step(envOf('s1', FIVE), s, aerToS1('s2', 2, true, 2, 1));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 4, s3: 2, s4: 2, s5: 2 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 3, s3: 1, s4: 1, s5: 1 });
    expect(r.sent).toEqual([]);
    expect(r.rules).toContain('DEC-3');
  });

  /** s1, leader of term 3 of three servers; s2 and s3 have not answered yet. */
  const probing = st({
    role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's3'], log: [e(1, 'a'), e(1, 'b'), e(3, 'c')], commitIndex: 1, lastApplied: 1,
    nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 0, s3: 0 },
  });

  it('LEA-3b: a rejection of the current probe moves nextIndex back by one and retries from there', () => {
    const r = step(envOf('s1'), probing, aerToS1('s2', 3, false, 0, 3));
    expect(toJson(r.state)).toEqual({ ...toJson(probing), nextIndex: { s2: 3, s3: 4 } });
    expect(r.sent).toEqual([aeFromS1('s2', 3, 2, 1, [e(3, 'c')], 1)]);
    expectFired(r.rules, ['LEA-3b']);
  });

  it('DEC-4: a stale or duplicated rejection (not of the current probe) is dropped', () => {
    const s = st({ ...toJson(probing), nextIndex: { s2: 3, s3: 4 } });
    // The same rejection again: nextIndex is already 3, so the current probe is prevLogIndex 2.
    const dup = step(envOf('s1'), s, aerToS1('s2', 3, false, 0, 3));
    expect(dup.state).toBe(s);
    expect(dup.sent).toEqual([]);
    expect(dup.rules).toEqual(['DEC-4']);
    // A rejection of an older, lower probe.
    const older = step(envOf('s1'), s, aerToS1('s2', 3, false, 0, 1));
    expect(older.state).toBe(s);
    expect(older.sent).toEqual([]);
    expect(older.rules).toEqual(['DEC-4']);
  });

  it('DEC-4 (pitfall: nextIndex below 1): a rejection at prevLogIndex 0 leaves nextIndex at 1', () => {
    const s = st({ ...toJson(probing), nextIndex: { s2: 1, s3: 4 } });
    const r = step(envOf('s1'), s, aerToS1('s2', 3, false, 0, 0));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 1, s3: 4 });
    expect(r.sent).toEqual([aeFromS1('s2', 3, 0, 0, [e(1, 'a')], 1)]);
  });

  it('DEC-4: a rejection never moves nextIndex to or below matchIndex', () => {
    const s = st({ ...toJson(probing), nextIndex: { s2: 3, s3: 4 }, matchIndex: { s2: 2, s3: 0 } });
    const r = step(envOf('s1'), s, aerToS1('s2', 3, false, 0, 2));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 3, s3: 4 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 0 });
    expect(r.sent).toEqual([aeFromS1('s2', 3, 2, 1, [e(3, 'c')], 1)]);
  });

  it('LEA-4: an entry of the current term on a majority is committed, with every entry before it, and applied', () => {
    const s = st({
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's3'], log: [e(1, 'a'), e(2, 'b')],
      nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 0, s3: 0 },
    });
    const r = step(envOf('s1'), s, aerToS1('s2', 2, true, 2, 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 1 }, matchIndex: { s2: 2, s3: 0 } });
    expect(r.applied).toEqual([
      { index: 1, term: 1, command: 'a', result: null, duplicate: false },
      { index: 2, term: 2, command: 'b', result: null, duplicate: false },
    ]);
    expect(r.replies).toEqual([]); // this hand-written leader awaits no index (LEA-2)
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['LEA-3a', 'LEA-4', 'ALL-1']);
  });

  it('LEA-4: in a four-server cluster the leader and one follower (2 of 4) are not a majority; a third server is', () => {
    const s = st({
      role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], log: [e(1, 'a')],
      nextIndex: { s2: 1, s3: 1, s4: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0 },
    });
    const r1 = step(envOf('s1', FOUR), s, aerToS1('s2', 1, true, 1, 0));
    expect(r1.state.commitIndex).toBe(0);
    expect(r1.rules).not.toContain('LEA-4');
    const r2 = step(envOf('s1', FOUR), r1.state, aerToS1('s4', 1, true, 1, 0));
    expect(r2.state.commitIndex).toBe(1);
    expect(r2.rules).toContain('LEA-4');
  });

  it('LEA-4 §5.4.2: a leader never commits an entry of an earlier term by counting replicas (Figure 8)', () => {
    // Figure 8 (c): S1 leads term 4 and has replicated its term-2 entry at index 2 to S2 and S3.
    const env = envOf('s1', FIVE);
    const s = st({
      role: 'leader', currentTerm: 4, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], log: [e(1, 'a'), e(2, 'b')], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 3, s3: 2, s4: 3, s5: 3 }, matchIndex: { s2: 2, s3: 0, s4: 0, s5: 0 },
    });
    const c = step(env, s, aerToS1('s3', 4, true, 2, 1));
    expect(leaderView(c.state).matchIndex).toEqual({ s2: 2, s3: 2, s4: 0, s5: 0 });
    expect(c.state.commitIndex).toBe(1); // a majority holds index 2, but it is of term 2
    expect(c.applied).toEqual([]);
    expect(c.rules).not.toContain('LEA-4');
    // Figure 8 (e): an entry of term 4 on a majority commits it, and index 2 with it.
    const cmd = step(env, c.state, { type: 'clientRequest', command: 'd' });
    expect(cmd.sent).toEqual(['s2', 's3', 's4', 's5'].map((to) => aeFromS1(to, 4, 2, 2, [e(4, 'd')], 1)));
    const one = step(env, cmd.state, aerToS1('s2', 4, true, 3, 2));
    expect(one.state.commitIndex).toBe(1);
    const two = step(env, one.state, aerToS1('s3', 4, true, 3, 2));
    expect(two.state.commitIndex).toBe(3);
    expect(two.applied).toEqual([
      { index: 2, term: 2, command: 'b', result: null, duplicate: false },
      { index: 3, term: 4, command: 'd', result: null, duplicate: false },
    ]);
    // LEA-2: s1 appended 'd' at index 3 in term 4 and answers now; index 2 is no command of its own.
    expect(two.replies).toEqual([{ type: 'result', node: 's1', client: null, seq: null, index: 3, result: null, duplicate: false }]);
    expect(two.rules).toContain('LEA-4');
  });
});
