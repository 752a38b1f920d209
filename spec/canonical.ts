// Canonical forms: the one way this project writes a value as text, so that equal values give
// equal strings whatever the key order of the file they came from. Messages are named by their
// whole content (docs/trace-format.md), and this is the content's name.
import type { Entry, Message } from './schema.js';

/** JSON with object keys sorted, recursively. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * A configuration as canonical JSON: its member lists are sets (CFG-1), so they are sorted. Two
 * implementations that list the voters of one configuration in different orders wrote one entry.
 */
export function configJson(c: Entry['config']): string {
  if (c === undefined || c === null) return 'null';
  const sorted = (ids: readonly string[] | undefined) => (ids === undefined ? undefined : [...ids].sort());
  return canonicalJson({ voters: sorted(c.voters), learners: sorted(c.learners), oldVoters: sorted(c.oldVoters) });
}

const entries = (es: readonly Entry[]): string => `[${es.map((e) => `[${e.term},${canonicalJson(e.command)}${e.config ? `,${configJson(e.config)}` : ''}]`).join(',')}]`;

/** Two commands are equal when their canonical JSON is (primitives compare directly). */
export function sameCommand(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

export function sameEntries(a: readonly Entry[], b: readonly Entry[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Entry;
    const y = b[i] as Entry;
    if (x !== y && !sameEntry(x, y)) return false;
  }
  return true;
}

/** Two entries are equal when their terms, commands and configurations (CFG-1) are. */
export function sameEntry(x: Entry, y: Entry): boolean {
  return x.term === y.term && sameCommand(x.command, y.command) && (x.config === y.config || configJson(x.config) === configJson(y.config));
}

/**
 * A message's name without its entries: short, and enough to tell messages apart except two
 * AppendEntries that differ only in their entries' commands. Used to bucket the network; within a
 * bucket `sameMessage` decides.
 */
export function messageHeader(m: Message): string {
  switch (m.type) {
    case 'AppendEntries': {
      const first = m.entries[0];
      return `AE ${m.from}>${m.to} t${m.term} l=${m.leaderId} pi${m.prevLogIndex} pt${m.prevLogTerm} c${m.leaderCommit}${round(m.readRound)} n${m.entries.length}${first ? ` ${first.term}..${(m.entries[m.entries.length - 1] as Entry).term}` : ''}`;
    }
    default:
      return messageKey(m);
  }
}

/** Whether two messages are the same message: every field equal (commands as canonical JSON). */
export function sameMessage(a: Message, b: Message): boolean {
  if (a === b) return true;
  if (a.type !== b.type || a.from !== b.from || a.to !== b.to || a.term !== b.term) return false;
  switch (a.type) {
    case 'RequestVote': {
      const o = b as typeof a;
      return a.candidateId === o.candidateId && a.lastLogIndex === o.lastLogIndex && a.lastLogTerm === o.lastLogTerm && a.transfer === o.transfer;
    }
    case 'PreVote': {
      const o = b as typeof a;
      return a.candidateId === o.candidateId && a.lastLogIndex === o.lastLogIndex && a.lastLogTerm === o.lastLogTerm;
    }
    case 'PreVoteResponse':
      return a.voteGranted === (b as typeof a).voteGranted;
    case 'TimeoutNow':
      return true;
    case 'ClientProposal':
      return sameCommand(a.command, (b as typeof a).command);
    case 'ForwardedRead': {
      const o = b as typeof a;
      return a.client === o.client && a.seq === o.seq && a.key === o.key;
    }
    case 'RequestVoteResponse':
      return a.voteGranted === (b as typeof a).voteGranted;
    case 'AppendEntries': {
      const o = b as typeof a;
      return a.leaderId === o.leaderId && a.prevLogIndex === o.prevLogIndex && a.prevLogTerm === o.prevLogTerm
        && a.leaderCommit === o.leaderCommit && a.readRound === o.readRound && sameEntries(a.entries, o.entries);
    }
    case 'AppendEntriesResponse': {
      const o = b as typeof a;
      return a.success === o.success && a.matchIndex === o.matchIndex && a.prevLogIndex === o.prevLogIndex
        && a.conflictTerm === o.conflictTerm && a.conflictIndex === o.conflictIndex && a.rejectHint === o.rejectHint && a.logTerm === o.logTerm && a.readRound === o.readRound && a.lastApplied === o.lastApplied;
    }
    case 'InstallSnapshot': {
      const o = b as typeof a;
      return a.leaderId === o.leaderId && a.lastIncludedIndex === o.lastIncludedIndex && a.lastIncludedTerm === o.lastIncludedTerm
        && a.offset === o.offset && a.data === o.data && a.done === o.done && configJson(a.lastConfig) === configJson(o.lastConfig);
    }
    case 'InstallSnapshotResponse': {
      const o = b as typeof a;
      return a.lastIncludedIndex === o.lastIncludedIndex && a.offset === o.offset && a.done === o.done;
    }
  }
}

/** A message's name: its type, route and every field, in a fixed order. */
export function messageKey(m: Message): string {
  switch (m.type) {
    case 'RequestVote':
      return `RV ${m.from}>${m.to} t${m.term} c=${m.candidateId} li${m.lastLogIndex} lt${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'PreVote':
      return `PV ${m.from}>${m.to} t${m.term} c=${m.candidateId} li${m.lastLogIndex} lt${m.lastLogTerm}`;
    case 'PreVoteResponse':
      return `PVR ${m.from}>${m.to} t${m.term} ${m.voteGranted ? 'granted' : 'refused'}`;
    case 'TimeoutNow':
      return `TN ${m.from}>${m.to} t${m.term}`;
    case 'ClientProposal':
      return `CP ${m.from}>${m.to} t${m.term} ${canonicalJson(m.command)}`;
    case 'ForwardedRead':
      return `FR ${m.from}>${m.to} t${m.term} ${JSON.stringify(m.client)}#${m.seq} ${JSON.stringify(m.key)}`;
    case 'RequestVoteResponse':
      return `RVR ${m.from}>${m.to} t${m.term} ${m.voteGranted ? 'granted' : 'refused'}`;
    case 'AppendEntries':
      return `AE ${m.from}>${m.to} t${m.term} l=${m.leaderId} pi${m.prevLogIndex} pt${m.prevLogTerm} c${m.leaderCommit}${round(m.readRound)} ${entries(m.entries)}`;
    case 'AppendEntriesResponse':
      return `AER ${m.from}>${m.to} t${m.term} ${m.success ? 'ok' : 'fail'} mi${m.matchIndex} pi${m.prevLogIndex}${m.conflictIndex === undefined && m.conflictTerm === undefined ? '' : ` ct${m.conflictTerm ?? '-'} ci${m.conflictIndex ?? '-'}`}${m.rejectHint === undefined && m.logTerm === undefined ? '' : ` rh${m.rejectHint ?? '-'} lt${m.logTerm ?? '-'}`}${round(m.readRound)}${m.lastApplied === undefined ? '' : ` la${m.lastApplied}`}`;
    case 'InstallSnapshot':
      return `IS ${m.from}>${m.to} t${m.term} l=${m.leaderId} li${m.lastIncludedIndex} lt${m.lastIncludedTerm} o${m.offset}${m.done ? ' done' : ''}${m.lastConfig ? ` cfg${configJson(m.lastConfig)}` : ''} ${JSON.stringify(m.data)}`;
    case 'InstallSnapshotResponse':
      return `ISR ${m.from}>${m.to} t${m.term} li${m.lastIncludedIndex} o${m.offset}${m.done ? ' done' : ''}`;
  }
}

const round = (r: number | undefined): string => (r === undefined ? '' : ` r${r}`);

/** A message in a short form for reports: its key, with long entry lists elided. */
export function describeMessage(m: Message): string {
  if (m.type === 'AppendEntries' && m.entries.length > 3) {
    return `AE ${m.from}>${m.to} t${m.term} pi${m.prevLogIndex} pt${m.prevLogTerm} c${m.leaderCommit} [${m.entries.length} entries, terms ${m.entries[0]?.term}..${m.entries[m.entries.length - 1]?.term}]`;
  }
  if (m.type === 'InstallSnapshot' && m.data.length > 24) {
    return `IS ${m.from}>${m.to} t${m.term} l=${m.leaderId} li${m.lastIncludedIndex} lt${m.lastIncludedTerm} o${m.offset}${m.done ? ' done' : ''} [${m.data.length} chars]`;
  }
  return messageKey(m);
}
