// The plugin's Homebridge UI pages, server part (docs/ui.md): what homebridge-ui/server.js costs
// while a user has the plugin's settings dialog open, and how long it takes to answer the first
// request, beside a floor in the same run: a bare @homebridge/plugin-ui-utils server part
// (bench/floor-ui-server.mjs) that answers every route with {}.
// Both are started as homebridge-config-ui-x 5.10 starts a plugin's server part: fork(server.js)
// with HOMEBRIDGE_STORAGE_PATH / HOMEBRIDGE_CONFIG_PATH / HOMEBRIDGE_UI_VERSION, silent, and the
// requests and answers as its IPC messages ({action:'request', requestId, path, body}). Each
// also preloads bench/ui-probe.mjs (--expose-gc), which reports RSS and heap after a full GC.
// A real Homebridge runs the plugin on a simulated home (the default layout, 13 devices in 5
// rooms, in its own process), so /state goes over the plugin's Unix socket; a week of 10-minute sensor means for
// every room is written before it starts, so /history has a day and a week to chart.
// Per round and side (plugin and floor alternate, a new server part each round):
//  - ready: fork → the 'ready' message; first answer: fork → the answer to /state sent at ready
//    (what the Rooms page asks first), then a second /state (warm);
//  - memory at ready, after the Rooms and History pages (/blocks, /state, /history day and week,
//    five more /state: ten seconds of an open Rooms page), and after every other page once
//    (People, Privacy, Gateways, the Settings check: /users, /privacy/inventory, /gateways,
//    /config/check).
// BENCH_UI_ROUNDS (default 5). BENCH_BASELINE=<dir>: a built checkout of an older commit whose
// homebridge-ui/server.js runs as a third side in the same rounds (before/after from one run).
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SensorHistory, sensorHistoryFile } from '../dist/history/sensor-history.js';
import { defaultLayout } from '../dist/simulator/index.js';
import { DEFAULT_BLOCK_ID, pluginStorageDir } from '../dist/storage/paths.js';
import { repoRoot, summarize, writeResult } from './lib.mjs';
import { ratio, round, startBroker, startHomebridge, startSimulators, stopChild, track, watchdog, withTimeout } from './harness.mjs';

const ROUNDS = Number(process.env.BENCH_UI_ROUNDS ?? 5);
const PROBE = pathToFileURL(join(repoRoot, 'bench', 'ui-probe.mjs')).href;
const BASELINE = process.env.BENCH_BASELINE;
const SIDES = {
  plugin: join(repoRoot, 'homebridge-ui', 'server.js'),
  ...(BASELINE && { baseline: join(BASELINE, 'homebridge-ui', 'server.js') }),
  floor: join(repoRoot, 'bench', 'floor-ui-server.mjs'),
};
const NAMES = Object.keys(SIDES);
const ALL_ROOMS = new Set(defaultLayout().devices.map((d) => d.room).filter(Boolean)).size;
const UI_VERSION = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'homebridge-config-ui-x', 'package.json'), 'utf8')).version;
watchdog(300_000, 'ui');

/** A week of 10-minute means for every room of the default layout, as the plugin keeps them. */
function seedHistory(storagePath) {
  const dir = pluginStorageDir(storagePath, DEFAULT_BLOCK_ID);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new SensorHistory({ path: sensorHistoryFile(dir), days: 7 });
  const now = Date.now();
  const sensors = defaultLayout().devices.filter((d) => d.type === 'sensor');
  for (let at = now - 7 * 86_400_000; at <= now; at += 600_000) {
    const phase = (at / 86_400_000) * 2 * Math.PI;
    for (const s of sensors) store.record(`bench/${s.id}`, s.name, s.room, { co2: 700 + 300 * Math.sin(phase), humidity: 50 + 8 * Math.cos(phase), temperature: 21 + 2 * Math.sin(phase) }, at);
  }
  store.stop();
  return sensors.map((s) => s.room);
}

/** One server part, started and spoken to as the Homebridge UI does. */
function startServerPart(file, storagePath) {
  const started = performance.now();
  const child = track(
    fork(file, [], {
      silent: true,
      execArgv: ['--expose-gc', '--import', PROBE],
      env: { ...process.env, HOMEBRIDGE_STORAGE_PATH: storagePath, HOMEBRIDGE_CONFIG_PATH: join(storagePath, 'config.json'), HOMEBRIDGE_UI_VERSION: UI_VERSION },
    }),
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const waiting = new Map();
  let next = 0;
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}):\n${output}`)));
    child.on('message', (m) => {
      if (m?.action === 'ready') resolve(performance.now() - started);
      else if (m?.action === 'response' || m?.action === 'bench-memory') {
        const id = m.action === 'response' ? m.payload.requestId : 'memory';
        const w = waiting.get(id);
        waiting.delete(id);
        w?.(m.payload);
      }
    });
  });
  const ask = (action, body) =>
    withTimeout(
      new Promise((resolve) => {
        const id = action === 'bench-memory' ? 'memory' : String(++next);
        waiting.set(id, resolve);
        child.send(action === 'bench-memory' ? { action } : { action: 'request', requestId: id, path: body.path, body: body.body });
      }),
      20_000,
      `${action} ${body?.path ?? ''} from ${file}`,
    );
  return {
    child,
    started,
    ready: withTimeout(ready, 20_000, `${file} to be ready`),
    async request(path, body = {}) {
      const answer = await ask('request', { path, body });
      if (!answer.success) throw new Error(`${path} failed: ${JSON.stringify(answer.data)}\n${output}`);
      return answer.data;
    },
    async memory() {
      const m = await ask('bench-memory');
      return { rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 };
    },
    // as the Homebridge UI closes it: disconnect, then SIGTERM
    async stop() {
      if (child.connected) child.disconnect();
      await stopChild(child, 3000);
    },
  };
}

async function round1(side, storagePath, rooms) {
  const part = startServerPart(SIDES[side], storagePath);
  const readyMs = await part.ready;
  const atReady = await part.memory();
  const first = await part.request('/state');
  const firstAnswerMs = performance.now() - part.started;
  if (side !== 'floor' && (!first.running || first.rooms.length !== ALL_ROOMS)) throw new Error(`the plugin's /state: ${JSON.stringify(first).slice(0, 400)}`);
  const t = performance.now();
  await part.request('/state');
  const warmStateMs = performance.now() - t;
  await part.request('/blocks');
  const day = await part.request('/history', { room: rooms[0], days: 1 });
  const week = await part.request('/history', { room: rooms[0], days: 7 });
  if (side !== 'floor' && !(day.points.length > 100 && week.points.length > 6 * day.points.length)) throw new Error(`the plugin's /history: ${day.points.length} / ${week.points.length} points`);
  for (let i = 0; i < 5; i++) await part.request('/state');
  const afterRooms = await part.memory();
  await part.request('/users');
  await part.request('/privacy/inventory');
  await part.request('/gateways');
  await part.request('/config/check', { block: { gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883' }] } });
  const afterAll = await part.memory();
  await part.stop();
  return { readyMs, firstAnswerMs, warmStateMs, atReady, afterRooms, afterAll };
}

const broker = await startBroker();
const sims = await startSimulators(broker.url, [{ baseTopic: 'uibench', gatewayId: 'uibench-gateway', layout: 'default', clock: 'manual' }]);
let rooms;
const hb = await startHomebridge({
  platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [{ name: 'Home', url: broker.url, baseTopic: 'uibench' }] }],
  beforeStart: (storagePath) => (rooms = [...new Set(seedHistory(storagePath))]),
  waitFor: /devices in \d+ rooms are ready/,
});
try {
  const samples = Object.fromEntries(NAMES.map((n) => [n, []]));
  // one unmeasured start of each first: the OS caches the files they read
  for (const side of NAMES) await round1(side, hb.storagePath, rooms);
  for (let r = 0; r < ROUNDS; r++) {
    // rotate the order, so no side always runs first
    for (let k = 0; k < NAMES.length; k++) {
      const side = NAMES[(r + k) % NAMES.length];
      samples[side].push(await round1(side, hb.storagePath, rooms));
    }
  }
  const pick = (list, f) => summarize(list.map(f));
  const side = (list) => ({
    readyMs: pick(list, (s) => s.readyMs),
    firstAnswerMs: pick(list, (s) => s.firstAnswerMs),
    warmStateMs: pick(list, (s) => s.warmStateMs),
    rssMiB: { atReady: pick(list, (s) => s.atReady.rssMiB), afterRoomsAndHistory: pick(list, (s) => s.afterRooms.rssMiB), afterEveryPage: pick(list, (s) => s.afterAll.rssMiB) },
    heapMiB: { atReady: pick(list, (s) => s.atReady.heapMiB), afterRoomsAndHistory: pick(list, (s) => s.afterRooms.heapMiB), afterEveryPage: pick(list, (s) => s.afterAll.heapMiB) },
  });
  const plugin = side(samples.plugin);
  const floor = side(samples.floor);
  const baseline = BASELINE ? side(samples.baseline) : undefined;
  const m = (s) => round(s.median, 1);
  for (const [name, s] of [['plugin', plugin], ...(baseline ? [['baseline', baseline]] : []), ['floor', floor]]) {
    console.log(
      `ui ${name}: ready ${m(s.readyMs)} ms, first /state ${m(s.firstAnswerMs)} ms (warm ${round(s.warmStateMs.median, 2)} ms); ` +
        `RSS ${m(s.rssMiB.atReady)} / ${m(s.rssMiB.afterRoomsAndHistory)} / ${m(s.rssMiB.afterEveryPage)} MiB, heap ${m(s.heapMiB.atReady)} / ${m(s.heapMiB.afterRoomsAndHistory)} / ${m(s.heapMiB.afterEveryPage)} MiB (at ready / Rooms+History / every page)`,
    );
  }
  const file = writeResult('ui', {
    what: "homebridge-ui/server.js forked as homebridge-config-ui-x forks it, beside a bare plugin-ui-utils server part (floor), same requests; a real Homebridge runs the plugin on the simulated default home",
    rounds: ROUNDS,
    historyRooms: rooms.length,
    plugin,
    ...(baseline && { baseline, baselineDir: BASELINE }),
    floor,
    ratios: {
      firstAnswer: ratio(plugin.firstAnswerMs.median, floor.firstAnswerMs.median),
      rssAfterRoomsAndHistory: ratio(plugin.rssMiB.afterRoomsAndHistory.median, floor.rssMiB.afterRoomsAndHistory.median),
      rssAfterEveryPage: ratio(plugin.rssMiB.afterEveryPage.median, floor.rssMiB.afterEveryPage.median),
    },
    aboveFloorMiB: {
      rssAfterRoomsAndHistory: round(plugin.rssMiB.afterRoomsAndHistory.median - floor.rssMiB.afterRoomsAndHistory.median, 1),
      rssAfterEveryPage: round(plugin.rssMiB.afterEveryPage.median - floor.rssMiB.afterEveryPage.median, 1),
      heapAfterEveryPage: round(plugin.heapMiB.afterEveryPage.median - floor.heapMiB.afterEveryPage.median, 1),
    },
  });
  console.log(`ui: wrote ${file}`);
} finally {
  await hb.stop();
  await sims.stop();
  await broker.stop();
}
