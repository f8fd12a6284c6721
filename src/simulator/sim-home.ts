/**
 * A whole simulated VELUX home behind an MQTT gateway, speaking protocol 1 exactly as a real
 * gateway would (docs/gateway-protocol.md): retained bridge and device topics, commands on
 * `<base>/<id>/set` answered once on `<base>/bridge/response`, motors that take time to
 * travel, rooms whose climate reacts to people, showers, open windows and sunshine, rain
 * that closes rain-sensing windows, and fault injection for the failure paths the bridge
 * must survive.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import type { DeviceCommand, DeviceDescriptor, DeviceState } from '../gateway/types.js';
import { isCoverType } from '../gateway/types.js';
import { encodeDevices } from '../gateway/mqtt/codec.js';
import { ScaledClock, type CancelTimer, type SimClock } from './clock.js';
import {
  afterShower,
  BASE_HUMIDITY,
  BUILDING_TEMPERATURE,
  indoorLux,
  shadeFromCovers,
  stepRoomClimate,
  type RoomClimate,
} from './climate.js';
import { checkCommand, readEnvelope, type GatewayErrorCode, type GatewayResponse } from './commands.js';
import { defaultLayout, validateDescriptor, validateLayout, type HomeLayout } from './layout.js';
import { motionToward, travel } from './motor.js';
import { jitter, seededRandom, type Random } from './random.js';

/** Outdoor conditions; `sunLux` drives heat gain and indoor light but is not part of `bridge/weather`. */
export interface SimWeather {
  temperature: number;
  windSpeed: number;
  rain: boolean;
  sunLux: number;
}

/** How the gateway answers commands: normally, never (hung), or late by `delayMs` real ms. */
export type AnswerMode = 'normal' | 'never' | { delayMs: number };

export interface SimulatedHomeOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** One base topic = one gateway. Default `velux`. */
  baseTopic?: string;
  /** Simulated seconds per real second. Default 1; 10 = ten times faster. Ignored when `clock` is given. */
  timeScale?: number;
  /** Default: `defaultLayout()`. */
  layout?: HomeLayout;
  /** Default `sim-gateway`. */
  gatewayId?: string;
  mqttOptions?: { username?: string; password?: string; clientId?: string };
  /** Real milliseconds before each answer (the bridge's timeout runs in real time). Default 0. */
  responseDelayMs?: number;
  /** Simulated milliseconds between state reports of a moving cover. Default 250. */
  tickMs?: number;
  /** Simulated milliseconds between routine sensor reports. Default 30 000. */
  sensorIntervalMs?: number;
  /** Seed for sensor noise. Default 1. */
  seed?: number;
  /** Replace the scaled real-time clock, e.g. with a ManualClock in tests. */
  clock?: SimClock;
  /** Outdoor conditions at start. */
  weather?: Partial<SimWeather>;
  /** Receives one line per notable event (rejected payloads, connection trouble). */
  log?: (message: string) => void;
}

/** A command as it arrived on `<base>/<id>/set`, before the gateway decided anything. */
export interface ReceivedCommand {
  deviceId: string;
  /** The validated command; undefined when the device is unknown or the payload invalid for it. */
  command?: DeviceCommand;
  transaction: string;
  source?: string;
  /** The payload as received (parsed JSON). */
  payload: Record<string, unknown>;
  /** True when this transaction was already received (it is then ignored). */
  duplicate: boolean;
}

export interface SimulatedHomeEvents {
  command: [received: ReceivedCommand];
  response: [response: GatewayResponse];
  /** A `/set` payload that could not be answered at all (no JSON object or no transaction). */
  rejected: [rejection: { topic: string; reason: string }];
}

export interface StopOptions {
  /**
   * Leave the retained topics as they are (with `bridge/state` offline), as a real gateway
   * that powers down would. Default false: clear every retained topic this home published.
   */
  keepRetained?: boolean;
}

/** One scripted moment, `at` simulated milliseconds after `runScript` was called. */
export interface ScriptStep {
  at: number;
  weather?: Partial<SimWeather>;
  occupancy?: Record<string, number>;
  shower?: string;
  pressDepartureSwitch?: boolean;
  reachable?: Record<string, boolean>;
  run?: (home: SimulatedHome) => void;
}

interface SimDevice {
  descriptor: DeviceDescriptor;
  reachable: boolean;
  // covers: exact position in percent; `movedAt` is when `position` was last integrated
  position: number;
  target: number;
  movedAt: number;
  obstructed: boolean;
  rain: boolean;
  // departure switch
  away: boolean;
  battery?: number;
  // sensors: the latest reading (noise included) and when it was last reported
  reading: DeviceState;
  reportedAt: number;
  reported?: DeviceState;
  /** Error answers queued by `failNextCommands`. */
  failures: GatewayErrorCode[];
}

interface SimRoom {
  climate: RoomClimate;
  occupancy: number;
}

const CLIMATE_STEP_MS = 10_000;
/** After a long stall (laptop asleep) drop the backlog instead of replaying hours at once. */
const MAX_CLIMATE_CATCH_UP = 360;
const RECENT_LIMIT = 1_000;
const DEFAULT_CLIMATE: RoomClimate = { temperature: BUILDING_TEMPERATURE, humidity: BASE_HUMIDITY, co2: 600 };
const DEFAULT_WEATHER: SimWeather = { temperature: 12, windSpeed: 3, rain: false, sunLux: 20_000 };
/** Changes that are reported at once instead of waiting for the routine sensor interval. */
const NOTABLE = { temperature: 0.5, humidity: 5, co2: 100 } as const;

export class SimulatedHome extends EventEmitter<SimulatedHomeEvents> {
  readonly baseTopic: string;
  readonly gatewayId: string;
  readonly clock: SimClock;

  private readonly options: SimulatedHomeOptions;
  private readonly prefix: string;
  private readonly random: Random;
  private readonly tickMs: number;
  private readonly sensorIntervalMs: number;
  private readonly log: (message: string) => void;
  private readonly deviceMap = new Map<string, SimDevice>();
  private readonly roomMap = new Map<string, SimRoom>();
  private readonly moving = new Set<SimDevice>();
  private readonly received: ReceivedCommand[] = [];
  private readonly seenTransactions = new Set<string>();
  /** Removed while offline: their retained topics are cleared at the next resync. */
  private readonly uncleared = new Set<string>();
  /** Unacknowledged publishes per connection: a dropped connection's never settle, so they are forgotten with it. */
  private readonly pendingPublishes = new Map<MqttClient, Set<Promise<void>>>();
  private readonly answerTimers = new Set<NodeJS.Timeout>();
  private readonly scriptTimers = new Set<CancelTimer>();
  private readonly scriptEnds = new Set<() => void>();
  private weatherNow: SimWeather;
  private answerMode: AnswerMode = 'normal';
  private client: MqttClient | undefined;
  private gatewayOnline = true;
  private started = false;
  private stopped = false;
  private climateTimer: CancelTimer | undefined;
  private motorTimer: CancelTimer | undefined;
  private climateAt = 0;

  constructor(options: SimulatedHomeOptions) {
    super();
    this.options = options;
    this.baseTopic = options.baseTopic ?? 'velux';
    if (!/^[^+#]+$/.test(this.baseTopic) || this.baseTopic.startsWith('/') || this.baseTopic.endsWith('/')) {
      throw new Error(`invalid base topic "${this.baseTopic}": no wildcards, no leading or trailing "/"`);
    }
    this.prefix = `${this.baseTopic}/`;
    this.gatewayId = options.gatewayId ?? 'sim-gateway';
    this.clock = options.clock ?? new ScaledClock(options.timeScale ?? 1);
    this.random = seededRandom(options.seed ?? 1);
    this.tickMs = positive(options.tickMs ?? 250, 'tickMs');
    this.sensorIntervalMs = positive(options.sensorIntervalMs ?? 30_000, 'sensorIntervalMs');
    this.log = options.log ?? (() => undefined);
    this.weatherNow = { ...DEFAULT_WEATHER, ...definedOnly(options.weather ?? {}) };

    const layout = options.layout ?? defaultLayout();
    validateLayout(layout);
    for (const [room, people] of Object.entries(layout.occupancy ?? {})) {
      this.roomMap.set(room, { climate: { ...DEFAULT_CLIMATE }, occupancy: people });
    }
    for (const descriptor of layout.devices) this.insertDevice(descriptor, layout.initialState?.[descriptor.id]);
    for (const device of this.deviceMap.values()) {
      // Read the sensors once the whole home exists: lux depends on the room's covers.
      if (device.descriptor.type === 'sensor') device.reading = this.readSensor(device);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connect, publish everything retained, and start the physics. Rejects if the broker cannot be reached. */
  async start(): Promise<void> {
    if (this.started) throw new Error('SimulatedHome already started');
    this.started = true;
    this.climateAt = this.clock.now();
    for (const device of this.deviceMap.values()) device.movedAt = this.climateAt;
    this.climateTimer = this.clock.every(CLIMATE_STEP_MS, () => this.climateTick());
    try {
      await this.connect();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stop every timer and end the MQTT session cleanly (so the last will is not fired). */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.climateTimer?.();
    this.motorTimer?.();
    this.climateTimer = this.motorTimer = undefined;
    for (const cancel of this.scriptTimers) cancel();
    this.scriptTimers.clear();
    for (const end of this.scriptEnds) end();
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();

    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      if (options.keepRetained) {
        this.publishOn(client, 'bridge/state', { state: 'offline' }, true);
      } else {
        for (const topic of this.retainedTopics()) this.publishOn(client, topic, '', true);
      }
      await this.flushClient(client, 2_000).catch((error: unknown) => this.log(`stop: ${asError(error).message}`));
      await client.endAsync();
    } else {
      await client.endAsync(true);
    }
    this.pendingPublishes.delete(client);
  }

  /** Resolves once the broker has acknowledged everything published so far on the current connection. */
  async flush(timeoutMs = 5_000): Promise<void> {
    if (this.client) await this.flushClient(this.client, timeoutMs);
  }

  // ---------------------------------------------------------------- faults

  /** Publish `bridge/state` offline and stop answering and reporting, as a gateway that lost its radio. */
  async goOffline(): Promise<void> {
    this.gatewayOnline = false;
    if (this.client?.connected) this.publishOn(this.client, 'bridge/state', { state: 'offline' }, true);
    await this.flush();
  }

  /** Back online: reconnects if needed, republishes everything and publishes `bridge/state` online. */
  async goOnline(): Promise<void> {
    this.gatewayOnline = true;
    if (this.stopped) throw new Error('SimulatedHome is stopped');
    if (!this.client) await this.connect();
    else if (this.client.connected) this.publishAll();
    await this.flush();
  }

  /** Drop the TCP connection without a DISCONNECT so the broker publishes the last will. */
  async disconnectUnclean(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.pendingPublishes.delete(client);
    await client.endAsync(true);
  }

  setAnswerMode(mode: AnswerMode): void {
    if (typeof mode === 'object' && !(mode.delayMs >= 0)) throw new RangeError('delayMs must be >= 0');
    this.answerMode = mode;
  }

  /** Radio reachability of one device: commands are answered `unreachable` and its reports stop. */
  setReachable(deviceId: string, reachable: boolean): void {
    const device = this.device(deviceId);
    if (device.reachable === reachable) return;
    device.reachable = reachable;
    this.publishAvailability(device);
    if (reachable) this.publishState(device);
  }

  /** Answer the next `count` valid commands to a device with `error` (e.g. `busy`, `internal`). */
  failNextCommands(deviceId: string, error: GatewayErrorCode, count = 1): void {
    const device = this.device(deviceId);
    for (let index = 0; index < count; index++) device.failures.push(error);
  }

  /** Something blocks a cover: it stops where it is and reports `obstructed` until the next command. */
  setObstructed(deviceId: string, obstructed: boolean): void {
    const device = this.cover(deviceId);
    if (obstructed) this.halt(device);
    device.obstructed = obstructed;
    this.publishState(device);
  }

  setBattery(deviceId: string, percent: number): void {
    const device = this.device(deviceId);
    if (!(percent >= 0 && percent <= 100)) throw new RangeError('battery must be 0..100');
    device.battery = Math.round(percent);
    if (device.descriptor.type === 'sensor') device.reading = { ...device.reading, battery: device.battery };
    this.publishState(device);
  }

  /** Publish anything on `<base>/<topicSuffix>` (fuzz tests of the bridge's codec). */
  async publishRaw(topicSuffix: string, payload: string | Buffer, options: { retain?: boolean } = {}): Promise<void> {
    if (this.client?.connected) this.publishOn(this.client, topicSuffix, payload, options.retain ?? false);
    await this.flush();
  }

  // ---------------------------------------------------------------- devices

  addDevice(descriptor: DeviceDescriptor, initialState?: DeviceState): void {
    validateDescriptor(descriptor);
    if (this.deviceMap.has(descriptor.id)) throw new Error(`device "${descriptor.id}" already exists`);
    const device = this.insertDevice(structuredClone(descriptor), initialState);
    device.movedAt = this.clock.now();
    if (descriptor.type === 'sensor') device.reading = this.readSensor(device);
    if (!this.canReport()) return;
    this.publishDevices();
    this.publishState(device);
    this.publishAvailability(device);
  }

  /** Remove a device: `bridge/devices` is republished and its retained topics are cleared. */
  removeDevice(deviceId: string): void {
    const device = this.device(deviceId);
    this.deviceMap.delete(deviceId);
    this.moving.delete(device);
    this.uncleared.add(deviceId);
    if (!this.canReport()) return;
    this.publishDevices();
    this.clearRemoved();
  }

  private clearRemoved(): void {
    if (!this.client) return;
    for (const id of this.uncleared) {
      this.publishOn(this.client, id, '', true);
      this.publishOn(this.client, `${id}/availability`, '', true);
    }
    this.uncleared.clear();
  }

  /** Someone presses the physical departure switch: `away` flips. Returns the new value. */
  pressDepartureSwitch(deviceId?: string): boolean {
    const device = deviceId
      ? this.device(deviceId)
      : [...this.deviceMap.values()].find((candidate) => candidate.descriptor.type === 'departure_switch');
    if (!device || device.descriptor.type !== 'departure_switch') throw new Error('this home has no departure switch');
    device.away = !device.away;
    this.publishState(device);
    return device.away;
  }

  // ---------------------------------------------------------------- climate and weather

  setOccupancy(room: string, people: number): void {
    if (!Number.isInteger(people) || people < 0) throw new RangeError('people must be a non-negative integer');
    this.room(room).occupancy = people;
  }

  /** Someone showers: the room's humidity jumps and its sensors report at once. */
  shower(room: string): void {
    const state = this.room(room);
    state.climate = afterShower(state.climate);
    this.reportSensors(true);
  }

  setWeather(change: Partial<SimWeather>): void {
    for (const key of ['temperature', 'windSpeed', 'sunLux'] as const) {
      const value = change[key];
      if (value !== undefined && !Number.isFinite(value)) throw new RangeError(`weather ${key} must be a finite number`);
    }
    if (change.rain !== undefined && typeof change.rain !== 'boolean') throw new TypeError('weather rain must be a boolean');
    const rainBefore = this.weatherNow.rain;
    this.weatherNow = { ...this.weatherNow, ...definedOnly(change) };
    this.publishWeather();
    if (this.weatherNow.rain !== rainBefore) this.rainChanged(this.weatherNow.rain);
  }

  /** Play a timeline in simulated time; resolves after the last step (or when the home stops). */
  runScript(steps: readonly ScriptStep[]): Promise<void> {
    return new Promise((resolve) => {
      let remaining = steps.length;
      const end = (): void => {
        this.scriptEnds.delete(end);
        resolve();
      };
      if (remaining === 0 || this.stopped) return resolve();
      this.scriptEnds.add(end);
      for (const step of [...steps].sort((a, b) => a.at - b.at)) {
        const cancel = this.clock.after(step.at, () => {
          this.scriptTimers.delete(cancel);
          this.applyStep(step);
          if (--remaining === 0) end();
        });
        this.scriptTimers.add(cancel);
      }
    });
  }

  // ---------------------------------------------------------------- accessors

  /** The device's current full state (what the gateway reports), or undefined for an unknown id. */
  state(deviceId: string): DeviceState | undefined {
    const device = this.deviceMap.get(deviceId);
    return device ? this.stateOf(device) : undefined;
  }

  devices(): DeviceDescriptor[] {
    return [...this.deviceMap.values()].map((device) => structuredClone(device.descriptor));
  }

  rooms(): string[] {
    return [...new Set([...this.deviceMap.values()].flatMap((device) => device.descriptor.room ?? []))];
  }

  roomClimate(room: string): RoomClimate & { occupancy: number } {
    const state = this.room(room);
    return { ...state.climate, occupancy: state.occupancy };
  }

  weather(): SimWeather {
    return { ...this.weatherNow };
  }

  /** Every `/set` received so far (the latest 1000), oldest first. */
  receivedCommands(): readonly ReceivedCommand[] {
    return [...this.received];
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  // ---------------------------------------------------------------- MQTT

  private connect(): Promise<void> {
    const { username, password, clientId } = this.options.mqttOptions ?? {};
    const client = connect(this.options.url, {
      clientId: clientId ?? `velux-sim-${this.gatewayId}-${Math.random().toString(16).slice(2, 10)}`,
      username,
      password,
      clean: true,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      will: { topic: `${this.prefix}bridge/state`, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    this.client = client;
    return new Promise((resolve, reject) => {
      let first = true;
      const failFirst = (error: Error): void => {
        if (!first) return;
        first = false;
        if (this.client === client) this.client = undefined;
        client.end(true);
        reject(new Error(`cannot connect to ${this.options.url}: ${error.message}`));
      };
      client.on('connect', () => {
        if (this.client !== client) return;
        disableNagle(client);
        this.onConnect(client).then(
          () => {
            if (first) {
              first = false;
              resolve();
            }
          },
          (error: unknown) => {
            if (first) failFirst(asError(error));
            else this.log(`resync after reconnect failed: ${asError(error).message}`);
          },
        );
      });
      client.on('error', (error) => {
        if (first) failFirst(error);
        else this.log(`MQTT error: ${error.message}`);
      });
      client.on('close', () => {
        if (first) failFirst(new Error('connection closed'));
      });
      client.on('message', (topic, payload) => {
        if (this.client === client) this.onMessage(topic, payload);
      });
    });
  }

  /** On every (re)connect: subscribe, then make the retained topics the truth again. */
  private async onConnect(client: MqttClient): Promise<void> {
    await client.subscribeAsync([`${this.prefix}+/set`, `${this.prefix}+/get`], { qos: 1 });
    if (this.gatewayOnline) this.publishAll();
    else this.publishOn(client, 'bridge/state', { state: 'offline' }, true);
    await this.flushClient(client, 10_000);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(this.prefix)) return;
    const parts = topic.slice(this.prefix.length).split('/');
    const [deviceId, verb] = parts;
    if (parts.length !== 2 || !deviceId || deviceId === 'bridge') return;
    if (verb === 'set') this.handleSet(topic, deviceId, payload);
    else if (verb === 'get') this.handleGet(deviceId);
  }

  private handleSet(topic: string, deviceId: string, payload: Buffer): void {
    const envelope = readEnvelope(payload);
    if (!envelope.ok) {
      this.log(`${topic}: ignored, ${envelope.reason}`);
      this.emit('rejected', { topic, reason: envelope.reason });
      return;
    }
    const { transaction, source, body } = envelope;
    const device = this.deviceMap.get(deviceId);
    const check = device ? checkCommand(device.descriptor.type, body, source) : undefined;
    const duplicate = this.seenTransactions.has(transaction);
    this.remember(transaction, {
      deviceId,
      command: check?.ok ? check.command : undefined,
      transaction,
      source: typeof source === 'string' ? source : undefined,
      payload: body,
      duplicate,
    });
    // A hung or offline gateway hears the command but neither acts nor answers.
    if (duplicate || !this.gatewayOnline || this.answerMode === 'never') return;

    if (!device || !check) return this.answerError(transaction, 'unknown_device', `no device "${deviceId}"`);
    if (!check.ok) return this.answerError(transaction, 'invalid', check.message);
    const injected = device.failures.shift();
    if (injected) return this.answerError(transaction, injected, `simulated ${injected} failure`);
    if (!device.reachable) return this.answerError(transaction, 'unreachable', `${deviceId} does not answer on the radio`);
    const refusal = this.execute(device, check.command);
    if (refusal) return this.answerError(transaction, refusal.error, refusal.message);
    this.answer({ transaction, status: 'ok' });
  }

  private handleGet(deviceId: string): void {
    const device = this.deviceMap.get(deviceId);
    if (!device || !this.canReport() || !this.client) return;
    if (device.reachable) this.publishState(device, true);
    else if (device.reported) this.publishOn(this.client, deviceId, device.reported, true);
    this.publishAvailability(device);
  }

  private remember(transaction: string, received: ReceivedCommand): void {
    this.seenTransactions.add(transaction);
    if (this.seenTransactions.size > RECENT_LIMIT) {
      const oldest = this.seenTransactions.values().next().value;
      if (oldest !== undefined) this.seenTransactions.delete(oldest);
    }
    this.received.push(received);
    if (this.received.length > RECENT_LIMIT) this.received.shift();
    this.emit('command', received);
  }

  private answerError(transaction: string, error: GatewayErrorCode, message: string): void {
    this.answer({ transaction, status: 'error', error, message });
  }

  private answer(response: GatewayResponse): void {
    const delayMs = typeof this.answerMode === 'object' ? this.answerMode.delayMs : (this.options.responseDelayMs ?? 0);
    const send = (): void => {
      if (!this.client?.connected || !this.gatewayOnline) return;
      this.publishOn(this.client, 'bridge/response', response, false);
      this.emit('response', response);
    };
    if (delayMs <= 0) return send();
    // Real time on purpose: the bridge measures its command timeout in real time.
    const timer = setTimeout(() => {
      this.answerTimers.delete(timer);
      send();
    }, delayMs);
    this.answerTimers.add(timer);
  }

  private canReport(): boolean {
    return this.gatewayOnline && (this.client?.connected ?? false);
  }

  private publishAll(): void {
    const client = this.client;
    if (!client) return;
    this.publishOn(client, 'bridge/info', {
      protocol: 1,
      gateway: { id: this.gatewayId, model: 'KIG 300', firmware: '1.0.0-sim' },
    });
    this.publishDevices();
    this.clearRemoved();
    this.publishWeather();
    for (const device of this.deviceMap.values()) {
      this.publishState(device, true);
      this.publishAvailability(device);
    }
    // Last, so a bridge that sees "online" already has the whole home.
    this.publishOn(client, 'bridge/state', { state: 'online' }, true);
  }

  private publishDevices(): void {
    if (this.canReport() && this.client) this.publishOn(this.client, 'bridge/devices', encodeDevices(this.devices()));
  }

  private publishWeather(): void {
    if (!this.canReport() || !this.client) return;
    const { temperature, windSpeed, rain } = this.weatherNow;
    const payload = { temperature: round(temperature, 1), wind_speed: round(windSpeed, 1), rain };
    this.publishOn(this.client, 'bridge/weather', payload);
  }

  private publishAvailability(device: SimDevice): void {
    if (!this.canReport() || !this.client) return;
    this.publishOn(this.client, `${device.descriptor.id}/availability`, { state: device.reachable ? 'online' : 'offline' });
  }

  /** Report a device's state; an unreachable device's reports never reach the gateway. */
  private publishState(device: SimDevice, force = false): void {
    if (!device.reachable || !this.canReport() || !this.client) return;
    if (!this.deviceMap.has(device.descriptor.id)) return;
    const state = this.stateOf(device);
    if (!force && device.reported && sameState(device.reported, state)) return;
    device.reported = state;
    this.publishOn(this.client, device.descriptor.id, state, true);
  }

  private publishOn(client: MqttClient, suffix: string, payload: unknown, retain = true): void {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const topic = `${this.prefix}${suffix}`;
    const pending = client.publishAsync(topic, body, { qos: 1, retain }).then(
      () => undefined,
      (error: unknown) => this.log(`publish to ${topic} failed: ${asError(error).message}`),
    );
    let pendingSet = this.pendingPublishes.get(client);
    if (!pendingSet) this.pendingPublishes.set(client, (pendingSet = new Set()));
    const set = pendingSet;
    set.add(pending);
    void pending.finally(() => set.delete(pending));
  }

  private async flushClient(client: MqttClient, timeoutMs: number): Promise<void> {
    const pending = this.pendingPublishes.get(client);
    if (!pending || pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`broker did not acknowledge publishes within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      while (pending.size > 0) await Promise.race([Promise.all([...pending]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private retainedTopics(): string[] {
    const ids = [...this.deviceMap.keys(), ...this.uncleared];
    const deviceTopics = ids.flatMap((id) => [id, `${id}/availability`]);
    return [...deviceTopics, 'bridge/devices', 'bridge/info', 'bridge/weather', 'bridge/state'];
  }

  // ---------------------------------------------------------------- devices and motors

  private insertDevice(descriptor: DeviceDescriptor, initial: DeviceState = {}): SimDevice {
    const type = descriptor.type;
    const position = clampPercent(initial.position ?? 0);
    const device: SimDevice = {
      descriptor,
      reachable: true,
      position,
      target: position,
      movedAt: 0,
      obstructed: initial.obstructed ?? false,
      rain: false,
      away: initial.away ?? false,
      battery: descriptor.features.battery ? (initial.battery ?? 100) : undefined,
      reading: {},
      reportedAt: this.clock.now(),
      failures: [],
    };
    // A rain sensor reads the weather; in rain its window has already closed itself.
    if (type === 'window' && descriptor.features.rainSensor === true && this.weatherNow.rain) {
      device.rain = true;
      device.position = device.target = 0;
    }
    this.deviceMap.set(descriptor.id, device);
    const roomName = roomKey(descriptor);
    if (!this.roomMap.has(roomName)) this.roomMap.set(roomName, { climate: { ...DEFAULT_CLIMATE }, occupancy: 0 });
    if (type === 'sensor') {
      const room = this.room(roomName);
      room.climate = {
        temperature: initial.temperature ?? room.climate.temperature,
        humidity: initial.humidity ?? room.climate.humidity,
        co2: initial.co2 ?? room.climate.co2,
      };
    }
    return device;
  }

  /** Carry out a valid command for a reachable device; returns a refusal when the hardware says no. */
  private execute(device: SimDevice, command: DeviceCommand): { error: GatewayErrorCode; message: string } | undefined {
    if ('away' in command) {
      device.away = command.away;
      this.publishState(device);
      return undefined;
    }
    if ('stop' in command) {
      this.halt(device);
      this.publishState(device);
      return undefined;
    }
    this.settle(device);
    const opening = command.position > device.position;
    if (device.rain && opening && command.force !== true) {
      return { error: 'rain', message: 'rain sensor active' };
    }
    device.obstructed = false;
    this.moveTo(device, command.position);
    return undefined;
  }

  private moveTo(device: SimDevice, target: number): void {
    device.target = target;
    if (device.position !== target) {
      this.moving.add(device);
      this.motorTimer ??= this.clock.every(this.tickMs, () => this.motorTick());
    }
    this.publishState(device);
  }

  /** Stop where the motor is now, on a whole percent. */
  private halt(device: SimDevice): void {
    this.settle(device);
    device.position = device.target = Math.round(device.position);
    this.moving.delete(device);
  }

  /**
   * Bring `position` up to the current simulated time. Reading state must not end a movement:
   * only the motor tick does, so that the final "stopped" state is always published.
   */
  private settle(device: SimDevice): void {
    const now = this.clock.now();
    if (this.moving.has(device)) device.position = travel(device.position, device.target, now - device.movedAt);
    device.movedAt = now;
  }

  private motorTick(): void {
    for (const device of [...this.moving]) {
      this.settle(device);
      if (device.position === device.target) this.moving.delete(device);
      this.publishState(device);
    }
    if (this.moving.size === 0) {
      this.motorTimer?.();
      this.motorTimer = undefined;
    }
  }

  private rainChanged(raining: boolean): void {
    for (const device of this.deviceMap.values()) {
      if (device.descriptor.type !== 'window' || device.descriptor.features.rainSensor !== true) continue;
      device.rain = raining;
      // The window's own rain sensor closes it: hardware behaviour, no command involved.
      if (raining) {
        this.settle(device);
        device.obstructed = false;
        this.moveTo(device, 0);
      }
      this.publishState(device);
    }
  }

  private stateOf(device: SimDevice): DeviceState {
    const { type, features } = device.descriptor;
    if (type === 'sensor') return { ...device.reading };
    if (type === 'departure_switch') return withBattery({ away: device.away }, device.battery);
    if (!isCoverType(type)) return {};
    this.settle(device);
    const state: DeviceState = {
      position: Math.round(device.position),
      target: Math.round(device.target),
      motion: this.moving.has(device) && device.position !== device.target ? motionToward(device.position, device.target) : 'stopped',
      obstructed: device.obstructed,
    };
    if (type === 'window' && features.rainSensor === true) state.rain = device.rain;
    return withBattery(state, device.battery);
  }

  // ---------------------------------------------------------------- climate

  private climateTick(): void {
    const now = this.clock.now();
    let steps = 0;
    while (now - this.climateAt >= CLIMATE_STEP_MS && steps < MAX_CLIMATE_CATCH_UP) {
      this.stepClimate(CLIMATE_STEP_MS);
      this.climateAt += CLIMATE_STEP_MS;
      steps++;
    }
    if (steps === MAX_CLIMATE_CATCH_UP) this.climateAt = now;
    if (steps > 0) this.reportSensors(false);
  }

  private stepClimate(elapsedMs: number): void {
    for (const [name, room] of this.roomMap) {
      const { windowOpening, shade } = this.roomOpenings(name);
      room.climate = stepRoomClimate(
        room.climate,
        {
          occupancy: room.occupancy,
          windowOpening,
          shade,
          outdoorTemperature: this.weatherNow.temperature,
          sunLux: this.weatherNow.sunLux,
        },
        elapsedMs,
      );
    }
  }

  private roomOpenings(roomName: string): { windowOpening: number; shade: number } {
    let windowOpening = 0;
    const covers: number[] = [];
    for (const device of this.deviceMap.values()) {
      if (roomKey(device.descriptor) !== roomName) continue;
      if (device.descriptor.type === 'window') windowOpening += device.position / 100;
      else if (isCoverType(device.descriptor.type)) covers.push(device.position);
    }
    return { windowOpening, shade: shadeFromCovers(covers) };
  }

  /** Take a fresh reading from every sensor; report it when due or when it changed notably. */
  private reportSensors(notableOnly: boolean): void {
    const now = this.clock.now();
    for (const device of this.deviceMap.values()) {
      if (device.descriptor.type !== 'sensor') continue;
      const before = device.reading;
      device.reading = this.readSensor(device);
      const due = !notableOnly && now - device.reportedAt >= this.sensorIntervalMs;
      if (due || changedNotably(before, device.reading)) {
        device.reportedAt = now;
        this.publishState(device, true);
      }
    }
  }

  private readSensor(device: SimDevice): DeviceState {
    const measures = device.descriptor.features.measures ?? [];
    const roomName = roomKey(device.descriptor);
    const { climate } = this.room(roomName);
    const reading: DeviceState = {};
    if (measures.includes('temperature')) reading.temperature = round(climate.temperature + jitter(this.random, 0.05), 1);
    if (measures.includes('humidity')) {
      reading.humidity = Math.round(Math.min(100, Math.max(0, climate.humidity + jitter(this.random, 0.4))));
    }
    if (measures.includes('co2')) reading.co2 = Math.max(0, Math.round(climate.co2 + jitter(this.random, 4)));
    if (measures.includes('lux')) {
      const lux = indoorLux(this.weatherNow.sunLux, this.roomOpenings(roomName).shade);
      reading.lux = Math.max(0, Math.round(lux * (1 + jitter(this.random, 0.02))));
    }
    return withBattery(reading, device.battery);
  }

  private applyStep(step: ScriptStep): void {
    if (step.weather) this.setWeather(step.weather);
    for (const [room, people] of Object.entries(step.occupancy ?? {})) this.setOccupancy(room, people);
    if (step.shower !== undefined) this.shower(step.shower);
    if (step.pressDepartureSwitch) this.pressDepartureSwitch();
    for (const [id, reachable] of Object.entries(step.reachable ?? {})) this.setReachable(id, reachable);
    step.run?.(this);
  }

  // ---------------------------------------------------------------- lookups

  private device(deviceId: string): SimDevice {
    const device = this.deviceMap.get(deviceId);
    if (!device) throw new Error(`no device "${deviceId}" in the simulated home`);
    return device;
  }

  private cover(deviceId: string): SimDevice {
    const device = this.device(deviceId);
    if (!isCoverType(device.descriptor.type)) throw new Error(`"${deviceId}" is not a window or cover`);
    return device;
  }

  private room(name: string): SimRoom {
    const room = this.roomMap.get(name);
    if (!room) throw new Error(`no room "${name}" in the simulated home`);
    return room;
  }
}

/** Devices without a room name get a room of their own, so every sensor has a climate. */
function roomKey(descriptor: DeviceDescriptor): string {
  return descriptor.room ?? `#${descriptor.id}`;
}

function changedNotably(before: DeviceState, after: DeviceState): boolean {
  return (
    Math.abs((after.temperature ?? 0) - (before.temperature ?? 0)) >= NOTABLE.temperature ||
    Math.abs((after.humidity ?? 0) - (before.humidity ?? 0)) >= NOTABLE.humidity ||
    Math.abs((after.co2 ?? 0) - (before.co2 ?? 0)) >= NOTABLE.co2
  );
}

function sameState(a: DeviceState, b: DeviceState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withBattery(state: DeviceState, battery: number | undefined): DeviceState {
  return battery === undefined ? state : { ...state, battery };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
  return value;
}

/**
 * A gateway answers with several small packets in a row (PUBACK, state, response); with
 * Nagle's algorithm on, each burst waits ~40 ms for a delayed ACK. Only TCP sockets have it.
 */
function disableNagle(client: MqttClient): void {
  const stream: unknown = client.stream;
  if (stream instanceof Socket) stream.setNoDelay(true);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
