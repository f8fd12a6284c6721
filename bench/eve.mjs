// Eve history: what each way of serving it costs a (child) bridge at start-up, measured side by
// side in fresh Node processes that have already loaded HAP-NodeJS (every bridge has):
// - ours: src/homekit/eve-history.ts on the shared sensor history (no copy, no timer);
// - fakegato-history (requires googleapis when loaded, for its Google Drive storage);
// - homebridge-lib's History service delegate with its Eve types and the Platform and
//   AccessoryDelegate classes it runs in (load only: a lower bound).
// The two libraries are not dependencies of the plugin: install them into a scratch folder
// and point BENCH_EVE_ALT_DIR at it (`npm install --prefix /tmp/eve-alt fakegato-history homebridge-lib`);
// without it only ours is measured.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, summarize, writeResult } from './lib.mjs';

const RUNS = Number(process.env.BENCH_EVE_RUNS ?? 7);
const ALT = process.env.BENCH_EVE_ALT_DIR;
const hapUrl = pathToFileURL(join(repoRoot, 'node_modules', '@homebridge', 'hap-nodejs', 'dist', 'index.js')).href;
const dist = (p) => pathToFileURL(join(repoRoot, 'dist', p)).href;

// Each probe: load HAP first (not counted), then the candidate, then build history services for
// SENSORS sensor accessories with a week of 10-minute points and read one of them out completely.
const SENSORS = 10;
const probe = (load, setup) => `
import { performance } from 'node:perf_hooks';
const hap = await import(${JSON.stringify(hapUrl)});
const api = { hap: hap.default ?? hap, user: { storagePath: () => process.env.TMPDIR ?? '/tmp' } };
// The bridge's sensor accessories exist anyway: built before the measurement.
const { Accessory, Service, uuid } = api.hap;
const accessories = Array.from({ length: ${SENSORS} }, (_, s) => {
  const accessory = new Accessory('Sensor ' + s, uuid.generate('eve-bench-' + s));
  accessory.addService(Service.TemperatureSensor);
  accessory.log = { debug() {} };
  return accessory;
});
globalThis.gc(); globalThis.gc();
const before = process.memoryUsage();
const t0 = performance.now();
${load}
const loadMs = performance.now() - t0;
const t1 = performance.now();
${setup}
const setupMs = performance.now() - t1;
globalThis.gc(); globalThis.gc();
const after = process.memoryUsage();
process.stdout.write(JSON.stringify({ loadMs, setupMs, rssMiB: (after.rss - before.rss) / 2 ** 20, heapMiB: (after.heapUsed - before.heapUsed) / 2 ** 20 }));
`;

const weekPoints = `const now = Date.now(); const points = Array.from({ length: 1008 }, (_, i) => ({ t: Math.floor(now / 600000) * 600000 - (1008 - i) * 600000, temperature: 20 + (i % 30) / 10, humidity: 40 + (i % 20), co2: 500 + (i % 100) * 10 }));`;

const candidates = {
  ours: {
    load: `const eve = await import(${JSON.stringify(dist('homekit/eve-history.js'))});`,
    setup: `${weekPoints}
let bytes = 0;
for (let s = 0; s < ${SENSORS}; s++) {
  const accessory = accessories[s];
  const history = new eve.EveRoomHistory(() => points);
  eve.ensureEveHistoryService(api, accessory, history);
  if (s === 0) { history.status(); history.request(Buffer.from('011400000000000000000000', 'hex')); for (;;) { const b = history.next(); bytes += b.length; if (b.length <= 1) break; } }
}`,
  },
};
if (ALT && existsSync(join(ALT, 'node_modules', 'fakegato-history'))) {
  const req = `(await import('node:module')).createRequire(${JSON.stringify(join(ALT, 'package.json'))})`;
  candidates['fakegato-history'] = {
    load: `const FakeGato = ${req}('fakegato-history')(api);`,
    setup: `${weekPoints}
for (let s = 0; s < ${SENSORS}; s++) {
  const accessory = accessories[s];
  const history = new FakeGato('room', accessory, { disableTimer: true, size: 1008 });
  for (const p of points) history.addEntry({ time: Math.round(p.t / 1000), temp: p.temperature, humidity: p.humidity, ppm: p.co2 });
}
globalThis.__keep = FakeGato;`,
  };
}
if (ALT && existsSync(join(ALT, 'node_modules', 'homebridge-lib'))) {
  const url = (p) => JSON.stringify(pathToFileURL(join(ALT, 'node_modules', 'homebridge-lib', p)).href);
  candidates['homebridge-lib'] = {
    // What a plugin using its History delegate loads: the delegate runs only inside the library's
    // own Platform and AccessoryDelegate classes (a different plugin architecture), so the
    // history services themselves are not set up here: its figures are a lower bound.
    load: `await import(${url('lib/Platform.js')}); await import(${url('lib/AccessoryDelegate.js')}); const { EveHomeKitTypes } = await import(${url('lib/EveHomeKitTypes.js')}); await import(${url('lib/ServiceDelegate/History.js')}); const types = new EveHomeKitTypes(api);`,
    setup: `globalThis.__keep = types;`,
  };
}

const results = {};
for (const [name, c] of Object.entries(candidates)) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe(c.load, c.setup)], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout));
  }
  const pick = (k) => summarize(samples.map((s) => s[k]));
  results[name] = { loadMs: pick('loadMs'), setupMs: pick('setupMs'), rssMiB: pick('rssMiB'), heapMiB: pick('heapMiB') };
  console.log(`${name}: load median ${results[name].loadMs.median} ms, ${SENSORS} sensors set up in ${results[name].setupMs.median} ms, +${results[name].rssMiB.median.toFixed(1)} MiB RSS, +${results[name].heapMiB.median.toFixed(1)} MiB heap`);
}
console.log(`wrote ${writeResult('eve', { runs: RUNS, sensors: SENSORS, weekPointsPerSensor: 1008, alternatives: ALT ?? 'not measured (BENCH_EVE_ALT_DIR unset)', results })}`);
