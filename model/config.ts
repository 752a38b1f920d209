// Configurations and their quorums (§6; docs/membership.md). A configuration is data from the
// spec (spec/schema.ts Configuration); these are the questions the rules ask of it.
import type { BootstrapConfiguration, Configuration, NodeId } from '../spec/schema.js';

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

/** The trace's bootstrap configuration (CFG-1): by default every server of the cluster a voter. */
export function bootstrapConfiguration(cluster: readonly NodeId[], b?: BootstrapConfiguration): Configuration {
  return normalized(b ?? { voters: [...cluster] });
}

const sortedUnique = (ids: readonly NodeId[]): NodeId[] => [...new Set(ids)].sort();

/** A configuration as a leader writes it: each list sorted, without duplicates; learners omitted when none. */
export function normalized(c: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] | undefined; readonly oldVoters?: readonly NodeId[] | undefined }): Configuration {
  const learners = sortedUnique(c.learners ?? []);
  return {
    voters: sortedUnique(c.voters),
    ...(learners.length > 0 ? { learners } : {}),
    ...(c.oldVoters !== undefined ? { oldVoters: sortedUnique(c.oldVoters) } : {}),
  };
}

/** CFG-7: how many servers are voters of one list and not of the other. */
export function votersChanged(a: readonly NodeId[], b: readonly NodeId[]): number {
  let n = 0;
  for (const id of a) if (!b.includes(id)) n++;
  for (const id of b) if (!a.includes(id)) n++;
  return n;
}

/** Two configurations are equal when their lists are (as written: sorted). */
export function sameConfiguration(a: Configuration | null | undefined, b: Configuration | null | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const same = (x: readonly NodeId[] | undefined, y: readonly NodeId[] | undefined) =>
    (x ?? []).length === (y ?? []).length && (x ?? []).every((id, i) => id === (y ?? [])[i]);
  return same(a.voters, b.voters) && same(a.learners, b.learners) && (a.oldVoters === undefined) === (b.oldVoters === undefined) && same(a.oldVoters, b.oldVoters);
}
