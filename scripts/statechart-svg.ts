// Draws the xstate statechart of model/statechart.ts as docs/statechart.svg (`npm run
// statechart:draw`); with --check, exits 1 when the file is out of date instead of writing it
// (test/statechart-picture.test.ts fails then too).
//
// The layout is computed here, without a layout library, so that the file is the same byte for
// byte on every machine: the roles as boxes in one column (in the order of an election), each
// listing per event the rule IDs of the rows that keep the role; arrows for the rows that change
// it, labelled with event, guard and rule IDs (straight between neighbours, around the column
// otherwise: down on the right, up on the left); the rows every role shares in a box of their
// own above, and the eventless moves to the role an action set as dashed arrows from the
// machine's border. Every rule ID links to rules.md. Labels are placed where they overlap
// nothing, and drawing fails rather than let two overlap.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { serverMachine } from '../model/statechart.js';
import { type Chart, type ChartRow, shareRows, walk } from './statechart-walk.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SVG_PATH = join(ROOT, 'docs', 'statechart.svg');
const SELF = fileURLToPath(import.meta.url);

/** Reading order: the way an election goes. Roles the machine adds later follow in its own order. */
const ORDER = ['follower', 'precandidate', 'candidate', 'leader'];

// Monospace text, so that a width can be computed from a number of characters (0.6em, and a little more).
const FONT = 12;
const CW = 7.5;
const LH = 15;
const PAD = 10;
const TITLE_H = 26;
const RULE_COLUMN = 32; // characters of rule IDs on one line of a box
const ARC_WIDTH = 30; // characters of a label beside a lane
const LANE_GAP = 28; // from a box to its first lane
const PORT = 14; // between two ports on one side of a box

type Kind = 'event' | 'guard' | 'rule' | 'mute';
interface Span { readonly text: string; readonly kind: Kind }
type Line = readonly Span[];
interface Rect { readonly x: number; readonly y: number; readonly w: number; readonly h: number; readonly what: string }

const chars = (line: Line): number => line.reduce((n, s) => n + s.text.length, 0) + Math.max(0, line.length - 1);
const widthOf = (lines: readonly Line[]): number => Math.ceil(Math.max(0, ...lines.map(chars)) * CW);

/** Greedy wrapping at span boundaries; a span longer than the width gets a line of its own. */
function wrap(spans: readonly Span[], width: number): Line[] {
  const lines: Span[][] = [];
  let line: Span[] = [];
  for (const s of spans) {
    if (line.length > 0 && chars([...line, s]) > width) {
      lines.push(line);
      line = [];
    }
    line.push(s);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (n: number): string => String(Math.round(n));
const rulesOf = (r: ChartRow): Span[] => [...r.rules.map((id): Span => ({ text: id, kind: 'rule' })), ...(r.again ? [{ text: '↻', kind: 'mute' } as Span] : [])];
const eventName = (r: ChartRow): string => r.event ?? 'always';

/** A row in words, for the tooltip: where, on what, under which guard, doing what, citing which rules. */
function describe(r: ChartRow, all: readonly string[]): string {
  const where = r.roles.length === all.length && all.length > 1 ? 'every role' : r.roles.join(', ');
  const to = r.target === null ? '' : ` → ${r.target}`;
  const doing = [...r.actions, ...(r.again ? ['then the same event again'] : [])].join(', ');
  return `${where}${to} on ${eventName(r)}${r.guard === null ? '' : ` [${r.guard}]`}: ${doing} (${r.rules.join(', ')})`;
}

function textOf(line: Line, x: number, y: number, anchor: 'start' | 'end' = 'start'): string {
  const body = line.map((s) => {
    const t = `<tspan class="${s.kind}">${esc(s.text)}</tspan>`;
    if (s.kind !== 'rule') return t;
    const href = `rules.md#${s.text.toLowerCase()}`;
    return `<a href="${href}" xlink:href="${href}">${t}</a>`;
  }).join(' ');
  return `<text x="${px(x)}" y="${px(y)}"${anchor === 'end' ? ' text-anchor="end"' : ''}>${body}</text>`;
}

/** A block of lines whose top is at y (baselines one line height apart). */
const blockOf = (lines: readonly Line[], x: number, y: number, anchor: 'start' | 'end' = 'start'): string[] =>
  lines.flatMap((l, i) => (l.length === 0 ? [] : [textOf(l, x, y + 11 + i * LH, anchor)]));

// ---------------------------------------------------------------------------------------------
// What is drawn

interface BoxLine { readonly event: string; readonly lines: readonly Line[]; readonly tip: string }
interface Node { readonly key: string; readonly title: string; readonly shared: boolean; readonly lines: readonly BoxLine[] }
interface Edge {
  /** Indexes into the nodes; a dashed move comes from the machine's border (-1). */
  readonly from: number;
  readonly to: number;
  /** The roles whose transitions it draws (its data-from). */
  readonly roles: readonly string[];
  readonly target: string;
  /** The rows it draws, or for a dashed move its guards. */
  readonly rows: readonly ChartRow[];
  readonly guards: readonly string[];
  readonly tip: string;
  readonly sync: boolean;
}

/** Per event, the rule IDs of the rows that keep the role, in order, rows apart by `·`; `…` after the shared rows. */
function boxLines(rows: readonly ChartRow[], sharedEvents: ReadonlySet<string | null>, all: readonly string[]): BoxLine[] {
  const events = [...new Set(rows.map((r) => r.event))];
  return events.map((event) => {
    const these = rows.filter((r) => r.event === event);
    const spans: Span[] = sharedEvents.has(event) ? [{ text: '…', kind: 'mute' }] : [];
    these.forEach((r, i) => spans.push(...(i > 0 ? [{ text: '·', kind: 'mute' } as Span] : []), ...rulesOf(r)));
    return { event: event ?? 'always', lines: wrap(spans, RULE_COLUMN), tip: these.map((r) => describe(r, all)).join('\n') };
  });
}

/** An arrow's label: per (guard, rules) its events, then the guard and the rule IDs. */
function edgeLabel(rows: readonly ChartRow[], width: number): Line[] {
  const groups: { events: string[]; row: ChartRow }[] = [];
  for (const r of rows) {
    const g = groups.find((x) => x.row.guard === r.guard && x.row.again === r.again && x.row.rules.join() === r.rules.join());
    if (g) {
      if (!g.events.includes(eventName(r))) g.events.push(eventName(r));
    } else groups.push({ events: [eventName(r)], row: r });
  }
  const blocks = groups.map(({ events, row }): Line[] => {
    const ev = events.map((e, i): Span => ({ text: i < events.length - 1 ? `${e},` : e, kind: 'event' }));
    const rest: Span[] = [...(row.guard === null ? [] : [{ text: `[${row.guard}]`, kind: 'guard' } as Span]), ...rulesOf(row)];
    const one = [...ev, ...rest];
    if (chars(one) <= width) return [one];
    // The guard on a line of its own when it and the rule IDs do not fit on one.
    const tail = chars(rest) <= width || row.guard === null ? wrap(rest, width) : [[rest[0] as Span], ...wrap(rest.slice(1), width)];
    return [...wrap(ev, width), ...tail];
  });
  // Groups of more than one line are kept apart by an empty line.
  return blocks.some((b) => b.length > 1) ? blocks.flatMap((b, i) => (i === 0 ? b : [[], ...b])) : blocks.flat();
}

function chartNodes(chart: Chart): { nodes: Node[]; edges: Edge[] } {
  const { shared, own } = shareRows(chart);
  const roles = [...ORDER.filter((r) => chart.roles.includes(r)), ...chart.roles.filter((r) => !ORDER.includes(r))];
  const keeps = (r: ChartRow): boolean => r.target === null || (r.roles.length === 1 && r.target === r.roles[0]);
  const sharedEvents = new Set(shared.map((r) => r.event));
  const nodes: Node[] = [
    ...(shared.length === 0 ? [] : [{ key: '*', title: 'every role', shared: true, lines: boxLines(shared.filter((r) => r.target === null), new Set(), chart.roles) }]),
    ...roles.map((role) => ({ key: role, title: role, shared: false, lines: boxLines(own.filter((r) => r.roles[0] === role && keeps(r)), sharedEvents, chart.roles) })),
  ];
  const index = (key: string): number => {
    const i = nodes.findIndex((n) => n.key === key);
    if (i < 0) throw new Error(`statechart picture: a transition to ${key}, which is not a state of the machine`);
    return i;
  };
  const moves = [...shared.filter((r) => r.target !== null), ...own.filter((r) => !keeps(r))];
  const pairs = [...new Set(moves.map((r) => `${r.roles.length > 1 ? '*' : r.roles[0]}>${r.target}`))];
  const edges: Edge[] = pairs.map((pair) => {
    const [from = '', to = ''] = pair.split('>');
    const rows = moves.filter((r) => (r.roles.length > 1 ? '*' : r.roles[0]) === from && r.target === to);
    return { from: index(from), to: index(to), roles: rows[0]?.roles ?? [], target: to, rows, guards: [], sync: false, tip: rows.map((r) => describe(r, chart.roles)).join('\n') };
  });
  for (const to of roles) {
    const moves = chart.sync.filter((s) => s.to === to);
    if (moves.length === 0) continue;
    const guards = [...new Set(moves.map((s) => s.guard))];
    edges.push({
      from: -1, to: index(to), roles: moves.map((s) => s.from), target: to, rows: [], guards, sync: true,
      tip: `${moves.map((s) => s.from).join(', ')} → ${to}, without an event, when an action made the server a ${to} [${guards.join(', ')}]`,
    });
  }
  return { nodes, edges };
}

// ---------------------------------------------------------------------------------------------
// Where it goes

/** docs/statechart.svg for this machine. */
export function renderStatechartSvg(machine: AnyStateMachine = serverMachine): string {
  const chart = walk(machine);
  const { nodes, edges: drawn } = chartNodes(chart);
  const eventColumn = Math.max(...nodes.flatMap((n) => n.lines.map((l) => l.event.length))) + 2;
  const boxW = Math.ceil(2 * PAD + (eventColumn + RULE_COLUMN) * CW);
  const cx = boxW / 2;
  // A straight arrow's label stays within its half of the column; one beside a lane gets a width of its own.
  const straightWidth = Math.floor((boxW / 2 - 24) / CW);
  const edges = drawn.map((e) => ({
    ...e,
    label: e.sync
      ? [[{ text: 'always', kind: 'event' }, ...e.guards.map((g): Span => ({ text: `[${g}]`, kind: 'guard' }))] as Line]
      : edgeLabel(e.rows, Math.abs(e.from - e.to) === 1 ? straightWidth : ARC_WIDTH),
  }));
  type Drawn = (typeof edges)[number];

  // Vertically: the boxes (tall enough for their lines, and for the ports of the arrows around
  // the column on either side), and between neighbours a gap tall enough for the labels of its arrows.
  const ports = (i: number, side: 'L' | 'R'): number => edges.filter((e) => !e.sync && Math.abs(e.from - e.to) > 1 && (e.to > e.from) === (side === 'R') && (e.from === i || e.to === i)).length;
  const heights = nodes.map((n, i) => Math.max(
    TITLE_H + PAD + Math.max(2, n.lines.reduce((k, l) => k + l.lines.length, 0)) * LH,
    TITLE_H + 8 + (Math.max(ports(i, 'L'), ports(i, 'R')) + 1) * PORT,
  ));
  const top: number[] = [];
  let y = 52;
  nodes.forEach((_, i) => {
    top.push(y);
    const gapLabels = edges.filter((e) => !e.sync && Math.min(e.from, e.to) === i && Math.abs(e.from - e.to) === 1);
    y += (heights[i] ?? 0) + Math.max(48, ...gapLabels.map((e) => e.label.length * LH + 24));
  });
  const box = (i: number): Rect => ({ x: 0, y: top[i] ?? 0, w: boxW, h: heights[i] ?? 0, what: nodes[i]?.title ?? '' });

  // Ports on each side of a box: the right side takes the dashed move in, arrows coming down in
  // near the top and arrows going down out near the bottom; the left side, the same for arrows going up.
  const used = new Map<string, number>();
  const port = (i: number, side: 'L' | 'R', end: 'top' | 'bottom'): number => {
    const k = used.get(`${i}${side}${end}`) ?? 0;
    used.set(`${i}${side}${end}`, k + 1);
    const b = box(i);
    return end === 'top' ? b.y + TITLE_H + 8 + k * PORT : b.y + b.h - PORT - k * PORT;
  };

  // Around the column: lanes, the shorter arrows nearer the boxes.
  const arcs = edges.filter((e) => !e.sync && Math.abs(e.from - e.to) > 1);
  const lanes = new Map<Drawn, number>();
  for (const side of ['R', 'L'] as const) {
    const these = arcs.filter((e) => (side === 'R') === (e.to > e.from)).sort((a, b) => Math.abs(a.from - a.to) - Math.abs(b.from - b.to) || Math.min(a.from, a.to) - Math.min(b.from, b.to));
    const taken: Drawn[][] = [];
    for (const e of these) {
      const [lo, hi] = [Math.min(e.from, e.to), Math.max(e.from, e.to)];
      let k = 0;
      while ((taken[k] ?? []).some((o) => lo < Math.max(o.from, o.to) && Math.min(o.from, o.to) < hi)) k++;
      (taken[k] ??= []).push(e);
      lanes.set(e, k);
    }
  }
  const arcWidth = Math.max(0, ...arcs.map((e) => widthOf(e.label)));
  const routes = [...arcs].sort((a, b) => (lanes.get(a) ?? 0) - (lanes.get(b) ?? 0)).map((e) => {
    const down = e.to > e.from;
    const k = lanes.get(e) ?? 0;
    const x = down ? boxW + LANE_GAP + k * (arcWidth + 40) : -LANE_GAP - k * (arcWidth + 40);
    return { e, down, x, y1: port(e.from, down ? 'R' : 'L', down ? 'bottom' : 'top'), y2: port(e.to, down ? 'R' : 'L', down ? 'top' : 'bottom') };
  });
  const syncs = edges.filter((e) => e.sync);
  const syncWidth = Math.max(0, ...syncs.map((e) => widthOf(e.label)));
  // The dashed moves' labels share the column of the labels beside the outermost lane on the right.
  const right = Math.max(boxW + LANE_GAP + syncWidth + 20, ...routes.filter((r) => r.down).map((r) => r.x + Math.max(arcWidth, syncWidth) + 20));
  const left = Math.min(-LANE_GAP - 20, ...routes.filter((r) => !r.down).map((r) => r.x - arcWidth - 20));

  // Nothing written over a box, a lane or another label.
  const overlap = (a: Rect, b: Rect): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const taken: Rect[] = [
    ...nodes.map((_, i) => box(i)),
    ...routes.map((r) => ({ x: r.x - 1, y: Math.min(r.y1, r.y2), w: 2, h: Math.abs(r.y2 - r.y1), what: `the lane of ${nodes[r.e.from]?.title} → ${r.e.target}` })),
  ];
  const free = (r: Rect): boolean => taken.every((o) => !overlap(r, o));
  const place = (r: Rect): void => {
    const hit = taken.find((o) => overlap(r, o));
    if (hit) throw new Error(`statechart picture: the label of ${r.what} overlaps ${hit.what}`);
    taken.push(r);
  };
  const out: string[] = [];
  const edgeOpen = (e: Drawn): string =>
    `<g class="edge${e.sync ? ' sync' : ''}" data-from="${esc(e.roles.join(' '))}" data-to="${esc(e.target)}"><title>${esc(e.tip)}</title>`;

  // The dashed moves: from the border, at the box's title.
  for (const e of syncs) {
    const yy = box(e.to).y + 13;
    const w = widthOf(e.label);
    place({ x: right - 6 - w, y: yy - LH - 2, w, h: LH, what: `the move to ${e.target}` });
    out.push(edgeOpen(e), `<path class="arrow" d="M${px(right - 4)},${px(yy)} H${px(boxW)}"/>`, ...blockOf(e.label, right - 6, yy - LH - 2, 'end'), '</g>');
  }

  // Straight arrows between neighbours: down right of the middle, up left of it, labels beside them.
  for (const e of edges.filter((x) => !x.sync && Math.abs(x.from - x.to) === 1)) {
    const down = e.to > e.from;
    const upper = box(Math.min(e.from, e.to));
    const lower = box(Math.max(e.from, e.to));
    const x = down ? cx + 14 : cx - 14;
    const y1 = upper.y + upper.h;
    const y2 = lower.y;
    const h = e.label.length * LH;
    const ly = Math.round((y1 + y2) / 2 - h / 2);
    const w = widthOf(e.label);
    place({ x: down ? x + 8 : x - 8 - w, y: ly, w, h, what: `${nodes[e.from]?.title} → ${e.target}` });
    const d = down ? `M${px(x)},${px(y1)} V${px(y2)}` : `M${px(x)},${px(y2)} V${px(y1)}`;
    out.push(edgeOpen(e), `<path class="arrow" d="${d}"/>`, ...blockOf(e.label, down ? x + 8 : x - 8, ly, down ? 'start' : 'end'), '</g>');
  }

  // Around the column: out of the source's side, along the lane, into the target's side; the
  // label beside the lane, as near its middle as it finds room.
  for (const { e, down, x, y1, y2 } of routes) {
    const edgeX = down ? boxW : 0;
    const w = widthOf(e.label);
    const h = e.label.length * LH;
    const [lo, hi] = [Math.min(y1, y2), Math.max(y1, y2)];
    const tx = down ? x + 8 : x - 8;
    const rectAt = (yy: number): Rect => ({ x: down ? tx : tx - w, y: yy, w, h, what: `${nodes[e.from]?.title} → ${e.target}` });
    const middle = Math.round((lo + hi) / 2 - h / 2);
    const tries = Array.from({ length: Math.ceil((hi - lo) / 8) + 1 }, (_, k) => middle + (k % 2 === 0 ? 1 : -1) * Math.ceil(k / 2) * 8).filter((yy) => yy >= lo && yy + h <= hi);
    const ly = tries.find((yy) => free(rectAt(yy)));
    if (ly === undefined) throw new Error(`statechart picture: no room beside its lane for the label of ${nodes[e.from]?.title} → ${e.target}`);
    place(rectAt(ly));
    out.push(edgeOpen(e), `<path class="arrow" d="M${px(edgeX)},${px(y1)} H${px(x)} V${px(y2)} H${px(edgeX)}"/>`, ...blockOf(e.label, tx, ly, down ? 'start' : 'end'), '</g>');
  }

  // The boxes, and the initial state's dot.
  const boxes: string[] = [];
  nodes.forEach((n, i) => {
    const b = box(i);
    const attrs = n.shared ? `class="shared" data-roles="${esc(chart.roles.join(' '))}"` : `class="role" data-role="${esc(n.key)}"`;
    boxes.push(`<g ${attrs}>`, `<rect x="0" y="${px(b.y)}" width="${px(boxW)}" height="${px(b.h)}" rx="6"/>`);
    boxes.push(`<text class="title" x="${px(PAD)}" y="${px(b.y + 18)}">${esc(n.title)}</text>`, `<path class="rule-line" d="M0,${px(b.y + TITLE_H)} H${px(boxW)}"/>`);
    let ly = b.y + TITLE_H + 4;
    for (const l of n.lines) {
      boxes.push(`<g class="loop" data-role="${esc(n.shared ? chart.roles.join(' ') : n.key)}" data-event="${esc(l.event)}"><title>${esc(l.tip)}</title>`, textOf([{ text: l.event, kind: 'event' }], PAD, ly + 11));
      boxes.push(...blockOf(l.lines, PAD + eventColumn * CW, ly), '</g>');
      ly += l.lines.length * LH;
    }
    boxes.push('</g>');
    if (n.key === chart.initial) boxes.push(`<circle class="initial" cx="-16" cy="${px(b.y + 13)}" r="5"/>`, `<path class="arrow" d="M-11,${px(b.y + 13)} H0"/>`);
  });

  // The machine's border, its name, and what the picture means.
  const bottom = (top[nodes.length - 1] ?? 0) + (heights[nodes.length - 1] ?? 0) + 20;
  const width = right - left;
  const legendWidth = Math.floor((width - 2 * PAD) / CW);
  const legend = [
    `Generated from the xstate machine of model/statechart.ts (built from the table of model/dispatch.ts) by npm run statechart:draw; do not edit.`,
    `A box lists per event the rule IDs of the rows that keep the role, in the order xstate tries them (· between rows; … after the rows every role shares).`,
    `An arrow changes the role: event, [guard], rule IDs; ↻ raises the same event again, for the role it moved to. always: an eventless transition.`,
    `Dashed: the move, without an event, to the role an action set (a leader stepping down inside an action). Rule IDs link to rules.md; hover a line for its guards and actions.`,
  ].flatMap((p) => wrap(p.split(' ').map((t): Span => ({ text: t, kind: 'mute' })), legendWidth).map((l): Line => [{ text: l.map((s) => s.text).join(' '), kind: 'mute' }]));
  const height = bottom + 16 + legend.length * LH + 12;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${px(width)}" height="${px(height)}" viewBox="${px(left)} 0 ${px(width)} ${px(height)}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace" font-size="${FONT}">`,
    `<title>The roles of Raft as an xstate statechart (${esc(chart.id)})</title>`,
    `<desc>Generated from model/statechart.ts by npm run statechart:draw (scripts/statechart-svg.ts): do not edit by hand. test/statechart-picture.test.ts fails when this file is out of date.</desc>`,
    '<style>',
    'rect { fill: #f6f8fa; stroke: #57606a; stroke-width: 1.2; }',
    '.shared rect { fill: #fff8e6; stroke-dasharray: 5 3; }',
    '.machine { fill: none; stroke: #8c959f; stroke-width: 1; }',
    '.title { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 14px; font-weight: 600; fill: #1f2328; }',
    '.rule-line { stroke: #d0d7de; }',
    '.arrow { fill: none; stroke: #1f2328; stroke-width: 1.4; marker-end: url(#head); }',
    '.sync .arrow { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 4 3; marker-end: url(#head-sync); }',
    '.initial { fill: #1f2328; }',
    '.event { fill: #1f2328; }',
    '.guard { fill: #6e7781; font-style: italic; }',
    '.rule { fill: #0969da; font-weight: 600; }',
    'a:hover .rule { text-decoration: underline; }',
    '.mute { fill: #6e7781; }',
    '</style>',
    '<defs>',
    '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f2328"/></marker>',
    '<marker id="head-sync" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker>',
    '</defs>',
    `<rect class="machine" x="${px(left + 4)}" y="8" width="${px(width - 8)}" height="${px(bottom - 8)}" rx="10"/>`,
    `<text class="title" x="${px(left + 16)}" y="30">${esc(chart.id)}</text>`,
    ...boxes,
    ...out,
    ...blockOf(legend, left + PAD, bottom + 12),
    '</svg>',
    '',
  ];
  return svg.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const text = renderStatechartSvg();
  const shown = relative(process.cwd(), SVG_PATH);
  if (process.argv.includes('--check')) {
    const now = existsSync(SVG_PATH) ? readFileSync(SVG_PATH, 'utf8') : '';
    if (now !== text) {
      console.error(`${shown} is out of date: run npm run statechart:draw`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(SVG_PATH, text);
    console.log(`wrote ${shown}: ${Buffer.byteLength(text)} bytes`);
  }
}
