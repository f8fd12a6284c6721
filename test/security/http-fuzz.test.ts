/**
 * HTTP fuzzing of the Google endpoint (a real GoogleHome on 127.0.0.1 port 0, with a real
 * Home fed by the simulated gateway over aedes): every route and unknown ones, every
 * method, random headers, malformed JSON and form bodies, huge bodies, random and
 * almost-right bearer tokens, and raw bytes Node's own client would refuse to send.
 *
 * Always: no 5xx, no stack trace or source path in any body, nothing logged as an error.
 * Without a valid access token: nothing reaches the command path (`commandIssued`), no room
 * switch or departure mode changes. At the end a real command still goes through, so the
 * listener is known to work.
 *
 * Bounded to a few seconds per property; FUZZ_RUNS=<n> runs n cases per property instead.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { escapeHtml } from '../../src/google/sign-in-page.js';
import {
  authorizeQuery,
  CLIENT_ID,
  CLIENT_SECRET,
  intents,
  link,
  openSignIn,
  REDIRECT_URI,
  SANDBOX_REDIRECT_URI,
  signIn,
  startBed,
  type Bed,
  type Tokens,
} from '../google/helpers/bed.js';
import { INTERNALS, send, sendRaw, type FuzzRequest, type FuzzResponse } from './support/http.js';

const PIN = '480159';
const FIXED_RUNS = process.env['FUZZ_RUNS'] ? Number(process.env['FUZZ_RUNS']) : undefined;
/** Per property; the whole file stays well under 20 s by default. */
const TIME_LIMIT_MS = 2_000;
/** Vitest's limit per test: enough for FUZZ_RUNS cases (about 5 ms each, raw ones up to 2 s). */
const TEST_TIMEOUT_MS = FIXED_RUNS ? Math.max(30_000, FIXED_RUNS * 100) : 30_000;
const options = (defaultRuns: number): fc.Parameters<unknown> =>
  FIXED_RUNS ? { numRuns: FIXED_RUNS } : { numRuns: defaultRuns, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };

let bed: Bed;
let port: number;
let anna: Tokens;
let ben: Tokens;
let unusedCode: string;
const commands: string[] = [];
const modeChanges: unknown[] = [];
const roomChanges: unknown[] = [];
const cases: Record<string, number> = {};
let current = '';
const count = (name: string) => {
  current = name;
  cases[name] = (cases[name] ?? 0) + 1;
};
/** Answers seen per property, by status. */
const statuses: Record<string, Record<string, number>> = {};
const seen = (status: number | string) => {
  const mine = (statuses[current] ??= {});
  mine[status] = (mine[status] ?? 0) + 1;
};

beforeAll(async () => {
  bed = await startBed({ pin: PIN, timeScale: 20 });
  port = Number(new URL(bed.url).port);
  anna = await link(bed.url, 'anna', 'anna-password');
  ben = await link(bed.url, 'ben', 'ben-password');
  unusedCode = await signIn(bed.url, 'anna', 'anna-password');
  bed.home.on('commandIssued', (device, command, source) => commands.push(`${source}: ${device.key} ${JSON.stringify(command)}`));
  bed.home.on('mode', (away, source) => modeChanges.push({ away, source }));
  bed.home.on('roomClimate', (room) => roomChanges.push(room));
  vi.spyOn(bed.home, 'setRoomClimateEnabled');
  vi.spyOn(bed.home, 'setAway');
}, 60_000);

afterAll(async () => {
  console.log(`HTTP fuzz cases run: ${JSON.stringify(cases)} (total ${Object.values(cases).reduce((a, b) => a + b, 0)}); answers by status: ${JSON.stringify(statuses)}`);
  await bed?.close();
});

// ---- arbitraries ---------------------------------------------------------------------------

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const printable = (maxLength = 60, minLength = 0) => fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength, maxLength });
const token = (maxLength = 60) => fc.stringMatching(new RegExp(`^[A-Za-z0-9._~+/=-]{0,${maxLength}}$`));

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const KNOWN_PATHS = [
  '/smarthome',
  '/oauth/authorize',
  '/oauth/token',
  '/',
  '/smarthome/',
  '/SMARTHOME',
  '/SmartHome',
  '/oauth',
  '/oauth/',
  '/oauth/authorize/',
  '/oauth/token/',
  '/oauth//token',
  '//smarthome',
  '/smarthome/..',
  '/%2e%2e/smarthome',
  '/smarthome%00',
  '/smarthome%2F',
  '/oauth/%61uthorize',
  '/smarthome;a=b',
  '/.env',
  '/authorize',
  '/oauth/authorize.json',
];

const authorizeParams = fc.record(
  {
    client_id: fc.oneof(fc.constant(CLIENT_ID), printable(30)),
    redirect_uri: fc.oneof(fc.constantFrom(REDIRECT_URI, SANDBOX_REDIRECT_URI, 'https://evil.example/r/x', `${REDIRECT_URI}/..`), fc.webUrl()),
    state: printable(80),
    response_type: fc.oneof(fc.constantFrom('code', 'token', 'CODE', ''), printable(10)),
    scope: printable(30),
    username: fc.oneof(fc.constantFrom('anna', 'ben', 'ANNA', ' anna '), printable(30)),
    password: printable(40),
    form_token: fc.oneof(token(80), fc.constant('')),
    grant_type: fc.oneof(fc.constantFrom('authorization_code', 'refresh_token', 'password', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'), printable(20)),
    code: token(60),
    refresh_token: token(60),
    client_secret: fc.oneof(fc.constant('wrong-secret-0123456789'), printable(30)),
    code_verifier: token(80),
  },
  { requiredKeys: [] },
);

const query = fc.oneof(
  fc.constant(''),
  fc.webQueryParameters().map((q) => (q ? `?${q}` : '')),
  authorizeParams.map((p) => `?${new URLSearchParams(p as Record<string, string>)}`),
  fc.constant('?access_token=abc'),
);

const path = fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_PATHS.slice(0, 3)) }, { weight: 2, arbitrary: fc.constantFrom(...KNOWN_PATHS) }, { weight: 1, arbitrary: fc.webPath().map((p) => p || '/') }), query).map(([p, q]) => `${p.startsWith('/') ? p : `/${p}`}${q}`);

/** Bearer values that are not the valid access token, many of them almost. */
function wrongAuthorization(valid: () => { access: string; refresh: string; code: string }) {
  const mutate = fc.tuple(fc.nat(), fc.constantFrom(...'ABCXYZabcxyz0189-_'), fc.constantFrom('flip', 'cut', 'append', 'prepend', 'upper', 'twice'));
  return fc.oneof(
    fc.constant(undefined),
    token(80).map((t) => `Bearer ${t}`),
    mutate.map(([i, ch, how]) => {
      const t = valid().access;
      const at = i % t.length;
      let wrong: string;
      switch (how) {
        case 'flip':
          wrong = `${t.slice(0, at)}${t[at] === ch ? (ch === 'A' ? 'B' : 'A') : ch}${t.slice(at + 1)}`;
          break;
        case 'cut':
          wrong = t.slice(0, at);
          break;
        case 'append':
          wrong = `${t}${ch}`;
          break;
        case 'prepend':
          wrong = `${ch}${t}`;
          break;
        case 'upper':
          wrong = t.toUpperCase() === t ? `${t}A` : t.toUpperCase();
          break;
        default:
          wrong = `${t} ${t}`;
      }
      return `Bearer ${wrong}`;
    }),
    fc.constantFrom('refresh', 'code', 'secret', 'empty', 'basic').map((what) => {
      const v = valid();
      if (what === 'refresh') return `Bearer ${v.refresh}`;
      if (what === 'code') return `Bearer ${v.code}`;
      if (what === 'secret') return `Bearer ${CLIENT_SECRET}`;
      if (what === 'basic') return `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
      return 'Bearer ';
    }),
    printable(80),
    fc.base64String({ maxLength: 60 }).map((b) => `Basic ${b}`),
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=nonsense',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/x-www-form-urlencoded; charset=nonsense',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=xyz',
  'application/*',
  '*/*',
  'application/json, application/json',
];

const smartHomeBody = fc.oneof(
  fc.constant(intents.sync()),
  fc.constant(intents.disconnect()),
  fc.constant(intents.query('departure-mode')),
  fc.tuple(fc.constantFrom('living-window-1', 'kitchen-window', 'living-blind'), fc.integer({ min: -10, max: 110 }), fc.option(fc.record({ pin: fc.stringMatching(/^\d{0,8}$/), ack: fc.boolean() }, { requiredKeys: [] }))).map(
    ([device, openPercent, challenge]) => ({
      ...intents.execute([`DEVICE:${device}`], 'action.devices.commands.OpenClose', { openPercent }, challenge ?? undefined),
    }),
  ),
  fc.tuple(fc.constantFrom('departure-mode', 'climate:Kitchen', 'climate:Bedroom'), fc.boolean()).map(([id, on]) => intents.execute([id], 'action.devices.commands.OnOff', { on })),
  fc.record({ requestId: fc.oneof(printable(20), fc.integer()), inputs: fc.array(fc.record({ intent: fc.oneof(fc.constantFrom('action.devices.SYNC', 'action.devices.EXECUTE', 'action.devices.QUERY'), printable(20)), payload: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }),
);

const body = (withDevices: (text: string) => string) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: printable(200) },
    { weight: 3, arbitrary: smartHomeBody.map((b) => withDevices(JSON.stringify(b))) },
    { weight: 2, arbitrary: smartHomeBody.map((b) => withDevices(JSON.stringify(b)).slice(0, -3)) },
    { weight: 2, arbitrary: authorizeParams.map((p) => new URLSearchParams(p as Record<string, string>).toString()) },
    { weight: 1, arbitrary: fc.dictionary(printable(12), printable(20), { maxKeys: 40 }).map((d) => new URLSearchParams(d).toString()) },
    { weight: 1, arbitrary: fc.integer({ min: 130_000, max: 600_000 }).map((n) => JSON.stringify({ requestId: '1', inputs: [{ intent: 'action.devices.SYNC' }], pad: 'x'.repeat(n) })) },
    { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 300_000 }).map((n) => `a=${'x'.repeat(n)}`) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
  );

const EXTRA_HEADER_NAMES = ['cookie', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'accept', 'accept-encoding', 'accept-language', 'origin', 'referer', 'user-agent', 'range', 'if-none-match', 'x-http-method-override', 'x-requested-with'];
const headerName = fc.oneof(fc.constantFrom(...EXTRA_HEADER_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,20}$/));

function request(valid: () => { access: string; refresh: string; code: string }, authorization = wrongAuthorization(valid)): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('POST', 'GET') }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      path,
      authorization,
      contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), printable(40))),
      contentEncoding: fc.option(fc.oneof(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip'), printable(10))),
      extra: fc.dictionary(headerName, printable(80), { maxKeys: 6 }),
      body: body((text) => text.replaceAll('DEVICE:', `${bed.base}/`)),
    })
    .map(({ method, path, authorization, contentType, contentEncoding, extra, body }) => {
      const headers: Record<string, string> = { ...extra };
      if (authorization !== undefined) headers['authorization'] = authorization;
      if (contentType !== null) headers['content-type'] = contentType;
      if (contentEncoding !== null) headers['content-encoding'] = contentEncoding;
      return { method, path, headers, body };
    });
}

// ---- checks -----------------------------------------------------------------------------------

/** Removes what the request itself put into the answer (the sign-in page echoes its parameters). */
function withoutEcho(text: string, req: FuzzRequest): string {
  const values = new Set<string>();
  const collect = (qs: string) => {
    try {
      for (const [k, v] of new URLSearchParams(qs)) values.add(k).add(v);
    } catch {
      // not a query string
    }
  };
  collect(req.path.split('?')[1] ?? '');
  if (typeof req.body === 'string') collect(req.body);
  let out = text;
  for (const v of [...values].filter((x) => x.length > 2).sort((a, b) => b.length - a.length)) out = out.split(escapeHtml(v)).join('').split(v).join('');
  return out;
}

const hugeBody = (req: FuzzRequest) => req.body !== undefined && req.body.length > 8_000;

function expectSafeAnswer(req: FuzzRequest, res: FuzzResponse | { error: string }): void {
  seen('error' in res ? (res.error.startsWith('not sent') ? 'not sent' : 'no answer') : res.status);
  if ('error' in res) {
    if (res.error.startsWith('not sent')) return;
    // A server that refuses a huge body at once may reset the connection before we read the answer.
    if (hugeBody(req) && /ECONNRESET|EPIPE|socket hang up/.test(res.error)) return;
    expect.fail(`no answer to ${req.method} ${req.path}: ${res.error}`);
  }
  const context = `${req.method} ${req.path} ${JSON.stringify(req.headers)} → ${res.status} ${res.body.slice(0, 300)}`;
  expect(res.status, context).toBeGreaterThanOrEqual(200);
  expect(res.status, context).toBeLessThan(500);
  expect(withoutEcho(res.body, req), context).not.toMatch(INTERNALS);
  expect(JSON.stringify(res.headers), context).not.toMatch(INTERNALS);
}

function expectNoEffects(): void {
  expect(commands).toEqual([]);
  expect(modeChanges).toEqual([]);
  expect(roomChanges).toEqual([]);
  expect(bed.home.setRoomClimateEnabled).not.toHaveBeenCalled();
  expect(bed.home.setAway).not.toHaveBeenCalled();
}

/** A body in a content encoding: valid, wrongly labelled, unsupported, or a 20 MB bomb in 20 kB. */
function compress(how: string, body: string | Buffer): { encoding: string; body: Buffer | string } {
  switch (how) {
    case 'gzip':
      return { encoding: 'gzip', body: gzipSync(body) };
    case 'deflate':
      return { encoding: 'deflate', body: deflateSync(body) };
    case 'br':
      return { encoding: 'br', body: brotliCompressSync(body) };
    case 'wrong gzip':
      return { encoding: 'gzip', body };
    case 'gzip bomb':
      return { encoding: 'gzip', body: BOMB };
    default:
      return { encoding: how, body };
  }
}
const BOMB = gzipSync(Buffer.alloc(20 * 1024 * 1024, ' '));

const valid = () => ({ access: anna.access_token, refresh: anna.refresh_token ?? '', code: unusedCode });

// ---- properties -------------------------------------------------------------------------------

describe('the Google endpoint under fuzzing', () => {
  it('answers any request without a valid access token with a 4xx, and nothing reaches the command path', async () => {
    await fc.assert(
      fc.asyncProperty(request(valid), async (req) => {
        count('unauthenticated');
        expectSafeAnswer(req, await send(port, req));
        expectNoEffects();
      }),
      options(400),
    );
  }, TEST_TIMEOUT_MS);

  it('answers well-formed Google requests with wrong bearer tokens with 401, and nothing reaches the command path', async () => {
    const execute = fc.oneof(
      fc.constant(intents.execute([`${bed.base}/kitchen-window`], 'action.devices.commands.OpenClose', { openPercent: 100 }, { pin: PIN })),
      fc.constant(intents.execute(['departure-mode'], 'action.devices.commands.OnOff', { on: true })),
      fc.constant(intents.execute(['climate:Kitchen'], 'action.devices.commands.OnOff', { on: false })),
      fc.constant(intents.execute([`${bed.base}/living-blind`], 'action.devices.commands.OpenClose', { openPercent: 0 })),
    );
    await fc.assert(
      fc.asyncProperty(execute, wrongAuthorization(valid), async (intent, authorization) => {
        count('wrong token, valid EXECUTE');
        const req: FuzzRequest = {
          method: 'POST',
          path: '/smarthome',
          headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
          body: JSON.stringify(intent),
        };
        const res = await send(port, req);
        expectSafeAnswer(req, res);
        expect('status' in res && [400, 401].includes(res.status), JSON.stringify(res)).toBe(true);
        expectNoEffects();
      }),
      options(300),
    );
  }, TEST_TIMEOUT_MS);

  it('answers any body a linked person sends with no 5xx and no internals', async () => {
    // DISCONNECT would end the link under test; the first property covers it without a token.
    const authenticated = fc
      .record({
        contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
        encoding: fc.oneof(
          { weight: 8, arbitrary: fc.constant('none' as const) },
          { weight: 2, arbitrary: fc.constantFrom('gzip', 'deflate', 'br') },
          { weight: 1, arbitrary: fc.constantFrom('wrong gzip', 'compress', 'gzip bomb') },
        ),
        extra: fc.dictionary(headerName, printable(80), { maxKeys: 4 }),
        body: fc.oneof(
          { weight: 4, arbitrary: smartHomeBody.map((b) => JSON.stringify(b).replaceAll('DEVICE:', `${bed.base}/`)) },
          { weight: 1, arbitrary: body((text) => text.replaceAll('DEVICE:', `${bed.base}/`)) },
        ).filter((b) => !(typeof b === 'string' && b.includes('action.devices.DISCONNECT'))),
      })
      .map(({ contentType, encoding, extra, body }): FuzzRequest => {
        const headers: Record<string, string> = { ...extra, 'content-type': contentType, authorization: `Bearer ${ben.access_token}` };
        if (encoding === 'none' || body === undefined) return { method: 'POST', path: '/smarthome', headers, body };
        const compressed = compress(encoding, body);
        return { method: 'POST', path: '/smarthome', headers: { ...headers, 'content-encoding': compressed.encoding }, body: compressed.body };
      });
    await fc.assert(
      fc.asyncProperty(authenticated, async (req) => {
        count('authenticated');
        const res = await send(port, req);
        expectSafeAnswer(req, res);
      }),
      options(300),
    );
    // Still linked all along: the answers above were the fulfillment's, not 401s.
    const still = await send(port, { method: 'POST', path: '/smarthome', headers: { 'content-type': 'application/json', authorization: `Bearer ${ben.access_token}` }, body: JSON.stringify(intents.sync()) });
    expect('status' in still && still.status).toBe(200);
    // Commands may have run here (ben is linked): let the last ones settle, then start clean.
    await new Promise((r) => setTimeout(r, 300));
    commands.length = 0;
    modeChanges.length = 0;
    roomChanges.length = 0;
    vi.mocked(bed.home.setRoomClimateEnabled).mockClear();
    vi.mocked(bed.home.setAway).mockClear();
  }, TEST_TIMEOUT_MS);

  it('survives random sign-in forms posted with a real cookie and form token, never redirecting to Google', async () => {
    const page = await openSignIn(bed.url);
    expect(page.status).toBe(200);
    const fields = fc.record({
      username: fc.oneof(fc.constantFrom('anna', 'ben', 'ANNA', ' anna ', 'nobody', ''), printable(70, 1)),
      password: fc.oneof({ weight: 5, arbitrary: printable(40, 1) }, { weight: 1, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.integer({ min: 1000, max: 5000 }).map((n) => 'p'.repeat(n)) }),
      // Mostly the real form; sometimes with parameters changed, the form token gone, or extra fields.
      tampered: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: authorizeParams }),
      keepForm: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      forwardedFor: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), printable(20))),
    });
    await fc.assert(
      fc.asyncProperty(fields, async ({ username, password, tampered, keepForm, forwardedFor }) => {
        count('sign-in form');
        const form = { ...authorizeQuery(), ...(keepForm ? { form_token: page.formToken ?? '' } : {}), username, password, ...tampered } as Record<string, string>;
        if (form['password'] === 'anna-password' || form['password'] === 'ben-password') form['password'] += '!';
        const req: FuzzRequest = {
          method: 'POST',
          path: '/oauth/authorize',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie ?? '', ...(forwardedFor !== null ? { 'x-forwarded-for': forwardedFor } : {}) },
          body: new URLSearchParams(form).toString(),
        };
        const res = await send(port, req);
        expectSafeAnswer(req, res);
        expect('status' in res && res.status !== 302, JSON.stringify(res).slice(0, 300)).toBe(true);
        expectNoEffects();
      }),
      options(300),
    );
  }, TEST_TIMEOUT_MS);

  it('survives random token requests; only the real secret with a real refresh token gets a token', async () => {
    const grant = fc.record({
      params: authorizeParams,
      realSecret: fc.boolean(),
      realRefresh: fc.boolean(),
      basic: fc.option(fc.oneof(fc.constant(`${CLIENT_ID}:${CLIENT_SECRET}`), printable(40))),
    });
    await fc.assert(
      fc.asyncProperty(grant, async ({ params, realSecret, realRefresh, basic }) => {
        count('token endpoint');
        const form = { ...params } as Record<string, string>;
        if (realSecret) Object.assign(form, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
        if (realRefresh) form['refresh_token'] = ben.refresh_token ?? '';
        const req: FuzzRequest = {
          method: 'POST',
          path: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic !== null ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) },
          body: new URLSearchParams(form).toString(),
        };
        const res = await send(port, req);
        expectSafeAnswer(req, res);
        if ('status' in res && res.status === 200) {
          const secretGiven = (form['client_secret'] === CLIENT_SECRET && form['client_id'] === CLIENT_ID) || basic === `${CLIENT_ID}:${CLIENT_SECRET}`;
          expect(secretGiven && form['grant_type'] === 'refresh_token' && form['refresh_token'] === ben.refresh_token, JSON.stringify(form)).toBe(true);
        }
        expectNoEffects();
      }),
      options(300),
    );
  }, TEST_TIMEOUT_MS);

  it('answers raw, broken HTTP with 4xx or by closing, never a 5xx or internals', async () => {
    const line = fc.record({
      method: fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[A-Z]{1,10}$/), printable(8)),
      target: fc.oneof(fc.constantFrom(...KNOWN_PATHS), printable(40), fc.constant('*'), fc.constant('http://evil.example/smarthome')),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', '', 'FOO/1.1'),
    });
    const headerLine = fc.oneof(
      fc.tuple(headerName, printable(60)).map(([n, v]) => `${n}: ${v}`),
      fc.constantFrom('Content-Length: 5', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Content-Length: 10\r\nContent-Length: 20', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked, identity', 'Transfer-Encoding: gzip', ' folded continuation', 'NoColonHere', ': empty name', 'Host:', 'Content-Type: application/json'),
      fc.constant(`Authorization: Bearer ${'A'.repeat(43)}`),
      fc.integer({ min: 1, max: 40_000 }).map((n) => `X-Big: ${'b'.repeat(n)}`),
      printable(80),
    );
    const raw = fc.oneof(
      { weight: 4, arbitrary: fc.record({ line, headers: fc.array(headerLine, { maxLength: 8 }), manyHeaders: fc.nat(150), body: fc.oneof(printable(200), fc.constantFrom('0\r\n\r\n', 'zz\r\nnot hex\r\n0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\nGET /smarthome HTTP/1.1\r\nHost: x\r\n\r\n')) }).map(
        ({ line, headers, manyHeaders, body }) =>
          Buffer.from(`${line.method} ${line.target} ${line.version}\r\nHost: 127.0.0.1\r\n${[...headers, ...Array.from({ length: manyHeaders }, (_, i) => `X-H${i}: v`)].join('\r\n')}\r\n\r\n${body}`, 'latin1'),
      ) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 400 }).map((a) => Buffer.from(a)) },
    );
    await fc.assert(
      fc.asyncProperty(raw, async (bytes) => {
        count('raw');
        const { statuses: answered, text } = await sendRaw(port, bytes);
        if (answered.length === 0) seen('closed');
        for (const status of answered) {
          seen(status);
          expect(status, text.slice(0, 300)).toBeLessThan(500);
        }
        expect(text).not.toMatch(INTERNALS);
        expectNoEffects();
      }),
      options(200),
    );
  }, TEST_TIMEOUT_MS);

  it('logged nothing as an error, is still healthy, and a valid command does reach the command path', async () => {
    expect(bed.log.joined('error')).toBe('');
    expect(commands).toEqual([]);
    // The same listener sees a real command: the assertions above could have failed.
    const res = await send(port, {
      method: 'POST',
      path: '/smarthome',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${anna.access_token}` },
      body: JSON.stringify(intents.execute([`${bed.base}/living-blind`], 'action.devices.commands.OpenClose', { openPercent: 40 })),
    });
    expect('status' in res && res.status).toBe(200);
    expect(commands).toEqual([expect.stringMatching(/^google: .*living-blind \{"position":40\}$/)]);
  });
});
