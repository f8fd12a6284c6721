/**
 * Eve history for climate sensors, served straight from the shared sensor history
 * (history/sensor-history.ts): no second copy, no timer, no file of its own.
 *
 * The Eve app reads an accessory's history through a hidden service (E863F007) with four
 * characteristics, as described publicly by people who recorded real Eve devices:
 * - S2R1 "history status" (E863F116, read): the time base and which entries exist;
 * - S2W1 "history request" (E863F11C, write): the entry number the app wants to read from;
 * - S2R2 "history entries" (E863F117, read): the next entries, read repeatedly until `00`;
 * - S2W2 "set time" (E863F121, write): the app's clock (not needed here).
 * All numbers are little-endian. Times are seconds since a reference time, itself given in
 * seconds since 2001-01-01 UTC. Each entry: length (1 byte), entry number (4), seconds since
 * the reference (4), a bitmask of the fields present (1), then the fields in the order of the
 * status's signature: here the Eve Room layout, temperature (0.01 °C, 2 bytes), humidity
 * (0.01 %, 2 bytes) and VOC / air quality (ppm, 2 bytes), which carries the CO2.
 *
 * Entry numbers are derived from the 10-minute bucket (fixed reference, 2024-01-01 UTC), so
 * they stay the same across restarts and retention: the app can always continue where it
 * stopped. Entry `first - 1` carries the reference time (bitmask 0x81). A bucket without any
 * value is an entry with no fields (bitmask 0): real Eve devices always send all fields.
 */
import type { API, PlatformAccessory, Service } from 'homebridge';
import { BUCKET_MS, type SensorPoint } from '../history/sensor-history.js';

export const EVE_UUID = {
  service: 'E863F007-079E-48FF-8F27-9C2605A29F52',
  status: 'E863F116-079E-48FF-8F27-9C2605A29F52',
  entries: 'E863F117-079E-48FF-8F27-9C2605A29F52',
  request: 'E863F11C-079E-48FF-8F27-9C2605A29F52',
  setTime: 'E863F121-079E-48FF-8F27-9C2605A29F52',
} as const;

/** Seconds from 1970 to 2001-01-01 UTC (Apple's epoch). */
const APPLE_EPOCH_S = 978_307_200;
/** The fixed reference of every entry number and time offset. */
export const EVE_REFERENCE_MS = Date.UTC(2024, 0, 1);
const REF_BUCKET = EVE_REFERENCE_MS / BUCKET_MS;
/** Eve Room: temperature (type 1, 2 bytes), humidity (2, 2 bytes), air quality ppm (4, 2 bytes). */
const SIGNATURE = Buffer.from([0x03, 0x01, 0x02, 0x02, 0x02, 0x04, 0x02]);
/** Entries per S2R2 read (the app reads again until it gets `00`). */
const ENTRIES_PER_READ = 11;

/** A sensor's closed 10-minute points, oldest first (the store's series without the open bucket). */
export type PointSource = () => SensorPoint[];

/** The entry number of the bucket starting at `t`. */
export const entryNumber = (t: number): number => Math.round(t / BUCKET_MS) - REF_BUCKET + 2;

interface Window {
  first: number;
  last: number;
  lastTime: number;
  byEntry: Map<number, SensorPoint>;
}

/** The protocol state of one accessory's history: where the app is reading. */
export class EveRoomHistory {
  private cursor = 0;
  /** The entries of the transfer in progress: looked up once per request, not once per read. */
  private transfer?: Window;

  constructor(private readonly points: PointSource) {}

  private window(): Window | undefined {
    const byEntry = new Map<number, SensorPoint>();
    let first = Infinity;
    let last = -Infinity;
    let lastTime = 0;
    for (const p of this.points()) {
      if (p.t < EVE_REFERENCE_MS) continue;
      const n = entryNumber(p.t);
      byEntry.set(n, p);
      first = Math.min(first, n);
      if (n > last) {
        last = n;
        lastTime = p.t;
      }
    }
    return byEntry.size > 0 ? { first, last, lastTime, byEntry } : undefined;
  }

  /** S2R1: time base, signature, how many entries, the first. */
  status(): Buffer {
    const w = this.window();
    const buf = Buffer.alloc(12 + SIGNATURE.length + 14);
    let o = 0;
    const lastEnd = w ? w.lastTime + BUCKET_MS : EVE_REFERENCE_MS;
    o = buf.writeUInt32LE(Math.max(0, Math.round((lastEnd - EVE_REFERENCE_MS) / 1000)), o);
    o = buf.writeUInt32LE(0, o);
    o = buf.writeUInt32LE(Math.round(EVE_REFERENCE_MS / 1000) - APPLE_EPOCH_S, o);
    o += SIGNATURE.copy(buf, o);
    // Entries first-1 (the reference) … last: their count, the memory size, the one before the first.
    const used = w ? w.last - w.first + 2 : 0;
    o = buf.writeUInt16LE(Math.min(used, 0xffff), o);
    o = buf.writeUInt16LE(Math.min(Math.max(used, 1), 0xffff), o);
    o = buf.writeUInt32LE(w ? w.first - 2 : 0, o);
    o = buf.writeUInt32LE(0, o);
    buf.writeUInt8(1, o);
    buf.writeUInt8(1, o + 1);
    return buf;
  }

  /** S2W1: the app asks for the entries from this number on (bytes 2..5). */
  request(data: Buffer): void {
    this.cursor = data.length >= 6 ? data.readUInt32LE(2) : 0;
    this.transfer = this.window();
  }

  /** S2R2: the next entries from the cursor, or `00` when there are no more. */
  next(): Buffer {
    const w = (this.transfer ??= this.window());
    if (!w || this.cursor > w.last) {
      this.transfer = undefined;
      return Buffer.from([0]);
    }
    const parts: Buffer[] = [];
    if (this.cursor < w.first) {
      parts.push(referenceEntry(w.first - 1));
      this.cursor = w.first;
    }
    while (parts.length < ENTRIES_PER_READ && this.cursor <= w.last) {
      parts.push(dataEntry(this.cursor, w.byEntry.get(this.cursor)));
      this.cursor++;
    }
    return Buffer.concat(parts);
  }
}

function referenceEntry(entry: number): Buffer {
  const buf = Buffer.alloc(21);
  buf.writeUInt8(21, 0);
  buf.writeUInt32LE(entry, 1);
  buf.writeUInt32LE(1, 5);
  buf.writeUInt8(0x81, 9);
  buf.writeUInt32LE(Math.round(EVE_REFERENCE_MS / 1000) - APPLE_EPOCH_S, 10);
  return buf;
}

function dataEntry(entry: number, point: SensorPoint | undefined): Buffer {
  const fields: Buffer[] = [];
  let mask = 0;
  const field = (bit: number, value: number | undefined, scale: number, signed: boolean) => {
    if (value === undefined) return;
    const b = Buffer.alloc(2);
    const raw = Math.round(value * scale);
    if (signed) b.writeInt16LE(Math.max(-0x8000, Math.min(0x7fff, raw)));
    else b.writeUInt16LE(Math.max(0, Math.min(0xffff, raw)));
    fields.push(b);
    mask |= bit;
  };
  field(0x01, point?.temperature, 100, true);
  field(0x02, point?.humidity, 100, false);
  field(0x04, point?.co2, 1, false);
  const head = Buffer.alloc(10);
  const length = 10 + fields.length * 2;
  head.writeUInt8(length, 0);
  head.writeUInt32LE(entry, 1);
  // The entry's time is the end of its 10 minutes (the mean is known then).
  const end = (entry - 2 + REF_BUCKET + 1) * BUCKET_MS;
  head.writeUInt32LE(Math.round((end - EVE_REFERENCE_MS) / 1000), 5);
  head.writeUInt8(mask, 9);
  return Buffer.concat([head, ...fields]);
}

/**
 * Adds (or finds again in the cache) the Eve history service on a sensor accessory and serves
 * it from `history`. Returns the service, to be kept among the accessory's services.
 */
export function ensureEveHistoryService(api: API, accessory: PlatformAccessory, history: EveRoomHistory): Service {
  const { Service: S, Characteristic: C } = api.hap;
  const service = accessory.services.find((s) => s.UUID === EVE_UUID.service) ?? accessory.addService(new S('History', EVE_UUID.service, 'eve-history'));
  const data = (name: string, uuid: string, perms: Array<'pr' | 'pw' | 'hd'>) => {
    const existing = service.characteristics.find((c) => c.UUID === uuid);
    if (existing) return existing;
    const characteristic = new C(name, uuid, { format: 'data', perms: perms as never });
    return service.addCharacteristic(characteristic);
  };
  data('Eve History Status', EVE_UUID.status, ['pr', 'hd']).onGet(() => history.status().toString('base64'));
  data('Eve History Entries', EVE_UUID.entries, ['pr', 'hd']).onGet(() => history.next().toString('base64'));
  data('Eve History Request', EVE_UUID.request, ['pw', 'hd']).onSet((value) => {
    history.request(Buffer.from(typeof value === 'string' ? value : '', 'base64'));
  });
  data('Eve Set Time', EVE_UUID.setTime, ['pw', 'hd']).onSet(() => {});
  return service;
}
