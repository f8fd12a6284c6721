/**
 * Eve history end to end: a real Homebridge child process with the plugin, a sensor history
 * file written beforehand (what a week of running leaves behind), and a paired HAP controller
 * that reads the Eve history characteristics the way the Eve app does (status, request from
 * entry 0, entries until `00`). The entries are decoded here, independently of the plugin's
 * encoder, back to the recorded values and times.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '../../src/simulator/index.js';
import { BUCKET_MS, SENSOR_HISTORY_FILE, parseSensorHistory, type SensorHistoryDocument } from '../../src/history/sensor-history.js';
import { deviceKey } from '../../src/home/identity.js';
import { DEFAULT_BLOCK_ID, pluginStorageDir } from '../../src/storage/paths.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import { accessoryName, HapController, startHomebridge, type HapAccessory, type RunningHomebridge } from '../helpers/homebridge.js';

const HISTORY_SERVICE = 'E863F007-079E-48FF-8F27-9C2605A29F52';
const STATUS = 'E863F116-079E-48FF-8F27-9C2605A29F52';
const ENTRIES = 'E863F117-079E-48FF-8F27-9C2605A29F52';
const REQUEST = 'E863F11C-079E-48FF-8F27-9C2605A29F52';
/** 2001-01-01 UTC, the Eve time base's own epoch, in Unix seconds. */
const APPLE_EPOCH = 978_307_200;

interface Decoded {
  entry: number;
  time: number;
  values: Record<number, number>;
}

/** Reads the status: reference time, the signature (field type → byte length) and the entry range. */
function decodeStatus(b: Buffer): { refUnix: number; lastOffset: number; fields: Array<[number, number]>; first: number; used: number } {
  const lastOffset = b.readUInt32LE(0);
  const refUnix = b.readUInt32LE(8) + APPLE_EPOCH;
  const n = b.readUInt8(12);
  const fields: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) fields.push([b.readUInt8(13 + 2 * i), b.readUInt8(14 + 2 * i)]);
  const o = 13 + 2 * n;
  return { refUnix, lastOffset, fields, used: b.readUInt16LE(o), first: b.readUInt32LE(o + 4) };
}

/** Splits an S2R2 answer into entries; field values by signature type, in the signature's order. */
function decodeEntries(b: Buffer, fields: Array<[number, number]>, refUnix: number): Array<Decoded | { reference: number }> {
  const out: Array<Decoded | { reference: number }> = [];
  let o = 0;
  while (o < b.length) {
    const length = b.readUInt8(o);
    if (length === 0) break;
    const entry = b.readUInt32LE(o + 1);
    const offset = b.readUInt32LE(o + 5);
    const mask = b.readUInt8(o + 9);
    if (mask === 0x81) {
      out.push({ reference: b.readUInt32LE(o + 10) + APPLE_EPOCH });
    } else {
      const values: Record<number, number> = {};
      let p = o + 10;
      fields.forEach(([type, size], bit) => {
        if (!(mask & (1 << bit))) return;
        values[type] = size === 2 ? (type === 1 ? b.readInt16LE(p) : b.readUInt16LE(p)) : b.readUIntLE(p, size);
        p += size;
      });
      out.push({ entry, time: refUnix + offset, values });
    }
    o += length;
  }
  return out;
}

describe('Eve history through a HAP controller (real Homebridge)', () => {
  let broker: TestBroker;
  let sim: SimulatedHome;
  let homebridge: RunningHomebridge | undefined;
  let controller: HapController | undefined;
  let accessories: HapAccessory[] = [];
  let storagePath = '';
  let bedroomKey = '';
  // Eight closed 10-minute buckets ending well before now (a bucket closing during the test adds one after them).
  const lastBucket = Math.floor(Date.now() / BUCKET_MS) - 2;
  const firstBucket = lastBucket - 7;
  const recorded = Array.from({ length: 8 }, (_, i) => ({
    t: (firstBucket + i) * BUCKET_MS,
    temperature: i === 3 ? null : Math.round((18.5 + i * 0.7) * 10) / 10,
    humidity: 40 + i,
    co2: 600 + 150 * i,
  }));

  beforeAll(async () => {
    broker = await startAedes();
    const baseTopic = uniqueBaseTopic('eve');
    sim = new SimulatedHome({ url: broker.url, baseTopic, timeScale: 20 });
    await sim.start();
    storagePath = mkdtempSync(join(tmpdir(), 'velux-eve-'));
    bedroomKey = deviceKey(baseTopic, 'bedroom-sensor');
    const doc: SensorHistoryDocument = {
      version: 1,
      bucketMs: BUCKET_MS,
      series: {
        [bedroomKey]: {
          name: 'Bedroom sensor',
          room: 'Bedroom',
          start: firstBucket,
          temperature: recorded.map((r) => r.temperature),
          humidity: recorded.map((r) => r.humidity),
          co2: recorded.map((r) => r.co2),
        },
      },
    };
    mkdirSync(pluginStorageDir(storagePath, DEFAULT_BLOCK_ID), { recursive: true });
    writeFileSync(join(pluginStorageDir(storagePath, DEFAULT_BLOCK_ID), SENSOR_HISTORY_FILE), JSON.stringify(doc));
    homebridge = await startHomebridge({
      storagePath,
      platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [{ name: 'Home', url: broker.url, baseTopic }], climate: { enabled: false } }],
    });
    controller = await HapController.pair(homebridge);
    const deadline = Date.now() + 15_000;
    while (!accessories.some((a) => accessoryName(a) === 'Bedroom sensor') && Date.now() < deadline) {
      accessories = await controller.accessories();
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await controller?.close().catch(() => undefined);
    await homebridge?.dispose().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    if (storagePath) rmSync(storagePath, { recursive: true, force: true });
  }, 30_000);

  const historyOf = (name: string) => {
    const accessory = accessories.find((a) => accessoryName(a) === name);
    const service = accessory?.services.find((s) => s.type === HISTORY_SERVICE);
    if (!accessory || !service) return undefined;
    const id = (type: string) => `${accessory.aid}.${service.characteristics.find((c) => c.type === type)?.iid}`;
    return { status: id(STATUS), entries: id(ENTRIES), request: id(REQUEST) };
  };

  it('gives each climate sensor the Eve history service, and nothing else', () => {
    expect(historyOf('Bedroom sensor')).toBeDefined();
    expect(historyOf('Kitchen sensor')).toBeDefined();
    expect(historyOf('Bedroom window')).toBeUndefined();
  });

  it('reads back the recorded 10-minute means with their times, as the Eve app reads them', async () => {
    const hc = controller!;
    const ids = historyOf('Bedroom sensor')!;
    const read = async (id: string) => Buffer.from(String((await hc.read(id))[0]?.value ?? ''), 'base64');
    const status = decodeStatus(await read(ids.status));
    expect(status.fields).toEqual([
      [1, 2],
      [2, 2],
      [4, 2],
    ]);
    // The app asks from entry 0 (everything), then reads until it gets `00`.
    expect(await hc.write(ids.request, Buffer.from('011400000000000000000000', 'hex').toString('base64'))).toBe(0);
    const decoded: Array<Decoded | { reference: number }> = [];
    for (let i = 0; i < 50; i++) {
      const chunk = await read(ids.entries);
      if (chunk.length <= 1) break;
      decoded.push(...decodeEntries(chunk, status.fields, status.refUnix));
    }
    expect(decoded[0]).toEqual({ reference: status.refUnix });
    const entries = decoded.slice(1) as Decoded[];
    expect(entries.length).toBeGreaterThanOrEqual(recorded.length);
    // Consecutive entry numbers, the first one right after the status's "first".
    expect(entries.map((e) => e.entry - entries[0]!.entry)).toEqual(entries.map((_, i) => i));
    expect(entries[0]!.entry).toBe(status.first + 2);
    recorded.forEach((r, i) => {
      const e = entries[i]!;
      expect(e.time).toBe((r.t + BUCKET_MS) / 1000); // the end of its 10 minutes
      const expected: Record<number, number> = { 2: r.humidity * 100, 4: r.co2 };
      if (r.temperature !== null) expected[1] = Math.round(r.temperature * 100);
      expect(e.values).toEqual(expected);
    });
    // The status names the last entry's time.
    expect(status.refUnix + status.lastOffset).toBe(entries.at(-1)!.time);
    // Asking again from the last entry on gives only what is new.
    const last = entries.at(-1)!.entry;
    const request = Buffer.alloc(12);
    request.writeUInt8(1, 0);
    request.writeUInt8(0x14, 1);
    request.writeUInt32LE(last, 2);
    await hc.write(ids.request, request.toString('base64'));
    const again = decodeEntries(await read(ids.entries), status.fields, status.refUnix) as Decoded[];
    expect(again.map((e) => e.entry)).toEqual([last]);
    expect((await read(ids.entries)).toString('hex')).toBe('00');
  });

  it('keeps what it had and adds what the sensors reported while it ran, written when Homebridge stops', async () => {
    await controller?.close();
    controller = undefined;
    await homebridge!.stop();
    const doc = parseSensorHistory(JSON.parse(readFileSync(join(pluginStorageDir(storagePath, DEFAULT_BLOCK_ID), SENSOR_HISTORY_FILE), 'utf8')));
    const bedroom = doc?.series[bedroomKey];
    expect(bedroom?.start).toBe(firstBucket);
    expect(bedroom?.co2.slice(0, recorded.length)).toEqual(recorded.map((r) => r.co2));
    // The simulated sensors reported during the run: their 10 minutes are in the file too.
    const reported = bedroom?.open ?? { n: { co2: bedroom?.co2.slice(recorded.length).filter((v) => v !== null).length } };
    expect(reported.n.co2 ?? 0).toBeGreaterThan(0);
    expect(Object.values(doc?.series ?? {}).map((s) => s.name)).toEqual(expect.arrayContaining(['Bedroom sensor', 'Kitchen sensor', 'Living room sensor', 'Bathroom sensor']));
  }, 30_000);
});
