// Batching (§5.3 leaves it open; docs/choices.md DEC-6): an AppendEntries carries at most
// maxEntriesPerAppendEntries entries (1 unless told); the rest follows on success (LEA-3a).
// DEC-6b: any number, from none to the end of the log: the message sent carries them all, and the
// network may hand its receiver any prefix of them (model/cluster.ts). Not with pipelining or flow
// control, whose bookkeeping counts the entries sent (PIP-1, FC-3). DEC-6b is cited where it shows:
// where a message with other than DEC-6's own number of entries is delivered, dropped or duplicated.
import type { Decorations } from '../hooks.js';
import { cite } from '../core/transition.js';
import { decide } from '../state.js';

export const batching: Decorations = {
  /** DEC-6: more to send than one AppendEntries carries; DEC-6b: any number of them. */
  limitEntries: (t, env, _peer, _prevLogIndex, count) => {
    if (count > 0 && !env.options.pipelining && !(env.options.flowControlWindow > 0) && decide(env, 'DEC-6') === 'b') return [cite(t, 'DEC-6'), count, true];
    const max = env.options.maxEntriesPerAppendEntries;
    return count > max ? [cite(t, 'DEC-6'), max] : [t, count];
  },
};
