// Issue 11, "How it is checked": planted bugs in copies of the example (bugs.ts), each run over
// the same seeded schedules and every trace validated by search, as `raftspec validate` does
// (the trace's JSON text parsed and checked, then validateBySearch). For each bug:
//
//   fired  the runs in which the bug's behaviour occurred (its counter, bugs.ts, moved);
//   failed of those, the runs that `validate` fails (status 'fail');
//   named  of those, the failures that name one of the bug's rule IDs (in the problems or in the
//          rules the model fired at the failing step);
//   field  of those, the failures whose problems name the state field or message the bug corrupts;
//   at its step  of those, the failures at the very step at which the bug first fired (a run's
//          first k steps are the run of k steps, so the step is found by running k and k + 1);
//   unfired = correct  the runs in which the bug never fired whose trace is, byte for byte, the
//          correct example's under the same schedule: the counter misses no observable behaviour.
//
// Asserted: every bug fires in at least MIN_FIRED runs; every run in which it did not fire is the
// correct example's run; `validate` fails in at least 95% of the runs in which it fired, at the
// step it fired, naming its rule in at least 95% of them. Where the checker, as it
// stands, does not name the rule (CHECKER_NAMES_NO_RULE below, with the reason), the test says so
// in the table and asserts instead that the failure names the field in at least 95% of the runs;
// it also asserts that the rule is still not named, so that the mark is removed once the checker
// names it. The correct example passes the same seeds under every schedule a bug uses: no false alarm.

import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrace } from '../../../conformance/load.js';
import { describeResult } from '../../../conformance/report.js';
import { validateBySearch } from '../../../conformance/search.js';
import { PLANTED_BUGS, loadHarness, takeFired, type Patch, type PlantedBug } from './bugs.js';
import * as example from '../harness.js';

const RUNS = 40;
const FIRST_SEED = 1;
const STEPS = 250;
const SERVERS = 3;
const THRESHOLD = 0.95;
const MIN_FIRED = 5;

/**
 * Bugs whose failures the checker reports, as it stands, without the ID of the rule they break.
 * The model cites a rule when the rule changes its state, not when it holds it still (AE-3 only on
 * a real conflict, LEA-4 only on a commit, DEC-2 only when a leaderCommit above commitIndex is
 * clamped): when the implementation changes a field that the rule keeps as it is, the failing step
 * names the field, the event and the rules that did act (FOL-1, LEA-3a, LEA-2, CLI-1, ALL-1).
 */
const CHECKER_NAMES_NO_RULE: Readonly<Record<string, string>> = {};

interface Tally {
  bug: string;
  fired: number;
  failed: number;
  named: number;
  field: number;
  /** Failures at the very step at which the bug first did something different. */
  atStep: number;
  ids: Map<string, number>;
  /** Runs in which the bug never fired, and of those the runs whose trace is the correct example's, byte for byte. */
  unfired: number;
  unfiredSame: number;
  misses: string[];
}

type Harness = typeof example;
type Trace = ReturnType<Harness['generateTrace']>['trace'];

/** One trace through `raftspec validate`'s path: its JSON text, parsed and checked, then validated by search. */
function validate(h: Harness, trace: Trace) {
  const loaded = parseTrace(h.traceJson(trace));
  if (!loaded.ok) throw new Error(`the harness wrote a trace the loader refuses: ${loaded.error.message}`);
  return validateBySearch(loaded.trace);
}

const seeds = Array.from({ length: RUNS }, (_, k) => FIRST_SEED + k);
const tallies: Tally[] = [];
const controls: string[] = [];

/** The patch of harness.ts (the schedule's weights) a bug applies, if any. */
const scheduleOf = (bug: PlantedBug): Patch | null => bug.patches.find((p) => p.file === 'harness.ts') ?? null;

/** The correct example under a schedule: itself, or a copy with only the schedule's patch. */
const correctHarnesses = new Map<string, Promise<Harness>>();
function correctUnder(schedule: Patch | null): Promise<Harness> {
  const key = schedule?.replace ?? '';
  let h = correctHarnesses.get(key);
  if (h === undefined) {
    h = schedule === null ? Promise.resolve(example) : loadHarness({ name: `Correct-${createHash('sha1').update(key).digest('hex').slice(0, 8)}`, patches: [schedule] });
    correctHarnesses.set(key, h);
  }
  return h;
}

/** How many times the bug fires in the first `steps` steps of the seed's run (a run's first k steps are the run of k steps). */
function firedIn(h: Harness, seed: number, steps: number): number {
  takeFired();
  h.generateTrace({ seed, servers: SERVERS, steps });
  return takeFired();
}

async function measure(bug: PlantedBug): Promise<Tally> {
  const h = await loadHarness(bug);
  const correct = await correctUnder(scheduleOf(bug));
  const t: Tally = { bug: bug.name, fired: 0, failed: 0, named: 0, field: 0, atStep: 0, ids: new Map(), unfired: 0, unfiredSame: 0, misses: [] };
  for (const seed of seeds) {
    takeFired();
    const { trace } = h.generateTrace({ seed, servers: SERVERS, steps: STEPS });
    if (takeFired() === 0) {
      // The bug never did anything observably different: the trace must be the correct example's.
      t.unfired += 1;
      if (h.traceJson(trace) === correct.traceJson(correct.generateTrace({ seed, servers: SERVERS, steps: STEPS }).trace)) t.unfiredSame += 1;
      else t.misses.push(`seed ${seed}: the bug did not fire, yet the trace differs from the correct example's (its counter misses a behaviour)`);
      continue;
    }
    t.fired += 1;
    const r = validate(h, trace);
    if (r.status !== 'fail') {
      t.misses.push(`seed ${seed}: ${r.status}: ${describeResult(r).split('\n')[0]}`);
      continue;
    }
    t.failed += 1;
    const text = [...r.failure.problems, ...r.failure.rules].join('\n');
    const ids = bug.rules.filter((id) => new RegExp(`\\b${id}\\b`).test(text));
    for (const id of ids) t.ids.set(id, (t.ids.get(id) ?? 0) + 1);
    if (ids.length > 0) t.named += 1;
    else t.misses.push(`seed ${seed}: names none of ${bug.rules.join(', ')}: ${describeResult(r).replace(/\n/g, ' | ')}`);
    if (bug.fields.some((f) => r.failure.problems.some((p) => p.includes(f)))) t.field += 1;
    else t.misses.push(`seed ${seed}: fails naming neither ${bug.fields.join(' nor ')}: ${describeResult(r).split('\n')[0]}`);
    if (firedIn(h, seed, r.failure.step) === 0 && firedIn(h, seed, r.failure.step + 1) > 0) t.atStep += 1;
    else t.misses.push(`seed ${seed}: fails at step ${r.failure.step}, not at the step the bug first fired`);
  }
  return t;
}

const pct = (n: number, of: number) => (of === 0 ? '-' : `${Math.round((100 * n) / of)}%`);

describe('planted bugs in copies of the example (issue 11): validate fails, naming the rule', () => {
  afterAll(() => {
    const rows = [
      ['bug', 'runs fired', 'failed', 'named', 'field named', 'at its step', 'IDs named', 'unfired = correct', 'note'],
      ...tallies.map((t) => [
        t.bug, `${t.fired}/${RUNS}`, `${t.failed} (${pct(t.failed, t.fired)})`, `${t.named} (${pct(t.named, t.fired)})`, `${t.field} (${pct(t.field, t.fired)})`,
        `${t.atStep} (${pct(t.atStep, t.fired)})`, [...t.ids].map(([id, n]) => `${id} ×${n}`).join(', ') || '-', `${t.unfiredSame}/${t.unfired}`,
        t.bug in CHECKER_NAMES_NO_RULE ? 'the checker names no rule ID (CHECKER_NAMES_NO_RULE)' : '',
      ]),
    ];
    const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => `| ${r.map((x, c) => x.padEnd(width[c]!)).join(' | ')} |`;
    const table = [line(rows[0]!), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
    const reasons = tallies.filter((t) => t.bug in CHECKER_NAMES_NO_RULE).map((t) => `${t.bug}: ${CHECKER_NAMES_NO_RULE[t.bug]}`);
    console.log([`planted bugs: ${RUNS} runs each (seeds ${FIRST_SEED}..${FIRST_SEED + RUNS - 1}, ${SERVERS} servers, ${STEPS} steps)`, ...table, ...reasons, ...controls].join('\n'));
  });

  for (const bug of PLANTED_BUGS) {
    it(`${bug.name}: fails in >= 95% of the runs where it fires, naming ${bug.rules.join(' / ')}`, async () => {
      const t = await measure(bug);
      tallies.push(t);
      const detail = `${bug.name}: fired ${t.fired}, failed ${t.failed}, named ${t.named}, field ${t.field}, at its step ${t.atStep}\n${t.misses.slice(0, 5).join('\n')}`;
      expect(t.fired, `${bug.name} fired in too few runs to measure anything`).toBeGreaterThanOrEqual(MIN_FIRED);
      expect(t.unfiredSame, detail).toBe(t.unfired);
      expect(t.failed / t.fired, detail).toBeGreaterThanOrEqual(THRESHOLD);
      expect(t.atStep / t.fired, detail).toBeGreaterThanOrEqual(THRESHOLD);
      const miss = CHECKER_NAMES_NO_RULE[bug.name];
      if (miss === undefined) {
        expect(t.named / t.fired, detail).toBeGreaterThanOrEqual(THRESHOLD);
      } else {
        expect(t.field / t.fired, detail).toBeGreaterThanOrEqual(THRESHOLD);
        expect(t.named / t.fired, `${bug.name}: the checker now names ${bug.rules.join(' / ')} in ${pct(t.named, t.fired)} of the failures; remove it from CHECKER_NAMES_NO_RULE`).toBeLessThan(THRESHOLD);
      }
    });
  }

  /** The schedules the bugs run under: the example's own, and each weight patch of harness.ts a bug applies. */
  const schedules = new Map<string, Patch | null>([['the example\'s schedule', null]]);
  for (const bug of PLANTED_BUGS) {
    const p = scheduleOf(bug);
    if (p !== null && ![...schedules.values()].some((q) => q?.replace === p.replace)) schedules.set(`the schedule of ${bug.name}`, p);
  }
  for (const [label, p] of schedules) {
    it(`the correct example passes the same seeds under ${label} (no false alarm)`, async () => {
      const h = await correctUnder(p);
      const wrong: string[] = [];
      for (const seed of seeds) {
        const r = validate(h, h.generateTrace({ seed, servers: SERVERS, steps: STEPS }).trace);
        if (r.status !== 'pass') wrong.push(`seed ${seed}: ${r.status}: ${describeResult(r)}`);
      }
      controls.push(`correct example under ${label}: ${RUNS - wrong.length}/${RUNS} pass`);
      expect(wrong).toEqual([]);
    });
  }
});
