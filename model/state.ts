// A server's state in the model, grouped by lifetime as in Figure 2, and the accumulator that
// the rule functions thread through one step.
import type { ClientReply, Configuration, Entry, KvState, Message, NodeId, Role, ResolvedOptions, NodeState as NodeStateJson, Observation } from '../spec/schema.js';
import { EMPTY_KV } from '../spec/schema.js';
import type { RuleId } from '../spec/rules.js';
import { Log } from './log.js';
import { isMember, isVoter } from './config.js';
import type { Hooks } from './hooks.js';
import type { AlternativeLetter, ChoiceId } from '../spec/choices.js';

/**
 * A server's state, grouped by lifetime as Figure 2 groups it: persistent (PER-1), volatile on
 * every server, candidate (votesGranted, kept by the leader it became), and leader-only state in
 * one record that exists only while the server leads: stepping down drops it whole (DEC-10).
 */
export interface NodeState {
  readonly role: Role;
  // persistent (PER-1)
  readonly currentTerm: number;
  readonly votedFor: NodeId | null;
  /** The entries after the snapshot; indexes stay absolute (log.ts). */
  readonly log: Log;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /** The state machine as of snapshotIndex (SNAP-1). */
  readonly snapshotMachine: KvState;
  /** The configuration in force at snapshotIndex (SNAP-1, CFG-1); null: the bootstrap configuration. */
  readonly snapshotConfig: Configuration | null;
  // volatile, all servers
  readonly commitIndex: number;
  readonly lastApplied: number;
  /** The state machine as of lastApplied (KV-1, CLI-2). */
  readonly machine: KvState;
  /** CLI-1: the leader last heard from in currentTerm. */
  readonly leaderId: NodeId | null;
  /** IS-2, IS-3: an InstallSnapshot being received (DEC-12: volatile). */
  readonly partialSnapshot: PartialSnapshot | null;
  /** PV-2, CFG-6: handled an AppendEntries or InstallSnapshot from its term's leader since its last election timeout. */
  readonly heardFromLeader: boolean;
  /** LEA-2: the indexes this server appended client commands at, with their term, awaiting apply. Not in the JSON form. */
  readonly awaiting: ReadonlyMap<number, number>;
  // volatile, candidates (and the leader they became)
  readonly votesGranted: readonly NodeId[];
  // volatile, leaders: null on every other role
  readonly leader: LeaderState | null;
}

/** What only a leader keeps (Figure 2's nextIndex and matchIndex, and the options' leader state); made on election, dropped on stepping down. */
export interface LeaderState {
  readonly nextIndex: Readonly<Record<NodeId, number>>;
  readonly matchIndex: Readonly<Record<NodeId, number>>;
  /** CQ-1: the peers heard from since the last check (checkQuorum only). */
  readonly recentlyActive: readonly NodeId[];
  /** LT-1: the server leadership is being transferred to. */
  readonly transferee: NodeId | null;
  /** FC-2: per peer, the highest lastApplied reported (flowControlWindow only). */
  readonly appliedIndex: Readonly<Record<NodeId, number>>;
  /** CLI-4: the latest ReadIndex round of this term, the highest round each peer acknowledged, and the reads pending. Not in the JSON form. */
  readonly readRound: number;
  readonly readAcks: Readonly<Record<NodeId, number>>;
  readonly pendingReads: readonly PendingRead[];
  /** LR-2, LR-3: the readRound at the leader's last election timeout; only rounds above it can give a lease. Not in the JSON form. */
  readonly leaseFloor: number;
  /** DEC-18: the peers an AppendEntries (or InstallSnapshot) was sent to since their last response of this term. Not in the JSON form. */
  readonly outstanding: Readonly<Record<NodeId, true>>;
}

/** A new leader's record before anything is known of its peers. */
export const NEW_LEADER: LeaderState = {
  nextIndex: {}, matchIndex: {}, recentlyActive: [], transferee: null, appliedIndex: {}, readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0, outstanding: {},
};

/** The leader record of a leader; for readers that look at any role (invariants, reports), an empty one elsewhere. */
export const leaderView = (s: NodeState): LeaderState => s.leader ?? NEW_LEADER;

/** The leader record of a server known to lead (the table routes only leaders here): its absence is a bug of the model. */
export function leaderOf(s: NodeState): LeaderState {
  if (s.leader === null) throw new Error(`model bug: a ${s.role} has no leader record`);
  return s.leader;
}

export interface PartialSnapshot {
  readonly lastIncludedIndex: number;
  readonly lastIncludedTerm: number;
  readonly data: string;
}

/** CLI-4: a read waiting on a leader. readIndex is null until the leader has committed an entry of its term. */
export interface PendingRead {
  readonly client: string;
  readonly seq: number;
  /** The key read; null for a sync (FR-3), a read that reads nothing. */
  readonly key: string | null;
  readonly readIndex: number | null;
  readonly round: number;
}

/** What a server knows of its surroundings: who it is, the cluster, the options in force, the bootstrap configuration. */
export interface Env {
  readonly self: NodeId;
  readonly servers: readonly NodeId[];
  readonly options: ResolvedOptions;
  /** CFG-1: the configuration every server knows at the start. */
  readonly bootstrap: Configuration;
  /** The hook points of the Figure 2 core, filled by the modules the options switch on (dispatch.ts, makeEnv). */
  readonly hooks: Hooks;
  /** Where Figure 2 allows more than one behaviour (spec/choices.ts), which one this server takes; absent: the first (the model's). */
  readonly decide?: Decide;
  /**
   * The alternatives permitted at each choice point, where a search decides (the validator):
   * for what a message sent now may turn out to be, without deciding (DEC-6b's shorter forms).
   */
  readonly permits?: (point: ChoiceId) => readonly AlternativeLetter[];
  /** DEC-24b: a configuration takes effect when applied, not when appended (decided once per run: spec/choices.ts perRun). */
  readonly configOnApply?: true;
}

/** Picks an alternative at a choice point (spec/choices.ts). Within one step a point is decided once. */
export type Decide = (point: ChoiceId) => AlternativeLetter;

/** The alternative this server takes at a choice point. */
export const decide = (env: Env, point: ChoiceId): AlternativeLetter => env.decide?.(point) ?? 'a';

/** Whether this server may take this alternative: any permitted one under a search, else the one it takes. */
export const mayTake = (env: Env, point: ChoiceId, letter: AlternativeLetter): boolean =>
  env.permits ? env.permits(point).includes(letter) : decide(env, point) === letter;

/**
 * CFG-1: the configuration in force: the last configuration entry in the log (DEC-24; DEC-24b:
 * the last one at or below lastApplied), else the snapshot's, else the bootstrap one.
 */
export function configOf(env: Env, s: NodeState): Configuration {
  const inLog = env.configOnApply ? s.log.configAt(s.lastApplied) : s.log.lastConfiguration;
  return inLog ?? s.snapshotConfig ?? env.bootstrap;
}

/** CFG-3, CFG-5, CFG-7: the index of the configuration in force (0 when it is the snapshot's or the bootstrap one: committed). */
export function configIndexOf(s: NodeState): number {
  return s.log.lastConfigIndex;
}

type Fanout = { readonly peers: readonly NodeId[]; readonly voters: readonly NodeId[] };
const fanouts = new WeakMap<Env, WeakMap<Configuration, Fanout>>();

function fanoutOf(env: Env, config: Configuration): Fanout {
  let byConfig = fanouts.get(env);
  if (!byConfig) {
    byConfig = new WeakMap();
    fanouts.set(env, byConfig);
  }
  let f = byConfig.get(config);
  if (!f) {
    const others = env.servers.filter((id) => id !== env.self);
    f = { peers: others.filter((id) => isMember(config, id)), voters: others.filter((id) => isVoter(config, id)) };
    byConfig.set(config, f);
  }
  return f;
}

/** DEC-15: a leader's peers: the members of its configuration in force but itself, in cluster order (computed once per configuration). */
export function peersOf(env: Env, s: NodeState): readonly NodeId[] {
  return fanoutOf(env, configOf(env, s)).peers;
}

/** DEC-14: where a candidate sends its RequestVotes (PreVotes): the voters of its configuration but itself, in cluster order. */
export function votersOf(env: Env, s: NodeState): readonly NodeId[] {
  return fanoutOf(env, configOf(env, s)).voters;
}

/** An entry handed to the state machine (ALL-1), with what the state machine returned (KV-1, CLI-2). */
export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly command: unknown;
  readonly result: unknown;
  readonly duplicate: boolean;
}

/** One step in progress: the state so far and what the step has produced. */
export interface Transition {
  readonly state: NodeState;
  readonly sent: readonly Message[];
  readonly applied: readonly AppliedEntry[];
  readonly replies: readonly ClientReply[];
  readonly rules: readonly RuleId[];
}

export const begin = (state: NodeState): Transition => ({ state, sent: [], applied: [], replies: [], rules: [] });

export const INITIAL_STATE: NodeState = {
  role: 'follower',
  currentTerm: 0,
  votedFor: null,
  log: Log.EMPTY,
  snapshotIndex: 0,
  snapshotTerm: 0,
  snapshotMachine: EMPTY_KV,
  snapshotConfig: null,
  commitIndex: 0,
  lastApplied: 0,
  machine: EMPTY_KV,
  leaderId: null,
  partialSnapshot: null,
  heardFromLeader: false,
  awaiting: new Map(),
  votesGranted: [],
  leader: null,
};

/** A state from its JSON form (a trace's `initial`): missing fields take their initial values. */
export function fromJson(o: Observation | undefined): NodeState {
  if (!o) return INITIAL_STATE;
  const snapshotIndex = o.snapshotIndex ?? 0;
  return {
    role: o.role ?? INITIAL_STATE.role,
    currentTerm: o.currentTerm ?? 0,
    votedFor: o.votedFor ?? null,
    log: Log.of(o.log ?? [], snapshotIndex, o.snapshotTerm ?? 0),
    snapshotIndex,
    snapshotTerm: o.snapshotTerm ?? 0,
    snapshotMachine: o.snapshotMachine ?? EMPTY_KV,
    snapshotConfig: o.snapshotConfig ?? null,
    commitIndex: o.commitIndex ?? snapshotIndex,
    lastApplied: o.lastApplied ?? snapshotIndex,
    machine: o.machine ?? o.snapshotMachine ?? EMPTY_KV,
    leaderId: o.leaderId ?? null,
    partialSnapshot: o.partialSnapshot ?? null,
    heardFromLeader: o.heardFromLeader ?? false,
    awaiting: new Map(),
    votesGranted: [...(o.votesGranted ?? [])],
    // A leader has a leader record; so does any other role the observation gives leader-only state
    // (an implementation's, which the invariants then judge: INV-8).
    leader: (o.role ?? INITIAL_STATE.role) !== 'leader' && !hasLeaderFields(o) ? null : {
      ...NEW_LEADER,
      nextIndex: { ...(o.nextIndex ?? {}) },
      matchIndex: { ...(o.matchIndex ?? {}) },
      recentlyActive: [...(o.recentlyActive ?? [])],
      transferee: o.transferee ?? null,
      appliedIndex: { ...(o.appliedIndex ?? {}) },
    },
  };
}

const hasLeaderFields = (o: Observation): boolean =>
  Object.keys(o.nextIndex ?? {}).length > 0 || Object.keys(o.matchIndex ?? {}).length > 0 || (o.recentlyActive ?? []).length > 0
  || (o.transferee ?? null) !== null || Object.keys(o.appliedIndex ?? {}).length > 0;

/** The JSON form of a state; without `withLog` the log is left empty (it is O(log length) to copy). */
export function toJson(s: NodeState, withLog = true): NodeStateJson {
  const l = leaderView(s);
  return {
    role: s.role,
    currentTerm: s.currentTerm,
    votedFor: s.votedFor,
    log: withLog ? s.log.toArray() : [],
    snapshotIndex: s.snapshotIndex,
    snapshotTerm: s.snapshotTerm,
    snapshotMachine: s.snapshotMachine,
    snapshotConfig: s.snapshotConfig,
    commitIndex: s.commitIndex,
    lastApplied: s.lastApplied,
    machine: s.machine,
    leaderId: s.leaderId,
    partialSnapshot: s.partialSnapshot,
    heardFromLeader: s.heardFromLeader,
    nextIndex: { ...l.nextIndex },
    matchIndex: { ...l.matchIndex },
    recentlyActive: [...l.recentlyActive],
    transferee: l.transferee,
    appliedIndex: { ...l.appliedIndex },
    votesGranted: [...s.votesGranted],
  };
}

export type { Entry };
