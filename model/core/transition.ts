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

export function reply(t: Transition, r: ClientReply): Transition {
  return { state: t.state, sent: t.sent, applied: t.applied, replies: t.replies.concat(r), rules: t.rules };
}

/** A citation with no other effect: an input dropped or ignored, named so that reports can say why (DEC-1, DEC-8, DEC-9). */
export const ignore = (t: Transition, id: 'DEC-1' | 'DEC-8' | 'DEC-9'): Transition => cite(t, id);
