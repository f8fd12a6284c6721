/**
 * Account linking over HTTP: the OAuth 2.0 authorization-code flow for Google, done by
 * `@node-oauth/oauth2-server` with the model in oauth-model.ts.
 * - GET  /oauth/authorize  sign-in page (only for Google's client id and redirect URIs)
 * - POST /oauth/authorize  checks name and password, then redirects to Google with a code
 * - POST /oauth/token      authorization_code and refresh_token grants
 * and `authenticate()` for the fulfillment endpoint (Bearer access tokens in the header only).
 */
import { isIPv6 } from 'node:net';
import express, { type Request, type Response, type Router } from 'express';
import OAuth2Server from '@node-oauth/oauth2-server';
import type { Logger } from '../logger.js';
import type { ResolvedGoogleConfig } from './config.js';
import { FailureLimiter } from './failure-limiter.js';
import { FORM_TOKEN_TTL_MS, FormTokens, readCookie, SIGN_IN_COOKIE } from './form-token.js';
import type { LinkedPeople } from './linked-people.js';
import { nameProblem } from './accounts.js';
import { secretsEqual, type LinkedUser, type OAuthModel } from './oauth-model.js';
import { AUTHORIZATION_CODE_TTL_MS, ACCESS_TOKEN_TTL_MS } from './token-store.js';
import { messagePage, signInPage, signInPageCsp, type AuthorizeParams } from './sign-in-page.js';

/** Per sign-in name: 5 wrong passwords in 15 minutes lock that name for 15 minutes. */
export const SIGN_IN_FAILURES = { maxFailures: 5, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000 };
/**
 * Per client address: guessing across many names from one place is stopped too. Higher than
 * the per-name limit because a household (or a proxy that hides addresses) shares one; a
 * success does not reset it, so a known guest account cannot be used to keep guessing.
 */
export const SIGN_IN_FAILURES_PER_CLIENT = { maxFailures: 20, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000 };

export interface OAuthOptions {
  config: ResolvedGoogleConfig;
  model: OAuthModel;
  people: LinkedPeople;
  log: Logger;
  now: () => number;
  /** Mark the sign-in cookie Secure (TLS here or an https publicUrl in front). */
  secureCookie: boolean;
}

export type Authentication = { user: LinkedUser } | { status: number; error: string; description: string; wwwAuthenticate?: string };

export interface OAuth {
  router: Router;
  /** The fulfillment's token check, from the request's Authorization header. */
  authenticate(authorization: string | undefined): Promise<Authentication>;
}

export function createOAuth(options: OAuthOptions): OAuth {
  const { config, people, log, now } = options;
  const server = new OAuth2Server({
    model: options.model,
    authorizationCodeLifetime: AUTHORIZATION_CODE_TTL_MS / 1000,
    accessTokenLifetime: ACCESS_TOKEN_TTL_MS / 1000,
    // Required by the library; refresh tokens here never expire (see token-store.ts).
    refreshTokenLifetime: 10 * 365 * 24 * 3600,
    // Keep Google's refresh token: rotating it would unlink anyone whose answer got lost.
    alwaysIssueNewRefreshToken: false,
    allowBearerTokensInQueryString: false,
  });
  const formTokens = new FormTokens(now);
  const signInFailures = new FailureLimiter({ ...SIGN_IN_FAILURES, now });
  const clientFailures = new FailureLimiter({ ...SIGN_IN_FAILURES_PER_CLIENT, now });
  // Each check costs ~32 MB and a thread for ~0.1 s (scrypt): a flood of sign-ins must queue, not pile up.
  const passwordChecks = new Queue(2, 16);
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  const problemWith = (params: AuthorizeParams | undefined): string | undefined => {
    if (!params) return 'the link is missing some of its parameters';
    if (params.response_type !== 'code') return 'only response_type=code is supported';
    if (!secretsEqual(params.client_id, config.clientId)) return 'the client id is not the one in the plugin settings (google.clientId)';
    if (!config.redirectUris.includes(params.redirect_uri)) return `the redirect URI is not Google's for project "${config.projectId}"`;
    if (params.state.length === 0 || params.state.length > 2048) return 'the state parameter is missing or too long';
    if (params.scope !== undefined && params.scope.length > 512) return 'the scope parameter is too long';
    return undefined;
  };

  const showSignIn = (res: Response, status: number, params: AuthorizeParams, extra: { nonce?: string; error?: string; name?: string } = {}) => {
    const nonce = extra.nonce ?? formTokens.newNonce();
    res.cookie(SIGN_IN_COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure: options.secureCookie, maxAge: FORM_TOKEN_TTL_MS, path: '/' });
    res.setHeader('Content-Security-Policy', signInPageCsp());
    res.status(status).type('html').send(signInPage({ params, formToken: formTokens.issue(nonce, params), error: extra.error, name: extra.name }));
  };

  const logClientLock = (client: string) =>
    log.warn(
      `Google Home: ${SIGN_IN_FAILURES_PER_CLIENT.maxFailures} failed sign-ins from ${client} within ${SIGN_IN_FAILURES_PER_CLIENT.windowMs / 60_000} minutes; ` +
        `sign-ins from there are refused for ${SIGN_IN_FAILURES_PER_CLIENT.lockoutMs / 60_000} minutes`,
    );
  const noteClientFailure = (client: string) => {
    if (clientFailures.fail(client)) logClientLock(client);
  };

  const deadEnd = (res: Response, status: number, title: string, message: string) => {
    res.status(status).type('html').send(messagePage(title, message));
  };

  router.get('/oauth/authorize', (req, res) => {
    const params = authorizeParams(req.query);
    const problem = problemWith(params);
    if (problem || !params) {
      // Debug only: anyone on the internet can load this URL; the page tells a real user.
      log.debug(`Google Home: refused a sign-in link: ${problem}`);
      return deadEnd(res, 400, 'This link cannot be used', `This sign-in link is not valid (${problem}). Start linking again from the Google Home app.`);
    }
    showSignIn(res, 200, params);
  });

  router.post('/oauth/authorize', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const params = authorizeParams(body);
    const problem = problemWith(params);
    if (problem || !params) {
      log.debug(`Google Home: refused a sign-in: ${problem}`);
      return deadEnd(res, 400, 'This sign-in cannot be used', `The sign-in form is not valid (${problem}). Start linking again from the Google Home app.`);
    }
    const nonce = readCookie(req.headers.cookie, SIGN_IN_COOKIE);
    if (!formTokens.verify(stringField(body, 'form_token'), nonce, params)) {
      return deadEnd(
        res,
        400,
        'This sign-in page has expired',
        'The page was open too long, the plugin restarted, or it was not opened in this browser. Start linking again from the Google Home app.',
      );
    }
    const typed = stringField(body, 'username')?.trim() ?? '';
    const password = stringField(body, 'password') ?? '';
    // The connection's address, or the one a trusted reverse proxy forwards (google.trustProxy).
    const client = clientKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (!typed || !password) return showSignIn(res, 400, params, { nonce, error: 'Enter your name and password.', name: typed.slice(0, 64) });
    const clientLockedFor = clientFailures.lockedFor(client);
    if (clientLockedFor > 0) {
      const minutes = Math.ceil(clientLockedFor / 60_000);
      return showSignIn(res, 429, params, { nonce, error: `Too many failed sign-ins from your network. Try again in ${minutes} minute(s).` });
    }
    if (nameProblem(typed)) {
      // Not an account name (perhaps a password typed into the wrong field, or an attempt to
      // forge log lines): refused without a password check, counted for the address, never
      // logged or shown again.
      noteClientFailure(client);
      log.warn(`Google Home: refused a sign-in with a name that is no account name (${typed.length} characters, not logged)`);
      return showSignIn(res, 401, params, { nonce, error: 'Wrong name or password.' });
    }
    const name = typed;
    const limiterKey = name.normalize('NFC').toLowerCase();
    const lockedFor = signInFailures.lockedFor(limiterKey);
    if (lockedFor > 0) {
      const minutes = Math.ceil(lockedFor / 60_000);
      return showSignIn(res, 429, params, { nonce, error: `Too many failed sign-ins for this name. Try again in ${minutes} minute(s).`, name });
    }
    if (passwordChecks.busy) {
      return showSignIn(res, 503, params, { nonce, error: 'The plugin is busy checking other sign-ins. Try again in a moment.', name });
    }
    // Counted before the check: parallel attempts cannot get more checks than the limits allow.
    if (!signInFailures.begin(limiterKey)) {
      return showSignIn(res, 429, params, { nonce, error: 'Too many sign-ins for this name at the moment. Try again in a few minutes.', name });
    }
    if (!clientFailures.begin(client)) {
      signInFailures.end(limiterKey, false);
      return showSignIn(res, 429, params, { nonce, error: 'Too many sign-ins from your network at the moment. Try again in a few minutes.' });
    }
    let account: Awaited<ReturnType<typeof people.accounts.verify>>;
    try {
      account = await passwordChecks.run(() => people.accounts.verify(name, password));
    } catch (err) {
      signInFailures.end(limiterKey, false);
      clientFailures.end(client, false);
      throw err;
    }
    const nameLocked = signInFailures.end(limiterKey, !account);
    if (!account) {
      log.warn(`Google Home: failed sign-in as "${name}"${nameLocked ? '; this name is locked for 15 minutes after 5 failures' : ''}`);
      if (clientFailures.end(client, true)) logClientLock(client);
      return showSignIn(res, 401, params, { nonce, error: 'Wrong name or password.', name });
    }
    // A success does not reset the address's count (a known guest account must not reset it).
    clientFailures.end(client, false);
    signInFailures.succeed(limiterKey);
    people.check();

    const request = new OAuth2Server.Request({ headers: stringHeaders(req), method: 'POST', query: {}, body: { ...params } });
    const response = new OAuth2Server.Response();
    const user: LinkedUser = { id: account.id, name: account.name };
    let failure: unknown;
    try {
      await server.authorize(request, response, { authenticateHandler: { handle: async () => user } });
    } catch (err) {
      failure = err;
    }
    // Errors after the redirect URI was validated go back to Google with an error (the
    // library set the Location); anything without a Location ends here.
    const location = response.headers?.['location'];
    if (!location) {
      log.warn(`Google Home: sign-in could not issue a code: ${describe(failure)}`);
      return deadEnd(res, 400, 'Linking failed', 'The plugin could not complete the sign-in. Start linking again from the Google Home app.');
    }
    if (failure) log.warn(`Google Home: sign-in of ${account.name} sent back to Google with an error: ${describe(failure)}`);
    else log.info(`Google Home: ${account.name} signed in to link Google`);
    res.clearCookie(SIGN_IN_COOKIE, { path: '/' });
    res.redirect(302, location);
  });

  router.post('/oauth/token', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const grant = stringField(body, 'grant_type');
    const hasSecret = typeof body['client_secret'] === 'string' || /^Basic /i.test(req.headers.authorization ?? '');
    if (!hasSecret) {
      return sendOAuthError(res, 401, 'invalid_client', 'Client authentication is required', { 'www-authenticate': 'Basic realm="Service"' });
    }
    const request = new OAuth2Server.Request({ headers: stringHeaders(req), method: req.method, query: {}, body });
    const response = new OAuth2Server.Response();
    try {
      const token = await server.token(request, response);
      const user = token.user as LinkedUser;
      if (grant === 'authorization_code') log.info(`Google Home: linked for ${user.name}`);
      else log.debug(`Google Home: access token refreshed for ${user.name}`);
      res.set(response.headers ?? {}).status(response.status ?? 200).json(response.body);
    } catch (err) {
      if (err instanceof OAuth2Server.OAuthError) {
        const internal = err.name === 'server_error';
        if (internal) log.error(`Google Home: token endpoint failed: ${describe(err)}`);
        else log.debug(`Google Home: token request refused (${err.name}: ${err.message})`);
        // A failed client authentication is 401 however the secret was sent (the library
        // answers 400 unless it came as HTTP Basic).
        if (err.name === 'invalid_client') {
          return sendOAuthError(res, 401, 'invalid_client', err.message, { ...response.headers, 'www-authenticate': 'Basic realm="Service"' });
        }
        return sendOAuthError(res, err.code, err.name, internal ? 'Internal error' : err.message, response.headers);
      }
      throw err;
    }
  });

  /**
   * The fulfillment's token check, run for every request, so done here rather than through
   * the library's request/handler objects; the same checks and answers as its `authenticate`
   * (RFC 6750): only the Authorization header counts (no tokens in query strings or bodies),
   * the scheme name case-insensitive (RFC 7235), the token looked up in the token store
   * (hashed, its link and person still there) and its expiry checked.
   */
  const authenticate = async (header: string | undefined): Promise<Authentication> => {
    if (!header) return refused(401, 'unauthorized_request', 'Unauthorized request: no authentication given', 'Bearer realm="Service"');
    const bearer = BEARER.exec(header);
    if (!bearer) return refused(400, 'invalid_request', 'Invalid request: malformed authorization header', 'Bearer realm="Service",error="invalid_request"');
    try {
      const token = await options.model.getAccessToken(bearer[1]!);
      if (!token) return refused(401, 'invalid_token', 'Invalid token: access token is invalid', 'Bearer realm="Service",error="invalid_token"');
      if (!token.user || !(token.accessTokenExpiresAt instanceof Date)) throw new Error('getAccessToken() returned no user or expiry');
      if (token.accessTokenExpiresAt < new Date()) return refused(401, 'invalid_token', 'Invalid token: access token has expired', 'Bearer realm="Service",error="invalid_token"');
      return { user: token.user as LinkedUser };
    } catch (err) {
      log.error(`Google Home: could not check an access token: ${describe(err)}`);
      return { status: 500, error: 'server_error', description: 'Internal error' };
    }
  };

  return { router, authenticate };
}

/** RFC 6750 section 2.1: `Bearer <b64token>`; the scheme name in any case (RFC 7235). */
const BEARER = /^bearer ([0-9a-zA-Z\-._~+/]+=*)$/i;

function refused(status: number, error: string, description: string, wwwAuthenticate: string): Authentication {
  return { status, error, description, wwwAuthenticate };
}

function sendOAuthError(res: Response, status: number, error: string, description: string, headers?: Record<string, string>): void {
  if (headers) for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-type') res.setHeader(k, v);
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ error, error_description: description });
}

/**
 * The key an address is counted under: IPv4 as is, IPv6 by its /64 (one household or
 * host gets a whole /64, so counting each address apart would multiply the limit).
 */
export function clientKey(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' ? value : undefined;
}

function authorizeParams(source: unknown): AuthorizeParams | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const s = source as Record<string, unknown>;
  const client_id = stringField(s, 'client_id');
  const redirect_uri = stringField(s, 'redirect_uri');
  const state = stringField(s, 'state');
  const response_type = stringField(s, 'response_type');
  const scope = stringField(s, 'scope');
  if (client_id === undefined || redirect_uri === undefined || state === undefined || response_type === undefined) return undefined;
  return { client_id, redirect_uri, state, response_type, scope: scope === '' ? undefined : scope };
}

function stringHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers[k] = v;
    else if (Array.isArray(v)) headers[k] = v.join(', ');
  }
  return headers;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs at most `parallel` tasks at once; `busy` when `waiting` more are already queued. */
class Queue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly parallel: number,
    private readonly maxWaiting: number,
  ) {}

  get busy(): boolean {
    return this.waiting.length >= this.maxWaiting;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.parallel) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
