// The Raft core's entry point, shaped like etcd-io/raft's RawNode: a deterministic state machine
// with no I/O and no clock. An input goes in (a message, a timer, a client command); a Ready comes
// out (messages to send, entries to apply, what to persist first). The term is handled once, at
// the entry point (ALL-2 and the stale checks), then the message goes to the handler of the
// server's role (stepFollower / stepPrecandidate / stepCandidate / stepLeader).
//
// Built for speed: the state (core.ts) is mutable and every step costs what it changes. The log is
// two parallel arrays (log.ts); per-peer progress lives in arrays by server slot (tracker.ts), in
// the leader's record (roles.ts); the commit index is recomputed only when a matchIndex passes it
// or the leader's log grows. The configuration in force (membership.ts) is per-slot flags, rebuilt
// only when it changes. What each rule does is in the module of its concern: election.ts,
// follower.ts, replication.ts, snapshot.ts, confchange.ts, proposals.ts, reads.ts, transfer.ts.
import { RESERVED_NAMES, type Configuration, type Entry, type KvState, type Message, type NodeId, type NodeState, type Observation, type PreVote, type PreVoteResponse, type Role } from '../spec/schema.js';
import { RaftState, newReady } from './core.js';
import { campaign, guardIgnores, onPreVoteMessage, onRequestVote, onVoteResponse, answerVote, tickElection } from './election.js';
import { answerAppend, receiveAppend } from './follower.js';
import { KvMachine } from './kv.js';
import { copyEntry } from './log.js';
import { copyConfig } from './membership.js';
import { acceptForwarded, proposeCommand, proposeConfChange } from './proposals.js';
import { acceptRead, acceptSync, settleReads } from './reads.js';
import { bcastHeartbeat, onAppendResponse, onSnapshotResponse, settleApplied } from './replication.js';
import { answerSnapshot, compactLog, copyKvState, receiveSnapshot } from './snapshot.js';
import { ABSENT } from './tracker.js';
import { beginTransfer, maybeHandOver } from './transfer.js';
import type { HardState, Input, Persisted, Proposal, RaftConfig, Ready } from './types.js';

const NONE: readonly NodeId[] = Object.freeze([]);

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
const RESERVED: ReadonlySet<string> = new Set(RESERVED_NAMES);

/** Server IDs key plain objects (progressMaps, observations): a name of Object.prototype would collide with its member. */
function checkServerIds(config: RaftConfig): void {
  const ids = [config.id, ...config.servers, ...(config.bootstrap?.voters ?? []), ...(config.bootstrap?.learners ?? [])];
  for (const id of ids) {
    if (typeof id !== 'string' || id === '' || RESERVED.has(id)) {
      throw new RangeError(`server ID ${JSON.stringify(id)} is not usable: expected a non-empty string that is not a property name of Object.prototype (${RESERVED_NAMES.join(', ')})`);
    }
  }
}

export class RaftNode {
  /** This server's ID. */
  readonly id: NodeId;
  private readonly r: RaftState;
  // PER-1: currentTerm and votedFor before the step in progress.
  private termBefore = 0;
  private voteBefore: NodeId | null = null;
  private commitBefore = 0; // DEC-7b: commitIndex is persistent too

  /**
   * A server of `config.servers`. Without `initial` it starts in Figure 2's initial state (a
   * follower of term 0 with an empty log); `initial` sets any subset of the state, as a trace that
   * starts mid-history does. Throws a RangeError if the configuration is not usable, a server ID
   * that is a property name of Object.prototype (`__proto__`, `constructor`, ...) included.
   */
  constructor(config: RaftConfig, initial?: Observation) {
    checkServerIds(config);
    this.r = new RaftState(config);
    this.id = config.id;
    if (initial) this.r.load(initial);
    this.r.syncConfig();
  }

  /**
   * A server restarting from what it persisted (PER-1, SNAP-4): a follower with its snapshot, the
   * log after it, and commitIndex = lastApplied = the snapshot's index (0 without one). DEC-7b:
   * commitIndex is the one persisted (HardState.commitIndex); {@link RaftNode.resume} applies the
   * entries up to it again when the server comes up.
   */
  static restart(config: RaftConfig, persisted: Persisted): RaftNode {
    const snap = persisted.snapshot ?? null;
    const snapshotConfig = snap?.config ?? persisted.snapshotConfig ?? null;
    const node = new RaftNode(config, {
      currentTerm: persisted.hardState.currentTerm, votedFor: persisted.hardState.votedFor,
      ...(snap ? { snapshotIndex: snap.index, snapshotTerm: snap.term, snapshotMachine: snap.machine } : {}),
      snapshotConfig,
    });
    const r = node.r;
    for (const e of persisted.log) r.log.append(copyEntry(e));
    r.syncConfig(); // CFG-1: the configuration entries of the log are in force again
    const commitIndex = persisted.hardState.commitIndex;
    if (r.opts.persistCommit && commitIndex !== undefined && commitIndex > r.commitIndex) r.commitIndex = commitIndex; // DEC-7b
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  /**
   * Handles one input and returns what it produced. The entries of a message are kept as they
   * are (and sent on, and handed out in Ready): they must not change afterwards.
   */
  step(input: Input): Ready {
    const r = this.r;
    const ready = this.beginStep();
    switch (input.type) {
      case 'electionTimeout':
        tickElection(r); // FOL-2, CAN-4 or PV-1; CQ-1, LT-5 or DEC-9 on a leader
        break;
      case 'heartbeatTimeout':
        if (r.role === 'leader') bcastHeartbeat(r); // LR-1, LEA-1 (DEC-5); DEC-9 otherwise
        break;
      case 'clientRequest':
        proposeCommand(r, input.command); // LEA-2; CLI-1 and DEC-9 on a non-leader
        break;
      case 'clientRead':
        acceptRead(r, input.client, input.seq, input.key, input.after ?? 0); // CLI-4 (FR-1, FR-2); CLI-1 and DEC-9 on a non-leader
        break;
      case 'clientSync':
        acceptSync(r, input.client, input.seq); // FR-3; DEC-9 without followerReads
        break;
      case 'snapshot':
        compactLog(r, input.index ?? r.lastApplied); // SNAP-1 (DEC-13)
        break;
      case 'transferLeadership':
        beginTransfer(r, input.target); // LT-1; DEC-9 elsewhere
        break;
      case 'reconfigure':
        proposeConfChange(r, input.change, input.voters, input.learners); // CFG-2, CFG-7; DEC-9 elsewhere
        break;
      case 'apply':
        // ALL-1; DEC-17b: the step that applies. Otherwise only a DEC-7b restart leaves anything to apply.
        // DEC-24b: on a leader, a configuration applied takes effect with its bookkeeping.
        if (r.opts.configOnApply && r.role === 'leader') settleApplied(r, r.members.peerSlots, () => r.applyCommitted());
        else r.applyCommitted();
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
      case 'ClientProposal':
      case 'ForwardedRead':
        this.stepMessage(input);
        break;
      default:
        assertNever(input);
    }
    return this.finishStep(ready);
  }

  /**
   * A client command, as the labs' `start(command)`: on a leader, appends it and sends it to every
   * follower (LEA-2); elsewhere, or on a leader transferring its leadership (LT-3), it changes
   * nothing (DEC-9), the Ready holds a redirect (CLI-1) and the proposal says so. The same as
   * `step({ type: 'clientRequest', command })`.
   */
  propose(command: unknown): Proposal {
    const ready = this.beginStep();
    const term = this.r.currentTerm;
    const index = proposeCommand(this.r, command);
    this.finishStep(ready);
    return { index, term, isLeader: index > 0, ready };
  }

  /**
   * The server comes up after {@link RaftNode.restart} (a trace's `restart` event). DEC-7b: ALL-1
   * applies again the entries up to the commitIndex it kept, in this step (DEC-17b: at its next
   * `apply` instead). Otherwise nothing is committed beyond its snapshot: an empty Ready.
   */
  resume(): Ready {
    const ready = this.beginStep();
    this.r.applyUpToCommit();
    return this.finishStep(ready);
  }

  /**
   * A crash and restart of this server (PER-1, DEC-7, SNAP-4): keeps currentTerm, votedFor, the
   * snapshot and the log after it (DEC-7b: and commitIndex; then call {@link RaftNode.resume}).
   */
  restartInPlace(): void {
    const r = this.r;
    r.becomeFollower(); // drops the reads (CLI-4)
    // SNAP-4: the state machine restarts from the snapshot; only the entries after it are applied again.
    if (!r.opts.persistCommit) r.commitIndex = r.log.base;
    r.lastApplied = r.log.base;
    r.kv = KvMachine.from(r.snapshotMachine);
    r.partial = null; // DEC-12: volatile
    r.leaderId = null; // CLI-1
    r.heardFromLeader = false; // PV-2, CFG-6: volatile
    r.awaiting.clear(); // LEA-2: the clients of a crashed server get no answer
  }

  private beginStep(): Ready {
    this.termBefore = this.r.currentTerm;
    this.voteBefore = this.r.votedFor;
    this.commitBefore = this.r.commitIndex;
    return (this.r.ready = newReady());
  }

  private finishStep(ready: Ready): Ready {
    const r = this.r;
    // CFG-1: the handlers that change the log or the snapshot update the configuration in force
    // themselves; this O(1) check covers a variant that changes the log some other way.
    r.syncConfig();
    // CLI-4: at the end of every step of a leader with reads pending.
    const lead = r.leader;
    if (r.role === 'leader' && lead !== null && lead.readsHead < lead.pendingReads.length) settleReads(r, lead);
    // PER-1: currentTerm and votedFor, if either changed in this step (DEC-7b: or commitIndex).
    if (r.currentTerm !== this.termBefore || r.votedFor !== this.voteBefore || (r.opts.persistCommit && r.commitIndex !== this.commitBefore)) {
      ready.hardState = this.hardState;
    }
    return ready;
  }

  // -------------------------------------------------------------------------------------------
  // Messages: the term first, then the role

  private stepMessage(m: Message): void {
    const r = this.r;
    // Messages from outside the cluster are ignored (a trace cannot contain one).
    if (r.slotOf(m.from) === undefined) return;
    // PV-2, PV-3: a pre-vote changes no term, so it is handled before and instead of ALL-2.
    if (m.type === 'PreVote' || m.type === 'PreVoteResponse') return onPreVoteMessage(r, m);
    if (m.type === 'RequestVote' && guardIgnores(r, m)) return; // CFG-6: no term change, no vote, no reply
    if (m.term > r.currentTerm) {
      const deposed = m.type === 'AppendEntries' && (r.role === 'leader' || r.role === 'candidate');
      r.adoptTerm(m.term); // ALL-2
      if (deposed && r.opts.dropDeposingAppend) return; // DEC-21b: the leader sends it again
    } else if (m.term < r.currentTerm) {
      return this.stepStale(m); // RV-1, AE-1, DEC-1
    }
    switch (r.role) {
      case 'follower':
        return this.stepFollower(m);
      case 'precandidate':
        return this.stepPrecandidate(m);
      case 'candidate':
        return this.stepCandidate(m);
      case 'leader':
        return this.stepLeader(m);
      default:
        assertNever(r.role);
    }
  }

  /** A message of an older term: refuse a request (RV-1, AE-1, IS-1; DEC-19b: drop a RequestVote or AppendEntries), drop a response (DEC-1). */
  private stepStale(m: Message): void {
    const r = this.r;
    if (r.opts.dropStaleRequests && (m.type === 'RequestVote' || m.type === 'AppendEntries')) return; // DEC-19b: its sender learns the term elsewhere
    if (m.type === 'RequestVote') answerVote(r, m, false); // RV-1
    else if (m.type === 'AppendEntries') answerAppend(r, m, false, 0); // AE-1
    else if (m.type === 'InstallSnapshot') answerSnapshot(r, m, 0, false); // IS-1
    // DEC-1: a stale response is dropped
  }

  private stepFollower(m: TermMessage): void {
    const r = this.r;
    switch (m.type) {
      case 'RequestVote':
        return onRequestVote(r, m); // FOL-1, RV-2
      case 'AppendEntries':
        return receiveAppend(r, m); // FOL-1, AE-2 .. AE-5
      case 'InstallSnapshot':
        return receiveSnapshot(r, m); // FOL-1, IS-2 .. IS-8
      case 'TimeoutNow':
        return campaign(r, true); // LT-4: at once, without a pre-vote
      case 'ClientProposal':
      case 'ForwardedRead':
        return; // DEC-23b: we do not lead; the client retries
      case 'RequestVoteResponse':
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
        return; // DEC-1: a response to a role we no longer have
      default:
        assertNever(m);
    }
  }

  /** PV-1: a precandidate is a follower that asked for pre-votes; a leader of its term makes it a follower (CAN-3). */
  private stepPrecandidate(m: TermMessage): void {
    const r = this.r;
    switch (m.type) {
      case 'RequestVote':
        return onRequestVote(r, m); // RV-2, as a follower: a pre-vote is not a vote
      case 'AppendEntries':
        r.becomeFollower(); // CAN-3
        return receiveAppend(r, m);
      case 'InstallSnapshot':
        r.becomeFollower(); // CAN-3
        return receiveSnapshot(r, m);
      case 'TimeoutNow': // LT-4: only a follower campaigns at once
      case 'RequestVoteResponse':
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
      case 'ClientProposal': // DEC-23b: we do not lead
      case 'ForwardedRead':
        return; // DEC-1
      default:
        assertNever(m);
    }
  }

  private stepCandidate(m: TermMessage): void {
    const r = this.r;
    switch (m.type) {
      case 'RequestVote':
        return onRequestVote(r, m); // RV-2: we voted for ourselves, so this refuses
      case 'RequestVoteResponse':
        return onVoteResponse(r, m.from, m.voteGranted); // CAN-2
      case 'AppendEntries':
        r.becomeFollower(); // CAN-3: a leader of our term won
        return receiveAppend(r, m);
      case 'InstallSnapshot':
        r.becomeFollower(); // CAN-3
        return receiveSnapshot(r, m);
      case 'AppendEntriesResponse':
      case 'InstallSnapshotResponse':
      case 'TimeoutNow':
      case 'ClientProposal': // DEC-23b: we do not lead
      case 'ForwardedRead':
        return; // DEC-1 (LT-4: only a follower campaigns at once)
      default:
        assertNever(m);
    }
  }

  private stepLeader(m: TermMessage): void {
    const r = this.r;
    switch (m.type) {
      case 'RequestVote':
        return onRequestVote(r, m); // RV-2: we voted for ourselves, so this refuses
      case 'AppendEntriesResponse': {
        const slot = r.slotOf(m.from) as number; // checked in stepMessage
        if (!r.members.hasMember(slot)) return; // DEC-15: not a peer any more (an answer to what we sent before it was removed)
        if (m.success && m.matchIndex > r.log.lastIndex) return; // DEC-8: no AppendEntries of ours could have caused it
        const lead = r.lead();
        if (r.opts.checkQuorum) lead.markActive(slot, m.from); // CQ-1
        // CLI-4: any answer of our term to a round, success or not, acknowledges our leadership.
        if (m.readRound !== undefined && m.readRound > (lead.readAcks[slot] as number)) lead.readAcks[slot] = m.readRound;
        onAppendResponse(r, m, slot); // FC-2, LEA-3b, LEA-3a
        if (m.success) maybeHandOver(r, slot); // LT-2
        return;
      }
      case 'InstallSnapshotResponse': {
        const slot = r.slotOf(m.from) as number;
        if (!r.members.hasMember(slot)) return; // DEC-15, as above
        if (m.done && m.lastIncludedIndex > r.log.lastIndex) return; // DEC-8: we never sent a snapshot beyond our log
        if (r.opts.checkQuorum) r.lead().markActive(slot, m.from); // CQ-1
        onSnapshotResponse(r, m, slot); // SNAP-3
        if (m.done) maybeHandOver(r, slot); // LT-2
        return;
      }
      case 'AppendEntries':
      case 'InstallSnapshot':
        return; // DEC-8: a second leader of our term cannot exist
      case 'RequestVoteResponse':
      case 'TimeoutNow':
        return; // DEC-1
      case 'ClientProposal':
        return acceptForwarded(r, m.command); // DEC-23b: LEA-2 as a client's; LT-3: dropped while handing over
      case 'ForwardedRead':
        return acceptRead(r, m.client, m.seq, m.key); // DEC-23b: CLI-4 (LR-2) as our own
      default:
        assertNever(m);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Observation: O(1) each

  get role(): Role {
    return this.r.role;
  }
  get currentTerm(): number {
    return this.r.currentTerm;
  }
  get votedFor(): NodeId | null {
    return this.r.votedFor;
  }
  get commitIndex(): number {
    return this.r.commitIndex;
  }
  get lastApplied(): number {
    return this.r.lastApplied;
  }
  /** CLI-1: the leader last heard from in currentTerm (this server when leader); null when none. */
  get leaderId(): NodeId | null {
    return this.r.leaderId;
  }
  /** Every server of the cluster, in fan-out order: those of the RaftConfig, then any a configuration named since. */
  get servers(): readonly NodeId[] {
    return this.r.servers;
  }
  /** The state machine as of lastApplied (KV-1, CLI-2), as a new plain object: O(its size). */
  get machine(): KvState {
    return this.r.kv.toState();
  }
  /** The value of `key` in the state machine as of lastApplied, or null: O(1). */
  valueOf(key: string): string | null {
    return this.r.kv.get(key);
  }
  /** LR-3: this leader's readRound at its last election timeout (0 since its election, and on every other role); only a later round gives a lease (LR-2). */
  get leaseFloor(): number {
    return this.r.leader?.leaseFloor ?? 0;
  }
  /** How many client reads wait on this leader (CLI-4). */
  get pendingReadCount(): number {
    const lead = this.r.leader;
    return lead === null ? 0 : lead.pendingReads.length - lead.readsHead;
  }
  /** The index of the last log entry; snapshotIndex when no entry follows the snapshot (0 for an empty log). */
  get lastIndex(): number {
    return this.r.log.lastIndex;
  }
  /** The term of the last log entry; snapshotTerm when no entry follows the snapshot (0 for an empty log). */
  get lastTerm(): number {
    return this.r.log.lastTerm;
  }
  /** currentTerm and votedFor (DEC-7b: and commitIndex), as they should be on stable storage. */
  get hardState(): HardState {
    const r = this.r;
    return r.opts.persistCommit ? { currentTerm: r.currentTerm, votedFor: r.votedFor, commitIndex: r.commitIndex } : { currentTerm: r.currentTerm, votedFor: r.votedFor };
  }
  /** The term at `index`, from snapshotIndex (whose term is snapshotTerm; 0 for index 0) to lastIndex. Throws a RangeError outside that range. */
  termAt(index: number): number {
    return this.r.log.termAt(index);
  }
  /** The entry at `index` (snapshotIndex + 1 .. lastIndex), as a new object. Throws a RangeError outside that range. */
  entryAt(index: number): Entry {
    return this.r.log.entryAt(index);
  }
  /** The leader's nextIndex for `peer`; undefined when it keeps none (DEC-10). */
  nextIndexOf(peer: NodeId): number | undefined {
    return this.progressOf(peer, 'nextIndex');
  }
  /** The leader's matchIndex for `peer`; undefined when it keeps none (DEC-10). */
  matchIndexOf(peer: NodeId): number | undefined {
    return this.progressOf(peer, 'matchIndex');
  }
  /** The leader's appliedIndex for `peer` (FC-2): the highest lastApplied it reported; undefined when it keeps none (no flow control, DEC-10). */
  appliedIndexOf(peer: NodeId): number | undefined {
    return this.progressOf(peer, 'appliedIndex');
  }
  private progressOf(peer: NodeId, field: 'nextIndex' | 'matchIndex' | 'appliedIndex'): number | undefined {
    const lead = this.r.leader;
    const slot = this.r.slotOf(peer);
    if (lead === null || slot === undefined) return undefined;
    const v = lead.progress[field][slot] as number;
    return v === ABSENT ? undefined : v;
  }
  /** The servers that granted this candidate or leader its vote, itself included. A live view: copy it to keep it. */
  votesGranted(): readonly NodeId[] {
    return this.r.candidate?.votes ?? this.r.leader?.electedBy ?? NONE;
  }
  /** Whether this server handled an AppendEntries or InstallSnapshot from the leader of its term since its last election timeout (PV-2, CFG-6). */
  get heardFromLeader(): boolean {
    return this.r.heardFromLeader;
  }
  /** CQ-1: the peers this leader heard from since it became leader or last checked, in the order heard. A live view: copy it to keep it. */
  recentlyActive(): readonly NodeId[] {
    return this.r.leader?.active ?? NONE;
  }
  /** LT-1: the server this leader is handing its leadership to, or null. */
  get transferee(): NodeId | null {
    return this.r.leader?.transferee ?? null;
  }
  /** The lowest log index written or removed since the last call (Infinity if none); resets the mark. Lets a checker compare logs incrementally. */
  takeLogChangedFrom(): number {
    return this.r.log.takeChangedFrom();
  }
  /** The snapshot's lastIncludedIndex (SNAP-1); 0 without one. The log holds the entries after it. */
  get snapshotIndex(): number {
    return this.r.log.base;
  }
  /** The snapshot's lastIncludedTerm; 0 without one. */
  get snapshotTerm(): number {
    return this.r.log.baseTerm;
  }
  /** The configuration in force at snapshotIndex (SNAP-1); null while that is the bootstrap configuration. Shared: do not change it. */
  get snapshotConfig(): Configuration | null {
    return this.r.snapshotConfig;
  }
  /**
   * The configuration in force (CFG-1): that of the last configuration entry in the log, committed
   * or not; else the snapshot's; else the bootstrap configuration. Shared: do not change it.
   */
  get config(): Configuration {
    return this.r.members.config;
  }
  /** The index of the configuration entry in force; 0 when the configuration is the snapshot's or the bootstrap one (committed). */
  get configIndex(): number {
    return this.r.log.lastConfigIndex();
  }
  /** The state machine as of snapshotIndex: the snapshot's own object, shared: do not change it. */
  get snapshotMachine(): KvState {
    return this.r.snapshotMachine;
  }
  /** The InstallSnapshot being received (IS-2, IS-3), as a new object; null when none. */
  get partialSnapshot(): { lastIncludedIndex: number; lastIncludedTerm: number; data: string } | null {
    const p = this.r.partial;
    return p && { lastIncludedIndex: p.lastIncludedIndex, lastIncludedTerm: p.lastIncludedTerm, data: p.data };
  }
  /** What this server must have on stable storage (PER-1): the snapshot (with its configuration) and the log after it. O(log length). */
  persisted(): Persisted {
    const r = this.r;
    const base = r.log.base;
    const log = r.log.toArray();
    if (base > 0) return { hardState: this.hardState, snapshot: { index: base, term: r.log.baseTerm, machine: r.snapshotMachine, config: r.snapshotConfig }, log };
    return r.snapshotConfig === null ? { hardState: this.hardState, log } : { hardState: this.hardState, snapshotConfig: r.snapshotConfig, log };
  }

  /** The leader's per-peer progress as maps (empty on any other role): nextIndex, matchIndex and, with flow control, appliedIndex (FC-2). O(servers). */
  progressMaps(): { nextIndex: Record<NodeId, number>; matchIndex: Record<NodeId, number>; appliedIndex: Record<NodeId, number> } {
    const nextIndex: Record<NodeId, number> = {};
    const matchIndex: Record<NodeId, number> = {};
    const appliedIndex: Record<NodeId, number> = {};
    for (const id of this.r.servers) {
      const next = this.nextIndexOf(id);
      const match = this.matchIndexOf(id);
      const applied = this.appliedIndexOf(id);
      if (next !== undefined) nextIndex[id] = next;
      if (match !== undefined) matchIndex[id] = match;
      if (applied !== undefined) appliedIndex[id] = applied;
    }
    return { nextIndex, matchIndex, appliedIndex };
  }

  /** A full snapshot in the spec's NodeState shape (O(log length): for reports and recording, not per step). */
  toJSON(): NodeState {
    const r = this.r;
    const { nextIndex, matchIndex, appliedIndex } = this.progressMaps();
    return {
      role: r.role,
      currentTerm: r.currentTerm,
      votedFor: r.votedFor,
      log: r.log.toArray(),
      snapshotIndex: r.log.base,
      snapshotTerm: r.log.baseTerm,
      snapshotMachine: copyKvState(r.snapshotMachine),
      snapshotConfig: r.snapshotConfig && copyConfig(r.snapshotConfig),
      commitIndex: r.commitIndex,
      lastApplied: r.lastApplied,
      machine: r.kv.toState(),
      leaderId: r.leaderId,
      partialSnapshot: this.partialSnapshot,
      heardFromLeader: r.heardFromLeader,
      nextIndex,
      matchIndex,
      recentlyActive: [...this.recentlyActive()],
      transferee: this.transferee,
      appliedIndex,
      votesGranted: [...this.votesGranted()],
    };
  }
}

/** The messages handled after ALL-2 and the stale checks: all but the pre-vote's (PV-2, PV-3). */
type TermMessage = Exclude<Message, PreVote | PreVoteResponse>;

function assertNever(x: never): never {
  throw new Error(`unhandled input ${JSON.stringify(x)}`);
}
