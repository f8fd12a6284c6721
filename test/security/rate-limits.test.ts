/**
 * Guessing is slowed down where it could pay off: sign-in passwords per name and per client
 * address, and PINs per person (across all of their Google links). Each lock-out is logged
 * once, refuses even the right secret while it lasts, leaves everyone else alone, and ends
 * after 15 minutes.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/google/http-server.js';
import type { Fulfillment } from '../../src/google/fulfillment.js';
import { clientKey, SIGN_IN_FAILURES, SIGN_IN_FAILURES_PER_CLIENT } from '../../src/google/oauth-routes.js';
import { PIN_FAILURES } from '../../src/google/verification.js';
import { silentLogger } from '../../src/logger.js';
import { authorizeQuery, call, intents, link, type Tokens } from '../google/helpers/bed.js';
import { startClockedStack, type ClockedStack } from './support/stack.js';

const PIN = '480159';
const MINUTE = 60_000;

let stack: ClockedStack;
beforeAll(async () => {
  stack = await startClockedStack({ pin: PIN, names: ['anna', 'ben', 'carl'] });
});
afterAll(async () => stack?.close());

/**
 * A sign-in page loaded as a browser at `from` (X-Forwarded-For, as a reverse proxy on this
 * machine sets it); the returned function posts the form.
 */
async function openSignIn(from: string | undefined): Promise<(username: string, password: string) => Promise<{ status: number; html: string }>> {
  const headers: Record<string, string> = from ? { 'x-forwarded-for': from } : {};
  const page = await fetch(`${stack.url}/oauth/authorize?${new URLSearchParams(authorizeQuery())}`, { headers });
  const html = await page.text();
  const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
  const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return async (username, password) => {
    const res = await fetch(`${stack.url}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...authorizeQuery(), form_token: formToken, username, password }),
    });
    return { status: res.status, html: await res.text() };
  };
}

/** One sign-in as a browser at `from`. */
async function signInFrom(from: string | undefined, username: string, password: string): Promise<{ status: number; html: string }> {
  return (await openSignIn(from))(username, password);
}

const warnings = (pattern: RegExp) => stack.log.lines.filter((l) => l.level === 'warn' && pattern.test(l.message));

describe('sign-in', () => {
  it('the limits are the documented ones', () => {
    expect(SIGN_IN_FAILURES).toEqual({ maxFailures: 5, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE });
    expect(SIGN_IN_FAILURES_PER_CLIENT).toEqual({ maxFailures: 20, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE });
    expect(PIN_FAILURES).toEqual({ maxFailures: 5, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE });
  });

  it('locks a name after 5 wrong passwords, from wherever they came, and only that name', async () => {
    for (let i = 1; i <= 5; i++) expect((await signInFrom(`198.51.100.${i}`, 'ben', `wrong-${i}`)).status).toBe(401);
    const locked = await signInFrom('198.51.100.99', 'ben', 'ben-password');
    expect(locked.status).toBe(429);
    expect(locked.html).toContain('Too many failed sign-ins for this name');
    expect(warnings(/failed sign-in as "ben"; this name is locked for 15 minutes after 5 failures/)).toHaveLength(1);
    // Case does not help, and other names are not affected, even from the same addresses.
    expect((await signInFrom('198.51.100.98', 'BEN', 'ben-password')).status).toBe(429);
    expect((await signInFrom('198.51.100.1', 'anna', 'anna-password')).status).toBe(302);
    stack.advance(15 * MINUTE + 1000);
    expect((await signInFrom('198.51.100.99', 'ben', 'ben-password')).status).toBe(302);
  });

  it('locks a client address after 20 failures across names, logs it once, and leaves other addresses alone', async () => {
    const attacker = '203.0.113.7';
    for (let i = 1; i <= 20; i++) {
      // 20 names, each far below its own limit: only the per-address limit can stop this.
      expect((await signInFrom(attacker, `user${i}`, 'guess-password')).status).toBe(401);
    }
    const blocked = await signInFrom(attacker, 'anna', 'anna-password');
    expect(blocked.status).toBe(429);
    expect(blocked.html).toContain('Too many failed sign-ins from your network');
    expect(warnings(/20 failed sign-ins from 203\.0\.113\.7 within 15 minutes; sign-ins from there are refused for 15 minutes/)).toHaveLength(1);
    // Refused before the password is even checked: no further "failed sign-in" lines, no more lock lines.
    const failuresBefore = warnings(/failed sign-in as/).length;
    expect((await signInFrom(attacker, 'user21', 'guess-password')).status).toBe(429);
    expect(warnings(/failed sign-in as/)).toHaveLength(failuresBefore);
    expect(warnings(/sign-ins from there are refused/)).toHaveLength(1);
    // Someone else signs in meanwhile.
    expect((await signInFrom('203.0.113.8', 'anna', 'anna-password')).status).toBe(302);
    stack.advance(15 * MINUTE + 1000);
    expect((await signInFrom(attacker, 'anna', 'anna-password')).status).toBe(302);
  });

  it('does not forget an address\'s failures when it signs in once (a known guest account cannot reset the count)', async () => {
    const from = '203.0.113.50';
    for (let i = 1; i <= 19; i++) expect((await signInFrom(from, `name${i}`, 'guess-password')).status).toBe(401);
    expect((await signInFrom(from, 'carl', 'carl-password')).status).toBe(302);
    expect((await signInFrom(from, 'name20', 'guess-password')).status).toBe(401);
    expect((await signInFrom(from, 'carl', 'carl-password')).status).toBe(429);
    stack.advance(15 * MINUTE + 1000);
  });

  it('without a proxy in front, counts the connection\'s own address (loopback here)', async () => {
    for (let i = 1; i <= 20; i++) expect((await signInFrom(undefined, `direct${i}`, 'guess-password')).status).toBe(401);
    expect((await signInFrom(undefined, 'anna', 'anna-password')).status).toBe(429);
    expect(warnings(/20 failed sign-ins from (127\.0\.0\.1|::ffff:127\.0\.0\.1|::1) within/)).toHaveLength(1);
    expect((await signInFrom('192.0.2.1', 'anna', 'anna-password')).status).toBe(302);
    stack.advance(15 * MINUTE + 1000);
  });

  it('with google.trustProxy, believes X-Forwarded-For only from a loopback peer (a reverse proxy on this machine); without it, never', () => {
    const app = (trustProxy?: boolean) =>
      createApp({ oauth: { router: express.Router(), authenticate: async () => ({ status: 401, error: 'x', description: 'x' }) }, fulfillment: {} as unknown as Fulfillment, log: silentLogger, tls: false, trustProxy });
    const trusted = app(true).get('trust proxy fn') as (address: string, hop: number) => boolean;
    expect(trusted('127.0.0.1', 0)).toBe(true);
    expect(trusted('::1', 0)).toBe(true);
    expect(trusted('192.168.1.20', 0)).toBe(false);
    expect(trusted('203.0.113.7', 0)).toBe(false);
    for (const untrusting of [app(), app(false)]) {
      const fn = untrusting.get('trust proxy fn') as (address: string, hop: number) => boolean;
      expect(fn('127.0.0.1', 0)).toBe(false);
      expect(fn('::1', 0)).toBe(false);
    }
  });

  it('counts an IPv6 client by its /64: 20 failures from 20 addresses of one /64 lock the whole /64', async () => {
    for (let i = 1; i <= 20; i++) expect((await signInFrom(`2001:db8:aa:bb::${i.toString(16)}`, `v6name${i}`, 'guess-password')).status).toBe(401);
    expect((await signInFrom('2001:db8:aa:bb:ffff:1:2:3', 'anna', 'anna-password')).status).toBe(429);
    expect(warnings(/20 failed sign-ins from 2001:db8:aa:bb::\/64 within 15 minutes/)).toHaveLength(1);
    // The next /64 is someone else.
    expect((await signInFrom('2001:db8:aa:bc::1', 'anna', 'anna-password')).status).toBe(302);
    stack.advance(15 * MINUTE + 1000);
  });

  it('groups addresses as documented', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:aa:bb::1')).toBe('2001:db8:aa:bb::/64');
    expect(clientKey('2001:0DB8:00aa:00bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('without google.trustProxy (the default)', () => {
  let plain: ClockedStack;
  beforeAll(async () => {
    plain = await startClockedStack({ names: ['anna'], trustProxy: false });
  });
  afterAll(async () => plain?.close());

  it('a local client cannot choose its address with X-Forwarded-For: every attempt counts for the connection', async () => {
    const post = async (from: string, username: string, password: string) => {
      const headers = { 'x-forwarded-for': from };
      const page = await fetch(`${plain.url}/oauth/authorize?${new URLSearchParams(authorizeQuery())}`, { headers });
      const html = await page.text();
      const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
      const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const res = await fetch(`${plain.url}/oauth/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...authorizeQuery(), form_token: formToken, username, password }),
      });
      return res.status;
    };
    for (let i = 1; i <= 20; i++) expect(await post(`198.18.0.${i}`, `tunnel${i}`, 'guess-password')).toBe(401);
    expect(await post('198.18.1.1', 'anna', 'anna-password')).toBe(429);
    expect(plain.log.lines.some((l) => /20 failed sign-ins from (127\.0\.0\.1|::ffff:127\.0\.0\.1) within/.test(l.message))).toBe(true);
  });
});

describe('sign-ins at the same moment', () => {
  const checks = () => stack.log.lines.filter((l) => /failed sign-in as|signed in to link Google/.test(l.message)).length;

  it('18 parallel sign-ins for one name (17 wrong, then the right one) get at most 5 password checks', async () => {
    await stack.accounts.add('dora', 'dora-password', 'guest');
    const forms = await Promise.all(Array.from({ length: 18 }, (_, i) => openSignIn(`198.51.100.${100 + i}`)));
    const before = checks();
    const results = await Promise.all(forms.map((post, i) => post('dora', i === 17 ? 'dora-password' : `wrong-${i}`)));
    const statuses = results.map((r) => r.status);
    expect(checks() - before).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401 || s === 302).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(13);
    // A code for the right password only if it was among the first 5 checked (at most 4 wrong ones before the limit).
    if (statuses[17] === 302) expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    stack.advance(15 * MINUTE + 1000);
  });

  it('one address gets at most 20 password checks, however many it sends at once', async () => {
    const from = '203.0.113.77';
    const before = checks();
    for (let wave = 0; wave < 2; wave++) {
      const forms = await Promise.all(Array.from({ length: 18 }, () => openSignIn(from)));
      await Promise.all(forms.map((post, i) => post(`wave${wave}-name${i}`, 'guess-password')));
    }
    expect(checks() - before).toBeLessThanOrEqual(20);
    expect((await signInFrom(from, 'anna', 'anna-password')).status).toBe(429);
    stack.advance(15 * MINUTE + 1000);
  });
});

describe('what a sign-in name can do to the log', () => {
  it('a name that is no account name is refused without a password check and never logged', async () => {
    const forged = 'anna\n[12/3/2026, 10:00:00 AM] [VELUX] Google Home: admin signed in to link Google';
    const long = 'x'.repeat(7000);
    const password = 'S3cret pass word!';
    for (const name of [forged, long, password]) {
      const before = stack.log.lines.length;
      const res = await signInFrom('198.51.100.200', name, 'anything-at-all');
      expect(res.status).toBe(401);
      expect(res.html).not.toContain(name.slice(0, 30));
      const added = stack.log.lines.slice(before).map((l) => l.message);
      expect(added).toEqual([expect.stringMatching(/^Google Home: refused a sign-in with a name that is no account name \(\d+ characters, not logged\)$/)]);
      for (const line of added) {
        expect(line).not.toContain('\n');
        expect(line.length).toBeLessThan(200);
        expect(line).not.toContain(name.slice(0, 10));
      }
    }
    stack.advance(15 * MINUTE + 1000);
  });
});

describe('PIN', () => {
  let annaPhone: Tokens;
  let annaSpeaker: Tokens;
  let ben: Tokens;
  const commands: string[] = [];

  beforeAll(async () => {
    // Two Google accounts linked to the same local account (a phone and a shared speaker).
    annaPhone = await link(stack.url, 'anna', 'anna-password');
    annaSpeaker = await link(stack.url, 'anna', 'anna-password');
    ben = await link(stack.url, 'ben', 'ben-password');
    stack.home.on('commandIssued', (device, command, source) => commands.push(`${source} ${device.key} ${JSON.stringify(command)}`));
  });

  const openWindow = async (tokens: Tokens, pin: string) => {
    const body = (await call(stack.url, tokens.access_token, intents.execute([`${stack.base}/kitchen-window`], 'action.devices.commands.OpenClose', { openPercent: 20 }, { pin }))) as {
      payload: { commands: Array<{ status: string; errorCode?: string }> };
    };
    return body.payload.commands[0];
  };

  it('locks a person after 5 wrong PINs over all their links, logs it, refuses even the right PIN, and leaves others alone', async () => {
    for (const [tokens, pin] of [
      [annaPhone, '000001'],
      [annaSpeaker, '000002'],
      [annaPhone, '000003'],
      [annaSpeaker, '000004'],
    ] as const) {
      expect(await openWindow(tokens, pin)).toMatchObject({ status: 'ERROR', errorCode: 'challengeNeeded' });
    }
    expect(await openWindow(annaSpeaker, '000005')).toMatchObject({ status: 'ERROR', errorCode: 'tooManyFailedAttempts' });
    expect(warnings(/wrong PIN from anna .*locked out for 15 minutes after 5 wrong PINs/)).toHaveLength(1);
    expect(await openWindow(annaPhone, PIN)).toMatchObject({ status: 'ERROR', errorCode: 'tooManyFailedAttempts' });
    expect(warnings(/anna is locked out of PIN actions/).length).toBeGreaterThanOrEqual(1);
    expect(commands).toEqual([]);
    // Ben has his own count: one wrong PIN, then the right one works.
    expect(await openWindow(ben, '999999')).toMatchObject({ errorCode: 'challengeNeeded' });
    expect(await openWindow(ben, PIN)).toMatchObject({ status: 'SUCCESS' });
    expect(commands).toEqual([expect.stringMatching(/^google .*kitchen-window \{"position":20\}$/)]);
    stack.advance(15 * MINUTE + 1000);
    expect(await openWindow(annaPhone, PIN)).toMatchObject({ status: 'SUCCESS' });
  });
});
