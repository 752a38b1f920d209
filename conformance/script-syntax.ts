// The words of a trace script (docs/trace-scripts.md): logical lines, tokens, and the short
// notations of values (a node's fields, log entries, configurations, client commands and replies)
// and of messages, which are written by their name (spec/canonical.ts's messageKey) and read back
// here. Every notation has a formatter that the parser reads back to the same value, so that a
// script can be written from a trace (script-from-trace.ts) and rewritten in place (script.ts).
import type { ClientReply, Configuration, Entry, LogSuffix, Message, MessageType, NodeField } from '../spec/schema.js';
import { canonicalJson } from '../spec/canonical.js';

/** A script problem at a line (1-based); `bad`: the script is wrong; `fail`: the model does not do what the script says. */
export class ScriptError extends Error {
  constructor(readonly line: number, readonly problem: string, readonly kind: 'bad' | 'fail' = 'bad') {
    super(`line ${line}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Lines

/**
 * A logical line: a line that starts in column 1, with the indented lines after it (continuation
 * lines) joined by '\n'. `first`..`last` are its physical lines (1-based), `indents` the leading
 * whitespace of each continuation line (kept when the line is rewritten).
 */
export interface LogicalLine {
  readonly text: string;
  readonly first: number;
  readonly last: number;
  readonly indents: readonly string[];
}

/** The logical lines of a script; blank lines and comment lines (`#` first, after any indentation) are skipped. */
export function logicalLines(source: string): LogicalLine[] {
  const physical = source.replace(/\r\n?/g, '\n').split('\n');
  const out: { text: string; first: number; last: number; indents: string[] }[] = [];
  physical.forEach((raw, k) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indent = /^[ \t]*/.exec(raw)?.[0] ?? '';
    const prev = out[out.length - 1];
    if (indent !== '' && prev) {
      prev.text += `\n${raw.slice(indent.length).trimEnd()}`;
      prev.last = k + 1;
      prev.indents.push(indent);
      return;
    }
    if (indent !== '') throw new ScriptError(k + 1, 'an indented line continues the line before it, and there is none');
    out.push({ text: raw.trimEnd(), first: k + 1, last: k + 1, indents: [] });
  });
  return out;
}

/** A word of a line and where it is in the line's text. */
export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const OPEN = '{[(';
const CLOSE = '}])';

/**
 * The words of `text`, split at whitespace outside JSON strings and brackets: `{"a": 1}`,
 * `[[1,"x y"]]`, `config(voters=s1 learners=s2)` and `"a b"` are each one word.
 */
export function tokenize(text: string, line: number, from = 0, to = text.length): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < to) {
    while (i < to && /\s/.test(text[i] as string)) i++;
    if (i >= to) break;
    const start = i;
    const depth: string[] = [];
    while (i < to) {
      const c = text[i] as string;
      if (c === '"') {
        i = stringEnd(text, i, line);
        continue;
      }
      if (OPEN.includes(c)) depth.push(CLOSE[OPEN.indexOf(c)] as string);
      else if (CLOSE.includes(c)) {
        if (depth.pop() !== c) throw new ScriptError(line, `unbalanced ${JSON.stringify(c)} in ${JSON.stringify(text.slice(start, Math.min(to, start + 40)))}`);
      } else if (/\s/.test(c) && depth.length === 0) break;
      i++;
    }
    if (depth.length > 0) throw new ScriptError(line, `expected ${JSON.stringify(depth[depth.length - 1])} to close ${JSON.stringify(text.slice(start, Math.min(to, start + 40)))}`);
    out.push({ text: text.slice(start, i), start, end: i });
  }
  return out;
}

/** The index just after the JSON string that starts at `i`. */
function stringEnd(text: string, i: number, line: number): number {
  for (let k = i + 1; k < text.length; k++) {
    if (text[k] === '\\') k++;
    else if (text[k] === '"') return k + 1;
  }
  throw new ScriptError(line, `a string that does not end: ${text.slice(i, i + 40)}`);
}

/** `text` split at `sep` outside JSON strings and brackets, each part trimmed; '' gives no part. */
export function splitTop(text: string, seps: string, line: number): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') { i = stringEnd(text, i, line) - 1; continue; }
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth--;
    else if (depth === 0 && seps.includes(c)) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.length === 1 && parts[0] === '' ? [] : parts;
}

// ---------------------------------------------------------------------------------------------
// Values of a node's fields

/** How each observable field of a server is written. */
export type Kind = 'int' | 'bool' | 'role' | 'node?' | 'nodes' | 'map' | 'entries' | 'ints' | 'json' | 'config?' | 'suffix';

export const FIELD_KIND: Readonly<Record<NodeField | 'logSuffix' | 'logTerms' | 'logLength', Kind>> = {
  role: 'role', currentTerm: 'int', votedFor: 'node?', log: 'entries', snapshotIndex: 'int', snapshotTerm: 'int',
  snapshotMachine: 'json', snapshotConfig: 'config?', commitIndex: 'int', lastApplied: 'int', machine: 'json',
  leaderId: 'node?', partialSnapshot: 'json', heardFromLeader: 'bool', nextIndex: 'map', matchIndex: 'map',
  recentlyActive: 'nodes', transferee: 'node?', appliedIndex: 'map', votesGranted: 'nodes',
  logSuffix: 'suffix', logTerms: 'ints', logLength: 'int',
};
export type ScriptField = keyof typeof FIELD_KIND;
/** The per-peer maps: a key of one of them may be observed alone (`nextIndex.s2=4`). */
export const MAP_FIELDS = ['nextIndex', 'matchIndex', 'appliedIndex'] as const;
export type MapField = typeof MAP_FIELDS[number];

/** A field's name as written: the trace format's (`commitIndex`) or its kebab-case spelling (`commit-index`, `log-terms`). */
export function fieldOf(word: string): ScriptField | null {
  const camel = word.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.hasOwn(FIELD_KIND, camel) ? camel as ScriptField : null;
}

const INT = /^\d+$/;
/** A string written without quotes: a word of letters, digits and `_ . -` that starts with a letter or `_` and reads as no other value. */
const BARE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED_WORDS = new Set(['null', 'true', 'false', 'none', 'all']);

export function isBare(s: string): boolean {
  return BARE.test(s) && !RESERVED_WORDS.has(s) && !s.startsWith('config');
}

/** A string as a word: bare when it can be, else JSON-quoted. */
export function word(s: string): string {
  return isBare(s) ? s : JSON.stringify(s);
}

/** A word read back as a string: JSON-quoted or bare. */
export function readWord(w: string, line: number, what: string): string {
  if (w.startsWith('"')) {
    const v = parseJson(w, line, what);
    if (typeof v !== 'string') throw new ScriptError(line, `expected ${what} as a string, got ${w}`);
    return v;
  }
  if (w === '' || /[\s,;]/.test(w)) throw new ScriptError(line, `expected ${what}, got ${JSON.stringify(w)}`);
  return w;
}

export function parseJson(text: string, line: number, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ScriptError(line, `expected ${what} as JSON, got ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)} (${(e as Error).message.split('\n')[0]})`);
  }
}

function int(text: string, line: number, what: string): number {
  if (!INT.test(text)) throw new ScriptError(line, `expected ${what} as a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** A command in a log entry or an AppendEntries: JSON when it reads as JSON, else the word as a string. */
export function readCommand(text: string, line: number): unknown {
  if (/^(?:[{["\-\d]|null$|true$|false$)/.test(text)) return parseJson(text, line, 'a command');
  return readWord(text, line, 'a command');
}

export function formatCommand(c: unknown): string {
  return typeof c === 'string' && isBare(c) ? c : canonicalJson(c);
}

/** `config(voters=s1,s2,s3 learners=s4 oldVoters=s1,s2)`: a configuration (CFG-1). */
export function readConfig(text: string, line: number): Configuration {
  const m = /^config\(([\s\S]*)\)$/.exec(text);
  if (!m) throw new ScriptError(line, `expected a configuration config(voters=... learners=... oldVoters=...), got ${JSON.stringify(text)}`);
  const out: Record<string, string[]> = {};
  for (const part of splitTop(m[1] as string, ' \n;', line).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq < 0 || !['voters', 'learners', 'oldVoters'].includes(key)) throw new ScriptError(line, `expected voters=, learners= or oldVoters= in a configuration, got ${JSON.stringify(part)}`);
    out[key] = splitTop(part.slice(eq + 1), ',', line).map((x) => readWord(x, line, 'a server'));
  }
  if (!out.voters) throw new ScriptError(line, `expected voters= in a configuration, got ${JSON.stringify(text)}`);
  return { voters: out.voters, ...(out.learners ? { learners: out.learners } : {}), ...(out.oldVoters ? { oldVoters: out.oldVoters } : {}) };
}

export function formatConfig(c: Configuration): string {
  const list = (ids: readonly string[]) => ids.map(word).join(',');
  return `config(voters=${list(c.voters)}${c.learners ? ` learners=${list(c.learners)}` : ''}${c.oldVoters ? ` oldVoters=${list(c.oldVoters)}` : ''})`;
}

/** `3:x` (term 3, command "x"), `2:{"op":"put",...}`, `4:null`, `5:config(voters=s1,s2)`. */
export function readEntry(text: string, line: number): Entry {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ScriptError(line, `expected an entry term:command, got ${JSON.stringify(text)}`);
  const term = int(text.slice(0, colon), line, "an entry's term");
  const rest = text.slice(colon + 1);
  if (rest.startsWith('config(')) return { term, command: null, config: readConfig(rest, line) };
  return { term, command: readCommand(rest, line) };
}

export function formatEntry(e: Entry): string {
  return `${e.term}:${e.config ? formatConfig(e.config) : formatCommand(e.command)}`;
}

/** A field's value as written after `field=` (or, joined by commas, after `field `). */
export function readValue(kind: Kind, text: string, line: number, field: string): unknown {
  const what = `a value of ${field}`;
  if (text.startsWith('{') || text.startsWith('[')) return parseJson(text, line, what);
  const list = () => splitTop(text, ',', line);
  switch (kind) {
    case 'int':
      return int(text, line, what);
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new ScriptError(line, `expected true or false for ${field}, got ${JSON.stringify(text)}`);
      return text === 'true';
    case 'role':
      return readWord(text, line, what);
    case 'node?':
      return text === 'null' || text === 'none' ? null : readWord(text, line, what);
    case 'nodes':
      return list().map((x) => readWord(x, line, 'a server'));
    case 'map': {
      const out: Record<string, number> = {};
      for (const part of list()) {
        const m = /^([^:=]+)[:=](.*)$/.exec(part);
        if (!m) throw new ScriptError(line, `expected server:value in ${field}, got ${JSON.stringify(part)}`);
        Object.defineProperty(out, readWord(m[1] as string, line, 'a server'), { value: int(m[2] as string, line, what), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'entries':
      return list().map((x) => readEntry(x, line));
    case 'ints':
      return list().map((x) => int(x, line, 'a term'));
    case 'config?':
      return text === 'null' || text === 'none' ? null : readConfig(text, line);
    case 'suffix': {
      const colon = text.indexOf(':');
      if (colon < 0) throw new ScriptError(line, `expected logSuffix=from:entries (such as 3:2:x,2:y or 3:[]), got ${JSON.stringify(text)}`);
      const from = int(text.slice(0, colon), line, 'the first index of logSuffix');
      const rest = text.slice(colon + 1);
      const entries: unknown = rest.startsWith('[') ? parseJson(rest, line, 'entries') : splitTop(rest, ',', line).map((x) => readEntry(x, line));
      return { from, entries };
    }
    case 'json':
      return text === 'null' ? null : parseJson(text, line, what);
  }
}

/** A field's value in its short notation (what readValue reads back). */
export function formatValue(kind: Kind, v: unknown): string {
  switch (kind) {
    case 'int':
    case 'bool':
      return String(v);
    case 'role':
      return typeof v === 'string' ? word(v) : canonicalJson(v);
    case 'node?':
      return v === null ? 'null' : typeof v === 'string' ? word(v) : canonicalJson(v);
    case 'nodes':
      return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]).map(word).join(',') : canonicalJson(v);
    case 'map': {
      const entries = Object.entries(v as Record<string, unknown>);
      return entries.length > 0 ? entries.map(([k, n]) => `${word(k)}:${String(n)}`).join(',') : '{}';
    }
    case 'entries':
      return Array.isArray(v) && v.length > 0 ? (v as Entry[]).map(formatEntry).join(',') : '[]';
    case 'ints':
      return Array.isArray(v) && v.length > 0 ? v.join(',') : '[]';
    case 'config?':
      return v === null ? 'null' : formatConfig(v as Configuration);
    case 'suffix': {
      const s = v as LogSuffix;
      return `${s.from}:${s.entries.length > 0 ? s.entries.map(formatEntry).join(',') : '[]'}`;
    }
    case 'json':
      return canonicalJson(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Client commands and replies

/** `c1#3`: a client and its serial number (CLI-2); `-` for none. */
export function readOp(text: string, line: number): { client: string; seq: number } | null {
  if (text === '-') return null;
  const m = /^(.+)#(\d+)$/.exec(text);
  if (!m) throw new ScriptError(line, `expected client#seq (such as c1#1) or -, got ${JSON.stringify(text)}`);
  return { client: readWord(m[1] as string, line, 'a client'), seq: Number(m[2]) };
}

export const formatOp = (client: string | null, seq: number | null): string => (client === null || seq === null ? '-' : `${word(client)}#${seq}`);

/**
 * A client command: `x=1` (put), `x+=a` (append), `put x 1`, `append x a`, `get x`,
 * `cas x old new` (old `null`: absent), a JSON value, or a word (that string). With a client#seq
 * before it, a key-value command carries them (CLI-2).
 */
export function readClientCommand(words: readonly string[], line: number): unknown {
  let op: { client: string; seq: number } | null = null;
  let ws = words;
  if (ws.length >= 2 && /^[^"#\s]+#\d+$/.test(ws[0] as string)) {
    op = readOp(ws[0] as string, line);
    ws = ws.slice(1);
  }
  const session = op ? { client: op.client, seq: op.seq } : {};
  const val = (w: string) => readWord(w, line, 'a value');
  let command: unknown;
  const [head, ...rest] = ws;
  if (head === undefined) throw new ScriptError(line, 'expected a command');
  if (head === 'put' && rest.length === 2) command = { op: 'put', key: val(rest[0] as string), value: val(rest[1] as string), ...session };
  else if (head === 'append' && rest.length === 2) command = { op: 'append', key: val(rest[0] as string), value: val(rest[1] as string), ...session };
  else if (head === 'get' && rest.length === 1) command = { op: 'get', key: val(rest[0] as string), ...session };
  else if (head === 'cas' && rest.length === 3) command = { op: 'cas', key: val(rest[0] as string), expected: rest[1] === 'null' ? null : val(rest[1] as string), value: val(rest[2] as string), ...session };
  else if (rest.length === 0) {
    const kv = /^([^"=+\s][^=+\s]*)(\+?)=(.*)$/.exec(head);
    if (kv && !head.startsWith('{') && !head.startsWith('[')) command = { op: kv[2] === '+' ? 'append' : 'put', key: kv[1] as string, value: val(kv[3] as string), ...session };
    else {
      command = readCommand(head, line);
      if (op) throw new ScriptError(line, `a client#seq goes with a key-value command (put, append, get, cas); for another command write the JSON with its client and seq, got ${head}`);
    }
  } else throw new ScriptError(line, `expected one command (x=1, x+=a, put x 1, append x a, get x, cas x old new, JSON or a word), got ${JSON.stringify(ws.join(' '))}`);
  return command;
}

/** A client command in the notation readClientCommand reads. */
export function formatClientCommand(c: unknown): string {
  if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
    const o = c as Record<string, unknown>;
    const keys = Object.keys(o).sort().join(',');
    const session = typeof o.client === 'string' && typeof o.seq === 'number' ? `${formatOp(o.client, o.seq)} ` : '';
    const withSession = (ks: string) => keys === ks || keys === [...ks.split(','), 'client', 'seq'].sort().join(',');
    const str = (x: unknown) => typeof x === 'string';
    if (o.op === 'put' && withSession('key,op,value') && str(o.key) && str(o.value)) {
      const key = o.key as string;
      return /^[^"=+\s{[][^=+\s]*$/.test(key) && key !== '' ? `${session}${key}=${word(o.value as string)}` : `${session}put ${word(key)} ${word(o.value as string)}`;
    }
    if (o.op === 'append' && withSession('key,op,value') && str(o.key) && str(o.value)) return `${session}append ${word(o.key as string)} ${word(o.value as string)}`;
    if (o.op === 'get' && withSession('key,op') && str(o.key)) return `${session}get ${word(o.key as string)}`;
    if (o.op === 'cas' && withSession('expected,key,op,value') && str(o.key) && str(o.value) && (o.expected === null || str(o.expected))) {
      return `${session}cas ${word(o.key as string)} ${o.expected === null ? 'null' : word(o.expected as string)} ${word(o.value as string)}`;
    }
  }
  const text = formatCommand(c);
  // A word that would read as a key-value shorthand is written as JSON.
  return /=/.test(text) && !text.startsWith('"') && !text.startsWith('{') && !text.startsWith('[') ? JSON.stringify(c) : text;
}

/** `redirect s2 c1#1 s1`, `result s1 c1#1 3 null [duplicate]`, `read s1 c2#1 x 2 "1"`. */
export function readReply(text: string, line: number): ClientReply {
  // Any reply as its JSON (a kind this notation does not name).
  if (text.trim().startsWith('{')) return parseJson(text.trim(), line, 'a reply') as ClientReply;
  const ws = tokenize(text, line).map((t) => t.text);
  const node = () => readWord(ws[1] ?? '', line, 'a server');
  const op = readOp(ws[2] ?? '', line);
  const session = { client: op?.client ?? null, seq: op?.seq ?? null };
  switch (ws[0]) {
    case 'redirect':
      if (ws.length !== 4) break;
      return { type: 'redirect', node: node(), ...session, leader: ws[3] === 'none' || ws[3] === 'null' ? null : readWord(ws[3] as string, line, 'a leader') };
    case 'result':
      if (ws.length !== 5 && !(ws.length === 6 && ws[5] === 'duplicate')) break;
      return { type: 'result', node: node(), ...session, index: int(ws[3] as string, line, 'an index'), result: parseJson(ws[4] as string, line, 'a result'), duplicate: ws[5] === 'duplicate' };
    case 'read': {
      if (ws.length !== 6) break;
      const result = parseJson(ws[5] as string, line, 'a result');
      return { type: 'read', node: node(), ...session, key: readWord(ws[3] as string, line, 'a key'), index: int(ws[4] as string, line, 'an index'), result: result as string | null };
    }
    case 'sync':
      if (ws.length !== 4) break;
      return { type: 'sync', node: node(), ...session, index: int(ws[3] as string, line, 'an index') } as ClientReply;
  }
  throw new ScriptError(line, `expected a reply: redirect <node> <client#seq|-> <leader|none>, result <node> <client#seq|-> <index> <JSON> [duplicate], read <node> <client#seq|-> <key> <index> <JSON>, or sync <node> <client#seq> <index>; got ${JSON.stringify(text)}`);
}

export function formatReply(r: ClientReply): string {
  const op = formatOp(r.client, r.seq);
  switch (r.type) {
    case 'redirect':
      return `redirect ${word(r.node)} ${op} ${r.leader === null ? 'none' : word(r.leader)}`;
    case 'result':
      return `result ${word(r.node)} ${op} ${r.index} ${canonicalJson(r.result)}${r.duplicate ? ' duplicate' : ''}`;
    case 'read':
      if (Object.keys(r).length === 7) return `read ${word(r.node)} ${op} ${word(r.key)} ${r.index} ${canonicalJson(r.result)}`;
      break;
    case 'sync':
      if (Object.keys(r).length === 5) return `sync ${word(r.node)} ${op} ${r.index}`;
      break;
  }
  // A reply this notation does not name, or with fields it does not know: its JSON.
  return canonicalJson(r);
}

// ---------------------------------------------------------------------------------------------
// Messages, by name

/** The short names of the message types, as messageKey writes them. */
export const TYPE_OF_ABBREVIATION: Readonly<Record<string, MessageType>> = {
  RV: 'RequestVote', RVR: 'RequestVoteResponse', AE: 'AppendEntries', AER: 'AppendEntriesResponse', IS: 'InstallSnapshot', ISR: 'InstallSnapshotResponse',
  PV: 'PreVote', PVR: 'PreVoteResponse', TN: 'TimeoutNow', CP: 'ClientProposal', FR: 'ForwardedRead',
};
const TYPES = new Set<string>(Object.values(TYPE_OF_ABBREVIATION));

/** A message type by its name (`AppendEntries`) or its short name (`AE`); null if it is neither. */
export function messageTypeOf(w: string): MessageType | null {
  return TYPE_OF_ABBREVIATION[w] ?? (TYPES.has(w) ? w as MessageType : null);
}

/**
 * A message from its name (messageKey: `RV s1>s2 t1 c=s1 li0 lt0`,
 * `AE s1>s2 t1 l=s1 pi0 pt0 c0 [[1,"x"]]`, `AER s2>s1 t1 ok mi1 pi0`, ...) or from its JSON.
 */
export function readMessage(text: string, line: number): Message {
  const t = text.trim();
  if (t.startsWith('{')) return parseJson(t, line, 'a message') as Message;
  const ws = tokenize(t, line).map((x) => x.text);
  const bad = (why: string): never => { throw new ScriptError(line, `expected a message by its name (such as RV s1>s2 t1 c=s1 li0 lt0; docs/trace-scripts.md), ${why}: ${JSON.stringify(t)}`); };
  const type = TYPE_OF_ABBREVIATION[ws[0] ?? ''] ?? bad('an unknown message type');
  const route = /^([^>]+)>([^>]+)$/.exec(ws[1] ?? '') ?? bad('expected from>to');
  const from = route[1] as string;
  const to = route[2] as string;
  const termWord = /^t(\d+)$/.exec(ws[2] ?? '') ?? bad('expected t<term>');
  const head = { type, from, to, term: Number(termWord[1]) };
  let k = 3;
  const take = (prefix: string, what: string): number => {
    const m = new RegExp(`^${prefix}(\\d+)$`).exec(ws[k] ?? '');
    if (!m) return bad(`expected ${prefix}<${what}> at ${JSON.stringify(ws[k] ?? 'the end')}`);
    k++;
    return Number(m[1]);
  };
  const optional = (prefix: string): number | undefined => {
    const m = new RegExp(`^${prefix}(\\d+)$`).exec(ws[k] ?? '');
    if (!m) return undefined;
    k++;
    return Number(m[1]);
  };
  const optionalDash = (prefix: string): number | undefined | 'absent' => {
    const w = ws[k] ?? '';
    if (w === `${prefix}-`) { k++; return undefined; }
    const m = new RegExp(`^${prefix}(\\d+)$`).exec(w);
    if (!m) return 'absent';
    k++;
    return Number(m[1]);
  };
  const named = (prefix: string): string => {
    const w = ws[k] ?? '';
    if (!w.startsWith(prefix)) return bad(`expected ${prefix}<server> at ${JSON.stringify(w || 'the end')}`);
    k++;
    return w.slice(prefix.length);
  };
  const flag = (f: string): boolean => {
    if (ws[k] !== f) return false;
    k++;
    return true;
  };
  const verdict = (): boolean => {
    const w = ws[k++];
    if (w === 'granted' || w === 'ok') return true;
    if (w === 'refused' || w === 'fail') return false;
    return bad(`expected granted/refused or ok/fail at ${JSON.stringify(w ?? 'the end')}`);
  };
  let m: Message;
  switch (type) {
    case 'RequestVote':
    case 'PreVote': {
      const candidateId = named('c=');
      const lastLogIndex = take('li', 'index');
      const lastLogTerm = take('lt', 'term');
      const transfer = type === 'RequestVote' && flag('transfer');
      m = { ...head, type, candidateId, lastLogIndex, lastLogTerm, ...(transfer ? { transfer: true as const } : {}) } as Message;
      break;
    }
    case 'RequestVoteResponse':
    case 'PreVoteResponse':
      m = { ...head, type, voteGranted: verdict() } as Message;
      break;
    case 'TimeoutNow':
      m = { ...head, type };
      break;
    case 'ClientProposal':
      m = { ...head, type, command: parseJson(ws[k++] ?? '', line, 'a command') };
      break;
    case 'ForwardedRead': {
      const op = /^("(?:[^"\\]|\\.)*")#(\d+)$/.exec(ws[k++] ?? '') ?? bad('expected "client"#seq');
      const client = parseJson(op[1] as string, line, 'a client') as string;
      m = { ...head, type, client, seq: Number(op[2]), key: parseJson(ws[k++] ?? '', line, 'a key') as string };
      break;
    }
    case 'AppendEntries': {
      const leaderId = named('l=');
      const prevLogIndex = take('pi', 'index');
      const prevLogTerm = take('pt', 'term');
      const leaderCommit = take('c', 'index');
      const readRound = optional('r');
      const raw = parseJson(ws[k++] ?? '', line, 'the entries') as unknown;
      if (!Array.isArray(raw)) return bad('expected the entries as [[term,command],...]');
      const entries: Entry[] = raw.map((x: unknown) => {
        if (!Array.isArray(x) || x.length < 2 || x.length > 3 || typeof x[0] !== 'number') return bad('expected each entry as [term,command] or [term,null,config]');
        return x.length === 3 ? { term: x[0], command: x[1], config: orderedConfig(x[2] as Configuration) } : { term: x[0], command: x[1] };
      });
      m = { ...head, type, leaderId, prevLogIndex, prevLogTerm, entries, leaderCommit, ...(readRound !== undefined ? { readRound } : {}) };
      break;
    }
    case 'AppendEntriesResponse': {
      const success = verdict();
      const matchIndex = take('mi', 'index');
      const prevLogIndex = take('pi', 'index');
      const ct = optionalDash('ct');
      const ci = ct === 'absent' ? 'absent' : optionalDash('ci');
      const rh = optionalDash('rh');
      const lt = rh === 'absent' ? 'absent' : optionalDash('lt');
      const readRound = optional('r');
      const lastApplied = optional('la');
      m = {
        ...head, type, success, matchIndex, prevLogIndex,
        ...(ct !== 'absent' && ct !== undefined ? { conflictTerm: ct } : {}), ...(ci !== 'absent' && ci !== undefined ? { conflictIndex: ci } : {}),
        ...(rh !== 'absent' && rh !== undefined ? { rejectHint: rh } : {}), ...(lt !== 'absent' && lt !== undefined ? { logTerm: lt } : {}),
        ...(readRound !== undefined ? { readRound } : {}), ...(lastApplied !== undefined ? { lastApplied } : {}),
      };
      break;
    }
    case 'InstallSnapshot': {
      const leaderId = named('l=');
      const lastIncludedIndex = take('li', 'index');
      const lastIncludedTerm = take('lt', 'term');
      const offset = take('o', 'offset');
      const done = flag('done');
      let lastConfig: Configuration | undefined;
      if ((ws[k] ?? '').startsWith('cfg{')) lastConfig = orderedConfig(parseJson((ws[k++] as string).slice(3), line, 'a configuration') as Configuration);
      const data = parseJson(ws[k++] ?? '', line, 'the data') as string;
      m = { ...head, type, leaderId, lastIncludedIndex, lastIncludedTerm, offset, data, done, ...(lastConfig ? { lastConfig } : {}) };
      break;
    }
    case 'InstallSnapshotResponse': {
      const lastIncludedIndex = take('li', 'index');
      const offset = take('o', 'offset');
      m = { ...head, type, lastIncludedIndex, offset, done: flag('done') };
      break;
    }
  }
  if (k !== ws.length) bad(`unexpected ${JSON.stringify(ws[k])}`);
  return m;
}

/** A configuration's fields in the order the format lists them (voters, learners, oldVoters). */
function orderedConfig(c: Configuration): Configuration {
  if (c === null || typeof c !== 'object') return c;
  return { voters: c.voters, ...(c.learners ? { learners: c.learners } : {}), ...(c.oldVoters ? { oldVoters: c.oldVoters } : {}) };
}
