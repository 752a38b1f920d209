// The key-value state machine (KV-1) with its client table (CLI-2), mutable: two Maps, so that
// executing a command costs O(1) and nothing is copied per step. Which commands it executes is
// spec/kv.ts's isKvCommand (shared, normative); what they do is written here, independently of
// the model.
import type { KvCommand, KvState, Session } from '../spec/schema.js';
import { isKvCommand } from '../spec/kv.js';

/** What executing one command gave: the state machine's result, and whether the client table answered it (CLI-2). */
export interface Execution {
  result: unknown;
  /** CLI-2: answered from the client table, not executed again. */
  duplicate: boolean;
}

export class KvMachine {
  /** The data: key -> value. */
  private readonly data = new Map<string, string>();
  /** CLI-2: client -> its latest executed serial number and that operation's result. */
  private readonly sessions = new Map<string, Session>();

  /** A machine holding `state` (copied: later changes to either side do not reach the other). */
  static from(state: KvState): KvMachine {
    const m = new KvMachine();
    for (const key of Object.keys(state.data)) m.data.set(key, state.data[key] as string);
    for (const client of Object.keys(state.sessions)) {
      const s = state.sessions[client] as Session;
      m.sessions.set(client, { seq: s.seq, result: s.result });
    }
    return m;
  }

  /** The contents as a fresh plain object (O(size): for snapshots and observation, not per step). */
  toState(): KvState {
    const data: Record<string, string> = {};
    for (const [key, value] of this.data) setOwn(data, key, value);
    const sessions: Record<string, Session> = {};
    for (const [client, s] of this.sessions) setOwn(sessions, client, { seq: s.seq, result: s.result });
    return { data, sessions };
  }

  /** The value of `key`, or null when it is absent (a ReadIndex read, CLI-4). */
  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** How many keys hold a value. */
  get size(): number {
    return this.data.size;
  }

  /** CLI-2: the client table's entry for `client`, if any (a copy). */
  sessionOf(client: string): Session | undefined {
    const s = this.sessions.get(client);
    return s && { seq: s.seq, result: s.result };
  }

  /**
   * Applies one command (ALL-1). A command that is not a key-value command is opaque: no effect,
   * result null (KV-1). A key-value command with a client and seq already executed (the table's
   * seq is at least this one) is answered from the table without running again (CLI-2).
   */
  execute(command: unknown): Execution {
    if (!isKvCommand(command)) return { result: null, duplicate: false }; // KV-1: opaque
    const { client, seq } = command;
    if (client !== undefined && seq !== undefined) {
      const s = this.sessions.get(client);
      if (s && s.seq >= seq) return { result: s.seq === seq ? s.result : null, duplicate: true }; // CLI-2
      const result = this.run(command);
      this.sessions.set(client, { seq, result });
      return { result, duplicate: false };
    }
    return { result: this.run(command), duplicate: false };
  }

  /** KV-1: one operation on the data. */
  private run(c: KvCommand): unknown {
    switch (c.op) {
      case 'get':
        return this.data.get(c.key) ?? null;
      case 'put':
        this.data.set(c.key, c.value);
        return null;
      case 'append':
        this.data.set(c.key, (this.data.get(c.key) ?? '') + c.value);
        return null;
      case 'cas': {
        if ((this.data.get(c.key) ?? null) !== c.expected) return false;
        this.data.set(c.key, c.value);
        return true;
      }
    }
  }
}

/** Sets an own property, even one named `__proto__` (a key or a client may be any string). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
