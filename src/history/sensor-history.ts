/**
 * The bounded sensor history: temperature, humidity and CO2 of every climate sensor, as
 * 10-minute means, for the charts of the custom UI and the Eve app's history (homekit/eve-history.ts).
 * Transport-neutral: it is fed from the home model's `state` events, whatever gateway sent them.
 *
 * Bounded by the climate history's retention (`climate.historyDays`, default 7; 0 keeps none)
 * and written compactly (one array of means per sensor and quantity), so a week of a large home
 * stays small (docs/privacy.md has the measured size). Written atomically at most every few
 * minutes while values arrive, and at shutdown; the bucket still being filled is written too
 * (its sum and count), so a restart within it continues it instead of starting it again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Cancel } from '../clock.js';
import { systemClock } from '../clock.js';
import { Subscriptions, type Emitter } from '../events.js';
import type { HomeEvents } from '../home/model.js';
import type { Logger } from '../logger.js';
import { readJsonFile, writeFileAtomic } from '../storage/json-file.js';

export const SENSOR_HISTORY_FILE = 'sensor-history.json';
/** The length of one bucket: a chart point, an Eve history entry. */
export const BUCKET_MS = 600_000;
export const SENSOR_METRICS = ['temperature', 'humidity', 'co2'] as const;
export type SensorMetric = (typeof SENSOR_METRICS)[number];
/** Stored precision: 0.1 °C, 0.1 %, 1 ppm. */
const DECIMALS: Record<SensorMetric, number> = { temperature: 1, humidity: 1, co2: 0 };
/** Plausible ranges; a value outside is a gateway's glitch and is not kept. */
const RANGE: Record<SensorMetric, [number, number]> = { temperature: [-50, 100], humidity: [0, 100], co2: [0, 100_000] };

/** One chart point: the mean of each quantity over the bucket that starts at `t` (ms). */
export interface SensorPoint {
  t: number;
  temperature?: number;
  humidity?: number;
  co2?: number;
}

/** The file's shape (docs/privacy.md). Arrays are aligned: element i is bucket `start + i`, null = no value. */
export interface StoredSensorSeries {
  /** The sensor's name and room when it last reported. */
  name: string;
  room?: string;
  /** Index (ms / BUCKET_MS) of the first bucket in the arrays. */
  start: number;
  temperature: Array<number | null>;
  humidity: Array<number | null>;
  co2: Array<number | null>;
  /** The bucket still being filled: sums and counts per quantity. */
  open?: { bucket: number; sum: Partial<Record<SensorMetric, number>>; n: Partial<Record<SensorMetric, number>> };
}

export interface SensorHistoryDocument {
  version: 1;
  bucketMs: number;
  /** By device key. */
  series: Record<string, StoredSensorSeries>;
}

export interface SensorHistoryOptions {
  /** The file (sensorHistoryFile() in the plugin's storage folder). */
  path: string;
  /** Days kept; 0 keeps none (and empties the file). */
  days: number;
  log?: Logger;
  clock?: Clock;
  /** How often values are written at most (default five minutes); also at stop(). */
  flushMs?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isValueArray = (v: unknown): v is Array<number | null> => Array.isArray(v) && v.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)));

/** The file's check, also for readers that must not write (the CLI, the UI's server part). */
export function parseSensorHistory(v: unknown): SensorHistoryDocument | undefined {
  if (!isRecord(v) || v.version !== 1 || v.bucketMs !== BUCKET_MS || !isRecord(v.series)) return undefined;
  for (const s of Object.values(v.series)) {
    if (!isRecord(s) || typeof s.name !== 'string' || (s.room !== undefined && typeof s.room !== 'string')) return undefined;
    if (typeof s.start !== 'number' || !Number.isInteger(s.start)) return undefined;
    if (!SENSOR_METRICS.every((m) => isValueArray(s[m]))) return undefined;
    const lengths = new Set(SENSOR_METRICS.map((m) => (s[m] as unknown[]).length));
    if (lengths.size !== 1) return undefined;
    if (s.open !== undefined && (!isRecord(s.open) || typeof s.open.bucket !== 'number' || !isRecord(s.open.sum) || !isRecord(s.open.n))) return undefined;
  }
  return v as unknown as SensorHistoryDocument;
}

export const emptySensorHistory = (): SensorHistoryDocument => ({ version: 1, bucketMs: BUCKET_MS, series: {} });

/** Reads the file without changing it (a missing or unreadable file reads as empty). */
export function readSensorHistoryFile(path: string): SensorHistoryDocument {
  try {
    return parseSensorHistory(JSON.parse(readFileSync(path, 'utf8'))) ?? emptySensorHistory();
  } catch {
    return emptySensorHistory();
  }
}

const round = (value: number, metric: SensorMetric): number => {
  const f = 10 ** DECIMALS[metric];
  return Math.round(value * f) / f;
};

/** The points of one sensor between two times (bucket starts in [fromMs, toMs]), oldest first, the open bucket last. */
export function seriesOf(s: StoredSensorSeries, fromMs: number, toMs: number): SensorPoint[] {
  const points: SensorPoint[] = [];
  const first = Math.max(s.start, Math.ceil(fromMs / BUCKET_MS));
  const last = Math.min(s.start + s.temperature.length - 1, Math.floor(toMs / BUCKET_MS));
  for (let b = first; b <= last; b++) {
    const point: SensorPoint = { t: b * BUCKET_MS };
    let any = false;
    for (const m of SENSOR_METRICS) {
      const v = s[m][b - s.start];
      if (v !== null && v !== undefined) {
        point[m] = v;
        any = true;
      }
    }
    if (any) points.push(point);
  }
  const open = s.open;
  if (open && open.bucket * BUCKET_MS >= fromMs && open.bucket * BUCKET_MS <= toMs && open.bucket >= s.start + s.temperature.length) {
    const point: SensorPoint = { t: open.bucket * BUCKET_MS };
    let any = false;
    for (const m of SENSOR_METRICS) {
      const n = open.n[m] ?? 0;
      if (n > 0) {
        point[m] = round((open.sum[m] ?? 0) / n, m);
        any = true;
      }
    }
    if (any) points.push(point);
  }
  return points;
}

/**
 * The points for a chart: a device key gives that sensor's points; a room name gives the room's
 * sensors, averaged per bucket when it has several. Unknown → [].
 */
export function querySeries(doc: SensorHistoryDocument, roomOrDeviceKey: string, fromMs: number, toMs: number): SensorPoint[] {
  const own = doc.series[roomOrDeviceKey];
  if (own) return seriesOf(own, fromMs, toMs);
  const inRoom = Object.values(doc.series).filter((s) => s.room === roomOrDeviceKey);
  const [only] = inRoom;
  if (inRoom.length === 1 && only) return seriesOf(only, fromMs, toMs);
  const byTime = new Map<number, { sum: Record<SensorMetric, number>; n: Record<SensorMetric, number> }>();
  for (const s of inRoom) {
    for (const p of seriesOf(s, fromMs, toMs)) {
      const acc = byTime.get(p.t) ?? { sum: { temperature: 0, humidity: 0, co2: 0 }, n: { temperature: 0, humidity: 0, co2: 0 } };
      for (const m of SENSOR_METRICS) {
        const v = p[m];
        if (v === undefined) continue;
        acc.sum[m] += v;
        acc.n[m] += 1;
      }
      byTime.set(p.t, acc);
    }
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, acc]) => {
      const point: SensorPoint = { t };
      for (const m of SENSOR_METRICS) if (acc.n[m] > 0) point[m] = round(acc.sum[m] / acc.n[m], m);
      return point;
    });
}

/** Keeps `days` of buckets (ending at `nowBucket`) of one series; undefined when nothing is left. */
function trim(s: StoredSensorSeries, days: number, nowBucket: number): StoredSensorSeries | undefined {
  const oldest = nowBucket - Math.round((days * 86_400_000) / BUCKET_MS) + 1;
  let drop = Math.max(0, oldest - s.start);
  const length = s.temperature.length;
  // Leading gaps carry nothing: start at the first bucket with a value.
  while (drop < length && SENSOR_METRICS.every((m) => s[m][drop] === null)) drop++;
  const open = s.open && s.open.bucket >= oldest ? s.open : undefined;
  if (drop >= length && !open) return undefined;
  if (drop === 0 && open === s.open) return s;
  const kept: StoredSensorSeries = {
    name: s.name,
    ...(s.room !== undefined ? { room: s.room } : {}),
    start: drop >= length ? (open?.bucket ?? nowBucket) : s.start + drop,
    temperature: s.temperature.slice(drop),
    humidity: s.humidity.slice(drop),
    co2: s.co2.slice(drop),
  };
  if (open) kept.open = open;
  return kept;
}

/** The running store: fed by attach(home), read by series(), written by flush()/stop(). */
export class SensorHistory {
  private doc: SensorHistoryDocument;
  private dirty = false;
  private readonly clock: Clock;
  private subscriptions?: Subscriptions<HomeEvents>;
  private flushTimer?: Cancel;

  constructor(private readonly options: SensorHistoryOptions) {
    this.clock = options.clock ?? systemClock;
    const read = readJsonFile(options.path, parseSensorHistory, emptySensorHistory, options.log).value;
    this.doc = read;
    // Apply the retention at start-up too (and empty the file when nothing is to be kept).
    const before = JSON.stringify(read.series);
    this.prune();
    if (JSON.stringify(this.doc.series) !== before) {
      this.dirty = true;
      this.flush();
    }
  }

  get enabled(): boolean {
    return this.options.days > 0;
  }

  /** Records every sensor value the home reports from now on; flushes every `flushMs`. */
  attach(home: Emitter<HomeEvents>): void {
    this.subscriptions ??= new Subscriptions(home);
    this.subscriptions.on('state', (device) => {
      if (device.descriptor.type !== 'sensor') return;
      this.record(device.key, device.descriptor.name, device.descriptor.room?.trim() || undefined, device.state);
    });
    this.flushTimer ??= this.clock.every(this.options.flushMs ?? 300_000, () => this.flush());
  }

  /** One report of a sensor (values it lacks are skipped; implausible ones are dropped). */
  record(deviceKey: string, name: string, room: string | undefined, values: Partial<Record<SensorMetric, number>>, at = this.clock.now()): void {
    if (!this.enabled) return;
    const bucket = Math.floor(at / BUCKET_MS);
    const present = SENSOR_METRICS.filter((m) => {
      const v = values[m];
      return typeof v === 'number' && Number.isFinite(v) && v >= RANGE[m][0] && v <= RANGE[m][1];
    });
    if (present.length === 0) return;
    let s = this.doc.series[deviceKey];
    if (!s) {
      s = { name, start: bucket, temperature: [], humidity: [], co2: [] };
      this.doc.series[deviceKey] = s;
    }
    s.name = name;
    if (room !== undefined) s.room = room;
    else delete s.room;
    const end = s.start + s.temperature.length;
    if (bucket < end || (s.open && bucket < s.open.bucket)) return; // late or clock gone back: buckets are final
    if (s.open && s.open.bucket !== bucket) this.close(s);
    const open = (s.open ??= { bucket, sum: {}, n: {} });
    for (const m of present) {
      open.sum[m] = (open.sum[m] ?? 0) + (values[m] as number);
      open.n[m] = (open.n[m] ?? 0) + 1;
    }
    this.dirty = true;
  }

  /** Turns the open bucket into its stored mean (with nulls for the buckets in between). */
  private close(s: StoredSensorSeries): void {
    const open = s.open;
    if (!open) return;
    s.open = undefined;
    delete s.open;
    if (s.temperature.length === 0) s.start = open.bucket;
    while (s.start + s.temperature.length < open.bucket) for (const m of SENSOR_METRICS) s[m].push(null);
    for (const m of SENSOR_METRICS) {
      const n = open.n[m] ?? 0;
      s[m].push(n > 0 ? round((open.sum[m] ?? 0) / n, m) : null);
    }
  }

  /** Closes buckets that are over (so series() and Eve see them final) and drops what is past the retention. */
  private prune(): void {
    const nowBucket = Math.floor(this.clock.now() / BUCKET_MS);
    for (const [key, s] of Object.entries(this.doc.series)) {
      if (s.open && s.open.bucket < nowBucket) this.close(s);
      const kept = this.enabled ? trim(s, this.options.days, nowBucket) : undefined;
      if (kept) this.doc.series[key] = kept;
      else delete this.doc.series[key];
    }
  }

  /** See querySeries(). */
  series(roomOrDeviceKey: string, fromMs: number, toMs: number): SensorPoint[] {
    return querySeries(this.doc, roomOrDeviceKey, fromMs, toMs);
  }

  /** The sensors with a history: device key, name and room. */
  sensors(): Array<{ key: string; name: string; room?: string }> {
    return Object.entries(this.doc.series).map(([key, s]) => ({ key, name: s.name, ...(s.room !== undefined ? { room: s.room } : {}) }));
  }

  /** Closes finished buckets, applies the retention, and writes the file if anything changed. */
  flush(): void {
    this.prune();
    if (!this.dirty) return;
    this.dirty = false;
    try {
      writeFileAtomic(this.options.path, JSON.stringify(this.doc));
    } catch (err) {
      this.options.log?.error(`Could not save ${this.options.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  stop(): void {
    this.subscriptions?.clear();
    this.flushTimer?.();
    this.flushTimer = undefined;
    this.flush();
  }
}

/** The file in the plugin's storage folder (`dir` from storage/paths.ts). */
export function sensorHistoryFile(dir: string): string {
  return join(dir, SENSOR_HISTORY_FILE);
}
