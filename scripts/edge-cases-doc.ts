// Writes docs/edge-cases.md from the table in test/edge-cases.ts (`npx tsx scripts/edge-cases-doc.ts`);
// with --check, exits 1 when the doc is out of date instead of writing it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DOC_PATH, EDGE_CASES, renderDoc } from '../test/edge-cases.js';

const text = renderDoc();
if (process.argv.includes('--check')) {
  const now = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '';
  if (now !== text) {
    console.error(`${DOC_PATH} is out of date: run npx tsx scripts/edge-cases-doc.ts`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(DOC_PATH, text);
  console.log(`wrote ${DOC_PATH}: ${EDGE_CASES.length} rows, ${EDGE_CASES.filter((c) => c.bench).length} of them bench`);
}
