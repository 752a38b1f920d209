// The xstate statechart and the reducer are two compositions of the same rule functions. Driven
// through thousands of generated event sequences, they must agree on every state, every message
// sent, every entry applied and every rule fired, after every event.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { BootstrapConfiguration, Event, NodeId, ProtocolOptions } from '../spec/schema.js';
import { DEFAULT_CLIENTS, scheduleArb, traceFromChoices } from '../conformance/generate.js';
import { generateOptions } from '../conformance/campaign.js';
import { applyEvent, envOf, initCluster, type ClusterState } from '../model/cluster.js';
import { nodeInputOf } from '../spec/input.js';
import { restartFromPersistentState } from '../model/core/figure2.js';
import { toJson } from '../model/state.js';
import { type ServerSnapshot, snapshotAt, statechartStep } from '../model/statechart.js';

/** Replays events through the cluster reducer and, beside it, one statechart per server. */
function agreeOnEveryStep(servers: readonly NodeId[], events: readonly Event[], options?: ProtocolOptions, configuration?: BootstrapConfiguration): number {
  let c: ClusterState = initCluster(servers, options, undefined, configuration);
  const charts = new Map<NodeId, ServerSnapshot>(servers.map((id) => [id, snapshotAt(envOf(c, id), c.nodes[id]!)]));
  let compared = 0;
  for (const [i, e] of events.entries()) {
    const target = nodeInputOf(e);
    const wasUp = target !== null && !c.crashed.has(target.node);
    const r = applyEvent(c, e);
    if ('error' in r) throw new Error(r.error);
    c = r.state;
    if (e.type === 'crash') {
      const chart = charts.get(e.node)!;
      charts.set(e.node, snapshotAt(chart.context.env, restartFromPersistentState(chart.context.t.state)));
    }
    if (!target || !wasUp) continue;
    const next = statechartStep(charts.get(target.node)!, target.input);
    charts.set(target.node, next);
    const where = `event ${i} (${e.type}) at ${target.node}`;
    expect(next.value, `${where}: statechart state node`).toBe(next.context.t.state.role);
    expect(toJson(next.context.t.state), `${where}: state`).toEqual(toJson(c.nodes[target.node]!));
    expect(next.context.t.sent, `${where}: messages sent`).toEqual(r.sent);
    expect(next.context.t.applied, `${where}: entries applied`).toEqual(r.applied);
    expect(next.context.t.replies, `${where}: client replies`).toEqual(r.replies);
    expect(next.context.t.rules, `${where}: rules fired`).toEqual(r.rules);
    compared++;
  }
  return compared;
}

describe('the xstate statechart agrees with the reducer', () => {
  let compared = 0;
  it('on 1500 generated schedules of 3 servers', () => {
    fc.assert(fc.property(scheduleArb(10, 40), (choices) => {
      const { trace } = traceFromChoices(choices, { servers: ['s1', 's2', 's3'] });
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event));
    }), { numRuns: 1500, seed: 7 });
  });
  it('on 500 generated schedules of 5 servers with batching', () => {
    fc.assert(fc.property(scheduleArb(20, 60), (choices) => {
      const { trace } = traceFromChoices(choices, { servers: ['s1', 's2', 's3', 's4', 's5'], options: { maxEntriesPerAppendEntries: 4 } });
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 500, seed: 8 });
  });
  it('on 400 generated schedules of 3 servers with fast backtracking', () => {
    fc.assert(fc.property(scheduleArb(20, 60), (choices) => {
      const { trace } = traceFromChoices(choices, { servers: ['s1', 's2', 's3'], options: { fastBacktracking: true } });
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 400, seed: 9 });
  });
  it('on 500 generated schedules of 3 servers with clients, reads and snapshots in chunks of 8', () => {
    fc.assert(fc.property(scheduleArb(20, 80), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3'], { snapshotChunkSize: 8 }, DEFAULT_CLIENTS));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 500, seed: 10 });
  });
  it('on 300 generated schedules of 5 servers with clients, the leader no-op and batching', () => {
    fc.assert(fc.property(scheduleArb(20, 80), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3', 's4', 's5'], { leaderNoop: true, maxEntriesPerAppendEntries: 3, snapshotChunkSize: 12 }, DEFAULT_CLIENTS));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 300, seed: 11 });
  });
  it('on 300 generated schedules of 3 servers with PreVote, CheckQuorum, the disruption guard and leadership transfer', () => {
    fc.assert(fc.property(scheduleArb(20, 80), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3'], { preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true }, DEFAULT_CLIENTS));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 300, seed: 12 });
  });
  it('on 300 generated schedules of 3 servers with pipelining and flow control', () => {
    fc.assert(fc.property(scheduleArb(20, 80), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3'], { pipelining: true, flowControlWindow: 1, maxEntriesPerAppendEntries: 3, fastBacktracking: true }, DEFAULT_CLIENTS));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 300, seed: 13 });
  });
  it('on 300 generated schedules of 5 servers (3 voters at the start) with membership changes and clients', () => {
    fc.assert(fc.property(scheduleArb(30, 100), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3', 's4', 's5'], { leaderNoop: true, snapshotChunkSize: 16 }, DEFAULT_CLIENTS, undefined, {}));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options, trace.configuration);
    }), { numRuns: 300, seed: 14 });
  });
  it('on 200 generated schedules of 4 servers with membership changes and every option', () => {
    fc.assert(fc.property(scheduleArb(30, 100), (choices) => {
      const options: ProtocolOptions = { preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true, pipelining: true, flowControlWindow: 2, maxEntriesPerAppendEntries: 2, fastBacktracking: true, leaderNoop: true, leaseReads: true };
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3', 's4'], options, DEFAULT_CLIENTS, undefined, {}));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options, trace.configuration);
    }), { numRuns: 200, seed: 15 });
  });
  it('on 300 generated schedules of 5 servers with follower reads, syncs, lease reads and clients', () => {
    fc.assert(fc.property(scheduleArb(30, 100), (choices) => {
      const { trace } = traceFromChoices(choices, generateOptions(['s1', 's2', 's3', 's4', 's5'], { followerReads: true, leaseReads: true, leaderNoop: true, snapshotChunkSize: 16 }, DEFAULT_CLIENTS));
      compared += agreeOnEveryStep(trace.cluster, trace.steps.map((s) => s.event), trace.options);
    }), { numRuns: 300, seed: 16 });
  });
  it('compared tens of thousands of steps', () => {
    expect(compared).toBeGreaterThan(75_000);
  });
});
