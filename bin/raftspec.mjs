#!/usr/bin/env node
// The `raftspec` command. Installed from the package, it runs the build (dist/conformance/cli.js)
// on plain Node. In a git checkout, where the TypeScript sources sit next to it, it runs them
// through tsx's loader (a dev dependency), so that `npm start` needs no build step and always runs
// the sources as they are.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'conformance', 'cli.ts');
const built = join(root, 'dist', 'conformance', 'cli.js');

async function loadCli() {
  if (existsSync(sources)) {
    let register;
    try {
      ({ register } = await import('tsx/esm/api'));
    } catch (e) {
      // No tsx (installed without dev dependencies): the build, if there is one.
      if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(built)) {
        console.error(`raftspec: cannot run the TypeScript sources (${e?.message ?? e}); run \`npm ci\` (for tsx) or \`npm run build\``);
        process.exit(3);
      }
    }
    if (register) {
      register();
      return import(pathToFileURL(sources).href);
    }
  }
  return import(pathToFileURL(built).href);
}

const { run } = await loadCli();
run();
