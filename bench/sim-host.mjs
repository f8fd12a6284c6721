// Child process for the benchmarks: simulated VELUX gateways (dist/simulator) on a broker,
// driven over IPC, so their work never runs inside the process that takes the timings.
//   ← {kind:'start', url, homes:[{baseTopic, gatewayId, layout:'default'|{devices,…}, clock:'manual'|'real'}]}
//   → {kind:'ready', devices:[count per home]}
//   ← {kind:'stop'}  (clears the retained topics, exits)
import { SimulatedHome, ManualClock, defaultLayout } from '../dist/simulator/index.js';

const homes = [];

async function start({ url, homes: specs }) {
  for (const spec of specs) {
    const home = new SimulatedHome({
      url,
      baseTopic: spec.baseTopic,
      gatewayId: spec.gatewayId,
      layout: spec.layout === 'default' || !spec.layout ? defaultLayout() : spec.layout,
      // A stopped clock: commands are answered at once, but no motor, climate or routine sensor
      // report adds traffic of its own (the latency benchmarks measure single messages).
      clock: spec.clock === 'manual' ? new ManualClock() : undefined,
      responseDelayMs: 0,
      log: (m) => console.error(`[sim ${spec.baseTopic}] ${m}`),
    });
    homes.push(home);
  }
  await Promise.all(homes.map((h) => h.start()));
  await Promise.all(homes.map((h) => h.flush(20_000)));
  process.send({ kind: 'ready', devices: homes.map((h) => h.devices().length) });
}

async function stop() {
  await Promise.race([Promise.all(homes.map((h) => h.stop().catch(() => undefined))), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(0);
}

process.on('message', (m) => {
  if (m?.kind === 'start') start(m).catch((err) => process.send({ kind: 'error', message: String(err?.stack ?? err) }));
  if (m?.kind === 'stop') void stop();
});
process.on('disconnect', () => process.exit(0));
// Never outlive a parent that died without telling us.
setInterval(() => {
  if (!process.connected) process.exit(0);
}, 1000).unref();
