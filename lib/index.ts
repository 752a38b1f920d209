/**
 * raftspec as a library: what the `raftspec` command does, callable from code. Built to
 * `dist/lib/index.js` with its declarations, so plain Node imports it without a TypeScript loader:
 *
 * ```js
 * import { validateTraceFile, checkTraceFile, TRACES_DIR } from 'raftspec';
 *
 * const r = validateTraceFile('my-raft-run.json');   // against the model alone, by search
 * if (!r.ok) console.error(r.report);
 * ```
 *
 * - traces: {@link loadTraceFile}, {@link parseTrace}, {@link checkTrace} (JSON, schema and the
 *   checks a schema cannot express);
 * - checking: {@link validateBySearch} (`raftspec validate`: a trace from any implementation,
 *   against the model alone), {@link lockstep} (`raftspec check`: the model and `impl/` step by
 *   step), {@link replayModel} (the model alone, the trace's own choices), {@link runCampaign}
 *   (`raftspec campaign`: generated schedules in lockstep, a failure shrunk);
 * - driving an implementation (`raftspec drive`, docs/drive.md): the {@link Adapter} interface and
 *   its handshake ({@link AdapterFeatures}), {@link stdioAdapter} (a child process speaking the
 *   JSON lines protocol of `raftspec/schemas/adapter.schema.json`), {@link implAdapter} (`impl/`
 *   in-process), {@link driveCampaign} and {@link driveReplay}; a broken protocol is an
 *   {@link AdapterFault};
 * - reports: {@link describeResult}, {@link formatReport};
 * - the specification: the trace format's types and TypeBox schemas (`schema`), the paths of the
 *   published JSON Schemas ({@link SCHEMAS_DIR}, {@link schemaPath}; also importable as
 *   `raftspec/schemas/<name>.schema.json`), the rule catalogue ({@link RULES}), the choice points
 *   ({@link CHOICE_POINTS});
 * - the model: {@link initCluster} and {@link applyEvent} (a cluster and its network),
 *   {@link modelStep} (the per-server reducer), {@link InvariantChecker};
 * - the implementation: {@link RaftNode}, {@link Cluster}, {@link MemoryStorage} (docs/impl.md).
 *
 * @packageDocumentation
 */
import { loadTraceFile as load } from '../conformance/load.js';
import { validateBySearch as search, type SearchConfig, type SearchResult } from '../conformance/search.js';
import { lockstep as inLockstep, type LockstepResult } from '../conformance/lockstep.js';
import { describeResult as describe } from '../conformance/report.js';
import type { Trace } from '../spec/schema.js';

// Traces
export { loadTraceFile, parseTrace, checkTrace, type Loaded } from '../conformance/load.js';
export { collectTraceFiles } from '../conformance/files.js';
export { InputError } from '../spec/validate.js';

// Checking
export { validateBySearch, DEFAULT_MAX_FRONTIER, type SearchConfig, type SearchResult, type Deviation, type Taken } from '../conformance/search.js';
export { lockstep, REAL_IMPL, type ImplFactory, type LockstepResult, type Divergence } from '../conformance/lockstep.js';
export { replayModel, describeEvent, type ReplayResult, type Failure } from '../conformance/replay.js';
export {
  runCampaign, nodeIds, regressionName, regressionFallbackDir, generateFixtures, withModelExpectations,
  type CampaignConfig, type CampaignResult, type CampaignFailure, type CampaignTotals,
} from '../conformance/campaign.js';
export { DEFAULT_CLIENTS, type ClientOptions, type MembershipOptions } from '../conformance/generate.js';

// Driving an implementation through an adapter (docs/drive.md)
export { ADAPTER_PROTOCOL_VERSION, AdapterFault, type Adapter, type AdapterFeatures, type Hello, type InputType, type StepOutcome } from '../conformance/adapter.js';
export { stdioAdapter, StdioAdapter, DEFAULT_STEP_TIMEOUT_MS, type StdioOptions } from '../conformance/stdio-adapter.js';
export { implAdapter, type RaftNodeClass } from '../conformance/impl-adapter.js';
export {
  driveCampaign, driveReplay, DriveInputError,
  type DriveConfig, type DriveCampaignResult, type DriveTotals, type DriveFailure, type DriveFault, type DriveReplayResult, type TraceReplay, type RunSetting,
} from '../conformance/drive.js';

// Reports
export { describeResult, formatReport, describeTaken } from '../conformance/report.js';
// Trace scripts (docs/trace-scripts.md) and the HTML report (docs/cli.md).
export { compileScript, rewriteScript, type Compiled, type Rewritten } from '../conformance/script.js';
export { buildHtmlReport, buildDiffHtml } from '../conformance/report/html.js';

// The specification: the trace format, the rules, the choice points, the published files
export * as schema from '../spec/schema.js';
export type {
  Trace, Step, Expect, Event, EventType, Message, MessageType, NodeId, NodeState, Observation, ProtocolOptions, Entry,
  Configuration, BootstrapConfiguration, KvCommand, KvState, ClientReply, Role,
} from '../spec/schema.js';
export { RULES, RULE_BY_ID, rule, type Rule, type RuleKind, type RuleId } from '../spec/rules.js';
export {
  CHOICE_POINTS, CHOICE_BY_ID, MODEL_PROFILE, choiceOf, profileOf,
  type ChoicePoint, type Alternative, type ChoiceId, type AlternativeLetter, type Profile,
} from '../spec/choices.js';
export { PACKAGE_ROOT, SCHEMAS_DIR, schemaPath, RULES_JSON, TRACES_DIR } from '../spec/paths.js';

// The model
export { initCluster, applyEvent, inFlight, type ClusterState, type ClusterStep, type EventError } from '../model/cluster.js';
export { step as modelStep, type NodeStep, type NodeInput } from '../model/node.js';
export { InvariantChecker, type Violation } from '../model/invariants.js';

// The implementation
export * from '../impl/index.js';

/** A file that is not a valid trace, as the command line reports it: the JSON path and what was expected there. */
export interface BadInput {
  readonly status: 'bad-input';
  readonly path: string;
  readonly expected: string;
}

/** What {@link validateTraceFile} and {@link checkTraceFile} return. */
export interface FileResult<R extends { readonly status: string }> {
  readonly file: string;
  /** True when the trace holds (status 'pass'). */
  readonly ok: boolean;
  readonly status: R['status'] | 'bad-input';
  /** The result in words, as the command line prints it after the file name. */
  readonly report: string;
  readonly result: R | BadInput;
}

function onFile<R extends SearchResult | LockstepResult>(file: string, run: (t: Trace) => R): FileResult<R> {
  const loaded = load(file);
  const result: R | BadInput = loaded.ok ? run(loaded.trace) : { status: 'bad-input', path: loaded.error.path || '/', expected: loaded.error.expected };
  return { file, ok: result.status === 'pass', status: result.status, report: describe(result), result };
}

/**
 * `raftspec validate` for one file: a trace recorded by any implementation, checked against the
 * model alone (only the fields the trace observes; any permitted alternative at each choice point).
 */
export function validateTraceFile(file: string, cfg: SearchConfig = {}): FileResult<SearchResult> {
  return onFile(file, (t) => search(t, cfg));
}

/** `raftspec check` for one file: the model and the implementation of `impl/` in lockstep. */
export function checkTraceFile(file: string): FileResult<LockstepResult> {
  return onFile(file, (t) => inLockstep(t));
}
