// Log compaction (§7, Figure 13): taking a snapshot (SNAP-1, DEC-13), sending it (SNAP-2) and
// following its progress (SNAP-3), restarting from it (SNAP-4), the compacted prefix on the
// AppendEntries receiver (SNAP-5, with FB-1 and FB-2), and the InstallSnapshot receiver (IS-1 ..
// IS-8, DEC-11, DEC-12). Each test: given this state and this input, expect this state, these
// messages and these rules. Every step is also taken by the xstate statechart, which must agree
// with the reducer on all of it. Snapshot data is written out by hand: the canonical JSON of the
// state machine (keys sorted), cut into chunks.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, KvCommand, KvState, Observation } from '../../spec/schema.js';
import { restartFromPersistentState } from '../core/figure2.js';
import { type Env, type NodeState, toJson } from '../state.js';
import { NO_OPTION_STATE, THREE, e, envOf, expectFired, st, stepBoth } from './fixtures.js';

/** The state that is not in the JSON form. */
/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

const S1 = envOf('s1');
/** s1 with chunks of 10 characters. */
const S1_CHUNK_10 = envOf('s1', THREE, 1, false, { snapshotChunkSize: 10 });
/** s1 with fast backtracking. */
const S1_FAST = envOf('s1', THREE, 1, true);

const put = (key: string, value: string, client?: string, seq?: number): KvCommand =>
  client === undefined || seq === undefined ? { op: 'put', key, value } : { op: 'put', key, value, client, seq };
const append = (key: string, value: string): KvCommand => ({ op: 'append', key, value });

/** The state machine holding x = "1", and its snapshot data: 32 characters. */
const M1: KvState = { data: { x: '1' }, sessions: {} };
const M1_DATA = '{"data":{"x":"1"},"sessions":{}}';
/** M1_DATA in chunks of 10: '{"data":{"' + 'x":"1"},"s' + 'essions":{' + '}}'. */
const M1_CHUNKS = ['{"data":{"', 'x":"1"},"s', 'essions":{', '}}'] as const;

/** An InstallSnapshot from s2 (the leader) to s1. */
const isFromS2 = (term: number, lastIncludedIndex: number, lastIncludedTerm: number, offset: number, data: string, done: boolean): InstallSnapshot =>
  ({ type: 'InstallSnapshot', from: 's2', to: 's1', term, leaderId: 's2', lastIncludedIndex, lastIncludedTerm, offset, data, done });
/** s1's answer to s2. */
const isrToS2 = (term: number, lastIncludedIndex: number, offset: number, done: boolean): InstallSnapshotResponse =>
  ({ type: 'InstallSnapshotResponse', from: 's1', to: 's2', term, lastIncludedIndex, offset, done });
/** An InstallSnapshot from the leader s1. */
const isFromS1 = (to: string, term: number, lastIncludedIndex: number, lastIncludedTerm: number, offset: number, data: string, done: boolean): InstallSnapshot =>
  ({ type: 'InstallSnapshot', from: 's1', to, term, leaderId: 's1', lastIncludedIndex, lastIncludedTerm, offset, data, done });
/** A follower's answer to the leader s1. */
const isrToS1 = (from: string, term: number, lastIncludedIndex: number, offset: number, done: boolean): InstallSnapshotResponse =>
  ({ type: 'InstallSnapshotResponse', from, to: 's1', term, lastIncludedIndex, offset, done });

const aeFromS2 = (term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number): AppendEntries =>
  ({ type: 'AppendEntries', from: 's2', to: 's1', term, leaderId: 's2', prevLogIndex, prevLogTerm, entries, leaderCommit });
const aerToS2 = (term: number, success: boolean, matchIndex: number, prevLogIndex: number, conflict?: { conflictTerm: number; conflictIndex: number }): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from: 's1', to: 's2', term, success, matchIndex, prevLogIndex, ...(conflict ?? {}) });
const aeFromS1 = (to: string, term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit });

/** s1 as leader of `term` (it voted for itself and knows itself as leader). */
const leaderS1 = (term: number, o: Observation): NodeState =>
  st({ role: 'leader', currentTerm: term, votedFor: 's1', votesGranted: ['s1'], leaderId: 's1', ...o });

/**
 * The leader s1 of term 2 with a snapshot through index 2 (term 1, x = "1") and entry 3 of term 2
 * after it; s2 needs entries from index 2 (compacted), s3 from index 3.
 */
const compactedLeader = (o: Observation = {}): NodeState => leaderS1(2, {
  snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [e(2, 'c')],
  commitIndex: 2, lastApplied: 2, machine: M1,
  nextIndex: { s2: 2, s3: 3 }, matchIndex: { s2: 0, s3: 2 },
  ...o,
});

describe('SNAP-1, DEC-13: taking a snapshot', () => {
  it('SNAP-1: a snapshot through lastApplied records its index, term and state machine, and the log keeps only the entries after it', () => {
    const s = st({ currentTerm: 2, log: [e(1, put('x', '1')), e(1, put('y', '2')), e(2, put('x', '3'))], commitIndex: 2, lastApplied: 2, machine: { data: { x: '1', y: '2' }, sessions: {} } });
    const r = run(S1, s, { type: 'snapshot' });
    expect(toJson(r.state)).toEqual({
      ...toJson(s),
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: { data: { x: '1', y: '2' }, sessions: {} },
      log: [e(2, put('x', '3'))],
    });
    // Log indexes stay absolute: the remaining entry is still index 3.
    expect(r.state.log.firstIndex).toBe(3);
    expect(r.state.log.lastIndex).toBe(3);
    expect(r.state.log.entry(3)).toEqual(e(2, put('x', '3')));
    expect(r.sent).toEqual([]);
    expect(r.applied).toEqual([]);
    expect(r.rules).toEqual(['SNAP-1']);
  });

  it('SNAP-1: a snapshot below lastApplied executes, from the previous snapshot, only the entries up to its index, client table included (CLI-2)', () => {
    const s = st({
      currentTerm: 2, snapshotIndex: 1, snapshotTerm: 1, snapshotMachine: M1,
      log: [e(1, put('y', '2', 'c1', 1)), e(2, append('x', 'z'))], commitIndex: 3, lastApplied: 3,
      machine: { data: { x: '1z', y: '2' }, sessions: { c1: { seq: 1, result: null } } },
    });
    const r = run(S1, s, { type: 'snapshot', index: 2 });
    expect(toJson(r.state)).toEqual({
      ...toJson(s),
      snapshotIndex: 2, snapshotTerm: 1,
      snapshotMachine: { data: { x: '1', y: '2' }, sessions: { c1: { seq: 1, result: null } } },
      log: [e(2, append('x', 'z'))],
    });
    expect(r.rules).toEqual(['SNAP-1']);
  });

  it('SNAP-1: a leader compacts too, and its nextIndex and matchIndex stay as they were', () => {
    const s = leaderS1(2, { log: [e(1, 'a'), e(2, 'b')], commitIndex: 2, lastApplied: 2, nextIndex: { s2: 1, s3: 3 }, matchIndex: { s2: 0, s3: 2 } });
    const r = run(S1, s, { type: 'snapshot', index: 1 });
    expect(toJson(r.state)).toEqual({ ...toJson(s), snapshotIndex: 1, snapshotTerm: 1, log: [e(2, 'b')] });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['SNAP-1']);
  });

  it('DEC-13: a snapshot through an index not above snapshotIndex, or above lastApplied, has no effect', () => {
    const s = st({ currentTerm: 2, snapshotIndex: 1, snapshotTerm: 1, snapshotMachine: M1, log: [e(1, 'b'), e(2, 'c')], commitIndex: 3, lastApplied: 2 });
    for (const index of [1, 3]) {
      const r = run(S1, s, { type: 'snapshot', index });
      expect(r.state).toBe(s);
      expect(r.rules).toEqual(['DEC-13']);
    }
  });

  it('DEC-13: a snapshot without an index when lastApplied is snapshotIndex (nothing applied since) has no effect', () => {
    const s = st({ currentTerm: 2, snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [e(2, 'c')], commitIndex: 2, lastApplied: 2 });
    const r = run(S1, s, { type: 'snapshot' });
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-13']);
  });
});

describe('SNAP-2, SNAP-3: the leader sends its snapshot', () => {
  it('SNAP-2: a follower whose nextIndex is at or below snapshotIndex gets InstallSnapshot from offset 0; one just past it gets an AppendEntries with prevLogTerm = snapshotTerm', () => {
    const s = compactedLeader();
    const r = run(S1, s, { type: 'heartbeatTimeout' });
    expect(r.sent).toEqual([
      isFromS1('s2', 2, 2, 1, 0, M1_DATA, true),
      aeFromS1('s3', 2, 2, 1, [e(2, 'c')], 2),
    ]);
    expect(toJson(r.state)).toEqual(toJson(s)); // SNAP-2 moves neither nextIndex nor matchIndex
    expectFired(r.rules, ['LEA-1', 'DEC-5', 'SNAP-2']);
  });

  it('SNAP-2: with snapshotChunkSize 10, the first chunk is the first 10 characters of the data, not done', () => {
    const r = run(S1_CHUNK_10, compactedLeader(), { type: 'heartbeatTimeout' });
    expect(r.sent[0]).toEqual(isFromS1('s2', 2, 2, 1, 0, M1_CHUNKS[0], false));
  });

  it('SNAP-2: a client command replicates to a follower that needs the snapshot with the snapshot (LEA-3)', () => {
    const s = compactedLeader({ nextIndex: { s2: 1, s3: 4 }, matchIndex: { s2: 0, s3: 0 } });
    const r = run(S1, s, { type: 'clientRequest', command: 'd' });
    expect(r.sent).toEqual([
      isFromS1('s2', 2, 2, 1, 0, M1_DATA, true),
      aeFromS1('s3', 2, 3, 2, [e(2, 'd')], 2),
    ]);
    expectFired(r.rules, ['LEA-2', 'LEA-3', 'SNAP-2']);
  });

  it('SNAP-3: a done response raises matchIndex to lastIncludedIndex and nextIndex past it, then the rest of the log follows (LEA-3)', () => {
    const s = compactedLeader();
    const r = run(S1, s, isrToS1('s2', 2, 2, 32, true));
    expect(toJson(r.state)).toEqual({ ...toJson(s), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    expect(r.sent).toEqual([aeFromS1('s2', 2, 2, 1, [e(2, 'c')], 2)]);
    expectFired(r.rules, ['SNAP-3', 'LEA-3']);
  });

  it('SNAP-3, DEC-3: a done response older than matchIndex moves neither index back and sends nothing', () => {
    const s = compactedLeader({ nextIndex: { s2: 4, s3: 3 }, matchIndex: { s2: 3, s3: 2 }, commitIndex: 3, lastApplied: 3 });
    const r = run(S1, s, isrToS1('s2', 2, 2, 32, true));
    expect(toJson(r.state)).toEqual(toJson(s));
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['DEC-3', 'SNAP-3']);
  });

  it('SNAP-3: a response that is not done gets the chunk at the offset it asks for; the last chunk is done', () => {
    const s = compactedLeader();
    const r = run(S1_CHUNK_10, s, isrToS1('s2', 2, 2, 10, false));
    expect(r.sent).toEqual([isFromS1('s2', 2, 2, 1, 10, M1_CHUNKS[1], false)]);
    expect(toJson(r.state)).toEqual(toJson(s));
    expect(r.rules).toEqual(['SNAP-3']);
    const last = run(S1_CHUNK_10, s, isrToS1('s2', 2, 2, 30, false));
    expect(last.sent).toEqual([isFromS1('s2', 2, 2, 1, 30, M1_CHUNKS[3], true)]);
  });

  it('SNAP-3, DEC-4: a not-done response about another snapshot, from a follower that no longer needs it, or past the end of the data is dropped', () => {
    const s = compactedLeader();
    for (const [r, env] of [
      [isrToS1('s2', 2, 1, 10, false), S1_CHUNK_10], // not our snapshot's index
      [isrToS1('s3', 2, 2, 10, false), S1_CHUNK_10], // s3's nextIndex 3 is past the snapshot
      [isrToS1('s2', 2, 2, 32, false), S1_CHUNK_10], // nothing at offset 32
    ] as const) {
      const out = run(env, s, r);
      expect(out.state).toBe(s);
      expect(out.sent).toEqual([]);
      expect(out.rules).toEqual(['DEC-4']);
    }
  });

  it('DEC-8: a done response claiming a snapshot beyond the leader\'s last index is dropped', () => {
    const s = compactedLeader();
    const r = run(S1, s, isrToS1('s2', 2, 9, 32, true));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-8']);
  });

  it('DEC-1: an InstallSnapshotResponse of an older term, or on a follower, is dropped', () => {
    const s = compactedLeader({ currentTerm: 3 });
    expect(run(S1, s, isrToS1('s2', 2, 2, 32, true)).rules).toEqual(['DEC-1']);
    const f = st({ currentTerm: 2 });
    expect(run(S1, f, isrToS1('s2', 2, 2, 32, true)).rules).toEqual(['DEC-1']);
  });

  it('ALL-2: a leader that gets an InstallSnapshotResponse of a newer term steps down and sends nothing', () => {
    const r = run(S1, compactedLeader(), isrToS1('s2', 3, 2, 0, false));
    expect(r.state.role).toBe('follower');
    expect(r.state.currentTerm).toBe(3);
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['ALL-2', 'DEC-1']);
  });
});

describe('SNAP-4: restarting from a snapshot', () => {
  it('SNAP-4: a restart keeps the snapshot and the log after it; commitIndex = lastApplied = snapshotIndex and the state machine is the snapshot\'s', () => {
    const s = st({
      currentTerm: 2, votedFor: 's2', leaderId: 's2',
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [e(2, put('y', '2'))],
      commitIndex: 3, lastApplied: 3, machine: { data: { x: '1', y: '2' }, sessions: {} },
      partialSnapshot: { lastIncludedIndex: 5, lastIncludedTerm: 2, data: 'abc' },
    });
    const restarted = restartFromPersistentState(s);
    expect(toJson(restarted)).toEqual({
      role: 'follower', currentTerm: 2, votedFor: 's2', log: [e(2, put('y', '2'))],
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, snapshotConfig: null,
      commitIndex: 2, lastApplied: 2, machine: M1, leaderId: null, partialSnapshot: null,
      nextIndex: {}, matchIndex: {}, votesGranted: [], ...NO_OPTION_STATE,
    });
    // Only the entry after the snapshot is applied again.
    const r = run(S1, restarted, aeFromS2(2, 3, 2, [], 3));
    expect(r.applied).toEqual([{ index: 3, term: 2, command: put('y', '2'), result: null, duplicate: false }]);
    expect(r.state.machine).toEqual({ data: { x: '1', y: '2' }, sessions: {} });
  });
});

describe('SNAP-5: the compacted prefix on the AppendEntries receiver', () => {
  /** A follower of term 2 with a snapshot through 3 (term 1) and entry 4 of term 2. */
  const compacted = (): NodeState => st({ currentTerm: 2, leaderId: 's2', snapshotIndex: 3, snapshotTerm: 1, log: [e(2, 'd')], commitIndex: 3, lastApplied: 3 });

  it('SNAP-5: a prevLogIndex below snapshotIndex passes the consistency check; entries at or below snapshotIndex are skipped, the rest merged', () => {
    const s = compacted();
    const r = run(S1, s, aeFromS2(2, 1, 1, [e(1, 'b'), e(1, 'c'), e(2, 'd'), e(2, 'e')], 5));
    expect(toJson(r.state)).toEqual({ ...toJson(s), heardFromLeader: true, log: [e(2, 'd'), e(2, 'e')], commitIndex: 5, lastApplied: 5 });
    expect(r.state.log.firstIndex).toBe(4);
    expect(r.applied).toEqual([
      { index: 4, term: 2, command: 'd', result: null, duplicate: false },
      { index: 5, term: 2, command: 'e', result: null, duplicate: false },
    ]);
    expect(r.sent).toEqual([aerToS2(2, true, 5, 1)]);
    expectFired(r.rules, ['SNAP-5', 'AE-4', 'AE-5', 'ALL-1', 'FOL-1']);
  });

  it('SNAP-5: a stale heartbeat below the snapshot succeeds with matchIndex = prevLogIndex and moves nothing back', () => {
    const s = compacted();
    const r = run(S1, s, aeFromS2(2, 2, 1, [], 3));
    expect(toJson(r.state)).toEqual({ ...toJson(s), heardFromLeader: true });
    expect(r.sent).toEqual([aerToS2(2, true, 2, 2)]);
    expectFired(r.rules, ['SNAP-5', 'FOL-1']);
  });

  it('SNAP-5, AE-2: at snapshotIndex itself the entry to match is the snapshot\'s last included entry (term snapshotTerm)', () => {
    const s = compacted();
    const ok = run(S1, s, aeFromS2(2, 3, 1, [e(2, 'd')], 3));
    expect(ok.sent).toEqual([aerToS2(2, true, 4, 3)]);
    expect(ok.rules).not.toContain('SNAP-5');
    const refused = run(S1, s, aeFromS2(2, 3, 2, [e(2, 'd')], 3));
    expect(refused.state.log.toArray()).toEqual([e(2, 'd')]);
    expect(refused.sent).toEqual([aerToS2(2, false, 0, 3)]);
    expectFired(refused.rules, ['AE-2']);
  });

  it('SNAP-5, FB-1: the conflicting term\'s first index is searched down to snapshotIndex only, whose term is snapshotTerm', () => {
    const s = st({ currentTerm: 3, snapshotIndex: 3, snapshotTerm: 2, log: [e(2, 'd'), e(2, 'e')], commitIndex: 3, lastApplied: 3 });
    // Entries 4 and 5 and the snapshot's last entry are of term 2: the first index of term 2 we know is 3.
    const r = run(S1_FAST, s, aeFromS2(3, 5, 3, [], 3));
    expect(r.sent).toEqual([aerToS2(3, false, 0, 5, { conflictTerm: 2, conflictIndex: 3 })]);
    expectFired(r.rules, ['AE-2', 'FB-1']);
    // A mismatch at snapshotIndex itself reports snapshotTerm at snapshotIndex.
    const atBase = run(S1_FAST, s, aeFromS2(3, 3, 1, [], 3));
    expect(atBase.sent).toEqual([aerToS2(3, false, 0, 3, { conflictTerm: 2, conflictIndex: 3 })]);
  });

  it('SNAP-5, FB-2: the leader searches its log only after its snapshot; a nextIndex that falls into the snapshot sends it (SNAP-2)', () => {
    const s = leaderS1(3, {
      snapshotIndex: 3, snapshotTerm: 2, snapshotMachine: M1, log: [e(3, 'd'), e(3, 'e')],
      commitIndex: 3, lastApplied: 3, machine: M1, nextIndex: { s2: 6, s3: 6 }, matchIndex: { s2: 0, s3: 0 },
    });
    const rejection: AppendEntriesResponse = { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 5, conflictTerm: 1, conflictIndex: 2 };
    const r = run(S1_FAST, s, rejection);
    // No entry of term 1 after the snapshot: nextIndex = conflictIndex 2, inside the snapshot.
    expect(toJson(r.state)).toEqual({ ...toJson(s), nextIndex: { s2: 2, s3: 6 } });
    expect(r.sent).toEqual([isFromS1('s2', 3, 3, 2, 0, M1_DATA, true)]);
    expectFired(r.rules, ['FB-2', 'LEA-3b', 'SNAP-2']);
  });
});

describe('IS-1..IS-8, DEC-11, DEC-12: InstallSnapshot receiver', () => {
  it('IS-1: an InstallSnapshot of an older term is refused with the current term, offset 0, not done; nothing changes', () => {
    const s = st({ currentTerm: 3, log: [e(1, 'a')], partialSnapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: M1_CHUNKS[0] } });
    const r = run(S1, s, isFromS2(2, 2, 1, 10, M1_CHUNKS[1], false));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([isrToS2(3, 2, 0, false)]);
    expect(r.rules).toEqual(['IS-1', 'FOL-1']);
  });

  it('IS-2, IS-3, IS-4: a first chunk (offset 0) starts a partial snapshot holding it; the reply asks for the next offset', () => {
    const s = st({ currentTerm: 2 });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_CHUNKS[0], false));
    expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true, partialSnapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"' } });
    expect(r.sent).toEqual([isrToS2(2, 2, 10, false)]);
    expectFired(r.rules, ['CLI-1', 'IS-2', 'IS-3', 'IS-4', 'FOL-1']);
  });

  it('IS-2: a first chunk replaces a partial snapshot of another index', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', partialSnapshot: { lastIncludedIndex: 5, lastIncludedTerm: 2, data: 'abc' } });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_CHUNKS[0], false));
    expect(r.state.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"' });
    expect(r.sent).toEqual([isrToS2(2, 2, 10, false)]);
    expectFired(r.rules, ['IS-2', 'IS-3', 'IS-4']);
  });

  it('IS-3, IS-4: a chunk at the end of the partial snapshot of the same index and term is written after it', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', partialSnapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"' } });
    const r = run(S1, s, isFromS2(2, 2, 1, 10, M1_CHUNKS[1], false));
    expect(toJson(r.state)).toEqual({ ...toJson(s), heardFromLeader: true, partialSnapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"x":"1"},"s' } });
    expect(r.sent).toEqual([isrToS2(2, 2, 20, false)]);
    expect(r.rules).toEqual(['IS-3', 'IS-4', 'FOL-1']);
  });

  it('DEC-12: a chunk past the end, a repeated chunk, or one of another snapshot is not written; the reply gives the offset wanted next', () => {
    const partial = { lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"' };
    // Already heard from s2 since its last election timeout: a chunk not written changes nothing at all.
    const s = st({ currentTerm: 2, leaderId: 's2', heardFromLeader: true, partialSnapshot: partial });
    const gap = run(S1, s, isFromS2(2, 2, 1, 20, M1_CHUNKS[2], false));
    expect(gap.state).toBe(s);
    expect(gap.sent).toEqual([isrToS2(2, 2, 10, false)]);
    expect(gap.rules).toEqual(['DEC-12', 'FOL-1']);
    const repeat = run(S1, s, isFromS2(2, 2, 1, 5, 'a":{"x":"1', false));
    expect(repeat.state).toBe(s);
    expect(repeat.sent).toEqual([isrToS2(2, 2, 10, false)]);
    // Another snapshot (another term at the same index): not ours, so offset 0; the partial one stays.
    const other = run(S1, s, isFromS2(2, 2, 2, 10, M1_CHUNKS[1], false));
    expect(other.state).toBe(s);
    expect(other.sent).toEqual([isrToS2(2, 2, 0, false)]);
    // No partial snapshot at all: offset 0.
    const none = run(S1, st({ currentTerm: 2, leaderId: 's2' }), isFromS2(2, 2, 1, 10, M1_CHUNKS[1], true));
    expect(none.state.partialSnapshot).toBeNull();
    expect(none.state.snapshotIndex).toBe(0);
    expect(none.sent).toEqual([isrToS2(2, 2, 0, false)]);
    expect(none.rules).toEqual(['DEC-12', 'FOL-1']);
  });

  it('IS-5, IS-7, IS-8: the last chunk saves the snapshot; a log without its last included entry is discarded; the state machine is the snapshot\'s', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', log: [e(1, put('x', '9'))], partialSnapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: '{"data":{"x":"1"},"s' } });
    const r = run(S1, s, isFromS2(2, 2, 1, 20, 'essions":{}}', true));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), heardFromLeader: true,
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [],
      commitIndex: 2, lastApplied: 2, machine: M1, partialSnapshot: null,
    });
    expect(r.state.log.lastIndex).toBe(2);
    expect(r.state.log.lastTerm).toBe(1);
    expect(r.applied).toEqual([]); // installed, not applied entry by entry
    expect(r.sent).toEqual([isrToS2(2, 2, 32, true)]);
    expect(r.rules).toEqual(['IS-3', 'IS-5', 'IS-7', 'IS-8', 'FOL-1']);
  });

  it('IS-6: a log holding the snapshot\'s last included entry (same index and term) keeps the entries after it', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', log: [e(1, 'a'), e(1, 'b'), e(2, 'c')], commitIndex: 1, lastApplied: 1 });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_DATA, true));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), heardFromLeader: true,
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [e(2, 'c')],
      commitIndex: 2, lastApplied: 2, machine: M1,
    });
    expect(r.state.log.firstIndex).toBe(3);
    expect(r.sent).toEqual([isrToS2(2, 2, 32, true)]);
    expect(r.rules).toEqual(['IS-2', 'IS-3', 'IS-5', 'IS-6', 'IS-8', 'FOL-1']);
  });

  it('IS-7: an entry at the snapshot\'s index with another term means the whole log goes, the entries after it too', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', log: [e(1, 'a'), e(2, 'b'), e(2, 'c')] });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_DATA, true));
    expect(r.state.log.toArray()).toEqual([]);
    expect(r.state.log.lastIndex).toBe(2);
    expectFired(r.rules, ['IS-5', 'IS-7', 'IS-8']);
  });

  it('IS-8: the commands awaited at indexes the snapshot covers are dropped without a reply; later ones are still awaited', () => {
    const s: NodeState = { ...st({ currentTerm: 2, leaderId: 's2', log: [e(1, 'a')] }), awaiting: new Map([[1, 1], [3, 1], [5, 2]]) };
    const r = run(S1, s, isFromS2(2, 3, 1, 0, M1_DATA, true));
    expect([...r.state.awaiting]).toEqual([[5, 2]]);
    expect([...s.awaiting]).toEqual([[1, 1], [3, 1], [5, 2]]); // the old state is untouched
    expect(r.replies).toEqual([]);
    expectFired(r.rules, ['IS-7', 'IS-8']);
  });

  it('DEC-11: a snapshot whose lastIncludedIndex is at or below commitIndex is acknowledged as done and installs nothing', () => {
    const partial = { lastIncludedIndex: 5, lastIncludedTerm: 2, data: 'abc' };
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(1, 'b'), e(1, 'c')], commitIndex: 3, lastApplied: 3, partialSnapshot: partial });
    for (const lastIncludedIndex of [2, 3]) {
      const r = run(S1, s, isFromS2(2, lastIncludedIndex, 1, 10, M1_CHUNKS[1], false));
      expect(toJson(r.state)).toEqual({ ...toJson(s), leaderId: 's2', heardFromLeader: true }); // the partial snapshot stays as it is
      expect(r.sent).toEqual([isrToS2(2, lastIncludedIndex, 20, true)]);
      expectFired(r.rules, ['CLI-1', 'DEC-11', 'FOL-1']);
    }
  });

  it('DEC-8: snapshot data that does not parse as a key-value state (IS-5) drops the partial snapshot and asks again from 0', () => {
    const s = st({ currentTerm: 2, leaderId: 's2' });
    for (const data of ['not json', '{"data":{"x":1},"sessions":{}}', '{"data":{},"sessions":{"c1":{"seq":0,"result":null}}}', '{"data":{},"sessions":{},"more":1}']) {
      const r = run(S1, s, isFromS2(2, 2, 1, 0, data, true));
      expect(toJson(r.state)).toEqual({ ...toJson(s), heardFromLeader: true });
      expect(r.sent).toEqual([isrToS2(2, 2, 0, false)]);
      expectFired(r.rules, ['IS-2', 'IS-3', 'DEC-8', 'FOL-1']);
    }
  });

  it('DEC-8: a leader drops an InstallSnapshot of its own term (there is one leader per term)', () => {
    const s = compactedLeader();
    const r = run(S1, s, { ...isFromS2(2, 2, 1, 0, M1_DATA, true) });
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-8']);
  });

  it('IS-5, CAN-3: a candidate that gets an InstallSnapshot of its term concedes, then installs it as a follower', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_DATA, true));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), role: 'follower', votesGranted: [], leaderId: 's2', heardFromLeader: true,
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, commitIndex: 2, lastApplied: 2, machine: M1,
    });
    expect(r.sent).toEqual([isrToS2(2, 2, 32, true)]);
    expectFired(r.rules, ['CAN-3', 'IS-5', 'IS-7', 'IS-8', 'FOL-1']);
  });

  it('IS-5, ALL-2: a leader that gets an InstallSnapshot of a newer term steps down and installs it', () => {
    const s = leaderS1(1, { log: [e(1, 'a')], commitIndex: 0, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const r = run(S1, s, isFromS2(2, 2, 1, 0, M1_DATA, true));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), role: 'follower', currentTerm: 2, votedFor: null, votesGranted: [], nextIndex: {}, matchIndex: {}, leaderId: 's2', heardFromLeader: true,
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M1, log: [], commitIndex: 2, lastApplied: 2, machine: M1,
    });
    expect(r.sent).toEqual([isrToS2(2, 2, 32, true)]);
    expectFired(r.rules, ['ALL-2', 'IS-5', 'IS-7', 'IS-8']);
  });
});
