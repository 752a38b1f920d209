// What a step hands back for persistence (PER-1), proposals, crash and restart, and the
// observation API.
import { describe, expect, it } from 'vitest';
import { MemoryStorage, RaftNode } from '../index.js';
import { ae, entries, rv, server } from './helpers.js';

describe('Ready: what to persist (PER-1)', () => {
  it('hardState is set exactly when currentTerm or votedFor changed', () => {
    const s1 = server('s1', { currentTerm: 1 });
    expect(s1.step(ae({ to: 's1', from: 's2' })).hardState).toBeNull();
    expect(s1.step(rv({ term: 1, from: 's3' })).hardState).toEqual({ currentTerm: 1, votedFor: 's3' });
    expect(s1.step(rv({ term: 1, from: 's3' })).hardState).toBeNull(); // the same vote again
    expect(s1.step(ae({ to: 's1', from: 's2', term: 2 })).hardState).toEqual({ currentTerm: 2, votedFor: null });
  });

  it('a conflict gives truncatedAfter and appended; replaying every Ready onto storage gives the log', () => {
    const s2 = server('s2', { currentTerm: 1 });
    const disk = new MemoryStorage();
    disk.save(s2.step(ae({ entries: entries(1, 1, 1) })));
    const newer = [{ term: 2, command: 'y2' }, { term: 2, command: 'y3' }];
    const ready = s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: newer }));
    expect(ready.truncatedAfter).toBe(1);
    expect(ready.appended).toEqual({ index: 2, entries: newer });
    disk.save(ready);
    expect(disk.log).toEqual(s2.toJSON().log);
    expect(disk.hardState).toEqual({ currentTerm: 2, votedFor: null });
  });

  it('every step gets its own Ready and arrays', () => {
    const s1 = server('s1', {});
    const a = s1.step({ type: 'electionTimeout' });
    const b = s1.step({ type: 'electionTimeout' });
    expect(a).not.toBe(b);
    expect(a.messages).not.toBe(b.messages);
    expect(a.messages[0]).toMatchObject({ term: 1 });
    expect(b.messages[0]).toMatchObject({ term: 2 });
  });
});

describe('propose (the labs\' start(command))', () => {
  it('on a leader: appends, and returns the index, the term and what to persist and send', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 0 } });
    const p = s1.propose('cmd');
    expect(p).toMatchObject({ index: 2, term: 3, isLeader: true });
    expect(p.ready.appended).toEqual({ index: 2, entries: [{ term: 3, command: 'cmd' }] });
    expect(p.ready.messages.map((m) => m.to)).toEqual(['s2', 's3']);
    expect(s1.entryAt(2)).toEqual({ term: 3, command: 'cmd' });
  });

  it('elsewhere: refuses, changes nothing, and says so with a redirect (DEC-9, CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 3, log: entries(1), leaderId: 's1' });
    const p = s2.propose('cmd');
    expect(p).toEqual({
      index: 0, term: 3, isLeader: false,
      ready: { messages: [], applied: [], hardState: null, truncatedAfter: null, appended: null, snapshot: null, replies: [{ type: 'redirect', node: 's2', client: null, seq: null, leader: 's1' }] },
    });
    expect(s2.lastIndex).toBe(1);
  });
});

describe('crash and restart (PER-1, DEC-7)', () => {
  const leaderState = { role: 'leader' as const, currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], log: entries(1, 3), commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } };

  it('restartInPlace keeps currentTerm, votedFor and the log, and forgets everything else', () => {
    const s1 = server('s1', leaderState);
    s1.restartInPlace();
    expect(s1.toJSON()).toEqual({
      role: 'follower', currentTerm: 3, votedFor: 's1', log: entries(1, 3),
      commitIndex: 0, lastApplied: 0, nextIndex: {}, matchIndex: {}, votesGranted: [],
      snapshotIndex: 0, snapshotTerm: 0, snapshotMachine: { data: {}, sessions: {} }, snapshotConfig: null, machine: { data: {}, sessions: {} }, leaderId: null, partialSnapshot: null,
      heardFromLeader: false, recentlyActive: [], transferee: null, appliedIndex: {},
    });
  });

  it('a restarted server applies its log again from index 1 once it learns the commit index', () => {
    const s1 = server('s1', leaderState);
    s1.restartInPlace();
    const ready = s1.step(ae({ from: 's2', to: 's1', term: 3, prevLogIndex: 2, prevLogTerm: 3, leaderCommit: 2 }));
    expect(ready.applied.map((e) => e.index)).toEqual([1, 2]);
  });

  it('RaftNode.restart builds a follower from what the crashed server persisted', () => {
    const persisted = server('s1', leaderState).persisted();
    expect(persisted).toEqual({ hardState: { currentTerm: 3, votedFor: 's1' }, log: entries(1, 3) });
    const s1 = RaftNode.restart({ id: 's1', servers: ['s1', 's2', 's3'] }, persisted);
    expect(s1.toJSON()).toEqual({
      role: 'follower', currentTerm: 3, votedFor: 's1', log: entries(1, 3),
      commitIndex: 0, lastApplied: 0, nextIndex: {}, matchIndex: {}, votesGranted: [],
      snapshotIndex: 0, snapshotTerm: 0, snapshotMachine: { data: {}, sessions: {} }, snapshotConfig: null, machine: { data: {}, sessions: {} }, leaderId: null, partialSnapshot: null,
      heardFromLeader: false, recentlyActive: [], transferee: null, appliedIndex: {},
    });
    expect(s1.takeLogChangedFrom()).toBe(1);
  });
});

describe('observation', () => {
  it('takeLogChangedFrom reports the lowest index written or removed since the last call', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1, 1, 1) });
    expect(s2.takeLogChangedFrom()).toBe(1); // the initial log
    expect(s2.takeLogChangedFrom()).toBe(Infinity);
    s2.step(ae({ prevLogIndex: 4, prevLogTerm: 1 })); // a heartbeat: nothing written
    expect(s2.takeLogChangedFrom()).toBe(Infinity);
    s2.step(ae({ term: 2, prevLogIndex: 2, prevLogTerm: 1, entries: entries(1, 1, 2).slice(2) })); // truncate after 2, write 3
    s2.step(ae({ term: 2, prevLogIndex: 3, prevLogTerm: 2, entries: [{ term: 2, command: 'y' }] })); // write 4
    expect(s2.takeLogChangedFrom()).toBe(3);
  });

  it('termAt(0) is 0; entryAt and termAt outside the log throw a RangeError', () => {
    const s1 = server('s1', { log: entries(1) });
    expect(s1.termAt(0)).toBe(0);
    expect(s1.termAt(1)).toBe(1);
    expect(() => s1.termAt(2)).toThrow(RangeError);
    expect(() => s1.entryAt(0)).toThrow(RangeError);
    expect(() => s1.entryAt(2)).toThrow(RangeError);
  });

  it('toJSON gives the spec\'s NodeState, with per-peer maps only where the server keeps them', () => {
    const state = {
      role: 'leader' as const, currentTerm: 2, votedFor: 's1', log: entries(1, 2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 0 }, votesGranted: ['s1', 's3'],
      snapshotIndex: 0, snapshotTerm: 0, snapshotMachine: { data: {}, sessions: {} }, snapshotConfig: null, machine: { data: { x: '1' }, sessions: { c: { seq: 2, result: null } } }, leaderId: 's1', partialSnapshot: null,
      heardFromLeader: false, recentlyActive: ['s3'], transferee: 's2', appliedIndex: {},
    };
    expect(server('s1', state).toJSON()).toEqual(state);
    expect(server('s2').toJSON()).toEqual({ role: 'follower', currentTerm: 0, votedFor: null, log: [], commitIndex: 0, lastApplied: 0, nextIndex: {}, matchIndex: {}, votesGranted: [], snapshotIndex: 0, snapshotTerm: 0, snapshotMachine: { data: {}, sessions: {} }, snapshotConfig: null, machine: { data: {}, sessions: {} }, leaderId: null, partialSnapshot: null, heardFromLeader: false, recentlyActive: [], transferee: null, appliedIndex: {}, });
  });

  it('ignores a message from a server outside the cluster (no term change, no reply)', () => {
    const s1 = server('s1', { currentTerm: 1 });
    const ready = s1.step(rv({ from: 's9', term: 5 }));
    expect(ready.messages).toEqual([]);
    expect(s1.currentTerm).toBe(1);
  });

  it('rejects a configuration it cannot run', () => {
    expect(() => new RaftNode({ id: 's9', servers: ['s1', 's2'] })).toThrow(/not in servers/);
    expect(() => new RaftNode({ id: 's1', servers: ['s1', 's1'] })).toThrow(/twice/);
    expect(() => new RaftNode({ id: 's1', servers: ['s1'], options: { maxEntriesPerAppendEntries: 0 } })).toThrow(/maxEntriesPerAppendEntries/);
    expect(() => server('s1', { nextIndex: { s9: 1 } })).toThrow(/s9/);
  });
});
