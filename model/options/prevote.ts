// PreVote (dissertation §9.6; docs/dissertation-options.md): PV-1 .. PV-3. A would-be candidate
// first asks, for currentTerm + 1 and without changing its own term, whether a majority would vote
// for it; only then does it run a real election. It enters through the table's rows: the election
// timeouts of follower and candidate, every role's PreVote and PreVoteResponse, and the
// precandidate role with its eventless win.
import type { PreVote, PreVoteResponse } from '../../spec/schema.js';
import { type Env, type NodeState, type Transition, votersOf } from '../state.js';
import { candidateLogIsUpToDate, isNewerTerm, startElection } from '../core/figure2.js';
import { cite, send, update } from '../core/transition.js';

/**
 * PV-1: the election timeout of a non-leader starts a pre-vote instead of an election: no term or
 * vote changes (a pre-vote is not a vote); it asks every voter of its configuration (DEC-14)
 * whether it would vote for it in currentTerm + 1. A precandidate follows no leader (CLI-1) and
 * keeps no leader state (DEC-10).
 */
export function startPreVote(t: Transition, env: Env): Transition {
  let next = cite(env.hooks.forgetLeader(update(t, { role: 'precandidate', votesGranted: [env.self], leader: null })), 'PV-1');
  const s = next.state;
  for (const peer of votersOf(env, s)) {
    next = send(next, {
      type: 'PreVote', from: env.self, to: peer,
      term: s.currentTerm + 1, candidateId: env.self, lastLogIndex: s.log.lastIndex, lastLogTerm: s.log.lastTerm,
    });
  }
  return next;
}

/**
 * PV-2: we would vote for this candidate in its term: we lead no one, its term is newer, we have
 * not heard from a leader since our last election timeout (§9.6: the leader is probably still up),
 * and its log is at least as up-to-date as ours (§5.4.1). votedFor plays no part: the term is newer.
 * etcd ties the recent-leader condition to CheckQuorum; here it holds with PreVote alone (docs/choices.md).
 */
export const canGrantPreVote = (s: NodeState, m: PreVote): boolean =>
  s.role !== 'leader' && m.term > s.currentTerm && !s.heardFromLeader && candidateLogIsUpToDate(s, m);

/** PV-2: answer a pre-vote, changing nothing (no ALL-2: its term is only proposed). FOL-1 on a follower. */
export function answerPreVote(t: Transition, env: Env, m: PreVote): Transition {
  const voteGranted = canGrantPreVote(t.state, m);
  const answered = cite(t, 'PV-2');
  return send(t.state.role === 'follower' ? cite(answered, 'FOL-1') : answered, {
    type: 'PreVoteResponse', from: env.self, to: m.from, term: voteGranted ? m.term : t.state.currentTerm, voteGranted,
  });
}

/** ALL-2 for a PreVoteResponse: only a refusal carries the responder's own term; a grant carries the proposed one. */
export const isNewerRefusal = (s: NodeState, m: PreVoteResponse): boolean => !m.voteGranted && isNewerTerm(s, m);

/** PV-3: a grant for the term this precandidate would campaign in. Any other PreVoteResponse is dropped (DEC-1). */
export const isPreVoteForNextTerm = (s: NodeState, m: PreVoteResponse): boolean =>
  s.role === 'precandidate' && m.voteGranted && m.term === s.currentTerm + 1;

/** PV-3: count a pre-vote, once per voter. */
export function recordPreVote(t: Transition, m: PreVoteResponse): Transition {
  const votes = t.state.votesGranted.includes(m.from) ? t.state.votesGranted : [...t.state.votesGranted, m.from];
  return cite(update(t, { votesGranted: votes }), 'PV-3');
}

/** PV-3: a majority (itself included) would vote for it: start the real election (CAN-1). */
export function winPreVote(t: Transition, env: Env): Transition {
  return startElection(cite(t, 'PV-3'), env);
}
