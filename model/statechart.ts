// The roles of Figure 4 as an xstate v5 statechart, built from the rule functions of rules.ts:
// every guard and action below is one of them, named in setup() so the machine reads as a diagram.
// Term handling is as in the reducer and etcd's Step: a message of a newer term first moves the
// server to follower (ALL-2), then the same message is raised again and handled by the follower.
// A candidate with a majority becomes leader by an eventless transition (CAN-2), so winning takes
// no event of its own: it happens in the step that brings the last vote, or the timeout of a
// single-server cluster. The end-of-step work of a leader with reads pending (CLI-4, the reducer's
// epilogue) is an eventless transition of the leader too, guarded so that it runs once per step.
// With preVote (PV-1 .. PV-3) a precandidate wins its pre-vote the same way: an eventless
// transition to candidate (CAN-1), which a single server then follows at once to leader.
import { assign, raise, setup, transition } from 'xstate';
import type { AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, Message, PreVote, PreVoteResponse, RequestVote, RequestVoteResponse } from '../spec/schema.js';
import { sessionOf } from '../spec/kv.js';
import { type Env, type NodeState, type Transition, begin } from './state.js';
import type { NodeInput } from './node.js';
import * as R from './rules.js';

export interface ServerContext {
  readonly env: Env;
  /** The state, and what the current step has produced so far. */
  readonly t: Transition;
}

type ServerEvent = NodeInput;

const isMessage = (e: ServerEvent): e is Message =>
  e.type === 'RequestVote' || e.type === 'RequestVoteResponse' || e.type === 'AppendEntries' || e.type === 'AppendEntriesResponse'
  || e.type === 'InstallSnapshot' || e.type === 'InstallSnapshotResponse'
  || e.type === 'PreVote' || e.type === 'PreVoteResponse' || e.type === 'TimeoutNow';

const asMessage = (e: ServerEvent): Message => {
  if (!isMessage(e)) throw new Error(`expected a message, got ${e.type}`);
  return e;
};
const as = <T extends Message['type']>(e: ServerEvent, type: T): Extract<Message, { type: T }> => {
  if (e.type !== type) throw new Error(`expected ${type}, got ${e.type}`);
  return e as Extract<Message, { type: T }>;
};

type Rule = (t: Transition, env: Env, e: ServerEvent) => Transition;
const step = (rule: Rule) => assign<ServerContext, ServerEvent, undefined, ServerEvent, never>({
  t: ({ context, event }) => rule(context.t, context.env, event),
});

/** ALL-2 then the same message again, now of our term, as a follower. */
const NEWER_TERM = { guard: 'termIsNewer', target: '#raftServer.follower', actions: ['adoptNewerTerm', 'handleAgainAsFollower'] } as const;
/** CFG-6: a RequestVote that would disrupt a live leader is dropped before ALL-2. */
const DISRUPTIVE = { guard: 'isDisruptiveRequestVote', actions: 'ignoreDisruptiveRequestVote' } as const;
/** PV-2 on every role, before and instead of ALL-2; without preVote a PreVote is impossible (DEC-8). */
const PRE_VOTE = [{ guard: 'preVoteOff', actions: 'dropImpossibleMessage' }, { actions: 'answerPreVote' }] as const;
/** A PreVoteResponse: impossible without preVote (DEC-8); a refusal of a newer term is ALL-2 and nothing more. */
const PRE_VOTE_OFF = { guard: 'preVoteOff', actions: 'dropImpossibleMessage' } as const;
const NEWER_REFUSAL = { guard: 'isNewerRefusal', target: '#raftServer.follower', actions: 'adoptNewerTerm' } as const;
/**
 * How a leader receives a response to its AppendEntries or InstallSnapshot, before the type's own
 * checks: a newer term deposes it (ALL-2), an older one is dropped (DEC-1), and so is one from a
 * server that is no longer a peer of its configuration (DEC-15).
 */
const RESPONSE_TO_LEADER = [
  NEWER_TERM,
  { guard: 'termIsStale', actions: 'dropStaleResponse' },
  { guard: 'isFromNonPeer', actions: 'ignoreNonPeer' },
] as const;
/** DEC-14: an election timeout on a server that is not a voter of its configuration starts nothing. */
const NOT_A_VOTER = { guard: 'cannotCampaign', actions: ['forgetLeaderContact', 'stayOutOfElections'] } as const;

/** What every role but the leader does with a heartbeat timer, a client, a transfer or a reconfiguration (DEC-9, CLI-1). */
const NOT_LEADING = {
  heartbeatTimeout: { actions: 'ignoreForRole' }, // DEC-9
  clientRequest: { actions: 'redirect' }, // CLI-1, DEC-9
  clientRead: { actions: 'redirect' }, // CLI-1, DEC-9
  transferLeadership: { actions: 'ignoreForRole' }, // DEC-9
  reconfigure: { actions: 'ignoreForRole' }, // DEC-9
} as const;

/**
 * What a candidate and a precandidate do alike: they act as followers that are not following
 * anyone (DEC-9, CLI-1), answer votes (RV-1, RV-2, CFG-6), and concede to a leader of their term
 * (CAN-3). Only their election timeouts and the responses they count differ.
 */
const CAMPAIGNING = {
  ...NOT_LEADING,
  PreVote: PRE_VOTE, // PV-2
  TimeoutNow: [NEWER_TERM, { actions: 'ignoreTimeoutNow' }], // LT-4 is for followers only: DEC-1
  RequestVote: [DISRUPTIVE, NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleRequestVote' }, { actions: 'handleRequestVote' }], // CFG-6, RV-1, RV-2
  AppendEntries: [
    NEWER_TERM,
    { guard: 'termIsStale', actions: 'rejectStaleAppendEntries' }, // AE-1
    { target: '#raftServer.follower', actions: ['concede', 'handleAgainAsFollower'] }, // CAN-3
  ],
  AppendEntriesResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
  snapshot: { actions: 'takeSnapshot' }, // SNAP-1, DEC-13
  InstallSnapshot: [
    NEWER_TERM,
    { guard: 'termIsStale', actions: 'rejectStaleInstallSnapshot' }, // IS-1
    { target: '#raftServer.follower', actions: ['concede', 'handleAgainAsFollower'] }, // CAN-3
  ],
  InstallSnapshotResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
} as const;

export const serverMachine = setup({
  types: {
    context: {} as ServerContext,
    events: {} as ServerEvent,
    input: {} as ServerContext,
  },
  guards: {
    termIsNewer: ({ context, event }) => isMessage(event) && R.isNewerTerm(context.t.state, event),
    termIsStale: ({ context, event }) => isMessage(event) && R.isStaleTerm(context.t.state, event),
    hasVoteMajority: ({ context }) => R.hasVoteMajority(context.env, context.t.state),
    preVoteOn: ({ context }) => context.env.options.preVote,
    preVoteOff: ({ context }) => !context.env.options.preVote,
    isNewerRefusal: ({ context, event }) => event.type === 'PreVoteResponse' && R.isNewerRefusal(context.t.state, event),
    isPreVoteForNextTerm: ({ context, event }) => event.type === 'PreVoteResponse' && R.isPreVoteForNextTerm(context.t.state, event),
    isDisruptiveRequestVote: ({ context, event }) => event.type === 'RequestVote' && R.isDisruptiveRequestVote(context.env, context.t.state, event),
    // DEC-9: an election timeout on a leader does something only with checkQuorum (CQ-1) or a transfer pending (LT-5).
    leaderTimeoutIsIdle: ({ context }) => !context.env.options.checkQuorum && !context.env.options.leaseReads && !R.isTransferring(context.t.state),
    checkQuorumOn: ({ context }) => context.env.options.checkQuorum,
    lacksActiveQuorum: ({ context }) => context.env.options.checkQuorum && !R.hasActiveQuorum(context.env, context.t.state),
    isTransferring: ({ context }) => R.isTransferring(context.t.state),
    canTransferTo: ({ context, event }) => event.type === 'transferLeadership' && R.canTransferTo(context.env, context.t.state, event.target),
    cannotCampaign: ({ context }) => !R.canCampaign(context.env, context.t.state),
    // CFG-5: an action of the leader made it step down (its committed configuration does not count it).
    steppedDown: ({ context }) => context.t.state.role !== 'leader',
    isFromNonPeer: ({ context, event }) => isMessage(event) && R.isFromNonPeer(context.env, context.t.state, event),
    snapshotClaimsMoreThanLog: ({ context, event }) => event.type === 'InstallSnapshotResponse' && R.snapshotClaimsMoreThanLog(context.t.state, event),
    isSnapshotDone: ({ event }) => event.type === 'InstallSnapshotResponse' && event.done,
    isSuccess: ({ event }) => event.type === 'AppendEntriesResponse' && event.success,
    claimsMoreThanLog: ({ context, event }) => event.type === 'AppendEntriesResponse' && R.claimsMoreThanLog(context.t.state, event),
    // CLI-4: the epilogue has something to do: a round to start or a read to answer (once done, neither holds, so it runs once per step).
    hasReadWork: ({ context }) => R.canStartReadRound(context.t.state) || R.hasReadToServe(context.env, context.t.state),
  },
  actions: {
    adoptNewerTerm: step((t, _env, e) => R.adoptNewerTerm(t, asMessage(e).term)),
    handleAgainAsFollower: raise(({ event }) => event),
    convertToCandidate: step((t, env) => R.convertToCandidate(t, env)),
    retryElection: step((t, env) => R.retryElection(t, env)),
    becomeLeader: step((t, env) => R.becomeLeader(t, env)),
    recordVote: step((t, _env, e) => R.recordVote(t, as(e, 'RequestVoteResponse') as RequestVoteResponse)),
    concede: step((t) => R.concede(t)),
    rejectStaleRequestVote: step((t, env, e) => R.rejectStaleRequestVote(t, env, as(e, 'RequestVote') as RequestVote)),
    handleRequestVote: step((t, env, e) => R.handleRequestVote(t, env, as(e, 'RequestVote') as RequestVote)),
    rejectStaleAppendEntries: step((t, env, e) => R.rejectStaleAppendEntries(t, env, as(e, 'AppendEntries') as AppendEntries)),
    handleAppendEntries: step((t, env, e) => R.handleAppendEntries(t, env, as(e, 'AppendEntries') as AppendEntries)),
    heartbeat: step((t, env) => R.heartbeat(t, env)),
    appendClientCommand: step((t, env, e) => R.appendClientCommand(t, env, e.type === 'clientRequest' ? e.command : undefined)),
    redirect: step((t, env, e) => {
      if (e.type === 'clientRead') return R.redirect(t, env, e.client, e.seq);
      const op = e.type === 'clientRequest' ? sessionOf(e.command) : null;
      return R.redirect(t, env, op?.client ?? null, op?.seq ?? null);
    }),
    startRead: step((t, env, e) => {
      if (e.type !== 'clientRead') throw new Error(`expected clientRead, got ${e.type}`);
      return R.startRead(t, env, e);
    }),
    startReadRounds: step((t, env) => R.startReadRounds(t, env)),
    serveReads: step((t, env) => R.serveReads(t, env)),
    handleAppendSuccess: step((t, env, e) => R.handleAppendSuccess(t, env, as(e, 'AppendEntriesResponse') as AppendEntriesResponse)),
    handleAppendFailure: step((t, env, e) => R.handleAppendFailure(t, env, as(e, 'AppendEntriesResponse') as AppendEntriesResponse)),
    takeSnapshot: step((t, _env, e) => R.takeSnapshot(t, e.type === 'snapshot' ? e.index : undefined)),
    rejectStaleInstallSnapshot: step((t, env, e) => R.rejectStaleInstallSnapshot(t, env, as(e, 'InstallSnapshot') as InstallSnapshot)),
    handleInstallSnapshot: step((t, env, e) => R.handleInstallSnapshot(t, env, as(e, 'InstallSnapshot') as InstallSnapshot)),
    handleInstallSnapshotResponse: step((t, env, e) => R.handleInstallSnapshotResponse(t, env, as(e, 'InstallSnapshotResponse') as InstallSnapshotResponse)),
    forgetLeaderContact: step((t) => R.forgetLeaderContact(t)),
    startPreVote: step((t, env) => R.startPreVote(t, env)),
    answerPreVote: step((t, env, e) => R.answerPreVote(t, env, as(e, 'PreVote') as PreVote)),
    recordPreVote: step((t, _env, e) => R.recordPreVote(t, as(e, 'PreVoteResponse') as PreVoteResponse)),
    winPreVote: step((t, env) => R.winPreVote(t, env)),
    recordActivity: step((t, env, e) => R.recordActivity(t, env, asMessage(e).from)),
    confirmQuorum: step((t) => R.confirmQuorum(t)),
    stepDownWithoutQuorum: step((t) => R.stepDownWithoutQuorum(t)),
    ignoreDisruptiveRequestVote: step((t) => R.ignoreDisruptiveRequestVote(t)),
    startTransfer: step((t, env, e) => {
      if (e.type !== 'transferLeadership') throw new Error(`expected transferLeadership, got ${e.type}`);
      return R.startTransfer(t, env, e.target);
    }),
    sendTimeoutNowIfCaughtUp: step((t, env, e) => R.sendTimeoutNowIfCaughtUp(t, env, asMessage(e).from)),
    redirectToTransferee: step((t, env, e) => R.redirectToTransferee(t, env, e.type === 'clientRequest' ? e.command : undefined)),
    campaignNow: step((t, env) => R.campaignNow(t, env)),
    abandonTransfer: step((t) => R.abandonTransfer(t)),
    expireLease: step((t, env) => R.expireLease(t, env)),
    dropStaleResponse: step((t) => R.ignore(t, 'DEC-1')),
    ignoreTimeoutNow: step((t) => R.ignore(t, 'DEC-1')),
    dropImpossibleMessage: step((t) => R.ignore(t, 'DEC-8')),
    ignoreForRole: step((t) => R.ignore(t, 'DEC-9')),
    stayOutOfElections: step((t, env) => R.stayOutOfElections(t, env)),
    ignoreNonPeer: step((t) => R.ignoreNonPeer(t)),
    reconfigure: step((t, env, e) => {
      if (e.type !== 'reconfigure') throw new Error(`expected reconfigure, got ${e.type}`);
      return R.reconfigure(t, env, e);
    }),
  },
}).createMachine({
  id: 'raftServer',
  context: ({ input }) => input,
  initial: 'follower',
  states: {
    follower: {
      on: {
        electionTimeout: [
          NOT_A_VOTER, // DEC-14
          { guard: 'preVoteOn', target: 'precandidate', actions: ['forgetLeaderContact', 'startPreVote'] }, // PV-1
          { target: 'candidate', actions: ['forgetLeaderContact', 'convertToCandidate'] }, // FOL-2, CAN-1
        ],
        ...NOT_LEADING,
        PreVote: PRE_VOTE, // PV-2
        PreVoteResponse: [PRE_VOTE_OFF, NEWER_REFUSAL, { actions: 'dropStaleResponse' }], // ALL-2, DEC-1
        TimeoutNow: [NEWER_TERM, { guard: 'termIsStale', actions: 'ignoreTimeoutNow' }, { target: 'candidate', actions: 'campaignNow' }], // LT-4, DEC-1
        RequestVote: [DISRUPTIVE, NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleRequestVote' }, { actions: 'handleRequestVote' }], // CFG-6, RV-1, RV-2
        RequestVoteResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
        AppendEntries: [NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleAppendEntries' }, { actions: 'handleAppendEntries' }], // AE-1, AE-2..5
        AppendEntriesResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
        snapshot: { actions: 'takeSnapshot' }, // SNAP-1, DEC-13
        InstallSnapshot: [NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleInstallSnapshot' }, { actions: 'handleInstallSnapshot' }], // IS-1, IS-2..8
        InstallSnapshotResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
      },
    },
    candidate: {
      always: { guard: 'hasVoteMajority', target: 'leader', actions: 'becomeLeader' }, // CAN-2, LEA-1
      on: {
        electionTimeout: [
          NOT_A_VOTER, // DEC-14
          { guard: 'preVoteOn', target: 'precandidate', actions: ['forgetLeaderContact', 'startPreVote'] }, // PV-1
          { actions: ['forgetLeaderContact', 'retryElection'] }, // CAN-4, CAN-1
        ],
        ...CAMPAIGNING,
        PreVoteResponse: [PRE_VOTE_OFF, NEWER_REFUSAL, { actions: 'dropStaleResponse' }], // ALL-2, DEC-1
        RequestVoteResponse: [NEWER_TERM, { guard: 'termIsStale', actions: 'dropStaleResponse' }, { actions: 'recordVote' }], // CAN-2
      },
    },
    // PV-1 .. PV-3: asking whether it could win, in its own term; otherwise it acts as a follower.
    precandidate: {
      always: { guard: 'hasVoteMajority', target: 'candidate', actions: 'winPreVote' }, // PV-3, CAN-1
      on: {
        electionTimeout: [NOT_A_VOTER, { actions: ['forgetLeaderContact', 'startPreVote'] }], // DEC-14, PV-1 again
        ...CAMPAIGNING,
        PreVoteResponse: [PRE_VOTE_OFF, NEWER_REFUSAL, { guard: 'isPreVoteForNextTerm', actions: 'recordPreVote' }, { actions: 'dropStaleResponse' }], // PV-3, DEC-1
        RequestVoteResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }], // DEC-1
      },
    },
    leader: {
      // CLI-4: after every event a leader handles, start the read round that can start, then answer the reads that can be answered.
      always: [
        { guard: 'steppedDown', target: 'follower' }, // CFG-5 (checked first: a follower has no reads)
        { guard: 'hasReadWork', actions: ['startReadRounds', 'serveReads'] },
      ],
      on: {
        electionTimeout: [
          { guard: 'leaderTimeoutIsIdle', actions: ['forgetLeaderContact', 'ignoreForRole'] }, // DEC-9
          { guard: 'lacksActiveQuorum', target: 'follower', actions: ['forgetLeaderContact', 'expireLease', 'stepDownWithoutQuorum'] }, // LR-3, CQ-1
          { guard: 'checkQuorumOn', actions: ['forgetLeaderContact', 'expireLease', 'confirmQuorum', 'abandonTransfer'] }, // LR-3, CQ-1, LT-5
          { actions: ['forgetLeaderContact', 'expireLease', 'abandonTransfer'] }, // LR-3, LT-5
        ],
        heartbeatTimeout: { actions: 'heartbeat' }, // LEA-1
        clientRequest: [{ guard: 'isTransferring', actions: 'redirectToTransferee' }, { actions: 'appendClientCommand' }], // LT-3; LEA-2, LEA-4, LEA-3
        clientRead: { actions: 'startRead' }, // CLI-4
        transferLeadership: [{ guard: 'canTransferTo', actions: 'startTransfer' }, { actions: 'ignoreForRole' }], // LT-1, DEC-9
        reconfigure: { actions: 'reconfigure' }, // CFG-2, CFG-7 (LT-3 and the refusals inside)
        PreVote: PRE_VOTE, // PV-2 (a leader refuses)
        PreVoteResponse: [PRE_VOTE_OFF, NEWER_REFUSAL, { actions: 'dropStaleResponse' }],
        TimeoutNow: [NEWER_TERM, { actions: 'ignoreTimeoutNow' }], // DEC-1
        RequestVote: [DISRUPTIVE, NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleRequestVote' }, { actions: 'handleRequestVote' }],
        RequestVoteResponse: [NEWER_TERM, { actions: 'dropStaleResponse' }],
        AppendEntries: [NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleAppendEntries' }, { actions: 'dropImpossibleMessage' }], // AE-1, DEC-8
        AppendEntriesResponse: [
          ...RESPONSE_TO_LEADER, // ALL-2, DEC-1, DEC-15
          { guard: 'claimsMoreThanLog', actions: 'dropImpossibleMessage' }, // DEC-8
          { guard: 'isSuccess', actions: ['recordActivity', 'handleAppendSuccess', 'sendTimeoutNowIfCaughtUp'] }, // CQ-1, LEA-3a, LT-2
          { actions: ['recordActivity', 'handleAppendFailure'] }, // CQ-1, LEA-3b
        ],
        snapshot: { actions: 'takeSnapshot' },
        InstallSnapshot: [NEWER_TERM, { guard: 'termIsStale', actions: 'rejectStaleInstallSnapshot' }, { actions: 'dropImpossibleMessage' }], // IS-1, DEC-8
        InstallSnapshotResponse: [
          ...RESPONSE_TO_LEADER, // ALL-2, DEC-1, DEC-15
          { guard: 'snapshotClaimsMoreThanLog', actions: 'dropImpossibleMessage' }, // DEC-8
          { guard: 'isSnapshotDone', actions: ['recordActivity', 'handleInstallSnapshotResponse', 'sendTimeoutNowIfCaughtUp'] }, // CQ-1, SNAP-3, LT-2
          { actions: ['recordActivity', 'handleInstallSnapshotResponse'] }, // CQ-1, SNAP-3
        ],
      },
    },
  },
});

export type ServerSnapshot = ReturnType<typeof serverMachine.resolveState>;

/** The statechart at a given server state (its role is the state node). */
export function snapshotAt(env: Env, state: NodeState): ServerSnapshot {
  return serverMachine.resolveState({ value: state.role, context: { env, t: begin(state) } });
}

/**
 * One step through xstate's pure transition function. The step starts with empty outputs, so
 * `context.t` afterwards holds this step's state, messages, applied entries and rules.
 */
export function statechartStep(snapshot: ServerSnapshot, input: NodeInput): ServerSnapshot {
  const start = serverMachine.resolveState({ value: snapshot.value, context: { ...snapshot.context, t: begin(snapshot.context.t.state) } });
  const [next] = transition(serverMachine, start, input);
  return next;
}
