// The HTML report's builder, without a browser: the data the page embeds (one arrow per delivered
// message, the failing step, the state changes that rebuild every server's state), the markup (the
// failing row, one SVG arrow per delivery, no address of any kind), the step limit, and the CLI's
// --html flags (written failing or not, never for bad input, one line past the limit).
import { describe, it, expect, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, Trace } from '../spec/schema.js';
import { describeMessage } from '../spec/canonical.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { toJson } from '../model/state.js';
import { lockstep, type ImplFactory } from '../conformance/lockstep.js';
import { validateBySearch } from '../conformance/search.js';
import { generateFixtures, nodeIds, runCampaign } from '../conformance/campaign.js';
import { DEFAULT_CLIENTS, profileArb } from '../conformance/generate.js';
import { recordRun } from '../conformance/record.js';
import { RaftNode } from '../impl/index.js';
import { main } from '../conformance/cli.js';
import { HtmlInputError, MAX_HTML_STEPS, buildDiffHtml, buildHtmlReport, diffData, replayProfile, reportData, writeRegressionHtml } from '../conformance/report/html.js';
import { runForReport } from '../conformance/report/timeline.js';
import { generateTrace } from '../examples/compact-raft/harness.js';
import { embedded, load, wrongCommit } from './report-fixtures.js';
import type { NodeView, RunData } from '../conformance/report/timeline.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'raftspec-html-'));

/** Every server's state after step i, rebuilt from the run's changes the way the page's script rebuilds it. */
function rebuild(servers: readonly string[], run: RunData, i: number): Record<string, NodeView> {
  let nodes: Record<string, NodeView> = Object.fromEntries(servers.map((id) => [id, run.initial[id] as NodeView]));
  for (let j = 0; j <= i; j++) {
    const ch = run.changes[j]?.nodes ?? {};
    nodes = { ...nodes };
    for (const [id, c] of Object.entries(ch)) {
      const old = nodes[id] as NodeView;
      const s: Record<string, unknown> = { ...old };
      for (const [f, v] of Object.entries(c)) if (f !== 'log') s[f] = v;
      if (c.log) {
        const base = s.snapshotIndex as number;
        const keep: Entry[] = [];
        for (let k = base + 1; k < c.log.from; k++) keep.push(old.log[k - (old.snapshotIndex as number) - 1] as Entry);
        s.log = [...keep, ...c.log.entries];
      }
      nodes[id] = s as NodeView;
    }
  }
  return nodes;
}

/** The model's own states after every step, for comparison. */
function modelStates(t: Trace): ClusterState[] {
  let c = initCluster(t.cluster, t.options, t.initial, t.configuration);
  const out: ClusterState[] = [];
  for (const s of t.steps) {
    const r = applyEvent(c, s.event);
    if ('error' in r) throw new Error(r.error);
    c = r.state;
    out.push(c);
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('the HTML report of a failing check', () => {
  const trace = wrongCommit();
  const result = lockstep(trace);
  const html = buildHtmlReport(trace, result, { file: 'wrong-commit.json', command: 'check' });
  const data = embedded(html);
  const delivers = trace.steps.flatMap((s, i) => (s.event.type === 'deliver' ? [{ i, name: describeMessage(s.event.message) }] : []));

  it('names the failing step, the model and the trace side by side, and the rules with their text', () => {
    expect(result.status).toBe('fail');
    expect(data.verdict.step).toBe(11);
    expect(data.verdict.sideBySide).toEqual([{ node: 's1', field: 'commitIndex', model: '1', other: '0' }]);
    expect(data.verdict.rules).toContain('LEA-4');
    expect(data.rules['LEA-4']?.text).toMatch(/^If there is an N > commitIndex/);
    expect(html).toContain('<rect class="row failing" data-step="11"');
    expect(html.match(/class="row failing"/g)).toHaveLength(1);
    expect(html).toContain('LEA-4 Commit');
  });

  it('has one arrow per delivered message, from the step that sent it to the step that delivered it', () => {
    const arrows = (data.runs[0] as RunData).arrows.filter((a) => a.kind === 'deliver');
    expect(arrows).toHaveLength(delivers.length);
    expect(delivers.length).toBeGreaterThan(10);
    for (const d of delivers) {
      const a = arrows.find((x) => x.end === d.i);
      expect(a?.name).toBe(d.name);
      expect(a?.send ?? Infinity).toBeLessThan(d.i);
      expect(a?.unsent).toBeUndefined();
    }
    // The same arrows in the SVG markup.
    expect(html.match(/<line class="arrow deliver[ "]/g)).toHaveLength(delivers.length);
  });

  it('stores per-step changes from which every state of the model is rebuilt exactly', () => {
    const run = data.runs[0] as RunData;
    const states = modelStates(trace);
    for (let i = 0; i < trace.steps.length; i++) {
      const rebuilt = rebuild(trace.cluster, run, i);
      for (const id of trace.cluster) expect(rebuilt[id], `${id} after step ${i}`).toEqual(JSON.parse(JSON.stringify(toJson((states[i] as ClusterState).nodes[id] as never))));
    }
    // Step 11 changed s1's commitIndex, and only what it changed is stored.
    expect(run.changes[11]?.nodes?.s1?.commitIndex).toBe(1);
    expect(run.changes[11]?.nodes?.s1?.role).toBeUndefined();
    expect(run.mismatches[11]).toEqual({ s1: { commitIndex: { expected: '0', actual: '1' } } });
  });

  it('holds no address: no http:// or https://, even when the trace quotes one, and the data still reads it back', () => {
    const t = wrongCommit();
    (t.steps[0] as { note?: string }).note = 'see https://example.com/raft and http://x.org </script><b>';
    const page = buildHtmlReport(t, lockstep(t), { file: 'a.json', command: 'check' });
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<b>/);
    expect(embedded(page).steps[0]?.note).toBe('see https://example.com/raft and http://x.org </script><b>');
    // Nothing is fetched: no src or href attribute at all, and a policy that forbids every fetch.
    expect(page).not.toMatch(/\s(src|href)=/);
    expect(page).toContain("default-src 'none'");
  });
});

describe('the HTML report of other runs', () => {
  it('validate: a delivered message no run sent is an arrow of its own, marked unsent, with the nearest message side by side', () => {
    const t = structuredClone(load('traces/paper/election-3-nodes.json'));
    const e = t.steps[10]?.event;
    if (e?.type !== 'deliver' || e.message.type !== 'AppendEntries') throw new Error('the fixture changed');
    (e.message.entries[0] as Entry).command = 'y';
    const data = reportData(t, validateBySearch(t), { file: 'x.json', command: 'validate' });
    expect(data.verdict.step).toBe(10);
    expect(data.verdict.sideBySide).toEqual([{ node: null, field: 'message entries', other: '[{"command":"y","term":1}]', model: '[{"command":"x","term":1}]' }]);
    const run = data.runs[0] as RunData;
    expect(run.arrows.filter((a) => a.kind === 'deliver')).toHaveLength(t.steps.filter((s) => s.event.type === 'deliver').length);
    expect(run.arrows.find((a) => a.end === 10)).toMatchObject({ kind: 'deliver', unsent: true, send: null });
    // The copy the model did send with "x" stays in flight to the end.
    expect(run.arrows.some((a) => a.kind === 'inflight' && a.name.includes('[[1,"x"]]'))).toBe(true);
    expect(run.remarks[10]).toMatch(/handed to s2 as if injected/);
  });

  it("validate of another implementation's trace: the replay takes the alternatives validate found taken, and so agrees with every step", () => {
    const { trace } = generateTrace({ seed: 100, servers: 3, steps: 150 });
    const result = validateBySearch(trace);
    expect(result.status).toBe('pass');
    const data = reportData(trace, result, { file: 'compact-raft.json', command: 'validate' });
    const run = data.runs[0] as RunData;
    expect(run.label).toMatch(/^the model, with .*DEC-17b/);
    expect(run.mismatches.filter((m) => m !== null)).toEqual([]);
    expect(run.remarks.filter((r) => r !== null)).toEqual([]);
    // The model's own alternatives would part from it: that is what the profile is for.
    const own = runForReport(trace, 'the model', undefined, undefined);
    expect(own.mismatches.filter((m) => m !== null).length).toBeGreaterThan(10);
    // A point whose both alternatives were taken is left to the trace's profile (here: none).
    expect(replayProfile(trace, { status: 'pass', steps: 1, taken: { 'DEC-17b': 2, 'DEC-17a': 1, 'DEC-18b': 1 } })).toEqual({ 'DEC-18': ['b'] });
    expect(replayProfile({ ...trace, profile: { 'DEC-3': 'DEC-3b' } }, { status: 'pass', steps: 1 })).toEqual({ 'DEC-3': ['b'] });
  });

  it('validate of a trace that took both alternatives of one choice point: the replay follows each step, and agrees with every one', () => {
    // DEC-19: s1's RequestVote of term 1 reaches s2 and s3 after each moved to term 2. s2 answers
    // it (DEC-19a, step 3: its `sent` lists the refusal, which s1 then receives and steps down);
    // s3 drops it (DEC-19b, step 6: it sends nothing). The profile permits both, dropping first.
    const rv = (from: string, to: string, term: number) => ({ type: 'RequestVote' as const, from, to, term, candidateId: from, lastLogIndex: 0, lastLogTerm: 0 });
    const rvr = (from: string, to: string, term: number, voteGranted: boolean) => ({ type: 'RequestVoteResponse' as const, from, to, term, voteGranted });
    const t: Trace = {
      format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], profile: { 'DEC-19': ['DEC-19b', 'DEC-19a'] },
      steps: [
        { event: { type: 'electionTimeout', node: 's1' }, expect: { nodes: { s1: { role: 'candidate', currentTerm: 1 } } } },
        { event: { type: 'electionTimeout', node: 's2' } },
        { event: { type: 'electionTimeout', node: 's2' }, expect: { nodes: { s2: { role: 'candidate', currentTerm: 2 } } } },
        { event: { type: 'deliver', message: rv('s1', 's2', 1) }, sent: [rvr('s2', 's1', 2, false)] },
        { event: { type: 'deliver', message: rvr('s2', 's1', 2, false) }, expect: { nodes: { s1: { role: 'follower', currentTerm: 2 } } } },
        { event: { type: 'deliver', message: rv('s2', 's3', 2) }, sent: [rvr('s3', 's2', 2, true)], expect: { nodes: { s3: { currentTerm: 2, votedFor: 's2' } } } },
        { event: { type: 'deliver', message: rv('s1', 's3', 1) }, sent: [] },
        { event: { type: 'deliver', message: rvr('s3', 's2', 2, true) }, expect: { nodes: { s2: { role: 'leader', currentTerm: 2 } } } },
      ],
    };
    const result = validateBySearch(t);
    expect(result).toMatchObject({ status: 'pass', taken: { 'DEC-19a': 1, 'DEC-19b': 1 } });
    const run = reportData(t, result, { file: 'dec19.json', command: 'validate' }).runs[0] as RunData;
    const disagreements = (r: RunData) => r.mismatches.filter((m) => m !== null).length + r.remarks.filter((x) => x !== null).length;
    // Before the replay followed each step, one alternative for the whole run (DEC-19b, the
    // profile's first) could not send the refusal at step 3, so step 4 delivered a message the
    // replay never had in flight: at least one disagreement. That replay is still the fallback:
    expect(disagreements(runForReport(t, 'the model', t.options, replayProfile(t, result)))).toBeGreaterThanOrEqual(1);
    // Now: 0 disagreements, each step under the alternative it needs (as the rules fired say).
    expect(disagreements(run)).toBe(0);
    expect(run.rules[3]).not.toContain('DEC-19b');
    expect(run.rules[6]).toContain('DEC-19b');
    expect(run.label).toMatch(/at 1 step another permitted alternative/);
    expect(run.arrows.find((a) => a.end === 4)).toMatchObject({ kind: 'deliver', send: 3 });
    expect(run.arrows.some((a) => a.unsent)).toBe(false);
    // The page is the same at every build.
    expect(buildHtmlReport(t, result, { file: 'dec19.json', command: 'validate' })).toBe(buildHtmlReport(t, result, { file: 'dec19.json', command: 'validate' }));
  });

  it('validate of traces recorded by impl/ under drawn profiles, without `sent`: the replay keeps what another explanation sent, and agrees with every step', () => {
    // Without `sent`, a step where impl/ forwarded a command or a read to the leader (DEC-23b: a
    // ClientProposal, a ForwardedRead) is explained as well by a redirect (DEC-23a, the replay's
    // own), and validate counts neither taken: the later delivery of the forward found nothing in
    // flight. Before the replay followed each step these pages showed 2, 4 and 4 disagreements.
    const profiles = fc.sample(profileArb, { seed: 5, numRuns: 19 });
    for (const k of [1, 4, 18]) {
      const { profile: _drawn, ...recorded } = recordRun(900 + k, 200, nodeIds(3), k % 2 === 0 ? { fastBacktracking: true } : { snapshotChunkSize: 48 }, DEFAULT_CLIENTS, undefined, profiles[k]);
      const t: Trace = { ...recorded, steps: recorded.steps.map(({ sent: _sent, ...s }) => s) };
      const result = validateBySearch(t);
      expect(result.status).toBe('pass');
      const before = runForReport(t, 'the model', t.options, replayProfile(t, result));
      expect(before.remarks.filter((r) => r !== null).length, `trace ${k}`).toBeGreaterThan(0);
      const run = reportData(t, result, { file: `impl-${k}.json`, command: 'validate' }).runs[0] as RunData;
      expect(run.mismatches.filter((m) => m !== null), `trace ${k}`).toEqual([]);
      expect(run.remarks.filter((r) => r !== null), `trace ${k}`).toEqual([]);
      // What only another explanation sent is drawn only where a step delivers or drops it.
      expect(run.arrows.filter((a) => a.kind === 'deliver')).toHaveLength(t.steps.filter((s) => s.event.type === 'deliver').length);
      expect(run.arrows.some((a) => a.unsent)).toBe(false);
    }
  });

  it('check with a planted bug: the divergence, the model against the implementation', () => {
    const deaf = (n: RaftNode): RaftNode => {
      const step = n.step.bind(n);
      n.step = (input) => { const r = step(input); return { ...r, messages: r.messages.filter((m) => !(m.type === 'RequestVote' && m.to === 's3')) }; };
      return n;
    };
    const impl: ImplFactory = { create: (c, i) => deaf(new RaftNode(c, i)), restart: (c, p) => deaf(RaftNode.restart(c, p)) };
    const t = load('traces/paper/election-3-nodes.json');
    const r = lockstep(t, impl);
    expect(r.status).toBe('diverge');
    const data = reportData(t, r, { file: 'x.json', command: 'check' });
    expect(data.verdict).toMatchObject({ status: 'diverge', step: 0, otherLabel: 'the implementation' });
    expect(data.verdict.sideBySide[0]).toMatchObject({ node: 's1', field: 'messages sent' });
  });

  it('diff: both runs, selected at their first difference', () => {
    const t = load('traces/paper/figure7-f.json');
    const data = diffData(t, { fastBacktracking: true }, { file: 'figure7-f.json' });
    expect(data.runs.map((r) => r.label)).toEqual(['as written', 'with {"fastBacktracking":true}']);
    expect(data.verdict).toMatchObject({ status: 'differs', step: 2 });
    expect(data.verdict.rules).toContain('FB-1');
    const html = buildDiffHtml(t, { fastBacktracking: true }, { file: 'figure7-f.json' });
    expect(html.match(/<svg class="diagram"/g)).toHaveLength(2);
    expect(html.match(/class="row failing" data-step="2"/g)).toHaveLength(2);
  });

  it('stays small: a 1000-step, 5-server trace makes a page of a few MB, far less than its full states', () => {
    const [f] = generateFixtures(5, 1, 1000, nodeIds(5));
    if (!f) throw new Error('no fixture');
    const html = buildHtmlReport(f.trace, lockstep(f.trace), { file: 'g.json', command: 'check' });
    expect(html.length).toBeLessThan(3 * 1024 * 1024);
    // Every state in full would be one server state per server per step.
    const full = modelStates(f.trace).reduce((n, c) => n + JSON.stringify(Object.values(c.nodes).map((s) => toJson(s))).length, 0);
    expect(JSON.stringify(embedded(html).runs[0]?.changes).length).toBeLessThan(full / 10);
  });

  it(`refuses a trace of more than ${MAX_HTML_STEPS} steps`, () => {
    const t: Trace = { format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'], steps: Array.from({ length: MAX_HTML_STEPS + 1 }, () => ({ event: { type: 'heartbeatTimeout' as const, node: 's1' } })) };
    expect(() => reportData(t, { status: 'pass', steps: t.steps.length }, { file: 'long.json', command: 'check' })).toThrow(HtmlInputError);
  });

  it("a campaign's shrunk regression gets its report beside it", () => {
    const forgetful = (n: RaftNode): RaftNode => {
      const step = n.step.bind(n);
      n.step = (input) => { const r = step(input); return { ...r, messages: r.messages.filter((m) => !(m.type === 'RequestVote' && m.to === 's3')) }; };
      return n;
    };
    const dir = tmp();
    const r = runCampaign({ seed: 1, count: 20, steps: 60, servers: nodeIds(3), impl: { create: (c, i) => forgetful(new RaftNode(c, i)), restart: (c, p) => forgetful(RaftNode.restart(c, p)) }, regressionsDir: dir });
    const f = r.failure;
    if (!f?.file) throw new Error('the planted bug was not found');
    const w = writeRegressionHtml(f.file, f.trace, f.result, 'campaign');
    expect(w).toEqual({ file: f.file.replace(/\.json$/, '.html') });
    const data = embedded(readFileSync(f.file.replace(/\.json$/, '.html'), 'utf8'));
    expect(data.verdict.status).toBe('diverge');
    expect(data.verdict.step).toBe(f.result.status === 'diverge' ? f.result.divergence.step : -2);
  });
});

describe('raftspec --html', () => {
  function runCli(args: string[]): { code: number; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
    const code = main(args, (l) => out.push(l));
    vi.restoreAllMocks();
    return { code, out, err };
  }

  it('check --html writes the report of a failing run, exit 1; validate and report too; diff --html the two runs', () => {
    const d = tmp();
    const trace = join(d, 'wrong.json');
    writeFileSync(trace, JSON.stringify(wrongCommit()));
    const check = runCli(['check', trace, '--html', join(d, 'c.html')]);
    expect(check.code).toBe(1);
    expect(check.out.at(-1)).toBe(`HTML report: ${join(d, 'c.html')}`);
    expect(embedded(readFileSync(join(d, 'c.html'), 'utf8'))).toMatchObject({ command: 'check', verdict: { step: 11 } });
    const report = runCli(['report', trace, '--html', join(d, 'r.html'), '--json']);
    expect(report.code).toBe(1);
    expect(JSON.parse(report.out[0] as string).html).toBe(join(d, 'r.html'));
    expect(embedded(readFileSync(join(d, 'r.html'), 'utf8'))).toMatchObject({ command: 'report', verdict: { step: 11 } });
    // A passing run is written too.
    expect(runCli(['validate', 'traces/paper/election-3-nodes.json', '--html', join(d, 'p.html')]).code).toBe(0);
    expect(embedded(readFileSync(join(d, 'p.html'), 'utf8')).verdict.status).toBe('pass');
    expect(runCli(['diff', '--fast-backtracking', 'traces/paper/figure7-f.json', '--html', join(d, 'd.html')]).code).toBe(1);
    expect(embedded(readFileSync(join(d, 'd.html'), 'utf8')).runs).toHaveLength(2);
  });

  it('a trace script (*.trace) is drawn from the JSON it compiles to; one that does not compile writes no page', () => {
    const d = tmp();
    const ok = runCli(['check', 'traces/paper/ae5-last-new-entry.trace', '--html', join(d, 's.html')]);
    expect(ok.code).toBe(0);
    const data = embedded(readFileSync(join(d, 's.html'), 'utf8'));
    expect(data.verdict.status).toBe('pass');
    const compiled = JSON.parse(readFileSync('traces/paper/ae5-last-new-entry.json', 'utf8')) as Trace;
    expect(data.steps.length).toBe(compiled.steps.length);
    writeFileSync(join(d, 'broken.trace'), 'cluster s1 s2\nfrobnicate s1\n');
    const broken = runCli(['check', join(d, 'broken.trace'), '--html', join(d, 'b.html')]);
    expect(broken.code).toBe(2);
    expect(existsSync(join(d, 'b.html'))).toBe(false);
  });

  it('without --html a failing check writes nothing', () => {
    const d = tmp();
    const trace = join(d, 'wrong.json');
    writeFileSync(trace, JSON.stringify(wrongCommit()));
    expect(runCli(['check', trace]).code).toBe(1);
    expect(existsSync(join(d, 'wrong.html'))).toBe(false);
  });

  it('bad input stays one BAD line and exit 2, with no report; past the step limit, one line and exit 2 before any work', () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.json'), '{"format":"raft-trace","version":1,"cluster":["s1"],"steps":[{"event":{"type":"nope"}}]}');
    const bad = runCli(['report', join(d, 'bad.json'), '--html', join(d, 'b.html')]);
    expect(bad.code).toBe(2);
    expect(bad.out.filter((l) => l.startsWith('BAD '))).toHaveLength(1);
    expect(bad.err).toEqual([]);
    expect(existsSync(join(d, 'b.html'))).toBe(false);
    const long = { format: 'raft-trace', version: 1, cluster: ['s1', 's2'], steps: Array.from({ length: MAX_HTML_STEPS + 1 }, () => ({ event: { type: 'heartbeatTimeout', node: 's1' } })) };
    writeFileSync(join(d, 'long.json'), JSON.stringify(long));
    const r = runCli(['check', join(d, 'long.json'), '--html', join(d, 'l.html')]);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([`raftspec: ${join(d, 'long.json')}: the HTML report draws traces of at most ${MAX_HTML_STEPS} steps, got ${MAX_HTML_STEPS + 1} steps (run without --html, or cut the trace down)`]);
    expect(existsSync(join(d, 'l.html'))).toBe(false);
  });

  it('--html takes one trace, and report requires --html', () => {
    const two = runCli(['check', 'traces/paper', '--html', join(tmp(), 'x.html')]);
    expect(two.code).toBe(2);
    expect(two.err[0]).toMatch(/^raftspec: --html writes the report of one trace, got \d+ trace files/);
    const d = tmp();
    writeFileSync(join(d, 't.json'), JSON.stringify(wrongCommit()));
    const over = runCli(['check', join(d, 't.json'), '--html', join(d, 't.json')]);
    expect(over.code).toBe(2);
    expect(over.err[0]).toMatch(/would write over the trace/);
    expect(readFileSync(join(d, 't.json'), 'utf8')).toBe(JSON.stringify(wrongCommit()));
    const none = runCli(['report', 'traces/paper/election-3-nodes.json']);
    expect(none.code).toBe(2);
    expect(none.err[0]).toMatch(/^raftspec: report expects --html FILE/);
  });
});
