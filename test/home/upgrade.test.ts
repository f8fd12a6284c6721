/**
 * Upgrading from v0.1: a storage folder written by v0.1 (test/fixtures/v0.1-storage, made by
 * its generate.mjs from v0.1's own code) keeps every HomeKit accessory UUID and every Google
 * device id, and the user's settings, under the current code. A gateway whose base topic
 * changed but which reports the same id of its own keeps them too (home/identity.ts).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformAccessory } from 'homebridge';
import { PlatformAccessory as PlatformAccessoryClass } from '../../node_modules/homebridge/dist/platformAccessory.js';
import { googleEntities } from '../../src/google/mapping.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { blocksOfConfig, openBlockStorage } from '../../src/storage/blocks.js';
import { pluginStorageDir } from '../../src/storage/paths.js';
import { startFixture, type Fixture } from '../homekit/fixture.js';
import { recordingLogger } from '../helpers/log.js';

const FIXTURE = new URL('../fixtures/v0.1-storage/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURE), 'utf8')) as { homekit: Record<string, string>; google: string[] };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function v01Storage(): string {
  const storage = mkdtempSync(join(tmpdir(), 'velux-upgrade-'));
  cleanups.push(() => rmSync(storage, { recursive: true, force: true }));
  cpSync(new URL('storage/', FIXTURE), storage, { recursive: true });
  return storage;
}

/** config.json with VeluxClimate blocks of these ids (undefined = no `id`). */
function writeConfig(storage: string, ids: Array<string | undefined>, names?: string[]): string {
  const path = join(storage, 'config.json');
  const platforms = ids.map((id, i) => ({ platform: 'VeluxClimate', name: names?.[i] ?? `Block ${i}`, ...(id ? { id } : {}), gateways: [] }));
  writeFileSync(path, JSON.stringify({ bridge: {}, platforms: [{ platform: 'Other' }, ...platforms] }));
  return path;
}

async function startFromV01(baseTopic: string, blockId = 'default', storage = v01Storage()): Promise<{ f: Fixture; storage: string }> {
  // What the platform does first: settle this block's folder (moving the v0.1 files into it).
  const { dir } = openBlockStorage(storage, join(storage, 'config.json'), blockId, recordingLogger());
  const cached = (JSON.parse(readFileSync(join(storage, 'accessories', 'cachedAccessories'), 'utf8')) as unknown[]).map(
    (entry) => PlatformAccessoryClass.deserialize(entry as Parameters<typeof PlatformAccessoryClass.deserialize>[0]) as unknown as PlatformAccessory,
  );
  const state = openHomeStateFile(dir, recordingLogger());
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

  it('moves the v0.1 folder into the first block of several, once; the other block keeps the gateway ids', async () => {
    const storage = v01Storage();
    const config = writeConfig(storage, ['upstairs', 'barn']);
    const log = recordingLogger();
    // The second block (another child bridge) starts first: it takes nothing.
    expect(openBlockStorage(storage, config, 'barn', log).dir).toBe(pluginStorageDir(storage, 'barn'));
    expect(existsSync(join(storage, 'velux-climate', 'home-state.json'))).toBe(true);
    const { f } = await startFromV01('velux', 'upstairs', storage);
    expect(homekitView(f)).toEqual(expected.homekit);
    expect(googleEntities(f.home).map((e) => e.id).sort()).toEqual(expected.google);
    expect(f.home.roomClimate('Bathroom').enabled).toBe(false);
    expect(readdirSync(join(storage, 'velux-climate')).sort()).toEqual(['barn', 'upstairs']);
    expect(openHomeStateFile(pluginStorageDir(storage, 'barn'), log).value.gatewayIds).toEqual({ velux: 'sim-gateway' });
    expect(readdirSync(pluginStorageDir(storage, 'upstairs'))).toEqual(['home-state.json']);
    // Once: a second start moves nothing and logs nothing.
    const again = recordingLogger();
    openBlockStorage(storage, config, 'upstairs', again);
    expect(again.lines).toEqual([]);
    expect(openHomeStateFile(pluginStorageDir(storage, 'upstairs'), again).value.roomClimateEnabled).toEqual({ Bathroom: false });
  });

  it('gives the later blocks a copy of the gateway ids when they have no folder yet', () => {
    const storage = v01Storage();
    const config = writeConfig(storage, [undefined, 'barn']);
    const log = recordingLogger();
    openBlockStorage(storage, config, 'default', log);
    expect(log.text('info')).toEqual([expect.stringContaining('Moved the plugin\'s files (1)')]);
    expect(openHomeStateFile(pluginStorageDir(storage, 'barn'), log).value).toEqual({ virtualAway: false, roomClimateEnabled: {}, gatewayIds: { velux: 'sim-gateway' } });
    expect(openHomeStateFile(pluginStorageDir(storage, 'default'), log).value.roomClimateEnabled).toEqual({ Bathroom: false });
  });

  it('finishes a move that a crash interrupted, losing nothing', () => {
    const storage = v01Storage();
    const root = join(storage, 'velux-climate');
    writeFileSync(join(root, 'climate-state.json'), '{"rooms":{},"devices":{}}');
    // Killed after moving one file of two into the hidden folder.
    mkdirSync(join(root, '.incoming-default'));
    renameSync(join(root, 'home-state.json'), join(root, '.incoming-default', 'home-state.json'));
    openBlockStorage(storage, join(storage, 'config.json'), 'default', recordingLogger());
    expect(readdirSync(root)).toEqual(['default']);
    expect(readdirSync(pluginStorageDir(storage, 'default')).sort()).toEqual(['climate-state.json', 'home-state.json']);
    expect(openHomeStateFile(pluginStorageDir(storage, 'default'), recordingLogger()).value.gatewayIds).toEqual({ velux: 'sim-gateway' });
  });

  it('refuses a block id that another block uses too, naming both blocks, and moves nothing', () => {
    const storage = v01Storage();
    const config = writeConfig(storage, ['barn', 'barn']);
    expect(() => openBlockStorage(storage, config, 'barn', recordingLogger())).toThrow(/2 VeluxClimate blocks \("Block 0", "Block 1"\) use the storage id "barn".*give each block its own "id"/);
    expect(existsSync(join(storage, 'velux-climate', 'home-state.json'))).toBe(true);
  });

  it('keeps a v0.1 configuration of several blocks without ids working: the first is "default", the others are named by their names', async () => {
    expect(blocksOfConfig({ platforms: [{ platform: 'VeluxClimate', name: 'Main' }, { platform: 'VeluxClimate', name: 'Barn Windows' }, { platform: 'VeluxClimate', name: 'X', id: 'x' }, { platform: 'VeluxClimate', name: 'Été 2!' }] }).map((b) => b.id)).toEqual([
      'default',
      'barn-windows',
      'x',
      'ete-2',
    ]);
    const storage = v01Storage();
    const config = writeConfig(storage, [undefined, undefined]);
    const log = recordingLogger();
    // The second block (its own child bridge) may start first: it takes nothing, and gets the gateway ids.
    expect(openBlockStorage(storage, config, { name: 'Block 1' }, log).dir).toBe(pluginStorageDir(storage, 'block-1'));
    expect(existsSync(join(storage, 'velux-climate', 'home-state.json'))).toBe(true);
    expect(openBlockStorage(storage, config, { name: 'Block 0' }, log).dir).toBe(pluginStorageDir(storage, 'default'));
    expect(readdirSync(join(storage, 'velux-climate')).sort()).toEqual(['block-1', 'default']);
    expect(openHomeStateFile(pluginStorageDir(storage, 'default'), log).value.roomClimateEnabled).toEqual({ Bathroom: false });
    // The first block keeps every HomeKit UUID and Google id
    const { f } = await startFromV01('velux', 'default', storage);
    expect(homekitView(f)).toEqual(expected.homekit);
    expect(googleEntities(f.home).map((e) => e.id).sort()).toEqual(expected.google);
  });

  it('refuses blocks without an id that share a name (which is which cannot be told), moving nothing', () => {
    const storage = v01Storage();
    const config = writeConfig(storage, [undefined, undefined], ['VELUX', 'VELUX']);
    expect(() => openBlockStorage(storage, config, { name: 'VELUX' }, recordingLogger())).toThrow(/2 VeluxClimate blocks without an "id" are named "VELUX".*give each of them its own "id"/);
    expect(existsSync(join(storage, 'velux-climate', 'home-state.json'))).toBe(true);
  });
});
