// Mutation tests' variants of the implementation: each subclass of RaftNode puts ONE pitfall of
// section 6 of the reference (/work/shared/raft-reference.md), or of the rules of log compaction
// and client interaction (docs/compaction-and-clients.md), or of the dissertation's options
// (docs/dissertation-options.md), or of membership changes (docs/membership.md), back into the code, by overriding a
// protected method of impl/node.ts (the test-only seam; no production flag). Each is described by
// data: the pitfall, the rule it breaks, and the field a lockstep report is expected to name.
//
// A campaign that finds a mutant shrinks the failing trace itself (conformance/shrink.ts).
import fc from 'fast-check';
import type { AppendEntries, AppendEntriesResponse, Configuration, Entry, InstallSnapshot, KvState, Message, NodeId, Observation, PreVote, PreVoteResponse, ProtocolOptions, RequestVote, Trace } from '../spec/schema.js';
import { isKvCommand, parseSnapshotData } from '../spec/kv.js';
import { canonicalJson } from '../spec/canonical.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { KvMachine, RaftNode, type Execution, type Persisted, type RaftConfig } from '../impl/index.js';
import { normalizedConfig, votersChanged } from '../impl/membership.js';
import { lockstep, type ImplFactory, type LockstepResult } from '../conformance/lockstep.js';
import { describeResult } from '../conformance/report.js';
import { CLIENT_WEIGHTS, DEFAULT_CLIENTS, DEFAULT_WEIGHTS, scheduleArb, traceFromChoices, type Choice, type ClientOptions, type GenerateOptions, type MembershipOptions, type Weights } from '../conformance/generate.js';

// -----------------------------------------------------------------------------------------------
// The mutants

/** AE-3 read as "replace everything after prevLogIndex": truncates on a heartbeat or on a stale AppendEntries whose entries already match. */
export class TruncateAfterPrev extends RaftNode {
  protected override mergeEntries(prevLogIndex: number, entries: readonly Entry[]): void {
    if (this.log.lastIndex > prevLogIndex) {
      this.log.truncateAfter(prevLogIndex);
      this.ready.truncatedAfter = prevLogIndex;
    }
    if (entries.length === 0) return;
    for (const e of entries) this.log.append(e);
    this.ready.appended = { index: prevLogIndex + 1, entries: entries.slice() };
  }
}

/** AE-5 with the local last index instead of the last new entry. */
export class CommitToLocalLast extends RaftNode {
  protected override followLeaderCommit(m: AppendEntries, _lastNewEntry: number): void {
    if (m.leaderCommit > this._commitIndex) this._commitIndex = Math.min(m.leaderCommit, this.log.lastIndex);
  }
}

/** AE-5 as Figure 2 words it, without DEC-2's max: an old AppendEntries moves commitIndex back. */
export class CommitMovesBack extends RaftNode {
  protected override followLeaderCommit(m: AppendEntries, lastNewEntry: number): void {
    if (m.leaderCommit > this._commitIndex) this._commitIndex = Math.min(m.leaderCommit, lastNewEntry);
  }
}

/** LEA-4 without the term check: commits an entry of an earlier term by counting replicas (Figure 8). */
export class CommitEarlierTerm extends RaftNode {
  protected override advanceCommitIndex(): void {
    this.quorumStale = false;
    const n = this.tracker.quorumIndex(this.log.lastIndex);
    if (n > this._commitIndex) this._commitIndex = n;
  }
}

/** CAN-2 counting one voter twice (a duplicated RequestVoteResponse). */
export class CountVoterTwice extends RaftNode {
  protected override countVote(voter: NodeId): void {
    this.tracker.votes.push(voter);
  }
}

/** DEC-1 missing for votes: a candidate counts a granted vote of an older term. */
export class CountStaleVote extends RaftNode {
  protected override stepStaleTerm(m: Message): void {
    if (m.type === 'RequestVoteResponse' && this._role === 'candidate') return this.stepCandidate(m);
    super.stepStaleTerm(m);
  }
}

/** DEC-1 missing for AppendEntries responses: a leader updates nextIndex and matchIndex from a response of an older term. */
export class AcceptStaleAppendResponse extends RaftNode {
  protected override stepStaleTerm(m: Message): void {
    if (m.type === 'AppendEntriesResponse' && this._role === 'leader') return this.stepLeader(m);
    super.stepStaleTerm(m);
  }
}

/** LEA-3a with the leader's current last index instead of what the acknowledged request carried. */
export class MatchFromLeaderLastIndex extends RaftNode {
  protected override handleAppendSuccess(_m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    const before = t.matchIndexAt(slot);
    t.matchIndex[slot] = this.log.lastIndex;
    t.nextIndex[slot] = this.log.lastIndex + 1;
    if (this.quorumStale || (this.log.lastIndex > before && this.log.lastIndex > this._commitIndex)) this.advanceCommitIndex();
    this.applyCommitted();
  }
}

/** LEA-3a without DEC-3's max: a reordered older success moves matchIndex (and nextIndex) back. */
export class MatchIndexMovesBack extends RaftNode {
  protected override handleAppendSuccess(m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    t.matchIndex[slot] = m.matchIndex;
    t.nextIndex[slot] = m.matchIndex + 1;
    this.advanceCommitIndex();
    this.applyCommitted();
    if (this.log.lastIndex >= m.matchIndex + 1) this.sendAppendEntries(slot);
  }
}

/** LEA-3b without DEC-4's probe check: nextIndex decremented on every rejection, stale and duplicated ones too (so it falls below matchIndex + 1; clamped at 1 so that sendAppendEntries stays defined). */
export class DecrementOnEveryRejection extends RaftNode {
  protected override handleAppendFailure(_m: AppendEntriesResponse, slot: number): void {
    const t = this.tracker;
    t.nextIndex[slot] = Math.max(t.nextIndexAt(slot, 1) - 1, 1);
    this.sendAppendEntries(slot);
  }
}

/** §5.4.1 comparing only the index of the last entries. */
export class UpToDateByIndexOnly extends RaftNode {
  protected override candidateIsUpToDate(m: RequestVote): boolean {
    return m.lastLogIndex >= this.log.lastIndex;
  }
}

/** §5.4.1 comparing only the term of the last entries. */
export class UpToDateByTermOnly extends RaftNode {
  protected override candidateIsUpToDate(m: RequestVote): boolean {
    return m.lastLogTerm >= this.log.lastTerm;
  }
}

/** §5.4.1 requiring both the last term and the last index to be at least ours. */
export class UpToDateRequiresBoth extends RaftNode {
  protected override candidateIsUpToDate(m: RequestVote): boolean {
    return m.lastLogTerm >= this.log.lastTerm && m.lastLogIndex >= this.log.lastIndex;
  }
}

/** ALL-2 without clearing votedFor when the term increases. */
export class KeepVoteOnNewTerm extends RaftNode {
  protected override adoptNewerTerm(term: number): void {
    const vote = this._votedFor;
    super.adoptNewerTerm(term);
    this._votedFor = vote;
  }
}

/** PER-1: Ready.hardState reports a term change but not a vote within the term, so the vote is not persisted and a restart can vote twice. */
export class VoteNotPersisted extends RaftNode {
  protected override hardStateChanged(): boolean {
    return this._currentTerm !== this.termBefore;
  }
}

/** ALL-2 missing on responses: a candidate or leader handles a response of a newer term as one of its own term, and does not step down. */
export class NoStepDownOnResponse extends RaftNode {
  protected override stepMessage(m: Message): void {
    const response = m.type === 'RequestVoteResponse' || m.type === 'AppendEntriesResponse';
    if (response && m.term > this._currentTerm && this._role !== 'follower') {
      return this._role === 'leader' ? this.stepLeader(m) : this.stepCandidate(m);
    }
    super.stepMessage(m);
  }
}

// Log compaction and clients (issue 4, docs/compaction-and-clients.md)

/** DEC-11 checked against the snapshot's index instead of commitIndex: a snapshot of entries already committed (and applied) is installed, moving commitIndex and lastApplied back, so they are applied again. */
export class InstallBelowCommit extends RaftNode {
  protected override handleInstallSnapshot(m: InstallSnapshot): void {
    if (m.lastIncludedIndex > this.log.base && m.lastIncludedIndex <= this._commitIndex) {
      // The real check would stop here (DEC-11); this one only refuses snapshots not newer than its own.
      this._leaderId = m.leaderId;
      const held = this.partial;
      let p = held !== null && held.lastIncludedIndex === m.lastIncludedIndex && held.lastIncludedTerm === m.lastIncludedTerm ? held : null;
      if (p === null && m.offset === 0) p = this.partial = { lastIncludedIndex: m.lastIncludedIndex, lastIncludedTerm: m.lastIncludedTerm, data: '' };
      if (p === null || m.offset !== p.data.length) return this.replySnapshot(m, p === null ? 0 : p.data.length, false);
      p.data += m.data;
      if (!m.done) return this.replySnapshot(m, p.data.length, false);
      this.partial = null;
      const machine = parseSnapshotData(p.data);
      if (machine === null) return this.replySnapshot(m, 0, false);
      this.installSnapshot(m.lastIncludedIndex, m.lastIncludedTerm, machine);
      return this.replySnapshot(m, m.offset + m.data.length, true);
    }
    super.handleInstallSnapshot(m);
  }
}

/** SNAP-4 forgotten: a restart initialises commitIndex and lastApplied to 0, as Figure 2 says, instead of to the snapshot's index (the state machine is the snapshot's), so it would apply from index 1 again. */
export class RestartAppliesFromZero extends RaftNode {
  static override restart(config: RaftConfig, persisted: Persisted): RaftNode {
    const node = super.restart(config, persisted) as RestartAppliesFromZero;
    node._commitIndex = 0;
    node._lastApplied = 0;
    return node;
  }
}

/** IS-6 ignored: an installed snapshot always discards the whole log (IS-7), even the entries after a last included entry it holds. */
export class DiscardLogOnInstall extends RaftNode {
  protected override installSnapshot(index: number, term: number, machine: KvState): void {
    if (this.log.lastIndex > index) this.ready.truncatedAfter = index;
    this.log.discardThrough(index, term);
    this.saveSnapshot(index, term, machine);
    this.kv = KvMachine.from(machine);
    this._commitIndex = index;
    this._lastApplied = index;
    this.dropAwaitingThrough(index);
  }
}

/** CLI-2 without the client table's check: a retried command (same client and seq) committed twice is executed twice. */
export class ExecuteDuplicateAgain extends RaftNode {
  protected override execute(machine: KvMachine, command: unknown): Execution {
    const r = machine.execute(command);
    if (!r.duplicate || !isKvCommand(command)) return r;
    const { client: _client, seq: _seq, ...op } = command;
    return { result: machine.execute(op).result, duplicate: false };
  }
}

/** CLI-4 without the heartbeat round: a leader answers a read as soon as its read index is applied, without a majority confirming it is still leader. */
export class ReadWithoutRound extends RaftNode {
  protected override roundConfirmed(_round: number): boolean {
    return true;
  }
}

/** CLI-4 without waiting for an entry of the leader's term to commit: a new leader takes its commitIndex, possibly stale, as the read index at once. */
export class ReadBeforeTermCommit extends RaftNode {
  protected override startReadRound(): void {
    const reads = this.pendingReads;
    if (this.readsUnstarted >= reads.length) return;
    const round = ++this.readRound;
    for (let k = this.readsUnstarted; k < reads.length; k++) {
      const r = reads[k];
      if (r) {
        r.readIndex = this._commitIndex;
        r.round = round;
      }
    }
    this.readsUnstarted = reads.length;
    this.broadcastAppendEntries();
  }
}

/** CLI-1 with leaderId never learned from AppendEntries: a follower redirects clients to no leader (or, before a new term, a leader of the past). */
export class LeaderIdNotLearned extends RaftNode {
  protected override handleAppendEntries(m: AppendEntries): void {
    const known = this._leaderId;
    super.handleAppendEntries(m);
    this._leaderId = known;
  }
}

/** CLI-1 with leaderId kept across terms: a server that adopts a newer term keeps redirecting clients to the leader of an older one. */
export class LeaderIdKeptOnNewTerm extends RaftNode {
  protected override adoptNewerTerm(term: number): void {
    const known = this._leaderId;
    super.adoptNewerTerm(term);
    this._leaderId = known;
  }
}

/** SNAP-2 missing: to a follower whose nextIndex is compacted, the leader sends an AppendEntries from its snapshot's index instead of an InstallSnapshot. */
export class AppendEntriesFromSnapshot extends RaftNode {
  protected override sendAppendEntries(slot: number): void {
    const nextIndex = this.tracker.nextIndexAt(slot, this.log.lastIndex + 1);
    if (nextIndex > this.log.base) return super.sendAppendEntries(slot);
    const prevLogIndex = this.log.base;
    const m: AppendEntries = {
      type: 'AppendEntries', from: this.id, to: this.servers[slot] as NodeId,
      term: this._currentTerm, leaderId: this.id,
      prevLogIndex, prevLogTerm: this.log.baseTerm,
      entries: this.log.slice(prevLogIndex + 1, this.maxEntries),
      leaderCommit: this._commitIndex,
    };
    if (this.readRound > 0) m.readRound = this.readRound;
    this.send(m);
  }
}

/** SNAP-5 missing: a follower whose snapshot covers an AppendEntries' prevLogIndex rejects it (AE-2 cannot find the entry) instead of treating the compacted prefix as matching. */
export class RejectBelowSnapshot extends RaftNode {
  protected override handleAppendEntries(m: AppendEntries): void {
    if (m.prevLogIndex >= this.log.base) return super.handleAppendEntries(m);
    this._leaderId = m.leaderId;
    this.replyAppend(m, false, 0);
  }
}

// The dissertation's options (docs/dissertation-options.md)

/** PV-2 handled after ALL-2, like a RequestVote: a pre-vote of a newer term makes its receiver adopt that term (and refuse, since it is no longer newer), so a partitioned server's pre-votes disrupt the cluster after all. */
export class PreVoteChangesTerm extends RaftNode {
  protected override stepPreVote(m: PreVote | PreVoteResponse): void {
    if (this.preVote && m.type === 'PreVote' && m.term > this._currentTerm) this.adoptNewerTerm(m.term);
    super.stepPreVote(m);
  }
}

/** PV-2 without the heardFromLeader check: a follower that hears from a live leader still grants pre-votes, so a server that lost touch can win one and depose that leader. */
export class PreVoteDespiteLeader extends RaftNode {
  protected override stepPreVote(m: PreVote | PreVoteResponse): void {
    if (!this.preVote || m.type !== 'PreVote') return super.stepPreVote(m);
    const grant = this._role !== 'leader' && m.term > this._currentTerm && this.candidateIsUpToDate(m);
    this.send({ type: 'PreVoteResponse', from: this.id, to: m.from, term: grant ? m.term : this._currentTerm, voteGranted: grant });
  }
}

/** ALL-2 applied to a granted PreVoteResponse: its term is the one proposed (currentTerm + 1), so the precandidate adopts it and becomes a follower instead of counting the pre-vote (PV-3). */
export class PreVoteGrantAdoptsTerm extends RaftNode {
  protected override stepPreVote(m: PreVote | PreVoteResponse): void {
    if (this.preVote && m.type === 'PreVoteResponse' && m.voteGranted && m.term > this._currentTerm) return this.adoptNewerTerm(m.term);
    super.stepPreVote(m);
  }
}

/** CQ-1 that never steps down: a leader cut off from a majority stays leader (and keeps serving reads, CLI-4). */
export class CheckQuorumNeverStepsDown extends RaftNode {
  protected override checkQuorumNow(): void {
    this.clearActive();
  }
}

/** CQ-1 without emptying recentlyActive: a peer heard from once counts at every later check, so a leader that lost it never steps down. */
export class CheckQuorumKeepsActive extends RaftNode {
  protected override checkQuorumNow(): void {
    if (2 * (this.active.length + 1) > this.servers.length) return;
    super.checkQuorumNow();
  }
}

/** CFG-6 not applied: a server that hears from its leader (or the leader itself) adopts the term of any newer RequestVote, so a partitioned server's elections depose a live leader. */
export class GuardNotApplied extends RaftNode {
  protected override guardsAgainst(_m: RequestVote): boolean {
    return false;
  }
}

/** CFG-6 dropping transfer RequestVotes too: the RequestVotes of a transfer's election (LT-4) reach servers that heard from the old leader, and the old leader itself, and are ignored, so the transfer fails. */
export class GuardDropsTransfer extends RaftNode {
  protected override guardsAgainst(m: RequestVote): boolean {
    return this.disruptionGuard && m.term > this._currentTerm && (this._role === 'leader' || this._heardFromLeader);
  }
}

/** LT-3 missing: a leader transferring its leadership still appends client commands, so the transferee may never catch up (and the commands are lost with the leadership). */
export class AppendDuringTransfer extends RaftNode {
  protected override clientRequest(command: unknown): number {
    if (this._role === 'leader') return this.appendClientCommand(command);
    return super.clientRequest(command);
  }
}

/** LT-4 without `transfer: true` on the RequestVotes of the election a TimeoutNow starts, so the disruption guard (CFG-6) drops them. */
export class TimeoutNowUnmarked extends RaftNode {
  protected override campaign(_transfer = false): void {
    super.campaign(false);
  }
}

/** PIP-2 acting only on a rejection of the current probe (DEC-4 without pipelining): with nextIndex already past the entries in flight, the rejection of an earlier request is ignored and the follower is not repaired until a later one fails. */
export class PipelineOnlyCurrentProbe extends RaftNode {
  protected override answersOutstanding(m: AppendEntriesResponse, slot: number): boolean {
    return m.prevLogIndex === this.tracker.nextIndexAt(slot, 1) - 1;
  }
}

/** PIP-2 acting on stale rejections too (prevLogIndex <= matchIndex): a reordered rejection of a request already overtaken sends nextIndex back to matchIndex + 1 and the entries again. */
export class PipelineStaleRejection extends RaftNode {
  protected override answersOutstanding(m: AppendEntriesResponse, slot: number): boolean {
    return m.prevLogIndex < this.tracker.nextIndexAt(slot, 1);
  }
}

/** FC-3 ignoring the window: the leader sends a follower entries past its reported lastApplied + W, so a slow follower's unapplied log grows without bound. */
export class IgnoreWindow extends RaftNode {
  protected override windowedCount(_slot: number, _prevLogIndex: number): number {
    return this.maxEntries;
  }
}

/** FC-3 without termStart: a new leader whose log holds more than W unapplied entries of earlier terms never sends its own, so it never commits (Figure 8) and the cluster stops. */
export class WindowWithoutTermStart extends RaftNode {
  protected override termStart(): number {
    return 0;
  }
}

// Membership changes (docs/membership.md)

/** CFG-7 without the 2015 fix: a single change is accepted before the leader has committed an entry of its current term, so its configuration may be decided by a quorum that never saw the previous leader's uncommitted one. */
export class NoTermGuard extends RaftNode {
  protected override maySingleChange(votersInForce: readonly NodeId[], votersAsked: readonly NodeId[]): boolean {
    return votersChanged(votersInForce, votersAsked) <= 1;
  }
}

/** CFG-7, CFG-2 checking only whether the configuration in force is joint: a new change is accepted while the previous configuration entry (C_new among them) is still uncommitted. */
export class ChangeWhileUncommitted extends RaftNode {
  protected override changeInProgress(): boolean {
    return this.members.joint;
  }
}

/** CFG-2 with one half only: while joint, commitment (LEA-4) is counted with the voters of C_new alone, as if C_new were in force, so an entry commits without a majority of C_old. */
export class JointNewHalfOnly extends RaftNode {
  protected override advanceCommitIndex(): void {
    this.quorumStale = false;
    const held = this.members.config.voters.map((id) => (id === this.id ? this.log.lastIndex : this.tracker.matchIndexAt(this.tracker.slotOf(id) as number)));
    held.sort((a, b) => b - a);
    const n = held[held.length >> 1] ?? 0;
    if (n > this._commitIndex && this.log.termAt(n) === this._currentTerm) this._commitIndex = n;
  }
}

/** CFG-5 without the voter check: a leader that is not a voter of its configuration in force (it removed itself, or demoted itself to learner) counts its own log in the quorum of each half. */
export class SelfCountedWhenRemoved extends RaftNode {
  protected override advanceCommitIndex(): void {
    this.quorumStale = false;
    const c = this.members.config;
    let n = this.countingSelf(c.voters);
    if (c.oldVoters !== undefined) n = Math.min(n, this.countingSelf(c.oldVoters));
    if (n > this._commitIndex && this.log.termAt(n) === this._currentTerm) this._commitIndex = n;
  }

  /** The largest index more than half of `voters` hold, the leader counted among them whether it is one or not. */
  private countingSelf(voters: readonly NodeId[]): number {
    const held = voters.filter((id) => id !== this.id).map((id) => this.tracker.matchIndexAt(this.tracker.slotOf(id) as number));
    held.push(this.log.lastIndex);
    held.sort((a, b) => b - a);
    return held[voters.length >> 1] ?? 0;
  }
}

/** CFG-5 without the step-down: a leader removed from its configuration keeps leading once that configuration is committed (and keeps counting no vote of its own). */
export class RemovedLeaderStays extends RaftNode {
  protected override stepDownRemoved(): void {
    // The leader stays.
  }
}

/** CFG-3 late: C_new is not appended in the step C_old,new is committed (nor at election), but only at the leader's next heartbeat. */
export class NoCNew extends RaftNode {
  protected override commitAsLeader(recompute = true): void {
    if (recompute) this.advanceCommitIndex();
    this.applyCommitted();
    if (this._role !== 'leader' || this.log.lastConfigIndex() > this._commitIndex || this.members.joint) return; // CFG-3 left for later
    if (!this.members.selfVoter) this.stepDownRemoved(); // CFG-5
  }

  protected override heartbeat(): void {
    const c = this.members.config;
    if (c.oldVoters !== undefined && this.log.lastConfigIndex() <= this._commitIndex) {
      this.appendConfigEntry(normalizedConfig(c.voters, c.learners));
      this.commitAsLeader();
      if (this._role !== 'leader') return;
    }
    super.heartbeat();
  }
}

/** CFG-1 read as etcd applies configurations: the configuration in force is the last one committed, not the last one in the log (a leader's own append included). */
export class ConfigOnCommit extends RaftNode {
  protected override syncConfig(): void {
    const committed = this.log.configAtOrBelow(this._commitIndex) ?? this._snapshotConfig ?? this.bootstrap;
    if (committed !== this.members.config) this.useConfig(committed);
  }

  protected override appendConfigEntry(config: Configuration): void {
    super.appendConfigEntry(config);
    this.syncConfig();
  }
}

/** DEC-14 missing: a learner, or a server outside its configuration in force, starts elections (or pre-votes) at its election timeout like a voter. */
export class LearnerCampaigns extends RaftNode {
  protected override electionTimeout(): void {
    if (this._role === 'leader' || this.members.selfVoter) return super.electionTimeout();
    this._heardFromLeader = false;
    if (this.preVote) this.preCampaign();
    else this.campaign();
  }
}

/** CFG-4 missing from LEA-4: the acknowledgements of learners count toward the majority of the voters, so an entry commits on fewer voters than a majority. */
export class LearnerCounted extends RaftNode {
  protected override advanceCommitIndex(): void {
    this.quorumStale = false;
    const c = this.members.config;
    const counted = [...c.voters, ...(c.learners ?? []).filter((id) => id !== this.id)]; // the leader itself only as a voter (CFG-5)
    const held = counted.map((id) => (id === this.id ? this.log.lastIndex : this.tracker.matchIndexAt(this.tracker.slotOf(id) as number)));
    held.sort((a, b) => b - a);
    let n = held[c.voters.length >> 1] ?? 0;
    if (c.oldVoters !== undefined) n = Math.min(n, this.tracker.quorumIndex(this.log.lastIndex));
    if (n > this._commitIndex && this.log.termAt(n) === this._currentTerm) this._commitIndex = n;
  }
}

/** SNAP-1 without snapshotConfig: the snapshot records no configuration, so once the configuration entries are compacted the server (and any that installs the snapshot, or restarts from it) falls back to the bootstrap configuration. */
export class SnapshotForgetsConfig extends RaftNode {
  protected override takeSnapshot(index: number): void {
    if (!(index > this.log.base && index <= this._lastApplied)) return; // DEC-13
    const term = this.log.termAt(index);
    const machine = this.machineAt(index);
    this.log.compactThrough(index, term); // _snapshotConfig left as it was
    this.saveSnapshot(index, term, machine);
  }
}

// -----------------------------------------------------------------------------------------------
// Factories and descriptions

type NodeClass = new (config: RaftConfig, initial?: Observation) => RaftNode;

/** The ImplFactory of a RaftNode subclass: it is created, and restarts (RaftNode.restart builds `new this`), as the subclass. */
export function factoryOf(cls: NodeClass & { restart(config: RaftConfig, persisted: Persisted): RaftNode }): ImplFactory {
  return {
    create: (config, initial) => new cls(config, initial),
    restart: (config, persisted) => cls.restart(config, persisted),
  };
}

/** The campaign a mutant is hunted with (seed and budget are the test's). */
export interface CampaignShape {
  readonly servers: number;
  readonly options?: ProtocolOptions;
  /** Event weights when the defaults make the pitfall's situation too rare (see the mutant). */
  readonly weights?: Weights;
  /** Key-value clients, reads and snapshots (issue 4); the weights default to CLIENT_WEIGHTS then. */
  readonly clients?: ClientOptions;
  /** Membership changes from the generator's bootstrap configuration (issue 5). */
  readonly membership?: MembershipOptions;
}

export interface Mutant {
  readonly name: string;
  /** The pitfall, as section 6 of the reference words it (or, for the rules of issue 4 it does not list, in the same style). */
  readonly pitfall: string;
  /** The rule (or choice) the mutant breaks. */
  readonly rule: string;
  /** What a report should name: divergence fields (prefixes, e.g. 'matchIndex['), or invariant IDs for a 'fail'. */
  readonly fields: readonly string[];
  readonly shape: CampaignShape;
  readonly cls: NodeClass & { restart(config: RaftConfig, persisted: Persisted): RaftNode };
  readonly impl: ImplFactory;
}

const PITFALL = {
  truncate: 'Truncating the log on a heartbeat or on a stale, reordered AppendEntries whose entries already match (AE-3 read as "replace everything after prevLogIndex").',
  ae5: 'AE-5 with the local last index instead of the last new entry.',
  figure8: 'Committing an entry of an earlier term by counting replicas (Figure 8).',
  votes: 'Counting votes without checking the term of the response, or counting one voter twice.',
  stale: 'Accepting a stale AppendEntries or RequestVote response from an older term and updating nextIndex, matchIndex or votes from it.',
  matchFromLast: "Setting matchIndex from the leader's current last index instead of from what the acknowledged request carried.",
  upToDate: 'The up-to-date check comparing only index, only term, or requiring both to be larger.',
  votedFor: 'Not clearing votedFor when the term increases; voting twice in one term after a restart because votedFor was not persisted.',
  indexes: 'nextIndex falling below 1, or matchIndex moving backwards.',
  commitBack: 'commitIndex moving backwards on a follower when an old AppendEntries arrives.',
  stepDown: 'A candidate or leader not stepping down on a response with a higher term.',
  snapshotApply: 'Applying an entry twice, or out of order, after a snapshot is installed.',
  // Not in section 6 of the reference: the rules of docs/compaction-and-clients.md, worded likewise.
  keepTail: 'Discarding the whole log when a snapshot is installed, even the entries after a last included entry the log holds (IS-6).',
  exactlyOnce: 'Executing a retried client command again: applying a (client, seq) the client table already holds (CLI-2).',
  readIndex: 'Answering a read without a heartbeat round acknowledged by a majority, or before the leader has committed an entry of its term (CLI-4).',
  redirect: 'Redirecting a client to the wrong leader: leaderId not learned from AppendEntries, or kept from an older term (CLI-1).',
  compacted: 'Sending an AppendEntries with a compacted prevLogIndex instead of an InstallSnapshot (SNAP-2), or rejecting one whose prevLogIndex is compacted (SNAP-5).',
  // Not in section 6 either: the options of docs/dissertation-options.md, worded likewise.
  preVoteTerm: "A pre-vote that changes a term: the receiver adopting the PreVote's term (PV-2 handled after ALL-2), or the precandidate adopting the term of a granted PreVoteResponse (ALL-2 on a grant).",
  preVoteLeader: 'Granting a pre-vote while hearing from a live leader (PV-2 without heardFromLeader), so a server that lost touch deposes it anyway.',
  checkQuorum: 'A leader that never steps down when it has not heard from a majority since its last election timeout, or that never forgets the peers it heard from (CQ-1).',
  guard: 'The disruption guard not applied (a live leader deposed by a newer RequestVote), or applied to the RequestVotes of a leadership transfer too, so the transfer cannot succeed (CFG-6, LT-4).',
  transfer: 'Accepting client commands during a leadership transfer (LT-3), or a TimeoutNow election whose RequestVotes are not marked as a transfer (LT-4).',
  pipelining: 'With pipelining, acting only on the rejection of the latest request (PIP-2 read as DEC-4), or on stale rejections of requests already overtaken.',
  flowControl: "Flow control that ignores the window, or that holds back the leader's entries of its own term (FC-3 without termStart: the cluster stops).",
  // Not in section 6 either: the membership changes of docs/membership.md, worded likewise.
  termGuard: 'Accepting a single-server change before the leader has committed an entry of its term (the bug published on raft-dev in 2015, CFG-7): a deposed leader\'s uncommitted configuration and the new leader\'s can then have disjoint majorities.',
  changeInProgress: 'Accepting a new configuration change while the previous configuration entry is still uncommitted, or while the configuration is joint (CFG-7, CFG-2).',
  jointQuorum: 'While joint (C_old,new), counting commitment or votes with the voters of C_new only, instead of a majority of each half (CFG-2).',
  removedLeader: 'A leader that is not a voter of its configuration counting itself in quorums, or not stepping down once the configuration that removes it is committed (CFG-5).',
  leaveJoint: 'Not appending C_new in the step C_old,new is committed, so the cluster stays joint, or leaves it later than the rule says (CFG-3).',
  configInForce: 'A configuration taking effect only once committed (etcd\'s reading) instead of as soon as it is in the log, committed or not (CFG-1).',
  learner: 'A learner, or a server outside its configuration, starting elections (DEC-14), or its acknowledgement counting toward commitment (CFG-4).',
  snapshotConfig: 'A snapshot that records no configuration (SNAP-1), so that once its configuration entries are compacted, and after a restart or an install, the bootstrap configuration is in force again.',
} as const;

const mutant = (name: string, cls: Mutant['cls'], pitfall: string, rule: string, fields: readonly string[], shape: CampaignShape): Mutant =>
  ({ name, cls, pitfall, rule, fields, shape, impl: factoryOf(cls) });

const THREE: CampaignShape = { servers: 3 };
/** With 3 servers one granted vote is a majority, so a duplicated vote reaches a leader, which drops it. */
const FIVE: CampaignShape = { servers: 5 };
/**
 * More delayed copies and duplicates (and commands) than the default weights give. Stale responses
 * are delayed copies; and with DEC-4 a follower holds entries past the last new entry of a current
 * AppendEntries only after it rejected a probe and then received older copies of the leader's
 * AppendEntries, so AE-5's local-last-index reading shows only so (about one seed in two finds it
 * in 300 schedules with these weights, two of 16 with the default ones).
 */
const THREE_REORDERED: CampaignShape = {
  servers: 3,
  weights: { ...DEFAULT_WEIGHTS, inject: 100, duplicate: 60, crash: 30, restart: 60, clientRequest: 200 },
};
/**
 * The up-to-date check matters only between logs that diverged over several terms (a voter with a
 * longer log of an older term, a candidate with a shorter one of a newer term): more crashes,
 * partitions, timeouts and commands than the default weights give.
 */
const THREE_CHURN: CampaignShape = {
  servers: 3,
  weights: { ...DEFAULT_WEIGHTS, crash: 60, restart: 100, partition: 60, heal: 40, clientRequest: 250, electionTimeout: 80 },
};

/** Key-value clients with retries, ReadIndex reads and snapshots (CLIENT_WEIGHTS), each chunk of a snapshot 64 characters (the default). */
const THREE_CLIENTS: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS };
/**
 * IS-6 matters only when a follower holds the snapshot's last included entry and entries after it
 * without knowing they are committed. With one entry per AppendEntries (the default) a follower
 * gets entries past the leader's nextIndex for it only through reordering across terms, and no
 * seed of 1..9 finds the mutant in 300 schedules; with four, one AppendEntries carries entries
 * beyond the index the leader commits and compacts while the follower's acknowledgement is still in
 * flight, and the next heartbeat sends the snapshot (every seed of 1..11 finds it).
 */
const THREE_CLIENTS_BATCH: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS, options: { maxEntriesPerAppendEntries: 4 } };

/**
 * PreVote and CheckQuorum together in one campaign (each mutant of either is found in the first few
 * schedules with the default weights, so one shape, and one campaign of the real implementation, serves both).
 */
const THREE_PREVOTE_CHECKQUORUM: CampaignShape = { servers: 3, options: { preVote: true, checkQuorum: true } };
/**
 * Leadership transfer with the disruption guard: the guard is what makes a transfer's
 * `transfer: true` matter (without it an unmarked RequestVote is handled as a marked one), and a
 * transfer is what the guard must let through. transferLeadership events come at TRANSFER_WEIGHT.
 */
const THREE_TRANSFER_GUARD: CampaignShape = { servers: 3, options: { leadershipTransfer: true, disruptionGuard: true } };
/** Pipelining with batches of three, so that several requests, each with entries, are in flight at once (PIP-1). */
const THREE_PIPELINING: CampaignShape = { servers: 3, options: { pipelining: true, maxEntriesPerAppendEntries: 3 } };
/**
 * A window of one with batches of four and clients: the window cuts a batch as soon as a follower
 * has not yet applied what it holds, and clients (and their retries) fill the log with entries of
 * several terms, so that termStart lets a new leader's own entries past the window.
 */
const THREE_FLOW_CONTROL: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS, options: { flowControlWindow: 1, maxEntriesPerAppendEntries: 4 } };

/**
 * Membership changes from the generator's bootstrap configuration (voters s1, s2; s3 and s4 to add)
 * without the leader's no-op: a new leader has committed no entry of its term until a client
 * command of its term commits, so a change asked of it right after its election meets CFG-7's guard.
 */
const FOUR_MEMBERSHIP: CampaignShape = { servers: 4, membership: {} };
/**
 * Membership changes from voters s1, s2 (s3 and s4 to add) with the leader's no-op (CLI-3), so that
 * the term guard is soon satisfied and changes are accepted, committed and followed by others:
 * learners added and promoted, voters removed (the leader too), joint changes (CFG-2 .. CFG-5).
 * reconfigure events at 40 rather than 25: a joint change is one reconfigure in eight, and a
 * learner's acknowledgement matters only once one has been added and another voter lags; with 25
 * (or with five servers) JointNewHalfOnly and LearnerCounted take up to 165 schedules over seeds
 * 1..4, with 40 at most 125 (44 with seed 4).
 */
const FOUR_MEMBERSHIP_NOOP: CampaignShape = { servers: 4, options: { leaderNoop: true }, weights: { ...DEFAULT_WEIGHTS, reconfigure: 40 }, membership: {} };
/** Membership changes with key-value clients and snapshots (CLIENT_WEIGHTS), so that snapshots cover configuration entries (SNAP-1, IS-5). */
const FOUR_MEMBERSHIP_CLIENTS: CampaignShape = { servers: 4, clients: DEFAULT_CLIENTS, options: { leaderNoop: true }, membership: {} };

export const MUTANTS: readonly Mutant[] = [
  mutant('TruncateAfterPrev', TruncateAfterPrev, PITFALL.truncate, 'AE-3', ['log'], THREE),
  mutant('CommitToLocalLast', CommitToLocalLast, PITFALL.ae5, 'AE-5', ['entries applied', 'commitIndex'], THREE_REORDERED),
  mutant('CommitEarlierTerm', CommitEarlierTerm, PITFALL.figure8, 'LEA-4', ['entries applied', 'commitIndex', 'messages sent'], THREE),
  mutant('CountVoterTwice', CountVoterTwice, PITFALL.votes, 'CAN-2', ['votesGranted', 'messages sent', 'role'], FIVE),
  mutant('CountStaleVote', CountStaleVote, PITFALL.votes, 'DEC-1', ['votesGranted', 'messages sent', 'role'], THREE),
  mutant('AcceptStaleAppendResponse', AcceptStaleAppendResponse, PITFALL.stale, 'DEC-1', ['messages sent', 'matchIndex[', 'nextIndex[', 'entries applied', 'commitIndex'], THREE_REORDERED),
  mutant('MatchFromLeaderLastIndex', MatchFromLeaderLastIndex, PITFALL.matchFromLast, 'LEA-3a', ['messages sent', 'matchIndex[', 'nextIndex[', 'entries applied', 'commitIndex'], THREE),
  mutant('MatchIndexMovesBack', MatchIndexMovesBack, PITFALL.indexes, 'DEC-3', ['messages sent', 'matchIndex[', 'nextIndex['], THREE),
  mutant('DecrementOnEveryRejection', DecrementOnEveryRejection, PITFALL.indexes, 'DEC-4', ['messages sent', 'nextIndex['], THREE),
  mutant('UpToDateByIndexOnly', UpToDateByIndexOnly, PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE_CHURN),
  mutant('UpToDateByTermOnly', UpToDateByTermOnly, PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE),
  mutant('UpToDateRequiresBoth', UpToDateRequiresBoth, PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE_CHURN),
  mutant('KeepVoteOnNewTerm', KeepVoteOnNewTerm, PITFALL.votedFor, 'ALL-2', ['votedFor', 'messages sent'], THREE),
  mutant('VoteNotPersisted', VoteNotPersisted, PITFALL.votedFor, 'PER-1', ['persisted currentTerm/votedFor (PER-1)'], THREE),
  mutant('CommitMovesBack', CommitMovesBack, PITFALL.commitBack, 'DEC-2', ['commitIndex'], THREE),
  mutant('NoStepDownOnResponse', NoStepDownOnResponse, PITFALL.stepDown, 'ALL-2', ['role', 'currentTerm', 'messages sent'], THREE),
  // Log compaction and clients
  mutant('InstallBelowCommit', InstallBelowCommit, PITFALL.snapshotApply, 'DEC-11', ['snapshotIndex', 'messages sent', 'commitIndex', 'lastApplied'], THREE_CLIENTS),
  mutant('RestartAppliesFromZero', RestartAppliesFromZero, PITFALL.snapshotApply, 'SNAP-4', ['commitIndex', 'lastApplied'], THREE_CLIENTS),
  mutant('DiscardLogOnInstall', DiscardLogOnInstall, PITFALL.keepTail, 'IS-6', ['log length', 'log['], THREE_CLIENTS_BATCH),
  mutant('ExecuteDuplicateAgain', ExecuteDuplicateAgain, PITFALL.exactlyOnce, 'CLI-2', ['state machine result (KV-1, CLI-2)', 'machine (the key-value state machine, KV-1)', 'client replies'], THREE_CLIENTS),
  mutant('ReadWithoutRound', ReadWithoutRound, PITFALL.readIndex, 'CLI-4', ['client replies'], THREE_CLIENTS),
  mutant('ReadBeforeTermCommit', ReadBeforeTermCommit, PITFALL.readIndex, 'CLI-4', ['messages sent', 'client replies'], THREE_CLIENTS),
  mutant('LeaderIdNotLearned', LeaderIdNotLearned, PITFALL.redirect, 'CLI-1', ['leaderId (CLI-1)', 'client replies'], THREE_CLIENTS),
  mutant('LeaderIdKeptOnNewTerm', LeaderIdKeptOnNewTerm, PITFALL.redirect, 'CLI-1', ['leaderId (CLI-1)', 'client replies'], THREE_CLIENTS),
  mutant('AppendEntriesFromSnapshot', AppendEntriesFromSnapshot, PITFALL.compacted, 'SNAP-2', ['messages sent'], THREE_CLIENTS),
  mutant('RejectBelowSnapshot', RejectBelowSnapshot, PITFALL.compacted, 'SNAP-5', ['messages sent'], THREE_CLIENTS),
  // The dissertation's options
  mutant('PreVoteChangesTerm', PreVoteChangesTerm, PITFALL.preVoteTerm, 'PV-2', ['messages sent', 'currentTerm'], THREE_PREVOTE_CHECKQUORUM),
  mutant('PreVoteGrantAdoptsTerm', PreVoteGrantAdoptsTerm, PITFALL.preVoteTerm, 'ALL-2', ['messages sent', 'currentTerm', 'role', 'votesGranted'], THREE_PREVOTE_CHECKQUORUM),
  mutant('PreVoteDespiteLeader', PreVoteDespiteLeader, PITFALL.preVoteLeader, 'PV-2', ['messages sent'], THREE_PREVOTE_CHECKQUORUM),
  mutant('CheckQuorumNeverStepsDown', CheckQuorumNeverStepsDown, PITFALL.checkQuorum, 'CQ-1', ['role'], THREE_PREVOTE_CHECKQUORUM),
  mutant('CheckQuorumKeepsActive', CheckQuorumKeepsActive, PITFALL.checkQuorum, 'CQ-1', ['recentlyActive'], THREE_PREVOTE_CHECKQUORUM),
  mutant('GuardNotApplied', GuardNotApplied, PITFALL.guard, 'CFG-6', ['messages sent', 'currentTerm'], THREE_TRANSFER_GUARD),
  mutant('GuardDropsTransfer', GuardDropsTransfer, PITFALL.guard, 'CFG-6', ['messages sent', 'currentTerm'], THREE_TRANSFER_GUARD),
  mutant('AppendDuringTransfer', AppendDuringTransfer, PITFALL.transfer, 'LT-3', ['messages sent', 'log', 'client replies'], THREE_TRANSFER_GUARD),
  mutant('TimeoutNowUnmarked', TimeoutNowUnmarked, PITFALL.transfer, 'LT-4', ['messages sent'], THREE_TRANSFER_GUARD),
  mutant('PipelineOnlyCurrentProbe', PipelineOnlyCurrentProbe, PITFALL.pipelining, 'PIP-2', ['messages sent', 'nextIndex['], THREE_PIPELINING),
  mutant('PipelineStaleRejection', PipelineStaleRejection, PITFALL.pipelining, 'PIP-2', ['messages sent', 'nextIndex['], THREE_PIPELINING),
  mutant('IgnoreWindow', IgnoreWindow, PITFALL.flowControl, 'FC-3', ['messages sent'], THREE_FLOW_CONTROL),
  mutant('WindowWithoutTermStart', WindowWithoutTermStart, PITFALL.flowControl, 'FC-3', ['messages sent'], THREE_FLOW_CONTROL),
  // Membership changes
  mutant('NoTermGuard', NoTermGuard, PITFALL.termGuard, 'CFG-7', ['messages sent', 'log'], FOUR_MEMBERSHIP),
  mutant('ChangeWhileUncommitted', ChangeWhileUncommitted, PITFALL.changeInProgress, 'CFG-7', ['messages sent', 'log'], FOUR_MEMBERSHIP_NOOP),
  mutant('JointNewHalfOnly', JointNewHalfOnly, PITFALL.jointQuorum, 'CFG-2', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP),
  mutant('SelfCountedWhenRemoved', SelfCountedWhenRemoved, PITFALL.removedLeader, 'CFG-5', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP),
  mutant('RemovedLeaderStays', RemovedLeaderStays, PITFALL.removedLeader, 'CFG-5', ['role', 'messages sent'], FOUR_MEMBERSHIP_NOOP),
  mutant('NoCNew', NoCNew, PITFALL.leaveJoint, 'CFG-3', ['messages sent', 'log'], FOUR_MEMBERSHIP_NOOP),
  mutant('ConfigOnCommit', ConfigOnCommit, PITFALL.configInForce, 'CFG-1', ['messages sent', 'entries applied', 'commitIndex', 'role', 'votesGranted'], FOUR_MEMBERSHIP_NOOP),
  mutant('LearnerCampaigns', LearnerCampaigns, PITFALL.learner, 'DEC-14', ['messages sent', 'role', 'currentTerm'], FOUR_MEMBERSHIP_NOOP),
  mutant('LearnerCounted', LearnerCounted, PITFALL.learner, 'CFG-4', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP),
  mutant('SnapshotForgetsConfig', SnapshotForgetsConfig, PITFALL.snapshotConfig, 'SNAP-1', ['snapshotConfig', 'persisted snapshotConfig'], FOUR_MEMBERSHIP_CLIENTS),
];
