// CheckQuorum (dissertation §6.2; docs/dissertation-options.md): CQ-1. A leader notes the peers
// that answer it; at each of its election timeouts it steps down unless they and it are a quorum.
import type { NodeId } from '../../spec/schema.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type Transition, configOf, leaderOf, peersOf } from '../state.js';
import { isQuorum } from '../config.js';
import { becomeFollower } from '../core/figure2.js';
import { cite, update } from '../core/transition.js';

/** CQ-1: note each peer that answered the leader in its term (once, in the order heard), whatever the answer said. */
function recordActivity(t: Transition, _env: Env, peer: NodeId): Transition {
  const l = leaderOf(t.state);
  if (l.recentlyActive.includes(peer)) return t;
  return cite(update(t, { leader: { ...l, recentlyActive: l.recentlyActive.concat(peer) } }), 'CQ-1');
}

/** CQ-1: the leader and the peers it heard from since the last check are a quorum of its configuration (CFG-2, CFG-5). */
export const hasActiveQuorum = (env: Env, s: NodeState): boolean => {
  const active = leaderOf(s).recentlyActive;
  return isQuorum(configOf(env, s), (id) => id === env.self || active.includes(id));
};

/**
 * CQ-1 at the leader's election timeout: a majority still follows us: stay leader and start the
 * next period; else no majority answered during a whole election timeout (§6.2: we may be
 * partitioned away, and a new leader may be serving clients): step down in the same term.
 */
function checkQuorum(t: Transition, env: Env): Transition {
  if (hasActiveQuorum(env, t.state)) return cite(update(t, { leader: { ...leaderOf(t.state), recentlyActive: [] } }), 'CQ-1');
  return becomeFollower(env.hooks.forgetLeader(cite(t, 'CQ-1')), env);
}

export const checkQuorumOption: Decorations = {
  responseReceived: recordActivity,
  leaderTimerFired: (t, env) => (t.state.role === 'leader' ? checkQuorum(t, env) : t),
  /** DEC-15: only peers of the configuration in force count. */
  configurationChanged: (t, env, _config, peersChanged) => {
    if (!peersChanged) return t;
    const peers = peersOf(env, t.state);
    const l = leaderOf(t.state);
    return update(t, { leader: { ...l, recentlyActive: l.recentlyActive.filter((id) => peers.includes(id)) } });
  },
};
