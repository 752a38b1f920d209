// Whole clusters in process: election, replication of many commands, recovery from partitions and
// crashes, and Figure 3's safety properties under random message loss and crashes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../spec/canonical.js';
import type { Message, NodeId } from '../../spec/schema.js';
import { Cluster, type AppliedEntry } from '../index.js';

/** Records what every server applies, and checks State Machine Safety as it goes (SAFE-5). */
class StateMachines {
  readonly applied = new Map<NodeId, unknown[]>();
  private readonly at = new Map<number, string>();
  readonly onApply = (id: NodeId, e: AppliedEntry): void => {
    const list = this.applied.get(id) ?? [];
    if (e.index === 1) list.length = 0; // a restarted server applies its log again from the start
    expect(e.index).toBe(list.length + 1); // ALL-1: in order, none skipped
    list.push(e.command);
    this.applied.set(id, list);
    const key = `${e.term} ${canonicalJson(e.command)}`;
    const first = this.at.get(e.index);
    if (first === undefined) this.at.set(e.index, key);
    else expect(key, `SAFE-5 at index ${e.index}`).toBe(first);
  };
}

function expectLogsEqual(c: Cluster): void {
  const [first, ...rest] = c.servers.map((id) => c.node(id).toJSON().log);
  for (const log of rest) expect(log).toEqual(first);
  for (const id of c.servers) expect(c.storage(id).log).toEqual(first); // PER-1: storage holds the log
}

/** Election timeouts, server by server, until some server leads and every live server follows it. */
function electSomeone(c: Cluster): void {
  for (let round = 0; round < 10; round++) {
    for (const id of c.servers) {
      if (c.isDown(id)) continue;
      c.electionTimeout(id);
      c.runUntilQuiet();
      const leader = c.leader();
      if (leader && c.servers.every((s) => c.isDown(s) || s === leader.id || c.node(s).role === 'follower')) return;
    }
  }
  throw new Error('no leader after 10 rounds of election timeouts');
}

describe('an in-process cluster', () => {
  it('3 servers elect a leader and commit 1000 commands; every log and state machine ends equal', () => {
    const sm = new StateMachines();
    const c = new Cluster(['s1', 's2', 's3'], { onApply: sm.onApply });
    c.electionTimeout('s1');
    c.runUntilQuiet();
    expect(c.leader()?.id).toBe('s1');
    for (let k = 0; k < 1000; k++) {
      const p = c.propose({ op: 'put', k });
      expect(p).toMatchObject({ index: k + 1, term: 1, isLeader: true });
      c.runUntilQuiet();
    }
    c.heartbeatTimeout('s1');
    c.runUntilQuiet();
    expectLogsEqual(c);
    const commands = Array.from({ length: 1000 }, (_, k) => ({ op: 'put', k }));
    for (const id of c.servers) {
      expect(c.node(id).commitIndex).toBe(1000);
      expect(sm.applied.get(id)).toEqual(commands);
    }
  });

  it('replicates batches when an AppendEntries may carry several entries (DEC-6)', () => {
    const sm = new StateMachines();
    const c = new Cluster(5, { options: { maxEntriesPerAppendEntries: 8 }, onApply: sm.onApply });
    c.electionTimeout('n3');
    c.runUntilQuiet();
    for (let k = 0; k < 300; k++) {
      c.propose(k);
      if (k % 10 === 9) c.runUntilQuiet();
    }
    c.heartbeatTimeout('n3');
    c.runUntilQuiet();
    expectLogsEqual(c);
    for (const id of c.servers) expect(sm.applied.get(id)?.length).toBe(300);
  });

  it('an isolated old leader loses its uncommitted entries to the new leader once the partition heals (AE-3, LEA-3b)', () => {
    const isolated = new Set<NodeId>();
    const sm = new StateMachines();
    const c = new Cluster(['s1', 's2', 's3'], { onApply: sm.onApply, drop: (m: Message) => isolated.has(m.from) || isolated.has(m.to) });
    c.electionTimeout('s1');
    c.runUntilQuiet();
    for (let k = 0; k < 5; k++) c.propose(`a${k}`);
    c.runUntilQuiet();
    isolated.add('s1');
    for (let k = 0; k < 3; k++) c.propose(`lost${k}`, 's1'); // never reaches a majority
    c.electionTimeout('s2');
    c.runUntilQuiet();
    expect(c.node('s2').role).toBe('leader');
    for (let k = 0; k < 4; k++) c.propose(`b${k}`, 's2');
    c.runUntilQuiet();
    isolated.clear();
    c.heartbeatTimeout('s2');
    c.runUntilQuiet();
    c.heartbeatTimeout('s2');
    c.runUntilQuiet();
    expect(c.node('s1').role).toBe('follower');
    expectLogsEqual(c);
    const expected = ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3'];
    for (const id of c.servers) expect(sm.applied.get(id)).toEqual(expected);
  });

  it('a crashed leader is replaced, and restarts from its storage to catch up (PER-1)', () => {
    const sm = new StateMachines();
    const c = new Cluster(['s1', 's2', 's3'], { onApply: sm.onApply });
    c.electionTimeout('s1');
    c.runUntilQuiet();
    for (let k = 0; k < 10; k++) c.propose(k);
    c.runUntilQuiet();
    c.crash('s1');
    expect(c.propose('refused', 's1')).toBeNull();
    c.electionTimeout('s3');
    c.runUntilQuiet();
    expect(c.leader()?.id).toBe('s3');
    for (let k = 10; k < 20; k++) c.propose(k);
    c.runUntilQuiet();
    c.restart('s1');
    expect(c.node('s1').toJSON()).toMatchObject({ role: 'follower', currentTerm: 1, votedFor: 's1', commitIndex: 0 });
    c.heartbeatTimeout('s3');
    c.runUntilQuiet();
    c.heartbeatTimeout('s3');
    c.runUntilQuiet();
    expectLogsEqual(c);
    expect(c.node('s1').currentTerm).toBe(2);
    for (const id of c.servers) expect(sm.applied.get(id)).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });

  it('keeps Figure 3\'s safety properties under random message loss and crashes, and recovers afterwards', () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('timeout' as const), node: fc.nat(4) }),
      fc.record({ kind: fc.constant('heartbeat' as const), node: fc.nat(4) }),
      fc.record({ kind: fc.constant('propose' as const), node: fc.nat(4) }),
      fc.record({ kind: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant('crash' as const), node: fc.nat(4) }),
      fc.record({ kind: fc.constant('restart' as const), node: fc.nat(4) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.array(action, { maxLength: 150 }), fc.infiniteStream(fc.boolean()), (n, maxEntries, actions, lossy) => {
      const loss = lossy[Symbol.iterator]();
      const sm = new StateMachines();
      let chaos = true;
      const c = new Cluster(n, { options: { maxEntriesPerAppendEntries: maxEntries }, onApply: sm.onApply, drop: () => chaos && loss.next().value === true });
      const leaderOfTerm = new Map<number, NodeId>();
      const checkElectionSafety = () => {
        for (const id of c.servers) {
          const s = c.node(id);
          if (s.role !== 'leader') continue;
          const other = leaderOfTerm.get(s.currentTerm) ?? id;
          expect(other, `SAFE-1: two leaders in term ${s.currentTerm}`).toBe(id);
          leaderOfTerm.set(s.currentTerm, id);
        }
      };
      let cmd = 0;
      for (const a of actions) {
        const id = 'node' in a ? `n${(a.node % n) + 1}` : '';
        switch (a.kind) {
          case 'timeout': c.electionTimeout(id); break;
          case 'heartbeat': c.heartbeatTimeout(id); break;
          case 'propose': c.propose(cmd++, id); break;
          case 'deliver': for (let k = 0; k < a.count; k++) c.deliverNext(); break;
          case 'crash': c.crash(id); break;
          case 'restart': if (c.isDown(id)) c.restart(id); break;
        }
        checkElectionSafety();
      }
      // Then a quiet, reliable network: everyone back, a leader, one command of its term, and every log equal.
      chaos = false;
      for (const id of c.servers) if (c.isDown(id)) c.restart(id);
      c.runUntilQuiet();
      electSomeone(c);
      checkElectionSafety();
      const leader = c.leader();
      if (!leader) throw new Error('no leader');
      c.propose('final');
      c.runUntilQuiet();
      c.heartbeatTimeout(leader.id);
      c.runUntilQuiet();
      expectLogsEqual(c);
      for (const id of c.servers) expect(c.node(id).commitIndex).toBe(leader.lastIndex);
    }), { numRuns: 150, seed: 20240611 });
  });
});
