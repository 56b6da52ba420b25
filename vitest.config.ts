import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI machines: two forks keep the suite parallel without oversubscribing.
    pool: 'forks',
    maxWorkers: 2,
  },
});
