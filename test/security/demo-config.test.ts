/**
 * `npm start` writes the demo's Homebridge config.json, which holds the demo's Google client
 * secret and PIN: only its owner may read it (0600), also when an older, wider file is there.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, freePort, REPO_ROOT } from '../helpers/homebridge.js';

let storage: string;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => rmSync(storage, { recursive: true, force: true }));

async function configModeAfterStart(): Promise<number> {
  const file = join(storage, 'config.json');
  const ports = ['--mqtt-port', '--hap-port', '--google-port'];
  const args = [join(REPO_ROOT, 'dist', 'demo', 'main.js'), '--storage', storage];
  for (const flag of ports) args.push(flag, String(await freePort()));
  // Its own process group, so the demo and whatever it started are stopped together.
  const child = spawn(process.execPath, args, { stdio: 'ignore', detached: true });
  try {
    const before = existsSync(file) ? statSync(file).mtimeMs : 0;
    const deadline = Date.now() + 30_000;
    while (!(existsSync(file) && statSync(file).mtimeMs !== before)) {
      if (Date.now() > deadline) throw new Error('the demo did not write config.json within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    return statSync(file).mode & 0o777;
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  }
}

describe('the demo', () => {
  it('writes config.json (with the client secret) readable by its owner only', async () => {
    storage = mkdtempSync(join(tmpdir(), 'velux-demo-'));
    expect(await configModeAfterStart()).toBe(0o600);
  }, 60_000);

  it('narrows an older config.json that others could read', async () => {
    storage = mkdtempSync(join(tmpdir(), 'velux-demo-'));
    writeFileSync(join(storage, 'config.json'), '{}\n');
    chmodSync(join(storage, 'config.json'), 0o644);
    await new Promise((r) => setTimeout(r, 20));
    expect(await configModeAfterStart()).toBe(0o600);
  }, 60_000);
});
