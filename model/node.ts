// The per-server reducer: (state, input) -> (state, messages sent, entries applied, rules fired).
// As etcd's Step: the term is handled once, at the entry point (ALL-2, and the stale checks), then
// the input goes to the handler of the server's role.
import type { AppendEntries, AppendEntriesResponse, ClientReply, InstallSnapshot, InstallSnapshotResponse, Message, PreVote, PreVoteResponse, RequestVote, RequestVoteResponse, TimeoutNow } from '../spec/schema.js';
import { sessionOf } from '../spec/kv.js';
import type { RuleId } from '../spec/rules.js';
import { type AppliedEntry, type Env, type NodeState, type Transition, begin } from './state.js';
import * as R from './rules.js';

import type { NodeInput } from '../spec/input.js';

/** What reaches one server: a message, one of its timers, or a client command (spec/input.ts). */
export type { NodeInput };

export interface NodeStep {
  readonly state: NodeState;
  readonly sent: readonly Message[];
  readonly applied: readonly AppliedEntry[];
  readonly replies: readonly ClientReply[];
  readonly rules: readonly RuleId[];
}

export function step(env: Env, state: NodeState, input: NodeInput): NodeStep {
  return stepTransition(begin(state), env, input);
}

export function stepTransition(t0: Transition, env: Env, input: NodeInput): Transition {
  const t = onInput(t0, env, input);
  // CLI-4: after every step of a leader with reads pending, start the rounds that can start and answer the reads that can be answered.
  return t.state.role === 'leader' && t.state.pendingReads.length > 0 ? R.serveReads(R.startReadRounds(t, env), env) : t;
}

function onInput(t0: Transition, env: Env, input: NodeInput): Transition {
  switch (input.type) {
    case 'electionTimeout': {
      const t = R.forgetLeaderContact(t0); // heardFromLeader: a new period starts
      if (t.state.role !== 'leader' && !R.canCampaign(env, t.state)) return R.stayOutOfElections(t, env); // DEC-14, CFG-4
      return onElectionTimeout(t, env);
    }
    case 'heartbeatTimeout':
      return t0.state.role === 'leader' ? R.heartbeat(t0, env) : R.ignore(t0, 'DEC-9');
    case 'clientRequest': {
      if (t0.state.role === 'leader') {
        return R.isTransferring(t0.state) ? R.redirectToTransferee(t0, env, input.command) : R.appendClientCommand(t0, env, input.command); // LT-3 / LEA-2
      }
      const op = sessionOf(input.command);
      return R.redirect(t0, env, op?.client ?? null, op?.seq ?? null); // CLI-1
    }
    case 'clientRead':
      return t0.state.role === 'leader' ? R.startRead(t0, env, input) : R.redirect(t0, env, input.client, input.seq); // CLI-4 (LR-2) / CLI-1
    case 'snapshot':
      return R.takeSnapshot(t0, input.index); // SNAP-1 (DEC-13)
    case 'transferLeadership':
      return t0.state.role === 'leader' && R.canTransferTo(env, t0.state, input.target) ? R.startTransfer(t0, env, input.target) : R.ignore(t0, 'DEC-9'); // LT-1
    case 'reconfigure':
      return t0.state.role === 'leader' ? R.reconfigure(t0, env, input) : R.ignore(t0, 'DEC-9'); // CFG-2, CFG-7
    case 'PreVote':
      return onPreVote(t0, env, input);
    case 'PreVoteResponse':
      return onPreVoteResponse(t0, env, input);
    case 'RequestVote':
    case 'RequestVoteResponse':
    case 'AppendEntries':
    case 'AppendEntriesResponse':
    case 'InstallSnapshot':
    case 'InstallSnapshotResponse':
    case 'TimeoutNow': {
      if (input.type === 'RequestVote' && R.isDisruptiveRequestVote(env, t0.state, input)) return R.ignoreDisruptiveRequestVote(t0); // CFG-6, before ALL-2
      const t = R.isNewerTerm(t0.state, input) ? R.adoptNewerTerm(t0, input.term) : t0; // ALL-2
      return onMessage(t, env, input);
    }
    default:
      return assertNever(input);
  }
}

function onElectionTimeout(t: Transition, env: Env): Transition {
  switch (t.state.role) {
    case 'follower':
      if (env.options.preVote) return winPreVoteIfMajority(R.startPreVote(t, env), env); // PV-1
      return winIfMajority(R.convertToCandidate(t, env), env); // FOL-2, CAN-1
    case 'candidate':
      if (env.options.preVote) return winPreVoteIfMajority(R.startPreVote(t, env), env); // PV-1
      return winIfMajority(R.retryElection(t, env), env); // CAN-4, CAN-1
    case 'precandidate':
      return winPreVoteIfMajority(R.startPreVote(t, env), env); // PV-1 again
    case 'leader': {
      if (!env.options.checkQuorum && !env.options.leaseReads && !R.isTransferring(t.state)) return R.ignore(t, 'DEC-9');
      const expired = R.expireLease(t, env); // LR-3
      const checked = env.options.checkQuorum ? R.checkQuorum(expired, env) : expired; // CQ-1
      return checked.state.role === 'leader' ? R.abandonTransfer(checked) : checked; // LT-5
    }
  }
}

/** PV-3: a precandidate with pre-votes from a majority starts the real election, and wins it at once if that is already a majority (CAN-2). */
function winPreVoteIfMajority(t: Transition, env: Env): Transition {
  return t.state.role === 'precandidate' && R.hasVoteMajority(env, t.state) ? winIfMajority(R.winPreVote(t, env), env) : t;
}

/** PV-2, before and instead of ALL-2: a pre-vote's term is only proposed. Without preVote only an injected one exists (DEC-8). */
function onPreVote(t: Transition, env: Env, m: PreVote): Transition {
  if (!env.options.preVote) return R.ignore(t, 'DEC-8');
  return R.answerPreVote(t, env, m);
}

/** A refusal of a newer term is ALL-2 and nothing more; a grant never is (its term is the proposed one): PV-3, or DEC-1. */
function onPreVoteResponse(t: Transition, env: Env, m: PreVoteResponse): Transition {
  if (!env.options.preVote) return R.ignore(t, 'DEC-8');
  if (R.isNewerRefusal(t.state, m)) return R.adoptNewerTerm(t, m.term); // ALL-2
  if (R.isPreVoteForNextTerm(t.state, m)) return winPreVoteIfMajority(R.recordPreVote(t, m), env); // PV-3
  return R.ignore(t, 'DEC-1');
}

/** CAN-2: a candidate with a majority of votes becomes leader within the same step. */
function winIfMajority(t: Transition, env: Env): Transition {
  return t.state.role === 'candidate' && R.hasVoteMajority(env, t.state) ? R.becomeLeader(t, env) : t;
}

function onMessage(t: Transition, env: Env, m: Exclude<Message, PreVote | PreVoteResponse>): Transition {
  switch (m.type) {
    case 'RequestVote':
      return onRequestVote(t, env, m);
    case 'RequestVoteResponse':
      return onRequestVoteResponse(t, env, m);
    case 'AppendEntries':
      return onAppendEntries(t, env, m);
    case 'AppendEntriesResponse':
      return onAppendEntriesResponse(t, env, m);
    case 'InstallSnapshot':
      return onInstallSnapshot(t, env, m);
    case 'InstallSnapshotResponse':
      return onInstallSnapshotResponse(t, env, m);
    case 'TimeoutNow':
      return onTimeoutNow(t, env, m);
    default:
      return assertNever(m);
  }
}

function onRequestVote(t: Transition, env: Env, m: RequestVote): Transition {
  if (R.isStaleTerm(t.state, m)) return R.rejectStaleRequestVote(t, env, m); // RV-1
  return R.handleRequestVote(t, env, m); // RV-2 (FOL-1; a candidate or leader of this term has voted for itself and refuses)
}

function onRequestVoteResponse(t: Transition, env: Env, m: RequestVoteResponse): Transition {
  if (R.isStaleTerm(t.state, m) || t.state.role !== 'candidate') return R.ignore(t, 'DEC-1');
  return winIfMajority(R.recordVote(t, m), env); // CAN-2
}

function onAppendEntries(t: Transition, env: Env, m: AppendEntries): Transition {
  if (R.isStaleTerm(t.state, m)) return R.rejectStaleAppendEntries(t, env, m); // AE-1
  return fromLeaderOfTerm(t, (f) => R.handleAppendEntries(f, env, m)); // AE-2 .. AE-5
}

/**
 * A request from the leader of our term, handled by a follower: a leader drops it (DEC-8: Election
 * Safety rules out a second leader), a candidate or precandidate concedes first (CAN-3).
 */
function fromLeaderOfTerm(t: Transition, handle: (asFollower: Transition) => Transition): Transition {
  switch (t.state.role) {
    case 'leader':
      return R.ignore(t, 'DEC-8');
    case 'candidate':
    case 'precandidate':
      return handle(R.concede(t)); // CAN-3, then as a follower
    case 'follower':
      return handle(t);
  }
}

function onAppendEntriesResponse(t0: Transition, env: Env, m: AppendEntriesResponse): Transition {
  if (R.isStaleTerm(t0.state, m) || t0.state.role !== 'leader') return R.ignore(t0, 'DEC-1');
  if (R.isFromNonPeer(env, t0.state, m)) return R.ignoreNonPeer(t0);
  if (R.claimsMoreThanLog(t0.state, m)) return R.ignore(t0, 'DEC-8');
  const t = R.recordActivity(t0, env, m.from); // CQ-1
  if (!m.success) return R.handleAppendFailure(t, env, m); // LEA-3b
  return R.sendTimeoutNowIfCaughtUp(R.handleAppendSuccess(t, env, m), env, m.from); // LEA-3a, LT-2
}

function onInstallSnapshot(t: Transition, env: Env, m: InstallSnapshot): Transition {
  if (R.isStaleTerm(t.state, m)) return R.rejectStaleInstallSnapshot(t, env, m); // IS-1
  return fromLeaderOfTerm(t, (f) => R.handleInstallSnapshot(f, env, m)); // IS-2 .. IS-8
}

function onInstallSnapshotResponse(t0: Transition, env: Env, m: InstallSnapshotResponse): Transition {
  if (R.isStaleTerm(t0.state, m) || t0.state.role !== 'leader') return R.ignore(t0, 'DEC-1');
  if (R.isFromNonPeer(env, t0.state, m)) return R.ignoreNonPeer(t0);
  if (R.snapshotClaimsMoreThanLog(t0.state, m)) return R.ignore(t0, 'DEC-8');
  const t = R.recordActivity(t0, env, m.from); // CQ-1
  const handled = R.handleInstallSnapshotResponse(t, env, m); // SNAP-3
  // LT-2: only a done response can leave matchIndex at our last index by SNAP-3 (a chunk request
  // means nextIndex <= snapshotIndex, so matchIndex is below it).
  return m.done ? R.sendTimeoutNowIfCaughtUp(handled, env, m.from) : handled;
}

/** LT-4: a TimeoutNow of our term on a follower; on any other role, or stale, dropped (DEC-1). */
function onTimeoutNow(t: Transition, env: Env, m: TimeoutNow): Transition {
  if (R.isStaleTerm(t.state, m) || t.state.role !== 'follower') return R.ignore(t, 'DEC-1');
  return winIfMajority(R.campaignNow(t, env), env); // LT-4, CAN-1 (CAN-2)
}

/** PER-1, DEC-7: a server restarts from its persistent state. */
export const restart = R.restartFromPersistentState;

export function assertNever(x: never): never {
  throw new Error(`unhandled input ${JSON.stringify(x)}`);
}
