// What the two HomeKit benchmarks share: a broker, the simulated home (default layout, clock
// stopped, answers at once) in its own process, and three HAP bridges, each in its own process
// and paired with its own hap-controller HttpClient over loopback:
//  - plugin:         a real Homebridge running this plugin from dist/ against the simulated home;
//  - floor:          a bare HAP-NodeJS bridge wired straight to MQTT (bench/floor-hap.mjs) — the
//                    floor the targets are measured against;
//  - homebridgeFloor: a real Homebridge running bench/floor-plugin (the same wiring as the floor
//                    as a minimal plugin): what Homebridge itself adds, to attribute the gap.
// Plus an MQTT client in this process that observes /set messages and publishes states.
import { join } from 'node:path';
import { repoRoot } from './lib.mjs';
import {
  closeController,
  forkScript,
  freePort,
  listAccessories,
  message,
  mqttClient,
  pairController,
  randomUsername,
  startBroker,
  startHomebridge,
  startSimulators,
  stopChild,
  tempDir,
} from './harness.mjs';

export const PLUGIN_BASE = 'velux-bench';
export const FLOOR_BASE = 'floor-bench';
export const HB_FLOOR_BASE = 'hbfloor-bench';

export async function startHomekitRig() {
  const broker = await startBroker();
  const sims = await startSimulators(broker.url, [{ baseTopic: PLUGIN_BASE, gatewayId: 'bench-gateway', layout: 'default', clock: 'manual' }]);
  const stops = [() => broker.stop(), () => sims.stop()];
  const clients = [];
  const rig = {
    broker,
    async stop() {
      for (const client of clients) await closeController(client);
      for (const stop of stops.reverse()) await stop();
    },
  };
  try {
    const floorPort = await freePort();
    const floorUsername = randomUsername();
    const floor = forkScript(join(repoRoot, 'bench', 'floor-hap.mjs'), [broker.url, FLOOR_BASE, String(floorPort), floorUsername, tempDir('velux-bench-floor-')]);
    stops.push(() => stopChild(floor, 3000));
    const floorReady = message(floor, 'ready', 30_000, 'the floor HAP bridge');

    const [homebridge, homebridgeFloor] = await Promise.all([
      startHomebridge({
        // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the plugin's Homebridge process (node --cpu-prof).
        cpuProfDir: process.env.BENCH_CPU_PROF || undefined,
        platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [{ name: 'Bench home', url: broker.url, baseTopic: PLUGIN_BASE }], ...(process.env.BENCH_NO_CLIMATE ? { climate: { enabled: false } } : {}) }],
      }),
      startHomebridge({
        pluginPath: join(repoRoot, 'bench', 'floor-plugin'),
        platforms: [{ platform: 'BenchFloor', name: 'Floor', url: broker.url, baseTopic: HB_FLOOR_BASE }],
      }),
    ]);
    stops.push(() => homebridge.stop(), () => homebridgeFloor.stop());
    await homebridge.waitForOutput(/devices in \d+ rooms are ready/, 30_000);
    await homebridgeFloor.waitForOutput('bench floor subscribed', 30_000);
    await floorReady;

    const pair = async (bridge) => {
      const client = await pairController(bridge);
      clients.push(client);
      return { client, accessories: await listAccessories(client) };
    };
    rig.plugin = await pair({ username: homebridge.username, port: homebridge.port });
    rig.floor = await pair({ username: floorUsername, port: floorPort });
    rig.homebridgeFloor = await pair({ username: homebridgeFloor.username, port: homebridgeFloor.port });
    rig.observer = await mqttClient(broker.url);
    stops.push(() => rig.observer.endAsync(true).catch(() => undefined));
    return rig;
  } catch (err) {
    await rig.stop().catch(() => undefined);
    throw err;
  }
}
