// The key-value state machine (KV-1) and its client table (CLI-2): given this machine and this
// command, expect this machine, this result and this duplicate flag. Expected values by hand.
import { describe, it, expect } from 'vitest';
import { EMPTY_KV, type KvState } from '../../spec/schema.js';
import { execute } from '../kv.js';

const kv = (data: Record<string, string>, sessions: KvState['sessions'] = {}): KvState => ({ data, sessions });

describe('execute: KV-1 operations', () => {
  it('get returns the value, or null for an absent key, and changes nothing', () => {
    const m = kv({ x: 'a' });
    expect(execute(m, { op: 'get', key: 'x' })).toEqual({ machine: m, result: 'a', duplicate: false });
    const absent = execute(m, { op: 'get', key: 'y' });
    expect(absent).toEqual({ machine: m, result: null, duplicate: false });
    expect(absent.machine).toBe(m);
  });

  it('get of a key named like an Object.prototype member is null, not the inherited member', () => {
    expect(execute(EMPTY_KV, { op: 'get', key: 'constructor' }).result).toBeNull();
    expect(execute(EMPTY_KV, { op: 'append', key: 'toString', value: 'v' }).machine.data).toEqual({ toString: 'v' });
  });

  it('put sets the value and returns null', () => {
    expect(execute(kv({ x: 'a' }), { op: 'put', key: 'x', value: 'b' })).toEqual({ machine: kv({ x: 'b' }), result: null, duplicate: false });
    expect(execute(EMPTY_KV, { op: 'put', key: 'y', value: '' }).machine).toEqual(kv({ y: '' }));
  });

  it('append concatenates, an absent key holding ""', () => {
    expect(execute(kv({ x: 'ab' }), { op: 'append', key: 'x', value: 'c' })).toEqual({ machine: kv({ x: 'abc' }), result: null, duplicate: false });
    expect(execute(EMPTY_KV, { op: 'append', key: 'x', value: 'c' }).machine).toEqual(kv({ x: 'c' }));
  });

  it('cas sets the value only when the current one is expected, and says whether it did', () => {
    expect(execute(kv({ x: 'a' }), { op: 'cas', key: 'x', expected: 'a', value: 'b' })).toEqual({ machine: kv({ x: 'b' }), result: true, duplicate: false });
    const m = kv({ x: 'a' });
    const refused = execute(m, { op: 'cas', key: 'x', expected: 'z', value: 'b' });
    expect(refused).toEqual({ machine: m, result: false, duplicate: false });
    expect(refused.machine).toBe(m);
  });

  it('cas with expected null sets an absent key and refuses a present one (even one holding "")', () => {
    expect(execute(EMPTY_KV, { op: 'cas', key: 'x', expected: null, value: 'b' })).toEqual({ machine: kv({ x: 'b' }), result: true, duplicate: false });
    expect(execute(kv({ x: '' }), { op: 'cas', key: 'x', expected: null, value: 'b' }).result).toBe(false);
    expect(execute(EMPTY_KV, { op: 'cas', key: 'x', expected: '', value: 'b' }).result).toBe(false);
  });

  it('opaque commands (a string, a number, null, an object that is not a KvCommand) change nothing and return null', () => {
    const m = kv({ x: 'a' }, { c1: { seq: 1, result: null } });
    for (const c of ['x', 7, null, { op: 'set', key: 'x', value: 'b' }, { op: 'put', key: 'x' }, { op: 'put', key: 'x', value: 'b', extra: 1 }, { op: 'put', key: 'x', value: 'b', client: 'c1', seq: 0 }, [1, 2]]) {
      const r = execute(m, c);
      expect(r).toEqual({ machine: m, result: null, duplicate: false });
      expect(r.machine).toBe(m);
    }
  });

  it('does not change the machine it was given', () => {
    const m = kv({ x: 'a' });
    execute(m, { op: 'put', key: 'x', value: 'b', client: 'c1', seq: 1 });
    expect(m).toEqual(kv({ x: 'a' }));
  });
});

describe('execute: CLI-2 client table', () => {
  it('a command with client and seq is executed and recorded with its result', () => {
    expect(execute(kv({ x: 'a' }), { op: 'cas', key: 'x', expected: 'a', value: 'b', client: 'c1', seq: 3 })).toEqual({
      machine: kv({ x: 'b' }, { c1: { seq: 3, result: true } }), result: true, duplicate: false,
    });
  });

  it('a get with client and seq goes through the table like any other command', () => {
    expect(execute(kv({ x: 'a' }), { op: 'get', key: 'x', client: 'c1', seq: 1 })).toEqual({
      machine: kv({ x: 'a' }, { c1: { seq: 1, result: 'a' } }), result: 'a', duplicate: false,
    });
  });

  it('the same seq again is not executed: answered with the recorded result, duplicate', () => {
    const m = kv({ x: 'ab' }, { c1: { seq: 2, result: null } });
    const r = execute(m, { op: 'append', key: 'x', value: 'b', client: 'c1', seq: 2 });
    expect(r).toEqual({ machine: m, result: null, duplicate: true });
    expect(r.machine).toBe(m);
    const cas = kv({ x: 'b' }, { c1: { seq: 4, result: true } });
    expect(execute(cas, { op: 'cas', key: 'x', expected: 'a', value: 'b', client: 'c1', seq: 4 })).toEqual({ machine: cas, result: true, duplicate: true });
  });

  it('an older seq is not executed either, and answered null (its result is forgotten)', () => {
    const m = kv({ x: 'v' }, { c1: { seq: 5, result: 'v' } });
    expect(execute(m, { op: 'get', key: 'x', client: 'c1', seq: 4 })).toEqual({ machine: m, result: null, duplicate: true });
    expect(execute(m, { op: 'put', key: 'x', value: 'w', client: 'c1', seq: 1 })).toEqual({ machine: m, result: null, duplicate: true });
  });

  it('a newer seq is executed and replaces the entry; other clients are independent', () => {
    const m = kv({ x: 'a' }, { c1: { seq: 1, result: null }, c2: { seq: 9, result: 'a' } });
    expect(execute(m, { op: 'put', key: 'x', value: 'b', client: 'c1', seq: 2 })).toEqual({
      machine: kv({ x: 'b' }, { c1: { seq: 2, result: null }, c2: { seq: 9, result: 'a' } }), result: null, duplicate: false,
    });
    expect(execute(m, { op: 'put', key: 'x', value: 'b', client: 'c3', seq: 1 }).machine.sessions).toEqual({
      c1: { seq: 1, result: null }, c2: { seq: 9, result: 'a' }, c3: { seq: 1, result: null },
    });
  });

  it('a command without client and seq bypasses the table; one with only one of them is not a KvCommand (opaque)', () => {
    const m = kv({ x: 'a' }, { c1: { seq: 5, result: null } });
    expect(execute(m, { op: 'append', key: 'x', value: 'b' })).toEqual({ machine: kv({ x: 'ab' }, { c1: { seq: 5, result: null } }), result: null, duplicate: false });
    expect(execute(m, { op: 'append', key: 'x', value: 'b', client: 'c1' })).toEqual({ machine: m, result: null, duplicate: false });
    expect(execute(m, { op: 'append', key: 'x', value: 'b', seq: 1 })).toEqual({ machine: m, result: null, duplicate: false });
  });
});
