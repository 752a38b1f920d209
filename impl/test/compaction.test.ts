// Log compaction (§7, Figure 13): the log's base, the snapshot event (SNAP-1), InstallSnapshot on
// the leader (SNAP-2, SNAP-3) and on the receiver (IS-1 .. IS-8 with DEC-11 and DEC-12), the
// compacted prefix on AppendEntries (SNAP-5, FB-1, FB-2), restart (SNAP-4) and persistence.
import { describe, expect, it } from 'vitest';
import type { AppendEntriesResponse, Entry, InstallSnapshot, InstallSnapshotResponse, KvState, Message } from '../../spec/schema.js';
import { Cluster, MemoryStorage, RaftNode, type AppliedEntry } from '../index.js';
import { RaftLog } from '../log.js';
import { ae, aer, entries, server } from './helpers.js';

const put = (key: string, value: string) => ({ op: 'put', key, value });

/** The state machine holding x = "1", and its snapshot data (canonical JSON) in two chunks of 16. */
const MX: KvState = { data: { x: '1' }, sessions: {} };
const MX_DATA = '{"data":{"x":"1"},"sessions":{}}';
const MX_CHUNK1 = '{"data":{"x":"1"';
const MX_CHUNK2 = '},"sessions":{}}';

/** An InstallSnapshot from s1 to s2 of term 1 (the whole of MX, through index 2 of term 1) unless told otherwise. */
function is(f: Partial<Omit<InstallSnapshot, 'type' | 'leaderId'>> = {}): InstallSnapshot {
  const from = f.from ?? 's1';
  return { type: 'InstallSnapshot', from, to: 's2', term: 1, leaderId: from, lastIncludedIndex: 2, lastIncludedTerm: 1, offset: 0, data: MX_DATA, done: true, ...f };
}

/** An InstallSnapshotResponse from s3 to s1 (the leader) of term 2 unless told otherwise. */
function isr(f: Partial<Omit<InstallSnapshotResponse, 'type'>> = {}): InstallSnapshotResponse {
  return { type: 'InstallSnapshotResponse', from: 's3', to: 's1', term: 2, lastIncludedIndex: 2, offset: 0, done: false, ...f };
}

const answer = (f: { term?: number; lastIncludedIndex: number; offset: number; done: boolean }): InstallSnapshotResponse =>
  ({ type: 'InstallSnapshotResponse', from: 's2', to: 's1', term: 1, ...f });

/** A single-server cluster's leader that has applied put x=1, put y=2, append x="+" (indexes 1..3, term 1). */
function soloLeaderWithThreePuts(disk?: MemoryStorage): RaftNode {
  const s1 = new RaftNode({ id: 's1', servers: ['s1'] });
  const save = (r: ReturnType<RaftNode['step']>) => disk?.save(r);
  save(s1.step({ type: 'electionTimeout' }));
  save(s1.step({ type: 'clientRequest', command: put('x', '1') }));
  save(s1.step({ type: 'clientRequest', command: put('y', '2') }));
  save(s1.step({ type: 'clientRequest', command: { op: 'append', key: 'x', value: '+' } }));
  return s1;
}

describe('RaftLog with a base (SNAP-1: indexes stay absolute)', () => {
  const fiveEntries = () => {
    const log = new RaftLog();
    for (const [k, term] of [1, 1, 2, 2, 3].entries()) log.append({ term, command: `x${k + 1}` });
    return log;
  };

  it('after compaction through 2, the base answers its term and the entries after it stay (SNAP-1)', () => {
    const log = fiveEntries();
    log.compactThrough(2, 1);
    expect([log.base, log.baseTerm, log.lastIndex, log.lastTerm]).toEqual([2, 1, 5, 3]);
    expect(log.termAt(2)).toBe(1);
    expect(log.termAt(3)).toBe(2);
    expect(() => log.termAt(1)).toThrow(RangeError);
    expect(() => log.entryAt(2)).toThrow(RangeError);
    expect(log.entryAt(3)).toEqual({ term: 2, command: 'x3' });
    expect([log.has(2), log.has(3), log.has(5), log.has(6)]).toEqual([false, true, true, false]);
    expect(log.slice(3, 10)).toEqual([{ term: 2, command: 'x3' }, { term: 2, command: 'x4' }, { term: 3, command: 'x5' }]);
    expect(() => log.slice(2, 1)).toThrow(RangeError);
    expect(log.toArray()).toEqual([{ term: 2, command: 'x3' }, { term: 2, command: 'x4' }, { term: 3, command: 'x5' }]);
  });

  it('the consistency check (AE-2) compares the base with its term; the backtracking searches (FB-1, FB-2) stop at the base', () => {
    const log = fiveEntries();
    log.compactThrough(2, 1);
    expect([log.matchesAt(2, 1), log.matchesAt(2, 2), log.matchesAt(4, 2), log.matchesAt(6, 3), log.matchesAt(0, 0)]).toEqual([true, false, true, false, true]);
    // FB-1: the first index of a term, the base counting with its term.
    expect([log.firstOfTerm(1), log.firstOfTerm(2), log.firstOfTerm(3)]).toEqual([2, 3, 5]);
    // FB-2: the last entry of a term, searched only after the base.
    expect([log.lastOfTerm(1), log.lastOfTerm(2), log.lastOfTerm(3), log.lastOfTerm(4)]).toEqual([0, 4, 5, 0]);
  });

  it('never truncates into the compacted prefix (AE-3)', () => {
    const log = fiveEntries();
    log.compactThrough(2, 1);
    expect(() => log.truncateAfter(1)).toThrow(RangeError);
    log.truncateAfter(3);
    expect([log.lastIndex, log.lastTerm]).toEqual([3, 2]);
    log.truncateAfter(2);
    expect([log.lastIndex, log.lastTerm, log.toArray().length]).toEqual([2, 1, 0]);
    expect(log.append({ term: 4, command: 'y3' })).toBe(3);
  });

  it('keeps every index right when the compacted prefix is cut from the arrays', () => {
    const log = new RaftLog();
    for (let i = 1; i <= 300; i++) log.append({ term: 1 + Math.floor(i / 100), command: `x${i}` });
    log.compactThrough(250, 3);
    expect([log.base, log.baseTerm, log.lastIndex]).toEqual([250, 3, 300]);
    expect(log.entryAt(251)).toEqual({ term: 3, command: 'x251' });
    expect(log.entryAt(300)).toEqual({ term: 4, command: 'x300' });
    expect(log.append({ term: 4, command: 'x301' })).toBe(301);
    log.compactThrough(260, 3);
    expect(log.entryAt(261)).toEqual({ term: 3, command: 'x261' });
    expect([log.firstOfTerm(4), log.lastOfTerm(3)]).toEqual([300, 299]);
    expect(log.toArray().length).toBe(41);
  });

  it('discarding (IS-7) empties the log and starts it after the snapshot, even beyond the old end', () => {
    const log = fiveEntries();
    log.discardThrough(8, 2);
    expect([log.base, log.baseTerm, log.lastIndex, log.lastTerm, log.toArray().length]).toEqual([8, 2, 8, 2, 0]);
    expect(log.append({ term: 3, command: 'x9' })).toBe(9);
  });

  it('reports changes only after the base: compaction changes no entry that is still there', () => {
    const log = fiveEntries();
    expect(log.takeChangedFrom()).toBe(1);
    log.compactThrough(3, 2);
    expect(log.takeChangedFrom()).toBe(Infinity);
    log.append({ term: 3, command: 'x6' });
    log.compactThrough(6, 3);
    expect(log.takeChangedFrom()).toBe(7);
    log.discardThrough(9, 3);
    expect(log.takeChangedFrom()).toBe(10);
  });
});

describe('the snapshot event (SNAP-1, DEC-13)', () => {
  it('SNAP-1 through an index below lastApplied: the machine as of that index, its term, the log after it', () => {
    const s1 = soloLeaderWithThreePuts();
    const ready = s1.step({ type: 'snapshot', index: 2 });
    const atTwo: KvState = { data: { x: '1', y: '2' }, sessions: {} };
    expect(ready.snapshot).toEqual({ index: 2, term: 1, machine: atTwo, config: null });
    expect([ready.messages, ready.applied, ready.replies, ready.truncatedAfter, ready.appended]).toEqual([[], [], [], null, null]);
    expect([s1.snapshotIndex, s1.snapshotTerm, s1.lastIndex, s1.commitIndex, s1.lastApplied]).toEqual([2, 1, 3, 3, 3]);
    expect(s1.snapshotMachine).toEqual(atTwo);
    expect(s1.machine).toEqual({ data: { x: '1+', y: '2' }, sessions: {} });
    expect(s1.toJSON().log).toEqual([{ term: 1, command: { op: 'append', key: 'x', value: '+' } }]);
    expect(s1.role).toBe('leader');
  });

  it('SNAP-1 without an index snapshots through lastApplied, client table included (CLI-2)', () => {
    const s1 = soloLeaderWithThreePuts();
    s1.step({ type: 'clientRequest', command: { op: 'put', key: 'z', value: '3', client: 'c1', seq: 1 } });
    const ready = s1.step({ type: 'snapshot' });
    const atFour: KvState = { data: { x: '1+', y: '2', z: '3' }, sessions: { c1: { seq: 1, result: null } } };
    expect(ready.snapshot).toEqual({ index: 4, term: 1, machine: atFour, config: null });
    expect([s1.snapshotIndex, s1.lastIndex, s1.lastTerm]).toEqual([4, 4, 1]);
    expect(s1.toJSON().log).toEqual([]);
  });

  it('DEC-13: no effect at or below snapshotIndex, or above lastApplied', () => {
    const s1 = soloLeaderWithThreePuts();
    s1.step({ type: 'snapshot', index: 2 });
    for (const index of [1, 2, 4]) {
      const ready = s1.step({ type: 'snapshot', index });
      expect(ready.snapshot).toBeNull();
      expect([s1.snapshotIndex, s1.lastIndex]).toEqual([2, 3]);
    }
    const follower = server('s2', { currentTerm: 1, log: entries(1, 1), commitIndex: 2, lastApplied: 1 });
    expect(follower.step({ type: 'snapshot', index: 2 }).snapshot).toBeNull(); // committed, not applied
  });

  it('SNAP-1 on a leader leaves nextIndex and matchIndex as they are', () => {
    const s1 = server('s1', {
      role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1, 1, 1),
      commitIndex: 2, lastApplied: 2, nextIndex: { s2: 4, s3: 1 }, matchIndex: { s2: 3, s3: 0 },
    });
    s1.step({ type: 'snapshot' });
    expect([s1.snapshotIndex, s1.nextIndexOf('s3'), s1.matchIndexOf('s3'), s1.nextIndexOf('s2'), s1.matchIndexOf('s2')]).toEqual([2, 1, 0, 4, 3]);
  });
});

describe('the InstallSnapshot receiver (IS-1 .. IS-8)', () => {
  it('IS-1: refuses a leader of an older term at once, with its term, and changes nothing', () => {
    const s2 = server('s2', { currentTerm: 3 });
    const ready = s2.step(is({ term: 2 }));
    expect(ready.messages).toEqual([answer({ term: 3, lastIncludedIndex: 2, offset: 0, done: false })]);
    expect([s2.snapshotIndex, s2.partialSnapshot, s2.leaderId]).toEqual([0, null, null]);
  });

  it('IS-5, IS-6: an entry with the snapshot\'s index and term keeps the entries after it; IS-8 resets the machine', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1, 1), commitIndex: 1, lastApplied: 1 });
    const ready = s2.step(is());
    expect(ready.messages).toEqual([answer({ lastIncludedIndex: 2, offset: 32, done: true })]);
    expect(ready.snapshot).toEqual({ index: 2, term: 1, machine: MX, config: null });
    expect([ready.truncatedAfter, ready.appended, ready.applied]).toEqual([null, null, []]);
    const json = s2.toJSON();
    expect(json.log).toEqual([{ term: 1, command: 'x3' }, { term: 1, command: 'x4' }]);
    expect([json.snapshotIndex, json.snapshotTerm, json.commitIndex, json.lastApplied, json.leaderId, json.partialSnapshot]).toEqual([2, 1, 2, 2, 's1', null]);
    expect(json.snapshotMachine).toEqual(MX);
    expect(json.machine).toEqual(MX);
  });

  it('IS-7: an entry of another term at the snapshot\'s index: the whole log goes, and storage drops it too', () => {
    const s2 = server('s2', { currentTerm: 3, log: entries(1, 1, 2, 2), commitIndex: 1, lastApplied: 1 });
    const disk = new MemoryStorage();
    disk.save(s2.step(ae({ term: 3, prevLogIndex: 0, entries: [] }))); // hardState only
    disk.log.push(...entries(1, 1, 2, 2));
    const ready = s2.step(is({ term: 3, lastIncludedIndex: 3, lastIncludedTerm: 3 }));
    expect(ready.messages).toEqual([answer({ term: 3, lastIncludedIndex: 3, offset: 32, done: true })]);
    expect(ready.truncatedAfter).toBe(3);
    expect([s2.snapshotIndex, s2.snapshotTerm, s2.lastIndex, s2.lastTerm, s2.commitIndex, s2.lastApplied]).toEqual([3, 3, 3, 3, 3, 3]);
    expect(s2.toJSON().log).toEqual([]);
    disk.save(ready);
    expect(disk.snapshot).toEqual({ index: 3, term: 3, machine: MX, config: null });
    expect(disk.log).toEqual([]);
  });

  it('IS-7: a snapshot beyond the end of the log replaces it; nothing to truncate after its index', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1) });
    const ready = s2.step(is({ lastIncludedIndex: 5, lastIncludedTerm: 1 }));
    expect(ready.truncatedAfter).toBeNull();
    expect([s2.snapshotIndex, s2.lastIndex, s2.commitIndex, s2.lastApplied]).toEqual([5, 5, 5, 5]);
  });

  it('DEC-11: a snapshot at or below commitIndex is acknowledged done and installs nothing', () => {
    const partialSnapshot = { lastIncludedIndex: 7, lastIncludedTerm: 1, data: 'abc' };
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1), commitIndex: 3, lastApplied: 3, partialSnapshot });
    const ready = s2.step(is({ lastIncludedIndex: 2, offset: 16, data: MX_CHUNK2, done: false }));
    expect(ready.messages).toEqual([answer({ lastIncludedIndex: 2, offset: 32, done: true })]);
    expect(ready.snapshot).toBeNull();
    expect([s2.snapshotIndex, s2.lastIndex, s2.commitIndex]).toEqual([0, 3, 3]);
    expect(s2.partialSnapshot).toEqual(partialSnapshot);
    expect(s2.leaderId).toBe('s1');
  });

  it('IS-2, IS-3, IS-4, DEC-12: chunks are written only in order, a first chunk of the snapshot being received is a duplicate; every reply gives the offset wanted next', () => {
    const s2 = server('s2', { currentTerm: 1 });
    // IS-2, IS-3, IS-4: the first chunk starts the partial snapshot.
    expect(s2.step(is({ data: MX_CHUNK1, done: false })).messages).toEqual([answer({ lastIncludedIndex: 2, offset: 16, done: false })]);
    expect(s2.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: MX_CHUNK1 });
    // DEC-12: a chunk past what it holds is not written.
    expect(s2.step(is({ offset: 24, data: 'ions":{}}', done: true })).messages).toEqual([answer({ lastIncludedIndex: 2, offset: 16, done: false })]);
    // DEC-12: a chunk of another snapshot is not written either: it wants that one from 0.
    expect(s2.step(is({ lastIncludedIndex: 3, offset: 16, data: MX_CHUNK2 })).messages).toEqual([answer({ lastIncludedIndex: 3, offset: 0, done: false })]);
    expect(s2.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: MX_CHUNK1 });
    expect(s2.snapshotIndex).toBe(0);
    // DEC-12: the first chunk of this snapshot again (a duplicate, or the leader's heartbeat) is one it holds: not written, keep going.
    s2.step(is({ offset: 16, data: ',"x":', done: false }));
    expect(s2.step(is({ data: MX_CHUNK1, done: false })).messages).toEqual([answer({ lastIncludedIndex: 2, offset: 21, done: false })]);
    expect(s2.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: `${MX_CHUNK1},"x":` });
    // IS-2: the first chunk of another snapshot replaces the partial one.
    expect(s2.step(is({ lastIncludedTerm: 2, data: MX_CHUNK1, done: false })).messages).toEqual([answer({ lastIncludedIndex: 2, offset: 16, done: false })]);
    expect(s2.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 2, data: MX_CHUNK1 });
    expect(s2.step(is({ data: MX_CHUNK1, done: false })).messages).toEqual([answer({ lastIncludedIndex: 2, offset: 16, done: false })]);
    expect(s2.partialSnapshot).toEqual({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: MX_CHUNK1 });
    // IS-3, IS-5: the last chunk in order completes and installs it.
    const ready = s2.step(is({ offset: 16, data: MX_CHUNK2, done: true }));
    expect(ready.messages).toEqual([answer({ lastIncludedIndex: 2, offset: 32, done: true })]);
    expect([s2.snapshotIndex, s2.snapshotTerm, s2.partialSnapshot, s2.commitIndex]).toEqual([2, 1, null, 2]);
    expect(s2.machine).toEqual(MX);
  });

  it('DEC-8: data that is not a KvState installs nothing and drops the partial snapshot', () => {
    const s2 = server('s2', { currentTerm: 1 });
    s2.step(is({ data: '{"data":{', done: false }));
    const ready = s2.step(is({ offset: 9, data: '"x":1},"sessions":{}}', done: true })); // a number as a value
    expect(ready.messages).toEqual([answer({ lastIncludedIndex: 2, offset: 0, done: false })]);
    expect([s2.snapshotIndex, s2.partialSnapshot, ready.snapshot]).toEqual([0, null, null]);
  });

  it('IS-5: any key survives the trip through snapshot data, __proto__ included (client names may not be one: the schema refuses them)', () => {
    const s2 = server('s2', { currentTerm: 1 });
    s2.step(is({ data: '{"data":{"__proto__":"v"},"sessions":{"c1":{"result":null,"seq":2}}}' }));
    expect(Object.keys(s2.snapshotMachine.data)).toEqual(['__proto__']);
    expect(Object.keys(s2.toJSON().snapshotMachine.sessions)).toEqual(['c1']);
    expect(s2.valueOf('__proto__')).toBe('v');
    expect(Object.keys(s2.machine.data)).toEqual(['__proto__']);
  });

  it('CAN-3: a candidate of the same term concedes, then installs; a leader of that term drops it (DEC-8)', () => {
    const s2 = server('s2', { role: 'candidate', currentTerm: 1, votedFor: 's2', votesGranted: ['s2'] });
    s2.step(is());
    expect([s2.role, s2.votesGranted().length, s2.snapshotIndex, s2.leaderId]).toEqual(['follower', 0, 2, 's1']);
    const leader = server('s2', { role: 'leader', currentTerm: 1, votedFor: 's2', votesGranted: ['s2', 's3'], nextIndex: { s1: 1, s3: 1 }, matchIndex: { s1: 0, s3: 0 } });
    const ready = leader.step(is());
    expect([ready.messages, leader.snapshotIndex]).toEqual([[], 0]);
  });

  it('IS-8: awaited client commands at or below the snapshot are dropped without an answer', () => {
    // s1 appended index 2 as leader of term 1, then lost the leadership before committing it.
    const s1 = server('s1', { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    s1.step({ type: 'clientRequest', command: put('x', '1') });
    s1.step(ae({ from: 's2', to: 's1', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [] }));
    const ready = s1.step(is({ from: 's2', to: 's1', term: 2, lastIncludedIndex: 3, lastIncludedTerm: 2 }));
    expect([ready.replies, ready.applied]).toEqual([[], []]);
    // Index 2 is now below lastApplied: it is never applied here, and its client never answered.
    const later = s1.step(ae({ from: 's2', to: 's1', term: 2, prevLogIndex: 3, prevLogTerm: 2, entries: [{ term: 2, command: put('y', '2') }], leaderCommit: 4 }));
    expect(later.applied.map((e) => e.index)).toEqual([4]);
    expect(later.replies).toEqual([]);
  });
});

describe('the leader side (SNAP-2, SNAP-3)', () => {
  const leaderWithSnapshot = (f: { nextIndex?: Record<string, number>; matchIndex?: Record<string, number>; fastBacktracking?: boolean } = {}) =>
    server('s1', {
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'],
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: MX, log: [{ term: 2, command: 'x3' }], commitIndex: 3, lastApplied: 3,
      nextIndex: f.nextIndex ?? { s2: 4, s3: 2 }, matchIndex: f.matchIndex ?? { s2: 3, s3: 0 },
    }, ['s1', 's2', 's3'], { snapshotChunkSize: 16, fastBacktracking: f.fastBacktracking ?? false });

  const installSnapshot = (offset: number, data: string, done: boolean): InstallSnapshot =>
    ({ type: 'InstallSnapshot', from: 's1', to: 's3', term: 2, leaderId: 's1', lastIncludedIndex: 2, lastIncludedTerm: 1, offset, data, done });

  it('SNAP-2: a follower whose nextIndex is at or below snapshotIndex gets the first chunk instead of an AppendEntries', () => {
    const s1 = leaderWithSnapshot();
    const ready = s1.step({ type: 'heartbeatTimeout' });
    expect(ready.messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 3, prevLogTerm: 2, entries: [], leaderCommit: 3 },
      installSnapshot(0, MX_CHUNK1, false),
    ]);
  });

  it('SNAP-2 after a new snapshot sends the new one (index, term and data)', () => {
    const s1 = server('s1', {
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'],
      snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: MX, log: [{ term: 2, command: put('x', '2') }], commitIndex: 3, lastApplied: 3,
      machine: { data: { x: '2' }, sessions: {} }, nextIndex: { s2: 4, s3: 1 }, matchIndex: { s2: 3, s3: 0 },
    }, ['s1', 's2', 's3'], { snapshotChunkSize: 16 });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[1]).toEqual(installSnapshot(0, MX_CHUNK1, false));
    s1.step({ type: 'snapshot' });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 3, prevLogTerm: 2, entries: [], leaderCommit: 3 },
      { ...installSnapshot(0, '{"data":{"x":"2"', false), lastIncludedIndex: 3, lastIncludedTerm: 2 },
    ]);
  });

  it('SNAP-3: a response that is not done gets the chunk at its offset; a stale one or one past the end gets nothing (DEC-4)', () => {
    const s1 = leaderWithSnapshot();
    expect(s1.step(isr({ offset: 16 })).messages).toEqual([installSnapshot(16, MX_CHUNK2, true)]);
    expect(s1.step(isr({ offset: 0 })).messages).toEqual([installSnapshot(0, MX_CHUNK1, false)]);
    expect(s1.step(isr({ lastIncludedIndex: 1, offset: 16 })).messages).toEqual([]); // another snapshot
    expect(s1.step(isr({ offset: 32 })).messages).toEqual([]); // past the end of the data
    expect(s1.nextIndexOf('s3')).toBe(2);
  });

  it('SNAP-3: done: matchIndex and nextIndex as after a success, then the entries after the snapshot (LEA-3)', () => {
    const s1 = leaderWithSnapshot();
    const ready = s1.step(isr({ offset: 32, done: true }));
    expect([s1.matchIndexOf('s3'), s1.nextIndexOf('s3')]).toEqual([2, 3]);
    expect(ready.messages).toEqual([
      { type: 'AppendEntries', from: 's1', to: 's3', term: 2, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 2, command: 'x3' }], leaderCommit: 3 },
    ]);
    // Once the follower is past the snapshot, a late chunk request is stale.
    expect(s1.step(isr({ offset: 16 })).messages).toEqual([]);
  });

  it('SNAP-3: done never moves matchIndex or nextIndex back (DEC-3), and a snapshot beyond the leader\'s log is impossible (DEC-8)', () => {
    const s1 = leaderWithSnapshot({ nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 } });
    expect(s1.step(isr({ offset: 32, done: true })).messages).toEqual([]);
    expect([s1.matchIndexOf('s3'), s1.nextIndexOf('s3')]).toEqual([3, 4]);
    expect(s1.step(isr({ lastIncludedIndex: 9, offset: 32, done: true })).messages).toEqual([]);
    expect([s1.matchIndexOf('s3'), s1.nextIndexOf('s3')]).toEqual([3, 4]);
  });

  it('FB-2 searches only after the snapshot; a retry that falls into the snapshot sends it (SNAP-2)', () => {
    const s1 = leaderWithSnapshot({ nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 0 }, fastBacktracking: true });
    const rejection: AppendEntriesResponse = { ...aer({ from: 's3', term: 2, success: false, prevLogIndex: 3 }), conflictTerm: 1, conflictIndex: 2 };
    const ready = s1.step(rejection);
    expect(s1.nextIndexOf('s3')).toBe(2);
    expect(ready.messages).toEqual([installSnapshot(0, MX_CHUNK1, false)]);
  });
});

describe('AppendEntries after a snapshot (SNAP-5, FB-1)', () => {
  const followerWithSnapshot = (fastBacktracking = false) => server('s2', {
    currentTerm: 2, snapshotIndex: 5, snapshotTerm: 2, snapshotMachine: MX, log: [{ term: 2, command: 'x6' }],
  }, ['s1', 's2', 's3'], { fastBacktracking });

  it('SNAP-5: a prevLogIndex below snapshotIndex passes the check, and the entries at or below it are skipped', () => {
    const s2 = followerWithSnapshot();
    const sent: Entry[] = [4, 5, 6, 7].map((i) => ({ term: 2, command: `x${i}` }));
    const ready = s2.step(ae({ term: 2, prevLogIndex: 3, prevLogTerm: 1, entries: sent, leaderCommit: 7 }));
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 7, prevLogIndex: 3 }]);
    expect([ready.truncatedAfter, ready.appended]).toEqual([null, { index: 7, entries: [{ term: 2, command: 'x7' }] }]);
    expect(ready.applied.map((e: AppliedEntry) => e.index)).toEqual([6, 7]);
    expect([s2.lastIndex, s2.commitIndex, s2.lastApplied, s2.snapshotIndex]).toEqual([7, 7, 7, 5]);
  });

  it('SNAP-5: a stale AppendEntries wholly below the snapshot succeeds and changes nothing', () => {
    const s2 = followerWithSnapshot();
    const ready = s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 1, command: 'x2' }], leaderCommit: 2 }));
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 }]);
    expect([ready.appended, ready.truncatedAfter, s2.lastIndex, s2.commitIndex]).toEqual([null, null, 6, 5]);
  });

  it('AE-2 at snapshotIndex compares snapshotTerm', () => {
    const s2 = followerWithSnapshot();
    expect(s2.step(ae({ term: 2, prevLogIndex: 5, prevLogTerm: 2 })).messages[0]).toMatchObject({ success: true, matchIndex: 5 });
    expect(s2.step(ae({ term: 2, prevLogIndex: 5, prevLogTerm: 1 })).messages[0]).toMatchObject({ success: false, matchIndex: 0 });
  });

  it('FB-1 searches down to the snapshot: the base counts with snapshotTerm', () => {
    const s2 = followerWithSnapshot(true);
    const ready = s2.step(ae({ term: 2, prevLogIndex: 6, prevLogTerm: 3 }));
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: false, matchIndex: 0, prevLogIndex: 6, conflictTerm: 2, conflictIndex: 5 }]);
  });

  it('RequestVote carries snapshotIndex and snapshotTerm when no entry follows the snapshot (RV-2)', () => {
    const s2 = server('s2', { currentTerm: 2, snapshotIndex: 4, snapshotTerm: 2, snapshotMachine: MX });
    const ready = s2.step({ type: 'electionTimeout' });
    expect(ready.messages[0]).toMatchObject({ type: 'RequestVote', term: 3, lastLogIndex: 4, lastLogTerm: 2 });
  });
});

describe('initial states, restart and persistence (SNAP-4)', () => {
  it('an initial state with a snapshot: commitIndex, lastApplied and machine default to the snapshot\'s', () => {
    const s2 = server('s2', { currentTerm: 2, snapshotIndex: 4, snapshotTerm: 2, snapshotMachine: MX });
    const json = s2.toJSON();
    expect([json.commitIndex, json.lastApplied, s2.lastIndex, s2.lastTerm]).toEqual([4, 4, 4, 2]);
    expect(json.machine).toEqual(MX);
    expect([json.log, json.partialSnapshot]).toEqual([[], null]);
  });

  it('SNAP-4: Ready.snapshot reaches storage, which then holds only the entries after it; a restart re-applies only those', () => {
    const disk = new MemoryStorage();
    const s1 = soloLeaderWithThreePuts(disk);
    disk.save(s1.step({ type: 'snapshot', index: 2 }));
    const atTwo: KvState = { data: { x: '1', y: '2' }, sessions: {} };
    expect(disk.snapshot).toEqual({ index: 2, term: 1, machine: atTwo, config: null });
    expect(disk.log).toEqual([{ term: 1, command: { op: 'append', key: 'x', value: '+' } }]);
    expect(s1.persisted()).toEqual({ hardState: { currentTerm: 1, votedFor: 's1' }, snapshot: { index: 2, term: 1, machine: atTwo, config: null }, log: disk.log });

    const back = RaftNode.restart({ id: 's1', servers: ['s1'] }, disk);
    expect([back.role, back.snapshotIndex, back.snapshotTerm, back.lastIndex, back.commitIndex, back.lastApplied]).toEqual(['follower', 2, 1, 3, 2, 2]);
    expect(back.machine).toEqual(atTwo);
    back.step({ type: 'electionTimeout' });
    const ready = back.step({ type: 'clientRequest', command: put('w', '4') });
    expect(ready.applied.map((e) => [e.index, e.term])).toEqual([[3, 1], [4, 2]]);
    expect(back.machine).toEqual({ data: { x: '1+', y: '2', w: '4' }, sessions: {} });
  });

  it('SNAP-4: restartInPlace goes back to the snapshot: commitIndex = lastApplied = snapshotIndex, no partial snapshot', () => {
    const s2 = server('s2', { currentTerm: 1, snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: MX, log: [{ term: 1, command: put('x', '2') }], commitIndex: 3, lastApplied: 3, machine: { data: { x: '2' }, sessions: {} }, partialSnapshot: { lastIncludedIndex: 5, lastIncludedTerm: 1, data: '{' } });
    s2.restartInPlace();
    expect([s2.commitIndex, s2.lastApplied, s2.partialSnapshot, s2.lastIndex]).toEqual([2, 2, null, 3]);
    expect(s2.machine).toEqual(MX);
  });

  it('MemoryStorage: a snapshot covering fewer entries than it holds drops only those; truncation and appends count from the snapshot', () => {
    const disk = new MemoryStorage();
    disk.save({ messages: [], applied: [], replies: [], hardState: null, truncatedAfter: null, snapshot: null, appended: { index: 1, entries: entries(1, 1, 1, 1) } });
    disk.save({ messages: [], applied: [], replies: [], hardState: null, truncatedAfter: null, appended: null, snapshot: { index: 2, term: 1, machine: MX, config: null } });
    expect(disk.log).toEqual([{ term: 1, command: 'x3' }, { term: 1, command: 'x4' }]);
    disk.save({ messages: [], applied: [], replies: [], hardState: null, snapshot: null, truncatedAfter: 3, appended: { index: 4, entries: [{ term: 2, command: 'y4' }] } });
    expect(disk.log).toEqual([{ term: 1, command: 'x3' }, { term: 2, command: 'y4' }]);
  });
});

describe('a lagging follower catches up through a chunked InstallSnapshot (SNAP-2, SNAP-3, IS-2 .. IS-8)', () => {
  it('the leader sends its snapshot in order, chunk by chunk, then the entries after it; the follower applies only those', () => {
    const chunks: Array<[number, string, boolean]> = [];
    const appliedOnS3: number[] = [];
    const c = new Cluster(['s1', 's2', 's3'], {
      options: { snapshotChunkSize: 16 },
      drop: (m: Message) => {
        if (m.type === 'InstallSnapshot') chunks.push([m.offset, m.data, m.done]);
        return false;
      },
      onApply: (id, e) => {
        if (id === 's3') appliedOnS3.push(e.index);
      },
    });
    c.crash('s3');
    c.electionTimeout('s1');
    c.runUntilQuiet();
    c.propose(put('x', '1'));
    c.propose(put('y', '2'));
    c.runUntilQuiet();
    expect(c.node('s1').lastApplied).toBe(2);
    c.snapshot('s1');
    expect(c.node('s1').snapshotIndex).toBe(2);
    expect(c.storage('s1').log).toEqual([]);

    c.restart('s3');
    c.heartbeatTimeout('s1');
    c.runUntilQuiet();
    expect(chunks).toEqual([[0, '{"data":{"x":"1"', false], [16, ',"y":"2"},"sessi', false], [32, 'ons":{}}', true]]);
    const s3 = c.node('s3');
    expect([s3.snapshotIndex, s3.snapshotTerm, s3.commitIndex, s3.lastApplied, s3.lastIndex]).toEqual([2, 1, 2, 2, 2]);
    expect(s3.machine).toEqual({ data: { x: '1', y: '2' }, sessions: {} });
    expect([c.node('s1').matchIndexOf('s3'), c.node('s1').nextIndexOf('s3')]).toEqual([2, 3]);
    expect(c.storage('s3').snapshot).toEqual({ index: 2, term: 1, machine: { data: { x: '1', y: '2' }, sessions: {} }, config: null });

    c.propose(put('z', '3'));
    c.runUntilQuiet();
    c.heartbeatTimeout('s1');
    c.runUntilQuiet();
    expect(appliedOnS3).toEqual([3]);
    expect(s3.machine).toEqual({ data: { x: '1', y: '2', z: '3' }, sessions: {} });
    expect(c.storage('s3').log).toEqual([{ term: 1, command: put('z', '3') }]);

    // SNAP-4: after a crash, s3 comes back at its snapshot and applies only the entry after it again.
    c.crash('s3');
    c.restart('s3');
    expect([c.node('s3').commitIndex, c.node('s3').lastApplied]).toEqual([2, 2]);
    c.heartbeatTimeout('s1');
    c.runUntilQuiet();
    expect(appliedOnS3).toEqual([3, 3]);
    expect(c.node('s3').machine).toEqual({ data: { x: '1', y: '2', z: '3' }, sessions: {} });
    expect(chunks.length).toBe(3); // no second InstallSnapshot: the follower kept its snapshot
  });
});
