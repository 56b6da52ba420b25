import { defineConfig } from 'vitest/config';

// `npm run test:browser`: end-to-end checks in Debian's chromium (driven by playwright-core),
// kept out of `npm test` so the main suite needs no browser. .ci/run installs chromium from
// Debian packages when it is missing and runs this after `npm test`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
