// Shared builders for the model's unit tests: an Env for one server of a small cluster, log
// entries, and states from their JSON form. Expected values in the tests are written by hand;
// nothing here computes them with the code under test.
import { expect } from 'vitest';
import type { Entry, NodeId, Observation } from '../../spec/schema.js';
import { DEFAULT_OPTIONS, type ResolvedOptions } from '../../spec/schema.js';
import { type NodeInput, type NodeStep, step } from '../node.js';
import { snapshotAt, statechartStep } from '../statechart.js';
import { type Env, type LeaderState, type NodeState, fromJson, leaderView, toJson } from '../state.js';
import { makeEnv } from '../dispatch.js';

export const THREE: readonly NodeId[] = ['s1', 's2', 's3'];
export const FOUR: readonly NodeId[] = ['s1', 's2', 's3', 's4'];
export const FIVE: readonly NodeId[] = ['s1', 's2', 's3', 's4', 's5'];

/** The Env of `self` in a cluster of `servers`, one entry per AppendEntries unless told. */
export const envOf = (self: NodeId, servers: readonly NodeId[] = THREE, maxEntriesPerAppendEntries = 1, fastBacktracking = false, more: Partial<ResolvedOptions> = {}): Env =>
  makeEnv(self, servers, { ...DEFAULT_OPTIONS, maxEntriesPerAppendEntries, fastBacktracking, ...more }, { voters: [...servers].sort() });

/** A log entry. */
export const e = (term: number, command: unknown): Entry => ({ term, command });

/** The empty key-value state machine (KV-1): no data, no client sessions (CLI-2). */
export const EMPTY_MACHINE = { data: {}, sessions: {} };

/** The JSON fields of a server that has no snapshot and receives none (SNAP-1, IS-2): their initial values. */
export const NO_SNAPSHOT = { snapshotIndex: 0, snapshotTerm: 0, snapshotMachine: EMPTY_MACHINE, snapshotConfig: null, partialSnapshot: null };

/**
 * The JSON fields of the dissertation options (docs/dissertation-options.md) at their initial
 * values: not heard from a leader since the last election timeout, and no leader-only option state.
 */
export const NO_OPTION_STATE = { heardFromLeader: false, recentlyActive: [], transferee: null, appliedIndex: {} };

/** A state from its JSON form; missing fields take their initial values (commitIndex and lastApplied: snapshotIndex; machine: snapshotMachine). */
export const st = (o: Observation): NodeState => fromJson(o);

/**
 * The rules fired include `ids`, in this order (other rules may be cited between them): the
 * assertion says which rules a step must cite without pinning every citation of the model.
 */
export function expectFired(rules: readonly string[], ids: readonly string[]): void {
  let k = 0;
  for (const r of rules) if (r === ids[k]) k++;
  expect(k === ids.length, `expected ${ids.join(', ')} in this order among the rules fired [${rules.join(', ')}]`).toBe(true);
}

/** The state that has no JSON form: client answers awaited, the read state, the lease floor. */
export const hidden = (s: NodeState) => {
  const l = leaderView(s);
  return { awaiting: [...s.awaiting], readRound: l.readRound, readAcks: l.readAcks, pendingReads: l.pendingReads, leaseFloor: l.leaseFloor };
};

/** A state with leader-only fields set that have no JSON form (the read state, the lease floor): it gets a leader record if it has none. */
export const withLeaderState = (s: NodeState, patch: Partial<LeaderState>): NodeState => ({ ...s, leader: { ...leaderView(s), ...patch } });

/**
 * One step through the reducer and, beside it, through the statechart: both must agree on
 * everything (state node, state, hidden state, messages, entries applied, replies, rules). Returns
 * the reducer's step.
 */
export function stepBoth(env: Env, s: NodeState, input: NodeInput): NodeStep {
  const r = step(env, s, input);
  const chart = statechartStep(snapshotAt(env, s), input);
  const t = chart.context.t;
  expect(chart.value, 'statechart: state node').toBe(r.state.role);
  expect(toJson(t.state), 'statechart: state').toEqual(toJson(r.state));
  expect(hidden(t.state), 'statechart: awaiting, read state and lease floor').toEqual(hidden(r.state));
  expect(t.sent, 'statechart: messages').toEqual(r.sent);
  expect(t.applied, 'statechart: applied').toEqual(r.applied);
  expect(t.replies, 'statechart: replies').toEqual(r.replies);
  expect(t.rules, 'statechart: rules').toEqual(r.rules);
  return r;
}
