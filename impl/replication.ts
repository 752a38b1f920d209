// The leader's side of log replication (Figure 2: LEA-1, LEA-3, LEA-4; SNAP-2, SNAP-3), with the
// replication options: fast backtracking (FB-2), pipelining (PIP-1, PIP-2) and flow control (FC-2,
// FC-3). As etcd's sendAppend / bcastAppend / maybeCommit with its tracker: the leader's record
// (roles.ts) holds every peer's progress, and the commit index is recomputed only when a
// matchIndex passes it or the leader's own log grows.
import type { AppendEntries, AppendEntriesResponse, InstallSnapshotResponse } from '../spec/schema.js';
import { normalizedConfig } from './membership.js';
import type { RaftState } from './core.js';
import { appendConf, pendingConfIndex, trackPeers } from './confchange.js';
import { sendSnapshotPart, snapshotTextOf } from './snapshot.js';

/**
 * LEA-3 (DEC-5, DEC-6): the entries from the peer's nextIndex, at most maxEntries of them (DEC-6b: all); with
 * flow control, none beyond max(the peer's appliedIndex + W, termStart) (FC-3); with pipelining,
 * nextIndex moves past the entries sent at once (PIP-1). SNAP-2 when those entries are compacted.
 * DEC-5b: none until the peer's matchIndex shows where our logs agree (by Log Matching, through
 * nextIndex - 1). DEC-16b: leaderCommit no further than the last entry sent. DEC-18b: nothing
 * while one to the peer is outstanding, unless this is a heartbeat (LEA-1).
 */
export function sendAppend(r: RaftState, slot: number, heartbeat = false): void {
  const lead = r.lead();
  const outstanding = lead.outstanding; // DEC-18b only
  if (outstanding !== null) {
    if (outstanding[slot] && !heartbeat) return;
    outstanding[slot] = true;
  }
  const p = lead.progress;
  const nextIndex = p.nextAt(slot, r.log.lastIndex + 1);
  if (nextIndex <= r.log.base) return sendSnapshotPart(r, slot, 0); // SNAP-2: those entries are compacted
  const prevLogIndex = nextIndex - 1;
  const count = r.opts.probeEmpty && p.matchAt(slot) < prevLogIndex ? 0 // DEC-5b: a probe until matched
    : r.opts.flowControlWindow > 0 ? windowFor(r, slot, prevLogIndex)
    : r.opts.sendToEnd ? r.log.lastIndex - prevLogIndex // DEC-6b: everything we have
    : r.opts.maxEntries;
  const entries = count > 0 ? r.log.slice(prevLogIndex + 1, count) : [];
  const m: AppendEntries = {
    type: 'AppendEntries', from: r.id, to: r.serverAt(slot),
    term: r.currentTerm, leaderId: r.id,
    prevLogIndex, prevLogTerm: r.log.termAt(prevLogIndex),
    entries,
    // DEC-16b: a follower is never told of a commit beyond the entries it is sent.
    leaderCommit: r.opts.clampLeaderCommit ? Math.min(r.commitIndex, prevLogIndex + entries.length) : r.commitIndex,
  };
  if (lead.readRound > 0) m.readRound = lead.readRound; // CLI-4: absent until the first round
  if (r.opts.pipelining && entries.length > 0) p.nextIndex[slot] = nextIndex + entries.length; // PIP-1: optimistically
  r.send(m);
}

/** LEA-1, LEA-3: every peer of the configuration in force its AppendEntries, in `servers` order (DEC-15); `heartbeat`: LEA-1's (DEC-18b sends it even while one is outstanding). */
export function bcastAppend(r: RaftState, heartbeat = false): void {
  for (const slot of r.members.peerSlots) sendAppend(r, slot, heartbeat);
}

/** LEA-1 (DEC-5) at a heartbeat timeout; with leaseReads a new round first (LR-1), so the AppendEntries carry it. */
export function bcastHeartbeat(r: RaftState): void {
  if (r.opts.leaseReads) r.lead().readRound++; // LR-1: every heartbeat is a read round
  bcastAppend(r, true);
}

/** A leader's AppendEntriesResponse of its term from the member in `slot`: FC-2, then LEA-3b or LEA-3a. */
export function onAppendResponse(r: RaftState, m: AppendEntriesResponse, slot: number): void {
  if (r.opts.flowControlWindow > 0) noteApplied(r, m, slot); // FC-2
  const outstanding = r.lead().outstanding;
  if (outstanding !== null) outstanding[slot] = false; // DEC-18b: answered
  if (!m.success) return onAppendRejected(r, m, slot); // LEA-3b
  onAppendAccepted(r, m, slot); // LEA-3a
}

/**
 * LEA-3a with DEC-3 (nothing moves back; DEC-3b: nextIndex follows the response, as raft.tla's,
 * so a reordered older success sends the entries after it again), then the commit sequence and
 * LEA-3 (afterProgress).
 */
function onAppendAccepted(r: RaftState, m: AppendEntriesResponse, slot: number): void {
  const lead = r.lead();
  const p = lead.progress;
  const before = p.matchAt(slot);
  const matchIndex = Math.max(before, m.matchIndex);
  const nextIndex = r.opts.nextFollowsSuccess ? m.matchIndex + 1 : Math.max(p.nextAt(slot, 1), m.matchIndex + 1);
  p.matchIndex[slot] = matchIndex;
  p.nextIndex[slot] = nextIndex;
  // The quorum can only move when a matchIndex passes commitIndex (see maybeCommit).
  afterProgress(r, slot, nextIndex, lead.quorumStale || (matchIndex > before && matchIndex > r.commitIndex));
}

/**
 * SNAP-3 on a response of our term. Done: the follower holds everything through
 * lastIncludedIndex, as after LEA-3a (DEC-3: nothing moves back), then LEA-4, ALL-1, LEA-3. Not
 * done: the chunk it asks for, if it is about our snapshot and still needs it (else DEC-4).
 */
export function onSnapshotResponse(r: RaftState, m: InstallSnapshotResponse, slot: number): void {
  const lead = r.lead();
  const p = lead.progress;
  if (!m.done) {
    if (m.lastIncludedIndex === r.log.base && p.nextAt(slot, 1) <= r.log.base && m.offset < snapshotTextOf(r).length) {
      sendSnapshotPart(r, slot, m.offset);
    }
    return; // DEC-4 otherwise: a stale answer
  }
  if (m.lastIncludedIndex > r.log.lastIndex) return; // DEC-8: we never sent a snapshot beyond our log
  const before = p.matchAt(slot);
  const matchIndex = Math.max(before, m.lastIncludedIndex);
  const nextIndex = Math.max(p.nextAt(slot, 1), m.lastIncludedIndex + 1);
  p.matchIndex[slot] = matchIndex;
  p.nextIndex[slot] = nextIndex;
  afterProgress(r, slot, nextIndex, lead.quorumStale || (matchIndex > before && matchIndex > r.commitIndex));
}

/**
 * After LEA-3a or SNAP-3 moved the progress of the peer in `slot`: the commit sequence (LEA-4
 * only if `recompute`: see maybeCommit), then, if still leader, LEA-3 to every peer if it
 * appended C_new (CFG-3), else to this peer if it is still behind `nextIndex`.
 */
function afterProgress(r: RaftState, slot: number, nextIndex: number, recompute: boolean): void {
  const lastBefore = r.log.lastIndex;
  settleCommit(r, recompute);
  if (r.role !== 'leader') return; // CFG-5: stepped down
  if (r.log.lastIndex > lastBefore) bcastAppend(r);
  else if (r.log.lastIndex >= nextIndex) sendAppend(r, slot);
}

/**
 * LEA-3b with DEC-4 (PIP-2 with pipelining): only a rejection of a request still outstanding moves
 * nextIndex back, and we retry. DEC-4b (raft.tla, hashicorp/raft): every rejection moves it back
 * by one, never below 1 (even to or below matchIndex), and we retry.
 */
function onAppendRejected(r: RaftState, m: AppendEntriesResponse, slot: number): void {
  const p = r.lead().progress;
  if (r.opts.backOffEveryRejection) {
    p.nextIndex[slot] = Math.max(p.nextAt(slot, 1) - 1, 1);
    return sendAppend(r, slot);
  }
  if (!rejectionIsOutstanding(r, m, slot)) return; // DEC-4: a stale or duplicated rejection
  let target = m.prevLogIndex;
  if (r.opts.fastBacktracking && m.rejectHint !== undefined) {
    // DEC-22b: one past our last entry at or before the hint no newer than its term (etcd's MaybeDecrTo).
    const probe = (m.logTerm ?? 0) > 0 ? r.log.lastAtMost(m.rejectHint, m.logTerm ?? 0).index : m.rejectHint;
    target = Math.min(probe + 1, m.prevLogIndex);
  } else if (r.opts.fastBacktracking && m.conflictIndex !== undefined) {
    // FB-2: past our last entry of the conflicting term, else to the follower's first index of it.
    const conflictTerm = m.conflictTerm ?? 0;
    const last = conflictTerm === 0 ? 0 : r.log.lastOfTerm(conflictTerm);
    target = Math.min(last > 0 ? last + 1 : m.conflictIndex, m.prevLogIndex);
  }
  p.nextIndex[slot] = Math.max(target, p.matchAt(slot) + 1, 1);
  sendAppend(r, slot);
}

/**
 * DEC-4: whether a rejection answers a request we still wait on: the current probe
 * (prevLogIndex = nextIndex - 1); with pipelining, any request still outstanding,
 * matchIndex < prevLogIndex < nextIndex (PIP-2).
 */
function rejectionIsOutstanding(r: RaftState, m: AppendEntriesResponse, slot: number): boolean {
  const p = r.lead().progress;
  const nextIndex = p.nextAt(slot, 1);
  if (!r.opts.pipelining) return m.prevLogIndex === nextIndex - 1;
  return p.matchAt(slot) < m.prevLogIndex && m.prevLogIndex < nextIndex;
}

/** FC-3: how many entries after `prevLogIndex` the follower in `slot` may get: at most maxEntries, none beyond max(appliedIndex + W, termStart). */
function windowFor(r: RaftState, slot: number, prevLogIndex: number): number {
  const max = r.opts.maxEntries;
  let limit = r.lead().progress.appliedAt(slot) + r.opts.flowControlWindow;
  if (limit - prevLogIndex >= max) return max;
  const termStart = ownTermStart(r); // only when the window would cut: a binary search
  if (termStart > limit) limit = termStart;
  const window = limit - prevLogIndex;
  return window < max ? (window > 0 ? window : 0) : max;
}

/**
 * FC-3's termStart: the index of our first entry of currentTerm after the snapshot, 0 if none.
 * Flow control always lets it through: followers apply only what we commit, and we commit only
 * entries of our term (Figure 8), so holding it back could stop the cluster for good.
 */
function ownTermStart(r: RaftState): number {
  const log = r.log;
  if (log.lastIndex <= log.base || log.lastTerm !== r.currentTerm) return 0;
  // Terms never decrease along the log (INV-5); the base itself is not an entry we hold.
  return Math.max(log.firstOfTerm(r.currentTerm), log.base + 1);
}

/** FC-2: the highest lastApplied the peer reported (an answer without one, which only an injected message can be, reports nothing). */
function noteApplied(r: RaftState, m: AppendEntriesResponse, slot: number): void {
  const p = r.lead().progress;
  if (m.lastApplied !== undefined && m.lastApplied > p.appliedAt(slot)) p.appliedIndex[slot] = m.lastApplied;
}

/**
 * LEA-4: commit the largest index a quorum holds, if it is of the current term (§5.4.2: an entry
 * of an earlier term is never committed by counting; terms never decrease along the log, so if
 * the quorum index is of an older term, so is every index below it).
 *
 * The result depends only on the match indexes above commitIndex, the leader's log and
 * commitIndex, and a leader's log and commitIndex change only through this function and its own
 * appends (which call it). So it needs calling only when a matchIndex rises past commitIndex, on
 * an append of its own, and once after the progress was set from outside (quorumStale).
 */
function maybeCommit(r: RaftState): void {
  const lead = r.lead();
  lead.quorumStale = false;
  const p = lead.progress;
  const self = r.selfSlot;
  const lastIndex = r.log.lastIndex;
  // CFG-2: the lower of the two halves while joint; CFG-5: the leader's own log counts only if it is a voter.
  const n = r.members.committedIndex((slot) => (slot === self ? lastIndex : p.matchAt(slot)));
  if (n > r.commitIndex && r.log.termAt(n) === r.currentTerm) r.commitIndex = n;
}

/**
 * The leader's commit sequence (docs/membership.md), wherever its commitIndex may advance: LEA-4
 * (only if `recompute`: see maybeCommit), ALL-1, then, once the configuration in force is
 * committed, CFG-3 (it is joint: append C_new and run the sequence again) or CFG-5 (we are not a
 * voter of it: step down). The caller sends the AppendEntries.
 */
export function settleCommit(r: RaftState, recompute = true): void {
  if (recompute) maybeCommit(r);
  if (r.opts.configOnApply) return settleApplied(r, r.members.peerSlots, () => r.applyUpToCommit());
  r.applyUpToCommit();
  if (r.role !== 'leader' || r.log.lastConfigIndex() > r.commitIndex) return;
  const config = r.members.config;
  if (config.oldVoters !== undefined) {
    appendConf(r, normalizedConfig(config.voters, config.learners)); // CFG-3: C_new
    return settleCommit(r);
  }
  if (!r.members.selfVoter) resignRemoved(r); // CFG-5
}

/**
 * DEC-24b on a leader, around a step that may apply entries (`apply`): a configuration applied
 * takes effect (DEC-15: trackPeers), the commit sequence runs again for the new quorum, and each
 * new peer is probed. Then CFG-5 (a leader no longer a voter steps down) or CFG-3 (leave a joint
 * configuration once nothing is pending: etcd's auto-leave).
 */
export function settleApplied(r: RaftState, wasPeer: readonly number[], apply: () => void): void {
  const before = r.members.config;
  apply();
  if (r.role !== 'leader') return;
  if (r.members.config !== before) {
    const added = trackPeers(r, wasPeer);
    settleCommit(r);
    if (r.role !== 'leader') return;
    for (const slot of added) if (r.members.peerSlots.includes(slot)) sendAppend(r, slot);
    return;
  }
  const config = r.members.config;
  if (!r.members.selfVoter) return resignRemoved(r); // CFG-5
  if (config.oldVoters === undefined || pendingConfIndex(r) > r.lastApplied) return;
  appendConf(r, normalizedConfig(config.voters, config.learners)); // CFG-3: C_new
  settleCommit(r);
  if (r.role === 'leader') bcastAppend(r);
}

/** CFG-5: the committed configuration in force does not count us: follower in the same term, no leader known (DEC-10; CLI-4 drops the reads). */
function resignRemoved(r: RaftState): void {
  r.becomeFollower();
  r.leaderId = null; // CLI-1
}
