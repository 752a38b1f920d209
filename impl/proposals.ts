// What a leader is asked to append (§8, §6): client commands (LEA-2, CLI-1, LT-3) and
// configuration changes (CFG-2, CFG-7), as etcd's stepLeader handles MsgProp: append to the own
// log, run the commit sequence (a single voter commits at once), replicate to every peer.
import type { NodeId } from '../spec/schema.js';
import { sessionOf } from '../spec/kv.js';
import type { RaftState } from './core.js';
import { admitChange, appendConf } from './confchange.js';
import { bcastAppend, settleCommit } from './replication.js';

/**
 * LEA-2 on a leader: append the command, await its application to answer the client, then the
 * commit sequence (LEA-4, ALL-1; CFG-3, CFG-5) and LEA-3 to every peer. CLI-1 elsewhere, and
 * LT-3 on a leader handing over its leadership (DEC-9: no state changes). Returns the index the
 * command was appended at, 0 if it was not.
 */
export function proposeCommand(r: RaftState, command: unknown): number {
  const lead = r.leader;
  if (r.role === 'leader' && lead !== null && lead.transferee === null) {
    const index = r.appendOwn({ term: r.currentTerm, command });
    r.awaiting.set(index, r.currentTerm); // LEA-2: answered once applied
    settleCommit(r);
    if (r.role === 'leader') bcastAppend(r);
    return index;
  }
  if (r.opts.forwardProposals && r.role === 'follower' && r.leaderId !== null && r.leaderId !== r.id) {
    // DEC-23b: hand it to the leader of our term, as etcd forwards a MsgProp; it answers the client.
    r.send({ type: 'ClientProposal', from: r.id, to: r.leaderId, term: r.currentTerm, command });
    return 0;
  }
  const op = sessionOf(command);
  // LT-3: a leader handing over its leadership sends the client to its successor.
  r.redirectClient(op?.client ?? null, op?.seq ?? null, r.role === 'leader' ? (lead?.transferee ?? null) : r.leaderId);
  return 0;
}

/** DEC-23b: a command a follower of our term forwarded: appended as a client's (LEA-2) unless we are handing over (LT-3: dropped; the client retries). */
export function acceptForwarded(r: RaftState, command: unknown): void {
  if (r.leader?.transferee === null) proposeCommand(r, command);
}

/**
 * CFG-2 (joint) or CFG-7 (single) on a leader, if admitted (confchange.ts): append the
 * configuration (in force at once, CFG-1), run the commit sequence and send every peer of the new
 * configuration its AppendEntries. No effect otherwise (DEC-9, LT-3, CFG-7).
 */
export function proposeConfChange(r: RaftState, change: 'single' | 'joint', voters: readonly NodeId[], learners?: readonly NodeId[]): void {
  const config = admitChange(r, change, voters, learners);
  if (config === null) return;
  appendConf(r, config);
  settleCommit(r);
  if (r.role === 'leader') bcastAppend(r); // LEA-3
}
