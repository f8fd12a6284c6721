/**
 * Small JSON documents in the Homebridge storage directory, written atomically: write a
 * temporary file, flush it to disk, then rename over the old one, so a crash mid-write
 * leaves either the old or the new file, never half of one. A file that cannot be parsed
 * at start-up is moved aside (kept for the user to inspect) and the defaults are used.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import type { Logger } from '../logger.js';

export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  // A new plugin folder is for its owner only; the temporary is created exclusively, so an
  // existing file or link by that name is never opened (and never written through).
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export interface ReadResult<T> {
  value: T;
  /** Where a corrupt file was moved, if it was. */
  movedAside?: string;
}

/**
 * Reads and validates a JSON file. Missing → fallback. Unparseable or invalid → moved aside
 * to `<name>.corrupt-<timestamp>` with a log line, then fallback.
 */
export function readJsonFile<T>(path: string, validate: (v: unknown) => T | undefined, fallback: () => T, log?: Logger): ReadResult<T> {
  removeStaleTemporaries(path);
  if (!existsSync(path)) return { value: fallback() };
  let problem: string;
  try {
    const parsed = validate(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed !== undefined) return { value: parsed };
    problem = 'its content is not what the plugin expects';
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
  } catch {
    // If even the rename fails, the fallback still lets the plugin run.
  }
  log?.error(`Could not read ${path} (${problem}); moved it to ${aside} and started from defaults`);
  return { value: fallback(), movedAside: aside };
}

/**
 * A writer killed between writing its temporary file and the rename leaves the temporary
 * behind; it is never read, so remove it when the file is next opened. A temporary is in flight
 * (kept) while its writer (the pid in its name: ours, or another process on the same file, e.g.
 * the Homebridge UI's server part beside the CLI) still runs and it is younger than
 * IN_FLIGHT_MS; removing another live writer's temporary made that writer's rename fail.
 */
const IN_FLIGHT_MS = 10 * 60_000;

function inFlight(name: string, prefix: string): boolean {
  const match = /^(\d+)\.(\d+)\./.exec(name.slice(prefix.length));
  if (!match) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return true;
  if (Math.abs(Date.now() - Number(match[2])) > IN_FLIGHT_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function removeStaleTemporaries(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || inFlight(name, prefix)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {}
  }
}

/** A JSON document with a validator, cached in memory, saved atomically on every change. */
export class JsonFile<T> {
  private current: T;

  constructor(
    readonly path: string,
    validate: (v: unknown) => T | undefined,
    fallback: () => T,
    private readonly log?: Logger,
  ) {
    this.current = readJsonFile(path, validate, fallback, log).value;
  }

  get value(): T {
    return this.current;
  }

  update(change: (draft: T) => T): void {
    this.current = change(this.current);
    this.save();
  }

  save(): void {
    try {
      writeFileAtomic(this.path, `${JSON.stringify(this.current, null, 2)}\n`);
    } catch (err) {
      this.log?.error(`Could not save ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
