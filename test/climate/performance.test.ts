/**
 * How long one evaluation of a large home takes. Printed, not asserted: timing depends on
 * the machine, and a slow CI runner must not fail the build.
 */
import { performance } from 'node:perf_hooks';
import { expect, it } from 'vitest';
import { evaluate } from '../../src/climate/policy.js';
import type { PolicyInput, RoomInput } from '../../src/climate/types.js';
import { blind, HOME_MEMORY, input, MINUTE, NOON, room, sensor, window } from './fixtures.js';

const ROOMS = 1000;
const RUNS = 50;

function largeHome(): PolicyInput {
  const rooms: RoomInput[] = [];
  for (let index = 0; index < ROOMS; index++) {
    // A mix of rooms that air, overheat, are fine, or have a stale sensor.
    const co2 = [700, 1400, 1100, 900][index % 4] ?? 700;
    const temperature = [21, 24.5, 27, 19][index % 3] ?? 21;
    rooms.push(
      room({
        name: `Room ${index}`,
        windows: [window(`Room ${index} window`, { position: index % 5 === 0 ? 30 : 0 }), window(`Room ${index} roof window`)],
        covers: [blind(`Room ${index} blind`, { position: 80, target: 80 })],
        sensor: sensor({ co2, temperature, lux: index % 2 === 0 ? 30000 : 500 }, index % 10 === 0 ? NOON - 20 * MINUTE : NOON),
      }),
    );
  }
  return input({ rooms, memory: HOME_MEMORY });
}

it(`evaluates ${ROOMS} rooms (prints the median of ${RUNS} runs)`, () => {
  const first = largeHome();
  // Evaluate once to get a memory with every room in it, as in steady operation.
  const steady: PolicyInput = { ...first, now: NOON + MINUTE, memory: evaluate(first).memory };
  const times: number[] = [];
  let output = evaluate(steady);
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    output = evaluate(steady);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  console.log(`climate policy: ${ROOMS} rooms evaluated in ${median.toFixed(2)} ms (median of ${RUNS}; min ${times[0]?.toFixed(2)} ms, max ${times.at(-1)?.toFixed(2)} ms)`);
  expect(output.rooms).toHaveLength(ROOMS);
});
