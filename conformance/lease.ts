// The clock assumption of lease reads (LR-1..LR-3, docs/compaction-and-clients.md), in events: a
// server that answered an AppendEntries carrying read round r of the leader of its term is bound
// while that leader is up, still leader of that term, and r is above the leader's leaseFloor (the
// round at its last election timeout). A bound server's election timer does not run out and it
// does not crash. The generator keeps to this; the replay refuses a trace that does not.
import type { Event, Message, NodeId } from '../spec/schema.js';

/** What the assumption needs to know of a server now. */
export interface LeaseView {
  readonly up: boolean;
  readonly isLeader: boolean;
  readonly term: number;
  readonly leaseFloor: number;
}

export class LeaseClock {
  /** Per server, the last read round it acknowledged: to whom, in which term. */
  private readonly acked = new Map<NodeId, { leader: NodeId; term: number; round: number }>();

  /** After a step: the acknowledgements it sent. */
  noteSent(sent: readonly Message[]): void {
    for (const m of sent) if (m.type === 'AppendEntriesResponse' && m.readRound !== undefined) this.acked.set(m.from, { leader: m.to, term: m.term, round: m.readRound });
  }

  /** The leader whose lease binds `id` now, or null. */
  boundTo(id: NodeId, view: (id: NodeId) => LeaseView): { leader: NodeId; term: number; round: number } | null {
    const a = this.acked.get(id);
    if (!a) return null;
    const l = view(a.leader);
    return l.up && l.isLeader && l.term === a.term && a.round > l.leaseFloor ? a : null;
  }

  /** Why `event` breaks the assumption, or null: an election timeout or a crash of a bound server. */
  breach(event: Event, view: (id: NodeId) => LeaseView): string | null {
    if (event.type !== 'electionTimeout' && event.type !== 'crash') return null;
    const b = this.boundTo(event.node, view);
    if (!b) return null;
    return `a trace with leaseReads keeps the lease's clock assumption: ${event.node} answered read round ${b.round} of ${b.leader}, leader of term ${b.term}, whose lease from that round has not ended (no election timeout of ${b.leader} since), so ${event.node} can have no ${event.type === 'crash' ? 'crash' : 'election timeout'} yet (docs/compaction-and-clients.md, lease reads)`;
  }
}
