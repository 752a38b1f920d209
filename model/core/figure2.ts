// Figure 2 of the Raft paper, and nothing else: one small pure function per rule, named after it
// and citing its ID, as raft.tla has one action per rule. Guards are predicates on (state,
// message); actions take the step so far (a Transition) and return it extended.
//
// Two generalisations change the data model rather than add behaviour, and are written here once
// (docs/model.md): the log has a base (SNAP-5: below the snapshot every entry is committed, so it
// matches any leader's), and a majority is a quorum of the configuration in force (CFG-2).
// Everything else the extensions and options add enters through the named hook points of
// env.hooks (model/hooks.ts); which module fills which point is one table, model/dispatch.ts.
//
// Where Figure 2 allows more than one behaviour, a choice point (spec/choices.ts, DEC-3 .. DEC-21)
// asks `decide(env, point)` which alternative this server takes: the first (the paper's or
// raft.tla's reading) unless a profile or the validator's search says otherwise. A point is asked
// only where its alternatives would do different things.
import type { AppendEntries, AppendEntriesResponse, Entry, Message, NodeId, RequestVote, RequestVoteResponse } from '../../spec/schema.js';
import { type Env, type LeaderState, type NodeState, type Transition, INITIAL_STATE, NEW_LEADER, configOf, decide, leaderOf, mayTake, peersOf, votersOf } from '../state.js';
import { isQuorum, quorumIndex } from '../config.js';
import type { AppendOutcome } from '../hooks.js';
import { cite, send, sendAnyPrefix, update } from './transition.js';
import type { AlternativeLetter, ChoiceId } from '../../spec/choices.js';

/**
 * A choice point asked, and what was taken cited: the alternative's own ID for b (DEC-17b); the
 * point's ID for a where a profile or the validator's search decides (without one the model's
 * default is the only behaviour, and goes uncited as before).
 */
function choose(t: Transition, env: Env, point: ChoiceId): readonly [Transition, AlternativeLetter] {
  const letter = decide(env, point);
  if (letter === 'b') return [cite(t, `${point}b`), letter];
  return [env.decide === undefined ? t : cite(t, point), letter];
}

// ---------------------------------------------------------------------------------------------
// Guards

/** ALL-2: the message carries a term newer than ours. */
export const isNewerTerm = (s: NodeState, m: Message): boolean => m.term > s.currentTerm;

/** DEC-21: an AppendEntries of a newer term deposes a leader or candidate (ALL-2). */
export const deposes = (s: NodeState, m: AppendEntries): boolean => isNewerTerm(s, m) && (s.role === 'leader' || s.role === 'candidate');

/** RV-1, AE-1, DEC-1: the message carries a term older than ours. */
export const isStaleTerm = (s: NodeState, m: Message): boolean => m.term < s.currentTerm;

/** §5.4.1: the candidate's log is at least as up-to-date as ours. */
export const candidateLogIsUpToDate = (s: NodeState, m: Pick<RequestVote, 'lastLogIndex' | 'lastLogTerm'>): boolean =>
  m.lastLogTerm > s.log.lastTerm || (m.lastLogTerm === s.log.lastTerm && m.lastLogIndex >= s.log.lastIndex);

/** RV-2: we have not voted for anyone else this term, and the candidate's log is up-to-date. */
export const canGrantVote = (s: NodeState, m: RequestVote): boolean =>
  (s.votedFor === null || s.votedFor === m.candidateId) && candidateLogIsUpToDate(s, m);

/** CAN-2: votes from a quorum of the configuration in force (CFG-2), the candidate's own included if it is a voter there (CFG-5). */
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

/** DEC-4: a rejection answers the leader's current probe for that follower, not an older one. */
export const answersCurrentProbe = (s: NodeState, m: AppendEntriesResponse): boolean =>
  m.prevLogIndex === (leaderOf(s).nextIndex[m.from] ?? 1) - 1;

// ---------------------------------------------------------------------------------------------
// All servers

/** ALL-2: adopt the newer term, forget the vote (and what was known of the old term's leader), and become (or stay) a follower. */
export function adoptNewerTerm(t: Transition, env: Env, term: number): Transition {
  return becomeFollower(env.hooks.newTerm(cite(update(t, { currentTerm: term, votedFor: null }), 'ALL-2')), env);
}

/** ALL-1: apply every committed entry not yet applied, in order, to the state machine; DEC-17b: later, at an `apply` event. */
export function applyCommitted(t: Transition, env: Env): Transition {
  if (t.state.commitIndex <= t.state.lastApplied) return t;
  const [c, letter] = choose(t, env, 'DEC-17');
  return letter === 'b' ? c : applyNow(c, env);
}

/** ALL-1 now: the `apply` event of DEC-17b, or the step that commits (DEC-17). */
export function applyNow(t: Transition, env: Env): Transition {
  const s = t.state;
  if (s.commitIndex <= s.lastApplied) return t;
  return env.hooks.entriesApplied(cite(update(env.hooks.applyEntries(t, env, s.lastApplied + 1, s.commitIndex), { lastApplied: s.commitIndex }), 'ALL-1'), env, s);
}

/** DEC-10: a follower keeps no votes and no leader state: stepping down drops the leader record whole. */
export function becomeFollower(t: Transition, env: Env): Transition {
  const s = t.state;
  if (s.role === 'follower' && s.votesGranted.length === 0 && s.leader === null) return t;
  const next = update(t, { role: 'follower', votesGranted: [], leader: null });
  return env.hooks.steppedDown(s.votesGranted.length > 0 || s.leader !== null ? cite(next, 'DEC-10') : next, s);
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
 * CAN-1: increment currentTerm, vote for self, send RequestVote to all other servers (DEC-14: the
 * voters of its configuration). `marks` are fields a module adds to the RequestVotes.
 */
export function startElection(t: Transition, env: Env, marks: Partial<RequestVote> = {}): Transition {
  let next = cite(env.hooks.newTerm(update(t, {
    role: 'candidate',
    currentTerm: t.state.currentTerm + 1,
    votedFor: env.self,
    votesGranted: [env.self],
    leader: null, // DEC-10
  })), 'CAN-1');
  const s = next.state;
  for (const peer of votersOf(env, s)) {
    next = send(next, {
      type: 'RequestVote', from: env.self, to: peer,
      term: s.currentTerm, candidateId: env.self, lastLogIndex: s.log.lastIndex, lastLogTerm: s.log.lastTerm,
      ...marks,
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
 * CAN-2 then LEA-1: become leader with nextIndex = last log index + 1 and matchIndex = 0 for each
 * peer of its configuration (DEC-15), then the commit sequence (a configuration in force may
 * already be committed), then announce with AppendEntries to every peer (DEC-20; DEC-20b: at the
 * next heartbeat instead).
 */
export function becomeLeader(t: Transition, env: Env): Transition {
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  for (const peer of peersOf(env, t.state)) {
    nextIndex[peer] = t.state.log.lastIndex + 1;
    matchIndex[peer] = 0;
  }
  const leader: LeaderState = { ...NEW_LEADER, nextIndex, matchIndex };
  const next = commitAsLeader(env.hooks.leaderElected(cite(update(t, { role: 'leader', leader }), 'CAN-2'), env), env);
  if (next.state.role !== 'leader') return next;
  // DEC-20b: the first AppendEntries wait for the next heartbeat (or a client request).
  const [announcing, letter] = peersOf(env, next.state).length > 0 ? choose(next, env, 'DEC-20') : [next, 'a'] as const;
  return letter === 'b' ? announcing : broadcastAppendEntries(cite(announcing, 'LEA-1'), env);
}

/** CAN-3: an AppendEntries from a leader of our term: that leader won, so we follow it. */
export function concede(t: Transition, env: Env): Transition {
  return cite(becomeFollower(t, env), 'CAN-3');
}

// ---------------------------------------------------------------------------------------------
// RequestVote receiver

function replyVote(t: Transition, env: Env, m: RequestVote, voteGranted: boolean): Transition {
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, { type: 'RequestVoteResponse', from: env.self, to: m.from, term: t.state.currentTerm, voteGranted });
}

/** RV-1: refuse a candidate of an older term (DEC-19b: or drop its request unanswered). */
export function rejectStaleRequestVote(t0: Transition, env: Env, m: RequestVote): Transition {
  const [t, letter] = choose(t0, env, 'DEC-19');
  if (letter === 'b') return t;
  return replyVote(cite(t, 'RV-1'), env, m, false);
}

/** RV-2: grant the vote if we are free to and the candidate's log is up-to-date; else refuse. */
export function handleRequestVote(t: Transition, env: Env, m: RequestVote): Transition {
  if (canGrantVote(t.state, m)) return replyVote(cite(update(t, { votedFor: m.candidateId }), 'RV-2'), env, m, true);
  return replyVote(cite(t, 'RV-2'), env, m, false);
}

// ---------------------------------------------------------------------------------------------
// AppendEntries receiver

function replyAppend(t0: Transition, env: Env, m: AppendEntries, outcome: AppendOutcome): Transition {
  const success = outcome === 'success';
  const [t, r] = env.hooks.decorateAppendResponse(t0, env, m, outcome, {
    type: 'AppendEntriesResponse', from: env.self, to: m.from,
    term: t0.state.currentTerm, success, matchIndex: success ? m.prevLogIndex + m.entries.length : 0, prevLogIndex: m.prevLogIndex,
  });
  return send(t.state.role === 'follower' ? cite(t, 'FOL-1') : t, r);
}

/** AE-1: refuse a leader of an older term (the reply's term tells it to step down); DEC-19b: or drop its request unanswered. */
export function rejectStaleAppendEntries(t0: Transition, env: Env, m: AppendEntries): Transition {
  const [t, letter] = choose(t0, env, 'DEC-19');
  if (letter === 'b') return t;
  return replyAppend(cite(t, 'AE-1'), env, m, 'stale');
}

/** AE-2 to AE-5 and ALL-1, on a follower of the sender's term (its leader). */
export function handleAppendEntries(t0: Transition, env: Env, m: AppendEntries): Transition {
  const t = env.hooks.heardFromLeader(t0, m.leaderId);
  if (!logMatchesAt(t.state, m.prevLogIndex, m.prevLogTerm)) return replyAppend(cite(t, 'AE-2'), env, m, 'inconsistent');
  // SNAP-5: a prevLogIndex below our snapshot passed the check; the entries it covers are skipped.
  let next = mergeEntries(m.prevLogIndex < t.state.snapshotIndex ? cite(t, 'SNAP-5') : t, m.prevLogIndex, m.entries);
  if (next.state.log !== t.state.log) next = env.hooks.logChanged(next, env, t.state);
  next = followLeaderCommit(next, m);
  next = applyCommitted(next, env);
  return replyAppend(next, env, m, 'success');
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
 * LEA-3 (DEC-5): the AppendEntries for one follower: the entries from its nextIndex (as many as the
 * hooks let one carry; DEC-5b: none until the leader knows where their logs match). DEC-18b: not
 * while one to it is outstanding, unless the heartbeat sends it.
 */
export function sendAppendEntries(t0: Transition, env: Env, peer: NodeId, heartbeat = false): Transition {
  const s = t0.state;
  const l = leaderOf(s);
  const [asked, letter] = !heartbeat && l.outstanding[peer] ? choose(t0, env, 'DEC-18') : [t0, 'a'] as const;
  if (letter === 'b') return asked;
  const sending = env.decide === undefined ? asked : update(asked, { leader: { ...l, outstanding: { ...l.outstanding, [peer]: true } } });
  const nextIndex = l.nextIndex[peer] ?? s.log.lastIndex + 1;
  if (nextIndex <= s.snapshotIndex) return env.hooks.entriesCompacted(sending, env, peer);
  const prevLogIndex = nextIndex - 1;
  const available = s.log.lastIndex - prevLogIndex;
  // Under the validator's search, a message of which any prefix may arrive (a hook allows fewer)
  // stands for DEC-5b's empty probe and DEC-16b's clamp as well: neither is asked then (no runs
  // that differ only in what they send). Elsewhere (a profile, lockstep) each is decided.
  const wide = env.permits === undefined ? null : env.hooks.limitEntries(sending, env, peer, prevLogIndex, available);
  const standsForAll = wide !== null && wide[2] === true;
  const probing = !standsForAll && available > 0 && (l.matchIndex[peer] ?? 0) < prevLogIndex && decide(env, 'DEC-5') === 'b';
  const [limited, count, fewer]: readonly [Transition, number, true?] = probing ? [cite(sending, 'DEC-5b'), 0]
    : wide ?? env.hooks.limitEntries(sending, env, peer, prevLogIndex, available);
  const t1 = env.hooks.appendEntriesSent(limited, env, peer, prevLogIndex, count);
  // DEC-16b: never tell a follower of a commit beyond the entries it is sent.
  const told = s.commitIndex > prevLogIndex + count;
  const [t, clampLetter] = told && !standsForAll ? choose(t1, env, 'DEC-16') : [t1, 'a'] as const;
  const clamped = clampLetter === 'b' || (told && standsForAll && !mayTake(env, 'DEC-16', 'a'));
  const m = env.hooks.decorateAppendEntries(s, {
    type: 'AppendEntries', from: env.self, to: peer,
    term: s.currentTerm, leaderId: env.self,
    prevLogIndex, prevLogTerm: s.log.termAt(prevLogIndex),
    entries: s.log.slice(nextIndex, count),
    leaderCommit: clamped ? Math.min(s.commitIndex, prevLogIndex + count) : s.commitIndex,
  });
  if (!fewer) return send(t, m);
  // A shorter form's leaderCommit: as this one's where it was decided, else as any permitted
  // alternative of DEC-16 would have it.
  const decided = told && !standsForAll;
  return sendAnyPrefix(t, m, {
    commitIndex: s.commitIndex,
    unclamped: decided ? !clamped : mayTake(env, 'DEC-16', 'a'),
    clamped: decided ? clamped : mayTake(env, 'DEC-16', 'b'),
  });
}

/** LEA-1, LEA-3: every peer of the configuration in force (DEC-15) its AppendEntries, in cluster order. */
export function broadcastAppendEntries(t: Transition, env: Env, heartbeat = false): Transition {
  let next = t;
  for (const peer of peersOf(env, t.state)) next = sendAppendEntries(next, env, peer, heartbeat);
  return next;
}

/** DEC-18: a response of this term from a peer ends the request outstanding to it. */
function answered(t: Transition, env: Env, peer: NodeId): Transition {
  const l = leaderOf(t.state);
  if (env.decide === undefined || !l.outstanding[peer]) return t;
  const { [peer]: _, ...outstanding } = l.outstanding;
  return update(t, { leader: { ...l, outstanding } });
}

/** LEA-1 (DEC-5): the heartbeat timer fired: send every follower its AppendEntries. */
export function heartbeat(t0: Transition, env: Env): Transition {
  const t = env.hooks.heartbeatStarts(t0, env);
  const s = t.state;
  const next = leaderOf(s).nextIndex;
  // DEC-5: a follower that is behind gets entries with its heartbeat, not an empty one.
  const behind = peersOf(env, s).some((p) => (next[p] ?? s.log.lastIndex + 1) <= s.log.lastIndex);
  return broadcastAppendEntries(behind ? cite(t, 'LEA-1', 'DEC-5') : cite(t, 'LEA-1'), env, true);
}

/** The duties of a leader's election timer, if the modules give it any; else nothing (DEC-9). */
export function leaderTimeout(t: Transition, env: Env): Transition {
  const next = env.hooks.leaderTimerFired(t, env);
  return next === t ? cite(t, 'DEC-9') : next;
}

/** LEA-2: append the command (the answer comes after apply), then the commit sequence (a single voter commits at once) and LEA-3 to every follower. */
export function appendClientCommand(t: Transition, env: Env, command: unknown): Transition {
  const s = t.state;
  const appended = env.hooks.commandAppended(cite(update(t, { log: s.log.append([{ term: s.currentTerm, command }]) }), 'LEA-2'), s.log.lastIndex + 1);
  return commitAndBroadcast(appended, env);
}

/** The commit sequence, then LEA-3 to every peer: after the leader appended to its log. */
export function commitAndBroadcast(t: Transition, env: Env): Transition {
  const next = commitAsLeader(t, env);
  return next.state.role === 'leader' ? broadcastAppendEntries(cite(next, 'LEA-3'), env) : next;
}

/**
 * After a follower's progress moved: the commit sequence, then LEA-3 to every peer if it appended
 * (CFG-3 can), else to that follower if it is still behind.
 */
export function commitAndReplicate(t: Transition, env: Env, peer: NodeId, nextIndex: number): Transition {
  const before = t.state.log.lastIndex;
  const next = commitAsLeader(t, env);
  if (next.state.role !== 'leader') return next;
  if (next.state.log.lastIndex > before) return broadcastAppendEntries(cite(next, 'LEA-3'), env);
  return next.state.log.lastIndex >= nextIndex ? sendAppendEntries(cite(next, 'LEA-3'), env, peer) : next;
}

/** LEA-3a with DEC-3, then the commit sequence and LEA-3 again if the follower is still behind. */
export function handleAppendSuccess(t0: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const t = answered(env.hooks.appendResponseReceived(t0, m), env, m.from);
  const l = leaderOf(t.state);
  const matchIndex = Math.max(l.matchIndex[m.from] ?? 0, m.matchIndex);
  // DEC-3: a reordered older success moves neither index back (a); nextIndex follows it (b, raft.tla).
  const back = m.matchIndex + 1 < (l.nextIndex[m.from] ?? 1) && decide(env, 'DEC-3') === 'b';
  const nextIndex = back ? m.matchIndex + 1 : Math.max(l.nextIndex[m.from] ?? 1, m.matchIndex + 1);
  const older = back ? cite(t, 'DEC-3b') : m.matchIndex < (l.matchIndex[m.from] ?? 0) ? cite(t, 'DEC-3') : t;
  const next = cite(update(older, { leader: { ...l, matchIndex: { ...l.matchIndex, [m.from]: matchIndex }, nextIndex: { ...l.nextIndex, [m.from]: nextIndex } } }), 'LEA-3a');
  return env.hooks.progressMade(commitAndReplicate(next, env, m.from, nextIndex), env, m.from);
}

/** LEA-3b with DEC-4: a rejection of a request still awaited moves nextIndex back (never to or below matchIndex), and we retry. */
export function handleAppendFailure(t0: Transition, env: Env, m: AppendEntriesResponse): Transition {
  const t = answered(env.hooks.appendResponseReceived(t0, m), env, m.from);
  const l = leaderOf(t.state);
  const current = env.hooks.rejectionIsCurrent(t.state, m);
  // DEC-4: only a rejection of a request still awaited backs off, to where it says (never to or below matchIndex).
  const a = current ? Math.max(env.hooks.backtrack(t, m)[1], (l.matchIndex[m.from] ?? 0) + 1, 1) : null;
  // DEC-4b (raft.tla, hashicorp/raft): every rejection backs off by one.
  const b = Math.max((l.nextIndex[m.from] ?? 1) - 1, 1);
  if (a !== b && decide(env, 'DEC-4') === 'b') {
    return sendAppendEntries(cite(update(t, { leader: { ...l, nextIndex: { ...l.nextIndex, [m.from]: b } } }), 'DEC-4b'), env, m.from);
  }
  if (!current) return cite(t, 'DEC-4');
  const [back, target] = env.hooks.backtrack(t, m);
  const lb = leaderOf(back.state);
  const nextIndex = Math.max(target, (lb.matchIndex[m.from] ?? 0) + 1, 1);
  const next = cite(update(back, { leader: { ...lb, nextIndex: { ...lb.nextIndex, [m.from]: nextIndex } } }), 'LEA-3b');
  return sendAppendEntries(env.hooks.backtracked(next), env, m.from);
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
  const match = leaderOf(s).matchIndex;
  const quorumHolds = quorumIndex(configOf(env, s), (id) => (id === env.self ? s.log.lastIndex : match[id] ?? 0));
  if (quorumHolds <= s.commitIndex || s.log.termAt(quorumHolds) !== s.currentTerm) return t;
  return cite(update(t, { commitIndex: quorumHolds }), 'LEA-4');
}

/** The leader's commit sequence, wherever its commitIndex may advance: LEA-4, ALL-1, then what the modules do after a commit. */
export function commitAsLeader(t: Transition, env: Env): Transition {
  return env.hooks.afterCommit(applyCommitted(advanceCommitIndex(t, env), env), env);
}

// ---------------------------------------------------------------------------------------------
// Crash and restart

/**
 * PER-1, DEC-7: after a crash only currentTerm, votedFor and the log (and the snapshot, SNAP-4)
 * survive; DEC-7b: commitIndex too (its entries are applied again, by ALL-1 when the server restarts).
 */
export function restartFromPersistentState(s: NodeState, keepCommitIndex = false): NodeState {
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
    commitIndex: keepCommitIndex ? s.commitIndex : s.snapshotIndex,
    lastApplied: s.snapshotIndex,
    machine: s.snapshotMachine,
    awaiting: new Map(),
  };
}
