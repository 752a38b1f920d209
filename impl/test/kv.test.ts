// The key-value state machine of the implementation (KV-1) and its client table (CLI-2).
import { describe, expect, it } from 'vitest';
import { KvMachine } from '../kv.js';

describe('operations (KV-1)', () => {
  it('get returns the value, or null for an absent key, and changes nothing (KV-1)', () => {
    const m = KvMachine.from({ data: { x: 'a' }, sessions: {} });
    expect(m.execute({ op: 'get', key: 'x' })).toEqual({ result: 'a', duplicate: false });
    expect(m.execute({ op: 'get', key: 'y' })).toEqual({ result: null, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: 'a' }, sessions: {} });
  });

  it('put sets the value and returns null (KV-1)', () => {
    const m = new KvMachine();
    expect(m.execute({ op: 'put', key: 'x', value: '1' })).toEqual({ result: null, duplicate: false });
    expect(m.execute({ op: 'put', key: 'x', value: '2' })).toEqual({ result: null, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: '2' }, sessions: {} });
    expect(m.get('x')).toBe('2');
  });

  it('append adds to the value, an absent key holding "" (KV-1)', () => {
    const m = new KvMachine();
    expect(m.execute({ op: 'append', key: 'x', value: 'ab' })).toEqual({ result: null, duplicate: false });
    expect(m.execute({ op: 'append', key: 'x', value: 'c' })).toEqual({ result: null, duplicate: false });
    expect(m.get('x')).toBe('abc');
  });

  it('cas sets the value only when the current one is the expected one, null meaning absent (KV-1)', () => {
    const m = new KvMachine();
    expect(m.execute({ op: 'cas', key: 'x', expected: 'a', value: 'b' })).toEqual({ result: false, duplicate: false });
    expect(m.get('x')).toBeNull();
    expect(m.execute({ op: 'cas', key: 'x', expected: null, value: 'a' })).toEqual({ result: true, duplicate: false });
    expect(m.execute({ op: 'cas', key: 'x', expected: null, value: 'z' })).toEqual({ result: false, duplicate: false });
    expect(m.execute({ op: 'cas', key: 'x', expected: 'a', value: 'b' })).toEqual({ result: true, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: 'b' }, sessions: {} });
  });

  it('any other command is opaque: no effect, result null, not a duplicate (KV-1)', () => {
    const m = KvMachine.from({ data: { x: 'a' }, sessions: {} });
    const opaque: unknown[] = [
      'put x 1', 42, null, true, ['put', 'x'],
      { op: 'delete', key: 'x' },
      { op: 'put', key: 'x' }, // no value
      { op: 'put', key: 'x', value: 1 }, // not a string
      { op: 'get', key: 'x', extra: 1 }, // a field a KvCommand does not have
      { op: 'cas', key: 'x', value: 'b' }, // no expected
      { op: 'put', key: 'x', value: 'b', client: '', seq: 1 }, // empty client
      { op: 'put', key: 'x', value: 'b', client: 'c', seq: 0 }, // seq below 1
    ];
    for (const c of opaque) expect(m.execute(c)).toEqual({ result: null, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: 'a' }, sessions: {} });
  });

  it('a key named __proto__ is an ordinary key (KV-1)', () => {
    const m = new KvMachine();
    m.execute({ op: 'put', key: '__proto__', value: 'v' });
    const s = m.toState();
    expect(Object.keys(s.data)).toEqual(['__proto__']);
    expect(s.data['__proto__']).toBe('v');
    expect(KvMachine.from(s).get('__proto__')).toBe('v');
  });
});

describe('the client table (CLI-2)', () => {
  it('a command with client and seq runs once; a retry gets the recorded result without running again (CLI-2)', () => {
    const m = new KvMachine();
    expect(m.execute({ op: 'cas', key: 'x', expected: null, value: 'a', client: 'c1', seq: 1 })).toEqual({ result: true, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } });
    // Run again it would fail (x is no longer absent); from the table it is the first answer.
    expect(m.execute({ op: 'cas', key: 'x', expected: null, value: 'a', client: 'c1', seq: 1 })).toEqual({ result: true, duplicate: true });
    expect(m.execute({ op: 'append', key: 'x', value: 'b', client: 'c1', seq: 2 })).toEqual({ result: null, duplicate: false });
    expect(m.execute({ op: 'append', key: 'x', value: 'b', client: 'c1', seq: 2 })).toEqual({ result: null, duplicate: true });
    expect(m.get('x')).toBe('ab');
  });

  it('an older seq is not run and gets null; the table keeps the latest (CLI-2)', () => {
    const m = new KvMachine();
    m.execute({ op: 'put', key: 'x', value: 'v', client: 'c1', seq: 5 });
    expect(m.execute({ op: 'get', key: 'x', client: 'c1', seq: 6 })).toEqual({ result: 'v', duplicate: false });
    expect(m.execute({ op: 'put', key: 'x', value: 'old', client: 'c1', seq: 3 })).toEqual({ result: null, duplicate: true });
    expect(m.execute({ op: 'get', key: 'x', client: 'c1', seq: 6 })).toEqual({ result: 'v', duplicate: true });
    expect(m.toState()).toEqual({ data: { x: 'v' }, sessions: { c1: { seq: 6, result: 'v' } } });
  });

  it('clients are independent, and a command without client and seq is never a duplicate (CLI-2)', () => {
    const m = new KvMachine();
    m.execute({ op: 'append', key: 'x', value: 'a', client: 'c1', seq: 1 });
    expect(m.execute({ op: 'append', key: 'x', value: 'b', client: 'c2', seq: 1 })).toEqual({ result: null, duplicate: false });
    m.execute({ op: 'append', key: 'x', value: 'c' });
    expect(m.execute({ op: 'append', key: 'x', value: 'c' })).toEqual({ result: null, duplicate: false });
    expect(m.toState()).toEqual({ data: { x: 'abcc' }, sessions: { c1: { seq: 1, result: null }, c2: { seq: 1, result: null } } });
  });

  it('the table travels with the state: a machine built from a state answers its duplicates (CLI-2)', () => {
    const m = KvMachine.from({ data: { x: '1' }, sessions: { c1: { seq: 4, result: false } } });
    expect(m.execute({ op: 'cas', key: 'x', expected: '1', value: '2', client: 'c1', seq: 4 })).toEqual({ result: false, duplicate: true });
    expect(m.get('x')).toBe('1');
    expect(m.sessionOf('c1')).toEqual({ seq: 4, result: false });
  });

  it('from and toState copy: changing one side does not reach the other (CLI-2)', () => {
    const state = { data: { x: '1' }, sessions: { c1: { seq: 1, result: null } } };
    const m = KvMachine.from(state);
    m.execute({ op: 'put', key: 'x', value: '2', client: 'c1', seq: 2 });
    expect(state).toEqual({ data: { x: '1' }, sessions: { c1: { seq: 1, result: null } } });
    const out = m.toState();
    out.data['x'] = 'changed';
    expect(m.get('x')).toBe('2');
  });
});
