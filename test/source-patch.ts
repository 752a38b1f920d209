// Source patches: a copy of a folder with small textual patches applied, each of which must match
// exactly once (so that a refactor that moves the code a patch names fails loudly, naming the
// patch, instead of testing nothing). The mutation tests of impl/ (test/mutants.ts) and the
// planted bugs of examples/compact-raft (its bugs.ts) both build their variants so.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SourcePatch {
  /** The file, relative to the folder patched. */
  readonly file: string;
  /** The exact text to find: it must occur exactly once. */
  readonly find: string;
  readonly replace: string;
}

/** `text` with every patch for `file` applied; throws, naming `what` (the variant), the folder and the patch, unless each snippet occurs exactly once. */
export function applyPatches(what: string, folder: string, patches: readonly SourcePatch[], file: string, text: string): string {
  let out = text;
  patches.forEach((p, k) => {
    if (p.file !== file) return;
    const at = out.indexOf(p.find);
    const again = at < 0 ? -1 : out.indexOf(p.find, at + 1);
    if (at < 0 || again >= 0) {
      throw new Error(`${what}: patch ${k + 1} of ${folder}/${p.file} must match exactly once, found ${at < 0 ? 'no' : 'more than one'} occurrence of:\n${p.find}`);
    }
    out = out.slice(0, at) + p.replace + out.slice(at + p.find.length);
  });
  return out;
}

/** Writes `text` to `path` unless it holds it already; through a rename, so that a concurrent reader never sees half a file. */
export function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
