// Gateway → HomeKit: time from a retained state publish (a climate sensor's complete state, QoS
// 1, by this process's MQTT client on the gateway's base topic) to the CurrentTemperature event
// notification at a subscribed hap-controller client (subscribeCharacteristics + 'event').
// Same three bridges as bench/homekit-latency.mjs (plugin in Homebridge, bare HAP-NodeJS floor,
// the floor as a minimal Homebridge plugin). Temperatures alternate 21.3/21.7 °C so every
// publish is a change. HAP-NodeJS holds ordinary event notifications for up to 250 ms to batch
// them (HAPConnection.sendEvent), so every figure includes that window; the part above it is
// reported too. One sample takes ~0.26 s, so the three bridges are sampled concurrently (each
// its own loop, publish → wait for its event → next), all interleaved in time.
// Target: median and p99 ≤ 1.2× the floor.
import { performance } from 'node:perf_hooks';
import { sleep, summarize, writeResult } from './lib.mjs';
import { HAP, findCharacteristic, ratio, round, watchdog, withTimeout } from './harness.mjs';
import { FLOOR_BASE, HB_FLOOR_BASE, PLUGIN_BASE, startHomekitRig } from './homekit-setup.mjs';

const SAMPLES = Number(process.env.BENCH_HOMEKIT_EVENTS ?? 300);
const WARMUP = 5;
const BATCH_WINDOW_MS = 250;
const TARGET_RATIO = 1.2;
watchdog(300_000, 'homekit-events');

const rig = await startHomekitRig();
try {
  const side = (name, bridge, accessory, topic) => ({
    name,
    client: bridge.client,
    id: findCharacteristic(bridge.accessories, accessory, HAP.TemperatureSensor, HAP.CurrentTemperature),
    topic,
    samples: [],
    waiting: undefined,
  });
  const sides = [
    side('plugin', rig.plugin, 'Living room sensor', `${PLUGIN_BASE}/living-sensor`),
    side('floor', rig.floor, 'Floor sensor', `${FLOOR_BASE}/floor-sensor`),
    side('homebridgeFloor', rig.homebridgeFloor, 'Floor sensor', `${HB_FLOOR_BASE}/floor-sensor`),
  ];

  for (const s of sides) {
    s.client.on('event', (event) => {
      const at = performance.now();
      for (const c of event.characteristics ?? []) {
        if (`${c.aid}.${c.iid}` === s.id && s.waiting && Number(c.value) === s.waiting.value) {
          const w = s.waiting;
          s.waiting = undefined;
          w.resolve(at);
        }
      }
    });
    await withTimeout(s.client.subscribeCharacteristics([s.id]), 10_000, `subscribing to ${s.name}`);
  }

  const loop = async (s, offsetMs) => {
    await sleep(offsetMs);
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const value = i % 2 === 0 ? 21.3 : 21.7;
      const state = { temperature: value, humidity: 46, co2: 650, lux: 300, battery: 90 };
      const arrived = new Promise((resolve) => (s.waiting = { value, resolve }));
      const t0 = performance.now();
      rig.observer.publish(s.topic, JSON.stringify(state), { qos: 1, retain: true });
      const at = await withTimeout(arrived, 5000, `the ${s.name} event for ${value} °C`);
      if (i >= WARMUP) s.samples.push(at - t0);
      // A short random pause so the three loops do not lock into one phase.
      await sleep(Math.random() * 20);
    }
  };
  const started = performance.now();
  await Promise.all(sides.map((s, k) => loop(s, k * 85)));
  const seconds = (performance.now() - started) / 1000;

  const [plugin, floor, homebridgeFloor] = sides.map((s) => summarize(s.samples));
  const above = (s) => summarize(s.samples.map((ms) => ms - BATCH_WINDOW_MS));
  const [pluginAbove, floorAbove, hbFloorAbove] = sides.map(above);
  const result = {
    what: 'retained state publish on the gateway topic → CurrentTemperature event at a subscribed hap-controller',
    samples: SAMPLES,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    broker: rig.broker.name,
    hapEventBatchWindowMs: BATCH_WINDOW_MS,
    pluginMs: plugin,
    floorMs: floor,
    homebridgeFloorMs: homebridgeFloor,
    ratio: { median: ratio(plugin.median, floor.median), p99: ratio(plugin.p99, floor.p99), mean: ratio(plugin.mean, floor.mean) },
    homebridgeFloorRatio: { median: ratio(homebridgeFloor.median, floor.median), p99: ratio(homebridgeFloor.p99, floor.p99) },
    // The same samples minus HAP-NodeJS's 250 ms batching window: the work on the path itself.
    aboveBatchWindowMs: { plugin: pluginAbove, floor: floorAbove, homebridgeFloor: hbFloorAbove },
    aboveBatchWindowRatio: { median: ratio(pluginAbove.median, floorAbove.median), p99: ratio(pluginAbove.p99, floorAbove.p99) },
    target: { ratioMedian: TARGET_RATIO, ratioP99: TARGET_RATIO },
  };
  result.pass = result.ratio.median <= TARGET_RATIO && result.ratio.p99 <= TARGET_RATIO;
  const file = writeResult('homekit-events', result);
  console.log(
    `homekit-events: plugin median ${plugin.median} ms p99 ${plugin.p99} ms | floor ${floor.median} / ${floor.p99} ms | ` +
      `Homebridge floor ${homebridgeFloor.median} / ${homebridgeFloor.p99} ms | ratio ${result.ratio.median}× / ${result.ratio.p99}× ` +
      `(target ≤ ${TARGET_RATIO}×) ${result.pass ? 'PASS' : 'MISS'}; above the 250 ms window: plugin ${round(pluginAbove.median)} / ` +
      `${round(pluginAbove.p99)} ms, floor ${round(floorAbove.median)} / ${round(floorAbove.p99)} ms; ${Math.round(seconds)} s → ${file}`,
  );
} finally {
  await rig.stop();
}
process.exit(0);
