// An in-process cluster: N RaftNodes, their stable storage, and a FIFO network (perfect unless a
// drop rule says otherwise). Timers fire only when the caller says so, so a run is deterministic.
import type { BootstrapConfiguration, ClientReply, Entry, Message, NodeId, ProtocolOptions } from '../spec/schema.js';
import { RaftNode } from './node.js';
import type { AppliedEntry, HardState, Persisted, Proposal, RaftConfig, Ready, Snapshot } from './types.js';

/** A server's stable storage in memory, kept only from what its Readys say to persist (PER-1). */
export class MemoryStorage implements Persisted {
  hardState: HardState = { currentTerm: 0, votedFor: null };
  /** The latest snapshot (SNAP-1, IS-5), or null. */
  snapshot: Snapshot | null = null;
  /** The entries after the snapshot: log[k] has index snapshot.index + 1 + k (k + 1 without a snapshot). */
  readonly log: Entry[] = [];

  /**
   * Persists what one step produced, in the order Ready says: the hard state, the snapshot with its
   * configuration (and the entries it covers go), then the truncation, then the new entries.
   */
  save(ready: Ready): void {
    if (ready.hardState) this.hardState = ready.hardState;
    if (ready.snapshot) {
      const covered = ready.snapshot.index - (this.snapshot?.index ?? 0);
      if (covered >= this.log.length) this.log.length = 0;
      else this.log.splice(0, covered);
      this.snapshot = ready.snapshot;
    }
    const base = this.snapshot?.index ?? 0;
    if (ready.truncatedAfter !== null && ready.truncatedAfter - base < this.log.length) this.log.length = Math.max(0, ready.truncatedAfter - base);
    if (ready.appended) {
      const at = ready.appended.index - 1 - base;
      if (at < this.log.length) this.log.length = at;
      for (const e of ready.appended.entries) this.log.push(e);
    }
  }
}

export interface ClusterOptions {
  /** Protocol options for every server. */
  options?: ProtocolOptions;
  /**
   * The configuration every server starts from (CFG-1; docs/membership.md). Default: every server
   * a voter. Servers it leaves out are spares: they take no part until a reconfigure adds them.
   */
  bootstrap?: BootstrapConfiguration;
  /** Called for every entry a server applies, in log order (the state machine). */
  onApply?: (server: NodeId, entry: AppliedEntry) => void;
  /** Whether a message is lost as it is sent; by default none is. */
  drop?: (m: Message) => boolean;
  /** Called for every answer a server gives a client, in order (CLI-1 redirects, LEA-2 results, CLI-4 reads). */
  onReply?: (reply: ClientReply) => void;
}

/** One server of a Cluster: its configuration, the running node, its disk, whether it is down. */
interface Member {
  readonly config: RaftConfig;
  node: RaftNode;
  readonly disk: MemoryStorage;
  down: boolean;
}

/**
 * An in-process Raft cluster over a FIFO network. Each server persists every Ready to its
 * {@link MemoryStorage} before its messages enter the network (PER-1), and restarts from it.
 *
 * @example Elect a leader and commit a command
 * ```ts
 * import { Cluster } from './impl/index.js';
 *
 * const cluster = new Cluster(['a', 'b', 'c'], { onApply: (id, e) => console.log(id, 'applies', e.command) });
 * cluster.electionTimeout('a');   // a asks for votes ...
 * cluster.runUntilQuiet();        // ... wins them, and announces itself
 * cluster.propose({ set: 'x' });  // the leader appends the command and replicates it
 * cluster.runUntilQuiet();        // committed and applied on a; b and c learn it ...
 * cluster.heartbeatTimeout('a');  // ... with the next AppendEntries
 * cluster.runUntilQuiet();
 * ```
 */
export class Cluster {
  /** The servers, in fan-out order. */
  readonly servers: readonly NodeId[];
  /** How many inputs the servers have handled so far (node-steps). */
  steps = 0;
  private readonly members = new Map<NodeId, Member>();
  /** The network: messages in flight, oldest first, from `head` on. */
  private queue: Message[] = [];
  private head = 0;

  /** A cluster of the given servers, or of `n1` .. `nN` when given a number. */
  constructor(servers: readonly NodeId[] | number, private readonly opts: ClusterOptions = {}) {
    this.servers = typeof servers === 'number' ? Array.from({ length: servers }, (_, k) => `n${k + 1}`) : [...servers];
    for (const id of this.servers) {
      const config: RaftConfig = { id, servers: this.servers, ...(opts.options ? { options: opts.options } : {}), ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}) };
      this.members.set(id, { config, node: new RaftNode(config), disk: new MemoryStorage(), down: false });
    }
  }

  private member(id: NodeId): Member {
    const s = this.members.get(id);
    if (!s) throw new RangeError(`unknown server ${id}; the servers are ${this.servers.join(', ')}`);
    return s;
  }

  /** The server `id`. Throws on an unknown ID. */
  node(id: NodeId): RaftNode {
    return this.member(id).node;
  }

  /** What server `id` has on stable storage. */
  storage(id: NodeId): MemoryStorage {
    return this.member(id).disk;
  }

  /** The live leader of the highest term, if there is one. */
  leader(): RaftNode | undefined {
    let best: RaftNode | undefined;
    for (const { node, down } of this.members.values()) {
      if (node.role === 'leader' && !down && (!best || node.currentTerm > best.currentTerm)) best = node;
    }
    return best;
  }

  /** How many messages are in flight. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Whether server `id` is crashed. */
  isDown(id: NodeId): boolean {
    return this.member(id).down;
  }

  /** Server `id`'s election timer fires. */
  electionTimeout(id: NodeId): void {
    this.input(id, { type: 'electionTimeout' });
  }

  /** Server `id`'s heartbeat timer fires. */
  heartbeatTimeout(id: NodeId): void {
    this.input(id, { type: 'heartbeatTimeout' });
  }

  /**
   * Proposes a command to server `id` (by default the current leader); null when there is no
   * live leader to take it. The command is committed once a majority holds it.
   */
  propose(command: unknown, id: NodeId | undefined = this.leader()?.id): Proposal | null {
    if (id === undefined) return null;
    const s = this.member(id);
    if (s.down) return null;
    const p = s.node.propose(command);
    this.steps++;
    this.handle(s, p.ready);
    return p;
  }

  /**
   * A client command reaches server `id`: a leader appends it and answers once it has applied it
   * (LEA-2); another server answers with a redirect (CLI-1). The answers go to `onReply`. No
   * effect on a crashed server (the client would time out).
   */
  clientRequest(id: NodeId, command: unknown): void {
    this.input(id, { type: 'clientRequest', command });
  }

  /**
   * A linearizable read reaches server `id` (CLI-4, ReadIndex): a leader answers once a majority
   * has confirmed its leadership and it has applied through the read index; another server answers
   * with a redirect (CLI-1). With the followerReads option any server answers at once from its
   * applied state if it has applied through `after`, the highest index the client has seen (FR-1,
   * FR-4), and redirects otherwise (FR-2). The answers go to `onReply`.
   */
  clientRead(id: NodeId, client: string, seq: number, key: string, after?: number): void {
    this.input(id, { type: 'clientRead', client, seq, key, ...(after === undefined ? {} : { after }) });
  }

  /**
   * ZooKeeper's sync reaches server `id` (FR-3, followerReads only): a leader answers with a `sync`
   * reply, at its read index, once a ReadIndex round (or its lease) confirms it; another server
   * redirects (CLI-1). The answers go to `onReply`.
   */
  clientSync(id: NodeId, client: string, seq: number): void {
    this.input(id, { type: 'clientSync', client, seq });
  }

  /**
   * Server `id` compacts its log through `index` (default: what it has applied) into a snapshot
   * (SNAP-1). No effect unless `index` is above its snapshot's and at most its lastApplied
   * (DEC-13), or on a crashed server.
   */
  snapshot(id: NodeId, index?: number): void {
    this.input(id, index === undefined ? { type: 'snapshot' } : { type: 'snapshot', index });
  }

  /**
   * Asks server `id` to hand its leadership to `target` (LT-1): with the leadershipTransfer
   * option, a leader catches the target up and sends it TimeoutNow, and meanwhile redirects
   * client commands to it (LT-3). No effect on another server, without the option, or on a
   * crashed server (DEC-9).
   */
  transferLeadership(id: NodeId, target: NodeId): void {
    this.input(id, { type: 'transferLeadership', target });
  }

  /**
   * Asks server `id` to change the configuration (docs/membership.md): `single` for a single-server
   * change (CFG-7: add or remove one voter, or change learners), `joint` for a change through
   * C_old,new (CFG-2, then CFG-3 on its own). Only a leader acts on it, and only when no change is
   * in progress, no transfer is pending and, for `single`, it has committed an entry of its term;
   * returns whether it appended the configuration.
   */
  reconfigure(id: NodeId, change: 'single' | 'joint', voters: readonly NodeId[], learners: readonly NodeId[] = []): boolean {
    const s = this.member(id);
    if (s.down) return false;
    const last = s.node.lastIndex;
    this.input(id, { type: 'reconfigure', change, voters, learners });
    return s.node.lastIndex > last;
  }

  /** Delivers the oldest message in flight; false when there is none. A message to a crashed server is lost. */
  deliverNext(): boolean {
    if (this.head >= this.queue.length) return false;
    const m = this.queue[this.head] as Message;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && 2 * this.head > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.input(m.to, m);
    return true;
  }

  /**
   * Delivers messages until none is in flight; returns how many it delivered. Without timers a
   * run always ends; `maxDeliveries` guards against a bug that would make it loop.
   */
  runUntilQuiet(maxDeliveries = 10_000_000): number {
    let delivered = 0;
    while (this.deliverNext()) {
      if (++delivered >= maxDeliveries && this.pending > 0) {
        throw new Error(`still ${this.pending} message(s) in flight after ${delivered} deliveries`);
      }
    }
    return delivered;
  }

  /**
   * Server `id` crashes: it takes no input and messages to it are lost until it restarts. Its
   * volatile state is gone: `node(id)` shows what a restart from its storage will bring back.
   */
  crash(id: NodeId): void {
    const s = this.member(id);
    s.node = RaftNode.restart(s.config, s.disk);
    s.down = true;
  }

  /** Server `id` restarts from its stable storage (PER-1) as a follower. */
  restart(id: NodeId): void {
    const s = this.member(id);
    s.node = RaftNode.restart(s.config, s.disk);
    s.down = false;
  }

  private input(id: NodeId, input: Parameters<RaftNode['step']>[0]): void {
    const s = this.member(id);
    if (s.down) return;
    const ready = s.node.step(input);
    this.steps++;
    this.handle(s, ready);
  }

  /** PER-1: persist, then send, then apply. */
  private handle(s: Member, ready: Ready): void {
    s.disk.save(ready);
    const drop = this.opts.drop;
    for (const m of ready.messages) if (!drop || !drop(m)) this.queue.push(m);
    const onApply = this.opts.onApply;
    if (onApply) for (const e of ready.applied) onApply(s.config.id, e);
    const onReply = this.opts.onReply;
    if (onReply) for (const r of ready.replies) onReply(r);
  }
}
