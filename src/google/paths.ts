/**
 * Where google/ and the CLI keep their files: in the platform block's storage folder,
 * `<Homebridge storage>/velux-climate/<block id>/` (one place decides it: storage/paths.ts
 * pluginStorageDir). Each block with Google on has its own accounts and links.
 */
import { join } from 'node:path';

/** Local accounts (password hashes), written by the CLI and read by the server. */
export function accountsFile(storageDir: string): string {
  return join(storageDir, 'accounts.json');
}

/** Hashes of OAuth codes and tokens, written by the server only. */
export function googleTokensFile(storageDir: string): string {
  return join(storageDir, 'google-tokens.json');
}
