// The rule catalogue: every rule the model implements, with a stable ID. The model cites these IDs
// on every branch, the runner names them in every report, and coverage is counted against them.
// IDs are never renumbered: new rules get new IDs. Emitted as spec/rules.json by `npm run spec:emit`.

import { CHOICE_POINTS } from './choices.js';

export type RuleKind =
  | 'rule' // a rule of Figure 2 (or of the sections around it)
  | 'property' // a safety property of Figure 3, checked after every step
  | 'invariant' // a cheap local invariant, checked after every step
  | 'choice'; // where the paper or raft.tla leaves a choice, the one this project made (docs/choices.md)

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly kind: RuleKind;
  readonly section: string;
  readonly text: string;
}

const r = (id: string, title: string, section: string, text: string, kind: RuleKind = 'rule'): Rule => ({ id, title, kind, section, text });

export const RULES: readonly Rule[] = [
  // All servers
  r('ALL-1', 'Apply', '§5.3', 'If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied] to the state machine.'),
  r('ALL-2', 'Newer term', '§5.1', 'If an RPC request or response contains term T > currentTerm: set currentTerm = T, clear votedFor, convert to follower.'),
  r('PER-1', 'Persist first', '§5.1, Figure 2', 'currentTerm, votedFor and log[] are durable before the server replies to an RPC or sends a message that depends on them. A crash loses every other variable.'),
  // Followers
  r('FOL-1', 'Respond', '§5.2', 'Respond to RPCs from candidates and leaders.'),
  r('FOL-2', 'Election timeout', '§5.2', 'If the election timeout elapses without an AppendEntries from the current leader and without granting a vote: convert to candidate.'),
  // Candidates
  r('CAN-1', 'Start election', '§5.2', 'On conversion to candidate: increment currentTerm, vote for self, reset the election timer, send RequestVote to all other servers.'),
  r('CAN-2', 'Win', '§5.2', 'If votes are received from a majority of servers: become leader.'),
  r('CAN-3', 'Concede', '§5.2', 'If an AppendEntries is received from a leader of the same or a newer term: convert to follower.'),
  r('CAN-4', 'Retry', '§5.2', 'If the election timeout elapses: start a new election.'),
  // Leaders
  r('LEA-1', 'Heartbeat', '§5.2', 'Upon election send empty AppendEntries to each server; repeat during idle periods to prevent election timeouts.'),
  r('LEA-2', 'Client command', '§5.3', 'Append the entry to the local log; respond after the entry is applied to the state machine.'),
  r('LEA-3', 'Replicate', '§5.3', 'If last log index >= nextIndex for a follower: send AppendEntries with the log entries starting at nextIndex.'),
  r('LEA-3a', 'Replicate: success', '§5.3', 'If successful: update nextIndex and matchIndex for the follower.'),
  r('LEA-3b', 'Replicate: inconsistency', '§5.3', 'If AppendEntries fails because of log inconsistency: decrement nextIndex and retry.'),
  r('LEA-4', 'Commit', '§5.3, §5.4.2', 'If there is an N > commitIndex such that a majority of matchIndex[i] >= N (the leader counts itself) and log[N].term == currentTerm: set commitIndex = N. An entry of an earlier term is never committed by counting replicas (Figure 8).'),
  // RequestVote receiver
  r('RV-1', 'Stale candidate', '§5.1', 'Reply false if term < currentTerm.'),
  r('RV-2', 'Grant vote', '§5.2, §5.4', "If votedFor is null or candidateId, and the candidate's log is at least as up-to-date as the receiver's log, grant the vote. Up-to-date (§5.4.1): the log whose last entry has the higher term is more up-to-date; with equal last terms, the longer log is."),
  // AppendEntries receiver
  r('AE-1', 'Stale leader', '§5.1', 'Reply false if term < currentTerm.'),
  r('AE-2', 'Consistency check', '§5.3', "Reply false if the log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm."),
  r('AE-3', 'Conflict', '§5.3', 'If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it. Only on a real conflict: an AppendEntries whose entries already match truncates nothing.'),
  r('AE-4', 'Append', '§5.3', 'Append any new entries not already in the log.'),
  r('AE-5', 'Follow commit', '§5.3', 'If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry), where the last new entry is prevLogIndex + len(entries).'),

  // Protocol options (dissertation; off by default)
  r('FB-1', 'Fast backtracking: report the conflict', 'end of §5.3', 'With fastBacktracking, a follower that fails the consistency check (AE-2) replies with conflictTerm, the term of its entry at prevLogIndex, and conflictIndex, the first index it holds of that term; with no entry at prevLogIndex, conflictTerm 0 and conflictIndex its last index + 1.'),
  r('FB-2', 'Fast backtracking: skip the term', 'end of §5.3', 'On such a rejection of its current probe, the leader sets nextIndex to one past its last entry of conflictTerm if it holds any, else to conflictIndex; never above the rejected prevLogIndex, below matchIndex + 1 or below 1 (DEC-4). So it skips a whole term per round trip.'),

  // Log compaction (§7, Figure 13)
  r('SNAP-1', 'Snapshot', '§7', 'Each server snapshots independently: the snapshot covers applied entries up to lastIncludedIndex and records lastIncludedIndex, lastIncludedTerm and the state machine as of that index; the log prefix it covers is discarded. Log indexes stay absolute.'),
  r('SNAP-2', 'Send a snapshot', '§7', "The leader sends InstallSnapshot (from offset 0) to a follower whose nextIndex is at or below its snapshot's lastIncludedIndex, wherever it would send that follower an AppendEntries."),
  r('SNAP-3', 'Snapshot progress', '§7, Figure 13', 'On an InstallSnapshotResponse of its term: if done, the leader sets matchIndex = max(matchIndex, lastIncludedIndex) and nextIndex = max(nextIndex, lastIncludedIndex + 1) (as LEA-3a), then commits (LEA-4) and replicates the rest (LEA-3); if not done and the response is about its current snapshot and the follower still needs it, it sends the chunk at the offset the follower asked for.'),
  r('SNAP-4', 'Restart from a snapshot', '§7', 'A server restarts with its snapshot and the log after it: the state machine is the snapshot\'s, commitIndex = lastApplied = snapshotIndex, and only the entries after the snapshot are applied again.'),
  r('SNAP-5', 'Compacted prefix matches', '§7', 'Entries at or below snapshotIndex are committed, so they match any leader\'s: the consistency check (AE-2) passes for a prevLogIndex below snapshotIndex, and the entries of an AppendEntries at or below snapshotIndex are skipped.'),
  r('IS-1', 'Stale leader', 'Figure 13', 'Reply immediately if term < currentTerm.'),
  r('IS-2', 'First chunk', 'Figure 13', 'Create a new snapshot file if the first chunk arrives (offset 0), discarding any partial one of another snapshot (a first chunk of the snapshot being received is one it holds: DEC-12).'),
  r('IS-3', 'Write chunk', 'Figure 13', 'Write the data into the snapshot file at the given offset.'),
  r('IS-4', 'More chunks', 'Figure 13', 'Reply and wait for more data chunks if done is false.'),
  r('IS-5', 'Save', 'Figure 13', 'Save the snapshot file, discard any existing or partial snapshot with a smaller index.'),
  r('IS-6', 'Keep the tail', 'Figure 13', "If an existing log entry has the same index and term as the snapshot's last included entry, retain the log entries following it and reply."),
  r('IS-7', 'Discard the log', 'Figure 13', 'Otherwise discard the entire log.'),
  r('IS-8', 'Reset the state machine', 'Figure 13', 'Reset the state machine using the snapshot contents (lastApplied = lastIncludedIndex, commitIndex at least that).'),

  // Client interaction (§8) and the state machine
  r('KV-1', 'Key-value state machine', '§8', 'The state machine executes get (result: the value or null), put (null), append (null; an absent key holds "") and compare-and-set (whether it set the value); any other command, null included, is applied without effect and with result null.'),
  r('CLI-1', 'Redirect', '§8', 'A non-leader answers a client request or read with the leader it last heard from (the leaderId of an AppendEntries or InstallSnapshot of its term), or none.'),
  r('CLI-2', 'Exactly once', '§8', 'A command with a client ID and serial number runs once: the state machine keeps, per client, the latest serial number executed and its result, and answers a command with that serial number or an older one from the table (an older one with null) without executing it again. The table is part of the state machine, so it survives snapshots.'),
  r('CLI-3', 'Leader no-op', '§8', 'With leaderNoop, a new leader appends a no-op entry (command null) of its term, before sending its first AppendEntries.'),
  r('CLI-4', 'ReadIndex', '§8; dissertation §6.4', 'A read waits until the leader has committed an entry of its term; the leader then records commitIndex as the read index, starts a heartbeat round (readRound) and answers once a majority, itself included, has acknowledged that round or a later one and lastApplied >= read index. A leader that steps down or crashes drops its pending reads unanswered.'),

  r('LR-1', 'Lease reads: heartbeats are rounds', '§6.4.1', 'With leaseReads, a leader increments readRound at every heartbeat timeout before it sends, so heartbeats are read rounds.'),
  r('LR-2', 'Lease reads: serve under the lease', '§6.4.1', 'A leader that has committed an entry of its term, has no transfer pending and has sent no TimeoutNow in its term, and has a round sent after its last election timeout acknowledged by a majority, answers a read at readIndex = commitIndex without a round of its own.'),
  r('LR-3', 'Lease reads: expiry', '§6.4.1', 'At a leader\'s election timeout its lease ends: only rounds sent after it can give a new one.'),

  // Follower reads (issue 15; docs/follower-reads.md): ZooKeeper's guarantees instead of linearizable reads.
  r('FR-1', 'Follower reads: answer from the applied state', 'ZooKeeper (Hunt et al. 2010); issue 15', 'With followerReads, any server (any role) answers a clientRead at once from its own applied state when lastApplied >= after (the read\'s `after`, default 0): a read reply with index = lastApplied and the key\'s value there. It contacts no other server.'),
  r('FR-2', 'Follower reads: not behind the client', 'ZooKeeper (Hunt et al. 2010); issue 15', 'With followerReads, a server whose lastApplied is below the read\'s `after` does not answer from its state: it redirects (CLI-1, naming the leader it knows, itself if it leads) and changes nothing; the client tries another server. So a client never reads a state older than one it has seen.'),
  r('FR-3', 'Follower reads: sync', 'ZooKeeper (Hunt et al. 2010); issue 15', 'With followerReads, a clientSync on a leader is handled as a read without a key: it waits for a CLI-4 ReadIndex round (or takes LR-2\'s read index under a lease) and, once the read could be answered, is answered with a sync reply whose index is its read index. On any other role it is redirected (CLI-1). Without followerReads a clientSync has no effect (DEC-9).'),
  r('FR-4', 'Follower reads: the client carries its index', 'ZooKeeper (Hunt et al. 2010); issue 15', 'The client\'s duty, not a server\'s: a client sends as a read\'s `after` the highest index of any reply it has received (result, read or sync), ZooKeeper\'s last zxid. A server cites it where it relies on it: on every read that carries an `after` above 0.'),

  // Dissertation options (docs/dissertation-options.md; each off by default)
  r('PV-1', 'PreVote: start', '§9.6', 'With preVote, an election timeout on a non-leader makes it a precandidate: votesGranted = [self], leaderId = null, no term or vote change; it sends PreVote (term + 1, its last log index and term) to every other server.'),
  r('PV-2', 'PreVote: answer', '§9.6', 'A PreVote changes no term or vote. It is granted if the receiver is not a leader, the term is above its currentTerm, it has not heard from a leader since its last election timeout, and the candidate\'s log is at least as up-to-date; the reply carries the request\'s term when granted, its own when refused.'),
  r('PV-3', 'PreVote: win', '§9.6', 'A precandidate with grants (of its currentTerm + 1) from a majority, itself included, starts a real election (CAN-1).'),
  r('CQ-1', 'CheckQuorum', '§6.2', 'With checkQuorum, a leader records the peers it hears from (responses of its term); at its election timeout it stays leader and forgets them if they and it are a majority, else it steps down to follower of the same term.'),
  // Membership changes (§6; dissertation ch. 4; docs/membership.md). No option: driven by reconfigure events.
  r('CFG-1', 'Configuration in force', '§6', 'Configurations travel as log entries (command null, with config). A server uses the configuration of the last configuration entry in its log, committed or not; without one after its snapshot, its snapshotConfig; if that is null, the trace\'s bootstrap configuration. Appending one (AE-4), truncating it (AE-3) or installing a snapshot changes it at once.'),
  r('CFG-2', 'Joint consensus', '§6', 'A leader asked for a joint change, with no change in progress (its configuration in force committed and not joint) and no transfer pending, appends C_old,new: the new voters and learners, with oldVoters = the voters in force. While a configuration is joint, every quorum (votes, pre-votes, commitment, read rounds, leases, CheckQuorum) needs a majority of voters and a majority of oldVoters. Otherwise the request is refused.'),
  r('CFG-3', 'Leave the joint configuration', '§6', 'When a leader\'s configuration in force is joint and committed (after LEA-4 or SNAP-3 advanced commitIndex, or on becoming leader), it appends C_new (the same configuration without oldVoters) in the same step.'),
  r('CFG-4', 'Learners', 'dissertation §4.2.1', 'Learners receive the log like any member but count in no quorum and never campaign; a later change promotes them to voters.'),
  r('CFG-5', 'Leader outside its configuration', 'dissertation §4.2.2', 'A leader that is not a voter of its configuration in force replicates without counting itself in any quorum; once that configuration is committed and not joint, it steps down to follower in the same term.'),
  r('CFG-7', 'Single-server change', 'dissertation §4.1-4.4', 'A leader asked for a single change appends the new configuration if its voters differ from those in force by at most one server, no change is in progress (configuration in force committed and not joint), no transfer is pending, and the leader has committed an entry of its current term (the 2015 fix). Otherwise the request is refused.'),
  r('CFG-6', 'Disruption guard', '§4.2.3', 'With disruptionGuard, a leader, or a server that heard from its leader since its last election timeout, drops a RequestVote of a newer term (no term change, no vote, no reply) unless it carries transfer: true (LT-4).'),
  r('LT-1', 'Transfer: start', '§3.10', 'With leadershipTransfer, a leader asked to transfer to another voter of its configuration records it as transferee and catches it up (LEA-3), or sends TimeoutNow at once if it is caught up (LT-2).'),
  r('LT-2', 'Transfer: TimeoutNow', '§3.10', 'When a response from the transferee leaves its matchIndex at the leader\'s last index, the leader sends it TimeoutNow.'),
  r('LT-3', 'Transfer: no new commands', '§3.10', 'While a transfer is pending the leader appends no client command (it answers with a redirect naming the transferee) and refuses reconfigure requests.'),
  r('LT-4', 'Transfer: campaign now', '§3.10', 'A follower receiving TimeoutNow of its term starts an election at once (CAN-1, no PreVote), its RequestVotes marked transfer: true.'),
  r('LT-5', 'Transfer: abort', '§3.10', 'At the leader\'s election timeout a pending transfer is abandoned; so is one whose target a configuration the leader appends makes no longer a voter (DEC-15).'),
  r('PIP-1', 'Pipelining: optimistic nextIndex', 'etcd replicate state', 'With pipelining, a leader sending an AppendEntries with entries sets nextIndex to one past the last entry sent, without waiting for the response.'),
  r('PIP-2', 'Pipelining: repair', 'etcd replicate state', 'With pipelining, a rejection of any outstanding request (matchIndex < prevLogIndex < nextIndex) moves nextIndex back as LEA-3b says and the leader sends again; one at or below matchIndex is stale.'),
  r('FC-1', 'Flow control: report', 'course notes', 'With flowControlWindow, every AppendEntriesResponse carries the follower\'s lastApplied.'),
  r('FC-2', 'Flow control: track', 'course notes', 'A leader keeps, per follower, the highest lastApplied reported.'),
  r('FC-3', 'Flow control: hold back', 'course notes', 'A leader sends a follower no entry beyond its reported lastApplied + flowControlWindow: it sends a heartbeat instead.'),

  // Figure 3: safety properties
  r('SAFE-1', 'Election Safety', '§5.2, Figure 3', 'At most one leader can be elected in a given term.', 'property'),
  r('SAFE-2', 'Leader Append-Only', '§5.3, Figure 3', 'A leader never overwrites or deletes entries in its log; it only appends new entries.', 'property'),
  r('SAFE-3', 'Log Matching', '§5.3, Figure 3', 'If two logs contain an entry with the same index and term, then the logs are identical in all entries up through the given index.', 'property'),
  r('SAFE-4', 'Leader Completeness', '§5.4, Figure 3', 'If a log entry is committed in a given term, then that entry will be present in the logs of the leaders for all higher-numbered terms.', 'property'),
  r('SAFE-5', 'State Machine Safety', '§5.4.3, Figure 3', 'If a server has applied a log entry at a given index to its state machine, no other server will ever apply a different log entry for the same index.', 'property'),

  // Cheap local invariants
  r('INV-1', 'Term monotone', '§5.1', 'currentTerm never decreases, across restarts too.', 'invariant'),
  r('INV-2', 'One vote per term', '§5.2', 'votedFor changes only with the term: within a term it can only go from null to a candidate, across restarts too.', 'invariant'),
  r('INV-3', 'Index order', 'Figure 2', 'lastApplied <= commitIndex <= last log index.', 'invariant'),
  r('INV-4', 'Commit monotone', 'Figure 2', 'commitIndex never decreases, except to 0 when a server restarts.', 'invariant'),
  r('INV-5', 'Log terms monotone', '§5.3', 'The terms of the entries along a log never decrease, and none exceeds currentTerm.', 'invariant'),
  r('INV-6', 'Leader progress bounds', 'Figure 2', 'On a leader, for every peer of its configuration in force (and no other server): 1 <= nextIndex, matchIndex < nextIndex <= last log index + 1, and matchIndex <= last log index.', 'invariant'),
  r('INV-7', 'matchIndex monotone', 'raft.tla issue #18', "matchIndex never decreases while a server stays leader of the same term.", 'invariant'),
  r('INV-9', 'Committed entries agree', '§5.4.3', 'Every server\'s log agrees, up to its commitIndex, with the entries committed anywhere before: no two servers ever commit different entries at one index.', 'invariant'),
  r('INV-10', 'Apply order', '§7', 'A server applies entries one index at a time in order, never one twice: each applied index is lastApplied + 1; a snapshot install only moves lastApplied forward; a restart moves it to snapshotIndex.', 'invariant'),
  r('INV-11', 'Snapshots match', '§7', "A snapshot's lastIncludedTerm is the term of the committed entry at lastIncludedIndex, and its state machine equals the state machine of every server that applied through that index.", 'invariant'),
  r('INV-13', 'Restart rebuilds the state machine', '§7, §5.5', 'A server that crashed with lastApplied i has, once it has applied through i again after its restart, the state machine it had at i before the crash.', 'invariant'),
  r('INV-12', 'Exactly once', '§8', 'No (client, seq) is executed at two different log indexes.', 'invariant'),
  r('LIN-1', 'Linearizable client histories', '§8', 'The client operations of a run, with the replies they got, are linearizable against the key-value specification: no read returns a stale value, no acknowledged write is lost, no duplicate executes twice (checked per key with Wing and Gong\'s search and Lowe\'s memoization).', 'property'),
  r('ZK-1', 'ZooKeeper: linearizable writes', 'ZooKeeper (Hunt et al. 2010) §2.3; issue 15', 'With followerReads, in place of LIN-1: the writes (and the gets sent through the log), the reads left out, pass LIN-1; and each answered one is what the committed log holds at its answer\'s index, with the result the state machine returns there (KV-1, CLI-2).', 'property'),
  r('ZK-2', 'ZooKeeper: a read returns a state that was', 'ZooKeeper (Hunt et al. 2010) §2.3; issue 15', 'A read\'s value is the key\'s value after applying the committed log through the read\'s index: a stale state is allowed, a value the key never had at that index is not.', 'property'),
  r('ZK-3', 'ZooKeeper: FIFO client order', 'ZooKeeper (Hunt et al. 2010) §2.3; issue 15', 'A read\'s index is at least the index of every read and every write of the same client answered before the read was sent: monotonic reads, read-your-writes.', 'property'),
  r('ZK-4', 'ZooKeeper: sync', 'ZooKeeper (Hunt et al. 2010) §2.3; issue 15', 'A read\'s index is at least the index of every sync of the same client answered before it was sent; a sync\'s index is at least the index of every write, of any client, answered before the sync was sent.', 'property'),
  r('INV-14', 'No two disjoint deciding quorums', '§6', 'While a server is leader of term T2, no leader of an older term T1 has a quorum of its configuration in force among the servers whose currentTerm is at most T1 (it counts itself only if a voter there): such a quorum would be disjoint from the one that elected the leader of T2.', 'property'),
  r('INV-8', 'Role-local state', 'DEC-10', 'Followers have no votesGranted, nextIndex or matchIndex; candidates and precandidates have no nextIndex or matchIndex; a candidate or leader has voted for itself and counts itself in votesGranted; a precandidate counts itself in votesGranted (its votedFor is whatever it was); no server but a leader has recentlyActive, a transferee or appliedIndex.', 'invariant'),

  // Choices where the paper or raft.tla leaves one (docs/choices.md)
  r('DEC-1', 'Stale responses are dropped', 'raft.tla DropStaleResponse', 'A response whose term is older than currentTerm is dropped without effect; so is a RequestVote response on a non-candidate and an AppendEntries response on a non-leader.', 'choice'),
  r('DEC-2', 'commitIndex never moves back', 'raft.tla issue #19', 'AE-5 raises commitIndex only: a stale AppendEntries whose last new entry is below commitIndex leaves commitIndex as it is.', 'choice'),
  r('DEC-3', 'matchIndex never moves back', 'raft.tla issue #18', 'On success the leader sets matchIndex = max(matchIndex, m.matchIndex) and nextIndex = max(nextIndex, m.matchIndex + 1): a reordered older success moves neither back.', 'choice'),
  r('DEC-4', 'Only the current probe backs off', 'etcd maybeDecrTo', 'A rejection moves nextIndex back only if it answers the current probe (its prevLogIndex is nextIndex - 1); nextIndex then becomes max(prevLogIndex, matchIndex + 1, 1). A stale or duplicated rejection is dropped.', 'choice'),
  r('DEC-5', 'Heartbeats replicate', '§5.2, §5.3', 'The heartbeat timer sends each follower the AppendEntries LEA-3 would send: the entries from nextIndex, none when the follower is caught up (the empty one is the heartbeat). So are the AppendEntries sent on election, on a client command, after a success that leaves more to send, and on a retry.', 'choice'),
  r('DEC-6', 'Batch size is an option', 'Figure 2', 'One AppendEntries carries at most maxEntriesPerAppendEntries entries (default 1, as raft.tla).', 'choice'),
  r('DEC-7', 'Crashed nodes do nothing', '§5.5', 'An event addressed to a crashed node has no effect; a message delivered to it is lost. It keeps only its persistent state (PER-1): term, vote, snapshot and log; and restarts as a follower with commitIndex = lastApplied = snapshotIndex (SNAP-4).', 'choice'),
  r('DEC-8', 'Impossible messages are dropped', '§5.2, §5.3', 'A leader drops an AppendEntries of its own term (Election Safety rules out a second leader), and a success response whose matchIndex is beyond its last index (no AppendEntries it sent in its term could cause one). Only an injected message can carry either.', 'choice'),
  r('DEC-9', 'Timers and clients by role', '§5.2, §8', 'An election timeout on a leader (without checkQuorum or a pending transfer) and a heartbeat timeout on a non-leader have no effect; a client request or read to a non-leader changes no state (it is answered with a redirect, CLI-1); so does a transferLeadership on a non-leader, without the option or to a server that is not a voter of the leader\'s configuration, a reconfigure on a non-leader, and a clientSync without followerReads.', 'choice'),
  r('DEC-11', 'Covered snapshots are acknowledged', 'etcd restore', 'An InstallSnapshot whose lastIncludedIndex is at or below commitIndex is answered done at once and installs nothing: the follower already holds those entries, committed, and installing would apply them twice.', 'choice'),
  r('DEC-12', 'Chunks in order', 'Figure 13', 'A chunk is written only if it continues the partial snapshot of the same lastIncludedIndex and term (offset = length received), or starts one (offset 0, no partial of that snapshot); any other chunk, a first chunk of the snapshot already being received included, is not written. Every reply gives the offset the follower wants next, so a leader that sends the first chunk again (every heartbeat does, SNAP-2) resumes the transfer rather than restarting it. The partial snapshot is volatile.', 'choice'),
  r('DEC-13', 'Snapshot requests in range', '§7', 'A snapshot event takes effect only if snapshotIndex < index <= lastApplied on a live server.', 'choice'),
  r('DEC-14', 'Only voters campaign', 'etcd promotable; dissertation §4.2.2', 'An election timeout on a server that is not a voter of its configuration in force (a learner, a removed server, one not yet added) starts no election or pre-vote. Any server answers RequestVote and PreVote whatever its configuration; only voters\' votes count. Candidates send RequestVote (PreVote) to the voters of their configuration only.', 'choice'),
  r('DEC-15', 'Progress follows the configuration', 'etcd ProgressTracker', 'A leader\'s peers are the members of its configuration in force (voters, old voters, learners) other than itself; it replicates to them and keeps nextIndex/matchIndex for exactly them. A configuration entry it appends at index i gives a new peer nextIndex i and matchIndex 0; a server no longer a member loses its progress, its read acknowledgements and its place in recentlyActive, and a transfer to a server that is no longer a voter (removed or demoted to learner) is abandoned. A response of its term from a server that is not a peer (sent before it was removed) is dropped.', 'choice'),
  r('DEC-10', 'Role-local state is cleared', 'Figure 2', 'Becoming a follower empties votesGranted, nextIndex and matchIndex (and the leader-only recentlyActive, transferee, appliedIndex); becoming a candidate or precandidate empties nextIndex and matchIndex.', 'choice'),
  r('DEC-16', 'leaderCommit is the commitIndex', 'Figure 2', 'The leaderCommit of an AppendEntries is the leader\'s commitIndex.', 'choice'),
  r('DEC-17', 'Applied in the step that commits', 'Figure 2 (ALL-1)', 'A server applies its entries up to commitIndex in the step in which commitIndex rises.', 'choice'),
  r('DEC-18', 'Any number of AppendEntries outstanding', 'Figure 2 (LEA-3)', 'Every trigger sends: LEA-1 on a heartbeat, LEA-3 on a client request, on a success of a follower still behind, and on a retry.', 'choice'),
  r('DEC-19', 'Stale requests are answered', 'Figure 2 (RV-1, AE-1)', 'A RequestVote or AppendEntries of an older term is refused with a reply that carries currentTerm.', 'choice'),
  r('DEC-20', 'A new leader announces itself at once', 'Figure 2 (LEA-1)', 'A candidate that wins the election sends every peer its AppendEntries in the step in which it wins.', 'choice'),
  r('DEC-21', 'A deposing AppendEntries is handled', 'Figure 2 (ALL-2)', 'A leader or candidate that receives an AppendEntries of a newer term becomes a follower of that term (ALL-2), then handles the AppendEntries as a follower and answers it.', 'choice'),
  r('DEC-22', 'A rejection reports the conflict', 'end of §5.3', 'With fastBacktracking, a follower that fails the consistency check answers with conflictTerm and conflictIndex (FB-1), and the leader skips the conflicting term (FB-2).', 'choice'),
  r('DEC-23', 'A follower redirects a client', '§8', 'A server that does not lead answers a client command with a redirect naming the leader it last heard from in its term, if any (CLI-1).', 'choice'),
  r('DEC-24', 'A configuration takes effect when appended', '§6; dissertation §4.1', 'A server uses the last configuration entry in its log, committed or not (CFG-1), not the last one it applied.', 'choice'),
  // The other alternatives of each choice point (spec/choices.ts): the model takes them where a profile or the validator's search asks.
  ...CHOICE_POINTS.flatMap((c) => c.alternatives.slice(1).map((a) => r(a.id, a.title, a.who, a.text, 'choice'))),
];

export type RuleId = string;
export const RULE_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((x) => [x.id, x]));

export function rule(id: string): Rule {
  const found = RULE_BY_ID.get(id);
  if (!found) throw new Error(`unknown rule ID ${id}`);
  return found;
}
