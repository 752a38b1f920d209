// Which commands the key-value state machine executes (KV-1), and how its contents travel in a
// snapshot. Normative, so shared: the model and the implementation each execute the commands
// their own way, but they must agree on which commands are key-value commands and on the bytes
// of a snapshot.
import { canonicalJson } from './canonical.js';
import { MAX_INT, RESERVED_NAMES, type KvCommand, type KvState } from './schema.js';
import { validateKvState } from './validate.js';

const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * Whether a command is one the state machine executes: exactly the values KvCommand's schema
 * accepts (spec/test checks the two agree). Any other command is opaque (KV-1).
 */
export function isKvCommand(c: unknown): c is KvCommand {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return false;
  const o = c as Record<string, unknown>;
  const allowed = o.op === 'get' ? GET : o.op === 'put' || o.op === 'append' ? PUT : o.op === 'cas' ? CAS : null;
  if (allowed === null) return false;
  for (const k of Object.keys(o)) if (!allowed.has(k) || o[k] === undefined) return false;
  if (!isStr(o.key, 256)) return false;
  if (o.op !== 'get' && !isStr(o.value, 4096)) return false;
  if (o.op === 'cas' && o.expected !== null && !isStr(o.expected, 4096)) return false;
  if (o.op === 'cas' && !('expected' in o)) return false;
  if (('client' in o) !== ('seq' in o)) return false; // both or neither (CLI-2)
  if ('client' in o && !(typeof o.client === 'string' && o.client.length >= 1 && o.client.length <= 64 && !RESERVED.has(o.client))) return false;
  if ('seq' in o && !(Number.isInteger(o.seq) && (o.seq as number) >= 1 && (o.seq as number) <= MAX_INT)) return false;
  return true;
}
const GET = new Set(['op', 'key', 'client', 'seq']);
const RESERVED: ReadonlySet<string> = new Set(RESERVED_NAMES);
const PUT = new Set(['op', 'key', 'value', 'client', 'seq']);
const CAS = new Set(['op', 'key', 'expected', 'value', 'client', 'seq']);

/** The operation a command names for CLI-2: its client and serial number when it has both, else null. */
export function sessionOf(c: unknown): { client: string; seq: number } | null {
  if (!isKvCommand(c) || c.client === undefined || c.seq === undefined) return null;
  return { client: c.client, seq: c.seq };
}

/** The snapshot data of a state machine: its canonical JSON (InstallSnapshot carries it in chunks). */
export const snapshotData = (m: KvState): string => canonicalJson(m);

/** The chunk of snapshot data at `offset`, at most `size` characters, and whether it is the last. */
export function chunkAt(data: string, offset: number, size: number): { data: string; done: boolean } {
  const chunk = data.slice(offset, offset + size);
  return { data: chunk, done: offset + chunk.length >= data.length };
}

/**
 * IS-5: the state machine a received snapshot's data holds: JSON that is a KvState (its schema,
 * spec/schemas/kv-state.schema.json), or null when it is not one (DEC-8: only an injected
 * InstallSnapshot can carry such data). One definition, so that the model and the implementation
 * agree on which data installs.
 */
export function parseSnapshotData(data: string): KvState | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  return validateKvState(v).ok ? (v as KvState) : null;
}
