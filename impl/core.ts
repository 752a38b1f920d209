// The state of one server, grouped by lifetime as Figure 2 groups it: what it persists (PER-1),
// what every server keeps in memory, what only a candidate keeps and what only a leader keeps
// (roles.ts: records created on entering the role and dropped on leaving it). Beside it, the
// server's fixed settings and the Ready of the step in progress.
//
// The other modules of impl/ are functions over this state, by concern, as etcd spreads the
// methods of its `raft` struct over raft.go, log.go and read_only.go: election.ts, follower.ts,
// replication.ts, snapshot.ts, confchange.ts, reads.ts, transfer.ts, proposals.ts. node.ts
// (RaftNode) is the only way in from outside; this file is not exported from index.ts.
import type { Configuration, Entry, KvState, Message, NodeId, Observation, Role } from '../spec/schema.js';
import { EMPTY_KV, resolveOptions } from '../spec/schema.js';
import { sessionOf } from '../spec/kv.js';
import type { ChoiceId } from '../spec/choices.js';
import { KvMachine } from './kv.js';
import { copyEntry, RaftLog } from './log.js';
import { bootstrapConfig, copyConfig, Membership } from './membership.js';
import { CandidateState, LeaderState } from './roles.js';
import type { RaftConfig, Ready } from './types.js';

/** The options a server runs with (spec/schema.ts ProtocolOptions, resolved and checked). */
export interface Settings {
  readonly maxEntries: number;
  readonly snapshotChunkSize: number;
  readonly fastBacktracking: boolean;
  readonly leaderNoop: boolean;
  /** LR-1 .. LR-3: reads under a lease; implies the disruption guard (CFG-6). */
  readonly leaseReads: boolean;
  /** FR-1 .. FR-3: reads answered by any server from its applied state; clientSync. */
  readonly followerReads: boolean;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly disruptionGuard: boolean;
  readonly leadershipTransfer: boolean;
  /** PIP-1, PIP-2: several AppendEntries in flight per follower. */
  readonly pipelining: boolean;
  /** FC-1 .. FC-3: the window W past a follower's reported lastApplied; 0 when flow control is off. */
  readonly flowControlWindow: number;
  /** CFG-1: the configuration every server knows at the start. */
  readonly bootstrap: Configuration;
  // The choice points of spec/choices.ts: true where the profile takes alternative 'b'.
  /** DEC-3b: on a success, nextIndex = matchIndex of the response + 1, even if that moves it back. */
  readonly nextFollowsSuccess: boolean;
  /** DEC-4b: every rejection of our term moves nextIndex back by one (never below 1), and we retry. */
  readonly backOffEveryRejection: boolean;
  /** DEC-5b: no entries to a follower until its matchIndex reaches nextIndex - 1. */
  readonly probeEmpty: boolean;
  /** DEC-6b: an AppendEntries carries every entry from nextIndex to the end of the log, whatever maxEntries says (not with pipelining or flow control). */
  readonly sendToEnd: boolean;
  /** DEC-23b: a follower that knows the leader of its term forwards a client command to it (ClientProposal) instead of redirecting. */
  readonly forwardProposals: boolean;
  /** DEC-22b: with fastBacktracking, a rejection carries etcd's rejectHint and logTerm, not conflictTerm and conflictIndex. */
  readonly rejectHint: boolean;
  /** DEC-7b: commitIndex is persisted (HardState.commitIndex) and kept across a restart. */
  readonly persistCommit: boolean;
  /** DEC-16b: leaderCommit never beyond the last entry an AppendEntries carries. */
  readonly clampLeaderCommit: boolean;
  /** DEC-17b: committed entries are applied only at an `apply` input. */
  readonly applyApart: boolean;
  /** DEC-18b: at most one AppendEntries or InstallSnapshot outstanding per follower, except at a heartbeat. */
  readonly oneOutstanding: boolean;
  /** DEC-19b: a RequestVote or AppendEntries of an older term is dropped without a reply. */
  readonly dropStaleRequests: boolean;
  /** DEC-20b: a new leader sends nothing on winning; its first AppendEntries go at its next heartbeat (or client request). */
  readonly announceAtHeartbeat: boolean;
  /** DEC-21b: a leader or candidate deposed by an AppendEntries of a newer term adopts the term (ALL-2) and drops it unanswered. */
  readonly dropDeposingAppend: boolean;
  /** DEC-24b: a configuration entry takes effect when applied (etcd's ConfChange), not when appended. */
  readonly configOnApply: boolean;
}

/** The settings of a RaftConfig; a RangeError names what is not usable. */
export function settingsOf(config: RaftConfig): Settings {
  const o = resolveOptions(config.options);
  if (!Number.isInteger(o.maxEntriesPerAppendEntries) || o.maxEntriesPerAppendEntries < 1) {
    throw new RangeError(`maxEntriesPerAppendEntries must be an integer >= 1, got ${o.maxEntriesPerAppendEntries}`);
  }
  if (!Number.isInteger(o.snapshotChunkSize) || o.snapshotChunkSize < 1) {
    throw new RangeError(`snapshotChunkSize must be an integer >= 1, got ${o.snapshotChunkSize}`);
  }
  if (!Number.isInteger(o.flowControlWindow) || o.flowControlWindow < 0) {
    throw new RangeError(`flowControlWindow must be an integer >= 1 (or 0 for none), got ${o.flowControlWindow}`);
  }
  const takesB = (point: ChoiceId): boolean => config.profile?.[point]?.[0] === 'b';
  return {
    maxEntries: o.maxEntriesPerAppendEntries,
    snapshotChunkSize: o.snapshotChunkSize,
    fastBacktracking: o.fastBacktracking,
    leaderNoop: o.leaderNoop,
    leaseReads: o.leaseReads,
    followerReads: o.followerReads,
    preVote: o.preVote,
    checkQuorum: o.checkQuorum,
    disruptionGuard: o.disruptionGuard || o.leaseReads, // CFG-6: leaseReads turns the guard on
    leadershipTransfer: o.leadershipTransfer,
    pipelining: o.pipelining,
    flowControlWindow: o.flowControlWindow,
    bootstrap: bootstrapConfig(config.servers, config.bootstrap),
    nextFollowsSuccess: takesB('DEC-3'),
    backOffEveryRejection: takesB('DEC-4'),
    probeEmpty: takesB('DEC-5'),
    sendToEnd: takesB('DEC-6') && !o.pipelining && !(o.flowControlWindow > 0),
    persistCommit: takesB('DEC-7'),
    clampLeaderCommit: takesB('DEC-16'),
    applyApart: takesB('DEC-17'),
    oneOutstanding: takesB('DEC-18'),
    dropStaleRequests: takesB('DEC-19'),
    announceAtHeartbeat: takesB('DEC-20'),
    dropDeposingAppend: takesB('DEC-21'),
    rejectHint: takesB('DEC-22') && o.fastBacktracking,
    forwardProposals: takesB('DEC-23'),
    configOnApply: takesB('DEC-24'),
  };
}

export const newReady = (): Ready => ({ messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] });

export class RaftState {
  readonly id: NodeId;
  readonly opts: Settings;
  /** Every server known, in fan-out order: `servers` of the RaftConfig, then any server a configuration named since (knowServer). */
  readonly servers: NodeId[];
  readonly selfSlot: number;
  private readonly slots = new Map<NodeId, number>();
  /** The configuration in force (CFG-1) as per-slot flags: voters, members, peers (membership.ts). */
  readonly members: Membership;

  // Persistent (PER-1).
  currentTerm = 0;
  votedFor: NodeId | null = null;
  readonly log = new RaftLog();
  // The snapshot (SNAP-1): its lastIncludedIndex and lastIncludedTerm are the log's base and base
  // term; the state machine as of that index is kept as the immutable plain object it was saved as.
  snapshotMachine: KvState = EMPTY_KV;
  /** The configuration in force at the snapshot's index (SNAP-1); null: the bootstrap configuration. */
  snapshotConfig: Configuration | null = null;
  /** The snapshot as InstallSnapshot carries it, computed when a leader first sends it (SNAP-2); null until then. */
  snapshotText: string | null = null;

  // Volatile, every role.
  role: Role = 'follower';
  commitIndex = 0;
  lastApplied = 0;
  /** The state machine as of lastApplied (KV-1, CLI-2). */
  kv = new KvMachine();
  /** CLI-1: the leader last heard from in currentTerm (itself when leader), for redirects. */
  leaderId: NodeId | null = null;
  /** PV-2, CFG-6: handled an AppendEntries or InstallSnapshot from the leader of currentTerm since the last election timeout. */
  heardFromLeader = false;
  /** IS-2, IS-3: the InstallSnapshot being received, chunk by chunk (DEC-12); null when none. */
  partial: { lastIncludedIndex: number; lastIncludedTerm: number; data: string } | null = null;
  /** LEA-2: index -> term of the client commands this server appended as leader and has not applied yet. Survives a change of role. */
  readonly awaiting = new Map<number, number>();

  // Volatile, one role only (DEC-10): null on every other role.
  candidate: CandidateState | null = null;
  leader: LeaderState | null = null;

  /** What the step in progress produced. */
  ready: Ready = newReady();

  constructor(config: RaftConfig) {
    const selfSlot = config.servers.indexOf(config.id);
    if (selfSlot < 0) throw new RangeError(`server ${config.id} is not in servers [${config.servers.join(', ')}]`);
    if (new Set(config.servers).size !== config.servers.length) throw new RangeError(`servers [${config.servers.join(', ')}] lists a server twice`);
    this.opts = settingsOf(config);
    this.id = config.id;
    this.servers = [...config.servers];
    this.servers.forEach((id, slot) => this.slots.set(id, slot));
    this.selfSlot = selfSlot;
    this.members = new Membership(selfSlot);
  }

  /** A state given mid-history: any subset of the fields, the rest at their initial values. */
  load(o: Observation): void {
    this.role = o.role ?? 'follower';
    this.currentTerm = o.currentTerm ?? 0;
    this.votedFor = o.votedFor ?? null;
    // SNAP-1: the log starts after the snapshot; commitIndex and lastApplied default to its index.
    const snapshotIndex = o.snapshotIndex ?? 0;
    if (snapshotIndex > 0 || o.snapshotTerm) this.log.discardThrough(snapshotIndex, o.snapshotTerm ?? 0);
    if (o.snapshotMachine) this.snapshotMachine = o.snapshotMachine;
    if (o.snapshotConfig) this.snapshotConfig = copyConfig(o.snapshotConfig);
    if (o.partialSnapshot) this.partial = { ...o.partialSnapshot };
    for (const e of o.log ?? []) this.log.append(copyEntry(e));
    this.syncConfig(); // CFG-1, before the progress below: a configuration may name servers not yet known
    this.commitIndex = o.commitIndex ?? snapshotIndex;
    this.lastApplied = o.lastApplied ?? snapshotIndex;
    const machine = o.machine ?? o.snapshotMachine; // the spec's default: the snapshot's machine, else empty
    if (machine) this.kv = KvMachine.from(machine);
    this.leaderId = o.leaderId ?? null;
    const votes = [...(o.votesGranted ?? [])];
    // A leader's record on a leader, and on any role the state gives leader fields to (as the model keeps them until DEC-10 clears them).
    const leaderFields = [o.nextIndex, o.matchIndex, o.appliedIndex].some((v) => v !== undefined && Object.keys(v).length > 0)
      || (o.recentlyActive ?? []).length > 0 || (o.transferee ?? null) !== null;
    if (this.role === 'leader' || leaderFields) {
      const lead = (this.leader = new LeaderState(this.servers.length, this.opts.flowControlWindow > 0, this.role === 'leader' ? votes : [], this.opts.oneOutstanding));
      for (const [field, values] of [['nextIndex', o.nextIndex], ['matchIndex', o.matchIndex], ['appliedIndex', o.appliedIndex]] as const) {
        for (const [peer, value] of Object.entries(values ?? {})) lead.progress[field][this.slotNamed(peer, field)] = value;
      }
      for (const peer of o.recentlyActive ?? []) lead.markActive(this.slotNamed(peer, 'recentlyActive'), peer);
      lead.transferee = o.transferee ?? null;
    }
    if (this.role !== 'leader' && (this.role !== 'follower' || votes.length > 0)) this.candidate = new CandidateState(votes);
    this.heardFromLeader = o.heardFromLeader ?? false;
  }

  private slotNamed(peer: NodeId, field: string): number {
    const slot = this.slotOf(peer);
    if (slot === undefined) throw new RangeError(`${field} names ${peer}, which is not in servers`);
    return slot;
  }

  /** The slot of a server, or undefined if it is not in the cluster. */
  slotOf(id: NodeId): number | undefined {
    return this.slots.get(id);
  }

  /** The server in `slot` (a slot the node handed out). */
  serverAt(slot: number): NodeId {
    const id = this.servers[slot];
    if (id === undefined) throw new RangeError(`no server in slot ${slot}`);
    return id;
  }

  /** The leader record, on a leader. */
  lead(): LeaderState {
    const l = this.leader;
    if (l === null) throw new Error(`${this.id} (${this.role}) keeps no leader state`);
    return l;
  }

  send(m: Message): void {
    this.ready.messages.push(m);
  }

  /** A leader's own entry (LEA-2, CLI-3, CFG-2, CFG-3, CFG-7): into the log and into Ready, after what this step appended already. Returns its index. */
  appendOwn(entry: Entry): number {
    const index = this.log.append(entry);
    const appended = this.ready.appended;
    if (appended !== null && appended.index + appended.entries.length === index) appended.entries.push(entry);
    else this.ready.appended = { index, entries: [entry] };
    return index;
  }

  /** ALL-2: adopt the newer term, forget the vote, follow. */
  adoptTerm(term: number): void {
    this.currentTerm = term;
    this.votedFor = null;
    this.leaderId = null; // CLI-1: no leader known in the new term yet
    this.heardFromLeader = false; // PV-2, CFG-6: nor heard from one
    this.becomeFollower();
  }

  /**
   * DEC-10: the candidate's and the leader's records go (CLI-4: a leader that steps down never
   * answers its pending reads; CQ-1, LT-5: nor keeps its recently active peers or its transfer).
   */
  becomeFollower(): void {
    this.role = 'follower';
    this.candidate = null;
    this.leader = null;
  }

  /**
   * CFG-1: take the configuration in force from the log (its last configuration entry; DEC-24b:
   * its last one at or below lastApplied), else the snapshot, else the bootstrap. O(1) (DEC-24b:
   * O(log configuration entries)) when it did not change; O(servers) when it did.
   */
  syncConfig(): void {
    const inLog = this.opts.configOnApply ? this.log.configAtOrBelow(this.lastApplied) : this.log.lastConfig();
    const inForce = inLog ?? this.snapshotConfig ?? this.opts.bootstrap;
    if (inForce !== this.members.config) this.useConfig(inForce);
  }

  /** The per-slot flags of a configuration now in force; a server it names that we never heard of gets a slot first. */
  useConfig(config: Configuration): void {
    for (const id of config.voters) this.knowServer(id);
    for (const id of config.oldVoters ?? []) this.knowServer(id);
    for (const id of config.learners ?? []) this.knowServer(id);
    this.members.set(config, (id) => this.slots.get(id) as number, this.servers.length);
    if (this.leader !== null) this.leader.quorumStale = true;
  }

  /** A server not in `servers` (a library user added it): the next slot, with every per-slot array extended. */
  private knowServer(id: NodeId): void {
    if (this.slots.has(id)) return;
    this.slots.set(id, this.servers.length);
    this.servers.push(id);
    this.leader?.addSlot();
  }

  /** ALL-1 where commitIndex may have risen: apply now, unless entries are applied in a step of their own (DEC-17b: at `apply`). */
  applyUpToCommit(): void {
    if (this.commitIndex <= this.lastApplied || this.opts.applyApart) return;
    this.applyCommitted();
  }

  /**
   * ALL-1: apply every committed entry not yet applied, in order, in this step, through the state
   * machine (KV-1, CLI-2). LEA-2: answer the client of an entry this server appended as leader,
   * if the entry applied is still the one of that term (otherwise it was overwritten: no answer).
   */
  applyCommitted(): void {
    if (this.commitIndex <= this.lastApplied) return;
    const applied = this.ready.applied;
    const awaiting = this.awaiting;
    for (let i = this.lastApplied + 1; i <= this.commitIndex; i++) {
      const term = this.log.termAt(i);
      const command = this.log.commandAt(i);
      const { result, duplicate } = this.kv.execute(command);
      applied.push({ index: i, term, command, result, duplicate });
      if (awaiting.size === 0) continue;
      const awaitedTerm = awaiting.get(i);
      if (awaitedTerm === undefined) continue;
      awaiting.delete(i);
      if (awaitedTerm !== term) continue; // overwritten by another leader's entry: the client retries
      const op = sessionOf(command);
      this.ready.replies.push({ type: 'result', node: this.id, client: op?.client ?? null, seq: op?.seq ?? null, index: i, result, duplicate });
    }
    this.lastApplied = this.commitIndex;
    if (this.opts.configOnApply) this.syncConfig(); // DEC-24b: a configuration applied takes effect
  }

  /** CLI-1: name the leader last heard from in this term, or none (LT-3: a transferring leader names the transferee). */
  redirectClient(client: string | null, seq: number | null, leader: NodeId | null = this.leaderId): void {
    this.ready.replies.push({ type: 'redirect', node: this.id, client, seq, leader });
  }
}
