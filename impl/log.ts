// The log as two parallel arrays indexed by log index: the terms, for the term lookups every
// message needs (one array read), and the entries themselves. Slot 0 holds the empty prefix
// (term 0), so termAt(0) needs no branch. Append is a push, truncation sets the length.
//
// Entries are immutable and shared: the entry a leader appends is the one its AppendEntries carry
// and the one its followers store, so replicating an entry allocates nothing per copy. Only
// entryAt() and toArray() hand out copies, since their callers may keep and change them.
//
// The log also remembers the lowest index written or removed since the last takeChangedFrom(), so
// that a checker can compare logs without rescanning them.
import type { Entry } from '../spec/schema.js';

/** Stands in slot 0: the empty prefix before the first entry. Never handed out. */
const BEFORE_FIRST: Entry = { term: 0, command: null };

export class RaftLog {
  /** terms[i] is the term of the entry at index i; terms[0] = 0 stands for "before the first entry". */
  private readonly terms: number[] = [0];
  /** entries[i] is the entry at index i. */
  private readonly entries: Entry[] = [BEFORE_FIRST];
  private changedFrom = Infinity;

  /** The index of the last entry; 0 when the log is empty. */
  get lastIndex(): number {
    return this.terms.length - 1;
  }

  /** The term of the last entry; 0 when the log is empty. */
  get lastTerm(): number {
    return this.termAt(this.terms.length - 1);
  }

  /** The term of the entry at `index`; 0 for index 0. Throws a RangeError past the end. */
  termAt(index: number): number {
    const t = this.terms[index];
    if (t === undefined) throw new RangeError(`no entry at index ${index} (last index ${this.lastIndex})`);
    return t;
  }

  /** AE-2: the log holds an entry at `index` of term `term`; index 0 (the empty prefix) always matches. */
  matchesAt(index: number, term: number): boolean {
    return index === 0 || (index > 0 && this.terms[index] === term);
  }

  /** The last index holding an entry of `term`, or 0 if none does: a binary search, terms never decrease along the log. */
  lastIndexOfTerm(term: number): number {
    let lo = 0;
    let hi = this.terms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.terms[mid] as number) <= term) lo = mid;
      else hi = mid - 1;
    }
    return lo > 0 && this.terms[lo] === term ? lo : 0;
  }

  /** The first index holding an entry of `term` (which the log must hold): a binary search. */
  firstIndexOfTerm(term: number): number {
    let lo = 1;
    let hi = this.terms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.terms[mid] as number) < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The command of the entry at `index` (1..lastIndex). */
  commandAt(index: number): unknown {
    return (this.entries[index] as Entry).command;
  }

  /** A copy of the entry at a 1-based index. Throws a RangeError outside 1..lastIndex. */
  entryAt(index: number): Entry {
    if (!(index >= 1 && index <= this.lastIndex)) throw new RangeError(`no entry at index ${index} (last index ${this.lastIndex})`);
    const e = this.entries[index] as Entry;
    return { term: e.term, command: e.command };
  }

  /** Appends an entry, which must not change afterwards; returns its index. */
  append(entry: Entry): number {
    const index = this.terms.length;
    this.terms.push(entry.term);
    this.entries.push(entry);
    if (index < this.changedFrom) this.changedFrom = index;
    return index;
  }

  /** Drops every entry after `lastKept` (a no-op if there is none). */
  truncateAfter(lastKept: number): void {
    if (lastKept >= this.lastIndex) return;
    this.terms.length = lastKept + 1;
    this.entries.length = lastKept + 1;
    if (lastKept + 1 < this.changedFrom) this.changedFrom = lastKept + 1;
  }

  /** The entries from `from` (1-based, inclusive), at most `max` of them: the shared entries, in a new array. */
  slice(from: number, max: number): Entry[] {
    return this.entries.slice(from, Math.min(this.terms.length, from + max));
  }

  /** The lowest index written or removed since the last call (Infinity if none); resets the mark. */
  takeChangedFrom(): number {
    const from = this.changedFrom;
    this.changedFrom = Infinity;
    return from;
  }

  /** Copies of every entry: O(length), for snapshots and reports. */
  toArray(): Entry[] {
    const out: Entry[] = [];
    for (let i = 1; i < this.entries.length; i++) out.push(this.entryAt(i));
    return out;
  }
}
