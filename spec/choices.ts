// Choice points: the places where Figure 2 allows a correct implementation more than one
// behaviour. Each names its alternatives (DEC-3a, DEC-3b, ...), who takes each, and the one this
// project's model and implementation take by default. `raftspec validate` accepts a trace when
// some sequence of permitted alternatives explains every step (docs/choices.md); a profile (the
// trace's `profile`, or `--pin`) restricts them. A behaviour that breaks a safety property is not
// an alternative: docs/choices.md says why for the ones that were asked for.

export interface Alternative {
  /** The choice point's ID with a letter: DEC-3a, DEC-3b. */
  readonly id: string;
  readonly title: string;
  /** Who takes it: papers, specifications and implementations. */
  readonly who: string;
  readonly text: string;
}

export interface ChoicePoint {
  readonly id: ChoiceId;
  readonly title: string;
  /** The first alternative is the default: the model's and impl/'s behaviour when nothing is pinned. */
  readonly alternatives: readonly [Alternative, ...Alternative[]];
  /**
   * The second alternative accepts every message the first sends (DEC-6b: any number of entries,
   * the first's among them), so the validator's search takes it whenever it is permitted instead
   * of trying both, and counts it taken only where what was observed needs it.
   */
  readonly subsumes?: true;
  /**
   * Decided once for a whole run, not at each step (DEC-24: mixing the two readings of the
   * configuration in force within one run is neither alternative). The validator's search splits
   * its frontier once, where the alternatives first differ, and never merges the halves.
   */
  readonly perRun?: true;
}

export type ChoiceId = 'DEC-3' | 'DEC-4' | 'DEC-5' | 'DEC-6' | 'DEC-7' | 'DEC-16' | 'DEC-17' | 'DEC-18' | 'DEC-19' | 'DEC-20' | 'DEC-21' | 'DEC-22' | 'DEC-23' | 'DEC-24';

/** An alternative is named by its letter within its choice point. */
export type AlternativeLetter = 'a' | 'b';

const alt = (id: string, title: string, who: string, text: string): Alternative => ({ id, title, who, text });

export const CHOICE_POINTS: readonly ChoicePoint[] = [
  {
    id: 'DEC-3', title: 'Progress on a success',
    alternatives: [
      alt('DEC-3a', 'nextIndex never moves back', 'this model; etcd (Progress.MaybeUpdate)', 'On success matchIndex = max(matchIndex, m.matchIndex) and nextIndex = max(nextIndex, m.matchIndex + 1): a reordered older success moves neither back.'),
      alt('DEC-3b', 'nextIndex follows the response', 'raft.tla (HandleAppendEntriesResponse)', 'On success matchIndex = max(matchIndex, m.matchIndex) and nextIndex = m.matchIndex + 1: a reordered older success moves nextIndex back, and the entries after it are sent again.'),
    ],
  },
  {
    id: 'DEC-4', title: 'Which rejections back off',
    alternatives: [
      alt('DEC-4a', 'only the current probe', 'this model; etcd (Progress.MaybeDecrTo)', 'A rejection moves nextIndex back only if it answers the current probe (its prevLogIndex is nextIndex - 1); nextIndex becomes max(prevLogIndex, matchIndex + 1, 1) and the leader retries. Other rejections are dropped.'),
      alt('DEC-4b', 'every rejection', 'raft.tla; hashicorp/raft', 'Every rejection of the current term moves nextIndex back by one (never below 1), and the leader retries.'),
    ],
  },
  {
    id: 'DEC-5', title: 'What a leader sends a follower it has not matched',
    alternatives: [
      alt('DEC-5a', 'entries from nextIndex', 'this model; raft.tla', 'Every AppendEntries (heartbeats included) carries the entries from nextIndex (as many as one may carry).'),
      alt('DEC-5b', 'empty probes until matched', 'etcd (StateProbe); hashicorp/raft', 'Until the leader knows that the follower holds its log through nextIndex - 1 (matchIndex >= nextIndex - 1, by Log Matching), its AppendEntries to it carry no entries; once it knows, they carry the entries from nextIndex.'),
    ],
  },
  {
    id: 'DEC-6', title: 'How many entries an AppendEntries carries',
    subsumes: true,
    alternatives: [
      alt('DEC-6a', 'a fixed maximum', 'this model; raft.tla (one entry)', 'An AppendEntries carries the entries from nextIndex, as many as maxEntriesPerAppendEntries allows (1 unless told).'),
      alt('DEC-6b', 'any number', 'etcd (MaxSizePerMsg: by bytes); hashicorp/raft (MaxAppendEntries); implementations that send the whole suffix', 'An AppendEntries carries any number of the entries from nextIndex, from none to the end of the leader\'s log, whatever maxEntriesPerAppendEntries says (it may size batches by bytes, or send everything); its leaderCommit is what it would be for the entries it carries (DEC-16). Not with pipelining or flow control, whose bookkeeping counts the entries sent (PIP-1, FC-3).'),
    ],
  },
  {
    id: 'DEC-7', title: 'commitIndex across a restart',
    alternatives: [
      alt('DEC-7a', 'commitIndex is volatile', 'the paper (Figure 2); this model; raft.tla', 'A restarted server starts with commitIndex = snapshotIndex and learns it again from the leader.'),
      alt('DEC-7b', 'commitIndex is kept', 'etcd (HardState.Commit); hashicorp/raft', 'A restarted server keeps the commitIndex it had (persisted with the term and vote); lastApplied starts at snapshotIndex and the committed entries are applied again.'),
    ],
  },
  {
    id: 'DEC-16', title: 'The leaderCommit a leader sends',
    alternatives: [
      alt('DEC-16a', 'its commitIndex', 'the paper (Figure 2); this model; raft.tla', 'leaderCommit is the leader\'s commitIndex.'),
      alt('DEC-16b', 'clamped to what it sends', 'etcd (heartbeats: min(Match, committed))', 'leaderCommit is min(commitIndex, prevLogIndex + len(entries)): the follower is never told of a commit beyond the entries it was sent.'),
    ],
  },
  {
    id: 'DEC-17', title: 'When committed entries are applied',
    alternatives: [
      alt('DEC-17a', 'in the step that commits them', 'this model; raft.tla', 'A server applies its entries up to commitIndex in the step in which commitIndex rises (ALL-1).'),
      alt('DEC-17b', 'in a step of their own', 'etcd (Ready.CommittedEntries); hashicorp/raft (FSM goroutine)', 'lastApplied may lag commitIndex; an `apply` event applies every committed entry not yet applied. The leader answers its clients then (LEA-2).'),
    ],
  },
  {
    id: 'DEC-18', title: 'AppendEntries outstanding per follower',
    alternatives: [
      alt('DEC-18a', 'any number', 'this model; raft.tla', 'Every trigger sends (LEA-3 on a client request, on a success of a follower still behind, on a rejection; LEA-1 on a heartbeat).'),
      alt('DEC-18b', 'at most one, but heartbeats', 'hashicorp/raft; many hand-written implementations', 'The leader sends a follower an AppendEntries (or InstallSnapshot) only while none to it is outstanding, except at a heartbeat, which always sends one; an AppendEntries response of its term from that follower ends the outstanding one. A client request may send nothing.'),
    ],
  },
  {
    id: 'DEC-19', title: 'A request of an older term',
    alternatives: [
      alt('DEC-19a', 'answered', 'the paper (RV-1, AE-1); this model; raft.tla', 'A RequestVote or AppendEntries of an older term is refused with a reply carrying currentTerm. (An InstallSnapshot of an older term is always answered, IS-1.)'),
      alt('DEC-19b', 'dropped', 'some implementations', 'A RequestVote or AppendEntries of an older term is dropped without a reply: its sender learns of the newer term from another message, so only liveness depends on it.'),
    ],
  },
  {
    id: 'DEC-20', title: 'A new leader\'s first AppendEntries',
    alternatives: [
      alt('DEC-20a', 'sent on winning', 'the paper (LEA-1); this model; raft.tla', 'A candidate that wins sends every peer its AppendEntries in the step in which it wins.'),
      alt('DEC-20b', 'sent at the next heartbeat', 'some implementations (a replication loop that starts at the next heartbeat)', 'A candidate that wins sends nothing in that step; its first AppendEntries go at its next heartbeat (or on a client request, LEA-3, as usual).'),
    ],
  },
  {
    id: 'DEC-21', title: 'A leader or candidate deposed by a newer-term AppendEntries',
    alternatives: [
      alt('DEC-21a', 'handled as a follower', 'this model; raft.tla', 'A leader or candidate that receives an AppendEntries of a newer term adopts that term and becomes a follower (ALL-2), then handles the AppendEntries as a follower and answers it.'),
      alt('DEC-21b', 'dropped', 'some implementations', 'A leader or candidate that receives an AppendEntries of a newer term adopts that term and becomes a follower (ALL-2), and drops the AppendEntries without handling or answering it: the leader sends it again.'),
    ],
  },
  {
    id: 'DEC-22', title: 'What a rejection tells the leader, with fastBacktracking',
    alternatives: [
      alt('DEC-22a', 'the conflicting term and its first index', 'this model (FB-1, FB-2); the Students\' Guide to Raft; many hand-written implementations', 'A follower that fails the consistency check (AE-2) answers with conflictTerm and conflictIndex (FB-1); the leader skips past its last entry of that term, or to conflictIndex (FB-2).'),
      alt('DEC-22b', 'a hint: an index and its term', 'etcd (MsgAppResp RejectHint and LogTerm, findConflictByTerm)', 'A follower that fails the consistency check answers with rejectHint, the last index at or before min(prevLogIndex, its last index) whose term is at most prevLogTerm (0 if none; at or below its snapshot the index itself), and logTerm, that entry\'s term (0 if unknown). The leader takes, if logTerm > 0, the last index at or before rejectHint of its own log whose term is at most logTerm (else rejectHint) and sets nextIndex to one past it, never above the rejected prevLogIndex (and, as always, above matchIndex, at least 1: DEC-4).'),
    ],
  },
  {
    id: 'DEC-23', title: 'A client command or read that reaches a follower',
    alternatives: [
      alt('DEC-23a', 'redirected', 'the paper (§8, CLI-1); this model; hashicorp/raft (ErrNotLeader)', 'A server that does not lead answers a client command or read with a redirect naming the leader it last heard from in its term, if any (CLI-1).'),
      alt('DEC-23b', 'forwarded to the leader', 'etcd (MsgProp forwarding, unless DisableProposalForwarding); implementations that forward requests to the leader', 'A follower that knows the leader of its term sends it the command in a ClientProposal, or the read in a ForwardedRead, of its term and answers nothing; the leader of that term appends the command as if a client had sent it (LEA-2) and answers once it applies it, or serves the read as its own (CLI-4; LR-2 under a lease) and answers it. One that reaches a server that is not the leader of its term (an older term, a lost leadership; for a command, a transfer in progress: LT-3) is dropped, and the client retries. A server that knows no leader redirects (CLI-1).'),
    ],
  },
  {
    id: 'DEC-24', title: 'When a configuration entry takes effect',
    perRun: true,
    alternatives: [
      alt('DEC-24a', 'when appended', 'the dissertation (§4.1); this model; hashicorp/raft (latest configuration in the log)', 'A server uses the last configuration entry in its log, committed or not (CFG-1); a change may start once the configuration in force is committed (CFG-2, CFG-7), a single-server change only after the leader committed an entry of its term (the 2015 fix).'),
      alt('DEC-24b', 'when applied', 'etcd (ConfChange: ApplyConfChange after the entry is applied; pendingConfIndex)', 'A server uses the last configuration entry at or below lastApplied (else its snapshot\'s, else the bootstrap one). Its own safety rule (etcd\'s): a leader refuses a change while an entry it must apply first is not applied: a configuration entry, or any entry of an earlier term (a new leader treats its whole log as pending, pendingConfIndex = its last index at election); a single-server change changes at most one voter. When a configuration takes effect on a leader, each new peer gets nextIndex = the leader\'s last index and matchIndex 0 and is sent an AppendEntries, the peers removed lose their progress, and the commit sequence runs again; a joint configuration in force is left (C_new appended, CFG-3) once nothing is pending; a leader steps down once a configuration it is not a voter of is applied (CFG-5).'),
    ],
  },
];

export const CHOICE_BY_ID: ReadonlyMap<string, ChoicePoint> = new Map(CHOICE_POINTS.map((c) => [c.id, c]));

/** The choice point an alternative ID belongs to (DEC-3b → DEC-3), or undefined. */
export function choiceOf(alternative: string): ChoicePoint | undefined {
  const m = /^(DEC-\d+)[a-z]$/.exec(alternative);
  const c = m ? CHOICE_BY_ID.get(m[1] as string) : undefined;
  return c && c.alternatives.some((a) => a.id === alternative) ? c : undefined;
}

/** A profile: for each choice point, the alternatives permitted (all when absent). */
export type Profile = Readonly<Partial<Record<ChoiceId, readonly AlternativeLetter[]>>>;

/** A trace's `profile` field ({"DEC-3": "DEC-3b"}, or a list per point) as letters per choice point. */
export function profileOf(raw: Readonly<Record<string, string | readonly string[]>> | undefined): Profile {
  const out: Partial<Record<ChoiceId, AlternativeLetter[]>> = {};
  for (const [point, v] of Object.entries(raw ?? {})) {
    const ids = typeof v === 'string' ? [v] : v;
    out[point as ChoiceId] = ids.map((id) => id.slice(-1) as AlternativeLetter);
  }
  return out;
}

/** The alternatives beyond the model's own (DEC-3b, ...) that these letters permit: the invariant checker leaves unchecked what they make untrue. */
export function alternativesBeyondModel(letters: (p: ChoiceId) => readonly AlternativeLetter[]): Set<string> {
  return new Set(CHOICE_POINTS.flatMap((c) => c.alternatives.slice(1).filter((a) => letters(c.id).includes(a.id.slice(-1) as AlternativeLetter)).map((a) => a.id)));
}

/** The model's own profile: the first alternative everywhere. */
export const MODEL_PROFILE: Profile = Object.fromEntries(CHOICE_POINTS.map((c) => [c.id, ['a']]));
