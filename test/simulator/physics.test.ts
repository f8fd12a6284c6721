import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  indoorLux,
  OUTDOOR_CO2_PPM,
  shadeFromCovers,
  stepRoomClimate,
  type RoomClimate,
  type RoomInputs,
} from '../../src/simulator/climate.js';
import { FULL_TRAVEL_MS, motionToward, travel } from '../../src/simulator/motor.js';
import { seededRandom } from '../../src/simulator/random.js';

describe('motor', () => {
  it('travels at constant speed without overshooting', () => {
    expect(travel(0, 100, FULL_TRAVEL_MS / 2)).toBe(50);
    expect(travel(80, 20, FULL_TRAVEL_MS / 4)).toBe(55);
    expect(travel(0, 30, FULL_TRAVEL_MS)).toBe(30);
    expect(travel(40, 40, 1_000)).toBe(40);
    expect(motionToward(10, 20)).toBe('opening');
    expect(motionToward(20, 10)).toBe('closing');
    expect(motionToward(20, 20)).toBe('stopped');
  });

  it('always moves toward the target and stays between start and target', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.nat(60_000), (from, to, ms) => {
        const next = travel(from, to, ms);
        expect(next).toBeGreaterThanOrEqual(Math.min(from, to));
        expect(next).toBeLessThanOrEqual(Math.max(from, to));
        expect(Math.abs(to - next)).toBeLessThanOrEqual(Math.abs(to - from));
      }),
    );
  });
});

const room: RoomClimate = { temperature: 21, humidity: 50, co2: 800 };
const still: RoomInputs = { occupancy: 0, windowOpening: 0, shade: 1, outdoorTemperature: 12, sunLux: 0 };
const TEN_MINUTES = 10 * 60_000;

describe('room climate', () => {
  it('raises CO2 with people and lowers it faster the wider the windows are open', () => {
    const crowded = stepRoomClimate(room, { ...still, occupancy: 4 }, TEN_MINUTES);
    expect(crowded.co2).toBeGreaterThan(room.co2 + 150);
    const closed = stepRoomClimate(room, still, TEN_MINUTES);
    const ajar = stepRoomClimate(room, { ...still, windowOpening: 0.25 }, TEN_MINUTES);
    const open = stepRoomClimate(room, { ...still, windowOpening: 1 }, TEN_MINUTES);
    expect(closed.co2).toBeLessThan(room.co2);
    expect(ajar.co2).toBeLessThan(closed.co2);
    expect(open.co2).toBeLessThan(ajar.co2);
    expect(open.co2).toBeGreaterThan(OUTDOOR_CO2_PPM);
  });

  it('cools toward a cold outdoors through open windows and warms in unshaded sunshine', () => {
    const open = stepRoomClimate(room, { ...still, windowOpening: 1 }, TEN_MINUTES);
    expect(open.temperature).toBeLessThan(room.temperature - 0.5);
    const sunny = stepRoomClimate(room, { ...still, sunLux: 80_000 }, 60 * 60_000);
    const shaded = stepRoomClimate(room, { ...still, sunLux: 80_000, shade: 0.1 }, 60 * 60_000);
    expect(sunny.temperature).toBeGreaterThan(shaded.temperature + 0.5);
  });

  it('dries a steamy room faster with an open window', () => {
    const steamy = { ...room, humidity: 85 };
    const closed = stepRoomClimate(steamy, still, TEN_MINUTES);
    const open = stepRoomClimate(steamy, { ...still, windowOpening: 1 }, TEN_MINUTES);
    expect(open.humidity).toBeLessThan(closed.humidity - 10);
  });

  it('stays physical and is the same in one step or many (exact solution)', () => {
    const inputs = fc.record({
      occupancy: fc.integer({ min: 0, max: 10 }),
      windowOpening: fc.double({ min: 0, max: 3, noNaN: true }),
      shade: fc.double({ min: 0, max: 1, noNaN: true }),
      outdoorTemperature: fc.double({ min: -20, max: 40, noNaN: true }),
      sunLux: fc.double({ min: 0, max: 100_000, noNaN: true }),
    });
    fc.assert(
      fc.property(inputs, fc.integer({ min: 1, max: 20 }), (input, steps) => {
        let stepped = room;
        for (let index = 0; index < steps; index++) stepped = stepRoomClimate(stepped, input, 60_000);
        const once = stepRoomClimate(room, input, steps * 60_000);
        expect(stepped.co2).toBeCloseTo(once.co2, 6);
        expect(stepped.temperature).toBeCloseTo(once.temperature, 6);
        expect(stepped.co2).toBeGreaterThanOrEqual(OUTDOOR_CO2_PPM);
        expect(stepped.humidity).toBeGreaterThanOrEqual(0);
        expect(stepped.humidity).toBeLessThanOrEqual(100);
      }),
    );
  });

  it('lets less light in through closed covers', () => {
    expect(shadeFromCovers([])).toBe(1);
    expect(shadeFromCovers([100])).toBe(1);
    expect(shadeFromCovers([0])).toBeCloseTo(0.1);
    expect(indoorLux(20_000, 1)).toBeGreaterThan(indoorLux(20_000, shadeFromCovers([0])) * 5);
  });
});

describe('seeded random', () => {
  it('repeats for the same seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
