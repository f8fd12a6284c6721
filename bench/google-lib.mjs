// Google helpers for the benchmarks: the client settings, a local account, and the account
// linking a Google client goes through (sign-in page → code → token) to get a bearer token.
import { join } from 'node:path';
import { URLSearchParams } from 'node:url';
import { AccountStore } from '../dist/google/accounts.js';
import { accountsFile } from '../dist/google/paths.js';
import { forkScript, message, tempDir } from './harness.mjs';
import { repoRoot } from './lib.mjs';

export const GOOGLE_PROJECT = 'velux-bench-project';
export const GOOGLE_CLIENT_ID = 'bench-client';
export const GOOGLE_CLIENT_SECRET = 'bench-client-secret-0123456789';
const REDIRECT = `https://oauth-redirect.googleusercontent.com/r/${GOOGLE_PROJECT}`;
const ACCOUNT = { name: 'bench', password: 'bench-password' };

/** A storage directory with one local account (cheap scrypt: only sign-in pays for it). */
export async function googleStorage() {
  const storagePath = tempDir('velux-bench-google-');
  await new AccountStore(accountsFile(storagePath), { scrypt: { N: 1024, r: 8, p: 1, keyLength: 32 } }).add(ACCOUNT.name, ACCOUNT.password, 'admin');
  return storagePath;
}

/**
 * Starts bench/google-server.mjs (optionally pinned) and resolves with its {url, keys, …}.
 * `root`: another built checkout (BENCH_BASELINE) whose bench/ and dist/ to run instead.
 */
export async function startGoogleServer({ url, baseTopics, devices, cpu, root = repoRoot }) {
  const storagePath = await googleStorage();
  const child = forkScript(join(root, 'bench', 'google-server.mjs'), [], { cpu });
  const ready = message(child, 'ready', 90_000, 'the Google endpoint');
  child.send({ kind: 'start', url, baseTopics, storagePath, devices });
  return { child, ...(await ready) };
}

/** Account linking as Google runs it; returns an access token. */
export async function linkGoogle(url) {
  const query = new URLSearchParams({ client_id: GOOGLE_CLIENT_ID, redirect_uri: REDIRECT, state: 'bench', response_type: 'code' });
  const page = await fetch(`${url}/oauth/authorize?${query}`);
  const html = await page.text();
  const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
  const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const signedIn = await fetch(`${url}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ ...Object.fromEntries(query), form_token: formToken, username: ACCOUNT.name, password: ACCOUNT.password }),
  });
  const code = new URL(signedIn.headers.get('location') ?? 'http://x').searchParams.get('code');
  if (!code) throw new Error(`sign-in gave no code (HTTP ${signedIn.status})`);
  const token = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: GOOGLE_CLIENT_ID, client_secret: GOOGLE_CLIENT_SECRET }),
  });
  const json = await token.json();
  if (!json.access_token) throw new Error(`token exchange failed: ${JSON.stringify(json)}`);
  return json.access_token;
}

let requestCounter = 0;
export const requestId = () => `${Date.now()}${String(++requestCounter).padStart(6, '0')}`;

export async function fulfill(url, token, body) {
  const res = await fetch(`${url}/smarthome`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export const intents = {
  sync: () => ({ requestId: requestId(), inputs: [{ intent: 'action.devices.SYNC' }] }),
  query: (ids) => ({ requestId: requestId(), inputs: [{ intent: 'action.devices.QUERY', payload: { devices: ids.map((id) => ({ id })) } }] }),
  openClose: (id, openPercent) => ({
    requestId: requestId(),
    inputs: [{ intent: 'action.devices.EXECUTE', payload: { commands: [{ devices: [{ id }], execution: [{ command: 'action.devices.commands.OpenClose', params: { openPercent } }] }] } }],
  }),
};
