// Every row of the edge-case table (test/edge-cases.ts, docs/edge-cases.md) that fits in a unit
// test, end to end: the CLI is spawned in a temp folder of the row's own, with a time bound, and its
// exit code and its one answer line are checked, with no stack trace and no internal error.
//
// Speed: a spawn of bin/raftspec.mjs costs about 2 s (tsx compiles the sources), so the rows run
// against one bundle of the same sources made by esbuild at the start (about 0.5 s a spawn), three
// at a time. RAFTSPEC_EDGE_CLI=bin runs them against bin/raftspec.mjs instead (slower, the real
// entry point). RAFTSPEC_EDGE_BENCH=1 runs only the rows marked bench. The rows of the group "campaign regressions" that need a failing campaign run
// against a second bundle whose impl/ starts each election at currentTerm + 2.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { DOC_PATH, EDGE_CASES, ROOT, makeCtx, renderDoc, type EdgeCase, type Tag } from './edge-cases.js';

const BASE = mkdtempSync(join(tmpdir(), 'raftspec-edge-'));
chmodSync(BASE, 0o755);
const AS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;
const DEFAULT_TIMEOUT_MS = 15_000;
const CONCURRENCY = 3;

/** The planted bug of the mutant build: every election starts at currentTerm + 2, so the first election diverges. */
const MUTANT_PATCH = { file: /impl[\\/]election\.ts$/, find: 'r.currentTerm += 1;', replace: 'r.currentTerm += 2;' };

const CLI: { real: string[]; mutant: string[] } = { real: [], mutant: [] };

async function bundle(name: string, plugins: Plugin[]): Promise<string> {
  const entry = join(BASE, `${name}-entry.ts`);
  writeFileSync(entry, `import { run } from ${JSON.stringify(join(ROOT, 'conformance', 'cli.ts'))};\nrun();\n`);
  const out = join(BASE, `${name}.cjs`);
  // CommonJS, with import.meta.url the URL of conformance/cli.ts in every module: the sources that
  // find the package from their own location still find ROOT, and cli.ts's own "run when I am the
  // main module" check stays false, so run() is called once, by the entry.
  const url = pathToFileURL(join(ROOT, 'conformance', 'cli.ts')).href;
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, logLevel: 'silent', plugins, absWorkingDir: ROOT, define: { 'import.meta.url': JSON.stringify(url) } });
  chmodSync(out, 0o644);
  return out;
}

const mutantPlugin: Plugin = {
  name: 'plant-bug',
  setup(b) {
    b.onLoad({ filter: MUTANT_PATCH.file }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const at = text.indexOf(MUTANT_PATCH.find);
      if (at < 0 || text.indexOf(MUTANT_PATCH.find, at + 1) >= 0) throw new Error(`the planted bug's patch must match exactly once in ${args.path}: ${MUTANT_PATCH.find}`);
      return { contents: text.slice(0, at) + MUTANT_PATCH.replace + text.slice(at + MUTANT_PATCH.find.length), loader: 'ts' };
    });
  },
};

beforeAll(async () => {
  const bin = [join(ROOT, 'bin', 'raftspec.mjs')];
  CLI.real = process.env.RAFTSPEC_EDGE_CLI === 'bin' ? bin : [await bundle('real', [])];
  CLI.mutant = [await bundle('mutant', [mutantPlugin])];
}, 120_000);

// RAFTSPEC_EDGE_KEEP=1 keeps the rows' folders (and prints where) to look at what a row left.
afterAll(() => {
  if (process.env.RAFTSPEC_EDGE_KEEP === '1') console.log(`edge cases: the rows' folders are in ${BASE}`);
  else rmSync(BASE, { recursive: true, force: true });
});

// -----------------------------------------------------------------------------------------------
// Running one row

interface Run { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number; timedOut: boolean; killedByUs: boolean }

let running = 0;
const waiting: Array<() => void> = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  running++;
  try { return await f(); } finally { running--; waiting.shift()?.(); }
}

function spawnCli(argv: readonly string[], args: readonly string[], cwd: string, o: { timeoutMs: number; unprivileged: boolean; kill?: EdgeCase['kill']; closeStdout?: boolean }): Promise<Run> {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(process.execPath, [...argv, ...args], {
      cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
      ...(o.unprivileged && AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let killedByUs = false;
    child.stdout.on('data', (b: Buffer) => {
      if (o.closeStdout) { child.stdout.destroy(); return; }
      size += b.length;
      if (size < 8_000_000) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => { if (err.length < 10_000) err.push(b); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs);
    const killer = o.kill ? setTimeout(() => { killedByUs = true; child.kill(o.kill?.signal); }, o.kill.afterMs) : undefined;
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - start, timedOut, killedByUs });
    });
  });
}

const TAG_TEXT: Partial<Record<Tag, string>> = { BAD: 'BAD ', FAIL: 'FAIL', PASS: 'PASS', SAME: 'SAME', DIVERGE: 'DIVERGE' };
const CRASH = /^\s+at |raftspec: internal error|Maximum call stack|heap out of memory|FATAL ERROR|ERR_STRING_TOO_LONG|Invalid string length/m;

/** The per-file line of `target` with this tag. */
function fileLine(stdout: string, tag: Tag, target: string): { line: string; next: string | undefined } | undefined {
  const lines = stdout.split('\n');
  const head = `${TAG_TEXT[tag] ?? tag} ${target}`;
  const k = lines.findIndex((l) => l.startsWith(`${head}:`) || l.startsWith(`${head} (`));
  return k < 0 ? undefined : { line: lines[k] as string, next: lines[k + 1] };
}

/** What is wrong with a run of a row (empty when it gives its answer). */
export function problems(c: EdgeCase, target: string, r: Run, after: string | undefined): string[] {
  const p: string[] = [];
  const e = c.expect;
  const all = `${r.stdout}\n${r.stderr}`;
  if (r.timedOut) p.push(`no answer within ${c.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms (hangs)`);
  if (e.exit === 'killed') {
    if (!r.killedByUs) p.push(`expected the run still going when killed after ${c.kill?.afterMs} ms, it ended with exit ${r.status}`);
  } else if (!r.timedOut && r.status !== e.exit) p.push(`exit ${r.status ?? r.signal}, expected ${e.exit}`);
  if (CRASH.test(all)) p.push(`a crash in the output: ${(CRASH.exec(all)?.[0] ?? '').trim()}`);
  let line: string | undefined;
  if (e.tag === 'raftspec') {
    line = r.stderr.split('\n')[0] ?? '';
    if (!line.startsWith('raftspec: ')) p.push('stderr does not start with a `raftspec: ` line');
    else if (!line.includes(target)) p.push(`the line does not name ${target}`);
  } else if (e.tag === 'wrote' || e.tag === 'recorded') {
    line = r.stdout.split('\n').find((l) => l.startsWith(`${e.tag} `));
    if (!line) p.push(`no \`${e.tag} ...\` line`);
  } else if (e.tag === 'ADAPTER FAULT') {
    line = r.stdout.split('\n').find((l) => l.startsWith('ADAPTER FAULT '));
    if (!line) p.push('no `ADAPTER FAULT ...` line');
  } else if (e.tag === 'campaign-fail') {
    if (!/^FAIL campaign seed/m.test(r.stdout)) p.push('no `FAIL campaign seed ...` line');
    line = all;
  } else if (e.tag === 'none') {
    line = r.stdout;
  } else {
    const found = fileLine(r.stdout, e.tag, target);
    if (!found) p.push(`no \`${TAG_TEXT[e.tag]} ${target}...\` line`);
    else {
      line = found.line;
      if (e.pointer !== undefined) {
        const rest = found.line.slice(`${TAG_TEXT[e.tag]} ${target}: `.length);
        const ptr = rest.split(': ')[0] ?? '';
        const ok = typeof e.pointer === 'string' ? ptr === e.pointer : e.pointer.test(ptr);
        if (!ok) p.push(`JSON pointer ${JSON.stringify(ptr)}, expected ${String(e.pointer)}`);
      }
      if (e.tag === 'BAD' && found.next !== undefined && /^\s/.test(found.next)) p.push('the BAD answer is more than one line');
    }
  }
  if (line !== undefined) {
    if (e.says && !e.says.test(line)) p.push(`the answer does not say ${String(e.says)}`);
    if (e.saysNot && e.saysNot.test(line)) p.push(`the answer says ${String(e.saysNot)}`);
  }
  if (e.summary !== undefined) {
    const ok = typeof e.summary === 'string' ? r.stdout.split('\n').includes(e.summary) : e.summary.test(r.stdout);
    if (!ok) p.push(`no summary line ${typeof e.summary === 'string' ? `\`${e.summary}\`` : String(e.summary)}`);
  }
  for (const o of e.others ?? []) if (!fileLine(r.stdout, o.tag, o.target)) p.push(`no \`${TAG_TEXT[o.tag]} ${o.target}\` line`);
  if (after) p.push(after);
  return p;
}

async function runRow(c: EdgeCase): Promise<{ problems: string[]; r: Run; args: readonly string[] }> {
  const dir = join(BASE, c.id);
  mkdirSync(dir, { recursive: true });
  const ctx = makeCtx(dir);
  const argv = c.cli === 'mutant' ? CLI.mutant : CLI.real;
  const unprivileged = c.unprivileged === true;
  const timeoutMs = c.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (unprivileged && AS_ROOT) chmodSync(dir, 0o777);
  if (c.before) {
    const args0 = c.before(ctx);
    if (unprivileged && AS_ROOT) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
    await spawnCli(argv, args0, dir, { timeoutMs, unprivileged });
  }
  const { args, target } = c.setup(ctx);
  if (unprivileged && AS_ROOT) execFileSync('chown', ['-R', '-h', `${NOBODY}:${NOBODY}`, dir]);
  const r = await spawnCli(argv, args, dir, { timeoutMs, unprivileged, ...(c.kill ? { kill: c.kill } : {}), ...(c.closeStdout ? { closeStdout: true } : {}) });
  let after: string | undefined;
  try { after = c.expect.after?.(ctx, r); } catch (e) { after = `the row's check failed: ${(e as Error).message}`; }
  // Leave the folder removable.
  if (existsSync(dir)) try { execFileSync('chmod', ['-R', 'u+rwx', dir]); } catch { /* best effort */ }
  return { problems: problems(c, target, r, after), r, args };
}

const short = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);

// -----------------------------------------------------------------------------------------------

describe('the edge-case table', () => {
  it('docs/edge-cases.md is generated from test/edge-cases.ts (npx tsx scripts/edge-cases-doc.ts)', () => {
    expect(existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '(missing)').toBe(renderDoc());
  });

  it('has 130 rows with unique IDs; those not run here are each marked bench with the command that runs them', () => {
    expect(EDGE_CASES).toHaveLength(130);
    expect(new Set(EDGE_CASES.map((c) => c.id)).size).toBe(EDGE_CASES.length);
    for (const c of EDGE_CASES.filter((x) => x.bench)) expect(c.bench, c.id).toMatch(/^npm run bench:large/);
  });
});

/** RAFTSPEC_EDGE_BENCH=1 runs the rows marked bench instead (for `npm run bench:large`): minutes, and a 600 MB file. */
const BENCH_ONLY = process.env.RAFTSPEC_EDGE_BENCH === '1';

describe.concurrent(BENCH_ONLY ? 'edge cases: the rows marked bench' : 'edge cases: every row not marked bench', () => {
  for (const c of EDGE_CASES.filter((x) => (x.bench !== undefined) === BENCH_ONLY)) {
    const budget = ((c.timeoutMs ?? DEFAULT_TIMEOUT_MS) * (c.before ? 2 : 1)) + 60_000;
    it(`${c.id} ${c.command}: ${c.input}`, async ({ expect: ex }) => {
      const { problems: p, r, args } = await slot(() => runRow(c));
      ex(p, [
        `raftspec ${args.map((a) => (/^[\w./=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}${c.unprivileged && AS_ROOT ? ' (as nobody)' : ''}`,
        `expected: ${c.answer}`,
        `got exit ${r.status ?? r.signal} in ${r.ms} ms`,
        `stdout: ${short(r.stdout)}`,
        `stderr: ${short(r.stderr)}`,
      ].join('\n')).toEqual([]);
    }, budget);
  }
});
