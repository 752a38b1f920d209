// A compact Raft server written from the paper (Figure 2 and §5): elections, log replication,
// commitment, crash and restart. No snapshots, no membership changes, no dissertation options.
//
// Where Figure 2 leaves a choice open, this server takes the alternative the reference model of
// this repository does NOT take (README.md, C1..C9): it exists to show that the checker accepts a
// correct implementation on the other side of every open choice.
//
// Each public handler is one event of a trace. It runs to completion and returns what the server
// sent and the client replies it gave (types.ts); the harness puts the messages on its network.

import type { AppendEntries, AppendEntriesResponse, Entry, Message, NodeId, NodeView, Output, Reply, RequestVote, RequestVoteResponse, Role } from './types.js';

/** A client command appended by this server as leader, to be answered when applied (LEA-2). */
interface PendingAnswer {
  index: number;
  term: number;
}

export class RaftNode {
  // Persistent state (Figure 2), on stable storage before the server answers (PER-1).
  currentTerm = 0;
  votedFor: NodeId | null = null;
  log: Entry[] = [];
  // C5 (DEC-7): commitIndex is kept across a crash, as if persisted with the log.
  commitIndex = 0;

  // Volatile state: lost by a crash.
  role: Role = 'follower';
  lastApplied = 0;
  leaderId: NodeId | null = null;
  votesGranted = new Set<NodeId>();
  /** The state machine: the commands applied, in log order. Opaque commands, so just a list. */
  applied: unknown[] = [];
  private pending: PendingAnswer[] = [];

  // Leader state, reinitialized after each election.
  nextIndex = new Map<NodeId, number>();
  matchIndex = new Map<NodeId, number>();
  /** C8: an AppendEntries sent to this peer has not been answered yet. */
  outstanding = new Map<NodeId, boolean>();

  readonly peers: readonly NodeId[];
  private out: Output = { sent: [], replies: [] };

  constructor(readonly id: NodeId, readonly cluster: readonly NodeId[]) {
    this.peers = cluster.filter((s) => s !== id);
  }

  // ---- events -------------------------------------------------------------------------------

  /** FOL-2, CAN-4: a follower or a candidate starts an election; nothing on a leader (DEC-9). */
  electionTimeout(): Output {
    return this.handle(() => {
      if (this.role === 'leader') return;
      this.currentTerm += 1; // CAN-1
      this.role = 'candidate';
      this.votedFor = this.id;
      this.votesGranted = new Set([this.id]);
      this.leaderId = null;
      this.clearLeaderState();
      for (const peer of this.peers) {
        const rv: RequestVote = {
          type: 'RequestVote', from: this.id, to: peer, term: this.currentTerm,
          candidateId: this.id, lastLogIndex: this.lastLogIndex(), lastLogTerm: this.termAt(this.lastLogIndex()),
        };
        this.send(rv);
      }
      this.becomeLeaderIfElected(); // a one-server cluster wins at once
    });
  }

  /** LEA-1: a leader sends every peer an AppendEntries, outstanding or not (C8); C3 decides what. */
  heartbeatTimeout(): Output {
    return this.handle(() => {
      if (this.role !== 'leader') return; // DEC-9
      for (const peer of this.peers) this.sendAppendEntries(peer);
    });
  }

  /** LEA-2: a leader appends the command; anyone else redirects to the leader it knows (CLI-1). */
  clientRequest(command: unknown): Output {
    return this.handle(() => {
      if (this.role !== 'leader') {
        this.reply({ type: 'redirect', node: this.id, client: null, seq: null, leader: this.leaderId });
        return;
      }
      this.log.push({ term: this.currentTerm, command });
      this.pending.push({ index: this.lastLogIndex(), term: this.currentTerm });
      // LEA-3, C8: only to the peers that have no request outstanding.
      for (const peer of this.peers) if (!this.outstanding.get(peer)) this.sendAppendEntries(peer);
      this.advanceCommitIndex(); // a one-server cluster commits at once
    });
  }

  /** C7 (ALL-1, lazy): apply every committed entry not yet applied, and answer their clients. */
  apply(): Output {
    return this.handle(() => {
      while (this.lastApplied < this.commitIndex) {
        this.lastApplied += 1;
        const index = this.lastApplied;
        this.applied.push(this.entryAt(index).command);
        // LEA-2: answer if the entry applied is still the one this server appended (same term).
        for (const p of this.pending) {
          if (p.index === index && p.term === this.termAt(index)) {
            this.reply({ type: 'result', node: this.id, client: null, seq: null, index, result: null, duplicate: false });
          }
        }
        this.pending = this.pending.filter((p) => p.index > index);
      }
    });
  }

  /** A message delivered by the network. */
  receive(m: Message): Output {
    return this.handle(() => {
      // ALL-2: a newer term makes this server a follower of that term, then it handles m.
      if (m.term > this.currentTerm) {
        this.currentTerm = m.term;
        this.votedFor = null;
        this.leaderId = null;
        this.becomeFollower();
      }
      switch (m.type) {
        case 'RequestVote': return this.onRequestVote(m);
        case 'RequestVoteResponse': return this.onRequestVoteResponse(m);
        case 'AppendEntries': return this.onAppendEntries(m);
        case 'AppendEntriesResponse': return this.onAppendEntriesResponse(m);
      }
    });
  }

  /** A crash: only the persistent state (and, C5, commitIndex) survives; the server comes back as
   * a follower that applies its log again from index 1. Pending client answers are lost. */
  crash(): void {
    this.becomeFollower();
    this.leaderId = null;
    this.lastApplied = 0;
    this.applied = [];
    this.pending = [];
  }

  /** The state a trace records, every field (DEC-10: role-local state empty outside its role). */
  view(): NodeView {
    const leader = this.role === 'leader';
    const map = (m: Map<NodeId, number>) => (leader ? Object.fromEntries(this.peers.map((p) => [p, m.get(p) ?? 0])) : {});
    return {
      role: this.role,
      currentTerm: this.currentTerm,
      votedFor: this.votedFor,
      log: this.log.map((e) => ({ term: e.term, command: e.command })),
      commitIndex: this.commitIndex,
      lastApplied: this.lastApplied,
      nextIndex: map(this.nextIndex),
      matchIndex: map(this.matchIndex),
      votesGranted: this.cluster.filter((s) => this.votesGranted.has(s)),
      leaderId: this.leaderId,
    };
  }

  // ---- RequestVote (§5.2, §5.4) -------------------------------------------------------------

  private onRequestVote(m: RequestVote): void {
    if (m.term < this.currentTerm) return; // C9: a stale request gets no reply at all
    const last = this.lastLogIndex();
    const lastTerm = this.termAt(last);
    // RV-2, §5.4.1: the candidate's last term is higher, or equal with a log at least as long.
    const upToDate = m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= last);
    const grant = (this.votedFor === null || this.votedFor === m.candidateId) && upToDate;
    if (grant) this.votedFor = m.candidateId;
    const rvr: RequestVoteResponse = { type: 'RequestVoteResponse', from: this.id, to: m.from, term: this.currentTerm, voteGranted: grant };
    this.send(rvr);
  }

  private onRequestVoteResponse(m: RequestVoteResponse): void {
    // DEC-1: a vote of an older term, or reaching a server no longer campaigning, is dropped.
    if (m.term < this.currentTerm || this.role !== 'candidate') return;
    if (m.voteGranted) this.votesGranted.add(m.from);
    this.becomeLeaderIfElected();
  }

  /** CAN-2: a majority (itself included) granted; LEA-1: announce to every peer at once. */
  private becomeLeaderIfElected(): void {
    if (this.role !== 'candidate' || !this.isMajority(this.votesGranted.size)) return;
    this.role = 'leader';
    this.leaderId = this.id;
    for (const peer of this.peers) {
      this.nextIndex.set(peer, this.lastLogIndex() + 1);
      this.matchIndex.set(peer, 0);
      this.outstanding.set(peer, false);
    }
    for (const peer of this.peers) this.sendAppendEntries(peer);
  }

  // ---- AppendEntries, receiver side (§5.3) ---------------------------------------------------

  private onAppendEntries(m: AppendEntries): void {
    if (m.term < this.currentTerm) return; // C9: a stale request gets no reply at all
    if (this.role === 'leader') return; // DEC-8: no other leader of this term can exist
    if (this.role === 'candidate') this.becomeFollower(); // CAN-3
    this.leaderId = m.leaderId;

    // AE-2: the log must hold an entry at prevLogIndex of term prevLogTerm.
    if (m.prevLogIndex > this.lastLogIndex() || this.termAt(m.prevLogIndex) !== m.prevLogTerm) {
      this.sendAppendEntriesResponse(m, false, 0);
      return;
    }
    // AE-3, AE-4: skip the entries already held; at the first real conflict delete that entry and
    // all that follow, then append the rest. Entries that all match truncate nothing.
    m.entries.forEach((entry, i) => {
      const index = m.prevLogIndex + 1 + i;
      if (index <= this.lastLogIndex() && this.termAt(index) === entry.term) return;
      if (index <= this.lastLogIndex()) this.log.length = index - 1;
      this.log.push({ term: entry.term, command: entry.command });
    });
    // AE-5: up to the last new entry (prevLogIndex + len(entries)); never back (DEC-2).
    const lastNew = m.prevLogIndex + m.entries.length;
    if (m.leaderCommit > this.commitIndex) {
      this.commitIndex = Math.max(this.commitIndex, Math.min(m.leaderCommit, lastNew));
    }
    this.sendAppendEntriesResponse(m, true, lastNew);
  }

  private sendAppendEntriesResponse(m: AppendEntries, success: boolean, matchIndex: number): void {
    const aer: AppendEntriesResponse = {
      type: 'AppendEntriesResponse', from: this.id, to: m.from, term: this.currentTerm,
      success, matchIndex, prevLogIndex: m.prevLogIndex,
    };
    this.send(aer);
  }

  // ---- AppendEntries, leader side ------------------------------------------------------------

  private onAppendEntriesResponse(m: AppendEntriesResponse): void {
    // DEC-1: a response of an older term, or reaching a server that no longer leads, is dropped.
    if (m.term < this.currentTerm || this.role !== 'leader') return;
    if (m.success && m.matchIndex > this.lastLogIndex()) return; // DEC-8: no request carried that
    const peer = m.from;
    this.outstanding.set(peer, false); // C8: any response of the term clears the flag
    if (m.success) {
      // C1 (raft.tla): nextIndex follows this response, even back; matchIndex only rises (LEA-3a).
      this.nextIndex.set(peer, m.matchIndex + 1);
      this.matchIndex.set(peer, Math.max(this.matchIndex.get(peer) ?? 0, m.matchIndex));
      this.advanceCommitIndex();
      if (this.lastLogIndex() >= this.next(peer)) this.sendAppendEntries(peer); // LEA-3
    } else {
      // C2 (raft.tla): every rejection of the term backs off by one, then the leader retries.
      this.nextIndex.set(peer, Math.max(this.next(peer) - 1, 1));
      this.sendAppendEntries(peer);
    }
  }

  /** C3, C6, C8: one AppendEntries to `peer`, built from nextIndex; marks it outstanding. */
  private sendAppendEntries(peer: NodeId): void {
    const prevLogIndex = this.next(peer) - 1;
    // C3: an empty probe until the match point is known (the follower holds our log through
    // nextIndex - 1: matchIndex at or past it, Log Matching), then everything from nextIndex.
    const known = (this.matchIndex.get(peer) ?? 0) >= prevLogIndex;
    const entries = known ? this.log.slice(prevLogIndex).map((e) => ({ term: e.term, command: e.command })) : [];
    const ae: AppendEntries = {
      type: 'AppendEntries', from: this.id, to: peer, term: this.currentTerm, leaderId: this.id,
      prevLogIndex, prevLogTerm: this.termAt(prevLogIndex), entries,
      leaderCommit: Math.min(this.commitIndex, prevLogIndex + entries.length), // C6
    };
    this.outstanding.set(peer, true);
    this.send(ae);
  }

  /** LEA-4: the highest index of the current term on a majority (the leader counts itself) is
   * committed. Committing applies nothing (C7). */
  private advanceCommitIndex(): void {
    for (let n = this.lastLogIndex(); n > this.commitIndex; n--) {
      if (this.termAt(n) !== this.currentTerm) return; // terms only decrease going back
      const replicas = 1 + this.peers.filter((p) => (this.matchIndex.get(p) ?? 0) >= n).length;
      if (this.isMajority(replicas)) {
        this.commitIndex = n;
        return;
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private handle(f: () => void): Output {
    this.out = { sent: [], replies: [] };
    f();
    return this.out;
  }

  private send(m: Message): void {
    this.out.sent.push(m);
  }

  private reply(r: Reply): void {
    this.out.replies.push(r);
  }

  /** Role-local state is cleared outside its role (DEC-10). The term and vote are the caller's. */
  private becomeFollower(): void {
    this.role = 'follower';
    this.votesGranted = new Set();
    this.clearLeaderState();
  }

  private clearLeaderState(): void {
    this.nextIndex.clear();
    this.matchIndex.clear();
    this.outstanding.clear();
  }

  private isMajority(count: number): boolean {
    return 2 * count > this.cluster.length;
  }

  private next(peer: NodeId): number {
    return this.nextIndex.get(peer) ?? this.lastLogIndex() + 1;
  }

  lastLogIndex(): number {
    return this.log.length;
  }

  /** The term of the entry at `index`, 0 for index 0. */
  termAt(index: number): number {
    return index === 0 ? 0 : this.entryAt(index).term;
  }

  private entryAt(index: number): Entry {
    const e = this.log[index - 1];
    if (e === undefined) throw new Error(`${this.id}: no entry at index ${index} (last ${this.lastLogIndex()})`);
    return e;
  }
}
