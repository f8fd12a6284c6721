/** The climate controller's files in the plugin's storage directory (docs/privacy.md). */
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { JsonFile } from '../storage/json-file.js';
import type { ClimateHistoryEntry, ClimateStore } from './controller.js';
import { EMPTY_CLIMATE_MEMORY } from './memory.js';
import type { ClimateMemory } from './types.js';

export const CLIMATE_FILES = { memory: 'climate-state.json', history: 'climate-history.json' } as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validMemory(v: unknown): ClimateMemory | undefined {
  if (!isRecord(v) || !isRecord(v.rooms) || !isRecord(v.devices)) return undefined;
  if (v.away !== undefined && typeof v.away !== 'boolean') return undefined;
  return v as unknown as ClimateMemory;
}

function validHistory(v: unknown): ClimateHistoryEntry[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = v.every((e) => isRecord(e) && typeof e.at === 'number' && typeof e.room === 'string' && typeof e.text === 'string');
  return ok ? (v as ClimateHistoryEntry[]) : undefined;
}

/** The store's own checks, for readers that must not touch the files (the CLI reads them while Homebridge runs). */
export { validMemory as parseClimateMemory, validHistory as parseClimateHistory };

/** The climate files in a block's storage folder (storage/paths.ts pluginStorageDir). */
export function openClimateStore(dir: string, log: Logger): ClimateStore {
  const memory = new JsonFile<ClimateMemory>(join(dir, CLIMATE_FILES.memory), validMemory, () => EMPTY_CLIMATE_MEMORY, log);
  const history = new JsonFile<ClimateHistoryEntry[]>(join(dir, CLIMATE_FILES.history), validHistory, () => [], log);
  return {
    memory: memory.value,
    saveMemory: (m) => memory.update(() => m),
    history: history.value,
    saveHistory: (h) => history.update(() => h),
  };
}
