// Validation against the published schemas (ajv, draft 2020-12), with errors worded for a person:
// the JSON path of the offending value and what was expected there.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import fmt from 'ajv-formats';
import type { TSchema, Static } from '@sinclair/typebox';
import { Trace, Message, Event, NodeState, Observation, Entry, ProtocolOptions, KvCommand, ClientReply, KvState, MAX_INT, NOT_RESERVED, NOT_USER_FIELD, RESERVED_NAMES } from './schema.js';

const addFormats = fmt.default;

export const ajv = new Ajv2020({ allErrors: false, strict: true, discriminator: true });
addFormats(ajv);

/** A problem with input data, located by its JSON path (RFC 6901 pointer, '' for the root). */
export class InputError extends Error {
  constructor(readonly path: string, readonly expected: string) {
    super(`${path || '/'}: ${expected}`);
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: InputError };

function compile<S extends TSchema>(schema: S): (data: unknown, at?: string) => Result<Static<S>> {
  let validate: ValidateFunction | undefined;
  return (data, at = '') => {
    validate ??= ajv.compile(schema);
    if (validate(data)) return { ok: true, value: data as Static<S> };
    const err = validate.errors?.[0];
    return { ok: false, error: err ? describe(err, data, at) : new InputError(at, 'a valid value') };
  };
}

export const validateTrace = compile(Trace);
export const validateMessage = compile(Message);
export const validateEvent = compile(Event);
export const validateNodeState = compile(NodeState);
export const validateObservation = compile(Observation);
export const validateEntry = compile(Entry);
export const validateOptions = compile(ProtocolOptions);
export const validateKvCommand = compile(KvCommand);
export const validateReply = compile(ClientReply);
export const validateKvState = compile(KvState);

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number out of range (not finite)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describe(e: ErrorObject, data: unknown, at: string): InputError {
  // An error in a key (propertyNames): the path of that key, and the key is what was got.
  const key = (e as ErrorObject & { propertyName?: string }).propertyName;
  const path = at + e.instancePath + (key === undefined ? '' : `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  const got = key === undefined ? valueAt(data, e.instancePath) : key;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return new InputError(path, `missing required field "${String(p.missingProperty)}"`);
    case 'additionalProperties':
      return new InputError(`${path}/${String(p.additionalProperty)}`, 'no such field here (unknown field)');
    case 'discriminator': {
      const tag = String(p.tag);
      return p.tagValue === undefined || typeof p.tagValue !== 'string'
        ? new InputError(`${path}/${tag}`, `expected a string "${tag}" naming the kind, got ${show(p.tagValue)}`)
        : new InputError(`${path}/${tag}`, `unknown kind ${show(p.tagValue)}; expected one of ${knownTags(path)}`);
    }
    case 'const':
      return new InputError(path, `expected ${show(p.allowedValue)}, got ${show(got)}`);
    case 'type':
      return new InputError(path, `expected ${String(p.type)}, got ${show(got)}`);
    case 'minimum':
      return new InputError(path, `expected a number >= ${String(p.limit)}, got ${show(got)}`);
    case 'maximum':
      return new InputError(path, `expected a number <= ${String(p.limit)}${p.limit === MAX_INT ? ' (2^31-1, the largest whole number a trace holds)' : ''}, got ${show(got)}`);

    case 'minItems':
      return new InputError(path, `expected at least ${String(p.limit)} item(s)`);
    case 'uniqueItems':
      return new InputError(path, `expected no duplicates (items ${String(p.j)} and ${String(p.i)} are equal)`);
    case 'pattern':
      // Node and client IDs: not a name that collides with JavaScript's Object.prototype (the pattern's lookahead).
      if (typeof got === 'string' && RESERVED_NAMES.includes(got)) return new InputError(path, `expected a name that is not a property of JavaScript's Object.prototype (such as __proto__, constructor, toString), got ${show(got)}`);
      if (typeof got === 'string' && got.startsWith('x-') && String(p.pattern).includes(NOT_USER_FIELD)) return new InputError(path, `expected a server name that does not start with x- (x-... keys are your own fields, ignored by the checker), got ${show(got)}`);
      return new InputError(path, `expected a string matching ${String(p.pattern).replace(NOT_RESERVED, '^').replace(NOT_USER_FIELD, '').replace(/^\^$/, 'any name')}, got ${show(got)}`);
    case 'anyOf':
    case 'oneOf':
      return new InputError(path, `expected one of the allowed forms, got ${show(got)}`);
    default:
      return new InputError(path, `${e.message ?? 'invalid'} (got ${show(got)})`);
  }
}

function knownTags(path: string): string {
  const members = /\/message$|\/messages\/\d+$|\/inFlight(Contains)?\/\d+$|\/sentDuring\/\d+\/contains\/\d+$/.test(path) || path === '' ? MESSAGE_TYPES : EVENT_TYPES;
  return members.join(', ');
}

function tagsOf(union: TSchema): string[] {
  return ((union as { oneOf?: Array<{ properties: { type: { const: string } } }> }).oneOf ?? []).map((m) => m.properties.type.const);
}
export const EVENT_TYPES = tagsOf(Event);
export const MESSAGE_TYPES = tagsOf(Message);
