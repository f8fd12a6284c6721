#!/usr/bin/env node
/**
 * `npm start`: the whole product on one machine, loopback only — an embedded MQTT broker,
 * the simulated VELUX home, and a real Homebridge running this plugin (HomeKit bridge plus the
 * Google endpoint). `--gateway klf200` adds an emulated KLF 200; `--gateway homekit` replaces
 * broker and simulated home with an emulated VELUX ACTIVE gateway (KIX 300) that the plugin
 * pairs with as a HomeKit controller. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { SimulatedHome } from '../simulator/index.js';
import { defaultLayout, type HomeLayout } from '../simulator/layout.js';
import { DEFAULT_KLF_PRODUCTS, KlfEmulator } from '../simulator/klf200/emulator.js';
import { makeEmulatorCertificate } from '../simulator/klf200/cert.js';
import type { Kix300Emulator } from '../simulator/kix300.js';
import { AccountStore } from '../google/accounts.js';
import { accountsFile } from '../google/paths.js';
import { migrateLegacyStorage } from '../storage/blocks.js';
import { DEFAULT_BLOCK_ID, pluginStorageDir } from '../storage/paths.js';
import { silentLogger } from '../logger.js';
import { googleRedirectUris } from '../google/config.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SETUP_CODE = '031-45-154';
const DEMO_ACCOUNT = { name: 'demo', password: 'demo-password' };
const DEMO_GOOGLE = { projectId: 'velux-climate-demo', clientId: 'demo-client-id', clientSecret: 'demo-client-secret-change-me' };

/** The link Google opens when someone links the demo's project: the sign-in page, working. */
function demoSignInLink(port: number): string {
  const query = new URLSearchParams({
    client_id: DEMO_GOOGLE.clientId,
    redirect_uri: googleRedirectUris(DEMO_GOOGLE.projectId)[0]!,
    state: 'try-it-locally',
    response_type: 'code',
  });
  return `http://127.0.0.1:${port}/oauth/authorize?${query.toString()}`;
}

const { values: args } = parseArgs({
  options: {
    speed: { type: 'string', default: '1' },
    'mqtt-port': { type: 'string', default: '11883' },
    'hap-port': { type: 'string', default: '51826' },
    'google-port': { type: 'string', default: '8582' },
    lan: { type: 'boolean', default: false },
    matter: { type: 'boolean', default: false },
    'matter-port': { type: 'string', default: '5540' },
    storage: { type: 'string', default: join(repoRoot, '.demo') },
    gateway: { type: 'string', default: 'mqtt' },
    'klf-host': { type: 'string', default: '127.0.0.2' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm start -- [--gateway mqtt|klf200|homekit] [--speed N] [--mqtt-port P] [--hap-port P] [--google-port P] [--storage DIR] [--lan] [--matter [--matter-port P]]
  --gateway      mqtt (default): the simulated home behind the MQTT gateway;
                 klf200: an emulated KLF 200 (windows, blind, shutter, awning) on --klf-host:51200,
                 with the simulated home's climate sensors (MQTT) in the same rooms;
                 homekit: an emulated VELUX ACTIVE gateway (KIX 300) on 127.0.0.1 that the plugin
                 pairs with as a HomeKit controller (no MQTT broker, no simulated MQTT home)
  --klf-host     loopback address of the emulated KLF 200 (default 127.0.0.2)
  --speed        simulated time factor (motors, CO2, humidity): 1 = real time, 10 = ten times faster
  --mqtt-port    embedded MQTT broker on 127.0.0.1 (default 11883)
  --hap-port     HomeKit bridge port (default 51826)
  --google-port  Google Home endpoint on 127.0.0.1 (default 8582)
  --storage      Homebridge storage directory for the demo (default .demo/, git-ignored)
  --lan          let the HomeKit bridge listen on every network interface (to pair a phone);
                 by default it listens on 127.0.0.1 only
  --matter       also publish the home on Matter (Homebridge 2) and print its pairing code
  --matter-port  Matter UDP port (default 5540)`);
  process.exit(0);
}

function port(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`--${name} must be a port number from 1 to 65535, not "${value}"`);
    process.exit(2);
  }
  return n;
}

const speed = Number(args.speed);
if (!(speed > 0 && speed <= 1000)) {
  console.error(`--speed must be a number above 0 and at most 1000, not "${args.speed}"`);
  process.exit(2);
}
const mqttPort = port('mqtt-port', args['mqtt-port']);
const hapPort = port('hap-port', args['hap-port']);
const googlePort = port('google-port', args['google-port']);
const matterPort = port('matter-port', args['matter-port']);
const storage = resolve(args.storage ?? join(repoRoot, '.demo'));
if (args.gateway !== 'mqtt' && args.gateway !== 'klf200' && args.gateway !== 'homekit') {
  console.error(`--gateway must be mqtt, klf200 or homekit, not "${args.gateway}"`);
  process.exit(2);
}
const klfMode = args.gateway === 'klf200';
const kixMode = args.gateway === 'homekit';
const klfHost = args['klf-host'] ?? '127.0.0.2';
if (klfMode && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(klfHost)) {
  console.error(`--klf-host must be a loopback address (127.x.y.z), not "${klfHost}"`);
  process.exit(2);
}
/** Rooms of the emulated KLF 200's products (the KLF has none; the config's devices[] sets them). */
const KLF_ROOMS: Record<string, string> = {
  '53362726102f0080': 'Bedroom',
  '53362726102f0081': 'Bedroom',
  '53362726102f0082': 'Living room',
  '53362726102f0083': 'Living room',
  '53362726102f0084': 'Kitchen',
};
const KLF_PASSWORD = 'velux123';
/**
 * Names and rooms of the emulated KIX 300's devices (the gateway has neither). The external cover
 * is left unnamed on purpose: it shows the distinct name the plugin gives ("Awning 555e").
 */
const KIX_DEVICES = [
  { serial: 'a11b111', name: 'Attic sensor', room: 'Attic' },
  { serial: '5611111a114a111a', name: 'Attic window', room: 'Attic' },
  { serial: '5611111a114a222b', name: 'Attic skylight', room: 'Attic' },
  { serial: 'a22c222', name: 'Bedroom sensor', room: 'Bedroom' },
  { serial: '5622222b225b333c', name: 'Bedroom window', room: 'Bedroom' },
  { serial: '5633333c336c444d', name: 'Bedroom blind', room: 'Bedroom' },
  { serial: '5644444d447d555e', room: 'Bedroom' },
];
const KIX_GATEWAY_NAME = 'VELUX ACTIVE';

/** Finds out before starting anything whether a port is taken, so the message can say what to do. */
function ensureFree(p: number, host: string, what: string, flag: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${p} (${what}) is already in use — is another demo or Homebridge running? Stop it, or pick another port: npm start -- ${flag} <port>`
            : `Cannot use port ${p} (${what}): ${err.message}`,
        ),
      );
    });
    probe.listen(p, host, () => probe.close(() => resolvePromise()));
  });
}

/**
 * A HomeKit MAC-like id kept in the demo's storage: the bridge's (or the emulated gateway's) id must
 * stay the same across demo runs, or the Home app (or the plugin) loses the pairing.
 */
function bridgeIdentity(file = 'demo-bridge.json'): { username: string } {
  const path = join(storage, file);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as { username: string };
  const bytes = [...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0').toUpperCase());
  const identity = { username: ['0E', ...bytes].join(':') };
  mkdirSync(storage, { recursive: true });
  writeFileSync(path, JSON.stringify(identity));
  return identity;
}

/** The gateways[] of the demo's config: the MQTT home, plus the KLF 200, or the KIX 300 alone. */
function demoGateways(klf?: { fingerprint: string }, kix?: { port: number; setupCode: string }): Array<Record<string, unknown>> {
  if (kix) {
    // The pairing is kept in the demo's storage: later runs connect without the code.
    return [{ type: 'homekit', name: KIX_GATEWAY_NAME, setupCode: kix.setupCode, host: '127.0.0.1', port: kix.port, devices: KIX_DEVICES }];
  }
  return [
    { name: klf ? 'Demo sensors' : 'Demo home', url: `mqtt://127.0.0.1:${mqttPort}`, baseTopic: 'velux' },
    ...(klf
      ? [
          {
            type: 'klf200',
            name: 'KLF 200',
            host: klfHost,
            password: KLF_PASSWORD,
            fingerprint: klf.fingerprint,
            devices: Object.entries(KLF_ROOMS).map(([serial, room]) => ({ serial, room })),
          },
        ]
      : []),
  ];
}

function writeHomebridgeConfig(klf?: { fingerprint: string }, kix?: { port: number; setupCode: string }): void {
  mkdirSync(storage, { recursive: true });
  const config = {
    bridge: {
      name: 'VELUX Demo',
      username: bridgeIdentity().username,
      port: hapPort,
      pin: SETUP_CODE,
      // Matter's mDNS wants interface names, HAP takes either: "lo" is 127.0.0.1 (and ::1).
      ...(args.lan ? {} : { bind: [args.matter ? 'lo' : '127.0.0.1'] }),
      ...(args.matter ? { matter: { port: matterPort } } : {}),
    },
    accessories: [],
    platforms: [
      {
        platform: 'VeluxClimate',
        name: 'VELUX',
        gateways: demoGateways(klf, kix),
        google: {
          enabled: true,
          port: googlePort,
          bind: '127.0.0.1',
          ...DEMO_GOOGLE,
          pin: '1234',
        },
        climate: { enabled: true },
      },
    ],
  };
  // It holds the client secret and the PIN: readable by its owner only, as the plugin's own files.
  const file = join(storage, 'config.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Homebridge's package does not export its package.json, so find its folder from the main entry. */
function homebridgeBinary(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('homebridge'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'bin', 'homebridge.js');
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!kixMode) await ensureFree(mqttPort, '127.0.0.1', 'embedded MQTT broker', '--mqtt-port');
  await ensureFree(hapPort, args.lan ? '0.0.0.0' : '127.0.0.1', 'HomeKit bridge', '--hap-port');
  await ensureFree(googlePort, '127.0.0.1', 'Google endpoint', '--google-port');

  let mqtt: { close(): Promise<void> } | undefined;
  let sim: SimulatedHome | undefined;
  let klf: KlfEmulator | undefined;
  let kix: Kix300Emulator | undefined;
  if (kixMode) {
    kix = await startKix();
    writeHomebridgeConfig(undefined, { port: kix.port, setupCode: kix.setupCode });
  } else {
    // aedes is a development dependency: the demo runs from a checkout, not from an installed plugin.
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker();
    const broker: Server = createServer({ noDelay: true }, aedes.handle);
    await new Promise<void>((r) => broker.listen(mqttPort, '127.0.0.1', r));
    mqtt = { close: () => new Promise<void>((r) => aedes.close(() => broker.close(() => r()))) };
    console.log(`[demo] MQTT broker on mqtt://127.0.0.1:${mqttPort}`);

    // With the KLF 200, the MQTT side keeps only the climate sensors and the departure switch.
    const layout: HomeLayout | undefined = klfMode ? sensorsOnly(defaultLayout()) : undefined;
    sim = new SimulatedHome({ url: `mqtt://127.0.0.1:${mqttPort}`, baseTopic: 'velux', timeScale: speed, layout, log: (m) => console.log(`[simulator] ${m}`) });
    await sim.start();
    console.log(`[demo] simulated home: ${sim.devices().length} devices in ${sim.rooms().length} rooms, time x${speed}`);

    if (klfMode) {
      const cert = makeEmulatorCertificate();
      klf = new KlfEmulator({ host: klfHost, password: KLF_PASSWORD, cert: cert.cert, key: cert.key, products: DEFAULT_KLF_PRODUCTS, fullTravelMs: 20_000 / speed });
      try {
        await klf.start();
      } catch (err) {
        throw new Error(`Cannot start the emulated KLF 200 on ${klfHost}:51200 (${err instanceof Error ? err.message : String(err)}); pick another address: npm start -- --gateway klf200 --klf-host 127.0.0.3`);
      }
      console.log(`[demo] emulated KLF 200 on ${klfHost}:51200 (password ${KLF_PASSWORD}, certificate SHA-1 ${cert.fingerprint})`);
      writeHomebridgeConfig({ fingerprint: cert.fingerprint });
    } else writeHomebridgeConfig();
  }
  // A sign-in account for trying the Google account-linking page; real homes create their own.
  // The demo's one platform block has no id ("default"); a .demo/ of v0.1/v0.2 moves into it first.
  migrateLegacyStorage(storage, DEFAULT_BLOCK_ID, [], silentLogger);
  const accounts = new AccountStore(accountsFile(pluginStorageDir(storage, DEFAULT_BLOCK_ID)), {});
  if (accounts.list().length === 0) await accounts.add(DEMO_ACCOUNT.name, DEMO_ACCOUNT.password, 'admin');
  const homebridgeBin = homebridgeBinary();
  // HAP-NodeJS listens on every interface whatever `bind` says: without --lan, a preload keeps
  // every server of the demo's Homebridge on 127.0.0.1.
  const loopbackOnly = args.lan ? [] : ['--import', pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'loopback-only.js')).href];
  const child: ChildProcess = spawn(process.execPath, [...loopbackOnly, homebridgeBin, '-I', '-U', storage, '-P', repoRoot, '--strict-plugin-resolution'], {
    // Homebridge keeps Matter data only under ~/.homebridge, /var/lib/homebridge or its working directory.
    cwd: storage,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });

  let announced = false;
  let matterCode: string | undefined;
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString();
    process.stdout.write(text);
    const code = /Manual Pairing Code: ([\d-]+)/.exec(text)?.[1];
    if (code && !matterCode) {
      matterCode = code;
      if (announced) console.log(`[demo] Matter pairing code ${code} (port ${matterPort})`);
    }
    if (!announced && /devices in \d+ rooms are ready/.test(text)) {
      announced = true;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`
──────────────────────────────────────────────────────────────────
 VELUX Climate demo is ready (${seconds} s)
  HomeKit   Add Accessory → More options → "VELUX Demo", setup code ${SETUP_CODE}
            (bridge on port ${hapPort}${args.lan ? ', all interfaces' : '; 127.0.0.1 only: run npm start -- --lan to pair a phone'})
  Google    fulfillment http://127.0.0.1:${googlePort}/smarthome (demo PIN 1234)
            sign in as Google would: ${demoSignInLink(googlePort)}
            demo account "${DEMO_ACCOUNT.name}" / "${DEMO_ACCOUNT.password}"; then docs/google-home.md, "Try Google Home locally"
            manage accounts: node dist/cli/main.js --storage ${storage} users list
${
        args.matter
          ? `  Matter    pairing code ${matterCode ?? '(printed by Homebridge above once its Matter server runs)'}, UDP port ${matterPort}
            (Google Home, Alexa, SmartThings, Home Assistant: add a Matter device with this code; see docs/matter.md)
`
          : '  Matter    off: npm start -- --matter publishes the home on Matter too\n'
      }${
        kix
          ? `  KIX 300   emulated VELUX ACTIVE gateway on 127.0.0.1:${kix.port} (setup code ${kix.setupCode}), paired with the plugin as a
            HomeKit controller: windows, blind and awning of the Attic and Bedroom, one climate sensor per room`
          : `  MQTT      mqtt://127.0.0.1:${mqttPort}, base topic "velux" (try: mosquitto_sub -p ${mqttPort} -t 'velux/#' -v)${
              klf ? `\n  KLF 200   emulated on ${klfHost}:51200: windows and covers of the Bedroom, Living room and Kitchen` : ''
            }`
      }
  Storage   ${storage}
  Ctrl-C stops everything.
──────────────────────────────────────────────────────────────────`);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[demo] stopping…');
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await sim?.stop();
    await klf?.stop();
    await kix?.stop();
    await mqtt?.close();
    process.exit(code);
  };
  child.once('exit', (code) => {
    if (!stopping) {
      console.error(`[demo] Homebridge exited (code ${code}); stopping the demo`);
      void stop(1);
    }
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // `npm start` forwards a signal sent to npm alone (an IDE's stop button, a service manager)
  // to its shell, which dies without passing it on: stop when whoever started us is gone.
  const watched = launchers();
  const watch = setInterval(() => {
    if (watched.some((pid) => !alive(pid))) {
      console.log('[demo] the process that started the demo is gone; stopping');
      clearInterval(watch);
      void stop(0);
    }
  }, 300);
  watch.unref();
}

/**
 * The emulated VELUX ACTIVE gateway (HAP-NodeJS, a development dependency) on 127.0.0.1. Its
 * identity and pairings live in the demo's storage, as the plugin's pairing keys do: a second run
 * connects without pairing again.
 */
async function startKix(): Promise<Kix300Emulator> {
  const { Kix300Emulator } = await import('../simulator/kix300.js');
  const emulator = new Kix300Emulator({
    username: bridgeIdentity('demo-kix300.json').username,
    storagePath: join(storage, 'kix300-emulator'),
    keepPairings: true,
    timeScale: speed,
    // Somebody in each room: CO2 and humidity rise, and the climate control airs.
    occupancy: { Attic: 1, Bedroom: 2 },
    log: (m) => console.log(`[kix300] ${m}`),
  });
  await emulator.start();
  console.log(`[demo] emulated VELUX ACTIVE gateway (KIX 300) on 127.0.0.1:${emulator.port}, time x${speed}`);
  return emulator;
}

/** The parent, and under `npm start` also npm itself (the shell's parent); never init. */
function launchers(): number[] {
  const pids = [process.ppid];
  if (process.env['npm_lifecycle_event']) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
      const grandparent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(grandparent)) pids.push(grandparent);
    } catch {
      // not Linux: the parent alone
    }
  }
  return pids.filter((pid) => pid > 1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sensorsOnly(layout: HomeLayout): HomeLayout {
  const devices = layout.devices.filter((d) => d.type === 'sensor' || d.type === 'departure_switch');
  const ids = new Set(devices.map((d) => d.id));
  const initialState = Object.fromEntries(Object.entries(layout.initialState ?? {}).filter(([id]) => ids.has(id)));
  return { ...layout, devices, initialState };
}

main().catch((err: unknown) => {
  console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
