import { defineConfig } from 'vitest/config';

// Process-heavy suites (real exporter, Prometheus, Gunicorn) share two cores: run files one or two
// at a time and give them room; never assert timings.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
