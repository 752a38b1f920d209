// The architecture, as imports: model/ imports only spec/; impl/ imports only spec/ (two
// independent implementations that agree are evidence, one calling the other is not); spec/
// imports neither. Only conformance/ (and the tests and benchmarks) may know there are two.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'test' ? [] : sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** The top-level folders a file imports from (relative imports only; packages are not folders of ours). */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string);
  // Resolved against the file's own folder, so that nested folders (model/core/) are judged by where they lead.
  return specifiers.map((s) => join(dirname(file), s).split('/')[0] as string);
}

describe('layering', () => {
  const allowed: Record<string, readonly string[]> = { spec: ['spec'], model: ['model', 'spec'], impl: ['impl', 'spec'] };
  for (const [folder, may] of Object.entries(allowed)) {
    it(`${folder}/ imports only ${may.join(' and ')}/`, () => {
      const files = sources(folder);
      expect(files.length).toBeGreaterThan(0);
      const bad = files.flatMap((f) => importedFolders(f).filter((t) => !may.includes(t)).map((t) => `${f} imports ${t}/`));
      expect(bad).toEqual([]);
    });
  }
  it('the check itself sees a forbidden import', () => {
    // impl/index.ts re-exports from ./node.js: resolved against impl/, it stays in impl/.
    expect(importedFolders('impl/index.ts').every((t) => t === 'impl')).toBe(true);
    expect(importedFolders('conformance/lockstep.ts')).toEqual(expect.arrayContaining(['model', 'impl']));
  });
});

// The Figure 2 core (model/core/) knows no extension and no option: they enter through the hook
// points of model/hooks.ts, filled by the table of model/dispatch.ts (issue: one Figure 2 core).
describe('the Figure 2 core', () => {
  const core = sources('model/core');
  const OPTIONS = ['preVote', 'checkQuorum', 'disruptionGuard', 'leadershipTransfer', 'fastBacktracking', 'pipelining', 'flowControl', 'leaseReads', 'leaderNoop', 'maxEntriesPerAppendEntries', 'snapshotChunkSize', 'flowControlWindow', 'followerReads'];
  // The rule IDs of the options (docs/dissertation-options.md): a core line that cites one carries the option.
  const OPTION_RULES = /\b(?:PV|CQ|LT|FB|PIP|FC|LR|FR)-\d+\b|\bCFG-6\b|\bCLI-3\b|\bDEC-6\b/;

  it('has files', () => {
    expect(core.length).toBeGreaterThan(0);
  });
  it('imports nothing of model/ but the state, the log, configurations and the hook types', () => {
    const bad = core.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => join(dirname(f), m[1] as string));
      return specifiers.filter((p) => p.startsWith('model/') && !/^model\/(core\/|state\.js$|log\.js$|config\.js$|hooks\.js$)/.test(p)).map((p) => `${f} imports ${p}`);
    });
    expect(bad).toEqual([]);
  });
  it('has no line that names an option or cites an option\'s rule', () => {
    const bad = core.flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((line, i) => {
      const words = OPTIONS.filter((o) => new RegExp(`\\b${o}\\b`).test(line));
      return words.length > 0 || OPTION_RULES.test(line) || /\.options\b/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [];
    }));
    expect(bad).toEqual([]);
  });
  it('the check itself sees an option named in a line', () => {
    expect(OPTION_RULES.test('// PV-2: a pre-vote')).toBe(true);
    expect(OPTIONS.some((o) => new RegExp(`\\b${o}\\b`).test('if (env.options.preVote) return'))).toBe(true);
  });
});
