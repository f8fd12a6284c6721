// HomeKit write round trip through stock Mosquitto (Nagle on, its default) and through Mosquitto
// with `set_tcp_nodelay true` (the docs' example), side by side in one run: one broker of each
// kind, each with its own simulated home and its own Homebridge running the plugin, written by
// the same hap-controller client. A sample is TargetPosition write → the HAP answer, which the
// plugin sends once the gateway accepted the command (command and answer both cross the broker).
// Writes alternate 30/70 % and between the two set-ups. Skipped (with a message) without Mosquitto.
import { performance } from 'node:perf_hooks';
import { summarize, writeResult } from './lib.mjs';
import {
  HAP,
  closeController,
  findCharacteristic,
  listAccessories,
  pairController,
  ratio,
  startBroker,
  startHomebridge,
  startSimulators,
  watchdog,
  withTimeout,
} from './harness.mjs';

const WRITES = Number(process.env.BENCH_NODELAY_WRITES ?? 300);
const WARMUP = 20;
watchdog(240_000, 'mosquitto-nodelay');

const stock = await startBroker({ nodelay: false, mosquittoOnly: true });
if (!stock) {
  console.log('mosquitto-nodelay: SKIPPED, Mosquitto is not installed (apt-get install mosquitto)');
  process.exit(0);
}
const stops = [() => stock.stop()];
try {
  const tuned = await startBroker({ nodelay: true, mosquittoOnly: true });
  stops.push(() => tuned.stop());
  const sides = [];
  for (const [name, broker] of [
    ['stock', stock],
    ['nodelay', tuned],
  ]) {
    const sims = await startSimulators(broker.url, [{ baseTopic: 'velux', gatewayId: `bench-${name}`, layout: 'default', clock: 'manual' }]);
    stops.push(() => sims.stop());
    const homebridge = await startHomebridge({
      platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [{ name: `Bench ${name}`, url: broker.url, baseTopic: 'velux' }], climate: { enabled: false } }],
    });
    stops.push(() => homebridge.stop());
    await homebridge.waitForOutput(/devices in \d+ rooms are ready/, 30_000);
    const client = await pairController({ username: homebridge.username, port: homebridge.port });
    stops.push(() => closeController(client));
    const accessories = await listAccessories(client);
    sides.push({ name, client, id: findCharacteristic(accessories, 'Living room blind', HAP.WindowCovering, HAP.TargetPosition), samples: [] });
  }

  const started = performance.now();
  for (let i = 0; i < WARMUP + WRITES; i++) {
    const position = i % 2 === 0 ? 30 : 70;
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length];
      const t0 = performance.now();
      const answer = await withTimeout(s.client.setCharacteristics({ [s.id]: position }), 10_000, `${s.name}: the HAP answer to writing ${position}`);
      const ms = performance.now() - t0;
      const status = answer?.characteristics?.[0]?.status ?? 0;
      if (status !== 0) throw new Error(`${s.name}: HAP status ${status}`);
      if (i >= WARMUP) s.samples.push(ms);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const [stockMs, nodelayMs] = sides.map((s) => summarize(s.samples));
  const result = {
    what: 'hap-controller TargetPosition write → HAP answer (the gateway accepted the command), plugin in Homebridge, broker Mosquitto with and without set_tcp_nodelay',
    broker: stock.name,
    writes: WRITES,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    stockMs,
    nodelayMs,
    stockOverNodelay: { median: ratio(stockMs.median, nodelayMs.median), p99: ratio(stockMs.p99, nodelayMs.p99) },
  };
  const file = writeResult('mosquitto-nodelay', result);
  console.log(
    `mosquitto-nodelay: HomeKit write round trip, stock Mosquitto median ${stockMs.median} ms p99 ${stockMs.p99} ms | ` +
      `set_tcp_nodelay true median ${nodelayMs.median} ms p99 ${nodelayMs.p99} ms | stock/nodelay ${result.stockOverNodelay.median}× / ${result.stockOverNodelay.p99}× → ${file}`,
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
process.exit(0);
