/**
 * fast-check generators for the property tests: room settings inside their valid ranges
 * (tilted towards short times so things happen within a sequence), homes of one to three
 * rooms, and sequences of events on a simulated clock.
 */
import fc from 'fast-check';
import type { Weather } from '../../src/gateway/types.js';
import type { RoomSettings } from '../../src/climate/settings.js';
import type { Scenario, SimRoomSpec, Step } from './simulation.js';

export const PROPERTY_RUNS = Number(process.env.CLIMATE_PROPERTY_RUNS ?? 1000);
/** Generous per-test time limit that grows with the runs, so a nightly run with many more does not time out. */
export const PROPERTY_TIMEOUT_MS = Math.max(60_000, PROPERTY_RUNS * 100);

const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(
  ([hours, minutes]) => `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`,
);

const quietHours = fc
  .record({ start: clock, end: clock })
  .filter((quiet) => quiet.start !== quiet.end);

const settings: fc.Arbitrary<RoomSettings> = fc
  .record({
    co2Max: fc.integer({ min: 600, max: 1500 }),
    co2Hysteresis: fc.integer({ min: 0, max: 300 }),
    humidityMax: fc.integer({ min: 40, max: 90 }),
    humidityDelayMinutes: fc.integer({ min: 0, max: 10 }),
    triggerConfirmMinutes: fc.integer({ min: 1, max: 5 }),
    temperatureMin: fc.integer({ min: 10, max: 20 }),
    temperatureMax: fc.integer({ min: 22, max: 30 }),
    coolingSetpoint: fc.integer({ min: 18, max: 28 }),
    ventilationPosition: fc.integer({ min: 1, max: 100 }),
    minAiringMinutes: fc.integer({ min: 0, max: 5 }),
    maxAiringMinutes: fc.integer({ min: 1, max: 15 }),
    airingIntervalMinutes: fc.constantFrom(0, 0, 5, 20, 60),
    rainHoldMinutes: fc.integer({ min: 0, max: 20 }),
    airRecyclingIntervalHours: fc.constantFrom(0, 0.25, 0.5, 1),
    airRecyclingMinutes: fc.integer({ min: 1, max: 10 }),
    outdoorTemperatureMin: fc.integer({ min: -5, max: 8 }),
    outdoorTemperatureMax: fc.integer({ min: 20, max: 35 }),
    maxWindSpeed: fc.integer({ min: 2, max: 15 }),
    manualPauseMinutes: fc.integer({ min: 0, max: 20 }),
    quietHours: fc.option(quietHours, { nil: undefined, freq: 3 }),
    heatProtection: fc.boolean(),
    heatProtectionPosition: fc.integer({ min: 0, max: 50 }),
    heatProtectionLux: fc.integer({ min: 0, max: 40000 }),
    departureCloseWindows: fc.boolean(),
    departureCloseCovers: fc.boolean(),
    sensorStaleMinutes: fc.integer({ min: 1, max: 10 }),
  })
  .chain((base) =>
    // Climate control is on in four rooms out of five.
    fc.integer({ min: 0, max: 4 }).map((dice) => {
      const resolved: RoomSettings = { ...base, enabled: dice !== 0 };
      if (resolved.quietHours === undefined) delete resolved.quietHours;
      return resolved;
    }),
  );

const roomSpec: fc.Arbitrary<SimRoomSpec> = fc.record({
  settings,
  hasSensor: fc.integer({ min: 0, max: 9 }).map((dice) => dice !== 0),
  windows: fc.array(fc.record({ rainSensor: fc.boolean(), position: fc.constantFrom(0, 0, 0, 30, 100) }), { minLength: 1, maxLength: 2 }),
  covers: fc.array(
    fc.record({ type: fc.constantFrom('blind' as const, 'shutter' as const, 'awning' as const), position: fc.constantFrom(0, 60, 100) }),
    { maxLength: 2 },
  ),
});

const roomIndex = fc.nat({ max: 2 });
const deviceIndex = fc.nat({ max: 3 });
const maybe = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined, freq: 6 });

const weather: fc.Arbitrary<Weather | undefined> = fc.option(
  fc.record(
    {
      temperature: fc.integer({ min: -10, max: 40 }),
      windSpeed: fc.integer({ min: 0, max: 20 }),
      rain: fc.integer({ min: 0, max: 3 }).map((dice) => dice === 0),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined, freq: 6 },
);

const sensorReading = fc.record({
  kind: fc.constant('sensor' as const),
  room: roomIndex,
  temperature: maybe(fc.integer({ min: 100, max: 350 }).map((tenths) => tenths / 10)),
  humidity: maybe(fc.integer({ min: 30, max: 100 })),
  co2: maybe(fc.integer({ min: 400, max: 2500 })),
  lux: maybe(fc.integer({ min: 0, max: 60000 })),
});

export const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 240 }).map((seconds) => seconds * 1000) }) },
  { weight: 5, arbitrary: sensorReading },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sensorLive' as const), room: roomIndex, live: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sensorReachable' as const), room: roomIndex, reachable: fc.boolean() }) },
  { weight: 1, arbitrary: weather.map((value): Step => (value ? { kind: 'weather', weather: value } : { kind: 'weather' })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('away' as const), away: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('gateway' as const), online: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('manual' as const), room: roomIndex, device: deviceIndex, position: fc.constantFrom(0, 0, 10, 25, 50, 100) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reachable' as const), room: roomIndex, device: deviceIndex, reachable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('obstructed' as const), room: roomIndex, device: deviceIndex, obstructed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('windowRain' as const), room: roomIndex, window: deviceIndex, rain: fc.boolean() }) },
);

/** Any instant in 2024, so quiet hours and midnight are crossed at every time of day. */
const start = fc.integer({ min: 0, max: 365 * 24 * 60 - 1 }).map((minute) => Date.UTC(2024, 0, 1) + minute * 60_000);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  start,
  timeZoneOffsetMinutes: fc.constantFrom(-300, 0, 60, 120, 330),
  commandDelayMs: fc.constantFrom(0, 0, 5_000, 30_000, 90_000),
  rooms: fc.array(roomSpec, { minLength: 1, maxLength: 3 }),
  lastAiringAgoMinutes: fc.integer({ min: 0, max: 90 }),
  steps: fc.array(step, { minLength: 20, maxLength: 60 }),
});

/**
 * Scenarios for "one outlier reading never opens": sensors report only when a `sensor` step
 * says so, every reading is under the room's CO2, humidity and cooling limits except one,
 * which is over one or more of them. Everything else (weather, rain, departure, manual use,
 * outages) stays random. The starting reading (CO2 800 ppm, 50 %, 21 °C) is kept under the
 * limits too, so any CO2, humidity or heat airing would come from the outlier alone.
 */
export const outlierScenario: fc.Arbitrary<Scenario> = fc
  .record({
    base: scenario,
    outlierAt: fc.nat(),
    over: fc.record({ co2: fc.boolean(), humidity: fc.boolean(), temperature: fc.boolean() }),
    margin: fc.integer({ min: 1, max: 800 }),
  })
  .map(({ base, outlierAt, over, margin }) => {
    const rooms = base.rooms.map((room) => ({
      ...room,
      settings: {
        ...room.settings,
        co2Max: Math.max(room.settings.co2Max, 801),
        co2Hysteresis: Math.min(room.settings.co2Hysteresis, 300),
        humidityMax: Math.max(room.settings.humidityMax, 51),
        coolingSetpoint: Math.max(room.settings.coolingSetpoint, 22),
      },
    }));
    const sensorSteps = base.steps.flatMap((step, index) => (step.kind === 'sensor' ? [index] : []));
    const outlierIndex = sensorSteps.length > 0 ? sensorSteps[outlierAt % sensorSteps.length] : undefined;
    const steps = base.steps.map((step, index): Step => {
      if (step.kind !== 'sensor') return step;
      const limits = rooms[step.room % rooms.length]?.settings;
      if (!limits) return step;
      const reading = { ...step };
      if (index === outlierIndex) {
        const anyOver = over.co2 || over.humidity || over.temperature;
        if (over.co2 || !anyOver) reading.co2 = limits.co2Max + margin;
        if (over.humidity) reading.humidity = Math.min(100, limits.humidityMax + 1 + (margin % 30));
        if (over.temperature) reading.temperature = limits.coolingSetpoint + 0.1 + (margin % 80) / 10;
        return reading;
      }
      if (reading.co2 !== undefined) reading.co2 = Math.min(reading.co2, limits.co2Max);
      if (reading.humidity !== undefined) reading.humidity = Math.min(reading.humidity, limits.humidityMax);
      if (reading.temperature !== undefined) reading.temperature = Math.min(reading.temperature, limits.coolingSetpoint);
      return reading;
    });
    return { ...base, rooms, steps, sensorRepeats: false };
  });
