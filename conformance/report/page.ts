// The report page: one self-contained HTML file (inline CSS and script, a Content-Security-Policy
// that forbids every fetch), the diagram on the left, the verdict, the selected step and every
// server's state on the right. The data the script needs is embedded as JSON.
import type { NodeId } from '../../spec/schema.js';
import type { RunData, StepInfo } from './timeline.js';
import type { Verdict } from './verdict.js';
import { diagram, escapeText } from './svg.js';
import { CLIENT_SCRIPT } from './client.js';

/** Everything the page's script reads (the `raftspec-data` script element). */
export interface ReportData {
  readonly format: 'raftspec-report';
  readonly version: 1;
  /** The command whose run this is: check, validate, report, diff, campaign, drive. */
  readonly command: string;
  readonly file: string;
  readonly title: string;
  readonly servers: readonly NodeId[];
  readonly steps: readonly StepInfo[];
  /** One run of the model; two for `diff` (as written, with the change). */
  readonly runs: readonly RunData[];
  readonly verdict: Verdict;
  /** Every rule ID the page names, with its text from spec/rules.ts. */
  readonly rules: Readonly<Record<string, { readonly title: string; readonly section: string; readonly text: string }>>;
}

/**
 * JSON inside a script element: `<` escaped (no `</script>` can end it early) and `://` written
 * `:\/\/` (the same string once parsed), so that the file holds no address even when a trace quotes one.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029').replace(/:\/\//g, ':\\/\\/');
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a202c;background:#fff}
header{height:64px;padding:8px 14px;border-bottom:1px solid #cbd5e0;overflow:hidden}
header h1{font-size:15px;margin:0 0 4px}
header .verdict{font-family:ui-monospace,monospace;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.status{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-weight:600;margin-right:6px}
.status.pass,.status.same{background:#2f855a}.status.fail,.status.diverge,.status.differs{background:#c53030}.status.undecided{background:#b7791f}
main{display:grid;grid-template-columns:minmax(0,1fr) 600px;height:calc(100vh - 64px)}
#diagram{overflow:auto;border-right:1px solid #cbd5e0;outline:none}
.diagrams{display:flex;align-items:flex-start;gap:10px}
#panel{overflow:auto;padding:10px 14px}
.legend{font-size:11px;color:#4a5568;padding:4px 8px;border-bottom:1px solid #edf2f7;position:sticky;left:0}
.legend span{margin-right:10px}
svg.diagram{display:block;font-family:ui-monospace,monospace}
svg .title{font:600 12px system-ui,sans-serif;fill:#2d3748}
svg .row{fill:transparent;cursor:pointer}
svg .row:hover{fill:#edf2f7}
svg .row.selected{fill:#c3dafe}
svg .row.failing{fill:#fed7d7}
svg .row.failing.selected{fill:#feb2b2}
svg .lane{stroke:#a0aec0;stroke-width:1}
svg .server{font:600 12px system-ui,sans-serif;fill:#2d3748}
svg .label{font-size:11px;fill:#2d3748;pointer-events:none}
svg .cut{stroke:#9b2c2c;stroke-dasharray:8 4;pointer-events:none}
svg .crash{fill:#4a5568;opacity:.3}
svg .partition{opacity:.22;pointer-events:none}
svg .partition.g0{fill:#ecc94b}svg .partition.g1{fill:#48bb78}svg .partition.g2{fill:#4299e1}svg .partition.g3{fill:#ed64a6}
svg .event{stroke:#1a202c;stroke-width:1;pointer-events:none}
svg .t-electionTimeout{fill:#ecc94b}svg .t-heartbeatTimeout{fill:#cbd5e0}svg .t-clientRequest,svg .t-clientRead{fill:#48bb78}
svg .t-deliver{fill:#4299e1}svg .t-inject{fill:#805ad5}svg .t-crash{fill:#1a202c}svg .t-restart{fill:#fff}svg .t-duplicate{fill:#ed8936}svg .t-error{fill:#e53e3e}
svg .t-snapshot,svg .t-apply,svg .t-reconfigure,svg .t-transferLeadership{fill:#9f7aea}
svg .event.remark{stroke:#e53e3e;stroke-width:2.5}
svg .arrow{stroke-width:1.3;pointer-events:stroke;cursor:pointer;opacity:.6}
svg .arrow:hover{opacity:1;stroke-width:2.5}
svg .arrow.deliver{stroke:#2b6cb0}svg .arrow.drop{stroke:#c05621;stroke-dasharray:4 3}
svg .arrow.lost,svg .arrow.partition{stroke:#9b2c2c;stroke-dasharray:2 3}
svg .arrow.inflight{stroke:#718096;stroke-dasharray:6 4}svg .arrow.inject{stroke:#6b46c1}
svg .arrow.copy{stroke-dasharray:1 2}svg .arrow.unsent{stroke:#e53e3e}
svg .arrow.hl{stroke-width:2.8;opacity:1;stroke:#dd6b20}
svg marker path{fill:none;stroke:#4a5568}
svg .m-deliver path{fill:#2b6cb0;stroke:none}svg .m-inject path{fill:#6b46c1;stroke:none}svg .m-inflight path{fill:#718096;stroke:none}
svg .m-drop path{stroke:#c05621}svg .m-lost path,svg .m-partition path{stroke:#9b2c2c}
h2{font-size:14px;margin:8px 0}
h3{font-size:13px;margin:0 0 4px}
h4{margin:6px 0 2px;font-size:12px}
section{margin-bottom:12px}
.failure{border:2px solid #c53030;border-radius:4px;padding:8px;background:#fff5f5}
.failure.undecided{border-color:#b7791f;background:#fffff0}
.failure.differs{border-color:#c53030}
.failure ul{margin:4px 0;padding-left:18px}
.failure li{font-family:ui-monospace,monospace;font-size:12px}
table{border-collapse:collapse}
table.side td,table.side th,table.fields td,table.fields th{border:1px solid #e2e8f0;padding:2px 6px;text-align:left;vertical-align:top;font-size:12px}
table.fields td{font-family:ui-monospace,monospace;max-width:220px;overflow-wrap:anywhere}
td.changed{background:#fefcbf}
td.mismatch{background:#fed7d7;font-weight:600}
td.differs{box-shadow:inset 0 0 0 2px #d53f8c}
td.expected{color:#2c5282}
.rules-text dt{font-weight:600;margin-top:4px}
.rules-text dd{margin:0 0 0 12px}
.rule{display:inline-block;padding:0 4px;margin:0 3px 2px 0;border:1px solid #a0aec0;border-radius:3px;font-family:ui-monospace,monospace;font-size:11px;cursor:help}
.badge{display:inline-block;padding:0 5px;margin-left:6px;border-radius:3px;font-size:11px;font-weight:600}
.badge.failing{background:#c53030;color:#fff;margin:0 0 4px}.badge.down{background:#4a5568;color:#fff}.badge.changed{background:#fefcbf;color:#744210}
.role{font-weight:400;font-size:12px;color:#4a5568}.role-leader{color:#2f855a;font-weight:600}.role-candidate,.role-precandidate{color:#b7791f;font-weight:600}
.server{border:1px solid #cbd5e0;border-radius:4px;padding:6px;margin-bottom:8px}
.server.down{background:#edf2f7}
.muted{color:#718096}
.text{white-space:pre-line}
.note{font-style:italic;color:#4a5568;margin-bottom:4px}
.remark{color:#c53030;margin:2px 0}
.msg{font-family:ui-monospace,monospace;font-size:11.5px}
.msg-drop,.msg-lost,.msg-partition{color:#9b2c2c}
.mismatch-line{color:#c53030;font-family:ui-monospace,monospace;font-size:12px}
.logbox{margin-top:6px;overflow-x:auto}
.loghead{font-size:11px;color:#4a5568}
table.loggrid{font-family:ui-monospace,monospace;font-size:10.5px}
table.loggrid th,table.loggrid td{border:1px solid #e2e8f0;padding:1px 3px;text-align:center;min-width:22px}
table.loggrid th.committed{text-decoration:underline}
table.loggrid td.changed{outline:2px solid #d69e2e}
button{font:inherit;cursor:pointer}
`;

/** What the states shown are, and where that replay parts from the trace (so that a reader never takes one for the other). */
function replayNote(runs: readonly RunData[]): string {
  return runs.map((run) => {
    const off = run.mismatches.filter((m) => m !== null).length;
    const remarks = run.remarks.filter((r) => r !== null).length;
    const parts = [off > 0 ? `disagrees with the trace's expectations at ${off} step${off === 1 ? '' : 's'}` : '', remarks > 0 ? `could not take ${remarks} event${remarks === 1 ? '' : 's'} as written (marked with a red ring)` : ''].filter((x) => x !== '');
    return `<div class="muted replay">States shown: the model's replay of the trace's events (${escapeText(run.label)})${parts.length > 0 ? `; it ${parts.join(' and ')}` : ''}.</div>`;
  }).join('');
}

function failureBox(v: Verdict, rules: ReportData['rules'], steps: readonly StepInfo[], runs: readonly RunData[]): string {
  if (v.step === null) return `<section id="failure" class="ok"><h2>${v.status === 'same' ? 'The two runs behave the same' : 'Every step holds'}</h2><div class="muted text">${escapeText(v.text)}</div>${replayNote(runs)}</section>`;
  const where = v.step < 0 ? 'the initial state' : `step ${v.step}: ${steps[v.step]?.event ?? ''}`;
  const heading = v.status === 'differs' ? `The runs first differ at ${where}` : v.status === 'undecided' ? `Undecided after ${where}` : v.status === 'diverge' ? `The implementation diverges at ${where}` : `Fails at ${where}`;
  const out = [`<section id="failure" class="failure ${v.status}" data-step="${v.step}"><h2>${escapeText(heading)}</h2>`];
  if (v.step >= 0) out.push(`<button type="button" data-goto="${v.step}">show step ${v.step}</button>`);
  out.push(`<ul class="problems">${v.problems.map((p) => `<li>${escapeText(p)}</li>`).join('')}</ul>`);
  if (v.sideBySide.length > 0) {
    out.push(`<table class="side"><tr><th>server</th><th>field</th><th>${escapeText(v.modelLabel)}</th><th>${escapeText(v.otherLabel)}</th></tr>`);
    for (const s of v.sideBySide) out.push(`<tr><td>${escapeText(s.node ?? '')}</td><td>${escapeText(s.field)}</td><td class="model">${escapeText(s.model)}</td><td class="other mismatch">${escapeText(s.other)}</td></tr>`);
    out.push('</table>');
  }
  if (v.rules.length > 0) {
    out.push('<h4>Rules</h4><dl class="rules-text">');
    for (const id of v.rules) {
      const r = rules[id];
      if (r) out.push(`<dt>${escapeText(id)} ${escapeText(r.title)} <span class="muted">(${escapeText(r.section)})</span></dt><dd>${escapeText(r.text)}</dd>`);
    }
    out.push('</dl>');
  }
  out.push(replayNote(runs), '</section>');
  return out.join('');
}

const LEGEND = '<div class="legend"><span>→ delivered</span><span>⇢ dropped (×)</span><span>× lost to a partition</span><span>-- still in flight</span><span>purple: injected</span><span>red: sent by no step of this run</span><span>grey band: crashed</span><span>coloured bands: partition groups</span><span>keys: ←/→, Home/End</span></div>';

export function page(d: ReportData): string {
  const statusWord = { pass: 'PASS', fail: 'FAIL', diverge: 'DIVERGE', undecided: 'UNDECIDED', same: 'SAME', differs: 'DIFFERS' }[d.verdict.status];
  const failing = d.verdict.step !== null && d.verdict.step >= 0 ? d.verdict.step : null;
  const diagrams = d.runs.map((run, k) => diagram(d.servers, d.steps, run, { labels: k === 0, failing, id: `run${k}`, title: d.runs.length > 1 ? run.label : `${d.file}: ${d.steps.length} step${d.steps.length === 1 ? '' : 's'}${Object.keys(run.options).length > 0 ? `, options ${JSON.stringify(run.options)}` : ''}` }));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No fetch of any kind: the report works offline and cannot leak what it shows.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeText(`raftspec ${d.command}: ${d.title}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<header><h1>raftspec ${escapeText(d.command)}: ${escapeText(d.file)}</h1><div class="verdict"><span class="status ${d.verdict.status}">${statusWord}</span>${escapeText(d.verdict.text.split('\n')[0] ?? '')}</div></header>`,
    '<main>',
    `<div id="diagram" tabindex="0">${LEGEND}<div class="diagrams">${diagrams.join('\n')}</div></div>`,
    `<aside id="panel">${failureBox(d.verdict, d.rules, d.steps, d.runs)}<section id="step"></section><section id="servers"></section></aside>`,
    '</main>',
    `<script type="application/json" id="raftspec-data">${embedJson(d)}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
