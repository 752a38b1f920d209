// Shrinking a failing trace to a short one that fails the same way, by delta debugging: on the
// choices of a generated schedule first (`shrinkSchedule`: drop choices and let the generator
// re-read the rest, so that what follows adapts), then on the steps of the trace (`shrinkTrace`:
// drop steps while every event stays possible and lockstep fails the same way). Both end
// 1-minimal: no single choice or step can be removed. fast-check's own shrinking of a choice list
// is much slower here and cannot go below the schedule's minimum length.
import type { Trace } from '../spec/schema.js';
import { canonicalJson } from '../spec/canonical.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { profileOf } from '../spec/choices.js';
import { lockstep, type ImplFactory, type LockstepResult } from './lockstep.js';
import { traceFromChoices, type Choice, type GenerateOptions } from './generate.js';

/**
 * How a lockstep result fails, for comparing two results: the divergence field with any [..]
 * subscript blanked ('matchIndex[]', 'log[].term'), or the IDs of the violated invariants; null
 * for a pass or a bad input.
 */
export function failureSignature(r: LockstepResult): string | null {
  switch (r.status) {
    case 'diverge':
      return `diverge ${r.divergence.field.replace(/\[[^\]]*\]/g, '[]')}`;
    case 'fail':
      return `fail ${r.failure.kind} ${r.failure.problems.map((p) => p.split(' ')[0]).join(',')}`;
    default:
      return null;
  }
}

/**
 * Greedy delta debugging on a list: removes chunks (halves, quarters, ... single items, each
 * size from the end backwards), keeping a removal when `fails` says the shorter list still fails;
 * `fails` returns how many leading items the failure needs (the rest is cut), or null. Ends when
 * no single item can be removed (1-minimal) or after `maxRuns` calls of `fails`.
 */
export function ddmin<T>(items: readonly T[], fails: (candidate: readonly T[]) => number | null, maxRuns: number): { items: readonly T[]; runs: number } {
  let current = items;
  let runs = 0;
  let chunk = Math.max(1, current.length >> 1);
  for (;;) {
    let removed = false;
    // From the end: the later an item, the fewer later ones depend on it.
    for (let start = current.length - chunk; start >= 0 && runs < maxRuns; start--) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      runs++;
      const keep = fails(candidate);
      if (keep === null) continue;
      current = candidate.slice(0, keep);
      removed = true;
      start = Math.min(start, current.length - chunk + 1);
    }
    if (runs >= maxRuns) break;
    if (chunk > 1) chunk = Math.max(1, chunk >> 1);
    else if (!removed) break;
  }
  return { items: current, runs };
}

export interface ShrinkResult {
  readonly trace: Trace;
  readonly result: LockstepResult;
  /** How many times a trace was replayed in lockstep. */
  readonly runs: number;
}

/**
 * Shrinks a failing trace by removing steps: delta debugging ({@link ddmin}) keeping a removal
 * when the trace is still valid (every event possible: a deliver, drop or duplicate needs its
 * message in flight, a restart a crashed node; a removal that breaks this gives 'bad-input'; an
 * inject must stay a copy of a message sent before, {@link injectsAreDelayedCopies}) and
 * lockstep still fails the same way ({@link failureSignature}). The steps after the failing one
 * are cut. The result is 1-minimal: no single step can be removed.
 */
export function shrinkTrace(trace: Trace, impl: ImplFactory, maxRuns = 5_000): ShrinkResult {
  const first = lockstep(trace, impl);
  const signature = failureSignature(first);
  if (signature === null || first.status === 'bad-input') throw new Error(`shrinkTrace: the trace does not fail (${first.status})`);
  let result: LockstepResult = first;
  const { items, runs } = ddmin(trace.steps.slice(0, first.steps), (steps) => {
    const candidate: Trace = { ...trace, steps: [...steps] };
    if (!injectsAreDelayedCopies(candidate)) return null;
    const r = lockstep(candidate, impl);
    if (r.status === 'bad-input' || failureSignature(r) !== signature) return null;
    result = r;
    return r.steps;
  }, maxRuns);
  return { trace: { ...trace, steps: [...items] }, result, runs: runs + 1 };
}

/**
 * Whether every `inject` of the trace hands over a copy of a message sent by an earlier step (a
 * delayed copy, as the generator makes them), rather than one no server sent. The trace format
 * allows a hand-written inject, but a shrunk trace should stay an execution that can happen: a
 * removal that leaves a copy of a message no longer sent is refused.
 */
export function injectsAreDelayedCopies(trace: Trace): boolean {
  if (!trace.steps.some((s) => s.event.type === 'inject')) return true;
  let c: ClusterState = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration, trace.profile && profileOf(trace.profile));
  const sent = new Set<string>();
  for (const { event } of trace.steps) {
    if (event.type === 'inject' && !sent.has(canonicalJson(event.message))) return false;
    const r = applyEvent(c, event);
    if ('error' in r) return true; // lockstep reports the bad input
    for (const m of r.sent) sent.add(canonicalJson(m));
    c = r.state;
  }
  return true;
}

/**
 * Shrinks a failing schedule (the choices a campaign generated) by removing choices. Stronger
 * than removing steps: the interpreter re-reads every later choice in the new state, so what
 * follows a removed step adapts (other terms, other messages) instead of becoming impossible.
 */
export function shrinkSchedule(choices: readonly Choice[], gen: GenerateOptions, impl: ImplFactory, maxRuns = 2_000): ShrinkResult {
  const run = (cs: readonly Choice[]) => {
    const { trace } = traceFromChoices(cs, gen);
    return { trace, result: lockstep(trace, impl) };
  };
  const first = run(choices);
  const signature = failureSignature(first.result);
  if (signature === null || first.result.status === 'bad-input') throw new Error(`shrinkSchedule: the schedule does not fail (${first.result.status})`);
  let best = first;
  const { items, runs } = ddmin(choices.slice(0, first.result.steps), (cs) => {
    const r = run(cs);
    if (r.result.status === 'bad-input' || failureSignature(r.result) !== signature) return null;
    best = r;
    return r.result.steps;
  }, maxRuns);
  const { trace } = traceFromChoices(items, gen);
  return { trace: { ...first.trace, steps: trace.steps }, result: best.result, runs: runs + 1 };
}
