// Fuzzing `raftspec validate` and `check` with hostile inputs: the bundled traces mutated at random
// JSON paths (fields deleted, replaced, duplicated, renamed; extreme numbers, huge strings, deep
// nesting, keys such as __proto__), re-serialized badly (a BOM, truncation at a random byte, a
// flipped byte, UTF-16, garbage after the end), random bytes, odd files (empty, a folder named
// x.json, a symlink loop, a broken symlink, a FIFO), and the traces with their server IDs renamed
// (to __proto__, constructor, x-1, ...), which must get the verdict of the trace as written, or be
// refused as bad input.
//
// Each input is judged by the contract of docs/edge-cases.md: an exit code of 0, 1 or 2 (4 for
// validate, UNDECIDED), never 3; the answer for the file is one line naming it (`BAD  <file>: /...`,
// with no continuation line, or `FAIL`/`DIVERGE`/`PASS <file>`); no stack trace, no internal error;
// within the time bound.
//
// The CLI's `main` runs in-process, in worker processes (`node --import tsx scripts/fuzz.ts
// --worker`), so that a hang (a watchdog kills the worker and notes the input) or a crash of V8 (out
// of memory, a stack overflow) costs one worker, not the run.
//
//   npx tsx scripts/fuzz.ts [--runs 10000] [--seed N] [--timeout 5000] [--workers 2] [--keep DIR]
//
// prints progress on stderr every few seconds and ends with `N inputs: C crashes, H hangs, W wrong
// exit codes` (after the unclear reports and every problem found); exit 1 if any.
// test/fuzz.test.ts runs a few hundred inputs of a fixed seed through the same code.
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);

// -----------------------------------------------------------------------------------------------
// Inputs: recipes (small, drawn by fast-check), materialized into files when they run

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A hostile value put somewhere in a trace. */
export type Value =
  | { k: 'raw'; v: string } // a number literal written as is (1e309, -0, 9007199254740993, 2147483648 ...)
  | { k: 'str'; n: number; c: string } // a string of n copies of c
  | { k: 'deep'; n: number; obj: boolean } // arrays or objects nested n deep
  | { k: 'json'; v: Json }
  | { k: 'oddkeys' }; // an object keyed by __proto__, constructor, toString

export type Op =
  | { op: 'replace'; at: number; value: Value }
  | { op: 'remove'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'renameKey'; at: number; key: string };

export type Ser =
  | { k: 'plain' } | { k: 'pretty' } | { k: 'bom' } | { k: 'utf16' } | { k: 'crlf' }
  | { k: 'truncate'; at: number } | { k: 'flip'; at: number; byte: number } | { k: 'garbage'; s: string };

export type Recipe =
  | { kind: 'mutate'; fixture: number; ops: Op[]; ser: Ser }
  | { kind: 'rename'; fixture: number; ops: Op[]; names: string[] }
  | { kind: 'bytes'; n: number; seed: number }
  | { kind: 'odd'; what: 'empty' | 'whitespace' | 'dir' | 'loop' | 'broken' | 'fifo' | 'devnull' };

export const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'x-1', '', ' ', 'x-'] as const;
/** Server names a trace may be renamed to (1-64 of A-Z a-z 0-9 _ . : -). */
export const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'x-1', 'x-recorder', 'length', '0', '1', 'n.1', ':', '_', '-', 'S1', 'a'.repeat(64)] as const;

const RAW_NUMBERS = ['2147483647', '2147483648', '-2147483649', '4294967296', '9007199254740991', '9007199254740992', '9007199254740993', '1e308', '-1e308', '1e309', '-1e309', '-0', '0.5', '1e-7', '-1', '1.0', '1E2', '123456789012345678901234567890', '5e-324'];

const valueArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((v): Value => ({ k: 'raw', v })) },
  { weight: 2, arbitrary: fc.constantFrom('NaN', 'Infinity', '-0', '1e309', '', '__proto__', 's1', 's9', 'null', '\u0000', '\ud800', '\ufeff').map((v): Value => ({ k: 'json', v })) },
  { weight: 1, arbitrary: fc.record({ n: fc.constantFrom(1000, 100_000, 1_000_000, 3_000_000), c: fc.constantFrom('x', 'é', '\u0000', '"', '\n') }).map((r): Value => ({ k: 'str', ...r })) },
  { weight: 2, arbitrary: fc.record({ n: fc.constantFrom(100, 600, 3000, 10_000, 100_000), obj: fc.boolean() }).map((r): Value => ({ k: 'deep', ...r })) },
  { weight: 1, arbitrary: fc.constant<Value>({ k: 'oddkeys' }) },
  { weight: 4, arbitrary: (fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).map((v): Value => ({ k: 'json', v })) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('renameKey' as const), at: fc.nat(), key: fc.constantFrom(...ODD_KEYS) }) },
);

const serArb: fc.Arbitrary<Ser> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Ser>({ k: 'plain' }) },
  { weight: 2, arbitrary: fc.constant<Ser>({ k: 'pretty' }) },
  { weight: 1, arbitrary: fc.constant<Ser>({ k: 'bom' }) },
  { weight: 1, arbitrary: fc.constant<Ser>({ k: 'utf16' }) },
  { weight: 1, arbitrary: fc.constant<Ser>({ k: 'crlf' }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map((n): Ser => ({ k: 'truncate', at: n / 1_000_000 })) },
  { weight: 2, arbitrary: fc.record({ at: fc.integer({ min: 0, max: 1_000_000 }), byte: fc.integer({ min: 0, max: 255 }) }).map((r): Ser => ({ k: 'flip', at: r.at / 1_000_000, byte: r.byte })) },
  { weight: 1, arbitrary: fc.constantFrom(']', '}', 'x', '\u0000', '{}', ',').map((s): Ser => ({ k: 'garbage', s })) },
);

export function recipeArb(fixtures: number): fc.Arbitrary<Recipe> {
  const fixture = fc.nat(fixtures - 1);
  return fc.oneof(
    { weight: 14, arbitrary: fc.record({ kind: fc.constant('mutate' as const), fixture, ops: fc.array(opArb, { minLength: 1, maxLength: 3 }), ser: serArb }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('rename' as const), fixture, ops: fc.array(opArb, { maxLength: 1 }), names: fc.shuffledSubarray([...ODD_NAMES], { minLength: 5, maxLength: 5 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), n: fc.constantFrom(0, 1, 3, 100, 4096), seed: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('odd' as const), what: fc.constantFrom('empty' as const, 'whitespace' as const, 'dir' as const, 'loop' as const, 'broken' as const, 'fifo' as const, 'devnull' as const) }) },
  );
}

/** The bundled traces, smallest first (the fuzz prefers the small ones: they run faster). */
export function loadFixtures(): Array<{ name: string; doc: Json }> {
  const dir = join(ROOT, 'traces', 'paper');
  return readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => ({ name: n, text: readFileSync(join(dir, n), 'utf8') }))
    .sort((a, b) => a.text.length - b.text.length || a.name.localeCompare(b.name))
    .map(({ name, text }) => ({ name, doc: JSON.parse(text) as Json }));
}

type Path = Array<string | number>;
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

const RAW = (k: number) => `@@RAW${k}@@`;

function buildValue(v: Value, raws: string[]): Json {
  switch (v.k) {
    case 'raw': raws.push(v.v); return RAW(raws.length - 1);
    case 'str': return v.c.repeat(v.n);
    case 'deep': raws.push(v.obj ? '{"a":'.repeat(v.n) + '1' + '}'.repeat(v.n) : '['.repeat(v.n) + ']'.repeat(v.n)); return RAW(raws.length - 1);
    case 'json': return v.v;
    case 'oddkeys': raws.push('{"__proto__": {"role": "leader"}, "constructor": 1, "toString": "s1"}'); return RAW(raws.length - 1);
  }
}

/** Applies ops to a copy of doc; raw literals go through placeholders. */
function applyOps(doc: Json, ops: readonly Op[], raws: string[]): Json {
  let root: Json = structuredClone(doc);
  for (const o of ops) {
    const all = paths(root);
    const path = all[o.at % all.length] as Path;
    if (path.length === 0) {
      if (o.op === 'replace') root = buildValue(o.value, raws);
      continue;
    }
    let parent: Json = root;
    for (const k of path.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string] as Json;
    const last = path[path.length - 1] as string | number;
    if (Array.isArray(parent) && typeof last === 'number') {
      if (o.op === 'replace') parent[last] = buildValue(o.value, raws);
      else if (o.op === 'remove') parent.splice(last, 1);
      else if (o.op === 'duplicate') parent.splice(last, 0, structuredClone(parent[last] as Json));
    } else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
      const p = parent as Record<string, Json>;
      if (o.op === 'replace') p[last as string] = buildValue(o.value, raws);
      else if (o.op === 'remove') delete p[last as string];
      else if (o.op === 'duplicate') raws.push(''); // a duplicate key: written by serialize below
      else if (o.op === 'renameKey') {
        const v = p[last as string] as Json;
        delete p[last as string];
        Object.defineProperty(p, o.key, { value: v, enumerable: true, configurable: true, writable: true });
      }
    }
  }
  return root;
}

function serialize(doc: Json, raws: readonly string[], pretty = false): string {
  let s = JSON.stringify(doc, null, pretty ? 2 : undefined);
  raws.forEach((r, k) => { s = s.split(JSON.stringify(RAW(k))).join(r); });
  return s;
}

function reSerialize(text: string, ser: Ser): Buffer {
  const b = Buffer.from(text, 'utf8');
  switch (ser.k) {
    case 'plain': case 'pretty': return b;
    case 'bom': return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
    case 'utf16': return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'crlf': return Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8');
    case 'truncate': return b.subarray(0, Math.floor(ser.at * b.length));
    case 'flip': { const c = Buffer.from(b); if (c.length > 0) c[Math.min(c.length - 1, Math.floor(ser.at * c.length))] = ser.byte; return c; }
    case 'garbage': return Buffer.concat([b, Buffer.from(ser.s, 'utf8')]);
  }
}

/** Renames every server ID (strings and keys equal to one) to the given names. */
function renameNodes(doc: Json, names: readonly string[]): Json {
  const cluster = (doc as { cluster?: unknown }).cluster;
  if (!Array.isArray(cluster)) return doc;
  const map = new Map<string, string>();
  cluster.forEach((id, k) => { if (typeof id === 'string' && names[k] !== undefined) map.set(id, names[k] as string); });
  const walk = (v: Json): Json => {
    if (typeof v === 'string') return map.get(v) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const key = ['name', 'description', 'source', 'note'].includes(k) ? k : (map.get(k) ?? k);
      Object.defineProperty(out, key, { value: ['name', 'description', 'source', 'note'].includes(k) ? x : walk(x), enumerable: true, configurable: true, writable: true });
    }
    return out;
  };
  return walk(doc);
}

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

export interface Task {
  /** The input's number in the run. */
  readonly id: number;
  readonly command: 'validate' | 'check';
  /** The path given to the command. */
  readonly path: string;
  /** For a rename: the id of the same trace not renamed (its verdict is the one expected). */
  readonly baseOf?: number;
  readonly desc: string;
}

/** Writes the files of a recipe under dir; returns the paths to check (two for a rename: base, renamed). */
export function materialize(r: Recipe, dir: string, id: number, fixtures: ReadonlyArray<{ name: string; doc: Json }>): Array<{ path: string; desc: string; role: 'input' | 'base' | 'renamed' }> {
  const file = (suffix = '') => join(dir, `in${id}${suffix}.json`);
  switch (r.kind) {
    case 'mutate': {
      const f = fixtures[r.fixture % fixtures.length] as { name: string; doc: Json };
      const raws: string[] = [];
      const doc = applyOps(f.doc, r.ops, raws);
      let text = serialize(doc, raws, r.ser.k === 'pretty');
      // A duplicated object key: the first key written twice.
      if (r.ops.some((o) => o.op === 'duplicate') && text.startsWith('{"')) {
        // Only the first 4 KB: a huge first value would overflow the regular expression's stack.
        const m = /^\{("(?:[^"\\]|\\.)*":(?:"(?:[^"\\]|\\.)*"|[\d.eE+-]+|true|false|null)),/.exec(text.slice(0, 4096));
        if (m) text = `{${m[1]},${text.slice(1)}`;
      }
      const p = file();
      writeFileSync(p, reSerialize(text, r.ser));
      return [{ path: p, desc: `${f.name} ${JSON.stringify(r.ops).slice(0, 300)} ser=${JSON.stringify(r.ser)}`, role: 'input' }];
    }
    case 'rename': {
      const f = fixtures[r.fixture % fixtures.length] as { name: string; doc: Json };
      const raws: string[] = [];
      const base = applyOps(f.doc, r.ops, raws);
      const a = file('-base');
      const b = file('-renamed');
      writeFileSync(a, serialize(base, raws));
      writeFileSync(b, serialize(renameNodes(base, r.names), raws));
      const desc = `${f.name} ${JSON.stringify(r.ops).slice(0, 200)} servers renamed to ${JSON.stringify(r.names)}`;
      return [{ path: a, desc, role: 'base' }, { path: b, desc, role: 'renamed' }];
    }
    case 'bytes': {
      const p = file();
      writeFileSync(p, randomBytes(r.n, r.seed));
      return [{ path: p, desc: `${r.n} random bytes (seed ${r.seed})`, role: 'input' }];
    }
    case 'odd': {
      const p = file();
      switch (r.what) {
        case 'empty': writeFileSync(p, ''); break;
        case 'whitespace': writeFileSync(p, ' \n\t\r\n'); break;
        case 'dir': mkdirSync(p); break;
        case 'loop': { const d = join(dir, `loop${id}`); mkdirSync(d); symlinkSync('.', join(d, 'self')); writeFileSync(join(d, 'a.json'), JSON.stringify(fixtures[0]?.doc)); return [{ path: d, desc: 'a folder with a symlink loop and a valid trace', role: 'input' }]; }
        case 'broken': symlinkSync(join(dir, `nowhere${id}.json`), p); break;
        case 'fifo': execFileSync('mkfifo', [p]); break;
        case 'devnull': symlinkSync('/dev/null', p); break;
      }
      return [{ path: p, desc: `odd file: ${r.what}`, role: 'input' }];
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Judging one answer

export interface Answer { code: number; out: string[]; err: string[]; ms: number }
export type Verdict = { kind: 'ok' } | { kind: 'crash' | 'hang' | 'wrong-exit' | 'unclear' | 'wrong-verdict'; why: string };

const CRASH = /^\s+at |raftspec: internal error|Maximum call stack|heap out of memory|FATAL ERROR|ERR_STRING_TOO_LONG|Invalid string length/m;

export function judge(t: Task, a: Answer, base?: Answer): Verdict {
  const text = [...a.out, ...a.err].join('\n');
  if (a.code === 3 || CRASH.test(text)) return { kind: 'crash', why: `exit ${a.code}: ${(CRASH.exec(text)?.[0] ?? text.split('\n')[0] ?? '').trim().slice(0, 200)}` };
  const allowed = t.command === 'validate' ? [0, 1, 2, 4] : [0, 1, 2];
  if (!allowed.includes(a.code)) return { kind: 'wrong-exit', why: `exit ${a.code}` };
  const lines = a.out.join('\n').split('\n');
  const errLine = a.err.join('\n').split('\n')[0] ?? '';
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  if (a.code === 2) {
    // A folder's own BAD lines name the files in it; a folder with nothing in it is a usage-style line naming it.
    const k = lines.findIndex((l) => l.startsWith(`BAD  ${t.path}: /`) || l.startsWith(`BAD  ${t.path}/`));
    if (k < 0) {
      if (errLine.startsWith('raftspec: ') && errLine.includes(t.path)) return { kind: 'ok' };
      return { kind: 'unclear', why: `exit 2 without a line \`BAD  ${t.path}: /<pointer>: ...\`: ${(lines[0] ?? errLine).slice(0, 200)}` };
    }
    const next = lines[k + 1];
    if (next !== undefined && /^\s/.test(next)) return { kind: 'unclear', why: `the BAD answer has more than one line: ${(lines[k] ?? '').slice(0, 150)} / ${next.slice(0, 100)}` };
    if (/[\u0000-\u0008\u000e-\u001f\ufeff\ufffd]/.test(lines[k] ?? '')) return { kind: 'unclear', why: `the BAD line holds control or invisible characters: ${JSON.stringify((lines[k] ?? '').slice(0, 150))}` };
  } else if (a.code === 1) {
    if (at(`FAIL ${t.path}`) < 0 && at(`DIVERGE ${t.path}`) < 0) return { kind: 'unclear', why: `exit 1 without a FAIL/DIVERGE line for the file: ${(lines[0] ?? '').slice(0, 200)}` };
  } else if (a.code === 0) {
    if (at(`PASS ${t.path}`) < 0) return { kind: 'unclear', why: `exit 0 without a PASS line for the file: ${(lines[0] ?? '').slice(0, 200)}` };
  }
  if (base && a.code !== base.code && a.code !== 2) {
    return { kind: 'wrong-verdict', why: `with its servers renamed the trace gets exit ${a.code}, as written exit ${base.code}: ${(lines[0] ?? '').slice(0, 200)}` };
  }
  return { kind: 'ok' };
}

// -----------------------------------------------------------------------------------------------
// Running tasks in worker processes, with a watchdog

export interface RunOptions { timeoutMs: number; workers: number; onProgress?: (done: number) => void }

/** Runs every task; returns each one's answer, or a hang/crash note for those a worker could not answer. */
export async function runTasks(tasks: readonly Task[], o: RunOptions): Promise<Map<string, Answer | { lost: 'hang' | 'crash'; why: string }>> {
  const results = new Map<string, Answer | { lost: 'hang' | 'crash'; why: string }>();
  let next = 0;
  const take = (): Task | undefined => tasks[next++];
  // Each worker process answers tasks one at a time until the tasks run out, or until it hangs or
  // dies: then the task it was on is noted and a new worker takes over.
  const lane = async (): Promise<void> => {
    for (;;) {
      const more = await runWorker(take, o, results);
      if (!more) return;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, lane));
  return results;
}

export const taskKey = (t: Task): string => `${t.id}:${t.command}:${t.path}`;

/** One worker process; resolves true when it stopped on a hang or a crash (more tasks may remain), false when the tasks ran out. */
function runWorker(take: () => Task | undefined, o: RunOptions, results: Map<string, Answer | { lost: 'hang' | 'crash'; why: string }>): Promise<boolean> {
  return new Promise((resolveWorker, rejectWorker) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--max-old-space-size=1024', SELF, '--worker'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let buf = '';
    let current: Task | undefined;
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    let finished = false;
    const arm = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, ms);
    };
    const send = () => {
      current = take();
      if (!current) { finished = true; child.stdin.end(); return; }
      arm(o.timeoutMs);
      child.stdin.write(`${JSON.stringify(current)}\n`);
    };
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') send();
        else if (line.startsWith('D ') && current) {
          if (timer) clearTimeout(timer);
          results.set(taskKey(current), JSON.parse(line.slice(2)) as Answer);
          o.onProgress?.(1);
          send();
        }
      }
    });
    child.stderr.on('data', (b: Buffer) => { if (err.length < 20_000) err += b.toString('utf8'); });
    child.stdin.on('error', () => { /* the worker died: noted on close */ });
    arm(60_000); // the worker's own start (tsx compiles the sources)
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (finished && !current) return resolveWorker(false);
      if (current) {
        results.set(taskKey(current), hung ? { lost: 'hang', why: `no answer within ${o.timeoutMs} ms` } : { lost: 'crash', why: `the process died (exit ${code ?? signal}): ${err.split('\n').filter((l) => l.trim()).slice(-3).join(' | ').slice(0, 300)}` });
        o.onProgress?.(1);
        return resolveWorker(true);
      }
      // Died before its first task: a broken setup (the sources do not load), not an input's fault.
      rejectWorker(new Error(`a worker died before its first task (exit ${code ?? signal}): ${err.split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(0, 6).join(' | ').slice(0, 1500)}`));
    });
  });
}

/** The worker: runs `main` in-process on each task read from stdin (one JSON line each). */
async function workerMain(): Promise<void> {
  const { main } = await import(pathToFileURL(join(ROOT, 'conformance', 'cli.ts')).href) as { main: (argv: readonly string[], log?: (l: string) => void) => number | Promise<number> };
  const emit = (s: string) => writeSync(1, `${s}\n`);
  const cap = (xs: string[]) => xs.slice(0, 40).map((l) => (l.length > 2000 ? `${l.slice(0, 2000)}...` : l));
  const { createInterface } = await import('node:readline');
  emit('READY');
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const t = JSON.parse(line) as Task;
    const out: string[] = [];
    const err: string[] = [];
    const origError = console.error;
    const origWrite = process.stderr.write.bind(process.stderr);
    console.error = (...a: unknown[]) => { err.push(a.map(String).join(' ')); };
    process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
    const start = Date.now();
    let code: number;
    try {
      code = await main([t.command, t.path], (l) => { out.push(l); });
    } catch (e) {
      // What run() does with an error main throws: exit 3.
      err.push(`raftspec: internal error: ${(e as Error)?.message ?? String(e)}`);
      code = 3;
    } finally {
      console.error = origError;
      process.stderr.write = origWrite;
    }
    emit(`D ${JSON.stringify({ code, out: cap(out.join('\n').split('\n')), err: cap(err.join('').split('\n')), ms: Date.now() - start } satisfies Answer)}`);
  }
}

// -----------------------------------------------------------------------------------------------
// A campaign

export interface Finding { id: number; command: string; path: string; desc: string; verdict: Exclude<Verdict, { kind: 'ok' }> }
export interface Summary { inputs: number; crashes: number; hangs: number; wrongExits: number; unclear: number; wrongVerdicts: number; findings: Finding[] }

export async function fuzz(opts: { runs: number; seed: number; timeoutMs: number; workers: number; dir?: string; onProgress?: (done: number, total: number) => void }): Promise<Summary> {
  const fixtures = loadFixtures();
  const recipes = fc.sample(recipeArb(fixtures.length), { seed: opts.seed, numRuns: opts.runs });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'raftspec-fuzz-'));
  mkdirSync(dir, { recursive: true });
  const summary: Summary = { inputs: recipes.length, crashes: 0, hangs: 0, wrongExits: 0, unclear: 0, wrongVerdicts: 0, findings: [] };
  // In chunks, so that the files of 10000 inputs (some of megabytes) are never all on disk at once.
  const CHUNK = 200;
  let done = 0;
  const total = recipes.reduce((n, r) => n + (r.kind === 'rename' ? 4 : 2), 0);
  for (let from = 0; from < recipes.length; from += CHUNK) {
    const chunkDir = join(dir, `chunk${from}`);
    mkdirSync(chunkDir, { recursive: true });
    const tasks: Task[] = [];
    const descs = new Map<number, string>();
    recipes.slice(from, from + CHUNK).forEach((r, k) => {
      const id = from + k;
      const files = materialize(r, chunkDir, id, fixtures);
      for (const command of ['validate', 'check'] as const) {
        for (const f of files) tasks.push({ id, command, path: f.path, desc: f.desc, ...(f.role === 'renamed' ? { baseOf: id } : {}) });
      }
      descs.set(id, files[0]?.desc ?? '');
    });
    const results = await runTasks(tasks, { timeoutMs: opts.timeoutMs, workers: opts.workers, onProgress: () => opts.onProgress?.(++done, total) });
    const worst = new Map<number, Finding>();
    for (const t of tasks) {
      const r = results.get(taskKey(t));
      let v: Verdict;
      if (!r) v = { kind: 'crash', why: 'no answer recorded' };
      else if ('lost' in r) v = { kind: r.lost, why: r.why };
      else {
        const baseTask = t.baseOf !== undefined ? tasks.find((x) => x.id === t.id && x.command === t.command && x.path !== t.path) : undefined;
        const base = baseTask ? results.get(taskKey(baseTask)) : undefined;
        v = judge(t, r, base && !('lost' in base) ? base : undefined);
      }
      if (v.kind !== 'ok' && !worst.has(t.id)) worst.set(t.id, { id: t.id, command: t.command, path: t.path, desc: t.desc, verdict: v });
    }
    for (const f of worst.values()) {
      summary.findings.push(f);
      if (f.verdict.kind === 'crash') summary.crashes++;
      else if (f.verdict.kind === 'hang') summary.hangs++;
      else if (f.verdict.kind === 'wrong-exit' || f.verdict.kind === 'wrong-verdict') summary.wrongExits++;
      else summary.unclear++;
      if (f.verdict.kind === 'wrong-verdict') summary.wrongVerdicts++;
    }
    if (!opts.dir) rmSync(chunkDir, { recursive: true, force: true });
  }
  if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  return summary;
}

/** The last line: `N inputs: C crashes, H hangs, W wrong exit codes`. */
export const finalLine = (s: Summary): string => `${s.inputs} inputs: ${s.crashes} crashes, ${s.hangs} hangs, ${s.wrongExits} wrong exit codes`;

async function cli(): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const k = process.argv.indexOf(`--${name}`);
    const v = k >= 0 ? Number(process.argv[k + 1]) : fallback;
    if (!Number.isSafeInteger(v) || v < 0) { console.error(`fuzz: --${name} expects a whole number, got ${process.argv[k + 1]}`); process.exit(2); }
    return v;
  };
  const keepAt = process.argv.indexOf('--keep');
  const runs = arg('runs', 10_000);
  const seed = arg('seed', Date.now() % 2 ** 31);
  const timeoutMs = arg('timeout', 5000);
  const workers = arg('workers', 2);
  console.error(`fuzz: ${runs} inputs, seed ${seed}, time bound ${timeoutMs} ms, ${workers} workers (reproduce with --seed ${seed} --runs ${runs})`);
  let last = Date.now();
  const start = Date.now();
  const s = await fuzz({
    runs, seed, timeoutMs, workers, ...(keepAt >= 0 && process.argv[keepAt + 1] ? { dir: resolve(process.argv[keepAt + 1] as string) } : {}),
    onProgress: (done, total) => {
      if (Date.now() - last < 3000) return;
      last = Date.now();
      process.stderr.write(`  ... ${done}/${total} runs (${Math.round((Date.now() - start) / 1000)} s)\n`);
    },
  });
  for (const f of s.findings) console.log(`${f.verdict.kind.toUpperCase()} input ${f.id} (${f.command}): ${f.verdict.why}\n     ${f.desc}`);
  if (s.unclear > 0) console.log(`${s.unclear} unclear reports (exit code right, answer line not one line naming the file)`);
  if (s.wrongVerdicts > 0) console.log(`${s.wrongVerdicts} of the wrong exit codes are renamed traces judged otherwise than as written`);
  console.log(finalLine(s));
  process.exitCode = s.crashes + s.hangs + s.wrongExits + s.unclear > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  if (process.argv.includes('--worker')) await workerMain();
  else {
    try {
      await cli();
    } catch (e) {
      console.error(`fuzz: ${(e as Error).message}`);
      if (process.env.FUZZ_STACK) console.error((e as Error).stack);
      process.exitCode = 3;
    }
  }
}
