// Bad input, through the CLI (`main(['validate', file])`) and the loader (`parseTrace`,
// `loadTraceFile`): every problem is exit code 2 and one line that names the file, the JSON path
// of the offending value and what was expected there; never a stack trace. A trace whose
// expectation does not hold is exit code 1 and a line naming the step, node, field and values.
import { describe, it, expect, vi, afterAll, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli.js';
import { loadTraceFile, parseTrace } from '../load.js';

const dir = mkdtempSync(join(tmpdir(), 'raftspec-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
/** Write a trace (an object, or raw text) to a fresh file and return its path. */
function write(content: unknown): string {
  const file = join(dir, `trace-${++fileNo}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(...a.map(String).join(' ').split('\n')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(...a.map(String).join(' ').split('\n')); });
});
afterEach(() => { vi.restoreAllMocks(); });

const STACK_FRAME = /^\s*at\s|\.ts:\d+:\d+|\.js:\d+:\d+/;

/** Run `validate` on one file: the exit code, and the lines that name the file. */
function validate(file: string): { code: number; lines: string[] } {
  const code = main(['validate', file]);
  const all = [...out, ...err];
  for (const l of all) expect(l).not.toMatch(STACK_FRAME);
  return { code, lines: all.filter((l) => l.includes(file)) };
}

/** Exit 1 and a `FAIL <file>: step <i> ...` line holding every fragment. */
function expectFail(content: unknown, step: number, ...fragments: Array<string | RegExp>): void {
  const file = write(content);
  const { code, lines } = validate(file);
  expect(code).toBe(1);
  const line = lines[0] ?? '';
  expect(line.startsWith(`FAIL ${file}: step ${step} (/steps/${step}: `)).toBe(true);
  for (const f of fragments) expect(line).toMatch(typeof f === 'string' ? new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : f);
}

/** Exit 2 and exactly one line, `BAD <file>: <path>: ...`, holding every fragment. */
function expectBad(content: unknown, path: string | RegExp, ...fragments: Array<string | RegExp>): void {
  const file = write(content);
  const { code, lines } = validate(file);
  expect(code).toBe(2);
  expect(lines).toHaveLength(1);
  const line = lines[0] ?? '';
  if (typeof path === 'string') {
    const prefix = `BAD  ${file}: ${path}: `;
    expect(line.slice(0, prefix.length)).toBe(prefix);
  } else {
    const rest = line.slice(`BAD  ${file}: `.length);
    expect(line.slice(0, `BAD  ${file}: `.length)).toBe(`BAD  ${file}: `);
    expect(rest).toMatch(new RegExp(`^(?:${path.source}): `));
  }
  for (const f of fragments) expect(line).toMatch(f);
}

const CLUSTER = ['s1', 's2', 's3'];
const trace = (extra: Record<string, unknown> = {}) => ({ format: 'raft-trace', version: 1, cluster: CLUSTER, steps: [], ...extra });
const rv = { type: 'RequestVote', from: 's1', to: 's2', term: 1, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 };
const timeout = (node: string) => ({ event: { type: 'electionTimeout', node } });

describe('malformed JSON', () => {
  it('a file that is not JSON: exit 2, the root path, "expected JSON" and where it broke', () => {
    expectBad('{"format": "raft-trace", ', '/', 'expected JSON', 'line 1, column 26');
  });

  it('a syntax error on a later line is located by line and column', () => {
    expectBad('{\n  "format": "raft-trace",\n  "version": 1,,\n}', '/', 'expected JSON', 'line 3, column 16');
  });

  it('an empty file', () => {
    expectBad('', '/', 'expected JSON');
  });

  it('parseTrace: the error has path "" (the root) and says JSON was expected', () => {
    const r = parseTrace('[1, 2');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.path).toBe('');
    expect(r.error.expected).toMatch(/^expected JSON: /);
  });
});

describe('schema violations', () => {
  it('a wrong type deep in a message names its full JSON path: /steps/3/event/message/term', () => {
    const steps = [timeout('s1'), timeout('s2'), timeout('s3'), { event: { type: 'inject', message: { ...rv, term: 'one' } } }];
    expectBad(trace({ steps }), '/steps/3/event/message/term', 'expected integer', 'got "one"');
  });

  it('a value out of range: a negative term, an entry of term 0', () => {
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, term: -1 } } }] }), '/steps/0/event/message/term', 'expected a number >= 0', 'got -1');
    const ae = { type: 'AppendEntries', from: 's1', to: 's2', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 0, command: 'x' }], leaderCommit: 0 };
    expectBad(trace({ steps: [{ event: { type: 'inject', message: ae } }] }), '/steps/0/event/message/entries/0/term', 'expected a number >= 1');
  });

  it('a missing field names the object that lacks it and the field', () => {
    const { term: _term, ...noTerm } = rv;
    expectBad(trace({ steps: [{ event: { type: 'inject', message: noTerm } }] }), '/steps/0/event/message', 'missing required field "term"');
    expectBad({ format: 'raft-trace', version: 1, steps: [] }, '/', 'missing required field "cluster"');
  });

  it('an unknown field names the field', () => {
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, priority: 1 } } }] }), '/steps/0/event/message/priority', 'unknown field');
    expectBad(trace({ initial: { s1: { currentTerm: 1, leader: 's2' } } }), '/initial/s1/leader', 'unknown field');
    expectBad(trace({ comment: 'x' }), '/comment', 'unknown field');
  });

  it('a wrong format or version names the field, the expected and the actual value', () => {
    expectBad(trace({ format: 'raft' }), '/format', 'expected "raft-trace"', 'got "raft"');
    expectBad(trace({ version: 2 }), '/version', 'expected 1', 'got 2');
  });

  it('a document that is not an object', () => {
    expectBad([1, 2], '/', 'expected object');
  });

  it('an unknown event type is named, with the known ones', () => {
    expectBad(trace({ steps: [{ event: { type: 'explode', node: 's1' } }] }), '/steps/0/event/type', 'unknown kind "explode"', /expected one of .*electionTimeout.*crash/);
  });

  it('an unknown message type is named, with the known ones', () => {
    expectBad(trace({ steps: [{ event: { type: 'deliver', message: { ...rv, type: 'Hello' } } }] }), '/steps/0/event/message/type', 'unknown kind "Hello"',
      'expected one of RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse');
  });

  it('an unknown message type in expect/inFlight is named, with the message types', () => {
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { inFlight: [{ ...rv, type: 'Vote' }] } }] }), '/steps/0/expect/inFlight/0/type', 'unknown kind "Vote"', 'expected one of RequestVote');
  });

  it('parseTrace gives the same path and wording as the CLI', () => {
    const r = parseTrace(JSON.stringify(trace({ steps: [timeout('s1'), { event: { type: 'crash', node: 7 } }] })));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.path).toBe('/steps/1/event/node');
    expect(r.error.expected).toBe('expected string, got 7');
  });
});

describe('unknown nodes', () => {
  const UNKNOWN = /unknown node "s9"; expected a node of the cluster \(s1, s2, s3\)/;

  it('in an event', () => {
    expectBad(trace({ steps: [timeout('s1'), { event: { type: 'crash', node: 's9' } }] }), '/steps/1/event/node', UNKNOWN);
  });

  it('in a message: its sender or receiver', () => {
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, to: 's9' } } }] }), '/steps/0/event/message/to', UNKNOWN);
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, from: 's9', candidateId: 's9' } } }] }), '/steps/0/event/message/from', UNKNOWN);
  });

  it('in a message of expect/inFlight', () => {
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { inFlight: [{ ...rv, to: 's9' }] } }] }), '/steps/0/expect/inFlight/0/to', UNKNOWN);
  });

  it('in expect: a node, a votedFor, a crashed node', () => {
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { nodes: { s9: { role: 'follower' } } } }] }), '/steps/0/expect/nodes/s9', UNKNOWN);
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { nodes: { s1: { votedFor: 's9' } } } }] }), '/steps/0/expect/nodes/s1/votedFor', UNKNOWN);
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { crashed: ['s9'] } }] }), '/steps/0/expect/crashed/0', UNKNOWN);
  });

  it('in initial: a node, or a peer in nextIndex', () => {
    expectBad(trace({ initial: { s9: { currentTerm: 1 } } }), '/initial/s9', UNKNOWN);
    expectBad(trace({ initial: { s1: { nextIndex: { s9: 1 } } } }), '/initial/s1/nextIndex/s9', UNKNOWN);
  });

  it('in a partition group', () => {
    expectBad(trace({ steps: [{ event: { type: 'partition', groups: [['s1'], ['s2', 's9']] } }] }), '/steps/0/event/groups/1/1', UNKNOWN);
  });

  it('a message to its own sender, or a candidateId that is not the sender', () => {
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, to: 's1' } } }] }), '/steps/0/event/message/to', 'expected another node');
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...rv, candidateId: 's3' } } }] }), '/steps/0/event/message/candidateId', 'expected the sender "s1"', 'got "s3"');
  });
});

describe('impossible messages (no server could send them)', () => {
  const ae = { type: 'AppendEntries', from: 's1', to: 's2', term: 2, leaderId: 's1', prevLogIndex: 1, prevLogTerm: 1, entries: [{ term: 2, command: 'x' }], leaderCommit: 0 };
  const aer = { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 2, success: true, matchIndex: 2, prevLogIndex: 1 };
  const inject = (message: unknown) => trace({ steps: [{ event: { type: 'inject', message } }] });

  it('an index 0 with a term, or an index with term 0', () => {
    expectBad(inject({ ...ae, prevLogIndex: 0, prevLogTerm: 1 }), '/steps/0/event/message/prevLogTerm', 'expected 0 exactly when prevLogIndex is 0');
    expectBad(inject({ ...ae, prevLogIndex: 3, prevLogTerm: 0 }), '/steps/0/event/message/prevLogTerm', 'expected 0 exactly when prevLogIndex is 0');
    expectBad(inject({ ...rv, lastLogIndex: 0, lastLogTerm: 1 }), '/steps/0/event/message/lastLogTerm', 'expected 0 exactly when lastLogIndex is 0');
  });

  it('entries of a later term than the leader, or out of term order', () => {
    expectBad(inject({ ...ae, entries: [{ term: 3, command: 'x' }] }), '/steps/0/event/message/entries/0/term', "to the leader's term 2", 'got 3');
    expectBad(inject({ ...ae, entries: [{ term: 2, command: 'x' }, { term: 1, command: 'y' }] }), '/steps/0/event/message/entries/1/term', 'terms never decrease', 'got 1');
    expectBad(inject({ ...rv, term: 1, lastLogIndex: 4, lastLogTerm: 2 }), '/steps/0/event/message/lastLogTerm', "at most the candidate's term 1");
  });

  it('a success below the index it answers, a failure that claims a match, a request of term 0', () => {
    expectBad(inject({ ...aer, matchIndex: 0 }), '/steps/0/event/message/matchIndex', 'at least prevLogIndex 1 on success');
    expectBad(inject({ ...aer, success: false }), '/steps/0/event/message/matchIndex', 'expected 0 on failure, got 2');
    expectBad(inject({ ...rv, term: 0 }), '/steps/0/event/message/term', 'expected a term >= 1');
  });

  it('a conflict (FB-1) on a success, half a conflict, or a conflictIndex past the failed check', () => {
    const fail = { ...aer, success: false, matchIndex: 0, prevLogIndex: 5 };
    expectBad(inject({ ...aer, conflictTerm: 1, conflictIndex: 1 }), '/steps/0/event/message/conflictIndex', 'no conflict on a success');
    expectBad(inject({ ...fail, conflictTerm: 1 }), '/steps/0/event/message/conflictIndex', 'conflictTerm and conflictIndex together');
    expectBad(inject({ ...fail, conflictTerm: 1, conflictIndex: 6 }), '/steps/0/event/message/conflictIndex', 'at most prevLogIndex 5', 'got 6');
    expectBad(inject({ ...fail, conflictTerm: 3, conflictIndex: 2 }), '/steps/0/event/message/conflictTerm', "at most the follower's term 2");
  });

  it('the same checks apply to messages listed in expect/inFlight', () => {
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { inFlight: [{ ...ae, prevLogIndex: 0 }] } }] }), '/steps/0/expect/inFlight/0/prevLogTerm', 'expected 0 exactly when prevLogIndex is 0');
  });
});

describe('events impossible in the state reached', () => {
  // The path is the event's, or (more precisely) its message's.
  // Not bad input for validate (issue 11): a message that no permitted behaviour sent is a failure
  // of the implementation that recorded the trace, reported with the nearest message in flight.
  it('deliver, drop or duplicate of a message that no permitted behaviour sent is a FAIL naming the step, the message and that none like it is in flight', () => {
    for (const type of ['deliver', 'drop', 'duplicate']) {
      expectFail(trace({ steps: [{ event: { type, message: rv } }] }), 0, `${type} of a message no permitted behaviour sent: RV s1>s2 t1`, 'no message of that type from that sender to that receiver is in flight');
    }
  });

  it('a message delivered once cannot be delivered again (one copy was in flight): a FAIL naming the nearest message in flight', () => {
    const rv2 = { ...rv, lastLogIndex: 0 };
    expectFail(trace({ steps: [timeout('s1'), { event: { type: 'deliver', message: rv } }, { event: { type: 'deliver', message: rv2 } }] }), 2, 'no permitted behaviour sent: RV s1>s2 t1');
  });

  it('a delivered message that differs from the one in flight names the differing field', () => {
    expectFail(trace({ steps: [timeout('s1'), { event: { type: 'deliver', message: { ...rv, lastLogTerm: 1, lastLogIndex: 1 } } }] }), 1, 'the nearest in flight: RV s1>s2 t1', /lastLogIndex: the trace has 1, the model 0; lastLogTerm: the trace has 1, the model 0/);
  });

  it('a crash of a crashed node', () => {
    expectBad(trace({ steps: [{ event: { type: 'crash', node: 's2' } }, { event: { type: 'crash', node: 's2' } }] }), '/steps/1/event', 's2 is already crashed');
  });

  it('a restart of a running node', () => {
    expectBad(trace({ steps: [timeout('s1'), { event: { type: 'restart', node: 's3' } }] }), '/steps/1/event', 's3 is not crashed');
  });
});

describe('files', () => {
  it('loadTraceFile on a missing file: the root path and the reason', () => {
    const r = loadTraceFile(join(dir, 'no-such-trace.json'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.path).toBe('');
    expect(r.error.expected).toBe('cannot read the file (ENOENT)');
  });

  it('validate on a missing file: exit 2 and one line naming the file, the root path, and that a file was expected', () => {
    const file = join(dir, 'missing.json');
    const { code, lines } = validate(file);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line.slice(0, `BAD  ${file}: /: `.length)).toBe(`BAD  ${file}: /: `);
    expect(line).toMatch(/file or folder/);
  });

  it('a folder with one good and one bad trace: exit 2, one PASS line and one BAD line', () => {
    const sub = join(dir, 'mixed');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a-good.json'), JSON.stringify(trace({ steps: [timeout('s1')] })));
    writeFileSync(join(sub, 'b-bad.json'), JSON.stringify(trace({ version: 3 })));
    const code = main(['validate', sub]);
    expect(code).toBe(2);
    expect(out.filter((l) => l.startsWith('PASS'))).toEqual([`PASS ${join(sub, 'a-good.json')} (1 steps)`]);
    expect(out.filter((l) => l.startsWith('BAD'))).toEqual([`BAD  ${join(sub, 'b-bad.json')}: /version: expected 1, got 3`]);
  });

  // A leader's progress for a peer missing from nextIndex once escaped INV-6, and the model then
  // threw a RangeError (log.termAt(99)) out of main(). The initial state must be reported instead.
  it('a schema-valid trace whose initial leader has matchIndex past its log fails on the initial state, never crashes the CLI', () => {
    const file = write(trace({
      initial: { s1: { role: 'leader', currentTerm: 1, votedFor: 's1', votesGranted: ['s1'], log: [{ term: 1, command: 'a' }], matchIndex: { s2: 99, s3: 99 } } },
      steps: [{ event: { type: 'clientRequest', node: 's1', command: 'b' } }],
    }));
    let code: number | string;
    try {
      code = main(['validate', file]);
    } catch (e) {
      code = `threw ${(e as Error).name}: ${(e as Error).message}`;
    }
    expect(code).toBe(1);
    const line = [...out, ...err].find((l) => l.includes(file)) ?? '';
    expect(line).toMatch(/initial state: INV-6/);
  });
});

describe('a failing expectation', () => {
  it('a wrong expected commitIndex: exit 1, and a line naming the file, the step, the node, commitIndex, the expected and the actual value', () => {
    const file = write(trace({
      cluster: ['s1'],
      steps: [
        { event: { type: 'electionTimeout', node: 's1' }, expect: { nodes: { s1: { role: 'leader', currentTerm: 1 } } } },
        { event: { type: 'clientRequest', node: 's1', command: 'x' }, expect: { nodes: { s1: { commitIndex: 2 } } } },
      ],
    }));
    const { code, lines } = validate(file);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line.slice(0, `FAIL ${file}: `.length)).toBe(`FAIL ${file}: `);
    expect(line).toContain('step 1');
    expect(line).toContain('/steps/1');
    expect(line).toContain('s1.commitIndex: expected 2, got 1');
  });

  it('a trace whose expectations hold: exit 0', () => {
    const file = write(trace({
      cluster: ['s1'],
      steps: [{ event: { type: 'clientRequest', node: 's1', command: 'x' } }, timeout('s1'),
        { event: { type: 'clientRequest', node: 's1', command: 'x' }, expect: { nodes: { s1: { role: 'leader', commitIndex: 1, lastApplied: 1, log: [{ term: 1, command: 'x' }] } } } }],
    }));
    expect(validate(file).code).toBe(0);
  });
});

describe('bad input of compaction, clients and the dissertation options (issues 4 and 5)', () => {
  const request = (command: unknown) => ({ event: { type: 'clientRequest', node: 's1', command } });
  const elect = [timeout('s1')];

  it('a command that names a key-value operation but is not a well-formed KvCommand (KV-1 would silently treat it as opaque)', () => {
    expectBad(trace({ steps: [request({ op: 'put', key: 'x' })] }), '/steps/0/event/command', 'a key-value command', 'put with key, value', 'missing required field "value"');
    expectBad(trace({ steps: [request({ op: 'get', key: 'x', client: 'c1' })] }), '/steps/0/event/command', 'a key-value command', /seq/);
    expectBad(trace({ steps: [request({ op: 'cas', key: 'x', value: 'v' })] }), '/steps/0/event/command', 'a key-value command', 'expected');
  });

  it('an InstallSnapshot no leader could send: a lastIncludedTerm above its term, a leaderId that is not the sender', () => {
    const is = { type: 'InstallSnapshot', from: 's1', to: 's2', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 2, offset: 0, data: '{', done: false };
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...is, lastIncludedTerm: 3 } } }] }), '/steps/0/event/message/lastIncludedTerm', "expected at most the leader's term 2", 'got 3');
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...is, leaderId: 's3' } } }] }), '/steps/0/event/message/leaderId', 'expected the sender "s1"');
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { ...is, data: '' } } }] }), '/steps/0/event/message/data', /fewer than 1|at least 1|minLength|expected a string of at least/);
  });

  it('a PreVote whose last log term is not below the proposed term, or a TimeoutNow of term 0', () => {
    const pv = { type: 'PreVote', from: 's1', to: 's2', term: 2, candidateId: 's1', lastLogIndex: 3, lastLogTerm: 2 };
    expectBad(trace({ steps: [{ event: { type: 'inject', message: pv } }] }), '/steps/0/event/message/lastLogTerm', 'expected below the proposed term 2');
    expectBad(trace({ steps: [{ event: { type: 'inject', message: { type: 'TimeoutNow', from: 's1', to: 's2', term: 0 } } }] }), '/steps/0/event/message/term', 'expected a term >= 1');
  });

  it('a transferLeadership to a server that is not in the cluster', () => {
    expectBad(trace({ steps: [...elect, { event: { type: 'transferLeadership', node: 's1', target: 's9' } }] }), '/steps/1/event/target', 'unknown node "s9"');
  });

  it('an expected reply naming an unknown server, or a client without a seq', () => {
    const reply = { type: 'redirect', node: 's1', client: 'c1', seq: 1, leader: null };
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { replies: [{ ...reply, node: 's7' }] } }] }), '/steps/0/expect/replies/0/node', 'unknown node "s7"');
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { replies: [{ ...reply, seq: null }] } }] }), '/steps/0/expect/replies/0/seq', 'client and seq both set or both null');
    expectBad(trace({ steps: [{ ...timeout('s1'), expect: { replies: [{ ...reply, client: null }] } }] }), '/steps/0/expect/replies/0/client', 'client and seq both set or both null');
  });

  it('one client operation (client, seq) sent as two different commands: bad input at the later send', () => {
    const put = (value: string) => request({ op: 'put', key: 'x', value, client: 'c1', seq: 1 });
    expectBad(trace({ steps: [...elect, put('a'), put('b')] }), '/steps/2/event', 'one command per client operation (client, seq)', 'c1:1');
  });

  it('membership (docs/membership.md): a configuration naming a server outside the cluster, a voter that is also a learner, a configuration entry with a command, a reconfigure without voters or of an unknown kind', () => {
    expectBad(trace({ configuration: { voters: ['s1', 's9'] } }), '/configuration/voters/1', 'unknown node "s9"');
    expectBad(trace({ configuration: { voters: ['s1', 's2'], learners: ['s2'] } }), '/configuration/learners/0', 's2 is also a voter');
    const reconfigure = (extra: Record<string, unknown>) => ({ event: { type: 'reconfigure', node: 's1', change: 'single', voters: ['s1', 's2'], ...extra } });
    expectBad(trace({ steps: [reconfigure({ learners: ['s7'] })] }), '/steps/0/event/learners/0', 'unknown node "s7"');
    expectBad(trace({ steps: [reconfigure({ learners: ['s1'] })] }), '/steps/0/event/learners/0', 's1 is also a voter');
    expectBad(trace({ steps: [reconfigure({ voters: [] })] }), '/steps/0/event/voters', 'expected at least 1 item');
    expectBad(trace({ steps: [reconfigure({ change: 'double' })] }), '/steps/0/event/change', /single|joint/);
    const entry = { term: 1, command: 'x', config: { voters: ['s1'] } };
    expectBad(trace({ initial: { s1: { currentTerm: 1, log: [entry] } } }), '/initial/s1/log/0/command', /null/);
    const ae = { type: 'AppendEntries', from: 's1', to: 's2', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 1, command: null, config: { voters: ['s1', 's8'] } }], leaderCommit: 0 };
    expectBad(trace({ steps: [{ event: { type: 'inject', message: ae } }] }), '/steps/0/event/message/entries/0/config/voters/1', 'unknown node "s8"');
  });

  it('an option out of range: a chunk size of 0, a flow control window of 0', () => {
    expectBad(trace({ options: { snapshotChunkSize: 0 } }), '/options/snapshotChunkSize', 'expected a number >= 1');
    expectBad(trace({ options: { flowControlWindow: 0 } }), '/options/flowControlWindow', 'expected a number >= 1');
  });
});
