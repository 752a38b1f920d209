// Producing long traces one step at a time (`raftspec gen` and `record` of 10^6 steps and more):
// the seeded schedules drawn lazily, and the model's expectations computed step by step, so that
// nothing grows with the length of a trace or the number of traces.
import fc from 'fast-check';
import type { Event, NodeId, Observation, ProtocolOptions, Step } from '../spec/schema.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { toJson } from '../model/state.js';
import { profileOf } from '../spec/choices.js';
import { choiceArb, choiceSteps, generatedStart, type Choice, type ClientOptions, type MembershipOptions } from './generate.js';
import { generateOptions, optionFlags } from './campaign.js';
import type { StreamTrace, TraceHeader } from './stream.js';

/**
 * The random source fast-check hands the array arbitrary of `scheduleArb(n, n)` for one run,
 * captured instead of used: the choices are then drawn from it one at a time, exactly as
 * fast-check's ArrayArbitrary draws them when its minimum and maximum length are equal (the
 * length first, then each item with the run's bias; no slices), so that the same seed gives the
 * same choices as `fc.sample(scheduleArb(n, n), ...)` without an array of n values (and their
 * shrinking contexts) in memory. conformance/test/stream.test.ts checks the two agree.
 */
class ScheduleSource extends fc.Arbitrary<Iterable<Choice>> {
  constructor(private readonly length: number) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Iterable<Choice>> {
    const n = fc.integer({ min: this.length, max: this.length }).generate(mrng, undefined).value;
    let used = false;
    const choices: Iterable<Choice> = {
      *[Symbol.iterator]() {
        if (used) throw new Error('a lazy schedule is read once');
        used = true;
        for (let k = 0; k < n; k++) yield choiceArb.generate(mrng, biasFactor).value;
      },
    };
    return new fc.Value(choices, undefined);
  }

  canShrinkWithoutContext(_value: unknown): _value is Iterable<Choice> {
    return false;
  }

  shrink(): fc.Stream<fc.Value<Iterable<Choice>>> {
    return fc.Stream.nil();
  }
}

/** The one schedule of `fc.sample(scheduleArb(steps, steps), { seed, numRuns: 1 })`, drawn lazily (read it once). */
export function lazySchedule(seed: number, steps: number): Iterable<Choice> {
  const [choices] = fc.sample(new ScheduleSource(steps), { seed, numRuns: 1 });
  return choices as Iterable<Choice>;
}

/**
 * The schedules of `fc.sample(scheduleArb(steps, steps), { seed, numRuns: count })`, each drawn
 * lazily and handed to `use` before the next is drawn (fast-check's runner draws the runs as
 * `sample` does, one after the other), so that no list of them is held.
 */
export function forEachSchedule(seed: number, count: number, steps: number, use: (choices: Iterable<Choice>, k: number) => void): void {
  let k = 0;
  let thrown: { error: unknown } | null = null;
  fc.check(fc.property(new ScheduleSource(steps), (choices) => {
    try {
      use(choices, k++);
      return true;
    } catch (error) {
      thrown = { error };
      return false; // with endOnFailure: stop at once, no shrinking
    }
  }), { seed, numRuns: count, endOnFailure: true });
  if (thrown !== null) throw (thrown as { error: unknown }).error;
}

/**
 * The model's observations as expectations, one step at a time (withModelExpectations of
 * campaign.ts as a stream): after each step, the scalar fields and progress maps of the server that
 * handled it and the messages it sent (`sent`); after the last step (`total` steps in all),
 * every server's whole state, logs included.
 */
export function* modelExpectationSteps(trace: TraceHeader, events: Iterable<Event>, total: number): Generator<Step, void, undefined> {
  let c: ClusterState = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration, trace.profile === undefined ? undefined : profileOf(trace.profile));
  let i = 0;
  for (const event of events) {
    const r = applyEvent(c, event);
    if ('error' in r) throw new Error(`generated an impossible event at /steps/${i}: ${r.error}`);
    c = r.state;
    const nodes: Record<NodeId, Observation> = {};
    if (i === total - 1) {
      for (const id of trace.cluster) nodes[id] = toJson(c.nodes[id]!);
    } else if (r.node) {
      const { log: _log, snapshotMachine: _snapshot, ...rest } = toJson(c.nodes[r.node]!);
      nodes[r.node] = rest;
    }
    const replies = r.replies.length > 0 ? { replies: [...r.replies] } : {};
    const sent = r.node === null ? {} : { sent: [...r.sent] };
    yield Object.keys(nodes).length > 0 || r.replies.length > 0 ? { event, expect: { nodes, ...replies }, ...sent } : { event, ...sent };
    i++;
  }
}

/**
 * `raftspec gen` as a stream: each trace handed to `use` as it is generated, its steps produced
 * one at a time (the events of the schedule through the model, and the model's expectations
 * alongside). The same bytes as generateFixtures once written.
 */
export function forEachFixture(
  seed: number, count: number, steps: number, servers: readonly NodeId[], options: ProtocolOptions | undefined, clients: ClientOptions | undefined, membership: MembershipOptions | undefined,
  use: (fixture: { name: string; trace: StreamTrace }) => void,
): void {
  const g = generateOptions(servers, options, clients, undefined, membership);
  forEachSchedule(seed, count, steps, (choices, k) => {
    const name = `gen-seed${seed}-${String(k + 1).padStart(3, '0')}`;
    // The fields in the order traceFromChoices and generateFixtures give them (steps before source).
    const { world, header } = generatedStart(g, name);
    const events = (function* () {
      for (const s of choiceSteps(world, choices, g)) yield s.event;
    })();
    use({
      name,
      trace: {
        ...header,
        steps: modelExpectationSteps(header, events, steps),
        source: `raftspec gen --seed ${seed} --count ${count} --steps ${steps} --servers ${servers.length}${optionFlags(options, clients, membership)} (trace ${k + 1})`,
        description: `Generated schedule (drops, duplicates, reordering, delayed copies, partitions, crashes, restarts${clients ? '; key-value clients with retries, ReadIndex reads and snapshots' : ''}${membership ? '; membership changes' : ''}). Expectations are the reference model's observations: after each step the server that handled it and the client replies, after the last step every server in full.`,
      },
    });
  });
}
