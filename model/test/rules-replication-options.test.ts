// The replication options of docs/dissertation-options.md: pipelining (PIP-1, PIP-2) and flow
// control (FC-1 .. FC-3). Each test: given this state and this input, expect this state, these
// messages and these rules, with expected values written by hand. Every step is also taken by the
// xstate statechart, which must agree with the reducer on all of it.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, ClientReply, Entry, Event, NodeId, Observation, ProtocolOptions } from '../../spec/schema.js';
import { type ClusterState, applyEvent, inFlight, initCluster } from '../cluster.js';
import { InvariantChecker } from '../invariants.js';
import { type NodeInput } from '../node.js';
import { type Env, type NodeState, leaderView } from '../state.js';
import { THREE, e, envOf, expectFired, st, stepBoth , withLeaderState } from './fixtures.js';

/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

// Envs of s1 (the leader) and s2 (a follower) in a cluster of three.
const leaderEnv = (options: Partial<ProtocolOptions> & { maxEntriesPerAppendEntries?: number; fastBacktracking?: boolean } = {}): Env =>
  envOf('s1', THREE, options.maxEntriesPerAppendEntries ?? 1, options.fastBacktracking ?? false, options);
const PLAIN = leaderEnv();
const PIPE = leaderEnv({ pipelining: true });

// Inputs and messages (the leader is s1).
const request = (command: unknown): NodeInput => ({ type: 'clientRequest', command });
const HEARTBEAT: NodeInput = { type: 'heartbeatTimeout' };
const ae = (to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[], leaderCommit: number, more: Partial<AppendEntries> = {}): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit, ...more });
const aer = (from: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number, more: Partial<AppendEntriesResponse> = {}): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to: 's1', term, success, matchIndex, prevLogIndex, ...more });
const result = (index: number): ClientReply => ({ type: 'result', node: 's1', client: null, seq: null, index, result: null, duplicate: false });

/** s1 leading term 2 (s2 voted for it) with this log and the rest as given. */
const leaderAt = (log: Entry[], o: Observation = {}): NodeState =>
  st({ role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log, ...o });

/** INV-6 on a leader: matchIndex < nextIndex <= last index + 1, for every peer. */
function expectProgressInvariant(s: NodeState): void {
  for (const peer of ['s2', 's3']) {
    const next = leaderView(s).nextIndex[peer] ?? 0;
    const match = leaderView(s).matchIndex[peer] ?? -1;
    expect(match < next && next <= s.log.lastIndex + 1, `INV-6 for ${peer}: matchIndex ${match}, nextIndex ${next}, last index ${s.log.lastIndex}`).toBe(true);
  }
}

describe('PIP-1: several AppendEntries in flight per follower', () => {
  const a = e(1, 'a');
  const x = e(2, 'x');
  const y = e(2, 'y');
  const start = leaderAt([a], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });

  it('PIP-1: each new command is sent at once, after the entries in flight: nextIndex moves past every entry sent', () => {
    const r1 = run(PIPE, start, request('x'));
    expect(r1.sent).toEqual([ae('s2', 2, 1, 1, [x], 1), ae('s3', 2, 1, 1, [x], 1)]);
    expect(leaderView(r1.state).nextIndex).toEqual({ s2: 3, s3: 3 });
    expect(leaderView(r1.state).matchIndex).toEqual({ s2: 1, s3: 1 });
    expectFired(r1.rules, ['LEA-2', 'LEA-3', 'PIP-1', 'PIP-1']);

    // A second command while the first is in flight: it follows the first, which is not sent again.
    const r2 = run(PIPE, r1.state, request('y'));
    expect(r2.sent).toEqual([ae('s2', 2, 2, 2, [y], 1), ae('s3', 2, 2, 2, [y], 1)]);
    expect(leaderView(r2.state).nextIndex).toEqual({ s2: 4, s3: 4 });
    expect(r2.state.log.toArray()).toEqual([a, x, y]);
    expectProgressInvariant(r2.state);
  });

  it('PIP-1 is off by default: nextIndex waits for the answer, so the next send repeats the entry in flight', () => {
    const r1 = run(PLAIN, start, request('x'));
    expect(leaderView(r1.state).nextIndex).toEqual({ s2: 2, s3: 2 });
    const r2 = run(PLAIN, r1.state, request('y'));
    expect(r2.sent).toEqual([ae('s2', 2, 1, 1, [x], 1), ae('s3', 2, 1, 1, [x], 1)]);
    expect(leaderView(r2.state).nextIndex).toEqual({ s2: 2, s3: 2 });
    expect([...r1.rules, ...r2.rules]).not.toContain('PIP-1');
  });

  it('PIP-1: successes are handled as before (LEA-3a, LEA-4); the leader sends nothing while its last index is below nextIndex', () => {
    const inFlightTwo = run(PIPE, run(PIPE, start, request('x')).state, request('y')).state;
    const r1 = run(PIPE, inFlightTwo, aer('s2', 2, true, 2, 1));
    expect(leaderView(r1.state).matchIndex).toEqual({ s2: 2, s3: 1 });
    expect(leaderView(r1.state).nextIndex).toEqual({ s2: 4, s3: 4 });
    expect(r1.state.commitIndex).toBe(2);
    expect(r1.replies).toEqual([result(2)]);
    expect(r1.sent).toEqual([]);
    expectFired(r1.rules, ['LEA-3a', 'LEA-4', 'LEA-2', 'ALL-1']);
    expect(r1.rules).not.toContain('LEA-3');

    const r2 = run(PIPE, r1.state, aer('s2', 2, true, 3, 2));
    expect(leaderView(r2.state).matchIndex).toEqual({ s2: 3, s3: 1 });
    expect(leaderView(r2.state).nextIndex).toEqual({ s2: 4, s3: 4 });
    expect(r2.state.commitIndex).toBe(3);
    expect(r2.replies).toEqual([result(3)]);
    expect(r2.sent).toEqual([]);
    expectProgressInvariant(r2.state);
  });

  it('PIP-1 with batching: nextIndex moves past the whole batch (DEC-6); an AppendEntries with no entry leaves it where it is', () => {
    const env = leaderEnv({ pipelining: true, maxEntriesPerAppendEntries: 2 });
    const [b, c, d] = [e(2, 'b'), e(2, 'c'), e(2, 'd')];
    const s = leaderAt([a, b, c, d], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 5 }, matchIndex: { s2: 1, s3: 4 } });
    const r1 = run(env, s, HEARTBEAT);
    expect(r1.sent).toEqual([ae('s2', 2, 1, 1, [b, c], 1), ae('s3', 2, 4, 2, [], 1)]);
    expect(leaderView(r1.state).nextIndex).toEqual({ s2: 4, s3: 5 });
    expect(r1.rules).toEqual(['LEA-1', 'DEC-5', 'DEC-6', 'PIP-1']);

    const r2 = run(env, r1.state, HEARTBEAT);
    expect(r2.sent).toEqual([ae('s2', 2, 3, 2, [d], 1), ae('s3', 2, 4, 2, [], 1)]);
    expect(leaderView(r2.state).nextIndex).toEqual({ s2: 5, s3: 5 });
    expect(r2.rules).toEqual(['LEA-1', 'DEC-5', 'PIP-1']);

    // Everything is in flight: a plain heartbeat to both (DEC-5 no longer cited), nextIndex at last index + 1 (INV-6).
    const r3 = run(env, r2.state, HEARTBEAT);
    expect(r3.sent).toEqual([ae('s2', 2, 4, 2, [], 1), ae('s3', 2, 4, 2, [], 1)]);
    expect(r3.state).toBe(r2.state);
    expect(r3.rules).toEqual(['LEA-1']);
    expectProgressInvariant(r3.state);
  });
});

describe('PIP-2: repair on the rejection of an outstanding request', () => {
  const log = [e(1, 'a'), e(1, 'b'), e(2, 'c'), e(2, 'd')];
  // Three requests in flight to s2 (prevLogIndex 1, 2 and 3), none answered yet.
  const pipelined = leaderAt(log, { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 1, s3: 1 } });

  it('PIP-2: a rejection of a request still outstanding, not the latest, moves nextIndex back to its prevLogIndex and the leader sends again', () => {
    const r = run(PIPE, pipelined, aer('s2', 2, false, 0, 2));
    // max(prevLogIndex 2, matchIndex + 1 = 2, 1) = 2, then the resend carries entry 2 and moves nextIndex past it (PIP-1).
    expect(r.sent).toEqual([ae('s2', 2, 1, 1, [e(1, 'b')], 1)]);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 3, s3: 5 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 1, s3: 1 });
    // DEC-6: one entry of the three after prevLogIndex 1.
    expect(r.rules).toEqual(['LEA-3b', 'PIP-2', 'DEC-6', 'PIP-1']);
    expectProgressInvariant(r.state);
  });

  it('PIP-2: without pipelining the same rejection is not of the current probe (prevLogIndex 4): dropped (DEC-4)', () => {
    const r = run(PLAIN, pipelined, aer('s2', 2, false, 0, 2));
    expect(r.state).toBe(pipelined);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-4']);
  });

  it('PIP-2: a rejection at or below matchIndex is stale: dropped (DEC-4)', () => {
    const matched = leaderAt(log, { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 5, s3: 5 }, matchIndex: { s2: 2, s3: 1 } });
    for (const prevLogIndex of [1, 2]) {
      const r = run(PIPE, matched, aer('s2', 2, false, 0, prevLogIndex));
      expect(r.state).toBe(matched);
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['DEC-4']);
    }
  });

  it('PIP-2: a rejection at or beyond nextIndex answers no request outstanding: dropped (DEC-4)', () => {
    // nextIndex was moved back to 3 by an earlier rejection; the requests at prevLogIndex 3 and 4 are no longer outstanding.
    const repaired = leaderAt(log, { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 5 }, matchIndex: { s2: 1, s3: 1 } });
    for (const prevLogIndex of [3, 4]) {
      const r = run(PIPE, repaired, aer('s2', 2, false, 0, prevLogIndex));
      expect(r.state).toBe(repaired);
      expect(r.rules).toEqual(['DEC-4']);
    }
  });

  describe('PIP-2 with fastBacktracking (FB-2)', () => {
    // Figure 7: the leader of term 8, and follower (f)'s conflicting term 3 at indexes 7..11.
    const leaderLog = [e(1, 'a'), e(1, 'b'), e(1, 'c'), e(4, 'l'), e(4, 'm'), e(5, 'n'), e(5, 'o'), e(6, 'p'), e(6, 'q'), e(6, 'r')];
    const env = leaderEnv({ pipelining: true, fastBacktracking: true });
    const leader8 = (matchS2: number): NodeState => st({
      role: 'leader', currentTerm: 8, votedFor: 's1', votesGranted: ['s1', 's3'], leaderId: 's1', log: leaderLog,
      nextIndex: { s2: 11, s3: 11 }, matchIndex: { s2: matchS2, s3: 0 },
    });
    const rejection = (prevLogIndex: number): AppendEntriesResponse => aer('s2', 8, false, 0, prevLogIndex, { conflictTerm: 3, conflictIndex: 7 });

    it('PIP-2 and FB-2: an outstanding rejection skips the term the leader does not hold: nextIndex = conflictIndex, then the resend', () => {
      const r = run(env, leader8(0), rejection(8));
      // FB-2: no term 3 in the leader's log, so conflictIndex 7; the resend carries entry 7 (term 5) after prevLogIndex 6.
      expect(r.sent).toEqual([ae('s2', 8, 6, 5, [e(5, 'o')], 0)]);
      expect(leaderView(r.state).nextIndex).toEqual({ s2: 8, s3: 11 });
      expect(r.rules).toEqual(['FB-2', 'LEA-3b', 'PIP-2', 'DEC-6', 'PIP-1']);
    });

    it('PIP-2 and FB-2: a rejection sent before a later success raised matchIndex moves nextIndex no lower than matchIndex + 1', () => {
      // matchIndex 8 < prevLogIndex 9 < nextIndex 11: outstanding; FB-2's 7 is below matchIndex + 1 = 9.
      const r = run(env, leader8(8), rejection(9));
      expect(r.sent).toEqual([ae('s2', 8, 8, 6, [e(6, 'q')], 0)]);
      expect(leaderView(r.state).nextIndex).toEqual({ s2: 10, s3: 11 });
      expect(leaderView(r.state).matchIndex).toEqual({ s2: 8, s3: 0 });
      expectFired(r.rules, ['FB-2', 'LEA-3b', 'PIP-2']);
    });

    it('PIP-2 and FB-2: a rejection at matchIndex is stale, whatever conflict it reports (DEC-4)', () => {
      const s = leader8(8);
      const r = run(env, s, rejection(8));
      expect(r.state).toBe(s);
      expect(r.rules).toEqual(['DEC-4']);
    });
  });
});

describe('FC-1: followers report lastApplied', () => {
  const FOLLOWER = envOf('s2', THREE, 1, false, { flowControlWindow: 2 });
  const fromS2 = (term: number, success: boolean, matchIndex: number, prevLogIndex: number, lastApplied: number, more: Partial<AppendEntriesResponse> = {}): AppendEntriesResponse =>
    ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term, success, matchIndex, prevLogIndex, lastApplied, ...more });

  it('FC-1: on success, the lastApplied after the request was handled (here it applied the entries leaderCommit covers)', () => {
    const s = st({ currentTerm: 2, votedFor: 's1', log: [e(1, 'a')] });
    const r = run(FOLLOWER, s, ae('s2', 2, 1, 1, [e(2, 'b')], 2));
    expect(r.state.lastApplied).toBe(2);
    expect(r.sent).toEqual([fromS2(2, true, 2, 1, 2)]);
    expectFired(r.rules, ['AE-4', 'AE-5', 'ALL-1', 'FC-1', 'FOL-1']);
  });

  it('FC-1: on a failed consistency check (AE-2), with the read round echoed too (CLI-4)', () => {
    const s = st({ currentTerm: 2, votedFor: 's1', log: [e(1, 'a')], commitIndex: 1, lastApplied: 1 });
    const r = run(FOLLOWER, s, ae('s2', 2, 3, 2, [e(2, 'd')], 3, { readRound: 4 }));
    expect(r.sent).toEqual([fromS2(2, false, 0, 3, 1, { readRound: 4 })]);
    expectFired(r.rules, ['AE-2', 'FC-1']);
  });

  it('FC-1: on an AE-1 rejection of a stale leader', () => {
    const s = st({ currentTerm: 3, log: [e(1, 'a'), e(3, 'b')], commitIndex: 1, lastApplied: 1 });
    const r = run(FOLLOWER, s, ae('s2', 2, 1, 1, [], 1));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([fromS2(3, false, 0, 1, 1)]);
    expectFired(r.rules, ['AE-1', 'FC-1']);
  });

  it('FC-1 is off by default: responses carry no lastApplied', () => {
    const s = st({ currentTerm: 2, votedFor: 's1', log: [e(1, 'a')] });
    const r = run(envOf('s2'), s, ae('s2', 2, 1, 1, [e(2, 'b')], 2));
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 }]);
    expect(r.rules).not.toContain('FC-1');
  });
});

describe('FC-2: the leader keeps the highest lastApplied each follower reported', () => {
  const FC = leaderEnv({ flowControlWindow: 2 });
  const log = [e(1, 'a'), e(2, 'b'), e(2, 'c')];
  const leader = (o: Observation = {}): NodeState =>
    leaderAt(log, { commitIndex: 3, lastApplied: 3, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 }, appliedIndex: { s2: 2, s3: 0 }, ...o });

  it('FC-2: on becoming leader, every peer starts at 0 (and at nothing without the option)', () => {
    const candidate = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log });
    const vote = { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true } as const;
    const r = run(FC, candidate, vote);
    expect(r.state.role).toBe('leader');
    expect(leaderView(r.state).appliedIndex).toEqual({ s2: 0, s3: 0 });
    expect(leaderView(run(PLAIN, candidate, vote).state).appliedIndex).toEqual({});
  });

  it('FC-2: the maximum: a higher report raises appliedIndex, a reordered lower one leaves it', () => {
    const up = run(FC, leader(), aer('s2', 2, true, 3, 2, { lastApplied: 3 }));
    expect(leaderView(up.state).appliedIndex).toEqual({ s2: 3, s3: 0 });
    expectFired(up.rules, ['FC-2', 'LEA-3a']);
    const down = run(FC, up.state, aer('s2', 2, true, 3, 2, { lastApplied: 1 }));
    expect(leaderView(down.state).appliedIndex).toEqual({ s2: 3, s3: 0 });
    expectFired(down.rules, ['FC-2', 'LEA-3a']);
  });

  it('FC-2: recorded after CheckQuorum (CQ-1), before ReadIndex\'s bookkeeping (CLI-4) and before a drop by DEC-4', () => {
    const s = withLeaderState(leader(), { readRound: 1 });
    // A stale rejection (prevLogIndex 1 is not the current probe, 3): it still reports s2's lastApplied and acknowledges round 1.
    const r = run(FC, s, aer('s2', 2, false, 0, 1, { lastApplied: 3, readRound: 1 }));
    expect(leaderView(r.state).appliedIndex).toEqual({ s2: 3, s3: 0 });
    expect(leaderView(r.state).readAcks).toEqual({ s2: 1 });
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 4, s3: 4 });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['FC-2', 'CLI-4', 'DEC-4']);
    // With CheckQuorum, the peer is noted as active first (CQ-1).
    const withQuorum = run(leaderEnv({ flowControlWindow: 2, checkQuorum: true }), s, aer('s2', 2, false, 0, 1, { lastApplied: 3, readRound: 1 }));
    expect(leaderView(withQuorum.state).recentlyActive).toEqual(['s2']);
    expect(leaderView(withQuorum.state).appliedIndex).toEqual({ s2: 3, s3: 0 });
    expect(withQuorum.rules).toEqual(['CQ-1', 'FC-2', 'CLI-4', 'DEC-4']);
  });

  it('FC-2: a success whose matchIndex is beyond the leader\'s log is impossible and records nothing (DEC-8)', () => {
    const s = leader();
    const r = run(FC, s, aer('s2', 2, true, 9, 2, { lastApplied: 3 }));
    expect(r.state).toBe(s);
    expect(r.rules).toEqual(['DEC-8']);
  });

  it('FC-2: a leader that steps down forgets appliedIndex (DEC-10)', () => {
    const r = run(FC, leader(), aer('s2', 3, false, 0, 3, { lastApplied: 3 }));
    expect(r.state.role).toBe('follower');
    expect(leaderView(r.state).appliedIndex).toEqual({});
    expectFired(r.rules, ['ALL-2', 'DEC-10', 'DEC-1']);
  });

  it('FC-2 is off by default: a lastApplied in a response (only an injected one) is not recorded', () => {
    const r = run(PLAIN, leaderAt(log, { commitIndex: 3, lastApplied: 3, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 } }), aer('s2', 2, true, 3, 2, { lastApplied: 3 }));
    expect(leaderView(r.state).appliedIndex).toEqual({});
    expect(r.rules).not.toContain('FC-2');
  });
});

describe('FC-3: no entry beyond a follower\'s lastApplied + the window', () => {
  const [a, b, c, d, e5, f] = [e(1, 'a'), e(2, 'b'), e(2, 'c'), e(2, 'd'), e(2, 'e'), e(2, 'f')];
  const log = [a, b, c, d, e5, f];
  // Batches of 4, window 2. s3 is up to date, so only s2's AppendEntries is of interest.
  const FC = leaderEnv({ flowControlWindow: 2, maxEntriesPerAppendEntries: 4 });
  // s3 holds and has applied everything; s2 is behind.
  const leader = (nextS2: number, appliedS2: number): NodeState => leaderAt(log, {
    commitIndex: 6, lastApplied: 6,
    nextIndex: { s2: nextS2, s3: 7 }, matchIndex: { s2: nextS2 - 1, s3: 6 }, appliedIndex: { s2: appliedS2, s3: 6 },
  });
  const toS3 = ae('s3', 2, 6, 2, [], 6);

  it('FC-3: the window cuts the batch: window 1 + 2 - 1 = 2 entries of the 4 a batch carries; FC-3 cited, not DEC-6', () => {
    const r = run(FC, leader(2, 1), HEARTBEAT);
    expect(r.sent).toEqual([ae('s2', 2, 1, 1, [b, c], 6), toS3]);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 7 });
    expect(r.rules).toEqual(['LEA-1', 'DEC-5', 'FC-3']);
  });

  it('FC-3 holds back with a heartbeat: a window of 0 or less leaves no entry to send', () => {
    // prevLogIndex 4: window 2 + 2 - 4 = 0, then 1 + 2 - 4 = -1.
    for (const applied of [2, 1]) {
      const r = run(FC, leader(5, applied), HEARTBEAT);
      expect(r.sent).toEqual([ae('s2', 2, 4, 2, [], 6), toS3]);
      expect(r.rules).toEqual(['LEA-1', 'DEC-5', 'FC-3']);
    }
  });

  it('FC-3 vs DEC-6: a window that reaches as far as the batch leaves the citation to DEC-6 when there is more than a batch', () => {
    // window 3 + 2 - 1 = 4 = batch (available 5 > 4): DEC-6.
    const equal = run(FC, leader(2, 3), HEARTBEAT);
    expect(equal.sent).toEqual([ae('s2', 2, 1, 1, [b, c, d, e5], 6), toS3]);
    expect(equal.rules).toEqual(['LEA-1', 'DEC-5', 'DEC-6']);
    // window 5 + 2 - 1 = 6 > batch 4: DEC-6 again.
    const wide = run(FC, leader(2, 5), HEARTBEAT);
    expect(wide.sent).toEqual([ae('s2', 2, 1, 1, [b, c, d, e5], 6), toS3]);
    expect(wide.rules).toEqual(['LEA-1', 'DEC-5', 'DEC-6']);
    // window 5 + 2 - 3 = 4 > available 3 = batch: everything that is left, nothing cited.
    const rest = run(FC, leader(4, 5), HEARTBEAT);
    expect(rest.sent).toEqual([ae('s2', 2, 3, 2, [d, e5, f], 6), toS3]);
    expect(rest.rules).toEqual(['LEA-1', 'DEC-5']);
  });

  it('FC-3: progress resumes when the follower reports more applied (FC-2 before LEA-3a\'s resend)', () => {
    // Window 1: s2 matched 2 but reported only 1 applied, so nothing after index 2 may be sent.
    const W1 = leaderEnv({ flowControlWindow: 1, maxEntriesPerAppendEntries: 4 });
    const s = leaderAt([a, b, c, d], {
      commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 }, appliedIndex: { s2: 1, s3: 2 },
    });
    // The answer to a heartbeat, still lastApplied 1: the resend is a heartbeat (window 1 + 1 - 2 = 0).
    const held = run(W1, s, aer('s2', 2, true, 2, 2, { lastApplied: 1 }));
    expect(held.sent).toEqual([ae('s2', 2, 2, 2, [], 2)]);
    expect(leaderView(held.state).appliedIndex).toEqual({ s2: 1, s3: 2 });
    expect(held.rules).toEqual(['FC-2', 'LEA-3a', 'LEA-3', 'FC-3']);
    // s2 has applied index 2 (leaderCommit 2): window 2 + 1 - 2 = 1 entry.
    const resumed = run(W1, held.state, aer('s2', 2, true, 2, 2, { lastApplied: 2 }));
    expect(resumed.sent).toEqual([ae('s2', 2, 2, 2, [c], 2)]);
    expect(leaderView(resumed.state).appliedIndex).toEqual({ s2: 2, s3: 2 });
    expect(resumed.rules).toEqual(['FC-2', 'LEA-3a', 'LEA-3', 'FC-3']);
  });

  it('FC-3 always allows up to the leader\'s first entry of its term: a new leader whose log holds more uncommitted older entries than the window still sends its own (else it could never commit, Figure 8)', () => {
    // Window 1; every log holds [1,1,1] uncommitted and nothing is applied. The leader of term 2
    // appended x at index 4; s2 and s3 have matched 3. Without the allowance the limit would be
    // 0 + 1 = 1 and every send a heartbeat; with it the limit is max(1, 4) = 4.
    const W1 = leaderEnv({ flowControlWindow: 1, maxEntriesPerAppendEntries: 4 });
    const x = e(2, 'x');
    const s = leaderAt([a, e(1, 'a2'), e(1, 'a3'), x], {
      commitIndex: 0, lastApplied: 0, nextIndex: { s2: 4, s3: 4 }, matchIndex: { s2: 3, s3: 3 }, appliedIndex: { s2: 0, s3: 0 },
    });
    const r = run(W1, s, HEARTBEAT);
    expect(r.sent).toEqual([ae('s2', 2, 3, 1, [x], 0), ae('s3', 2, 3, 1, [x], 0)]);
    expect(r.rules).toEqual(['LEA-1', 'DEC-5']);
  });

  it('FC-3 is off by default: the batch is cut only by maxEntriesPerAppendEntries (DEC-6)', () => {
    const r = run(leaderEnv({ maxEntriesPerAppendEntries: 4 }), leaderAt(log, { commitIndex: 6, lastApplied: 6, nextIndex: { s2: 2, s3: 7 }, matchIndex: { s2: 1, s3: 6 } }), HEARTBEAT);
    expect(r.sent).toEqual([ae('s2', 2, 1, 1, [b, c, d, e5], 6), toS3]);
    expect(r.rules).toEqual(['LEA-1', 'DEC-5', 'DEC-6']);
  });
});

describe('PIP-1, PIP-2 and FC-3 together, on a cluster with a reordering network', () => {
  it('PIP-1 and FC-3: a pipelined leader with window 2 keeps at most 2 entries beyond lastApplied in flight; PIP-2 repairs a reordered rejection; every invariant holds (INV-6 included)', () => {
    const options: ProtocolOptions = { pipelining: true, flowControlWindow: 2 };
    const follower: Observation = { currentTerm: 1, votedFor: 's1', leaderId: 's1' };
    let c: ClusterState = initCluster(THREE, options, {
      s1: { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 }, appliedIndex: { s2: 0, s3: 0 } },
      s2: follower,
      s3: follower,
    });
    const checker = new InvariantChecker(c);
    expect(checker.takeInitialViolations()).toEqual([]);
    let n = 0;
    const apply = (ev: Event): void => {
      const r = applyEvent(c, ev);
      if ('error' in r) throw new Error(r.error);
      expect(checker.check(c, r, ++n, ev)).toEqual([]);
      c = r.state;
    };
    const [x, y, z] = [e(1, 'x'), e(1, 'y'), e(1, 'z')];
    const toS2 = (prevLogIndex: number, prevLogTerm: number, entries: Entry[], leaderCommit: number): AppendEntries => ae('s2', 1, prevLogIndex, prevLogTerm, entries, leaderCommit);

    apply({ type: 'clientRequest', node: 's1', command: 'x' });
    apply({ type: 'clientRequest', node: 's1', command: 'y' });
    apply({ type: 'clientRequest', node: 's1', command: 'z' });
    // Entries 1 and 2 went out at once (PIP-1); entry 3 is beyond appliedIndex 0 + 2: a heartbeat instead (FC-3).
    expect(inFlight(c).filter((m) => m.to === 's2')).toEqual([toS2(0, 0, [x], 0), toS2(1, 1, [y], 0), toS2(2, 1, [], 0)]);
    expect(c.nodes.s1?.leader?.nextIndex).toEqual({ s2: 3, s3: 3 });

    // The second request overtakes the first: s2 has no entry 1, and rejects, reporting lastApplied 0 (FC-1).
    apply({ type: 'deliver', message: toS2(1, 1, [y], 0) });
    const rejection = aer('s2', 1, false, 0, 1, { lastApplied: 0 });
    expect(inFlight(c).filter((m) => m.to === 's1')).toEqual([rejection]);
    // PIP-2: matchIndex 0 < 1 < nextIndex 3: nextIndex back to 1, and entry 1 is sent again (a second copy of it is now in flight).
    apply({ type: 'deliver', message: rejection });
    expect(c.nodes.s1?.leader?.nextIndex).toEqual({ s2: 2, s3: 3 });
    expect(inFlight(c).filter((m) => m.type === 'AppendEntries' && m.to === 's2')).toEqual([toS2(0, 0, [x], 0), toS2(0, 0, [x], 0), toS2(2, 1, [], 0)]);

    // s2 takes entry 1; s3 takes entries 1 and 2; the leader commits 2 (matchIndex of s3) and applies it.
    apply({ type: 'deliver', message: toS2(0, 0, [x], 0) });
    apply({ type: 'deliver', message: ae('s3', 1, 0, 0, [x], 0) });
    apply({ type: 'deliver', message: ae('s3', 1, 1, 1, [y], 0) });
    apply({ type: 'deliver', message: aer('s3', 1, true, 1, 0, { lastApplied: 0 }) });
    apply({ type: 'deliver', message: aer('s3', 1, true, 2, 1, { lastApplied: 0 }) });
    expect(c.nodes.s1?.commitIndex).toBe(2);
    expect(c.nodes.s1?.leader?.matchIndex).toEqual({ s2: 0, s3: 2 });
    // s2's success for entry 1: matchIndex 1; entry 2 goes out (window 0 + 2 - 1 = 1), nextIndex past it (PIP-1).
    apply({ type: 'deliver', message: aer('s2', 1, true, 1, 0, { lastApplied: 0 }) });
    expect(c.nodes.s1?.leader?.matchIndex).toEqual({ s2: 1, s3: 2 });
    expect(c.nodes.s1?.leader?.nextIndex).toEqual({ s2: 3, s3: 3 });
    expect(inFlight(c).filter((m) => m.type === 'AppendEntries' && m.to === 's2')).toEqual([toS2(0, 0, [x], 0), toS2(2, 1, [], 0), toS2(1, 1, [y], 2)]);
    expect(c.nodes.s1?.log.toArray()).toEqual([x, y, z]);
  });
});
