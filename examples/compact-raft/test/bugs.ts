// Planted bugs: copies of this example with one bug each, to measure how the checker catches an
// implementation that is wrong (issue 11, "How it is checked"). As test/mutants.ts does for impl/,
// each bug is a few source patches applied to a copy of this folder (under the gitignored
// .mutants/compact-raft/<name>/), so the example itself has no test-only seam and stays untouched.
//
// A patch names a file of this folder, a snippet of its source and the snippet's replacement. The
// snippet must occur exactly once: an edit of the example that breaks a patch fails loudly, naming
// the bug and the patch, instead of quietly testing nothing.
//
// Each bug also counts, in `globalThis.__bugFired`, the times its code did something observably
// different from the correct code (a different state field of a running server, or a different
// message sent): the test resets the counter before each run and so knows the runs in which the
// bug's behaviour occurred. Where the wrong behaviour can be invisible (a string sort that happens
// to give the right index, a crash whose lost term is the one saved anyway), the patch computes
// the correct outcome too and counts only when the two differ.
//
// `rules` are the IDs whose naming in a failure (its `rules`, or its problems' text: an invariant
// such as INV-2 or SAFE-2 is named there) counts as "naming the bug's rule"; each description says
// why those IDs.
//
// Like the rest of this folder, this file imports nothing outside it but node's own modules.

import { readdirSync, readFileSync } from 'node:fs';
import { applyPatches as applySourcePatches, writeIfChanged } from '../../../test/source-patch.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One edit: in `file` (a .ts file of examples/compact-raft/), the one occurrence of `find` becomes `replace`. */
export interface Patch {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface PlantedBug {
  readonly name: string;
  /** The bug, what makes its counter fire, and why its `rules` are the ones a failure should name. */
  readonly description: string;
  /** Rule and invariant IDs that a failure naming one of counts as naming the bug's rule. */
  readonly rules: readonly string[];
  /** What the failure's problems should name otherwise: the state fields (`.log:`, `.commitIndex:`) or `sent:` that the bug makes differ. */
  readonly fields: readonly string[];
  readonly patches: readonly Patch[];
}

/** The statement a patch puts where the buggy code does something the correct code would not. */
const FIRED = '(globalThis as { __bugFired?: number }).__bugFired = ((globalThis as { __bugFired?: number }).__bugFired ?? 0) + 1;';

const patch = (file: string, find: string, replace: string): Patch => ({ file, find, replace });

/** The harness's schedule weights (harness.ts), as they are in the example. */
const WEIGHTS_SOURCE = `const WEIGHTS: Record<Kind, number> = {
  deliver: 50, drop: 4, duplicate: 3,
  electionTimeout: 4, heartbeatTimeout: 6, clientRequest: 10, apply: 6,
  crash: 1.5, restart: 3, partition: 1.2, heal: 1,
};`;

/**
 * Schedules with more leader changes than the example's: more election timeouts, crashes and
 * partitions, so that logs diverge over several terms and candidates compete in one term. Used
 * (by the bug, and by the correct example in the test's control runs) where the default schedule
 * makes the bug's situation rare.
 */
export const CHURN_WEIGHTS: Readonly<Record<string, number>> = {
  deliver: 50, drop: 4, duplicate: 6,
  electionTimeout: 12, heartbeatTimeout: 6, clientRequest: 12, apply: 6,
  crash: 3, restart: 4, partition: 3, heal: 2,
};

/** The patch of harness.ts that sets the schedule's weights. */
export function weightsPatch(w: Readonly<Record<string, number>>): Patch {
  const body = Object.entries(w).map(([k, v]) => `${k}: ${v}`).join(', ');
  return patch('harness.ts', WEIGHTS_SOURCE, `const WEIGHTS: Record<Kind, number> = { ${body} };`);
}

/** LEA-4 as the example writes it: the function two bugs replace whole. */
const ADVANCE_COMMIT = `  private advanceCommitIndex(): void {
    for (let n = this.lastLogIndex(); n > this.commitIndex; n--) {
      if (this.termAt(n) !== this.currentTerm) return; // terms only decrease going back
      const replicas = 1 + this.peers.filter((p) => (this.matchIndex.get(p) ?? 0) >= n).length;
      if (this.isMajority(replicas)) {
        this.commitIndex = n;
        return;
      }
    }
  }`;

/** The index the correct LEA-4 commits (the example's loop, as an expression of the copy). */
const CORRECT_COMMIT = `(() => {
      for (let n = this.lastLogIndex(); n > this.commitIndex; n--) {
        if (this.termAt(n) !== this.currentTerm) return this.commitIndex;
        if (this.isMajority(1 + this.peers.filter((p) => (this.matchIndex.get(p) ?? 0) >= n).length)) return n;
      }
      return this.commitIndex;
    })()`;

const AE2_CHECK = '    if (m.prevLogIndex > this.lastLogIndex() || this.termAt(m.prevLogIndex) !== m.prevLogTerm) {';

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: 'StaleVoteCounted',
    description:
      'A candidate counts a granted RequestVoteResponse of an earlier term (the term check of DEC-1 missing), so it can win without a majority of its own term. ' +
      'Fires when such a grant adds a voter to votesGranted (a recorded field). Named: DEC-1 (a stale response is dropped), CAN-2 (win on a majority of the term), SAFE-1 / INV-2 (two leaders or two votes in a term).',
    rules: ['DEC-1', 'CAN-2', 'SAFE-1', 'INV-2'],
    fields: ['.votesGranted:', '.role:', 'sent:'],
    patches: [
      patch('node.ts',
        `    if (m.term < this.currentTerm || this.role !== 'candidate') return;
    if (m.voteGranted) this.votesGranted.add(m.from);`,
        `    if (this.role !== 'candidate') return; // BUG: a vote of an earlier term is counted too
    if (m.term < this.currentTerm && m.voteGranted && !this.votesGranted.has(m.from)) ${FIRED}
    if (m.voteGranted) this.votesGranted.add(m.from);`),
      weightsPatch(CHURN_WEIGHTS),
    ],
  },
  {
    name: 'TruncateWithoutConflict',
    description:
      'AE-3 read as "replace everything after prevLogIndex": the follower deletes its entries after prevLogIndex on every AppendEntries, even a heartbeat or a reordered older one whose entries all match. ' +
      'Fires when the log this leaves differs from the correct one (a recorded field). Named: AE-3 (truncate only on a conflict), AE-4 (append only entries not already in the log), SAFE-3 / INV-9 (an entry lost that a majority acknowledged or that was committed).',
    rules: ['AE-3', 'AE-4', 'SAFE-3', 'INV-9'],
    fields: ['.log:'],
    patches: [
      patch('node.ts',
        `    m.entries.forEach((entry, i) => {
      const index = m.prevLogIndex + 1 + i;
      if (index <= this.lastLogIndex() && this.termAt(index) === entry.term) return;
      if (index <= this.lastLogIndex()) this.log.length = index - 1;
      this.log.push({ term: entry.term, command: entry.command });
    });`,
        `    const correct = [...this.log];
    m.entries.forEach((entry, i) => {
      const index = m.prevLogIndex + 1 + i;
      if (index <= correct.length && correct[index - 1]!.term === entry.term) return;
      if (index <= correct.length) correct.length = index - 1;
      correct.push({ term: entry.term, command: entry.command });
    });
    // BUG: everything after prevLogIndex is replaced by the entries carried, conflict or not.
    const replaced = this.log.slice(0, m.prevLogIndex).concat(m.entries.map((e) => ({ term: e.term, command: e.command })));
    if (replaced.length !== correct.length || replaced.some((e, k) => e.term !== correct[k]!.term || e.command !== correct[k]!.command)) ${FIRED}
    this.log = replaced;`),
    ],
  },
  {
    name: 'NoPrevLogIndexCheck',
    description:
      'AE-2 without the index check: a follower whose log is shorter than prevLogIndex does not reject, but appends the entries at the end of its log (at the wrong indexes) and answers success. ' +
      'Fires at every such AppendEntries (the response sent differs: success instead of a rejection). Named: AE-2 (the consistency check), SAFE-3 (Log Matching).',
    rules: ['AE-2', 'SAFE-3'],
    fields: ['sent:'],
    patches: [
      patch('node.ts', AE2_CHECK,
        `    // BUG: no prevLogIndex check: a log shorter than prevLogIndex takes the entries at its end.
    if (m.prevLogIndex > this.lastLogIndex()) ${FIRED}
    if (m.prevLogIndex <= this.lastLogIndex() && this.termAt(m.prevLogIndex) !== m.prevLogTerm) {`),
    ],
  },
  {
    name: 'CommitMedianAsStrings',
    description:
      'LEA-4 as the median of the match indexes (the leader\'s last index among them) sorted with the default sort, which compares them as strings ("10" < "9"), so the leader commits an index a majority does not hold, or holds back one it does. ' +
      'Fires only when the string sort changes the commitIndex the leader takes (a recorded field), not merely the median. Named: LEA-4 (commit), SAFE-5 / INV-9 (an entry committed without a majority).',
    rules: ['LEA-4', 'SAFE-5', 'INV-9'],
    fields: ['.commitIndex:'],
    patches: [
      patch('node.ts', ADVANCE_COMMIT,
        `  private advanceCommitIndex(): void {
    // BUG: the median of the match indexes, sorted as strings. Descending, the value at floor(n/2) is held by a majority.
    const held = [this.lastLogIndex(), ...this.peers.map((p) => this.matchIndex.get(p) ?? 0)];
    const median = (xs: number[]) => xs[Math.floor(this.cluster.length / 2)]!;
    const commit = (n: number) => (n > this.commitIndex && this.termAt(n) === this.currentTerm ? n : this.commitIndex);
    const asStrings = commit(median(held.map(String).sort().reverse().map(Number)));
    if (asStrings !== ${CORRECT_COMMIT}) ${FIRED}
    this.commitIndex = asStrings;
  }`),
      // More commands, so that logs pass index 9 while followers lag behind it.
      weightsPatch({ deliver: 50, drop: 4, duplicate: 3, electionTimeout: 4, heartbeatTimeout: 6, clientRequest: 25, apply: 6, crash: 1.5, restart: 3, partition: 2, heal: 1 }),
    ],
  },
  {
    name: 'TermVoteNotPersisted',
    description:
      'currentTerm and votedFor written to stable storage only together with log entries (PER-1 broken): a term adopted or a vote given without a log write lives in memory only, and a crash loses it. ' +
      'Fires at a restart whose server came back with another term or vote than it had when it crashed (a recorded field once it runs). Named: PER-1 (persist before answering: the model fires it at the restart), INV-1 / INV-2 (term monotone, one vote per term), SAFE-1.',
    rules: ['PER-1', 'INV-1', 'INV-2', 'SAFE-1'],
    fields: ['.currentTerm:', '.votedFor:'],
    patches: [
      patch('node.ts', '  log: Entry[] = [];\n',
        `  log: Entry[] = [];
  // BUG: the term and vote on stable storage, written only with log entries.
  private saved = { term: 0, votedFor: null as NodeId | null };
  lostAtCrash = false;
`),
      patch('node.ts', '      this.log.push({ term: this.currentTerm, command });\n',
        `      this.log.push({ term: this.currentTerm, command });
      this.saved = { term: this.currentTerm, votedFor: this.votedFor };
`),
      patch('node.ts', '    // AE-5: up to the last new entry',
        `    if (m.entries.length > 0) this.saved = { term: this.currentTerm, votedFor: this.votedFor };
    // AE-5: up to the last new entry`),
      patch('node.ts', '  crash(): void {\n',
        `  crash(): void {
    if (this.currentTerm !== this.saved.term || this.votedFor !== this.saved.votedFor) this.lostAtCrash = true;
    this.currentTerm = this.saved.term;
    this.votedFor = this.saved.votedFor;
`),
      patch('cluster.ts', `      case 'restart': this.crashed.delete(e.node); return NOTHING;`,
        `      case 'restart': {
        const n = this.node(e.node);
        if (n.lostAtCrash) { ${FIRED} n.lostAtCrash = false; }
        this.crashed.delete(e.node);
        return NOTHING;
      }`),
    ],
  },
  {
    name: 'Figure8CommitByCounting',
    description:
      'LEA-4 without "of the current term": the leader commits an entry of an earlier term as soon as a majority holds it (Figure 8), which a later leader may overwrite. ' +
      'Fires when this gives another commitIndex than the correct rule (a recorded field). Named: LEA-4 (commit only an entry of the current term), SAFE-4 / SAFE-5 / INV-9 (a committed entry overwritten or applied differently).',
    rules: ['LEA-4', 'SAFE-4', 'SAFE-5', 'INV-9'],
    fields: ['.commitIndex:'],
    patches: [
      patch('node.ts', ADVANCE_COMMIT,
        `  private advanceCommitIndex(): void {
    const correct = ${CORRECT_COMMIT};
    // BUG: the highest index a majority holds is committed, whatever its term.
    let n = this.lastLogIndex();
    while (n > this.commitIndex && !this.isMajority(1 + this.peers.filter((p) => (this.matchIndex.get(p) ?? 0) >= n).length)) n--;
    const counted = Math.max(n, this.commitIndex);
    if (counted !== correct) ${FIRED}
    this.commitIndex = counted;
  }`),
      weightsPatch(CHURN_WEIGHTS),
    ],
  },
  {
    name: 'NoPrevLogTermCheck',
    description:
      'AE-2 without the term check: an entry at prevLogIndex is taken as a match whatever its term, so a follower keeps a conflicting prefix and acknowledges the leader\'s entries after it. ' +
      'Fires at every AppendEntries whose prevLogTerm differs from the term the follower holds at prevLogIndex (the response sent differs: success instead of a rejection). Named: AE-2 (the consistency check), SAFE-3 (Log Matching).',
    rules: ['AE-2', 'SAFE-3'],
    fields: ['sent:'],
    patches: [
      patch('node.ts', AE2_CHECK,
        `    // BUG: no prevLogTerm check: an entry at prevLogIndex of any term matches.
    if (m.prevLogIndex <= this.lastLogIndex() && this.termAt(m.prevLogIndex) !== m.prevLogTerm) ${FIRED}
    if (m.prevLogIndex > this.lastLogIndex()) {`),
      weightsPatch(CHURN_WEIGHTS),
    ],
  },
  {
    name: 'VoteGrantedTwice',
    description:
      'RV-2 without "votedFor is null or candidateId": a server grants its vote to every candidate of the term whose log is up to date, a second one included. ' +
      'Fires when a server that voted for another candidate in the term grants (the response sent and votedFor differ). Named: RV-2 (grant vote), INV-2 (one vote per term), SAFE-1 (Election Safety).',
    rules: ['RV-2', 'INV-2', 'SAFE-1'],
    fields: ['sent:', '.votedFor:'],
    patches: [
      patch('node.ts', '    const grant = (this.votedFor === null || this.votedFor === m.candidateId) && upToDate;',
        `    // BUG: RV-2 without votedFor: every up-to-date candidate of the term gets the vote.
    if (upToDate && this.votedFor !== null && this.votedFor !== m.candidateId) ${FIRED}
    const grant = upToDate;`),
      weightsPatch(CHURN_WEIGHTS),
    ],
  },
  {
    name: 'LeaderOverwritesOwnLog',
    description:
      'A leader that writes a new command right after its last committed entry, over the uncommitted entries it holds there, instead of appending it at the end of its log (LEA-2, Leader Append-Only). ' +
      'Fires when the leader holds entries past its commitIndex as a command arrives (its log then loses them: a recorded field). Named: LEA-2 (append the command to the local log), SAFE-2 (Leader Append-Only).',
    rules: ['LEA-2', 'SAFE-2'],
    fields: ['.log:'],
    patches: [
      patch('node.ts', '      this.log.push({ term: this.currentTerm, command });\n',
        `      // BUG: the command goes right after the last committed entry, over what the leader holds there.
      if (this.lastLogIndex() > this.commitIndex) ${FIRED}
      this.log.length = this.commitIndex;
      this.log.push({ term: this.currentTerm, command });
`),
    ],
  },
  {
    name: 'CommitIndexBack',
    description:
      'AE-5 without "if leaderCommit > commitIndex": a follower sets commitIndex := min(leaderCommit, last new entry) on every AppendEntries, so an older one (reordered, or one clamped by C6 to what it carries) moves commitIndex back. ' +
      'Fires when that lowers commitIndex (a recorded field). Named: DEC-2 (commitIndex never moves back), AE-5 (follow the leader\'s commit), INV-4 (commit monotone).',
    rules: ['DEC-2', 'AE-5', 'INV-4'],
    fields: ['.commitIndex:'],
    patches: [
      patch('node.ts',
        `    if (m.leaderCommit > this.commitIndex) {
      this.commitIndex = Math.max(this.commitIndex, Math.min(m.leaderCommit, lastNew));
    }`,
        `    // BUG: commitIndex follows every AppendEntries, down as well as up.
    if (Math.min(m.leaderCommit, lastNew) < this.commitIndex) ${FIRED}
    this.commitIndex = Math.min(m.leaderCommit, lastNew);`),
    ],
  },
];

// -----------------------------------------------------------------------------------------------
// Patched copies of this folder

/** The example's folder (this file is with its tests, in test/). */
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the patched copies go (gitignored): .mutants/compact-raft/<name>/ at the repository's root. */
export const COPIES_DIR = join(resolve(HERE, '..', '..'), '.mutants', 'compact-raft');

/** The example's sources: the .ts files of its folder (its tests, and this file, are in test/). */
function sources(): string[] {
  return readdirSync(HERE).filter((f) => f.endsWith('.ts')).sort();
}

/** `text` with every patch of `bug` for `file` applied (test/source-patch.ts: the same rule as the mutants of impl/). */
export const applyPatches = (bug: Pick<PlantedBug, 'name' | 'patches'>, file: string, text: string): string =>
  applySourcePatches(`planted bug ${bug.name}`, 'examples/compact-raft', bug.patches, file, text);

/** Writes the patched copy for `bug` (files it does not patch copied as they are); returns its folder. */
export function materialize(bug: Pick<PlantedBug, 'name' | 'patches'>): string {
  const files = sources();
  for (const p of bug.patches) {
    if (!files.includes(p.file)) throw new Error(`planted bug ${bug.name}: a patch names examples/compact-raft/${p.file}, which is not a source of the example`);
  }
  const dir = join(COPIES_DIR, bug.name);
  for (const file of files) writeIfChanged(join(dir, file), applyPatches(bug, file, readFileSync(join(HERE, file), 'utf8')));
  return dir;
}

type Harness = typeof import('../harness.js');

/** The harness of the patched copy for `bug` (materialized first). */
export async function loadHarness(bug: Pick<PlantedBug, 'name' | 'patches'>): Promise<Harness> {
  const dir = materialize(bug);
  return (await import(pathToFileURL(join(dir, 'harness.ts')).href)) as Harness;
}

/** Reads and resets the counter the patches increment. */
export function takeFired(): number {
  const g = globalThis as { __bugFired?: number };
  const n = g.__bugFired ?? 0;
  g.__bugFired = 0;
  return n;
}
