// The role-local state of Figure 2, as records that live exactly as long as the role: a
// candidate's votes (CandidateState), a leader's bookkeeping (LeaderState: per-peer progress,
// CheckQuorum's recently active peers, a leadership transfer, the ReadIndex rounds and the lease).
// A record is created when the server enters the role and dropped when it leaves it, so DEC-10
// ("a follower keeps no votes, no per-peer progress and none of a leader's bookkeeping") holds by
// construction instead of by a reset of each field.
import type { NodeId } from '../spec/schema.js';
import { Progress } from './tracker.js';

/** CAN-1 .. CAN-2, PV-1 .. PV-3: what a (pre)candidate keeps until it wins or steps down. */
export class CandidateState {
  /** votesGranted, in the order the votes arrived; each voter once (CAN-2). */
  readonly votes: NodeId[];

  constructor(votes: NodeId[]) {
    this.votes = votes;
  }

  /** CAN-2, PV-3: count a granted vote once per voter. */
  record(voter: NodeId): void {
    if (!this.votes.includes(voter)) this.votes.push(voter);
  }
}

/** CLI-4: a read waiting on a leader; readIndex is null until the leader has committed an entry of its term. */
export interface PendingRead {
  readonly client: string;
  readonly seq: number;
  /** null: a sync (FR-3), which reads no key and is answered with its read index. */
  readonly key: string | null;
  readIndex: number | null;
  /** The ReadIndex round that must be acknowledged by a majority before the read is answered (0: a lease read, LR-2). */
  round: number;
}

/** Everything a leader keeps and a follower does not (Figure 2's leader state, and the options'). */
export class LeaderState {
  /** LEA-3: nextIndex, matchIndex (and appliedIndex, FC-2) by slot. */
  readonly progress: Progress;
  /** The votes that elected it (CAN-2), still reported as votesGranted while it leads. */
  readonly electedBy: readonly NodeId[];
  /** Whether the commit index must be recomputed on the next success, whatever its matchIndex (see replication.ts maybeCommit). */
  quorumStale = true;

  /** CQ-1: the peers heard from since the last check, in the order heard; `activeSlots` marks them by slot. */
  readonly active: NodeId[] = [];
  private readonly activeSlots: boolean[];

  /** LT-1: the server leadership is being transferred to, or null. */
  transferee: NodeId | null = null;

  // CLI-4 (ReadIndex) and LR-1 .. LR-3 (leases).
  /** The latest ReadIndex round of this term; 0 until the first. */
  readRound = 0;
  /** slot -> the highest round that peer acknowledged (0: none). */
  readonly readAcks: number[];
  /**
   * The reads waiting, in arrival order from `readsHead` on. The reads with a read index come
   * first (a round gives one to every read that has none), and the ones that can be answered form
   * a prefix of those (rounds and read indexes never decrease along the queue), so both the start
   * of a round and serving cost what they change.
   */
  readonly pendingReads: PendingRead[] = [];
  readsHead = 0;
  /** The first pending read without a read index (pendingReads.length when every one has one). */
  readsUnstarted = 0;
  /** LR-2: how many lease reads (round 0) are queued; they can be answerable behind a read whose round is not confirmed. */
  leaseReadsQueued = 0;
  /** LR-3: readRound at the leader's last election timeout (0 at election): only a later round gives a lease. */
  leaseFloor = 0;
  /**
   * DEC-18b only (else null): slot -> whether an AppendEntries or InstallSnapshot was sent to that
   * peer since its last AppendEntriesResponse of this term.
   */
  readonly outstanding: boolean[] | null;

  /** `slots`: how many servers are known; `flowControl`: whether appliedIndex is kept; `oneOutstanding`: DEC-18b. */
  constructor(slots: number, flowControl: boolean, electedBy: readonly NodeId[], oneOutstanding = false) {
    this.progress = new Progress(slots, flowControl);
    this.electedBy = electedBy;
    this.activeSlots = new Array<boolean>(slots).fill(false);
    this.readAcks = new Array<number>(slots).fill(0);
    this.outstanding = oneOutstanding ? new Array<boolean>(slots).fill(false) : null;
  }

  /** A server given the next slot. */
  addSlot(): void {
    this.progress.addSlot();
    this.activeSlots.push(false);
    this.readAcks.push(0);
    this.outstanding?.push(false);
  }

  /** CQ-1: a response of our term from `id` (in `slot`) marks it active, once, in the order heard. */
  markActive(slot: number, id: NodeId): void {
    if (this.activeSlots[slot]) return;
    this.activeSlots[slot] = true;
    this.active.push(id);
  }

  /** CQ-1: whether the peer in `slot` was heard from since the last check. */
  wasActive(slot: number): boolean {
    return this.activeSlots[slot] === true;
  }

  /** CQ-1: forget the peers heard from. */
  clearActive(): void {
    if (this.active.length === 0) return;
    this.activeSlots.fill(false);
    this.active.length = 0;
  }

  /** DEC-15: a server that is no longer a member leaves recentlyActive and its read acknowledgements are forgotten. */
  forget(slot: number, id: NodeId): void {
    this.progress.untrack(slot);
    this.readAcks[slot] = 0;
    if (!this.activeSlots[slot]) return;
    this.activeSlots[slot] = false;
    this.active.splice(this.active.indexOf(id), 1);
  }
}
