// Fast log backtracking (end of §5.3; docs/dissertation-options.md): FB-1, FB-2. A rejecting
// follower reports the conflicting term and the first index it holds of it, and the leader skips a
// whole term per round trip instead of one entry. DEC-22b: etcd's reject hint in their place.
import type { Decorations } from '../hooks.js';
import { type NodeState, decide } from '../state.js';
import { cite } from '../core/transition.js';

/**
 * FB-1: where our log stops agreeing with prevLogIndex. With no entry there: term 0 and our last
 * index + 1; else the term of our entry there and the first index we hold of that term. SNAP-5:
 * the search stops at snapshotIndex (whose term is snapshotTerm): below it the log is compacted.
 */
export function conflictAt(s: NodeState, prevLogIndex: number): { conflictTerm: number; conflictIndex: number } {
  if (!s.log.knowsTermAt(prevLogIndex)) return { conflictTerm: 0, conflictIndex: s.log.lastIndex + 1 };
  const conflictTerm = s.log.termAt(prevLogIndex);
  const floor = Math.max(1, s.snapshotIndex);
  let conflictIndex = prevLogIndex;
  while (conflictIndex > floor && s.log.termAt(conflictIndex - 1) === conflictTerm) conflictIndex--;
  return { conflictTerm, conflictIndex };
}

/**
 * FB-2: one past our last entry of conflictTerm if we hold any, else the follower's conflictIndex.
 * SNAP-5: only the entries after our snapshot are searched.
 */
function skipTo(s: NodeState, conflictTerm: number, conflictIndex: number): number {
  if (conflictTerm === 0) return conflictIndex;
  for (let i = s.log.lastIndex; i > s.snapshotIndex; i--) {
    const term = s.log.termAt(i);
    if (term === conflictTerm) return i + 1;
    if (term < conflictTerm) break; // terms never decrease along the log (INV-5): none further back
  }
  return conflictIndex;
}

/**
 * DEC-22b (etcd's findConflictByTerm): the last index at or before `index` whose term is at most
 * `term`, and that term; at or below the snapshot, where terms are not known but snapshotTerm's,
 * the index itself and 0 (an unknown term); 0 and 0 when there is none.
 */
export function lastAtMostTerm(s: NodeState, index: number, term: number): { index: number; term: number } {
  for (let i = Math.min(index, s.log.lastIndex); i > 0; i--) {
    if (!s.log.knowsTermAt(i)) return { index: i, term: 0 };
    const at = s.log.termAt(i);
    if (at <= term) return { index: i, term: at };
  }
  return { index: 0, term: 0 };
}

export const fastBacktracking: Decorations = {
  /** FB-1: an AE-2 rejection says where the follower's log stops agreeing (DEC-22b: etcd's hint). */
  decorateAppendResponse: (t, env, request, outcome, r) => {
    if (outcome !== 'inconsistent') return [t, r];
    if (decide(env, 'DEC-22') === 'b') {
      const hint = lastAtMostTerm(t.state, request.prevLogIndex, request.prevLogTerm);
      return [cite(t, 'DEC-22b'), { ...r, rejectHint: hint.index, logTerm: hint.term }];
    }
    // DEC-22 cited where alternatives are being decided (a profile, the validator's search).
    return [env.decide === undefined ? cite(t, 'FB-1') : cite(t, 'FB-1', 'DEC-22'), { ...r, ...conflictAt(t.state, request.prevLogIndex) }];
  },
  /** FB-2: a rejection that reports its conflict moves nextIndex back past the whole term (DEC-22b: to one past the hint). */
  backtrack: (t, m) => {
    if (m.rejectHint !== undefined) {
      const probe = (m.logTerm ?? 0) > 0 ? lastAtMostTerm(t.state, m.rejectHint, m.logTerm ?? 0).index : m.rejectHint;
      return [cite(t, 'DEC-22b'), Math.min(probe + 1, m.prevLogIndex)];
    }
    if (m.conflictIndex === undefined) return [t, m.prevLogIndex];
    return [cite(t, 'FB-2'), Math.min(skipTo(t.state, m.conflictTerm ?? 0, m.conflictIndex), m.prevLogIndex)];
  },
};
