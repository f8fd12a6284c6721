/**
 * Collects unhandled promise rejections and uncaught exceptions while a robustness test
 * runs, so "never a crash, never an unhandled rejection" is an assertion, not a hope.
 * (Vitest reports them too; this makes the count part of the test's own figures.)
 */
export interface ProcessErrors {
  readonly errors: Array<{ kind: 'unhandledRejection' | 'uncaughtException'; error: unknown }>;
  dispose(): void;
}

export function captureProcessErrors(): ProcessErrors {
  const errors: ProcessErrors['errors'] = [];
  const onRejection = (error: unknown): void => {
    errors.push({ kind: 'unhandledRejection', error });
  };
  const onException = (error: unknown): void => {
    errors.push({ kind: 'uncaughtException', error });
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    errors,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Runs per property: the default keeps a file fast; `FUZZ_RUNS` asks for a longer run. */
export function fuzzRuns(defaultRuns: number, scale = 1): number {
  const requested = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(requested) && requested > 0 ? Math.ceil(requested * scale) : defaultRuns;
}
