// The README (and docs/cli.md) show what `npm start` prints: the lines they show must be what
// `raftspec start` prints now. Everything `start` prints is deterministic (seeded campaigns, the
// bundled traces), so the sample's lines are compared whole: each line of a sample is a line of the
// real run, in the same order ("..." stands for lines left out), and from the traces' summary line
// on (the per-campaign lines, the rule coverage, the verdict) the README shows every line.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { main } from '../conformance/cli.js';

/** The lines of the first fenced block of `file` that holds `marker`. */
function sampleBlock(file: string, marker: RegExp): string[] {
  const blocks = [...readFileSync(file, 'utf8').matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => (m[1] as string).replace(/\n$/, '').split('\n'));
  const block = blocks.find((b) => b.some((l) => marker.test(l)));
  if (!block) throw new Error(`${file}: no sample output of npm start (a block with a line ${marker})`);
  return block.filter((l) => !l.startsWith('$ '));
}

/** The first sample line that is not, in order, a line of `real` (null when all are). */
function firstMismatch(sample: readonly string[], real: readonly string[]): string | null {
  let at = 0;
  for (const line of sample) {
    if (line === '...') continue;
    const k = real.indexOf(line, at);
    if (k < 0) return line;
    at = k + 1;
  }
  return null;
}

const SUMMARY = /^\d+ traces?: \d+ passed/;
let real: string[] = [];
let code = -1;

beforeAll(() => {
  const lines: string[] = [];
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
  try {
    code = main(['start'], (l) => lines.push(...l.split('\n')));
  } finally {
    err.mockRestore();
  }
  real = lines;
}, 120_000);

describe("the README's sample output of npm start", () => {
  const sample = sampleBlock('README.md', /^rule coverage: /);

  it('is what raftspec start prints, line for line where it shows lines', () => {
    expect(code).toBe(0);
    expect(firstMismatch(sample, real), 'a line of the README sample that `raftspec start` does not print (in this order)').toBeNull();
  });

  it('shows every line from the traces summary on: each campaign with its schedules and steps, the rule coverage, the verdict', () => {
    const from = (ls: readonly string[]) => ls.slice(ls.findIndex((l) => SUMMARY.test(l)));
    expect(sample.some((l) => SUMMARY.test(l))).toBe(true);
    expect(from(sample)).toEqual(from(real));
    // The figures the README's text repeats.
    const campaigns = real.filter((l) => /^PASS campaign /.test(l)).length;
    const text = readFileSync('README.md', 'utf8');
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen'];
    expect(text).toContain(`runs ${words[campaigns] ?? campaigns} seeded campaigns`);
  });
});

describe("docs/cli.md's sample output of npm start", () => {
  it('is what raftspec start prints, line for line where it shows lines', () => {
    const sample = sampleBlock('docs/cli.md', /^rule coverage: /);
    expect(firstMismatch(sample, real), 'a line of the docs/cli.md sample that `raftspec start` does not print (in this order)').toBeNull();
    expect(sample.at(-2)).toBe(real.at(-2));
    expect(sample.at(-1)).toBe(real.at(-1));
  });
});
