// Follower reads (issue 15; docs/follower-reads.md): FR-1 .. FR-4. ZooKeeper's guarantees instead
// of linearizable reads (Hunt et al., "ZooKeeper: wait-free coordination for Internet-scale
// systems", 2010, §2.3): any server answers a read at once from the state it has applied, unless
// it is behind what the client has already seen (the read's `after`, FR-4); a client that needs a
// current read first asks the leader for a sync, answered through CLI-4's ReadIndex machinery (or
// LR-2's lease) as a read without a key. What a run must then satisfy is ZK-1 .. ZK-4
// (conformance/sequential.ts), not LIN-1.
import type { Decorations } from '../hooks.js';
import type { NodeInput } from '../../spec/input.js';
import { type Env, type NodeState, type PendingRead, type Transition } from '../state.js';
import { queueRead } from '../extensions/clients.js';
import { cite, reply } from '../core/transition.js';
import { valueIn } from '../kv.js';

type ReadInput = Extract<NodeInput, { type: 'clientRead' }>;
type SyncInput = Extract<NodeInput, { type: 'clientSync' }>;

/** FR-4: the index the client says it has seen (0 when it says nothing). */
const afterOf = (r: ReadInput): number => r.after ?? 0;

/** FR-4: a server relies on the client's `after` wherever a read carries one. */
const relyOnClient = (t: Transition, r: ReadInput): Transition => (afterOf(r) > 0 ? cite(t, 'FR-4') : t);

/** FR-1: this server has applied everything the client has seen, so its state is not older than one the client saw. */
export const hasAppliedThrough = (s: NodeState, r: ReadInput): boolean => s.lastApplied >= afterOf(r);

/** FR-1: the read is answered now from the applied state: index = lastApplied, the key's value there. No other server is asked. */
export function answerFromState(t: Transition, env: Env, r: ReadInput): Transition {
  const s = t.state;
  const result = valueIn(s.machine.data, r.key);
  return reply(relyOnClient(cite(t, 'FR-1'), r), { type: 'read', node: env.self, client: r.client, seq: r.seq, key: r.key, index: s.lastApplied, result });
}

/** FR-2 (CLI-1): behind the client: no answer from this state, a redirect naming the leader it knows; nothing changes. */
export function redirectBehind(t: Transition, env: Env, r: ReadInput): Transition {
  return reply(relyOnClient(cite(t, 'FR-2', 'CLI-1'), r), { type: 'redirect', node: env.self, client: r.client, seq: r.seq, leader: t.state.leaderId });
}

/** FR-3 (CLI-1): a server that does not lead cannot confirm a sync: a redirect naming the leader it knows. */
export function redirectSync(t: Transition, env: Env, r: SyncInput): Transition {
  return reply(cite(t, 'FR-3', 'CLI-1'), { type: 'redirect', node: env.self, client: r.client, seq: r.seq, leader: t.state.leaderId });
}

/** FR-3, CLI-4: a sync joins the leader's read queue as a read without a key, to get a read index and a confirmed round. */
export function startSync(t: Transition, r: SyncInput): Transition {
  return queueRead(cite(t, 'FR-3', 'CLI-4'), { client: r.client, seq: r.seq, key: null, readIndex: null, round: 0 });
}

/** FR-3, LR-2: under a lease the sync takes commitIndex as its read index at once, and needs no round. */
export function startLeaseSync(t: Transition, r: SyncInput): Transition {
  return queueRead(cite(t, 'FR-3', 'LR-2'), { client: r.client, seq: r.seq, key: null, readIndex: t.state.commitIndex, round: 0 });
}

export const followerReads: Decorations = {
  /** FR-3: a sync whose read could be answered now is answered with its read index. */
  syncConfirmed: (t: Transition, env: Env, read: PendingRead & { readonly readIndex: number }) =>
    reply(cite(t, 'FR-3'), { type: 'sync', node: env.self, client: read.client, seq: read.seq, index: read.readIndex }),
};
