// `npm run bench:large`: the commands on one very long trace (issue: reliable at the edges, large
// runs stream). Records a seeded run of N steps (default 10^6) with `raftspec record`, then runs
// `raftspec validate` and `raftspec check` on the file, each command in a child process, and prints
// for each its wall-clock time and peak RSS (the child's own maxRSS, from process.resourceUsage at
// its exit). The target: peak RSS under 500 MB for record and validate, whatever N.
// Usage: node --import tsx bench/large.ts [N] [--clients] [--keep]   (the file goes to the OS temp folder; removed unless --keep)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const steps = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const extra = args.includes('--clients') ? ['--clients'] : [];
const keep = args.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'raftspec-large-'));
const file = join(dir, `recorded-${steps}.json`);
const rssFile = join(dir, 'rss');
// Loaded into each child before the CLI: writes the child's peak RSS (KB) when it exits.
const probe = `data:text/javascript,${encodeURIComponent(`import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)));`)}`;

interface Figure { command: string; seconds: number; rssMB: number; code: number | null; last: string }

function run(label: string, cliArgs: string[]): Figure {
  rmSync(rssFile, { force: true });
  process.stderr.write(`${label}: raftspec ${cliArgs.join(' ')}\n`);
  const t0 = performance.now();
  // stderr (progress lines) goes through; stdout is kept for its last line.
  const r = spawnSync(process.execPath, ['--import', probe, 'bin/raftspec.mjs', ...cliArgs], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RSS_FILE: rssFile }, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  let rssKB = NaN;
  try { rssKB = Number(readFileSync(rssFile, 'utf8')); } catch { /* the child died before exit */ }
  const out = String(r.stdout ?? '').trim().split('\n');
  return { command: label, seconds, rssMB: rssKB / 1024, code: r.status, last: out[0] ?? '' };
}

const figures: Figure[] = [];
try {
  figures.push(run('record', ['record', '--seed', '1', '--steps', String(steps), ...extra, '--out', file]));
  const size = statSync(file).size;
  process.stderr.write(`  the trace: ${(size / 1048576).toFixed(0)} MB\n`);
  figures.push(run('validate', ['validate', file]));
  figures.push(run('check', ['check', file]));
  console.log(`\n${steps} steps${extra.length ? ` (${extra.join(' ')})` : ''}, a trace of ${(size / 1048576).toFixed(0)} MB:`);
  console.log('command    time (s)   peak RSS (MB)   exit   first line');
  for (const f of figures) console.log(`${f.command.padEnd(10)} ${f.seconds.toFixed(1).padStart(8)}   ${f.rssMB.toFixed(0).padStart(13)}   ${String(f.code).padStart(4)}   ${f.last.slice(0, 100)}`);
  const over = figures.filter((f) => (f.command === 'record' || f.command === 'validate') && !(f.rssMB < 500));
  console.log(over.length === 0 ? 'peak RSS of record and validate under 500 MB' : `OVER 500 MB: ${over.map((f) => f.command).join(', ')}`);
  process.exitCode = figures.every((f) => f.code === 0) && over.length === 0 ? 0 : 1;
} finally {
  if (keep) console.log(`kept ${file}`);
  else rmSync(dir, { recursive: true, force: true });
}
