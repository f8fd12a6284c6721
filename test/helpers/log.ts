import type { Logger } from '../../src/logger.js';

export type LogLevel = 'info' | 'warn' | 'error' | 'debug';
export interface LogLine {
  level: LogLevel;
  message: string;
  /** When it was logged, by the `now` the logger was given (Date.now by default). */
  at: number;
}

export interface RecordingLogger extends Logger {
  lines: LogLine[];
  /** The messages (of one level), one entry per line. */
  text(level?: LogLevel): string[];
  /** The messages (of one level) as one text, for pattern matching. */
  joined(level?: LogLevel): string;
}

/** The one logger for tests: keeps every line, so tests can assert on what users would see. */
export function recordingLogger(options: boolean | { echo?: boolean; now?: () => number; label?: () => string } = {}): RecordingLogger {
  const { echo = false, now = Date.now, label = () => '' } = typeof options === 'boolean' ? { echo: options } : options;
  const lines: LogLine[] = [];
  const make = (level: LogLevel) => (message: string, ...params: unknown[]) => {
    const full = [message, ...params.map(String)].join(' ');
    lines.push({ level, message: full, at: now() });
    if (echo) console.log(`${label()}[${level}] ${full}`);
  };
  const text = (level?: LogLevel) => lines.filter((l) => !level || l.level === level).map((l) => l.message);
  return {
    lines,
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    debug: make('debug'),
    text,
    joined: (level) => text(level).join('\n'),
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
