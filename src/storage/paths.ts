import { join } from 'node:path';

/**
 * Where the plugin keeps its files: one folder per platform block (child bridge),
 * `<Homebridge storage>/velux-climate/<block id>/` (docs/privacy.md). Every file the plugin
 * writes for a block lives in that block's folder; ask `pluginStorageDir` for it, never build
 * the path by hand.
 *
 * The block id is the block's optional `id` (config.schema.json); a block without one is `default`
 * when it is the first such block, else its name made into an id (storage/blocks.ts `blocksOfConfig`).
 * Not the block's `name` (a label in the log that people change) and not its position (blocks
 * get reordered): HomeKit identities, Google links and the climate memory must not follow a
 * rename or a reorder (storage/blocks.ts checks that no two blocks share an id).
 */
export const PLUGIN_FOLDER = 'velux-climate';

/** The id of a platform block without an `id` of its own. */
export const DEFAULT_BLOCK_ID = 'default';

/** What a block id may look like (also in config.schema.json): it names a folder. */
export const BLOCK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** `<storage>/velux-climate/`: the blocks' folders (and, before v0.3, the files themselves). */
export function pluginRootDir(homebridgeStoragePath: string): string {
  return join(homebridgeStoragePath, PLUGIN_FOLDER);
}

/** One platform block's folder, `<storage>/velux-climate/<block id>/`. */
export function pluginStorageDir(homebridgeStoragePath: string, blockId: string): string {
  if (!BLOCK_ID_PATTERN.test(blockId)) throw new Error(`"${blockId}" is not a valid block id (lower-case letters, digits and "-", at most 40)`);
  return join(pluginRootDir(homebridgeStoragePath), blockId);
}


export const STORAGE_FILES = {
  home: 'home-state.json',
} as const;

/** The Unix socket a block's running plugin serves for the Homebridge UI pages (src/ui/plugin-socket.ts, docs/ui.md); `blockDir` from pluginStorageDir. */
export function uiSocketPath(blockDir: string): string {
  return join(blockDir, 'ui', 'plugin.sock');
}
