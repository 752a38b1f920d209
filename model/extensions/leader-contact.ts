// Whether a server heard from its term's leader since its last election timeout: the fact that
// PreVote (PV-2), the disruption guard (CFG-6) and lease reads (LR-2) rest on (§9.6, §4.2.3).
// Kept on every server, whatever the options, so that traces observe it alike.
import type { Decorations } from '../hooks.js';
import type { Transition } from '../state.js';
import { update } from '../core/transition.js';

const heard = (t: Transition, value: boolean): Transition => (t.state.heardFromLeader === value ? t : update(t, { heardFromLeader: value }));

export const leaderContact: Decorations = {
  /** ALL-2, CAN-1: nothing is known yet of the new term's leader. */
  newTerm: (t) => heard(t, false),
  /** AE-2 .. AE-5, IS-2 .. IS-8: the term's leader was heard from. */
  heardFromLeader: (t) => heard(t, true),
  /** Every election timeout of a server starts a new period without news of a leader. */
  electionTimerFired: (t) => heard(t, false),
};
