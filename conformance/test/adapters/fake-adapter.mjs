// A fake adapter for the stdio transport's tests (stdio-adapter.test.ts): it speaks the protocol of
// docs/drive.md with canned answers, or breaks it in the way its argument names.
//   node fake-adapter.mjs <behaviour>
// good            answers every request correctly (an electionTimeout makes a server campaign)
// echo            as good, and writes each request it reads to stderr ("got <line>")
// hang-step       never answers a step, and runs on (ignore-term-step: and ignores SIGTERM too)
// exit-step       exits with status 3 at a step
// exit-after-start  answers start, then exits with status 0
// close-step      closes its stdout at a step and keeps running
// not-json-step   answers a step with a line that is not JSON (array-step: with [1,2])
// wrong-id-step   answers a step with the id of the request after it
// bad-schema-step answers a step with a message whose term is a string
// extra-line-step answers a step, then writes one more line
// error-step      answers a step and an observe with {"id": N, "error": "boom"}
// bad-features    declares an input type that does not exist
// version-2       speaks version 2
// stop-exit-1     answers stop, then exits with status 1
// stop-linger     answers stop and does not exit
// Whatever the behaviour, it writes its own pid to stderr first ("pid <n>"), so that a test can
// check it is gone too when the shell in between did not exec it.
import { createInterface } from 'node:readline';
import { closeSync } from 'node:fs';

const behaviour = process.argv[2] ?? 'good';
process.stderr.write(`pid ${process.pid}\n`);
if (behaviour === 'ignore-term-step') process.on('SIGTERM', () => {});

const FEATURES = {
  events: ['electionTimeout', 'heartbeatTimeout', 'clientRequest'],
  options: ['preVote'],
  observes: ['role', 'currentTerm', 'votedFor', 'log', 'commitIndex'],
  sent: 'all',
  profile: { 'DEC-3': 'a' },
};

let servers = [];
/** Each server's persisted term and vote, and its role. */
const nodes = new Map();
const stateOf = (node) => nodes.get(node) ?? { role: 'follower', currentTerm: 0, votedFor: null };
const observation = (s) => ({ role: s.role, currentTerm: s.currentTerm, votedFor: s.votedFor, log: [], commitIndex: 0 });

const write = (value) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
const breaksAt = (op) => behaviour.endsWith(`-${op}`) || behaviour.startsWith(`${op}-`);

function step(id, node, input) {
  const s = stateOf(node);
  if (input.type !== 'electionTimeout') return { id, sent: [], replies: [], state: observation(s) };
  const next = { role: 'candidate', currentTerm: s.currentTerm + 1, votedFor: node };
  nodes.set(node, next);
  const sent = servers.filter((to) => to !== node).map((to) => ({ type: 'RequestVote', from: node, to, term: next.currentTerm, candidateId: node, lastLogIndex: 0, lastLogTerm: 0 }));
  return { id, sent, replies: [], state: observation(next) };
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (behaviour === 'echo') process.stderr.write(`got ${line}\n`);
  const { id, op, ...req } = JSON.parse(line);
  if (breaksAt(op)) {
    switch (behaviour) {
      case 'hang-step': case 'ignore-term-step': setInterval(() => {}, 1000); return;   // busy: even its stdin's end does not stop it
      case 'exit-step': process.exit(3);
      case 'close-step': closeSync(1); setInterval(() => {}, 1000); return;
      case 'not-json-step': return write(`this line is not JSON: ${'x'.repeat(100)}`);
      case 'array-step': return write([1, 2]);
      case 'wrong-id-step': return write({ ...step(id, req.node, req.input), id: id + 1 });
      case 'bad-schema-step': return write({ id, sent: [{ type: 'RequestVote', from: 's1', to: 's2', term: 'one', candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 }], replies: [], state: {} });
      case 'extra-line-step': write(step(id, req.node, req.input)); return write({ id, ok: true });
      case 'stop-exit-1': write({ id, ok: true }); process.exit(1);
      case 'stop-linger': write({ id, ok: true }); setInterval(() => {}, 1000); return;
    }
  }
  if (behaviour === 'error-step' && (op === 'step' || op === 'observe')) return write({ id, error: 'boom' });
  switch (op) {
    case 'hello':
      if (behaviour === 'bad-features') return write({ id, version: 1, name: 'fake', features: { ...FEATURES, events: ['electionTimeout', 'tick'] } });
      return write({ id, version: behaviour === 'version-2' ? 2 : 1, name: 'fake', features: FEATURES });
    case 'start':
      servers = req.servers;
      nodes.clear();
      write({ id, ok: true });
      if (behaviour === 'exit-after-start') process.exit(0);
      return;
    case 'step': return write(step(id, req.node, req.input));
    case 'crash': {
      const s = stateOf(req.node);
      nodes.set(req.node, { role: 'follower', currentTerm: s.currentTerm, votedFor: s.votedFor });
      return write({ id, ok: true });
    }
    case 'restart': return write({ id, sent: [], replies: [], state: observation(stateOf(req.node)) });
    case 'observe': return write({ id, state: observation(stateOf(req.node)) });
    case 'stop':
      write({ id, ok: true });
      process.exit(0);
  }
});
