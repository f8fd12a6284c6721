/**
 * Heat protection with covers (blinds, shutters, awnings): lower them when the room
 * overheats in sunlight, and put them back where they were once it has cooled down.
 */
import { isSettled } from './conditions.js';
import { roomGuard } from './guards.js';
import { withoutHeatProtection } from './memory.js';
import { attemptMove, blockRoom, memoryOf, type RoomWork } from './moves.js';

/** Spec: covers go back once the room is this far under the cooling setpoint. */
export const HEAT_PROTECTION_RELEASE_C = 1;

const degrees = (value: number): string => `${value.toFixed(1)} °C`;

export function decideHeatProtection(work: RoomWork): void {
  if (work.ctx.room.covers.length === 0) return;
  putCoversBack(work);
  lowerCovers(work);
}

function putCoversBack(work: RoomWork): void {
  const { settings, room, sensor } = work.ctx;
  const temperature = room.sensor?.temperature;
  const releaseBelow = settings.coolingSetpoint - HEAT_PROTECTION_RELEASE_C;
  // Only a fresh reading can say the room has cooled down.
  if (sensor !== 'fresh' || temperature === undefined || temperature >= releaseBelow) return;
  for (const cover of room.covers) {
    const memory = memoryOf(work, cover.key);
    if (memory.heatProtectedFrom === undefined || memory.closingSince !== undefined) continue;
    const why = `${degrees(temperature)} under ${releaseBelow} °C, back to where it was`;
    if (attemptMove(work, { kind: 'finish', device: cover, position: memory.heatProtectedFrom, reason: 'heat_protection', why })) {
      work.devices.set(cover.key, withoutHeatProtection(memory));
    }
  }
}

function lowerCovers(work: RoomWork): void {
  const { settings, room, home } = work.ctx;
  const { temperature, lux } = room.sensor ?? {};
  if (!settings.heatProtection || temperature === undefined || temperature <= settings.coolingSetpoint) return;
  // Without a light measurement, only a room over its comfort band counts as overheating.
  const hot = lux !== undefined ? lux > settings.heatProtectionLux : temperature > settings.temperatureMax;
  if (!hot) return;
  const position = settings.heatProtectionPosition;
  const candidates = room.covers.filter((cover) => {
    const memory = memoryOf(work, cover.key);
    return memory.heatProtectedAt === undefined && memory.closingSince === undefined && isSettled(cover) && cover.position > position;
  });
  if (candidates.length === 0) return;
  const why =
    lux !== undefined
      ? `${degrees(temperature)} over the cooling setpoint ${settings.coolingSetpoint} °C and ${Math.round(lux)} lx over ${settings.heatProtectionLux}`
      : `${degrees(temperature)} over ${settings.temperatureMax} °C (no light measurement)`;
  const hit = roomGuard('heat_protection', work.ctx);
  if (hit) {
    blockRoom(work, 'heat_protection', hit, 'lowering covers', why);
    return;
  }
  for (const cover of candidates) {
    const from = cover.position ?? 100;
    if (attemptMove(work, { kind: 'heat_protection', device: cover, position, reason: 'heat_protection', why })) {
      work.devices.set(cover.key, { ...memoryOf(work, cover.key), heatProtectedAt: home.now, heatProtectedFrom: from, heatProtectedTo: position });
    }
  }
}
