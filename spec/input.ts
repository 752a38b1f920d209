// What reaches one server, and which events of a trace reach which server with what: the shared
// vocabulary of the model, the implementation and every runner that drives them.
import type { Event, Message, NodeId } from './schema.js';

/** A message, one of the server's two timers, a client command, read or sync, or a request to snapshot. */
export type NodeInput =
  | Message
  | { readonly type: 'electionTimeout' }
  | { readonly type: 'heartbeatTimeout' }
  | { readonly type: 'clientRequest'; readonly command: unknown }
  | { readonly type: 'clientRead'; readonly client: string; readonly seq: number; readonly key: string; readonly after?: number }
  | { readonly type: 'clientSync'; readonly client: string; readonly seq: number }
  | { readonly type: 'snapshot'; readonly index?: number }
  | { readonly type: 'transferLeadership'; readonly target: string }
  | { readonly type: 'reconfigure'; readonly change: 'single' | 'joint'; readonly voters: readonly string[]; readonly learners?: readonly string[] }
  | { readonly type: 'apply' };

/**
 * The server an event is handed to and the input it gets, or null for an event that reaches no
 * server's step (drop, duplicate, crash, restart, partition, heal, error). A `deliver` also takes the
 * message out of the network, which is the caller's business.
 */
export function nodeInputOf(e: Event): { node: NodeId; input: NodeInput } | null {
  switch (e.type) {
    case 'electionTimeout':
    case 'heartbeatTimeout':
      return { node: e.node, input: { type: e.type } };
    case 'clientRequest':
      return { node: e.node, input: { type: 'clientRequest', command: e.command } };
    case 'clientRead':
      return { node: e.node, input: { type: 'clientRead', client: e.client, seq: e.seq, key: e.key, ...(e.after === undefined ? {} : { after: e.after }) } };
    case 'clientSync':
      return { node: e.node, input: { type: 'clientSync', client: e.client, seq: e.seq } };
    case 'transferLeadership':
      return { node: e.node, input: { type: 'transferLeadership', target: e.target } };
    case 'reconfigure':
      return { node: e.node, input: { type: 'reconfigure', change: e.change, voters: e.voters, ...(e.learners ? { learners: e.learners } : {}) } };
    case 'snapshot':
      return { node: e.node, input: e.index === undefined ? { type: 'snapshot' } : { type: 'snapshot', index: e.index } };
    case 'apply':
      return { node: e.node, input: { type: 'apply' } };
    case 'deliver':
    case 'inject':
      return { node: e.message.to, input: e.message };
    default:
      return null;
  }
}
