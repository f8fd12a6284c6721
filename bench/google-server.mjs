// Child process for the Google benchmarks: the plugin's own pieces from dist/ — MqttGateway per
// base topic, Home, GoogleHome — exactly as the platform wires them (Report State off: no
// service-account key), against simulated gateways on a broker. Run pinned with
// `taskset -c 0` by bench/google.mjs. Over IPC:
//   ← {kind:'start', url, baseTopics, storagePath, devices}   (devices: how many to wait for)
//   → {kind:'ready', url, keys}   (the fulfillment base URL and every device key)
import { performance } from 'node:perf_hooks';
import { MqttGateway } from '../dist/gateway/mqtt/gateway.js';
import { GoogleHome } from '../dist/google/index.js';
import { Home } from '../dist/home/model.js';
import { GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_PROJECT } from './google-lib.mjs';

const quiet = { info() {}, debug() {}, warn: (m) => console.error(`[google-server] ${m}`), error: (m) => console.error(`[google-server] ${m}`) };
let home;
let google;

async function start({ url, baseTopics, storagePath, devices }) {
  home = new Home({ log: quiet });
  baseTopics.forEach((baseTopic, i) => home.addGateway(new MqttGateway({ name: `Gateway ${i}`, url, baseTopic }, quiet)));
  const started = performance.now();
  await home.start();
  const deadline = Date.now() + 60_000;
  while (!(home.devices().length === devices && home.devices().every((d) => d.reachable))) {
    if (Date.now() > deadline) throw new Error(`only ${home.devices().length} of ${devices} devices arrived`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const homeReadyMs = performance.now() - started;
  google = new GoogleHome({
    home,
    log: quiet,
    storagePath,
    storageDir: storagePath, // the block folder (the accounts file is written there by google-lib.mjs)
    config: { enabled: true, port: 0, bind: '127.0.0.1', publicUrl: 'https://bench.example', projectId: GOOGLE_PROJECT, clientId: GOOGLE_CLIENT_ID, clientSecret: GOOGLE_CLIENT_SECRET },
  });
  const { url: endpoint } = await google.start();
  process.send({ kind: 'ready', url: endpoint, keys: home.devices().map((d) => d.key), homeReadyMs, rssMiB: process.memoryUsage().rss / 2 ** 20 });
}

async function stop() {
  await Promise.race([(async () => {
    await google?.stop();
    await home?.stop();
  })(), new Promise((r) => setTimeout(r, 3000))]);
  process.exit(0);
}

process.on('message', (m) => {
  if (m?.kind === 'start') start(m).catch((err) => process.send({ kind: 'error', message: String(err?.stack ?? err) }));
  if (m?.kind === 'stop') void stop();
});
process.on('disconnect', () => process.exit(0));
