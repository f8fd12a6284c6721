/** Small builders for policy inputs, so each example states only what matters to it. */
import { DEFAULT_ROOM_SETTINGS, resolveRoomSettings, type RoomSettingsOverrides } from '../../src/climate/settings.js';
import { EMPTY_CLIMATE_MEMORY } from '../../src/climate/memory.js';
import { evaluate } from '../../src/climate/policy.js';
import type { ClimateDevice, ClimateMemory, PolicyInput, PolicyOutput, RoomDecision, RoomInput, SensorReading } from '../../src/climate/types.js';

export const MINUTE = 60_000;
/** Saturday 1 June 2024, 12:00 UTC. */
export const NOON = Date.UTC(2024, 5, 1, 12, 0);

export function window(name = 'Kitchen window', overrides: Partial<ClimateDevice> = {}): ClimateDevice {
  return { key: name.toLowerCase().replace(/ /g, '-'), name, type: 'window', position: 0, target: 0, motion: 'stopped', reachable: true, rainSensor: true, rain: false, ...overrides };
}

export function blind(name = 'Kitchen blind', overrides: Partial<ClimateDevice> = {}): ClimateDevice {
  return { key: name.toLowerCase().replace(/ /g, '-'), name, type: 'blind', position: 100, target: 100, motion: 'stopped', reachable: true, rainSensor: false, ...overrides };
}

export function sensor(overrides: Partial<SensorReading> = {}, now = NOON): SensorReading {
  return { temperature: 21, humidity: 45, co2: 700, updatedAt: now, reachable: true, ...overrides };
}

export interface RoomOptions {
  name?: string;
  settings?: RoomSettingsOverrides;
  sensor?: SensorReading | undefined;
  windows?: ClimateDevice[];
  covers?: ClimateDevice[];
}

export function room(options: RoomOptions = {}): RoomInput {
  const result: RoomInput = {
    name: options.name ?? 'Kitchen',
    settings: resolveRoomSettings(DEFAULT_ROOM_SETTINGS, options.settings ?? {}),
    windows: options.windows ?? [window()],
    covers: options.covers ?? [],
  };
  const roomSensor = 'sensor' in options ? options.sensor : sensor();
  if (roomSensor) result.sensor = roomSensor;
  return result;
}

/**
 * A memory as after evaluations at home (so departure can start) in which the Kitchen's
 * readings had been over the CO2 maximum and the cooling setpoint for a day: a reading over
 * them at noon is a confirmed trigger, one under them ends the run. The confirmation itself is
 * tested in policy.test.ts ("confirmation").
 */
export const CONFIRMED_SINCE = NOON - 24 * 60 * MINUTE;
export const HOME_MEMORY: ClimateMemory = {
  ...EMPTY_CLIMATE_MEMORY,
  away: false,
  rooms: { Kitchen: { co2HighSince: CONFIRMED_SINCE, heatSince: CONFIRMED_SINCE } },
};

export function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    now: NOON,
    timeZoneOffsetMinutes: 0,
    away: false,
    gatewayOnline: true,
    weather: { temperature: 15, windSpeed: 2, rain: false },
    rooms: [room()],
    memory: HOME_MEMORY,
    ...overrides,
  };
}

export function onlyRoom(output: PolicyOutput): RoomDecision {
  const decision = output.rooms[0];
  if (!decision) throw new Error('no room in output');
  return decision;
}

export function evaluateRoom(overrides: Partial<PolicyInput> = {}): RoomDecision {
  return onlyRoom(evaluate(input(overrides)));
}
