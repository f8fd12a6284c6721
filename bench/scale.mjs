// Scale: homes of 10, 100, 500 and 1,000 devices from generateLayout(n), run the way the
// plugin makes large homes work in HomeKit (at most 149 accessories per bridge): the devices
// are split over several simulated gateways (24 rooms each), one VeluxClimate platform block
// per gateway, each block with its own storage `id` in its own child bridge (`_bridge`), climate
// control in the first block only (as the runs before per-block storage did). For each size:
//  - time from starting Homebridge to every bridge listening with all its accessories added
//    (seen by bench/probe.mjs inside HAP-NodeJS), then checked with a paired hap-controller per
//    bridge (which also subscribes to every characteristic, as a home hub does);
//  - resident memory of all Homebridge processes, against a bare Homebridge with no plugin;
//  - both against a floor run in the same run: Homebridge with bench/floor-plugin publishing the
//    same accessories and services on the same number of child bridges, with no logic — what
//    Homebridge and HAP-NodeJS cost for that many accessories and bridges;
//  - event-loop delay (monitorEventLoopDelay, 1 ms resolution, in every Homebridge process)
//    during a sensor storm: complete sensor states, QoS 1 retained, 1,000 messages/s in total;
//  - Google SYNC and QUERY of the whole home: GoogleHome (bench/google-server.mjs) on the same
//    simulated gateways, median of a few requests with a linked bearer token.
// Targets at 500 devices: ≤ 5 s to publish, ≤ 60 MB above bare Homebridge, event-loop p99 ≤ 20 ms.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateLayout } from '../dist/simulator/index.js';
import { repoRoot, sleep, summarize, writeResult } from './lib.mjs';
import {
  closeController,
  freePort,
  listAccessories,
  memoryOf,
  mqttClient,
  pairController,
  probeDir,
  randomUsername,
  readProbe,
  round,
  startBroker,
  startHomebridge,
  startSimulators,
  tempDir,
  waitUntil,
  watchdog,
  withTimeout,
} from './harness.mjs';
import { fulfill, intents, linkGoogle, startGoogleServer } from './google-lib.mjs';
import { writePlot } from './plot.mjs';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10,100,500,1000').split(',').map(Number);
const ROOMS_PER_BRIDGE = 24; // 24 rooms × 6 accessories + rain + departure mode = 146 ≤ 149
const STORM_RATE = 1000;
/** Storm length per size (s): 30 s, shortened to 10 s for 1,000 devices to keep `npm run bench` under 10 minutes. */
const STORM_SECONDS = Object.fromEntries(
  (process.env.BENCH_SCALE_STORM ?? '10:30,100:30,500:30,1000:10').split(',').map((p) => p.split(':').map(Number)),
);
const SETTLE_MS = 3000;
const FLOOR_PLUGIN = join(repoRoot, 'bench', 'floor-plugin');
/** BENCH_SCALE_PUBLISH_ONLY=1: only the start-to-published time (for profiling); no result file. */
const PUBLISH_ONLY = process.env.BENCH_SCALE_PUBLISH_ONLY === '1';
const GOOGLE_REPEATS = 5;
const BASELINE = process.env.BENCH_BASELINE;
const QUERY_MAX_IDS = 1000; // src/google/request-schema.ts
const TARGET = { devices: 500, publishSeconds: 5, memoryAboveBareMiB: 60, eventLoopP99Ms: 20 };
watchdog(BASELINE ? 600_000 : 420_000, 'scale');

// ---- homes -----------------------------------------------------------------------------

/** generateLayout(n) split into gateways of at most ROOMS_PER_BRIDGE whole rooms (the departure switch goes with the first). */
function split(n) {
  const { devices } = generateLayout(n);
  const chunks = [];
  let current = [];
  let rooms = new Set();
  for (const d of devices) {
    if (d.type !== 'departure_switch' && !rooms.has(d.room) && rooms.size === ROOMS_PER_BRIDGE) {
      chunks.push(current);
      current = [];
      rooms = new Set();
    }
    if (d.type !== 'departure_switch') rooms.add(d.room);
    current.push(d);
  }
  chunks.push(current);
  return chunks;
}

/** Accessories the plugin publishes for one gateway's devices (README: devices, room climate, rain, departure mode). */
function expectedAccessories(devices) {
  const byRoom = new Map();
  for (const d of devices) if (d.room) byRoom.set(d.room, [...(byRoom.get(d.room) ?? []), d]);
  const climateRooms = [...byRoom.values()].filter((list) => list.some((d) => d.type === 'sensor') && list.some((d) => ['window', 'blind', 'shutter', 'awning'].includes(d.type))).length;
  const rain = devices.some((d) => d.type === 'window' && d.features.rainSensor) ? 1 : 0;
  const virtualDeparture = devices.some((d) => d.type === 'departure_switch') ? 0 : 1;
  return devices.length + climateRooms + rain + virtualDeparture;
}

/**
 * One platform block per gateway, each in its own child bridge; climate control in the first
 * block only, as the README says for several blocks (they share one storage folder).
 */
async function blocks(url, baseTopics) {
  const list = [];
  for (const [i, baseTopic] of baseTopics.entries()) {
    list.push({
      platform: 'VeluxClimate',
      name: `VELUX ${i + 1}`,
      id: `velux-${i + 1}`,
      gateways: [{ name: `Gateway ${i + 1}`, url, baseTopic }],
      ...(i > 0 ? { climate: { enabled: false } } : {}),
      _bridge: await childBridge(`VELUX ${i + 1}`),
    });
  }
  return list;
}

/** The floor's blocks: the same devices per child bridge, as static accessories (bench/floor-plugin). */
async function floorBlocks(chunks) {
  const list = [];
  for (const [i, devices] of chunks.entries()) list.push({ platform: 'BenchFloor', name: `Floor ${i + 1}`, devices, _bridge: await childBridge(`Floor ${i + 1}`) });
  return list;
}

async function childBridge(name) {
  return { username: randomUsername(), port: await freePort(), name };
}

// ---- Homebridge runs -----------------------------------------------------------------------

/** The Homebridge processes (main + child bridges) the probe saw, with their HAP ports. */
function processes(dir) {
  const records = readProbe(dir);
  const byPid = new Map();
  for (const r of records) {
    const p = byPid.get(r.pid) ?? { pid: r.pid, child: false, port: undefined, startedAt: undefined, listeningAt: undefined, counts: [], eld: undefined, mem: undefined };
    if (r.kind === 'start') {
      p.child = r.argv.some((a) => a.includes('childBridgeFork'));
      p.startedAt = r.t;
    }
    if (r.kind === 'listening') {
      p.port = r.port;
      p.listeningAt = r.t;
    }
    if (r.kind === 'accessories') p.counts.push({ t: r.t, count: r.count });
    if (r.kind === 'eld') p.eld = r;
    if (r.kind === 'mem' && !p.mem) p.mem = r;
    byPid.set(r.pid, p);
  }
  return [...byPid.values()];
}

function totalMemory(procs) {
  let rss = 0;
  let peak = 0;
  const each = [];
  for (const p of procs) {
    const m = memoryOf(p.pid);
    if (!Number.isFinite(m.rssMiB)) continue;
    rss += m.rssMiB;
    peak += m.peakMiB;
    each.push({ pid: p.pid, child: p.child, rssMiB: round(m.rssMiB, 1) });
  }
  return { rssMiB: round(rss, 1), peakMiB: round(peak, 1), processes: each };
}

/** Starts Homebridge, waits until `bridges` HAP servers listen (main included) and settles; returns its memory. */
async function idleRun(label, platforms, bridges, pluginPath) {
  const dir = probeDir();
  const hb = await startHomebridge({ platforms, pluginPath, probeDir: dir, waitFor: null });
  try {
    await waitUntil(() => processes(dir).filter((p) => p.port).length >= bridges, 60_000, `${label}: ${bridges} bridges listening`, 100);
    await sleep(SETTLE_MS);
    const memory = totalMemory(processes(dir));
    console.log(`scale: ${label}: ${memory.rssMiB} MiB in ${memory.processes.length} process(es)`);
    return memory;
  } finally {
    await hb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * Starts Homebridge with `platforms` and resolves once every child bridge listens with all
 * its accessories (per the probe); the caller stops `hb`. `publishSeconds` counts from spawning
 * Homebridge; `timeline` says when each process started, listened and was complete.
 */
async function publishRun(platforms, pluginPath, expectedByPort, label) {
  const dir = probeDir();
  // BENCH_CPU_PROF=<dir>: V8 CPU profiles of every Homebridge process (child bridges inherit --cpu-prof).
  const hb = await startHomebridge({ platforms, pluginPath, probeDir: dir, waitFor: null, cpuProfDir: process.env.BENCH_CPU_PROF || undefined, echo: process.env.BENCH_ECHO === '1' });
  try {
    const publishedAt = await waitUntil(
      () => {
        const procs = processes(dir);
        const times = [];
        for (const [port, expected] of expectedByPort) {
          const p = procs.find((x) => x.port === port);
          const full = p?.counts.find((c) => c.count >= expected);
          if (!p || !full || p.listeningAt === undefined) return undefined;
          times.push(Math.max(p.listeningAt, full.t));
        }
        return Math.max(...times);
      },
      90_000,
      `${label} published`,
      50,
    );
    const rel = (t) => (t === undefined ? undefined : round((t - hb.startedWall) / 1000, 2));
    const timeline = processes(dir).map((p) => ({
      child: p.child,
      port: p.port,
      processStartS: rel(p.startedAt),
      listeningS: rel(p.listeningAt),
      allAccessoriesS: p.child ? rel(p.counts.find((c) => c.count >= (expectedByPort.get(p.port) ?? Infinity))?.t) : undefined,
    }));
    return { hb, dir, publishSeconds: round((publishedAt - hb.startedWall) / 1000, 2), timeline };
  } catch (err) {
    await hb.stop();
    throw err;
  }
}

/**
 * The floor for `chunks`: start to published, then (unless `publishOnly`) paired, subscribed and
 * settled memory, measured like the plugin's (a paired controller with its sessions and
 * subscriptions costs every bridge memory, floor or not).
 */
async function floorRun(n, chunks, { publishOnly = false } = {}) {
  const platforms = await floorBlocks(chunks);
  const expectedByPort = new Map(platforms.map((p, i) => [p._bridge.port, expectedAccessories(chunks[i])]));
  const { hb, dir, publishSeconds, timeline } = await publishRun(platforms, FLOOR_PLUGIN, expectedByPort, `floor, ${n} devices`);
  const controllers = [];
  try {
    if (publishOnly) return { publishSeconds, timeline };
    await pairAll(platforms, controllers);
    await sleep(SETTLE_MS);
    const memory = totalMemory(processes(dir));
    memory.breakdown = await memoryBreakdown(dir);
    console.log(`scale ${n}: floor published in ${publishSeconds} s, ${memory.rssMiB} MiB`);
    return { publishSeconds, memory, timeline };
  } finally {
    for (const c of controllers) await closeController(c);
    await hb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pairs a controller with every bridge of `platforms` (pushed to `controllers`), lists and subscribes to everything, as a home hub does. */
async function pairAll(platforms, controllers) {
  let listed = 0;
  let subscribed = 0;
  for (const p of platforms) {
    const client = await pairController({ username: p._bridge.username, port: p._bridge.port });
    controllers.push(client);
    const accessories = await listAccessories(client);
    listed += accessories.filter((a) => a.aid !== 1).length;
    const ids = accessories.flatMap((a) => a.services.flatMap((s) => s.characteristics.filter((c) => c.perms?.includes('ev')).map((c) => `${c.aid}.${c.iid}`)));
    await withTimeout(client.subscribeCharacteristics(ids), 20_000, 'subscribing');
    subscribed += ids.length;
  }
  return { listed, subscribed };
}

/**
 * BENCH_BASELINE=<dir>: the same blocks run by an older build of the plugin (a checkout with its
 * own dist/), measured like the plugin (published, paired, subscribed, settled): before/after
 * figures from one run. `publishOnly` for the second publish sample.
 */
async function baselineRun(n, platforms, expectedByPort, { publishOnly = false } = {}) {
  const { hb, dir, publishSeconds } = await publishRun(platforms, BASELINE, expectedByPort, `baseline, ${n} devices`);
  const controllers = [];
  try {
    if (publishOnly) return { publishSeconds };
    await pairAll(platforms, controllers);
    await sleep(SETTLE_MS);
    const memory = totalMemory(processes(dir));
    console.log(`scale ${n}: baseline (${BASELINE}) published in ${publishSeconds} s, ${memory.rssMiB} MiB`);
    return { dir: BASELINE, publishSeconds, memory };
  } finally {
    for (const c of controllers) await closeController(c);
    await hb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each Homebridge process's RSS, V8 heap (used and committed) and external memory, reported by
 * bench/probe.mjs at SIGUSR2 (which also starts its event-loop histogram).
 */
async function memoryBreakdown(dir) {
  const pids = processes(dir).map((p) => p.pid);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const procs = await waitUntil(() => {
    const list = processes(dir).filter((p) => pids.includes(p.pid));
    return list.every((p) => p.mem) ? list : undefined;
  }, 10_000, 'memory reports', 50);
  return procs.map(({ child, mem }) => ({ child, rssMiB: mem.rssMiB, heapUsedMiB: mem.heapUsedMiB, heapTotalMiB: mem.heapTotalMiB, externalMiB: mem.externalMiB, spaces: mem.spaces }));
}

// ---- the storm -----------------------------------------------------------------------------

async function storm(url, sensors, seconds) {
  const client = await mqttClient(url);
  let sent = 0;
  const started = performance.now();
  const total = STORM_RATE * seconds;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * STORM_RATE));
      for (; sent < due; sent++) {
        const s = sensors[sent % sensors.length];
        const k = Math.floor(sent / sensors.length);
        const state = { temperature: 20 + ((k * 7) % 30) / 10, humidity: 45 + (k % 5), co2: 600 + (k % 10) * 10, lux: 300, battery: 90 };
        client.publish(s, JSON.stringify(state), { qos: 1, retain: true });
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  const elapsed = (performance.now() - started) / 1000;
  await client.endAsync().catch(() => undefined);
  return { messages: sent, seconds: round(elapsed, 1), ratePerSecond: Math.round(sent / elapsed) };
}

// ---- one size ------------------------------------------------------------------------------

async function measureSize(broker, n) {
  const chunks = split(n);
  const baseTopics = chunks.map((_, i) => `scale${n}-${i}`);
  const sims = await startSimulators(
    broker.url,
    chunks.map((devices, i) => ({ baseTopic: baseTopics[i], gatewayId: `scale-gw-${n}-${i}`, layout: { devices }, clock: 'real' })),
  );
  const out = { devices: n, bridges: chunks.length };
  try {
    const platforms = await blocks(broker.url, baseTopics);
    const expectedByPort = new Map(platforms.map((p, i) => [p._bridge.port, expectedAccessories(chunks[i])]));
    out.accessories = [...expectedByPort.values()].reduce((a, b) => a + b, 0);
    out.accessoriesPerBridge = [...expectedByPort.values()];

    // 1. Start to published, twice each in the order floor, plugin, plugin, floor (the first
    //    plugin run goes on to the memory and storm measurements, the first floor run measures
    //    the floor's memory). Every run starts from an empty storage directory.
    out.floor = await floorRun(n, chunks);
    if (BASELINE) out.baseline = await baselineRun(n, platforms, expectedByPort);
    const run = await publishRun(platforms, undefined, expectedByPort, `${n} devices`);
    const { hb, dir } = run;
    const controllers = [];
    try {
      out.publishSeconds = run.publishSeconds;
      out.timeline = run.timeline;
      if (PUBLISH_ONLY) {
        console.log(`scale ${n}: published in ${out.publishSeconds} s`, JSON.stringify(out.timeline));
        return out;
      }
      // 2. Check with a paired controller per bridge; subscribe to everything, as a home hub does.
      const seen = await pairAll(platforms, controllers);
      if (seen.listed !== out.accessories) throw new Error(`${n} devices: the controllers see ${seen.listed} accessories, expected ${out.accessories}`);
      out.accessoriesSeenByControllers = seen.listed;
      out.subscribedCharacteristics = seen.subscribed;

      // 3. Memory, settled.
      await sleep(SETTLE_MS);
      out.memory = totalMemory(processes(dir));

      // 4. Sensor storm with the event-loop histogram on in every Homebridge process (the
      //    signal that starts it also has each process report its heap: memoryBreakdown).
      const sensors = chunks.flatMap((devices, i) => devices.filter((d) => d.type === 'sensor').map((d) => `${baseTopics[i]}/${d.id}`));
      const pids = processes(dir).map((p) => p.pid);
      out.memory.breakdown = await memoryBreakdown(dir);
      const seconds = STORM_SECONDS[n] ?? 30;
      out.storm = { sensors: sensors.length, ...(await storm(broker.url, sensors, seconds)) };
      await sleep(500); // let the last messages through
      for (const pid of pids) process.kill(pid, 'SIGUSR2');
      const procs = await waitUntil(
        () => {
          const list = processes(dir);
          return list.filter((p) => pids.includes(p.pid)).every((p) => p.eld) ? list : undefined;
        },
        10_000,
        'event-loop histograms',
        50,
      );
      const eld = procs.filter((p) => p.eld).map((p) => ({ pid: p.pid, child: p.child, port: p.port, ...p.eld }));
      const plugin = eld.filter((e) => e.child);
      out.eventLoop = {
        resolutionMs: 1,
        p99MsMax: Math.max(...plugin.map((e) => e.p99)),
        p50MsMax: Math.max(...plugin.map((e) => e.p50)),
        maxMs: Math.max(...plugin.map((e) => e.max)),
        perProcess: eld.map(({ pid, child, port, p50, p90, p99, max, mean, heapUsedMiB, rssMiB }) => ({ pid, child, port, p50, p90, p99, max, mean, heapUsedMiB, rssMiB })),
      };
      out.memoryAfterStorm = totalMemory(procs);
      console.log(
        `scale ${n}: published in ${out.publishSeconds} s (${out.accessories} accessories on ${out.bridges} bridge(s)), ${out.memory.rssMiB} MiB, ` +
          `storm ${out.storm.ratePerSecond}/s for ${out.storm.seconds} s: event-loop p99 ${out.eventLoop.p99MsMax} ms (max ${out.eventLoop.maxMs} ms)`,
      );
    } finally {
      for (const c of controllers) await closeController(c);
      await hb.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const again = await publishRun(platforms, undefined, expectedByPort, `${n} devices (again)`);
    await again.hb.stop();
    rmSync(again.dir, { recursive: true, force: true });
    if (out.baseline) {
      const baselineAgain = await baselineRun(n, platforms, expectedByPort, { publishOnly: true });
      out.baseline.publishSamplesSeconds = [out.baseline.publishSeconds, baselineAgain.publishSeconds];
      out.baseline.publishSeconds = round((out.baseline.publishSeconds + baselineAgain.publishSeconds) / 2, 2);
    }
    const floorAgain = await floorRun(n, chunks, { publishOnly: true });
    out.publishSamplesSeconds = [out.publishSeconds, again.publishSeconds];
    out.floor.publishSamplesSeconds = [out.floor.publishSeconds, floorAgain.publishSeconds];
    out.publishSeconds = round((out.publishSeconds + again.publishSeconds) / 2, 2);
    out.floor.publishSeconds = round((out.floor.publishSeconds + floorAgain.publishSeconds) / 2, 2);
    out.publishRatioToFloor = round(out.publishSeconds / out.floor.publishSeconds, 2);
    console.log(`scale ${n}: publish ${out.publishSamplesSeconds.join(' / ')} s, floor ${out.floor.publishSamplesSeconds.join(' / ')} s`);
    if (out.baseline) {
      out.baseline.publishRatioToFloor = round(out.baseline.publishSeconds / out.floor.publishSeconds, 2);
      console.log(`scale ${n}: baseline publish ${out.baseline.publishSamplesSeconds.join(' / ')} s`);
    }

    if (PUBLISH_ONLY) return out;
    // 5. Google: the whole home through one endpoint.
    const server = await startGoogleServer({ url: broker.url, baseTopics, devices: n });
    try {
      const token = await linkGoogle(server.url);
      const sync = [];
      const query = [];
      let entities = [];
      for (let i = 0; i < GOOGLE_REPEATS; i++) {
        let t = performance.now();
        const s = await fulfill(server.url, token, intents.sync());
        sync.push(performance.now() - t);
        if (s.status !== 200) throw new Error(`SYNC failed: ${s.status}`);
        entities = s.json.payload.devices.map((d) => d.id);
        // The endpoint takes at most 1,000 ids per QUERY: a bigger home is asked in several requests, one after the other.
        t = performance.now();
        for (let k = 0; k < entities.length; k += QUERY_MAX_IDS) {
          const q = await fulfill(server.url, token, intents.query(entities.slice(k, k + QUERY_MAX_IDS)));
          const bad = q.status === 200 ? Object.entries(q.json.payload.devices).filter(([, d]) => d.status !== 'SUCCESS') : [];
          if (q.status !== 200 || bad.length > 0) throw new Error(`QUERY failed: HTTP ${q.status} ${JSON.stringify(bad.slice(0, 3)) || JSON.stringify(q.json)}`);
        }
        query.push(performance.now() - t);
      }
      out.google = { entities: entities.length, queryRequests: Math.ceil(entities.length / QUERY_MAX_IDS), syncMs: summarize(sync), queryMs: summarize(query), homeReadyMs: round(server.homeReadyMs, 0) };
      console.log(`scale ${n}: Google SYNC ${out.google.syncMs.median} ms, QUERY ${out.google.queryMs.median} ms (${entities.length} entities)`);
    } finally {
      server.child.send({ kind: 'stop' });
      await withTimeout(new Promise((r) => server.child.once('exit', r)), 5000, 'the Google server to stop').catch(() => server.child.kill('SIGKILL'));
    }
  } finally {
    await sims.stop();
  }
  return out;
}

// ---- main ----------------------------------------------------------------------------------

const started = performance.now();
const broker = await startBroker();
if (PUBLISH_ONLY) {
  for (const n of SIZES) await measureSize(broker, n);
  await broker.stop();
  process.exit(0);
}
try {
  // Baseline in the same run: Homebridge with no plugin at all.
  const empty = tempDir('velux-bench-noplugins-');
  mkdirSync(empty, { recursive: true });
  const bare = await idleRun('bare Homebridge (no plugin)', [], 1, empty);

  const sizes = [];
  for (const n of SIZES) {
    const r = await measureSize(broker, n);
    r.memoryAboveBareMiB = round(r.memory.rssMiB - bare.rssMiB, 1);
    r.floor.memoryAboveBareMiB = round(r.floor.memory.rssMiB - bare.rssMiB, 1);
    r.memoryAboveFloorMiB = round(r.memory.rssMiB - r.floor.memory.rssMiB, 1);
    r.memoryAboveFloorPerDeviceKiB = round((r.memoryAboveFloorMiB * 1024) / n, 0);
    r.memoryRatioToFloor = round(r.memory.rssMiB / r.floor.memory.rssMiB, 2);
    if (r.baseline) r.baseline.memoryRatioToFloor = round(r.baseline.memory.rssMiB / r.floor.memory.rssMiB, 2);
    const heap = (m) => (m.breakdown ?? []).map((b) => `${b.child ? 'child' : 'main'} ${b.rssMiB} RSS / ${b.heapUsedMiB} of ${b.heapTotalMiB} heap / ${b.externalMiB} ext`).join(', ');
    console.log(`scale ${n}: MiB per process: floor ${heap(r.floor.memory)} | plugin ${heap(r.memory)}`);
    console.log(
      `scale ${n}: vs floor: RSS ${r.memoryRatioToFloor}×, publish ${r.publishRatioToFloor}×` +
        (r.baseline ? `; baseline RSS ${r.baseline.memoryRatioToFloor}×, publish ${r.baseline.publishRatioToFloor}×` : ''),
    );
    sizes.push(r);
  }

  const at = sizes.find((s) => s.devices === TARGET.devices);
  const result = {
    what: 'generateLayout(n) over child bridges of ≤ 24 rooms; publish time, memory, event-loop delay under a sensor storm, Google SYNC/QUERY',
    broker: broker.name,
    stormRatePerSecond: STORM_RATE,
    stormSeconds: STORM_SECONDS,
    bareHomebridge: bare,
    sizes,
    target: TARGET,
    seconds: Math.round((performance.now() - started) / 1000),
  };
  if (at) {
    result.pass = {
      publish: at.publishSeconds <= TARGET.publishSeconds,
      memory: at.memoryAboveBareMiB <= TARGET.memoryAboveBareMiB,
      eventLoop: at.eventLoop.p99MsMax <= TARGET.eventLoopP99Ms,
    };
  }
  const file = writeResult('scale', result);
  const svg = writePlot(JSON.parse(readFileSync(file, 'utf8')));
  console.log(`scale: done in ${result.seconds} s → ${file}, ${svg}`);
} finally {
  await broker.stop();
}
process.exit(0);
