// The command line end to end: gen is reproducible byte for byte, record writes a trace that the
// model validates on its own, check runs the lockstep runner, and usage errors exit 2.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { runCli } from './run-cli.js';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


const tmp = () => mkdtempSync(join(tmpdir(), 'raftspec-cli-'));

afterEach(() => vi.restoreAllMocks());

describe('raftspec gen', () => {
  it('writes byte-identical files for the same seed, twice', () => {
    const [a, b] = [tmp(), tmp()];
    expect(runCli(['gen', '--seed', '7', '--count', '3', '--steps', '60', '--out', a]).code).toBe(0);
    expect(runCli(['gen', '--seed', '7', '--count', '3', '--steps', '60', '--out', b]).code).toBe(0);
    const files = readdirSync(a).sort();
    expect(files).toEqual(['gen-seed7-001.json', 'gen-seed7-002.json', 'gen-seed7-003.json']);
    for (const f of files) expect(readFileSync(join(a, f), 'utf8')).toBe(readFileSync(join(b, f), 'utf8'));
  });

  it('writes different traces for another seed, and every generated trace passes check and validate', () => {
    const [a, b] = [tmp(), tmp()];
    runCli(['gen', '--seed', '7', '--count', '2', '--steps', '80', '--out', a]);
    runCli(['gen', '--seed', '8', '--count', '2', '--steps', '80', '--out', b, '--servers', '5', '--max-entries', '3']);
    expect(readFileSync(join(a, 'gen-seed7-001.json'), 'utf8')).not.toBe(readFileSync(join(b, 'gen-seed8-001.json'), 'utf8'));
    const trace = JSON.parse(readFileSync(join(b, 'gen-seed8-001.json'), 'utf8'));
    expect(trace.cluster).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(trace.options).toEqual({ maxEntriesPerAppendEntries: 3 });
    expect(trace.steps.at(-1).expect.nodes.s1.log).toBeDefined();
    const check = runCli(['check', a, b]);
    expect(check.out).toContain('4 traces: 4 passed, 0 failed, 0 bad input');
    expect(check.code).toBe(0);
    expect(runCli(['validate', a, b]).code).toBe(0);
  });

  it('with --membership: every generated trace has the bootstrap configuration and reconfigure events, and passes check and validate', () => {
    const a = tmp();
    expect(runCli(['gen', '--seed', '9', '--count', '3', '--steps', '200', '--servers', '4', '--membership', '--out', a]).code).toBe(0);
    for (const f of readdirSync(a)) {
      const trace = JSON.parse(readFileSync(join(a, f), 'utf8'));
      expect(trace.configuration).toEqual({ voters: ['s1', 's2'] });
      expect(trace.source).toContain('--membership');
    }
    const events = readdirSync(a).flatMap((f) => JSON.parse(readFileSync(join(a, f), 'utf8')).steps.map((s: { event: { type: string } }) => s.event.type));
    expect(events.filter((t: string) => t === 'reconfigure').length).toBeGreaterThan(3);
    expect(runCli(['check', a]).out).toContain('3 traces: 3 passed, 0 failed, 0 bad input');
    expect(runCli(['validate', a]).code).toBe(0);
  });

  it('a generated fixture whose expectation is altered fails validate with the step, node and field', () => {
    const a = tmp();
    runCli(['gen', '--seed', '3', '--count', '1', '--steps', '50', '--out', a]);
    const file = join(a, 'gen-seed3-001.json');
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    const k = trace.steps.findIndex((s: { expect?: unknown }) => s.expect);
    const node = Object.keys(trace.steps[k].expect.nodes)[0] as string;
    trace.steps[k].expect.nodes[node].currentTerm += 7;
    writeFileSync(file, JSON.stringify(trace));
    const r = runCli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`step ${k} (/steps/${k}`);
    expect(r.out).toMatch(new RegExp(`${node}\\.currentTerm: expected \\d+, got \\d+`));
  });
});

describe('raftspec record', () => {
  it('records the implementation with full observations, and the model validates the file alone', () => {
    const dir = tmp();
    const file = join(dir, 'run.json');
    const r = runCli(['record', '--seed', '11', '--steps', '300', '--out', file]);
    expect(r.code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.steps).toHaveLength(300);
    const observed = trace.steps.filter((s: { expect?: unknown }) => s.expect).length;
    expect(observed).toBeGreaterThan(250);
    const v = runCli(['validate', file]);
    expect(v.out).toContain('1 trace: 1 passed');
    expect(v.code).toBe(0);
  });

  it('with --fast-backtracking: the option is recorded in the trace, and validate and check pass', () => {
    const dir = tmp();
    const file = join(dir, 'fb.json');
    expect(runCli(['record', '--seed', '12', '--steps', '300', '--fast-backtracking', '--max-entries', '4', '--out', file]).code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.options).toEqual({ maxEntriesPerAppendEntries: 4, fastBacktracking: true });
    expect(runCli(['validate', file]).code).toBe(0);
    expect(runCli(['check', file]).code).toBe(0);
  });

  it('with --clients and the issue 4 and 5 options: replies and options are recorded, and validate (with LIN-1) and check pass', () => {
    const dir = tmp();
    const file = join(dir, 'clients.json');
    expect(runCli(['record', '--seed', '13', '--steps', '400', '--clients', '--chunk-size', '24', '--leader-noop', '--pre-vote', '--check-quorum', '--out', file]).code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.options).toEqual({ snapshotChunkSize: 24, leaderNoop: true, preVote: true, checkQuorum: true });
    expect(trace.source).toContain('--chunk-size 24 --leader-noop --pre-vote --check-quorum --clients');
    const replies = trace.steps.flatMap((s: { expect?: { replies?: unknown[] } }) => s.expect?.replies ?? []);
    expect(replies.length).toBeGreaterThan(5);
    expect(trace.steps.some((s: { event: { type: string } }) => s.event.type === 'clientRead')).toBe(true);
    expect(trace.steps.some((s: { event: { type: string } }) => s.event.type === 'snapshot')).toBe(true);
    expect(runCli(['validate', file]).code).toBe(0);
    expect(runCli(['check', file]).code).toBe(0);
  });

  it('with --membership: the bootstrap configuration and reconfigure events are recorded, configuration entries reach the logs, and validate and check pass', () => {
    const dir = tmp();
    const file = join(dir, 'membership.json');
    expect(runCli(['record', '--seed', '14', '--steps', '400', '--servers', '5', '--membership', '--leader-noop', '--out', file]).code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.configuration).toEqual({ voters: ['s1', 's2', 's3'] });
    expect(trace.source).toContain('--leader-noop --membership');
    expect(trace.steps.filter((s: { event: { type: string } }) => s.event.type === 'reconfigure').length).toBeGreaterThan(3);
    const last = trace.steps.at(-1).expect.nodes as Record<string, { log: Array<{ config?: unknown }> }>;
    expect(Object.values(last).some((n) => n.log.some((e) => e.config !== undefined))).toBe(true);
    expect(runCli(['validate', file]).code).toBe(0);
    expect(runCli(['check', file]).code).toBe(0);
  });

  it('is reproducible from the seed', () => {
    const dir = tmp();
    runCli(['record', '--seed', '5', '--steps', '120', '--out', join(dir, 'a.json')]);
    runCli(['record', '--seed', '5', '--steps', '120', '--out', join(dir, 'b.json')]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
  });
});

describe('raftspec usage', () => {
  it('--help prints the commands and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['check', 'validate', 'gen', 'record', 'campaign']) expect(r.out).toContain(c);
  });
  it.each([
    [[], 'a command is required'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['gen', '--seed', 'x', '--count', '1', '--steps', '1', '--out', '/tmp/x'], '--seed expects a whole number'],
    [['gen', '--seed', '1', '--count', '1', '--steps', '1'], '--out DIR is required'],
    [['check'], 'check expects at least one file or folder'],
    [['validate', '--bogus'], "Unknown option '--bogus'"],
  ])('%j exits 2 with one clear line', (args, message) => {
    const r = runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
  it('gen with a bad option writes nothing', () => {
    const dir = join(tmp(), 'out');
    expect(runCli(['gen', '--seed', '1', '--count', '0', '--steps', '10', '--out', dir]).code).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });
});
