// The AppendEntries receiver (Figure 2: AE-1 .. AE-5), with what the options add to its answers:
// fast backtracking's conflict (FB-1), the read round echoed (CLI-4), the follower's lastApplied
// for flow control (FC-1). As etcd's handleAppendEntries with raftLog.maybeAppend: check the
// previous entry, find the first conflict, append from there, follow the leader's commit.
import type { AppendEntries, AppendEntriesResponse, Entry } from '../spec/schema.js';
import type { RaftState } from './core.js';

/** AE-2 to AE-5 and ALL-1, on a follower of the sender's term. */
export function receiveAppend(r: RaftState, m: AppendEntries): void {
  r.leaderId = m.leaderId; // CLI-1: the leader of our term, whatever the consistency check says
  r.heardFromLeader = true; // PV-2, CFG-6
  // AE-2; SNAP-5: below our snapshot every entry is committed, so it matches.
  if (m.prevLogIndex >= r.log.base && !r.log.matchesAt(m.prevLogIndex, m.prevLogTerm)) return rejectAppend(r, m);
  appendFrom(r, m.prevLogIndex, m.entries);
  r.syncConfig(); // CFG-1: an appended or truncated configuration entry changes the configuration in force
  const lastNewEntry = m.prevLogIndex + m.entries.length;
  commitTo(r, m, lastNewEntry);
  r.applyUpToCommit();
  answerAppend(r, m, true, lastNewEntry);
}

/** AE-5 with DEC-2: follow leaderCommit up to the last new entry, never backwards. */
function commitTo(r: RaftState, m: AppendEntries, lastNewEntry: number): void {
  if (m.leaderCommit > r.commitIndex) {
    const commitIndex = Math.min(m.leaderCommit, lastNewEntry);
    if (commitIndex > r.commitIndex) r.commitIndex = commitIndex;
  }
}

/**
 * AE-3, AE-4: find the first entry of `entries` that our log does not hold (an index past our
 * last, or a term that differs: a real conflict, so our entries from there go), and append from
 * it. Entries we hold already leave the log untouched: a stale or duplicated AppendEntries
 * truncates nothing.
 */
function appendFrom(r: RaftState, prevLogIndex: number, entries: readonly Entry[]): void {
  const log = r.log;
  const held = log.lastIndex;
  // SNAP-5: the entries at or below our snapshot's index are committed, so they match: skipped.
  let k = Math.max(0, log.base - prevLogIndex);
  while (k < entries.length && prevLogIndex + 1 + k <= held && log.termAt(prevLogIndex + 1 + k) === (entries[k] as Entry).term) k++;
  if (k >= entries.length) return; // AE-4: nothing new
  const first = prevLogIndex + 1 + k;
  if (first <= held) {
    log.truncateAfter(first - 1); // AE-3: a real conflict
    r.ready.truncatedAfter = first - 1;
  }
  const added = entries.slice(k); // AE-4
  for (const e of added) log.append(e);
  r.ready.appended = { index: first, entries: added };
}

/** The answer to `m`. */
export function answerAppend(r: RaftState, m: AppendEntries, success: boolean, matchIndex: number): void {
  r.send(appendAnswer(r, m, success, matchIndex));
}

/** The answer to `m`, with what the options add to every answer: the readRound echoed (CLI-4) and our lastApplied (FC-1). */
function appendAnswer(r: RaftState, m: AppendEntries, success: boolean, matchIndex: number): AppendEntriesResponse {
  const a: AppendEntriesResponse = {
    type: 'AppendEntriesResponse', from: r.id, to: m.from,
    term: r.currentTerm, success, matchIndex, prevLogIndex: m.prevLogIndex,
  };
  if (m.readRound !== undefined) a.readRound = m.readRound; // CLI-4: echoed, on every answer
  if (r.opts.flowControlWindow > 0) a.lastApplied = r.lastApplied; // FC-1: after handling the request, AE-1 rejections included
  return a;
}

/** AE-2; with fastBacktracking, FB-1: say where our log stops agreeing (its term there and that term's first index). */
function rejectAppend(r: RaftState, m: AppendEntries): void {
  if (!r.opts.fastBacktracking) return answerAppend(r, m, false, 0);
  const a = appendAnswer(r, m, false, 0);
  if (r.opts.rejectHint) {
    // DEC-22b: etcd's hint, the last entry at or before the probe no newer than its term.
    const hint = r.log.lastAtMost(m.prevLogIndex, m.prevLogTerm);
    a.rejectHint = hint.index;
    a.logTerm = hint.term;
    return r.send(a);
  }
  const holds = m.prevLogIndex <= r.log.lastIndex;
  a.conflictTerm = holds ? r.log.termAt(m.prevLogIndex) : 0;
  a.conflictIndex = holds ? r.log.firstOfTerm(a.conflictTerm) : r.log.lastIndex + 1;
  r.send(a);
}
