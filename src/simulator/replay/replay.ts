/**
 * Replays an indoor trace (trace.ts) through the real climate controller, in process, on a
 * manual clock (a day takes about a second), closed loop with a small airing model:
 *
 * The trace says what the room's sensor read with its windows shut. Airing takes something away
 * from that: for each quantity X (CO2, humidity, temperature) the replay keeps a deficit D, and
 * the sensor reads X_trace − D. With the windows adding λw air changes an hour (the simulator's
 * 8 per fully open window, src/simulator/climate.ts) and the room pulling D back at k0 an hour
 * (what a closed room does anyway: 0.3 air changes for CO2; 0.3 + 0.5 absorption for humidity;
 * 8 an hour for the temperature, the room's walls, furniture and heating holding it),
 *
 *     dD/dt = −(k0 + λw)·D + λw·(X_trace − X_outdoor)
 *
 * solved exactly minute by minute with the windows as they stand at the start of the minute.
 * It follows from one well-mixed room whose closed-window behaviour is the trace itself, so a
 * recorded trace's noise, outliers and occupancy come through unchanged; only the airing is
 * modelled. Outdoor air: 420 ppm CO2, 45 %RH-equivalent, the trace's outdoor temperature.
 *
 * The plugin's own parts run as in Homebridge: the Home model, the command path and the
 * ClimateController with its 200 ms coalescing and one-minute evaluations, against an in-memory
 * gateway whose windows move at once and close themselves in rain when they have a rain sensor.
 */
import { EventEmitter } from 'node:events';
import { ClimateController, type ClimateHistoryEntry, type ClimateStore } from '../../climate/controller.js';
import { EMPTY_CLIMATE_MEMORY } from '../../climate/memory.js';
import { DEFAULT_ROOM_SETTINGS, type RoomSettings } from '../../climate/settings.js';
import type { ClimateMemory } from '../../climate/types.js';
import type { CommandResult, CommandSource, DeviceCommand, DeviceState, Gateway, GatewayEvents } from '../../gateway/types.js';
import { Home } from '../../home/model.js';
import { silentLogger } from '../../logger.js';
import { airChangesPerHour, BASE_HUMIDITY, HUMIDITY_ABSORPTION_PER_H, OUTDOOR_CO2_PPM } from '../climate.js';
import { ManualClock } from '../clock.js';
import type { Trace } from './trace.js';

const MINUTE = 60_000;
/** The replay's calendar: 2026-03-02 00:00 UTC (read as local time), a Monday in spring. */
export const REPLAY_START = Date.UTC(2026, 2, 2, 0, 0);

export const AIRING_MODEL = {
  backgroundAirChangesPerH: airChangesPerHour(0),
  /** Air changes an hour per fully open window (a window at 25 % adds a quarter). */
  windowAirChangesPerH: airChangesPerHour(1) - airChangesPerHour(0),
  humidityAbsorptionPerH: HUMIDITY_ABSORPTION_PER_H,
  /** How fast the room's mass and heating bring the air temperature back (per hour). */
  temperatureRecoveryPerH: 8,
  outdoorCo2Ppm: OUTDOOR_CO2_PPM,
  outdoorHumidity: BASE_HUMIDITY,
} as const;

export interface ReplayOptions {
  /** Room settings (default: the built-in defaults). */
  settings?: Partial<RoomSettings>;
  /** Windows in the room (default 2, the first with a rain sensor). */
  windows?: number;
  /** Outdoor temperature where the trace has none (default 12 °C). */
  outdoor?: number;
  /** Wind speed reported by the weather (default 2 m/s). */
  windSpeed?: number;
  /** No climate control at all: the trace as recorded (the baseline). */
  noControl?: boolean;
  /** Count openings this many minutes after rain (default: the settings' `rainHoldMinutes`). */
  rainHoldMinutes?: number;
}

export interface ReplayOpening {
  minute: number;
  window: string;
  trigger: string;
  /** Readings over `co2Max` in a row up to the opening (CO2 airings only). */
  co2ReadingsOver?: number;
}

export interface ReplayResult {
  minutes: number;
  days: number;
  /** One entry per sensor reading the controller saw. */
  readings: { minute: number; co2: number; temperature: number; humidity: number }[];
  openings: ReplayOpening[];
  closes: { minute: number; window: string; trigger: string; reading: { co2: number; temperature: number } }[];
  /** Climate openings per window per day (each window counted, averaged over windows). */
  openingsPerWindowPerDay: number;
  /** Airings per day (a start of an airing opens all the room's windows at once). */
  airingsPerDay: number;
  minutesOver1150: number;
  minutesOver1400: number;
  /** CO2 airings whose only reading over `co2Max` was the one before the opening. */
  outlierAirings: number;
  /** Window openings less than `rainHoldMinutes` (the option, else the setting) after a minute with rain. */
  openingsInRainHold: number;
  history: ClimateHistoryEntry[];
}

const ROOM = 'Bedroom';

/** An in-memory gateway: the room's windows and its sensor; windows move when told. */
class ReplayGateway extends EventEmitter<GatewayEvents> implements Gateway {
  readonly key = 'replay';
  readonly name = 'Replay';
  readonly online = true;
  readonly positions: number[];
  private rain = false;

  constructor(
    private readonly windows: number,
    private readonly onCommand: (index: number, position: number) => void,
  ) {
    super();
    this.positions = Array.from({ length: windows }, () => 0);
  }

  async start(): Promise<void> {
    this.emit('online', true);
    this.emit('devices', [
      ...this.positions.map((_, index) => ({
        id: `window-${index + 1}`,
        type: 'window' as const,
        name: `${ROOM} window ${index + 1}`,
        room: ROOM,
        features: { rainSensor: index === 0 },
      })),
      { id: 'sensor', type: 'sensor' as const, name: `${ROOM} sensor`, room: ROOM, features: { measures: ['temperature', 'humidity', 'co2'] } },
    ]);
    this.positions.forEach((_, index) => this.report(index));
  }

  async stop(): Promise<void> {}

  refresh(): void {}

  async send(deviceId: string, command: DeviceCommand, _source: CommandSource): Promise<CommandResult> {
    const index = Number(/^window-(\d+)$/.exec(deviceId)?.[1]) - 1;
    if (!(index >= 0 && index < this.windows) || !('position' in command)) return { ok: false, error: 'unknown_device', message: `no ${deviceId}` };
    this.positions[index] = command.position;
    this.onCommand(index, command.position);
    this.report(index);
    return { ok: true };
  }

  reading(state: DeviceState): void {
    this.emit('state', 'sensor', state);
  }

  weather(temperature: number, windSpeed: number, rain: boolean): void {
    if (rain && !this.rain) {
      // The first window's rain sensor closes it (hardware, no command).
      if ((this.positions[0] ?? 0) > 0) this.positions[0] = 0;
    }
    this.rain = rain;
    this.emit('weather', { temperature, windSpeed, rain });
    this.report(0);
  }

  private report(index: number): void {
    const position = this.positions[index] ?? 0;
    const state: DeviceState = { position, target: position, motion: 'stopped' };
    if (index === 0) state.rain = this.rain;
    this.emit('state', `window-${index + 1}`, state);
  }
}

/** Exact step of dD/dt = −(k0 + λw)·D + λw·drive over `hours`. */
function stepDeficit(deficit: number, k0: number, windowRate: number, drive: number, hours: number): number {
  const rate = k0 + windowRate;
  const equilibrium = rate > 0 ? (windowRate * drive) / rate : 0;
  return equilibrium + (deficit - equilibrium) * Math.exp(-rate * hours);
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Play the trace through the controller (or without one) and measure what the room got. */
export async function replay(trace: Trace, options: ReplayOptions = {}): Promise<ReplayResult> {
  const settings: RoomSettings = { ...DEFAULT_ROOM_SETTINGS, ...options.settings };
  const windows = options.windows ?? 2;
  const clock = new ManualClock();
  clock.advance(REPLAY_START);
  const first = trace.rows[0]?.minute ?? 0;
  const minuteOf = (at: number) => (at - REPLAY_START) / MINUTE + first;

  const openings: ReplayOpening[] = [];
  const closes: ReplayResult['closes'] = [];
  const readings: ReplayResult['readings'] = [];
  let co2Over = 0;
  const gateway = new ReplayGateway(windows, () => undefined);
  const home = new Home({ log: silentLogger, now: () => clock.now() });
  home.addGateway(gateway);
  await gateway.start();

  let memory: ClimateMemory = EMPTY_CLIMATE_MEMORY;
  let history: ClimateHistoryEntry[] = [];
  const store: ClimateStore = {
    memory,
    history,
    saveMemory: (m) => void (memory = m),
    saveHistory: (h) => void (history = h),
  };
  const controller = options.noControl
    ? undefined
    : new ClimateController({ home, log: silentLogger, store, settingsFor: () => settings, historyDays: 1000, clock, timeZoneOffsetMinutes: () => 0 });
  home.on('commandIssued', (device, command, source) => {
    if (source !== 'climate' || !('position' in command)) return;
    const decision = controller?.lastDecisions?.rooms.find((room) => room.room === ROOM);
    const action = decision?.actions.find((a) => a.explanation.includes(device.descriptor.name));
    const trigger = action?.reason ?? 'unknown';
    const minute = minuteOf(clock.now());
    const last = readings.at(-1);
    if (command.position > 0) {
      openings.push({ minute, window: device.descriptor.name, trigger, ...(trigger === 'co2' && { co2ReadingsOver: co2Over }) });
    } else if (last) {
      closes.push({ minute, window: device.descriptor.name, trigger, reading: { co2: last.co2, temperature: last.temperature } });
    }
  });
  controller?.start();

  const deficit = { co2: 0, humidity: 0, temperature: 0 };
  let lastRainMinute: number | undefined;
  let openingsInRainHold = 0;
  const openingsBefore = () => openings.length;
  const rows = trace.rows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const next = rows[i + 1];
    const stepMs = Math.max(1, Math.round(((next?.minute ?? row.minute + 1) - row.minute) * MINUTE));
    const outdoor = row.outdoor ?? options.outdoor ?? 12;
    const rain = row.rain === true;
    if (rain) lastRainMinute = row.minute;
    gateway.weather(outdoor, options.windSpeed ?? 2, rain);

    const reading = {
      co2: Math.round(row.co2 - deficit.co2),
      temperature: Number((row.temperature - deficit.temperature).toFixed(2)),
      humidity: Number((row.humidity - deficit.humidity).toFixed(1)),
    };
    co2Over = reading.co2 > settings.co2Max ? co2Over + 1 : 0;
    readings.push({ minute: row.minute, ...reading });
    const before = openingsBefore();
    gateway.reading(reading);
    // The coalesced evaluation (200 ms) and its commands, then the rest of the interval with
    // the controller's own one-minute evaluations.
    clock.advance(Math.min(1000, stepMs));
    for (let k = 0; k < 4; k++) await settle();
    if (stepMs > 1000) {
      clock.advance(stepMs - 1000);
      for (let k = 0; k < 4; k++) await settle();
    }
    for (const opening of openings.slice(before)) {
      if (lastRainMinute !== undefined && opening.minute - lastRainMinute < (options.rainHoldMinutes ?? settings.rainHoldMinutes)) openingsInRainHold++;
    }

    // The airing model over this interval, with the windows as they stood after the reading.
    const opening = gateway.positions.reduce((sum, position) => sum + position / 100, 0);
    const windowRate = AIRING_MODEL.windowAirChangesPerH * opening;
    const hours = stepMs / 3_600_000;
    const m = AIRING_MODEL;
    deficit.co2 = stepDeficit(deficit.co2, m.backgroundAirChangesPerH, windowRate, row.co2 - m.outdoorCo2Ppm, hours);
    deficit.humidity = stepDeficit(deficit.humidity, m.backgroundAirChangesPerH + m.humidityAbsorptionPerH, windowRate, row.humidity - m.outdoorHumidity, hours);
    deficit.temperature = stepDeficit(deficit.temperature, m.backgroundAirChangesPerH + m.temperatureRecoveryPerH, windowRate, row.temperature - outdoor, hours);
  }
  controller?.stop();
  await home.stop();

  const last = rows.at(-1)!;
  const minutes = last.minute - first + 1;
  const days = minutes / 1440;
  // Minutes over a level: each reading stands for the time until the next one.
  const over = (level: number) =>
    readings.reduce((sum, r, index) => sum + (r.co2 > level ? (readings[index + 1]?.minute ?? r.minute + 1) - r.minute : 0), 0);
  const starts = new Set(openings.map((o) => o.minute));
  return {
    minutes,
    days,
    readings,
    openings,
    closes,
    openingsPerWindowPerDay: openings.length / windows / days,
    airingsPerDay: starts.size / days,
    minutesOver1150: Math.round(over(1150)),
    minutesOver1400: Math.round(over(1400)),
    outlierAirings: new Set(openings.filter((o) => o.co2ReadingsOver === 1).map((o) => o.minute)).size,
    openingsInRainHold,
    history,
  };
}
