// Leadership transfer (dissertation §3.10; LT-1 .. LT-5): the leader catches the target up, then
// tells it to time out at once (TimeoutNow). The transfer lives in the leader's record (roles.ts),
// so a leader that steps down forgets it (LT-5); a client command during one is refused (LT-3,
// proposals.ts); the target's campaign is marked so that the disruption guard lets it through
// (LT-4, election.ts).
import type { NodeId } from '../spec/schema.js';
import type { RaftState } from './core.js';
import { sendAppend } from './replication.js';

/** LT-1 on a leader with leadershipTransfer, for another voter of its configuration in force; no effect otherwise (DEC-9). */
export function beginTransfer(r: RaftState, target: NodeId): void {
  if (r.role !== 'leader' || !r.opts.leadershipTransfer || target === r.id) return; // DEC-9
  const lead = r.lead();
  const slot = r.slotOf(target);
  if (slot === undefined || !r.members.hasVoter(slot) || lead.transferee === target) return; // DEC-9; LT-1: already under way
  lead.transferee = target;
  // LT-2 at once if it holds our whole log; else catch it up (LEA-3, or SNAP-2's InstallSnapshot).
  if (lead.progress.matchAt(slot) === r.log.lastIndex) timeoutNowTo(r, slot);
  else sendAppend(r, slot);
}

/** LT-2: after a response from the transferee (LEA-3a, SNAP-3), TimeoutNow if it now holds our whole log. */
export function maybeHandOver(r: RaftState, slot: number): void {
  const lead = r.leader;
  if (lead === null || lead.transferee === null || r.servers[slot] !== lead.transferee) return;
  if (lead.progress.matchAt(slot) === r.log.lastIndex) timeoutNowTo(r, slot);
}

function timeoutNowTo(r: RaftState, slot: number): void {
  r.send({ type: 'TimeoutNow', from: r.id, to: r.serverAt(slot), term: r.currentTerm });
  // LR-2: its target may be elected at once, bound or not: no lease for the rest of this term.
  if (r.opts.leaseReads) r.lead().leaseFloor = Infinity;
}
