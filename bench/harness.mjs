// Process plumbing shared by the end-to-end benchmarks: child processes that are always killed
// (on exit, on a signal, on failure, on a watchdog), an MQTT broker, the simulated home in its
// own process, a real Homebridge child process with the plugin from dist/, and a paired
// hap-controller client. Loopback only. Plain ESM so `node bench/<name>.mjs` runs it.
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import hapController from 'hap-controller';
import { repoRoot, sleep } from './lib.mjs';

const { HttpClient } = hapController;

export const HOMEBRIDGE_BIN = join(repoRoot, 'node_modules', 'homebridge', 'bin', 'homebridge.js');
export const PIN = '031-45-154';
export const PROBE = join(repoRoot, 'bench', 'probe.mjs');

// ---- children that never outlive the benchmark ------------------------------------------------

/** Every process we started and have not seen exit: pid → { group } (group = its own process group). */
const live = new Map();
const tempDirs = new Set();

export function killAll() {
  for (const [pid, { group }] of live) {
    try {
      process.kill(group ? -pid : pid, 'SIGKILL');
    } catch {}
  }
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping everything`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error('bench: failed:', err);
  killAll();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error('bench: failed:', err);
  killAll();
  process.exit(1);
});

/** Fails the whole benchmark (killing every child) if it runs longer than `ms`. */
export function watchdog(ms, name) {
  const timer = setTimeout(() => {
    console.error(`bench ${name}: still running after ${Math.round(ms / 1000)} s; giving up`);
    killAll();
    process.exit(1);
  }, ms);
  timer.unref();
  return timer;
}

export function track(child, { group = false } = {}) {
  live.set(child.pid, { group });
  child.once('exit', () => live.delete(child.pid));
  return child;
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Whether `taskset` can pin processes to one core (Linux with util-linux). */
export const canPin = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

/** [command, args] that runs `node args…` pinned to `cpu` when possible. */
export function nodeCommand(args, cpu) {
  if (cpu !== undefined && canPin) return ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  return [process.execPath, args];
}

export function pinSelf(cpu) {
  if (!canPin) return false;
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)], { stdio: 'pipe' });
  return true;
}

/** Ends a child gracefully (SIGTERM), then SIGKILL after `ms`. */
export async function stopChild(child, ms = 5000, { group = false } = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(group ? -child.pid : child.pid, 'SIGTERM');
  } catch {}
  const killer = setTimeout(() => {
    try {
      process.kill(group ? -child.pid : child.pid, 'SIGKILL');
    } catch {}
  }, ms);
  await exited;
  clearTimeout(killer);
  if (group) {
    // Child bridges shut down after their parent: give them a moment, then anything left in
    // the group goes too.
    const deadline = Date.now() + 3000;
    const alive = () => {
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await sleep(50);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
}

// ---- network -------------------------------------------------------------------------------

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export function randomUsername() {
  return [0x0e, ...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

// ---- MQTT broker -----------------------------------------------------------------------------

function mosquittoBinary() {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto', '/opt/homebrew/sbin/mosquitto']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A broker on a free loopback port in its own process: Mosquitto when installed (what CI uses;
 * a C broker keeps its own cost and jitter out of the figures), else aedes. BENCH_BROKER=aedes
 * forces aedes. Nagle is off on both (as in the plugin and the test brokers) unless
 * `nodelay: false` (Mosquitto's default; bench/mosquitto-nodelay.mjs). `mosquittoOnly`: resolves
 * to undefined when Mosquitto is not installed.
 */
export async function startBroker({ cpu, nodelay = true, mosquittoOnly = false } = {}) {
  const port = await freePort();
  const mosquitto = process.env.BENCH_BROKER === 'aedes' && !mosquittoOnly ? undefined : mosquittoBinary();
  if (mosquittoOnly && !mosquitto) return undefined;
  let child;
  let name;
  if (mosquitto) {
    const dir = tempDir('velux-bench-mosquitto-');
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...(nodelay ? ['set_tcp_nodelay true'] : []), 'max_queued_messages 100000', 'log_type error', ''].join('\n'));
    const [cmd, args] = cpu !== undefined && canPin ? ['taskset', ['-c', String(cpu), mosquitto, '-c', conf]] : [mosquitto, ['-c', conf]];
    child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    const version = spawnSync(mosquitto, ['-h'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() ?? '';
    name = version || 'mosquitto';
  } else {
    const [cmd, args] = nodeCommand([join(repoRoot, 'bench', 'broker-aedes.mjs'), String(port)], cpu);
    child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
    name = 'aedes 1 (Node.js)';
  }
  await waitForPort(port, 10_000);
  return { url: `mqtt://127.0.0.1:${port}`, port, name, child, stop: () => stopChild(child, 3000) };
}

/** An MQTT client with Nagle off, connected. */
export async function mqttClient(url, clientId) {
  const client = mqtt.connect(url, { clientId: clientId ?? `bench-${process.pid}-${randomBytes(3).toString('hex')}`, reconnectPeriod: 0 });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  client.stream?.setNoDelay?.(true);
  return client;
}

// ---- the simulated home in its own process ---------------------------------------------------

/**
 * Simulated gateways in a child process (bench/sim-host.mjs). `homes`: [{ baseTopic, layout,
 * gatewayId, clock: 'manual' | 'real' }]. Resolves once every home has published everything.
 */
export async function startSimulators(url, homes, { cpu } = {}) {
  const [cmd, args] = nodeCommand([join(repoRoot, 'bench', 'sim-host.mjs')], cpu);
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator host exited (${code})`)));
    child.on('message', (m) => {
      if (m?.kind === 'ready') resolve(m);
      if (m?.kind === 'error') reject(new Error(m.message));
    });
  });
  child.send({ kind: 'start', url, homes });
  const info = await withTimeout(ready, 30_000, 'the simulated homes to start');
  return {
    child,
    info,
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ kind: 'stop' });
      await withTimeout(new Promise((r) => child.once('exit', r)), 10_000, 'the simulators to stop').catch(() => stopChild(child, 1000));
    },
  };
}

// ---- Homebridge --------------------------------------------------------------------------------

/**
 * A real Homebridge: `node [--import bench/probe.mjs] <homebridge>/bin/homebridge.js -I -Q -T
 * -U <storage> -P <plugin path> --strict-plugin-resolution` in its own process group (child
 * bridges included), as src/demo/main.ts starts it. `probeDir` enables the probe (event-loop
 * delay, accessory counts) in every Homebridge process; `cpuProfDir` adds --cpu-prof;
 * `beforeStart(storagePath)` runs after config.json is written, before Homebridge starts.
 */
export async function startHomebridge({ platforms, pluginPath = repoRoot, probeDir, cpuProfDir, echo = false, waitFor = /is running on port \d+/, timeoutMs = 60_000, matter, beforeStart }) {
  const storagePath = tempDir('velux-bench-hb-');
  const username = randomUsername();
  const port = await freePort();
  const config = {
    // `matter`: a bridge.matter block. Matter's mDNS wants an interface name ("lo"); HAP takes either.
    bridge: { name: 'VELUX Bench', username, port, pin: PIN, bind: [matter ? 'lo' : '127.0.0.1'], advertiser: 'ciao', ...(matter ? { matter } : {}) },
    accessories: [],
    platforms,
  };
  writeFileSync(join(storagePath, 'config.json'), JSON.stringify(config, null, 2));
  beforeStart?.(storagePath);
  const execArgv = [];
  if (probeDir) execArgv.push('--import', pathToFileURL(PROBE).href);
  if (cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-interval=${process.env.BENCH_CPU_PROF_INTERVAL ?? 1000}`);
  const args = [...execArgv, HOMEBRIDGE_BIN, '-I', '-Q', '-T', '-U', storagePath, '-P', pluginPath, '--strict-plugin-resolution'];
  const started = performance.now();
  const startedWall = performance.timeOrigin + started;
  const child = track(
    spawn(process.execPath, args, {
      // Homebridge keeps Matter data only under ~/.homebridge, /var/lib/homebridge or its working directory.
      cwd: matter ? storagePath : repoRoot,
      detached: true, // its own process group: child bridges are killed with it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', BENCH_PROBE_DIR: probeDir ?? '' },
    }),
    { group: true },
  );
  let output = '';
  const collect = (chunk) => {
    const text = chunk.toString();
    output += text;
    if (echo) process.stdout.write(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const hb = {
    child,
    pid: child.pid,
    port,
    username,
    storagePath,
    started,
    startedWall,
    log: () => output,
    async waitForOutput(pattern, ms = 30_000, count = 1) {
      const deadline = Date.now() + ms;
      for (;;) {
        const matches = output.split('\n').filter((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
        if (matches.length >= count) return matches;
        if (child.exitCode !== null) throw new Error(`Homebridge exited before printing ${pattern}:\n${output.slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`Homebridge did not print ${pattern} ×${count} within ${ms} ms:\n${output.slice(-4000)}`);
        await sleep(10);
      }
    },
    stop: () => stopChild(child, 10_000, { group: true }),
  };
  if (waitFor) {
    try {
      await hb.waitForOutput(waitFor, timeoutMs);
    } catch (err) {
      await hb.stop();
      throw err;
    }
  }
  return hb;
}

/** Lines the probe wrote (bench/probe.mjs), all processes. */
export function readProbe(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {}
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Resident set size (and peak) of a process in MiB, from /proc. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMiB: NaN, peakMiB: NaN };
  }
}

export function probeDir(prefix = 'velux-bench-probe-') {
  const dir = tempDir(prefix);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---- HAP controller ---------------------------------------------------------------------------

/** A paired hap-controller HttpClient with persistent connections (as the Home app keeps them). */
export async function pairController({ username, port }, pin = PIN) {
  const client = new HttpClient(username, '127.0.0.1', port, undefined, { usePersistentConnections: true });
  await withTimeout(client.pairSetup(pin), 20_000, `pairing with 127.0.0.1:${port}`);
  return client;
}

export async function closeController(client) {
  if (!client) return;
  try {
    await withTimeout(client.unsubscribeCharacteristics(), 2000, 'unsubscribing');
  } catch {}
  try {
    client.closePersistentConnection();
  } catch {}
  await withTimeout(client.close(), 2000, 'closing').catch(() => undefined);
}

export function longUuid(type) {
  const upper = String(type).toUpperCase();
  return upper.includes('-') ? upper : `${upper.padStart(8, '0')}-0000-1000-8000-0026BB765291`;
}

export const HAP = {
  AccessoryInformation: longUuid('3E'),
  Name: longUuid('23'),
  WindowCovering: longUuid('8C'),
  TargetPosition: longUuid('7C'),
  CurrentPosition: longUuid('6D'),
  TemperatureSensor: longUuid('8A'),
  CurrentTemperature: longUuid('11'),
};

export async function listAccessories(client) {
  const result = await withTimeout(client.getAccessories(), 20_000, 'listing accessories');
  return result.accessories.map((a) => ({
    aid: Number(a.aid),
    services: a.services.map((s) => ({
      type: longUuid(s.type),
      characteristics: s.characteristics.map((c) => ({ ...c, aid: Number(a.aid), iid: Number(c.iid), type: longUuid(c.type) })),
    })),
  }));
}

export function accessoryName(accessory) {
  return accessory.services.find((s) => s.type === HAP.AccessoryInformation)?.characteristics.find((c) => c.type === HAP.Name)?.value;
}

/** "aid.iid" of a characteristic, by accessory name, service and characteristic type. */
export function findCharacteristic(accessories, name, serviceType, charType) {
  const accessory = accessories.find((a) => accessoryName(a) === name);
  if (!accessory) throw new Error(`no accessory "${name}" (have ${accessories.map(accessoryName).join(', ')})`);
  const c = accessory.services.find((s) => s.type === serviceType)?.characteristics.find((x) => x.type === charType);
  if (!c) throw new Error(`"${name}" has no ${charType} in ${serviceType}`);
  return `${accessory.aid}.${c.iid}`;
}

// ---- small things ---------------------------------------------------------------------------------

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    Promise.resolve(promise).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** Polls `check` every `everyMs` until it returns something truthy; throws after `ms`. */
export async function waitUntil(check, ms, what, everyMs = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const round = (x, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** Ratio a/b rounded to two decimals. */
export const ratio = (a, b) => round(a / b, 2);

export function forkScript(file, args = [], { cpu } = {}) {
  // BENCH_CPU_PROF=<dir>: the server processes (google-server, floor-server) write CPU profiles too.
  const dir = process.env.BENCH_CPU_PROF;
  const execArgv = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${process.env.BENCH_CPU_PROF_INTERVAL ?? 1000}`] : [];
  if (cpu !== undefined && canPin) {
    return track(spawn('taskset', ['-c', String(cpu), process.execPath, ...execArgv, file, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  return track(fork(file, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

/** Waits for a `{kind}` IPC message from a child (rejects if it exits first). */
export function message(child, kind, ms, what) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m?.kind === kind) {
          child.off('message', onMessage);
          resolve(m);
        } else if (m?.kind === 'error') reject(new Error(`${what}: ${m.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`${what}: the process exited (${code})`)));
    }),
    ms,
    what,
  );
}
