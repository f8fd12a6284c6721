// Sensor history: the file size of a week of a large home (100 sensors reporting temperature,
// humidity and CO2 once a minute for 7 days), the time of one write, and of a week's chart query.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SensorHistory, sensorHistoryFile } from '../dist/history/sensor-history.js';
import { summarize, writeResult } from './lib.mjs';

const SENSORS = Number(process.env.BENCH_SENSORS ?? 100);
const DAYS = Number(process.env.BENCH_SENSOR_DAYS ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'bench-sensor-history-'));
let now = Date.UTC(2026, 0, 5);
const clock = { now: () => now, after: () => () => {}, every: () => () => {} };
const history = new SensorHistory({ path: sensorHistoryFile(dir), days: DAYS, clock });

// Values that wander like a room's do (not constant: constants would compress unfairly well in any format).
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const rooms = Array.from({ length: SENSORS }, (_, i) => ({ key: `gw/sensor-${i}`, name: `Sensor ${i}`, room: `Room ${i}`, t: 21, h: 45, c: 600 }));
for (let minute = 0; minute < DAYS * 1440; minute++) {
  for (const r of rooms) {
    r.t = Math.min(30, Math.max(15, r.t + (random() - 0.5) * 0.2));
    r.h = Math.min(90, Math.max(25, r.h + (random() - 0.5) * 1));
    r.c = Math.min(2500, Math.max(400, r.c + (random() - 0.5) * 40));
    history.record(r.key, r.name, r.room, { temperature: Math.round(r.t * 100) / 100, humidity: Math.round(r.h * 10) / 10, co2: Math.round(r.c) });
  }
  now += 60_000;
}
const writes = [];
for (let i = 0; i < 10; i++) {
  history.record(rooms[0].key, rooms[0].name, rooms[0].room, { temperature: 21 });
  const t = performance.now();
  history.flush();
  writes.push(performance.now() - t);
}
const bytes = statSync(sensorHistoryFile(dir)).size;
const queries = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  history.series(`Room ${i % SENSORS}`, now - 7 * 86_400_000, now);
  queries.push(performance.now() - t);
}
const points = history.series('Room 0', 0, now).length;
rmSync(dir, { recursive: true, force: true });
const result = { sensors: SENSORS, days: DAYS, bucketMinutes: 10, pointsPerSensor: points, fileBytes: bytes, fileMiB: Math.round((bytes / 2 ** 20) * 100) / 100, writeMs: summarize(writes), weekQueryMs: summarize(queries) };
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${writeResult('sensor-history', result)}`);
