/**
 * Upgrading from v0.1: a storage folder written by v0.1 (test/fixtures/v0.1-storage, made by
 * its generate.mjs from v0.1's own code) keeps every HomeKit accessory UUID and every Google
 * device id, and the user's settings, under the current code. A gateway whose base topic
 * changed but which reports the same id of its own keeps them too (home/identity.ts).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformAccessory } from 'homebridge';
import { PlatformAccessory as PlatformAccessoryClass } from '../../node_modules/homebridge/dist/platformAccessory.js';
import { googleEntities } from '../../src/google/mapping.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { startFixture, type Fixture } from '../homekit/fixture.js';
import { recordingLogger } from '../helpers/log.js';

const FIXTURE = new URL('../fixtures/v0.1-storage/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURE), 'utf8')) as { homekit: Record<string, string>; google: string[] };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startFromV01(baseTopic: string): Promise<{ f: Fixture; storage: string }> {
  const storage = mkdtempSync(join(tmpdir(), 'velux-upgrade-'));
  cleanups.push(() => rmSync(storage, { recursive: true, force: true }));
  cpSync(new URL('storage/', FIXTURE), storage, { recursive: true });
  const cached = (JSON.parse(readFileSync(join(storage, 'accessories', 'cachedAccessories'), 'utf8')) as unknown[]).map(
    (entry) => PlatformAccessoryClass.deserialize(entry as Parameters<typeof PlatformAccessoryClass.deserialize>[0]) as unknown as PlatformAccessory,
  );
  const state = openHomeStateFile(storage, recordingLogger());
  const f = await startFixture({ baseTopic, gatewayId: 'sim-gateway', cached, persisted: state.value });
  cleanups.push(() => f.close());
  // Let the registry settle (removals of stale accessories and late registrations).
  await new Promise((r) => setTimeout(r, 500));
  return { f, storage };
}

function homekitView(f: Fixture): Record<string, string> {
  return Object.fromEntries([...f.bridge.accessories.values()].map((a) => [a.displayName, a.UUID]).sort());
}

describe('upgrade from a v0.1 storage folder', () => {
  it('keeps every HomeKit UUID, every Google device id and the room switches', async () => {
    const { f } = await startFromV01('velux');
    expect(Object.keys(expected.homekit).length).toBeGreaterThan(10);
    expect(homekitView(f)).toEqual(expected.homekit);
    expect(f.bridge.registerCalls).toBe(0); // nothing new appeared in the Home app
    expect(googleEntities(f.home).map((e) => e.id).sort()).toEqual(expected.google);
    expect(f.home.roomClimate('Bathroom').enabled).toBe(false);
  });

  it('keeps them when the gateway moves to another base topic but reports the same id', async () => {
    const { f } = await startFromV01('velux-moved');
    expect(homekitView(f)).toEqual(expected.homekit);
    expect(googleEntities(f.home).map((e) => e.id).sort()).toEqual(expected.google);
    expect(f.home.device('velux/kitchen-window')?.gatewayKey).toBe('velux-moved');
    expect(f.log.text('info')).toContain('Home: recognised as the gateway formerly at "velux" (same id "sim-gateway"); its devices keep their identities');
    expect(f.persisted.keyPrefixes).toEqual({ 'velux-moved': 'velux' });
    expect(f.persisted.gatewayIds).toEqual({ 'velux-moved': 'sim-gateway' });
  });
});
