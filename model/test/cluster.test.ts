// The cluster reducer's network: a multiset of messages named by their whole content (deliver,
// drop and duplicate act on one copy), partitions that lose messages between groups, and events
// that cannot happen in the state reached.
import { describe, it, expect } from 'vitest';
import type { AppendEntries, Event, Message, Observation, RequestVote } from '../../spec/schema.js';
import { type ClusterState, type ClusterStep, applyEvent, inFlight, initCluster } from '../cluster.js';
import { fromJson } from '../state.js';
import { e } from './fixtures.js';

const SERVERS = ['s1', 's2', 's3'];

function ok(r: ClusterStep | { error: string }): ClusterStep {
  if ('error' in r) throw new Error(`unexpected event error: ${r.error}`);
  return r;
}
const apply = (c: ClusterState, ev: Event): ClusterState => ok(applyEvent(c, ev)).state;

const rv = (to: string): RequestVote => ({ type: 'RequestVote', from: 's1', to, term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
const granted = (from: string): Message => ({ type: 'RequestVoteResponse', from, to: 's1', term: 1, voteGranted: true });

describe('the network is a multiset of messages', () => {
  it('what a server sends is in flight, in the order sent', () => {
    const c = apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' });
    expect(inFlight(c)).toEqual([rv('s2'), rv('s3')]);
  });

  it('duplicate adds one copy; deliver and drop each take one copy', () => {
    let c = apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' });
    c = apply(c, { type: 'duplicate', message: rv('s2') });
    expect(inFlight(c).filter((m) => m.to === 's2')).toEqual([rv('s2'), rv('s2')]);
    const d = ok(applyEvent(c, { type: 'deliver', message: rv('s2') }));
    expect(d.node).toBe('s2');
    expect(d.sent).toEqual([granted('s2')]);
    expect(inFlight(d.state).filter((m) => m.to === 's2')).toEqual([rv('s2')]);
    c = apply(d.state, { type: 'drop', message: rv('s2') });
    expect(inFlight(c).filter((m) => m.to === 's2')).toEqual([]);
    expect(applyEvent(c, { type: 'drop', message: rv('s2') })).toEqual({ error: expect.stringMatching(/not in flight/) });
  });

  it('the same response sent twice is two copies of one message', () => {
    let c = apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' });
    c = apply(c, { type: 'duplicate', message: rv('s2') });
    c = apply(c, { type: 'deliver', message: rv('s2') });
    c = apply(c, { type: 'deliver', message: rv('s2') });
    expect(inFlight(c).filter((m) => m.type === 'RequestVoteResponse')).toEqual([granted('s2'), granted('s2')]);
  });

  it('AppendEntries that differ only in a command are different messages; deliver takes the one named', () => {
    const leader: Observation = { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 2 }, matchIndex: { s2: 0, s3: 1 } };
    let c = initCluster(SERVERS, undefined, { s1: { ...leader, log: [e(1, 'a')] } });
    c = apply(c, { type: 'heartbeatTimeout', node: 's1' });
    // The same leader state with another command at index 1 (hand-made), heartbeat again.
    c = { ...c, nodes: { ...c.nodes, s1: fromJson({ ...leader, log: [e(1, 'b')] }) } };
    c = apply(c, { type: 'heartbeatTimeout', node: 's1' });
    const ae = (cmd: string): AppendEntries => ({ type: 'AppendEntries', from: 's1', to: 's2', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [e(1, cmd)], leaderCommit: 0 });
    expect(inFlight(c).filter((m) => m.to === 's2')).toEqual([ae('a'), ae('b')]);
    const d = ok(applyEvent(c, { type: 'deliver', message: ae('b') }));
    expect(d.state.nodes.s2?.log.toArray()).toEqual([e(1, 'b')]);
    expect(inFlight(d.state).filter((m) => m.to === 's2')).toEqual([ae('a')]);
    expect(applyEvent(d.state, { type: 'deliver', message: ae('b') })).toEqual({ error: expect.stringMatching(/not in flight/) });
  });

  it('a message is named by its content: a command with its keys in another order is the same message', () => {
    const leader: Observation = { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 2 }, matchIndex: { s2: 0, s3: 1 } };
    let c = initCluster(SERVERS, undefined, { s1: { ...leader, log: [e(1, { op: 'set', key: 'k', value: 1 })] } });
    c = apply(c, { type: 'heartbeatTimeout', node: 's1' });
    const reordered: AppendEntries = { type: 'AppendEntries', from: 's1', to: 's2', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [e(1, { value: 1, key: 'k', op: 'set' })], leaderCommit: 0 };
    const d = ok(applyEvent(c, { type: 'deliver', message: reordered }));
    expect(d.node).toBe('s2');
    expect(inFlight(d.state).filter((m) => m.type === 'AppendEntries' && m.to === 's2')).toEqual([]);
  });
});

describe('partitions', () => {
  it('a partition loses the messages in flight between groups, and those sent between groups later; heal ends it', () => {
    let c = apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' });
    c = apply(c, { type: 'partition', groups: [['s1', 's2'], ['s3']] });
    expect(inFlight(c)).toEqual([rv('s2')]);
    c = apply(c, { type: 'electionTimeout', node: 's1' });
    const rv2 = (to: string): Message => ({ type: 'RequestVote', from: 's1', to, term: 2, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
    expect(inFlight(c)).toEqual([rv('s2'), rv2('s2')]);
    c = apply(c, { type: 'heal' });
    c = apply(c, { type: 'electionTimeout', node: 's1' });
    const rv3 = (to: string): Message => ({ type: 'RequestVote', from: 's1', to, term: 3, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
    expect(inFlight(c)).toEqual([rv('s2'), rv2('s2'), rv3('s2'), rv3('s3')]);
  });

  it('a server named in no group is in a group of its own', () => {
    let c = apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' });
    c = apply(c, { type: 'partition', groups: [['s1'], ['s2']] });
    expect(inFlight(c)).toEqual([]);
  });
});

describe('link cuts', () => {
  const rvOf = (from: string, to: string, term: number): Message => ({ type: 'RequestVote', from, to, term, candidateId: from, lastLogIndex: 0, lastLogTerm: 0 });

  it('a cut link loses the messages in flight between its two servers, both ways, and those sent while it holds; the other links stay', () => {
    let c = apply(apply(initCluster(SERVERS), { type: 'electionTimeout', node: 's1' }), { type: 'electionTimeout', node: 's3' });
    c = apply(c, { type: 'cut', link: ['s3', 's1'] });
    expect(inFlight(c)).toEqual([rv('s2'), rvOf('s3', 's2', 1)]);
    c = apply(c, { type: 'electionTimeout', node: 's1' });
    expect(inFlight(c)).toEqual([rv('s2'), rvOf('s3', 's2', 1), rvOf('s1', 's2', 2)]);
    // An injected message still reaches its receiver across the cut; its reply is lost.
    const r = ok(applyEvent(c, { type: 'inject', message: rvOf('s3', 's1', 5) }));
    expect(r.sent).toEqual([{ type: 'RequestVoteResponse', from: 's1', to: 's3', term: 5, voteGranted: true }]);
    expect(inFlight(r.state)).toEqual(inFlight(c));
  });

  it('heal of the link restores it alone: a partition stays; heal without a link ends the partition and every cut', () => {
    let c = apply(initCluster(SERVERS), { type: 'partition', groups: [['s1', 's2'], ['s3']] });
    c = apply(c, { type: 'cut', link: ['s1', 's2'] });
    c = apply(c, { type: 'heal', link: ['s2', 's1'] });
    c = apply(c, { type: 'electionTimeout', node: 's1' });
    expect(inFlight(c)).toEqual([rv('s2')]);
    c = apply(c, { type: 'cut', link: ['s1', 's2'] });
    expect(inFlight(c)).toEqual([]);
    c = apply(c, { type: 'heal' });
    expect(c.partition).toBeNull();
    expect(c.cuts.size).toBe(0);
    c = apply(c, { type: 'electionTimeout', node: 's1' });
    expect(inFlight(c)).toEqual([rvOf('s1', 's2', 2), rvOf('s1', 's3', 2)]);
  });
});

describe('events impossible in the state reached', () => {
  it('deliver, drop and duplicate of a message not in flight, a crash of a crashed server and a restart of a running one are errors', () => {
    const c0 = initCluster(SERVERS);
    for (const type of ['deliver', 'drop', 'duplicate'] as const) {
      expect(applyEvent(c0, { type, message: rv('s2') })).toEqual({ error: expect.stringMatching(/not in flight/) });
    }
    const down = apply(c0, { type: 'crash', node: 's2' });
    expect(applyEvent(down, { type: 'crash', node: 's2' })).toEqual({ error: expect.stringMatching(/s2 is already crashed/) });
    expect(applyEvent(c0, { type: 'restart', node: 's2' })).toEqual({ error: expect.stringMatching(/s2 is not crashed/) });
  });
});

describe('crash and restart with a snapshot', () => {
  it('a crash cites SNAP-4 when the server has a snapshot: it keeps the snapshot and comes back with its state machine and index', () => {
    const machine = { data: { x: '1' }, sessions: {} };
    const c0 = initCluster(SERVERS, undefined, {
      s2: { currentTerm: 2, snapshotIndex: 3, snapshotTerm: 2, snapshotMachine: machine, log: [e(2, 'd')], commitIndex: 4, lastApplied: 4, machine: { data: { x: '1' }, sessions: {} } },
    });
    const r = ok(applyEvent(c0, { type: 'crash', node: 's2' }));
    expect(r.rules).toEqual(['PER-1', 'DEC-7', 'SNAP-4']);
    const s = r.state.nodes.s2!;
    expect([s.snapshotIndex, s.snapshotTerm, s.commitIndex, s.lastApplied, s.log.lastIndex]).toEqual([3, 2, 3, 3, 4]);
    expect(s.machine).toEqual({ data: { x: '1' }, sessions: {} });
    // Without a snapshot the crash cites PER-1 and DEC-7 only.
    expect(ok(applyEvent(c0, { type: 'crash', node: 's1' })).rules).toEqual(['PER-1', 'DEC-7']);
  });
});
