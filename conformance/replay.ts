// Replaying a trace against the model: every event through the cluster reducer, the trace's own
// expectations compared after each step, and every invariant checked after each step.
import { type ClientReply, type Event, type ExpectInitial, type Message, type NodeId, type Observation, type Trace, type KvState, EMPTY_KV, MAX_SENT_WINDOW } from '../spec/schema.js';
import { canonicalJson, describeMessage, messageKey } from '../spec/canonical.js';
import type { RuleId } from '../spec/rules.js';
import { alternativesBeyondModel, type Profile } from '../spec/choices.js';
import { type ClusterState, type ClusterStep, anyPrefix, applyEvent, inFlight, initCluster, isShorterForm } from '../model/cluster.js';
import type { NodeState } from '../model/state.js';
import { InvariantChecker, type Violation } from '../model/invariants.js';
import { toJson } from '../model/state.js';
import { compareInFlight, compareLogSuffix, compareObservation } from './observe.js';
import { historyOf, type HistoryStep } from './history.js';
import { checkLinearizable } from './linearizability.js';
import { checkZooKeeper } from './sequential.js';
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
      return `clientRead to ${e.node}: ${e.client}#${e.seq} get ${JSON.stringify(e.key)}${e.after === undefined ? '' : ` after ${e.after}`}`;
    case 'clientSync':
      return `clientSync to ${e.node}: ${e.client}#${e.seq}`;
    case 'snapshot':
      return `snapshot ${e.node}${e.index === undefined ? '' : ` through ${e.index}`}`;
    case 'transferLeadership':
      return `transferLeadership ${e.node} to ${e.target}`;
    case 'partition':
      return `partition ${e.groups.map((g) => `{${g.join(',')}}`).join(' | ')}`;
    case 'cut':
      return `cut ${e.link.join('-')}`;
    case 'heal':
      return e.link ? `heal ${e.link.join('-')}` : 'heal';
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
    case 'sync':
      return `sync from ${r.node} for ${op} at index ${r.index}`;
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
  const initialProblems = trace.expectInitial ? checkExpectInitial(trace.expectInitial, c) : [];
  if (initialProblems.length > 0) return { status: 'fail', steps: 0, failure: { step: -1, event: 'initial state', kind: 'expectation', problems: initialProblems, rules: [] } };
  // What each recent step sent, for sentDuring (at most MAX_SENT_WINDOW steps back).
  const recent = new SentWindow();
  // Kept per client operation (LIN-1 is decided on the whole history), not per step: steps may be streamed (conformance/stream.ts).
  const clientSteps: HistoryStep[] = [];
  const lease = trace.options?.leaseReads ? new LeaseClock() : null;
  // With followerReads the client history is checked against ZooKeeper's guarantees (ZK-1 .. ZK-4), which need the committed log: the entries applied.
  const zk = trace.options?.followerReads === true;
  let total = 0;
  for (const [i, s] of indexed(trace.steps)) {
    total = i + 1;
    const breach = lease?.breach(s.event, (id) => leaseViewOf(c, id));
    if (breach) return { status: 'bad-input', path: `/steps/${i}/event`, expected: breach };
    const r = applyEvent(c, s.event);
    if ('error' in r) return { status: 'bad-input', path: `/steps/${i}/event${'message' in s.event ? '/message' : ''}`, expected: `an event possible in this state: ${r.error}` };
    if (coverage) for (const id of r.rules) coverage.set(id, (coverage.get(id) ?? 0) + 1);
    if (isClientStep(s.event, r, zk)) clientSteps.push(clientStep(i, s.event, r, zk));
    lease?.noteSent(r.sent);
    const violations = checker.check(c, r, i, s.event);
    const prev = c;
    c = r.state;
    const diverged = observer?.afterStep(i, s.event, prev, r);
    if (diverged) return { status: 'fail', steps: i + 1, failure: diverged };
    if (violations.length > 0) {
      return { status: 'fail', steps: i + 1, failure: { step: i, event: describeEvent(s.event), kind: 'invariant', problems: violations.map(describeViolation), rules: r.rules } };
    }
    recent.push(i, r.sent);
    const problems = s.expect ? checkExpect(s.expect, r, (from) => recent.since(from)) : [];
    if (problems.length > 0) return { status: 'fail', steps: i + 1, failure: { step: i, event: describeEvent(s.event), kind: 'expectation', problems, rules: r.rules } };
  }
  const atEnd = observer?.atEnd?.(c, total);
  if (atEnd) return { status: 'fail', steps: total, failure: atEnd };
  return checkClientHistory(clientSteps, total, initialData(trace), zk ? zooKeeperStart(trace) : undefined);
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

/** Whether a step belongs to the client history: it sends or answers a client operation (or, with followerReads, applies entries: ZK-1 .. ZK-4 need the committed log). */
export function isClientStep(e: Event, r: Pick<ClusterStep, 'replies' | 'applied'>, followerReads: boolean): boolean {
  return e.type === 'clientRequest' || e.type === 'clientRead' || e.type === 'clientSync' || r.replies.length > 0 || (followerReads && r.applied.length > 0);
}

/** A step of the client history (with the entries it applied, for ZK-1 .. ZK-4, under followerReads). */
export function clientStep(index: number, event: Event, r: Pick<ClusterStep, 'replies' | 'applied'>, followerReads: boolean): HistoryStep {
  if (!followerReads || r.applied.length === 0) return { index, event, replies: r.replies };
  return { index, event, replies: r.replies, applied: r.applied.map((a) => ({ index: a.index, command: a.command })) };
}

/** What a trace's initial states say of its committed log, for ZK-1 .. ZK-4: where it starts and the entries committed before the first step. */
export interface ZooKeeperStart {
  readonly initial: { readonly index: number; readonly machine: KvState };
  readonly entries: readonly { readonly index: number; readonly command: unknown }[];
}

/**
 * Where a trace's committed log starts for ZK-1 .. ZK-4: the lowest snapshot of the initial states
 * (Figure 2's empty state when a server has none) from which the servers' initially committed log
 * entries continue without a gap, and those entries; a lagging server may read from any state at
 * or after it. (Without initial states: empty, through 0, and no entries.)
 */
export function zooKeeperStart(trace: Pick<Trace, 'cluster' | 'initial'>): ZooKeeperStart {
  const entries = new Map<number, unknown>();
  const snapshots: { index: number; machine: KvState }[] = [];
  for (const id of trace.cluster) {
    const o = trace.initial?.[id] ?? {};
    const base = o.snapshotIndex ?? 0;
    snapshots.push({ index: base, machine: o.snapshotMachine ?? EMPTY_KV });
    const committed = o.commitIndex ?? base;
    (o.log ?? []).forEach((e, k) => {
      if (base + 1 + k <= committed && !entries.has(base + 1 + k)) entries.set(base + 1 + k, e.command);
    });
  }
  snapshots.sort((a, b) => a.index - b.index);
  const last = Math.max(0, ...entries.keys());
  const gapless = (from: number): boolean => {
    for (let i = from + 1; i <= last; i++) if (!entries.has(i)) return false;
    return true;
  };
  const initial = snapshots.find((x) => gapless(x.index)) ?? (snapshots.at(-1) as { index: number; machine: KvState });
  return { initial, entries: [...entries].filter(([i]) => i > initial.index).map(([index, command]) => ({ index, command })) };
}

/**
 * LIN-1, after the last step: the client operations of the run and the answers they got are
 * linearizable. An operation sent twice as two different commands is bad input. With `zooKeeper`
 * (a trace with followerReads: where its committed log starts), ZooKeeper's guarantees instead
 * (ZK-1 .. ZK-4, conformance/sequential.ts), against the entries the steps applied.
 */
export function checkClientHistory(steps: readonly HistoryStep[], total: number, initial: Readonly<Record<string, string>> | undefined, zooKeeper?: ZooKeeperStart): ReplayResult {
  const pass: ReplayResult = { status: 'pass', steps: total };
  if (steps.length === 0) return pass;
  if (zooKeeper !== undefined) return checkZooKeeperHistory(steps, total, zooKeeper);
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

/** ZK-1 .. ZK-4 on the client history of a run with followerReads: reads may be stale, never backwards for a client. */
function checkZooKeeperHistory(steps: readonly HistoryStep[], total: number, start: ZooKeeperStart): ReplayResult {
  const pass: ReplayResult = { status: 'pass', steps: total };
  const h = historyOf(steps, { indexes: true });
  if (h.problems.length > 0) {
    const first = h.problems[0] as string;
    const at = [...first.matchAll(/step (\d+)/g)].at(-1);
    return { status: 'bad-input', path: at ? `/steps/${at[1]}/event` : '/steps', expected: `one command per client operation (client, seq): ${first}` };
  }
  const fail = (problems: string[], rules: RuleId[]): ReplayResult => ({ status: 'fail', steps: total, failure: { step: total - 1, event: 'the client history of the whole trace', kind: 'invariant', problems, rules } });
  // Answers no order can explain (a reply to an operation never sent, for another key): ZK-1's as much as LIN-1's.
  if (h.violations.length > 0) return fail(h.violations.map((v) => `ZK-1 ZooKeeper: linearizable writes violated: ${v}`), ['ZK-1']);
  const entries = [...start.entries, ...steps.flatMap((s) => s.applied ?? [])];
  const r = checkZooKeeper({ operations: h.operations, syncs: h.syncs }, { entries, initial: start.initial });
  switch (r.status) {
    case 'ok': return pass;
    case 'violation': return fail(r.violations.map((v) => `${v.slice(0, v.indexOf(' '))} ZooKeeper's guarantees violated: ${v.slice(v.indexOf(' ') + 1)}`), [...r.rules]);
    case 'unknown': return fail([`ZK-1 ZooKeeper: linearizable writes undecided: ${r.reason} (the history is too concurrent for the search budget; shorten the trace)`], ['ZK-1']);
    case 'bad-input': return fail(r.problems.map((p) => `ZK-2 the committed log of the run cannot be checked against: ${p}`), ['ZK-2']);
  }
}

/**
 * What the steps of a run sent, step by step, as far back as a sentDuring may look
 * (MAX_SENT_WINDOW steps): a replay keeps one, the validator's search one per branch (its own).
 */
export class SentWindow {
  private readonly steps: { step: number; sent: readonly Message[] }[] = [];
  push(step: number, sent: readonly Message[]): void {
    if (sent.length > 0) this.steps.push({ step, sent });
    // Trimmed in halves: the cost stays constant per step.
    if (this.steps.length > 2 * MAX_SENT_WINDOW && (this.steps[0] as { step: number }).step <= step - MAX_SENT_WINDOW) {
      const keep = this.steps.findIndex((x) => x.step > step - MAX_SENT_WINDOW);
      this.steps.splice(0, keep < 0 ? this.steps.length : keep);
    }
  }
  since(from: number): Message[] {
    const out: Message[] = [];
    for (let k = this.steps.length - 1; k >= 0 && (this.steps[k] as { step: number }).step >= from; k--) out.push(...(this.steps[k] as { sent: readonly Message[] }).sent);
    return out;
  }
}

/** The messages of `expected` (with their copies) that `have` does not hold; an AppendEntries may be a shorter form of one sent with any prefix of its entries allowed (DEC-6b). */
export function notContained(expected: readonly Message[], have: readonly Message[]): Message[] {
  const count = new Map<string, number>();
  for (const m of have) count.set(messageKey(m), (count.get(messageKey(m)) ?? 0) + 1);
  const wide = new Map<Message, number>();
  for (const w of have.filter(anyPrefix)) wide.set(w, (wide.get(w) ?? 0) + 1);
  const missing: Message[] = [];
  for (const m of expected) {
    const k = messageKey(m);
    const n = count.get(k) ?? 0;
    if (n > 0) {
      count.set(k, n - 1);
      continue;
    }
    const w = [...wide.keys()].find((x) => (wide.get(x) ?? 0) > 0 && isShorterForm(m, x));
    if (w) wide.set(w, (wide.get(w) ?? 0) - 1);
    else missing.push(m);
  }
  return missing;
}

/** A server's observed fields: the whole fields (compareObservation), the end of its log, and the partial observations. */
function checkNode(id: NodeId, o: Observation, actual: NodeState): string[] {
  const problems: string[] = [];
  // The log is copied out only when the trace observes it.
  const json = toJson(actual, o.log !== undefined || o.logTerms !== undefined);
  for (const m of compareObservation(id, o, json)) problems.push(`${m.node}.${m.field}: expected ${m.expected}, got ${m.actual}`);
  const s = o.logSuffix ? compareLogSuffix(id, o.logSuffix, actual.log, actual.snapshotIndex) : null;
  if (s) problems.push(`${s.node}.log: expected ${s.expected}, got ${s.actual}`);
  if (o.logTerms !== undefined) {
    const want = `[${o.logTerms.join(',')}]`;
    const got = `[${json.log.map((e) => e.term).join(',')}]`;
    if (want !== got) problems.push(`${id}.logTerms: expected ${want}, got ${got}`);
  }
  if (o.logLength !== undefined && o.logLength !== actual.log.lastIndex) problems.push(`${id}.logLength: expected ${o.logLength}, got ${actual.log.lastIndex}`);
  for (const [field, part] of Object.entries(o.partial ?? {}) as [keyof NonNullable<Observation['partial']>, Readonly<Record<string, number>>][]) {
    const map = json[field];
    for (const [peer, want] of Object.entries(part)) {
      const got = map[peer];
      if (got !== want) problems.push(`${id}.${field}[${peer}]: expected ${want}, got ${got === undefined ? 'none' : got}`);
    }
  }
  return problems;
}

/** The expectations on the state before the first step. */
export function checkExpectInitial(expect: ExpectInitial, c: ClusterState): string[] {
  return checkExpect(expect, { state: c, node: null, sent: [], applied: [], replies: [], rules: [] });
}

/**
 * The problems of one step's expectations, in the state `r` reached. `sentSince(from)` gives what
 * was sent from step `from` through this one (for sentDuring; without it, sentDuring is not checked).
 */
export function checkExpect(expect: NonNullable<Trace['steps'][number]['expect']>, r: ClusterStep, sentSince?: (from: number) => readonly Message[]): string[] {
  const problems: string[] = [];
  for (const [id, o] of Object.entries(expect.nodes ?? {})) {
    const actual = r.state.nodes[id];
    if (!actual) continue; // names are checked when the trace is loaded
    problems.push(...checkNode(id, o, actual));
  }
  if (expect.inFlightContains) {
    for (const m of notContained(expect.inFlightContains, inFlight(r.state))) problems.push(`in flight: expected ${messageKey(m)} (in flight contains), which is not in flight`);
  }
  if (expect.sentDuring && sentSince) {
    for (const { from, contains } of expect.sentDuring) {
      for (const m of notContained(contains, sentSince(from))) problems.push(`sent during steps ${from} to this one: expected ${messageKey(m)}, which was not sent then`);
    }
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
