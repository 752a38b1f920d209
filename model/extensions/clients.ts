// Client interaction (§8; dissertation ch. 6; docs/compaction-and-clients.md): the replicated
// key-value state machine with its client table (KV-1, CLI-2), answers after apply (LEA-2),
// redirects to the leader last heard from (CLI-1), and linearizable reads by ReadIndex (CLI-4).
import type { AppendEntriesResponse, NodeId } from '../../spec/schema.js';
import { isKvCommand, sessionOf } from '../../spec/kv.js';
import type { Decorations } from '../hooks.js';
import { type Env, type NodeState, type PendingRead, type Transition, configOf, decide, leaderOf, peersOf } from '../state.js';
import { isQuorum } from '../config.js';
import { execute, valueIn } from '../kv.js';
import { broadcastAppendEntries } from '../core/figure2.js';
import { cite, reply, send, update } from '../core/transition.js';

/**
 * ALL-1 on the key-value state machine: execute from..to in order (KV-1, CLI-2). LEA-2: where this
 * server appended the entry as leader and it is still the entry of that term, answer the client.
 */
function applyEntries(t: Transition, env: Env, from: number, to: number): Transition {
  const s = t.state;
  let next = t;
  let machine = s.machine;
  let executed = false;
  // Copied once per step, and only when an applied index is awaited.
  let awaiting: Map<number, number> | null = null;
  const applied = [...t.applied];
  for (let i = from; i <= to; i++) {
    const e = s.log.entry(i);
    const x = execute(machine, e.command);
    machine = x.machine;
    applied.push({ index: i, term: e.term, command: e.command, result: x.result, duplicate: x.duplicate });
    if (x.duplicate) next = cite(next, 'CLI-2');
    else if (isKvCommand(e.command)) executed = true;
    const awaitedTerm = (awaiting ?? s.awaiting).get(i);
    if (awaitedTerm !== undefined) {
      awaiting ??= new Map(s.awaiting);
      awaiting.delete(i);
      // LEA-2: a different term at i means our command was overwritten: the client gets no answer and retries.
      if (awaitedTerm === e.term) {
        const op = sessionOf(e.command);
        next = reply(cite(next, 'LEA-2'), { type: 'result', node: env.self, client: op?.client ?? null, seq: op?.seq ?? null, index: i, result: x.result, duplicate: x.duplicate });
      }
    }
  }
  next = { ...update(next, { machine, awaiting: awaiting ?? s.awaiting }), applied };
  return executed ? cite(next, 'KV-1') : next;
}

/** CLI-1: the leader of our term, when we know it; a new term, or a server that stops following, knows none. */
const forgetLeader = (t: Transition): Transition => (t.state.leaderId === null ? t : update(t, { leaderId: null }));

/** CLI-4: a response of our term that echoes a read round acknowledges our leadership up to that round (a rejection as much as a success). */
export function acknowledgeReadRound(t: Transition, m: AppendEntriesResponse): Transition {
  if (m.readRound === undefined) return t;
  const l = leaderOf(t.state);
  if (m.readRound <= (l.readAcks[m.from] ?? 0)) return t;
  return cite(update(t, { leader: { ...l, readAcks: { ...l.readAcks, [m.from]: m.readRound } } }), 'CLI-4');
}

export const clients: Decorations = {
  newTerm: forgetLeader,
  forgetLeader,
  /** CLI-1: the sender of an AppendEntries or InstallSnapshot of our term is its leader; redirects name it. */
  heardFromLeader: (t, leaderId) => (t.state.leaderId === leaderId ? t : cite(update(t, { leaderId }), 'CLI-1')),
  /** CLI-1: a leader is its own leaderId. */
  leaderElected: (t, env) => update(t, { leaderId: env.self }),
  /** CLI-4: a leader that steps down drops its pending reads unanswered (it can no longer confirm them); awaiting survives (LEA-2: the commands may still commit). */
  steppedDown: (t, before) => ((before.leader?.pendingReads.length ?? 0) > 0 ? cite(t, 'CLI-4') : t),
  applyEntries,
  /** LEA-2: the client is answered once the entry at `index` is applied, if it is still the entry of this term. */
  commandAppended: (t, index) => update(t, { awaiting: new Map(t.state.awaiting).set(index, t.state.currentTerm) }),
  /** CLI-4: once the leader has started a read round, every AppendEntries carries it: heartbeats, replication and retries alike. */
  decorateAppendEntries: (s, m) => (leaderOf(s).readRound > 0 ? { ...m, readRound: leaderOf(s).readRound } : m),
  /** CLI-4: echo the leader's read round, so that any answer of this term confirms its leadership. */
  decorateAppendResponse: (t, _env, request, _outcome, r) => [t, request.readRound === undefined ? r : { ...r, readRound: request.readRound }],
  appendResponseReceived: acknowledgeReadRound,
  /** DEC-15: a leader whose peers changed keeps the read acknowledgements of its peers only. */
  configurationChanged: (t, env, _config, peersChanged) => (peersChanged ? keepReadAcksOf(t, peersOf(env, t.state)) : t),
};

/** CLI-4: the reads of a leader whose configuration changed keep the acknowledgements of its peers only (DEC-15). */
function keepReadAcksOf(t: Transition, peers: readonly NodeId[]): Transition {
  const l = leaderOf(t.state);
  const readAcks: Record<NodeId, number> = {};
  for (const peer of peers) {
    const acked = l.readAcks[peer];
    if (acked !== undefined) readAcks[peer] = acked;
  }
  return update(t, { leader: { ...l, readAcks } });
}

// ---------------------------------------------------------------------------------------------
// Rows of the table (dispatch.ts)

/** CLI-1 (DEC-9): a non-leader starts nothing and names the leader it last heard from in its term, if any. */
export function redirect(t: Transition, env: Env, client: string | null, seq: number | null): Transition {
  return reply(cite(t, 'CLI-1', 'DEC-9'), { type: 'redirect', node: env.self, client, seq, leader: t.state.leaderId });
}

/**
 * DEC-23b (etcd's proposal forwarding): a follower that knows the leader of its term hands it the
 * command and answers nothing; the leader answers the client once it applies the entry (LEA-2).
 */
export function forwardsToLeader(t: Transition, env: Env): boolean {
  const leader = t.state.leaderId;
  return t.state.role === 'follower' && leader !== null && leader !== env.self && decide(env, 'DEC-23') === 'b';
}

export function forwardCommand(t: Transition, env: Env, command: unknown): Transition {
  return send(cite(t, 'DEC-23b'), { type: 'ClientProposal', from: env.self, to: t.state.leaderId as NodeId, term: t.state.currentTerm, command });
}

/** DEC-23b for a read: the leader of our term serves it as its own and answers the client. */
export function forwardRead(t: Transition, env: Env, r: ReadRequest): Transition {
  return send(cite(t, 'DEC-23b'), { type: 'ForwardedRead', from: env.self, to: t.state.leaderId as NodeId, term: t.state.currentTerm, client: r.client, seq: r.seq, key: r.key });
}

/** CLI-1 for a read (DEC-23 cited where a follower that knows the leader was asked). */
export function redirectRead(t: Transition, env: Env, r: ReadRequest): Transition {
  return redirect(askedToForward(t, env) ? cite(t, 'DEC-23') : t, env, r.client, r.seq);
}

/** Whether DEC-23 was asked here: a follower that knows another leader, under a profile or the validator's search. */
const askedToForward = (t: Transition, env: Env): boolean =>
  env.decide !== undefined && t.state.role === 'follower' && t.state.leaderId !== null && t.state.leaderId !== env.self;

/** CLI-1 for a command: its session, if it has one, names the client (DEC-23 cited where a follower that knows the leader was asked, under a profile or the validator's search). */
export function redirectCommand(t: Transition, env: Env, command: unknown): Transition {
  const op = sessionOf(command);
  return redirect(askedToForward(t, env) ? cite(t, 'DEC-23') : t, env, op?.client ?? null, op?.seq ?? null);
}

/** A read as it reaches a server. */
export interface ReadRequest {
  readonly client: string;
  readonly seq: number;
  readonly key: string;
}

/** CLI-4: a read reaches the leader; it waits, in arrival order, for a read index and a confirmed round. */
export function startRead(t: Transition, r: ReadRequest): Transition {
  return queueRead(cite(t, 'CLI-4'), { client: r.client, seq: r.seq, key: r.key, readIndex: null, round: 0 });
}

/** A read joins the leader's queue. */
export function queueRead(t: Transition, read: PendingRead): Transition {
  const l = leaderOf(t.state);
  return update(t, { leader: { ...l, pendingReads: l.pendingReads.concat(read) } });
}

/** CLI-4: the leader and the peers that acknowledged `round` or a later one are a quorum of its configuration (CFG-2, CFG-5). */
export function readRoundConfirmed(env: Env, s: NodeState, round: number): boolean {
  const acks = leaderOf(s).readAcks;
  return isQuorum(configOf(env, s), (id) => id === env.self || (acks[id] ?? 0) >= round);
}

/** CLI-4: some read has no read index yet, and the leader has committed an entry of its term (so commitIndex is as high as any earlier leader's). */
export const canStartReadRound = (s: NodeState): boolean =>
  s.log.termAt(s.commitIndex) === s.currentTerm && leaderOf(s).pendingReads.some((r) => r.readIndex === null);

/** CLI-4: a read whose round is confirmed and whose read index the state machine has reached. */
export const canServeRead = (env: Env, s: NodeState, r: PendingRead): r is PendingRead & { readonly readIndex: number } =>
  r.readIndex !== null && s.lastApplied >= r.readIndex && readRoundConfirmed(env, s, r.round);

/** CLI-4: the end of a leader's step has work: a read round to start or a read to answer. */
export const hasReadWork = (env: Env, s: NodeState): boolean =>
  canStartReadRound(s) || leaderOf(s).pendingReads.some((r) => canServeRead(env, s, r));

/**
 * CLI-4, first half of the end of a leader's step: the reads without a read index get commitIndex
 * and a new round, and every follower gets the AppendEntries LEA-3 would send, carrying that round.
 * One round per step at most.
 */
export function startReadRounds(t: Transition, env: Env): Transition {
  const s = t.state;
  if (!canStartReadRound(s)) return t;
  const l = leaderOf(s);
  const readRound = l.readRound + 1;
  const pendingReads = l.pendingReads.map((r) => (r.readIndex === null ? { ...r, readIndex: s.commitIndex, round: readRound } : r));
  return broadcastAppendEntries(cite(update(t, { leader: { ...l, readRound, pendingReads } }), 'CLI-4'), env);
}

/** CLI-4, second half: answer, in arrival order, every read that can be answered, from the state machine (a sync, FR-3, through its hook). */
export function serveReads(t: Transition, env: Env): Transition {
  const s = t.state;
  const l = leaderOf(s);
  if (!l.pendingReads.some((r) => canServeRead(env, s, r))) return t;
  let next = cite(t, 'CLI-4');
  const waiting: PendingRead[] = [];
  for (const r of l.pendingReads) {
    if (!canServeRead(env, s, r)) {
      waiting.push(r);
      continue;
    }
    // FR-3: a read without a key is a sync; what it answers is the option's.
    if (r.key === null) {
      next = env.hooks.syncConfirmed(next, env, r);
      continue;
    }
    const result = valueIn(s.machine.data, r.key);
    next = reply(next, { type: 'read', node: env.self, client: r.client, seq: r.seq, key: r.key, index: r.readIndex, result });
  }
  return update(next, { leader: { ...leaderOf(next.state), pendingReads: waiting } });
}
