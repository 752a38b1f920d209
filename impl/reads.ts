// Linearizable reads on a leader (§8, dissertation ch. 6; CLI-4 ReadIndex, LR-1 .. LR-3 leases),
// as etcd's read_only.go: a read waits in the leader's queue (roles.ts LeaderState) for a read
// index (commitIndex, once the leader has committed an entry of its term), for a round of
// heartbeats acknowledged by a quorum, and for lastApplied to reach the read index. A lease read
// skips the round. The queue dies with the leader record: a leader that steps down answers none.
// With followerReads (FR-1 .. FR-3), reads skip the queue on every role and are served from the
// applied state; the queue then holds only syncs, reads of no key.
import type { RaftState } from './core.js';
import type { LeaderState, PendingRead } from './roles.js';
import { bcastAppend } from './replication.js';

/**
 * CLI-4 on a leader: the read waits for the end of the step (settleReads); CLI-1 elsewhere. LR-2:
 * a leader that has committed an entry of its term and holds the lease gives it commitIndex at
 * once and no round (round 0 is always confirmed), so the end of the step answers it.
 */
export function acceptRead(r: RaftState, client: string, seq: number, key: string, after = 0): void {
  if (r.opts.followerReads) {
    // FR-1: any role serves the read from what it has applied, if that is not older than what the
    // client has seen (FR-4: `after`); FR-2: otherwise a redirect, and the client looks elsewhere.
    if (r.lastApplied >= after) r.ready.replies.push({ type: 'read', node: r.id, client, seq, key, index: r.lastApplied, result: r.kv.get(key) });
    else r.redirectClient(client, seq);
    return;
  }
  if (r.role !== 'leader') {
    // DEC-23b: a follower that knows the leader of its term hands the read to it, which answers.
    if (r.opts.forwardProposals && r.role === 'follower' && r.leaderId !== null && r.leaderId !== r.id) return r.send({ type: 'ForwardedRead', from: r.id, to: r.leaderId, term: r.currentTerm, client, seq, key });
    return r.redirectClient(client, seq);
  }
  queueRead(r, r.lead(), client, seq, key);
}

/**
 * FR-3: ZooKeeper's sync, with followerReads only (DEC-9 without). A leader queues it as a read of
 * no key (key null): CLI-4's round, or LR-2's read index at once under a lease; answered with its
 * read index. Any other role redirects (CLI-1): it cannot confirm that the index is current.
 */
export function acceptSync(r: RaftState, client: string, seq: number): void {
  if (!r.opts.followerReads) return;
  if (r.role !== 'leader') return r.redirectClient(client, seq);
  queueRead(r, r.lead(), client, seq, null);
}

/** Queues a read (or a sync, key null) on the leader: with a read index at once under LR-2's lease, else for the next round (CLI-4). */
function queueRead(r: RaftState, lead: LeaderState, client: string, seq: number, key: string | null): void {
  if (r.opts.leaseReads && r.log.termAt(r.commitIndex) === r.currentTerm && leaseHeld(r, lead)) {
    // Only reads with a read index can be queued here: a read without one waits only while no
    // entry of our term is committed, and then none is, so readsUnstarted is the queue's end.
    lead.pendingReads.push({ client, seq, key, readIndex: r.commitIndex, round: 0 });
    lead.readsUnstarted = lead.pendingReads.length;
    lead.leaseReadsQueued++;
    return;
  }
  lead.pendingReads.push({ client, seq, key, readIndex: null, round: 0 });
}

/**
 * LR-2: no leadership transfer is pending (the transferee could be elected at once, LT-4) and
 * some round r > leaseFloor is acknowledged by a quorum, the leader counted if a voter (a leader
 * that alone is a quorum of its configuration: always). Acknowledgements only grow, so
 * r = leaseFloor + 1 is the one to check.
 */
function leaseHeld(r: RaftState, lead: LeaderState): boolean {
  if (lead.transferee !== null) return false;
  return r.members.selfIsQuorum || (lead.readRound > lead.leaseFloor && roundAcked(r, lead, lead.leaseFloor + 1));
}

/** CLI-4: at the end of every step of a leader with reads pending, start a round for the new ones, then answer what can be. */
export function settleReads(r: RaftState, lead: LeaderState): void {
  beginReadRound(r, lead);
  releaseReads(r, lead);
}

/**
 * CLI-4, start rounds: once the leader has committed an entry of its term, every read without a
 * read index gets commitIndex, and one new round (at most one per step) goes to every follower
 * as the AppendEntries LEA-3 would send.
 */
function beginReadRound(r: RaftState, lead: LeaderState): void {
  const reads = lead.pendingReads;
  if (lead.readsUnstarted >= reads.length) return;
  if (r.log.termAt(r.commitIndex) !== r.currentTerm) return; // §8: no entry of our term committed yet
  const round = ++lead.readRound;
  for (let k = lead.readsUnstarted; k < reads.length; k++) {
    const read = reads[k] as PendingRead;
    read.readIndex = r.commitIndex;
    read.round = round;
  }
  lead.readsUnstarted = reads.length;
  bcastAppend(r);
}

/**
 * CLI-4, serve: answer, in arrival order, the reads whose round a majority acknowledged (the
 * leader counting itself) and whose read index is applied. Rounds and read indexes never
 * decrease along the queue, so the answerable reads are a prefix: stop at the first that is not.
 * LR-2's lease reads (round 0, always confirmed) are the exception: one queued behind a read
 * whose round is not confirmed yet is answered by a scan of the rest (releaseLeaseReads).
 */
function releaseReads(r: RaftState, lead: LeaderState): void {
  const reads = lead.pendingReads;
  let confirmed = 0; // the highest round known to be confirmed in this call
  while (lead.readsHead < lead.readsUnstarted) {
    const read = reads[lead.readsHead] as PendingRead;
    if (r.lastApplied < (read.readIndex as number)) break;
    if (read.round > confirmed) {
      if (!roundAcked(r, lead, read.round)) break;
      confirmed = read.round;
    }
    answerRead(r, lead, read);
    lead.readsHead++;
  }
  if (lead.leaseReadsQueued > 0 && lead.readsHead < lead.readsUnstarted) releaseLeaseReads(r, lead);
  if (lead.readsHead === reads.length) {
    reads.length = 0;
    lead.readsHead = lead.readsUnstarted = 0;
  } else if (lead.readsHead > 1024 && 2 * lead.readsHead > reads.length) {
    reads.splice(0, lead.readsHead);
    lead.readsUnstarted -= lead.readsHead;
    lead.readsHead = 0;
  }
}

/**
 * LR-2: the reads after the first one that cannot be answered, in arrival order: a lease read
 * (round 0) whose read index is applied is answered, and so is any other read that can be; the
 * rest keep their order. O(the reads waiting), only while a lease read waits behind a round.
 */
function releaseLeaseReads(r: RaftState, lead: LeaderState): void {
  const reads = lead.pendingReads;
  let kept = lead.readsHead + 1; // the head cannot be answered (releaseReads stopped there)
  for (let k = kept; k < lead.readsUnstarted; k++) {
    const read = reads[k] as PendingRead;
    if (r.lastApplied >= (read.readIndex as number) && roundAcked(r, lead, read.round)) answerRead(r, lead, read);
    else reads[kept++] = read;
  }
  const removed = lead.readsUnstarted - kept;
  if (removed === 0) return;
  reads.copyWithin(kept, lead.readsUnstarted);
  reads.length -= removed;
  lead.readsUnstarted = kept;
}

/** CLI-4: answer a read from the state machine as of lastApplied; FR-3: a sync with its read index. */
function answerRead(r: RaftState, lead: LeaderState, read: PendingRead): void {
  if (read.round === 0) lead.leaseReadsQueued--; // LR-2
  const index = read.readIndex as number;
  if (read.key === null) r.ready.replies.push({ type: 'sync', node: r.id, client: read.client, seq: read.seq, index });
  else r.ready.replies.push({ type: 'read', node: r.id, client: read.client, seq: read.seq, key: read.key, index, result: r.kv.get(read.key) });
}

/** CLI-4: the leader and the peers that acknowledged `round` or a later one are a quorum of the configuration in force (CFG-2; the leader counts only if a voter, CFG-5). */
function roundAcked(r: RaftState, lead: LeaderState, round: number): boolean {
  const acks = lead.readAcks;
  const self = r.selfSlot;
  return r.members.hasQuorum((slot) => slot === self || (acks[slot] as number) >= round);
}
