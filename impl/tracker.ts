// The role-local state of Figure 2, kept per server slot (the server's position in `servers`):
// a leader's nextIndex and matchIndex (and, with flow control, appliedIndex: FC-2), a candidate's
// votesGranted. As etcd's tracker package, it
// also answers the quorum question: the largest index that a majority holds.
import type { NodeId } from '../spec/schema.js';

/** A slot with no nextIndex or matchIndex entry (DEC-10: followers and candidates keep none). */
export const ABSENT = -1;

export class Tracker {
  /** slot -> nextIndex, or ABSENT. */
  readonly nextIndex: number[];
  /** slot -> matchIndex, or ABSENT. */
  readonly matchIndex: number[];
  /** FC-2: slot -> the highest lastApplied that peer reported, or ABSENT (always ABSENT without flow control). */
  readonly appliedIndex: number[];
  /** votesGranted, in the order the votes arrived; each voter once (CAN-2). */
  readonly votes: NodeId[] = [];
  private readonly slots = new Map<NodeId, number>();
  /** Reused by quorumIndex: one number per server. */
  private readonly held: number[];

  /** `flowControl`: whether a leader keeps appliedIndex (the flowControlWindow option). */
  constructor(readonly servers: readonly NodeId[], readonly selfSlot: number, readonly flowControl = false) {
    servers.forEach((id, slot) => this.slots.set(id, slot));
    this.nextIndex = servers.map(() => ABSENT);
    this.matchIndex = servers.map(() => ABSENT);
    this.appliedIndex = servers.map(() => ABSENT);
    this.held = servers.map(() => 0);
  }

  /** The slot of a server, or undefined if it is not in the cluster. */
  slotOf(id: NodeId): number | undefined {
    return this.slots.get(id);
  }

  /** The nextIndex of the server in `slot`, or `otherwise` when none is kept. */
  nextIndexAt(slot: number, otherwise: number): number {
    const v = this.nextIndex[slot] as number;
    return v === ABSENT ? otherwise : v;
  }

  /** The matchIndex of the server in `slot`; 0 when none is kept. */
  matchIndexAt(slot: number): number {
    const v = this.matchIndex[slot] as number;
    return v === ABSENT ? 0 : v;
  }

  /** FC-2: the lastApplied the server in `slot` last reported (the highest); 0 when none is kept. */
  appliedIndexAt(slot: number): number {
    const v = this.appliedIndex[slot] as number;
    return v === ABSENT ? 0 : v;
  }

  /** DEC-10: forget every peer's progress. */
  clearProgress(): void {
    this.nextIndex.fill(ABSENT);
    this.matchIndex.fill(ABSENT);
    this.appliedIndex.fill(ABSENT);
  }

  /** Leader election (Figure 2): nextIndex = last log index + 1 and matchIndex = 0 for every peer; with flow control, appliedIndex = 0 too (FC-2). */
  resetProgress(lastIndex: number): void {
    const applied = this.flowControl ? 0 : ABSENT;
    for (let slot = 0; slot < this.servers.length; slot++) {
      const peer = slot !== this.selfSlot;
      this.nextIndex[slot] = peer ? lastIndex + 1 : ABSENT;
      this.matchIndex[slot] = peer ? 0 : ABSENT;
      this.appliedIndex[slot] = peer ? applied : ABSENT;
    }
  }

  /** CAN-2: count a granted vote once per voter. */
  recordVote(voter: NodeId): void {
    if (!this.votes.includes(voter)) this.votes.push(voter);
  }

  /** CAN-2: votes from a majority of the servers, the candidate's own included. */
  hasVoteMajority(): boolean {
    return 2 * this.votes.length > this.servers.length;
  }

  /**
   * LEA-4: the largest index that a majority of the servers hold, the leader counting its own last
   * index: the (n/2+1)-th largest of the match indexes. O(n^2) on a reused array, which for the
   * handful of servers a cluster has beats sorting (etcd does the same).
   */
  quorumIndex(leaderLastIndex: number): number {
    const held = this.held;
    const n = held.length;
    for (let slot = 0; slot < n; slot++) {
      const v = slot === this.selfSlot ? leaderLastIndex : this.matchIndexAt(slot);
      // Insertion sort, descending.
      let j = slot;
      while (j > 0 && (held[j - 1] as number) < v) {
        held[j] = held[j - 1] as number;
        j--;
      }
      held[j] = v;
    }
    return held[n >> 1] as number;
  }
}
