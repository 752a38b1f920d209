// The package as people install it: `npm pack` (which builds dist/), `npm install <tarball>` into a
// fresh folder, then the `raftspec` command and the library on plain Node, with no TypeScript
// loader installed (tsx is a development dependency, absent from the consumer's node_modules);
// `drive` and its API against the Python example the package ships (python3 on the PATH).
import { describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function sh(cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  // What the surrounding `npm test` sets about its own package (its prefix, its scripts) must not
  // reach the consumer's npm; the user's npm settings (registry, cache) do.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|global|location|workspaces?|include_workspace_root)$)/i.test(k)));
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...env, NO_UPDATE_NOTIFIER: '1' } });
}
const describeRun = (r: SpawnSyncReturns<string>): string => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`;

describe('the package, installed from its tarball', () => {
  it('runs `raftspec` and the library on plain Node', () => {
    const packDir = mkdtempSync(join(tmpdir(), 'raftspec-pack-'));
    const pack = sh(NPM, ['pack', '--pack-destination', packDir, '--json'], ROOT, 120_000);
    expect(pack.status, describeRun(pack)).toBe(0);
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toEqual([`raftspec-${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}.tgz`]);
    // What is in it: the build, the schemas, the traces, the licence; no TypeScript sources, no tests.
    const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
    const paths = (packed[0]?.files ?? []).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'bin/raftspec.mjs', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/conformance/cli.js', 'spec/schemas/trace.schema.json', 'spec/rules.json', 'traces/paper/election-3-nodes.json']));
    // drive (docs/drive.md): the protocol's schema, impl/ as an adapter module, the Python example (not its tests).
    expect(paths).toEqual(expect.arrayContaining(['docs/drive.md', 'spec/schemas/adapter.schema.json', 'dist/conformance/impl-adapter.js', 'dist/conformance/stdio-adapter.js', 'examples/py-raft/adapter.py', 'examples/py-raft/raft.py', 'examples/py-raft/README.md']));
    expect(paths.filter((p) => p.startsWith('examples/') && !/^examples\/py-raft\/(adapter\.py|raft\.py|README\.md)$/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => p.includes('.test.'))).toEqual([]);

    const app = mkdtempSync(join(tmpdir(), 'raftspec-consumer-'));
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    const install = sh(NPM, ['install', join(packDir, tarballs[0] as string), '--no-audit', '--no-fund', '--loglevel=error'], app, 180_000);
    expect(install.status, describeRun(install)).toBe(0);
    const pkg = realpathSync(join(app, 'node_modules', 'raftspec'));
    expect(existsSync(join(pkg, 'dist', 'conformance', 'cli.js'))).toBe(true);
    // No TypeScript loader at run time.
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);

    const help = sh(NPX, ['--no-install', 'raftspec', '--help'], app);
    expect(help.status, describeRun(help)).toBe(0);
    expect(help.stdout).toMatch(/^usage: raftspec <command> \[options\]/);
    expect(help.stdout).toContain('validate <files|folders>');

    const check = sh(NPX, ['--no-install', 'raftspec', 'check', 'node_modules/raftspec/traces/paper/election-3-nodes.json'], app);
    expect(check.status, describeRun(check)).toBe(0);
    expect(check.stdout).toBe('PASS node_modules/raftspec/traces/paper/election-3-nodes.json (19 steps)\n1 trace: 1 passed, 0 failed, 0 bad input\n');

    // A trace that breaks a rule: the command says so, exit 1.
    const bad = JSON.parse(readFileSync(join(pkg, 'traces', 'paper', 'election-3-nodes.json'), 'utf8'));
    bad.steps[0].expect = { nodes: { s1: { currentTerm: 7 } } };
    writeFileSync(join(app, 'wrong.json'), JSON.stringify(bad));
    const wrong = sh(NPX, ['--no-install', 'raftspec', 'validate', 'wrong.json'], app);
    expect(wrong.status, describeRun(wrong)).toBe(1);
    expect(wrong.stdout).toMatch(/^FAIL wrong\.json: step 0 .*s1\.currentTerm: expected 7, got 1/);

    // The library, from a plain .mjs file.
    writeFileSync(join(app, 'use.mjs'), `
import { validateTraceFile, checkTraceFile, TRACES_DIR, SCHEMAS_DIR, RULES, CHOICE_POINTS, RaftNode, parseTrace, lockstep, validateBySearch } from 'raftspec';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const file = join(TRACES_DIR, 'paper', 'election-3-nodes.json');
const v = validateTraceFile(file);
const c = checkTraceFile(file);
const loaded = parseTrace(readFileSync(file, 'utf8'));
const w = validateTraceFile('wrong.json');
const schema = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('raftspec/schemas/trace.schema.json'), 'utf8'));
const node = new RaftNode({ id: 's1', servers: ['s1', 's2', 's3'] });
const ready = node.step({ type: 'electionTimeout' });
console.log(JSON.stringify({
  validate: [v.ok, v.status, v.report], check: [c.ok, c.status, c.report],
  direct: [validateBySearch(loaded.trace).status, lockstep(loaded.trace).status],
  wrong: [w.ok, w.status, w.report.split('\\n')[0]],
  traces: TRACES_DIR, schemas: SCHEMAS_DIR, schemaId: schema.$id,
  rules: RULES.length, choices: CHOICE_POINTS.map((p) => p.id).slice(0, 2), sent: ready.messages.length,
}));
`);
    // The drive API: the Python example behind the stdio transport (JSON lines over a child's stdio,
    // from the build's worker thread), impl/ in-process, and a fault of the package's own class.
    writeFileSync(join(app, 'drive.mjs'), `
import { stdioAdapter, implAdapter, driveCampaign, driveReplay, AdapterFault, DriveInputError, ADAPTER_PROTOCOL_VERSION, DEFAULT_STEP_TIMEOUT_MS } from 'raftspec';
const python = 'python3 node_modules/raftspec/examples/py-raft/adapter.py';
const a = stdioAdapter(python);
const hello = a.hello();
a.start(['s1', 's2', 's3'], {});
const step = a.step('s1', { type: 'electionTimeout' });
const observed = a.observe('s1');
a.stop();
const py = stdioAdapter(python);
const campaign = driveCampaign(py, { seed: 1, count: 2, steps: 40, servers: ['s1', 's2', 's3'] });
py.stop();
const impl = driveCampaign(implAdapter(), { seed: 1, count: 2, steps: 40, servers: ['s1', 's2', 's3'] });
let fault = null;
try { stdioAdapter('exit 3').hello(); } catch (e) { fault = [e instanceof AdapterFault, e.request, e.message]; }
console.log(JSON.stringify({
  api: [typeof driveReplay, typeof DriveInputError, ADAPTER_PROTOCOL_VERSION, DEFAULT_STEP_TIMEOUT_MS],
  hello: [hello.name, hello.features.sent], step: [step.sent.map((m) => m.type), step.state.role], observed: observed.currentTerm,
  campaign: [campaign.totals.traces, campaign.failure, campaign.fault], impl: [impl.hello.name, impl.totals.traces, impl.failure, impl.fault], fault,
}));
`);
    const driven = sh(process.execPath, ['drive.mjs'], app);
    expect(driven.status, describeRun(driven)).toBe(0);
    expect(JSON.parse(driven.stdout)).toEqual({
      api: ['function', 'function', 1, 10_000],
      hello: ['py-raft', 'all'], step: [['RequestVote', 'RequestVote'], 'candidate'], observed: 1,
      campaign: [2, null, null], impl: ['impl/ (RaftNode)', 2, null, null],
      fault: [true, 'hello', 'exited with status 3 before answering'],
    });
    // The command: the Python example through --adapter, impl/ through --adapter-module from the build.
    const py = sh(NPX, ['--no-install', 'raftspec', 'drive', '--adapter', 'python3 node_modules/raftspec/examples/py-raft/adapter.py', '--count', '2', '--steps', '40'], app);
    expect(py.status, describeRun(py)).toBe(0);
    expect(py.stdout).toMatch(/^PASS drive seed 1, 3 servers, py-raft: 2 schedules, /);
    const mod = sh(NPX, ['--no-install', 'raftspec', 'drive', '--adapter-module', 'node_modules/raftspec/dist/conformance/impl-adapter.js', '--count', '2', '--steps', '40'], app);
    expect(mod.status, describeRun(mod)).toBe(0);
    expect(mod.stdout).toMatch(/^PASS drive seed 1, 3 servers, impl\/ \(RaftNode\): 2 schedules, /);

    const lib = sh(process.execPath, ['use.mjs'], app);
    expect(lib.status, describeRun(lib)).toBe(0);
    const out = JSON.parse(lib.stdout);
    expect(out.validate).toEqual([true, 'pass', '19 steps hold']);
    expect(out.check).toEqual([true, 'pass', '19 steps hold']);
    expect(out.direct).toEqual(['pass', 'pass']);
    expect(out.wrong[0]).toBe(false);
    expect(out.wrong[1]).toBe('fail');
    expect(out.wrong[2]).toMatch(/^step 0 .*s1\.currentTerm: expected 7, got 1/);
    // Paths inside the installed package, found from the build's own location.
    expect(out.traces).toBe(join(pkg, 'traces'));
    expect(out.schemas).toBe(join(pkg, 'spec', 'schemas'));
    expect(out.schemaId).toBe('urn:raftspec:schema:v1:trace.schema.json');
    expect(out.rules).toBeGreaterThan(50);
    expect(out.choices).toEqual(['DEC-3', 'DEC-4']);
    expect(out.sent).toBe(2);

    // The declarations: a TypeScript consumer (no @types/node) type-checks against them with the
    // repo's tsc, and a wrong use is an error.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }));
    const typed = `import { validateTraceFile, lockstep, RULES, RaftNode, implAdapter, driveCampaign, type FileResult, type SearchResult, type Trace, type Ready, type Rule, type Adapter, type DriveCampaignResult } from 'raftspec';
const r: FileResult<SearchResult> = validateTraceFile('x.json');
const ok: boolean = r.ok;
const format: Trace['format'] = 'raft-trace';
const ready: Ready = new RaftNode({ id: 'a', servers: ['a'] }).step({ type: 'electionTimeout' });
const rule: Rule | undefined = RULES[0];
const adapter: Adapter = implAdapter();
const drove: DriveCampaignResult = driveCampaign(adapter, { seed: 1, count: 1, steps: 10, servers: ['s1'] });
export const all = [ok, format, ready.messages.length, rule?.id, lockstep, drove.failure];
`;
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(app, 'use.ts'), typed);
    const good = sh(process.execPath, [tsc, '-p', '.'], app, 120_000);
    expect(good.status, describeRun(good)).toBe(0);
    writeFileSync(join(app, 'use.ts'), `${typed}export const wrong: string = validateTraceFile('x.json').ok;\n`);
    const wrongType = sh(process.execPath, [tsc, '-p', '.'], app, 120_000);
    expect(wrongType.stdout).toContain("error TS2322: Type 'boolean' is not assignable to type 'string'.");
  }, 240_000);
});
