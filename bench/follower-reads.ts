// `npm run bench:follower-reads`: what follower reads (issue 15, FR-1 .. FR-4) buy, side by side in
// one run on the same 5-server in-process cluster of impl/ (impl/cluster.ts), with the same data and
// the same read workload:
//
//   readIndex  every read goes to the leader, which confirms it with a heartbeat round acknowledged
//              by a majority (CLI-4): one round per batch of reads;
//   lease      every read goes to the leader, which answers under its lease (LR-2), no round;
//   follower   reads spread over all five servers, each answered from the server's applied state
//              (FR-1), with the client's last-seen index as `after` (FR-4).
//
// The workload: `clients` clients each send one read per batch (to the leader, or, with follower
// reads, read number i to server i mod the cluster's size), then the cluster runs until no message is in flight, and so
// on for `reads` reads in all. Every read must be answered (the run checks it). Printed per mode:
// reads per second of wall time (all five servers share this one process, so this is the CPU cost
// per read, not a cluster's throughput), and the figures that decide a real cluster's read
// throughput: the inputs the leader handles per read (its load: a follower read costs it nothing),
// the messages sent per read, and the busiest server's share of all the inputs.
// Figures, not pass/fail. Usage: node --import tsx bench/follower-reads.ts [reads] [clients]   (default 200000 10)
import { performance } from 'node:perf_hooks';
import type { ClientReply, Message, ProtocolOptions } from '../spec/schema.js';
import { Cluster } from '../impl/index.js';

const READS = Number(process.argv[2] ?? 200_000);
const CLIENTS = Number(process.argv[3] ?? 10);
const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const KEYS = 20;

interface Figures {
  readonly mode: string;
  readonly readsPerSecond: number;
  readonly leaderInputsPerRead: number;
  readonly messagesPerRead: number;
  readonly busiestShare: number;
  readonly answeredByLeader: number;
  /** Reads the cluster serves per 1,000 inputs handled by its busiest server: its read capacity when every server handles inputs at the same rate. */
  readonly capacity: number;
}

function run(mode: string, options: ProtocolOptions, spread: boolean, SERVERS: readonly string[] = FIVE, READS_HERE = READS): Figures {
  const READS = READS_HERE;
  // Inputs handled per server: client reads, and messages delivered (counted when sent: none is lost).
  const inputs = new Map<string, number>(SERVERS.map((id) => [id, 0]));
  let messages = 0;
  let answered = 0;
  let byLeader = 0;
  const seen = new Map<string, number>(); // FR-4: per client, the highest index it has been answered with
  let counting = false;
  const onReply = (r: ClientReply): void => {
    if (!counting || r.client === null) return;
    if (r.type === 'redirect') throw new Error(`${mode}: read ${r.client}#${r.seq} redirected by ${r.node}: the bench sends none that should be`);
    if (r.type !== 'read') return;
    answered++;
    if (r.node === 'n1') byLeader++;
    if (r.index > (seen.get(r.client) ?? 0)) seen.set(r.client, r.index);
  };
  const drop = (m: Message): boolean => {
    if (counting) {
      messages++;
      inputs.set(m.to, (inputs.get(m.to) ?? 0) + 1);
    }
    return false;
  };
  const c = new Cluster(SERVERS, { options, onReply, drop });
  // n1 leads, the keys are written, committed, and applied everywhere (the heartbeat carries the commit).
  c.electionTimeout('n1');
  c.runUntilQuiet();
  for (let k = 0; k < KEYS; k++) c.clientRequest('n1', { op: 'put', key: `k${k}`, value: `v${k}` });
  c.runUntilQuiet();
  c.heartbeatTimeout('n1'); // LR-1 under leaseReads: a round that gives the lease
  c.runUntilQuiet();
  if (c.leader()?.id !== 'n1') throw new Error(`${mode}: n1 did not become leader`);

  counting = true;
  let seq = 0;
  const t0 = performance.now();
  for (let sent = 0; sent < READS; ) {
    seq++;
    for (let k = 0; k < CLIENTS && sent < READS; k++, sent++) {
      const client = `c${k}`;
      // Round robin over the servers by read, not by client: every server gets the same share whatever the cluster size.
      const to = spread ? (SERVERS[sent % SERVERS.length] as string) : 'n1';
      inputs.set(to, (inputs.get(to) ?? 0) + 1);
      c.clientRead(to, client, seq, `k${(seq + k) % KEYS}`, spread ? seen.get(client) : undefined);
    }
    c.runUntilQuiet();
  }
  const ms = performance.now() - t0;
  if (answered !== READS) throw new Error(`${mode}: ${answered} of ${READS} reads answered`);
  const total = [...inputs.values()].reduce((a, b) => a + b, 0);
  return {
    mode,
    readsPerSecond: READS / (ms / 1000),
    leaderInputsPerRead: (inputs.get('n1') ?? 0) / READS,
    messagesPerRead: messages / READS,
    busiestShare: Math.max(...inputs.values()) / total,
    answeredByLeader: byLeader / READS,
    capacity: (1000 * READS) / Math.max(...inputs.values()),
  };
}

const modes = [
  run('readIndex (CLI-4)', {}, false),
  run('lease (LR-2)', { leaseReads: true }, false),
  run('follower (FR-1)', { followerReads: true }, true),
];
console.log(`follower reads: ${READS} reads by ${CLIENTS} clients, in batches of one read per client, on a 5-server in-process cluster (impl/), node ${process.version}`);
console.log('mode               | reads/s (wall) | leader inputs/read | messages/read | busiest server share | answered by the leader');
for (const f of modes) {
  console.log(`${f.mode.padEnd(18)} | ${Math.round(f.readsPerSecond).toString().padStart(14)} | ${f.leaderInputsPerRead.toFixed(2).padStart(18)} | ${f.messagesPerRead.toFixed(2).padStart(13)} | ${(100 * f.busiestShare).toFixed(0).padStart(19)}% | ${(100 * f.answeredByLeader).toFixed(0).padStart(21)}%`);
}
const [readIndex, , follower] = modes as [Figures, Figures, Figures];
console.log(`follower reads: ${(follower.readsPerSecond / readIndex.readsPerSecond).toFixed(1)}x the reads per second of ReadIndex in this process; the leader handles ${follower.leaderInputsPerRead.toFixed(2)} inputs per read instead of ${readIndex.leaderInputsPerRead.toFixed(2)}`);

// The shape: how read capacity grows with the cluster. Reads per 1,000 inputs of the busiest server
// (a cluster whose servers all handle inputs at one rate serves reads in this proportion): with every
// read at the leader it stays flat (lease) or falls (ReadIndex: more acknowledgements per round);
// with follower reads it grows with the number of servers.
const SWEEP_READS = Math.max(1, Math.floor(READS / 10));
const sizes = [3, 5, 7];
console.log(`\nread capacity by cluster size (${SWEEP_READS} reads each): reads per 1,000 inputs of the busiest server`);
console.log(`mode               | ${sizes.map((n) => `${n} servers`.padStart(10)).join(' | ')}`);
for (const [mode, options, spread] of [['readIndex (CLI-4)', {}, false], ['lease (LR-2)', { leaseReads: true }, false], ['follower (FR-1)', { followerReads: true }, true]] as const) {
  const row = sizes.map((n) => run(mode, options, spread, Array.from({ length: n }, (_, i) => `n${i + 1}`), SWEEP_READS).capacity);
  console.log(`${mode.padEnd(18)} | ${row.map((c) => Math.round(c).toString().padStart(10)).join(' | ')}`);
}
