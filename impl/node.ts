// The Raft core, shaped like etcd-io/raft's RawNode: a deterministic state machine with no I/O and
// no clock. An input goes in (a message, a timer, a client command); a Ready comes out (messages
// to send, entries to apply, what to persist first). The term is handled once, at the entry point
// (ALL-2 and the stale checks), then the message goes to the handler of the server's role
// (stepFollower / stepCandidate / stepLeader).
//
// Built for speed: the state is mutable and every step costs what it changes. The log is two
// parallel arrays (log.ts); per-peer progress lives in arrays by server slot (tracker.ts); the
// commit index is recomputed only when a matchIndex passes it or the leader's log grows.
import type { AppendEntries, AppendEntriesResponse, Entry, Message, NodeId, NodeState, Observation, RequestVote, Role } from '../spec/schema.js';
import { resolveOptions } from '../spec/schema.js';
import { RaftLog } from './log.js';
import { ABSENT, Tracker } from './tracker.js';
import type { HardState, Input, Persisted, Proposal, RaftConfig, Ready } from './types.js';

const newReady = (): Ready => ({ messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [] });

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
  /** Every server of the cluster, in fan-out order. */
  readonly servers: readonly NodeId[];
  // Members are protected, not private: the seam test/mutants.ts overrides to inject known bugs.
  protected readonly maxEntries: number;
  protected readonly fastBacktracking: boolean;
  /** The slots of the other servers, in `servers` order. */
  protected readonly peerSlots: number[];

  // Persistent state (PER-1).
  protected _currentTerm = 0;
  protected _votedFor: NodeId | null = null;
  protected readonly log = new RaftLog();
  // Volatile state, all servers.
  protected _role: Role = 'follower';
  protected _commitIndex = 0;
  protected _lastApplied = 0;
  // Volatile state, candidates and leaders.
  protected readonly tracker: Tracker;
  /** Whether the commit index must be recomputed on the next success, whatever its matchIndex. */
  protected quorumStale = true;

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
    this.id = config.id;
    this.servers = [...config.servers];
    this.maxEntries = options.maxEntriesPerAppendEntries;
    this.fastBacktracking = options.fastBacktracking;
    this.peerSlots = this.servers.map((_, slot) => slot).filter((slot) => slot !== selfSlot);
    this.tracker = new Tracker(this.servers, selfSlot);
    if (initial) this.load(initial);
  }

  /** A server restarting from what it persisted (PER-1): a follower with commitIndex = lastApplied = 0. */
  static restart(config: RaftConfig, persisted: Persisted): RaftNode {
    // `new this`: a subclass restarts as itself (the seam the mutation tests use); the same node otherwise.
    const node = new this(config, { currentTerm: persisted.hardState.currentTerm, votedFor: persisted.hardState.votedFor });
    for (const e of persisted.log) node.log.append({ term: e.term, command: e.command });
    return node;
  }

  protected load(o: Observation): void {
    this._role = o.role ?? 'follower';
    this._currentTerm = o.currentTerm ?? 0;
    this._votedFor = o.votedFor ?? null;
    for (const e of o.log ?? []) this.log.append({ term: e.term, command: e.command });
    this._commitIndex = o.commitIndex ?? 0;
    this._lastApplied = o.lastApplied ?? 0;
    for (const [field, values] of [['nextIndex', o.nextIndex], ['matchIndex', o.matchIndex]] as const) {
      for (const [peer, value] of Object.entries(values ?? {})) {
        const slot = this.tracker.slotOf(peer);
        if (slot === undefined) throw new RangeError(`${field} names ${peer}, which is not in servers`);
        this.tracker[field][slot] = value;
      }
    }
    for (const voter of o.votesGranted ?? []) this.tracker.votes.push(voter);
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
        if (this._role !== 'leader') this.campaign(); // FOL-2, CAN-4; DEC-9 on a leader
        break;
      case 'heartbeatTimeout':
        if (this._role === 'leader') this.broadcastAppendEntries(); // LEA-1 (DEC-5); DEC-9 otherwise
        break;
      case 'clientRequest':
        if (this._role === 'leader') this.appendClientCommand(input.command); // LEA-2; DEC-9 otherwise
        break;
      case 'RequestVote':
      case 'RequestVoteResponse':
      case 'AppendEntries':
      case 'AppendEntriesResponse':
        this.stepMessage(input);
        break;
      default:
        assertNever(input);
    }
    return this.end(ready);
  }

  /**
   * A client command, as the labs' `start(command)`: on a leader, appends it and sends it to every
   * follower; elsewhere it has no effect (DEC-9) and the proposal says so.
   */
  propose(command: unknown): Proposal {
    const ready = this.begin();
    const isLeader = this._role === 'leader';
    if (isLeader) this.appendClientCommand(command);
    this.end(ready);
    return { index: isLeader ? this.log.lastIndex : 0, term: this._currentTerm, isLeader, ready };
  }

  /** A crash and restart of this server (PER-1, DEC-7): keeps currentTerm, votedFor and the log. */
  restartInPlace(): void {
    this.becomeFollower();
    this._commitIndex = 0;
    this._lastApplied = 0;
  }

  protected begin(): Ready {
    this.termBefore = this._currentTerm;
    this.voteBefore = this._votedFor;
    return (this.ready = newReady());
  }

  protected end(ready: Ready): Ready {
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
    if (m.term > this._currentTerm) {
      this.adoptNewerTerm(m.term); // ALL-2
    } else if (m.term < this._currentTerm) {
      return this.stepStaleTerm(m); // RV-1, AE-1, DEC-1
    }
    switch (this._role) {
      case 'follower':
        return this.stepFollower(m);
      case 'candidate':
        return this.stepCandidate(m);
      case 'leader':
        return this.stepLeader(m);
      default:
        assertNever(this._role);
    }
  }

  protected stepFollower(m: Message): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // FOL-1, RV-2
      case 'AppendEntries':
        return this.handleAppendEntries(m); // FOL-1, AE-2 .. AE-5
      case 'RequestVoteResponse':
      case 'AppendEntriesResponse':
        return; // DEC-1: a response to a role we no longer have
      default:
        assertNever(m);
    }
  }

  protected stepCandidate(m: Message): void {
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
      case 'AppendEntriesResponse':
        return; // DEC-1
      default:
        assertNever(m);
    }
  }

  protected stepLeader(m: Message): void {
    switch (m.type) {
      case 'RequestVote':
        return this.handleRequestVote(m); // RV-2: we voted for ourselves, so this refuses
      case 'AppendEntriesResponse': {
        const slot = this.tracker.slotOf(m.from) as number; // checked in stepMessage
        if (m.success && m.matchIndex > this.log.lastIndex) return; // DEC-8: no AppendEntries of ours could have caused it
        return m.success ? this.handleAppendSuccess(m, slot) : this.handleAppendFailure(m, slot); // LEA-3a, LEA-3b
      }
      case 'AppendEntries':
        return; // DEC-8: a second leader of our term cannot exist
      case 'RequestVoteResponse':
        return; // DEC-1
      default:
        assertNever(m);
    }
  }

  /** ALL-2: adopt the newer term, forget the vote, follow. The seam the mutation tests override. */
  protected adoptNewerTerm(term: number): void {
    this._currentTerm = term;
    this._votedFor = null;
    this.becomeFollower();
  }

  /** A message of an older term: refuse a request (RV-1, AE-1), drop a response (DEC-1). The seam the mutation tests override. */
  protected stepStaleTerm(m: Message): void {
    if (m.type === 'RequestVote') this.replyVote(m, false); // RV-1
    else if (m.type === 'AppendEntries') this.replyAppend(m, false, 0); // AE-1
    // DEC-1: a stale response is dropped
  }

  // -------------------------------------------------------------------------------------------
  // Roles

  /** CAN-2: count a granted vote once per voter. The seam the mutation tests override. */
  protected countVote(voter: NodeId): void {
    this.tracker.recordVote(voter);
  }

  /** DEC-10: a follower keeps no votes and no per-peer progress. */
  protected becomeFollower(): void {
    this._role = 'follower';
    this.tracker.votes.length = 0;
    this.tracker.clearProgress();
  }

  /** CAN-1: a new term, a vote for ourselves, a RequestVote to every other server; CAN-2 at once if that is a majority. */
  protected campaign(): void {
    this._role = 'candidate';
    this._currentTerm += 1;
    this._votedFor = this.id;
    this.tracker.votes.length = 0;
    this.tracker.votes.push(this.id);
    this.tracker.clearProgress(); // DEC-10
    const lastLogIndex = this.log.lastIndex;
    const lastLogTerm = this.log.lastTerm;
    for (const slot of this.peerSlots) {
      this.send({
        type: 'RequestVote', from: this.id, to: this.servers[slot] as NodeId,
        term: this._currentTerm, candidateId: this.id, lastLogIndex, lastLogTerm,
      });
    }
    if (this.tracker.hasVoteMajority()) this.becomeLeader(); // a cluster of one
  }

  /** CAN-2, LEA-1: reset every peer's progress and announce the win with AppendEntries. */
  protected becomeLeader(): void {
    this._role = 'leader';
    this.tracker.resetProgress(this.log.lastIndex);
    this.quorumStale = true;
    this.broadcastAppendEntries();
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
  protected candidateIsUpToDate(m: RequestVote): boolean {
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
    if (!this.log.matchesAt(m.prevLogIndex, m.prevLogTerm)) return this.rejectInconsistent(m); // AE-2
    this.mergeEntries(m.prevLogIndex, m.entries);
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
    for (let k = 0; k < entries.length; k++) {
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
    this.send({
      type: 'AppendEntriesResponse', from: this.id, to: m.from,
      term: this._currentTerm, success, matchIndex, prevLogIndex: m.prevLogIndex,
    });
  }

  /** AE-2; with fastBacktracking, FB-1: say where our log stops agreeing (its term there and that term's first index). */
  protected rejectInconsistent(m: AppendEntries): void {
    if (!this.fastBacktracking) return this.replyAppend(m, false, 0);
    const holds = m.prevLogIndex <= this.log.lastIndex;
    const conflictTerm = holds ? this.log.termAt(m.prevLogIndex) : 0;
    const conflictIndex = holds ? this.log.firstIndexOfTerm(conflictTerm) : this.log.lastIndex + 1;
    this.send({
      type: 'AppendEntriesResponse', from: this.id, to: m.from,
      term: this._currentTerm, success: false, matchIndex: 0, prevLogIndex: m.prevLogIndex, conflictTerm, conflictIndex,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Leaders

  /** LEA-3 (DEC-5, DEC-6): the entries from the peer's nextIndex, at most maxEntries of them. */
  protected sendAppendEntries(slot: number): void {
    const nextIndex = this.tracker.nextIndexAt(slot, this.log.lastIndex + 1);
    const prevLogIndex = nextIndex - 1;
    this.send({
      type: 'AppendEntries', from: this.id, to: this.servers[slot] as NodeId,
      term: this._currentTerm, leaderId: this.id,
      prevLogIndex, prevLogTerm: this.log.termAt(prevLogIndex),
      entries: this.log.slice(nextIndex, this.maxEntries),
      leaderCommit: this._commitIndex,
    });
  }

  /** LEA-1, LEA-3: every follower its AppendEntries, in `servers` order. */
  protected broadcastAppendEntries(): void {
    for (const slot of this.peerSlots) this.sendAppendEntries(slot);
  }

  /** LEA-2, then LEA-4 (a cluster of one commits at once), ALL-1 and LEA-3 to every follower. */
  protected appendClientCommand(command: unknown): void {
    const entry: Entry = { term: this._currentTerm, command };
    const index = this.log.append(entry);
    this.ready.appended = { index, entries: [entry] };
    this.advanceCommitIndex();
    this.applyCommitted();
    this.broadcastAppendEntries();
  }

  /** LEA-3a with DEC-3 (nothing moves back), then LEA-4, ALL-1, and LEA-3 again if the peer is behind. */
  protected handleAppendSuccess(m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    const before = t.matchIndexAt(slot);
    const matchIndex = Math.max(before, m.matchIndex);
    const nextIndex = Math.max(t.nextIndexAt(slot, 1), m.matchIndex + 1);
    t.matchIndex[slot] = matchIndex;
    t.nextIndex[slot] = nextIndex;
    // The quorum can only move when a matchIndex passes commitIndex (see advanceCommitIndex).
    if (this.quorumStale || (matchIndex > before && matchIndex > this._commitIndex)) this.advanceCommitIndex();
    this.applyCommitted();
    if (this.log.lastIndex >= nextIndex) this.sendAppendEntries(slot);
  }

  /** LEA-3b with DEC-4: only a rejection of the current probe moves nextIndex back, and we retry. */
  protected handleAppendFailure(m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    if (m.prevLogIndex !== t.nextIndexAt(slot, 1) - 1) return; // DEC-4: a stale or duplicated rejection
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
  // All servers

  /** ALL-1: apply every committed entry not yet applied, in order, in this step. */
  protected applyCommitted(): void {
    if (this._commitIndex <= this._lastApplied) return;
    const applied = this.ready.applied;
    for (let i = this._lastApplied + 1; i <= this._commitIndex; i++) {
      applied.push({ index: i, term: this.log.termAt(i), command: this.log.commandAt(i) });
    }
    this._lastApplied = this._commitIndex;
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
  /** The index of the last log entry; 0 when the log is empty. */
  get lastIndex(): number {
    return this.log.lastIndex;
  }
  /** The term of the last log entry; 0 when the log is empty. */
  get lastTerm(): number {
    return this.log.lastTerm;
  }
  /** currentTerm and votedFor, as they should be on stable storage. */
  get hardState(): HardState {
    return { currentTerm: this._currentTerm, votedFor: this._votedFor };
  }
  /** The term of the entry at `index` (0 for index 0). Throws a RangeError past the last index. */
  termAt(index: number): number {
    return this.log.termAt(index);
  }
  /** The entry at `index` (1..lastIndex), as a new object. Throws a RangeError outside that range. */
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
  /** The servers that granted this candidate or leader its vote, itself included. A live view: copy it to keep it. */
  votesGranted(): readonly NodeId[] {
    return this.tracker.votes;
  }
  /** The lowest log index written or removed since the last call (Infinity if none); resets the mark. Lets a checker compare logs incrementally. */
  takeLogChangedFrom(): number {
    return this.log.takeChangedFrom();
  }
  /** What this server must have on stable storage (PER-1). O(log length). */
  persisted(): Persisted {
    return { hardState: this.hardState, log: this.log.toArray() };
  }

  /** A full snapshot in the spec's NodeState shape (O(log length): for reports and recording, not per step). */
  toJSON(): NodeState {
    const nextIndex: Record<NodeId, number> = {};
    const matchIndex: Record<NodeId, number> = {};
    this.servers.forEach((id, slot) => {
      const next = this.tracker.nextIndex[slot] as number;
      const match = this.tracker.matchIndex[slot] as number;
      if (next !== ABSENT) nextIndex[id] = next;
      if (match !== ABSENT) matchIndex[id] = match;
    });
    return {
      role: this._role,
      currentTerm: this._currentTerm,
      votedFor: this._votedFor,
      log: this.log.toArray(),
      commitIndex: this._commitIndex,
      lastApplied: this._lastApplied,
      nextIndex,
      matchIndex,
      votesGranted: [...this.tracker.votes],
    };
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled input ${JSON.stringify(x)}`);
}
