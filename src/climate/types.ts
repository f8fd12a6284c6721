/**
 * What the climate policy reads and what it decides. Everything here is plain data (JSON
 * serialisable), so the controller can persist the memory and log the decisions as they are.
 */
import type { CoverType, Motion, Weather } from '../gateway/types.js';
import type { RoomSettings } from './settings.js';

export const TRIGGER_CODES = [
  'co2',
  'humidity',
  'heat',
  'air_recycling',
  'heat_protection',
  'departure',
  'comfort_reached',
  'max_airing',
  'too_cold',
] as const;
export type TriggerCode = (typeof TRIGGER_CODES)[number];

/** The triggers that open windows to air a room. */
export type AiringTrigger = Extract<TriggerCode, 'co2' | 'humidity' | 'heat' | 'air_recycling'>;

export const GUARD_CODES = [
  'away',
  'rain',
  'wind',
  'outdoor_temperature',
  'sensor_stale',
  'sensor_offline',
  'gateway_offline',
  'device_unreachable',
  'obstructed',
  'manual_pause',
  'quiet_hours',
  'disabled',
] as const;
export type GuardCode = (typeof GUARD_CODES)[number];

/** The room's climate sensor as last reported; undefined values are unknown. */
export interface SensorReading {
  temperature?: number;
  humidity?: number;
  co2?: number;
  lux?: number;
  /** When the last reading arrived (ms since epoch, same clock as `now`). */
  updatedAt?: number;
  reachable: boolean;
}

/** A window or cover (blind, shutter, awning) as last reported. Positions: 0 closed … 100 fully open. */
export interface ClimateDevice {
  /** Stable key used for commands and memory (unique across gateways). */
  key: string;
  /** Display name for explanations, e.g. "Kitchen window". */
  name: string;
  type: CoverType;
  position?: number;
  target?: number;
  motion?: Motion;
  rain?: boolean;
  obstructed?: boolean;
  reachable: boolean;
  rainSensor: boolean;
}

export interface RoomInput {
  name: string;
  settings: RoomSettings;
  /** Undefined when the room has no sensor. */
  sensor?: SensorReading;
  windows: readonly ClimateDevice[];
  /** Blinds, shutters and awnings. */
  covers: readonly ClimateDevice[];
}

/** What the algorithm remembers about one window or cover between evaluations. */
export interface DeviceMemory {
  /** Last command to this device from anyone but the climate algorithm (manual use). */
  lastManualAt?: number;
  /** The algorithm opened this window at this time, to `autoOpenedTo` %; it owns it until it closed it or a person took over. */
  autoOpenedAt?: number;
  autoOpenedTo?: number;
  /** The algorithm wants this device closed since then (end of airing, or departure) and repeats the command until it is seen closed. */
  closingSince?: number;
  closingReason?: TriggerCode;
  /** Heat protection moved this cover at this time from `heatProtectedFrom` to `heatProtectedTo` %. */
  heatProtectedAt?: number;
  heatProtectedFrom?: number;
  heatProtectedTo?: number;
}

/** What the algorithm remembers about one room between evaluations. */
export interface RoomMemory {
  /** Humidity has been over the maximum on every fresh reading since the reading taken then. */
  humidityHighSince?: number;
  /** CO2 has been over the maximum on every fresh reading since the reading taken then. */
  co2HighSince?: number;
  /** The room has been over the cooling setpoint on every fresh reading since the reading taken then. */
  heatSince?: number;
  /** Start of the last airing of this room (any reason); the next starts `airingIntervalMinutes` later at the earliest. */
  lastAiringAt?: number;
  /** Start of the last airing of this room (any reason); air recycling counts from here. */
  lastAirRecyclingAt?: number;
  /** The current airing (while the algorithm has a window of this room open). */
  airingReason?: AiringTrigger;
  airingSince?: number;
  /** After an airing hit the maximum airing time, no new airing starts before this. */
  restUntil?: number;
}

export interface ClimateMemory {
  /** Home mode at the previous evaluation; undefined before the first one. */
  away?: boolean;
  /** When the current departure started (while away). */
  departureStartedAt?: number;
  /** The last evaluation that saw rain (kept while a rain hold may still run). */
  lastRainAt?: number;
  rooms: Readonly<Record<string, RoomMemory>>;
  devices: Readonly<Record<string, DeviceMemory>>;
}

export interface PolicyInput {
  /** The injected clock, ms since epoch. */
  now: number;
  /** Local time minus UTC at `now`, in minutes (e.g. 120 for CEST); used for quiet hours. */
  timeZoneOffsetMinutes: number;
  away: boolean;
  gatewayOnline: boolean;
  /** Outdoor weather if any source provides it. */
  weather?: Weather;
  rooms: readonly RoomInput[];
  memory: ClimateMemory;
}

export interface ClimateAction {
  deviceKey: string;
  command: { position: number };
  reason: TriggerCode;
  /** e.g. "Kitchen: opening Kitchen window to 25 % — CO2 1320 ppm over 1150" */
  explanation: string;
}

export interface BlockedAction {
  /** Undefined when the guard holds for the whole room. */
  deviceKey?: string;
  wanted: TriggerCode;
  guard: GuardCode;
  detail: string;
  explanation: string;
}

export interface AiringState {
  reason: AiringTrigger;
  since: number;
  /** Keys of the windows the algorithm has open in this room. */
  windows: string[];
}

export type SensorStatus = 'fresh' | 'stale' | 'offline';

/** The guards that depend on outdoor data (weather, a window's rain sensor). */
export type WeatherGuardCode = Extract<GuardCode, 'rain' | 'wind' | 'outdoor_temperature'>;

export interface RoomClimateState {
  sensor: SensorStatus;
  /**
   * Weather guards that have no data for this room (no gateway reports that part of the
   * weather; for rain, no window of the room has a rain sensor either): they cannot block
   * anything. Absent when every weather guard has data.
   */
  guardsWithoutData?: WeatherGuardCode[];
  airing?: AiringState;
  /** Keys of the covers heat protection has closed. */
  heatProtected: string[];
  restUntil?: number;
}

export interface RoomDecision {
  room: string;
  actions: ClimateAction[];
  blocked: BlockedAction[];
  /** Every trigger that wanted something this evaluation, acted on or blocked. */
  wanted: TriggerCode[];
  state: RoomClimateState;
  /** Why nothing happens where a user might expect something (holding, resting, too cold). */
  notes: string[];
}

export interface PolicyOutput {
  rooms: RoomDecision[];
  /** The memory to keep for the next evaluation (replaces the one passed in). */
  memory: ClimateMemory;
  /** Rain anywhere: weather, or any window's rain sensor in any room. */
  rain: boolean;
  departureStarted: boolean;
  departureEnded: boolean;
}
