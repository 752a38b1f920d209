// Leadership transfer (dissertation §3.10; docs/dissertation-options.md): LT-1 .. LT-5. The leader
// brings the target's log up to date, then tells it to time out at once (TimeoutNow); while the
// transfer is pending it takes no command and no configuration change.
import type { NodeId } from '../../spec/schema.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type Transition, configOf, leaderOf } from '../state.js';
import { isVoter } from '../config.js';
import { sendAppendEntries, startElection } from '../core/figure2.js';
import { cite, reply, send, update } from '../core/transition.js';
import { sessionOf } from '../../spec/kv.js';

/** LT-1: a leader can hand leadership to any other voter of its configuration (else DEC-9). */
export const canTransferTo = (env: Env, s: NodeState, target: NodeId): boolean => target !== env.self && isVoter(configOf(env, s), target);

/**
 * LT-1: remember the target (a repeated request changes nothing) and bring its log up to date:
 * at once with TimeoutNow if it already holds our whole log (LT-2), else with its AppendEntries (LEA-3, or SNAP-2).
 */
export function startTransfer(t: Transition, env: Env, target: NodeId): Transition {
  const l = leaderOf(t.state);
  if (l.transferee === target) return cite(t, 'LT-1');
  const next = cite(update(t, { leader: { ...l, transferee: target } }), 'LT-1');
  if (l.matchIndex[target] === next.state.log.lastIndex) return sendTimeoutNow(next, env, target);
  return sendAppendEntries(cite(next, 'LEA-3'), env, target);
}

/** LT-2: the transferee holds our whole log: tell it to start an election now (§3.10). */
function sendTimeoutNow(t: Transition, env: Env, peer: NodeId): Transition {
  return send(cite(env.hooks.handingOver(t), 'LT-2'), { type: 'TimeoutNow', from: env.self, to: peer, term: t.state.currentTerm });
}

/** LT-3: a transfer is pending. */
export const isTransferring = (s: NodeState): boolean => s.leader !== null && s.leader.transferee !== null;

/** LT-3: while a transfer is pending, a command is not appended (§3.10: it could keep the target behind); the client is sent to the transferee. */
export function redirectToTransferee(t: Transition, env: Env, command: unknown): Transition {
  const op = sessionOf(command);
  return reply(cite(t, 'LT-3'), { type: 'redirect', node: env.self, client: op?.client ?? null, seq: op?.seq ?? null, leader: leaderOf(t.state).transferee });
}

/** LT-3: nor is a configuration change started. */
export const refuseWhileTransferring = (t: Transition): Transition => cite(t, 'LT-3');

/** LT-4: a TimeoutNow of our term on a follower: start an election at once, without PreVote, its RequestVotes marked transfer. */
export function campaignNow(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'LT-4'), env, { transfer: true });
}

/** LT-5: give the transfer up (an election timeout passed, or its target is no longer a voter), and accept commands again. */
function abandonTransfer(t: Transition): Transition {
  const l = t.state.leader;
  return l === null || l.transferee === null ? t : cite(update(t, { leader: { ...l, transferee: null } }), 'LT-5');
}

export const leadershipTransfer: Decorations = {
  /** LT-2: after LEA-3a or SNAP-3 handled a response of the transferee, TimeoutNow if that left it holding our whole log. */
  progressMade: (t, env, peer) => {
    const s = t.state;
    return s.role === 'leader' && leaderOf(s).transferee === peer && leaderOf(s).matchIndex[peer] === s.log.lastIndex ? sendTimeoutNow(t, env, peer) : t;
  },
  /** LT-5: an election timeout passed without the transfer completing. */
  leaderTimerFired: abandonTransfer,
  /** LT-1, LT-5: a transfer goes to a voter only; one whose target is no longer a voter (removed, or demoted to learner) is abandoned. */
  configurationChanged: (t, _env, config) => {
    const target = leaderOf(t.state).transferee;
    return target !== null && !isVoter(config, target) ? abandonTransfer(t) : t;
  },
};
