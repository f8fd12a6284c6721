/**
 * Feeds the pure policy from the home and carries out its decisions: evaluates on every
 * relevant change (coalesced) and at least once a minute, sends commands through the home's
 * command path tagged `climate`, records every other command to a window or cover as manual
 * use (a pause for that device), persists the policy's memory so a restart never strands an
 * auto-opened window, explains each action in the log, and keeps a bounded decision history.
 */
import type { Clock, Cancel } from '../clock.js';
import { systemClock } from '../clock.js';
import type { DeviceType } from '../gateway/types.js';
import { Subscriptions } from '../events.js';
import type { Home, HomeDevice, HomeEvents, Room } from '../home/model.js';
import type { Logger } from '../logger.js';
import { recordManualCommand } from './memory.js';
import { evaluate } from './policy.js';
import type { RoomSettings } from './settings.js';
import type { AiringTrigger, BlockedAction, ClimateDevice, ClimateMemory, PolicyOutput, RoomInput, WeatherGuardCode } from './types.js';

/** What each device kind is to the climate algorithm: a room's sensor, a window to air with, a cover against heat. */
type ClimateRole = 'sensor' | 'window' | 'cover' | 'none';
const CLIMATE_ROLE: Record<DeviceType, ClimateRole> = {
  window: 'window',
  blind: 'cover',
  shutter: 'cover',
  awning: 'cover',
  sensor: 'sensor',
  departure_switch: 'none',
};

export interface ClimateHistoryEntry {
  at: number;
  room: string;
  kind: 'action' | 'blocked';
  /** The trigger (action reason, or what was wanted when blocked). */
  trigger: string;
  guard?: string;
  device?: string;
  text: string;
}

/** Where the controller keeps what must survive a restart (see climate/store.ts). */
export interface ClimateStore {
  memory: ClimateMemory;
  saveMemory(memory: ClimateMemory): void;
  history: ClimateHistoryEntry[];
  saveHistory(history: ClimateHistoryEntry[]): void;
}

export interface ClimateControllerOptions {
  home: Home;
  log: Logger;
  store: ClimateStore;
  /** Resolved settings of a room (config defaults + per-room overrides). */
  settingsFor: (room: string) => RoomSettings;
  /** Days of history to keep; 0 keeps none. */
  historyDays: number;
  clock?: Clock;
  /** At least one evaluation this often (default one minute). */
  intervalMs?: number;
  /** Changes arriving within this window are evaluated together (default 200 ms). */
  coalesceMs?: number;
  /** How long memory changes wait before they are written together (default one second). */
  saveDelayMs?: number;
  /** How often the history is written at most (default one minute); it is also written on stop. */
  historyFlushMs?: number;
  timeZoneOffsetMinutes?: (now: number) => number;
}

/**
 * What makes the "ventilation blocked" sensor trip: a room that needs air (CO2, humidity, heat)
 * and cannot get it. Routine air recycling, the user's own "off" and quiet hours are choices or
 * routine, not news: they would make the sensor trip every night.
 */
const NEEDS_AIR: ReadonlySet<string> = new Set<AiringTrigger>(['co2', 'humidity', 'heat']);
const NOT_NEWS: ReadonlySet<string> = new Set(['disabled', 'quiet_hours']);
const MAX_HISTORY_ENTRIES = 20_000;
const GUARD_WORDS: Record<WeatherGuardCode, string> = { rain: 'rain', wind: 'wind', outdoor_temperature: 'outdoor-temperature' };

/** "a", "a and b", "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export class ClimateController {
  private readonly home: Home;
  private readonly log: Logger;
  private readonly clock: Clock;
  private memory: ClimateMemory;
  private savedMemory: string;
  private history: ClimateHistoryEntry[];
  private historyDirty = false;
  private readonly activeBlocks = new Map<string, Set<string>>();
  private readonly guardsWithoutData = new Map<string, string>();
  private readonly roomEnabled = new Map<string, boolean>();
  private readonly cancels: Cancel[] = [];
  private readonly listeners: Subscriptions<HomeEvents>;
  private pending?: Cancel;
  private pendingSave?: Cancel;
  private running = false;
  private lastOutput?: PolicyOutput;

  constructor(private readonly options: ClimateControllerOptions) {
    this.home = options.home;
    this.listeners = new Subscriptions(this.home);
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.memory = options.store.memory;
    this.savedMemory = JSON.stringify(this.memory);
    // Apply the retention at start-up too, not only when new entries are written.
    this.history = pruneHistory(options.store.history, options.historyDays, this.clock.now());
    if (this.history.length !== options.store.history.length) options.store.saveHistory(this.history);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const on = this.listeners.on.bind(this.listeners);
    const soon = () => this.scheduleEvaluation();
    on('state', soon);
    on('reachability', soon);
    on('mode', soon);
    on('weather', soon);
    on('gatewayOnline', soon);
    on('devicesChanged', soon);
    on('roomClimate', (room, status) => {
      // Our own "blocked" updates also arrive here; only the user's on/off matters.
      if (this.roomEnabled.get(room) !== status.enabled) soon();
    });
    on('commandIssued', (device, _command, source) => {
      // Any other source's command to a window or cover is manual use (a pause for that device).
      const role = CLIMATE_ROLE[device.descriptor.type];
      if (source === 'climate' || (role !== 'window' && role !== 'cover')) return;
      this.memory = recordManualCommand(this.memory, device.key, this.clock.now());
      this.scheduleSave();
    });
    this.cancels.push(this.clock.every(this.options.intervalMs ?? 60_000, () => this.evaluateNow()));
    this.cancels.push(this.clock.every(this.options.historyFlushMs ?? 60_000, () => this.flushHistory()));
    this.scheduleEvaluation();
  }

  stop(): void {
    this.running = false;
    this.pending?.();
    this.pending = undefined;
    this.pendingSave?.();
    this.pendingSave = undefined;
    for (const c of this.cancels.splice(0)) c();
    this.listeners.clear();
    this.persistMemory();
    this.flushHistory();
  }

  /** The decisions of the last evaluation (for the CLI and tests). */
  get lastDecisions(): PolicyOutput | undefined {
    return this.lastOutput;
  }

  historyOf(room?: string): ClimateHistoryEntry[] {
    return room ? this.history.filter((h) => h.room === room) : [...this.history];
  }

  private scheduleEvaluation(): void {
    if (!this.running || this.pending) return;
    this.pending = this.clock.after(this.options.coalesceMs ?? 200, () => {
      this.pending = undefined;
      this.evaluateNow();
    });
  }

  /** One evaluation: build the input, decide, act. Never throws (it runs from timers). */
  evaluateNow(): PolicyOutput | undefined {
    if (!this.running) return undefined;
    try {
      const now = this.clock.now();
      const rooms = this.home.rooms().filter((r) => r.climateCapable).map((r) => this.roomInput(r));
      const output = evaluate({
        now,
        timeZoneOffsetMinutes: (this.options.timeZoneOffsetMinutes ?? defaultOffset)(now),
        away: this.home.away,
        gatewayOnline: this.home.gatewayKeys.every((k) => this.home.gatewayOnline(k)),
        weather: this.home.weather,
        rooms,
        memory: this.memory,
      });
      this.lastOutput = output;
      this.memory = output.memory;
      this.scheduleSave();
      this.act(output, now);
      return output;
    } catch (err) {
      this.log.error(`Climate control: evaluation failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private roomInput(room: Room): RoomInput {
    const enabled = this.home.roomClimate(room.name).enabled;
    this.roomEnabled.set(room.name, enabled);
    // The config's `enabled` is only the default of the room's switch (Home applies it); the
    // switch, once used, is the user's word.
    const settings = { ...this.options.settingsFor(room.name), enabled };
    const withRole = (role: ClimateRole) => room.devices.filter((d) => CLIMATE_ROLE[d.descriptor.type] === role);
    const sensorDevice = withRole('sensor')[0];
    const toClimateDevice = (d: HomeDevice): ClimateDevice => ({
      key: d.key,
      name: d.descriptor.name,
      type: d.descriptor.type as ClimateDevice['type'],
      ...(d.reachable ? pick(d.state) : {}),
      reachable: d.reachable,
      rainSensor: d.descriptor.features.rainSensor === true,
    });
    return {
      name: room.name,
      settings,
      sensor: sensorDevice
        ? {
            temperature: sensorDevice.state.temperature,
            humidity: sensorDevice.state.humidity,
            co2: sensorDevice.state.co2,
            lux: sensorDevice.state.lux,
            updatedAt: sensorDevice.stateUpdatedAt,
            reachable: sensorDevice.reachable,
          }
        : undefined,
      windows: withRole('window').map(toClimateDevice),
      covers: withRole('cover').map(toClimateDevice),
    };
  }

  private act(output: PolicyOutput, now: number): void {
    for (const room of output.rooms) {
      for (const action of room.actions) {
        this.log.info(action.explanation);
        this.record({ at: now, room: room.room, kind: 'action', trigger: action.reason, device: action.deviceKey, text: action.explanation });
        void this.home.command(action.deviceKey, action.command, 'climate').then((result) => {
          if (!result.ok) this.log.warn(`${action.explanation}: not done — ${result.message}`);
        });
      }
      this.reportBlocks(room.room, room.blocked, now);
      this.reportGuardsWithoutData(room.room, room.state.guardsWithoutData ?? []);
    }
  }

  /**
   * Says in the log, once per change, which weather guards have no data for a room (a gateway
   * without weather, e.g. the VELUX ACTIVE over HomeKit), and keeps it in the room's status.
   */
  private reportGuardsWithoutData(room: string, guards: readonly WeatherGuardCode[]): void {
    const text = guards.join(',');
    if (this.guardsWithoutData.get(room) === text) return;
    const first = !this.guardsWithoutData.has(room);
    this.guardsWithoutData.set(room, text);
    this.home.setRoomGuardsWithoutData(room, guards);
    if (guards.length > 0) {
      const sources = [
        ...(guards.some((g) => g !== 'rain') ? ['no gateway reports that weather'] : []),
        ...(guards.includes('rain') ? ['no window of the room reports rain'] : []),
      ];
      this.log.info(
        `${room}: no data for the ${listOf(guards.map((g) => GUARD_WORDS[g]))} guard${guards.length > 1 ? 's' : ''} (${sources.join('; ')}): they block nothing; airing on CO2 and humidity stays within the room's indoor limits`,
      );
    } else if (!first) {
      this.log.info(`${room}: every weather guard (rain, wind, outdoor temperature) has data again`);
    }
  }

  /** Logs a block once when it starts (not every minute) and drives the room's "blocked" status. */
  private reportBlocks(room: string, blocked: BlockedAction[], now: number): void {
    const previous = this.activeBlocks.get(room) ?? new Set<string>();
    const current = new Set<string>();
    for (const b of blocked) {
      const id = `${b.wanted}|${b.guard}|${b.deviceKey ?? ''}`;
      current.add(id);
      if (!previous.has(id)) {
        this.log.info(b.explanation);
        this.record({ at: now, room, kind: 'blocked', trigger: b.wanted, guard: b.guard, device: b.deviceKey, text: b.explanation });
      }
    }
    this.activeBlocks.set(room, current);
    const airingBlock = blocked.find((b) => NEEDS_AIR.has(b.wanted) && !NOT_NEWS.has(b.guard));
    this.home.setRoomVentilationBlocked(room, airingBlock ? { guard: airingBlock.guard, detail: airingBlock.detail } : undefined);
  }

  private record(entry: ClimateHistoryEntry): void {
    if (this.options.historyDays <= 0) return;
    this.history.push(Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as unknown as ClimateHistoryEntry);
    this.historyDirty = true;
  }

  private flushHistory(): void {
    if (this.options.historyDays <= 0 || !this.historyDirty) return;
    this.history = pruneHistory(this.history, this.options.historyDays, this.clock.now());
    this.options.store.saveHistory(this.history);
    this.historyDirty = false;
  }

  /**
   * Saves the memory soon, not now: the write (with fsync, ~1 ms here, more on an SD card) must
   * not sit in the command path, and a burst of changes is one write. A restart loses at most
   * the last `saveDelayMs`, far below any airing or pause time; stop() saves at once.
   */
  private scheduleSave(): void {
    this.pendingSave ??= this.clock.after(this.options.saveDelayMs ?? 1000, () => {
      this.pendingSave = undefined;
      this.persistMemory();
    });
  }

  private persistMemory(): void {
    const text = JSON.stringify(this.memory);
    if (text === this.savedMemory) return;
    this.savedMemory = text;
    this.options.store.saveMemory(this.memory);
  }
}

/** The entries a retention of `days` keeps (0 keeps none), newest last, at most 20,000. */
export function pruneHistory(entries: ClimateHistoryEntry[], days: number, now: number): ClimateHistoryEntry[] {
  if (days <= 0) return [];
  const oldest = now - days * 86_400_000;
  return entries.filter((h) => h.at >= oldest).slice(-MAX_HISTORY_ENTRIES);
}

function pick(state: HomeDevice['state']): Partial<ClimateDevice> {
  const out: Partial<ClimateDevice> = {};
  if (state.position !== undefined) out.position = state.position;
  if (state.target !== undefined) out.target = state.target;
  if (state.motion !== undefined) out.motion = state.motion;
  if (state.rain !== undefined) out.rain = state.rain;
  if (state.obstructed !== undefined) out.obstructed = state.obstructed;
  return out;
}

function defaultOffset(now: number): number {
  return -new Date(now).getTimezoneOffset();
}

