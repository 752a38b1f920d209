// The JSON a script compiles to, written for people: an object or array on one line when it fits
// (a message, an event, an entry always on one line, as the hand-written fixtures had them),
// otherwise one member per line. The same trace always gives the same bytes, so a test can tell a
// JSON file that is stale with respect to its script.
import type { Message } from '../spec/schema.js';
import { Message as MessageSchema } from '../spec/schema.js';

const WIDTH = 120;

/** The field order of each message type, as spec/schema.ts declares it. */
const FIELD_ORDER: ReadonlyMap<string, readonly string[]> = new Map(
  ((MessageSchema as unknown as { oneOf: { properties: Record<string, { const?: string }> }[] }).oneOf).map((m) => [m.properties.type?.const as string, Object.keys(m.properties)]),
);

/** A message with its fields in the schema's order (and nothing undefined): one message, one way to write it. */
export function orderedMessage(m: Message): Message {
  const order = FIELD_ORDER.get(m.type) ?? Object.keys(m);
  const src = m as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of order) if (src[k] !== undefined) out[k] = k === 'entries' ? (src[k] as Record<string, unknown>[]).map(orderedEntry) : src[k];
  for (const k of Object.keys(src)) if (!(k in out) && src[k] !== undefined) out[k] = src[k];
  return out as Message;
}

function orderedEntry(e: Record<string, unknown>): Record<string, unknown> {
  return { term: e.term, command: e.command, ...(e.config !== undefined ? { config: e.config } : {}) };
}

/** Whether a value is always written on one line: a message, an event, a log entry, a client reply. */
function atom(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (typeof o.type === 'string' && ('from' in o || 'node' in o || 'message' in o || 'groups' in o || 'link' in o || Object.keys(o).length === 1)) || ('term' in o && 'command' in o);
}

function inline(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
}

function block(v: unknown, indent: string, key: string): string {
  const one = inline(v);
  if (v === null || typeof v !== 'object' || atom(v) || indent.length + key.length + one.length <= WIDTH) return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    // Log entries are packed, several to a line; anything else one to a line.
    if (v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x) && 'term' in x && 'command' in x)) {
      const rows: string[] = [];
      for (const x of v.map(inline)) {
        const last = rows[rows.length - 1];
        if (last !== undefined && inner.length + last.length + 2 + x.length <= WIDTH) rows[rows.length - 1] = `${last}, ${x}`;
        else rows.push(x);
      }
      return `[\n${rows.map((r) => `${inner}${r}`).join(',\n')}\n${indent}]`;
    }
    return `[\n${v.map((x) => `${inner}${block(x, inner, '')}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${block(x, inner, `${JSON.stringify(k)}: `)}`).join(',\n')}\n${indent}}`;
}

/** A trace as the bytes of its JSON file. */
export function formatTraceJson(trace: unknown): string {
  const o = trace as Record<string, unknown>;
  const lines = Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => {
    if (k === 'steps' && Array.isArray(v)) {
      if (v.length === 0) return `  "steps": []`;
      // Each step expanded, its members one per line: a step reads top to bottom as the script does.
      const steps = v.map((s: Record<string, unknown>) => `    {\n${Object.entries(s).filter(([, x]) => x !== undefined).map(([sk, sv]) => `      ${JSON.stringify(sk)}: ${block(sv, '      ', `${JSON.stringify(sk)}: `)}`).join(',\n')}\n    }`);
      return `  "steps": [\n${steps.join(',\n')}\n  ]`;
    }
    return `  ${JSON.stringify(k)}: ${block(v, '  ', `${JSON.stringify(k)}: `)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}
