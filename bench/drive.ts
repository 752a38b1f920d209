// `npm run bench:drive`: the cost of `raftspec drive` (issue 13) through the stdio adapter, side by
// side in one run with the same campaigns in-process.
//
// 1. Steps per second of drive campaigns (generation, every step through the adapter, validation
//    of every schedule by search) against the Python example (examples/py-raft, a child process
//    speaking JSON lines) and against impl/ through implAdapter, in-process. Both get the same seed,
//    count and steps; impl/ runs under the example's profile (docs/choices.md) and behind its
//    declaration (events, options, observed fields), so the generator draws the same choices and
//    the search does the same work: when the two implementations answer alike, the schedules are
//    the same event for event, which the run checks and prints. The share of the time spent inside
//    the adapter's calls is printed too (the rest is drive's own: generation and search).
// 2. The per-step overhead of the stdio protocol alone: the fake adapter of the transport's tests
//    (conformance/test/adapters/fake-adapter.mjs, canned answers, in Node) answering step requests
//    over stdio, against the same canned answers computed in-process; the difference per step is
//    what the protocol costs (JSON both ways, the pipes, the worker thread, the schema check).
// Figures, not pass/fail. Usage: node --import tsx bench/drive.ts [count] [steps]   (default 30 150)
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message, NodeId, Observation } from '../spec/schema.js';
import type { NodeInput } from '../spec/input.js';
import type { AlternativeLetter, ChoiceId, Profile } from '../spec/choices.js';
import { canonicalJson } from '../spec/canonical.js';
import type { Adapter, AdapterFeatures, StepOutcome } from '../conformance/adapter.js';
import { stdioAdapter } from '../conformance/stdio-adapter.js';
import { implAdapter } from '../conformance/impl-adapter.js';
import { driveCampaign } from '../conformance/drive.js';
import { nodeIds } from '../conformance/campaign.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PY_ADAPTER = `python3 '${join(ROOT, 'examples', 'py-raft', 'adapter.py')}'`;
const FAKE_ADAPTER = `node '${join(ROOT, 'conformance', 'test', 'adapters', 'fake-adapter.mjs')}' good`;
const SEED = 1;
const count = Number(process.argv[2] ?? 30);
const steps = Number(process.argv[3] ?? 150);

/** An adapter whose calls are timed, and whose requests (op, node, input) are kept to compare two runs' schedules. */
function instrumented(inner: Adapter): { adapter: Adapter; log: { ms: number; calls: unknown[][] } } {
  const log = { ms: 0, calls: [] as unknown[][] };
  const timed = <T>(call: unknown[], f: () => T): T => {
    log.calls.push(call);
    const t0 = performance.now();
    try {
      return f();
    } finally {
      log.ms += performance.now() - t0;
    }
  };
  const adapter: Adapter = {
    hello: () => inner.hello(),
    start: (servers, options, configuration) => timed(['start', servers, options], () => inner.start(servers, options, configuration)),
    step: (node, input) => timed(['step', node, input], () => inner.step(node, input)),
    crash: (node) => timed(['crash', node], () => inner.crash(node)),
    restart: (node) => timed(['restart', node], () => inner.restart(node)),
    observe: (node) => timed(['observe', node], () => inner.observe(node)),
    stop: () => inner.stop(),
  };
  return { adapter, log };
}

/** impl/ under the example's profile, behind the example's declaration (so that drive draws and searches alike). */
function implLike(features: AdapterFeatures): Adapter {
  const profile: Profile = Object.fromEntries(Object.entries(features.profile ?? {}).map(([k, v]) => [k as ChoiceId, [v as AlternativeLetter]]));
  const inner = implAdapter(profile);
  return { ...inner, hello: () => ({ name: 'impl/ (RaftNode, under py-raft\'s profile and declaration)', features }) };
}

interface CampaignFigures { seconds: number; steps: number; adapterSeconds: number; calls: unknown[][]; verdict: string }

function campaign(adapter: Adapter, servers: number): CampaignFigures {
  const { adapter: timed, log } = instrumented(adapter);
  const t0 = performance.now();
  const r = driveCampaign(timed, { seed: SEED, count, steps, servers: nodeIds(servers) });
  const seconds = (performance.now() - t0) / 1000;
  const verdict = r.fault ? `FAULT ${r.fault.line}` : r.failure ? `FAIL ${r.failure.report.split('\n')[0]}` : r.totals.undecided > 0 ? 'UNDECIDED' : 'PASS';
  return { seconds, steps: r.totals.steps, adapterSeconds: log.ms / 1000, calls: log.calls, verdict };
}

/** The first adapter call where two runs differ, or null when their schedules are the same. */
function firstDifference(a: readonly unknown[][], b: readonly unknown[][]): string | null {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const x = a[k] === undefined ? 'nothing' : canonicalJson(a[k]);
    const y = b[k] === undefined ? 'nothing' : canonicalJson(b[k]);
    if (x !== y) return `call ${k + 1} of ${a.length}/${b.length}: ${x.slice(0, 120)} vs ${y.slice(0, 120)}`;
  }
  return null;
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const best = <T extends { seconds: number }>(runs: T[]): T => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));

// ---------------------------------------------------------------------------------------------
// The fake adapter's canned answers, in-process (conformance/test/adapters/fake-adapter.mjs, `good`)

function cannedAdapter(): Adapter {
  let servers: readonly NodeId[] = [];
  const nodes = new Map<NodeId, { role: string; currentTerm: number; votedFor: NodeId | null }>();
  const stateOf = (node: NodeId) => nodes.get(node) ?? { role: 'follower', currentTerm: 0, votedFor: null };
  const observation = (s: { role: string; currentTerm: number; votedFor: NodeId | null }): Observation => ({ role: s.role, currentTerm: s.currentTerm, votedFor: s.votedFor, log: [], commitIndex: 0 }) as Observation;
  return {
    hello: () => ({ name: 'fake', features: { events: ['electionTimeout', 'heartbeatTimeout', 'clientRequest'], options: ['preVote'], observes: ['role', 'currentTerm', 'votedFor', 'log', 'commitIndex'], sent: 'all', profile: { 'DEC-3': 'a' } } }),
    start(s) { servers = s; nodes.clear(); },
    step(node: NodeId, input: NodeInput): StepOutcome {
      const s = stateOf(node);
      if (input.type !== 'electionTimeout') return { sent: [], replies: [], state: observation(s) };
      const next = { role: 'candidate', currentTerm: s.currentTerm + 1, votedFor: node };
      nodes.set(node, next);
      const sent: Message[] = servers.filter((to) => to !== node).map((to) => ({ type: 'RequestVote', from: node, to, term: next.currentTerm, candidateId: node, lastLogIndex: 0, lastLogTerm: 0 }));
      return { sent, replies: [], state: observation(next) };
    },
    crash(node) { const s = stateOf(node); nodes.set(node, { role: 'follower', currentTerm: s.currentTerm, votedFor: s.votedFor }); },
    restart: (node) => ({ sent: [], replies: [], state: observation(stateOf(node)) }),
    observe: (node) => observation(stateOf(node)),
    stop() {},
  };
}

/** `n` steps, a server's election timer one time in eight (two RequestVotes in its answer), else its heartbeat timer (none). */
function stepLoop(adapter: Adapter, n: number): number {
  const servers = nodeIds(3);
  adapter.start(servers, {});
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    const o = adapter.step(servers[k % 3] as NodeId, { type: k % 8 === 0 ? 'electionTimeout' : 'heartbeatTimeout' });
    if ('error' in o) throw new Error(`step ${k}: ${o.error}`);
  }
  return (performance.now() - t0) / 1000;
}

function main(): void {
  if (![count, steps].every((x) => Number.isInteger(x) && x > 0)) {
    console.error('usage: node --import tsx bench/drive.ts [count] [steps]   (positive integers; default 30 150)');
    process.exitCode = 2;
    return;
  }
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python.error || python.status !== 0) {
    console.error('bench:drive needs python3 on PATH (examples/py-raft runs under it)');
    process.exitCode = 2;
    return;
  }
  console.log(`raftspec bench:drive: seed ${SEED}, ${count} schedules of up to ${steps} steps; Node ${process.version}, ${`${python.stdout}${python.stderr}`.trim()}`);
  const py = stdioAdapter(PY_ADAPTER);
  try {
    const features = py.hello().features;
    // Warm the JIT (and the child) on a short campaign of each.
    driveCampaign(py, { seed: 99, count: 3, steps: 60, servers: nodeIds(3) });
    driveCampaign(implLike(features), { seed: 99, count: 3, steps: 60, servers: nodeIds(3) });
    console.log(`${'servers'.padStart(7)} | ${'stdio (py-raft)'.padStart(16)} ${'in-process (impl/)'.padStart(19)} | ${'in-process/stdio'.padStart(16)} | ${'in the adapter: stdio'.padStart(21)} ${'in-process'.padStart(10)} | same schedules   (steps per second; best of 2)`);
    for (const n of [3, 5]) {
      const stdio: CampaignFigures[] = [];
      const inProcess: CampaignFigures[] = [];
      for (let k = 0; k < 2; k++) {
        inProcess.push(campaign(implLike(features), n));
        stdio.push(campaign(py, n));
      }
      const s = best(stdio);
      const i = best(inProcess);
      const rate = (f: CampaignFigures) => f.steps / f.seconds;
      const share = (f: CampaignFigures) => `${(100 * f.adapterSeconds / f.seconds).toFixed(0)}%`;
      const diff = firstDifference(s.calls, i.calls);
      console.log(`${String(n).padStart(7)} | ${fmt(rate(s)).padStart(16)} ${fmt(rate(i)).padStart(19)} | ${`${(rate(i) / rate(s)).toFixed(2)}x`.padStart(16)} | ${share(s).padStart(21)} ${share(i).padStart(10)} | ${diff === null ? `yes (${s.steps} steps, ${s.calls.length} adapter calls)` : `no: ${diff}`}`);
      for (const [name, f] of [['stdio', s], ['in-process', i]] as const) {
        if (f.verdict !== 'PASS') console.log(`        ${name}: ${f.verdict}`);
      }
      console.log(`        per step: ${(1e6 * s.seconds / s.steps).toFixed(0)} us stdio, ${(1e6 * i.seconds / i.steps).toFixed(0)} us in-process; in the adapter ${(1e6 * s.adapterSeconds / s.steps).toFixed(0)} us and ${(1e6 * i.adapterSeconds / i.steps).toFixed(0)} us`);
    }
  } finally {
    py.stop();
  }

  // The protocol's own cost: canned answers over stdio vs. in-process.
  const n = 20_000;
  const fake = stdioAdapter(FAKE_ADAPTER, { stderr: () => {} });
  try {
    fake.hello();
    const canned = cannedAdapter();
    stepLoop(fake, 2_000);
    stepLoop(canned, 2_000);
    const tStdio = Math.min(stepLoop(fake, n), stepLoop(fake, n), stepLoop(fake, n));
    const tIn = Math.min(stepLoop(canned, n), stepLoop(canned, n), stepLoop(canned, n));
    console.log(`stdio protocol overhead (fake adapter, canned answers, ${fmt(n)} steps, best of 3): ${(1e6 * tStdio / n).toFixed(1)} us/step over stdio, ${(1e6 * tIn / n).toFixed(2)} us/step in-process: ${(1e6 * (tStdio - tIn) / n).toFixed(1)} us/step for the protocol`);
  } finally {
    fake.stop();
  }
}

main();
