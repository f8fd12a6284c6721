/**
 * `google.tls`: the server speaks HTTPS with the configured certificate and sends HSTS.
 * The certificate is made with the openssl command (skipped where it is missing).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GoogleHome } from '../../src/google/index.js';
import { Home } from '../../src/home/model.js';
import { silentLogger } from '../../src/logger.js';
import { googleConfig } from './helpers/bed.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function get(url: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'velux-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(hasOpenssl())('HTTPS', () => {
  it('serves over TLS with HSTS, and not over plain HTTP', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const google = new GoogleHome({ home: new Home({ log: silentLogger }), log: silentLogger, config: googleConfig({ tls: { cert, key } }), storageDir: dir });
    const { url, port } = await google.start();
    try {
      expect(url).toBe(`https://127.0.0.1:${port}`);
      const res = await get(`${url}/nothing`);
      expect(res.status).toBe(404);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      await expect(fetch(`http://127.0.0.1:${port}/nothing`)).rejects.toThrow();
    } finally {
      await google.stop();
    }
  });

  it('names the file it cannot read', async () => {
    const google = new GoogleHome({ home: new Home({ log: silentLogger }), log: silentLogger, config: googleConfig({ tls: { cert: join(dir, 'missing.pem'), key: join(dir, 'missing.pem') } }), storageDir: dir });
    await expect(google.start()).rejects.toThrow(/google\.tls.*missing\.pem/);
  });
});

it('refuses to start when Google is switched off', async () => {
  const google = new GoogleHome({ home: new Home({ log: silentLogger }), log: silentLogger, config: googleConfig({ enabled: false }), storageDir: dir });
  await expect(google.start()).rejects.toThrow(/google\.enabled/);
});
