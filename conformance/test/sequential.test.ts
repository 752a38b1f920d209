// ZooKeeper's guarantees (conformance/sequential.ts; ZK-1 .. ZK-4 of spec/rules.ts): linearizable
// writes, reads of a state that was, FIFO client order, syncs. Histories and committed logs are
// written by hand, with the times of the history module: an operation sent at step s is invoked at
// 2s, one answered at step a returns at 2a + 1. Every expected value below is written out, not
// computed by the code under test.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { historyOf, type HistoryStep, type Operation, type OperationInput, type SyncOperation } from '../history.js';
import { checkLinearizable } from '../linearizability.js';
import { checkZooKeeper, type CommittedLog } from '../sequential.js';
import type { ClientReply, Event } from '../../spec/schema.js';

/** An operation `client:seq` on `key`, sent at step `sent`, answered `output` with `index` at step `answered` (null: pending). */
function op(name: string, key: string, input: OperationInput, sent: number, answered: number | null, output: unknown = null, index?: number): Operation {
  const [client = '', seq = '0'] = name.split(':');
  const base = { client, seq: Number(seq), key, input, call: 2 * sent };
  if (answered === null) return { ...base, ret: null, output: null };
  return { ...base, ret: 2 * answered + 1, output, ...(index === undefined ? {} : { index }) };
}
/** A sync `client:seq`, sent at step `sent`, answered with `index` at step `answered`. */
function sync(name: string, sent: number, answered: number | null, index: number | null = null): SyncOperation {
  const [client = '', seq = '0'] = name.split(':');
  return { client, seq: Number(seq), call: 2 * sent, ret: answered === null ? null : 2 * answered + 1, index };
}
const get: OperationInput = { op: 'get' };
const put = (value: string): OperationInput => ({ op: 'put', value });
const append = (value: string): OperationInput => ({ op: 'append', value });
const cas = (expected: string | null, value: string): OperationInput => ({ op: 'cas', expected, value });

/** A committed log: command k at index k + 1. */
const logOf = (...commands: unknown[]): CommittedLog => ({ entries: commands.map((command, k) => ({ index: k + 1, command })) });
const putCmd = (key: string, value: string, client: string, seq: number) => ({ op: 'put', key, value, client, seq });

// The run most tests start from: c1 puts x "a" (index 1, steps 0..1), then "b" (index 2, steps 2..3).
const LOG = logOf(putCmd('x', 'a', 'c1', 1), putCmd('x', 'b', 'c1', 2));
const WRITES = [op('c1:1', 'x', put('a'), 0, 1, null, 1), op('c1:2', 'x', put('b'), 2, 3, null, 2)];

describe('ZooKeeper guarantees: what they allow that linearizability does not', () => {
  it('ZK-2: a client reads the old value from a lagging follower after another client\'s write returned; the linearizability checker rejects it, this checker accepts it', () => {
    const ops = [...WRITES, op('c2:1', 'x', get, 4, 5, 'a', 1)];
    expect(checkLinearizable(ops).status).toBe('violation');
    expect(checkZooKeeper({ operations: ops }, LOG)).toEqual({ status: 'ok', writes: 2, reads: 1, syncs: 0 });
  });

  it('ZK-3: a client that read the new value may still see the old one from another client\'s point of view: order is per client', () => {
    const ops = [...WRITES, op('c2:1', 'x', get, 4, 5, 'b', 2), op('c3:1', 'x', get, 6, 7, 'a', 1)];
    expect(checkLinearizable(ops).status).toBe('violation');
    expect(checkZooKeeper({ operations: ops }, LOG).status).toBe('ok');
  });

  it('ZK-3: a read sent before the client\'s write was answered (overlapping it) need not see it', () => {
    // c1:3 is sent at step 3, the step that answers c1:2 (times 6 and 7: they overlap).
    const ops = [...WRITES, op('c1:3', 'x', get, 3, 4, 'a', 1)];
    expect(checkZooKeeper({ operations: ops }, LOG).status).toBe('ok');
  });

  it('ZK-3: a read answered again later (a retried ReadIndex read) is heeded once: its later, higher answer binds no later read', () => {
    const ops = [...WRITES, op('c2:1', 'x', get, 4, 5, 'a', 1), op('c2:1', 'x', get, 4, 6, 'b', 2), op('c2:2', 'x', get, 7, 8, 'a', 1)];
    expect(checkZooKeeper({ operations: ops }, LOG).status).toBe('ok');
  });

  it('ZK-2: pending operations ask nothing; a pending write may be in the log or not', () => {
    const ops = [op('c1:1', 'x', put('a'), 0, null), op('c2:1', 'x', get, 1, 2, null, 0), op('c3:1', 'x', get, 3, 4, 'a', 1), op('c3:2', 'x', get, 5, null)];
    expect(checkZooKeeper({ operations: ops }, logOf(putCmd('x', 'a', 'c1', 1)))).toEqual({ status: 'ok', writes: 1, reads: 2, syncs: 0 });
  });
});

describe('ZooKeeper guarantees: each violation, one line', () => {
  it('ZK-3 monotonic reads: a client\'s read goes back to an older index than its previous read', () => {
    const ops = [...WRITES, op('c2:1', 'x', get, 4, 5, 'b', 2), op('c2:2', 'x', get, 6, 7, 'a', 1)];
    expect(checkZooKeeper({ operations: ops }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-3'],
      violations: ['ZK-3 c2:2 get "x" (sent at step 6, returned "a" at step 7) has index 1, below index 2 of c2:1 get "x" (returned "b" at step 5), the same client\'s read answered before it was sent: its reads went back'],
    });
  });

  it('ZK-3 read-your-writes: a client\'s read does not see its own write answered before it', () => {
    const ops = [...WRITES, op('c1:3', 'x', get, 4, 5, 'a', 1)];
    expect(checkZooKeeper({ operations: ops }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-3'],
      violations: ['ZK-3 c1:3 get "x" (sent at step 4, returned "a" at step 5) has index 1, below index 2 of c1:2 put "x" "b" (returned null at step 3), the same client\'s write answered before it was sent: it does not see its own write'],
    });
    // The same read by another client is fine.
    expect(checkZooKeeper({ operations: [...WRITES, op('c2:1', 'x', get, 4, 5, 'a', 1)] }, LOG).status).toBe('ok');
  });

  it('ZK-3 names the highest index the read fell below, once per read, across keys', () => {
    const log = logOf(putCmd('x', 'a', 'c1', 1), putCmd('y', 'p', 'c1', 2), putCmd('x', 'b', 'c1', 3));
    const ops = [op('c1:1', 'x', put('a'), 0, 1, null, 1), op('c1:2', 'y', put('p'), 2, 3, null, 2), op('c1:3', 'x', put('b'), 4, 5, null, 3), op('c1:4', 'y', get, 6, 7, null, 1)];
    expect(checkZooKeeper({ operations: ops }, log)).toEqual({
      status: 'violation',
      rules: ['ZK-3'],
      violations: ['ZK-3 c1:4 get "y" (sent at step 6, returned null at step 7) has index 1, below index 3 of c1:3 put "x" "b" (returned null at step 5), the same client\'s write answered before it was sent: it does not see its own write'],
    });
  });

  it('ZK-4: a read after the client\'s sync is below the sync\'s index', () => {
    const ops = [...WRITES, op('c2:2', 'x', get, 6, 7, 'a', 1)];
    expect(checkZooKeeper({ operations: ops, syncs: [sync('c2:1', 4, 5, 2)] }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-4'],
      violations: ['ZK-4 c2:2 get "x" (sent at step 6, returned "a" at step 7) has index 1, below index 2 of c2:1 sync (returned at step 5), the same client\'s sync answered before it was sent'],
    });
    // Without the sync, or with another client's, the stale read is allowed.
    expect(checkZooKeeper({ operations: ops }, LOG).status).toBe('ok');
    expect(checkZooKeeper({ operations: ops, syncs: [sync('c3:1', 4, 5, 2)] }, LOG).status).toBe('ok');
    // A read at the sync's index is fine.
    expect(checkZooKeeper({ operations: [...WRITES, op('c2:2', 'x', get, 6, 7, 'b', 2)], syncs: [sync('c2:1', 4, 5, 2)] }, LOG)).toEqual({ status: 'ok', writes: 2, reads: 1, syncs: 1 });
  });

  it('ZK-4: a sync answered with an index below a write answered before the sync was sent', () => {
    expect(checkZooKeeper({ operations: WRITES, syncs: [sync('c2:1', 4, 5, 1)] }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-4'],
      violations: ['ZK-4 c2:1 sync (sent at step 4, returned at step 5) has index 1, below index 2 of c1:2 put "x" "b" (returned null at step 3), a write answered before the sync was sent: a read after the sync may miss it'],
    });
    // Sent in the step that answers the write, it overlaps the write and may come before it.
    expect(checkZooKeeper({ operations: WRITES, syncs: [sync('c2:1', 3, 5, 1)] }, LOG).status).toBe('ok');
    // A pending sync binds nothing.
    expect(checkZooKeeper({ operations: [...WRITES, op('c2:2', 'x', get, 6, 7, 'a', 1)], syncs: [sync('c2:1', 4, null)] }, LOG).status).toBe('ok');
  });

  it('ZK-2: a read returns a value the key never had at its index', () => {
    // x: "a" at index 1, "ab" at 2, "a" again from 3 (index 4 is the no-op, 5 writes y).
    const log = logOf(
      putCmd('x', 'a', 'c1', 1),
      { op: 'append', key: 'x', value: 'b', client: 'c1', seq: 2 },
      putCmd('x', 'a', 'c1', 3),
      null,
      { op: 'put', key: 'y', value: 'q' },
    );
    const writes = [op('c1:1', 'x', put('a'), 0, 1, null, 1), op('c1:2', 'x', append('b'), 2, 3, null, 2), op('c1:3', 'x', put('a'), 4, 5, null, 3)];
    const read = (output: unknown, index: number) => checkZooKeeper({ operations: [...writes, op('c2:1', 'x', get, 6, 7, output, index)] }, log);
    expect(read('a', 1).status).toBe('ok');
    expect(read('ab', 2).status).toBe('ok');
    expect(read('a', 5).status).toBe('ok');
    expect(read(null, 0).status).toBe('ok');
    expect(read('zzz', 4)).toEqual({
      status: 'violation',
      rules: ['ZK-2'],
      violations: ['ZK-2 c2:1 get "x" (sent at step 6, returned "zzz" at step 7) was answered with index 4, where "x" is "a"; "x" is never "zzz" in the committed log (indexes 0..5)'],
    });
    expect(read('a', 2)).toEqual({
      status: 'violation',
      rules: ['ZK-2'],
      violations: ['ZK-2 c2:1 get "x" (sent at step 6, returned "a" at step 7) was answered with index 2, where "x" is "ab"; "x" is "a" at index 1, from index 3 on (a later state: the answer\'s index is below the state it was read from)'],
    });
    expect(read(null, 2)).toMatchObject({
      status: 'violation',
      violations: ['ZK-2 c2:1 get "x" (sent at step 6, returned null at step 7) was answered with index 2, where "x" is "ab"; "x" is absent at index 0'],
    });
    expect(read('ab', 1)).toMatchObject({
      status: 'violation',
      violations: ['ZK-2 c2:1 get "x" (sent at step 6, returned "ab" at step 7) was answered with index 1, where "x" is "a"; "x" is "ab" at index 2 (a later state: the answer\'s index is below the state it was read from)'],
    });
    expect(read(true, 1)).toMatchObject({
      status: 'violation',
      violations: ['ZK-2 c2:1 get "x" (sent at step 6, returned true at step 7) was answered with index 1, where "x" is "a"; a read returns a string or null (KV-1)'],
    });
  });

  it('ZK-2: a read at an index beyond the committed log', () => {
    expect(checkZooKeeper({ operations: [...WRITES, op('c2:1', 'x', get, 4, 5, 'b', 3)] }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-2'],
      violations: ['ZK-2 c2:1 get "x" (sent at step 4, returned "b" at step 5) was answered with index 3, beyond the committed log (through index 2): no server applies an entry that is not committed'],
    });
  });

  it('ZK-1: writes that are not linearizable, though each agrees with the committed log, with the linearizability checker\'s explanation', () => {
    // The log puts "b" (c2:1) before c1's cas "b" -> "c", but the cas returned at step 1, before the put was sent at step 2.
    const log = logOf(putCmd('x', 'b', 'c2', 1), { op: 'cas', key: 'x', expected: 'b', value: 'c', client: 'c1', seq: 1 });
    const ops = [op('c1:1', 'x', cas('b', 'c'), 0, 1, true, 2), op('c2:1', 'x', put('b'), 2, 3, null, 1)];
    expect(checkZooKeeper({ operations: ops }, log)).toEqual({
      status: 'violation',
      rules: ['ZK-1'],
      violations: [[
        'ZK-1 the writes on key "x" are not linearizable, the reads left out:',
        'key "x": no order of its 2 operations, consistent with when they were sent and answered, gives every operation the result it returned (LIN-1).',
        'No order can even start: c1:1 must take effect before it returned at step 1, but no operation sent by then can come first (the key starts absent):',
        '  c1:1 cas "b" -> "c" (sent at step 0, returned true at step 1) would return false here',
      ].join('\n')],
    });
  });

  it('ZK-1: two overlapping cas from absent both answered true (the second also disagrees with the log)', () => {
    const log = logOf({ op: 'cas', key: 'x', expected: null, value: 'a', client: 'c1', seq: 1 }, { op: 'cas', key: 'x', expected: null, value: 'b', client: 'c2', seq: 1 });
    const ops = [op('c1:1', 'x', cas(null, 'a'), 0, 2, true, 1), op('c2:1', 'x', cas(null, 'b'), 1, 3, true, 2)];
    const r = checkZooKeeper({ operations: ops }, log);
    expect(r.status === 'violation' && r.rules).toEqual(['ZK-1']);
    expect(r.status === 'violation' && r.violations.map((v) => v.split('\n')[0])).toEqual([
      'ZK-1 c2:1 cas "x" null -> "b" (sent at step 1, returned true at step 3) was answered with index 2, where the state machine returns false',
      'ZK-1 the writes on key "x" are not linearizable, the reads left out:',
    ]);
  });

  it('ZK-1: a write answered with an index the committed log does not hold it at, or outside it', () => {
    const moved = [op('c1:1', 'x', put('a'), 0, 1, null, 2), op('c1:2', 'x', put('b'), 2, 3, null, 2)];
    expect(checkZooKeeper({ operations: moved }, LOG)).toEqual({
      status: 'violation',
      rules: ['ZK-1'],
      violations: ['ZK-1 c1:1 put "x" "a" (sent at step 0, returned null at step 1) was answered with index 2, where the committed log holds {"client":"c1","key":"x","op":"put","seq":2,"value":"b"}'],
    });
    const outside = [op('c1:1', 'x', put('a'), 0, 1, null, 1), op('c1:2', 'x', put('b'), 2, 3, null, 7)];
    expect(checkZooKeeper({ operations: outside }, LOG)).toMatchObject({
      violations: ['ZK-1 c1:2 put "x" "b" (sent at step 2, returned null at step 3) was answered with index 7, outside the committed log (indexes 1..2)'],
    });
  });

  it('ZK-1: a get through the log is checked against the state machine, and binds the client\'s later reads (ZK-3)', () => {
    const log = logOf(putCmd('x', 'a', 'c1', 1), { op: 'get', key: 'x', client: 'c2', seq: 1 }, putCmd('x', 'b', 'c1', 2));
    const writes = [op('c1:1', 'x', put('a'), 0, 1, null, 1), op('c1:2', 'x', put('b'), 4, 5, null, 3)];
    expect(checkZooKeeper({ operations: [...writes, op('c2:1', 'x', get, 2, 3, 'a', 2)] }, log)).toEqual({ status: 'ok', writes: 3, reads: 1, syncs: 0 });
    expect(checkZooKeeper({ operations: [...writes, op('c2:1', 'x', get, 2, 3, null, 2)] }, log)).toMatchObject({
      status: 'violation',
      violations: [
        'ZK-1 c2:1 get "x" (sent at step 2, returned null at step 3) was answered with index 2, where the state machine returns "a"',
        expect.stringMatching(/^ZK-1 the writes on key "x" are not linearizable/),
      ],
    });
    expect(checkZooKeeper({ operations: [...writes, op('c2:1', 'x', get, 2, 3, 'a', 2), op('c2:2', 'x', get, 6, 7, null, 0)] }, log)).toMatchObject({
      violations: ['ZK-3 c2:2 get "x" (sent at step 6, returned null at step 7) has index 0, below index 2 of c2:1 get "x" (returned "a" at step 3), the same client\'s read answered before it was sent: its reads went back'],
    });
  });

  it('ZK-1 .. ZK-4: several violations are all listed, in rule order, each rule named once', () => {
    const ops = [...WRITES, op('c1:3', 'x', get, 4, 5, 'zzz', 1), op('c2:2', 'x', get, 6, 7, 'a', 1)];
    const r = checkZooKeeper({ operations: ops, syncs: [sync('c2:1', 4, 5, 2)] }, LOG);
    expect(r.status === 'violation' && r.rules).toEqual(['ZK-2', 'ZK-3', 'ZK-4']);
    expect(r.status === 'violation' && r.violations.map((v) => v.slice(0, 10))).toEqual(['ZK-2 c1:3 ', 'ZK-3 c1:3 ', 'ZK-4 c2:2 ']);
  });
});

describe('ZooKeeper guarantees: the committed log', () => {
  it('entries may come in any order and repeat (every server\'s applied entries); the same index with two commands is bad input', () => {
    const entries = [
      { index: 2, command: putCmd('x', 'b', 'c1', 2) },
      { index: 1, command: putCmd('x', 'a', 'c1', 1) },
      { index: 1, command: putCmd('x', 'a', 'c1', 1) },
    ];
    const ops = [...WRITES, op('c2:1', 'x', get, 4, 5, 'b', 2)];
    expect(checkZooKeeper({ operations: ops }, { entries }).status).toBe('ok');
    expect(checkZooKeeper({ operations: ops }, { entries: [...entries, { index: 2, command: 'other' }] })).toEqual({
      status: 'bad-input',
      problems: ['the committed log given has two commands at index 2: {"client":"c1","key":"x","op":"put","seq":2,"value":"b"} and "other"'],
    });
  });

  it('a gap in the committed log is bad input', () => {
    const entries = [{ index: 1, command: null }, { index: 3, command: null }];
    expect(checkZooKeeper({ operations: [] }, { entries })).toEqual({ status: 'bad-input', problems: ['the committed log given has no command at index 2 but has one at index 3'] });
  });

  it('a log that starts from a snapshot: reads at or after its index are checked, a read before it is bad input', () => {
    const initial = { index: 2, machine: { data: { x: 'b' }, sessions: { c1: { seq: 2, result: null } } } };
    const log: CommittedLog = { initial, entries: [{ index: 3, command: putCmd('x', 'c', 'c1', 3) }] };
    const ops = [op('c2:1', 'x', get, 0, 1, 'b', 2), op('c1:3', 'x', put('c'), 2, 3, null, 3), op('c2:2', 'x', get, 4, 5, 'c', 3)];
    expect(checkZooKeeper({ operations: ops }, log)).toEqual({ status: 'ok', writes: 1, reads: 2, syncs: 0 });
    expect(checkZooKeeper({ operations: [op('c2:1', 'x', get, 0, 1, 'a', 1)] }, log)).toEqual({
      status: 'bad-input',
      problems: ['c2:1 get "x" (sent at step 0, returned "a" at step 1) was answered with index 1, before the committed log given starts (after index 2): the state there is unknown'],
    });
  });

  it('a history built without indexes is a programming error, said so', () => {
    expect(() => checkZooKeeper({ operations: [op('c1:1', 'x', put('a'), 0, 1, null)] }, LOG)).toThrow('operation c1:1 was answered but has no index: build the history with historyOf(steps, { indexes: true })');
  });

  it('ZK-1: a search that runs out of its budget is unknown, unless another rule is violated', () => {
    // Twelve appends sent at once, the twelfth only at step 2; a get through the log, answered at
    // step 1 with all twelve. Each answer agrees with the log, but in real time the get came before
    // the twelfth append: ruling out every order visits every subset of the first eleven (2048 states).
    const log = logOf(...Array.from({ length: 12 }, (_, i) => ({ op: 'append', key: 'x', value: 'a', client: `a${i}`, seq: 1 })), { op: 'get', key: 'x', client: 'r', seq: 1 });
    const appends = Array.from({ length: 12 }, (_, i) => op(`a${i}:1`, 'x', append('a'), i === 11 ? 2 : 0, 3, null, i + 1));
    const ops = [...appends, op('r:1', 'x', get, 0, 1, 'aaaaaaaaaaaa', 13)];
    expect(checkZooKeeper({ operations: ops }, log, { maxStates: 100 })).toEqual({
      status: 'unknown',
      reason: 'ZK-1 gave up on key "x" after 100 states (maxStates) without finding an order of its 13 operations or ruling every order out',
    });
    expect(checkZooKeeper({ operations: ops }, log).status).toBe('violation');
    const stale = op('c9:1', 'y', get, 0, 1, 'q', 0);
    expect(checkZooKeeper({ operations: [...ops, stale] }, log, { maxStates: 100 })).toMatchObject({ status: 'violation', rules: ['ZK-2'] });
  });
});

describe('ZooKeeper guarantees: the history of a run (historyOf with indexes)', () => {
  const request = (node: string, command: unknown): Event => ({ type: 'clientRequest', node, command });
  const read = (node: string, client: string, seq: number, key: string): Event => ({ type: 'clientRead', node, client, seq, key });
  const result = (node: string, client: string, seq: number, index: number): ClientReply => ({ type: 'result', node, client, seq, index, result: null, duplicate: false });
  const readReply = (node: string, client: string, seq: number, key: string, index: number, value: string | null): ClientReply => ({ type: 'read', node, client, seq, key, index, result: value });
  const steps = (...s: Array<[Event, ClientReply[]?]>): HistoryStep[] => s.map(([event, replies = []], index) => ({ index, event, replies }));

  // c1 writes x twice through the leader s1; c2 then reads x from the follower s2, which has applied only index 1.
  const run = steps(
    [request('s1', putCmd('x', 'a', 'c1', 1)), [result('s1', 'c1', 1, 1)]],
    [request('s1', putCmd('x', 'b', 'c1', 2)), [result('s1', 'c1', 2, 2)]],
    [read('s2', 'c2', 1, 'x'), [readReply('s2', 'c2', 1, 'x', 1, 'a')]],
  );

  it('operations carry their first answer\'s index only when asked; without, the history is as before', () => {
    expect(historyOf(run).operations.map((o) => 'index' in o)).toEqual([false, false, false]);
    expect(historyOf(run, { indexes: true }).operations).toEqual([
      { client: 'c1', seq: 1, key: 'x', input: { op: 'put', value: 'a' }, call: 0, ret: 1, output: null, index: 1 },
      { client: 'c1', seq: 2, key: 'x', input: { op: 'put', value: 'b' }, call: 2, ret: 3, output: null, index: 2 },
      { client: 'c2', seq: 1, key: 'x', input: { op: 'get' }, call: 4, ret: 5, output: 'a', index: 1 },
    ]);
  });

  it('the follower\'s stale read: the linearizability checker rejects the run, ZooKeeper\'s guarantees accept it', () => {
    const h = historyOf(run, { indexes: true });
    expect(h.violations).toEqual([]);
    expect(checkLinearizable(h.operations).status).toBe('violation');
    expect(checkZooKeeper(h, LOG)).toEqual({ status: 'ok', writes: 2, reads: 1, syncs: 0 });
  });

  it('a pending operation has no index; a read answered again carries each answer\'s own index', () => {
    const h = historyOf(steps(
      [read('s2', 'c2', 1, 'x'), [readReply('s2', 'c2', 1, 'x', 1, 'a')]],
      [read('s3', 'c2', 1, 'x'), [readReply('s3', 'c2', 1, 'x', 2, 'b')]],
      [request('s1', putCmd('x', 'c', 'c1', 3))],
    ), { indexes: true });
    expect(h.operations.map((o) => [o.call, o.ret, o.output, o.index])).toEqual([[0, 1, 'a', 1], [0, 3, 'b', 2], [4, null, null, undefined]]);
  });
});

describe('ZooKeeper guarantees: properties', () => {
  // A run in which every client follows ZooKeeper's rules: one key, a log of puts of distinct
  // values; each client in turn writes (appended to the log) or reads at an index between the
  // highest it has seen and the log's end.
  const stepSpec = fc.record({ client: fc.nat(2), write: fc.boolean(), lag: fc.nat(3) });

  function zkRun(specs: ReadonlyArray<{ client: number; write: boolean; lag: number }>): { ops: Operation[]; log: CommittedLog } {
    const commands: unknown[] = [];
    const seen = [0, 0, 0];
    const seqs = [0, 0, 0];
    const ops = specs.map((s, k): Operation => {
      const client = `c${s.client}`;
      const seq = ++seqs[s.client]!;
      if (s.write) {
        commands.push(putCmd('x', `v${k}`, client, seq));
        seen[s.client] = commands.length;
        return op(`${client}:${seq}`, 'x', put(`v${k}`), k, k, null, commands.length);
      }
      const index = Math.max(seen[s.client]!, commands.length - s.lag);
      seen[s.client] = index;
      const value = index === 0 ? null : ((commands[index - 1] as { value: string }).value);
      return op(`${client}:${seq}`, 'x', get, k, k, value, index);
    });
    return { ops, log: logOf(...commands) };
  }

  it('ZK-1 .. ZK-4: a run whose clients follow the rules is always ok', () => {
    fc.assert(fc.property(fc.array(stepSpec, { maxLength: 30 }), (specs) => {
      const { ops, log } = zkRun(specs);
      expect(checkZooKeeper({ operations: ops }, log).status).toBe('ok');
    }), { numRuns: 300 });
  });

  it('ZK-2: changing one read\'s value to another write\'s is always a violation', () => {
    fc.assert(fc.property(fc.array(stepSpec, { minLength: 1, maxLength: 30 }), fc.nat(), (specs, pick) => {
      const { ops, log } = zkRun([{ client: 0, write: true, lag: 0 }, { client: 1, write: true, lag: 0 }, ...specs, { client: 2, write: false, lag: 1 }]);
      const readsAt = ops.flatMap((o, k) => (o.input.op === 'get' ? [k] : []));
      const k = readsAt[pick % readsAt.length] as number;
      const o = ops[k] as Operation;
      ops[k] = { ...o, output: o.output === 'v0' ? 'v1' : 'v0' };
      const r = checkZooKeeper({ operations: ops }, log);
      expect(r.status === 'violation' && r.rules).toEqual(['ZK-2']);
    }), { numRuns: 300 });
  });
});
