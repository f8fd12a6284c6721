/**
 * The climate control replayed in process over indoor traces (src/simulator/replay): the real
 * ClimateController on a manual clock, closed loop with the documented airing model. The traces
 * are seeded synthetic days calibrated against a recorded office (docs/climate-control.md,
 * "Replay"); a recorded trace in the same CSV format plays the same way (CLIMATE_TRACE for the
 * benchmark).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_SETTINGS } from '../../src/climate/settings.js';
import { replay } from '../../src/simulator/replay/replay.js';
import { formatTraceCsv, parseTraceCsv, syntheticDay } from '../../src/simulator/replay/trace.js';

const TIMEOUT_MS = 60_000;

describe('climate replay (in process, one simulated day a second)', () => {
  it(
    'spike: single and double outlier readings far over the CO2 limit in an empty room open nothing',
    async () => {
      // Nobody home: CO2 stays near 500 ppm, but ten readings jump 700–900 ppm over it (over
      // 1150), and two more excursions last two readings each.
      const trace = syntheticDay({ seed: 3, occupants: () => 0, start: { co2: 520, temperature: 21, humidity: 45 }, spikes: 10, doubleSpikes: 2, spikePpm: [700, 900] });
      const result = await replay(trace, { settings: { airRecyclingIntervalHours: 0 } });
      const spikes = result.readings.filter((r) => r.co2 > DEFAULT_ROOM_SETTINGS.co2Max);
      expect(spikes.length, 'the trace must hold readings over the limit').toBeGreaterThanOrEqual(10);
      expect(result.openings, trace.source).toEqual([]);
      expect(result.outlierAirings).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    'occupied day: at most 24 openings per window, CO2 over 1400 ppm cut by at least 90 % against no control, no airing from an outlier',
    async () => {
      const trace = syntheticDay();
      const none = await replay(trace, { noControl: true });
      const controlled = await replay(trace);
      expect(none.minutesOver1400, 'the room needs air').toBeGreaterThan(1000);
      expect(controlled.openingsPerWindowPerDay).toBeLessThanOrEqual(24);
      expect(controlled.minutesOver1400).toBeLessThanOrEqual(none.minutesOver1400 * 0.1);
      expect(controlled.outlierAirings).toBe(0);
      // It does air: CO2 airings, each ended by comfort (CO2 under 750 ppm) or the maximum.
      expect(controlled.openings.every((o) => o.trigger === 'co2' || o.trigger === 'air_recycling')).toBe(true);
      expect(controlled.airingsPerDay).toBeGreaterThanOrEqual(12);
      // Airings start at least the interval apart.
      const starts = [...new Set(controlled.openings.map((o) => o.minute))];
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(DEFAULT_ROOM_SETTINGS.airingIntervalMinutes);
    },
    TIMEOUT_MS,
  );

  it(
    'rain ending: nothing opens within the hold after the last rain, then the room is aired',
    async () => {
      // Two showers in a stuffy afternoon: 14:00–14:20 and 14:40–14:50.
      const rainy = (minute: number) => (minute >= 840 && minute < 860) || (minute >= 880 && minute < 890);
      const trace = syntheticDay({ seed: 5, minutes: 1080, rain: rainy });
      const result = await replay(trace);
      const hold = DEFAULT_ROOM_SETTINGS.rainHoldMinutes;
      expect(result.openingsInRainHold).toBe(0);
      const during = result.openings.filter((o) => o.minute >= 840 && o.minute < 890 + hold);
      expect(during, JSON.stringify(result.openings)).toEqual([]);
      // CO2 is high by then (two people, windows shut for the rain): it airs soon after the hold.
      const after = result.openings.find((o) => o.minute >= 890 + hold);
      expect(after, JSON.stringify(result.openings)).toBeDefined();
      expect(after!.minute).toBeLessThan(890 + hold + 10);
    },
    TIMEOUT_MS,
  );

  it(
    'cold air: an airing in a cool room with 5 °C outdoors ends with the "too cold" close',
    async () => {
      const trace = syntheticDay({ seed: 7, minutes: 240, start: { co2: 1100, temperature: 18.2, humidity: 45 }, temperature: () => 18.2, outdoor: () => 5 });
      const result = await replay(trace);
      const first = result.openings[0];
      expect(first?.trigger).toBe('co2');
      const cold = result.closes.find((c) => c.trigger === 'too_cold');
      expect(cold, JSON.stringify(result.closes)).toBeDefined();
      expect(cold!.reading.temperature).toBeLessThan(DEFAULT_ROOM_SETTINGS.temperatureMin);
      // Within a few minutes of opening, well before the minimum airing would have ended it.
      expect(cold!.minute - first!.minute).toBeLessThanOrEqual(DEFAULT_ROOM_SETTINGS.minAiringMinutes);
    },
    TIMEOUT_MS,
  );
});

describe('trace CSV', () => {
  it('round-trips a trace and refuses malformed input with the line', () => {
    const trace = syntheticDay({ minutes: 30 });
    const parsed = parseTraceCsv(formatTraceCsv(trace), trace.source);
    expect(parsed.rows).toEqual(trace.rows);
    expect(parseTraceCsv('# a recorded slice\nminute,co2,temperature,humidity\n0,700,21.5,40\n1,705.5,21.5,40.1\n').rows).toEqual([
      { minute: 0, co2: 700, temperature: 21.5, humidity: 40 },
      { minute: 1, co2: 705.5, temperature: 21.5, humidity: 40.1 },
    ]);
    expect(() => parseTraceCsv('minute,co2,temperature\n0,700,21\n', 'x.csv')).toThrow('x.csv: line 1: missing column "humidity"');
    expect(() => parseTraceCsv('minute,co2,temperature,humidity\n0,700,21,40\n0,700,21,40\n', 'x.csv')).toThrow('x.csv: line 3: minute 0 does not increase');
    expect(() => parseTraceCsv('minute,co2,temperature,humidity\n0,abc,21,40\n', 'x.csv')).toThrow('x.csv: line 2: co2 "abc" is not a number');
    expect(() => parseTraceCsv('minute,co2,temperature,humidity,wind\n0,1,2,3,4\n', 'x.csv')).toThrow('unknown column "wind"');
  });
});
