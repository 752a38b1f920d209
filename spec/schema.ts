// The machine-readable spec: one definition per concept, from which both the JSON Schemas
// (draft 2020-12, emitted to spec/schemas/*.json by `npm run spec:emit`) and the TypeScript
// types are derived, so the two cannot drift apart. TypeBox builds plain JSON Schema objects;
// `Static<typeof X>` is the type those schemas accept.
//
// Field names are the paper's (Figure 2). Room is left for what comes later: new message
// types, entry kinds, options and events are new union members or optional fields, never
// renamed ones (the trace format's `version` changes only when an old file would be misread).
import { Type, type Static, type TSchema, type TObject, type TUnion } from '@sinclair/typebox';

export const SCHEMA_BASE = 'urn:raftspec:schema:v1:';

/**
 * A union discriminated by its `type` field: `oneOf` plus the OpenAPI `discriminator` keyword,
 * which ajv uses to report the errors of the matching member only (a validator that does not know
 * the keyword ignores it; the members' `type` constants already make `oneOf` exact).
 */
function taggedUnion<T extends TObject[]>(members: [...T], description: string) {
  return Type.Unsafe<Static<TUnion<T>>>({ type: 'object', oneOf: members, discriminator: { propertyName: 'type' }, description });
}

const Index = Type.Integer({ minimum: 0, description: 'A log index; 0 means "before the first entry".' });
const Term = Type.Integer({ minimum: 0, description: 'A term number; 0 is the term before any election.' });

export const NodeId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'A server ID, as listed in the trace\'s `cluster`.' });
export type NodeId = Static<typeof NodeId>;

/** A client command: any JSON value. Two commands are equal when their canonical JSON is. */
export const Command = Type.Unknown({ description: 'A client command: any JSON value.' });

export const Entry = Type.Object({
  term: Type.Integer({ minimum: 1, description: 'The term of the leader that created the entry.' }),
  command: Command,
}, { additionalProperties: false, description: 'A log entry (Figure 2: "each entry contains command for state machine, and term when entry was received by leader").' });
export type Entry = Static<typeof Entry>;

export const Role = Type.Union([Type.Literal('follower'), Type.Literal('candidate'), Type.Literal('leader')]);
export type Role = Static<typeof Role>;

const routed = { from: NodeId, to: NodeId };

export const RequestVote = Type.Object({
  type: Type.Literal('RequestVote'), ...routed,
  term: Term, candidateId: NodeId, lastLogIndex: Index, lastLogTerm: Term,
}, { additionalProperties: false });
export type RequestVote = Static<typeof RequestVote>;

export const RequestVoteResponse = Type.Object({
  type: Type.Literal('RequestVoteResponse'), ...routed,
  term: Term, voteGranted: Type.Boolean(),
}, { additionalProperties: false });
export type RequestVoteResponse = Static<typeof RequestVoteResponse>;

export const AppendEntries = Type.Object({
  type: Type.Literal('AppendEntries'), ...routed,
  term: Term, leaderId: NodeId, prevLogIndex: Index, prevLogTerm: Term,
  entries: Type.Array(Entry), leaderCommit: Index,
}, { additionalProperties: false });
export type AppendEntries = Static<typeof AppendEntries>;

export const AppendEntriesResponse = Type.Object({
  type: Type.Literal('AppendEntriesResponse'), ...routed,
  term: Term, success: Type.Boolean(),
  matchIndex: Type.Integer({ minimum: 0, description: 'On success, prevLogIndex + len(entries) of the request answered (raft.tla\'s mmatchIndex); 0 on failure.' }),
  prevLogIndex: Type.Integer({ minimum: 0, description: 'The prevLogIndex of the request answered, so that the leader can tell a reply to its current probe from a stale one (DEC-4).' }),
  conflictTerm: Type.Optional(Type.Integer({ minimum: 0, description: 'With the fastBacktracking option, on a rejection by the consistency check (AE-2): the term of the follower\'s entry at prevLogIndex, or 0 when it has none (FB-1).' })),
  conflictIndex: Type.Optional(Type.Integer({ minimum: 1, description: 'With conflictTerm: the first index the follower holds of conflictTerm, or its last index + 1 when it has no entry at prevLogIndex (FB-1).' })),
}, { additionalProperties: false });
export type AppendEntriesResponse = Static<typeof AppendEntriesResponse>;

export const Message = taggedUnion([RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse],
  'A message between servers. Messages are named by their whole content: two messages with the same fields are the same message (the network is a multiset).');
export type Message = Static<typeof Message>;
export type MessageType = Message['type'];

const PerPeer = Type.Record(NodeId, Index);

/** A server's state: Figure 2's variables grouped by lifetime, plus role and votesGranted. */
export const NodeState = Type.Object({
  role: Role,
  // persistent (PER-1)
  currentTerm: Term,
  votedFor: Type.Union([NodeId, Type.Null()]),
  log: Type.Array(Entry, { description: 'log[0] holds index 1.' }),
  // volatile, all servers
  commitIndex: Index,
  lastApplied: Index,
  // volatile, leaders (empty on other roles: DEC-10)
  nextIndex: PerPeer,
  matchIndex: PerPeer,
  // volatile, candidates and leaders (empty on followers: DEC-10)
  votesGranted: Type.Array(NodeId, { uniqueItems: true }),
}, { additionalProperties: false });
export type NodeState = Static<typeof NodeState>;
export const NODE_FIELDS = ['role', 'currentTerm', 'votedFor', 'log', 'commitIndex', 'lastApplied', 'nextIndex', 'matchIndex', 'votesGranted'] as const;
export type NodeField = typeof NODE_FIELDS[number];

/** What a trace may assert about one server: any subset of its state. */
export const Observation = Type.Partial(NodeState, { additionalProperties: false });
export type Observation = Static<typeof Observation>;

export const ProtocolOptions = Type.Object({
  maxEntriesPerAppendEntries: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'How many entries one AppendEntries carries at most (DEC-6). Default 1, as raft.tla sends.',
  })),
  fastBacktracking: Type.Optional(Type.Boolean({
    description: 'End of §5.3: a follower rejecting on the consistency check reports the conflicting term and its first index for that term (FB-1), and the leader skips the whole term (FB-2). Default false.',
  })),
}, { additionalProperties: false, description: 'Protocol options in force. Every option is off (or at its Figure 2 value) by default.' });
export type ProtocolOptions = Static<typeof ProtocolOptions>;
export type ResolvedOptions = Required<ProtocolOptions>;
export const DEFAULT_OPTIONS: ResolvedOptions = { maxEntriesPerAppendEntries: 1, fastBacktracking: false };
export function resolveOptions(o: ProtocolOptions | undefined): ResolvedOptions {
  return { ...DEFAULT_OPTIONS, ...(o ?? {}) };
}

const nodeEvent = <T extends string>(type: T, description: string) => Type.Object({ type: Type.Literal(type), node: NodeId }, { additionalProperties: false, description });
const messageEvent = <T extends string>(type: T, description: string) =>
  Type.Object({ type: Type.Literal(type), message: Message }, { additionalProperties: false, description });

export const Event = taggedUnion([
  Type.Object({ type: Type.Literal('electionTimeout'), node: NodeId }, { additionalProperties: false, description: "The node's election timer fires (FOL-2, CAN-4). No effect on a leader or a crashed node." }),
  Type.Object({ type: Type.Literal('heartbeatTimeout'), node: NodeId }, { additionalProperties: false, description: "A leader's heartbeat timer fires (LEA-1). No effect on other roles or a crashed node." }),
  Type.Object({ type: Type.Literal('clientRequest'), node: NodeId, command: Command }, { additionalProperties: false, description: 'A client command reaches a node (LEA-2). No effect unless the node is a live leader.' }),
  messageEvent('deliver', 'One copy of an in-flight message is delivered to its receiver. The message must be in flight.'),
  messageEvent('drop', 'One copy of an in-flight message is lost. The message must be in flight.'),
  messageEvent('duplicate', 'An in-flight message is copied: one more copy is in flight. The message must be in flight.'),
  messageEvent('inject', 'A message arrives from outside the network: hand-written, or a delayed copy of an old message. It need not be in flight; it is delivered to its receiver at once.'),
  nodeEvent('crash', 'The node crashes: it keeps only currentTerm, votedFor and its log (PER-1) and is down until it restarts; events addressed to it have no effect and messages delivered to it are lost (DEC-7). The node must be up.'),
  nodeEvent('restart', 'A crashed node comes back as a follower with commitIndex = lastApplied = 0 (PER-1). The node must be down.'),
  Type.Object({ type: Type.Literal('partition'), groups: Type.Array(Type.Array(NodeId, { minItems: 1 }), { minItems: 2 }) }, {
    additionalProperties: false,
    description: 'Sugar for drops: from now on, every message between two different groups is lost as it is sent, and the ones in flight between groups are lost now. A node in no group is in a group of its own.',
  }),
  Type.Object({ type: Type.Literal('heal') }, { additionalProperties: false, description: 'Ends a partition.' }),
], 'One thing that happens to the cluster. Everything it enables happens within the same step (docs/trace-format.md).');
export type Event = Static<typeof Event>;
export type EventType = Event['type'];

export const Expect = Type.Object({
  nodes: Type.Optional(Type.Record(NodeId, Observation)),
  inFlight: Type.Optional(Type.Array(Message, { description: 'The exact multiset of messages in flight after the step (order does not matter).' })),
  crashed: Type.Optional(Type.Array(NodeId, { uniqueItems: true, description: 'The exact set of nodes that are down after the step.' })),
}, { additionalProperties: false });
export type Expect = Static<typeof Expect>;

export const Step = Type.Object({
  event: Event,
  expect: Type.Optional(Expect),
  note: Type.Optional(Type.String({ description: 'What the step shows, for a human reader.' })),
}, { additionalProperties: false });
export type Step = Static<typeof Step>;

export const Trace = Type.Object({
  format: Type.Literal('raft-trace'),
  version: Type.Literal(1),
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  source: Type.Optional(Type.String({ description: 'Where the scenario comes from: a paper figure, a generator seed, an implementation.' })),
  cluster: Type.Array(NodeId, { minItems: 1, uniqueItems: true, description: 'The servers, in the order used for message fan-out.' }),
  options: Type.Optional(ProtocolOptions),
  initial: Type.Optional(Type.Record(NodeId, Observation, { description: 'Per-node initial state; missing fields take their Figure 2 initial values.' })),
  steps: Type.Array(Step),
}, { additionalProperties: false });
export type Trace = Static<typeof Trace>;

/** Every schema that is published as a file, with its file name. */
export const PUBLISHED: ReadonlyArray<readonly [string, TSchema]> = [
  ['trace.schema.json', Trace],
  ['event.schema.json', Event],
  ['message.schema.json', Message],
  ['node-state.schema.json', NodeState],
  ['observation.schema.json', Observation],
  ['options.schema.json', ProtocolOptions],
  ['entry.schema.json', Entry],
];
