// The edge cases of `raftspec` (issue "Reliable at the edges"): inputs and faults at the edges of
// every command, each with the one answer it must give. This table is the contract: test/edge-cases.test.ts
// runs every row that fits in a unit test (spawning the CLI, one temp folder per row), and
// docs/edge-cases.md is generated from it (`npx tsx scripts/edge-cases-doc.ts`; the test fails when
// the doc is out of date). Rows marked `bench` need a run too large for a unit test.
//
// What every row that runs must show, besides its own answer: the exit code of the row, no stack
// trace (no line starting with "    at "), no "internal error", no V8 message (heap out of memory,
// Maximum call stack size exceeded, ERR_...), and an answer within the row's time bound (a hang is
// a failure). A per-file answer is one line `TAG <file>: <JSON pointer>: <what>` (BAD lines have no
// continuation lines); a usage or output-path answer is one line `raftspec: <what>` on stderr
// naming the flag or the path.
import { mkdirSync, readFileSync, writeFileSync, symlinkSync, existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The largest whole number a trace may hold (spec/schema.ts MAX_INT): 2^31-1. */
export const MAX_INT = 2147483647;

export type Command = 'validate' | 'check' | 'diff' | 'gen' | 'record' | 'campaign' | 'start' | 'compile' | 'report' | 'drive' | '(none)';

/** What a row's setup hands the runner. */
export interface Setup {
  /** The arguments after `raftspec`. */
  readonly args: readonly string[];
  /** What the one answer line must name: a file (as given), a flag, or a path. */
  readonly target: string;
}

export interface Ctx {
  /** The row's own temp folder, the CLI's working directory. */
  readonly dir: string;
  /** Writes a file under `dir` (a string, bytes, or a value written as JSON); returns its name relative to `dir`. */
  write(name: string, data: string | Buffer | object): string;
  /** A folder under `dir`; returns its name. */
  mkdir(name: string): string;
  /** `path` under `dir`. */
  abs(name: string): string;
}

/** The tag of the answer line. */
export type Tag = 'BAD' | 'FAIL' | 'PASS' | 'SAME' | 'DIVERGE' | 'raftspec' | 'wrote' | 'recorded' | 'campaign-fail' | 'ADAPTER FAULT' | 'none';

export interface Expect {
  /** The exit code; `'killed'` for a run the row kills on purpose. */
  readonly exit: number | 'killed';
  readonly tag: Tag;
  /** For per-file lines: the JSON pointer right after `<file>: ` (a string: exactly; a RegExp: matched against it). */
  readonly pointer?: string | RegExp;
  /** The answer line must match this. */
  readonly says?: RegExp;
  /** The answer line (or, for tag none, the whole output) must not match this. */
  readonly saysNot?: RegExp;
  /** The exact summary line of check/validate/diff, when the row fixes it. */
  readonly summary?: string | RegExp;
  /** Other per-file lines that must be there (e.g. the other files of a folder still PASS). */
  readonly others?: ReadonlyArray<{ tag: Tag; target: string }>;
  /** Checks of the files left behind; returns what is wrong, or undefined. */
  readonly after?: (ctx: Ctx, out: { stdout: string; stderr: string }) => string | undefined;
}

export interface EdgeCase {
  readonly id: string;
  readonly group: string;
  readonly command: Command;
  /** The input or fault, in words (the table's third column). */
  readonly input: string;
  /** The expected answer, in words (the table's fourth column). */
  readonly answer: string;
  readonly expect: Expect;
  /** Not in the unit test: the command that runs it (`npm run bench:large`), and why. */
  readonly bench?: string;
  /** Which build of the CLI: the real one, or one whose impl/ has a bug planted (so that a campaign fails). */
  readonly cli?: 'real' | 'mutant';
  /** Runs the CLI as an unprivileged user when the tests run as root (file permissions do not bind root). */
  readonly unprivileged?: boolean;
  /** Time bound in ms (default 15 s). */
  readonly timeoutMs?: number;
  /** Kill the run with this signal after `afterMs` (an interrupted write). */
  readonly kill?: { readonly signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT'; readonly afterMs: number };
  /** Close the reader of stdout after the first bytes (`raftspec ... | head -c 1`). */
  readonly closeStdout?: boolean;
  /** Runs the CLI twice in the same folder (the first run's args), then the row's own. */
  readonly before?: (ctx: Ctx) => readonly string[];
  readonly setup: (ctx: Ctx) => Setup;
}

// -----------------------------------------------------------------------------------------------
// Inputs

const paper = (name: string): string => readFileSync(join(ROOT, 'traces', 'paper', name), 'utf8');
/** A real fixture, 12 KB, 19 steps, passes both commands. */
export const ELECTION = (): string => paper('election-3-nodes.json');
export const ELECTION_JSON = (): Record<string, unknown> => JSON.parse(ELECTION()) as Record<string, unknown>;

const ev = (type: string, node = 's1'): { event: Record<string, unknown> } => ({ event: { type, node } });
/** A minimal valid trace: 3 servers, one election timeout. */
export const t3 = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], steps: [ev('electionTimeout')], ...over });
/** JSON text with `"@N@"` placeholders replaced by raw text (numbers JSON can write but JavaScript cannot hold). */
const raw = (doc: unknown, ...literals: string[]): string => literals.reduce((s, lit, k) => s.replace(`"@${k}@"`, lit), JSON.stringify(doc));
const nest = (n: number, open = '[', close = ']', inner = ''): string => open.repeat(n) + inner + close.repeat(n);
const deepObject = (n: number): string => nest(n, '{"a":', '}', '1');
const rv = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'RequestVote', from: 's1', to: 's2', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0, ...o });
const ae = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'AppendEntries', from: 's1', to: 's2', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, ...o });
const aer = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 1, success: true, matchIndex: 0, prevLogIndex: 0, ...o });
const inject = (message: Record<string, unknown>): Record<string, unknown> => t3({ steps: [{ event: { type: 'inject', message } }] });

// -----------------------------------------------------------------------------------------------
// Row builders

const STACKLESS = /Maximum call stack|heap out of memory|ERR_[A-Z_]{3,}|\bat line\b.*\bat line\b/;

type Base = { id: string; group: string; command: Command; input: string };

/** A file given to validate/check/diff that is bad input at `pointer`. */
function badFile(b: Base & { data: string | Buffer | object; pointer: string | RegExp; says: RegExp; saysNot?: RegExp; answer: string; name?: string; flags?: string[]; timeoutMs?: number }): EdgeCase {
  return {
    ...b,
    answer: `exit 2; \`BAD  <file>: ${typeof b.pointer === 'string' ? b.pointer : b.pointer.source.replace(/\\\//g, '/').replace(/^\^|\$$/g, '')}: ...\` (one line): ${b.answer}`,
    ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
    expect: { exit: 2, tag: 'BAD', pointer: b.pointer, says: b.says, saysNot: b.saysNot ?? STACKLESS, summary: b.command === 'diff' ? /^1 trace with .*: 0 behave the same, 0 differ, 1 bad input$/m : '1 trace: 0 passed, 0 failed, 1 bad input' },
    setup: (c) => {
      const f = c.write(b.name ?? 't.json', b.data);
      return { args: [b.command, ...(b.flags ?? []), f], target: f };
    },
  };
}

/** A file that must give `tag` (PASS, FAIL, DIVERGE, SAME) with exit `exit`. */
function fileVerdict(b: Base & { data: string | Buffer | object; exit: number; tag: Tag; says?: RegExp; answer: string; pointer?: string | RegExp; flags?: string[]; timeoutMs?: number; name?: string }): EdgeCase {
  return {
    ...b,
    answer: `exit ${b.exit}; \`${b.tag} <file>...\`: ${b.answer}`,
    ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
    expect: { exit: b.exit, tag: b.tag, ...(b.pointer ? { pointer: b.pointer } : {}), ...(b.says ? { says: b.says } : {}), saysNot: STACKLESS },
    setup: (c) => {
      const f = c.write(b.name ?? 't.json', b.data);
      return { args: [b.command, ...(b.flags ?? []), f], target: f };
    },
  };
}

/** A usage error: exit 2, stderr's first line `raftspec: ...` naming `target`. */
function usage(b: Base & { args: string[]; target: string; says: RegExp; saysNot?: RegExp; answer: string }): EdgeCase {
  return {
    ...b,
    answer: `exit 2; \`raftspec: ...\` on stderr naming \`${b.target}\`: ${b.answer}`,
    expect: { exit: 2, tag: 'raftspec', says: b.says, saysNot: b.saysNot ?? STACKLESS },
    setup: () => ({ args: b.args, target: b.target }),
  };
}

/** A trace with a pointer problem, for validate and check both. */
function bothBad(id: string, group: string, input: string, data: string | Buffer | object, pointer: string | RegExp, says: RegExp, answer: string, saysNot?: RegExp): EdgeCase[] {
  return [
    badFile({ id: `${id}v`, group, command: 'validate', input, data, pointer, says, answer, ...(saysNot ? { saysNot } : {}) }),
    badFile({ id: `${id}c`, group, command: 'check', input, data, pointer, says, answer, ...(saysNot ? { saysNot } : {}) }),
  ];
}

/** The same, for one command. */
function oneBad(id: string, command: Command, group: string, input: string, data: string | Buffer | object, pointer: string | RegExp, says: RegExp, answer: string): EdgeCase {
  return badFile({ id, group, command, input, data, pointer, says, answer });
}

const noTmpLeft = (folder: string) => (c: Ctx): string | undefined => {
  const d = c.abs(folder);
  if (!existsSync(d)) return undefined;
  const tmps = readdirSync(d).filter((n) => n.endsWith('.tmp'));
  return tmps.length > 0 ? `stray temp files left in ${folder}: ${tmps.join(', ')}` : undefined;
};

const unchanged = (file: string, text: string) => (c: Ctx): string | undefined => {
  const p = c.abs(file);
  if (!existsSync(p)) return `${file} is gone`;
  const now = readFileSync(p, 'utf8');
  return now === text ? undefined : `${file} was changed (${now.length} bytes, was ${text.length})`;
};

const JSON_WHERE = /expected JSON.*line \d+, column \d+/;

// -----------------------------------------------------------------------------------------------
// The rows

const CASES: EdgeCase[] = [];
const add = (...c: EdgeCase[]) => CASES.push(...c);

// --- Malformed JSON ------------------------------------------------------------------------------
const G_JSON = 'malformed JSON';
add(
  badFile({ id: 'J01', group: G_JSON, command: 'validate', input: 'an empty file (0 bytes)', data: '', pointer: '/', says: /expected JSON.*(empty|no JSON|end of)/i, answer: 'expected JSON, the file is empty' }),
  badFile({ id: 'J02', group: G_JSON, command: 'validate', input: 'a real trace cut in the middle (half its bytes)', data: ELECTION().slice(0, 6000), pointer: '/', says: JSON_WHERE, answer: 'expected JSON, with the line and column where the text ends' }),
  badFile({ id: 'J03', group: G_JSON, command: 'check', input: 'a trailing comma in an object', data: '{"format": "raft-trace", "version": 1,\n "cluster": ["s1"], "steps": [],\n}', pointer: '/', says: /expected JSON.*line 3, column 1/, answer: 'expected JSON at line 3, column 1' }),
  badFile({ id: 'J04', group: G_JSON, command: 'validate', input: 'a // comment before the object', data: `// recorded by x\n${JSON.stringify(t3())}`, pointer: '/', says: /expected JSON.*line 1, column 1/, answer: 'expected JSON at line 1, column 1' }),
  badFile({ id: 'J05', group: G_JSON, command: 'check', input: 'a NaN literal as a term', data: raw(t3({ initial: { s1: { currentTerm: '@0@' } } }), 'NaN'), pointer: '/', says: JSON_WHERE, answer: 'expected JSON, with line and column of NaN' }),
  badFile({ id: 'J06', group: G_JSON, command: 'check', input: 'two JSON documents one after the other', data: `${JSON.stringify(t3())}\n${JSON.stringify(t3())}\n`, pointer: '/', says: /expected JSON.*line 2, column 1/, answer: 'expected JSON (one document), at line 2, column 1' }),
  fileVerdict({ id: 'J07', group: G_JSON, command: 'validate', input: 'a UTF-8 byte order mark (BOM) before a valid trace', data: `\ufeff${ELECTION()}`, exit: 0, tag: 'PASS', says: /\(19 steps\)/, answer: 'the BOM is skipped (RFC 8259 permits it): passes (19 steps); never an error showing an invisible character' }),
  badFile({ id: 'J08', group: G_JSON, command: 'check', input: 'the trace encoded as UTF-16 LE (with BOM)', data: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(t3()), 'utf16le')]), pointer: '/', says: /UTF-?8|UTF-?16|expected JSON/i, saysNot: /[\u0000-\u0008\ufffd\ufeff]/, answer: 'expected JSON in UTF-8; no control or replacement characters in the line' }),
  badFile({ id: 'J09', group: G_JSON, command: 'validate', input: '1 KB of random bytes (fixed, with NULs)', data: Buffer.from(Array.from({ length: 1024 }, (_, k) => (k * 7919 + 13) % 256)), pointer: '/', says: /expected UTF-8 text, got a NUL byte at byte \d+/, saysNot: /[\u0000-\u0008\u000b-\u001f\ufffd]/, answer: 'expected UTF-8 text, got a NUL byte at byte N; the line holds no raw control bytes' }),
  badFile({ id: 'J10', group: G_JSON, command: 'check', input: 'the top level is an array `[]`', data: '[]', pointer: '/', says: /expected (an )?object/i, answer: 'expected an object (a raft-trace), got an array' }),
  badFile({ id: 'J11', group: G_JSON, command: 'validate', input: 'the top level is `null`', data: 'null', pointer: '/', says: /expected (an )?object/i, answer: 'expected an object, got null' }),
  badFile({ id: 'J12', group: G_JSON, command: 'validate', input: 'arrays nested 6000 deep at the top level', data: nest(6000), pointer: /^\/(0(\/0)*)?$/, says: /nest|deep|depth/i, answer: 'nested deeper than the limit (names the limit); not "Maximum call stack size exceeded"' }),
  badFile({ id: 'J13', group: G_JSON, command: 'validate', input: 'a step note of arrays nested 6000 deep', data: raw(t3({ steps: [{ event: { type: 'electionTimeout', node: 's1' }, note: '@0@' }] }), nest(6000)), pointer: /^\/(steps\/0\/note[/\d]*)?$/, says: /nest|deep|depth/i, answer: 'nested deeper than the limit, at /steps/0/note (or /)' }),
  badFile({ id: 'J14', group: G_JSON, command: 'check', input: 'a clientRequest command of objects nested 6000 deep', data: raw(t3({ steps: [ev('electionTimeout'), { event: { type: 'clientRequest', node: 's1', command: '@0@' } }] }), deepObject(6000)), pointer: /^\/(steps\/1\/event\/command[/a]*)?$/, says: /nest|deep|depth/i, answer: 'nested deeper than the limit, at /steps/1/event/command (or /)' }),
  badFile({ id: 'J15', group: G_JSON, command: 'validate', input: 'arrays nested 200000 deep (2 bytes a level)', data: nest(200000), pointer: /^\/(0(\/0)*)?$/, says: /nest|deep|depth/i, answer: 'nested deeper than the limit' }),
  {
    id: 'J16', group: G_JSON, command: 'validate', input: 'a folder: one file nested 6000 deep between two valid traces',
    answer: 'exit 2; `BAD  <dir>/b.json: ...: nested deeper ...` and both other files still `PASS`; summary `3 traces: 2 passed, 0 failed, 1 bad input`',
    expect: { exit: 2, tag: 'BAD', says: /nest|deep|depth/i, saysNot: STACKLESS, summary: '3 traces: 2 passed, 0 failed, 1 bad input', others: [{ tag: 'PASS', target: 'd/a.json' }, { tag: 'PASS', target: 'd/c.json' }] },
    setup: (c) => { c.mkdir('d'); c.write('d/a.json', t3()); c.write('d/b.json', raw(t3({ note: '@0@' }), nest(6000))); c.write('d/c.json', t3()); return { args: ['validate', 'd'], target: 'd/b.json' }; },
  },
  badFile({ id: 'J17', group: G_JSON, command: 'check', input: 'a key written twice (`"version": 1, ..., "version": 2`)', data: '{"format": "raft-trace", "version": 1, "cluster": ["s1"], "steps": [], "version": 2}', pointer: /^\/(version)?$/, says: /duplicate|twice|more than once|version/i, answer: 'the duplicate key `version` is named (JSON.parse would keep the last silently)' }),
  {
    id: 'J18', group: G_JSON, command: 'validate', input: 'a 600 MB file (a note of 600 MB)',
    answer: 'exit 2; `BAD  <file>: /: ...` naming the size and the limit (not a bare ERR_STRING_TOO_LONG, not out of memory)',
    bench: 'npm run bench:large (writes a 600 MB file)',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /too large|larger than|MB|limit/i, saysNot: STACKLESS },
    setup: (c) => { const f = c.abs('big.json'); writeFileSync(f, `{"format":"raft-trace","version":1,"cluster":["s1"],"steps":[],"description":"${'x'.repeat(600 * 1024 * 1024)}"}`); return { args: ['validate', 'big.json'], target: 'big.json' }; },
  },
);

// --- Schema breaks -------------------------------------------------------------------------------
const G_SCHEMA = 'schema breaks';
const without = (k: string) => { const t = t3(); delete t[k]; return t; };
add(
  badFile({ id: 'S01', group: G_SCHEMA, command: 'validate', input: 'no `format`', data: without('format'), pointer: '/', says: /missing required field "format"/, answer: 'missing required field "format"' }),
  badFile({ id: 'S02', group: G_SCHEMA, command: 'validate', input: '`version` 2', data: t3({ version: 2 }), pointer: '/version', says: /1/, answer: 'expected 1' }),
  badFile({ id: 'S03', group: G_SCHEMA, command: 'check', input: '`cluster` []', data: t3({ cluster: [], steps: [] }), pointer: '/cluster', says: /at least 1/, answer: 'expected at least 1 item' }),
  badFile({ id: 'S04', group: G_SCHEMA, command: 'validate', input: '`cluster` ["s1", "s1"]', data: t3({ cluster: ['s1', 's1'] }), pointer: /^\/cluster(\/1)?$/, says: /duplicate/, answer: 'expected no duplicates' }),
  badFile({ id: 'S05', group: G_SCHEMA, command: 'check', input: 'a server ID with a space ("s 1")', data: t3({ cluster: ['s 1', 's2'], steps: [] }), pointer: '/cluster/0', says: /A-Z|pattern|character/i, answer: 'expected 1 to 64 characters from A-Z a-z 0-9 _ . : -' }),
  badFile({ id: 'S06', group: G_SCHEMA, command: 'validate', input: 'a step that is `null`', data: t3({ steps: [null] }), pointer: '/steps/0', says: /object/, answer: 'expected object, got null' }),
  badFile({ id: 'S07', group: G_SCHEMA, command: 'validate', input: 'an unknown event type "elect"', data: t3({ steps: [ev('elect')] }), pointer: '/steps/0/event/type', says: /unknown kind "elect".*electionTimeout/, answer: 'unknown kind "elect"; the eighteen event types listed' }),
  badFile({ id: 'S08', group: G_SCHEMA, command: 'validate', input: 'an event `node` 1 (a number)', data: t3({ steps: [{ event: { type: 'electionTimeout', node: 1 } }] }), pointer: '/steps/0/event/node', says: /string/, answer: 'expected string, got 1' }),
  badFile({ id: 'S09', group: G_SCHEMA, command: 'validate', input: 'an unknown top-level field "foo"', data: t3({ foo: 1 }), pointer: '/foo', says: /unknown field/, answer: 'no such field here (unknown field)' }),
  fileVerdict({ id: 'S10', group: G_SCHEMA, command: 'check', input: 'user metadata `x-recorder` at the top, in a step and in an event', data: t3({ 'x-recorder': { v: 1 }, steps: [{ event: { type: 'electionTimeout', node: 's1', 'x-t': 5 }, 'x-thread': 3 }] }), exit: 0, tag: 'PASS', answer: 'x- fields are ignored: passes' }),
  badFile({ id: 'S11', group: G_SCHEMA, command: 'validate', input: 'an unknown field "color" in expect.nodes.s1', data: t3({ steps: [{ ...ev('electionTimeout'), expect: { nodes: { s1: { color: 'red' } } } }] }), pointer: '/steps/0/expect/nodes/s1/color', says: /unknown field/, answer: 'no such field here (unknown field)' }),
  badFile({ id: 'S12', group: G_SCHEMA, command: 'validate', input: '`currentTerm` -1', data: t3({ initial: { s1: { currentTerm: -1 } } }), pointer: '/initial/s1/currentTerm', says: />= 0/, answer: 'expected a number >= 0, got -1' }),
  badFile({ id: 'S13', group: G_SCHEMA, command: 'check', input: '`currentTerm` 1.5', data: t3({ initial: { s1: { currentTerm: 1.5 } } }), pointer: '/initial/s1/currentTerm', says: /integer|whole/, answer: 'expected an integer, got 1.5' }),
  badFile({ id: 'S14', group: G_SCHEMA, command: 'check', input: '`profile` with an unknown choice point DEC-99', data: t3({ profile: { 'DEC-99': 'DEC-99a' } }), pointer: '/profile/DEC-99', says: /choice point/, answer: 'a choice point of docs/choices.md (the list), got "DEC-99"' }),
  badFile({ id: 'S15', group: G_SCHEMA, command: 'validate', input: 'a partition with s1 in two groups', data: t3({ steps: [{ event: { type: 'partition', groups: [['s1'], ['s1', 's2']] } }] }), pointer: '/steps/0/event/groups/1/0', says: /two groups/, answer: 'node s1 is in two groups' }),
  badFile({ id: 'S16', group: G_SCHEMA, command: 'check', input: 'an event on unknown node "s9"', data: t3({ steps: [ev('electionTimeout', 's9')] }), pointer: '/steps/0/event/node', says: /unknown node "s9".*s1, s2, s3/, answer: 'unknown node "s9"; expected a node of the cluster (s1, s2, s3)' }),
);

// --- Impossible messages and events --------------------------------------------------------------
const G_MSG = 'impossible messages and events';
add(
  oneBad('M01', 'check', G_MSG, 'inject a RequestVote of term 0', inject(rv({ term: 0 })), '/steps/0/event/message/term', />= 1/, 'expected a term >= 1'),
  badFile({ id: 'M02', group: G_MSG, command: 'validate', input: 'a RequestVote whose candidateId is not its sender', data: inject(rv({ candidateId: 's3' })), pointer: '/steps/0/event/message/candidateId', says: /sender/, answer: 'expected the sender "s1", got "s3"' }),
  badFile({ id: 'M03', group: G_MSG, command: 'validate', input: 'a message from s1 to s1', data: inject(rv({ to: 's1' })), pointer: '/steps/0/event/message/to', says: /itself/, answer: 'a message from s1 to itself' }),
  badFile({ id: 'M04', group: G_MSG, command: 'check', input: 'AppendEntries with prevLogIndex 0 and prevLogTerm 1', data: inject(ae({ prevLogTerm: 1 })), pointer: '/steps/0/event/message/prevLogTerm', says: /exactly when prevLogIndex is 0/, answer: 'expected 0 exactly when prevLogIndex is 0' }),
  badFile({ id: 'M05', group: G_MSG, command: 'validate', input: 'AppendEntries with an entry of a later term than the leader\'s', data: inject(ae({ entries: [{ term: 5, command: 'x' }] })), pointer: '/steps/0/event/message/entries/0/term', says: /leader's term/, answer: 'expected a term from 0 to the leader\'s term 1' }),
  badFile({ id: 'M06', group: G_MSG, command: 'check', input: 'a successful AppendEntriesResponse below the index it answers', data: inject(aer({ prevLogIndex: 3, matchIndex: 1 })), pointer: '/steps/0/event/message/matchIndex', says: /at least prevLogIndex/, answer: 'expected at least prevLogIndex 3 on success' }),
  badFile({ id: 'M07', group: G_MSG, command: 'check', input: 'deliver a RequestVote that is not in flight', data: t3({ steps: [{ event: { type: 'deliver', message: rv() } }] }), pointer: '/steps/0/event/message', says: /not in flight/, answer: 'an event possible in this state: message is not in flight' }),
  fileVerdict({ id: 'M08', group: G_MSG, command: 'validate', input: 'deliver a RequestVote that is not in flight', data: t3({ steps: [{ event: { type: 'deliver', message: rv() } }] }), exit: 1, tag: 'FAIL', says: /step 0 .*no permitted behaviour sent/, answer: 'step 0: deliver of a message no permitted behaviour sent' }),
  oneBad('M09', 'check', G_MSG, 'crash s1 twice', t3({ steps: [ev('crash'), ev('crash')] }), '/steps/1/event', /already crashed/, 'an event possible in this state: node s1 is already crashed'),
  fileVerdict({ id: 'M10', group: G_MSG, command: 'check', input: 'an `error` event (the implementation threw)', data: t3({ steps: [ev('electionTimeout'), { event: { type: 'error', node: 's1', message: 'boom' } }] }), exit: 1, tag: 'FAIL', says: /step 1 .*the implementation failed on s1: boom/, answer: 'step 1: the implementation failed on s1: boom' }),
);

// --- Extreme numbers -----------------------------------------------------------------------------
const G_NUM = 'extreme numbers';
const TOO_BIG = /2147483647|2\^31|at most|too large|larger/i;
const emptyLogCommit = (n: number) => t3({ initial: { s1: { commitIndex: n } } });
add(
  fileVerdict({ id: 'N01', group: G_NUM, command: 'validate', input: 'initial.s1.commitIndex 5 on an empty log (the small case, for comparison)', data: emptyLogCommit(5), exit: 1, tag: 'FAIL', says: /initial state: INV-3/, answer: 'initial state: INV-3 (commitIndex past the last log index)' }),
  ...bothBad('N02', G_NUM, 'initial.s1.commitIndex 2^53−1 on an empty log (a 1 KB trace)', emptyLogCommit(2 ** 53 - 1), '/initial/s1/commitIndex', TOO_BIG, 'expected at most 2147483647 (2^31−1), within the time bound'),
  fileVerdict({ id: 'N03', group: G_NUM, command: 'check', input: 'initial.s1.commitIndex 2^31−1 on an empty log', data: emptyLogCommit(MAX_INT), exit: 1, tag: 'FAIL', says: /initial state: INV-3/, answer: 'initial state: INV-3, within the time bound (no loop as long as the number)', timeoutMs: 10_000 }),
  oneBad('N04', 'validate', G_NUM, 'initial.s1.currentTerm 1e308', raw(t3({ initial: { s1: { currentTerm: '@0@' } } }), '1e308'), '/initial/s1/currentTerm', TOO_BIG, 'expected at most 2147483647 (not an invariant blamed later)'),
  badFile({ id: 'N05', group: G_NUM, command: 'validate', input: 'initial.s1.currentTerm 1e309 (Infinity to JavaScript)', data: raw(t3({ initial: { s1: { currentTerm: '@0@' } } }), '1e309'), pointer: '/initial/s1/currentTerm', says: /2147483647|at most|too large|out of range|finite/i, saysNot: /got null|Maximum call stack/, answer: 'a number out of range (at most 2147483647, or: not finite); never "got null"' }),
  badFile({ id: 'N06', group: G_NUM, command: 'check', input: 'a message term 2^53 in an inject', data: inject(rv({ term: 2 ** 53 })), pointer: '/steps/0/event/message/term', says: TOO_BIG, answer: 'expected at most 2147483647' }),
  oneBad('N07', 'check', G_NUM, 'initial.s1.currentTerm 2^53−1, then three electionTimeouts', t3({ initial: { s1: { currentTerm: 2 ** 53 - 1 } }, steps: [ev('electionTimeout'), ev('electionTimeout'), ev('electionTimeout')] }), '/initial/s1/currentTerm', TOO_BIG, 'expected at most 2147483647 (never passes with a term that stopped growing)'),
  oneBad('N08', 'validate', G_NUM, 'initial.s1.currentTerm 2^31−1, then an electionTimeout (no room for the step\'s election)', t3({ initial: { s1: { currentTerm: MAX_INT } }, steps: [ev('electionTimeout')] }), /^\/(initial\/s1\/currentTerm|steps\/0(\/event)?)$/, /2147483647|2\^31|room|at most|overflow|larger/i, 'the term cannot grow past 2147483647: at the initial term or at the step'),
  badFile({ id: 'N09', group: G_NUM, command: 'validate', input: 'a clientRequest seq 2^53+2 in a put', data: t3({ steps: [ev('electionTimeout'), { event: { type: 'clientRequest', node: 's1', command: { op: 'put', key: 'x', value: '1', client: 'c1', seq: 2 ** 53 + 2 } } }] }), pointer: /^\/steps\/1\/event\/command(\/seq)?$/, says: TOO_BIG, answer: 'seq expected at most 2147483647' }),
  fileVerdict({ id: 'N10', group: G_NUM, command: 'validate', input: '`version` written 1.0 and a term written -0', data: '{"format": "raft-trace", "version": 1.0, "cluster": ["s1", "s2", "s3"], "initial": {"s1": {"currentTerm": -0}}, "steps": [{"event": {"type": "electionTimeout", "node": "s1"}, "expect": {"nodes": {"s1": {"currentTerm": 1}}}}]}', exit: 0, tag: 'PASS', answer: 'the same numbers as 1 and 0: passes' }),
  badFile({ id: 'N11', group: G_NUM, command: 'check', input: '`commitIndex` 1e-7', data: raw(t3({ initial: { s1: { commitIndex: '@0@' } } }), '1e-7'), pointer: '/initial/s1/commitIndex', says: /integer|whole/, answer: 'expected an integer' }),
  usage({ id: 'N12', group: G_NUM, command: 'gen', input: '`gen --seed 4294967296` (2^32, which would alias seed 0)', args: ['gen', '--seed', '4294967296', '--count', '1', '--steps', '5', '--out', 'g'], target: '--seed', says: /4294967295/, answer: '--seed expects a whole number from 0 to 4294967295' }),
  usage({ id: 'N13', group: G_NUM, command: 'record', input: '`record --seed 4294967297`', args: ['record', '--seed', '4294967297', '--steps', '5', '--out', 'r.json'], target: '--seed', says: /4294967295/, answer: '--seed expects a whole number from 0 to 4294967295' }),
  usage({ id: 'N14', group: G_NUM, command: 'campaign', input: '`campaign --seed 9007199254740993` (past 2^53)', args: ['campaign', '--seed', '9007199254740993', '--count', '1', '--steps', '5', '--regressions', 'regs'], target: '--seed', says: /4294967295|whole number/, answer: '--seed expects a whole number from 0 to 4294967295' }),
  usage({ id: 'N15', group: G_NUM, command: 'gen', input: '`--steps 0x10` (hexadecimal)', args: ['gen', '--seed', '1', '--count', '1', '--steps', '0x10', '--out', 'g'], target: '--steps', says: /whole number/, answer: '--steps expects a whole number (decimal digits), got "0x10"' }),
);

// --- Odd keys and names --------------------------------------------------------------------------
const G_KEYS = 'odd keys and names';
const PROTO = t3({ cluster: ['__proto__', 'constructor', 'toString'], steps: [ev('electionTimeout', '__proto__')] });
add(
  ...bothBad('K01', G_KEYS, 'node IDs `__proto__`, `constructor`, `toString`', PROTO, /^\/cluster\/[0-2]$/, /__proto__|constructor|toString|reserved|Object\.prototype/, 'a server ID that is not a name of Object.prototype (no DIVERGE, no crash)'),
  badFile({ id: 'K02', group: G_KEYS, command: 'diff', flags: ['--fast-backtracking'], input: 'node IDs `__proto__`, `constructor`, `toString`', data: PROTO, pointer: /^\/cluster\/[0-2]$/, says: /__proto__|constructor|toString|reserved|Object\.prototype/, answer: 'the same BAD line as check' }),
  badFile({ id: 'K03', group: G_KEYS, command: 'validate', input: 'a server named "x-1" (x-... keys are the user\'s own fields, dropped before checking), with a wrong expectation on it', data: t3({ cluster: ['x-1', 's2', 's3'], steps: [{ event: { type: 'electionTimeout', node: 'x-1' }, expect: { nodes: { 'x-1': { currentTerm: 7 } } } }] }), pointer: '/cluster/0', says: /does not start with x-/, answer: 'a server name that does not start with x- (never a silent pass of the dropped expectation)' }),
  fileVerdict({ id: 'K04', group: G_KEYS, command: 'check', input: 'a command object with keys `__proto__` and `constructor`', data: raw(t3({ steps: [ev('electionTimeout'), { event: { type: 'clientRequest', node: 's1', command: '@0@' } }] }), '{"__proto__": {"x": 1}, "constructor": 2}'), exit: 0, tag: 'PASS', answer: 'free JSON is data: passes' }),
  badFile({ id: 'K05', group: G_KEYS, command: 'validate', input: 'a client named `__proto__` in a put', data: t3({ steps: [ev('electionTimeout'), { event: { type: 'clientRequest', node: 's1', command: { op: 'put', key: 'x', value: '1', client: '__proto__', seq: 1 } } }] }), pointer: /^\/steps\/1\/event\/command/, says: /__proto__|reserved|Object\.prototype|client/, answer: 'a client that is not a name of Object.prototype' }),
);

// --- Odd files and folders -----------------------------------------------------------------------
const G_FILES = 'odd files and folders';
const MISSING = /does not exist|no such file|not found/i;
add(
  {
    id: 'F01', group: G_FILES, command: 'validate', input: 'a file that does not exist',
    answer: 'exit 2; `BAD  nope.json: /: no such file or folder` (not "an existing file or folder")',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: MISSING, saysNot: /an existing file or folder/, summary: '1 trace: 0 passed, 0 failed, 1 bad input' },
    setup: () => ({ args: ['validate', 'nope.json'], target: 'nope.json' }),
  },
  {
    id: 'F02', group: G_FILES, command: 'check', input: 'a folder named x.json given as the argument, empty',
    answer: 'exit 2; `raftspec: no trace files found in x.json`',
    expect: { exit: 2, tag: 'raftspec', says: /no trace files found/ },
    setup: (c) => ({ args: ['check', c.mkdir('x.json')], target: 'x.json' }),
  },
  {
    id: 'F03', group: G_FILES, command: 'validate', input: 'a folder with a symlink loop (d/self → d) and a valid trace',
    answer: 'exit 2; the trace passes; one `BAD  d/self: /: ...` line naming the symbolic link loop (not an ELOOP crash)',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /loop|symbolic|link/i, saysNot: STACKLESS, others: [{ tag: 'PASS', target: 'd/a.json' }] },
    setup: (c) => { c.mkdir('d'); c.write('d/a.json', t3()); symlinkSync('.', c.abs('d/self')); return { args: ['validate', 'd'], target: 'd/self' }; },
  },
  {
    id: 'F04', group: G_FILES, command: 'check', input: 'a symlink loop given directly (loop.json → loop.json)',
    answer: 'exit 2; `BAD  loop.json: /: ...` naming the symbolic link loop',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /loop|symbolic|link/i, saysNot: STACKLESS },
    setup: (c) => { symlinkSync('loop.json', c.abs('loop.json')); return { args: ['check', 'loop.json'], target: 'loop.json' }; },
  },
  {
    id: 'F05', group: G_FILES, command: 'validate', input: 'a broken symlink b.json in a folder next to a valid trace',
    answer: 'exit 2; `BAD  d/b.json: /: ...` naming the broken link (its target does not exist); the trace passes',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /broken|link|does not exist|no such/i, saysNot: /an existing file or folder/, others: [{ tag: 'PASS', target: 'd/a.json' }] },
    setup: (c) => { c.mkdir('d'); c.write('d/a.json', t3()); symlinkSync('nowhere.json', c.abs('d/b.json')); return { args: ['validate', 'd'], target: 'd/b.json' }; },
  },
  {
    id: 'F06', group: G_FILES, command: 'validate', input: 'an unreadable file (mode 000)', unprivileged: true,
    answer: 'exit 2; `BAD  t.json: /: cannot read the file (permission denied)`',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /cannot read|permission|EACCES/i },
    setup: (c) => { const f = c.write('t.json', t3()); execFileSync('chmod', ['000', c.abs(f)]); return { args: ['validate', f], target: f }; },
  },
  {
    id: 'F07', group: G_FILES, command: 'check', input: 'an unreadable folder (mode 000) next to a readable one', unprivileged: true,
    answer: 'exit 2; `BAD  d/locked: /: cannot read the folder (permission denied)`; the readable trace still passes',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /cannot read|permission|EACCES/i, saysNot: STACKLESS, others: [{ tag: 'PASS', target: 'd/a.json' }] },
    setup: (c) => { c.mkdir('d/locked'); c.write('d/a.json', t3()); c.write('d/locked/b.json', t3()); execFileSync('chmod', ['000', c.abs('d/locked')]); return { args: ['check', 'd'], target: 'd/locked' }; },
  },
  {
    id: 'F08', group: G_FILES, command: 'validate', input: 'a FIFO named p.json given directly (no writer)',
    answer: 'exit 2 within the time bound; `BAD  p.json: /: not a regular file` (never waits on the FIFO)', timeoutMs: 8000,
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /regular file|FIFO|pipe/i },
    setup: (c) => { execFileSync('mkfifo', [c.abs('p.json')]); return { args: ['validate', 'p.json'], target: 'p.json' }; },
  },
  {
    id: 'F09', group: G_FILES, command: 'check', input: 'a FIFO named p.json inside a folder with a valid trace',
    answer: 'exit 2 within the time bound; `BAD  d/p.json: /: not a regular file`; the trace passes', timeoutMs: 8000,
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /regular file|FIFO|pipe/i, others: [{ tag: 'PASS', target: 'd/a.json' }] },
    setup: (c) => { c.mkdir('d'); c.write('d/a.json', t3()); execFileSync('mkfifo', [c.abs('d/p.json')]); return { args: ['check', 'd'], target: 'd/p.json' }; },
  },
  {
    id: 'F10', group: G_FILES, command: 'validate', input: 'z.json, a symlink to /dev/zero',
    answer: 'exit 2 within the time bound; `BAD  z.json: /: not a regular file` (never reads without end)', timeoutMs: 8000,
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /regular file|device/i },
    setup: (c) => { symlinkSync('/dev/zero', c.abs('z.json')); return { args: ['validate', 'z.json'], target: 'z.json' }; },
  },
  {
    id: 'F11', group: G_FILES, command: 'validate', input: 'an empty folder',
    answer: 'exit 2; `raftspec: no trace files found in d`',
    expect: { exit: 2, tag: 'raftspec', says: /no trace files found/ },
    setup: (c) => ({ args: ['validate', c.mkdir('d')], target: 'd' }),
  },
  {
    id: 'F12', group: G_FILES, command: 'check', input: 'a folder with only non-JSON files and a stray x.json.123.tmp',
    answer: 'exit 2; `raftspec: no trace files found in d` (a .tmp file is never read as a trace)',
    expect: { exit: 2, tag: 'raftspec', says: /no trace files found/ },
    setup: (c) => { c.mkdir('d'); c.write('d/readme.txt', 'hi'); c.write('d/x.json.123.tmp', '{"format":'); return { args: ['check', 'd'], target: 'd' }; },
  },
  fileVerdict({ id: 'F13', group: G_FILES, command: 'validate', input: 'a valid trace named trace.txt given directly', name: 'trace.txt', data: t3(), exit: 0, tag: 'PASS', answer: 'a file given directly is read whatever its extension: passes' }),
  {
    id: 'F14', group: G_FILES, command: 'check', input: 'a missing file and a valid one: the missing one listed first',
    answer: 'exit 2; `BAD  nope.json: /: no such file or folder`, then `PASS t.json`; `2 traces: 1 passed, 0 failed, 1 bad input`',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: MISSING, summary: '2 traces: 1 passed, 0 failed, 1 bad input', others: [{ tag: 'PASS', target: 't.json' }] },
    setup: (c) => { c.write('t.json', t3()); return { args: ['check', 't.json', 'nope.json'], target: 'nope.json' }; },
  },
  {
    id: 'F15', group: G_FILES, command: 'diff', input: 'diff --fast-backtracking on a FIFO named p.json', timeoutMs: 8000,
    answer: 'exit 2 within the time bound; `BAD  p.json: /: not a regular file`',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: /regular file|FIFO|pipe/i },
    setup: (c) => { execFileSync('mkfifo', [c.abs('p.json')]); return { args: ['diff', '--fast-backtracking', 'p.json'], target: 'p.json' }; },
  },
  badFile({ id: 'F16', group: G_FILES, command: 'diff', flags: ['--leader-noop'], input: 'diff --leader-noop on a file nested 6000 deep', data: nest(6000), pointer: /^\/(0(\/0)*)?$/, says: /nest|deep|depth/i, answer: 'nested deeper than the limit' }),
);

// --- Flags ---------------------------------------------------------------------------------------
const G_FLAGS = 'flags';
const GEN = ['gen', '--seed', '1', '--count', '1', '--out', 'g'];
add(
  usage({ id: 'U01', group: G_FLAGS, command: 'gen', input: '`--steps -1`', args: [...GEN, '--steps', '-1'], target: '--steps', says: /whole number/, saysNot: /ambiguous/, answer: '--steps expects a whole number >= 1, got "-1" (not "argument is ambiguous")' }),
  usage({ id: 'U02', group: G_FLAGS, command: 'record', input: '`--seed -5`', args: ['record', '--seed', '-5', '--steps', '5', '--out', 'r.json'], target: '--seed', says: /whole number/, saysNot: /ambiguous/, answer: '--seed expects a whole number from 0, got "-5"' }),
  usage({ id: 'U03', group: G_FLAGS, command: 'gen', input: '`--count 0`', args: ['gen', '--seed', '1', '--count', '0', '--steps', '5', '--out', 'g'], target: '--count', says: />= 1/, answer: '--count expects a whole number >= 1, got "0"' }),
  usage({ id: 'U04', group: G_FLAGS, command: 'gen', input: '`--steps abc`', args: [...GEN, '--steps', 'abc'], target: '--steps', says: /whole number.*"abc"/, answer: '--steps expects a whole number >= 1, got "abc"' }),
  usage({ id: 'U05', group: G_FLAGS, command: 'campaign', input: '`--steps 1.5`', args: ['campaign', '--seed', '1', '--count', '1', '--steps', '1.5'], target: '--steps', says: /whole number/, answer: '--steps expects a whole number >= 1, got "1.5"' }),
  usage({ id: 'U06', group: G_FLAGS, command: 'validate', input: '`--max-frontier 0`', args: ['validate', '--max-frontier', '0', 'x.json'], target: '--max-frontier', says: />= 1/, answer: '--max-frontier expects a whole number >= 1' }),
  usage({ id: 'U07', group: G_FLAGS, command: 'validate', input: '`--pin DEC-3c`', args: ['validate', '--pin', 'DEC-3c', 'x.json'], target: 'DEC-3c', says: /--pin expects alternatives/, answer: '--pin expects alternatives of docs/choices.md (...), got "DEC-3c"' }),
  usage({ id: 'U08', group: G_FLAGS, command: 'check', input: 'an unknown option `--bogus`', args: ['check', '--bogus', 'x.json'], target: '--bogus', says: /unknown option/i, answer: 'unknown option --bogus' }),
  usage({ id: 'U09', group: G_FLAGS, command: '(none)', input: 'an unknown command `frobnicate`', args: ['frobnicate'], target: 'frobnicate', says: /unknown command/, answer: 'unknown command "frobnicate"' }),
  usage({ id: 'U10', group: G_FLAGS, command: '(none)', input: 'no command at all', args: [], target: 'command', says: /a command is required/, answer: 'a command is required' }),
  usage({ id: 'U11', group: G_FLAGS, command: 'record', input: '`--seed` with no value (last argument)', args: ['record', '--steps', '5', '--out', 'r.json', '--seed'], target: '--seed', says: /--seed/, answer: '--seed expects a value' }),
  usage({ id: 'U12', group: G_FLAGS, command: 'gen', input: 'no `--out`', args: ['gen', '--seed', '1', '--count', '1', '--steps', '5'], target: '--out', says: /required/, answer: '--out DIR is required' }),
  usage({ id: 'U13', group: G_FLAGS, command: 'start', input: '`start --seed 1`', args: ['start', '--seed', '1'], target: '--seed', says: /start takes no --seed/, answer: 'start takes no --seed: it runs fixed campaigns' }),
  usage({ id: 'U14', group: G_FLAGS, command: 'campaign', input: '`--flow-control -1`', args: ['campaign', '--seed', '1', '--count', '1', '--steps', '5', '--flow-control', '-1'], target: '--flow-control', says: /whole number/, saysNot: /ambiguous/, answer: '--flow-control expects a whole number >= 1, got "-1"' }),
);

// --- Output paths --------------------------------------------------------------------------------
const G_OUT = 'output paths';
const OLD = '{"old": true}\n';
add(
  {
    id: 'O01', group: G_OUT, command: 'gen', input: '`gen --out` an existing file',
    answer: 'exit 2; `raftspec: ...` naming the path: it is a file, --out expects a folder; the file is unchanged',
    expect: { exit: 2, tag: 'raftspec', says: /file|folder|directory|EEXIST|ENOTDIR/i, saysNot: STACKLESS, after: unchanged('f.json', OLD) },
    setup: (c) => ({ args: ['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', c.write('f.json', OLD)], target: 'f.json' }),
  },
  {
    id: 'O02', group: G_OUT, command: 'record', input: '`record --out` an existing folder',
    answer: 'exit 2; `raftspec: ...` naming the path: it is a folder, --out expects a file; no stray .tmp left',
    expect: { exit: 2, tag: 'raftspec', says: /folder|directory|EISDIR/i, after: noTmpLeft('.') },
    setup: (c) => ({ args: ['record', '--seed', '1', '--steps', '5', '--out', c.mkdir('out.json')], target: 'out.json' }),
  },
  {
    id: 'O03', group: G_OUT, command: 'gen', input: '`gen --out f.json/sub` (a folder under a file)',
    answer: 'exit 2; `raftspec: ...` naming the path (not a folder)',
    expect: { exit: 2, tag: 'raftspec', says: /folder|directory|ENOTDIR|EEXIST/i },
    setup: (c) => { c.write('f.json', OLD); return { args: ['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', 'f.json/sub'], target: 'f.json/sub' }; },
  },
  {
    id: 'O04', group: G_OUT, command: 'record', input: '`record --out` into a folder without write permission (mode 555)', unprivileged: true,
    answer: 'exit 2; `raftspec: ...` naming the folder ro (or the file ro/r.json): permission denied; nothing left in the folder',
    expect: { exit: 2, tag: 'raftspec', says: /permission|EACCES|cannot write|not writable/i, after: noTmpLeft('ro') },
    setup: (c) => { c.mkdir('ro'); execFileSync('chmod', ['555', c.abs('ro')]); return { args: ['record', '--seed', '1', '--steps', '5', '--out', 'ro/r.json'], target: 'ro' }; },
  },
  {
    id: 'O05', group: G_OUT, command: 'gen', input: '`gen --out` a folder without write permission (mode 555)', unprivileged: true,
    answer: 'exit 2; `raftspec: ...` naming the folder: permission denied',
    expect: { exit: 2, tag: 'raftspec', says: /permission|EACCES|cannot write|not writable/i, after: noTmpLeft('ro') },
    setup: (c) => { c.mkdir('ro'); execFileSync('chmod', ['555', c.abs('ro')]); return { args: ['gen', '--seed', '1', '--count', '2', '--steps', '5', '--out', 'ro'], target: 'ro' }; },
  },
  {
    id: 'O06', group: G_OUT, command: 'gen', input: '`gen --out g` where g/gen-seed1-001.json is a folder',
    answer: 'exit 2; `raftspec: ...` naming g/gen-seed1-001.json (a folder in the way); no stray .tmp',
    expect: { exit: 2, tag: 'raftspec', says: /folder|directory|EISDIR/i, after: noTmpLeft('g') },
    setup: (c) => { c.mkdir('g/gen-seed1-001.json'); return { args: ['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', 'g'], target: 'gen-seed1-001.json' }; },
  },
  {
    id: 'O07', group: G_OUT, command: 'record', input: '`record --out` an existing file, killed by SIGKILL 1.5 s into a long run (--steps 300000)',
    kill: { signal: 'SIGKILL', afterMs: 1500 }, timeoutMs: 10_000,
    answer: 'killed; r.json keeps its old bytes (files are written whole or not at all); at most a stray .tmp',
    expect: { exit: 'killed', tag: 'none', after: unchanged('r.json', OLD) },
    setup: (c) => ({ args: ['record', '--seed', '1', '--steps', '300000', '--out', c.write('r.json', OLD)], target: 'r.json' }),
  },
  {
    id: 'O08', group: G_OUT, command: 'gen', input: '`gen` over an existing g/gen-seed1-001.json, killed by SIGTERM 1.5 s into a long run (--steps 300000)',
    kill: { signal: 'SIGTERM', afterMs: 1500 }, timeoutMs: 10_000,
    answer: 'killed (exit by the signal); g/gen-seed1-001.json keeps its old bytes',
    expect: { exit: 'killed', tag: 'none', after: unchanged('g/gen-seed1-001.json', OLD) },
    setup: (c) => { c.mkdir('g'); c.write('g/gen-seed1-001.json', OLD); return { args: ['gen', '--seed', '1', '--count', '1', '--steps', '300000', '--out', 'g'], target: 'g' }; },
  },
  {
    id: 'O09', group: G_OUT, command: 'validate', input: 'stdout closed by the reader after the first bytes (`validate traces/paper | head -c 1`)', closeStdout: true,
    answer: 'exit 0 (or the exit code so far); nothing on stderr (no EPIPE trace)',
    expect: { exit: 0, tag: 'none', saysNot: /EPIPE|Error|internal error/ },
    setup: () => ({ args: ['validate', join(ROOT, 'traces', 'paper')], target: 'traces' }),
  },
);

// --- Campaigns and their regressions (a build of the CLI whose impl/ has a bug planted) -----------
const G_CAMP = 'campaign regressions';
const CAMPAIGN = (steps = 20, regs = 'regs') => ['campaign', '--seed', '1', '--count', '3', '--steps', String(steps), '--regressions', regs];
const regFiles = (c: Ctx, dir = 'regs'): string[] => (existsSync(c.abs(dir)) ? readdirSync(c.abs(dir)).filter((n) => n.endsWith('.json')).sort() : []);
add(
  {
    id: 'C01', group: G_CAMP, command: 'campaign', input: 'a campaign that finds a failure (impl/ with a bug), regressions folder writable', cli: 'mutant', timeoutMs: 30_000,
    answer: 'exit 1; `FAIL campaign seed 1, ...`, `shrunk to N steps, written to regs/<name>.json`; the file is there',
    expect: { exit: 1, tag: 'campaign-fail', says: /written to regs\//, after: (c) => (regFiles(c).length === 1 ? undefined : `expected 1 regression file, found ${regFiles(c).join(', ') || 'none'}`) },
    setup: () => ({ args: CAMPAIGN(), target: 'regs' }),
  },
  {
    id: 'C02', group: G_CAMP, command: 'campaign', input: 'the same, the regressions folder read-only (mode 555)', cli: 'mutant', unprivileged: true, timeoutMs: 30_000,
    answer: 'exit 1 (not 3); the FAIL line and the report are printed, and a line `could not write regs/<name>.json: ...` naming the folder; the shrunk trace is not lost (printed or written to a fallback named in the output)',
    expect: { exit: 1, tag: 'campaign-fail', says: /could not write|cannot write|permission|EACCES/i, after: (_c, o) => (/step \d+|steps/.test(o.stdout) ? undefined : 'the report is missing') },
    setup: (c) => { c.mkdir('regs'); execFileSync('chmod', ['555', c.abs('regs')]); return { args: CAMPAIGN(), target: 'regs' }; },
  },
  {
    id: 'C03', group: G_CAMP, command: 'campaign', input: 'the same, --regressions an existing file', cli: 'mutant', timeoutMs: 30_000,
    answer: 'exit 1; the report is printed, with a line naming regs (not a folder); the file is unchanged',
    expect: { exit: 1, tag: 'campaign-fail', says: /could not write|cannot write|not a folder|ENOTDIR|EEXIST/i, after: unchanged('regs', OLD) },
    setup: (c) => { c.write('regs', OLD); return { args: CAMPAIGN(), target: 'regs' }; },
  },
  {
    id: 'C04', group: G_CAMP, command: 'campaign', input: 'a second campaign with the same seed and other --steps, same regressions folder', cli: 'mutant', timeoutMs: 40_000,
    before: () => CAMPAIGN(20),
    answer: 'exit 1; the first campaign\'s regression file is unchanged and the second is written under another name (two files)',
    expect: { exit: 1, tag: 'campaign-fail', says: /written to regs\//, after: (c) => (regFiles(c).length === 2 ? undefined : `expected 2 regression files, found ${regFiles(c).join(', ') || 'none'}`) },
    setup: () => ({ args: CAMPAIGN(30), target: 'regs' }),
  },
  {
    id: 'C05', group: G_CAMP, command: 'campaign', input: 'a passing campaign (the real impl/) with --regressions under a file',
    answer: 'exit 0; `PASS campaign seed 1, ...` (nothing to write, so the unwritable folder does not matter)',
    expect: { exit: 0, tag: 'none', says: /^PASS campaign seed 1/m },
    setup: (c) => { c.write('f', OLD); return { args: ['campaign', '--seed', '1', '--count', '2', '--steps', '20', '--regressions', 'f/regs'], target: 'campaign' }; },
  },
);

// --- Trace scripts (compile, check --rewrite, check of a script) ---------------------------------
const G_SCRIPT = 'trace scripts';
const SCRIPT = 'cluster s1 s2 s3\n\ntimeout s1\n';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\ufffd\ufeff]/;
/** None of these paths under the row's folder exists (nothing was written). */
const absent = (...names: string[]) => (c: Ctx): string | undefined => {
  const there = names.filter((n) => existsSync(c.abs(n)));
  return there.length > 0 ? `written although it should not be: ${there.join(', ')}` : undefined;
};
const both = (...checks: Array<(c: Ctx, o: { stdout: string; stderr: string }) => string | undefined>) => (c: Ctx, o: { stdout: string; stderr: string }): string | undefined => checks.map((f) => f(c, o)).find((x) => x !== undefined);
add(
  {
    id: 'T01', group: G_SCRIPT, command: 'compile', input: 'a script with an event on a server not in `cluster` (`timeout s9` at line 3)',
    answer: 'exit 2; `BAD  t.trace: line 3: unknown server "s9"; expected a server of the cluster (s1, s2, s3)` (one line); no t.json written',
    expect: { exit: 2, tag: 'BAD', pointer: 'line 3', says: /unknown server "s9".*s1, s2, s3/, saysNot: STACKLESS, after: absent('t.json') },
    setup: (c) => ({ args: ['compile', c.write('t.trace', 'cluster s1 s2 s3\n\ntimeout s9\n')], target: 't.trace' }),
  },
  {
    id: 'T02', group: G_SCRIPT, command: 'compile', input: 'a script with a line that is no header, event, expect or note (`frobnicate s1` at line 4)',
    answer: 'exit 2; `BAD  t.trace: line 4: unknown line "frobnicate"; expected a header (...), an event (...), expect or note` (one line)',
    expect: { exit: 2, tag: 'BAD', pointer: 'line 4', says: /unknown line "frobnicate"; expected a header/, saysNot: STACKLESS, after: absent('t.json') },
    setup: (c) => ({ args: ['compile', c.write('t.trace', `${SCRIPT}frobnicate s1\n`)], target: 't.trace' }),
  },
  {
    id: 'T03', group: G_SCRIPT, command: 'compile', input: 'a script encoded as UTF-16 LE (with BOM)',
    answer: 'exit 2; `BAD  t.trace: expected UTF-8 text, got a UTF-16 byte order mark (save the file as UTF-8)`; no control or replacement characters in the line',
    expect: { exit: 2, tag: 'BAD', says: /UTF-8.*UTF-16/, saysNot: CONTROL, after: absent('t.json') },
    setup: (c) => ({ args: ['compile', c.write('t.trace', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SCRIPT, 'utf16le')]))], target: 't.trace' }),
  },
  {
    id: 'T04', group: G_SCRIPT, command: 'compile', input: '`compile t.trace -o f.json/out.json` (a path under a regular file)',
    answer: 'exit 2; `raftspec: f.json/out.json: ...` (a path component is not a folder), checked before compiling; f.json unchanged, nothing written',
    expect: { exit: 2, tag: 'raftspec', says: /not a folder|ENOTDIR/, saysNot: STACKLESS, after: both(unchanged('f.json', OLD), absent('t.json'), noTmpLeft('.')) },
    setup: (c) => { c.write('f.json', OLD); return { args: ['compile', c.write('t.trace', SCRIPT), '-o', 'f.json/out.json'], target: 'f.json/out.json' }; },
  },
  {
    id: 'T05', group: G_SCRIPT, command: 'check', input: '`check --rewrite` of a JSON trace (not a script)',
    answer: 'exit 2; `BAD  t.json: expected a trace script (docs/trace-scripts.md), got JSON: ...` (not the JSON quoted back as a broken script line); the file unchanged',
    expect: { exit: 2, tag: 'BAD', says: /expected a trace script.*got JSON/, saysNot: /to close|line 1/, after: (c) => unchanged('t.json', `${JSON.stringify(t3(), null, 1)}`)(c) },
    setup: (c) => ({ args: ['check', '--rewrite', c.write('t.json', t3())], target: 't.json' }),
  },
  {
    id: 'T06', group: G_SCRIPT, command: 'check', input: 'a script whose selector names no message in flight (`deliver s2->s1 AppendEntries` at line 4, after `timeout s1`)',
    answer: 'exit 1; `FAIL t.trace: step 1 (/steps/1: line 4): deliver s2->s1 AppendEntries: no such message is in flight (in flight: ...)`',
    expect: { exit: 1, tag: 'FAIL', says: /step 1 \(\/steps\/1: line 4\): deliver s2->s1 AppendEntries: no such message is in flight \(in flight: RV /, saysNot: STACKLESS, summary: '1 trace: 0 passed, 1 failed, 0 bad input' },
    setup: (c) => ({ args: ['check', c.write('t.trace', `${SCRIPT}deliver s2->s1 AppendEntries\n`)], target: 't.trace' }),
  },
);

// --- The HTML report (report, --html) -----------------------------------------------------------
const G_HTML = 'the HTML report';
add(
  {
    id: 'H01', group: G_HTML, command: 'check', input: '`check a.json b.json --html r.html` (two traces)',
    answer: 'exit 2; `raftspec: --html writes the report of one trace, got 2 trace files (a.json, b.json)`, before any work; no r.html',
    expect: { exit: 2, tag: 'raftspec', says: /one trace, got 2 trace files/, saysNot: STACKLESS, after: absent('r.html') },
    setup: (c) => ({ args: ['check', c.write('a.json', t3()), c.write('b.json', t3()), '--html', 'r.html'], target: '--html' }),
  },
  {
    id: 'H02', group: G_HTML, command: 'validate', input: '`validate a.json --html a.json` (the page would replace the trace)',
    answer: 'exit 2; `raftspec: a.json: --html would write over the trace it reports on; name another file`; a.json unchanged',
    expect: { exit: 2, tag: 'raftspec', says: /would write over the trace/, saysNot: STACKLESS, after: (c) => unchanged('a.json', `${JSON.stringify(t3(), null, 1)}`)(c) },
    setup: (c) => ({ args: ['validate', c.write('a.json', t3()), '--html', 'a.json'], target: 'a.json' }),
  },
  {
    id: 'H03', group: G_HTML, command: 'report', input: '`report t.json --html r.html` of a trace with `version` 2',
    answer: 'exit 2; `BAD  t.json: /version: expected 1, got 2` (one line) and the summary; no r.html',
    expect: { exit: 2, tag: 'BAD', pointer: '/version', says: /expected 1/, saysNot: STACKLESS, summary: '1 trace: 0 passed, 0 failed, 1 bad input', after: both(absent('r.html'), noTmpLeft('.')) },
    setup: (c) => ({ args: ['report', c.write('t.json', t3({ version: 2 })), '--html', 'r.html'], target: 't.json' }),
  },
);

// --- drive: adapters that cannot be driven ------------------------------------------------------
const G_DRIVE = 'drive';
const FAKE = `node ${JSON.stringify(join(ROOT, 'conformance', 'test', 'adapters', 'fake-adapter.mjs'))} good`;
add(
  usage({ id: 'D01', group: G_DRIVE, command: 'drive', input: 'neither `--adapter` nor `--adapter-module`', args: ['drive'], target: '--adapter', says: /drive expects one of --adapter .* and --adapter-module/, answer: 'drive expects one of --adapter "<shell command>" and --adapter-module <file exporting createAdapter()>' }),
  {
    id: 'D02', group: G_DRIVE, command: 'drive', input: '`--adapter` a command that does not exist',
    answer: 'exit 5; `ADAPTER FAULT adapter fault at the hello (request: hello): exited with status 127 before answering; no schedule had started` (the shell\'s "not found" passed on as `[adapter] ...`); nothing written',
    expect: { exit: 5, tag: 'ADAPTER FAULT', says: /at the hello \(request: hello\): exited with status 127 before answering; no schedule had started/, saysNot: STACKLESS, after: absent('out') },
    setup: () => ({ args: ['drive', '--adapter', 'no-such-adapter-command-xyz', '--out', 'out'], target: 'hello' }),
  },
  {
    id: 'D03', group: G_DRIVE, command: 'drive', input: 'an adapter that writes a line that is not JSON at the hello (`sleep 1; echo this is not JSON; sleep 30`)',
    answer: 'exit 5 within the time bound; `ADAPTER FAULT adapter fault at the hello (request: hello): not a JSON line: "this is not JSON"; no schedule had started`; the adapter killed (its `sleep 30` not waited for)',
    timeoutMs: 10_000,
    expect: { exit: 5, tag: 'ADAPTER FAULT', says: /at the hello \(request: hello\): not a JSON line: "this is not JSON"/, saysNot: STACKLESS, after: absent('out') },
    setup: () => ({ args: ['drive', '--adapter', 'sleep 1; echo this is not JSON; sleep 30', '--out', 'out'], target: 'hello' }),
  },
  {
    id: 'D04', group: G_DRIVE, command: 'drive', input: '`--adapter-module nope.mjs` (no such file)',
    answer: 'exit 2; `raftspec: --adapter-module nope.mjs: no such file` (one line, no usage text)',
    expect: { exit: 2, tag: 'raftspec', says: /--adapter-module nope\.mjs: no such file$/, saysNot: STACKLESS, after: (_c, o) => (o.stderr.trim().split('\n').length === 1 ? undefined : 'more than one line on stderr') },
    setup: () => ({ args: ['drive', '--adapter-module', 'nope.mjs'], target: 'nope.mjs' }),
  },
  usage({ id: 'D05', group: G_DRIVE, command: 'drive', input: '`--step-timeout 0`', args: ['drive', '--adapter', FAKE, '--step-timeout', '0'], target: '--step-timeout', says: /whole number >= 1, got "0"/, answer: '--step-timeout expects a whole number >= 1, got "0"' }),
  usage({ id: 'D06', group: G_DRIVE, command: 'drive', input: '`--step-timeout -5`', args: ['drive', '--adapter', FAKE, '--step-timeout', '-5'], target: '--step-timeout', says: /whole number >= 1, got "-5"/, saysNot: /ambiguous/, answer: '--step-timeout expects a whole number >= 1, got "-5" (not "argument is ambiguous")' }),
  usage({ id: 'D07', group: G_DRIVE, command: 'drive', input: '`--replay-bundled --seed 3`', args: ['drive', '--adapter', FAKE, '--replay-bundled', '--seed', '3'], target: '--seed', says: /--replay-bundled takes no --seed/, answer: 'drive --replay-bundled takes no --seed: it replays the traces\' own schedules' }),
);

// --- Large runs (bench) --------------------------------------------------------------------------
const G_BIG = 'large runs';
const BENCH = 'npm run bench:large';
add(
  {
    id: 'B01', group: G_BIG, command: 'record', input: '`record --seed 1 --steps 1000000`', bench: BENCH, timeoutMs: 600_000,
    answer: 'exit 0; `recorded 1000000 steps ...` in bounded memory (streamed, not out of heap)',
    expect: { exit: 0, tag: 'recorded' },
    setup: () => ({ args: ['record', '--seed', '1', '--steps', '1000000', '--out', 'r.json'], target: 'r.json' }),
  },
  {
    id: 'B02', group: G_BIG, command: 'gen', input: '`gen --seed 1 --count 1 --steps 1000000`', bench: BENCH, timeoutMs: 600_000,
    answer: 'exit 0; `wrote 1 trace of 1000000 steps ...` (no "Invalid string length")',
    expect: { exit: 0, tag: 'wrote' },
    setup: () => ({ args: ['gen', '--seed', '1', '--count', '1', '--steps', '1000000', '--out', 'g'], target: 'g' }),
  },
  {
    id: 'B03', group: G_BIG, command: 'campaign', input: '`campaign --seed 1 --count 1 --steps 1000000`', bench: BENCH, timeoutMs: 600_000,
    answer: 'exit 0 (or 1 with a shrunk report); never out of heap',
    expect: { exit: 0, tag: 'none' },
    setup: () => ({ args: ['campaign', '--seed', '1', '--count', '1', '--steps', '1000000', '--regressions', 'regs'], target: 'campaign' }),
  },
  {
    id: 'B04', group: G_BIG, command: 'start', input: '`start nope.json` (a missing path; start then runs its thirteen campaigns, ~20 s)', bench: BENCH, timeoutMs: 600_000,
    answer: 'exit 2; `BAD  nope.json: /: no such file or folder`, the campaigns, `BAD INPUT: see the lines above`',
    expect: { exit: 2, tag: 'BAD', pointer: '/', says: MISSING },
    setup: () => ({ args: ['start', 'nope.json'], target: 'nope.json' }),
  },
);

export const EDGE_CASES: readonly EdgeCase[] = CASES;

// -----------------------------------------------------------------------------------------------
// The doc

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/edge-cases.md, generated from the rows above. */
export function renderDoc(cases: readonly EdgeCase[] = EDGE_CASES): string {
  const groups = [...new Set(cases.map((c) => c.group))];
  const lines = [
    '# Edge cases: what `raftspec` answers at the edges',
    '',
    '<!-- Generated from test/edge-cases.ts by `npx tsx scripts/edge-cases-doc.ts`: do not edit by hand. test/edge-cases.test.ts fails when this file is out of date. -->',
    '',
    `${cases.length} inputs and faults, each with the one answer \`raftspec\` gives. The table is the contract that`,
    '`test/edge-cases.test.ts` holds the CLI to: it runs every row not marked **bench** (spawning the',
    'command in a temp folder of its own) and checks the exit code and the answer line. Rows marked',
    `**bench** need a run too large for a unit test (10⁶ steps, a 600 MB file, \`start\`'s campaigns); they are run by \`${BENCH}\`.`,
    '',
    'Besides its own answer, every row requires:',
    '',
    '- the exit code of the row (0 holds, 1 failure, 2 bad input or usage, 3 never: exit 3 is a bug of raftspec);',
    '- no stack trace (no line starting with `    at `), no `internal error`, no V8 message (`Maximum call stack size exceeded`, heap out of memory, a bare `ERR_...` code);',
    '- the answer within the row\'s time bound (15 s unless the row says otherwise): a hang is a failure;',
    '- a per-file answer is one line `TAG <file>: <JSON pointer>: <what>` naming the file as given (`BAD` lines have no continuation lines), followed by the summary line;',
    '- a usage or output-path answer is one line `raftspec: <what>` on stderr naming the flag or the path (then the usage text for a usage error).',
    '',
    'Rows marked *unprivileged* are run as user `nobody` when the tests run as root (file modes do not bind root).',
    'Rows of the group "campaign regressions" that need a failing campaign use a build of the CLI whose `impl/` starts each election at `currentTerm + 2` (a planted bug that the first election shows).',
    '',
  ];
  for (const g of groups) {
    const rows = cases.filter((c) => c.group === g);
    lines.push(`## ${g[0]?.toUpperCase()}${g.slice(1)} (${rows.length})`, '', '| id | command | input or fault | expected answer |', '|---|---|---|---|');
    for (const c of rows) {
      const notes = [c.bench ? `**bench**: \`${c.bench}\`` : '', c.unprivileged ? '*unprivileged*' : '', c.timeoutMs && !c.bench ? `within ${c.timeoutMs / 1000} s` : ''].filter(Boolean).join('; ');
      lines.push(`| ${c.id} | \`${c.command}\` | ${cell(c.input)} | ${cell(c.answer)}${notes ? ` (${notes})` : ''} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

export const DOC_PATH = join(ROOT, 'docs', 'edge-cases.md');

/** Used by the runner: a Ctx on a folder. */
export function makeCtx(dir: string): Ctx {
  return {
    dir,
    abs: (name) => join(dir, name),
    mkdir: (name) => { mkdirSync(join(dir, name), { recursive: true }); return name; },
    write: (name, data) => {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data, null, 1));
      return name;
    },
  };
}
