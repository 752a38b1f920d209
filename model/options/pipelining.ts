// Pipelining (dissertation §10.2.2; docs/dissertation-options.md): PIP-1, PIP-2. A leader sends
// the next AppendEntries without waiting for the answer to the last one.
import type { AppendEntriesResponse } from '../../spec/schema.js';
import type { Decorations } from '../hooks.js';
import { type NodeState, leaderOf } from '../state.js';
import { cite, update } from '../core/transition.js';

/**
 * PIP-2: a rejection answers a request still outstanding: one sent after the follower's matchIndex
 * and before its nextIndex. At or below matchIndex it is stale (DEC-4).
 */
export const answersOutstandingRequest = (s: NodeState, m: AppendEntriesResponse): boolean => {
  const l = leaderOf(s);
  return (l.matchIndex[m.from] ?? 0) < m.prevLogIndex && m.prevLogIndex < (l.nextIndex[m.from] ?? 1);
};

export const pipelining: Decorations = {
  /** PIP-1: the next send continues after these entries, without waiting for the answer. */
  appendEntriesSent: (t, _env, peer, prevLogIndex, count) => {
    if (count === 0) return t;
    const l = leaderOf(t.state);
    return cite(update(t, { leader: { ...l, nextIndex: { ...l.nextIndex, [peer]: prevLogIndex + count + 1 } } }), 'PIP-1');
  },
  /** PIP-2: several requests are in flight, and a rejection of any still outstanding one is acted on, not only of the latest. */
  rejectionIsCurrent: answersOutstandingRequest,
  backtracked: (t) => cite(t, 'PIP-2'),
};
