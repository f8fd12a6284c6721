// HomeKit → gateway: time from a hap-controller TargetPosition write (HttpClient, paired over
// loopback, persistent connection) to the `/set` message arriving at a separate MQTT
// subscriber. Three bridges, each in its own process (bench/homekit-setup.mjs): the plugin in
// a real Homebridge with the simulated home; the floor, a bare HAP-NodeJS bridge whose SET
// handler publishes straight to MQTT; and the same wiring as a minimal Homebridge plugin
// (to tell Homebridge's share from the plugin's). Writes alternate 30/70 % so each is a
// change; the next write waits for the /set and for the write's HAP answer. The three are
// sampled round-robin, in a rotating order. Target: median and p99 ≤ 1.2× the floor.
import { performance } from 'node:perf_hooks';
import { summarize, writeResult } from './lib.mjs';
import { HAP, findCharacteristic, ratio, watchdog, withTimeout } from './harness.mjs';
import { FLOOR_BASE, HB_FLOOR_BASE, PLUGIN_BASE, startHomekitRig } from './homekit-setup.mjs';

const WRITES = Number(process.env.BENCH_HOMEKIT_WRITES ?? 1000);
const WARMUP = 50;
const TARGET_RATIO = 1.2;
watchdog(240_000, 'homekit-latency');

const rig = await startHomekitRig();
try {
  const side = (name, bridge, accessory, topic) => ({
    name,
    client: bridge.client,
    id: findCharacteristic(bridge.accessories, accessory, HAP.WindowCovering, HAP.TargetPosition),
    topic,
    samples: [],
    answered: [],
  });
  const sides = [
    side('plugin', rig.plugin, 'Living room blind', `${PLUGIN_BASE}/living-blind/set`),
    side('floor', rig.floor, 'Floor cover', `${FLOOR_BASE}/floor-cover/set`),
    side('homebridgeFloor', rig.homebridgeFloor, 'Floor cover', `${HB_FLOOR_BASE}/floor-cover/set`),
  ];

  let waiting;
  const sources = {};
  rig.observer.on('message', (topic, payload) => {
    const at = performance.now();
    const body = JSON.parse(payload.toString());
    sources[body.source] = (sources[body.source] ?? 0) + 1;
    if (waiting && topic === waiting.topic && body.position === waiting.position) {
      const w = waiting;
      waiting = undefined;
      w.resolve(at);
    }
  });
  await rig.observer.subscribeAsync([`${PLUGIN_BASE}/+/set`, `${FLOOR_BASE}/+/set`, `${HB_FLOOR_BASE}/+/set`], { qos: 1 });

  const writeOnce = async (s, position) => {
    const arrived = new Promise((resolve) => (waiting = { topic: s.topic, position, resolve }));
    const t0 = performance.now();
    const write = s.client.setCharacteristics({ [s.id]: position });
    const at = await withTimeout(arrived, 5000, `${s.topic} after writing ${position}`);
    const answer = await withTimeout(write, 10_000, `the HAP answer to writing ${position}`);
    const answeredAt = performance.now();
    const status = answer?.characteristics?.[0]?.status ?? 0;
    if (status !== 0) throw new Error(`${s.topic}: HAP status ${status}`);
    return { ms: at - t0, answerMs: answeredAt - t0 };
  };

  const started = performance.now();
  for (let i = 0; i < WARMUP + WRITES; i++) {
    const position = i % 2 === 0 ? 30 : 70;
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length];
      const { ms, answerMs } = await writeOnce(s, position);
      if (i >= WARMUP) {
        s.samples.push(ms);
        s.answered.push(answerMs);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;

  const [plugin, floor, homebridgeFloor] = sides.map((s) => summarize(s.samples));
  const result = {
    what: 'hap-controller TargetPosition write → /set message at a separate MQTT subscriber',
    writes: WRITES,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    broker: rig.broker.name,
    pluginMs: plugin,
    floorMs: floor,
    homebridgeFloorMs: homebridgeFloor,
    ratio: { median: ratio(plugin.median, floor.median), p99: ratio(plugin.p99, floor.p99), mean: ratio(plugin.mean, floor.mean) },
    homebridgeFloorRatio: { median: ratio(homebridgeFloor.median, floor.median), p99: ratio(homebridgeFloor.p99, floor.p99) },
    pluginVsHomebridgeFloor: { median: ratio(plugin.median, homebridgeFloor.median), p99: ratio(plugin.p99, homebridgeFloor.p99) },
    // The HAP answer: the plugin answers once the gateway accepted the command, the floors at once.
    writeAnswerMs: Object.fromEntries(sides.map((s) => [s.name, summarize(s.answered)])),
    setMessagesBySource: sources,
    target: { ratioMedian: TARGET_RATIO, ratioP99: TARGET_RATIO },
  };
  result.pass = result.ratio.median <= TARGET_RATIO && result.ratio.p99 <= TARGET_RATIO;
  const file = writeResult('homekit-latency', result);
  console.log(
    `homekit-latency: plugin median ${plugin.median} ms p99 ${plugin.p99} ms | floor ${floor.median} / ${floor.p99} ms | ` +
      `Homebridge floor ${homebridgeFloor.median} / ${homebridgeFloor.p99} ms | ratio ${result.ratio.median}× / ${result.ratio.p99}× ` +
      `(target ≤ ${TARGET_RATIO}×) ${result.pass ? 'PASS' : 'MISS'} in ${Math.round(seconds)} s → ${file}`,
  );
} finally {
  await rig.stop();
}
process.exit(0);
