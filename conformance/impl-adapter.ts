// impl/ behind the adapter interface (conformance/adapter.ts): what `raftspec drive` sees of any
// implementation, here in-process. Each server is a RaftNode with a MemoryStorage as its disk, as in
// `raftspec record` (ImplWorld): a step persists what its Ready says before it answers (PER-1), a
// crash rebuilds the server from its disk alone, a restart resumes it (DEC-7b applies again then).
// `raftspec drive --adapter-module conformance/impl-adapter.ts` drives it (createAdapter below).
import type { BootstrapConfiguration, NodeId, Observation, ProtocolOptions } from '../spec/schema.js';
import { NODE_FIELDS } from '../spec/schema.js';
import type { NodeInput } from '../spec/input.js';
import { CHOICE_POINTS, type AlternativeLetter, type ChoiceId, type Profile } from '../spec/choices.js';
import { MemoryStorage, RaftNode, type RaftConfig, type Ready } from '../impl/index.js';
import type { Adapter, AdapterFeatures, Hello, InputType, StepOutcome } from './adapter.js';
import { OPTION_NAMES } from '../spec/adapter.js';

/** Every ProtocolOptions name impl/ implements: all of them (followerReads among them). */
const ALL_OPTIONS: readonly (keyof ProtocolOptions)[] = OPTION_NAMES;

/** The RaftNode class to drive: impl/'s, or a patched copy of it (test/mutants.ts). */
export type RaftNodeClass = typeof RaftNode;

/**
 * impl/ as an Adapter: every event, every option, every field observed, every message in `sent`.
 * With a `profile` (spec/choices.ts), every server takes those alternatives, and `apply` is among the
 * events only under DEC-17b (under DEC-17a a server applies in the step that commits: there is
 * nothing for an `apply` to do).
 */
export function implAdapter(profile?: Profile, raftNode: RaftNodeClass = RaftNode): Adapter {
  const nodes = new Map<NodeId, RaftNode>();
  const disks = new Map<NodeId, MemoryStorage>();
  const configs = new Map<NodeId, RaftConfig>();
  const applies = profile?.['DEC-17']?.[0] === 'b';
  const events: InputType[] = ['electionTimeout', 'heartbeatTimeout', 'clientRequest', 'clientRead', 'snapshot', 'transferLeadership', 'reconfigure', ...(applies ? ['apply' as const] : []), 'clientSync'];
  const declared: Partial<Record<ChoiceId, AlternativeLetter>> = {};
  for (const c of CHOICE_POINTS) {
    const letter = profile?.[c.id]?.[0];
    if (letter !== undefined) declared[c.id] = letter;
  }
  const features: AdapterFeatures = {
    events, options: ALL_OPTIONS, observes: [...NODE_FIELDS], sent: 'all',
    ...(profile ? { profile: declared } : {}),
  };

  const node = (id: NodeId): RaftNode => {
    const n = nodes.get(id);
    if (!n) throw new Error(`no server ${id} in this cluster`);
    return n;
  };
  const disk = (id: NodeId): MemoryStorage => disks.get(id) as MemoryStorage;

  /** PER-1: what the step produced goes to the disk before the server answers. */
  const answer = (id: NodeId, ready: Ready, wholeLog: boolean): StepOutcome => {
    disk(id).save(ready);
    const n = node(id);
    const changedFrom = n.takeLogChangedFrom();
    return { sent: ready.messages, replies: ready.replies, state: observe(n, wholeLog ? 'whole' : changedFrom) };
  };

  return {
    hello: (): Hello => ({ name: profile ? 'impl/ (RaftNode, with a profile)' : 'impl/ (RaftNode)', features }),
    start(servers: readonly NodeId[], options: ProtocolOptions, configuration?: BootstrapConfiguration): void {
      nodes.clear();
      disks.clear();
      configs.clear();
      for (const id of servers) {
        const config: RaftConfig = {
          id, servers, ...(Object.keys(options).length > 0 ? { options } : {}), ...(configuration ? { bootstrap: configuration } : {}), ...(profile ? { profile } : {}),
        };
        configs.set(id, config);
        const n = new raftNode(config);
        n.takeLogChangedFrom();
        nodes.set(id, n);
        disks.set(id, new MemoryStorage());
      }
    },
    step(id: NodeId, input: NodeInput): StepOutcome {
      try {
        return answer(id, node(id).step(input), false);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    },
    crash(id: NodeId): void {
      // PER-1: the server comes back with what it persisted, and nothing else.
      const n = raftNode.restart(configs.get(id) as RaftConfig, disk(id));
      n.takeLogChangedFrom();
      nodes.set(id, n);
    },
    restart(id: NodeId): StepOutcome {
      try {
        // DEC-7b: the server applies the commitIndex it kept as it comes up.
        return answer(id, node(id).resume(), true);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    },
    observe: (id: NodeId): Observation => observe(node(id), 'whole'),
    stop(): void {
      nodes.clear();
      disks.clear();
      configs.clear();
    },
  };
}

/**
 * Every field of one server, as new objects (the caller keeps them), and of its log all of it, or
 * the end of it from the first index the step changed (`logSuffix`), or nothing when it did not.
 */
function observe(n: RaftNode, log: 'whole' | number): Observation {
  const { nextIndex, matchIndex, appliedIndex } = n.progressMaps();
  const o: Observation = {
    role: n.role, currentTerm: n.currentTerm, votedFor: n.votedFor,
    snapshotIndex: n.snapshotIndex, snapshotTerm: n.snapshotTerm, snapshotConfig: n.snapshotConfig && structuredClone(n.snapshotConfig),
    commitIndex: n.commitIndex, lastApplied: n.lastApplied,
    machine: n.machine, leaderId: n.leaderId, partialSnapshot: n.partialSnapshot, heardFromLeader: n.heardFromLeader,
    nextIndex, matchIndex, recentlyActive: [...n.recentlyActive()], transferee: n.transferee, appliedIndex,
    votesGranted: [...n.votesGranted()],
  };
  if (log === 'whole') {
    o.log = Array.from({ length: n.lastIndex - n.snapshotIndex }, (_, k) => n.entryAt(n.snapshotIndex + k + 1));
    o.snapshotMachine = structuredClone(n.snapshotMachine);
  } else if (log !== Infinity) {
    const from = Math.max(log, n.snapshotIndex + 1);
    o.logSuffix = { from, entries: Array.from({ length: n.lastIndex - from + 1 }, (_, k) => n.entryAt(from + k)) };
    // A snapshot taken or installed in this step: its state machine too.
    if (log <= n.snapshotIndex) o.snapshotMachine = structuredClone(n.snapshotMachine);
  }
  return o;
}

/** For `raftspec drive --adapter-module conformance/impl-adapter.ts`. */
export function createAdapter(): Adapter {
  return implAdapter();
}
