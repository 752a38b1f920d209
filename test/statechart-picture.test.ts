// docs/statechart.svg is drawn from the xstate machine (scripts/statechart-svg.ts, `npm run
// statechart:draw`). It must be what the machine draws now, and it must show what the machine
// holds: every role a box, every rule ID on a transition linked to rules.md, every transition
// between roles an arrow with its event and rule IDs, every other transition in a box. The
// expectations are read from the machine here, not through the picture's own walk.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMachine } from 'xstate';
import type { AnyStateMachine } from 'xstate';
import { serverMachine } from '../model/statechart.js';
import { SVG_PATH, renderStatechartSvg } from '../scripts/statechart-svg.js';

interface MachineTransition { readonly role: string; readonly event: string; readonly rules: readonly string[]; readonly target: string | null }

function transitionsOf(machine: AnyStateMachine): MachineTransition[] {
  return Object.entries(machine.root.states).flatMap(([role, node]) => [
    ...[...node.transitions.entries()].flatMap(([event, ts]) => ts.map((t) => ({ role, event, t }))),
    ...(node.always ?? []).map((t) => ({ role, event: 'always', t })),
  ]).map(({ role, event, t }) => ({ role, event, rules: t.description === undefined ? [] : t.description.split(', '), target: t.target?.[0]?.key ?? null }));
}

/** A group of the picture: whose transitions it draws, and the words of its text (its tooltip left out). */
interface Group { readonly roles: readonly string[]; readonly to: string | null; readonly event: string | null; readonly words: readonly string[] }

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
const wordsOf = (body: string): string[] => unescape(body.replace(/<title>[\s\S]*?<\/title>/g, '').replace(/<[^>]+>/g, ' ')).split(/[\s,]+/).filter((w) => w !== '');

/** Arrows (`<g class="edge" data-from data-to>`) and box lines (`<g class="loop" data-role data-event>`). */
function groupsOf(svg: string): { arrows: Group[]; loops: Group[] } {
  const arrows = [...svg.matchAll(/<g class="edge[^"]*" data-from="([^"]*)" data-to="([^"]*)">([\s\S]*?)<\/g>/g)]
    .map((m) => ({ roles: (m[1] ?? '').split(' '), to: m[2] ?? '', event: null, words: wordsOf(m[3] ?? '') }));
  const loops = [...svg.matchAll(/<g class="loop" data-role="([^"]*)" data-event="([^"]*)">([\s\S]*?)<\/g>/g)]
    .map((m) => ({ roles: (m[1] ?? '').split(' '), to: null, event: unescape(m[2] ?? ''), words: wordsOf(m[3] ?? '') }));
  return { arrows, loops };
}

/** The transitions of the machine the picture does not show, in words. */
function unshown(machine: AnyStateMachine, svg: string): string[] {
  const { arrows, loops } = groupsOf(svg);
  const shows = (g: Group, t: MachineTransition, event: boolean): boolean =>
    g.roles.includes(t.role) && (!event || g.words.includes(t.event)) && t.rules.every((r) => g.words.includes(r));
  return transitionsOf(machine).flatMap((t) => {
    const name = `${t.role} on ${t.event} (${t.rules.join(', ') || 'no rule'})${t.target === null ? '' : ` → ${t.target}`}`;
    if (t.target !== null && t.target !== t.role) return arrows.some((g) => g.to === t.target && shows(g, t, true)) ? [] : [`${name}: no arrow`];
    // A row that keeps the role is a line of its box (or of every role's), or, when it names its own role, may be an arrow.
    const inBox = loops.some((g) => g.event === t.event && shows(g, t, false));
    const asArrow = t.target === t.role && arrows.some((g) => g.to === t.role && shows(g, t, true));
    return inBox || asArrow ? [] : [`${name}: not in a box`];
  });
}

const svg = readFileSync(SVG_PATH, 'utf8');

describe('docs/statechart.svg', () => {
  it('is what `npm run statechart:draw` draws from the machine now, byte for byte', () => {
    const now = renderStatechartSvg();
    expect(renderStatechartSvg(), 'drawing twice gives the same bytes').toBe(now);
    expect(svg === now, 'docs/statechart.svg is out of date: run npm run statechart:draw').toBe(true);
  });

  it('has a box for every role of the machine, and marks the initial one', () => {
    const boxes = [...svg.matchAll(/<g class="role" data-role="([^"]*)">/g)].map((m) => m[1]);
    expect(boxes.sort()).toEqual(Object.keys(serverMachine.root.states).sort());
    expect(boxes).toEqual(expect.arrayContaining(['follower', 'candidate', 'precandidate', 'leader']));
    expect(svg).toMatch(/<circle class="initial"/);
  });

  it('writes every rule ID that labels a transition, linked to its entry in docs/rules.md', () => {
    const rules = [...new Set(transitionsOf(serverMachine).flatMap((t) => t.rules))];
    expect(rules.length).toBeGreaterThan(50);
    const anchors = new Set([...readFileSync('docs/rules.md', 'utf8').matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
    expect(rules.filter((id) => !svg.includes(`<a href="rules.md#${id.toLowerCase()}"`)), 'rule IDs without a link in the picture').toEqual([]);
    expect(rules.filter((id) => !anchors.has(id.toLowerCase())), 'rule IDs without an entry in docs/rules.md').toEqual([]);
  });

  it('draws every transition between roles as an arrow with its event and rule IDs, and every other one in a box', () => {
    const between = transitionsOf(serverMachine).filter((t) => t.target !== null && t.target !== t.role);
    expect(between.length).toBeGreaterThan(30); // ALL-2 from three roles, CAN-3, PV-1, FOL-2, CAN-2, PV-3, the moves an action makes
    expect(new Set(between.map((t) => `${t.role}>${t.target}`)).size).toBe(12); // every ordered pair of the four roles
    expect(unshown(serverMachine, svg)).toEqual([]);
  });

  it('the check itself sees an arrow or a box line that is missing', () => {
    const withoutArrow = svg.replace(/<g class="edge" data-from="follower" data-to="precandidate">[\s\S]*?<\/g>\n/, '');
    expect(withoutArrow).not.toBe(svg);
    expect(unshown(serverMachine, withoutArrow)).toEqual(['follower on electionTimeout (PV-1) → precandidate: no arrow']);
    const withoutLine = svg.replace(/<g class="loop" data-role="leader" data-event="heartbeatTimeout">[\s\S]*?<\/g>\n/, '');
    expect(withoutLine).not.toBe(svg);
    expect(unshown(serverMachine, withoutLine)).toEqual(['leader on heartbeatTimeout (LEA-1): not in a box']);
  });

  it('draws a role the machine adds, with its arrows, from the machine alone', () => {
    const toy = createMachine({
      id: 'toy',
      initial: 'follower',
      states: {
        follower: { on: { electionTimeout: { target: 'candidate', description: 'FOL-2, CAN-1' }, join: { target: 'learner', description: 'CFG-3' } } },
        candidate: { on: { heartbeatTimeout: { description: 'DEC-9' } }, always: { target: 'leader', description: 'CAN-2' } },
        leader: { on: { electionTimeout: { target: 'follower', description: 'CQ-1' } } },
        learner: { on: { promote: { target: 'follower', description: 'CFG-4' }, heartbeatTimeout: { description: 'DEC-9' } } },
      },
    });
    const drawn = renderStatechartSvg(toy);
    expect([...drawn.matchAll(/<g class="role" data-role="([^"]*)">/g)].map((m) => m[1])).toEqual(['follower', 'candidate', 'leader', 'learner']);
    expect(unshown(toy, drawn)).toEqual([]);
  });
});
