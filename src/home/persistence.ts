import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { JsonFile } from '../storage/json-file.js';
import { STORAGE_FILES } from '../storage/paths.js';
import { DEVICE_TYPES } from '../gateway/types.js';
import type { PersistedDevice, PersistedHomeState } from './model.js';

function validate(v: unknown): PersistedHomeState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.virtualAway !== 'boolean') return undefined;
  const rooms = o.roomClimateEnabled;
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) return undefined;
  if (!Object.values(rooms).every((x) => typeof x === 'boolean')) return undefined;
  const ids = o.gatewayIds;
  const prefixes = o.keyPrefixes;
  if (!isStringMap(ids) || !isStringMap(prefixes)) return undefined;
  const devices = isRecord(o.devices) ? validDevices(o.devices) : undefined;
  return {
    virtualAway: o.virtualAway,
    roomClimateEnabled: rooms as Record<string, boolean>,
    ...(ids ? { gatewayIds: ids } : {}),
    // A gateway recognised after its key changed: without this its devices' keys change on the next start.
    ...(prefixes ? { keyPrefixes: prefixes } : {}),
    ...(devices ? { devices } : {}),
  };
}

/** Absent, or an object of strings. */
function isStringMap(v: unknown): v is Record<string, string> | undefined {
  return v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The device records that make sense; a broken one is dropped (the device then counts as new), never the file. */
function validDevices(raw: Record<string, unknown>): Record<string, PersistedDevice> {
  const devices: Record<string, PersistedDevice> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!isRecord(value) || typeof value.gatewayKey !== 'string' || !isRecord(value.descriptor)) continue;
    const d = value.descriptor;
    if (typeof d.id !== 'string' || typeof d.name !== 'string' || !(DEVICE_TYPES as readonly unknown[]).includes(d.type) || !isRecord(d.features)) continue;
    if (value.missingSince !== undefined && !(typeof value.missingSince === 'number' && Number.isFinite(value.missingSince))) continue;
    devices[key] = value as unknown as PersistedDevice;
  }
  return devices;
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
