// The leader no-op (§8; dissertation §6.4): CLI-3. A new leader appends a blank entry of its term,
// so that it learns what is committed (and, with ReadIndex, can serve reads sooner).
import type { Decorations } from '../hooks.js';
import { cite, update } from '../core/transition.js';

export const leaderNoop: Decorations = {
  /** CLI-3: appended before the announcement, which then carries it (no client awaits it). */
  leaderElected: (t) => cite(update(t, { log: t.state.log.append([{ term: t.state.currentTerm, command: null }]) }), 'CLI-3'),
};
