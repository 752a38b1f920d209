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
function taggedUnion<T extends TObject[]>(members: [...T], description: string, tag = 'type') {
  return Type.Unsafe<Static<TUnion<T>>>({ type: 'object', oneOf: members, discriminator: { propertyName: tag }, description });
}

/**
 * The largest number a trace may hold anywhere the format has a whole number (terms, indexes, seq
 * numbers, offsets, counts, option values): 2^31-1. Every implementation's 32-bit signed integers
 * hold it, JSON parsers read it exactly, and it is far beyond any run a trace records; a larger value
 * is bad input at its JSON path rather than a silent overflow or a loop as long as the number. Terms
 * also keep room for the trace's steps (conformance/load.ts: each step starts at most one election).
 */
export const MAX_INT = 2147483647;
/** A whole number from `minimum` to MAX_INT. */
const Int = (options: { minimum: number; description?: string }) => Type.Integer({ maximum: MAX_INT, ...options });

const Index = Int({ minimum: 0, description: 'A log index; 0 means "before the first entry". At most 2^31-1 (MAX_INT).' });
const Term = Int({ minimum: 0, description: 'A term number; 0 is the term before any election. At most 2^31-1 (MAX_INT).' });

/**
 * Names a server or a client may not take: every property of JavaScript's Object.prototype
 * (`__proto__`, `constructor`, `toString`, `hasOwnProperty`, ...). A checker written in JavaScript
 * keys its state by these names, and one of them would read the prototype's member instead.
 */
export const RESERVED_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype).sort();
/** The start of a pattern that refuses the reserved names (a lookahead: one line of schema, not a list per use). */
export const NOT_RESERVED = `^(?!(?:${RESERVED_NAMES.join('|')})$)`;

/** Keys starting `x-` are the user's own metadata, dropped before a trace is checked: no server may be named so (it keys `initial`, `expect.nodes`, `nextIndex`, ...). */
export const NOT_USER_FIELD = '(?!x-)';
export const NodeId = Type.String({ minLength: 1, maxLength: 64, pattern: `${NOT_RESERVED}${NOT_USER_FIELD}[A-Za-z0-9_.:-]+$`, description: 'A server ID, as listed in the trace\'s `cluster`. Not a name of JavaScript\'s Object.prototype (`__proto__`, `constructor`, `toString`, ...), and not starting `x-` (the prefix of a user\'s own fields).' });
/** A record keyed by node IDs: its keys are checked as node IDs (a reserved name included). */
const NodeRecord = <T extends TSchema>(value: T, options: { description?: string } = {}) => Type.Record(NodeId, value, { ...options, propertyNames: NodeId });
export type NodeId = Static<typeof NodeId>;

/**
 * A client command: any JSON value. Two commands are equal when their canonical JSON is. The
 * key-value state machine (KV-1) executes the commands that are {@link KvCommand}s; every other
 * command is opaque to it (applied, with result null, changing nothing). `null` is the no-op a
 * new leader appends with the leaderNoop option (CLI-3).
 */
export const Command = Type.Unknown({ description: 'A client command: any JSON value. Key-value commands (KvCommand) are executed by the state machine; any other value, null (the no-op of CLI-3) included, is applied without effect.' });

const ClientId = Type.String({ minLength: 1, maxLength: 64, pattern: NOT_RESERVED, description: 'A client, as named in its commands (CLI-2). Not a name of JavaScript\'s Object.prototype.' });
const Seq = Int({ minimum: 1, description: "The client's serial number for this operation: one per operation, kept when the operation is retried (CLI-2)." });
const Key = Type.String({ maxLength: 256 });
const Value = Type.String({ maxLength: 4096 });
const session = { client: Type.Optional(ClientId), seq: Type.Optional(Seq) };
/** client and seq come together (CLI-2). */
const bothOrNeither = { client: ['seq'], seq: ['client'] };

/** A command of the key-value state machine (KV-1). With `client` and `seq` (both or neither) it runs exactly once (CLI-2). */
export const KvCommand = taggedUnion([
  Type.Object({ op: Type.Literal('get'), key: Key, ...session }, { additionalProperties: false, dependentRequired: bothOrNeither, description: 'Result: the value, or null when the key is absent.' }),
  Type.Object({ op: Type.Literal('put'), key: Key, value: Value, ...session }, { additionalProperties: false, dependentRequired: bothOrNeither, description: 'Sets the value. Result: null.' }),
  Type.Object({ op: Type.Literal('append'), key: Key, value: Value, ...session }, { additionalProperties: false, dependentRequired: bothOrNeither, description: 'Appends to the value (an absent key holds ""). Result: null.' }),
  Type.Object({ op: Type.Literal('cas'), key: Key, expected: Type.Union([Value, Type.Null()]), value: Value, ...session }, { additionalProperties: false, dependentRequired: bothOrNeither, description: 'Sets the value if the current one is `expected` (null: absent). Result: whether it did.' }),
], 'A command the key-value state machine executes (KV-1).', 'op');
export type KvCommand = Static<typeof KvCommand>;
export const KV_OPS: ReadonlySet<string> = new Set(['get', 'put', 'append', 'cas']);

/** What the state machine remembers of a client (CLI-2): its latest executed serial number and that operation's result. */
export const Session = Type.Object({ seq: Seq, result: Type.Unknown() }, { additionalProperties: false });
export type Session = Static<typeof Session>;

/** The key-value state machine's contents: the data and the per-client table (CLI-2). */
export const KvState = Type.Object({
  data: Type.Record(Type.String(), Value),
  sessions: Type.Record(ClientId, Session, { propertyNames: ClientId }),
}, { additionalProperties: false, description: 'The key-value state machine (KV-1): its data and its client table (CLI-2). A snapshot carries it as canonical JSON.' });
export type KvState = Static<typeof KvState>;
export const EMPTY_KV: KvState = Object.freeze({ data: Object.freeze({}), sessions: Object.freeze({}) }) as KvState;

const Members = (description: string, minItems = 0) => Type.Array(NodeId, { uniqueItems: true, minItems, description });

/**
 * A cluster configuration (§6, dissertation ch. 4; docs/membership.md). Joint (C_old,new) exactly
 * when oldVoters is present. A quorum needs more than half of `voters` and, while joint, more than
 * half of `oldVoters` too.
 */
export const Configuration = Type.Object({
  voters: Members('The servers whose votes and acknowledgements count (of C_new while joint).', 1),
  learners: Type.Optional(Members('Servers that receive the log but count in no quorum and never campaign (CFG-4). Omitted when none.')),
  oldVoters: Type.Optional(Members('Present only while joint (C_old,new, CFG-2): the voters of C_old.', 1)),
}, { additionalProperties: false, description: 'A cluster configuration (CFG-1). A leader writes each list sorted, without duplicates.' });
export type Configuration = Static<typeof Configuration>;

/** The configuration a trace starts from: never joint. */
export const BootstrapConfiguration = Type.Object({
  voters: Members('The voters at the start.', 1),
  learners: Type.Optional(Members('The learners at the start (CFG-4).')),
}, { additionalProperties: false, description: 'The configuration every server knows at the start (CFG-1). Default: every server of `cluster` a voter, no learners.' });
export type BootstrapConfiguration = Static<typeof BootstrapConfiguration>;

export const Entry = Type.Object({
  term: Int({ minimum: 1, description: 'The term of the leader that created the entry.' }),
  command: Command,
  config: Type.Optional(Configuration),
}, {
  additionalProperties: false,
  // A configuration entry's command is null: the state machine applies it without effect.
  dependentSchemas: { config: { properties: { command: { type: 'null' } } } },
  description: 'A log entry (Figure 2: "each entry contains command for state machine, and term when entry was received by leader"). With `config` it is a configuration entry (CFG-1), whose command is null.',
});
export type Entry = Static<typeof Entry>;

export const Role = Type.Union([Type.Literal('follower'), Type.Literal('candidate'), Type.Literal('leader'), Type.Literal('precandidate')], { description: 'precandidate only with the preVote option (PV-1).' });
export type Role = Static<typeof Role>;

const routed = { from: NodeId, to: NodeId };

export const RequestVote = Type.Object({
  type: Type.Literal('RequestVote'), ...routed,
  term: Term, candidateId: NodeId, lastLogIndex: Index, lastLogTerm: Term,
  transfer: Type.Optional(Type.Literal(true, { description: 'Sent by a server that a TimeoutNow made campaign (LT-4): the disruption guard (CFG-6) does not apply. Absent otherwise.' })),
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
  readRound: Type.Optional(Int({ minimum: 1, description: "The leader's latest ReadIndex round of this term (CLI-4); absent until the leader starts one." })),
}, { additionalProperties: false });
export type AppendEntries = Static<typeof AppendEntries>;

export const AppendEntriesResponse = Type.Object({
  type: Type.Literal('AppendEntriesResponse'), ...routed,
  term: Term, success: Type.Boolean(),
  matchIndex: Int({ minimum: 0, description: 'On success, prevLogIndex + len(entries) of the request answered (raft.tla\'s mmatchIndex); 0 on failure.' }),
  prevLogIndex: Int({ minimum: 0, description: 'The prevLogIndex of the request answered, so that the leader can tell a reply to its current probe from a stale one (DEC-4).' }),
  conflictTerm: Type.Optional(Int({ minimum: 0, description: 'With the fastBacktracking option, on a rejection by the consistency check (AE-2): the term of the follower\'s entry at prevLogIndex, or 0 when it has none (FB-1).' })),
  conflictIndex: Type.Optional(Int({ minimum: 1, description: 'With conflictTerm: the first index the follower holds of conflictTerm, or its last index + 1 when it has no entry at prevLogIndex (FB-1).' })),
  rejectHint: Type.Optional(Int({ minimum: 0, description: 'With fastBacktracking under DEC-22b (etcd\'s RejectHint), on a rejection by the consistency check (AE-2): the last index at or before min(prevLogIndex, the follower\'s last index) whose term is at most prevLogTerm, or 0. In place of conflictTerm and conflictIndex.' })),
  logTerm: Type.Optional(Int({ minimum: 0, description: 'With rejectHint: the term of the follower\'s entry at rejectHint, or 0 when it does not know it (etcd\'s LogTerm).' })),
  readRound: Type.Optional(Int({ minimum: 1, description: 'The readRound of the request answered, echoed (CLI-4); present exactly when the request carried one.' })),
  lastApplied: Type.Optional(Int({ minimum: 0, description: "With flowControlWindow: the follower's lastApplied after it handled the request (FC-1). Absent otherwise." })),
}, { additionalProperties: false });
export type AppendEntriesResponse = Static<typeof AppendEntriesResponse>;

export const PreVote = Type.Object({
  type: Type.Literal('PreVote'), ...routed,
  term: Int({ minimum: 1, description: "The term the sender would campaign in: its currentTerm + 1 (PV-1)." }),
  candidateId: NodeId, lastLogIndex: Index, lastLogTerm: Term,
}, { additionalProperties: false, description: '§9.6: would you vote for me? Changes no term or vote (PV-2).' });
export type PreVote = Static<typeof PreVote>;

export const PreVoteResponse = Type.Object({
  type: Type.Literal('PreVoteResponse'), ...routed,
  term: Int({ minimum: 0, description: "The request's term when granted; the responder's currentTerm when refused (PV-2)." }),
  voteGranted: Type.Boolean(),
}, { additionalProperties: false });
export type PreVoteResponse = Static<typeof PreVoteResponse>;

export const TimeoutNow = Type.Object({
  type: Type.Literal('TimeoutNow'), ...routed,
  term: Term,
}, { additionalProperties: false, description: '§3.10: the leader tells the transferee to start an election at once (LT-2, LT-4).' });
export type TimeoutNow = Static<typeof TimeoutNow>;

export const ClientProposal = Type.Object({
  type: Type.Literal('ClientProposal'), ...routed,
  term: Term,
  command: Command,
}, { additionalProperties: false, description: 'DEC-23b (etcd\'s MsgProp forwarding): a follower hands a client command to the leader of its term, which appends it as if the client had sent it (LEA-2).' });
export type ClientProposal = Static<typeof ClientProposal>;

export const ForwardedRead = Type.Object({
  type: Type.Literal('ForwardedRead'), ...routed,
  term: Term,
  client: ClientId, seq: Seq, key: Key,
}, { additionalProperties: false, description: 'DEC-23b: a follower hands a client read to the leader of its term, which serves it as its own (CLI-4, or LR-2 under a lease) and answers the client.' });
export type ForwardedRead = Static<typeof ForwardedRead>;

export const InstallSnapshot = Type.Object({
  type: Type.Literal('InstallSnapshot'), ...routed,
  term: Term, leaderId: NodeId,
  lastIncludedIndex: Int({ minimum: 1, description: 'The snapshot replaces all entries up through and including this index.' }),
  lastIncludedTerm: Int({ minimum: 1, description: 'The term of lastIncludedIndex.' }),
  offset: Int({ minimum: 0, description: 'Where the chunk goes in the snapshot data (characters of its canonical JSON).' }),
  data: Type.String({ minLength: 1, description: 'A chunk of the snapshot data: characters offset .. offset + length of the canonical JSON of the state machine (KvState) at lastIncludedIndex.' }),
  done: Type.Boolean({ description: 'Whether this is the last chunk.' }),
  lastConfig: Type.Optional(Configuration),
}, { additionalProperties: false, description: "Figure 13: the leader sends a follower its snapshot, in chunks (SNAP-2). lastConfig (dissertation Figure 5.3) is the configuration as of lastIncludedIndex, the leader's snapshotConfig, in every chunk; absent when that is the bootstrap configuration." });
export type InstallSnapshot = Static<typeof InstallSnapshot>;

export const InstallSnapshotResponse = Type.Object({
  type: Type.Literal('InstallSnapshotResponse'), ...routed,
  term: Term,
  lastIncludedIndex: Int({ minimum: 1, description: 'The lastIncludedIndex of the request answered.' }),
  offset: Int({ minimum: 0, description: 'How much of that snapshot the follower holds: the offset of the chunk it wants next (DEC-12). 0 on IS-1.' }),
  done: Type.Boolean({ description: 'Whether the follower now holds everything through lastIncludedIndex: it installed the snapshot (IS-5) or already had it committed (DEC-11).' }),
}, { additionalProperties: false, description: 'Figure 13 has only the term; the rest tells the leader which chunk to send next (SNAP-3).' });
export type InstallSnapshotResponse = Static<typeof InstallSnapshotResponse>;

export const Message = taggedUnion([RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, PreVote, PreVoteResponse, TimeoutNow, ClientProposal, ForwardedRead],
  'A message between servers. Messages are named by their whole content: two messages with the same fields are the same message (the network is a multiset).');
export type Message = Static<typeof Message>;
export type MessageType = Message['type'];

const PerPeer = NodeRecord(Index);

/** A server's state: Figure 2's variables grouped by lifetime, plus role and votesGranted. */
export const NodeState = Type.Object({
  role: Role,
  // persistent (PER-1)
  currentTerm: Term,
  votedFor: Type.Union([NodeId, Type.Null()]),
  log: Type.Array(Entry, { description: 'The entries after the snapshot: log[0] holds index snapshotIndex + 1 (index 1 without a snapshot).' }),
  snapshotIndex: Int({ minimum: 0, description: "The snapshot's lastIncludedIndex; 0 without a snapshot (SNAP-1). Persistent." }),
  snapshotTerm: Int({ minimum: 0, description: "The snapshot's lastIncludedTerm; 0 without a snapshot. Persistent." }),
  snapshotMachine: KvState,
  snapshotConfig: Type.Union([Configuration, Type.Null()], { description: 'The configuration in force at snapshotIndex (SNAP-1, CFG-1); null: the bootstrap configuration. Persistent.' }),
  // volatile, all servers
  commitIndex: Index,
  lastApplied: Index,
  machine: KvState,
  leaderId: Type.Union([NodeId, Type.Null()], { description: 'The leader this server last heard from in currentTerm (itself when leader), for redirects (CLI-1); null after a term change or a restart.' }),
  partialSnapshot: Type.Union([Type.Object({
    lastIncludedIndex: Int({ minimum: 1 }), lastIncludedTerm: Int({ minimum: 1 }), data: Type.String(),
  }, { additionalProperties: false }), Type.Null()], { description: 'An InstallSnapshot being received: the chunks so far (IS-2, IS-3); null when none. Volatile: a crash loses it (DEC-12).' }),
  heardFromLeader: Type.Boolean({ description: 'Whether it has handled an AppendEntries or InstallSnapshot from the leader of its term since its last election timeout (PV-2, CFG-6). Volatile.' }),
  // volatile, leaders (empty on other roles: DEC-10)
  nextIndex: PerPeer,
  matchIndex: PerPeer,
  recentlyActive: Type.Array(NodeId, { uniqueItems: true, description: 'With checkQuorum: the peers heard from since the last check (CQ-1).' }),
  transferee: Type.Union([NodeId, Type.Null()], { description: 'The server leadership is being transferred to (LT-1), or null.' }),
  appliedIndex: NodeRecord(Index, { description: 'With flowControlWindow: the highest lastApplied each peer reported (FC-2).' }),
  // volatile, candidates and leaders (empty on followers: DEC-10)
  votesGranted: Type.Array(NodeId, { uniqueItems: true }),
}, { additionalProperties: false });
export type NodeState = Static<typeof NodeState>;
export const NODE_FIELDS = ['role', 'currentTerm', 'votedFor', 'log', 'snapshotIndex', 'snapshotTerm', 'snapshotMachine', 'snapshotConfig', 'commitIndex', 'lastApplied', 'machine', 'leaderId', 'partialSnapshot', 'heardFromLeader', 'nextIndex', 'matchIndex', 'recentlyActive', 'transferee', 'appliedIndex', 'votesGranted'] as const;
export type NodeField = typeof NODE_FIELDS[number];

/**
 * The end of a server's log: the entries from index `from` to its last (none: the log ends at
 * from - 1). What a recorder writes after a step that changed the log, in place of the whole log,
 * so that a trace grows with the entries appended, not with the log's length at every step.
 */
export const LogSuffix = Type.Object({
  from: Int({ minimum: 1, description: 'The index of the first entry listed; after the server\'s snapshotIndex.' }),
  entries: Type.Array(Entry, { description: 'The entries from `from` to the end of the log, in order.' }),
}, { additionalProperties: false, description: 'The log from `from` to its end: the server\'s last index is from + entries.length - 1, and its entries there are these. Entries before `from` are not observed.' });
export type LogSuffix = Static<typeof LogSuffix>;

/**
 * Part of a per-peer map (issue 14, trace scripts): the keys listed, each with its value; keys not
 * listed are not observed (a whole `nextIndex` lists every key).
 */
export const PartialMaps = Type.Object({
  nextIndex: Type.Optional(PerPeer),
  matchIndex: Type.Optional(PerPeer),
  appliedIndex: Type.Optional(PerPeer),
}, { additionalProperties: false, description: 'Part of each map named: only the peers listed are compared, each with its value.' });
export type PartialMaps = Static<typeof PartialMaps>;

/**
 * Partial observations of a server (issue 14): less than a whole field. Only in expectations
 * (`expect.nodes`, `expectInitial.nodes`), never in `initial`.
 */
const PartialObservation = {
  logTerms: Type.Optional(Type.Array(Int({ minimum: 1 }), { description: "The terms of the server's log entries after its snapshot (log[0] is index snapshotIndex + 1), in order, and no more: the log without its commands." })),
  logLength: Type.Optional(Int({ minimum: 0, description: "The server's last log index (snapshotIndex + the entries after it): the log's length in the paper's sense." })),
  partial: Type.Optional(PartialMaps),
};
export const PARTIAL_OBSERVATION_FIELDS = ['logTerms', 'logLength', 'partial'] as const;

/** What a trace may assert about one server: any subset of its state, the end of its log, and the partial observations. */
export const Observation = Type.Composite([Type.Partial(NodeState), Type.Object({ logSuffix: Type.Optional(LogSuffix), ...PartialObservation })], { additionalProperties: false });
export type Observation = Static<typeof Observation>;

export const ProtocolOptions = Type.Object({
  maxEntriesPerAppendEntries: Type.Optional(Int({
    minimum: 1,
    description: 'How many entries one AppendEntries carries at most (DEC-6). Default 1, as raft.tla sends.',
  })),
  fastBacktracking: Type.Optional(Type.Boolean({
    description: 'End of §5.3: a follower rejecting on the consistency check reports the conflicting term and its first index for that term (FB-1), and the leader skips the whole term (FB-2). Default false.',
  })),
  snapshotChunkSize: Type.Optional(Int({
    minimum: 1,
    description: 'How many characters of snapshot data one InstallSnapshot carries at most (Figure 13 leaves the chunk size open). Default 64.',
  })),
  leaderNoop: Type.Optional(Type.Boolean({
    description: 'CLI-3: a new leader appends a no-op entry (command null) of its term before anything else, so that it commits an entry of its term (and can serve reads) without waiting for a client. Default false.',
  })),
  leaseReads: Type.Optional(Type.Boolean({ description: 'Dissertation §6.4.1: a leader acknowledged by a majority since its last election timeout answers reads without a round (LR-1..LR-3); implies the disruption guard (CFG-6). Rests on a clock assumption that traces must respect (docs/compaction-and-clients.md). Default false.' })),
  followerReads: Type.Optional(Type.Boolean({ description: "ZooKeeper's guarantees (issue 15, docs/follower-reads.md): any server answers a read at once from its applied state unless it is behind the read's `after` (FR-1, FR-2); clientSync gives a client a current index (FR-3). Reads are then not linearizable: a run is checked against ZK-1..ZK-4 instead of LIN-1. Default false." })),
  preVote: Type.Optional(Type.Boolean({ description: 'Dissertation §9.6: elections start with a pre-vote that changes no term (PV-1..PV-3). Default false.' })),
  checkQuorum: Type.Optional(Type.Boolean({ description: 'Dissertation §6.2: a leader that has not heard from a majority since its last election timeout steps down (CQ-1). Default false.' })),
  disruptionGuard: Type.Optional(Type.Boolean({ description: 'Dissertation §4.2.3: a server that heard from its leader since its last election timeout ignores RequestVotes of newer terms (CFG-6). Default false.' })),
  leadershipTransfer: Type.Optional(Type.Boolean({ description: 'Dissertation §3.10: the transferLeadership event and TimeoutNow (LT-1..LT-5). Default false.' })),
  pipelining: Type.Optional(Type.Boolean({ description: 'Several AppendEntries in flight per follower: nextIndex advances when entries are sent (PIP-1) and is repaired on rejection (PIP-2). Default false.' })),
  flowControlWindow: Type.Optional(Int({ minimum: 1, description: "Flow control: followers report lastApplied (FC-1) and a leader sends no entry beyond a follower's lastApplied + this window (FC-2, FC-3). Absent: no flow control." })),
}, { additionalProperties: false, description: 'Protocol options in force. Every option is off (or at its Figure 2 value) by default.' });
export type ProtocolOptions = Static<typeof ProtocolOptions>;
/** Options with their defaults filled in; flowControlWindow 0 means off. */
export type ResolvedOptions = Required<ProtocolOptions>;
export const DEFAULT_OPTIONS: ResolvedOptions = {
  maxEntriesPerAppendEntries: 1, fastBacktracking: false, snapshotChunkSize: 64, leaderNoop: false, leaseReads: false,
  preVote: false, checkQuorum: false, disruptionGuard: false, leadershipTransfer: false, pipelining: false, flowControlWindow: 0,
  followerReads: false,
};
export function resolveOptions(o: ProtocolOptions | undefined): ResolvedOptions {
  return { ...DEFAULT_OPTIONS, ...(o ?? {}) };
}

/** A link between two servers, both ways: the two server IDs (their order does not matter). */
const Link = Type.Array(NodeId, { minItems: 2, maxItems: 2, uniqueItems: true, description: 'The two servers at the ends of the link; the link carries messages both ways.' });

const nodeEvent = <T extends string>(type: T, description: string) => Type.Object({ type: Type.Literal(type), node: NodeId }, { additionalProperties: false, description });
const messageEvent = <T extends string>(type: T, description: string) =>
  Type.Object({ type: Type.Literal(type), message: Message }, { additionalProperties: false, description });

export const Event = taggedUnion([
  Type.Object({ type: Type.Literal('electionTimeout'), node: NodeId }, { additionalProperties: false, description: "The node's election timer fires (FOL-2, CAN-4). No effect on a leader or a crashed node." }),
  Type.Object({ type: Type.Literal('heartbeatTimeout'), node: NodeId }, { additionalProperties: false, description: "A leader's heartbeat timer fires (LEA-1). No effect on other roles or a crashed node." }),
  Type.Object({ type: Type.Literal('clientRequest'), node: NodeId, command: Command }, { additionalProperties: false, description: 'A client command reaches a node. A leader appends it (LEA-2) and answers once it has applied it; any other live node answers with a redirect (CLI-1).' }),
  Type.Object({
    type: Type.Literal('clientRead'), node: NodeId, client: ClientId, seq: Seq, key: Key,
    after: Type.Optional(Int({ minimum: 0, description: 'FR-4: the highest log index the client has been answered with (result, read or sync); default 0. Only followerReads reads it (FR-1, FR-2).' })),
  }, { additionalProperties: false, description: 'A linearizable read reaches a node (CLI-4, ReadIndex): a leader answers once a majority has confirmed it is still leader and it has applied through the read index; any other live node answers with a redirect (CLI-1). With followerReads, any node answers at once from its applied state if it has applied through `after` (FR-1), else redirects (FR-2).' }),
  Type.Object({ type: Type.Literal('clientSync'), node: NodeId, client: ClientId, seq: Seq }, { additionalProperties: false, description: "ZooKeeper's sync (FR-3, followerReads only): a leader answers with a `sync` reply once a CLI-4 round (or LR-2's lease) confirms it, with the read index; any other live node redirects (CLI-1). Without followerReads no effect (DEC-9)." }),
  Type.Object({ type: Type.Literal('transferLeadership'), node: NodeId, target: NodeId }, { additionalProperties: false, description: 'The leader is asked to hand leadership to `target` (LT-1). No effect without the leadershipTransfer option or on a non-leader (DEC-9).' }),
  Type.Object({
    type: Type.Literal('reconfigure'), node: NodeId,
    change: Type.Union([Type.Literal('single'), Type.Literal('joint')], { description: 'single: a single-server change (CFG-7); joint: through C_old,new (CFG-2, CFG-3).' }),
    voters: Members('The voters of the configuration asked for.', 1),
    learners: Type.Optional(Members('Its learners (CFG-4); default none. None may also be a voter.')),
  }, { additionalProperties: false, description: 'The node is asked to move the cluster to a new configuration (docs/membership.md). Only a leader acts on it, and only when the rules allow (CFG-2, CFG-7, LT-3); elsewhere no effect (DEC-9).' }),
  Type.Object({ type: Type.Literal('snapshot'), node: NodeId, index: Type.Optional(Int({ minimum: 1 })) }, { additionalProperties: false, description: 'The node compacts its log through `index` (default: lastApplied), which it must have applied (SNAP-1). No effect on a crashed node or when index is not above snapshotIndex or is above lastApplied (DEC-13).' }),
  messageEvent('deliver', 'One copy of an in-flight message is delivered to its receiver. The message must be in flight.'),
  messageEvent('drop', 'One copy of an in-flight message is lost. The message must be in flight.'),
  messageEvent('duplicate', 'An in-flight message is copied: one more copy is in flight. The message must be in flight.'),
  messageEvent('inject', 'A message arrives from outside the network: hand-written, or a delayed copy of an old message. It need not be in flight; it is delivered to its receiver at once.'),
  nodeEvent('crash', 'The node crashes: it keeps only currentTerm, votedFor and its log (PER-1) and is down until it restarts; events addressed to it have no effect and messages delivered to it are lost (DEC-7). The node must be up.'),
  nodeEvent('restart', 'A crashed node comes back as a follower with lastApplied = snapshotIndex and commitIndex = snapshotIndex (PER-1, SNAP-4; DEC-7b: the commitIndex it kept, whose entries it applies again as it comes up, or at its next apply under DEC-17b). The node must be down.'),
  Type.Object({ type: Type.Literal('partition'), groups: Type.Array(Type.Array(NodeId, { minItems: 1 }), { minItems: 2 }) }, {
    additionalProperties: false,
    description: 'Sugar for drops: from now on, every message between two different groups is lost as it is sent, and the ones in flight between groups are lost now. A node in no group is in a group of its own.',
  }),
  Type.Object({ type: Type.Literal('heal'), link: Type.Optional(Link) }, { additionalProperties: false, description: 'Without `link`: ends the partition and restores every cut link (the network is whole again). With `link`: restores that one link (issue 14). Messages lost before stay lost.' }),
  Type.Object({ type: Type.Literal('cut'), link: Link }, {
    additionalProperties: false,
    description: 'Cuts one link, both ways (issue 14): from now on every message between the two servers is lost as it is sent, and the copies in flight between them are lost now, as a partition does; the other links stay. Sugar for drops, like partition.',
  }),
  nodeEvent('apply', 'DEC-17b: the node applies every committed entry it has not applied yet (an implementation that applies in a step of its own records it so). Under DEC-17a nothing is left to apply.'),
  Type.Object({
    type: Type.Literal('error'),
    node: Type.Optional(NodeId),
    message: Type.String({ description: 'What the implementation said: the exception, or how it exited.' }),
  }, { additionalProperties: false, description: 'The implementation threw or exited while handling the step before (on `node`, if known). Validation fails here with the message.' }),
], 'One thing that happens to the cluster. Everything it enables happens within the same step (docs/trace-format.md).');
export type Event = Static<typeof Event>;
export type EventType = Event['type'];

const replyTo = { node: NodeId, client: Type.Union([ClientId, Type.Null()]), seq: Type.Union([Seq, Type.Null()]) };

/** What a server answers a client: not a message between servers, but an output of the step, recorded so that a checker sees what each client saw. */
export const ClientReply = taggedUnion([
  Type.Object({ type: Type.Literal('redirect'), ...replyTo, leader: Type.Union([NodeId, Type.Null()]) }, { additionalProperties: false, description: 'CLI-1: a non-leader names the leader it last heard from (null: none known). The operation was not started.' }),
  Type.Object({ type: Type.Literal('result'), ...replyTo, index: Int({ minimum: 1 }), result: Type.Unknown(), duplicate: Type.Boolean({ description: 'Answered from the client table without executing again (CLI-2).' }) }, { additionalProperties: false, description: 'LEA-2: the server that appended the command has applied it at `index`; `result` is what the state machine returned.' }),
  Type.Object({ type: Type.Literal('read'), ...replyTo, key: Key, index: Index, result: Type.Union([Value, Type.Null()]) }, { additionalProperties: false, description: 'CLI-4: a ReadIndex read, answered at read index `index`. FR-1 (followerReads): a read answered from the server\'s applied state, `index` its lastApplied.' }),
  Type.Object({ type: Type.Literal('sync'), ...replyTo, index: Index }, { additionalProperties: false, description: 'FR-3: a sync, answered by a leader once confirmed, with its read index: every write answered before the sync was sent is at or below it.' }),
], 'An answer to a client (§8). `client` and `seq` are the operation\'s (null for a command without them).');
export type ClientReply = Static<typeof ClientReply>;

/**
 * What the servers that handled steps `from` to this one sent (issue 14): these messages, as many
 * copies as listed at least, among them. A message a partition or a cut link lost is still sent.
 */
export const SentDuring = Type.Object({
  from: Int({ minimum: 0, description: 'The first step of the range (0-based, as /steps/<i>); at most the step the expectation is on, and at most MAX_SENT_WINDOW - 1 steps before it.' }),
  contains: Type.Array(Message, { minItems: 1, description: 'Messages sent in the range, as many copies as listed at least, in any order.' }),
}, { additionalProperties: false, description: 'The messages sent during steps from..this one contain these.' });
export type SentDuring = Static<typeof SentDuring>;
/** How many steps a `sentDuring` range spans at most: checkers keep what was sent that far back, and no further. */
export const MAX_SENT_WINDOW = 1024;

export const Expect = Type.Object({
  nodes: Type.Optional(NodeRecord(Observation)),
  replies: Type.Optional(Type.Array(ClientReply, { description: 'The exact list of client replies the step produced, in order.' })),
  inFlight: Type.Optional(Type.Array(Message, { description: 'The exact multiset of messages in flight after the step (order does not matter).' })),
  crashed: Type.Optional(Type.Array(NodeId, { uniqueItems: true, description: 'The exact set of nodes that are down after the step.' })),
  inFlightContains: Type.Optional(Type.Array(Message, { description: 'Messages in flight after the step, as many copies as listed at least; others may be in flight too (issue 14).' })),
  sentDuring: Type.Optional(Type.Array(SentDuring, { minItems: 1, description: 'Ranges of steps ending at this one, each with messages its steps sent (issue 14).' })),
}, { additionalProperties: false });
export type Expect = Static<typeof Expect>;

/** Expectations on the state before the first step (issue 14): what `initial` and the defaults make of each server. */
export const ExpectInitial = Type.Object({
  nodes: Type.Optional(NodeRecord(Observation)),
  inFlight: Type.Optional(Type.Array(Message, { description: 'The exact multiset in flight at the start: always empty (a message in flight at the start is an inject step).' })),
  inFlightContains: Type.Optional(Type.Array(Message)),
  crashed: Type.Optional(Type.Array(NodeId, { uniqueItems: true, description: 'The servers down at the start: always none.' })),
}, { additionalProperties: false, description: 'Checked against the initial state, before the first step, after the invariants.' });
export type ExpectInitial = Static<typeof ExpectInitial>;

export const Step = Type.Object({
  event: Event,
  expect: Type.Optional(Expect),
  sent: Type.Optional(Type.Array(Message, { description: 'The messages the server that handled the event sent in this step, in any order: all of them, or (with sentPartial) some of them.' })),
  sentPartial: Type.Optional(Type.Boolean({ description: 'true: `sent` lists some of the messages sent, not necessarily all.' })),
  note: Type.Optional(Type.String({ description: 'What the step shows, for a human reader.' })),
}, { additionalProperties: false });
export type Step = Static<typeof Step>;

const AlternativeId = Type.String({ pattern: '^DEC-[0-9]+[a-z]$', description: 'An alternative of a choice point: DEC-3a, DEC-3b (docs/choices.md).' });

export const Trace = Type.Object({
  format: Type.Literal('raft-trace'),
  version: Type.Literal(1),
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  source: Type.Optional(Type.String({ description: 'Where the scenario comes from: a paper figure, a generator seed, an implementation.' })),
  cluster: Type.Array(NodeId, { minItems: 1, uniqueItems: true, description: 'The servers, in the order used for message fan-out.' }),
  options: Type.Optional(ProtocolOptions),
  configuration: Type.Optional(BootstrapConfiguration),
  initial: Type.Optional(NodeRecord(Observation, { description: 'Per-node initial state; missing fields take their Figure 2 initial values.' })),
  expectInitial: Type.Optional(ExpectInitial),
  profile: Type.Optional(Type.Record(Type.String({ pattern: '^DEC-[0-9]+$' }), Type.Union([AlternativeId, Type.Array(AlternativeId, { minItems: 1, uniqueItems: true })]), { description: 'The alternatives this implementation may take at each choice point (spec/choices.ts, docs/choices.md); a point not named permits all of its alternatives.' })),
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
  ['configuration.schema.json', Configuration],
  ['kv-command.schema.json', KvCommand],
  ['kv-state.schema.json', KvState],
  ['client-reply.schema.json', ClientReply],
];
