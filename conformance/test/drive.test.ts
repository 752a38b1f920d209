// `raftspec drive` (docs/drive.md, conformance/drive.ts): impl/ behind the adapter interface passes
// campaigns and the bundled traces' schedules, validated by search; an adapter that takes other
// alternatives diverges from the bundled schedules without failing; a planted bug (a second vote
// granted in a term) is found, shrunk and written so that `validate` fails from the file alone; an
// implementation's error is a finding; an adapter that breaks the protocol is a fault (exit 5) with
// its schedule so far written.
import { describe, expect, it, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trace } from '../../spec/schema.js';
import type { Adapter } from '../adapter.js';
import { implAdapter } from '../impl-adapter.js';
import { driveCampaign, driveReplay } from '../drive.js';
import { nodeIds } from '../campaign.js';
import { profileArb } from '../generate.js';
import { collectTraceFiles } from '../files.js';
import { checkTrace, loadTraceFile } from '../load.js';
import { main, mainAsync } from '../cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'raftspec-drive-'));

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const err: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const code = await mainAsync(args, (l) => lines.push(l));
  spy.mockRestore();
  return { code, out: lines.join('\n'), err: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

/** The planted bug: a server that already voted for another candidate in this term grants the vote anyway (RV-2). */
function secondVote(inner: Adapter): Adapter {
  return {
    ...inner,
    step(node, input) {
      const o = inner.step(node, input);
      if ('error' in o || input.type !== 'RequestVote') return o;
      const votedFor = o.state.votedFor;
      if (votedFor === null || votedFor === undefined || votedFor === input.candidateId || o.state.currentTerm !== input.term) return o;
      return { ...o, sent: o.sent.map((m) => (m.type === 'RequestVoteResponse' ? { ...m, voteGranted: true } : m)) };
    },
  };
}

/** An adapter that breaks the protocol at its `at`-th step request (a transport that lost its child, say). */
function faultyAt(inner: Adapter, at: number): Adapter {
  let steps = 0;
  return {
    ...inner,
    start(servers, options, configuration) {
      steps = 0;
      inner.start(servers, options, configuration);
    },
    step(node, input) {
      if (++steps === at) throw new Error('the connection to the servers was lost');
      return inner.step(node, input);
    },
  };
}

const bundled = (): { file: string; trace: Trace }[] => collectTraceFiles(['traces']).files.map((file) => {
  const l = loadTraceFile(file);
  if (!l.ok) throw new Error(`${file}: ${l.error.expected}`);
  return { file, trace: l.trace };
});

describe('drive: impl/ behind the adapter interface', () => {
  it('passes campaigns of 3 and 5 servers, with and without options, every step validated by search', () => {
    let schedules = 0;
    let withOptions = 0;
    for (const [seed, n, count] of [[1, 3, 10], [2, 5, 6]] as const) {
      const r = driveCampaign(implAdapter(), { seed, count, steps: 150, servers: nodeIds(n) });
      expect(r.fault).toBeNull();
      expect(r.failure?.report ?? null).toBeNull();
      expect(r.undecided).toEqual([]);
      expect(r.totals.traces).toBe(count);
      expect(r.totals.steps).toBeGreaterThanOrEqual(count * 75);
      expect(r.totals.leadersElected).toBeGreaterThan(0);
      expect(r.totals.withCommit).toBeGreaterThan(0);
      expect(r.totals.optionSets).toBeGreaterThan(1);
      schedules += r.totals.traces;
      withOptions += r.totals.withOptions;
      // The model's own alternatives, and no declared one contradicted (impl/ declares none without a profile).
      expect(Object.keys(r.taken).length).toBeGreaterThan(3);
      expect(Object.keys(r.taken).every((id) => id.endsWith('a'))).toBe(true);
    }
    // Some schedules with options drawn from the declared ones, some without.
    expect(withOptions).toBeGreaterThan(0);
    expect(withOptions).toBeLessThan(schedules);
  });

  it('under a profile drawn at random: passes, the search sees its b alternatives taken, and none it declares contradicted', () => {
    const [profile] = fc.sample(profileArb, { seed: 13, numRuns: 1 });
    if (!profile) throw new Error('no profile drawn');
    const r = driveCampaign(implAdapter(profile), { seed: 3, count: 6, steps: 150, servers: nodeIds(3) });
    expect(r.failure?.report ?? null).toBeNull();
    expect(r.fault).toBeNull();
    expect(r.hello.features.profile).toBeDefined();
    // (DEC-6b accepts every message DEC-6a does: the search counts it taken without trying DEC-6a.)
    const takenB = Object.keys(r.taken).filter((id) => id.endsWith('b') && id !== 'DEC-6b');
    expect(takenB.length).toBeGreaterThan(0);
    for (const id of takenB) expect(profile[id.slice(0, -1) as keyof typeof profile]).toEqual(['b']);
    expect(r.contradicted).toEqual([]);
  });

  it('a declared alternative the implementation does not take is reported contradicted', () => {
    const inner = implAdapter({ 'DEC-20': ['b'] });
    const claims: Adapter = { ...inner, hello: () => ({ ...inner.hello(), features: { ...inner.hello().features, profile: { 'DEC-20': 'a' } } }) };
    const r = driveCampaign(claims, { seed: 3, count: 4, steps: 150, servers: nodeIds(3) });
    expect(r.failure).toBeNull();
    expect(r.contradicted).toEqual([expect.stringMatching(/^declared DEC-20a, took DEC-20b \(\d+ steps? in \d+ traces?, which no run with DEC-20a explains\)$/)]);
  });

  it('replays the bundled schedules it can: every one passes; those with an initial state or undeclared events are skipped with the reason', () => {
    const traces = bundled();
    const r = driveReplay(implAdapter(), traces, {});
    expect(r.fault).toBeNull();
    const s = r.summary;
    expect(s.replayed + s.skipped).toBe(traces.length);
    expect(s.replayed).toBeGreaterThanOrEqual(10);
    expect(s.passed).toBe(s.replayed);
    expect([s.failed, s.diverged, s.undecided]).toEqual([0, 0, 0]);
    for (const x of r.results) {
      const t = traces.find((y) => y.file === x.file)?.trace;
      if (t?.initial !== undefined) expect(x).toMatchObject({ status: 'skipped', reason: expect.stringContaining('initial state') });
      else expect(x.status).toBe('pass');
    }
    // An adapter without a declared event skips the traces that have it.
    const narrow: Adapter = { ...implAdapter(), hello: () => ({ name: 'no reads', features: { ...implAdapter().hello().features, events: ['electionTimeout', 'heartbeatTimeout', 'clientRequest'] } }) };
    const kv = driveReplay(narrow, traces.filter((t) => t.file.endsWith('regression-seed4-3n-clients-lease-prevote-cq-transfer.json')), {});
    expect(kv.results[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/clientRead.*transferLeadership|transferLeadership.*clientRead/) });
  });

  it('an implementation that takes other alternatives diverges from the bundled schedules (not a failure), naming the step and the message it did send', async () => {
    // DEC-20b: a new leader sends its first AppendEntries at its next heartbeat, not on winning.
    const traces = bundled().filter((t) => t.file.endsWith('election-3-nodes.json'));
    const r = driveReplay(implAdapter({ 'DEC-20': ['b'] }), traces, {});
    expect(r.summary).toMatchObject({ replayed: 1, diverged: 1, failed: 0 });
    const [x] = r.results;
    expect(x).toMatchObject({ status: 'diverged', step: 5, reason: expect.stringContaining('the implementation did not send AE s1>s2 t1') });
    // The CLI says so, and the exit code stays 0.
    const dir = tmp();
    const module = join(dir, 'dec20b.mjs');
    writeFileSync(module, `export async function createAdapter() { const { implAdapter } = await import(${JSON.stringify(join(process.cwd(), 'conformance', 'impl-adapter.ts'))}); return implAdapter({ 'DEC-20': ['b'] }); }\n`);
    const cli = await runCli(['drive', '--adapter-module', module, '--out', dir, join('traces', 'paper', 'election-3-nodes.json')]);
    expect(cli.out).toContain('DIVERGED traces/paper/election-3-nodes.json: schedule diverged at step 5');
    expect(cli.out).toContain('1 trace replayed against impl/ (RaftNode, with a profile): 0 passed, 0 failed, 1 diverged (the implementation did not send a message the schedule names: another schedule, not a failure)');
    expect(cli.code).toBe(0);
  });
});

describe('drive: what it finds', () => {
  it('a second vote granted in a term is found, shrunk to at most 20 steps with its observations, and validate fails on the file alone; the same seed writes the same bytes', async () => {
    const dir = tmp();
    const run = () => driveCampaign(secondVote(implAdapter()), { seed: 1, count: 30, steps: 150, servers: nodeIds(3), outDir: dir });
    const r = run();
    const f = r.failure;
    if (!f || !f.file) throw new Error(`not found: ${JSON.stringify(r.totals)}`);
    expect(f.trace.steps.length).toBeLessThanOrEqual(20);
    expect(f.foundSteps).toBeGreaterThan(f.trace.steps.length);
    expect(f.report).toMatch(/sent: RVR \S+ t\d+ granted, which no permitted behaviour sends here/);
    const written = JSON.parse(readFileSync(f.file, 'utf8')) as Trace;
    expect(written.steps.some((s) => s.expect?.nodes !== undefined && s.sent !== undefined)).toBe(true);
    // From the file alone: the model, the file, nothing else.
    const lines: string[] = [];
    expect(main(['validate', f.file], (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain('granted, which no permitted behaviour sends here');
    // Deterministic: the same campaign finds the same trace, byte for byte (the file is reused).
    const again = run().failure;
    expect(again?.file).toBe(f.file);
    expect(JSON.stringify(again?.trace)).toBe(JSON.stringify(f.trace));
  });

  it("an implementation's error is a finding: an error event ends the shrunk trace and validate fails with its message", () => {
    const inner = implAdapter();
    const failing: Adapter = { ...inner, step: (node, input) => (input.type === 'snapshot' ? { error: 'snapshot: not implemented yet' } : inner.step(node, input)) };
    const r = driveCampaign(failing, { seed: 4, count: 10, steps: 150, servers: nodeIds(3) });
    const f = r.failure;
    if (!f) throw new Error('not found');
    expect(f.trace.steps.at(-1)?.event).toEqual({ type: 'error', node: expect.any(String), message: 'snapshot: not implemented yet' });
    expect(f.trace.steps.at(-2)?.event.type).toBe('snapshot');
    expect(f.trace.steps.length).toBeLessThanOrEqual(3);
    expect(f.report).toContain('the implementation failed on');
  });

  it('an adapter fault ends the campaign with one line naming the step and the request, exit 5, and its schedule so far written (which replays to the same fault)', async () => {
    const dir = tmp();
    const r = driveCampaign(faultyAt(implAdapter(), 40), { seed: 5, count: 3, steps: 100, servers: nodeIds(3), outDir: dir });
    const fault = r.fault;
    if (!fault || !fault.file) throw new Error('no fault written');
    expect(fault.file).toBe(join(dir, 'adapter-fault-seed5.json'));
    expect(fault.line).toMatch(/^adapter fault at step \d+ of schedule 1 \(request: step s\d: .+\): the adapter threw: the connection to the servers was lost$/);
    const loaded = checkTrace(JSON.parse(readFileSync(fault.file, 'utf8')));
    if (!loaded.ok) throw new Error(loaded.error.expected);
    const step = Number(/at step (\d+)/.exec(fault.line)?.[1]);
    expect(loaded.trace.steps.length).toBe(step + 1);
    // Its events, replayed through the same adapter, reach the same request.
    const again = driveReplay(faultyAt(implAdapter(), 40), [{ file: fault.file, trace: loaded.trace }], {});
    expect(again.fault?.line).toContain(`adapter fault at step ${step} of ${fault.file} (request: ${/request: ([^)]*)\)/.exec(fault.line)?.[1]})`);

    // Through the command line, a module whose adapter throws an AdapterFault naming its request (as the stdio transport does): exit 5, one line.
    const module = join(dir, 'faulty.mjs');
    writeFileSync(module, [
      `import { AdapterFault } from ${JSON.stringify(join(process.cwd(), 'conformance', 'adapter.ts'))};`,
      'export function createAdapter() {',
      '  let n = 0;',
      "  const state = { role: 'follower', currentTerm: 0 };",
      '  return {',
      "    hello: () => ({ name: 'faulty', features: { events: ['electionTimeout', 'heartbeatTimeout'], options: [], observes: ['role', 'currentTerm'], sent: 'all' } }),",
      '    start() { n = 0; },',
      "    step(node, input) { if (++n === 7) throw new AdapterFault(`{\"id\":9,\"op\":\"step\",\"node\":\"${node}\"}`, 'the adapter exited with status 1'); return { sent: [], replies: [], state }; },",
      '    crash() {},',
      '    restart: () => ({ sent: [], replies: [], state }),',
      '    observe: () => state,',
      '    stop() {},',
      '  };',
      '}',
      '',
    ].join('\n'));
    const cli = await runCli(['drive', '--adapter-module', module, '--out', dir, '--seed', '9', '--count', '2', '--steps', '30']);
    expect(cli.code).toBe(5);
    expect(cli.out.split('\n')).toEqual([`ADAPTER FAULT adapter fault at step 6 of schedule 1 (request: {"id":9,"op":"step","node":"${/"node":"(s\d)"/.exec(cli.out)?.[1]}"}): the adapter exited with status 1; the schedule so far: ${join(dir, 'adapter-fault-seed9.json')}`]);
    expect(existsSync(join(dir, 'adapter-fault-seed9.json'))).toBe(true);
  });
});

describe('raftspec drive (command line)', () => {
  it('a campaign through --adapter-module: exit 0, the --json summary, the same output for the same seed', async () => {
    const dir = tmp();
    const args = ['drive', '--adapter-module', join('conformance', 'impl-adapter.ts'), '--seed', '7', '--count', '3', '--steps', '60', '--out', dir, '--json'];
    const a = await runCli(args);
    expect(a.code).toBe(0);
    const json = JSON.parse(a.out);
    expect(json).toMatchObject({ drive: { adapter: 'impl/ (RaftNode)', seed: 7, count: 3, steps: 60, servers: 3 }, failure: null, fault: null, exitCode: 0 });
    expect(json.totals.traces).toBe(3);
    expect((await runCli(args)).out).toBe(a.out);
    const text = await runCli(args.slice(0, -1));
    expect(text.out).toMatch(/^PASS drive seed 7, 3 servers, impl\/ \(RaftNode\): 3 schedules, \d+ steps/);
  });

  it('--replay-bundled --json: the counts, every skipped trace with its reason', async () => {
    const r = await runCli(['drive', '--adapter-module', join('conformance', 'impl-adapter.ts'), '--replay-bundled', '--out', tmp(), '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.summary.passed).toBe(json.summary.replayed);
    expect(json.summary.skipped).toBe(json.results.filter((x: { status: string; reason?: string }) => x.status === 'skipped' && typeof x.reason === 'string').length);
  });

  it('bad usage is one line and exit 2; so is an adapter without the two timers', async () => {
    const dir = tmp();
    const noTimers = join(dir, 'no-timers.mjs');
    writeFileSync(noTimers, "export const createAdapter = () => ({ hello: () => ({ name: 'timerless', features: { events: ['clientRequest'], options: [], observes: [], sent: 'all' } }), start() {}, step: () => ({ error: 'no' }), crash() {}, restart: () => ({ error: 'no' }), observe: () => ({}), stop() {} });\n");
    const r = await runCli(['drive', '--adapter-module', noTimers]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('raftspec: the adapter "timerless" declares no electionTimeout or heartbeatTimeout event; drive draws schedules of timers, messages and the events declared, and without both timers no leader is ever elected');
    for (const args of [
      ['drive'],
      ['drive', '--adapter', 'x', '--adapter-module', 'y'],
      ['drive', '--adapter-module', join('conformance', 'impl-adapter.ts'), '--replay-bundled', '--seed', '1'],
      ['drive', '--adapter-module', join('conformance', 'impl-adapter.ts'), '--pre-vote'],
      ['drive', '--adapter-module', join(tmp(), 'missing.mjs')],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^raftspec: /);
    }
  });
});
