// Writes the published spec files from their one source (schema.ts, rules.ts):
//   spec/schemas/*.json   the JSON Schemas (draft 2020-12)
//   spec/rules.json       the rule catalogue
//   docs/rules.md         the rule catalogue for people
// `npm run spec:emit` writes them; `npm run spec:emit -- --check` exits 1 if any is out of date
// (a test runs the check, so the files cannot drift from the TypeScript).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLISHED, SCHEMA_BASE } from './schema.js';
import { RULES, type RuleKind } from './rules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function publishedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of PUBLISHED) {
    const doc = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `${SCHEMA_BASE}${name}`, ...JSON.parse(JSON.stringify(schema)) };
    files.set(`spec/schemas/${name}`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  files.set('spec/rules.json', `${JSON.stringify({ rules: RULES }, null, 2)}\n`);
  files.set('docs/rules.md', rulesMarkdown());
  return files;
}

function rulesMarkdown(): string {
  const heading: Record<RuleKind, string> = {
    rule: 'Rules (Figure 2 and the sections named)',
    property: 'Safety properties (Figure 3), checked after every step',
    invariant: 'Local invariants, checked after every step',
    choice: 'Choices where the paper leaves one (see choices.md)',
  };
  const lines = [
    '# Rule catalogue',
    '',
    'Generated from `spec/rules.ts` by `npm run spec:emit`; do not edit by hand. The same data is in',
    '`spec/rules.json`. IDs are stable: the model cites them on every branch, reports name them.',
    '',
  ];
  for (const kind of ['rule', 'property', 'invariant', 'choice'] as const) {
    lines.push(`## ${heading[kind]}`, '', '| ID | name | section | text |', '|---|---|---|---|');
    for (const r of RULES.filter((x) => x.kind === kind)) lines.push(`| ${r.id} | ${r.title} | ${r.section} | ${r.text.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  return lines.join('\n');
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
