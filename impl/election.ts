// Elections (§5.2, §5.4.1) and the dissertation's election options (docs/dissertation-options.md):
// the election timeout, campaigns (CAN-1 .. CAN-4), votes (RV-1, RV-2), PreVote (PV-1 .. PV-3),
// the disruption guard (CFG-6) and CheckQuorum (CQ-1). As etcd's campaign / poll / becomeLeader:
// a campaign creates the candidate's record (roles.ts), winning turns it into the leader's.
import type { NodeId, PreVote, PreVoteResponse, RequestVote } from '../spec/schema.js';
import type { RaftState } from './core.js';
import { CandidateState, LeaderState } from './roles.js';
import { bcastAppend, settleCommit } from './replication.js';

/**
 * An election timeout clears heardFromLeader, whatever the role. A leader ends its lease (LR-3),
 * checks its quorum (CQ-1) and abandons a pending transfer (LT-5), in that order; nothing else
 * happens to it (DEC-9). Any other role campaigns: with preVote through a pre-vote (PV-1), else at
 * once (FOL-2, CAN-4); but only a voter of its configuration in force (DEC-14).
 */
export function tickElection(r: RaftState): void {
  r.heardFromLeader = false;
  if (r.role === 'leader') {
    const lead = r.lead();
    if (r.opts.leaseReads) lead.leaseFloor = Math.max(lead.leaseFloor, lead.readRound); // LR-3: the lease ends; only later rounds give one
    if (r.opts.checkQuorum) checkActiveQuorum(r);
    if (r.leader !== null) r.leader.transferee = null; // LT-5 (a leader that stepped down has none already)
    return;
  }
  if (!r.members.selfVoter) return; // DEC-14: a learner, a removed server or one not yet added starts nothing
  if (r.opts.preVote) preCampaign(r);
  else campaign(r);
}

/**
 * CQ-1: stay leader if we and the peers heard from since the last check are a quorum of the
 * configuration in force (CFG-2; we count only if a voter, CFG-5), else step down in the same term.
 */
function checkActiveQuorum(r: RaftState): void {
  const lead = r.lead();
  const self = r.selfSlot;
  if (r.members.hasQuorum((slot) => slot === self || lead.wasActive(slot))) return lead.clearActive();
  r.becomeFollower(); // DEC-10; CLI-4: the pending reads are dropped
  r.leaderId = null; // CLI-1
}

/** CAN-1, PV-1: the record of a new campaign: our own vote only; a leader's record, if a state loaded mid-history gave us one, goes (DEC-10). */
function newCampaign(r: RaftState): CandidateState {
  r.leader = null;
  return (r.candidate = new CandidateState([r.id]));
}

/**
 * CAN-1: a new term, a vote for ourselves, a RequestVote to every other voter of the
 * configuration in force (DEC-14); CAN-2 at once if that is a quorum. LT-4: a campaign that a
 * TimeoutNow started marks its RequestVotes `transfer`.
 */
export function campaign(r: RaftState, transfer = false): void {
  r.role = 'candidate';
  r.currentTerm += 1;
  r.votedFor = r.id;
  r.leaderId = null; // CLI-1
  r.heardFromLeader = false; // a new term
  const c = newCampaign(r);
  const lastLogIndex = r.log.lastIndex;
  const lastLogTerm = r.log.lastTerm;
  for (const slot of r.members.voterPeerSlots) {
    const m: RequestVote = {
      type: 'RequestVote', from: r.id, to: r.serverAt(slot),
      term: r.currentTerm, candidateId: r.id, lastLogIndex, lastLogTerm,
    };
    if (transfer) m.transfer = true;
    r.send(m);
  }
  if (hasQuorumOfVotes(r, c)) assumeLeadership(r); // a cluster of one
}

/**
 * PV-1: become a precandidate, with no new term and no vote, and ask every other voter of the
 * configuration in force (DEC-14) whether it would vote for us in currentTerm + 1; PV-3 at once
 * if that is already a quorum.
 */
function preCampaign(r: RaftState): void {
  r.role = 'precandidate';
  r.leaderId = null; // CLI-1
  const c = newCampaign(r);
  const term = r.currentTerm + 1;
  const lastLogIndex = r.log.lastIndex;
  const lastLogTerm = r.log.lastTerm;
  for (const slot of r.members.voterPeerSlots) {
    r.send({ type: 'PreVote', from: r.id, to: r.serverAt(slot), term, candidateId: r.id, lastLogIndex, lastLogTerm });
  }
  if (hasQuorumOfVotes(r, c)) campaign(r); // PV-3: a cluster of one
}

/**
 * CAN-2, PV-3: the votes are a quorum of the configuration in force (CFG-2: both halves while
 * joint); the candidate's own counts only if it is a voter there, and so does anyone's.
 */
function hasQuorumOfVotes(r: RaftState, c: CandidateState): boolean {
  return r.members.hasQuorumAmong(c.votes, (id) => r.slotOf(id));
}

/** CAN-2: a RequestVoteResponse of our term, on a candidate. */
export function onVoteResponse(r: RaftState, from: NodeId, granted: boolean): void {
  const c = r.candidate;
  if (c === null) throw new Error(`${r.id} (${r.role}) keeps no votes`);
  if (granted) c.record(from);
  if (hasQuorumOfVotes(r, c)) assumeLeadership(r);
}

/**
 * CAN-2, LEA-1: the candidate's record gives way to a leader's, with the progress of every peer
 * of the configuration in force (DEC-15: nextIndex = our last index + 1, matchIndex 0) and no read
 * state (CLI-4); with leaderNoop, append the no-op (CLI-3); run the commit sequence (CFG-3 may
 * append C_new: the joint configuration may be committed already); then, if still leader,
 * announce the win with AppendEntries, which carry what was appended (DEC-20b: at the next heartbeat).
 */
function assumeLeadership(r: RaftState): void {
  r.role = 'leader';
  r.leaderId = r.id; // CLI-1
  const lead = new LeaderState(r.servers.length, r.opts.flowControlWindow > 0, r.candidate?.votes ?? [], r.opts.oneOutstanding);
  for (const slot of r.members.peerSlots) lead.progress.track(slot, r.log.lastIndex + 1);
  r.candidate = null;
  r.leader = lead;
  if (r.opts.leaderNoop) r.appendOwn({ term: r.currentTerm, command: null }); // CLI-3: no client awaits it
  settleCommit(r);
  if (r.role === 'leader' && !r.opts.announceAtHeartbeat) bcastAppend(r); // DEC-20b: at the next heartbeat instead
}

/** PV-2 and PV-3, before and instead of ALL-2. Without preVote only an injected PreVote or PreVoteResponse exists: dropped (DEC-8). */
export function onPreVoteMessage(r: RaftState, m: PreVote | PreVoteResponse): void {
  if (!r.opts.preVote) return; // DEC-8
  if (m.type === 'PreVote') {
    // PV-2: a leader, or a server that heard from its leader since its last timeout, sees no need for an election (§9.6).
    const grant = r.role !== 'leader' && m.term > r.currentTerm && !r.heardFromLeader && logIsAtLeastAsRecent(r, m);
    return r.send({ type: 'PreVoteResponse', from: r.id, to: m.from, term: grant ? m.term : r.currentTerm, voteGranted: grant });
  }
  if (!m.voteGranted) {
    if (m.term > r.currentTerm) r.adoptTerm(m.term); // ALL-2, and nothing more
    return; // DEC-1 otherwise
  }
  // A grant carries the term we proposed, so it never triggers ALL-2.
  if (r.role !== 'precandidate' || m.term !== r.currentTerm + 1) return; // DEC-1
  const c = r.candidate;
  if (c === null) throw new Error(`${r.id} (precandidate) keeps no votes`);
  c.record(m.from); // PV-3
  if (hasQuorumOfVotes(r, c)) campaign(r); // PV-3: a real election (CAN-1)
}

/** CFG-6: a leader, or a server that heard from its leader since its last timeout, ignores a newer term's RequestVote unless a TimeoutNow caused it (LT-4). */
export function guardIgnores(r: RaftState, m: RequestVote): boolean {
  return r.opts.disruptionGuard && m.term > r.currentTerm && m.transfer !== true && (r.role === 'leader' || r.heardFromLeader);
}

/** RV-2: grant if we have not voted for another and the candidate's log is at least as up-to-date (§5.4.1). */
export function onRequestVote(r: RaftState, m: RequestVote): void {
  const grant = (r.votedFor === null || r.votedFor === m.candidateId) && logIsAtLeastAsRecent(r, m);
  if (grant) r.votedFor = m.candidateId;
  answerVote(r, m, grant);
}

/** §5.4.1: the candidate's log is at least as up-to-date as ours: a later last term, or the same last term and at least our length. */
function logIsAtLeastAsRecent(r: RaftState, m: Pick<RequestVote, 'lastLogIndex' | 'lastLogTerm'>): boolean {
  const lastTerm = r.log.lastTerm;
  return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= r.log.lastIndex);
}

/** RV-1, RV-2: the answer to a RequestVote. */
export function answerVote(r: RaftState, m: RequestVote, voteGranted: boolean): void {
  r.send({ type: 'RequestVoteResponse', from: r.id, to: m.from, term: r.currentTerm, voteGranted });
}
