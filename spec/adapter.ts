// The adapter protocol (docs/drive.md, version 1): the JSON lines `raftspec drive` writes to an
// implementation's adapter and the lines it answers, one definition each, in the style of
// schema.ts (TypeBox, emitted to spec/schemas/adapter.schema.json by `npm run spec:emit`). The
// protocol carries the trace format's own schemas (Message, ClientReply, Observation,
// ProtocolOptions, BootstrapConfiguration): a server's step says what it did in the words a trace
// uses.
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnion } from '@sinclair/typebox';
import { BootstrapConfiguration, ClientReply, Event, MAX_INT, Message, NodeId, Observation, ProtocolOptions } from './schema.js';
import { CHOICE_POINTS } from './choices.js';

/** The protocol version this raftspec speaks (hello's `version`). */
export const PROTOCOL_VERSION = 1;

/** A string of a fixed set: one `enum` keyword, so that a wrong value is reported with the allowed ones (not as the first member of a union). */
const OneOf = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], description });

/** A union discriminated by `tag` (as in schema.ts): ajv reports the errors of the matching member only. */
function taggedUnion<T extends TObject[]>(members: [...T], description: string, tag: string) {
  return Type.Unsafe<Static<TUnion<T>>>({ type: 'object', oneOf: members, discriminator: { propertyName: tag }, description });
}

const membersOf = (union: TSchema): TObject[] => (union as { oneOf?: TObject[] }).oneOf ?? [];
const tagOf = (member: TObject): string => String((member.properties.type as { const?: unknown }).const);

/** The inputs other than messages (spec/input.ts), in the order features list them. */
export const INPUT_TYPES = ['electionTimeout', 'heartbeatTimeout', 'clientRequest', 'clientRead', 'snapshot', 'transferLeadership', 'reconfigure', 'apply', 'clientSync'] as const;
export type InputType = typeof INPUT_TYPES[number];

/**
 * What reaches one server in a step (spec/input.ts's NodeInput): a message, or one of the events
 * that name a node, without the `node` (the request names it once).
 */
export const NodeInput = taggedUnion([
  ...membersOf(Message),
  ...INPUT_TYPES.map((t) => {
    const event = membersOf(Event).find((m) => tagOf(m) === t);
    if (event === undefined) throw new Error(`spec/adapter.ts: no event ${t} in spec/schema.ts`);
    return Type.Omit(event, ['node']);
  }),
], 'One input to one server: a message delivered to it, or an event of the trace format (without its `node`).', 'type');

export const OPTION_NAMES = Object.keys(ProtocolOptions.properties) as (keyof ProtocolOptions)[];
export const OBSERVATION_FIELDS = Object.keys(Observation.properties) as (keyof Observation)[];

/** What an implementation declares in its hello (conformance/adapter.ts's AdapterFeatures). */
export const AdapterFeatures = Type.Object({
  events: Type.Array(OneOf(INPUT_TYPES, 'An input type other than a message.'), { uniqueItems: true, description: 'The inputs other than messages it handles (messages are always handled); the generator draws only these.' }),
  options: Type.Array(OneOf(OPTION_NAMES, 'A ProtocolOptions name.'), { uniqueItems: true, description: 'The ProtocolOptions it implements; campaigns draw only these.' }),
  observes: Type.Array(OneOf(OBSERVATION_FIELDS, 'An Observation field.'), { uniqueItems: true, description: 'The Observation fields its `state` carries; the others are not compared (the search keeps them open).' }),
  sent: OneOf(['all', 'partial'] as const, '"all": a step\'s `sent` lists every message the step sent; "partial": some of them.'),
  profile: Type.Optional(Type.Object(
    Object.fromEntries(CHOICE_POINTS.map((c) => [c.id, Type.Optional(OneOf(['a', 'b'] as const, `The alternative it takes at ${c.id}.`))])),
    { additionalProperties: false, description: 'The alternatives it says it takes at choice points (docs/choices.md), by letter: {"DEC-3": "b"}. Informational: drive validates by search either way.' },
  )),
}, { additionalProperties: false, description: 'What the implementation supports.' });
export type AdapterFeatures = Static<typeof AdapterFeatures>;

const Id = Type.Integer({ minimum: 1, maximum: MAX_INT, description: 'The request\'s number: 1 for the first request of a session, then one more each request. A response repeats it.' });
const request = <Op extends string, P extends TProperties>(op: Op, properties: P, description: string) =>
  Type.Object({ id: Id, op: Type.Literal(op), ...properties }, { additionalProperties: false, description });
const response = <P extends TProperties>(properties: P, description: string) =>
  Type.Object({ id: Id, ...properties }, { additionalProperties: false, description });

export const HelloRequest = request('hello', { version: Type.Literal(PROTOCOL_VERSION) }, 'The first request: which protocol raftspec speaks. Answered with a HelloResponse.');
export const StartRequest = request('start', {
  servers: Type.Array(NodeId, { minItems: 1, uniqueItems: true, description: 'The servers of a fresh cluster, each with empty state (or the bootstrap configuration).' }),
  options: ProtocolOptions,
  configuration: Type.Optional(BootstrapConfiguration),
}, 'A fresh cluster. Answered with an OkResponse.');
export const StepRequest = request('step', { node: NodeId, input: NodeInput }, 'One input to one server, which persists before it answers (PER-1). Answered with a StepResponse.');
export const CrashRequest = request('crash', { node: NodeId }, 'The server loses everything volatile. Answered with an OkResponse.');
export const RestartRequest = request('restart', { node: NodeId }, 'The server comes back from what it persisted, and may act at once (DEC-7b). Answered with a StepResponse.');
export const ObserveRequest = request('observe', { node: NodeId }, 'The server\'s state with its whole log. Answered with an ObserveResponse.');
export const StopRequest = request('stop', {}, 'The end of the session. Answered with an OkResponse; the adapter then exits with status 0.');

export const AdapterRequest = taggedUnion([HelloRequest, StartRequest, StepRequest, CrashRequest, RestartRequest, ObserveRequest, StopRequest], 'A line raftspec writes to the adapter\'s stdin.', 'op');
export type AdapterRequest = Static<typeof AdapterRequest>;
export type AdapterOp = AdapterRequest['op'];

export const HelloResponse = response({
  version: Type.Literal(PROTOCOL_VERSION, { description: 'The protocol version the adapter speaks.' }),
  name: Type.String({ minLength: 1, description: 'The implementation, for reports.' }),
  features: AdapterFeatures,
}, 'The answer to hello.');
export const OkResponse = response({ ok: Type.Literal(true) }, 'The answer to start, crash and stop.');
export const StepResponse = response({
  sent: Type.Array(Message, { description: 'The messages the server sent in the step (all of them, or with features.sent "partial" some of them).' }),
  replies: Type.Array(ClientReply, { description: 'The client replies the step produced, in order.' }),
  state: Observation,
}, 'The answer to step and restart: what the server did, and its state after (the log whole as `log`, or as `logSuffix` from the first index the step changed).');
export const ObserveResponse = response({ state: Observation }, 'The answer to observe: the server\'s state, with its whole log.');
export const ErrorResponse = response({
  error: Type.String({ description: 'What the implementation said.' }),
}, 'Any request may be answered so: the implementation threw or refused. To step and restart it is a finding (an `error` event, which fails validation); to the other requests an adapter fault.');

/** The response each request expects (besides an ErrorResponse). */
export const RESPONSE_OF: { readonly [Op in AdapterOp]: TObject } = {
  hello: HelloResponse, start: OkResponse, step: StepResponse, crash: OkResponse, restart: StepResponse, observe: ObserveResponse, stop: OkResponse,
};

const ref = (name: string) => ({ $ref: `#/$defs/${name}` });
const REQUESTS = { HelloRequest, StartRequest, StepRequest, CrashRequest, RestartRequest, ObserveRequest, StopRequest };
const RESPONSES = { HelloResponse, OkResponse, StepResponse, ObserveResponse, ErrorResponse };

/** The published document: any line of the protocol; each request and response under `$defs` (`adapter.schema.json#/$defs/StepResponse`). */
export const AdapterProtocol = Type.Unsafe<unknown>({
  description: 'A line of the adapter protocol (docs/drive.md): a request raftspec writes (op names it) or a response the adapter writes (its id repeats the request\'s).',
  anyOf: [ref('Request'), ref('Response')],
  $defs: {
    Request: { oneOf: Object.keys(REQUESTS).map(ref), description: 'A request: exactly one of these, by `op`.' },
    Response: { anyOf: Object.keys(RESPONSES).map(ref), description: 'A response: the one its request expects, or an ErrorResponse.' },
    ...REQUESTS, ...RESPONSES,
    AdapterFeatures,
    NodeInput,
  },
});

/** Published as files by emit.ts, with their file names. */
export const ADAPTER_PUBLISHED: ReadonlyArray<readonly [string, TSchema]> = [['adapter.schema.json', AdapterProtocol]];
