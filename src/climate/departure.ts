/**
 * Departure mode and the closes the algorithm repeats until it sees them done: when away
 * starts, every window (and, if configured, every cover) of the room is to be closed.
 */
import { clockTime, isClosedOrClosing } from './conditions.js';
import { attemptMove, memoryOf, type RoomWork } from './moves.js';
import type { ClimateDevice } from './types.js';

export function markDepartureCloses(work: RoomWork): void {
  const { settings, room, home } = work.ctx;
  if (!home.departureStarted) return;
  const devices = [...(settings.departureCloseWindows ? room.windows : []), ...(settings.departureCloseCovers ? room.covers : [])];
  for (const device of devices) {
    const memory = memoryOf(work, device.key);
    // A window the algorithm opened may still show closed while its open command is on the way.
    if (isClosedOrClosing(device) && memory.autoOpenedAt === undefined) continue;
    // What the algorithm opened or lowered stays remembered until the device is seen closed,
    // in case departure ends before the close could be sent.
    work.devices.set(device.key, { ...memory, closingSince: home.now, closingReason: 'departure' });
  }
}

/** Send (again) every close the algorithm still wants and does not see happening. */
export function repeatCloses(work: RoomWork): void {
  const { room, home } = work.ctx;
  const devices: ClimateDevice[] = [...room.windows, ...room.covers];
  for (const device of devices) {
    const memory = memoryOf(work, device.key);
    if (memory.closingSince === undefined) continue;
    const justDecided = memory.closingSince === home.now;
    if (!justDecided && isClosedOrClosing(device)) continue;
    const reason = memory.closingReason ?? 'comfort_reached';
    const why =
      reason === 'departure'
        ? `departure mode started at ${clockTime(memory.closingSince, home.timeZoneOffsetMinutes)}`
        : `still open after the close for ${reason.replace('_', ' ')} at ${clockTime(memory.closingSince, home.timeZoneOffsetMinutes)}`;
    attemptMove(work, { kind: 'finish', device, position: 0, reason, why });
  }
}
