// The command line: `raftspec <command> [options]`. The one place where results become printed
// lines and exit codes: 0 when all holds, 1 on a divergence or a violation, 2 on bad input or bad
// usage (one line each, never a stack trace), 3 on an internal error of raftspec.
import { parseArgs } from 'node:util';
import type { NodeId, ProtocolOptions, Trace } from '../spec/schema.js';
import { loadTraceFile, stackOverflowAsBadInput } from './load.js';
import { collectTraceFiles } from './files.js';
import { OutputPathError, checkOutputPath, joinNegativeNumbers, writeErrorLine } from './output.js';
import { MAX_INT } from '../spec/schema.js';
import { replayModel } from './replay.js';
import { lockstep, type LockstepResult } from './lockstep.js';
import { formatReport, describeResult, describeTaken } from './report.js';
import { DEFAULT_MAX_FRONTIER, validateBySearch, type SearchResult } from './search.js';
import { CHOICE_POINTS, MODEL_PROFILE, choiceOf, type AlternativeLetter, type ChoiceId, type Profile } from '../spec/choices.js';
import { generateFixtures, nodeIds, runCampaign, writeFileAtomic, type CampaignResult } from './campaign.js';
import { recordStream } from './record.js';
import { forEachFixture } from './produce.js';
import { compareOptions, describeComparison, type CompareResult } from './compare.js';
import { DEFAULT_CLIENTS, type ClientOptions, type MembershipOptions } from './generate.js';
import { join, relative, resolve } from 'node:path';
import { TRACES_DIR } from '../spec/paths.js';
import { RULES } from '../spec/rules.js';
import { runTraceFile, writeTraceStream, type StreamTrace } from './stream.js';
import type { Adapter } from './adapter.js';
import { AdapterFault } from './adapter.js';
import { stdioAdapter, DEFAULT_STEP_TIMEOUT_MS } from './stdio-adapter.js';
import { DriveInputError, driveCampaign, driveReplay, type DriveCampaignResult, type DriveFault, type DriveReplayResult } from './drive.js';
import { pathToFileURL } from 'node:url';
import { existsSync, statSync } from 'node:fs';
import { compileCommand, isScript, rewriteCommand, runScriptFile } from './script-cli.js';
import { HtmlInputError, HtmlTarget, writeRegressionHtml } from './report/html.js';

const USAGE = `usage: raftspec <command> [options]

commands:
  check <files|folders>      model and implementation in lockstep, plus each trace's own
                             expectations and every invariant after every step (a *.trace
                             script named explicitly is compiled first, docs/trace-scripts.md)
  check --rewrite <scripts|folders>
                             each trace script run through the model, and the model's values
                             written into the expectation lines it disagrees with, in place
  compile <scripts|folders> [-o out.json]
                             a trace script (*.trace, docs/trace-scripts.md) compiled to its
                             JSON trace, beside it (x.trace -> x.json) or to -o (- : stdout)
  validate <files|folders>   a trace recorded by any implementation, checked against the model
                             alone: it passes when some sequence of the alternatives Figure 2
                             permits (docs/choices.md) explains every step; only the fields the
                             trace observes are compared; reports the alternatives taken
  gen --seed N --count N --steps N --out DIR
                             generated fixtures with the model's observations, reproducible from
                             the seed (the same seed writes the same bytes)
  record --seed N --steps N --out FILE
                             a seeded run of the implementation in a simulated cluster, with its
                             own observations after every step (check it with validate)
  campaign --seed N --count N --steps N [--regressions DIR]
                             generated schedules through the lockstep runner; a failure is shrunk
                             and written to DIR (default traces/regressions)
  diff <files|folders> OPTION-FLAGS
                             reviewing a protocol change: each trace through the model as
                             written and with the option flags laid over its options; prints
                             the first step where the two runs differ (exit 1 if any differs)
  report <file> --html FILE  validate one trace and write its HTML report: a space-time diagram,
                             every server's state at each step, the failing step (docs/cli.md)
  drive (--adapter "CMD" | --adapter-module FILE) [--seed N --count N --steps N --servers N]
        [--out DIR] [--step-timeout MS] [--replay-bundled | files|folders]
                             your implementation's servers in raftspec's simulated cluster, through
                             an adapter (docs/drive.md): a campaign of seeded schedules drawn from
                             the events and options it declares, each validated by search; a
                             failure is shrunk and written to DIR with its observations (check it
                             with validate); --replay-bundled or files: the traces' schedules
  start [files|folders]      what \`npm start\` runs: check the bundled traces (default traces/),
                             then thirteen seeded campaigns (3 servers; 5 servers with batches
                             of 4; 3 servers with batches of 4 and fast backtracking; with
                             clients, reads and snapshots: 3 servers, lease reads, and 5
                             servers with the leader no-op; PreVote, CheckQuorum, the disruption guard and
                             leadership transfer; pipelining with flow control; membership
                             changes alone, and with every option and clients; a profile of
                             alternatives drawn per schedule, with clients, and with every
                             option, clients and membership; follower reads with syncs and
                             lease reads, on 5 servers), then which rules fired; with
                             --json, one JSON object

options:
  The protocol option flags (--max-entries, --fast-backtracking, --chunk-size, --leader-noop,
  --pre-vote, --check-quorum, --disruption-guard, --leadership-transfer, --pipelining,
  --flow-control, --follower-reads) given to check or validate override the traces' own options; to diff they are
  the change.
  --servers N        cluster size for gen, record, campaign, drive (default 3)
  --max-entries N    protocol option maxEntriesPerAppendEntries (default 1)
  --fast-backtracking  protocol option fastBacktracking (FB-1, FB-2; default off)
  --chunk-size N     protocol option snapshotChunkSize: characters per InstallSnapshot (default 64)
  --leader-noop      protocol option leaderNoop (CLI-3; default off)
  --lease-reads      protocol option leaseReads (LR-1..LR-3; default off); generated schedules
                     keep its clock assumption
  --pre-vote         protocol option preVote (PV-1..PV-3; default off)
  --check-quorum     protocol option checkQuorum (CQ-1; default off)
  --disruption-guard protocol option disruptionGuard (CFG-6; default off)
  --leadership-transfer  protocol option leadershipTransfer (LT-1..LT-5; default off); gen,
                     record and campaign then also generate transferLeadership events
  --pipelining       protocol option pipelining (PIP-1, PIP-2; default off)
  --flow-control N   protocol option flowControlWindow (FC-1..FC-3; default off)
  --follower-reads   protocol option followerReads (FR-1..FR-4; default off): reads from any
                     server, checked against ZooKeeper's guarantees (ZK-1..ZK-4) instead of
                     LIN-1; with --clients, gen, record and campaign also generate syncs
  --clients          gen, record, campaign: key-value clients (retries, ReadIndex reads) and
                     snapshots instead of opaque commands
  --membership       gen, record, campaign: membership changes (reconfigure events: learners,
                     promotions, removals, joint changes) from a bootstrap configuration of
                     the first N-2 servers (docs/membership.md)
  --pin ALTS         validate: permit only these alternatives at their choice points
                     (comma-separated, e.g. DEC-3a,DEC-17b; \`model\` pins the model's own
                     alternative everywhere); overrides the trace's profile
  --keep-going       validate: after a step no run explains, go on from the implementation's
                     observed state and list every distinct deviation (field and rules, first
                     step, count) instead of stopping at the first
  --max-frontier N   validate: past N model states explaining the trace, stop UNDECIDED
                     (default ${DEFAULT_MAX_FRONTIER})
  --adapter "CMD"    drive: the shell command that starts the adapter (JSON lines on its
                     stdin and stdout, docs/drive.md)
  --adapter-module FILE  drive: a JavaScript or TypeScript module exporting createAdapter(),
                     which returns an Adapter (conformance/adapter.ts), in-process
  --out DIR          drive: where a shrunk failure or an adapter fault's schedule is written
                     (default raftspec-drive)
  -o, --out FILE     compile: where one script's JSON trace goes (- : standard output)
  --rewrite          check: write the model's values into the scripts' expectation lines
  --step-timeout MS  drive --adapter: how long one request may take (default ${DEFAULT_STEP_TIMEOUT_MS})
  --replay-bundled   drive: replay the bundled traces' schedules (those the adapter can: no
                     initial state, only declared events and options) instead of a campaign
  --html FILE        check, validate, report: also write the run's HTML report (one trace);
                     diff: the two runs side by side (one trace); at most 5000 steps
  --json             machine-readable output on stdout
  -h, --help         this text

exit codes: 0 all holds; 1 a divergence, a failed expectation or a violated invariant;
2 bad input or bad usage; 3 an internal error of raftspec (please report it); 4 undecided
(validate: more explanations than --max-frontier, and nothing failed); 5 an adapter fault
(drive: the adapter hung, exited or answered out of protocol)`;

class UsageError extends Error {}

type Out = { json: boolean; log: (line: string) => void };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function intOption(values: Record<string, unknown>, name: string, fallback?: number, min = 0, max = MAX_INT, why = ' (2^31-1)'): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  // Decimal digits only: Number() would also take 0x10, 1e3, ' 7 ' and 0b1.
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} expects a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  if (n > max) throw new UsageError(`--${name} expects a whole number from ${min} to ${max}${why}, got ${JSON.stringify(raw)}`);
  return n;
}

/** The largest seed: fast-check's seeds are 32 bits, so a larger one would repeat the run of a smaller one. */
const MAX_SEED = 2 ** 32 - 1;
function seedOption(values: Record<string, unknown>): number {
  return intOption(values, 'seed', undefined, 0, MAX_SEED, ' (2^32-1: seeds are 32 bits, a larger one would repeat the run of a smaller one)');
}

function protocolOptions(values: Record<string, unknown>): ProtocolOptions | undefined {
  const o: ProtocolOptions = {};
  if (values['max-entries'] !== undefined) o.maxEntriesPerAppendEntries = intOption(values, 'max-entries', 1, 1);
  if (values['fast-backtracking'] === true) o.fastBacktracking = true;
  if (values['chunk-size'] !== undefined) o.snapshotChunkSize = intOption(values, 'chunk-size', 64, 1);
  if (values['leader-noop'] === true) o.leaderNoop = true;
  if (values['lease-reads'] === true) o.leaseReads = true;
  if (values['pre-vote'] === true) o.preVote = true;
  if (values['check-quorum'] === true) o.checkQuorum = true;
  if (values['disruption-guard'] === true) o.disruptionGuard = true;
  if (values['leadership-transfer'] === true) o.leadershipTransfer = true;
  if (values.pipelining === true) o.pipelining = true;
  if (values['flow-control'] !== undefined) o.flowControlWindow = intOption(values, 'flow-control', 1, 1);
  if (values['follower-reads'] === true) o.followerReads = true;
  return Object.keys(o).length > 0 ? o : undefined;
}

const clientsOption = (values: Record<string, unknown>): ClientOptions | undefined => (values.clients === true ? DEFAULT_CLIENTS : undefined);
const membershipOption = (values: Record<string, unknown>): MembershipOptions | undefined => (values.membership === true ? {} : undefined);

/** `gen --json` lists every file written up to this many traces; past it, the folder, the count, the first and the last. */
const GEN_LIST_MAX = 100_000;

/** A progress line on stderr, at most every two seconds, for runs longer than a few seconds. */
function progress(json: boolean): (what: string) => void {
  const start = Date.now();
  let last = start;
  return (what) => {
    const now = Date.now();
    if (json || now - last < 2000 || now - start < 3000) return;
    last = now;
    process.stderr.write(`  ... ${what}\n`);
  };
}

type Runner = (trace: StreamTrace) => ReturnType<typeof replayModel> | LockstepResult | SearchResult;

/** --pin: alternative IDs (DEC-3a, DEC-17b), or `model` for the model's own alternative at every choice point. */
function pinOption(values: Record<string, unknown>): Profile | undefined {
  const raw = values.pin;
  if (raw === undefined) return undefined;
  if (raw === 'model') return MODEL_PROFILE;
  const out: Partial<Record<ChoiceId, AlternativeLetter[]>> = {};
  for (const id of String(raw).split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const c = choiceOf(id);
    if (!c) throw new UsageError(`--pin expects alternatives of docs/choices.md (${CHOICE_POINTS.flatMap((p) => p.alternatives.map((a) => a.id)).join(', ')}) or "model", got ${JSON.stringify(id)}`);
    (out[c.id] ??= []).push(id.slice(-1) as AlternativeLetter);
  }
  return out;
}

function runFiles(paths: readonly string[], runner: Runner, out: Out): { code: number; json: unknown } {
  const { files, missing, problems } = collectTraceFiles(paths);
  const results: Array<{ file: string; result: ReturnType<Runner> }> = [...missing.map((file) => ({ file, expected: 'no such file or folder' })), ...problems]
    .map(({ file, expected }) => ({ file, result: { status: 'bad-input', path: '/', expected } }));
  const tick = progress(out.json);
  for (const [k, file] of files.entries()) {
    // A large file is read as a stream, its steps one at a time (conformance/stream.ts), with progress during the work.
    let result: ReturnType<Runner>;
    try {
      // A trace script (docs/trace-scripts.md) named explicitly: compiled, then run.
      result = isScript(file) ? runScriptFile(file, runner) : runTraceFile(file, runner, (n, bytes, size, phase) => {
        const where = `${Math.round((100 * bytes) / size)}% of ${Math.round(size / 1048576)} MB (trace ${k + 1}/${files.length})`;
        if (phase === 'scan') tick(`${file}: reading its fields, ${where}`);
        else if (n % 128 === 0) tick(`${file}: step ${n}, ${where}`);
      });
    } catch (e) {
      // Data nested too deeply for one step of the checker: bad input for this file, not an internal error for all.
      result = stackOverflowAsBadInput(e);
    }
    results.push({ file, result });
    tick(`${k + 1}/${files.length} traces`);
  }
  const summary = { traces: results.length, passed: 0, failed: 0, diverged: 0, badInput: 0, undecided: 0 };
  const taken = new Map<string, number>();
  for (const { result } of results) {
    if (result.status === 'pass') summary.passed++;
    else if (result.status === 'fail') summary.failed++;
    else if (result.status === 'diverge') summary.diverged++;
    else if (result.status === 'undecided') summary.undecided++;
    else summary.badInput++;
    if ('taken' in result) for (const [id, n] of Object.entries(result.taken ?? {})) taken.set(id, (taken.get(id) ?? 0) + n);
  }
  if (results.length === 0) throw new UsageError(`no trace files found in ${paths.join(', ')}`);
  const takenAll = Object.fromEntries(taken);
  const json = { ...summary, ...(taken.size > 0 ? { taken: takenAll } : {}), results: results.map(({ file, result }) => ({ file, ...result, ...(result.status === 'pass' ? {} : { report: describeResult(result) }) })) };
  if (!out.json) {
    for (const { file, result } of results) out.log(formatReport(file, result));
    out.log(`${plural(summary.traces, 'trace')}: ${summary.passed} passed, ${summary.failed + summary.diverged} failed${summary.diverged ? ` (${summary.diverged} diverged)` : ''}, ${summary.badInput} bad input${summary.undecided ? `, ${summary.undecided} undecided` : ''}`);
    if (taken.size > 0) out.log(`alternatives taken (steps where only that one explains the trace): ${describeTaken(takenAll)}`);
  }
  return { code: summary.badInput > 0 ? 2 : summary.failed + summary.diverged > 0 ? 1 : summary.undecided > 0 ? 4 : 0, json };
}

/**
 * `--html FILE` (check, validate, report): the one trace is read and its length checked before the
 * run; after it, its HTML report is written, failing or not. No page for bad input: its one line stays
 * the whole answer. Without --html nothing but the text is written, failing or not.
 */
function runWithHtml(command: string, paths: readonly string[], runner: Runner, htmlOut: string | undefined, over: ProtocolOptions | undefined, out: Out): { code: number; json: unknown } {
  if (htmlOut === undefined) return runFiles(paths, runner, out);
  const target = HtmlTarget.prepare(htmlOut, paths);
  return withHtml(runFiles(paths, target.capture(runner), out), target.writeRun(command, over), out);
}

/** The path of the HTML report written (null: none), added to the text and the JSON. */
function withHtml(r: { code: number; json: unknown }, written: string | null, out: Out): { code: number; json: unknown } {
  if (written === null) return r;
  if (!out.json) out.log(`HTML report: ${written}`);
  return { code: r.code, json: { ...(r.json as object), html: written } };
}

function campaign(cfg: { seed: number; count: number; steps: number; servers: readonly NodeId[]; options?: ProtocolOptions; clients?: ClientOptions; membership?: MembershipOptions; randomProfiles?: boolean; regressionsDir: string }, out: Out): { code: number; result: CampaignResult; json: unknown } {
  const tick = progress(out.json);
  const result = runCampaign({ ...cfg, onProgress: (n) => tick(`campaign seed ${cfg.seed}: ${n}/${cfg.count} schedules`) });
  const t = result.totals;
  const pct = (n: number) => `${t.traces ? Math.round((100 * n) / t.traces) : 0}%`;
  const label = `campaign seed ${cfg.seed}, ${cfg.servers.length} servers${cfg.options ? `, ${JSON.stringify(cfg.options)}` : ''}${cfg.clients ? ', clients' : ''}${cfg.membership ? ', membership changes' : ''}${cfg.randomProfiles ? ', random profiles' : ''}`;
  const f = result.failure;
  // The shrunk trace's HTML report beside it (<name>.html), as `check --html` would write it.
  const html = f?.file ? writeRegressionHtml(f.file, f.trace, f.result, 'campaign') : null;
  // A trace that could be written nowhere is in the JSON itself.
  const json = { campaign: { ...cfg, servers: cfg.servers.length, clients: cfg.clients !== undefined, membership: cfg.membership !== undefined }, totals: t, failure: f ? { report: f.report, file: f.file, ...(f.writeError ? { writeError: f.writeError } : {}), ...(f.file === null ? { trace: f.trace } : {}), ...(html ? ('file' in html ? { html: html.file } : { htmlError: html.error }) : {}), path: f.path, steps: f.trace.steps.length, foundSteps: f.found.steps.length } : null };
  if (!out.json) {
    const clientShares = cfg.clients ? `; a snapshot ${pct(t.withSnapshot)}, an InstallSnapshot ${pct(t.withInstall)}; ${t.answered} client operations answered, ${t.reads} of them reads` : '';
    const membershipShares = cfg.membership ? `; a configuration change ${pct(t.withReconfiguration)}, ${t.reconfigurations} configuration entries, ${t.removedLeaders} removed leaders stepped down` : '';
    out.log(`${result.failure ? 'FAIL' : 'PASS'} ${label}: ${t.traces} schedules, ${t.steps} steps; with a commit ${pct(t.withCommit)}, a term change ${pct(t.withTermChange)}, a truncation ${pct(t.withTruncation)}${clientShares}${membershipShares}`);
    if (f) {
      if (f.writeError) out.log(`     ${f.writeError}`);
      out.log(`     shrunk to ${f.trace.steps.length} steps${f.file ? `, written to ${f.file}` : ''}; reproduce with: raftspec check ${f.file ?? '<the trace below, saved to a file>'}`);
      if (html) out.log(`     ${'file' in html ? `its HTML report: ${html.file}` : html.error}`);
      out.log(`     ${f.report.replace(/\n/g, '\n     ')}`);
      if (f.file === null) {
        out.log('     the shrunk trace:');
        out.log(JSON.stringify(f.trace, null, 2));
      }
    }
  }
  return { code: result.failure ? 1 : 0, result, json };
}

/** Where `drive` writes a shrunk failure or a fault's schedule unless --out says. */
const DRIVE_OUT = 'raftspec-drive';

/**
 * `drive`: the adapter (a child speaking JSON lines, or a module loaded by mainAsync), then a
 * campaign or replays. Exit codes: 0 all pass, 1 a failure (shrunk and written), 2 bad usage or
 * input, 4 undecided, 5 an adapter fault (its schedule so far written to --out).
 */
function drive(values: Record<string, unknown>, paths: readonly string[], out: Out, loaded: LoadedModule | undefined): { code: number; json: unknown } {
  const command = values.adapter as string | undefined;
  const module = values['adapter-module'] as string | undefined;
  if ((command === undefined) === (module === undefined)) throw new UsageError('drive expects one of --adapter "<shell command>" and --adapter-module <file exporting createAdapter()>');
  if (command !== undefined && command.trim() === '') throw new UsageError('--adapter expects a shell command, got an empty one');
  for (const flag of ['max-entries', 'regressions', 'fast-backtracking', 'chunk-size', 'leader-noop', 'clients', 'lease-reads', 'pre-vote', 'check-quorum',
    'disruption-guard', 'leadership-transfer', 'pipelining', 'flow-control', 'follower-reads', 'membership', 'pin', 'keep-going', 'max-frontier'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`drive takes no --${flag}: the events and options come from what the adapter declares (docs/drive.md)`);
  }
  const replay = values['replay-bundled'] === true || paths.length > 0;
  if (replay) {
    for (const flag of ['seed', 'count', 'steps', 'servers'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`drive ${paths.length > 0 ? 'with trace files' : '--replay-bundled'} takes no --${flag}: it replays the traces' own schedules`);
    }
    if (values['replay-bundled'] === true && paths.length > 0) throw new UsageError('drive replays either --replay-bundled or the files given, not both');
  }
  if (command === undefined && values['step-timeout'] !== undefined) throw new UsageError('--step-timeout applies to --adapter (a child process); a module runs in-process');
  const seed = replay ? 0 : values.seed === undefined ? 1 : seedOption(values);
  const count = replay ? 0 : intOption(values, 'count', 20, 1);
  const steps = replay ? 0 : intOption(values, 'steps', 150, 1);
  const servers = replay ? [] : nodeIds(intOption(values, 'servers', 3, 1));
  const stepTimeoutMs = intOption(values, 'step-timeout', DEFAULT_STEP_TIMEOUT_MS, 1);
  const outDir = (values.out as string | undefined) ?? DRIVE_OUT;
  // Created only when something is written (a failure, a fault); a path that is no folder is refused now.
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new OutputPathError(`${outDir}: expected a folder for --out DIR, got an existing file`);
  // Replays read the traces before any child starts: a bad file is bad input, whatever the adapter.
  const traces: { file: string; trace: Trace }[] = [];
  if (replay) {
    const { files, missing, problems } = collectTraceFiles(paths.length > 0 ? paths : [relative(process.cwd(), TRACES_DIR) || '.']);
    const unreadable = [...missing.map((f) => `${f}: no such file or folder`), ...problems.map((p) => `${p.file}: ${p.expected}`)];
    for (const file of files) {
      const l = loadTraceFile(file);
      if (l.ok) traces.push({ file, trace: l.trace });
      else unreadable.push(`${file}: ${l.error.path || '/'}: ${l.error.expected}`);
    }
    if (unreadable.length > 0) throw new DriveInputError(`drive cannot replay ${unreadable[0]}${unreadable.length > 1 ? ` (and ${unreadable.length - 1} more)` : ''}`);
    if (traces.length === 0) throw new UsageError(`no trace files found in ${paths.join(', ') || 'the bundled traces'}`);
  }
  let adapter: Adapter;
  if (module !== undefined) {
    if (!loaded) throw new Error('drive --adapter-module: the module was not loaded (run through mainAsync)');
    if ('error' in loaded) throw new DriveInputError(loaded.error);
    adapter = loaded.adapter;
  } else {
    try {
      adapter = stdioAdapter(command as string, { stepTimeoutMs });
    } catch (e) {
      if (!(e instanceof AdapterFault)) throw e;
      const line = `adapter fault at the start (request: ${e.request}): ${e.message.split('\n')[0]}`;
      if (!out.json) out.log(`ADAPTER FAULT ${line}`);
      return { code: 5, json: { drive: { adapter: command }, fault: { line, file: null }, exitCode: 5 } };
    }
  }
  const tick = progress(out.json);
  const flags = command !== undefined ? `--adapter ${JSON.stringify(command)}` : `--adapter-module ${module}`;
  try {
    if (replay) return driveReplayOutput(driveReplay(adapter, traces, { outDir, onProgress: (n) => tick(`drive: ${n}/${traces.length} traces`) }), outDir, out);
    const r = driveCampaign(adapter, { seed, count, steps, servers, outDir, command: `raftspec drive ${flags} --seed ${seed} --count ${count} --steps ${steps} --servers ${servers.length}`, onProgress: (n) => tick(`drive seed ${seed}: ${n}/${count} schedules`) });
    return driveCampaignOutput(r, { seed, count, steps, servers: servers.length, out: outDir }, out);
  } finally {
    try {
      adapter.stop();
    } catch (e) {
      // The work is done; a fault while stopping is worth a line, not another verdict.
      console.error(`raftspec: the adapter faulted as it stopped: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
  }
}

const faultJson = (f: DriveFault) => ({ line: f.line, file: f.file, ...(f.writeError ? { writeError: f.writeError } : {}), ...(f.file === null ? { trace: f.trace } : {}) });

function faultLine(f: DriveFault, out: Out): void {
  const where = f.file ? `the schedule so far: ${f.file}` : f.writeError ? `the schedule so far could not be written: ${f.writeError}` : f.trace.steps.length === 0 ? 'no schedule had started' : null;
  out.log(`ADAPTER FAULT ${f.line}${where ? `; ${where}` : ''}`);
}

function driveCampaignOutput(r: DriveCampaignResult, cfg: { seed: number; count: number; steps: number; servers: number; out: string }, out: Out): { code: number; json: unknown } {
  const t = r.totals;
  const f = r.failure;
  const code = r.fault ? 5 : f ? 1 : t.undecided > 0 ? 4 : 0;
  // The shrunk trace's HTML report beside it (<name>.html), as `validate --html` would write it.
  const html = f?.file ? writeRegressionHtml(f.file, f.trace, f.result, 'drive') : null;
  const json = {
    drive: { adapter: r.hello.name, features: r.hello.features, ...cfg },
    totals: t, taken: r.taken, contradicted: r.contradicted, undecided: r.undecided,
    failure: f ? {
      report: f.report, file: f.file, ...(f.writeError ? { writeError: f.writeError } : {}), ...(f.file === null ? { trace: f.trace } : {}),
      steps: f.trace.steps.length, foundSteps: f.foundSteps, options: f.setting.options ?? {}, clients: f.setting.clients !== undefined, membership: f.setting.membership !== undefined, path: f.path,
      ...(html ? ('file' in html ? { html: html.file } : { htmlError: html.error }) : {}),
    } : null,
    fault: r.fault ? faultJson(r.fault) : null,
    exitCode: code,
  };
  if (out.json) return { code, json };
  if (r.fault) {
    faultLine(r.fault, out);
    return { code, json };
  }
  const pct = (n: number) => `${t.traces ? Math.round((100 * n) / t.traces) : 0}%`;
  const clients = r.hello.features.events.includes('clientRead') ? `; ${t.answered} client operations answered, ${t.reads} of them reads` : '';
  const membership = t.withReconfiguration > 0 ? `; a configuration change ${pct(t.withReconfiguration)}` : '';
  const tag = f ? 'FAIL' : t.undecided > 0 ? 'UNDECIDED' : 'PASS';
  out.log(`${tag} drive seed ${cfg.seed}, ${cfg.servers} servers, ${r.hello.name}: ${t.traces} schedules, ${t.steps} steps, ${plural(t.optionSets, 'option set')}; with a commit ${pct(t.withCommit)}, a term change ${pct(t.withTermChange)}, a truncation ${pct(t.withTruncation)}${clients}${membership}`);
  if (Object.keys(r.taken).length > 0) out.log(`     alternatives taken (steps where only that one explains the trace): ${describeTaken(r.taken)}`);
  for (const c of r.contradicted) out.log(`     the adapter's profile is contradicted: ${c}`);
  for (const u of r.undecided) out.log(`     undecided: ${u}`);
  if (f) {
    if (f.writeError) out.log(`     ${f.writeError}`);
    const setting = `${f.setting.options ? `options ${JSON.stringify(f.setting.options)}` : 'no options'}${f.setting.clients ? ', clients' : ''}${f.setting.membership ? ', membership changes' : ''}`;
    out.log(`     shrunk to ${f.trace.steps.length} steps (from ${f.foundSteps}; ${setting})${f.file ? `, written to ${f.file}` : ''}; reproduce with: raftspec validate ${f.file ?? '<the trace below, saved to a file>'}`);
    if (html) out.log(`     ${'file' in html ? `its HTML report: ${html.file}` : html.error}`);
    out.log(`     ${f.report.replace(/\n/g, '\n     ')}`);
    if (f.file === null) {
      out.log('     the shrunk trace:');
      out.log(JSON.stringify(f.trace, null, 2));
    }
  }
  return { code, json };
}

function driveReplayOutput(r: DriveReplayResult, outDir: string, out: Out): { code: number; json: unknown } {
  const s = r.summary;
  const code = r.fault ? 5 : s.failed > 0 ? 1 : s.undecided > 0 ? 4 : 0;
  const results = r.results.map((x) => {
    switch (x.status) {
      case 'skipped': return { file: x.file, status: x.status, reason: x.reason };
      case 'diverged': return { file: x.file, status: x.status, step: x.step, event: x.event, reason: x.reason };
      default: return { file: x.file, status: x.status, steps: x.recorded.steps.length, ...('taken' in x.result ? { taken: x.result.taken ?? {} } : {}), ...(x.status === 'pass' ? {} : { report: describeResult(x.result) }), ...(x.written ? { recorded: x.written } : {}) };
    }
  });
  const json = { drive: { adapter: r.hello.name, features: r.hello.features, replay: true, out: outDir }, summary: s, taken: r.taken, contradicted: r.contradicted, results, fault: r.fault ? faultJson(r.fault) : null, exitCode: code };
  if (out.json) return { code, json };
  for (const x of r.results) {
    if (x.status === 'skipped') out.log(`SKIP ${x.file}: ${x.reason}`);
    else if (x.status === 'diverged') out.log(`DIVERGED ${x.file}: schedule diverged at step ${x.step} (/steps/${x.step}: ${x.event}): ${x.reason}`);
    else out.log(`${formatReport(x.file, x.result)}${x.written ? `\n     the implementation's recording: ${x.written} (raftspec validate it)` : ''}`);
  }
  if (r.fault) {
    faultLine(r.fault, out);
    return { code, json };
  }
  out.log(`${plural(s.replayed, 'trace')} replayed against ${r.hello.name}: ${s.passed} passed, ${s.failed} failed, ${s.diverged} diverged${s.diverged > 0 ? ' (the implementation did not send a message the schedule names: another schedule, not a failure)' : ''}${s.undecided ? `, ${s.undecided} undecided` : ''}; ${s.skipped} skipped (the adapter cannot replay them)`);
  if (Object.keys(r.taken).length > 0) out.log(`alternatives taken (steps where only that one explains the trace): ${describeTaken(r.taken)}`);
  for (const c of r.contradicted) out.log(`the adapter's profile is contradicted: ${c}`);
  return { code, json };
}

/** A trace with option flags laid over its own options. */
const withOptions = <T extends StreamTrace>(t: T, over: ProtocolOptions | undefined): T => (over ? { ...t, options: { ...(t.options ?? {}), ...over } } : t);

function diffFiles(paths: readonly string[], change: ProtocolOptions, out: Out): { code: number; json: unknown } {
  const { files, missing, problems } = collectTraceFiles(paths);
  const results: Array<{ file: string; result: CompareResult }> = [...missing.map((file) => ({ file, expected: 'no such file or folder' })), ...problems]
    .map(({ file, expected }) => ({ file, result: { status: 'bad-input', path: '/', expected } }));
  for (const file of files) {
    const loaded = loadTraceFile(file);
    let result: CompareResult;
    try {
      result = loaded.ok ? compareOptions(loaded.trace, change) : { status: 'bad-input', path: loaded.error.path || '/', expected: loaded.error.expected };
    } catch (e) {
      result = stackOverflowAsBadInput(e);
    }
    results.push({ file, result });
  }
  const summary = { traces: results.length, same: 0, differ: 0, badInput: 0 };
  for (const { file, result } of results) {
    if (result.status === 'same') summary.same++;
    else if (result.status === 'differs') summary.differ++;
    else summary.badInput++;
    if (!out.json) {
      const tag = result.status === 'same' ? 'SAME' : result.status === 'differs' ? 'DIFFERS' : 'BAD ';
      out.log(`${tag} ${file}${result.status === 'same' ? ` (${result.steps} steps)` : `: ${describeComparison(result).replace(/\n/g, '\n     ')}`}`);
    }
  }
  if (!out.json) out.log(`${plural(summary.traces, 'trace')} with ${JSON.stringify(change)}: ${summary.same} behave the same, ${summary.differ} differ, ${summary.badInput} bad input`);
  const json = { change, summary, results: results.map(({ file, result }) => ({ file, ...result })) };
  return { code: summary.badInput > 0 ? 2 : summary.differ > 0 ? 1 : 0, json };
}

/** Every protocol option on at once (lease reads included: the generator keeps their clock assumption). */
export const ALL_OPTIONS: ProtocolOptions = {
  maxEntriesPerAppendEntries: 3, fastBacktracking: true, snapshotChunkSize: 40, leaderNoop: true, leaseReads: true,
  preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true, pipelining: true, flowControlWindow: 3,
};

/** The campaigns `npm start` runs after checking the bundled traces. */
const START_CAMPAIGNS: ReadonlyArray<{ seed: number; count: number; steps: number; servers: readonly NodeId[]; options?: ProtocolOptions; clients?: ClientOptions; membership?: MembershipOptions; randomProfiles?: boolean }> = [
  { seed: 1, count: 150, steps: 300, servers: nodeIds(3) },
  { seed: 2, count: 80, steps: 400, servers: nodeIds(5), options: { maxEntriesPerAppendEntries: 4 } },
  { seed: 3, count: 80, steps: 300, servers: nodeIds(3), options: { maxEntriesPerAppendEntries: 4, fastBacktracking: true } },
  // Issue 4: key-value clients with retries and reads, snapshots and InstallSnapshot in small chunks.
  { seed: 4, count: 100, steps: 300, servers: nodeIds(3), options: { snapshotChunkSize: 48 }, clients: DEFAULT_CLIENTS },
  { seed: 8, count: 60, steps: 300, servers: nodeIds(3), options: { leaseReads: true, leaderNoop: true }, clients: DEFAULT_CLIENTS },
  { seed: 5, count: 60, steps: 400, servers: nodeIds(5), options: { maxEntriesPerAppendEntries: 2, leaderNoop: true, snapshotChunkSize: 32, fastBacktracking: true }, clients: DEFAULT_CLIENTS },
  // Issue 5: the dissertation's options, the election ones together and the replication ones together.
  { seed: 6, count: 80, steps: 300, servers: nodeIds(3), options: { preVote: true, checkQuorum: true, disruptionGuard: true, leadershipTransfer: true }, clients: DEFAULT_CLIENTS },
  { seed: 7, count: 60, steps: 300, servers: nodeIds(5), options: { pipelining: true, flowControlWindow: 2, maxEntriesPerAppendEntries: 3, fastBacktracking: true } },
  // Issue 5: membership changes (3 of 5 servers voters at the start, 2 to add), alone and with every option and clients.
  { seed: 9, count: 80, steps: 400, servers: nodeIds(5), membership: {} },
  { seed: 10, count: 60, steps: 400, servers: nodeIds(5), options: ALL_OPTIONS, clients: DEFAULT_CLIENTS, membership: {} },
  // Issue 11: the choice points (spec/choices.ts), a profile drawn at random per schedule, the same on the model and impl/.
  { seed: 11, count: 60, steps: 300, servers: nodeIds(3), options: { snapshotChunkSize: 48 }, clients: DEFAULT_CLIENTS, randomProfiles: true },
  { seed: 12, count: 30, steps: 400, servers: nodeIds(5), options: ALL_OPTIONS, clients: DEFAULT_CLIENTS, membership: {}, randomProfiles: true },
  // Issue 15: follower reads (FR-1..FR-4) with syncs, checked against ZooKeeper's guarantees (ZK-1..ZK-4) instead of LIN-1.
  { seed: 13, count: 100, steps: 400, servers: nodeIds(5), options: { followerReads: true, leaseReads: true, leaderNoop: true, snapshotChunkSize: 48 }, clients: DEFAULT_CLIENTS },
];

/** In --json mode a command prints its one JSON object; otherwise its lines are already out. */
function emit(r: { code: number; json: unknown }, out: Out): number {
  if (out.json) out.log(JSON.stringify(r.json));
  return r.code;
}

const OPTIONS = {
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  seed: { type: 'string' }, count: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string', short: 'o' }, rewrite: { type: 'boolean' },
  servers: { type: 'string' }, 'max-entries': { type: 'string' }, regressions: { type: 'string' },
  'fast-backtracking': { type: 'boolean' }, 'chunk-size': { type: 'string' }, 'leader-noop': { type: 'boolean' }, clients: { type: 'boolean' },
  'lease-reads': { type: 'boolean' }, 'pre-vote': { type: 'boolean' }, 'check-quorum': { type: 'boolean' }, 'disruption-guard': { type: 'boolean' },
  'leadership-transfer': { type: 'boolean' }, pipelining: { type: 'boolean' }, 'flow-control': { type: 'string' }, 'follower-reads': { type: 'boolean' },
  membership: { type: 'boolean' }, pin: { type: 'string' }, 'max-frontier': { type: 'string' }, 'keep-going': { type: 'boolean' },
  adapter: { type: 'string' }, 'adapter-module': { type: 'string' }, 'step-timeout': { type: 'string' }, 'replay-bundled': { type: 'boolean' },
  html: { type: 'string' },
} as const;

/**
 * What `drive --adapter-module` loaded before main ran (an import is asynchronous, main is not):
 * the adapter its createAdapter() made, or why there is none.
 */
export type LoadedModule = { readonly adapter: Adapter } | { readonly error: string };

/** The command line with `drive --adapter-module` loaded first: what `raftspec` runs. */
export async function mainAsync(argv: readonly string[], log: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let file: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeNumbers(argv), allowPositionals: true, options: OPTIONS });
    if (positionals[0] === 'drive') file = values['adapter-module'];
  } catch {
    // main reports it
  }
  return main(argv, log, file === undefined ? undefined : await loadAdapterModule(file));
}

/** Imports FILE (relative to the current folder) and calls its createAdapter(). */
export async function loadAdapterModule(file: string): Promise<LoadedModule> {
  let mod: { createAdapter?: unknown };
  if (!existsSync(resolve(file))) return { error: `--adapter-module ${file}: no such file` };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { createAdapter?: unknown };
  } catch (e) {
    return { error: `--adapter-module ${file}: cannot load it: ${((e as Error).message ?? String(e)).split('\n')[0]}` };
  }
  if (typeof mod.createAdapter !== 'function') return { error: `--adapter-module ${file}: expected a module that exports createAdapter(), got one that does not` };
  try {
    const adapter = (await (mod.createAdapter as () => Adapter | Promise<Adapter>)()) as Adapter;
    if (typeof adapter !== 'object' || adapter === null || typeof adapter.hello !== 'function' || typeof adapter.step !== 'function') {
      return { error: `--adapter-module ${file}: createAdapter() returned no Adapter (an object with hello, start, step, crash, restart, observe, stop)` };
    }
    return { adapter };
  } catch (e) {
    return { error: `--adapter-module ${file}: createAdapter() threw: ${((e as Error).message ?? String(e)).split('\n')[0]}` };
  }
}

export function main(argv: readonly string[], log: (line: string) => void = (l) => console.log(l), loaded?: LoadedModule): number {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv), allowPositionals: true, options: OPTIONS });
  } catch (e) {
    console.error(`raftspec: ${(e as Error).message.split('\n')[0]}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...paths] = positionals;
  if (values.help || command === 'help') {
    log(USAGE);
    return 0;
  }
  const out: Out = { json: values.json === true, log };
  try {
    const servers = () => nodeIds(intOption(values, 'servers', 3, 1));
    switch (command) {
      case undefined:
        throw new UsageError('a command is required');
      case 'report':
      case 'validate': {
        if (paths.length === 0) throw new UsageError(`${command} expects ${command === 'report' ? 'a trace file' : 'at least one file or folder'}`);
        if (command === 'report' && values.html === undefined) throw new UsageError('report expects --html FILE: where to write the report');
        const over = protocolOptions(values);
        const pin = pinOption(values);
        const maxFrontier = intOption(values, 'max-frontier', DEFAULT_MAX_FRONTIER, 1);
        const keepGoing = values['keep-going'] === true;
        return emit(runWithHtml(command, paths, (t) => validateBySearch(withOptions(t, over), { maxFrontier, keepGoing, ...(pin ? { pin } : {}) }), values.html, over, out), out);
      }
      case 'check': {
        if (paths.length === 0) throw new UsageError('check expects at least one file or folder');
        if (values.rewrite === true) {
          const extra = Object.keys(values).filter((k) => k !== 'rewrite' && k !== 'json' && values[k as keyof typeof values] !== undefined);
          if (extra.length > 0) throw new UsageError(`check --rewrite takes no --${extra[0]}: it runs each script through the model as written`);
          return emit(rewriteCommand(paths, out), out);
        }
        const over = protocolOptions(values);
        return emit(runWithHtml(command, paths, (t) => lockstep(withOptions(t, over)), values.html, over, out), out);
      }
      case 'diff': {
        if (paths.length === 0) throw new UsageError('diff expects at least one file or folder');
        const change = protocolOptions(values);
        if (!change) throw new UsageError('diff expects the change as option flags (--fast-backtracking, --max-entries N, --chunk-size N, --leader-noop, --lease-reads, --pre-vote, --check-quorum, --disruption-guard, --leadership-transfer, --pipelining, --flow-control N, --follower-reads)');
        const html = values.html === undefined ? null : HtmlTarget.prepare(values.html, paths);
        const compared = diffFiles(paths, change, out);
        return emit(html ? withHtml(compared, html.writeDiff(change), out) : compared, out);
      }
      case 'gen': {
        const seed = seedOption(values);
        const count = intOption(values, 'count', undefined, 1);
        const steps = intOption(values, 'steps', undefined, 1);
        if (!values.out) throw new UsageError('--out DIR is required');
        checkOutputPath(values.out, 'folder');
        // Each trace written as it is generated, its steps one at a time (conformance/produce.ts, stream.ts), each file whole or not at all.
        const dir = values.out;
        const tick = progress(out.json);
        let written = 0;
        forEachFixture(seed, count, steps, servers(), protocolOptions(values), clientsOption(values), membershipOption(values), (f) => {
          writeTraceStream(join(dir, `${f.name}.json`), f.trace, (n) => {
            if (n % 256 === 0) tick(`trace ${written + 1}/${count}: step ${n}/${steps}`);
          });
          written++;
          tick(`${written}/${count} traces`);
        });
        const file = (k: number) => join(dir, `gen-seed${seed}-${String(k).padStart(3, '0')}.json`);
        // The list of files for up to GEN_LIST_MAX traces; past that, the first and the last (the names run in order).
        if (out.json) log(JSON.stringify({ written: count <= GEN_LIST_MAX ? Array.from({ length: count }, (_, k) => file(k + 1)) : { folder: dir, count, first: file(1), last: file(count) } }));
        else log(`wrote ${plural(count, 'trace')} of ${steps} steps to ${values.out}`);
        return 0;
      }
      case 'record': {
        const seed = seedOption(values);
        const steps = intOption(values, 'steps', undefined, 1);
        if (!values.out) throw new UsageError('--out FILE is required');
        checkOutputPath(values.out, 'file');
        // Each step written as it is recorded (conformance/stream.ts): memory does not grow with --steps.
        const tick = progress(out.json);
        const trace = recordStream(seed, steps, servers(), protocolOptions(values), clientsOption(values), membershipOption(values));
        const written = writeTraceStream(values.out, trace, (n) => {
          if (n % 256 === 0) tick(`recorded ${n}/${steps} steps`);
        });
        if (out.json) log(JSON.stringify({ written: values.out, steps: written }));
        else log(`recorded ${written} steps of the implementation to ${values.out}`);
        return 0;
      }
      case 'campaign': {
        const options = protocolOptions(values);
        const clients = clientsOption(values);
        const membership = membershipOption(values);
        return emit(campaign({
          seed: seedOption(values), count: intOption(values, 'count', undefined, 1), steps: intOption(values, 'steps', undefined, 1),
          servers: servers(), ...(options ? { options } : {}), ...(clients ? { clients } : {}), ...(membership ? { membership } : {}), regressionsDir: values.regressions ?? join('traces', 'regressions'),
        }, out), out);
      }
      case 'drive':
        return emit(drive(values, paths, out, loaded), out);
      case 'compile': {
        if (paths.length === 0) throw new UsageError('compile expects at least one trace script (*.trace) or folder');
        const extra = Object.keys(values).filter((k) => k !== 'out' && k !== 'json' && values[k as keyof typeof values] !== undefined);
        if (extra.length > 0) throw new UsageError(`compile takes no --${extra[0]}`);
        return emit(compileCommand(paths, values.out, out), out);
      }
      case 'start': {
        for (const flag of ['seed', 'count', 'steps', 'servers', 'max-entries', 'regressions', 'out', 'fast-backtracking', 'chunk-size', 'leader-noop', 'clients',
          'lease-reads', 'pre-vote', 'check-quorum', 'disruption-guard', 'leadership-transfer', 'pipelining', 'flow-control', 'follower-reads', 'membership'] as const) {
          if (values[flag] !== undefined) throw new UsageError(`start takes no --${flag}: it runs fixed campaigns (use campaign for your own)`);
        }
        const coverage = new Map<string, number>();
        // By default the bundled traces (in a checkout, ./traces), named relative to where we run.
        const checked = runFiles(paths.length > 0 ? paths : [relative(process.cwd(), TRACES_DIR) || '.'], (t) => lockstep(t, undefined, coverage), out);
        // One campaign's trouble (even an internal error) stops neither the others nor the verdict.
        const campaigns = START_CAMPAIGNS.map((cfg) => {
          try {
            const c = campaign({ ...cfg, regressionsDir: join('traces', 'regressions') }, out);
            for (const [id, n] of c.result.coverage) coverage.set(id, (coverage.get(id) ?? 0) + n);
            return c;
          } catch (e) {
            const message = `internal error: ${((e as Error).message ?? String(e)).split('\n')[0]}`;
            if (!out.json) log(`ERROR campaign seed ${cfg.seed}: ${message}`);
            return { code: 3, json: { campaign: { seed: cfg.seed }, error: message } };
          }
        });
        const fired = RULES.filter((r) => r.kind === 'rule' || r.kind === 'choice');
        const never = fired.filter((r) => !coverage.has(r.id)).map((r) => r.id);
        const worst = Math.max(checked.code, ...campaigns.map((c) => c.code));
        const verdict = worst === 0 ? 'all holds' : worst === 1 ? 'FAILED: see the reports above' : worst === 3 ? 'INTERNAL ERROR: see the lines above' : 'BAD INPUT: see the lines above';
        if (out.json) {
          log(JSON.stringify({ check: checked.json, campaigns: campaigns.map((c) => c.json), coverage: { fired: fired.length - never.length, of: fired.length, never }, exitCode: worst }));
        } else {
          log(`rule coverage: ${fired.length - never.length} of ${fired.length} rules and choices fired${never.length ? `; never: ${never.join(', ')}` : ''}`);
          log(verdict);
        }
        return worst;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`raftspec: ${e.message}\n${USAGE}`);
      return 2;
    }
    // Bad input to drive (an adapter it cannot drive, a trace it cannot read), or a trace the HTML report cannot draw: one line.
    if (e instanceof DriveInputError || e instanceof HtmlInputError) {
      console.error(`raftspec: ${e.message}`);
      return 2;
    }
    // An output path that cannot be written (checked before the work), or a write that failed during it: one line.
    const writeError = e instanceof OutputPathError ? e.message : command === 'gen' || command === 'record' ? writeErrorLine(e) : null;
    if (writeError !== null) {
      console.error(`raftspec: ${writeError}`);
      return 2;
    }
    throw e;
  }
}

export async function run(): Promise<void> {
  // A reader that goes away (\`raftspec check traces | head\`) is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  let code: number;
  try {
    code = await mainAsync(process.argv.slice(2));
  } catch (e) {
    // A bug of ours, not bad input: still one line, and a distinct exit code.
    console.error(`raftspec: internal error: ${(e as Error).message}`);
    code = 3;
  }
  process.exitCode = code;
}

if (import.meta.url === `file://${process.argv[1]}`) void run();
