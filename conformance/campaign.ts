// Generation campaigns: seeded schedules run through the lockstep runner; on a divergence or a
// violation fast-check shrinks the schedule to a minimal trace, which is written to
// traces/regressions/ with the seed and path that reproduce it. Also `gen`: seeded fixtures with
// the model's observations as expectations.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NodeId, ProtocolOptions, Trace } from '../spec/schema.js';
import type { Profile } from '../spec/choices.js';
import { CLIENT_WEIGHTS, DEFAULT_CLIENTS, profileArb, scheduleArb, traceFromChoices, type Choice, type ClientOptions, type GenerateOptions, type MembershipOptions, type ScheduleStats, type Weights } from './generate.js';
import { lockstep, REAL_IMPL, type ImplFactory, type LockstepResult } from './lockstep.js';
import { shrinkSchedule, shrinkTrace } from './shrink.js';
import { describeResult } from './report.js';
import { forEachFixture, modelExpectationSteps } from './produce.js';

export interface CampaignConfig {
  readonly seed: number;
  readonly count: number;
  readonly steps: number;
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  readonly weights?: Weights;
  /** Key-value clients, reads and snapshots (issue 4); with CLIENT_WEIGHTS unless `weights` says otherwise. */
  readonly clients?: ClientOptions;
  /** Membership changes from a bootstrap configuration with servers to add (issue 5). */
  readonly membership?: MembershipOptions;
  /** The alternatives every server takes at the choice points (spec/choices.ts), model and implementation alike. */
  readonly profile?: Profile;
  /** A profile drawn at random for each schedule, from the seed (overrides `profile`). */
  readonly randomProfiles?: boolean;
  readonly impl?: ImplFactory;
  /** Where a shrunk failing trace is written; nothing is written when absent. */
  readonly regressionsDir?: string;
  /** Called after each generated trace (not during shrinking). */
  readonly onProgress?: (done: number) => void;
}

export interface CampaignTotals {
  traces: number;
  steps: number;
  withCommit: number;
  withTermChange: number;
  withTruncation: number;
  leadersElected: number;
  /** With clients: traces in which a snapshot was taken / installed from a leader; client operations answered; reads answered. */
  withSnapshot: number;
  withInstall: number;
  answered: number;
  reads: number;
  /** With membership: traces with a configuration entry appended; configuration entries; leaders that stepped down when removed (CFG-5). */
  withReconfiguration: number;
  reconfigurations: number;
  removedLeaders: number;
  /** Commits (LEA-4, AE-5) and redirects (CLI-1) over all schedules. */
  commits: number;
  redirects: number;
}

export const emptyTotals = (): CampaignTotals => ({
  traces: 0, steps: 0, withCommit: 0, withTermChange: 0, withTruncation: 0, leadersElected: 0, withSnapshot: 0, withInstall: 0,
  answered: 0, reads: 0, withReconfiguration: 0, reconfigurations: 0, removedLeaders: 0, commits: 0, redirects: 0,
});

/** Add one generated schedule's stats to the totals (campaigns and the property tests alike). */
export function tally(totals: CampaignTotals, stats: ScheduleStats): void {
  totals.traces++;
  totals.steps += stats.steps;
  totals.leadersElected += stats.leadersElected;
  if (stats.commits > 0) totals.withCommit++;
  if (stats.termChanges > 0) totals.withTermChange++;
  if (stats.truncations > 0) totals.withTruncation++;
  if (stats.snapshots > 0) totals.withSnapshot++;
  if (stats.installs > 0) totals.withInstall++;
  if (stats.reconfigurations > 0) totals.withReconfiguration++;
  totals.answered += stats.answered;
  totals.reads += stats.reads;
  totals.reconfigurations += stats.reconfigurations;
  totals.removedLeaders += stats.removedLeaders;
  totals.commits += stats.commits;
  totals.redirects += stats.redirects;
}

export interface CampaignFailure {
  readonly seed: number;
  readonly path: string;
  /** The shrunk trace, and what it gives in lockstep. */
  readonly trace: Trace;
  readonly result: LockstepResult;
  /** The trace as first found, before shrinking, and what it gave. */
  readonly found: Trace;
  readonly foundResult: LockstepResult;
  readonly report: string;
  /** Where the shrunk trace was written (the regressions folder, or the fallback folder when that failed); null when it was not written. */
  readonly file: string | null;
  /** When the regression file could not be written where it was meant to go: which file, and why (one line). */
  readonly writeError: string | null;
}

export interface CampaignResult {
  readonly totals: CampaignTotals;
  /** How often each rule fired over the campaign's schedules (not during shrinking). */
  readonly coverage: ReadonlyMap<string, number>;
  readonly failure: CampaignFailure | null;
}

export const nodeIds = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => `s${i + 1}`);

export function runCampaign(cfg: CampaignConfig): CampaignResult {
  const totals = emptyTotals();
  const impl = cfg.impl ?? REAL_IMPL;
  const coverage = new Map<string, number>();
  const gen = generateOptions(cfg.servers, cfg.options, cfg.clients, cfg.weights, cfg.membership);
  const withProfile = (profile: Profile | undefined): GenerateOptions => (profile ? { ...gen, profile } : gen);
  const run = (choices: readonly Choice[], profile: Profile | undefined, countCoverage: boolean): { trace: Trace; stats: ScheduleStats; result: LockstepResult } => {
    const { trace, stats } = traceFromChoices(choices, withProfile(profile));
    return { trace, stats, result: lockstep(trace, impl, countCoverage ? coverage : undefined) };
  };
  const check = (choices: readonly Choice[], profile: Profile | undefined): boolean => {
    const { stats, result } = run(choices, profile, true);
    tally(totals, stats);
    cfg.onProgress?.(totals.traces);
    return result.status === 'pass';
  };
  // No fast-check shrinking (endOnFailure): delta debugging on the choices, then on the steps, is
  // faster here and reaches traces fast-check cannot (conformance/shrink.ts).
  const schedules = scheduleArb(Math.max(1, Math.floor(cfg.steps / 2)), cfg.steps);
  const params = { seed: cfg.seed, numRuns: cfg.count, endOnFailure: true };
  const out = cfg.randomProfiles
    ? fc.check(fc.property(schedules, profileArb, (choices, profile) => check(choices, profile)), params)
    : fc.check(fc.property(schedules, (choices) => check(choices, cfg.profile)), params);
  if (!out.failed || !out.counterexample) return { totals, coverage, failure: null };
  const [choices, drawn] = out.counterexample as [Choice[], Profile?];
  const profile = cfg.randomProfiles ? drawn : cfg.profile;
  const found = run(choices, profile, false);
  const bySchedule = shrinkSchedule(choices, withProfile(profile), impl);
  const shrunk = shrinkTrace(bySchedule.trace, impl);
  const path = out.counterexamplePath ?? '';
  const named: Trace = {
    ...shrunk.trace,
    name: `regression-seed${cfg.seed}`,
    source: `raftspec campaign: fast-check seed ${cfg.seed}, path "${path}" (${cfg.servers.length} servers${cfg.options ? `, options ${JSON.stringify(cfg.options)}` : ''}${cfg.clients ? ', with clients' : ''}${cfg.membership ? ', with membership changes' : ''}${cfg.randomProfiles ? ', random profiles' : ''}); shrunk from ${found.trace.steps.length} steps`,
    description: `Shrunk from a generated schedule of ${found.trace.steps.length} steps. First failure: ${describeResult(shrunk.result).replace(/\n\s*/g, ' | ')}`,
  };
  let file: string | null = null;
  let writeError: string | null = null;
  if (cfg.regressionsDir) {
    // What was found is never lost: if the regressions folder cannot be written, the trace goes
    // to a fallback folder under the system's temporary folder, and the caller can still print it.
    const name = regressionName(cfg, profile);
    const text = `${JSON.stringify(named, null, 2)}\n`;
    try {
      file = writeNewFile(cfg.regressionsDir, name, text);
    } catch (e) {
      writeError = `could not write ${join(cfg.regressionsDir, `${name}.json`)}: ${oneLine(e)}`;
      const fallback = regressionFallbackDir();
      try {
        file = writeNewFile(fallback, name, text);
      } catch (e2) {
        writeError += `; nor the fallback ${join(fallback, `${name}.json`)}: ${oneLine(e2)}`;
      }
    }
  }
  return {
    totals, coverage,
    failure: { seed: cfg.seed, path, trace: named, result: shrunk.result, report: describeResult(shrunk.result), file, writeError, found: found.trace, foundResult: found.result },
  };
}

/** Where a regression goes when its folder cannot be written. */
export const regressionFallbackDir = (): string => join(tmpdir(), 'raftspec-regressions');

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] as string;

const shortHash = (x: unknown): string => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 8);

/**
 * The name of a campaign's regression file (without .json): every parameter that shapes the
 * schedules is in it (seed, count, steps, servers, options, clients, membership, the profile), so
 * that campaigns that differ in any of them never compete for one file. E.g.
 * regression-seed4-count100-steps300-3n-chunk48-clients.
 */
export function regressionName(cfg: CampaignConfig, drawn?: Profile): string {
  const o = cfg.options ?? {};
  const parts: Array<string | false | undefined> = [
    `regression-seed${cfg.seed}`, `count${cfg.count}`, `steps${cfg.steps}`, `${cfg.servers.length}n`,
    o.maxEntriesPerAppendEntries !== undefined && `batch${o.maxEntriesPerAppendEntries}`,
    o.fastBacktracking && 'fb',
    o.snapshotChunkSize !== undefined && `chunk${o.snapshotChunkSize}`,
    o.leaderNoop && 'noop', o.leaseReads && 'lease', o.preVote && 'prevote', o.checkQuorum && 'cq', o.disruptionGuard && 'guard',
    o.leadershipTransfer && 'transfer', o.pipelining && 'pipe', o.flowControlWindow !== undefined && `fc${o.flowControlWindow}`,
    o.followerReads && 'fr',
  ];
  // Any option this list does not name yet still changes the name.
  const named = new Set(['maxEntriesPerAppendEntries', 'fastBacktracking', 'snapshotChunkSize', 'leaderNoop', 'leaseReads', 'preVote', 'checkQuorum', 'disruptionGuard', 'leadershipTransfer', 'pipelining', 'flowControlWindow', 'followerReads']);
  const other = Object.entries(o).filter(([k]) => !named.has(k));
  if (other.length > 0) parts.push(`opt${shortHash(other)}`);
  if (cfg.clients) parts.push(JSON.stringify(cfg.clients) === JSON.stringify(DEFAULT_CLIENTS) ? 'clients' : `clients${shortHash(cfg.clients)}`);
  if (cfg.membership) parts.push(Object.keys(cfg.membership).length === 0 ? 'membership' : `membership${shortHash(cfg.membership)}`);
  if (cfg.weights) parts.push(`w${shortHash(cfg.weights)}`);
  if (cfg.randomProfiles) parts.push('random');
  else if (cfg.profile && Object.keys(cfg.profile).length > 0) parts.push(`profile${shortHash(cfg.profile)}`);
  // The alternatives other than the model's own of the failing schedule's profile, e.g. -3b17b.
  const alts = Object.entries(drawn ?? {}).filter(([, v]) => v?.[0] === 'b').map(([k]) => k.slice(4)).join('b');
  if (alts) parts.push(`${alts}b`);
  return parts.filter((x): x is string => typeof x === 'string' && x !== '').join('-');
}

/**
 * Writes `text` to `<dir>/<name>.json`, or, when a file of that name holds something else, to
 * `<name>-2.json`, `<name>-3.json` ...: never over a different file (a file with the same text is
 * reused). Returns the path written (or reused); throws when the folder cannot be written.
 */
export function writeNewFile(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  try {
    for (let k = 1; ; k++) {
      const file = join(dir, `${name}${k === 1 ? '' : `-${k}`}.json`);
      if (createExclusive(tmp, file, text)) return file;
      let existing: string | null = null;
      try {
        existing = readFileSync(file, 'utf8');
      } catch {
        existing = null;
      }
      if (existing === text) return file;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/**
 * Creates `file` holding `text` (already written whole to `tmp`) unless the name exists; false if
 * it does. A hard link, unlike a rename, fails on an existing name, so two writers never both win;
 * where the file system has no hard links, an exclusive create.
 */
function createExclusive(tmp: string, file: string, text: string): boolean {
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
  }
  try {
    writeFileSync(file, text, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Write a file whole or not at all: to a temporary name, then renamed over the target. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    throw e;
  }
}

/**
 * The model's observations as expectations: after each step, the scalar fields and progress maps of
 * the server that handled it and the messages it sent (`sent`); after the last step, every
 * server's whole state, logs included. Under the trace's profile, if it has one.
 */
export function withModelExpectations(trace: Trace): Trace {
  return { ...trace, steps: [...modelExpectationSteps(trace, trace.steps.map((s) => s.event), trace.steps.length)] };
}

/**
 * `raftspec gen`: seeded traces with the model's expectations, the same bytes for the same seed.
 * The whole list (conformance/produce.ts's forEachFixture streams them, as `gen` writes them).
 */
export function generateFixtures(seed: number, count: number, steps: number, servers: readonly NodeId[], options?: ProtocolOptions, clients?: ClientOptions, membership?: MembershipOptions): Array<{ name: string; trace: Trace }> {
  const out: Array<{ name: string; trace: Trace }> = [];
  forEachFixture(seed, count, steps, servers, options, clients, membership, ({ name, trace }) => out.push({ name, trace: { ...trace, steps: [...trace.steps] } }));
  return out;
}

/** What the generator needs for these servers, options and clients. */
export function generateOptions(servers: readonly NodeId[], options?: ProtocolOptions, clients?: ClientOptions, weights?: Weights, membership?: MembershipOptions): GenerateOptions {
  const w = weights ?? (clients ? CLIENT_WEIGHTS : undefined);
  return { servers, ...(options ? { options } : {}), ...(clients ? { clients } : {}), ...(w ? { weights: w } : {}), ...(membership ? { membership } : {}) };
}

/** The command-line flags that give these options (for a trace's `source`). */
export function optionFlags(options?: ProtocolOptions, clients?: ClientOptions, membership?: MembershipOptions): string {
  let f = '';
  if (options?.maxEntriesPerAppendEntries) f += ` --max-entries ${options.maxEntriesPerAppendEntries}`;
  if (options?.fastBacktracking) f += ' --fast-backtracking';
  if (options?.snapshotChunkSize) f += ` --chunk-size ${options.snapshotChunkSize}`;
  if (options?.leaderNoop) f += ' --leader-noop';
  if (options?.leaseReads) f += ' --lease-reads';
  if (options?.preVote) f += ' --pre-vote';
  if (options?.checkQuorum) f += ' --check-quorum';
  if (options?.disruptionGuard) f += ' --disruption-guard';
  if (options?.leadershipTransfer) f += ' --leadership-transfer';
  if (options?.pipelining) f += ' --pipelining';
  if (options?.flowControlWindow) f += ` --flow-control ${options.flowControlWindow}`;
  if (options?.followerReads) f += ' --follower-reads';
  if (clients) f += ' --clients';
  if (membership) f += ' --membership';
  return f;
}
