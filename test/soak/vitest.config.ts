import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The soak run: `npx vitest run --config test/soak/vitest.config.ts` (SOAK_MINUTES, default 10). */
const minutes = Number(process.env.SOAK_MINUTES ?? 10);

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: Math.ceil(minutes * 60_000 + 180_000),
    hookTimeout: 120_000,
    fileParallelism: false,
    // lets the soak measure the heap after a full garbage collection
    execArgv: ['--expose-gc'],
  },
});
