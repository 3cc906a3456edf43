import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Suites start clusters and databases of their own; two cores do not gain from more than two at once.
    maxWorkers: 2,
    // Test clients (connect-node) raise this after a server worker drains and sends GOAWAY to an idle
    // HTTP/2 connection: a known client-side bug (connectrpc/connect-es#1768, fix pending in #1769),
    // not a server failure. Only this exact error is ignored; the calls themselves are still asserted.
    onUnhandledError(error) {
      // The error arrives serialised from the test worker: a plain object with its message.
      const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : '';
      return !message.includes('received GOAWAY without any open streams');
    },
  },
});
