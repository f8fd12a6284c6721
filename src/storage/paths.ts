import { join } from 'node:path';

/** Everything the plugin writes lives under `<Homebridge storage>/velux-climate/` (docs/privacy.md). */
export function pluginStorageDir(homebridgeStoragePath: string): string {
  return join(homebridgeStoragePath, 'velux-climate');
}

export const STORAGE_FILES = {
  home: 'home-state.json',
} as const;
