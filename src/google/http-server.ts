/**
 * The HTTP(S) server Google talks to: account linking under /oauth, fulfillment at
 * POST /smarthome. Hardened for the open internet: security headers on every answer, small
 * body limits, JSON errors without internals, a token check before a fulfillment body is
 * even read.
 *
 * Google's many fulfillment calls take a short way (`createRequestListener`): a plain
 * `POST /smarthome` with a JSON body is answered without express's router and body parser,
 * with the same answers they give (test/google/fast-path.test.ts compares both on every edge
 * case); every other request, and any fulfillment request with something unusual in its
 * headers (another content type or charset, a compressed body, no body), goes to express.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { Fulfillment } from './fulfillment.js';
import type { LinkedUser } from './oauth-model.js';
import type { OAuth } from './oauth-routes.js';
import { readSmartHomeRequest } from './request-schema.js';

/** Generous for a home's worth of device ids; Google's requests are a few kB. */
export const FULFILLMENT_BODY_LIMIT = '128kb';
const FULFILLMENT_BODY_LIMIT_BYTES = 128 * 1024;

export interface AppOptions {
  oauth: OAuth;
  fulfillment: Fulfillment;
  log: Logger;
  /** HSTS is only sent when this server itself speaks TLS. */
  tls: boolean;
  /** `google.trustProxy`: believe X-Forwarded-For from a loopback peer. Default false. */
  trustProxy?: boolean;
}

export function createApp(options: AppOptions): Express {
  const { oauth, fulfillment, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Only when the config says a reverse proxy on this machine is in front (docs/security.md)
  // is the address it forwards in X-Forwarded-For believed, and only from a loopback peer.
  // Otherwise anyone with a local connection (an SSH tunnel) could choose their address.
  app.set('trust proxy', options.trustProxy === true ? 'loopback' : false);
  app.use(securityHeaders(options.tls));

  const requireToken: RequestHandler = async (req, res, next) => {
    const auth = await oauth.authenticate(req.headers.authorization);
    if ('user' in auth) {
      res.locals['user'] = auth.user;
      return next();
    }
    if (auth.wwwAuthenticate) res.setHeader('WWW-Authenticate', auth.wwwAuthenticate);
    res.status(auth.status).json({ error: auth.error, error_description: auth.description });
  };

  // Before the account-linking routes: Google's many fulfillment calls need not pass through them.
  app.post('/smarthome', requireToken, express.json({ limit: FULFILLMENT_BODY_LIMIT }), async (req, res) => {
    const parsed = readSmartHomeRequest(req.body);
    if (!parsed.ok) {
      return res.status(400).json({ error: 'invalid_request', error_description: `not a smart home intent request (${parsed.where})` });
    }
    const person = res.locals['user'] as LinkedUser;
    res.json(await fulfillment.handle(parsed.request, person));
  });

  app.use(oauth.router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });

  const errors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; message?: unknown; stack?: unknown };
    const code = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    const status = code >= 400 && code < 500 ? code : 500;
    if (status === 500) log.error(`Google Home: ${req.method} ${req.path} failed: ${String(e.stack ?? e.message ?? err)}`);
    if (res.headersSent) return;
    if (status === 500) return void res.status(500).json({ error: 'internal_error' });
    const message = e.expose === true && typeof e.message === 'string' ? e.message : 'bad request';
    res.status(status).json({ error: typeof e.type === 'string' ? e.type : 'invalid_request', error_description: message });
  };
  app.use(errors);
  return app;
}

/** Sent with every answer; the sign-in page replaces the Content-Security-Policy with its own. */
function securityHeaderList(tls: boolean): string[] {
  return [
    'X-Content-Type-Options', 'nosniff',
    'X-Frame-Options', 'DENY',
    'Referrer-Policy', 'no-referrer',
    // Every answer but the sign-in page is data, never a document.
    'Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'Cross-Origin-Resource-Policy', 'same-origin',
    'Cache-Control', 'no-store',
    ...(tls ? ['Strict-Transport-Security', 'max-age=31536000'] : []),
  ];
}

function securityHeaders(tls: boolean): RequestHandler {
  const list = securityHeaderList(tls);
  return (_req, res, next) => {
    for (let i = 0; i < list.length; i += 2) res.setHeader(list[i]!, list[i + 1]!);
    next();
  };
}

/**
 * The server's request listener: the short way for plain fulfillment requests (see the top of
 * this file), express for everything else. `fast: false` sends everything to express (tests).
 */
export function createRequestListener(options: AppOptions & { fast?: boolean; onWay?: (way: RequestWay) => void }): RequestListener {
  const app = createApp(options);
  const { oauth, fulfillment, log, onWay } = options;
  if (options.fast === false) {
    return onWay
      ? (req, res) => {
          onWay('express');
          app(req, res);
        }
      : app;
  }
  const security = securityHeaderList(options.tls);

  const send = (res: ServerResponse, status: number, body: unknown, wwwAuthenticate?: string): void => {
    const text = JSON.stringify(body);
    const headers = [...security];
    if (wwwAuthenticate !== undefined) headers.push('WWW-Authenticate', wwwAuthenticate);
    headers.push('Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text)));
    res.writeHead(status, headers);
    res.end(text);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = await oauth.authenticate(req.headers.authorization);
    if (!('user' in auth)) return send(res, auth.status, { error: auth.error, error_description: auth.description }, auth.wwwAuthenticate);
    const body = await readJsonBody(req, FULFILLMENT_BODY_LIMIT_BYTES);
    // Gone before its body was complete: nobody to answer (express wrote to the closed socket).
    if (body === undefined) return;
    if (!body.ok) return send(res, body.status, { error: body.type, error_description: body.message });
    const parsed = readSmartHomeRequest(body.value);
    if (!parsed.ok) {
      return send(res, 400, { error: 'invalid_request', error_description: `not a smart home intent request (${parsed.where})` });
    }
    send(res, 200, await fulfillment.handle(parsed.request, auth.user));
  };

  return (req, res) => {
    const short = plainFulfillmentRequest(req);
    onWay?.(short ? 'short' : 'express');
    if (!short) return void app(req, res);
    answer(req, res).catch((err: unknown) => {
      const e = (err ?? {}) as { message?: unknown; stack?: unknown };
      log.error(`Google Home: POST /smarthome failed: ${String(e.stack ?? e.message ?? err)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal_error' });
    });
  };
}

export type RequestWay = 'short' | 'express';

/** The content types the short way reads itself; body-parser reads these as UTF-8 JSON too. */
const PLAIN_JSON = /^application\/json(?:; ?charset=utf-8)?$/i;

/**
 * A request the short way answers exactly as express would: `POST /smarthome` (this spelling;
 * express also matches other cases and a trailing slash), a body announced by Content-Length
 * or Transfer-Encoding, JSON in UTF-8, not compressed.
 */
function plainFulfillmentRequest(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (url !== '/smarthome' && !url.startsWith('/smarthome?')) return false;
  const headers = req.headers;
  if (headers['content-encoding'] !== undefined) return false;
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return false;
  const type = headers['content-type'];
  return type !== undefined && PLAIN_JSON.test(type);
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; type: string; message: string };

/**
 * Reads a UTF-8 JSON body as express.json() does: at most `limit` bytes (413 once more is
 * announced or arrives, answered after the rest has been read off), a leading byte-order mark
 * dropped, an empty body read as {}, strict JSON (an object or array; anything else is a 400
 * with JSON.parse's own message). Undefined when the client went away first.
 */
function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length']) > limit;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return resolve({ ok: false, status: 413, type: 'entity.too.large', message: 'request entity too large' });
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      resolve(parseStrictJson(text));
    });
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

/** Where the first character JSON does not count as whitespace (space, tab, LF, CR) is. */
function firstNonWhitespace(text: string): number {
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** body-parser's strict JSON: what does not start with { or [ fails with the message JSON.parse gives for that character. */
function parseStrictJson(text: string): JsonBody {
  if (text.length === 0) return { ok: true, value: {} };
  const start = firstNonWhitespace(text);
  const first = text[start];
  if (first !== '{' && first !== '[') {
    // Everything from the offending character on masked, so the message names that character
    // where JSON.parse would have accepted a number, string or literal.
    const masked = start < text.length ? text.slice(0, start) + '#'.repeat(text.length - start) : '';
    const message = jsonParseError(masked) ?? 'strict violation';
    return { ok: false, status: 400, type: 'entity.parse.failed', message: message.replace(/#+/g, (run) => text.substring(start, start + run.length)) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, status: 400, type: 'entity.parse.failed', message: err instanceof Error ? err.message : String(err) };
  }
}

function jsonParseError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface Listening {
  server: Server;
  port: number;
}

export async function listen(app: RequestListener, options: { port: number; bind: string; tls?: { cert: string; key: string } }): Promise<Listening> {
  let server: Server;
  if (options.tls) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(options.tls.cert);
      key = readFileSync(options.tls.key);
    } catch (err) {
      throw new Error(`Google Home: cannot read google.tls files: ${err instanceof Error ? err.message : String(err)}`);
    }
    server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, app);
  } else {
    server = createHttpServer(app);
  }
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Google Home: port ${options.port} on ${options.bind} is already in use; choose another google.port`
            : `Google Home: cannot listen on ${options.bind}:${options.port}: ${err.message}`,
        ),
      );
    };
    server.once('error', failed);
    server.listen(options.port, options.bind, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
