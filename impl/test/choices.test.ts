// The alternatives of the choice points (spec/choices.ts) that impl/ takes when its profile says
// so: DEC-3b .. DEC-21b. Given a state and an input, the Ready expected, written by hand; each
// beside what the default alternative does with the same input where that makes the point.
import { describe, expect, it } from 'vitest';
import type { Entry, KvCommand, Observation, ProtocolOptions } from '../../spec/schema.js';
import type { Profile } from '../../spec/choices.js';
import { RaftNode } from '../index.js';
import { ae, aer, entries, rv, rvr, S3 } from './helpers.js';

/** Server `id` of s1, s2, s3 taking the alternatives of `profile`. */
function server(id: string, state: Observation, profile: Profile, options?: ProtocolOptions): RaftNode {
  return new RaftNode({ id, servers: S3, profile, ...(options ? { options } : {}) }, state);
}

/** s1, leader of term 2. */
const leader = (state: Observation, profile: Profile, options?: ProtocolOptions) =>
  server('s1', { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', ...state }, profile, options);

const appendTo = (to: string, f: { prevLogIndex: number; prevLogTerm: number; entries: Entry[]; leaderCommit: number }) =>
  ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', ...f });

const cmd = (command: string): Entry => ({ term: 2, command });

describe('DEC-3: progress on a success', () => {
  const state = { log: entries(1, 2, 2), commitIndex: 3, lastApplied: 3, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 } };

  it('DEC-3b: a reordered older success moves nextIndex back to its matchIndex + 1 (matchIndex stays), and the entries after it go again', () => {
    const s1 = leader(state, { 'DEC-3': ['b'] });
    const ready = s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(2);
    expect(s1.matchIndexOf('s2')).toBe(3);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: 'x2' }], leaderCommit: 3 })]);
  });

  it('DEC-3a: the same success moves nothing back and sends nothing', () => {
    const s1 = leader(state, { 'DEC-3': ['a'] });
    expect(s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 })).messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(4);
  });
});

describe('DEC-4: which rejections back off', () => {
  const state = { log: entries(1, 1, 2), nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 0, s3: 0 } };

  it('DEC-4b: a rejection of an older probe still moves nextIndex back by one, and the leader retries', () => {
    const s1 = leader(state, { 'DEC-4': ['b'] });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 1 }));
    expect(s1.nextIndexOf('s2')).toBe(3);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 1, entries: [cmd('x3')], leaderCommit: 0 })]);
  });

  it('DEC-4a: the same rejection answers no current probe: dropped', () => {
    const s1 = leader(state, {});
    expect(s1.step(aer({ term: 2, success: false, prevLogIndex: 1 })).messages).toEqual([]);
    expect(s1.nextIndexOf('s2')).toBe(4);
  });

  it('DEC-4b: nextIndex never goes below 1', () => {
    const s1 = leader({ ...state, nextIndex: { s2: 1, s3: 4 } }, { 'DEC-4': ['b'] });
    const ready = s1.step(aer({ term: 2, success: false, prevLogIndex: 0 }));
    expect(s1.nextIndexOf('s2')).toBe(1);
    expect(ready.messages).toEqual([appendTo('s2', { prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 1, command: 'x1' }], leaderCommit: 0 })]);
  });
});

describe('DEC-5: what a leader sends a follower it has not matched', () => {
  it('DEC-5b: no entries to a follower whose matchIndex is below nextIndex - 1; entries to one matched', () => {
    const s1 = leader({ log: entries(1, 1), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 2 } }, { 'DEC-5': ['b'] });
    expect(s1.step({ type: 'clientRequest', command: 'a' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 0 }),
      appendTo('s3', { prevLogIndex: 2, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 }),
    ]);
  });

  it('DEC-5b: once the probe succeeds, the follower gets the entries from nextIndex', () => {
    const s1 = leader({ log: [...entries(1, 1), cmd('a')], nextIndex: { s2: 3, s3: 4 }, matchIndex: { s2: 0, s3: 3 } }, { 'DEC-5': ['b'] });
    expect(s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 2 })).messages).toEqual([appendTo('s2', { prevLogIndex: 2, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 3 })]);
  });
});

describe('DEC-6: how many entries an AppendEntries carries', () => {
  // s2 holds [1] (nextIndex 2, matched at 1); three entries follow.
  const state = { log: [...entries(1), cmd('a'), cmd('b'), cmd('c')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 5 }, matchIndex: { s2: 1, s3: 4 } };

  it('DEC-6b: the heartbeat carries every entry from nextIndex to the end of the log; DEC-6a one (the batch size)', () => {
    expect(leader(state, { 'DEC-6': ['b'] }).step({ type: 'heartbeatTimeout' }).messages[0]).toEqual(appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a'), cmd('b'), cmd('c')], leaderCommit: 1 }));
    expect(leader(state, {}).step({ type: 'heartbeatTimeout' }).messages[0]).toEqual(appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 1 }));
  });

  it('DEC-6b is not taken with pipelining or flow control: the batch size holds', () => {
    for (const options of [{ pipelining: true }, { flowControlWindow: 8 }]) {
      expect(leader(state, { 'DEC-6': ['b'] }, options).step({ type: 'heartbeatTimeout' }).messages[0], JSON.stringify(options)).toEqual(appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 1 }));
    }
  });
});

describe('DEC-22: what a rejection tells the leader, with fastBacktracking', () => {
  // Figure 7 (f)'s follower (terms 1 1 1 2 2 2 3 3 3 3 3) and the leader of term 8 (terms 1 1 1 4 4 5 5 6 6 6).
  const fLog = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3].map((term, k) => ({ term, command: `f${k + 1}` }));
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6].map((term, k) => ({ term, command: k < 3 ? `f${k + 1}` : `l${k + 1}` }));
  const probe = { type: 'AppendEntries' as const, from: 's1', to: 's2', term: 8, leaderId: 's1', prevLogIndex: 10, prevLogTerm: 6, entries: [], leaderCommit: 0 };
  const fast = { fastBacktracking: true, maxEntriesPerAppendEntries: 100 };

  it('DEC-22b: the follower answers with rejectHint and logTerm (etcd); DEC-22a with conflictTerm and conflictIndex', () => {
    expect(server('s2', { currentTerm: 8, log: fLog }, { 'DEC-22': ['b'] }, fast).step(probe).messages[0]).toMatchObject({ success: false, rejectHint: 10, logTerm: 3 });
    expect(server('s2', { currentTerm: 8, log: fLog }, {}, fast).step(probe).messages[0]).toMatchObject({ success: false, conflictTerm: 3, conflictIndex: 7 });
  });

  it('DEC-22b: the leader retries one past its last entry at or before the hint of a term at most logTerm', () => {
    const s1 = server('s1', { role: 'leader', currentTerm: 8, votedFor: 's1', votesGranted: ['s1', 's3'], leaderId: 's1', log: leaderLog, nextIndex: { s2: 11, s3: 11 }, matchIndex: { s2: 0, s3: 0 } }, {}, fast);
    const out = s1.step({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, rejectHint: 10, logTerm: 3 });
    expect(out.messages).toEqual([{ ...probe, prevLogIndex: 3, prevLogTerm: 1, entries: leaderLog.slice(3) }]);
  });
});

describe('DEC-23: a client command that reaches a follower', () => {
  const command = { op: 'put', key: 'k', value: 'v', client: 'c1', seq: 1 };
  const following = { currentTerm: 2, votedFor: 's1', leaderId: 's1', log: entries(2) };

  it('DEC-23b: the follower forwards it to the leader it knows and answers nothing; DEC-23a redirects', () => {
    const b = server('s2', following, { 'DEC-23': ['b'] }).step({ type: 'clientRequest', command });
    expect(b.messages).toEqual([{ type: 'ClientProposal', from: 's2', to: 's1', term: 2, command }]);
    expect(b.replies).toEqual([]);
    const a = server('s2', following, {}).step({ type: 'clientRequest', command });
    expect(a.messages).toEqual([]);
    expect(a.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 1, leader: 's1' }]);
  });

  it('DEC-23b: a read is forwarded too, and the leader queues it as its own (a round of heartbeats goes out)', () => {
    const b = server('s2', following, { 'DEC-23': ['b'] }).step({ type: 'clientRead', client: 'c1', seq: 2, key: 'k' });
    expect(b.messages).toEqual([{ type: 'ForwardedRead', from: 's2', to: 's1', term: 2, client: 'c1', seq: 2, key: 'k' }]);
    expect(b.replies).toEqual([]);
    const state = { log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } };
    const out = leader(state, {}).step({ type: 'ForwardedRead', from: 's2', to: 's1', term: 2, client: 'c1', seq: 2, key: 'k' });
    expect(out.messages.map((m) => [m.type, m.to, (m as { readRound?: number }).readRound])).toEqual([['AppendEntries', 's2', 1], ['AppendEntries', 's3', 1]]);
  });

  it('DEC-23b: the leader of that term appends it and replicates it; a stale one is dropped', () => {
    const state = { log: entries(2), commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } };
    const out = leader(state, {}).step({ type: 'ClientProposal', from: 's2', to: 's1', term: 2, command });
    expect(out.messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 2, entries: [{ term: 2, command }], leaderCommit: 1 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 2, entries: [{ term: 2, command }], leaderCommit: 1 }),
    ]);
    const stale = leader(state, {}).step({ type: 'ClientProposal', from: 's2', to: 's1', term: 1, command });
    expect(stale.messages).toEqual([]);
  });
});

describe('DEC-7: commitIndex across a restart', () => {
  it('DEC-7b: commitIndex is in the HardState of the step that raises it', () => {
    const s2 = server('s2', { currentTerm: 1, log: entries(1, 1) }, { 'DEC-7': ['b'] });
    expect(s2.step(ae({ prevLogIndex: 2, prevLogTerm: 1, leaderCommit: 2 })).hardState).toEqual({ currentTerm: 1, votedFor: null, commitIndex: 2 });
  });

  it('DEC-7b: a restarted server keeps its commitIndex, lastApplied at the snapshot; it applies the entries again as it comes up', () => {
    const config = { id: 's2', servers: S3, profile: { 'DEC-7': ['b'] } as Profile };
    const s2 = RaftNode.restart(config, { hardState: { currentTerm: 1, votedFor: null, commitIndex: 2 }, log: entries(1, 1, 1) });
    expect([s2.commitIndex, s2.lastApplied]).toEqual([2, 0]);
    expect(s2.resume().applied).toEqual([
      { index: 1, term: 1, command: 'x1', result: null, duplicate: false },
      { index: 2, term: 1, command: 'x2', result: null, duplicate: false },
    ]);
    expect(s2.lastApplied).toBe(2);
  });

  it('DEC-7a: the same storage restarts with commitIndex 0, and coming up applies nothing', () => {
    const s2 = RaftNode.restart({ id: 's2', servers: S3 }, { hardState: { currentTerm: 1, votedFor: null, commitIndex: 2 }, log: entries(1, 1, 1) });
    expect(s2.commitIndex).toBe(0);
    expect(s2.resume().applied).toEqual([]);
    expect(s2.hardState).toEqual({ currentTerm: 1, votedFor: null });
  });
});

describe('DEC-16: the leaderCommit a leader sends', () => {
  it('DEC-16b: leaderCommit is clamped to the last entry each AppendEntries carries', () => {
    const s1 = leader({ log: entries(1, 2, 2), commitIndex: 3, lastApplied: 3, nextIndex: { s2: 2, s3: 4 }, matchIndex: { s2: 1, s3: 3 } }, { 'DEC-16': ['b'] });
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: 'x2' }], leaderCommit: 2 }),
      appendTo('s3', { prevLogIndex: 3, prevLogTerm: 2, entries: [], leaderCommit: 3 }),
    ]);
  });
});

describe('DEC-17: when committed entries are applied', () => {
  it('DEC-17b: a follower commits without applying; the apply input applies every committed entry', () => {
    const s2 = server('s2', { currentTerm: 1 }, { 'DEC-17': ['b'] });
    const ready = s2.step(ae({ entries: entries(1, 1), leaderCommit: 2 }));
    expect([ready.applied, s2.commitIndex, s2.lastApplied]).toEqual([[], 2, 0]);
    expect(s2.step({ type: 'apply' }).applied).toEqual([
      { index: 1, term: 1, command: 'x1', result: null, duplicate: false },
      { index: 2, term: 1, command: 'x2', result: null, duplicate: false },
    ]);
    expect(s2.lastApplied).toBe(2);
  });

  it('DEC-17b, LEA-2: the leader answers its client when it applies the entry, not when it commits it', () => {
    const s1 = leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } }, { 'DEC-17': ['b'] });
    const put: KvCommand = { op: 'put', key: 'x', value: '1', client: 'c1', seq: 1 };
    s1.step({ type: 'clientRequest', command: put });
    const committed = s1.step(aer({ term: 2, matchIndex: 1, prevLogIndex: 0 }));
    expect([committed.applied, committed.replies, s1.commitIndex]).toEqual([[], [], 1]);
    const applied = s1.step({ type: 'apply' });
    expect(applied.replies).toEqual([{ type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: null, duplicate: false }]);
    expect(s1.valueOf('x')).toBe('1');
  });

  it('DEC-17a: the apply input finds nothing left to apply', () => {
    const s2 = server('s2', { currentTerm: 1 }, {});
    expect(s2.step(ae({ entries: entries(1), leaderCommit: 1 })).applied).toHaveLength(1);
    expect(s2.step({ type: 'apply' }).applied).toEqual([]);
  });
});

describe('DEC-18: AppendEntries outstanding per follower', () => {
  const state = { log: entries(1), nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } };

  it('DEC-18b: a client request sends nothing to a follower with one outstanding; a heartbeat sends anyway', () => {
    const s1 = leader(state, { 'DEC-18': ['b'] });
    expect(s1.step({ type: 'clientRequest', command: 'a' }).messages).toHaveLength(2);
    expect(s1.step({ type: 'clientRequest', command: 'b' }).messages).toEqual([]);
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual([
      appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 }),
      appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [cmd('a')], leaderCommit: 0 }),
    ]);
  });

  it('DEC-18b: a response of the term ends the outstanding one: the follower gets what follows', () => {
    const s1 = leader(state, { 'DEC-18': ['b'] });
    s1.step({ type: 'clientRequest', command: 'a' });
    s1.step({ type: 'clientRequest', command: 'b' });
    expect(s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 })).messages).toEqual([
      appendTo('s2', { prevLogIndex: 2, prevLogTerm: 2, entries: [cmd('b')], leaderCommit: 2 }),
    ]);
  });
});

describe('DEC-19: a request of an older term', () => {
  it('DEC-19b: a RequestVote or AppendEntries of an older term is dropped without a reply', () => {
    const s1 = server('s1', { currentTerm: 3 }, { 'DEC-19': ['b'] });
    expect(s1.step(rv({ term: 2 })).messages).toEqual([]);
    expect(s1.step(ae({ from: 's2', to: 's1', term: 2 })).messages).toEqual([]);
    expect(s1.currentTerm).toBe(3);
  });

  it('DEC-19a: the same requests are refused with the current term', () => {
    const s1 = server('s1', { currentTerm: 3 }, {});
    expect(s1.step(rv({ term: 2 })).messages).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's2', term: 3, voteGranted: false }]);
  });
});

describe("DEC-20: a new leader's first AppendEntries", () => {
  const candidate = (profile: Profile) => server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: entries(1) }, profile);
  const announce = [
    appendTo('s2', { prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 }),
    appendTo('s3', { prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 }),
  ];

  it('DEC-20: the candidate that wins sends every peer its AppendEntries in the same step (LEA-1)', () => {
    const s1 = candidate({});
    const ready = s1.step(rvr({ term: 2 }));
    expect(s1.role).toBe('leader');
    expect(ready.messages).toEqual(announce);
  });

  it('DEC-20b: the candidate that wins sends nothing; the next heartbeat sends them', () => {
    const s1 = candidate({ 'DEC-20': ['b'] });
    expect(s1.step(rvr({ term: 2 })).messages).toEqual([]);
    expect(s1.role).toBe('leader');
    expect(s1.step({ type: 'heartbeatTimeout' }).messages).toEqual(announce);
  });
});

describe('DEC-21: a leader or candidate deposed by a newer-term AppendEntries', () => {
  const deposers = (profile: Profile) => [
    leader({ nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } }, profile),
    server('s1', { role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] }, profile),
  ];
  const newer = ae({ from: 's3', to: 's1', term: 3 });

  it('DEC-21: ALL-2, then the AppendEntries is handled as a follower and answered', () => {
    for (const s1 of deposers({})) {
      const ready = s1.step(newer);
      expect(s1.role).toBe('follower');
      expect(s1.currentTerm).toBe(3);
      expect(s1.leaderId).toBe('s3');
      expect(ready.messages).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 3, success: true, matchIndex: 0, prevLogIndex: 0 }]);
    }
  });

  it('DEC-21b: ALL-2 (persisted), then the AppendEntries is dropped: no reply, its leader not learned', () => {
    for (const s1 of deposers({ 'DEC-21': ['b'] })) {
      const ready = s1.step(newer);
      expect(s1.role).toBe('follower');
      expect(s1.currentTerm).toBe(3);
      expect(s1.votedFor).toBe(null);
      expect(s1.leaderId).toBe(null);
      expect(ready.messages).toEqual([]);
      expect(ready.hardState).toEqual({ currentTerm: 3, votedFor: null });
    }
  });

  it('DEC-21b: a follower handles a newer-term AppendEntries as before', () => {
    const s1 = server('s1', { currentTerm: 2 }, { 'DEC-21': ['b'] });
    expect(s1.step(newer).messages).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 3, success: true, matchIndex: 0, prevLogIndex: 0 }]);
  });
});

describe('DEC-24: when a configuration entry takes effect', () => {
  const FOUR = ['s1', 's2', 's3', 's4'];
  const BOOT3 = { voters: ['s1', 's2', 's3'] };
  const WITH_S4 = { voters: ['s1', 's2', 's3', 's4'] };
  const conf = (config: { voters: string[] }): Entry => ({ term: 2, command: null, config });
  /** s1 of s1..s4 leading term 2, bootstrap s1, s2, s3. */
  const lead4 = (state: Observation, profile: Profile) =>
    new RaftNode({ id: 's1', servers: FOUR, bootstrap: BOOT3, profile }, { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', ...state });
  const settled = { log: [cmd('x')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } };
  const addS4 = { type: 'reconfigure', change: 'single', voters: FOUR } as const;

  it('DEC-24a: the entry is in force once appended: s4 is tracked and sent the entry', () => {
    const s1 = lead4(settled, {});
    const ready = s1.step(addS4);
    expect(s1.config).toEqual(WITH_S4);
    expect(s1.nextIndexOf('s4')).toBe(2);
    expect(ready.messages.map((m) => m.to).sort()).toEqual(['s2', 's3', 's4']);
  });

  it('DEC-24b: appended, not in force: s4 is neither tracked nor sent anything until the entry is applied', () => {
    const s1 = lead4(settled, { 'DEC-24': ['b'] });
    const ready = s1.step(addS4);
    expect(s1.config).toEqual(BOOT3);
    expect(s1.nextIndexOf('s4')).toBeUndefined();
    expect(ready.messages.map((m) => m.to).sort()).toEqual(['s2', 's3']);
    // s2 holds it: a quorum of s1, s2, s3 commits and applies it, and then s4 is probed from the last index.
    const applied = s1.step(aer({ term: 2, matchIndex: 2, prevLogIndex: 1 }));
    expect(s1.commitIndex).toBe(2);
    expect(s1.config).toEqual(WITH_S4);
    expect(s1.nextIndexOf('s4')).toBe(2);
    expect(s1.matchIndexOf('s4')).toBe(0);
    expect(applied.messages).toEqual([appendTo('s4', { prevLogIndex: 1, prevLogTerm: 2, entries: [conf(WITH_S4)], leaderCommit: 2 })]);
  });

  it('DEC-24b: no change while an entry of an earlier term is unapplied; a single change needs no entry of the term once all is applied (where DEC-24a refuses)', () => {
    const newLeader = { currentTerm: 3, log: [cmd('x')], nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } };
    const unapplied = lead4({ ...newLeader, commitIndex: 1, lastApplied: 0 }, { 'DEC-24': ['b'], 'DEC-17': ['b'] });
    expect(unapplied.step(addS4).messages).toEqual([]);
    expect(unapplied.lastIndex).toBe(1);
    const appliedB = lead4({ ...newLeader, commitIndex: 1, lastApplied: 1 }, { 'DEC-24': ['b'] });
    appliedB.step(addS4);
    expect(appliedB.lastIndex).toBe(2);
    const appliedA = lead4({ ...newLeader, commitIndex: 1, lastApplied: 1 }, {});
    appliedA.step(addS4);
    expect(appliedA.lastIndex).toBe(1);
  });

  it('DEC-24b: a follower takes the configuration when it applies the entry', () => {
    const s2 = new RaftNode({ id: 's2', servers: FOUR, bootstrap: BOOT3, profile: { 'DEC-24': ['b'] } }, { currentTerm: 2, log: [cmd('x')], commitIndex: 1, lastApplied: 1 });
    s2.step(ae({ term: 2, prevLogIndex: 1, prevLogTerm: 2, entries: [conf(WITH_S4)], leaderCommit: 1 }));
    expect(s2.config).toEqual(BOOT3);
    s2.step(ae({ term: 2, prevLogIndex: 2, prevLogTerm: 2, leaderCommit: 2 }));
    expect(s2.config).toEqual(WITH_S4);
  });
});
