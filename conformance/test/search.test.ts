// Validation by search over the choice points (conformance/search.ts, issue 11): a trace passes
// when some sequence of permitted alternatives explains it; what a trace does not observe stays
// open; a message no permitted behaviour sent is a failure with the nearest message; a frontier
// past the bound is UNDECIDED. Traces here are hand-written, or recorded from the independent
// example (examples/compact-raft), which takes the b alternative at DEC-3 to DEC-19 (and a at DEC-20, DEC-21, DEC-23).
import { describe, expect, it } from 'vitest';
import type { AppendEntries, AppendEntriesResponse, Event, Message, Trace } from '../../spec/schema.js';
import { MODEL_PROFILE } from '../../spec/choices.js';
import { validateBySearch } from '../search.js';
import { checkTrace } from '../load.js';
import { describeResult } from '../report.js';
import { generateTrace } from '../../examples/compact-raft/harness.js';
import { recordRun } from '../record.js';
import { generateFixtures, nodeIds } from '../campaign.js';

const S3 = ['s1', 's2', 's3'];
const trace = (steps: Trace['steps'], more: Partial<Trace> = {}): Trace => ({ format: 'raft-trace', version: 1, cluster: S3, steps, ...more });
const ev = (event: Event, rest: Omit<Trace['steps'][number], 'event'> = {}): Trace['steps'][number] => ({ event, ...rest });
const rv = (to: string, term = 1): Message => ({ type: 'RequestVote', from: 's1', to, term, candidateId: 's1', lastLogIndex: 0, lastLogTerm: 0 });
const grant = (from: string, term = 1): Message => ({ type: 'RequestVoteResponse', from, to: 's1', term, voteGranted: true });
const ae = (to: string, prevLogIndex: number, prevLogTerm: number, entries: AppendEntries['entries'], leaderCommit: number, term = 1): AppendEntries =>
  ({ type: 'AppendEntries', from: 's1', to, term, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit });
const aer = (from: string, success: boolean, matchIndex: number, prevLogIndex: number, term = 1): AppendEntriesResponse =>
  ({ type: 'AppendEntriesResponse', from, to: 's1', term, success, matchIndex, prevLogIndex });

/** s1 elected in term 1 with s2's vote: every message of the election delivered. */
const ELECTION: Trace['steps'] = [
  ev({ type: 'electionTimeout', node: 's1' }),
  ev({ type: 'deliver', message: rv('s2') }),
  ev({ type: 'deliver', message: grant('s2') }),
];

describe('validate by search', () => {
  it('the example (every b alternative) passes, and the report names what it took', () => {
    const { trace: t } = generateTrace({ seed: 7, servers: 3, steps: 300 });
    const loaded = checkTrace(JSON.parse(JSON.stringify(t)));
    if (!loaded.ok) throw new Error(loaded.error.expected);
    const r = validateBySearch(loaded.trace);
    expect(r.status, describeResult(r as never)).toBe('pass');
    const taken = Object.keys(r.taken ?? {});
    expect(taken.length).toBeGreaterThan(3);
    // compact-raft takes b at DEC-3 .. DEC-19, and a at DEC-20, DEC-21 and DEC-23: it announces a
    // win at once, answers the AppendEntries that deposed it and redirects clients.
    expect(taken.filter((id) => !id.endsWith('b')).every((id) => ['DEC-20a', 'DEC-21a', 'DEC-23a'].includes(id))).toBe(true);
    expect(taken).toContain('DEC-6b');
    expect(taken.filter((id) => id.endsWith('b')).length).toBeGreaterThan(3);
  });

  it('the same trace pinned to the model\'s profile fails at the first step where they differ, naming the alternative that would explain it', () => {
    const { trace: t } = generateTrace({ seed: 100, servers: 3, steps: 300 });
    const loaded = checkTrace(JSON.parse(JSON.stringify(t)));
    if (!loaded.ok) throw new Error(loaded.error.expected);
    const r = validateBySearch(loaded.trace, { pin: MODEL_PROFILE });
    expect(r.status).toBe('fail');
    expect(describeResult(r as never)).toMatch(/explained with DEC-\d+b, which --pin does not permit/);
  });

  it('DEC-19: a stale request answered or dropped: either is explained while the answer is never observed, and delivering the answer settles it', () => {
    // s3 reaches term 2 by its own election; s1's RequestVote of term 1 then reaches it: answered (a) or dropped (b).
    const base: Trace['steps'] = [
      ev({ type: 'electionTimeout', node: 's3' }), ev({ type: 'electionTimeout', node: 's3' }),
      ev({ type: 'electionTimeout', node: 's1' }),
      ev({ type: 'deliver', message: rv('s3') }, { expect: { nodes: { s3: { currentTerm: 2 } } } }),
    ];
    expect(validateBySearch(trace(base)).status).toBe('pass');
    const refusal: Message = { type: 'RequestVoteResponse', from: 's3', to: 's1', term: 2, voteGranted: false };
    const delivered = validateBySearch(trace([...base, ev({ type: 'deliver', message: refusal })]));
    expect(delivered.status).toBe('pass');
    // Pinned to b, the answer was never sent: delivering it is a message no permitted behaviour sent.
    const pinned = validateBySearch(trace([...base, ev({ type: 'deliver', message: refusal })]), { pin: { 'DEC-19': ['b'] } });
    expect(pinned.status).toBe('fail');
    expect(describeResult(pinned as never)).toContain('no permitted behaviour sent');
  });

  it('DEC-5, DEC-16: of the AppendEntries a heartbeat may carry to an unmatched follower, the trace may deliver any one, not two', () => {
    // s1 leads term 2 with [x@1, y@2] committed through 2 with s2; s3 holds [x] and is not matched yet (nextIndex 2, matchIndex 0).
    const x = { term: 1, command: 'x' };
    const y = { term: 2, command: 'y' };
    const initial: Trace['initial'] = {
      s1: { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [x, y], commitIndex: 2, lastApplied: 2, nextIndex: { s2: 3, s3: 2 }, matchIndex: { s2: 2, s3: 0 } },
      s2: { currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [x, y], commitIndex: 2, lastApplied: 2 },
      s3: { currentTerm: 2, log: [x] },
    };
    const beat = [ev({ type: 'heartbeatTimeout', node: 's1' })];
    // To s3: the entry (DEC-5), or an empty probe (DEC-5b) telling commit 2 (DEC-16) or 1 (DEC-16b).
    const variants = [ae('s3', 1, 1, [y], 2, 2), ae('s3', 1, 1, [], 2, 2), ae('s3', 1, 1, [], 1, 2)];
    for (const m of variants) {
      const r = validateBySearch(trace([...beat, ev({ type: 'deliver', message: m })], { initial }));
      expect(r.status, describeResult(r as never)).toBe('pass');
    }
    // One heartbeat sent one of them: two cannot both be delivered.
    const two = validateBySearch(trace([...beat, ev({ type: 'deliver', message: variants[2] as Message }), ev({ type: 'deliver', message: variants[1] as Message })], { initial }));
    expect(two.status).toBe('fail');
    expect(describeResult(two as never)).toContain('no permitted behaviour sent');
  });

  it('a message that differs from every one in flight fails with the nearest one and the fields that differ', () => {
    const r = validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }), ev({ type: 'deliver', message: { ...rv('s2'), lastLogIndex: 3, lastLogTerm: 1 } as Message })]));
    expect(r.status).toBe('fail');
    const text = describeResult(r as never);
    expect(text).toContain('deliver of a message no permitted behaviour sent');
    expect(text).toContain('lastLogIndex: the trace has 3, the model 0');
  });

  it('sent: a step that lists a message the model does not send, or omits one it sends, fails; sentPartial allows a subset', () => {
    const listed = [rv('s2'), rv('s3')];
    expect(validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }, { sent: listed })])).status).toBe('pass');
    const missing = validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }, { sent: [rv('s2')] })]));
    expect(missing.status).toBe('fail');
    expect(describeResult(missing as never)).toContain('the model also sends RV s1>s3 t1');
    expect(validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }, { sent: [rv('s2')], sentPartial: true })])).status).toBe('pass');
    const wrong = validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }, { sent: [rv('s2', 2), rv('s3')] })]));
    expect(describeResult(wrong as never)).toContain('term: the trace has 2, the model 1');
  });

  it('an error event fails with the implementation\'s message', () => {
    const r = validateBySearch(trace([ev({ type: 'electionTimeout', node: 's1' }), ev({ type: 'error', node: 's1', message: 'TypeError: x is undefined' })]));
    expect(r.status).toBe('fail');
    expect(describeResult(r as never)).toContain('the implementation failed on s1: TypeError: x is undefined');
  });

  it('UNDECIDED, not a pass, when more states explain the trace than --max-frontier', () => {
    // DEC-17: a follower that commits may apply now or later: with lastApplied unobserved both live on.
    const commit: Trace['steps'] = [
      ...ELECTION,
      ev({ type: 'clientRequest', node: 's1', command: 'x' }),
      ev({ type: 'deliver', message: ae('s2', 0, 0, [{ term: 1, command: 'x' }], 0) }),
      ev({ type: 'deliver', message: aer('s2', true, 1, 0) }),
    ];
    const u = validateBySearch(trace(commit), { maxFrontier: 1 });
    expect(u.status).toBe('undecided');
    expect(describeResult(u as never)).toContain('more than --max-frontier 1');
    expect(validateBySearch(trace(commit)).status).toBe('pass');
  });

  it('lease reads: a trace that breaks the lease\'s clock assumption is bad input for validate too', () => {
    const steps: Trace['steps'] = [
      ...ELECTION,
      ev({ type: 'heartbeatTimeout', node: 's1' }),
      ev({ type: 'deliver', message: { ...ae('s2', 0, 0, [], 0), readRound: 1 } }),
      ev({ type: 'deliver', message: { ...aer('s2', true, 0, 0), readRound: 1 } as Message }),
      ev({ type: 'electionTimeout', node: 's2' }),
    ];
    const r = validateBySearch(trace(steps, { options: { leaseReads: true } }));
    expect(r.status).toBe('bad-input');
  });
});

describe('what kept the model from doing what the implementation did', () => {
  const fail = (t: Trace): string => {
    const r = validateBySearch(t);
    expect(r.status).toBe('fail');
    return describeResult(r as never);
  };

  it('LEA-4: an earlier term\'s entry held by a quorum is not committed by counting (Figure 8)', () => {
    const initial: Trace['initial'] = {
      s1: { role: 'leader', currentTerm: 3, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [{ term: 2, command: 'a' }], nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 0, s3: 0 } },
      s2: { currentTerm: 3, votedFor: 's1', log: [{ term: 2, command: 'a' }] },
    };
    const text = fail(trace([ev({ type: 'inject', message: aer('s2', true, 1, 1, 3) }, { expect: { nodes: { s1: { commitIndex: 1 } } } })], { initial }));
    expect(text).toContain('LEA-4 not applicable: the highest index a quorum holds is 1, whose entry has term 2, not currentTerm 3');
  });

  it('AE-2: a request whose prevLogTerm does not match is refused: nothing is appended or committed', () => {
    const initial: Trace['initial'] = { s2: { currentTerm: 1, log: [{ term: 1, command: 'a' }] } };
    const text = fail(trace([ev({ type: 'inject', message: { ...ae('s2', 1, 2, [], 1, 2) } }, { expect: { nodes: { s2: { commitIndex: 1 } } } })], { initial }));
    expect(text).toContain("AE-2: s2's entry at prevLogIndex 1 has term 1, not prevLogTerm 2: the request is refused, and nothing is appended or committed");
  });

  it('AE-5 and DEC-2: an old leaderCommit does not move commitIndex back', () => {
    const initial: Trace['initial'] = { s2: { currentTerm: 1, log: [{ term: 1, command: 'a' }, { term: 1, command: 'b' }], commitIndex: 2, lastApplied: 2 } };
    const text = fail(trace([ev({ type: 'inject', message: ae('s2', 1, 1, [], 1) }, { expect: { nodes: { s2: { commitIndex: 1 } } } })], { initial }));
    expect(text).toContain('AE-5 not applicable: leaderCommit 1 is not above commitIndex 2 (DEC-2: commitIndex never moves back)');
  });

  it('RV-2: a server that voted in this term does not vote again', () => {
    const initial: Trace['initial'] = { s2: { currentTerm: 1, votedFor: 's3' } };
    const text = fail(trace([ev({ type: 'inject', message: rv('s2') }, { expect: { nodes: { s2: { votedFor: 's1' } } } })], { initial }));
    expect(text).toContain('RV-2 not applicable: s2 already voted for s3 in term 1');
  });
});

describe('--keep-going', () => {
  // s2's leaderId is wrong at step 4 (it names s3), its votedFor at step 6 (it names s3), its leaderId again at step 7.
  const steps: Trace['steps'] = [
    ...ELECTION,
    ev({ type: 'deliver', message: ae('s2', 0, 0, [], 0) }, { expect: { nodes: { s2: { leaderId: 's3' } } } }),
    ev({ type: 'deliver', message: aer('s2', true, 0, 0) }),
    ev({ type: 'heartbeatTimeout', node: 's1' }, { expect: { nodes: { s1: { role: 'leader' } } } }),
    ev({ type: 'deliver', message: ae('s2', 0, 0, [], 0) }, { expect: { nodes: { s2: { votedFor: 's3', leaderId: 's3' } } } }),
  ];

  it('without it, the first deviation ends the replay', () => {
    const r = validateBySearch(trace(steps));
    expect(r.status).toBe('fail');
    expect('deviations' in r ? r.deviations : undefined).toBeUndefined();
  });

  it('with it, the replay goes on from the observed state and lists every distinct deviation: the field, the rules that decide it, the first step, how often', () => {
    const r = validateBySearch(trace(steps), { keepGoing: true });
    expect(r.status).toBe('fail');
    if (r.status !== 'fail') return;
    expect(r.failure.step).toBe(3);
    expect(r.deviations).toEqual([
      { what: 'leaderId', rules: ['CLI-1'], firstStep: 3, count: 2 },
      { what: 'votedFor', rules: ['ALL-2', 'RV-2', 'CAN-1'], firstStep: 6, count: 1 },
    ]);
    expect(describeResult(r as never)).toContain('deviations (--keep-going, 2 kinds):');
  });

  it('a message no behaviour sent is handed to its receiver as if injected, and the replay goes on', () => {
    const bogus = ae('s3', 0, 0, [{ term: 1, command: 'z' }], 0);
    const r = validateBySearch(trace([...ELECTION, ev({ type: 'deliver', message: bogus }, { expect: { nodes: { s3: { log: [{ term: 1, command: 'z' }] } } } }), ev({ type: 'deliver', message: ae('s2', 0, 0, [], 0) })]), { keepGoing: true });
    expect(r.status).toBe('fail');
    if (r.status !== 'fail') return;
    expect(r.deviations?.map((d) => d.what)).toEqual(['deliver of a message no permitted behaviour sent']);
    expect(r.steps).toBe(5);
  });
});

describe('the traces this project writes record what each step sent', () => {
  it('record (impl/) and gen (the model) write sent on every step a server handled, and validate then passes them', () => {
    const recorded = recordRun(5, 120, nodeIds(3));
    const handled = recorded.steps.filter((x) => x.expect !== undefined);
    expect(handled.length).toBeGreaterThan(50);
    expect(handled.every((x) => Array.isArray(x.sent))).toBe(true);
    expect(handled.some((x) => (x.sent ?? []).length > 0)).toBe(true);
    expect(validateBySearch(recorded).status).toBe('pass');
    const [fixture] = generateFixtures(5, 1, 120, nodeIds(3));
    if (!fixture) throw new Error('gen wrote nothing');
    const sends = fixture.trace.steps.filter((x) => x.sent !== undefined);
    expect(sends.some((x) => (x.sent ?? []).length > 0)).toBe(true);
    expect(validateBySearch(fixture.trace).status).toBe('pass');
  });
});

describe('loading for validate', () => {
  it('fields named x-... are kept in the file and ignored, except inside a command', () => {
    const loaded = checkTrace({ ...trace([{ event: { type: 'clientRequest', node: 's1', command: { 'x-mine': 1 } }, 'x-step': 'note' } as never]), 'x-harness': { version: 3 } });
    if (!loaded.ok) throw new Error(loaded.error.expected);
    expect(loaded.trace.steps[0]).toEqual({ event: { type: 'clientRequest', node: 's1', command: { 'x-mine': 1 } } });
    expect('x-harness' in loaded.trace).toBe(false);
  });

  it('a profile names choice points and their alternatives; anything else is bad input with its path', () => {
    expect(checkTrace(trace([], { profile: { 'DEC-3': 'DEC-3b' } })).ok).toBe(true);
    const wrongPoint = checkTrace(trace([], { profile: { 'DEC-99': 'DEC-99b' } }));
    expect(wrongPoint.ok ? null : wrongPoint.error.path).toBe('/profile/DEC-99');
    const wrongAlt = checkTrace(trace([], { profile: { 'DEC-3': ['DEC-3a', 'DEC-4b'] } }));
    expect(wrongAlt.ok ? null : wrongAlt.error.path).toBe('/profile/DEC-3/1');
  });
});
describe('DEC-6: an AppendEntries may carry any number of the entries from nextIndex', () => {
  // s1 leads term 2 with [x@1, y@2, z@2, w@2] committed through 1; s3 holds [x] (nextIndex 2, matched at 1).
  const [x, y, z, w] = [{ term: 1, command: 'x' }, { term: 2, command: 'y' }, { term: 2, command: 'z' }, { term: 2, command: 'w' }];
  const initial: Trace['initial'] = {
    s1: { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [x, y, z, w], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 5, s3: 2 }, matchIndex: { s2: 4, s3: 1 } },
    s2: { currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [x, y, z, w], commitIndex: 1, lastApplied: 1 },
    s3: { currentTerm: 2, log: [x], commitIndex: 1, lastApplied: 1 },
  };
  const beat = ev({ type: 'heartbeatTimeout', node: 's1' });
  const toS3 = (entries: AppendEntries['entries'], leaderCommit = 1) => ae('s3', 1, 1, entries, leaderCommit, 2);
  const run = (steps: Trace['steps'], pin?: Parameters<typeof validateBySearch>[1]) => validateBySearch(trace(steps, { initial }), pin);

  it('none, one (DEC-6a with the default batch of 1), or any prefix up to the end of the log passes; DEC-6b is reported where it was needed', () => {
    for (const entries of [[], [y], [y, z], [y, z, w]]) {
      const r = run([beat, ev({ type: 'deliver', message: toS3(entries) }, { expect: { nodes: { s3: { log: [x, ...entries] } } } })]);
      expect(r.status, `${entries.length} entries: ${describeResult(r as never)}`).toBe('pass');
      expect(r.taken?.['DEC-6b'] ?? 0, `${entries.length} entries`).toBe(entries.length === 1 ? 0 : 1);
    }
  });

  it('what is not a prefix of the leader\'s log from nextIndex fails: an entry beyond its log, a gap, another command', () => {
    for (const entries of [[y, z, w, { term: 2, command: 'v' }], [z], [y, { term: 2, command: 'q' }]]) {
      const r = run([beat, ev({ type: 'deliver', message: toS3(entries) })]);
      expect(r.status).toBe('fail');
      expect(describeResult(r as never)).toContain('no permitted behaviour sent');
    }
  });

  it('pinned to DEC-6a, two entries at a batch of one fail, naming DEC-6b', () => {
    const r = run([beat, ev({ type: 'deliver', message: toS3([y, z]) })], { pin: { 'DEC-6': ['a'] } });
    expect(r.status).toBe('fail');
    expect(describeResult(r as never)).toContain('explained with DEC-6b, which --pin does not permit');
  });

  it('one message sent is one message delivered: after a shorter form is delivered, no other form of it is in flight', () => {
    const r = run([beat, ev({ type: 'deliver', message: toS3([y]) }), ev({ type: 'deliver', message: toS3([y, z]) })]);
    expect(r.status).toBe('fail');
    expect(describeResult(r as never)).toContain('/steps/2');
  });

  it('a duplicate names the form that was sent: both copies are that one', () => {
    const dup = [beat, ev({ type: 'duplicate', message: toS3([y, z]) }), ev({ type: 'deliver', message: toS3([y, z]) })];
    expect(run([...dup, ev({ type: 'deliver', message: toS3([y, z]) })]).status).toBe('pass');
    expect(run([...dup, ev({ type: 'deliver', message: toS3([y, z, w]) })]).status).toBe('fail');
  });

  it('the leaderCommit of a shorter form: the leader\'s commitIndex, or (DEC-16b) clamped to its last entry', () => {
    // s1 commits through 3 first; to s3 (matched at 1) it may send [y] telling 3 (DEC-16a) or 2 (DEC-16b), not 4.
    const committed: Trace['initial'] = { ...initial, s1: { ...initial.s1, commitIndex: 3, lastApplied: 3 } as never };
    const at = (leaderCommit: number) => validateBySearch(trace([beat, ev({ type: 'deliver', message: toS3([y], leaderCommit) })], { initial: committed }));
    expect(at(3).status).toBe('pass');
    expect(at(2).status).toBe('pass');
    expect(at(4).status).toBe('fail');
    expect(at(1).status).toBe('fail');
  });

  it('sent and expect.inFlight may name the shorter form', () => {
    const others = [toS3([y, z]), ae('s2', 4, 2, [], 1, 2)];
    const r = run([ev({ type: 'heartbeatTimeout', node: 's1' }, { sent: others, expect: { inFlight: others } })]);
    expect(r.status, describeResult(r as never)).toBe('pass');
    // Not two forms of one message.
    const twice = run([ev({ type: 'heartbeatTimeout', node: 's1' }, { sent: [...others, toS3([y])] })]);
    expect(twice.status).toBe('fail');
  });
});

describe('DEC-22: with fastBacktracking, a rejection carries conflictTerm and conflictIndex, or etcd\'s rejectHint and logTerm', () => {
  // Figure 7 (f)'s follower s2 and the leader s1 of term 8.
  const fLog = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3].map((term, k) => ({ term, command: `f${k + 1}` }));
  const lLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6].map((term, k) => ({ term, command: k < 3 ? `f${k + 1}` : `l${k + 1}` }));
  const initial: Trace['initial'] = {
    s1: { role: 'leader', currentTerm: 8, votedFor: 's1', votesGranted: ['s1', 's3'], leaderId: 's1', log: lLog, nextIndex: { s2: 11, s3: 11 }, matchIndex: { s2: 0, s3: 10 } },
    s2: { currentTerm: 8, log: fLog },
    s3: { currentTerm: 8, votedFor: 's1', leaderId: 's1', log: lLog },
  };
  const probe: Message = { type: 'AppendEntries', from: 's1', to: 's2', term: 8, leaderId: 's1', prevLogIndex: 10, prevLogTerm: 6, entries: [], leaderCommit: 0 };
  const answer = (fields: Partial<AppendEntriesResponse>): Message => ({ type: 'AppendEntriesResponse', from: 's2', to: 's1', term: 8, success: false, matchIndex: 0, prevLogIndex: 10, ...fields });
  const steps = (response: Message, nextIndex: number): Trace['steps'] => [
    ev({ type: 'heartbeatTimeout', node: 's1' }),
    ev({ type: 'deliver', message: probe }),
    ev({ type: 'deliver', message: response }, { expect: { nodes: { s1: { nextIndex: { s2: nextIndex, s3: 11 } } } } }),
  ];
  const options = { fastBacktracking: true, maxEntriesPerAppendEntries: 100 };

  it('either answer explains the trace, each with the leader\'s back-off of its own; the report names DEC-22b', () => {
    const a = validateBySearch(trace(steps(answer({ conflictTerm: 3, conflictIndex: 7 }), 7), { initial, options }));
    expect(a.status, describeResult(a as never)).toBe('pass');
    const b = validateBySearch(trace(steps(answer({ rejectHint: 10, logTerm: 3 }), 4), { initial, options }));
    expect(b.status, describeResult(b as never)).toBe('pass');
    // Without sends recorded, delivering the answer settles which was sent, and names it.
    expect(b.taken).toMatchObject({ 'DEC-22b': 1 });
    // With the step's sends recorded, the step that answered tells the alternatives apart.
    const hinted = steps(answer({ rejectHint: 10, logTerm: 3 }), 4);
    hinted[1] = { ...(hinted[1] as Trace['steps'][number]), sent: [answer({ rejectHint: 10, logTerm: 3 })] };
    expect(validateBySearch(trace(hinted, { initial, options })).taken).toMatchObject({ 'DEC-22b': 1 });
  });

  it('a hint that is not the follower\'s fails with the nearest answer; pinned to DEC-22a the hint fails naming DEC-22b', () => {
    const wrong = validateBySearch(trace(steps(answer({ rejectHint: 9, logTerm: 3 }), 4), { initial, options }));
    expect(wrong.status).toBe('fail');
    expect(describeResult(wrong as never)).toContain('rejectHint: the trace has 9, the model 10');
    const pinned = validateBySearch(trace(steps(answer({ rejectHint: 10, logTerm: 3 }), 4), { initial, options }), { pin: { 'DEC-22': ['a'] } });
    expect(pinned.status).toBe('fail');
    expect(describeResult(pinned as never)).toContain('explained with DEC-22b, which --pin does not permit');
  });
});

describe('DEC-23: a command that reaches a follower is redirected, or forwarded to the leader', () => {
  const initial: Trace['initial'] = {
    s1: { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } },
    s2: { currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1 },
    s3: { currentTerm: 2, leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1 },
  };
  const proposal: Message = { type: 'ClientProposal', from: 's2', to: 's1', term: 2, command: 'b' };
  const forwarded: Trace['steps'] = [
    ev({ type: 'clientRequest', node: 's2', command: 'b' }, { expect: { replies: [] } }),
    ev({ type: 'deliver', message: proposal }, { expect: { nodes: { s1: { log: [{ term: 2, command: 'a' }, { term: 2, command: 'b' }] } } } }),
  ];

  it('a forwarded command validates and the report names DEC-23b; a redirect validates too', () => {
    const r = validateBySearch(trace(forwarded, { initial }));
    expect(r.status, describeResult(r as never)).toBe('pass');
    expect(r.taken).toMatchObject({ 'DEC-23b': 1 });
    const redirected = validateBySearch(trace([ev({ type: 'clientRequest', node: 's2', command: 'b' }, { expect: { replies: [{ type: 'redirect', node: 's2', client: null, seq: null, leader: 's1' }] } })], { initial }));
    expect(redirected.status, describeResult(redirected as never)).toBe('pass');
  });

  it('a forwarded read validates: the leader serves it after a round of heartbeats and answers the client', () => {
    const read: Message = { type: 'ForwardedRead', from: 's2', to: 's1', term: 2, client: 'c1', seq: 1, key: 'k' };
    const beat = (to: string): Message => ({ type: 'AppendEntries', from: 's1', to, term: 2, leaderId: 's1', prevLogIndex: 1, prevLogTerm: 2, entries: [], leaderCommit: 1, readRound: 1 });
    const ack = (from: string): Message => ({ type: 'AppendEntriesResponse', from, to: 's1', term: 2, success: true, matchIndex: 1, prevLogIndex: 1, readRound: 1 });
    const r = validateBySearch(trace([
      ev({ type: 'clientRead', node: 's2', client: 'c1', seq: 1, key: 'k' }, { sent: [read], expect: { replies: [] } }),
      ev({ type: 'deliver', message: read }, { sent: [beat('s2'), beat('s3')] }),
      ev({ type: 'deliver', message: beat('s2') }),
      ev({ type: 'deliver', message: ack('s2') }, { expect: { replies: [{ type: 'read', node: 's1', client: 'c1', seq: 1, key: 'k', index: 1, result: null }] } }),
    ], { initial }));
    expect(r.status, describeResult(r as never)).toBe('pass');
    expect(r.taken).toMatchObject({ 'DEC-23b': 1 });
  });

  it('pinned to the redirect, the forwarded command fails naming DEC-23b', () => {
    const r = validateBySearch(trace(forwarded, { initial }), { pin: { 'DEC-23': ['a'] } });
    expect(r.status).toBe('fail');
    expect(describeResult(r as never)).toContain('explained with DEC-23b, which --pin does not permit');
  });
});

describe('impl/ under random profiles, validated by search', () => {
  it('traces recorded by impl/ with a profile drawn at random validate without the profile, with and without sent', async () => {
    const fc = (await import('fast-check')).default;
    const { profileArb, DEFAULT_CLIENTS } = await import('../generate.js');
    const profiles = fc.sample(profileArb, { seed: 5, numRuns: 24 });
    const failed: string[] = [];
    for (const [k, profile] of profiles.entries()) {
      const options = k % 2 === 0 ? { fastBacktracking: true } : { snapshotChunkSize: 48 };
      const { profile: _drawn, ...recorded } = recordRun(900 + k, 200, nodeIds(3), options, DEFAULT_CLIENTS, undefined, profile);
      const withoutSent = { ...recorded, steps: recorded.steps.map(({ sent: _sent, ...s }) => s) };
      for (const [label, t] of [['with sent', recorded], ['without sent', withoutSent]] as const) {
        const r = validateBySearch(t);
        if (r.status !== 'pass') failed.push(`trace ${k} ${label} (${JSON.stringify(profile)}): ${describeResult(r as never)}`);
      }
    }
    expect(failed).toEqual([]);
  });
});

describe('DEC-24: a configuration entry takes effect when appended, or when applied (decided once per run)', () => {
  const FOUR = ['s1', 's2', 's3', 's4'];
  const initial: Trace['initial'] = {
    s1: { role: 'leader', currentTerm: 2, votedFor: 's1', votesGranted: ['s1', 's2'], leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1, nextIndex: { s2: 2, s3: 2 }, matchIndex: { s2: 1, s3: 1 } },
    s2: { currentTerm: 2, votedFor: 's1', leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1 },
    s3: { currentTerm: 2, leaderId: 's1', log: [{ term: 2, command: 'a' }], commitIndex: 1, lastApplied: 1 },
  };
  const conf = { term: 2, command: null, config: { voters: FOUR } };
  const toS = (to: string) => ({ ...ae(to, 1, 2, [conf], 1, 2) });
  const add = (sent: Message[]) => trace([ev({ type: 'reconfigure', node: 's1', change: 'single', voters: FOUR }, { sent })], { cluster: FOUR, configuration: { voters: ['s1', 's2', 's3'] }, initial });

  it('a leader that sends the new entry to s2 and s3 only (etcd: s4 is not a peer before the entry is applied) validates, and the report names DEC-24b', () => {
    const r = validateBySearch(add([toS('s2'), toS('s3')]));
    expect(r.status, describeResult(r as never)).toBe('pass');
    expect(r.taken).toMatchObject({ 'DEC-24b': 1 });
    expect(r.taken?.['DEC-24a']).toBeUndefined();
  });

  it('one that sends it to s4 too (in force once appended) validates, naming DEC-24a; pinned to DEC-24a, the first fails naming DEC-24b', () => {
    const r = validateBySearch(add([toS('s2'), toS('s3'), toS('s4')]));
    expect(r.status, describeResult(r as never)).toBe('pass');
    expect(r.taken).toMatchObject({ 'DEC-24a': 1 });
    const pinned = validateBySearch(add([toS('s2'), toS('s3')]), { pin: { 'DEC-24': ['a'] } });
    expect(pinned.status).toBe('fail');
    expect(describeResult(pinned as never)).toContain('explained with DEC-24b, which --pin does not permit');
  });

  it('impl/ recorded under DEC-24b with membership changes validates without its profile, naming DEC-24b; pinned to the model\'s profile it fails naming DEC-24b', () => {
    let named = 0;
    for (const seed of [1, 2, 3, 4]) {
      const { profile: _profile, ...recorded } = recordRun(seed, 250, nodeIds(5), undefined, undefined, {}, { 'DEC-24': ['b'] });
      const r = validateBySearch(recorded);
      expect(r.status, describeResult(r as never)).toBe('pass');
      expect(r.taken?.['DEC-24b'] ?? 0).toBeGreaterThan(0);
      const pinned = validateBySearch(recorded, { pin: MODEL_PROFILE });
      if (pinned.status === 'fail' && describeResult(pinned as never).includes('DEC-24b')) named++;
    }
    expect(named).toBeGreaterThanOrEqual(3);
  });
});
