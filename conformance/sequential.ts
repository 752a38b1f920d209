// ZooKeeper's guarantees (issue 15; ZK-1 .. ZK-4, properties of the rule catalogue, spec/rules.ts):
// what a cluster that answers reads from any server, followers included, can still promise. Not
// linearizability (LIN-1): a follower that lags answers with an older state. Instead (Hunt et
// al., "ZooKeeper: wait-free coordination for Internet-scale systems", 2010, §2.3):
//
//   ZK-1 writes are linearizable: LIN-1 on the writes alone, the reads left out;
//   ZK-2 a read returns the key's value in the state the committed log gives through the read's
//        index: a stale state is fine, a state that never was is not;
//   ZK-3 FIFO client order: a read's index is at least the index of every read and every write of
//        the same client answered before the read was sent (monotonic reads, read-your-writes);
//   ZK-4 a read is at least as fresh as the same client's syncs answered before it was sent; and
//        a sync, to be worth anything, is at least as fresh as every write (of any client)
//        answered before the sync was sent.
//
// The checker needs more than LIN-1 does: each answered operation's log index (historyOf with
// `indexes`) and the run's committed log, which says what state each index stands for. The log is
// executed with the model's state machine (model/kv.ts), so KV-1 and CLI-2 mean here what they mean
// there. "Before" is real time as in LIN-1 (history.ts): an operation answered at step i precedes
// one sent at step i + 1 or later. A client whose operations overlap (one sent before the previous
// was answered) is held only to the order it could see.
//
// Gets come in two kinds, told apart by the log: a get the committed log holds at its index (a
// `clientRequest` get, answered with a `result`) went through the log and is checked as the writes
// are (ZK-1); any other get was answered from some server's state (a `read`) and is checked by ZK-2.
// Both are reads for ZK-3 and ZK-4.
import { canonicalJson } from '../spec/canonical.js';
import { isKvCommand } from '../spec/kv.js';
import { EMPTY_KV, type KvState } from '../spec/schema.js';
import { execute } from '../model/kv.js';
import { operationName, operationOf, stepOf, type Operation, type OperationInput, type SyncOperation } from './history.js';
import { checkLinearizable, DEFAULT_MAX_STATES } from './linearizability.js';

/** The rules this checker reports (spec/rules.ts), by what they check. */
export const ZK_RULES = {
  linearizableWrites: 'ZK-1',
  readsAStateThatWas: 'ZK-2',
  fifoClientOrder: 'ZK-3',
  syncedReads: 'ZK-4',
} as const;
export type ZkRule = (typeof ZK_RULES)[keyof typeof ZK_RULES];

/** The client side of a run: its operations and syncs, each answered one with its index. */
export interface ClientHistory {
  /** `historyOf(steps, { indexes: true }).operations`. */
  readonly operations: readonly Operation[];
  /** The clients' syncs (FR-3): `historyOf(steps, { indexes: true }).syncs`. */
  readonly syncs?: readonly SyncOperation[];
}

/** What the run committed: the command at each index, and the state before the first one. */
export interface CommittedLog {
  /**
   * The committed entries, in any order, repeats allowed: every entry applied by any server of the
   * run will do (the same index must hold the same command wherever it was applied). The log is
   * the entries from `initial.index + 1` up to the first index missing.
   */
  readonly entries: Iterable<{ readonly index: number; readonly command: unknown }>;
  /** The state machine through `index` (a trace that starts from a snapshot); default: empty, through 0. */
  readonly initial?: { readonly index: number; readonly machine: KvState };
}

export interface ZooKeeperOptions {
  /** ZK-1's search budget per key (LIN-1's maxStates). */
  readonly maxStates?: number;
}

export type ZooKeeperResult =
  /** Every check passed: how many writes (answered or pending, gets through the log included), answered reads and answered syncs were checked. */
  | { readonly status: 'ok'; readonly writes: number; readonly reads: number; readonly syncs: number }
  /** One line per violation, each starting with its rule ID (ZK-1's adds LIN-1's explanation below its line); `rules`: the IDs, each once. */
  | { readonly status: 'violation'; readonly violations: readonly string[]; readonly rules: readonly ZkRule[] }
  /** Nothing violated, but ZK-1's search ran out of its budget on a key. */
  | { readonly status: 'unknown'; readonly reason: string }
  /** The committed log given cannot be checked against: two commands at one index, a gap, a read before its start. */
  | { readonly status: 'bad-input'; readonly problems: readonly string[] };

/** The value of one key: a string, or null when absent. */
type Value = string | null;

/** The committed log, executed: what each index holds and returns, and each key's values over the indexes. */
interface Executed {
  /** The index the initial state stands for; the log starts after it. */
  readonly from: number;
  /** The last index of the log (`from` when it is empty). */
  readonly last: number;
  readonly command: (index: number) => unknown;
  /** What the state machine returned at an index (KV-1, CLI-2). */
  readonly result: (index: number) => unknown;
  /** The key's value through an index, from..last. */
  readonly valueAt: (key: string, index: number) => Value;
  /** Where the key held a value: index ranges, in order. */
  readonly rangesOf: (key: string, value: Value) => Array<{ readonly from: number; readonly to: number }>;
}

/** One change of a key's value: from `index` on, it is `value`. */
interface Change {
  readonly index: number;
  readonly value: Value;
}

function executeLog(log: CommittedLog, problems: string[]): Executed {
  const from = log.initial?.index ?? 0;
  let machine = log.initial?.machine ?? EMPTY_KV;
  const at = new Map<number, unknown>();
  for (const { index, command } of log.entries) {
    if (index <= from) continue; // covered by the initial state
    if (!at.has(index)) at.set(index, command);
    else if (canonicalJson(at.get(index)) !== canonicalJson(command)) {
      problems.push(`the committed log given has two commands at index ${index}: ${canonicalJson(at.get(index))} and ${canonicalJson(command)}`);
    }
  }
  let last = from;
  while (at.has(last + 1)) last++;
  const beyond = [...at.keys()].filter((i) => i > last + 1);
  if (beyond.length > 0) problems.push(`the committed log given has no command at index ${last + 1} but has one at index ${Math.min(...beyond)}`);

  const changes = new Map<string, Change[]>();
  for (const [key, value] of Object.entries(machine.data)) changes.set(key, [{ index: from, value }]);
  const results: unknown[] = [];
  for (let i = from + 1; i <= last; i++) {
    const command = at.get(i);
    const before = machine.data;
    const e = execute(machine, command);
    machine = e.machine;
    results.push(e.result);
    if (!isKvCommand(command)) continue; // KV-1: opaque, changes nothing
    const key = command.key;
    const was = Object.hasOwn(before, key) ? (before[key] as string) : null;
    const now = Object.hasOwn(machine.data, key) ? (machine.data[key] as string) : null;
    if (was === now) continue;
    let list = changes.get(key);
    if (list === undefined) changes.set(key, (list = []));
    list.push({ index: i, value: now });
  }

  const valueAt = (key: string, index: number): Value => {
    const list = changes.get(key) ?? [];
    const k = countUpTo(list.length, (i) => (list[i] as Change).index, index);
    return k === 0 ? null : (list[k - 1] as Change).value;
  };
  const rangesOf = (key: string, value: Value): Array<{ from: number; to: number }> => {
    const list: Change[] = [{ index: from, value: null }, ...(changes.get(key) ?? [])];
    const ranges: Array<{ from: number; to: number }> = [];
    list.forEach((c, k) => {
      const end = k + 1 < list.length ? (list[k + 1] as Change).index - 1 : last;
      if (c.value === value && end >= c.index) ranges.push({ from: c.index, to: end });
    });
    return ranges;
  };
  return { from, last, command: (i) => at.get(i), result: (i) => results[i - from - 1], valueAt, rangesOf };
}

const show = (v: unknown): string => JSON.stringify(v);
const showValue = (v: Value): string => (v === null ? 'absent' : JSON.stringify(v));

function describeInput(key: string, input: OperationInput): string {
  switch (input.op) {
    case 'get': return `get ${show(key)}`;
    case 'put': return `put ${show(key)} ${show(input.value)}`;
    case 'append': return `append ${show(key)} ${show(input.value)}`;
    case 'cas': return `cas ${show(key)} ${show(input.expected)} -> ${show(input.value)}`;
    default: {
      const never: never = input;
      return never;
    }
  }
}

/** `c2:1 get "x" (sent at step 4, returned "a" at step 5)`. */
function describe(op: Operation): string {
  const when = op.ret === null ? 'pending' : `returned ${show(op.output)} at step ${stepOf(op.ret)}`;
  return `${operationName(op)} ${describeInput(op.key, op.input)} (sent at step ${stepOf(op.call)}, ${when})`;
}

/** `c2:1 get "x" (returned "a" at step 5)`: an operation named as the one another is measured against. */
function describeAnswer(op: Operation | SyncOperation): string {
  if (!('key' in op)) return `${operationName(op)} sync (returned at step ${stepOf(op.ret as number)})`;
  return `${operationName(op)} ${describeInput(op.key, op.input)} (returned ${show(op.output)} at step ${stepOf(op.ret as number)})`;
}

const describeSync = (s: SyncOperation): string => `${operationName(s)} sync (sent at step ${stepOf(s.call)}, returned at step ${stepOf(s.ret as number)})`;

/** An answered operation with its index: the only kind the checks below measure. */
type Answered<T> = T & { readonly ret: number; readonly index: number };

function answered(op: Operation): op is Answered<Operation> {
  if (op.ret === null) return false;
  if (op.index === undefined) {
    throw new TypeError(`operation ${operationName(op)} was answered but has no index: build the history with historyOf(steps, { indexes: true })`);
  }
  return true;
}

const answeredSync = (s: SyncOperation): s is Answered<SyncOperation> => s.ret !== null && s.index !== null;

/** How many of the first `n` values `at(0) <= at(1) <= ...` are at most `bound` (a binary search). */
function countUpTo(n: number, at: (i: number) => number, bound: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) <= bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For answered operations: a lookup of the one with the highest index among those answered before
 * a time (null when none was). Sorted by answer once, with the running highest, so each lookup is a
 * binary search.
 */
function highestAnsweredBefore<T extends { readonly ret: number; readonly index: number }>(candidates: readonly T[]): (time: number) => T | null {
  const sorted = [...candidates].sort((a, b) => a.ret - b.ret);
  const best: T[] = [];
  for (const c of sorted) best.push(best.length > 0 && (best[best.length - 1] as T).index >= c.index ? (best[best.length - 1] as T) : c);
  return (time) => {
    const k = countUpTo(sorted.length, (i) => (sorted[i] as T).ret, time - 1);
    return k === 0 ? null : (best[k - 1] as T);
  };
}

/** Answered operations grouped by client, each group as a highestAnsweredBefore lookup. */
function byClient<T extends { readonly client: string; readonly ret: number; readonly index: number }>(ops: Iterable<T>): (client: string, time: number) => T | null {
  const groups = new Map<string, T[]>();
  for (const op of ops) {
    const list = groups.get(op.client);
    if (list === undefined) groups.set(op.client, [op]);
    else list.push(op);
  }
  const lookups = new Map([...groups].map(([client, list]) => [client, highestAnsweredBefore(list)] as const));
  return (client, time) => lookups.get(client)?.(time) ?? null;
}

/** Where a key held a value, in words: `"b" at indexes 2..3`, `"b" from index 2 on`, or that it never did. */
function whereItWas(log: Executed, key: string, value: Value): string {
  const ranges = log.rangesOf(key, value);
  if (ranges.length === 0) return `${show(key)} is never ${showValue(value)} in the committed log (indexes ${log.from}..${log.last})`;
  const text = ranges.slice(0, 3).map((r) => (r.to === log.last ? `from index ${r.from} on` : r.from === r.to ? `at index ${r.from}` : `at indexes ${r.from}..${r.to}`));
  return `${show(key)} is ${showValue(value)} ${text.join(', ')}${ranges.length > 3 ? ', ...' : ''}`;
}

/**
 * Checks a client history against ZooKeeper's guarantees (ZK-1 .. ZK-4, see the header), given
 * the run's committed log. Deterministic; never throws on what the run did (only on a history built
 * without indexes).
 */
export function checkZooKeeper(history: ClientHistory, log: CommittedLog, options: ZooKeeperOptions = {}): ZooKeeperResult {
  const problems: string[] = [];
  const executed = executeLog(log, problems);
  const { from, last } = executed;

  // Through the log: writes (answered or pending) and the gets the log holds at their index.
  const throughLog: Operation[] = [];
  const logAnswers: Answered<Operation>[] = [];
  const reads: Answered<Operation>[] = [];
  const isLogGet = (op: Answered<Operation>): boolean => {
    const o = operationOf(executed.command(op.index));
    return o !== null && o.client === op.client && o.seq === op.seq && o.input.op === 'get';
  };
  for (const op of history.operations) {
    const done = answered(op);
    if (op.input.op !== 'get') {
      throughLog.push(op);
      if (done) logAnswers.push(op);
    } else if (done && isLogGet(op)) {
      throughLog.push(op);
      logAnswers.push(op);
    } else if (done) reads.push(op);
    // A pending get asks nothing of anyone.
  }
  const syncs = (history.syncs ?? []).filter(answeredSync);

  const violations: string[] = [];
  const W = ZK_RULES.linearizableWrites;

  // ZK-1, first: an answer through the log names the index it was applied at, so the committed log
  // must hold that operation there, and the state machine must return there what the client was told.
  for (const op of logAnswers) {
    if (op.index > last || op.index <= from) {
      violations.push(`${W} ${describe(op)} was answered with index ${op.index}, outside the committed log (indexes ${from + 1}..${last})`);
      continue;
    }
    const command = executed.command(op.index);
    const o = operationOf(command);
    if (o === null || o.client !== op.client || o.seq !== op.seq || o.key !== op.key || canonicalJson(o.input) !== canonicalJson(op.input)) {
      violations.push(`${W} ${describe(op)} was answered with index ${op.index}, where the committed log holds ${canonicalJson(command)}`);
      continue;
    }
    const result = executed.result(op.index);
    if (canonicalJson(result) !== canonicalJson(op.output)) {
      violations.push(`${W} ${describe(op)} was answered with index ${op.index}, where the state machine returns ${show(result)}`);
    }
  }
  // ZK-1, then: the writes alone are linearizable.
  let unknown: string | null = null;
  const lin = checkLinearizable(throughLog, { initial: log.initial?.machine.data ?? {}, maxStates: options.maxStates ?? DEFAULT_MAX_STATES });
  if (lin.status === 'violation') violations.push(`${W} the writes on key ${show(lin.key)} are not linearizable, the reads left out:\n${lin.explanation}`);
  else if (lin.status === 'unknown') unknown = `${W} ${lin.reason}`;

  // ZK-2: a read returns the key's value through its index, as the committed log gives it.
  const R = ZK_RULES.readsAStateThatWas;
  for (const op of reads) {
    if (op.index < from) {
      problems.push(`${describe(op)} was answered with index ${op.index}, before the committed log given starts (after index ${from}): the state there is unknown`);
      continue;
    }
    if (op.index > last) {
      violations.push(`${R} ${describe(op)} was answered with index ${op.index}, beyond the committed log (through index ${last}): no server applies an entry that is not committed`);
      continue;
    }
    const value = executed.valueAt(op.key, op.index);
    if (canonicalJson(op.output) === canonicalJson(value)) continue;
    const head = `${R} ${describe(op)} was answered with index ${op.index}, where ${show(op.key)} is ${showValue(value)}`;
    if (typeof op.output !== 'string' && op.output !== null) {
      violations.push(`${head}; a read returns a string or null (KV-1)`);
      continue;
    }
    // A value the key takes only later: the answer names an index below the state it was read from.
    const later = executed.rangesOf(op.key, op.output).some((r) => r.from > op.index);
    violations.push(`${head}; ${whereItWas(executed, op.key, op.output)}${later ? ' (a later state: the answer\'s index is below the state it was read from)' : ''}`);
  }

  // ZK-3 and ZK-4, per client. What a client has seen: the first answer of each of its operations
  // (a read answered again, CLI-4, is heeded once) and of each of its syncs.
  const F = ZK_RULES.fifoClientOrder;
  const S = ZK_RULES.syncedReads;
  const firsts = new Map<string, Answered<Operation>>();
  for (const op of [...logAnswers, ...reads]) {
    const name = operationName(op);
    const known = firsts.get(name);
    if (known === undefined || op.ret < known.ret) firsts.set(name, op);
  }
  const seenBefore = byClient(firsts.values());
  const syncedBefore = byClient(syncs);

  const allReads = [...reads, ...logAnswers.filter((op) => op.input.op === 'get')].sort((a, b) => a.ret - b.ret || a.call - b.call);
  for (const op of allReads) {
    const before = seenBefore(op.client, op.call);
    if (before !== null && before.index > op.index) {
      const why = before.input.op === 'get' ? "the same client's read answered before it was sent: its reads went back" : "the same client's write answered before it was sent: it does not see its own write";
      violations.push(`${F} ${describe(op)} has index ${op.index}, below index ${before.index} of ${describeAnswer(before)}, ${why}`);
    }
  }
  for (const op of allReads) {
    const sync = syncedBefore(op.client, op.call);
    if (sync !== null && sync.index > op.index) {
      violations.push(`${S} ${describe(op)} has index ${op.index}, below index ${sync.index} of ${describeAnswer(sync)}, the same client's sync answered before it was sent`);
    }
  }
  // A sync stands for "everything done before me": it must reach every write answered before it was sent.
  const writtenBefore = highestAnsweredBefore(logAnswers.filter((op) => op.input.op !== 'get'));
  for (const s of syncs) {
    const write = writtenBefore(s.call);
    if (write !== null && write.index > s.index) {
      violations.push(`${S} ${describeSync(s)} has index ${s.index}, below index ${write.index} of ${describeAnswer(write)}, a write answered before the sync was sent: a read after the sync may miss it`);
    }
  }

  if (problems.length > 0) return { status: 'bad-input', problems };
  if (violations.length > 0) {
    const rules = [...new Set(violations.map((v) => v.slice(0, v.indexOf(' ')) as ZkRule))];
    return { status: 'violation', violations, rules };
  }
  if (unknown !== null) return { status: 'unknown', reason: unknown };
  return { status: 'ok', writes: throughLog.length, reads: allReads.length, syncs: syncs.length };
}
