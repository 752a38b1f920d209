// Lease reads (dissertation §6.4.1; docs/compaction-and-clients.md): LR-1 .. LR-3. A leader whose
// heartbeat round was acknowledged by a majority since its last election timeout answers reads at
// once, relying on bounded clock drift (the assumption conformance/lease.ts enforces on traces).
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type Transition, configOf, leaderOf } from '../state.js';
import { isQuorum } from '../config.js';
import { queueRead, readRoundConfirmed, type ReadRequest } from '../extensions/clients.js';
import { cite, update } from '../core/transition.js';

/** LR-2: some round sent since the leader's last election timeout is acknowledged by a majority (the leader counted). */
export function holdsLease(env: Env, s: NodeState): boolean {
  const l = leaderOf(s);
  // Not while handing leadership over: the transferee may be elected before the lease runs out (LT-4).
  if (l.transferee !== null) return false;
  if (isQuorum(configOf(env, s), (id) => id === env.self)) return true; // it alone is a quorum
  return l.readRound > l.leaseFloor && readRoundConfirmed(env, s, l.leaseFloor + 1);
}

/** LR-2: the leader holds a lease and has committed an entry of its term: a read can take commitIndex at once. */
export const canReadUnderLease = (env: Env, s: NodeState): boolean =>
  s.log.termAt(s.commitIndex) === s.currentTerm && holdsLease(env, s);

/** LR-2: the read takes commitIndex as its read index and needs no round (round 0). */
export function startLeaseRead(t: Transition, r: ReadRequest): Transition {
  return queueRead(cite(t, 'LR-2'), { client: r.client, seq: r.seq, key: r.key, readIndex: t.state.commitIndex, round: 0 });
}

export const leaseReads: Decorations = {
  /** LR-1: every heartbeat is a read round, so its acknowledgements renew the lease. */
  heartbeatStarts: (t) => {
    const l = leaderOf(t.state);
    return cite(update(t, { leader: { ...l, readRound: l.readRound + 1 } }), 'LR-1');
  },
  /** LR-3: at the leader's election timeout its lease ends: only rounds sent after now can give a new one. */
  leaderTimerFired: (t) => {
    const l = leaderOf(t.state);
    return cite(update(t, { leader: { ...l, leaseFloor: Math.max(l.leaseFloor, l.readRound) } }), 'LR-3');
  },
  /** LR-2: the target of a TimeoutNow may be elected at once, whatever the lease binds: no lease for the rest of this term. */
  handingOver: (t) => update(t, { leader: { ...leaderOf(t.state), leaseFloor: Infinity } }),
};
