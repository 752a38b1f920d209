// One small pure function per rule of Figure 2, named after it and citing its ID, as raft.tla has
// one action per rule. Guards are predicates on (state, message); actions take the step so far
// (a Transition) and return it extended. The reducer (node.ts) and the statechart (statechart.ts)
// are two compositions of these same functions.
import type { AppendEntries, AppendEntriesResponse, ClientReply, Entry, Message, NodeId, RequestVote, RequestVoteResponse } from '../spec/schema.js';
import { sessionOf } from '../spec/kv.js';
import { execute } from './kv.js';
import type { RuleId } from '../spec/rules.js';
import { type Env, type NodeState, type Transition, peersOf } from './state.js';

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

/** §5.4.1: the candidate's log is at least as up-to-date as ours. */
export const candidateLogIsUpToDate = (s: NodeState, m: RequestVote): boolean =>
  m.lastLogTerm > s.log.lastTerm || (m.lastLogTerm === s.log.lastTerm && m.lastLogIndex >= s.log.lastIndex);

/** RV-2: we have not voted for anyone else this term, and the candidate's log is up-to-date. */
export const canGrantVote = (s: NodeState, m: RequestVote): boolean =>
  (s.votedFor === null || s.votedFor === m.candidateId) && candidateLogIsUpToDate(s, m);

/** CAN-2: votes from a majority of the servers (the candidate's own included). */
export const hasVoteMajority = (env: Env, s: NodeState): boolean => 2 * s.votesGranted.length > env.servers.length;

/** AE-2: our log holds an entry at prevLogIndex whose term is prevLogTerm (index 0 always matches). */
export const logMatchesAt = (s: NodeState, prevLogIndex: number, prevLogTerm: number): boolean =>
  prevLogIndex === 0 || (s.log.has(prevLogIndex) && s.log.termAt(prevLogIndex) === prevLogTerm);

/** DEC-8: a success that claims entries beyond the leader's log (no AppendEntries of its own could have caused it). */
export const claimsMoreThanLog = (s: NodeState, m: AppendEntriesResponse): boolean => m.success && m.matchIndex > s.log.lastIndex;

/** DEC-4: a rejection answers the leader's current probe for that follower, not an older one. */
export const answersCurrentProbe = (s: NodeState, m: AppendEntriesResponse): boolean =>
  m.prevLogIndex === (s.nextIndex[m.from] ?? 1) - 1;

// ---------------------------------------------------------------------------------------------
// All servers

/** ALL-2: adopt the newer term, forget the vote, and become (or stay) a follower. */
export function adoptNewerTerm(t: Transition, term: number): Transition {
  return becomeFollower(cite(update(t, { currentTerm: term, votedFor: null }), 'ALL-2'));
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
  let awaiting = s.awaiting;
  const applied = [...t.applied];
  for (let i = s.lastApplied + 1; i <= s.commitIndex; i++) {
    const e = s.log.entry(i);
    const x = execute(machine, e.command);
    machine = x.machine;
    applied.push({ index: i, term: e.term, command: e.command, result: x.result, duplicate: x.duplicate });
    if (x.duplicate) next = cite(next, 'CLI-2');
    const awaitedTerm = awaiting.get(i);
    if (awaitedTerm !== undefined) {
      const rest = new Map(awaiting);
      rest.delete(i);
      awaiting = rest;
      if (awaitedTerm === e.term) {
        const op = sessionOf(e.command);
        next = reply(cite(next, 'LEA-2'), { type: 'result', node: env.self, client: op?.client ?? null, seq: op?.seq ?? null, index: i, result: x.result, duplicate: x.duplicate });
      }
    }
  }
  next = { ...update(next, { lastApplied: s.commitIndex, machine, awaiting }), applied };
  return cite(next, 'ALL-1', machine === s.machine ? undefined : 'KV-1');
}

/** DEC-10: a follower keeps no votes and no per-follower progress. */
function becomeFollower(t: Transition): Transition {
  const s = t.state;
  const clears = s.votesGranted.length > 0 || Object.keys(s.nextIndex).length > 0 || Object.keys(s.matchIndex).length > 0;
  const next = update(t, { role: 'follower', votesGranted: [], nextIndex: {}, matchIndex: {} });
  return clears ? cite(next, 'DEC-10') : next;
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

/** CAN-1: increment currentTerm, vote for self, send RequestVote to all other servers. */
export function startElection(t: Transition, env: Env): Transition {
  let next = cite(update(t, {
    role: 'candidate',
    currentTerm: t.state.currentTerm + 1,
    votedFor: env.self,
    votesGranted: [env.self],
    nextIndex: {}, // DEC-10
    matchIndex: {},
  }), 'CAN-1');
  const s = next.state;
  for (const peer of peersOf(env)) {
    next = send(next, {
      type: 'RequestVote', from: env.self, to: peer,
      term: s.currentTerm, candidateId: env.self, lastLogIndex: s.log.lastIndex, lastLogTerm: s.log.lastTerm,
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

/** CAN-2 then LEA-1: become leader, reset per-follower progress, announce with AppendEntries. */
export function becomeLeader(t: Transition, env: Env): Transition {
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  for (const peer of peersOf(env)) {
    nextIndex[peer] = t.state.log.lastIndex + 1;
    matchIndex[peer] = 0;
  }
  const next = cite(update(t, { role: 'leader', nextIndex, matchIndex }), 'CAN-2');
  return broadcastAppendEntries(cite(next, 'LEA-1'), env);
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

function replyAppend(t: Transition, env: Env, m: AppendEntries, success: boolean, matchIndex: number, conflict?: { conflictTerm: number; conflictIndex: number }): Transition {
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, {
    type: 'AppendEntriesResponse', from: env.self, to: m.from,
    term: t.state.currentTerm, success, matchIndex, prevLogIndex: m.prevLogIndex,
    ...(conflict ?? {}),
  });
}

/**
 * FB-1: where our log stops agreeing with prevLogIndex. With no entry there: term 0 and our last
 * index + 1; else the term of our entry there and the first index we hold of that term.
 */
export function conflictAt(s: NodeState, prevLogIndex: number): { conflictTerm: number; conflictIndex: number } {
  if (!s.log.has(prevLogIndex)) return { conflictTerm: 0, conflictIndex: s.log.lastIndex + 1 };
  const conflictTerm = s.log.termAt(prevLogIndex);
  let conflictIndex = prevLogIndex;
  while (conflictIndex > 1 && s.log.termAt(conflictIndex - 1) === conflictTerm) conflictIndex--;
  return { conflictTerm, conflictIndex };
}

/** AE-1: refuse a leader of an older term (the reply's term tells it to step down). */
export function rejectStaleAppendEntries(t: Transition, env: Env, m: AppendEntries): Transition {
  return replyAppend(cite(t, 'AE-1'), env, m, false, 0);
}

/** AE-2 to AE-5 and ALL-1, on a follower of the sender's term. */
export function handleAppendEntries(t: Transition, env: Env, m: AppendEntries): Transition {
  if (!logMatchesAt(t.state, m.prevLogIndex, m.prevLogTerm)) {
    if (env.options.fastBacktracking) return replyAppend(cite(t, 'AE-2', 'FB-1'), env, m, false, 0, conflictAt(t.state, m.prevLogIndex));
    return replyAppend(cite(t, 'AE-2'), env, m, false, 0);
  }
  let next = mergeEntries(t, m.prevLogIndex, m.entries);
  next = followLeaderCommit(next, m);
  next = applyCommitted(next, env);
  return replyAppend(next, env, m, true, m.prevLogIndex + m.entries.length);
}

/** AE-3 and AE-4: skip entries we already hold, truncate at the first real conflict, append the rest. */
function mergeEntries(t: Transition, prevLogIndex: number, entries: readonly Entry[]): Transition {
  let log = t.state.log;
  let next = t;
  for (let k = 0; k < entries.length; k++) {
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

/** LEA-3 (DEC-5, DEC-6): the AppendEntries for one follower: the entries from its nextIndex. */
export function sendAppendEntries(t: Transition, env: Env, peer: NodeId): Transition {
  const s = t.state;
  const nextIndex = s.nextIndex[peer] ?? s.log.lastIndex + 1;
  const prevLogIndex = nextIndex - 1;
  const max = env.options.maxEntriesPerAppendEntries;
  // DEC-6: more to send than one AppendEntries carries; the rest follows on success (LEA-3a).
  const capped = s.log.lastIndex - prevLogIndex > max ? cite(t, 'DEC-6') : t;
  return send(capped, {
    type: 'AppendEntries', from: env.self, to: peer,
    term: s.currentTerm, leaderId: env.self,
    prevLogIndex, prevLogTerm: s.log.termAt(prevLogIndex),
    entries: s.log.slice(nextIndex, max),
    leaderCommit: s.commitIndex,
  });
}

function broadcastAppendEntries(t: Transition, env: Env): Transition {
  let next = t;
  for (const peer of peersOf(env)) next = sendAppendEntries(next, env, peer);
  return next;
}

/** LEA-1 (DEC-5): the heartbeat timer fired: send every follower its AppendEntries. */
export function heartbeat(t: Transition, env: Env): Transition {
  const s = t.state;
  // DEC-5: a follower that is behind gets entries with its heartbeat, not an empty one.
  const behind = peersOf(env).some((p) => (s.nextIndex[p] ?? s.log.lastIndex + 1) <= s.log.lastIndex);
  return broadcastAppendEntries(behind ? cite(t, 'LEA-1', 'DEC-5') : cite(t, 'LEA-1'), env);
}

/** LEA-2, then LEA-4 (a single server commits at once), ALL-1 and LEA-3 to every follower. */
export function appendClientCommand(t: Transition, env: Env, command: unknown): Transition {
  const s = t.state;
  let next = cite(update(t, { log: s.log.append([{ term: s.currentTerm, command }]) }), 'LEA-2');
  next = applyCommitted(advanceCommitIndex(next, env), env);
  return broadcastAppendEntries(cite(next, 'LEA-3'), env);
}

/** LEA-3a with DEC-3, then LEA-4, ALL-1, and LEA-3 again if the follower is still behind. */
export function handleAppendSuccess(t: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const s = t.state;
  const matchIndex = Math.max(s.matchIndex[m.from] ?? 0, m.matchIndex);
  const nextIndex = Math.max(s.nextIndex[m.from] ?? 1, m.matchIndex + 1);
  // DEC-3: a reordered older success moves neither index back.
  const older = m.matchIndex < (s.matchIndex[m.from] ?? 0) ? cite(t, 'DEC-3') : t;
  let next = cite(update(older, {
    matchIndex: { ...s.matchIndex, [m.from]: matchIndex },
    nextIndex: { ...s.nextIndex, [m.from]: nextIndex },
  }), 'LEA-3a');
  next = applyCommitted(advanceCommitIndex(next, env), env);
  if (next.state.log.lastIndex >= nextIndex) next = sendAppendEntries(cite(next, 'LEA-3'), env, m.from);
  return next;
}

/**
 * LEA-3b with DEC-4: a rejection of the current probe moves nextIndex back by one, and we retry.
 * FB-2: a rejection that reports its conflict (fastBacktracking) moves it back past the whole term.
 */
export function handleAppendFailure(t: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const s = t.state;
  if (!answersCurrentProbe(s, m)) return cite(t, 'DEC-4');
  const skipTerm = env.options.fastBacktracking && m.conflictIndex !== undefined;
  const target = skipTerm ? Math.min(skipTo(s, m.conflictTerm ?? 0, m.conflictIndex ?? 1), m.prevLogIndex) : m.prevLogIndex;
  const nextIndex = Math.max(target, (s.matchIndex[m.from] ?? 0) + 1, 1);
  const next = cite(update(t, { nextIndex: { ...s.nextIndex, [m.from]: nextIndex } }), 'LEA-3b', skipTerm ? 'FB-2' : undefined);
  return sendAppendEntries(next, env, m.from);
}

/** FB-2: one past our last entry of conflictTerm if we hold any, else the follower's conflictIndex. */
function skipTo(s: NodeState, conflictTerm: number, conflictIndex: number): number {
  if (conflictTerm === 0) return conflictIndex;
  for (let i = s.log.lastIndex; i >= 1; i--) {
    const term = s.log.termAt(i);
    if (term === conflictTerm) return i + 1;
    if (term < conflictTerm) break; // terms never decrease along the log (INV-5): none further back
  }
  return conflictIndex;
}

/**
 * LEA-4: commit the largest N > commitIndex that a majority holds (the leader counts itself),
 * if log[N] is of the current term. The largest index a majority holds is the median of the
 * match indexes; if its entry is of an older term, so is every entry before it (INV-5), and
 * nothing can be committed by counting (§5.4.2, Figure 8).
 */
export function advanceCommitIndex(t: Transition, env: Env): Transition {
  const s = t.state;
  const held = env.servers.map((id) => (id === env.self ? s.log.lastIndex : s.matchIndex[id] ?? 0)).sort((a, b) => b - a);
  const majorityHolds = held[Math.floor(env.servers.length / 2)] ?? 0;
  if (majorityHolds <= s.commitIndex || s.log.termAt(majorityHolds) !== s.currentTerm) return t;
  return cite(update(t, { commitIndex: majorityHolds }), 'LEA-4');
}

// ---------------------------------------------------------------------------------------------
// Drops (DEC-1, DEC-8, DEC-9): inputs that have no effect, cited so that reports can say why.

export const ignore = (t: Transition, id: 'DEC-1' | 'DEC-8' | 'DEC-9'): Transition => cite(t, id);

// ---------------------------------------------------------------------------------------------
// Crash and restart

/** PER-1, DEC-7: after a crash only currentTerm, votedFor and the log survive. */
export function restartFromPersistentState(s: NodeState): NodeState {
  return {
    role: 'follower',
    currentTerm: s.currentTerm,
    votedFor: s.votedFor,
    log: s.log,
    snapshotIndex: s.snapshotIndex,
    snapshotTerm: s.snapshotTerm,
    snapshotMachine: s.snapshotMachine,
    // SNAP-4: the state machine restarts from the snapshot; only the entries after it are applied again.
    commitIndex: s.snapshotIndex,
    lastApplied: s.snapshotIndex,
    machine: s.snapshotMachine,
    leaderId: null,
    partialSnapshot: null,
    awaiting: new Map(),
    nextIndex: {},
    matchIndex: {},
    readRound: 0,
    readAcks: {},
    pendingReads: [],
    votesGranted: [],
  };
}
