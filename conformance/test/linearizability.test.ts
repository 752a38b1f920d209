// LIN-1: the client history of a run (conformance/history.ts) and the linearizability checker
// (conformance/linearizability.ts). Histories are written by hand with the times of the history
// module: an operation sent at step s is invoked at 2s, one answered at step a returns at 2a + 1.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { historyOf, type HistoryStep, type Operation, type OperationInput } from '../history.js';
import { checkLinearizable } from '../linearizability.js';
import type { ClientReply, Event } from '../../spec/schema.js';

/** An operation `client:seq` on `key`, sent at step `sent`, answered `output` at step `answered` (null: pending). */
function op(name: string, key: string, input: OperationInput, sent: number, answered: number | null, output: unknown = null): Operation {
  const [client = '', seq = '0'] = name.split(':');
  return { client, seq: Number(seq), key, input, call: 2 * sent, ret: answered === null ? null : 2 * answered + 1, output: answered === null ? null : output };
}
const get: OperationInput = { op: 'get' };
const put = (value: string): OperationInput => ({ op: 'put', value });
const append = (value: string): OperationInput => ({ op: 'append', value });
const cas = (expected: string | null, value: string): OperationInput => ({ op: 'cas', expected, value });

const status = (ops: Operation[]) => checkLinearizable(ops).status;

describe('LIN-1 sequential histories', () => {
  it('LIN-1: a sequential history that follows KV-1 is ok (get, put, append, cas)', () => {
    const ops = [
      op('a:1', 'x', get, 0, 1, null),
      op('a:2', 'x', append('p'), 2, 3, null),
      op('a:3', 'x', get, 4, 5, 'p'),
      op('a:4', 'x', put('q'), 6, 7, null),
      op('a:5', 'x', append('r'), 8, 9, null),
      op('a:6', 'x', cas('qr', 's'), 10, 11, true),
      op('a:7', 'x', cas('qr', 't'), 12, 13, false),
      op('a:8', 'x', cas(null, 'u'), 14, 15, false),
      op('a:9', 'x', get, 16, 17, 's'),
      op('a:10', 'y', cas(null, 'v'), 18, 19, true),
      op('a:11', 'y', get, 20, 21, 'v'),
    ];
    expect(checkLinearizable(ops)).toEqual({ status: 'ok', operations: 11, keys: 2 });
  });

  it('LIN-1: an empty history is ok', () => {
    expect(checkLinearizable([])).toEqual({ status: 'ok', operations: 0, keys: 0 });
  });

  it('LIN-1: a get of a key never written returns null; "" is a value, not absence', () => {
    expect(status([op('a:1', 'x', get, 0, 1, null)])).toBe('ok');
    expect(status([op('a:1', 'x', get, 0, 1, '')])).toBe('violation');
    expect(status([op('a:1', 'x', put(''), 0, 1, null), op('a:2', 'x', get, 2, 3, '')])).toBe('ok');
    expect(status([op('a:1', 'x', put(''), 0, 1, null), op('a:2', 'x', get, 2, 3, null)])).toBe('violation');
  });

  it('LIN-1: results of the wrong kind are violations (put answered with a value, cas with null)', () => {
    expect(status([op('a:1', 'x', put('v'), 0, 1, 'v')])).toBe('violation');
    expect(status([op('a:1', 'x', append('v'), 0, 1, true)])).toBe('violation');
    expect(status([op('a:1', 'x', cas(null, 'v'), 0, 1, null)])).toBe('violation');
  });
});

describe('LIN-1 concurrent operations', () => {
  it('LIN-1: two overlapping puts may take effect in either order', () => {
    const puts = [op('a:1', 'x', put('a'), 0, 5), op('b:1', 'x', put('b'), 1, 6)];
    expect(status([...puts, op('c:1', 'x', get, 7, 8, 'a')])).toBe('ok');
    expect(status([...puts, op('c:1', 'x', get, 7, 8, 'b')])).toBe('ok');
    expect(status([...puts, op('c:1', 'x', get, 7, 8, null)])).toBe('violation');
    expect(status([...puts, op('c:1', 'x', get, 7, 8, 'c')])).toBe('violation');
  });

  it('LIN-1: a read overlapping a put may see the old or the new value, and later reads never go back', () => {
    const base = [op('a:1', 'x', put('old'), 0, 1), op('a:2', 'x', put('new'), 2, 6)];
    expect(status([...base, op('b:1', 'x', get, 3, 4, 'old')])).toBe('ok');
    expect(status([...base, op('b:1', 'x', get, 3, 4, 'new')])).toBe('ok');
    expect(status([...base, op('b:1', 'x', get, 3, 4, 'new'), op('c:1', 'x', get, 5, 5, 'old')])).toBe('violation');
    expect(status([...base, op('b:1', 'x', get, 3, 4, 'old'), op('c:1', 'x', get, 5, 5, 'new')])).toBe('ok');
  });

  it('LIN-1: overlapping appends may interleave in either order, but each exactly once', () => {
    const appends = [op('a:1', 'x', append('a'), 0, 3), op('b:1', 'x', append('b'), 1, 2)];
    expect(status([...appends, op('c:1', 'x', get, 4, 5, 'ab')])).toBe('ok');
    expect(status([...appends, op('c:1', 'x', get, 4, 5, 'ba')])).toBe('ok');
    expect(status([...appends, op('c:1', 'x', get, 4, 5, 'a')])).toBe('violation');
    expect(status([...appends, op('c:1', 'x', get, 4, 5, 'abb')])).toBe('violation');
  });

  it('LIN-1: a put of the value already there may still have to come after another put', () => {
    // x is "v"; puts of "w" and "v" overlap; the read after both sees "v": "w" then "v".
    const ops = [op('a:1', 'x', put('v'), 0, 0), op('b:1', 'x', put('w'), 1, 2), op('c:1', 'x', put('v'), 1, 2), op('d:1', 'x', get, 3, 3, 'v')];
    expect(status(ops)).toBe('ok');
  });

  it('LIN-1: a read that agrees now is placed first; a cas whose new value is its expected one changes nothing', () => {
    const ops = [
      op('a:1', 'x', put('v'), 0, 0),
      op('b:1', 'x', get, 1, 4, 'v'),
      op('c:1', 'x', cas('v', 'v'), 1, 4, true),
      op('d:1', 'x', put('w'), 1, 4),
      op('e:1', 'x', get, 1, 4, 'w'),
      op('f:1', 'x', cas('w', 'w'), 1, 4, true),
      op('g:1', 'x', get, 5, 5, 'w'),
    ];
    expect(status(ops)).toBe('ok');
    expect(status([...ops.slice(0, 6), op('g:1', 'x', get, 5, 5, 'v')])).toBe('violation');
  });

  it('LIN-1: an operation answered in step i precedes one sent at step i + 1, not one sent at step i', () => {
    const write = op('a:1', 'x', put('v'), 0, 1);
    expect(status([write, op('b:1', 'x', get, 1, 2, null)])).toBe('ok');
    expect(status([write, op('b:1', 'x', get, 2, 2, null)])).toBe('violation');
  });
});

describe('LIN-1 classic violations', () => {
  it('LIN-1: a stale read after a completed write, explained with the longest order found', () => {
    const ops = [op('a:1', 'x', put('a'), 0, 1), op('b:1', 'x', put('b'), 2, 3), op('c:1', 'x', get, 4, 5, 'a')];
    expect(checkLinearizable(ops)).toEqual({
      status: 'violation',
      key: 'x',
      operations: ops,
      explanation: [
        'key "x": no order of its 3 operations, consistent with when they were sent and answered, gives every operation the result it returned (LIN-1).',
        'The longest order found in which every result agrees has 2 operations:',
        '  1. a:1 put "a" (sent at step 0, returned null at step 1); then the key is "a"',
        '  2. b:1 put "b" (sent at step 2, returned null at step 3); then the key is "b"',
        'After it, c:1 must take effect before it returned at step 5, but no operation sent by then can come next:',
        '  c:1 get (sent at step 4, returned "a" at step 5) would return "b" here',
      ].join('\n'),
    });
  });

  it('LIN-1: a read of a value never written; the explanation lists every operation that could come first', () => {
    const ops = [op('a:1', 'x', put('a'), 0, 3), op('b:1', 'x', get, 1, 2, 'zzz')];
    const r = checkLinearizable(ops);
    expect(r.status).toBe('violation');
    if (r.status !== 'violation') return;
    expect(r.explanation.split('\n')).toEqual([
      'key "x": no order of its 2 operations, consistent with when they were sent and answered, gives every operation the result it returned (LIN-1).',
      'The longest order found in which every result agrees has 1 operation:',
      '  1. a:1 put "a" (sent at step 0, returned null at step 3); then the key is "a"',
      'After it, b:1 must take effect before it returned at step 2, but no operation sent by then can come next:',
      '  b:1 get (sent at step 1, returned "zzz" at step 2) would return "a" here',
    ]);
  });

  it('LIN-1: when no order can even start, the explanation says what each first candidate would return', () => {
    const ops = [op('a:1', 'x', get, 0, 2, 'q'), op('b:1', 'x', cas('p', 'q'), 1, 3, true)];
    const r = checkLinearizable(ops);
    expect(r.status === 'violation' && r.explanation.split('\n')).toEqual([
      'key "x": no order of its 2 operations, consistent with when they were sent and answered, gives every operation the result it returned (LIN-1).',
      'No order can even start: a:1 must take effect before it returned at step 2, but no operation sent by then can come first (the key starts absent):',
      '  a:1 get (sent at step 0, returned "q" at step 2) would return null here',
      '  b:1 cas "p" -> "q" (sent at step 1, returned true at step 3) would return false here',
    ]);
  });

  it('LIN-1: a lost acknowledged append (a later read misses it)', () => {
    const ops = [op('a:1', 'x', append('a'), 0, 1), op('a:2', 'x', append('b'), 2, 3), op('b:1', 'x', get, 4, 5, 'b')];
    expect(status(ops)).toBe('violation');
    expect(status([...ops.slice(0, 2), op('b:1', 'x', get, 4, 5, 'ab')])).toBe('ok');
  });

  it('LIN-1: inconsistent cas results: two overlapping cas from absent cannot both succeed', () => {
    const a = op('a:1', 'x', cas(null, 'a'), 0, 2, true);
    expect(status([a, op('b:1', 'x', cas(null, 'b'), 1, 3, true)])).toBe('violation');
    expect(status([a, op('b:1', 'x', cas(null, 'b'), 1, 3, false)])).toBe('ok');
    expect(status([a, op('b:1', 'x', cas(null, 'b'), 1, 3, false), op('c:1', 'x', get, 4, 5, 'b')])).toBe('violation');
    // A failed cas must have seen a different value: right after a put of its expected value, it cannot fail.
    expect(status([op('a:1', 'x', put('e'), 0, 1), op('b:1', 'x', cas('e', 'f'), 2, 3, false)])).toBe('violation');
  });

  it('LIN-1: a write executed twice (an append seen twice) is a violation, retries or not', () => {
    expect(status([op('a:1', 'x', append('a'), 0, 1), op('b:1', 'x', get, 2, 3, 'aa')])).toBe('violation');
    expect(status([op('a:1', 'x', append('a'), 0, null), op('b:1', 'x', get, 2, 3, 'aa')])).toBe('violation');
    expect(status([op('a:1', 'x', append('a'), 0, 1), op('a:2', 'x', append('a'), 2, 3), op('b:1', 'x', get, 4, 5, 'aa')])).toBe('ok');
  });
});

describe('LIN-1 pending operations', () => {
  it('LIN-1: a pending write may have taken effect or not', () => {
    const pending = op('a:1', 'x', put('p'), 0, null);
    expect(status([pending, op('b:1', 'x', get, 2, 3, 'p')])).toBe('ok');
    expect(status([pending, op('b:1', 'x', get, 2, 3, null)])).toBe('ok');
  });

  it('LIN-1: a pending write may take effect late, but once seen it stays', () => {
    const pending = op('a:1', 'x', put('p'), 0, null);
    expect(status([pending, op('b:1', 'x', get, 2, 3, null), op('b:2', 'x', get, 6, 7, 'p')])).toBe('ok');
    expect(status([pending, op('b:1', 'x', get, 2, 3, 'p'), op('b:2', 'x', get, 6, 7, null)])).toBe('violation');
  });

  it('LIN-1: a pending write cannot take effect before it was sent', () => {
    expect(status([op('b:1', 'x', get, 0, 1, 'p'), op('a:1', 'x', put('p'), 2, null)])).toBe('violation');
  });

  it('LIN-1: a pending cas takes effect only if its expected value is there', () => {
    const pending = op('a:1', 'x', cas('e', 'f'), 2, null);
    expect(status([op('z:1', 'x', put('e'), 0, 1), pending, op('b:1', 'x', get, 4, 5, 'f')])).toBe('ok');
    expect(status([op('z:1', 'x', put('d'), 0, 1), pending, op('b:1', 'x', get, 4, 5, 'f')])).toBe('violation');
  });

  it('LIN-1: a pending cas that could do nothing now may still take effect later', () => {
    // Sent before the put of its expected value; the read after both sees its new value.
    const ops = [op('a:1', 'x', put(''), 0, 0), op('b:1', 'x', cas('', 'a'), 0, null), op('c:1', 'x', get, 2, 2, 'a')];
    expect(status(ops)).toBe('ok');
  });

  it('LIN-1: pending reads are unconstrained; a history of pending operations only is ok', () => {
    expect(status([op('a:1', 'x', get, 0, null), op('b:1', 'x', put('v'), 1, null)])).toBe('ok');
    expect(status([op('a:1', 'x', put('v'), 0, 1), op('b:1', 'x', get, 2, null)])).toBe('ok');
  });
});

describe('LIN-1 initial values', () => {
  it('LIN-1: a history may start from data a trace\'s initial state holds: a read of it is ok, a read of absence is not', () => {
    expect(checkLinearizable([op('a:1', 'x', get, 0, 1, '1')], { initial: { x: '1' } }).status).toBe('ok');
    expect(checkLinearizable([op('a:1', 'x', get, 0, 1, null)], { initial: { x: '1' } }).status).toBe('violation');
    expect(checkLinearizable([op('a:1', 'x', get, 0, 1, '1')]).status).toBe('violation');
    expect(checkLinearizable([op('a:1', 'y', get, 0, 1, null)], { initial: { x: '1' } }).status).toBe('ok');
    expect(checkLinearizable([op('a:1', 'x', cas('1', '2'), 0, 1, true), op('a:2', 'x', get, 2, 3, '2')], { initial: { x: '1' } }).status).toBe('ok');
  });
});

describe('LIN-1 keys are independent', () => {
  it('LIN-1: operations on other keys neither help nor hide a violation; the violation names its key and only its operations', () => {
    const x = [op('a:1', 'x', put('1'), 0, 1), op('b:1', 'x', get, 4, 5, '1')];
    const y = [op('a:2', 'y', put('2'), 2, 3), op('b:2', 'y', get, 6, 7, '1')];
    const r = checkLinearizable([...x, ...y]);
    expect(r.status).toBe('violation');
    if (r.status !== 'violation') return;
    expect(r.key).toBe('y');
    expect(r.operations).toEqual(y);
    expect(checkLinearizable([...x, y[0] as Operation, op('b:2', 'y', get, 6, 7, '2')])).toEqual({ status: 'ok', operations: 4, keys: 2 });
  });
});

describe('LIN-1 search budget', () => {
  // Twelve overlapping appends, then a read that misses one: ruling it out visits every subset of
  // the appends (4096 states), far more than 100.
  const appends = Array.from({ length: 12 }, (_, i) => op(`a${i}:1`, 'x', append('a'), 0, 1));
  const impossible = op('r:1', 'x', get, 2, 3, 'a'.repeat(11));

  it('LIN-1: a search that runs out of states reports unknown with the key', () => {
    const r = checkLinearizable([...appends, impossible], { maxStates: 100 });
    expect(r.status).toBe('unknown');
    if (r.status !== 'unknown') return;
    expect(r.key).toBe('x');
    expect(r.reason).toBe('gave up on key "x" after 100 states (maxStates) without finding an order of its 13 operations or ruling every order out');
  });

  it('LIN-1: with the default budget the same search ends with a violation', () => {
    expect(status([...appends, impossible])).toBe('violation');
  });

  it('LIN-1: a violation on one key wins over an exhausted budget on another', () => {
    const r = checkLinearizable([...appends, impossible, op('s:1', 'y', get, 0, 1, 'never')], { maxStates: 100 });
    expect(r.status === 'violation' && r.key).toBe('y');
  });
});

describe('LIN-1 history of a run', () => {
  const request = (node: string, command: unknown): Event => ({ type: 'clientRequest', node, command });
  const read = (node: string, client: string, seq: number, key: string): Event => ({ type: 'clientRead', node, client, seq, key });
  const redirect = (node: string, client: string | null, seq: number | null): ClientReply => ({ type: 'redirect', node, client, seq, leader: 's1' });
  const result = (node: string, client: string | null, seq: number | null, value: unknown, index = 1): ClientReply =>
    ({ type: 'result', node, client, seq, index, result: value, duplicate: false });
  const readReply = (node: string, client: string, seq: number, key: string, value: string | null): ClientReply =>
    ({ type: 'read', node, client, seq, key, index: 1, result: value });
  const tick: Event = { type: 'heartbeatTimeout', node: 's1' };
  const steps = (...s: Array<[Event, ClientReply[]?]>): HistoryStep[] => s.map(([event, replies = []], index) => ({ index, event, replies }));

  it('LIN-1: an operation is invoked by its first send (redirected or not) and returns at its first answer; retries are the same operation', () => {
    const h = historyOf(steps(
      [request('s2', { op: 'put', key: 'x', value: 'v', client: 'c', seq: 1 }), [redirect('s2', 'c', 1)]],
      [request('s1', { op: 'put', key: 'x', value: 'v', client: 'c', seq: 1 })],
      [tick],
      [tick, [result('s1', 'c', 1, null)]],
      [request('s3', { seq: 1, client: 'c', value: 'v', key: 'x', op: 'put' }), [result('s3', 'c', 1, null)]],
    ));
    expect(h).toEqual({
      operations: [{ client: 'c', seq: 1, key: 'x', input: { op: 'put', value: 'v' }, call: 0, ret: 7, output: null }],
      syncs: [],
      problems: [],
      violations: [],
    });
  });

  it('LIN-1: an operation only ever redirected is pending; reads and log commands of every kind become operations', () => {
    const h = historyOf(steps(
      [request('s2', { op: 'append', key: 'x', value: 'a', client: 'c', seq: 1 }), [redirect('s2', 'c', 1)]],
      [read('s1', 'd', 1, 'x')],
      [request('s1', { op: 'cas', key: 'y', expected: null, value: 'b', client: 'd', seq: 2 }), [readReply('s1', 'd', 1, 'x', null)]],
      [request('s1', { op: 'get', key: 'y', client: 'd', seq: 3 }), [result('s1', 'd', 2, true, 1), result('s1', 'd', 3, 'b', 2)]],
    ));
    expect(h.problems).toEqual([]);
    expect(h.violations).toEqual([]);
    expect(h.operations).toEqual([
      { client: 'c', seq: 1, key: 'x', input: { op: 'append', value: 'a' }, call: 0, ret: null, output: null },
      { client: 'd', seq: 1, key: 'x', input: { op: 'get' }, call: 2, ret: 5, output: null },
      { client: 'd', seq: 2, key: 'y', input: { op: 'cas', expected: null, value: 'b' }, call: 4, ret: 7, output: true },
      { client: 'd', seq: 3, key: 'y', input: { op: 'get' }, call: 6, ret: 7, output: 'b' },
    ]);
    expect(checkLinearizable(h.operations).status).toBe('ok');
  });

  it('LIN-1: commands without client and seq, and commands that are not key-value commands, are not operations', () => {
    const h = historyOf(steps(
      [request('s1', { op: 'put', key: 'x', value: 'v' }), [result('s1', null, null, null)]],
      [request('s1', 'opaque')],
      [request('s1', null)],
      [request('s1', { op: 'set', key: 'x', value: 1, client: 'c', seq: 1 })],
      [request('s1', { op: 'put', key: 'x', value: 'v', client: 'c' })],
    ));
    expect(h).toEqual({ operations: [], syncs: [], problems: [], violations: [] });
  });

  it('LIN-1: an operation answered twice with different results is a violation; the same result again is not', () => {
    const h = historyOf(steps(
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c', seq: 4 })],
      [tick, [result('s1', 'c', 4, true)]],
      [request('s2', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c', seq: 4 }), [result('s2', 'c', 4, true)]],
      [tick, [result('s2', 'c', 4, false)]],
    ));
    expect(h.violations).toEqual(['operation c:4 answered true at step 1 and false at step 3']);
    expect(h.problems).toEqual([]);
    expect(h.operations).toEqual([{ client: 'c', seq: 4, key: 'x', input: { op: 'cas', expected: null, value: 'v' }, call: 0, ret: 3, output: true }]);
  });

  it('LIN-1: a retried ReadIndex read answered again later is checked as one more read from the first send (CLI-4 reads are not deduplicated)', () => {
    // c1 reads x four times under one seq; the first answer (null) comes before c3's cas, a later one after it.
    const h = historyOf(steps(
      [read('s1', 'c1', 1, 'x')],
      [read('s1', 'c1', 1, 'x')],
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c3', seq: 2 })],
      [tick, [readReply('s1', 'c1', 1, 'x', null)]],
      [tick, [result('s1', 'c3', 2, true)]],
      [tick, [readReply('s1', 'c1', 1, 'x', 'v')]],
    ));
    expect(h.violations).toEqual([]);
    expect(h.operations).toEqual([
      { client: 'c1', seq: 1, key: 'x', input: { op: 'get' }, call: 0, ret: 7, output: null },
      { client: 'c3', seq: 2, key: 'x', input: { op: 'cas', expected: null, value: 'v' }, call: 4, ret: 9, output: true },
      { client: 'c1', seq: 1, key: 'x', input: { op: 'get' }, call: 0, ret: 11, output: 'v' },
    ]);
    expect(checkLinearizable(h.operations).status).toBe('ok');
  });

  it('LIN-1: a later answer to a retried read that is stale is a violation', () => {
    // The cas completed at step 1; the read, sent at step 2, is answered 'v' and later null.
    const h = historyOf(steps(
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c3', seq: 1 })],
      [tick, [result('s1', 'c3', 1, true)]],
      [read('s1', 'c1', 1, 'x'), [readReply('s1', 'c1', 1, 'x', 'v')]],
      [read('s1', 'c1', 1, 'x')],
      [tick, [readReply('s1', 'c1', 1, 'x', null)]],
    ));
    expect(h.violations).toEqual([]);
    expect(checkLinearizable(h.operations).status).toBe('violation');
  });

  it('LIN-1: a duplicate answered after the client sent a newer operation (CLI-2 keeps only the latest result, so null) is not a second answer', () => {
    const h = historyOf(steps(
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c', seq: 1 }), [result('s1', 'c', 1, true)]],
      [request('s1', { op: 'put', key: 'x', value: 'w', client: 'c', seq: 2 }), [result('s1', 'c', 2, null)]],
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c', seq: 1 })],
      [tick, [{ type: 'result', node: 's1', client: 'c', seq: 1, index: 3, result: null, duplicate: true }]],
    ));
    expect(h.violations).toEqual([]);
    expect(checkLinearizable(h.operations).status).toBe('ok');
    // The same late null without the newer operation sent is a second, different answer.
    const g = historyOf(steps(
      [request('s1', { op: 'cas', key: 'x', expected: null, value: 'v', client: 'c', seq: 1 }), [result('s1', 'c', 1, true)]],
      [tick, [{ type: 'result', node: 's1', client: 'c', seq: 1, index: 3, result: null, duplicate: true }]],
    ));
    expect(g.violations).toEqual(['operation c:1 answered true at step 0 and null at step 1']);
  });

  it('LIN-1: the same (client, seq) sent with two different commands is a problem of the input; the first is kept', () => {
    const h = historyOf(steps(
      [request('s1', { op: 'put', key: 'x', value: 'v', client: 'c', seq: 1 })],
      [request('s1', { op: 'put', key: 'x', value: 'w', client: 'c', seq: 1 })],
      [read('s1', 'c', 1, 'x')],
    ));
    expect(h.problems).toEqual([
      'operation c:1 sent as {"key":"x","op":"put","value":"v"} at step 0 and as {"key":"x","op":"put","value":"w"} at step 1; the first is kept',
      'operation c:1 sent as {"key":"x","op":"put","value":"v"} at step 0 and as {"key":"x","op":"get"} at step 2; the first is kept',
    ]);
    expect(h.violations).toEqual([]);
    expect(h.operations).toEqual([{ client: 'c', seq: 1, key: 'x', input: { op: 'put', value: 'v' }, call: 0, ret: null, output: null }]);
  });

  it('LIN-1: a reply to an operation never sent, and a read answered for another key, are violations', () => {
    const h = historyOf(steps(
      [read('s1', 'c', 1, 'x'), [result('s1', 'z', 9, 'v')]],
      [tick, [readReply('s1', 'c', 1, 'y', null)]],
    ));
    expect(h.violations).toEqual([
      'operation z:9 answered "v" at step 0 but never sent',
      'operation c:1 reads key "x" but was answered for key "y" at step 1',
    ]);
    expect(h.operations).toEqual([{ client: 'c', seq: 1, key: 'x', input: { op: 'get' }, call: 0, ret: null, output: null }]);
  });

  it('LIN-1: a request answered in its own step returns just after it was invoked', () => {
    const h = historyOf([
      { index: 7, event: request('s1', { op: 'append', key: 'k', value: 'a', client: 'c', seq: 1 }), replies: [result('s1', 'c', 1, null)] },
      { index: 8, event: read('s1', 'd', 1, 'k'), replies: [readReply('s1', 'd', 1, 'k', 'a')] },
    ]);
    expect(h.operations.map((o) => [o.call, o.ret])).toEqual([[14, 15], [16, 17]]);
    expect(checkLinearizable(h.operations).status).toBe('ok');
  });
});

/** A deterministic generator for the tests below (no Math.random: runs must repeat). */
function lcg(seed: number): (bound: number) => number {
  let s = seed >>> 0;
  return (bound) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % bound;
  };
}

/**
 * A history produced by a real sequential execution: operation k takes effect at time 2k + 0.5
 * (strictly inside its window), its window is widened by up to `spread` steps on each side, and
 * a pending operation either took effect (it is in the execution) or did not.
 */
function executedHistory(specs: ReadonlyArray<{ key: string; input: OperationInput; before: number; after: number; pending: boolean; tookEffect: boolean }>): Operation[] {
  const data = new Map<string, string>();
  return specs.map((s, k) => {
    const current = data.get(s.key) ?? null;
    let output: unknown = null;
    if (!s.pending || s.tookEffect) {
      switch (s.input.op) {
        case 'get': output = current; break;
        case 'put': data.set(s.key, s.input.value); break;
        case 'append': data.set(s.key, (current ?? '') + s.input.value); break;
        case 'cas':
          output = current === s.input.expected;
          if (output === true) data.set(s.key, s.input.value);
          break;
      }
    }
    const call = 2 * Math.max(0, k - s.before);
    return { client: `c${k}`, seq: 1, key: s.key, input: s.input, call, ret: s.pending ? null : 2 * (k + s.after) + 1, output: s.pending ? null : output };
  });
}

describe('LIN-1 scale', () => {
  it('LIN-1: a few hundred heavily overlapping operations on one key finish with ok', () => {
    const next = lcg(42);
    const letters = ['a', 'b', 'c'];
    const specs = Array.from({ length: 400 }, () => {
      const pick = next(10);
      const v = letters[next(3)] as string;
      const input: OperationInput = pick < 4 ? get : pick < 6 ? put(v) : pick < 8 ? append(v) : cas(next(2) === 0 ? null : v, v);
      return { key: 'x', input, before: next(12), after: next(12), pending: next(20) === 0, tookEffect: next(2) === 0 };
    });
    expect(checkLinearizable(executedHistory(specs))).toEqual({ status: 'ok', operations: 400, keys: 1 });
  });

  it('LIN-1: hundreds of operations all overlapping each other finish with ok', () => {
    const ops = Array.from({ length: 300 }, (_, k) => op(`c${k}:1`, 'x', k % 3 === 2 ? get : append('a'), k, 300 + k, k % 3 === 2 ? 'a'.repeat(k - Math.floor(k / 3)) : null));
    expect(checkLinearizable(ops)).toEqual({ status: 'ok', operations: 300, keys: 1 });
  });
});

describe('LIN-1 properties', () => {
  const value = fc.constantFrom('a', 'b', '');
  const input: fc.Arbitrary<OperationInput> = fc.oneof(
    fc.constant(get),
    value.map(put),
    value.map(append),
    fc.tuple(fc.option(value, { nil: null }), value).map(([e, v]) => cas(e, v)),
  );
  const spec = (spread: number) => fc.record({
    key: fc.constantFrom('x', 'y'),
    input,
    before: fc.nat(spread),
    after: fc.nat(spread),
    pending: fc.boolean().chain((p) => (p ? fc.boolean() : fc.constant(false))),
    tookEffect: fc.boolean(),
  });

  it('LIN-1: a history whose windows contain a real sequential execution is always ok', () => {
    fc.assert(fc.property(fc.array(spec(6), { maxLength: 40 }), (specs) => {
      expect(checkLinearizable(executedHistory(specs)).status).toBe('ok');
    }), { numRuns: 300 });
  });

  it('LIN-1: on small random histories the checker agrees with trying every order', () => {
    // The oracle: every order of the operations that respects real time, each pending operation
    // placed somewhere or left out, executed by KV-1 directly; no pruning, no memoization.
    const bruteForce = (ops: readonly Operation[]): boolean => {
      const tryFrom = (left: readonly Operation[], data: string | null): boolean => {
        if (left.every((o) => o.ret === null)) return true;
        return left.some((o) => {
          if (left.some((p) => p.ret !== null && p.ret < o.call)) return false;
          let result: unknown = null;
          let after = data;
          if (o.input.op === 'get') result = data;
          else if (o.input.op === 'put') after = o.input.value;
          else if (o.input.op === 'append') after = (data ?? '') + o.input.value;
          else if (data === o.input.expected) { result = true; after = o.input.value; } else result = false;
          if (o.ret !== null && o.output !== result) return false;
          return tryFrom(left.filter((p) => p !== o), after);
        });
      };
      const keys = new Set(ops.map((o) => o.key));
      return [...keys].every((k) => tryFrom(ops.filter((o) => o.key === k), null));
    };
    const timed = fc.record({
      key: fc.constantFrom('x', 'y'),
      input,
      call: fc.nat(8),
      length: fc.nat(6),
      pending: fc.nat(5).map((p) => p === 0),
      pick: fc.nat(6),
    });
    // Mostly results of the right kind, so that many histories are linearizable and the
    // violations are subtle; now and then one of the wrong kind.
    const outputFor = (input: OperationInput, pick: number): unknown =>
      input.op === 'get' ? [null, 'a', 'b', '', 'ab', 'ba', 'aa'][pick] : input.op === 'cas' ? pick % 2 === 0 : pick === 6 ? 'a' : null;
    let violations = 0;
    let oks = 0;
    fc.assert(fc.property(fc.array(timed, { maxLength: 7 }), (specs) => {
      const ops = specs.map((t, k): Operation => ({
        client: `c${k}`, seq: 1, key: t.key, input: t.input, call: t.call, ret: t.pending ? null : t.call + 1 + t.length, output: t.pending ? null : outputFor(t.input, t.pick),
      }));
      const expected = bruteForce(ops);
      if (expected) oks++;
      else violations++;
      expect(checkLinearizable(ops).status).toBe(expected ? 'ok' : 'violation');
    }), { numRuns: 2000 });
    expect(violations).toBeGreaterThan(300);
    expect(oks).toBeGreaterThan(300);
  });

  it('LIN-1: in a history without overlaps, changing one answered result is always a violation', () => {
    const answered = fc.record({ key: fc.constantFrom('x', 'y'), input, before: fc.constant(0), after: fc.constant(0), pending: fc.constant(false), tookEffect: fc.constant(true) });
    fc.assert(fc.property(fc.array(answered, { minLength: 1, maxLength: 30 }), fc.nat(), (specs, pick) => {
      const ops = executedHistory(specs);
      const k = pick % ops.length;
      const o = ops[k] as Operation;
      // A result of the right kind but different (a value read as another), or of the wrong kind.
      const wrong = o.input.op === 'cas' ? !o.output : o.input.op === 'get' ? (o.output === null ? 'zz' : null) : 'zz';
      ops[k] = { ...o, output: wrong };
      expect(checkLinearizable(ops).status).toBe('violation');
    }), { numRuns: 300 });
  });
});
