// Rules for all servers (ALL-1, ALL-2, PER-1) and the project's choices about inputs that have no
// effect or that clear state (DEC-1, DEC-7..DEC-10). Elections are in rules-election.test.ts, log
// replication in rules-replication.test.ts. Expected values are written by hand.
import { describe, it, expect } from 'vitest';
import { step, restart } from '../node.js';
import { toJson, leaderView } from '../state.js';
import { applyEvent, inFlight, initCluster, type ClusterState, type ClusterStep } from '../cluster.js';
import type { AppendEntries, Event } from '../../spec/schema.js';
import { EMPTY_MACHINE, FIVE, NO_OPTION_STATE, NO_SNAPSHOT, e, envOf, st, expectFired } from './fixtures.js';

describe('ALL-1: apply', () => {
  it('ALL-1: entries up to the new commitIndex are applied once each, in index order', () => {
    const s = st({ currentTerm: 1, log: [e(1, 'a'), e(1, 'b'), e(1, 'c')], commitIndex: 1, lastApplied: 1 });
    const ae: AppendEntries = { type: 'AppendEntries', from: 's2', to: 's1', term: 1, leaderId: 's2', prevLogIndex: 3, prevLogTerm: 1, entries: [], leaderCommit: 3 };
    const r = step(envOf('s1'), s, ae);
    // KV-1: opaque commands are applied with result null, and are no duplicates.
    expect(r.applied).toEqual([
      { index: 2, term: 1, command: 'b', result: null, duplicate: false },
      { index: 3, term: 1, command: 'c', result: null, duplicate: false },
    ]);
    expect(r.state.commitIndex).toBe(3);
    expect(r.state.lastApplied).toBe(3);
    expect(r.rules).toContain('ALL-1');
    // The same AppendEntries again (a duplicate) applies nothing a second time.
    const again = step(envOf('s1'), r.state, ae);
    expect(again.applied).toEqual([]);
    expect(again.state.lastApplied).toBe(3);
    expect(again.rules).not.toContain('ALL-1');
  });

  it('ALL-1: a leader applies what it commits', () => {
    const s = st({
      role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [e(2, 'x')],
      nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 },
    });
    const r = step(envOf('s1'), s, { type: 'AppendEntriesResponse', from: 's3', to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 0 });
    expect(r.applied).toEqual([{ index: 1, term: 2, command: 'x', result: null, duplicate: false }]);
    expect(r.state.lastApplied).toBe(1);
    // LEA-2: this hand-written leader awaits no index, so it answers no client.
    expect(r.replies).toEqual([]);
    expect(r.rules).toContain('ALL-1');
  });
});

describe('ALL-2: newer term', () => {
  it('ALL-2: a follower adopts the newer term of an AppendEntries and forgets its vote of the old term', () => {
    const s = st({ currentTerm: 2, votedFor: 's2', log: [e(1, 'a')] });
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's3', to: 's1', term: 4, leaderId: 's3', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 });
    expect(toJson(r.state)).toEqual({ ...toJson(s), currentTerm: 4, votedFor: null, leaderId: 's3', heardFromLeader: true });
    expect(r.sent).toEqual([{ type: 'AppendEntriesResponse', from: 's1', to: 's3', term: 4, success: true, matchIndex: 1, prevLogIndex: 1 }]);
    expect(r.rules[0]).toBe('ALL-2');
  });

  it('ALL-2, DEC-10: a leader that sees a RequestVote of a newer term steps down, clears its progress, and refuses a candidate that is behind', () => {
    const s = st({
      role: 'leader', currentTerm: 2, votedFor: 's1', leaderId: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a'), e(2, 'b')], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 0 },
    });
    const r = step(envOf('s1'), s, { type: 'RequestVote', from: 's3', to: 's1', term: 3, candidateId: 's3', lastLogIndex: 1, lastLogTerm: 1 });
    expect(toJson(r.state)).toEqual({
      role: 'follower', currentTerm: 3, votedFor: null, log: [e(1, 'a'), e(2, 'b')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 1, lastApplied: 1,
      machine: EMPTY_MACHINE, leaderId: null, // CLI-1: no leader known in the new term
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(r.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 3, voteGranted: false }]);
    expectFired(r.rules, ['ALL-2', 'DEC-10', 'RV-2']);
  });

  it('ALL-2 (pitfall: stepping down on a higher-term response): a candidate refused with a newer term becomes a follower of that term', () => {
    const s = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const r = step(envOf('s1'), s, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 5, voteGranted: false });
    expect(toJson(r.state)).toEqual({
      role: 'follower', currentTerm: 5, votedFor: null, log: [], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: null,
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['ALL-2', 'DEC-10', 'DEC-1']);
  });

  it('ALL-2 (pitfall: stepping down on a higher-term response): a leader whose AppendEntries is refused with a newer term steps down and sends nothing', () => {
    const s = st({
      role: 'leader', currentTerm: 2, votedFor: 's1', leaderId: 's1', votesGranted: ['s1', 's3'], log: [e(2, 'x')],
      nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 },
    });
    const r = step(envOf('s1'), s, { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 1 });
    expect(toJson(r.state)).toEqual({
      role: 'follower', currentTerm: 3, votedFor: null, log: [e(2, 'x')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: null, // CLI-1: no leader known in the new term
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['ALL-2', 'DEC-10', 'DEC-1']);
  });
});

describe('PER-1, DEC-7: crash and restart', () => {
  it('PER-1, SNAP-4: a restart keeps currentTerm, votedFor and the log, and starts as a follower with commitIndex = lastApplied = snapshotIndex (0 here), the snapshot\'s (empty) state machine and no known leader', () => {
    const s = st({
      role: 'leader', currentTerm: 3, votedFor: 's1', leaderId: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a'), e(3, 'b')], commitIndex: 2, lastApplied: 2,
      nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 1 },
    });
    expect(toJson(restart(s))).toEqual({
      role: 'follower', currentTerm: 3, votedFor: 's1', log: [e(1, 'a'), e(3, 'b')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: null,
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
  });

  it('PER-1 (pitfall: voting twice in one term after a restart): a server that voted for s2 in term 3 refuses s3 in term 3 after restarting', () => {
    const s = restart(st({ currentTerm: 3, votedFor: 's2', log: [e(1, 'a')], commitIndex: 1, lastApplied: 1 }));
    const r = step(envOf('s1'), s, { type: 'RequestVote', from: 's3', to: 's1', term: 3, candidateId: 's3', lastLogIndex: 1, lastLogTerm: 1 });
    expect(r.state.votedFor).toBe('s2');
    expect(r.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 3, voteGranted: false }]);
  });

  it('PER-1, ALL-1: a restarted server without a snapshot rebuilds its state machine by applying its log again from index 1', () => {
    const s = restart(st({ currentTerm: 1, log: [e(1, 'a'), e(1, 'b')], commitIndex: 2, lastApplied: 2 }));
    const r = step(envOf('s1'), s, { type: 'AppendEntries', from: 's2', to: 's1', term: 1, leaderId: 's2', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 });
    expect(r.applied).toEqual([
      { index: 1, term: 1, command: 'a', result: null, duplicate: false },
      { index: 2, term: 1, command: 'b', result: null, duplicate: false },
    ]);
  });

  const must = (x: ClusterStep | { error: string }): ClusterStep => {
    if ('error' in x) throw new Error(x.error);
    return x;
  };
  const run = (c: ClusterState, ...events: Event[]): ClusterStep[] => {
    const out: ClusterStep[] = [];
    for (const ev of events) {
      const r = must(applyEvent(c, ev));
      out.push(r);
      c = r.state;
    }
    return out;
  };

  it('PER-1, DEC-7: a crash keeps only the persistent state; the server is down until it restarts', () => {
    const c0 = initCluster(['s1', 's2', 's3'], undefined, {
      s1: { role: 'leader', currentTerm: 2, votedFor: 's1', leaderId: 's1', votesGranted: ['s1', 's2'], log: [e(2, 'x')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } },
    });
    const [crash, rst] = run(c0, { type: 'crash', node: 's1' }, { type: 'restart', node: 's1' });
    if (!crash || !rst) throw new Error('two steps expected');
    expect(crash.node).toBe('s1');
    expect(crash.rules).toEqual(['PER-1', 'DEC-7']);
    expect([...crash.state.crashed]).toEqual(['s1']);
    expect(toJson(crash.state.nodes.s1 ?? st({}))).toEqual({
      role: 'follower', currentTerm: 2, votedFor: 's1', log: [e(2, 'x')], ...NO_SNAPSHOT, ...NO_OPTION_STATE, commitIndex: 0, lastApplied: 0,
      machine: EMPTY_MACHINE, leaderId: null,
      nextIndex: {}, matchIndex: {}, votesGranted: [],
    });
    expect(rst.rules).toEqual(['PER-1']);
    expect([...rst.state.crashed]).toEqual([]);
    expect(rst.state.nodes.s1).toBe(crash.state.nodes.s1);
  });

  it('DEC-7: a message delivered to a crashed server is lost, and its timers do nothing', () => {
    const c0 = initCluster(['s1', 's2', 's3']);
    const [timeout, crash] = run(c0, { type: 'electionTimeout', node: 's1' }, { type: 'crash', node: 's2' });
    if (!timeout || !crash) throw new Error('two steps expected');
    const rv = { type: 'RequestVote', from: 's1', to: 's2', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 } as const;
    expect(inFlight(crash.state)).toContainEqual(rv);
    const lost = must(applyEvent(crash.state, { type: 'deliver', message: rv }));
    expect(lost.rules).toEqual(['DEC-7']);
    expect(lost.sent).toEqual([]);
    expect(lost.state.nodes.s2).toBe(crash.state.nodes.s2);
    expect(inFlight(lost.state)).toEqual([{ type: 'RequestVote', from: 's1', to: 's3', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 }]);
    const idle = must(applyEvent(lost.state, { type: 'electionTimeout', node: 's2' }));
    expect(idle.rules).toEqual(['DEC-7']);
    expect(idle.state.nodes.s2).toBe(crash.state.nodes.s2);
    expect(inFlight(idle.state)).toEqual(inFlight(lost.state));
  });
});

describe('DEC-1, DEC-8, DEC-9, DEC-10: inputs without effect, role-local state', () => {
  const leader = st({
    role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a'), e(3, 'b')], commitIndex: 1, lastApplied: 1,
    nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 1 },
  });

  it('DEC-1: a RequestVote response reaching a leader (a late vote) is dropped', () => {
    const r = step(envOf('s1'), leader, { type: 'RequestVoteResponse', from: 's3', to: 's1', term: 3, voteGranted: true });
    expect(r.state).toBe(leader);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-1']);
  });

  it('DEC-1 (pitfall: a stale AppendEntries response): a success of an older term moves neither matchIndex nor nextIndex', () => {
    const r = step(envOf('s1'), leader, { type: 'AppendEntriesResponse', from: 's3', to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 });
    expect(r.state).toBe(leader);
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 1 });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-1']);
  });

  it('DEC-1: a rejection of an older term does not move nextIndex back', () => {
    const r = step(envOf('s1'), leader, { type: 'AppendEntriesResponse', from: 's3', to: 's1', term: 2, success: false, matchIndex: 0, prevLogIndex: 1 });
    expect(r.state).toBe(leader);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-1']);
  });

  it('DEC-1: responses reaching a follower are dropped', () => {
    const f = st({ currentTerm: 3, votedFor: 's2', log: [e(1, 'a')] });
    const r1 = step(envOf('s1'), f, { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: true, matchIndex: 1, prevLogIndex: 0 });
    const r2 = step(envOf('s1'), f, { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 3, voteGranted: true });
    for (const r of [r1, r2]) {
      expect(r.state).toBe(f);
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['DEC-1']);
    }
  });

  it('DEC-8: a leader drops an (injected) AppendEntries of its own term: no reply, nothing changes', () => {
    const r = step(envOf('s1'), leader, { type: 'AppendEntries', from: 's2', to: 's1', term: 3, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [e(3, 'z')], leaderCommit: 1 });
    expect(r.state).toBe(leader);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-8']);
  });

  it('DEC-9: an election timeout on a leader has no effect', () => {
    const r = step(envOf('s1'), leader, { type: 'electionTimeout' });
    expect(r.state).toBe(leader);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-9']);
  });

  it('DEC-9, CLI-1: a heartbeat timeout and a client request on a follower or a candidate change nothing; the client request is answered with a redirect', () => {
    const f = st({ currentTerm: 2, log: [e(1, 'a')] });
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    for (const s of [f, c]) {
      for (const input of [{ type: 'heartbeatTimeout' }, { type: 'clientRequest', command: 'x' }] as const) {
        const r = step(envOf('s1'), s, input);
        expect(r.state).toBe(s);
        expect(r.sent).toEqual([]);
        expect(r.applied).toEqual([]);
        // A client request is answered with a redirect (CLI-1), which changes no state either: the
        // command 'x' has no client and seq, and neither server has heard from a leader in term 2.
        expect(r.rules).toEqual(input.type === 'clientRequest' ? ['CLI-1', 'DEC-9'] : ['DEC-9']);
        expect(r.replies).toEqual(input.type === 'clientRequest' ? [{ type: 'redirect', node: 's1', client: null, seq: null, leader: null }] : []);
      }
    }
  });

  it('DEC-10: becoming a candidate empties nextIndex and matchIndex, even if a (hand-written) follower state carried some', () => {
    const f = st({ currentTerm: 1, nextIndex: { s2: 4 }, matchIndex: { s2: 3 } });
    const r = step(envOf('s1'), f, { type: 'electionTimeout' });
    expect(r.state.role).toBe('candidate');
    expect(leaderView(r.state).nextIndex).toEqual({});
    expect(leaderView(r.state).matchIndex).toEqual({});
  });

  it('DEC-10: a candidate that concedes (CAN-3) empties votesGranted', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's3'] });
    const r = step(envOf('s1', FIVE), c, { type: 'AppendEntries', from: 's2', to: 's1', term: 2, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(r.state.role).toBe('follower');
    expect(r.state.votesGranted).toEqual([]);
    expect(leaderView(r.state).nextIndex).toEqual({});
    expect(leaderView(r.state).matchIndex).toEqual({});
    expect(r.rules).toEqual(expect.arrayContaining(['CAN-3', 'DEC-10']));
  });
});
