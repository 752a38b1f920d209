// The single-server membership bug Ongaro published on raft-dev in July 2015, end to end on the
// implementation (docs/membership.md, CFG-7, INV-14). Five servers s1 .. s5, bootstrap voters s1 .. s4.
// s1 leads term 1, commits x, and adds s5 by a single change (C5 = {s1 .. s5} at index 2) that
// reaches s5 only; s1 crashes. s2 is elected in term 2 by s2, s3, s4 and is asked to remove s1 (a
// single change to C3 = {s2, s3, s4}) before it has committed an entry of term 2.
//
// - The real implementation refuses until s2 has committed an entry of its term (z, with s3 and
//   s4: 3 of C_old's 4); then C3 is appended and committed, and s1, back with C5 in force, cannot
//   be elected: s3 and s4 hold entries of term 2 and refuse it.
// - NoTermGuard (test/mutants.ts) appends C3 at once and commits it with s3 (2 of 3) while s4 holds
//   only x; s1 comes back and is elected in term 3 by s1, s4, s5 (3 of C5's 5) while s2 still leads
//   term 2 with the quorum {s2, s3} of C3: INV-14 (and SAFE-4: s1 lacks C3, committed in term 2).
//   s1 then commits y, and with it its own C5 at index 2, where C3 was committed: INV-9 and SAFE-5.
//
// The nodes are driven by hand over a network this file keeps; after every step the changed node's
// toJSON() is turned into the model's state (model/state.ts fromJson) and the step is handed to the
// model's InvariantChecker. Steps are numbered from 1 (0 is the initial state), counting only
// inputs to a node, crashes and restarts; a message lost on the way (s1 is cut off) is no step.
import { describe, expect, it } from 'vitest';
import type { Message, NodeId } from '../spec/schema.js';
import { MemoryStorage, RaftNode, type Input, type RaftConfig, type Ready } from '../impl/index.js';
import { initCluster, type ClusterState, type ClusterStep } from '../model/cluster.js';
import { fromJson, type NodeState } from '../model/state.js';
import { InvariantChecker, type Violation } from '../model/invariants.js';
import { loadMutant, MUTANTS } from './mutants.js';

const SERVERS: readonly NodeId[] = ['s1', 's2', 's3', 's4', 's5'];
const BOOTSTRAP = { voters: ['s1', 's2', 's3', 's4'] };
const C5 = { voters: ['s1', 's2', 's3', 's4', 's5'] };
const C3 = { voters: ['s2', 's3', 's4'] };
/** Up to four entries per AppendEntries, so that a follower behind by two entries catches up in one. */
const OPTIONS = { maxEntriesPerAppendEntries: 4 };

type NodeClass = typeof RaftNode;

/** NoTermGuard's RaftNode (test/mutants.ts): CFG-7 without the 2015 fix. */
const noTermGuard = (): Promise<NodeClass> => loadMutant(MUTANTS.find((m) => m.name === 'NoTermGuard') as (typeof MUTANTS)[number]);

/** The servers, their disks, the messages in flight, and the model's view of every step. */
class Run {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly disks = new Map<NodeId, MemoryStorage>();
  readonly configs = new Map<NodeId, RaftConfig>();
  readonly down = new Set<NodeId>();
  flight: Message[] = [];
  step = 0;
  /** Every violation the checker reported, with the step it names. */
  readonly violations: Violation[] = [];
  private state: ClusterState;
  private readonly checker: InvariantChecker;

  constructor(private readonly cls: NodeClass) {
    for (const id of SERVERS) {
      const config: RaftConfig = { id, servers: SERVERS, options: OPTIONS, bootstrap: BOOTSTRAP };
      this.configs.set(id, config);
      this.nodes.set(id, new cls(config));
      this.disks.set(id, new MemoryStorage());
    }
    this.state = initCluster(SERVERS, OPTIONS, undefined, BOOTSTRAP);
    this.checker = new InvariantChecker(this.state);
    this.violations.push(...this.checker.takeInitialViolations());
  }

  node(id: NodeId): RaftNode {
    return this.nodes.get(id) as RaftNode;
  }

  /** One input to a live server: persisted, its messages in flight, then checked by the model. */
  input(id: NodeId, input: Input): Ready {
    if (this.down.has(id)) throw new Error(`${id} is down`);
    const ready = this.node(id).step(input);
    (this.disks.get(id) as MemoryStorage).save(ready);
    this.flight.push(...ready.messages);
    this.check(id, input.type, ready);
    return ready;
  }

  /** Delivers the oldest message in flight of this type from `from` to `to` (it must be there). */
  deliver(type: Message['type'], from: NodeId, to: NodeId): Ready {
    const k = this.flight.findIndex((m) => m.type === type && m.from === from && m.to === to);
    if (k < 0) throw new Error(`no ${type} from ${from} to ${to} in flight`);
    const m = this.flight[k] as Message;
    this.flight.splice(k, 1);
    return this.input(to, m);
  }

  /** Loses every message in flight from `from` to `to` (s1 cut off, or an answer nobody needs). */
  lose(from: NodeId, to: NodeId): void {
    this.flight = this.flight.filter((m) => !(m.from === from && m.to === to));
  }

  /** A crash: the server comes back (down) from what its disk holds (PER-1), as the model's crash does. */
  crash(id: NodeId): void {
    this.nodes.set(id, this.cls.restart(this.configs.get(id) as RaftConfig, this.disks.get(id) as MemoryStorage));
    this.down.add(id);
    this.flight = this.flight.filter((m) => m.to !== id);
    this.check(id, 'crash', null);
  }

  restart(id: NodeId): void {
    this.down.delete(id);
    this.check(id, 'restart', null);
  }

  private check(id: NodeId, type: string, ready: Ready | null): void {
    this.step++;
    const prev = this.state;
    const crashed = new Set(this.down);
    // A restart changes no state: the node's object stays the same, so the checker skips it.
    const nodes = type === 'restart' ? prev.nodes : { ...prev.nodes, [id]: this.modelState(id, prev) };
    this.state = { ...prev, nodes, crashed };
    const r: ClusterStep = { state: this.state, node: id, sent: ready?.messages ?? [], applied: ready?.applied ?? [], replies: [], rules: [] };
    this.violations.push(...this.checker.check(prev, r, this.step, { type }));
  }

  /**
   * The node's state as the model's NodeState. The checker tells a change of configuration by the
   * configuration object (INV-14 is checked when a leader takes office or changes configuration),
   * so the Log is carried forward as the model's would be: the entries the step did not touch are
   * the previous Log's (the implementation says from which index it wrote), the others appended.
   */
  private modelState(id: NodeId, prev: ClusterState): NodeState {
    const n = this.node(id);
    const s = fromJson(n.toJSON());
    const before = prev.nodes[id] as NodeState;
    const from = n.takeLogChangedFrom();
    if (s.snapshotIndex !== before.snapshotIndex || (from !== Infinity && from - 1 > before.log.lastIndex)) return s;
    if (from === Infinity) return { ...s, log: before.log };
    const written = Array.from({ length: n.lastIndex - from + 1 }, (_, k) => n.entryAt(from + k));
    return { ...s, log: before.log.truncateAfter(from - 1).append(written) };
  }

  /** The violations found at one step, as "ID nodes". */
  at(step: number): string[] {
    return this.violations.filter((v) => v.step === step).map((v) => `${v.id} ${v.nodes.join(',')}`);
  }
}

/**
 * Steps 1 .. 24, the same for both: s1 elected in term 1 (by s2 and s3; s4 votes too), x committed
 * at index 1 and held by all four voters (only s1 and s3 know it is committed), C5 appended at index 2 and replicated to s5 only, s1
 * crashes; s2 elected in term 2 by s2, s3, s4, its heartbeats lost.
 */
function prefix(run: Run): void {
  run.input('s1', { type: 'electionTimeout' }); // 1: term 1, RequestVote to s2, s3, s4
  run.deliver('RequestVote', 's1', 's2'); // 2
  run.deliver('RequestVote', 's1', 's3'); // 3
  run.deliver('RequestVote', 's1', 's4'); // 4
  run.deliver('RequestVoteResponse', 's2', 's1'); // 5
  run.deliver('RequestVoteResponse', 's3', 's1'); // 6: leader of term 1 (3 of 4)
  run.lose('s4', 's1');
  run.lose('s1', 's2');
  run.lose('s1', 's3');
  run.lose('s1', 's4');
  run.input('s1', { type: 'clientRequest', command: 'x' }); // 7: x at index 1
  run.deliver('AppendEntries', 's1', 's2'); // 8
  run.deliver('AppendEntries', 's1', 's3'); // 9
  run.deliver('AppendEntries', 's1', 's4'); // 10
  run.deliver('AppendEntriesResponse', 's2', 's1'); // 11
  run.deliver('AppendEntriesResponse', 's3', 's1'); // 12: x committed (3 of 4)
  run.deliver('AppendEntriesResponse', 's4', 's1'); // 13
  // s1 is cut off from s2, s3, s4 from here on.
  run.input('s1', { type: 'reconfigure', change: 'single', voters: C5.voters }); // 14: C5 at index 2
  run.lose('s1', 's2');
  run.lose('s1', 's3');
  run.lose('s1', 's4');
  run.deliver('AppendEntries', 's1', 's5'); // 15: s5 holds nothing: rejected (AE-2)
  run.deliver('AppendEntriesResponse', 's5', 's1'); // 16: nextIndex 1
  run.deliver('AppendEntries', 's1', 's5'); // 17: x and C5
  run.deliver('AppendEntriesResponse', 's5', 's1'); // 18: 2 of C5's 5: not committed
  run.crash('s1'); // 19
  run.input('s2', { type: 'electionTimeout' }); // 20: term 2, RequestVote to s1, s3, s4 (C_old)
  run.lose('s2', 's1');
  run.deliver('RequestVote', 's2', 's3'); // 21
  run.deliver('RequestVote', 's2', 's4'); // 22
  run.deliver('RequestVoteResponse', 's3', 's2'); // 23
  run.deliver('RequestVoteResponse', 's4', 's2'); // 24: leader of term 2 (3 of 4)
  for (const to of ['s1', 's3', 's4']) run.lose('s2', to); // its heartbeats
}

/** The configuration in force, the log's terms and commitIndex of a server. */
const summary = (n: RaftNode) => ({ role: n.role, term: n.currentTerm, config: n.config, terms: Array.from({ length: n.lastIndex }, (_, k) => n.entryAt(k + 1).term), commitIndex: n.commitIndex });

describe('the 2015 single-server bug (CFG-7), end to end on the implementation, checked by the model (INV-14)', () => {
  it('CFG-7: the real implementation refuses to remove s1 until s2 has committed an entry of term 2, and s1 is never elected; no invariant breaks', () => {
    const run = new Run(RaftNode);
    prefix(run);
    expect(summary(run.node('s1'))).toEqual({ role: 'follower', term: 1, config: C5, terms: [1, 1], commitIndex: 0 }); // volatile: lost in the crash
    expect(summary(run.node('s5'))).toEqual({ role: 'follower', term: 1, config: C5, terms: [1, 1], commitIndex: 1 });
    expect(summary(run.node('s2'))).toEqual({ role: 'leader', term: 2, config: BOOTSTRAP, terms: [1], commitIndex: 0 }); // s1 told no one that x was committed

    // Step 25: refused, nothing appended or sent.
    const refused = run.input('s2', { type: 'reconfigure', change: 'single', voters: C3.voters });
    expect(refused.messages).toEqual([]);
    expect(refused.appended).toBeNull();
    expect(summary(run.node('s2'))).toEqual({ role: 'leader', term: 2, config: BOOTSTRAP, terms: [1], commitIndex: 0 });

    // An entry of term 2, committed with s3 and s4 (3 of C_old's 4).
    run.input('s2', { type: 'clientRequest', command: 'z' }); // 26: z at index 2
    run.lose('s2', 's1');
    run.deliver('AppendEntries', 's2', 's3'); // 27
    run.deliver('AppendEntries', 's2', 's4'); // 28
    run.deliver('AppendEntriesResponse', 's3', 's2'); // 29
    run.deliver('AppendEntriesResponse', 's4', 's2'); // 30: z committed
    expect(run.node('s2').commitIndex).toBe(2);

    // Step 31: now accepted, C3 at index 3, committed with s3 (2 of 3); s4 does not get it.
    const accepted = run.input('s2', { type: 'reconfigure', change: 'single', voters: C3.voters });
    expect(accepted.appended).toEqual({ index: 3, entries: [{ term: 2, command: null, config: C3 }] });
    expect(accepted.messages.map((m) => `${m.type} ${m.to}`)).toEqual(['AppendEntries s3', 'AppendEntries s4']);
    run.deliver('AppendEntries', 's2', 's3'); // 32
    run.deliver('AppendEntriesResponse', 's3', 's2'); // 33
    run.lose('s2', 's4');
    expect(summary(run.node('s2'))).toEqual({ role: 'leader', term: 2, config: C3, terms: [1, 2, 2], commitIndex: 3 });
    expect(summary(run.node('s4'))).toEqual({ role: 'follower', term: 2, config: BOOTSTRAP, terms: [1, 2], commitIndex: 0 });

    // s1 comes back with C5 in force, times out twice (the first term's RequestVotes are lost).
    run.restart('s1'); // 34
    run.input('s1', { type: 'electionTimeout' }); // 35: term 2
    for (const to of ['s2', 's3', 's4', 's5']) run.lose('s1', to);
    run.input('s1', { type: 'electionTimeout' }); // 36: term 3, RequestVote to s2, s3, s4, s5
    run.deliver('RequestVote', 's1', 's4'); // 37: s4's log ends with term 2: refused (RV-2)
    run.deliver('RequestVote', 's1', 's5'); // 38: granted
    run.deliver('RequestVote', 's1', 's3'); // 39: refused
    run.deliver('RequestVote', 's1', 's2'); // 40: refused; s2 adopts term 3 and steps down (ALL-2)
    run.deliver('RequestVoteResponse', 's4', 's1'); // 41
    run.deliver('RequestVoteResponse', 's5', 's1'); // 42: 2 of C5's 5
    run.deliver('RequestVoteResponse', 's3', 's1'); // 43
    run.deliver('RequestVoteResponse', 's2', 's1'); // 44
    expect(run.step).toBe(44);
    expect(run.flight).toEqual([]);
    expect(summary(run.node('s1'))).toEqual({ role: 'candidate', term: 3, config: C5, terms: [1, 1], commitIndex: 0 });
    expect([...run.node('s1').votesGranted()].sort()).toEqual(['s1', 's5']);
    expect(run.node('s2').role).toBe('follower');
    expect(['s2', 's3', 's4', 's5'].map((id) => run.node(id).votedFor)).toEqual([null, null, null, 's1']);
    expect(run.violations).toEqual([]);
  });

  it('INV-14, SAFE-4, then INV-9 and SAFE-5: without the term guard (NoTermGuard) s2 removes s1 at once, and s1 is elected in term 3 by s1, s4, s5 while s2 leads term 2', async () => {
    const run = new Run(await noTermGuard());
    prefix(run);

    // Step 25: accepted before any entry of term 2 is committed: C3 at index 2.
    const accepted = run.input('s2', { type: 'reconfigure', change: 'single', voters: C3.voters });
    expect(accepted.appended).toEqual({ index: 2, entries: [{ term: 2, command: null, config: C3 }] });
    run.deliver('AppendEntries', 's2', 's3'); // 26
    run.deliver('AppendEntriesResponse', 's3', 's2'); // 27: committed with s3 (2 of 3)
    run.lose('s2', 's4');
    expect(summary(run.node('s2'))).toEqual({ role: 'leader', term: 2, config: C3, terms: [1, 2], commitIndex: 2 });
    expect(summary(run.node('s4'))).toEqual({ role: 'follower', term: 2, config: BOOTSTRAP, terms: [1], commitIndex: 0 });
    expect(run.violations).toEqual([]);

    run.restart('s1'); // 28
    run.input('s1', { type: 'electionTimeout' }); // 29: term 2
    for (const to of ['s2', 's3', 's4', 's5']) run.lose('s1', to);
    run.input('s1', { type: 'electionTimeout' }); // 30: term 3
    run.lose('s1', 's2');
    run.lose('s1', 's3');
    run.deliver('RequestVote', 's1', 's4'); // 31: s4's log (x) is not newer than s1's (x, C5): granted
    run.deliver('RequestVote', 's1', 's5'); // 32: granted
    run.deliver('RequestVoteResponse', 's4', 's1'); // 33
    expect(run.violations).toEqual([]);
    run.deliver('RequestVoteResponse', 's5', 's1'); // 34: leader of term 3 (3 of C5's 5)
    expect(summary(run.node('s1'))).toEqual({ role: 'leader', term: 3, config: C5, terms: [1, 1], commitIndex: 0 });
    expect(summary(run.node('s2'))).toEqual({ role: 'leader', term: 2, config: C3, terms: [1, 2], commitIndex: 2 });
    expect(['s1', 's2', 's3', 's4', 's5'].map((id) => run.node(id).currentTerm)).toEqual([3, 2, 2, 3, 3]);
    // s2's quorum {s2, s3} of C3 is still at term 2, disjoint from s1's voters s1, s4, s5.
    expect(run.at(34).sort()).toEqual(['INV-14 s2,s1', 'SAFE-4 s1']);

    // s1 commits y, and with it C5 at index 2, where s2 committed C3.
    for (const to of ['s2', 's3', 's4', 's5']) run.lose('s1', to); // its heartbeats
    run.input('s1', { type: 'clientRequest', command: 'y' }); // 35: y at index 3
    run.lose('s1', 's2');
    run.lose('s1', 's3');
    run.deliver('AppendEntries', 's1', 's4'); // 36: s4 has no index 2: rejected
    run.deliver('AppendEntries', 's1', 's5'); // 37
    run.deliver('AppendEntriesResponse', 's5', 's1'); // 38: 2 of 5
    run.deliver('AppendEntriesResponse', 's4', 's1'); // 39: nextIndex 2
    run.deliver('AppendEntries', 's1', 's4'); // 40: C5 and y
    expect(run.violations.map((v) => v.step)).toEqual([34, 34]); // nothing new while s1 catches s4 up
    const committed = run.deliver('AppendEntriesResponse', 's4', 's1'); // 41: 3 of 5: commitIndex 3
    expect(committed.applied.map((a) => `${a.index}@t${a.term}`)).toEqual(['1@t1', '2@t1', '3@t3']); // s1 applies again from index 1 after its crash
    expect(summary(run.node('s1'))).toEqual({ role: 'leader', term: 3, config: C5, terms: [1, 1, 3], commitIndex: 3 });
    expect(run.at(41).sort()).toEqual(['INV-9 s1', 'SAFE-5 s2,s1']);
    expect(run.step).toBe(41);
  });
});
