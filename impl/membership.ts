// The configuration in force (§6, dissertation ch. 4; docs/membership.md), as per-slot flags: who
// votes in C_new (or the only configuration), who votes in C_old while joint, who is a member.
// Rebuilt only when the configuration in force changes (an append or a truncation of a
// configuration entry, a snapshot install, a restart): O(servers) then, so that every quorum
// question (votes, commitment, read rounds, leases, CheckQuorum) is a walk over a handful of voters.
import type { BootstrapConfiguration, Configuration, NodeId } from '../spec/schema.js';
import { bootstrapConfiguration, votersChanged, writtenConfiguration } from '../spec/config.js';

/**
 * A configuration as a leader writes it (spec/config.ts). Throws a RangeError for a configuration
 * no rule could use: no voter, or a server that is both a voter and a learner.
 */
export function normalizedConfig(voters: readonly NodeId[], learners?: readonly NodeId[], oldVoters?: readonly NodeId[]): Configuration {
  const c = writtenConfiguration(voters, learners, oldVoters);
  if (c.voters.length === 0) throw new RangeError('a configuration needs at least one voter');
  const both = (c.learners ?? []).filter((id) => c.voters.includes(id));
  if (both.length > 0) throw new RangeError(`${both.join(', ')} cannot be both a voter and a learner`);
  return c;
}

/** CFG-1: the bootstrap configuration (default: every server a voter, no learners), checked as normalizedConfig does. */
export function bootstrapConfig(servers: readonly NodeId[], b?: BootstrapConfiguration): Configuration {
  const c = bootstrapConfiguration(servers, b);
  return normalizedConfig(c.voters, c.learners);
}

export { votersChanged };

/** A copy of a configuration that shares no array with it. */
export function copyConfig(c: Configuration): Configuration {
  const out: Configuration = { voters: [...c.voters] };
  if (c.learners !== undefined) out.learners = [...c.learners];
  if (c.oldVoters !== undefined) out.oldVoters = [...c.oldVoters];
  return out;
}

/** The configuration in force at one server, by slot (a server's position in `servers`). */
export class Membership {
  /** The configuration in force (CFG-1): the object from the log, the snapshot or the bootstrap, shared. */
  config: Configuration;
  /** slot -> a voter of `voters` (C_new's while joint). */
  private inVoters: boolean[] = [];
  /** slot -> a voter of `oldVoters` (only while joint). */
  private inOldVoters: boolean[] = [];
  /** slot -> a member: a voter of either half or a learner. */
  private members: boolean[] = [];
  /** The slots of `voters`, and of `oldVoters` (empty unless joint). */
  private voterSlots: number[] = [];
  private oldVoterSlots: number[] = [];
  /** DEC-15: the members but this server, in `servers` order: where AppendEntries and InstallSnapshot go. */
  peerSlots: readonly number[] = [];
  /** DEC-14: the voters (of either half) but this server, in `servers` order: where RequestVote and PreVote go. */
  voterPeerSlots: readonly number[] = [];
  /** CFG-5, DEC-14: whether this server is a voter of the configuration in force. */
  selfVoter = false;
  /** LR-2: whether this server alone is a quorum. */
  selfIsQuorum = false;
  /** Reused by committedIndex. */
  private readonly scratch: number[] = [];

  constructor(private readonly selfSlot: number) {
    this.config = { voters: [] };
  }

  /**
   * Takes `config` as the configuration in force: O(servers). `slotOf` must know every server it
   * names (the node gives unknown ones a slot first); `n` is the number of slots.
   */
  set(config: Configuration, slotOf: (id: NodeId) => number, n: number): void {
    this.config = config;
    const inVoters = new Array<boolean>(n).fill(false);
    const inOld = new Array<boolean>(n).fill(false);
    const members = new Array<boolean>(n).fill(false);
    const voterSlots: number[] = [];
    const oldVoterSlots: number[] = [];
    for (const id of config.voters) {
      const slot = slotOf(id);
      if (inVoters[slot]) continue; // a list written by hand may repeat a server
      inVoters[slot] = members[slot] = true;
      voterSlots.push(slot);
    }
    for (const id of config.oldVoters ?? []) {
      const slot = slotOf(id);
      if (inOld[slot]) continue;
      inOld[slot] = members[slot] = true;
      oldVoterSlots.push(slot);
    }
    for (const id of config.learners ?? []) members[slotOf(id)] = true;
    const peers: number[] = [];
    const voterPeers: number[] = [];
    for (let slot = 0; slot < n; slot++) {
      if (slot === this.selfSlot) continue;
      if (members[slot]) peers.push(slot);
      if (inVoters[slot] || inOld[slot]) voterPeers.push(slot);
    }
    this.inVoters = inVoters;
    this.inOldVoters = inOld;
    this.members = members;
    this.voterSlots = voterSlots;
    this.oldVoterSlots = oldVoterSlots;
    this.peerSlots = peers;
    this.voterPeerSlots = voterPeers;
    this.selfVoter = this.hasVoter(this.selfSlot);
    this.selfIsQuorum = this.hasQuorum((slot) => slot === this.selfSlot);
  }

  /** CFG-2: joint (C_old,new). */
  get joint(): boolean {
    return this.config.oldVoters !== undefined;
  }

  /** A voter of C_new or, while joint, of C_old. */
  hasVoter(slot: number): boolean {
    return this.inVoters[slot] === true || this.inOldVoters[slot] === true;
  }

  /** A voter or a learner (CFG-4). */
  hasMember(slot: number): boolean {
    return this.members[slot] === true;
  }

  /** CFG-2: more than half of the voters count, and while joint more than half of the old voters too. */
  hasQuorum(counts: (slot: number) => boolean): boolean {
    return majority(this.voterSlots, counts) && (this.oldVoterSlots.length === 0 || majority(this.oldVoterSlots, counts));
  }

  /**
   * CAN-2, PV-3: whether these servers (a candidate's votesGranted) are a quorum. Each listed
   * server counts once per listing: only a bug lists one twice, and this counts what it is given.
   */
  hasQuorumAmong(ids: readonly NodeId[], slotOf: (id: NodeId) => number | undefined): boolean {
    let inNew = 0;
    let inOld = 0;
    for (const id of ids) {
      const slot = slotOf(id);
      if (slot === undefined) continue;
      if (this.inVoters[slot]) inNew++;
      if (this.inOldVoters[slot]) inOld++;
    }
    return 2 * inNew > this.voterSlots.length && (this.oldVoterSlots.length === 0 || 2 * inOld > this.oldVoterSlots.length);
  }

  /**
   * LEA-4: the largest index a quorum holds, given what each voter holds: per half, the
   * (majority)-th largest of its voters' indexes; while joint, the lower of the two. An insertion
   * sort on a reused array: a configuration has a handful of voters.
   */
  committedIndex(held: (slot: number) => number): number {
    const n = this.halfIndex(this.voterSlots, held);
    return this.oldVoterSlots.length === 0 ? n : Math.min(n, this.halfIndex(this.oldVoterSlots, held));
  }

  private halfIndex(slots: readonly number[], held: (slot: number) => number): number {
    const sorted = this.scratch;
    for (let k = 0; k < slots.length; k++) {
      const v = held(slots[k] as number);
      let j = k;
      while (j > 0 && (sorted[j - 1] as number) < v) { // descending
        sorted[j] = sorted[j - 1] as number;
        j--;
      }
      sorted[j] = v;
    }
    return (sorted[slots.length >> 1] as number | undefined) ?? 0;
  }
}

function majority(slots: readonly number[], counts: (slot: number) => boolean): boolean {
  let n = 0;
  for (const slot of slots) if (counts(slot)) n++;
  return 2 * n > slots.length;
}
