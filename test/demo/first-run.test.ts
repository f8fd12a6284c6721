/**
 * `npm start` as a new user meets it: every server on loopback (the HomeKit bridge included,
 * whose setup code is published), the banner's Google sign-in link and docs/google-home.md's
 * "Try Google Home locally" commands working as written, and a signal sent to the npm process
 * alone stopping everything it started. Linux only (reads /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accessoryName, freePort, HapController, REPO_ROOT } from '../helpers/homebridge.js';

interface Demo {
  npm: ChildProcess;
  output: () => string;
  ports: { mqtt: number; hap: number; google: number };
  storage: string;
}

const started: Demo[] = [];

async function startDemo(extra: string[] = []): Promise<Demo> {
  const ports = { mqtt: await freePort(), hap: await freePort(), google: await freePort() };
  const storage = mkdtempSync(join(tmpdir(), 'velux-demo-'));
  // --ignore-scripts skips the prestart build (npm test built dist/ already), nothing else.
  const args = ['start', '--ignore-scripts', '--', '--storage', storage, '--mqtt-port', `${ports.mqtt}`, '--hap-port', `${ports.hap}`, '--google-port', `${ports.google}`, ...extra];
  const npm = spawn('npm', args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let text = '';
  npm.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  npm.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const demo: Demo = { npm, output: () => text, ports, storage };
  started.push(demo);
  const deadline = Date.now() + 90_000;
  // The banner comes when the devices are ready; the Google endpoint starts right after.
  while (!/demo is ready/.test(text) || !/Google Home: listening on/.test(text)) {
    if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`the demo did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return demo;
}

/** pid → parent pid for every process, from /proc. */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      table.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function descendants(root: number): number[] {
  const table = processTable();
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of table) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Local addresses of the TCP sockets listening on `port` (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A') continue; // LISTEN
      const [hex = '', portHex = ''] = (fields[1] ?? '').split(':');
      if (parseInt(portHex, 16) !== port) continue;
      out.push(decodeAddress(hex));
    }
  }
  return out;
}

/** Local addresses ("address:port") of every listening TCP socket the given processes hold. */
function listenersOf(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          if (inode) inodes.add(inode);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone meanwhile
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !inodes.has(fields[9] ?? '')) continue;
      const [hex = '', portHex = ''] = (fields[1] ?? '').split(':');
      out.push(`${decodeAddress(hex)}:${parseInt(portHex, 16)}`);
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/\b(?:0:)+/, ':').replace(/^:(?!:)/, '::');
}

const LOOPBACK = ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1'];

async function stopsEverything(demo: Demo, signal: NodeJS.Signals): Promise<void> {
  const pid = demo.npm.pid!;
  const family = descendants(pid);
  // npm, its shell, the demo and Homebridge at least
  expect(family.length, demo.output()).toBeGreaterThanOrEqual(2);
  process.kill(pid, signal); // npm alone, not its process group
  const deadline = Date.now() + 20_000;
  while ([pid, ...family].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const survivors = [pid, ...family].filter(alive);
  expect(survivors, `still running after ${signal} to npm:\n${demo.output().slice(-2000)}`).toEqual([]);
}

/** The ```sh blocks of docs/google-home.md's "Try Google Home locally" section, as one script. */
function tryLocallyScript(): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/google-home.md'), 'utf8');
  const start = doc.indexOf('## Try Google Home locally');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

function runScript(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'velux-try-google-'));
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

afterEach(() => {
  for (const demo of started.splice(0)) {
    for (const pid of [demo.npm.pid!, ...descendants(demo.npm.pid!)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(demo.storage, { recursive: true, force: true });
  }
});

describe.skipIf(process.platform !== 'linux')('npm start (first run)', () => {
  it('listens on loopback only, its Google sign-in link and the "try it locally" commands work, and SIGTERM to npm alone stops everything', async () => {
    const demo = await startDemo();
    for (const [what, port] of Object.entries(demo.ports)) {
      const addresses = listeners(port);
      expect(addresses.length, `${what} listens on port ${port}`).toBeGreaterThan(0);
      for (const address of addresses) expect(LOOPBACK, `${what} listens on ${address}:${port}`).toContain(address);
    }

    const link = /sign in as Google would: (\S+)/.exec(demo.output())?.[1];
    expect(link, demo.output()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${demo.ports.google}/oauth/authorize\\?`));
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="form_token"');

    const run = await runScript(tryLocallyScript(), { G: `http://127.0.0.1:${demo.ports.google}` });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^SYNC: \d+ devices; blind \S+$/m);
    const [query, execute] = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { payload: Record<string, unknown> });
    expect(JSON.stringify(query?.payload)).toMatch(/"status":"SUCCESS".*"openPercent":\d+/);
    expect(execute?.payload).toMatchObject({ commands: [{ status: 'SUCCESS' }] });

    await stopsEverything(demo, 'SIGTERM');
  }, 150_000);

  it('SIGINT to npm alone stops everything', async () => {
    await stopsEverything(await startDemo(), 'SIGINT');
  }, 150_000);

  it('--gateway homekit: the emulated VELUX ACTIVE gateway on loopback, paired with the plugin, its devices on the bridge with the demo names', async () => {
    const demo = await startDemo(['--gateway', 'homekit', '--speed', '10']);
    const text = demo.output();
    expect(text).toMatch(/paired with the VELUX gateway/);
    expect(text).toMatch(/VELUX ACTIVE: 7 devices in 2 rooms are ready/);
    // No MQTT broker and no simulated MQTT home in this mode
    expect(listeners(demo.ports.mqtt)).toEqual([]);
    const kixPort = Number(/KIX 300 {3}emulated VELUX ACTIVE gateway on 127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    expect(kixPort, text).toBeGreaterThan(0);
    // Every server of the demo and its Homebridge, the emulated gateway's HAP server behind its relay included, on loopback
    const all = listenersOf([demo.npm.pid!, ...descendants(demo.npm.pid!)]);
    expect(all).toContain(`127.0.0.1:${kixPort}`);
    expect(all.length).toBeGreaterThanOrEqual(4); // bridge, Google, the gateway's relay and its HAP server
    for (const address of all) expect(LOOPBACK.some((l) => address.startsWith(`${l}:`)), `listening on ${address}`).toBe(true);

    // The Home app's view: pair with the demo bridge as the banner says
    const code = /setup code (\d{3}-\d{2}-\d{3})/.exec(text)?.[1];
    expect(code).toBe('031-45-154');
    const { username } = JSON.parse(readFileSync(join(demo.storage, 'demo-bridge.json'), 'utf8')) as { username: string };
    const controller = new HapController({ port: demo.ports.hap, options: { username } });
    try {
      await controller.client.pairSetup(code!);
      const names = (await controller.accessories()).map(accessoryName);
      expect(names).toEqual(
        expect.arrayContaining(['Attic window', 'Attic skylight', 'Attic sensor', 'Bedroom window', 'Bedroom blind', 'Bedroom sensor', 'Awning 555e', 'Attic climate', 'Bedroom climate']),
      );
    } finally {
      await controller.close();
    }
    await stopsEverything(demo, 'SIGTERM');
  }, 150_000);
});
