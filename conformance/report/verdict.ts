// What a run of `check`, `validate` or `diff` concluded, in the form the HTML report shows it: the
// failing step, the model's value and the other side's side by side, and the rules involved with
// their text from spec/rules.ts.
import { RULE_BY_ID } from '../../spec/rules.js';
import type { LockstepResult } from '../lockstep.js';
import type { ReplayResult } from '../replay.js';
import type { SearchResult } from '../search.js';
import type { CompareResult } from '../compare.js';
import { describeResult, describeTaken } from '../report.js';
import { describeComparison } from '../compare.js';

export type RunResult = ReplayResult | LockstepResult | SearchResult;

/** One field on which the model and the other side (the trace, the implementation, the changed run) disagree. */
export interface SideBySide {
  readonly node: string | null;
  readonly field: string;
  readonly model: string;
  readonly other: string;
}

export interface Verdict {
  readonly status: 'pass' | 'fail' | 'diverge' | 'undecided' | 'same' | 'differs';
  /** The report's text (report.ts): one line, then indented detail lines. */
  readonly text: string;
  /** The step that failed or first differs; -1 for the initial state; null when nothing failed. */
  readonly step: number | null;
  readonly kind: string | null;
  readonly problems: readonly string[];
  /** What the two columns of `sideBySide` are. */
  readonly modelLabel: string;
  readonly otherLabel: string;
  readonly sideBySide: readonly SideBySide[];
  /** The rule IDs involved (fired at the failing step, or named by a problem), each in spec/rules.ts. */
  readonly rules: readonly string[];
}

/** Rule IDs named in a text ("decided by LEA-4", "INV-6 ... violated", "with DEC-17b"). */
export function rulesNamed(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) for (const m of l.matchAll(/\b[A-Z]{2,5}-\d+[a-z]?\b/g)) if (RULE_BY_ID.has(m[0])) out.push(m[0]);
  return out;
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/**
 * `<node>.<field>: expected <trace's value>, got <model's value>`, the documented form of an
 * expectation problem (docs/trace-format.md); lines about other alternatives ("with DEC-17b: ...")
 * are left out: they are another run's values.
 */
function expectationPairs(problems: readonly string[]): SideBySide[] {
  const out: SideBySide[] = [];
  for (const p of problems) {
    const m = /^([^\s.]+)\.(\w+): expected (.*), got (.*)$/.exec(p);
    if (m) out.push({ node: m[1] as string, field: m[2] as string, other: m[3] as string, model: m[4] as string });
    const crashed = /^crashed: expected (.*), got (.*)$/.exec(p);
    if (crashed) out.push({ node: null, field: 'crashed', other: crashed[1] as string, model: crashed[2] as string });
    // A message no permitted behaviour sent, against the nearest one the model has: `(<field>: the trace has <v>, the model <v>; ...)`.
    const start = /\((\w+): the trace has /.exec(p);
    if (!m && start && p.endsWith(')')) {
      for (const piece of p.slice(start.index + 1, -1).split(/; (?=\w+: the trace has )/)) {
        const f = /^(\w+): the trace has (.*), the model (.*)$/.exec(piece);
        if (f) out.push({ node: null, field: `message ${f[1]}`, other: f[2] as string, model: f[3] as string });
      }
    }
  }
  return out;
}

export function verdictOf(result: RunResult): Verdict {
  const taken = 'taken' in result && result.taken && Object.keys(result.taken).length > 0 ? `\nalternatives taken: ${describeTaken(result.taken)}` : '';
  const text = `${describeResult(result)}${taken}`;
  const base = { text, modelLabel: 'the model', otherLabel: 'the trace' };
  switch (result.status) {
    case 'pass':
      return { ...base, status: 'pass', step: null, kind: null, problems: [], sideBySide: [], rules: [] };
    case 'bad-input':
      // Never drawn: bad input has no run to show (the CLI writes no report for it).
      return { ...base, status: 'fail', step: null, kind: 'bad-input', problems: [`${result.path}: ${result.expected}`], sideBySide: [], rules: [] };
    case 'undecided':
      return { ...base, status: 'undecided', step: result.step, kind: 'undecided', problems: [result.reason], sideBySide: [], rules: [] };
    case 'diverge': {
      const d = result.divergence;
      return {
        ...base, otherLabel: 'the implementation', status: 'diverge', step: d.step, kind: 'divergence',
        problems: [`node ${d.node}, ${d.field}: the model has ${d.model}, the implementation ${d.impl}`],
        sideBySide: [{ node: d.node, field: d.field, model: d.model, other: d.impl }],
        rules: unique(d.rules.filter((id) => RULE_BY_ID.has(id))),
      };
    }
    case 'fail': {
      const f = result.failure;
      return {
        ...base, status: 'fail', step: f.step, kind: f.kind, problems: f.problems,
        sideBySide: expectationPairs(f.problems),
        rules: unique([...rulesNamed(f.problems), ...f.rules.filter((id) => RULE_BY_ID.has(id))]),
      };
    }
  }
}

/** `diff`: the first step at which the run as written and the run with the change differ. */
export function comparisonVerdict(result: CompareResult): Verdict {
  const base = { text: describeComparison(result), modelLabel: 'without the change', otherLabel: 'with the change' };
  switch (result.status) {
    case 'same':
    case 'bad-input':
      return { ...base, status: 'same', step: null, kind: null, problems: [], sideBySide: [], rules: [] };
    case 'differs': {
      const d = result.difference;
      return {
        ...base, status: 'differs', step: d.step, kind: 'difference',
        problems: [`${d.node === null ? '' : `node ${d.node}, `}${d.field}: without the change ${d.without}; with it ${d.with}`],
        sideBySide: [{ node: d.node, field: d.field, model: d.without, other: d.with }],
        rules: unique([...d.rulesWithout, ...d.rulesWith].filter((id) => RULE_BY_ID.has(id))),
      };
    }
  }
}
