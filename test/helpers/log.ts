import type { Logger } from '../../src/logger.js';

export interface RecordingLogger extends Logger {
  lines: Array<{ level: 'info' | 'warn' | 'error' | 'debug'; message: string }>;
  text(level?: 'info' | 'warn' | 'error' | 'debug'): string[];
}

/** A logger that keeps every line, so tests can assert on what users would see. */
export function recordingLogger(echo = false): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const make = (level: 'info' | 'warn' | 'error' | 'debug') => (message: string, ...params: unknown[]) => {
    const full = [message, ...params.map(String)].join(' ');
    lines.push({ level, message: full });
    if (echo) console.log(`[${level}] ${full}`);
  };
  return {
    lines,
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    debug: make('debug'),
    text: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.message),
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
