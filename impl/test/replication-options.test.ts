// The replication options of docs/dissertation-options.md: pipelining (PIP-1, PIP-2) and flow
// control (FC-1 .. FC-3), alone and with batching (DEC-6). Given a state and an input, the state
// and the messages expected, written by hand.
import { describe, expect, it } from 'vitest';
import type { AppendEntriesResponse, Entry, Observation, ProtocolOptions } from '../../spec/schema.js';
import { RaftNode } from '../index.js';
import { ae, aer, entries, S3, server } from './helpers.js';

/** s1, leader of term 2, with these options. */
function leader(state: Observation, options: ProtocolOptions) {
  return server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', ...state }, S3, options);
}

const appendTo = (to: string, f: { prevLogIndex: number; prevLogTerm: number; entries: Entry[]; leaderCommit: number }) =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', ...f });

const cmd = (command: string): Entry => ({ term: 2, command });

describe('pipelining: several AppendEntries in flight (PIP-1)', () => {
  it('PIP-1: each client command goes out right after the previous one, nextIndex advancing as entries are sent', () => {
    const s1 = leader({ log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } }, { pipelining: true });
    const sent = ['a', 'b', 'c'].map((c) => s1.step({ type: 'clientRequest', command: c }).messages);
    expect(sent).toEqual([
      [appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 }), appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 })],
      [appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [cmd('b')], leaderCommit: 0 }), appendTo('s3', { prevLogIndex: 2, prevLogTerm: 2, entries: [cmd('b')], leaderCommit: 0 })],
      [appendTo('s2', { prevLogIndex: 3, prevLogTerm: 2, entries: [cmd('c')], leaderCommit: 0 }), appendTo('s3', { prevLogIndex: 3, prevLogTerm: 2, entries: [cmd('c')], leaderCommit: 0 })],
    ]);
    expect(s1.nextIndexOf('s2')).toBe(5);
    expect(s1.nextIndexOf('s3')).toBe(5);
    expect(s1.matchIndexOf('s2')).toBe(1);
  });

  it('PIP-1 off: without the option the same commands all go out from the unchanged nextIndex', () => {
    const s1 = leader({ log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } }, {});
    const toS2 = ['a', 'b', 'c'].map((c) => s1.step({ type: 'clientRequest', command: c }).messages[0]);
    expect(toS2).toEqual([1, 2, 3].map(() => appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 })));
    expect(s1.nextIndexOf('s2')).toBe(2);
  });

  it('PIP-1: a heartbeat with every entry in flight carries none and leaves nextIndex', () => {
    const s1 = leader({ log: [...entries(1), cmd('a'), cmd('b')], nextIndex: { s2: 4, s3: 3 }, matchIndex: { s2: 1, s3: 1 } }, { pipelining: true });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 3, prevLogTerm: 2, entries: [], leaderCommit: 0 }),
      appendTo('s3', { prevLogIndex: 2, prevLogTerm: 2, entries: [cmd('b')], leaderCommit: 0 }),
    ]);
    expect(s1.nextIndexOf('s2')).toBe(4);
    expect(s1.nextIndexOf('s3')).toBe(4);
  });

  it('PIP-1, LEA-3a: a success for an earlier request in flight commits and sends nothing again (nextIndex is already past the last index)', () => {
    const s1 = leader({ log: [...entries(1), cmd('a'), cmd('b'), cmd('c')], nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 1, s3: 1 } }, { pipelining: true });
    const ready = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(s1.matchIndexOf('s2')).toBe(2);
    expect(s1.nextIndexOf('s2')).toBe(5);
    expect(s1.commitIndex).toBe(2);
    expect(ready.messages).toEqual([]);
  });

  it('PIP-1 with batching (DEC-6): a batch moves nextIndex past all its entries', () => {
    const s1 = leader({ log: entries(1, 1, 2, 2, 2), nextIndex: { s2: 2, s3: 6 }, matchIndex: { s2: 1, s3: 5 } }, { pipelining: true, maxEntriesPerAppendEntries: 3 });
    const [toS2, toS3] = s1.step({ type: 'heartbeatTimeout' }).messages;
    expect(toS2).toEqual(appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: entries(1, 1, 2, 2).slice(1), leaderCommit: 0 }));
    expect(toS3).toEqual(appendTo('s3', { prevLogIndex: 5, prevLogTerm: 2, entries: [], leaderCommit: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(5);
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toEqual(appendTo('s2', { prevLogIndex: 4, prevLogTerm: 2, entries: [{ term: 2, command: 'x5' }], leaderCommit: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(6);
  });
});

describe('pipelining: repair on rejection (PIP-2, DEC-4)', () => {
  /** s2 holds index 1 (matchIndex 1); the leader has sent 2, 3 and 4 one by one (nextIndex 5). */
  const inFlight = (options: ProtocolOptions = {}) =>
    leader({ log: [...entries(1), cmd('a'), cmd('b'), cmd('c')], nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 1, s3: 1 } }, { pipelining: true, ...options });

  it('PIP-2: a rejection of an outstanding request (matchIndex < prevLogIndex < nextIndex) moves nextIndex back to it and sends again', () => {
    const s1 = inFlight();
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 3 }));
    // nextIndex = max(3, matchIndex + 1, 1) = 3, then the resend moves it on (PIP-1).
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [cmd('b')], leaderCommit: 0 })]);
    expect(s1.nextIndexOf('s2')).toBe(4);
    expect(s1.matchIndexOf('s2')).toBe(1);
  });

  it('PIP-2: nextIndex moves back no lower than matchIndex + 1', () => {
    const s1 = inFlight();
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 2 }));
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 })]);
    expect(s1.nextIndexOf('s2')).toBe(3);
  });

  it('PIP-2 off: the same rejection is not the current probe (prevLogIndex 3, nextIndex 5), so it is dropped (DEC-4)', () => {
    const s1 = leader({ log: [...entries(1), cmd('a'), cmd('b'), cmd('c')], nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 1, s3: 1 } }, {});
    expect(s1.step(aer({ term: 2, success: false, prevLogIndex: 3 })).messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(5);
  });

  it('PIP-2, DEC-4: a rejection at or below matchIndex is stale and dropped', () => {
    const s1 = leader({ log: [...entries(1), cmd('a'), cmd('b'), cmd('c')], nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 2, s3: 1 } }, { pipelining: true });
    for (const prevLogIndex of [1, 2]) {
      expect(s1.step(aer({ term: 2, success: false, prevLogIndex })).messages).toEqual([]);
      expect(s1.nextIndexOf('s2')).toBe(5);
      expect(s1.matchIndexOf('s2')).toBe(2);
    }
  });

  it('PIP-2, DEC-4: a rejection at or beyond nextIndex answers no request outstanding and is dropped', () => {
    const s1 = inFlight();
    for (const prevLogIndex of [5, 6]) expect(s1.step(aer({ term: 2, success: false, prevLogIndex })).messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(5);
  });

  it('PIP-2 with FB-2: the follower\'s conflict hint moves nextIndex back past the conflicting term', () => {
    // The leader has 1:t1 2:t1 3:t2 4:t2 5:t2 in flight to s2; s2 holds t1 t1 then a t3 at 3 (from a deposed leader, say): it
    // rejects prevLogIndex 4 naming term 3 from index 3. The leader has no entry of term 3: nextIndex = min(3, 4) = 3.
    const s1 = leader({ log: entries(1, 1, 2, 2, 2), nextIndex: { s2: 6, s3: 6 }, matchIndex: { s2: 0, s3: 0 } }, { pipelining: true, fastBacktracking: true, maxEntriesPerAppendEntries: 2 });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 4, conflictTerm: 3, conflictIndex: 3 }));
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 1, entries: entries(1, 1, 2, 2).slice(2), leaderCommit: 0 })]);
    expect(s1.nextIndexOf('s2')).toBe(5);
  });
});

describe('flow control: followers report lastApplied (FC-1)', () => {
  const W = { flowControlWindow: 2 };

  it('FC-1: a success carries lastApplied after the request was handled (entries applied in that step)', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1) }, S3, W);
    const ready = s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 1, command: 'x2' }], leaderCommit: 2 }));
    expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: true, matchIndex: 2, prevLogIndex: 1, lastApplied: 2 }]);
  });

  it('FC-1: a rejection by the consistency check (AE-2) carries lastApplied, with the FB-1 hint too', () => {
    const state: Observation = { currentTerm: 1, log: entries(1, 1), commitIndex: 1, lastApplied: 1 };
    expect(server('s2', state, S3, W).step(ae({ prevLogIndex: 3, prevLogTerm: 1 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: false, matchIndex: 0, prevLogIndex: 3, lastApplied: 1 },
    ]);
    expect(server('s2', state, S3, { ...W, fastBacktracking: true }).step(ae({ prevLogIndex: 3, prevLogTerm: 1 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: false, matchIndex: 0, prevLogIndex: 3, conflictTerm: 0, conflictIndex: 3, lastApplied: 1 },
    ]);
  });

  it('FC-1: a stale AppendEntries (AE-1) is refused with lastApplied too', () => {
    const s2 = server('s2', { currentTerm: 3, log: entries(1, 1), commitIndex: 2, lastApplied: 2 }, S3, W);
    expect(s2.step(ae({ term: 2, prevLogIndex: 2, prevLogTerm: 1 })).messages).toEqual([
      { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 2, lastApplied: 2 },
    ]);
  });

  it('FC-1 off: without the option no response carries lastApplied', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1) });
    const [r] = s2.step(ae({ prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 })).messages;
    expect(r).toEqual({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: true, matchIndex: 1, prevLogIndex: 1 });
  });
});

describe('flow control: the leader tracks and holds back (FC-2, FC-3)', () => {
  it('FC-2: a new leader keeps appliedIndex 0 for every peer; followers and leaders without the option keep none', () => {
    const s1 = server('s1', {}, S3, { flowControlWindow: 4 });
    expect(s1.toJSON().appliedIndex).toEqual({});
    s1.step({ type: 'electionTimeout' });
    expect(s1.toJSON().appliedIndex).toEqual({});
    s1.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(s1.role).toBe('leader');
    expect(s1.toJSON().appliedIndex).toEqual({ s2: 0, s3: 0 });
    expect(s1.appliedIndexOf('s2')).toBe(0);
    expect(s1.appliedIndexOf('s1')).toBeUndefined();
    // DEC-10: stepping down forgets it.
    s1.step(ae({ from: 's3', to: 's1', term: 2 }));
    expect(s1.toJSON().appliedIndex).toEqual({});
    expect(s1.appliedIndexOf('s2')).toBeUndefined();

    const plain = server('s1', {}, S3);
    plain.step({ type: 'electionTimeout' });
    plain.step({ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true });
    expect(plain.role).toBe('leader');
    expect(plain.toJSON().appliedIndex).toEqual({});
  });

  it('FC-2: appliedIndex takes the highest lastApplied reported, from successes and from rejections DEC-4 drops', () => {
    const s1 = leader({ log: entries(2, 2, 2), commitIndex: 3, lastApplied: 3, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 }, appliedIndex: { s2: 1, s3: 0 } }, { flowControlWindow: 2 });
    s1.step(aer({ term: 2, matchIndex: 3, prevLogIndex: 2, lastApplied: 3 }));
    expect(s1.appliedIndexOf('s2')).toBe(3);
    s1.step(aer({ term: 2, matchIndex: 3, prevLogIndex: 2, lastApplied: 2 })); // reordered: never back
    expect(s1.appliedIndexOf('s2')).toBe(3);
    s1.step(aer({ from: 's3', term: 2, success: false, prevLogIndex: 1, lastApplied: 2 })); // stale rejection (DEC-4), still recorded
    expect(s1.appliedIndexOf('s3')).toBe(2);
    expect(s1.nextIndexOf('s3')).toBe(4);
  });

  it('FC-2: an impossible success (DEC-8) and a response of an older term (DEC-1) record nothing', () => {
    const s1 = leader({ log: entries(2, 2), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } }, { flowControlWindow: 2 });
    s1.step(aer({ term: 2, matchIndex: 5, prevLogIndex: 4, lastApplied: 5 }));
    s1.step(aer({ term: 1, matchIndex: 1, prevLogIndex: 0, lastApplied: 1 }));
    expect(s1.toJSON().appliedIndex).toEqual({ s2: 0, s3: 0 });
  });

  it('FC-3: entries beyond appliedIndex + W are held back (a heartbeat instead), and sent once the follower reports it applied more', () => {
    const s1 = leader({ log: entries(2, 2, 2, 2, 2), commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 6 }, matchIndex: { s2: 2, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } }, { flowControlWindow: 2, maxEntriesPerAppendEntries: 5 });
    // window = 0 + 2 - 2 = 0: nothing may go.
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toEqual(appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 2 }));
    // s2 answers the heartbeat, having applied 2: window = 2 + 2 - 2 = 2 entries (3 and 4), not the 3 available.
    const ready = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 2, lastApplied: 2 }));
    expect(s1.appliedIndexOf('s2')).toBe(2);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [{ term: 2, command: 'x3' }, { term: 2, command: 'x4' }], leaderCommit: 2 })]);
    // Without pipelining nextIndex waits for the answer.
    expect(s1.nextIndexOf('s2')).toBe(3);
  });

  it('FC-3 off: without the option the same heartbeat carries every entry up to the batch size', () => {
    const s1 = leader({ log: entries(2, 2, 2, 2, 2), commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 6 }, matchIndex: { s2: 2, s3: 5 } }, { maxEntriesPerAppendEntries: 5 });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toMatchObject({ prevLogIndex: 2, entries: entries(2, 2, 2, 2, 2).slice(2) });
  });

  it('FC-3: a follower behind on applying by more than W gets heartbeats (window below zero), whatever the batch', () => {
    const s1 = leader({ log: entries(2, 2, 2, 2, 2), nextIndex: { s2: 5, s3: 6 }, matchIndex: { s2: 4, s3: 5 }, appliedIndex: { s2: 1, s3: 5 } }, { flowControlWindow: 2, maxEntriesPerAppendEntries: 3 });
    expect(s1.step({ type: 'clientRequest', command: 'y' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 4, prevLogTerm: 2, entries: [], leaderCommit: 5 }),
      appendTo('s3', { prevLogIndex: 5, prevLogTerm: 2, entries: [cmd('y')], leaderCommit: 5 }),
    ]);
  });

  it('FC-3: the window always reaches the leader\'s first entry of its term (termStart), so a new leader can commit', () => {
    const s1 = leader({ currentTerm: 3, log: entries(1, 1, 1, 1, 3), nextIndex: { s2: 1, s3: 6 }, matchIndex: { s2: 0, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } },
      { flowControlWindow: 1, maxEntriesPerAppendEntries: 5 });
    // limit = max(0 + 1, 5) = 5: all five, not one.
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toMatchObject({ to: 's2', prevLogIndex: 0, entries: entries(1, 1, 1, 1, 3) });
  });

  it('FC-3: without an entry of its term the window is appliedIndex + W alone', () => {
    const s1 = leader({ currentTerm: 3, log: entries(1, 1, 1, 1), nextIndex: { s2: 1, s3: 5 }, matchIndex: { s2: 0, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } },
      { flowControlWindow: 1, maxEntriesPerAppendEntries: 5 });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toMatchObject({ to: 's2', prevLogIndex: 0, entries: entries(1) });
  });

  it('FC-3: termStart is the first entry of the term after the snapshot, even when the snapshot ends in that term', () => {
    const s1 = leader({ currentTerm: 3, snapshotIndex: 4, snapshotTerm: 3, log: [{ term: 3, command: 'x5' }, { term: 3, command: 'x6' }, { term: 3, command: 'x7' }],
      nextIndex: { s2: 5, s3: 8 }, matchIndex: { s2: 0, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } }, { flowControlWindow: 1, maxEntriesPerAppendEntries: 5 });
    // limit = max(0 + 1, 5) = 5: one entry after prevLogIndex 4.
    expect(s1.step({ type: 'heartbeatTimeout' }).messages[0]).toMatchObject({ to: 's2', prevLogIndex: 4, prevLogTerm: 3, entries: [{ term: 3, command: 'x5' }] });
  });

  it('PIP-1, FC-3 with batching: batches shrink to the window, hold back, and resume after the report; nextIndex moves only with entries sent', () => {
    const s1 = leader({ log: entries(2, 2, 2, 2, 2, 2, 2, 2), nextIndex: { s2: 1, s3: 9 }, matchIndex: { s2: 0, s3: 8 }, appliedIndex: { s2: 0, s3: 8 } },
      { pipelining: true, flowControlWindow: 4, maxEntriesPerAppendEntries: 3 });
    const toS2 = () => s1.step({ type: 'heartbeatTimeout' }).messages[0];
    const log = entries(2, 2, 2, 2, 2, 2, 2, 2);
    // batch min(3, 8) = 3, window 0 + 4 - 0 = 4: three entries.
    expect(toS2()).toEqual(appendTo('s2', { prevLogIndex: 0, prevLogTerm: 0, entries: log.slice(0, 3), leaderCommit: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(4);
    // window 4 - 3 = 1: one entry.
    expect(toS2()).toEqual(appendTo('s2', { prevLogIndex: 3, prevLogTerm: 2, entries: log.slice(3, 4), leaderCommit: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(5);
    // window 4 - 4 = 0: held back, nextIndex stays.
    expect(toS2()).toEqual(appendTo('s2', { prevLogIndex: 4, prevLogTerm: 2, entries: [], leaderCommit: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(5);
    // s2 acknowledges 1..4 and has applied 3: the leader commits 8 (s1 and s3 hold it); window 3 + 4 - 4 = 3, batch 3: entries 5..7.
    const ready = s1.step(aer({ term: 2, matchIndex: 4, prevLogIndex: 3, lastApplied: 3 }));
    expect(s1.commitIndex).toBe(8);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 4, prevLogTerm: 2, entries: log.slice(4, 7), leaderCommit: 8 })]);
    expect(s1.nextIndexOf('s2')).toBe(8);
    expect(s1.toJSON().appliedIndex).toEqual({ s2: 3, s3: 8 });
  });

  it('PIP-2 with FC-3: a repaired request resends no more than the window allows', () => {
    const s1 = leader({ log: entries(2, 2, 2, 2, 2, 2), nextIndex: { s2: 7, s3: 7 }, matchIndex: { s2: 2, s3: 6 }, appliedIndex: { s2: 2, s3: 6 } },
      { pipelining: true, flowControlWindow: 2, maxEntriesPerAppendEntries: 3 });
    const reject: AppendEntriesResponse = aer({ term: 2, success: false, prevLogIndex: 3, lastApplied: 2 });
    // nextIndex back to max(3, 3, 1) = 3; window 2 + 2 - 2 = 2 of a batch of 3: entries 3 and 4.
    expect(s1.step(reject).messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: entries(2, 2, 2, 2).slice(2), leaderCommit: 0 })]);
    expect(s1.nextIndexOf('s2')).toBe(5);
  });
});

describe('configuration', () => {
  it('rejects a flowControlWindow that is not a whole number of entries', () => {
    expect(() => new RaftNode({ id: 's1', servers: S3, options: { flowControlWindow: -1 } })).toThrow(RangeError);
    expect(() => new RaftNode({ id: 's1', servers: S3, options: { flowControlWindow: 1.5 } })).toThrow(/flowControlWindow/);
  });
});
