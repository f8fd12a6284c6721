/**
 * The algorithm's memory between evaluations (held and persisted by the controller), and
 * how observations change it before any decision: a person's command or a move the
 * algorithm did not send ends what the algorithm owned, a device seen closed ends a close.
 */
import type { ClimateDevice, ClimateMemory, DeviceMemory } from './types.js';

export const EMPTY_CLIMATE_MEMORY: ClimateMemory = Object.freeze({ rooms: Object.freeze({}), devices: Object.freeze({}) });

/**
 * Note a command from anyone but the algorithm (HomeKit, Google, CLI, …): it starts the
 * device's manual pause and hands the device back to people. The controller calls this
 * from the command path.
 */
export function recordManualCommand(memory: ClimateMemory, deviceKey: string, at: number): ClimateMemory {
  const previous = memory.devices[deviceKey];
  const lastManualAt = Math.max(at, previous?.lastManualAt ?? at);
  return { ...memory, devices: { ...memory.devices, [deviceKey]: { ...previous, lastManualAt } } };
}

/** Drop undefined fields so the memory stays small and compares and serialises cleanly. */
export function compact<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) result[key] = field;
  }
  return result as T;
}

export function isEmptyMemory(value: object): boolean {
  return Object.keys(value).length === 0;
}

export interface Refreshed {
  memory: DeviceMemory;
  /** Set when the device was moved by somebody else than the algorithm, for a note. */
  takenOver: boolean;
}

const withoutAutoOpen = ({ autoOpenedAt: _at, autoOpenedTo: _to, ...rest }: DeviceMemory): DeviceMemory => rest;
const withoutClosing = ({ closingSince: _since, closingReason: _reason, ...rest }: DeviceMemory): DeviceMemory => rest;
const withoutHeatProtection = ({ heatProtectedAt: _at, heatProtectedFrom: _from, heatProtectedTo: _to, ...rest }: DeviceMemory): DeviceMemory => rest;

/**
 * Update one device's memory from what is observed now. A manual command counts when it is
 * at or after the algorithm's own step (see manualPauseEnd: equal times mean the person
 * came second).
 */
export function refreshDeviceMemory(device: ClimateDevice, previous: DeviceMemory, now: number, away: boolean): Refreshed {
  let memory = previous;
  let takenOver = false;
  const manualAfter = (at: number): boolean => memory.lastManualAt !== undefined && memory.lastManualAt >= at;
  // While the algorithm itself is closing the device, a new target is its own.
  const closing = memory.closingSince !== undefined;

  if (memory.autoOpenedAt !== undefined) {
    if (manualAfter(memory.autoOpenedAt)) {
      memory = withoutAutoOpen(memory);
    } else if (!closing && device.rain === true && device.position === 0 && device.target === 0 && device.motion !== 'opening') {
      // Its own rain sensor closed it (hardware): this airing is over, so the room may be
      // aired again when the rain stops instead of waiting out the maximum airing and a rest.
      memory = withoutAutoOpen(memory);
    } else if (!closing && device.target !== undefined && device.target !== 0 && device.target !== memory.autoOpenedTo) {
      // The algorithm only opens closed windows and only sends autoOpenedTo or 0, so any
      // other target is somebody else's (a remote, the vendor app): treat it as manual use.
      memory = { ...withoutAutoOpen(memory), lastManualAt: now };
      takenOver = true;
    }
  }

  if (memory.heatProtectedAt !== undefined) {
    if (manualAfter(memory.heatProtectedAt)) {
      memory = withoutHeatProtection(memory);
    } else if (!closing && device.target !== undefined && device.target !== memory.heatProtectedTo && device.target !== memory.heatProtectedFrom) {
      memory = { ...withoutHeatProtection(memory), lastManualAt: now };
      takenOver = true;
    }
  }

  if (memory.closingSince !== undefined) {
    if (device.position === 0 && device.motion !== 'opening') {
      // Closed: whatever the algorithm had opened or lowered is done with.
      memory = withoutHeatProtection(withoutAutoOpen(withoutClosing(memory)));
    } else if (manualAfter(memory.closingSince) || (memory.closingReason === 'departure' && !away)) {
      // A person took over, or departure ended before the close could be sent: what the
      // algorithm opened stays its own (and is closed by the airing rules).
      memory = withoutClosing(memory);
    }
  }

  return { memory, takenOver };
}

export { withoutAutoOpen, withoutClosing, withoutHeatProtection };
