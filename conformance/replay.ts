// Replaying a trace against the model: every event through the cluster reducer, the trace's own
// expectations compared after each step, and every invariant checked after each step.
import type { ClientReply, Event, Trace } from '../spec/schema.js';
import { canonicalJson, describeMessage } from '../spec/canonical.js';
import type { RuleId } from '../spec/rules.js';
import { alternativesBeyondModel, type Profile } from '../spec/choices.js';
import { type ClusterState, type ClusterStep, applyEvent, inFlight, initCluster } from '../model/cluster.js';
import { InvariantChecker, type Violation } from '../model/invariants.js';
import { toJson } from '../model/state.js';
import { compareInFlight, compareLogSuffix, compareObservation } from './observe.js';
import { historyOf, type HistoryStep } from './history.js';
import { checkLinearizable } from './linearizability.js';
import { LeaseClock, type LeaseView } from './lease.js';
import { indexed, type StreamTrace } from './stream.js';

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
    case 'clientRead':
      return `clientRead to ${e.node}: ${e.client}#${e.seq} get ${JSON.stringify(e.key)}`;
    case 'snapshot':
      return `snapshot ${e.node}${e.index === undefined ? '' : ` through ${e.index}`}`;
    case 'transferLeadership':
      return `transferLeadership ${e.node} to ${e.target}`;
    case 'partition':
      return `partition ${e.groups.map((g) => `{${g.join(',')}}`).join(' | ')}`;
    case 'heal':
      return 'heal';
    case 'error':
      return `error${e.node ? ` on ${e.node}` : ''}`;
    default:
      return `${e.type} ${e.node}`;
  }
}

/** A client reply in one line (canonical, so that equal replies give equal text). */
export function describeReply(r: ClientReply): string {
  const op = r.client === null ? 'a command without client' : `${r.client}#${r.seq}`;
  switch (r.type) {
    case 'redirect':
      return `redirect from ${r.node} for ${op} to ${r.leader ?? 'no known leader'}`;
    case 'result':
      return `result from ${r.node} for ${op} at index ${r.index}: ${canonicalJson(r.result)}${r.duplicate ? ' (duplicate)' : ''}`;
    case 'read':
      return `read from ${r.node} for ${op} of ${JSON.stringify(r.key)} at read index ${r.index}: ${canonicalJson(r.result)}`;
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
export function replayModel(trace: StreamTrace): ReplayResult {
  return replay(trace);
}

/**
 * Replay a schema-valid trace against the model: after each step the observer (if any), then the
 * invariants, then the trace's expectations. Stops at the first failure.
 */
export function replay(trace: StreamTrace, observer?: StepObserver, coverage?: Map<RuleId, number>, profile?: Profile): ReplayResult {
  let c: ClusterState = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration, profile);
  const checker = new InvariantChecker(c);
  // With a profile, the local invariants its alternatives make untrue are not checked (DEC-3b, DEC-4b: nextIndex at or below matchIndex).
  if (profile) checker.permitted = alternativesBeyondModel((p) => profile[p]?.slice(0, 1) ?? []);
  const initialViolations = checker.takeInitialViolations();
  if (initialViolations.length > 0) {
    return { status: 'fail', steps: 0, failure: { step: -1, event: 'initial state', kind: 'invariant', problems: initialViolations.map(describeViolation), rules: [] } };
  }
  // Kept per client operation (LIN-1 is decided on the whole history), not per step: steps may be streamed (conformance/stream.ts).
  const clientSteps: HistoryStep[] = [];
  const lease = trace.options?.leaseReads ? new LeaseClock() : null;
  let total = 0;
  for (const [i, s] of indexed(trace.steps)) {
    total = i + 1;
    const breach = lease?.breach(s.event, (id) => leaseViewOf(c, id));
    if (breach) return { status: 'bad-input', path: `/steps/${i}/event`, expected: breach };
    const r = applyEvent(c, s.event);
    if ('error' in r) return { status: 'bad-input', path: `/steps/${i}/event${'message' in s.event ? '/message' : ''}`, expected: `an event possible in this state: ${r.error}` };
    if (coverage) for (const id of r.rules) coverage.set(id, (coverage.get(id) ?? 0) + 1);
    if (s.event.type === 'clientRequest' || s.event.type === 'clientRead' || r.replies.length > 0) clientSteps.push({ index: i, event: s.event, replies: r.replies });
    lease?.noteSent(r.sent);
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
  const atEnd = observer?.atEnd?.(c, total);
  if (atEnd) return { status: 'fail', steps: total, failure: atEnd };
  return checkClientHistory(clientSteps, total, initialData(trace));
}

/**
 * The key-value data a trace starts from: that of the server whose initial state has applied the
 * most (its machine, else its snapshot's). Empty for a trace that starts from Figure 2's state.
 */
export function initialData(trace: Pick<Trace, 'cluster' | 'initial'>): Readonly<Record<string, string>> | undefined {
  let best: { applied: number; data: Readonly<Record<string, string>> } | undefined;
  for (const id of trace.cluster) {
    const o = trace.initial?.[id];
    const m = o?.machine ?? o?.snapshotMachine;
    if (!o || !m) continue;
    const applied = o.lastApplied ?? o.snapshotIndex ?? 0;
    if (!best || applied > best.applied) best = { applied, data: m.data };
  }
  return best?.data;
}

/** What the lease's clock assumption needs of a server in the model's cluster. */
export function leaseViewOf(c: ClusterState, id: string): LeaseView {
  const s = c.nodes[id];
  return { up: !c.crashed.has(id), isLeader: s?.role === 'leader', term: s?.currentTerm ?? 0, leaseFloor: s?.leader?.leaseFloor ?? 0 };
}

/**
 * LIN-1, after the last step: the client operations of the run and the answers they got are
 * linearizable. An operation sent twice as two different commands is bad input.
 */
export function checkClientHistory(steps: readonly HistoryStep[], total: number, initial: Readonly<Record<string, string>> | undefined): ReplayResult {
  const pass: ReplayResult = { status: 'pass', steps: total };
  if (steps.length === 0) return pass;
  const h = historyOf(steps);
  if (h.problems.length > 0) {
    const first = h.problems[0] as string;
    const at = [...first.matchAll(/step (\d+)/g)].at(-1); // the later send is the wrong one
    return { status: 'bad-input', path: at ? `/steps/${at[1]}/event` : '/steps', expected: `one command per client operation (client, seq): ${first}` };
  }
  const fail = (problems: string[]): ReplayResult => ({ status: 'fail', steps: total, failure: { step: total - 1, event: 'the client history of the whole trace', kind: 'invariant', problems, rules: ['LIN-1'] } });
  if (h.violations.length > 0) return fail(h.violations.map((v) => `LIN-1 Linearizable client histories violated: ${v}`));
  if (h.operations.length === 0) return pass;
  const r = checkLinearizable(h.operations, initial ? { initial } : {});
  if (r.status === 'violation') return fail([`LIN-1 Linearizable client histories violated on key ${JSON.stringify(r.key)}: ${r.explanation}`]);
  if (r.status === 'unknown') return fail([`LIN-1 Linearizable client histories undecided on key ${JSON.stringify(r.key)}: ${r.reason} (the history is too concurrent for the search budget; shorten the trace)`]);
  return pass;
}

export function checkExpect(expect: NonNullable<Trace['steps'][number]['expect']>, r: ClusterStep): string[] {
  const problems: string[] = [];
  for (const [id, o] of Object.entries(expect.nodes ?? {})) {
    const actual = r.state.nodes[id];
    if (!actual) continue; // names are checked when the trace is loaded
    // The log is copied out only when the trace observes it.
    for (const m of compareObservation(id, o, toJson(actual, o.log !== undefined))) problems.push(`${m.node}.${m.field}: expected ${m.expected}, got ${m.actual}`);
    const s = o.logSuffix ? compareLogSuffix(id, o.logSuffix, actual.log, actual.snapshotIndex) : null;
    if (s) problems.push(`${s.node}.log: expected ${s.expected}, got ${s.actual}`);
  }
  if (expect.inFlight) {
    const d = compareInFlight(expect.inFlight, inFlight(r.state));
    for (const k of d.missing) problems.push(`in flight: expected ${k}, which is not in flight`);
    for (const k of d.unexpected) problems.push(`in flight: ${k} is in flight but not expected`);
  }
  if (expect.replies) {
    const want = expect.replies.map(describeReply);
    const got = r.replies.map(describeReply);
    const n = Math.max(want.length, got.length);
    for (let k = 0; k < n; k++) {
      if (want[k] !== got[k]) {
        problems.push(`replies: expected ${want.length} (${want[k] === undefined ? 'no reply' : `reply ${k + 1}: ${want[k]}`}), got ${got.length} (${got[k] === undefined ? 'no reply' : `reply ${k + 1}: ${got[k]}`})`);
        break;
      }
    }
  }
  if (expect.crashed) {
    const want = [...expect.crashed].sort().join(', ');
    const got = [...r.state.crashed].sort().join(', ');
    if (want !== got) problems.push(`crashed: expected [${want}], got [${got}]`);
  }
  return problems;
}
