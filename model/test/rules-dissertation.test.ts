// The dissertation's election options (docs/dissertation-options.md): PreVote (PV-1 .. PV-3, §9.6),
// CheckQuorum (CQ-1, §6.2), the disruption guard (CFG-6, §4.2.3), leadership transfer (LT-1 ..
// LT-5, §3.10), and the heardFromLeader flag they read. Each test: given this state and this
// input, expect this state, these messages, these replies and these rules. Every step is also
// taken by the xstate statechart, which must agree with the reducer on all of it.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, ClientReply, InstallSnapshotResponse, KvCommand, Message, NodeId, Observation, PreVote, PreVoteResponse, RequestVote, TimeoutNow } from '../../spec/schema.js';
import type { ResolvedOptions } from '../../spec/schema.js';
import { type NodeInput } from '../node.js';
import { restartFromPersistentState } from '../core/figure2.js';
import { type Env, type NodeState, type PendingRead, toJson, leaderView } from '../state.js';
import { FIVE, THREE, e, envOf, expectFired, st, stepBoth, hidden , withLeaderState } from './fixtures.js';

/** The state that is not in the JSON form. */
/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

/** `self` in `servers` with these options on. */
const withOptions = (self: NodeId, more: Partial<ResolvedOptions>, servers: readonly NodeId[] = THREE): Env => envOf(self, servers, 1, false, more);
const PRE_VOTE = { preVote: true };
const CHECK_QUORUM = { checkQuorum: true };
const GUARD = { disruptionGuard: true };
const TRANSFER = { leadershipTransfer: true };

// Messages
const preVote = (from: NodeId, to: NodeId, term: number, lastLogIndex: number, lastLogTerm: number): PreVote =>
  ({ type: 'PreVote', from, to, term, candidateId: from, lastLogIndex, lastLogTerm });
const preVoteResponse = (from: NodeId, to: NodeId, term: number, voteGranted: boolean): PreVoteResponse =>
  ({ type: 'PreVoteResponse', from, to, term, voteGranted });
const requestVote = (from: NodeId, to: NodeId, term: number, lastLogIndex: number, lastLogTerm: number, transfer = false): RequestVote =>
  ({ type: 'RequestVote', from, to, term, candidateId: from, lastLogIndex, lastLogTerm, ...(transfer ? { transfer: true as const } : {}) });
const timeoutNow = (from: NodeId, to: NodeId, term: number): TimeoutNow => ({ type: 'TimeoutNow', from, to, term });
const ae = (from: NodeId, to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number, readRound?: number): AppendEntries =>
  ({ type: 'AppendEntries', from, to, term, leaderId: from, prevLogIndex, prevLogTerm, entries, leaderCommit, ...(readRound === undefined ? {} : { readRound }) });
const aer = (from: NodeId, to: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to, term, success, matchIndex, prevLogIndex });
const isr = (from: NodeId, to: NodeId, term: number, lastIncludedIndex: number, offset: number, done: boolean): InstallSnapshotResponse =>
  ({ type: 'InstallSnapshotResponse', from, to, term, lastIncludedIndex, offset, done });

const TIMEOUT: NodeInput = { type: 'electionTimeout' };
const HEARTBEAT: NodeInput = { type: 'heartbeatTimeout' };
const transferTo = (target: NodeId): NodeInput => ({ type: 'transferLeadership', target });
const put = (key: string, value: string, client: string, seq: number): KvCommand => ({ op: 'put', key, value, client, seq });
const request = (command: unknown): NodeInput => ({ type: 'clientRequest', command });
const redirect = (node: NodeId, client: string | null, seq: number | null, leader: NodeId | null): ClientReply => ({ type: 'redirect', node, client, seq, leader });

/** s1 as leader of `term` (it voted for itself and knows itself as leader). */
const leaderS1 = (term: number, o: Observation): NodeState =>
  st({ role: 'leader', currentTerm: term, votedFor: 's1', votesGranted: ['s1'], leaderId: 's1', ...o });

/** The messages of a step addressed to one server. */
const to = (sent: readonly Message[], id: NodeId): Message[] => sent.filter((m) => m.to === id);

// ---------------------------------------------------------------------------------------------

describe('PV-1 .. PV-3: PreVote (§9.6)', () => {
  it('PV-1: with preVote, a follower\'s election timeout makes it a precandidate of the same term: no vote change, no known leader, PreVote for term + 1 to every other server in cluster order', () => {
    const s = st({ currentTerm: 2, votedFor: 's2', leaderId: 's2', heardFromLeader: true, log: [e(1, 'a'), e(2, 'b')], commitIndex: 1, lastApplied: 1 });
    const r = run(withOptions('s1', PRE_VOTE), s, TIMEOUT);
    expect(toJson(r.state)).toEqual({ ...toJson(s), role: 'precandidate', leaderId: null, heardFromLeader: false, votesGranted: ['s1'] });
    expect(r.sent).toEqual([preVote('s1', 's2', 3, 2, 2), preVote('s1', 's3', 3, 2, 2)]);
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['PV-1']);
  });

  it('PV-1: with preVote, a candidate\'s election timeout starts a pre-vote in its own term (instead of CAN-4): it keeps its vote for itself and forgets the votes it had', () => {
    const s = st({ role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], log: [e(1, 'a')] });
    const r = run(withOptions('s1', PRE_VOTE, FIVE), s, TIMEOUT);
    expect(toJson(r.state)).toEqual({ ...toJson(s), role: 'precandidate', votesGranted: ['s1'] });
    expect(r.sent).toEqual([preVote('s1', 's2', 4, 1, 1), preVote('s1', 's3', 4, 1, 1), preVote('s1', 's4', 4, 1, 1), preVote('s1', 's5', 4, 1, 1)]);
    expect(r.rules).toEqual(['PV-1']);
  });

  it('PV-1: a precandidate\'s election timeout starts the pre-vote again, with only its own pre-vote counted; the term still does not move', () => {
    const s = st({ role: 'precandidate', currentTerm: 3, votedFor: null, votesGranted: ['s1', 's2'] });
    const r = run(withOptions('s1', PRE_VOTE, FIVE), s, TIMEOUT);
    expect(toJson(r.state)).toEqual({ ...toJson(s), votesGranted: ['s1'] });
    expect(r.sent).toEqual([preVote('s1', 's2', 4, 0, 0), preVote('s1', 's3', 4, 0, 0), preVote('s1', 's4', 4, 0, 0), preVote('s1', 's5', 4, 0, 0)]);
    expect(r.rules).toEqual(['PV-1']);
  });

  it('PV-1, PV-3: a single server has a majority of pre-votes at once: it starts the election (CAN-1) and wins it (CAN-2) in the same step', () => {
    const r = run(withOptions('s1', PRE_VOTE, ['s1']), st({ currentTerm: 1 }), TIMEOUT);
    expect(toJson(r.state)).toEqual(toJson(st({ role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'], leaderId: 's1' })));
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['PV-1', 'PV-3', 'CAN-1', 'CAN-2', 'LEA-1']);
  });

  it('PV-2: a follower grants a pre-vote for a newer term and an up-to-date log, with the proposed term, and changes nothing: no term, no vote (FOL-1)', () => {
    const s = st({ currentTerm: 2, votedFor: 's3', log: [e(1, 'a'), e(2, 'b')] });
    const r = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', 3, 2, 2));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([preVoteResponse('s1', 's2', 3, true)]);
    expect(r.rules).toEqual(['PV-2', 'FOL-1']);
    // Even a term far ahead is only proposed: no ALL-2.
    const far = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', 9, 2, 2));
    expect(far.state).toBe(s);
    expect(far.sent).toEqual([preVoteResponse('s1', 's2', 9, true)]);
    expect(far.rules).toEqual(['PV-2', 'FOL-1']);
  });

  it('PV-2: a candidate or a precandidate grants one too (without FOL-1): a pre-vote is not a vote, so its own vote does not stand in the way', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const rc = run(withOptions('s1', PRE_VOTE), c, preVote('s2', 's1', 3, 0, 0));
    expect(rc.state).toBe(c);
    expect(rc.sent).toEqual([preVoteResponse('s1', 's2', 3, true)]);
    expect(rc.rules).toEqual(['PV-2']);
    const p = st({ role: 'precandidate', currentTerm: 2, votesGranted: ['s1'] });
    const rp = run(withOptions('s1', PRE_VOTE), p, preVote('s2', 's1', 3, 0, 0));
    expect(rp.state).toBe(p);
    expect(rp.sent).toEqual([preVoteResponse('s1', 's2', 3, true)]);
    expect(rp.rules).toEqual(['PV-2']);
  });

  it('PV-2: a leader refuses a pre-vote, with its own term, and changes nothing', () => {
    const s = leaderS1(2, { log: [e(1, 'a')], nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } });
    const r = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', 3, 5, 2));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([preVoteResponse('s1', 's2', 2, false)]);
    expect(r.rules).toEqual(['PV-2']);
  });

  it('PV-2: a pre-vote for a term that is not newer than ours is refused with our term', () => {
    const s = st({ currentTerm: 3 });
    for (const term of [3, 2]) {
      const r = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', term, 4, 2));
      expect(r.state).toBe(s);
      expect(r.sent).toEqual([preVoteResponse('s1', 's2', 3, false)]);
      expect(r.rules).toEqual(['PV-2', 'FOL-1']);
    }
  });

  it('PV-2: a server that heard from its leader since its last election timeout refuses (the leader is probably still up)', () => {
    const s = st({ currentTerm: 2, votedFor: 's3', leaderId: 's3', heardFromLeader: true, log: [e(1, 'a')] });
    const r = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', 3, 1, 1));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([preVoteResponse('s1', 's2', 2, false)]);
    expect(r.rules).toEqual(['PV-2', 'FOL-1']);
  });

  it('PV-2: a candidate whose log is behind ours (§5.4.1: older last term, or same last term and shorter) is refused', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), e(2, 'b')] });
    for (const [lastLogIndex, lastLogTerm] of [[5, 1], [1, 2]] as const) {
      const r = run(withOptions('s1', PRE_VOTE), s, preVote('s2', 's1', 3, lastLogIndex, lastLogTerm));
      expect(r.state).toBe(s);
      expect(r.sent).toEqual([preVoteResponse('s1', 's2', 2, false)]);
    }
  });

  it('PV-2, DEC-8: without preVote, a PreVote or a PreVoteResponse (only an injected one can exist) is dropped, even of a newer term', () => {
    const s = st({ currentTerm: 2 });
    const pv = run(envOf('s1'), s, preVote('s2', 's1', 3, 0, 0));
    expect(pv.state).toBe(s);
    expect(pv.sent).toEqual([]);
    expect(pv.rules).toEqual(['DEC-8']);
    const refusal = run(envOf('s1'), s, preVoteResponse('s2', 's1', 5, false));
    expect(refusal.state).toBe(s);
    expect(refusal.rules).toEqual(['DEC-8']);
  });

  it('PV-3: a precandidate counts each grant for currentTerm + 1 once; with a majority it starts the real election (CAN-1): term + 1, a vote for itself, RequestVote to all', () => {
    const env = withOptions('s1', PRE_VOTE, FIVE);
    const s = st({ role: 'precandidate', currentTerm: 2, votedFor: 's3', votesGranted: ['s1'], log: [e(1, 'a')] });
    const first = run(env, s, preVoteResponse('s2', 's1', 3, true));
    expect(toJson(first.state)).toEqual({ ...toJson(s), votesGranted: ['s1', 's2'] });
    expect(first.sent).toEqual([]);
    expect(first.rules).toEqual(['PV-3']);
    const again = run(env, first.state, preVoteResponse('s2', 's1', 3, true));
    expect(again.state.votesGranted).toEqual(['s1', 's2']);
    expect(again.state.role).toBe('precandidate');
    expect(again.rules).toEqual(['PV-3']);
    const third = run(env, first.state, preVoteResponse('s4', 's1', 3, true));
    expect(toJson(third.state)).toEqual({ ...toJson(s), role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'] });
    expect(third.sent).toEqual(['s2', 's3', 's4', 's5'].map((id) => requestVote('s1', id, 3, 1, 1)));
    expect(third.rules).toEqual(['PV-3', 'PV-3', 'CAN-1']);
  });

  it('PV-3, DEC-1: a grant for another term, a grant to a server that is not a precandidate, and a refusal of our term or an older one are dropped', () => {
    const env = withOptions('s1', PRE_VOTE);
    const p = st({ role: 'precandidate', currentTerm: 2, votesGranted: ['s1'] });
    for (const m of [preVoteResponse('s2', 's1', 4, true), preVoteResponse('s2', 's1', 2, true), preVoteResponse('s2', 's1', 2, false), preVoteResponse('s2', 's1', 1, false)]) {
      const r = run(env, p, m);
      expect(r.state).toBe(p);
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['DEC-1']);
    }
    const f = st({ currentTerm: 2 });
    const late = run(env, f, preVoteResponse('s2', 's1', 3, true));
    expect(late.state).toBe(f);
    expect(late.rules).toEqual(['DEC-1']);
  });

  it('PV-3, ALL-2: a refusal of a newer term is ALL-2 and nothing more (the precandidate becomes a follower of that term); a grant never is', () => {
    const env = withOptions('s1', PRE_VOTE, FIVE);
    const p = st({ role: 'precandidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'] });
    const r = run(env, p, preVoteResponse('s3', 's1', 4, false));
    expect(toJson(r.state)).toEqual({ ...toJson(p), role: 'follower', currentTerm: 4, votedFor: null, votesGranted: [] });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['ALL-2', 'DEC-10']);
    // A grant of a newer term than the one proposed: dropped, no term change.
    const grant = run(env, p, preVoteResponse('s3', 's1', 4, true));
    expect(grant.state).toBe(p);
    expect(grant.rules).toEqual(['DEC-1']);
  });

  it('PV-1: a precandidate handles everything else as a follower: an AppendEntries of its term makes it follow that leader (CAN-3)', () => {
    const p = st({ role: 'precandidate', currentTerm: 2, votedFor: null, votesGranted: ['s1', 's3'] });
    const r = run(withOptions('s1', PRE_VOTE), p, ae('s2', 's1', 2, 0, 0, [], 0));
    expect(toJson(r.state)).toEqual({ ...toJson(p), role: 'follower', votesGranted: [], leaderId: 's2', heardFromLeader: true });
    expect(r.sent).toEqual([aer('s1', 's2', 2, true, 0, 0)]);
    expect(r.rules).toEqual(['DEC-10', 'CAN-3', 'CLI-1', 'FOL-1']);
  });

  it('PV-1: a precandidate answers a RequestVote of its term by RV-2 (it has not voted in it), redirects clients, and ignores heartbeat timeouts and TimeoutNow (LT-4 is for followers)', () => {
    const env = withOptions('s1', { preVote: true, leadershipTransfer: true });
    const p = st({ role: 'precandidate', currentTerm: 2, votedFor: null, votesGranted: ['s1'] });
    const vote = run(env, p, requestVote('s3', 's1', 2, 0, 0));
    expect(toJson(vote.state)).toEqual({ ...toJson(p), votedFor: 's3' });
    expect(vote.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 2, voteGranted: true }]);
    expect(vote.rules).toEqual(['RV-2']);
    const client = run(env, p, request(put('x', '1', 'c1', 1)));
    expect(client.state).toBe(p);
    expect(client.replies).toEqual([redirect('s1', 'c1', 1, null)]);
    expect(client.rules).toEqual(['CLI-1', 'DEC-9']);
    const beat = run(env, p, HEARTBEAT);
    expect(beat.state).toBe(p);
    expect(beat.rules).toEqual(['DEC-9']);
    const now = run(env, p, timeoutNow('s2', 's1', 2));
    expect(now.state).toBe(p);
    expect(now.sent).toEqual([]);
    expect(now.rules).toEqual(['DEC-1']);
  });

  it('PV-1, PV-2, PV-3: a partitioned server rejoining does not disrupt a healthy leader with preVote: its term stays, and the leader stays', () => {
    const env = (id: NodeId) => withOptions(id, PRE_VOTE);
    const log = [e(1, 'a'), e(2, 'b')];
    let s1 = leaderS1(2, { log, commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    const s2 = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', heardFromLeader: true, log, commitIndex: 2, lastApplied: 2 });
    let s3 = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log, commitIndex: 2, lastApplied: 2 });
    // Cut off, s3 times out again and again: its PreVotes are lost, and its term does not move.
    for (let k = 0; k < 3; k++) {
      const r = run(env('s3'), s3, TIMEOUT);
      expect(r.state.role).toBe('precandidate');
      expect(r.state.currentTerm).toBe(2);
      expect(r.sent).toEqual([preVote('s3', 's1', 3, 2, 2), preVote('s3', 's2', 3, 2, 2)]);
      s3 = r.state;
    }
    // It rejoins: the leader refuses, and so does s2, which hears from the leader.
    const atLeader = run(env('s1'), s1, preVote('s3', 's1', 3, 2, 2));
    expect(atLeader.state).toBe(s1);
    expect(atLeader.sent).toEqual([preVoteResponse('s1', 's3', 2, false)]);
    const atS2 = run(env('s2'), s2, preVote('s3', 's2', 3, 2, 2));
    expect(atS2.state).toBe(s2);
    expect(atS2.sent).toEqual([preVoteResponse('s2', 's3', 2, false)]);
    // The refusals carry term 2, s3's own: dropped; it stays a precandidate of term 2.
    for (const m of [preVoteResponse('s1', 's3', 2, false), preVoteResponse('s2', 's3', 2, false)]) {
      const r = run(env('s3'), s3, m);
      expect(r.state).toBe(s3);
      expect(r.rules).toEqual(['DEC-1']);
    }
    // The leader's next heartbeat brings s3 back as its follower.
    const beat = run(env('s1'), s1, HEARTBEAT);
    s1 = beat.state;
    expect(to(beat.sent, 's3')).toEqual([ae('s1', 's3', 2, 2, 2, [], 2)]);
    const back = run(env('s3'), s3, ae('s1', 's3', 2, 2, 2, [], 2));
    expect(toJson(back.state)).toEqual(toJson(st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', heardFromLeader: true, log, commitIndex: 2, lastApplied: 2 })));
    expect(back.sent).toEqual([aer('s3', 's1', 2, true, 2, 2)]);
    expect(s1.role).toBe('leader');
    expect(s1.currentTerm).toBe(2);
  });

  it('PV-1 (contrast): without preVote, the same rejoining server campaigns in term 3 and its RequestVote makes the healthy leader step down (ALL-2)', () => {
    const log = [e(1, 'a'), e(2, 'b')];
    const s3 = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log, commitIndex: 2, lastApplied: 2 });
    const campaign = run(envOf('s3'), s3, TIMEOUT);
    expect(campaign.state.currentTerm).toBe(3);
    const s1 = leaderS1(2, { log, commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    const r = run(envOf('s1'), s1, requestVote('s3', 's1', 3, 2, 2));
    expect(r.state.role).toBe('follower');
    expect(r.state.currentTerm).toBe(3);
    expectFired(r.rules, ['ALL-2', 'RV-2']);
  });
});

describe('heardFromLeader (PV-2, CFG-6): maintained whatever the options', () => {
  it('PV-2, CFG-6: heardFromLeader is set by an AppendEntries of the current term (a refused one included), not by a stale one; an election timeout, a term change (ALL-2, CAN-1) and a restart clear it', () => {
    const s = st({ currentTerm: 2 });
    const refused = run(envOf('s1'), s, ae('s2', 's1', 2, 3, 2, [], 0));
    expect(refused.state.heardFromLeader).toBe(true);
    expect(refused.sent).toEqual([aer('s1', 's2', 2, false, 0, 3)]);
    const stale = run(envOf('s1'), s, ae('s2', 's1', 1, 0, 0, [], 0));
    expect(stale.state).toBe(s);
    const heard = st({ currentTerm: 2, leaderId: 's2', heardFromLeader: true });
    // An election timeout: with preVote the term stays, so only the timeout can have cleared it.
    expect(run(withOptions('s1', PRE_VOTE), heard, TIMEOUT).state.heardFromLeader).toBe(false);
    expect(run(envOf('s1'), heard, TIMEOUT).state.heardFromLeader).toBe(false); // CAN-1
    const newer = run(envOf('s1'), heard, requestVote('s3', 's1', 3, 0, 0));
    expect(newer.state.currentTerm).toBe(3);
    expect(newer.state.heardFromLeader).toBe(false); // ALL-2
    expect(restartFromPersistentState(heard).heardFromLeader).toBe(false);
  });
});

describe('CQ-1: CheckQuorum (§6.2)', () => {
  const env = withOptions('s1', CHECK_QUORUM);
  const leader = (o: Observation = {}) => leaderS1(2, { log: [e(1, 'a')], nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 }, ...o });

  it('CQ-1: a leader notes each peer that answers it in its term, once, in the order heard, whether the answer is a success or a rejection', () => {
    const s = leader();
    const ok = run(env, s, aer('s3', 's1', 2, true, 1, 1));
    expect(leaderView(ok.state).recentlyActive).toEqual(['s3']);
    expect(leaderView(ok.state).matchIndex).toEqual({ s2: 0, s3: 1 });
    expect(ok.rules).toEqual(['CQ-1', 'LEA-3a']);
    const no = run(env, ok.state, aer('s2', 's1', 2, false, 0, 1));
    expect(leaderView(no.state).recentlyActive).toEqual(['s3', 's2']);
    expect(no.sent).toEqual([ae('s1', 's2', 2, 0, 0, [e(1, 'a')], 0)]);
    expect(no.rules).toEqual(['CQ-1', 'LEA-3b']);
    const again = run(env, no.state, aer('s3', 's1', 2, true, 1, 1));
    expect(leaderView(again.state).recentlyActive).toEqual(['s3', 's2']);
    expect(again.rules).toEqual(['LEA-3a']);
  });

  it('CQ-1: a stale answer (DEC-1) or an impossible one (DEC-8) is not noted; without checkQuorum nothing is', () => {
    const s = leader();
    const stale = run(env, s, aer('s2', 's1', 1, true, 1, 0));
    expect(stale.state).toBe(s);
    expect(stale.rules).toEqual(['DEC-1']);
    const impossible = run(env, s, aer('s2', 's1', 2, true, 5, 0));
    expect(impossible.state).toBe(s);
    expect(impossible.rules).toEqual(['DEC-8']);
    const impossibleSnapshot = run(env, s, isr('s2', 's1', 2, 5, 30, true));
    expect(impossibleSnapshot.state).toBe(s);
    expect(impossibleSnapshot.rules).toEqual(['DEC-8']);
    const off = run(envOf('s1'), s, aer('s3', 's1', 2, true, 1, 1));
    expect(leaderView(off.state).recentlyActive).toEqual([]);
    expect(off.rules).toEqual(['LEA-3a']);
  });

  it('CQ-1: an InstallSnapshotResponse of its term counts as hearing from the peer, before SNAP-3', () => {
    const r = run(env, leader(), isr('s2', 's1', 2, 1, 25, true));
    expect(leaderView(r.state).recentlyActive).toEqual(['s2']);
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 1, s3: 0 });
    expect(r.rules).toEqual(['CQ-1', 'SNAP-3']);
  });

  it('CQ-1: at its election timeout, a leader that heard from enough peers to make a majority with itself stays leader and starts a new period', () => {
    const s = leaderS1(2, { nextIndex: { s2: 1, s3: 1, s4: 1, s5: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0, s5: 0 }, recentlyActive: ['s4', 's2'] });
    const r = run(withOptions('s1', CHECK_QUORUM, FIVE), s, TIMEOUT);
    expect(toJson(r.state)).toEqual({ ...toJson(s), recentlyActive: [] });
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['CQ-1']);
  });

  it('CQ-1: a leader that did not hear from a majority steps down in the same term, keeping its vote; DEC-10 clears its leader state and CLI-4 drops its pending reads unanswered', () => {
    const read: PendingRead = { client: 'c1', seq: 1, key: 'x', readIndex: 1, round: 1 };
    const s: NodeState = withLeaderState(
      leaderS1(2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2, s4: 1, s5: 1 }, matchIndex: { s2: 1, s3: 0, s4: 0, s5: 0 }, recentlyActive: ['s2'], transferee: 's2' }),
      { readRound: 1, readAcks: { s2: 1 }, pendingReads: [read] },
    );
    const r = run(withOptions('s1', { checkQuorum: true, leadershipTransfer: true }, FIVE), s, TIMEOUT);
    expect(toJson(r.state)).toEqual(toJson(st({ currentTerm: 2, votedFor: 's1', log: [e(2, 'a')], commitIndex: 1, lastApplied: 1 })));
    expect(hidden(r.state)).toEqual({ awaiting: [], readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0 });
    expect(r.sent).toEqual([]);
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['CQ-1', 'DEC-10', 'CLI-4']);
  });

  it('CQ-1: a single-server leader always has a majority', () => {
    const s = leaderS1(1, {});
    const r = run(withOptions('s1', CHECK_QUORUM, ['s1']), s, TIMEOUT);
    expect(r.state.role).toBe('leader');
    expect(r.rules).toEqual(['CQ-1']);
  });

  it('CQ-1, DEC-9: without checkQuorum (and no transfer pending) a leader\'s election timeout has no effect', () => {
    const s = leader();
    const r = run(envOf('s1'), s, TIMEOUT);
    expect(r.state).toBe(s);
    expect(r.rules).toEqual(['DEC-9']);
  });
});

describe('CFG-6: the disruption guard (§4.2.3)', () => {
  const env = withOptions('s1', GUARD);
  const heard = st({ currentTerm: 2, votedFor: 's2', leaderId: 's2', heardFromLeader: true, log: [e(1, 'a')] });

  it('CFG-6: a follower that heard from its leader since its last election timeout drops a RequestVote of a newer term entirely: no term change, no vote, no reply', () => {
    const r = run(env, heard, requestVote('s3', 's1', 3, 1, 1));
    expect(r.state).toBe(heard);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['CFG-6']);
  });

  it('CFG-6: a leader drops it too', () => {
    const s = leaderS1(2, { log: [e(1, 'a')], nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const r = run(env, s, requestVote('s3', 's1', 3, 1, 1));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['CFG-6']);
  });

  it('CFG-6: a RequestVote carrying transfer: true (LT-4) is not dropped: ALL-2, then RV-2', () => {
    const r = run(env, heard, requestVote('s3', 's1', 3, 1, 1, true));
    expect(toJson(r.state)).toEqual({ ...toJson(heard), currentTerm: 3, votedFor: 's3', leaderId: null, heardFromLeader: false });
    expect(r.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 3, voteGranted: true }]);
    expect(r.rules).toEqual(['ALL-2', 'RV-2', 'FOL-1']);
  });

  it('CFG-6: everything else is as before: a server that has not heard from a leader since its timeout, a RequestVote of its own term, and a server without the option', () => {
    const quiet = st({ currentTerm: 2, votedFor: 's2', log: [e(1, 'a')] });
    const r = run(env, quiet, requestVote('s3', 's1', 3, 1, 1));
    expect(r.state.currentTerm).toBe(3);
    expect(r.state.votedFor).toBe('s3');
    expect(r.rules).toEqual(['ALL-2', 'RV-2', 'FOL-1']);
    const same = run(env, heard, requestVote('s3', 's1', 2, 1, 1));
    expect(same.state).toBe(heard);
    expect(same.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 2, voteGranted: false }]);
    expect(same.rules).toEqual(['RV-2', 'FOL-1']);
    const off = run(envOf('s1'), heard, requestVote('s3', 's1', 3, 1, 1));
    expect(off.state.currentTerm).toBe(3);
    expect(off.rules).toEqual(['ALL-2', 'RV-2', 'FOL-1']);
  });
});

describe('LT-1 .. LT-5: leadership transfer (§3.10)', () => {
  const env = withOptions('s1', TRANSFER);
  /** Leader s1 of term 2: s2 holds its whole log, s3 lacks entry 2. */
  const leader = (o: Observation = {}) => leaderS1(2, {
    log: [e(1, 'a'), e(2, 'b')], commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 1 }, ...o,
  });

  it('LT-1: a leader asked to transfer to a server that is behind records it as transferee and sends it its AppendEntries (LEA-3)', () => {
    const s = leader();
    const r = run(env, s, transferTo('s3'));
    expect(toJson(r.state)).toEqual({ ...toJson(s), transferee: 's3' });
    expect(r.sent).toEqual([ae('s1', 's3', 2, 1, 1, [e(2, 'b')], 2)]);
    expect(r.rules).toEqual(['LT-1', 'LEA-3']);
  });

  it('LT-1, LT-2: a target that already holds the whole log is sent TimeoutNow at once', () => {
    const s = leader();
    const r = run(env, s, transferTo('s2'));
    expect(toJson(r.state)).toEqual({ ...toJson(s), transferee: 's2' });
    expect(r.sent).toEqual([timeoutNow('s1', 's2', 2)]);
    expect(r.rules).toEqual(['LT-1', 'LT-2']);
  });

  it('LT-1: a repeated request for the same target changes nothing and sends nothing; a new target replaces the old one', () => {
    const s = leader({ transferee: 's3' });
    const same = run(env, s, transferTo('s3'));
    expect(same.state).toBe(s);
    expect(same.sent).toEqual([]);
    expect(same.rules).toEqual(['LT-1']);
    const other = run(env, s, transferTo('s2'));
    expect(leaderView(other.state).transferee).toBe('s2');
    expect(other.sent).toEqual([timeoutNow('s1', 's2', 2)]);
  });

  it('LT-1, SNAP-2: a target that needs compacted entries is sent the snapshot', () => {
    const s = leader({ snapshotIndex: 1, snapshotTerm: 1, log: [e(2, 'b')], nextIndex: { s2: 3, s3: 1 }, matchIndex: { s2: 2, s3: 0 } });
    const r = run(env, s, transferTo('s3'));
    expect(leaderView(r.state).transferee).toBe('s3');
    expect(r.sent).toEqual([{
      type: 'InstallSnapshot', from: 's1', to: 's3', term: 2, leaderId: 's1',
      lastIncludedIndex: 1, lastIncludedTerm: 1, offset: 0, data: '{"data":{},"sessions":{}}', done: true,
    }]);
    expect(r.rules).toEqual(['LT-1', 'LEA-3', 'SNAP-2']);
  });

  it('LT-1, DEC-9: no effect without the option, on a non-leader, for the leader itself or for a server outside the cluster', () => {
    const s = leader();
    for (const [e2, state, target] of [[envOf('s1'), s, 's2'], [env, s, 's1'], [env, s, 's9'], [env, st({ currentTerm: 2, leaderId: 's2' }), 's3']] as const) {
      const r = run(e2, state, transferTo(target));
      expect(r.state).toBe(state);
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['DEC-9']);
    }
  });

  it('LT-2: a success from the transferee that leaves its matchIndex at the leader\'s last index is followed by TimeoutNow, right after LEA-3a', () => {
    const s = leader({ transferee: 's3' });
    const r = run(env, s, aer('s3', 's1', 2, true, 2, 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 2, s3: 2 } });
    expect(r.sent).toEqual([timeoutNow('s1', 's3', 2)]);
    expect(r.rules).toEqual(['LEA-3a', 'LT-2']);
  });

  it('LT-2: no TimeoutNow while the transferee is still behind (LEA-3 sends it more), for a peer that is not the transferee, or on a rejection', () => {
    const behind = leader({ transferee: 's3', log: [e(1, 'a'), e(2, 'b'), e(2, 'c')] });
    const more = run(env, behind, aer('s3', 's1', 2, true, 2, 1));
    expect(more.sent).toEqual([ae('s1', 's3', 2, 2, 2, [e(2, 'c')], 2)]);
    expect(more.rules).not.toContain('LT-2');
    const s = leader({ transferee: 's3' });
    const other = run(env, s, aer('s2', 's1', 2, true, 2, 2));
    expect(other.sent).toEqual([]);
    expect(other.rules).toEqual(['LEA-3a']);
    const rejected = run(env, s, aer('s3', 's1', 2, false, 0, 1));
    expect(rejected.sent).toEqual([ae('s1', 's3', 2, 1, 1, [e(2, 'b')], 2)]);
    expect(rejected.rules).toEqual(['LEA-3b']);
  });

  it('LT-2: a finished snapshot (SNAP-3) that leaves the transferee holding the whole log is followed by TimeoutNow', () => {
    const s = leader({ transferee: 's3' });
    const r = run(env, s, isr('s3', 's1', 2, 2, 25, true));
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 2, s3: 2 });
    expect(r.sent).toEqual([timeoutNow('s1', 's3', 2)]);
    expect(r.rules).toEqual(['SNAP-3', 'LT-2']);
  });

  it('LT-3: while a transfer is pending a client command is not appended: the client is redirected to the transferee; reads are served as usual (CLI-4)', () => {
    const s = leader({ transferee: 's3' });
    const r = run(env, s, request(put('x', '1', 'c1', 7)));
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.replies).toEqual([redirect('s1', 'c1', 7, 's3')]);
    expect(r.rules).toEqual(['LT-3']);
    const read = run(env, s, { type: 'clientRead', client: 'c2', seq: 1, key: 'x' });
    expect(leaderView(read.state).pendingReads).toEqual([{ client: 'c2', seq: 1, key: 'x', readIndex: 2, round: 1 }]);
    expect(read.sent).toEqual([ae('s1', 's2', 2, 2, 2, [], 2, 1), ae('s1', 's3', 2, 1, 1, [e(2, 'b')], 2, 1)]);
    expect(read.replies).toEqual([]);
    expectFired(read.rules, ['CLI-4', 'CLI-4']);
  });

  it('LT-3, LT-5: the transfer is abandoned at the leader\'s next election timeout; commands are appended again after it', () => {
    const s = leader({ transferee: 's3' });
    const abort = run(env, s, TIMEOUT);
    expect(toJson(abort.state)).toEqual({ ...toJson(s), transferee: null });
    expect(abort.sent).toEqual([]);
    expect(abort.rules).toEqual(['LT-5']);
    const r = run(env, abort.state, request(put('x', '1', 'c1', 7)));
    expect(r.state.log.lastIndex).toBe(3);
    expect(r.replies).toEqual([]);
    expectFired(r.rules, ['LEA-2', 'LEA-3']);
  });

  it('LT-5: with checkQuorum, the transfer is abandoned after CQ-1 when the leader stays; a leader that steps down forgets it with the rest of its state (DEC-10)', () => {
    const both = withOptions('s1', { leadershipTransfer: true, checkQuorum: true });
    const stays = run(both, leader({ transferee: 's3', recentlyActive: ['s3'] }), TIMEOUT);
    expect(stays.state.role).toBe('leader');
    expect(leaderView(stays.state).transferee).toBeNull();
    expect(leaderView(stays.state).recentlyActive).toEqual([]);
    expect(stays.rules).toEqual(['CQ-1', 'LT-5']);
    const steps = run(both, leader({ transferee: 's3' }), TIMEOUT);
    expect(steps.state.role).toBe('follower');
    expect(leaderView(steps.state).transferee).toBeNull();
    expect(steps.rules).toEqual(['CQ-1', 'DEC-10']);
  });

  it('LT-4: a follower that gets a TimeoutNow of its term starts an election at once, skipping PreVote, its RequestVotes marked transfer: true', () => {
    const s = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', heardFromLeader: true, log: [e(1, 'a'), e(2, 'b')], commitIndex: 2, lastApplied: 2 });
    const r = run(withOptions('s2', { leadershipTransfer: true, preVote: true }), s, timeoutNow('s1', 's2', 2));
    expect(toJson(r.state)).toEqual({ ...toJson(s), role: 'candidate', currentTerm: 3, votedFor: 's2', votesGranted: ['s2'], leaderId: null, heardFromLeader: false });
    expect(r.sent).toEqual([requestVote('s2', 's1', 3, 2, 2, true), requestVote('s2', 's3', 3, 2, 2, true)]);
    expect(r.rules).toEqual(['LT-4', 'CAN-1']);
  });

  it('LT-4: a TimeoutNow of a newer term is ALL-2 first, then the election; a stale one, or one to a candidate or a leader, is dropped (DEC-1)', () => {
    const env2 = withOptions('s2', TRANSFER);
    const s = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1' });
    const newer = run(env2, s, timeoutNow('s3', 's2', 3));
    expect(newer.state.role).toBe('candidate');
    expect(newer.state.currentTerm).toBe(4);
    expect(newer.sent).toEqual([requestVote('s2', 's1', 4, 0, 0, true), requestVote('s2', 's3', 4, 0, 0, true)]);
    expect(newer.rules).toEqual(['ALL-2', 'LT-4', 'CAN-1']);
    const candidate = st({ role: 'candidate', currentTerm: 2, votedFor: 's2', votesGranted: ['s2'] });
    const leader2 = st({ role: 'leader', currentTerm: 2, votedFor: 's2', votesGranted: ['s2'], leaderId: 's2', nextIndex: { s1: 1, s3: 1 }, matchIndex: { s1: 0, s3: 0 } });
    for (const [state, m] of [[s, timeoutNow('s1', 's2', 1)], [candidate, timeoutNow('s1', 's2', 2)], [leader2, timeoutNow('s1', 's2', 2)]] as const) {
      const r = run(env2, state, m);
      expect(r.state).toBe(state);
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['DEC-1']);
    }
  });
});
