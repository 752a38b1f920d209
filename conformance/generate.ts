// Generated cluster schedules. A schedule is a list of choices (three small numbers each); an
// interpreter turns each choice into an event that is possible in the cluster's current state
// (only in-flight messages are delivered, only crashed nodes restart), so every generated trace is
// valid, and fast-check shrinks a failing schedule by shrinking the choice list.
//
// The interpreter is biased so that interesting things happen: deliveries dominate and mostly take
// one of the oldest messages in flight (progress), with reordering, drops, duplicates, delayed
// copies, timeouts, crashes, restarts and partitions mixed in; client commands go to a leader.
//
// With `clients`, the commands are key-value operations of a few sequential clients (each has at
// most one operation outstanding, numbered for CLI-2, and retries it, at the leader a redirect
// named, until it is answered), mixed with ReadIndex reads and snapshots (issue 4).
import fc from 'fast-check';
import type { ClientReply, Event, KvCommand, Message, NodeId, ProtocolOptions, Trace } from '../spec/schema.js';
import { type ClusterState, applyEvent, inFlight, initCluster } from '../model/cluster.js';
import { LeaseClock, type LeaseView } from './lease.js';
import { leaseViewOf } from './replay.js';

export interface Choice {
  readonly k: number;
  readonly a: number;
  readonly b: number;
}

export const choiceArb: fc.Arbitrary<Choice> = fc.record({ k: fc.nat(999), a: fc.nat(1 << 16), b: fc.nat(1 << 16) });

export const scheduleArb = (minLength: number, maxLength: number): fc.Arbitrary<Choice[]> =>
  fc.array(choiceArb, { minLength, maxLength });

/** How often each kind of event is chosen, out of 1000. */
export interface Weights {
  readonly deliver: number;
  readonly drop: number;
  readonly duplicate: number;
  readonly inject: number;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly clientRequest: number;
  readonly crash: number;
  readonly restart: number;
  readonly partition: number;
  readonly heal: number;
  /** A ReadIndex read (CLI-4); only with `clients`. */
  readonly clientRead: number;
  /** A node compacts its log (SNAP-1). */
  readonly snapshot: number;
  /** A leader is asked to hand over leadership (LT-1); only with the leadershipTransfer option. */
  readonly transferLeadership?: number;
}

export const DEFAULT_WEIGHTS: Weights = {
  deliver: 640, drop: 35, duplicate: 20, inject: 15,
  electionTimeout: 45, heartbeatTimeout: 60, clientRequest: 115,
  crash: 12, restart: 30, partition: 8, heal: 20,
  clientRead: 0, snapshot: 0,
};

/** Weights for schedules with clients, reads and snapshots (issue 4). */
export const CLIENT_WEIGHTS: Weights = {
  deliver: 620, drop: 35, duplicate: 20, inject: 15,
  electionTimeout: 40, heartbeatTimeout: 60, clientRequest: 90,
  crash: 12, restart: 30, partition: 8, heal: 20,
  clientRead: 35, snapshot: 25,
};

/** With leadershipTransfer: this weight of transferLeadership events on top of the others. */
export const TRANSFER_WEIGHT = 15;

/** The simulated clients of a schedule (issue 4). */
export interface ClientOptions {
  /** Client IDs; each runs one operation at a time. */
  readonly ids: readonly string[];
  /** The keys they use. */
  readonly keys: readonly string[];
}
export const DEFAULT_CLIENTS: ClientOptions = { ids: ['c1', 'c2', 'c3'], keys: ['x', 'y'] };

export interface GenerateOptions {
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  readonly weights?: Weights;
  /** How many old messages are remembered for delayed copies (inject). */
  readonly historySize?: number;
  /** Key-value clients instead of opaque commands, with reads and retries (issue 4). */
  readonly clients?: ClientOptions;
}

/** What happened in a generated schedule (to report how often interesting things happen). */
export interface ScheduleStats {
  steps: number;
  leadersElected: number;
  commits: number;
  termChanges: number;
  truncations: number;
  crashes: number;
  /** Snapshots taken (SNAP-1) and installed from a leader (IS-5). */
  snapshots: number;
  installs: number;
  /** Client operations answered (LEA-2 results and CLI-4 reads) and redirects (CLI-1). */
  answered: number;
  reads: number;
  redirects: number;
}

type Kind = keyof Weights;

function pickKind(k: number, w: Weights): Kind {
  let acc = 0;
  const total = Object.values(w).reduce((x: number, y) => x + (y ?? 0), 0);
  const target = (k * total) / 1000;
  for (const kind of Object.keys(w) as Kind[]) {
    acc += w[kind] ?? 0;
    if (target < acc) return kind;
  }
  return 'deliver';
}

/**
 * A cluster that a schedule drives: the model's (to generate traces) or the implementation's (to
 * record them). The interpreter only asks what is possible now and applies the event it picks.
 */
export interface World {
  readonly servers: readonly NodeId[];
  isCrashed(id: NodeId): boolean;
  isLeader(id: NodeId): boolean;
  isFollower(id: NodeId): boolean;
  /** The group a server is in while partitioned, or null. */
  groupOf(id: NodeId): number | null;
  partitioned(): boolean;
  inFlight(): Message[];
  /** What the lease's clock assumption needs to know of a server (conformance/lease.ts). */
  leaseView(id: NodeId): LeaseView;
  /** The range a snapshot can cover on a live server: above snapshotIndex, up to lastApplied. */
  snapshotRange(id: NodeId): { snapshotIndex: number; lastApplied: number };
  /** Apply a possible event; returns the messages it sent, the client replies and the rule IDs fired (if known). */
  apply(event: Event): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] };
}

/** The model's cluster as a World. */
export class ModelWorld implements World {
  c: ClusterState;
  constructor(readonly servers: readonly NodeId[], options?: ProtocolOptions) {
    this.c = initCluster(servers, options);
  }
  isCrashed(id: NodeId) { return this.c.crashed.has(id); }
  isLeader(id: NodeId) { return this.c.nodes[id]?.role === 'leader'; }
  isFollower(id: NodeId) { return this.c.nodes[id]?.role === 'follower'; }
  groupOf(id: NodeId) { return this.c.partition?.get(id) ?? null; }
  partitioned() { return this.c.partition !== null; }
  inFlight() { return inFlight(this.c); }
  leaseView(id: NodeId) { return leaseViewOf(this.c, id); }
  snapshotRange(id: NodeId) {
    const s = this.c.nodes[id];
    return { snapshotIndex: s?.snapshotIndex ?? 0, lastApplied: s?.lastApplied ?? 0 };
  }
  apply(event: Event) {
    const r = applyEvent(this.c, event);
    if ('error' in r) throw new Error(`generator produced an impossible event: ${r.error}`); // a bug of the generator
    this.c = r.state;
    return r;
  }
}

/**
 * Turn choices into a trace, running the model alongside to know what is possible. The trace has
 * no expectations: replaying it checks the invariants after every step.
 */
export function traceFromChoices(choices: readonly Choice[], g: GenerateOptions, name = 'generated'): { trace: Trace; stats: ScheduleStats } {
  const world = new ModelWorld(g.servers, g.options);
  const { events, stats } = runChoices(world, choices, g);
  const trace: Trace = {
    format: 'raft-trace', version: 1, name,
    cluster: [...g.servers],
    ...(g.options ? { options: g.options } : {}),
    steps: events.map((event) => ({ event })),
  };
  return { trace, stats };
}

/** Interpret choices against a world, one event each; `after` sees each event once applied. */
export function runChoices(
  world: World, choices: readonly Choice[], g: GenerateOptions,
  after?: (event: Event, sent: readonly Message[], replies: readonly ClientReply[]) => void,
): { events: Event[]; stats: ScheduleStats } {
  const servers = world.servers;
  const base = g.weights ?? DEFAULT_WEIGHTS;
  const weights: Weights = g.options?.leadershipTransfer && base.transferLeadership === undefined ? { ...base, transferLeadership: TRANSFER_WEIGHT } : base;
  const historySize = g.historySize ?? 32;
  const history: Message[] = [];
  const events: Event[] = [];
  const stats: ScheduleStats = { steps: 0, leadersElected: 0, commits: 0, termChanges: 0, truncations: 0, crashes: 0, snapshots: 0, installs: 0, answered: 0, reads: 0, redirects: 0 };
  let commandNo = 0;
  const clients = g.clients ? new Clients(g.clients) : null;
  // With lease reads, the lease's clock assumption: no election timeout or crash of a bound server.
  const lease = g.options?.leaseReads ? new LeaseClock() : null;

  const up = () => servers.filter((id) => !world.isCrashed(id));
  const leaders = () => up().filter((id) => world.isLeader(id));

  for (const ch of choices) {
    const chosen = chooseEvent(ch);
    const bound = lease && (chosen.type === 'electionTimeout' || chosen.type === 'crash') ? lease.boundTo(chosen.node, (id) => world.leaseView(id)) : null;
    // A bound server's timer cannot run out yet: the leader that binds it sends its heartbeat instead.
    const event: Event = bound ? { type: 'heartbeatTimeout', node: bound.leader } : chosen;
    const r = world.apply(event);
    lease?.noteSent(r.sent);
    for (const m of r.sent) {
      history.push(m);
      if (history.length > historySize) history.shift();
    }
    for (const id of r.rules) {
      if (id === 'LEA-4' || id === 'AE-5') stats.commits++;
      else if (id === 'ALL-2') stats.termChanges++;
      else if (id === 'AE-3') stats.truncations++;
      else if (id === 'LEA-1' && r.rules.includes('CAN-2')) stats.leadersElected++;
      else if (id === 'SNAP-1') stats.snapshots++;
      else if (id === 'IS-5') stats.installs++;
    }
    for (const reply of r.replies) {
      if (reply.type === 'redirect') stats.redirects++;
      else if (reply.client !== null) stats.answered++;
      if (reply.type === 'read') stats.reads++;
      clients?.heard(reply);
    }
    if (event.type === 'crash') stats.crashes++;
    events.push(event);
    after?.(event, r.sent, r.replies);
  }
  stats.steps = events.length;
  return { events, stats };

  function chooseEvent(ch: Choice): Event {
    const messages = world.inFlight();
    const kind = pickKind(ch.k, weights);
    const node = servers[ch.b % servers.length] as NodeId;
    switch (kind) {
      case 'deliver':
      case 'drop':
      case 'duplicate': {
        if (messages.length === 0) break;
        // Mostly one of the three oldest messages; sometimes any (reordering).
        const window = ch.a % 4 === 0 ? messages.length : Math.min(3, messages.length);
        const message = messages[(ch.a >> 2) % window] as Message;
        if (kind === 'duplicate' && messages.length > 40) break; // keep the network bounded
        return { type: kind, message };
      }
      case 'inject': {
        if (history.length === 0) break;
        return { type: 'inject', message: history[ch.a % history.length] as Message };
      }
      case 'clientRequest': {
        const ls = leaders();
        const target = ls.length > 0 && ch.a % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        if (clients) return clients.next(ch, 'write', target, up());
        return { type: 'clientRequest', node: target, command: `c${++commandNo}` };
      }
      case 'clientRead': {
        if (!clients) break;
        const ls = leaders();
        const target = ls.length > 0 && ch.a % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        return clients.next(ch, 'read', target, up());
      }
      case 'transferLeadership': {
        const ls = leaders();
        if (ls.length === 0 || servers.length < 2) break;
        const from = ls[ch.a % ls.length] as NodeId;
        const others = servers.filter((id) => id !== from);
        return { type: 'transferLeadership', node: from, target: others[ch.b % others.length] as NodeId };
      }
      case 'snapshot': {
        const alive = up();
        if (alive.length === 0) break;
        // Mostly a leader: a follower that is behind its leader's snapshot gets an InstallSnapshot (SNAP-2).
        const ls = leaders();
        const id = (ls.length > 0 && ch.b % 4 !== 0 ? ls[(ch.b >> 2) % ls.length] : alive[ch.b % alive.length]) as NodeId;
        const { snapshotIndex, lastApplied } = world.snapshotRange(id);
        // Mostly through lastApplied; sometimes an earlier applied index (SNAP-1 rebuilds the machine as of it).
        if (ch.a % 3 !== 0 || lastApplied <= snapshotIndex) return { type: 'snapshot', node: id };
        return { type: 'snapshot', node: id, index: snapshotIndex + 1 + ((ch.a >> 2) % (lastApplied - snapshotIndex)) };
      }
      case 'crash': {
        const alive = up();
        if (alive.length === 0) break;
        return { type: 'crash', node: alive[ch.b % alive.length] as NodeId };
      }
      case 'restart': {
        const down = servers.filter((id) => world.isCrashed(id));
        if (down.length === 0) break;
        return { type: 'restart', node: down[ch.b % down.length] as NodeId };
      }
      case 'partition': {
        if (servers.length < 2) break;
        // Split off a minority (or one node) that the choice names.
        const cut = 1 + (ch.a % Math.max(1, Math.floor((servers.length - 1) / 2)));
        const start = ch.b % servers.length;
        const minority = servers.filter((_, i) => (i - start + servers.length) % servers.length < cut);
        const majority = servers.filter((id) => !minority.includes(id));
        return { type: 'partition', groups: [minority, majority] };
      }
      case 'heal':
        if (!world.partitioned()) break;
        return { type: 'heal' };
      case 'electionTimeout': {
        // A follower that hears from a live leader rarely times out: mostly the leader's
        // heartbeat fires instead, so that leaders last long enough to commit.
        const ls = leaders().filter((l) => world.groupOf(l) === world.groupOf(node));
        if (ls.length > 0 && world.isFollower(node) && ch.a % 4 !== 0) return { type: 'heartbeatTimeout', node: ls[0] as NodeId };
        return { type: 'electionTimeout', node };
      }
      case 'heartbeatTimeout': {
        const ls = leaders();
        return { type: 'heartbeatTimeout', node: ls.length > 0 && ch.a % 4 !== 0 ? (ls[ch.a % ls.length] as NodeId) : node };
      }
    }
    // The chosen kind is not possible now (say, nothing is in flight): let time pass instead. A
    // leader's heartbeat if there is one, so that a quiet network does not depose it.
    const ls = leaders();
    if (ls.length > 0) return { type: 'heartbeatTimeout', node: ls[ch.a % ls.length] as NodeId };
    return { type: 'electionTimeout', node };
  }
}

/**
 * Sequential key-value clients: each has at most one operation outstanding, numbered for CLI-2,
 * and sends it again (same client and seq) until a reply answers it: to the leader a redirect
 * named if it is up, else where the schedule points.
 */
class Clients {
  private readonly state: Map<string, { seq: number; pending: Event | null; leader: NodeId | null; wrote: Map<string, string> }>;
  constructor(private readonly o: ClientOptions) {
    this.state = new Map(o.ids.map((id) => [id, { seq: 0, pending: null, leader: null, wrote: new Map() }]));
  }

  /** The event for a choice: the client's outstanding operation again, or a new one of `kind`. */
  next(ch: Choice, kind: 'write' | 'read', target: NodeId, up: readonly NodeId[]): Event {
    const id = this.o.ids[ch.a % this.o.ids.length] as string;
    const c = this.state.get(id) as NonNullable<ReturnType<typeof this.state.get>>;
    const to = c.leader !== null && up.includes(c.leader) && ch.b % 4 !== 0 ? c.leader : target;
    if (c.pending) return { ...c.pending, node: to } as Event; // a retry: the same operation
    const seq = ++c.seq;
    const key = this.o.keys[(ch.b >> 3) % this.o.keys.length] as string;
    if (kind === 'read') {
      c.pending = { type: 'clientRead', node: to, client: id, seq, key };
      return c.pending;
    }
    const value = `${id}.${seq}`;
    let command: KvCommand;
    switch ((ch.a >> 4) % 5) {
      case 0: case 1: command = { op: 'put', key, value, client: id, seq }; break;
      case 2: command = { op: 'append', key, value: `${value};`, client: id, seq }; break;
      case 3: command = { op: 'cas', key, expected: (ch.b >> 5) % 2 === 0 ? null : (c.wrote.get(key) ?? null), value, client: id, seq }; break;
      default: command = { op: 'get', key, client: id, seq };
    }
    if (command.op === 'put' || command.op === 'cas') c.wrote.set(key, value);
    c.pending = { type: 'clientRequest', node: to, command };
    return c.pending;
  }

  /** A reply reached its client: an answer ends the operation; a redirect names the leader to try. */
  heard(r: ClientReply): void {
    if (r.client === null) return;
    const c = this.state.get(r.client);
    if (!c || r.seq !== c.seq) return;
    if (r.type === 'redirect') c.leader = r.leader;
    else c.pending = null;
  }
}
