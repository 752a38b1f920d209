// Replaying a trace against the model: every event through the cluster reducer, the trace's own
// expectations compared after each step, and every invariant checked after each step.
import type { Event, Trace } from '../spec/schema.js';
import { describeMessage } from '../spec/canonical.js';
import type { RuleId } from '../spec/rules.js';
import { type ClusterState, type ClusterStep, applyEvent, inFlight, initCluster } from '../model/cluster.js';
import { InvariantChecker, type Violation } from '../model/invariants.js';
import { toJson } from '../model/state.js';
import { compareInFlight, compareObservation } from './observe.js';

export interface Failure {
  /** Index into the trace's steps (the JSON path is /steps/<step>); -1 for the initial state. */
  readonly step: number;
  readonly event: string;
  readonly kind: 'expectation' | 'invariant' | 'divergence';
  /** One line per thing that does not hold, most important first. */
  readonly problems: readonly string[];
  readonly rules: readonly RuleId[];
}

export type ReplayResult =
  | { readonly status: 'pass'; readonly steps: number }
  | { readonly status: 'fail'; readonly steps: number; readonly failure: Failure }
  | { readonly status: 'bad-input'; readonly path: string; readonly expected: string };

export function describeEvent(e: Event): string {
  switch (e.type) {
    case 'deliver': case 'drop': case 'duplicate': case 'inject':
      return `${e.type} ${describeMessage(e.message)}`;
    case 'clientRequest':
      return `clientRequest to ${e.node}: ${JSON.stringify(e.command)}`;
    case 'partition':
      return `partition ${e.groups.map((g) => `{${g.join(',')}}`).join(' | ')}`;
    case 'heal':
      return 'heal';
    default:
      return `${e.type} ${e.node}`;
  }
}

export const describeViolation = (v: Violation): string => `${v.id} ${v.title} violated (nodes ${v.nodes.join(', ')}): ${v.detail}`;

/** Something that follows a replay step by step (the lockstep runner drives the implementation so). */
export interface StepObserver {
  /** After the model took step i: a failure stops the replay. */
  afterStep(i: number, event: Event, prev: ClusterState, r: ClusterStep): Failure | null;
  /** After the last step. */
  atEnd?(final: ClusterState, steps: number): Failure | null;
}

/** Replay a schema-valid trace against the model alone. Stops at the first failure. */
export function replayModel(trace: Trace): ReplayResult {
  return replay(trace);
}

/**
 * Replay a schema-valid trace against the model: after each step the observer (if any), then the
 * invariants, then the trace's expectations. Stops at the first failure.
 */
export function replay(trace: Trace, observer?: StepObserver, coverage?: Map<RuleId, number>): ReplayResult {
  let c: ClusterState = initCluster(trace.cluster, trace.options, trace.initial);
  const checker = new InvariantChecker(c);
  const initialViolations = checker.takeInitialViolations();
  if (initialViolations.length > 0) {
    return { status: 'fail', steps: 0, failure: { step: -1, event: 'initial state', kind: 'invariant', problems: initialViolations.map(describeViolation), rules: [] } };
  }
  for (const [i, s] of trace.steps.entries()) {
    const r = applyEvent(c, s.event);
    if ('error' in r) return { status: 'bad-input', path: `/steps/${i}/event${'message' in s.event ? '/message' : ''}`, expected: `an event possible in this state: ${r.error}` };
    if (coverage) for (const id of r.rules) coverage.set(id, (coverage.get(id) ?? 0) + 1);
    const violations = checker.check(c, r, i, s.event);
    const prev = c;
    c = r.state;
    const diverged = observer?.afterStep(i, s.event, prev, r);
    if (diverged) return { status: 'fail', steps: i + 1, failure: diverged };
    if (violations.length > 0) {
      return { status: 'fail', steps: i + 1, failure: { step: i, event: describeEvent(s.event), kind: 'invariant', problems: violations.map(describeViolation), rules: r.rules } };
    }
    const problems = s.expect ? checkExpect(s.expect, r) : [];
    if (problems.length > 0) return { status: 'fail', steps: i + 1, failure: { step: i, event: describeEvent(s.event), kind: 'expectation', problems, rules: r.rules } };
  }
  const atEnd = observer?.atEnd?.(c, trace.steps.length);
  if (atEnd) return { status: 'fail', steps: trace.steps.length, failure: atEnd };
  return { status: 'pass', steps: trace.steps.length };
}

function checkExpect(expect: NonNullable<Trace['steps'][number]['expect']>, r: ClusterStep): string[] {
  const problems: string[] = [];
  for (const [id, o] of Object.entries(expect.nodes ?? {})) {
    const actual = r.state.nodes[id];
    if (!actual) continue; // names are checked when the trace is loaded
    // The log is copied out only when the trace observes it.
    for (const m of compareObservation(id, o, toJson(actual, o.log !== undefined))) problems.push(`${m.node}.${m.field}: expected ${m.expected}, got ${m.actual}`);
  }
  if (expect.inFlight) {
    const d = compareInFlight(expect.inFlight, inFlight(r.state));
    for (const k of d.missing) problems.push(`in flight: expected ${k}, which is not in flight`);
    for (const k of d.unexpected) problems.push(`in flight: ${k} is in flight but not expected`);
  }
  if (expect.crashed) {
    const want = [...expect.crashed].sort().join(', ');
    const got = [...r.state.crashed].sort().join(', ');
    if (want !== got) problems.push(`crashed: expected [${want}], got [${got}]`);
  }
  return problems;
}
