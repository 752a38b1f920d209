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
    const doc = withSharedDefs({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `${SCHEMA_BASE}${name}`, ...JSON.parse(JSON.stringify(schema)) });
    files.set(`spec/schemas/${name}`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  files.set('spec/rules.json', `${JSON.stringify({ rules: RULES }, null, 2)}\n`);
  files.set('docs/rules.md', rulesMarkdown());
  return files;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Subschemas this large (as compact JSON), written out more than once, are written once, under `$defs`. */
const SHARED_MIN_CHARS = 1500;

/**
 * The published document with every large subschema that occurs more than once (a message, an
 * observation, a configuration: TypeBox writes a schema out in full wherever it is used) written
 * once under `$defs` and referred to by `$ref` elsewhere: the same schema, a fraction of the bytes.
 * Largest first, so that what the shared ones hold is shared in turn. Never a member of a `oneOf`
 * (a discriminator reads its members' tags in place) nor anything with an `$id`. Deterministic:
 * names come from where a subschema first occurs.
 */
export function withSharedDefs(doc: { [key: string]: Json }): { [key: string]: Json } {
  // The document's own $defs (the adapter schema names each request and response there) are looked into as the shared ones are.
  const defs: { [key: string]: Json } = { ...((doc.$defs as { [key: string]: Json } | undefined) ?? {}) };
  const used = new Set<string>(Object.keys(defs));
  // What a node is: a schema (may be shared), a member of a oneOf (kept in place), or a keyword's
  // map from names to schemas (properties, ...: not a schema itself, its values are).
  type Kind = 'schema' | 'oneOfMember' | 'map';
  const kindOfChild = (key: string): Kind => (MAP_KEYWORDS.has(key) ? 'map' : 'schema');
  /** Calls `f` on every node below `node`, with the kind it has there and a name for it. */
  const walk = (node: Json, kind: Kind, name: string, f: (n: Json, kind: Kind, name: string) => void): void => {
    f(node, kind, name);
    if (Array.isArray(node)) {
      node.forEach((x) => walk(x, 'schema', name, f));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (kind === 'map') walk(v, 'schema', k, f);
      else if (k === 'oneOf' && Array.isArray(v)) v.forEach((x) => walk(x, 'oneOfMember', name, f));
      else walk(v, kindOfChild(k), k === 'items' || k === 'additionalProperties' ? name : k, f);
    }
  };
  const eligible = (node: Json, kind: Kind): node is { [key: string]: Json } => kind === 'schema' && node !== null && typeof node === 'object' && !Array.isArray(node);
  for (;;) {
    const seen = new Map<string, { count: number; name: string; node: Json }>();
    const count = (node: Json, kind: Kind, name: string): void => {
      if (!eligible(node, kind)) return;
      const text = JSON.stringify(node);
      if (text.length < SHARED_MIN_CHARS || text.includes('"$id"')) return;
      const s = seen.get(text);
      if (s) s.count++;
      else seen.set(text, { count: 1, name, node });
    };
    const root: Json = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== '$defs'));
    walk(root, 'schema', 'root', (n, kind, name) => (n === root ? undefined : count(n, kind, name)));
    // The shared ones are looked into (what they hold may be shared in turn), not counted themselves.
    for (const [k, v] of Object.entries(defs)) walk(v, 'schema', k, (n, kind, name) => (n === v ? undefined : count(n, kind, name)));
    let best: { text: string; name: string; node: Json } | null = null;
    for (const [text, s] of seen) if (s.count > 1 && (best === null || text.length > best.text.length)) best = { text, name: s.name, node: s.node };
    if (best === null) break;
    const base = best.name.replace(/[^A-Za-z0-9]+/g, '-') || 'shared';
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    used.add(name);
    const found = best;
    const replace = (node: Json, kind: Kind): Json => {
      if (eligible(node, kind) && JSON.stringify(node) === found.text) return { $ref: `#/$defs/${name}` };
      if (Array.isArray(node)) return node.map((x) => replace(x, 'schema'));
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k,
        kind === 'map' ? replace(v, 'schema') : k === 'oneOf' && Array.isArray(v) ? v.map((x) => replace(x, 'oneOfMember')) : replace(v, kindOfChild(k))]));
    };
    for (const k of Object.keys(doc)) {
      if (k === '$defs') continue;
      doc[k] = k === 'oneOf' && Array.isArray(doc[k]) ? (doc[k] as Json[]).map((x) => replace(x, 'oneOfMember')) : replace(doc[k] as Json, kindOfChild(k));
    }
    for (const k of Object.keys(defs)) {
      const d = defs[k] as { [key: string]: Json };
      defs[k] = Object.fromEntries(Object.entries(d).map(([kk, vv]) => [kk, kk === 'oneOf' && Array.isArray(vv) ? vv.map((x) => replace(x, 'oneOfMember')) : replace(vv, kindOfChild(kk))]));
    }
    defs[name] = found.node;
  }
  return Object.keys(defs).length === 0 ? doc : { ...doc, $defs: defs };
}

/** Keywords whose value maps names to schemas: the map is not a schema, its values are. */
const MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

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
