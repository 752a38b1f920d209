// The command line of trace scripts (docs/trace-scripts.md): `raftspec compile` writes a script's
// JSON trace; `raftspec check --rewrite` writes the model's values into a script's expectation
// lines; `check` and `validate` of a `.trace` file named explicitly compile it first and report
// failures at the script's lines. conformance/cli.ts dispatches here; exit codes are its.
import { lstatSync, readdirSync } from 'node:fs';
import { readInputFile } from './files.js';
import { writeFileAtomic } from './campaign.js';
import { checkOutputPath } from './output.js';
import { basename, dirname, join } from 'node:path';
import { compileScript, rewriteScript, type Compiled } from './script.js';
import { formatTraceJson } from './script-json.js';
import type { StreamTrace } from './stream.js';

/** A script is a file named *.trace. */
export const isScript = (file: string): boolean => file.endsWith('.trace');

/** The JSON a script compiles to lives beside it: x.trace -> x.json. */
export const jsonOf = (script: string): string => join(dirname(script), `${basename(script, '.trace')}.json`);

type Out = { json: boolean; log: (line: string) => void };

/** The scripts named: files as given, folders searched (not recursively) for *.trace. */
function scriptsIn(paths: readonly string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = lstatSync(p).isDirectory();
    } catch {
      problems.push(`${p}: no such file or folder`);
      continue;
    }
    if (dir) {
      const found = readdirSync(p).filter(isScript).sort().map((f) => join(p, f));
      if (found.length === 0) problems.push(`${p}: no *.trace script in this folder`);
      files.push(...found);
    } else files.push(p);
  }
  return { files, problems };
}

/** A script's text, read as a trace file is (files.ts readInputFile), a byte order mark skipped. */
function read(file: string): string | { error: string } {
  const r = readInputFile(file, 'a trace script (*.trace)');
  if (!r.ok) return { error: r.expected };
  const body = r.text.charCodeAt(0) === 0xfeff ? r.text.slice(1) : r.text;
  // No script line starts with a bracket: this is a JSON trace, which would otherwise be
  // reported as a script broken at its first line (with the JSON quoted back).
  if (/^\s*[{[]/.test(body)) return { error: 'expected a trace script (docs/trace-scripts.md), got JSON: a JSON trace is checked as it is (check, validate), never compiled or rewritten' };
  return body;
}


/**
 * `raftspec compile <scripts|folders> [-o out.json]`: each script's JSON trace, beside it
 * (x.trace -> x.json), or to `-o` for one script (`-o -`: standard output). Exit 0 when every
 * script compiled, 1 when the model did not do what a script says (a selector named no message in
 * flight), 2 when a script is wrong.
 */
export function compileCommand(paths: readonly string[], outFile: string | undefined, out: Out): { code: number; json: unknown } {
  const { files, problems } = scriptsIn(paths);
  if (outFile !== undefined && files.length + problems.length !== 1) return usage(out, `compile -o ${outFile} takes one script, got ${files.length + problems.length}`);
  // Where -o writes is checked before any script is compiled (conformance/output.ts): one line, exit 2.
  if (outFile !== undefined && outFile !== '-') checkOutputPath(outFile, 'file', '-o');
  const results: { file: string; status: 'compiled' | 'fail' | 'bad-input'; written?: string; steps?: number; line?: number; problem?: string }[] = problems.map((p) => ({ file: p.split(':')[0] as string, status: 'bad-input', problem: p.slice(p.indexOf(':') + 2) }));
  for (const file of files) {
    const text = read(file);
    if (typeof text !== 'string') { results.push({ file, status: 'bad-input', problem: text.error }); continue; }
    const c = compileScript(text);
    if (!c.ok) { results.push({ file, status: c.error.kind === 'fail' ? 'fail' : 'bad-input', line: c.error.line, problem: c.error.problem }); continue; }
    const json = formatTraceJson(c.trace);
    const target = outFile ?? jsonOf(file);
    if (target === '-') out.log(json.trimEnd());
    else writeFileAtomic(target, json);
    results.push({ file, status: 'compiled', written: target === '-' ? '(standard output)' : target, steps: c.trace.steps.length });
  }
  if (!out.json) {
    for (const r of results) {
      if (r.status === 'compiled') { if (outFile !== '-') out.log(`wrote ${r.written} (${r.steps} steps) from ${r.file}`); }
      else out.log(`${r.status === 'fail' ? 'FAIL' : 'BAD '} ${r.file}: ${r.line === undefined ? '' : `line ${r.line}: `}${r.problem}`);
    }
  }
  const code = results.some((r) => r.status === 'bad-input') ? 2 : results.some((r) => r.status === 'fail') ? 1 : 0;
  return { code, json: { compiled: results } };
}

function usage(_out: Out, line: string): { code: number; json: unknown } {
  console.error(`raftspec: ${line}`);
  return { code: 2, json: { error: line } };
}

/**
 * `raftspec check --rewrite <scripts|folders>`: each script run through the model, and the
 * model's values written into the expectation lines it disagrees with (the file rewritten in
 * place; a script the model agrees with is left byte for byte). Exit 0 when every script was run
 * to its end and every expectation rewritten, 1 when some could not be (a line printed for each),
 * 2 when a script is wrong.
 */
export function rewriteCommand(paths: readonly string[], out: Out): { code: number; json: unknown } {
  const { files, problems } = scriptsIn(paths);
  const results: { file: string; status: 'rewritten' | 'unchanged' | 'incomplete' | 'bad-input'; lines?: readonly number[]; notes?: readonly string[]; problem?: string }[] =
    problems.map((p) => ({ file: p.split(':')[0] as string, status: 'bad-input', problem: p.slice(p.indexOf(':') + 2) }));
  for (const file of files) {
    const text = read(file);
    if (typeof text !== 'string') { results.push({ file, status: 'bad-input', problem: text.error }); continue; }
    const r = rewriteScript(text);
    if (r.error && r.error.kind === 'bad') { results.push({ file, status: 'bad-input', problem: r.error.message }); continue; }
    if (r.text !== text) writeFileAtomic(file, r.text);
    const notes = [...r.notes, ...(r.error ? [`${r.error.message} (the lines after it are as they were)`] : [])];
    results.push({ file, status: notes.length > 0 ? 'incomplete' : r.changed.length > 0 ? 'rewritten' : 'unchanged', lines: r.changed, notes });
  }
  if (!out.json) {
    for (const r of results) {
      if (r.status === 'bad-input') { out.log(`BAD  ${r.file}: ${r.problem}`); continue; }
      const lines = r.lines ?? [];
      out.log(`${r.status === 'unchanged' ? 'SAME' : 'REWROTE'} ${r.file}${lines.length > 0 ? `: the model's values written at line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}` : ': every expectation holds'}`);
      for (const n of r.notes ?? []) out.log(`     not rewritten: ${n}`);
    }
  }
  const code = results.some((r) => r.status === 'bad-input') ? 2 : results.some((r) => r.status === 'incomplete') ? 1 : 0;
  return { code, json: { rewrite: results } };
}

type RunnerResult = { readonly status: string };

/**
 * `check` or `validate` of a script: compiled, then run; a failure or divergence names the
 * script's line of its step (`step 5 (/steps/5: deliver AE s1>s2 ..., line 23)`). A script the
 * model cannot run (a selector that names nothing in flight) fails at its line; a wrong script is
 * bad input at its line.
 */
export function runScriptFile<R extends RunnerResult>(file: string, run: (trace: StreamTrace) => R): R | { status: 'bad-input'; path: string; expected: string } | { status: 'fail'; steps: number; failure: { step: number; event: string; kind: 'expectation'; problems: string[]; rules: [] } } {
  const text = read(file);
  if (typeof text !== 'string') return { status: 'bad-input', path: '/', expected: text.error };
  const c: Compiled = compileScript(text);
  if (!c.ok) {
    if (c.error.kind === 'bad') return { status: 'bad-input', path: `line ${c.error.line}`, expected: c.error.problem };
    return { status: 'fail', steps: Math.max(0, c.step + 1), failure: { step: c.step, event: `line ${c.error.line}`, kind: 'expectation', problems: [c.error.problem], rules: [] } };
  }
  const r = run(c.trace);
  return withLines(r, c.stepLines);
}

/** A failure's or divergence's event with the script line of its step. */
function withLines<R extends RunnerResult>(r: R, stepLines: readonly number[]): R {
  const o = r as unknown as { status: string; failure?: { step: number; event: string }; divergence?: { step: number; event: string } };
  const at = (x: { step: number; event: string }) => (stepLines[x.step] === undefined ? x : { ...x, event: `${x.event}, line ${stepLines[x.step]}` });
  if (o.status === 'fail' && o.failure) return { ...r, failure: at(o.failure) };
  if (o.status === 'diverge' && o.divergence) return { ...r, divergence: at(o.divergence) };
  return r;
}
