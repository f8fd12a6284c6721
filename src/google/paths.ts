/** Where google/ and the CLI keep their files: `<Homebridge storage>/velux-climate/`. */
import { join } from 'node:path';
import { pluginStorageDir } from '../storage/paths.js';

/** The plugin's folder in the Homebridge storage directory (one place decides it: storage/paths.ts). */
export const pluginDataDir = pluginStorageDir;

/** Local accounts (password hashes), written by the CLI and read by the server. */
export function accountsFile(storagePath: string): string {
  return join(pluginDataDir(storagePath), 'accounts.json');
}

/** Hashes of OAuth codes and tokens, written by the server only. */
export function googleTokensFile(storagePath: string): string {
  return join(pluginDataDir(storagePath), 'google-tokens.json');
}
