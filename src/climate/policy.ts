/**
 * The climate policy: a pure function from the home's state, the clock and the algorithm's
 * memory to decisions with reasons, and the memory to keep. No I/O, no clock of its own,
 * no randomness: the controller feeds it and sends the commands through the command path.
 */
import { findRain, guardsWithoutData, isQuietTime, localMinuteOfDay, MINUTE_MS, sensorStatus, type HomeConditions } from './conditions.js';
import { markDepartureCloses, repeatCloses } from './departure.js';
import type { RoomContext } from './guards.js';
import { decideHeatProtection } from './heatProtection.js';
import { compact, isEmptyMemory, refreshDeviceMemory } from './memory.js';
import { note, type RoomWork } from './moves.js';
import { SETTINGS_RANGES } from './settings.js';
import {
  TRIGGER_CODES,
  type ClimateMemory,
  type DeviceMemory,
  type PolicyInput,
  type PolicyOutput,
  type RoomClimateState,
  type RoomDecision,
  type RoomInput,
  type RoomMemory,
} from './types.js';
import { decideVentilation, ownedWindows } from './ventilation.js';

export function evaluate(input: PolicyInput): PolicyOutput {
  const { now, memory } = input;
  // Before the first evaluation the previous mode is unknown: no departure is assumed, so a
  // restart with lost memory does not close windows people opened while away.
  const departureStarted = input.away && memory.away === false;
  const departureEnded = !input.away && memory.away === true;
  const rain = findRain(input.weather, input.rooms);
  const lastRainAt = rainHoldFrom(rain.rain, now, memory.lastRainAt);
  const home: HomeConditions = {
    now,
    timeZoneOffsetMinutes: input.timeZoneOffsetMinutes,
    away: input.away,
    departureStarted,
    departureEnded,
    gatewayOnline: input.gatewayOnline,
    rain: rain.rain,
    ...(lastRainAt !== undefined && { lastRainAt }),
    ...(rain.source !== undefined && { rainSource: rain.source }),
    ...(input.weather?.temperature !== undefined && { outdoorTemperature: input.weather.temperature }),
    ...(input.weather?.windSpeed !== undefined && { windSpeed: input.weather.windSpeed }),
    weatherRainKnown: input.weather?.rain !== undefined,
  };
  const minuteOfDay = localMinuteOfDay(now, input.timeZoneOffsetMinutes);

  // One copy of each table, updated in place: evaluating many rooms stays linear.
  const rooms: Record<string, RoomMemory> = { ...memory.rooms };
  const devices: Record<string, DeviceMemory> = { ...memory.devices };
  const decisions: RoomDecision[] = [];
  for (const room of input.rooms) {
    const work = decideRoom(room, home, memory, minuteOfDay);
    store(rooms, room.name, work.room);
    for (const [key, deviceMemory] of work.devices) store(devices, key, deviceMemory);
    decisions.push(toDecision(work));
  }

  const departureStartedAt = departureStarted ? now : input.away ? memory.departureStartedAt : undefined;
  const nextMemory: ClimateMemory = compact({ away: input.away, departureStartedAt, lastRainAt, rooms, devices });
  return { rooms: decisions, memory: nextMemory, rain: rain.rain, departureStarted, departureEnded };
}

/** When rain was last seen, while a rain hold of the longest allowed setting could still run. */
function rainHoldFrom(rain: boolean, now: number, previous: number | undefined): number | undefined {
  if (rain) return now;
  const longestHold = SETTINGS_RANGES.rainHoldMinutes.type === 'number' ? SETTINGS_RANGES.rainHoldMinutes.max : 0;
  return previous !== undefined && now - previous < longestHold * MINUTE_MS ? previous : undefined;
}

function decideRoom(room: RoomInput, home: HomeConditions, memory: ClimateMemory, minuteOfDay: number): RoomWork {
  const settings = room.settings;
  const ctx: RoomContext = {
    home,
    room,
    settings,
    sensor: sensorStatus(room.sensor, settings, home.now),
    quiet: isQuietTime(settings.quietHours, minuteOfDay),
  };
  const work: RoomWork = {
    ctx,
    devices: new Map(),
    room: { ...memory.rooms[room.name] },
    actions: [],
    blocked: [],
    notes: [],
    wanted: new Set(),
  };
  for (const device of [...room.windows, ...room.covers]) {
    const refreshed = refreshDeviceMemory(device, memory.devices[device.key] ?? {}, home.now, home.away);
    work.devices.set(device.key, refreshed.memory);
    if (refreshed.takenOver) note(work, `${device.name} was moved by someone else; the algorithm leaves it alone for ${settings.manualPauseMinutes} min`);
  }
  markDepartureCloses(work);
  repeatCloses(work);
  decideVentilation(work);
  decideHeatProtection(work);
  return work;
}

function toDecision(work: RoomWork): RoomDecision {
  const { room } = work.ctx;
  const owned = ownedWindows(work);
  const missing = guardsWithoutData(work.ctx.home, room);
  const state: RoomClimateState = {
    sensor: work.ctx.sensor,
    ...(missing.length > 0 && { guardsWithoutData: missing }),
    heatProtected: room.covers.filter((cover) => work.devices.get(cover.key)?.heatProtectedAt !== undefined).map((cover) => cover.key),
  };
  if (owned.length > 0 && work.room.airingReason !== undefined && work.room.airingSince !== undefined) {
    state.airing = { reason: work.room.airingReason, since: work.room.airingSince, windows: owned.map((window) => window.key) };
  }
  if (work.room.restUntil !== undefined) state.restUntil = work.room.restUntil;
  return {
    room: room.name,
    actions: work.actions,
    blocked: work.blocked,
    wanted: TRIGGER_CODES.filter((code) => work.wanted.has(code)),
    state,
    notes: work.notes,
  };
}

function store<T extends object>(table: Record<string, T>, key: string, value: T): void {
  const compacted = compact(value);
  if (isEmptyMemory(compacted)) delete table[key];
  else table[key] = compacted;
}
