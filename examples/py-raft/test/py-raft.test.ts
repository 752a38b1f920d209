// The Python example (examples/py-raft) under `raftspec drive`, through the stdio adapter: a child
// process speaking the JSON lines of docs/drive.md. Short campaigns of 3 and 5 servers pass, every
// step validated by search, and the search sees the b alternatives the example declares (and none
// of its declarations contradicted). A planted bug in a copy of raft.py (Figure 8: an entry of an
// earlier term committed by counting replicas, §5.4.2) is found, shrunk, written, and `validate`
// fails on the file alone naming LEA-4; the same seed finds the same trace. The transport's faults
// are tested with fake adapters in conformance/test/stdio-adapter.test.ts and drive.test.ts.
//
// python3 must be on PATH: without it these tests fail, saying so (they are not skipped).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../../spec/schema.js';
import { stdioAdapter } from '../../../conformance/stdio-adapter.js';
import { driveCampaign, type DriveCampaignResult, type DriveConfig } from '../../../conformance/drive.js';
import { nodeIds } from '../../../conformance/campaign.js';
import { main, mainAsync } from '../../../conformance/cli.js';
import { applyPatches, type SourcePatch } from '../../../test/source-patch.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = 'python3';
const adapterCommand = (folder: string): string => `${PYTHON} '${join(folder, 'adapter.py')}'`;

/** Fails (never skips) when python3 cannot run: what is missing, and what needs it. */
function requirePython(): string {
  const r = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : r.error.message) : `exited with status ${r.status}: ${r.stderr.trim()}`;
    throw new Error(`examples/py-raft needs ${PYTHON} (Python 3.11, standard library only) to run its adapter; ${PYTHON} ${why}. Install Python 3 (e.g. apt-get install python3) so that these tests can run.`);
  }
  return `${r.stdout}${r.stderr}`.trim();
}

// In each test, so that each one fails (a failing beforeAll would leave them listed as skipped).
beforeEach(() => {
  requirePython();
});

afterEach(() => vi.restoreAllMocks());

/** A campaign through a fresh child running `folder`'s adapter, stopped (and checked to exit 0) afterwards. */
function driveStdio(folder: string, cfg: DriveConfig): { r: DriveCampaignResult; stderr: string[] } {
  const stderr: string[] = [];
  const adapter = stdioAdapter(adapterCommand(folder), { stderr: (line) => stderr.push(line) });
  try {
    return { r: driveCampaign(adapter, cfg), stderr };
  } finally {
    adapter.stop();
  }
}

/** The b alternatives the example declares (its hello's profile) that the search saw taken. */
function declaredBTaken(r: DriveCampaignResult): string[] {
  const profile = r.hello.features.profile ?? {};
  return Object.keys(r.taken).filter((id) => id.endsWith('b') && profile[id.slice(0, -1) as keyof typeof profile] === 'b');
}

describe('py-raft under drive (stdio adapter)', () => {
  it('passes campaigns of 3 servers: every step validated by search, the declared b alternatives seen taken, none contradicted', () => {
    const { r } = driveStdio(EXAMPLE, { seed: 1, count: 20, steps: 150, servers: nodeIds(3) });
    expect(r.fault?.line ?? null).toBeNull();
    expect(r.failure?.report ?? null).toBeNull();
    expect(r.undecided).toEqual([]);
    expect(r.hello).toMatchObject({ name: 'py-raft', features: { events: ['electionTimeout', 'heartbeatTimeout', 'clientRequest'], options: [], sent: 'all' } });
    const t = r.totals;
    expect(t.traces).toBe(20);
    expect(t.steps).toBeGreaterThanOrEqual(20 * 75);
    expect(t.leadersElected).toBeGreaterThan(0);
    expect(t.withCommit).toBeGreaterThan(0);
    // The example's own choices (docs/choices.md), which the model's defaults would reject: accepted because drive searches.
    const taken = declaredBTaken(r);
    expect(taken).toEqual(expect.arrayContaining(['DEC-6b', 'DEC-18b', 'DEC-20b']));
    // Where the search pins an alternative of a point the example declares, it is the declared one.
    const profile = r.hello.features.profile ?? {};
    for (const id of Object.keys(r.taken)) {
      const declared = profile[id.slice(0, -1) as keyof typeof profile];
      if (declared !== undefined) expect(id, `taken ${id}, declared ${id.slice(0, -1)}${declared}`).toBe(`${id.slice(0, -1)}${declared}`);
    }
    expect(r.contradicted).toEqual([]);
  });

  it('passes campaigns of 5 servers through the command line: exit 0, the --json summary with the declared b alternatives taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'py-raft-drive-'));
    const lines: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
    const code = await mainAsync(['drive', '--adapter', adapterCommand(EXAMPLE), '--seed', '2', '--count', '10', '--steps', '150', '--servers', '5', '--out', dir, '--json'], (l) => lines.push(l));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const json = JSON.parse(lines.join('\n')) as { drive: { adapter: string; servers: number }; totals: { traces: number; steps: number; leadersElected: number }; taken: Record<string, number>; contradicted: string[]; failure: unknown; fault: unknown; exitCode: number };
    expect(json).toMatchObject({ drive: { adapter: 'py-raft', servers: 5 }, failure: null, fault: null, contradicted: [], exitCode: 0 });
    expect(json.totals.traces).toBe(10);
    expect(json.totals.steps).toBeGreaterThanOrEqual(10 * 75);
    expect(json.totals.leadersElected).toBeGreaterThan(0);
    expect(Object.keys(json.taken).filter((id) => ['DEC-6b', 'DEC-18b', 'DEC-20b'].includes(id)).length).toBeGreaterThan(0);
    // Nothing written for a pass.
    expect(readdirSync(dir)).toEqual([]);
  });
});

/**
 * The planted bug (Figure 8, §5.4.2): the leader commits the highest index a majority holds,
 * whatever its term, so an entry of an earlier term is committed by counting replicas. A copy of
 * the example with raft.py patched; the patch must match exactly once.
 */
const COMMIT_BY_COUNTING: readonly SourcePatch[] = [{
  file: 'raft.py',
  find: 'if self.is_majority(replicas) and self.log[n - 1]["term"] == self.current_term:',
  replace: 'if self.is_majority(replicas):',
}];

function plantedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'py-raft-commit-by-counting-'));
  copyFileSync(join(EXAMPLE, 'adapter.py'), join(dir, 'adapter.py'));
  writeFileSync(join(dir, 'raft.py'), applyPatches('CommitByCounting', 'examples/py-raft', COMMIT_BY_COUNTING, 'raft.py', readFileSync(join(EXAMPLE, 'raft.py'), 'utf8')));
  return dir;
}

describe('py-raft with a planted bug: an earlier term committed by counting (Figure 8)', () => {
  it('is found, shrunk to at most 20 steps and written; validate fails on the file alone naming LEA-4; the same seed finds the same trace', () => {
    const copy = plantedCopy();
    const out = mkdtempSync(join(tmpdir(), 'py-raft-regressions-'));
    // Seed 1: the choices of the first schedules, which the example passes (above), fail against the copy.
    const cfg: DriveConfig = { seed: 1, count: 30, steps: 150, servers: nodeIds(3), outDir: out };
    const { r } = driveStdio(copy, cfg);
    expect(r.fault?.line ?? null).toBeNull();
    const f = r.failure;
    if (!f || !f.file) throw new Error(`the planted bug was not found (or not written): ${JSON.stringify(r.totals)}`);
    expect(f.trace.steps.length).toBeLessThanOrEqual(20);
    expect(f.foundSteps).toBeGreaterThan(f.trace.steps.length);
    expect(f.file.startsWith(out)).toBe(true);
    // What the leader did, and the rule that forbids it.
    expect(f.report).toMatch(/commitIndex: expected \d+, got \d+/);
    expect(f.report).toContain('LEA-4 not applicable');
    // The implementation's observations are in the file: validate needs nothing else.
    const written = JSON.parse(readFileSync(f.file, 'utf8')) as Trace;
    expect(written.steps.length).toBe(f.trace.steps.length);
    expect(written.steps.some((s) => s.expect?.nodes !== undefined && s.sent !== undefined)).toBe(true);
    const lines: string[] = [];
    expect(main(['validate', f.file], (l) => lines.push(l))).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/^FAIL /);
    expect(text).toContain('LEA-4');
    expect(text).toContain('an earlier term\'s entry is never committed by counting');
    // Deterministic: the same campaign, in a fresh child, finds the same trace (the same file, reused).
    const again = driveStdio(copy, cfg).r.failure;
    expect(again?.file).toBe(f.file);
    expect(JSON.stringify(again?.trace)).toBe(JSON.stringify(f.trace));
    expect(readdirSync(out)).toHaveLength(1);
  });
});
