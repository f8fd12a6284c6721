/**
 * Account linking over real HTTP: the whole flow Google runs (sign-in page → code → token →
 * refresh → fulfillment with the Bearer token), every way it must refuse, the hardening of
 * the server, and that no unauthenticated request ever reaches the command path.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountStore } from '../../src/google/accounts.js';
import { GoogleHome } from '../../src/google/index.js';
import { accountsFile, googleTokensFile } from '../../src/google/paths.js';
import { Home } from '../../src/home/model.js';
import {
  authorizeQuery,
  CLIENT_ID,
  CLIENT_SECRET,
  exchangeCode,
  fulfill,
  googleConfig,
  intents,
  link,
  openSignIn,
  postSignIn,
  recordingLogger,
  REDIRECT_URI,
  SANDBOX_REDIRECT_URI,
  signIn,
  TEST_SCRYPT,
  tokenRequest,
} from './helpers/bed.js';
import { expectValidSync } from './helpers/schemas.js';

let storage: string;
let home: Home;
let google: GoogleHome;
let url: string;
let accounts: AccountStore;
let offset = 0;
/** Moves the plugin's clock forward (codes, tokens, forms and lock-outs expire by it). */
const advance = (ms: number) => (offset += ms);
const log = recordingLogger();
const commandSpy = vi.fn();

beforeAll(async () => {
  storage = mkdtempSync(join(tmpdir(), 'velux-oauth-'));
  accounts = new AccountStore(accountsFile(storage), { scrypt: TEST_SCRYPT });
  await accounts.add('anna', 'anna-password');
  await accounts.add('ben', 'ben-password', 'guest');
  home = new Home({ log });
  home.on('commandIssued', commandSpy);
  vi.spyOn(home, 'command');
  vi.spyOn(home, 'setAway');
  const now = () => Date.now() + offset;
  google = new GoogleHome({ home, log, config: googleConfig(), storageDir: storage, now, tuning: { scrypt: TEST_SCRYPT } });
  ({ url } = await google.start());
});

afterAll(async () => {
  await google.stop();
  rmSync(storage, { recursive: true, force: true });
});

afterEach(() => {
  // Nothing in this file may ever reach the command path.
  expect(commandSpy).not.toHaveBeenCalled();
  expect(home.command).not.toHaveBeenCalled();
});

describe('linking flow', () => {
  it('signs in, exchanges the code, refreshes, and calls the fulfillment with the Bearer token', async () => {
    const page = await openSignIn(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.html).toContain('name="password"');
    expect(page.cookie).toMatch(/^vc_signin=/);
    const setCookie = page.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Secure/i); // the publicUrl is https

    const code = await signIn(url, 'anna', 'anna-password');
    const tokens = await exchangeCode(url, code);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBeGreaterThan(3500);
    expect(tokens.expires_in).toBeLessThanOrEqual(3600);
    expect(tokens.refresh_token).toBeTruthy();

    const sync = await fulfill(url, tokens.access_token, intents.sync());
    expect(sync.status).toBe(200);
    expectValidSync(sync.json);
    const anna = accounts.byName('anna');
    expect((sync.json as { payload: { agentUserId: string } }).payload.agentUserId).toBe(anna?.id);

    const refreshed = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    expect(refreshed.json['access_token']).toBeTruthy();
    expect(refreshed.json['access_token']).not.toBe(tokens.access_token);
    // Google keeps its refresh token: no rotation.
    expect(refreshed.json['refresh_token']).toBeUndefined();
    const again = await fulfill(url, String(refreshed.json['access_token']), intents.sync());
    expect(again.status).toBe(200);
    // The old access token still works until it expires.
    expect((await fulfill(url, tokens.access_token, intents.sync())).status).toBe(200);
  });

  it('accepts the sandbox redirect URI and HTTP Basic client authentication', async () => {
    const query = authorizeQuery({ redirect_uri: SANDBOX_REDIRECT_URI });
    const code = await signIn(url, 'ben', 'ben-password', query);
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: SANDBOX_REDIRECT_URI }),
    });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string };
    const sync = await fulfill(url, tokens.access_token, intents.sync());
    expect((sync.json as { payload: { agentUserId: string } }).payload.agentUserId).toBe(accounts.byName('ben')?.id);
  });

  it('stores only hashes of codes and tokens', async () => {
    const code = await signIn(url, 'anna', 'anna-password');
    const tokens = await exchangeCode(url, code);
    const file = readFileSync(googleTokensFile(storage), 'utf8');
    expect(file).not.toContain(code);
    expect(file).not.toContain(tokens.access_token);
    expect(file).not.toContain(tokens.refresh_token ?? '---');
    expect(file).toMatch(/"hash": "[0-9a-f]{64}"/);
    expect(readFileSync(accountsFile(storage), 'utf8')).not.toContain('anna-password');
  });
});

describe('refusals', () => {
  it('refuses a wrong client id or a foreign redirect URI before showing any form, never redirecting', async () => {
    for (const query of [
      authorizeQuery({ client_id: 'someone-else' }),
      authorizeQuery({ redirect_uri: 'https://evil.example/r/velux-test-project' }),
      authorizeQuery({ redirect_uri: 'https://oauth-redirect.googleusercontent.com/r/other-project' }),
      authorizeQuery({ response_type: 'token' }),
      authorizeQuery({ state: '' }),
    ]) {
      const res = await fetch(`${url}/oauth/authorize?${new URLSearchParams(query)}`, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).not.toContain('name="password"');
    }
  });

  it('refuses a tampered form, a missing cookie and a stale page', async () => {
    const page = await openSignIn(url);
    const tampered = await postSignIn(url, page, { username: 'anna', password: 'anna-password' }, authorizeQuery({ state: 'other-state' }));
    expect(tampered.status).toBe(400);
    const noCookie = await postSignIn(url, { ...page, cookie: undefined }, { username: 'anna', password: 'anna-password' });
    expect(noCookie.status).toBe(400);
    const otherBrowser = await postSignIn(url, { ...page, cookie: 'vc_signin=somebody-else' }, { username: 'anna', password: 'anna-password' });
    expect(otherBrowser.status).toBe(400);
    advance(16 * 60_000);
    const stale = await postSignIn(url, page, { username: 'anna', password: 'anna-password' });
    expect(stale.status).toBe(400);
    expect(stale.headers.get('location')).toBeNull();
  });

  it('refuses a wrong password, and locks a name after 5 failures', async () => {
    const page = await openSignIn(url);
    const wrong = await postSignIn(url, page, { username: 'ben', password: 'not-his-password' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong name or password');
    const unknown = await postSignIn(url, page, { username: 'nobody', password: 'whatever-password' });
    expect(unknown.status).toBe(401);
    for (let i = 0; i < 4; i++) await postSignIn(url, page, { username: 'ben', password: `wrong-${i}` });
    const locked = await postSignIn(url, page, { username: 'ben', password: 'ben-password' });
    expect(locked.status).toBe(429);
    expect(log.joined('warn')).toContain('locked for 15 minutes');
    advance(16 * 60_000);
    const page2 = await openSignIn(url);
    const ok = await postSignIn(url, page2, { username: 'ben', password: 'ben-password' });
    expect(ok.status).toBe(302);
  });

  it('refuses wrong client credentials at the token endpoint', async () => {
    const code = await signIn(url, 'anna', 'anna-password');
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
    const wrongSecret = await tokenRequest(url, { ...base, client_id: CLIENT_ID, client_secret: 'wrong-secret-0123456789' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json['error']).toBe('invalid_client');
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrongId = await tokenRequest(url, { ...base, client_id: 'other-client', client_secret: CLIENT_SECRET });
    expect(wrongId.status).toBe(401);
    expect(wrongId.json['error']).toBe('invalid_client');
    const noSecret = await tokenRequest(url, { ...base, client_id: CLIENT_ID });
    expect(noSecret.status).toBe(401);
    expect(noSecret.json['error']).toBe('invalid_client');
    // PKCE-style requests without a secret are refused too.
    const pkce = await tokenRequest(url, { ...base, client_id: CLIENT_ID, code_verifier: 'a'.repeat(50) });
    expect(pkce.status).toBe(401);
  });

  it('refuses a code with another redirect URI, a reused code and an expired code', async () => {
    const code = await signIn(url, 'anna', 'anna-password');
    const other = await tokenRequest(url, { grant_type: 'authorization_code', code, redirect_uri: SANDBOX_REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(other.status).toBe(400);
    // The library says invalid_request here (RFC 6749 would say invalid_grant); refused either way.
    expect(['invalid_grant', 'invalid_request']).toContain(other.json['error']);
    // That attempt used the code up: single use, whatever the outcome.
    const reused = await tokenRequest(url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(reused.json['error']).toBe('invalid_grant');

    const code2 = await signIn(url, 'anna', 'anna-password');
    await exchangeCode(url, code2);
    const twice = await tokenRequest(url, { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(twice.status).toBe(400);
    expect(twice.json['error']).toBe('invalid_grant');

    const code3 = await signIn(url, 'anna', 'anna-password');
    advance(11 * 60_000);
    const expired = await tokenRequest(url, { grant_type: 'authorization_code', code: code3, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(expired.json['error']).toBe('invalid_grant');
  });

  it('a replayed authorization code revokes the tokens its first redemption issued (RFC 6749 §4.1.2)', async () => {
    const code = await signIn(url, 'anna', 'anna-password');
    const first = await exchangeCode(url, code);
    const other = await link(url, 'anna', 'anna-password');
    expect((await fulfill(url, first.access_token, intents.sync())).status).toBe(200);
    const replay = await tokenRequest(url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(replay.status).toBe(400);
    expect(replay.json['error']).toBe('invalid_grant');
    expect((await fulfill(url, first.access_token, intents.sync())).status).toBe(401);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refresh.json['error']).toBe('invalid_grant');
    expect(log.text('warn').join('\n')).toContain('an authorization code of anna was used twice; revoked the Google link it had created');
    // Only that link: anna's other link keeps working.
    expect((await fulfill(url, other.access_token, intents.sync())).status).toBe(200);
  });

  it('a new password and users unlink end the person\'s existing Google links (others keep theirs); they can link again', async () => {
    const cli = new AccountStore(accountsFile(storage), { scrypt: TEST_SCRYPT });
    await cli.add('carla', 'carla-password', 'guest');
    const before = await link(url, 'carla', 'carla-password');
    const annas = await link(url, 'anna', 'anna-password');
    const pendingCode = await signIn(url, 'carla', 'carla-password');
    await cli.setPassword('carla', 'carla-password-2');
    expect((await fulfill(url, before.access_token, intents.sync())).status).toBe(401);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: before.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refresh.json['error']).toBe('invalid_grant');
    // A code issued before the change cannot be redeemed after it.
    const late = await tokenRequest(url, { grant_type: 'authorization_code', code: pendingCode, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(late.json['error']).toBe('invalid_grant');
    expect((await fulfill(url, annas.access_token, intents.sync())).status).toBe(200);

    const after = await link(url, 'carla', 'carla-password-2');
    expect((await fulfill(url, after.access_token, intents.sync())).status).toBe(200);
    cli.unlink('carla');
    expect((await fulfill(url, after.access_token, intents.sync())).status).toBe(401);
    expect(log.text('info').join('\n')).toMatch(/ended 1 Google link\(s\) of carla/);
    const again = await link(url, 'carla', 'carla-password-2');
    expect((await fulfill(url, again.access_token, intents.sync())).status).toBe(200);
    expect((await fulfill(url, annas.access_token, intents.sync())).status).toBe(200);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const tokens = await link(url, 'anna', 'anna-password');
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await fetch(`${url}/smarthome`, {
        method: 'POST',
        headers: { authorization: `${scheme} ${tokens.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(intents.sync()),
      });
      expect(res.status, scheme).toBe(200);
    }
  });

  it('refuses expired access tokens but refreshes them; refuses unknown refresh tokens', async () => {
    const tokens = await link(url, 'anna', 'anna-password');
    advance(61 * 60_000);
    const expired = await fulfill(url, tokens.access_token, intents.sync());
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const refreshed = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refreshed.status).toBe(200);
    expect((await fulfill(url, String(refreshed.json['access_token']), intents.sync())).status).toBe(200);
    const bogus = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: 'not-a-token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(bogus.status).toBe(400);
    expect(bogus.json['error']).toBe('invalid_grant');
    const unsupported = await tokenRequest(url, { grant_type: 'password', username: 'anna', password: 'anna-password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(unsupported.status).toBe(400);
  });

  it('DISCONNECT revokes that person\'s access and refresh tokens, nobody else\'s', async () => {
    const anna = await link(url, 'anna', 'anna-password');
    const ben = await link(url, 'ben', 'ben-password');
    const res = await fulfill(url, anna.access_token, intents.disconnect());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    expect((await fulfill(url, anna.access_token, intents.sync())).status).toBe(401);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: anna.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refresh.json['error']).toBe('invalid_grant');
    expect((await fulfill(url, ben.access_token, intents.sync())).status).toBe(200);
  });

  it('a removed account loses its tokens at once, without a restart', async () => {
    const tokens = await link(url, 'ben', 'ben-password');
    expect((await fulfill(url, tokens.access_token, intents.sync())).status).toBe(200);
    // The CLI's view of the same file, as another process would have it.
    const cli = new AccountStore(accountsFile(storage), { scrypt: TEST_SCRYPT });
    cli.remove('ben');
    expect((await fulfill(url, tokens.access_token, intents.sync())).status).toBe(401);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(refresh.json['error']).toBe('invalid_grant');
    expect(log.joined('info')).toContain('revoked the sign-ins of a removed account');
    // Added again (a new person as far as Google is concerned) and they can sign in at once.
    await cli.add('ben', 'new-ben-password', 'guest');
    const again = await link(url, 'ben', 'new-ben-password');
    expect((await fulfill(url, again.access_token, intents.sync())).status).toBe(200);
  });
});

describe('fulfillment without a valid token', () => {
  it('never reaches the command path', async () => {
    const execute = intents.execute(['departure-mode'], 'action.devices.commands.OnOff', { on: true });
    for (const token of [undefined, '', 'garbage', 'Zm9v', 'a'.repeat(43)]) {
      const res = await fulfill(url, token, execute);
      expect([400, 401]).toContain(res.status);
      expect(JSON.stringify(res.json)).not.toMatch(/at .*\.js/);
    }
    const malformed = await fetch(`${url}/smarthome`, { method: 'POST', headers: { authorization: 'Basic abc', 'content-type': 'application/json' }, body: JSON.stringify(execute) });
    expect([400, 401]).toContain(malformed.status);
    const inQuery = await fetch(`${url}/smarthome?access_token=abc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(execute) });
    expect([400, 401]).toContain(inQuery.status);
    expect(home.setAway).not.toHaveBeenCalled();
    expect(home.away).toBe(false);
  });
});

describe('the bearer check (RFC 6750 answers)', () => {
  const post = (authorization: string | undefined, query = '') =>
    fetch(`${url}/smarthome${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
      body: JSON.stringify(intents.sync()),
    });
  const answer = async (res: Response) => ({ status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as Record<string, unknown> });

  it('answers a missing, malformed, unknown or expired token as the OAuth library did', async () => {
    expect(await answer(await post(undefined))).toEqual({
      status: 401,
      challenge: 'Bearer realm="Service"',
      body: { error: 'unauthorized_request', error_description: 'Unauthorized request: no authentication given' },
    });
    // A token in the query string does not count (and is not looked at).
    expect((await answer(await post(undefined, '?access_token=abc'))).status).toBe(401);
    for (const malformed of ['Basic abc', 'Bearer', 'Bearer  two-spaces', 'Bearer a b', 'Bearer ä']) {
      expect(await answer(await post(malformed)), malformed).toEqual({
        status: 400,
        challenge: 'Bearer realm="Service",error="invalid_request"',
        body: { error: 'invalid_request', error_description: 'Invalid request: malformed authorization header' },
      });
    }
    expect(await answer(await post(`Bearer ${'a'.repeat(43)}`))).toEqual({
      status: 401,
      challenge: 'Bearer realm="Service",error="invalid_token"',
      body: { error: 'invalid_token', error_description: 'Invalid token: access token is invalid' },
    });
    const tokens = await link(url, 'anna', 'anna-password');
    expect((await post(`bearer ${tokens.access_token}`)).status).toBe(200);
    advance(61 * 60_000);
    expect(await answer(await post(`Bearer ${tokens.access_token}`))).toEqual({
      status: 401,
      challenge: 'Bearer realm="Service",error="invalid_token"',
      body: { error: 'invalid_token', error_description: 'Invalid token: access token is invalid' }, // the store no longer finds it
    });
  });
});

describe('hardening', () => {
  it('sets security headers and hides the framework', async () => {
    const page = await openSignIn(url);
    const h = page.headers;
    expect(h.get('x-powered-by')).toBeNull();
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toBe('DENY');
    expect(h.get('referrer-policy')).toBe('no-referrer');
    const csp = h.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/style-src 'sha256-/);
    expect(csp).toContain('https://oauth-redirect.googleusercontent.com');
    expect(page.html).not.toMatch(/<script/i);
    // Plain HTTP here: no HSTS (it is only sent when this server does TLS).
    expect(h.get('strict-transport-security')).toBeNull();
    const notFound = await fetch(`${url}/nothing-here`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-powered-by')).toBeNull();
    expect(await notFound.json()).toEqual({ error: 'not_found' });
  });

  it('answers bad requests with JSON and no internals', async () => {
    const tokens = await link(url, 'anna', 'anna-password');
    const post = (body: string, type = 'application/json') =>
      fetch(`${url}/smarthome`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': type }, body });
    const broken = await post('{"requestId": ');
    expect(broken.status).toBe(400);
    const brokenJson = (await broken.json()) as Record<string, unknown>;
    expect(brokenJson['error']).toBeTruthy();
    expect(JSON.stringify(brokenJson)).not.toMatch(/node_modules|at [A-Za-z]+ \(/);
    const huge = await post(JSON.stringify({ requestId: '1', inputs: [{ intent: 'action.devices.SYNC', pad: 'x'.repeat(200_000) }] }));
    expect(huge.status).toBe(413);
    const wrongIntent = await post(JSON.stringify({ requestId: '1', inputs: [{ intent: 'action.devices.REBOOT' }] }));
    expect(wrongIntent.status).toBe(400);
    const noInputs = await post(JSON.stringify({ requestId: '1' }));
    expect(noInputs.status).toBe(400);
    const notJson = await post('requestId=1', 'text/plain');
    expect(notJson.status).toBe(400);
    const bigForm = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `a=${'x'.repeat(20_000)}` });
    expect(bigForm.status).toBe(413);
    expect(bigForm.headers.get('content-type')).toMatch(/json/);
  });

  it('does not start with incomplete settings, naming the key to fix', async () => {
    const broken = new GoogleHome({ home, log, config: { enabled: true, port: 0 }, storageDir: storage });
    await expect(broken.start()).rejects.toThrow(/google\.projectId.*google\.clientId.*google\.clientSecret/s);
    const badPin = new GoogleHome({ home, log, config: googleConfig({ pin: '12ab' }), storageDir: storage });
    await expect(badPin.start()).rejects.toThrow(/google\.pin/);
  });
});
