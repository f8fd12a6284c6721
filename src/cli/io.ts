/**
 * What a CLI command may touch of the outside world, so tests can drive it without a
 * terminal: output streams, and reading a secret (from a pipe for scripts, or typed at a
 * terminal without echo).
 */
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Reads a secret: a terminal prompt without echo, or the next line of piped stdin. */
  readSecret(prompt: string): Promise<string>;
  /** True when a person is typing (prompts make sense, confirmation is possible). */
  interactive: boolean;
  /** Asks a question at the terminal and returns the typed line (echoed); only used when interactive. */
  ask?(question: string): Promise<string>;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Lines of a piped stdin, read lazily and shared between calls (one password per line). */
export class PipedLines {
  private buffer = '';
  private ended = false;
  private waiting?: () => void;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
    stream.on('error', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  async next(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        return line;
      }
      if (this.ended) {
        if (this.buffer === '') return undefined;
        const line = this.buffer.replace(/\r$/, '');
        this.buffer = '';
        return line;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }
}

/** Prompts on a terminal with echo off (raw mode), handling backspace and Ctrl-C. */
export function promptHidden(prompt: string, input: NodeJS.ReadStream, output: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const done = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

export function processIo(): CliIo {
  const stdin = process.stdin;
  const interactive = stdin.isTTY === true;
  let piped: PipedLines | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive,
    async readSecret(prompt) {
      if (interactive) return promptHidden(prompt, stdin, process.stderr);
      piped ??= new PipedLines(stdin);
      const line = await piped.next();
      if (line === undefined) throw new CliError('expected the password on stdin (one line), but stdin ended');
      return line;
    },
    async ask(question) {
      const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
