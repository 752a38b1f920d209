// Membership changes on a leader (§6, dissertation ch. 4; docs/membership.md), as etcd's
// confchange/: whether a change may start (CFG-7, CFG-2, LT-3), and what appending a
// configuration entry does to the leader's bookkeeping (DEC-15, LT-5). The configuration in force
// itself is membership.ts; the commit sequence that leaves a joint configuration (CFG-3) or a
// leadership the configuration removed (CFG-5) is in replication.ts, where commitIndex moves.
import type { Configuration, NodeId } from '../spec/schema.js';
import type { RaftState } from './core.js';
import { ABSENT } from './tracker.js';
import { normalizedConfig, votersChanged } from './membership.js';

/**
 * CFG-2 (joint) or CFG-7 (single) on a leader: the configuration to append, or null when the
 * change is refused (no effect): while a transfer is pending (LT-3), while a change is in progress
 * (CFG-7, CFG-2), and, for a single change, when its voters differ from those in force by more
 * than one server or before an entry of the current term is committed (CFG-7, the 2015 fix).
 * Throws a RangeError, before anything changes, for a configuration without a voter or with a
 * server that is both a voter and a learner.
 */
export function admitChange(r: RaftState, change: 'single' | 'joint', voters: readonly NodeId[], learners?: readonly NodeId[]): Configuration | null {
  const asked = normalizedConfig(voters, learners);
  if (r.role !== 'leader') return null; // DEC-9
  if (r.lead().transferee !== null) return null; // LT-3
  if (changePending(r)) return null; // CFG-7, CFG-2
  const inForce = r.members.config;
  if (change === 'single' && !singleChangeAllowed(r, inForce.voters, asked.voters)) return null; // CFG-7
  return change === 'joint' ? normalizedConfig(asked.voters, asked.learners, inForce.voters) : asked;
}

/** CFG-2, CFG-7: a change is in progress while the configuration in force is joint or its entry is not yet committed (DEC-24b: not yet applied, see pendingConfIndex). */
function changePending(r: RaftState): boolean {
  return r.members.joint || (r.opts.configOnApply ? pendingConfIndex(r) > r.lastApplied : r.log.lastConfigIndex() > r.commitIndex);
}

/**
 * DEC-24b, etcd's pendingConfIndex: the last entry to apply before a change may start: the last
 * configuration entry, or the last entry of an earlier term (a new leader's last index at its
 * election). Terms never decrease along the log: a binary search.
 */
export function pendingConfIndex(r: RaftState): number {
  return Math.max(r.log.lastConfigIndex(), r.log.lastAtMost(r.log.lastIndex, r.currentTerm - 1).index);
}

/**
 * CFG-7: a single change adds or removes at most one voter, and comes only once the leader has
 * committed an entry of its current term (the fix to the single-server bug, raft-dev 2015; under
 * DEC-24b the pending rule holds the change back instead).
 */
function singleChangeAllowed(r: RaftState, votersInForce: readonly NodeId[], votersAsked: readonly NodeId[]): boolean {
  return votersChanged(votersInForce, votersAsked) <= 1 && (r.opts.configOnApply || r.log.termAt(r.commitIndex) === r.currentTerm);
}

/**
 * A leader's configuration entry (CFG-2, CFG-3, CFG-7), in force at once (CFG-1); under DEC-24b
 * it takes effect when applied (replication.ts settleCommit).
 */
export function appendConf(r: RaftState, config: Configuration): void {
  r.appendOwn({ term: r.currentTerm, command: null, config });
  if (r.opts.configOnApply) return;
  const wasPeer = r.members.peerSlots;
  r.useConfig(config);
  trackPeers(r, wasPeer);
}

/**
 * DEC-15 once the configuration in force changed on a leader (`wasPeer`: the peers before): a new
 * peer gets nextIndex = the leader's last index (the new entry's, when appended) and matchIndex 0
 * (appliedIndex 0 with flow control); a server no longer a member loses its progress, its read
 * acknowledgements and its place in recentlyActive. A transfer to a server that is no longer a
 * voter is abandoned (LT-5: LT-1 hands leadership only to a voter; etcd aborts a transfer whose
 * target is removed or demoted). Returns the new peers' slots. O(servers).
 */
export function trackPeers(r: RaftState, wasPeer: readonly number[]): number[] {
  const lead = r.lead();
  const p = lead.progress;
  const added: number[] = [];
  for (const slot of r.members.peerSlots) {
    if (p.nextIndex[slot] !== ABSENT) continue;
    p.track(slot, Math.max(r.log.lastIndex, 1));
    added.push(slot);
  }
  for (const slot of wasPeer) {
    if (!r.members.hasMember(slot)) lead.forget(slot, r.serverAt(slot));
  }
  if (lead.transferee !== null && !r.members.hasVoter(r.slotOf(lead.transferee) as number)) lead.transferee = null; // LT-5
  return added;
}
