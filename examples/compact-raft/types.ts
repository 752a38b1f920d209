// The shapes this example exchanges with its harness, written out here rather than imported, as
// a user's implementation would: the messages and client replies of docs/trace-format.md, and the
// node state fields a trace can observe. Nothing here depends on the rest of the repository.

export type NodeId = string;

/** A log entry: the term it was created in and an opaque command (Figure 2). */
export interface Entry {
  term: number;
  command: unknown;
}

export interface RequestVote {
  type: 'RequestVote';
  from: NodeId;
  to: NodeId;
  term: number;
  candidateId: NodeId;
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface RequestVoteResponse {
  type: 'RequestVoteResponse';
  from: NodeId;
  to: NodeId;
  term: number;
  voteGranted: boolean;
}

export interface AppendEntries {
  type: 'AppendEntries';
  from: NodeId;
  to: NodeId;
  term: number;
  leaderId: NodeId;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}

/** `matchIndex` (prevLogIndex + len(entries) on success, 0 on failure) and `prevLogIndex` (of the
 * request answered) are not in Figure 2: they let the leader match a response to its request. */
export interface AppendEntriesResponse {
  type: 'AppendEntriesResponse';
  from: NodeId;
  to: NodeId;
  term: number;
  success: boolean;
  matchIndex: number;
  prevLogIndex: number;
}

export type Message = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse;

/** Answers to clients (§8). Commands here are opaque strings, so `client` and `seq` are null. */
export type Reply =
  | { type: 'redirect'; node: NodeId; client: null; seq: null; leader: NodeId | null }
  | { type: 'result'; node: NodeId; client: null; seq: null; index: number; result: null; duplicate: false };

export type Role = 'follower' | 'candidate' | 'leader';

/** Every field of a node that a trace records (docs/trace-format.md, "Node state"). */
export interface NodeView {
  role: Role;
  currentTerm: number;
  votedFor: NodeId | null;
  log: Entry[];
  commitIndex: number;
  lastApplied: number;
  nextIndex: Record<NodeId, number>;
  matchIndex: Record<NodeId, number>;
  votesGranted: NodeId[];
  leaderId: NodeId | null;
}

/** What one event made a node do: the messages it sent and the client replies it gave. */
export interface Output {
  sent: Message[];
  replies: Reply[];
}
