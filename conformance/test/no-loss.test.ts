// Nothing found is lost: a campaign that finds a bug but cannot write its regression file still
// reports it in full and keeps the shrunk trace (in a fallback folder it names, or printed when
// even that fails); `start` still runs its other campaigns and prints its verdict; and a new
// regression never replaces a different one (every parameter is in the name, and a taken name
// with other contents gets a suffix).
//
// The bug is planted through the campaign's impl factory: an implementation that never sends
// RequestVote to s3. The command-line tests run the real CLI in a child process whose working
// folder has a regular FILE named `traces`, so `traces/regressions` cannot be created (ENOTDIR,
// even for root, where a read-only folder would still be writable), with the same bug planted by
// a small wrapper before the CLI loads.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RaftNode } from '../../impl/index.js';
import { nodeIds, regressionFallbackDir, runCampaign, type CampaignConfig } from '../campaign.js';
import { lockstep, type ImplFactory } from '../lockstep.js';
import { loadTraceFile, parseTrace } from '../load.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The planted bug: a RaftNode that never sends RequestVote to s3. */
function forgetful(n: RaftNode): RaftNode {
  const step = n.step.bind(n);
  n.step = (input) => {
    const ready = step(input);
    return { ...ready, messages: ready.messages.filter((m) => !(m.type === 'RequestVote' && m.to === 's3')) };
  };
  return n;
}
const BUGGY: ImplFactory = {
  create: (config, initial) => forgetful(new RaftNode(config, initial)),
  restart: (config, persisted) => forgetful(RaftNode.restart(config, persisted)),
};

const tmp = (): string => mkdtempSync(join(tmpdir(), 'raftspec-noloss-'));
/** A path under a regular file: nothing can be created there, whoever runs the test. */
const unwritable = (): string => {
  const file = join(tmp(), 'a-file');
  writeFileSync(file, 'not a folder\n');
  return join(file, 'sub');
};

const shape = (over: Partial<CampaignConfig> = {}): CampaignConfig => ({ seed: 1, count: 20, steps: 60, servers: nodeIds(3), impl: BUGGY, ...over });

/** Runs `fn` with os.tmpdir() answering `dir` (this worker's environment only). */
function withTmpdir<T>(dir: string, fn: () => T): T {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

describe('runCampaign: a regression that cannot be written where it should', () => {
  it('goes to the fallback folder, with the failed write and its reason in one line', () => {
    const dir = unwritable();
    const fallbackRoot = tmp();
    const r = withTmpdir(fallbackRoot, () => runCampaign(shape({ regressionsDir: dir })));
    const f = r.failure;
    expect(f).not.toBeNull();
    if (!f) return;
    expect(f.writeError).toBe(`could not write ${join(dir, 'regression-seed1-count20-steps60-3n.json')}: ENOTDIR: not a directory, mkdir '${dir}'`);
    expect(f.file).toBe(join(fallbackRoot, 'raftspec-regressions', 'regression-seed1-count20-steps60-3n.json'));
    expect(withTmpdir(fallbackRoot, regressionFallbackDir)).toBe(join(fallbackRoot, 'raftspec-regressions'));
    // The file holds the shrunk trace: it reproduces the bug, and the real implementation passes it.
    const loaded = loadTraceFile(f.file as string);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.trace).toEqual(f.trace);
    expect(f.trace.steps.length).toBe(1);
    expect(lockstep(loaded.trace, BUGGY)).toMatchObject({ status: 'diverge', divergence: { field: 'messages sent' } });
    expect(lockstep(loaded.trace).status).toBe('pass');
    expect(f.report).toContain('RV s1>s3');
  });

  it('when the fallback cannot be written either: both failures named, no file, the trace kept in the result', () => {
    const dir = unwritable();
    const fallbackRoot = unwritable();
    const r = withTmpdir(fallbackRoot, () => runCampaign(shape({ regressionsDir: dir })));
    const f = r.failure;
    expect(f?.file).toBeNull();
    expect(f?.writeError).toMatch(/^could not write .*\/a-file\/sub\/regression-seed1-count20-steps60-3n\.json: ENOTDIR.*; nor the fallback .*\/a-file\/sub\/raftspec-regressions\/regression-seed1-count20-steps60-3n\.json: ENOTDIR/);
    expect(f?.writeError).not.toContain('\n');
    expect(f?.trace.steps.length).toBe(1);
  });
});

describe('runCampaign: a new regression never replaces a different one', () => {
  it('two campaigns that differ only in --steps keep both files; the same campaign again reuses its file; a taken name gets -2', () => {
    const dir = tmp();
    const a = runCampaign(shape({ steps: 60, regressionsDir: dir })).failure;
    const b = runCampaign(shape({ steps: 80, regressionsDir: dir })).failure;
    expect(a?.file).toBe(join(dir, 'regression-seed1-count20-steps60-3n.json'));
    expect(b?.file).toBe(join(dir, 'regression-seed1-count20-steps80-3n.json'));
    expect(JSON.parse(readFileSync(a?.file as string, 'utf8'))).toEqual(a?.trace);
    expect(JSON.parse(readFileSync(b?.file as string, 'utf8'))).toEqual(b?.trace);
    expect(a?.trace.source).not.toBe(b?.trace.source);

    // The same campaign again finds the same trace: identical contents, the same file.
    const again = runCampaign(shape({ steps: 60, regressionsDir: dir })).failure;
    expect(again?.file).toBe(a?.file);
    expect(readdirSync(dir).sort()).toEqual(['regression-seed1-count20-steps60-3n.json', 'regression-seed1-count20-steps80-3n.json']);

    // A file of the name with other contents stays as it is.
    const taken = join(dir, 'regression-seed1-count20-steps100-3n.json');
    writeFileSync(taken, '{"someone": "else"}\n');
    const c = runCampaign(shape({ steps: 100, regressionsDir: dir })).failure;
    expect(c?.file).toBe(join(dir, 'regression-seed1-count20-steps100-3n-2.json'));
    expect(readFileSync(taken, 'utf8')).toBe('{"someone": "else"}\n');
    expect(JSON.parse(readFileSync(c?.file as string, 'utf8'))).toEqual(c?.trace);
    expect(readdirSync(dir).filter((x) => x.endsWith('.tmp') || x.startsWith('.'))).toEqual([]);
  });

  it('every parameter is in the name: count, servers, options, clients, membership, random profiles', () => {
    const dir = tmp();
    const names = [
      shape({ count: 21 }),
      shape({ servers: nodeIds(5) }),
      shape({ options: { maxEntriesPerAppendEntries: 2, fastBacktracking: true, snapshotChunkSize: 40, preVote: true } }),
      shape({ clients: { ids: ['c1', 'c2', 'c3'], keys: ['x', 'y'] } }),
      shape({ membership: {}, servers: nodeIds(5) }),
      shape({ randomProfiles: true }),
    ].map((cfg) => runCampaign({ ...cfg, regressionsDir: dir }).failure?.file?.slice(dir.length + 1));
    expect(names.slice(0, 5)).toEqual([
      'regression-seed1-count21-steps60-3n.json',
      'regression-seed1-count20-steps60-5n.json',
      'regression-seed1-count20-steps60-3n-batch2-fb-chunk40-prevote.json',
      'regression-seed1-count20-steps60-3n-clients.json',
      'regression-seed1-count20-steps60-5n-membership.json',
    ]);
    // With random profiles, the failing schedule's alternatives other than the model's are named too.
    expect(names[5]).toMatch(/^regression-seed1-count20-steps60-3n-random(-[0-9b]+b)?\.json$/);
    expect(new Set(names).size).toBe(6);
  });
});

// -----------------------------------------------------------------------------------------------
// The command line, in a child process with the bug planted before the CLI loads.

const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

const WRAPPER = `
const { RaftNode } = await import(process.env.RAFTSPEC_TEST_IMPL);
const step = RaftNode.prototype.step;
RaftNode.prototype.step = function (input) {
  const ready = step.call(this, input);
  return { ...ready, messages: ready.messages.filter((m) => !(m.type === 'RequestVote' && m.to === 's3')) };
};
const { run } = await import(process.env.RAFTSPEC_TEST_CLI);
// Only now: tsx itself caches its transforms under the temporary folder.
process.env.TMPDIR = process.env.RAFTSPEC_TEST_TMPDIR;
run();
`;

/** The CLI with the bug, in `cwd` (a folder whose `traces` is a regular file), with os.tmpdir() = `tmpDir`. */
function cliWithBug(args: string[], tmpDir: string): { code: number | null; out: string; err: string; cwd: string } {
  const cwd = tmp();
  writeFileSync(join(cwd, 'traces'), 'a file, not a folder\n');
  const wrapper = join(cwd, 'wrapper.mjs');
  writeFileSync(wrapper, WRAPPER);
  const r = spawnSync(process.execPath, ['--import', TSX, wrapper, ...args], {
    cwd, encoding: 'utf8', timeout: 110_000,
    env: { ...process.env, RAFTSPEC_TEST_TMPDIR: tmpDir, RAFTSPEC_TEST_IMPL: pathToFileURL(join(ROOT, 'impl', 'index.ts')).href, RAFTSPEC_TEST_CLI: pathToFileURL(join(ROOT, 'conformance', 'cli.ts')).href },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

describe('raftspec start with a bug and no writable traces/regressions', () => {
  it('reports every campaign in full, keeps every shrunk trace in the fallback folder, and prints the verdict (exit 1)', () => {
    const tmpDir = tmp();
    const r = cliWithBug(['start', join(ROOT, 'traces', 'paper', 'election-3-nodes.json')], tmpDir);
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    const fails = lines.filter((l) => l.startsWith('FAIL campaign seed '));
    // All thirteen campaigns ran, and each found the bug.
    expect(fails.length).toBe(13);
    const writeErrors = lines.filter((l) => l.startsWith('     could not write traces/regressions/regression-seed'));
    expect(writeErrors.length).toBe(13);
    for (const l of writeErrors) expect(l).toMatch(/: ENOTDIR: not a directory, mkdir 'traces\/regressions'$/);
    const written = lines.filter((l) => l.startsWith('     shrunk to ')).map((l) => /written to (\S+\.json);/.exec(l)?.[1]);
    expect(written.length).toBe(13);
    for (const file of written) {
      expect(file?.startsWith(join(tmpDir, 'raftspec-regressions') + '/')).toBe(true);
      const loaded = loadTraceFile(file as string);
      expect(loaded.ok && lockstep(loaded.trace, BUGGY).status).toBe('diverge');
      expect(loaded.ok && lockstep(loaded.trace).status).toBe('pass');
    }
    // The reports themselves, the coverage line and the verdict.
    expect(lines.filter((l) => l.includes('messages sent: the model has message')).length).toBeGreaterThanOrEqual(13);
    expect(lines.some((l) => /^rule coverage: \d+ of \d+ rules and choices fired/.test(l))).toBe(true);
    expect(lines.filter((l) => l !== '').at(-1)).toBe('FAILED: see the reports above');
  }, 120_000);
});

describe('raftspec campaign with a bug, when neither the regressions folder nor the fallback can be written', () => {
  it('prints the report, both failed writes in one line, and the shrunk trace itself (exit 1)', () => {
    const tmpDir = unwritable();
    const regressions = unwritable();
    const r = cliWithBug(['campaign', '--seed', '1', '--count', '20', '--steps', '60', '--regressions', regressions], tmpDir);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^FAIL campaign seed 1, 3 servers: \d+ schedules/);
    expect(lines[1]).toBe(`     could not write ${join(regressions, 'regression-seed1-count20-steps60-3n.json')}: ENOTDIR: not a directory, mkdir '${regressions}'; nor the fallback ${join(tmpDir, 'raftspec-regressions', 'regression-seed1-count20-steps60-3n.json')}: ENOTDIR: not a directory, mkdir '${join(tmpDir, 'raftspec-regressions')}'`);
    expect(lines[2]).toMatch(/^ {5}shrunk to 1 steps; reproduce with: raftspec check /);
    expect(r.out).toContain('messages sent: the model has message');
    const at = lines.indexOf('     the shrunk trace:');
    expect(at).toBeGreaterThan(2);
    const parsed = parseTrace(lines.slice(at + 1).join('\n'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(lockstep(parsed.trace, BUGGY).status).toBe('diverge');
    expect(lockstep(parsed.trace).status).toBe('pass');
    expect(existsSync(join(r.cwd, 'traces', 'regressions'))).toBe(false);
  }, 120_000);

  it('with --json: the write error and the trace are in the one JSON object', () => {
    const r = cliWithBug(['campaign', '--seed', '1', '--count', '20', '--steps', '60', '--regressions', unwritable(), '--json'], unwritable());
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { failure: { file: string | null; writeError: string; trace: unknown; steps: number } };
    expect(json.failure.file).toBeNull();
    expect(json.failure.writeError).toMatch(/^could not write .*; nor the fallback .*ENOTDIR/);
    const parsed = parseTrace(JSON.stringify(json.failure.trace));
    expect(parsed.ok && parsed.trace.steps.length).toBe(json.failure.steps);
  }, 120_000);
});
