// Reviewing a protocol change: the same trace through the model twice, with its own options and
// with some changed, side by side; the first step at which the two runs differ is reported as a
// divergence is (step, event, node, field, both values, the rules each side fired).
import type { ProtocolOptions, Trace } from '../spec/schema.js';
import { describeMessage } from '../spec/canonical.js';
import type { RuleId } from '../spec/rules.js';
import { type ClusterState, type ClusterStep, applyEvent, initCluster } from '../model/cluster.js';
import { toJson } from '../model/state.js';
import { compareObservation } from './observe.js';
import { describeEvent, describeReply } from './replay.js';

export interface OptionDifference {
  readonly step: number;
  readonly event: string;
  /** The server whose state or output differs; null for a difference in which events are possible. */
  readonly node: string | null;
  readonly field: string;
  readonly without: string;
  readonly with: string;
  readonly rulesWithout: readonly RuleId[];
  readonly rulesWith: readonly RuleId[];
  /** The steps before, as "index: event" lines. */
  readonly before: readonly string[];
}

export type CompareResult =
  | { readonly status: 'same'; readonly steps: number }
  | { readonly status: 'differs'; readonly steps: number; readonly difference: OptionDifference }
  | { readonly status: 'bad-input'; readonly path: string; readonly expected: string };

const CONTEXT_STEPS = 5;

/**
 * Replays `trace` as written and with `changed` options laid over its own, and returns the first
 * step where the runs differ: in the messages sent, the client replies, the entries applied, the
 * state of the server that handled the event, the crashed set, or an event that is possible in one
 * run only (a delivery of a message the other run never sent).
 */
export function compareOptions(trace: Trace, changed: ProtocolOptions): CompareResult {
  let a: ClusterState = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration);
  let b: ClusterState = initCluster(trace.cluster, { ...(trace.options ?? {}), ...changed }, trace.initial, trace.configuration);
  const recent: string[] = [];
  for (const [i, s] of trace.steps.entries()) {
    const ra = applyEvent(a, s.event);
    if ('error' in ra) return { status: 'bad-input', path: `/steps/${i}/event`, expected: `an event possible in this state: ${ra.error}` };
    const rb = applyEvent(b, s.event);
    const differ = (node: string | null, field: string, without: string, withIt: string, rulesWith: readonly RuleId[] = []): CompareResult => ({
      status: 'differs', steps: i + 1,
      difference: { step: i, event: describeEvent(s.event), node, field, without, with: withIt, rulesWithout: ra.rules, rulesWith, before: [...recent] },
    });
    if ('error' in rb) return differ(null, 'whether the event is possible', 'possible', `not possible (${rb.error})`);
    const d = firstDifference(ra, rb);
    if (d) return differ(d.node, d.field, d.without, d.with, rb.rules);
    a = ra.state;
    b = rb.state;
    recent.push(`${i}: ${describeEvent(s.event)}`);
    if (recent.length > CONTEXT_STEPS) recent.shift();
  }
  return { status: 'same', steps: trace.steps.length };
}

function firstDifference(ra: ClusterStep, rb: ClusterStep): { node: string | null; field: string; without: string; with: string } | null {
  const node = ra.node;
  const list = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.join('; '));
  const sentA = ra.sent.map(describeMessage);
  const sentB = rb.sent.map(describeMessage);
  if (sentA.join('\n') !== sentB.join('\n')) return { node, field: 'messages sent', without: list(sentA), with: list(sentB) };
  const repA = ra.replies.map(describeReply);
  const repB = rb.replies.map(describeReply);
  if (repA.join('\n') !== repB.join('\n')) return { node, field: 'client replies', without: list(repA), with: list(repB) };
  const appA = ra.applied.map((x) => `${x.index}@t${x.term}`);
  const appB = rb.applied.map((x) => `${x.index}@t${x.term}`);
  if (appA.join() !== appB.join()) return { node, field: 'entries applied', without: list(appA), with: list(appB) };
  if (node !== null) {
    const sa = ra.state.nodes[node];
    const sb = rb.state.nodes[node];
    if (sa && sb) {
      const m = compareObservation(node, toJson(sa), toJson(sb))[0];
      if (m) return { node, field: m.field, without: m.expected, with: m.actual };
    }
  }
  const crashedA = [...ra.state.crashed].sort().join(', ');
  const crashedB = [...rb.state.crashed].sort().join(', ');
  if (crashedA !== crashedB) return { node: null, field: 'crashed', without: `[${crashedA}]`, with: `[${crashedB}]` };
  return null;
}

/** A comparison in words: one line, then indented detail lines. */
export function describeComparison(r: CompareResult): string {
  switch (r.status) {
    case 'same':
      return `${r.steps} steps behave the same`;
    case 'bad-input':
      return `${r.path}: ${r.expected}`;
    case 'differs': {
      const d = r.difference;
      const lines = [`step ${d.step} (/steps/${d.step}: ${d.event}): ${d.node === null ? '' : `node ${d.node}, `}${d.field}: without the change ${d.without}; with it ${d.with}`];
      if (d.rulesWithout.length > 0 || d.rulesWith.length > 0) lines.push(`  rules fired without the change: ${d.rulesWithout.join(', ') || 'none'}; with it: ${d.rulesWith.join(', ') || 'none'}`);
      if (d.before.length > 0) lines.push('  the steps before:', ...d.before.map((x) => `    ${x}`));
      return lines.join('\n');
    }
  }
}
