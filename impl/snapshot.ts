// Log compaction (§7, Figure 13): taking a snapshot (SNAP-1, DEC-13), sending one in chunks
// (SNAP-2), and receiving one (IS-1 .. IS-8, DEC-11, DEC-12). What a leader does with the answer
// (SNAP-3) is progress, in replication.ts. Which received data installs (IS-5) is normative and
// lives in spec/kv.ts (parseSnapshotData), shared with the model.
import type { InstallSnapshot, KvState } from '../spec/schema.js';
import { chunkAt, parseSnapshotData, snapshotData } from '../spec/kv.js';
import type { RaftState } from './core.js';
import { KvMachine } from './kv.js';

/** A copy of a KvState that shares nothing mutable with it (its results are JSON values, copied by reference). */
export function copyKvState(m: KvState): KvState {
  const sessions: KvState['sessions'] = {};
  for (const client of Object.keys(m.sessions)) {
    const s = m.sessions[client] as KvState['sessions'][string];
    Object.defineProperty(sessions, client, { value: { seq: s.seq, result: s.result }, enumerable: true, writable: true, configurable: true });
  }
  return { data: { ...m.data }, sessions };
}

/**
 * SNAP-1 with DEC-13: compact the log through `index`, which must be applied and above the
 * snapshot's index. The snapshot records the configuration in force at `index` (CFG-1): the last
 * configuration entry at or below it, else the previous snapshot's.
 */
export function compactLog(r: RaftState, index: number): void {
  if (!(index > r.log.base && index <= r.lastApplied)) return; // DEC-13
  const term = r.log.termAt(index);
  const machine = machineThrough(r, index);
  r.snapshotConfig = r.log.configAtOrBelow(index) ?? r.snapshotConfig;
  r.log.compactThrough(index, term);
  keepSnapshot(r, index, term, machine);
}

/**
 * The state machine as of `index` (snapshotIndex < index <= lastApplied): the running one's
 * contents at lastApplied; below it, the previous snapshot's with the entries up to `index`
 * executed again (the work is the entries being compacted).
 */
function machineThrough(r: RaftState, index: number): KvState {
  if (index === r.lastApplied) return r.kv.toState();
  const m = KvMachine.from(r.snapshotMachine);
  for (let i = r.log.base + 1; i <= index; i++) m.execute(r.log.commandAt(i));
  return m.toState();
}

/** The new snapshot, with the configuration r.snapshotConfig holds, for this server and for stable storage (Ready.snapshot, before any truncation or append). */
function keepSnapshot(r: RaftState, index: number, term: number, machine: KvState): void {
  r.snapshotMachine = machine;
  r.snapshotText = null;
  r.ready.snapshot = { index, term, machine, config: r.snapshotConfig };
}

/** Our snapshot as InstallSnapshot carries it (spec/kv.ts snapshotData), computed once per snapshot. */
export function snapshotTextOf(r: RaftState): string {
  return (r.snapshotText ??= snapshotData(r.snapshotMachine));
}

/** SNAP-2: the chunk of our snapshot at `offset`, to the follower in `slot`; every chunk carries the snapshot's configuration unless it is the bootstrap one (lastConfig). */
export function sendSnapshotPart(r: RaftState, slot: number, offset: number): void {
  const chunk = chunkAt(snapshotTextOf(r), offset, r.opts.snapshotChunkSize);
  const m: InstallSnapshot = {
    type: 'InstallSnapshot', from: r.id, to: r.serverAt(slot),
    term: r.currentTerm, leaderId: r.id,
    lastIncludedIndex: r.log.base, lastIncludedTerm: r.log.baseTerm,
    offset, data: chunk.data, done: chunk.done,
  };
  if (r.snapshotConfig !== null) m.lastConfig = r.snapshotConfig;
  r.send(m);
}

/** IS-2 .. IS-8 with DEC-11 and DEC-12, on a follower of the sender's term. */
export function receiveSnapshot(r: RaftState, m: InstallSnapshot): void {
  r.leaderId = m.leaderId; // CLI-1
  r.heardFromLeader = true; // PV-2, CFG-6
  const end = m.offset + m.data.length;
  if (m.lastIncludedIndex <= r.commitIndex) return answerSnapshot(r, m, end, true); // DEC-11: held and committed already
  const held = r.partial;
  /** The partial snapshot this chunk belongs to, if any. */
  let p = held !== null && held.lastIncludedIndex === m.lastIncludedIndex && held.lastIncludedTerm === m.lastIncludedTerm ? held : null;
  // IS-2: a first chunk starts a new partial snapshot, replacing one of another snapshot. The first
  // chunk of the snapshot being received (a duplicate, or a leader's heartbeat starting over) is one
  // we hold: not written (DEC-12), and the reply asks for what follows, so a transfer survives heartbeats.
  if (p === null && m.offset === 0) p = r.partial = { lastIncludedIndex: m.lastIncludedIndex, lastIncludedTerm: m.lastIncludedTerm, data: '' };
  if (p === null || m.offset !== p.data.length) return answerSnapshot(r, m, p === null ? 0 : p.data.length, false); // DEC-12: not written
  p.data += m.data; // IS-3
  if (!m.done) return answerSnapshot(r, m, p.data.length, false); // IS-4
  r.partial = null;
  const machine = parseSnapshotData(p.data);
  if (machine === null) return answerSnapshot(r, m, 0, false); // DEC-8: no leader sends that
  r.snapshotConfig = m.lastConfig ?? null; // IS-5: the snapshot's configuration (null: the bootstrap one)
  restoreSnapshot(r, m.lastIncludedIndex, m.lastIncludedTerm, machine); // IS-5 .. IS-8
  r.syncConfig(); // CFG-1: IS-6 keeps the configuration entries after it, IS-7 leaves the snapshot's in force
  answerSnapshot(r, m, end, true);
}

/** IS-5 .. IS-8: the received snapshot replaces the log up to its index, and the state machine. */
function restoreSnapshot(r: RaftState, index: number, term: number, machine: KvState): void {
  if (r.log.has(index) && r.log.termAt(index) === term) {
    r.log.compactThrough(index, term); // IS-6: the entries after it stay
  } else {
    if (r.log.lastIndex > index) r.ready.truncatedAfter = index; // IS-7: storage drops them too
    r.log.discardThrough(index, term);
  }
  keepSnapshot(r, index, term, machine); // IS-5
  r.kv = KvMachine.from(machine); // IS-8
  r.commitIndex = index;
  r.lastApplied = index;
  // IS-8: the awaited commands at or below the index are dropped without an answer (the snapshot replaced them).
  for (const i of r.awaiting.keys()) if (i <= index) r.awaiting.delete(i);
}

/** IS-1, IS-4, DEC-11, DEC-12: the answer to an InstallSnapshot: how much of it we hold (`offset`) and whether we are done with it. */
export function answerSnapshot(r: RaftState, m: InstallSnapshot, offset: number, done: boolean): void {
  r.send({
    type: 'InstallSnapshotResponse', from: r.id, to: m.from,
    term: r.currentTerm, lastIncludedIndex: m.lastIncludedIndex, offset, done,
  });
}
