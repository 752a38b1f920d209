// LIN-1: is a client history linearizable against the key-value specification (KV-1)? That is,
// is there one order of its operations, consistent with real time (an operation that returned
// before another was invoked comes first), in which each operation, executed on the key-value
// store in that order, returns what its client was told?
//
// The search is Wing and Gong's (1993): repeatedly pick an operation that may take effect next
// (one invoked before the earliest return among those not placed yet), execute it if its result
// agrees, and backtrack when none can. Lowe's memoization (2017) prunes it: two partial orders that
// placed the same set of operations and left the key with the same value have the same futures,
// so each (set, value) is explored once. As porcupine does (github.com/anishathalye/porcupine),
// the history is split by key first: every KV-1 operation touches one key, and a history is
// linearizable exactly when each key's sub-history is (linearizability is local, Herlihy and
// Wing 1990), so the exponential search runs on many small histories instead of one large one.
//
// Pending operations (never answered) may or may not have taken effect: they return "at
// infinity" with any result, so they can be placed anywhere after their invocation or not at all
// (placing them last, after every answered operation, is always possible and changes nothing that
// was observed). The search succeeds as soon as every answered operation is placed. A pending
// get changes nothing and can return anything, so it is left out of the search altogether.
//
// One reduction on top (a partial-order reduction, sound by the argument in `searchKey`): an
// answered read-only operation (a get, a cas answered false) that agrees with the current value
// is placed at once and alone, without trying the other candidates first or after it. Reads are
// most of a client history, and this keeps them from multiplying the orders tried.
import type { Operation, OperationInput } from './history.js';
import { operationName, stepOf } from './history.js';

export type { Operation } from './history.js';

export interface CheckOptions {
  /** The value of each key before the history (a trace that starts with applied state); absent keys start absent. */
  readonly initial?: Readonly<Record<string, string>>;
  /** How many (placed set, value) states the search may visit per key before it gives up with 'unknown'. */
  readonly maxStates?: number;
}

export const DEFAULT_MAX_STATES = 1_000_000;

export type LinearizabilityResult =
  /** Every key's operations can be ordered: how many operations and keys were checked. */
  | { readonly status: 'ok'; readonly operations: number; readonly keys: number }
  /** The first key (in order of first invocation) whose operations no order explains, with that key's operations. */
  | { readonly status: 'violation'; readonly key: string; readonly explanation: string; readonly operations: Operation[] }
  /** No violation was found, but the search on `key` ran out of its budget. */
  | { readonly status: 'unknown'; readonly key: string; readonly reason: string };

/** The value of one key: a string, or null when absent. */
type Value = string | null;

/** KV-1 on one key: what the operation returns, and the key's value after it. */
function execute(value: Value, input: OperationInput): { readonly result: Value | boolean; readonly next: Value } {
  switch (input.op) {
    case 'get': return { result: value, next: value };
    case 'put': return { result: null, next: input.value };
    case 'append': return { result: null, next: (value ?? '') + input.value };
    case 'cas': {
      const set = value === input.expected;
      return { result: set, next: set ? input.value : value };
    }
    default: {
      const never: never = input;
      return never;
    }
  }
}

/** Whether the answer a client got is the result KV-1 gives (a pending operation accepts any). */
const agrees = (op: Operation, result: Value | boolean): boolean => op.ret === null || op.output === result;

/**
 * Whether an operation, wherever its answer agrees, leaves the value as it found it: a get, a cas
 * answered false, a cas answered true whose new value is the one it expected. Not a pending
 * operation (placed early it might do nothing where, placed later, it would have taken effect),
 * nor a put of the value already there (placed later, it might have overwritten another).
 */
const changesNothing = (op: Operation): boolean =>
  op.ret !== null && (op.input.op === 'get' || (op.input.op === 'cas' && (op.output === false || op.input.expected === op.input.value)));

/**
 * Checks a history, key by key, in the order each key was first invoked. A violation on any key
 * wins over running out of budget on another. Deterministic.
 */
export function checkLinearizable(ops: readonly Operation[], options: CheckOptions = {}): LinearizabilityResult {
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  for (const op of ops) {
    if (op.ret !== null && !(op.ret > op.call)) {
      throw new RangeError(`operation ${operationName(op)} returns at ${op.ret}, not after its call at ${op.call}`);
    }
  }
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  let unknown: LinearizabilityResult | null = null;
  for (const [key, keyOps] of byKey) {
    const start: Value = options.initial !== undefined && Object.hasOwn(options.initial, key) ? (options.initial[key] as string) : null;
    const outcome = searchKey(keyOps, maxStates, start);
    if (outcome.kind === 'violation') {
      return { status: 'violation', key, explanation: explain(key, keyOps, outcome.searched, outcome.longest, start), operations: keyOps };
    }
    if (outcome.kind === 'unknown' && unknown === null) {
      unknown = {
        status: 'unknown', key,
        reason: `gave up on key ${JSON.stringify(key)} after ${maxStates} states (maxStates) without finding an order of its ${keyOps.length} operations or ruling every order out`,
      };
    }
  }
  return unknown ?? { status: 'ok', operations: ops.length, keys: byKey.size };
}

type KeyOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'unknown' }
  /** `searched`: the operations the search ran on; `longest`: indexes into it of the longest order found in which every result agrees. */
  | { readonly kind: 'violation'; readonly searched: readonly Operation[]; readonly longest: readonly number[] };

const NIL = -1;

/**
 * Wing and Gong's search with Lowe's memoization on one key's operations.
 *
 * The history is a doubly linked list of call and return entries in time order (calls before
 * returns at equal times, so that an operation invoked when another returns overlaps it). The
 * operations that may take effect next are exactly the calls before the first return entry
 * still in the list. Placing an operation unlinks its call and return entries ("lift"); undoing it
 * links them back in reverse order, which restores the list exactly because lifts are undone last
 * first. The list, the bitset and the stack are mutated in place: each step costs the length of the
 * scan plus the bitset's words, never a copy of the history. The search is depth first, so
 * configurations on the stack are never reached again (each placement grows the set): a
 * configuration found in the cache was explored to the end and failed.
 */
function searchKey(keyOps: readonly Operation[], maxStates: number, start: Value): KeyOutcome {
  const ops = keyOps.filter((op) => !(op.ret === null && op.input.op === 'get'));
  const n = ops.length;
  let completed = 0;
  for (const op of ops) if (op.ret !== null) completed++;
  if (completed === 0) return { kind: 'ok' };

  // Entries: node 0 is the head; pending operations have no return entry (it would be at infinity,
  // after every other entry, and is never reached before every answered operation is placed).
  const entries: Array<{ readonly time: number; readonly isCall: boolean; readonly op: number }> = [];
  ops.forEach((op, i) => {
    entries.push({ time: op.call, isCall: true, op: i });
    if (op.ret !== null) entries.push({ time: op.ret, isCall: false, op: i });
  });
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const m = entries.length;
  const next = new Int32Array(m + 1);
  const prev = new Int32Array(m + 1);
  const nodeOp = new Int32Array(m + 1).fill(NIL);
  const nodeIsCall = new Uint8Array(m + 1);
  const callNode = new Int32Array(n);
  const returnNode = new Int32Array(n).fill(NIL);
  entries.forEach((e, i) => {
    const node = i + 1;
    nodeOp[node] = e.op;
    nodeIsCall[node] = e.isCall ? 1 : 0;
    if (e.isCall) callNode[e.op] = node;
    else returnNode[e.op] = node;
  });
  for (let node = 0; node <= m; node++) {
    next[node] = node < m ? node + 1 : NIL;
    prev[node] = node - 1;
  }
  const unlink = (node: number): void => {
    const p = prev[node] as number;
    const q = next[node] as number;
    next[p] = q;
    if (q !== NIL) prev[q] = p;
  };
  const relink = (node: number): void => {
    const q = next[node] as number;
    next[prev[node] as number] = node;
    if (q !== NIL) prev[q] = node;
  };
  const lift = (op: number): void => {
    unlink(callNode[op] as number);
    const r = returnNode[op] as number;
    if (r !== NIL) unlink(r);
  };
  const unlift = (op: number): void => {
    const r = returnNode[op] as number;
    if (r !== NIL) relink(r);
    relink(callNode[op] as number);
  };

  // Lowe's cache: the placed set (a bitset, one char per 16 operations) and the key's value,
  // interned to a number so that long appended values are stored once.
  const placed = new Uint16Array(Math.ceil(n / 16));
  const valueIds = new Map<Value, number>();
  const valueId = (v: Value): number => {
    let id = valueIds.get(v);
    if (id === undefined) valueIds.set(v, (id = valueIds.size));
    return id;
  };
  const seen = new Set<string>();
  const stateKey = (v: Value): string => {
    const id = valueId(v);
    return String.fromCharCode(...placed, id & 0xffff, id >>> 16);
  };
  const setBit = (op: number): void => { placed[op >>> 4] = (placed[op >>> 4] as number) | (1 << (op & 15)); };
  const clearBit = (op: number): void => { placed[op >>> 4] = (placed[op >>> 4] as number) & ~(1 << (op & 15)); };

  const stackOp = new Int32Array(n);
  const stackValue: Value[] = new Array<Value>(n).fill(null);
  let depth = 0;
  let placedCompleted = 0;
  let longest: number[] = [];
  let value: Value = start;

  /** Place operation i, which agrees and leaves `after`, unless that configuration was seen. */
  const placeIfNew = (i: number, after: Value): 'placed' | 'seen' | 'budget' => {
    setBit(i);
    const key = stateKey(after);
    if (seen.has(key)) {
      clearBit(i);
      return 'seen';
    }
    if (seen.size >= maxStates) return 'budget';
    seen.add(key);
    stackOp[depth] = i;
    stackValue[depth] = value;
    depth++;
    value = after;
    lift(i);
    if ((ops[i] as Operation).ret !== null) placedCompleted++;
    if (depth > longest.length) longest = Array.from(stackOp.subarray(0, depth));
    return 'placed';
  };

  // An answered operation that changes nothing wherever it agrees (`changesNothing`) and agrees
  // now can come first in any order that works from the current configuration: wherever such an
  // order places it, it changed nothing the others see, and no unplaced operation had to precede
  // it (it is a candidate: no return entry comes before its call). So when there is one, it is the
  // only one tried, and if it fails (or leads to a configuration in the cache, which failed) the
  // whole configuration fails.
  const readOnlyCandidate = (): number => {
    for (let k = next[0] as number; k !== NIL && nodeIsCall[k] === 1; k = next[k] as number) {
      const op = ops[nodeOp[k] as number] as Operation;
      if (changesNothing(op) && agrees(op, execute(value, op.input).result)) return nodeOp[k] as number;
    }
    return NIL;
  };

  let fresh = true; // the current configuration was just reached
  let node: number = NIL; // the entry to try next in it; a return entry or NIL: none left
  for (;;) {
    if (placedCompleted === completed) return { kind: 'ok' };
    if (fresh) {
      fresh = false;
      const alone = readOnlyCandidate();
      if (alone === NIL) node = next[0] as number;
      else {
        const placed = placeIfNew(alone, value);
        if (placed === 'budget') return { kind: 'unknown' };
        fresh = placed === 'placed';
        node = NIL;
        continue;
      }
    }
    if (node !== NIL && nodeIsCall[node] === 1) {
      const i = nodeOp[node] as number;
      const op = ops[i] as Operation;
      const { result, next: after } = execute(value, op.input);
      if (agrees(op, result)) {
        const placed = placeIfNew(i, after);
        if (placed === 'budget') return { kind: 'unknown' };
        if (placed === 'placed') {
          fresh = true;
          continue;
        }
      }
      node = next[node] as number;
      continue;
    }
    // A return entry: the operation it ends is not placed, and everything after it was invoked
    // later, so no operation may come next: undo the last placement and try the one after it
    // (or keep undoing if it changed nothing: see above).
    if (depth === 0) return { kind: 'violation', searched: ops, longest };
    depth--;
    const i = stackOp[depth] as number;
    const op = ops[i] as Operation;
    value = stackValue[depth] as Value;
    clearBit(i);
    unlift(i);
    if (op.ret !== null) placedCompleted--;
    node = changesNothing(op) ? NIL : (next[callNode[i] as number] as number);
  }
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const showValue = (v: Value): string => (v === null ? 'absent' : JSON.stringify(v));

function describeInput(input: OperationInput): string {
  switch (input.op) {
    case 'get': return 'get';
    case 'put': return `put ${JSON.stringify(input.value)}`;
    case 'append': return `append ${JSON.stringify(input.value)}`;
    case 'cas': return `cas ${JSON.stringify(input.expected)} -> ${JSON.stringify(input.value)}`;
    default: {
      const never: never = input;
      return never;
    }
  }
}

/** `c1:2 put "a" (sent at step 3, returned null at step 5)`. */
export function describeOperation(op: Operation): string {
  const when = op.ret === null ? 'pending' : `returned ${show(op.output)} at step ${stepOf(op.ret)}`;
  return `${operationName(op)} ${describeInput(op.input)} (sent at step ${stepOf(op.call)}, ${when})`;
}

/**
 * Why a key's history is not linearizable, in words: the longest order found in which every
 * result agrees, then the operation that must come next (the earliest answered one not placed)
 * and, for each operation that could come next, what it would have returned instead.
 */
function explain(key: string, keyOps: readonly Operation[], ops: readonly Operation[], longest: readonly number[], start: Value): string {
  const lines: string[] = [`key ${JSON.stringify(key)}: no order of its ${keyOps.length} operations, consistent with when they were sent and answered, gives every operation the result it returned (LIN-1).`];
  let value: Value = start;
  const inPrefix = new Set(longest);
  if (longest.length > 0) {
    lines.push(`The longest order found in which every result agrees has ${longest.length} operation${longest.length === 1 ? '' : 's'}:`);
    longest.forEach((i, k) => {
      const op = ops[i] as Operation;
      value = execute(value, op.input).next;
      lines.push(`  ${k + 1}. ${describeOperation(op)}; then the key is ${showValue(value)}`);
    });
  }
  // The earliest return among the operations not placed bounds which ones may come next.
  let first: Operation | null = null;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Operation;
    if (inPrefix.has(i) || op.ret === null) continue;
    if (first === null || (first.ret as number) > op.ret) first = op;
  }
  if (first === null) return lines.join('\n'); // unreachable: the search fails only with an answered operation left
  const bound = first.ret as number;
  lines.push(longest.length > 0
    ? `After it, ${operationName(first)} must take effect before it returned at step ${stepOf(bound)}, but no operation sent by then can come next:`
    : `No order can even start: ${operationName(first)} must take effect before it returned at step ${stepOf(bound)}, but no operation sent by then can come first (the key starts ${start === null ? 'absent' : `as ${JSON.stringify(start)}`}):`);
  ops.forEach((op, i) => {
    if (inPrefix.has(i) || op.call > bound) return;
    const { result } = execute(value, op.input);
    lines.push(agrees(op, result)
      ? `  ${describeOperation(op)} agrees here, but no order of the rest works after it`
      : `  ${describeOperation(op)} would return ${show(result)} here`);
  });
  return lines.join('\n');
}
