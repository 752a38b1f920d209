// A simulated network: a multiset of messages in flight, named by content (docs/trace-format.md,
// "How a message in flight is named"), and an optional partition that loses messages between
// groups.

import type { Message, NodeId } from './types.js';

/** JSON with object keys sorted, recursively: two messages are the same message iff equal here. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class Network {
  /** The messages in flight, in the order they were sent (one element per copy). */
  readonly inFlight: Message[] = [];
  private groups: NodeId[][] | null = null;

  /** A sent message enters the network unless the partition separates its ends. */
  send(m: Message): void {
    if (!this.cut(m)) this.inFlight.push(m);
  }

  /** Takes one copy of `m` out; throws if it is not in flight (a harness bug, not Raft's). */
  take(m: Message): Message {
    const key = canonical(m);
    const i = this.inFlight.findIndex((x) => canonical(x) === key);
    if (i < 0) throw new Error(`not in flight: ${key}`);
    return this.inFlight.splice(i, 1)[0]!;
  }

  duplicate(m: Message): void {
    this.inFlight.push(this.take(m), m);
  }

  /** From now on messages between different groups are lost; those in flight are lost now. */
  partition(groups: NodeId[][]): void {
    this.groups = groups.map((g) => [...g]);
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      if (this.cut(this.inFlight[i]!)) this.inFlight.splice(i, 1);
    }
  }

  heal(): void {
    this.groups = null;
  }

  get partitioned(): boolean {
    return this.groups !== null;
  }

  /** A server in no group is in a group of its own. */
  private groupOf(id: NodeId): number | string {
    const i = (this.groups ?? []).findIndex((g) => g.includes(id));
    return i >= 0 ? i : id;
  }

  private cut(m: Message): boolean {
    return this.groups !== null && this.groupOf(m.from) !== this.groupOf(m.to);
  }
}
