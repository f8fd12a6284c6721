// KLF 200 latency through a real Homebridge running the plugin, against the emulated KLF 200
// (TLS on loopback, bench process) and a paired hap-controller:
//  - write:  TargetPosition write (HAP) → GW_COMMAND_SEND_REQ arriving at the KLF, and → the
//            HAP write's answer (the plugin answers after the KLF's run status);
//  - notify: a position notification sent by the KLF (GW_NODE_STATE_POSITION_CHANGED_NTF) →
//            the CurrentPosition event at the controller.
// Writes alternate 30/70 % on a blind; notifications alternate 20/80 % on a shutter.
// No floor here: the figures show what the KLF path costs on top of TLS on loopback.
import { performance } from 'node:perf_hooks';
import { summarize, writeResult, repoRoot } from './lib.mjs';
import { HAP, closeController, findCharacteristic, listAccessories, pairController, startHomebridge, watchdog, withTimeout } from './harness.mjs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SAMPLES = Number(process.env.BENCH_KLF_SAMPLES ?? 300);
const WARMUP = 20;
watchdog(300_000, 'klf200');

const dist = (p) => import(pathToFileURL(join(repoRoot, 'dist', p)).href);
const { KlfEmulator } = await dist('simulator/klf200/emulator.js');
const { makeEmulatorCertificate } = await dist('simulator/klf200/cert.js');
const { percentToRaw } = await dist('gateway/klf200/products.js');

const cert = makeEmulatorCertificate();
let emulator;
for (let i = 0; ; i++) {
  const b = () => 1 + Math.floor(Math.random() * 253);
  emulator = new KlfEmulator({ host: `127.${b()}.${b()}.${b()}`, password: 'velux123', cert: cert.cert, key: cert.key, fullTravelMs: 20_000 });
  try {
    await emulator.start();
    break;
  } catch (err) {
    if (i > 5) throw err;
  }
}
let hb;
let client;
try {
  hb = await startHomebridge({
    platforms: [
      {
        platform: 'VeluxClimate',
        name: 'VELUX',
        gateways: [{ type: 'klf200', name: 'KLF', host: emulator.host, password: 'velux123', fingerprint: cert.fingerprint }],
        climate: { enabled: false },
      },
    ],
  });
  await hb.waitForOutput(/devices in \d+ rooms are ready/, 30_000);
  client = await pairController({ username: hb.username, port: hb.port });
  const accessories = await listAccessories(client);
  const blindTarget = findCharacteristic(accessories, 'Bedroom blind', HAP.WindowCovering, HAP.TargetPosition);
  const shutterCurrent = findCharacteristic(accessories, 'Living room shutter', HAP.WindowCovering, HAP.CurrentPosition);
  await client.subscribeCharacteristics([shutterCurrent]);

  // write → KLF command
  let waitingCommand;
  emulator.on('command', (record) => {
    const at = performance.now();
    if (waitingCommand && record.nodeId === 1 && record.raw === waitingCommand.raw) {
      const w = waitingCommand;
      waitingCommand = undefined;
      w.resolve(at);
    }
  });
  const write = { command: [], answer: [] };
  for (let i = 0; i < SAMPLES + WARMUP; i++) {
    const position = i % 2 === 0 ? 30 : 70;
    const arrived = new Promise((resolve) => (waitingCommand = { raw: percentToRaw(position), resolve }));
    const t0 = performance.now();
    const answer = client.setCharacteristics({ [blindTarget]: position });
    const at = await withTimeout(arrived, 5000, `the KLF command for ${position}`);
    const result = await withTimeout(answer, 10_000, 'the HAP answer');
    const answeredAt = performance.now();
    const status = result?.characteristics?.[0]?.status ?? 0;
    if (status !== 0) throw new Error(`HAP status ${status}`);
    if (i >= WARMUP) {
      write.command.push(at - t0);
      write.answer.push(answeredAt - t0);
    }
  }

  // KLF notification → HomeKit event
  const [aid, iid] = shutterCurrent.split('.').map(Number);
  let waitingEvent;
  client.on('event', (ev) => {
    const at = performance.now();
    for (const c of ev.characteristics) {
      if (waitingEvent && Number(c.aid) === aid && Number(c.iid) === iid && c.value === waitingEvent.value) {
        const w = waitingEvent;
        waitingEvent = undefined;
        w.resolve(at);
      }
    }
  });
  const notify = [];
  for (let i = 0; i < SAMPLES + WARMUP; i++) {
    const value = i % 2 === 0 ? 20 : 80;
    const seen = new Promise((resolve) => (waitingEvent = { value, resolve }));
    const t0 = performance.now();
    emulator.jumpTo(2, percentToRaw(value));
    const at = await withTimeout(seen, 5000, `the CurrentPosition ${value} event`);
    if (i >= WARMUP) notify.push(at - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  const result = {
    samples: SAMPLES,
    writeToKlfCommandMs: summarize(write.command),
    writeToHapAnswerMs: summarize(write.answer),
    klfNotificationToHapEventMs: summarize(notify),
    notes: 'Emulated KLF 200 on loopback TLS in the bench process; Homebridge (plugin from dist/) in a child process; hap-controller over loopback.',
  };
  const file = writeResult('klf200', result);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file}`);
} finally {
  if (client) await closeController(client).catch(() => undefined);
  await hb?.stop().catch(() => undefined);
  await emulator.stop();
}
process.exit(0);
