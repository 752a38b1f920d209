// Finding trace files: each argument is a file, or a folder searched recursively for *.json.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function collectTraceFiles(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) files.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { missing.push(p); continue; }
    if (st.isDirectory()) walk(p);
    else files.push(p);
  }
  return { files, missing };
}
