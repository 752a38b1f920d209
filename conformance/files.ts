// Finding trace files: each argument is a file, or a folder searched recursively for *.json.
// Symbolic links are followed, to files and to folders; a link that leads back into a folder being
// searched (a loop) or to nothing (a broken link), a folder that cannot be read, and anything that
// is not a regular file (a FIFO, a device, a socket: reading one could block forever) are reported
// for that path, and the search goes on. Nothing here opens a file: only stat, lstat and readdir.
import { lstatSync, readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { notUtf8 } from './json-syntax.js';
import { join } from 'node:path';

/** A path that names no trace to read, and why: the loader's bad input for that path. */
export interface PathProblem {
  readonly file: string;
  readonly expected: string;
}

/** What an errno code means, in words (the code itself follows in parentheses). */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links (a loop)',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a path component is not a folder',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'an input/output error',
  EISDIR: 'a folder, not a file',
  EMFILE: 'too many open files',
};

/** `permission denied (EACCES)`, or the error's own message for a code not listed. */
export function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === undefined) return String((e as Error)?.message ?? e).split('\n')[0] as string;
  const words = ERRNO_WORDS[code];
  return words ? `${words} (${code})` : `${String((e as Error).message).split('\n')[0]}`;
}

/** What kind of thing a path is, for one that is neither a regular file nor a folder. */
export function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export const NOT_REGULAR = (st: Stats): string => `expected a regular file, got ${kindOf(st)} (not read: reading it could block or never end)`;

export function collectTraceFiles(paths: readonly string[]): { files: string[]; missing: string[]; problems: PathProblem[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const problems: PathProblem[] = [];
  /** The real paths of the folders being searched, from the argument down: a link back to one is a loop. */
  const ancestors: string[] = [];

  /**
   * stat (following links), or a problem for a broken link, a link loop, or an unreadable path
   * (`quiet`: none, for a name in a folder that would not be read as a trace anyway).
   */
  const statOf = (p: string, quiet = false): Stats | null => {
    try {
      return statSync(p);
    } catch (e) {
      if (quiet) return null;
      const code = (e as NodeJS.ErrnoException).code;
      let link = false;
      try { link = lstatSync(p).isSymbolicLink(); } catch { /* not even the link is there */ }
      if (link && code === 'ENOENT') problems.push({ file: p, expected: 'expected a file or folder, got a broken symbolic link (its target does not exist)' });
      else if (link && code === 'ELOOP') problems.push({ file: p, expected: 'expected a file or folder, got a symbolic link that leads to itself (a loop of links)' });
      else if (code === 'ENOENT') missing.push(p);
      else problems.push({ file: p, expected: `expected a readable file or folder: ${describeErrno(e)}` });
      return null;
    }
  };

  const walk = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (e) {
      problems.push({ file: dir, expected: `expected a readable folder: ${describeErrno(e)}` });
      return;
    }
    if (ancestors.includes(real)) {
      problems.push({ file: dir, expected: `expected a file or folder, got a symbolic link back to ${real}, a folder being searched (a loop): not followed` });
      return;
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      problems.push({ file: dir, expected: `expected a readable folder: ${describeErrno(e)}` });
      return;
    }
    ancestors.push(real);
    for (const name of names) {
      const p = join(dir, name);
      const st = statOf(p, !name.endsWith('.json'));
      if (st === null) continue;
      if (st.isDirectory()) walk(p);
      else if (!name.endsWith('.json')) continue;
      else if (st.isFile()) files.push(p);
      else problems.push({ file: p, expected: NOT_REGULAR(st) });
    }
    ancestors.pop();
  };

  for (const p of paths) {
    const st = statOf(p);
    if (st === null) continue;
    if (st.isDirectory()) walk(p);
    else if (st.isFile()) files.push(p);
    else problems.push({ file: p, expected: NOT_REGULAR(st) });
  }
  return { files, missing, problems };
}

/** The largest input file read (a trace or a script): 256 MiB. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * An input file's text, or why it is not one, in words for a BAD line (`kind` names it: "a trace
 * file", "a script"): a regular file (a FIFO or a device is never opened: reading it could block or
 * never end), at most MAX_FILE_BYTES (checked before and after the read: it may grow), UTF-8 (a
 * UTF-16 file or one with NUL bytes is named as such, never shown as garbage). A UTF-8 byte order
 * mark is kept: the readers skip it.
 */
export function readInputFile(file: string, kind: string): { ok: true; text: string } | { ok: false; expected: string } {
  const tooLarge = (size: number | undefined): string =>
    `expected ${kind} of at most ${MAX_FILE_BYTES / (1024 * 1024)} MiB (${MAX_FILE_BYTES} bytes)${size === undefined ? '' : `, got ${size} bytes`}`;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { ok: false, expected: `expected ${kind}, got a folder` };
    if (!st.isFile()) return { ok: false, expected: NOT_REGULAR(st) };
    if (st.size > MAX_FILE_BYTES) return { ok: false, expected: tooLarge(st.size) };
    const bytes = readFileSync(file);
    if (bytes.length > MAX_FILE_BYTES) return { ok: false, expected: tooLarge(bytes.length) };
    const encoding = notUtf8(bytes);
    if (encoding !== null) return { ok: false, expected: encoding };
    return { ok: true, text: bytes.toString('utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_STRING_TOO_LONG' || e instanceof RangeError) return { ok: false, expected: tooLarge(undefined) };
    return { ok: false, expected: code === 'ENOENT' || code === undefined ? `cannot read the file (${code ?? String(e)})` : `cannot read the file: ${describeErrno(e)}` };
  }
}
