// The stdio adapter (docs/drive.md): the Adapter interface over a child process that speaks the
// protocol's JSON lines on its stdin and stdout. The callers (drive's generator and runner) are
// synchronous, the pipes are not: a worker thread (stdio-worker.ts) owns the child and its I/O, and
// each call here posts one message to it and blocks in Atomics.wait until it answers. Every
// response is checked against spec/adapter.ts before it is believed; anything out of protocol is an
// AdapterFault, thrown only once the child's process group is killed and the child reaped.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ajv } from '../spec/validate.js';
import { ErrorResponse, PROTOCOL_VERSION, RESPONSE_OF, type AdapterOp, type InputType as DeclaredInputType } from '../spec/adapter.js';
import type { NodeInput } from '../spec/input.js';
import type { BootstrapConfiguration, NodeId, Observation, ProtocolOptions } from '../spec/schema.js';
import { ADAPTER_PROTOCOL_VERSION, AdapterFault, type Adapter, type AdapterFeatures, type Hello, type InputType, type StepOutcome } from './adapter.js';
import { WORKER_SOURCE, type ExitStatus, type FromWorker, type ToWorker, type WorkerData } from './stdio-worker.js';

export interface StdioOptions {
  /**
   * How long a request may wait for its response (default 10000): past it the adapter is killed.
   * hello, whose wait includes the adapter's own start-up (an interpreter, its imports), waits at
   * least the default.
   */
  readonly stepTimeoutMs?: number;
  /** Where the adapter's stderr lines go (default: the process's stderr, prefixed `[adapter] `). */
  readonly stderr?: (line: string) => void;
  /** The folder the command runs in (default: the current one). */
  readonly cwd?: string;
}

export const DEFAULT_STEP_TIMEOUT_MS = 10_000;
/** How long a SIGTERM has before SIGKILL. */
const KILL_GRACE_MS = 200;
/** How long the worker thread itself may take to start and spawn the child. */
const SPAWN_WAIT_MS = 10_000;
/** Why a call after the end throws. */
const FAULTED = 'the adapter was killed after an earlier fault';
const STOPPED = 'the adapter has stopped';
const TRANSPORT_FAILED = 'the adapter was killed: its transport failed';
/** What a line is quoted to in a message. */
const QUOTE_CHARS = 80;

// The two declarations of the non-message inputs (the interface's and the schema's) are one list.
const inputTypesAgree: [InputType] extends [DeclaredInputType] ? ([DeclaredInputType] extends [InputType] ? true : never) : never = true;
void inputTypesAgree;

/** The process groups of the adapters alive in this process: killed when it exits, so that none is left behind. */
const LIVE = new Set<number>();
let exitHookInstalled = false;
function killLiveOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of LIVE) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone already */ }
    }
  });
}

/** Starts `command` (a shell command line, run by /bin/sh in its own process group) as an adapter. */
export function stdioAdapter(command: string, opts: StdioOptions = {}): StdioAdapter {
  return new StdioAdapter(command, opts);
}

type Response = Record<string, unknown>;

export class StdioAdapter implements Adapter {
  /** The child's process ID (its process group's too). */
  readonly pid: number;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private readonly timeoutMs: number;
  private readonly stderr: (line: string) => void;
  private nextId = 1;
  /** Why the adapter cannot be used any more (null while it can). */
  private ended: string | null = null;

  constructor(readonly command: string, opts: StdioOptions = {}) {
    this.timeoutMs = opts.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    this.stderr = opts.stderr ?? ((line) => { process.stderr.write(`[adapter] ${line}\n`); });
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    const workerData: WorkerData = { port: port2, flag: this.flag.buffer as SharedArrayBuffer, command, cwd: opts.cwd, graceMs: KILL_GRACE_MS };
    // No execArgv of this process (a loader, --input-type): the source is plain CommonJS.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData, transferList: [port2] });
    // A forgotten adapter does not keep the process alive; the exit hook kills its child.
    this.worker.unref();
    const first = this.receive('spawn', SPAWN_WAIT_MS);
    if (first.kind !== 'spawned') {
      this.close(first.kind === 'gone' ? FAULTED : TRANSPORT_FAILED);
      throw new AdapterFault('spawn', first.kind === 'gone' ? `cannot run ${JSON.stringify(command)}${opts.cwd === undefined ? '' : ` in ${opts.cwd}`}: ${first.text ?? first.reason}` : `unexpected ${first.kind} from the transport`);
    }
    this.pid = first.pid;
    killLiveOnExit();
    LIVE.add(this.pid);
  }

  hello(): Hello {
    const r = this.orFault('hello', this.call('hello', 'hello', { version: ADAPTER_PROTOCOL_VERSION }));
    return { name: r.name as string, features: r.features as AdapterFeatures };
  }

  start(servers: readonly NodeId[], options: ProtocolOptions, configuration?: BootstrapConfiguration): void {
    this.orFault('start', this.call('start', 'start', { servers, options, ...(configuration === undefined ? {} : { configuration }) }));
  }

  step(node: NodeId, input: NodeInput): StepOutcome {
    return outcome(this.call(`step ${node} ${input.type}`, 'step', { node, input }));
  }

  crash(node: NodeId): void {
    this.orFault(`crash ${node}`, this.call(`crash ${node}`, 'crash', { node }));
  }

  restart(node: NodeId): StepOutcome {
    return outcome(this.call(`restart ${node}`, 'restart', { node }));
  }

  observe(node: NodeId): Observation {
    return this.orFault(`observe ${node}`, this.call(`observe ${node}`, 'observe', { node })).state as Observation;
  }

  stop(): void {
    if (this.ended !== null) return;
    this.orFault('stop', this.call('stop', 'stop', {}));
    const exit = this.send({ kind: 'exit', timeoutMs: this.timeoutMs }, 'stop');
    if (exit.kind !== 'ended') throw this.fault('stop', TRANSPORT_FAILED, `unexpected ${exit.kind} from the transport`);
    this.close(STOPPED);
    if (exit.status === null) throw new AdapterFault('stop', `did not exit within ${this.timeoutMs} ms of answering stop (killed)`);
    if (exit.status.code !== 0) throw new AdapterFault('stop', `${exited(exit.status)} after stop (expected status 0)`);
  }

  /** A response that is an error, to a request other than step and restart: a fault. */
  private orFault(request: string, r: Response): Response {
    if (typeof r.error === 'string') throw this.fault(request, FAULTED, `answered with an error: ${quote(r.error)}`);
    return r;
  }

  /** Writes one request and returns its response, checked against the schema of `op`'s responses (or ErrorResponse's). */
  private call(request: string, op: AdapterOp, fields: object): Response {
    if (this.ended !== null) throw new AdapterFault(request, this.ended);
    const id = this.nextId++;
    const timeoutMs = op === 'hello' ? Math.max(this.timeoutMs, DEFAULT_STEP_TIMEOUT_MS) : this.timeoutMs;
    const m = this.send({ kind: 'request', id, line: JSON.stringify({ id, op, ...fields }), timeoutMs }, request, timeoutMs);
    if (m.kind === 'gone') {
      this.close(FAULTED);
      throw new AdapterFault(request, goneText(m, id, timeoutMs));
    }
    if (m.kind !== 'line') throw this.fault(request, TRANSPORT_FAILED, `unexpected ${m.kind} from the transport`);
    let value: unknown;
    try {
      value = JSON.parse(m.text);
    } catch {
      throw this.fault(request, FAULTED, `not a JSON line: ${quote(m.text)}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.fault(request, FAULTED, `not a JSON object: ${quote(m.text)}`);
    const r = value as Response;
    if (r.id !== id) throw this.fault(request, FAULTED, r.id === undefined ? `answered without an id (expected ${id})` : `answered id ${show(r.id)} (expected ${id})`);
    if ('error' in r) {
      const broken = check(ErrorResponse, r);
      if (broken !== null) throw this.fault(request, FAULTED, `the error response breaks the schema: ${broken}`);
      return r;
    }
    if (op === 'hello' && r.version !== PROTOCOL_VERSION) throw this.fault(request, FAULTED, `speaks protocol version ${show(r.version)}; this raftspec speaks version ${PROTOCOL_VERSION}`);
    const broken = check(RESPONSE_OF[op], r);
    if (broken !== null) throw this.fault(request, FAULTED, broken.startsWith('/features') ? `features break their schema: ${broken}` : `the response breaks the schema: ${broken}`);
    return r;
  }

  /** Kills and reaps the child, then returns the fault to throw. */
  private fault(request: string, after: string, message: string): AdapterFault {
    if (this.ended === null) {
      this.send({ kind: 'kill' }, request);
      this.close(after);
    }
    return new AdapterFault(request, message);
  }

  /** Posts one message to the worker and waits for its answer. */
  private send(message: ToWorker, request: string, timeoutMs = this.timeoutMs): FromWorker {
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(message);
    // The worker answers within the timeout and its kill (SIGTERM grace, then SIGKILL and the reaping);
    // past a generous margin on that, the worker itself is stuck.
    return this.receive(request, timeoutMs + 4 * KILL_GRACE_MS + 5_000);
  }

  /** The worker's next answer; the stderr lines posted before it are passed on. */
  private receive(request: string, waitMs: number): FromWorker {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got !== undefined) {
        const m = got.message as FromWorker;
        if (m.kind === 'stderr') { this.stderr(m.text); continue; }
        return m;
      }
      const left = deadline - performance.now();
      if (left > 0) {
        // Woken (or timed out): the loop reads the queue again before it gives up.
        Atomics.wait(this.flag, 0, 0, left);
        continue;
      }
      // Only a stuck worker gets here: kill the group from this thread (it cannot be reaped from here).
      if (this.pid !== undefined) {
        try { process.kill(-this.pid, 'SIGKILL'); } catch { /* none, or gone */ }
      }
      this.close(TRANSPORT_FAILED);
      throw new AdapterFault(request, `the transport's worker did not answer within ${Math.round(waitMs)} ms (the adapter's process group was killed)`);
    }
  }

  /** The adapter is done: its worker ends, the stderr lines still queued are passed on. */
  private close(why: string): void {
    this.ended = why;
    LIVE.delete(this.pid);
    for (let got = receiveMessageOnPort(this.port); got !== undefined; got = receiveMessageOnPort(this.port)) {
      const m = got.message as FromWorker;
      if (m.kind === 'stderr') this.stderr(m.text);
    }
    this.port.close();
    void this.worker.terminate();
  }
}

/** A checked step or restart response, without its id. */
function outcome(r: Response): StepOutcome {
  if (typeof r.error === 'string') return { error: r.error };
  return { sent: r.sent, replies: r.replies, state: r.state } as StepOutcome;
}

function goneText(m: Extract<FromWorker, { kind: 'gone' }>, id: number, timeoutMs: number): string {
  switch (m.reason) {
    case 'timeout': return `no response within ${timeoutMs} ms (killed)`;
    case 'exited': return `${m.status ? exited(m.status) : 'exited'} before answering`;
    case 'closed': return 'closed its stdout without answering (killed)';
    case 'early': return `wrote a line before request ${id} was written: ${quote(m.text ?? '')}`;
    case 'spawn':
    case 'internal': return `the transport failed: ${m.text ?? m.reason}`;
  }
}

const exited = (s: ExitStatus): string => (s.code !== null ? `exited with status ${s.code}` : `was killed by ${s.signal ?? 'a signal'}`);

/** A line as a message shows it: JSON-quoted, at most QUOTE_CHARS of it. */
function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${JSON.stringify(text.slice(0, QUOTE_CHARS))}...` : JSON.stringify(text);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const compiled = new Map<object, ValidateFunction>();
/** null when `data` fits `schema`; else ajv's first error, in one line: the JSON path, what was expected there and what was got. */
function check(schema: object, data: unknown): string | null {
  return schemaProblem(schema, data);
}

/**
 * null when `data` fits `schema` (compiled once); else ajv's first error in one line: the JSON
 * path (after `at`, where `data` sits in what was read), what was expected there and what was got.
 * drive's check of an in-process adapter's hello says it in the same words.
 */
export function schemaProblem(schema: object, data: unknown, at = ''): string | null {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return null;
  const e = validate.errors?.[0];
  return e === undefined ? `${at || '/'}: not valid` : describeError(e, data, at);
}

function describeError(e: ErrorObject, data: unknown, at: string): string {
  const p = e.params as Record<string, unknown>;
  const path = at + e.instancePath || '/';
  const got = show(valueAt(data, e.instancePath));
  switch (e.keyword) {
    case 'required': return `${path}: missing required field "${String(p.missingProperty)}"`;
    case 'additionalProperties': return `${at}${e.instancePath}/${String(p.additionalProperty)}: no such field here (unknown field)`;
    case 'uniqueItems': return `${path}: expected no duplicates (items ${String(p.j)} and ${String(p.i)} are equal)`;
    case 'enum': return `${path}: expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`;
    case 'const': return `${path}: expected ${show(p.allowedValue)}, got ${got}`;
    case 'type': return `${path}: expected ${String(p.type)}, got ${got}`;
    case 'discriminator': return `${e.instancePath}/${String(p.tag)}: unknown kind ${show(p.tagValue)}`;
    default: return `${path}: ${e.message ?? 'not valid'}, got ${got}`;
  }
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}
