// The HTML report of one run (`report`, `check --html`, `validate --html`, a campaign's
// regression) or of a comparison (`diff --html`): the data the page shows, built from the model's
// replay of the trace, and the file written whole or not at all.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProtocolOptions, Trace } from '../../spec/schema.js';
import { RULE_BY_ID } from '../../spec/rules.js';
import { choiceOf, profileOf, type AlternativeLetter, type ChoiceId, type Profile } from '../../spec/choices.js';
import { loadTraceFile } from '../load.js';
import { collectTraceFiles, describeErrno } from '../files.js';
import { OutputPathError, checkOutputPath } from '../output.js';
import { writeFileAtomic } from '../campaign.js';
import { compareOptions } from '../compare.js';
import type { StreamTrace } from '../stream.js';
import { permittedLetters } from '../search.js';
import { runForReport, stepInfo } from './timeline.js';
import type { FollowLetters } from './follow.js';
import { comparisonVerdict, verdictOf, type RunResult, type Verdict } from './verdict.js';
import { page, type ReportData } from './page.js';
import { compileScript } from '../script.js';

/**
 * The most steps an HTML report draws. The page holds one row per step and the state changes of
 * every step (a 1000-step trace makes a report of about 1 MB; 5000 steps, about 5 MB); past this a
 * browser slows down and the diagram is too long to read: cut the trace down (a campaign's
 * shrinking does) or read the text report.
 */
export const MAX_HTML_STEPS = 5000;

/** A trace file larger than this is not read for an HTML report (the step limit would refuse it anyway, after a long read). */
export const MAX_HTML_FILE_BYTES = 32 * 1024 * 1024;

/** A trace the HTML report cannot draw, or a bad use of --html: one line, exit 2. */
export class HtmlInputError extends Error {}

function rulesOf(verdict: Verdict, runs: ReportData['runs']): ReportData['rules'] {
  const ids = new Set<string>(verdict.rules);
  for (const run of runs) for (const step of run.rules) for (const id of step) ids.add(id);
  const out: Record<string, { title: string; section: string; text: string }> = {};
  for (const id of [...ids].sort()) {
    const r = RULE_BY_ID.get(id);
    if (r) out[id] = { title: r.title, section: r.section, text: r.text };
  }
  return out;
}

/** A profile in words: the first alternative it takes at each point, e.g. "DEC-17b, DEC-18b". */
const describeProfile = (p: Profile): string => Object.entries(p).sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4))).map(([id, letters]) => `${id}${letters?.[0] ?? 'a'}`).join(', ');

const tooLong = (file: string, steps: number): HtmlInputError =>
  new HtmlInputError(`${file}: the HTML report draws traces of at most ${MAX_HTML_STEPS} steps, got ${steps} steps (run without --html, or cut the trace down)`);

/**
 * The alternatives the page's replay takes at each choice point: where `validate` found one
 * alternative alone explaining what the trace observed (its `taken` counts) and never the other,
 * that one; elsewhere the first the trace's profile permits (as `check` runs it), else the model's
 * own. So the replay of another implementation's trace follows what that implementation did (a
 * compact-raft trace that needs DEC-17b, DEC-18b, DEC-6b ... is replayed with them).
 */
export function replayProfile(trace: Trace, result: RunResult): Profile | undefined {
  const chosen: Partial<Record<ChoiceId, readonly AlternativeLetter[]>> = trace.profile === undefined ? {} : { ...profileOf(trace.profile) };
  const letters = new Map<ChoiceId, Set<AlternativeLetter>>();
  for (const id of Object.keys('taken' in result ? (result.taken ?? {}) : {})) {
    const point = choiceOf(id);
    if (!point) continue;
    const set = letters.get(point.id) ?? new Set<AlternativeLetter>();
    set.add(id.slice(-1) as AlternativeLetter);
    letters.set(point.id, set);
  }
  for (const [point, set] of letters) if (set.size === 1) chosen[point] = [...set];
  return Object.keys(chosen).length > 0 ? chosen : undefined;
}

/**
 * The alternatives the replay of a `validate` run may take at each step where the replay's own
 * (`profile`) do not explain it: those the trace's profile permits (else all), the replay's first;
 * and any `validate` was seen to take (under a --pin wider than the profile, which the page is not told).
 */
export function followLetters(trace: Trace, profile: Profile | undefined, result: RunResult): FollowLetters {
  const permitted = permittedLetters(trace);
  const taken = Object.keys('taken' in result ? (result.taken ?? {}) : {});
  return (p) => {
    const seen = taken.filter((id) => choiceOf(id)?.id === p).map((id) => id.slice(-1) as AlternativeLetter);
    return [...new Set([...(profile?.[p] ?? []), ...permitted(p), ...seen])];
  };
}

/**
 * The page's data for one run: the model's replay of the trace (replayProfile) and the run's
 * verdict. The replay of a search's run (`validate`, `report`: its result carries `taken`) follows
 * the trace step by step (runForReport's `follow`); that of `check` is the model's run as `check` ran it.
 */
export function reportData(trace: Trace, result: RunResult, meta: { file: string; command: string }): ReportData {
  if (trace.steps.length > MAX_HTML_STEPS) throw tooLong(meta.file, trace.steps.length);
  const profile = replayProfile(trace, result);
  const follow = 'taken' in result ? followLetters(trace, profile, result) : undefined;
  const runs = [runForReport(trace, profile ? `the model, with ${describeProfile(profile)}` : 'the model', trace.options, profile, follow)];
  const verdict = verdictOf(result);
  return { format: 'raftspec-report', version: 1, command: meta.command, file: meta.file, title: trace.name ?? meta.file, servers: trace.cluster, steps: trace.steps.map(stepInfo), runs, verdict, rules: rulesOf(verdict, runs) };
}

/** The page's data for `diff`: the trace as written and with the change, side by side, selected at their first difference. */
export function diffData(trace: Trace, change: ProtocolOptions, meta: { file: string }): ReportData {
  if (trace.steps.length > MAX_HTML_STEPS) throw tooLong(meta.file, trace.steps.length);
  const changed = { ...(trace.options ?? {}), ...change };
  // As compare.ts runs them: the model's own alternatives, no profile.
  const runs = [runForReport(trace, 'as written', trace.options, undefined), runForReport(trace, `with ${JSON.stringify(change)}`, changed, undefined)];
  const verdict = comparisonVerdict(compareOptions(trace, change));
  return { format: 'raftspec-report', version: 1, command: 'diff', file: meta.file, title: trace.name ?? meta.file, servers: trace.cluster, steps: trace.steps.map(stepInfo), runs, verdict, rules: rulesOf(verdict, runs) };
}

export const buildHtmlReport = (trace: Trace, result: RunResult, meta: { file: string; command: string }): string => page(reportData(trace, result, meta));
export const buildDiffHtml = (trace: Trace, change: ProtocolOptions, meta: { file: string }): string => page(diffData(trace, change, meta));

/** Writes the page whole or not at all; a failed write is one line (exit 2). */
function writePage(out: string, html: string): void {
  try {
    writeFileAtomic(out, html);
  } catch (e) {
    throw new OutputPathError(`${out}: cannot write: ${describeErrno(e)}`);
  }
}

/**
 * `--html FILE` of `check`, `validate`, `report` and `diff`: the output path checked and the one
 * trace read before the work (a trace past MAX_HTML_STEPS is refused then, one line), the run's
 * result taken as the runner returns it, and the page written after.
 */
export class HtmlTarget {
  private result: RunResult | null = null;

  private constructor(readonly out: string, readonly file: string | null, readonly trace: Trace | null) {}

  /** Throws HtmlInputError (one line) or OutputPathError. */
  static prepare(out: string, paths: readonly string[]): HtmlTarget {
    checkOutputPath(out, 'file', '--html');
    // A trace script (docs/trace-scripts.md) is drawn from the JSON trace it compiles to.
    const script = paths.length === 1 && (paths[0] as string).endsWith('.trace') ? (paths[0] as string) : null;
    if (script !== null) return HtmlTarget.fromScript(out, script);
    const { files } = collectTraceFiles(paths);
    if (files.length > 1) throw new HtmlInputError(`--html writes the report of one trace, got ${files.length} trace files (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''})`);
    const file = files[0];
    // No file: the run reports the missing or unreadable path itself.
    if (file === undefined) return new HtmlTarget(out, null, null);
    if (resolve(file) === resolve(out)) throw new HtmlInputError(`${out}: --html would write over the trace it reports on; name another file`);
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return new HtmlTarget(out, file, null);
    }
    if (size > MAX_HTML_FILE_BYTES) throw new HtmlInputError(`${file}: the HTML report reads trace files of at most ${MAX_HTML_FILE_BYTES / 1048576} MB, got ${Math.round(size / 1048576)} MB (run without --html)`);
    const loaded = loadTraceFile(file);
    // Bad input: the run prints its one BAD line; no page is written.
    if (!loaded.ok) return new HtmlTarget(out, file, null);
    if (loaded.trace.steps.length > MAX_HTML_STEPS) throw tooLong(file, loaded.trace.steps.length);
    return new HtmlTarget(out, file, loaded.trace);
  }

  private static fromScript(out: string, file: string): HtmlTarget {
    if (resolve(file) === resolve(out)) throw new HtmlInputError(`${out}: --html would write over the trace it reports on; name another file`);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      return new HtmlTarget(out, file, null); // the run reports the unreadable path itself
    }
    const compiled = compileScript(source);
    // A script that does not compile: the run prints its one line; no page is written.
    if (!compiled.ok) return new HtmlTarget(out, file, null);
    if (compiled.trace.steps.length > MAX_HTML_STEPS) throw tooLong(file, compiled.trace.steps.length);
    return new HtmlTarget(out, file, compiled.trace);
  }

  /** The runner, keeping what it returns for the page. */
  capture<R extends RunResult>(run: (t: StreamTrace) => R): (t: StreamTrace) => R {
    return (t) => {
      const r = run(t);
      this.result = r;
      return r;
    };
  }

  /** Writes the page of the run (with the option flags it ran with); the path written, or null when there is nothing to draw (bad input, no trace). */
  writeRun(command: string, over: ProtocolOptions | undefined): string | null {
    if (this.trace === null || this.file === null || this.result === null || this.result.status === 'bad-input') return null;
    const trace = over ? { ...this.trace, options: { ...(this.trace.options ?? {}), ...over } } : this.trace;
    writePage(this.out, buildHtmlReport(trace, this.result, { file: this.file, command }));
    return this.out;
  }

  /** Writes the page of `diff`: the two runs side by side. */
  writeDiff(change: ProtocolOptions): string | null {
    if (this.trace === null || this.file === null) return null;
    const compared = compareOptions(this.trace, change);
    if (compared.status === 'bad-input') return null;
    writePage(this.out, buildDiffHtml(this.trace, change, { file: this.file }));
    return this.out;
  }
}

/**
 * A campaign's shrunk regression trace gets its report beside it: `<name>.html` next to
 * `<name>.json`. Returns the path, or a one-line reason it was not written (the trace is kept either way).
 */
export function writeRegressionHtml(jsonFile: string, trace: Trace, result: RunResult, command: string): { file: string } | { error: string } {
  const file = jsonFile.replace(/\.json$/, '') + '.html';
  try {
    writeFileAtomic(file, buildHtmlReport(trace, result, { file: jsonFile, command }));
    return { file };
  } catch (e) {
    return { error: `could not write the HTML report ${file}: ${e instanceof HtmlInputError ? e.message : describeErrno(e)}` };
  }
}
