// `raftspec record`: the implementation alone, in a simulated cluster on a seeded random schedule,
// records its own trace with its observations after every step. The model plays no part here:
// the file is checked later by `raftspec validate`, exactly as a trace from any implementation.
import type { BootstrapConfiguration, ClientReply, Configuration, Event, Message, NodeId, Observation, ProtocolOptions, Step, Trace } from '../spec/schema.js';
import { MemoryStorage, RaftNode, type RaftConfig } from '../impl/index.js';
import { optionFlags } from './campaign.js';
import { CLIENT_WEIGHTS, type ClientOptions, type MembershipOptions, choiceSteps, membershipBootstrap, traceProfile, type World } from './generate.js';
import { lazySchedule } from './produce.js';
import type { StreamTrace } from './stream.js';
import type { Profile } from '../spec/choices.js';
import { nodeInputOf, type NodeInput } from '../spec/input.js';
import { SimNetwork } from './network.js';

/** A simulated cluster of implementation nodes with an unreliable network, as a World. */
export class ImplWorld implements World {
  readonly nodes = new Map<NodeId, RaftNode>();
  private readonly disks = new Map<NodeId, MemoryStorage>();
  private readonly configs = new Map<NodeId, RaftConfig>();
  private readonly network = new SimNetwork('the recorder');
  private readonly crashed = new Set<NodeId>();
  /** The server the last event reached, if any. */
  lastNode: NodeId | null = null;

  constructor(readonly servers: readonly NodeId[], options?: ProtocolOptions, bootstrap?: BootstrapConfiguration, profile?: Profile) {
    for (const id of servers) {
      const config: RaftConfig = { id, servers, ...(options ? { options } : {}), ...(bootstrap ? { bootstrap } : {}), ...(profile ? { profile } : {}) };
      this.configs.set(id, config);
      this.nodes.set(id, new RaftNode(config));
      this.disks.set(id, new MemoryStorage());
    }
  }

  isCrashed(id: NodeId) { return this.crashed.has(id); }
  isLeader(id: NodeId) { return this.node(id).role === 'leader'; }
  isFollower(id: NodeId) { return this.node(id).role === 'follower'; }
  groupOf(id: NodeId) { return this.network.groupOf(id); }
  partitioned() { return this.network.partitioned(); }
  leaseView(id: NodeId) {
    const n = this.node(id);
    return { up: !this.crashed.has(id), isLeader: n.role === 'leader', term: n.currentTerm, leaseFloor: n.leaseFloor };
  }
  configOf(id: NodeId): Configuration { return this.node(id).config; }
  snapshotRange(id: NodeId) {
    const n = this.node(id);
    return { snapshotIndex: n.snapshotIndex, lastApplied: n.lastApplied };
  }
  inFlight(): Message[] { return this.network.inFlight(); }

  node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  apply(event: Event): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    this.lastNode = null;
    const none = { sent: [], replies: [], rules: [] };
    switch (event.type) {
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
        const to = nodeInputOf(event) as { node: NodeId; input: NodeInput }; // these events always reach a server
        return this.input(to.node, to.input);
      }
      case 'crash': {
        this.crashed.add(event.node);
        // PER-1: the server comes back with what it persisted, and nothing else.
        this.nodes.set(event.node, RaftNode.restart(this.configs.get(event.node) as RaftConfig, this.disks.get(event.node) as MemoryStorage));
        this.lastNode = event.node;
        return none;
      }
      case 'restart': {
        this.crashed.delete(event.node);
        this.lastNode = event.node;
        // DEC-7b: the server applies the commitIndex it kept as it comes up.
        const ready = this.node(event.node).resume();
        (this.disks.get(event.node) as MemoryStorage).save(ready);
        return { sent: ready.messages, replies: ready.replies, rules: [] };
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
    }
  }

  private input(id: NodeId, input: NodeInput): { sent: readonly Message[]; replies: readonly ClientReply[]; rules: readonly string[] } {
    this.lastNode = id;
    if (this.crashed.has(id)) return { sent: [], replies: [], rules: [] };
    const ready = this.node(id).step(input);
    (this.disks.get(id) as MemoryStorage).save(ready); // PER-1: persist before sending
    for (const m of ready.messages) this.network.send(m);
    return { sent: ready.messages, replies: ready.replies, rules: [] };
  }

  /**
   * What the implementation shows of one server: every field, and of its log all of it (`true`),
   * nothing, or the end of it from the first index the step changed (logSuffix: the trace grows
   * with what is appended, not with the log's length at every step).
   */
  observe(id: NodeId, withLog: boolean, changedFrom = Infinity): Observation {
    const n = this.node(id);
    const { nextIndex, matchIndex, appliedIndex } = n.progressMaps();
    const o: Observation = {
      role: n.role, currentTerm: n.currentTerm, votedFor: n.votedFor,
      snapshotIndex: n.snapshotIndex, snapshotTerm: n.snapshotTerm,
      commitIndex: n.commitIndex, lastApplied: n.lastApplied,
      machine: n.machine, leaderId: n.leaderId, partialSnapshot: n.partialSnapshot, heardFromLeader: n.heardFromLeader,
      nextIndex, matchIndex, recentlyActive: [...n.recentlyActive()], transferee: n.transferee, appliedIndex,
      votesGranted: [...n.votesGranted()],
    };
    if (withLog) {
      o.log = Array.from({ length: n.lastIndex - n.snapshotIndex }, (_, k) => n.entryAt(n.snapshotIndex + k + 1));
      o.snapshotMachine = n.snapshotMachine;
    } else if (changedFrom !== Infinity) {
      const from = Math.max(changedFrom, n.snapshotIndex + 1);
      o.logSuffix = { from, entries: Array.from({ length: n.lastIndex - from + 1 }, (_, k) => n.entryAt(from + k)) };
      // A snapshot taken or installed in this step: its state machine too.
      if (changedFrom <= n.snapshotIndex) o.snapshotMachine = n.snapshotMachine;
    }
    return o;
  }
}

/** Record a seeded run of the implementation: events plus its observations after every step (the whole trace; recordStream streams it). */
export function recordRun(seed: number, steps: number, servers: readonly NodeId[], options?: ProtocolOptions, clients?: ClientOptions, membership?: MembershipOptions, profile?: Profile): Trace {
  const t = recordStream(seed, steps, servers, options, clients, membership, profile);
  return { ...t, steps: [...t.steps] };
}

/**
 * A seeded run of the implementation as a trace whose steps are recorded as they are read: the
 * schedule drawn lazily, each step run and observed when the next one is asked for, nothing kept
 * per step (conformance/stream.ts writes it so). Read its steps once.
 */
export function recordStream(seed: number, steps: number, servers: readonly NodeId[], options?: ProtocolOptions, clients?: ClientOptions, membership?: MembershipOptions, profile?: Profile): StreamTrace {
  const configuration = membership ? membershipBootstrap(servers, membership) : undefined;
  return {
    format: 'raft-trace', version: 1,
    name: `recorded-seed${seed}`,
    source: `raftspec record --seed ${seed} --steps ${steps} --servers ${servers.length}${optionFlags(options, clients, membership)}: recorded by impl/ (RaftNode) in a simulated cluster`,
    description: "The implementation's own observations after every step, recorded without the model. `raftspec validate` replays them against the model.",
    cluster: [...servers],
    ...(options ? { options } : {}),
    ...(configuration ? { configuration } : {}),
    ...(profile ? { profile: traceProfile(profile) } : {}),
    steps: recordedSteps(seed, steps, servers, options, clients, membership, profile, configuration),
  };
}

function* recordedSteps(seed: number, steps: number, servers: readonly NodeId[], options: ProtocolOptions | undefined, clients: ClientOptions | undefined, membership: MembershipOptions | undefined, profile: Profile | undefined, configuration: BootstrapConfiguration | undefined): Generator<Step, void, undefined> {
  const choices = lazySchedule(seed, steps);
  const world = new ImplWorld(servers, options, configuration, profile);
  for (const id of servers) world.node(id).takeLogChangedFrom();
  let k = 0;
  for (const { event, sent, replies } of choiceSteps(world, choices, { servers, ...(options ? { options } : {}), ...(clients ? { clients, weights: CLIENT_WEIGHTS } : {}), ...(membership ? { membership } : {}), ...(profile ? { profile } : {}) })) {
    const last = ++k === steps;
    const id = world.lastNode;
    let step: Step;
    if (id === null) step = { event };
    else {
      const n = world.node(id);
      const changedFrom = n.takeLogChangedFrom();
      // sent: what the server sent in this step (the checker compares it whole, docs/trace-format.md).
      step = { event, expect: { nodes: { [id]: world.observe(id, event.type === 'crash', changedFrom) }, ...(replies.length > 0 ? { replies: [...replies] } : {}) }, sent: [...sent] };
    }
    if (last) {
      // After the last step: every server in full.
      const nodes: Record<NodeId, Observation> = {};
      for (const s of servers) nodes[s] = world.observe(s, true);
      step = { ...step, expect: { ...(step.expect ?? {}), nodes } };
    }
    yield step;
  }
}
