// `npm run bench -- climate-real`: the climate control replayed over an indoor day (in process,
// manual clock, airing model: src/simulator/replay/replay.ts), for no control and a few settings
// side by side on the same trace. Writes bench/results/climate-real.json; the table in
// docs/climate-control.md ("Replay") comes from it.
//
// The trace: CLIMATE_TRACE=<file.csv> (the CSV format in docs/climate-control.md, e.g. a recorded
// slice placed under shared/), otherwise the seeded synthetic occupied day (seed 17).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { DEFAULT_ROOM_SETTINGS } from '../dist/climate/settings.js';
import { AIRING_MODEL, replay } from '../dist/simulator/replay/replay.js';
import { parseTraceCsv, SENSOR_NOISE, syntheticDay } from '../dist/simulator/replay/trace.js';
import { writeResult } from './lib.mjs';

const file = process.env.CLIMATE_TRACE;
const trace = file ? parseTraceCsv(readFileSync(resolve(file), 'utf8'), file) : syntheticDay({ seed: 17 });
// A recorded trace has no rain of its own: add two showers so the rain hold is exercised too.
const showers = (minute) => (minute >= 840 && minute < 860) || (minute >= 880 && minute < 890);
const withShowers = { ...trace, rows: trace.rows.map((row) => ({ ...row, rain: row.rain === true || showers(row.minute - trace.rows[0].minute) })) };

/** The settings compared, on top of the defaults. "like v0.1" is the closest the settings get to the old policy. */
const RUNS = [
  { label: 'no control', noControl: true },
  { label: 'like v0.1 (hysteresis 150, no interval, confirmation 1 min, no rain hold)', settings: { co2Hysteresis: 150, airingIntervalMinutes: 0, triggerConfirmMinutes: 1, rainHoldMinutes: 0 } },
  { label: 'defaults (hysteresis 400, interval 60 min, confirmation 2 min, rain hold 15 min)', settings: {} },
  { label: 'defaults, hysteresis 150', settings: { co2Hysteresis: 150 } },
  { label: 'defaults, hysteresis 250', settings: { co2Hysteresis: 250 } },
  { label: 'defaults, interval 0', settings: { airingIntervalMinutes: 0 } },
  { label: 'defaults, interval 45 min', settings: { airingIntervalMinutes: 45 } },
  { label: 'defaults, interval 90 min', settings: { airingIntervalMinutes: 90 } },
  { label: 'defaults, confirmation 5 min', settings: { triggerConfirmMinutes: 5 } },
  { label: 'defaults, one window', settings: {}, windows: 1 },
];

const started = performance.now();
const results = [];
for (const run of RUNS) {
  const t0 = performance.now();
  const r = await replay(withShowers, {
    ...(run.noControl ? { noControl: true } : { settings: run.settings }),
    windows: run.windows ?? 2,
    // Openings within 15 minutes after rain, for every run alike (the old policy had no hold).
    rainHoldMinutes: DEFAULT_ROOM_SETTINGS.rainHoldMinutes,
  });
  const closes = {};
  for (const c of r.closes) closes[c.trigger] = (closes[c.trigger] ?? 0) + 1;
  results.push({
    label: run.label,
    settings: run.noControl ? null : { ...run.settings },
    windows: run.windows ?? 2,
    minutesOver1150: r.minutesOver1150,
    minutesOver1400: r.minutesOver1400,
    airingsPerDay: Number(r.airingsPerDay.toFixed(1)),
    openingsPerWindowPerDay: Number(r.openingsPerWindowPerDay.toFixed(1)),
    outlierAirings: r.outlierAirings,
    openingsInRainHold: r.openingsInRainHold,
    closesByTrigger: closes,
    replayMs: Math.round(performance.now() - t0),
  });
}
const none = results[0];
for (const r of results) r.reductionOver1400Pct = none.minutesOver1400 > 0 ? Number((100 * (1 - r.minutesOver1400 / none.minutesOver1400)).toFixed(1)) : null;
const defaults = results[2];
const targets = {
  reductionOver1400AtLeast90Pct: defaults.reductionOver1400Pct >= 90,
  atMost24OpeningsPerWindowPerDay: defaults.openingsPerWindowPerDay <= 24,
  zeroOutlierAirings: defaults.outlierAirings === 0,
  zeroOpeningsInRainHold: defaults.openingsInRainHold === 0,
};

const path = writeResult('climate-real', {
  trace: { source: trace.source, file: file ?? null, rows: trace.rows.length, minutes: Math.round(trace.rows.at(-1).minute - trace.rows[0].minute + 1), showersAdded: 'minutes 840–860 and 880–890 of the trace' },
  model: { ...AIRING_MODEL, sensorNoise: file ? 'as recorded' : SENSOR_NOISE },
  defaults: { co2Max: DEFAULT_ROOM_SETTINGS.co2Max, co2Hysteresis: DEFAULT_ROOM_SETTINGS.co2Hysteresis, airingIntervalMinutes: DEFAULT_ROOM_SETTINGS.airingIntervalMinutes, triggerConfirmMinutes: DEFAULT_ROOM_SETTINGS.triggerConfirmMinutes, rainHoldMinutes: DEFAULT_ROOM_SETTINGS.rainHoldMinutes },
  targets,
  results,
  wallMs: Math.round(performance.now() - started),
});

console.log(`trace: ${trace.source} (${trace.rows.length} readings)`);
console.log('| settings | min > 1,150 ppm | min > 1,400 ppm | reduction > 1,400 | airings/day | openings/window/day | outlier airings | openings in rain hold |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.label} | ${r.minutesOver1150} | ${r.minutesOver1400} | ${r.reductionOver1400Pct ?? '–'} % | ${r.airingsPerDay} | ${r.openingsPerWindowPerDay} | ${r.outlierAirings} | ${r.openingsInRainHold} |`);
}
console.log(`targets (defaults): ${JSON.stringify(targets)}`);
console.log(`wrote ${path}`);
if (Object.values(targets).includes(false)) process.exitCode = 1;
