// The cluster reducer: the servers plus an unreliable network (a multiset of messages in flight),
// applying one trace event at a time. Pure: every event returns a new ClusterState.
import type { AppendEntries, BootstrapConfiguration, ClientReply, Entry, Event, Message, NodeId, ProtocolOptions, ResolvedOptions, Observation } from '../spec/schema.js';
import { resolveOptions } from '../spec/schema.js';
import type { RuleId } from '../spec/rules.js';
import { messageHeader, messageKey, sameEntry, sameMessage } from '../spec/canonical.js';
import { OrderedMap } from 'immutable';
import { type AppliedEntry, type Decide, type Env, type NodeState, begin, decide, fromJson } from './state.js';
import { applyCommitted } from './core/figure2.js';
import { anyPrefix, shorterForms } from './core/transition.js';

export { anyPrefix };
import type { Profile } from '../spec/choices.js';
import { bootstrapConfiguration } from '../spec/config.js';
import { type NodeInput, nodeInputOf } from '../spec/input.js';
import { step, restart, assertNever } from './node.js';
import { makeEnv } from './dispatch.js';

/**
 * The multiset of messages in flight, keyed by the message's canonical name. A persistent map
 * (Immutable.js OrderedMap, which also keeps the order messages were sent in): adding or removing a message shares the rest, so a step costs O(log n) in the
 * number of messages in flight, not a copy of them all.
 */
export type Network = OrderedMap<string, Bucket>;
/** The messages in flight with one header (messageHeader), nearly always just one, and their copies. */
type Bucket = ReadonlyArray<{ readonly message: Message; readonly count: number }>;

export interface ClusterState {
  readonly servers: readonly NodeId[];
  readonly options: ResolvedOptions;
  /** Each server's Env, made once: they do not change while the cluster runs. */
  readonly envs: Readonly<Record<NodeId, Env>>;
  readonly nodes: Readonly<Record<NodeId, NodeState>>;
  readonly crashed: ReadonlySet<NodeId>;
  readonly network: Network;
  /** While partitioned: each server's group; messages between groups are lost. */
  readonly partition: ReadonlyMap<NodeId, number> | null;
  /** The links cut (by linkKey), both ways: messages between their two servers are lost, as between groups of a partition. */
  readonly cuts: ReadonlySet<string>;
}

/** What one event did. */
export interface ClusterStep {
  readonly state: ClusterState;
  /** The server that handled the event, if any did. */
  readonly node: NodeId | null;
  readonly sent: readonly Message[];
  readonly applied: readonly AppliedEntry[];
  /** What the server answered clients (CLI-1, LEA-2, CLI-4). */
  readonly replies: readonly ClientReply[];
  readonly rules: readonly RuleId[];
}

/** An event that cannot happen in this state (the trace is wrong, not the protocol). */
export interface EventError {
  readonly error: string;
}

/**
 * A cluster at its initial state. With a profile (spec/choices.ts), each server takes the first
 * alternative the profile permits at every choice point (the lockstep runner's deterministic
 * reading; the validator's search enumerates them all instead).
 */
export function initCluster(servers: readonly NodeId[], options?: ProtocolOptions, initial?: Readonly<Record<NodeId, Observation>>, configuration?: BootstrapConfiguration, profile?: Profile): ClusterState {
  const nodes: Record<NodeId, NodeState> = {};
  const envs: Record<NodeId, Env> = {};
  const resolved = resolveOptions(options);
  const bootstrap = bootstrapConfiguration(servers, configuration); // CFG-1
  for (const id of servers) {
    nodes[id] = fromJson(initial?.[id]);
    const env = makeEnv(id, servers, resolved, bootstrap);
    // DEC-24 is decided once per run (perRun): the Env carries it, not a per-step decision.
    const onApply = profile?.['DEC-24']?.[0] === 'b' ? { configOnApply: true as const } : {};
    envs[id] = profile === undefined ? env : { ...env, ...onApply, decide: (p) => profile[p]?.[0] ?? 'a' };
  }
  return { servers, options: resolved, envs, nodes, crashed: new Set(), network: OrderedMap(), partition: null, cuts: NO_CUTS };
}

/** A server's Env, deciding its choice points by `choose` when one is given. */
function envWith(c: ClusterState, id: NodeId, choose: Decide | undefined, permits?: Env['permits']): Env {
  const env = envOf(c, id);
  return choose === undefined ? env : permits === undefined ? { ...env, decide: choose } : { ...env, decide: choose, permits };
}

export function envOf(c: ClusterState, self: NodeId): Env {
  const env = c.envs[self];
  if (!env) throw new Error(`unknown node ${self}`); // the trace's node IDs are checked before replay
  return env;
}

export function inFlight(c: ClusterState): Message[] {
  const out: Message[] = [];
  for (const bucket of c.network.values()) for (const { message, count } of bucket) for (let i = 0; i < count; i++) out.push(message);
  return out;
}

/** A step that reached no server. */
function none(state: ClusterState, rules: RuleId[] = []): ClusterStep {
  return { state, node: null, sent: [], applied: [], replies: [], rules };
}

/**
 * One event. `choose`, when given, decides the choice points this step meets (spec/choices.ts) in
 * place of the servers' own profile: the validator's search enumerates alternatives through it.
 */
export function applyEvent(c: ClusterState, e: Event, choose?: Decide, permits?: Env['permits']): ClusterStep | EventError {
  switch (e.type) {
    case 'electionTimeout':
    case 'heartbeatTimeout':
    case 'clientRequest':
    case 'clientRead':
    case 'clientSync':
    case 'snapshot':
    case 'transferLeadership':
    case 'reconfigure':
    case 'apply':
    case 'inject': {
      const to = nodeInputOf(e) as { node: NodeId; input: NodeInput }; // these events always reach a server
      return deliverInput(c, to.node, to.input, choose, permits);
    }
    case 'deliver': {
      const taken = takeOut(c, e.message);
      if (!taken) return notInFlight(e.message);
      const r = deliverInput({ ...c, network: taken.network }, e.message.to, e.message, choose, permits);
      return taken.shown.length > 0 ? { ...r, rules: [...taken.shown, ...r.rules] } : r;
    }
    case 'drop': {
      const taken = takeOut(c, e.message);
      return taken ? none({ ...c, network: taken.network }, taken.shown) : notInFlight(e.message);
    }
    case 'duplicate': {
      // A copy of the message in flight itself (of which any prefix may still arrive, DEC-6b).
      const same = inFlightAs(c.network, e.message);
      if (same) return none({ ...c, network: add(c.network, same) });
      // DEC-6b: the copy names which of the entries were sent; both copies are that message.
      const shorter = takeShorter(c, e.message);
      return shorter ? none({ ...c, network: add(add(shorter.network, e.message), e.message) }, shownBy(c, e.message, shorter)) : notInFlight(e.message);
    }
    case 'crash': {
      if (c.crashed.has(e.node)) return { error: `node ${e.node} is already crashed` };
      const crashed = new Set(c.crashed).add(e.node);
      // PER-1, DEC-7: only the persistent state survives; the server is down until it restarts.
      // SNAP-4: with a snapshot, it comes back with the snapshot's state machine and index.
      const s = nodeState(c, e.node);
      // DEC-7b: an implementation that persists commitIndex keeps it (asked only where it differs).
      const keep = s.commitIndex > s.snapshotIndex && decide(envWith(c, e.node, choose), 'DEC-7') === 'b';
      const rules: RuleId[] = ['PER-1', keep ? 'DEC-7b' : 'DEC-7', ...(s.snapshotIndex > 0 ? ['SNAP-4' as const] : [])];
      return { ...none({ ...c, crashed, nodes: { ...c.nodes, [e.node]: restart(s, keep) } }, rules), node: e.node };
    }
    case 'restart': {
      if (!c.crashed.has(e.node)) return { error: `node ${e.node} is not crashed, so it cannot restart` };
      const crashed = new Set(c.crashed);
      crashed.delete(e.node);
      // DEC-7b: the commitIndex it kept is applied again as it comes up (ALL-1, or at its next apply: DEC-17b).
      const t = applyCommitted(begin(nodeState(c, e.node)), envWith(c, e.node, choose));
      return { state: { ...c, crashed, nodes: { ...c.nodes, [e.node]: t.state } }, node: e.node, sent: [], applied: t.applied, replies: t.replies, rules: ['PER-1', ...t.rules] };
    }
    case 'partition': {
      const partition = new Map<NodeId, number>();
      e.groups.forEach((g, i) => g.forEach((id) => partition.set(id, i)));
      return none({ ...c, partition, network: withoutLost(c.network, (m) => separated(partition, m)) });
    }
    case 'cut': {
      // A link cut: what a partition does, for the messages between these two servers only.
      const [a, b] = e.link as [NodeId, NodeId];
      const cuts = new Set(c.cuts).add(linkKey(a, b));
      return none({ ...c, cuts, network: withoutLost(c.network, (m) => cuts.has(linkKey(m.from, m.to))) });
    }
    case 'heal': {
      if (e.link === undefined) return none({ ...c, partition: null, cuts: NO_CUTS });
      const cuts = new Set(c.cuts);
      cuts.delete(linkKey(e.link[0] as NodeId, e.link[1] as NodeId));
      return none({ ...c, cuts: cuts.size === 0 ? NO_CUTS : cuts });
    }
    case 'error':
      return none(c); // the replay fails here with the implementation's message
    default:
      return assertNever(e);
  }
}

const notInFlight = (m: Message): EventError => ({ error: `message is not in flight: ${messageKey(m)}` });

function nodeState(c: ClusterState, id: NodeId): NodeState {
  const s = c.nodes[id];
  if (!s) throw new Error(`unknown node ${id}`); // the trace's node IDs are checked before replay
  return s;
}

/** Hand an input to one server; what it sends goes into the network, unless a partition loses it. */
function deliverInput(c: ClusterState, id: NodeId, input: NodeInput, choose?: Decide, permits?: Env['permits']): ClusterStep {
  if (c.crashed.has(id)) return { state: c, node: id, sent: [], applied: [], replies: [], rules: ['DEC-7'] };
  const r = step(envWith(c, id, choose, permits), nodeState(c, id), input);
  let network = c.network;
  for (const m of r.sent) if (!isLost(c, m)) network = add(network, m);
  return {
    state: { ...c, nodes: { ...c.nodes, [id]: r.state }, network },
    node: id,
    sent: r.sent,
    applied: r.applied,
    replies: r.replies,
    rules: r.rules,
  };
}

const NO_CUTS: ReadonlySet<string> = new Set();

/** A link's name: its two servers, in either order. */
export function linkKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/** Whether the network loses a message sent now: its sender and receiver are in different groups of the partition, or their link is cut. */
export function isLost(c: Pick<ClusterState, 'partition' | 'cuts'>, m: Message): boolean {
  return (c.partition !== null && separated(c.partition, m)) || (c.cuts.size > 0 && c.cuts.has(linkKey(m.from, m.to)));
}

/** The network without the messages `lost` says a partition or a cut loses (the buckets hold messages of one route). */
function withoutLost(n: Network, lost: (m: Message) => boolean): Network {
  let network = n;
  for (const [header, bucket] of n) if (lost((bucket[0] as Bucket[number]).message)) network = network.delete(header);
  return network;
}

/** Whether a partition keeps a message from its receiver (the sugar of the partition event). */
export function separated(partition: ReadonlyMap<NodeId, number>, m: Message): boolean {
  // A server named in no group is in a group of its own.
  const a = partition.get(m.from) ?? `alone:${m.from}`;
  const b = partition.get(m.to) ?? `alone:${m.to}`;
  return a !== b;
}

/**
 * DEC-6b: `m` is `sent` with entries left off its end (any number of them, all too): the same
 * AppendEntries otherwise, and `sent`'s leaderCommit or one its shorter forms may carry (DEC-16:
 * the leader's commitIndex; DEC-16b: that clamped to the last entry it keeps), as permitted.
 */
export function isShorterForm(m: Message, sent: Message): boolean {
  if (m.type !== 'AppendEntries' || sent.type !== 'AppendEntries') return false;
  if (m.from !== sent.from || m.to !== sent.to || m.term !== sent.term || m.leaderId !== sent.leaderId
    || m.prevLogIndex !== sent.prevLogIndex || m.prevLogTerm !== sent.prevLogTerm || m.readRound !== sent.readRound) return false;
  const k = m.entries.length;
  if (k > sent.entries.length) return false;
  for (let i = 0; i < k; i++) if (!sameEntry(m.entries[i] as Entry, sent.entries[i] as Entry)) return false;
  if (m.leaderCommit === sent.leaderCommit) return true;
  const forms = shorterForms(sent);
  return forms !== undefined && ((forms.unclamped && m.leaderCommit === forms.commitIndex) || (forms.clamped && m.leaderCommit === Math.min(forms.commitIndex, m.prevLogIndex + k)));
}

/**
 * The message an event names, taken out of the network: a copy of it, else (DEC-6b) one it is a
 * shorter form of; with the alternatives it shows. Null when neither is in flight.
 */
function takeOut(c: ClusterState, m: Message): { network: Network; shown: RuleId[] } | null {
  const exact = remove(c.network, m);
  if (exact) return { network: exact, shown: shownBy(c, m, null) };
  const shorter = takeShorter(c, m);
  return shorter ? { network: shorter.network, shown: shownBy(c, m, shorter) } : null;
}

/**
 * DEC-6b: take out of the network one copy of a message sent with any prefix of its entries
 * allowed of which `m` is one (a search of the messages in flight, made only when `m` is not in
 * flight as it is), and the one taken.
 */
function takeShorter(c: ClusterState, m: Message): { network: Network; sent: Message } | null {
  if (m.type !== 'AppendEntries') return null;
  // Of several that it may be a form of, the one with the fewest entries (then the same
  // leaderCommit): the longer ones stay for the longer forms a later event may name.
  let best: AppendEntries | null = null;
  for (const bucket of c.network.values()) {
    for (const slot of bucket) {
      if (!anyPrefix(slot.message) || !isShorterForm(m, slot.message)) continue;
      const sent = slot.message as AppendEntries;
      if (best === null || sent.entries.length < best.entries.length
        || (sent.entries.length === best.entries.length && sent.leaderCommit === m.leaderCommit && best.leaderCommit !== m.leaderCommit)) best = sent;
    }
  }
  return best === null ? null : { network: remove(c.network, best) as Network, sent: best };
}

/**
 * The alternatives a message named by an event shows: DEC-6b where it carries another number of
 * entries than DEC-6 (a fixed maximum) would have sent, DEC-16b where its leaderCommit is clamped and the message
 * it is a form of did not tell (the step that sent it decided nothing about it).
 */
function shownBy(c: ClusterState, m: Message, shorter: { sent: Message } | null): RuleId[] {
  if (m.type !== 'AppendEntries') return [];
  const out: RuleId[] = [];
  const sent = shorter?.sent as AppendEntries | undefined;
  if (beyondMaximum(c, m) || (sent !== undefined && m.entries.length !== Math.min(c.options.maxEntriesPerAppendEntries, sent.entries.length))) out.push('DEC-6b');
  const forms = sent ? shorterForms(sent) : undefined;
  if (sent && forms && m.leaderCommit !== sent.leaderCommit && m.leaderCommit !== forms.commitIndex) out.push('DEC-16b');
  return out;
}

/** DEC-6b: an AppendEntries with more entries than maxEntriesPerAppendEntries, which DEC-6 (a fixed maximum) never sends. */
const beyondMaximum = (c: ClusterState, m: Message): boolean => m.type === 'AppendEntries' && m.entries.length > c.options.maxEntriesPerAppendEntries;

/** The message in flight equal to `m`, if there is one. */
function inFlightAs(n: Network, m: Message): Message | undefined {
  return (n.get(messageHeader(m)) ?? []).find((slot) => sameMessage(slot.message, m))?.message;
}

function add(n: Network, m: Message): Network {
  const header = messageHeader(m);
  const bucket = n.get(header) ?? [];
  // A message of which any prefix may arrive (DEC-6b) is not the same as the one with them all.
  const k = bucket.findIndex((slot) => sameMessage(slot.message, m) && anyPrefix(slot.message) === anyPrefix(m));
  if (k < 0) return n.set(header, [...bucket, { message: m, count: 1 }]);
  return n.set(header, bucket.map((slot, j) => (j === k ? { message: slot.message, count: slot.count + 1 } : slot)));
}

/** How many copies of a message are in flight: O(log n) in the messages in flight. */
export function copiesInFlight(c: ClusterState, m: Message): number {
  return (c.network.get(messageHeader(m)) ?? []).find((slot) => sameMessage(slot.message, m))?.count ?? 0;
}

/** The cluster with one more copy of each of these messages in flight (the validator's search: messages one of several runs sent). */
export function withMessages(c: ClusterState, messages: readonly Message[]): ClusterState {
  let network = c.network;
  for (const m of messages) network = add(network, m);
  return network === c.network ? c : { ...c, network };
}

/** The cluster with one copy of each of these messages taken out of the network (those not in flight are skipped): the validator's search settles which of several possible messages was sent. */
export function withoutMessages(c: ClusterState, messages: readonly Message[]): ClusterState {
  let network = c.network;
  for (const m of messages) network = remove(network, m) ?? network;
  return network === c.network ? c : { ...c, network };
}

function remove(n: Network, m: Message): Network | null {
  const header = messageHeader(m);
  const bucket = n.get(header) ?? [];
  // The very message first (a search taking out what a run sent), else one equal to it.
  const same = bucket.findIndex((slot) => slot.message === m);
  const k = same >= 0 ? same : bucket.findIndex((slot) => sameMessage(slot.message, m));
  if (k < 0) return null;
  const slot = bucket[k] as Bucket[number];
  if (slot.count > 1) return n.set(header, bucket.map((s, j) => (j === k ? { message: s.message, count: s.count - 1 } : s)));
  return bucket.length === 1 ? n.delete(header) : n.set(header, bucket.filter((_, j) => j !== k));
}
