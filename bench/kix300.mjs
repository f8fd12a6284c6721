// VELUX ACTIVE (KIX 300) latency, the plugin beside a forwarding floor, in one run, against one
// emulated KIX 300 (HAP-NodeJS, in this process; src/simulator/kix300.ts):
//  - plugin: a real Homebridge (child process) whose plugin is paired with the emulated gateway
//    as a HomeKit controller (`"type": "homekit"`);
//  - floor: bench/floor-kix.mjs (own process), a bare hap-controller → HAP-NodeJS relay with no
//    plugin logic, on the same gateway with the plugin's pairing keys.
// A paired hap-controller client on each bridge measures:
//  - write: TargetPosition write on the bridge → the write arriving at the emulated gateway
//    (its SET handler), and → the bridge's HAP answer;
//  - event: a temperature change on the gateway (a sensor's CurrentTemperature) → the event at
//    the client. Both hops go through HAP-NodeJS, which holds event notifications for up to
//    250 ms to batch them (HAPConnection.sendEvent), so each figure includes up to two such
//    windows, on both sides alike.
// Plugin and floor use different devices of the same gateway (a blind and the attic sensor,
// the awning and the bedroom sensor) and are sampled round-robin (writes) or concurrently
// (events, interleaved in time). Writes alternate 30/70 %, temperatures 21.3/21.7 °C.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { repoRoot, sleep, summarize, writeResult } from './lib.mjs';
import {
  HAP,
  closeController,
  findCharacteristic,
  forkScript,
  freePort,
  listAccessories,
  message,
  pairController,
  randomUsername,
  ratio,
  startHomebridge,
  stopChild,
  tempDir,
  watchdog,
  withTimeout,
} from './harness.mjs';

const WRITES = Number(process.env.BENCH_KIX_WRITES ?? 300);
const EVENTS = Number(process.env.BENCH_KIX_EVENTS ?? 150);
const WARMUP = 10;
watchdog(420_000, 'kix300');

const PLUGIN_COVER = '5633333c336c444d';
const PLUGIN_SENSOR = 'a11b111';
const FLOOR_COVER = '5644444d447d555e';
const FLOOR_SENSOR = 'a22c222';

const { Kix300Emulator } = await import(pathToFileURL(join(repoRoot, 'dist', 'simulator', 'kix300.js')).href);
// Motors finish within one 50 ms step; the emulated rooms do not drift on their own during the run.
const emulator = new Kix300Emulator({ storagePath: tempDir('velux-bench-kix-'), fullTravelMs: 50, tickMs: 50, climateStepMs: 3_600_000 });
await emulator.start();

let hb;
let floor;
const clients = [];
try {
  hb = await startHomebridge({
    platforms: [
      {
        platform: 'VeluxClimate',
        name: 'VELUX',
        gateways: [
          {
            type: 'homekit',
            name: 'Bench gateway',
            setupCode: emulator.setupCode,
            host: '127.0.0.1',
            port: emulator.port,
            devices: [
              { serial: PLUGIN_COVER, name: 'Plugin blind', room: 'Bedroom' },
              { serial: PLUGIN_SENSOR, name: 'Plugin sensor', room: 'Attic' },
            ],
          },
        ],
        climate: { enabled: false },
      },
    ],
  });
  await hb.waitForOutput(/devices in \d+ rooms are ready/, 90_000);
  // The floor uses the plugin's pairing (a second session of the same controller).
  const stored = JSON.parse(readFileSync(join(hb.storagePath, 'velux-climate', 'default', 'homekit-pairings.json'), 'utf8'));
  const keysFile = join(tempDir('velux-bench-kix-keys-'), 'keys.json');
  writeFileSync(keysFile, JSON.stringify(Object.values(stored.gateways)[0].keys), { mode: 0o600 });
  const floorPort = await freePort();
  const floorUsername = randomUsername();
  floor = forkScript(join(repoRoot, 'bench', 'floor-kix.mjs'), [String(emulator.port), keysFile, FLOOR_COVER, FLOOR_SENSOR, String(floorPort), floorUsername, tempDir('velux-bench-kix-floor-')]);
  await message(floor, 'ready', 30_000, 'the KIX floor');

  const side = async (name, bridge, coverName, sensorName, coverSerial, sensorSerial) => {
    const client = await pairController(bridge);
    clients.push(client);
    const accessories = await listAccessories(client);
    return {
      name,
      client,
      coverSerial,
      sensorSerial,
      target: findCharacteristic(accessories, coverName, HAP.WindowCovering, HAP.TargetPosition),
      temperature: findCharacteristic(accessories, sensorName, HAP.TemperatureSensor, HAP.CurrentTemperature),
      write: [],
      answer: [],
      event: [],
      waiting: undefined,
    };
  };
  const sides = [
    await side('plugin', { username: hb.username, port: hb.port }, 'Plugin blind', 'Plugin sensor', PLUGIN_COVER, PLUGIN_SENSOR),
    await side('floor', { username: floorUsername, port: floorPort }, 'Floor cover', 'Floor sensor', FLOOR_COVER, FLOOR_SENSOR),
  ];

  // ---- HomeKit write → gateway write ----
  let waitingWrite;
  emulator.on('write', (w) => {
    if (waitingWrite && w.serial === waitingWrite.serial && w.value === waitingWrite.value) {
      const x = waitingWrite;
      waitingWrite = undefined;
      x.resolve(w.at);
    }
  });
  const writeOnce = async (s, value) => {
    const arrived = new Promise((resolve) => (waitingWrite = { serial: s.coverSerial, value, resolve }));
    const t0 = performance.now();
    const answer = s.client.setCharacteristics({ [s.target]: value });
    const at = await withTimeout(arrived, 5000, `${s.name}: the gateway write of ${value}`);
    const result = await withTimeout(answer, 10_000, `${s.name}: the HAP answer`);
    const answeredAt = performance.now();
    const status = result?.characteristics?.[0]?.status ?? 0;
    if (status !== 0) throw new Error(`${s.name}: HAP status ${status}`);
    return { write: at - t0, answer: answeredAt - t0 };
  };
  for (let i = 0; i < WARMUP + WRITES; i++) {
    const value = i % 2 === 0 ? 30 : 70;
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length];
      const r = await writeOnce(s, value);
      if (i >= WARMUP) {
        s.write.push(r.write);
        s.answer.push(r.answer);
      }
    }
    // let the motor's end-of-travel events pass (one 50 ms step)
    await sleep(60);
  }

  // ---- gateway event → bridge event ----
  for (const s of sides) {
    s.client.on('event', (ev) => {
      const at = performance.now();
      for (const c of ev.characteristics ?? []) {
        if (`${c.aid}.${c.iid}` === s.temperature && s.waiting && Number(c.value) === s.waiting.value) {
          const w = s.waiting;
          s.waiting = undefined;
          w.resolve(at);
        }
      }
    });
    await withTimeout(s.client.subscribeCharacteristics([s.temperature]), 10_000, `${s.name}: subscribing`);
  }
  // A sample whose event does not come within 5 s is counted as missed (and the run goes on);
  // more than 3 misses on a side fail the run.
  const loop = async (s, offsetMs) => {
    await sleep(offsetMs);
    s.missed = 0;
    for (let i = 0; i < WARMUP + EVENTS; i++) {
      const value = i % 2 === 0 ? 21.3 : 21.7;
      const seen = new Promise((resolve) => (s.waiting = { value, resolve }));
      const t0 = performance.now();
      emulator.setClimate(s.sensorSerial, { temperature: value });
      let at;
      try {
        at = await withTimeout(seen, 5000, `${s.name}: the ${value} °C event`);
      } catch (err) {
        s.waiting = undefined;
        if (++s.missed > 3) throw err;
        console.log(`${s.name}: no event for ${value} °C within 5 s (missed ${s.missed})`);
        continue;
      }
      if (i >= WARMUP) s.event.push(at - t0);
      await sleep(20 + Math.random() * 30);
    }
  };
  await Promise.all(sides.map((s, k) => loop(s, k * 37)));

  const [plugin, floorSide] = sides;
  const stats = (s) => ({
    writeToGatewayMs: summarize(s.write),
    writeToHapAnswerMs: summarize(s.answer),
    gatewayEventToBridgeEventMs: summarize(s.event),
    eventsMissed: s.missed,
  });
  const p = stats(plugin);
  const f = stats(floorSide);
  const ratios = (key) => ({ median: ratio(p[key].median, f[key].median), p99: ratio(p[key].p99, f[key].p99) });
  const result = {
    what: 'VELUX ACTIVE (KIX 300): HomeKit write on the bridge → write on the emulated gateway; gateway temperature change → event on the bridge. Plugin in Homebridge vs a bare hap-controller → HAP-NodeJS relay (floor), same emulated gateway, one run.',
    writes: WRITES,
    events: EVENTS,
    warmup: WARMUP,
    plugin: p,
    floor: f,
    ratioPluginToFloor: {
      writeToGateway: ratios('writeToGatewayMs'),
      writeToHapAnswer: ratios('writeToHapAnswerMs'),
      gatewayEventToBridgeEvent: ratios('gatewayEventToBridgeEventMs'),
    },
    notes:
      'Emulated KIX 300 (HAP-NodeJS, in the bench process, relay in front) on loopback; Homebridge (plugin from dist/) and the floor each in their own process; hap-controller clients over loopback. Events include HAP-NodeJS batching (up to 250 ms per hop, two hops on both sides). The machine is shared: compare the ratios, not absolute figures across runs.',
  };
  const file = writeResult('kix300', result);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file}`);
} finally {
  for (const c of clients) await closeController(c).catch(() => undefined);
  if (floor) await stopChild(floor).catch(() => undefined);
  await hb?.stop().catch(() => undefined);
  await emulator.stop();
}
process.exit(0);
