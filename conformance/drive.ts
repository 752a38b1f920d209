// `raftspec drive` (docs/drive.md): an implementation's servers behind an Adapter, in a simulated
// cluster whose network, crashes and schedule raftspec owns. Every step hands one input to one
// server through the adapter; the trace of what the servers did (their observations and sends) is
// then validated by the search of `raftspec validate` (conformance/search.ts), so the
// implementation's own choices at the choice points are accepted. Schedules are drawn as `record`
// and `campaign` draw them (conformance/generate.ts), from the events and options the adapter
// declares; a failure is shrunk to a short schedule and written with the implementation's
// observations, so that `raftspec validate <file>` shows it from the file alone.
import fc from 'fast-check';
import { join } from 'node:path';
import type { BootstrapConfiguration, ClientReply, Configuration, Entry, Event, Message, NodeId, Observation, ProtocolOptions, Step, Trace } from '../spec/schema.js';
import { DEFAULT_OPTIONS } from '../spec/schema.js';
import { AdapterFeatures as AdapterFeaturesSchema, INPUT_TYPES } from '../spec/adapter.js';
import { schemaProblem } from './stdio-adapter.js';
import { canonicalJson, describeMessage, messageKey } from '../spec/canonical.js';
import { bootstrapConfiguration } from '../spec/config.js';
import { nodeInputOf, type NodeInput } from '../spec/input.js';
import { SimNetwork } from './network.js';
import { AdapterFault, type Adapter, type AdapterFeatures, type Hello, type InputType, type StepOutcome } from './adapter.js';
import {
  APPLY_WEIGHT, CLIENT_WEIGHTS, DEFAULT_CLIENTS, DEFAULT_WEIGHTS, RECONFIGURE_WEIGHT, TRANSFER_WEIGHT, choiceSteps, emptyScheduleStats, membershipBootstrap, scheduleArb,
  type Choice, type ClientOptions, type MembershipOptions, type ScheduleStats, type Weights, type World,
} from './generate.js';
import { emptyTotals, regressionFallbackDir, regressionName, tally, writeFileAtomic, writeNewFile, type CampaignTotals } from './campaign.js';
import { checkTrace } from './load.js';
import { describeEvent } from './replay.js';
import { describeResult } from './report.js';
import { ddmin } from './shrink.js';
import { nearest, validateBySearch, type SearchConfig, type SearchResult } from './search.js';
import type { LeaseView } from './lease.js';

// ---------------------------------------------------------------------------------------------
// The adapter as drive uses it

/** What drive cannot work with (a declaration without the two timers): bad input, exit code 2. */
export class DriveInputError extends Error {}

/**
 * Why a hello is not a declaration drive can read, or null: its features are checked against the
 * published schema (spec/adapter.ts), as the stdio transport checks a hello line; an in-process
 * adapter is checked here.
 */
function helloProblem(h: unknown): string | null {
  if (typeof h !== 'object' || h === null) return 'hello returned no object';
  const { name, features } = h as { name?: unknown; features?: unknown };
  if (typeof name !== 'string' || name === '') return 'hello: name must be a non-empty string';
  const problem = schemaProblem(AdapterFeaturesSchema, features, '/features');
  return problem === null ? null : `hello: features break their schema: ${problem}`;
}

/** A request in one line, for a fault's report. */
export function describeRequest(op: string, node?: NodeId, input?: NodeInput): string {
  if (input === undefined) return node === undefined ? op : `${op} ${node}`;
  if ('from' in input) return `${op} ${node}: ${describeMessage(input)}`;
  const { type, ...rest } = input;
  return `${op} ${node}: ${type}${Object.keys(rest).length > 0 ? ` ${canonicalJson(rest)}` : ''}`;
}

/**
 * An adapter whose failures are all AdapterFaults naming the request (an in-process adapter that
 * throws misbehaved, like a child that exits), and whose answers are copies drive may keep.
 */
export function guarded(adapter: Adapter): Adapter {
  // The request is described only when something went wrong (describing every step costs).
  const call = <T>(request: () => string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof AdapterFault) throw e;
      throw new AdapterFault(request(), `the adapter threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return {
    hello: () => {
      const h = call(() => 'hello', () => structuredClone(adapter.hello()));
      const problem = helloProblem(h);
      if (problem) throw new AdapterFault('hello', problem);
      return h;
    },
    start: (servers, options, configuration) => call(() => `start ${servers.join(',')}${Object.keys(options).length > 0 ? ` ${canonicalJson(options)}` : ''}`, () => adapter.start(servers, options, configuration)),
    step: (node, input) => {
      const request = () => describeRequest('step', node, input);
      return call(request, () => outcomeOf(request, adapter.step(node, input)));
    },
    crash: (node) => call(() => describeRequest('crash', node), () => adapter.crash(node)),
    restart: (node) => {
      const request = () => describeRequest('restart', node);
      return call(request, () => outcomeOf(request, adapter.restart(node)));
    },
    observe: (node) => call(() => describeRequest('observe', node), () => {
      const o = adapter.observe(node);
      if (typeof o !== 'object' || o === null) throw new AdapterFault(describeRequest('observe', node), 'observe returned no Observation');
      return structuredClone(o);
    }),
    stop: () => call(() => 'stop', () => adapter.stop()),
  };
}

/** A step's answer, checked for its shape (the trace format checks the rest once the run is recorded). */
function outcomeOf(request: () => string, o: StepOutcome): StepOutcome {
  if (typeof o !== 'object' || o === null) throw new AdapterFault(request(), 'the step returned no outcome');
  if ('error' in o) {
    if (typeof o.error !== 'string') throw new AdapterFault(request(), 'an error outcome must carry a string');
    return { error: o.error };
  }
  if (!Array.isArray(o.sent) || !Array.isArray(o.replies) || typeof o.state !== 'object' || o.state === null) throw new AdapterFault(request(), 'a step outcome needs sent and replies (arrays) and state (an Observation)');
  return structuredClone(o);
}

// ---------------------------------------------------------------------------------------------
// The simulated cluster

/** What the last event did, as drive records it. */
export type LastStep =
  | { readonly kind: 'none' }
  /** An input to a server that is down: lost, nothing sent (DEC-7). */
  | { readonly kind: 'down'; readonly node: NodeId }
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'handled'; readonly node: NodeId; readonly state: Observation; readonly sent: readonly Message[]; readonly replies: readonly ClientReply[] }
  | { readonly kind: 'error'; readonly node: NodeId; readonly error: string };

/** What drive knows of a server: what it last observed (only the fields declared). */
interface View {
  role: string | undefined;
  currentTerm: number;
  commitIndex: number;
  lastApplied: number;
  snapshotIndex: number;
  snapshotConfig: Configuration | null;
  /** The entries after snapshotIndex, from the observed logs (null when logs are not observed). */
  log: Entry[] | null;
}

/**
 * An implementation's cluster as a World (conformance/generate.ts): the network (a multiset of
 * messages in flight; drops, duplicates; a partition loses the messages between its groups, as the
 * model's and ImplWorld's do), who is down and the partition are raftspec's; the servers are the
 * adapter's. The generator's questions (who leads, what a snapshot may cover, which configuration
 * is in force) are answered from what the servers were last observed to be.
 */
export class AdapterWorld implements World {
  private readonly network = new SimNetwork('drive');
  private readonly crashed = new Set<NodeId>();
  private readonly views = new Map<NodeId, View>();
  private readonly bootstrap: Configuration;
  last: LastStep = { kind: 'none' };
  /** The event being applied (set until it is done: after an adapter fault, the event it was at). */
  current: Event | null = null;

  /** Starts the adapter's cluster. `stats` (if given) counts what the observations show: elections, commits, truncations. */
  constructor(
    private readonly adapter: Adapter, private readonly features: AdapterFeatures, readonly servers: readonly NodeId[],
    options: ProtocolOptions = {}, configuration?: BootstrapConfiguration, private readonly stats: ScheduleStats = emptyScheduleStats(),
  ) {
    this.bootstrap = bootstrapConfiguration(servers, configuration);
    const logs = features.observes.includes('log') || features.observes.includes('logSuffix');
    for (const id of servers) this.views.set(id, { role: undefined, currentTerm: 0, commitIndex: 0, lastApplied: 0, snapshotIndex: 0, snapshotConfig: null, log: logs ? [] : null });
    adapter.start(servers, options, configuration);
  }

  isCrashed(id: NodeId) { return this.crashed.has(id); }
  isLeader(id: NodeId) { return !this.crashed.has(id) && this.view(id).role === 'leader'; }
  isFollower(id: NodeId) { return this.view(id).role === 'follower'; }
  groupOf(id: NodeId) { return this.network.groupOf(id); }
  partitioned() { return this.network.partitioned(); }
  /** The lease's clock assumption (conformance/lease.ts) with leaseFloor 0: a server counts as bound at least as long as in the model, never shorter. */
  leaseView(id: NodeId): LeaseView { return { up: !this.crashed.has(id), isLeader: this.isLeader(id), term: this.view(id).currentTerm, leaseFloor: 0 }; }
  snapshotRange(id: NodeId) { const v = this.view(id); return { snapshotIndex: v.snapshotIndex, lastApplied: v.lastApplied }; }
  /** CFG-1 from the observed log: its last configuration entry, else the snapshot's, else the bootstrap configuration. */
  configOf(id: NodeId): Configuration {
    const v = this.view(id);
    const entry = v.log?.findLast((e) => e.config !== undefined);
    return entry?.config ?? v.snapshotConfig ?? this.bootstrap;
  }
  inFlight(): Message[] { return this.network.inFlight(); }
  /** Whether a copy of `m` (by content) is in flight. */
  holds(m: Message): boolean { return this.network.holds(m); }

  apply(event: Event): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    this.current = event;
    const r = this.applyNow(event);
    this.current = null;
    return r;
  }

  private applyNow(event: Event): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    this.last = { kind: 'none' };
    const none = { sent: [], replies: [], rules: [] };
    switch (event.type) {
      case 'crash': {
        this.crashed.add(event.node);
        this.adapter.crash(event.node);
        // PER-1: everything volatile is gone (DEC-7a: commitIndex too).
        const v = this.view(event.node);
        v.role = v.role === undefined ? undefined : 'follower';
        v.commitIndex = v.lastApplied = v.snapshotIndex;
        this.last = { kind: 'crash', node: event.node };
        return none;
      }
      case 'restart': {
        this.crashed.delete(event.node);
        return this.outcome(event.node, this.adapter.restart(event.node));
      }
      case 'deliver':
      case 'drop':
      case 'duplicate':
      case 'partition':
      case 'cut':
      case 'heal': {
        const delivered = this.network.apply(event);
        return delivered === null ? none : this.input(delivered.to, delivered);
      }
      case 'error':
        return none;
      default: {
        // A timer, a client command or read, a snapshot, a transfer, a reconfigure, an apply, an inject.
        const to = nodeInputOf(event);
        return to === null ? none : this.input(to.node, to.input);
      }
    }
  }

  private input(id: NodeId, input: NodeInput): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    // DEC-7: a server that is down gets nothing; a message to it is lost.
    if (this.crashed.has(id)) {
      this.last = { kind: 'down', node: id };
      return { sent: [], replies: [], rules: [] };
    }
    return this.outcome(id, this.adapter.step(id, input));
  }

  private outcome(id: NodeId, o: StepOutcome): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    if ('error' in o) {
      this.last = { kind: 'error', node: id, error: o.error };
      return { sent: [], replies: [], rules: [] };
    }
    for (const m of o.sent) if (this.servers.includes(m.to)) this.network.send(m);
    const state = restrict(o.state, this.features.observes);
    this.observed(id, state, o.sent);
    this.last = { kind: 'handled', node: id, state, sent: o.sent, replies: o.replies };
    return { sent: o.sent, replies: o.replies, rules: [] };
  }

  /** What an observation tells drive of a server, and what it shows happened (for the campaign's counts). */
  private observed(id: NodeId, o: Observation, sent: readonly Message[]): void {
    const v = this.view(id);
    const s = this.stats;
    if (o.role !== undefined && o.role === 'leader' && v.role !== 'leader') s.leadersElected++;
    if (o.role !== undefined) v.role = o.role;
    if (o.currentTerm !== undefined && o.currentTerm > v.currentTerm) s.termChanges++;
    if (o.currentTerm !== undefined) v.currentTerm = o.currentTerm;
    if (o.commitIndex !== undefined && o.commitIndex > v.commitIndex) s.commits++;
    if (o.commitIndex !== undefined) v.commitIndex = o.commitIndex;
    if (o.lastApplied !== undefined) v.lastApplied = o.lastApplied;
    if (o.snapshotConfig !== undefined) v.snapshotConfig = o.snapshotConfig;
    if (o.snapshotIndex !== undefined && o.snapshotIndex !== v.snapshotIndex) {
      if (o.snapshotIndex > v.snapshotIndex) {
        if (sent.some((m) => m.type === 'InstallSnapshotResponse' && m.done)) s.installs++;
        else s.snapshots++;
      }
      if (v.log !== null) v.log = o.snapshotIndex > v.snapshotIndex ? v.log.slice(o.snapshotIndex - v.snapshotIndex) : [];
      v.snapshotIndex = o.snapshotIndex;
    }
    if (v.log === null) return;
    const from = o.log !== undefined ? v.snapshotIndex + 1 : o.logSuffix?.from;
    const entries = o.log ?? o.logSuffix?.entries;
    if (from === undefined || entries === undefined) return;
    // The observed suffix replaces the log from its first index on, in place: the cost is the
    // suffix's, not the log's (logSuffix observations keep a step's cost to what it changed).
    const log = v.log;
    const at = Math.max(0, from - 1 - v.snapshotIndex);
    const skip = Math.max(0, v.snapshotIndex + 1 - from); // observed entries at or below the snapshot
    const fresh = entries.length - skip;
    let truncated = false;
    for (let k = at; k < log.length; k++) {
      const e = entries[skip + k - at];
      // AE-3: an entry the log held replaced by another term, or cut off.
      if (e === undefined || e.term !== (log[k] as Entry).term) { truncated = true; break; }
    }
    if (truncated) s.truncations++;
    const held = Math.max(0, log.length - at);
    if (v.role === 'leader') for (let k = skip + held; k < entries.length; k++) if ((entries[k] as Entry).config !== undefined) { s.reconfigurations++; break; }
    log.length = Math.min(log.length, at);
    for (let k = 0; k < fresh; k++) log.push(entries[skip + k] as Entry);
  }

  private view(id: NodeId): View {
    const v = this.views.get(id);
    if (!v) throw new Error(`unknown server ${id}`); // the generator names only the cluster's servers
    return v;
  }
}

/** The fields an adapter declares it observes (the others stay open in the search); the log's end with the log. */
export function restrict(o: Observation, observes: readonly (keyof Observation)[]): Observation {
  const out: Record<string, unknown> = {};
  const logs = observes.includes('log') || observes.includes('logSuffix');
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (observes.includes(k as keyof Observation) || ((k === 'log' || k === 'logSuffix') && logs)) out[k] = v;
  }
  return out as Observation;
}

// ---------------------------------------------------------------------------------------------
// Recording: events through the adapter, its observations after each step

/** A run's setting: the cluster, the options, the clients and membership changes. */
export interface RunSetting {
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  readonly clients?: ClientOptions;
  readonly membership?: MembershipOptions;
}

/** The adapter broke the protocol at `step` of a run; `trace` holds the events up to and including that step. */
export class AdapterFaultAt extends Error {
  constructor(readonly fault: AdapterFault, readonly step: number, readonly trace: Trace) {
    super(fault.message);
  }
}

/** Records steps from what the world's last event did. */
class Recorder {
  readonly steps: Step[] = [];
  ended = false;

  constructor(private readonly world: AdapterWorld, private readonly features: AdapterFeatures, private readonly adapter: Adapter) {}

  /** After an event: its step (and, on an implementation error, the error event that ends the trace). */
  note(event: Event): void {
    const l = this.world.last;
    const partial = this.features.sent === 'partial' ? { sentPartial: true as const } : {};
    switch (l.kind) {
      case 'none':
      case 'crash':
        this.steps.push({ event });
        return;
      case 'down':
        // The tool knows a server that is down sends nothing and answers no one.
        this.steps.push({ event, expect: { replies: [] }, sent: [] });
        return;
      case 'error':
        this.steps.push({ event }, { event: { type: 'error', node: l.node, message: l.error } });
        this.ended = true;
        return;
      case 'handled': {
        const nodes = Object.keys(l.state).length > 0 ? { nodes: { [l.node]: l.state } } : {};
        this.steps.push({ event, expect: { ...nodes, replies: [...l.replies] }, sent: [...l.sent], ...partial });
      }
    }
  }

  /** After the last step: every server that is up, observed in full (its whole log). */
  finish(): void {
    if (this.ended || this.steps.length === 0) return;
    const last = this.steps[this.steps.length - 1] as Step;
    const nodes: Record<NodeId, Observation> = { ...(last.expect?.nodes ?? {}) };
    for (const id of this.world.servers) {
      if (this.world.isCrashed(id)) continue;
      const o = restrict(this.adapter.observe(id), this.features.observes);
      if (Object.keys(o).length > 0) nodes[id] = o;
    }
    if (Object.keys(nodes).length > 0) this.steps[this.steps.length - 1] = { ...last, expect: { ...(last.expect ?? {}), nodes } };
  }
}

/** The trace's fields before its steps. */
function header(setting: RunSetting, name: string, configuration: BootstrapConfiguration | undefined): Omit<Trace, 'steps'> {
  return {
    format: 'raft-trace', version: 1, name,
    cluster: [...setting.servers],
    ...(setting.options && Object.keys(setting.options).length > 0 ? { options: setting.options } : {}),
    ...(configuration ? { configuration } : {}),
  };
}

/** The generator's weights for what the adapter declares: an event it does not declare is never drawn. */
export function driveWeights(events: readonly InputType[], setting: RunSetting): Weights {
  const base = setting.clients ? CLIENT_WEIGHTS : DEFAULT_WEIGHTS;
  const has = (t: InputType) => events.includes(t);
  return {
    ...base,
    clientRequest: has('clientRequest') ? base.clientRequest : 0,
    clientRead: setting.clients && has('clientRead') ? base.clientRead : 0,
    snapshot: has('snapshot') ? base.snapshot || CLIENT_WEIGHTS.snapshot : 0,
    transferLeadership: has('transferLeadership') && setting.options?.leadershipTransfer ? TRANSFER_WEIGHT : 0,
    reconfigure: has('reconfigure') && setting.membership ? RECONFIGURE_WEIGHT : 0,
    apply: has('apply') ? APPLY_WEIGHT : 0,
  };
}

/**
 * One schedule through the adapter, from a fresh `start`: the events the choices give (only those
 * the adapter declares), each recorded with the handling server's observation, `sent` and the
 * replies; after the last, every server that is up in full. Ends early at an implementation error
 * (an `error` event). Throws AdapterFaultAt when the adapter breaks the protocol.
 */
export function recordDrive(adapter: Adapter, features: AdapterFeatures, setting: RunSetting, choices: readonly Choice[], name: string): { trace: Trace; stats: ScheduleStats } {
  const configuration = setting.membership ? membershipBootstrap(setting.servers, setting.membership) : undefined;
  const head = header(setting, name, configuration);
  const stats = emptyScheduleStats();
  let world: AdapterWorld | null = null;
  let recorder: Recorder | null = null;
  try {
    world = new AdapterWorld(adapter, features, setting.servers, setting.options, configuration, stats);
    recorder = new Recorder(world, features, adapter);
    const g = {
      servers: setting.servers, weights: driveWeights(features.events, setting),
      ...(setting.options ? { options: setting.options } : {}), ...(setting.clients ? { clients: setting.clients } : {}), ...(setting.membership ? { membership: setting.membership } : {}),
    };
    for (const { event } of choiceSteps(world, choices, g, stats)) {
      recorder.note(event);
      if (recorder.ended) break;
    }
    recorder.finish();
    return { trace: { ...head, steps: recorder.steps }, stats };
  } catch (e) {
    if (!(e instanceof AdapterFault)) throw e;
    throw faultAt(e, head, recorder, world?.current ?? null);
  }
}

/** A fault with the schedule so far: the steps recorded, then the event the adapter failed at (if any). */
function faultAt(e: AdapterFault, head: Omit<Trace, 'steps'>, recorder: Recorder | null, current: Event | null): AdapterFaultAt {
  const steps = [...(recorder?.steps ?? []), ...(current ? [{ event: current }] : [])];
  return new AdapterFaultAt(e, Math.max(0, steps.length - 1), { ...head, steps });
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * The recorded trace as `raftspec validate` would read it from a file (written and read back,
 * checked against the format), validated by search. A recorded trace the format refuses holds
 * something the adapter answered out of protocol: an adapter fault at that step.
 */
export function validateRecorded(trace: Trace, search: SearchConfig = {}): SearchResult {
  const loaded = checkTrace(JSON.parse(JSON.stringify(trace)));
  if (!loaded.ok) {
    const step = Number(/^\/steps\/(\d+)/.exec(loaded.error.path)?.[1] ?? 0);
    const s = trace.steps[step];
    throw new AdapterFaultAt(new AdapterFault(s ? `the answer to ${describeEvent(s.event)}` : 'start', `the answer breaks the trace format at ${loaded.error.path || '/'}: ${loaded.error.expected}`), step, { ...trace, steps: trace.steps.slice(0, step + 1) });
  }
  return validateBySearch(loaded.trace, search);
}

/**
 * How a validation fails, for shrinking: the kind, and what the first problem is about (a field,
 * `sent`, a message no behaviour sent, an invariant, the implementation's error), with nodes and
 * numbers left out. Null for a pass or an undecided result.
 */
export function searchSignature(r: SearchResult): string | null {
  if (r.status === 'pass' || r.status === 'undecided') return null;
  if (r.status === 'bad-input') return `bad-input ${r.path.replace(/\d+/g, 'N')}`;
  const first = r.failure.problems[0] ?? '';
  const field = /^\S+?\.(\w+)(?:\[[^\]]*\])?: expected /.exec(first)?.[1];
  const what = field ?? (first.startsWith('sent:') ? `sent ${/which no permitted behaviour sends/.test(first) ? 'unexplained' : 'missing'}`
    : first.startsWith('the implementation failed') ? 'error'
      : / of a message no permitted behaviour sent/.test(first) ? first.split(':')[0] as string
        : (first.split(' ')[0] as string).replace(/\d+/g, 'N'));
  return `${r.failure.kind} ${what}`;
}

// ---------------------------------------------------------------------------------------------
// Replaying a given schedule (bundled traces, a fault's schedule, a shrinking candidate)

export type ReplayOutcome =
  | { readonly status: 'diverged'; readonly step: number; readonly event: string; readonly reason: string }
  | { readonly status: 'recorded'; readonly trace: Trace };

/**
 * The events of a trace through the adapter, recorded as recordDrive records: every event as
 * written. A deliver, drop or duplicate of a message the implementation did not send (not in
 * flight now) ends it as diverged at that step, with the nearest message it did send. With
 * `delayedCopies`, an inject must hand over a copy of a message sent earlier in this run (a
 * shrunk schedule stays an execution that can happen).
 */
export function replayEvents(adapter: Adapter, features: AdapterFeatures, t: Pick<Trace, 'cluster' | 'options' | 'configuration'>, events: readonly Event[], name: string, delayedCopies = false): ReplayOutcome {
  const setting: RunSetting = { servers: t.cluster, ...(t.options ? { options: t.options } : {}) };
  const head = header(setting, name, t.configuration);
  let world: AdapterWorld | null = null;
  let recorder: Recorder | null = null;
  try {
    world = new AdapterWorld(adapter, features, t.cluster, t.options, t.configuration);
    recorder = new Recorder(world, features, adapter);
    const sentEver: Message[] = [];
    for (const [k, e] of events.entries()) {
      if (e.type === 'error') continue;
      const diverged = impossible(world, e, sentEver, delayedCopies);
      if (diverged) return { status: 'diverged', step: k, event: describeEvent(e), reason: diverged };
      const r = world.apply(e);
      sentEver.push(...r.sent);
      if (sentEver.length > 4096) sentEver.splice(0, sentEver.length - 4096);
      recorder.note(e);
      if (recorder.ended) break;
    }
    recorder.finish();
    return { status: 'recorded', trace: { ...head, steps: recorder.steps } };
  } catch (e) {
    if (!(e instanceof AdapterFault)) throw e;
    throw faultAt(e, head, recorder, world?.current ?? null);
  }
}

/** Why `e` cannot happen in this run of the implementation, or null. */
function impossible(world: AdapterWorld, e: Event, sentEver: readonly Message[], delayedCopies: boolean): string | null {
  switch (e.type) {
    case 'deliver':
    case 'drop':
    case 'duplicate': {
      if (world.holds(e.message)) return null;
      const found = nearest(e.message, [...world.inFlight(), ...[...sentEver].reverse()], 'the implementation sent');
      const near = found === null ? null : `${describeMessage(found.message)} (${found.diff})`;
      return `the implementation did not send ${describeMessage(e.message)} (it is not in flight)${near ? `; the nearest it sent: ${near}` : `; it sent no ${e.message.type} from ${e.message.from} to ${e.message.to}`}`;
    }
    case 'inject':
      return delayedCopies && !sentEver.some((m) => messageKey(m) === messageKey(e.message)) ? `the inject is no copy of a message the implementation sent: ${describeMessage(e.message)}` : null;
    case 'crash':
      return world.isCrashed(e.node) ? `${e.node} is down already` : null;
    case 'restart':
      return world.isCrashed(e.node) ? null : `${e.node} is not down`;
    default:
      return null;
  }
}


// ---------------------------------------------------------------------------------------------
// Campaigns

export interface DriveConfig {
  readonly seed: number;
  readonly count: number;
  readonly steps: number;
  readonly servers: readonly NodeId[];
  /** Where a shrunk failure and a fault's schedule are written; nothing is written when absent. */
  readonly outDir?: string;
  /** The command line, for a regression's `source`. */
  readonly command?: string;
  /** After each schedule (not while shrinking). */
  readonly onProgress?: (done: number) => void;
}

export interface DriveTotals extends CampaignTotals {
  /** Schedules the search could not decide (more explanations than its frontier holds). */
  undecided: number;
  /** How many distinct option sets the schedules ran under, and how many schedules had any option on. */
  optionSets: number;
  withOptions: number;
}

export interface DriveFailure {
  readonly report: string;
  /** The shrunk trace (events and the implementation's observations) and what validate says of it. */
  readonly trace: Trace;
  readonly result: SearchResult;
  readonly foundSteps: number;
  readonly setting: RunSetting;
  /** fast-check's path to the failing schedule. */
  readonly path: string;
  readonly file: string | null;
  readonly writeError: string | null;
  /** Candidate schedules run while shrinking. */
  readonly runs: number;
}

/** The adapter broke the protocol: the one line to print, and where the schedule so far went. */
export interface DriveFault {
  readonly line: string;
  readonly file: string | null;
  readonly writeError: string | null;
  readonly trace: Trace;
}

export interface DriveCampaignResult {
  readonly hello: Hello;
  readonly totals: DriveTotals;
  /** The alternatives the search saw taken, summed over the schedules (alternative ID -> steps). */
  readonly taken: Readonly<Record<string, number>>;
  /** Declared alternatives (features.profile) that some trace contradicts: "declared DEC-3a, took DEC-3b (4 steps in 1 trace, ...)". */
  readonly contradicted: readonly string[];
  readonly undecided: readonly string[];
  readonly failure: DriveFailure | null;
  readonly fault: DriveFault | null;
}

/** The protocol options campaigns draw: each declared option on or off, numeric ones at a few values; none at all a quarter of the time. */
export function optionSetArb(declared: readonly (keyof ProtocolOptions)[]): fc.Arbitrary<ProtocolOptions> {
  const values: Partial<Record<keyof ProtocolOptions, fc.Arbitrary<unknown>>> = {};
  for (const o of declared) {
    if (o === 'maxEntriesPerAppendEntries') values[o] = fc.constantFrom(undefined, 2, 4);
    else if (o === 'snapshotChunkSize') values[o] = fc.constantFrom(undefined, 16, 48);
    else if (o === 'flowControlWindow') values[o] = fc.constantFrom(undefined, 1, 3);
    else values[o] = fc.boolean();
  }
  const some = fc.record(values as Record<string, fc.Arbitrary<unknown>>).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== false)) as ProtocolOptions);
  return fc.oneof({ arbitrary: fc.constant({}), weight: 1 }, { arbitrary: some, weight: 3 });
}

/** The setting of each schedule: options drawn from the declared ones; clients when reads are declared; membership changes half the time when declared and logs are observed. */
function settingArb(features: AdapterFeatures, servers: readonly NodeId[]): fc.Arbitrary<RunSetting> {
  const clients = features.events.includes('clientRead');
  const membership = features.events.includes('reconfigure') && (features.observes.includes('log') || features.observes.includes('logSuffix'));
  return fc.record({ options: optionSetArb(features.options), membership: membership ? fc.boolean() : fc.constant(false) }).map(({ options, membership: m }) => ({
    servers, ...(Object.keys(options).length > 0 ? { options } : {}), ...(clients ? { clients: DEFAULT_CLIENTS } : {}), ...(m ? { membership: {} } : {}),
  }));
}

/** The hello, checked for what drive needs: the two timers (without them no leader is ever elected). */
export function helloOf(adapter: Adapter): Hello {
  const hello = adapter.hello();
  const missing = (['electionTimeout', 'heartbeatTimeout'] as const).filter((t) => !hello.features.events.includes(t));
  if (missing.length > 0) throw new DriveInputError(`the adapter ${JSON.stringify(hello.name)} declares no ${missing.join(' or ')} event; drive draws schedules of timers, messages and the events declared, and without both timers no leader is ever elected`);
  return hello;
}

/**
 * A campaign: `count` schedules of `steps / 2` to `steps` events, each with an option set drawn
 * from the declared options, each run from a fresh `start` and validated by search. The first
 * failing schedule is shrunk (its choices, then its events; each candidate run from a fresh
 * `start`) and written with the implementation's observations. An adapter fault ends the
 * campaign, its schedule so far written.
 */
export function driveCampaign(raw: Adapter, cfg: DriveConfig): DriveCampaignResult {
  const adapter = guarded(raw);
  let hello: Hello;
  try {
    hello = helloOf(adapter);
  } catch (e) {
    if (!(e instanceof AdapterFault)) throw e;
    const fault = faultOf(new AdapterFaultAt(e, 0, { ...header({ servers: cfg.servers }, `adapter-fault-seed${cfg.seed}`, undefined), steps: [] }), cfg, null);
    return { hello: { name: '(no hello)', features: { events: [], options: [], observes: [], sent: 'all' } }, totals: { ...emptyTotals(), undecided: 0, optionSets: 0, withOptions: 0 }, taken: {}, contradicted: [], undecided: [], failure: null, fault };
  }
  const features = hello.features;
  const totals: DriveTotals = { ...emptyTotals(), undecided: 0, optionSets: 0, withOptions: 0 };
  const optionSets = new Set<string>();
  const taken = new Map<string, number>();
  const contradicted = new Contradictions();
  const undecided: string[] = [];
  let caught: { error: unknown; schedule: number } | null = null;
  let k = 0;
  const property = fc.property(scheduleArb(Math.max(1, Math.floor(cfg.steps / 2)), cfg.steps), settingArb(features, cfg.servers), (choices, setting) => {
    const schedule = ++k;
    try {
      const { trace, stats } = recordDrive(adapter, features, setting, choices, `drive-seed${cfg.seed}-${schedule}`);
      tally(totals, stats);
      optionSets.add(canonicalJson(setting.options ?? {}));
      if (setting.options) totals.withOptions++;
      const r = validateRecorded(trace);
      for (const [id, n] of Object.entries('taken' in r ? r.taken ?? {} : {})) taken.set(id, (taken.get(id) ?? 0) + n);
      contradicted.note(contradictedIn(trace, features, r));
      cfg.onProgress?.(totals.traces);
      if (r.status === 'undecided') {
        totals.undecided++;
        undecided.push(`schedule ${schedule}: ${r.reason}`);
        return true;
      }
      return r.status === 'pass';
    } catch (error) {
      caught = { error, schedule };
      return false; // endOnFailure: the campaign stops here
    }
  });
  const out = fc.check(property, { seed: cfg.seed, numRuns: cfg.count, endOnFailure: true });
  totals.optionSets = optionSets.size;
  const takenAll = Object.fromEntries([...taken].sort((a, b) => a[0].localeCompare(b[0])));
  const base = { hello, totals, taken: takenAll, contradicted: contradicted.lines(), undecided };
  const thrown = caught as { error: unknown; schedule: number } | null;
  if (thrown !== null) {
    if (!(thrown.error instanceof AdapterFaultAt)) throw thrown.error;
    return { ...base, failure: null, fault: faultOf(thrown.error, cfg, `schedule ${thrown.schedule}`) };
  }
  if (!out.failed || !out.counterexample) return { ...base, failure: null, fault: null };
  const [choices, setting] = out.counterexample as [Choice[], RunSetting];
  try {
    return { ...base, failure: shrinkFailure(adapter, features, setting, choices, out.counterexamplePath ?? '', cfg, hello), fault: null };
  } catch (e) {
    if (!(e instanceof AdapterFaultAt)) throw e;
    return { ...base, failure: null, fault: faultOf(e, cfg, 'a schedule tried while shrinking') };
  }
}

/**
 * The alternatives the adapter declares (features.profile) that a trace contradicts: the search
 * saw the other alternative taken, and with the declared one pinned no run explains the trace. (The
 * pin confirms it: where one alternative accepts all another does, DEC-6b, the search counts the
 * wider one taken without trying the other.)
 */
function contradictedIn(trace: Trace, features: AdapterFeatures, r: SearchResult): { declared: string; took: string; steps: number }[] {
  const out: { declared: string; took: string; steps: number }[] = [];
  if (r.status !== 'pass') return out;
  for (const [point, letter] of Object.entries(features.profile ?? {})) {
    for (const [id, n] of Object.entries(r.taken ?? {})) {
      if (id.slice(0, -1) !== point || id.slice(-1) === letter) continue;
      const pinned = validateRecorded(trace, { pin: { [point]: [letter] } });
      if (pinned.status === 'fail') out.push({ declared: `${point}${letter}`, took: id, steps: n });
    }
  }
  return out;
}

/** Contradictions over several traces, one line each: "declared DEC-3a, took DEC-3b (4 steps in 2 traces)". */
class Contradictions {
  private readonly seen = new Map<string, { steps: number; traces: number }>();
  note(found: readonly { declared: string; took: string; steps: number }[]): void {
    for (const c of found) {
      const key = `declared ${c.declared}, took ${c.took}`;
      const x = this.seen.get(key) ?? { steps: 0, traces: 0 };
      this.seen.set(key, { steps: x.steps + c.steps, traces: x.traces + 1 });
    }
  }
  lines(): string[] {
    return [...this.seen].sort((a, b) => a[0].localeCompare(b[0])).map(([k, x]) => `${k} (${x.steps} step${x.steps === 1 ? '' : 's'} in ${x.traces} trace${x.traces === 1 ? '' : 's'}, which no run with ${k.slice(9, k.indexOf(','))} explains)`);
  }
}

const MAX_SHRINK_RUNS = 1500;

/** Shrinks a failing schedule: its choices first (later events adapt), then its events (each removal kept only if every event stays possible); each candidate from a fresh start, failing the same way. */
function shrinkFailure(adapter: Adapter, features: AdapterFeatures, setting: RunSetting, choices: readonly Choice[], path: string, cfg: DriveConfig, hello: Hello): DriveFailure {
  const name = `drive-seed${cfg.seed}`;
  const found = recordDrive(adapter, features, setting, choices, name).trace;
  const first = validateRecorded(found);
  const signature = searchSignature(first);
  if (signature === null) throw new Error(`drive: the failing schedule passes when run again (${first.status}): is the adapter deterministic?`);
  const eventsNeeded = (t: Trace, r: SearchResult) => t.steps.slice(0, 'steps' in r ? r.steps : t.steps.length).filter((s) => s.event.type !== 'error').length;
  let best = { trace: found, result: first };
  const bySchedule = ddmin(choices.slice(0, eventsNeeded(found, first)), (cs) => {
    const { trace } = recordDrive(adapter, features, setting, cs, name);
    const r = validateRecorded(trace);
    if (searchSignature(r) !== signature) return null;
    best = { trace, result: r };
    return eventsNeeded(trace, r);
  }, MAX_SHRINK_RUNS);
  const events = best.trace.steps.map((s) => s.event).filter((e) => e.type !== 'error');
  const byEvents = ddmin(events.slice(0, eventsNeeded(best.trace, best.result)), (es) => {
    const r0 = replayEvents(adapter, features, best.trace, es, name, true);
    if (r0.status === 'diverged') return null;
    const r = validateRecorded(r0.trace);
    if (searchSignature(r) !== signature) return null;
    best = { trace: r0.trace, result: r };
    return eventsNeeded(r0.trace, r);
  }, MAX_SHRINK_RUNS);
  // The shrunk trace, recorded once more from its events alone (what the file will hold).
  const final = replayEvents(adapter, features, best.trace, byEvents.items, name, true);
  const trace = final.status === 'recorded' ? final.trace : best.trace;
  const result = final.status === 'recorded' ? validateRecorded(trace) : best.result;
  const report = describeResult(result);
  const named: Trace = {
    ...trace,
    name: `drive-regression-seed${cfg.seed}`,
    source: `${cfg.command ?? 'raftspec drive'}: fast-check seed ${cfg.seed}, path "${path}", ${setting.servers.length} servers${setting.options ? `, options ${JSON.stringify(setting.options)}` : ''}${setting.clients ? ', with clients' : ''}${setting.membership ? ', with membership changes' : ''}; recorded by ${hello.name}; shrunk from ${found.steps.length} steps`,
    description: `The implementation's own observations (recorded by raftspec drive from ${hello.name}) on a schedule shrunk from ${found.steps.length} steps. raftspec validate reproduces the failure from this file alone. First failure: ${report.replace(/\n\s*/g, ' | ')}`,
  };
  const written = cfg.outDir ? writeRegression(cfg, setting, named) : { file: null, writeError: null };
  return { report, trace: named, result, foundSteps: found.steps.length, setting, path, ...written, runs: bySchedule.runs + byEvents.runs + 2 };
}

/** Writes the regression under a name with every parameter of the campaign (never over a different file); to the temporary folder's raftspec-regressions when outDir cannot be written. */
function writeRegression(cfg: DriveConfig, setting: RunSetting, trace: Trace): { file: string | null; writeError: string | null } {
  const name = `drive-${regressionName({ seed: cfg.seed, count: cfg.count, steps: cfg.steps, servers: cfg.servers, ...(setting.options ? { options: setting.options } : {}), ...(setting.clients ? { clients: setting.clients } : {}), ...(setting.membership ? { membership: setting.membership } : {}) })}`;
  const text = `${JSON.stringify(trace, null, 2)}\n`;
  const dir = cfg.outDir as string;
  try {
    return { file: writeNewFile(dir, name, text), writeError: null };
  } catch (e) {
    let writeError = `could not write ${join(dir, `${name}.json`)}: ${oneLine(e)}`;
    try {
      return { file: writeNewFile(regressionFallbackDir(), name, text), writeError };
    } catch (e2) {
      writeError += `; nor the fallback ${join(regressionFallbackDir(), `${name}.json`)}: ${oneLine(e2)}`;
      return { file: null, writeError };
    }
  }
}

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] as string;

/**
 * The one line of a fault, and its schedule so far written to `<out>/<fileName>.json` (a trace of
 * the events up to and including the one the adapter failed at). `where` names the schedule; null
 * for a fault at the hello, before any schedule (nothing is written then).
 */
function faultOf(f: AdapterFaultAt, cfg: { outDir?: string; seed?: number }, where: string | null, fileName = `adapter-fault-seed${cfg.seed ?? 0}`): DriveFault {
  const line = `adapter fault ${where === null ? 'at the hello' : `at step ${f.step} of ${where}`} (request: ${f.fault.request}): ${oneLine(f.fault)}`;
  const trace: Trace & { 'x-adapterFault': string } = { ...f.trace, name: fileName, description: `The schedule up to an adapter fault: ${line}`, 'x-adapterFault': line };
  if (!cfg.outDir || where === null) return { line, file: null, writeError: null, trace };
  const file = join(cfg.outDir, `${fileName}.json`);
  try {
    writeFileAtomic(file, `${JSON.stringify(trace, null, 2)}\n`);
    return { line, file, writeError: null, trace };
  } catch (e) {
    return { line, file: null, writeError: `could not write ${file}: ${oneLine(e)}`, trace };
  }
}

// ---------------------------------------------------------------------------------------------
// Replaying traces against the implementation

export type TraceReplay =
  | { readonly file: string; readonly status: 'skipped'; readonly reason: string }
  | { readonly file: string; readonly status: 'diverged'; readonly step: number; readonly event: string; readonly reason: string }
  | { readonly file: string; readonly status: 'pass' | 'fail' | 'undecided' | 'bad-input'; readonly result: SearchResult; readonly recorded: Trace; readonly written?: string };

export interface DriveReplayResult {
  readonly hello: Hello;
  readonly results: readonly TraceReplay[];
  readonly summary: { replayed: number; passed: number; failed: number; diverged: number; undecided: number; skipped: number };
  readonly taken: Readonly<Record<string, number>>;
  readonly contradicted: readonly string[];
  readonly fault: DriveFault | null;
}

/** Why the adapter cannot replay this trace (an initial state, an event or an option it does not declare), or null. */
export function unsupported(t: Trace, features: AdapterFeatures): string | null {
  if (t.initial !== undefined) return 'it starts from an initial state (`initial`), which an adapter cannot be given';
  const events = [...new Set(t.steps.map((s) => s.event.type))].filter((e) => (INPUT_TYPES as readonly string[]).includes(e) && !features.events.includes(e as InputType));
  if (events.length > 0) return `it has ${events.join(', ')} events, which the adapter does not declare`;
  if (t.steps.some((s) => s.event.type === 'error')) return 'it records an implementation error';
  const options = Object.entries(t.options ?? {}).filter(([k, v]) => v !== DEFAULT_OPTIONS[k as keyof ProtocolOptions] && !features.options.includes(k as keyof ProtocolOptions)).map(([k]) => k);
  if (options.length > 0) return `it needs the option${options.length === 1 ? '' : 's'} ${options.join(', ')}, which the adapter does not declare`;
  return null;
}

/**
 * Each trace's events through the adapter (those it can replay; the others skipped with the
 * reason), the implementation's observations recorded and validated by search. A trace whose
 * schedule names a message the implementation did not send is `diverged` at that step: another
 * schedule, not a failure. A failing replay's recording is written to `outDir`.
 */
export function driveReplay(raw: Adapter, traces: readonly { file: string; trace: Trace }[], cfg: { outDir?: string; onProgress?: (done: number) => void }): DriveReplayResult {
  const adapter = guarded(raw);
  const empty = { replayed: 0, passed: 0, failed: 0, diverged: 0, undecided: 0, skipped: 0 };
  let hello: Hello;
  try {
    hello = helloOf(adapter);
  } catch (e) {
    if (!(e instanceof AdapterFault)) throw e;
    return { hello: { name: '(no hello)', features: { events: [], options: [], observes: [], sent: 'all' } }, results: [], summary: empty, taken: {}, contradicted: [], fault: faultOf(new AdapterFaultAt(e, 0, { format: 'raft-trace', version: 1, cluster: ['s1'], steps: [] }), cfg, null) };
  }
  const results: TraceReplay[] = [];
  const summary = { ...empty };
  const taken = new Map<string, number>();
  const contradicted = new Contradictions();
  for (const { file, trace } of traces) {
    const reason = unsupported(trace, hello.features);
    if (reason) {
      results.push({ file, status: 'skipped', reason });
      summary.skipped++;
      continue;
    }
    // A file name from the trace's name (a free string) or its file's.
    const name = `replay-${(trace.name ?? file.replace(/^.*[\\/]/, '').replace(/\.json$/, '')).replace(/[^A-Za-z0-9._-]+/g, '-')}`;
    let r: ReplayOutcome;
    let result: SearchResult;
    try {
      r = replayEvents(adapter, hello.features, trace, trace.steps.map((s) => s.event), name);
      result = r.status === 'recorded' ? validateRecorded(r.trace) : { status: 'pass', steps: 0 };
    } catch (e) {
      if (!(e instanceof AdapterFaultAt)) throw e;
      return { hello, results, summary, taken: Object.fromEntries(taken), contradicted: contradicted.lines(), fault: faultOf(e, cfg, file, `adapter-fault-${name}`) };
    }
    summary.replayed++;
    cfg.onProgress?.(summary.replayed + summary.skipped);
    if (r.status === 'diverged') {
      results.push({ file, ...r });
      summary.diverged++;
      continue;
    }
    for (const [id, n] of Object.entries('taken' in result ? result.taken ?? {} : {})) taken.set(id, (taken.get(id) ?? 0) + n);
    contradicted.note(contradictedIn(r.trace, hello.features, result));
    const status = result.status;
    if (status === 'pass') summary.passed++;
    else if (status === 'undecided') summary.undecided++;
    else summary.failed++;
    let written: string | undefined;
    if (status !== 'pass' && status !== 'undecided' && cfg.outDir) {
      // The implementation's recording, so that `raftspec validate` shows the failure from it alone.
      try {
        written = writeNewFile(cfg.outDir, name, `${JSON.stringify({ ...r.trace, source: `raftspec drive: the events of ${file}, recorded by ${hello.name}` }, null, 2)}\n`);
      } catch {
        written = undefined;
      }
    }
    results.push({ file, status, result, recorded: r.trace, ...(written ? { written } : {}) });
  }
  const takenAll = Object.fromEntries([...taken].sort((a, b) => a[0].localeCompare(b[0])));
  return { hello, results, summary, taken: takenAll, contradicted: contradicted.lines(), fault: null };
}
