// The safety properties of Figure 3 and the cheap local invariants, checked after every step.
//
// Checking is incremental, so that a step costs what it changes, not the length of the logs:
// each server's log is summarised by a hash chain (chain[i] identifies entries 1..i), kept in step
// with the log by looking only at the entries that changed. Log Matching then compares one number
// per new entry, Leader Completeness one number per new leader or newly committed index.
// A compacted log (SNAP-1) is summarised from its base on: the chain starts with an anchor that
// stands for the prefix the snapshot covers, which is committed, so the anchor is the committed
// prefix's hash. State machines are compared (INV-11) only at the indexes snapshots are taken at.
// The checker keeps history (who led which term, what was committed and applied), so it is the
// one stateful object in model/; it never changes the states it is given.
import type { Entry, NodeId } from '../spec/schema.js';
import { RULE_BY_ID } from '../spec/rules.js';
import { canonicalJson, configJson, sameEntry } from '../spec/canonical.js';
import { sessionOf } from '../spec/kv.js';
import type { ClusterState, ClusterStep } from './cluster.js';
import { execute } from './kv.js';
import type { Log } from './log.js';
import { type AppliedEntry, type NodeState, configOf, leaderView, peersOf } from './state.js';
import { isQuorum, sameConfiguration } from './config.js';
import { envOf } from './cluster.js';

export interface Violation {
  /** The rule ID of the property or invariant (SAFE-n, INV-n). */
  readonly id: string;
  readonly title: string;
  /** The step after which it was found (0 = the initial state). */
  readonly step: number;
  readonly nodes: readonly NodeId[];
  readonly detail: string;
}

interface LogSummary {
  log: Log;
  /** The index the summary starts at: the log's base (its snapshot's lastIncludedIndex), 0 without one. */
  base: number;
  /**
   * chain[k] identifies the prefix 1..base+k; chain[0] is the anchor, the prefix through the base
   * (0 at index 0). terms[k] is the term at base+k (terms[0]: the snapshot's lastIncludedTerm).
   */
  chain: number[];
  terms: number[];
}

/** The last index a summary covers. */
const lastOf = (sum: LogSummary): number => sum.base + sum.chain.length - 1;
/** The prefix hash and the term at an absolute index; undefined outside base..last. */
const chainAt = (sum: LogSummary, i: number): number | undefined => (i >= sum.base ? sum.chain[i - sum.base] : undefined);
const termIn = (sum: LogSummary, i: number): number | undefined => (i >= sum.base ? sum.terms[i - sum.base] : undefined);

/**
 * In the committed prefix: an index known to be committed whose entry no server has shown (a
 * hand-written initial snapshot covers it). Hashes are never negative. Comparisons skip it.
 */
const UNKNOWN = -1;

/**
 * An array of numbers indexed 0..length-1, kept as runs of equal values: a run as long as an index
 * read from a trace (a hand-written or installed snapshot through index 2^31-1 that no server shows
 * the entries of) costs one slot, so memory and time follow the entries present, not the numbers.
 */
class Runs {
  /** starts[k]: the first index of run k (ascending, starts[0] = 0); values[k]: its value. */
  private starts: number[] = [];
  private values: number[] = [];
  length = 0;

  static of(value: number): Runs {
    const r = new Runs();
    r.push(value);
    return r;
  }

  copy(): Runs {
    const r = new Runs();
    r.starts = [...this.starts];
    r.values = [...this.values];
    r.length = this.length;
    return r;
  }

  /** Appends `count` copies of `value`. */
  push(value: number, count = 1): void {
    if (count <= 0) return;
    if (this.values.length === 0 || this.values[this.values.length - 1] !== value) {
      this.starts.push(this.length);
      this.values.push(value);
    }
    this.length += count;
  }

  /** The run holding index i (0 <= i < length). */
  private runOf(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  at(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.values[this.runOf(i)] : undefined;
  }

  /** Sets indexes from..to (within 0..length-1) to `value`. */
  fill(value: number, from: number, to: number): void {
    if (from > to) return;
    const starts: number[] = [];
    const values: number[] = [];
    const add = (start: number, v: number) => {
      if (values.length > 0 && values[values.length - 1] === v) return;
      starts.push(start);
      values.push(v);
    };
    const first = this.runOf(from);
    for (let k = 0; k < first; k++) add(this.starts[k] as number, this.values[k] as number);
    if ((this.starts[first] as number) < from) add(this.starts[first] as number, this.values[first] as number);
    add(from, value);
    if (to + 1 < this.length) {
      const next = this.runOf(to + 1);
      add(to + 1, this.values[next] as number);
      for (let k = next + 1; k < this.starts.length; k++) add(this.starts[k] as number, this.values[k] as number);
    }
    this.starts = starts;
    this.values = values;
  }

  /** The last index whose value is below `limit`, for values that never decrease along the indexes (-1 if none). */
  lastBelow(limit: number): number {
    let lo = -1;
    let hi = this.values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.values[mid] as number) < limit) lo = mid;
      else hi = mid - 1;
    }
    if (lo < 0) return -1;
    return lo + 1 < this.starts.length ? (this.starts[lo + 1] as number) - 1 : this.length - 1;
  }
}

export class InvariantChecker {
  private readonly summaries = new Map<NodeId, LogSummary>();
  /** (index, term) -> the prefix hash and how many servers hold it: Log Matching, as a state property. */
  private readonly held = new Map<number | string, { hash: number; holders: number }>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** The committed prefix as known so far: committedChain[i] identifies the committed entries 1..i, committedTerms[i] is the term of entry i (or UNKNOWN). */
  private readonly committedChain = Runs.of(0);
  private readonly committedTerms = Runs.of(0);
  /**
   * committedIn[i]: the term in which entry i was committed, i.e. the lowest currentTerm of a server
   * whose commitIndex reached i (reaching k commits every index up to k). It never decreases along
   * the log, since every commit of index j commits each index below j as well.
   */
  private readonly committedIn = Runs.of(0);
  /** index -> hash of the entry first applied there by any server. */
  private readonly appliedAt = new Map<number, { hash: number; by: NodeId }>();
  /** INV-11: index -> the state machine as of that index, as first snapshotted there (canonical JSON); and those indexes in order. */
  private readonly machines = new Map<number, { machine: unknown; json: string; by: NodeId }>();
  private readonly snapshotPoints: number[] = [];
  /** INV-12: client -> seq -> the index where that operation was executed (not answered as a duplicate). */
  private readonly executedAt = new Map<string, Map<number, { index: number; by: NodeId }>>();
  /** INV-13: per crashed server, its lastApplied and state machine at the crash, until it applies through that index again. */
  private readonly atCrash = new Map<NodeId, { index: number; machine: NodeState['machine'] }>();
  private violations: Violation[] = [];
  private stepNo = 0;
  /** The alternatives of choice points (spec/choices.ts) the run may take beyond the model's own: the local invariants they make untrue are not checked. */
  permitted: ReadonlySet<string> = new Set();
  private current: ClusterState;

  /** Start from an initial cluster state: summarises every log and checks the state itself. */
  constructor(initial: ClusterState) {
    this.current = initial;
    const node = (id: NodeId): NodeState => initial.nodes[id] as NodeState;
    // Servers with the lowest snapshot first, noting their commits as they go, so that a compacted
    // log is anchored to the entries another server shows (when one does).
    const bySnapshot = [...initial.servers].sort((a, b) => node(a).snapshotIndex - node(b).snapshotIndex);
    for (const id of bySnapshot) {
      this.summaries.set(id, { log: node(id).log, base: 0, chain: [0], terms: [0] });
      this.syncLog(id, null, node(id));
      this.noteCommit(id, node(id), false);
    }
    for (const id of initial.servers) {
      this.checkLocal(id, null, node(id), false);
      if (node(id).role === 'leader') this.checkNewLeader(id, node(id));
    }
    for (const id of initial.servers) this.checkMachines(id, null, node(id), [], this.noteSnapshot(id, null, node(id)));
    this.initialViolations = this.violations;
  }

  private initialViolations: Violation[];

  /**
   * An independent copy, for a search that follows several possible runs at once (the validator's
   * frontier, conformance/search.ts): each run's history goes on separately from here. O(the
   * history kept): the search copies only where one state has more than one successor.
   */
  clone(): InvariantChecker {
    const c = Object.create(InvariantChecker.prototype) as InvariantChecker;
    const self = this as unknown as Record<string, unknown>;
    const copy = c as unknown as Record<string, unknown>;
    Object.assign(copy, self);
    copy.summaries = new Map([...this.summaries].map(([id, sum]) => [id, { log: sum.log, base: sum.base, chain: [...sum.chain], terms: [...sum.terms] }]));
    copy.held = new Map([...this.held].map(([k, v]) => [k, { hash: v.hash, holders: v.holders }]));
    copy.leaderOfTerm = new Map(this.leaderOfTerm);
    copy.committedChain = this.committedChain.copy();
    copy.committedTerms = this.committedTerms.copy();
    copy.committedIn = this.committedIn.copy();
    copy.appliedAt = new Map(this.appliedAt);
    copy.machines = new Map(this.machines);
    copy.snapshotPoints = [...this.snapshotPoints];
    copy.executedAt = new Map([...this.executedAt].map(([client, bySeq]) => [client, new Map(bySeq)]));
    copy.atCrash = new Map(this.atCrash);
    copy.violations = [];
    return c;
  }

  /** What the initial state itself breaks (a hand-written initial state can be inconsistent). */
  takeInitialViolations(): Violation[] {
    return this.initialViolations;
  }

  /** Check the state after one step; returns the violations found (empty when all holds). */
  check(prev: ClusterState, r: ClusterStep, stepNo: number, event?: { type: string }): Violation[] {
    this.violations = [];
    this.stepNo = stepNo;
    this.current = r.state;
    const touched = r.node === null ? [] : [r.node];
    for (const id of touched) {
      const before = prev.nodes[id] as NodeState;
      const after = r.state.nodes[id] as NodeState;
      if (before === after) continue;
      const restarted = event?.type === 'crash';
      this.syncLog(id, before, after);
      this.checkLocal(id, before, after, restarted);
      const becameLeader = after.role === 'leader' && (before.role !== 'leader' || before.currentTerm !== after.currentTerm);
      if (becameLeader) this.checkNewLeader(id, after);
      if (after.role === 'leader' && (becameLeader || !sameConfiguration(configOf(envOf(r.state, id), before), configOf(envOf(r.state, id), after)))) this.checkDisjointQuorums(id, after);
      this.noteCommit(id, after);
      const inOrder = this.checkApplyOrder(id, before, after, r.applied, restarted);
      this.checkMachines(id, before, after, inOrder ? r.applied : [], this.noteSnapshot(id, before, after));
      if (restarted) this.noteCrash(id, before);
      else this.checkRebuilt(id, before, after, inOrder ? r.applied : []);
    }
    for (const a of r.applied) this.noteApplied(r.node as NodeId, a.index, a.term, a.command);
    for (const a of r.applied) if (!a.duplicate) this.noteExecuted(r.node as NodeId, a.index, a.command);
    return this.violations;
  }

  private fail(id: string, nodes: readonly NodeId[], detail: string): void {
    this.violations.push({ id, title: RULE_BY_ID.get(id)?.title ?? id, step: this.stepNo, nodes, detail });
  }

  // -------------------------------------------------------------------------------------------
  // Log summaries: SAFE-2, SAFE-3, INV-5

  private syncLog(id: NodeId, before: NodeState | null, after: NodeState): void {
    const sum = this.summaries.get(id) as LogSummary;
    const oldLog = sum.log;
    const log = after.log;
    if (before !== null && oldLog === log) return;
    // The last index through which the summary still describes the new log (-1: not even its base).
    const common = before === null ? -1 : agreedThrough(sum, log);
    // SAFE-2: a leader that stays leader of the same term only appends (compacting its prefix changes no entry).
    if (before && before.role === 'leader' && after.role === 'leader' && before.currentTerm === after.currentTerm && common < oldLog.lastIndex) {
      this.fail('SAFE-2', [id], `leader ${id} of term ${after.currentTerm} lost or changed entries ${Math.max(common, oldLog.base) + 1}..${oldLog.lastIndex} of its log`);
    }
    const top = lastOf(sum);
    if (common < log.base) {
      // Start again from the new base (a first summary, or a snapshot the old log did not hold, IS-7).
      for (let i = top; i > sum.base; i--) this.release(i, termIn(sum, i) as number);
      sum.chain = [this.anchorAt(id, log.base, log.baseTerm)];
      sum.terms = [log.baseTerm];
      sum.base = log.base;
    } else {
      // Forget the entries after `common`, and those the new base compacted (SNAP-1, IS-6).
      for (let i = top; i > common; i--) this.release(i, termIn(sum, i) as number);
      for (let i = sum.base + 1; i <= log.base; i++) this.release(i, termIn(sum, i) as number);
      sum.chain.length = common - sum.base + 1;
      sum.terms.length = common - sum.base + 1;
      if (log.base > sum.base) {
        sum.chain.splice(0, log.base - sum.base);
        sum.terms.splice(0, log.base - sum.base);
        sum.base = log.base;
      }
    }
    for (let i = Math.max(common, log.base) + 1; i <= log.lastIndex; i++) {
      const e = log.entry(i);
      // INV-5 from the base on: the first entry after a snapshot is of its term or a later one.
      const prevTerm = termIn(sum, i - 1) as number;
      if (e.term < prevTerm) this.fail('INV-5', [id], `${id}'s log has term ${e.term} at index ${i} after term ${prevTerm} at index ${i - 1}${i - 1 === log.base && log.base > 0 ? ' (its snapshot)' : ''}`);
      if (e.term > after.currentTerm) this.fail('INV-5', [id], `${id}'s log has term ${e.term} at index ${i}, above its currentTerm ${after.currentTerm}`);
      const hash = mix(chainAt(sum, i - 1) as number, hashOfEntry(e));
      sum.chain.push(hash);
      sum.terms.push(e.term);
      this.hold(id, i, e.term, hash);
    }
    sum.log = log;
  }

  /**
   * The hash that stands for the prefix 1..index of a log compacted through index, whose term
   * there is `term`: the committed prefix (a snapshot covers committed entries only, INV-11), or
   * failing that the prefix of another server that holds that entry, or failing that (a
   * hand-written initial snapshot) a hash of (index, term) alone, the same for every server.
   */
  private anchorAt(id: NodeId, index: number, term: number): number {
    if (index === 0) return 0;
    const committed = this.committedChain.at(index);
    if (committed !== undefined && committed !== UNKNOWN && this.committedTerms.at(index) === term) return committed;
    for (const [other, sum] of this.summaries) {
      const hash = chainAt(sum, index);
      if (other !== id && hash !== undefined && termIn(sum, index) === term) return hash;
    }
    return hashString(`snapshot ${index} ${term}`);
  }

  private hold(id: NodeId, index: number, term: number, hash: number): void {
    const key = heldKey(index, term);
    const slot = this.held.get(key);
    if (!slot) {
      this.held.set(key, { hash, holders: 1 });
      return;
    }
    slot.holders++;
    if (slot.hash !== hash) {
      const others = [...this.summaries].filter(([o, s]) => o !== id && termIn(s, index) === term && chainAt(s, index) === slot.hash).map(([o]) => o);
      this.fail('SAFE-3', [id, ...others], `${id} and ${others.join(', ') || 'another server'} both hold an entry of term ${term} at index ${index}, but their logs differ at or before it`);
    }
  }

  private release(index: number, term: number): void {
    const key = heldKey(index, term);
    const slot = this.held.get(key);
    if (slot && --slot.holders === 0) this.held.delete(key);
  }

  // -------------------------------------------------------------------------------------------
  // Leaders and commitment: SAFE-1, SAFE-4, INV-9

  private checkNewLeader(id: NodeId, s: NodeState): void {
    const earlier = this.leaderOfTerm.get(s.currentTerm);
    if (earlier !== undefined && earlier !== id) {
      this.fail('SAFE-1', [earlier, id], `${earlier} and ${id} were both leaders of term ${s.currentTerm}`);
    } else {
      this.leaderOfTerm.set(s.currentTerm, id);
    }
    this.checkHoldsCommitted(id, s);
  }

  /**
   * INV-14: a leader that just took office or changed its configuration, against every other
   * leader: the one of the older term must not have a quorum of its configuration among the
   * servers whose term is at most its own (they would still follow it). O(servers) per leader.
   */
  private checkDisjointQuorums(id: NodeId, s: NodeState): void {
    for (const other of this.current.servers) {
      const o = this.current.nodes[other] as NodeState;
      if (other === id || o.role !== 'leader' || o.currentTerm === s.currentTerm) continue;
      const [older, newer] = o.currentTerm < s.currentTerm ? [other, id] : [id, other];
      const old = this.current.nodes[older] as NodeState;
      const followers = (x: NodeId) => (this.current.nodes[x] as NodeState).currentTerm <= old.currentTerm;
      if (isQuorum(configOf(envOf(this.current, older), old), followers)) {
        const quorum = this.current.servers.filter(followers);
        this.fail('INV-14', [older, newer], `${older}, leader of term ${old.currentTerm}, still has a quorum of its configuration among servers at its term or below (${quorum.join(', ')}) while ${newer} is leader of term ${(this.current.nodes[newer] as NodeState).currentTerm}`);
      }
    }
  }

  /** The last index committed in a term below `term` (0 if none): committedIn rises along the log. */
  private lastCommittedBefore(term: number): number {
    return Math.max(0, this.committedIn.lastBelow(term));
  }

  /** SAFE-4: a leader of term T holds every entry committed in a term below T. */
  private checkHoldsCommitted(id: NodeId, s: NodeState): void {
    const lo = this.lastCommittedBefore(s.currentTerm);
    if (lo === 0) return;
    const sum = this.summaries.get(id) as LogSummary;
    // A compacted prefix is compared through the base (the anchor stands for it).
    const at = Math.max(lo, sum.base);
    const committed = this.committedChain.at(at);
    if (committed === undefined || committed === UNKNOWN) return;
    if (chainAt(sum, at) !== committed) {
      this.fail('SAFE-4', [id], `leader ${id} of term ${s.currentTerm} lacks committed entries: its log ${lastOf(sum) < at ? `ends at index ${lastOf(sum)}` : 'differs'} below committed index ${at}`);
    }
  }

  /**
   * INV-9, SAFE-4: what a server commits agrees with what anyone committed; new commits reach every
   * newer leader (not swept while the initial state is read: every leader is checked after it).
   */
  private noteCommit(id: NodeId, s: NodeState, sweepLeaders = true): void {
    if (s.commitIndex === 0) return;
    const sum = this.summaries.get(id) as LogSummary;
    const known = this.committedChain.length - 1;
    const upto = Math.min(s.commitIndex, known);
    // Below its base a compacted log shows nothing to compare; neither does an UNKNOWN committed index.
    const comparable = upto > 0 && upto >= sum.base && this.committedChain.at(upto) !== UNKNOWN;
    if (comparable && chainAt(sum, upto) !== this.committedChain.at(upto)) {
      this.fail('INV-9', [id], `${id} committed through index ${s.commitIndex}, but its entries up to index ${upto} differ from those committed before`);
      return;
    }
    // Indexes up to commitIndex are committed in this server's term, if not in an earlier one.
    const firstLater = this.lastCommittedBefore(s.currentTerm + 1) + 1;
    const lowered = firstLater <= upto;
    this.committedIn.fill(s.currentTerm, firstLater, upto);
    // Bounded by the entries present, not by the numbers read: the indexes below the log's base that
    // no server has shown are one run of UNKNOWN (a hand-written snapshot through 2^31-1 costs one
    // slot), and a commitIndex past the log's end breaks INV-3 (reported by checkLocal) and adds nothing.
    const end = Math.min(s.commitIndex, lastOf(sum));
    if (end > known) {
      const gap = Math.min(end, sum.base - 1) - known;
      this.committedChain.push(UNKNOWN, gap);
      this.committedTerms.push(UNKNOWN, gap);
      this.committedIn.push(s.currentTerm, end - known);
      for (let i = Math.max(known + 1, sum.base); i <= end; i++) {
        this.committedChain.push(chainAt(sum, i) ?? UNKNOWN);
        this.committedTerms.push(termIn(sum, i) ?? UNKNOWN);
      }
    }
    if (!sweepLeaders || (s.commitIndex <= known && !lowered)) return;
    // A newly committed entry must be in every current leader of a newer term.
    for (const other of this.current.servers) {
      const o = this.current.nodes[other] as NodeState;
      if (other !== id && o.role === 'leader') this.checkHoldsCommitted(other, o);
    }
  }

  // -------------------------------------------------------------------------------------------
  // SAFE-5

  private noteApplied(id: NodeId, index: number, term: number, command: unknown): void {
    const hash = entryHash(term, command);
    const first = this.appliedAt.get(index);
    if (!first) this.appliedAt.set(index, { hash, by: id });
    else if (first.hash !== hash) {
      this.fail('SAFE-5', [first.by, id], `${id} applied a different entry at index ${index} (term ${term}, ${canonicalJson(command)}) than ${first.by} did`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // INV-12

  /** INV-12: a (client, seq) executes at one index only; re-executing it there (a restart applies the log again) is fine. */
  private noteExecuted(id: NodeId, index: number, command: unknown): void {
    const op = sessionOf(command);
    if (op === null) return;
    let bySeq = this.executedAt.get(op.client);
    if (!bySeq) {
      bySeq = new Map();
      this.executedAt.set(op.client, bySeq);
    }
    const first = bySeq.get(op.seq);
    if (!first) bySeq.set(op.seq, { index, by: id });
    else if (first.index !== index) {
      this.fail('INV-12', [first.by, id], `operation ${op.seq} of client ${op.client} was executed at index ${first.index} by ${first.by} and again at index ${index} by ${id}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Apply order and snapshots: INV-10, INV-11

  /**
   * INV-10: the entries a step applies are lastApplied + 1, + 2, ... of the server before the step,
   * and lastApplied ends at the last of them. Without entries applied, lastApplied moves only by a
   * snapshot install (IS-8: forward, to the new snapshotIndex) or a restart (SNAP-4: to
   * snapshotIndex). Returns whether the applied entries were in order.
   */
  private checkApplyOrder(id: NodeId, before: NodeState, after: NodeState, applied: readonly AppliedEntry[], restarted: boolean): boolean {
    const was = before.lastApplied;
    const now = after.lastApplied;
    if (restarted) {
      if (now !== after.snapshotIndex) this.fail('INV-10', [id], `${id} restarted with lastApplied ${now}, not its snapshotIndex ${after.snapshotIndex}`);
      return true;
    }
    let last = was;
    for (const a of applied) {
      if (a.index !== last + 1) {
        this.fail('INV-10', [id], `${id} applied index ${a.index} ${a.index <= last ? 'again ' : ''}after index ${last}${last === was ? ` (its lastApplied before the step)` : ''}`);
        return false;
      }
      last = a.index;
    }
    if (applied.length > 0) {
      if (now !== last) this.fail('INV-10', [id], `${id} applied entries ${was + 1}..${last} but has lastApplied ${now}`);
      return true;
    }
    if (now === was) return true;
    const installed = after.snapshotIndex !== before.snapshotIndex && now === after.snapshotIndex;
    if (now < was) this.fail('INV-10', [id], `${id}'s lastApplied went from ${was} back to ${now}${installed ? ' by installing a snapshot' : ''}`);
    else if (!installed) this.fail('INV-10', [id], `${id}'s lastApplied went from ${was} to ${now} without applying entries or installing a snapshot through ${now}`);
    return true;
  }

  /**
   * INV-11, part one: a new snapshot (taken, installed, or in the initial state) covers committed
   * entries, and its lastIncludedTerm is the committed entry's term. Its state machine is recorded at
   * its index, or compared with the one recorded there. Returns whether the snapshot is new.
   */
  private noteSnapshot(id: NodeId, before: NodeState | null, s: NodeState): boolean {
    const index = s.snapshotIndex;
    if (index === 0) return false;
    if (before && before.snapshotIndex === index && before.snapshotTerm === s.snapshotTerm && before.snapshotMachine === s.snapshotMachine) return false;
    const known = this.committedChain.length - 1;
    const term = this.committedTerms.at(index);
    if (index > known) {
      this.fail('INV-11', [id], `${id}'s snapshot through index ${index} covers entries not known to be committed (committed through ${known})`);
    } else if (term !== UNKNOWN && term !== s.snapshotTerm) {
      this.fail('INV-11', [id], `${id}'s snapshot through index ${index} has lastIncludedTerm ${s.snapshotTerm}, but the entry committed there has term ${term}`);
    }
    this.compareMachine(id, index, s.snapshotMachine, 'snapshot', true);
    this.forgetPassedPoints();
    return true;
  }

  /**
   * Snapshot indexes below every server's snapshotIndex can no longer be reached: lastApplied never
   * goes below snapshotIndex (a restart lands on it), and new snapshots are above it. Their state
   * machines are dropped, so that memory follows the spread of the snapshots, not the run.
   */
  private forgetPassedPoints(): void {
    let lowest = Infinity;
    for (const id of this.current.servers) lowest = Math.min(lowest, (this.current.nodes[id] as NodeState).snapshotIndex);
    let k = 0;
    for (; k < this.snapshotPoints.length && (this.snapshotPoints[k] as number) < lowest; k++) this.machines.delete(this.snapshotPoints[k] as number);
    if (k > 0) this.snapshotPoints.splice(0, k);
  }

  /**
   * INV-11, part two: a server that applied through an index where some snapshot was taken has the
   * snapshot's state machine there. Checked where lastApplied lands on such an index, and where a
   * step's applied entries pass over one (the state machine there is rebuilt from the one before
   * the step and the entries applied up to it: work the step did anyway).
   */
  private checkMachines(id: NodeId, before: NodeState | null, after: NodeState, applied: readonly AppliedEntry[], newSnapshot: boolean): void {
    if (before && applied.length > 1 && this.snapshotPoints.length > 0) {
      const lastIndex = (applied[applied.length - 1] as AppliedEntry).index;
      let machine = before.machine;
      let k = 0;
      for (let p = this.firstPointAfter(before.lastApplied); p < this.snapshotPoints.length; p++) {
        const index = this.snapshotPoints[p] as number;
        if (index >= lastIndex) break;
        for (; k < applied.length && (applied[k] as AppliedEntry).index <= index; k++) machine = execute(machine, (applied[k] as AppliedEntry).command).machine;
        this.compareMachine(id, index, machine, `state machine after applying through index ${index}`, false);
      }
    }
    const at = after.lastApplied;
    const moved = !before || before.lastApplied !== at || before.machine !== after.machine || newSnapshot;
    if (moved && this.machines.has(at)) this.compareMachine(id, at, after.machine, `state machine at lastApplied ${at}`, false);
  }

  /** INV-11: the state machine as of `index` equals the one first snapshotted there; `record` makes it that one if there is none yet. */
  private compareMachine(id: NodeId, index: number, machine: unknown, what: string, record: boolean): void {
    const seen = this.machines.get(index);
    if (seen && seen.machine === machine) return;
    const json = canonicalJson(machine);
    if (!seen) {
      if (!record) return;
      this.machines.set(index, { machine, json, by: id });
      this.snapshotPoints.splice(this.firstPointAfter(index), 0, index);
    } else if (seen.json !== json) {
      this.fail('INV-11', seen.by === id ? [id] : [seen.by, id], `${id}'s ${what} differs from the snapshot ${seen.by} took at index ${index}: ${abbreviate(json)} instead of ${abbreviate(seen.json)}`);
    }
  }

  /**
   * INV-13: a server that crashed with lastApplied i rebuilds, from its snapshot and log, the state
   * machine it had at i. A second crash before it gets there keeps the higher index.
   */
  private noteCrash(id: NodeId, before: NodeState): void {
    const pending = this.atCrash.get(id);
    if (before.lastApplied === 0 || (pending && pending.index > before.lastApplied)) return;
    this.atCrash.set(id, { index: before.lastApplied, machine: before.machine });
  }

  private checkRebuilt(id: NodeId, before: NodeState, after: NodeState, applied: readonly AppliedEntry[]): void {
    const pending = this.atCrash.get(id);
    if (!pending || after.lastApplied < pending.index) return;
    this.atCrash.delete(id);
    let machine: NodeState['machine'] | null = null;
    if (after.lastApplied === pending.index) machine = after.machine;
    else if (applied.length > 0 && before.lastApplied < pending.index) {
      // The step applied past it: rebuild the machine at that index from the one before the step.
      machine = before.machine;
      for (const a of applied) {
        if (a.index > pending.index) break;
        machine = execute(machine, a.command).machine;
      }
    }
    if (machine === null || machine === pending.machine) return; // passed over by a snapshot install: nothing to compare
    const got = canonicalJson(machine);
    const want = canonicalJson(pending.machine);
    if (got !== want) this.fail('INV-13', [id], `${id} crashed with lastApplied ${pending.index} and state machine ${abbreviate(want)}, but after its restart its state machine at index ${pending.index} is ${abbreviate(got)}`);
  }

  /** The position in snapshotPoints of the first index above `index`. */
  private firstPointAfter(index: number): number {
    let lo = 0;
    let hi = this.snapshotPoints.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.snapshotPoints[mid] as number) <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // -------------------------------------------------------------------------------------------
  // Local invariants: INV-1 .. INV-4, INV-6 .. INV-8

  private checkLocal(id: NodeId, before: NodeState | null, s: NodeState, restarted: boolean): void {
    if (before) {
      if (s.currentTerm < before.currentTerm) this.fail('INV-1', [id], `${id}'s currentTerm went from ${before.currentTerm} down to ${s.currentTerm}`);
      if (s.currentTerm === before.currentTerm && s.votedFor !== before.votedFor && before.votedFor !== null) {
        this.fail('INV-2', [id], `${id} changed its vote in term ${s.currentTerm} from ${before.votedFor} to ${String(s.votedFor)}`);
      }
      if (!restarted && s.commitIndex < before.commitIndex) this.fail('INV-4', [id], `${id}'s commitIndex went from ${before.commitIndex} down to ${s.commitIndex}`);
    }
    // With a snapshot: snapshotIndex <= lastApplied, and the log starts right after the snapshot.
    if (!(s.snapshotIndex <= s.lastApplied && s.lastApplied <= s.commitIndex && s.commitIndex <= s.log.lastIndex && s.log.base === s.snapshotIndex)) {
      const snapshot = s.snapshotIndex > 0 || s.log.base > 0 ? `snapshotIndex ${s.snapshotIndex}${s.log.base === s.snapshotIndex ? '' : ` (its log starts after index ${s.log.base})`}, ` : '';
      this.fail('INV-3', [id], `${id} has ${snapshot}lastApplied ${s.lastApplied}, commitIndex ${s.commitIndex}, last log index ${s.log.lastIndex}`);
    }
    if (s.log.baseTerm !== s.snapshotTerm) this.fail('INV-5', [id], `${id}'s snapshotTerm is ${s.snapshotTerm}, but its log records term ${s.log.baseTerm} at the snapshot's index`);
    const l = leaderView(s);
    if (s.role === 'leader') {
      // Every peer of its configuration (DEC-15): a peer missing from either map breaks the invariant as much as a bad value, and so does a key of a server that is not a peer.
      const peers = peersOf(envOf(this.current, id), s);
      const stray = Object.keys(l.nextIndex).find((p) => !peers.includes(p)) ?? Object.keys(l.matchIndex).find((p) => !peers.includes(p));
      if (stray !== undefined) this.fail('INV-6', [id, stray], `leader ${id} keeps progress for ${stray}, which is not a peer of its configuration`);
      for (const peer of peers) {
        const next = l.nextIndex[peer];
        const match = l.matchIndex[peer];
        if (next === undefined || match === undefined) {
          this.fail('INV-6', [id, peer], `leader ${id} has ${next === undefined ? 'no nextIndex' : `nextIndex ${next}`} and ${match === undefined ? 'no matchIndex' : `matchIndex ${match}`} for ${peer}`);
          continue;
        }
        // DEC-4b (every rejection backs off by one) and DEC-3b (nextIndex follows a reordered older success) can take nextIndex to or below matchIndex: safe, so not a violation where they are permitted.
        const matchBelowNext = match < next || this.permitted.has('DEC-4b') || this.permitted.has('DEC-3b');
        if (!(next >= 1 && matchBelowNext && next <= s.log.lastIndex + 1 && match <= s.log.lastIndex)) {
          this.fail('INV-6', [id, peer], `leader ${id} has nextIndex ${next} and matchIndex ${match} for ${peer}, last log index ${s.log.lastIndex}`);
        }
        const was = before && before.role === 'leader' && before.currentTerm === s.currentTerm ? leaderView(before).matchIndex[peer] : undefined;
        if (was !== undefined && match < was) this.fail('INV-7', [id, peer], `leader ${id}'s matchIndex for ${peer} went from ${was} down to ${match}`);
      }
    }
    const hasProgress = Object.keys(l.nextIndex).length > 0 || Object.keys(l.matchIndex).length > 0;
    if (s.role === 'follower' && (s.votesGranted.length > 0 || hasProgress)) {
      this.fail('INV-8', [id], `follower ${id} keeps ${s.votesGranted.length > 0 ? `votesGranted [${s.votesGranted.join(', ')}]` : 'nextIndex/matchIndex'}`);
    }
    if ((s.role === 'candidate' || s.role === 'precandidate') && hasProgress) this.fail('INV-8', [id], `${s.role} ${id} keeps nextIndex/matchIndex`);
    // PV-1: a precandidate counts itself among its pre-votes, but a pre-vote is not a vote: votedFor is whatever it was.
    if (s.role === 'precandidate' && !s.votesGranted.includes(id)) {
      this.fail('INV-8', [id], `precandidate ${id} of term ${s.currentTerm} has votesGranted [${s.votesGranted.join(', ')}] without itself`);
    }
    if ((s.role === 'candidate' || s.role === 'leader') && (s.votedFor !== id || !s.votesGranted.includes(id))) {
      this.fail('INV-8', [id], `${s.role} ${id} of term ${s.currentTerm} has votedFor ${String(s.votedFor)} and votesGranted [${s.votesGranted.join(', ')}]`);
    }
    // DEC-10: the leader-only state of the dissertation options (CQ-1, LT-1, FC-2) is empty on every other role.
    if (s.role !== 'leader' && (l.recentlyActive.length > 0 || l.transferee !== null || Object.keys(l.appliedIndex).length > 0)) {
      const kept = [l.recentlyActive.length > 0 ? `recentlyActive [${l.recentlyActive.join(', ')}]` : '', l.transferee !== null ? `transferee ${l.transferee}` : '', Object.keys(l.appliedIndex).length > 0 ? 'appliedIndex' : ''];
      this.fail('INV-8', [id], `${s.role} ${id} keeps ${kept.filter((k) => k !== '').join(', ')}`);
    }
  }
}

/** (index, term) as one number while terms stay below 2^21 and indexes below 2^32 (no string to build), else as text. */
function heldKey(index: number, term: number): number | string {
  return term < 0x200000 && index < 0x100000000 ? index * 0x200000 + term : `${index}:${term}`;
}

/**
 * The last index through which the summary of the old log still holds for `log`: the new base must
 * be summarised with the same term, and the entries after it equal. Versions of one buffer with one
 * base are known to agree at once; others are compared entry by entry (entries are shared objects,
 * so mostly by identity). -1 when the summary does not even hold the new base.
 */
function agreedThrough(sum: LogSummary, log: Log): number {
  const shared = sum.log.sharedPrefixLength(log);
  if (shared >= 0) return shared;
  if (log.base < sum.base || log.base > lastOf(sum) || termIn(sum, log.base) !== log.baseTerm) return -1;
  let common = log.base;
  const n = Math.min(sum.log.lastIndex, log.lastIndex);
  while (common < n && sameEntryAt(sum.log, log, common + 1)) common++;
  return common;
}

function sameEntryAt(a: Log, b: Log, i: number): boolean {
  const x = a.entry(i);
  const y = b.entry(i);
  return x === y || sameEntry(x, y);
}

// 53-bit hashes from two 32-bit FNV-1a style lanes: collisions are negligible at any log size here.
// Entries are immutable values shared between logs and messages: each is hashed once.
const entryHashes = new WeakMap<object, number>();
function hashOfEntry(e: Entry): number {
  let h = entryHashes.get(e);
  if (h === undefined) {
    // CFG-1: a configuration entry is named by its configuration too.
    h = e.config === undefined ? entryHash(e.term, e.command) : hashString(`${e.term}|${canonicalJson(e.command)}|${configJson(e.config)}`);
    entryHashes.set(e, h);
  }
  return h;
}

function entryHash(term: number, command: unknown): number {
  return hashString(`${term}|${canonicalJson(command)}`);
}

function abbreviate(json: string): string {
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function hashString(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

function mix(prefix: number, entry: number): number {
  return hashString(`${prefix}:${entry}`);
}
