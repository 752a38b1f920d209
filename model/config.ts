// Configurations and their quorums (§6; docs/membership.md). A configuration is data from the
// spec (spec/schema.ts Configuration); these are the questions the rules ask of it.
import type { Configuration, NodeId } from '../spec/schema.js';

/** CFG-2: joint (C_old,new) exactly when oldVoters is present. */
export const isJoint = (c: Configuration): boolean => c.oldVoters !== undefined;

/** A voter of C_new or, while joint, of C_old. */
export const isVoter = (c: Configuration, id: NodeId): boolean => c.voters.includes(id) || (c.oldVoters?.includes(id) ?? false);

/** Voters, old voters and learners (CFG-4). */
export const isMember = (c: Configuration, id: NodeId): boolean => isVoter(c, id) || (c.learners?.includes(id) ?? false);

const majorityOf = (voters: readonly NodeId[], counts: (id: NodeId) => boolean): boolean => {
  let n = 0;
  for (const id of voters) if (counts(id)) n++;
  return 2 * n > voters.length;
};

/** CFG-2: more than half of the voters count, and while joint more than half of the old voters too. */
export const isQuorum = (c: Configuration, counts: (id: NodeId) => boolean): boolean =>
  majorityOf(c.voters, counts) && (c.oldVoters === undefined || majorityOf(c.oldVoters, counts));

/**
 * LEA-4: the highest index a quorum holds, given each voter's highest index. Per half: the
 * (majority)-th highest of its voters' indexes; while joint, the lower of the two halves.
 */
export function quorumIndex(c: Configuration, held: (id: NodeId) => number): number {
  const half = (voters: readonly NodeId[]): number => {
    const sorted = voters.map(held).sort((a, b) => b - a);
    return sorted[Math.floor(voters.length / 2)] ?? 0;
  };
  const n = half(c.voters);
  return c.oldVoters === undefined ? n : Math.min(n, half(c.oldVoters));
}

/** Two configurations are equal when their lists are (as written: sorted). */
export function sameConfiguration(a: Configuration | null | undefined, b: Configuration | null | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const same = (x: readonly NodeId[] | undefined, y: readonly NodeId[] | undefined) =>
    (x ?? []).length === (y ?? []).length && (x ?? []).every((id, i) => id === (y ?? [])[i]);
  return same(a.voters, b.voters) && same(a.learners, b.learners) && (a.oldVoters === undefined) === (b.oldVoters === undefined) && same(a.oldVoters, b.oldVoters);
}
