// Traces of a million steps and more, in memory that does not grow with their length (issue:
// reliable at the edges). Reading: the file in chunks (fs.readSync), the top-level fields other
// than `steps` parsed whole, and each element of `steps` found by its bracket depth (outside
// strings), parsed on its own, checked against the schema and the name checks of load.ts, and
// handed to the runner one at a time. Writing: the header fields, then `"steps": [`, each step as
// it is produced, then `]}`, into a temporary file renamed into place at the end, in exactly the
// bytes `JSON.stringify(trace, null, 2)` gives.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Step, Trace } from '../spec/schema.js';
import { InputError } from '../spec/validate.js';
import { checkTrace, loadTraceFile } from './load.js';

/** A trace's fields other than `steps`. */
export type TraceHeader = Omit<Trace, 'steps'>;

/** A trace whose steps may be any iterable: an array, or read from a file or produced one at a time. */
export type StreamTrace = TraceHeader & { readonly steps: Iterable<Step> };

/** Each element with its index (`entries()` of any iterable). */
export function* indexed<T>(xs: Iterable<T>): Generator<[number, T], void, undefined> {
  let i = 0;
  for (const x of xs) yield [i++, x];
}

// ---------------------------------------------------------------------------------------------
// Writing

const FLUSH_AT = 1 << 20;

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Write a trace whose steps are produced one at a time, whole or not at all: into
 * `<file>.<pid>.tmp` in the same folder, renamed over `file` once the last step is written (the
 * temporary file is removed if anything fails). The bytes are those of
 * `JSON.stringify(trace, null, 2)` and a newline, with `steps` where the trace object has it.
 * `onStep` is called after each step with the number written so far. Returns that number.
 */
export function writeTraceStream(file: string, trace: StreamTrace, onStep?: (written: number) => void): number {
  const text = JSON.stringify({ ...trace, steps: [] }, null, 2);
  // A top-level key is the only place a newline and exactly two spaces precede `"steps"` (newlines in strings are escaped).
  const marker = '\n  "steps": []';
  const at = text.indexOf(marker);
  if (at < 0) throw new Error('writeTraceStream: the trace has no steps field');
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  let fd = openSync(tmp, 'w');
  try {
    let out = text.slice(0, at + marker.length - 1); // through `"steps": [`
    let n = 0;
    for (const step of trace.steps) {
      out += `${n === 0 ? '' : ','}\n    ${JSON.stringify(step, null, 2).replace(/\n/g, '\n    ')}`;
      n++;
      if (out.length >= FLUSH_AT) {
        writeAll(fd, out);
        out = '';
      }
      onStep?.(n);
    }
    out += `${n === 0 ? ']' : '\n  ]'}${text.slice(at + marker.length)}\n`;
    writeAll(fd, out);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, file);
    return n;
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Bad input found in a step while a runner was consuming the steps: stops the runner. */
export class TraceStreamError extends Error {
  constructor(readonly error: InputError) {
    super(`${error.path || '/'}: ${error.expected}`);
  }
}

const CHUNK = 1 << 20;
const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A file read forward in chunks; positions are byte offsets in the file. */
class Bytes {
  buf = Buffer.allocUnsafe(CHUNK * 2);
  /** File offset of buf[0], and how many bytes of buf are loaded. */
  base = 0;
  end = 0;
  eof = false;
  readonly size: number;

  constructor(readonly fd: number, from = 0, private readonly onRead?: (bytes: number, size: number) => void) {
    this.size = fstatSync(fd).size;
    this.base = from;
  }

  /** Load more bytes, keeping everything from file offset `keep` on; false at the end of the file. */
  more(keep: number): boolean {
    if (this.eof) return false;
    const from = Math.max(0, Math.min(keep, this.base + this.end) - this.base);
    if (from > 0) {
      this.buf.copy(this.buf, 0, from, this.end);
      this.base += from;
      this.end -= from;
    }
    if (this.buf.length - this.end < CHUNK) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + CHUNK));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.base + this.end);
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.end += n;
    this.onRead?.(this.base + this.end, this.size);
    return true;
  }

  /** The byte at file offset `p` (loading as needed, keeping from `keep`), or -1 past the end. */
  at(p: number, keep = p): number {
    while (p >= this.base + this.end) if (!this.more(keep)) return -1;
    if (p < this.base) throw new Error(`stream: offset ${p} is no longer loaded`); // a bug of the reader
    return this.buf[p - this.base] as number;
  }

  /** The first non-whitespace offset at or after `p`. */
  skipWs(p: number): number {
    for (;;) {
      const c = this.at(p);
      if (c < 0 || !WS(c)) return p;
      p++;
    }
  }

  /**
   * The end (exclusive) of the JSON value starting at `p`: a string, an object or array (by
   * bracket depth outside strings), or a number or literal (up to a delimiter). With `keep`, every
   * byte from `p` stays loaded (to parse it); without, the value is only skipped. Null if the file
   * ends first.
   */
  valueEnd(p: number, keep: boolean): number | null {
    const first = this.at(p);
    if (first < 0) return null;
    let depth = 0;
    let inString = false;
    let i = p - this.base;
    const primitive = first !== 0x7b && first !== 0x5b && first !== 0x22;
    for (;;) {
      const buf = this.buf;
      const end = this.end;
      while (i < end) {
        const c = buf[i] as number;
        if (inString) {
          if (c === 0x5c) { i += 2; continue; }
          if (c === 0x22) {
            inString = false;
            if (depth === 0) return this.base + i + 1;
          }
        } else if (primitive) {
          if (c === 0x2c || c === 0x7d || c === 0x5d || WS(c)) return this.base + i;
        } else if (c === 0x22) {
          inString = true;
        } else if (c === 0x7b || c === 0x5b) {
          depth++;
        } else if (c === 0x7d || c === 0x5d) {
          if (--depth === 0) return this.base + i + 1;
        }
        i++;
      }
      const abs = this.base + i;
      if (!this.more(keep ? p : Math.min(abs, this.base + this.end))) return primitive ? this.base + this.end : null;
      i = abs - this.base;
    }
  }

  text(from: number, to: number): string {
    return this.buf.toString('utf8', from - this.base, to - this.base);
  }
}

/** Line and column of a file offset (read again from the start: only for a report). */
function lineColumn(fd: number, offset: number): string {
  const buf = Buffer.allocUnsafe(CHUNK);
  let line = 1;
  let lineStart = 0;
  for (let pos = 0; pos < offset;) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, offset - pos), pos);
    if (n === 0) break;
    for (let k = 0; k < n; k++) if (buf[k] === 0x0a) { line++; lineStart = pos + k + 1; }
    pos += n;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

function syntaxError(fd: number, path: string, offset: number, what: string): InputError {
  return new InputError(path, `expected JSON: ${what} at ${lineColumn(fd, offset)}`);
}

function parseError(fd: number, path: string, offset: number, text: string, e: Error): InputError {
  const m = /position (\d+)/.exec(e.message);
  const at = m ? offset + Buffer.byteLength(text.slice(0, Number(m[1]))) : offset;
  return syntaxError(fd, path, at, e.message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*$/s, ''));
}

/** What a file holds besides its steps, and where its steps start. */
interface Layout {
  readonly header: Record<string, unknown>;
  /** File offset of the `[` of the steps array, if `steps` is an array. */
  readonly stepsAt: number | null;
  /** With stopAtSteps: true when the fields after the steps are still to be read. */
  readonly stopped?: boolean;
}

/**
 * The top-level object: every field but `steps` parsed (`steps` holds [] in its place), the steps
 * array only skipped; with `stopAtSteps`, stops at the steps array. With `resumeAt` (the offset
 * just after the steps array), reads the fields after it.
 */
function readLayout(bytes: Bytes, fd: number, opts: { stopAtSteps?: boolean; resumeAt?: number } = {}): Layout | InputError {
  const header: Record<string, unknown> = {};
  let stepsAt: number | null = null;
  let p: number;
  let afterValue = opts.resumeAt !== undefined;
  let empty = false;
  if (opts.resumeAt !== undefined) p = opts.resumeAt;
  else {
    p = bytes.skipWs(0);
    if (bytes.at(p) !== 0x7b) return syntaxError(fd, '', p, bytes.at(p) < 0 ? 'Unexpected end of JSON input' : 'an object');
    p = bytes.skipWs(p + 1);
    if (bytes.at(p) === 0x7d) { p++; empty = true; }
  }
  while (!empty) {
    if (afterValue) {
      p = bytes.skipWs(p);
      const c = bytes.at(p);
      if (c === 0x2c) p++;
      else if (c === 0x7d) { p++; break; }
      else return syntaxError(fd, '', p, c < 0 ? 'Unexpected end of JSON input' : "',' or '}' after a field");
    }
    afterValue = true;
    p = bytes.skipWs(p);
    if (bytes.at(p) !== 0x22) return syntaxError(fd, '', p, 'a field name in double quotes');
    const keyEnd = bytes.valueEnd(p, true);
    if (keyEnd === null) return syntaxError(fd, '', bytes.size, 'Unexpected end of JSON input');
    let key: string;
    try { key = JSON.parse(bytes.text(p, keyEnd)) as string; } catch (e) { return parseError(fd, '', p, bytes.text(p, keyEnd), e as Error); }
    p = bytes.skipWs(keyEnd);
    if (bytes.at(p) !== 0x3a) return syntaxError(fd, '', p, "':' after a field name");
    p = bytes.skipWs(p + 1);
    const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key === 'steps' && bytes.at(p) === 0x5b) {
      stepsAt = p;
      header[key] = []; // in its place: the steps are read later, one at a time
      if (opts.stopAtSteps) return { header, stepsAt, stopped: true };
      const end = bytes.valueEnd(p, false);
      if (end === null) return syntaxError(fd, '', bytes.size, 'Unexpected end of JSON input');
      p = end;
    } else {
      const end = bytes.valueEnd(p, true);
      if (end === null || end === p) return syntaxError(fd, '', end === null ? bytes.size : p, end === null ? 'Unexpected end of JSON input' : 'a value');
      const text = bytes.text(p, end);
      try {
        header[key] = JSON.parse(text);
      } catch (e) {
        return parseError(fd, path, p, text, e as Error);
      }
      if (key === 'steps') stepsAt = null;
      p = end;
    }
  }
  p = bytes.skipWs(p);
  if (bytes.at(p) >= 0) return syntaxError(fd, '', p, 'nothing after the end of the trace object');
  return { header, stepsAt };
}

/** Fields that may follow the steps without changing how they run (gen writes source and description there). */
const AFTER_STEPS_OK = new Set(['name', 'description', 'source']);

/**
 * Progress of a streamed read: steps read so far, bytes read of the file's size; `scan` while the
 * file is first read through for its fields (steps 0), then `steps` as the steps are read and run.
 */
export type StreamProgress = (steps: number, bytes: number, size: number, phase: 'scan' | 'steps') => void;

/**
 * The steps of a file, one at a time, each schema-valid with its names checked (load.ts's
 * checks, on a trace of that one step, with the path renumbered). A bad step throws
 * TraceStreamError with the path `/steps/K/...`. Leaving a `for...of` early does not close it:
 * `drain()` reads (and checks) what is left.
 */
class StepReader implements Iterator<Step>, Iterable<Step> {
  private p: number;
  private k = 0;
  private done = false;
  private readonly bytes: Bytes;

  constructor(private readonly fd: number, stepsAt: number, private readonly cluster: readonly string[], private readonly onProgress?: StreamProgress) {
    this.bytes = new Bytes(fd, stepsAt + 1);
    this.p = stepsAt + 1;
  }

  get count(): number { return this.k; }

  [Symbol.iterator](): Iterator<Step> { return this; }

  /** Ending a loop early keeps the position (see drain). */
  return(): IteratorResult<Step> { return { done: true, value: undefined }; }

  next(): IteratorResult<Step> {
    if (this.done) return { done: true, value: undefined };
    const b = this.bytes;
    const at = `/steps/${this.k}`;
    let p = b.skipWs(this.p);
    if (this.k > 0) {
      const c = b.at(p);
      if (c === 0x5d) { this.p = p; return this.finish(); }
      if (c !== 0x2c) throw new TraceStreamError(syntaxError(this.fd, at, p, c < 0 ? 'Unexpected end of JSON input' : "',' or ']' after a step"));
      p = b.skipWs(p + 1);
    } else if (b.at(p) === 0x5d) { this.p = p; return this.finish(); }
    const end = b.valueEnd(p, true);
    if (end === null || end === p) throw new TraceStreamError(syntaxError(this.fd, at, end === null ? b.size : p, end === null ? 'Unexpected end of JSON input' : 'a step'));
    const text = b.text(p, end);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new TraceStreamError(parseError(this.fd, at, p, text, e as Error));
    }
    this.p = end;
    const checked = checkTrace({ format: 'raft-trace', version: 1, cluster: this.cluster, steps: [data] }, undefined, this.k);
    if (!checked.ok) {
      const path = checked.error.path.startsWith('/steps/0') ? at + checked.error.path.slice('/steps/0'.length) : checked.error.path;
      throw new TraceStreamError(new InputError(path, checked.error.expected));
    }
    this.k++;
    this.onProgress?.(this.k, end, b.size, 'steps');
    return { done: false, value: checked.trace.steps[0] as Step };
  }

  private finish(): IteratorResult<Step> {
    this.done = true;
    this.endAt = this.bytes.skipWs(this.p) + 1;
    return { done: true, value: undefined };
  }

  /** The offset just after the steps array, once it has been read to its end. */
  endAt = -1;

  /** Read and check the steps not yet read: the first bad one, or null. */
  drain(): InputError | null {
    try {
      while (!this.next().done);
      return null;
    } catch (e) {
      if (e instanceof TraceStreamError) return e.error;
      throw e;
    }
  }
}

export type RunResult = { readonly status: string } | { readonly status: 'bad-input'; readonly path: string; readonly expected: string };

/**
 * Run `run` on a trace file read as a stream: its header checked first (schema, names, profile,
 * as load.ts does), then its steps handed over one at a time. Bad input in a step (before or after
 * the step where the run stopped: the rest is read and checked, as a whole file would be) is the
 * result, with its path. The file is never held whole in memory.
 */
export function runTraceStream<R extends RunResult>(file: string, run: (trace: StreamTrace) => R, onProgress?: StreamProgress): R | { status: 'bad-input'; path: string; expected: string } {
  const bad = (e: InputError) => ({ status: 'bad-input' as const, path: e.path || '/', expected: e.expected });
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return bad(new InputError('', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`));
  }
  const runOn = (layout: Layout, verify: boolean): R | { status: 'bad-input'; path: string; expected: string } | 'again' => {
    const loaded = checkTrace(layout.header);
    if (!loaded.ok) return verify ? 'again' : bad(loaded.error);
    if (layout.stepsAt === null) return run(loaded.trace); // not reached: checkTrace refuses a trace without a steps array
    const steps = new StepReader(fd, layout.stepsAt, loaded.trace.cluster, onProgress);
    const trace: StreamTrace = { ...loaded.trace, steps };
    let result: R;
    try {
      result = run(trace);
    } catch (e) {
      if (e instanceof TraceStreamError) return bad(e.error);
      throw e;
    }
    const later = steps.drain();
    if (later) return bad(later);
    if (!verify) return result;
    // The fields after the steps: none that changes the run (else read the file through first and run again).
    const rest = readLayout(new Bytes(fd, steps.endAt), fd, { resumeAt: steps.endAt });
    if (rest instanceof InputError) return bad(rest);
    const whole = checkTrace({ ...layout.header, ...rest.header });
    if (!whole.ok) return bad(whole.error);
    // The trace the run saw gets them too, after its steps as in the file (for readTraceStream).
    for (const k of Object.keys(rest.header)) if (k in whole.trace) (trace as Record<string, unknown>)[k] = (whole.trace as Record<string, unknown>)[k];
    return Object.keys(rest.header).every((k) => AFTER_STEPS_OK.has(k) || k.startsWith('x-')) ? result : 'again';
  };
  try {
    // One pass when the fields that decide the run come before the steps (as every file raftspec writes has them).
    const first = readLayout(new Bytes(fd), fd, { stopAtSteps: true });
    if (first instanceof InputError) return bad(first);
    if (first.stopped) {
      const r = runOn(first, true);
      if (r !== 'again') return r;
    }
    // Else two: the whole file read for its fields, the steps skipped, then the steps.
    const layout = readLayout(new Bytes(fd, 0, onProgress && ((bytes, size) => onProgress(0, bytes, size, 'scan'))), fd);
    if (layout instanceof InputError) return bad(layout);
    const r = runOn(layout, false);
    return r === 'again' ? bad(new InputError('', 'a trace')) : r;
  } finally {
    closeSync(fd);
  }
}

/** Files at least this large are read as a stream; smaller ones whole (JSON.parse is faster on them). */
export const STREAM_THRESHOLD = 32 * 1024 * 1024;

/**
 * Run `run` on a trace file: read whole and checked up front (load.ts) below STREAM_THRESHOLD
 * bytes, as a stream (runTraceStream) from it on.
 */
export function runTraceFile<R extends RunResult>(file: string, run: (trace: StreamTrace) => R, onProgress?: StreamProgress, threshold = STREAM_THRESHOLD): R | { status: 'bad-input'; path: string; expected: string } {
  let size = -1;
  try {
    const fd = openSync(file, 'r');
    try { size = fstatSync(fd).size; } finally { closeSync(fd); }
  } catch {
    // unreadable: loadTraceFile says why
  }
  if (size >= threshold) return runTraceStream(file, run, onProgress);
  const loaded = loadTraceFile(file);
  return loaded.ok ? run(loaded.trace) : { status: 'bad-input', path: loaded.error.path || '/', expected: loaded.error.expected };
}

/** A whole trace from a file read as a stream (for tests: what the runners would see, as one object). */
export function readTraceStream(file: string): { ok: true; trace: Trace } | { ok: false; error: InputError } {
  let seen: StreamTrace | null = null;
  let steps: Step[] = [];
  const r = runTraceStream(file, (t) => {
    seen = t;
    steps = [...t.steps];
    return { status: 'pass' };
  });
  if ('path' in r) return { ok: false, error: new InputError(r.path === '/' ? '' : r.path, r.expected) };
  if (seen === null) throw new Error('readTraceStream: the run did not see the trace');
  return { ok: true, trace: { ...(seen as StreamTrace), steps } };
}
