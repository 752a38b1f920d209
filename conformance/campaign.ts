// Generation campaigns: seeded schedules run through the lockstep runner; on a divergence or a
// violation fast-check shrinks the schedule to a minimal trace, which is written to
// traces/regressions/ with the seed and path that reproduce it. Also `gen`: seeded fixtures with
// the model's observations as expectations.
import fc from 'fast-check';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NodeId, Observation, ProtocolOptions, Trace } from '../spec/schema.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { toJson } from '../model/state.js';
import type { Profile } from '../spec/choices.js';
import { CLIENT_WEIGHTS, profileArb, scheduleArb, traceFromChoices, type Choice, type ClientOptions, type GenerateOptions, type MembershipOptions, type ScheduleStats, type Weights } from './generate.js';
import { lockstep, REAL_IMPL, type ImplFactory, type LockstepResult } from './lockstep.js';
import { shrinkSchedule, shrinkTrace } from './shrink.js';
import { describeResult } from './report.js';
import { profileOf } from '../spec/choices.js';

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
  readonly file: string | null;
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
  if (cfg.regressionsDir) {
    const batch = cfg.options?.maxEntriesPerAppendEntries;
    const fb = cfg.options?.fastBacktracking ? '-fb' : '';
    const kv = `${cfg.clients ? '-clients' : ''}${cfg.membership ? '-membership' : ''}`;
    const o = cfg.options ?? {};
    const flags = [o.leaderNoop && 'noop', o.leaseReads && 'lease', o.preVote && 'prevote', o.checkQuorum && 'cq', o.disruptionGuard && 'guard', o.leadershipTransfer && 'transfer', o.pipelining && 'pipe', o.flowControlWindow && `fc${o.flowControlWindow}`]
      .filter(Boolean).map((x) => `-${x}`).join('');
    // The alternatives other than the model's own, e.g. -3b17b.
    const alts = Object.entries(profile ?? {}).filter(([, v]) => v?.[0] === 'b').map(([k]) => k.slice(4)).join('b');
    file = join(cfg.regressionsDir, `regression-seed${cfg.seed}-${cfg.servers.length}n${batch ? `-batch${batch}` : ''}${fb}${kv}${flags}${alts ? `-${alts}b` : ''}.json`);
    writeFileAtomic(file, `${JSON.stringify(named, null, 2)}\n`);
  }
  return {
    totals, coverage,
    failure: { seed: cfg.seed, path, trace: named, result: shrunk.result, report: describeResult(shrunk.result), file, found: found.trace, foundResult: found.result },
  };
}

/** Write a file whole or not at all: to a temporary name, then renamed over the target. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * The model's observations as expectations: after each step, the scalar fields and progress maps of
 * the server that handled it and the messages it sent (`sent`); after the last step, every
 * server's whole state, logs included. Under the trace's profile, if it has one.
 */
export function withModelExpectations(trace: Trace): Trace {
  let c: ClusterState = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration, trace.profile === undefined ? undefined : profileOf(trace.profile));
  const steps = trace.steps.map((s, i) => {
    const r = applyEvent(c, s.event);
    if ('error' in r) throw new Error(`generated an impossible event at /steps/${i}: ${r.error}`);
    c = r.state;
    const nodes: Record<NodeId, Observation> = {};
    if (i === trace.steps.length - 1) {
      for (const id of trace.cluster) nodes[id] = toJson(c.nodes[id]!);
    } else if (r.node) {
      const { log: _log, snapshotMachine: _snapshot, ...rest } = toJson(c.nodes[r.node]!);
      nodes[r.node] = rest;
    }
    const replies = r.replies.length > 0 ? { replies: [...r.replies] } : {};
    const sent = r.node === null ? {} : { sent: [...r.sent] };
    return Object.keys(nodes).length > 0 || r.replies.length > 0 ? { event: s.event, expect: { nodes, ...replies }, ...sent } : { event: s.event, ...sent };
  });
  return { ...trace, steps };
}

/** `raftspec gen`: seeded traces with the model's expectations, the same bytes for the same seed. */
export function generateFixtures(seed: number, count: number, steps: number, servers: readonly NodeId[], options?: ProtocolOptions, clients?: ClientOptions, membership?: MembershipOptions): Array<{ name: string; trace: Trace }> {
  const schedules = fc.sample(scheduleArb(steps, steps), { seed, numRuns: count });
  return schedules.map((choices, k) => {
    const name = `gen-seed${seed}-${String(k + 1).padStart(3, '0')}`;
    const { trace } = traceFromChoices(choices, generateOptions(servers, options, clients, undefined, membership), name);
    return {
      name,
      trace: withModelExpectations({
        ...trace,
        source: `raftspec gen --seed ${seed} --count ${count} --steps ${steps} --servers ${servers.length}${optionFlags(options, clients, membership)} (trace ${k + 1})`,
        description: `Generated schedule (drops, duplicates, reordering, delayed copies, partitions, crashes, restarts${clients ? '; key-value clients with retries, ReadIndex reads and snapshots' : ''}${membership ? '; membership changes' : ''}). Expectations are the reference model's observations: after each step the server that handled it and the client replies, after the last step every server in full.`,
      }),
    };
  });
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
  if (clients) f += ' --clients';
  if (membership) f += ' --membership';
  return f;
}
