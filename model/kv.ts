// The key-value state machine (KV-1) with its client table (CLI-2), as pure functions over an
// immutable KvState: applying a command returns a new state and the command's result.
import type { KvCommand, KvState } from '../spec/schema.js';
import { isKvCommand, sessionOf } from '../spec/kv.js';

export interface Execution {
  readonly machine: KvState;
  readonly result: unknown;
  /** CLI-2: answered from the client table, not executed. */
  readonly duplicate: boolean;
}

/** KV-1 and CLI-2: apply one committed command. */
export function execute(machine: KvState, command: unknown): Execution {
  if (!isKvCommand(command)) return { machine, result: null, duplicate: false }; // KV-1: opaque
  const op = sessionOf(command);
  if (op) {
    const seen = machine.sessions[op.client];
    if (seen && op.seq <= seen.seq) {
      // CLI-2: executed before; the table has the latest result, an older one is forgotten.
      return { machine, result: op.seq === seen.seq ? seen.result : null, duplicate: true };
    }
  }
  const { data, result } = run(machine.data, command);
  const sessions = op ? { ...machine.sessions, [op.client]: { seq: op.seq, result } } : machine.sessions;
  return { machine: data === machine.data && sessions === machine.sessions ? machine : { data, sessions }, result, duplicate: false };
}

/** KV-1: a key's value in the data, null when it has none (what a get returns, and a read: CLI-4, FR-1). */
export const valueIn = (data: Readonly<Record<string, string>>, key: string): string | null => (Object.hasOwn(data, key) ? (data[key] as string) : null);

/** KV-1: what each operation does to the data and returns. */
function run(data: Readonly<Record<string, string>>, c: KvCommand): { data: Readonly<Record<string, string>>; result: unknown } {
  const current = valueIn(data, c.key);
  switch (c.op) {
    case 'get':
      return { data, result: current };
    case 'put':
      return { data: { ...data, [c.key]: c.value }, result: null };
    case 'append':
      return { data: { ...data, [c.key]: (current ?? '') + c.value }, result: null };
    case 'cas':
      return current === c.expected ? { data: { ...data, [c.key]: c.value }, result: true } : { data, result: false };
  }
}
