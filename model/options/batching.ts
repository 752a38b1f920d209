// Batching (§5.3 leaves it open; docs/choices.md DEC-6): an AppendEntries carries at most
// maxEntriesPerAppendEntries entries (1 unless told); the rest follows on success (LEA-3a).
import type { Decorations } from '../hooks.js';
import { cite } from '../core/transition.js';

export const batching: Decorations = {
  /** DEC-6: more to send than one AppendEntries carries. */
  limitEntries: (t, env, _peer, _prevLogIndex, count) => {
    const max = env.options.maxEntriesPerAppendEntries;
    return count > max ? [cite(t, 'DEC-6'), max] : [t, count];
  },
};
