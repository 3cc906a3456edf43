import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Suites start clusters and databases of their own; two cores do not gain from more than two at once.
    maxWorkers: 2,
  },
});
