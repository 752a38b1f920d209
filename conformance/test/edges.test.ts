// Reliable at the edges: every bad input, through the real command (`node bin/raftspec.mjs ...`,
// spawned with a timeout), is exit code 2 and one line naming the file and the JSON path of the
// offending value (never exit 3 "internal error", never a stack trace, never a hang): numbers
// past 2^31-1 or not finite, numbers that would drive a loop as long as themselves, node and client
// IDs that collide with Object.prototype, files that are not regular, too large, nested too deeply,
// symbolic link loops, unreadable paths, and output paths that cannot be written.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RaftNode } from '../../impl/node.js';
import { stackOverflowAsBadInput } from '../load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'raftspec-edges-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK_FRAME = /^\s*at\s|\.ts:\d+:\d+|\.js:\d+:\d+/m;
const MAX = 2147483647;

/** Someone other than root, for permissions (root reads and writes everything). */
const asUser: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

interface Run { code: number | null; stdout: string; stderr: string; lines: string[] }

/** The CLI, spawned: never a timeout, never an internal error or a stack trace. */
function raftspec(args: string[], opts: SpawnSyncOptions = {}, timeout = 60_000): Run {
  const r = spawnSync(process.execPath, ['bin/raftspec.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout, ...opts });
  expect(r.error, `raftspec ${args.join(' ')} did not finish within ${timeout} ms`).toBeUndefined();
  const stdout = String(r.stdout);
  const stderr = String(r.stderr);
  const all = stdout + stderr;
  expect(all).not.toMatch(/raftspec: internal error/);
  expect(all).not.toMatch(STACK_FRAME);
  expect(r.status).not.toBe(3);
  return { code: r.status, stdout, stderr, lines: all.split('\n').filter((l) => l !== '') };
}

/** Exit 2 and exactly one line about `file`: `BAD  <file>: <path>: ...` holding every fragment. */
function expectBad(r: Run, file: string, path: string, ...fragments: Array<string | RegExp>): string {
  expect(r.code).toBe(2);
  const lines = r.lines.filter((l) => l.includes(file));
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(line.startsWith(`BAD  ${file}: ${path}: `), line).toBe(true);
  for (const f of fragments) expect(line).toMatch(typeof f === 'string' ? new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : f);
  return line;
}

/** Exit 2 and one line on stderr, `raftspec: ...`, holding every fragment (no usage text, or the usage text after it). */
function expectUsage(r: Run, ...fragments: Array<string | RegExp>): string {
  expect(r.code).toBe(2);
  const line = r.stderr.split('\n')[0] as string;
  expect(line.startsWith('raftspec: ')).toBe(true);
  for (const f of fragments) expect(line).toMatch(typeof f === 'string' ? new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : f);
  return line;
}

let n = 0;
function write(content: unknown, name = `t${++n}.json`, where = dir): string {
  const file = join(where, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const trace = (extra: Record<string, unknown> = {}) => ({ format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], steps: [{ event: { type: 'electionTimeout', node: 's1' } }], ...extra });

describe('bounded numbers', () => {
  it('a term past 2^31-1 is bad input at its JSON path, for check and validate', () => {
    const file = write(trace({ initial: { s1: { currentTerm: MAX + 1 } } }));
    for (const cmd of ['check', 'validate']) expectBad(raftspec([cmd, file]), file, '/initial/s1/currentTerm', '<= 2147483647', `got ${MAX + 1}`);
  });

  it('an index past 2^31-1 deep in a message is bad input at its JSON path', () => {
    const ae = { type: 'AppendEntries', from: 's2', to: 's1', term: 1, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 2 ** 53 - 1 };
    const file = write(trace({ steps: [{ event: { type: 'inject', message: ae } }] }));
    expectBad(raftspec(['validate', file]), file, '/steps/0/event/message/leaderCommit', '<= 2147483647');
  });

  it('1e309 (read as Infinity) is reported as a number out of range, not "got null"', () => {
    const file = write(JSON.stringify(trace()).replace('"steps"', '"initial":{"s1":{"currentTerm":1e309}},"steps"'));
    const line = expectBad(raftspec(['check', file]), file, '/initial/s1/currentTerm', 'finite number', 'out of range', '1e309');
    expect(line).not.toMatch(/got null/);
  });

  it('1e309 inside free JSON (a command) is bad input too: it would be written back as null', () => {
    const file = write(JSON.stringify(trace({ steps: [{ event: { type: 'clientRequest', node: 's1', command: 'X' } }] })).replace('"X"', '[1, -1e309]'));
    expectBad(raftspec(['validate', file]), file, '/steps/0/event/command/1', 'finite number', '-Infinity');
  });

  it('a commitIndex of 2^31-1 on an empty log is INV-3 at once, not a loop up to it (check and validate)', () => {
    const file = write(trace({ initial: { s1: { commitIndex: MAX } } }));
    for (const cmd of ['check', 'validate']) {
      const r = raftspec([cmd, file], {}, 30_000);
      expect(r.code).toBe(1);
      expect(r.lines.filter((l) => l.includes(file))).toEqual([`FAIL ${file}: initial state: INV-3 Index order violated (nodes s1): s1 has lastApplied 0, commitIndex ${MAX}, last log index 0`]);
    }
  });

  it('a lastApplied of 2^31-1 is INV-3 at once', () => {
    const file = write(trace({ initial: { s1: { lastApplied: MAX } } }));
    const r = raftspec(['validate', file], {}, 30_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/initial state: INV-3 .*lastApplied 2147483647/);
  });

  it('a snapshot through index 2^31-1 costs what its entries cost, not 2^31 slots (check and validate finish, no "Invalid array length")', () => {
    const file = write(trace({ initial: { s1: { snapshotIndex: MAX, snapshotTerm: 1, currentTerm: 1, commitIndex: MAX, lastApplied: MAX } } }));
    for (const cmd of ['check', 'validate']) {
      const r = raftspec([cmd, file], {}, 30_000);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(`PASS ${file} (1 steps)`);
    }
  });

  it('an InstallSnapshot through index 2^31-1, injected, then an election and a command: finishes', () => {
    const is = { type: 'InstallSnapshot', from: 's2', to: 's1', term: 1, leaderId: 's2', lastIncludedIndex: MAX, lastIncludedTerm: 1, offset: 0, data: '{"data":{},"sessions":{}}', done: true };
    const file = write(trace({ steps: [{ event: { type: 'inject', message: is } }, { event: { type: 'electionTimeout', node: 's1' } }, { event: { type: 'clientRequest', node: 's1', command: 'x' } }] }));
    for (const cmd of ['check', 'validate']) expect(raftspec([cmd, file], {}, 30_000).code).toBe(0);
  });

  it('nextIndex and matchIndex of 2^31-1 are reported by the invariants at once', () => {
    const file = write(trace({ initial: { s1: { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'], nextIndex: { s2: MAX, s3: 1 }, matchIndex: { s2: MAX, s3: 0 } } }, steps: [{ event: { type: 'heartbeatTimeout', node: 's1' } }] }));
    const r = raftspec(['check', file], {}, 30_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/initial state: INV-6/);
  });

  it('a term within the trace\'s step count of 2^31-1 is bad input: the elections after it would pass the maximum', () => {
    const steps = [1, 2, 3].map(() => ({ event: { type: 'electionTimeout', node: 's1' } }));
    const file = write(trace({ initial: { s1: { currentTerm: MAX - 1 } }, steps }));
    expectBad(raftspec(['check', file]), file, '/initial/s1/currentTerm', `a term at most ${MAX - 3}`, `got ${MAX - 1}`);
    const inject = { type: 'RequestVote', from: 's2', to: 's1', term: MAX, candidateId: 's2', lastLogIndex: 0, lastLogTerm: 0 };
    const file2 = write(trace({ steps: [{ event: { type: 'inject', message: inject } }] }));
    expectBad(raftspec(['validate', file2]), file2, '/steps/0/event/message/term', `a term at most ${MAX - 1}`);
    // With room for every step, the same term is accepted.
    const file3 = write(trace({ initial: { s1: { currentTerm: MAX - 3 } }, steps }));
    expect(raftspec(['check', file3]).code).toBe(0);
  });

  it('--steps -1 and --count -1 name the option and the value (not parseArgs\'s "ambiguous")', () => {
    expectUsage(raftspec(['gen', '--seed', '1', '--count', '1', '--steps', '-1', '--out', join(dir, 'g')]), '--steps expects a whole number >= 1, got "-1"');
    expectUsage(raftspec(['gen', '--seed', '1', '--count', '-1', '--steps', '5', '--out', join(dir, 'g')]), '--count expects a whole number >= 1, got "-1"');
    expectUsage(raftspec(['campaign', '--seed', '-7', '--count', '1', '--steps', '5']), '--seed expects a whole number >= 0, got "-7"');
  });

  it('--seed past 2^32-1 is refused (it would repeat the run of a smaller seed); 2^32-1 itself is a seed', () => {
    expectUsage(raftspec(['record', '--seed', '4294967296', '--steps', '3', '--out', join(dir, 'seed.json')]), '--seed expects a whole number from 0 to 4294967295', 'got "4294967296"');
    const ok = raftspec(['record', '--seed', '4294967295', '--steps', '3', '--out', join(dir, 'seed.json')]);
    expect(ok.code).toBe(0);
  });
});

describe('node and client IDs that cannot collide with Object.prototype', () => {
  for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    it(`a node named ${id}: bad input at /cluster/1 for check and validate (was a wrong DIVERGE, or a crash)`, () => {
      const file = write(trace({ cluster: ['s1', id, 's3'] }));
      for (const cmd of ['check', 'validate']) expectBad(raftspec([cmd, file]), file, '/cluster/1', 'Object.prototype', `got "${id}"`);
    });
  }

  it('a key "__proto__" in initial (JSON.parse keeps it an own key): bad input at /initial/__proto__', () => {
    const file = write(JSON.stringify(trace()).replace('"steps"', '"initial":{"__proto__":{"currentTerm":1}},"steps"'));
    expectBad(raftspec(['check', file]), file, '/initial/__proto__', 'Object.prototype');
  });

  it('a client named "constructor" in a read and in a command: bad input at its path', () => {
    const file = write(trace({ steps: [{ event: { type: 'clientRead', node: 's1', client: 'constructor', seq: 1, key: 'x' } }] }));
    expectBad(raftspec(['validate', file]), file, '/steps/0/event/client', 'Object.prototype');
    const file2 = write(trace({ steps: [{ event: { type: 'clientRequest', node: 's1', command: { op: 'put', key: 'k', value: 'v', client: 'toString', seq: 1 } } }] }));
    expectBad(raftspec(['check', file2]), file2, '/steps/0/event/command/client', 'Object.prototype');
  });

  it('impl/: a RaftNode whose servers include __proto__ or constructor is refused with a clear RangeError', () => {
    for (const id of ['__proto__', 'constructor']) {
      expect(() => new RaftNode({ id: 's1', servers: ['s1', id] })).toThrow(RangeError);
      expect(() => new RaftNode({ id: 's1', servers: ['s1', id] })).toThrow(/server ID .* is not usable.*Object\.prototype/);
    }
    expect(() => new RaftNode({ id: 's1', servers: ['s1', 's2'] })).not.toThrow();
  });
});

describe('files', () => {
  it('a missing file: "no such file or folder"', () => {
    const file = join(dir, 'no-such.json');
    expectBad(raftspec(['check', file]), file, '/', 'no such file or folder');
  });

  it('a folder with a FIFO, /dev/zero named *.json, a link loop, a broken link, a BOM, deep nesting and a syntax error: every file has its result (text and --json)', () => {
    const d = join(dir, 'zoo');
    mkdirSync(join(d, 'sub'), { recursive: true });
    const good = write(trace(), 'a-good.json', d);
    const bom = write(`\ufeff${JSON.stringify(trace())}`, 'bom.json', d);
    const fifo = join(d, 'fifo.json');
    spawnSync('mkfifo', [fifo]);
    const zero = join(d, 'zero.json');
    symlinkSync('/dev/zero', zero);
    const loop = join(d, 'sub', 'loop');
    symlinkSync('..', loop);
    const broken = join(d, 'broken.json');
    symlinkSync('nowhere.json', broken);
    const self = join(d, 'self.json');
    symlinkSync('self.json', self);
    const deep = write(JSON.stringify(trace({ steps: [{ event: { type: 'clientRequest', node: 's1', command: 'X' } }] })).replace('"X"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'deep.json', d);
    const deepNote = write(JSON.stringify(trace()).replace('"steps"', `"x-notes":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)},"steps"`), 'deep-user-field.json', d);
    const syntax = write('{\n  "format": "raft-trace",\n  "version": 1,,\n}', 'syntax.json', d);

    const r = raftspec(['check', d]);
    expect(r.code).toBe(2);
    expect(r.lines.filter((l) => l.startsWith('PASS'))).toEqual([`PASS ${good} (1 steps)`, `PASS ${bom} (1 steps)`]);
    expectBad(r, fifo, '/', 'a regular file', 'FIFO');
    expectBad(r, zero, '/', 'a regular file', 'character device');
    expectBad(r, loop, '/', 'symbolic link', 'loop');
    expectBad(r, broken, '/', 'broken symbolic link');
    expectBad(r, self, '/', 'symbolic link', 'loop');
    expectBad(r, deep, '/steps/0/event/command/0', 'nesting no deeper than 512 levels', /at line 1, column \d+/);
    expectBad(r, deepNote, '/x-notes/a/a/a/a', 'nesting no deeper than 512 levels');
    expectBad(r, syntax, '/', 'expected JSON', 'line 3, column 16');
    expect(r.lines.at(-1)).toBe('10 traces: 2 passed, 0 failed, 8 bad input');

    const j = raftspec(['validate', '--json', d]);
    expect(j.code).toBe(2);
    const doc = JSON.parse(j.stdout) as { results: Array<{ file: string; status: string; path?: string }> };
    expect(doc.results.map((x) => x.file).sort()).toEqual([good, bom, fifo, zero, loop, broken, self, deep, deepNote, syntax].sort());
    expect(doc.results.find((x) => x.file === deep)?.path).toBe('/steps/0/event/command/0');
  });

  it('a FIFO given by name is refused without being opened (no hang)', () => {
    const fifo = join(dir, 'named-pipe.json');
    spawnSync('mkfifo', [fifo]);
    expectBad(raftspec(['validate', fifo], {}, 30_000), fifo, '/', 'FIFO');
  });

  it('a file past 256 MiB is refused by its size before it is read (not ERR_STRING_TOO_LONG)', () => {
    const big = join(dir, 'huge.json');
    writeFileSync(big, '');
    truncateSync(big, 300 * 1024 * 1024); // sparse: no disk used
    expectBad(raftspec(['diff', '--leader-noop', big], {}, 30_000), big, '/', 'at most 256 MiB', `got ${300 * 1024 * 1024} bytes`);
  });

  it('an unreadable file and an unreadable folder are reported for their paths; the rest is still checked', () => {
    const d = join(dir, 'perm');
    mkdirSync(join(d, 'locked'), { recursive: true });
    chmodSync(d, 0o755);
    const good = write(trace(), 'a.json', d);
    chmodSync(good, 0o644);
    write(trace(), 'b.json', join(d, 'locked'));
    const secret = write(trace(), 'c.json', d);
    chmodSync(secret, 0o000);
    chmodSync(join(d, 'locked'), 0o000);
    const r = raftspec(['check', d], asUser);
    chmodSync(join(d, 'locked'), 0o755);
    expect(r.lines.filter((l) => l.startsWith('PASS'))).toEqual([`PASS ${good} (1 steps)`]);
    expectBad(r, join(d, 'locked'), '/', 'a readable folder', 'permission denied (EACCES)');
    expectBad(r, secret, '/', 'cannot read the file', 'permission denied (EACCES)');
  });

  it('a RangeError from a stack overflow while checking one file becomes bad input for that file; any other error is thrown on', () => {
    const deep = (k: number): number => (k === 0 ? 0 : 1 + deep(k - 1));
    let overflow: unknown;
    try { deep(1e7); } catch (e) { overflow = e; }
    expect(stackOverflowAsBadInput(overflow)).toMatchObject({ status: 'bad-input', path: '/', expected: expect.stringMatching(/nested less deeply/) });
    expect(() => stackOverflowAsBadInput(new RangeError('Invalid array length'))).toThrow('Invalid array length');
  });
});

describe('output paths', () => {
  const noTmp = (folder: string) => expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);

  it('gen --out naming an existing file: one line, exit 2, before any work', () => {
    const file = write(trace(), 'existing.json');
    const r = raftspec(['gen', '--seed', '1', '--count', '1', '--steps', '2000000', '--out', file], {}, 30_000);
    expect(expectUsage(r, file, 'expected a folder', 'an existing file')).toBeTruthy();
    expect(r.lines).toHaveLength(1);
    noTmp(dir);
  });

  it('record --out naming an existing folder: one line, exit 2, and no stray .tmp in it', () => {
    const folder = join(dir, 'out-folder');
    mkdirSync(folder);
    const r = raftspec(['record', '--seed', '1', '--steps', '50', '--out', folder]);
    expectUsage(r, folder, 'expected a file', 'an existing folder');
    expect(r.lines).toHaveLength(1);
    noTmp(folder);
    noTmp(dir);
  });

  it('record --out /dev/null: refused (it would be renamed over)', () => {
    const r = raftspec(['record', '--seed', '1', '--steps', '5', '--out', '/dev/null']);
    expectUsage(r, '/dev/null', 'character device');
    expect(existsSync('/dev/null')).toBe(true);
  });

  it('a missing output folder is created (mkdir -p)', () => {
    const out = join(dir, 'new', 'deeper', 'rec.json');
    expect(raftspec(['record', '--seed', '1', '--steps', '5', '--out', out]).code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const genDir = join(dir, 'new', 'gen');
    expect(raftspec(['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', genDir]).code).toBe(0);
    expect(readdirSync(genDir)).toEqual(['gen-seed1-001.json']);
  });

  it('a read-only output folder: one line naming it, exit 2, nothing left behind', () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const rec = raftspec(['record', '--seed', '1', '--steps', '5', '--out', join(ro, 'x.json')], asUser);
    expectUsage(rec, ro, 'cannot', 'permission denied (EACCES)');
    expect(rec.lines).toHaveLength(1);
    const gen = raftspec(['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', ro], asUser);
    expectUsage(gen, ro, 'permission denied (EACCES)');
    const sub = raftspec(['gen', '--seed', '1', '--count', '1', '--steps', '5', '--out', join(ro, 'sub')], asUser);
    expectUsage(sub, join(ro, 'sub'), 'cannot create the output folder', 'permission denied (EACCES)');
    chmodSync(ro, 0o755);
    expect(readdirSync(ro)).toEqual([]);
  });
});
