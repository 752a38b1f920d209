// Log compaction (§7, Figure 13; docs/compaction-and-clients.md): snapshots (SNAP-1, DEC-13),
// InstallSnapshot sent in chunks where a follower's entries are compacted (SNAP-2, SNAP-3), and
// its receiver (IS-1 .. IS-8, DEC-11, DEC-12). The log with a base (SNAP-5) is in the core.
import type { InstallSnapshot, InstallSnapshotResponse, KvState, NodeId } from '../../spec/schema.js';
import { chunkAt, parseSnapshotData, snapshotData } from '../../spec/kv.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type PartialSnapshot, type Transition, leaderOf } from '../state.js';
import { execute } from '../kv.js';
import { Log } from '../log.js';
import { commitAndReplicate } from '../core/figure2.js';
import { cite, send, update } from '../core/transition.js';

/**
 * SNAP-1 with DEC-13: compact the log through `index` (default lastApplied), which must be above
 * snapshotIndex and applied. The snapshot's state machine is the old one with the entries
 * snapshotIndex+1 .. index executed in order; the log keeps the entries after index. Any role.
 */
export function takeSnapshot(t: Transition, index?: number): Transition {
  const s = t.state;
  const through = index ?? s.lastApplied;
  if (!(s.snapshotIndex < through && through <= s.lastApplied)) return cite(t, 'DEC-13');
  let snapshotMachine = s.snapshotMachine;
  for (let i = s.snapshotIndex + 1; i <= through; i++) snapshotMachine = execute(snapshotMachine, s.log.entry(i).command).machine;
  const snapshotTerm = s.log.termAt(through);
  // CFG-1: the configuration in force at `through` goes with the snapshot (null: still the bootstrap one).
  const snapshotConfig = s.log.configAt(through) ?? s.snapshotConfig;
  return cite(update(t, { snapshotIndex: through, snapshotTerm, snapshotMachine, snapshotConfig, log: s.log.compactThrough(through, snapshotTerm) }), 'SNAP-1');
}

/** The snapshot data of a state machine (spec/kv.ts), computed once per machine: a leader resends it on every probe. */
const dataOf = new WeakMap<KvState, string>();
function snapshotDataOf(machine: KvState): string {
  let data = dataOf.get(machine);
  if (data === undefined) {
    data = snapshotData(machine);
    dataOf.set(machine, data);
  }
  return data;
}

/** SNAP-2, SNAP-3: the chunk of our snapshot at `offset`, at most snapshotChunkSize characters. */
function sendSnapshotChunk(t: Transition, env: Env, peer: NodeId, offset: number): Transition {
  const s = t.state;
  const chunk = chunkAt(snapshotDataOf(s.snapshotMachine), offset, env.options.snapshotChunkSize);
  return send(t, {
    type: 'InstallSnapshot', from: env.self, to: peer,
    term: s.currentTerm, leaderId: env.self,
    lastIncludedIndex: s.snapshotIndex, lastIncludedTerm: s.snapshotTerm,
    offset, data: chunk.data, done: chunk.done,
    // CFG-1: the snapshot's configuration, unless it is the bootstrap one.
    ...(s.snapshotConfig !== null ? { lastConfig: s.snapshotConfig } : {}),
  });
}

export const compaction: Decorations = {
  /** SNAP-2: the entries a follower needs are compacted: the first chunk of our snapshot instead. */
  entriesCompacted: (t, env, peer) => sendSnapshotChunk(cite(t, 'SNAP-2'), env, peer, 0),
};

function replySnapshot(t: Transition, env: Env, m: InstallSnapshot, offset: number, done: boolean): Transition {
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, {
    type: 'InstallSnapshotResponse', from: env.self, to: m.from,
    term: t.state.currentTerm, lastIncludedIndex: m.lastIncludedIndex, offset, done,
  });
}

/** IS-1: refuse a leader of an older term (the reply's term tells it to step down). */
export function rejectStaleInstallSnapshot(t: Transition, env: Env, m: InstallSnapshot): Transition {
  return replySnapshot(cite(t, 'IS-1'), env, m, 0, false);
}

/** IS-2, IS-3, DEC-12: the partial snapshot is the one this chunk belongs to. */
const isPartOf = (p: PartialSnapshot | null, m: InstallSnapshot): p is PartialSnapshot =>
  p !== null && p.lastIncludedIndex === m.lastIncludedIndex && p.lastIncludedTerm === m.lastIncludedTerm;

/**
 * IS-2 .. IS-8 on a follower of the sender's term (its leader). DEC-11: a snapshot we already hold
 * committed is acknowledged and not installed (installing it would apply its entries twice).
 * DEC-12: a chunk is written only where the partial snapshot ends.
 */
export function handleInstallSnapshot(t0: Transition, env: Env, m: InstallSnapshot): Transition {
  const t = env.hooks.heardFromLeader(t0, m.leaderId);
  const received = m.offset + m.data.length;
  if (m.lastIncludedIndex <= t.state.commitIndex) return replySnapshot(cite(t, 'DEC-11'), env, m, received, true);
  // IS-2 starts a new partial snapshot on a first chunk, unless this very snapshot is already being
  // received: then the first chunk is one it holds (DEC-12), and the reply asks for what follows.
  const started = m.offset === 0 && !isPartOf(t.state.partialSnapshot, m)
    ? cite(update(t, { partialSnapshot: { lastIncludedIndex: m.lastIncludedIndex, lastIncludedTerm: m.lastIncludedTerm, data: '' } }), 'IS-2')
    : t;
  const partial = started.state.partialSnapshot;
  if (!isPartOf(partial, m) || m.offset !== partial.data.length) {
    return replySnapshot(cite(started, 'DEC-12'), env, m, isPartOf(partial, m) ? partial.data.length : 0, false);
  }
  const written = cite(update(started, { partialSnapshot: { ...partial, data: partial.data + m.data } }), 'IS-3');
  if (!m.done) return replySnapshot(cite(written, 'IS-4'), env, m, received, false);
  return installSnapshot(written, env, m);
}

/** IS-5 .. IS-8: the last chunk arrived: save the snapshot, keep what follows it in the log, reset the state machine. */
function installSnapshot(t: Transition, env: Env, m: InstallSnapshot): Transition {
  const s = t.state;
  const snapshotMachine = parseSnapshotData(s.partialSnapshot?.data ?? '');
  // DEC-8: our own leader's snapshotData always parses; only an injected message can get here.
  if (snapshotMachine === null) return replySnapshot(cite(update(t, { partialSnapshot: null }), 'DEC-8'), env, m, 0, false);
  const index = m.lastIncludedIndex;
  const term = m.lastIncludedTerm;
  let next = cite(update(t, { snapshotIndex: index, snapshotTerm: term, snapshotMachine, snapshotConfig: m.lastConfig ?? null, partialSnapshot: null }), 'IS-5');
  const keepsTail = s.log.has(index) && s.log.termAt(index) === term;
  next = keepsTail
    ? cite(update(next, { log: s.log.compactThrough(index, term) }), 'IS-6')
    : cite(update(next, { log: Log.of([], index, term) }), 'IS-7');
  next = env.hooks.logChanged(next, env, s);
  // IS-8: the commands awaited at the indexes the snapshot covers are dropped unanswered (LEA-2).
  const covered = [...s.awaiting.keys()].some((i) => i <= index);
  const awaiting = covered ? new Map([...s.awaiting].filter(([i]) => i > index)) : s.awaiting;
  next = cite(update(next, { machine: snapshotMachine, lastApplied: index, commitIndex: index, awaiting }), 'IS-8');
  return replySnapshot(next, env, m, m.offset + m.data.length, true);
}

/** DEC-8: a finished InstallSnapshot that reaches beyond the leader's log (no snapshot of ours can). */
export const snapshotClaimsMoreThanLog = (s: NodeState, m: InstallSnapshotResponse): boolean => m.done && m.lastIncludedIndex > s.log.lastIndex;

/**
 * SNAP-3 on a leader, for a response of its term. Done: the follower holds everything through
 * lastIncludedIndex, so progress moves as for a success (LEA-3a, DEC-3), then the commit sequence
 * and LEA-3. Not done: send the chunk it asked for, if it still needs our current snapshot (else DEC-4).
 */
export function handleInstallSnapshotResponse(t: Transition, env: Env, m: InstallSnapshotResponse): Transition {
  const s = t.state;
  const l = leaderOf(s);
  if (!m.done) {
    const wanted = m.lastIncludedIndex === s.snapshotIndex && (l.nextIndex[m.from] ?? s.log.lastIndex + 1) <= s.snapshotIndex
      && m.offset < snapshotDataOf(s.snapshotMachine).length;
    return wanted ? sendSnapshotChunk(cite(t, 'SNAP-3'), env, m.from, m.offset) : cite(t, 'DEC-4');
  }
  const was = l.matchIndex[m.from] ?? 0;
  const nextIndex = Math.max(l.nextIndex[m.from] ?? 1, m.lastIncludedIndex + 1);
  // DEC-3: an older acknowledgement moves neither index back.
  const older = m.lastIncludedIndex < was ? cite(t, 'DEC-3') : t;
  const next = cite(update(older, { leader: { ...l, matchIndex: { ...l.matchIndex, [m.from]: Math.max(was, m.lastIncludedIndex) }, nextIndex: { ...l.nextIndex, [m.from]: nextIndex } } }), 'SNAP-3');
  // LT-2 and the like: only a done response can move matchIndex.
  return env.hooks.progressMade(commitAndReplicate(next, env, m.from, nextIndex), env, m.from);
}
