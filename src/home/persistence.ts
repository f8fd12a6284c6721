import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { JsonFile } from '../storage/json-file.js';
import { STORAGE_FILES } from '../storage/paths.js';
import type { PersistedHomeState } from './model.js';

function validate(v: unknown): PersistedHomeState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.virtualAway !== 'boolean') return undefined;
  const rooms = o.roomClimateEnabled;
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) return undefined;
  if (!Object.values(rooms).every((x) => typeof x === 'boolean')) return undefined;
  const ids = o.gatewayIds;
  if (ids !== undefined && (typeof ids !== 'object' || ids === null || Array.isArray(ids) || !Object.values(ids).every((x) => typeof x === 'string'))) {
    return undefined;
  }
  return {
    virtualAway: o.virtualAway,
    roomClimateEnabled: rooms as Record<string, boolean>,
    ...(ids ? { gatewayIds: ids as Record<string, string> } : {}),
  };
}

/** Departure mode of the virtual switch and per-room climate on/off, kept across restarts, in a block's storage folder (storage/paths.ts). */
export function openHomeStateFile(storageDir: string, log: Logger): JsonFile<PersistedHomeState> {
  return new JsonFile(
    join(storageDir, STORAGE_FILES.home),
    validate,
    () => ({ virtualAway: false, roomClimateEnabled: {} }),
    log,
  );
}
