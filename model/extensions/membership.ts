// Membership changes (§6, dissertation ch. 4; docs/membership.md): configurations as log entries
// in force at once (CFG-1), joint consensus (CFG-2, CFG-3), single-server changes with the 2015
// guard (CFG-7), learners (CFG-4), the removed leader (CFG-5), only voters campaign (DEC-14),
// progress follows the configuration (DEC-15). "A quorum of the configuration in force" is in the core.
import type { Configuration, Message, NodeId } from '../../spec/schema.js';
import type { RuleId } from '../../spec/rules.js';
import { votersChanged, writtenConfiguration } from '../../spec/config.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type Transition, configIndexOf, configOf, leaderOf, peersOf } from '../state.js';
import { isJoint, isVoter, sameConfiguration } from '../config.js';
import { becomeFollower, commitAndBroadcast, commitAsLeader, sendAppendEntries } from '../core/figure2.js';
import { cite, update } from '../core/transition.js';

/** DEC-15: a response from a server that is not a peer of the leader's configuration in force (it was removed since the request). */
export const isFromNonPeer = (env: Env, s: NodeState, m: Message): boolean => !peersOf(env, s).includes(m.from);

/** DEC-15: such a response is dropped: the leader keeps progress for its peers only. */
export const ignoreNonPeer = (t: Transition): Transition => cite(t, 'DEC-15');

/** DEC-14: only a voter of its configuration in force campaigns (or pre-votes). */
export const canCampaign = (env: Env, s: NodeState): boolean => isVoter(configOf(env, s), env.self);

/** DEC-14: an election timeout on a learner (CFG-4: learners never campaign), a removed server or one not yet added starts nothing. */
export const stayOutOfElections = (t: Transition, env: Env): Transition =>
  (configOf(env, t.state).learners?.includes(env.self) ? cite(t, 'CFG-4', 'DEC-14') : cite(t, 'DEC-14'));

/**
 * CFG-2, CFG-7: a change is in progress while the configuration in force is joint or not yet
 * committed; DEC-24b: while joint or an entry the leader must apply first is not applied.
 */
export const changeInProgress = (env: Env, s: NodeState): boolean =>
  isJoint(configOf(env, s)) || (env.configOnApply ? pendingIndex(s) > s.lastApplied : configIndexOf(s) > s.commitIndex);

/**
 * DEC-24b (etcd's pendingConfIndex): the last entry a leader must apply before it starts a change:
 * its last configuration entry, or its last entry of an earlier term (its last index at election:
 * a new leader treats its whole log as pending).
 */
const pendingIndex = (s: NodeState): number => Math.max(s.log.lastConfigIndex, s.log.lastIndexBelowTerm(s.currentTerm));

/** CFG-7: the leader has committed an entry of its current term (the 2015 fix). */
export const committedInTerm = (s: NodeState): boolean => s.log.termAt(s.commitIndex) === s.currentTerm;

export interface ReconfigureRequest {
  readonly change: 'single' | 'joint';
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[] | undefined;
}

/** Which rule refuses a reconfigure request on this leader, or null if none does (CFG-2, CFG-7; DEC-24b). */
export function refusalOf(env: Env, s: NodeState, r: ReconfigureRequest): RuleId | null {
  const rule = r.change === 'single' ? 'CFG-7' : 'CFG-2';
  if (changeInProgress(env, s)) return env.configOnApply && !isJoint(configOf(env, s)) ? 'DEC-24b' : rule;
  if (r.change !== 'single') return null;
  if (votersChanged(configOf(env, s).voters, r.voters) > 1) return 'CFG-7';
  // The 2015 fix; under DEC-24b the pending rule (a new leader's whole log) stands in its place.
  return !env.configOnApply && !committedInTerm(s) ? 'CFG-7' : null;
}

/**
 * CFG-2 (joint: C_old,new, its oldVoters the voters in force) or CFG-7 (single): append the
 * configuration asked for, then the commit sequence and LEA-3 to every peer of the new
 * configuration. Refused (no effect) where refusalOf says.
 */
export function reconfigure(t: Transition, env: Env, r: ReconfigureRequest): Transition {
  const refused = refusalOf(env, t.state, r);
  if (refused !== null) return cite(t, refused);
  const config = writtenConfiguration(r.voters, r.learners, r.change === 'joint' ? configOf(env, t.state).voters : undefined);
  return commitAndBroadcast(appendConfigEntry(t, env, config, r.change === 'joint' ? 'CFG-2' : 'CFG-7'), env);
}

/**
 * A leader appends a configuration entry of its term (CFG-2, CFG-3, CFG-7), in force at once
 * (CFG-1, DEC-24; under DEC-24b it takes effect when applied: entriesApplied).
 */
function appendConfigEntry(t: Transition, env: Env, config: Configuration, rule: 'CFG-2' | 'CFG-3' | 'CFG-7'): Transition {
  const s = t.state;
  const next = cite(update(t, { log: s.log.append([{ term: s.currentTerm, command: null, config }]) }), rule);
  if (env.configOnApply) return next;
  // DEC-24 cited where alternatives are being decided (a profile, the validator's search).
  return followConfiguration(env.decide === undefined ? next : cite(next, 'DEC-24'), env, config);
}

/**
 * DEC-15: a leader's progress follows its configuration in force: a new peer gets nextIndex = the
 * leader's last index (the new entry's, DEC-24) and matchIndex 0; a server no longer a member
 * loses its progress; the modules follow (configurationChanged).
 */
function followConfiguration(t: Transition, env: Env, config: Configuration): Transition {
  const s = t.state;
  const l = leaderOf(s);
  const peers = peersOf(env, s);
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  let changed = peers.length !== Object.keys(l.nextIndex).length;
  for (const peer of peers) {
    const known = l.nextIndex[peer];
    changed ||= known === undefined;
    nextIndex[peer] = known ?? Math.max(s.log.lastIndex, 1);
    matchIndex[peer] = l.matchIndex[peer] ?? 0;
  }
  const next = changed ? cite(update(t, { leader: { ...l, nextIndex, matchIndex } }), 'DEC-15') : t;
  return env.hooks.configurationChanged(next, env, config, changed);
}

/** CFG-1: on a follower, cite the change when the log or snapshot just received changed the configuration in force (its contents, not which entry holds it). */
function citeConfigChange(t: Transition, env: Env, before: NodeState): Transition {
  return sameConfiguration(configOf(env, t.state), configOf(env, before)) ? t : cite(t, 'CFG-1');
}

/** CFG-5: the committed configuration in force does not count us: step down in the same term (DEC-10 drops the leader state). */
function stepDownRemoved(t: Transition, env: Env): Transition {
  return becomeFollower(env.hooks.forgetLeader(cite(t, 'CFG-5')), env);
}

/**
 * After LEA-4 and ALL-1 on a leader (docs/membership.md): CFG-3 (append C_new once the joint
 * configuration in force is committed, and run the commit sequence again) or CFG-5 (step down once
 * a configuration it is not a voter of is committed). DEC-24b: settleApplied instead.
 */
function afterCommit(t: Transition, env: Env): Transition {
  const s = t.state;
  if (s.role !== 'leader') return t;
  if (env.configOnApply) return settleApplied(t, env);
  if (configIndexOf(s) > s.commitIndex) return t;
  const config = configOf(env, s);
  if (isJoint(config)) return commitAsLeader(appendConfigEntry(t, env, writtenConfiguration(config.voters, config.learners), 'CFG-3'), env);
  return isVoter(config, env.self) ? t : stepDownRemoved(t, env);
}

/**
 * DEC-24b on a leader: CFG-5 (step down once a configuration it is not a voter of is applied),
 * else CFG-3 (leave a joint configuration in force once nothing is pending: etcd's auto-leave).
 */
function settleApplied(t: Transition, env: Env): Transition {
  const s = t.state;
  const config = configOf(env, s);
  if (!isVoter(config, env.self)) return stepDownRemoved(cite(t, 'DEC-24b'), env);
  if (!isJoint(config) || pendingIndex(s) > s.lastApplied) return t;
  return commitAndBroadcast(appendConfigEntry(cite(t, 'DEC-24b'), env, writtenConfiguration(config.voters, config.learners), 'CFG-3'), env);
}

/**
 * ALL-1 applied entries. DEC-24b: a configuration entry among them takes effect now (CFG-1). On a
 * leader its progress follows (DEC-15), the commit sequence runs again (the quorum changed), and
 * each new peer is sent an AppendEntries (LEA-3; etcd probes the peers it adds).
 */
function entriesApplied(t: Transition, env: Env, before: NodeState): Transition {
  if (!env.configOnApply) return t;
  const config = configOf(env, t.state);
  const changed = !sameConfiguration(config, configOf(env, before));
  if (t.state.role !== 'leader') return changed ? cite(t, 'CFG-1', 'DEC-24b') : t;
  if (!changed) return settleApplied(t, env);
  const peersBefore = peersOf(env, before);
  let next = commitAsLeader(followConfiguration(cite(t, 'CFG-1', 'DEC-24b'), env, config), env);
  if (next.state.role !== 'leader') return next;
  for (const peer of peersOf(env, next.state)) if (!peersBefore.includes(peer)) next = sendAppendEntries(cite(next, 'LEA-3'), env, peer);
  return next;
}

export const membership: Decorations = {
  logChanged: citeConfigChange,
  entriesApplied,
  afterCommit,
};
