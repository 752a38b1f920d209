// The network of a simulated cluster whose servers are not the model's (impl/ in `record`, an
// adapter's in `drive`): a multiset of messages in flight, with the model's rules for what is lost
// (model/cluster.ts isLost): a partition loses the messages between its groups, a cut link those
// between its two ends, when they are sent and when the partition or cut begins.
import type { Event, Message, NodeId } from '../spec/schema.js';
import { messageKey } from '../spec/canonical.js';
import { isLost, linkKey } from '../model/cluster.js';

type NetworkEvent = Extract<Event, { type: 'deliver' | 'drop' | 'duplicate' | 'partition' | 'cut' | 'heal' }>;

export class SimNetwork {
  private readonly slots = new Map<string, { message: Message; count: number }>();
  private partition: Map<NodeId, number> | null = null;
  /** The links cut (linkKey), both ways. */
  private readonly cuts = new Set<string>();

  /** `who` names the caller in the error of a take of a message not in flight (a bug of the caller). */
  constructor(private readonly who: string) {}

  groupOf(id: NodeId): number | null { return this.partition?.get(id) ?? null; }
  partitioned(): boolean { return this.partition !== null; }

  /** Every copy in flight, in the order first sent. */
  inFlight(): Message[] {
    const out: Message[] = [];
    for (const { message, count } of this.slots.values()) for (let i = 0; i < count; i++) out.push(message);
    return out;
  }

  /** Whether a copy of `m` (by content) is in flight. */
  holds(m: Message): boolean { return this.slots.has(messageKey(m)); }

  /** A message sent: in flight, unless a partition or a cut link loses it. */
  send(m: Message): void {
    if (!this.lost(m)) this.put(m);
  }

  /** One more copy (a duplicate), whatever separates its ends. */
  put(m: Message): void {
    const key = messageKey(m);
    const slot = this.slots.get(key);
    if (slot) slot.count++;
    else this.slots.set(key, { message: m, count: 1 });
  }

  /** One copy out (delivered or dropped). */
  take(m: Message): void {
    const key = messageKey(m);
    const slot = this.slots.get(key);
    if (!slot) throw new Error(`${this.who} chose a message not in flight: ${key}`);
    if (--slot.count === 0) this.slots.delete(key);
  }

  /**
   * An event of the network: a deliver (the message taken out, and returned to be handed to its
   * receiver), a drop, a duplicate, a partition, a cut or a heal (what it separates now loses what
   * is in flight across it). Returns null but for a deliver.
   */
  apply(e: NetworkEvent): Message | null {
    switch (e.type) {
      case 'deliver':
        this.take(e.message);
        return e.message;
      case 'drop':
        this.take(e.message);
        return null;
      case 'duplicate':
        this.put(e.message);
        return null;
      case 'partition':
        this.partition = new Map();
        e.groups.forEach((g, i) => g.forEach((id) => this.partition?.set(id, i)));
        break;
      case 'cut':
        this.cuts.add(linkKey(e.link[0] as NodeId, e.link[1] as NodeId));
        break;
      case 'heal':
        if (e.link) this.cuts.delete(linkKey(e.link[0] as NodeId, e.link[1] as NodeId));
        else {
          this.partition = null;
          this.cuts.clear();
        }
        return null;
    }
    for (const [key, { message }] of [...this.slots]) if (this.lost(message)) this.slots.delete(key);
    return null;
  }

  private lost(m: Message): boolean {
    return isLost({ partition: this.partition, cuts: this.cuts }, m);
  }
}
