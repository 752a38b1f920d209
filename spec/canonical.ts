// Canonical forms: the one way this project writes a value as text, so that equal values give
// equal strings whatever the key order of the file they came from. Messages are named by their
// whole content (docs/trace-format.md), and this is the content's name.
import type { Entry, Message } from './schema.js';

/** JSON with object keys sorted, recursively. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

const entries = (es: readonly Entry[]): string => `[${es.map((e) => `[${e.term},${canonicalJson(e.command)}]`).join(',')}]`;

/** A message's name: its type, route and every field, in a fixed order. */
export function messageKey(m: Message): string {
  switch (m.type) {
    case 'RequestVote':
      return `RV ${m.from}>${m.to} t${m.term} c=${m.candidateId} li${m.lastLogIndex} lt${m.lastLogTerm}`;
    case 'RequestVoteResponse':
      return `RVR ${m.from}>${m.to} t${m.term} ${m.voteGranted ? 'granted' : 'refused'}`;
    case 'AppendEntries':
      return `AE ${m.from}>${m.to} t${m.term} l=${m.leaderId} pi${m.prevLogIndex} pt${m.prevLogTerm} c${m.leaderCommit} ${entries(m.entries)}`;
    case 'AppendEntriesResponse':
      return `AER ${m.from}>${m.to} t${m.term} ${m.success ? 'ok' : 'fail'} mi${m.matchIndex} pi${m.prevLogIndex}`;
  }
}

/** A message in a short form for reports: its key, with long entry lists elided. */
export function describeMessage(m: Message): string {
  if (m.type === 'AppendEntries' && m.entries.length > 3) {
    return `AE ${m.from}>${m.to} t${m.term} pi${m.prevLogIndex} pt${m.prevLogTerm} c${m.leaderCommit} [${m.entries.length} entries, terms ${m.entries[0]?.term}..${m.entries[m.entries.length - 1]?.term}]`;
  }
  return messageKey(m);
}
