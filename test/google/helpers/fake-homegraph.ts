/**
 * A local stand-in for Google's HomeGraph API and its OAuth token endpoint (express on
 * 127.0.0.1, port 0). It checks what a real one would: the service account's signed JWT
 * assertion (RS256, verified with the key the test generated), the Bearer token on every
 * API call, and the shape of each body; it records every call for the test to inspect.
 */
import { generateKeyPairSync, verify as verifySignature, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';

export interface Recorded {
  at: number;
  body: Record<string, unknown>;
}

export interface FakeHomeGraph {
  /** API root for `google.homegraphUrl`. */
  url: string;
  tokenUrl: string;
  clientEmail: string;
  /** Writes a service-account key whose token_uri points here; returns its path. */
  writeKeyFile(dir: string): string;
  reports: Recorded[];
  syncs: Recorded[];
  tokensIssued: number;
  /** Anything a real HomeGraph would have refused; tests assert it stays empty. */
  problems: string[];
  /** Answer the next calls with this HTTP status (e.g. 404 for an unknown agentUserId). */
  failNext(status: number, count?: number): void;
  waitFor<T>(find: () => T | undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

function b64json(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function startFakeHomeGraph(): Promise<FakeHomeGraph> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const clientEmail = 'velux-test@velux-test-project.iam.gserviceaccount.com';
  const issued = new Set<string>();
  const reports: Recorded[] = [];
  const syncs: Recorded[] = [];
  const problems: string[] = [];
  const failures: number[] = [];
  let tokensIssued = 0;

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.post('/token', (req, res) => {
    const body = req.body as Record<string, string>;
    if (body['grant_type'] !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !body['assertion']) {
      problems.push(`token: unexpected grant ${JSON.stringify(body)}`);
      return res.status(400).json({ error: 'invalid_grant' });
    }
    const [header, payload, signature] = body['assertion'].split('.');
    const signedOk =
      header && payload && signature && verifySignature('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
    const claims = payload ? b64json(payload) : {};
    if (!signedOk || b64json(header ?? '')['alg'] !== 'RS256' || claims['iss'] !== clientEmail || !String(claims['scope']).includes('homegraph')) {
      problems.push(`token: bad assertion ${JSON.stringify(claims)}`);
      return res.status(400).json({ error: 'invalid_grant' });
    }
    const token = randomBytes(16).toString('hex');
    issued.add(token);
    tokensIssued++;
    res.json({ access_token: token, expires_in: 3600, token_type: 'Bearer' });
  });
  // Paths like `/v1/devices:requestSync` contain a colon, so route by hand.
  app.use((req, res) => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (req.method !== 'POST') return res.status(404).json({ error: { code: 404 } });
    if (!issued.has(token)) {
      problems.push(`${req.path}: missing or unknown Bearer token`);
      return res.status(401).json({ error: { code: 401, message: 'unauthenticated' } });
    }
    const failure = failures.shift();
    if (failure) return res.status(failure).json({ error: { code: failure, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.path === '/v1/devices:reportStateAndNotification') {
      const states = (body['payload'] as { devices?: { states?: unknown } } | undefined)?.devices?.states;
      if (typeof body['requestId'] !== 'string' || typeof body['agentUserId'] !== 'string' || !states || typeof states !== 'object') {
        problems.push(`report: malformed ${JSON.stringify(body)}`);
        return res.status(400).json({ error: { code: 400 } });
      }
      reports.push({ at: Date.now(), body });
      return res.json({ requestId: body['requestId'] });
    }
    if (req.path === '/v1/devices:requestSync') {
      if (typeof body['agentUserId'] !== 'string') {
        problems.push(`requestSync: malformed ${JSON.stringify(body)}`);
        return res.status(400).json({ error: { code: 400 } });
      }
      syncs.push({ at: Date.now(), body });
      return res.json({});
    }
    problems.push(`unexpected ${req.method} ${req.path}`);
    res.status(404).json({ error: { code: 404 } });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  return {
    url,
    tokenUrl: `${url}token`,
    clientEmail,
    reports,
    syncs,
    problems,
    get tokensIssued() {
      return tokensIssued;
    },
    writeKeyFile(dir) {
      const path = join(dir, 'service-account.json');
      const key = {
        type: 'service_account',
        project_id: 'velux-test-project',
        private_key_id: 'test-key-1',
        private_key: privateKey,
        client_email: clientEmail,
        client_id: '1234567890',
        token_uri: `${url}token`,
      };
      writeFileSync(path, JSON.stringify(key));
      return path;
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    async waitFor(find, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`fake HomeGraph: timed out after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
