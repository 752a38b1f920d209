// The adapter interface (docs/drive.md): how `raftspec drive` reaches an implementation's servers.
// raftspec owns the network, crashes and the schedule; an adapter owns the servers. One call is one
// server's step. The same operations exist in-process (this interface) and as JSON lines over a
// child's stdin/stdout (the stdio adapter, which implements this interface synchronously).
import type { BootstrapConfiguration, ClientReply, Message, NodeId, Observation, ProtocolOptions } from '../spec/schema.js';
import type { NodeInput } from '../spec/input.js';
import type { AlternativeLetter, ChoiceId } from '../spec/choices.js';

/** The protocol version this raftspec speaks. */
export const ADAPTER_PROTOCOL_VERSION = 1;

/** The inputs other than messages that an implementation may declare (messages are always supported). */
export type InputType = Exclude<NodeInput['type'], Message['type']>;

/** What an implementation declares in its handshake. */
export interface AdapterFeatures {
  /** The non-message inputs it handles; the generator draws only these. */
  readonly events: readonly InputType[];
  /** The ProtocolOptions it implements; campaigns draw only these. */
  readonly options: readonly (keyof ProtocolOptions)[];
  /** The Observation fields its `state` carries; the others stay open (not compared). */
  readonly observes: readonly (keyof Observation)[];
  /** 'all': a step's `sent` lists every message it sent; 'partial': some of them. */
  readonly sent: 'all' | 'partial';
  /** The alternatives it says it takes (informational: drive validates by search either way). */
  readonly profile?: Readonly<Partial<Record<ChoiceId, AlternativeLetter>>>;
}

export interface Hello {
  readonly name: string;
  readonly features: AdapterFeatures;
}

/** What one server did in one step, or the error it raised (recorded as an `error` event: a finding, not an adapter fault). */
export type StepOutcome =
  | { readonly sent: readonly Message[]; readonly replies: readonly ClientReply[]; readonly state: Observation }
  | { readonly error: string };

/**
 * An implementation under test. Calls are synchronous and strictly one at a time. A method throws
 * AdapterFault when the adapter itself misbehaved (hung, exited, answered out of protocol); the
 * implementation's own errors are StepOutcome's `error`.
 */
export interface Adapter {
  hello(): Hello;
  /** A fresh cluster of `servers` (every server volatile and persistent state empty, or the bootstrap configuration). */
  start(servers: readonly NodeId[], options: ProtocolOptions, configuration?: BootstrapConfiguration): void;
  /** One input to one server (PER-1: it persists before it answers). */
  step(node: NodeId, input: NodeInput): StepOutcome;
  /** The server loses everything volatile. */
  crash(node: NodeId): void;
  /** The server comes back from what it persisted (and may act at once, DEC-7b). */
  restart(node: NodeId): StepOutcome;
  /** The server's state with its whole log. */
  observe(node: NodeId): Observation;
  /** End the session (a child process exits and is reaped). Safe to call twice. */
  stop(): void;
}

/** The adapter broke the protocol: named with the step and the request, so the user can reproduce it. */
export class AdapterFault extends Error {
  constructor(readonly request: string, message: string) {
    super(message);
  }
}
