// Reads the xstate statechart (model/statechart.ts) back into what its picture shows: the roles,
// and every transition with its event, guard, actions, target and the rule IDs of the table row
// it came from (the transition's description). What is drawn comes from the machine itself, not
// from the table, so the picture shows what xstate runs.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** One transition of the machine, or several roles' identical ones (see `shareRows`). */
export interface ChartRow {
  /** The roles (state nodes) that have this transition: one, or every role for a shared row. */
  readonly roles: readonly string[];
  /** The event type; null for an eventless (`always`) transition. */
  readonly event: string | null;
  /** The guard as the machine names it: `termIsNewer`, `!preVoteOn`, `leaseReadsOn & canReadUnderLease`. */
  readonly guard: string | null;
  /** The named actions, without the raise of `again`. */
  readonly actions: readonly string[];
  /** The rule IDs of the row (never empty). */
  readonly rules: readonly string[];
  /** The role it moves to; null when it names none and the role stays. */
  readonly target: string | null;
  /** ALL-2, CAN-3: the transition raises its event again, for the role it moved to. */
  readonly again: boolean;
}

/** The eventless move of a state node to the role its context holds, after an action changed it (CQ-1, CFG-5). */
export interface SyncMove {
  readonly from: string;
  readonly to: string;
  readonly guard: string;
}

export interface Chart {
  readonly id: string;
  readonly initial: string;
  /** The state nodes, in the machine's order. */
  readonly roles: readonly string[];
  /** Every transition that carries rule IDs, role by role, in the order xstate tries them. */
  readonly rows: readonly ChartRow[];
  readonly sync: readonly SyncMove[];
}

interface GuardObject {
  readonly type?: unknown;
  readonly name?: unknown;
  readonly guards?: unknown;
}

/** xstate's `and`, `or` and `not` are functions carrying their operands in `guards`. */
function guardText(g: unknown): string | null {
  if (g === undefined || g === null) return null;
  if (typeof g === 'string') return g;
  const o = g as GuardObject;
  if (Array.isArray(o.guards)) {
    const parts = o.guards.map((x) => guardText(x) ?? '?');
    if (o.name === 'not') return `!${parts.join('')}`;
    return parts.join(o.name === 'or' ? ' | ' : ' & ');
  }
  if (typeof o.type === 'string') return o.type;
  throw new Error('statechart picture: a guard that is neither named nor built with and/or/not');
}

function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  const type = (a as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return type;
  throw new Error('statechart picture: an action that is not named');
}

function walkTransition(machine: AnyStateMachine, node: AnyStateNode, t: AnyTransitionDefinition, event: string | null): ChartRow | SyncMove {
  const implementations = machine.implementations.actions as Record<string, { readonly type?: unknown } | undefined>;
  const names = t.actions.map(actionName);
  const again = names.some((n) => implementations[n]?.type === 'xstate.raise');
  const targets = (t.target ?? []).map((s) => s.key);
  if (targets.length > 1) throw new Error(`statechart picture: ${node.key} on ${event ?? 'always'} has ${targets.length} targets`);
  const target = targets[0] ?? null;
  const guard = guardText(t.guard);
  const rules = t.description === undefined ? [] : t.description.split(', ').filter((r) => r !== '');
  if (rules.length === 0) {
    // Only the move to the role an action set carries no rule: the table has no row for it.
    if (event !== null || target === null || guard === null || names.length > 0) {
      throw new Error(`statechart picture: ${node.key} on ${event ?? 'always'} [${guard ?? ''}] carries no rule IDs (its row names none)`);
    }
    return { from: node.key, to: target, guard };
  }
  return { roles: [node.key], event, guard, actions: names.filter((n) => implementations[n]?.type !== 'xstate.raise'), rules, target, again };
}

/** The machine's roles and transitions, in the order xstate tries them. */
export function walk(machine: AnyStateMachine): Chart {
  const root = machine.root;
  const roles = Object.keys(root.states);
  const rows: ChartRow[] = [];
  const sync: SyncMove[] = [];
  for (const role of roles) {
    const node = root.states[role] as AnyStateNode;
    if (Object.keys(node.states).length > 0) throw new Error(`statechart picture: ${role} has child states, which the picture does not draw`);
    const transitions: [string | null, AnyTransitionDefinition][] = [
      ...[...node.transitions.entries()].flatMap(([event, ts]) => ts.map((t): [string, AnyTransitionDefinition] => [event, t])),
      ...(node.always ?? []).map((t): [null, AnyTransitionDefinition] => [null, t]),
    ];
    for (const [event, t] of transitions) {
      const r = walkTransition(machine, node, t, event);
      if ('from' in r) sync.push(r);
      else rows.push(r);
    }
  }
  const initial = root.initial.target[0]?.key;
  if (initial === undefined) throw new Error('statechart picture: the machine has no initial state');
  return { id: root.id, initial, roles, rows, sync };
}

const sameRow = (a: ChartRow, b: ChartRow): boolean =>
  a.event === b.event && a.guard === b.guard && a.target === b.target && a.again === b.again &&
  a.rules.join() === b.rules.join() && a.actions.join() === b.actions.join();

/**
 * The rows every role has alike, taken out once: for each event, the longest run of rows that
 * starts every role's list and is the same in all of them (the table's PROLOGUE and more: every
 * role answers a RequestVote alike). Only a common start is shared, so each event's order still
 * reads: the shared rows first, then the role's own.
 */
export function shareRows(chart: Chart): { readonly shared: readonly ChartRow[]; readonly own: readonly ChartRow[] } {
  const events = [...new Set(chart.rows.map((r) => r.event))];
  const shared: ChartRow[] = [];
  const sharedCount = new Map<string | null, number>();
  for (const event of events) {
    const lists = chart.roles.map((role) => chart.rows.filter((r) => r.event === event && r.roles[0] === role));
    const first = lists[0] ?? [];
    let k = 0;
    while (chart.roles.length > 1 && k < first.length && lists.every((l) => l[k] !== undefined && sameRow(l[k] as ChartRow, first[k] as ChartRow))) k++;
    sharedCount.set(event, k);
    shared.push(...first.slice(0, k).map((r) => ({ ...r, roles: chart.roles })));
  }
  const own = chart.roles.flatMap((role) => {
    const seen = new Map<string | null, number>();
    return chart.rows.filter((r) => r.roles[0] === role).filter((r) => {
      const i = seen.get(r.event) ?? 0;
      seen.set(r.event, i + 1);
      return i >= (sharedCount.get(r.event) ?? 0);
    });
  });
  return { shared, own };
}
