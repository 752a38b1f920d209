// A persistent (immutable) Raft log: every operation returns a new Log and leaves the old one
// intact, so model states can be kept and compared freely. Versions share one buffer: a version
// whose end is the buffer's end appends in place (no other version can see past its own length),
// any other version copies before it appends. Appending is amortised O(1); a truncation is O(1)
// and the append after it copies the kept prefix once.
import type { Entry } from '../spec/schema.js';

export class Log {
  static readonly EMPTY = new Log([], 0);

  private constructor(private readonly buf: Entry[], readonly length: number) {}

  static of(entries: readonly Entry[]): Log {
    return new Log(entries.slice(), entries.length);
  }

  /** The index of the last entry; 0 when the log is empty. */
  get lastIndex(): number {
    return this.length;
  }

  /** The term of the last entry; 0 when the log is empty. */
  get lastTerm(): number {
    return this.termAt(this.length);
  }

  /** The entry at a 1-based index. */
  entry(index: number): Entry {
    if (index < 1 || index > this.length) throw new RangeError(`no entry at index ${index} (last index ${this.length})`);
    return this.buf[index - 1] as Entry;
  }

  /** The term of the entry at index; 0 for index 0 (the empty prefix). */
  termAt(index: number): number {
    return index === 0 ? 0 : this.entry(index).term;
  }

  has(index: number): boolean {
    return index >= 1 && index <= this.length;
  }

  /** Entries from index `from` (1-based, inclusive), at most `max` of them. */
  slice(from: number, max = Infinity): Entry[] {
    return this.buf.slice(from - 1, Math.min(this.length, from - 1 + max));
  }

  append(entries: readonly Entry[]): Log {
    if (entries.length === 0) return this;
    const buf = this.buf.length === this.length ? this.buf : this.buf.slice(0, this.length);
    for (const e of entries) buf.push(e);
    return new Log(buf, this.length + entries.length);
  }

  /** The log without the entries after `lastKept`. */
  truncateAfter(lastKept: number): Log {
    return lastKept >= this.length ? this : new Log(this.buf, Math.max(0, lastKept));
  }

  /**
   * How many leading entries this log and `other` are known to share without comparing them:
   * versions of one buffer share the shorter length. Returns -1 when they do not share a buffer.
   */
  sharedPrefixLength(other: Log): number {
    return this.buf === other.buf ? Math.min(this.length, other.length) : -1;
  }

  toArray(): Entry[] {
    return this.buf.slice(0, this.length);
  }
}
