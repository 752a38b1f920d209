// The persistent Log: every operation returns a new version and leaves every other version as it
// was, even though versions share one buffer.
import { describe, it, expect } from 'vitest';
import type { Configuration, Entry } from '../../spec/schema.js';
import { Log } from '../log.js';
import { e } from './fixtures.js';

describe('Log', () => {
  it('the empty log has last index 0 and last term 0, and termAt(0) = 0', () => {
    expect(Log.EMPTY.lastIndex).toBe(0);
    expect(Log.EMPTY.lastIndex).toBe(0);
    expect(Log.EMPTY.lastTerm).toBe(0);
    expect(Log.EMPTY.termAt(0)).toBe(0);
    expect(Log.EMPTY.toArray()).toEqual([]);
    expect(Log.EMPTY.has(0)).toBe(false);
    expect(Log.EMPTY.has(1)).toBe(false);
  });

  it('indexes are 1-based: entry(1) is the first entry; termAt(0) = 0 on a non-empty log too', () => {
    const log = Log.of([e(1, 'a'), e(2, 'b'), e(2, 'c')]);
    expect(log.entry(1)).toEqual(e(1, 'a'));
    expect(log.entry(3)).toEqual(e(2, 'c'));
    expect(log.termAt(0)).toBe(0);
    expect(log.termAt(1)).toBe(1);
    expect(log.termAt(2)).toBe(2);
    expect(log.lastIndex).toBe(3);
    expect(log.lastTerm).toBe(2);
    expect(log.has(3)).toBe(true);
    expect(log.has(4)).toBe(false);
  });

  it('entry and termAt outside the log throw a RangeError naming the index', () => {
    const log = Log.of([e(1, 'a')]);
    expect(() => log.entry(0)).toThrow(RangeError);
    expect(() => log.entry(2)).toThrow(/index 2/);
    expect(() => log.termAt(2)).toThrow(RangeError);
  });

  it('Log.of copies its input: changing the array afterwards does not change the log', () => {
    const arr = [e(1, 'a')];
    const log = Log.of(arr);
    arr.push(e(1, 'b'));
    expect(log.toArray()).toEqual([e(1, 'a')]);
    expect(log.lastIndex).toBe(1);
  });

  it('append returns a new version and leaves the old one intact', () => {
    const a = Log.of([e(1, 'a')]);
    const b = a.append([e(1, 'b'), e(2, 'c')]);
    expect(b.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    expect(a.toArray()).toEqual([e(1, 'a')]);
    expect(a.lastIndex).toBe(1);
    expect(a.append([])).toBe(a);
  });

  it('appending to Log.EMPTY never changes Log.EMPTY', () => {
    const x = Log.EMPTY.append([e(1, 'x')]);
    const y = Log.EMPTY.append([e(1, 'y')]);
    expect(x.toArray()).toEqual([e(1, 'x')]);
    expect(y.toArray()).toEqual([e(1, 'y')]);
    expect(Log.EMPTY.lastIndex).toBe(0);
    expect(Log.EMPTY.toArray()).toEqual([]);
  });

  it('two versions that append to the same version each see only their own entries', () => {
    const base = Log.of([e(1, 'a')]);
    const left = base.append([e(1, 'L')]);
    const right = base.append([e(2, 'R')]);
    expect(left.toArray()).toEqual([e(1, 'a'), e(1, 'L')]);
    expect(right.toArray()).toEqual([e(1, 'a'), e(2, 'R')]);
    expect(base.toArray()).toEqual([e(1, 'a')]);
    // And again, on top of each.
    const left2 = left.append([e(1, 'L2')]);
    const right2 = right.append([e(2, 'R2')]);
    expect(left2.toArray()).toEqual([e(1, 'a'), e(1, 'L'), e(1, 'L2')]);
    expect(right2.toArray()).toEqual([e(1, 'a'), e(2, 'R'), e(2, 'R2')]);
    expect(left.toArray()).toEqual([e(1, 'a'), e(1, 'L')]);
  });

  it('truncateAfter keeps entries 1..lastKept and leaves the original intact', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    const t = log.truncateAfter(1);
    expect(t.toArray()).toEqual([e(1, 'a')]);
    expect(t.lastIndex).toBe(1);
    expect(t.lastTerm).toBe(1);
    expect(log.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    expect(log.truncateAfter(0).toArray()).toEqual([]);
    expect(() => log.truncateAfter(-3)).toThrow(RangeError);
    expect(log.truncateAfter(3)).toBe(log);
    expect(log.truncateAfter(7)).toBe(log);
  });

  it('a truncated version that appends does not change the longer version it came from (AE-3 then AE-4)', () => {
    const long = Log.of([e(1, 'a'), e(1, 'b'), e(1, 'c')]);
    const replaced = long.truncateAfter(1).append([e(2, 'x')]);
    expect(replaced.toArray()).toEqual([e(1, 'a'), e(2, 'x')]);
    expect(long.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(1, 'c')]);
    expect(long.entry(2)).toEqual(e(1, 'b'));
  });

  it('the longer version appending does not change a truncated version taken before', () => {
    const long = Log.of([e(1, 'a'), e(1, 'b')]);
    const short = long.truncateAfter(1);
    const longer = long.append([e(1, 'c')]);
    expect(short.toArray()).toEqual([e(1, 'a')]);
    expect(longer.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(1, 'c')]);
    const shortPlus = short.append([e(3, 'z')]);
    expect(shortPlus.toArray()).toEqual([e(1, 'a'), e(3, 'z')]);
    expect(longer.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(1, 'c')]);
    expect(long.toArray()).toEqual([e(1, 'a'), e(1, 'b')]);
  });

  it('slice(from, max) returns at most max entries from a 1-based index, as a copy', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b'), e(2, 'c')]);
    expect(log.slice(2)).toEqual([e(1, 'b'), e(2, 'c')]);
    expect(log.slice(1, 2)).toEqual([e(1, 'a'), e(1, 'b')]);
    expect(log.slice(3, 5)).toEqual([e(2, 'c')]);
    expect(log.slice(4)).toEqual([]);
    // A version that shares the buffer with a longer one must not see past its own end.
    const short = log.truncateAfter(1);
    expect(short.slice(1, 10)).toEqual([e(1, 'a')]);
    const copy = log.slice(1);
    copy.pop();
    expect(log.lastIndex).toBe(3);
  });

  it('toArray is a copy of the entries up to the version\'s own length', () => {
    const long = Log.of([e(1, 'a'), e(1, 'b')]);
    const short = long.truncateAfter(1);
    expect(short.toArray()).toEqual([e(1, 'a')]);
    const arr = long.toArray();
    arr.length = 0;
    expect(long.toArray()).toEqual([e(1, 'a'), e(1, 'b')]);
  });

  it('sharedPrefixLength: versions of one buffer share the shorter length; unrelated logs give -1', () => {
    const a = Log.of([e(1, 'a'), e(1, 'b')]);
    const longer = a.append([e(1, 'c')]);
    const shorter = a.truncateAfter(1);
    expect(a.sharedPrefixLength(longer)).toBe(2);
    expect(longer.sharedPrefixLength(a)).toBe(2);
    expect(shorter.sharedPrefixLength(longer)).toBe(1);
    expect(a.sharedPrefixLength(a)).toBe(2);
    expect(a.sharedPrefixLength(Log.of([e(1, 'a'), e(1, 'b')]))).toBe(-1);
  });

  it('sharedPrefixLength never claims a prefix that differs: a truncated version that appends gets its own buffer', () => {
    const a = Log.of([e(1, 'a'), e(1, 'b'), e(1, 'c')]);
    const b = a.truncateAfter(1).append([e(2, 'x')]);
    const shared = a.sharedPrefixLength(b);
    // Either not known (-1), or at most the one entry they really share.
    expect(shared === -1 || shared <= 1).toBe(true);
    for (let i = 1; i <= shared; i++) expect(a.entry(i)).toEqual(b.entry(i));
  });
});

describe('Log with a base (SNAP-1: the entries after a snapshot, indexes absolute)', () => {
  /** Entries 4 and 5 (terms 2 and 3) after a snapshot through index 3 of term 2. */
  const based = () => Log.of([e(2, 'd'), e(3, 'e')], 3, 2);

  it('Log.of with a base: entries start at base + 1; lastIndex and lastTerm are absolute; firstIndex is base + 1', () => {
    const log = based();
    expect(log.base).toBe(3);
    expect(log.baseTerm).toBe(2);
    expect(log.firstIndex).toBe(4);
    expect(log.lastIndex).toBe(5);
    expect(log.lastTerm).toBe(3);
    expect(log.entry(4)).toEqual(e(2, 'd'));
    expect(log.entry(5)).toEqual(e(3, 'e'));
    expect(log.toArray()).toEqual([e(2, 'd'), e(3, 'e')]);
  });

  it('termAt at the base is the base term (the snapshot\'s lastIncludedTerm); below the base it throws', () => {
    const log = based();
    expect(log.termAt(3)).toBe(2);
    expect(log.termAt(4)).toBe(2);
    expect(log.termAt(5)).toBe(3);
    expect(() => log.termAt(2)).toThrow(RangeError);
    expect(() => log.termAt(0)).toThrow(RangeError);
    expect(() => log.entry(3)).toThrow(/index 3 \(entries 4\.\.5\)/);
  });

  it('an empty log after a base: lastIndex is the base, lastTerm the base term', () => {
    const log = Log.of([], 7, 4);
    expect(log.lastIndex).toBe(7);
    expect(log.lastTerm).toBe(4);
    expect(log.firstIndex).toBe(8);
    expect(log.has(7)).toBe(false);
    expect(log.knowsTermAt(7)).toBe(true);
    expect(log.toArray()).toEqual([]);
  });

  it('has is true only after the base; knowsTermAt also at the base itself', () => {
    const log = based();
    expect([2, 3, 4, 5, 6].map((i) => log.has(i))).toEqual([false, false, true, true, false]);
    expect([2, 3, 4, 5, 6].map((i) => log.knowsTermAt(i))).toEqual([false, true, true, true, false]);
    expect(Log.EMPTY.knowsTermAt(0)).toBe(true);
  });

  it('slice takes absolute indexes after the base, and refuses compacted ones', () => {
    const log = based();
    expect(log.slice(4)).toEqual([e(2, 'd'), e(3, 'e')]);
    expect(log.slice(5)).toEqual([e(3, 'e')]);
    expect(log.slice(4, 1)).toEqual([e(2, 'd')]);
    expect(log.slice(6)).toEqual([]);
    expect(() => log.slice(3)).toThrow(RangeError);
  });

  it('append after a base keeps the base; truncateAfter keeps entries up to lastKept and refuses to cut below the base', () => {
    const log = based().append([e(3, 'f')]);
    expect(log.lastIndex).toBe(6);
    expect(log.entry(6)).toEqual(e(3, 'f'));
    const cut = log.truncateAfter(4);
    expect(cut.toArray()).toEqual([e(2, 'd')]);
    expect(cut.lastIndex).toBe(4);
    const toBase = log.truncateAfter(3);
    expect(toBase.toArray()).toEqual([]);
    expect(toBase.lastIndex).toBe(3);
    expect(toBase.lastTerm).toBe(2);
    expect(() => log.truncateAfter(2)).toThrow(RangeError);
    expect(log.toArray()).toEqual([e(2, 'd'), e(3, 'e'), e(3, 'f')]);
  });

  it('compactThrough an index inside the log keeps the entries after it, with that index and term as the new base; the old version is intact', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b'), e(2, 'c'), e(2, 'd')]);
    const c = log.compactThrough(2, 1);
    expect(c.base).toBe(2);
    expect(c.baseTerm).toBe(1);
    expect(c.toArray()).toEqual([e(2, 'c'), e(2, 'd')]);
    expect(c.firstIndex).toBe(3);
    expect(c.lastIndex).toBe(4);
    expect(c.termAt(2)).toBe(1);
    expect(log.toArray()).toEqual([e(1, 'a'), e(1, 'b'), e(2, 'c'), e(2, 'd')]);
    // Compacting again, from a base, counts from the absolute index too.
    const again = c.compactThrough(3, 2);
    expect(again.toArray()).toEqual([e(2, 'd')]);
    expect(again.base).toBe(3);
  });

  it('compactThrough the last index, or beyond the log (IS-7), leaves no entries; below the base it throws', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b')]);
    const all = log.compactThrough(2, 1);
    expect(all.toArray()).toEqual([]);
    expect(all.lastIndex).toBe(2);
    expect(all.lastTerm).toBe(1);
    const beyond = log.compactThrough(9, 3);
    expect(beyond.toArray()).toEqual([]);
    expect(beyond.lastIndex).toBe(9);
    expect(beyond.lastTerm).toBe(3);
    expect(() => based().compactThrough(2, 1)).toThrow(RangeError);
  });

  it('a compacted version appends on its own: the version it came from does not change', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b')]);
    const c = log.compactThrough(1, 1).append([e(2, 'x')]);
    expect(c.toArray()).toEqual([e(1, 'b'), e(2, 'x')]);
    expect(c.entry(3)).toEqual(e(2, 'x'));
    expect(log.toArray()).toEqual([e(1, 'a'), e(1, 'b')]);
    expect(log.lastIndex).toBe(2);
  });

  it('sharedPrefixLength: logs with different bases are not known to share anything', () => {
    const log = Log.of([e(1, 'a'), e(1, 'b')]);
    const c = log.compactThrough(1, 1);
    expect(log.sharedPrefixLength(c)).toBe(-1);
    const grown = c.append([e(2, 'x')]);
    expect(c.sharedPrefixLength(grown)).toBe(2);
  });
});

describe('Log configuration entries (CFG-1, SNAP-1: lastConfig and configAt)', () => {
  const A: Configuration = { voters: ['s1', 's2', 's3'] };
  const B: Configuration = { voters: ['s1', 's2', 's3', 's4'] };
  const C: Configuration = { voters: ['s2', 's3'], learners: ['s1'] };
  /** A configuration entry: command null (CFG-1). */
  const cfg = (term: number, config: Configuration): Entry => ({ term, command: null, config });

  it('a log without configuration entries has none: lastConfig is null, configAt is null everywhere', () => {
    expect(Log.EMPTY.lastConfig()).toBeNull();
    expect(Log.EMPTY.configAt(0)).toBeNull();
    const log = Log.of([e(1, 'a'), e(1, 'b')]);
    expect(log.lastConfig()).toBeNull();
    expect([0, 1, 2, 3].map((i) => log.configAt(i))).toEqual([null, null, null, null]);
  });

  it('Log.of and append track configuration entries: lastConfig is the last one with its index; configAt(i) the last one at or below i', () => {
    const log = Log.of([e(1, 'a'), cfg(1, A), e(1, 'b')]);
    expect(log.lastConfig()).toEqual({ index: 2, config: A });
    expect([1, 2, 3].map((i) => log.configAt(i))).toEqual([null, A, A]);
    const grown = log.append([cfg(2, B), e(2, 'c'), cfg(2, C)]);
    expect(grown.lastConfig()).toEqual({ index: 6, config: C });
    expect([1, 2, 3, 4, 5, 6].map((i) => grown.configAt(i))).toEqual([null, A, A, B, B, C]);
    // The version appended to is unchanged.
    expect(log.lastConfig()).toEqual({ index: 2, config: A });
    expect(log.configAt(4)).toEqual(A);
    // An append of ordinary entries keeps the last configuration entry.
    expect(grown.append([e(2, 'd')]).lastConfig()).toEqual({ index: 6, config: C });
  });

  it('truncateAfter drops the configuration entries after lastKept: the one before is in force again (AE-3); the original keeps them all', () => {
    const log = Log.of([e(1, 'a'), cfg(1, A), e(1, 'b'), cfg(2, B)]);
    const cut = log.truncateAfter(3);
    expect(cut.lastConfig()).toEqual({ index: 2, config: A });
    expect(cut.configAt(3)).toEqual(A);
    const none = log.truncateAfter(1);
    expect(none.lastConfig()).toBeNull();
    expect(none.configAt(1)).toBeNull();
    expect(log.lastConfig()).toEqual({ index: 4, config: B });
    expect(log.configAt(4)).toEqual(B);
    // Appending after the cut: the new entry replaces the dropped one, in this version only.
    const replaced = cut.append([cfg(3, C)]);
    expect(replaced.lastConfig()).toEqual({ index: 4, config: C });
    expect(replaced.configAt(3)).toEqual(A);
    expect(log.lastConfig()).toEqual({ index: 4, config: B });
    expect(cut.lastConfig()).toEqual({ index: 2, config: A });
  });

  it('compactThrough keeps only the configuration entries after the new base (SNAP-1: those at or below it are the snapshot\'s business)', () => {
    const log = Log.of([e(1, 'a'), cfg(1, A), e(1, 'b'), cfg(2, B), e(2, 'c')]);
    const c = log.compactThrough(3, 1);
    expect(c.lastConfig()).toEqual({ index: 4, config: B });
    expect(c.configAt(3)).toBeNull();
    expect(c.configAt(5)).toEqual(B);
    const past = log.compactThrough(4, 2);
    expect(past.lastConfig()).toBeNull();
    expect(past.configAt(5)).toBeNull();
    // Beyond the log (IS-7): nothing is left.
    expect(log.compactThrough(9, 3).lastConfig()).toBeNull();
    expect(log.lastConfig()).toEqual({ index: 4, config: B });
    // A log built after a base counts absolute indexes; it appends on from there.
    const based = Log.of([e(2, 'd'), cfg(2, C)], 3, 2);
    expect(based.lastConfig()).toEqual({ index: 5, config: C });
    expect([4, 5].map((i) => based.configAt(i))).toEqual([null, C]);
    expect(based.append([cfg(3, A)]).lastConfig()).toEqual({ index: 6, config: A });
  });

  it('two versions of one buffer never see each other\'s configuration entries', () => {
    const base = Log.of([e(1, 'a'), cfg(1, A)]);
    const left = base.append([cfg(2, B)]);
    const right = base.append([e(2, 'x'), cfg(2, C)]);
    expect(left.lastConfig()).toEqual({ index: 3, config: B });
    expect(right.lastConfig()).toEqual({ index: 4, config: C });
    expect(base.lastConfig()).toEqual({ index: 2, config: A });
    expect([2, 3, 4].map((i) => right.configAt(i))).toEqual([A, A, C]);
    expect(left.configAt(3)).toEqual(B);
    // A version that appended only ordinary entries, beside one that appended a configuration entry.
    const plain = base.append([e(2, 'y')]);
    expect(plain.lastConfig()).toEqual({ index: 2, config: A });
    expect(plain.configAt(3)).toEqual(A);
    const plainThenConfig = plain.append([cfg(3, C)]);
    expect(plainThenConfig.lastConfig()).toEqual({ index: 4, config: C });
    expect(plainThenConfig.configAt(3)).toEqual(A);
    expect(left.lastConfig()).toEqual({ index: 3, config: B });
    expect(right.lastConfig()).toEqual({ index: 4, config: C });
    // A truncated version that appends does not change the longer one it came from, nor the reverse.
    const long = Log.of([cfg(1, A), cfg(1, B), e(1, 'c')]);
    const short = long.truncateAfter(1);
    const shortPlus = short.append([e(2, 'z'), cfg(2, C)]);
    const longer = long.append([cfg(1, C)]);
    expect(shortPlus.lastConfig()).toEqual({ index: 3, config: C });
    expect(shortPlus.configAt(2)).toEqual(A);
    expect(long.lastConfig()).toEqual({ index: 2, config: B });
    expect(long.configAt(3)).toEqual(B);
    expect(longer.lastConfig()).toEqual({ index: 4, config: C });
    expect(longer.configAt(3)).toEqual(B);
    expect(short.lastConfig()).toEqual({ index: 1, config: A });
  });
});
