// The public types of the implementation: what goes into a RaftNode and what comes out of a step.
import type { BootstrapConfiguration, ClientReply, Configuration, Entry, KvState, Message, NodeId, ProtocolOptions } from '../spec/schema.js';
import type { Profile } from '../spec/choices.js';

/** Who a server is and which cluster it belongs to. */
export interface RaftConfig {
  /** This server's ID; must be one of `servers`. */
  id: NodeId;
  /**
   * Every server of the cluster, this one included, in the order used for message fan-out. A
   * configuration that names a server not listed adds it at the end (docs/membership.md).
   */
  servers: readonly NodeId[];
  /** Protocol options (spec/schema.ts); every option takes its default when left out. */
  options?: ProtocolOptions;
  /**
   * The configuration every server knows at the start (CFG-1), in force until a configuration entry
   * or a snapshot's configuration replaces it. Default: every server of `servers` a voter.
   */
  bootstrap?: BootstrapConfiguration;
  /**
   * Where Figure 2 allows more than one behaviour (spec/choices.ts: DEC-3 .. DEC-21), the
   * alternatives this server takes: the first letter listed for a choice point. Absent (or a point
   * left out): the first alternative, 'a'.
   */
  profile?: Profile;
}

/** The persistent variables besides the log (Figure 2, PER-1). */
export interface HardState {
  currentTerm: number;
  votedFor: NodeId | null;
  /** DEC-7b only (as etcd's HardState.Commit): the commitIndex, kept across a crash. Absent otherwise. */
  commitIndex?: number;
}

/** An entry applied to the state machine (ALL-1), with what the key-value state machine returned (KV-1, CLI-2). */
export interface AppliedEntry {
  index: number;
  term: number;
  command: unknown;
  result: unknown;
  /** CLI-2: answered from the client table, not executed again. */
  duplicate: boolean;
}

/** A snapshot (SNAP-1): the state machine as of `index`, whose entry has term `term`. */
export interface Snapshot {
  index: number;
  term: number;
  machine: KvState;
  /**
   * The configuration in force at `index` (SNAP-1, CFG-1); null (or absent) for the bootstrap
   * configuration. Every snapshot a node hands out in Ready sets it.
   */
  config?: Configuration | null;
}

/**
 * What one input produced, as etcd's Ready. Handle it in this order (PER-1): write `hardState`,
 * then drop the log entries after `truncatedAfter`, then write `appended`; only then send
 * `messages`, and apply `applied` to the state machine.
 *
 * The arrays are new for every step and belong to the caller. Entries may share their objects
 * with the messages of the same step (and of other servers): treat them as immutable.
 */
export interface Ready {
  /** The messages to send, in order. */
  messages: Message[];
  /** The entries to apply to the state machine, in log order. */
  applied: AppliedEntry[];
  /** The new currentTerm and votedFor (DEC-7b: and commitIndex) if any changed in this step, else null. */
  hardState: HardState | null;
  /** If set, the durable log must drop every entry after this index (AE-3) ... */
  truncatedAfter: number | null;
  /** ... and then hold these entries from `index` on (LEA-2, AE-4). */
  appended: { index: number; entries: Entry[] } | null;
  /**
   * If set, a new snapshot to write (SNAP-1, IS-5) before `truncatedAfter` and `appended`: the
   * durable log then drops every entry at or below its index.
   */
  snapshot: Snapshot | null;
  /** What the server answered clients in this step, in order (CLI-1, LEA-2, CLI-4). */
  replies: ClientReply[];
}

/** What reaches a server: a message, one of its two timers, a client command, read or sync (FR-3), a snapshot request, a leadership transfer, a membership change. */
export type Input =
  | Message
  | { type: 'electionTimeout' }
  | { type: 'heartbeatTimeout' }
  | { type: 'clientRequest'; command: unknown }
  | { type: 'clientRead'; client: string; seq: number; key: string; after?: number }
  | { type: 'clientSync'; client: string; seq: number }
  | { type: 'snapshot'; index?: number }
  | { type: 'transferLeadership'; target: NodeId }
  | { type: 'reconfigure'; change: 'single' | 'joint'; voters: readonly NodeId[]; learners?: readonly NodeId[] }
  | { type: 'apply' };

/** What a server keeps across a crash (PER-1): the input of `RaftNode.restart`. */
export interface Persisted {
  hardState: HardState;
  /** The latest snapshot, if any (SNAP-4), with its configuration (`snapshot.config`). */
  snapshot?: Snapshot | null;
  /**
   * The snapshot's configuration, for a storage that keeps it apart from the snapshot; used only
   * when `snapshot.config` is absent. Null or absent: the bootstrap configuration.
   */
  snapshotConfig?: Configuration | null;
  /** The entries after the snapshot (all of them without one). */
  log: readonly Entry[];
}

/** The answer to a proposal, as the labs' `start(command)`. */
export interface Proposal {
  /** The index the command will have if it is ever committed; 0 when this server is not the leader. */
  index: number;
  /** The current term. */
  term: number;
  /** Whether this server is the leader and took the command. */
  isLeader: boolean;
  /** What the proposal produced (an empty Ready when this server is not the leader). */
  ready: Ready;
}
