// The roles of Figure 4 as an xstate v5 statechart, built from the table of dispatch.ts: the same
// rows the reducer walks (node.ts) become the transitions of the role states, their named guards
// and actions are registered with setup(), and a row's option becomes a guard on the module being
// on. One place decides what a role does with an input: the table; this file only translates it.
//
// What xstate adds to the table: a row marked `again` (ALL-2, CAN-3) re-raises its event, to be
// handled by the role it moved to; the table's eventless rows are `always` transitions (CAN-2,
// PV-3, CLI-4); and since an action may change the role where no row can say so in advance (a
// leader stepping down by CQ-1 or CFG-5 inside an action), every state first moves, without an
// event, to the state node of the role its context holds.
import { and, assign, not, raise, setup, transition } from 'xstate';
import type { Role } from '../spec/schema.js';
import type { NodeInput } from '../spec/input.js';
import { type Env, type NodeState, type Transition, begin } from './state.js';
import { ACTIONS, EVENTLESS, GUARDS, MODULES, PROLOGUE, TABLE, type Action, type Guard, type ModuleName, type Row, isOn } from './dispatch.js';

export interface ServerContext {
  readonly env: Env;
  /** The state, and what the current step has produced so far. */
  readonly t: Transition;
}

const ROLES: readonly Role[] = ['follower', 'candidate', 'precandidate', 'leader'];

const nameOf = new Map<unknown, string>([...Object.entries(GUARDS), ...Object.entries(ACTIONS)].map(([name, f]) => [f, name]));
function named(f: unknown): string {
  const name = nameOf.get(f);
  if (name === undefined) throw new Error('model bug: a row of the table uses a guard or action that GUARDS or ACTIONS does not name');
  return name;
}

type XGuard = (a: { context: ServerContext; event: NodeInput }) => boolean;
type Gate = string | ReturnType<typeof and> | ReturnType<typeof not>;

const guards: Record<string, XGuard> = {};
for (const [name, g] of Object.entries(GUARDS)) guards[name] = ({ context, event }) => (g as Guard<NodeInput>)(context.t, context.env, event);
for (const name of Object.keys(MODULES)) guards[`${name}On`] = ({ context }) => isOn(context.env, name as ModuleName);
for (const role of ROLES) guards[`is${role[0]?.toUpperCase()}${role.slice(1)}`] = ({ context }) => context.t.state.role === role;

const actions: Record<string, ReturnType<typeof assign<ServerContext, NodeInput, undefined, NodeInput, never>> | ReturnType<typeof raise<ServerContext, NodeInput, NodeInput, undefined, never>>> = {};
for (const [name, a] of Object.entries(ACTIONS)) {
  actions[name] = assign<ServerContext, NodeInput, undefined, NodeInput, never>({ t: ({ context, event }) => (a as Action<NodeInput>)(context.t, context.env, event) });
}
/** ALL-2, CAN-3: the same event again, for the role the row moved to. */
actions.handleAgain = raise<ServerContext, NodeInput, NodeInput, undefined, never>(({ event }) => event);

/** A row's guard in xstate's terms: its module being on (or off), and its own guard. */
function gateOf(r: Row<never>): Gate | undefined {
  const when = r.when === undefined ? undefined : r.when.startsWith('!') ? not(`${r.when.slice(1)}On`) : `${r.when}On`;
  const guard = r.guard === undefined ? undefined : named(r.guard);
  if (when === undefined) return guard;
  return guard === undefined ? when : and([when as never, guard]);
}

function transitionOf(r: Row<never>) {
  const guard = gateOf(r);
  return {
    ...(guard === undefined ? {} : { guard }),
    actions: [...r.actions.map(named), ...(r.again ? ['handleAgain'] : [])],
    ...(r.target === undefined ? {} : { target: `#raftServer.${r.target}` }),
    description: r.rules.join(', '),
  };
}

function stateOf(role: Role) {
  const on: Record<string, ReturnType<typeof transitionOf>[]> = {};
  const types = new Set([...Object.keys(PROLOGUE), ...Object.keys(TABLE[role])]) as Set<NodeInput['type']>;
  for (const type of types) on[type] = [...(PROLOGUE[type] ?? []), ...(TABLE[role][type] ?? [])].map((r) => transitionOf(r as Row<never>));
  const sync = ROLES.filter((other) => other !== role).map((other) => ({ guard: `is${other[0]?.toUpperCase()}${other.slice(1)}`, target: `#raftServer.${other}` }));
  return { always: [...sync, ...EVENTLESS[role].map((r) => transitionOf(r as Row<never>))], on };
}

export const serverMachine = setup({
  types: {
    context: {} as ServerContext,
    events: {} as NodeInput,
    input: {} as ServerContext,
  },
  guards,
  actions,
}).createMachine({
  id: 'raftServer',
  context: ({ input }) => input,
  initial: 'follower',
  states: Object.fromEntries(ROLES.map((role) => [role, stateOf(role)])),
});

export type ServerSnapshot = ReturnType<typeof serverMachine.resolveState>;

/** The statechart at a given server state (its role is the state node). */
export function snapshotAt(env: Env, state: NodeState): ServerSnapshot {
  return serverMachine.resolveState({ value: state.role, context: { env, t: begin(state) } });
}

/**
 * One step through xstate's pure transition function. The step starts with empty outputs, so
 * `context.t` afterwards holds this step's state, messages, applied entries and rules.
 */
export function statechartStep(snapshot: ServerSnapshot, input: NodeInput): ServerSnapshot {
  const start = serverMachine.resolveState({ value: snapshot.value, context: { ...snapshot.context, t: begin(snapshot.context.t.state) } });
  const [next] = transition(serverMachine, start, input);
  return next;
}
