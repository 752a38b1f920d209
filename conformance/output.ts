// Where `gen` and `record` write, checked before the work starts, so that a user does not wait for
// a run whose result cannot be written: one line naming the path and what was expected there
// (exit 2), and nothing left behind. Also: the command line's negative numbers.
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync, accessSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeErrno, kindOf } from './files.js';

/** An output path that cannot be written: printed as `raftspec: <message>`, exit 2, without the usage text. */
export class OutputPathError extends Error {}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OutputPathError(`${path}: cannot look at the output path: ${describeErrno(e)}`);
  }
}

/** Creates the folder (and its parents) if missing, and shows that a file can be created in it (a probe file, removed at once). */
function ensureWritableFolder(dir: string, flag: string): void {
  const st = statOrNull(dir);
  if (st === null) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputPathError(`${dir}: cannot create the output folder for ${flag}: ${describeErrno(e)}`);
    }
  } else if (!st.isDirectory()) {
    throw new OutputPathError(`${dir}: expected a folder for ${flag}, got ${st.isFile() ? 'an existing file' : kindOf(st)}`);
  }
  const probe = join(dir, `.raftspec-probe-${process.pid}.tmp`);
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY));
  } catch (e) {
    throw new OutputPathError(`${dir}: expected a folder raftspec can write in for ${flag}, got one it cannot: ${describeErrno(e)}`);
  }
  rmSync(probe, { force: true });
}

/**
 * Checks an output path before any work: `folder` (gen --out DIR) must be a folder or not exist
 * yet (it is created, with its parents); `file` (record --out FILE) must be a regular file or not
 * exist yet, in a folder that is created if missing and can be written in. Throws OutputPathError.
 */
export function checkOutputPath(path: string, kind: 'folder' | 'file', flag = '--out'): void {
  if (kind === 'folder') {
    ensureWritableFolder(path, `${flag} DIR`);
    return;
  }
  const st = statOrNull(path);
  if (st !== null && st.isDirectory()) throw new OutputPathError(`${path}: expected a file to write for ${flag} FILE, got an existing folder`);
  // Never renamed over a FIFO, a device or a socket (as root that would replace /dev/null).
  if (st !== null && !st.isFile()) throw new OutputPathError(`${path}: expected a regular file to write for ${flag} FILE, got ${kindOf(st)}`);
  if (st !== null) {
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      throw new OutputPathError(`${path}: expected a file raftspec may replace for ${flag} FILE, got a read-only one: ${describeErrno(e)}`);
    }
  }
  ensureWritableFolder(dirname(path), `${flag} FILE`);
}

/** A write that failed during the work: one line naming the path (the writer has removed its temporary file). */
export function writeErrorLine(e: unknown): string | null {
  const x = e as NodeJS.ErrnoException;
  if (typeof x?.code !== 'string' || typeof x.syscall !== 'string') return null;
  return `${x.path ?? 'output'}: cannot write: ${describeErrno(e)}`;
}

/**
 * `--steps -1`: node's parseArgs reads `-1` as an option of its own and reports the value as
 * ambiguous. A value that is a negative number is joined to its option (`--steps=-1`), so that the
 * option's own check says what it expects.
 */
export function joinNegativeNumbers(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (/^--[^=]+$/.test(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}
