// The thread behind the stdio adapter (stdio-adapter.ts): it owns the adapter's child process and
// its pipes, which need an event loop, while the thread that drives the adapter waits for it in
// Atomics.wait. It is plain JavaScript in a string, started with `new Worker(source, { eval: true })`,
// so that it runs the same under tsx, under vitest and from the compiled dist/ (a file beside this
// one would need a TypeScript loader in the worker, or a copy step in the build).
//
// Main → worker, on `port`:
//   { kind: 'request', id, line, timeoutMs }  write the line, answer with 'line' or 'gone'
//   { kind: 'kill' }                          kill and reap the child, answer with 'ended'
//   { kind: 'exit', timeoutMs }               wait for the child to exit (after stop), killing it
//                                             past timeoutMs; answer with 'ended'
// Worker → main: every answer is posted and then `flag[0]` set to 1 and notified (the main thread
// sets it to 0 before each message it posts); stderr lines are posted without waking it:
//   { kind: 'spawned', pid }                  once, at the start
//   { kind: 'line', text }                    the child's answer (one stdout line, without '\n')
//   { kind: 'stderr', text }                  one stderr line
//   { kind: 'gone', reason, status, text }    no answer: reason 'timeout', 'exited' (by itself;
//                                             status { code, signal }), 'closed' (its stdout, while
//                                             it ran), 'early' (text: a line written before the
//                                             request), 'spawn' or 'internal' (text: the error).
//                                             The child's process group is killed and the child
//                                             reaped before this is posted.
//   { kind: 'ended', status }                 the child is reaped: status { code, signal } if it
//                                             exited by itself, null if it had to be killed

/** Messages the worker posts. */
export type FromWorker =
  | { readonly kind: 'spawned'; readonly pid: number }
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'stderr'; readonly text: string }
  | { readonly kind: 'gone'; readonly reason: 'timeout' | 'closed' | 'exited' | 'early' | 'spawn' | 'internal'; readonly status?: ExitStatus | null; readonly text?: string }
  | { readonly kind: 'ended'; readonly status: ExitStatus | null };

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Messages the worker reads. */
export type ToWorker =
  | { readonly kind: 'request'; readonly id: number; readonly line: string; readonly timeoutMs: number }
  | { readonly kind: 'kill' }
  | { readonly kind: 'exit'; readonly timeoutMs: number };

export interface WorkerData {
  readonly port: MessagePort;
  readonly flag: SharedArrayBuffer;
  readonly command: string;
  readonly cwd: string | undefined;
  /** How long a SIGTERM has before SIGKILL, and how long an exit may take to show on the pipes. */
  readonly graceMs: number;
}
type MessagePort = import('node:worker_threads').MessagePort;

export const WORKER_SOURCE = String.raw`'use strict';
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { port, flag, command, cwd, graceMs } = workerData;
const wake = new Int32Array(flag);

function answer(message) {
  port.postMessage(message);
  Atomics.store(wake, 0, 1);
  Atomics.notify(wake, 0);
}
const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms).unref(); });

/** Calls onLine with each whole line of a stream (a last line without '\n' too, at its end); a long line costs its length once. */
function lines(stream, onLine, onEnd) {
  let parts = [];
  const emit = (line) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    let from = 0;
    for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', from)) {
      parts.push(chunk.slice(from, i));
      emit(parts.join(''));
      parts = [];
      from = i + 1;
    }
    if (from < chunk.length) parts.push(chunk.slice(from));
  });
  stream.on('end', () => {
    if (parts.length > 0) emit(parts.join(''));
    parts = [];
    onEnd();
  });
  stream.on('error', () => {});
}

function main() {
  let child;
  try {
    // A watchdog in the adapter's process group: it waits on a pipe from this process (fd 3), which
    // nothing ever writes to; when this process dies, even killed with no exit hook, the pipe closes
    // and the watchdog kills the whole group, so no adapter outlives raftspec.
    child = spawn('/bin/sh', ['-c', '(read _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & ' + command], { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  } catch (e) {
    answer({ kind: 'gone', reason: 'spawn', text: String(e && e.message || e) });
    return;
  }
  let status = null;            // how the child exited, once it is reaped
  let pending = null;           // the request waiting for its line: { timer }
  let early = null;             // the first line written while no request was waiting
  let stdoutEnded = false;
  let ending = false;           // killing: what it writes now is not an answer
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { status = { code, signal }; resolve(status); }));
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.once('error', (e) => {
    if (child.pid === undefined) answer({ kind: 'gone', reason: 'spawn', text: String(e && e.message || e) });
  });
  if (child.pid === undefined) return;   // the 'error' event says why
  child.stdin.on('error', () => {});     // EPIPE when it is gone: its exit says more
  answer({ kind: 'spawned', pid: child.pid });

  const signalGroup = (signal) => { try { process.kill(-child.pid, signal); } catch {} };
  /** Kills the child's process group (SIGTERM, then SIGKILL past the grace) and reaps the child. */
  async function end() {
    ending = true;
    if (status === null) {
      signalGroup('SIGTERM');
      if (await Promise.race([exited, delay(graceMs).then(() => null)]) === null) {
        signalGroup('SIGKILL');
        await exited;
      }
    }
    signalGroup('SIGKILL');                         // whatever else of its group still runs
    await Promise.race([closed, delay(graceMs)]);   // its last stderr lines
  }
  async function gone(reason, extra) {
    if (pending !== null) { clearTimeout(pending.timer); pending = null; }
    await end();
    answer({ kind: 'gone', reason, ...extra });
  }
  /** No answer can come (its stdout ended, or it exited): it exited by itself, or it closed its stdout while it ran. */
  async function noAnswer() {
    if (pending !== null) { clearTimeout(pending.timer); pending = null; }
    const own = await Promise.race([exited, delay(graceMs).then(() => null)]);
    await gone(own === null ? 'closed' : 'exited', { status: own });
  }

  lines(child.stdout, (text) => {
    if (ending) return;
    if (pending !== null) {
      clearTimeout(pending.timer);
      pending = null;
      answer({ kind: 'line', text });
    } else if (early === null) {
      early = text;
    }
  }, () => {
    stdoutEnded = true;
    if (pending !== null && !ending) void noAnswer();
  });
  lines(child.stderr, (text) => port.postMessage({ kind: 'stderr', text }), () => {});
  // An exit with its stdout still open (something it started holds it): no answer is coming either.
  void exited.then(() => delay(graceMs)).then(() => { if (pending !== null && !ending) void noAnswer(); });

  port.on('message', (m) => {
    try {
      switch (m.kind) {
        case 'request':
          if (early !== null) { void gone('early', { text: early }); return; }
          if (status !== null || stdoutEnded) { void noAnswer(); return; }
          pending = { timer: setTimeout(() => { pending = null; void gone('timeout', {}); }, m.timeoutMs) };
          child.stdin.write(m.line + '\n');
          return;
        case 'kill':
          void end().then(() => answer({ kind: 'ended', status: null }));
          return;
        case 'exit':
          void Promise.race([exited, delay(m.timeoutMs).then(() => null)])
            .then((own) => end().then(() => answer({ kind: 'ended', status: own })));
          return;
      }
    } catch (e) {
      signalGroup('SIGKILL');
      answer({ kind: 'gone', reason: 'internal', text: String(e && e.message || e) });
    }
  });
}

try {
  main();
} catch (e) {
  answer({ kind: 'gone', reason: 'internal', text: String(e && e.message || e) });
}
`;
