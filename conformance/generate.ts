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
// named, until it is answered), mixed with ReadIndex reads and snapshots (issue 4). With the
// followerReads option (issue 15) their reads go to any server and carry the highest index the
// client has been answered with (FR-4), and they sometimes ask the leader for a sync (FR-3).
import fc from 'fast-check';
import type { BootstrapConfiguration, ClientReply, Configuration, Event, KvCommand, Message, NodeId, ProtocolOptions, Trace } from '../spec/schema.js';
import { type ClusterState, applyEvent, envOf, inFlight, initCluster } from '../model/cluster.js';
import { configOf } from '../model/state.js';
import { CHOICE_POINTS, type AlternativeLetter, type ChoiceId, type Profile } from '../spec/choices.js';
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
  /** A server is asked to change the configuration (CFG-2, CFG-7); only with `membership`. */
  readonly reconfigure?: number;
  /** A server applies its committed entries (DEC-17b); only when the profile takes DEC-17b. */
  readonly apply?: number;
  /** A client asks for a sync (FR-3); only with `clients` and the followerReads option. */
  readonly clientSync?: number;
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

/** With membership: this weight of reconfigure events on top of the others. */
export const RECONFIGURE_WEIGHT = 25;

/** With DEC-17b: this weight of apply events on top of the others (nothing is applied without them). */
export const APPLY_WEIGHT = 60;

/** With clients and followerReads: this weight of clientSync events on top of the others (FR-3). */
export const SYNC_WEIGHT = 10;

/** A profile that pins one alternative at every choice point (spec/choices.ts), drawn at random. */
export const profileArb: fc.Arbitrary<Profile> = fc.record(
  Object.fromEntries(CHOICE_POINTS.map((c) => [c.id, fc.constantFrom(...c.alternatives.map((a) => [a.id.slice(-1) as AlternativeLetter]))])) as Record<ChoiceId, fc.Arbitrary<AlternativeLetter[]>>,
);

/** A profile as a trace carries it: each choice point named, with its alternatives' IDs (DEC-3b). */
export function traceProfile(p: Profile): NonNullable<Trace['profile']> {
  const out: Record<string, string | string[]> = {};
  for (const c of CHOICE_POINTS) {
    const letters = p[c.id];
    if (letters === undefined) continue;
    const ids = letters.map((l) => `${c.id}${l}`);
    out[c.id] = ids.length === 1 ? (ids[0] as string) : ids;
  }
  return out as NonNullable<Trace['profile']>;
}

/** Membership changes in a schedule (docs/membership.md): the configuration it starts from. */
export interface MembershipOptions {
  /** Default: the first max(1, n - 2) servers voters, the rest outside the configuration, to be added. */
  readonly bootstrap?: BootstrapConfiguration;
}

/** The bootstrap configuration of a membership schedule. */
export function membershipBootstrap(servers: readonly NodeId[], m: MembershipOptions): BootstrapConfiguration {
  return m.bootstrap ?? { voters: servers.slice(0, Math.max(1, servers.length - 2)) };
}

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
  /** reconfigure events, from a bootstrap configuration that leaves servers to add (issue 5). */
  readonly membership?: MembershipOptions;
  /** The alternatives every server takes at the choice points (spec/choices.ts); written into the trace. */
  readonly profile?: Profile;
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
  /** Configuration entries appended by leaders (CFG-2, CFG-3, CFG-7) and leaders that stepped down when removed (CFG-5). */
  reconfigurations: number;
  removedLeaders: number;
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
  /** The configuration in force at a server (CFG-1). */
  configOf(id: NodeId): Configuration;
  /** Apply a possible event; returns the messages it sent, the client replies and the rule IDs fired (if known). */
  apply(event: Event): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] };
}

/** The model's cluster as a World. */
export class ModelWorld implements World {
  c: ClusterState;
  constructor(readonly servers: readonly NodeId[], options?: ProtocolOptions, configuration?: BootstrapConfiguration, profile?: Profile) {
    this.c = initCluster(servers, options, undefined, configuration, profile);
  }
  configOf(id: NodeId) { return configOf(envOf(this.c, id), this.c.nodes[id] as NonNullable<ClusterState['nodes'][string]>); }
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
  const { world, header } = generatedStart(g, name);
  const { events, stats } = runChoices(world, choices, g);
  return { trace: { ...header, steps: events.map((event) => ({ event })) }, stats };
}

/** A generated trace's start: the model world its choices run against, and its fields before the steps (bootstrap configuration, profile). */
export function generatedStart(g: GenerateOptions, name: string): { world: ModelWorld; header: Omit<Trace, 'steps'> } {
  const configuration = g.membership ? membershipBootstrap(g.servers, g.membership) : undefined;
  return {
    world: new ModelWorld(g.servers, g.options, configuration, g.profile),
    header: {
      format: 'raft-trace', version: 1, name,
      cluster: [...g.servers],
      ...(g.options ? { options: g.options } : {}),
      ...(configuration ? { configuration } : {}),
      ...(g.profile ? { profile: traceProfile(g.profile) } : {}),
    },
  };
}

/** Interpret choices against a world, one event each; `after` sees each event once applied. */
export function runChoices(
  world: World, choices: Iterable<Choice>, g: GenerateOptions,
  after?: (event: Event, sent: readonly Message[], replies: readonly ClientReply[]) => void,
): { events: Event[]; stats: ScheduleStats } {
  const stats = emptyScheduleStats();
  const events: Event[] = [];
  for (const s of choiceSteps(world, choices, g, stats)) {
    events.push(s.event);
    after?.(s.event, s.sent, s.replies);
  }
  return { events, stats };
}

export const emptyScheduleStats = (): ScheduleStats => ({ steps: 0, leadersElected: 0, commits: 0, termChanges: 0, truncations: 0, crashes: 0, snapshots: 0, installs: 0, answered: 0, reads: 0, redirects: 0, reconfigurations: 0, removedLeaders: 0 });

/**
 * The same interpretation one step at a time (`raftspec record` and `gen` stream long runs): each
 * event once applied, with what it sent and the replies; `stats` (if given) is updated as it goes.
 * Nothing is kept per step beyond the last few messages sent (for delayed copies).
 */
export function* choiceSteps(
  world: World, choices: Iterable<Choice>, g: GenerateOptions, stats: ScheduleStats = emptyScheduleStats(),
): Generator<{ event: Event; sent: readonly Message[]; replies: readonly ClientReply[] }, void, undefined> {
  const servers = world.servers;
  const base = g.weights ?? DEFAULT_WEIGHTS;
  const weights: Weights = {
    ...base,
    ...(g.options?.leadershipTransfer && base.transferLeadership === undefined ? { transferLeadership: TRANSFER_WEIGHT } : {}),
    ...(g.membership && base.reconfigure === undefined ? { reconfigure: RECONFIGURE_WEIGHT } : {}),
    ...(g.profile?.['DEC-17']?.[0] === 'b' && base.apply === undefined ? { apply: APPLY_WEIGHT } : {}),
    ...(g.clients && g.options?.followerReads && base.clientSync === undefined ? { clientSync: SYNC_WEIGHT } : {}),
  };
  const historySize = g.historySize ?? 32;
  const history: Message[] = [];
  let commandNo = 0;
  const clients = g.clients ? new Clients(g.clients, g.options?.followerReads === true) : null;
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
      else if (id === 'CFG-2' || id === 'CFG-3' || id === 'CFG-7') stats.reconfigurations++;
      else if (id === 'CFG-5') stats.removedLeaders++;
    }
    for (const reply of r.replies) {
      if (reply.type === 'redirect') stats.redirects++;
      else if (reply.client !== null) stats.answered++;
      if (reply.type === 'read') stats.reads++;
      clients?.heard(reply);
    }
    if (event.type === 'crash') stats.crashes++;
    stats.steps++;
    yield { event, sent: r.sent, replies: r.replies };
  }

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
        // FR-1: with followerReads a read goes to any server.
        if (g.options?.followerReads) return clients.next(ch, 'read', node, up());
        const ls = leaders();
        const target = ls.length > 0 && ch.a % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        return clients.next(ch, 'read', target, up());
      }
      case 'clientSync': {
        // FR-3: a sync goes to the leader (only a leader answers one).
        if (!clients) break;
        const ls = leaders();
        const target = ls.length > 0 && ch.a % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        return clients.next(ch, 'sync', target, up());
      }
      case 'transferLeadership': {
        const ls = leaders();
        if (ls.length === 0 || servers.length < 2) break;
        const from = ls[ch.a % ls.length] as NodeId;
        const others = servers.filter((id) => id !== from);
        return { type: 'transferLeadership', node: from, target: others[ch.b % others.length] as NodeId };
      }
      case 'reconfigure': {
        const ls = leaders();
        // Mostly a leader; sometimes anyone (DEC-9).
        const at = ls.length > 0 && ch.b % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        return reconfigureEvent(ch, at, world.configOf(at), servers);
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
      case 'apply': {
        // DEC-17b: mostly a leader (its clients are answered when it applies), sometimes anyone up.
        const alive = up();
        if (alive.length === 0) break;
        const ls = leaders();
        return { type: 'apply', node: (ls.length > 0 && ch.a % 2 === 0 ? ls[ch.b % ls.length] : alive[ch.b % alive.length]) as NodeId };
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
 * A membership change asked of `node`, relative to the configuration it has in force: mostly one
 * step of growing or shrinking (add a learner, promote it, demote or remove a server: CFG-4,
 * CFG-7), sometimes a joint change to another voter set (CFG-2), sometimes a single change of two
 * voters, which CFG-7 refuses.
 */
function reconfigureEvent(ch: Choice, node: NodeId, c: Configuration, servers: readonly NodeId[]): Event {
  const voters = [...c.voters];
  const learners = [...(c.learners ?? [])];
  const outside = servers.filter((id) => !voters.includes(id) && !learners.includes(id));
  const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length] as T;
  const single = (v: NodeId[], l: NodeId[]): Event => ({ type: 'reconfigure', node, change: 'single', voters: v, ...(l.length > 0 ? { learners: l } : {}) });
  const without = (xs: readonly NodeId[], id: NodeId) => xs.filter((x) => x !== id);
  switch (ch.a % 8) {
    case 0: case 1: // add a learner (CFG-4), or promote one when there is no one left to add
      if (outside.length > 0) return single(voters, [...learners, pick(outside, ch.a >> 3)]);
      if (learners.length > 0) { const id = pick(learners, ch.a >> 3); return single([...voters, id], without(learners, id)); }
      break;
    case 2: case 3: // promote a learner (CFG-7: one voter more)
      if (learners.length > 0) { const id = pick(learners, ch.a >> 3); return single([...voters, id], without(learners, id)); }
      break;
    case 4: // remove a voter, or demote it to learner; a third of the time the server asked itself (CFG-5 if it leads)
      if (voters.length > 1) {
        const id = (ch.a >> 8) % 3 === 0 && voters.includes(node) ? node : pick(voters, ch.a >> 3);
        return (ch.a >> 6) % 2 === 0 ? single(without(voters, id), learners) : single(without(voters, id), [...learners, id]);
      }
      break;
    case 5: // remove a learner
      if (learners.length > 0) return single(voters, without(learners, pick(learners, ch.a >> 3)));
      break;
    case 6: { // a joint change to a voter set the choice names (CFG-2)
      const n = 1 + ((ch.a >> 3) % servers.length);
      const start = (ch.a >> 6) % servers.length;
      const next = servers.filter((_, i) => (i - start + servers.length) % servers.length < n);
      const kept = learners.filter((id) => !next.includes(id));
      return { type: 'reconfigure', node, change: 'joint', voters: next, ...(kept.length > 0 ? { learners: kept } : {}) };
    }
    case 7: // two voters changed in one single change: refused (CFG-7)
      if (outside.length > 1) return single([...voters, outside[0] as NodeId, outside[1] as NodeId], learners);
      break;
  }
  return single(voters, learners); // the configuration in force again: a change of nothing
}

/**
 * Sequential key-value clients: each has at most one operation outstanding, numbered for CLI-2,
 * and sends it again (same client and seq) until a reply answers it: to the leader a redirect
 * named if it is up, else where the schedule points. With followerReads (FR-4) each keeps the
 * highest index it has been answered with and sends it as every read's `after`; its reads go where
 * the schedule points (any server, FR-1), and a redirected one tries elsewhere next time (FR-2).
 */
class Clients {
  private readonly state: Map<string, { seq: number; pending: Event | null; leader: NodeId | null; wrote: Map<string, string>; seen: number }>;
  constructor(private readonly o: ClientOptions, private readonly followerReads = false) {
    this.state = new Map(o.ids.map((id) => [id, { seq: 0, pending: null, leader: null, wrote: new Map(), seen: 0 }]));
  }

  /** The event for a choice: the client's outstanding operation again, or a new one of `kind`. */
  next(ch: Choice, kind: 'write' | 'read' | 'sync', target: NodeId, up: readonly NodeId[]): Event {
    const id = this.o.ids[ch.a % this.o.ids.length] as string;
    const c = this.state.get(id) as NonNullable<ReturnType<typeof this.state.get>>;
    // FR-1: a follower read goes where the schedule points, not to the leader.
    const anyServer = this.followerReads && (c.pending ? c.pending.type === 'clientRead' : kind === 'read');
    const to = !anyServer && c.leader !== null && up.includes(c.leader) && ch.b % 4 !== 0 ? c.leader : target;
    // FR-4: a read carries the highest index the client has seen (a retry too: it may have grown).
    const after = this.followerReads && c.seen > 0 ? { after: c.seen } : {};
    if (c.pending) return (c.pending.type === 'clientRead' ? { ...c.pending, node: to, ...after } : { ...c.pending, node: to }) as Event; // a retry: the same operation
    const seq = ++c.seq;
    if (kind === 'sync') {
      c.pending = { type: 'clientSync', node: to, client: id, seq };
      return c.pending;
    }
    const key = this.o.keys[(ch.b >> 3) % this.o.keys.length] as string;
    if (kind === 'read') {
      c.pending = { type: 'clientRead', node: to, client: id, seq, key, ...after };
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
    // FR-4: every answer the client gets raises what it has seen.
    if (c && r.type !== 'redirect' && r.index > c.seen) c.seen = r.index;
    if (!c || r.seq !== c.seq) return;
    if (r.type === 'redirect') c.leader = r.leader;
    else c.pending = null;
  }
}
