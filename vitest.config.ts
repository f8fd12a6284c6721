import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start brokers, Homebridge processes and HTTP servers: keep the
    // 2-core machines from being oversubscribed.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
