// Long traces stream (conformance/stream.ts, produce.ts): the reader gives what JSON.parse gives,
// bad input in a step is reported at its path, and record and gen write, one step at a time, the
// bytes they wrote when they built the whole trace first.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId, Observation, Step, Trace } from '../../spec/schema.js';
import { collectTraceFiles } from '../files.js';
import { loadTraceFile } from '../load.js';
import { readTraceStream, runTraceFile, runTraceStream, writeTraceStream, type StreamTrace } from '../stream.js';
import { forEachSchedule, lazySchedule } from '../produce.js';
import { CLIENT_WEIGHTS, DEFAULT_CLIENTS, membershipBootstrap, runChoices, scheduleArb, traceFromChoices, type Choice, type ClientOptions, type MembershipOptions } from '../generate.js';
import { generateFixtures, generateOptions, nodeIds, optionFlags, withModelExpectations } from '../campaign.js';
import { ImplWorld, recordRun, recordStream } from '../record.js';
import { lockstep } from '../lockstep.js';
import { validateBySearch } from '../search.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'raftspec-stream-'));

describe('the streaming reader', () => {
  const { files } = collectTraceFiles(['traces']);

  it('yields, for every bundled trace, the trace JSON.parse and load.ts give (fields in the same order)', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const whole = loadTraceFile(f);
      const streamed = readTraceStream(f);
      expect(whole.ok, f).toBe(true);
      expect(streamed.ok, f).toBe(true);
      if (!whole.ok || !streamed.ok) continue;
      expect(JSON.stringify(streamed.trace), f).toBe(JSON.stringify(whole.trace));
    }
  });

  it('reads compact JSON, strings with brackets, escapes and non-ASCII text, and steps after the other fields', () => {
    const dir = tmp();
    const trace = JSON.parse(readFileSync('traces/paper/election-3-nodes.json', 'utf8')) as Trace;
    const odd: Trace = { ...trace, description: 'brackets ] } [ { and "quotes" \\ and ✓ ünïcode', steps: trace.steps.map((s, i) => (i === 1 ? { ...s, note: 'a note with ]}, "\\"" and 🚀' } : s)) };
    const { steps, ...rest } = odd;
    const file = join(dir, 'compact.json');
    writeFileSync(file, JSON.stringify({ steps, ...rest }));
    const r = readTraceStream(file);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.trace).toEqual(odd);
  });

  it('runs lockstep and validate on a stream with the results of the whole file', () => {
    for (const f of files.filter((_, k) => k % 4 === 0)) {
      expect(runTraceFile(f, (t) => lockstep(t), undefined, 0), f).toEqual(runTraceFile(f, (t) => lockstep(t)));
      expect(runTraceFile(f, (t) => validateBySearch(t), undefined, 0), f).toEqual(runTraceFile(f, (t) => validateBySearch(t)));
    }
  });

  describe('bad input in a step in the middle', () => {
    const trace = JSON.parse(readFileSync('traces/paper/election-3-nodes.json', 'utf8')) as Trace;
    const text = JSON.stringify(trace, null, 2);
    const write = (t: string) => {
      const file = join(tmp(), 't.json');
      writeFileSync(file, t);
      return file;
    };
    const withStep = (k: number, step: unknown) => write(JSON.stringify({ ...trace, steps: trace.steps.map((s, i) => (i === k ? step : s)) }, null, 2));

    it('a node not in the cluster: the path of the field', () => {
      const r = runTraceStream(withStep(5, { event: { type: 'electionTimeout', node: 's9' } }), (t) => lockstep(t));
      expect(r).toMatchObject({ status: 'bad-input', path: '/steps/5/event/node' });
      expect((r as { expected: string }).expected).toContain('unknown node "s9"');
    });

    it('a step the schema refuses: the path in the step', () => {
      const r = runTraceStream(withStep(6, { event: { type: 'electionTimeout', node: 's1' }, expect: { nodes: { s1: { currentTerm: -1 } } } }), (t) => validateBySearch(t));
      expect(r).toMatchObject({ status: 'bad-input', path: '/steps/6/expect/nodes/s1/currentTerm' });
    });

    it('a step that is not JSON: the step, with line and column', () => {
      const lines = text.split('\n');
      const at = lines.findIndex((l, i) => i > 40 && l.includes('"type"'));
      lines[at] = lines[at]!.replace('"type"', '"type" oops');
      const file = write(lines.join('\n'));
      const r = runTraceStream(file, (t) => lockstep(t));
      expect(r).toMatchObject({ status: 'bad-input' });
      expect((r as { path: string }).path).toMatch(/^\/steps\/\d+$/);
      expect((r as { expected: string }).expected).toMatch(new RegExp(`^expected JSON: .* at line ${at + 1}, column \\d+$`));
      // The whole-file path says the same thing is wrong: not JSON.
      expect(loadTraceFile(file).ok).toBe(false);
    });

    it('after the step where the run failed: still bad input (the rest is read and checked)', () => {
      const broken = { ...trace, steps: trace.steps.map((s, i) => (i === 2 ? { ...s, expect: { nodes: { s1: { currentTerm: 99 } } } } : i === trace.steps.length - 1 ? { event: { type: 'crash', node: 'nobody' } } : s)) };
      const file = write(JSON.stringify(broken, null, 2));
      expect(runTraceStream(file, (t) => lockstep(t))).toMatchObject({ status: 'bad-input', path: `/steps/${trace.steps.length - 1}/event/node` });
    });

    it('a cut file and a header error', () => {
      expect(runTraceStream(write(text.slice(0, Math.floor(text.length / 2))), (t) => lockstep(t))).toMatchObject({ status: 'bad-input' });
      // A header error is found before any step runs, as the whole-file path finds it.
      for (const file of [write(text.replace('"cluster"', '"clusters"')), write(text.replace('"version": 1', '"version": 2'))]) {
        const whole = loadTraceFile(file);
        expect(whole.ok).toBe(false);
        if (!whole.ok) expect(runTraceStream(file, (t) => lockstep(t))).toEqual({ status: 'bad-input', path: whole.error.path || '/', expected: whole.error.expected });
      }
    });
  });
});

/** recordRun as it was before it streamed: the schedule sampled whole, every step kept, the last one replaced. */
function oldRecordRun(seed: number, steps: number, servers: readonly NodeId[], clients?: ClientOptions, membership?: MembershipOptions): Trace {
  const [choices] = fc.sample(scheduleArb(steps, steps), { seed, numRuns: 1 });
  const configuration = membership ? membershipBootstrap(servers, membership) : undefined;
  const world = new ImplWorld(servers, undefined, configuration);
  for (const id of servers) world.node(id).takeLogChangedFrom();
  const recorded: Step[] = [];
  runChoices(world, choices ?? [], { servers, ...(clients ? { clients, weights: CLIENT_WEIGHTS } : {}), ...(membership ? { membership } : {}) }, (event, sent, replies) => {
    const id = world.lastNode;
    if (id === null) return void recorded.push({ event });
    // The log after a crash in full, else its end from the first index the step changed (logSuffix).
    const changedFrom = world.node(id).takeLogChangedFrom();
    recorded.push({ event, expect: { nodes: { [id]: world.observe(id, event.type === 'crash', changedFrom) }, ...(replies.length > 0 ? { replies: [...replies] } : {}) }, sent: [...sent] });
  });
  const last = recorded[recorded.length - 1] as Step;
  const nodes: Record<NodeId, Observation> = {};
  for (const id of servers) nodes[id] = world.observe(id, true);
  recorded[recorded.length - 1] = { ...last, expect: { ...(last.expect ?? {}), nodes } };
  return {
    format: 'raft-trace', version: 1, name: `recorded-seed${seed}`,
    source: `raftspec record --seed ${seed} --steps ${steps} --servers ${servers.length}${optionFlags(undefined, clients, membership)}: recorded by impl/ (RaftNode) in a simulated cluster`,
    description: "The implementation's own observations after every step, recorded without the model. `raftspec validate` replays them against the model.",
    cluster: [...servers], ...(configuration ? { configuration } : {}), steps: recorded,
  };
}

/** generateFixtures as it was before it streamed. */
function oldGenerateFixtures(seed: number, count: number, steps: number, servers: readonly NodeId[], clients?: ClientOptions): Array<{ name: string; trace: Trace }> {
  return fc.sample(scheduleArb(steps, steps), { seed, numRuns: count }).map((choices, k) => {
    const name = `gen-seed${seed}-${String(k + 1).padStart(3, '0')}`;
    const { trace } = traceFromChoices(choices, generateOptions(servers, undefined, clients), name);
    return {
      name,
      trace: withModelExpectations({
        ...trace,
        source: `raftspec gen --seed ${seed} --count ${count} --steps ${steps} --servers ${servers.length}${optionFlags(undefined, clients)} (trace ${k + 1})`,
        description: `Generated schedule (drops, duplicates, reordering, delayed copies, partitions, crashes, restarts${clients ? '; key-value clients with retries, ReadIndex reads and snapshots' : ''}). Expectations are the reference model's observations: after each step the server that handled it and the client replies, after the last step every server in full.`,
      }),
    };
  });
}

const fileOf = (trace: StreamTrace): string => {
  const file = join(tmp(), 'out.json');
  writeTraceStream(file, trace);
  return readFileSync(file, 'utf8');
};

describe('record and gen, streamed', () => {
  it('draw lazily the schedules fc.sample draws', () => {
    for (const [seed, steps] of [[1, 1], [3, 40], [11, 700]] as const) {
      const [whole] = fc.sample(scheduleArb(steps, steps), { seed, numRuns: 1 });
      expect([...lazySchedule(seed, steps)]).toEqual(whole);
    }
    const got: Choice[][] = [];
    forEachSchedule(5, 30, 7, (choices) => got.push([...choices]));
    expect(got).toEqual(fc.sample(scheduleArb(7, 7), { seed: 5, numRuns: 30 }));
  });

  it('record writes the bytes it wrote before streaming', () => {
    for (const [seed, servers, clients, membership] of [[3, 3, undefined, undefined], [4, 5, DEFAULT_CLIENTS, {}]] as const) {
      const old = `${JSON.stringify(oldRecordRun(seed, 250, nodeIds(servers), clients, membership), null, 2)}\n`;
      expect(fileOf(recordStream(seed, 250, nodeIds(servers), undefined, clients, membership))).toBe(old);
      expect(`${JSON.stringify(recordRun(seed, 250, nodeIds(servers), undefined, clients, membership), null, 2)}\n`).toBe(old);
    }
  });

  it('gen writes the bytes it wrote before streaming', () => {
    for (const clients of [undefined, DEFAULT_CLIENTS]) {
      const old = oldGenerateFixtures(2, 3, 90, nodeIds(3), clients);
      const now = generateFixtures(2, 3, 90, nodeIds(3), undefined, clients);
      expect(now.map((f) => f.name)).toEqual(old.map((f) => f.name));
      for (const [k, f] of now.entries()) {
        const want = `${JSON.stringify(old[k]!.trace, null, 2)}\n`;
        expect(`${JSON.stringify(f.trace, null, 2)}\n`).toBe(want);
        expect(fileOf(f.trace)).toBe(want);
      }
    }
  });

  it('record of 20000 steps is written while it runs, into a temporary file renamed at the end', () => {
    const dir = tmp();
    const file = join(dir, 'r.json');
    const seen: number[] = [];
    const n = writeTraceStream(file, recordStream(1, 20000, nodeIds(3)), (k) => {
      if (k === 10000) {
        const partial = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
        expect(partial).toHaveLength(1);
        seen.push(statSync(join(dir, partial[0]!)).size);
        expect(existsSync(file)).toBe(false);
      }
    });
    expect(n).toBe(20000);
    expect(seen[0]).toBeGreaterThan(1_000_000); // half the steps already on disk
    expect(readdirSync(dir)).toEqual(['r.json']);
    const r = readTraceStream(file);
    expect(r.ok && [...r.trace.steps].length).toBe(20000);
  }, 60_000);

  it('a failure while writing leaves neither the file nor the temporary file', () => {
    const dir = tmp();
    const file = join(dir, 'r.json');
    const t = recordStream(2, 100, nodeIds(3));
    const failing: StreamTrace = {
      ...t,
      steps: (function* () {
        let k = 0;
        for (const s of t.steps) {
          if (++k === 50) throw new Error('disk full');
          yield s;
        }
      })(),
    };
    expect(() => writeTraceStream(file, failing)).toThrow('disk full');
    expect(readdirSync(dir)).toEqual([]);
  });
});
