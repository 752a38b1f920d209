// Fast log backtracking (end of §5.3; docs/dissertation-options.md): FB-1, FB-2. A rejecting
// follower reports the conflicting term and the first index it holds of it, and the leader skips a
// whole term per round trip instead of one entry.
import type { Decorations } from '../hooks.js';
import type { NodeState } from '../state.js';
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

export const fastBacktracking: Decorations = {
  /** FB-1: an AE-2 rejection says where the follower's log stops agreeing. */
  decorateAppendResponse: (t, request, outcome, r) =>
    (outcome === 'inconsistent' ? [cite(t, 'FB-1'), { ...r, ...conflictAt(t.state, request.prevLogIndex) }] : [t, r]),
  /** FB-2: a rejection that reports its conflict moves nextIndex back past the whole term. */
  backtrack: (t, m) => {
    if (m.conflictIndex === undefined) return [t, m.prevLogIndex];
    return [cite(t, 'FB-2'), Math.min(skipTo(t.state, m.conflictTerm ?? 0, m.conflictIndex), m.prevLogIndex)];
  },
};
