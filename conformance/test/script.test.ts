// Trace scripts (docs/trace-scripts.md, issue 14): each construct of the language and what it
// compiles to; message names read back; the paper fixtures as scripts whose JSON is never stale;
// `check --rewrite` leaving a script the model agrees with byte for byte and writing a planted
// change of the model into the script's lines; the scenarios of the link-cut events and of the
// partial and initial expectations, passing and failing with a clear report.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Event, Message, Trace } from '../../spec/schema.js';
import { messageKey } from '../../spec/canonical.js';
import { compileScript, rewriteScript } from '../script.js';
import { readMessage } from '../script-syntax.js';
import { formatTraceJson } from '../script-json.js';
import { traceToScript } from '../script-from-trace.js';
import { checkTrace } from '../load.js';
import { lockstep } from '../lockstep.js';
import { validateBySearch } from '../search.js';
import { applyEvent, inFlight, initCluster, type ClusterState } from '../../model/cluster.js';
import { ImplWorld } from '../record.js';
import { AdapterWorld, replayEvents, validateRecorded } from '../drive.js';
import { implAdapter } from '../impl-adapter.js';
import { applyPatches, writeIfChanged } from '../../test/source-patch.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAPER = join(ROOT, 'traces', 'paper');
const SCRIPTS = join(ROOT, 'conformance', 'test', 'scripts');


afterEach(() => vi.restoreAllMocks());

const tmp = () => mkdtempSync(join(tmpdir(), 'raftspec-script-'));

/** A script's trace (the test fails with the script's own message when it does not compile). */
function compiled(source: string): Trace {
  const c = compileScript(source);
  if (!c.ok) throw new Error(c.error.message);
  return c.trace;
}

const compileError = (source: string) => {
  const c = compileScript(source);
  if (c.ok) throw new Error('expected the script not to compile');
  return c.error;
};

const events = (t: Trace): Event[] => t.steps.map((s) => s.event);
const C3 = 'cluster s1 s2 s3\n';
const rv = (from: string, to: string, term = 1): Message => ({ type: 'RequestVote', from, to, term, candidateId: from, lastLogIndex: 0, lastLogTerm: 0 });

describe('the script language: headers', () => {
  it('name, description (continued on indented lines), source, cluster, options, configuration, profile and initial become the trace\'s fields', () => {
    const t = compiled([
      '# a comment line',
      'name a name',
      'description first half',
      '  second half',
      'source "a JSON string:  two spaces"',
      'cluster s1 s2 s3 s4',
      'options maxEntriesPerAppendEntries=4 fastBacktracking leaderNoop=false',
      'configuration voters=s1,s2,s3 learners=s4',
      'profile DEC-17=DEC-17b DEC-3=DEC-3a,DEC-3b',
      'initial s1 currentTerm=2 votedFor=s1 log=1:a,2:{"k":1},2:null,2:"1" commitIndex=1',
      '  lastApplied=1',
      'initial s2 currentTerm=2',
    ].join('\n'));
    expect(t).toEqual({
      format: 'raft-trace', version: 1, name: 'a name', description: 'first half second half', source: 'a JSON string:  two spaces',
      cluster: ['s1', 's2', 's3', 's4'], options: { maxEntriesPerAppendEntries: 4, fastBacktracking: true, leaderNoop: false },
      configuration: { voters: ['s1', 's2', 's3'], learners: ['s4'] },
      initial: {
        s1: { currentTerm: 2, votedFor: 's1', log: [{ term: 1, command: 'a' }, { term: 2, command: { k: 1 } }, { term: 2, command: null }, { term: 2, command: '1' }], commitIndex: 1, lastApplied: 1 },
        s2: { currentTerm: 2 },
      },
      profile: { 'DEC-17': 'DEC-17b', 'DEC-3': ['DEC-3a', 'DEC-3b'] },
      steps: [],
    });
  });

  it('a header after the first event, a header given twice, an unknown line and a missing cluster are errors at their line', () => {
    expect(compileError(`${C3}timeout s1\nname late`)).toMatchObject({ line: 3, problem: expect.stringMatching(/header line/) });
    expect(compileError(`${C3}cluster s1`)).toMatchObject({ line: 2, problem: 'cluster is given twice' });
    expect(compileError(`${C3}elect s1`)).toMatchObject({ line: 2, problem: expect.stringMatching(/unknown line "elect"/) });
    expect(compileError('timeout s1')).toMatchObject({ line: 1, problem: expect.stringMatching(/cluster line/) });
    expect(compileError(`${C3}timeout s9`)).toMatchObject({ line: 2, problem: expect.stringMatching(/unknown server "s9"/) });
    expect(compileError(`${C3}  timeout s1`.replace(C3, ''))).toMatchObject({ line: 1, problem: expect.stringMatching(/indented line/) });
  });

  it('a value the trace format refuses is bad input at the line that wrote it, with the JSON path', () => {
    const e = compileError(`name x\n${C3}options maxEntriesPerAppendEntries=0\ntimeout s1`);
    expect(e.line).toBe(3);
    expect(e.kind).toBe('bad');
    expect(e.problem).toMatch(/^\/options\/maxEntriesPerAppendEntries: expected a number >= 1/);
    const init = compileError(`${C3}initial s2 currentTerm=1 votedFor=s7\ntimeout s1`);
    expect(init).toMatchObject({ line: 2, problem: expect.stringMatching(/^\/initial\/s2\/votedFor: unknown node "s7"/) });
    const ex = compileError(`${C3}timeout s1\nexpect s1 currentTerm=1\nexpect s2 votedFor=s8`);
    expect(ex).toMatchObject({ line: 4, problem: expect.stringMatching(/^\/steps\/0\/expect\/nodes\/s2\/votedFor: unknown node "s8"/) });
    expect(compileError(`${C3}initial s1 logTerms=1`)).toMatchObject({ line: 2, problem: expect.stringMatching(/field=value of a server's state/) });
  });
});

describe('the script language: events', () => {
  it('timers, client commands and reads, transfers, reconfigurations, snapshots, crashes, restarts, applies, injections and errors', () => {
    const t = compiled([
      'cluster s1 s2 s3 s4',
      'timeout s1', 'heartbeat s1', 'electionTimeout s2',
      'request s1 x=1', 'request s1 c1#2 y+=a', 'request s1 {"any":["json"]}', 'request s1 plain', 'request s1 c2#1 cas k null v', 'request s1 get k', 'request s1 "x=1"',
      'read s1 c1 3 x', 'read s1 c1#4 x',
      'transfer s1 s2',
      'reconfigure s1 single s1,s2,s3 learners=s4', 'reconfigure s1 joint s2,s3,s4',
      'snapshot s1', 'snapshot s1 2',
      'inject AE s2>s1 t3 l=s2 pi0 pt0 c0 [[3,"z"]]',
      'crash s3', 'restart s3', 'apply s2',
      'error s2 "it threw"',
    ].join('\n'));
    expect(events(t)).toEqual([
      { type: 'electionTimeout', node: 's1' }, { type: 'heartbeatTimeout', node: 's1' }, { type: 'electionTimeout', node: 's2' },
      { type: 'clientRequest', node: 's1', command: { op: 'put', key: 'x', value: '1' } },
      { type: 'clientRequest', node: 's1', command: { op: 'append', key: 'y', value: 'a', client: 'c1', seq: 2 } },
      { type: 'clientRequest', node: 's1', command: { any: ['json'] } },
      { type: 'clientRequest', node: 's1', command: 'plain' },
      { type: 'clientRequest', node: 's1', command: { op: 'cas', key: 'k', expected: null, value: 'v', client: 'c2', seq: 1 } },
      { type: 'clientRequest', node: 's1', command: { op: 'get', key: 'k' } },
      { type: 'clientRequest', node: 's1', command: 'x=1' },
      { type: 'clientRead', node: 's1', client: 'c1', seq: 3, key: 'x' }, { type: 'clientRead', node: 's1', client: 'c1', seq: 4, key: 'x' },
      { type: 'transferLeadership', node: 's1', target: 's2' },
      { type: 'reconfigure', node: 's1', change: 'single', voters: ['s1', 's2', 's3'], learners: ['s4'] },
      { type: 'reconfigure', node: 's1', change: 'joint', voters: ['s2', 's3', 's4'] },
      { type: 'snapshot', node: 's1' }, { type: 'snapshot', node: 's1', index: 2 },
      { type: 'inject', message: { type: 'AppendEntries', from: 's2', to: 's1', term: 3, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 3, command: 'z' }], leaderCommit: 0 } },
      { type: 'crash', node: 's3' }, { type: 'restart', node: 's3' }, { type: 'apply', node: 's2' },
      { type: 'error', node: 's2', message: 'it threw' },
    ]);
  });

  it('partition, heal, and the link events: cut s1 s3 and heal s1 s3', () => {
    const t = compiled(`${C3}partition s1,s2 | s3\nheal\ncut s1 s3\nheal s3 s1\npartition s1 | s2 s3`);
    expect(events(t)).toEqual([
      { type: 'partition', groups: [['s1', 's2'], ['s3']] }, { type: 'heal' },
      { type: 'cut', link: ['s1', 's3'] }, { type: 'heal', link: ['s3', 's1'] },
      { type: 'partition', groups: [['s1'], ['s2', 's3']] },
    ]);
  });

  it('deliver, drop and duplicate name a message by selector: the oldest of a type on a route, all of a route, all in flight, or by its name', () => {
    const t = compiled(`${C3}timeout s1\ntimeout s1\ndeliver s1->s2 RequestVote\ndrop s1->s3 RV all\nduplicate s1->*\ndeliver all`);
    const rv2 = (to: string) => rv('s1', to, 2);
    expect(events(t)).toEqual([
      { type: 'electionTimeout', node: 's1' }, { type: 'electionTimeout', node: 's1' },
      { type: 'deliver', message: rv('s1', 's2') },
      { type: 'drop', message: rv('s1', 's3') }, { type: 'drop', message: rv2('s3') },
      { type: 'duplicate', message: rv2('s2') },
      { type: 'deliver', message: rv2('s2') }, { type: 'deliver', message: rv2('s2') },
      { type: 'deliver', message: { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: true } },
    ]);
    const byName = compiled(`${C3}timeout s1\ndeliver RV s1>s3 t1 c=s1 li0 lt0`);
    expect(events(byName)[1]).toEqual({ type: 'deliver', message: rv('s1', 's3') });
  });

  it('stabilize delivers the oldest message in flight until none is left (among the servers named, when some are)', () => {
    const t = compiled(`${C3}timeout s1\nstabilize s1 s2\nexpect in-flight-contains RV s1>s3 t1 c=s1 li0 lt0\nexpect s1 role=leader\nstabilize\nexpect in-flight none`);
    const delivered = events(t).filter((e) => e.type === 'deliver');
    expect(delivered.length).toBeGreaterThan(4);
    expect(lockstep(t).status).toBe('pass');
    // Nothing in flight: no step, and the lines after it are about the step before.
    const empty = compiled(`${C3}timeout s1\nstabilize\nstabilize\nexpect s1 role=leader`);
    expect(empty.steps.length).toBe(compiled(`${C3}timeout s1\nstabilize`).steps.length);
  });

  it('a selector that names no message in flight fails at its line (the model did not send it); an impossible event is bad input', () => {
    const e = compileError(`${C3}timeout s1\ndeliver s2->s1 AppendEntries`);
    expect(e).toMatchObject({ line: 3, kind: 'fail' });
    expect(e.problem).toBe('deliver s2->s1 AppendEntries: no such message is in flight (in flight: RV s1>s2 t1 c=s1 li0 lt0; RV s1>s3 t1 c=s1 li0 lt0)');
    const named = compileError(`${C3}timeout s1\ndeliver RV s1>s2 t2 c=s1 li0 lt0`);
    expect(named).toMatchObject({ line: 3, kind: 'fail', problem: expect.stringMatching(/the model has no such message in flight; the nearest: RV s1>s2 t1 c=s1 li0 lt0 \(term: the trace has 2, the model 1\)/) });
    expect(compileError(`${C3}crash s2\ncrash s2`)).toMatchObject({ line: 3, kind: 'bad', problem: expect.stringMatching(/already crashed/) });
  });
});

describe('the script language: expectations', () => {
  it('whole fields (field=value), one field (field value...), parts of maps, log terms and length, the end of a log; notes', () => {
    const t = compiled([
      C3.trim(), 'timeout s1', 'deliver s1->s2 RV', 'deliver s2->s1 RVR',
      'expect s1 role=leader currentTerm=1 votesGranted=s1,s2 nextIndex=s2:1,s3:1 matchIndex={}',
      'expect s1 commitIndex 0',
      'expect s1 nextIndex.s2=1',
      'expect s1 match-index s3=0',
      'expect s2 log-terms []',
      'expect s2 log-length 0',
      'note CAN-2:',
      'note two votes of three',
    ].join('\n'));
    expect(t.steps[2]).toEqual({
      event: expect.objectContaining({ type: 'deliver' }),
      expect: {
        nodes: {
          s1: { role: 'leader', currentTerm: 1, votesGranted: ['s1', 's2'], nextIndex: { s2: 1, s3: 1 }, matchIndex: {}, commitIndex: 0, partial: { nextIndex: { s2: 1 }, matchIndex: { s3: 0 } } },
          s2: { logTerms: [], logLength: 0 },
        },
      },
      note: 'CAN-2: two votes of three',
    });
  });

  it('in flight (exact, on one line or one message per indented line), in flight contains (by name or selector), crashed, replies, sent, sent during a range of steps', () => {
    const t = compiled([
      C3.trim(), 'timeout s1',
      'expect in-flight', '  RV s1>s2 t1 c=s1 li0 lt0', '  RV s1>s3 t1 c=s1 li0 lt0',
      'expect sent RV s1>s2 t1 c=s1 li0 lt0; RV s1>s3 t1 c=s1 li0 lt0',
      'crash s3',
      'expect crashed s3',
      'expect in-flight-contains s1->s3 RequestVote; RV s1>s2 t1 c=s1 li0 lt0',
      'request s2 c1#1 x=1',
      'expect replies redirect s2 c1#1 none',
      'expect sent-partial none',
      'expect sent-during 0..2 s1->s2',
    ].join('\n'));
    expect(t.steps[0]).toMatchObject({ expect: { inFlight: [rv('s1', 's2'), rv('s1', 's3')] }, sent: [rv('s1', 's2'), rv('s1', 's3')] });
    expect(t.steps[1]?.expect).toEqual({ crashed: ['s3'], inFlightContains: [rv('s1', 's3'), rv('s1', 's2')] });
    expect(t.steps[2]).toMatchObject({ expect: { replies: [{ type: 'redirect', node: 's2', client: 'c1', seq: 1, leader: null }], sentDuring: [{ from: 0, contains: [rv('s1', 's2')] }] }, sent: [], sentPartial: true });
    expect(lockstep(t).status).toBe('pass');
    expect(validateBySearch(t).status).toBe('pass');
  });

  it('expect lines before the first event are about the initial state (expectInitial)', () => {
    const t = compiled(`${C3}initial s1 currentTerm=3 log=2:a snapshotIndex=4 snapshotTerm=2\nexpect s1 commitIndex=4 logLength=5 role=follower\nexpect in-flight none\nexpect crashed none\ntimeout s1`);
    expect(t.expectInitial).toEqual({ nodes: { s1: { commitIndex: 4, logLength: 5, role: 'follower' } }, inFlight: [], crashed: [] });
    expect(lockstep(t).status).toBe('pass');
    expect(compileError(`${C3}expect replies none`)).toMatchObject({ line: 2, problem: expect.stringMatching(/before the first event only servers/) });
  });

  it('the same field expected twice for a step, and a range of steps that is not before this one, are errors at their line', () => {
    expect(compileError(`${C3}timeout s1\nexpect s1 currentTerm=1\nexpect s1 currentTerm 1`)).toMatchObject({ line: 4, problem: 's1.currentTerm is expected twice for this step' });
    expect(compileError(`${C3}timeout s1\nexpect sent-during 0..1 s1->s2`)).toMatchObject({ line: 3, problem: expect.stringMatching(/from <= to <= 0/) });
  });
});

describe('message names', () => {
  const config = { voters: ['s1', 's2', 's3'], learners: ['s4'] };
  const messages: Message[] = [
    rv('s1', 's2'), { type: 'RequestVote', from: 's1', to: 's2', term: 4, candidateId: 's1', lastLogIndex: 3, lastLogTerm: 2, transfer: true },
    { type: 'RequestVoteResponse', from: 's2', to: 's1', term: 1, voteGranted: false },
    { type: 'AppendEntries', from: 's1', to: 's2', term: 3, leaderId: 's1', prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 3, command: { op: 'put', key: 'x y', value: '1' } }, { term: 3, command: null, config }, { term: 3, command: 'a b' }], leaderCommit: 2, readRound: 4 },
    { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 4, conflictTerm: 2, conflictIndex: 3, readRound: 1, lastApplied: 2 },
    { type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 3, success: false, matchIndex: 0, prevLogIndex: 4, rejectHint: 2, logTerm: 1 },
    { type: 'InstallSnapshot', from: 's1', to: 's3', term: 2, leaderId: 's1', lastIncludedIndex: 5, lastIncludedTerm: 2, offset: 64, data: '{"data":{"x":"1"}', done: true, lastConfig: config },
    { type: 'InstallSnapshotResponse', from: 's3', to: 's1', term: 2, lastIncludedIndex: 5, offset: 0, done: false },
    { type: 'PreVote', from: 's3', to: 's1', term: 2, candidateId: 's3', lastLogIndex: 0, lastLogTerm: 0 },
    { type: 'PreVoteResponse', from: 's1', to: 's3', term: 2, voteGranted: true },
    { type: 'TimeoutNow', from: 's1', to: 's2', term: 5 },
    { type: 'ClientProposal', from: 's2', to: 's1', term: 1, command: { op: 'append', key: 'k', value: 'v', client: 'c1', seq: 2 } },
    { type: 'ForwardedRead', from: 's2', to: 's1', term: 1, client: 'c 1', seq: 3, key: 'x' },
  ];

  it('every message type reads back from its name (messageKey) to the same message', () => {
    for (const m of messages) {
      const back = readMessage(messageKey(m), 1);
      expect(messageKey(back), messageKey(m)).toBe(messageKey(m));
      expect(back).toEqual(m);
    }
  });

  it('a name that is not a message is an error at its line', () => {
    expect(() => readMessage('RV s1>s2 t1 c=s1 li0', 7)).toThrow(/line 7: expected a message by its name.*lt<term>/);
    expect(() => readMessage('XX s1>s2 t1', 7)).toThrow(/unknown message type/);
  });
});

describe('the paper fixtures are scripts', () => {
  const scripts = readdirSync(PAPER).filter((f) => f.endsWith('.trace')).sort();

  it('every JSON fixture of traces/paper has its script', () => {
    const jsons = readdirSync(PAPER).filter((f) => f.endsWith('.json')).sort();
    expect(jsons.length).toBeGreaterThan(60);
    expect(jsons.map((f) => f.replace(/\.json$/, '.trace'))).toEqual(scripts);
  });

  it.each(scripts)('%s: its JSON is what it compiles to, byte for byte (else run: raftspec compile traces/paper)', (f) => {
    const c = compileScript(readFileSync(join(PAPER, f), 'utf8'));
    if (!c.ok) throw new Error(c.error.message);
    const json = readFileSync(join(PAPER, f.replace(/\.trace$/, '.json')), 'utf8');
    expect(formatTraceJson(c.trace) === json, `traces/paper/${f.replace(/\.trace$/, '.json')} is stale with respect to ${f}: run raftspec compile traces/paper/${f}`).toBe(true);
  });

  it('check --rewrite with the model unchanged rewrites none of them: every script stays byte for byte', () => {
    for (const f of scripts) {
      const text = readFileSync(join(PAPER, f), 'utf8');
      const r = rewriteScript(text);
      expect(r.error, f).toBeNull();
      expect(r.notes, f).toEqual([]);
      expect(r.text === text, f).toBe(true);
    }
  });

  it('writing a JSON fixture as a script and compiling it gives the same trace back', () => {
    for (const f of ['election-3-nodes.json', 'membership-snapshot-carries-config.json', 'client-retry-exactly-once.json']) {
      const t = JSON.parse(readFileSync(join(PAPER, f), 'utf8')) as Trace;
      expect(compiled(traceToScript(t)), f).toEqual(t);
    }
  });
});

describe('check --rewrite: a protocol change as a diff of scripts', () => {
  it('a model with a planted change (AE-5 with the local last index, a patched copy) rewrites the expectation lines it changes, and only those', async () => {
    // A copy of spec/, model/, conformance/ and impl/ with one patch: the pitfall of AE-5.
    const dir = join(ROOT, '.mutants', 'script-rewrite-ae5');
    const patch = { file: 'core/figure2.ts', find: 'const lastNewEntry = m.prevLogIndex + m.entries.length;', replace: 'const lastNewEntry = s.log.lastIndex;' };
    let patched = 0;
    for (const folder of ['spec', 'model', 'conformance', 'impl']) {
      const walk = (rel: string): string[] => readdirSync(join(ROOT, folder, rel)).flatMap((n) => {
        const p = rel === '' ? n : `${rel}/${n}`;
        if (statSync(join(ROOT, folder, p)).isDirectory()) return n === 'test' ? [] : walk(p);
        return n.endsWith('.ts') ? [p] : [];
      });
      for (const file of walk('')) {
        const text = readFileSync(join(ROOT, folder, file), 'utf8');
        const out = folder === 'model' ? applyPatches('planted AE-5', 'model', [patch], file, text) : text;
        if (out !== text) patched++;
        writeIfChanged(join(dir, folder, file), out);
      }
    }
    expect(patched).toBe(1);
    const mod = (await import(pathToFileURL(join(dir, 'conformance', 'script.ts')).href)) as typeof import('../script.js');
    const text = readFileSync(join(PAPER, 'ae5-last-new-entry.trace'), 'utf8');
    const r = mod.rewriteScript(text);
    expect(r.error).toBeNull();
    const before = text.split('\n');
    const after = r.text.split('\n');
    expect(after.length).toBe(before.length);
    const diff = before.flatMap((l, k) => (l === after[k] ? [] : [{ line: k + 1, before: l, after: after[k] }]));
    // The injected AppendEntries vouch for index 2 and 0 only; the planted model commits s3's whole log at each.
    const line = (k: number) => ({ line: k, before: 'expect s3 log=1:a,1:b,1:c commitIndex=2 lastApplied=2', after: 'expect s3 log=1:a,1:b,1:c commitIndex=3 lastApplied=3' });
    expect(diff).toEqual([line(40), line(46)]);
    expect(before[38]).toBe('inject AE s1>s3 t1 l=s1 pi1 pt1 c3 [[1,"b"]]');
    expect(before[44]).toBe('inject AE s1>s3 t1 l=s1 pi0 pt0 c3 []');
    expect(r.changed).toEqual(diff.map((d) => d.line));
    expect(diff.every((d) => d.before.startsWith('expect ') && d.after?.startsWith('expect '))).toBe(true);
    // The real model agrees with the script as it was.
    expect(rewriteScript(text).text).toBe(text);
  });

  it('on the command line: the file is rewritten in place, then a second rewrite leaves it as it is', () => {
    const dir = tmp();
    const file = join(dir, 'x.trace');
    writeFileSync(file, `${C3}timeout s1\nexpect s1 currentTerm=7 role=leader\nexpect in-flight none\n# kept\nexpect s1 nextIndex.s2=3\n`);
    const first = runCli(['check', '--rewrite', file]);
    expect(first.code).toBe(1); // s1 has no nextIndex for s2 as a candidate: that line is left, with a note
    expect(first.out).toContain(`REWROTE ${file}: the model's values written at lines 3, 4`);
    expect(first.out).toContain('not rewritten: line 6: s1 has no nextIndex for s2 (s1 is candidate): not rewritten');
    expect(readFileSync(file, 'utf8')).toBe(`${C3}timeout s1\nexpect s1 currentTerm=1 role=candidate\nexpect in-flight RV s1>s2 t1 c=s1 li0 lt0; RV s1>s3 t1 c=s1 li0 lt0\n# kept\nexpect s1 nextIndex.s2=3\n`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('expect s1 nextIndex.s2=3\n', ''));
    const again = runCli(['check', '--rewrite', file]);
    expect(again).toMatchObject({ code: 0, out: `SAME ${file}: every expectation holds` });
    expect(runCli(['check', '--rewrite', '--pin', 'model', file])).toMatchObject({ code: 2, err: expect.stringMatching(/check --rewrite takes no --pin/) });
  });
});

describe('raftspec compile and check of scripts', () => {
  it('compile writes the JSON beside the script, or to -o; check and validate of the JSON and of the script pass', () => {
    const dir = tmp();
    const file = join(dir, 'cut.trace');
    writeFileSync(file, readFileSync(join(SCRIPTS, 'cut-link.trace'), 'utf8'));
    const r = runCli(['compile', file]);
    expect(r).toMatchObject({ code: 0, out: `wrote ${join(dir, 'cut.json')} (22 steps) from ${file}` });
    const out = join(dir, 'other.json');
    expect(runCli(['compile', file, '-o', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'cut.json'), 'utf8'));
    expect(checkTrace(JSON.parse(readFileSync(out, 'utf8'))).ok).toBe(true);
    const check = runCli(['check', join(dir, 'cut.json'), file]);
    expect(check.out).toContain(`PASS ${file} (22 steps)`);
    expect(check).toMatchObject({ code: 0, out: expect.stringContaining('2 traces: 2 passed, 0 failed, 0 bad input') });
    expect(runCli(['validate', join(dir, 'cut.json'), file]).code).toBe(0);
    // A folder: every *.trace in it.
    expect(runCli(['compile', dir]).code).toBe(0);
  });

  it('a wrong script is bad input at its line (exit 2); a selector the model cannot follow is a failure (exit 1)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.trace'), `${C3}timeout s1\nexpect s1 currentTerm=one\n`);
    const bad = runCli(['compile', join(dir, 'bad.trace')]);
    expect(bad).toMatchObject({ code: 2, out: `BAD  ${join(dir, 'bad.trace')}: line 3: expected a value of currentTerm as a whole number, got "one"` });
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    expect(runCli(['check', join(dir, 'bad.trace')])).toMatchObject({ code: 2, out: expect.stringContaining(`BAD  ${join(dir, 'bad.trace')}: line 3: expected a value of currentTerm`) });
    writeFileSync(join(dir, 'nothing.trace'), `${C3}timeout s1\ndeliver s2->s1 AE\n`);
    expect(runCli(['compile', join(dir, 'nothing.trace')])).toMatchObject({ code: 1, out: expect.stringMatching(/^FAIL .*nothing.trace: line 3: deliver s2->s1 AppendEntries: no such message is in flight/) });
    expect(runCli(['check', join(dir, 'nothing.trace')])).toMatchObject({ code: 1, out: expect.stringMatching(/FAIL .*nothing.trace: step 1 \(\/steps\/1: line 3\): deliver s2->s1 AppendEntries: no such message/) });
    expect(runCli(['compile', join(dir, 'bad.trace'), join(dir, 'nothing.trace'), '-o', join(dir, 'x.json')])).toMatchObject({ code: 2, err: expect.stringMatching(/-o .* takes one script/) });
  });
});

describe('the scenario of one cut link, and partial, initial and in-flight-contains expectations', () => {
  const source = readFileSync(join(SCRIPTS, 'cut-link.trace'), 'utf8');
  const check = (text: string) => {
    const dir = tmp();
    const file = join(dir, 'scenario.trace');
    writeFileSync(file, text);
    return { file, lockstep: runCli(['check', file]), search: runCli(['validate', file]) };
  };

  it('passes check (the model and impl/ in lockstep) and validate (search)', () => {
    const r = check(source);
    expect(r.lockstep).toMatchObject({ code: 0, out: expect.stringContaining('1 trace: 1 passed') });
    expect(r.search.code).toBe(0);
    const t = compiled(source);
    expect(events(t).filter((e) => e.type === 'cut' || e.type === 'heal')).toEqual([{ type: 'cut', link: ['s1', 's3'] }, { type: 'heal', link: ['s1', 's3'] }]);
    // While the link is cut nothing s1 sends reaches s3: the copies were sent (sentDuring) but never in flight.
    expect(t.steps[1]?.expect?.sentDuring?.[0]?.contains[0]).toMatchObject({ type: 'AppendEntries', from: 's1', to: 's3' });
  });

  it('a wrong part of a map fails at its step, naming the key', () => {
    const r = check(source.replace('expect s1 nextIndex s2=2 s3=1', 'expect s1 nextIndex s2=2 s3=2'));
    expect(r.lockstep.code).toBe(1);
    expect(r.lockstep.out).toMatch(/FAIL .*: step 3 \(\/steps\/3: deliver AER s2>s1 t1 ok mi1 pi0, line 30\): s1\.nextIndex\[s3\]: expected 2, got 1/);
    expect(r.search.out).toMatch(/s1\.nextIndex\[s3\]: expected 2, got 1/);
  });

  it('a wrong expectation on the initial state fails at "initial state", before any step', () => {
    const r = check(source.replace('expect s1 role=leader commitIndex=0 lastApplied=0', 'expect s1 role=leader commitIndex=1 lastApplied=0'));
    expect(r.lockstep.out).toContain(`FAIL ${r.file}: initial state: s1.commitIndex: expected 1, got 0`);
    expect(r.search.out).toContain(`FAIL ${r.file}: initial state: s1.commitIndex: expected 1, got 0`);
  });

  it('"in flight contains" a message that is not in flight fails, naming it', () => {
    const r = check(source.replace('expect in-flight-contains RV s3>s2 t2 c=s3 li0 lt0', 'expect in-flight-contains RV s3>s1 t2 c=s3 li0 lt0'));
    expect(r.lockstep.code).toBe(1);
    expect(r.lockstep.out).toMatch(/step 5 \(\/steps\/5: electionTimeout s3, line 40\): in flight: expected RV s3>s1 t2 c=s3 li0 lt0 \(in flight contains\), which is not in flight/);
    expect(r.search.out).toMatch(/in flight: expected RV s3>s1 t2 c=s3 li0 lt0 \(in flight contains\), which is not in flight/);
    // By selector: the script cannot even be compiled against the model.
    const sel = check(source.replace('expect in-flight-contains s1->s2 AppendEntries', 'expect in-flight-contains s1->s3 AppendEntries'));
    expect(sel.lockstep).toMatchObject({ code: 1, out: expect.stringContaining('step 4 (/steps/4: line 37): expect s1->s3 AppendEntries: no such message in flight (AE s1>s2 t1 l=s1 pi1 pt1 c1 [])') });
  });

  it('"sent during" a range of steps that did not send the message fails, naming the range', () => {
    const r = check(source.replace('expect sent-during 1..1 s1->s3 AppendEntries', 'expect sent-during 1..1 AE s1>s3 t1 l=s1 pi0 pt0 c1 []'));
    expect(r.lockstep.out).toMatch(/step 1 \(\/steps\/1: clientRequest to s1: .*, line 23\): sent during steps 1 to this one: expected AE s1>s3 t1 l=s1 pi0 pt0 c1 \[\], which was not sent then/);
    expect(r.search.out).toMatch(/sent during steps 1 to this one: expected AE s1>s3 t1 l=s1 pi0 pt0 c1 \[\], which was not sent then/);
  });
});

describe('the link events on every network: the model\'s, impl/\'s (record) and drive\'s', () => {
  const schedule: Event[] = [
    { type: 'electionTimeout', node: 's1' },
    { type: 'cut', link: ['s3', 's1'] },
    { type: 'electionTimeout', node: 's3' },
    { type: 'electionTimeout', node: 's1' },
    { type: 'heal', link: ['s1', 's3'] },
    { type: 'electionTimeout', node: 's1' },
    { type: 'cut', link: ['s1', 's2'] },
    { type: 'partition', groups: [['s1', 's3'], ['s2']] },
    { type: 'heal' },
    { type: 'electionTimeout', node: 's3' },
  ];
  const sorted = (ms: readonly Message[]) => ms.map(messageKey).sort();

  it('after every event the three hold the same messages in flight', () => {
    const servers = ['s1', 's2', 's3'];
    let model: ClusterState = initCluster(servers);
    const impl = new ImplWorld(servers);
    const adapter = implAdapter();
    const world = new AdapterWorld(adapter, adapter.hello().features, servers);
    const seen: string[][] = [];
    for (const e of schedule) {
      const r = applyEvent(model, e);
      if ('error' in r) throw new Error(r.error);
      model = r.state;
      impl.apply(e);
      world.apply(e);
      expect(sorted(impl.inFlight()), JSON.stringify(e)).toEqual(sorted(inFlight(model)));
      expect(sorted(world.inFlight()), JSON.stringify(e)).toEqual(sorted(inFlight(model)));
      seen.push(sorted(inFlight(model)));
    }
    // The cut took the RequestVote s1>s3 out, and kept out those sent while it held.
    expect(seen[1]).toEqual(['RV s1>s2 t1 c=s1 li0 lt0']);
    expect(seen[3]?.some((k) => k.includes('s1>s3') || k.includes('s3>s1'))).toBe(false);
    expect(seen[5]?.some((k) => k.startsWith('RV s1>s3 t3'))).toBe(true);
    adapter.stop();
  });

  it('drive replays a script\'s events with a cut link through an adapter, and its recording validates', () => {
    // drive replays schedules from the start (no initial state): s1 is elected first.
    const t = compiled(`${C3}timeout s1\ncut s1 s3\ndeliver s1->s2 RV\ndeliver s2->s1 RVR\nrequest s1 x=1\nstabilize\nexpect s3 log-length 0\nheal s1 s3\nheartbeat s1\nstabilize\nexpect s3 log-length 1`);
    const adapter = implAdapter();
    const replayed = replayEvents(adapter, adapter.hello().features, t, events(t), 'cut-link');
    adapter.stop();
    expect(replayed.status).toBe('recorded');
    if (replayed.status !== 'recorded') return;
    expect(validateRecorded(replayed.trace).status).toBe('pass');
  });
});

describe('the trace format: the new fields are checked as bad input with their JSON path', () => {
  const base = { format: 'raft-trace', version: 1, cluster: ['s1', 's2', 's3'] };
  const bad = (t: unknown) => {
    const r = checkTrace(t);
    if (r.ok) throw new Error('expected bad input');
    return `${r.error.path}: ${r.error.expected}`;
  };

  it('a link names two servers of the cluster', () => {
    expect(bad({ ...base, steps: [{ event: { type: 'cut', link: ['s1', 's9'] } }] })).toMatch(/^\/steps\/0\/event\/link\/1: unknown node "s9"/);
    expect(bad({ ...base, steps: [{ event: { type: 'cut', link: ['s1', 's1'] } }] })).toMatch(/^\/steps\/0\/event\/link: expected no duplicates/);
    expect(bad({ ...base, steps: [{ event: { type: 'heal', link: ['s1'] } }] })).toMatch(/^\/steps\/0\/event\/link: expected at least 2/);
  });

  it('partial observations, in flight contains, sent during and the initial expectations', () => {
    const step = (x: unknown) => ({ ...base, steps: [{ event: { type: 'electionTimeout', node: 's1' }, expect: x }] });
    expect(bad(step({ nodes: { s1: { partial: { nextIndex: { s7: 1 } } } } }))).toMatch(/^\/steps\/0\/expect\/nodes\/s1\/partial\/nextIndex\/s7: unknown node "s7"/);
    expect(bad(step({ nodes: { s1: { partial: { votedFor: {} } } } }))).toMatch(/^\/steps\/0\/expect\/nodes\/s1\/partial\/votedFor: no such field/);
    expect(bad(step({ nodes: { s1: { logTerms: [0] } } }))).toMatch(/^\/steps\/0\/expect\/nodes\/s1\/logTerms\/0: expected a number >= 1/);
    expect(bad(step({ inFlightContains: [{ ...rv('s1', 's2'), to: 's1' }] }))).toMatch(/^\/steps\/0\/expect\/inFlightContains\/0\/to: a message from s1 to itself/);
    expect(bad(step({ sentDuring: [{ from: 1, contains: [rv('s1', 's2')] }] }))).toMatch(/^\/steps\/0\/expect\/sentDuring\/0\/from: expected a step at or before this one \(0\), got 1/);
    expect(bad(step({ sentDuring: [{ from: 0, contains: [] }] }))).toMatch(/^\/steps\/0\/expect\/sentDuring\/0\/contains: expected at least 1/);
    expect(bad({ ...base, expectInitial: { nodes: { s4: { role: 'leader' } } }, steps: [] })).toMatch(/^\/expectInitial\/nodes\/s4: unknown node "s4"/);
    expect(bad({ ...base, expectInitial: { replies: [] }, steps: [] })).toMatch(/^\/expectInitial\/replies: no such field/);
    expect(bad({ ...base, initial: { s1: { logLength: 2 } }, steps: [] })).toMatch(/^\/initial\/s1\/logLength: no such field in an initial state/);
  });
});

describe('docs/trace-scripts.md', () => {
  it('every script in it compiles, and each example it says passes check passes', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'trace-scripts.md'), 'utf8');
    const blocks = [...doc.matchAll(/^```trace\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThan(2);
    for (const b of blocks) {
      const t = compiled(b);
      expect(lockstep(t).status, b.slice(0, 80)).toBe('pass');
    }
  });
});

describe('follower reads in the notation (FR-1 .. FR-4)', () => {
  const script = [
    'cluster s1 s2 s3',
    'options followerReads',
    'initial s1 role=leader currentTerm=1 votedFor=s1 votesGranted=s1,s2 leaderId=s1 log=1:{"key":"x","op":"put","value":"1"} commitIndex=1 lastApplied=1 machine={"data":{"x":"1"},"sessions":{}} nextIndex=s2:2,s3:2 matchIndex=s2:1,s3:1',
    'initial s2 currentTerm=1 votedFor=s1 leaderId=s1 log=1:{"key":"x","op":"put","value":"1"} commitIndex=1 lastApplied=1 machine={"data":{"x":"1"},"sessions":{}}',
    'initial s3 currentTerm=1 votedFor=s1 leaderId=s1',
    '',
    'read s2 c1#1 x after=1',
    'expect replies read s2 c1#1 x 1 "1"',
    'read s3 c1#2 x after=1',
    'expect replies redirect s3 c1#2 s1',
    'sync s3 c2#1',
    'expect replies redirect s3 c2#1 s1',
    '',
  ].join('\n');

  it('read ... after=N and sync <server> <client>#<seq> compile to clientRead with after and clientSync; a sync reply reads back', () => {
    const c = compileScript(script);
    if (!c.ok) throw new Error(c.error.problem);
    expect(c.trace.steps.map((s) => s.event)).toEqual([
      { type: 'clientRead', node: 's2', client: 'c1', seq: 1, key: 'x', after: 1 },
      { type: 'clientRead', node: 's3', client: 'c1', seq: 2, key: 'x', after: 1 },
      { type: 'clientSync', node: 's3', client: 'c2', seq: 1 },
    ]);
    expect(lockstep(c.trace).status).toBe('pass');
    // Written back by the converter in the same words.
    const back = traceToScript(c.trace);
    expect(back).toContain('read s2 c1#1 x after=1');
    expect(back).toContain('sync s3 c2#1');
    const reply = compileScript(`${script}sync s1 c2#2\n`);
    if (!reply.ok) throw new Error(reply.error.problem);
    expect(traceToScript({ ...reply.trace, steps: [{ event: { type: 'clientSync', node: 's1', client: 'c2', seq: 2 }, expect: { replies: [{ type: 'sync', node: 's1', client: 'c2', seq: 2, index: 1 }] } }] })).toContain('expect replies sync s1 c2#2 1');
  });
});

describe('a script file that is not one', () => {
  it('UTF-16 is bad input in one line naming the encoding, as for a JSON trace file; a UTF-8 byte order mark is skipped', () => {
    const d = mkdtempSync(join(tmpdir(), 'raftspec-script-file-'));
    writeFileSync(join(d, 'u16.trace'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('cluster s1\n', 'utf16le')]));
    const u16 = runCli(['compile', join(d, 'u16.trace')]);
    expect(u16.code).toBe(2);
    expect(u16.out).toBe(`BAD  ${join(d, 'u16.trace')}: expected UTF-8 text, got a UTF-16 byte order mark (save the file as UTF-8)`);
    writeFileSync(join(d, 'bom.trace'), '\ufeffcluster s1 s2\ntimeout s1\n');
    const bom = runCli(['compile', join(d, 'bom.trace'), '-o', join(d, 'bom.json')]);
    expect(bom.code, bom.out).toBe(0);
    expect((JSON.parse(readFileSync(join(d, 'bom.json'), 'utf8')) as Trace).cluster).toEqual(['s1', 's2']);
  });
});
