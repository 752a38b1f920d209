// Fixtures of the HTML report's tests (test/report-html.test.ts, test/report-browser.test.ts).
import { loadTraceFile } from '../conformance/load.js';
import type { Trace } from '../spec/schema.js';
import type { ReportData } from '../conformance/report/page.js';

export function load(file: string): Trace {
  const l = loadTraceFile(file);
  if (!l.ok) throw new Error(`${file}: ${l.error.expected}`);
  return l.trace;
}

/** traces/paper/election-3-nodes.json with a wrong expectation at step 11: the leader's commitIndex (it is 1: s1 and s2 hold index 1). */
export function wrongCommit(): Trace {
  const t = structuredClone(load('traces/paper/election-3-nodes.json'));
  const s1 = t.steps[11]?.expect?.nodes?.s1;
  if (!s1) throw new Error('the fixture changed: step 11 no longer expects s1');
  s1.commitIndex = 0;
  return t;
}

/** The data the page's script reads, taken back out of the page. */
export function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="raftspec-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data');
  return JSON.parse(m[1] as string) as ReportData;
}
