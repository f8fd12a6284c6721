/**
 * A small, pure simulation of a home for the property tests: a simulated clock, windows and
 * covers that move when commanded (at once or after a delay, latest command wins), sensors
 * that report or fall silent, weather, departure mode, the gateway going away, and people
 * using devices. It plays the controller's part: it evaluates the policy at every event and
 * at least once a minute, carries the memory forward and sends the actions.
 */
import type { CoverType, Weather } from '../../src/gateway/types.js';
import type { RoomSettings } from '../../src/climate/settings.js';
import { EMPTY_CLIMATE_MEMORY, recordManualCommand } from '../../src/climate/memory.js';
import { evaluate } from '../../src/climate/policy.js';
import type { ClimateDevice, ClimateMemory, PolicyInput, PolicyOutput, RoomInput, SensorReading } from '../../src/climate/types.js';

export const MINUTE = 60_000;
/** The controller evaluates at least this often. */
export const EVALUATION_PERIOD_MS = MINUTE;

export interface SimRoomSpec {
  settings: RoomSettings;
  hasSensor: boolean;
  windows: { rainSensor: boolean; position: number }[];
  covers: { type: Exclude<CoverType, 'window'>; position: number }[];
}

export type Step =
  | { kind: 'tick'; ms: number }
  | { kind: 'sensor'; room: number; temperature?: number; humidity?: number; co2?: number; lux?: number }
  | { kind: 'sensorLive'; room: number; live: boolean }
  | { kind: 'sensorReachable'; room: number; reachable: boolean }
  | { kind: 'weather'; weather?: Weather }
  | { kind: 'away'; away: boolean }
  | { kind: 'gateway'; online: boolean }
  | { kind: 'manual'; room: number; device: number; position: number }
  | { kind: 'reachable'; room: number; device: number; reachable: boolean }
  | { kind: 'obstructed'; room: number; device: number; obstructed: boolean }
  | { kind: 'windowRain'; room: number; window: number; rain: boolean };

export interface Scenario {
  start: number;
  timeZoneOffsetMinutes: number;
  /** How long a commanded move takes to arrive (0: at once). */
  commandDelayMs: number;
  rooms: SimRoomSpec[];
  /** Minutes since each room's last airing when the simulation starts. */
  lastAiringAgoMinutes: number;
  /**
   * Whether a live sensor reports its last values again at every evaluation (default). When
   * false, a reading is only what a `sensor` step sends, so one reading stays one reading.
   */
  sensorRepeats?: boolean;
  steps: Step[];
}

/** What the simulation knows independently of the policy's memory. */
export interface Truth {
  /** Last manual command per device key (recorded whether or not the device could obey). */
  lastManualAt: Map<string, number>;
  /** When the current departure started (the first evaluation that saw away after home). */
  departureStartedAt?: number;
}

export interface Evaluation {
  input: PolicyInput;
  output: PolicyOutput;
  /** Home mode at the previous evaluation (undefined at the first one). */
  previousAway: boolean | undefined;
  truth: Truth;
  device(key: string): { device: ClimateDevice; room: RoomInput };
}

export interface SimulationOptions {
  /** Called after every evaluation, before its actions are applied. Throw to report a violation. */
  onEvaluation: (evaluation: Evaluation) => void;
  /** Wraps the policy, e.g. to freeze inputs or evaluate twice. */
  evaluate?: (input: PolicyInput) => PolicyOutput;
}

interface SimDevice extends ClimateDevice {
  arrivesAt?: number;
}

interface SimRoom {
  name: string;
  settings: RoomSettings;
  sensor?: SensorReading;
  sensorLive: boolean;
  windows: SimDevice[];
  covers: SimDevice[];
}

interface World {
  now: number;
  away: boolean;
  gatewayOnline: boolean;
  weather?: Weather;
  rooms: SimRoom[];
  memory: ClimateMemory;
  previousAway: boolean | undefined;
  lastEvaluationAt: number | undefined;
  truth: Truth;
}

function createWorld(scenario: Scenario): World {
  const rooms: SimRoom[] = scenario.rooms.map((spec, index) => {
    const name = `Room ${index + 1}`;
    const room: SimRoom = {
      name,
      settings: spec.settings,
      sensorLive: true,
      windows: spec.windows.map((window, w) => ({
        key: `r${index}-window${w}`,
        name: `${name} window ${w + 1}`,
        type: 'window',
        position: window.position,
        target: window.position,
        motion: 'stopped',
        rain: false,
        obstructed: false,
        reachable: true,
        rainSensor: window.rainSensor,
      })),
      covers: spec.covers.map((cover, c) => ({
        key: `r${index}-${cover.type}${c}`,
        name: `${name} ${cover.type} ${c + 1}`,
        type: cover.type,
        position: cover.position,
        target: cover.position,
        motion: 'stopped',
        obstructed: false,
        reachable: true,
        rainSensor: false,
      })),
    };
    if (spec.hasSensor) room.sensor = { temperature: 21, humidity: 50, co2: 800, lux: 5000, updatedAt: scenario.start, reachable: true };
    return room;
  });
  const lastAirRecyclingAt = scenario.start - scenario.lastAiringAgoMinutes * MINUTE;
  const memory: ClimateMemory = {
    ...EMPTY_CLIMATE_MEMORY,
    rooms: Object.fromEntries(rooms.map((room) => [room.name, { lastAirRecyclingAt }])),
  };
  return {
    now: scenario.start,
    away: false,
    gatewayOnline: true,
    weather: { temperature: 15, windSpeed: 3, rain: false },
    rooms,
    memory,
    previousAway: undefined,
    lastEvaluationAt: undefined,
    truth: { lastManualAt: new Map() },
  };
}

function allDevices(room: SimRoom): SimDevice[] {
  return [...room.windows, ...room.covers];
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

/** A move the device obeys only when the gateway can reach it. */
function command(world: World, device: SimDevice, position: number, delayMs: number): void {
  if (!world.gatewayOnline || !device.reachable || device.obstructed === true) return;
  move(world, device, position, delayMs);
}

function move(world: World, device: SimDevice, position: number, delayMs: number): void {
  const current = device.position ?? 0;
  device.target = position;
  if (delayMs === 0 || position === current) {
    device.position = position;
    device.motion = 'stopped';
    delete device.arrivesAt;
    return;
  }
  device.motion = position > current ? 'opening' : 'closing';
  device.arrivesAt = world.now + delayMs;
}

function progress(world: World, sensorRepeats: boolean): void {
  for (const room of world.rooms) {
    for (const device of allDevices(room)) {
      if (device.arrivesAt !== undefined && device.arrivesAt <= world.now) {
        device.position = device.target;
        device.motion = 'stopped';
        delete device.arrivesAt;
      }
    }
    if (sensorRepeats && room.sensor && room.sensorLive && room.sensor.reachable) room.sensor.updatedAt = world.now;
  }
}

function deviceView(device: SimDevice): ClimateDevice {
  const { arrivesAt: _arrivesAt, ...view } = device;
  return { ...view };
}

function buildInput(world: World, timeZoneOffsetMinutes: number): PolicyInput {
  const rooms: RoomInput[] = world.rooms.map((room) => {
    const input: RoomInput = {
      name: room.name,
      settings: room.settings,
      windows: room.windows.map(deviceView),
      covers: room.covers.map(deviceView),
    };
    if (room.sensor) input.sensor = { ...room.sensor };
    return input;
  });
  const input: PolicyInput = {
    now: world.now,
    timeZoneOffsetMinutes,
    away: world.away,
    gatewayOnline: world.gatewayOnline,
    rooms,
    memory: world.memory,
  };
  if (world.weather) input.weather = { ...world.weather };
  return input;
}

function runEvaluation(world: World, scenario: Scenario, options: SimulationOptions): void {
  if (world.lastEvaluationAt !== undefined && world.now - world.lastEvaluationAt > EVALUATION_PERIOD_MS) {
    throw new Error('simulation bug: evaluations more than one period apart');
  }
  progress(world, scenario.sensorRepeats ?? true);
  if (world.away && world.previousAway === false) world.truth.departureStartedAt = world.now;
  if (!world.away) delete world.truth.departureStartedAt;

  const input = buildInput(world, scenario.timeZoneOffsetMinutes);
  const output = (options.evaluate ?? evaluate)(input);
  const devices = new Map<string, { device: ClimateDevice; room: RoomInput }>();
  for (const room of input.rooms) for (const device of [...room.windows, ...room.covers]) devices.set(device.key, { device, room });
  options.onEvaluation({
    input,
    output,
    previousAway: world.previousAway,
    truth: world.truth,
    device(key) {
      const found = devices.get(key);
      if (!found) throw new Error(`action for unknown device ${key}`);
      return found;
    },
  });

  world.memory = output.memory;
  for (const decision of output.rooms) {
    const room = world.rooms.find((candidate) => candidate.name === decision.room);
    for (const action of decision.actions) {
      const device = room && allDevices(room).find((candidate) => candidate.key === action.deviceKey);
      if (device) command(world, device, action.command.position, scenario.commandDelayMs);
    }
  }
  world.previousAway = world.away;
  world.lastEvaluationAt = world.now;
}

function applyStep(world: World, scenario: Scenario, step: Step): void {
  const room = 'room' in step ? pick(world.rooms, step.room) : undefined;
  switch (step.kind) {
    case 'tick':
      return;
    case 'sensor': {
      if (!room?.sensor) return;
      const { kind: _kind, room: _room, ...values } = step;
      const next: SensorReading = { reachable: room.sensor.reachable };
      Object.assign(next, values);
      if (room.sensor.reachable) next.updatedAt = world.now;
      else if (room.sensor.updatedAt !== undefined) next.updatedAt = room.sensor.updatedAt;
      // Readings only arrive from a reachable sensor.
      room.sensor = room.sensor.reachable ? next : room.sensor;
      return;
    }
    case 'sensorLive':
      if (room) room.sensorLive = step.live;
      return;
    case 'sensorReachable':
      if (room?.sensor) room.sensor.reachable = step.reachable;
      return;
    case 'weather':
      if (step.weather) world.weather = step.weather;
      else delete world.weather;
      return;
    case 'away':
      world.away = step.away;
      return;
    case 'gateway':
      world.gatewayOnline = step.online;
      return;
    case 'manual': {
      const device = room && pick(allDevices(room), step.device);
      if (!device) return;
      world.memory = recordManualCommand(world.memory, device.key, world.now);
      world.truth.lastManualAt.set(device.key, world.now);
      command(world, device, step.position, scenario.commandDelayMs);
      return;
    }
    case 'reachable': {
      const device = room && pick(allDevices(room), step.device);
      if (device) device.reachable = step.reachable;
      return;
    }
    case 'obstructed': {
      const device = room && pick(allDevices(room), step.device);
      if (device) device.obstructed = step.obstructed;
      return;
    }
    case 'windowRain': {
      const window = room && pick(room.windows, step.window);
      if (!window?.rainSensor) return;
      window.rain = step.rain;
      // Hardware behaviour: a window with a rain sensor closes itself when rain starts.
      if (step.rain) move(world, window, 0, scenario.commandDelayMs);
      return;
    }
  }
}

/** Play a scenario through the policy; every evaluation is reported to `onEvaluation`. */
export function simulate(scenario: Scenario, options: SimulationOptions): void {
  const world = createWorld(scenario);
  runEvaluation(world, scenario, options);
  for (const step of scenario.steps) {
    if (step.kind === 'tick') {
      let remaining = step.ms;
      while (remaining > 0) {
        const delta = Math.min(remaining, EVALUATION_PERIOD_MS);
        world.now += delta;
        remaining -= delta;
        runEvaluation(world, scenario, options);
      }
    } else {
      applyStep(world, scenario, step);
      runEvaluation(world, scenario, options);
    }
  }
}

/** Would this command move the device up (more open), from where it is or where it is heading? */
export function opens(device: ClimateDevice, position: number): boolean {
  return device.position === undefined || position > device.position || (device.target !== undefined && position > device.target);
}

/** Would this command move the device down (more closed), from where it is or where it is heading? */
export function closes(device: ClimateDevice, position: number): boolean {
  return device.position === undefined || position < device.position || (device.target !== undefined && position < device.target);
}
