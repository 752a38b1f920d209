// A trace written as a script (docs/trace-scripts.md): the inverse of compileScript, used to move
// JSON fixtures to scripts. It runs the model beside the trace (as the compiler does) so that a
// message the trace delivers, drops or duplicates is named by a selector (`deliver s1->s2
// AppendEntries`: the oldest of that type on that route) wherever that names the same message,
// and by its full name elsewhere. Compiling the script gives the trace back (a test checks it on
// every fixture); fields named x-... are not kept.
//
//   npx tsx conformance/script-from-trace.ts traces/paper/election-3-nodes.json > election.trace
import { readFileSync } from 'node:fs';
import type { Configuration, Event, Expect, ExpectInitial, Message, Observation, Step, Trace } from '../spec/schema.js';
import { canonicalJson, messageKey, sameMessage } from '../spec/canonical.js';
import { profileOf } from '../spec/choices.js';
import { type ClusterState, applyEvent, inFlight, initCluster } from '../model/cluster.js';
import { FIELD_KIND, type ScriptField, formatClientCommand, formatConfig, formatReply, formatValue, word } from './script-syntax.js';

const WIDTH = 100;

/** A trace as a script that compiles back to it. */
export function traceToScript(t: Trace): string {
  const out: string[] = [];
  const text = (kw: string, s: string) => out.push(...wrapText(kw, s));
  if (t.name !== undefined) text('name', t.name);
  if (t.description !== undefined) text('description', t.description);
  if (t.source !== undefined) text('source', t.source);
  out.push(`cluster ${t.cluster.map(word).join(' ')}`);
  if (t.options && Object.keys(t.options).length > 0) out.push(`options ${Object.entries(t.options).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`)).join(' ')}`);
  if (t.configuration) out.push(`configuration ${formatConfig(t.configuration as Configuration).slice('config('.length, -1)}`);
  if (t.profile) out.push(`profile ${Object.entries(t.profile).map(([p, a]) => `${p}=${Array.isArray(a) ? a.join(',') : a}`).join(' ')}`);
  for (const [id, o] of Object.entries(t.initial ?? {})) out.push(...wrapWords(`initial ${word(id)}`, fields(o)));
  if (t.expectInitial) out.push(...expectLines(t.expectInitial, -1));
  let c: ClusterState | null = initCluster(t.cluster, t.options, t.initial, t.configuration, t.profile === undefined ? undefined : profileOf(t.profile));
  for (const [i, s] of t.steps.entries()) {
    // A blank line after a step that said more than its event: each step reads as a block.
    const prev = t.steps[i - 1];
    if (i === 0 || (prev !== undefined && (prev.expect !== undefined || prev.note !== undefined || prev.sent !== undefined))) out.push('');
    out.push(eventLine(s.event, c));
    if (c) {
      const r = applyEvent(c, s.event);
      c = 'error' in r ? null : r.state;
    }
    if (s.expect) out.push(...expectLines(s.expect, i));
    if (s.sent) out.push(...listLines(`expect ${s.sentPartial ? 'sent-partial' : 'sent'}`, s.sent.map(messageKey)));
    if (s.note !== undefined) text('note', s.note);
  }
  return `${out.join('\n')}\n`;
}

function eventLine(e: Event, c: ClusterState | null): string {
  // An event with fields this notation does not know is written as its JSON.
  if (Object.keys(e).some((k) => !KNOWN_FIELDS.has(k))) return `event ${canonicalJson(e)}`;
  switch (e.type) {
    case 'electionTimeout': return `timeout ${word(e.node)}`;
    case 'heartbeatTimeout': return `heartbeat ${word(e.node)}`;
    case 'crash': case 'restart': case 'apply': return `${e.type} ${word(e.node)}`;
    case 'clientRequest': return `request ${word(e.node)} ${formatClientCommand(e.command)}`;
    case 'clientRead': return `read ${word(e.node)} ${word(e.client)}#${e.seq} ${word(e.key)}${e.after === undefined ? '' : ` after=${e.after}`}`;
    case 'clientSync': return `sync ${word(e.node)} ${word(e.client)}#${e.seq}`;
    case 'transferLeadership': return `transfer ${word(e.node)} ${word(e.target)}`;
    case 'reconfigure': return `reconfigure ${word(e.node)} ${e.change} ${e.voters.map(word).join(',')}${e.learners ? ` learners=${e.learners.map(word).join(',')}` : ''}`;
    case 'snapshot': return `snapshot ${word(e.node)}${e.index === undefined ? '' : ` ${e.index}`}`;
    case 'inject': return `inject ${messageKey(e.message)}`;
    case 'deliver': case 'drop': case 'duplicate': return `${e.type} ${selectorOf(e.message, c)}`;
    case 'partition': return `partition ${e.groups.map((g) => g.map(word).join(',')).join(' | ')}`;
    case 'heal': return e.link ? `heal ${e.link.map(word).join(' ')}` : 'heal';
    case 'cut': return `cut ${e.link.map(word).join(' ')}`;
    case 'error': return `error ${e.node === undefined ? '' : `${word(e.node)} `}${JSON.stringify(e.message)}`;
    default: return `event ${canonicalJson(e)}`;
  }
}

/** The event fields the notation writes (an event with another, a later addition to the format, is written as JSON). */
const KNOWN_FIELDS = new Set(['type', 'node', 'command', 'client', 'seq', 'key', 'after', 'target', 'change', 'voters', 'learners', 'index', 'message', 'groups', 'link']);

/** `s1->s2 AppendEntries` when the oldest message of that type on that route is this one; else its full name. */
function selectorOf(m: Message, c: ClusterState | null): string {
  const oldest = c ? inFlight(c).find((x) => x.from === m.from && x.to === m.to && x.type === m.type) : undefined;
  return oldest && sameMessage(oldest, m) && messageKey(oldest) === messageKey(m) ? `${word(m.from)}->${word(m.to)} ${m.type}` : messageKey(m);
}

/** A server's observed fields as `field=value` words (one key of a map: `field.peer=value`). */
function fields(o: Observation): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k === 'partial') {
      for (const [f, part] of Object.entries(v as Record<string, Record<string, number>>)) for (const [peer, n] of Object.entries(part)) out.push(`${f}.${word(peer)}=${n}`);
      continue;
    }
    const kind = FIELD_KIND[k as ScriptField];
    out.push(`${k}=${kind === undefined ? JSON.stringify(v) : formatValue(kind, v)}`);
  }
  return out;
}

function expectLines(x: Expect | ExpectInitial, step: number): string[] {
  const out: string[] = [];
  for (const [id, o] of Object.entries(x.nodes ?? {})) out.push(...wrapWords(`expect ${word(id)}`, fields(o)));
  if (x.inFlight) out.push(...listLines('expect in-flight', x.inFlight.map(messageKey)));
  if (x.crashed) out.push(`expect crashed ${x.crashed.length === 0 ? 'none' : x.crashed.map(word).join(',')}`);
  if ('replies' in x && x.replies) out.push(...listLines('expect replies', x.replies.map(formatReply)));
  if (x.inFlightContains) out.push(...listLines('expect in-flight-contains', x.inFlightContains.map(messageKey), false));
  if ('sentDuring' in x && x.sentDuring) for (const d of x.sentDuring) out.push(...listLines(`expect sent-during ${d.from}..${step}`, d.contains.map(messageKey), false));
  return out;
}

/** A list after its keyword: on the line when it is short, else one item per continuation line; `none` when empty. */
function listLines(head: string, items: readonly string[], noneAllowed = true): string[] {
  if (items.length === 0 && noneAllowed) return [`${head} none`];
  const one = `${head} ${items.join('; ')}`;
  return one.length <= WIDTH ? [one] : [head, ...items.map((it) => `  ${it}`)];
}

/** Words after a head, continued on indented lines past the width. */
function wrapWords(head: string, words: readonly string[]): string[] {
  const lines: string[] = [];
  let cur = head;
  for (const w of words) {
    if (cur.length + 1 + w.length > WIDTH && cur !== head && !cur.startsWith('  ') || cur.startsWith('  ') && cur.length + 1 + w.length > WIDTH && cur.trim() !== '') {
      lines.push(cur);
      cur = `  ${w}`;
    } else cur = cur === '' ? w : `${cur} ${w}`;
  }
  lines.push(cur);
  return lines;
}

/** Free text after a keyword, wrapped at single spaces (the compiler joins continuation lines with one); JSON-quoted when it could not come back so. */
function wrapText(kw: string, s: string): string[] {
  if (s === '' || /\n|\r|\t| {2}|^\s|\s$/.test(s) || s.startsWith('"')) return [`${kw} ${JSON.stringify(s)}`];
  const words = s.split(' ');
  const lines: string[] = [];
  let cur = kw;
  for (const w of words) {
    // A continuation line must not start with # (it would be a comment).
    if (cur.length + 1 + w.length > WIDTH && cur !== kw && !w.startsWith('#')) {
      lines.push(cur);
      cur = `  ${w}`;
    } else cur = `${cur} ${w}`;
  }
  lines.push(cur);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of process.argv.slice(2)) process.stdout.write(traceToScript(JSON.parse(readFileSync(f, 'utf8')) as Trace));
}
