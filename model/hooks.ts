// The named points where the extensions (compaction, membership, client interaction) and the
// dissertation's options enter the Figure 2 core (core/figure2.ts). The core calls these points
// and knows nothing of who fills them; model/dispatch.ts says, in one table, which module fills
// which point and in what order. An option that is off contributes nothing: its decorations are
// left out when an Env is made (dispatch.ts, makeEnv), so no core function tests an option.
import type { AppendEntries, AppendEntriesResponse, Configuration, NodeId } from '../spec/schema.js';
import type { Env, NodeState, PendingRead, Transition } from './state.js';

/** How an AppendEntries was answered: AE-1 (stale), AE-2 (inconsistent) or AE-3..AE-5 (success). */
export type AppendOutcome = 'stale' | 'inconsistent' | 'success';

export interface Hooks {
  // --- terms and leaders
  /** ALL-2, CAN-1: a new term begins; what was known of the old term's leader is forgotten. */
  readonly newTerm: (t: Transition) => Transition;
  /** PV-1, CQ-1, CFG-5: this server no longer follows (or is) a leader of its term. */
  readonly forgetLeader: (t: Transition) => Transition;
  /** AE-2 .. AE-5, IS-2 .. IS-8: a request from the leader of our term reached a follower. */
  readonly heardFromLeader: (t: Transition, leaderId: NodeId) => Transition;
  /** FOL-2, CAN-4: a server's election timer fired, before any role acts on it. */
  readonly electionTimerFired: (t: Transition) => Transition;
  /** DEC-10: a candidate or leader became a follower; `before` is the state it had. */
  readonly steppedDown: (t: Transition, before: NodeState) => Transition;
  /** CAN-2: a candidate became leader: the leader state of the modules, after Figure 2's nextIndex and matchIndex. */
  readonly leaderElected: (t: Transition, env: Env) => Transition;
  /** The duties of a leader's election timer (Figure 2 has none): returns `t` itself when there are none. */
  readonly leaderTimerFired: (t: Transition, env: Env) => Transition;
  /** LEA-1: a leader's heartbeat timer fired, before the broadcast. */
  readonly heartbeatStarts: (t: Transition, env: Env) => Transition;

  // --- the log and the state machine
  /** ALL-1: execute the entries from..to (committed, not yet applied) on the state machine. */
  readonly applyEntries: (t: Transition, env: Env, from: number, to: number) => Transition;
  /** LEA-2: the leader appended a client command at `index`. */
  readonly commandAppended: (t: Transition, index: number) => Transition;
  /** AE-3, AE-4, IS-6, IS-7: a follower's log (or snapshot) was replaced in part; `before` is the state it had. */
  readonly logChanged: (t: Transition, env: Env, before: NodeState) => Transition;
  /** CFG-1: a leader's configuration in force changed: when it appended the entry (DEC-24) or applied it (DEC-24b); `peersChanged` says whether its peers did (DEC-15). */
  readonly configurationChanged: (t: Transition, env: Env, config: Configuration, peersChanged: boolean) => Transition;
  /** ALL-1 applied entries (lastApplied moved); `before` is the state before they were applied. */
  readonly entriesApplied: (t: Transition, env: Env, before: NodeState) => Transition;
  /** LEA-4 then ALL-1 ran on a leader: what follows a commit. */
  readonly afterCommit: (t: Transition, env: Env) => Transition;

  // --- replication (LEA-3)
  /** LEA-3: the entries a follower needs from its nextIndex on are compacted: send what replaces them. */
  readonly entriesCompacted: (t: Transition, env: Env, peer: NodeId) => Transition;
  /**
   * LEA-3: how many of the `count` entries after prevLogIndex this AppendEntries carries (a limit
   * that cuts cites its rule); `true` third when the server may send any number of them, from none
   * to that count (the receiver may be handed a shorter message: DEC-6b).
   */
  readonly limitEntries: (t: Transition, env: Env, peer: NodeId, prevLogIndex: number, count: number) => readonly [Transition, number, true?];
  /** LEA-3: an AppendEntries carrying `count` entries after prevLogIndex is being sent (before it is). */
  readonly appendEntriesSent: (t: Transition, env: Env, peer: NodeId, prevLogIndex: number, count: number) => Transition;
  /** LEA-3: the fields an AppendEntries carries beyond Figure 2's. */
  readonly decorateAppendEntries: (s: NodeState, m: AppendEntries) => AppendEntries;
  /** AE-1 .. AE-5: the fields an AppendEntriesResponse carries beyond Figure 2's. */
  readonly decorateAppendResponse: (t: Transition, env: Env, request: AppendEntries, outcome: AppendOutcome, r: AppendEntriesResponse) => readonly [Transition, AppendEntriesResponse];

  // --- responses on a leader
  /** A response of our term to an AppendEntries or InstallSnapshot arrived from a peer (whatever it says). */
  readonly responseReceived: (t: Transition, env: Env, from: NodeId) => Transition;
  /** The same, for an AppendEntriesResponse, before LEA-3a or LEA-3b. */
  readonly appendResponseReceived: (t: Transition, m: AppendEntriesResponse) => Transition;
  /** LEA-3b (DEC-4): whether a rejection answers a request the leader still waits on. */
  readonly rejectionIsCurrent: (s: NodeState, m: AppendEntriesResponse) => boolean;
  /** LEA-3b: where nextIndex goes back to (at most m.prevLogIndex). */
  readonly backtrack: (t: Transition, m: AppendEntriesResponse) => readonly [Transition, number];
  /** LEA-3b: nextIndex went back; the retry is sent next. */
  readonly backtracked: (t: Transition) => Transition;
  /** LEA-3a, SNAP-3: a follower's matchIndex may have advanced (after the commit sequence and LEA-3). */
  readonly progressMade: (t: Transition, env: Env, peer: NodeId) => Transition;
  /** LT-2: the leader told a follower to campaign at once: another server may be elected in this term's stead. */
  readonly handingOver: (t: Transition) => Transition;

  // --- client reads (CLI-4)
  /** FR-3: a sync (a read without a key) in the leader's read queue could be answered now, at its read index. */
  readonly syncConfirmed: (t: Transition, env: Env, read: PendingRead & { readonly readIndex: number }) => Transition;
}

/** One module's contribution to one hook point. */
export type Decorations = { readonly [K in keyof Hooks]?: Hooks[K] };
