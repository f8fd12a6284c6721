/**
 * Local load check of the Google fulfillment: QUERY and EXECUTE latencies over real HTTP
 * against the whole stack (GoogleHome → Home → MqttGateway → aedes → simulated home).
 *
 * Run: GOOGLE_LOAD=2000 npx vitest run test/google/load.test.ts
 * (the test suite runs it with 100 requests as a smoke test and prints the numbers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MqttGateway } from '../src/gateway/mqtt/gateway.js';
import { AccountStore } from '../src/google/accounts.js';
import { GoogleHome } from '../src/google/index.js';
import { accountsFile } from '../src/google/paths.js';
import { Home } from '../src/home/model.js';
import { silentLogger } from '../src/logger.js';
import { SimulatedHome } from '../src/simulator/mqtt/gateway.js';
import { startAedes } from '../test/helpers/broker.js';

export interface LatencyStats {
  scenario: string;
  requests: number;
  concurrency: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  perSecond: number;
  failures: number;
}

const PROJECT = 'velux-load-project';
const CLIENT_ID = 'load-client';
const CLIENT_SECRET = 'load-client-secret-0123';
const REDIRECT = `https://oauth-redirect.googleusercontent.com/r/${PROJECT}`;

async function linkAccount(url: string, name: string, password: string): Promise<string> {
  const query = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'load', response_type: 'code' });
  const page = await fetch(`${url}/oauth/authorize?${query}`);
  const html = await page.text();
  const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
  const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const signedIn = await fetch(`${url}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ ...Object.fromEntries(query), form_token: formToken, username: name, password }),
  });
  const code = new URL(signedIn.headers.get('location') ?? 'http://x').searchParams.get('code') ?? '';
  const token = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  const json = (await token.json()) as { access_token?: string };
  if (!json.access_token) throw new Error('linking failed');
  return json.access_token;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(scenario: string, requests: number, concurrency: number, one: (index: number, worker: number) => Promise<boolean>): Promise<LatencyStats> {
  const times: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (;;) {
        const index = next++;
        if (index >= requests) return;
        const t = performance.now();
        if (!(await one(index, worker))) failures++;
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - started;
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    scenario,
    requests,
    concurrency,
    medianMs: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    maxMs: round(times.at(-1) ?? NaN),
    perSecond: Math.round((requests / elapsed) * 1000),
    failures,
  };
}

export async function runGoogleLoad(requests = 2000): Promise<LatencyStats[]> {
  const broker = await startAedes();
  const base = `load-${process.pid}-${Date.now().toString(36)}`;
  const sim = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: 50 });
  await sim.start();
  const gateway = new MqttGateway({ name: 'Load', url: broker.url, baseTopic: base }, silentLogger);
  const home = new Home({ log: silentLogger });
  home.addGateway(gateway);
  await home.start();
  const expected = sim.devices().length;
  for (let waited = 0; !(home.devices().length === expected && home.devices().every((d) => d.reachable)); waited += 10) {
    if (waited > 10_000) throw new Error('the simulated home did not load');
    await new Promise((r) => setTimeout(r, 10));
  }
  const storage = mkdtempSync(join(tmpdir(), 'velux-load-'));
  await new AccountStore(accountsFile(storage), { scrypt: { N: 1024, r: 8, p: 1, keyLength: 32 } }).add('load', 'load-password');
  const google = new GoogleHome({
    home,
    log: silentLogger,
    storageDir: storage,
    config: { enabled: true, port: 0, bind: '127.0.0.1', projectId: PROJECT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  });
  const { url } = await google.start();
  try {
    const token = await linkAccount(url, 'load', 'load-password');
    const post = async (body: unknown) => {
      const res = await fetch(`${url}/smarthome`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as { payload?: { commands?: Array<{ status: string }>; devices?: Record<string, { status: string }> } } };
    };
    const ids = home.devices().filter((d) => d.descriptor.type !== 'departure_switch').map((d) => d.key);
    const covers = home.devices().filter((d) => ['blind', 'shutter', 'awning'].includes(d.descriptor.type)).map((d) => d.key);
    let requestId = 0;
    const query = async () => {
      const r = await post({ requestId: String(++requestId), inputs: [{ intent: 'action.devices.QUERY', payload: { devices: ids.map((id) => ({ id })) } }] });
      return r.status === 200 && Object.values(r.json.payload?.devices ?? {}).every((d) => d.status === 'SUCCESS');
    };
    const execute = async (index: number, worker: number) => {
      const id = covers[worker % covers.length] ?? '';
      const r = await post({
        requestId: String(++requestId),
        inputs: [
          {
            intent: 'action.devices.EXECUTE',
            payload: { commands: [{ devices: [{ id }], execution: [{ command: 'action.devices.commands.OpenClose', params: { openPercent: index % 2 === 0 ? 30 : 70 } }] }] },
          },
        ],
      });
      return r.status === 200 && r.json.payload?.commands?.[0]?.status === 'SUCCESS';
    };
    return [
      await measure(`QUERY (${ids.length} devices each)`, requests, 1, query),
      await measure(`QUERY (${ids.length} devices each)`, requests, 16, query),
      await measure('EXECUTE (one cover, gateway round trip)', requests, 1, execute),
      await measure(`EXECUTE (${covers.length} covers in parallel)`, requests, covers.length, execute),
    ];
  } finally {
    await google.stop();
    await home.stop();
    await sim.stop();
    await broker.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

export function formatStats(stats: LatencyStats[]): string {
  const rows = stats.map(
    (s) =>
      `${s.scenario.padEnd(42)} n=${String(s.requests).padEnd(5)} c=${String(s.concurrency).padEnd(3)} median ${s.medianMs} ms  p99 ${s.p99Ms} ms  max ${s.maxMs} ms  ${s.perSecond}/s  failures ${s.failures}`,
  );
  return rows.join('\n');
}
