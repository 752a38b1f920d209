// A persistent (immutable) Raft log: every operation returns a new Log and leaves the old one
// intact, so model states can be kept and compared freely. Versions share one buffer: a version
// whose end is the buffer's end appends in place (no other version can see past its own length),
// any other version copies before it appends. Appending is amortised O(1); a truncation is O(1)
// and the append after it copies the kept prefix once.
//
// After compaction (SNAP-1) the log holds only the entries after its base (the snapshot's
// lastIncludedIndex): indexes stay absolute, the base's term is remembered (it is the snapshot's
// lastIncludedTerm, needed by AE-2 and RequestVote), and the entries at or below the base are gone.
//
// CFG-1: the log also knows where its configuration entries are (their indexes, ascending, in a
// second buffer shared the same way), so that the configuration in force is O(1) to find and the
// one at an index O(log n), without scanning the log.
import type { Configuration, Entry } from '../spec/schema.js';

export class Log {
  static readonly EMPTY = new Log([], 0, 0, 0, [], 0);

  private constructor(
    private readonly buf: Entry[],
    /** How many entries after the base this version holds. */
    private readonly count: number,
    /** The index the log starts after: the snapshot's lastIncludedIndex, 0 without one. */
    readonly base: number,
    /** The term of the entry at `base` (the snapshot's lastIncludedTerm), 0 without one. */
    readonly baseTerm: number,
    /** The indexes of the configuration entries, ascending (CFG-1). */
    private readonly cfgs: number[],
    /** How many of them this version holds. */
    private readonly cfgCount: number,
  ) {}

  /** A log holding `entries` at indexes base + 1, base + 2, ... */
  static of(entries: readonly Entry[], base = 0, baseTerm = 0): Log {
    const cfgs: number[] = [];
    entries.forEach((e, k) => {
      if (e.config !== undefined) cfgs.push(base + 1 + k);
    });
    return new Log(entries.slice(), entries.length, base, baseTerm, cfgs, cfgs.length);
  }

  /** The index of the last entry; the base when no entry follows it (0 for an empty log). */
  get lastIndex(): number {
    return this.base + this.count;
  }

  /** The term of the last entry (the base's term when no entry follows it). */
  get lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  /** The first index this log holds an entry for. */
  get firstIndex(): number {
    return this.base + 1;
  }

  /** The entry at an absolute index, which must be after the base. */
  entry(index: number): Entry {
    if (!this.has(index)) throw new RangeError(`no entry at index ${index} (entries ${this.base + 1}..${this.lastIndex})`);
    return this.buf[index - this.base - 1] as Entry;
  }

  /** The term of the entry at index: the base's term at the base (0 at index 0). Below the base it is compacted away. */
  termAt(index: number): number {
    if (index === this.base) return this.baseTerm;
    return this.entry(index).term;
  }

  /** Whether the term at index is known: the base itself or an entry after it. */
  knowsTermAt(index: number): boolean {
    return index >= this.base && index <= this.lastIndex;
  }

  /** Whether the log holds an entry at index (after the base). */
  has(index: number): boolean {
    return index > this.base && index <= this.lastIndex;
  }

  /** Entries from index `from` (absolute, inclusive, after the base), at most `max` of them. */
  slice(from: number, max = Infinity): Entry[] {
    if (from <= this.base) throw new RangeError(`entries from ${from} are compacted (base ${this.base})`);
    return this.buf.slice(from - this.base - 1, Math.min(this.count, from - this.base - 1 + max));
  }

  append(entries: readonly Entry[]): Log {
    if (entries.length === 0) return this;
    const shared = this.alreadyHolds(entries);
    if (shared !== null) return shared;
    const buf = this.buf.length === this.count ? this.buf : this.buf.slice(0, this.count);
    let cfgs = this.cfgs;
    let cfgCount = this.cfgCount;
    let index = this.lastIndex;
    for (const e of entries) {
      buf.push(e);
      index++;
      if (e.config === undefined) continue;
      if (cfgs === this.cfgs && cfgs.length !== cfgCount) cfgs = cfgs.slice(0, cfgCount);
      cfgs.push(index);
      cfgCount++;
    }
    return new Log(buf, this.count + entries.length, this.base, this.baseTerm, cfgs, cfgCount);
  }

  /**
   * When another version of this buffer appended the same entries after this version's end (the
   * validator's search runs one step several ways from one state), the version that holds them
   * too, sharing the buffer; else null. Entries are the same when their term, command and
   * configuration are the same values (objects by identity).
   */
  private alreadyHolds(entries: readonly Entry[]): Log | null {
    if (this.buf.length < this.count + entries.length) return null;
    let cfgCount = this.cfgCount;
    let index = this.lastIndex;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry;
      const held = this.buf[this.count + k] as Entry;
      if (held !== e && (held.term !== e.term || held.command !== e.command || held.config !== e.config)) return null;
      index++;
      if (e.config === undefined) continue;
      if (this.cfgs[cfgCount] !== index) return null;
      cfgCount++;
    }
    return new Log(this.buf, this.count + entries.length, this.base, this.baseTerm, this.cfgs, cfgCount);
  }

  /** The log without the entries after `lastKept` (which must not be below the base). */
  truncateAfter(lastKept: number): Log {
    if (lastKept < this.base) throw new RangeError(`cannot truncate after ${lastKept}: entries up to ${this.base} are compacted`);
    if (lastKept >= this.lastIndex) return this;
    let cfgCount = this.cfgCount;
    while (cfgCount > 0 && (this.cfgs[cfgCount - 1] as number) > lastKept) cfgCount--;
    return new Log(this.buf, lastKept - this.base, this.base, this.baseTerm, this.cfgs, cfgCount);
  }

  /**
   * SNAP-1, IS-6, IS-7: the log after compaction through `index`, whose term is `term`: the entries
   * after `index` are kept (none if the log ends before it). O(entries kept).
   */
  compactThrough(index: number, term: number): Log {
    if (index < this.base) throw new RangeError(`cannot compact through ${index}: entries up to ${this.base} are compacted already`);
    const kept = index < this.lastIndex ? this.buf.slice(Math.max(0, index - this.base), this.count) : [];
    const cfgs = this.cfgs.slice(0, this.cfgCount).filter((i) => i > index && i <= this.lastIndex);
    return new Log(kept, kept.length, index, term, cfgs, cfgs.length);
  }

  /** CFG-1: the last configuration entry after the base, with its index; null if there is none. */
  lastConfig(): { readonly index: number; readonly config: Configuration } | null {
    return this.cfgCount === 0 ? null : { index: this.lastConfigIndex, config: this.lastConfiguration as Configuration };
  }

  /** CFG-1: the index of the last configuration entry after the base; 0 if there is none. O(1), no allocation (asked on every quorum). */
  get lastConfigIndex(): number {
    return this.cfgCount === 0 ? 0 : (this.cfgs[this.cfgCount - 1] as number);
  }

  /** CFG-1: the configuration of the last configuration entry after the base; null if there is none. */
  get lastConfiguration(): Configuration | null {
    return this.cfgCount === 0 ? null : (this.buf[(this.cfgs[this.cfgCount - 1] as number) - this.base - 1] as Entry).config as Configuration;
  }

  /**
   * The last index whose entry's term is below `term` (the base when none after it is; entries
   * at or below the base count as below). Terms never decrease along a log (LEA-2, AE-4), so a
   * binary search. DEC-24b: a new leader's last index at election is this with its own term.
   */
  lastIndexBelowTerm(term: number): number {
    let lo = this.base; // an index whose term is below `term` (or the base)
    let hi = this.lastIndex + 1; // the first index whose term is known to be at least `term`
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.termAt(mid) < term) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** SNAP-1: the last configuration entry at or below `index` (and after the base); null if there is none. Binary search. */
  configAt(index: number): Configuration | null {
    let lo = 0;
    let hi = this.cfgCount; // the first position whose index is above `index`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cfgs[mid] as number) <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : (this.entry(this.cfgs[lo - 1] as number).config as Configuration);
  }

  /**
   * Up to which index this log and `other` are known to hold the same entries without comparing
   * them: versions of one buffer with one base share the shorter one. -1 when that is not known.
   */
  sharedPrefixLength(other: Log): number {
    return this.buf === other.buf && this.base === other.base ? Math.min(this.lastIndex, other.lastIndex) : -1;
  }

  /** The entries after the base, in order. */
  toArray(): Entry[] {
    return this.buf.slice(0, this.count);
  }
}
