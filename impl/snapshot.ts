// Snapshot contents in the implementation. Which received data installs (IS-5) is normative and
// lives in spec/kv.ts (parseSnapshotData), shared with the model; this file only copies a KvState
// safely for callers.
import type { KvState } from '../spec/schema.js';

/** A copy of a KvState that shares nothing mutable with it (its results are JSON values, copied by reference). */
export function copyKvState(m: KvState): KvState {
  const sessions: KvState['sessions'] = {};
  for (const client of Object.keys(m.sessions)) {
    const s = m.sessions[client] as KvState['sessions'][string];
    Object.defineProperty(sessions, client, { value: { seq: s.seq, result: s.result }, enumerable: true, writable: true, configurable: true });
  }
  return { data: { ...m.data }, sessions };
}
