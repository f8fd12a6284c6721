/**
 * When the plugin publishes on Matter: only where Homebridge offers `api.matter` AND has Matter
 * enabled for this bridge, and the config does not say `"matter": false`. On Homebridge 1.8 (no
 * `api.matter`, no `isMatterEnabled`) nothing happens and nothing fails.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { API, Logging, PlatformConfig } from 'homebridge';
import { afterEach, describe, expect, it } from 'vitest';
import { HomebridgeAPI } from '../../node_modules/homebridge/dist/api.js';
import { matterAvailable } from '../../src/matter/index.js';
import { VeluxClimatePlatform } from '../../src/platform.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logger(): Logging & { lines: string[] } {
  const lines: string[] = [];
  const log = ((m: string) => lines.push(m)) as unknown as Logging & { lines: string[] };
  for (const level of ['info', 'warn', 'error', 'debug', 'success'] as const) (log as unknown as Record<string, unknown>)[level] = (m: string) => lines.push(`${level}: ${m}`);
  log.lines = lines;
  return log;
}

/** An API object shaped like Homebridge 1.8's: no `matter`, no `isMatterEnabled`. */
function homebridge18(storage: string): API {
  const api = new EventEmitter() as unknown as API & Record<string, unknown>;
  Object.assign(api, { version: 2.7, serverVersion: '1.8.5', user: { storagePath: () => storage }, hap: new HomebridgeAPI().hap });
  Object.assign(api, { registerPlatformAccessories() {}, unregisterPlatformAccessories() {}, updatePlatformAccessories() {} });
  return api;
}

const config = {
  platform: 'VeluxClimate',
  name: 'VELUX',
  gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1', baseTopic: 'velux' }],
  climate: { enabled: false },
} as unknown as PlatformConfig;

describe('Matter availability', () => {
  it('is off on Homebridge 1.8 (no api.matter) and on a Homebridge 2 bridge without bridge.matter', () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-matter-'));
    dirs.push(storage);
    expect(matterAvailable(homebridge18(storage))).toBe(false);
    const hb2 = new HomebridgeAPI() as unknown as API;
    expect(hb2.matter).toBeUndefined();
    expect(matterAvailable(hb2)).toBe(false);
  });

  it('is on only when api.matter exists and isMatterEnabled() says so', () => {
    const fake = (enabled: boolean) => ({ matter: {}, isMatterEnabled: () => enabled }) as unknown as API;
    expect(matterAvailable(fake(true))).toBe(true);
    expect(matterAvailable(fake(false))).toBe(false);
  });

  it('starts and stops on a Homebridge 1.8 API without any Matter call or error', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-matter-'));
    dirs.push(storage);
    const api = homebridge18(storage);
    const log = logger();
    const platform = new VeluxClimatePlatform(log, config, api);
    expect('configureMatterAccessory' in platform).toBe(true);
    (api as unknown as EventEmitter).emit('didFinishLaunching');
    await new Promise((r) => setTimeout(r, 100));
    (api as unknown as EventEmitter).emit('shutdown');
    await new Promise((r) => setTimeout(r, 100));
    expect(log.lines.filter((l) => l.startsWith('error') || /matter/i.test(l))).toEqual([]);
  });

  it('does not publish when the config says "matter": false, even where Matter is enabled', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-matter-'));
    dirs.push(storage);
    const api = homebridge18(storage) as API & Record<string, unknown>;
    const calls: string[] = [];
    const matter = new Proxy({}, { get: (_t, key) => (calls.push(String(key)), () => Promise.resolve(undefined)) });
    Object.assign(api, { matter, isMatterEnabled: () => true });
    new VeluxClimatePlatform(logger(), { ...config, matter: false } as PlatformConfig, api);
    (api as unknown as EventEmitter).emit('didFinishLaunching');
    await new Promise((r) => setTimeout(r, 100));
    (api as unknown as EventEmitter).emit('shutdown');
    expect(calls).toEqual([]);
  });
});
