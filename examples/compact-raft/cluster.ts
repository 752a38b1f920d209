// The servers, the network and the crashed set, driven one trace event at a time: the part of a
// user's harness that turns an event of docs/trace-format.md into calls on the implementation.

import { Network } from './network.js';
import { RaftNode } from './node.js';
import type { Message, NodeId, NodeView, Output } from './types.js';

/** The events this example's harness writes (a subset of the format, plus `apply` and `error`). */
export type Event =
  | { type: 'electionTimeout'; node: NodeId }
  | { type: 'heartbeatTimeout'; node: NodeId }
  | { type: 'clientRequest'; node: NodeId; command: string }
  | { type: 'apply'; node: NodeId }
  | { type: 'deliver'; message: Message }
  | { type: 'drop'; message: Message }
  | { type: 'duplicate'; message: Message }
  | { type: 'crash'; node: NodeId }
  | { type: 'restart'; node: NodeId }
  | { type: 'partition'; groups: NodeId[][] }
  | { type: 'heal' }
  | { type: 'error'; node: NodeId; message: string };

const NOTHING: Output = { sent: [], replies: [] };

export class Cluster {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly network = new Network();
  readonly crashed = new Set<NodeId>();

  constructor(readonly ids: readonly NodeId[]) {
    for (const id of ids) this.nodes.set(id, new RaftNode(id, ids));
  }

  node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }

  /** Applies one event; returns what the node that handled it sent (all of it, including what a
   * partition loses) and the client replies it gave. */
  step(e: Event): Output {
    const out = this.dispatch(e);
    for (const m of out.sent) this.network.send(m);
    return out;
  }

  private dispatch(e: Event): Output {
    switch (e.type) {
      case 'electionTimeout': return this.live(e.node) ? this.node(e.node).electionTimeout() : NOTHING;
      case 'heartbeatTimeout': return this.live(e.node) ? this.node(e.node).heartbeatTimeout() : NOTHING;
      case 'clientRequest': return this.live(e.node) ? this.node(e.node).clientRequest(e.command) : NOTHING;
      case 'apply': return this.live(e.node) ? this.node(e.node).apply() : NOTHING;
      case 'deliver': {
        const m = this.network.take(e.message);
        return this.live(m.to) ? this.node(m.to).receive(m) : NOTHING; // lost if its receiver is down
      }
      case 'drop': this.network.take(e.message); return NOTHING;
      case 'duplicate': this.network.duplicate(e.message); return NOTHING;
      case 'crash': this.crashed.add(e.node); this.node(e.node).crash(); return NOTHING;
      case 'restart': this.crashed.delete(e.node); return NOTHING;
      case 'partition': this.network.partition(e.groups); return NOTHING;
      case 'heal': this.network.heal(); return NOTHING;
      case 'error': return NOTHING;
    }
  }

  live(id: NodeId): boolean {
    return !this.crashed.has(id);
  }

  /** Every field of every running server, in cluster order; nothing for a crashed one. */
  views(): Record<NodeId, NodeView> {
    return Object.fromEntries(this.ids.filter((id) => this.live(id)).map((id) => [id, this.node(id).view()]));
  }
}
