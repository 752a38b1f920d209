// The lockstep runner: the model and the implementation driven by the same events. After every
// step it compares, on the server that handled the event, every field of the state, the messages
// sent (in order) and the entries applied; at the first divergence it stops with a report.
//
// Comparison is incremental, so a step costs what it changes, not the length of the logs: scalar
// fields are compared directly, per-peer maps in O(peers), and the log from the lowest index either
// side changed (the model's persistent Log knows what it shares with its previous version, the
// implementation reports its lowest written index). At the end of a trace every log is compared
// in full once, which also catches a change the implementation failed to report.
import { type ClientReply, type Entry, type Event, type Message, type NodeId, type Observation, type ProtocolOptions, type Trace, EMPTY_KV } from '../spec/schema.js';
import { canonicalJson, describeMessage, sameCommand, sameMessage } from '../spec/canonical.js';
import type { RuleId } from '../spec/rules.js';
import type { ClusterState, ClusterStep } from '../model/cluster.js';
import type { Log } from '../model/log.js';
import { type NodeState, leaderView } from '../model/state.js';
import { RaftNode, type HardState, type Persisted, type Ready, type RaftConfig, type Snapshot } from '../impl/index.js';
import { nodeInputOf } from '../spec/input.js';
import type { Profile } from '../spec/choices.js';
import { describeEvent, describeReply, replay, type Failure, type ReplayResult, type StepObserver } from './replay.js';
import { profileOf } from '../spec/choices.js';
import type { StreamTrace } from './stream.js';

/** The implementation as the runner sees it: RaftNode, or a variant of it (tests inject bugs this way). */
export interface ImplFactory {
  create(config: RaftConfig, initial?: Observation): RaftNode;
  restart(config: RaftConfig, persisted: Persisted): RaftNode;
}

export const REAL_IMPL: ImplFactory = {
  create: (config, initial) => new RaftNode(config, initial),
  restart: (config, persisted) => RaftNode.restart(config, persisted),
};

export interface Divergence {
  readonly step: number;
  readonly event: string;
  readonly node: NodeId;
  readonly field: string;
  readonly model: string;
  readonly impl: string;
  readonly rules: readonly RuleId[];
  /** The few steps before, as "index: event" lines. */
  readonly before: readonly string[];
}

export type LockstepResult = ReplayResult | { readonly status: 'diverge'; readonly steps: number; readonly divergence: Divergence };

/**
 * What a server's storage holds, built only from what Ready told it to persist (PER-1). The runner
 * applies Ready itself rather than through impl's MemoryStorage, so that a mistake there cannot hide
 * a mistake in Ready.
 */
interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** The entries after the snapshot's index (all of them without a snapshot). */
  log: Entry[];
}

const diskBase = (d: Disk): number => d.snapshot?.index ?? 0;

const CONTEXT_STEPS = 5;

/**
 * Replay a trace through the model and the implementation in lockstep. With a `profile` (the
 * trace's, spec/choices.ts), both sides take the first alternative it permits at every choice
 * point, so the run stays deterministic.
 */
export function lockstep(trace: StreamTrace, impl: ImplFactory = REAL_IMPL, coverage?: Map<RuleId, number>): LockstepResult {
  const profile = trace.profile === undefined ? undefined : profileOf(trace.profile);
  const h = new Harness(trace, impl, profile);
  const result = replay(trace, h, coverage, profile);
  if (h.divergence) return { status: 'diverge', steps: h.divergence.step + 1, divergence: h.divergence };
  return result;
}

class Harness implements StepObserver {
  divergence: Divergence | null = null;
  private readonly nodes = new Map<NodeId, RaftNode>();
  private readonly disks = new Map<NodeId, Disk>();
  private readonly configs = new Map<NodeId, RaftConfig>();
  /** The last few events, described only when a report needs them. */
  private readonly recent: Array<{ i: number; event: Event }> = [];
  private readonly dirtyFrom = new Map<NodeId, number>();

  constructor(private readonly trace: StreamTrace, private readonly impl: ImplFactory, profile?: Profile) {
    const options: ProtocolOptions | undefined = trace.options;
    for (const id of trace.cluster) {
      const config: RaftConfig = { id, servers: trace.cluster, ...(options ? { options } : {}), ...(trace.configuration ? { bootstrap: trace.configuration } : {}), ...(profile ? { profile } : {}) };
      this.configs.set(id, config);
      const initial = trace.initial?.[id];
      const node = impl.create(config, initial);
      this.nodes.set(id, node);
      const snapshotIndex = initial?.snapshotIndex ?? 0;
      const snapshot = snapshotIndex > 0 ? { index: snapshotIndex, term: initial?.snapshotTerm ?? 0, machine: initial?.snapshotMachine ?? EMPTY_KV, config: initial?.snapshotConfig ?? null } : null;
      this.disks.set(id, { hardState: node.hardState, snapshot, log: (initial?.log ?? []).slice() });
      node.takeLogChangedFrom();
    }
  }

  /** Called by replay() after the model took the step; returns a failure to stop the replay. */
  afterStep(i: number, event: Event, prev: ClusterState, r: ClusterStep): Failure | null {
    if (event.type === 'error') {
      // An implementation's own failure, recorded in its trace: as validate reports it.
      return { step: i, event: describeEvent(event), kind: 'expectation', problems: [`the implementation failed${event.node ? ` on ${event.node}` : ''}: ${event.message}`], rules: [] };
    }
    const d = this.stepImpl(i, event, prev, r);
    this.recent.push({ i, event });
    if (this.recent.length > CONTEXT_STEPS) this.recent.shift();
    if (!d) return null;
    this.divergence = d;
    return { step: i, event: describeEvent(event), kind: 'divergence', problems: [`${d.node}.${d.field}: model ${d.model}, implementation ${d.impl}`], rules: d.rules };
  }

  /** At the end: every log compared in full once (this also catches a change the implementation did not report). */
  atEnd(final: ClusterState, steps: number): Failure | null {
    for (const id of this.trace.cluster) {
      const s = final.nodes[id] as NodeState;
      const m = this.compareLogFrom(id, s, 1) ?? this.compareMachines(id, s);
      if (m) {
        const d: Divergence = { step: steps - 1, event: 'the end of the trace', node: id, ...m, rules: [], before: this.before() };
        this.divergence = d;
        return { step: d.step, event: d.event, kind: 'divergence', problems: [`${d.node}.${d.field}: model ${d.model}, implementation ${d.impl}`], rules: [] };
      }
    }
    return null;
  }

  private node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  private before(): string[] {
    return this.recent.map(({ i, event }) => `${i}: ${describeEvent(event)}`);
  }

  private stepImpl(i: number, event: Event, prev: ClusterState, r: ClusterStep): Divergence | null {
    const id = r.node;
    if (id === null) return null;
    const m = this.stepAndCompare(id, event, prev, r);
    return m ? { step: i, event: describeEvent(event), node: id, ...m, rules: r.rules, before: this.before() } : null;
  }

  private stepAndCompare(id: NodeId, event: Event, prev: ClusterState, r: ClusterStep): Mismatch | null {
    if (event.type === 'crash') {
      // The implementation restarts from what it persisted, and nothing else.
      const node = this.impl.restart(this.configs.get(id) as RaftConfig, this.disks.get(id) as Disk);
      this.nodes.set(id, node);
      node.takeLogChangedFrom();
      this.dirtyFrom.set(id, 1);
    } else {
      let ready: Ready;
      if (event.type === 'restart') {
        ready = this.node(id).resume(); // DEC-7b: the commitIndex it kept is applied again
      } else {
        if (prev.crashed.has(id)) return null; // DEC-7: no effect on a crashed node
        const to = nodeInputOf(event);
        if (!to) return null;
        ready = this.node(id).step(to.input);
      }
      this.persist(id, ready);
      const m = compareMessages(r.sent, ready.messages);
      if (m) return m;
      const a = compareApplied(r.applied, ready.applied);
      if (a) return a;
      const c = compareReplies(r.replies, ready.replies);
      if (c) return c;
    }
    const before = prev.nodes[id] as NodeState;
    const after = r.state.nodes[id] as NodeState;
    const m = this.compareState(id, before, after);
    if (m) return m;
    // The state machines are compared when the model's changed (applying, a snapshot, a restart); in full at the end.
    if (after.machine !== before.machine || after.snapshotMachine !== before.snapshotMachine || event.type === 'crash') return this.compareMachines(id, after);
    return null;
  }

  /** Apply a Ready to the runner's own disk model, in the order Ready prescribes (PER-1). */
  private persist(id: NodeId, ready: Ready): void {
    const disk = this.disks.get(id) as Disk;
    if (ready.hardState) disk.hardState = { ...ready.hardState };
    if (ready.snapshot) {
      // The durable log keeps only the entries after the new snapshot's index.
      const drop = ready.snapshot.index - diskBase(disk);
      disk.log = drop >= disk.log.length ? [] : disk.log.slice(Math.max(0, drop));
      disk.snapshot = { index: ready.snapshot.index, term: ready.snapshot.term, machine: ready.snapshot.machine, config: ready.snapshot.config ?? null };
    }
    const base = diskBase(disk);
    if (ready.truncatedAfter !== null) disk.log.length = Math.max(0, Math.min(disk.log.length, ready.truncatedAfter - base));
    if (ready.appended) {
      disk.log.length = Math.max(0, Math.min(disk.log.length, ready.appended.index - 1 - base));
      for (const e of ready.appended.entries) disk.log.push(e);
    }
  }

  private compareMachines(id: NodeId, s: NodeState): Mismatch | null {
    const n = this.node(id);
    const want = canonicalJson(s.machine);
    const got = canonicalJson(n.machine);
    if (want !== got) return mismatch('machine (the key-value state machine, KV-1)', want, got);
    const wantSnap = canonicalJson(s.snapshotMachine);
    const gotSnap = canonicalJson(n.snapshotMachine);
    if (wantSnap !== gotSnap) return mismatch('snapshotMachine (SNAP-1)', wantSnap, gotSnap);
    const disk = this.disks.get(id) as Disk;
    const onDisk = canonicalJson(disk.snapshot?.machine ?? EMPTY_KV);
    if (s.snapshotIndex > 0 && onDisk !== wantSnap) return mismatch('persisted snapshot machine (PER-1)', wantSnap, onDisk);
    const wantConfig = canonicalJson(s.snapshotConfig);
    const gotConfig = canonicalJson(disk.snapshot?.config ?? null);
    if (s.snapshotIndex > 0 && wantConfig !== gotConfig) return mismatch('persisted snapshotConfig (PER-1, SNAP-1)', wantConfig, gotConfig);
    return null;
  }

  private compareState(id: NodeId, before: NodeState, s: NodeState): Mismatch | null {
    const n = this.node(id);
    if (n.role !== s.role) return mismatch('role', s.role, n.role);
    if (n.currentTerm !== s.currentTerm) return mismatch('currentTerm', s.currentTerm, n.currentTerm);
    if (n.votedFor !== s.votedFor) return mismatch('votedFor', s.votedFor, n.votedFor);
    const disk = this.disks.get(id) as Disk;
    if (disk.hardState.currentTerm !== s.currentTerm || disk.hardState.votedFor !== s.votedFor) {
      return mismatch('persisted currentTerm/votedFor (PER-1)', `${s.currentTerm}/${String(s.votedFor)}`, `${disk.hardState.currentTerm}/${String(disk.hardState.votedFor)}`);
    }
    if (n.snapshotIndex !== s.snapshotIndex) return mismatch('snapshotIndex', s.snapshotIndex, n.snapshotIndex);
    if (n.snapshotTerm !== s.snapshotTerm) return mismatch('snapshotTerm', s.snapshotTerm, n.snapshotTerm);
    if (n.snapshotConfig !== s.snapshotConfig) {
      const want = canonicalJson(s.snapshotConfig);
      const got = canonicalJson(n.snapshotConfig);
      if (want !== got) return mismatch('snapshotConfig (SNAP-1, CFG-1)', want, got);
    }
    if (diskBase(disk) !== s.snapshotIndex || (disk.snapshot?.term ?? 0) !== s.snapshotTerm) {
      return mismatch('persisted snapshot index/term (PER-1)', `${s.snapshotIndex}/${s.snapshotTerm}`, `${diskBase(disk)}/${disk.snapshot?.term ?? 0}`);
    }
    // The log, from the lowest index either side changed.
    const implFrom = n.takeLogChangedFrom();
    const shared = before.log.sharedPrefixLength(s.log);
    const modelFrom = shared >= 0 ? shared + 1 : firstDifference(before.log, s.log);
    const from = Math.min(implFrom, modelFrom, this.dirtyFrom.get(id) ?? Infinity);
    this.dirtyFrom.delete(id);
    if (n.lastIndex !== s.log.lastIndex) return mismatch('log length', s.log.lastIndex, n.lastIndex);
    if (from <= s.log.lastIndex) {
      const m = this.compareLogFrom(id, s, from);
      if (m) return m;
    }
    if (diskBase(disk) + disk.log.length !== s.log.lastIndex) return mismatch('persisted last log index (PER-1)', s.log.lastIndex, diskBase(disk) + disk.log.length);
    if (n.commitIndex !== s.commitIndex) return mismatch('commitIndex', s.commitIndex, n.commitIndex);
    if (n.lastApplied !== s.lastApplied) return mismatch('lastApplied', s.lastApplied, n.lastApplied);
    if (n.leaderId !== s.leaderId) return mismatch('leaderId (CLI-1)', s.leaderId, n.leaderId);
    if (n.heardFromLeader !== s.heardFromLeader) return mismatch('heardFromLeader (PV-2, CFG-6)', String(s.heardFromLeader), String(n.heardFromLeader));
    const l = leaderView(s);
    if (n.transferee !== l.transferee) return mismatch('transferee (LT-1)', l.transferee, n.transferee);
    const active = n.recentlyActive();
    if (active.length !== l.recentlyActive.length || l.recentlyActive.some((p, k) => active[k] !== p)) {
      return mismatch('recentlyActive (CQ-1)', `[${l.recentlyActive.join(', ')}]`, `[${active.join(', ')}]`);
    }
    const wantPartial = showPartial(s.partialSnapshot);
    const gotPartial = showPartial(n.partialSnapshot);
    if (wantPartial !== gotPartial) return mismatch('partialSnapshot (IS-2, IS-3)', wantPartial, gotPartial);
    for (const peer of this.trace.cluster) {
      if (peer === id) continue;
      if (n.nextIndexOf(peer) !== l.nextIndex[peer]) return mismatch(`nextIndex[${peer}]`, l.nextIndex[peer] ?? 'none', n.nextIndexOf(peer) ?? 'none');
      if (n.matchIndexOf(peer) !== l.matchIndex[peer]) return mismatch(`matchIndex[${peer}]`, l.matchIndex[peer] ?? 'none', n.matchIndexOf(peer) ?? 'none');
      if (n.appliedIndexOf(peer) !== l.appliedIndex[peer]) return mismatch(`appliedIndex[${peer}] (FC-2)`, l.appliedIndex[peer] ?? 'none', n.appliedIndexOf(peer) ?? 'none');
    }
    const votes = n.votesGranted();
    if (votes.length !== s.votesGranted.length || s.votesGranted.some((v) => !votes.includes(v))) {
      return mismatch('votesGranted', `[${[...s.votesGranted].sort().join(', ')}]`, `[${[...votes].sort().join(', ')}]`);
    }
    return null;
  }

  private compareLogFrom(id: NodeId, s: NodeState, from: number): Mismatch | null {
    const n = this.node(id);
    if (n.lastIndex !== s.log.lastIndex) return mismatch('log length', s.log.lastIndex, n.lastIndex);
    if (n.snapshotIndex !== s.snapshotIndex) return mismatch('snapshotIndex', s.snapshotIndex, n.snapshotIndex);
    const first = Math.max(1, from, s.log.firstIndex);
    for (let k = first; k <= s.log.lastIndex; k++) {
      const want = s.log.entry(k);
      if (n.termAt(k) !== want.term) return mismatch(`log[${k}].term`, want.term, n.termAt(k));
      const got = n.entryAt(k);
      if (!sameCommand(got.command, want.command)) return mismatch(`log[${k}].command`, canonicalJson(want.command), canonicalJson(got.command));
      if (!sameCommand(got.config ?? null, want.config ?? null)) return mismatch(`log[${k}].config (CFG-1)`, canonicalJson(want.config ?? null), canonicalJson(got.config ?? null));
    }
    const disk = this.disks.get(id) as Disk;
    const base = diskBase(disk);
    for (let k = Math.max(first, base + 1); k <= Math.min(base + disk.log.length, s.log.lastIndex); k++) {
      const got = disk.log[k - base - 1] as Entry;
      if (got.term !== s.log.termAt(k)) return mismatch(`persisted log[${k}].term (PER-1)`, s.log.termAt(k), got.term);
    }
    return null;
  }
}

/** One field on which the two sides differ, with both values as text. */
interface Mismatch {
  readonly field: string;
  readonly model: string;
  readonly impl: string;
}

function mismatch(field: string, model: string | number | null, impl: string | number | null): Mismatch {
  return { field, model: String(model), impl: String(impl) };
}

function firstDifference(a: Log, b: Log): number {
  const n = Math.min(a.lastIndex, b.lastIndex);
  for (let k = Math.max(a.firstIndex, b.firstIndex); k <= n; k++) if (a.entry(k) !== b.entry(k)) return k;
  return n + 1;
}

const showPartial = (p: { lastIncludedIndex: number; lastIncludedTerm: number; data: string } | null): string =>
  (p === null ? 'none' : `index ${p.lastIncludedIndex} term ${p.lastIncludedTerm}, ${p.data.length} chars ${JSON.stringify(p.data)}`);

function compareReplies(model: readonly ClientReply[], impl: readonly ClientReply[]): Mismatch | null {
  const n = Math.max(model.length, impl.length);
  for (let k = 0; k < n; k++) {
    const a = model[k];
    const b = impl[k];
    const da = a ? describeReply(a) : undefined;
    const db = b ? describeReply(b) : undefined;
    if (da !== db) {
      return {
        field: 'client replies',
        model: da ? `reply ${k + 1} of ${model.length}: ${da}` : `${model.length} reply(ies)`,
        impl: db ? `reply ${k + 1} of ${impl.length}: ${db}` : `${impl.length} reply(ies)`,
      };
    }
  }
  return null;
}

function compareMessages(model: readonly Message[], impl: readonly Message[]): Mismatch | null {
  const n = Math.max(model.length, impl.length);
  for (let k = 0; k < n; k++) {
    const a = model[k];
    const b = impl[k];
    if (!a || !b || !sameMessage(a, b)) {
      return {
        field: 'messages sent',
        model: a ? `message ${k + 1} of ${model.length}: ${describeMessage(a)}` : `${model.length} message(s)`,
        impl: b ? `message ${k + 1} of ${impl.length}: ${describeMessage(b)}` : `${impl.length} message(s)`,
      };
    }
  }
  return null;
}

type Applied = { index: number; term: number; command: unknown; result: unknown; duplicate: boolean };
const showApplied = (xs: readonly Applied[]) => `[${xs.map((x) => `${x.index}@t${x.term}`).join(', ')}]`;
const showResult = (x: Applied) => `index ${x.index}: ${canonicalJson(x.command)} -> ${canonicalJson(x.result)}${x.duplicate ? ' (duplicate)' : ''}`;

function compareApplied(model: readonly Applied[], impl: readonly Applied[]): Mismatch | null {
  if (model.length !== impl.length) return mismatch('entries applied', showApplied(model), showApplied(impl));
  for (let k = 0; k < model.length; k++) {
    const a = model[k] as Applied;
    const b = impl[k] as Applied;
    if (a.index !== b.index || a.term !== b.term || !sameCommand(a.command, b.command)) return mismatch('entries applied', showApplied(model), showApplied(impl));
    if (a.duplicate !== b.duplicate || !sameCommand(a.result, b.result)) return mismatch('state machine result (KV-1, CLI-2)', showResult(a), showResult(b));
  }
  return null;
}
