// Loading a trace file: JSON parsing, schema validation and the checks a schema cannot express
// (every node named is in the cluster). Every problem becomes one InputError naming the JSON path.
import { readFileSync } from 'node:fs';
import { type Configuration, type Entry, type Message, type Observation, type Trace, KV_OPS } from '../spec/schema.js';
import { isKvCommand } from '../spec/kv.js';
import { InputError, validateKvCommand, validateTrace } from '../spec/validate.js';
import { CHOICE_BY_ID, CHOICE_POINTS } from '../spec/choices.js';

export type Loaded = { ok: true; trace: Trace } | { ok: false; error: InputError };

export function loadTraceFile(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, error: new InputError('', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`) };
  }
  return parseTrace(text);
}

export function parseTrace(text: string): Loaded {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: new InputError('', `expected JSON: ${jsonErrorWhere(text, e as Error)}`) };
  }
  return checkTrace(data);
}

export function checkTrace(data: unknown): Loaded {
  const v = validateTrace(withoutUserFields(data));
  if (!v.ok) return v;
  const error = checkNames(v.value) ?? checkProfile(v.value);
  return error ? { ok: false, error } : { ok: true, trace: v.value };
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
    out[k] = FREE_JSON.has(k) ? v : withoutUserFields(v);
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
function checkNames(t: Trace): InputError | null {
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
    if (o.snapshotConfig) { const e = config(o.snapshotConfig, `${path}/snapshotConfig`); if (e) return e; }
    return entries(o.log ?? [], `${path}/log`);
  };
  if (t.configuration) { const e = config(t.configuration, '/configuration'); if (e) return e; }
  for (const [id, o] of Object.entries(t.initial ?? {})) {
    const e = node(id, `/initial/${id}`) ?? state(o, `/initial/${id}`);
    if (e) return e;
  }
  for (const [i, s] of t.steps.entries()) {
    const at = `/steps/${i}`;
    const ev = s.event;
    let e: InputError | null = null;
    if ('node' in ev && ev.node !== undefined) e = node(ev.node, `${at}/event/node`);
    if (!e && ev.type === 'clientRequest') e = kvCommand(ev.command, `${at}/event/command`);
    if (!e && ev.type === 'transferLeadership') e = node(ev.target, `${at}/event/target`);
    if (!e && ev.type === 'reconfigure') e = config(ev, `${at}/event`);
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
    case 'RequestVoteResponse':
      return null;
  }
}

function jsonErrorWhere(text: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return e.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${e.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${col}`;
}
