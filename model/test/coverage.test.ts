// Every rule, choice and option rule of the catalogue is named by at least one unit test in rules*.test.ts,
// and every property and invariant by one in invariants.test.ts (LIN-1 and ZK-1 .. ZK-4, properties of client
// histories, by one in conformance/test/linearizability.test.ts or sequential.test.ts): a new ID without a test fails here.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES, type RuleKind } from '../../spec/rules.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The titles of the `it(...)` calls in the test files whose names match. */
function titles(files: RegExp, dir = here): string[] {
  return readdirSync(dir)
    .filter((f) => files.test(f))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\bit\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((m) => m[2] ?? ''));
}

/** Whether a title names the ID as a whole word: LEA-3 is not named by LEA-3a, nor DEC-1 by DEC-10. */
const names = (title: string, id: string): boolean => new RegExp(`(^|[^A-Za-z0-9-])${id}(?![A-Za-z0-9])`).test(title);

const ids = (...kinds: RuleKind[]) => RULES.filter((r) => kinds.includes(r.kind)).map((r) => r.id);

describe('coverage of the rule catalogue', () => {
  const ruleTitles = titles(/^rules.*\.test\.ts$/);
  const invariantTitles = [...titles(/^invariants\.test\.ts$/), ...titles(/^(?:linearizability|sequential)\.test\.ts$/, join(here, '..', '..', 'conformance', 'test'))];

  it('finds the test titles it checks', () => {
    expect(ruleTitles.length).toBeGreaterThan(50);
    expect(invariantTitles.length).toBeGreaterThan(20);
  });

  it.each(ids('rule', 'choice'))('%s is named by a rule test', (id) => {
    expect(ruleTitles.filter((t) => names(t, id))).not.toEqual([]);
  });

  it.each(ids('property', 'invariant'))('%s is named by an invariant test', (id) => {
    expect(invariantTitles.filter((t) => names(t, id))).not.toEqual([]);
  });
});
