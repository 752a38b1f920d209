// `npm run bench:validate`: validate throughput on recorded traces (issue 11), with and without
// the search over choice points, side by side in one run: the implementation records N traces of
// about 250 steps (3 servers; its observations of the server that handled each step and what it
// sent, as a user's harness would write them), then every trace is validated (1) against the
// model's own profile only (--pin model: one run per step, as before the search), (2) by search
// over every permitted alternative (the default of `raftspec validate`), and (3) by search with the
// sends left out (a harness that cannot record them: more states stay open). Also: the per-step
// cost of the search on traces of 250 and 1000 steps, which must not grow with the trace length.
// Usage: node --import tsx bench/validate.ts [N]   (default 3000)
import { performance } from 'node:perf_hooks';
import type { Trace } from '../spec/schema.js';
import { MODEL_PROFILE } from '../spec/choices.js';
import { recordRun } from '../conformance/record.js';
import { validateBySearch } from '../conformance/search.js';
import { nodeIds } from '../conformance/campaign.js';

const n = Number(process.argv[2] ?? 3000);
const servers = nodeIds(3);

function record(count: number, steps: number, seed: number): Trace[] {
  return Array.from({ length: count }, (_, k) => recordRun(seed + k, steps, servers));
}

/** The same traces without `sent` on any step. */
const withoutSent = (traces: readonly Trace[]): Trace[] => traces.map((t) => ({ ...t, steps: t.steps.map(({ sent: _sent, sentPartial: _partial, ...s }) => s) }));

function time(traces: readonly Trace[], search: boolean): { ms: number; steps: number; status: Record<string, number> } {
  const status: Record<string, number> = {};
  let steps = 0;
  const t0 = performance.now();
  let last = t0;
  for (const [k, t] of traces.entries()) {
    const r = validateBySearch(t, search ? {} : { pin: MODEL_PROFILE });
    status[r.status] = (status[r.status] ?? 0) + 1;
    steps += t.steps.length;
    const now = performance.now();
    if (now - last > 5000) {
      process.stderr.write(`  ... ${search ? 'search' : 'model profile'}: ${k + 1}/${traces.length} traces\n`);
      last = now;
    }
  }
  return { ms: performance.now() - t0, steps, status };
}

const show = (name: string, r: { ms: number; steps: number; status: Record<string, number> }) =>
  `${name.padEnd(28)} ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${Math.round(r.steps / (r.ms / 1000)).toString().padStart(8)} steps/s  ${JSON.stringify(r.status)}`;

const t0 = performance.now();
const traces = record(n, 250, 1);
console.log(`raftspec bench:validate: ${n} traces recorded by impl/ (3 servers, 250 steps each) in ${((performance.now() - t0) / 1000).toFixed(1)} s, Node ${process.version}`);
const pinned = time(traces, false);
console.log(show('model profile (--pin model)', pinned));
const searched = time(traces, true);
console.log(show('search (default)', searched));
console.log(`search / model profile: ${(searched.ms / pinned.ms).toFixed(2)}x the time   (target: the search under 60 s for 3000 traces)`);
const sparse = time(withoutSent(traces), true);
console.log(show('search, without sent', sparse));
// Per-step cost against trace length: 250-step and 1000-step traces, search.
const short = time(withoutSent(record(40, 250, 50_000)), true);
const long = time(withoutSent(record(10, 1000, 60_000)), true);
const perStep = (r: { ms: number; steps: number }) => r.ms / r.steps;
console.log(`search per step, without sent: ${(1000 * perStep(short)).toFixed(0)} us at 250 steps, ${(1000 * perStep(long)).toFixed(0)} us at 1000 steps (${(perStep(long) / perStep(short)).toFixed(2)}x; target <= 1.5x)`);
