// Mutation tests' variants of the implementation: each mutant puts ONE pitfall of section 6 of
// the reference (../shared/raft-reference.md), or of the rules of log compaction and client
// interaction (docs/compaction-and-clients.md), or of the dissertation's options
// (docs/dissertation-options.md), or of membership changes (docs/membership.md), back into the
// code, as a few small source patches applied to a copy of impl/ (as mutation tools do), so that
// impl/ needs no test-only seam. Each is described by data: the pitfall, the rule it breaks, the
// field a lockstep report is expected to name, the campaign that hunts it, and its patches.
//
// A patch names a file of impl/, a snippet of its source and the snippet's replacement. The
// snippet must occur exactly once: a refactoring of impl/ that breaks a patch fails the test that
// loads the mutant, naming the mutant and the patch, instead of quietly testing nothing.
//
// A campaign that finds a mutant shrinks the failing trace itself (conformance/shrink.ts).
import { applyPatches as applySourcePatches, writeIfChanged } from './source-patch.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProtocolOptions } from '../spec/schema.js';
import type { ImplFactory } from '../conformance/lockstep.js';
import { DEFAULT_CLIENTS, DEFAULT_WEIGHTS, type ClientOptions, type MembershipOptions, type Weights } from '../conformance/generate.js';

/** One edit of impl/: in `file` (a path under impl/), the one occurrence of `find` becomes `replace`. */
export interface Patch {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

/** The campaign a mutant is hunted with (seed and budget are the test's). */
export interface CampaignShape {
  readonly servers: number;
  readonly options?: ProtocolOptions;
  /** Event weights when the defaults make the pitfall's situation too rare (see the mutant). */
  readonly weights?: Weights;
  /** Key-value clients, reads and snapshots (issue 4); the weights default to CLIENT_WEIGHTS then. */
  readonly clients?: ClientOptions;
  /** Membership changes from the generator's bootstrap configuration (issue 5). */
  readonly membership?: MembershipOptions;
}

export interface Mutant {
  readonly name: string;
  /** The pitfall, as section 6 of the reference words it (or, for the rules it does not list, in the same style). */
  readonly pitfall: string;
  /** The rule (or choice) the mutant breaks. */
  readonly rule: string;
  /** What a report should name: divergence fields (prefixes, e.g. 'matchIndex['), or invariant IDs for a 'fail'. */
  readonly fields: readonly string[];
  readonly shape: CampaignShape;
  /** The bug, as edits of impl/. */
  readonly patches: readonly Patch[];
}

// -----------------------------------------------------------------------------------------------
// Patched copies of impl/

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the patched copies go (gitignored): .mutants/<name>/impl, with .mutants/<name>/spec a link to spec/. */
export const MUTANTS_DIR = join(ROOT, '.mutants');

/** The sources of impl/ (its tests left out), by path relative to impl/. */
function implSources(dir = join(ROOT, 'impl'), prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'test' ? [] : implSources(p, `${prefix}${name}/`);
    return name.endsWith('.ts') ? [`${prefix}${name}`] : [];
  });
}

/** `text` with every patch of `m` for `file` applied (test/source-patch.ts). */
export const applyPatches = (m: Mutant, file: string, text: string): string => applySourcePatches(`mutant ${m.name}`, 'impl', m.patches, file, text);

/** Writes the patched copy of impl/ for `m` (files that need no change are copied as they are); returns its folder. */
export function materialize(m: Mutant): string {
  const sources = implSources();
  for (const p of m.patches) {
    if (!sources.includes(p.file)) throw new Error(`mutant ${m.name}: a patch names impl/${p.file}, which is not a source of impl/`);
  }
  const dir = join(MUTANTS_DIR, m.name);
  for (const file of sources) writeIfChanged(join(dir, 'impl', file), applyPatches(m, file, readFileSync(join(ROOT, 'impl', file), 'utf8')));
  const spec = join(dir, 'spec');
  if (!existsSync(spec)) {
    try {
      symlinkSync(join('..', '..', 'spec'), spec, 'dir');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return dir;
}

type Impl = typeof import('../impl/index.js');

/** The mutant's RaftNode, from its patched copy of impl/ (materialized first). */
export async function loadMutant(m: Mutant): Promise<Impl['RaftNode']> {
  const dir = materialize(m);
  const mod = (await import(pathToFileURL(join(dir, 'impl', 'index.ts')).href)) as Impl;
  return mod.RaftNode;
}

/** The ImplFactory of a RaftNode class (the real one, or a mutant's). */
export const factoryOf = (cls: Impl['RaftNode']): ImplFactory => ({
  create: (config, initial) => new cls(config, initial),
  restart: (config, persisted) => cls.restart(config, persisted),
});

// -----------------------------------------------------------------------------------------------
// The mutants

const PITFALL = {
  truncate: 'Truncating the log on a heartbeat or on a stale, reordered AppendEntries whose entries already match (AE-3 read as "replace everything after prevLogIndex").',
  ae5: 'AE-5 with the local last index instead of the last new entry.',
  figure8: 'Committing an entry of an earlier term by counting replicas (Figure 8).',
  votes: 'Counting votes without checking the term of the response, or counting one voter twice.',
  stale: 'Accepting a stale AppendEntries or RequestVote response from an older term and updating nextIndex, matchIndex or votes from it.',
  matchFromLast: "Setting matchIndex from the leader's current last index instead of from what the acknowledged request carried.",
  upToDate: 'The up-to-date check comparing only index, only term, or requiring both to be larger.',
  votedFor: 'Not clearing votedFor when the term increases; voting twice in one term after a restart because votedFor was not persisted.',
  indexes: 'nextIndex falling below 1, or matchIndex moving backwards.',
  commitBack: 'commitIndex moving backwards on a follower when an old AppendEntries arrives.',
  stepDown: 'A candidate or leader not stepping down on a response with a higher term.',
  snapshotApply: 'Applying an entry twice, or out of order, after a snapshot is installed.',
  // Not in section 6 of the reference: the rules of docs/compaction-and-clients.md, worded likewise.
  keepTail: 'Discarding the whole log when a snapshot is installed, even the entries after a last included entry the log holds (IS-6).',
  exactlyOnce: 'Executing a retried client command again: applying a (client, seq) the client table already holds (CLI-2).',
  readIndex: 'Answering a read without a heartbeat round acknowledged by a majority, or before the leader has committed an entry of its term (CLI-4).',
  redirect: 'Redirecting a client to the wrong leader: leaderId not learned from AppendEntries, or kept from an older term (CLI-1).',
  compacted: 'Sending an AppendEntries with a compacted prevLogIndex instead of an InstallSnapshot (SNAP-2), or rejecting one whose prevLogIndex is compacted (SNAP-5).',
  // Not in section 6 either: the options of docs/dissertation-options.md, worded likewise.
  preVoteTerm: "A pre-vote that changes a term: the receiver adopting the PreVote's term (PV-2 handled after ALL-2), or the precandidate adopting the term of a granted PreVoteResponse (ALL-2 on a grant).",
  preVoteLeader: 'Granting a pre-vote while hearing from a live leader (PV-2 without heardFromLeader), so a server that lost touch deposes it anyway.',
  checkQuorum: 'A leader that never steps down when it has not heard from a majority since its last election timeout, or that never forgets the peers it heard from (CQ-1).',
  guard: 'The disruption guard not applied (a live leader deposed by a newer RequestVote), or applied to the RequestVotes of a leadership transfer too, so the transfer cannot succeed (CFG-6, LT-4).',
  transfer: 'Accepting client commands during a leadership transfer (LT-3), or a TimeoutNow election whose RequestVotes are not marked as a transfer (LT-4).',
  pipelining: 'With pipelining, acting only on the rejection of the latest request (PIP-2 read as DEC-4), or on stale rejections of requests already overtaken.',
  flowControl: "Flow control that ignores the window, or that holds back the leader's entries of its own term (FC-3 without termStart: the cluster stops).",
  // Not in section 6 either: the membership changes of docs/membership.md, worded likewise.
  termGuard: 'Accepting a single-server change before the leader has committed an entry of its term (the bug published on raft-dev in 2015, CFG-7): a deposed leader\'s uncommitted configuration and the new leader\'s can then have disjoint majorities.',
  changeInProgress: 'Accepting a new configuration change while the previous configuration entry is still uncommitted, or while the configuration is joint (CFG-7, CFG-2).',
  jointQuorum: 'While joint (C_old,new), counting commitment or votes with the voters of C_new only, instead of a majority of each half (CFG-2).',
  removedLeader: 'A leader that is not a voter of its configuration counting itself in quorums, or not stepping down once the configuration that removes it is committed (CFG-5).',
  leaveJoint: 'Not appending C_new in the step C_old,new is committed, so the cluster stays joint, or leaves it later than the rule says (CFG-3).',
  configInForce: 'A configuration taking effect only once committed (etcd\'s reading) instead of as soon as it is in the log, committed or not (CFG-1).',
  learner: 'A learner, or a server outside its configuration, starting elections (DEC-14), or its acknowledgement counting toward commitment (CFG-4).',
  snapshotConfig: 'A snapshot that records no configuration (SNAP-1), so that once its configuration entries are compacted, and after a restart or an install, the bootstrap configuration is in force again.',
  // Not in section 6 either: follower reads (docs/follower-reads.md), worded likewise.
  followerBehind: "With follower reads, a server answering a read from a state older than the client has already seen (below the read's after, FR-2): the client's reads go back (ZK-3).",
} as const;

const patch = (file: string, find: string, replace: string): Patch => ({ file, find, replace });

const mutant = (name: string, pitfall: string, rule: string, fields: readonly string[], shape: CampaignShape, patches: readonly Patch[]): Mutant =>
  ({ name, pitfall, rule, fields, shape, patches });

const THREE: CampaignShape = { servers: 3 };
/** With 3 servers one granted vote is a majority, so a duplicated vote reaches a leader, which drops it. */
const FIVE: CampaignShape = { servers: 5 };
/**
 * More delayed copies and duplicates (and commands) than the default weights give. Stale responses
 * are delayed copies; and with DEC-4 a follower holds entries past the last new entry of a current
 * AppendEntries only after it rejected a probe and then received older copies of the leader's
 * AppendEntries, so AE-5's local-last-index reading shows only so (about one seed in two finds it
 * in 300 schedules with these weights, two of 16 with the default ones).
 */
const THREE_REORDERED: CampaignShape = {
  servers: 3,
  weights: { ...DEFAULT_WEIGHTS, inject: 100, duplicate: 60, crash: 30, restart: 60, clientRequest: 200 },
};
/**
 * The up-to-date check matters only between logs that diverged over several terms (a voter with a
 * longer log of an older term, a candidate with a shorter one of a newer term): more crashes,
 * partitions, timeouts and commands than the default weights give.
 */
const THREE_CHURN: CampaignShape = {
  servers: 3,
  weights: { ...DEFAULT_WEIGHTS, crash: 60, restart: 100, partition: 60, heal: 40, clientRequest: 250, electionTimeout: 80 },
};

/** Key-value clients with retries, ReadIndex reads and snapshots (CLIENT_WEIGHTS), each chunk of a snapshot 64 characters (the default). */
const THREE_CLIENTS: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS };
/**
 * IS-6 matters only when a follower holds the snapshot's last included entry and entries after it
 * without knowing they are committed. With one entry per AppendEntries (the default) a follower
 * gets entries past the leader's nextIndex for it only through reordering across terms, and no
 * seed of 1..9 finds the mutant in 300 schedules; with four, one AppendEntries carries entries
 * beyond the index the leader commits and compacts while the follower's acknowledgement is still in
 * flight, and the next heartbeat sends the snapshot (every seed of 1..11 finds it).
 */
const THREE_CLIENTS_BATCH: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS, options: { maxEntriesPerAppendEntries: 4 } };

/**
 * PreVote and CheckQuorum together in one campaign (each mutant of either is found in the first few
 * schedules with the default weights, so one shape, and one campaign of the real implementation, serves both).
 */
const THREE_PREVOTE_CHECKQUORUM: CampaignShape = { servers: 3, options: { preVote: true, checkQuorum: true } };
/**
 * Leadership transfer with the disruption guard: the guard is what makes a transfer's
 * `transfer: true` matter (without it an unmarked RequestVote is handled as a marked one), and a
 * transfer is what the guard must let through. transferLeadership events come at TRANSFER_WEIGHT.
 */
const THREE_TRANSFER_GUARD: CampaignShape = { servers: 3, options: { leadershipTransfer: true, disruptionGuard: true } };
/** Pipelining with batches of three, so that several requests, each with entries, are in flight at once (PIP-1). */
const THREE_PIPELINING: CampaignShape = { servers: 3, options: { pipelining: true, maxEntriesPerAppendEntries: 3 } };
/**
 * A window of one with batches of four and clients: the window cuts a batch as soon as a follower
 * has not yet applied what it holds, and clients (and their retries) fill the log with entries of
 * several terms, so that termStart lets a new leader's own entries past the window.
 */
const THREE_FLOW_CONTROL: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS, options: { flowControlWindow: 1, maxEntriesPerAppendEntries: 4 } };

/**
 * Membership changes from the generator's bootstrap configuration (voters s1, s2; s3 and s4 to add)
 * without the leader's no-op: a new leader has committed no entry of its term until a client
 * command of its term commits, so a change asked of it right after its election meets CFG-7's guard.
 */
const FOUR_MEMBERSHIP: CampaignShape = { servers: 4, membership: {} };
/**
 * Membership changes from voters s1, s2 (s3 and s4 to add) with the leader's no-op (CLI-3), so that
 * the term guard is soon satisfied and changes are accepted, committed and followed by others:
 * learners added and promoted, voters removed (the leader too), joint changes (CFG-2 .. CFG-5).
 * reconfigure events at 40 rather than 25: a joint change is one reconfigure in eight, and a
 * learner's acknowledgement matters only once one has been added and another voter lags; with 25
 * (or with five servers) JointNewHalfOnly and LearnerCounted take up to 165 schedules over seeds
 * 1..4, with 40 at most 125 (44 with seed 4).
 */
const FOUR_MEMBERSHIP_NOOP: CampaignShape = { servers: 4, options: { leaderNoop: true }, weights: { ...DEFAULT_WEIGHTS, reconfigure: 40 }, membership: {} };
/** Membership changes with key-value clients and snapshots (CLIENT_WEIGHTS), so that snapshots cover configuration entries (SNAP-1, IS-5). */
const FOUR_MEMBERSHIP_CLIENTS: CampaignShape = { servers: 4, clients: DEFAULT_CLIENTS, options: { leaderNoop: true }, membership: {} };
/** Follower reads: clients read from any server and carry the highest index they have seen (FR-4). */
const THREE_FOLLOWER_READS: CampaignShape = { servers: 3, clients: DEFAULT_CLIENTS, options: { followerReads: true } };


/** LEA-3a in impl/replication.ts: how a success moves a follower's progress (the snippet two mutants replace). */
const SUCCESS_PROGRESS = `  const matchIndex = Math.max(before, m.matchIndex);
  const nextIndex = r.opts.nextFollowsSuccess ? m.matchIndex + 1 : Math.max(p.nextAt(slot, 1), m.matchIndex + 1);
  p.matchIndex[slot] = matchIndex;
  p.nextIndex[slot] = nextIndex;
  // The quorum can only move when a matchIndex passes commitIndex (see maybeCommit).
  afterProgress(r, slot, nextIndex, lead.quorumStale || (matchIndex > before && matchIndex > r.commitIndex));`;

export const MUTANTS: readonly Mutant[] = [
  /** AE-3 read as "replace everything after prevLogIndex": truncates on a heartbeat or on a stale AppendEntries whose entries already match. */
  mutant('TruncateAfterPrev', PITFALL.truncate, 'AE-3', ['log'], THREE, [
    patch('follower.ts',
  `  let k = Math.max(0, log.base - prevLogIndex);`,
  `  if (held > prevLogIndex) {
    log.truncateAfter(prevLogIndex);
    r.ready.truncatedAfter = prevLogIndex;
  }
  if (entries.length === 0) return;
  for (const e of entries) log.append(e);
  r.ready.appended = { index: prevLogIndex + 1, entries: entries.slice() };
  return;
  let k = Math.max(0, log.base - prevLogIndex);`),
  ]),
  /** AE-5 with the local last index instead of the last new entry. */
  mutant('CommitToLocalLast', PITFALL.ae5, 'AE-5', ['entries applied', 'commitIndex'], THREE_REORDERED, [
    patch('follower.ts',
  `    const commitIndex = Math.min(m.leaderCommit, lastNewEntry);
    if (commitIndex > r.commitIndex) r.commitIndex = commitIndex;`,
  `    r.commitIndex = Math.min(m.leaderCommit, r.log.lastIndex);`),
  ]),
  /** LEA-4 without the term check: commits an entry of an earlier term by counting replicas (Figure 8). */
  mutant('CommitEarlierTerm', PITFALL.figure8, 'LEA-4', ['entries applied', 'commitIndex', 'messages sent'], THREE, [
    patch('replication.ts',
  `  if (n > r.commitIndex && r.log.termAt(n) === r.currentTerm) r.commitIndex = n;`,
  `  if (n > r.commitIndex) r.commitIndex = n;`),
  ]),
  /** CAN-2 counting one voter twice (a duplicated RequestVoteResponse). */
  mutant('CountVoterTwice', PITFALL.votes, 'CAN-2', ['votesGranted', 'messages sent', 'role'], FIVE, [
    patch('roles.ts',
  `    if (!this.votes.includes(voter)) this.votes.push(voter);`,
  `    this.votes.push(voter);`),
  ]),
  /** DEC-1 missing for votes: a candidate counts a granted vote of an older term. */
  mutant('CountStaleVote', PITFALL.votes, 'DEC-1', ['votesGranted', 'messages sent', 'role'], THREE, [
    patch('node.ts',
  `    if (m.type === 'RequestVote') answerVote(r, m, false); // RV-1`,
  `    if (m.type === 'RequestVoteResponse' && r.role === 'candidate') return this.stepCandidate(m);
    if (m.type === 'RequestVote') answerVote(r, m, false); // RV-1`),
  ]),
  /** DEC-1 missing for AppendEntries responses: a leader updates nextIndex and matchIndex from a response of an older term. */
  mutant('AcceptStaleAppendResponse', PITFALL.stale, 'DEC-1', ['messages sent', 'matchIndex[', 'nextIndex[', 'entries applied', 'commitIndex'], THREE_REORDERED, [
    patch('node.ts',
  `    if (m.type === 'RequestVote') answerVote(r, m, false); // RV-1`,
  `    if (m.type === 'AppendEntriesResponse' && r.role === 'leader') return this.stepLeader(m);
    if (m.type === 'RequestVote') answerVote(r, m, false); // RV-1`),
  ]),
  /** LEA-3a with the leader's current last index instead of what the acknowledged request carried. */
  mutant('MatchFromLeaderLastIndex', PITFALL.matchFromLast, 'LEA-3a', ['messages sent', 'matchIndex[', 'nextIndex[', 'entries applied', 'commitIndex'], THREE, [
    patch('replication.ts',
  SUCCESS_PROGRESS,
  `  p.matchIndex[slot] = r.log.lastIndex;
  p.nextIndex[slot] = r.log.lastIndex + 1;
  if (lead.quorumStale || (r.log.lastIndex > before && r.log.lastIndex > r.commitIndex)) maybeCommit(r);
  r.applyUpToCommit();`),
  ]),
  /** LEA-3a without DEC-3's max: a reordered older success moves matchIndex (and nextIndex) back. */
  mutant('MatchIndexMovesBack', PITFALL.indexes, 'DEC-3', ['messages sent', 'matchIndex[', 'nextIndex['], THREE, [
    patch('replication.ts',
  SUCCESS_PROGRESS,
  `  p.matchIndex[slot] = m.matchIndex;
  p.nextIndex[slot] = m.matchIndex + 1;
  maybeCommit(r);
  r.applyUpToCommit();
  if (r.log.lastIndex >= m.matchIndex + 1) sendAppend(r, slot);`),
  ]),
  /** LEA-3b without DEC-4's probe check: nextIndex decremented on every rejection, stale and duplicated ones too (so it falls below matchIndex + 1; clamped at 1 so that sendAppendEntries stays defined). */
  mutant('DecrementOnEveryRejection', PITFALL.indexes, 'DEC-4', ['messages sent', 'nextIndex['], THREE, [
    patch('replication.ts',
  `  if (!rejectionIsOutstanding(r, m, slot)) return; // DEC-4: a stale or duplicated rejection`,
  `  p.nextIndex[slot] = Math.max(p.nextAt(slot, 1) - 1, 1);
  return sendAppend(r, slot);`),
  ]),
  /** §5.4.1 comparing only the index of the last entries. */
  mutant('UpToDateByIndexOnly', PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE_CHURN, [
    patch('election.ts',
  `  return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= r.log.lastIndex);`,
  `  return m.lastLogIndex >= r.log.lastIndex;`),
  ]),
  /** §5.4.1 comparing only the term of the last entries. */
  mutant('UpToDateByTermOnly', PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE, [
    patch('election.ts',
  `  return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= r.log.lastIndex);`,
  `  return m.lastLogTerm >= lastTerm;`),
  ]),
  /** §5.4.1 requiring both the last term and the last index to be at least ours. */
  mutant('UpToDateRequiresBoth', PITFALL.upToDate, 'RV-2', ['messages sent', 'votedFor'], THREE_CHURN, [
    patch('election.ts',
  `  return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex >= r.log.lastIndex);`,
  `  return m.lastLogTerm >= lastTerm && m.lastLogIndex >= r.log.lastIndex;`),
  ]),
  /** ALL-2 without clearing votedFor when the term increases. */
  mutant('KeepVoteOnNewTerm', PITFALL.votedFor, 'ALL-2', ['votedFor', 'messages sent'], THREE, [
    patch('core.ts',
  `    this.votedFor = null;
`,
  ``),
  ]),
  /** PER-1: Ready.hardState reports a term change but not a vote within the term, so the vote is not persisted and a restart can vote twice. */
  mutant('VoteNotPersisted', PITFALL.votedFor, 'PER-1', ['persisted currentTerm/votedFor (PER-1)'], THREE, [
    patch('node.ts',
  `    if (r.currentTerm !== this.termBefore || r.votedFor !== this.voteBefore || (r.opts.persistCommit && r.commitIndex !== this.commitBefore)) {`,
  `    if (r.currentTerm !== this.termBefore || (r.opts.persistCommit && r.commitIndex !== this.commitBefore)) {`),
  ]),
  /** AE-5 as Figure 2 words it, without DEC-2's max: an old AppendEntries moves commitIndex back. */
  mutant('CommitMovesBack', PITFALL.commitBack, 'DEC-2', ['commitIndex'], THREE, [
    patch('follower.ts',
  `    const commitIndex = Math.min(m.leaderCommit, lastNewEntry);
    if (commitIndex > r.commitIndex) r.commitIndex = commitIndex;`,
  `    r.commitIndex = Math.min(m.leaderCommit, lastNewEntry);`),
  ]),
  /** ALL-2 missing on responses: a candidate or leader handles a response of a newer term as one of its own term, and does not step down. */
  mutant('NoStepDownOnResponse', PITFALL.stepDown, 'ALL-2', ['role', 'currentTerm', 'messages sent'], THREE, [
    patch('node.ts',
  `    // Messages from outside the cluster are ignored (a trace cannot contain one).`,
  `    if ((m.type === 'RequestVoteResponse' || m.type === 'AppendEntriesResponse') && m.term > r.currentTerm && r.role !== 'follower') {
      return r.role === 'leader' ? this.stepLeader(m) : this.stepCandidate(m);
    }`),
  ]),
  // Log compaction and clients (docs/compaction-and-clients.md)
  /** DEC-11 checked against the snapshot's index instead of commitIndex: a snapshot of entries already committed (and applied) is installed, moving commitIndex and lastApplied back, so they are applied again. */
  mutant('InstallBelowCommit', PITFALL.snapshotApply, 'DEC-11', ['snapshotIndex', 'messages sent', 'commitIndex', 'lastApplied'], THREE_CLIENTS, [
    patch('snapshot.ts',
  `  if (m.lastIncludedIndex <= r.commitIndex) return answerSnapshot(r, m, end, true); // DEC-11: held and committed already`,
  `  if (m.lastIncludedIndex <= r.log.base) return answerSnapshot(r, m, end, true); // only a snapshot not newer than ours is refused`),
  ]),
  /** SNAP-4 forgotten: a restart initialises commitIndex and lastApplied to 0, as Figure 2 says, instead of to the snapshot's index (the state machine is the snapshot's), so it would apply from index 1 again. */
  mutant('RestartAppliesFromZero', PITFALL.snapshotApply, 'SNAP-4', ['commitIndex', 'lastApplied'], THREE_CLIENTS, [
    patch('node.ts',
  `    if (r.opts.persistCommit && commitIndex !== undefined && commitIndex > r.commitIndex) r.commitIndex = commitIndex; // DEC-7b
    return node;`,
  `    r.commitIndex = 0;
    r.lastApplied = 0;
    return node;`),
  ]),
  /** IS-6 ignored: an installed snapshot always discards the whole log (IS-7), even the entries after a last included entry it holds. */
  mutant('DiscardLogOnInstall', PITFALL.keepTail, 'IS-6', ['log length', 'log['], THREE_CLIENTS_BATCH, [
    patch('snapshot.ts',
  `  if (r.log.has(index) && r.log.termAt(index) === term) {`,
  `  if (r.log.has(index) && r.log.termAt(index) === term && false) {`),
  ]),
  /** CLI-2 without the client table's check: a retried command (same client and seq) committed twice is executed twice. */
  mutant('ExecuteDuplicateAgain', PITFALL.exactlyOnce, 'CLI-2', ['state machine result (KV-1, CLI-2)', 'machine (the key-value state machine, KV-1)', 'client replies'], THREE_CLIENTS, [
    patch('kv.ts',
  `      if (s && s.seq >= seq) return { result: s.seq === seq ? s.result : null, duplicate: true }; // CLI-2`,
  `      if (s && s.seq >= seq) return { result: this.run(command), duplicate: false };`),
  ]),
  /** CLI-4 without the heartbeat round: a leader answers a read as soon as its read index is applied, without a majority confirming it is still leader. */
  mutant('ReadWithoutRound', PITFALL.readIndex, 'CLI-4', ['client replies'], THREE_CLIENTS, [
    patch('reads.ts',
  `function roundAcked(r: RaftState, lead: LeaderState, round: number): boolean {
`,
  `function roundAcked(r: RaftState, lead: LeaderState, round: number): boolean {
  return true;
`),
  ]),
  /** CLI-4 without waiting for an entry of the leader's term to commit: a new leader takes its commitIndex, possibly stale, as the read index at once. */
  mutant('ReadBeforeTermCommit', PITFALL.readIndex, 'CLI-4', ['messages sent', 'client replies'], THREE_CLIENTS, [
    patch('reads.ts',
  `  if (r.log.termAt(r.commitIndex) !== r.currentTerm) return; // §8: no entry of our term committed yet
`,
  ``),
  ]),
  /** CLI-1 with leaderId never learned from AppendEntries: a follower redirects clients to no leader (or, before a new term, a leader of the past). */
  mutant('LeaderIdNotLearned', PITFALL.redirect, 'CLI-1', ['leaderId (CLI-1)', 'client replies'], THREE_CLIENTS, [
    patch('follower.ts',
  `  r.leaderId = m.leaderId; // CLI-1: the leader of our term, whatever the consistency check says
`,
  ``),
  ]),
  /** CLI-1 with leaderId kept across terms: a server that adopts a newer term keeps redirecting clients to the leader of an older one. */
  mutant('LeaderIdKeptOnNewTerm', PITFALL.redirect, 'CLI-1', ['leaderId (CLI-1)', 'client replies'], THREE_CLIENTS, [
    patch('core.ts',
  `    this.leaderId = null; // CLI-1: no leader known in the new term yet
`,
  ``),
  ]),
  /** SNAP-2 missing: to a follower whose nextIndex is compacted, the leader sends an AppendEntries from its snapshot's index instead of an InstallSnapshot. */
  mutant('AppendEntriesFromSnapshot', PITFALL.compacted, 'SNAP-2', ['messages sent'], THREE_CLIENTS, [
    patch('replication.ts',
  `  if (nextIndex <= r.log.base) return sendSnapshotPart(r, slot, 0); // SNAP-2: those entries are compacted
  const prevLogIndex = nextIndex - 1;`,
  `  const prevLogIndex = Math.max(nextIndex - 1, r.log.base);`),
  ]),
  /** SNAP-5 missing: a follower whose snapshot covers an AppendEntries' prevLogIndex rejects it (AE-2 cannot find the entry) instead of treating the compacted prefix as matching. */
  mutant('RejectBelowSnapshot', PITFALL.compacted, 'SNAP-5', ['messages sent'], THREE_CLIENTS, [
    patch('follower.ts',
  `  if (m.prevLogIndex >= r.log.base && !r.log.matchesAt(m.prevLogIndex, m.prevLogTerm)) return rejectAppend(r, m);`,
  `  if (m.prevLogIndex < r.log.base) return answerAppend(r, m, false, 0);
  if (!r.log.matchesAt(m.prevLogIndex, m.prevLogTerm)) return rejectAppend(r, m);`),
  ]),
  // The dissertation's options (docs/dissertation-options.md)
  /** PV-2 handled after ALL-2, like a RequestVote: a pre-vote of a newer term makes its receiver adopt that term (and refuse, since it is no longer newer), so a partitioned server's pre-votes disrupt the cluster after all. */
  mutant('PreVoteChangesTerm', PITFALL.preVoteTerm, 'PV-2', ['messages sent', 'currentTerm'], THREE_PREVOTE_CHECKQUORUM, [
    patch('election.ts',
  `  if (m.type === 'PreVote') {
`,
  `  if (m.type === 'PreVote' && m.term > r.currentTerm) r.adoptTerm(m.term);
  if (m.type === 'PreVote') {
`),
  ]),
  /** ALL-2 applied to a granted PreVoteResponse: its term is the one proposed (currentTerm + 1), so the precandidate adopts it and becomes a follower instead of counting the pre-vote (PV-3). */
  mutant('PreVoteGrantAdoptsTerm', PITFALL.preVoteTerm, 'ALL-2', ['messages sent', 'currentTerm', 'role', 'votesGranted'], THREE_PREVOTE_CHECKQUORUM, [
    patch('election.ts',
  `  // A grant carries the term we proposed, so it never triggers ALL-2.
`,
  `  if (m.term > r.currentTerm) return r.adoptTerm(m.term);
`),
  ]),
  /** PV-2 without the heardFromLeader check: a follower that hears from a live leader still grants pre-votes, so a server that lost touch can win one and depose that leader. */
  mutant('PreVoteDespiteLeader', PITFALL.preVoteLeader, 'PV-2', ['messages sent'], THREE_PREVOTE_CHECKQUORUM, [
    patch('election.ts',
  `m.term > r.currentTerm && !r.heardFromLeader && logIsAtLeastAsRecent(r, m)`,
  `m.term > r.currentTerm && logIsAtLeastAsRecent(r, m)`),
  ]),
  /** CQ-1 that never steps down: a leader cut off from a majority stays leader (and keeps serving reads, CLI-4). */
  mutant('CheckQuorumNeverStepsDown', PITFALL.checkQuorum, 'CQ-1', ['role'], THREE_PREVOTE_CHECKQUORUM, [
    patch('election.ts',
  `  if (r.members.hasQuorum((slot) => slot === self || lead.wasActive(slot))) return lead.clearActive();`,
  `  return lead.clearActive();`),
  ]),
  /** CQ-1 without emptying recentlyActive: a peer heard from once counts at every later check, so a leader that lost it never steps down. */
  mutant('CheckQuorumKeepsActive', PITFALL.checkQuorum, 'CQ-1', ['recentlyActive'], THREE_PREVOTE_CHECKQUORUM, [
    patch('election.ts',
  `  if (r.members.hasQuorum((slot) => slot === self || lead.wasActive(slot))) return lead.clearActive();`,
  `  if (2 * (lead.active.length + 1) > r.servers.length) return; // counted, never forgotten
  if (r.members.hasQuorum((slot) => slot === self || lead.wasActive(slot))) return lead.clearActive();`),
  ]),
  /** CFG-6 not applied: a server that hears from its leader (or the leader itself) adopts the term of any newer RequestVote, so a partitioned server's elections depose a live leader. */
  mutant('GuardNotApplied', PITFALL.guard, 'CFG-6', ['messages sent', 'currentTerm'], THREE_TRANSFER_GUARD, [
    patch('election.ts',
  `  return r.opts.disruptionGuard && m.term > r.currentTerm && m.transfer !== true && (r.role === 'leader' || r.heardFromLeader);`,
  `  return false;`),
  ]),
  /** CFG-6 dropping transfer RequestVotes too: the RequestVotes of a transfer's election (LT-4) reach servers that heard from the old leader, and the old leader itself, and are ignored, so the transfer fails. */
  mutant('GuardDropsTransfer', PITFALL.guard, 'CFG-6', ['messages sent', 'currentTerm'], THREE_TRANSFER_GUARD, [
    patch('election.ts',
  `m.term > r.currentTerm && m.transfer !== true && (r.role === 'leader' || r.heardFromLeader)`,
  `m.term > r.currentTerm && (r.role === 'leader' || r.heardFromLeader)`),
  ]),
  /** LT-3 missing: a leader transferring its leadership still appends client commands, so the transferee may never catch up (and the commands are lost with the leadership). */
  mutant('AppendDuringTransfer', PITFALL.transfer, 'LT-3', ['messages sent', 'log', 'client replies'], THREE_TRANSFER_GUARD, [
    patch('proposals.ts',
  `  if (r.role === 'leader' && lead !== null && lead.transferee === null) {`,
  `  if (r.role === 'leader' && lead !== null) {`),
  ]),
  /** LT-4 without `transfer: true` on the RequestVotes of the election a TimeoutNow starts, so the disruption guard (CFG-6) drops them. */
  mutant('TimeoutNowUnmarked', PITFALL.transfer, 'LT-4', ['messages sent'], THREE_TRANSFER_GUARD, [
    patch('election.ts',
  `    if (transfer) m.transfer = true;
`,
  ``),
  ]),
  /** PIP-2 acting only on a rejection of the current probe (DEC-4 without pipelining): with nextIndex already past the entries in flight, the rejection of an earlier request is ignored and the follower is not repaired until a later one fails. */
  mutant('PipelineOnlyCurrentProbe', PITFALL.pipelining, 'PIP-2', ['messages sent', 'nextIndex['], THREE_PIPELINING, [
    patch('replication.ts',
  `  if (!r.opts.pipelining) return m.prevLogIndex === nextIndex - 1;`,
  `  return m.prevLogIndex === nextIndex - 1;`),
  ]),
  /** PIP-2 acting on stale rejections too (prevLogIndex <= matchIndex): a reordered rejection of a request already overtaken sends nextIndex back to matchIndex + 1 and the entries again. */
  mutant('PipelineStaleRejection', PITFALL.pipelining, 'PIP-2', ['messages sent', 'nextIndex['], THREE_PIPELINING, [
    patch('replication.ts',
  `  return p.matchAt(slot) < m.prevLogIndex && m.prevLogIndex < nextIndex;`,
  `  return m.prevLogIndex < nextIndex;`),
  ]),
  /** FC-3 ignoring the window: the leader sends a follower entries past its reported lastApplied + W, so a slow follower's unapplied log grows without bound. */
  mutant('IgnoreWindow', PITFALL.flowControl, 'FC-3', ['messages sent'], THREE_FLOW_CONTROL, [
    patch('replication.ts',
  `  const max = r.opts.maxEntries;
`,
  `  const max = r.opts.maxEntries;
  return max;
`),
  ]),
  /** FC-3 without termStart: a new leader whose log holds more than W unapplied entries of earlier terms never sends its own, so it never commits (Figure 8) and the cluster stops. */
  mutant('WindowWithoutTermStart', PITFALL.flowControl, 'FC-3', ['messages sent'], THREE_FLOW_CONTROL, [
    patch('replication.ts',
  `  if (log.lastIndex <= log.base || log.lastTerm !== r.currentTerm) return 0;`,
  `  return 0;`),
  ]),
  // Membership changes (docs/membership.md)
  /** CFG-7 without the 2015 fix: a single change is accepted before the leader has committed an entry of its current term, so its configuration may be decided by a quorum that never saw the previous leader's uncommitted one. */
  mutant('NoTermGuard', PITFALL.termGuard, 'CFG-7', ['messages sent', 'log'], FOUR_MEMBERSHIP, [
    patch('confchange.ts',
  `  return votersChanged(votersInForce, votersAsked) <= 1 && (r.opts.configOnApply || r.log.termAt(r.commitIndex) === r.currentTerm);`,
  `  return votersChanged(votersInForce, votersAsked) <= 1;`),
  ]),
  /** CFG-7, CFG-2 checking only whether the configuration in force is joint: a new change is accepted while the previous configuration entry (C_new among them) is still uncommitted. */
  mutant('ChangeWhileUncommitted', PITFALL.changeInProgress, 'CFG-7', ['messages sent', 'log'], FOUR_MEMBERSHIP_NOOP, [
    patch('confchange.ts',
  `  return r.members.joint || (r.opts.configOnApply ? pendingConfIndex(r) > r.lastApplied : r.log.lastConfigIndex() > r.commitIndex);`,
  `  return r.members.joint;`),
  ]),
  /** CFG-2 with one half only: while joint, commitment (LEA-4) is counted with the voters of C_new alone, as if C_new were in force, so an entry commits without a majority of C_old. */
  mutant('JointNewHalfOnly', PITFALL.jointQuorum, 'CFG-2', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP, [
    patch('replication.ts',
  `  const n = r.members.committedIndex((slot) => (slot === self ? lastIndex : p.matchAt(slot)));`,
  `  const held = r.members.config.voters.map((id) => (id === r.id ? lastIndex : p.matchAt(r.slotOf(id) as number)));
  held.sort((a, b) => b - a);
  const n = held[held.length >> 1] ?? 0;`),
  ]),
  /** CFG-5 without the voter check: a leader that is not a voter of its configuration in force (it removed itself, or demoted itself to learner) counts its own log in the quorum of each half. */
  mutant('SelfCountedWhenRemoved', PITFALL.removedLeader, 'CFG-5', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP, [
    patch('replication.ts',
  `  const n = r.members.committedIndex((slot) => (slot === self ? lastIndex : p.matchAt(slot)));`,
  `  // The largest index more than half of \`voters\` hold, the leader counted among them whether it is one or not.
  const countingSelf = (voters: readonly string[]): number => {
    const held = voters.filter((id) => id !== r.id).map((id) => p.matchAt(r.slotOf(id) as number));
    held.push(lastIndex);
    held.sort((a, b) => b - a);
    return held[voters.length >> 1] ?? 0;
  };
  const c = r.members.config;
  let n = countingSelf(c.voters);
  if (c.oldVoters !== undefined) n = Math.min(n, countingSelf(c.oldVoters));`),
  ]),
  /** CFG-5 without the step-down: a leader removed from its configuration keeps leading once that configuration is committed (and keeps counting no vote of its own). */
  mutant('RemovedLeaderStays', PITFALL.removedLeader, 'CFG-5', ['role', 'messages sent'], FOUR_MEMBERSHIP_NOOP, [
    patch('replication.ts',
  `  if (!r.members.selfVoter) resignRemoved(r); // CFG-5`,
  ``),
  ]),
  /** CFG-3 late: C_new is not appended in the step C_old,new is committed (nor at election), but only at the leader's next heartbeat. */
  mutant('NoCNew', PITFALL.leaveJoint, 'CFG-3', ['messages sent', 'log'], FOUR_MEMBERSHIP_NOOP, [
    patch('replication.ts',
  `  if (config.oldVoters !== undefined) {
    appendConf(r, normalizedConfig(config.voters, config.learners)); // CFG-3: C_new
    return settleCommit(r);
  }`,
  `  if (config.oldVoters !== undefined) return; // CFG-3 left for the next heartbeat`),
    patch('replication.ts',
  `export function bcastHeartbeat(r: RaftState): void {
`,
  `export function bcastHeartbeat(r: RaftState): void {
  const c = r.members.config;
  if (c.oldVoters !== undefined && r.log.lastConfigIndex() <= r.commitIndex) {
    appendConf(r, normalizedConfig(c.voters, c.learners));
    settleCommit(r);
    if (r.role !== 'leader') return;
  }
`),
  ]),
  /** CFG-1 read as etcd applies configurations: the configuration in force is the last one committed, not the last one in the log (a leader's own append included). */
  mutant('ConfigOnCommit', PITFALL.configInForce, 'CFG-1', ['messages sent', 'entries applied', 'commitIndex', 'role', 'votesGranted'], FOUR_MEMBERSHIP_NOOP, [
    patch('core.ts',
  `    const inLog = this.opts.configOnApply ? this.log.configAtOrBelow(this.lastApplied) : this.log.lastConfig();`,
  `    const inLog = this.log.configAtOrBelow(this.commitIndex);`),
    patch('confchange.ts',
  `  if (lead.transferee !== null && !r.members.hasVoter(r.slotOf(lead.transferee) as number)) lead.transferee = null; // LT-5
`,
  `  if (lead.transferee !== null && !r.members.hasVoter(r.slotOf(lead.transferee) as number)) lead.transferee = null; // LT-5
  r.syncConfig(); // in force only once committed
`),
  ]),
  /** DEC-14 missing: a learner, or a server outside its configuration in force, starts elections (or pre-votes) at its election timeout like a voter. */
  mutant('LearnerCampaigns', PITFALL.learner, 'DEC-14', ['messages sent', 'role', 'currentTerm'], FOUR_MEMBERSHIP_NOOP, [
    patch('election.ts',
  `  if (!r.members.selfVoter) return; // DEC-14: a learner, a removed server or one not yet added starts nothing
`,
  ``),
  ]),
  /** CFG-4 missing from LEA-4: the acknowledgements of learners count toward the majority of the voters, so an entry commits on fewer voters than a majority. */
  mutant('LearnerCounted', PITFALL.learner, 'CFG-4', ['entries applied', 'commitIndex', 'messages sent'], FOUR_MEMBERSHIP_NOOP, [
    patch('replication.ts',
  `  const n = r.members.committedIndex((slot) => (slot === self ? lastIndex : p.matchAt(slot)));`,
  `  const c = r.members.config;
  const counted = [...c.voters, ...(c.learners ?? []).filter((id) => id !== r.id)]; // the leader itself only as a voter (CFG-5)
  const held = counted.map((id) => (id === r.id ? lastIndex : p.matchAt(r.slotOf(id) as number)));
  held.sort((a, b) => b - a);
  let n = held[c.voters.length >> 1] ?? 0;
  if (c.oldVoters !== undefined) n = Math.min(n, r.members.committedIndex((slot) => (slot === self ? lastIndex : p.matchAt(slot))));`),
  ]),
  /** SNAP-1 without snapshotConfig: the snapshot records no configuration, so once the configuration entries are compacted the server (and any that installs the snapshot, or restarts from it) falls back to the bootstrap configuration. */
  mutant('SnapshotForgetsConfig', PITFALL.snapshotConfig, 'SNAP-1', ['snapshotConfig', 'persisted snapshotConfig'], FOUR_MEMBERSHIP_CLIENTS, [
    patch('snapshot.ts',
  `  r.snapshotConfig = r.log.configAtOrBelow(index) ?? r.snapshotConfig;
`,
  ``),
  ]),
  /** FR-2 forgotten: a server serves every read from its applied state, even one below the client's after, so a client that moves to a lagging follower reads backwards. */
  mutant('ReadBelowAfter', PITFALL.followerBehind, 'FR-2', ['client replies'], THREE_FOLLOWER_READS, [
    patch('reads.ts',
  `    if (r.lastApplied >= after) r.ready.replies.push(`,
  `    if (after >= 0) r.ready.replies.push(`),
  ]),
];
