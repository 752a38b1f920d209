// Trace scripts (docs/trace-scripts.md): a short text form of a trace, one line per event, in the
// spirit of etcd's datadriven interaction tests, compiled to the JSON trace format that every
// implementation replays. Compiling runs the model (as `check` does: the trace's profile taken
// first at every choice point), so that `deliver s1->s2 AppendEntries`, `deliver all` and
// `stabilize` can name messages by route and type, and the JSON names each in full.
//
// The same run gives `check --rewrite`: each expectation line the model disagrees with gets the
// model's values written into it, in place, and every other byte of the script stays as it was.
import { type ClientReply, type Configuration, type Event, type Expect, type ExpectInitial, type Message, type NodeId, type Observation, type ProtocolOptions, type Step, type Trace, MAX_SENT_WINDOW, PARTIAL_OBSERVATION_FIELDS } from '../spec/schema.js';
import { messageKey, describeMessage, sameMessage } from '../spec/canonical.js';
import { profileOf } from '../spec/choices.js';
import { type ClusterState, type ClusterStep, applyEvent, inFlight, initCluster } from '../model/cluster.js';
import { toJson, type NodeState } from '../model/state.js';
import { checkTrace } from './load.js';
import { checkExpect } from './replay.js';
import { nearest } from './search.js';
import { orderedMessage } from './script-json.js';
import {
  FIELD_KIND, MAP_FIELDS, type LogicalLine, ScriptError, type ScriptField, type Token, fieldOf, formatReply, formatValue, logicalLines, messageTypeOf, readClientCommand,
  parseJson, readConfig, readMessage, readReply, readValue, readWord, splitTop, tokenize,
} from './script-syntax.js';

export { ScriptError } from './script-syntax.js';

/** What compiling a script gave: the trace, and for each step the line (1-based) of the event it came from. */
export type Compiled = { readonly ok: true; readonly trace: Trace; readonly stepLines: readonly number[] } | {
  readonly ok: false; readonly error: ScriptError;
  /** The step the error is about: the event's, or the step an expectation line is about (-1: the initial state). */
  readonly step: number;
};

/** A script compiled to its JSON trace. */
export function compileScript(source: string): Compiled {
  const r = runScript(source, false);
  return r.error ? { ok: false, error: r.error, step: r.errorStep } : { ok: true, trace: r.trace as Trace, stepLines: r.stepLines };
}

/** What `check --rewrite` did to a script: its new text, the lines it changed, and what it could not rewrite. */
export interface Rewritten {
  readonly text: string;
  /** The physical lines (1-based, of the script before) whose expectations now hold the model's values. */
  readonly changed: readonly number[];
  /** Lines that could not be rewritten, with why (a message listed in a `contains` that nothing matches). */
  readonly notes: readonly string[];
  /** Set when the model could not run the script to its end: the lines after it are as they were. */
  readonly error: ScriptError | null;
}

/** The script with the model's values written into each expectation the model disagrees with. */
export function rewriteScript(source: string): Rewritten {
  const r = runScript(source, true);
  return { text: r.rewritten ?? source, changed: r.changed, notes: r.notes, error: r.error };
}

// ---------------------------------------------------------------------------------------------

const HEADER = new Set(['name', 'description', 'source', 'cluster', 'options', 'configuration', 'profile', 'initial']);
const EVENT_WORDS: Readonly<Record<string, string>> = {
  timeout: 'electionTimeout', electionTimeout: 'electionTimeout', heartbeat: 'heartbeatTimeout', heartbeatTimeout: 'heartbeatTimeout',
  request: 'clientRequest', clientRequest: 'clientRequest', read: 'clientRead', clientRead: 'clientRead', sync: 'clientSync', clientSync: 'clientSync',
  transfer: 'transferLeadership', transferLeadership: 'transferLeadership', reconfigure: 'reconfigure', snapshot: 'snapshot',
  deliver: 'deliver', drop: 'drop', duplicate: 'duplicate', inject: 'inject', crash: 'crash', restart: 'restart', apply: 'apply',
  partition: 'partition', heal: 'heal', cut: 'cut', stabilize: 'stabilize', error: 'error', event: 'event',
};
/** What may follow `expect` besides a server. */
const TARGETS = new Set(['in-flight', 'in-flight-contains', 'crashed', 'replies', 'sent', 'sent-partial', 'sent-during']);
/** How many messages `stabilize` delivers at most before it gives up. */
export const STABILIZE_LIMIT = 10_000;

interface RunResult {
  trace: Trace | null;
  error: ScriptError | null;
  errorStep: number;
  stepLines: number[];
  rewritten: string | null;
  changed: number[];
  notes: string[];
}

/** An edit of a logical line's text: the characters start..end become `text`. */
interface Edit { start: number; end: number; text: string }

type MutableExpect = { -readonly [K in keyof Expect]: Expect[K] } & { nodes?: Record<NodeId, Record<string, unknown>> };

function runScript(source: string, rewrite: boolean): RunResult {
  const out: RunResult = { trace: null, error: null, errorStep: 0, stepLines: [], rewritten: null, changed: [], notes: [] };
  let lines: LogicalLine[];
  try {
    lines = logicalLines(source);
  } catch (e) {
    if (!(e instanceof ScriptError)) throw e;
    out.error = e;
    return out;
  }
  const s = new ScriptRun(rewrite);
  for (const L of lines) {
    try {
      s.line(L);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      out.error = e;
      out.errorStep = s.stepOf(L);
      break;
    }
  }
  if (!out.error) {
    try {
      out.trace = s.finish();
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      out.error = e;
    }
  }
  out.stepLines = s.stepLines;
  out.notes = s.notes;
  if (rewrite) {
    out.rewritten = applyEdits(source, lines, s.edits);
    out.changed = [...s.edits.keys()].map((L) => L.first).sort((a, b) => a - b);
  }
  return out;
}

/** The script with each edited logical line written anew (its continuation lines keep their indentation); all else byte for byte. */
function applyEdits(source: string, lines: readonly LogicalLine[], edits: ReadonlyMap<LogicalLine, Edit[]>): string {
  if (edits.size === 0) return source;
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const physical = source.split(/\r?\n/);
  // From the last line up, so that earlier line numbers stay put.
  for (const L of [...lines].reverse()) {
    const es = edits.get(L);
    if (!es) continue;
    let text = L.text;
    for (const e of [...es].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    const pieces = text.split('\n');
    // Comment and blank lines inside the logical line's range stay, after it.
    const kept = physical.slice(L.first - 1, L.last).filter((p, k) => k > 0 && (p.trim() === '' || p.trim().startsWith('#')));
    const indent = L.indents[0] ?? '  ';
    const written = pieces.map((p, k) => (k === 0 ? p : `${L.indents[k - 1] ?? indent}${p}`));
    physical.splice(L.first - 1, L.last - L.first + 1, ...written, ...kept);
  }
  return physical.join(eol);
}

/** A server's observable state, with the partial observations worked out. */
function observed(s: NodeState): Record<string, unknown> {
  const json = toJson(s, true) as unknown as Record<string, unknown>;
  return { ...json, logTerms: (json.log as { term: number }[]).map((e) => e.term), logLength: s.log.lastIndex };
}

class ScriptRun {
  readonly stepLines: number[] = [];
  readonly notes: string[] = [];
  readonly edits = new Map<LogicalLine, Edit[]>();
  private readonly header: { name?: string; description?: string; source?: string; cluster?: NodeId[]; options?: ProtocolOptions; configuration?: Configuration; profile?: Record<string, string | string[]> } = {};
  private readonly initial: Record<NodeId, Record<string, unknown>> = {};
  private expectInitial: MutableExpect | null = null;
  private readonly steps: { event: Event; expect?: MutableExpect; note?: string }[] = [];
  /** JSON pointers and the lines that wrote them, to say where a problem of the compiled trace is. */
  private readonly pathLines: { path: string; line: number }[] = [];
  private readonly sentByStep: (readonly Message[])[] = [];
  private c: ClusterState | null = null;
  private last: ClusterStep | null = null;
  /** The first step of the last event line (a note is about it); -1 before the first. */
  private eventStep = -1;

  constructor(private readonly rewrite: boolean) {}

  /** The step a line is about, for a report: an event's next step, an expectation's or note's the last one. */
  stepOf(L: LogicalLine): number {
    return /^(expect|note)\b/.test(L.text) ? this.steps.length - 1 : this.steps.length;
  }

  line(L: LogicalLine): void {
    const toks = tokenize(L.text, L.first);
    const kw = (toks[0] as Token).text;
    if (HEADER.has(kw)) {
      if (this.c) throw new ScriptError(L.first, `${kw} is a header line: header lines come before the first event and the first expect`);
      this.headerLine(L, kw, toks);
    } else if (kw === 'expect') {
      this.start(L.first);
      this.expectLine(L, toks);
    } else if (kw === 'note') {
      const text = freeText(L, toks);
      const step = this.eventStep < 0 ? undefined : this.steps[this.eventStep];
      if (!step) throw new ScriptError(L.first, 'a note is about the event before it, and there is none');
      step.note = step.note === undefined ? text : `${step.note} ${text}`;
      this.pathLines.push({ path: `/steps/${this.eventStep}/note`, line: L.first });
    } else if (EVENT_WORDS[kw] !== undefined) {
      this.start(L.first);
      this.eventLine(L, toks, EVENT_WORDS[kw] as string);
    } else {
      throw new ScriptError(L.first, `unknown line ${JSON.stringify(kw)}; expected a header (${[...HEADER].join(', ')}), an event (${Object.keys(EVENT_WORDS).filter((k) => !/[A-Z]/.test(k)).join(', ')}), expect or note`);
    }
  }

  // --- header -------------------------------------------------------------------------------

  private headerLine(L: LogicalLine, kw: string, toks: Token[]): void {
    const line = L.first;
    const once = (path: string) => {
      if (this.pathLines.some((p) => p.path === path)) throw new ScriptError(line, `${kw} is given twice`);
      this.pathLines.push({ path, line });
    };
    const args = toks.slice(1).map((t) => t.text);
    switch (kw) {
      case 'name':
      case 'description':
      case 'source':
        once(`/${kw}`);
        this.header[kw] = freeText(L, toks);
        return;
      case 'cluster':
        once('/cluster');
        this.header.cluster = args.flatMap((a) => splitTop(a, ',', line)).map((w) => readWord(w, line, 'a server'));
        for (const id of this.header.cluster) if (TARGETS.has(id)) throw new ScriptError(line, `a server may not be named ${id} in a script (expect ${id} means something else)`);
        return;
      case 'options': {
        once('/options');
        const o: Record<string, number | boolean> = {};
        for (const a of args) {
          const eq = a.indexOf('=');
          const key = eq < 0 ? a : a.slice(0, eq);
          const v = eq < 0 ? 'true' : a.slice(eq + 1);
          o[key] = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : (() => { throw new ScriptError(line, `expected ${key}=<number>, ${key}=true or ${key}=false, got ${JSON.stringify(a)}`); })();
        }
        this.header.options = o as ProtocolOptions;
        return;
      }
      case 'configuration': {
        once('/configuration');
        const c = readConfig(`config(${args.join(' ')})`, line);
        if (c.oldVoters) throw new ScriptError(line, 'the bootstrap configuration is never joint: expected voters= and learners= only');
        this.header.configuration = c;
        return;
      }
      case 'profile': {
        once('/profile');
        const p: Record<string, string | string[]> = {};
        for (const a of args) {
          const m = /^(DEC-\d+)=(.+)$/.exec(a);
          if (!m) throw new ScriptError(line, `expected DEC-<n>=<alternatives> (such as DEC-17=DEC-17b or DEC-3=DEC-3a,DEC-3b), got ${JSON.stringify(a)}`);
          const alts = splitTop(m[2] as string, ',', line);
          p[m[1] as string] = alts.length === 1 ? alts[0] as string : alts;
        }
        this.header.profile = p;
        return;
      }
      case 'initial': {
        const id = readWord(args[0] ?? '', line, 'a server');
        const o = (this.initial[id] ??= {});
        if (!this.pathLines.some((p) => p.path === `/initial/${id}`)) this.pathLines.push({ path: `/initial/${id}`, line });
        for (const t of toks.slice(2)) {
          const eq = t.text.indexOf('=');
          const f = eq < 0 ? null : fieldOf(t.text.slice(0, eq));
          if (f === null || (PARTIAL_OBSERVATION_FIELDS as readonly string[]).includes(f) || f === 'logSuffix') {
            throw new ScriptError(line, `expected field=value of a server's state (${Object.keys(FIELD_KIND).filter((k) => !(PARTIAL_OBSERVATION_FIELDS as readonly string[]).includes(k) && k !== 'logSuffix').join(', ')}), got ${JSON.stringify(t.text)}`);
          }
          if (o[f] !== undefined) throw new ScriptError(line, `${id}.${f} is given twice`);
          o[f] = readValue(FIELD_KIND[f], t.text.slice(eq + 1), line, f);
          this.pathLines.push({ path: `/initial/${id}/${f}`, line });
        }
        return;
      }
    }
  }

  /** The header as the trace's fields, in the format's order. */
  private traceHeader(): Omit<Trace, 'steps'> {
    const h = this.header;
    return {
      format: 'raft-trace', version: 1,
      ...(h.name !== undefined ? { name: h.name } : {}),
      ...(h.description !== undefined ? { description: h.description } : {}),
      ...(h.source !== undefined ? { source: h.source } : {}),
      cluster: h.cluster ?? [],
      ...(h.options ? { options: h.options } : {}),
      ...(h.configuration ? { configuration: h.configuration as Trace['configuration'] } : {}),
      ...(Object.keys(this.initial).length > 0 ? { initial: this.initial as Trace['initial'] } : {}),
      ...(this.expectInitial ? { expectInitial: tidyExpect(this.expectInitial) as ExpectInitial } : {}),
      ...(h.profile ? { profile: h.profile } : {}),
    };
  }

  /** At the first event or expect: the header checked, and the model started from it. */
  private start(line: number): void {
    if (this.c) return;
    if (!this.header.cluster) throw new ScriptError(line, 'expected a cluster line (cluster s1 s2 s3) before the first event or expect');
    const head = this.traceHeader();
    const checked = checkTrace({ ...head, steps: [] });
    if (!checked.ok) throw this.located(checked.error.path, checked.error.expected);
    const t = checked.trace;
    this.c = initCluster(t.cluster, t.options, t.initial, t.configuration, t.profile === undefined ? undefined : profileOf(t.profile));
  }

  private get cluster(): ClusterState {
    if (!this.c) throw new Error('script: the model has not started');
    return this.c;
  }

  // --- events -------------------------------------------------------------------------------

  private eventLine(L: LogicalLine, toks: Token[], type: string): void {
    const line = L.first;
    const args = toks.slice(1).map((t) => t.text);
    const rest = L.text.slice(toks[0]?.end ?? 0).trim();
    const node = (k: number) => this.node(args[k], line);
    const one = (e: Event) => this.apply([e], line);
    const arity = (n: number, form: string) => { if (args.length !== n) throw new ScriptError(line, `expected ${form}, got ${JSON.stringify(L.text.replace(/\n/g, ' '))}`); };
    this.eventStep = this.steps.length;
    switch (type) {
      case 'electionTimeout':
      case 'heartbeatTimeout':
      case 'crash':
      case 'restart':
      case 'apply':
        arity(1, `${toks[0]?.text} <server>`);
        return one({ type, node: node(0) } as Event);
      case 'clientRequest':
        if (args.length < 2) throw new ScriptError(line, 'expected request <server> [client#seq] <command>');
        return one({ type, node: node(0), command: readClientCommand(args.slice(1), line) });
      case 'clientRead': {
        // FR-4: `after=N`, the highest index the client has been answered with (followerReads).
        const last = args[args.length - 1];
        const after = last !== undefined && /^after=\d+$/.test(last) ? { after: Number(last.slice('after='.length)) } : {};
        if ('after' in after) args.pop();
        if (args.length === 3 && /#\d+$/.test(args[1] as string)) {
          const m = /^(.+)#(\d+)$/.exec(args[1] as string) as RegExpExecArray;
          return one({ type, node: node(0), client: readWord(m[1] as string, line, 'a client'), seq: Number(m[2]), key: readWord(args[2] as string, line, 'a key'), ...after });
        }
        arity(4, 'read <server> <client> <seq> <key> [after=<index>] (or read <server> <client>#<seq> <key> [after=<index>])');
        if (!/^\d+$/.test(args[2] as string)) throw new ScriptError(line, `expected a serial number, got ${JSON.stringify(args[2])}`);
        return one({ type, node: node(0), client: readWord(args[1] as string, line, 'a client'), seq: Number(args[2]), key: readWord(args[3] as string, line, 'a key'), ...after });
      }
      case 'clientSync': {
        // FR-3: sync <server> <client>#<seq>
        const m = args.length === 2 ? /^(.+)#(\d+)$/.exec(args[1] as string) : null;
        if (m === null) throw new ScriptError(line, `expected sync <server> <client>#<seq>, got ${JSON.stringify(L.text.replace(/\n/g, ' '))}`);
        return one({ type, node: node(0), client: readWord(m[1] as string, line, 'a client'), seq: Number(m[2]) });
      }
      case 'transferLeadership':
        arity(2, 'transfer <leader> <target>');
        return one({ type, node: node(0), target: node(1) });
      case 'reconfigure': {
        if (args.length < 3 || args.length > 4 || (args[1] !== 'single' && args[1] !== 'joint')) throw new ScriptError(line, 'expected reconfigure <leader> single|joint <voters> [learners=<servers>]');
        const voters = splitTop((args[2] as string).replace(/^voters=/, ''), ',', line).map((w) => readWord(w, line, 'a server'));
        const learnersArg = args[3];
        if (learnersArg !== undefined && !learnersArg.startsWith('learners=')) throw new ScriptError(line, `expected learners=<servers>, got ${JSON.stringify(learnersArg)}`);
        const learners = learnersArg === undefined ? undefined : splitTop(learnersArg.slice('learners='.length), ',', line).map((w) => readWord(w, line, 'a server'));
        return one({ type, node: node(0), change: args[1], voters, ...(learners ? { learners } : {}) });
      }
      case 'snapshot':
        if (args.length < 1 || args.length > 2 || (args[1] !== undefined && !/^\d+$/.test(args[1]))) throw new ScriptError(line, 'expected snapshot <server> [<index>]');
        return one({ type, node: node(0), ...(args[1] !== undefined ? { index: Number(args[1]) } : {}) });
      case 'inject':
        return one({ type, message: orderedMessage(readMessage(rest, line)) });
      case 'deliver':
      case 'drop':
      case 'duplicate':
        return this.apply(this.select(rest, line, type).map((message) => ({ type, message } as Event)), line);
      case 'partition': {
        const groups = splitTop(rest, '|', line).map((g) => g.split(/[\s,]+/).filter((w) => w !== '').map((w) => readWord(w, line, 'a server')));
        if (groups.length < 2 || groups.some((g) => g.length === 0)) throw new ScriptError(line, 'expected partition <servers> | <servers> [| ...] (each group one or more servers)');
        return one({ type, groups });
      }
      case 'heal':
        if (args.length === 0) return one({ type });
        arity(2, 'heal, or heal <server> <server> (one link)');
        return one({ type, link: [node(0), node(1)] });
      case 'cut':
        arity(2, 'cut <server> <server>');
        return one({ type, link: [node(0), node(1)] });
      case 'stabilize':
        return this.stabilize(args.map((_, k) => node(k)), line);
      case 'event': {
        // Any event as its JSON: a kind or a field the notation does not name.
        if (!rest.startsWith('{')) throw new ScriptError(line, 'expected event <the event as JSON>');
        const e = parseJson(rest, line, 'an event') as Event;
        return one(e !== null && typeof e === 'object' && 'message' in e && typeof e.message === 'object' && e.type !== 'error' ? { ...e, message: orderedMessage(e.message) } as Event : e);
      }
      case 'error': {
        const withNode = args.length >= 2 && (this.header.cluster ?? []).includes(args[0] as string);
        const text = withNode ? rest.slice(rest.indexOf(args[0] as string) + (args[0] as string).length).trim() : rest;
        return one({ type, ...(withNode ? { node: args[0] as string } : {}), message: readText(text) });
      }
    }
  }

  private node(w: string | undefined, line: number): NodeId {
    const id = readWord(w ?? '', line, 'a server');
    if (!(this.header.cluster ?? []).includes(id)) throw new ScriptError(line, `unknown server ${JSON.stringify(id)}; expected a server of the cluster (${(this.header.cluster ?? []).join(', ')})`);
    return id;
  }

  /** The events of one line, each checked as the trace's next step and run through the model. */
  private apply(events: readonly Event[], line: number): void {
    for (const e of events) {
      const i = this.steps.length;
      const { expectInitial: _, ...head } = this.traceHeader();
      const checked = checkTrace({ ...head, steps: [{ event: e }] }, undefined, i);
      if (!checked.ok) {
        const p = checked.error.path;
        throw new ScriptError(line, `${p.startsWith('/steps/0') ? `/steps/${i}${p.slice('/steps/0'.length)}` : p}: ${checked.error.expected}`);
      }
      const r = applyEvent(this.cluster, e);
      if ('error' in r) {
        const wrongMessage = 'message' in e && e.type !== 'inject' && e.type !== 'error';
        if (wrongMessage) {
          const near = nearest(e.message, inFlight(this.cluster));
          throw new ScriptError(line, `${e.type} ${describeMessage(e.message)}: the model has no such message in flight${near ? `; the nearest: ${describeMessage(near.message)} (${near.diff})` : ''}`, 'fail');
        }
        throw new ScriptError(line, `step ${i}: an event possible in this state: ${r.error}`);
      }
      this.steps.push({ event: e });
      this.stepLines.push(line);
      this.pathLines.push({ path: `/steps/${i}`, line });
      this.sentByStep.push(r.sent);
      this.c = r.state;
      this.last = r;
    }
  }

  /** `all`, `<from>-><to> [<type>] [all]` (`*` for any server), or a message by its name: the messages in flight named, oldest first. */
  private select(text: string, line: number, verb: string): Message[] {
    const ws = tokenize(text, line).map((t) => t.text);
    if (ws.length === 0) throw new ScriptError(line, `expected ${verb} <selector>: all, <from>-><to> [<type>] [all], or a message by its name`);
    if (messageTypeOf(ws[0] as string) !== null && /^[^>]+>[^>]+$/.test(ws[1] ?? '') && !(ws[1] ?? '').includes('->') || (ws[0] as string).startsWith('{')) {
      return [orderedMessage(readMessage(text, line))];
    }
    const flight = inFlight(this.cluster);
    const { matches, all, describe } = this.selector(ws, line);
    const found = flight.filter(matches);
    if (found.length === 0) throw new ScriptError(line, `${verb} ${describe}: ${this.noneInFlight(flight)}`, 'fail');
    return (all ? found : found.slice(0, 1)).map(orderedMessage);
  }

  private noneInFlight(flight: readonly Message[]): string {
    if (flight.length === 0) return 'nothing is in flight';
    return `no such message is in flight (in flight: ${flight.slice(0, 6).map(describeMessage).join('; ')}${flight.length > 6 ? `; and ${flight.length - 6} more` : ''})`;
  }

  /** A selector's test; `all` whether it names every match or the oldest. */
  private selector(ws: readonly string[], line: number): { matches: (m: Message) => boolean; all: boolean; describe: string } {
    if (ws.length === 1 && ws[0] === 'all') return { matches: () => true, all: true, describe: 'all' };
    const route = /^([^-\s>]*|\*)->([^-\s>]*|\*)$/.exec(ws[0] ?? '');
    if (!route) throw new ScriptError(line, `expected a selector: all, <from>-><to> [<type>] [all] (* for any server), or a message by its name; got ${JSON.stringify(ws.join(' '))}`);
    const from = route[1] === '*' ? null : this.node(route[1], line);
    const to = route[2] === '*' ? null : this.node(route[2], line);
    let k = 1;
    const type = ws[k] !== undefined && ws[k] !== 'all' ? messageTypeOf(ws[k] as string) : null;
    if (ws[k] !== undefined && ws[k] !== 'all') {
      if (type === null) throw new ScriptError(line, `unknown message type ${JSON.stringify(ws[k])}; expected one of AppendEntries (AE), AppendEntriesResponse (AER), RequestVote (RV), RequestVoteResponse (RVR), InstallSnapshot (IS), InstallSnapshotResponse (ISR), PreVote (PV), PreVoteResponse (PVR), TimeoutNow (TN), ClientProposal (CP), ForwardedRead (FR)`);
      k++;
    }
    const all = ws[k] === 'all';
    if (all) k++;
    if (k !== ws.length) throw new ScriptError(line, `unexpected ${JSON.stringify(ws[k])} in a selector`);
    return {
      matches: (m) => (from === null || m.from === from) && (to === null || m.to === to) && (type === null || m.type === type),
      all,
      describe: `${route[1]}->${route[2]}${type ? ` ${type}` : ''}${all ? ' all' : ''}`,
    };
  }

  /** Deliver the oldest message in flight (among `nodes`, if given) until none is left. */
  private stabilize(nodes: readonly NodeId[], line: number): void {
    const among = (m: Message) => nodes.length === 0 || (nodes.includes(m.from) && nodes.includes(m.to));
    for (let n = 0; ; n++) {
      const m = inFlight(this.cluster).find(among);
      if (!m) return;
      if (n >= STABILIZE_LIMIT) throw new ScriptError(line, `stabilize: still messages in flight after ${STABILIZE_LIMIT} deliveries`, 'fail');
      this.apply([{ type: 'deliver', message: orderedMessage(m) }], line);
    }
  }

  // --- expectations -------------------------------------------------------------------------

  /** The step an expectation line is about (-1: the initial state), and the state and step output it is compared with. */
  private target(): { step: number; r: ClusterStep } {
    const c = this.cluster;
    return this.last === null || this.steps.length === 0
      ? { step: -1, r: { state: c, node: null, sent: [], applied: [], replies: [], rules: [] } }
      : { step: this.steps.length - 1, r: this.last };
  }

  private expectOf(step: number): MutableExpect {
    if (step < 0) return (this.expectInitial ??= {});
    const s = this.steps[step] as { expect?: MutableExpect };
    return (s.expect ??= {});
  }

  private expectLine(L: LogicalLine, toks: Token[]): void {
    const line = L.first;
    const what = toks[1]?.text;
    if (what === undefined) throw new ScriptError(line, 'expected expect <server> ..., or expect in-flight, in-flight-contains, crashed, replies, sent, sent-partial or sent-during');
    const { step, r } = this.target();
    const at = step < 0 ? '/expectInitial' : `/steps/${step}/expect`;
    if (step < 0 && !['in-flight', 'in-flight-contains', 'crashed'].includes(what) && TARGETS.has(what)) {
      throw new ScriptError(line, `expect ${what} is about a step; before the first event only servers, in-flight, in-flight-contains and crashed can be expected`);
    }
    const x = this.expectOf(step);
    const valueFrom = toks[2]?.start ?? L.text.length;
    // Where a list's value starts: right after its keyword (the space or line break before the first item is the list's).
    const listFrom = (toks[1] as Token).end;
    const holds = (fragment: Expect): boolean => checkExpect(fragment, r, (from) => this.sentSince(from, step)).length === 0;
    const once = (key: keyof Expect, field: string) => {
      if (x[key] !== undefined) throw new ScriptError(line, `expect ${field} is given twice for this step`);
      this.pathLines.push({ path: `${at}/${key}`, line });
    };
    switch (what) {
      case 'in-flight':
      case 'sent':
      case 'sent-partial': {
        const key = what === 'in-flight' ? 'inFlight' : 'sent';
        const items = this.messageList(L, valueFrom, line);
        const target = (key === 'inFlight' ? x : this.steps[step]) as Record<string, unknown>;
        if (target[key] !== undefined) throw new ScriptError(line, `expect ${what} is given twice for this step`);
        this.pathLines.push({ path: step < 0 ? `${at}/${key}` : key === 'inFlight' ? `${at}/inFlight` : `/steps/${step}/sent`, line });
        target[key] = items.map((i) => i.message);
        if (key === 'sent' && what === 'sent-partial') (this.steps[step] as Record<string, unknown>).sentPartial = true;
        const actual = key === 'inFlight' ? inFlight(r.state) : r.sent;
        const ok = key === 'inFlight' ? holds({ inFlight: items.map((i) => i.message) }) : sameMultiset(items.map((i) => i.message), actual, what === 'sent-partial');
        if (!ok && this.rewrite) this.edit(L, listFrom, L.text.length, formatList(L.text.slice(listFrom), rewriteList(items, actual, what === 'sent-partial')));
        return;
      }
      case 'in-flight-contains': {
        const wanted = this.containsList(L, valueFrom, line, inFlight(r.state), 'in flight');
        this.pathLines.push({ path: `${at}/inFlightContains`, line });
        x.inFlightContains = [...(x.inFlightContains ?? []), ...resolved(wanted)];
        this.rewriteContains(L, listFrom, wanted, inFlight(r.state), 'in flight');
        return;
      }
      case 'sent-during': {
        const range = /^(\d+)(?:\.\.(\d+))?$/.exec(toks[2]?.text ?? '');
        if (!range) throw new ScriptError(line, `expected expect sent-during <from>..<to> <messages> (steps, 0-based as in /steps/<i>), got ${JSON.stringify(toks[2]?.text ?? '')}`);
        const from = Number(range[1]);
        const to = range[2] === undefined ? step : Number(range[2]);
        if (to > step || from > to || to - from >= MAX_SENT_WINDOW) throw new ScriptError(line, `expected steps from..to with from <= to <= ${step} (this step) and at most ${MAX_SENT_WINDOW} steps, got ${from}..${to}`);
        const sent = this.sentByStep.slice(from, to + 1).flat();
        const wanted = this.containsList(L, toks[3]?.start ?? L.text.length, line, sent, `sent during steps ${from}..${to}`);
        const tx = this.expectOf(to);
        tx.sentDuring = [...(tx.sentDuring ?? []), { from, contains: resolved(wanted) }];
        this.pathLines.push({ path: `/steps/${to}/expect/sentDuring/${tx.sentDuring.length - 1}`, line });
        this.rewriteContains(L, (toks[2] as Token).end, wanted, sent, `sent during steps ${from}..${to}`);
        return;
      }
      case 'crashed': {
        once('crashed', what);
        const list = toks.slice(2).map((t) => t.text);
        const ids = list.length === 1 && list[0] === 'none' ? [] : list.flatMap((w) => splitTop(w, ',', line)).map((w) => this.node(w, line));
        x.crashed = ids;
        if (!holds({ crashed: ids }) && this.rewrite) {
          const now = [...r.state.crashed].sort();
          this.edit(L, listFrom, L.text.length, ` ${now.length === 0 ? 'none' : now.join(',')}`);
        }
        return;
      }
      case 'replies': {
        once('replies', what);
        const text = L.text.slice(valueFrom).trim();
        const replies: ClientReply[] = text === 'none' ? [] : splitTop(text, ';\n', line).filter((p) => p !== '').map((p) => readReply(p, line));
        x.replies = replies;
        if (!holds({ replies }) && this.rewrite) this.edit(L, listFrom, L.text.length, formatList(L.text.slice(listFrom), r.replies.map(formatReply)));
        return;
      }
      default:
        return this.expectNode(L, toks, this.node(what, line), step, r, at, x, holds);
    }
  }

  /** `expect s1 field=value ...` (whole fields; `field.peer=value`: one key of a map) or `expect s1 field value...` (one field; of a map, the keys listed). */
  private expectNode(L: LogicalLine, toks: Token[], id: NodeId, step: number, r: ClusterStep, at: string, x: MutableExpect, holds: (f: Expect) => boolean): void {
    const line = L.first;
    const nodes = (x.nodes ??= {});
    const o = (nodes[id] ??= {});
    const state = r.state.nodes[id] as NodeState;
    const actual = () => observed(state);
    const set = (field: string, value: unknown, peer?: string) => {
      if (peer === undefined) {
        if (o[field] !== undefined) throw new ScriptError(line, `${id}.${field} is expected twice for this step`);
        o[field] = value;
        this.pathLines.push({ path: `${at}/nodes/${id}/${field}`, line });
      } else {
        const partial = (o.partial ??= {}) as Record<string, Record<string, number>>;
        const map = (partial[field] ??= {});
        if (map[peer] !== undefined) throw new ScriptError(line, `${id}.${field}[${peer}] is expected twice for this step`);
        Object.defineProperty(map, peer, { value, enumerable: true, writable: true, configurable: true });
        this.pathLines.push({ path: `${at}/nodes/${id}/partial/${field}/${peer}`, line });
      }
    };
    const fieldNamed = (w: string): ScriptField => {
      const f = fieldOf(w);
      if (f === null) throw new ScriptError(line, `unknown field ${JSON.stringify(w)} of a server; expected one of ${Object.keys(FIELD_KIND).join(', ')}`);
      return f;
    };
    const third = toks[2];
    if (third === undefined) throw new ScriptError(line, `expected expect ${id} field=value ..., or expect ${id} <field> <value>`);
    if (!third.text.includes('=')) {
      // The one-field form: the rest of the line is the value, its words the items of a list.
      const field = fieldNamed(third.text);
      const kind = FIELD_KIND[field];
      const words = toks.slice(3);
      if (words.length === 0) throw new ScriptError(line, `expected a value for ${id}.${field}`);
      const start = (words[0] as Token).start;
      if (kind === 'map') {
        const peers: string[] = [];
        for (const w of words.flatMap((t) => splitTop(t.text, ',', line))) {
          const m = /^([^:=]+)[:=](\d+)$/.exec(w);
          if (!m) throw new ScriptError(line, `expected <server>=<index> for part of ${field}, got ${JSON.stringify(w)}`);
          const peer = this.node(m[1], line);
          peers.push(peer);
          set(field, Number(m[2]), peer);
        }
        const now = actual()[field] as Record<string, number>;
        const wrong = peers.some((p) => now[p] !== (o.partial as Record<string, Record<string, number>>)[field]?.[p]);
        if (wrong && this.rewrite) {
          if (peers.some((p) => now[p] === undefined)) this.notes.push(`line ${line}: ${id} has no ${field} for ${peers.filter((p) => now[p] === undefined).join(', ')} (${id} is ${state.role}): not rewritten`);
          else this.edit(L, start, L.text.length, peers.map((p) => `${p}=${now[p]}`).join(' '));
        }
        return;
      }
      const text = kind === 'json' ? L.text.slice(start).trim() : words.map((t) => t.text).join(',');
      const value = readValue(kind, text, line, field);
      set(field, value);
      if (this.rewrite && !holds({ nodes: { [id]: { [field]: value } } })) {
        const v = this.actualOf(field, value, state, line);
        if (v !== undefined) {
          const f = formatValue(kind, v);
          this.edit(L, start, L.text.length, kind === 'json' || kind === 'suffix' ? f : splitTop(f, ',', line).join(' ') || f);
        }
      }
      return;
    }
    for (const t of toks.slice(2)) {
      const eq = t.text.indexOf('=');
      if (eq < 0) throw new ScriptError(line, `expected field=value, got ${JSON.stringify(t.text)} (the one-field form, expect ${id} <field> <value>, has nothing before it)`);
      const lhs = t.text.slice(0, eq);
      const dot = lhs.indexOf('.');
      const field = fieldNamed(dot < 0 ? lhs : lhs.slice(0, dot));
      const kind = FIELD_KIND[field];
      const valueText = t.text.slice(eq + 1);
      if (dot >= 0) {
        if (!(MAP_FIELDS as readonly string[]).includes(field)) throw new ScriptError(line, `${field}.<server> names one key of a map; ${field} is not one (maps: ${MAP_FIELDS.join(', ')})`);
        const peer = this.node(lhs.slice(dot + 1), line);
        if (!/^\d+$/.test(valueText)) throw new ScriptError(line, `expected a whole number for ${lhs}, got ${JSON.stringify(valueText)}`);
        set(field, Number(valueText), peer);
        const now = (actual()[field] as Record<string, number>)[peer];
        if (this.rewrite && now !== Number(valueText)) {
          if (now === undefined) this.notes.push(`line ${line}: ${id} has no ${field} for ${peer} (${id} is ${state.role}): not rewritten`);
          else this.edit(L, t.start + eq + 1, t.end, String(now));
        }
        continue;
      }
      const value = readValue(kind, valueText, line, field);
      set(field, value);
      if (this.rewrite && !holds({ nodes: { [id]: { [field]: value } } })) {
        const v = this.actualOf(field, value, state, line);
        if (v !== undefined) this.edit(L, t.start + eq + 1, t.end, formatValue(kind, v));
      }
    }
  }

  /** What the model has for a field (for logSuffix, from the index the expectation names). */
  private actualOf(field: ScriptField, expected: unknown, state: NodeState, line: number): unknown {
    const all = observed(state);
    if (field !== 'logSuffix') return field === 'log' || field === 'logTerms' ? all[field] : (all as Record<string, unknown>)[field];
    const from = (expected as { from: number }).from;
    if (from <= state.snapshotIndex) {
      this.notes.push(`line ${line}: logSuffix from ${from} is inside the snapshot (through ${state.snapshotIndex}): not rewritten`);
      return undefined;
    }
    const entries = (all.log as unknown[]).slice(from - 1 - state.snapshotIndex);
    return { from, entries: from - 1 > state.log.lastIndex ? [] : entries };
  }

  /** A list of messages by name (or JSON), separated by `;` or line breaks; `none` for no message. */
  private messageList(L: LogicalLine, from: number, line: number): { text: string; message: Message }[] {
    const text = L.text.slice(from).trim();
    if (text === 'none') return [];
    return splitTop(text, ';\n', line).filter((p) => p !== '').map((p) => ({ text: p, message: orderedMessage(readMessage(p, line)) }));
  }

  /** Messages by name or by selector (resolved in `pool`, each to another copy), for in-flight-contains and sent-during. */
  private containsList(L: LogicalLine, from: number, line: number, pool: readonly Message[], where: string): Wanted[] {
    const left = [...pool];
    const out: Wanted[] = [];
    for (const p of splitTop(L.text.slice(from).trim(), ';\n', line).filter((x) => x !== '')) {
      const ws = tokenize(p, line).map((t) => t.text);
      if (ws.length > 0 && /->/.test(ws[0] as string)) {
        const { matches, describe } = this.selector(ws, line);
        const k = left.findIndex(matches);
        if (k < 0) {
          const e = new ScriptError(line, `expect ${describe}: no such message ${where} (${pool.length === 0 ? 'none' : pool.slice(0, 6).map(describeMessage).join('; ')}${pool.length > 6 ? `; and ${pool.length - 6} more` : ''})`, 'fail');
          if (!this.rewrite) throw e;
          this.notes.push(`line ${line}: ${e.problem}: not rewritten (a selector names no value to rewrite)`);
          out.push({ text: p, message: null, selector: true });
          continue;
        }
        out.push({ text: p, message: orderedMessage(left[k] as Message), selector: true });
        left.splice(k, 1);
      } else out.push({ text: p, message: orderedMessage(readMessage(p, line)), selector: false });
    }
    if (out.length === 0 && !this.rewrite) throw new ScriptError(line, 'expected at least one message (by name or selector)');
    return out;
  }

  /** --rewrite of a `contains` list: a message by name that is not there becomes the nearest one that is (same type, sender and receiver). */
  private rewriteContains(L: LogicalLine, regionFrom: number, wanted: readonly Wanted[], pool: readonly Message[], where: string): void {
    if (!this.rewrite) return;
    const left = [...pool];
    let changed = false;
    const items = wanted.map((w) => {
      if (w.message === null) return w.text;
      const k = left.findIndex((m) => sameMessage(m, w.message as Message));
      if (k >= 0) { left.splice(k, 1); return w.text; }
      const near = nearest(w.message, left);
      if (!near) {
        this.notes.push(`line ${L.first}: ${describeMessage(w.message)} is not ${where}, and no ${w.message.type} from ${w.message.from} to ${w.message.to} is: not rewritten`);
        return w.text;
      }
      left.splice(left.indexOf(near.message), 1);
      changed = true;
      return messageKey(near.message);
    });
    if (changed) this.edit(L, regionFrom, L.text.length, formatList(L.text.slice(regionFrom), items));
  }

  private sentSince(from: number, step: number): Message[] {
    return this.sentByStep.slice(from, step + 1).flat();
  }

  private edit(L: LogicalLine, start: number, end: number, text: string): void {
    const list = this.edits.get(L) ?? [];
    list.push({ start, end, text });
    this.edits.set(L, list);
  }

  // --- the end ------------------------------------------------------------------------------

  finish(): Trace {
    this.start(1);
    const trace: Trace = {
      ...this.traceHeader(),
      steps: this.steps.map((s) => tidyStep(s as unknown as Record<string, unknown>)),
    };
    const checked = checkTrace(trace);
    if (!checked.ok) throw this.located(checked.error.path, checked.error.expected);
    return trace;
  }

  /** A problem of the compiled trace at a JSON pointer, at the line that wrote it. */
  private located(path: string, expected: string): ScriptError {
    let best: { path: string; line: number } | null = null;
    for (const p of this.pathLines) if ((path === p.path || path.startsWith(`${p.path}/`)) && (!best || p.path.length > best.path.length)) best = p;
    return new ScriptError(best?.line ?? 1, `${path || '/'}: ${expected}`);
  }
}

/** A message a `contains` line lists: by name, or by a selector (null when it named nothing: --rewrite goes on). */
interface Wanted { readonly text: string; readonly message: Message | null; readonly selector: boolean }

const resolved = (ws: readonly Wanted[]): Message[] => ws.flatMap((w) => (w.message === null ? [] : [w.message]));

/** A step's fields in the format's order. */
function tidyStep(s: Record<string, unknown>): Step {
  return {
    event: s.event as Event,
    ...(s.expect !== undefined ? { expect: tidyExpect(s.expect as MutableExpect) } : {}),
    ...(s.sent !== undefined ? { sent: s.sent as Message[] } : {}),
    ...(s.sentPartial !== undefined ? { sentPartial: true } : {}),
    ...(s.note !== undefined ? { note: s.note as string } : {}),
  };
}

function tidyExpect(x: MutableExpect): Expect {
  return {
    ...(x.nodes !== undefined ? { nodes: x.nodes as Record<NodeId, Observation> } : {}),
    ...(x.inFlight !== undefined ? { inFlight: x.inFlight } : {}),
    ...(x.crashed !== undefined ? { crashed: x.crashed } : {}),
    ...(x.replies !== undefined ? { replies: x.replies } : {}),
    ...(x.inFlightContains !== undefined ? { inFlightContains: x.inFlightContains } : {}),
    ...(x.sentDuring !== undefined ? { sentDuring: x.sentDuring } : {}),
  };
}

/** The text after a line's keyword: free text (continuation lines joined by a space), or one JSON string. */
function freeText(L: LogicalLine, toks: Token[]): string {
  return readText(L.text.slice(toks[0]?.end ?? 0).trim());
}

function readText(text: string): string {
  if (text.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'string') return v;
    } catch {
      // not one JSON string: the text as it is
    }
  }
  return text.replace(/\n/g, ' ');
}

/** Whether `expected` is the multiset `actual` (or, partial, part of it). */
function sameMultiset(expected: readonly Message[], actual: readonly Message[], partial: boolean): boolean {
  const left = [...actual];
  for (const m of expected) {
    const k = left.findIndex((x) => sameMessage(x, m));
    if (k < 0) return false;
    left.splice(k, 1);
  }
  return partial || left.length === 0;
}

/** A rewritten list: the items still there kept as written, in their order, then the new ones by name (partial: nothing new added). */
function rewriteList(items: readonly { text: string; message: Message }[], actual: readonly Message[], partial: boolean): string[] {
  const left = [...actual];
  const kept: string[] = [];
  for (const it of items) {
    const k = left.findIndex((m) => sameMessage(m, it.message));
    if (k < 0) continue;
    kept.push(it.text);
    left.splice(k, 1);
  }
  return partial ? kept : [...kept, ...left.map((m) => messageKey(orderedMessage(m)))];
}

/** A list after its keyword: on the line (`; `) when it was there and stays short, else one item per continuation line; `none` when empty. */
function formatList(original: string, items: readonly string[]): string {
  if (items.length === 0) return ' none';
  const oneLine = ` ${items.join('; ')}`;
  if (!original.includes('\n') && oneLine.length <= 100) return oneLine;
  // One per line, the first on the keyword's line when the list began there.
  return original.startsWith('\n') || original.trim() === 'none' || !original.includes('\n') ? `\n${items.join('\n')}` : ` ${items.join('\n')}`;
}
