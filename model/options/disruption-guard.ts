// The disruption guard (dissertation §4.2.3; docs/dissertation-options.md): CFG-6. A server that
// heard from its leader within the minimum election timeout ignores a RequestVote of a newer term:
// a row of the table before ALL-2. Lease reads rely on it, and switch it on (LR-2).
import type { RequestVote } from '../../spec/schema.js';
import type { NodeState, Transition } from '../state.js';
import { cite } from '../core/transition.js';

/**
 * CFG-6: a RequestVote of a newer term reaching a leader, or a server that heard from its leader
 * since its last election timeout, is from a server that should not be campaigning, unless a
 * TimeoutNow sent it (LT-4).
 */
export const isDisruptiveRequestVote = (s: NodeState, m: RequestVote): boolean =>
  m.term > s.currentTerm && m.transfer !== true && (s.role === 'leader' || s.heardFromLeader);

/** CFG-6: dropped before ALL-2: no term change, no vote, no reply. */
export const ignoreDisruptiveRequestVote = (t: Transition): Transition => cite(t, 'CFG-6');
