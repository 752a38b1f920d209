// A leader's view of its peers, per server slot (the server's position in `servers`): Figure 2's
// nextIndex[] and matchIndex[], and with flow control the appliedIndex FC-2 adds. As etcd's
// tracker package keeps a Progress per peer, but as three arrays by slot, so that a response costs
// two array writes and the quorum question (membership.ts) is a walk over a handful of voters.
// It lives in the leader record (roles.ts) and dies with it (DEC-10).

/** A slot with no nextIndex or matchIndex entry (DEC-15: not a peer of the configuration in force). */
export const ABSENT = -1;

export class Progress {
  /** slot -> nextIndex, or ABSENT. */
  readonly nextIndex: number[];
  /** slot -> matchIndex, or ABSENT. */
  readonly matchIndex: number[];
  /** FC-2: slot -> the highest lastApplied that peer reported, or ABSENT (always ABSENT without flow control). */
  readonly appliedIndex: number[];

  /** `slots`: how many servers are known; `flowControl`: whether appliedIndex is kept (the flowControlWindow option). */
  constructor(slots: number, private readonly flowControl: boolean) {
    this.nextIndex = new Array<number>(slots).fill(ABSENT);
    this.matchIndex = new Array<number>(slots).fill(ABSENT);
    this.appliedIndex = new Array<number>(slots).fill(ABSENT);
  }

  /** A server given the next slot: no progress yet. */
  addSlot(): void {
    this.nextIndex.push(ABSENT);
    this.matchIndex.push(ABSENT);
    this.appliedIndex.push(ABSENT);
  }

  /** The nextIndex of the server in `slot`, or `otherwise` when none is kept. */
  nextAt(slot: number, otherwise: number): number {
    const v = this.nextIndex[slot] as number;
    return v === ABSENT ? otherwise : v;
  }

  /** The matchIndex of the server in `slot`; 0 when none is kept. */
  matchAt(slot: number): number {
    const v = this.matchIndex[slot] as number;
    return v === ABSENT ? 0 : v;
  }

  /** FC-2: the lastApplied the server in `slot` last reported (the highest); 0 when none is kept. */
  appliedAt(slot: number): number {
    const v = this.appliedIndex[slot] as number;
    return v === ABSENT ? 0 : v;
  }

  /** DEC-15: a peer the leader starts replicating to: nextIndex as given, matchIndex 0 (appliedIndex 0 with flow control). */
  track(slot: number, nextIndex: number): void {
    this.nextIndex[slot] = nextIndex;
    this.matchIndex[slot] = 0;
    this.appliedIndex[slot] = this.flowControl ? 0 : ABSENT;
  }

  /** DEC-15: a server no longer a member: its progress is forgotten. */
  untrack(slot: number): void {
    this.nextIndex[slot] = ABSENT;
    this.matchIndex[slot] = ABSENT;
    this.appliedIndex[slot] = ABSENT;
  }
}
