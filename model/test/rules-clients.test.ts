// Client interaction (§8; dissertation ch. 6): the key-value state machine through the log (KV-1),
// redirects (CLI-1), exactly-once commands (CLI-2), the leader's no-op (CLI-3), ReadIndex reads
// (CLI-4) and the leader's answer (LEA-2). Each test: given this state and this input, expect this
// state, these messages, these client replies and these rules. Every step is also taken by the
// xstate statechart, which must agree with the reducer on all of it (test/statechart.test.ts does
// the same on generated schedules).
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, ClientReply, KvCommand, NodeId, Observation } from '../../spec/schema.js';
import { type NodeInput } from '../node.js';
import { restartFromPersistentState } from '../core/figure2.js';
import { type Env, type NodeState, type PendingRead, toJson, leaderView, type LeaderState } from '../state.js';
import { FIVE, e, envOf, expectFired, st, stepBoth, hidden, withLeaderState } from './fixtures.js';

/** The state that is not in the JSON form. */
/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

/** A state with internal fields set (they have no JSON form). */
const withInternal = (o: Observation, internal: { readonly awaiting?: ReadonlyMap<number, number> } & Partial<Pick<LeaderState, 'readRound' | 'readAcks' | 'pendingReads'>>): NodeState => {
  const { awaiting, ...leaderFields } = internal;
  const s = awaiting === undefined ? st(o) : { ...st(o), awaiting };
  return Object.keys(leaderFields).length > 0 ? withLeaderState(s, leaderFields) : s;
};

// Commands
const put = (key: string, value: string, client?: string, seq?: number): KvCommand =>
  client === undefined || seq === undefined ? { op: 'put', key, value } : { op: 'put', key, value, client, seq };
const get = (key: string): KvCommand => ({ op: 'get', key });
const append = (key: string, value: string, client?: string, seq?: number): KvCommand =>
  client === undefined || seq === undefined ? { op: 'append', key, value } : { op: 'append', key, value, client, seq };
const cas = (key: string, expected: string | null, value: string, client?: string, seq?: number): KvCommand =>
  client === undefined || seq === undefined ? { op: 'cas', key, expected, value } : { op: 'cas', key, expected, value, client, seq };

// Inputs and messages
const request = (command: unknown): NodeInput => ({ type: 'clientRequest', command });
const read = (client: string, seq: number, key: string): NodeInput => ({ type: 'clientRead', client, seq, key });
const ae = (from: NodeId, to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number, readRound?: number): AppendEntries =>
  ({ type: 'AppendEntries', from, to, term, leaderId: from, prevLogIndex, prevLogTerm, entries, leaderCommit, ...(readRound === undefined ? {} : { readRound }) });
const aer = (from: NodeId, to: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number, readRound?: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to, term, success, matchIndex, prevLogIndex, ...(readRound === undefined ? {} : { readRound }) });

// Replies
const result = (node: NodeId, client: string | null, seq: number | null, index: number, value: unknown, duplicate = false): ClientReply =>
  ({ type: 'result', node, client, seq, index, result: value, duplicate });
const readReply = (node: NodeId, client: string, seq: number, key: string, index: number, value: string | null): ClientReply =>
  ({ type: 'read', node, client, seq, key, index, result: value });
const pending = (client: string, seq: number, key: string, readIndex: number | null, round: number): PendingRead => ({ client, seq, key, readIndex, round });

// A single-server cluster: a leader commits and applies at once, and confirms every read round by itself.
const ONE = envOf('s1', ['s1']);
const solo = (o: Observation = {}): NodeState => st({ role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'], leaderId: 's1', ...o });

describe('KV-1: the key-value state machine, through the log', () => {
  it('KV-1: put, append, get and cas are executed when applied, each with its result, and the leader answers with it', () => {
    let s = solo();
    const ops: Array<[KvCommand, unknown, Record<string, string>]> = [
      [put('x', 'a'), null, { x: 'a' }],
      [append('x', 'b'), null, { x: 'ab' }],
      [append('y', 'z'), null, { x: 'ab', y: 'z' }],
      [get('x'), 'ab', { x: 'ab', y: 'z' }],
      [cas('x', 'ab', 'c'), true, { x: 'c', y: 'z' }],
      [cas('x', 'ab', 'd'), false, { x: 'c', y: 'z' }],
      [get('w'), null, { x: 'c', y: 'z' }],
    ];
    for (const [k, [command, value, data]] of ops.entries()) {
      const r = run(ONE, s, request(command));
      expect(r.applied).toEqual([{ index: k + 1, term: 1, command, result: value, duplicate: false }]);
      expect(r.replies).toEqual([result('s1', null, null, k + 1, value)]);
      expect(r.state.machine).toEqual({ data, sessions: {} });
      expectFired(r.rules, ['LEA-2', 'LEA-4', 'LEA-2', 'KV-1', 'ALL-1', 'LEA-3']);
      s = r.state;
    }
  });

  it('KV-1: cas with expected null sets an absent key, and refuses a key that is present, even as ""', () => {
    const s = solo({ machine: { data: { x: '' }, sessions: {} } });
    const absent = run(ONE, s, request(cas('y', null, 'b')));
    expect(absent.replies).toEqual([result('s1', null, null, 1, true)]);
    expect(absent.state.machine).toEqual({ data: { x: '', y: 'b' }, sessions: {} });
    const present = run(ONE, absent.state, request(cas('x', null, 'b')));
    expect(present.replies).toEqual([result('s1', null, null, 2, false)]);
    expect(present.state.machine).toBe(absent.state.machine);
  });

  it('KV-1: opaque commands (a string, a number, null, an object that is not a KvCommand) are applied with result null and change nothing', () => {
    const s = solo({ machine: { data: { x: 'a' }, sessions: {} } });
    for (const command of ['x', 7, null, { op: 'set', key: 'x', value: 'b' }, { op: 'put', key: 'x', value: 'b', client: 'c1' }]) {
      const r = run(ONE, s, request(command));
      expect(r.applied).toEqual([{ index: 1, term: 1, command, result: null, duplicate: false }]);
      expect(r.replies).toEqual([result('s1', null, null, 1, null)]);
      expect(r.state.machine).toBe(s.machine);
      expect(r.rules).not.toContain('KV-1');
    }
  });

  it('KV-1: a follower executes the entries it applies with the same results, and answers no client (it awaits none)', () => {
    const log = [e(1, put('x', '1', 'c1', 1)), e(1, append('x', '2')), e(1, get('x'))];
    const s = st({ currentTerm: 1, leaderId: 's2', log });
    const r = run(envOf('s1'), s, ae('s2', 's1', 1, 3, 1, [], 3));
    expect(r.applied).toEqual([
      { index: 1, term: 1, command: put('x', '1', 'c1', 1), result: null, duplicate: false },
      { index: 2, term: 1, command: append('x', '2'), result: null, duplicate: false },
      { index: 3, term: 1, command: get('x'), result: '12', duplicate: false },
    ]);
    expect(r.replies).toEqual([]);
    expect(r.state.machine).toEqual({ data: { x: '12' }, sessions: { c1: { seq: 1, result: null } } });
    expectFired(r.rules, ['AE-5', 'KV-1', 'ALL-1']);
  });
});

describe('CLI-1: redirects and leaderId', () => {
  it('CLI-1: a follower answers a client request with a redirect to the leader it last heard from, with the command\'s client and seq, and changes nothing', () => {
    const s = st({ currentTerm: 2, leaderId: 's2', log: [e(1, 'a')] });
    const r = run(envOf('s1'), s, request(put('x', '1', 'c1', 3)));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.applied).toEqual([]);
    expect(r.replies).toEqual([{ type: 'redirect', node: 's1', client: 'c1', seq: 3, leader: 's2' }]);
    expect(r.rules).toEqual(['CLI-1', 'DEC-9']);
  });

  it('CLI-1: with no known leader (a candidate) the redirect names none; a command without client and seq is redirected with nulls', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r = run(envOf('s1'), c, request('opaque'));
    expect(r.state).toBe(c);
    expect(r.replies).toEqual([{ type: 'redirect', node: 's1', client: null, seq: null, leader: null }]);
  });

  it('CLI-1: a clientRead to a follower or a candidate is redirected likewise, with its client and seq', () => {
    const f = st({ currentTerm: 2, leaderId: 's3' });
    const r = run(envOf('s1'), f, read('c2', 7, 'x'));
    expect(r.state).toBe(f);
    expect(r.sent).toEqual([]);
    expect(r.replies).toEqual([{ type: 'redirect', node: 's1', client: 'c2', seq: 7, leader: 's3' }]);
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    expect(run(envOf('s1'), c, read('c2', 8, 'x')).replies).toEqual([{ type: 'redirect', node: 's1', client: 'c2', seq: 8, leader: null }]);
  });

  it('CLI-1: an AppendEntries of the current term sets leaderId to its sender, also when the consistency check (AE-2) refuses it', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a')] });
    const refused = run(envOf('s1'), s, ae('s2', 's1', 2, 5, 2, [], 0));
    expect(refused.state.leaderId).toBe('s2');
    expect(refused.sent).toEqual([aer('s1', 's2', 2, false, 0, 5)]);
    expectFired(refused.rules, ['CLI-1', 'AE-2']);
    const accepted = run(envOf('s1'), s, ae('s2', 's1', 2, 1, 1, [], 0));
    expect(accepted.state.leaderId).toBe('s2');
  });

  it('CLI-1: a stale AppendEntries (AE-1) leaves leaderId as it is', () => {
    const s = st({ currentTerm: 3, leaderId: 's2' });
    const r = run(envOf('s1'), s, ae('s3', 's1', 2, 0, 0, [], 0));
    expect(r.state).toBe(s);
  });

  it('CLI-1: leaderId is cleared when the term changes (ALL-2, CAN-1), set by a concession (CAN-3), self on becoming leader, null after a restart', () => {
    const f = st({ currentTerm: 2, leaderId: 's2', log: [e(1, 'a')] });
    const newerVote = run(envOf('s1'), f, { type: 'RequestVote', from: 's3', to: 's1', term: 3, candidateId: 's3', lastLogIndex: 0, lastLogTerm: 0 });
    expect(newerVote.state.currentTerm).toBe(3);
    expect(newerVote.state.leaderId).toBeNull();
    const timeout = run(envOf('s1'), f, { type: 'electionTimeout' });
    expect(timeout.state.role).toBe('candidate');
    expect(timeout.state.leaderId).toBeNull();
    const conceded = run(envOf('s1'), timeout.state, ae('s3', 's1', 3, 1, 1, [], 0));
    expect(conceded.state.role).toBe('follower');
    expect(conceded.state.leaderId).toBe('s3');
    const won = run(envOf('s1'), timeout.state, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 3, voteGranted: true });
    expect(won.state.role).toBe('leader');
    expect(won.state.leaderId).toBe('s1');
    expect(restartFromPersistentState(won.state).leaderId).toBeNull();
  });
});

describe('CLI-2: exactly once', () => {
  const casOnce = cas('x', null, 'a', 'c1', 1);
  const executed = solo({ log: [e(1, casOnce)], commitIndex: 1, lastApplied: 1, machine: { data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } } });

  it('CLI-2: a command is recorded in the client table with its result', () => {
    const r = run(ONE, solo(), request(casOnce));
    expect(r.state.machine).toEqual({ data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } });
    expect(r.replies).toEqual([result('s1', 'c1', 1, 1, true)]);
  });

  it('CLI-2: a retried command (same client and seq) is not executed again: answered from the table with the first result, duplicate', () => {
    // Executed again, the cas would now fail (x is "a", not absent): the table answers true.
    const r = run(ONE, executed, request(casOnce));
    expect(r.applied).toEqual([{ index: 2, term: 1, command: casOnce, result: true, duplicate: true }]);
    expect(r.replies).toEqual([result('s1', 'c1', 1, 2, true, true)]);
    expect(r.state.machine).toBe(executed.machine);
    expectFired(r.rules, ['LEA-2', 'CLI-2', 'LEA-2', 'ALL-1']);
    expect(r.rules).not.toContain('KV-1');
  });

  it('CLI-2: an older seq is not executed either, and answered null', () => {
    const s = solo({ machine: { data: { x: 'v' }, sessions: { c1: { seq: 3, result: 'v' } } } });
    const r = run(ONE, s, request(put('x', 'w', 'c1', 2)));
    expect(r.replies).toEqual([result('s1', 'c1', 2, 1, null, true)]);
    expect(r.state.machine).toBe(s.machine);
  });

  it('CLI-2: the table is part of the state machine: rebuilt by a restarted server from its log, carried by a snapshot', () => {
    // s2 has the command twice (the client retried through a new leader); both committed.
    const twice = st({ currentTerm: 2, log: [e(1, casOnce), e(2, casOnce)], commitIndex: 2, lastApplied: 2, machine: { data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } } });
    const restarted = restartFromPersistentState(twice);
    expect(restarted.machine).toEqual({ data: {}, sessions: {} });
    const replayed = run(envOf('s2'), restarted, ae('s1', 's2', 2, 2, 2, [], 2));
    expect(replayed.applied).toEqual([
      { index: 1, term: 1, command: casOnce, result: true, duplicate: false },
      { index: 2, term: 2, command: casOnce, result: true, duplicate: true },
    ]);
    expect(replayed.state.machine).toEqual({ data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } });
    // With index 1 in a snapshot, the restarted server starts from the snapshot's table.
    const compacted = st({
      currentTerm: 2, snapshotIndex: 1, snapshotTerm: 1, snapshotMachine: { data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } },
      log: [e(2, casOnce)], commitIndex: 2, lastApplied: 2, machine: { data: { x: 'a' }, sessions: { c1: { seq: 1, result: true } } },
    });
    const fromSnapshot = run(envOf('s2'), restartFromPersistentState(compacted), ae('s1', 's2', 2, 2, 2, [], 2));
    expect(fromSnapshot.applied).toEqual([{ index: 2, term: 2, command: casOnce, result: true, duplicate: true }]);
  });
});

describe('CLI-3: the leader no-op', () => {
  const NOOP = (self: NodeId, servers: readonly NodeId[] = ['s1', 's2', 's3']) => envOf(self, servers, 1, false, { leaderNoop: true });

  it('CLI-3: with leaderNoop a new leader appends a no-op of its term (not awaited) before its first AppendEntries, which carries it', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a')] });
    const r = run(NOOP('s1'), c, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(toJson(r.state)).toMatchObject({ role: 'leader', leaderId: 's1', log: [e(1, 'a'), e(2, null)], commitIndex: 0, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    expect(r.state.awaiting.size).toBe(0);
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 1, [e(2, null)], 0), ae('s1', 's3', 2, 1, 1, [e(2, null)], 0)]);
    expectFired(r.rules, ['CAN-2', 'CLI-3', 'LEA-1']);
  });

  it('CLI-3: a single server commits and applies its no-op at once (LEA-4, ALL-1) and answers no client', () => {
    const r = run(NOOP('s1', ['s1']), st({}), { type: 'electionTimeout' });
    expect(toJson(r.state)).toMatchObject({ role: 'leader', currentTerm: 1, log: [e(1, null)], commitIndex: 1, lastApplied: 1 });
    expect(r.applied).toEqual([{ index: 1, term: 1, command: null, result: null, duplicate: false }]);
    expect(r.replies).toEqual([]);
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['CAN-1', 'CAN-2', 'CLI-3', 'LEA-4', 'ALL-1', 'LEA-1']);
  });

  it('CLI-3 is off by default: the new leader appends nothing', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'a')] });
    const r = run(envOf('s1'), c, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(r.state.log.toArray()).toEqual([e(1, 'a')]);
    expect(r.rules).not.toContain('CLI-3');
  });
});

describe('CLI-4: ReadIndex reads', () => {
  // s1 leads term 3 of three servers; its last committed entry is of term 2.
  const leader3 = (o: Observation = {}): Observation => ({
    role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1',
    log: [e(1, put('x', '1')), e(2, put('x', '2'))], commitIndex: 2, lastApplied: 2, machine: { data: { x: '2' }, sessions: {} },
    nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 0, s3: 0 }, ...o,
  });
  // s1 leads term 2 and has committed an entry of its term at index 2.
  const leader2 = (o: Observation = {}): Observation => ({
    role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1',
    log: [e(2, put('x', '1')), e(2, put('x', '2'))], commitIndex: 2, lastApplied: 2, machine: { data: { x: '2' }, sessions: {} },
    nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 0 }, ...o,
  });
  const E3 = envOf('s1');

  it('CLI-4: a read waits until the leader commits an entry of its term; then a round starts with read index = commitIndex, and a majority acknowledging it answers the read', () => {
    const s0 = st(leader3());
    // Nothing of term 3 is committed: the read waits, no round starts.
    const r1 = run(E3, s0, read('c1', 1, 'x'));
    expect(leaderView(r1.state).pendingReads).toEqual([pending('c1', 1, 'x', null, 0)]);
    expect(leaderView(r1.state).readRound).toBe(0);
    expect(r1.sent).toEqual([]);
    expect(r1.replies).toEqual([]);
    expect(r1.rules).toEqual(['CLI-4']);
    // A client command of term 3: replicated, not committed yet, still no round.
    const putY = put('y', '1', 'c2', 1);
    const r2 = run(E3, r1.state, request(putY));
    expect(r2.sent).toEqual([ae('s1', 's2', 3, 2, 2, [e(3, putY)], 2), ae('s1', 's3', 3, 2, 2, [e(3, putY)], 2)]);
    expect(leaderView(r2.state).readRound).toBe(0);
    // s2 holds it: index 3 commits, c2 is answered, and the round starts: read index 3, round 1, every follower gets an AppendEntries carrying it.
    const r3 = run(E3, r2.state, aer('s2', 's1', 3, true, 3, 2));
    expect(r3.state.commitIndex).toBe(3);
    expect(leaderView(r3.state).readRound).toBe(1);
    expect(leaderView(r3.state).pendingReads).toEqual([pending('c1', 1, 'x', 3, 1)]);
    expect(r3.replies).toEqual([result('s1', 'c2', 1, 3, null)]);
    expect(r3.sent).toEqual([ae('s1', 's2', 3, 3, 3, [], 3, 1), ae('s1', 's3', 3, 2, 2, [e(3, putY)], 3, 1)]);
    expectFired(r3.rules, ['LEA-3a', 'LEA-4', 'LEA-2', 'ALL-1', 'CLI-4']);
    // s3 acknowledges round 1: with the leader, 2 of 3 confirm it, and index 3 is applied: the read is answered.
    const r4 = run(E3, r3.state, aer('s3', 's1', 3, true, 3, 2, 1));
    expect(leaderView(r4.state).readAcks).toEqual({ s3: 1 });
    expect(r4.replies).toEqual([readReply('s1', 'c1', 1, 'x', 3, '2')]);
    expect(leaderView(r4.state).pendingReads).toEqual([]);
    expectFired(r4.rules, ['CLI-4', 'LEA-3a', 'CLI-4']);
  });

  it('CLI-4: in a five-server cluster one acknowledgement (2 of 5) does not confirm the round; a second one (3 of 5) does', () => {
    const s = withInternal({
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2', 's3'], leaderId: 's1',
      log: [e(2, put('x', 'v'))], commitIndex: 1, lastApplied: 1, machine: { data: { x: 'v' }, sessions: {} },
      nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 },
    }, { readRound: 1, pendingReads: [pending('c1', 1, 'x', 1, 1)] });
    const E5 = envOf('s1', FIVE);
    const one = run(E5, s, aer('s2', 's1', 2, true, 1, 1, 1));
    expect(one.replies).toEqual([]);
    expect(leaderView(one.state).readAcks).toEqual({ s2: 1 });
    const two = run(E5, one.state, aer('s4', 's1', 2, true, 1, 1, 1));
    expect(leaderView(two.state).readAcks).toEqual({ s2: 1, s4: 1 });
    expect(two.replies).toEqual([readReply('s1', 'c1', 1, 'x', 1, 'v')]);
  });

  it('CLI-4: a confirmed read waits until lastApplied reaches its read index, and answers from the state machine as of then', () => {
    const s = withInternal(leader2({ lastApplied: 1, machine: { data: { x: '1' }, sessions: {} }, nextIndex: { s2: 3, s3: 2 } }),
      { readRound: 1, readAcks: { s2: 1 }, pendingReads: [pending('c1', 1, 'x', 2, 1)] });
    const waiting = run(E3, s, { type: 'heartbeatTimeout' });
    expect(waiting.replies).toEqual([]);
    expect(waiting.sent).toEqual([ae('s1', 's2', 2, 2, 2, [], 2, 1), ae('s1', 's3', 2, 1, 2, [e(2, put('x', '2'))], 2, 1)]);
    const applied = run(E3, waiting.state, aer('s3', 's1', 2, true, 2, 1));
    expect(applied.applied).toEqual([{ index: 2, term: 2, command: put('x', '2'), result: null, duplicate: false }]);
    expect(applied.replies).toEqual([readReply('s1', 'c1', 1, 'x', 2, '2')]);
  });

  it('CLI-4: a rejection acknowledges the round as well as a success, a stale one (DEC-4) too', () => {
    const s = withInternal(leader2(), { readRound: 1, pendingReads: [pending('c1', 1, 'x', 2, 1)] });
    // s3's rejection answers an older probe (prevLogIndex 1, not nextIndex - 1 = 2): dropped by DEC-4, but it acknowledges round 1.
    const r = run(E3, s, aer('s3', 's1', 2, false, 0, 1, 1));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 3, s3: 3 });
    expect(leaderView(r.state).readAcks).toEqual({ s3: 1 });
    expect(r.replies).toEqual([readReply('s1', 'c1', 1, 'x', 2, '2')]);
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['CLI-4', 'DEC-4', 'CLI-4']);
  });

  it('CLI-4: acknowledgements of an older round do not confirm a newer one; one of a later round confirms every earlier one', () => {
    const s = withInternal(leader2(), { readRound: 2, readAcks: { s2: 1 }, pendingReads: [pending('c1', 1, 'x', 2, 2)] });
    const stale = run(E3, s, aer('s3', 's1', 2, true, 2, 2, 1));
    expect(leaderView(stale.state).readAcks).toEqual({ s2: 1, s3: 1 });
    expect(stale.replies).toEqual([]);
    expect(leaderView(stale.state).pendingReads).toEqual([pending('c1', 1, 'x', 2, 2)]);
    // An ack never moves back: a reordered older echo leaves readAcks as it is.
    const s2Later = run(E3, stale.state, aer('s2', 's1', 2, true, 2, 2, 3));
    expect(leaderView(s2Later.state).readAcks).toEqual({ s2: 3, s3: 1 });
    expect(s2Later.replies).toEqual([readReply('s1', 'c1', 1, 'x', 2, '2')]);
    const older = run(E3, s2Later.state, aer('s2', 's1', 2, true, 2, 2, 2));
    expect(leaderView(older.state).readAcks).toEqual({ s2: 3, s3: 1 });
  });

  it('CLI-4: one round per step: a read arriving while a round is out starts the next round; reads are answered in arrival order', () => {
    const s = withInternal(leader2(), { readRound: 1, pendingReads: [pending('c1', 1, 'x', 2, 1)] });
    const second = run(E3, s, read('c2', 4, 'y'));
    expect(leaderView(second.state).readRound).toBe(2);
    expect(leaderView(second.state).pendingReads).toEqual([pending('c1', 1, 'x', 2, 1), pending('c2', 4, 'y', 2, 2)]);
    expect(second.sent).toEqual([ae('s1', 's2', 2, 2, 2, [], 2, 2), ae('s1', 's3', 2, 2, 2, [], 2, 2)]);
    expect(second.replies).toEqual([]);
    const both = run(E3, second.state, aer('s2', 's1', 2, true, 2, 2, 2));
    expect(both.replies).toEqual([readReply('s1', 'c1', 1, 'x', 2, '2'), readReply('s1', 'c2', 4, 'y', 2, null)]);
    expect(leaderView(both.state).pendingReads).toEqual([]);
    expect(leaderView(both.state).readRound).toBe(2);
  });

  it('CLI-4: a single-server leader confirms its round at once and answers in the same step, once it has committed an entry of its term', () => {
    const s = solo({ currentTerm: 2, log: [e(1, put('x', '1'))], commitIndex: 1, lastApplied: 1, machine: { data: { x: '1' }, sessions: {} } });
    const waits = run(ONE, s, read('c1', 1, 'x'));
    expect(waits.replies).toEqual([]);
    expect(leaderView(waits.state).pendingReads).toEqual([pending('c1', 1, 'x', null, 0)]);
    const putX = put('x', '2', 'c2', 1);
    const r = run(ONE, waits.state, request(putX));
    expect(r.replies).toEqual([result('s1', 'c2', 1, 2, null), readReply('s1', 'c1', 1, 'x', 2, '2')]);
    expect(leaderView(r.state).readRound).toBe(1);
    expect(leaderView(r.state).pendingReads).toEqual([]);
    expect(r.sent).toEqual([]);
    const atOnce = run(ONE, r.state, read('c1', 2, 'x'));
    expect(atOnce.replies).toEqual([readReply('s1', 'c1', 2, 'x', 2, '2')]);
    expect(leaderView(atOnce.state).readRound).toBe(2);
  });

  it('CLI-4: a leader that steps down (ALL-2) drops its pending reads unanswered, with its round and acknowledgements; awaiting survives', () => {
    const s = withInternal(leader2(), { awaiting: new Map([[2, 2]]), readRound: 1, readAcks: { s2: 1 }, pendingReads: [pending('c1', 1, 'x', 2, 1)] });
    const r = run(E3, s, aer('s3', 's1', 4, false, 0, 2, 1));
    expect(r.state.role).toBe('follower');
    expect(hidden(r.state)).toEqual({ awaiting: [[2, 2]], readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0 });
    expect(r.replies).toEqual([]);
    expectFired(r.rules, ['ALL-2', 'CLI-4']);
  });

  it('CLI-4: a new leader starts with no reads, round 0 and no acknowledgements', () => {
    const c = withInternal({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] }, { readRound: 3, readAcks: { s2: 3 }, pendingReads: [pending('c1', 1, 'x', 1, 3)] });
    const r = run(E3, c, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true });
    expect(r.state.role).toBe('leader');
    expect(hidden(r.state)).toEqual({ awaiting: [], readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0 });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 0, 0, [], 0), ae('s1', 's3', 2, 0, 0, [], 0)]);
  });

  it('CLI-4: every AppendEntries of a leader with a round carries readRound, retries included; none before its first round', () => {
    const s = withInternal(leader2({ nextIndex: { s2: 3, s3: 2 } }), { readRound: 2 });
    expect(run(E3, s, { type: 'heartbeatTimeout' }).sent).toEqual([ae('s1', 's2', 2, 2, 2, [], 2, 2), ae('s1', 's3', 2, 1, 2, [e(2, put('x', '2'))], 2, 2)]);
    const retry = run(E3, s, aer('s3', 's1', 2, false, 0, 1));
    expect(retry.sent).toEqual([ae('s1', 's3', 2, 0, 0, [e(2, put('x', '1'))], 2, 2)]);
    expect(run(E3, st(leader2()), { type: 'heartbeatTimeout' }).sent).toEqual([ae('s1', 's2', 2, 2, 2, [], 2), ae('s1', 's3', 2, 2, 2, [], 2)]);
  });

  it('CLI-4: a server echoes the readRound of an AppendEntries in its answer: success, AE-2 refusal and AE-1 refusal alike; no field without one', () => {
    const f = st({ currentTerm: 2, log: [e(2, 'a')] });
    expect(run(envOf('s2'), f, ae('s1', 's2', 2, 1, 2, [], 0, 4)).sent).toEqual([aer('s2', 's1', 2, true, 1, 1, 4)]);
    expect(run(envOf('s2'), f, ae('s1', 's2', 2, 3, 2, [], 0, 4)).sent).toEqual([aer('s2', 's1', 2, false, 0, 3, 4)]);
    expect(run(envOf('s2'), f, ae('s1', 's2', 1, 0, 0, [], 0, 4)).sent).toEqual([aer('s2', 's1', 2, false, 0, 0, 4)]);
    expect(run(envOf('s2'), f, ae('s1', 's2', 2, 1, 2, [], 0)).sent).toEqual([aer('s2', 's1', 2, true, 1, 1)]);
  });
});

describe('LEA-2: the leader answers its client', () => {
  const leader = st({
    role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1',
    log: [e(1, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 },
  });

  it('LEA-2: the leader awaits the index it appended the command at, and answers once it applies it, with the command\'s client and seq', () => {
    const command = append('x', 'b', 'c1', 4);
    const r1 = run(envOf('s1'), leader, request(command));
    expect([...r1.state.awaiting]).toEqual([[2, 2]]);
    expect(r1.replies).toEqual([]);
    const r2 = run(envOf('s1'), r1.state, aer('s2', 's1', 2, true, 2, 1));
    expect(r2.state.awaiting.size).toBe(0);
    expect(r2.replies).toEqual([result('s1', 'c1', 4, 2, null)]);
    expect(r2.state.machine).toEqual({ data: { x: 'b' }, sessions: { c1: { seq: 4, result: null } } });
  });

  it('LEA-2: awaiting survives a step-down: the former leader answers when it applies its entry as a follower, if the term at the index still matches', () => {
    const command = put('x', '1', 'c1', 1);
    const former = withInternal({ currentTerm: 3, leaderId: 's2', log: [e(1, 'a'), e(2, command)], commitIndex: 1, lastApplied: 1 }, { awaiting: new Map([[2, 2]]) });
    const r = run(envOf('s1'), former, ae('s2', 's1', 3, 2, 2, [], 2));
    expect(r.replies).toEqual([result('s1', 'c1', 1, 2, null)]);
    expect(r.state.awaiting.size).toBe(0);
  });

  it('LEA-2: no answer when the entry applied at the awaited index is of another term (the command was overwritten); the index is forgotten', () => {
    const former = withInternal({ currentTerm: 3, leaderId: 's2', log: [e(1, 'a'), e(3, 'z')], commitIndex: 1, lastApplied: 1 }, { awaiting: new Map([[2, 2], [3, 2]]) });
    const r = run(envOf('s1'), former, ae('s2', 's1', 3, 2, 3, [], 2));
    expect(r.applied).toEqual([{ index: 2, term: 3, command: 'z', result: null, duplicate: false }]);
    expect(r.replies).toEqual([]);
    expect([...r.state.awaiting]).toEqual([[3, 2]]);
    expect(r.rules).not.toContain('LEA-2');
  });

  it('LEA-2: awaiting does not survive a crash: the restarted server applies the entry again and answers no one', () => {
    const s = withInternal({ currentTerm: 2, log: [e(2, put('x', '1', 'c1', 1))], commitIndex: 0, lastApplied: 0 }, { awaiting: new Map([[1, 2]]) });
    const restarted = restartFromPersistentState(s);
    expect(restarted.awaiting.size).toBe(0);
    const r = run(envOf('s1'), restarted, ae('s2', 's1', 2, 1, 2, [], 1));
    expect(r.applied).toHaveLength(1);
    expect(r.replies).toEqual([]);
  });
});
