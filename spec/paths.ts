// Where the package's own files are: the published JSON Schemas, the rule catalogue, the bundled
// traces. Found from this module's location by walking up to the package's package.json, so the
// same code works from the TypeScript sources (spec/paths.ts) and from the build
// (dist/spec/paths.js), in a git checkout and in node_modules alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'raftspec';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours: keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error(`raftspec: no package.json named "${PACKAGE_NAME}" above ${from}`);
  }
}

/** The package's root folder (where its package.json is). */
export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The JSON Schemas of the trace format (draft 2020-12), emitted from spec/schema.ts. */
export const SCHEMAS_DIR: string = join(PACKAGE_ROOT, 'spec', 'schemas');

/** The path of one published schema, e.g. schemaPath('trace.schema.json'). */
export const schemaPath = (name: string): string => join(SCHEMAS_DIR, name);

/** The rule catalogue as JSON (spec/rules.json). */
export const RULES_JSON: string = join(PACKAGE_ROOT, 'spec', 'rules.json');

/** The bundled trace fixtures: paper/ (hand-written) and regressions/ (shrunk failures of campaigns). */
export const TRACES_DIR: string = join(PACKAGE_ROOT, 'traces');
