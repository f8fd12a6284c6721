/**
 * A full run of the product as installed: a real Homebridge child process with this plugin
 * (from dist/), the simulated gateway, an MQTT broker that demands passwords and enforces
 * the ACL from docs/security.md, Google enabled with a client secret and a PIN, and a
 * service-account key pointing Report State at a local fake HomeGraph. It signs in (once
 * wrongly), exchanges the code, refreshes, and runs SYNC, QUERY and EXECUTE with a wrong and
 * the right PIN. Then:
 *
 * - secrets: none of the passwords, the PIN (or the wrong one tried), the client secret,
 *   codes, access and refresh tokens or the private key appear in Homebridge's output or
 *   in any file of the storage directory but config.json;
 * - telemetry: every outbound connection of the Homebridge process (recorded by a preloaded
 *   module) goes to the broker or the fake HomeGraph on loopback; UDP is only mDNS.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';
import { authorizeQuery, openSignIn, postSignIn, REDIRECT_URI, signIn } from '../google/helpers/bed.js';
import { startFakeHomeGraph, type FakeHomeGraph } from '../google/helpers/fake-homegraph.js';
import { ensureBuilt, freePort, REPO_ROOT, startHomebridge, type RunningHomebridge } from '../helpers/homebridge.js';

const secret = () => randomBytes(15).toString('base64url');
/** 12 digits (the longest PIN allowed), so it cannot turn up in a file by chance. */
const pin12 = () => `${randomInt(1, 10)}${Array.from({ length: 11 }, () => randomInt(0, 10)).join('')}`;

const S = {
  annaPassword: secret(),
  benPassword: secret(),
  wrongPassword: secret(),
  mqttPluginPassword: secret(),
  mqttGatewayPassword: secret(),
  clientSecret: `cs-${secret()}`,
  pin: pin12(),
  wrongPin: pin12(),
};
const CLIENT_ID = `client-${randomBytes(6).toString('hex')}`;
const PROJECT_ID = 'velux-test-project';
const BASE = 'velux';

// ---- an MQTT broker with passwords and the documented ACL ------------------------------------

/** MQTT topic filter matching ('+' one level, '#' the rest). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** docs/security.md: the plugin reads velux/# and writes velux/+/set and velux/+/get; the gateway the reverse. */
const ACL: Record<string, { read: string[]; write: string[] }> = {
  'velux-plugin': { read: [`${BASE}/#`], write: [`${BASE}/+/set`, `${BASE}/+/get`] },
  'velux-gateway': { read: [`${BASE}/+/set`, `${BASE}/+/get`], write: [`${BASE}/#`] },
};

interface Broker {
  url: string;
  port: number;
  logins: Record<string, number>;
  refusedLogins: number;
  denied: string[];
  close(): Promise<void>;
}

async function startPasswordBroker(): Promise<Broker> {
  const passwords: Record<string, string> = { 'velux-plugin': S.mqttPluginPassword, 'velux-gateway': S.mqttGatewayPassword };
  const users = new Map<unknown, string>();
  const state = { logins: {} as Record<string, number>, refusedLogins: 0, denied: [] as string[] };
  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const ok = username !== undefined && passwords[username] !== undefined && password?.toString('utf8') === passwords[username];
      if (ok && username) {
        users.set(client, username);
        state.logins[username] = (state.logins[username] ?? 0) + 1;
        return done(null, true);
      }
      state.refusedLogins++;
      done(Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), false);
    },
    authorizePublish(client, packet, callback) {
      const user = client ? users.get(client) : undefined;
      if (!client) return callback(null); // the broker's own messages
      if (user && ACL[user]?.write.some((f) => matches(f, packet.topic))) return callback(null);
      state.denied.push(`${user ?? '?'} publish ${packet.topic}`);
      callback(new Error('not allowed'));
    },
    authorizeSubscribe(client, subscription, callback) {
      const user = users.get(client);
      if (user && ACL[user]?.read.some((f) => f === subscription.topic || matches(f, subscription.topic))) return callback(null, subscription);
      state.denied.push(`${user ?? '?'} subscribe ${subscription.topic}`);
      callback(new Error('not allowed'), null);
    },
  });
  const server: Server = createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    get logins() {
      return state.logins;
    },
    get refusedLogins() {
      return state.refusedLogins;
    },
    denied: state.denied,
    close: () => new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve()))),
  };
}

// ---- the run ------------------------------------------------------------------------------------

interface Issued {
  label: string;
  value: string;
}

let broker: Broker;
let sim: SimulatedHome;
let homegraph: FakeHomeGraph;
let homebridge: RunningHomebridge | undefined;
let storage: string;
let outside: string;
let googleUrl: string;
let googlePort: number;
let privateKey: string;
const issued: Issued[] = [];
const cliOutput: string[] = [];
const connectionLog = () => join(outside, 'connections.jsonl');

function velux(args: string[], stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), '--storage', storage, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(stdin);
  });
}

async function tokenRequest(fields: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(`${googleUrl}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

async function fulfill(token: string, body: unknown): Promise<{ payload: Record<string, unknown> }> {
  const res = await fetch(`${googleUrl}/smarthome`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { payload: Record<string, unknown> };
}

let requestCounter = 0;
const requestId = () => `${Date.now()}${++requestCounter}`;
const execute = (id: string, command: string, params: Record<string, unknown>, challenge?: { pin: string }) => ({
  requestId: requestId(),
  inputs: [{ intent: 'action.devices.EXECUTE', payload: { commands: [{ devices: [{ id }], execution: [{ command, params, ...(challenge ? { challenge } : {}) }] }] } }],
});

beforeAll(async () => {
  ensureBuilt();
  outside = mkdtempSync(join(tmpdir(), 'velux-fullrun-outside-'));
  storage = mkdtempSync(join(tmpdir(), 'velux-fullrun-storage-'));
  broker = await startPasswordBroker();
  sim = new SimulatedHome({ url: broker.url, baseTopic: BASE, timeScale: 20, mqttOptions: { username: 'velux-gateway', password: S.mqttGatewayPassword } });
  await sim.start();
  homegraph = await startFakeHomeGraph();
  // The key lives outside the storage directory, as the user's own file would.
  const keyFile = homegraph.writeKeyFile(outside);
  privateKey = (JSON.parse(readFileSync(keyFile, 'utf8')) as { private_key: string }).private_key;

  // Accounts as the admin makes them: with the CLI, passwords on stdin.
  cliOutput.push((await velux(['users', 'add', 'anna'], `${S.annaPassword}\n`)).out);
  cliOutput.push((await velux(['users', 'add', 'ben', '--guest'], `${S.benPassword}\n`)).out);
  expect(cliOutput.join('')).toContain('Added ben as a guest');

  googlePort = await freePort();
  googleUrl = `http://127.0.0.1:${googlePort}`;
  const platform = {
    platform: 'VeluxClimate',
    name: 'VELUX',
    debug: true,
    gateways: [{ name: 'Home', url: broker.url, baseTopic: BASE, username: 'velux-plugin', password: S.mqttPluginPassword }],
    google: {
      enabled: true,
      port: googlePort,
      bind: '127.0.0.1',
      publicUrl: 'https://home.example.test',
      projectId: PROJECT_ID,
      clientId: CLIENT_ID,
      clientSecret: S.clientSecret,
      pin: S.pin,
      serviceAccountKeyFile: keyFile,
      homegraphUrl: homegraph.url,
    },
    climate: { enabled: true },
  };
  // The harness hands its environment to Homebridge: preload the recorder there only.
  const saved = { NODE_OPTIONS: process.env['NODE_OPTIONS'], VELUX_CONNECTION_LOG: process.env['VELUX_CONNECTION_LOG'] };
  process.env['NODE_OPTIONS'] = `${saved.NODE_OPTIONS ?? ''} --require ${join(REPO_ROOT, 'test', 'security', 'support', 'connection-recorder.cjs')}`.trim();
  process.env['VELUX_CONNECTION_LOG'] = connectionLog();
  try {
    homebridge = await startHomebridge({ platforms: [platform], storagePath: storage, debug: true });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  await homebridge.waitForOutput(/Google Home: listening on/, 20_000);
  await homebridge.waitForOutput(/devices in \d+ rooms are ready/, 20_000);

  // ---- what Google and the people do ----
  const query = authorizeQuery({ client_id: CLIENT_ID });
  const page = await openSignIn(googleUrl, query);
  const wrong = await postSignIn(googleUrl, page, { username: 'anna', password: S.wrongPassword }, query);
  expect(wrong.status).toBe(401);
  const code = await signIn(googleUrl, 'anna', S.annaPassword, query);
  issued.push({ label: 'authorization code (anna)', value: code });
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: S.clientSecret });
  issued.push({ label: 'access token (anna)', value: String(tokens['access_token']) }, { label: 'refresh token (anna)', value: String(tokens['refresh_token']) });
  const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(tokens['refresh_token']), client_id: CLIENT_ID, client_secret: S.clientSecret });
  const access = String(refreshed['access_token']);
  issued.push({ label: 'refreshed access token (anna)', value: access });
  // Ben links with HTTP Basic client authentication.
  const benCode = await signIn(googleUrl, 'ben', S.benPassword, query);
  issued.push({ label: 'authorization code (ben)', value: benCode });
  const basic = Buffer.from(`${CLIENT_ID}:${S.clientSecret}`).toString('base64');
  issued.push({ label: 'HTTP Basic client credentials', value: basic });
  const benRes = await fetch(`${googleUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: benCode, redirect_uri: REDIRECT_URI }),
  });
  expect(benRes.status).toBe(200);
  const benTokens = (await benRes.json()) as Record<string, string>;
  issued.push({ label: 'access token (ben)', value: String(benTokens['access_token']) }, { label: 'refresh token (ben)', value: String(benTokens['refresh_token']) });

  const sync = await fulfill(access, { requestId: requestId(), inputs: [{ intent: 'action.devices.SYNC' }] });
  const devices = sync.payload['devices'] as Array<{ id: string }>;
  const window = devices.find((d) => d.id.endsWith('/kitchen-window'))?.id ?? '';
  expect(window).not.toBe('');
  const queried = await fulfill(access, { requestId: requestId(), inputs: [{ intent: 'action.devices.QUERY', payload: { devices: [{ id: window }, { id: 'departure-mode' }] } }] });
  expect(JSON.stringify(queried)).toContain('openPercent');
  const wrongPin = await fulfill(access, execute(window, 'action.devices.commands.OpenClose', { openPercent: 30 }, { pin: S.wrongPin }));
  expect(JSON.stringify(wrongPin)).toContain('challengeFailedPinNeeded');
  const rightPin = await fulfill(access, execute(window, 'action.devices.commands.OpenClose', { openPercent: 30 }, { pin: S.pin }));
  expect(JSON.stringify(rightPin)).toContain('SUCCESS');
  await fulfill(String(benTokens['access_token']), execute('departure-mode', 'action.devices.commands.OnOff', { on: true }));
  const home = await fulfill(String(benTokens['access_token']), execute('departure-mode', 'action.devices.commands.OnOff', { on: false }, { pin: S.pin }));
  expect(JSON.stringify(home)).toContain('SUCCESS');
  // Report State went out with the service-account key.
  await homegraph.waitFor(() => (homegraph.reports.length > 0 && homegraph.tokensIssued > 0 ? true : undefined), 10_000);
  // Everything written (SIGTERM: the plugin and Homebridge save on shutdown).
  await homebridge.stop();
}, 120_000);

afterAll(async () => {
  await homebridge?.stop();
  await sim?.stop();
  await homegraph?.close();
  await broker?.close();
  if (storage) rmSync(storage, { recursive: true, force: true });
  if (outside) rmSync(outside, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

describe('a full run with Homebridge', () => {
  it('really did what it claims: logins, sign-ins, refresh, PIN, Report State', () => {
    const log = homebridge?.log() ?? '';
    expect(broker.logins['velux-plugin']).toBeGreaterThanOrEqual(1);
    expect(broker.logins['velux-gateway']).toBeGreaterThanOrEqual(1);
    expect(broker.denied).toEqual([]);
    expect(log).toContain('failed sign-in as "anna"');
    expect(log).toContain('anna signed in to link Google');
    expect(log).toContain('linked for anna');
    expect(log).toContain('access token refreshed for anna');
    expect(log).toMatch(/wrong PIN from anna/);
    expect(homegraph.problems).toEqual([]);
    expect(homegraph.reports.length).toBeGreaterThan(0);
  });

  it('never writes a secret to its output or to any file but config.json', () => {
    const secrets: Issued[] = [
      { label: "anna's password", value: S.annaPassword },
      { label: "ben's password", value: S.benPassword },
      { label: 'a wrong password tried', value: S.wrongPassword },
      { label: "the plugin's MQTT password", value: S.mqttPluginPassword },
      { label: "the gateway's MQTT password", value: S.mqttGatewayPassword },
      { label: 'the client secret', value: S.clientSecret },
      { label: 'the PIN', value: S.pin },
      { label: 'a wrong PIN tried', value: S.wrongPin },
      ...issued,
    ];
    // The private key: its whole body and each of its lines.
    const keyBody = privateKey.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    secrets.push({ label: 'the private key', value: keyBody });
    for (const [i, line] of privateKey.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----')).entries()) secrets.push({ label: `private key line ${i + 1}`, value: line });
    for (const s of secrets) expect(s.value.length, s.label).toBeGreaterThanOrEqual(12);

    const places: Array<{ where: string; text: string }> = [
      { where: "Homebridge's stdout and stderr", text: homebridge?.log() ?? '' },
      { where: 'the CLI output', text: cliOutput.join('\n') },
    ];
    const files = filesUnder(storage).filter((f) => relative(storage, f) !== 'config.json');
    for (const file of files) places.push({ where: relative(storage, file), text: readFileSync(file, 'latin1') });
    // The storage directory really holds what the plugin and Homebridge write.
    const names = files.map((f) => relative(storage, f));
    expect(names).toEqual(expect.arrayContaining(['velux-climate/default/accounts.json', 'velux-climate/default/google-tokens.json', 'accessories/cachedAccessories']));
    expect(names.some((n) => n.startsWith('persist/'))).toBe(true);

    const leaks: string[] = [];
    for (const s of secrets) {
      const forms = new Set([s.value, encodeURIComponent(s.value), JSON.stringify(s.value).slice(1, -1), Buffer.from(s.value).toString('base64')]);
      for (const place of places) for (const form of forms) if (place.text.includes(form)) leaks.push(`${s.label} in ${place.where}`);
    }
    const bytes = places.reduce((n, p) => n + p.text.length, 0);
    console.log(`Secrets check: ${secrets.length} secrets × ${places.length} places (${files.length} files, ${bytes} bytes): ${leaks.length} found`);
    expect(leaks).toEqual([]);
    // config.json holds them (it is the user's settings file), so the search would have found them there.
    const config = readFileSync(join(storage, 'config.json'), 'utf8');
    expect(config).toContain(S.clientSecret);
    expect(config).toContain(S.mqttPluginPassword);
  });

  it('opens connections only to the broker and the configured HomeGraph on loopback; UDP only for mDNS', () => {
    const lines = readFileSync(connectionLog(), 'utf8').trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { pid: number; proto: string; host?: string; port?: number; path?: string });
    const ours = events.filter((e) => e.pid === homebridge?.pid);
    expect(ours.length).toBeGreaterThan(0);
    const summary = new Map<string, number>();
    for (const e of ours) {
      const key = `${e.proto} ${e.host ?? e.path}${e.port !== undefined ? `:${e.port}` : ''}`;
      summary.set(key, (summary.get(key) ?? 0) + 1);
    }
    console.log(`Outbound connections of Homebridge (pid ${homebridge?.pid}): ${JSON.stringify(Object.fromEntries(summary))}`);
    const homegraphPort = Number(new URL(homegraph.url).port);
    const allowedTcp = new Set([`127.0.0.1:${broker.port}`, `127.0.0.1:${homegraphPort}`]);
    const tcp = ours.filter((e) => e.proto === 'tcp');
    for (const e of tcp) expect(allowedTcp, JSON.stringify(e)).toContain(`${e.host}:${e.port}`);
    expect(tcp.some((e) => e.port === broker.port)).toBe(true);
    expect(tcp.some((e) => e.port === homegraphPort)).toBe(true);
    for (const e of ours.filter((x) => x.proto === 'udp' || x.proto === 'udp-connect')) {
      expect(e.port, JSON.stringify(e)).toBe(5353);
      expect(String(e.host).replace(/%.*$/, '').toLowerCase(), JSON.stringify(e)).toMatch(/^(224\.0\.0\.251|ff02::fb)$/);
    }
    expect(ours.filter((e) => e.proto === 'dns')).toEqual([]);
    expect(ours.filter((e) => e.proto === 'ipc')).toEqual([]);
    expect(ours.filter((e) => !['tcp', 'udp', 'udp-connect', 'dns', 'ipc'].includes(e.proto))).toEqual([]);
  });

  it("keeps the plugin's files readable by their owner only", () => {
    const files = filesUnder(join(storage, 'velux-climate'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect(statSync(file).mode & 0o077, file).toBe(0);
  });
});
