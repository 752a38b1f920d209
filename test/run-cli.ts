// The command line run in-process for tests: its exit code, what it printed on stdout (the `log`
// it is given) and on stderr (console.error), each joined into one string.
import { vi } from 'vitest';
import { main } from '../conformance/cli.js';

export function runCli(args: string[]): { code: number; out: string; err: string } {
  const lines: string[] = [];
  const err: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  try {
    const code = main(args, (l) => lines.push(l));
    return { code, out: lines.join('\n'), err: err.join('\n') };
  } finally {
    spy.mockRestore();
  }
}
