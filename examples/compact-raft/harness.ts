// Seeded random runs of the compact Raft (node.ts), written as traces in the project's format
// (docs/trace-format.md), as a user's harness would write them:
//
//   npx tsx examples/compact-raft/harness.ts --seed 1 --runs 10 --servers 3 --steps 300 --out /tmp/compact
//
// Run i (0-based) uses seed N + i and is written to DIR/compact-raft-<servers>-seed-<N+i>.json.
// The same seed writes the same bytes. Each step records the event, `sent` (what the node that
// handled it sent) and `expect` (every field of every running node, the client replies, the
// crashed set). `inFlight` is not recorded.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster, type Event } from './cluster.js';
import type { Message, NodeId, NodeView, Reply } from './types.js';

/** mulberry32: a small seeded PRNG (32-bit state), so that runs do not depend on Math.random. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Step {
  event: Event;
  sent?: Message[];
  expect?: { nodes: Record<NodeId, NodeView>; replies: Reply[]; crashed: NodeId[] };
  note?: string;
}

export interface Trace {
  format: 'raft-trace';
  version: 1;
  name: string;
  description: string;
  source: string;
  cluster: NodeId[];
  steps: Step[];
}

export interface RunOptions {
  seed: number;
  servers: number;
  steps: number;
}

/** What a run went through, to see that the schedule reaches the interesting cases. */
export interface RunStats {
  elections: number; // times a node became leader
  maxCommit: number;
  applied: number; // entries applied, summed over nodes and restarts
  truncations: number; // times a node's log lost entries (a new leader overwrote them)
  results: number; // client requests answered with a result
  errors: number;
}

type Kind = 'deliver' | 'drop' | 'duplicate' | 'electionTimeout' | 'heartbeatTimeout' | 'clientRequest' | 'apply' | 'crash' | 'restart' | 'partition' | 'heal';

// Relative weights. Deliveries dominate so that elections finish; election timeouts are rare
// enough that leaders last; partitions that often isolate the leader with client requests, and
// crashes of the leader, make uncommitted entries that a later leader overwrites.
const WEIGHTS: Record<Kind, number> = {
  deliver: 50, drop: 4, duplicate: 3,
  electionTimeout: 4, heartbeatTimeout: 6, clientRequest: 10, apply: 6,
  crash: 1.5, restart: 3, partition: 1.2, heal: 1,
};

class Scheduler {
  private readonly rnd: () => number;
  private commands = 0;

  constructor(seed: number, private readonly c: Cluster) {
    this.rnd = mulberry32(seed);
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }

  /** With probability p, one of `preferred` (if any), else any of `all`. */
  private prefer(p: number, preferred: readonly NodeId[], all: readonly NodeId[]): NodeId {
    return preferred.length > 0 && this.rnd() < p ? this.pick(preferred) : this.pick(all);
  }

  next(): Event {
    const c = this.c;
    const ids = c.ids;
    const live = ids.filter((id) => c.live(id));
    const leaders = live.filter((id) => c.node(id).role === 'leader');
    const inFlight = c.network.inFlight;
    const maxDown = Math.floor((ids.length - 1) / 2);
    const possible: Kind[] = (Object.keys(WEIGHTS) as Kind[]).filter((k) => {
      switch (k) {
        case 'deliver': case 'drop': case 'duplicate': return inFlight.length > 0;
        case 'crash': return c.crashed.size < maxDown;
        case 'restart': return c.crashed.size > 0;
        case 'partition': return !c.network.partitioned;
        case 'heal': return c.network.partitioned;
        default: return true;
      }
    });
    // More servers need more deliveries per election; a live leader makes timeouts rarer.
    const weight = (k: Kind) =>
      k === 'deliver' ? (WEIGHTS.deliver * ids.length) / 3 : k === 'electionTimeout' && leaders.length > 0 ? WEIGHTS.electionTimeout / 4 : WEIGHTS[k];
    let r = this.rnd() * possible.reduce((s, k) => s + weight(k), 0);
    let kind = possible[possible.length - 1]!;
    for (const k of possible) {
      r -= weight(k);
      if (r < 0) { kind = k; break; }
    }
    switch (kind) {
      case 'deliver': case 'drop': case 'duplicate': return { type: kind, message: this.pick(inFlight) };
      case 'electionTimeout': {
        const others = live.filter((id) => c.node(id).role !== 'leader');
        return { type: kind, node: this.prefer(0.9, others, ids) };
      }
      case 'heartbeatTimeout': return { type: kind, node: this.prefer(0.9, leaders, ids) };
      case 'clientRequest': return { type: kind, node: this.prefer(0.75, leaders, ids), command: `c${++this.commands}` };
      case 'apply': {
        const behind = live.filter((id) => c.node(id).lastApplied < c.node(id).commitIndex);
        return { type: kind, node: this.prefer(0.85, behind, ids) };
      }
      case 'crash': return { type: kind, node: this.prefer(0.5, leaders, live) };
      case 'restart': return { type: kind, node: this.pick([...c.crashed]) };
      case 'partition': {
        // A minority (1 .. floor(n/2) servers) cut off from the rest, often with the leader in it.
        const size = 1 + this.int(Math.floor(ids.length / 2));
        const minority = new Set<NodeId>();
        if (leaders.length > 0 && this.rnd() < 0.6) minority.add(this.pick(leaders));
        while (minority.size < size) minority.add(this.pick(ids));
        return { type: kind, groups: [ids.filter((id) => minority.has(id)), ids.filter((id) => !minority.has(id))] };
      }
      case 'heal': return { type: kind };
    }
  }
}

/** The node an event is handled by (for an `error` event). */
function handler(e: Event, ids: readonly NodeId[]): NodeId {
  if ('node' in e) return e.node;
  if ('message' in e) return e.message.to;
  return ids[0]!;
}

/** One seeded run, as a trace, with what it went through. */
export function generateTrace(opts: RunOptions): { trace: Trace; stats: RunStats } {
  const ids = Array.from({ length: opts.servers }, (_, i) => `s${i + 1}`);
  const c = new Cluster(ids);
  const sched = new Scheduler(opts.seed, c);
  const stats: RunStats = { elections: 0, maxCommit: 0, applied: 0, truncations: 0, results: 0, errors: 0 };
  const steps: Step[] = [];
  for (let i = 0; i < opts.steps; i++) {
    const event = sched.next();
    const before = new Map(ids.map((id) => [id, c.node(id).view()]));
    let out;
    try {
      out = c.step(event);
    } catch (err) {
      // The implementation threw: record the event, then an `error` step, and end the trace.
      stats.errors += 1;
      steps.push({ event });
      steps.push({ event: { type: 'error', node: handler(event, ids), message: err instanceof Error ? err.message : String(err) } });
      break;
    }
    const nodes = c.views();
    for (const [id, v] of Object.entries(nodes)) {
      const b = before.get(id)!;
      if (v.role === 'leader' && b.role !== 'leader') stats.elections += 1;
      if (v.log.length < b.log.length || b.log.some((e, k) => v.log[k] !== undefined && v.log[k]!.term !== e.term)) stats.truncations += 1;
      stats.maxCommit = Math.max(stats.maxCommit, v.commitIndex);
      if (event.type === 'apply' && event.node === id) stats.applied += v.lastApplied - b.lastApplied;
    }
    stats.results += out.replies.filter((r) => r.type === 'result').length;
    steps.push({ event, sent: out.sent, expect: { nodes, replies: out.replies, crashed: ids.filter((id) => !c.live(id)) } });
  }
  const trace: Trace = {
    format: 'raft-trace',
    version: 1,
    name: `compact-raft-${opts.servers}-seed-${opts.seed}`,
    description: `A seeded random run of examples/compact-raft (an independent Raft taking the other side of every open choice, README.md C1..C9): ${opts.servers} servers, ${steps.length} steps.`,
    source: `examples/compact-raft/harness.ts --seed ${opts.seed} --servers ${opts.servers} --steps ${opts.steps}`,
    cluster: ids,
    steps,
  };
  return { trace, stats };
}

/** The trace as JSON text: the header indented, one step per line. Deterministic. */
export function traceJson(trace: Trace): string {
  const { steps, ...head } = trace;
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const body = steps.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
  return `${headJson},\n  "steps": [\n${body}\n  ]\n}\n`;
}

/** Writes `runs` traces, seeds seed .. seed + runs - 1, into `dir`; returns the files and stats. */
export function writeRuns(opts: RunOptions & { runs: number; out: string }): { file: string; stats: RunStats }[] {
  mkdirSync(opts.out, { recursive: true });
  const written: { file: string; stats: RunStats }[] = [];
  for (let k = 0; k < opts.runs; k++) {
    const seed = opts.seed + k;
    const { trace, stats } = generateTrace({ seed, servers: opts.servers, steps: opts.steps });
    const file = join(opts.out, `compact-raft-${opts.servers}-seed-${seed}.json`);
    writeFileSync(file, traceJson(trace));
    written.push({ file, stats });
  }
  return written;
}

function parseArgs(argv: string[]): RunOptions & { runs: number; out: string } {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad argument ${key}`);
    args.set(key.slice(2), value);
  }
  const num = (k: string, dflt: number) => {
    const v = Number(args.get(k) ?? dflt);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer`);
    return v;
  };
  const servers = num('servers', 3);
  if (servers !== 3 && servers !== 5) throw new Error('--servers must be 3 or 5');
  return { seed: num('seed', 1), runs: num('runs', 1), servers, steps: num('steps', 300), out: args.get('out') ?? 'compact-raft-traces' };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    for (const { file, stats: s } of writeRuns(opts)) {
      console.log(`${file}: ${s.elections} elections, commit ${s.maxCommit}, ${s.applied} applied, ${s.results} results, ${s.truncations} truncations${s.errors ? ', ERROR' : ''}`);
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    console.error('usage: npx tsx examples/compact-raft/harness.ts --seed N --runs K --servers 3|5 --steps S --out DIR');
    process.exit(2);
  }
}
