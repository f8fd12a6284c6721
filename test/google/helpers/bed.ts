/**
 * A whole stack for Google tests: aedes broker, the simulated VELUX home, the real
 * gateway and Home (test/helpers/sim-rig.ts), and GoogleHome on 127.0.0.1 port 0, plus the account-linking flow
 * a Google client goes through (sign-in page → code → tokens) and a fulfillment caller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Gateway } from '../../../src/gateway/types.js';
import { AccountStore, type ScryptParams } from '../../../src/google/accounts.js';
import { GoogleHome, type GoogleTuning } from '../../../src/google/index.js';
import { accountsFile } from '../../../src/google/paths.js';
import type { Home } from '../../../src/home/model.js';
import type { SimulatedHome } from '../../../src/simulator/mqtt/gateway.js';
import type { HomeLayout } from '../../../src/simulator/layout.js';
import type { GoogleConfig } from '../../../src/config/types.js';
import { startAedes } from '../../helpers/broker.js';
import { startSimRig } from '../../helpers/sim-rig.js';
import { startFakeHomeGraph, type FakeHomeGraph } from './fake-homegraph.js';
import { expectValidRequest } from './schemas.js';

/** Cheap hashes for tests (the stored parameters make verification work all the same). */
export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1, keyLength: 32 };
export const PROJECT_ID = 'velux-test-project';
export const CLIENT_ID = 'google-client-id';
export const CLIENT_SECRET = 'client-secret-0123456789';
export const REDIRECT_URI = `https://oauth-redirect.googleusercontent.com/r/${PROJECT_ID}`;
export const SANDBOX_REDIRECT_URI = `https://oauth-redirect-sandbox.googleusercontent.com/r/${PROJECT_ID}`;

export { recordingLogger } from '../../helpers/log.js';
import { recordingLogger } from '../../helpers/log.js';

export function googleConfig(extra: Partial<GoogleConfig> = {}): GoogleConfig {
  return { enabled: true, port: 0, bind: '127.0.0.1', publicUrl: 'https://home.example.test', projectId: PROJECT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra };
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
}

// ---- the linking flow, as Google's client runs it ----------------------------------------

export function authorizeQuery(extra: Record<string, string> = {}): Record<string, string> {
  return { client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: 'state-123', response_type: 'code', ...extra };
}

export interface SignInPage {
  status: number;
  html: string;
  cookie?: string;
  formToken?: string;
  headers: Headers;
}

export async function openSignIn(url: string, query: Record<string, string> = authorizeQuery()): Promise<SignInPage> {
  const res = await fetch(`${url}/oauth/authorize?${new URLSearchParams(query)}`);
  const html = await res.text();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1];
  return { status: res.status, html, cookie, formToken, headers: res.headers };
}

export async function postSignIn(url: string, page: SignInPage, fields: Record<string, string>, query = authorizeQuery()): Promise<Response> {
  return fetch(`${url}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(page.cookie ? { cookie: page.cookie } : {}) },
    body: new URLSearchParams({ ...query, form_token: page.formToken ?? '', ...fields }),
  });
}

/** Signs in and returns the authorization code from Google's redirect. */
export async function signIn(url: string, username: string, password: string, query = authorizeQuery()): Promise<string> {
  const page = await openSignIn(url, query);
  expect(page.status).toBe(200);
  const res = await postSignIn(url, page, { username, password }, query);
  expect(res.status, await res.clone().text()).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(query['redirect_uri']);
  expect(location.searchParams.get('state')).toBe(query['state']);
  const code = location.searchParams.get('code');
  expect(code).toBeTruthy();
  return code ?? '';
}

export async function tokenRequest(url: string, fields: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function exchangeCode(url: string, code: string): Promise<Tokens> {
  const res = await tokenRequest(url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json as unknown as Tokens;
}

export async function link(url: string, username: string, password: string): Promise<Tokens> {
  return exchangeCode(url, await signIn(url, username, password));
}

// ---- fulfillment ----------------------------------------------------------------------------

let requestCounter = 0;
/** Google's requestIds are long numeric strings. */
export function requestId(): string {
  return `${Date.now()}${String(++requestCounter).padStart(6, '0')}`;
}

export async function fulfill(url: string, token: string | undefined, body: unknown): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${url}/smarthome`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

export const intents = {
  sync: () => ({ requestId: requestId(), inputs: [{ intent: 'action.devices.SYNC' }] }),
  query: (...ids: string[]) => ({ requestId: requestId(), inputs: [{ intent: 'action.devices.QUERY', payload: { devices: ids.map((id) => ({ id })) } }] }),
  execute: (ids: string[], command: string, params: Record<string, unknown>, challenge?: { pin?: string; ack?: boolean }) => ({
    requestId: requestId(),
    inputs: [
      {
        intent: 'action.devices.EXECUTE',
        payload: { commands: [{ devices: ids.map((id) => ({ id })), execution: [{ command, params, ...(challenge ? { challenge } : {}) }] }] },
      },
    ],
  }),
  disconnect: () => ({ requestId: requestId(), inputs: [{ intent: 'action.devices.DISCONNECT' }] }),
};

/** Calls the fulfillment with a request that is first checked to be what Google sends. */
export async function call(url: string, token: string, body: unknown): Promise<unknown> {
  expectValidRequest(body);
  const res = await fulfill(url, token, body);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

// ---- the whole stack ----------------------------------------------------------------------------

export interface BedOptions {
  pin?: string;
  homegraph?: boolean;
  layout?: HomeLayout;
  commandTimeoutMs?: number;
  /** Simulated seconds per real second (motors travel faster). Default 1. */
  timeScale?: number;
  tuning?: GoogleTuning;
  config?: Partial<GoogleConfig>;
}

export interface Bed {
  url: string;
  base: string;
  sim: SimulatedHome;
  gateway: Gateway;
  home: Home;
  google: GoogleHome;
  storage: string;
  accounts: AccountStore;
  log: ReturnType<typeof recordingLogger>;
  brokerUrl: string;
  homegraph?: FakeHomeGraph;
  /** `<base>/<device id>`: the Google id of a simulated device. */
  id(deviceId: string): string;
  close(): Promise<void>;
}

export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const broker = await startAedes();
  const rig = await startSimRig({
    broker,
    topicPrefix: 'google',
    name: 'Test gateway',
    layout: options.layout,
    timeScale: options.timeScale ?? 1,
    commandTimeoutMs: options.commandTimeoutMs ?? 3000,
  });
  const { emulator: sim, gateway, home } = rig;
  const base = sim.baseTopic;

  const storage = mkdtempSync(join(tmpdir(), 'velux-google-'));
  const accounts = new AccountStore(accountsFile(storage), { scrypt: TEST_SCRYPT });
  await accounts.add('anna', 'anna-password');
  await accounts.add('ben', 'ben-password', 'guest');

  const homegraph = options.homegraph ? await startFakeHomeGraph() : undefined;
  const log = recordingLogger();
  const google = new GoogleHome({
    home,
    log,
    storageDir: storage,
    config: googleConfig({
      pin: options.pin,
      ...(homegraph ? { serviceAccountKeyFile: homegraph.writeKeyFile(storage), homegraphUrl: homegraph.url } : {}),
      ...options.config,
    }),
    tuning: { scrypt: TEST_SCRYPT, requestSyncDelayMs: 150, ...options.tuning },
  });
  const { url } = await google.start();

  return {
    url,
    base,
    sim,
    gateway,
    home,
    google,
    storage,
    accounts,
    log,
    brokerUrl: broker.url,
    homegraph,
    id: (deviceId) => rig.key(deviceId),
    async close() {
      await google.stop();
      await rig.close();
      await homegraph?.close();
      await broker.close();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
