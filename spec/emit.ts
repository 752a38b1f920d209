// Writes the published spec files from their one source (schema.ts, rules.ts):
//   spec/schemas/*.json   the JSON Schemas (draft 2020-12), adapter.schema.json from adapter.ts
//   spec/rules.json       the rule catalogue
//   docs/rules.md         the rule catalogue for people, and the index of where each rule lives
//                         (model, statechart, impl, tests, traces: read as text by index-sources.ts)
// `npm run spec:emit` writes them; `npm run spec:emit -- --check` exits 1 if any is out of date
// (a test runs the check, so the files cannot drift from the TypeScript).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLISHED, SCHEMA_BASE } from './schema.js';
import { ADAPTER_PUBLISHED } from './adapter.js';
import { RULES, type Rule, type RuleKind } from './rules.js';
import { INDEX_LEGEND, ruleSites, type RuleSites } from './index-sources.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function publishedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of [...PUBLISHED, ...ADAPTER_PUBLISHED]) {
    const doc = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `${SCHEMA_BASE}${name}`, ...JSON.parse(JSON.stringify(schema)) };
    files.set(`spec/schemas/${name}`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  files.set('spec/rules.json', `${JSON.stringify({ rules: RULES }, null, 2)}\n`);
  files.set('docs/rules.md', rulesMarkdown());
  return files;
}

const HEADINGS: Record<RuleKind, string> = {
  rule: 'Rules (Figure 2 and the sections named)',
  property: 'Safety properties (Figure 3), checked after every step',
  invariant: 'Local invariants, checked after every step',
  choice: 'Choices where the paper leaves one (see choices.md)',
};
const KINDS = ['rule', 'property', 'invariant', 'choice'] as const;
/** How many test titles and traces an ID's section names before it only counts the rest. */
const FIRST_FEW = 3;

/** The anchor of an ID in docs/rules.md: topic docs link `rules.md#ae-3`. */
export const anchorOf = (id: string): string => id.toLowerCase();

function rulesMarkdown(): string {
  const sites = ruleSites(root, RULES.map((r) => r.id));
  const lines = [
    '# Rule catalogue and index',
    '',
    'Generated from `spec/rules.ts` by `npm run spec:emit`; do not edit by hand. `spec/rules.ts` is the one',
    'normative text of every rule: the topic docs explain and argue, and link here for the text. The',
    'same catalogue is in `spec/rules.json`. IDs are stable: the model cites them on every branch,',
    'reports name them. A test fails when this file is out of date (`npm run spec:emit -- --check`).',
    '',
    INDEX_LEGEND,
    '',
  ];
  for (const kind of KINDS) lines.push(`- ${HEADINGS[kind]}: ${RULES.filter((x) => x.kind === kind).map((r) => `[${r.id}](#${anchorOf(r.id)})`).join(', ')}`);
  lines.push('');
  for (const kind of KINDS) {
    lines.push(`## ${HEADINGS[kind]}`, '');
    for (const r of RULES.filter((x) => x.kind === kind)) lines.push(...ruleSection(r, sites.get(r.id)));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function ruleSection(r: Rule, s: RuleSites | undefined): string[] {
  const none = '(none)';
  const list = (xs: readonly string[]): string => (xs.length > 0 ? xs.join('; ') : none);
  const few = <T>(xs: readonly T[], show: (x: T) => string, rest: (xs: readonly T[]) => string): string => {
    if (xs.length === 0) return none;
    const shown = xs.slice(0, FIRST_FEW).map(show).join('; ');
    return xs.length > FIRST_FEW ? `${xs.length}: ${shown}; and ${rest(xs.slice(FIRST_FEW))}` : shown;
  };
  const perFile = (xs: readonly { file: string }[]): string => {
    const counts = new Map<string, number>();
    for (const x of xs) counts.set(x.file, (counts.get(x.file) ?? 0) + 1);
    return `${xs.length} more (${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')})`;
  };
  return [
    `<a id="${anchorOf(r.id)}"></a>`,
    `### ${r.id} ${r.title}`,
    '',
    `${r.section}. ${r.text}`,
    '',
    `- Model: ${list(s?.model ?? [])}`,
    `- Statechart: ${list(s?.statechart ?? [])}`,
    `- Impl: ${list(s?.impl ?? [])}`,
    `- Tests: ${few(s?.tests ?? [], (t) => `${t.file} "${t.title}"`, perFile)}`,
    `- Traces: ${few(s?.traces ?? [], (t) => t.replace(/^traces\//, ''), (xs) => `${xs.length} more`)}`,
    '',
  ];
}

function main(check: boolean): number {
  const stale: string[] = [];
  for (const [rel, text] of publishedFiles()) {
    const path = join(root, rel);
    let current: string | null = null;
    try { current = readFileSync(path, 'utf8'); } catch { current = null; }
    if (current === text) continue;
    if (check) { stale.push(rel); continue; }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    console.log(`wrote ${rel}`);
  }
  if (check && stale.length > 0) {
    console.error(`out of date (run npm run spec:emit): ${stale.join(', ')}`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.includes('--check'));
