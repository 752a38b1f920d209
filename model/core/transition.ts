// The plumbing every rule function uses: a step in progress (a Transition) extended by citing a
// rule, updating the state, sending a message or answering a client. Written out field by field
// (not with spreads): these run several times per step.
import type { ClientReply, Message } from '../../spec/schema.js';
import type { RuleId } from '../../spec/rules.js';
import type { NodeState, Transition } from '../state.js';

export function cite(t: Transition, id: RuleId, id2?: RuleId): Transition {
  return { state: t.state, sent: t.sent, applied: t.applied, replies: t.replies, rules: id2 === undefined ? t.rules.concat(id) : t.rules.concat(id, id2) };
}

export function update(t: Transition, patch: Partial<NodeState>): Transition {
  return { state: { ...t.state, ...patch }, sent: t.sent, applied: t.applied, replies: t.replies, rules: t.rules };
}

export function send(t: Transition, m: Message): Transition {
  return { state: t.state, sent: t.sent.concat(m), applied: t.applied, replies: t.replies, rules: t.rules };
}

/**
 * The messages sent with any prefix of their entries allowed (a hook let the server send fewer,
 * from none up to all of them), each with the leaderCommit its shorter forms may carry (DEC-16):
 * the network hands the receiver whichever form the trace names
 * (model/cluster.ts). Kept beside the message, not in it, so that the message is what was sent.
 */
const ANY_PREFIX = new WeakMap<Message, ShorterForms>();

/** The leaderCommit a shorter form of a message may carry: the sender's commitIndex (DEC-16), or that clamped to its last entry (DEC-16b). */
export interface ShorterForms {
  readonly commitIndex: number;
  readonly unclamped: boolean;
  readonly clamped: boolean;
}

/** Send an AppendEntries of which any prefix of the entries may be the one that arrives. */
export function sendAnyPrefix(t: Transition, m: Message, forms: ShorterForms): Transition {
  ANY_PREFIX.set(m, forms);
  return send(t, m);
}

/** Whether any prefix of this message's entries may be the one that arrives. */
export const anyPrefix = (m: Message): boolean => ANY_PREFIX.has(m);

/** The leaderCommit the shorter forms of such a message may carry. */
export const shorterForms = (m: Message): ShorterForms | undefined => ANY_PREFIX.get(m);

export function reply(t: Transition, r: ClientReply): Transition {
  return { state: t.state, sent: t.sent, applied: t.applied, replies: t.replies.concat(r), rules: t.rules };
}

/** A citation with no other effect: an input dropped or ignored, named so that reports can say why (DEC-1, DEC-8, DEC-9). */
export const ignore = (t: Transition, id: 'DEC-1' | 'DEC-8' | 'DEC-9'): Transition => cite(t, id);
