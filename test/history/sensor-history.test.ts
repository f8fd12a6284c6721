/**
 * The bounded sensor history: 10-minute means per sensor, the retention, the file across a
 * restart, and the home's real `state` events feeding it.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Home } from '../../src/home/model.js';
import { BUCKET_MS, SensorHistory, readSensorHistoryFile, querySeries, sensorHistoryFile } from '../../src/history/sensor-history.js';
import { climateEvents, readClimateHistoryFile } from '../../src/history/climate-events.js';
import { CLIMATE_FILES, openClimateStore } from '../../src/climate/store.js';
import { silentLogger } from '../../src/logger.js';
import { ManualClock } from '../../src/simulator/clock.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
function clockAt(ms: number): ManualClock {
  const clock = new ManualClock();
  clock.advance(ms);
  return clock;
}
const file = () => sensorHistoryFile(mkdtempSync(join(tmpdir(), 'velux-sensor-history-')));

describe('sensor history', () => {
  it('keeps one mean per 10 minutes and quantity, with gaps where nothing was reported', () => {
    const clock = clockAt(T0);
    const h = new SensorHistory({ path: file(), days: 7, clock });
    h.record('gw/s1', 'Kitchen sensor', 'Kitchen', { temperature: 20, humidity: 40, co2: 600 });
    clock.advance(60_000);
    h.record('gw/s1', 'Kitchen sensor', 'Kitchen', { temperature: 21, humidity: 50, co2: 801 });
    clock.advance(BUCKET_MS); // next bucket
    h.record('gw/s1', 'Kitchen sensor', 'Kitchen', { co2: 1000 });
    clock.advance(3 * BUCKET_MS); // two empty buckets in between
    h.record('gw/s1', 'Kitchen sensor', 'Kitchen', { temperature: 22.04 });
    const points = h.series('gw/s1', T0, clock.now());
    expect(points).toEqual([
      { t: T0, temperature: 20.5, humidity: 45, co2: 701 },
      { t: T0 + BUCKET_MS, co2: 1000 },
      { t: T0 + 4 * BUCKET_MS, temperature: 22 },
    ]);
    // The room's name gives the same series; a time window cuts it.
    expect(h.series('Kitchen', T0 + BUCKET_MS, T0 + BUCKET_MS)).toEqual([{ t: T0 + BUCKET_MS, co2: 1000 }]);
    expect(h.series('nowhere', T0, clock.now())).toEqual([]);
  });

  it('averages the sensors of a room with several', () => {
    const clock = clockAt(T0);
    const h = new SensorHistory({ path: file(), days: 7, clock });
    h.record('gw/a', 'A', 'Attic', { temperature: 20, co2: 500 });
    h.record('gw/b', 'B', 'Attic', { temperature: 22 });
    expect(h.series('Attic', T0, T0)).toEqual([{ t: T0, temperature: 21, co2: 500 }]);
  });

  it('drops implausible values and keeps nothing with historyDays 0', () => {
    const clock = clockAt(T0);
    const h = new SensorHistory({ path: file(), days: 7, clock });
    h.record('gw/s', 'S', 'R', { temperature: 900, humidity: -3, co2: Number.NaN });
    expect(h.series('gw/s', 0, T0)).toEqual([]);
    const path = file();
    const none = new SensorHistory({ path, days: 0, clock });
    none.record('gw/s', 'S', 'R', { temperature: 20 });
    none.stop();
    expect(none.series('gw/s', 0, T0)).toEqual([]);
    expect(readSensorHistoryFile(path).series).toEqual({});
  });

  it('keeps only the retention, also for a file written long ago', () => {
    const clock = clockAt(T0);
    const path = file();
    const h = new SensorHistory({ path, days: 1, clock });
    for (let i = 0; i < 3 * 144; i++) {
      h.record('gw/s', 'S', 'R', { temperature: 20 + (i % 10) });
      clock.advance(BUCKET_MS);
    }
    h.flush();
    const points = h.series('gw/s', 0, clock.now());
    expect(points.length).toBeLessThanOrEqual(144);
    expect(points.length).toBeGreaterThanOrEqual(143);
    expect(points[0]!.t).toBeGreaterThanOrEqual(clock.now() - 86_400_000);
    h.stop();
    // Days later nothing of it is left after the next start.
    clock.advance(3 * 86_400_000);
    const later = new SensorHistory({ path, days: 1, clock });
    expect(later.series('gw/s', 0, clock.now())).toEqual([]);
    expect(readSensorHistoryFile(path).series).toEqual({});
  });

  it('survives a restart, continuing the bucket it was in', () => {
    const clock = clockAt(T0);
    const path = file();
    const first = new SensorHistory({ path, days: 7, clock });
    first.record('gw/s', 'S', 'R', { temperature: 20 });
    clock.advance(BUCKET_MS);
    first.record('gw/s', 'S', 'R', { temperature: 24 });
    first.stop();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    clock.advance(60_000);
    const second = new SensorHistory({ path, days: 7, clock });
    second.record('gw/s', 'S', 'R', { temperature: 26 });
    expect(second.series('gw/s', 0, clock.now())).toEqual([
      { t: T0, temperature: 20 },
      { t: T0 + BUCKET_MS, temperature: 25 },
    ]);
  });

  it('moves an unreadable file aside and starts empty; the read-only reader changes nothing', () => {
    const path = file();
    writeFileSync(path, '{"version":1,"bucketMs":600000,"series":{"x":{"name":"x","start":1,"temperature":[1],"humidity":[],"co2":[]}}}');
    expect(readSensorHistoryFile(path).series).toEqual({});
    expect(existsSync(path)).toBe(true);
    const errors: string[] = [];
    const h = new SensorHistory({ path, days: 7, clock: clockAt(T0), log: { ...silentLogger, error: (m: string) => errors.push(m) } });
    expect(h.sensors()).toEqual([]);
    expect(errors.join()).toMatch(/moved it to .*corrupt/);
  });

  it('is fed by the home model from any gateway, and writes at most every flush interval and at stop', async () => {
    const clock = clockAt(T0);
    const path = file();
    const home = new Home({ log: silentLogger, now: () => clock.now() });
    const gateway = new ScriptedGateway();
    home.addGateway(gateway);
    await home.start();
    gateway.emit('devices', [
      { id: 'sensor', type: 'sensor', name: 'Bath sensor', room: 'Bath', features: {} },
      { id: 'win', type: 'window', name: 'Bath window', room: 'Bath', features: {} },
    ]);
    const h = new SensorHistory({ path, days: 7, clock, flushMs: 300_000 });
    h.attach(home);
    gateway.emit('state', 'sensor', { temperature: 21.5, humidity: 70, co2: 900 });
    gateway.emit('state', 'win', { position: 40 });
    expect(existsSync(path)).toBe(false);
    clock.advance(300_000);
    expect(querySeries(readSensorHistoryFile(path), 'Bath', 0, clock.now())).toEqual([{ t: T0, temperature: 21.5, humidity: 70, co2: 900 }]);
    clock.advance(BUCKET_MS);
    gateway.emit('state', 'sensor', { temperature: 22.5, humidity: 60, co2: 700 });
    h.stop();
    gateway.emit('state', 'sensor', { temperature: 30 }); // after stop: not recorded
    const stored = readSensorHistoryFile(path);
    expect(Object.keys(stored.series)).toEqual(['gw/sensor']);
    expect(querySeries(stored, 'gw/sensor', 0, clock.now())).toEqual([
      { t: T0, temperature: 21.5, humidity: 70, co2: 900 },
      { t: T0 + BUCKET_MS, temperature: 22.5, humidity: 60, co2: 700 },
    ]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, bucketMs: BUCKET_MS });
    await home.stop();
  });
});

describe('climate events for the time line', () => {
  it("reads the climate control's actions and blocks of one room in a time window from its file", () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-climate-events-'));
    const store = openClimateStore(storage, silentLogger);
    store.saveHistory([
      { at: T0 + 3, room: 'Kitchen', kind: 'blocked', trigger: 'co2', guard: 'rain', text: 'Kitchen: airing wanted (co2) but it rains' },
      { at: T0 + 1, room: 'Kitchen', kind: 'action', trigger: 'co2', device: 'gw/w', text: 'Kitchen: opening Kitchen window to 25 %' },
      { at: T0 + 2, room: 'Bath', kind: 'action', trigger: 'humidity', device: 'gw/b', text: 'Bath: opening' },
      { at: T0 + 9, room: 'Kitchen', kind: 'action', trigger: 'co2', device: 'gw/w', text: 'Kitchen: closing' },
    ]);
    const entries = readClimateHistoryFile(join(storage, CLIMATE_FILES.history));
    expect(climateEvents(entries, 'Kitchen', T0, T0 + 5).map((e) => [e.at, e.kind, e.guard])).toEqual([
      [T0 + 1, 'action', undefined],
      [T0 + 3, 'blocked', 'rain'],
    ]);
    expect(climateEvents(entries, undefined, T0, T0 + 100)).toHaveLength(4);
    expect(readClimateHistoryFile(join(storage, 'missing.json'))).toEqual([]);
  });
});
