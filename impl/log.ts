// The log as two parallel arrays: the terms, for the term lookups every message needs (one array
// read), and the entries themselves. Indexes are absolute (§7): after compaction the log starts
// after its base (the snapshot's lastIncludedIndex), and the slot that stands for the base holds
// the base's term (the snapshot's lastIncludedTerm; term 0 for the empty prefix before index 1), so
// termAt(base) needs no branch. Append is a push, truncation sets the length.
//
// Compaction (SNAP-1, IS-6) moves the base forward without copying the tail: the arrays keep their
// dead prefix, and `offset` maps an index to its slot (slot = index - offset). Once the dead prefix
// is at least as long as the live part, it is cut off in one go (copyWithin), so each compacted
// entry costs O(1) amortised.
//
// Entries are immutable and shared: the entry a leader appends is the one its AppendEntries carry
// and the one its followers store, so replicating an entry allocates nothing per copy. Only
// entryAt() and toArray() hand out copies, since their callers may keep and change them.
//
// The log also remembers the lowest index written or removed since the last takeChangedFrom(), so
// that a checker can compare logs without rescanning them.
//
// CFG-1: the indexes of the configuration entries after the base are kept too, ascending: pushed
// on append, popped on truncation, cut on compaction. So the last configuration entry (the one in
// force) is O(1) to find and the one at or below an index (SNAP-1) a binary search.
import type { Configuration, Entry } from '../spec/schema.js';
import { copyConfig } from './membership.js';

/** Stands in the base's slot: the compacted prefix (or the empty one before index 1). Never handed out. */
const BASE: Entry = { term: 0, command: null };

/** A dead prefix shorter than this is never cut off (cutting costs a copy of the live part). */
const MIN_DEAD_TO_CUT = 64;

export class RaftLog {
  /** terms[index - offset] is the term of the entry at index; the base's slot holds the base's term. */
  private readonly terms: number[] = [0];
  /** entries[index - offset] is the entry at index, for base < index <= lastIndex. */
  private readonly entries: Entry[] = [BASE];
  /** slot = index - offset. */
  private offset = 0;
  private _base = 0;
  private changedFrom = Infinity;
  /** CFG-1: the indexes of the configuration entries after the base, ascending. */
  private readonly configIndexes: number[] = [];

  /** The index the log starts after: the snapshot's lastIncludedIndex (SNAP-1), 0 without one. */
  get base(): number {
    return this._base;
  }

  /** The term at the base: the snapshot's lastIncludedTerm, 0 without one. */
  get baseTerm(): number {
    return this.terms[this._base - this.offset] as number;
  }

  /** The index of the last entry; the base when no entry follows it (0 for an empty log). */
  get lastIndex(): number {
    return this.terms.length - 1 + this.offset;
  }

  /** The term of the last entry; the base's term when no entry follows it. */
  get lastTerm(): number {
    return this.terms[this.terms.length - 1] as number;
  }

  /** The term at `index` (base <= index <= lastIndex): the base's term at the base. Throws a RangeError elsewhere. */
  termAt(index: number): number {
    const t = index >= this._base ? this.terms[index - this.offset] : undefined;
    if (t === undefined) throw new RangeError(`no term at index ${index} (the log holds ${this._base}..${this.lastIndex}; ${this._base} is its base)`);
    return t;
  }

  /** Whether the log holds an entry at `index` (after the base). */
  has(index: number): boolean {
    return index > this._base && index <= this.lastIndex;
  }

  /**
   * DEC-22b (etcd's findConflictByTerm): the last index at or before `index` whose term is at most
   * `term`, and that term, by binary search (terms never decrease along the log). Below the base,
   * where no term is known, the index itself with term 0.
   */
  lastAtMost(index: number, term: number): { index: number; term: number } {
    const top = Math.min(index, this.lastIndex);
    if (top < this._base) return { index: top, term: 0 };
    if (this.baseTerm > term) return { index: this._base - 1, term: 0 };
    let lo = this._base - this.offset;
    let hi = top - this.offset;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.terms[mid] as number) <= term) lo = mid;
      else hi = mid - 1;
    }
    return { index: lo + this.offset, term: this.terms[lo] as number };
  }

  /**
   * AE-2: the term at `index` is `term`, the base included (its term is the snapshot's); index 0
   * (the empty prefix) always matches. Below the base the log cannot tell (SNAP-5 is the caller's).
   */
  matchesAt(index: number, term: number): boolean {
    return index === 0 || (index >= this._base && this.terms[index - this.offset] === term);
  }

  /**
   * FB-2: the last index after the base holding an entry of `term`, or 0 if none does: a binary
   * search, terms never decrease along the log (INV-5).
   */
  lastOfTerm(term: number): number {
    let lo = this._base - this.offset;
    let hi = this.terms.length - 1;
    const first = lo;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.terms[mid] as number) <= term) lo = mid;
      else hi = mid - 1;
    }
    return lo > first && this.terms[lo] === term ? lo + this.offset : 0;
  }

  /**
   * FB-1: the first index at or after max(1, base) holding `term`, which the log must hold at some
   * index up to lastIndex (the base counts, its term being the snapshot's): a binary search.
   */
  firstOfTerm(term: number): number {
    let lo = Math.max(1, this._base) - this.offset;
    let hi = this.terms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.terms[mid] as number) < term) lo = mid + 1;
      else hi = mid;
    }
    return lo + this.offset;
  }

  /** The command of the entry at `index` (base + 1 .. lastIndex). */
  commandAt(index: number): unknown {
    return (this.entries[index - this.offset] as Entry).command;
  }

  /** A copy of the entry at `index`. Throws a RangeError outside base + 1 .. lastIndex. */
  entryAt(index: number): Entry {
    if (!this.has(index)) throw new RangeError(`no entry at index ${index} (the log holds ${this._base + 1}..${this.lastIndex})`);
    return copyEntry(this.entries[index - this.offset] as Entry);
  }

  /** Appends an entry, which must not change afterwards; returns its index. */
  append(entry: Entry): number {
    const index = this.terms.length + this.offset;
    this.terms.push(entry.term);
    this.entries.push(entry);
    if (entry.config !== undefined) this.configIndexes.push(index);
    if (index < this.changedFrom) this.changedFrom = index;
    return index;
  }

  /** CFG-1: the index of the last configuration entry after the base, 0 if there is none. O(1). */
  lastConfigIndex(): number {
    const n = this.configIndexes.length;
    return n === 0 ? 0 : (this.configIndexes[n - 1] as number);
  }

  /** CFG-1: the configuration of the last configuration entry after the base, or undefined. O(1). The log's own object: do not change it. */
  lastConfig(): Configuration | undefined {
    const n = this.configIndexes.length;
    return n === 0 ? undefined : (this.entries[(this.configIndexes[n - 1] as number) - this.offset] as Entry).config;
  }

  /** SNAP-1: the configuration of the last configuration entry at or below `index` (and after the base), or undefined. A binary search. */
  configAtOrBelow(index: number): Configuration | undefined {
    const c = this.configIndexes;
    let lo = 0;
    let hi = c.length; // the first position whose index is above `index`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((c[mid] as number) <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : (this.entries[(c[lo - 1] as number) - this.offset] as Entry).config;
  }

  /** Drops every entry after `lastKept` (a no-op if there is none). Throws a RangeError below the base. */
  truncateAfter(lastKept: number): void {
    if (lastKept >= this.lastIndex) return;
    if (lastKept < this._base) throw new RangeError(`cannot truncate after ${lastKept}: the entries up to ${this._base} are compacted`);
    this.terms.length = lastKept + 1 - this.offset;
    this.entries.length = lastKept + 1 - this.offset;
    const c = this.configIndexes;
    while (c.length > 0 && (c[c.length - 1] as number) > lastKept) c.pop();
    if (lastKept + 1 < this.changedFrom) this.changedFrom = lastKept + 1;
  }

  /**
   * SNAP-1, IS-6: the entries up to `index` (base < index <= lastIndex), whose term is `term`, are
   * compacted into a snapshot; the entries after it stay. O(1) amortised per compacted entry.
   */
  compactThrough(index: number, term: number): void {
    if (!this.has(index)) throw new RangeError(`cannot compact through ${index}: the log holds ${this._base + 1}..${this.lastIndex}`);
    const slot = index - this.offset;
    this.terms[slot] = term;
    this.entries[slot] = BASE;
    this._base = index;
    let covered = 0;
    while (covered < this.configIndexes.length && (this.configIndexes[covered] as number) <= index) covered++;
    if (covered > 0) this.configIndexes.splice(0, covered);
    if (slot >= MIN_DEAD_TO_CUT && slot >= this.terms.length - slot) this.cutDeadPrefix(slot);
  }

  /** IS-7: the whole log is discarded; it starts again after `index`, whose term is `term` (a snapshot's). */
  discardThrough(index: number, term: number): void {
    this.terms.length = 1;
    this.entries.length = 1;
    this.terms[0] = term;
    this.entries[0] = BASE;
    this.offset = index;
    this._base = index;
    this.configIndexes.length = 0;
    if (index + 1 < this.changedFrom) this.changedFrom = index + 1;
  }

  /** Moves the slots from `slot` on to the front: the dead prefix is gone, the live part copied once. */
  private cutDeadPrefix(slot: number): void {
    const live = this.terms.length - slot;
    this.terms.copyWithin(0, slot);
    this.entries.copyWithin(0, slot);
    this.terms.length = live;
    this.entries.length = live;
    this.offset += slot;
  }

  /** The entries from `from` (base + 1 .. lastIndex + 1), at most `max` of them: the shared entries, in a new array. */
  slice(from: number, max: number): Entry[] {
    if (from <= this._base) throw new RangeError(`entries from ${from} are compacted (the log starts after ${this._base})`);
    const start = from - this.offset;
    return this.entries.slice(start, Math.min(this.terms.length, start + max));
  }

  /**
   * The lowest index written or removed since the last call (Infinity if none), never at or below
   * the base (compaction itself changes no entry that is still there); resets the mark.
   */
  takeChangedFrom(): number {
    const from = this.changedFrom;
    this.changedFrom = Infinity;
    return from === Infinity ? from : Math.max(from, this._base + 1);
  }

  /** Copies of the entries after the base: O(length), for snapshots and reports. */
  toArray(): Entry[] {
    const out: Entry[] = [];
    for (let i = this._base + 1; i <= this.lastIndex; i++) out.push(this.entryAt(i));
    return out;
  }
}

/** A copy of an entry for a caller to keep and change: a new object, with a copy of its configuration (the command is copied by reference, as always). */
export function copyEntry(e: Entry): Entry {
  return e.config === undefined ? { term: e.term, command: e.command } : { term: e.term, command: e.command, config: copyConfig(e.config) };
}
