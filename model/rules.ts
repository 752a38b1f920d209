// One small pure function per rule of Figure 2, named after it and citing its ID, as raft.tla has
// one action per rule. Guards are predicates on (state, message); actions take the step so far
// (a Transition) and return it extended. The reducer (node.ts) and the statechart (statechart.ts)
// are two compositions of these same functions.
import type { AppendEntries, AppendEntriesResponse, ClientReply, Configuration, Entry, InstallSnapshot, InstallSnapshotResponse, KvState, Message, NodeId, PreVote, PreVoteResponse, RequestVote, RequestVoteResponse } from '../spec/schema.js';
import { chunkAt, isKvCommand, parseSnapshotData, sessionOf, snapshotData } from '../spec/kv.js';
import { execute } from './kv.js';
import type { RuleId } from '../spec/rules.js';
import { type Env, type NodeState, type PartialSnapshot, type PendingRead, type Transition, INITIAL_STATE, configIndexOf, configOf, peersOf, votersOf } from './state.js';
import { isJoint, isQuorum, isVoter, quorumIndex, sameConfiguration } from './config.js';
import { votersChanged, writtenConfiguration } from '../spec/config.js';
import { Log } from './log.js';

// ---------------------------------------------------------------------------------------------
// Plumbing

// Written out field by field (not with spreads): these run several times per step.
function cite(t: Transition, id: RuleId, id2?: RuleId): Transition {
  return { state: t.state, sent: t.sent, applied: t.applied, replies: t.replies, rules: id2 === undefined ? t.rules.concat(id) : t.rules.concat(id, id2) };
}
function update(t: Transition, patch: Partial<NodeState>): Transition {
  return { state: { ...t.state, ...patch }, sent: t.sent, applied: t.applied, replies: t.replies, rules: t.rules };
}
function send(t: Transition, m: Message): Transition {
  return { state: t.state, sent: t.sent.concat(m), applied: t.applied, replies: t.replies, rules: t.rules };
}
function reply(t: Transition, r: ClientReply): Transition {
  return { state: t.state, sent: t.sent, applied: t.applied, replies: t.replies.concat(r), rules: t.rules };
}

// ---------------------------------------------------------------------------------------------
// Guards

/** ALL-2: the message carries a term newer than ours. */
export const isNewerTerm = (s: NodeState, m: Message): boolean => m.term > s.currentTerm;

/** RV-1, AE-1, DEC-1: the message carries a term older than ours. */
export const isStaleTerm = (s: NodeState, m: Message): boolean => m.term < s.currentTerm;

/** §5.4.1: the candidate's log is at least as up-to-date as ours (a RequestVote's or a PreVote's, PV-2). */
export const candidateLogIsUpToDate = (s: NodeState, m: Pick<RequestVote, 'lastLogIndex' | 'lastLogTerm'>): boolean =>
  m.lastLogTerm > s.log.lastTerm || (m.lastLogTerm === s.log.lastTerm && m.lastLogIndex >= s.log.lastIndex);

/** RV-2: we have not voted for anyone else this term, and the candidate's log is up-to-date. */
export const canGrantVote = (s: NodeState, m: RequestVote): boolean =>
  (s.votedFor === null || s.votedFor === m.candidateId) && candidateLogIsUpToDate(s, m);

/** CAN-2 (PV-3): votes from a quorum of the configuration in force (CFG-2), the candidate's own included if it is a voter there (CFG-5). */
export const hasVoteMajority = (env: Env, s: NodeState): boolean => isQuorum(configOf(env, s), (id) => s.votesGranted.includes(id));

/**
 * AE-2: our log holds an entry at prevLogIndex whose term is prevLogTerm (index 0 always matches;
 * at snapshotIndex the term is snapshotTerm). SNAP-5: below snapshotIndex every entry is committed,
 * so it matches any leader's.
 */
export const logMatchesAt = (s: NodeState, prevLogIndex: number, prevLogTerm: number): boolean =>
  prevLogIndex === 0 || prevLogIndex < s.snapshotIndex || (s.log.knowsTermAt(prevLogIndex) && s.log.termAt(prevLogIndex) === prevLogTerm);

/** DEC-8: a success that claims entries beyond the leader's log (no AppendEntries of its own could have caused it). */
export const claimsMoreThanLog = (s: NodeState, m: AppendEntriesResponse): boolean => m.success && m.matchIndex > s.log.lastIndex;

/** DEC-8: a finished InstallSnapshot that reaches beyond the leader's log (no snapshot of ours can). */
export const snapshotClaimsMoreThanLog = (s: NodeState, m: InstallSnapshotResponse): boolean => m.done && m.lastIncludedIndex > s.log.lastIndex;

/** DEC-4: a rejection answers the leader's current probe for that follower, not an older one. */
export const answersCurrentProbe = (s: NodeState, m: AppendEntriesResponse): boolean =>
  m.prevLogIndex === (s.nextIndex[m.from] ?? 1) - 1;

/**
 * PIP-2: with pipelining, a rejection answers a request still outstanding: one sent after the
 * follower's matchIndex and before its nextIndex. At or below matchIndex it is stale (DEC-4).
 */
export const answersOutstandingRequest = (s: NodeState, m: AppendEntriesResponse): boolean =>
  (s.matchIndex[m.from] ?? 0) < m.prevLogIndex && m.prevLogIndex < (s.nextIndex[m.from] ?? 1);

// ---------------------------------------------------------------------------------------------
// All servers

/** ALL-2: adopt the newer term, forget the vote and the leader of the old term (CLI-1), and become (or stay) a follower. */
export function adoptNewerTerm(t: Transition, term: number): Transition {
  // heardFromLeader: nothing is known yet of the new term's leader (PV-2, CFG-6).
  return becomeFollower(cite(update(t, { currentTerm: term, votedFor: null, leaderId: null, heardFromLeader: false }), 'ALL-2'));
}

/**
 * ALL-1: apply every committed entry not yet applied, in order, to the state machine (KV-1, CLI-2).
 * LEA-2: where this server appended the entry as leader and it is still the entry of that term,
 * answer the client with the result.
 */
export function applyCommitted(t: Transition, env: Env): Transition {
  const s = t.state;
  if (s.commitIndex <= s.lastApplied) return t;
  let next = t;
  let machine = s.machine;
  let executed = false;
  // Copied once per step, and only when an applied index is awaited.
  let awaiting: Map<number, number> | null = null;
  const applied = [...t.applied];
  for (let i = s.lastApplied + 1; i <= s.commitIndex; i++) {
    const e = s.log.entry(i);
    const x = execute(machine, e.command);
    machine = x.machine;
    applied.push({ index: i, term: e.term, command: e.command, result: x.result, duplicate: x.duplicate });
    if (x.duplicate) next = cite(next, 'CLI-2');
    else if (isKvCommand(e.command)) executed = true;
    const awaitedTerm = (awaiting ?? s.awaiting).get(i);
    if (awaitedTerm !== undefined) {
      awaiting ??= new Map(s.awaiting);
      awaiting.delete(i);
      // LEA-2: a different term at i means our command was overwritten: the client gets no answer and retries.
      if (awaitedTerm === e.term) {
        const op = sessionOf(e.command);
        next = reply(cite(next, 'LEA-2'), { type: 'result', node: env.self, client: op?.client ?? null, seq: op?.seq ?? null, index: i, result: x.result, duplicate: x.duplicate });
      }
    }
  }
  next = { ...update(next, { lastApplied: s.commitIndex, machine, awaiting: awaiting ?? s.awaiting }), applied };
  return cite(next, 'ALL-1', executed ? 'KV-1' : undefined);
}

/**
 * DEC-10: a follower keeps no votes and no per-follower progress, and none of a leader's other
 * state (recentlyActive, transferee: LT-5, appliedIndex). CLI-4: a leader that steps down
 * drops its pending reads unanswered, with its read round and acknowledgements (it can no longer
 * confirm them); awaiting survives (LEA-2: the commands may still commit).
 */
function becomeFollower(t: Transition): Transition {
  const s = t.state;
  const clears = s.votesGranted.length > 0 || Object.keys(s.nextIndex).length > 0 || Object.keys(s.matchIndex).length > 0
    || s.recentlyActive.length > 0 || s.transferee !== null || Object.keys(s.appliedIndex).length > 0;
  const next = update(t, {
    role: 'follower', votesGranted: [], nextIndex: {}, matchIndex: {}, recentlyActive: [], transferee: null, appliedIndex: {},
    readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0,
  });
  const cleared = clears ? cite(next, 'DEC-10') : next;
  return s.pendingReads.length > 0 ? cite(cleared, 'CLI-4') : cleared;
}

// ---------------------------------------------------------------------------------------------
// Followers and candidates: elections

/** FOL-2: the election timeout elapsed on a follower: convert to candidate. */
export function convertToCandidate(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'FOL-2'), env);
}

/** CAN-4: the election timeout elapsed on a candidate: start a new election. */
export function retryElection(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'CAN-4'), env);
}

/**
 * CAN-1: increment currentTerm, vote for self, send RequestVote to all other servers. The new term
 * has no known leader yet (CLI-1, heardFromLeader). LT-4: a campaign a TimeoutNow started marks
 * its RequestVotes `transfer: true`, so that the disruption guard lets them through (CFG-6).
 */
export function startElection(t: Transition, env: Env, transfer = false): Transition {
  let next = cite(update(t, {
    role: 'candidate',
    currentTerm: t.state.currentTerm + 1,
    votedFor: env.self,
    leaderId: null,
    heardFromLeader: false,
    votesGranted: [env.self],
    nextIndex: {}, // DEC-10
    matchIndex: {},
  }), 'CAN-1');
  const s = next.state;
  for (const peer of votersOf(env, s)) { // DEC-14: the voters of its configuration
    next = send(next, {
      type: 'RequestVote', from: env.self, to: peer,
      term: s.currentTerm, candidateId: env.self, lastLogIndex: s.log.lastIndex, lastLogTerm: s.log.lastTerm,
      ...(transfer ? { transfer: true as const } : {}),
    });
  }
  return next;
}

/** CAN-2: count a granted vote of this term, once per voter. */
export function recordVote(t: Transition, m: RequestVoteResponse): Transition {
  if (!m.voteGranted) return cite(t, 'CAN-2');
  const votes = t.state.votesGranted.includes(m.from) ? t.state.votesGranted : [...t.state.votesGranted, m.from];
  return cite(update(t, { votesGranted: votes }), 'CAN-2');
}

/**
 * CAN-2 then LEA-1: become leader, reset per-follower progress (one key per peer of its
 * configuration, DEC-15), announce with AppendEntries. The leader is its own leaderId (CLI-1) and
 * starts with no read state (CLI-4); with leaderNoop it appends its no-op before the announcement,
 * which then carries it (CLI-3). The commit sequence runs in between (docs/membership.md: it
 * appends C_new at once if the joint configuration in force is already committed, CFG-3).
 */
export function becomeLeader(t: Transition, env: Env): Transition {
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  // FC-2: with flow control, no peer has reported anything applied yet.
  const appliedIndex: Record<NodeId, number> = {};
  for (const peer of peersOf(env, t.state)) {
    nextIndex[peer] = t.state.log.lastIndex + 1;
    matchIndex[peer] = 0;
    if (env.options.flowControlWindow > 0) appliedIndex[peer] = 0;
  }
  let next = cite(update(t, { role: 'leader', leaderId: env.self, nextIndex, matchIndex, appliedIndex, readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0 }), 'CAN-2');
  if (env.options.leaderNoop) next = appendNoop(next);
  next = commitAsLeader(next, env);
  return next.state.role === 'leader' ? broadcastAppendEntries(cite(next, 'LEA-1'), env) : next;
}

/** CLI-3: a new leader appends a no-op of its term (no client awaits it). */
function appendNoop(t: Transition): Transition {
  const s = t.state;
  return cite(update(t, { log: s.log.append([{ term: s.currentTerm, command: null }]) }), 'CLI-3');
}

/** CAN-3: an AppendEntries from a leader of our term: that leader won, so we follow it. */
export function concede(t: Transition): Transition {
  return cite(becomeFollower(t), 'CAN-3');
}

// ---------------------------------------------------------------------------------------------
// RequestVote receiver

function replyVote(t: Transition, env: Env, m: RequestVote, voteGranted: boolean): Transition {
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, { type: 'RequestVoteResponse', from: env.self, to: m.from, term: t.state.currentTerm, voteGranted });
}

/** RV-1: refuse a candidate of an older term. */
export function rejectStaleRequestVote(t: Transition, env: Env, m: RequestVote): Transition {
  return replyVote(cite(t, 'RV-1'), env, m, false);
}

/** RV-2: grant the vote if we are free to and the candidate's log is up-to-date; else refuse. */
export function handleRequestVote(t: Transition, env: Env, m: RequestVote): Transition {
  if (canGrantVote(t.state, m)) {
    return replyVote(cite(update(t, { votedFor: m.candidateId }), 'RV-2'), env, m, true);
  }
  return replyVote(cite(t, 'RV-2'), env, m, false);
}

// ---------------------------------------------------------------------------------------------
// AppendEntries receiver

function replyAppend(t0: Transition, env: Env, m: AppendEntries, success: boolean, matchIndex: number, conflict?: { conflictTerm: number; conflictIndex: number }): Transition {
  // FC-1: with flow control, every answer (AE-1 rejections included) reports how far we have applied.
  const reports = env.options.flowControlWindow > 0;
  const t = reports ? cite(t0, 'FC-1') : t0;
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, {
    type: 'AppendEntriesResponse', from: env.self, to: m.from,
    term: t.state.currentTerm, success, matchIndex, prevLogIndex: m.prevLogIndex,
    ...(conflict ?? {}),
    // CLI-4: echo the leader's read round, so that any answer of this term confirms its leadership.
    ...(m.readRound === undefined ? {} : { readRound: m.readRound }),
    ...(reports ? { lastApplied: t.state.lastApplied } : {}),
  });
}

/**
 * FB-1: where our log stops agreeing with prevLogIndex. With no entry there: term 0 and our last
 * index + 1; else the term of our entry there and the first index we hold of that term. SNAP-5:
 * the search stops at snapshotIndex (whose term is snapshotTerm): below it the log is compacted.
 */
export function conflictAt(s: NodeState, prevLogIndex: number): { conflictTerm: number; conflictIndex: number } {
  if (!s.log.knowsTermAt(prevLogIndex)) return { conflictTerm: 0, conflictIndex: s.log.lastIndex + 1 };
  const conflictTerm = s.log.termAt(prevLogIndex);
  const floor = Math.max(1, s.snapshotIndex);
  let conflictIndex = prevLogIndex;
  while (conflictIndex > floor && s.log.termAt(conflictIndex - 1) === conflictTerm) conflictIndex--;
  return { conflictTerm, conflictIndex };
}

/** AE-1: refuse a leader of an older term (the reply's term tells it to step down). */
export function rejectStaleAppendEntries(t: Transition, env: Env, m: AppendEntries): Transition {
  return replyAppend(cite(t, 'AE-1'), env, m, false, 0);
}

/** AE-2 to AE-5 and ALL-1, on a follower of the sender's term (which it now knows as the leader, CLI-1). */
export function handleAppendEntries(t0: Transition, env: Env, m: AppendEntries): Transition {
  const t = rememberLeader(t0, m.leaderId);
  if (!logMatchesAt(t.state, m.prevLogIndex, m.prevLogTerm)) {
    if (env.options.fastBacktracking) return replyAppend(cite(t, 'AE-2', 'FB-1'), env, m, false, 0, conflictAt(t.state, m.prevLogIndex));
    return replyAppend(cite(t, 'AE-2'), env, m, false, 0);
  }
  // SNAP-5: a prevLogIndex below our snapshot passed the check; the entries it covers are skipped.
  let next = mergeEntries(m.prevLogIndex < t.state.snapshotIndex ? cite(t, 'SNAP-5') : t, m.prevLogIndex, m.entries);
  next = citeConfigChange(next, env, t.state);
  next = followLeaderCommit(next, m);
  next = applyCommitted(next, env);
  return replyAppend(next, env, m, true, m.prevLogIndex + m.entries.length);
}

/** CLI-1: the sender of an AppendEntries or InstallSnapshot of our term is its leader; redirects name it. */
export function rememberLeader(t0: Transition, leaderId: NodeId): Transition {
  // PV-2, CFG-6: it has heard from its term's leader since its last election timeout.
  const t = t0.state.heardFromLeader ? t0 : update(t0, { heardFromLeader: true });
  return t.state.leaderId === leaderId ? t : cite(update(t, { leaderId }), 'CLI-1');
}

/**
 * AE-3 and AE-4: skip entries we already hold, truncate at the first real conflict, append the rest.
 * SNAP-5: entries at or below snapshotIndex are committed, so they match: skipped.
 */
function mergeEntries(t: Transition, prevLogIndex: number, entries: readonly Entry[]): Transition {
  let log = t.state.log;
  let next = t;
  for (let k = Math.max(0, t.state.snapshotIndex - prevLogIndex); k < entries.length; k++) {
    const index = prevLogIndex + 1 + k;
    const entry = entries[k] as Entry;
    if (log.has(index) && log.termAt(index) === entry.term) continue; // already held: no truncation
    if (log.has(index)) {
      log = log.truncateAfter(index - 1); // AE-3: a real conflict
      next = cite(next, 'AE-3');
    }
    log = log.append(entries.slice(k)); // AE-4
    next = cite(next, 'AE-4');
    break;
  }
  return log === t.state.log ? next : update(next, { log });
}

/** AE-5 with DEC-2: follow leaderCommit up to the last new entry, never moving commitIndex back. */
function followLeaderCommit(t: Transition, m: AppendEntries): Transition {
  const s = t.state;
  if (m.leaderCommit <= s.commitIndex) return t;
  const lastNewEntry = m.prevLogIndex + m.entries.length;
  const commitIndex = Math.max(s.commitIndex, Math.min(m.leaderCommit, lastNewEntry));
  return commitIndex === s.commitIndex ? cite(t, 'DEC-2') : cite(update(t, { commitIndex }), 'AE-5');
}

// ---------------------------------------------------------------------------------------------
// Leaders

/**
 * LEA-3 (DEC-5, DEC-6): the AppendEntries for one follower: the entries from its nextIndex.
 * SNAP-2: if those entries are compacted, the first chunk of our snapshot instead.
 */
export function sendAppendEntries(t: Transition, env: Env, peer: NodeId): Transition {
  const s = t.state;
  const nextIndex = s.nextIndex[peer] ?? s.log.lastIndex + 1;
  if (nextIndex <= s.snapshotIndex) return sendSnapshotChunk(cite(t, 'SNAP-2'), env, peer, 0);
  const prevLogIndex = nextIndex - 1;
  const max = env.options.maxEntriesPerAppendEntries;
  const available = s.log.lastIndex - prevLogIndex;
  const batch = Math.min(max, available);
  const window = flowControlWindowAfter(s, env, peer, prevLogIndex);
  const count = Math.max(0, Math.min(batch, window));
  // FC-3: the follower's window cut the batch (to a heartbeat when it allows nothing); else DEC-6:
  // more to send than one AppendEntries carries, and the rest follows on success (LEA-3a).
  const capped = count < batch ? cite(t, 'FC-3') : available > max ? cite(t, 'DEC-6') : t;
  // PIP-1: with pipelining the next send continues after these entries, without waiting for the answer.
  const sent = env.options.pipelining && count > 0
    ? cite(update(capped, { nextIndex: { ...s.nextIndex, [peer]: prevLogIndex + count + 1 } }), 'PIP-1')
    : capped;
  return send(sent, {
    type: 'AppendEntries', from: env.self, to: peer,
    term: s.currentTerm, leaderId: env.self,
    prevLogIndex, prevLogTerm: s.log.termAt(prevLogIndex),
    entries: s.log.slice(nextIndex, count),
    leaderCommit: s.commitIndex,
    // CLI-4: once the leader has started a read round, every AppendEntries carries it: heartbeats, replication and retries alike.
    ...(s.readRound > 0 ? { readRound: s.readRound } : {}),
  });
}

/**
 * FC-3: how many entries after prevLogIndex a follower may be sent: up to the lastApplied it
 * reported (FC-2) plus the window, and always up to the leader's first entry of its own term (or
 * it might never commit anything: its followers apply only what it commits, and it commits only
 * entries of its term, Figure 8). Unbounded without flow control.
 */
function flowControlWindowAfter(s: NodeState, env: Env, peer: NodeId, prevLogIndex: number): number {
  const w = env.options.flowControlWindow;
  if (w === 0) return Infinity;
  return Math.max((s.appliedIndex[peer] ?? 0) + w, firstIndexOfTerm(s, s.currentTerm)) - prevLogIndex;
}

/** The first index after the snapshot whose entry has this term; 0 if none (terms never decrease along a log, INV-5: binary search). */
function firstIndexOfTerm(s: NodeState, term: number): number {
  let lo = s.log.firstIndex;
  let hi = s.log.lastIndex;
  if (hi < lo || s.log.termAt(hi) < term) return 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (s.log.termAt(mid) < term) lo = mid + 1;
    else hi = mid;
  }
  return s.log.termAt(lo) === term ? lo : 0;
}

/** LEA-1, LEA-3: every peer of the configuration in force (DEC-15) its AppendEntries, in cluster order. */
function broadcastAppendEntries(t: Transition, env: Env): Transition {
  let next = t;
  for (const peer of peersOf(env, t.state)) next = sendAppendEntries(next, env, peer);
  return next;
}

/** LEA-1 (DEC-5): the heartbeat timer fired: send every follower its AppendEntries. */
export function heartbeat(t0: Transition, env: Env): Transition {
  // LR-1: with lease reads every heartbeat is a read round, so its acknowledgements renew the lease.
  const t = env.options.leaseReads ? cite(update(t0, { readRound: t0.state.readRound + 1 }), 'LR-1') : t0;
  const s = t.state;
  // DEC-5: a follower that is behind gets entries with its heartbeat, not an empty one.
  const behind = peersOf(env, s).some((p) => (s.nextIndex[p] ?? s.log.lastIndex + 1) <= s.log.lastIndex);
  return broadcastAppendEntries(behind ? cite(t, 'LEA-1', 'DEC-5') : cite(t, 'LEA-1'), env);
}

/**
 * LEA-2: append the command and await its apply (the answer comes from applyCommitted), then the
 * commit sequence (LEA-4: a single voter commits at once; ALL-1; CFG-3 or CFG-5) and LEA-3 to
 * every follower.
 */
export function appendClientCommand(t: Transition, env: Env, command: unknown): Transition {
  const s = t.state;
  const index = s.log.lastIndex + 1;
  const awaiting = new Map(s.awaiting).set(index, s.currentTerm);
  const next = commitAsLeader(cite(update(t, { log: s.log.append([{ term: s.currentTerm, command }]), awaiting }), 'LEA-2'), env);
  return next.state.role === 'leader' ? broadcastAppendEntries(cite(next, 'LEA-3'), env) : next;
}

/**
 * After a success or a done InstallSnapshotResponse: the commit sequence, then LEA-3 to every peer
 * if it appended C_new (CFG-3), else to the responder if it is still behind.
 */
function commitAndReplicate(t: Transition, env: Env, peer: NodeId, nextIndex: number): Transition {
  const before = t.state.log.lastIndex;
  const next = commitAsLeader(t, env);
  if (next.state.role !== 'leader') return next;
  if (next.state.log.lastIndex > before) return broadcastAppendEntries(cite(next, 'LEA-3'), env);
  return next.state.log.lastIndex >= nextIndex ? sendAppendEntries(cite(next, 'LEA-3'), env, peer) : next;
}

/**
 * The bookkeeping of an AppendEntriesResponse of our term, before LEA-3a, LEA-3b or a drop by
 * DEC-4, in the order docs/dissertation-options.md gives: after the DEC-8 check and CheckQuorum's
 * recentlyActive (CQ-1, recordActivity, in the dispatch), flow control's appliedIndex (FC-2), then
 * ReadIndex's readAcks (CLI-4).
 */
function recordAppendResponse(t: Transition, env: Env, m: AppendEntriesResponse): Transition {
  return acknowledgeReadRound(recordAppliedIndex(t, env, m), m);
}

/** FC-2: with flow control, keep the highest lastApplied the follower has reported (responses can be reordered). */
function recordAppliedIndex(t: Transition, env: Env, m: AppendEntriesResponse): Transition {
  if (env.options.flowControlWindow === 0 || m.lastApplied === undefined) return t;
  const was = t.state.appliedIndex[m.from] ?? 0;
  if (m.lastApplied <= was) return cite(t, 'FC-2');
  return cite(update(t, { appliedIndex: { ...t.state.appliedIndex, [m.from]: m.lastApplied } }), 'FC-2');
}

/**
 * LEA-3a with DEC-3, then LEA-4, ALL-1, and LEA-3 again if the follower is still behind. PIP-1:
 * with pipelining nextIndex is already past the entries in flight, which are not sent again.
 */
export function handleAppendSuccess(t0: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const t = recordAppendResponse(t0, env, m);
  const s = t.state;
  const matchIndex = Math.max(s.matchIndex[m.from] ?? 0, m.matchIndex);
  const nextIndex = Math.max(s.nextIndex[m.from] ?? 1, m.matchIndex + 1);
  // DEC-3: a reordered older success moves neither index back.
  const older = m.matchIndex < (s.matchIndex[m.from] ?? 0) ? cite(t, 'DEC-3') : t;
  const next = cite(update(older, {
    matchIndex: { ...s.matchIndex, [m.from]: matchIndex },
    nextIndex: { ...s.nextIndex, [m.from]: nextIndex },
  }), 'LEA-3a');
  return commitAndReplicate(next, env, m.from, nextIndex);
}

/**
 * LEA-3b with DEC-4: a rejection of the current probe moves nextIndex back by one, and we retry.
 * FB-2: a rejection that reports its conflict (fastBacktracking) moves it back past the whole term.
 * PIP-2: with pipelining several requests are in flight, and a rejection of any still outstanding
 * one is acted on, not only of the latest.
 */
export function handleAppendFailure(t0: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const t = recordAppendResponse(t0, env, m);
  const s = t.state;
  const pipelined = env.options.pipelining;
  if (!(pipelined ? answersOutstandingRequest(s, m) : answersCurrentProbe(s, m))) return cite(t, 'DEC-4');
  const skipTerm = env.options.fastBacktracking && m.conflictIndex !== undefined;
  const target = skipTerm ? Math.min(skipTo(s, m.conflictTerm ?? 0, m.conflictIndex ?? 1), m.prevLogIndex) : m.prevLogIndex;
  const nextIndex = Math.max(target, (s.matchIndex[m.from] ?? 0) + 1, 1);
  const next = cite(update(t, { nextIndex: { ...s.nextIndex, [m.from]: nextIndex } }), 'LEA-3b', skipTerm ? 'FB-2' : undefined);
  return sendAppendEntries(pipelined ? cite(next, 'PIP-2') : next, env, m.from);
}

/**
 * FB-2: one past our last entry of conflictTerm if we hold any, else the follower's conflictIndex.
 * SNAP-5: only the entries after our snapshot are searched.
 */
function skipTo(s: NodeState, conflictTerm: number, conflictIndex: number): number {
  if (conflictTerm === 0) return conflictIndex;
  for (let i = s.log.lastIndex; i > s.snapshotIndex; i--) {
    const term = s.log.termAt(i);
    if (term === conflictTerm) return i + 1;
    if (term < conflictTerm) break; // terms never decrease along the log (INV-5): none further back
  }
  return conflictIndex;
}

/**
 * LEA-4: commit the largest N > commitIndex that a quorum of the configuration in force holds
 * (CFG-2: both halves while joint; the leader counts itself only if it is a voter, CFG-5), if
 * log[N] is of the current term. The largest index a majority of voters holds is their median
 * match index; if its entry is of an older term, so is every entry before it (INV-5), and nothing
 * can be committed by counting (§5.4.2, Figure 8).
 */
export function advanceCommitIndex(t: Transition, env: Env): Transition {
  const s = t.state;
  const quorumHolds = quorumIndex(configOf(env, s), (id) => (id === env.self ? s.log.lastIndex : s.matchIndex[id] ?? 0));
  if (quorumHolds <= s.commitIndex || s.log.termAt(quorumHolds) !== s.currentTerm) return t;
  return cite(update(t, { commitIndex: quorumHolds }), 'LEA-4');
}

// ---------------------------------------------------------------------------------------------
// Clients (§8): redirects and ReadIndex reads (dissertation §6.4)

/** CLI-1 (DEC-9): a non-leader starts nothing and names the leader it last heard from in its term, if any. */
export function redirect(t: Transition, env: Env, client: string | null, seq: number | null): Transition {
  return reply(cite(t, 'CLI-1', 'DEC-9'), { type: 'redirect', node: env.self, client, seq, leader: t.state.leaderId });
}

/**
 * CLI-4: a read reaches the leader; it waits, in arrival order, for a read index and a confirmed
 * round. LR-2: under a lease it takes commitIndex at once and needs no round (round 0).
 */
export function startRead(t: Transition, env: Env, input: { readonly client: string; readonly seq: number; readonly key: string }): Transition {
  const s = t.state;
  if (holdsLease(env, s) && s.log.termAt(s.commitIndex) === s.currentTerm) {
    const read: PendingRead = { client: input.client, seq: input.seq, key: input.key, readIndex: s.commitIndex, round: 0 };
    return cite(update(t, { pendingReads: s.pendingReads.concat(read) }), 'LR-2');
  }
  const read: PendingRead = { client: input.client, seq: input.seq, key: input.key, readIndex: null, round: 0 };
  return cite(update(t, { pendingReads: s.pendingReads.concat(read) }), 'CLI-4');
}

/** LR-2: with leaseReads, some round sent since the leader's last election timeout is acknowledged by a majority (the leader counted). */
export function holdsLease(env: Env, s: NodeState): boolean {
  // Not while handing leadership over: the transferee may be elected before the lease runs out (LT-4).
  if (!env.options.leaseReads || s.role !== 'leader' || s.transferee !== null) return false;
  if (isQuorum(configOf(env, s), (id) => id === env.self)) return true; // it alone is a quorum
  return s.readRound > s.leaseFloor && readRoundConfirmed(env, s, s.leaseFloor + 1);
}

/** LR-3: at the leader's election timeout its lease ends: only rounds sent after now can give a new one. */
export function expireLease(t: Transition, env: Env): Transition {
  return env.options.leaseReads ? cite(update(t, { leaseFloor: Math.max(t.state.leaseFloor, t.state.readRound) }), 'LR-3') : t;
}

/** CLI-4: a response of our term that echoes a read round acknowledges our leadership up to that round (a rejection as much as a success). */
export function acknowledgeReadRound(t: Transition, m: AppendEntriesResponse): Transition {
  if (m.readRound === undefined) return t;
  const acked = t.state.readAcks[m.from] ?? 0;
  if (m.readRound <= acked) return t;
  return cite(update(t, { readAcks: { ...t.state.readAcks, [m.from]: m.readRound } }), 'CLI-4');
}

/** CLI-4: some read has no read index yet, and the leader has committed an entry of its term (so commitIndex is as high as any earlier leader's). */
export const canStartReadRound = (s: NodeState): boolean =>
  s.log.termAt(s.commitIndex) === s.currentTerm && s.pendingReads.some((r) => r.readIndex === null);

/** CLI-4: the leader and the peers that acknowledged `round` or a later one are a quorum of its configuration (CFG-2, CFG-5). */
export function readRoundConfirmed(env: Env, s: NodeState, round: number): boolean {
  return isQuorum(configOf(env, s), (id) => id === env.self || (s.readAcks[id] ?? 0) >= round);
}

/** CLI-4: a read whose round is confirmed and whose read index the state machine has reached. */
export const canServeRead = (env: Env, s: NodeState, r: PendingRead): r is PendingRead & { readonly readIndex: number } =>
  r.readIndex !== null && s.lastApplied >= r.readIndex && readRoundConfirmed(env, s, r.round);

/** CLI-4: some pending read can be answered now. */
export const hasReadToServe = (env: Env, s: NodeState): boolean => s.pendingReads.some((r) => canServeRead(env, s, r));

/**
 * CLI-4, first half of the epilogue: the reads without a read index get commitIndex and a new
 * round, and every follower gets the AppendEntries LEA-3 would send, carrying that round. One
 * round per step at most.
 */
export function startReadRounds(t: Transition, env: Env): Transition {
  const s = t.state;
  if (!canStartReadRound(s)) return t;
  const readRound = s.readRound + 1;
  const pendingReads = s.pendingReads.map((r) => (r.readIndex === null ? { ...r, readIndex: s.commitIndex, round: readRound } : r));
  return broadcastAppendEntries(cite(update(t, { readRound, pendingReads }), 'CLI-4'), env);
}

/** CLI-4, second half of the epilogue: answer, in arrival order, every read that can be answered, from the state machine. */
export function serveReads(t: Transition, env: Env): Transition {
  const s = t.state;
  if (!hasReadToServe(env, s)) return t;
  let next = cite(t, 'CLI-4');
  const waiting: PendingRead[] = [];
  for (const r of s.pendingReads) {
    if (!canServeRead(env, s, r)) {
      waiting.push(r);
      continue;
    }
    const result = Object.hasOwn(s.machine.data, r.key) ? (s.machine.data[r.key] as string) : null;
    next = reply(next, { type: 'read', node: env.self, client: r.client, seq: r.seq, key: r.key, index: r.readIndex, result });
  }
  return update(next, { pendingReads: waiting });
}

// ---------------------------------------------------------------------------------------------
// Log compaction (§7, Figure 13)

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
 * IS-2 .. IS-8 on a follower of the sender's term (which it now knows as the leader, CLI-1).
 * DEC-11: a snapshot we already hold committed is acknowledged and not installed (installing it
 * would apply its entries twice). DEC-12: a chunk is written only where the partial snapshot ends.
 */
export function handleInstallSnapshot(t0: Transition, env: Env, m: InstallSnapshot): Transition {
  const t = rememberLeader(t0, m.leaderId);
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
  next = citeConfigChange(next, env, s);
  // IS-8: the commands awaited at the indexes the snapshot covers are dropped unanswered (LEA-2).
  const covered = [...s.awaiting.keys()].some((i) => i <= index);
  const awaiting = covered ? new Map([...s.awaiting].filter(([i]) => i > index)) : s.awaiting;
  next = cite(update(next, { machine: snapshotMachine, lastApplied: index, commitIndex: index, awaiting }), 'IS-8');
  return replySnapshot(next, env, m, m.offset + m.data.length, true);
}


/**
 * SNAP-3 on a leader, for a response of its term. Done: the follower holds everything through
 * lastIncludedIndex, so progress moves as for a success (LEA-3a, DEC-3), then LEA-4, ALL-1 and
 * LEA-3. Not done: send the chunk it asked for, if it still needs our current snapshot (else DEC-4).
 */
export function handleInstallSnapshotResponse(t: Transition, env: Env, m: InstallSnapshotResponse): Transition {
  const s = t.state;
  if (!m.done) {
    const wanted = m.lastIncludedIndex === s.snapshotIndex && (s.nextIndex[m.from] ?? s.log.lastIndex + 1) <= s.snapshotIndex
      && m.offset < snapshotDataOf(s.snapshotMachine).length;
    return wanted ? sendSnapshotChunk(cite(t, 'SNAP-3'), env, m.from, m.offset) : cite(t, 'DEC-4');
  }
  // DEC-8: no snapshot of ours can reach beyond our log.
  if (snapshotClaimsMoreThanLog(s, m)) return cite(t, 'DEC-8');
  const was = s.matchIndex[m.from] ?? 0;
  const nextIndex = Math.max(s.nextIndex[m.from] ?? 1, m.lastIncludedIndex + 1);
  // DEC-3: an older acknowledgement moves neither index back.
  const older = m.lastIncludedIndex < was ? cite(t, 'DEC-3') : t;
  const next = cite(update(older, {
    matchIndex: { ...s.matchIndex, [m.from]: Math.max(was, m.lastIncludedIndex) },
    nextIndex: { ...s.nextIndex, [m.from]: nextIndex },
  }), 'SNAP-3');
  return commitAndReplicate(next, env, m.from, nextIndex);
}

// ---------------------------------------------------------------------------------------------
// Dissertation options for elections (docs/dissertation-options.md): PreVote (PV-1 .. PV-3),
// CheckQuorum (CQ-1), the disruption guard (CFG-6), leadership transfer (LT-1 .. LT-5). Timers are
// events: "since its last election timeout" is "since its last electionTimeout event".

/** heardFromLeader: every electionTimeout of a server starts a new period without news of a leader. */
export function forgetLeaderContact(t: Transition): Transition {
  return t.state.heardFromLeader ? update(t, { heardFromLeader: false }) : t;
}

/**
 * PV-1: with preVote, the election timeout of a non-leader starts a pre-vote instead of an
 * election: no term or vote changes (a pre-vote is not a vote); it asks every other server whether
 * it would vote for it in currentTerm + 1. A precandidate keeps no leader state (DEC-10).
 */
export function startPreVote(t: Transition, env: Env): Transition {
  let next = cite(update(t, { role: 'precandidate', leaderId: null, votesGranted: [env.self], nextIndex: {}, matchIndex: {} }), 'PV-1');
  const s = next.state;
  for (const peer of votersOf(env, s)) { // DEC-14: the voters of its configuration
    next = send(next, {
      type: 'PreVote', from: env.self, to: peer,
      term: s.currentTerm + 1, candidateId: env.self, lastLogIndex: s.log.lastIndex, lastLogTerm: s.log.lastTerm,
    });
  }
  return next;
}

/**
 * PV-2: we would vote for this candidate in its term: we lead no one, its term is newer, we have
 * not heard from a leader since our last election timeout (§9.6: the leader is probably still up),
 * and its log is at least as up-to-date as ours (§5.4.1). votedFor plays no part: the term is newer.
 */
export const canGrantPreVote = (s: NodeState, m: PreVote): boolean =>
  s.role !== 'leader' && m.term > s.currentTerm && !s.heardFromLeader && candidateLogIsUpToDate(s, m);

/** PV-2: answer a pre-vote, changing nothing (no ALL-2: its term is only proposed). FOL-1 on a follower. */
export function answerPreVote(t: Transition, env: Env, m: PreVote): Transition {
  const voteGranted = canGrantPreVote(t.state, m);
  const answered = cite(t, 'PV-2');
  return send(t.state.role === 'follower' ? cite(answered, 'FOL-1') : answered, {
    type: 'PreVoteResponse', from: env.self, to: m.from, term: voteGranted ? m.term : t.state.currentTerm, voteGranted,
  });
}

/** ALL-2 for a PreVoteResponse: only a refusal carries the responder's own term; a grant carries the proposed one. */
export const isNewerRefusal = (s: NodeState, m: PreVoteResponse): boolean => !m.voteGranted && isNewerTerm(s, m);

/** PV-3: a grant for the term this precandidate would campaign in. Any other PreVoteResponse is dropped (DEC-1). */
export const isPreVoteForNextTerm = (s: NodeState, m: PreVoteResponse): boolean =>
  s.role === 'precandidate' && m.voteGranted && m.term === s.currentTerm + 1;

/** PV-3: count a pre-vote, once per voter. */
export function recordPreVote(t: Transition, m: PreVoteResponse): Transition {
  const votes = t.state.votesGranted.includes(m.from) ? t.state.votesGranted : [...t.state.votesGranted, m.from];
  return cite(update(t, { votesGranted: votes }), 'PV-3');
}

/** PV-3: a majority (itself included) would vote for it: start the real election (CAN-1). */
export function winPreVote(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'PV-3'), env);
}

/**
 * CQ-1: with checkQuorum, a leader notes each peer that answered it in its term (once, in the
 * order heard), whatever the answer said.
 */
export function recordActivity(t: Transition, env: Env, peer: NodeId): Transition {
  if (!env.options.checkQuorum || t.state.recentlyActive.includes(peer)) return t;
  return cite(update(t, { recentlyActive: t.state.recentlyActive.concat(peer) }), 'CQ-1');
}

/** CQ-1: the leader and the peers it heard from since the last check are a quorum of its configuration (CFG-2, CFG-5). */
export const hasActiveQuorum = (env: Env, s: NodeState): boolean =>
  isQuorum(configOf(env, s), (id) => id === env.self || s.recentlyActive.includes(id));

/** CQ-1: a majority still follows us: stay leader and start the next period. */
export function confirmQuorum(t: Transition): Transition {
  return cite(update(t, { recentlyActive: [] }), 'CQ-1');
}

/**
 * CQ-1: no majority answered during a whole election timeout (§6.2: we may be partitioned away,
 * and a new leader may be serving clients): step down in the same term. DEC-10 clears the leader
 * state, the transfer (LT-5) and the pending reads (CLI-4).
 */
export function stepDownWithoutQuorum(t: Transition): Transition {
  return becomeFollower(cite(update(t, { leaderId: null }), 'CQ-1'));
}

/** CQ-1 at the leader's election timeout. */
export function checkQuorum(t: Transition, env: Env): Transition {
  return hasActiveQuorum(env, t.state) ? confirmQuorum(t) : stepDownWithoutQuorum(t);
}

/**
 * CFG-6: with disruptionGuard, a RequestVote of a newer term reaching a leader, or a server that
 * heard from its leader since its last election timeout, is from a server that should not be
 * campaigning (§4.2.3), unless a TimeoutNow sent it (LT-4).
 */
export const isDisruptiveRequestVote = (env: Env, s: NodeState, m: RequestVote): boolean =>
  (env.options.disruptionGuard || env.options.leaseReads) && m.term > s.currentTerm && m.transfer !== true && (s.role === 'leader' || s.heardFromLeader);

/** CFG-6: dropped before ALL-2: no term change, no vote, no reply. */
export const ignoreDisruptiveRequestVote = (t: Transition): Transition => cite(t, 'CFG-6');

/** LT-1: with leadershipTransfer, a leader can hand leadership to any other voter of its configuration (else DEC-9). */
export const canTransferTo = (env: Env, s: NodeState, target: NodeId): boolean =>
  env.options.leadershipTransfer && target !== env.self && isVoter(configOf(env, s), target);

/**
 * LT-1: remember the target (a repeated request changes nothing) and bring its log up to date:
 * at once with TimeoutNow if it already holds our whole log (LT-2), else with its AppendEntries (LEA-3, or SNAP-2).
 */
export function startTransfer(t: Transition, env: Env, target: NodeId): Transition {
  if (t.state.transferee === target) return cite(t, 'LT-1');
  const next = cite(update(t, { transferee: target }), 'LT-1');
  if (next.state.matchIndex[target] === next.state.log.lastIndex) return sendTimeoutNow(next, env, target);
  return sendAppendEntries(cite(next, 'LEA-3'), env, target);
}

/** LT-2: the transferee holds our whole log: tell it to start an election now (§3.10). */
function sendTimeoutNow(t: Transition, env: Env, peer: NodeId): Transition {
  // LR-2: its target may be elected at once, whatever the lease binds: no lease for the rest of this term.
  const t1 = env.options.leaseReads ? update(t, { leaseFloor: Infinity }) : t;
  return send(cite(t1, 'LT-2'), { type: 'TimeoutNow', from: env.self, to: peer, term: t.state.currentTerm });
}

/** LT-2: after LEA-3a or SNAP-3 handled a response of the transferee, TimeoutNow if that left it holding our whole log. */
export function sendTimeoutNowIfCaughtUp(t: Transition, env: Env, peer: NodeId): Transition {
  const s = t.state;
  return s.role === 'leader' && s.transferee === peer && s.matchIndex[peer] === s.log.lastIndex ? sendTimeoutNow(t, env, peer) : t;
}

/** LT-3: a transfer is pending. */
export const isTransferring = (s: NodeState): boolean => s.transferee !== null;

/** LT-3: while a transfer is pending, a command is not appended (§3.10: it could keep the target behind); the client is sent to the transferee. */
export function redirectToTransferee(t: Transition, env: Env, command: unknown): Transition {
  const op = sessionOf(command);
  return reply(cite(t, 'LT-3'), { type: 'redirect', node: env.self, client: op?.client ?? null, seq: op?.seq ?? null, leader: t.state.transferee });
}

/** LT-4: a TimeoutNow of our term on a follower: start an election at once, without PreVote, its RequestVotes marked transfer. */
export function campaignNow(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'LT-4'), env, true);
}

/** LT-5: an election timeout passed without the transfer completing: abandon it, and accept commands again. */
export function abandonTransfer(t: Transition): Transition {
  return t.state.transferee === null ? t : cite(update(t, { transferee: null }), 'LT-5');
}

// ---------------------------------------------------------------------------------------------
// Membership changes (§6, dissertation ch. 4; docs/membership.md): CFG-1 .. CFG-5, CFG-7, DEC-14, DEC-15.

/** DEC-15: a response from a server that is not a peer of the leader's configuration in force (it was removed since the request). */
export const isFromNonPeer = (env: Env, s: NodeState, m: Message): boolean => !peersOf(env, s).includes(m.from);

/** DEC-15: such a response is dropped: the leader keeps progress for its peers only. */
export const ignoreNonPeer = (t: Transition): Transition => cite(t, 'DEC-15');

/** DEC-14: only a voter of its configuration in force campaigns (or pre-votes). */
export const canCampaign = (env: Env, s: NodeState): boolean => isVoter(configOf(env, s), env.self);

/** DEC-14: an election timeout on a learner (CFG-4: learners never campaign), a removed server or one not yet added starts nothing. */
export const stayOutOfElections = (t: Transition, env: Env): Transition =>
  (configOf(env, t.state).learners?.includes(env.self) ? cite(t, 'CFG-4', 'DEC-14') : cite(t, 'DEC-14'));

/** CFG-1: on a follower, cite the change when the log or snapshot just received changed the configuration in force (its contents, not which entry holds it). */
function citeConfigChange(t: Transition, env: Env, before: NodeState): Transition {
  return sameConfiguration(configOf(env, t.state), configOf(env, before)) ? t : cite(t, 'CFG-1');
}

/** CFG-2, CFG-7: a change is in progress while the configuration in force is joint or not yet committed. */
export const changeInProgress = (env: Env, s: NodeState): boolean => isJoint(configOf(env, s)) || configIndexOf(s) > s.commitIndex;

/** CFG-7: the leader has committed an entry of its current term (the 2015 fix). */
export const committedInTerm = (s: NodeState): boolean => s.log.termAt(s.commitIndex) === s.currentTerm;

export interface ReconfigureRequest {
  readonly change: 'single' | 'joint';
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[] | undefined;
}

/** Which rule refuses a reconfigure request on this leader, or null if none does (CFG-2, CFG-7, LT-3). */
export function refusalOf(env: Env, s: NodeState, r: ReconfigureRequest): RuleId | null {
  if (s.transferee !== null) return 'LT-3';
  const rule = r.change === 'single' ? 'CFG-7' : 'CFG-2';
  if (changeInProgress(env, s)) return rule;
  if (r.change === 'single' && (votersChanged(configOf(env, s).voters, r.voters) > 1 || !committedInTerm(s))) return 'CFG-7';
  return null;
}

/**
 * CFG-2 (joint: C_old,new, its oldVoters the voters in force) or CFG-7 (single): append the
 * configuration asked for, then the commit sequence and LEA-3 to every peer of the new
 * configuration. Refused (no effect) where refusalOf says.
 */
export function reconfigure(t: Transition, env: Env, r: ReconfigureRequest): Transition {
  const refused = refusalOf(env, t.state, r);
  if (refused !== null) return cite(t, refused);
  const config = writtenConfiguration(r.voters, r.learners, r.change === 'joint' ? configOf(env, t.state).voters : undefined);
  const next = commitAsLeader(appendConfigEntry(t, env, config, r.change === 'joint' ? 'CFG-2' : 'CFG-7'), env);
  return next.state.role === 'leader' ? broadcastAppendEntries(cite(next, 'LEA-3'), env) : next;
}

/**
 * A leader appends a configuration entry of its term (CFG-2, CFG-3, CFG-7), in force at once
 * (CFG-1). DEC-15: a new peer gets nextIndex = the entry's index and matchIndex 0 (appliedIndex 0
 * with flow control); a server no longer a member loses its progress, read acknowledgements and
 * recent activity; and a transfer to a server that is no longer a voter (removed, or demoted to
 * learner) is abandoned (LT-5).
 */
function appendConfigEntry(t: Transition, env: Env, config: Configuration, rule: 'CFG-2' | 'CFG-3' | 'CFG-7'): Transition {
  const s = t.state;
  const index = s.log.lastIndex + 1;
  let next = cite(update(t, { log: s.log.append([{ term: s.currentTerm, command: null, config }]) }), rule);
  const peers = peersOf(env, next.state);
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  const appliedIndex: Record<NodeId, number> = {};
  const readAcks: Record<NodeId, number> = {};
  let changed = peers.length !== Object.keys(s.nextIndex).length;
  for (const peer of peers) {
    const known = s.nextIndex[peer] !== undefined;
    changed ||= !known;
    nextIndex[peer] = known ? (s.nextIndex[peer] as number) : index;
    matchIndex[peer] = s.matchIndex[peer] ?? 0;
    if (env.options.flowControlWindow > 0) appliedIndex[peer] = s.appliedIndex[peer] ?? 0;
    const acked = s.readAcks[peer];
    if (acked !== undefined) readAcks[peer] = acked;
  }
  if (changed) next = cite(update(next, { nextIndex, matchIndex, appliedIndex, readAcks, recentlyActive: s.recentlyActive.filter((id) => peers.includes(id)) }), 'DEC-15');
  // LT-1, LT-5: a transfer goes to a voter only; one whose target is no longer a voter (removed, or demoted to learner) is abandoned.
  if (s.transferee !== null && !isVoter(config, s.transferee)) next = cite(update(next, { transferee: null }), 'LT-5');
  return next;
}

/**
 * The leader's commit sequence (docs/membership.md), wherever its commitIndex may advance: LEA-4,
 * ALL-1, then CFG-3 (append C_new once the joint configuration in force is committed, and run the
 * sequence again) or CFG-5 (step down once a configuration it is not a voter of is committed).
 */
export function commitAsLeader(t: Transition, env: Env): Transition {
  const next = applyCommitted(advanceCommitIndex(t, env), env);
  const s = next.state;
  if (s.role !== 'leader' || configIndexOf(s) > s.commitIndex) return next;
  const config = configOf(env, s);
  if (isJoint(config)) return commitAsLeader(appendConfigEntry(next, env, writtenConfiguration(config.voters, config.learners), 'CFG-3'), env);
  return isVoter(config, env.self) ? next : stepDownRemoved(next);
}

/** CFG-5: the committed configuration in force does not count us: step down in the same term (DEC-10 clears the leader state, CLI-4 the reads). */
function stepDownRemoved(t: Transition): Transition {
  return becomeFollower(cite(update(t, { leaderId: null }), 'CFG-5'));
}

// ---------------------------------------------------------------------------------------------
// Drops (DEC-1, DEC-8, DEC-9): inputs that have no effect, cited so that reports can say why.

export const ignore = (t: Transition, id: 'DEC-1' | 'DEC-8' | 'DEC-9'): Transition => cite(t, id);

// ---------------------------------------------------------------------------------------------
// Crash and restart

/** PER-1, DEC-7: after a crash only currentTerm, votedFor and the log survive. */
export function restartFromPersistentState(s: NodeState): NodeState {
  return {
    ...INITIAL_STATE, // every volatile variable takes its initial value
    currentTerm: s.currentTerm,
    votedFor: s.votedFor,
    log: s.log,
    snapshotIndex: s.snapshotIndex,
    snapshotTerm: s.snapshotTerm,
    snapshotMachine: s.snapshotMachine,
    snapshotConfig: s.snapshotConfig,
    // SNAP-4: the state machine restarts from the snapshot; only the entries after it are applied again.
    commitIndex: s.snapshotIndex,
    lastApplied: s.snapshotIndex,
    machine: s.snapshotMachine,
    awaiting: new Map(),
  };
}
