// The role-local state of Figure 2, kept per server slot (the server's position in `servers`):
// a leader's nextIndex and matchIndex (and, with flow control, appliedIndex: FC-2), a candidate's
// votesGranted. As etcd's tracker package, it also answers the quorum questions, against the
// configuration in force (membership.ts): the largest index a quorum holds, whether the votes are a
// quorum.
import type { NodeId } from '../spec/schema.js';
import type { Membership } from './membership.js';

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

  /**
   * `servers` is the node's own list (it grows when a configuration names a new server: addSlot);
   * `members` the configuration in force; `flowControl`: whether a leader keeps appliedIndex (the
   * flowControlWindow option).
   */
  constructor(readonly servers: readonly NodeId[], readonly selfSlot: number, readonly members: Membership, readonly flowControl = false) {
    servers.forEach((id, slot) => this.slots.set(id, slot));
    this.nextIndex = servers.map(() => ABSENT);
    this.matchIndex = servers.map(() => ABSENT);
    this.appliedIndex = servers.map(() => ABSENT);
  }

  /** A new server, already pushed onto `servers` at `slot`: no progress yet. */
  addSlot(id: NodeId, slot: number): void {
    this.slots.set(id, slot);
    this.nextIndex.push(ABSENT);
    this.matchIndex.push(ABSENT);
    this.appliedIndex.push(ABSENT);
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

  /**
   * Leader election (Figure 2, DEC-15): nextIndex = last log index + 1 and matchIndex = 0 for every
   * peer of the configuration in force, none for anyone else; with flow control, appliedIndex = 0
   * too (FC-2).
   */
  resetProgress(lastIndex: number): void {
    this.clearProgress();
    for (const slot of this.members.peerSlots) this.startProgress(slot, lastIndex + 1);
  }

  /** DEC-15: a peer the leader starts replicating to: nextIndex as given, matchIndex 0 (appliedIndex 0 with flow control). */
  startProgress(slot: number, nextIndex: number): void {
    this.nextIndex[slot] = nextIndex;
    this.matchIndex[slot] = 0;
    this.appliedIndex[slot] = this.flowControl ? 0 : ABSENT;
  }

  /** DEC-15: a server no longer a member: its progress is forgotten. */
  dropProgress(slot: number): void {
    this.nextIndex[slot] = ABSENT;
    this.matchIndex[slot] = ABSENT;
    this.appliedIndex[slot] = ABSENT;
  }

  /** CAN-2: count a granted vote once per voter. */
  recordVote(voter: NodeId): void {
    if (!this.votes.includes(voter)) this.votes.push(voter);
  }

  /**
   * CAN-2, PV-3: the votes are a quorum of the configuration in force (CFG-2: both halves while
   * joint); the candidate's own counts only if it is a voter there, and so does anyone's.
   */
  hasVoteMajority(): boolean {
    return this.members.isQuorumOf(this.votes, (id) => this.slots.get(id));
  }

  /**
   * LEA-4: the largest index that a quorum of the configuration in force holds (CFG-2: the lower
   * of the two halves while joint), the leader counting its own last index only if it is a voter
   * (CFG-5). O(voters^2) on a reused array, which for the handful of voters a cluster has beats
   * sorting (etcd does the same).
   */
  quorumIndex(leaderLastIndex: number): number {
    return this.members.quorumIndex((slot) => (slot === this.selfSlot ? leaderLastIndex : this.matchIndexAt(slot)));
  }
}
