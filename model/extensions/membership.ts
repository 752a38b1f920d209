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
import { becomeFollower, commitAndBroadcast, commitAsLeader } from '../core/figure2.js';
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

/** CFG-2, CFG-7: a change is in progress while the configuration in force is joint or not yet committed. */
export const changeInProgress = (env: Env, s: NodeState): boolean => isJoint(configOf(env, s)) || configIndexOf(s) > s.commitIndex;

/** CFG-7: the leader has committed an entry of its current term (the 2015 fix). */
export const committedInTerm = (s: NodeState): boolean => s.log.termAt(s.commitIndex) === s.currentTerm;

export interface ReconfigureRequest {
  readonly change: 'single' | 'joint';
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[] | undefined;
}

/** Which rule refuses a reconfigure request on this leader, or null if none does (CFG-2, CFG-7). */
export function refusalOf(env: Env, s: NodeState, r: ReconfigureRequest): RuleId | null {
  const rule = r.change === 'single' ? 'CFG-7' : 'CFG-2';
  if (changeInProgress(env, s)) return rule;
  if (r.change === 'single' && (votersChanged(configOf(env, s).voters, r.voters) > 1 || !committedInTerm(s))) return 'CFG-7';
  return null;
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
 * (CFG-1). DEC-15: a new peer gets nextIndex = the entry's index and matchIndex 0; a server no
 * longer a member loses its progress; the modules follow (configurationAppended).
 */
function appendConfigEntry(t: Transition, env: Env, config: Configuration, rule: 'CFG-2' | 'CFG-3' | 'CFG-7'): Transition {
  const s = t.state;
  const l = leaderOf(s);
  const index = s.log.lastIndex + 1;
  let next = cite(update(t, { log: s.log.append([{ term: s.currentTerm, command: null, config }]) }), rule);
  const peers = peersOf(env, next.state);
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  let changed = peers.length !== Object.keys(l.nextIndex).length;
  for (const peer of peers) {
    const known = l.nextIndex[peer];
    changed ||= known === undefined;
    nextIndex[peer] = known ?? index;
    matchIndex[peer] = l.matchIndex[peer] ?? 0;
  }
  if (changed) next = cite(update(next, { leader: { ...l, nextIndex, matchIndex } }), 'DEC-15');
  return env.hooks.configurationAppended(next, env, config, changed);
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
 * a configuration it is not a voter of is committed).
 */
function afterCommit(t: Transition, env: Env): Transition {
  const s = t.state;
  if (s.role !== 'leader' || configIndexOf(s) > s.commitIndex) return t;
  const config = configOf(env, s);
  if (isJoint(config)) return commitAsLeader(appendConfigEntry(t, env, writtenConfiguration(config.voters, config.learners), 'CFG-3'), env);
  return isVoter(config, env.self) ? t : stepDownRemoved(t, env);
}

export const membership: Decorations = {
  logChanged: citeConfigChange,
  afterCommit,
};
