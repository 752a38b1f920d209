// The model's run of a trace, as the HTML report shows it: each event through the cluster reducer
// (model/cluster.ts applyEvent), what changed on each server (a per-step diff, never every full
// state: a 1000-step report stays a few MB), the trace's expectations beside the model's values,
// and every message as an arrow from the step that sent it to the step that delivered, dropped or
// lost it, matched by its canonical name (spec/canonical.ts messageKey) in send order.
import type { Entry, Event, Message, NodeId, NodeField, Observation, ProtocolOptions, Step, Trace } from '../../spec/schema.js';
import { NODE_FIELDS } from '../../spec/schema.js';
import { canonicalJson, describeMessage, messageKey, sameEntry } from '../../spec/canonical.js';
import type { Profile } from '../../spec/choices.js';
import { type ClusterState, type ClusterStep, applyEvent, initCluster, isShorterForm, separated } from '../../model/cluster.js';
import { type NodeState, toJson } from '../../model/state.js';
import { compareLogSuffix, compareObservation } from '../observe.js';
import { describeEvent } from '../replay.js';
import { type FollowLetters, Follower } from './follow.js';

/** A server's state as the report shows it: Figure 2's fields (toJson), the log being the entries after the snapshot. */
export type NodeView = Readonly<Record<Exclude<NodeField, 'log'>, unknown>> & { readonly log: readonly Entry[] };

/** A log that changed in a step: the entries from absolute index `from` on (those before it are kept, down to the snapshot). */
export interface LogChange {
  readonly from: number;
  readonly entries: readonly Entry[];
}

/** What one step changed on one server: the fields that changed, with their new values. */
export type NodeChange = Partial<Record<Exclude<NodeField, 'log'>, unknown>> & { log?: LogChange };

export interface StepChange {
  /** Only the servers whose state changed. */
  readonly nodes?: Readonly<Record<NodeId, NodeChange>>;
  /** The crashed servers after the step, when the set changed. */
  readonly crashed?: readonly NodeId[];
}

/** An expectation of the trace the model's value does not meet: the trace's value and the model's, as text. */
export interface ReportMismatch {
  readonly expected: string;
  readonly actual: string;
}

export type ArrowKind =
  /** Taken out of the network and handed to its receiver by a `deliver`. */
  | 'deliver'
  /** Taken out of the network and lost by a `drop`. */
  | 'drop'
  /** Lost as it was sent: a partition separated its sender and receiver. */
  | 'lost'
  /** In flight when a `partition` separated its sender and receiver: lost then. */
  | 'partition'
  /** Still in flight after the last step. */
  | 'inflight'
  /** Handed to its receiver from outside the network (`inject`): no send. */
  | 'inject';

export interface Arrow {
  /** The message's name (describeMessage: the canonical key, long entry lists elided). */
  readonly name: string;
  readonly from: NodeId;
  readonly to: NodeId;
  /** The step that sent it (or, for a copy made by `duplicate`, that step); null for an injected message. */
  readonly send: number | null;
  /** The step that delivered, dropped or lost it; null while still in flight at the end. */
  readonly end: number | null;
  readonly kind: ArrowKind;
  /** A copy made by a `duplicate` event. */
  readonly copy?: true;
  /** Delivered or dropped, but no step of this run sent it: the trace names a message the model never had in flight. */
  readonly unsent?: true;
}

/** One run of the model over a trace's events. */
export interface RunData {
  readonly label: string;
  readonly options: ProtocolOptions;
  readonly initial: Readonly<Record<NodeId, NodeView>>;
  /** Per step, what it changed. */
  readonly changes: readonly StepChange[];
  /** Per step, the rule IDs the model fired (without repeats). */
  readonly rules: readonly (readonly string[])[];
  /** Per step, where the model's run could not take the event as the trace wrote it and what it did instead; null elsewhere. */
  readonly remarks: readonly (string | null)[];
  /** Per step, the expectations of the trace the model's state does not meet, by server and field (`crashed` under the key ""). */
  readonly mismatches: readonly (Readonly<Record<string, Readonly<Record<string, ReportMismatch>>>> | null)[];
  readonly arrows: readonly Arrow[];
}

export interface StepInfo {
  readonly event: string;
  readonly type: Event['type'];
  /** The server the event is addressed to (a message's receiver), if any. */
  readonly node: NodeId | null;
  /** For events that name a message: its sender. */
  readonly sender?: NodeId;
  readonly note?: string;
  /** The trace's expectations of this step (`expect.nodes`, `expect.crashed`). */
  readonly expect?: Readonly<Record<NodeId, Observation>>;
  readonly expectCrashed?: readonly NodeId[];
  /** The partition in force after the step (groups), when the step set or ended one: [] after a heal. */
  readonly partition?: readonly (readonly NodeId[])[];
}

export function stepInfo(s: Step): StepInfo {
  const e = s.event;
  const node = 'node' in e && typeof e.node === 'string' ? e.node : 'message' in e && typeof e.message === 'object' ? e.message.to : null;
  return {
    event: describeEvent(e), type: e.type, node,
    ...('message' in e && typeof e.message === 'object' ? { sender: e.message.from } : {}),
    ...(s.note !== undefined ? { note: s.note } : {}),
    ...(s.expect?.nodes ? { expect: s.expect.nodes } : {}),
    ...(s.expect?.crashed ? { expectCrashed: s.expect.crashed } : {}),
    ...(e.type === 'partition' ? { partition: e.groups } : e.type === 'heal' ? { partition: [] } : {}),
  };
}

/** The report's form of a server's state. */
export function viewOf(s: NodeState): NodeView {
  return toJson(s, true) as NodeView;
}

/** Field values compared as canonical JSON (objects from toJson are new on every call). */
type Seen = { fields: Map<string, string>; log: readonly Entry[]; snapshotIndex: number };

function seen(v: NodeView, snapshotIndex: number): Seen {
  const fields = new Map<string, string>();
  for (const f of NODE_FIELDS) if (f !== 'log') fields.set(f, canonicalJson(v[f]));
  return { fields, log: v.log, snapshotIndex };
}

/**
 * The first absolute index at which two logs differ (both after their own snapshot; the new
 * snapshot is never behind the old one): the entries before it, down to the new snapshot, are kept.
 */
function logChange(before: Seen, after: Seen): LogChange | null {
  const entries = after.log;
  const lastBefore = before.snapshotIndex + before.log.length;
  const lastAfter = after.snapshotIndex + entries.length;
  let i = after.snapshotIndex + 1;
  while (i <= lastBefore && i <= lastAfter && i > before.snapshotIndex
    && sameEntry(before.log[i - before.snapshotIndex - 1] as Entry, entries[i - after.snapshotIndex - 1] as Entry)) i++;
  if (i > lastAfter && lastBefore === lastAfter && after.snapshotIndex === before.snapshotIndex) return null;
  return { from: i, entries: entries.slice(i - after.snapshotIndex - 1) };
}

interface Pending {
  readonly message: Message;
  readonly key: string;
  readonly send: number;
  readonly copy: boolean;
  /** Sent by another run that explained its step as well as the one taken: drawn only if a later step delivers or drops it. */
  readonly optional?: true;
}

/**
 * The messages a step sent, as the trace observed them where it did (its complete `sent` list:
 * what the implementation sent), else the model's; with `sentPartial`, the model's plus those the
 * trace lists that the model did not send.
 */
function sendsOf(s: Step, r: ClusterStep): readonly Message[] {
  if (s.sent === undefined) return r.sent;
  if (!s.sentPartial) return s.sent;
  const keys = new Set(r.sent.map(messageKey));
  return [...r.sent, ...s.sent.filter((m) => !keys.has(messageKey(m)))];
}

/** A step that changed nothing (the model's run could not take the event as written). */
const unchanged = (c: ClusterState): ClusterStep => ({ state: c, node: null, sent: [], applied: [], replies: [], rules: [] });

/**
 * Runs the trace's events through the model (its own options, or `options`; the first alternative
 * a profile permits at each choice point, as `check` does). Where the model cannot take an event as
 * written (a `deliver` of a message it never had in flight: the implementation took another
 * alternative), it goes on as `validate --keep-going` does, handing the message over as if
 * injected, and says so in the step's remark: the report still shows every later step.
 *
 * With `follow` (the page of a `validate` run), the replay follows the trace step by step
 * (follow.ts): where the profile's run of a step does not explain what the step observes, it takes
 * the first run under the alternatives `follow` permits that does (so a trace that took DEC-19a
 * at one step and DEC-19b at another is followed at both), and only where none does falls back to
 * the above. One explanation of the trace, chosen greedily at each step, not every one `validate`
 * kept. The configuration's reading (DEC-24) is decided once, by `profile`, as the search decides
 * it once per run.
 */
export function runForReport(trace: Trace, label: string, options: ProtocolOptions | undefined, profile: Profile | undefined, follow?: FollowLetters): RunData {
  let c = initCluster(trace.cluster, options, trace.initial, trace.configuration, profile);
  const initial: Record<NodeId, NodeView> = {};
  const last = new Map<NodeId, Seen>();
  for (const id of trace.cluster) {
    const s = c.nodes[id] as NodeState;
    const view = viewOf(s);
    initial[id] = view;
    last.set(id, seen(view, s.snapshotIndex));
  }
  const changes: StepChange[] = [];
  const rules: string[][] = [];
  const remarks: (string | null)[] = [];
  const mismatches: RunData['mismatches'][number][] = [];
  const arrows: Arrow[] = [];
  // Copies in flight in send order, by canonical name.
  const pending = new Map<string, Pending[]>();
  const push = (p: Pending) => {
    const q = pending.get(p.key);
    if (q) q.push(p);
    else pending.set(p.key, [p]);
  };
  /** The earliest copy of this message in flight, else (DEC-6b) the earliest it is a shorter form of. */
  const find = (m: Message): Pending | undefined => {
    const exact = pending.get(messageKey(m))?.[0];
    if (exact || m.type !== 'AppendEntries') return exact;
    let best: Pending | undefined;
    for (const q of pending.values()) for (const p of q) if (isShorterForm(m, p.message) && (!best || p.send < best.send)) best = p;
    return best;
  };
  const takeOut = (p: Pending) => {
    const q = pending.get(p.key) as Pending[];
    q.splice(q.indexOf(p), 1);
    if (q.length === 0) pending.delete(p.key);
  };
  const arrowOf = (p: Pending, end: number | null, kind: ArrowKind): Arrow => ({
    name: describeMessage(p.message), from: p.message.from, to: p.message.to, send: p.send, end, kind, ...(p.copy ? { copy: true as const } : {}),
  });

  const follower = follow ? new Follower(follow) : null;
  // How many steps took another run than the profile's.
  let others = 0;
  for (const [i, s] of trace.steps.entries()) {
    const e = s.event;
    let remark: string | null = null;
    let r = applyEvent(c, e);
    const followed = follower?.choose(c, s, r) ?? null;
    if (followed) {
      r = followed.r;
      if (followed.other) others++;
    }
    if ('error' in r) {
      if (e.type === 'deliver') {
        remark = `the model's run has no copy of this message in flight (${r.error}): handed to ${e.message.to} as if injected`;
        r = applyEvent(c, { type: 'inject', message: e.message });
      }
      if ('error' in r) {
        remark = `the model's run cannot take this event (${r.error}): nothing changed`;
        r = unchanged(c);
      }
    }
    // Arrows: what the event takes out of the network, then what the step sent.
    if (e.type === 'deliver' || e.type === 'drop') {
      const p = find(e.message);
      if (p) {
        takeOut(p);
        arrows.push(arrowOf(p, i, e.type));
      } else {
        arrows.push({ name: describeMessage(e.message), from: e.message.from, to: e.message.to, send: null, end: i, kind: e.type, unsent: true });
      }
    } else if (e.type === 'duplicate') {
      if (find(e.message)) push({ message: e.message, key: messageKey(e.message), send: i, copy: true });
    } else if (e.type === 'inject') {
      arrows.push({ name: describeMessage(e.message), from: e.message.from, to: e.message.to, send: null, end: i, kind: 'inject' });
    }
    const partition = r.state.partition;
    if (e.type === 'partition' && partition) {
      for (const q of [...pending.values()]) for (const p of [...q]) if (separated(partition, p.message)) {
        takeOut(p);
        if (!p.optional) arrows.push(arrowOf(p, i, 'partition'));
      }
    }
    for (const m of sendsOf(s, r)) {
      const p: Pending = { message: m, key: messageKey(m), send: i, copy: false };
      if (partition && separated(partition, m)) arrows.push(arrowOf(p, i, 'lost'));
      else push(p);
    }
    for (const m of followed?.optional ?? []) push({ message: m, key: messageKey(m), send: i, copy: false, optional: true });
    changes.push(changeOf(c, r.state, last));
    rules.push([...new Set(r.rules)]);
    remarks.push(remark);
    mismatches.push(s.expect ? mismatchesOf(s.expect, r.state) : null);
    follower?.after(s, r);
    c = r.state;
  }
  const rest = [...pending.values()].flat().filter((p) => !p.optional).sort((a, b) => a.send - b.send);
  for (const p of rest) arrows.push(arrowOf(p, null, 'inflight'));
  const note = others > 0 ? `; at ${others} step${others === 1 ? '' : 's'} another permitted alternative, where what the step observes needs it` : '';
  return { label: label + note, options: options ?? {}, initial, changes, rules, remarks, mismatches, arrows };
}

function changeOf(prev: ClusterState, next: ClusterState, last: Map<NodeId, Seen>): StepChange {
  const nodes: Record<NodeId, NodeChange> = {};
  for (const id of next.servers) {
    const a = prev.nodes[id];
    const b = next.nodes[id] as NodeState;
    if (a === b) continue;
    const before = last.get(id) as Seen;
    // The log is copied out only when it may have changed (toJson copies it whole).
    const logMoved = a?.log !== b.log || a?.snapshotIndex !== b.snapshotIndex;
    const view = logMoved ? viewOf(b) : { ...(toJson(b, false) as NodeView), log: before.log };
    const after = seen(view, b.snapshotIndex);
    const change: NodeChange = {};
    for (const [f, text] of after.fields) if (before.fields.get(f) !== text) (change as Record<string, unknown>)[f] = view[f as keyof NodeView];
    if (logMoved) {
      const l = logChange(before, after);
      if (l) change.log = l;
    }
    last.set(id, after);
    if (Object.keys(change).length > 0) nodes[id] = change;
  }
  const crashedChanged = prev.crashed.size !== next.crashed.size || [...next.crashed].some((id) => !prev.crashed.has(id));
  return {
    ...(Object.keys(nodes).length > 0 ? { nodes } : {}),
    ...(crashedChanged ? { crashed: [...next.crashed].sort() } : {}),
  };
}

function mismatchesOf(expect: NonNullable<Step['expect']>, c: ClusterState): Record<string, Record<string, ReportMismatch>> | null {
  const out: Record<string, Record<string, ReportMismatch>> = {};
  const put = (node: string, field: string, m: ReportMismatch) => { (out[node] ??= {})[field] = m; };
  for (const [id, o] of Object.entries(expect.nodes ?? {})) {
    const actual = c.nodes[id];
    if (!actual) continue;
    for (const m of compareObservation(id, o, toJson(actual, o.log !== undefined))) put(id, m.field, { expected: m.expected, actual: m.actual });
    const s = o.logSuffix ? compareLogSuffix(id, o.logSuffix, actual.log, actual.snapshotIndex) : null;
    if (s) put(id, 'logSuffix', { expected: s.expected, actual: s.actual });
  }
  if (expect.crashed) {
    const want = [...expect.crashed].sort().join(', ');
    const got = [...c.crashed].sort().join(', ');
    if (want !== got) put('', 'crashed', { expected: `[${want}]`, actual: `[${got}]` });
  }
  return Object.keys(out).length > 0 ? out : null;
}
