// The leader (§5.3, §5.4.2): client commands, heartbeats, replication, back-off and commitment.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../spec/schema.js';
import { aer, entries, S3, S5, server } from './helpers.js';

/** s1, leader of term 2. */
function leader(state: Observation, servers: readonly string[] = S3, maxEntriesPerAppendEntries = 1) {
  return server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], ...state }, servers, { maxEntriesPerAppendEntries });
}

const appendTo = (to: string, f: { prevLogIndex: number; prevLogTerm: number; entries: { term: number; command: unknown }[]; leaderCommit: number; term?: number }) =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', ...f });

describe('client commands (LEA-2, LEA-3, DEC-9)', () => {
  it('a leader appends the command in its term and sends every follower the entries from its nextIndex', () => {
    const s1 = leader({ log: entries(1), nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 1, s3: 0 } });
    const ready = s1.step({ type: 'clientRequest', command: { set: 'k' } });
    expect(s1.toJSON().log).toEqual([...entries(1), { term: 2, command: { set: 'k' } }]);
    expect(ready.appended).toEqual({ index: 2, entries: [{ term: 2, command: { set: 'k' } }] });
    expect(ready.messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: { set: 'k' } }], leaderCommit: 0 }),
      appendTo('s3', { prevLogIndex: 0, prevLogTerm: 0, entries: entries(1), leaderCommit: 0 }),
    ]);
  });

  it('the leader of a cluster of one commits and applies a command in the same step', () => {
    const s1 = server('s1', {}, ['s1']);
    s1.step({ type: 'electionTimeout' });
    const ready = s1.step({ type: 'clientRequest', command: 'a' });
    expect(s1.commitIndex).toBe(1);
    expect(ready.applied).toEqual([{ index: 1, term: 1, command: 'a', result: null, duplicate: false }]);
    expect(ready.messages).toEqual([]);
  });

  it('a follower or candidate ignores client commands and heartbeat timers (DEC-9)', () => {
    for (const state of [{ currentTerm: 1 }, { role: 'candidate' as const, currentTerm: 1, votedFor: 's1', votesGranted: ['s1'] }]) {
      const s1 = server('s1', state);
      expect(s1.step({ type: 'clientRequest', command: 'a' }).messages).toEqual([]);
      expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([]);
      expect(s1.lastIndex).toBe(0);
    }
  });
});

describe('heartbeats (LEA-1, DEC-5, DEC-6)', () => {
  it('a heartbeat carries the entries from each follower\'s nextIndex, and none to a follower that is caught up', () => {
    const s1 = leader({ log: entries(1, 2, 2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 4, s3: 2 }, matchIndex: { s2: 3, s3: 1 } });
    const ready = s1.step({ type: 'heartbeatTimeout' });
    expect(ready.messages).toEqual([
      appendTo('s2', { prevLogIndex: 3, prevLogTerm: 2, entries: [], leaderCommit: 1 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: 'x2' }], leaderCommit: 1 }),
    ]);
    expect(ready.hardState).toBeNull();
  });

  it('one AppendEntries carries at most maxEntriesPerAppendEntries entries (DEC-6)', () => {
    const s1 = leader({ log: entries(1, 1, 2, 2), nextIndex: { s2: 1, s3: 4 }, matchIndex: { s2: 0, s3: 0 } }, S3, 2);
    const [toS2, toS3] = s1.step({ type: 'heartbeatTimeout' }).messages;
    expect(toS2).toMatchObject({ prevLogIndex: 0, entries: entries(1, 1) });
    expect(toS3).toMatchObject({ prevLogIndex: 3, entries: [{ term: 2, command: 'x4' }] });
  });
});

describe('replication responses (LEA-3a, LEA-3b, DEC-1, DEC-3, DEC-4)', () => {
  it('on success, sets matchIndex from the response (not from its own log), commits, and sends what is left', () => {
    const s1 = leader({ log: entries(1, 2, 2), nextIndex: { s2: 2, s3: 4 }, matchIndex: { s2: 1, s3: 0 } });
    const ready = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(s1.matchIndexOf('s2')).toBe(2);
    expect(s1.nextIndexOf('s2')).toBe(3);
    expect(s1.commitIndex).toBe(2);
    expect(ready.applied.map((e) => e.index)).toEqual([1, 2]);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [{ term: 2, command: 'x3' }], leaderCommit: 2 })]);
  });

  it('sends nothing more to a follower that has caught up', () => {
    const s1 = leader({ log: entries(2), nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 }));
    expect(ready.messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(2);
  });

  it('a reordered, older success moves neither matchIndex nor nextIndex back (DEC-3)', () => {
    const s1 = leader({ log: entries(2, 2, 2), commitIndex: 3, lastApplied: 3, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 } });
    const ready = s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 }));
    expect(s1.matchIndexOf('s2')).toBe(3);
    expect(s1.nextIndexOf('s2')).toBe(4);
    expect(ready.messages).toEqual([]);
  });

  it('a rejection of the current probe moves nextIndex back by one and retries (LEA-3b)', () => {
    const s1 = leader({ log: entries(1, 1, 2), nextIndex: { s2: 3, s3: 4 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 2 }));
    expect(s1.nextIndexOf('s2')).toBe(2);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 1, command: 'x2' }], leaderCommit: 0 })]);
  });

  it('a stale or duplicated rejection is ignored (DEC-4)', () => {
    const s1 = leader({ log: entries(1, 1, 2), nextIndex: { s2: 2, s3: 4 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 2 })); // answers the probe at nextIndex 3, already handled
    expect(ready.messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(2);
  });

  it('a rejection never moves nextIndex to or below matchIndex (DEC-4)', () => {
    const s1 = leader({ log: entries(1, 1, 2), nextIndex: { s2: 3, s3: 4 }, matchIndex: { s2: 2, s3: 0 } });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 2 }));
    expect(s1.nextIndexOf('s2')).toBe(3);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 2, command: 'x3' }], leaderCommit: 0 })]);
  });

  it('a response of an older term is dropped, and so is one reaching a non-leader (DEC-1)', () => {
    const s1 = leader({ currentTerm: 3, log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    expect(s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 })).messages).toEqual([]);
    expect(s1.matchIndexOf('s2')).toBe(0);
    const follower = server('s1', { currentTerm: 2, log: entries(1) });
    follower.step(aer({ term: 2, matchIndex: 1 }));
    expect(follower.matchIndexOf('s2')).toBeUndefined();
  });

  it('a response of a newer term makes the leader a follower of that term (ALL-2, DEC-10)', () => {
    const s1 = leader({ log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const ready = s1.step(aer({ term: 4, success: false, prevLogIndex: 1 }));
    expect(s1.toJSON()).toMatchObject({ role: 'follower', currentTerm: 4, votedFor: null, nextIndex: {}, matchIndex: {}, votesGranted: [] });
    expect(ready.messages).toEqual([]);
  });
});

describe('commitment (LEA-4)', () => {
  it('never commits an entry of an earlier term by counting replicas; commits it with one of its own (Figure 8)', () => {
    // Figure 8 (c): s1 leads term 4 with its term-2 entry at index 2, and s2 holds it too.
    const s1 = leader({ currentTerm: 4, log: entries(1, 2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 } });
    s1.step(aer({ term: 4, matchIndex: 2, prevLogIndex: 2 }));
    expect(s1.matchIndexOf('s2')).toBe(2);
    expect(s1.commitIndex).toBe(1); // a majority holds index 2, but it is of term 2
    s1.step({ type: 'clientRequest', command: 'x3' });
    const ready = s1.step(aer({ term: 4, matchIndex: 3, prevLogIndex: 2 }));
    expect(s1.commitIndex).toBe(3); // Figure 8 (e): index 3 of term 4 commits index 2 with it
    expect(ready.applied).toEqual([{ index: 2, term: 2, command: 'x2', result: null, duplicate: false }, { index: 3, term: 4, command: 'x3', result: null, duplicate: false }]);
  });

  it('counts the leader itself and needs a majority of the servers', () => {
    const s1 = leader({ log: entries(2, 2), nextIndex: { s2: 1, s3: 1, s4: 1, s5: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0, s5: 0 } }, S5);
    s1.step(aer({ term: 2, matchIndex: 2 }));
    expect(s1.commitIndex).toBe(0); // s1 and s2: 2 of 5
    s1.step(aer({ term: 2, from: 's4', matchIndex: 1 }));
    expect(s1.commitIndex).toBe(1); // index 1 on s1, s2, s4
    s1.step(aer({ term: 2, from: 's5', matchIndex: 2 }));
    expect(s1.commitIndex).toBe(2);
  });

  it('commits from matchIndex values it was given in its initial state, on the next success', () => {
    const s1 = leader({ log: entries(2, 2), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 2 }));
    expect(s1.commitIndex).toBe(2);
  });
});
