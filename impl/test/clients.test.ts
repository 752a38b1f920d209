// Clients (§8) in the implementation: redirects and leaderId (CLI-1), answers after apply (LEA-2),
// exactly once (CLI-2), the leader's no-op (CLI-3) and ReadIndex reads (CLI-4). Given this state
// and this input, expect these replies, messages and state, written out by hand.
import { describe, expect, it } from 'vitest';
import type { ClientReply, Observation } from '../../spec/schema.js';
import { Cluster } from '../index.js';
import { ae, aer, entries, rv, S3, S5, server } from './helpers.js';

/** s1, leader of term 2 (of S3 unless told otherwise). */
function leader(state: Observation, servers: readonly string[] = S3) {
  return server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', ...state }, servers);
}

const put = (key: string, value: string, client: string, seq: number) => ({ op: 'put' as const, key, value, client, seq });
const appendTo = (to: string, f: { prevLogIndex: number; prevLogTerm: number; entries: { term: number; command: unknown }[]; leaderCommit: number; readRound?: number }) =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', ...f });

describe('redirects (CLI-1, DEC-9)', () => {
  it('a follower that knows no leader redirects to none, with the command\'s client and seq, and changes nothing (CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1) });
    const before = s2.toJSON();
    const ready = s2.step({ type: 'clientRequest', command: put('k', 'v', 'c1', 7) });
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 7, leader: null }]);
    expect(ready.messages).toEqual([]);
    expect(ready.appended).toBeNull();
    expect(s2.toJSON()).toEqual(before);
  });

  it('a follower redirects to the leader of its term it heard from; an opaque command has no client or seq (CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 1 });
    s2.step(ae({ from: 's3', term: 1 }));
    expect(s2.leaderId).toBe('s3');
    expect(s2.step({ type: 'clientRequest', command: 'set x' }).replies).toEqual([{ type: 'redirect', node: 's2', client: null, seq: null, leader: 's3' }]);
    // A key-value command with a client but no seq does not name an operation either.
    expect(s2.step({ type: 'clientRequest', command: { op: 'get', key: 'x', client: 'c1' } }).replies).toEqual([{ type: 'redirect', node: 's2', client: null, seq: null, leader: 's3' }]);
  });

  it('a read to a follower or a candidate is redirected with the read\'s client and seq (CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 2, leaderId: 's1' });
    expect(s2.step({ type: 'clientRead', client: 'c2', seq: 3, key: 'k' }).replies).toEqual([{ type: 'redirect', node: 's2', client: 'c2', seq: 3, leader: 's1' }]);
    const s3 = server('s3', { role: 'candidate', currentTerm: 2, votedFor: 's3', votesGranted: ['s3'] });
    const ready = s3.step({ type: 'clientRead', client: 'c2', seq: 4, key: 'k' });
    expect(ready.replies).toEqual([{ type: 'redirect', node: 's3', client: 'c2', seq: 4, leader: null }]);
    expect(ready.messages).toEqual([]);
  });
});

describe('leaderId (CLI-1)', () => {
  it('is set by an AppendEntries of the current term, even one that fails the consistency check (CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 1 });
    const ready = s2.step(ae({ term: 1, prevLogIndex: 5, prevLogTerm: 1 }));
    expect(ready.messages).toMatchObject([{ type: 'AppendEntriesResponse', success: false }]);
    expect(s2.leaderId).toBe('s1');
  });

  it('is not set by a stale AppendEntries (AE-1), and is forgotten when the term changes (ALL-2, CLI-1)', () => {
    const s2 = server('s2', { currentTerm: 3, leaderId: 's3' });
    s2.step(ae({ term: 2 }));
    expect(s2.leaderId).toBe('s3');
    s2.step(rv({ from: 's1', to: 's2', term: 4 }));
    expect(s2.leaderId).toBeNull();
    s2.step(ae({ term: 5, from: 's3' })); // ALL-2 then the new leader
    expect(s2.leaderId).toBe('s3');
  });

  it('is forgotten by a new candidate (CAN-1) and is the server itself once it leads (CLI-1)', () => {
    const s1 = server('s1', { currentTerm: 1, leaderId: 's2' });
    s1.step({ type: 'electionTimeout' });
    expect(s1.leaderId).toBeNull();
    s1.step({ type: 'RequestVoteResponse', from: 's3', to: 's1', term: 2, voteGranted: true });
    expect(s1.role).toBe('leader');
    expect(s1.leaderId).toBe('s1');
    expect(s1.toJSON().leaderId).toBe('s1');
  });

  it('is forgotten by a crash (CLI-1, SNAP-4)', () => {
    const s2 = server('s2', { currentTerm: 1, leaderId: 's1' });
    s2.restartInPlace();
    expect(s2.leaderId).toBeNull();
  });
});

describe('answers after apply (LEA-2, KV-1, CLI-2)', () => {
  it('a leader answers a command once it has applied it, with the state machine\'s result (LEA-2)', () => {
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const cas = { op: 'cas' as const, key: 'k', expected: null, value: 'a', client: 'c1', seq: 1 };
    const r1 = s1.step({ type: 'clientRequest', command: cas });
    expect(r1.replies).toEqual([]);
    const r2 = s1.step(aer({ term: 2, matchIndex: 1 }));
    expect(r2.applied).toEqual([{ index: 1, term: 2, command: cas, result: true, duplicate: false }]);
    expect(r2.replies).toEqual([{ type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: true, duplicate: false }]);
    expect(s1.machine).toEqual({ data: { k: 'a' }, sessions: { c1: { seq: 1, result: true } } });
    expect(s1.valueOf('k')).toBe('a');
  });

  it('a retried command is applied again but answered from the client table, not executed (LEA-2, CLI-2)', () => {
    const cas = { op: 'cas' as const, key: 'k', expected: null, value: 'a', client: 'c1', seq: 1 };
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    s1.step({ type: 'clientRequest', command: cas });
    s1.step({ type: 'clientRequest', command: cas }); // the client timed out and sent it again
    const ready = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(ready.applied.map((e) => [e.index, e.result, e.duplicate])).toEqual([[1, true, false], [2, true, true]]);
    expect(ready.replies).toEqual([
      { type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: true, duplicate: false },
      { type: 'result', node: 's1', client: 'c1', seq: 1, index: 2, result: true, duplicate: true },
    ]);
  });

  it('an opaque command is answered with result null and no client or seq (LEA-2, KV-1)', () => {
    const s1 = server('s1', {}, ['s1']);
    s1.step({ type: 'electionTimeout' });
    const ready = s1.step({ type: 'clientRequest', command: 'x' });
    expect(ready.replies).toEqual([{ type: 'result', node: 's1', client: null, seq: null, index: 1, result: null, duplicate: false }]);
  });

  it('a follower applies the same entries with the same results but answers nobody (LEA-2)', () => {
    const s2 = server('s2', { currentTerm: 2 });
    const ready = s2.step(ae({ term: 2, entries: [{ term: 2, command: put('k', 'v', 'c1', 1) }, { term: 2, command: { op: 'get', key: 'k' } }], leaderCommit: 2 }));
    expect(ready.applied.map((e) => e.result)).toEqual([null, 'v']);
    expect(ready.replies).toEqual([]);
  });

  it('no answer when the entry was overwritten by another leader\'s: the client will retry (LEA-2)', () => {
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    s1.step({ type: 'clientRequest', command: put('k', 'mine', 'c1', 1) });
    const other = { term: 3, command: put('k', 'theirs', 'c2', 1) };
    const ready = s1.step(ae({ from: 's3', to: 's1', term: 3, entries: [other], leaderCommit: 1 }));
    expect(s1.role).toBe('follower');
    expect(ready.truncatedAfter).toBe(0);
    expect(ready.applied).toEqual([{ index: 1, term: 3, command: other.command, result: null, duplicate: false }]);
    expect(ready.replies).toEqual([]);
    expect(s1.valueOf('k')).toBe('theirs');
  });

  it('the answer survives a change of role: a deposed leader answers when its entry commits under the next leader (LEA-2)', () => {
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const mine = { term: 2, command: put('k', 'mine', 'c1', 1) };
    s1.step({ type: 'clientRequest', command: mine.command });
    s1.step(rv({ from: 's2', to: 's1', term: 3, lastLogIndex: 1, lastLogTerm: 2 }));
    expect(s1.role).toBe('follower');
    const ready = s1.step(ae({ from: 's2', to: 's1', term: 3, prevLogIndex: 1, prevLogTerm: 2, entries: [{ term: 3, command: null }], leaderCommit: 2 }));
    expect(ready.replies).toEqual([{ type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: null, duplicate: false }]);
  });

  it('a crash forgets what was awaited: no answer after a restart (LEA-2)', () => {
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    s1.step({ type: 'clientRequest', command: put('k', 'v', 'c1', 1) });
    s1.restartInPlace();
    const ready = s1.step(ae({ from: 's2', to: 's1', term: 3, prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1 }));
    expect(ready.applied.map((e) => e.index)).toEqual([1]);
    expect(ready.replies).toEqual([]);
  });

  it('a crash empties the state machine; the log is applied again from the start (SNAP-4 without a snapshot)', () => {
    const s2 = server('s2', { currentTerm: 1, log: [{ term: 1, command: put('k', 'v', 'c1', 1) }], commitIndex: 1, lastApplied: 1, machine: { data: { k: 'v' }, sessions: { c1: { seq: 1, result: null } } } });
    s2.restartInPlace();
    expect(s2.machine).toEqual({ data: {}, sessions: {} });
    const ready = s2.step(ae({ term: 1, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }));
    expect(ready.applied).toEqual([{ index: 1, term: 1, command: put('k', 'v', 'c1', 1), result: null, duplicate: false }]);
    expect(s2.machine).toEqual({ data: { k: 'v' }, sessions: { c1: { seq: 1, result: null } } });
  });

  it('propose reports the index and term of the command, as the labs\' start(command) (LEA-2)', () => {
    const s1 = leader({ log: entries(1, 2), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 } });
    const p = s1.propose(put('k', 'v', 'c1', 1));
    expect([p.index, p.term, p.isLeader]).toEqual([3, 2, true]);
    expect(p.ready.replies).toEqual([]);
  });
});

describe('the leader\'s no-op (CLI-3)', () => {
  it('with leaderNoop, a new leader appends a no-op of its term and its first AppendEntries carry it (CLI-3)', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: entries(1) }, S3, { leaderNoop: true });
    const ready = s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(s1.role).toBe('leader');
    expect(s1.toJSON().log).toEqual([...entries(1), { term: 2, command: null }]);
    expect(ready.appended).toEqual({ index: 2, entries: [{ term: 2, command: null }] });
    expect(ready.messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: null }], leaderCommit: 0 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: null }], leaderCommit: 0 }),
    ]);
    expect([s1.nextIndexOf('s2'), s1.matchIndexOf('s2')]).toEqual([2, 0]);
    expect(ready.replies).toEqual([]);
  });

  it('the no-op is not awaited: committing it answers nobody, and a client command goes after it (CLI-3)', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] }, S3, { leaderNoop: true });
    s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(s1.propose('cmd').index).toBe(2);
    const ready = s1.step(aer({ term: 2, matchIndex: 1 }));
    expect(ready.applied).toEqual([{ index: 1, term: 2, command: null, result: null, duplicate: false }]);
    expect(ready.replies).toEqual([]);
  });

  it('a single server with leaderNoop commits and applies the no-op as it becomes leader (CLI-3)', () => {
    const s1 = server('s1', {}, ['s1'], { leaderNoop: true });
    const ready = s1.step({ type: 'electionTimeout' });
    expect(s1.role).toBe('leader');
    expect([s1.commitIndex, s1.lastApplied]).toEqual([1, 1]);
    expect(ready.applied).toEqual([{ index: 1, term: 1, command: null, result: null, duplicate: false }]);
  });

  it('without the option a new leader appends nothing (CLI-3)', () => {
    const s1 = server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const ready = s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(s1.lastIndex).toBe(0);
    expect(ready.appended).toBeNull();
  });
});

describe('ReadIndex reads (CLI-4)', () => {
  const read = (seq: number, key = 'k') => ({ type: 'clientRead' as const, client: 'r', seq, key });

  it('a read waits until the leader has committed an entry of its term, then starts a round (CLI-4)', () => {
    // s1 leads term 2; its only committed entry is of term 1.
    const s1 = leader({ log: [{ term: 1, command: put('k', 'old', 'c1', 1) }], commitIndex: 1, lastApplied: 1, machine: { data: { k: 'old' }, sessions: { c1: { seq: 1, result: null } } }, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 0 } });
    const r1 = s1.step(read(1));
    expect(r1.replies).toEqual([]);
    expect(r1.messages).toEqual([]); // no round yet: termAt(commitIndex) is 1, not 2
    expect(s1.pendingReadCount).toBe(1);
    const r2 = s1.step({ type: 'clientRequest', command: put('k', 'new', 'c1', 2) });
    expect(r2.messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: put('k', 'new', 'c1', 2) }], leaderCommit: 1 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: put('k', 'new', 'c1', 2) }], leaderCommit: 1 }),
    ]);
    // s2 acknowledges index 2: committed (term 2), so the round starts in the same step.
    const r3 = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(r3.replies).toEqual([{ type: 'result', node: 's1', client: 'c1', seq: 2, index: 2, result: null, duplicate: false }]);
    expect(r3.messages).toEqual([
      appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 2, readRound: 1 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: put('k', 'new', 'c1', 2) }], leaderCommit: 2, readRound: 1 }),
    ]);
    // s3's answer to the round makes a majority with the leader: the read is answered at read index 2.
    const r4 = s1.step(aer({ from: 's3', term: 2, matchIndex: 2, prevLogIndex: 1, readRound: 1 }));
    expect(r4.replies).toEqual([{ type: 'read', node: 's1', client: 'r', seq: 1, key: 'k', index: 2, result: 'new' }]);
    expect(s1.pendingReadCount).toBe(0);
  });

  it('a round needs a majority: answers without readRound or of an older round do not confirm it (CLI-4)', () => {
    const s1 = leader({ log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 } }, S5);
    s1.step(read(1, 'absent'));
    expect(s1.step(aer({ from: 's2', term: 2, matchIndex: 1, prevLogIndex: 1 })).replies).toEqual([]); // no readRound
    s1.step(read(2, 'absent')); // round 2
    expect(s1.step(aer({ from: 's2', term: 2, matchIndex: 1, prevLogIndex: 1, readRound: 1 })).replies).toEqual([]); // 2 of 5
    // s3 acknowledges round 1: the first read is confirmed (s1, s2, s3), the second (round 2) is not.
    expect(s1.step(aer({ from: 's3', term: 2, matchIndex: 1, prevLogIndex: 1, readRound: 1 })).replies).toEqual([
      { type: 'read', node: 's1', client: 'r', seq: 1, key: 'absent', index: 1, result: null },
    ]);
    expect(s1.step(aer({ from: 's4', term: 2, matchIndex: 1, prevLogIndex: 1, readRound: 2 })).replies).toEqual([]); // s1, s4
    expect(s1.step(aer({ from: 's5', term: 2, matchIndex: 1, prevLogIndex: 1, readRound: 3 })).replies).toEqual([
      { type: 'read', node: 's1', client: 'r', seq: 2, key: 'absent', index: 1, result: null },
    ]);
  });

  it('a rejection acknowledges leadership too, even a stale one that DEC-4 otherwise drops (CLI-4)', () => {
    const s1 = leader({ log: entries(2), commitIndex: 1, lastApplied: 1, machine: { data: { k: 'v' }, sessions: {} }, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const r1 = s1.step(read(1));
    expect(r1.messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1, readRound: 1 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1, readRound: 1 }),
    ]);
    const r2 = s1.step(aer({ term: 2, success: false, prevLogIndex: 0, readRound: 1 }));
    expect(r2.messages).toEqual([]); // DEC-4: not the current probe, no retry
    expect(r2.replies).toEqual([{ type: 'read', node: 's1', client: 'r', seq: 1, key: 'k', index: 1, result: 'v' }]);
  });

  it('every AppendEntries carries the latest round once there is one, heartbeats included (CLI-4)', () => {
    const s1 = leader({ log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages.map((m) => 'readRound' in m)).toEqual([false, false]);
    s1.step(read(1));
    s1.step(read(2));
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1, readRound: 2 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1, readRound: 2 }),
    ]);
  });

  it('a follower echoes readRound on success, on a consistency failure and on a stale rejection, and adds none otherwise (CLI-4)', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1) });
    expect(s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1, readRound: 4 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 1, readRound: 4 },
    ]);
    expect(s2.step(ae({ term: 2, prevLogIndex: 3, prevLogTerm: 2, readRound: 5 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: false, matchIndex: 0, prevLogIndex: 3, readRound: 5 },
    ]);
    expect(s2.step(ae({ term: 1, prevLogIndex: 1, prevLogTerm: 1, readRound: 6 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: false, matchIndex: 0, prevLogIndex: 1, readRound: 6 },
    ]);
    expect(s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 1 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 1 },
    ]);
  });

  it('with fastBacktracking, a rejection that reports the conflict echoes readRound too (CLI-4, FB-1)', () => {
    const s2 = server('s2', { currentTerm: 2, log: entries(1) }, S3, { fastBacktracking: true });
    expect(s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 2, readRound: 1 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: false, matchIndex: 0, prevLogIndex: 1, conflictTerm: 1, conflictIndex: 1, readRound: 1 },
    ]);
  });

  it('a read waits until the leader has applied through its read index (CLI-4)', () => {
    // A leader mid-history that has committed index 1 but not applied it yet (a trace may start so).
    const s1 = server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [{ term: 2, command: put('k', 'v', 'c1', 1) }], commitIndex: 1, lastApplied: 0 }, ['s1']);
    const r1 = s1.step(read(1));
    expect(r1.replies).toEqual([]); // confirmed at once (one server), but not applied
    const r2 = s1.step({ type: 'clientRequest', command: 'next' });
    expect(r2.applied.map((e) => e.index)).toEqual([1, 2]);
    expect(r2.replies).toEqual([
      { type: 'result', node: 's1', client: null, seq: null, index: 2, result: null, duplicate: false },
      { type: 'read', node: 's1', client: 'r', seq: 1, key: 'k', index: 1, result: 'v' },
    ]);
  });

  it('a leader that steps down drops its pending reads unanswered (CLI-4)', () => {
    const s1 = leader({ log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    s1.step(read(1));
    const down = s1.step(rv({ from: 's3', to: 's1', term: 3, lastLogIndex: 1, lastLogTerm: 2 }));
    expect(s1.role).toBe('follower');
    expect(down.replies).toEqual([]);
    expect(s1.pendingReadCount).toBe(0);
    expect(s1.step(aer({ term: 2, readRound: 1 })).replies).toEqual([]); // DEC-1: too late
    // Leader again in term 4: its rounds start from 0 again, and the old read stays unanswered.
    s1.step({ type: 'electionTimeout' });
    const won = s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 4, voteGranted: true });
    expect(won.messages.map((m) => 'readRound' in m)).toEqual([false, false]);
  });

  it('a crash drops the pending reads (CLI-4)', () => {
    const s1 = leader({ log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    s1.step(read(1));
    s1.restartInPlace();
    expect(s1.pendingReadCount).toBe(0);
  });

  it('a single server answers a read in the step that makes it possible, after the command that commits its term (CLI-4)', () => {
    const s1 = server('s1', {}, ['s1']);
    s1.step({ type: 'electionTimeout' });
    expect(s1.step(read(1)).replies).toEqual([]); // nothing of term 1 committed yet
    const ready = s1.step({ type: 'clientRequest', command: put('k', 'v', 'c1', 1) });
    expect(ready.replies).toEqual([
      { type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: null, duplicate: false },
      { type: 'read', node: 's1', client: 'r', seq: 1, key: 'k', index: 1, result: 'v' },
    ]);
    expect(s1.step(read(2)).replies).toEqual([{ type: 'read', node: 's1', client: 'r', seq: 2, key: 'k', index: 1, result: 'v' }]);
  });
});

describe('the Cluster\'s clients (CLI-1, LEA-2, CLI-4)', () => {
  it('a client is redirected to the leader, gets its result, and reads its write (CLI-1, LEA-2, CLI-4)', () => {
    const replies: ClientReply[] = [];
    const cluster = new Cluster(['a', 'b', 'c'], { options: { leaderNoop: true }, onReply: (r) => replies.push(r) });
    cluster.electionTimeout('a');
    cluster.runUntilQuiet();
    cluster.clientRequest('b', put('x', '1', 'c1', 1));
    expect(replies).toEqual([{ type: 'redirect', node: 'b', client: 'c1', seq: 1, leader: 'a' }]);
    cluster.clientRequest('a', put('x', '1', 'c1', 1));
    cluster.runUntilQuiet();
    cluster.clientRead('a', 'c1', 2, 'x');
    cluster.runUntilQuiet();
    expect(replies.slice(1)).toEqual([
      { type: 'result', node: 'a', client: 'c1', seq: 1, index: 2, result: null, duplicate: false },
      { type: 'read', node: 'a', client: 'c1', seq: 2, key: 'x', index: 2, result: '1' },
    ]);
  });
});
