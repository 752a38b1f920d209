// One source of truth: the published schema files are what schema.ts says, every fixture and a
// sample of generated states and messages validate against them, and the rule catalogue and the
// model cite the same IDs.
import { describe, it, expect } from 'vitest';
import { scopesOf } from '../spec/index-sources.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { publishedFiles, withSharedDefs } from '../spec/emit.js';
import { RULES, RULE_BY_ID } from '../spec/rules.js';
import { validateKvCommand, validateMessage, validateNodeState, validateReply, validateTrace } from '../spec/validate.js';
import { isKvCommand } from '../spec/kv.js';
import { collectTraceFiles } from '../conformance/files.js';
import { checkTrace } from '../conformance/load.js';
import { DEFAULT_CLIENTS, scheduleArb, traceFromChoices, type GenerateOptions } from '../conformance/generate.js';
import { generateOptions } from '../conformance/campaign.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { toJson } from '../model/state.js';
import fc from 'fast-check';

describe('published spec files', () => {
  it('spec/schemas/*.json, spec/rules.json and docs/rules.md are up to date with spec/*.ts (npm run spec:emit)', () => {
    for (const [rel, text] of publishedFiles()) expect(readFileSync(rel, 'utf8'), rel).toBe(text);
  });

  it('the published trace schema, loaded from its file by a plain ajv, accepts a fixture and rejects a broken one', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync('spec/schemas/trace.schema.json', 'utf8')));
    const ok = { format: 'raft-trace', version: 1, cluster: ['a', 'b'], steps: [{ event: { type: 'electionTimeout', node: 'a' } }] };
    expect(validate(ok)).toBe(true);
    expect(validate({ ...ok, steps: [{ event: { type: 'electionTimeout' } }] })).toBe(false);
    expect(validate({ ...ok, steps: [{ event: { type: 'deliver', message: { type: 'RequestVote', from: 'a', to: 'b', term: -1, candidateId: 'a', lastLogIndex: 0, lastLogTerm: 0 } } }] })).toBe(false);
  });
});

describe('every bundled trace is valid', () => {
  const { files } = collectTraceFiles(['traces']);
  it('there are bundled traces', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    it(file, () => {
      const r = checkTrace(JSON.parse(readFileSync(file, 'utf8')));
      expect(r.ok ? 'valid' : `${r.error.path}: ${r.error.expected}`).toBe('valid');
    });
  }
});

describe('generated states and messages validate against the schemas', () => {
  /** Replays generated schedules through the model and validates every trace, message, client reply and node state it produces. */
  function validateGenerated(gen: GenerateOptions, numRuns: number, seed: number, minLength: number, maxLength: number): { states: number; replies: number } {
    const counted = { states: 0, replies: 0 };
    const valid = (v: { ok: true } | { ok: false; error: Error }) => expect(v.ok ? 'valid' : v.error.message).toBe('valid');
    fc.assert(fc.property(scheduleArb(minLength, maxLength), (choices) => {
      const { trace } = traceFromChoices(choices, gen);
      valid(validateTrace(trace));
      let c: ClusterState = initCluster(trace.cluster, trace.options, undefined, trace.configuration);
      for (const { event } of trace.steps) {
        const r = applyEvent(c, event);
        if ('error' in r) throw new Error(r.error);
        c = r.state;
        for (const m of r.sent) valid(validateMessage(m));
        for (const x of r.replies) { valid(validateReply(x)); counted.replies++; }
        if (r.node) { valid(validateNodeState(toJson(c.nodes[r.node]!))); counted.states++; }
      }
    }), { numRuns, seed });
    return counted;
  }

  it('every node state and every message of 200 generated schedules', () => {
    const { states } = validateGenerated({ servers: ['s1', 's2', 's3'], options: { maxEntriesPerAppendEntries: 3 } }, 200, 11, 20, 120);
    expect(states).toBeGreaterThan(5000);
  });

  it('every node state, message and client reply of 150 generated schedules with clients, reads and snapshots', () => {
    const { states, replies } = validateGenerated(generateOptions(['s1', 's2', 's3'], { snapshotChunkSize: 8, leaderNoop: true }, DEFAULT_CLIENTS), 150, 12, 40, 160);
    expect(states).toBeGreaterThan(5000);
    expect(replies).toBeGreaterThan(300);
  });
});

describe('isKvCommand (spec/kv.ts) accepts exactly what the KvCommand schema accepts', () => {
  const field = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 3 }), fc.constant(null), fc.integer({ min: -1, max: 3 }), fc.constant(''), fc.boolean());
  const candidate = fc.record({
    op: fc.oneof(fc.constantFrom('get', 'put', 'append', 'cas', 'del'), fc.integer()),
    key: field, value: field, expected: field, client: field, seq: field, extra: fc.oneof(fc.constant(undefined), fc.integer()),
  }, { requiredKeys: [] });
  // Valid commands with at most one field dropped or replaced: most are valid, the rest near misses.
  const valid = fc.record({
    op: fc.constantFrom('get', 'put', 'append', 'cas'), key: fc.string({ maxLength: 3 }), value: fc.string({ maxLength: 3 }),
    expected: fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null)), session: fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 9 }))),
    spoil: fc.option(fc.tuple(fc.constantFrom('op', 'key', 'value', 'expected', 'client', 'seq'), field)),
  }).map(({ op, key, value, expected, session, spoil }) => {
    const o: Record<string, unknown> = { op, key };
    if (op !== 'get') o.value = value;
    if (op === 'cas') o.expected = expected;
    if (session) { o.client = session[0]; o.seq = session[1]; }
    if (spoil) o[spoil[0]] = spoil[1];
    return o;
  });
  it('on 20,000 valid commands, near misses and arbitrary values', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(valid, candidate, fc.anything()), (c) => {
      // JSON round trip: the schema sees what a trace file can hold (no undefined-valued keys).
      const json = c === undefined ? null : JSON.parse(JSON.stringify(c) ?? 'null');
      const bySchema = validateKvCommand(json).ok;
      expect(isKvCommand(json)).toBe(bySchema);
      if (bySchema) accepted++;
    }), { numRuns: 20_000, seed: 13 });
    expect(accepted).toBeGreaterThan(2000);
  });
});

describe('the rule catalogue and the model cite the same IDs', () => {
  // The model, and the client history checkers (LIN-1 and ZK-1 .. ZK-4 are properties of client histories, checked there).
  const files = [...readdirSync('model', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('test')).map((f) => join('model', f)), join('conformance', 'linearizability.ts'), join('conformance', 'sequential.ts')];
  const sources = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const cited = new Set(sources.match(/\b(?:ALL|PER|FOL|CAN|LEA|RV|AE|DEC|SAFE|INV|FB|SNAP|IS|KV|CLI|LIN|PV|CQ|CFG|LT|PIP|FC|LR|FR|ZK)-\d+[a-z]?\b/g) ?? []);

  it('every ID the model cites is in the catalogue', () => {
    expect([...cited].filter((id) => !RULE_BY_ID.has(id))).toEqual([]);
  });
  it('every rule, choice, property and invariant of the catalogue is cited by the model', () => {
    expect(RULES.map((r) => r.id).filter((id) => !cited.has(id))).toEqual([]);
  });
  it('IDs are unique', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});

describe('the rule index reads scopes from source text (spec/index-sources.ts)', () => {
  it('a class whose constructor declares parameter properties: its methods are Class.method, not nested in a parameter', () => {
    const text = [
      'export class Log {',
      '  private constructor(',
      '    private readonly buf: number[],',
      '    readonly base: number,',
      '  ) {}',
      '  /** AE-2 */',
      '  termAt(index: number): number {',
      '    return this.buf[index] ?? 0;',
      '  }',
      '  get lastIndex(): number { return this.base; }',
      '  private helper = (x: number) => x + 1;',
      '}',
    ].join('\n');
    const names = scopesOf(text).map((s) => s.name);
    expect(names).toEqual(['Log', 'constructor', 'termAt', 'lastIndex', 'helper']);
  });
});

describe('published schemas write a large subschema once ($defs), with the same meaning', () => {
  it('the published trace schema, loaded by a plain ajv, accepts every bundled trace', () => {
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync('spec/schemas/trace.schema.json', 'utf8')));
    for (const file of collectTraceFiles(['traces']).files) expect(validate(JSON.parse(readFileSync(file, 'utf8'))), file).toBe(true);
  });

  it('a subschema written out twice moves to $defs; a oneOf member and a properties map stay in place', () => {
    const big = { type: 'object', description: 'x'.repeat(2000), properties: { a: { type: 'integer', minimum: 0 } }, required: ['a'], additionalProperties: false };
    const member = { type: 'object', description: 'y'.repeat(2000), properties: { kind: { const: 'm' } }, required: ['kind'] };
    const doc = {
      $id: 'https://example.test/x.json',
      type: 'object',
      properties: { one: big, two: { type: 'array', items: big }, three: { oneOf: [member, { type: 'string' }] }, four: { oneOf: [member, { type: 'number' }] } },
    };
    const shared = withSharedDefs(JSON.parse(JSON.stringify(doc))) as { properties: Record<string, unknown>; $defs: Record<string, unknown> };
    expect(shared.properties.one).toEqual({ $ref: '#/$defs/one' });
    expect(shared.properties.two).toEqual({ type: 'array', items: { $ref: '#/$defs/one' } });
    expect(shared.$defs).toEqual({ one: big });
    // A member of a oneOf stays where it is (a discriminator reads the tags of its members in place).
    expect((shared.properties.three as { oneOf: unknown[] }).oneOf[0]).toEqual(member);
    const before = new Ajv2020({ strict: false }).compile(doc);
    const after = new Ajv2020({ strict: false }).compile(shared);
    for (const sample of [{ one: { a: 1 } }, { one: { a: -1 } }, { two: [{ a: 2 }, { b: 1 }] }, { two: [{ a: 2 }] }, { three: 's' }, { three: { kind: 'n' } }]) {
      expect(after(sample), JSON.stringify(sample)).toBe(before(sample));
    }
  });
});
