// Flow control (docs/dissertation-options.md): FC-1 .. FC-3. Followers report how far they have
// applied, and a leader sends a follower no more than a window past it.
import type { NodeId } from '../../spec/schema.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, leaderOf, peersOf } from '../state.js';
import { cite, update } from '../core/transition.js';

/** The first index after the snapshot whose entry has this term; 0 if none (terms never decrease along a log, INV-5: binary search). */
function firstIndexOfTerm(s: NodeState, term: number): number {
  let lo = s.log.firstIndex;
  let hi = s.log.lastIndex;
  if (hi < lo || s.log.termAt(hi) < term) return 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (s.log.termAt(mid) < term) lo = mid + 1;
    else hi = mid;
  }
  return s.log.termAt(lo) === term ? lo : 0;
}

/**
 * FC-3: how many entries after prevLogIndex a follower may be sent: up to the lastApplied it
 * reported (FC-2) plus the window, and always up to the leader's first entry of its own term (or
 * it might never commit anything: its followers apply only what it commits, and it commits only
 * entries of its term, Figure 8).
 */
const windowAfter = (s: NodeState, env: Env, peer: NodeId, prevLogIndex: number): number =>
  Math.max((leaderOf(s).appliedIndex[peer] ?? 0) + env.options.flowControlWindow, firstIndexOfTerm(s, s.currentTerm)) - prevLogIndex;

export const flowControl: Decorations = {
  /** FC-2: no peer has reported anything applied yet. */
  leaderElected: (t, env) => {
    const appliedIndex: Record<NodeId, number> = {};
    for (const peer of peersOf(env, t.state)) appliedIndex[peer] = 0;
    return update(t, { leader: { ...leaderOf(t.state), appliedIndex } });
  },
  /** FC-1: every answer (AE-1 rejections included) reports how far we have applied. */
  decorateAppendResponse: (t, _env, _request, _outcome, r) => [cite(t, 'FC-1'), { ...r, lastApplied: t.state.lastApplied }],
  /** FC-2: keep the highest lastApplied the follower has reported (responses can be reordered). */
  appendResponseReceived: (t, m) => {
    if (m.lastApplied === undefined) return t;
    const l = leaderOf(t.state);
    if (m.lastApplied <= (l.appliedIndex[m.from] ?? 0)) return cite(t, 'FC-2');
    return cite(update(t, { leader: { ...l, appliedIndex: { ...l.appliedIndex, [m.from]: m.lastApplied } } }), 'FC-2');
  },
  /** FC-3: the follower's window cuts the batch (to a heartbeat when it allows nothing). */
  limitEntries: (t, env, peer, prevLogIndex, count) => {
    const window = windowAfter(t.state, env, peer, prevLogIndex);
    return window < count ? [cite(t, 'FC-3'), Math.max(0, window)] : [t, count];
  },
  /** DEC-15: a new peer has reported nothing applied; a removed one is forgotten. */
  configurationChanged: (t, env, _config, peersChanged) => {
    if (!peersChanged) return t;
    const l = leaderOf(t.state);
    const appliedIndex: Record<NodeId, number> = {};
    for (const peer of peersOf(env, t.state)) appliedIndex[peer] = l.appliedIndex[peer] ?? 0;
    return update(t, { leader: { ...l, appliedIndex } });
  },
};
