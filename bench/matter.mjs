// Matter beside HomeKit, on one Homebridge running this plugin with `bridge.matter` (the
// simulated default home, clock stopped, answering commands at once), with two controllers in
// this process: a paired hap-controller HttpClient and a matter.js CommissioningController that
// commissions the bridge over loopback.
//  1. command → gateway: a Matter GoToLiftPercentage invoke and a HomeKit TargetPosition write
//     on the same blind, alternating 30/70 % open, each timed until its `/set` reaches a
//     separate MQTT subscriber; sampled round-robin. The invoke's answer (after the gateway
//     accepted the command) is recorded too.
//  2. gateway → controller: one retained state publish of a climate sensor (21.3/21.7 °C) timed
//     until the Matter attribute report (TemperatureMeasurement.measuredValue) and the HomeKit
//     CurrentTemperature event arrive; both from the same publish.
// No target: the figures are recorded for docs/performance.md next to the HomeKit ones.
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Environment, Logger } from '@matter/main';
import { GeneralCommissioning, TemperatureMeasurement, WindowCovering, BridgedDeviceBasicInformation } from '@matter/main/clusters';
import { EndpointNumber } from '@matter/main/types';
import { CommissioningController } from '@project-chip/matter.js';
import { sleep, summarize, writeResult } from './lib.mjs';
import {
  HAP,
  closeController,
  findCharacteristic,
  listAccessories,
  mqttClient,
  pairController,
  ratio,
  startBroker,
  startHomebridge,
  startSimulators,
  tempDir,
  watchdog,
  withTimeout,
} from './harness.mjs';

const COMMANDS = Number(process.env.BENCH_MATTER_COMMANDS ?? 300);
const REPORTS = Number(process.env.BENCH_MATTER_REPORTS ?? 200);
const WARMUP = 20;
const BASE = 'velux-bench';
watchdog(420_000, 'matter');

async function freeUdpPort() {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

const stops = [];
try {
  const broker = await startBroker();
  stops.push(() => broker.stop());
  const sims = await startSimulators(broker.url, [{ baseTopic: BASE, gatewayId: 'bench-gateway', layout: 'default', clock: 'manual' }]);
  stops.push(() => sims.stop());
  const matterPort = await freeUdpPort();
  const homebridge = await startHomebridge({
    matter: { port: matterPort },
    platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [{ name: 'Bench home', url: broker.url, baseTopic: BASE }] }],
  });
  stops.push(() => homebridge.stop());
  await homebridge.waitForOutput(/devices in \d+ rooms are ready/, 30_000);
  const [passLine] = await homebridge.waitForOutput(/Passcode: \d+/, 30_000);
  const [discLine] = await homebridge.waitForOutput(/Discriminator: \d+/, 30_000);
  const passcode = Number(/Passcode: (\d+)/.exec(passLine)[1]);
  const discriminator = Number(/Discriminator: (\d+)/.exec(discLine)[1]);

  // HomeKit controller.
  const hap = await pairController({ username: homebridge.username, port: homebridge.port });
  stops.push(() => closeController(hap));
  const accessories = await listAccessories(hap);
  const hapTarget = findCharacteristic(accessories, 'Living room blind', HAP.WindowCovering, HAP.TargetPosition);
  const hapTemperature = findCharacteristic(accessories, 'Living room sensor', HAP.TemperatureSensor, HAP.CurrentTemperature);

  // Matter controller.
  Logger.level = 'error';
  const environment = Environment.default;
  environment.vars.set('storage.path', tempDir('velux-bench-matter-'));
  environment.vars.set('mdns.networkInterface', 'lo');
  const controller = new CommissioningController({
    environment: { environment, id: 'bench-controller' },
    autoConnect: false,
    adminFabricLabel: 'VELUX bench',
  });
  await controller.start();
  stops.push(() => controller.close());
  const commissionStarted = performance.now();
  const nodeId = await controller.commissionNode(
    {
      commissioning: { regulatoryLocation: GeneralCommissioning.RegulatoryLocationType.IndoorOutdoor, regulatoryCountryCode: 'XX' },
      discovery: { knownAddress: { ip: '127.0.0.1', port: matterPort, type: 'udp' }, identifierData: { longDiscriminator: discriminator } },
      passcode,
    },
    { connectNodeAfterCommissioning: false },
  );
  // connectNode passes the subscription floor on (getNode + connect() would keep the 1 s default).
  const node = await controller.connectNode(nodeId, { subscribeMinIntervalFloorSeconds: 0 });
  const initialized = node.remoteInitializationDone ? Promise.resolve() : new Promise((resolve) => node.events.initializedFromRemote.once(resolve));
  await withTimeout(initialized, 90_000, 'the Matter controller to read the bridge');
  const commissionMs = performance.now() - commissionStarted;
  const client = await node.getInteractionClient();
  const labels = await client.getMultipleAttributes({
    attributes: [{ clusterId: BridgedDeviceBasicInformation.Cluster.id, attributeId: BridgedDeviceBasicInformation.Cluster.attributes.nodeLabel.id }],
  });
  const endpointOf = (name) => {
    const r = labels.find((l) => l.value === name);
    if (!r) throw new Error(`no Matter endpoint "${name}"`);
    return Number(r.path.endpointId);
  };
  const blindEp = endpointOf('Living room blind');
  const sensorEp = endpointOf('Living room sensor');

  // ---- 1. command → gateway -------------------------------------------------------------------
  const observer = await mqttClient(broker.url);
  stops.push(() => observer.endAsync(true).catch(() => undefined));
  let waiting;
  observer.on('message', (topic, payload) => {
    const at = performance.now();
    const body = JSON.parse(payload.toString());
    if (waiting && topic === waiting.topic && body.position === waiting.position) {
      const w = waiting;
      waiting = undefined;
      w.resolve(at);
    }
  });
  await observer.subscribeAsync(`${BASE}/+/set`, { qos: 1 });
  const topic = `${BASE}/living-blind/set`;
  const sides = {
    matter: {
      samples: [],
      answered: [],
      send: (position) =>
        client.invoke({
          endpointId: EndpointNumber(blindEp),
          clusterId: WindowCovering.Cluster.id,
          command: WindowCovering.Cluster.commands.goToLiftPercentage,
          request: { liftPercent100thsValue: (100 - position) * 100 },
        }),
    },
    homekit: {
      samples: [],
      answered: [],
      send: async (position) => {
        const answer = await hap.setCharacteristics({ [hapTarget]: position });
        const status = answer?.characteristics?.[0]?.status ?? 0;
        if (status !== 0) throw new Error(`HAP status ${status}`);
      },
    },
  };
  const order = ['matter', 'homekit'];
  const commandsStarted = performance.now();
  for (let i = 0; i < WARMUP + COMMANDS; i++) {
    const position = i % 2 === 0 ? 30 : 70;
    for (let k = 0; k < order.length; k++) {
      const s = sides[order[(i + k) % order.length]];
      const arrived = new Promise((resolve) => (waiting = { topic, position, resolve }));
      const t0 = performance.now();
      const sent = s.send(position);
      const at = await withTimeout(arrived, 5000, `${topic} ${position}`);
      await withTimeout(sent, 10_000, `the answer to ${position}`);
      const answeredAt = performance.now();
      if (i >= WARMUP) {
        s.samples.push(at - t0);
        s.answered.push(answeredAt - t0);
      }
    }
  }
  const commandSeconds = (performance.now() - commandsStarted) / 1000;

  // ---- 2. gateway → controller ----------------------------------------------------------------
  let matterWaiting;
  node.events.attributeChanged.on(({ path, value }) => {
    const at = performance.now();
    if (matterWaiting && Number(path.endpointId) === sensorEp && path.clusterId === TemperatureMeasurement.Cluster.id && value === matterWaiting.value) {
      const w = matterWaiting;
      matterWaiting = undefined;
      w.resolve(at);
    }
  });
  let hapWaiting;
  hap.on('event', (event) => {
    const at = performance.now();
    for (const c of event.characteristics ?? []) {
      if (`${c.aid}.${c.iid}` === hapTemperature && hapWaiting && Number(c.value) === hapWaiting.value) {
        const w = hapWaiting;
        hapWaiting = undefined;
        w.resolve(at);
      }
    }
  });
  await withTimeout(hap.subscribeCharacteristics([hapTemperature]), 10_000, 'subscribing to the HomeKit temperature');
  const reports = { matter: [], homekit: [] };
  const reportsStarted = performance.now();
  for (let i = 0; i < WARMUP + REPORTS; i++) {
    const value = i % 2 === 0 ? 21.3 : 21.7;
    const matterArrived = new Promise((resolve) => (matterWaiting = { value: Math.round(value * 100), resolve }));
    const hapArrived = new Promise((resolve) => (hapWaiting = { value, resolve }));
    const t0 = performance.now();
    observer.publish(`${BASE}/living-sensor`, JSON.stringify({ temperature: value, humidity: 46, co2: 650, lux: 300, battery: 90 }), { qos: 1, retain: true });
    const [mAt, hAt] = await withTimeout(Promise.all([matterArrived, hapArrived]), 5000, `the reports for ${value} °C`);
    if (i >= WARMUP) {
      reports.matter.push(mAt - t0);
      reports.homekit.push(hAt - t0);
    }
    await sleep(Math.random() * 20);
  }
  const reportSeconds = (performance.now() - reportsStarted) / 1000;

  const m = summarize(sides.matter.samples);
  const h = summarize(sides.homekit.samples);
  const mr = summarize(reports.matter);
  const hr = summarize(reports.homekit);
  const result = {
    what: 'one Homebridge with the plugin and bridge.matter; a matter.js controller and a hap-controller side by side',
    broker: broker.name,
    commissionAndFirstReadMs: Math.round(commissionMs),
    commandToGateway: {
      what: 'GoToLiftPercentage invoke / TargetPosition write → /set at a separate MQTT subscriber',
      commands: COMMANDS,
      warmup: WARMUP,
      seconds: Math.round(commandSeconds),
      matterMs: m,
      homekitMs: h,
      ratio: { median: ratio(m.median, h.median), p99: ratio(m.p99, h.p99) },
      answerMs: { matter: summarize(sides.matter.answered), homekit: summarize(sides.homekit.answered) },
    },
    stateToController: {
      what: 'retained sensor state publish → Matter measuredValue report / HomeKit CurrentTemperature event (same publish)',
      samples: REPORTS,
      warmup: WARMUP,
      seconds: Math.round(reportSeconds),
      matterMs: mr,
      homekitMs: hr,
      ratio: { median: ratio(mr.median, hr.median), p99: ratio(mr.p99, hr.p99) },
    },
  };
  const file = writeResult('matter', result);
  console.log(
    `matter: command → gateway Matter ${m.median} / ${m.p99} ms, HomeKit ${h.median} / ${h.p99} ms (median / p99); ` +
      `state → controller Matter ${mr.median} / ${mr.p99} ms, HomeKit ${hr.median} / ${hr.p99} ms → ${file}`,
  );
} finally {
  for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
}
process.exit(0);
