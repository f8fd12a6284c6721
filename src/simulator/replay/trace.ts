/**
 * Indoor traces for the climate replay: one sensor reading per row, as recorded in a room whose
 * windows stayed closed (or as generated to look like one). The replay (replay.ts) plays them
 * through the real climate controller and takes away what its airings would have removed.
 *
 * CSV format (docs/climate-control.md, "Replay"): a header line naming the columns, in any order,
 * then one row per reading. Lines starting with `#` are comments (source, licence, rows used).
 *
 *   minute        minutes since the start of the trace (fractions allowed), increasing   required
 *   co2           ppm                                                                     required
 *   temperature   °C                                                                      required
 *   humidity      %RH                                                                     required
 *   outdoor       outdoor temperature, °C (default: the replay's option, 12 °C)           optional
 *   rain          1 while it rains, else 0 (default 0)                                    optional
 *   occupants     people in the room (information only; the replay does not need it)     optional
 *
 * An empty cell means "unknown" for the optional columns and is refused for the required ones.
 */
import { OUTDOOR_CO2_PPM, stepRoomClimate, type RoomClimate } from '../climate.js';
import { seededRandom, type Random } from '../random.js';

export interface TraceRow {
  minute: number;
  co2: number;
  temperature: number;
  humidity: number;
  outdoor?: number;
  rain?: boolean;
  occupants?: number;
}

export interface Trace {
  /** Where the rows come from, e.g. "synthetic occupied day, seed 17" or the data set and rows. */
  source: string;
  rows: TraceRow[];
}

const REQUIRED = ['minute', 'co2', 'temperature', 'humidity'] as const;
const OPTIONAL = ['outdoor', 'rain', 'occupants'] as const;

/** Parse the CSV format above; throws an Error naming the line for anything else. */
export function parseTraceCsv(text: string, source = 'trace file'): Trace {
  const lines = text.split(/\r?\n/).map((line, index) => ({ line: line.trim(), number: index + 1 }));
  const content = lines.filter(({ line }) => line !== '' && !line.startsWith('#'));
  const header = content.shift();
  if (!header) throw new Error(`${source}: no header line`);
  const columns = header.line.split(',').map((name) => name.trim().toLowerCase());
  for (const name of REQUIRED) {
    if (!columns.includes(name)) throw new Error(`${source}: line ${header.number}: missing column "${name}" (need ${REQUIRED.join(', ')})`);
  }
  const known = new Set<string>([...REQUIRED, ...OPTIONAL]);
  const unknown = columns.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`${source}: line ${header.number}: unknown column "${unknown[0]}"`);

  const rows: TraceRow[] = [];
  for (const { line, number } of content) {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length !== columns.length) throw new Error(`${source}: line ${number}: ${cells.length} cells, expected ${columns.length}`);
    const value = (name: string): number | undefined => {
      const cell = cells[columns.indexOf(name)];
      if (cell === undefined || cell === '') return undefined;
      const parsed = Number(cell);
      if (!Number.isFinite(parsed)) throw new Error(`${source}: line ${number}: ${name} "${cell}" is not a number`);
      return parsed;
    };
    const required = (name: (typeof REQUIRED)[number]): number => {
      const parsed = value(name);
      if (parsed === undefined) throw new Error(`${source}: line ${number}: ${name} is empty`);
      return parsed;
    };
    const row: TraceRow = { minute: required('minute'), co2: required('co2'), temperature: required('temperature'), humidity: required('humidity') };
    const previous = rows.at(-1);
    if (previous && row.minute <= previous.minute) throw new Error(`${source}: line ${number}: minute ${row.minute} does not increase`);
    const outdoor = columns.includes('outdoor') ? value('outdoor') : undefined;
    const rain = columns.includes('rain') ? value('rain') : undefined;
    const occupants = columns.includes('occupants') ? value('occupants') : undefined;
    if (outdoor !== undefined) row.outdoor = outdoor;
    if (rain !== undefined) row.rain = rain !== 0;
    if (occupants !== undefined) row.occupants = occupants;
    rows.push(row);
  }
  if (rows.length === 0) throw new Error(`${source}: no rows`);
  return { source, rows };
}

/** The CSV text of a trace, with its source as a comment line. */
export function formatTraceCsv(trace: Trace): string {
  const lines = [`# ${trace.source}`, 'minute,co2,temperature,humidity,outdoor,rain,occupants'];
  for (const row of trace.rows) {
    lines.push(
      [row.minute, row.co2, row.temperature, row.humidity, row.outdoor ?? '', row.rain === undefined ? '' : row.rain ? 1 : 0, row.occupants ?? ''].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Sensor noise and outliers, calibrated against the UCI "Occupancy Detection" data set
 * (Candanedo & Feldheim 2016, CC BY 4.0; office room, one reading a minute; docs/climate-control.md,
 * "Replay"): CO2 white noise of 3 ppm (the record's residual against a 5-reading median: median
 * 1 ppm, 90th percentile 4–5 ppm), temperature 0.03 °C, humidity 0.05 %RH; single-reading CO2
 * outliers of 120–330 ppm (the record: +137, +178 and +322 ppm between readings that agree).
 */
export const SENSOR_NOISE = { co2Ppm: 3, temperatureC: 0.03, humidityPct: 0.05 } as const;

export interface SyntheticDayOptions {
  seed?: number;
  /** Minutes to generate (default a day, 1440). */
  minutes?: number;
  /** People in the room at each minute (default two, all day: a continuously occupied room). */
  occupants?: (minute: number) => number;
  /** Outdoor temperature, °C (default 14). */
  outdoor?: (minute: number) => number;
  /** Whether it rains at each minute (default never). */
  rain?: (minute: number) => boolean;
  /** Starting CO2 and humidity (default 650 ppm, 48 %; the temperature is the heating's). */
  start?: RoomClimate;
  /** Single-reading CO2 outliers: how many, spread over the day (default 4). */
  spikes?: number;
  /** Two-reading CO2 excursions (someone at the sensor for a minute or two; default 1). */
  doubleSpikes?: number;
  /** Size of the outliers over the true value, ppm (default 120 to 330, as recorded). */
  spikePpm?: readonly [number, number];
  /** The room temperature the heating holds (default 21 °C ± 0.4 over the day). */
  temperature?: (minute: number) => number;
}

/** Box–Muller normal deviate. */
function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const round = (value: number, step: number): number => Number((Math.round(value / step) * step).toFixed(2));

/**
 * A seeded day in a closed room (windows shut, no control): the simulator's room physics
 * (src/simulator/climate.ts: 50 m³, 0.3 air changes an hour, 360 ppm/h and 1 %RH/h per person)
 * for the true CO2 and humidity; the temperature is held by the heating at 21 °C ± 0.4 over the
 * day; plus the sensor noise and outliers above. Same seed, same trace.
 */
export function syntheticDay(options: SyntheticDayOptions = {}): Trace {
  const seed = options.seed ?? 17;
  const random = seededRandom(seed);
  const minutes = options.minutes ?? 1440;
  const occupants = options.occupants ?? (() => 2);
  const outdoor = options.outdoor ?? (() => 14);
  const rain = options.rain ?? (() => false);
  const temperature = options.temperature ?? ((minute: number) => 21 + 0.4 * Math.sin((2 * Math.PI * (minute - 360)) / 1440));
  let climate: RoomClimate = options.start ?? { co2: 650, temperature: 21, humidity: 48 };

  const spikeAt = new Map<number, number>();
  const spikeCount = options.spikes ?? 4;
  const doubleCount = options.doubleSpikes ?? 1;
  for (let i = 0; i < spikeCount + doubleCount; i++) {
    // Spread over the day, away from the edges and from each other.
    const slot = minutes / (spikeCount + doubleCount);
    const minute = Math.floor(slot * i + slot * (0.25 + 0.5 * random()));
    const [smallest, largest] = options.spikePpm ?? [120, 330];
    const size = smallest + Math.round(random() * (largest - smallest));
    spikeAt.set(minute, size);
    if (i >= spikeCount) spikeAt.set(minute + 1, Math.round(size * (0.6 + 0.4 * random())));
  }

  const rows: TraceRow[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    if (minute > 0) {
      climate = stepRoomClimate(
        climate,
        { occupancy: occupants(minute), windowOpening: 0, shade: 1, outdoorTemperature: outdoor(minute), sunLux: 0 },
        60_000,
      );
    }
    const co2 = Math.max(OUTDOOR_CO2_PPM - 20, climate.co2 + normal(random) * SENSOR_NOISE.co2Ppm + (spikeAt.get(minute) ?? 0));
    rows.push({
      minute,
      co2: round(co2, 0.5),
      temperature: round(temperature(minute) + normal(random) * SENSOR_NOISE.temperatureC, 0.01),
      humidity: round(climate.humidity + normal(random) * SENSOR_NOISE.humidityPct, 0.01),
      outdoor: outdoor(minute),
      rain: rain(minute),
      occupants: occupants(minute),
    });
  }
  const spikes = [...spikeAt.keys()].sort((a, b) => a - b);
  return { source: `synthetic closed-room day (seed ${seed}; CO2 outliers at minutes ${spikes.join(', ')})`, rows };
}
