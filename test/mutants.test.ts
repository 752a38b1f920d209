// Proof that the conformance runner finds bugs: each mutant of test/mutants.ts puts one pitfall of
// section 6 of the reference back into the implementation. For each, a seeded campaign of fixed
// budget must find it, the failing trace must shrink to a short one, and the report must name the
// step and the field the pitfall breaks. The real implementation must pass the same campaigns, and
// every shrunk trace, so that what is found is the bug and nothing else.
//
// The campaign shrinks what it finds itself (conformance/shrink.ts: delta debugging on the
// schedule's choices, then on the trace's steps).
import { afterAll, describe, expect, it } from 'vitest';
import { RaftNode } from '../impl/index.js';
import { nodeIds, runCampaign, type CampaignConfig } from '../conformance/campaign.js';
import { lockstep, REAL_IMPL, type ImplFactory, type LockstepResult } from '../conformance/lockstep.js';
import { CLIENT_WEIGHTS, DEFAULT_WEIGHTS, type Weights } from '../conformance/generate.js';
import { describeEvent } from '../conformance/replay.js';
import { describeResult } from '../conformance/report.js';
import { validateTrace } from '../spec/validate.js';
import { failureSignature, injectsAreDelayedCopies } from '../conformance/shrink.js';
import { factoryOf, loadMutant, MUTANTS, type CampaignShape } from './mutants.js';

/** One seed for every campaign, mutants and real implementation alike. */
const SEED = 4;
/** At most this many schedules of at most this many steps per campaign. */
const BUDGET = { count: 300, steps: 200 } as const;
/** A shrunk trace has at most this many steps. */
const MAX_SHRUNK_STEPS = 40;

const campaign = (shape: CampaignShape, impl: ImplFactory): CampaignConfig => ({
  seed: SEED,
  count: BUDGET.count,
  steps: BUDGET.steps,
  servers: nodeIds(shape.servers),
  impl,
  ...(shape.options ? { options: shape.options } : {}),
  ...(shape.weights ? { weights: shape.weights } : {}),
  ...(shape.clients ? { clients: shape.clients } : {}),
  ...(shape.membership ? { membership: shape.membership } : {}),
});

function shapeName(shape: CampaignShape): string {
  // With clients a campaign's weights default to CLIENT_WEIGHTS (conformance/campaign.ts).
  const base = shape.clients ? CLIENT_WEIGHTS : DEFAULT_WEIGHTS;
  const changed = Object.entries(shape.weights ?? {}).filter(([k, v]) => base[k as keyof Weights] !== v).map(([k, v]) => `${k} ${v}`);
  const clients = shape.clients ? `, clients ${shape.clients.ids.join('/')} on keys ${shape.clients.keys.join('/')}` : '';
  return `${shape.servers} servers${shape.options ? `, options ${JSON.stringify(shape.options)}` : ''}${clients}${shape.membership ? ', membership changes' : ''}, ${changed.length > 0 ? `weights changed: ${changed.join(', ')}` : `${shape.clients ? 'client' : 'default'} weights`}`;
}

/** The field (divergence) or the invariant IDs (failure) a result names. */
function named(r: LockstepResult): string {
  if (r.status === 'diverge') return r.divergence.field;
  if (r.status === 'fail') return r.failure.problems.map((p) => p.split(' ')[0]).join(', ');
  return r.status;
}

const namesExpected = (r: LockstepResult, fields: readonly string[]): boolean =>
  fields.some((f) => (r.status === 'fail' ? named(r).split(', ').includes(f) : named(r).startsWith(f)));

const rows: string[] = [];
afterAll(() => {
  if (rows.length > 0) console.log(['mutant | schedules | found at | shrunk to | field named | ms', ...rows].join('\n'));
});

describe(`mutants: each pitfall is found by a campaign of at most ${BUDGET.count} schedules of ${BUDGET.steps} steps (seed ${SEED}) and shrinks to at most ${MAX_SHRUNK_STEPS} steps`, () => {
  for (const m of MUTANTS) {
    it(`${m.name} (${m.rule}): ${m.pitfall}`, async () => {
      const t0 = performance.now();
      const impl = factoryOf(await loadMutant(m));
      const cfg = campaign(m.shape, impl);
      const { failure, totals } = runCampaign(cfg);
      expect(failure, `${m.name}: no divergence in ${totals.traces} schedules`).not.toBeNull();
      if (!failure) return;
      expect(totals.traces).toBeLessThanOrEqual(BUDGET.count);
      expect(failure.foundResult.status).not.toBe('bad-input');
      expect(namesExpected(failure.foundResult, m.fields), `the campaign's first report: ${describeResult(failure.foundResult)}`).toBe(true);

      const { trace, result } = failure;
      const report = describeResult(result);

      // Short, valid (every step possible; every inject a copy of a message sent before), and failing the same way.
      expect(trace.steps.length, report).toBeLessThanOrEqual(MAX_SHRUNK_STEPS);
      expect(validateTrace(trace).ok).toBe(true);
      expect(injectsAreDelayedCopies(trace)).toBe(true);
      expect(failureSignature(result)).toBe(failureSignature(failure.foundResult));
      expect(namesExpected(result, m.fields), report).toBe(true);

      // The report names a step of the trace, its event, and the field.
      if (result.status === 'diverge') {
        const d = result.divergence;
        expect(d.step).toBeGreaterThanOrEqual(0);
        expect(d.step).toBeLessThan(trace.steps.length);
        expect(d.step).toBe(trace.steps.length - 1); // the steps after the failing one were cut
        expect(d.event).toBe(describeEvent(trace.steps[d.step]!.event));
        expect(report).toContain(`step ${d.step} (/steps/${d.step}: ${d.event}): node ${d.node}, ${d.field}:`);
      } else if (result.status === 'fail') {
        const f = result.failure;
        expect(f.step).toBeLessThan(trace.steps.length);
        expect(report).toContain(`step ${f.step} (/steps/${f.step}`);
      } else {
        expect.unreachable(`the shrunk trace ${result.status}`);
      }

      // 1-minimal: without any one of its steps the trace is impossible, or no longer fails so.
      for (let k = 0; k < trace.steps.length; k++) {
        const smaller = { ...trace, steps: trace.steps.filter((_: unknown, i: number) => i !== k) };
        const r = lockstep(smaller, impl);
        const still = injectsAreDelayedCopies(smaller) && r.status !== 'bad-input' && failureSignature(r) === failureSignature(result);
        expect(still, `step ${k} could be removed`).toBe(false);
      }

      // The divergence is the mutant's: the real implementation passes the shrunk trace.
      expect(describeResult(lockstep(trace, REAL_IMPL))).toBe(`${trace.steps.length} steps hold`);

      rows.push(`${m.name} | ${totals.traces} | ${failure.found.steps.length} steps | ${trace.steps.length} steps | step ${result.status === 'diverge' ? result.divergence.step : '?'}: ${named(result)} | ${Math.round(performance.now() - t0)}`);
    });
  }
});

describe('the patches', () => {
  it('every patch of every mutant applies exactly once, and every patched copy is created, and restarts, as its own RaftNode', async () => {
    const config = { id: 's1', servers: ['s1', 's2', 's3'] };
    const classes = new Set<unknown>([RaftNode]);
    for (const m of MUTANTS) {
      expect(m.patches.length, m.name).toBeGreaterThan(0);
      const cls = await loadMutant(m); // throws, naming the mutant and the patch, unless each snippet occurs exactly once
      classes.add(cls);
      const impl = factoryOf(cls);
      expect(impl.create(config)).toBeInstanceOf(cls);
      const restarted = impl.restart(config, { hardState: { currentTerm: 2, votedFor: 's2' }, log: [{ term: 1, command: 'x' }] });
      expect(restarted).toBeInstanceOf(cls);
      expect(restarted.toJSON()).toMatchObject({ role: 'follower', currentTerm: 2, votedFor: 's2', log: [{ term: 1, command: 'x' }], commitIndex: 0 });
    }
    expect(classes.size).toBe(MUTANTS.length + 1);
    expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
  });
});

describe('the real implementation passes the same campaigns', () => {
  const shapes = new Map<string, CampaignShape>();
  for (const m of MUTANTS) shapes.set(shapeName(m.shape), m.shape);
  for (const [name, shape] of shapes) {
    it(`${name}: ${BUDGET.count} schedules of up to ${BUDGET.steps} steps, seed ${SEED}`, () => {
      const { failure, totals } = runCampaign(campaign(shape, REAL_IMPL));
      expect(failure?.report ?? null).toBeNull();
      expect(totals.traces).toBe(BUDGET.count);
    });
  }
});
