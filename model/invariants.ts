// The safety properties of Figure 3 and the cheap local invariants, checked after every step.
//
// Checking is incremental, so that a step costs what it changes, not the length of the logs:
// each server's log is summarised by a hash chain (chain[i] identifies entries 1..i), kept in step
// with the log by looking only at the entries that changed. Log Matching then compares one number
// per new entry, Leader Completeness one number per new leader or newly committed index.
// The checker keeps history (who led which term, what was committed and applied), so it is the
// one stateful object in model/; it never changes the states it is given.
import type { NodeId } from '../spec/schema.js';
import { RULE_BY_ID } from '../spec/rules.js';
import { canonicalJson } from '../spec/canonical.js';
import type { ClusterState, ClusterStep } from './cluster.js';
import type { Log } from './log.js';
import type { NodeState } from './state.js';

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
  /** chain[i] identifies the prefix 1..i (chain[0] = 0); terms[i] is the term at i. */
  chain: number[];
  terms: number[];
}

export class InvariantChecker {
  private readonly summaries = new Map<NodeId, LogSummary>();
  /** (index, term) -> the prefix hash and how many servers hold it: Log Matching, as a state property. */
  private readonly held = new Map<number | string, { hash: number; holders: number }>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** The committed prefix as known so far: committedChain[i] identifies the committed entries 1..i. */
  private readonly committedChain: number[] = [0];
  /**
   * committedIn[i]: the term in which entry i was committed, i.e. the lowest currentTerm of a server
   * whose commitIndex reached i (reaching k commits every index up to k). It never decreases along
   * the log, since every commit of index j commits each index below j as well.
   */
  private readonly committedIn: number[] = [0];
  /** index -> hash of the entry first applied there by any server. */
  private readonly appliedAt = new Map<number, { hash: number; by: NodeId }>();
  private violations: Violation[] = [];
  private stepNo = 0;
  private current: ClusterState;

  /** Start from an initial cluster state: summarises every log and checks the state itself. */
  constructor(initial: ClusterState) {
    this.current = initial;
    for (const id of initial.servers) {
      const s = initial.nodes[id] as NodeState;
      this.summaries.set(id, { log: s.log, chain: [0], terms: [0] });
      this.syncLog(id, null, s);
      this.checkLocal(id, null, s, false);
      if (s.role === 'leader') this.checkNewLeader(id, s);
    }
    for (const id of initial.servers) this.noteCommit(id, initial.nodes[id] as NodeState);
    this.initialViolations = this.violations;
  }

  private initialViolations: Violation[];

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
      this.noteCommit(id, after);
    }
    for (const a of r.applied) this.noteApplied(r.node as NodeId, a.index, a.term, a.command);
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
    // The entries both versions hold: known at once for versions of one buffer, else compared.
    let common = oldLog.sharedPrefixLength(log);
    if (common < 0) {
      common = 0;
      const n = Math.min(oldLog.lastIndex, log.lastIndex);
      while (common < n && sameEntry(oldLog, log, common + 1)) common++;
    }
    if (before === null) common = 0;
    // SAFE-2: a leader that stays leader of the same term only appends.
    if (before && before.role === 'leader' && after.role === 'leader' && before.currentTerm === after.currentTerm && common < oldLog.lastIndex) {
      this.fail('SAFE-2', [id], `leader ${id} of term ${after.currentTerm} lost or changed entries ${common + 1}..${oldLog.lastIndex} of its log`);
    }
    for (let i = sum.chain.length - 1; i > common; i--) this.release(i, sum.terms[i] as number);
    sum.chain.length = common + 1;
    sum.terms.length = common + 1;
    for (let i = common + 1; i <= log.lastIndex; i++) {
      const e = log.entry(i);
      const prevTerm = sum.terms[i - 1] as number;
      if (e.term < prevTerm) this.fail('INV-5', [id], `${id}'s log has term ${e.term} at index ${i} after term ${prevTerm} at index ${i - 1}`);
      if (e.term > after.currentTerm) this.fail('INV-5', [id], `${id}'s log has term ${e.term} at index ${i}, above its currentTerm ${after.currentTerm}`);
      const hash = mix(sum.chain[i - 1] as number, hashOfEntry(e));
      sum.chain.push(hash);
      sum.terms.push(e.term);
      this.hold(id, i, e.term, hash);
    }
    sum.log = log;
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
      const others = [...this.summaries].filter(([o, s]) => o !== id && s.terms[index] === term && s.chain[index] === slot.hash).map(([o]) => o);
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

  /** The last index committed in a term below `term` (0 if none): committedIn rises along the log. */
  private lastCommittedBefore(term: number): number {
    let lo = 0;
    let hi = this.committedIn.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.committedIn[mid] as number) < term) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** SAFE-4: a leader of term T holds every entry committed in a term below T. */
  private checkHoldsCommitted(id: NodeId, s: NodeState): void {
    const lo = this.lastCommittedBefore(s.currentTerm);
    if (lo === 0) return;
    const sum = this.summaries.get(id) as LogSummary;
    if (sum.chain[lo] !== this.committedChain[lo]) {
      this.fail('SAFE-4', [id], `leader ${id} of term ${s.currentTerm} lacks committed entries: its log ${sum.chain.length - 1 < lo ? `ends at index ${sum.chain.length - 1}` : 'differs'} below committed index ${lo}`);
    }
  }

  /** INV-9, SAFE-4: what a server commits agrees with what anyone committed; new commits reach every newer leader. */
  private noteCommit(id: NodeId, s: NodeState): void {
    if (s.commitIndex === 0) return;
    const sum = this.summaries.get(id) as LogSummary;
    const known = this.committedChain.length - 1;
    const upto = Math.min(s.commitIndex, known);
    if (upto > 0 && sum.chain[upto] !== this.committedChain[upto]) {
      this.fail('INV-9', [id], `${id} committed through index ${s.commitIndex}, but its entries up to index ${upto} differ from those committed before`);
      return;
    }
    // Indexes up to commitIndex are committed in this server's term, if not in an earlier one.
    const firstLater = this.lastCommittedBefore(s.currentTerm + 1) + 1;
    const lowered = firstLater <= upto;
    for (let i = firstLater; i <= upto; i++) this.committedIn[i] = s.currentTerm;
    for (let i = known + 1; i <= s.commitIndex; i++) {
      this.committedChain.push(sum.chain[i] as number);
      this.committedIn.push(s.currentTerm);
    }
    if (s.commitIndex <= known && !lowered) return;
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
  // Local invariants: INV-1 .. INV-4, INV-6 .. INV-8

  private checkLocal(id: NodeId, before: NodeState | null, s: NodeState, restarted: boolean): void {
    if (before) {
      if (s.currentTerm < before.currentTerm) this.fail('INV-1', [id], `${id}'s currentTerm went from ${before.currentTerm} down to ${s.currentTerm}`);
      if (s.currentTerm === before.currentTerm && s.votedFor !== before.votedFor && before.votedFor !== null) {
        this.fail('INV-2', [id], `${id} changed its vote in term ${s.currentTerm} from ${before.votedFor} to ${String(s.votedFor)}`);
      }
      if (!restarted && s.commitIndex < before.commitIndex) this.fail('INV-4', [id], `${id}'s commitIndex went from ${before.commitIndex} down to ${s.commitIndex}`);
    }
    if (!(s.lastApplied <= s.commitIndex && s.commitIndex <= s.log.lastIndex)) {
      this.fail('INV-3', [id], `${id} has lastApplied ${s.lastApplied}, commitIndex ${s.commitIndex}, last log index ${s.log.lastIndex}`);
    }
    if (s.role === 'leader') {
      // Every peer: a peer missing from either map breaks the invariant as much as a bad value.
      for (const peer of this.current.servers) {
        if (peer === id) continue;
        const next = s.nextIndex[peer];
        const match = s.matchIndex[peer];
        if (next === undefined || match === undefined) {
          this.fail('INV-6', [id, peer], `leader ${id} has ${next === undefined ? 'no nextIndex' : `nextIndex ${next}`} and ${match === undefined ? 'no matchIndex' : `matchIndex ${match}`} for ${peer}`);
          continue;
        }
        if (!(next >= 1 && match < next && next <= s.log.lastIndex + 1 && match <= s.log.lastIndex)) {
          this.fail('INV-6', [id, peer], `leader ${id} has nextIndex ${next} and matchIndex ${match} for ${peer}, last log index ${s.log.lastIndex}`);
        }
        const was = before && before.role === 'leader' && before.currentTerm === s.currentTerm ? before.matchIndex[peer] : undefined;
        if (was !== undefined && match < was) this.fail('INV-7', [id, peer], `leader ${id}'s matchIndex for ${peer} went from ${was} down to ${match}`);
      }
    }
    const hasProgress = Object.keys(s.nextIndex).length > 0 || Object.keys(s.matchIndex).length > 0;
    if (s.role === 'follower' && (s.votesGranted.length > 0 || hasProgress)) {
      this.fail('INV-8', [id], `follower ${id} keeps ${s.votesGranted.length > 0 ? `votesGranted [${s.votesGranted.join(', ')}]` : 'nextIndex/matchIndex'}`);
    }
    if (s.role === 'candidate' && hasProgress) this.fail('INV-8', [id], `candidate ${id} keeps nextIndex/matchIndex`);
    if (s.role !== 'follower' && (s.votedFor !== id || !s.votesGranted.includes(id))) {
      this.fail('INV-8', [id], `${s.role} ${id} of term ${s.currentTerm} has votedFor ${String(s.votedFor)} and votesGranted [${s.votesGranted.join(', ')}]`);
    }
  }
}

/** (index, term) as one number while terms stay below 2^21 and indexes below 2^32 (no string to build), else as text. */
function heldKey(index: number, term: number): number | string {
  return term < 0x200000 && index < 0x100000000 ? index * 0x200000 + term : `${index}:${term}`;
}

function sameEntry(a: Log, b: Log, i: number): boolean {
  const x = a.entry(i);
  const y = b.entry(i);
  return x === y || (x.term === y.term && canonicalJson(x.command) === canonicalJson(y.command));
}

// 53-bit hashes from two 32-bit FNV-1a style lanes: collisions are negligible at any log size here.
// Entries are immutable values shared between logs and messages: each is hashed once.
const entryHashes = new WeakMap<object, number>();
function hashOfEntry(e: { term: number; command: unknown }): number {
  let h = entryHashes.get(e);
  if (h === undefined) {
    h = entryHash(e.term, e.command);
    entryHashes.set(e, h);
  }
  return h;
}

function entryHash(term: number, command: unknown): number {
  return hashString(`${term}|${canonicalJson(command)}`);
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
