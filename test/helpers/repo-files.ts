import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every file under `path` (or `path` itself when it is a file), leaving out folders named in `skipped`. */
export function repoFiles(path: string, skipped: ReadonlySet<string> = new Set()): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => (skipped.has(name) ? [] : repoFiles(join(path, name), skipped)));
}
