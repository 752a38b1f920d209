// The client history of a run (LIN-1): which key-value operations the clients invoked, when, and
// what they were told. The linearizability checker (linearizability.ts) takes it from here.
//
// One operation is one (client, seq) (CLI-2): a client retries it, possibly at other servers,
// under the same serial number. It is invoked by the first step that sends it (a clientRequest
// whose command is a KvCommand with client and seq, or a clientRead) and returns at the first
// step whose replies include a `result` or `read` for it. A `redirect` means the operation did
// not start at that server, so it neither invokes nor returns anything. With no answer the
// operation is pending: it may or may not have taken effect. A later `result` for the same
// operation must repeat the first (CLI-2), except a duplicate answered after the client sent a
// newer operation (the table keeps only the latest result); a later `read` answers a retry, which
// is read again, and is checked as one more read from the operation's first send to that answer.
//
// Time. Within one step the event comes first and the replies after it, so the step index alone
// cannot order an invocation against an answer of the same step. Operations use a finer clock:
// the step at index i invokes at time 2i and answers at time 2i + 1. An operation answered in
// step i therefore precedes (in real time) one invoked at step i + 1 (2i + 1 < 2i + 2), but not
// one invoked at step i itself (2i < 2i + 1: they overlap), since that one may be the very
// request the step served.
//
// Indexes (issue 15, ZooKeeper's guarantees, sequential.ts). Asked for, an answered operation
// also carries its first answer's log index: where a `result` says the command was applied, or
// the index a `read` was answered at. A `sync` (ZooKeeper's) is an operation of its own kind
// (SyncOperation): it has no key and no result, only the index it was answered with: a
// `clientSync {node, client, seq}` event sends it, a `sync {node, client, seq, index}` reply
// answers it (FR-3). Syncs share the clients' serial numbers with the other operations.
import { canonicalJson } from '../spec/canonical.js';
import { isKvCommand, sessionOf } from '../spec/kv.js';
import type { ClientReply, Event } from '../spec/schema.js';

/** What an operation asks of its key (KV-1), without the key. */
export type OperationInput =
  | { readonly op: 'get' }
  | { readonly op: 'put'; readonly value: string }
  | { readonly op: 'append'; readonly value: string }
  | { readonly op: 'cas'; readonly expected: string | null; readonly value: string };

/** One client operation of a history. */
export interface Operation {
  readonly client: string;
  readonly seq: number;
  readonly key: string;
  readonly input: OperationInput;
  /** When it was invoked: 2 × the index of the first step that sent it. */
  readonly call: number;
  /** When it returned: 2 × the index of the first step that answered it, + 1; null while pending. */
  readonly ret: number | null;
  /** The result of that first answer (KV-1: a value or null for get, null for put and append, a boolean for cas); null while pending. */
  readonly output: unknown;
  /**
   * Only in a history built with `indexes`, and only once answered: the log index of that first
   * answer (a `result`'s index: where the command was applied; a `read`'s: the index it was read at).
   */
  readonly index?: number;
}

/**
 * A client's sync (ZooKeeper's `sync`): it asks nothing of any key and is answered with an index,
 * the leader's commitIndex once it may answer, which the client's later reads must reach (sequential.ts).
 * Named by (client, seq) like the other operations, and timed the same way.
 */
export interface SyncOperation {
  readonly client: string;
  readonly seq: number;
  /** When it was invoked: 2 × the index of the first step that sent it. */
  readonly call: number;
  /** When it returned: 2 × the index of the first step that answered it, + 1; null while pending. */
  readonly ret: number | null;
  /** The index it was answered with; null while pending. */
  readonly index: number | null;
}

export interface HistoryOptions {
  /** Give every answered operation the `index` of its first answer (ZooKeeper's guarantees need it; LIN-1 does not). */
  readonly indexes?: boolean;
}

/** One step of a run, as far as the history is concerned: its event and the replies it produced. */
export interface HistoryStep {
  readonly index: number;
  readonly event: Event;
  readonly replies: readonly ClientReply[];
  /** The entries the step applied (any server), kept only where the committed log is needed: ZooKeeper's guarantees (followerReads, sequential.ts). */
  readonly applied?: readonly { readonly index: number; readonly command: unknown }[];
}

export interface History {
  /** The operations, in the order they were first sent. */
  readonly operations: Operation[];
  /** The syncs (FR-3), in the order they were first sent; a sync answered again is heeded once (its first answer). */
  readonly syncs: SyncOperation[];
  /** Bad input: the same (client, seq) sent with two different commands (the first one is kept). */
  readonly problems: string[];
  /**
   * Answers that no linearization can explain whatever the order (LIN-1): an operation answered
   * twice with different results, a reply to an operation nobody sent, a read answered for
   * another key.
   */
  readonly violations: string[];
}

/** The step a history time belongs to (see the header: invocations at 2i, answers at 2i + 1). */
export const stepOf = (time: number): number => Math.floor(time / 2);

/** An operation's name in reports: `client:seq`. */
export const operationName = (o: { readonly client: string; readonly seq: number }): string => `${o.client}:${o.seq}`;

/** What a client operation is, without its times: who sent it, and what it asks of which key. */
export interface SentOperation {
  readonly client: string;
  readonly seq: number;
  readonly key: string;
  readonly input: OperationInput;
}

/** The operation a step's event sends, or null when the event sends no client operation. */
function sentBy(event: Event): SentOperation | null {
  if (event.type === 'clientRead') return { client: event.client, seq: event.seq, key: event.key, input: { op: 'get' } };
  if (event.type !== 'clientRequest') return null;
  return operationOf(event.command);
}

/** The operation a command is: a key-value command with client and seq (CLI-2), else null (not a client operation). */
export function operationOf(command: unknown): SentOperation | null {
  const session = sessionOf(command);
  if (session === null || !isKvCommand(command)) return null;
  const c = command;
  switch (c.op) {
    case 'get': return { ...session, key: c.key, input: { op: 'get' } };
    case 'put': return { ...session, key: c.key, input: { op: 'put', value: c.value } };
    case 'append': return { ...session, key: c.key, input: { op: 'append', value: c.value } };
    case 'cas': return { ...session, key: c.key, input: { op: 'cas', expected: c.expected, value: c.value } };
    default: {
      const never: never = c;
      return never;
    }
  }
}

/** What an operation does, as text: the identity of a retried operation (key and input; a log `get` and a ReadIndex read of the same key are the same operation). */
const whatItDoes = (s: SentOperation): string => canonicalJson({ key: s.key, ...s.input });

interface Building {
  client: string;
  seq: number;
  key: string;
  input: OperationInput;
  call: number;
  ret: number | null;
  output: unknown;
  index: number | null;
  readonly what: string;
}

/**
 * The client history of a run: its steps' events (invocations) and replies (answers). Never
 * throws on odd input: conflicting commands are `problems`, impossible answers `violations`.
 */
export function historyOf(steps: Iterable<HistoryStep>, options: HistoryOptions = {}): History {
  const byClient = new Map<string, Map<number, Building>>();
  const order: Building[] = [];
  const problems: string[] = [];
  const violations: string[] = [];
  const find = (client: string, seq: number): Building | undefined => byClient.get(client)?.get(seq);
  const syncs = new Map<string, { client: string; seq: number; call: number; ret: number | null; index: number | null }>();
  /** Per client, the highest seq it has sent so far. */
  const latest = new Map<string, number>();

  for (const { index, event, replies } of steps) {
    if (event.type === 'clientSync') {
      const name = operationName(event);
      latest.set(event.client, Math.max(latest.get(event.client) ?? 0, event.seq));
      const op = find(event.client, event.seq);
      if (op !== undefined) problems.push(`operation ${name} sent as ${op.what} at step ${stepOf(op.call)} and as a sync at step ${index}; the first is kept`);
      else if (!syncs.has(name)) syncs.set(name, { client: event.client, seq: event.seq, call: 2 * index, ret: null, index: null });
    }
    const sent = sentBy(event);
    if (sent !== null) {
      latest.set(sent.client, Math.max(latest.get(sent.client) ?? 0, sent.seq));
      const what = whatItDoes(sent);
      const known = find(sent.client, sent.seq);
      if (known === undefined && syncs.has(operationName(sent))) {
        problems.push(`operation ${operationName(sent)} sent as a sync at step ${stepOf((syncs.get(operationName(sent)) as { call: number }).call)} and as ${what} at step ${index}; the first is kept`);
      } else if (known === undefined) {
        const op: Building = { ...sent, call: 2 * index, ret: null, output: null, index: null, what };
        let seqs = byClient.get(sent.client);
        if (seqs === undefined) byClient.set(sent.client, (seqs = new Map()));
        seqs.set(sent.seq, op);
        order.push(op);
      } else if (known.what !== what) {
        // CLI-2 identifies an operation by (client, seq): two different commands under one name
        // make every later answer ambiguous, so this is the input's fault, not the cluster's.
        problems.push(`operation ${operationName(sent)} sent as ${known.what} at step ${stepOf(known.call)} and as ${what} at step ${index}; the first is kept`);
      }
      // Otherwise a retry: the operation was invoked by its first send.
    }
    for (const reply of replies) {
      if (reply.type === 'redirect' || reply.client === null || reply.seq === null) continue;
      const name = operationName({ client: reply.client, seq: reply.seq });
      const sync = syncs.get(name);
      if (reply.type === 'sync') {
        if (sync === undefined) violations.push(`operation ${name} answered as a sync at step ${index} but no sync ${name} was sent`);
        else if (sync.ret === null) {
          sync.ret = 2 * index + 1;
          sync.index = reply.index;
        }
        // A sync answered again (a retry the leader took twice): the client heeds the first answer.
        continue;
      }
      if (sync !== undefined) {
        violations.push(`sync ${name} answered with a ${reply.type} at step ${index}`);
        continue;
      }
      const op = find(reply.client, reply.seq);
      if (op === undefined) {
        violations.push(`operation ${name} answered ${canonicalJson(reply.result)} at step ${index} but never sent`);
        continue;
      }
      if (reply.type === 'read' && reply.key !== op.key) {
        violations.push(`operation ${name} reads key ${JSON.stringify(op.key)} but was answered for key ${JSON.stringify(reply.key)} at step ${index}`);
        continue;
      }
      if (op.ret === null) {
        op.ret = 2 * index + 1;
        op.output = reply.result;
        op.index = reply.index;
      } else if (reply.type === 'read') {
        // A ReadIndex read is not deduplicated (CLI-4 reads do not go through the client table): each
        // retry the leader took is read again, and answered when its own round confirms, so a later
        // answer may see later writes. The client heeds only the first, but every answer must still
        // be linearizable: it is checked as one more read, sent no earlier than the operation's
        // first send (a window that contains the retry's own, so this adds no false alarm).
        const again: Building = { ...op, ret: 2 * index + 1, output: reply.result, index: reply.index };
        order.push(again);
      } else if (reply.type === 'result' && reply.duplicate && reply.seq < (latest.get(reply.client) ?? 0)) {
        // CLI-2 answers a retry of an operation older than the client's latest from a table that
        // keeps only the latest result (null): the client has moved on, and heeds only the first answer.
      } else if (canonicalJson(op.output) !== canonicalJson(reply.result)) {
        violations.push(`operation ${name} answered ${canonicalJson(op.output)} at step ${stepOf(op.ret)} and ${canonicalJson(reply.result)} at step ${index}`);
      }
    }
  }

  const operations = order.map(({ client, seq, key, input, call, ret, output, index }): Operation =>
    (options.indexes === true && index !== null ? { client, seq, key, input, call, ret, output, index } : { client, seq, key, input, call, ret, output }));
  return { operations, syncs: [...syncs.values()], problems, violations };
}
