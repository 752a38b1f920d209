// The space-time diagram: one lane per server, time running down one row per step, each message an
// arrow from the row that sent it to the row that delivered, dropped or lost it; events marked on
// the lane of the server they reach; crashes and partitions shaded. Plain SVG markup, drawn once
// here; the page's script only moves the selection.
import type { NodeId } from '../../spec/schema.js';
import type { Arrow, ArrowKind, RunData, StepInfo } from './timeline.js';

export const ROW = 18;
const HEAD = 44;
const LANE = 120;
const FOOT = 34;

/** Text for HTML or SVG: markup characters escaped, and `://` broken so that the file holds no address (a trace's note may quote one). */
export function escapeText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/:\/\//g, ':&#47;&#47;');
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface DiagramOptions {
  /** Width of the label column (step numbers and events); 0 for a diagram beside another that has them. */
  readonly labels: boolean;
  /** The step to mark as failing (or first differing). */
  readonly failing: number | null;
  /** Prefix of the ids in this diagram (two diagrams share a page in `diff`). */
  readonly id: string;
  readonly title: string;
}

/** Where the crashes and partitions of the run were, from its events. */
function spans(steps: readonly StepInfo[]): { crashes: Array<{ node: NodeId; from: number; to: number }>; partitions: Array<{ groups: readonly (readonly NodeId[])[]; from: number; to: number }> } {
  const crashes: Array<{ node: NodeId; from: number; to: number }> = [];
  const partitions: Array<{ groups: readonly (readonly NodeId[])[]; from: number; to: number }> = [];
  const down = new Map<NodeId, number>();
  let part: { groups: readonly (readonly NodeId[])[]; from: number } | null = null;
  steps.forEach((s, i) => {
    if (s.type === 'crash' && s.node !== null && !down.has(s.node)) down.set(s.node, i);
    if (s.type === 'restart' && s.node !== null && down.has(s.node)) {
      crashes.push({ node: s.node, from: down.get(s.node) as number, to: i });
      down.delete(s.node);
    }
    if (s.partition !== undefined) {
      if (part) partitions.push({ ...part, to: i });
      part = s.partition.length > 0 ? { groups: s.partition, from: i } : null;
    }
  });
  for (const [node, from] of down) crashes.push({ node, from, to: steps.length });
  if (part !== null) partitions.push({ ...(part as { groups: readonly (readonly NodeId[])[]; from: number }), to: steps.length });
  return { crashes, partitions };
}

const KINDS: readonly ArrowKind[] = ['deliver', 'drop', 'lost', 'partition', 'inflight', 'inject'];

export function diagram(servers: readonly NodeId[], steps: readonly StepInfo[], run: RunData, o: DiagramOptions): string {
  const left = o.labels ? 300 : 44;
  const laneX = new Map(servers.map((id, k) => [id, left + 40 + k * LANE]));
  const x = (id: NodeId) => laneX.get(id) ?? left;
  const y = (i: number) => HEAD + i * ROW + ROW / 2;
  const width = left + 40 + Math.max(0, servers.length - 1) * LANE + 60;
  const bottom = HEAD + steps.length * ROW;
  const height = bottom + FOOT;
  const out: string[] = [];
  out.push(`<svg class="diagram" id="${o.id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeText(o.title)}">`);
  out.push('<defs>');
  for (const k of KINDS) {
    const shape = k === 'deliver' || k === 'inject' || k === 'inflight'
      ? '<path d="M0,0 L8,4 L0,8 z"/>'
      : '<path d="M0,0 L8,8 M8,0 L0,8" stroke-width="2"/>';
    out.push(`<marker id="${o.id}-m-${k}" class="m-${k}" viewBox="0 0 8 8" refX="${k === 'deliver' || k === 'inject' || k === 'inflight' ? 8 : 4}" refY="4" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">${shape}</marker>`);
  }
  out.push('</defs>');
  out.push(`<text class="title" x="6" y="14">${escapeText(clip(o.title, 80))}</text>`);
  // Shading first, so that everything else is drawn over it.
  const { crashes, partitions } = spans(steps);
  for (const p of partitions) {
    const group = new Map<NodeId, number>();
    p.groups.forEach((g, k) => g.forEach((id) => group.set(id, k)));
    for (const id of servers) {
      out.push(`<rect class="partition g${(group.get(id) ?? p.groups.length) % 4}" x="${x(id) - 36}" y="${HEAD + p.from * ROW}" width="72" height="${(p.to - p.from) * ROW}"><title>partition ${escapeText(p.groups.map((g) => `{${g.join(',')}}`).join(' | '))} from step ${p.from}</title></rect>`);
    }
  }
  for (const c of crashes) {
    out.push(`<rect class="crash" x="${x(c.node) - 9}" y="${HEAD + c.from * ROW + ROW / 2}" width="18" height="${(c.to - c.from) * ROW}"><title>${escapeText(c.node)} down from step ${c.from}${c.to < steps.length ? ` to step ${c.to}` : ''}</title></rect>`);
  }
  // Rows: one per step, the target of clicks and the selection.
  for (let i = 0; i < steps.length; i++) {
    out.push(`<rect class="row${i === o.failing ? ' failing' : ''}" data-step="${i}" x="0" y="${HEAD + i * ROW}" width="${width}" height="${ROW}"/>`);
  }
  for (const id of servers) {
    out.push(`<line class="lane" x1="${x(id)}" y1="${HEAD - 6}" x2="${x(id)}" y2="${bottom + 8}"/>`);
    out.push(`<text class="server" x="${x(id)}" y="${HEAD - 10}" text-anchor="middle">${escapeText(id)}</text>`);
  }
  for (const [i, s] of steps.entries()) {
    const label = o.labels ? `${i}  ${clip(s.event, 44)}` : String(i);
    out.push(`<text class="label" data-step="${i}" x="6" y="${y(i) + 4}">${escapeText(label)}</text>`);
    const remark = run.remarks[i] !== null;
    if (s.type === 'partition' || s.type === 'heal') {
      out.push(`<line class="cut" data-step="${i}" x1="${left + 10}" y1="${y(i)}" x2="${width - 10}" y2="${y(i)}"/>`);
    } else if (s.node !== null && s.type !== 'drop' && s.type !== 'duplicate') {
      out.push(`<circle class="event t-${s.type}${remark ? ' remark' : ''}" data-step="${i}" cx="${x(s.node)}" cy="${y(i)}" r="4.5"/>`);
    } else if (s.type === 'duplicate' && s.sender !== undefined) {
      out.push(`<rect class="event t-duplicate" data-step="${i}" x="${x(s.sender) - 4}" y="${y(i) - 4}" width="8" height="8"/>`);
    } else if (s.type === 'error') {
      out.push(`<circle class="event t-error" data-step="${i}" cx="${left + 16}" cy="${y(i)}" r="4.5"/>`);
    }
  }
  for (const a of run.arrows) out.push(arrow(a, o.id, x, y, bottom));
  out.push('</svg>');
  return out.join('\n');
}

function arrow(a: Arrow, id: string, x: (n: NodeId) => number, y: (i: number) => number, bottom: number): string {
  const fx = x(a.from);
  const tx = x(a.to);
  let x1 = fx;
  let y1 = a.send === null ? 0 : y(a.send);
  let x2 = tx;
  let y2 = a.end === null ? bottom + 20 : y(a.end);
  const toward = (f: number) => fx + (tx - fx) * f;
  switch (a.kind) {
    case 'deliver':
    case 'drop':
      if (a.send === null) y1 = y2 - ROW; // no step of this run sent it
      if (a.kind === 'drop') x2 = toward(0.6);
      break;
    case 'lost':
      x2 = toward(0.3);
      y2 = y1 + ROW * 0.6;
      break;
    case 'partition':
      x2 = toward(0.5);
      break;
    case 'inflight':
      x2 = toward(0.8);
      break;
    case 'inject':
      x1 = tx - 34;
      y1 = y2 - ROW * 1.2;
      break;
  }
  const cls = `arrow ${a.kind}${a.copy ? ' copy' : ''}${a.unsent ? ' unsent' : ''}`;
  const data = `${a.send === null ? '' : ` data-send="${a.send}"`}${a.end === null ? '' : ` data-end="${a.end}"`}`;
  const what = `${a.name}: ${a.send === null ? (a.kind === 'inject' ? 'injected' : 'sent by no step of this run') : `sent at step ${a.send}${a.copy ? ' (a copy made by duplicate)' : ''}`}, ${a.end === null ? 'still in flight at the end' : `${a.kind === 'deliver' || a.kind === 'inject' ? 'delivered' : a.kind === 'drop' ? 'dropped' : 'lost to a partition'} at step ${a.end}`}`;
  return `<line class="${cls}"${data} x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" marker-end="url(#${id}-m-${a.kind})"><title>${escapeText(what)}</title></line>`;
}

const r1 = (n: number): string => String(Math.round(n * 10) / 10);
