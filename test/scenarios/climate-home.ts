/**
 * The whole climate stack on one accelerated clock, for scenario tests: the simulated VELUX
 * home publishing over a real MQTT broker, the plugin's real MqttGateway and Home, and the
 * real ClimateController with its file store. Simulator physics, sensor timestamps, the
 * policy's decisions and the controller's timers all read the same DayClock, so "15 minutes"
 * means the same thing everywhere; only MQTT round trips run in real time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import { ClimateController, type ClimateStore } from '../../src/climate/controller.js';
import { DEFAULT_ROOM_SETTINGS, type RoomSettings } from '../../src/climate/settings.js';
import { openClimateStore } from '../../src/climate/store.js';
import { MqttGateway } from '../../src/gateway/mqtt/gateway.js';
import type { DeviceState } from '../../src/gateway/types.js';
import { Home } from '../../src/home/model.js';
import type { Logger } from '../../src/logger.js';
import { defaultLayout, ScaledClock, SimulatedHome, type HomeLayout, type SimWeather } from '../../src/simulator/index.js';
import { uniqueBaseTopic } from '../helpers/broker.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
/** 2026-06-01 06:00, read as local time (the controller is told the offset is 0). */
export const DAY_START = Date.UTC(2026, 5, 1, 6, 0, 0);

/**
 * A ScaledClock shifted so that `now()` reads as a calendar date: one instance is handed to
 * the simulator (a SimClock), the Home (`now`) and the controller (a Clock).
 */
export class DayClock implements Clock {
  private readonly scaled: ScaledClock;

  constructor(
    readonly timeScale: number,
    private readonly origin = DAY_START,
  ) {
    this.scaled = new ScaledClock(timeScale);
  }

  now(): number {
    return this.origin + this.scaled.now();
  }

  after(ms: number, fn: () => void): () => void {
    return this.scaled.after(ms, fn);
  }

  every(ms: number, fn: () => void): () => void {
    return this.scaled.every(ms, fn);
  }

  /** Wait this much simulated time. */
  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.after(simMs, resolve));
  }

  /** "HH:MM:SS" of a moment on this clock, for failure messages. */
  label(at = this.now()): string {
    return new Date(at).toISOString().slice(11, 19);
  }
}

/** A `/set` as the simulated gateway received it, stamped with the shared clock. */
export interface SeenCommand {
  at: number;
  deviceId: string;
  position?: number;
  away?: boolean;
  source?: string;
}

export interface LogLine {
  at: number;
  level: 'info' | 'warn' | 'error' | 'debug';
  message: string;
}

export interface ClimateDayOptions {
  brokerUrl: string;
  clock: DayClock;
  /** Change the default four-room house before it starts (initial states, occupancy). */
  layout?: (layout: HomeLayout) => void;
  weather?: Partial<SimWeather>;
  /** Per-room setting overrides on top of the defaults. */
  settings?: (room: string) => Partial<RoomSettings>;
  /** Simulated ms; changes within this window are evaluated together. */
  coalesceMs: number;
  echo?: boolean;
}

/** One "installation" of the plugin (Home + gateway + controller); a restart makes a new one. */
interface Plugin {
  gateway: MqttGateway;
  home: Home;
  controller: ClimateController;
  store: ClimateStore;
}

export class ClimateDay {
  readonly sim: SimulatedHome;
  readonly clock: DayClock;
  readonly baseTopic: string;
  /** Every `/set` the simulated gateway received, any source. */
  readonly commands: SeenCommand[] = [];
  readonly lines: LogLine[] = [];
  readonly log: Logger;
  readonly storageDir: string;
  /** Commands that arrived while a `forbid` rule matched them, as readable lines. */
  readonly violations: string[] = [];
  private readonly rules = new Set<{ what: string; match: (c: SeenCommand) => boolean }>();
  private plugin?: Plugin;

  private constructor(private readonly options: ClimateDayOptions) {
    this.clock = options.clock;
    this.baseTopic = uniqueBaseTopic('climate-day');
    this.storageDir = mkdtempSync(join(tmpdir(), 'climate-day-'));
    const record =
      (level: LogLine['level']) =>
      (message: string, ...params: unknown[]): void => {
        const text = [message, ...params.map(String)].join(' ');
        this.lines.push({ at: this.clock.now(), level, message: text });
        if (options.echo) console.log(`${this.clock.label()} [${level}] ${text}`);
      };
    this.log = { info: record('info'), warn: record('warn'), error: record('error'), debug: () => undefined };
    const layout = defaultLayout();
    options.layout?.(layout);
    this.sim = new SimulatedHome({
      url: options.brokerUrl,
      baseTopic: this.baseTopic,
      clock: this.clock,
      layout,
      weather: { temperature: 18, windSpeed: 2, rain: false, sunLux: 30_000, ...options.weather },
      seed: 7,
    });
    this.sim.on('command', (received) => {
      const seen: SeenCommand = { at: this.clock.now(), deviceId: received.deviceId, source: received.source };
      if (received.command && 'position' in received.command) seen.position = received.command.position;
      if (received.command && 'away' in received.command) seen.away = received.command.away;
      this.commands.push(seen);
      for (const rule of this.rules) {
        if (rule.match(seen)) this.violations.push(`${this.clock.label(seen.at)} ${rule.what}: ${seen.source ?? '?'} → ${seen.deviceId} ${seen.position ?? ''}`);
      }
      if (options.echo) console.log(`${this.clock.label()} [sim] ${received.deviceId} ← ${JSON.stringify(received.payload)}`);
    });
  }

  static async start(options: ClimateDayOptions): Promise<ClimateDay> {
    const day = new ClimateDay(options);
    try {
      await day.sim.start();
      await day.startPlugin();
    } catch (error) {
      await day.stop().catch(() => undefined);
      throw error;
    }
    return day;
  }

  settingsFor = (room: string): RoomSettings => ({ ...DEFAULT_ROOM_SETTINGS, ...this.options.settings?.(room) });

  /** The plugin as the platform starts it: Home connected first, then the controller; resolves once the home is known. */
  private async startPlugin(): Promise<void> {
    const gateway = new MqttGateway({ name: 'Simulated home', url: this.options.brokerUrl, baseTopic: this.baseTopic }, this.log);
    const home = new Home({ log: this.log, now: () => this.clock.now() });
    home.addGateway(gateway);
    // Reopened from disk every time: a restart only keeps what the store persisted.
    const store = openClimateStore(this.storageDir, this.log);
    const controller = new ClimateController({
      home,
      log: this.log,
      store,
      settingsFor: this.settingsFor,
      historyDays: 7,
      clock: this.clock,
      intervalMs: MINUTE,
      coalesceMs: this.options.coalesceMs,
      historyFlushMs: MINUTE,
      timeZoneOffsetMinutes: () => 0,
    });
    if (this.options.echo) {
      home.on('commandIssued', (device, command, source) =>
        console.log(`${this.clock.label()} [issued] ${device.id} ${JSON.stringify(command)} ${source}`),
      );
    }
    this.plugin = { gateway, home, controller, store };
    await home.start();
    controller.start();
    // Connecting is real-time work (TCP, MQTT, retained messages): bounded in real time.
    await waitReal(() => this.ready(), 15_000, 'the plugin to see every device of the simulated home');
  }

  private ready(): boolean {
    const home = this.plugin?.home;
    if (!home || !home.gatewayOnline(this.baseTopic)) return false;
    const devices = home.devices();
    return devices.length === this.sim.devices().length && devices.every((d) => d.reachable);
  }

  get home(): Home {
    if (!this.plugin) throw new Error('the plugin is not running');
    return this.plugin.home;
  }

  get controller(): ClimateController {
    if (!this.plugin) throw new Error('the plugin is not running');
    return this.plugin.controller;
  }

  /** Homebridge stops: controller and Home shut down (the simulated home keeps running). */
  async stopPlugin(): Promise<void> {
    const plugin = this.plugin;
    this.plugin = undefined;
    if (!plugin) return;
    plugin.controller.stop();
    await plugin.home.stop();
  }

  /**
   * Homebridge restarts after `downtimeMs` of simulated time: new Home, gateway and
   * controller, the store reopened from the same directory.
   */
  async restartPlugin(downtimeMs = 0): Promise<void> {
    await this.stopPlugin();
    if (downtimeMs > 0) await this.clock.sleep(downtimeMs);
    await this.startPlugin();
  }

  async stop(): Promise<void> {
    try {
      await this.stopPlugin();
      await this.sim.stop();
    } finally {
      rmSync(this.storageDir, { recursive: true, force: true });
    }
  }

  // ---------------------------------------------------------------- observations

  key(deviceId: string): string {
    return `${this.baseTopic}/${deviceId}`;
  }

  state(deviceId: string): DeviceState {
    const state = this.sim.state(deviceId);
    if (!state) throw new Error(`no device ${deviceId}`);
    return state;
  }

  position(deviceId: string): number {
    return this.state(deviceId).position ?? Number.NaN;
  }

  /** Windows of the simulated home, by id. */
  windows(): string[] {
    return this.sim.devices().filter((d) => d.type === 'window').map((d) => d.id);
  }

  rainSensingWindows(): string[] {
    return this.sim.devices().filter((d) => d.type === 'window' && d.features.rainSensor === true).map((d) => d.id);
  }

  /** Position commands the climate algorithm sent, optionally for one device and from a moment on. */
  climateCommands(filter: { deviceId?: string; since?: number; until?: number } = {}): SeenCommand[] {
    return this.commands.filter(
      (c) =>
        c.source === 'climate' &&
        c.position !== undefined &&
        (filter.deviceId === undefined || c.deviceId === filter.deviceId) &&
        (filter.since === undefined || c.at >= filter.since) &&
        (filter.until === undefined || c.at <= filter.until),
    );
  }

  /** Automatic commands that would open a window (any position above closed). */
  automaticWindowOpenings(filter: { since?: number; until?: number } = {}): SeenCommand[] {
    return this.climateCommands(filter).filter((c) => this.isAutomaticWindowOpening(c));
  }

  isAutomaticWindowOpening(c: SeenCommand): boolean {
    return c.source === 'climate' && (c.position ?? 0) > 0 && this.windows().includes(c.deviceId);
  }

  /** The controller's decisions about a room (kept in its persisted history), from a moment on. */
  decisions(room: string, since = 0): Array<{ at: number; kind: string; trigger: string; guard?: string; device?: string; text: string }> {
    return this.controller.historyOf(room).filter((h) => h.at >= since);
  }

  logLines(pattern: RegExp, since = 0): LogLine[] {
    return this.lines.filter((l) => l.at >= since && pattern.test(l.message));
  }

  /**
   * Until the returned function is called, any command `match` accepts is a violation: it is
   * recorded in `violations` and the next `waitFor` fails at once, naming it.
   */
  forbid(what: string, match: (c: SeenCommand) => boolean): () => void {
    const rule = { what, match };
    this.rules.add(rule);
    return () => this.rules.delete(rule);
  }

  /** Polls (in real time) until `check` holds; fails once `simMs` of simulated time has passed, or on a violation. */
  async waitFor<T>(check: () => T | undefined | false, simMs: number, what: string): Promise<T> {
    const deadline = this.clock.now() + simMs;
    for (;;) {
      if (this.violations.length > 0) throw new Error(`while waiting for ${what}:\n${this.violations.join('\n')}`);
      const value = check();
      if (value) return value;
      if (this.clock.now() > deadline) {
        throw new Error(`waited ${Math.round(simMs / MINUTE)} simulated min (until ${this.clock.label()}) for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** A readable timeline for failure messages (commands and log lines, in simulated time). */
  describe(since = 0): string {
    const commands = this.commands
      .filter((c) => c.at >= since)
      .map((c) => `${this.clock.label(c.at)} ${c.source ?? '?'} → ${c.deviceId} ${c.position ?? (c.away !== undefined ? `away=${c.away}` : '')}`);
    const lines = this.lines.filter((l) => l.at >= since).map((l) => `${this.clock.label(l.at)} [${l.level}] ${l.message}`);
    return ['commands:', ...commands, 'log:', ...lines].join('\n');
  }
}

async function waitReal(check: () => boolean, realMs: number, what: string): Promise<void> {
  const deadline = Date.now() + realMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${realMs} real ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
