/**
 * A fast Raft implementation (Figure 2 of the Raft paper, with this project's choices DEC-1 ..
 * DEC-10), shaped like etcd-io/raft's RawNode: a deterministic state machine with no I/O, no
 * clock and no randomness. It behaves exactly as the reference model in `model/`, step for step
 * (the conformance runner checks this), but keeps its state mutable and does per step only the
 * work the step needs.
 *
 * - {@link RaftNode}: one server. `step(input)` takes a message, a timer or a client command and
 *   returns a {@link Ready}: what to persist, the messages to send, the entries to apply.
 * - {@link Cluster}: an in-process cluster of RaftNodes over a FIFO network, for examples,
 *   tests and benchmarks.
 *
 * Where Figure 2 allows more than one behaviour (spec/choices.ts, DEC-3 .. DEC-21), the
 * `profile` of the RaftConfig picks the alternative; without one, the first everywhere. With
 * DEC-17b, committed entries are applied only at a `{ type: 'apply' }` input; with DEC-7b, a
 * server restarted from storage applies again, at `resume()`, the entries up to the commitIndex
 * it kept.
 *
 * @example Driving one node by hand
 * ```ts
 * import { RaftNode } from './impl/index.js';
 *
 * const a = new RaftNode({ id: 'a', servers: ['a', 'b', 'c'] });
 * const ready = a.step({ type: 'electionTimeout' });
 * // PER-1: persist first ...
 * if (ready.hardState) storage.saveHardState(ready.hardState);
 * if (ready.truncatedAfter !== null) storage.truncateAfter(ready.truncatedAfter);
 * if (ready.appended) storage.write(ready.appended.index, ready.appended.entries);
 * // ... then send and apply.
 * for (const m of ready.messages) network.send(m);
 * for (const e of ready.applied) stateMachine.apply(e.command);
 * ```
 *
 * @packageDocumentation
 */
export { RaftNode } from './node.js';
export { Cluster, MemoryStorage, type ClusterOptions } from './cluster.js';
export { KvMachine, type Execution } from './kv.js';
export type { AppliedEntry, HardState, Input, Persisted, Proposal, RaftConfig, Ready, Snapshot } from './types.js';
