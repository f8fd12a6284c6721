/**
 * The ventilation algorithm for one room's windows: when to open them for airing (CO2,
 * humidity, heat, air recycling) and when to close the ones the algorithm opened (comfort
 * reached, maximum airing, too cold).
 */
import { clockTime, isClosedAndSettled, MINUTE_MS } from './conditions.js';
import { roomGuard } from './guards.js';
import { withoutAutoOpen } from './memory.js';
import { attemptMove, blockRoom, memoryOf, note, type RoomWork } from './moves.js';
import type { AiringTrigger, ClimateDevice, TriggerCode } from './types.js';

const HOUR_MS = 60 * MINUTE_MS;
/** Spec: airing against heat only when outdoors is at least this much cooler. */
export const HEAT_OUTDOOR_DIFFERENCE_C = 2;
/** Airing against heat goes on until the room is this far under the cooling setpoint (as for covers). */
export const HEAT_HYSTERESIS_C = 1;
/** No new airing until the room is this much over its minimum, so too_cold and opening cannot alternate every minute. */
export const TOO_COLD_MARGIN_C = 0.5;

interface AiringNeed {
  trigger: AiringTrigger;
  why: string;
}

const ppm = (value: number): string => `${Math.round(value)} ppm`;
const degrees = (value: number): string => `${value.toFixed(1)} °C`;
const percent = (value: number): string => `${Math.round(value)} %`;

/** Windows the algorithm opened and is not already closing (departure closes them separately). */
export function ownedWindows(work: RoomWork): ClimateDevice[] {
  return work.ctx.room.windows.filter((window) => {
    const memory = memoryOf(work, window.key);
    return memory.autoOpenedAt !== undefined && memory.closingSince === undefined;
  });
}

export function decideVentilation(work: RoomWork): void {
  trackRoomClock(work);
  finishAiring(work);
  startAiring(work);
  if (ownedWindows(work).length === 0) {
    delete work.room.airingReason;
    delete work.room.airingSince;
  }
}

function trackRoomClock(work: RoomWork): void {
  const { settings, room, home } = work.ctx;
  const humidity = room.sensor?.humidity;
  // "Continuously over the limit" can only be claimed from fresh readings.
  if (work.ctx.sensor === 'fresh' && humidity !== undefined && humidity > settings.humidityMax) {
    work.room.humidityHighSince ??= home.now;
  } else {
    delete work.room.humidityHighSince;
  }
  // Counting starts when the algorithm first sees the room, not at the epoch, so a fresh
  // start does not air every room at once.
  work.room.lastAirRecyclingAt ??= home.now;
  if (work.room.restUntil !== undefined && home.now >= work.room.restUntil) delete work.room.restUntil;
}

function closeOwnedWindow(work: RoomWork, window: ClimateDevice, reason: TriggerCode, why: string): boolean {
  const taken = attemptMove(work, { kind: 'finish', device: window, position: 0, reason, why });
  if (taken) {
    work.devices.set(window.key, { ...withoutAutoOpen(memoryOf(work, window.key)), closingSince: work.ctx.home.now, closingReason: reason });
  }
  return taken;
}

function finishAiring(work: RoomWork): void {
  const owned = ownedWindows(work);
  if (owned.length === 0) return;
  const { settings, room, home, sensor } = work.ctx;
  const now = home.now;
  const temperature = room.sensor?.temperature;
  const fresh = sensor === 'fresh';

  if (fresh && temperature !== undefined && temperature < settings.temperatureMin) {
    const why = `${degrees(temperature)} under the comfort minimum ${settings.temperatureMin} °C`;
    for (const window of owned) closeOwnedWindow(work, window, 'too_cold', why);
    return;
  }

  const maxAiringMs = settings.maxAiringMinutes * MINUTE_MS;
  const remaining: ClimateDevice[] = [];
  for (const window of owned) {
    const openedAt = memoryOf(work, window.key).autoOpenedAt ?? now;
    if (now - openedAt >= maxAiringMs) {
      const minutes = Math.round((now - openedAt) / MINUTE_MS);
      if (closeOwnedWindow(work, window, 'max_airing', `open for ${minutes} min, maximum airing ${settings.maxAiringMinutes} min`)) {
        work.room.restUntil = now + maxAiringMs;
      }
    } else {
      remaining.push(window);
    }
  }
  if (remaining.length === 0) return;

  const reason = work.room.airingReason ?? 'air_recycling';
  const since = work.room.airingSince ?? Math.min(...remaining.map((window) => memoryOf(work, window.key).autoOpenedAt ?? now));
  if (!fresh && reason !== 'air_recycling') {
    note(work, `keeping the windows open without a fresh sensor reading; they close after at most ${settings.maxAiringMinutes} min`);
    return;
  }
  const comfort = comfortReached(work, reason, since);
  if (comfort === undefined) return;
  const minAiringEnd = since + settings.minAiringMinutes * MINUTE_MS;
  if (now < minAiringEnd) {
    note(work, `${comfort}, but keeping the minimum airing until ${clockTime(minAiringEnd, home.timeZoneOffsetMinutes)}`);
    return;
  }
  for (const window of remaining) closeOwnedWindow(work, window, 'comfort_reached', comfort);
}

/**
 * Why the current airing is no longer needed, or undefined while any reason to air still
 * holds (with hysteresis, so the room does not flap around a limit).
 */
function comfortReached(work: RoomWork, reason: AiringTrigger, since: number): string | undefined {
  const { settings, room, home, sensor } = work.ctx;
  const { co2, humidity, temperature } = room.sensor ?? {};
  const outdoor = home.outdoorTemperature;
  const co2Low = settings.co2Max - settings.co2Hysteresis;
  if (sensor === 'fresh') {
    if (co2 !== undefined && co2 >= co2Low) return undefined;
    if (humidity !== undefined && humidity > settings.humidityMax) return undefined;
    if (
      temperature !== undefined &&
      temperature > settings.coolingSetpoint - HEAT_HYSTERESIS_C &&
      outdoor !== undefined &&
      outdoor < temperature
    ) {
      return undefined;
    }
  }
  if (reason === 'air_recycling' && home.now < since + settings.airRecyclingMinutes * MINUTE_MS) return undefined;

  switch (reason) {
    case 'co2':
      return co2 === undefined ? 'CO2 no longer measured' : `CO2 ${ppm(co2)} under ${co2Low}`;
    case 'humidity':
      return humidity === undefined ? 'humidity no longer measured' : `humidity ${percent(humidity)} under ${settings.humidityMax} %`;
    case 'heat':
      if (temperature !== undefined && temperature <= settings.coolingSetpoint - HEAT_HYSTERESIS_C) {
        return `${degrees(temperature)} under ${settings.coolingSetpoint - HEAT_HYSTERESIS_C} °C`;
      }
      return outdoor === undefined ? 'outdoor temperature no longer known' : `outdoors (${degrees(outdoor)}) no longer cooler than indoors`;
    case 'air_recycling':
      return `air recycling done after ${settings.airRecyclingMinutes} min`;
  }
}

/** The reasons to start airing now, most important first. */
function airingNeeds(work: RoomWork): AiringNeed[] {
  const { settings, room, home } = work.ctx;
  const now = home.now;
  const { co2, temperature } = room.sensor ?? {};
  const outdoor = home.outdoorTemperature;
  const needs: AiringNeed[] = [];

  if (co2 !== undefined && co2 > settings.co2Max) needs.push({ trigger: 'co2', why: `CO2 ${ppm(co2)} over ${settings.co2Max}` });
  const highSince = work.room.humidityHighSince;
  if (highSince !== undefined && now - highSince >= settings.humidityDelayMinutes * MINUTE_MS) {
    const minutes = Math.round((now - highSince) / MINUTE_MS);
    needs.push({ trigger: 'humidity', why: `humidity ${percent(room.sensor?.humidity ?? 0)} over ${settings.humidityMax} % for ${minutes} min` });
  }
  if (
    temperature !== undefined &&
    temperature > settings.coolingSetpoint &&
    outdoor !== undefined &&
    outdoor <= temperature - HEAT_OUTDOOR_DIFFERENCE_C
  ) {
    needs.push({ trigger: 'heat', why: `${degrees(temperature)} over the cooling setpoint ${settings.coolingSetpoint} °C, outdoors ${degrees(outdoor)}` });
  }
  const lastAiring = work.room.lastAirRecyclingAt;
  if (
    settings.airRecyclingIntervalHours > 0 &&
    lastAiring !== undefined &&
    now - lastAiring >= settings.airRecyclingIntervalHours * HOUR_MS &&
    ownedWindows(work).length === 0
  ) {
    needs.push({ trigger: 'air_recycling', why: `air recycling, last airing at ${clockTime(lastAiring, home.timeZoneOffsetMinutes)}` });
  }
  if (needs.length === 0) return needs;

  const first = needs[0]?.why ?? '';
  if (work.room.restUntil !== undefined && now < work.room.restUntil) {
    note(work, `${first}, but resting after the maximum airing until ${clockTime(work.room.restUntil, home.timeZoneOffsetMinutes)}`);
    return [];
  }
  if (temperature !== undefined && temperature < settings.temperatureMin + TOO_COLD_MARGIN_C) {
    note(work, `${first}, but the room is too cold to air (${degrees(temperature)})`);
    return [];
  }
  return needs;
}

function startAiring(work: RoomWork): void {
  const needs = airingNeeds(work);
  const primary = needs[0];
  if (!primary) return;
  for (const need of needs) work.wanted.add(need.trigger);

  const { settings, room, home } = work.ctx;
  const candidates = room.windows.filter((window) => {
    const memory = memoryOf(work, window.key);
    return memory.autoOpenedAt === undefined && memory.closingSince === undefined;
  });
  const closed = candidates.filter(isClosedAndSettled);
  if (closed.length === 0) {
    if (candidates.length > 0) note(work, `${primary.why}, but no window is closed and at rest to open`);
    return;
  }
  const hit = roomGuard('airing', work.ctx);
  if (hit) {
    blockRoom(work, primary.trigger, hit, 'opening windows', primary.why);
    return;
  }
  const position = settings.ventilationPosition;
  let opened = false;
  for (const window of closed) {
    if (attemptMove(work, { kind: 'airing', device: window, position, reason: primary.trigger, why: primary.why })) {
      work.devices.set(window.key, { ...memoryOf(work, window.key), autoOpenedAt: home.now, autoOpenedTo: position });
      opened = true;
    }
  }
  if (!opened) return;
  if (work.room.airingSince === undefined) {
    work.room.airingSince = home.now;
    work.room.airingReason = primary.trigger;
  }
  work.room.lastAirRecyclingAt = home.now;
}
