// The stdio transport of the adapter protocol (docs/drive.md): a child process that answers JSON
// lines, driven synchronously. Each fault of the protocol is one line naming the request, and the
// child is gone (killed and reaped) by the time it is thrown. The children are fake adapters
// (adapters/fake-adapter.mjs), correct or broken in one named way.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { stdioAdapter, type StdioAdapter } from '../stdio-adapter.js';
import { AdapterFault } from '../adapter.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const FAKE = join(HERE, 'adapters', 'fake-adapter.mjs');
/** The step timeout where a test waits for it; elsewhere a long one, so that a loaded machine does not fail a test (hello waits 10 s whatever it is). */
const TIMEOUT_MS = 300;
const PATIENT_MS = 5_000;
const SERVERS = ['s1', 's2', 's3'];

/** The shell forks the fake (dash does not exec the last command of -c), unless `exec` says so. */
const fakeCommand = (behaviour: string, exec = false): string => `${exec ? 'exec ' : ''}node '${FAKE}' ${behaviour}`;

/** An adapter running the fake, its stderr lines collected. */
function fake(behaviour: string, exec = false, stepTimeoutMs = PATIENT_MS): { adapter: StdioAdapter; stderr: string[] } {
  const stderr: string[] = [];
  const adapter = stdioAdapter(fakeCommand(behaviour, exec), { stepTimeoutMs, stderr: (line) => stderr.push(line) });
  return { adapter, stderr };
}

/** The fake's own process, which the shell in between may have forked rather than exec'd: its first stderr line names it. */
function fakePid(stderr: readonly string[]): number {
  const line = stderr.find((l) => l.startsWith('pid '));
  if (line === undefined) throw new Error(`the fake did not say its pid (stderr: ${JSON.stringify(stderr)})`);
  return Number(line.slice(4));
}

/** No such process (the child: killed and reaped by the transport). */
function noProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A process that is not running: gone, or a zombie left to its new parent (init) to reap. */
function notRunning(pid: number): boolean {
  if (noProcess(pid)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

async function eventually(pred: () => boolean, ms = 2_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (pred()) return true;
  return pred();
}

function faultOf(f: () => unknown): AdapterFault {
  try {
    f();
  } catch (e) {
    if (e instanceof AdapterFault) return e;
    throw e;
  }
  throw new Error('no AdapterFault was thrown');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a fault leaves: the child reaped, the fake not running, the adapter refusing more calls and stop() quiet. */
async function expectGone(adapter: StdioAdapter, stderr: readonly string[]): Promise<void> {
  expect(noProcess(adapter.pid)).toBe(true);
  expect(await eventually(() => notRunning(fakePid(stderr)))).toBe(true);
  expect(faultOf(() => adapter.observe('s1')).message).toBe('the adapter was killed after an earlier fault');
  adapter.stop();
}

describe('a correct adapter', () => {
  it('answers every request, with ids counting from 1, and exits at stop', () => {
    const { adapter, stderr } = fake('echo');
    expect(adapter.hello()).toEqual({
      name: 'fake',
      features: { events: ['electionTimeout', 'heartbeatTimeout', 'clientRequest'], options: ['preVote'], observes: ['role', 'currentTerm', 'votedFor', 'log', 'commitIndex'], sent: 'all', profile: { 'DEC-3': 'a' } },
    });
    adapter.start(SERVERS, { preVote: true }, { voters: SERVERS });
    const vote = (to: string) => ({ type: 'RequestVote', from: 's1', to, term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
    const candidate = { role: 'candidate', currentTerm: 1, votedFor: 's1', log: [], commitIndex: 0 };
    expect(adapter.step('s1', { type: 'electionTimeout' })).toEqual({ sent: [vote('s2'), vote('s3')], replies: [], state: candidate });
    adapter.crash('s1');
    expect(adapter.restart('s1')).toEqual({ sent: [], replies: [], state: { ...candidate, role: 'follower' } });
    expect(adapter.observe('s2')).toEqual({ role: 'follower', currentTerm: 0, votedFor: null, log: [], commitIndex: 0 });
    adapter.stop();
    expect(noProcess(adapter.pid)).toBe(true);
    adapter.stop();

    // The requests as the adapter read them: in the order of the calls, ids from 1, each valid by the published schema.
    const requests = stderr.filter((l) => l.startsWith('got ')).map((l) => JSON.parse(l.slice(4)) as { id: number; op: string });
    expect(requests.map((r) => `${r.id} ${r.op}`)).toEqual(['1 hello', '2 start', '3 step', '4 crash', '5 restart', '6 observe', '7 stop']);
    expect(requests[1]).toEqual({ id: 2, op: 'start', servers: SERVERS, options: { preVote: true }, configuration: { voters: SERVERS } });
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'spec', 'schemas', 'adapter.schema.json'), 'utf8')));
    const validRequest = ajv.getSchema('urn:raftspec:schema:v1:adapter.schema.json#/$defs/Request');
    expect(validRequest).toBeDefined();
    for (const r of requests) expect(validRequest?.(r), JSON.stringify(r)).toBe(true);
    expect(validRequest?.({ id: 0, op: 'hello', version: 1 })).toBe(false);
    expect(validRequest?.({ id: 3, op: 'step', node: 's1', input: { type: 'tick' } })).toBe(false);

    expect(faultOf(() => adapter.step('s1', { type: 'electionTimeout' }))).toMatchObject({ request: 'step s1 electionTimeout', message: 'the adapter has stopped' });
  });

  it('passes its stderr lines on, by default to stderr prefixed [adapter]', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; });
    try {
      const adapter = stdioAdapter(fakeCommand('echo'));
      adapter.hello();
      adapter.stop();
    } finally {
      spy.mockRestore();
    }
    expect(written.filter((l) => !l.startsWith('[adapter] pid '))).toEqual(['[adapter] got {"id":1,"op":"hello","version":1}\n', '[adapter] got {"id":2,"op":"stop"}\n']);
  });

  it("an error response to a step is the step's outcome; to another request, a fault", async () => {
    const { adapter, stderr } = fake('error-step');
    adapter.hello();
    adapter.start(SERVERS, {});
    expect(adapter.step('s1', { type: 'clientRequest', command: { op: 'put', key: 'k', value: 'v' } })).toEqual({ error: 'boom' });
    expect(faultOf(() => adapter.observe('s2'))).toMatchObject({ request: 'observe s2', message: 'answered with an error: "boom"' });
    await expectGone(adapter, stderr);
  });

  it('several adapters at once keep their own children and ids', () => {
    const a = fake('good').adapter;
    const b = fake('good').adapter;
    expect(a.pid).not.toBe(b.pid);
    a.hello();
    b.hello();
    a.start(SERVERS, {});
    b.start(['x', 'y'], {});
    expect(a.step('s1', { type: 'electionTimeout' })).toMatchObject({ state: { currentTerm: 1 } });
    expect(b.step('x', { type: 'electionTimeout' })).toMatchObject({ sent: [{ to: 'y', term: 1 }] });
    expect(a.step('s1', { type: 'electionTimeout' })).toMatchObject({ state: { currentTerm: 2 }, sent: [{ to: 's2', term: 2 }, { to: 's3', term: 2 }] });
    a.stop();
    expect(b.observe('x')).toMatchObject({ currentTerm: 1 });
    b.stop();
    expect([noProcess(a.pid), noProcess(b.pid)]).toEqual([true, true]);
  });
});

describe('adapter faults: one line naming the request, the child killed and reaped first', () => {
  /** Runs hello and start, then `then`, and returns the fault it throws. */
  function faultAfterStart(behaviour: string, then: (a: StdioAdapter) => unknown, exec = false, stepTimeoutMs = PATIENT_MS): { fault: AdapterFault; adapter: StdioAdapter; stderr: string[] } {
    const { adapter, stderr } = fake(behaviour, exec, stepTimeoutMs);
    adapter.hello();
    adapter.start(SERVERS, {});
    return { fault: faultOf(() => then(adapter)), adapter, stderr };
  }
  const step = (a: StdioAdapter) => a.step('s1', { type: 'electionTimeout' });

  it('a step that hangs past the timeout', async () => {
    let started = 0;
    const { fault, adapter, stderr } = faultAfterStart('hang-step', (a) => { started = Date.now(); return step(a); }, false, TIMEOUT_MS);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: `no response within ${TIMEOUT_MS} ms (killed)` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    await expectGone(adapter, stderr);
  });

  it.each([
    ['the shell in between dies of SIGTERM, the fake is killed with its group', false],
    ['the child itself ignores it, SIGKILL after the grace', true],
  ])('a step that hangs and ignores SIGTERM: %s', async (_, exec) => {
    const { fault, adapter, stderr } = faultAfterStart('ignore-term-step', step, exec, TIMEOUT_MS);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: `no response within ${TIMEOUT_MS} ms (killed)` });
    expect(fakePid(stderr) === adapter.pid).toBe(exec);
    await expectGone(adapter, stderr);
  });

  it('an exit in the middle of a step', async () => {
    const { fault, adapter, stderr } = faultAfterStart('exit-step', step);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: 'exited with status 3 before answering' });
    await expectGone(adapter, stderr);
  });

  it('an exit between requests', async () => {
    const { adapter, stderr } = fake('exit-after-start');
    adapter.hello();
    adapter.start(SERVERS, {});
    await sleep(200);
    expect(faultOf(() => adapter.crash('s2'))).toMatchObject({ request: 'crash s2', message: 'exited with status 0 before answering' });
    await expectGone(adapter, stderr);
  });

  it('stdout closed while running', async () => {
    // exec: no shell in between that holds the pipe open too.
    const { fault, adapter, stderr } = faultAfterStart('close-step', step, true);
    expect(fakePid(stderr)).toBe(adapter.pid);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: 'closed its stdout without answering (killed)' });
    await expectGone(adapter, stderr);
  });

  it('a line that is not JSON, quoted to 80 characters', async () => {
    const { fault, adapter, stderr } = faultAfterStart('not-json-step', step);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: `not a JSON line: "this line is not JSON: ${'x'.repeat(57)}"...` });
    await expectGone(adapter, stderr);
  });

  it('JSON that is not an object', async () => {
    const { fault, adapter, stderr } = faultAfterStart('array-step', step);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: 'not a JSON object: "[1,2]"' });
    await expectGone(adapter, stderr);
  });

  it('a response to another id', async () => {
    const { fault, adapter, stderr } = faultAfterStart('wrong-id-step', step);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: 'answered id 4 (expected 3)' });
    await expectGone(adapter, stderr);
  });

  it('a response that breaks the schema: its JSON path and what was expected', async () => {
    const { fault, adapter, stderr } = faultAfterStart('bad-schema-step', step);
    expect(fault).toMatchObject({ request: 'step s1 electionTimeout', message: 'the response breaks the schema: /sent/0/term: expected integer, got "one"' });
    await expectGone(adapter, stderr);
  });

  it('a line written before its request', async () => {
    const { adapter, stderr } = fake('extra-line-step');
    adapter.hello();
    adapter.start(SERVERS, {});
    expect(step(adapter)).toMatchObject({ state: { currentTerm: 1 } });
    await sleep(200);
    expect(faultOf(() => adapter.observe('s1'))).toMatchObject({ request: 'observe s1', message: 'wrote a line before request 4 was written: "{\\"id\\":3,\\"ok\\":true}"' });
    await expectGone(adapter, stderr);
  });

  it('features that break their schema', async () => {
    const { adapter, stderr } = fake('bad-features');
    expect(faultOf(() => adapter.hello())).toMatchObject({
      request: 'hello',
      message: 'features break their schema: /features/events/1: expected one of "electionTimeout", "heartbeatTimeout", "clientRequest", "clientRead", "snapshot", "transferLeadership", "reconfigure", "apply", "clientSync", got "tick"',
    });
    await expectGone(adapter, stderr);
  });

  it('another protocol version', async () => {
    const { adapter, stderr } = fake('version-2');
    expect(faultOf(() => adapter.hello())).toMatchObject({ request: 'hello', message: 'speaks protocol version 2; this raftspec speaks version 1' });
    await expectGone(adapter, stderr);
  });

  it('an exit with a status other than 0 after stop', async () => {
    const { fault, adapter, stderr } = faultAfterStart('stop-exit-1', (a) => a.stop());
    expect(fault).toMatchObject({ request: 'stop', message: 'exited with status 1 after stop (expected status 0)' });
    expect(noProcess(adapter.pid)).toBe(true);
    expect(await eventually(() => notRunning(fakePid(stderr)))).toBe(true);
    adapter.stop();
  });

  it('no exit after stop', async () => {
    const { fault, adapter, stderr } = faultAfterStart('stop-linger', (a) => a.stop(), false, TIMEOUT_MS);
    expect(fault).toMatchObject({ request: 'stop', message: `did not exit within ${TIMEOUT_MS} ms of answering stop (killed)` });
    expect(noProcess(adapter.pid)).toBe(true);
    expect(await eventually(() => notRunning(fakePid(stderr)))).toBe(true);
  });

  it('a command that does not run: the shell exits 127 and says why on stderr', () => {
    const stderr: string[] = [];
    const adapter = stdioAdapter('no-such-adapter-command --flag', { stepTimeoutMs: TIMEOUT_MS, stderr: (l) => stderr.push(l) });
    expect(faultOf(() => adapter.hello())).toMatchObject({ request: 'hello', message: 'exited with status 127 before answering' });
    expect(stderr.join('\n')).toContain('no-such-adapter-command');
    expect(noProcess(adapter.pid)).toBe(true);
  });

  it('a folder that does not exist: no child at all', () => {
    expect(faultOf(() => stdioAdapter('true', { cwd: '/no/such/folder' }))).toMatchObject({ request: 'spawn', message: 'cannot run "true" in /no/such/folder: spawn /bin/sh ENOENT' });
  });
});

describe('the parent process exits without stop', () => {
  it('its exit hook kills the adapter', async () => {
    const code = `
      import { stdioAdapter } from ${JSON.stringify(pathToFileURL(join(ROOT, 'conformance', 'stdio-adapter.ts')).href)};
      const adapter = stdioAdapter(${JSON.stringify(fakeCommand('good'))}, { stderr: (line) => console.log(line) });
      adapter.hello();
      console.log('child ' + adapter.pid);
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const pids = [...r.stdout.matchAll(/^(?:child|pid) (\d+)$/gm)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await eventually(() => notRunning(pid)), `pid ${pid}`).toBe(true);
  });

  it('killed outright (SIGKILL: no exit hook runs), it still leaves no adapter behind, even one that never reads its stdin', async () => {
    const code = `
      import { stdioAdapter } from ${JSON.stringify(pathToFileURL(join(ROOT, 'conformance', 'stdio-adapter.ts')).href)};
      const adapter = stdioAdapter('sleep 600');
      console.log('group ' + adapter.pid);
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBe('SIGKILL');
    const group = Number(/^group (\d+)$/m.exec(r.stdout)?.[1]);
    expect(group).toBeGreaterThan(0);
    const groupGone = (): boolean => {
      try {
        process.kill(-group, 0);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    };
    expect(await eventually(groupGone, 5_000), `process group ${group}`).toBe(true);
  });
});
