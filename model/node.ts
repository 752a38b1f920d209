// The per-server reducer: (state, input) -> (state, messages sent, entries applied, rules fired).
// It walks the table of dispatch.ts: for the server's role and the input, the first row whose
// option is on and whose guard holds runs its actions (the prologue first: the term is handled
// once, as etcd's Step does); a row marked `again` hands the same input to the new role's rows
// (ALL-2, CAN-3). Then the eventless rows of the role fire while their guards hold (CAN-2, PV-3,
// CLI-4), as xstate's `always` transitions do in the statechart built from the same table.
import type { ClientReply, Message } from '../spec/schema.js';
import type { RuleId } from '../spec/rules.js';
import { type AppliedEntry, type Env, type NodeState, type Transition, begin } from './state.js';
import { EVENTLESS, type Row, rowIsOn, rowsFor } from './dispatch.js';
import { restartFromPersistentState } from './core/figure2.js';

import type { NodeInput } from '../spec/input.js';

/** What reaches one server: a message, one of its timers, or a client command (spec/input.ts). */
export type { NodeInput };

export interface NodeStep {
  readonly state: NodeState;
  readonly sent: readonly Message[];
  readonly applied: readonly AppliedEntry[];
  readonly replies: readonly ClientReply[];
  readonly rules: readonly RuleId[];
}

export function step(env: Env, state: NodeState, input: NodeInput): NodeStep {
  return stepTransition(begin(state), env, input);
}

/** A chain of eventless rows longer than this is a bug of the table (each fires at most once per role reached). */
const MAX_EVENTLESS = 8;

export function stepTransition(t0: Transition, env: Env, input: NodeInput): Transition {
  let t = handle(t0, env, input, 0);
  for (let n = 0; ; n++) {
    const r = EVENTLESS[t.state.role].find((x) => rowIsOn(x, env) && (x.guard === undefined || x.guard(t, env, input)));
    if (r === undefined) return t;
    if (n === MAX_EVENTLESS) throw new Error(`model bug: eventless rows of ${t.state.role} keep firing`);
    t = run(r, t, env, input);
  }
}

function handle(t: Transition, env: Env, input: NodeInput, depth: number): Transition {
  const rows = rowsFor(t.state.role, input.type) as readonly Row<NodeInput>[];
  for (const r of rows) {
    if (!rowIsOn(r, env) || (r.guard !== undefined && !r.guard(t, env, input))) continue;
    const next = run(r, t, env, input);
    if (!r.again) return next;
    if (depth > 0) throw new Error(`model bug: ${input.type} handled again twice`);
    return handle(next, env, input, depth + 1);
  }
  throw new Error(`model bug: no row of the table handles ${input.type} on a ${t.state.role}`);
}

function run(r: Row<NodeInput>, t: Transition, env: Env, input: NodeInput): Transition {
  let next = t;
  for (const action of r.actions) next = action(next, env, input);
  return next;
}

/** PER-1, DEC-7: a server restarts from its persistent state. */
export const restart = restartFromPersistentState;

export function assertNever(x: never): never {
  throw new Error(`unhandled input ${JSON.stringify(x)}`);
}
