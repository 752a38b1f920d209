// The Raft core, shaped like etcd-io/raft's RawNode: a deterministic state machine with no I/O and
// no clock. An input goes in (a message, a timer, a client command); a Ready comes out (messages
// to send, entries to apply, what to persist first). The term is handled once, at the entry point
// (ALL-2 and the stale checks), then the message goes to the handler of the server's role
// (stepFollower / stepCandidate / stepLeader).
//
// Built for speed: the state is mutable and every step costs what it changes. The log is two
// parallel arrays (log.ts); per-peer progress lives in arrays by server slot (tracker.ts); the
// commit index is recomputed only when a matchIndex passes it or the leader's log grows. The
// configuration in force (membership.ts) is per-slot flags, rebuilt only when it changes.
import type { AppendEntries, AppendEntriesResponse, Configuration, Entry, InstallSnapshot, InstallSnapshotResponse, KvState, Message, NodeId, NodeState, Observation, PreVote, PreVoteResponse, RequestVote, Role } from '../spec/schema.js';
import { EMPTY_KV, resolveOptions } from '../spec/schema.js';
import { chunkAt, sessionOf, snapshotData, parseSnapshotData } from '../spec/kv.js';
import { KvMachine, type Execution } from './kv.js';
import { copyEntry, RaftLog } from './log.js';
import { bootstrapConfig, copyConfig, Membership, normalizedConfig, votersChanged } from './membership.js';
import { copyKvState } from './snapshot.js';
import { ABSENT, Tracker } from './tracker.js';
import type { HardState, Input, Persisted, Proposal, RaftConfig, Ready } from './types.js';

const newReady = (): Ready => ({ messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] });

/** CLI-4: a read waiting on a leader; readIndex is null until the leader has committed an entry of its term. */
interface PendingRead {
  readonly client: string;
  readonly seq: number;
  readonly key: string;
  readIndex: number | null;
  /** The ReadIndex round that must be acknowledged by a majority before the read is answered. */
  round: number;
}

/**
 * One Raft server. Feed it inputs with {@link RaftNode.step} (or {@link RaftNode.propose}); each
 * call returns the {@link Ready} that the input produced. The node never reads a clock: the
 * election and heartbeat timers arrive as inputs, so the same inputs always give the same outputs.
 *
 * @example
 * ```ts
 * const node = new RaftNode({ id: 'a', servers: ['a', 'b', 'c'] });
 * const ready = node.step({ type: 'electionTimeout' }); // a becomes candidate of term 1
 * // persist ready.hardState, then send ready.messages (two RequestVotes)
 * ```
 */
export class RaftNode {
  /** This server's ID. */
  readonly id: NodeId;
  // Members are protected, not private: the seam test/mutants.ts overrides to inject known bugs.
  /** Every server known, in fan-out order: `servers` of the RaftConfig, then any server a configuration named since (knowServer). */
  protected readonly serverList: NodeId[];
  /** This server's slot in serverList. */
  protected readonly selfSlot: number;
  protected readonly maxEntries: number;
  protected readonly fastBacktracking: boolean;
  protected readonly leaderNoop: boolean;
  /** LR-1 .. LR-3: reads under a lease; implies the disruption guard (CFG-6). */
  protected readonly leaseReads: boolean;
  // The dissertation's election options (docs/dissertation-options.md).
  protected readonly preVote: boolean;
  protected readonly checkQuorum: boolean;
  protected readonly disruptionGuard: boolean;
  protected readonly leadershipTransfer: boolean;
  // The replication options (docs/dissertation-options.md).
  /** PIP-1, PIP-2: several AppendEntries in flight per follower. */
  protected readonly pipelining: boolean;
  /** FC-1 .. FC-3: the window W past a follower's reported lastApplied; 0 when flow control is off. */
  protected readonly flowControlWindow: number;
  /** CFG-1: the configuration every server knows at the start. */
  protected readonly bootstrap: Configuration;
  /** The configuration in force (CFG-1) as per-slot flags: voters, members, peers (membership.ts). */
  protected readonly members: Membership;

  // Persistent state (PER-1).
  protected _currentTerm = 0;
  protected _votedFor: NodeId | null = null;
  protected readonly log = new RaftLog();
  // The snapshot (SNAP-1): its lastIncludedIndex and lastIncludedTerm are the log's base and base
  // term; the state machine as of that index is kept as the immutable plain object it was saved as.
  protected _snapshotMachine: KvState = EMPTY_KV;
  /** The configuration in force at the snapshot's index (SNAP-1); null: the bootstrap configuration. */
  protected _snapshotConfig: Configuration | null = null;
  /** snapshotData(_snapshotMachine), computed when a leader first sends it (SNAP-2); null until then. */
  protected snapshotDataCache: string | null = null;
  protected readonly snapshotChunkSize: number;
  // Volatile state, all servers.
  protected _role: Role = 'follower';
  protected _commitIndex = 0;
  protected _lastApplied = 0;
  /** IS-2, IS-3: the InstallSnapshot being received, chunk by chunk (DEC-12); null when none. */
  protected partial: { lastIncludedIndex: number; lastIncludedTerm: number; data: string } | null = null;
  /** The state machine as of lastApplied (KV-1, CLI-2). */
  protected kv = new KvMachine();
  /** CLI-1: the leader last heard from in currentTerm (itself when leader), for redirects. */
  protected _leaderId: NodeId | null = null;
  /** PV-2, CFG-6: handled an AppendEntries or InstallSnapshot from the leader of currentTerm since the last election timeout. */
  protected _heardFromLeader = false;
  /** LEA-2: index -> term of the client commands this server appended as leader and has not applied yet. Survives a change of role. */
  protected readonly awaiting = new Map<number, number>();
  // Volatile state, candidates and leaders.
  protected readonly tracker: Tracker;
  /** Whether the commit index must be recomputed on the next success, whatever its matchIndex. */
  protected quorumStale = true;
  // CheckQuorum and leadership transfer, on a leader only (DEC-10: empty on other roles).
  /** CQ-1: the peers heard from since the last check, in the order heard; `activeSlots` marks them by slot. */
  protected readonly active: NodeId[] = [];
  protected readonly activeSlots: boolean[];
  /** LT-1: the server leadership is being transferred to, or null. */
  protected _transferee: NodeId | null = null;
  // CLI-4 (ReadIndex), on a leader only: emptied when it stops being leader.
  /** The latest ReadIndex round of this term; 0 until the first. */
  protected readRound = 0;
  /** slot -> the highest round that peer acknowledged (0: none). */
  protected readonly readAcks: number[];
  /**
   * The reads waiting, in arrival order from `readsHead` on. The reads with a read index come
   * first (a round gives one to every read that has none), and the ones that can be answered form
   * a prefix of those (rounds and read indexes never decrease along the queue), so both the start
   * of a round and serving cost what they change.
   */
  protected readonly pendingReads: PendingRead[] = [];
  protected readsHead = 0;
  /** The first pending read without a read index (pendingReads.length when every one has one). */
  protected readsUnstarted = 0;
  /** LR-2: how many lease reads (round 0) are queued; they can be answerable behind a read whose round is not confirmed. */
  protected leaseReadsQueued = 0;
  /** LR-3: readRound at the leader's last election timeout (0 at election): only a later round gives a lease. */
  protected _leaseFloor = 0;

  // The step in progress.
  protected ready: Ready = newReady();
  protected termBefore = 0;
  protected voteBefore: NodeId | null = null;

  /**
   * A server of `config.servers`. Without `initial` it starts in Figure 2's initial state (a
   * follower of term 0 with an empty log); `initial` sets any subset of the state, as a trace that
   * starts mid-history does. Throws a RangeError if the configuration is not usable.
   */
  constructor(config: RaftConfig, initial?: Observation) {
    const selfSlot = config.servers.indexOf(config.id);
    if (selfSlot < 0) throw new RangeError(`server ${config.id} is not in servers [${config.servers.join(', ')}]`);
    if (new Set(config.servers).size !== config.servers.length) throw new RangeError(`servers [${config.servers.join(', ')}] lists a server twice`);
    const options = resolveOptions(config.options);
    if (!Number.isInteger(options.maxEntriesPerAppendEntries) || options.maxEntriesPerAppendEntries < 1) {
      throw new RangeError(`maxEntriesPerAppendEntries must be an integer >= 1, got ${options.maxEntriesPerAppendEntries}`);
    }
    if (!Number.isInteger(options.snapshotChunkSize) || options.snapshotChunkSize < 1) {
      throw new RangeError(`snapshotChunkSize must be an integer >= 1, got ${options.snapshotChunkSize}`);
    }
    if (!Number.isInteger(options.flowControlWindow) || options.flowControlWindow < 0) {
      throw new RangeError(`flowControlWindow must be an integer >= 1 (or 0 for none), got ${options.flowControlWindow}`);
    }
    this.id = config.id;
    this.serverList = [...config.servers];
    this.selfSlot = selfSlot;
    this.maxEntries = options.maxEntriesPerAppendEntries;
    this.fastBacktracking = options.fastBacktracking;
    this.snapshotChunkSize = options.snapshotChunkSize;
    this.leaderNoop = options.leaderNoop;
    this.preVote = options.preVote;
    this.checkQuorum = options.checkQuorum;
    this.leaseReads = options.leaseReads;
    this.disruptionGuard = options.disruptionGuard || options.leaseReads; // CFG-6: leaseReads turns the guard on
    this.leadershipTransfer = options.leadershipTransfer;
    this.pipelining = options.pipelining;
    this.flowControlWindow = options.flowControlWindow;
    this.bootstrap = bootstrapConfig(config.servers, config.bootstrap);
    this.members = new Membership(selfSlot);
    this.tracker = new Tracker(this.serverList, selfSlot, this.members, this.flowControlWindow > 0);
    this.readAcks = this.serverList.map(() => 0);
    this.activeSlots = this.serverList.map(() => false);
    if (initial) this.load(initial);
    this.syncConfig();
  }

  /** Every server of the cluster, in fan-out order: those of the RaftConfig, then any a configuration named since. */
  get servers(): readonly NodeId[] {
    return this.serverList;
  }

  /**
   * A server restarting from what it persisted (PER-1, SNAP-4): a follower with its snapshot, the
   * log after it, and commitIndex = lastApplied = the snapshot's index (0 without one).
   */
  static restart(config: RaftConfig, persisted: Persisted): RaftNode {
    // `new this`: a subclass restarts as itself (the seam the mutation tests use); the same node otherwise.
    const snap = persisted.snapshot ?? null;
    const snapshotConfig = snap?.config ?? persisted.snapshotConfig ?? null;
    const node = new this(config, {
      currentTerm: persisted.hardState.currentTerm, votedFor: persisted.hardState.votedFor,
      ...(snap ? { snapshotIndex: snap.index, snapshotTerm: snap.term, snapshotMachine: snap.machine } : {}),
      snapshotConfig,
    });
    for (const e of persisted.log) node.log.append(copyEntry(e));
    node.syncConfig(); // CFG-1: the configuration entries of the log are in force again
    return node;
  }

  protected load(o: Observation): void {
    this._role = o.role ?? 'follower';
    this._currentTerm = o.currentTerm ?? 0;
    this._votedFor = o.votedFor ?? null;
    // SNAP-1: the log starts after the snapshot; commitIndex and lastApplied default to its index.
    const snapshotIndex = o.snapshotIndex ?? 0;
    if (snapshotIndex > 0 || o.snapshotTerm) this.log.discardThrough(snapshotIndex, o.snapshotTerm ?? 0);
    if (o.snapshotMachine) this._snapshotMachine = o.snapshotMachine;
    if (o.snapshotConfig) this._snapshotConfig = copyConfig(o.snapshotConfig);
    if (o.partialSnapshot) this.partial = { ...o.partialSnapshot };
    for (const e of o.log ?? []) this.log.append(copyEntry(e));
    this.syncConfig(); // CFG-1, before the progress below: a configuration may name servers not yet known
    this._commitIndex = o.commitIndex ?? snapshotIndex;
    this._lastApplied = o.lastApplied ?? snapshotIndex;
    const machine = o.machine ?? o.snapshotMachine; // the spec's default: the snapshot's machine, else empty
    if (machine) this.kv = KvMachine.from(machine);
    this._leaderId = o.leaderId ?? null;
    for (const [field, values] of [['nextIndex', o.nextIndex], ['matchIndex', o.matchIndex], ['appliedIndex', o.appliedIndex]] as const) {
      for (const [peer, value] of Object.entries(values ?? {})) {
        const slot = this.tracker.slotOf(peer);
        if (slot === undefined) throw new RangeError(`${field} names ${peer}, which is not in servers`);
        this.tracker[field][slot] = value;
      }
    }
    for (const voter of o.votesGranted ?? []) this.tracker.votes.push(voter);
    this._heardFromLeader = o.heardFromLeader ?? false;
    for (const peer of o.recentlyActive ?? []) {
      const slot = this.tracker.slotOf(peer);
      if (slot === undefined) throw new RangeError(`recentlyActive names ${peer}, which is not in servers`);
      this.markActive(slot);
    }
    this._transferee = o.transferee ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  /**
   * Handles one input and returns what it produced. The entries of a message are kept as they
   * are (and sent on, and handed out in Ready): they must not change afterwards.
   */
  step(input: Input): Ready {
    const ready = this.begin();
    switch (input.type) {
      case 'electionTimeout':
        this.electionTimeout(); // FOL-2, CAN-4 or PV-1; CQ-1, LT-5 or DEC-9 on a leader
        break;
      case 'heartbeatTimeout':
        if (this._role === 'leader') this.heartbeat(); // LR-1, LEA-1 (DEC-5); DEC-9 otherwise
        break;
      case 'clientRequest':
        this.clientRequest(input.command); // LEA-2; CLI-1 and DEC-9 on a non-leader
        break;
      case 'clientRead':
        this.clientRead(input.client, input.seq, input.key); // CLI-4; CLI-1 and DEC-9 on a non-leader
        break;
      case 'snapshot':
        this.takeSnapshot(input.index ?? this._lastApplied); // SNAP-1 (DEC-13)
        break;
      case 'transferLeadership':
        this.transferLeadership(input.target); // LT-1; DEC-9 elsewhere
        break;
      case 'reconfigure':
        this.reconfigure(input.change, input.voters, input.learners); // CFG-2, CFG-7; DEC-9 elsewhere
        break;
      case 'RequestVote':
      case 'RequestVoteResponse':
      case 'AppendEntries':
      case 'AppendEntriesResponse':
      case 'InstallSnapshot':
      case 'InstallSnapshotResponse':
      case 'PreVote':
      case 'PreVoteResponse':
      case 'TimeoutNow':
        this.stepMessage(input);
        break;
      default:
        assertNever(input);
    }
    return this.end(ready);
  }

  /**
   * A client command, as the labs' `start(command)`: on a leader, appends it and sends it to every
   * follower (LEA-2); elsewhere, or on a leader transferring its leadership (LT-3), it changes
   * nothing (DEC-9), the Ready holds a redirect (CLI-1) and the proposal says so. The same as
   * `step({ type: 'clientRequest', command })`.
   */
  propose(command: unknown): Proposal {
    const ready = this.begin();
    const term = this._currentTerm;
    const index = this.clientRequest(command);
    this.end(ready);
    return { index, term, isLeader: index > 0, ready };
  }

  /** A crash and restart of this server (PER-1, DEC-7, SNAP-4): keeps currentTerm, votedFor, the snapshot and the log after it. */
  restartInPlace(): void {
    this.becomeFollower(); // drops the reads (CLI-4)
    // SNAP-4: the state machine restarts from the snapshot; only the entries after it are applied again.
    this._commitIndex = this.log.base;
    this._lastApplied = this.log.base;
    this.kv = KvMachine.from(this._snapshotMachine);
    this.partial = null; // DEC-12: volatile
    this._leaderId = null; // CLI-1
    this._heardFromLeader = false; // PV-2, CFG-6: volatile
    this.awaiting.clear(); // LEA-2: the clients of a crashed server get no answer
  }

  protected begin(): Ready {
    this.termBefore = this._currentTerm;
    this.voteBefore = this._votedFor;
    return (this.ready = newReady());
  }

  protected end(ready: Ready): Ready {
    // CFG-1: the handlers that change the log or the snapshot update the configuration in force
    // themselves; this O(1) check covers a variant that changes the log some other way.
    this.syncConfig();
    // CLI-4: at the end of every step of a leader with reads pending.
    if (this._role === 'leader' && this.readsHead < this.pendingReads.length) {
      this.startReadRound();
      this.serveReads();
    }
    if (this.hardStateChanged()) {
      ready.hardState = { currentTerm: this._currentTerm, votedFor: this._votedFor };
    }
    return ready;
  }

  /** PER-1: whether currentTerm or votedFor changed in this step. The seam the mutation tests override. */
  protected hardStateChanged(): boolean {
    return this._currentTerm !== this.termBefore || this._votedFor !== this.voteBefore;
  }

  // -------------------------------------------------------------------------------------------
  // Messages: the term first, then the role

  protected stepMessage(m: Message): void {
    // Messages from outside the cluster are ignored (a trace cannot contain one).
    if (this.tracker.slotOf(m.from) === undefined) return;
    // PV-2, PV-3: a pre-vote changes no term, so it is handled before and instead of ALL-2.
    if (m.type === 'PreVote' || m.type === 'PreVoteResponse') return this.stepPreVote(m);
    if (m.type === 'RequestVote' && this.guardsAgainst(m)) return; // CFG-6: no term change, no vote, no reply
    if (m.term > this._currentTerm) {
      this.adoptNewerTerm(m.term); // ALL-2
    } else if (m.term < this._currentTerm) {
      return this.stepStaleTerm(m); // RV-1, AE-1, DEC-1
    }
    switch (this._role) {
      case 'follower':
        return this.stepFollower(m);
      case 'precandidate':
        return this.stepPrecandidate(m);
      case 'candidate':
        return this.stepCandidate(m);
      case 'leader':
        return this.stepLeader(m);
      default:
        assertNever(this._role);
    }
  }

  protected stepFollower(m: TermMessage): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // FOL-1, RV-2
      case 'AppendEntries':
        return this.handleAppendEntries(m); // FOL-1, AE-2 .. AE-5
      case 'InstallSnapshot':
        return this.handleInstallSnapshot(m); // FOL-1, IS-2 .. IS-8
      case 'TimeoutNow':
        return this.campaign(true); // LT-4: at once, without a pre-vote
      case 'RequestVoteResponse':
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
        return; // DEC-1: a response to a role we no longer have
      default:
        assertNever(m);
    }
  }

  /** PV-1: a precandidate is a follower that asked for pre-votes; a leader of its term makes it a follower (CAN-3). */
  protected stepPrecandidate(m: TermMessage): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // RV-2, as a follower: a pre-vote is not a vote
      case 'AppendEntries':
        this.becomeFollower(); // CAN-3
        return this.handleAppendEntries(m);
      case 'InstallSnapshot':
        this.becomeFollower(); // CAN-3
        return this.handleInstallSnapshot(m);
      case 'TimeoutNow': // LT-4: only a follower campaigns at once
      case 'RequestVoteResponse':
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
        return; // DEC-1
      default:
        assertNever(m);
    }
  }

  protected stepCandidate(m: TermMessage): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // RV-2: we voted for ourselves, so this refuses
      case 'RequestVoteResponse':
        if (m.voteGranted) this.countVote(m.from); // CAN-2
        if (this.tracker.hasVoteMajority()) this.becomeLeader();
        return;
      case 'AppendEntries':
        this.becomeFollower(); // CAN-3: a leader of our term won
        return this.handleAppendEntries(m);
      case 'InstallSnapshot':
        this.becomeFollower(); // CAN-3
        return this.handleInstallSnapshot(m);
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
      case 'TimeoutNow':
        return; // DEC-1 (LT-4: only a follower campaigns at once)
      default:
        assertNever(m);
    }
  }

  protected stepLeader(m: TermMessage): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // RV-2: we voted for ourselves, so this refuses
      case 'AppendEntriesResponse': {
        const slot = this.tracker.slotOf(m.from) as number; // checked in stepMessage
        if (!this.members.isMember(slot)) return; // DEC-15: not a peer any more (an answer to what we sent before it was removed)
        if (m.success && m.matchIndex > this.log.lastIndex) return; // DEC-8: no AppendEntries of ours could have caused it
        if (this.checkQuorum) this.markActive(slot); // CQ-1
        // CLI-4: any answer of our term to a round, success or not, acknowledges our leadership.
        if (m.readRound !== undefined && m.readRound > (this.readAcks[slot] as number)) this.readAcks[slot] = m.readRound;
        if (this.flowControlWindow > 0) this.recordApplied(m, slot); // FC-2
        if (!m.success) return this.handleAppendFailure(m, slot); // LEA-3b
        this.handleAppendSuccess(m, slot); // LEA-3a
        return this.offerTimeoutNow(slot); // LT-2
      }
      case 'InstallSnapshotResponse': {
        const slot = this.tracker.slotOf(m.from) as number;
        if (!this.members.isMember(slot)) return; // DEC-15, as above
        if (m.done && m.lastIncludedIndex > this.log.lastIndex) return; // DEC-8: we never sent a snapshot beyond our log
        if (this.checkQuorum) this.markActive(slot); // CQ-1
        this.handleSnapshotResponse(m, slot); // SNAP-3
        if (m.done) this.offerTimeoutNow(slot); // LT-2
        return;
      }
      case 'AppendEntries':
      case 'InstallSnapshot':
        return; // DEC-8: a second leader of our term cannot exist
      case 'RequestVoteResponse':
      case 'TimeoutNow':
        return; // DEC-1
      default:
        assertNever(m);
    }
  }

  /** ALL-2: adopt the newer term, forget the vote, follow. The seam the mutation tests override. */
  protected adoptNewerTerm(term: number): void {
    this._currentTerm = term;
    this._votedFor = null;
    this._leaderId = null; // CLI-1: no leader known in the new term yet
    this._heardFromLeader = false; // PV-2, CFG-6: nor heard from one
    this.becomeFollower();
  }

  /** A message of an older term: refuse a request (RV-1, AE-1), drop a response (DEC-1). The seam the mutation tests override. */
  protected stepStaleTerm(m: Message): void {
    if (m.type === 'RequestVote') this.replyVote(m, false); // RV-1
    else if (m.type === 'AppendEntries') this.replyAppend(m, false, 0); // AE-1
    else if (m.type === 'InstallSnapshot') this.replySnapshot(m, 0, false); // IS-1
    // DEC-1: a stale response is dropped
  }

  // -------------------------------------------------------------------------------------------
  // Roles

  /** CAN-2: count a granted vote once per voter. The seam the mutation tests override. */
  protected countVote(voter: NodeId): void {
    this.tracker.recordVote(voter);
  }

  /** DEC-10: a follower keeps no votes, no per-peer progress and none of a leader's bookkeeping. */
  protected becomeFollower(): void {
    this._role = 'follower';
    this.tracker.votes.length = 0;
    this.tracker.clearProgress();
    this.resetReads(); // CLI-4: a leader that steps down never answers its pending reads
    this.clearActive(); // CQ-1
    this._transferee = null; // LT-5: a leader that steps down forgets its transfer
  }

  /**
   * CAN-1: a new term, a vote for ourselves, a RequestVote to every other voter of the
   * configuration in force (DEC-14); CAN-2 at once if that is a quorum. LT-4: a campaign that a
   * TimeoutNow started marks its RequestVotes `transfer`.
   */
  protected campaign(transfer = false): void {
    this._role = 'candidate';
    this._currentTerm += 1;
    this._votedFor = this.id;
    this._leaderId = null; // CLI-1
    this._heardFromLeader = false; // a new term
    this.tracker.votes.length = 0;
    this.tracker.votes.push(this.id);
    this.tracker.clearProgress(); // DEC-10
    const lastLogIndex = this.log.lastIndex;
    const lastLogTerm = this.log.lastTerm;
    for (const slot of this.members.voterPeerSlots) {
      const m: RequestVote = {
        type: 'RequestVote', from: this.id, to: this.serverList[slot] as NodeId,
        term: this._currentTerm, candidateId: this.id, lastLogIndex, lastLogTerm,
      };
      if (transfer) m.transfer = true;
      this.send(m);
    }
    if (this.tracker.hasVoteMajority()) this.becomeLeader(); // a cluster of one
  }

  /**
   * CAN-2, LEA-1: reset the progress of every peer of the configuration in force (DEC-15); with
   * leaderNoop, append the no-op (CLI-3); run the commit sequence (CFG-3 may append C_new: the
   * joint configuration may be committed already); then, if still leader, announce the win with
   * AppendEntries, which carry what was appended.
   */
  protected becomeLeader(): void {
    this._role = 'leader';
    this._leaderId = this.id; // CLI-1
    this.tracker.resetProgress(this.log.lastIndex);
    this.quorumStale = true;
    this.resetReads(); // CLI-4: readRound is 0 at election
    this.clearActive(); // CQ-1: none heard from yet
    this._transferee = null; // LT-1
    if (this.leaderNoop) this.appendNoop();
    this.commitAsLeader();
    if (this._role === 'leader') this.broadcastAppendEntries();
  }

  /** CLI-3: a no-op entry of the new term (not awaited: no client asked for it). */
  protected appendNoop(): void {
    this.appendOwn({ term: this._currentTerm, command: null });
  }

  /** A leader's own entry (LEA-2, CLI-3, CFG-2, CFG-3, CFG-7): into the log and into Ready, after what this step appended already. Returns its index. */
  protected appendOwn(entry: Entry): number {
    const index = this.log.append(entry);
    const appended = this.ready.appended;
    if (appended !== null && appended.index + appended.entries.length === index) appended.entries.push(entry);
    else this.ready.appended = { index, entries: [entry] };
    return index;
  }

  // -------------------------------------------------------------------------------------------
  // The dissertation's election options (docs/dissertation-options.md): PreVote, CheckQuorum,
  // the disruption guard, leadership transfer

  /**
   * An election timeout clears heardFromLeader, whatever the role. A leader ends its lease (LR-3),
   * checks its quorum (CQ-1) and abandons a pending transfer (LT-5), in that order; nothing else
   * happens to it (DEC-9). Any other
   * role campaigns: with preVote through a pre-vote (PV-1), else at once (FOL-2, CAN-4); but only
   * a voter of its configuration in force (DEC-14).
   */
  protected electionTimeout(): void {
    this._heardFromLeader = false;
    if (this._role === 'leader') {
      if (this.leaseReads) this._leaseFloor = Math.max(this._leaseFloor, this.readRound); // LR-3: the lease ends; only later rounds give one
      if (this.checkQuorum) this.checkQuorumNow();
      this._transferee = null; // LT-5 (a leader that stepped down has none already)
      return;
    }
    if (!this.members.selfVoter) return; // DEC-14: a learner, a removed server or one not yet added starts nothing
    if (this.preVote) this.preCampaign();
    else this.campaign();
  }

  /**
   * CQ-1: stay leader if we and the peers heard from since the last check are a quorum of the
   * configuration in force (CFG-2; we count only if a voter, CFG-5), else step down in the same term.
   */
  protected checkQuorumNow(): void {
    const active = this.activeSlots;
    if (this.members.isQuorum((slot) => slot === this.selfSlot || active[slot] === true)) return this.clearActive();
    this.becomeFollower(); // DEC-10; CLI-4: the pending reads are dropped
    this._leaderId = null; // CLI-1
  }

  /** CQ-1: a response of our term from the peer in `slot` marks it active (once, in the order heard). */
  protected markActive(slot: number): void {
    if (this.activeSlots[slot]) return;
    this.activeSlots[slot] = true;
    this.active.push(this.servers[slot] as NodeId);
  }

  /** CQ-1: forget the peers heard from (O(their number)). */
  protected clearActive(): void {
    if (this.active.length === 0) return;
    for (const id of this.active) this.activeSlots[this.tracker.slotOf(id) as number] = false;
    this.active.length = 0;
  }

  /**
   * PV-1: become a precandidate, with no new term and no vote, and ask every other voter of the
   * configuration in force (DEC-14) whether it would vote for us in currentTerm + 1; PV-3 at once
   * if that is already a quorum.
   */
  protected preCampaign(): void {
    this._role = 'precandidate';
    this._leaderId = null; // CLI-1
    this.tracker.votes.length = 0;
    this.tracker.votes.push(this.id);
    this.tracker.clearProgress(); // DEC-10
    const term = this._currentTerm + 1;
    const lastLogIndex = this.log.lastIndex;
    const lastLogTerm = this.log.lastTerm;
    for (const slot of this.members.voterPeerSlots) {
      this.send({ type: 'PreVote', from: this.id, to: this.serverList[slot] as NodeId, term, candidateId: this.id, lastLogIndex, lastLogTerm });
    }
    if (this.tracker.hasVoteMajority()) this.campaign(); // PV-3: a cluster of one
  }

  /** PV-2 and PV-3, before and instead of ALL-2. Without preVote only an injected PreVote or PreVoteResponse exists: dropped (DEC-8). */
  protected stepPreVote(m: PreVote | PreVoteResponse): void {
    if (!this.preVote) return; // DEC-8
    if (m.type === 'PreVote') {
      // PV-2: a leader, or a server that heard from its leader since its last timeout, sees no need for an election (§9.6).
      const grant = this._role !== 'leader' && m.term > this._currentTerm && !this._heardFromLeader && this.candidateIsUpToDate(m);
      return this.send({ type: 'PreVoteResponse', from: this.id, to: m.from, term: grant ? m.term : this._currentTerm, voteGranted: grant });
    }
    if (!m.voteGranted) {
      if (m.term > this._currentTerm) this.adoptNewerTerm(m.term); // ALL-2, and nothing more
      return; // DEC-1 otherwise
    }
    // A grant carries the term we proposed, so it never triggers ALL-2.
    if (this._role !== 'precandidate' || m.term !== this._currentTerm + 1) return; // DEC-1
    this.countVote(m.from); // PV-3
    if (this.tracker.hasVoteMajority()) this.campaign(); // PV-3: a real election (CAN-1)
  }

  /** CFG-6: a leader, or a server that heard from its leader since its last timeout, ignores a newer term's RequestVote unless a TimeoutNow caused it (LT-4). */
  protected guardsAgainst(m: RequestVote): boolean {
    return this.disruptionGuard && m.term > this._currentTerm && m.transfer !== true && (this._role === 'leader' || this._heardFromLeader);
  }

  /** LT-1 on a leader with leadershipTransfer, for another voter of its configuration in force; no effect otherwise (DEC-9). */
  protected transferLeadership(target: NodeId): void {
    if (this._role !== 'leader' || !this.leadershipTransfer || target === this.id) return; // DEC-9
    const slot = this.tracker.slotOf(target);
    if (slot === undefined || !this.members.isVoter(slot) || this._transferee === target) return; // DEC-9; LT-1: already under way
    this._transferee = target;
    // LT-2 at once if it holds our whole log; else catch it up (LEA-3, or SNAP-2's InstallSnapshot).
    if (this.tracker.matchIndexAt(slot) === this.log.lastIndex) this.sendTimeoutNow(slot);
    else this.sendAppendEntries(slot);
  }

  /** LT-2: after a response from the transferee (LEA-3a, SNAP-3), TimeoutNow if it now holds our whole log. */
  protected offerTimeoutNow(slot: number): void {
    if (this._transferee === null || this.servers[slot] !== this._transferee) return;
    if (this.tracker.matchIndexAt(slot) === this.log.lastIndex) this.sendTimeoutNow(slot);
  }

  protected sendTimeoutNow(slot: number): void {
    this.send({ type: 'TimeoutNow', from: this.id, to: this.servers[slot] as NodeId, term: this._currentTerm });
    // LR-2: its target may be elected at once, bound or not: no lease for the rest of this term.
    if (this.leaseReads) this._leaseFloor = Infinity;
  }

  // -------------------------------------------------------------------------------------------
  // RequestVote receiver

  /** RV-2: grant if we have not voted for another and the candidate's log is at least as up-to-date (§5.4.1). */
  protected handleRequestVote(m: RequestVote): void {
    const grant = (this._votedFor === null || this._votedFor === m.candidateId) && this.candidateIsUpToDate(m);
    if (grant) this._votedFor = m.candidateId;
    this.replyVote(m, grant);
  }

  /** §5.4.1: the candidate's log is at least as up-to-date as ours. The seam the mutation tests override. */
  protected candidateIsUpToDate(m: Pick<RequestVote, 'lastLogIndex' | 'lastLogTerm'>): boolean {
    const lastTerm = this.log.lastTerm;
    return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= this.log.lastIndex);
  }

  protected replyVote(m: RequestVote, voteGranted: boolean): void {
    this.send({ type: 'RequestVoteResponse', from: this.id, to: m.from, term: this._currentTerm, voteGranted });
  }

  // -------------------------------------------------------------------------------------------
  // AppendEntries receiver

  /** AE-2 to AE-5 and ALL-1, on a follower of the sender's term. */
  protected handleAppendEntries(m: AppendEntries): void {
    this._leaderId = m.leaderId; // CLI-1: the leader of our term, whatever the consistency check says
    this._heardFromLeader = true; // PV-2, CFG-6
    // AE-2; SNAP-5: below our snapshot every entry is committed, so it matches.
    if (m.prevLogIndex >= this.log.base && !this.log.matchesAt(m.prevLogIndex, m.prevLogTerm)) return this.rejectInconsistent(m);
    this.mergeEntries(m.prevLogIndex, m.entries);
    this.syncConfig(); // CFG-1: an appended or truncated configuration entry changes the configuration in force
    const lastNewEntry = m.prevLogIndex + m.entries.length;
    this.followLeaderCommit(m, lastNewEntry);
    this.applyCommitted();
    this.replyAppend(m, true, lastNewEntry);
  }

  /** AE-5 with DEC-2: follow leaderCommit up to the last new entry, never backwards. The seam the mutation tests override. */
  protected followLeaderCommit(m: AppendEntries, lastNewEntry: number): void {
    if (m.leaderCommit > this._commitIndex) {
      const commitIndex = Math.min(m.leaderCommit, lastNewEntry);
      if (commitIndex > this._commitIndex) this._commitIndex = commitIndex;
    }
  }

  /** AE-3, AE-4: skip the entries we hold, truncate at the first real conflict, append the rest. */
  protected mergeEntries(prevLogIndex: number, entries: readonly Entry[]): void {
    const lastIndex = this.log.lastIndex;
    // SNAP-5: the entries at or below our snapshot's index are committed, so they match: skipped.
    for (let k = Math.max(0, this.log.base - prevLogIndex); k < entries.length; k++) {
      const index = prevLogIndex + 1 + k;
      const entry = entries[k] as Entry;
      if (index <= lastIndex) {
        if (this.log.termAt(index) === entry.term) continue; // AE-3: already held, nothing to truncate
        this.log.truncateAfter(index - 1); // AE-3: a real conflict
        this.ready.truncatedAfter = index - 1;
      }
      const added = entries.slice(k); // AE-4
      for (const e of added) this.log.append(e);
      this.ready.appended = { index, entries: added };
      return;
    }
  }

  protected replyAppend(m: AppendEntries, success: boolean, matchIndex: number): void {
    this.send(this.appendResponse(m, success, matchIndex));
  }

  /** The answer to `m`, with what the options add to every answer: the readRound echoed (CLI-4) and our lastApplied (FC-1). */
  protected appendResponse(m: AppendEntries, success: boolean, matchIndex: number): AppendEntriesResponse {
    const r: AppendEntriesResponse = {
      type: 'AppendEntriesResponse', from: this.id, to: m.from,
      term: this._currentTerm, success, matchIndex, prevLogIndex: m.prevLogIndex,
    };
    if (m.readRound !== undefined) r.readRound = m.readRound; // CLI-4: echoed, on every answer
    if (this.flowControlWindow > 0) r.lastApplied = this._lastApplied; // FC-1: after handling the request, AE-1 rejections included
    return r;
  }

  /** AE-2; with fastBacktracking, FB-1: say where our log stops agreeing (its term there and that term's first index). */
  protected rejectInconsistent(m: AppendEntries): void {
    if (!this.fastBacktracking) return this.replyAppend(m, false, 0);
    const holds = m.prevLogIndex <= this.log.lastIndex;
    const r = this.appendResponse(m, false, 0);
    r.conflictTerm = holds ? this.log.termAt(m.prevLogIndex) : 0;
    r.conflictIndex = holds ? this.log.firstIndexOfTerm(r.conflictTerm) : this.log.lastIndex + 1;
    this.send(r);
  }

  // -------------------------------------------------------------------------------------------
  // Leaders

  /**
   * LEA-3 (DEC-5, DEC-6): the entries from the peer's nextIndex, at most maxEntries of them; with
   * flow control, none beyond max(the peer's appliedIndex + W, termStart) (FC-3); with pipelining,
   * nextIndex moves past the entries sent at once (PIP-1).
   */
  protected sendAppendEntries(slot: number): void {
    const t = this.tracker;
    const nextIndex = t.nextIndexAt(slot, this.log.lastIndex + 1);
    if (nextIndex <= this.log.base) return this.sendSnapshotChunk(slot, 0); // SNAP-2: those entries are compacted
    const prevLogIndex = nextIndex - 1;
    const count = this.flowControlWindow > 0 ? this.windowedCount(slot, prevLogIndex) : this.maxEntries;
    const entries = count > 0 ? this.log.slice(nextIndex, count) : [];
    const m: AppendEntries = {
      type: 'AppendEntries', from: this.id, to: this.servers[slot] as NodeId,
      term: this._currentTerm, leaderId: this.id,
      prevLogIndex, prevLogTerm: this.log.termAt(prevLogIndex),
      entries,
      leaderCommit: this._commitIndex,
    };
    if (this.readRound > 0) m.readRound = this.readRound; // CLI-4: absent until the first round
    if (this.pipelining && entries.length > 0) t.nextIndex[slot] = nextIndex + entries.length; // PIP-1: optimistically
    this.send(m);
  }

  /** LEA-1 (DEC-5) at a heartbeat timeout; with leaseReads a new round first (LR-1), so the AppendEntries carry it. */
  protected heartbeat(): void {
    if (this.leaseReads) this.readRound++; // LR-1: every heartbeat is a read round
    this.broadcastAppendEntries();
  }

  /** LEA-1, LEA-3: every peer of the configuration in force its AppendEntries, in `servers` order (DEC-15). */
  protected broadcastAppendEntries(): void {
    for (const slot of this.members.peerSlots) this.sendAppendEntries(slot);
  }

  /** LEA-2, then the commit sequence (LEA-4: a single voter commits at once; ALL-1; CFG-3, CFG-5) and LEA-3 to every peer. Returns the entry's index. */
  protected appendClientCommand(command: unknown): number {
    const index = this.appendOwn({ term: this._currentTerm, command });
    this.awaiting.set(index, this._currentTerm); // LEA-2: answered once applied
    this.commitAsLeader();
    if (this._role === 'leader') this.broadcastAppendEntries();
    return index;
  }

  /** LEA-3a with DEC-3 (nothing moves back), then the commit sequence and LEA-3 (replicateAfterProgress). */
  protected handleAppendSuccess(m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    const before = t.matchIndexAt(slot);
    const matchIndex = Math.max(before, m.matchIndex);
    const nextIndex = Math.max(t.nextIndexAt(slot, 1), m.matchIndex + 1);
    t.matchIndex[slot] = matchIndex;
    t.nextIndex[slot] = nextIndex;
    // The quorum can only move when a matchIndex passes commitIndex (see advanceCommitIndex).
    this.replicateAfterProgress(slot, nextIndex, this.quorumStale || (matchIndex > before && matchIndex > this._commitIndex));
  }

  /**
   * After LEA-3a or SNAP-3 moved the progress of the peer in `slot`: the commit sequence (LEA-4
   * only if `recompute`: see advanceCommitIndex), then, if still leader, LEA-3 to every peer if
   * it appended C_new (CFG-3), else to this peer if it is still behind `nextIndex`.
   */
  protected replicateAfterProgress(slot: number, nextIndex: number, recompute: boolean): void {
    const lastBefore = this.log.lastIndex;
    this.commitAsLeader(recompute);
    if (this._role !== 'leader') return; // CFG-5: stepped down
    if (this.log.lastIndex > lastBefore) this.broadcastAppendEntries();
    else if (this.log.lastIndex >= nextIndex) this.sendAppendEntries(slot);
  }

  /** LEA-3b with DEC-4 (PIP-2 with pipelining): only a rejection of a request still outstanding moves nextIndex back, and we retry. */
  protected handleAppendFailure(m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    if (!this.answersOutstanding(m, slot)) return; // DEC-4: a stale or duplicated rejection
    let target = m.prevLogIndex;
    if (this.fastBacktracking && m.conflictIndex !== undefined) {
      // FB-2: past our last entry of the conflicting term, else to the follower's first index of it.
      const conflictTerm = m.conflictTerm ?? 0;
      const last = conflictTerm === 0 ? 0 : this.log.lastIndexOfTerm(conflictTerm);
      target = Math.min(last > 0 ? last + 1 : m.conflictIndex, m.prevLogIndex);
    }
    t.nextIndex[slot] = Math.max(target, t.matchIndexAt(slot) + 1, 1);
    this.sendAppendEntries(slot);
  }

  /**
   * DEC-4: whether a rejection answers a request we still wait on: the current probe
   * (prevLogIndex = nextIndex - 1); with pipelining, any request still outstanding,
   * matchIndex < prevLogIndex < nextIndex (PIP-2).
   */
  protected answersOutstanding(m: AppendEntriesResponse, slot: number): boolean {
    const nextIndex = this.tracker.nextIndexAt(slot, 1);
    if (!this.pipelining) return m.prevLogIndex === nextIndex - 1;
    return this.tracker.matchIndexAt(slot) < m.prevLogIndex && m.prevLogIndex < nextIndex;
  }

  /** FC-3: how many entries after `prevLogIndex` the follower in `slot` may get: at most maxEntries, none beyond max(appliedIndex + W, termStart). The seam the mutation tests override. */
  protected windowedCount(slot: number, prevLogIndex: number): number {
    let limit = this.tracker.appliedIndexAt(slot) + this.flowControlWindow;
    if (limit - prevLogIndex >= this.maxEntries) return this.maxEntries;
    const termStart = this.termStart(); // only when the window would cut: a binary search
    if (termStart > limit) limit = termStart;
    const window = limit - prevLogIndex;
    return window < this.maxEntries ? (window > 0 ? window : 0) : this.maxEntries;
  }

  /**
   * FC-3's termStart: the index of our first entry of currentTerm after the snapshot, 0 if none.
   * Flow control always lets it through: followers apply only what we commit, and we commit only
   * entries of our term (Figure 8), so holding it back could stop the cluster for good.
   */
  protected termStart(): number {
    const log = this.log;
    if (log.lastIndex <= log.base || log.lastTerm !== this._currentTerm) return 0;
    // Terms never decrease along the log (INV-5); the base itself is not an entry we hold.
    return Math.max(log.firstIndexOfTerm(this._currentTerm), log.base + 1);
  }

  /** FC-2: the highest lastApplied the peer reported (an answer without one, which only an injected message can be, reports nothing). */
  protected recordApplied(m: AppendEntriesResponse, slot: number): void {
    if (m.lastApplied !== undefined && m.lastApplied > this.tracker.appliedIndexAt(slot)) this.tracker.appliedIndex[slot] = m.lastApplied;
  }

  /**
   * LEA-4: commit the largest index a majority holds, if it is of the current term (§5.4.2: an
   * entry of an earlier term is never committed by counting; terms never decrease along the log,
   * so if the quorum index is of an older term, so is every index below it).
   *
   * The result depends only on the match indexes above commitIndex, the leader's log and
   * commitIndex, and a leader's log and commitIndex change only through this function and client
   * commands (which call it). So it needs calling only when a matchIndex rises past commitIndex,
   * on a client command, and once after the progress was set from outside (quorumStale).
   */
  protected advanceCommitIndex(): void {
    this.quorumStale = false;
    const n = this.tracker.quorumIndex(this.log.lastIndex);
    if (n > this._commitIndex && this.log.termAt(n) === this._currentTerm) this._commitIndex = n;
  }

  // -------------------------------------------------------------------------------------------
  // Log compaction (§7, Figure 13)

  /**
   * SNAP-1 with DEC-13: compact the log through `index`, which must be applied and above the
   * snapshot's index. The snapshot records the configuration in force at `index` (CFG-1): the last
   * configuration entry at or below it, else the previous snapshot's.
   */
  protected takeSnapshot(index: number): void {
    if (!(index > this.log.base && index <= this._lastApplied)) return; // DEC-13
    const term = this.log.termAt(index);
    const machine = this.machineAt(index);
    this._snapshotConfig = this.log.configAtOrBelow(index) ?? this._snapshotConfig;
    this.log.compactThrough(index, term);
    this.saveSnapshot(index, term, machine);
  }

  /**
   * The state machine as of `index` (snapshotIndex < index <= lastApplied): the running one's
   * contents at lastApplied; below it, the previous snapshot's with the entries up to `index`
   * executed again (the work is the entries being compacted).
   */
  protected machineAt(index: number): KvState {
    if (index === this._lastApplied) return this.kv.toState();
    const m = KvMachine.from(this._snapshotMachine);
    for (let i = this.log.base + 1; i <= index; i++) this.execute(m, this.log.commandAt(i));
    return m.toState();
  }

  /** The new snapshot, with the configuration _snapshotConfig holds, for this server and for stable storage (Ready.snapshot, before any truncation or append). */
  protected saveSnapshot(index: number, term: number, machine: KvState): void {
    this._snapshotMachine = machine;
    this.snapshotDataCache = null;
    this.ready.snapshot = { index, term, machine, config: this._snapshotConfig };
  }

  /** SNAP-2: the chunk of our snapshot at `offset`, to the follower in `slot`; every chunk carries the snapshot's configuration unless it is the bootstrap one (lastConfig). */
  protected sendSnapshotChunk(slot: number, offset: number): void {
    const chunk = chunkAt(this.snapshotData(), offset, this.snapshotChunkSize);
    const m: InstallSnapshot = {
      type: 'InstallSnapshot', from: this.id, to: this.serverList[slot] as NodeId,
      term: this._currentTerm, leaderId: this.id,
      lastIncludedIndex: this.log.base, lastIncludedTerm: this.log.baseTerm,
      offset, data: chunk.data, done: chunk.done,
    };
    if (this._snapshotConfig !== null) m.lastConfig = this._snapshotConfig;
    this.send(m);
  }

  /** Our snapshot as InstallSnapshot carries it (spec/kv.ts snapshotData), computed once per snapshot. */
  protected snapshotData(): string {
    return (this.snapshotDataCache ??= snapshotData(this._snapshotMachine));
  }

  /**
   * SNAP-3 on a response of our term. Done: the follower holds everything through
   * lastIncludedIndex, as after LEA-3a (DEC-3: nothing moves back), then LEA-4, ALL-1, LEA-3. Not
   * done: the chunk it asks for, if it is about our snapshot and still needs it (else DEC-4).
   */
  protected handleSnapshotResponse(m: InstallSnapshotResponse, slot: number): void {
    const t = this.tracker;
    if (!m.done) {
      if (m.lastIncludedIndex === this.log.base && t.nextIndexAt(slot, 1) <= this.log.base && m.offset < this.snapshotData().length) {
        this.sendSnapshotChunk(slot, m.offset);
      }
      return; // DEC-4 otherwise: a stale answer
    }
    if (m.lastIncludedIndex > this.log.lastIndex) return; // DEC-8: we never sent a snapshot beyond our log
    const before = t.matchIndexAt(slot);
    const matchIndex = Math.max(before, m.lastIncludedIndex);
    const nextIndex = Math.max(t.nextIndexAt(slot, 1), m.lastIncludedIndex + 1);
    t.matchIndex[slot] = matchIndex;
    t.nextIndex[slot] = nextIndex;
    this.replicateAfterProgress(slot, nextIndex, this.quorumStale || (matchIndex > before && matchIndex > this._commitIndex));
  }

  /** IS-2 .. IS-8 with DEC-11 and DEC-12, on a follower of the sender's term. */
  protected handleInstallSnapshot(m: InstallSnapshot): void {
    this._leaderId = m.leaderId; // CLI-1
    this._heardFromLeader = true; // PV-2, CFG-6
    const end = m.offset + m.data.length;
    if (m.lastIncludedIndex <= this._commitIndex) return this.replySnapshot(m, end, true); // DEC-11: held and committed already
    const held = this.partial;
    /** The partial snapshot this chunk belongs to, if any. */
    let p = held !== null && held.lastIncludedIndex === m.lastIncludedIndex && held.lastIncludedTerm === m.lastIncludedTerm ? held : null;
    // IS-2: a first chunk starts a new partial snapshot, replacing one of another snapshot. The first
    // chunk of the snapshot being received (a duplicate, or a leader's heartbeat starting over) is one
    // we hold: not written (DEC-12), and the reply asks for what follows, so a transfer survives heartbeats.
    if (p === null && m.offset === 0) p = this.partial = { lastIncludedIndex: m.lastIncludedIndex, lastIncludedTerm: m.lastIncludedTerm, data: '' };
    if (p === null || m.offset !== p.data.length) return this.replySnapshot(m, p === null ? 0 : p.data.length, false); // DEC-12: not written
    p.data += m.data; // IS-3
    if (!m.done) return this.replySnapshot(m, p.data.length, false); // IS-4
    this.partial = null;
    const machine = parseSnapshotData(p.data);
    if (machine === null) return this.replySnapshot(m, 0, false); // DEC-8: no leader sends that
    this._snapshotConfig = m.lastConfig ?? null; // IS-5: the snapshot's configuration (null: the bootstrap one)
    this.installSnapshot(m.lastIncludedIndex, m.lastIncludedTerm, machine); // IS-5 .. IS-8
    this.syncConfig(); // CFG-1: IS-6 keeps the configuration entries after it, IS-7 leaves the snapshot's in force
    this.replySnapshot(m, end, true);
  }

  /** IS-5 .. IS-8: the received snapshot replaces the log up to its index, and the state machine. */
  protected installSnapshot(index: number, term: number, machine: KvState): void {
    if (this.log.has(index) && this.log.termAt(index) === term) {
      this.log.compactThrough(index, term); // IS-6: the entries after it stay
    } else {
      if (this.log.lastIndex > index) this.ready.truncatedAfter = index; // IS-7: storage drops them too
      this.log.discardThrough(index, term);
    }
    this.saveSnapshot(index, term, machine); // IS-5
    this.kv = KvMachine.from(machine); // IS-8
    this._commitIndex = index;
    this._lastApplied = index;
    this.dropAwaitingThrough(index);
  }

  protected replySnapshot(m: InstallSnapshot, offset: number, done: boolean): void {
    this.send({
      type: 'InstallSnapshotResponse', from: this.id, to: m.from,
      term: this._currentTerm, lastIncludedIndex: m.lastIncludedIndex, offset, done,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Membership changes (§6, dissertation ch. 4; docs/membership.md)

  /**
   * CFG-2 (joint) or CFG-7 (single) on a leader. Refused (no effect) while a transfer is pending
   * (LT-3), while a change is in progress (CFG-7, CFG-2), and, for a single change, when its voters
   * differ from those in force by more than one server or before an entry of the current term is
   * committed (CFG-7, the 2015 fix); no effect on any other role (DEC-9). Otherwise appends the
   * configuration, runs the commit sequence and sends every peer of the new configuration its
   * AppendEntries. Throws a RangeError, before anything changes, for a configuration without a
   * voter or with a server that is both a voter and a learner.
   */
  protected reconfigure(change: 'single' | 'joint', voters: readonly NodeId[], learners?: readonly NodeId[]): void {
    const asked = normalizedConfig(voters, learners);
    if (this._role !== 'leader') return; // DEC-9
    if (this._transferee !== null) return; // LT-3
    if (this.changeInProgress()) return; // CFG-7, CFG-2
    const inForce = this.members.config;
    if (change === 'single' && !this.maySingleChange(inForce.voters, asked.voters)) return; // CFG-7
    this.appendConfigEntry(change === 'joint' ? normalizedConfig(asked.voters, asked.learners, inForce.voters) : asked);
    this.commitAsLeader();
    if (this._role === 'leader') this.broadcastAppendEntries(); // LEA-3
  }

  /** CFG-2, CFG-7: a change is in progress while the configuration in force is joint or its entry is not yet committed. */
  protected changeInProgress(): boolean {
    return this.members.joint || this.log.lastConfigIndex() > this._commitIndex;
  }

  /**
   * CFG-7: a single change adds or removes at most one voter, and comes only once the leader has
   * committed an entry of its current term (the fix to the single-server bug, raft-dev 2015). The
   * seam the mutation tests override.
   */
  protected maySingleChange(votersInForce: readonly NodeId[], votersAsked: readonly NodeId[]): boolean {
    return votersChanged(votersInForce, votersAsked) <= 1 && this.log.termAt(this._commitIndex) === this._currentTerm;
  }

  /**
   * A leader's configuration entry (CFG-2, CFG-3, CFG-7), in force at once (CFG-1). DEC-15: a new
   * peer gets nextIndex = the entry's index and matchIndex 0 (appliedIndex 0 with flow control); a
   * server no longer a member loses its progress, its read acknowledgements and its place in
   * recentlyActive. A transfer to a server that is no longer a voter is abandoned (LT-5: LT-1 hands
   * leadership only to a voter; etcd aborts a transfer whose target is removed or demoted).
   * O(servers).
   */
  protected appendConfigEntry(config: Configuration): void {
    const index = this.appendOwn({ term: this._currentTerm, command: null, config });
    const wasPeer = this.members.peerSlots;
    this.useConfig(config);
    const t = this.tracker;
    for (const slot of this.members.peerSlots) if (t.nextIndex[slot] === ABSENT) t.startProgress(slot, index);
    for (const slot of wasPeer) {
      if (this.members.isMember(slot)) continue;
      t.dropProgress(slot);
      this.readAcks[slot] = 0;
      this.forgetActive(slot);
    }
    if (this._transferee !== null && !this.members.isVoter(this.tracker.slotOf(this._transferee) as number)) this._transferee = null; // LT-5
  }

  /**
   * The leader's commit sequence (docs/membership.md), wherever its commitIndex may advance: LEA-4
   * (only if `recompute`: see advanceCommitIndex), ALL-1, then, once the configuration in force is
   * committed, CFG-3 (it is joint: append C_new and run the sequence again) or CFG-5 (we are not a
   * voter of it: step down). The caller sends the AppendEntries.
   */
  protected commitAsLeader(recompute = true): void {
    if (recompute) this.advanceCommitIndex();
    this.applyCommitted();
    if (this._role !== 'leader' || this.log.lastConfigIndex() > this._commitIndex) return;
    const config = this.members.config;
    if (config.oldVoters !== undefined) {
      this.appendConfigEntry(normalizedConfig(config.voters, config.learners)); // CFG-3: C_new
      return this.commitAsLeader();
    }
    if (!this.members.selfVoter) this.stepDownRemoved(); // CFG-5
  }

  /** CFG-5: the committed configuration in force does not count us: follower in the same term, no leader known (DEC-10 clears the leader state; CLI-4 drops the reads). */
  protected stepDownRemoved(): void {
    this.becomeFollower();
    this._leaderId = null; // CLI-1
  }

  /**
   * CFG-1: take the configuration in force from the log (its last configuration entry), else the
   * snapshot, else the bootstrap. O(1) when it did not change; O(servers) when it did.
   */
  protected syncConfig(): void {
    const inForce = this.log.lastConfig() ?? this._snapshotConfig ?? this.bootstrap;
    if (inForce !== this.members.config) this.useConfig(inForce);
  }

  /** The per-slot flags of a configuration now in force; a server it names that we never heard of gets a slot first. */
  protected useConfig(config: Configuration): void {
    for (const id of config.voters) this.knowServer(id);
    for (const id of config.oldVoters ?? []) this.knowServer(id);
    for (const id of config.learners ?? []) this.knowServer(id);
    this.members.set(config, (id) => this.tracker.slotOf(id) as number, this.serverList.length);
    this.quorumStale = true;
  }

  /** A server not in `servers` (a library user added it): the next slot, with every per-slot array extended. */
  protected knowServer(id: NodeId): void {
    if (this.tracker.slotOf(id) !== undefined) return;
    const slot = this.serverList.length;
    this.serverList.push(id);
    this.tracker.addSlot(id, slot);
    this.readAcks.push(0);
    this.activeSlots.push(false);
  }

  /** DEC-15: a removed server leaves recentlyActive (CQ-1). */
  protected forgetActive(slot: number): void {
    if (!this.activeSlots[slot]) return;
    this.activeSlots[slot] = false;
    this.active.splice(this.active.indexOf(this.serverList[slot] as NodeId), 1);
  }

  // -------------------------------------------------------------------------------------------
  // All servers

  /**
   * ALL-1: apply every committed entry not yet applied, in order, in this step, through the state
   * machine (KV-1, CLI-2). LEA-2: answer the client of an entry this server appended as leader,
   * if the entry applied is still the one of that term (otherwise it was overwritten: no answer).
   */
  protected applyCommitted(): void {
    if (this._commitIndex <= this._lastApplied) return;
    const applied = this.ready.applied;
    const awaiting = this.awaiting;
    for (let i = this._lastApplied + 1; i <= this._commitIndex; i++) {
      const term = this.log.termAt(i);
      const command = this.log.commandAt(i);
      const { result, duplicate } = this.execute(this.kv, command);
      applied.push({ index: i, term, command, result, duplicate });
      if (awaiting.size === 0) continue;
      const awaitedTerm = awaiting.get(i);
      if (awaitedTerm === undefined) continue;
      awaiting.delete(i);
      if (awaitedTerm !== term) continue; // overwritten by another leader's entry: the client retries
      const op = sessionOf(command);
      this.ready.replies.push({ type: 'result', node: this.id, client: op?.client ?? null, seq: op?.seq ?? null, index: i, result, duplicate });
    }
    this._lastApplied = this._commitIndex;
  }

  /** KV-1, CLI-2: one command on a state machine (the running one, or one rebuilt for a snapshot). The seam the mutation tests override. */
  protected execute(machine: KvMachine, command: unknown): Execution {
    return machine.execute(command);
  }

  /** IS-8: the awaited commands at or below `index` are dropped without an answer (a snapshot replaced them). */
  protected dropAwaitingThrough(index: number): void {
    for (const i of this.awaiting.keys()) if (i <= index) this.awaiting.delete(i);
  }

  // -------------------------------------------------------------------------------------------
  // Clients (§8)

  /** LEA-2 on a leader; CLI-1 elsewhere (DEC-9: no state changes). Returns the index the command was appended at, 0 if it was not. */
  protected clientRequest(command: unknown): number {
    if (this._role === 'leader' && this._transferee === null) return this.appendClientCommand(command);
    const op = sessionOf(command);
    // LT-3: a leader handing over its leadership sends the client to its successor.
    this.redirect(op?.client ?? null, op?.seq ?? null, this._role === 'leader' ? this._transferee : this._leaderId);
    return 0;
  }

  /**
   * CLI-4 on a leader: the read waits for the end of the step (see `end`); CLI-1 elsewhere. LR-2:
   * a leader that has committed an entry of its term and holds the lease gives it commitIndex at
   * once and no round (round 0 is always confirmed), so the end of the step answers it.
   */
  protected clientRead(client: string, seq: number, key: string): void {
    if (this._role !== 'leader') return this.redirect(client, seq);
    if (this.leaseReads && this.log.termAt(this._commitIndex) === this._currentTerm && this.holdsLease()) {
      // Only reads with a read index can be queued here: a read without one waits only while no
      // entry of our term is committed, and then none is, so readsUnstarted is the queue's end.
      this.pendingReads.push({ client, seq, key, readIndex: this._commitIndex, round: 0 });
      this.readsUnstarted = this.pendingReads.length;
      this.leaseReadsQueued++;
      return;
    }
    this.pendingReads.push({ client, seq, key, readIndex: null, round: 0 });
  }

  /**
   * LR-2: no leadership transfer is pending (the transferee could be elected at once, LT-4) and
   * some round r > leaseFloor is acknowledged by a quorum, the leader counted if a voter (a leader
   * that alone is a quorum of its configuration: always). Acknowledgements only grow, so
   * r = leaseFloor + 1 is the one to check.
   */
  protected holdsLease(): boolean {
    if (this._transferee !== null) return false;
    return this.members.selfIsQuorum || (this.readRound > this._leaseFloor && this.roundConfirmed(this._leaseFloor + 1));
  }

  /** CLI-1: name the leader last heard from in this term, or none (LT-3: a transferring leader names the transferee). */
  protected redirect(client: string | null, seq: number | null, leader: NodeId | null = this._leaderId): void {
    this.ready.replies.push({ type: 'redirect', node: this.id, client, seq, leader });
  }

  /** CLI-4: forget every read, round and acknowledgement (on election, on stepping down, on a crash). */
  protected resetReads(): void {
    this.readRound = 0;
    this.readAcks.fill(0);
    this.pendingReads.length = 0;
    this.readsHead = 0;
    this.readsUnstarted = 0;
    this.leaseReadsQueued = 0;
    this._leaseFloor = 0; // LR-3: 0 on becoming leader, and on every other role
  }

  /**
   * CLI-4, start rounds: once the leader has committed an entry of its term, every read without a
   * read index gets commitIndex, and one new round (at most one per step) goes to every follower
   * as the AppendEntries LEA-3 would send.
   */
  protected startReadRound(): void {
    const reads = this.pendingReads;
    if (this.readsUnstarted >= reads.length) return;
    if (this.log.termAt(this._commitIndex) !== this._currentTerm) return; // §8: no entry of our term committed yet
    const round = ++this.readRound;
    for (let k = this.readsUnstarted; k < reads.length; k++) {
      const r = reads[k] as PendingRead;
      r.readIndex = this._commitIndex;
      r.round = round;
    }
    this.readsUnstarted = reads.length;
    this.broadcastAppendEntries();
  }

  /**
   * CLI-4, serve: answer, in arrival order, the reads whose round a majority acknowledged (the
   * leader counting itself) and whose read index is applied. Rounds and read indexes never
   * decrease along the queue, so the answerable reads are a prefix: stop at the first that is not.
   * LR-2's lease reads (round 0, always confirmed) are the exception: one queued behind a read
   * whose round is not confirmed yet is answered by a scan of the rest (see `serveLeaseReads`).
   */
  protected serveReads(): void {
    const reads = this.pendingReads;
    let confirmed = 0; // the highest round known to be confirmed in this call
    while (this.readsHead < this.readsUnstarted) {
      const r = reads[this.readsHead] as PendingRead;
      const readIndex = r.readIndex as number;
      if (this._lastApplied < readIndex) break;
      if (r.round > confirmed) {
        if (!this.roundConfirmed(r.round)) break;
        confirmed = r.round;
      }
      this.answerRead(r);
      this.readsHead++;
    }
    if (this.leaseReadsQueued > 0 && this.readsHead < this.readsUnstarted) this.serveLeaseReads();
    if (this.readsHead === reads.length) {
      reads.length = 0;
      this.readsHead = this.readsUnstarted = 0;
    } else if (this.readsHead > 1024 && 2 * this.readsHead > reads.length) {
      reads.splice(0, this.readsHead);
      this.readsUnstarted -= this.readsHead;
      this.readsHead = 0;
    }
  }

  /**
   * LR-2: the reads after the first one that cannot be answered, in arrival order: a lease read
   * (round 0) whose read index is applied is answered, and so is any other read that can be; the
   * rest keep their order. O(the reads waiting), only while a lease read waits behind a round.
   */
  protected serveLeaseReads(): void {
    const reads = this.pendingReads;
    let kept = this.readsHead + 1; // the head cannot be answered (serveReads stopped there)
    for (let k = kept; k < this.readsUnstarted; k++) {
      const r = reads[k] as PendingRead;
      if (this._lastApplied >= (r.readIndex as number) && this.roundConfirmed(r.round)) this.answerRead(r);
      else reads[kept++] = r;
    }
    const removed = this.readsUnstarted - kept;
    if (removed === 0) return;
    reads.copyWithin(kept, this.readsUnstarted);
    reads.length -= removed;
    this.readsUnstarted = kept;
  }

  /** CLI-4: answer a read from the state machine as of lastApplied. */
  protected answerRead(r: PendingRead): void {
    if (r.round === 0) this.leaseReadsQueued--; // LR-2
    this.ready.replies.push({ type: 'read', node: this.id, client: r.client, seq: r.seq, key: r.key, index: r.readIndex as number, result: this.kv.get(r.key) });
  }

  /** CLI-4: the leader and the peers that acknowledged `round` or a later one are a quorum of the configuration in force (CFG-2; the leader counts only if a voter, CFG-5). */
  protected roundConfirmed(round: number): boolean {
    const acks = this.readAcks;
    return this.members.isQuorum((slot) => slot === this.selfSlot || (acks[slot] as number) >= round);
  }

  protected send(m: Message): void {
    this.ready.messages.push(m);
  }

  // -------------------------------------------------------------------------------------------
  // Observation: O(1) each

  get role(): Role {
    return this._role;
  }
  get currentTerm(): number {
    return this._currentTerm;
  }
  get votedFor(): NodeId | null {
    return this._votedFor;
  }
  get commitIndex(): number {
    return this._commitIndex;
  }
  get lastApplied(): number {
    return this._lastApplied;
  }
  /** CLI-1: the leader last heard from in currentTerm (this server when leader); null when none. */
  get leaderId(): NodeId | null {
    return this._leaderId;
  }
  /** The state machine as of lastApplied (KV-1, CLI-2), as a new plain object: O(its size). */
  get machine(): KvState {
    return this.kv.toState();
  }
  /** The value of `key` in the state machine as of lastApplied, or null: O(1). */
  valueOf(key: string): string | null {
    return this.kv.get(key);
  }
  /** LR-3: this leader's readRound at its last election timeout (0 since its election, and on every other role); only a later round gives a lease (LR-2). */
  get leaseFloor(): number {
    return this._leaseFloor;
  }
  /** How many client reads wait on this leader (CLI-4). */
  get pendingReadCount(): number {
    return this.pendingReads.length - this.readsHead;
  }
  /** The index of the last log entry; snapshotIndex when no entry follows the snapshot (0 for an empty log). */
  get lastIndex(): number {
    return this.log.lastIndex;
  }
  /** The term of the last log entry; snapshotTerm when no entry follows the snapshot (0 for an empty log). */
  get lastTerm(): number {
    return this.log.lastTerm;
  }
  /** currentTerm and votedFor, as they should be on stable storage. */
  get hardState(): HardState {
    return { currentTerm: this._currentTerm, votedFor: this._votedFor };
  }
  /** The term at `index`, from snapshotIndex (whose term is snapshotTerm; 0 for index 0) to lastIndex. Throws a RangeError outside that range. */
  termAt(index: number): number {
    return this.log.termAt(index);
  }
  /** The entry at `index` (snapshotIndex + 1 .. lastIndex), as a new object. Throws a RangeError outside that range. */
  entryAt(index: number): Entry {
    return this.log.entryAt(index);
  }
  /** The leader's nextIndex for `peer`; undefined when it keeps none (DEC-10). */
  nextIndexOf(peer: NodeId): number | undefined {
    const slot = this.tracker.slotOf(peer);
    const v = slot === undefined ? ABSENT : (this.tracker.nextIndex[slot] as number);
    return v === ABSENT ? undefined : v;
  }
  /** The leader's matchIndex for `peer`; undefined when it keeps none (DEC-10). */
  matchIndexOf(peer: NodeId): number | undefined {
    const slot = this.tracker.slotOf(peer);
    const v = slot === undefined ? ABSENT : (this.tracker.matchIndex[slot] as number);
    return v === ABSENT ? undefined : v;
  }
  /** The leader's appliedIndex for `peer` (FC-2): the highest lastApplied it reported; undefined when it keeps none (no flow control, DEC-10). */
  appliedIndexOf(peer: NodeId): number | undefined {
    const slot = this.tracker.slotOf(peer);
    const v = slot === undefined ? ABSENT : (this.tracker.appliedIndex[slot] as number);
    return v === ABSENT ? undefined : v;
  }
  /** The servers that granted this candidate or leader its vote, itself included. A live view: copy it to keep it. */
  votesGranted(): readonly NodeId[] {
    return this.tracker.votes;
  }
  /** Whether this server handled an AppendEntries or InstallSnapshot from the leader of its term since its last election timeout (PV-2, CFG-6). */
  get heardFromLeader(): boolean {
    return this._heardFromLeader;
  }
  /** CQ-1: the peers this leader heard from since it became leader or last checked, in the order heard. A live view: copy it to keep it. */
  recentlyActive(): readonly NodeId[] {
    return this.active;
  }
  /** LT-1: the server this leader is handing its leadership to, or null. */
  get transferee(): NodeId | null {
    return this._transferee;
  }
  /** The lowest log index written or removed since the last call (Infinity if none); resets the mark. Lets a checker compare logs incrementally. */
  takeLogChangedFrom(): number {
    return this.log.takeChangedFrom();
  }
  /** The snapshot's lastIncludedIndex (SNAP-1); 0 without one. The log holds the entries after it. */
  get snapshotIndex(): number {
    return this.log.base;
  }
  /** The snapshot's lastIncludedTerm; 0 without one. */
  get snapshotTerm(): number {
    return this.log.baseTerm;
  }
  /** The configuration in force at snapshotIndex (SNAP-1); null while that is the bootstrap configuration. Shared: do not change it. */
  get snapshotConfig(): Configuration | null {
    return this._snapshotConfig;
  }
  /**
   * The configuration in force (CFG-1): that of the last configuration entry in the log, committed
   * or not; else the snapshot's; else the bootstrap configuration. Shared: do not change it.
   */
  get config(): Configuration {
    return this.members.config;
  }
  /** The index of the configuration entry in force; 0 when the configuration is the snapshot's or the bootstrap one (committed). */
  get configIndex(): number {
    return this.log.lastConfigIndex();
  }
  /** The state machine as of snapshotIndex: the snapshot's own object, shared: do not change it. */
  get snapshotMachine(): KvState {
    return this._snapshotMachine;
  }
  /** The InstallSnapshot being received (IS-2, IS-3), as a new object; null when none. */
  get partialSnapshot(): { lastIncludedIndex: number; lastIncludedTerm: number; data: string } | null {
    const p = this.partial;
    return p && { lastIncludedIndex: p.lastIncludedIndex, lastIncludedTerm: p.lastIncludedTerm, data: p.data };
  }
  /** What this server must have on stable storage (PER-1): the snapshot (with its configuration) and the log after it. O(log length). */
  persisted(): Persisted {
    const base = this.log.base;
    const log = this.log.toArray();
    if (base > 0) return { hardState: this.hardState, snapshot: { index: base, term: this.log.baseTerm, machine: this._snapshotMachine, config: this._snapshotConfig }, log };
    return this._snapshotConfig === null ? { hardState: this.hardState, log } : { hardState: this.hardState, snapshotConfig: this._snapshotConfig, log };
  }

  /** A full snapshot in the spec's NodeState shape (O(log length): for reports and recording, not per step). */
  toJSON(): NodeState {
    const nextIndex: Record<NodeId, number> = {};
    const matchIndex: Record<NodeId, number> = {};
    const appliedIndex: Record<NodeId, number> = {};
    this.serverList.forEach((id, slot) => {
      const next = this.tracker.nextIndex[slot] as number;
      const match = this.tracker.matchIndex[slot] as number;
      const applied = this.tracker.appliedIndex[slot] as number;
      if (next !== ABSENT) nextIndex[id] = next;
      if (match !== ABSENT) matchIndex[id] = match;
      if (applied !== ABSENT) appliedIndex[id] = applied;
    });
    return {
      role: this._role,
      currentTerm: this._currentTerm,
      votedFor: this._votedFor,
      log: this.log.toArray(),
      snapshotIndex: this.log.base,
      snapshotTerm: this.log.baseTerm,
      snapshotMachine: copyKvState(this._snapshotMachine),
      snapshotConfig: this._snapshotConfig && copyConfig(this._snapshotConfig),
      commitIndex: this._commitIndex,
      lastApplied: this._lastApplied,
      machine: this.kv.toState(),
      leaderId: this._leaderId,
      partialSnapshot: this.partialSnapshot,
      heardFromLeader: this._heardFromLeader,
      nextIndex,
      matchIndex,
      recentlyActive: [...this.active],
      transferee: this._transferee,
      appliedIndex,
      votesGranted: [...this.tracker.votes],
    };
  }
}

/** The messages handled after ALL-2 and the stale checks: all but the pre-vote's (PV-2, PV-3). */
type TermMessage = Exclude<Message, PreVote | PreVoteResponse>;

function assertNever(x: never): never {
  throw new Error(`unhandled input ${JSON.stringify(x)}`);
}
