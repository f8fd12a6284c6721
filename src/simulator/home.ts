/**
 * The physics of a simulated VELUX home, independent of how a gateway reports it: rooms whose
 * climate reacts to people, showers, open windows and sunshine (rooms.ts); motors that take time to
 * travel; sensors that read their room; rain that closes rain-sensing windows; scripts in
 * simulated time; and device faults (out of radio reach, obstructed, low battery, refused
 * commands). A protocol adapter (mqtt/gateway.ts for our MQTT contract; the KIX 300 and KLF 200
 * emulators likewise) turns its events into the protocol's messages and hands it commands.
 */
import { EventEmitter } from 'node:events';
import type { DeviceCommand, DeviceDescriptor, DeviceState, GatewayErrorCode } from '../gateway/types.js';
import { isCoverType } from '../gateway/types.js';
import { ScaledClock, type CancelTimer, type SimClock } from './clock.js';
import { indoorLux, type RoomClimate } from './climate.js';
import { defaultLayout, validateDescriptor, validateLayout } from './layout.js';
import { motionToward, travel } from './motor.js';
import { seededRandom, type Random } from './random.js';
import type { CommandOutcome, ScriptStep, SimHomeEvents, SimHomeOptions, SimWeather } from './home-types.js';
import { CLIMATE_STEP_MS, roomOpenings, SimRooms } from './rooms.js';
import {
  changedNotably,
  clampPercent,
  definedOnly,
  positive,
  roomKey,
  sameState,
  sensorReading,
  withBattery,
} from './readings.js';

export type { CommandOutcome, ScriptStep, SimHomeEvents, SimHomeOptions, SimWeather } from './home-types.js';
export { round } from './readings.js';

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

const DEFAULT_WEATHER: SimWeather = { temperature: 12, windSpeed: 3, rain: false, sunLux: 20_000 };
export class SimHome extends EventEmitter<SimHomeEvents> {
  readonly clock: SimClock;

  private readonly random: Random;
  private readonly tickMs: number;
  private readonly sensorIntervalMs: number;
  private readonly deviceMap = new Map<string, SimDevice>();
  private readonly roomStates = new SimRooms((roomName) => roomOpenings(this.deviceMap.values(), roomName));
  private readonly moving = new Set<SimDevice>();
  private readonly scriptTimers = new Set<CancelTimer>();
  private readonly scriptEnds = new Set<() => void>();
  private weatherNow: SimWeather;
  private running = false;
  private stopped = false;
  private climateTimer: CancelTimer | undefined;
  private motorTimer: CancelTimer | undefined;

  constructor(options: SimHomeOptions = {}) {
    super();
    this.clock = options.clock ?? new ScaledClock(options.timeScale ?? 1);
    this.random = seededRandom(options.seed ?? 1);
    this.tickMs = positive(options.tickMs ?? 250, 'tickMs');
    this.sensorIntervalMs = positive(options.sensorIntervalMs ?? 30_000, 'sensorIntervalMs');
    this.weatherNow = { ...DEFAULT_WEATHER, ...definedOnly(options.weather ?? {}) };

    const layout = options.layout ?? defaultLayout();
    validateLayout(layout);
    for (const [room, people] of Object.entries(layout.occupancy ?? {})) this.roomStates.ensure(room, people);
    for (const descriptor of layout.devices) this.insertDevice(descriptor, layout.initialState?.[descriptor.id]);
    for (const device of this.deviceMap.values()) {
      // Read the sensors once the whole home exists: lux depends on the room's covers.
      if (device.descriptor.type === 'sensor') device.reading = this.readSensor(device);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Start the physics (motors and climate run in simulated time from now). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const now = this.clock.now();
    this.roomStates.startAt(now);
    for (const device of this.deviceMap.values()) device.movedAt = now;
    this.climateTimer = this.clock.every(CLIMATE_STEP_MS, () => {
      if (this.roomStates.advance(this.clock.now(), this.weatherNow)) this.reportSensors(false);
    });
  }

  /** Stop every timer; running scripts resolve. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.climateTimer?.();
    this.motorTimer?.();
    this.climateTimer = this.motorTimer = undefined;
    for (const cancel of this.scriptTimers) cancel();
    this.scriptTimers.clear();
    for (const end of this.scriptEnds) end();
  }

  // ---------------------------------------------------------------- commands

  /**
   * Carry out a valid command the way the hardware would: a queued failure first, then radio
   * reach, then the device itself (a window in rain refuses to open unless forced).
   */
  command(deviceId: string, command: DeviceCommand): CommandOutcome {
    const device = this.deviceMap.get(deviceId);
    if (!device) return { ok: false, error: 'unknown_device', message: `no device "${deviceId}"` };
    const injected = device.failures.shift();
    if (injected) return { ok: false, error: injected, message: `simulated ${injected} failure` };
    if (!device.reachable) return { ok: false, error: 'unreachable', message: `${deviceId} does not answer on the radio` };
    const refusal = this.execute(device, command);
    return refusal ? { ok: false, ...refusal } : { ok: true };
  }

  /** Report a device's current state now, repeated or not (a gateway resyncing or asked for it). */
  reportState(deviceId: string): void {
    const device = this.deviceMap.get(deviceId);
    if (device) this.report(device, true);
  }

  // ---------------------------------------------------------------- faults

  /** Radio reachability of one device: commands are answered `unreachable` and its reports stop. */
  setReachable(deviceId: string, reachable: boolean): void {
    const device = this.device(deviceId);
    if (device.reachable === reachable) return;
    device.reachable = reachable;
    this.emit('availability', deviceId, reachable);
    if (reachable) this.report(device);
  }

  reachable(deviceId: string): boolean {
    return this.device(deviceId).reachable;
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
    this.report(device);
  }

  setBattery(deviceId: string, percent: number): void {
    const device = this.device(deviceId);
    if (!(percent >= 0 && percent <= 100)) throw new RangeError('battery must be 0..100');
    device.battery = Math.round(percent);
    if (device.descriptor.type === 'sensor') device.reading = { ...device.reading, battery: device.battery };
    this.report(device);
  }

  // ---------------------------------------------------------------- devices

  addDevice(descriptor: DeviceDescriptor, initialState?: DeviceState): void {
    validateDescriptor(descriptor);
    if (this.deviceMap.has(descriptor.id)) throw new Error(`device "${descriptor.id}" already exists`);
    const device = this.insertDevice(structuredClone(descriptor), initialState);
    device.movedAt = this.clock.now();
    if (descriptor.type === 'sensor') device.reading = this.readSensor(device);
    this.emit('devices', { added: descriptor.id });
  }

  removeDevice(deviceId: string): void {
    const device = this.device(deviceId);
    this.deviceMap.delete(deviceId);
    this.moving.delete(device);
    this.emit('devices', { removed: deviceId });
  }

  has(deviceId: string): boolean {
    return this.deviceMap.has(deviceId);
  }

  /** Someone presses the physical departure switch: `away` flips. Returns the new value. */
  pressDepartureSwitch(deviceId?: string): boolean {
    const device = deviceId
      ? this.device(deviceId)
      : [...this.deviceMap.values()].find((candidate) => candidate.descriptor.type === 'departure_switch');
    if (!device || device.descriptor.type !== 'departure_switch') throw new Error('this home has no departure switch');
    device.away = !device.away;
    this.report(device);
    return device.away;
  }

  // ---------------------------------------------------------------- climate and weather

  setOccupancy(room: string, people: number): void {
    this.roomStates.setOccupancy(room, people);
  }

  /** Someone showers: the room's humidity jumps and its sensors report at once. */
  shower(room: string): void {
    this.roomStates.shower(room);
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
    this.emit('weather', this.weather());
    if (this.weatherNow.rain !== rainBefore) this.rainChanged(this.weatherNow.rain);
  }

  /**
   * Play a timeline in simulated time; resolves after the last step (or when the home stops).
   * `target` is what a step's `run` gets (an adapter passes itself).
   */
  runScript<H = SimHome>(steps: readonly ScriptStep<H>[], target: H = this as unknown as H): Promise<void> {
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
          this.applyStep(step, target);
          if (--remaining === 0) end();
        });
        this.scriptTimers.add(cancel);
      }
    });
  }

  // ---------------------------------------------------------------- accessors

  /** The device's current full state, or undefined for an unknown id. */
  state(deviceId: string): DeviceState | undefined {
    const device = this.deviceMap.get(deviceId);
    return device ? this.stateOf(device) : undefined;
  }

  devices(): DeviceDescriptor[] {
    return [...this.deviceMap.values()].map((device) => structuredClone(device.descriptor));
  }

  descriptor(deviceId: string): DeviceDescriptor | undefined {
    return this.deviceMap.get(deviceId)?.descriptor;
  }

  rooms(): string[] {
    return [...new Set([...this.deviceMap.values()].flatMap((device) => device.descriptor.room ?? []))];
  }

  roomClimate(room: string): RoomClimate & { occupancy: number } {
    const state = this.roomStates.get(room);
    return { ...state.climate, occupancy: state.occupancy };
  }

  weather(): SimWeather {
    return { ...this.weatherNow };
  }

  // ---------------------------------------------------------------- devices and motors

  /** Emit a device's state; an unreachable device's reports never reach the gateway. */
  private report(device: SimDevice, force = false): void {
    if (!device.reachable || !this.deviceMap.has(device.descriptor.id)) return;
    const state = this.stateOf(device);
    if (!force && device.reported && sameState(device.reported, state)) return;
    device.reported = state;
    this.emit('state', device.descriptor.id, state);
  }

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
    this.roomStates.ensure(roomName);
    if (type === 'sensor') {
      const room = this.roomStates.get(roomName);
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
      this.report(device);
      return undefined;
    }
    if ('stop' in command) {
      this.halt(device);
      this.report(device);
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
    this.report(device);
  }

  /** Stop where the motor is now, on a whole percent. */
  private halt(device: SimDevice): void {
    this.settle(device);
    device.position = device.target = Math.round(device.position);
    this.moving.delete(device);
  }

  /**
   * Bring `position` up to the current simulated time. Reading state must not end a movement:
   * only the motor tick does, so that the final "stopped" state is always reported.
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
      this.report(device);
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
      this.report(device);
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

  // ---------------------------------------------------------------- sensors and scripts

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
        this.report(device, true);
      }
    }
  }

  private readSensor(device: SimDevice): DeviceState {
    const measures = device.descriptor.features.measures ?? [];
    const roomName = roomKey(device.descriptor);
    const { climate } = this.roomStates.get(roomName);
    const lux = measures.includes('lux') ? indoorLux(this.weatherNow.sunLux, roomOpenings(this.deviceMap.values(), roomName).shade) : 0;
    return withBattery(sensorReading(measures, climate, lux, this.random), device.battery);
  }

  private applyStep<H>(step: ScriptStep<H>, target: H): void {
    if (step.weather) this.setWeather(step.weather);
    for (const [room, people] of Object.entries(step.occupancy ?? {})) this.setOccupancy(room, people);
    if (step.shower !== undefined) this.shower(step.shower);
    if (step.pressDepartureSwitch) this.pressDepartureSwitch();
    for (const [id, reachable] of Object.entries(step.reachable ?? {})) this.setReachable(id, reachable);
    step.run?.(target);
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
}
