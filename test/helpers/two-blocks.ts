/**
 * A Homebridge storage folder whose config.json holds two platform blocks of this plugin,
 * "upstairs" and "barn" (for tests of several blocks: the CLI's `--block`, the UI's block picker).
 * `fill` writes each block's own files into its plugin folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { pluginStorageDir } from '../../src/storage/paths.js';

export const BLOCK_IDS = ['upstairs', 'barn'] as const;

/** Temporary folders made by the test file, removed after each test. */
export function tempFolders(): string[] {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return dirs;
}

export async function twoBlockStorage(
  dirs: string[],
  prefix: string,
  fill: (pluginDir: string, id: (typeof BLOCK_IDS)[number]) => Promise<void> | void,
): Promise<string> {
  const storage = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(storage);
  writeFileSync(
    join(storage, 'config.json'),
    JSON.stringify({
      bridge: {},
      platforms: [
        { platform: 'VeluxClimate', name: 'Upstairs', id: 'upstairs', gateways: [] },
        { platform: 'VeluxClimate', name: 'Barn', id: 'barn', gateways: [] },
      ],
    }),
  );
  for (const id of BLOCK_IDS) await fill(pluginStorageDir(storage, id), id);
  return storage;
}
