// The choice points of Figure 2 (spec/choices.ts): for each, the model's default alternative and
// the other one, on the same state and input, with hand-written expectations. A server takes the
// other alternative when its Env's `decide` says so (a profile, or the validator's search).
import { describe, expect, it } from 'vitest';
import type { ChoiceId } from '../../spec/choices.js';
import type { AppendEntries, AppendEntriesResponse, Message, NodeId, Observation } from '../../spec/schema.js';
import { type Env, type NodeState, configOf, leaderView } from '../state.js';
import { applyEvent, initCluster } from '../cluster.js';
import { e, envOf, expectFired, st, stepBoth, withLeaderState } from './fixtures.js';

/** The Env of `self` taking alternative b at the given points, a elsewhere. */
const taking = (env: Env, ...points: ChoiceId[]): Env => ({ ...env, decide: (p) => (points.includes(p) ? 'b' : 'a') });
/** The Env of `self` taking alternative a everywhere, but asking (so that hidden state such as DEC-18's is kept). */
const asking = (env: Env): Env => ({ ...env, decide: () => 'a' });

const ae = (from: NodeId, to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number): AppendEntries =>
  ({ type: 'AppendEntries', from, to, term, leaderId: from, prevLogIndex, prevLogTerm, entries, leaderCommit });
const aer = (from: NodeId, to: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to, term, success, matchIndex, prevLogIndex });

/** s1 leading term 2 (s2 voted for it) with this log and the rest as given. */
const leader = (log: Observation['log'], o: Observation = {}): NodeState =>
  st({ role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log, ...o });

const S1 = envOf('s1');

describe('DEC-3: progress on a success', () => {
  const s = leader([e(2, 'a'), e(2, 'b')], { commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 1 }, matchIndex: { s2: 2, s3: 0 } });
  const older = aer('s2', 's1', 2, true, 1, 0);

  it('DEC-3: a reordered older success moves neither nextIndex nor matchIndex back, and nothing is sent', () => {
    const r = stepBoth(asking(S1), s, older);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 3, s3: 1 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 0 });
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['DEC-3', 'LEA-3a']);
  });

  it('DEC-3b: nextIndex follows the response back (raft.tla), matchIndex does not, and the entries after it are sent again', () => {
    const r = stepBoth(taking(S1, 'DEC-3'), s, older);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 1 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 0 });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 2, [e(2, 'b')], 2)]);
    expectFired(r.rules, ['DEC-3b', 'LEA-3a', 'LEA-3']);
  });
});

describe('DEC-4: which rejections back off', () => {
  // The current probe to s2 is at prevLogIndex 1 (nextIndex 2); a rejection of an older probe at 2 arrives.
  const s = leader([e(1, 'x'), e(2, 'a')], { nextIndex: { s2: 2, s3: 3 }, matchIndex: { s2: 0, s3: 0 } });
  const stale = aer('s2', 's1', 2, false, 0, 2);

  it('DEC-4: a rejection of an older probe is dropped', () => {
    const r = stepBoth(asking(S1), s, stale);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 3 });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-4']);
  });

  it('DEC-4b: every rejection backs off by one (raft.tla, hashicorp/raft) and the leader retries', () => {
    const r = stepBoth(taking(S1, 'DEC-4'), s, stale);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 1, s3: 3 });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 0, 0, [e(1, 'x')], 0)]);
    expectFired(r.rules, ['DEC-4b']);
  });

  it('DEC-4b: never below 1', () => {
    const low = leader([e(2, 'a')], { nextIndex: { s2: 1, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const r = stepBoth(taking(S1, 'DEC-4'), low, aer('s2', 's1', 2, false, 0, 1));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 1, s3: 2 });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 0, 0, [e(2, 'a')], 0)]);
  });
});

describe('DEC-5: what a leader sends a follower it has not matched', () => {
  // s2: nextIndex 2, matchIndex 0 (not matched); s3: matched at 2, caught up.
  const s = leader([e(1, 'x'), e(2, 'a')], { nextIndex: { s2: 2, s3: 3 }, matchIndex: { s2: 0, s3: 2 } });

  it('DEC-5: the heartbeat carries the entries from nextIndex to a follower that is behind', () => {
    const r = stepBoth(asking(S1), s, { type: 'heartbeatTimeout' });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 1, [e(2, 'a')], 0), ae('s1', 's3', 2, 2, 2, [], 0)]);
    expectFired(r.rules, ['LEA-1', 'DEC-5']);
  });

  it('DEC-5b: an empty probe until the leader knows the follower holds its log through nextIndex - 1 (etcd StateProbe)', () => {
    const r = stepBoth(taking(S1, 'DEC-5'), s, { type: 'heartbeatTimeout' });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 1, [], 0), ae('s1', 's3', 2, 2, 2, [], 0)]);
    expectFired(r.rules, ['LEA-1', 'DEC-5b']);
  });

  it('DEC-5b: matchIndex at or past nextIndex - 1 is a known match point: the entries go', () => {
    const matched = withLeaderState(s, { matchIndex: { s2: 1, s3: 2 } });
    const r = stepBoth(taking(S1, 'DEC-5'), matched, { type: 'heartbeatTimeout' });
    expect(r.sent[0]).toEqual(ae('s1', 's2', 2, 1, 1, [e(2, 'a')], 0));
  });
});

describe('DEC-6: how many entries an AppendEntries carries', () => {
  // s2 holds [x] (nextIndex 2, matched at 1); s1 has three more entries to send it; s3 is caught up.
  const log = [e(1, 'x'), e(2, 'a'), e(2, 'b'), e(2, 'c')];
  const s = leader(log, { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 5 }, matchIndex: { s2: 1, s3: 4 } });
  const beat = { type: 'heartbeatTimeout' } as const;
  const toS2 = (entries: AppendEntries['entries']) => ae('s1', 's2', 2, 1, 1, entries, 1);

  it('DEC-6: at most maxEntriesPerAppendEntries: one, by default (raft.tla)', () => {
    const r = stepBoth(asking(S1), s, beat);
    expect(r.sent).toEqual([toS2([e(2, 'a')]), ae('s1', 's3', 2, 4, 2, [], 1)]);
    expectFired(r.rules, ['DEC-6']);
  });

  it('DEC-6b: every entry from nextIndex to the end of the log, whatever the batch size', () => {
    const r = stepBoth(taking(S1, 'DEC-6'), s, beat);
    expect(r.sent).toEqual([toS2([e(2, 'a'), e(2, 'b'), e(2, 'c')]), ae('s1', 's3', 2, 4, 2, [], 1)]);
  });

  it('DEC-6b is not taken with pipelining or flow control, whose bookkeeping counts what is sent', () => {
    for (const more of [{ pipelining: true }, { flowControlWindow: 8 }]) {
      const r = stepBoth(taking(envOf('s1', undefined, 1, false, more), 'DEC-6'), s, beat);
      expect(r.sent[0], JSON.stringify(more)).toEqual(toS2([e(2, 'a')]));
    }
  });

  it('DEC-6b in the network: the receiver may be handed any prefix of the entries sent, and one message is delivered once', () => {
    const c0 = initCluster(['s1', 's2', 's3'], undefined, { s1: { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log, commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 5 }, matchIndex: { s2: 1, s3: 4 } }, s2: { currentTerm: 2, log: [e(1, 'x')], commitIndex: 1, lastApplied: 1 } }, undefined, { 'DEC-6': ['b'] });
    const sent = applyEvent(c0, { type: 'heartbeatTimeout', node: 's1' });
    if ('error' in sent) throw new Error(sent.error);
    for (const entries of [[], [e(2, 'a')], [e(2, 'a'), e(2, 'b')], log.slice(1)]) {
      const r = applyEvent(sent.state, { type: 'deliver', message: toS2(entries) });
      if ('error' in r) throw new Error(`${entries.length} entries: ${r.error}`);
      expect(r.state.nodes.s2?.log.lastIndex, `${entries.length} entries`).toBe(1 + entries.length);
      // DEC-6a would have sent one entry: any other number shows DEC-6b.
      expect(r.rules.includes('DEC-6b'), `${entries.length} entries`).toBe(entries.length !== 1);
      const again = applyEvent(r.state, { type: 'deliver', message: toS2(entries) });
      expect('error' in again && again.error, `${entries.length} entries`).toMatch(/not in flight/);
    }
    // Not a prefix: a gap, or another command.
    for (const entries of [[e(2, 'b')], [e(2, 'a'), e(2, 'z')]]) {
      const r = applyEvent(sent.state, { type: 'deliver', message: toS2(entries) });
      expect('error' in r && r.error).toMatch(/not in flight/);
    }
  });
});

describe('DEC-16: the leaderCommit a leader sends', () => {
  // s2 is sent one entry (index 2) while the leader has committed through 3.
  const s = leader([e(2, 'a'), e(2, 'b'), e(2, 'c')], { commitIndex: 3, lastApplied: 3, nextIndex: { s2: 2, s3: 4 }, matchIndex: { s2: 1, s3: 3 } });

  it('DEC-16: leaderCommit is the commitIndex', () => {
    const r = stepBoth(asking(S1), s, { type: 'heartbeatTimeout' });
    expect(r.sent[0]).toEqual(ae('s1', 's2', 2, 1, 2, [e(2, 'b')], 3));
  });

  it('DEC-16b: leaderCommit is clamped to the last index sent (etcd)', () => {
    const r = stepBoth(taking(S1, 'DEC-16'), s, { type: 'heartbeatTimeout' });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 2, [e(2, 'b')], 2), ae('s1', 's3', 2, 3, 2, [], 3)]);
    expectFired(r.rules, ['DEC-16b']);
  });
});

describe('DEC-17: when committed entries are applied', () => {
  const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [e(2, 'a')] });
  const commit = ae('s1', 's2', 2, 1, 2, [], 1);
  const S2 = envOf('s2');

  it('DEC-17: in the step that commits them (ALL-1)', () => {
    const r = stepBoth(asking(S2), f, commit);
    expect(r.state.commitIndex).toBe(1);
    expect(r.state.lastApplied).toBe(1);
    expect(r.applied.map((a) => a.index)).toEqual([1]);
  });

  it('DEC-17b: in a step of their own: commitIndex rises, lastApplied waits for the apply event, which applies them', () => {
    const r = stepBoth(taking(S2, 'DEC-17'), f, commit);
    expect(r.state.commitIndex).toBe(1);
    expect(r.state.lastApplied).toBe(0);
    expect(r.applied).toEqual([]);
    expectFired(r.rules, ['AE-5', 'DEC-17b']);
    const applied = stepBoth(taking(S2, 'DEC-17'), r.state, { type: 'apply' });
    expect(applied.state.lastApplied).toBe(1);
    expect(applied.applied.map((a) => a.index)).toEqual([1]);
    expect(applied.rules).toEqual(['ALL-1']);
  });

  it('DEC-17: an apply event with nothing left to apply changes nothing', () => {
    const r = stepBoth(asking(S2), f, { type: 'apply' });
    expect(r.state).toBe(f);
    expect(r.rules).toEqual([]);
  });
});

describe('DEC-18: AppendEntries outstanding per follower', () => {
  // A request to s2 is outstanding (sent, no response yet); s3 has answered its last one.
  const s = withLeaderState(leader([e(2, 'a')], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } }), { outstanding: { s2: true } });
  const command = { type: 'clientRequest', command: 'b' } as const;

  it('DEC-18: every trigger sends: a client request goes to every follower', () => {
    const r = stepBoth(asking(S1), s, command);
    expect(r.sent.map((m) => m.to)).toEqual(['s2', 's3']);
    expect(leaderView(r.state).outstanding).toEqual({ s2: true, s3: true });
  });

  it('DEC-18b: at most one outstanding per follower: the client request sends nothing to s2 (hashicorp/raft)', () => {
    const r = stepBoth(taking(S1, 'DEC-18'), s, command);
    expect(r.sent).toEqual([ae('s1', 's3', 2, 1, 2, [e(2, 'b')], 1)]);
    expectFired(r.rules, ['LEA-2', 'DEC-18b']);
  });

  it('DEC-18b: a heartbeat always sends; a response of the term ends the outstanding request, and the next send goes', () => {
    const beat = stepBoth(taking(S1, 'DEC-18'), s, { type: 'heartbeatTimeout' });
    expect(beat.sent.map((m) => m.to)).toEqual(['s2', 's3']);
    const answered = stepBoth(taking(S1, 'DEC-18'), s, aer('s2', 's1', 2, true, 1, 1));
    expect(leaderView(answered.state).outstanding).toEqual({});
  });
});

describe('DEC-19: a request of an older term', () => {
  const f = st({ currentTerm: 3, votedFor: 's3', leaderId: 's3' });
  const S2 = envOf('s2');
  const staleAppend = ae('s1', 's2', 2, 0, 0, [], 0);
  const staleVote: Message = { type: 'RequestVote', from: 's1', to: 's2', term: 2, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 };

  it('DEC-19: answered with a refusal that carries currentTerm (AE-1, RV-1)', () => {
    expect(stepBoth(asking(S2), f, staleAppend).sent).toEqual([aer('s2', 's1', 3, false, 0, 0)]);
    expect(stepBoth(asking(S2), f, staleVote).sent).toEqual([{ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 3, voteGranted: false }]);
  });

  it('DEC-19b: dropped without a reply', () => {
    for (const m of [staleAppend, staleVote]) {
      const r = stepBoth(taking(S2, 'DEC-19'), f, m);
      expect(r.sent).toEqual([]);
      expect(r.state).toBe(f);
      expect(r.rules).toEqual(['DEC-19b']);
    }
  });
});

describe('DEC-7: commitIndex across a restart', () => {
  const initial = { s1: { currentTerm: 2, votedFor: 's1', log: [e(2, 'a'), e(2, 'b')], commitIndex: 2, lastApplied: 2 } };

  it('DEC-7: commitIndex is volatile: the restarted server starts at 0 and applies nothing', () => {
    const c = initCluster(['s1', 's2', 's3'], undefined, initial);
    const crashed = applyEvent(c, { type: 'crash', node: 's1' }, () => 'a');
    if ('error' in crashed) throw new Error(crashed.error);
    expect(crashed.state.nodes.s1?.commitIndex).toBe(0);
    const up = applyEvent(crashed.state, { type: 'restart', node: 's1' }, () => 'a');
    if ('error' in up) throw new Error(up.error);
    expect(up.state.nodes.s1?.lastApplied).toBe(0);
    expect(up.applied).toEqual([]);
  });

  it('DEC-7b: commitIndex is kept; the restart applies the committed entries again (ALL-1)', () => {
    const c = initCluster(['s1', 's2', 's3'], undefined, initial);
    const crashed = applyEvent(c, { type: 'crash', node: 's1' }, (p) => (p === 'DEC-7' ? 'b' : 'a'));
    if ('error' in crashed) throw new Error(crashed.error);
    expect(crashed.rules).toContain('DEC-7b');
    expect(crashed.state.nodes.s1?.commitIndex).toBe(2);
    expect(crashed.state.nodes.s1?.lastApplied).toBe(0);
    const up = applyEvent(crashed.state, { type: 'restart', node: 's1' }, () => 'a');
    if ('error' in up) throw new Error(up.error);
    expect(up.state.nodes.s1?.lastApplied).toBe(2);
    expect(up.applied.map((a) => a.index)).toEqual([1, 2]);
  });
});

describe('DEC-23: a client command that reaches a follower', () => {
  // s2 follows s1 in term 2; a command with a session.
  const follower = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [e(2, 'a')] });
  const S2 = envOf('s2');
  const command = { op: 'put', key: 'k', value: 'v', client: 'c1', seq: 1 };
  const proposal: Message = { type: 'ClientProposal', from: 's2', to: 's1', term: 2, command };

  it('DEC-23: redirected to the leader it knows (CLI-1)', () => {
    const r = stepBoth(asking(S2), follower, { type: 'clientRequest', command });
    expect(r.sent).toEqual([]);
    expect(r.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 1, leader: 's1' }]);
    expectFired(r.rules, ['DEC-23', 'CLI-1']);
  });

  it('DEC-23b: forwarded to the leader in a ClientProposal of its term, with no answer (etcd MsgProp)', () => {
    const r = stepBoth(taking(S2, 'DEC-23'), follower, { type: 'clientRequest', command });
    expect(r.sent).toEqual([proposal]);
    expect(r.replies).toEqual([]);
    expectFired(r.rules, ['DEC-23b']);
    // Knowing no leader, it redirects.
    const alone = stepBoth(taking(S2, 'DEC-23'), { ...follower, leaderId: null }, { type: 'clientRequest', command });
    expect(alone.sent).toEqual([]);
    expect(alone.replies).toEqual([{ type: 'redirect', node: 's2', client: 'c1', seq: 1, leader: null }]);
  });

  it('DEC-23b: the leader of that term appends it as a client\'s and replicates it (LEA-2, LEA-3)', () => {
    const s = leader([e(2, 'a')], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const r = stepBoth(S1, s, proposal);
    expect(r.state.log.lastIndex).toBe(2);
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 2, [{ term: 2, command }], 1), ae('s1', 's3', 2, 1, 2, [{ term: 2, command }], 1)]);
    expectFired(r.rules, ['DEC-23b', 'LEA-2', 'LEA-3']);
  });

  it('DEC-23b: a read is forwarded too (ForwardedRead), and the leader of that term serves it as its own (CLI-4)', () => {
    const r = stepBoth(taking(S2, 'DEC-23'), follower, { type: 'clientRead', client: 'c1', seq: 2, key: 'k' });
    const read: Message = { type: 'ForwardedRead', from: 's2', to: 's1', term: 2, client: 'c1', seq: 2, key: 'k' };
    expect(r.sent).toEqual([read]);
    expect(r.replies).toEqual([]);
    expectFired(r.rules, ['DEC-23b']);
    const s = leader([e(2, 'a')], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const served = stepBoth(S1, s, read);
    // The read waits for a round of heartbeats acknowledged by a quorum (CLI-4): they go out now.
    expect(served.sent.map((m) => m.type)).toEqual(['AppendEntries', 'AppendEntries']);
    expect(served.replies).toEqual([]);
    expectFired(served.rules, ['DEC-23b', 'CLI-4']);
    // A follower drops it.
    const dropped = stepBoth(S2, follower, { ...read, from: 's3', to: 's2' });
    expect([dropped.sent, dropped.replies]).toEqual([[], []]);
  });

  it('DEC-23b: a server that does not lead, or a leader of a newer term, drops it: the client retries', () => {
    for (const s of [follower, leader([e(2, 'a')], { currentTerm: 3, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } })]) {
      const r = stepBoth(S1, { ...s }, proposal);
      expect(r.sent).toEqual([]);
      expect(r.replies).toEqual([]);
      expect(r.state.log.lastIndex).toBe(1);
      expectFired(r.rules, ['DEC-23b']);
    }
  });
});

describe("DEC-20: a new leader's first AppendEntries", () => {
  // s1, candidate of term 2 with its own vote; s2's grant wins the election.
  const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], log: [e(1, 'x')] });
  const grant: Message = { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 2, voteGranted: true };

  it('DEC-20: sent on winning, in the step that wins (LEA-1)', () => {
    const r = stepBoth(asking(S1), c, grant);
    expect(r.state.role).toBe('leader');
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 1, [], 0), ae('s1', 's3', 2, 1, 1, [], 0)]);
    expectFired(r.rules, ['CAN-2', 'DEC-20', 'LEA-1']);
  });

  it('DEC-20b: nothing is sent on winning; the first AppendEntries go at the next heartbeat', () => {
    const r = stepBoth(taking(S1, 'DEC-20'), c, grant);
    expect(r.state.role).toBe('leader');
    expect(r.sent).toEqual([]);
    expectFired(r.rules, ['CAN-2', 'DEC-20b']);
    expect(r.rules).not.toContain('LEA-1');
    const h = stepBoth(taking(S1, 'DEC-20'), r.state, { type: 'heartbeatTimeout' });
    expect(h.sent).toEqual([ae('s1', 's2', 2, 1, 1, [], 0), ae('s1', 's3', 2, 1, 1, [], 0)]);
    expectFired(h.rules, ['LEA-1']);
  });

  it('DEC-20: not asked of a leader with no peer to send to', () => {
    const solo = envOf('s1', ['s1']);
    // Its own vote is a majority: it wins after any input (CAN-2).
    const r = stepBoth(taking(solo, 'DEC-20'), st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] }), { type: 'heartbeatTimeout' });
    expect(r.state.role).toBe('leader');
    expect(r.rules).not.toContain('DEC-20b');
  });
});

describe('DEC-21: a leader or candidate deposed by a newer-term AppendEntries', () => {
  const newer = ae('s3', 's1', 3, 0, 0, [], 0);
  const deposed = [
    leader([], { nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } }),
    st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] }),
  ];

  it('DEC-21: ALL-2, then the AppendEntries is handled as a follower and answered', () => {
    for (const s of deposed) {
      const r = stepBoth(asking(S1), s, newer);
      expect(r.state.role).toBe('follower');
      expect(r.state.currentTerm).toBe(3);
      expect(r.sent).toEqual([aer('s1', 's3', 3, true, 0, 0)]);
      expectFired(r.rules, ['ALL-2', 'DEC-21', 'FOL-1']);
    }
  });

  it('DEC-21: without decisions (the model alone) the same, and DEC-21 is not cited', () => {
    for (const s of deposed) {
      const r = stepBoth(S1, s, newer);
      expect(r.sent).toEqual([aer('s1', 's3', 3, true, 0, 0)]);
      expect(r.rules).not.toContain('DEC-21');
    }
  });

  it('DEC-21b: ALL-2, then the AppendEntries is dropped: no handling, no reply', () => {
    for (const s of deposed) {
      const r = stepBoth(taking(S1, 'DEC-21'), s, newer);
      expect(r.state.role).toBe('follower');
      expect(r.state.currentTerm).toBe(3);
      expect(r.state.votedFor).toBe(null);
      expect(r.sent).toEqual([]);
      expectFired(r.rules, ['ALL-2', 'DEC-21b']);
      expect(r.rules).not.toContain('FOL-1');
    }
  });

  it('DEC-21b: a follower is not deposed, and handles the newer AppendEntries as before', () => {
    const r = stepBoth(taking(S1, 'DEC-21'), st({ currentTerm: 2 }), newer);
    expect(r.sent).toEqual([aer('s1', 's3', 3, true, 0, 0)]);
    expect(r.rules).not.toContain('DEC-21b');
  });
});

describe('DEC-24: when a configuration entry takes effect', () => {
  const BOOT3 = { voters: ['s1', 's2', 's3'] };
  const WITH_S4 = { voters: ['s1', 's2', 's3', 's4'] };
  const ALL_FOUR = ['s1', 's2', 's3', 's4'] as const;
  /** s1 of s1..s4 whose bootstrap configuration is s1, s2, s3 (s4 not yet a member). */
  const a = { ...envOf('s1', ALL_FOUR), bootstrap: BOOT3 } as Env;
  const b: Env = { ...a, configOnApply: true };
  const cfg = (term: number, config: { voters: string[] }) => ({ term, command: null, config });
  const addS4 = { type: 'reconfigure', change: 'single', voters: ['s1', 's2', 's3', 's4'] } as const;
  /** Leading term 2 with its own entry 1 committed and applied; s2 and s3 hold it. */
  const settled = leader([e(2, 'x')], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
  const to = (sent: readonly Message[]) => sent.map((m) => `${m.type} ${m.to}`).sort();

  it('DEC-24: in force when appended: the new peer s4 gets progress (nextIndex = the entry\'s index) and an AppendEntries at once', () => {
    const r = stepBoth(asking(a), settled, addS4);
    expect(r.state.log.lastConfiguration).toEqual(WITH_S4);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 2, s4: 2 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 1, s3: 1, s4: 0 });
    expect(to(r.sent)).toEqual(['AppendEntries s2', 'AppendEntries s3', 'AppendEntries s4']);
    expectFired(r.rules, ['CFG-7', 'DEC-24', 'DEC-15']);
    // The model alone (nothing being decided) does the same without citing the choice.
    expect(stepBoth(a, settled, addS4).rules).not.toContain('DEC-24');
  });

  it('DEC-24b: appended but not in force: the leader keeps the peers of the configuration it applied, and s4 hears nothing yet', () => {
    const r = stepBoth(b, settled, addS4);
    expect(r.state.log.lastConfiguration).toEqual(WITH_S4);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 2 });
    expect(to(r.sent)).toEqual(['AppendEntries s2', 'AppendEntries s3']);
    expect(r.rules).not.toContain('DEC-15');
  });

  it('DEC-24b: committed by a quorum of the old configuration and applied, it takes effect: s4 gets nextIndex = the last index, matchIndex 0, and an AppendEntries', () => {
    const appended = leader([e(2, 'x'), cfg(2, WITH_S4)], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 1, s3: 1 } });
    // s2 holds entry 2: s1 and s2 are a quorum of s1, s2, s3 (not of the four).
    const r = stepBoth(b, appended, aer('s2', 's1', 2, true, 2, 1));
    expect(r.state.commitIndex).toBe(2);
    expect(r.state.lastApplied).toBe(2);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 3, s3: 3, s4: 2 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 1, s4: 0 });
    expect(r.sent).toEqual([ae('s1', 's4', 2, 1, 2, [cfg(2, WITH_S4)], 2)]);
    expectFired(r.rules, ['LEA-4', 'ALL-1', 'CFG-1', 'DEC-24b', 'DEC-15', 'LEA-3']);
    // Under DEC-24a the same response commits nothing: the quorum is of the four, and s1, s2 are two of them.
    const withA = stepBoth(a, withLeaderState(appended, { nextIndex: { s2: 3, s3: 3, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 0 } }), aer('s2', 's1', 2, true, 2, 1));
    expect(withA.state.commitIndex).toBe(1);
  });

  it('DEC-24b: a follower\'s configuration changes when it applies the entry, not when it appends it (CFG-1)', () => {
    const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [e(2, 'x')], commitIndex: 1, lastApplied: 1 });
    const s2b: Env = { ...b, self: 's2' };
    const appended = stepBoth(s2b, f, ae('s1', 's2', 2, 1, 2, [cfg(2, WITH_S4)], 1));
    expect(configOf(s2b, appended.state)).toEqual(BOOT3);
    expect(appended.rules).not.toContain('CFG-1');
    const applied = stepBoth(s2b, appended.state, ae('s1', 's2', 2, 2, 2, [], 2));
    expect(configOf(s2b, applied.state)).toEqual(WITH_S4);
    expectFired(applied.rules, ['ALL-1', 'CFG-1', 'DEC-24b']);
    // DEC-24a: in force from the append.
    expect(configOf({ ...a, self: 's2' }, appended.state)).toEqual(WITH_S4);
  });

  it('DEC-24b with DEC-17b: the configuration takes effect at the apply event, not at the commit', () => {
    const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [e(2, 'x'), cfg(2, WITH_S4)], commitIndex: 1, lastApplied: 1 });
    const s2b: Env = { ...taking({ ...b, self: 's2' }, 'DEC-17'), configOnApply: true };
    const committed = stepBoth(s2b, f, ae('s1', 's2', 2, 2, 2, [], 2));
    expect(committed.state.commitIndex).toBe(2);
    expect(configOf(s2b, committed.state)).toEqual(BOOT3);
    const applied = stepBoth(s2b, committed.state, { type: 'apply' });
    expect(configOf(s2b, applied.state)).toEqual(WITH_S4);
    expect(applied.rules).toEqual(['ALL-1', 'CFG-1', 'DEC-24b']);
  });

  it('DEC-24b: a change is refused while a configuration entry is not applied, or while an entry of an earlier term is not (a new leader\'s whole log is pending)', () => {
    const pendingConfig = leader([e(2, 'x'), cfg(2, WITH_S4)], { commitIndex: 2, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    const joint = { type: 'reconfigure', change: 'joint', voters: ['s1', 's2', 's4'] } as const;
    const r1 = stepBoth(taking(b, 'DEC-17'), pendingConfig, joint);
    expect(r1.state.log.lastIndex).toBe(2);
    expect(r1.rules).toEqual(['DEC-24b']);
    // Term 3, with entry 1 of term 2 committed but not applied: nothing of term 2 may be pending.
    const newLeader = st({ role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [e(2, 'x')], commitIndex: 1, lastApplied: 0, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const r2 = stepBoth(taking(b, 'DEC-17'), newLeader, addS4);
    expect(r2.state.log.lastIndex).toBe(1);
    expect(r2.rules).toEqual(['DEC-24b']);
  });

  it('DEC-24b: a single change needs no entry of the leader\'s term once its whole log is applied, where DEC-24a refuses it (CFG-7, the 2015 fix)', () => {
    const newLeader = st({ role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [e(2, 'x')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const withA = stepBoth(a, newLeader, addS4);
    expect(withA.state.log.lastIndex).toBe(1);
    expect(withA.rules).toEqual(['CFG-7']);
    const withB = stepBoth(b, newLeader, addS4);
    expect(withB.state.log.lastConfiguration).toEqual(WITH_S4);
    expectFired(withB.rules, ['CFG-7']);
  });

  it('DEC-24b: a leader leaves a joint configuration once it applied it and nothing is pending (CFG-3), and steps down once a configuration without it is applied (CFG-5)', () => {
    const JOINT = { voters: ['s2', 's3', 's4'], oldVoters: ['s1', 's2', 's3'] };
    const joint = leader([e(2, 'x'), cfg(2, JOINT)], { commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 1, s3: 1 } });
    // s2 and s3 hold the joint entry: a quorum of the old voters s1, s2, s3.
    const r = stepBoth(b, joint, aer('s2', 's1', 2, true, 2, 1));
    expect(r.state.lastApplied).toBe(2);
    expect(r.state.log.lastConfiguration).toEqual({ voters: ['s2', 's3', 's4'] });
    expect(r.state.log.lastIndex).toBe(3);
    expectFired(r.rules, ['ALL-1', 'CFG-1', 'DEC-24b', 'CFG-3']);
    expect(r.state.role).toBe('leader');
    // C_new committed (s2, s3 of C_old,new's both halves once s4 holds it too) and applied: s1 is no voter of it.
    const leaving = withLeaderState(r.state, { matchIndex: { s2: 3, s3: 2, s4: 3 }, nextIndex: { s2: 4, s3: 3, s4: 4 } });
    const out = stepBoth(b, leaving, aer('s3', 's1', 2, true, 3, 2));
    expect(out.state.commitIndex).toBe(3);
    expect(out.state.role).toBe('follower');
    expectFired(out.rules, ['LEA-4', 'ALL-1', 'CFG-1', 'DEC-24b', 'CFG-5']);
  });
});
