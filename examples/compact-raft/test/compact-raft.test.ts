// The compact Raft's own behaviour, on hand-written scenarios with hand-written expected values,
// independently of the checker: an election, a commit, a truncation, and one scenario for each
// of the choices C1, C3, C5, C8 and C9 (README.md); then the harness's determinism and a sanity
// check of its random runs.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Cluster } from '../cluster.js';
import { generateTrace, traceJson, writeRuns } from '../harness.js';
import { RaftNode } from '../node.js';
import type { AppendEntries, Entry, Message, NodeId, Output } from '../types.js';

const S3 = ['s1', 's2', 's3'];

/** Delivers the first message in flight of this type from `from` to `to`. */
function deliver(c: Cluster, type: Message['type'], from: NodeId, to: NodeId): Output {
  const m = c.network.inFlight.find((x) => x.type === type && x.from === from && x.to === to);
  if (m === undefined) throw new Error(`no ${type} ${from}>${to} in flight`);
  return c.step({ type: 'deliver', message: m });
}

function ae(from: NodeId, to: NodeId, term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[], leaderCommit: number): AppendEntries {
  return { type: 'AppendEntries', from, to, term, leaderId: from, prevLogIndex, prevLogTerm, entries, leaderCommit };
}

function aer(from: NodeId, to: NodeId, term: number, success: boolean, matchIndex: number, prevLogIndex: number): Message {
  return { type: 'AppendEntriesResponse', from, to, term, success, matchIndex, prevLogIndex };
}

/** s1 wins term 1 with s2's vote; its heartbeats to s2 and s3 are left in flight. */
function electS1(): Cluster {
  const c = new Cluster(S3);
  c.step({ type: 'electionTimeout', node: 's1' });
  deliver(c, 'RequestVote', 's1', 's2');
  deliver(c, 'RequestVoteResponse', 's2', 's1');
  return c;
}

/** electS1, then "x" replicated to s2 (the s1>s3 heartbeat stays in flight) and committed on s1. */
function commitX(): Cluster {
  const c = electS1();
  c.step({ type: 'clientRequest', node: 's1', command: 'x' });
  deliver(c, 'AppendEntries', 's1', 's2');
  deliver(c, 'AppendEntriesResponse', 's2', 's1');
  deliver(c, 'AppendEntries', 's1', 's2');
  deliver(c, 'AppendEntriesResponse', 's2', 's1');
  return c;
}

describe('compact Raft: Figure 2', () => {
  it('elects a leader: CAN-1, RV-2, CAN-2, LEA-1', () => {
    const c = new Cluster(S3);
    const out = c.step({ type: 'electionTimeout', node: 's1' });
    expect(out.sent).toEqual([
      { type: 'RequestVote', from: 's1', to: 's2', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 },
      { type: 'RequestVote', from: 's1', to: 's3', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 },
    ]);
    expect(c.node('s1').view()).toMatchObject({ role: 'candidate', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'], leaderId: null, nextIndex: {}, matchIndex: {} });
    expect(deliver(c, 'RequestVote', 's1', 's2').sent).toEqual([{ type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true }]);
    expect(c.node('s2').view()).toMatchObject({ role: 'follower', currentTerm: 1, votedFor: 's1', leaderId: null, votesGranted: [] });
    const won = deliver(c, 'RequestVoteResponse', 's2', 's1');
    expect(c.node('s1').view()).toEqual({
      role: 'leader', currentTerm: 1, votedFor: 's1', log: [], commitIndex: 0, lastApplied: 0,
      nextIndex: { s2: 1, s3: 1 }, matchIndex: { s2: 0, s3: 0 }, votesGranted: ['s1', 's2'], leaderId: 's1',
    });
    expect(won.sent).toEqual([ae('s1', 's2', 1, 0, 0, [], 0), ae('s1', 's3', 1, 0, 0, [], 0)]);
    // A redirect names the leader heard from in the current term.
    expect(c.step({ type: 'clientRequest', node: 's3', command: 'y' }).replies).toEqual([{ type: 'redirect', node: 's3', client: null, seq: null, leader: null }]);
    deliver(c, 'AppendEntries', 's1', 's3');
    expect(c.step({ type: 'clientRequest', node: 's3', command: 'y' }).replies).toEqual([{ type: 'redirect', node: 's3', client: null, seq: null, leader: 's1' }]);
  });

  it('replicates, commits on a majority (LEA-3a, LEA-4), and applies only at an apply event (C7)', () => {
    const c = electS1();
    expect(c.step({ type: 'clientRequest', node: 's1', command: 'x' }).sent).toEqual([]); // C8: both heartbeats outstanding
    expect(deliver(c, 'AppendEntries', 's1', 's2').sent).toEqual([aer('s2', 's1', 1, true, 0, 0)]);
    // The response clears the flag; the match point (0) is known, so the entries follow at once.
    expect(deliver(c, 'AppendEntriesResponse', 's2', 's1').sent).toEqual([ae('s1', 's2', 1, 0, 0, [{ term: 1, command: 'x' }], 0)]);
    expect(deliver(c, 'AppendEntries', 's1', 's2').sent).toEqual([aer('s2', 's1', 1, true, 1, 0)]);
    const commit = deliver(c, 'AppendEntriesResponse', 's2', 's1');
    expect(commit).toEqual({ sent: [], replies: [] });
    expect(c.node('s1').view()).toMatchObject({ commitIndex: 1, lastApplied: 0, nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 1, s3: 0 } });
    expect(c.step({ type: 'apply', node: 's1' })).toEqual({
      sent: [], replies: [{ type: 'result', node: 's1', client: null, seq: null, index: 1, result: null, duplicate: false }],
    });
    expect(c.node('s1').view().lastApplied).toBe(1);
    expect(c.node('s1').applied).toEqual(['x']);
    // The heartbeat goes to s3 although its first one is outstanding (C8). Both match points are
    // known (matchIndex = nextIndex - 1, C3): s2 is caught up, s3 gets the entry; C6 clamps
    // leaderCommit to the last index sent.
    expect(c.step({ type: 'heartbeatTimeout', node: 's1' }).sent).toEqual([ae('s1', 's2', 1, 1, 1, [], 1), ae('s1', 's3', 1, 0, 0, [{ term: 1, command: 'x' }], 1)]);
    deliver(c, 'AppendEntries', 's1', 's2');
    expect(c.node('s2').view()).toMatchObject({ commitIndex: 1, lastApplied: 0 });
    expect(c.step({ type: 'apply', node: 's2' }).replies).toEqual([]); // s2 appended nothing itself
    expect(c.node('s2').view().lastApplied).toBe(1);
  });

  it('truncates a conflicting suffix (AE-3) and only on a real conflict', () => {
    const c = new Cluster(S3);
    // s1 led term 1 (with every vote) and appended "old", which nobody else got, then lost touch.
    Object.assign(c.node('s1'), { currentTerm: 1, votedFor: 's1', log: [{ term: 1, command: 'old' }] });
    for (const id of ['s2', 's3']) Object.assign(c.node(id), { currentTerm: 1, votedFor: 's1' });
    c.step({ type: 'electionTimeout', node: 's2' }); // term 2
    deliver(c, 'RequestVote', 's2', 's3');
    deliver(c, 'RequestVoteResponse', 's3', 's2'); // s2 leads term 2 with an empty log
    expect(c.step({ type: 'clientRequest', node: 's2', command: 'new' }).sent).toEqual([]); // C8
    // The (empty) heartbeat of term 2 makes s1 a follower (ALL-2) but truncates nothing.
    expect(deliver(c, 'AppendEntries', 's2', 's1').sent).toEqual([aer('s1', 's2', 2, true, 0, 0)]);
    expect(c.node('s1').view()).toMatchObject({ role: 'follower', currentTerm: 2, votedFor: null, leaderId: 's2', log: [{ term: 1, command: 'old' }] });
    expect(deliver(c, 'AppendEntriesResponse', 's1', 's2').sent).toEqual([ae('s2', 's1', 2, 0, 0, [{ term: 2, command: 'new' }], 0)]);
    expect(deliver(c, 'AppendEntries', 's2', 's1').sent).toEqual([aer('s1', 's2', 2, true, 1, 0)]);
    expect(c.node('s1').view().log).toEqual([{ term: 2, command: 'new' }]);
    // The same request again (a duplicate) matches and changes nothing.
    expect(c.node('s1').receive(ae('s2', 's1', 2, 0, 0, [{ term: 2, command: 'new' }], 0)).sent).toEqual([aer('s1', 's2', 2, true, 1, 0)]);
    expect(c.node('s1').view().log).toEqual([{ term: 2, command: 'new' }]);
  });
});

describe('compact Raft: the other side of each open choice', () => {
  it('C1 (DEC-3): a reordered older success moves nextIndex back, matchIndex stays', () => {
    const c = commitX();
    const older = aer('s2', 's1', 1, true, 1, 0);
    c.step({ type: 'clientRequest', node: 's1', command: 'y' }); // s2 has nothing outstanding: gets "y"
    deliver(c, 'AppendEntries', 's1', 's2');
    deliver(c, 'AppendEntriesResponse', 's2', 's1');
    expect(c.node('s1').view()).toMatchObject({ commitIndex: 2, nextIndex: { s2: 3, s3: 1 }, matchIndex: { s2: 2, s3: 0 } });
    // A delayed copy of s2's first success (matchIndex 1) arrives now.
    const out = c.node('s1').receive(older);
    expect(c.node('s1').view()).toMatchObject({ nextIndex: { s2: 2, s3: 1 }, matchIndex: { s2: 2, s3: 0 } });
    // C3: matchIndex (2) >= nextIndex - 1 (1): s2 holds the log through index 1, so the entries from 2
    // go again (nothing is outstanding); C6: leaderCommit min(2, 1 + 1) = 2.
    expect(out.sent).toEqual([ae('s1', 's2', 1, 1, 1, [{ term: 1, command: 'y' }], 2)]);
  });

  it('C2 + C3 (DEC-4, DEC-5): every rejection backs off by one; probes are empty until the match point is known', () => {
    const c = new Cluster(S3);
    const log = [{ term: 1, command: 'a' }, { term: 1, command: 'b' }];
    Object.assign(c.node('s1'), { currentTerm: 1, log: [...log], commitIndex: 0 });
    Object.assign(c.node('s2'), { currentTerm: 1, log: [...log] });
    c.step({ type: 'electionTimeout', node: 's1' });
    deliver(c, 'RequestVote', 's1', 's2');
    const won = deliver(c, 'RequestVoteResponse', 's2', 's1');
    expect(won.sent).toEqual([ae('s1', 's2', 2, 2, 1, [], 0), ae('s1', 's3', 2, 2, 1, [], 0)]); // empty probes at nextIndex 3
    expect(deliver(c, 'AppendEntries', 's1', 's3').sent).toEqual([aer('s3', 's1', 2, false, 0, 2)]);
    c.step({ type: 'duplicate', message: aer('s3', 's1', 2, false, 0, 2) });
    expect(deliver(c, 'AppendEntriesResponse', 's3', 's1').sent).toEqual([ae('s1', 's3', 2, 1, 1, [], 0)]);
    // The duplicate of the same rejection backs off again (C2), to 1: the match point 0 is known,
    // so the retry carries everything from index 1 (C3, no batch limit).
    expect(deliver(c, 'AppendEntriesResponse', 's3', 's1').sent).toEqual([ae('s1', 's3', 2, 0, 0, log, 0)]);
    expect(c.node('s1').view()).toMatchObject({ nextIndex: { s2: 3, s3: 1 }, matchIndex: { s2: 0, s3: 0 } });
    // Stays at 1 (never below).
    c.node('s1').receive(aer('s3', 's1', 2, false, 0, 1));
    expect(c.node('s1').view().nextIndex).toEqual({ s2: 3, s3: 1 });
  });

  it('C5 (DEC-7): commitIndex survives a crash; lastApplied restarts at 0 and apply rebuilds the state machine', () => {
    const c = commitX();
    c.step({ type: 'apply', node: 's1' });
    c.step({ type: 'crash', node: 's1' });
    expect(c.views().s1).toBeUndefined(); // nothing is recorded for a crashed node
    expect(c.node('s1').view()).toEqual({
      role: 'follower', currentTerm: 1, votedFor: 's1', log: [{ term: 1, command: 'x' }], commitIndex: 1, lastApplied: 0,
      nextIndex: {}, matchIndex: {}, votesGranted: [], leaderId: null,
    });
    expect(c.node('s1').applied).toEqual([]);
    expect(c.step({ type: 'electionTimeout', node: 's1' })).toEqual({ sent: [], replies: [] }); // down: no effect
    c.step({ type: 'restart', node: 's1' });
    expect(c.step({ type: 'apply', node: 's1' })).toEqual({ sent: [], replies: [] }); // the answer was lost with the crash
    expect(c.node('s1').view()).toMatchObject({ commitIndex: 1, lastApplied: 1 });
    expect(c.node('s1').applied).toEqual(['x']);
  });

  it('C8: one outstanding AppendEntries per peer; a heartbeat sends anyway; a response clears the flag', () => {
    const c = electS1(); // both heartbeats outstanding
    expect(c.step({ type: 'clientRequest', node: 's1', command: 'x' }).sent).toEqual([]);
    expect(c.node('s1').outstanding).toEqual(new Map([['s2', true], ['s3', true]]));
    const hb = c.step({ type: 'heartbeatTimeout', node: 's1' });
    expect(hb.sent).toEqual([ae('s1', 's2', 1, 0, 0, [{ term: 1, command: 'x' }], 0), ae('s1', 's3', 1, 0, 0, [{ term: 1, command: 'x' }], 0)]);
    deliver(c, 'AppendEntries', 's1', 's2'); // the first heartbeat (empty)
    deliver(c, 'AppendEntriesResponse', 's2', 's1'); // clears s2's flag, and the entry is re-sent
    expect(c.node('s1').outstanding).toEqual(new Map([['s2', true], ['s3', true]]));
    expect(c.step({ type: 'clientRequest', node: 's1', command: 'y' }).sent).toEqual([]);
    // A response of an older term clears nothing.
    c.node('s1').receive(aer('s2', 's1', 0, true, 0, 0));
    expect(c.node('s1').outstanding.get('s2')).toBe(true);
  });

  it('C9: a stale RequestVote or AppendEntries gets no reply at all', () => {
    const c = electS1();
    c.step({ type: 'electionTimeout', node: 's3' });
    c.step({ type: 'electionTimeout', node: 's3' }); // s3: candidate of term 2
    const before = c.node('s3').view();
    expect(deliver(c, 'AppendEntries', 's1', 's3')).toEqual({ sent: [], replies: [] });
    expect(deliver(c, 'RequestVote', 's1', 's3')).toEqual({ sent: [], replies: [] });
    expect(c.node('s3').view()).toEqual(before);
    expect(before).toMatchObject({ role: 'candidate', currentTerm: 2, leaderId: null });
  });
});

describe('compact Raft: the harness', () => {
  it('imports nothing of this repository outside examples/compact-raft/', () => {
    const dir = join(import.meta.dirname, '..');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const specifiers = [...readFileSync(join(dir, f), 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      expect(specifiers.filter((x) => !x.startsWith('./') && !x.startsWith('node:')), f).toEqual([]);
    }
  });

  it('is deterministic: the same seed gives the same JSON, byte for byte', () => {
    for (const servers of [3, 5]) {
      const a = traceJson(generateTrace({ seed: 42, servers, steps: 300 }).trace);
      const b = traceJson(generateTrace({ seed: 42, servers, steps: 300 }).trace);
      expect(a).toBe(b);
      expect(traceJson(generateTrace({ seed: 43, servers, steps: 300 }).trace)).not.toBe(a);
    }
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'compact-raft-')));
    for (const out of dirs) writeRuns({ seed: 7, runs: 2, servers: 3, steps: 200, out });
    const files = readdirSync(dirs[0]!).sort();
    expect(files).toEqual(['compact-raft-3-seed-7.json', 'compact-raft-3-seed-8.json']);
    for (const f of files) expect(readFileSync(join(dirs[1]!, f), 'utf8')).toBe(readFileSync(join(dirs[0]!, f), 'utf8'));
  });

  it('writes every step with sent, nodes, replies and crashed, and no inFlight', () => {
    const { trace } = generateTrace({ seed: 3, servers: 3, steps: 100 });
    const parsed = JSON.parse(traceJson(trace));
    // No options: it sends every entry from nextIndex (C3), which DEC-6b accepts without a batch size.
    expect(Object.keys(parsed)).toEqual(['format', 'version', 'name', 'description', 'source', 'cluster', 'steps']);
    for (const step of parsed.steps) {
      expect(Object.keys(step)).toEqual(['event', 'sent', 'expect']);
      expect(Object.keys(step.expect)).toEqual(['nodes', 'replies', 'crashed']);
      for (const id of S3) expect(id in step.expect.nodes).toBe(!step.expect.crashed.includes(id));
    }
  });

  it('ends the trace with an error event when the implementation throws', () => {
    const spy = vi.spyOn(RaftNode.prototype, 'apply').mockImplementation(function (this: RaftNode) {
      throw new Error(`${this.id} cannot apply`);
    });
    try {
      const { trace, stats } = generateTrace({ seed: 1, servers: 3, steps: 300 });
      expect(stats.errors).toBe(1);
      const [thrown, error] = trace.steps.slice(-2);
      const node = (thrown!.event as { node: string }).node;
      expect(thrown).toEqual({ event: { type: 'apply', node } }); // the event that threw: no sent, no expect
      expect(error).toEqual({ event: { type: 'error', node, message: `${node} cannot apply` } });
    } finally {
      spy.mockRestore();
    }
  });

  it('random runs elect, commit, apply and truncate, and stay safe', () => {
    const total = { elections: 0, commits: 0, truncations: 0, results: 0, errors: 0 };
    for (const servers of [3, 5]) {
      for (let seed = 1; seed <= 15; seed++) {
        const { trace, stats } = generateTrace({ seed, servers, steps: 400 });
        total.elections += stats.elections;
        total.commits += stats.maxCommit;
        total.truncations += stats.truncations;
        total.results += stats.results;
        total.errors += stats.errors;
        // Election Safety and State Machine Safety, checked here on the recorded states.
        const leaderOf = new Map<number, string>();
        const appliedAt = new Map<number, string>();
        for (const step of trace.steps) {
          for (const [id, v] of Object.entries(step.expect?.nodes ?? {})) {
            if (v.role === 'leader') {
              expect(leaderOf.get(v.currentTerm) ?? id).toBe(id);
              leaderOf.set(v.currentTerm, id);
            }
            expect(v.lastApplied).toBeLessThanOrEqual(v.commitIndex);
            expect(v.commitIndex).toBeLessThanOrEqual(v.log.length);
            for (let i = 1; i <= v.commitIndex; i++) {
              const key = JSON.stringify(v.log[i - 1]);
              expect(appliedAt.get(i) ?? key).toBe(key);
              appliedAt.set(i, key);
            }
          }
        }
      }
    }
    expect(total.errors).toBe(0);
    expect(total.elections).toBeGreaterThan(30);
    expect(total.commits).toBeGreaterThan(30);
    expect(total.results).toBeGreaterThan(30);
    expect(total.truncations).toBeGreaterThan(3);
  });
});
