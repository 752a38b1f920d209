// Comparing what a trace expects with what a server's state is: only the fields the trace lists.
import { type Entry, type LogSuffix, type Message, type NodeField, type NodeState, type Observation, NODE_FIELDS } from '../spec/schema.js';
import { canonicalJson, configJson, messageKey, sameEntry } from '../spec/canonical.js';

export interface Mismatch {
  readonly node: string;
  readonly field: NodeField;
  readonly expected: string;
  readonly actual: string;
}

/** The listed fields of `expected` that `actual` does not match, in Figure 2 order (NODE_FIELDS). */
export function compareObservation(node: string, expected: Observation, actual: NodeState): Mismatch[] {
  const out: Mismatch[] = [];
  const differ = (field: NodeField, e: string, a: string) => { if (e !== a) out.push({ node, field, expected: e, actual: a }); };
  const fields = Object.keys(expected) as NodeField[];
  for (const field of NODE_FIELDS) {
    if (!fields.includes(field)) continue;
    switch (field) {
      case 'log': {
        const d = firstLogDifference(expected.log as Entry[], actual.log, actual.snapshotIndex);
        if (d) out.push({ node, field, ...d });
        break;
      }
      case 'votesGranted':
        differ(field, showSet(expected.votesGranted ?? []), showSet(actual.votesGranted));
        break;
      case 'recentlyActive':
        differ(field, showSet(expected.recentlyActive ?? []), showSet(actual.recentlyActive));
        break;
      case 'appliedIndex':
        differ(field, canonicalJson(expected[field]), canonicalJson(actual[field]));
        break;
      case 'snapshotConfig':
        // CFG-1: its member lists are sets.
        differ(field, configJson(expected.snapshotConfig ?? undefined), configJson(actual.snapshotConfig ?? undefined));
        break;
      case 'nextIndex':
      case 'matchIndex':
      case 'machine':
      case 'snapshotMachine':
      case 'partialSnapshot':
        differ(field, canonicalJson(expected[field]), canonicalJson(actual[field]));
        break;
      default:
        differ(field, JSON.stringify(expected[field]), JSON.stringify(actual[field]));
    }
  }
  return out;
}

const showSet = (ids: readonly string[]) => `[${[...ids].sort().join(', ')}]`;

/** An entry in a report: its term and command, and its configuration if it has one. */
const showEntry = (e: Entry) => `term ${e.term} ${canonicalJson(e.command)}${e.config ? ` config ${configJson(e.config)}` : ''}`;

function showTerms(log: readonly Entry[]): string {
  if (log.length <= 12) return `terms [${log.map((e) => e.term).join(',')}]`;
  return `${log.length} entries, terms [${log.slice(0, 4).map((e) => e.term).join(',')},...,${log.slice(-4).map((e) => e.term).join(',')}]`;
}

/** The first difference of two logs that both start after `base` (the snapshot's index). */
function firstLogDifference(expected: readonly Entry[], actual: readonly Entry[], base: number): { expected: string; actual: string } | null {
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i] as Entry;
    const a = actual[i] as Entry;
    // sameEntry: the term, the command, and a configuration's members as sets (CFG-1).
    if (!sameEntry(e, a)) {
      return { expected: `index ${base + i + 1}: ${showEntry(e)} (${showTerms(expected)})`, actual: `index ${base + i + 1}: ${showEntry(a)} (${showTerms(actual)})` };
    }
  }
  if (expected.length !== actual.length) {
    return { expected: `${expected.length} entries (${showTerms(expected)})`, actual: `${actual.length} entries (${showTerms(actual)})` };
  }
  return null;
}

/**
 * An observed end of a log (`logSuffix`) against a server's log: its last index, then each entry
 * listed, first difference only. Costs what the suffix holds, not what the log holds.
 */
export function compareLogSuffix(node: string, suffix: LogSuffix, log: { readonly lastIndex: number; entry(index: number): Entry }, snapshotIndex: number): Mismatch | null {
  const last = suffix.from + suffix.entries.length - 1;
  const mismatch = (expected: string, actual: string): Mismatch => ({ node, field: 'log', expected, actual });
  if (suffix.from <= snapshotIndex) return mismatch(`entries from index ${suffix.from}`, `a snapshot through index ${snapshotIndex} (entries up to it are compacted)`);
  if (log.lastIndex !== last) return mismatch(`last index ${last} (logSuffix from ${suffix.from}, ${suffix.entries.length} entries)`, `last index ${log.lastIndex}`);
  for (const [k, e] of suffix.entries.entries()) {
    const a = log.entry(suffix.from + k);
    if (!sameEntry(e, a)) {
      return mismatch(`index ${suffix.from + k}: ${showEntry(e)}`, `index ${suffix.from + k}: ${showEntry(a)}`);
    }
  }
  return null;
}

/** The difference between two multisets of messages, as "missing" and "unexpected" lists. */
export function compareInFlight(expected: readonly Message[], actual: readonly Message[]): { missing: string[]; unexpected: string[] } {
  const count = new Map<string, number>();
  for (const m of actual) count.set(messageKey(m), (count.get(messageKey(m)) ?? 0) + 1);
  const missing: string[] = [];
  for (const m of expected) {
    const k = messageKey(m);
    const c = count.get(k) ?? 0;
    if (c === 0) missing.push(k);
    else count.set(k, c - 1);
  }
  const unexpected: string[] = [];
  for (const [k, c] of count) for (let i = 0; i < c; i++) unexpected.push(k);
  return { missing, unexpected };
}
