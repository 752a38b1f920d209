// Validation by search: a trace recorded by any implementation is accepted when some sequence of
// permitted alternatives at the choice points of Figure 2 (spec/choices.ts) explains every
// observed step. As TLA+ trace validation does with TLC, the validator keeps a frontier: the
// model states consistent with the observations so far, deduplicated. Each step runs the event
// from every state of the frontier under every combination of the alternatives the step meets
// (within one step a choice point is decided once), keeps the successors whose state, replies and
// sends agree with what the trace observed and that break no invariant, and goes on. Fields a
// trace does not observe stay open: the states that differ only there all stay in the frontier.
// A frontier larger than --max-frontier is UNDECIDED, never a silent pass.
import { type Event, type Message, type Step, type Trace, MAX_SENT_WINDOW } from '../spec/schema.js';
import { CHOICE_BY_ID, CHOICE_POINTS, alternativesBeyondModel, profileOf, type AlternativeLetter, type ChoiceId, type Profile } from '../spec/choices.js';
import { describeMessage, messageKey } from '../spec/canonical.js';
import { RULE_BY_ID, type RuleId } from '../spec/rules.js';
import { type ClusterState, type ClusterStep, anyPrefix, applyEvent, copiesInFlight, envOf, inFlight, initCluster, isLost, isShorterForm, withMessages, withoutMessages } from '../model/cluster.js';
import { InvariantChecker } from '../model/invariants.js';
import { type NodeState, configOf, fromJson, toJson } from '../model/state.js';
import { quorumIndex } from '../model/config.js';
import { canonicalJson } from '../spec/canonical.js';
import { type Failure, type ReplayResult, checkClientHistory, checkExpect, checkExpectInitial, clientStep, describeEvent, describeViolation, initialData, isClientStep, leaseViewOf, zooKeeperStart } from './replay.js';
import { LeaseClock } from './lease.js';
import type { HistoryStep } from './history.js';
import { indexed, type StreamTrace } from './stream.js';

export interface SearchConfig {
  /** At most this many states in the frontier; past it the result is UNDECIDED. */
  readonly maxFrontier?: number;
  /** The alternatives permitted at each choice point, overriding the trace's own `profile` (`--pin`). */
  readonly pin?: Profile;
  /**
   * `--keep-going`: after a step no run explains, go on from the implementation's observed state
   * (the model's state after the step with the observed fields and sends laid over it) and list
   * every distinct deviation, instead of stopping at the first.
   */
  readonly keepGoing?: boolean;
  /** Internal: no search for the alternatives a pin kept out (the search that looks for them sets it). */
  readonly noHints?: true;
}

/** A kind of deviation found with --keep-going: what differed, the rules that decide it, where first, how often. */
export interface Deviation {
  readonly what: string;
  readonly rules: readonly RuleId[];
  readonly firstStep: number;
  readonly count: number;
}

export const DEFAULT_MAX_FRONTIER = 64;


/** The alternatives seen taken: alternative ID (DEC-3b) -> the steps at which it alone explained what the trace observed. */
export type Taken = Readonly<Record<string, number>>;

export type SearchResult =
  | (ReplayResult & { readonly taken?: Taken; readonly deviations?: readonly Deviation[] })
  | { readonly status: 'undecided'; readonly steps: number; readonly step: number; readonly frontier: number; readonly reason: string; readonly taken: Taken };

/** One state of the frontier, with its own invariant history and client history. */
interface Branch {
  readonly c: ClusterState;
  readonly checker: InvariantChecker;
  readonly history: HistoryList;
  /** Alternatives this branch took where another one also survived: counted once the others are gone. */
  readonly open: readonly string[];
  /**
   * Messages in flight (by messageKey, with a number of copies) that this branch may or may not
   * have sent: two runs that differ only by these (an answer sent or a stale request dropped,
   * DEC-19; a send held back, DEC-18) are one branch, and the trace may deliver them or never.
   */
  readonly optional: ReadonlyMap<string, Copies>;
  /**
   * Messages of which exactly one was sent, all held in the network until the trace names one
   * (then the others are taken out): two runs that differ only by what one message carried (a
   * leaderCommit clamped or not, DEC-16; a probe empty or not, DEC-5) are one branch.
   */
  readonly groups: readonly (readonly Message[])[];
  /**
   * The network as a difference from the anchor, the network of the last step that left one state
   * in the frontier: copies added (count > 0) or taken out (count < 0), by messageKey. Two branches
   * with one anchor are compared by their deltas, in what they did since, not in all they hold.
   */
  readonly anchor: object;
  readonly delta: ReadonlyMap<string, Copies>;
  /** What this branch's steps sent, newest first, at most MAX_SENT_WINDOW steps back (for sentDuring). */
  readonly sent: SentList;
}

/** The client steps of one branch, newest first, shared between branches (a persistent list). */
type HistoryList = { readonly step: HistoryStep; readonly rest: HistoryList } | null;

/** What one branch's steps sent, newest first, shared between branches (a persistent list); steps that sent nothing are left out. */
type SentList = { readonly step: number; readonly sent: readonly Message[]; readonly rest: SentList } | null;

/** The messages of a sent list from step `from` on. */
function sentFrom(list: SentList, from: number): Message[] {
  const out: Message[] = [];
  for (let x = list; x !== null && x.step >= from; x = x.rest) out.push(...x.sent);
  return out;
}

/** A sent list without the steps before `from` (rebuilt: the list is shared). */
function sentTrimmed(list: SentList, from: number): SentList {
  const kept: { step: number; sent: readonly Message[] }[] = [];
  let x = list;
  for (; x !== null && x.step >= from; x = x.rest) kept.push(x);
  if (x === null) return list;
  let out: SentList = null;
  for (let k = kept.length - 1; k >= 0; k--) out = { ...(kept[k] as { step: number; sent: readonly Message[] }), rest: out };
  return out;
}

/** Copies of one message. */
export interface Copies {
  readonly message: Message;
  readonly count: number;
}

/** A run that does not explain the step: its decisions, the rules it fired, what differs, and its state after the step. */
interface Dead {
  readonly run: { readonly decisions: ReadonlyMap<ChoiceId, AlternativeLetter>; readonly rules: readonly RuleId[] };
  readonly problems: string[];
  readonly notInFlight?: Message;
  readonly after?: ClusterState;
}

/** One run of a step from one state under one combination of alternatives. */
interface Run {
  readonly parent: Branch;
  readonly r: ClusterStep;
  readonly decisions: ReadonlyMap<ChoiceId, AlternativeLetter>;
}

/** Alternatives a delivered, dropped or duplicated message shows (model/cluster.ts cites them there). */
const SHOWN_BY_MESSAGES = ['DEC-6b', 'DEC-16b'] as const;

/** DEC-24b for every server of a cluster: one Env record per cluster Env record, so that branches of one reading share it. */
const onApplyEnvs = new WeakMap<ClusterState['envs'], ClusterState['envs']>();
function onApply(c: ClusterState): ClusterState {
  let envs = onApplyEnvs.get(c.envs);
  if (envs === undefined) {
    envs = Object.fromEntries(Object.entries(c.envs).map(([id, env]) => [id, { ...env, configOnApply: true as const }]));
    onApplyEnvs.set(c.envs, envs);
  }
  return { ...c, envs };
}
const isOnApply = (c: ClusterState): boolean => Object.values(c.envs).some((env) => env.configOnApply === true);

/** Whether a trace's initial logs hold a configuration entry (DEC-24 matters from the start). */
const hasConfigEntries = (initial: Trace['initial']): boolean => Object.values(initial ?? {}).some((o) => (o.log ?? []).some((e) => e.config !== undefined));

/** An event after which a log may hold a configuration entry for the first time: a reconfigure, or an injected message carrying one. */
function mayAppendConfiguration(e: Event): boolean {
  if (e.type === 'reconfigure') return true;
  return e.type === 'inject' && e.message.type === 'AppendEntries' && e.message.entries.some((x) => x.config !== undefined);
}

/** The permitted letters of each choice point: the pin, else the trace's profile, else all. */
export function permittedLetters(trace: Pick<Trace, 'profile'>, pin?: Profile): (p: ChoiceId) => readonly AlternativeLetter[] {
  const all = new Map(CHOICE_POINTS.map((c) => [c.id, c.alternatives.map((a) => a.id.slice(-1) as AlternativeLetter)]));
  const fromTrace: Profile = profileOf(trace.profile);
  const chosen: Profile = { ...fromTrace, ...(pin ?? {}) };
  return (p) => chosen[p] ?? all.get(p) ?? ['a'];
}

/**
 * Every run of an event from one state: a depth-first walk over the choice points the step asks
 * (each decided once per step), re-running the pure step with a longer prefix of decisions.
 * (Also the HTML report's: its replay takes, at each step, the first run that explains it.)
 */
export function* runsOf(c: ClusterState, e: Event, allowed: (p: ChoiceId) => readonly AlternativeLetter[]): Generator<{ r: ReturnType<typeof applyEvent>; decisions: Map<ChoiceId, AlternativeLetter> }> {
  // A point whose second alternative accepts all the first does (DEC-6b) is not tried both ways.
  const permitted = (p: ChoiceId): readonly AlternativeLetter[] => (CHOICE_BY_ID.get(p)?.subsumes && allowed(p).includes('b') ? ['b'] : allowed(p));
  let prefix: AlternativeLetter[] = [];
  for (;;) {
    const order: ChoiceId[] = [];
    const chosen = new Map<ChoiceId, AlternativeLetter>();
    const r = applyEvent(c, e, (p) => {
      const got = chosen.get(p);
      if (got !== undefined) return got;
      const letter = prefix[order.length] ?? (permitted(p)[0] as AlternativeLetter);
      order.push(p);
      chosen.set(p, letter);
      return letter;
    }, allowed);
    yield { r, decisions: chosen };
    let k = order.length - 1;
    for (; k >= 0; k--) {
      const options = permitted(order[k] as ChoiceId);
      if (options.indexOf(chosen.get(order[k] as ChoiceId) as AlternativeLetter) + 1 < options.length) break;
    }
    if (k < 0) return;
    const options = permitted(order[k] as ChoiceId);
    prefix = [...order.slice(0, k).map((p) => chosen.get(p) as AlternativeLetter), options[options.indexOf(chosen.get(order[k] as ChoiceId) as AlternativeLetter) + 1] as AlternativeLetter];
  }
}

/** Validate a schema-valid trace by search over the permitted alternatives. */
export function validateBySearch(trace: StreamTrace, cfg: SearchConfig = {}): SearchResult {
  const maxFrontier = cfg.maxFrontier ?? DEFAULT_MAX_FRONTIER;
  const permitted = permittedLetters(trace, cfg.pin);
  // DEC-24 is decided once per run (perRun): one reading of the configuration in force for the
  // whole trace. While no log holds a configuration entry both readings agree; the frontier is
  // split in two where one may first appear, and a branch of one never merges with the other.
  const inForce = permitted('DEC-24');
  let unsplit = inForce.length > 1;
  const start = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration);
  const c0 = inForce.length === 1 && inForce[0] === 'b' ? onApply(start) : start;
  const checker0 = new InvariantChecker(c0);
  checker0.permitted = alternativesBeyondModel(permitted);
  const initialViolations = checker0.takeInitialViolations();
  if (initialViolations.length > 0) {
    return { status: 'fail', steps: 0, failure: { step: -1, event: 'initial state', kind: 'invariant', problems: initialViolations.map(describeViolation), rules: [] } };
  }
  const initialProblems = trace.expectInitial ? checkExpectInitial(trace.expectInitial, c0) : [];
  if (initialProblems.length > 0) return { status: 'fail', steps: 0, failure: { step: -1, event: 'initial state', kind: 'expectation', problems: initialProblems, rules: [] } };
  const taken = new Map<string, number>();
  const deviations = new Map<string, { what: string; rules: readonly RuleId[]; firstStep: number; count: number }>();
  let firstFailure: { failure: Failure; steps: number } | null = null;
  let frontier: Branch[] = [{ c: c0, checker: checker0, history: null, open: [], optional: new Map(), groups: [], anchor: c0.network, delta: new Map(), sent: null }];
  // LR-2: the lease's clock assumption is about the events (a server bound by a lease has no election timeout or crash): checked on the first explanation.
  const lease = trace.options?.leaseReads ? new LeaseClock() : null;
  // Steps may be streamed (conformance/stream.ts): nothing here is kept per step but the client history (per client operation).
  let total = 0;
  for (const [i, s] of indexed(trace.steps)) {
    total = i + 1;
    const breach = lease?.breach(s.event, (id) => leaseViewOf((frontier[0] as Branch).c, id));
    if (breach) return { status: 'bad-input', path: `/steps/${i}/event`, expected: breach };
    if (s.event.type === 'error') {
      return { status: 'fail', steps: i + 1, failure: { step: i, event: describeEvent(s.event), kind: 'expectation', problems: [`the implementation failed${s.event.node ? ` on ${s.event.node}` : ''}: ${s.event.message}`], rules: [] }, taken: Object.fromEntries(taken) };
    }
    // What was sent more than MAX_SENT_WINDOW steps back is dropped now and then (a sentDuring looks no further).
    if (i > 0 && i % MAX_SENT_WINDOW === 0) frontier = frontier.map((b) => ({ ...b, sent: sentTrimmed(b.sent, i - MAX_SENT_WINDOW) }));
    if (unsplit && (i === 0 && hasConfigEntries(trace.initial) || mayAppendConfiguration(s.event))) {
      unsplit = false;
      frontier = frontier.flatMap((b) => [b, { ...b, c: onApply(b.c), checker: b.checker.clone() }]);
    }
    const runs: Run[] = [];
    const dead: Dead[] = [];
    for (const b0 of frontier) {
      const b = settleGroup(b0, s.event);
      for (const { r, decisions } of runsOf(b.c, s.event, permitted)) {
        if ('error' in r) {
          dead.push({ run: { decisions, rules: [] }, problems: [r.error], ...(s.event.type === 'deliver' || s.event.type === 'drop' || s.event.type === 'duplicate' ? { notInFlight: s.event.message } : {}) });
          continue;
        }
        const problems = problemsOfRun(s, r, (from) => [...r.sent, ...sentFrom(b.sent, from)], () => withGroups(b.optional, b.groups));
        if (problems.length > 0) dead.push({ run: { decisions, rules: r.rules }, problems, after: r.state });
        else runs.push({ parent: b, r, decisions });
      }
    }
    if (lease) for (const run of runs.slice(0, 1)) lease.noteSent(run.r.sent);
    const survivors: Run[] = [];
    const next = advance(runs, s.event, i, dead, [...runs, ...dead.map((d) => d.run)], survivors);
    noteTaken(taken, survivors, [...runs, ...dead.map((d) => d.run)]);
    // What settling a group showed: counted where every survivor's branch showed it.
    if (survivors.length > 0) {
      const shown = survivors.map((r) => settledShows.get(r.parent) ?? []);
      for (const id of shown[0] ?? []) if (shown.every((ids) => ids.includes(id))) taken.set(id, (taken.get(id) ?? 0) + 1);
    }
    // DEC-24 (per run): counted at each step where the branches of one reading alone explain what was observed.
    if (!unsplit && inForce.length > 1 && next.length > 0) {
      const letters = new Set(next.map((b) => (isOnApply(b.c) ? 'b' : 'a')));
      if (letters.size === 1) taken.set(`DEC-24${[...letters][0] as string}`, (taken.get(`DEC-24${[...letters][0] as string}`) ?? 0) + 1);
    }
    // DEC-6b (and DEC-16b of a shorter form) show in the message a step names, not in a decision.
    for (const id of SHOWN_BY_MESSAGES) if (survivors.length > 0 && survivors.every((r) => r.r.rules.includes(id))) taken.set(id, (taken.get(id) ?? 0) + 1);
    if (next.length === 1 && (next[0] as Branch).open.length > 0) {
      // The alternatives taken where several explanations lived on are now the only ones left.
      for (const id of (next[0] as Branch).open) taken.set(id, (taken.get(id) ?? 0) + 1);
      next[0] = { ...(next[0] as Branch), open: [] };
    }
    if (next.length === 0 && runs.length === 0 && dead.every((d) => d.run.rules.length === 0 && d.notInFlight === undefined) && dead[0] !== undefined) {
      // An event no state could take (a crash of a crashed node, a restart of a running one): the trace is wrong, not the protocol.
      return { status: 'bad-input', path: `/steps/${i}/event`, expected: `an event possible in this state: ${dead[0].problems[0] ?? ''}` };
    }
    if (next.length === 0) {
      let failure = explain(s, i, frontier, dead);
      if (cfg.pin !== undefined || trace.profile !== undefined) {
        let others = alternativesThatExplain(frontier, s, permittedLetters({ ...trace, profile: undefined }), permitted);
        // A choice made at an earlier step (a message sent one way, delivered now): the trace up to here, with one more alternative permitted.
        // (Only with the steps in memory: a trace read as a stream, conformance/stream.ts, has no prefix to search again.)
        if (others.length === 0 && firstFailure === null && !cfg.noHints && Array.isArray(trace.steps)) others = alternativesOverPrefix(trace as Trace, i, permitted, maxFrontier);
        if (others.length > 0) failure = { ...failure, problems: [...failure.problems, `explained with ${others.join(' or ')}, which ${cfg.pin !== undefined ? '--pin' : 'the trace\'s profile'} does not permit`] };
      }
      if (!cfg.keepGoing) return { status: 'fail', steps: i + 1, failure, taken: Object.fromEntries(taken) };
      // --keep-going: note the deviation, then go on from what the implementation was observed to do.
      firstFailure ??= { failure, steps: i + 1 };
      noteDeviation(deviations, failure, i);
      const recovered = recover(frontier, s, permitted, dead);
      if (typeof recovered === 'string') {
        return { status: 'fail', steps: i + 1, failure: { ...firstFailure.failure, problems: [...firstFailure.failure.problems, `--keep-going stopped at step ${i}: ${recovered}`] }, taken: Object.fromEntries(taken), deviations: [...deviations.values()] };
      }
      frontier = [recovered];
      continue;
    }
    if (next.length > maxFrontier) {
      return { status: 'undecided', steps: i + 1, step: i, frontier: next.length, reason: `after step ${i} (/steps/${i}: ${describeEvent(s.event)}) ${next.length} model states explain the trace so far, more than --max-frontier ${maxFrontier}: the trace observes too little to tell them apart`, taken: Object.fromEntries(taken) };
    }
    // One state left: its network is the anchor the deltas of later branches are measured from.
    frontier = next.length === 1 && (next[0] as Branch).delta.size > 0 ? [{ ...(next[0] as Branch), anchor: (next[0] as Branch).c.network, delta: new Map() }] : next;
  }
  if (firstFailure) return { status: 'fail', steps: total, failure: firstFailure.failure, taken: Object.fromEntries(taken), deviations: [...deviations.values()] };
  // LIN-1 on the client history of a run that explains the trace (they agree on what was observed).
  const histories = frontier.map((b) => historyArray(b.history));
  let result: ReplayResult | null = null;
  for (const h of histories) {
    result = checkClientHistory(h, total, initialData(trace), trace.options?.followerReads ? zooKeeperStart(trace) : undefined);
    if (result.status === 'pass') break;
  }
  return { ...(result ?? { status: 'pass', steps: total }), taken: Object.fromEntries(taken) };
}

/**
 * What keeps one run of step `s` from explaining it (none: it does): the step's expectations but
 * the in-flight multiset (with `sentSince` for sentDuring), that multiset with the `optional`
 * copies allowed beyond those expected, and `sent`. The search judges every run by it, and the
 * HTML report's replay the runs it may take.
 */
export function problemsOfRun(s: Step, r: ClusterStep, sentSince: (from: number) => readonly Message[], optional: () => ReadonlyMap<string, number> = () => new Map()): string[] {
  return [...checkExpect(withoutInFlight(s.expect), r, sentSince), ...(s.expect?.inFlight ? checkInFlight(s.expect.inFlight, r.state, optional()) : []), ...checkSent(s, r)];
}

/** The successors that survive: deduplicated, each with an invariant history of its own and no violation. */
function advance(runs: readonly Run[], e: Event, i: number, dead: Dead[], tried: readonly { decisions: ReadonlyMap<ChoiceId, AlternativeLetter> }[], survivors: Run[]): Branch[] {
  // A point where the surviving runs took more than one alternative (each explains what was observed): the alternative a survivor took there stays open until the others are gone.
  const contested = new Set<ChoiceId>();
  for (const p of new Set(runs.flatMap((t) => [...t.decisions.keys()]))) {
    if (new Set(runs.map((t) => t.decisions.get(p)).filter((l) => l !== undefined)).size > 1 && tried.length > 0) contested.add(p);
  }
  // Deduplicate. Two runs whose states differ only in the network are one: the messages one sent
  // and the other did not become optional; messages that differ pairwise (same type, sender and
  // receiver) become groups of which exactly one was sent.
  // members: every run merged into the entry (they took different alternatives to the same place).
  // added: the messages the entry's state holds beyond its parent's network after the event (what its runs sent, and what merges added).
  // inherited: how many of the entry's groups come from before this step (a pair of this step joins only a group of this step).
  const kept: { run: Run; members: Run[]; state: ClusterState; added: Message[]; delta: Map<string, Copies>; optional: Map<string, Copies>; groups: readonly (readonly Message[])[]; inherited: number }[] = [];
  for (const run of runs) {
    const inherited = trimmed(run.parent.optional, run.r.state, e);
    const groups = trimmedGroups(run.parent.groups, run.r.state, e);
    let merged = false;
    for (const k of kept) {
      if (!sameExceptNetwork(k.state, run.r.state)) continue;
      // Runs of one state differ by what each sent; branches by their deltas from a shared anchor;
      // only branches without one (after --keep-going went on) are compared by a scan of their networks.
      const sameParent = k.run.parent === run.parent;
      const d = sameParent ? listDiff(k.added, through(run))
        : k.run.parent.anchor === run.parent.anchor ? deltaDiff(k.delta, childDelta(run, e))
          : networkDiff(k.state, run.r.state);
      if (d.first.length > 0 && d.second.length > 0) {
        const pairs = paired(d.first, d.second);
        if (pairs === null) continue;
        // Copy on write: the groups are shared with the parent branch.
        const groupsNow = [...k.groups];
        for (const [a, b] of pairs) {
          // Which alternatives sent each (settling the group later shows them: noteTaken cannot, the runs are merged here).
          // (Only for runs of one parent: their messages are what each run sent at this step.)
          if (sameParent && !sentUnder.has(a)) sentUnder.set(a, k.run.decisions);
          if (sameParent && !sentUnder.has(b)) sentUnder.set(b, run.decisions);
          // Not a group of an earlier step that holds a message of the same name: that one was sent then, this one now.
          const at = groupsNow.findIndex((x, j) => j >= k.inherited && x.some((m) => keyOf(m) === keyOf(a)));
          if (at >= 0) groupsNow[at] = [...(groupsNow[at] as Message[]), b];
          else groupsNow.push([a, b]);
        }
        k.groups = groupsNow;
        k.state = withMessages(k.state, d.second);
        k.added.push(...d.second);
        addSigned(k.delta, d.second, 1);
      } else if (d.second.length > 0) {
        addCounts(k.optional, countKeys(d.second));
        k.state = withMessages(k.state, d.second);
        k.added.push(...d.second);
        addSigned(k.delta, d.second, 1);
      } else {
        addCounts(k.optional, countKeys(d.first));
      }
      for (const [key, c] of inherited) if ((k.optional.get(key)?.count ?? 0) < c.count) k.optional.set(key, c);
      if (k.run.parent !== run.parent) {
        const missing = groups.filter((g) => !k.groups.some((x) => x.length === g.length && x.every((m, j) => keyOf(m) === keyOf(g[j] as Message))));
        if (missing.length > 0) {
          // Groups of earlier steps stay before the groups of this step.
          k.groups = [...k.groups.slice(0, k.inherited), ...missing, ...k.groups.slice(k.inherited)];
          k.inherited += missing.length;
        }
      }
      k.members.push(run);
      merged = true;
      break;
    }
    if (!merged) kept.push({ run, members: [run], state: run.r.state, added: [...through(run)], delta: childDelta(run, e), optional: inherited, groups, inherited: groups.length });
  }
  // A parent with several successors gives each but the first a copy of its invariant history.
  const used = new Set<Branch>();
  const next: Branch[] = [];
  for (const { run, members, state, optional, groups, delta } of kept) {
    const checker = used.has(run.parent) ? run.parent.checker.clone() : run.parent.checker;
    used.add(run.parent);
    const violations = checker.check(run.parent.c, state === run.r.state ? run.r : { ...run.r, state }, i, e);
    if (violations.length > 0) {
      dead.push({ run: { decisions: run.decisions, rules: run.r.rules }, problems: violations.map(describeViolation) });
      continue;
    }
    // With followerReads the history keeps the entries applied too (ZK-1 .. ZK-4 need the committed log).
    const followerReads = run.parent.c.options.followerReads;
    const client = isClientStep(e, run.r, followerReads);
    survivors.push(...members);
    // Open: the alternatives this branch stands for alone (every run merged into it took them).
    const open = [...run.decisions].filter(([p, l]) => contested.has(p) && members.every((x) => x.decisions.get(p) === l)).map(([p, l]) => `${p}${l}`);
    // What the step sent: every message any run merged here sent (as optional messages are, each may be the one sent).
    const sentNow = members.length === 1 ? run.r.sent : unionOfSends(members.map((x) => x.r.sent));
    const sent: SentList = sentNow.length > 0 ? { step: i, sent: sentNow, rest: run.parent.sent } : run.parent.sent;
    next.push({ c: state, checker, history: client ? { step: clientStep(i, e, run.r, followerReads), rest: run.parent.history } : run.parent.history, open: open.length === 0 ? run.parent.open : [...run.parent.open, ...open], optional: optional, groups: groups, anchor: run.parent.anchor, delta, sent });
  }
  return next;
}

/** The multiset union of several runs' sends: each message as many times as the run that sent it most often. */
function unionOfSends(sends: readonly (readonly Message[])[]): Message[] {
  const most = new Map<string, { m: Message; n: number }>();
  for (const list of sends) {
    const here = new Map<string, { m: Message; n: number }>();
    for (const m of list) here.set(keyOf(m), { m, n: (here.get(keyOf(m))?.n ?? 0) + 1 });
    for (const [k, x] of here) if ((most.get(k)?.n ?? 0) < x.n) most.set(k, x);
  }
  return [...most.values()].flatMap(({ m, n }) => Array.from({ length: n }, () => m));
}

/**
 * The alternatives the implementation was seen to take: at a choice point this step decided, an
 * alternative counts when every surviving run took it and some run that took another was tried.
 */
function noteTaken(taken: Map<string, number>, survivors: readonly Run[], tried: readonly { decisions: ReadonlyMap<ChoiceId, AlternativeLetter> }[]): void {
  if (survivors.length === 0) return;
  const points = new Set<ChoiceId>();
  for (const t of tried) for (const p of t.decisions.keys()) points.add(p);
  for (const p of points) {
    const kept = new Set(survivors.map((s) => s.decisions.get(p)));
    const all = new Set(tried.map((t) => t.decisions.get(p)).filter((l) => l !== undefined));
    if (kept.size !== 1 || all.size < 2) continue;
    const letter = [...kept][0];
    if (letter === undefined) continue;
    const id = `${p}${letter}`;
    taken.set(id, (taken.get(id) ?? 0) + 1);
  }
}

/** The deviations of one failed step, by what differed (each field, `sent`, or the message no behaviour sent) and the rules that decide it. */
function noteDeviation(deviations: Map<string, { what: string; rules: readonly RuleId[]; firstStep: number; count: number }>, failure: Failure, i: number): void {
  const seen = new Set<string>();
  for (const p of failure.problems) {
    if (p.startsWith('with ') || p.startsWith('(') || / is decided by /.test(p) || p.startsWith('explained with')) continue;
    const field = /^\S+?\.(\w+)(?:\[[^\]]*\])?: expected /.exec(p)?.[1];
    const what = field !== undefined ? field : p.startsWith('sent:') ? 'sent' : p.includes('no permitted behaviour sent') ? `${p.split(' of a message')[0]} of a message no permitted behaviour sent` : p.replace(/\d+/g, 'N').slice(0, 80);
    if (seen.has(what)) continue;
    seen.add(what);
    const rules = field !== undefined ? [...(GOVERNING[field]?.leader ?? []), ...(GOVERNING[field]?.other ?? [])].filter((r, k, all) => all.indexOf(r) === k) : [];
    const d = deviations.get(what);
    if (d) d.count++;
    else deviations.set(what, { what, rules, firstStep: i, count: 1 });
  }
}

/**
 * --keep-going: the state to go on from after step s, which no run explains: the model's first
 * run of the step (a message no behaviour sent is handed to its receiver as if injected), with the
 * observed fields of the nodes, and the observed sends, laid over it. The invariants start afresh
 * from there (their history is the model's, not the implementation's). A string when the
 * observation does not determine a state to go on from.
 */
function recover(frontier: readonly Branch[], s: Step, permitted: (p: ChoiceId) => readonly AlternativeLetter[], dead: readonly Dead[]): Branch | string {
  const b = frontier[0];
  if (!b) return 'no state to go on from';
  let after = dead.find((d) => d.after !== undefined)?.after;
  let sent: readonly Message[] = [];
  if (after === undefined) {
    if (s.event.type !== 'deliver' && s.event.type !== 'drop' && s.event.type !== 'duplicate') return 'the event is impossible in every state the model reached';
    // The message was never in flight: a delivery reaches its receiver as if injected; a drop or duplicate changes nothing.
    if (s.event.type !== 'deliver') return { ...b, optional: new Map(b.optional) };
    const injected = runsOf(b.c, { type: 'inject', message: s.event.message }, permitted).next().value;
    if (!injected || 'error' in injected.r) return 'the message cannot be handed to its receiver';
    after = injected.r.state;
    sent = injected.r.sent;
  } else {
    const run = runsOf(b.c, s.event, permitted).next().value;
    sent = run && !('error' in run.r) ? run.r.sent : [];
  }
  let c: ClusterState = after as ClusterState;
  if (s.sent !== undefined && !s.sentPartial) c = withMessages(withoutMessages(c, sent), s.sent);
  const nodes = { ...c.nodes };
  for (const [id, { logSuffix, ...o }] of Object.entries(s.expect?.nodes ?? {})) {
    const now = nodes[id];
    if (!now) continue;
    const json = toJson(now);
    // The end of the log observed: the model's entries before it, then those listed.
    const log = logSuffix ? [...json.log.slice(0, Math.max(0, logSuffix.from - 1 - json.snapshotIndex)), ...logSuffix.entries] : json.log;
    nodes[id] = fromJson({ ...json, log, ...o });
  }
  c = { ...c, nodes };
  const checker = new InvariantChecker(c);
  checker.permitted = b.checker.permitted;
  return { c, checker, history: b.history, open: [], optional: new Map(), groups: [], anchor: c.network, delta: new Map(), sent: b.sent };
}

/** The alternatives (beyond those permitted) under which some run explains the step: what a pin or profile kept out. */
function alternativesThatExplain(frontier: readonly Branch[], s: Step, all: (p: ChoiceId) => readonly AlternativeLetter[], permitted: (p: ChoiceId) => readonly AlternativeLetter[]): string[] {
  const found = new Set<string>();
  for (const b of frontier) {
    for (const { r, decisions } of runsOf(b.c, s.event, all)) {
      if ('error' in r || checkExpect(s.expect ?? {}, r).length > 0 || checkSent(s, r).length > 0) continue;
      // Only the alternatives the pin or profile kept out: those it permits are no news.
      const kept = [...decisions].filter(([p, l]) => !permitted(p).includes(l)).map(([p, l]) => `${p}${l}`).join(' with ');
      if (kept !== '') found.add(kept);
    }
  }
  return [...found];
}

/**
 * The alternatives kept out by the pin or profile, each of which alone would explain the trace up
 * to step `i` (a search of that prefix with it permitted too). Run once, on the first failure.
 */
function alternativesOverPrefix(trace: Trace, i: number, permitted: (p: ChoiceId) => readonly AlternativeLetter[], maxFrontier: number): string[] {
  const prefix: Trace = { ...trace, profile: undefined, steps: trace.steps.slice(0, i + 1) };
  const found: string[] = [];
  for (const c of CHOICE_POINTS) {
    for (const a of c.alternatives) {
      const letter = a.id.slice(-1) as AlternativeLetter;
      if (permitted(c.id).includes(letter)) continue;
      const pin: Partial<Record<ChoiceId, readonly AlternativeLetter[]>> = Object.fromEntries(CHOICE_POINTS.map((p) => [p.id, permitted(p.id)]));
      pin[c.id] = [...permitted(c.id), letter];
      if (validateBySearch(prefix, { pin, maxFrontier, noHints: true }).status === 'pass') found.push(a.id);
    }
  }
  return found;
}

/** The step's `sent`: the messages the handling server sent, all of them or (sentPartial) some. */
function checkSent(s: Step, r: ClusterStep): string[] {
  if (s.sent === undefined) return [];
  const got = new Map<string, number>();
  for (const m of r.sent) got.set(keyOf(m), (got.get(keyOf(m)) ?? 0) + 1);
  const problems: string[] = [];
  for (const m of s.sent) {
    const k = keyOf(m);
    const n = got.get(k) ?? 0;
    // DEC-6b: the model sent them all, the implementation some.
    const wide = n === 0 ? r.sent.find((x) => anyPrefix(x) && (got.get(keyOf(x)) ?? 0) > 0 && isShorterForm(m, x)) : undefined;
    if (wide) got.set(keyOf(wide), (got.get(keyOf(wide)) ?? 0) - 1);
    else if (n === 0) {
      const near = nearest(m, r.sent);
      problems.push(`sent: ${describeMessage(m)}, which no permitted behaviour sends here${near ? `; the nearest the model sends: ${describeMessage(near.message)} (${near.diff})` : ''}`);
    } else got.set(k, n - 1);
  }
  if (!s.sentPartial) for (const [k, n] of got) if (n > 0) problems.push(`sent: the model also sends ${k}${n > 1 ? ` (${n} copies)` : ''}, which the trace does not list`);
  return problems;
}

/** The message of the same type, sender and receiver that differs from `m` in the fewest fields, and how (`who` sent the candidates). */
export function nearest(m: Message, candidates: readonly Message[], who = 'the model'): { message: Message; diff: string } | null {
  let best: { message: Message; fields: string[] } | null = null;
  for (const c of candidates) {
    if (c.type !== m.type || c.from !== m.from || c.to !== m.to) continue;
    const keys = new Set([...Object.keys(m), ...Object.keys(c)]);
    const fields = [...keys].filter((k) => canonicalJson((m as Record<string, unknown>)[k] ?? null) !== canonicalJson((c as Record<string, unknown>)[k] ?? null)).sort();
    if (!best || fields.length < best.fields.length) best = { message: c, fields };
  }
  if (!best) return null;
  const b = best;
  const show = (v: unknown) => (v === undefined ? 'absent' : canonicalJson(v));
  return { message: b.message, diff: b.fields.map((f) => `${f}: the trace has ${show((m as Record<string, unknown>)[f])}, ${who} ${show((b.message as Record<string, unknown>)[f])}`).join('; ') };
}

/** Why no run explains step i: the model's own reading first, then what each other alternative did. */
function explain(s: Step, i: number, frontier: readonly Branch[], dead: readonly Dead[]): Failure {
  const event = describeEvent(s.event);
  const first = dead[0];
  if (!first) return { step: i, event, kind: 'expectation', problems: ['no run of the model explains this step'], rules: [] };
  const problems: string[] = [];
  if (first.notInFlight) {
    const m = first.notInFlight;
    const candidates = frontier.flatMap((b) => inFlight(b.c));
    const near = nearest(m, candidates);
    problems.push(`${s.event.type} of a message no permitted behaviour sent: ${describeMessage(m)}${near ? `; the nearest in flight: ${describeMessage(near.message)} (${near.diff})` : '; no message of that type from that sender to that receiver is in flight'}`);
  } else {
    problems.push(...first.problems);
    // The rules that decide each field that differs (the first three fields).
    const fields = new Set<string>();
    for (const p of first.problems) {
      const governing = governingRules(p, first.after ?? frontier[0]?.c);
      const field = /^\S+?\.(\w+)/.exec(p)?.[1];
      if (!governing || field === undefined || fields.has(field) || fields.size >= 3) continue;
      fields.add(field);
      problems.push(governing);
      const guard = whyNot(p, s.event, frontier[0]?.c, first.after);
      if (guard) problems.push(guard);
    }
  }
  const seen = new Set<string>([decisionsName(first.run.decisions)]);
  for (const d of dead.slice(1)) {
    const name = decisionsName(d.run.decisions);
    if (seen.has(name) || name === '') continue;
    seen.add(name);
    problems.push(`with ${name}: ${d.problems[0] ?? 'no difference'}`);
  }
  if (frontier.length > 1) problems.push(`(${frontier.length} model states explained the steps before; the first is reported)`);
  return { step: i, event, kind: 'expectation', problems, rules: first.run.rules };
}

/** The rules that decide a field, by the role of the server the field is of (a leader's log is LEA-2's, a follower's AE-3's). */
const GOVERNING: Readonly<Record<string, { leader: readonly RuleId[]; other: readonly RuleId[] }>> = {
  log: { leader: ['LEA-2', 'SAFE-2'], other: ['AE-2', 'AE-3', 'AE-4'] },
  commitIndex: { leader: ['LEA-4'], other: ['AE-5', 'DEC-2'] },
  lastApplied: { leader: ['ALL-1', 'DEC-17'], other: ['ALL-1', 'DEC-17'] },
  currentTerm: { leader: ['ALL-2'], other: ['ALL-2', 'CAN-1'] },
  votedFor: { leader: ['ALL-2'], other: ['RV-2', 'CAN-1', 'ALL-2'] },
  role: { leader: ['ALL-2'], other: ['FOL-2', 'CAN-2', 'CAN-3', 'ALL-2'] },
  nextIndex: { leader: ['LEA-3a', 'LEA-3b', 'DEC-3', 'DEC-4'], other: ['DEC-10'] },
  matchIndex: { leader: ['LEA-3a', 'DEC-3'], other: ['DEC-10'] },
  votesGranted: { leader: ['CAN-2'], other: ['CAN-2', 'DEC-10'] },
  leaderId: { leader: ['CLI-1'], other: ['CLI-1'] },
};

/** For a failed `<node>.<field>: expected …` line: the rules that decide that field there, with their text. */
function governingRules(problem: string, c: ClusterState | undefined): string | null {
  const m = /^(\S+?)\.(\w+)(?:\[[^\]]*\])?: expected /.exec(problem);
  const rules = m ? GOVERNING[m[2] as string] : undefined;
  if (!m || !rules || !c) return null;
  const role = c.nodes[m[1] as string]?.role;
  const ids = role === 'leader' ? rules.leader : rules.other;
  return `${m[2]} on a ${role ?? 'server'} is decided by ${ids.map((id) => `${id} (${RULE_BY_ID.get(id)?.text ?? ''})`).join('; ')}`;
}

/**
 * For a field the trace and the model disagree on, what kept the model from doing what the
 * implementation did, in the terms of the rule's guard: LEA-4's term check, AE-2's consistency
 * check, AE-5's last new entry, RV-2's vote and up-to-date check, CAN-2's majority. Null where no
 * such guard applies (the field is then explained by the rules named above it).
 */
function whyNot(problem: string, e: Event, before: ClusterState | undefined, after: ClusterState | undefined): string | null {
  const m = /^(\S+?)\.(\w+)(?:\[[^\]]*\])?: expected /.exec(problem);
  if (!m || !before || !after) return null;
  const id = m[1] as string;
  const field = m[2] as string;
  const was = before.nodes[id];
  const now = after.nodes[id];
  if (!was || !now) return null;
  const message = e.type === 'deliver' || e.type === 'inject' ? e.message : null;
  if (field === 'commitIndex' && now.role === 'leader' && now.leader !== null) {
    const env = envOf(after, id);
    const match = now.leader.matchIndex;
    const held = quorumIndex(configOf(env, now), (x) => (x === id ? now.log.lastIndex : match[x] ?? 0));
    if (held <= now.commitIndex) return `LEA-4 not applicable: a quorum of ${id}'s configuration holds entries only through index ${held}, and commitIndex is ${now.commitIndex}`;
    return `LEA-4 not applicable: the highest index a quorum holds is ${held}, whose entry has term ${now.log.termAt(held)}, not currentTerm ${now.currentTerm} (§5.4.2: an earlier term's entry is never committed by counting, Figure 8)`;
  }
  // AE-2 first: a request the consistency check refuses changes neither the log nor commitIndex.
  if ((field === 'commitIndex' || field === 'log' || field === 'lastApplied') && message?.type === 'AppendEntries' && message.to === id && message.term >= was.currentTerm && now.role === 'follower') {
    const p = message.prevLogIndex;
    if (p > 0 && p >= was.snapshotIndex && !was.log.knowsTermAt(p)) return `AE-2: ${id} has no entry at prevLogIndex ${p} (its last index is ${was.log.lastIndex}): the request is refused, and nothing is appended or committed`;
    if (p > 0 && p >= was.snapshotIndex && was.log.termAt(p) !== message.prevLogTerm) return `AE-2: ${id}'s entry at prevLogIndex ${p} has term ${was.log.termAt(p)}, not prevLogTerm ${message.prevLogTerm}: the request is refused, and nothing is appended or committed`;
  }
  if (field === 'commitIndex' && message?.type === 'AppendEntries' && message.to === id) {
    const lastNew = message.prevLogIndex + message.entries.length;
    if (message.leaderCommit <= was.commitIndex) return `AE-5 not applicable: leaderCommit ${message.leaderCommit} is not above commitIndex ${was.commitIndex} (DEC-2: commitIndex never moves back)`;
    return `AE-5: commitIndex = min(leaderCommit ${message.leaderCommit}, index of the last new entry ${lastNew}) = ${Math.max(was.commitIndex, Math.min(message.leaderCommit, lastNew))}`;
  }
  if (field === 'log' && message?.type === 'AppendEntries' && message.to === id && now.role === 'follower') {
    const p = message.prevLogIndex;
    const conflict = message.entries.findIndex((x, k) => was.log.has(p + 1 + k) && was.log.termAt(p + 1 + k) !== x.term);
    if (conflict < 0) return `AE-3 not applicable: no entry of the request conflicts with ${id}'s log (same index, different term), so nothing is truncated; AE-4 appends only the entries not already there`;
    return `AE-3: the first conflict is at index ${p + 1 + conflict}: ${id}'s log is truncated there and the request's entries from it appended`;
  }
  if (field === 'votedFor' && message?.type === 'RequestVote' && message.to === id) {
    const votedFor = message.term > was.currentTerm ? null : was.votedFor;
    if (votedFor !== null && votedFor !== message.candidateId) return `RV-2 not applicable: ${id} already voted for ${votedFor} in term ${Math.max(was.currentTerm, message.term)}`;
    const upToDate = message.lastLogTerm > was.log.lastTerm || (message.lastLogTerm === was.log.lastTerm && message.lastLogIndex >= was.log.lastIndex);
    if (!upToDate) return `RV-2 not applicable: the candidate's log (last term ${message.lastLogTerm}, last index ${message.lastLogIndex}) is not as up-to-date as ${id}'s (last term ${was.log.lastTerm}, last index ${was.log.lastIndex}, §5.4.1)`;
    return null;
  }
  if (field === 'role' && now.role === 'candidate') {
    const env = envOf(after, id);
    return `CAN-2 not applicable: the votes of ${id} (${now.votesGranted.join(', ') || 'none'}) are not a quorum of its configuration (voters ${configOf(env, now).voters.join(', ')})`;
  }
  return null;
}

const decisionsName = (d: ReadonlyMap<ChoiceId, AlternativeLetter>): string => [...d].map(([p, l]) => `${p}${l}`).join(', ');

function historyArray(h: HistoryList): HistoryStep[] {
  const out: HistoryStep[] = [];
  for (let x = h; x !== null; x = x.rest) out.push(x.step);
  return out.reverse();
}

// ---------------------------------------------------------------------------------------------
// Equal states (the frontier's deduplication): identity first, then field by field.

/** Everything but the network: the servers, who is down, the partition and the cut links. */
export function sameExceptNetwork(a: ClusterState, b: ClusterState): boolean {
  if (a === b) return true;
  if (a.envs !== b.envs) return false; // DEC-24: the two readings of a run are never one branch
  if (a.crashed.size !== b.crashed.size || [...a.crashed].some((id) => !b.crashed.has(id))) return false;
  if ((a.partition === null) !== (b.partition === null)) return false;
  if (a.partition && b.partition && (a.partition.size !== b.partition.size || [...a.partition].some(([k, v]) => b.partition?.get(k) !== v))) return false;
  if (a.cuts !== b.cuts && (a.cuts.size !== b.cuts.size || [...a.cuts].some((k) => !b.cuts.has(k)))) return false;
  for (const id of a.servers) if (!sameNode(a.nodes[id] as NodeState, b.nodes[id] as NodeState)) return false;
  return true;
}

/** A message's canonical name, computed once per message object (messages in flight are shared between states). */
const keys = new WeakMap<Message, string>();
function keyOf(m: Message): string {
  let k = keys.get(m);
  if (k === undefined) {
    // DEC-6b: a message of which any prefix may arrive is not the one with all its entries only.
    k = anyPrefix(m) ? `${messageKey(m)} (or fewer entries)` : messageKey(m);
    keys.set(m, k);
  }
  return k;
}

/** How many copies of each message are in flight, computed once per network. */
const counts = new WeakMap<object, Map<string, number>>();
function countsOf(c: ClusterState): Map<string, number> {
  let count = counts.get(c.network);
  if (count === undefined) {
    count = new Map<string, number>();
    for (const m of inFlight(c)) count.set(keyOf(m), (count.get(keyOf(m)) ?? 0) + 1);
    counts.set(c.network, count);
  }
  return count;
}

/** The messages in flight in one network and not in the other, each way (as many copies as differ). Buckets two networks share are skipped unread. */
function networkDiff(a: ClusterState, b: ClusterState): { first: Message[]; second: Message[] } {
  const first: Message[] = [];
  const second: Message[] = [];
  if (a.network === b.network) return { first, second };
  const expand = (bucket: ReadonlyArray<{ message: Message; count: number }> | undefined): Message[] => (bucket ?? []).flatMap(({ message, count }) => Array.from({ length: count }, () => message));
  for (const header of new Set([...a.network.keys(), ...b.network.keys()])) {
    const x = a.network.get(header);
    const y = b.network.get(header);
    if (x === y) continue;
    const left = new Map<string, { m: Message; n: number }>();
    for (const m of expand(x)) {
      const slot = left.get(keyOf(m));
      if (slot) slot.n++;
      else left.set(keyOf(m), { m, n: 1 });
    }
    for (const m of expand(y)) {
      const slot = left.get(keyOf(m));
      if (slot && slot.n > 0) slot.n--;
      else second.push(m);
    }
    for (const { m, n } of left.values()) for (let j = 0; j < n; j++) first.push(m);
  }
  return { first, second };
}

/** One-to-one pairs of messages of the same type, sender and receiver, or null when they do not pair up. */
function paired(first: readonly Message[], second: readonly Message[]): [Message, Message][] | null {
  if (first.length !== second.length) return null;
  const route = (m: Message) => `${m.type} ${m.from} ${m.to}`;
  const left = [...second];
  const pairs: [Message, Message][] = [];
  for (const a of first) {
    const j = left.findIndex((b) => route(b) === route(a));
    if (j < 0) return null;
    pairs.push([a, left[j] as Message]);
    left.splice(j, 1);
  }
  return pairs;
}

/** Copies of each message, by its name in the frontier (keyOf). */
export const countKeys = (ms: readonly Message[]): Map<string, Copies> => {
  const out = new Map<string, Copies>();
  for (const m of ms) out.set(keyOf(m), { message: m, count: (out.get(keyOf(m))?.count ?? 0) + 1 });
  return out;
};

/** Adds `sign` copies of each message to a signed multiset (dropping keys that come to 0). */
function addSigned(into: Map<string, Copies>, messages: readonly Message[], sign: 1 | -1): void {
  for (const m of messages) {
    const k = keyOf(m);
    const n = (into.get(k)?.count ?? 0) + sign;
    if (n === 0) into.delete(k);
    else into.set(k, { message: m, count: n });
  }
}

/** A run's network as a delta from its parent's anchor: the parent's delta, less what the event took out, plus what the step put in. */
function childDelta(run: Run, e: Event): Map<string, Copies> {
  const delta = new Map(run.parent.delta);
  if (e.type === 'deliver' || e.type === 'drop') addSigned(delta, [e.message], -1);
  if (e.type === 'duplicate') addSigned(delta, [e.message], 1);
  if (e.type === 'partition' || e.type === 'cut') {
    // The messages in flight between the new groups, or across the link cut, are lost now (rare: a scan of the network).
    addSigned(delta, inFlight(run.parent.c).filter((m) => isLost(run.r.state, m)), -1);
  }
  addSigned(delta, through(run), 1);
  return delta;
}

/** Two networks with one anchor, by their deltas: the copies one holds beyond the other, each way. */
function deltaDiff(a: ReadonlyMap<string, Copies>, b: ReadonlyMap<string, Copies>): { first: Message[]; second: Message[] } {
  const first: Message[] = [];
  const second: Message[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    const d = (x?.count ?? 0) - (y?.count ?? 0);
    const m = (x ?? y)?.message as Message;
    for (let j = 0; j < d; j++) first.push(m);
    for (let j = 0; j < -d; j++) second.push(m);
  }
  return { first, second };
}

/** What a run's step put into the network: what the server sent, less what a partition or a cut link lost. */
export function through(run: { readonly r: ClusterStep }): readonly Message[] {
  const c = run.r.state;
  return c.partition !== null || c.cuts.size > 0 ? run.r.sent.filter((m) => !isLost(c, m)) : run.r.sent;
}

/** Two runs of one step from one state: their networks differ by what each put into it (as many copies as differ, each way). */
export function listDiff(a: readonly Message[], b: readonly Message[]): { first: Message[]; second: Message[] } {
  const left = new Map<string, { m: Message; n: number }>();
  for (const m of a) {
    const slot = left.get(keyOf(m));
    if (slot) slot.n++;
    else left.set(keyOf(m), { m, n: 1 });
  }
  const second: Message[] = [];
  for (const m of b) {
    const slot = left.get(keyOf(m));
    if (slot && slot.n > 0) slot.n--;
    else second.push(m);
  }
  const first: Message[] = [];
  for (const { m, n } of left.values()) for (let j = 0; j < n; j++) first.push(m);
  return { first, second };
}

/** An event that names a message of a group settles it: that one was sent, the others are taken out of the network. */
function settleGroup(b: Branch, e: Event): Branch {
  if (b.groups.length === 0 || (e.type !== 'deliver' && e.type !== 'drop' && e.type !== 'duplicate')) return b;
  const key = keyOf(e.message);
  // The member named: the message itself, or one of which any prefix may arrive and this is one (DEC-6b).
  const names = (m: Message) => keyOf(m) === key || (anyPrefix(m) && isShorterForm(e.message, m));
  const g = b.groups.find((x) => x.some(names));
  if (!g) return b;
  const named = g.find((m) => keyOf(m) === key) ?? (g.find(names) as Message);
  // Only a message with one copy in flight names the group's: another copy (sent at another step) may be the one meant.
  if (copiesInFlight(b.c, named) > 1) return b;
  const others = g.filter((m) => keyOf(m) !== keyOf(named));
  const delta = new Map(b.delta);
  addSigned(delta, others, -1);
  const settled = { ...b, c: withoutMessages(b.c, others), groups: b.groups.filter((x) => x !== g), delta };
  const shown = shownBySettling(named, others);
  if (shown.length > 0) settledShows.set(settled, shown);
  return settled;
}

/** The alternatives of the run that sent each message of a group (set when the group is made): what settling it shows. */
const sentUnder = new WeakMap<Message, ReadonlyMap<ChoiceId, AlternativeLetter>>();

/** A branch whose group an event settled, and the alternatives that showed (counted after the step's runs, forgotten with the branch). */
const settledShows = new WeakMap<Branch, readonly string[]>();

/** The alternatives the run that sent `named` took where every run that sent one of `others` took another. */
function shownBySettling(named: Message, others: readonly Message[]): string[] {
  const mine = sentUnder.get(named);
  if (!mine) return [];
  const theirs: ReadonlyMap<ChoiceId, AlternativeLetter>[] = [];
  for (const m of others) {
    const d = sentUnder.get(m);
    if (!d) return [];
    theirs.push(d);
  }
  const out: string[] = [];
  for (const [p, letter] of mine) {
    if (theirs.every((d) => d.get(p) !== undefined && d.get(p) !== letter)) out.push(`${p}${letter}`);
  }
  return out;
}

/** Groups whose messages are all still in flight (a partition or a drop can take them out); a group of one is no group. */
function trimmedGroups(groups: readonly (readonly Message[])[], c: ClusterState, e: Event): readonly (readonly Message[])[] {
  if (groups.length === 0) return groups;
  const removed = removedBy(e);
  if (removed === null) return groups;
  if (removed === 'any') return groups.map((g) => g.filter((m) => copiesInFlight(c, m) > 0)).filter((g) => g.length > 1);
  // Only the group that holds the message taken out can change (settleGroup already settled a named one).
  const key = keyOf(removed);
  const at = groups.findIndex((g) => g.some((m) => keyOf(m) === key));
  if (at < 0) return groups;
  const g = (groups[at] as readonly Message[]).filter((m) => copiesInFlight(c, m) > 0);
  return g.length > 1 ? groups.map((x, j) => (j === at ? g : x)) : groups.filter((_, j) => j !== at);
}

/** For the in-flight comparison, a group's messages are as optional as the optional ones. */
function withGroups(optional: ReadonlyMap<string, Copies>, groups: readonly (readonly Message[])[]): ReadonlyMap<string, number> {
  const out = new Map<string, number>([...optional].map(([k, c]) => [k, c.count]));
  for (const g of groups) for (const m of g) out.set(keyOf(m), (out.get(keyOf(m)) ?? 0) + 1);
  return out;
}

export function addCounts(into: Map<string, Copies>, more: ReadonlyMap<string, Copies>): void {
  for (const [k, c] of more) into.set(k, { message: c.message, count: (into.get(k)?.count ?? 0) + c.count });
}

/** Optional copies that are still in flight: an event that took a message out (deliver, drop, partition) leaves at most as many optional as there are. */
export function trimmed(optional: ReadonlyMap<string, Copies>, c: ClusterState, e: Event): Map<string, Copies> {
  if (optional.size === 0) return new Map();
  const removed = removedBy(e);
  if (removed === null) return new Map(optional);
  const out = new Map<string, Copies>();
  for (const [k, o] of optional) {
    const left = removed !== 'any' && k !== keyOf(removed) ? o.count : Math.min(o.count, copiesInFlight(c, o.message));
    if (left > 0) out.set(k, { message: o.message, count: left });
  }
  return out;
}

/** What an event can take out of the network: nothing (null), copies of one message, or any message (a partition, a link cut). Sends only add. */
function removedBy(e: Event): Message | 'any' | null {
  if (e.type === 'deliver' || e.type === 'drop') return e.message;
  return e.type === 'partition' || e.type === 'cut' ? 'any' : null;
}

/** The step's expectations but the in-flight multiset, which checkInFlight compares with the optional messages in mind. */
function withoutInFlight(expect: Step['expect']): NonNullable<Step['expect']> {
  if (!expect) return {};
  const { inFlight: _, ...rest } = expect;
  return rest;
}

/** expect.inFlight: every copy expected is in flight, and every copy in flight is expected unless it is optional. */
function checkInFlight(expected: readonly Message[] | undefined, c: ClusterState, optional: ReadonlyMap<string, number>): string[] {
  if (expected === undefined) return [];
  const have = countsOf(c);
  const left = new Map(have);
  // DEC-6b: an expected message may be a shorter form of one sent with any prefix of its entries allowed.
  const wide = inFlight(c).filter(anyPrefix);
  const missing = new Set<string>();
  for (const m of expected) {
    const k = keyOf(m);
    const n = left.get(k) ?? 0;
    const w = n > 0 ? undefined : wide.find((x) => (left.get(keyOf(x)) ?? 0) > 0 && isShorterForm(m, x));
    if (n > 0) left.set(k, n - 1);
    else if (w) left.set(keyOf(w), (left.get(keyOf(w)) ?? 0) - 1);
    else missing.add(k);
  }
  const problems: string[] = [];
  for (const k of missing) problems.push(`in flight: expected ${k}, which is not in flight`);
  for (const [k, n] of left) if (n - (optional.get(k) ?? 0) > 0) problems.push(`in flight: ${k} is in flight but not expected`);
  return problems;
}

function sameNode(x: NodeState, y: NodeState): boolean {
  if (x === y) return true;
  if (x.role !== y.role || x.currentTerm !== y.currentTerm || x.votedFor !== y.votedFor || x.commitIndex !== y.commitIndex || x.lastApplied !== y.lastApplied
    || x.leaderId !== y.leaderId || x.heardFromLeader !== y.heardFromLeader || x.snapshotIndex !== y.snapshotIndex || x.snapshotTerm !== y.snapshotTerm) return false;
  if (x.votesGranted.length !== y.votesGranted.length || x.votesGranted.some((v) => !y.votesGranted.includes(v))) return false;
  if (!sameLog(x, y)) return false;
  if (x.machine !== y.machine && canonicalJson(x.machine) !== canonicalJson(y.machine)) return false;
  if (x.snapshotMachine !== y.snapshotMachine && canonicalJson(x.snapshotMachine) !== canonicalJson(y.snapshotMachine)) return false;
  if (canonicalJson(x.snapshotConfig) !== canonicalJson(y.snapshotConfig) || canonicalJson(x.partialSnapshot) !== canonicalJson(y.partialSnapshot)) return false;
  if (x.awaiting !== y.awaiting && canonicalJson([...x.awaiting]) !== canonicalJson([...y.awaiting])) return false;
  return sameLeader(x.leader, y.leader);
}

const sameRecord = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean => {
  if (a === b) return true;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

function sameLeader(a: NodeState['leader'], b: NodeState['leader']): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.transferee === b.transferee && a.readRound === b.readRound && a.leaseFloor === b.leaseFloor
    && sameRecord(a.nextIndex, b.nextIndex) && sameRecord(a.matchIndex, b.matchIndex) && sameRecord(a.appliedIndex, b.appliedIndex)
    && sameRecord(a.readAcks, b.readAcks) && sameRecord(a.outstanding, b.outstanding)
    && a.recentlyActive.length === b.recentlyActive.length && a.recentlyActive.every((id, k) => b.recentlyActive[k] === id)
    && (a.pendingReads === b.pendingReads || canonicalJson(a.pendingReads) === canonicalJson(b.pendingReads));
}

function sameLog(x: NodeState, y: NodeState): boolean {
  const a = x.log;
  const b = y.log;
  if (a === b) return true;
  if (a.lastIndex !== b.lastIndex || a.firstIndex !== b.firstIndex) return false;
  const shared = a.sharedPrefixLength(b);
  for (let i = Math.max(a.firstIndex, shared + 1); i <= a.lastIndex; i++) {
    const e = a.entry(i);
    const f = b.entry(i);
    if (e !== f && (e.term !== f.term || canonicalJson(e.command) !== canonicalJson(f.command) || canonicalJson(e.config ?? null) !== canonicalJson(f.config ?? null))) return false;
  }
  return true;
}
