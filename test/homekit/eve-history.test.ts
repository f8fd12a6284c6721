/** The Eve history protocol state: entry numbers, gaps, the reference entry, the end marker. */
import { describe, expect, it } from 'vitest';
import { BUCKET_MS, type SensorPoint } from '../../src/history/sensor-history.js';
import { EVE_REFERENCE_MS, EveRoomHistory, entryNumber } from '../../src/homekit/eve-history.js';

const T = EVE_REFERENCE_MS + 1000 * BUCKET_MS;
const ask = (entry: number) => {
  const b = Buffer.alloc(12);
  b.writeUInt8(1, 0);
  b.writeUInt8(0x14, 1);
  b.writeUInt32LE(entry, 2);
  return b;
};
/** [length, entry, mask] of every entry in an S2R2 answer. */
function heads(b: Buffer): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let o = 0; o < b.length && b.readUInt8(o) > 0; o += b.readUInt8(o)) out.push([b.readUInt8(o), b.readUInt32LE(o + 1), b.readUInt8(o + 9)]);
  return out;
}

describe('Eve history protocol', () => {
  const points: SensorPoint[] = [
    { t: T, temperature: 21.25, humidity: 40, co2: 800 },
    // T + 1 bucket: nothing recorded
    { t: T + 2 * BUCKET_MS, co2: 900 },
    { t: EVE_REFERENCE_MS - BUCKET_MS, temperature: 5 }, // before the reference: never served
  ];
  const first = entryNumber(T);

  it('numbers entries by their 10 minutes, fills a gap with an empty entry and ends with 00', () => {
    const h = new EveRoomHistory(() => points);
    h.request(ask(0));
    const answer = h.next();
    expect(heads(answer)).toEqual([
      [21, first - 1, 0x81],
      [16, first, 0x07],
      [10, first + 1, 0x00],
      [12, first + 2, 0x04],
    ]);
    expect(answer.readInt16LE(21 + 10)).toBe(2125);
    expect(answer.readUInt16LE(21 + 16 + 10 + 10)).toBe(900);
    expect(h.next().toString('hex')).toBe('00');
  });

  it('continues from an entry without the reference, and answers 00 past the newest', () => {
    const h = new EveRoomHistory(() => points);
    h.request(ask(first + 1));
    expect(heads(h.next()).map(([, entry]) => entry)).toEqual([first + 1, first + 2]);
    h.request(ask(first + 3));
    expect(h.next().toString('hex')).toBe('00');
  });

  it('reports the range and the newest time in the status; an empty history is empty', () => {
    const status = new EveRoomHistory(() => points).status();
    expect(status.readUInt32LE(0)).toBe((T + 3 * BUCKET_MS - EVE_REFERENCE_MS) / 1000);
    const o = 12 + 7;
    expect(status.readUInt16LE(o)).toBe(4); // reference + 3 entries
    expect(status.readUInt32LE(o + 4)).toBe(first - 2);
    const empty = new EveRoomHistory(() => []);
    expect(empty.status().readUInt16LE(o)).toBe(0);
    empty.request(ask(0));
    expect(empty.next().toString('hex')).toBe('00');
  });
});
