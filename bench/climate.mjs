// Climate: one evaluation of the pure policy over 1,000 rooms (target ≤ 10 ms), against a
// floor that only walks the same input once.
import { performance } from 'node:perf_hooks';
import { EMPTY_CLIMATE_MEMORY } from '../dist/climate/memory.js';
import { evaluate } from '../dist/climate/policy.js';
import { DEFAULT_ROOM_SETTINGS } from '../dist/climate/settings.js';
import { summarize, writeResult } from './lib.mjs';

const ROOMS = Number(process.env.BENCH_CLIMATE_ROOMS ?? 1000);
const RUNS = Number(process.env.BENCH_CLIMATE_RUNS ?? 300);
const now = Date.UTC(2026, 6, 1, 13, 0, 0);

function home(rooms) {
  const list = [];
  for (let i = 0; i < rooms; i++) {
    // A mix: some rooms need airing (CO2, humidity), some are hot (heat protection), some are fine.
    const kind = i % 4;
    list.push({
      name: `Room ${i}`,
      settings: DEFAULT_ROOM_SETTINGS,
      sensor: {
        temperature: kind === 2 ? 27 : 21,
        humidity: kind === 1 ? 80 : 45,
        co2: kind === 0 ? 1400 : 700,
        lux: kind === 2 ? 30000 : 500,
        updatedAt: now - 30_000,
        reachable: true,
      },
      windows: [
        { key: `gw/w${i}a`, name: `Window ${i}a`, type: 'window', position: 0, target: 0, motion: 'stopped', reachable: true, rainSensor: true, rain: false },
        { key: `gw/w${i}b`, name: `Window ${i}b`, type: 'window', position: 0, target: 0, motion: 'stopped', reachable: true, rainSensor: false },
      ],
      covers: [{ key: `gw/c${i}`, name: `Blind ${i}`, type: 'blind', position: 100, target: 100, motion: 'stopped', reachable: true, rainSensor: false }],
    });
  }
  return list;
}

const rooms = home(ROOMS);
const input = { now, timeZoneOffsetMinutes: 60, away: false, gatewayOnline: true, weather: { temperature: 18, windSpeed: 2, rain: false }, rooms, memory: EMPTY_CLIMATE_MEMORY };

function floor() {
  // The least any evaluation must do: look at every room's sensor and devices once.
  let acc = 0;
  for (const r of input.rooms) {
    acc += (r.sensor?.co2 ?? 0) + r.windows.length + r.covers.length;
  }
  return acc;
}

for (let i = 0; i < 30; i++) {
  evaluate(input);
  floor();
}
const policy = [];
const floorTimes = [];
let actions = 0;
for (let i = 0; i < RUNS; i++) {
  // Alternate so both see the same machine noise.
  let t = performance.now();
  const out = evaluate(input);
  policy.push(performance.now() - t);
  actions = out.rooms.reduce((a, r) => a + r.actions.length, 0);
  t = performance.now();
  floor();
  floorTimes.push(performance.now() - t);
}
const result = {
  rooms: ROOMS,
  runs: RUNS,
  actionsPerEvaluation: actions,
  evaluationMs: summarize(policy),
  floorMs: summarize(floorTimes),
  target: { medianMs: 10 },
};
result.pass = result.evaluationMs.median <= 10;
const file = writeResult('climate', result);
console.log(`climate: ${ROOMS} rooms, median ${result.evaluationMs.median} ms, p99 ${result.evaluationMs.p99} ms (floor median ${result.floorMs.median} ms), ${actions} actions → ${file}`);
