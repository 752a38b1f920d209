// The architecture, as imports: model/ imports only spec/; impl/ imports only spec/ (two
// independent implementations that agree are evidence, one calling the other is not); spec/
// imports neither. Only conformance/ (and the tests and benchmarks) may know there are two.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
  const top = file.split('/')[0] as string;
  return specifiers.map((s) => {
    const parts = join(top, s).split('/');
    return parts[0] as string;
  });
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
