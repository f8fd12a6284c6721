/**
 * Which platform block's folder a CLI command works on (`--block <id>`), and every block's
 * folder for the commands that cover them all (`privacy export`, `erase`, `reset`).
 *
 * A block is known from config.json (the VeluxClimate blocks, by their storage id) or from a
 * folder under `<storage>/velux-climate/` (a block removed from the config keeps its files
 * until someone deletes them, and privacy covers them). A storage folder of v0.1/v0.2 whose
 * files Homebridge has not yet moved (it does at its next start, storage/blocks.ts) belongs
 * to the first block: the CLI uses it where it is, so a Homebridge still running the old
 * version keeps seeing the changes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { legacyStoragePending, readConfiguredBlocks } from '../storage/blocks.js';
import { BLOCK_ID_PATTERN, DEFAULT_BLOCK_ID, pluginRootDir, pluginStorageDir } from '../storage/paths.js';
import { CliError } from './io.js';

export interface CliBlock {
  /** The block's storage id. */
  id: string;
  /** Its folder (the old shared folder while a v0.1/v0.2 storage waits to be moved). */
  dir: string;
  /** The block's name in config.json; undefined for a folder no block in config.json uses. */
  name?: string;
}

/** Every block of this storage directory: config.json's first, in order, then other folders. */
export function knownBlocks(storagePath: string): CliBlock[] {
  const configured = readConfiguredBlocks(join(storagePath, 'config.json')) ?? [];
  const blocks: CliBlock[] = [];
  for (const b of configured) if (!blocks.some((x) => x.id === b.id)) blocks.push({ id: b.id, dir: pluginStorageDir(storagePath, b.id), name: b.name });
  for (const id of blockFolders(storagePath)) if (!blocks.some((x) => x.id === id)) blocks.push({ id, dir: pluginStorageDir(storagePath, id) });
  if (blocks.length === 0) blocks.push({ id: DEFAULT_BLOCK_ID, dir: pluginStorageDir(storagePath, DEFAULT_BLOCK_ID) });
  const first = blocks[0]!;
  if (legacyStoragePending(storagePath) && !existsSync(first.dir)) first.dir = pluginRootDir(storagePath);
  return blocks;
}

function blockFolders(storagePath: string): string[] {
  try {
    return readdirSync(pluginRootDir(storagePath), { withFileTypes: true })
      .filter((e) => e.isDirectory() && BLOCK_ID_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export function describeBlocks(blocks: readonly CliBlock[]): string {
  return blocks.map((b) => `${b.id}${b.name ? ` ("${b.name}")` : ' (a folder no block in config.json uses)'}`).join(', ');
}

/** The block named by `--block`, or the only one; with several and no --block, an error listing them. */
export function selectBlock(blocks: readonly CliBlock[], option: string | undefined): CliBlock {
  if (option !== undefined) {
    const found = blocks.find((b) => b.id === option);
    if (!found) throw new CliError(`there is no block "${option}"; the blocks are: ${describeBlocks(blocks)}`, 2);
    return found;
  }
  if (blocks.length === 1) return blocks[0]!;
  throw new CliError(`this storage has ${blocks.length} VeluxClimate blocks; choose one with --block <id>: ${describeBlocks(blocks)}`, 2);
}

/** The blocks a command covers: the one given by --block, otherwise all. */
export function blocksFor(blocks: readonly CliBlock[], option: string | undefined): CliBlock[] {
  return option === undefined ? [...blocks] : [selectBlock(blocks, option)];
}

/** The one block a command works on: `--block`, or the only one (an error listing them otherwise). */
export function contextBlock(context: { blocks: readonly CliBlock[]; blockOption?: string }): CliBlock {
  return selectBlock(context.blocks, context.blockOption);
}
