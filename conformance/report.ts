// Results in words a reviewer reads in a minute: the trace, the step and its event, the node, the
// field, the model's value and the other side's, the rules the model fired, the steps before.
import type { LockstepResult } from './lockstep.js';
import type { ReplayResult } from './replay.js';
import type { SearchResult, Taken } from './search.js';
import { printable } from './json-syntax.js';

type AnyResult = ReplayResult | LockstepResult | SearchResult;

/** The alternatives seen taken, most frequent first: "DEC-17b ×44, DEC-18b ×22". */
export function describeTaken(taken: Taken | undefined): string {
  const entries = Object.entries(taken ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.map(([id, n]) => `${id} ×${n}`).join(', ');
}

/** The result without the file name: one line, then indented detail lines. */
export function describeResult(result: AnyResult): string {
  switch (result.status) {
    case 'pass':
      return `${result.steps} steps hold`;
    case 'bad-input':
      // One line, whatever the file held: its bytes may be quoted in the message.
      return printable(`${result.path}: ${result.expected}`);
    case 'undecided':
      return result.reason;
    case 'diverge': {
      const d = result.divergence;
      const lines = [
        `step ${d.step} (/steps/${d.step}: ${d.event}): node ${d.node}, ${d.field}: the model has ${d.model}, the implementation ${d.impl}`,
      ];
      if (d.rules.length > 0) lines.push(`  rules the model fired at this step: ${d.rules.join(', ')}`);
      if (d.before.length > 0) lines.push('  the steps before:', ...d.before.map((b) => `    ${b}`));
      return lines.join('\n');
    }
    case 'fail': {
      const f = result.failure;
      const where = f.step < 0 ? 'initial state' : `step ${f.step} (/steps/${f.step}: ${f.event})`;
      const lines = [`${where}: ${f.problems[0] ?? ''}`];
      for (const p of f.problems.slice(1)) lines.push(`  ${p}`);
      if (f.rules.length > 0) lines.push(`  rules the model fired at this step: ${f.rules.join(', ')}`);
      if ('deviations' in result && result.deviations && result.deviations.length > 0) {
        lines.push(`  deviations (--keep-going, ${result.deviations.length} kinds):`);
        for (const d of result.deviations) lines.push(`    ${d.what}${d.rules.length > 0 ? ` (${d.rules.join(', ')})` : ''}: first at step ${d.firstStep}, ${d.count} step${d.count === 1 ? '' : 's'}`);
      }
      return lines.join('\n');
    }
  }
}

const TAG: Record<AnyResult['status'], string> = { pass: 'PASS', fail: 'FAIL', 'bad-input': 'BAD ', diverge: 'DIVERGE', undecided: 'UNDECIDED' };

/** One line per trace (indented detail lines follow a failure). */
export function formatReport(file: string, result: AnyResult): string {
  const taken = 'taken' in result ? describeTaken(result.taken) : '';
  if (result.status === 'pass') return `PASS ${file} (${result.steps} steps)${taken ? `; alternatives taken: ${taken}` : ''}`;
  return `${TAG[result.status]} ${file}: ${describeResult(result).replace(/\n/g, '\n     ')}${taken ? `\n     alternatives taken before: ${taken}` : ''}`;
}
