/**
 * Per-room settings of the local climate control, their defaults and their allowed ranges.
 * The keys are the ones users write in the config file; the rules that use them are in
 * docs/climate-control.md.
 */

/** Local wall-clock times "HH:MM"; `end` before `start` means the quiet hours wrap midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

export interface RoomSettings {
  enabled: boolean;
  /** ppm */
  co2Max: number;
  /** ppm: airing for CO2 ends once CO2 is under co2Max − co2Hysteresis */
  co2Hysteresis: number;
  /** %RH */
  humidityMax: number;
  /** humidity must stay over humidityMax this long before opening (showers) */
  humidityDelayMinutes: number;
  /** CO2, humidity and heat must be over their limit on readings spanning this long (two readings at least) before opening: one outlier never opens */
  triggerConfirmMinutes: number;
  /** °C, lower end of the comfort band */
  temperatureMin: number;
  /** °C, upper end of the comfort band */
  temperatureMax: number;
  /** °C */
  coolingSetpoint: number;
  /** % open: how far the algorithm opens a window */
  ventilationPosition: number;
  minAiringMinutes: number;
  maxAiringMinutes: number;
  /** a new airing starts at the earliest this long after the previous one started; 0 = no minimum */
  airingIntervalMinutes: number;
  /** after rain was last reported, no automatic opening for this long; 0 = open again at once */
  rainHoldMinutes: number;
  /** 0 = no air recycling */
  airRecyclingIntervalHours: number;
  airRecyclingMinutes: number;
  /** °C, outdoor range in which opening is allowed */
  outdoorTemperatureMin: number;
  outdoorTemperatureMax: number;
  /** m/s */
  maxWindSpeed: number;
  manualPauseMinutes: number;
  quietHours?: QuietHours;
  heatProtection: boolean;
  /** % open the covers are closed to against heat */
  heatProtectionPosition: number;
  /** lux */
  heatProtectionLux: number;
  departureCloseWindows: boolean;
  departureCloseCovers: boolean;
  sensorStaleMinutes: number;
}

export const DEFAULT_ROOM_SETTINGS: Readonly<RoomSettings> = Object.freeze({
  enabled: true,
  co2Max: 1150,
  co2Hysteresis: 400,
  humidityMax: 70,
  humidityDelayMinutes: 15,
  triggerConfirmMinutes: 2,
  temperatureMin: 17,
  temperatureMax: 26,
  coolingSetpoint: 23,
  ventilationPosition: 25,
  minAiringMinutes: 5,
  maxAiringMinutes: 30,
  airingIntervalMinutes: 60,
  rainHoldMinutes: 15,
  airRecyclingIntervalHours: 3,
  airRecyclingMinutes: 10,
  outdoorTemperatureMin: 4,
  outdoorTemperatureMax: 30,
  maxWindSpeed: 8,
  manualPauseMinutes: 60,
  heatProtection: true,
  heatProtectionPosition: 10,
  heatProtectionLux: 20000,
  departureCloseWindows: true,
  departureCloseCovers: false,
  sensorStaleMinutes: 15,
});

export type SettingRange =
  | { readonly type: 'boolean' }
  | { readonly type: 'number'; readonly min: number; readonly max: number; readonly integer: boolean; readonly unit: string }
  | { readonly type: 'quietHours' };

const number = (min: number, max: number, unit: string, integer = false): SettingRange => ({ type: 'number', min, max, integer, unit });
const boolean: SettingRange = { type: 'boolean' };

/**
 * One entry per settings key (the `-?` makes the compiler insist on it), so the config
 * validation and the settings form can be generated from, or checked against, this table.
 */
export const SETTINGS_RANGES: { readonly [K in keyof RoomSettings]-?: SettingRange } = Object.freeze({
  enabled: boolean,
  co2Max: number(400, 5000, 'ppm', true),
  co2Hysteresis: number(0, 1000, 'ppm', true),
  humidityMax: number(30, 95, '%'),
  humidityDelayMinutes: number(0, 120, 'min', true),
  triggerConfirmMinutes: number(1, 30, 'min', true),
  temperatureMin: number(5, 35, '°C'),
  temperatureMax: number(5, 35, '°C'),
  coolingSetpoint: number(15, 35, '°C'),
  ventilationPosition: number(1, 100, '%', true),
  minAiringMinutes: number(0, 60, 'min', true),
  maxAiringMinutes: number(1, 240, 'min', true),
  airingIntervalMinutes: number(0, 240, 'min', true),
  rainHoldMinutes: number(0, 120, 'min', true),
  airRecyclingIntervalHours: number(0, 24, 'h'),
  airRecyclingMinutes: number(1, 60, 'min', true),
  outdoorTemperatureMin: number(-30, 45, '°C'),
  outdoorTemperatureMax: number(-30, 45, '°C'),
  maxWindSpeed: number(0, 40, 'm/s'),
  manualPauseMinutes: number(0, 1440, 'min', true),
  quietHours: { type: 'quietHours' },
  heatProtection: boolean,
  heatProtectionPosition: number(0, 100, '%', true),
  heatProtectionLux: number(0, 200000, 'lx', true),
  departureCloseWindows: boolean,
  departureCloseCovers: boolean,
  sensorStaleMinutes: number(1, 240, 'min', true),
});

export const ROOM_SETTING_KEYS = Object.freeze(Object.keys(SETTINGS_RANGES) as (keyof RoomSettings)[]);

/**
 * What a config layer may override. `quietHours: null` removes quiet hours inherited from
 * the defaults; an `undefined` value keeps the default (so a half-filled form is harmless).
 */
export type RoomSettingsOverrides = { [K in Exclude<keyof RoomSettings, 'quietHours'>]?: RoomSettings[K] | undefined } & {
  quietHours?: QuietHours | null | undefined;
};

/** The config's `climate` block as far as room settings go (config/types.ts ClimateConfig). */
export interface ClimateSettingsConfig {
  defaults?: Record<string, unknown>;
  rooms?: ReadonlyArray<Record<string, unknown> & { room: string }>;
}

export interface ResolvedClimateSettings {
  /** Built-in defaults with the config's `climate.defaults` applied. */
  defaults: RoomSettings;
  /** Each `climate.rooms[]` entry resolved over the defaults, in config order. */
  rooms: Array<{ room: string; settings: RoomSettings }>;
  /** A room's settings: its own entry (validation refuses a room listed twice), else the defaults. */
  settingsFor(room: string | undefined): RoomSettings;
}

/** Per-room settings the way the platform, the CLI and validation all read them: built-in defaults, then `climate.defaults`, then the room's entry. */
export function resolveClimateSettings(climate: ClimateSettingsConfig | undefined): ResolvedClimateSettings {
  const defaults = resolveRoomSettings(DEFAULT_ROOM_SETTINGS, (climate?.defaults ?? {}) as RoomSettingsOverrides);
  const rooms = (climate?.rooms ?? []).map(({ room, ...overrides }) => ({ room, settings: resolveRoomSettings(defaults, overrides as RoomSettingsOverrides) }));
  const perRoom = new Map<string, RoomSettings>();
  for (const { room, settings } of rooms) perRoom.set(room, settings);
  return { defaults, rooms, settingsFor: (room) => (room !== undefined ? perRoom.get(room) : undefined) ?? defaults };
}

export function resolveRoomSettings(defaults: Readonly<RoomSettings>, overrides: Readonly<RoomSettingsOverrides> = {}): RoomSettings {
  const resolved: RoomSettings = { ...defaults };
  if (defaults.quietHours) resolved.quietHours = { ...defaults.quietHours };
  for (const key of ROOM_SETTING_KEYS) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (key === 'quietHours') {
      if (value === null) delete resolved.quietHours;
      else resolved.quietHours = { ...(value as QuietHours) };
      continue;
    }
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}

/** Minutes after midnight for "HH:MM" (00:00–23:59), or undefined when it is not such a time. */
export function parseClockTime(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

export interface SettingsProblem {
  key: keyof RoomSettings;
  message: string;
}

/** Range, type and cross-field problems, each with a message a user can act on. */
export function checkRoomSettings(settings: Readonly<RoomSettings>): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const values = settings as unknown as Record<string, unknown>;
  for (const key of ROOM_SETTING_KEYS) {
    const range = SETTINGS_RANGES[key];
    const value = values[key];
    if (range.type === 'boolean') {
      if (typeof value !== 'boolean') problems.push({ key, message: `${key} must be true or false` });
    } else if (range.type === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        problems.push({ key, message: `${key} must be a number` });
      } else if (value < range.min || value > range.max) {
        problems.push({ key, message: `${key} must be between ${range.min} and ${range.max} ${range.unit} (is ${value})` });
      } else if (range.integer && !Number.isInteger(value)) {
        problems.push({ key, message: `${key} must be a whole number (is ${value})` });
      }
    } else if (value !== undefined) {
      const quiet = value as Partial<QuietHours>;
      const start = typeof quiet.start === 'string' ? parseClockTime(quiet.start) : undefined;
      const end = typeof quiet.end === 'string' ? parseClockTime(quiet.end) : undefined;
      if (start === undefined || end === undefined) {
        problems.push({ key, message: 'quietHours needs start and end as "HH:MM" (24 h)' });
      } else if (start === end) {
        problems.push({ key, message: 'quietHours start and end are equal; leave quietHours out for none' });
      }
    }
  }
  const pairs: [keyof RoomSettings, keyof RoomSettings, string][] = [
    ['temperatureMin', 'temperatureMax', 'temperatureMin must be below temperatureMax'],
    ['outdoorTemperatureMin', 'outdoorTemperatureMax', 'outdoorTemperatureMin must be below outdoorTemperatureMax'],
  ];
  for (const [low, high, message] of pairs) {
    if (typeof values[low] === 'number' && typeof values[high] === 'number' && (values[low] as number) >= (values[high] as number)) {
      problems.push({ key: low, message });
    }
  }
  if (settings.minAiringMinutes > settings.maxAiringMinutes) {
    problems.push({ key: 'minAiringMinutes', message: 'minAiringMinutes must not be above maxAiringMinutes' });
  }
  if (settings.co2Hysteresis >= settings.co2Max) {
    problems.push({ key: 'co2Hysteresis', message: 'co2Hysteresis must be below co2Max' });
  }
  return problems;
}
