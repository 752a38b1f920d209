import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{spec,model,impl,conformance,test}/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    // Property tests are CPU-bound; the CI machine has 2 cores.
    pool: 'threads',
    maxWorkers: 2,
  },
});
