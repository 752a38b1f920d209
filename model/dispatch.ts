// The composition of the protocol, in one place:
//   1. MODULES: the extensions (always on) and the dissertation's options, each with the switch
//      that turns it on;
//   2. DECORATIONS: which module fills which hook point of the Figure 2 core (hooks.ts), in order;
//   3. TABLE: role x input -> ordered rows of (option, guard, actions, target), each citing the
//      rules it implements; the first row whose option is on and whose guard holds is taken.
//      PROLOGUE rows (every role, before the role's own) handle the term once, as etcd's Step
//      does; EVENTLESS rows fire after an input whenever their guard holds (CAN-2, PV-3, CLI-4).
// The reducer (node.ts) walks this table, and the statechart (statechart.ts) is built from it.
import type { AppendEntries, AppendEntriesResponse, ClientProposal, Configuration, ForwardedRead, InstallSnapshot, InstallSnapshotResponse, Message, NodeId, PreVote, PreVoteResponse, RequestVote, RequestVoteResponse, ResolvedOptions, Role, TimeoutNow } from '../spec/schema.js';
import type { RuleId } from '../spec/rules.js';
import type { NodeInput } from '../spec/input.js';
import type { Decorations, Hooks } from './hooks.js';
import { type Env, type Transition, decide } from './state.js';
import * as F from './core/figure2.js';
import { cite, ignore } from './core/transition.js';
import { leaderContact } from './extensions/leader-contact.js';
import * as Clients from './extensions/clients.js';
import * as Compaction from './extensions/compaction.js';
import * as Membership from './extensions/membership.js';
import * as PreVoteOption from './options/prevote.js';
import { checkQuorumOption } from './options/check-quorum.js';
import * as Disruption from './options/disruption-guard.js';
import * as Transfer from './options/leadership-transfer.js';
import { fastBacktracking } from './options/fast-backtracking.js';
import { batching } from './options/batching.js';
import { pipelining } from './options/pipelining.js';
import { flowControl } from './options/flow-control.js';
import * as Lease from './options/lease-reads.js';
import { leaderNoop } from './options/leader-noop.js';
import * as FollowerReads from './options/follower-reads.js';

// ---------------------------------------------------------------------------------------------
// 1. Modules

interface Module {
  readonly kind: 'extension' | 'option';
  /** Whether the module takes part, given the options in force. */
  readonly on: (o: ResolvedOptions) => boolean;
  readonly decorations: Decorations;
}

const always = (): boolean => true;

export const MODULES = {
  // Extensions: always part of the protocol (docs/compaction-and-clients.md, docs/membership.md).
  leaderContact: { kind: 'extension', on: always, decorations: leaderContact },
  clients: { kind: 'extension', on: always, decorations: Clients.clients },
  compaction: { kind: 'extension', on: always, decorations: Compaction.compaction },
  membership: { kind: 'extension', on: always, decorations: Membership.membership },
  // Options (docs/dissertation-options.md). Batching bounds every AppendEntries (1 entry unless told).
  batching: { kind: 'option', on: always, decorations: batching },
  preVote: { kind: 'option', on: (o) => o.preVote, decorations: {} },
  checkQuorum: { kind: 'option', on: (o) => o.checkQuorum, decorations: checkQuorumOption },
  // LR-2: lease reads rely on the disruption guard, and switch it on.
  disruptionGuard: { kind: 'option', on: (o) => o.disruptionGuard || o.leaseReads, decorations: {} },
  leadershipTransfer: { kind: 'option', on: (o) => o.leadershipTransfer, decorations: Transfer.leadershipTransfer },
  fastBacktracking: { kind: 'option', on: (o) => o.fastBacktracking, decorations: fastBacktracking },
  pipelining: { kind: 'option', on: (o) => o.pipelining, decorations: pipelining },
  flowControl: { kind: 'option', on: (o) => o.flowControlWindow > 0, decorations: flowControl },
  leaseReads: { kind: 'option', on: (o) => o.leaseReads, decorations: Lease.leaseReads },
  leaderNoop: { kind: 'option', on: (o) => o.leaderNoop, decorations: leaderNoop },
  followerReads: { kind: 'option', on: (o) => o.followerReads, decorations: FollowerReads.followerReads },
} as const satisfies Record<string, Module>;

export type ModuleName = keyof typeof MODULES;

// ---------------------------------------------------------------------------------------------
// 2. Decorations: who fills each hook point of the core, in the order they run

export const DECORATIONS: { readonly [K in keyof Hooks]: readonly ModuleName[] } = {
  newTerm: ['leaderContact', 'clients'],
  forgetLeader: ['clients'],
  heardFromLeader: ['leaderContact', 'clients'],
  electionTimerFired: ['leaderContact'],
  steppedDown: ['clients'],
  leaderElected: ['clients', 'flowControl', 'leaderNoop'],
  leaderTimerFired: ['leaseReads', 'checkQuorum', 'leadershipTransfer'],
  heartbeatStarts: ['leaseReads'],
  applyEntries: ['clients'],
  commandAppended: ['clients'],
  logChanged: ['membership'],
  configurationChanged: ['flowControl', 'clients', 'checkQuorum', 'leadershipTransfer'],
  entriesApplied: ['membership'],
  afterCommit: ['membership'],
  entriesCompacted: ['compaction'],
  limitEntries: ['batching', 'flowControl'],
  appendEntriesSent: ['pipelining'],
  decorateAppendEntries: ['clients'],
  // The order of the response's extra fields: conflictTerm/conflictIndex, readRound, lastApplied.
  decorateAppendResponse: ['fastBacktracking', 'clients', 'flowControl'],
  responseReceived: ['checkQuorum'],
  appendResponseReceived: ['flowControl', 'clients'],
  rejectionIsCurrent: ['pipelining'],
  backtrack: ['fastBacktracking'],
  backtracked: ['pipelining'],
  progressMade: ['leadershipTransfer'],
  handingOver: ['leaseReads'],
  syncConfirmed: ['followerReads'],
};

/** What a hook point does when no module fills it: Figure 2's own behaviour. */
const FIGURE_2: Hooks = {
  newTerm: (t) => t,
  forgetLeader: (t) => t,
  heardFromLeader: (t) => t,
  electionTimerFired: (t) => t,
  steppedDown: (t) => t,
  leaderElected: (t) => t,
  leaderTimerFired: (t) => t,
  heartbeatStarts: (t) => t,
  applyEntries: (t) => t,
  commandAppended: (t) => t,
  logChanged: (t) => t,
  configurationChanged: (t) => t,
  entriesApplied: (t) => t,
  afterCommit: (t) => t,
  entriesCompacted: (t) => t,
  limitEntries: (t, _env, _peer, _prev, count) => [t, count],
  appendEntriesSent: (t) => t,
  decorateAppendEntries: (_s, m) => m,
  decorateAppendResponse: (t, _env, _request, _outcome, r) => [t, r],
  responseReceived: (t) => t,
  appendResponseReceived: (t) => t,
  rejectionIsCurrent: F.answersCurrentProbe, // DEC-4
  backtrack: (t, m) => [t, m.prevLogIndex], // LEA-3b: back by one, to the probe's prevLogIndex
  backtracked: (t) => t,
  progressMade: (t) => t,
  handingOver: (t) => t,
  syncConfirmed: (t) => t, // no sync is queued without followerReads (FR-3)
};

/** Hook points where a module replaces Figure 2's behaviour rather than adding to it (choices, docs/choices.md). */
const REPLACED: ReadonlySet<keyof Hooks> = new Set(['rejectionIsCurrent', 'backtrack', 'applyEntries', 'entriesCompacted']);

type AnyHook = (...args: never[]) => unknown;

function compose(o: ResolvedOptions): Hooks {
  const hooks: Record<string, AnyHook> = {};
  for (const point of Object.keys(DECORATIONS) as (keyof Hooks)[]) {
    const fns = DECORATIONS[point]
      .filter((name) => MODULES[name].on(o))
      .map((name) => (MODULES[name].decorations as Decorations)[point])
      .filter((f): f is NonNullable<typeof f> => f !== undefined) as AnyHook[];
    const base = FIGURE_2[point] as AnyHook;
    hooks[point] = fns.length === 0 ? base : REPLACED.has(point) ? (fns[fns.length - 1] as AnyHook) : chain(point, fns);
  }
  return hooks as unknown as Hooks;
}

/** Run the decorations of one point in order, each on what the one before returned. */
function chain(point: keyof Hooks, fns: AnyHook[]): AnyHook {
  if (fns.length === 1) return fns[0] as AnyHook;
  switch (point) {
    case 'limitEntries':
      // Each limit is tried on what the ones before left; the one that cut last decided the count, and only its rule is cited.
      return ((t: Transition, env: Env, peer: NodeId, prev: number, count: number) => {
        // A limit that leaves the count but lets fewer be sent (DEC-6b) keeps its word unless a later one cuts.
        let r: readonly [Transition, number, true?] = [t, count];
        for (const f of fns as Hooks['limitEntries'][]) {
          const cut = f(t, env, peer, prev, r[1]);
          if (cut[1] < r[1] || (cut[2] && cut[1] === r[1])) r = cut;
        }
        return r;
      }) as AnyHook;
    case 'decorateAppendResponse':
      return ((t: Transition, env: Env, request: AppendEntries, outcome: 'stale' | 'inconsistent' | 'success', r0: AppendEntriesResponse) => {
        let r: readonly [Transition, AppendEntriesResponse] = [t, r0];
        for (const f of fns as Hooks['decorateAppendResponse'][]) r = f(r[0], env, request, outcome, r[1]);
        return r;
      }) as AnyHook;
    case 'decorateAppendEntries':
      return ((s: Env, m: AppendEntries) => (fns as unknown as ((s: Env, m: AppendEntries) => AppendEntries)[]).reduce((acc, f) => f(s, acc), m)) as AnyHook;
    default:
      // A transition threaded through: (t, ...rest) => t.
      return ((t: Transition, ...rest: unknown[]) => (fns as unknown as ((t: Transition, ...r: unknown[]) => Transition)[]).reduce((acc, f) => f(acc, ...rest), t)) as AnyHook;
  }
}

const composed = new WeakMap<ResolvedOptions, Hooks>();

/** The hooks for these options, composed once per options object. */
export function hooksFor(o: ResolvedOptions): Hooks {
  let h = composed.get(o);
  if (!h) {
    h = compose(o);
    composed.set(o, h);
  }
  return h;
}

/** The Env of one server: who it is, the cluster, the options, the bootstrap configuration, and the hooks they compose. */
export function makeEnv(self: NodeId, servers: readonly NodeId[], options: ResolvedOptions, bootstrap: Configuration): Env {
  return { self, servers, options, bootstrap, hooks: hooksFor(options) };
}

/** Whether a module takes part under these options. */
export const isOn = (env: Env, name: ModuleName): boolean => MODULES[name].on(env.options);

// ---------------------------------------------------------------------------------------------
// 3. The table

type InputType = NodeInput['type'];
type InputOf<K extends InputType> = Extract<NodeInput, { type: K }>;

/** A named guard: a question about the state (and the input), never a change. */
export type Guard<I extends NodeInput = NodeInput> = (t: Transition, env: Env, input: I) => boolean;
/** A named action: the step so far, extended. */
export type Action<I extends NodeInput = NodeInput> = (t: Transition, env: Env, input: I) => Transition;

export interface Row<I extends NodeInput = NodeInput> {
  /** The rules this row implements (for readers, the rule index and the statechart's picture). */
  readonly rules: readonly RuleId[];
  /** The row exists only while this module is on (`!name`: only while it is off). */
  readonly when?: ModuleName | `!${ModuleName}`;
  readonly guard?: Guard<I>;
  readonly actions: readonly Action<I>[];
  /** The role after the row, when the row decides it (the statechart's target); actions may still change it (CFG-5, CQ-1). */
  readonly target?: Role;
  /** ALL-2, CAN-3: after the actions, the same input is handled again by the (new) role's rows. */
  readonly again?: true;
}

export type Rows = { readonly [K in InputType]?: readonly Row<InputOf<K>>[] };

const row = <I extends NodeInput>(r: Row<I>): Row<I> => r;

// --- Guards (named; each says what is true)
const m = <I extends NodeInput>(input: I): I => input;
export const GUARDS = {
  termIsNewer: (t: Transition, _env: Env, input: Message) => F.isNewerTerm(t.state, m(input)),
  termIsStale: (t: Transition, _env: Env, input: Message) => F.isStaleTerm(t.state, m(input)),
  hasVoteMajority: (t: Transition, env: Env) => F.hasVoteMajority(env, t.state),
  claimsMoreThanLog: (t: Transition, _env: Env, input: AppendEntriesResponse) => F.claimsMoreThanLog(t.state, input),
  isSuccess: (_t: Transition, _env: Env, input: AppendEntriesResponse) => input.success,
  cannotCampaign: (t: Transition, env: Env) => !Membership.canCampaign(env, t.state),
  isFromNonPeer: (t: Transition, env: Env, input: Message) => Membership.isFromNonPeer(env, t.state, input),
  snapshotClaimsMoreThanLog: (t: Transition, _env: Env, input: InstallSnapshotResponse) => Compaction.snapshotClaimsMoreThanLog(t.state, input),
  hasReadWork: (t: Transition, env: Env) => Clients.hasReadWork(env, t.state),
  isNewerRefusal: (t: Transition, _env: Env, input: PreVoteResponse) => PreVoteOption.isNewerRefusal(t.state, input),
  isPreVoteForNextTerm: (t: Transition, _env: Env, input: PreVoteResponse) => PreVoteOption.isPreVoteForNextTerm(t.state, input),
  isDisruptiveRequestVote: (t: Transition, _env: Env, input: RequestVote) => Disruption.isDisruptiveRequestVote(t.state, input),
  isTransferring: (t: Transition) => Transfer.isTransferring(t.state),
  forwardsToLeader: (t: Transition, env: Env) => Clients.forwardsToLeader(t, env),
  canTransferTo: (t: Transition, env: Env, input: InputOf<'transferLeadership'>) => Transfer.canTransferTo(env, t.state, input.target),
  canReadUnderLease: (t: Transition, env: Env) => Lease.canReadUnderLease(env, t.state),
  hasAppliedThrough: (t: Transition, _env: Env, input: InputOf<'clientRead'>) => FollowerReads.hasAppliedThrough(t.state, input),
  // DEC-21: this AppendEntries deposes a leader or candidate, which then handles it (a) or drops it (b).
  // Decisions are deterministic, so a guard may ask; DEC-21 is asked only where it deposes.
  deposesAndDrops: (t: Transition, env: Env, input: AppendEntries) => F.deposes(t.state, input) && decide(env, 'DEC-21') === 'b',
  deposesAndHandles: (t: Transition, env: Env, input: AppendEntries) => F.deposes(t.state, input) && env.decide !== undefined && decide(env, 'DEC-21') === 'a',
} as const;

// --- Actions (named; each says what happens)
export const ACTIONS = {
  adoptNewerTerm: (t: Transition, env: Env, input: Message) => F.adoptNewerTerm(t, env, input.term),
  electionTimerFired: (t: Transition, env: Env) => env.hooks.electionTimerFired(t),
  convertToCandidate: (t: Transition, env: Env) => F.convertToCandidate(t, env),
  retryElection: (t: Transition, env: Env) => F.retryElection(t, env),
  becomeLeader: (t: Transition, env: Env) => F.becomeLeader(t, env),
  recordVote: (t: Transition, _env: Env, input: RequestVoteResponse) => F.recordVote(t, input),
  concede: (t: Transition, env: Env) => F.concede(t, env),
  rejectStaleRequestVote: (t: Transition, env: Env, input: RequestVote) => F.rejectStaleRequestVote(t, env, input),
  handleRequestVote: (t: Transition, env: Env, input: RequestVote) => F.handleRequestVote(t, env, input),
  rejectStaleAppendEntries: (t: Transition, env: Env, input: AppendEntries) => F.rejectStaleAppendEntries(t, env, input),
  handleAppendEntries: (t: Transition, env: Env, input: AppendEntries) => F.handleAppendEntries(t, env, input),
  heartbeat: (t: Transition, env: Env) => F.heartbeat(t, env),
  applyNow: (t: Transition, env: Env) => F.applyNow(t, env),
  leaderTimeout: (t: Transition, env: Env) => F.leaderTimeout(t, env),
  appendClientCommand: (t: Transition, env: Env, input: InputOf<'clientRequest'>) => F.appendClientCommand(t, env, input.command),
  responseReceived: (t: Transition, env: Env, input: Message) => env.hooks.responseReceived(t, env, input.from),
  handleAppendSuccess: (t: Transition, env: Env, input: AppendEntriesResponse) => F.handleAppendSuccess(t, env, input),
  handleAppendFailure: (t: Transition, env: Env, input: AppendEntriesResponse) => F.handleAppendFailure(t, env, input),
  dropStaleResponse: (t: Transition) => ignore(t, 'DEC-1'),
  dropImpossibleMessage: (t: Transition) => ignore(t, 'DEC-8'),
  adoptNewerTermAndDrop: (t: Transition, env: Env, input: AppendEntries) => cite(F.adoptNewerTerm(t, env, input.term), 'DEC-21b'),
  adoptNewerTermToHandle: (t: Transition, env: Env, input: AppendEntries) => cite(F.adoptNewerTerm(t, env, input.term), 'DEC-21'),
  ignoreForRole: (t: Transition) => ignore(t, 'DEC-9'),
  // Extensions
  redirectCommand: (t: Transition, env: Env, input: InputOf<'clientRequest'>) => Clients.redirectCommand(t, env, input.command),
  forwardCommand: (t: Transition, env: Env, input: InputOf<'clientRequest'>) => Clients.forwardCommand(t, env, input.command),
  appendForwarded: (t: Transition, env: Env, input: ClientProposal) => F.appendClientCommand(cite(t, 'DEC-23b'), env, input.command),
  dropForwarded: (t: Transition) => cite(t, 'DEC-23b'),
  redirectRead: (t: Transition, env: Env, input: InputOf<'clientRead'>) => Clients.redirectRead(t, env, input),
  forwardRead: (t: Transition, env: Env, input: InputOf<'clientRead'>) => Clients.forwardRead(t, env, input),
  startForwardedRead: (t: Transition, _env: Env, input: ForwardedRead) => Clients.startRead(cite(t, 'DEC-23b'), input),
  startForwardedLeaseRead: (t: Transition, _env: Env, input: ForwardedRead) => Lease.startLeaseRead(cite(t, 'DEC-23b'), input),
  startRead: (t: Transition, _env: Env, input: InputOf<'clientRead'>) => Clients.startRead(t, input),
  startReadRounds: (t: Transition, env: Env) => Clients.startReadRounds(t, env),
  serveReads: (t: Transition, env: Env) => Clients.serveReads(t, env),
  takeSnapshot: (t: Transition, _env: Env, input: InputOf<'snapshot'>) => Compaction.takeSnapshot(t, input.index),
  rejectStaleInstallSnapshot: (t: Transition, env: Env, input: InstallSnapshot) => Compaction.rejectStaleInstallSnapshot(t, env, input),
  handleInstallSnapshot: (t: Transition, env: Env, input: InstallSnapshot) => Compaction.handleInstallSnapshot(t, env, input),
  handleInstallSnapshotResponse: (t: Transition, env: Env, input: InstallSnapshotResponse) => Compaction.handleInstallSnapshotResponse(t, env, input),
  stayOutOfElections: (t: Transition, env: Env) => Membership.stayOutOfElections(t, env),
  ignoreNonPeer: (t: Transition) => Membership.ignoreNonPeer(t),
  reconfigure: (t: Transition, env: Env, input: InputOf<'reconfigure'>) => Membership.reconfigure(t, env, input),
  // Options
  startPreVote: (t: Transition, env: Env) => PreVoteOption.startPreVote(t, env),
  answerPreVote: (t: Transition, env: Env, input: PreVote) => PreVoteOption.answerPreVote(t, env, input),
  recordPreVote: (t: Transition, _env: Env, input: PreVoteResponse) => PreVoteOption.recordPreVote(t, input),
  winPreVote: (t: Transition, env: Env) => PreVoteOption.winPreVote(t, env),
  ignoreDisruptiveRequestVote: (t: Transition) => Disruption.ignoreDisruptiveRequestVote(t),
  startTransfer: (t: Transition, env: Env, input: InputOf<'transferLeadership'>) => Transfer.startTransfer(t, env, input.target),
  redirectToTransferee: (t: Transition, env: Env, input: InputOf<'clientRequest'>) => Transfer.redirectToTransferee(t, env, input.command),
  refuseWhileTransferring: (t: Transition) => Transfer.refuseWhileTransferring(t),
  campaignNow: (t: Transition, env: Env, _input: TimeoutNow) => Transfer.campaignNow(t, env),
  startLeaseRead: (t: Transition, _env: Env, input: InputOf<'clientRead'>) => Lease.startLeaseRead(t, input),
  answerFromState: (t: Transition, env: Env, input: InputOf<'clientRead'>) => FollowerReads.answerFromState(t, env, input),
  redirectBehind: (t: Transition, env: Env, input: InputOf<'clientRead'>) => FollowerReads.redirectBehind(t, env, input),
  redirectSync: (t: Transition, env: Env, input: InputOf<'clientSync'>) => FollowerReads.redirectSync(t, env, input),
  startSync: (t: Transition, _env: Env, input: InputOf<'clientSync'>) => FollowerReads.startSync(t, input),
  startLeaseSync: (t: Transition, _env: Env, input: InputOf<'clientSync'>) => FollowerReads.startLeaseSync(t, input),
} as const;

const G = GUARDS;
const A = ACTIONS;

/** ALL-2: a message of a newer term first makes the server a follower of that term, then is handled again as such. */
const NEWER_TERM = row<Message>({ rules: ['ALL-2'], guard: G.termIsNewer, actions: [A.adoptNewerTerm], target: 'follower', again: true });

/**
 * Every role, before its own rows: the term is handled once (ALL-2); the disruption guard drops a
 * RequestVote before ALL-2 could act on it (CFG-6); a PreVote is answered alike by every role
 * (PV-2), or is impossible without preVote (DEC-8).
 */
export const PROLOGUE: Rows = {
  RequestVote: [row({ rules: ['CFG-6'], when: 'disruptionGuard', guard: G.isDisruptiveRequestVote, actions: [A.ignoreDisruptiveRequestVote] }), NEWER_TERM],
  RequestVoteResponse: [NEWER_TERM],
  // DEC-21: ALL-2, then the AppendEntries that deposed a leader or candidate is handled as a
  // follower (cited only when alternatives are being decided; else NEWER_TERM does it) or, DEC-21b, goes unanswered.
  AppendEntries: [
    row({ rules: ['ALL-2', 'DEC-21b'], guard: G.deposesAndDrops, actions: [A.adoptNewerTermAndDrop], target: 'follower' }),
    row({ rules: ['ALL-2', 'DEC-21'], guard: G.deposesAndHandles, actions: [A.adoptNewerTermToHandle], target: 'follower', again: true }),
    NEWER_TERM,
  ],
  AppendEntriesResponse: [NEWER_TERM],
  InstallSnapshot: [NEWER_TERM],
  InstallSnapshotResponse: [NEWER_TERM],
  TimeoutNow: [NEWER_TERM],
  ClientProposal: [NEWER_TERM],
  ForwardedRead: [NEWER_TERM],
  PreVote: [row({ rules: ['DEC-8'], when: '!preVote', actions: [A.dropImpossibleMessage] }), row({ rules: ['PV-2'], actions: [A.answerPreVote] })],
  // DEC-17b: an implementation that applies in a step of its own records that step; under DEC-17 (the default) nothing is left.
  apply: [row({ rules: ['ALL-1', 'DEC-17b'], actions: [A.applyNow] })],
  PreVoteResponse: [
    row({ rules: ['DEC-8'], when: '!preVote', actions: [A.dropImpossibleMessage] }),
    // A refusal of a newer term is ALL-2 and nothing more; a grant never is (its term is the proposed one).
    row({ rules: ['ALL-2'], guard: G.isNewerRefusal, actions: [A.adoptNewerTerm], target: 'follower' }),
  ],
};

/** RV-1, RV-2 (FOL-1): every role answers a RequestVote of its term or older alike (a candidate or leader has voted for itself). */
const ANSWER_VOTE: Rows['RequestVote'] = [
  row({ rules: ['RV-1'], guard: G.termIsStale, actions: [A.rejectStaleRequestVote] }),
  row({ rules: ['RV-2'], actions: [A.handleRequestVote] }),
];

/**
 * FR-1, FR-2: with followerReads, every role answers a read from its applied state, unless it is
 * behind the client (then a redirect); these rows come before the role's own (CLI-4, CLI-1, DEC-23b).
 */
const FOLLOWER_READ: Rows['clientRead'] = [
  row({ rules: ['FR-1', 'FR-4'], when: 'followerReads', guard: G.hasAppliedThrough, actions: [A.answerFromState] }),
  row({ rules: ['FR-2', 'CLI-1', 'FR-4'], when: 'followerReads', actions: [A.redirectBehind] }),
];

/** DEC-9: without followerReads a sync has no effect on any role (FR-3). */
const NO_SYNC = row({ rules: ['DEC-9'], when: '!followerReads', actions: [A.ignoreForRole] });

/** DEC-9, CLI-1: what a server that does not lead does with a heartbeat timer, a client, a transfer or a reconfiguration. */
const NOT_LEADING: Rows = {
  heartbeatTimeout: [row({ rules: ['DEC-9'], actions: [A.ignoreForRole] })],
  clientRequest: [
    row({ rules: ['DEC-23b'], guard: G.forwardsToLeader, actions: [A.forwardCommand] }),
    row({ rules: ['CLI-1', 'DEC-9'], actions: [A.redirectCommand] }),
  ],
  clientRead: [
    ...FOLLOWER_READ,
    row({ rules: ['DEC-23b'], guard: G.forwardsToLeader, actions: [A.forwardRead] }),
    row({ rules: ['CLI-1', 'DEC-9'], actions: [A.redirectRead] }),
  ],
  // FR-3: only a leader can confirm a sync.
  clientSync: [NO_SYNC, row({ rules: ['FR-3', 'CLI-1'], actions: [A.redirectSync] })],
  // DEC-23b: a proposal or read forwarded to a server that does not lead is dropped; the client retries.
  ClientProposal: [row({ rules: ['DEC-23b'], actions: [A.dropForwarded] })],
  ForwardedRead: [row({ rules: ['DEC-23b'], actions: [A.dropForwarded] })],
  transferLeadership: [row({ rules: ['DEC-9'], actions: [A.ignoreForRole] })],
  reconfigure: [row({ rules: ['DEC-9'], actions: [A.ignoreForRole] })],
  snapshot: [row({ rules: ['SNAP-1', 'DEC-13'], actions: [A.takeSnapshot] })],
  RequestVote: ANSWER_VOTE,
  RequestVoteResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
  AppendEntriesResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
  InstallSnapshotResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
  PreVoteResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
  TimeoutNow: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
};

/** DEC-14, CFG-4: an election timeout on a server that is not a voter of its configuration starts nothing. */
const NOT_A_VOTER = row({ rules: ['DEC-14', 'CFG-4'], guard: G.cannotCampaign, actions: [A.electionTimerFired, A.stayOutOfElections] });

/** CAN-3: a candidate (or precandidate) that hears from the leader of its term concedes, then handles the request as a follower. */
const CONCEDE = row<AppendEntries | InstallSnapshot>({ rules: ['CAN-3'], actions: [A.concede], target: 'follower', again: true });

/** What a candidate and a precandidate do alike with a request from a leader: refuse an older one (AE-1, IS-1), concede to one of their term (CAN-3). */
const CAMPAIGNING: Rows = {
  AppendEntries: [row({ rules: ['AE-1'], guard: G.termIsStale, actions: [A.rejectStaleAppendEntries] }), CONCEDE],
  InstallSnapshot: [row({ rules: ['IS-1'], guard: G.termIsStale, actions: [A.rejectStaleInstallSnapshot] }), CONCEDE],
};

export const TABLE: { readonly [R in Role]: Rows } = {
  follower: {
    ...NOT_LEADING,
    electionTimeout: [
      NOT_A_VOTER,
      row({ rules: ['PV-1'], when: 'preVote', actions: [A.electionTimerFired, A.startPreVote], target: 'precandidate' }),
      row({ rules: ['FOL-2', 'CAN-1'], actions: [A.electionTimerFired, A.convertToCandidate], target: 'candidate' }),
    ],
    AppendEntries: [
      row({ rules: ['AE-1'], guard: G.termIsStale, actions: [A.rejectStaleAppendEntries] }),
      row({ rules: ['AE-2', 'AE-3', 'AE-4', 'AE-5', 'ALL-1'], actions: [A.handleAppendEntries] }),
    ],
    InstallSnapshot: [
      row({ rules: ['IS-1'], guard: G.termIsStale, actions: [A.rejectStaleInstallSnapshot] }),
      row({ rules: ['IS-2', 'IS-3', 'IS-4', 'IS-5', 'IS-6', 'IS-7', 'IS-8'], actions: [A.handleInstallSnapshot] }),
    ],
    TimeoutNow: [
      row({ rules: ['DEC-1'], guard: G.termIsStale, actions: [A.dropStaleResponse] }),
      row({ rules: ['LT-4', 'CAN-1'], actions: [A.campaignNow], target: 'candidate' }),
    ],
  },
  candidate: {
    ...NOT_LEADING,
    ...CAMPAIGNING,
    electionTimeout: [
      NOT_A_VOTER,
      row({ rules: ['PV-1'], when: 'preVote', actions: [A.electionTimerFired, A.startPreVote], target: 'precandidate' }),
      row({ rules: ['CAN-4', 'CAN-1'], actions: [A.electionTimerFired, A.retryElection] }),
    ],
    RequestVoteResponse: [
      row({ rules: ['DEC-1'], guard: G.termIsStale, actions: [A.dropStaleResponse] }),
      row({ rules: ['CAN-2'], actions: [A.recordVote] }),
    ],
  },
  precandidate: {
    ...NOT_LEADING,
    ...CAMPAIGNING,
    electionTimeout: [NOT_A_VOTER, row({ rules: ['PV-1'], actions: [A.electionTimerFired, A.startPreVote] })],
    PreVoteResponse: [
      row({ rules: ['PV-3'], guard: G.isPreVoteForNextTerm, actions: [A.recordPreVote] }),
      row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] }),
    ],
  },
  leader: {
    // A leader's election timer: CQ-1, LR-3, LT-5 where their options are on; else nothing (DEC-9).
    electionTimeout: [row({ rules: ['CQ-1', 'LR-3', 'LT-5', 'DEC-9'], actions: [A.electionTimerFired, A.leaderTimeout] })],
    heartbeatTimeout: [row({ rules: ['LEA-1'], actions: [A.heartbeat] })],
    clientRequest: [
      row({ rules: ['LT-3'], guard: G.isTransferring, actions: [A.redirectToTransferee] }),
      row({ rules: ['LEA-2', 'LEA-4', 'LEA-3'], actions: [A.appendClientCommand] }),
    ],
    clientRead: [
      ...FOLLOWER_READ,
      row({ rules: ['LR-2'], when: 'leaseReads', guard: G.canReadUnderLease, actions: [A.startLeaseRead] }),
      row({ rules: ['CLI-4'], actions: [A.startRead] }),
    ],
    // FR-3: a sync is a read without a key: LR-2 under a lease, else a CLI-4 round; answered by the eventless CLI-4 row.
    clientSync: [
      NO_SYNC,
      row({ rules: ['FR-3', 'LR-2'], when: 'leaseReads', guard: G.canReadUnderLease, actions: [A.startLeaseSync] }),
      row({ rules: ['FR-3', 'CLI-4'], actions: [A.startSync] }),
    ],
    transferLeadership: [
      row({ rules: ['LT-1'], when: 'leadershipTransfer', guard: G.canTransferTo, actions: [A.startTransfer] }),
      row({ rules: ['DEC-9'], actions: [A.ignoreForRole] }),
    ],
    reconfigure: [
      row({ rules: ['LT-3'], guard: G.isTransferring, actions: [A.refuseWhileTransferring] }),
      row({ rules: ['CFG-2', 'CFG-7'], actions: [A.reconfigure] }),
    ],
    snapshot: [row({ rules: ['SNAP-1', 'DEC-13'], actions: [A.takeSnapshot] })],
    RequestVote: ANSWER_VOTE,
    RequestVoteResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
    // DEC-8: Election Safety rules out a second leader of our term.
    AppendEntries: [row({ rules: ['AE-1'], guard: G.termIsStale, actions: [A.rejectStaleAppendEntries] }), row({ rules: ['DEC-8'], actions: [A.dropImpossibleMessage] })],
    InstallSnapshot: [row({ rules: ['IS-1'], guard: G.termIsStale, actions: [A.rejectStaleInstallSnapshot] }), row({ rules: ['DEC-8'], actions: [A.dropImpossibleMessage] })],
    AppendEntriesResponse: [
      row({ rules: ['DEC-1'], guard: G.termIsStale, actions: [A.dropStaleResponse] }),
      row({ rules: ['DEC-15'], guard: G.isFromNonPeer, actions: [A.ignoreNonPeer] }),
      row({ rules: ['DEC-8'], guard: G.claimsMoreThanLog, actions: [A.dropImpossibleMessage] }),
      row({ rules: ['LEA-3a', 'LEA-4', 'LEA-3'], guard: G.isSuccess, actions: [A.responseReceived, A.handleAppendSuccess] }),
      row({ rules: ['LEA-3b', 'DEC-4'], actions: [A.responseReceived, A.handleAppendFailure] }),
    ],
    InstallSnapshotResponse: [
      row({ rules: ['DEC-1'], guard: G.termIsStale, actions: [A.dropStaleResponse] }),
      row({ rules: ['DEC-15'], guard: G.isFromNonPeer, actions: [A.ignoreNonPeer] }),
      row({ rules: ['DEC-8'], guard: G.snapshotClaimsMoreThanLog, actions: [A.dropImpossibleMessage] }),
      row({ rules: ['SNAP-3'], actions: [A.responseReceived, A.handleInstallSnapshotResponse] }),
    ],
    PreVoteResponse: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
    TimeoutNow: [row({ rules: ['DEC-1'], actions: [A.dropStaleResponse] })],
    // DEC-23b: a proposal forwarded by a follower of our term is appended as a client's (LEA-2); one of an older term, or during a transfer (LT-3), is dropped.
    ClientProposal: [
      row({ rules: ['DEC-23b'], guard: G.termIsStale, actions: [A.dropForwarded] }),
      row({ rules: ['LT-3', 'DEC-23b'], guard: G.isTransferring, actions: [A.dropForwarded] }),
      row({ rules: ['DEC-23b', 'LEA-2', 'LEA-4', 'LEA-3'], actions: [A.appendForwarded] }),
    ],
    // DEC-23b: a read forwarded by a follower of our term is served as our own (LR-2 under a lease, else CLI-4); one of an older term is dropped.
    ForwardedRead: [
      row({ rules: ['DEC-23b'], guard: G.termIsStale, actions: [A.dropForwarded] }),
      row({ rules: ['DEC-23b', 'LR-2'], when: 'leaseReads', guard: G.canReadUnderLease, actions: [A.startForwardedLeaseRead] }),
      row({ rules: ['DEC-23b', 'CLI-4'], actions: [A.startForwardedRead] }),
    ],
  },
};

/** Rows without an input: after every input, while one's guard holds, it fires (xstate's `always`). */
export const EVENTLESS: { readonly [R in Role]: readonly Row[] } = {
  follower: [],
  candidate: [row({ rules: ['CAN-2', 'LEA-1'], guard: G.hasVoteMajority, actions: [A.becomeLeader], target: 'leader' })],
  precandidate: [row({ rules: ['PV-3', 'CAN-1'], guard: G.hasVoteMajority, actions: [A.winPreVote], target: 'candidate' })],
  // CLI-4: a leader with reads pending starts the round that can start, then answers what it can.
  leader: [row({ rules: ['CLI-4'], guard: G.hasReadWork, actions: [A.startReadRounds, A.serveReads] })],
};

/** Whether a row is part of the protocol under these options. */
export function rowIsOn(r: Row<never>, env: Env): boolean {
  if (r.when === undefined) return true;
  return r.when.startsWith('!') ? !isOn(env, r.when.slice(1) as ModuleName) : isOn(env, r.when as ModuleName);
}

/** The rows a role walks for an input: the prologue's, then its own. */
export function rowsFor<K extends InputType>(role: Role, type: K): readonly Row<InputOf<K>>[] {
  const before = (PROLOGUE[type] ?? []) as readonly Row<InputOf<K>>[];
  const own = (TABLE[role][type] ?? []) as readonly Row<InputOf<K>>[];
  return before.length === 0 ? own : own.length === 0 ? before : [...before, ...own];
}

