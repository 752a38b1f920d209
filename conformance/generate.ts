// Generated cluster schedules. A schedule is a list of choices (three small numbers each); an
// interpreter turns each choice into an event that is possible in the cluster's current state
// (only in-flight messages are delivered, only crashed nodes restart), so every generated trace is
// valid, and fast-check shrinks a failing schedule by shrinking the choice list.
//
// The interpreter is biased so that interesting things happen: deliveries dominate and mostly take
// one of the oldest messages in flight (progress), with reordering, drops, duplicates, delayed
// copies, timeouts, crashes, restarts and partitions mixed in; client commands go to a leader.
import fc from 'fast-check';
import type { Event, Message, NodeId, ProtocolOptions, Trace } from '../spec/schema.js';
import { type ClusterState, applyEvent, inFlight, initCluster } from '../model/cluster.js';

export interface Choice {
  readonly k: number;
  readonly a: number;
  readonly b: number;
}

export const choiceArb: fc.Arbitrary<Choice> = fc.record({ k: fc.nat(999), a: fc.nat(1 << 16), b: fc.nat(1 << 16) });

export const scheduleArb = (minLength: number, maxLength: number): fc.Arbitrary<Choice[]> =>
  fc.array(choiceArb, { minLength, maxLength });

/** How often each kind of event is chosen, out of 1000. */
export interface Weights {
  readonly deliver: number;
  readonly drop: number;
  readonly duplicate: number;
  readonly inject: number;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly clientRequest: number;
  readonly crash: number;
  readonly restart: number;
  readonly partition: number;
  readonly heal: number;
}

export const DEFAULT_WEIGHTS: Weights = {
  deliver: 560, drop: 40, duplicate: 25, inject: 15,
  electionTimeout: 50, heartbeatTimeout: 90, clientRequest: 150,
  crash: 12, restart: 30, partition: 8, heal: 20,
};

export interface GenerateOptions {
  readonly servers: readonly NodeId[];
  readonly options?: ProtocolOptions;
  readonly weights?: Weights;
  /** How many old messages are remembered for delayed copies (inject). */
  readonly historySize?: number;
}

/** What happened in a generated schedule (to report how often interesting things happen). */
export interface ScheduleStats {
  steps: number;
  leadersElected: number;
  commits: number;
  termChanges: number;
  truncations: number;
  crashes: number;
}

type Kind = keyof Weights;

function pickKind(k: number, w: Weights): Kind {
  let acc = 0;
  const total = Object.values(w).reduce((x, y) => x + y, 0);
  const target = (k * total) / 1000;
  for (const kind of Object.keys(w) as Kind[]) {
    acc += w[kind];
    if (target < acc) return kind;
  }
  return 'deliver';
}

/**
 * Turn choices into a trace, running the model alongside to know what is possible. The trace has
 * no expectations: replaying it checks the invariants after every step.
 */
export function traceFromChoices(choices: readonly Choice[], g: GenerateOptions, name = 'generated'): { trace: Trace; stats: ScheduleStats } {
  const servers = g.servers;
  const weights = g.weights ?? DEFAULT_WEIGHTS;
  const historySize = g.historySize ?? 32;
  let c: ClusterState = initCluster(servers, g.options);
  const history: Message[] = [];
  const events: Event[] = [];
  const stats: ScheduleStats = { steps: 0, leadersElected: 0, commits: 0, termChanges: 0, truncations: 0, crashes: 0 };
  let commandNo = 0;

  const up = () => servers.filter((id) => !c.crashed.has(id));
  const leaders = () => up().filter((id) => c.nodes[id]?.role === 'leader');

  for (const ch of choices) {
    const event = chooseEvent(ch);
    const r = applyEvent(c, event);
    if ('error' in r) throw new Error(`generator produced an impossible event: ${r.error}`); // a bug of the generator
    for (const m of r.sent) {
      history.push(m);
      if (history.length > historySize) history.shift();
    }
    for (const id of r.rules) {
      if (id === 'LEA-4' || id === 'AE-5') stats.commits++;
      else if (id === 'ALL-2') stats.termChanges++;
      else if (id === 'AE-3') stats.truncations++;
      else if (id === 'LEA-1' && r.rules.includes('CAN-2')) stats.leadersElected++;
    }
    if (event.type === 'crash') stats.crashes++;
    c = r.state;
    events.push(event);
  }
  stats.steps = events.length;
  const trace: Trace = {
    format: 'raft-trace', version: 1, name,
    cluster: [...servers],
    ...(g.options ? { options: g.options } : {}),
    steps: events.map((event) => ({ event })),
  };
  return { trace, stats };

  function chooseEvent(ch: Choice): Event {
    const messages = inFlight(c);
    const kind = pickKind(ch.k, weights);
    const node = servers[ch.b % servers.length] as NodeId;
    switch (kind) {
      case 'deliver':
      case 'drop':
      case 'duplicate': {
        if (messages.length === 0) break;
        // Mostly one of the three oldest messages; sometimes any (reordering).
        const window = ch.a % 4 === 0 ? messages.length : Math.min(3, messages.length);
        const message = messages[(ch.a >> 2) % window] as Message;
        if (kind === 'duplicate' && messages.length > 40) break; // keep the network bounded
        return { type: kind, message };
      }
      case 'inject': {
        if (history.length === 0) break;
        return { type: 'inject', message: history[ch.a % history.length] as Message };
      }
      case 'clientRequest': {
        const ls = leaders();
        const target = ls.length > 0 && ch.a % 8 !== 0 ? (ls[ch.b % ls.length] as NodeId) : node;
        return { type: 'clientRequest', node: target, command: `c${++commandNo}` };
      }
      case 'crash': {
        const alive = up();
        if (alive.length === 0) break;
        return { type: 'crash', node: alive[ch.b % alive.length] as NodeId };
      }
      case 'restart': {
        const down = servers.filter((id) => c.crashed.has(id));
        if (down.length === 0) break;
        return { type: 'restart', node: down[ch.b % down.length] as NodeId };
      }
      case 'partition': {
        if (servers.length < 2) break;
        // Split off a minority (or one node) that the choice names.
        const cut = 1 + (ch.a % Math.max(1, Math.floor((servers.length - 1) / 2)));
        const start = ch.b % servers.length;
        const minority = servers.filter((_, i) => (i - start + servers.length) % servers.length < cut);
        const majority = servers.filter((id) => !minority.includes(id));
        return { type: 'partition', groups: [minority, majority] };
      }
      case 'heal':
        if (c.partition === null) break;
        return { type: 'heal' };
      case 'electionTimeout': {
        // A follower that hears from a live leader rarely times out: mostly the leader's
        // heartbeat fires instead, so that leaders last long enough to commit.
        const ls = leaders().filter((l) => c.partition === null || c.partition.get(l) === c.partition.get(node));
        if (ls.length > 0 && c.nodes[node]?.role === 'follower' && ch.a % 4 !== 0) return { type: 'heartbeatTimeout', node: ls[0] as NodeId };
        return { type: 'electionTimeout', node };
      }
      case 'heartbeatTimeout': {
        const ls = leaders();
        return { type: 'heartbeatTimeout', node: ls.length > 0 && ch.a % 4 !== 0 ? (ls[ch.a % ls.length] as NodeId) : node };
      }
    }
    // The chosen kind is not possible now: let time pass instead.
    const ls = leaders();
    if (ls.length > 0 && ch.a % 3 !== 0) return { type: 'heartbeatTimeout', node: ls[ch.a % ls.length] as NodeId };
    return { type: 'electionTimeout', node };
  }
}
