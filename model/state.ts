// A server's state in the model, grouped by lifetime as in Figure 2, and the accumulator that
// the rule functions thread through one step.
import type { Entry, Message, NodeId, Role, ResolvedOptions, NodeState as NodeStateJson, Observation } from '../spec/schema.js';
import type { RuleId } from '../spec/rules.js';
import { Log } from './log.js';

export interface NodeState {
  readonly role: Role;
  // persistent (PER-1)
  readonly currentTerm: number;
  readonly votedFor: NodeId | null;
  readonly log: Log;
  // volatile, all servers
  readonly commitIndex: number;
  readonly lastApplied: number;
  // volatile, leaders
  readonly nextIndex: Readonly<Record<NodeId, number>>;
  readonly matchIndex: Readonly<Record<NodeId, number>>;
  // volatile, candidates and leaders
  readonly votesGranted: readonly NodeId[];
}

/** What a server knows of its surroundings: who it is, the cluster, the options in force. */
export interface Env {
  readonly self: NodeId;
  readonly servers: readonly NodeId[];
  readonly options: ResolvedOptions;
}

const peers = new WeakMap<Env, readonly NodeId[]>();

/** The other servers, in cluster order (computed once per Env). */
export function peersOf(env: Env): readonly NodeId[] {
  let p = peers.get(env);
  if (!p) {
    p = env.servers.filter((id) => id !== env.self);
    peers.set(env, p);
  }
  return p;
}

/** An entry handed to the state machine (ALL-1). */
export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly command: unknown;
}

/** One step in progress: the state so far and what the step has produced. */
export interface Transition {
  readonly state: NodeState;
  readonly sent: readonly Message[];
  readonly applied: readonly AppliedEntry[];
  readonly rules: readonly RuleId[];
}

export const begin = (state: NodeState): Transition => ({ state, sent: [], applied: [], rules: [] });

export const INITIAL_STATE: NodeState = {
  role: 'follower',
  currentTerm: 0,
  votedFor: null,
  log: Log.EMPTY,
  commitIndex: 0,
  lastApplied: 0,
  nextIndex: {},
  matchIndex: {},
  votesGranted: [],
};

/** A state from its JSON form (a trace's `initial`): missing fields take their initial values. */
export function fromJson(o: Observation | undefined): NodeState {
  if (!o) return INITIAL_STATE;
  return {
    role: o.role ?? INITIAL_STATE.role,
    currentTerm: o.currentTerm ?? 0,
    votedFor: o.votedFor ?? null,
    log: o.log ? Log.of(o.log) : Log.EMPTY,
    commitIndex: o.commitIndex ?? 0,
    lastApplied: o.lastApplied ?? 0,
    nextIndex: { ...(o.nextIndex ?? {}) },
    matchIndex: { ...(o.matchIndex ?? {}) },
    votesGranted: [...(o.votesGranted ?? [])],
  };
}

/** The JSON form of a state; without `withLog` the log is left empty (it is O(log length) to copy). */
export function toJson(s: NodeState, withLog = true): NodeStateJson {
  return {
    role: s.role,
    currentTerm: s.currentTerm,
    votedFor: s.votedFor,
    log: withLog ? s.log.toArray() : [],
    commitIndex: s.commitIndex,
    lastApplied: s.lastApplied,
    nextIndex: { ...s.nextIndex },
    matchIndex: { ...s.matchIndex },
    votesGranted: [...s.votesGranted],
  };
}

export type { Entry };
