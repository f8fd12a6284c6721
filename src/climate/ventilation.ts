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
/** The longest `airingIntervalMinutes` allowed: the start of an older airing is forgotten. */
const MAX_AIRING_INTERVAL_MS = 240 * MINUTE_MS;
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
  const { settings, room, home, sensor } = work.ctx;
  const { co2, humidity, temperature, updatedAt } = room.sensor ?? {};
  // Runs of readings over a limit are dated by the readings themselves, so a confirmation
  // needs a later reading, not just a later clock. Only fresh readings extend or end a run; a
  // stale or offline sensor leaves it as it was (its guard blocks the airing anyway).
  if (sensor === 'fresh' && updatedAt !== undefined) {
    work.room.humidityHighSince = streakSince(work.room.humidityHighSince, humidity !== undefined && humidity > settings.humidityMax, updatedAt);
    work.room.co2HighSince = streakSince(work.room.co2HighSince, co2 !== undefined && co2 > settings.co2Max, updatedAt);
    work.room.heatSince = streakSince(work.room.heatSince, temperature !== undefined && temperature > settings.coolingSetpoint, updatedAt);
  }
  // Counting starts when the algorithm first sees the room, not at the epoch, so a fresh
  // start does not air every room at once.
  work.room.lastAirRecyclingAt ??= home.now;
  if (work.room.restUntil !== undefined && home.now >= work.room.restUntil) delete work.room.restUntil;
  if (work.room.lastAiringAt !== undefined && home.now - work.room.lastAiringAt >= MAX_AIRING_INTERVAL_MS) {
    delete work.room.lastAiringAt;
  }
}

/** Start of the run of fresh readings over a limit that the current one continues, or undefined when it is not over it. */
function streakSince(since: number | undefined, over: boolean, readingAt: number): number | undefined {
  if (!over) return undefined;
  return since ?? readingAt;
}

/**
 * Whether a run of readings over a limit is confirmed: it spans `triggerConfirmMinutes` of
 * reading times, so it holds at least two readings, and one outlier reading never opens.
 */
function confirmed(work: RoomWork, since: number | undefined): boolean {
  const readingAt = work.ctx.room.sensor?.updatedAt;
  if (since === undefined || readingAt === undefined) return false;
  return readingAt - since >= work.ctx.settings.triggerConfirmMinutes * MINUTE_MS;
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
  const { co2, humidity, temperature } = room.sensor ?? {};
  const outdoor = home.outdoorTemperature;
  const needs: AiringNeed[] = [];

  const waiting: string[] = [];
  if (co2 !== undefined && co2 > settings.co2Max) {
    const why = `CO2 ${ppm(co2)} over ${settings.co2Max}`;
    if (confirmed(work, work.room.co2HighSince)) needs.push({ trigger: 'co2', why });
    else waiting.push(why);
  }
  const highSince = work.room.humidityHighSince;
  if (highSince !== undefined && humidity !== undefined && humidity > settings.humidityMax) {
    const minutes = Math.round((now - highSince) / MINUTE_MS);
    const why = `humidity ${percent(humidity)} over ${settings.humidityMax} % for ${minutes} min`;
    if (now - highSince >= settings.humidityDelayMinutes * MINUTE_MS) {
      if (confirmed(work, highSince)) needs.push({ trigger: 'humidity', why });
      else waiting.push(why);
    }
  }
  if (
    temperature !== undefined &&
    temperature > settings.coolingSetpoint &&
    outdoor !== undefined &&
    outdoor <= temperature - HEAT_OUTDOOR_DIFFERENCE_C
  ) {
    const why = `${degrees(temperature)} over the cooling setpoint ${settings.coolingSetpoint} °C, outdoors ${degrees(outdoor)}`;
    if (confirmed(work, work.room.heatSince)) needs.push({ trigger: 'heat', why });
    else waiting.push(why);
  }
  if (waiting.length > 0) note(work, `${waiting.join('; ')}: waiting for the next readings to confirm (${settings.triggerConfirmMinutes} min)`);
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
  const lastStart = work.room.lastAiringAt;
  const nextStart = lastStart === undefined ? undefined : lastStart + settings.airingIntervalMinutes * MINUTE_MS;
  if (nextStart !== undefined && now < nextStart && ownedWindows(work).length === 0) {
    const zone = home.timeZoneOffsetMinutes;
    note(work, `${first}, but the last airing started at ${clockTime(lastStart ?? now, zone)}; the next starts at ${clockTime(nextStart, zone)} at the earliest`);
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
    work.room.lastAiringAt = home.now;
  }
  work.room.lastAirRecyclingAt = home.now;
}
