// The command line: `raftspec <command> [options] <files|folders>`.
// The one place where results become printed lines and exit codes: 0 when all holds, 1 when a
// trace fails (an expectation, an invariant), 2 on bad input or bad usage.
import { loadTraceFile } from './load.js';
import { collectTraceFiles } from './files.js';
import { type ReplayResult, replayModel } from './replay.js';

const USAGE = `usage: raftspec <command> [--json] [files or folders...]

commands:
  validate <paths>   replay each trace against the reference model: the trace's expectations
                     and every invariant after every step (a trace recorded by any implementation)
  start [paths]      what \`npm start\` runs: validate the bundled traces (default: traces/)

exit codes: 0 all traces hold; 1 a trace fails; 2 bad input or bad usage`;

interface FileReport {
  file: string;
  result: ReplayResult;
}

export function formatReport({ file, result }: FileReport): string {
  switch (result.status) {
    case 'pass':
      return `PASS ${file} (${result.steps} steps)`;
    case 'bad-input':
      return `BAD  ${file}: ${result.path}: ${result.expected}`;
    case 'fail': {
      const f = result.failure;
      const where = f.step < 0 ? 'initial state' : `step ${f.step} (/steps/${f.step}: ${f.event})`;
      const lines = [`FAIL ${file}: ${where}: ${f.problems[0] ?? ''}`];
      for (const p of f.problems.slice(1)) lines.push(`     ${p}`);
      if (f.rules.length > 0) lines.push(`     rules the model fired at this step: ${f.rules.join(', ')}`);
      return lines.join('\n');
    }
  }
}

function validateFiles(paths: readonly string[], json: boolean): number {
  const { files, missing } = collectTraceFiles(paths);
  const reports: FileReport[] = missing.map((file) => ({ file, result: { status: 'bad-input', path: '', expected: 'no such file or folder' } }));
  for (const file of files) {
    const loaded = loadTraceFile(file);
    const result: ReplayResult = loaded.ok ? replayModel(loaded.trace) : { status: 'bad-input', path: loaded.error.path || '/', expected: loaded.error.expected };
    reports.push({ file, result });
  }
  const count = (s: ReplayResult['status']) => reports.filter((r) => r.result.status === s).length;
  const [pass, fail, bad] = [count('pass'), count('fail'), count('bad-input')];
  if (json) {
    process.stdout.write(`${JSON.stringify({ traces: reports, passed: pass, failed: fail, badInput: bad })}\n`);
  } else {
    for (const r of reports) console.log(formatReport(r));
    console.log(`${reports.length} traces: ${pass} passed, ${fail} failed, ${bad} bad input`);
  }
  if (reports.length === 0) {
    if (!json) console.error('raftspec: no trace files found');
    return 2;
  }
  return bad > 0 ? 2 : fail > 0 ? 1 : 0;
}

export function main(argv: readonly string[]): number {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const unknownFlag = rest.find((a) => a.startsWith('-'));
  if (unknownFlag) {
    console.error(`raftspec: unknown option ${unknownFlag}\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'validate':
      if (rest.length === 0) {
        console.error(`raftspec validate: expected at least one file or folder\n${USAGE}`);
        return 2;
      }
      return validateFiles(rest, json);
    case 'start':
      return validateFiles(rest.length > 0 ? rest : ['traces'], json);
    default:
      console.error(`raftspec: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

function run(): void {
  let code: number;
  try {
    code = main(process.argv.slice(2));
  } catch (e) {
    // A bug of ours, not bad input: still one line, and a distinct exit code.
    console.error(`raftspec: internal error: ${(e as Error).message}`);
    code = 3;
  }
  process.exitCode = code;
}

if (import.meta.url === `file://${process.argv[1]}`) run();
