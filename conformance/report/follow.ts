// The HTML report's replay of a `validate` run, following the trace step by step. `validate`
// explains a trace by a search (conformance/search.ts): each step from every state it kept, under
// every combination of the permitted alternatives. The page shows one run, so its replay picks at
// each step the run under the replay's own alternatives if that one explains what the step
// observes, else the first run of the step (search.ts runsOf) that does, judged as the search judges
// it (problemsOfRun: expectations, `sent`, `inFlight`). A trace that took DEC-19a at one step and
// DEC-19b at another is followed at both.
//
// Greedy: one explanation, decided at each step without looking ahead, not every one the search
// kept. As the search does, it keeps in flight, as optional, what another run that explains the
// step as well sent (a forward to the leader where the taken run redirected, DEC-23; a send held
// back, DEC-18; an answer to a stale request, DEC-19): a later step may deliver it. Runs that differ
// in what one message carried (DEC-5, DEC-16: the search's groups) are not kept both: the taken
// run's form is in flight, and a later step that names the other shows as a disagreement (unless
// it is a shorter form, DEC-6b, which model/cluster.ts hands over on a deliver).
import type { Message, Step } from '../../spec/schema.js';
import type { AlternativeLetter, ChoiceId } from '../../spec/choices.js';
import { type ClusterState, type ClusterStep, type EventError, withMessages } from '../../model/cluster.js';
import { type Copies, addCounts, countKeys, listDiff, problemsOfRun, runsOf, sameExceptNetwork, through, trimmed } from '../search.js';

/** The alternatives the replay may take at each choice point, in the order it tries them (the replay's own first). */
export type FollowLetters = (point: ChoiceId) => readonly AlternativeLetter[];

/** The run a step takes when the replay follows the trace. */
export interface Followed {
  /** The run, its state with the optional messages in flight. */
  readonly r: ClusterStep;
  /** Whether it is another run than the one under the replay's own alternatives. */
  readonly other: boolean;
  /** What another run that explains the step as well sent and this one did not: in flight, optional. */
  readonly optional: readonly Message[];
}

export class Follower {
  /** Copies in flight that the runs taken may or may not have sent (by the search's message names). */
  private optional = new Map<string, Copies>();
  /** What the step just chosen adds to them: messages only another run sent, and those only the run taken sent. */
  private added: readonly Map<string, Copies>[] = [];
  /** What each step's run sent (for sentDuring). */
  private readonly sentBy: (readonly Message[])[] = [];

  constructor(private readonly letters: FollowLetters) {}

  /**
   * The run step `s` takes from `c`: `fixed` (the run under the replay's own alternatives) if it
   * explains what the step observes, else the first run under the permitted alternatives that
   * does; null when none does (the caller falls back to `fixed`). Then `after`.
   */
  choose(c: ClusterState, s: Step, fixed: ClusterStep | EventError): Followed | null {
    this.added = [];
    const optional = new Map([...this.optional].map(([k, x]) => [k, x.count]));
    const explains = (r: ClusterStep | EventError): r is ClusterStep =>
      !('error' in r) && problemsOfRun(s, r, (from) => [...r.sent, ...this.sentBy.slice(Math.max(0, from)).flat()], () => optional).length === 0;
    const runs = [...runsOf(c, s.event, this.letters)].map(({ r }) => r).filter(explains);
    const taken = explains(fixed) ? fixed : runs[0];
    if (taken === undefined) return null;
    // Runs that reach the same servers and differ only by what they sent: what one sent and the other did not is optional.
    const extra = new Map<string, Copies>();
    const mine = new Map<string, Copies>();
    for (const r of runs) {
      if (r === taken || !sameExceptNetwork(taken.state, r.state)) continue;
      const d = listDiff(through({ r: taken }), through({ r }));
      if (d.first.length > 0 && d.second.length > 0) continue; // another form of a message (the search's group): not kept
      for (const [into, ms] of [[extra, d.second], [mine, d.first]] as const) {
        for (const [k, x] of countKeys(ms)) if ((into.get(k)?.count ?? 0) < x.count) into.set(k, x);
      }
    }
    this.added = [extra, mine];
    const more = [...extra.values()].flatMap((x) => Array.from({ length: x.count }, () => x.message));
    return { r: more.length > 0 ? { ...taken, state: withMessages(taken.state, more) } : taken, other: taken !== fixed, optional: more };
  }

  /** After step `s` ran as `r` (followed, or the fallback): what it sent, and the optional copies still in flight. */
  after(s: Step, r: ClusterStep): void {
    this.sentBy.push(r.sent);
    const next = trimmed(this.optional, r.state, s.event);
    for (const m of this.added) addCounts(next, m);
    this.added = [];
    this.optional = next;
  }
}
