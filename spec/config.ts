// How configurations are written (docs/membership.md). Normative, so shared: the model and the
// implementation each keep their configurations their own way, but the configuration entries they
// append must be the same bytes, and they must count a single-server change the same way (CFG-7).
import type { BootstrapConfiguration, Configuration, NodeId } from './schema.js';

const sortedUnique = (ids: readonly NodeId[]): NodeId[] => [...new Set(ids)].sort();

/**
 * A configuration as a leader writes it: each list sorted (UTF-16 code units, the default sort),
 * without duplicates; learners omitted when none; oldVoters only while joint (CFG-2).
 */
export function writtenConfiguration(voters: readonly NodeId[], learners?: readonly NodeId[], oldVoters?: readonly NodeId[]): Configuration {
  const l = sortedUnique(learners ?? []);
  return {
    voters: sortedUnique(voters),
    ...(l.length > 0 ? { learners: l } : {}),
    ...(oldVoters !== undefined ? { oldVoters: sortedUnique(oldVoters) } : {}),
  };
}

/** CFG-1: the bootstrap configuration, written as a leader would: by default every server of the cluster a voter. */
export function bootstrapConfiguration(cluster: readonly NodeId[], b?: BootstrapConfiguration): Configuration {
  return b ? writtenConfiguration(b.voters, b.learners) : writtenConfiguration(cluster);
}

/** CFG-7: how many servers are voters of one list and not of the other. */
export function votersChanged(a: readonly NodeId[], b: readonly NodeId[]): number {
  let n = 0;
  for (const id of a) if (!b.includes(id)) n++;
  for (const id of b) if (!a.includes(id)) n++;
  return n;
}
