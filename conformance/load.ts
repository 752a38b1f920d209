// Loading a trace file: JSON parsing, schema validation and the checks a schema cannot express
// (every node named is in the cluster). Every problem becomes one InputError naming the JSON path.
import { jsonSyntaxError, lineColumn, printable, showChar } from './json-syntax.js';
import { type Configuration, type Entry, type Message, type Observation, type Trace, KV_OPS, MAX_INT, MAX_SENT_WINDOW, PARTIAL_OBSERVATION_FIELDS } from '../spec/schema.js';
import { isKvCommand } from '../spec/kv.js';
import { InputError, validateKvCommand, validateTrace } from '../spec/validate.js';
import { CHOICE_BY_ID, CHOICE_POINTS } from '../spec/choices.js';
import { MAX_FILE_BYTES, readInputFile } from './files.js';

export type Loaded = { ok: true; trace: Trace } | { ok: false; error: InputError };

/** The largest trace file read whole: 256 MiB (a JavaScript string holds at most about 512 Mi characters). */
export { MAX_FILE_BYTES };
/** How deeply arrays and objects may nest within each other in a trace file (the format itself needs fewer than 20 levels). */
export const MAX_NESTING = 512;

export function loadTraceFile(file: string): Loaded {
  const read = readInputFile(file, 'a trace file');
  return read.ok ? parseTrace(read.text) : { ok: false, error: new InputError('', read.expected) };
}

export function parseTrace(text: string): Loaded {
  // A UTF-8 byte order mark is not JSON, but editors write one: it is skipped.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, error: new InputError('', nestingError(json)) };
    return { ok: false, error: new InputError('', `expected JSON: ${jsonErrorWhere(json, e as Error)}`) };
  }
  return checkTrace(data, json);
}

/**
 * What JSON.parse accepts but no checker should be handed: nesting deeper than MAX_NESTING (every
 * recursive function on it would overflow the stack) and numbers that are not finite (`1e309` is
 * read as Infinity, and written back as null). One walk without recursion; the first problem.
 */
export function checkShape(data: unknown, text?: string): InputError | null {
  // Paths are built only for the value reported: each entry keeps its parent and its key.
  type Item = { value: unknown; depth: number; parent: Item | null; key: string };
  const pathOf = (item: Item, levels = Infinity): string => {
    const keys: string[] = [];
    for (let at: Item | null = item; at !== null && at.parent !== null; at = at.parent) keys.push(at.key.replace(/~/g, '~0').replace(/\//g, '~1'));
    return keys.reverse().slice(0, levels).map((k) => `/${k}`).join('');
  };
  const stack: Item[] = [{ value: data, depth: 0, parent: null, key: '' }];
  while (stack.length > 0) {
    const item = stack.pop() as Item;
    const value = item.value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return new InputError(pathOf(item), `expected a finite number, got one out of range (JSON numbers beyond about 1.8e308, such as 1e309, are read as ${value > 0 ? '' : '-'}Infinity)`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (item.depth >= MAX_NESTING) {
      // The path of the first levels only: the rest is one segment per level.
      return new InputError(pathOf(item, 5), text === undefined ? `expected nesting no deeper than ${MAX_NESTING} levels of arrays and objects` : nestingError(text));
    }
    const depth = item.depth + 1;
    if (Array.isArray(value)) {
      for (let k = value.length - 1; k >= 0; k--) {
        const v: unknown = value[k];
        if (v !== null && (typeof v === 'object' || typeof v === 'number')) stack.push({ value: v, depth, parent: item, key: String(k) });
      }
    } else {
      const keys = Object.keys(value);
      for (let k = keys.length - 1; k >= 0; k--) {
        const key = keys[k] as string;
        const v: unknown = (value as Record<string, unknown>)[key];
        if (v !== null && (typeof v === 'object' || typeof v === 'number')) stack.push({ value: v, depth, parent: item, key });
      }
    }
  }
  return null;
}

/** `nesting deeper than 512 levels at line L, column C`: found by a scan of the brackets outside strings. */
function nestingError(text: string): string {
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x0a) { line++; lineStart = i + 1; }
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return `expected nesting no deeper than ${MAX_NESTING} levels of arrays and objects, got deeper at line ${line}, column ${i - lineStart + 1}`;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return `expected nesting no deeper than ${MAX_NESTING} levels of arrays and objects`;
}

/**
 * Checks parsed JSON as a trace; `text`, the JSON it was parsed from, locates nesting too deep by
 * line and column. `firstStep`: the index of the first of `steps` in the whole trace (a reader of
 * one step at a time checks each on its own, conformance/stream.ts).
 */
export function checkTrace(data: unknown, text?: string, firstStep = 0): Loaded {
  const shape = checkShape(data, text);
  if (shape) return { ok: false, error: shape };
  const v = validateTrace(withoutUserFields(data));
  if (!v.ok) return v;
  const error = checkNames(v.value, firstStep) ?? checkProfile(v.value) ?? checkTermRoom(v.value);
  return error ? { ok: false, error } : { ok: true, trace: v.value };
}

/** A field holding a term: `term`, `currentTerm`, `lastLogTerm`, `prevLogTerm`, `snapshotTerm`, ... */
const TERM_FIELD = /^term$|Term$/;

/**
 * Terms never pass MAX_INT (2^31-1): a step raises the highest term in the cluster by at most one
 * (an election timeout, a TimeoutNow, a PreVote proposing currentTerm + 1), so every term the trace
 * gives the model to start from (its initial state and the messages its events carry) must leave
 * room for one more per step. The first term without that room is bad input at its path.
 */
function checkTermRoom(t: Trace): InputError | null {
  const limit = MAX_INT - t.steps.length;
  const find = (value: unknown, path: string, key: string): InputError | null => {
    if (typeof value === 'number') {
      return TERM_FIELD.test(key) && value > limit
        ? new InputError(path, `expected a term at most ${limit} (2^31-1 less one per step: each of the trace's ${t.steps.length} steps can start an election, and no term may pass 2^31-1), got ${value}`)
        : null;
    }
    if (value === null || typeof value !== 'object') return null;
    for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
      if (FREE_JSON.has(String(k))) continue;
      const e = find(v, `${path}/${k}`, String(k));
      if (e) return e;
    }
    return null;
  };
  const initial = find(t.initial ?? {}, '/initial', 'initial');
  if (initial) return initial;
  for (const [i, s] of t.steps.entries()) {
    const e = find(s.event, `/steps/${i}/event`, 'event');
    if (e) return e;
  }
  return null;
}

/** Where the format holds free JSON (a command, a state machine, a result): its keys are the user's data, never metadata. */
const FREE_JSON = new Set(['command', 'machine', 'snapshotMachine', 'result']);

/**
 * A user's own metadata: fields named `x-...`, anywhere but inside free JSON, are kept in the file
 * and ignored by the checker (removed before the schema sees the trace).
 */
export function withoutUserFields(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(withoutUserFields);
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k.startsWith('x-')) continue;
    // Defined, not assigned: a key "__proto__" (JSON.parse makes it an own key) stays a key, for the schema to refuse.
    Object.defineProperty(out, k, { value: FREE_JSON.has(k) ? v : withoutUserFields(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A profile names choice points of spec/choices.ts and, for each, alternatives of that point. */
function checkProfile(t: Trace): InputError | null {
  for (const [point, v] of Object.entries(t.profile ?? {})) {
    const c = CHOICE_BY_ID.get(point);
    if (!c) return new InputError(`/profile/${point}`, `a choice point of docs/choices.md (${CHOICE_POINTS.map((x) => x.id).join(', ')}), got ${JSON.stringify(point)}`);
    const ids = Array.isArray(v) ? v : [v];
    for (const [k, id] of ids.entries()) {
      if (!c.alternatives.some((a) => a.id === id)) return new InputError(`/profile/${point}${Array.isArray(v) ? `/${k}` : ''}`, `an alternative of ${point} (${c.alternatives.map((a) => a.id).join(', ')}), got ${JSON.stringify(id)}`);
    }
  }
  return null;
}

/** Node IDs used anywhere must be in `cluster`; a message's sender and receiver must differ. */
function checkNames(t: Trace, firstStep = 0): InputError | null {
  const known = new Set(t.cluster);
  const expected = `a node of the cluster (${t.cluster.join(', ')})`;
  const node = (id: string, path: string) => (known.has(id) ? null : new InputError(path, `unknown node ${JSON.stringify(id)}; expected ${expected}`));
  /** CFG-1: every member is in the cluster, and no server is both a voter and a learner. */
  const config = (c: Pick<Configuration, 'voters' | 'learners' | 'oldVoters'>, path: string): InputError | null => {
    for (const f of ['voters', 'learners', 'oldVoters'] as const) {
      for (const [i, id] of (c[f] ?? []).entries()) { const e = node(id, `${path}/${f}/${i}`); if (e) return e; }
    }
    for (const [i, id] of (c.learners ?? []).entries()) {
      if (c.voters.includes(id)) return new InputError(`${path}/learners/${i}`, `${id} is also a voter; expected a learner that is not a voter (CFG-4)`);
    }
    return null;
  };
  const entries = (es: readonly Entry[], path: string): InputError | null => {
    for (const [k, en] of es.entries()) if (en.config) { const e = config(en.config, `${path}/${k}/config`); if (e) return e; }
    return null;
  };
  const message = (m: Message, path: string): InputError | null => {
    const bad = node(m.from, `${path}/from`) ?? node(m.to, `${path}/to`)
      ?? (m.type === 'AppendEntries' ? entries(m.entries, `${path}/entries`) : null)
      ?? (m.type === 'InstallSnapshot' && m.lastConfig ? config(m.lastConfig, `${path}/lastConfig`) : null);
    if (bad) return bad;
    if (m.from === m.to) return new InputError(`${path}/to`, `a message from ${m.from} to itself; expected another node`);
    if ((m.type === 'RequestVote' || m.type === 'PreVote') && m.candidateId !== m.from) return new InputError(`${path}/candidateId`, `expected the sender ${JSON.stringify(m.from)}, got ${JSON.stringify(m.candidateId)}`);
    if ((m.type === 'AppendEntries' || m.type === 'InstallSnapshot') && m.leaderId !== m.from) return new InputError(`${path}/leaderId`, `expected the sender ${JSON.stringify(m.from)}, got ${JSON.stringify(m.leaderId)}`);
    return impossibleMessage(m, path);
  };
  const state = (o: Observation, path: string): InputError | null => {
    if (o.votedFor != null) { const e = node(o.votedFor, `${path}/votedFor`); if (e) return e; }
    if (o.leaderId != null) { const e = node(o.leaderId, `${path}/leaderId`); if (e) return e; }
    if (o.transferee != null) { const e = node(o.transferee, `${path}/transferee`); if (e) return e; }
    for (const [i, id] of (o.recentlyActive ?? []).entries()) { const e = node(id, `${path}/recentlyActive/${i}`); if (e) return e; }
    for (const id of Object.keys(o.appliedIndex ?? {})) { const e = node(id, `${path}/appliedIndex/${id}`); if (e) return e; }
    for (const f of ['nextIndex', 'matchIndex'] as const) for (const id of Object.keys(o[f] ?? {})) { const e = node(id, `${path}/${f}/${id}`); if (e) return e; }
    for (const [i, id] of (o.votesGranted ?? []).entries()) { const e = node(id, `${path}/votesGranted/${i}`); if (e) return e; }
    for (const [f, part] of Object.entries(o.partial ?? {})) for (const id of Object.keys(part)) { const e = node(id, `${path}/partial/${f}/${id}`); if (e) return e; }
    if (o.snapshotConfig) { const e = config(o.snapshotConfig, `${path}/snapshotConfig`); if (e) return e; }
    return entries(o.log ?? [], `${path}/log`);
  };
  if (t.configuration) { const e = config(t.configuration, '/configuration'); if (e) return e; }
  for (const [id, o] of Object.entries(t.initial ?? {})) {
    const e = node(id, `/initial/${id}`) ?? state(o, `/initial/${id}`);
    if (e) return e;
    // Partial observations say what a server holds, not what it starts from.
    const f = PARTIAL_OBSERVATION_FIELDS.find((k) => o[k] !== undefined);
    if (f) return new InputError(`/initial/${id}/${f}`, `no such field in an initial state (${f} is an observation: write it in expectInitial)`);
  }
  if (t.expectInitial) {
    const x = t.expectInitial;
    for (const [id, o] of Object.entries(x.nodes ?? {})) { const e = node(id, `/expectInitial/nodes/${id}`) ?? state(o, `/expectInitial/nodes/${id}`); if (e) return e; }
    for (const f of ['inFlight', 'inFlightContains'] as const) for (const [k, m] of (x[f] ?? []).entries()) { const e = message(m, `/expectInitial/${f}/${k}`); if (e) return e; }
    for (const [k, id] of (x.crashed ?? []).entries()) { const e = node(id, `/expectInitial/crashed/${k}`); if (e) return e; }
  }
  for (const [i, s] of t.steps.entries()) {
    const at = `/steps/${i}`;
    const ev = s.event;
    let e: InputError | null = null;
    if ('node' in ev && ev.node !== undefined) e = node(ev.node, `${at}/event/node`);
    if (!e && ev.type === 'clientRequest') e = kvCommand(ev.command, `${at}/event/command`);
    if (!e && ev.type === 'transferLeadership') e = node(ev.target, `${at}/event/target`);
    if (!e && ev.type === 'reconfigure') e = config(ev, `${at}/event`);
    if (!e && (ev.type === 'cut' || ev.type === 'heal') && ev.link) ev.link.forEach((id, k) => { e ??= node(id, `${at}/event/link/${k}`); });
    else if ('message' in ev && ev.type !== 'error') e = message(ev.message, `${at}/event/message`);
    else if (ev.type === 'partition') {
      const seen = new Set<string>();
      ev.groups.forEach((g, gi) => g.forEach((id, k) => {
        e ??= node(id, `${at}/event/groups/${gi}/${k}`);
        if (!e && seen.has(id)) e = new InputError(`${at}/event/groups/${gi}/${k}`, `node ${id} is in two groups; expected each node in at most one`);
        seen.add(id);
      }));
    }
    if (e) return e;
    for (const [id, o] of Object.entries(s.expect?.nodes ?? {})) {
      const e2 = node(id, `${at}/expect/nodes/${id}`) ?? state(o, `${at}/expect/nodes/${id}`);
      if (e2) return e2;
    }
    for (const [k, m] of (s.expect?.inFlight ?? []).entries()) { const e3 = message(m, `${at}/expect/inFlight/${k}`); if (e3) return e3; }
    for (const [k, m] of (s.expect?.inFlightContains ?? []).entries()) { const e3 = message(m, `${at}/expect/inFlightContains/${k}`); if (e3) return e3; }
    for (const [r, during] of (s.expect?.sentDuring ?? []).entries()) {
      const step = firstStep + i;
      if (during.from > step) return new InputError(`${at}/expect/sentDuring/${r}/from`, `expected a step at or before this one (${step}), got ${during.from}`);
      if (during.from < step - (MAX_SENT_WINDOW - 1)) return new InputError(`${at}/expect/sentDuring/${r}/from`, `expected a range of at most ${MAX_SENT_WINDOW} steps (from ${Math.max(0, step - (MAX_SENT_WINDOW - 1))} on), got ${during.from}`);
      for (const [k, m] of during.contains.entries()) { const e3 = message(m, `${at}/expect/sentDuring/${r}/contains/${k}`); if (e3) return e3; }
    }
    for (const [k, id] of (s.expect?.crashed ?? []).entries()) { const e4 = node(id, `${at}/expect/crashed/${k}`); if (e4) return e4; }
    for (const [k, r] of (s.expect?.replies ?? []).entries()) {
      const e5 = node(r.node, `${at}/expect/replies/${k}/node`) ?? (r.type === 'redirect' && r.leader !== null ? node(r.leader, `${at}/expect/replies/${k}/leader`) : null);
      if (e5) return e5;
      if ((r.client === null) !== (r.seq === null)) return new InputError(`${at}/expect/replies/${k}/${r.client === null ? 'client' : 'seq'}`, 'expected client and seq both set or both null');
    }
  }
  return null;
}

/**
 * A command that names a key-value operation (its op is get, put, append or cas) must be a
 * well-formed KvCommand: otherwise the state machine would silently treat it as opaque (KV-1).
 */
function kvCommand(c: unknown, path: string): InputError | null {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
  const op = (c as Record<string, unknown>).op;
  if (typeof op !== 'string' || !KV_OPS.has(op) || isKvCommand(c)) return null;
  const v = validateKvCommand(c, path);
  const detail = v.ok ? 'client and seq together' : v.error.expected;
  return new InputError(v.ok ? path : v.error.path, `a key-value command (KvCommand: ${op} with ${op === 'get' ? 'key' : op === 'cas' ? 'key, expected, value' : 'key, value'}, and optionally client and seq); ${detail}`);
}

/**
 * A message no server following any reading of Figure 2 could send: refused as bad input, so that a
 * trace cannot make the model or an implementation act on nonsense (an index 0 with a term, entries
 * from a later term than the leader's, a success below the index it answers).
 */
function impossibleMessage(m: Message, path: string): InputError | null {
  switch (m.type) {
    case 'RequestVote':
      if (m.term < 1) return new InputError(`${path}/term`, 'expected a term >= 1: a candidate has started an election');
      if ((m.lastLogIndex === 0) !== (m.lastLogTerm === 0)) return new InputError(`${path}/lastLogTerm`, `expected 0 exactly when lastLogIndex is 0 (lastLogIndex ${m.lastLogIndex}, lastLogTerm ${m.lastLogTerm})`);
      if (m.lastLogTerm > m.term) return new InputError(`${path}/lastLogTerm`, `expected at most the candidate's term ${m.term}, got ${m.lastLogTerm}`);
      return null;
    case 'AppendEntries': {
      if (m.term < 1) return new InputError(`${path}/term`, 'expected a term >= 1: a leader was elected');
      if ((m.prevLogIndex === 0) !== (m.prevLogTerm === 0)) return new InputError(`${path}/prevLogTerm`, `expected 0 exactly when prevLogIndex is 0 (prevLogIndex ${m.prevLogIndex}, prevLogTerm ${m.prevLogTerm})`);
      let previous = m.prevLogTerm;
      for (const [k, e] of m.entries.entries()) {
        if (e.term < previous || e.term > m.term) {
          return new InputError(`${path}/entries/${k}/term`, `expected a term from ${previous} to the leader's term ${m.term} (terms never decrease along a log), got ${e.term}`);
        }
        previous = e.term;
      }
      if (m.prevLogTerm > m.term) return new InputError(`${path}/prevLogTerm`, `expected at most the leader's term ${m.term}, got ${m.prevLogTerm}`);
      return null;
    }
    case 'AppendEntriesResponse':
      if ((m.conflictTerm === undefined) !== (m.conflictIndex === undefined)) {
        return new InputError(`${path}/${m.conflictTerm === undefined ? 'conflictTerm' : 'conflictIndex'}`, 'expected conflictTerm and conflictIndex together (FB-1), or neither');
      }
      if (m.conflictIndex !== undefined) {
        if (m.success) return new InputError(`${path}/conflictIndex`, 'expected no conflict on a success');
        if (m.conflictIndex > m.prevLogIndex) return new InputError(`${path}/conflictIndex`, `expected at most prevLogIndex ${m.prevLogIndex} (where the check failed), got ${m.conflictIndex}`);
        if ((m.conflictTerm ?? 0) > m.term) return new InputError(`${path}/conflictTerm`, `expected at most the follower's term ${m.term}, got ${m.conflictTerm}`);
      }
      if ((m.rejectHint === undefined) !== (m.logTerm === undefined)) {
        return new InputError(`${path}/${m.rejectHint === undefined ? 'rejectHint' : 'logTerm'}`, 'expected rejectHint and logTerm together (DEC-22b), or neither');
      }
      if (m.rejectHint !== undefined) {
        if (m.conflictIndex !== undefined) return new InputError(`${path}/rejectHint`, 'expected either conflictTerm and conflictIndex (DEC-22a) or rejectHint and logTerm (DEC-22b), not both');
        if (m.success) return new InputError(`${path}/rejectHint`, 'expected no hint on a success');
        if (m.rejectHint > m.prevLogIndex) return new InputError(`${path}/rejectHint`, `expected at most prevLogIndex ${m.prevLogIndex} (where the check failed), got ${m.rejectHint}`);
        if ((m.logTerm ?? 0) > m.term) return new InputError(`${path}/logTerm`, `expected at most the follower's term ${m.term}, got ${m.logTerm}`);
      }
      if (m.success && m.matchIndex < m.prevLogIndex) return new InputError(`${path}/matchIndex`, `expected at least prevLogIndex ${m.prevLogIndex} on success, got ${m.matchIndex}`);
      if (!m.success && m.matchIndex !== 0) return new InputError(`${path}/matchIndex`, `expected 0 on failure, got ${m.matchIndex}`);
      return null;
    case 'InstallSnapshot':
      if (m.term < 1) return new InputError(`${path}/term`, 'expected a term >= 1: a leader was elected');
      if (m.lastIncludedTerm > m.term) return new InputError(`${path}/lastIncludedTerm`, `expected at most the leader's term ${m.term}, got ${m.lastIncludedTerm}`);
      return null;
    case 'InstallSnapshotResponse':
      return null;
    case 'PreVote':
      if ((m.lastLogIndex === 0) !== (m.lastLogTerm === 0)) return new InputError(`${path}/lastLogTerm`, `expected 0 exactly when lastLogIndex is 0 (lastLogIndex ${m.lastLogIndex}, lastLogTerm ${m.lastLogTerm})`);
      if (m.lastLogTerm >= m.term) return new InputError(`${path}/lastLogTerm`, `expected below the proposed term ${m.term} (a pre-candidate proposes its currentTerm + 1), got ${m.lastLogTerm}`);
      return null;
    case 'PreVoteResponse':
      return null;
    case 'TimeoutNow':
      if (m.term < 1) return new InputError(`${path}/term`, 'expected a term >= 1: a leader was elected');
      return null;
    case 'ClientProposal':
    case 'ForwardedRead':
      if (m.term < 1) return new InputError(`${path}/term`, 'expected a term >= 1: the follower knows a leader of its term (DEC-23b)');
      return null;
    case 'RequestVoteResponse':
      return null;
  }
}

function jsonErrorWhere(text: string, e: Error): string {
  // Node 20 names a position for few syntax errors: find it by a scan of our own.
  const at = jsonSyntaxError(text);
  if (at === null) return printable(e.message);
  const { line, column } = lineColumn(text, at.offset);
  return `${at.expected} at line ${line}, column ${column}, got ${showChar(text[at.offset] === undefined ? undefined : String.fromCodePoint(text.codePointAt(at.offset) as number))}`;
}

/**
 * A stack overflow while one trace is checked (data nested deeper than a recursive step of the
 * checker can follow): bad input for that file, so that the other files' results still come out.
 * Any other error is thrown on (an internal error).
 */
export function stackOverflowAsBadInput(e: unknown): { status: 'bad-input'; path: string; expected: string } {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return { status: 'bad-input', path: '/', expected: `expected data nested less deeply: checking it overflowed the stack (${e.message})` };
  }
  throw e;
}
