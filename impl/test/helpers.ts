// Builders for etcd-style tests: a server in a given state, the messages it receives, and the
// messages we expect it to send. Defaults describe a 3-server cluster s1, s2, s3.
import type { AppendEntries, AppendEntriesResponse, Entry, NodeId, Observation, ProtocolOptions, RequestVote, RequestVoteResponse } from '../../spec/schema.js';
import { RaftNode } from '../index.js';

export const S3 = ['s1', 's2', 's3'] as const;
export const S5 = ['s1', 's2', 's3', 's4', 's5'] as const;

/** A server `id` of `servers`, starting from `state` (any subset of a NodeState). */
export function server(id: NodeId, state: Observation = {}, servers: readonly NodeId[] = S3, options?: ProtocolOptions): RaftNode {
  return new RaftNode({ id, servers, ...(options ? { options } : {}) }, state);
}

/** A log with entries of these terms; the command at index i is `x<i>` unless given. */
export const entries = (...terms: number[]): Entry[] => terms.map((term, k) => ({ term, command: `x${k + 1}` }));

/** An AppendEntries from s1 (the leader) to s2 unless told otherwise; leaderId follows `from`. */
export function ae(f: Partial<Omit<AppendEntries, 'type' | 'leaderId'>> = {}): AppendEntries {
  const from = f.from ?? 's1';
  return { type: 'AppendEntries', from, to: 's2', term: 1, leaderId: from, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, ...f };
}

/** An AppendEntries response from s2 to s1 (the leader) unless told otherwise. */
export function aer(f: Partial<Omit<AppendEntriesResponse, 'type'>> = {}): AppendEntriesResponse {
  return { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: true, matchIndex: 0, prevLogIndex: 0, ...f };
}

/** A RequestVote from s2 to s1 unless told otherwise; candidateId follows `from`. */
export function rv(f: Partial<Omit<RequestVote, 'type' | 'candidateId'>> = {}): RequestVote {
  const from = f.from ?? 's2';
  return { type: 'RequestVote', from, to: 's1', term: 1, candidateId: from, lastLogIndex: 0, lastLogTerm: 0, ...f };
}

/** A RequestVote response from s2 to s1 (the candidate) unless told otherwise. */
export function rvr(f: Partial<Omit<RequestVoteResponse, 'type'>> = {}): RequestVoteResponse {
  return { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true, ...f };
}
