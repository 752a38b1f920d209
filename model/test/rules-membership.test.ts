// Membership changes (§6; dissertation ch. 4; docs/membership.md): the configuration in force
// (CFG-1), joint consensus (CFG-2, CFG-3), learners (CFG-4), a leader outside its configuration
// (CFG-5), single-server changes (CFG-7), who campaigns and to whom (DEC-14), progress following
// the configuration (DEC-15), the quorums of the other rules (LEA-4, CAN-2, CQ-1, CLI-4, LR-2) and
// the configuration a snapshot records (SNAP-1, InstallSnapshot's lastConfig). Each test: given
// this state and this input, expect this state, these messages and these rules. Every step is
// also taken by the xstate statechart, which must agree with the reducer on all of it.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, BootstrapConfiguration, Configuration, Entry, InstallSnapshot, InstallSnapshotResponse, NodeId, Observation, PreVote, RequestVote, RequestVoteResponse, ResolvedOptions } from '../../spec/schema.js';
import type { NodeInput } from '../node.js';
import { snapshotAt, statechartStep } from '../statechart.js';
import { type Env, type NodeState, type PendingRead, configOf, toJson, leaderView } from '../state.js';
import { EMPTY_MACHINE, FIVE, FOUR, THREE, e, envOf, hidden, st, stepBoth , withLeaderState } from './fixtures.js';

/** One step through the reducer and the statechart, which must agree on everything (fixtures.ts). */
const run = stepBoth;

/** `self` in `servers`, with this bootstrap configuration and these options. */
const withBootstrap = (self: NodeId, servers: readonly NodeId[], bootstrap: BootstrapConfiguration, more: Partial<ResolvedOptions> = {}): Env =>
  ({ ...envOf(self, servers, 1, false, more), bootstrap });

// Configurations, written as a leader writes them: each list sorted, learners omitted when none.
const BOOT3: Configuration = { voters: ['s1', 's2', 's3'] };
const WITH_S4: Configuration = { voters: ['s1', 's2', 's3', 's4'] };
const WITH_S4_S5: Configuration = { voters: ['s1', 's2', 's3', 's4', 's5'] };
/** s1, s2, s3 voters and s4 a learner (CFG-4). */
const LEARNER_S4: Configuration = { voters: ['s1', 's2', 's3'], learners: ['s4'] };
/** C_old = {s1, s2, s3} to C_new = {s3, s4, s5}: s3 is in both halves. */
const JOINT_345: Configuration = { voters: ['s3', 's4', 's5'], oldVoters: ['s1', 's2', 's3'] };
const NEW_345: Configuration = { voters: ['s3', 's4', 's5'] };
/** C_old = {s1, s2, s3} to C_new = {s1, s4, s5}: s1 is in both halves. */
const JOINT_145: Configuration = { voters: ['s1', 's4', 's5'], oldVoters: ['s1', 's2', 's3'] };
const NEW_145: Configuration = { voters: ['s1', 's4', 's5'] };

/** A configuration entry: its command is always null (CFG-1). */
const cfg = (term: number, config: Configuration): Entry => ({ term, command: null, config });

/** The canonical JSON of the empty state machine: the snapshot data of EMPTY_MACHINE, 25 characters. */
const EMPTY_DATA = '{"data":{},"sessions":{}}';

// Messages
const ae = (from: NodeId, to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[], leaderCommit: number, readRound?: number): AppendEntries =>
  ({ type: 'AppendEntries', from, to, term, leaderId: from, prevLogIndex, prevLogTerm, entries, leaderCommit, ...(readRound === undefined ? {} : { readRound }) });
const aer = (from: NodeId, to: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number, readRound?: number): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to, term, success, matchIndex, prevLogIndex, ...(readRound === undefined ? {} : { readRound }) });
const requestVote = (from: NodeId, to: NodeId, term: number, lastLogIndex: number, lastLogTerm: number): RequestVote =>
  ({ type: 'RequestVote', from, to, term, candidateId: from, lastLogIndex, lastLogTerm });
const vote = (from: NodeId, to: NodeId, term: number, voteGranted: boolean): RequestVoteResponse =>
  ({ type: 'RequestVoteResponse', from, to, term, voteGranted });
const preVote = (from: NodeId, to: NodeId, term: number, lastLogIndex: number, lastLogTerm: number): PreVote =>
  ({ type: 'PreVote', from, to, term, candidateId: from, lastLogIndex, lastLogTerm });
const installSnapshot = (from: NodeId, to: NodeId, term: number, lastIncludedIndex: number, lastIncludedTerm: number, offset: number, data: string, done: boolean, lastConfig?: Configuration): InstallSnapshot =>
  ({ type: 'InstallSnapshot', from, to, term, leaderId: from, lastIncludedIndex, lastIncludedTerm, offset, data, done, ...(lastConfig === undefined ? {} : { lastConfig }) });
const isr = (from: NodeId, to: NodeId, term: number, lastIncludedIndex: number, offset: number, done: boolean): InstallSnapshotResponse =>
  ({ type: 'InstallSnapshotResponse', from, to, term, lastIncludedIndex, offset, done });

const TIMEOUT: NodeInput = { type: 'electionTimeout' };
const HEARTBEAT: NodeInput = { type: 'heartbeatTimeout' };
const single = (voters: NodeId[], learners?: NodeId[]): NodeInput => ({ type: 'reconfigure', change: 'single', voters, ...(learners ? { learners } : {}) });
const joint = (voters: NodeId[], learners?: NodeId[]): NodeInput => ({ type: 'reconfigure', change: 'joint', voters, ...(learners ? { learners } : {}) });

/** `self` as leader of `term` (it voted for itself and knows itself as leader). */
const leaderOf = (self: NodeId, term: number, o: Observation): NodeState =>
  st({ role: 'leader', currentTerm: term, votedFor: self, votesGranted: [self], leaderId: self, ...o });

// ---------------------------------------------------------------------------------------------

describe('CFG-1: the configuration in force on a follower', () => {
  // s3 of four servers, the bootstrap configuration {s1, s2, s3}.
  const env = withBootstrap('s3', FOUR, BOOT3);
  const s = st({ currentTerm: 2, votedFor: 's1', log: [e(1, 'a')], commitIndex: 1, lastApplied: 1 });

  it('CFG-1, AE-4: a follower adopts a configuration entry as it appends it, uncommitted: its next election (CAN-1) asks the new voter too', () => {
    // Before: the bootstrap configuration; an election asks s1 and s2.
    expect(run(env, s, TIMEOUT).sent).toEqual([requestVote('s3', 's1', 3, 1, 1), requestVote('s3', 's2', 3, 1, 1)]);
    const r = run(env, s, ae('s1', 's3', 2, 1, 1, [cfg(2, WITH_S4)], 1));
    expect(toJson(r.state)).toEqual({ ...toJson(s), log: [e(1, 'a'), cfg(2, WITH_S4)], leaderId: 's1', heardFromLeader: true });
    expect(r.state.commitIndex).toBe(1);
    expect(configOf(env, r.state)).toEqual(WITH_S4);
    expect(r.sent).toEqual([aer('s3', 's1', 2, true, 2, 1)]);
    expect(r.rules).toEqual(['CLI-1', 'AE-4', 'CFG-1', 'FOL-1']);
    const election = run(env, r.state, TIMEOUT);
    expect(election.state.role).toBe('candidate');
    expect(election.sent).toEqual([requestVote('s3', 's1', 3, 2, 2), requestVote('s3', 's2', 3, 2, 2), requestVote('s3', 's4', 3, 2, 2)]);
    expect(election.rules).toEqual(['FOL-2', 'CAN-1']);
  });

  it('CFG-1: an AppendEntries that repeats a configuration entry already held, or appends an ordinary entry, changes no configuration and does not cite CFG-1', () => {
    const adopted = run(env, s, ae('s1', 's3', 2, 1, 1, [cfg(2, WITH_S4)], 1)).state;
    const again = run(env, adopted, ae('s1', 's3', 2, 1, 1, [cfg(2, WITH_S4)], 1));
    expect(again.state).toBe(adopted);
    expect(again.sent).toEqual([aer('s3', 's1', 2, true, 2, 1)]);
    expect(again.rules).toEqual(['FOL-1']);
    const more = run(env, adopted, ae('s1', 's3', 2, 2, 2, [e(2, 'b')], 1));
    expect(more.state.log.toArray()).toEqual([e(1, 'a'), cfg(2, WITH_S4), e(2, 'b')]);
    expect(configOf(env, more.state)).toEqual(WITH_S4);
    expect(more.rules).toEqual(['AE-4', 'FOL-1']);
  });

  it('CFG-1, AE-3: a truncation that removes the last configuration entry falls back to the one before it, then to the bootstrap configuration', () => {
    const env5 = withBootstrap('s3', FIVE, BOOT3);
    const f = st({ currentTerm: 3, log: [cfg(1, WITH_S4), cfg(2, WITH_S4_S5)] });
    expect(configOf(env5, f)).toEqual(WITH_S4_S5);
    const cut = run(env5, f, ae('s2', 's3', 3, 1, 1, [e(3, 'x')], 0));
    expect(toJson(cut.state)).toEqual({ ...toJson(f), log: [cfg(1, WITH_S4), e(3, 'x')], leaderId: 's2', heardFromLeader: true });
    expect(configOf(env5, cut.state)).toEqual(WITH_S4);
    expect(cut.sent).toEqual([aer('s3', 's2', 3, true, 2, 1)]);
    expect(cut.rules).toEqual(['CLI-1', 'AE-3', 'AE-4', 'CFG-1', 'FOL-1']);
    const all = run(env5, cut.state, ae('s2', 's3', 3, 0, 0, [e(3, 'y')], 0));
    expect(all.state.log.toArray()).toEqual([e(3, 'y')]);
    expect(configOf(env5, all.state)).toEqual(BOOT3);
    expect(all.sent).toEqual([aer('s3', 's2', 3, true, 1, 0)]);
    expect(all.rules).toEqual(['AE-3', 'AE-4', 'CFG-1', 'FOL-1']);
  });

  it('CFG-1, IS-5, IS-7: an InstallSnapshot carrying lastConfig sets snapshotConfig; with the log discarded it is the configuration in force', () => {
    const env5 = withBootstrap('s3', FIVE, BOOT3);
    const f = st({ currentTerm: 2, votedFor: 's1', log: [e(1, 'a')] });
    const r = run(env5, f, installSnapshot('s1', 's3', 2, 3, 2, 0, EMPTY_DATA, true, WITH_S4));
    expect(toJson(r.state)).toEqual({
      ...toJson(f), leaderId: 's1', heardFromLeader: true,
      snapshotIndex: 3, snapshotTerm: 2, snapshotMachine: EMPTY_MACHINE, snapshotConfig: WITH_S4, log: [],
      commitIndex: 3, lastApplied: 3, machine: EMPTY_MACHINE,
    });
    expect(configOf(env5, r.state)).toEqual(WITH_S4);
    expect(r.sent).toEqual([isr('s3', 's1', 2, 3, 25, true)]);
    expect(r.rules).toEqual(['CLI-1', 'IS-2', 'IS-3', 'IS-5', 'IS-7', 'CFG-1', 'IS-8', 'FOL-1']);
  });

  it('CFG-1, IS-5: an InstallSnapshot without lastConfig sets snapshotConfig to null: the bootstrap configuration is in force again', () => {
    const env5 = withBootstrap('s3', FIVE, BOOT3);
    const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', snapshotIndex: 3, snapshotTerm: 2, snapshotConfig: WITH_S4 });
    expect(configOf(env5, f)).toEqual(WITH_S4);
    const r = run(env5, f, installSnapshot('s1', 's3', 2, 5, 2, 0, EMPTY_DATA, true));
    expect(toJson(r.state)).toEqual({ ...toJson(f), heardFromLeader: true, snapshotIndex: 5, snapshotConfig: null, commitIndex: 5, lastApplied: 5 });
    expect(configOf(env5, r.state)).toEqual(BOOT3);
    expect(r.rules).toEqual(['IS-2', 'IS-3', 'IS-5', 'IS-7', 'CFG-1', 'IS-8', 'FOL-1']);
  });

  it('CFG-1, IS-6: with IS-6 the configuration entry after the snapshot stays in force; snapshotConfig records the snapshot\'s own', () => {
    const env5 = withBootstrap('s3', FIVE, BOOT3);
    const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [e(1, 'a'), e(2, 'b'), cfg(2, WITH_S4_S5)] });
    const r = run(env5, f, installSnapshot('s1', 's3', 2, 2, 2, 0, EMPTY_DATA, true, WITH_S4));
    expect(toJson(r.state)).toEqual({
      ...toJson(f), heardFromLeader: true,
      snapshotIndex: 2, snapshotTerm: 2, snapshotMachine: EMPTY_MACHINE, snapshotConfig: WITH_S4, log: [cfg(2, WITH_S4_S5)],
      commitIndex: 2, lastApplied: 2,
    });
    expect(configOf(env5, r.state)).toEqual(WITH_S4_S5);
    expect(r.sent).toEqual([isr('s3', 's1', 2, 2, 25, true)]);
    expect(r.rules).toEqual(['IS-2', 'IS-3', 'IS-5', 'IS-6', 'IS-8', 'FOL-1']);
  });

  it('CFG-1: a snapshot whose configuration equals the one in force (another copy of it) changes nothing and does not cite CFG-1', () => {
    const env5 = withBootstrap('s3', FIVE, BOOT3);
    const f = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [cfg(1, { voters: ['s1', 's2', 's3', 's4'] }), e(2, 'b'), e(2, 'c')] });
    const r = run(env5, f, installSnapshot('s1', 's3', 2, 2, 2, 0, EMPTY_DATA, true, { voters: ['s1', 's2', 's3', 's4'] }));
    expect(configOf(env5, r.state)).toEqual(WITH_S4);
    expect(r.rules).toEqual(['IS-2', 'IS-3', 'IS-5', 'IS-6', 'IS-8', 'FOL-1']);
  });
});

describe('CFG-2, CFG-3: joint consensus', () => {
  // The leader s3 of term 2, of five servers with the bootstrap configuration {s1, s2, s3}; it has
  // committed entry 1, of its term, everywhere.
  const env = withBootstrap('s3', FIVE, BOOT3);
  const s = leaderOf('s3', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s1: 2, s2: 2 }, matchIndex: { s1: 1, s2: 1 } });
  const PEERS = ['s1', 's2', 's4', 's5'];

  it('CFG-2, DEC-15: a joint change appends C_old,new of the current term (voters: the new ones, oldVoters: those in force, each sorted, no learners key); the new servers become peers and every peer gets LEA-3', () => {
    const r = run(env, s, joint(['s5', 's4', 's3']));
    expect(r.state.log.entry(2)).toStrictEqual({ term: 2, command: null, config: { voters: ['s3', 's4', 's5'], oldVoters: ['s1', 's2', 's3'] } });
    expect(toJson(r.state)).toEqual({
      ...toJson(s), log: [e(2, 'a'), cfg(2, JOINT_345)],
      nextIndex: { s1: 2, s2: 2, s4: 2, s5: 2 }, matchIndex: { s1: 1, s2: 1, s4: 0, s5: 0 },
    });
    expect(r.sent).toEqual(PEERS.map((id) => ae('s3', id, 2, 1, 2, [cfg(2, JOINT_345)], 1)));
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['CFG-2', 'DEC-15', 'LEA-3']);
  });

  it('CFG-2: a joint change writes its learners sorted, and C_old,new keeps the voters in force as oldVoters', () => {
    const r = run(env, s, joint(['s5', 's4', 's3'], ['s2', 's1']));
    expect(r.state.log.entry(2)).toStrictEqual({ term: 2, command: null, config: { voters: ['s3', 's4', 's5'], learners: ['s1', 's2'], oldVoters: ['s1', 's2', 's3'] } });
    expect(r.rules).toEqual(['CFG-2', 'DEC-15', 'LEA-3']);
  });

  it('CFG-2, LEA-4, CFG-3: while joint an entry commits only with a majority of each half; in the step the joint entry commits, the leader appends C_new and sends LEA-3 to the peers of C_new only', () => {
    const j = run(env, s, joint(['s3', 's4', 's5'])).state;
    // s2's ack: the old half {s1, s2, s3} has a majority (s2, s3), the new half {s3, s4, s5} only s3.
    const a = run(env, j, aer('s2', 's3', 2, true, 2, 1));
    expect(toJson(a.state)).toEqual({ ...toJson(j), nextIndex: { s1: 2, s2: 3, s4: 2, s5: 2 }, matchIndex: { s1: 1, s2: 2, s4: 0, s5: 0 } });
    expect(a.state.commitIndex).toBe(1);
    expect(a.sent).toEqual([]);
    expect(a.rules).toEqual(['LEA-3a']);
    // s4 and s5 instead: the new half has a majority, the old half only s3.
    const n1 = run(env, j, aer('s4', 's3', 2, true, 2, 1));
    const n2 = run(env, n1.state, aer('s5', 's3', 2, true, 2, 1));
    expect(n2.state.commitIndex).toBe(1);
    expect(n2.rules).toEqual(['LEA-3a']);
    // s2 then s4: a majority of each half. The joint entry commits and C_new follows at once.
    const b = run(env, a.state, aer('s4', 's3', 2, true, 2, 1));
    expect(toJson(b.state)).toEqual({
      ...toJson(j), log: [e(2, 'a'), cfg(2, JOINT_345), cfg(2, NEW_345)], commitIndex: 2, lastApplied: 2,
      nextIndex: { s4: 3, s5: 2 }, matchIndex: { s4: 2, s5: 0 },
    });
    expect(b.applied).toEqual([{ index: 2, term: 2, command: null, result: null, duplicate: false }]);
    expect(b.sent).toEqual([ae('s3', 's4', 2, 2, 2, [cfg(2, NEW_345)], 2), ae('s3', 's5', 2, 1, 2, [cfg(2, JOINT_345)], 2)]);
    expect(b.replies).toEqual([]);
    // s5 lacks two entries and gets one (DEC-6).
    expect(b.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1', 'CFG-3', 'DEC-15', 'LEA-3', 'DEC-6']);
  });

  it('CFG-2, CAN-2: while joint a candidate needs a majority of votes in each half', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's3', votesGranted: ['s3'], log: [cfg(1, JOINT_345)] });
    // s4 and s5: the new half, but only s3 of the old one.
    const n = run(env, run(env, c, vote('s4', 's3', 2, true)).state, vote('s5', 's3', 2, true));
    expect(toJson(n.state)).toEqual({ ...toJson(c), votesGranted: ['s3', 's4', 's5'] });
    expect(n.rules).toEqual(['CAN-2']);
    // s1: the old half, but only s3 of the new one.
    const o = run(env, c, vote('s1', 's3', 2, true));
    expect(toJson(o.state)).toEqual({ ...toJson(c), votesGranted: ['s3', 's1'] });
    expect(o.sent).toEqual([]);
    expect(o.rules).toEqual(['CAN-2']);
    // s1 then s4: both halves. It leads, with a peer for every member of either half.
    const w = run(env, o.state, vote('s4', 's3', 2, true));
    expect(toJson(w.state)).toEqual({
      ...toJson(c), role: 'leader', leaderId: 's3', votesGranted: ['s3', 's1', 's4'],
      nextIndex: { s1: 2, s2: 2, s4: 2, s5: 2 }, matchIndex: { s1: 0, s2: 0, s4: 0, s5: 0 },
    });
    expect(w.sent).toEqual(PEERS.map((id) => ae('s3', id, 2, 1, 1, [], 0)));
    expect(w.rules).toEqual(['CAN-2', 'CAN-2', 'LEA-1']);
  });

  it('CFG-3: a candidate that wins with the joint entry in force and already committed appends C_new at once, and LEA-1 carries it to the peers of C_new', () => {
    const env1 = withBootstrap('s1', FIVE, BOOT3);
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [cfg(1, JOINT_145)], commitIndex: 1, lastApplied: 1 });
    const r = run(env1, c, vote('s4', 's1', 2, true));
    expect(toJson(r.state)).toEqual({
      ...toJson(c), role: 'leader', leaderId: 's1', votesGranted: ['s1', 's2', 's4'], log: [cfg(1, JOINT_145), cfg(2, NEW_145)],
      nextIndex: { s4: 2, s5: 2 }, matchIndex: { s4: 0, s5: 0 },
    });
    expect(r.sent).toEqual([ae('s1', 's4', 2, 1, 1, [cfg(2, NEW_145)], 1), ae('s1', 's5', 2, 1, 1, [cfg(2, NEW_145)], 1)]);
    expect(r.rules).toEqual(['CAN-2', 'CAN-2', 'CFG-3', 'DEC-15', 'LEA-1']);
  });

  it('CFG-3, CLI-3: with leaderNoop, the no-op comes first and C_new after it, both appended before LEA-1', () => {
    const env1 = withBootstrap('s1', FIVE, BOOT3, { leaderNoop: true });
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [cfg(1, JOINT_145)], commitIndex: 1, lastApplied: 1 });
    const r = run(env1, c, vote('s4', 's1', 2, true));
    expect(r.state.log.toArray()).toEqual([cfg(1, JOINT_145), e(2, null), cfg(2, NEW_145)]);
    expect(leaderView(r.state).nextIndex).toEqual({ s4: 2, s5: 2 });
    expect(r.sent).toEqual([ae('s1', 's4', 2, 1, 1, [e(2, null)], 1), ae('s1', 's5', 2, 1, 1, [e(2, null)], 1)]);
    expect(r.rules).toEqual(['CAN-2', 'CAN-2', 'CLI-3', 'CFG-3', 'DEC-15', 'LEA-1', 'DEC-6', 'DEC-6']);
  });

  it('CFG-3: a candidate that wins with the joint entry not yet committed appends nothing more', () => {
    const env1 = withBootstrap('s1', FIVE, BOOT3);
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], log: [cfg(1, JOINT_145)] });
    const r = run(env1, c, vote('s4', 's1', 2, true));
    expect(r.state.log.toArray()).toEqual([cfg(1, JOINT_145)]);
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 2, s4: 2, s5: 2 });
    expect(r.rules).toEqual(['CAN-2', 'CAN-2', 'LEA-1']);
  });

  it('CFG-2, CFG-7: a change is refused (no effect, no message, no reply) while one is in progress: the configuration in force is joint, or its entry is above commitIndex', () => {
    const jointInForce = leaderOf('s3', 2, { log: [e(2, 'a'), cfg(2, JOINT_345)], commitIndex: 1, lastApplied: 1, nextIndex: { s1: 3, s2: 3, s4: 3, s5: 3 }, matchIndex: { s1: 1, s2: 1, s4: 0, s5: 0 } });
    const uncommitted = leaderOf('s3', 2, { log: [e(2, 'a'), cfg(2, WITH_S4)], commitIndex: 1, lastApplied: 1, nextIndex: { s1: 3, s2: 3, s4: 3 }, matchIndex: { s1: 1, s2: 1, s4: 0 } });
    for (const state of [jointInForce, uncommitted]) {
      const j = run(env, state, joint(['s1', 's2', 's3', 's4', 's5']));
      expect(j.state).toBe(state);
      expect(j.sent).toEqual([]);
      expect(j.replies).toEqual([]);
      expect(j.rules).toEqual(['CFG-2']);
      const one = run(env, state, single(['s1', 's2', 's3', 's4', 's5']));
      expect(one.state).toBe(state);
      expect(one.sent).toEqual([]);
      expect(one.replies).toEqual([]);
      expect(one.rules).toEqual(['CFG-7']);
    }
  });
});

describe('CFG-4: learners', () => {
  // s1, s2, s3 voters and s4 a learner.
  const env = withBootstrap('s1', FOUR, LEARNER_S4);

  it('CFG-4: a learner is a peer: it gets its AppendEntries with the heartbeat (LEA-1), but its acknowledgement does not count in LEA-4', () => {
    const s = leaderOf('s1', 2, { log: [e(2, 'a')], nextIndex: { s2: 1, s3: 1, s4: 1 }, matchIndex: { s2: 0, s3: 0, s4: 0 } });
    const beat = run(env, s, HEARTBEAT);
    expect(beat.state).toBe(s);
    expect(beat.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 2, 0, 0, [e(2, 'a')], 0)));
    expect(beat.rules).toEqual(['LEA-1', 'DEC-5']);
    // s1 and the learner s4 hold entry 1: one voter of three.
    const learner = run(env, s, aer('s4', 's1', 2, true, 1, 0));
    expect(toJson(learner.state)).toEqual({ ...toJson(s), nextIndex: { s2: 1, s3: 1, s4: 2 }, matchIndex: { s2: 0, s3: 0, s4: 1 } });
    expect(learner.state.commitIndex).toBe(0);
    expect(learner.rules).toEqual(['LEA-3a']);
    // s2 too: two voters of three.
    const voter = run(env, learner.state, aer('s2', 's1', 2, true, 1, 0));
    expect(toJson(voter.state)).toEqual({ ...toJson(learner.state), nextIndex: { s2: 2, s3: 1, s4: 2 }, matchIndex: { s2: 1, s3: 0, s4: 1 }, commitIndex: 1, lastApplied: 1 });
    expect(voter.sent).toEqual([]);
    expect(voter.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1']);
  });

  it('CFG-4, CAN-2: a learner\'s vote does not count; a voter\'s does', () => {
    const c = st({ role: 'candidate', currentTerm: 2, votedFor: 's1', votesGranted: ['s1'] });
    const learner = run(env, c, vote('s4', 's1', 2, true));
    expect(toJson(learner.state)).toEqual({ ...toJson(c), votesGranted: ['s1', 's4'] });
    expect(learner.sent).toEqual([]);
    expect(learner.rules).toEqual(['CAN-2']);
    const voter = run(env, learner.state, vote('s2', 's1', 2, true));
    expect(voter.state.role).toBe('leader');
    expect(leaderView(voter.state).nextIndex).toEqual({ s2: 1, s3: 1, s4: 1 });
    expect(voter.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 2, 0, 0, [], 0)));
    expect(voter.rules).toEqual(['CAN-2', 'CAN-2', 'LEA-1']);
  });

  it('CFG-4, DEC-14: a learner\'s election timeout starts no election and no pre-vote: it only ends its period of heardFromLeader', () => {
    const s = st({ currentTerm: 2, votedFor: 's1', leaderId: 's1', heardFromLeader: true, log: [e(2, 'a')] });
    for (const more of [{}, { preVote: true }]) {
      const r = run(withBootstrap('s4', FOUR, LEARNER_S4, more), s, TIMEOUT);
      expect(toJson(r.state)).toEqual({ ...toJson(s), heardFromLeader: false });
      expect(r.sent).toEqual([]);
      expect(r.rules).toEqual(['CFG-4', 'DEC-14']);
    }
  });

  it('LT-1, DEC-9: leadership cannot be transferred to a learner (it is not a voter)', () => {
    const s = leaderOf('s1', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1 } });
    const r = run(withBootstrap('s1', FOUR, LEARNER_S4, { leadershipTransfer: true }), s, { type: 'transferLeadership', target: 's4' });
    expect(r.state).toBe(s);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-9']);
  });
});

describe('DEC-14: only voters campaign, and only voters are asked', () => {
  it('DEC-14: a server outside its configuration (not yet added, or removed by the configuration its log holds) starts no election', () => {
    const s = st({ currentTerm: 1 });
    const notAdded = run(withBootstrap('s5', FIVE, BOOT3), s, TIMEOUT);
    expect(notAdded.state).toBe(s);
    expect(notAdded.sent).toEqual([]);
    expect(notAdded.rules).toEqual(['DEC-14']);
    const removed = st({ currentTerm: 1, log: [cfg(1, { voters: ['s1', 's2'] })] });
    const r = run(envOf('s3'), removed, TIMEOUT);
    expect(r.state).toBe(removed);
    expect(r.sent).toEqual([]);
    expect(r.rules).toEqual(['DEC-14']);
  });

  it('DEC-14: a candidate sends RequestVote to the voters of its configuration only, in cluster order: not to a learner, nor to a server outside it', () => {
    const env = withBootstrap('s1', FIVE, LEARNER_S4);
    const r = run(env, st({ currentTerm: 1 }), TIMEOUT);
    expect(r.state.role).toBe('candidate');
    expect(r.sent).toEqual([requestVote('s1', 's2', 2, 0, 0), requestVote('s1', 's3', 2, 0, 0)]);
    expect(r.rules).toEqual(['FOL-2', 'CAN-1']);
  });

  it('DEC-14: while joint, RequestVote goes to the voters of both halves', () => {
    // C_old = {s1, s2, s3}, C_new = {s1, s2, s4}: s3 only in the old half, s4 only in the new, s5 in neither.
    const s = st({ currentTerm: 1, log: [cfg(1, { voters: ['s1', 's2', 's4'], oldVoters: ['s1', 's2', 's3'] })] });
    const r = run(withBootstrap('s1', FIVE, BOOT3), s, TIMEOUT);
    expect(r.sent).toEqual([requestVote('s1', 's2', 2, 1, 1), requestVote('s1', 's3', 2, 1, 1), requestVote('s1', 's4', 2, 1, 1)]);
    expect(r.rules).toEqual(['FOL-2', 'CAN-1']);
  });

  it('DEC-14, PV-1: with preVote, PreVote goes to the voters only: not to learners; to both halves while joint', () => {
    const learners = run(withBootstrap('s1', FIVE, LEARNER_S4, { preVote: true }), st({ currentTerm: 1 }), TIMEOUT);
    expect(learners.state.role).toBe('precandidate');
    expect(learners.sent).toEqual([preVote('s1', 's2', 2, 0, 0), preVote('s1', 's3', 2, 0, 0)]);
    expect(learners.rules).toEqual(['PV-1']);
    const s = st({ currentTerm: 1, log: [cfg(1, { voters: ['s1', 's2', 's4'], oldVoters: ['s1', 's2', 's3'] })] });
    const halves = run(withBootstrap('s1', FIVE, BOOT3, { preVote: true }), s, TIMEOUT);
    expect(halves.sent).toEqual([preVote('s1', 's2', 2, 1, 1), preVote('s1', 's3', 2, 1, 1), preVote('s1', 's4', 2, 1, 1)]);
    expect(halves.rules).toEqual(['PV-1']);
  });

  it('DEC-14: any server answers a RequestVote whatever its configuration: a learner grants its vote (ALL-2, RV-2)', () => {
    const s = st({ currentTerm: 1 });
    const r = run(withBootstrap('s4', FOUR, LEARNER_S4), s, requestVote('s1', 's4', 2, 0, 0));
    expect(toJson(r.state)).toEqual({ ...toJson(s), currentTerm: 2, votedFor: 's1' });
    expect(r.sent).toEqual([vote('s4', 's1', 2, true)]);
    expect(r.rules).toEqual(['ALL-2', 'RV-2', 'FOL-1']);
  });
});

describe('CFG-5: a leader outside its configuration', () => {
  it('CFG-7, CFG-5: a leader that removes itself by a single change keeps replicating without counting itself in LEA-4, and steps down in the step that commits the configuration: follower of the same term, leaderId null, leader state cleared (DEC-10)', () => {
    const env = envOf('s1');
    const s = leaderOf('s1', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });
    const SANS_S1: Configuration = { voters: ['s2', 's3'] };
    const change = run(env, s, single(['s3', 's2']));
    // s2 and s3 were peers already: no DEC-15.
    expect(toJson(change.state)).toEqual({ ...toJson(s), log: [e(2, 'a'), cfg(2, SANS_S1)] });
    expect(change.sent).toEqual([ae('s1', 's2', 2, 1, 2, [cfg(2, SANS_S1)], 1), ae('s1', 's3', 2, 1, 2, [cfg(2, SANS_S1)], 1)]);
    expect(change.rules).toEqual(['CFG-7', 'LEA-3']);
    // It keeps leading and replicating.
    const beat = run(env, change.state, HEARTBEAT);
    expect(beat.state).toBe(change.state);
    expect(beat.sent).toEqual([ae('s1', 's2', 2, 1, 2, [cfg(2, SANS_S1)], 1), ae('s1', 's3', 2, 1, 2, [cfg(2, SANS_S1)], 1)]);
    // s2 holds entry 2: s1 and s2 would be a majority of {s1, s2, s3}, but the configuration in
    // force is {s2, s3}, and s1 does not count itself.
    const s2 = run(env, change.state, aer('s2', 's1', 2, true, 2, 1));
    expect(toJson(s2.state)).toEqual({ ...toJson(change.state), nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 1 } });
    expect(s2.state.commitIndex).toBe(1);
    expect(s2.rules).toEqual(['LEA-3a']);
    // s3 too: the configuration commits, and s1 steps down in the same step.
    const s3 = run(env, s2.state, aer('s3', 's1', 2, true, 2, 1));
    expect(toJson(s3.state)).toEqual(toJson(st({ currentTerm: 2, votedFor: 's1', log: [e(2, 'a'), cfg(2, SANS_S1)], commitIndex: 2, lastApplied: 2 })));
    expect(s3.applied).toEqual([{ index: 2, term: 2, command: null, result: null, duplicate: false }]);
    expect(s3.sent).toEqual([]);
    expect(s3.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1', 'CFG-5', 'DEC-10']);
  });

  it('CFG-3, CFG-5: a leader outside C_new appends C_new, keeps replicating, does not count itself, and steps down once C_new is committed; the statechart ends in follower', () => {
    const env = withBootstrap('s1', FIVE, BOOT3);
    // The joint entry 2 is held by s1, s2 (old half: a majority) and s4 (new half {s3, s4, s5}: one of three).
    const s = leaderOf('s1', 2, {
      log: [e(2, 'a'), cfg(2, JOINT_345)], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 3, s3: 2, s4: 3, s5: 2 }, matchIndex: { s2: 2, s3: 1, s4: 2, s5: 1 },
    });
    const joined = run(env, s, aer('s3', 's1', 2, true, 2, 1));
    expect(toJson(joined.state)).toEqual({
      ...toJson(s), log: [e(2, 'a'), cfg(2, JOINT_345), cfg(2, NEW_345)], commitIndex: 2, lastApplied: 2,
      nextIndex: { s3: 3, s4: 3, s5: 2 }, matchIndex: { s3: 2, s4: 2, s5: 1 },
    });
    expect(joined.sent).toEqual([ae('s1', 's3', 2, 2, 2, [cfg(2, NEW_345)], 2), ae('s1', 's4', 2, 2, 2, [cfg(2, NEW_345)], 2), ae('s1', 's5', 2, 1, 2, [cfg(2, JOINT_345)], 2)]);
    expect(joined.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1', 'CFG-3', 'DEC-15', 'LEA-3', 'DEC-6']);
    // s3 holds C_new: counting itself s1 would have a majority; outside C_new it does not.
    const one = run(env, joined.state, aer('s3', 's1', 2, true, 3, 2));
    expect(one.state.role).toBe('leader');
    expect(one.state.commitIndex).toBe(2);
    expect(one.sent).toEqual([]);
    expect(one.rules).toEqual(['LEA-3a']);
    // s4 too: C_new commits, and s1 steps down in the same step, in the same term.
    const ack = aer('s4', 's1', 2, true, 3, 2);
    const two = run(env, one.state, ack);
    expect(toJson(two.state)).toEqual(toJson(st({ currentTerm: 2, votedFor: 's1', log: [e(2, 'a'), cfg(2, JOINT_345), cfg(2, NEW_345)], commitIndex: 3, lastApplied: 3 })));
    expect(two.sent).toEqual([]);
    expect(two.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1', 'CFG-5', 'DEC-10']);
    expect(statechartStep(snapshotAt(env, one.state), ack).value).toBe('follower');
  });

  it('CFG-5, CLI-4: a leader that steps down because its configuration does not count it drops its pending reads unanswered', () => {
    const env = envOf('s1');
    const read: PendingRead = { client: 'c1', seq: 1, key: 'x', readIndex: 1, round: 1 };
    const s: NodeState = withLeaderState(
      leaderOf('s1', 2, { log: [e(2, 'a'), cfg(2, { voters: ['s2', 's3'] })], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 1 } }),
      { readRound: 1, readAcks: { s2: 1 }, pendingReads: [read] },
    );
    const r = run(env, s, aer('s3', 's1', 2, true, 2, 1, 1));
    expect(r.state.role).toBe('follower');
    expect(r.state.commitIndex).toBe(2);
    expect(hidden(r.state)).toEqual({ awaiting: [], readRound: 0, readAcks: {}, pendingReads: [], leaseFloor: 0 });
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['CLI-4', 'LEA-3a', 'LEA-4', 'ALL-1', 'CFG-5', 'DEC-10', 'CLI-4']);
  });
});

describe('CFG-7: single-server changes', () => {
  // The leader s1 of term 2, of four servers with the bootstrap configuration {s1, s2, s3}.
  const env = withBootstrap('s1', FOUR, BOOT3);
  const s = leaderOf('s1', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } });

  it('CFG-7, DEC-15: a single change adding one voter is appended once the leader has committed an entry of its term; the new peer gets nextIndex = the entry\'s index and matchIndex 0', () => {
    const r = run(env, s, single(['s4', 's1', 's2', 's3']));
    expect(r.state.log.entry(2)).toStrictEqual({ term: 2, command: null, config: { voters: ['s1', 's2', 's3', 's4'] } });
    expect(toJson(r.state)).toEqual({
      ...toJson(s), log: [e(2, 'a'), cfg(2, WITH_S4)],
      nextIndex: { s2: 2, s3: 2, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 0 },
    });
    expect(r.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 2, 1, 2, [cfg(2, WITH_S4)], 1)));
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3']);
  });

  it('DEC-15: with flowControlWindow a new peer gets appliedIndex 0 too; the others keep theirs', () => {
    const fc = withBootstrap('s1', FOUR, BOOT3, { flowControlWindow: 4 });
    const r = run(fc, withLeaderState(s, { appliedIndex: { s2: 1, s3: 1 } }), single(['s1', 's2', 's3', 's4']));
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 2, s4: 2 });
    expect(leaderView(r.state).matchIndex).toEqual({ s2: 1, s3: 1, s4: 0 });
    expect(leaderView(r.state).appliedIndex).toEqual({ s2: 1, s3: 1, s4: 0 });
    expect(r.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 2, 1, 2, [cfg(2, WITH_S4)], 1)));
    expect(r.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3']);
  });

  it('CFG-7, CFG-4: a change of learners only is a single change; promoting a learner adds one voter (its progress is kept)', () => {
    const add = run(env, s, single(['s1', 's2', 's3'], ['s4']));
    expect(add.state.log.entry(2)).toStrictEqual({ term: 2, command: null, config: { voters: ['s1', 's2', 's3'], learners: ['s4'] } });
    expect(leaderView(add.state).nextIndex).toEqual({ s2: 2, s3: 2, s4: 2 });
    expect(leaderView(add.state).matchIndex).toEqual({ s2: 1, s3: 1, s4: 0 });
    expect(add.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3']);
    const learnerEnv = withBootstrap('s1', FOUR, LEARNER_S4);
    const l = leaderOf('s1', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1 } });
    const promote = run(learnerEnv, l, single(['s1', 's2', 's3', 's4']));
    expect(promote.state.log.entry(2)).toStrictEqual({ term: 2, command: null, config: { voters: ['s1', 's2', 's3', 's4'] } });
    expect(toJson(promote.state)).toEqual({ ...toJson(l), log: [e(2, 'a'), cfg(2, WITH_S4)] });
    expect(promote.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 2, 1, 2, [cfg(2, WITH_S4)], 1)));
    expect(promote.rules).toEqual(['CFG-7', 'LEA-3']);
  });

  it('CFG-7: a single change whose voters differ from those in force by two servers (two added, or one swapped for another) is refused', () => {
    const env5 = withBootstrap('s1', FIVE, BOOT3);
    for (const voters of [['s1', 's2', 's3', 's4', 's5'], ['s1', 's2', 's4']]) {
      const r = run(env5, s, single(voters));
      expect(r.state).toBe(s);
      expect(r.sent).toEqual([]);
      expect(r.replies).toEqual([]);
      expect(r.rules).toEqual(['CFG-7']);
    }
  });

  it('CFG-7: a single change is refused before the leader has committed an entry of its current term (the 2015 fix); a joint change (CFG-2) is not held back by it', () => {
    const t3 = leaderOf('s1', 3, { log: [e(2, 'a'), e(3, 'b')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 1, s3: 1 } });
    const refused = run(env, t3, single(['s1', 's2', 's3', 's4']));
    expect(refused.state).toBe(t3);
    expect(refused.sent).toEqual([]);
    expect(refused.rules).toEqual(['CFG-7']);
    const fresh = leaderOf('s1', 1, { nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    const none = run(env, fresh, single(['s1', 's2', 's3', 's4']));
    expect(none.state).toBe(fresh);
    expect(none.rules).toEqual(['CFG-7']);
    const J: Configuration = { voters: ['s1', 's2', 's3', 's4'], oldVoters: ['s1', 's2', 's3'] };
    const j = run(env, t3, joint(['s1', 's2', 's3', 's4']));
    expect(toJson(j.state)).toEqual({
      ...toJson(t3), log: [e(2, 'a'), e(3, 'b'), cfg(3, J)],
      nextIndex: { s2: 3, s3: 3, s4: 3 }, matchIndex: { s2: 1, s3: 1, s4: 0 },
    });
    expect(j.sent).toEqual(['s2', 's3', 's4'].map((id) => ae('s1', id, 3, 2, 3, [cfg(3, J)], 1)));
    expect(j.rules).toEqual(['CFG-2', 'DEC-15', 'LEA-3']);
  });

  it('CFG-7, CFG-2, LT-3: while a leadership transfer is pending, a change is refused with LT-3', () => {
    const transferring = withLeaderState(s, { transferee: 's2' });
    const tenv = withBootstrap('s1', FOUR, BOOT3, { leadershipTransfer: true });
    for (const input of [single(['s1', 's2', 's3', 's4']), joint(['s1', 's2', 's4'])]) {
      const r = run(tenv, transferring, input);
      expect(r.state).toBe(transferring);
      expect(r.sent).toEqual([]);
      expect(r.replies).toEqual([]);
      expect(r.rules).toEqual(['LT-3']);
    }
  });

  it('CFG-7, DEC-9: a reconfigure on a follower, a candidate or a precandidate has no effect and no reply', () => {
    const states = [
      st({ currentTerm: 2, votedFor: 's2', leaderId: 's2', log: [e(2, 'a')], commitIndex: 1, lastApplied: 1 }),
      st({ role: 'candidate', currentTerm: 3, votedFor: 's1', votesGranted: ['s1'] }),
      st({ role: 'precandidate', currentTerm: 2, votesGranted: ['s1'] }),
    ];
    for (const state of states) {
      for (const input of [single(['s1', 's2', 's3', 's4']), joint(['s2', 's3', 's4'])]) {
        const r = run(withBootstrap('s1', FOUR, BOOT3, { preVote: true }), state, input);
        expect(r.state).toBe(state);
        expect(r.sent).toEqual([]);
        expect(r.replies).toEqual([]);
        expect(r.rules).toEqual(['DEC-9']);
      }
    }
  });
});

describe('DEC-15: progress follows the configuration', () => {
  it('DEC-15, CQ-1: a server removed by a configuration entry loses its nextIndex, matchIndex and its place in recentlyActive; the others keep theirs', () => {
    const env = envOf('s1', FOUR, 1, false, { checkQuorum: true });
    const s = leaderOf('s1', 2, {
      log: [e(2, 'a')], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 2, s3: 2, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1 }, recentlyActive: ['s4', 's2'],
    });
    const r = run(env, s, single(['s1', 's2', 's3']));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), log: [e(2, 'a'), cfg(2, BOOT3)],
      nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 }, recentlyActive: ['s2'],
    });
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 2, [cfg(2, BOOT3)], 1), ae('s1', 's3', 2, 1, 2, [cfg(2, BOOT3)], 1)]);
    expect(r.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3']);
  });

  it('DEC-15, CLI-4: a removed server\'s read acknowledgements go with it; the others\' stay', () => {
    const env = envOf('s1', FOUR);
    const read: PendingRead = { client: 'c1', seq: 1, key: 'x', readIndex: 1, round: 1 };
    const s: NodeState = withLeaderState(
      leaderOf('s1', 2, { log: [e(2, 'a')], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2, s4: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1 } }),
      { readRound: 1, readAcks: { s4: 1 }, pendingReads: [read] },
    );
    const r = run(env, s, single(['s1', 's2', 's3']));
    expect(hidden(r.state)).toEqual({ awaiting: [], readRound: 1, readAcks: {}, pendingReads: [read], leaseFloor: 0 });
    expect(leaderView(r.state).nextIndex).toEqual({ s2: 2, s3: 2 });
    // The AppendEntries carry the read round (CLI-4); only s2 and s3 get one.
    expect(r.sent).toEqual([ae('s1', 's2', 2, 1, 2, [cfg(2, BOOT3)], 1, 1), ae('s1', 's3', 2, 1, 2, [cfg(2, BOOT3)], 1, 1)]);
    expect(r.replies).toEqual([]);
    expect(r.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3']);
    // s2 keeps its acknowledgement: with it, s1 and s2 are a quorum of {s1, s2, s3}.
    const kept = run(env, withLeaderState(s, { readAcks: { s2: 1, s4: 1 } }), single(['s1', 's2', 's3']));
    expect(hidden(kept.state).readAcks).toEqual({ s2: 1 });
    expect(kept.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 1, result: null }]);
    expect(kept.rules).toEqual(['CFG-7', 'DEC-15', 'LEA-3', 'CLI-4']);
  });

  it('DEC-15, LT-5: a transferee that C_new removes is abandoned in the step that appends C_new', () => {
    const env = withBootstrap('s1', FIVE, BOOT3, { leadershipTransfer: true });
    // The joint entry 2 ({s1, s2, s3} to {s1, s4, s5}) is held by every old voter and by s1 of the new half; s2 is the transferee.
    const s = leaderOf('s1', 2, {
      log: [e(2, 'a'), cfg(2, JOINT_145)], commitIndex: 1, lastApplied: 1,
      nextIndex: { s2: 3, s3: 3, s4: 2, s5: 2 }, matchIndex: { s2: 2, s3: 2, s4: 1, s5: 1 }, transferee: 's2',
    });
    const r = run(env, s, aer('s4', 's1', 2, true, 2, 1));
    expect(toJson(r.state)).toEqual({
      ...toJson(s), log: [e(2, 'a'), cfg(2, JOINT_145), cfg(2, NEW_145)], commitIndex: 2, lastApplied: 2,
      nextIndex: { s4: 3, s5: 2 }, matchIndex: { s4: 2, s5: 1 }, transferee: null,
    });
    expect(r.sent).toEqual([ae('s1', 's4', 2, 2, 2, [cfg(2, NEW_145)], 2), ae('s1', 's5', 2, 1, 2, [cfg(2, JOINT_145)], 2)]);
    expect(r.rules).toEqual(['LEA-3a', 'LEA-4', 'ALL-1', 'CFG-3', 'DEC-15', 'LT-5', 'LEA-3', 'DEC-6']);
  });
});

describe('CQ-1, CLI-4, LR-2: the quorums of the options follow the configuration', () => {
  // s1, s2, s3 voters; s4 and s5 learners.
  const LEARNERS_45: Configuration = { voters: ['s1', 's2', 's3'], learners: ['s4', 's5'] };
  const PEERS = ['s2', 's3', 's4', 's5'];
  const leader = (o: Observation = {}) => leaderOf('s1', 2, {
    log: [e(2, 'a')], commitIndex: 1, lastApplied: 1,
    nextIndex: { s2: 2, s3: 2, s4: 2, s5: 2 }, matchIndex: { s2: 1, s3: 1, s4: 1, s5: 1 }, ...o,
  });

  it('CQ-1: CheckQuorum counts voters only: two learners heard from do not keep the leader (three of five servers, one of three voters); one voter does', () => {
    const env = withBootstrap('s1', FIVE, LEARNERS_45, { checkQuorum: true });
    const learners = leader({ recentlyActive: ['s4', 's5'] });
    const down = run(env, learners, TIMEOUT);
    expect(toJson(down.state)).toEqual(toJson(st({ currentTerm: 2, votedFor: 's1', log: [e(2, 'a')], commitIndex: 1, lastApplied: 1 })));
    expect(down.rules).toEqual(['CQ-1', 'DEC-10']);
    const voter = leader({ recentlyActive: ['s3'] });
    const stays = run(env, voter, TIMEOUT);
    expect(toJson(stays.state)).toEqual({ ...toJson(voter), recentlyActive: [] });
    expect(stays.rules).toEqual(['CQ-1']);
  });

  it('CQ-1, CFG-5: a leader outside its configuration does not count itself: one voter of {s2, s3} heard from is not a quorum', () => {
    const env = envOf('s1', THREE, 1, false, { checkQuorum: true });
    const s = leaderOf('s1', 2, { log: [e(2, 'a'), cfg(2, { voters: ['s2', 's3'] })], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 3, s3: 3 }, matchIndex: { s2: 1, s3: 1 }, recentlyActive: ['s2'] });
    const r = run(env, s, TIMEOUT);
    expect(r.state.role).toBe('follower');
    expect(r.rules).toEqual(['CQ-1', 'DEC-10']);
  });

  it('CLI-4: a read round is confirmed by a quorum of voters: a learner\'s acknowledgement does not count, a voter\'s does', () => {
    const env = withBootstrap('s1', FIVE, LEARNERS_45);
    const read: PendingRead = { client: 'c1', seq: 1, key: 'x', readIndex: 1, round: 1 };
    const s: NodeState = withLeaderState(leader(), { readRound: 1, readAcks: {}, pendingReads: [read] });
    const learner = run(env, s, aer('s4', 's1', 2, true, 1, 1, 1));
    expect(hidden(learner.state)).toEqual({ awaiting: [], readRound: 1, readAcks: { s4: 1 }, pendingReads: [read], leaseFloor: 0 });
    expect(learner.replies).toEqual([]);
    expect(learner.rules).toEqual(['CLI-4', 'LEA-3a']);
    const voter = run(env, learner.state, aer('s2', 's1', 2, true, 1, 1, 1));
    expect(hidden(voter.state)).toEqual({ awaiting: [], readRound: 1, readAcks: { s4: 1, s2: 1 }, pendingReads: [], leaseFloor: 0 });
    expect(voter.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 1, result: null }]);
    expect(voter.rules).toEqual(['CLI-4', 'LEA-3a', 'CLI-4']);
  });

  it('LR-2: a lease needs a round acknowledged by a quorum of voters: learners\' acknowledgements give none (the read waits for a round of its own, CLI-4); a voter\'s do', () => {
    const env = withBootstrap('s1', FIVE, LEARNERS_45, { leaseReads: true });
    const readX: NodeInput = { type: 'clientRead', client: 'c1', seq: 1, key: 'x' };
    const learners: NodeState = withLeaderState(leader(), { readRound: 1, readAcks: { s4: 1, s5: 1 } });
    const round = run(env, learners, readX);
    expect(hidden(round.state)).toEqual({ awaiting: [], readRound: 2, readAcks: { s4: 1, s5: 1 }, pendingReads: [{ client: 'c1', seq: 1, key: 'x', readIndex: 1, round: 2 }], leaseFloor: 0 });
    expect(round.sent).toEqual(PEERS.map((id) => ae('s1', id, 2, 1, 2, [], 1, 2)));
    expect(round.replies).toEqual([]);
    expect(round.rules).toEqual(['CLI-4', 'CLI-4']);
    const voter: NodeState = withLeaderState(leader(), { readRound: 1, readAcks: { s2: 1 } });
    const lease = run(env, voter, readX);
    expect(hidden(lease.state)).toEqual({ awaiting: [], readRound: 1, readAcks: { s2: 1 }, pendingReads: [], leaseFloor: 0 });
    expect(lease.sent).toEqual([]);
    expect(lease.replies).toEqual([{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'x', index: 1, result: null }]);
    expect(lease.rules).toEqual(['LR-2', 'CLI-4']);
  });
});

describe('SNAP-1 and InstallSnapshot: the configuration a snapshot records', () => {
  const env = withBootstrap('s2', FIVE, BOOT3);

  it('SNAP-1: snapshotConfig is the configuration in force at the snapshot\'s index: the last configuration entry at or below it; a later one stays in the log, in force', () => {
    const s = st({ currentTerm: 2, log: [e(1, 'a'), cfg(1, WITH_S4), e(1, 'b'), cfg(2, WITH_S4_S5)], commitIndex: 4, lastApplied: 4 });
    const r = run(env, s, { type: 'snapshot', index: 3 });
    expect(toJson(r.state)).toEqual({ ...toJson(s), snapshotIndex: 3, snapshotTerm: 1, snapshotConfig: WITH_S4, log: [cfg(2, WITH_S4_S5)] });
    expect(configOf(env, r.state)).toEqual(WITH_S4_S5);
    expect(r.rules).toEqual(['SNAP-1']);
    const all = run(env, s, { type: 'snapshot' });
    expect(all.state.snapshotConfig).toEqual(WITH_S4_S5);
    expect(all.state.log.toArray()).toEqual([]);
    expect(configOf(env, all.state)).toEqual(WITH_S4_S5);
  });

  it('SNAP-1: with no configuration entry at or below the index, snapshotConfig stays the previous one: null while the bootstrap configuration is in force', () => {
    const boot = st({ currentTerm: 2, log: [e(1, 'a'), cfg(1, WITH_S4)], commitIndex: 2, lastApplied: 2 });
    const r = run(env, boot, { type: 'snapshot', index: 1 });
    expect(toJson(r.state)).toEqual({ ...toJson(boot), snapshotIndex: 1, snapshotTerm: 1, snapshotConfig: null, log: [cfg(1, WITH_S4)] });
    expect(r.rules).toEqual(['SNAP-1']);
    const earlier = st({ currentTerm: 2, snapshotIndex: 2, snapshotTerm: 1, snapshotConfig: WITH_S4, log: [e(1, 'b'), e(2, 'c')], commitIndex: 4, lastApplied: 4 });
    const again = run(env, earlier, { type: 'snapshot', index: 4 });
    expect(toJson(again.state)).toEqual({ ...toJson(earlier), snapshotIndex: 4, snapshotTerm: 2, snapshotConfig: WITH_S4, log: [] });
    expect(configOf(env, again.state)).toEqual(WITH_S4);
  });

  it('SNAP-2, SNAP-3: every InstallSnapshot chunk carries lastConfig, the leader\'s snapshotConfig; none when it is null', () => {
    const chunked = withBootstrap('s1', FOUR, BOOT3, { snapshotChunkSize: 10 });
    // The snapshot through index 2 holds the configuration {s1, s2, s3, s4}: s4 is a peer.
    const s = leaderOf('s1', 2, {
      snapshotIndex: 2, snapshotTerm: 1, snapshotConfig: WITH_S4, log: [e(2, 'c')], commitIndex: 3, lastApplied: 3,
      nextIndex: { s2: 4, s3: 4, s4: 1 }, matchIndex: { s2: 3, s3: 3, s4: 0 },
    });
    const beat = run(chunked, s, HEARTBEAT);
    expect(beat.sent).toEqual([
      ae('s1', 's2', 2, 3, 2, [], 3),
      ae('s1', 's3', 2, 3, 2, [], 3),
      installSnapshot('s1', 's4', 2, 2, 1, 0, '{"data":{}', false, WITH_S4),
    ]);
    expect(beat.rules).toEqual(['LEA-1', 'DEC-5', 'SNAP-2']);
    const next = run(chunked, s, isr('s4', 's1', 2, 2, 10, false));
    expect(next.sent).toEqual([installSnapshot('s1', 's4', 2, 2, 1, 10, ',"sessions', false, WITH_S4)]);
    expect(next.rules).toEqual(['SNAP-3']);
    const last = run(chunked, s, isr('s4', 's1', 2, 2, 20, false));
    expect(last.sent).toEqual([installSnapshot('s1', 's4', 2, 2, 1, 20, '":{}}', true, WITH_S4)]);
    // With the bootstrap configuration (snapshotConfig null) the field is absent.
    const boot = leaderOf('s1', 2, {
      snapshotIndex: 2, snapshotTerm: 1, log: [e(2, 'c')], commitIndex: 3, lastApplied: 3,
      nextIndex: { s2: 1, s3: 4 }, matchIndex: { s2: 0, s3: 3 },
    });
    const plain = run(withBootstrap('s1', FOUR, BOOT3), boot, HEARTBEAT);
    expect(plain.sent[0]).toStrictEqual(installSnapshot('s1', 's2', 2, 2, 1, 0, EMPTY_DATA, true));
    expect(plain.sent[0]).not.toHaveProperty('lastConfig');
  });
});
