// Follower reads end to end (issue 15, docs/follower-reads.md): syncs in the client history, the
// run's client history checked against ZooKeeper's guarantees (ZK-1 .. ZK-4) instead of LIN-1 when
// the trace's options have followerReads, and a lockstep campaign of model and impl/ with follower
// reads and syncs. Hand-written histories state their expected verdicts; the campaign is checked
// for what it must have exercised.
import { describe, it, expect } from 'vitest';
import type { ClientReply, Event, Trace } from '../../spec/schema.js';
import { historyOf, type HistoryStep } from '../history.js';
import { checkClientHistory, replay, zooKeeperStart } from '../replay.js';
import { runCampaign, nodeIds, generateOptions } from '../campaign.js';
import { CLIENT_WEIGHTS, DEFAULT_CLIENTS, scheduleArb, traceFromChoices } from '../generate.js';
import { applyEvent, initCluster } from '../../model/cluster.js';
import { EMPTY_KV } from '../../spec/schema.js';
import fc from 'fast-check';

const putX = (value: string, client: string, seq: number) => ({ op: 'put', key: 'x', value, client, seq });
const step = (index: number, event: Event, replies: ClientReply[] = [], applied?: { index: number; command: unknown }[]): HistoryStep =>
  ({ index, event, replies, ...(applied ? { applied } : {}) });
const read = (node: string, client: string, seq: number, after?: number): Event => ({ type: 'clientRead', node, client, seq, key: 'x', ...(after === undefined ? {} : { after }) });
const readReply = (node: string, client: string, seq: number, index: number, result: string | null): ClientReply => ({ type: 'read', node, client, seq, key: 'x', index, result });

/** c1 puts x "a" at s1 (step 0), applied at index 1 and answered in step 1 (s1 and s2 apply it there). */
const WRITE: HistoryStep[] = [
  step(0, { type: 'clientRequest', node: 's1', command: putX('a', 'c1', 1) }),
  step(1, { type: 'heartbeatTimeout', node: 's1' }, [{ type: 'result', node: 's1', client: 'c1', seq: 1, index: 1, result: null, duplicate: false }], [{ index: 1, command: putX('a', 'c1', 1) }]),
];
const FROM_EMPTY = { initial: { index: 0, machine: EMPTY_KV }, entries: [] };

describe('syncs in the client history (FR-3)', () => {
  it('a clientSync is a sync of its own kind: answered by its first sync reply, with that index; a second answer is heeded once', () => {
    const h = historyOf([
      step(0, { type: 'clientSync', node: 's1', client: 'c1', seq: 1 }),
      step(1, { type: 'clientSync', node: 's1', client: 'c1', seq: 1 }, [{ type: 'sync', node: 's1', client: 'c1', seq: 1, index: 3 }]),
      step(2, { type: 'heartbeatTimeout', node: 's1' }, [{ type: 'sync', node: 's1', client: 'c1', seq: 1, index: 4 }]),
    ], { indexes: true });
    expect(h.syncs).toEqual([{ client: 'c1', seq: 1, call: 0, ret: 3, index: 3 }]);
    expect(h.operations).toEqual([]);
    expect(h.problems).toEqual([]);
    expect(h.violations).toEqual([]);
  });

  it('a redirected sync stays pending; a sync reply for a sync never sent, or a read reply to a sync, is a violation; a (client, seq) sent as a sync and as a read is bad input', () => {
    const h = historyOf([
      step(0, { type: 'clientSync', node: 's2', client: 'c1', seq: 1 }, [{ type: 'redirect', node: 's2', client: 'c1', seq: 1, leader: 's1' }]),
      step(1, read('s2', 'c1', 1)),
      step(2, { type: 'heartbeatTimeout', node: 's1' }, [{ type: 'sync', node: 's1', client: 'c2', seq: 9, index: 1 }, readReply('s1', 'c1', 1, 0, null)]),
    ]);
    expect(h.syncs).toEqual([{ client: 'c1', seq: 1, call: 0, ret: null, index: null }]);
    expect(h.problems).toEqual(['operation c1:1 sent as a sync at step 0 and as {"key":"x","op":"get"} at step 1; the first is kept']);
    expect(h.violations).toEqual(['operation c2:9 answered as a sync at step 2 but no sync c2:9 was sent', 'sync c1:1 answered with a read at step 2']);
  });
});

describe('with followerReads a run\'s client history is checked against ZK-1 .. ZK-4, not LIN-1', () => {
  it('ZK-2: c2 reads the old (absent) x from a lagging s3 after c1\'s write returned: LIN-1 rejects the run, ZooKeeper\'s guarantees accept it', () => {
    const steps = [...WRITE, step(2, read('s3', 'c2', 1), [readReply('s3', 'c2', 1, 0, null)])];
    const lin = checkClientHistory(steps, 3, undefined);
    expect(lin.status).toBe('fail');
    expect(lin.status === 'fail' && lin.failure.rules).toEqual(['LIN-1']);
    expect(checkClientHistory(steps, 3, undefined, FROM_EMPTY)).toEqual({ status: 'pass', steps: 3 });
  });

  it('ZK-3: a client whose read goes back (index 1, then 0 from a lagging follower) fails, naming ZK-3', () => {
    const steps = [
      ...WRITE,
      step(2, read('s2', 'c2', 1), [readReply('s2', 'c2', 1, 1, 'a')]),
      step(3, read('s3', 'c2', 2, 1), [readReply('s3', 'c2', 2, 0, null)]),
    ];
    const r = checkClientHistory(steps, 4, undefined, FROM_EMPTY);
    expect(r.status).toBe('fail');
    if (r.status !== 'fail') return;
    expect(r.failure.rules).toEqual(['ZK-3']);
    expect(r.failure.problems).toEqual([
      'ZK-3 ZooKeeper\'s guarantees violated: c2:2 get "x" (sent at step 3, returned null at step 3) has index 0, below index 1 of c2:1 get "x" (returned "a" at step 2), the same client\'s read answered before it was sent: its reads went back',
    ]);
  });

  it('ZK-4: a sync answered below a write answered before it was sent fails, naming ZK-4', () => {
    const steps = [
      ...WRITE,
      step(2, { type: 'clientSync', node: 's1', client: 'c2', seq: 1 }, [{ type: 'sync', node: 's1', client: 'c2', seq: 1, index: 0 }]),
    ];
    const r = checkClientHistory(steps, 3, undefined, FROM_EMPTY);
    expect(r.status === 'fail' && r.failure.rules).toEqual(['ZK-4']);
  });

  it('ZK-2: a read whose value the key never had at its index fails, naming ZK-2', () => {
    const steps = [...WRITE, step(2, read('s2', 'c2', 1), [readReply('s2', 'c2', 1, 0, 'a')])];
    const r = checkClientHistory(steps, 3, undefined, FROM_EMPTY);
    expect(r.status === 'fail' && r.failure.rules).toEqual(['ZK-2']);
  });

  it('a trace with initial states: its committed log starts at the lowest snapshot from which the initially committed entries continue without a gap', () => {
    const M2 = { data: { x: 'b' }, sessions: {} };
    const p = (v: string) => ({ op: 'put', key: 'x', value: v });
    // s1: snapshot through 2, then index 3 committed; s2: snapshot through 1, its log 2..3 with index 2 committed; s3: nothing at all.
    const trace = {
      cluster: ['s1', 's2', 's3'],
      initial: {
        s1: { snapshotIndex: 2, snapshotTerm: 1, snapshotMachine: M2, log: [{ term: 1, command: p('c') }], commitIndex: 3, lastApplied: 3 },
        s2: { snapshotIndex: 1, snapshotTerm: 1, snapshotMachine: { data: { x: 'a' }, sessions: {} }, log: [{ term: 1, command: p('b') }, { term: 1, command: p('c') }], commitIndex: 2 },
      },
    } as Pick<Trace, 'cluster' | 'initial'>;
    // s3 (through 0) would leave index 1 unknown: s2's snapshot (through 1) is the start, and indexes 2 and 3 follow.
    expect(zooKeeperStart(trace)).toEqual({ initial: { index: 1, machine: { data: { x: 'a' }, sessions: {} } }, entries: [{ index: 3, command: p('c') }, { index: 2, command: p('b') }] });
    expect(zooKeeperStart({ cluster: ['s1'] })).toEqual(FROM_EMPTY);
  });

  it('replay of generated follower-read runs: every one passes, and some of them would fail LIN-1 (stale follower reads), so ZooKeeper\'s guarantees are what is checked', () => {
    let passed = 0;
    let notLinearizable = 0;
    const g = generateOptions(nodeIds(5), { followerReads: true }, DEFAULT_CLIENTS);
    for (const choices of fc.sample(scheduleArb(200, 400), { seed: 15, numRuns: 80 })) {
      const { trace } = traceFromChoices(choices, g);
      const r = replay(trace);
      expect(r.status, JSON.stringify(r)).toBe('pass');
      passed++;
      // The same run's client history under LIN-1.
      let c = initCluster(trace.cluster, trace.options);
      const steps: HistoryStep[] = [];
      trace.steps.forEach((s, i) => {
        const x = applyEvent(c, s.event);
        if ('error' in x) throw new Error(x.error);
        c = x.state;
        if (s.event.type === 'clientRequest' || s.event.type === 'clientRead' || x.replies.length > 0) steps.push({ index: i, event: s.event, replies: x.replies });
      });
      if (checkClientHistory(steps, trace.steps.length, undefined).status === 'fail') notLinearizable++;
    }
    expect(passed).toBe(80);
    expect(notLinearizable).toBeGreaterThan(0);
  });
});

describe('a lockstep campaign with follower reads and syncs (model and impl/)', () => {
  it('passes, and fires FR-1 .. FR-4: follower reads answered and redirected, syncs answered under a round and under a lease', () => {
    const r = runCampaign({ seed: 13, count: 40, steps: 400, servers: nodeIds(5), options: { followerReads: true, leaseReads: true, leaderNoop: true }, clients: DEFAULT_CLIENTS });
    expect(r.failure?.report ?? null).toBeNull();
    expect(r.totals.traces).toBe(40);
    expect(r.totals.reads).toBeGreaterThan(20);
    for (const id of ['FR-1', 'FR-2', 'FR-3', 'FR-4', 'LR-2', 'CLI-4']) expect(r.coverage.get(id) ?? 0, id).toBeGreaterThan(0);
  });

  it('without followerReads the generator is unchanged: no clientSync, no after', () => {
    const g = generateOptions(nodeIds(3), {}, DEFAULT_CLIENTS);
    expect(g.weights).toEqual(CLIENT_WEIGHTS);
    for (const choices of fc.sample(scheduleArb(100, 200), { seed: 3, numRuns: 20 })) {
      const { trace } = traceFromChoices(choices, g);
      expect(trace.steps.some((s) => s.event.type === 'clientSync' || (s.event.type === 'clientRead' && s.event.after !== undefined))).toBe(false);
    }
  });
});
