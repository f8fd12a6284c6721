/**
 * The Mosquitto ACL from docs/security.md, run for real: Mosquitto on a loopback port with
 * passwords and the ACL block copied out of the doc. The plugin's user gets what the gateway
 * publishes and can send commands and refresh requests, but cannot pose as the gateway; the
 * gateway's user gets commands but not the rest; wrong or no credentials get nothing.
 * Skipped where Mosquitto is not installed (CI installs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../helpers/homebridge.js';

const MOSQUITTO = process.env['MOSQUITTO_BIN'] ?? '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const available = [MOSQUITTO, MOSQUITTO_PASSWD].every((bin) => {
  try {
    accessSync(bin, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** The ACL block of docs/security.md, exactly as a reader would copy it. */
export function aclFromDocs(): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
  const block = /```conf\n((?:(?!```)[\s\S])*?user velux-plugin(?:(?!```)[\s\S])*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/security.md has no ACL block with "user velux-plugin"');
  return block;
}

const PASSWORDS = { 'velux-plugin': 'plugin-password-4b1d', 'velux-gateway': 'gateway-password-9c2e', 'velux-monitor': 'monitor-password-77aa' };

describe.skipIf(!available)('the Mosquitto ACL in docs/security.md', () => {
  let dir: string;
  let port: number;
  let broker: ChildProcess;
  const clients: MqttClient[] = [];

  const client = async (username?: keyof typeof PASSWORDS, password?: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username,
      password: password ?? (username ? PASSWORDS[username] : undefined),
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'velux-acl-'));
    // Started as root, Mosquitto drops to its own user, which must still read these files.
    chmodSync(dir, 0o755);
    port = await freePort();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const [user, password] of Object.entries(PASSWORDS)) execFileSync(MOSQUITTO_PASSWD, ['-b', passwd, user, password]);
    // The doc's ACL, plus a test-only user who may read everything (to see what got through).
    writeFileSync(join(dir, 'acl'), `${aclFromDocs()}\nuser velux-monitor\ntopic read #\n`);
    for (const file of ['passwd', 'acl']) chmodSync(join(dir, file), 0o644);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`, 'persistence false', 'log_dest stderr'].join('\n') + '\n',
    );
    broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    broker.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (Date.now() > deadline || broker.exitCode !== null) throw new Error(`Mosquitto did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    broker?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets the plugin read the gateway and send commands, and the gateway receive them', async () => {
    const plugin = await client('velux-plugin');
    const gateway = await client('velux-gateway');
    const pluginGot = collect(plugin);
    const gatewayGot = collect(gateway);
    await plugin.subscribeAsync('velux/#', { qos: 1 });
    await gateway.subscribeAsync(['velux/+/set', 'velux/+/get'], { qos: 1 });

    await gateway.publishAsync('velux/bridge/state', '{"state":"online"}', { qos: 1, retain: true });
    await gateway.publishAsync('velux/kitchen-window', '{"position":0}', { qos: 1 });
    await gateway.publishAsync('velux/bridge/response', '{"transaction":"t1","status":"ok"}', { qos: 1 });
    await waitUntil(() => pluginGot.has('velux/bridge/response'));
    expect([...pluginGot.keys()]).toEqual(expect.arrayContaining(['velux/bridge/state', 'velux/kitchen-window', 'velux/bridge/response']));

    await plugin.publishAsync('velux/kitchen-window/set', '{"position":30}', { qos: 1 });
    await plugin.publishAsync('velux/kitchen-window/get', '{}', { qos: 1 });
    await waitUntil(() => gatewayGot.has('velux/kitchen-window/get'));
    expect(gatewayGot.get('velux/kitchen-window/set')).toBe('{"position":30}');
  });

  it('does not let the plugin pose as the gateway, or write outside its commands', async () => {
    const plugin = await client('velux-plugin');
    const monitor = await client('velux-monitor');
    const seen = collect(monitor);
    await monitor.subscribeAsync('#', { qos: 1 });
    for (const topic of ['velux/bridge/state', 'velux/bridge/devices', 'velux/bridge/response', 'velux/kitchen-window', 'velux/kitchen-window/availability', 'other/topic']) {
      await plugin.publishAsync(topic, 'forged', { qos: 1 });
    }
    await plugin.publishAsync('velux/sentinel/set', 'last', { qos: 1 });
    await waitUntil(() => seen.has('velux/sentinel/set'));
    expect([...seen.entries()].filter(([, payload]) => payload === 'forged')).toEqual([]);
  });

  it("does not deliver the gateway's state to the gateway's user, only commands", async () => {
    const gateway = await client('velux-gateway');
    const plugin = await client('velux-plugin');
    const got = collect(gateway);
    await gateway.subscribeAsync('velux/#', { qos: 1 }).catch(() => undefined);
    await gateway.subscribeAsync(['velux/+/set'], { qos: 1 });
    await gateway.publishAsync('velux/living-blind', '{"position":50}', { qos: 1 });
    await plugin.publishAsync('velux/living-blind/set', '{"position":10}', { qos: 1 });
    await waitUntil(() => got.has('velux/living-blind/set'));
    expect(got.has('velux/living-blind')).toBe(false);
  });

  it('refuses wrong and missing credentials', async () => {
    await expect(client('velux-plugin', 'not-the-password')).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(client()).rejects.toThrow(/Not authorized|Bad username or password/i);
  });
});

function collect(c: MqttClient): Map<string, string> {
  const got = new Map<string, string>();
  c.on('message', (topic, payload) => got.set(topic, payload.toString()));
  return got;
}

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
