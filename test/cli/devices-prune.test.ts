/**
 * `velux-climate devices prune` (issue 11, devices that vanish): removes the devices missing
 * from their gateway's list now instead of after deviceRemovalGraceHours. A running plugin is
 * asked over its block socket (the simulated home behind a real MQTT broker); with Homebridge
 * stopped, their records leave the home state so the next start drops their accessories.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { silentLogger } from '../../src/logger.js';
import { uiSocketPath } from '../../src/storage/paths.js';
import { UiSocketServer } from '../../src/ui/plugin-socket.js';
import { startSimRig } from '../helpers/sim-rig.js';
import { waitFor } from '../helpers/log.js';
import { blockDir, runCli } from '../privacy/fixture.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function storage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'velux-prune-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('devices prune', () => {
  it('asks the running plugin, which removes the missing devices at once and keeps the others', async () => {
    const store = storage();
    const rig = await startSimRig({ timeScale: 20, home: { removalGraceMs: 24 * 3600_000 } });
    cleanups.push(() => rig.close());
    const removed: string[] = [];
    rig.home.on('deviceRemoved', (d) => removed.push(d.key));
    const server = new UiSocketServer(uiSocketPath(blockDir(store)), rig.home, undefined, rig.log);
    expect(await server.start()).toBe(true);
    cleanups.push(() => server.stop());
    const all = rig.home.devices().map((d) => d.key);
    const gone = rig.physics.devices().filter((d) => d.type === 'window').slice(0, 2);
    expect(gone).toHaveLength(2);
    for (const d of gone) rig.emulator.removeDevice(d.id);
    const goneKeys = gone.map((d) => rig.key(d.id));
    await waitFor(() => goneKeys.every((k) => rig.home.device(k)?.missingSince !== undefined), 5000, 'the short list');
    expect(removed).toEqual([]); // the grace period holds them

    const run = await runCli(store, ['devices', 'prune']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('Removed 2 missing devices');
    expect(removed.sort()).toEqual([...goneKeys].sort());
    expect(rig.home.devices().map((d) => d.key).sort()).toEqual(all.filter((k) => !goneKeys.includes(k)).sort());
    // Nothing missing any more: a second prune removes nothing
    expect((await runCli(store, ['devices', 'prune'])).out).toContain('nothing removed');
  });

  it('with Homebridge stopped, removes the missing devices from the home state (and only them)', async () => {
    const store = storage();
    const since = Date.UTC(2026, 11, 3, 12, 0, 0);
    openHomeStateFile(blockDir(store), silentLogger).update((s) => ({
      ...s,
      gatewayIds: { gw: 'gw-id' },
      devices: {
        'gw/w1': { gatewayKey: 'gw', descriptor: { id: 'w1', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: {} } },
        'gw/w2': { gatewayKey: 'gw', descriptor: { id: 'w2', type: 'window', name: 'Loft window', features: {} }, missingSince: since },
      },
    }));
    expect(existsSync(uiSocketPath(blockDir(store)))).toBe(false);
    const run = await runCli(store, ['devices', 'prune']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/Homebridge is not running: removed 1 missing device \(gw\/w2\)/);
    const state = openHomeStateFile(blockDir(store), silentLogger).value;
    expect(Object.keys(state.devices ?? {})).toEqual(['gw/w1']);
    expect(state.gatewayIds).toEqual({ gw: 'gw-id' });
    expect((await runCli(store, ['devices', 'prune'])).out).toContain('nothing removed');
  });

  it('refuses unknown arguments, changing nothing', async () => {
    const store = storage();
    const run = await runCli(store, ['devices', 'prune', '--all']);
    expect(run.code).not.toBe(0);
    expect(run.err).toMatch(/--all/);
  });
});
