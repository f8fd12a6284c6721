/**
 * The HTTP(S) server Google talks to: account linking under /oauth, fulfillment at
 * POST /smarthome. Hardened for the open internet: security headers on every answer, small
 * body limits, JSON errors without internals, a token check before a fulfillment body is
 * even read.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
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
    const auth = await oauth.authenticate(req);
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

function securityHeaders(tls: boolean): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // Every answer but the sign-in page (which sets its own) is data, never a document.
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}

export interface Listening {
  server: Server;
  port: number;
}

export async function listen(app: Express, options: { port: number; bind: string; tls?: { cert: string; key: string } }): Promise<Listening> {
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
