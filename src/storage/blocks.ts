/**
 * The plugin's platform blocks in Homebridge's config.json, and the one-time move of a
 * v0.1/v0.2 storage folder (all files directly in `<storage>/velux-climate/`) into the folder
 * of the first block (`<storage>/velux-climate/<id>/`, storage/paths.ts).
 *
 * The move is safe to interrupt: the files are renamed one by one into a hidden folder
 * `.incoming-<id>` next to them (each rename is atomic, so each file is always in exactly one
 * of the two places), and that folder is renamed to the block's folder last. A start after a
 * crash finds the leftovers and finishes the move. Only the first block moves anything; the
 * other blocks (other child-bridge processes starting at the same time) only ever create
 * their own folders, so nobody races for the old files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from './json-file.js';
import { BLOCK_ID_PATTERN, DEFAULT_BLOCK_ID, STORAGE_FILES, pluginRootDir, pluginStorageDir } from './paths.js';

const PLATFORM_NAME = 'VeluxClimate';

export interface ConfiguredBlock {
  /** The block's storage id (its `id`; without one, see `blocksOfConfig`). */
  id: string;
  /** The block's `name` (for messages). */
  name: string;
  /** Its position among the VeluxClimate blocks (0 = first). */
  index: number;
  /** Whether the block sets `id` itself. */
  explicit: boolean;
}

const NO_NAME = '(no name)';

/**
 * The storage id of a block that sets no `id` but is not the first such block: its name made
 * into a folder name ("Barn Windows" → "barn-windows"). This keeps configurations of v0.1/v0.2
 * with several blocks and no ids working after the upgrade; renaming such a block moves it to a
 * new folder, so the README asks for an `id` with several blocks.
 */
export function idFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return BLOCK_ID_PATTERN.test(slug) ? slug : DEFAULT_BLOCK_ID;
}

const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The VeluxClimate blocks of a config.json document, in order. A block without `id` is
 * `default` when it is the first such block, otherwise `idFromName(name)`.
 */
export function blocksOfConfig(config: unknown): ConfiguredBlock[] {
  const platforms = record(config)['platforms'];
  const blocks: ConfiguredBlock[] = [];
  let defaultTaken = false;
  for (const platform of Array.isArray(platforms) ? platforms.map(record) : []) {
    if (platform['platform'] !== PLATFORM_NAME) continue;
    const name = typeof platform['name'] === 'string' ? platform['name'] : NO_NAME;
    const explicit = typeof platform['id'] === 'string';
    let id: string;
    if (explicit) id = platform['id'] as string;
    else if (!defaultTaken) {
      id = DEFAULT_BLOCK_ID;
      defaultTaken = true;
    } else id = idFromName(name);
    blocks.push({ id, name, index: blocks.length, explicit });
  }
  return blocks;
}

/**
 * The storage id of the block with this config among `blocks` (config.json's): its `id`, or
 * for a block without one the id `blocksOfConfig` gave the block without id of that name.
 * Throws when several blocks without id share the name (which of them this is cannot be told).
 */
export function storageIdOf(block: { id?: unknown; name?: unknown }, blocks: readonly ConfiguredBlock[] | undefined): string {
  if (typeof block.id === 'string') return block.id;
  const name = typeof block.name === 'string' ? block.name : NO_NAME;
  const same = (blocks ?? []).filter((b) => !b.explicit && b.name === name);
  if (same.length > 1) {
    throw new Error(
      `${same.length} VeluxClimate blocks without an "id" are named "${name}": each block keeps its own files under velux-climate/<id>/, ` +
        `so give each of them its own "id" (lower-case letters, digits, "-"); the block that ran before keeps "${DEFAULT_BLOCK_ID}" (or no id) to keep its accessories, Google links and climate memory`,
    );
  }
  return same[0]?.id ?? DEFAULT_BLOCK_ID;
}

/** The VeluxClimate blocks in a config.json file; undefined when it cannot be read. */
export function readConfiguredBlocks(configPath: string): ConfiguredBlock[] | undefined {
  try {
    return blocksOfConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  } catch {
    return undefined;
  }
}

/** One message per id that several blocks share (they would overwrite each other's files). */
export function duplicateBlockProblems(blocks: readonly ConfiguredBlock[]): string[] {
  const byId = new Map<string, ConfiguredBlock[]>();
  for (const block of blocks) byId.set(block.id, [...(byId.get(block.id) ?? []), block]);
  const problems: string[] = [];
  for (const [id, same] of byId) {
    if (same.length < 2) continue;
    const names = same.map((b) => `"${b.name}"`).join(', ');
    problems.push(
      `${same.length} VeluxClimate blocks (${names}) use the storage id "${id}"${id === DEFAULT_BLOCK_ID ? ' (no "id" set)' : ''}: ` +
        'each block keeps its own files under velux-climate/<id>/, so give each block its own "id" (lower-case letters, digits, "-"); ' +
        `the block that ran before keeps "${DEFAULT_BLOCK_ID}" (or no id) to keep its accessories, Google links and climate memory`,
    );
  }
  return problems;
}

/** Plain files directly in `velux-climate/`: a storage folder from before per-block folders. */
function legacyFiles(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => !e.isDirectory()) // links too: the CLI's guard must see (and refuse) them
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Whether `<storage>/velux-climate/` still holds files of v0.1/v0.2 that no block has taken over. */
export function legacyStoragePending(homebridgeStoragePath: string): boolean {
  return legacyFiles(pluginRootDir(homebridgeStoragePath)).length > 0;
}

/**
 * Moves a v0.1/v0.2 storage folder into the folder of block `firstId` (the first VeluxClimate
 * block in config.json), once. Blocks in `otherIds` that have no folder yet get a copy of the
 * gateway ids from home-state.json (HomeKit identities derive from them: their accessories
 * keep their UUIDs). Returns the number of files moved.
 */
export function migrateLegacyStorage(homebridgeStoragePath: string, firstId: string, otherIds: readonly string[], log: Logger): number {
  const root = pluginRootDir(homebridgeStoragePath);
  const files = legacyFiles(root);
  const target = pluginStorageDir(homebridgeStoragePath, firstId);
  const incoming = join(root, `.incoming-${firstId}`);
  if (files.length === 0 && !existsSync(incoming)) return 0;
  if (existsSync(target)) {
    if (files.length > 0) {
      log.warn(
        `${root} holds files of an older version (${files.join(', ')}) but ${target} exists already; ` +
          'they are left where they are (not merged). Delete them, or move them into a block folder while Homebridge is stopped.',
      );
    }
    return 0;
  }
  const identity = readIdentity(join(root, STORAGE_FILES.home)) ?? readIdentity(join(incoming, STORAGE_FILES.home));
  for (const id of otherIds) {
    if (id === firstId || !BLOCK_ID_PATTERN.test(id)) continue;
    const dir = pluginStorageDir(homebridgeStoragePath, id);
    if (!identity || existsSync(dir)) continue;
    writeFileAtomic(join(dir, STORAGE_FILES.home), `${JSON.stringify({ virtualAway: false, roomClimateEnabled: {}, ...identity }, null, 2)}\n`);
  }
  mkdirSync(incoming, { recursive: true, mode: 0o700 });
  for (const name of files) renameSync(join(root, name), join(incoming, name));
  renameSync(incoming, target);
  log.info(`Moved the plugin's files (${files.length}) from ${root} into ${target}: each platform block now has its own folder (block id "${firstId}")`);
  return files.length;
}

/** The gateway ids (and key prefixes) of a home-state.json, if it has any. */
function readIdentity(path: string): { gatewayIds: Record<string, string>; keyPrefixes?: Record<string, string> } | undefined {
  try {
    const state = record(JSON.parse(readFileSync(path, 'utf8')));
    const ids = record(state['gatewayIds']);
    if (Object.keys(ids).length === 0) return undefined;
    const prefixes = record(state['keyPrefixes']);
    return { gatewayIds: ids as Record<string, string>, ...(Object.keys(prefixes).length ? { keyPrefixes: prefixes as Record<string, string> } : {}) };
  } catch {
    return undefined;
  }
}

/** Where a block's files are, and whether it may move a v0.1/v0.2 folder: what a platform block needs at start. */
export interface BlockStorage {
  id: string;
  dir: string;
}

/**
 * Settles a block's storage at start: refuses a block id another block uses too, moves an old
 * storage folder into the first block's folder. Throws with a message for the log.
 */
export function openBlockStorage(
  homebridgeStoragePath: string,
  configPath: string | undefined,
  block: string | { id?: unknown; name?: unknown },
  log: Logger,
): BlockStorage {
  const blocks = configPath === undefined ? undefined : readConfiguredBlocks(configPath);
  const id = typeof block === 'string' ? block : storageIdOf(block, blocks);
  const known = blocks?.some((b) => b.id === id) === true;
  if (blocks && blocks.filter((b) => b.id === id).length > 1) throw new Error(duplicateBlockProblems(blocks.filter((b) => b.id === id)).join('; '));
  // The first block takes over an old folder; when config.json does not show this block (an
  // unusual setup), this block is the only one known: it takes it.
  const first = !blocks || !known || blocks[0]?.id === id;
  if (first) migrateLegacyStorage(homebridgeStoragePath, id, blocks?.map((b) => b.id) ?? [], log);
  return { id, dir: pluginStorageDir(homebridgeStoragePath, id) };
}
