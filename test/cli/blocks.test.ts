/**
 * Several platform blocks in one storage directory: the CLI works on one block (`--block`, or
 * the only one; a clear error listing them otherwise), and `privacy` covers every block.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openClimateStore } from '../../src/climate/store.js';
import { AccountStore } from '../../src/google/accounts.js';
import { accountsFile } from '../../src/google/paths.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { silentLogger } from '../../src/logger.js';
import { pluginStorageDir } from '../../src/storage/paths.js';
import { twoBlockStorage, tempFolders } from '../helpers/two-blocks.js';
import { runCli, TEST_SCRYPT } from '../privacy/fixture.js';

const dirs = tempFolders();

/** Two blocks, "upstairs" and "barn", each with its own accounts and climate files. */
async function twoBlocks(): Promise<string> {
  return twoBlockStorage(dirs, 'velux-blocks-', async (dir, id) => {
    const accounts = new AccountStore(accountsFile(dir), { scrypt: TEST_SCRYPT });
    await accounts.add('anna', 'anna-password');
    await accounts.add(`guest-${id}`, 'guest-password', 'guest');
    openHomeStateFile(dir, silentLogger).update(() => ({ virtualAway: true, roomClimateEnabled: {}, gatewayIds: { [`gw-${id}`]: id } }));
    openClimateStore(dir, silentLogger).saveHistory([{ at: Date.now(), room: id, text: `${id}: something` } as never]);
  });
}

const names = (storage: string, id: string) => new AccountStore(accountsFile(pluginStorageDir(storage, id))).list().map((a) => a.name);

describe('--block', () => {
  it('is needed with several blocks: the error lists them', async () => {
    const storage = await twoBlocks();
    const run = await runCli(storage, ['users', 'list']);
    expect(run.code).toBe(2);
    expect(run.err).toBe('velux-climate: this storage has 2 VeluxClimate blocks; choose one with --block <id>: upstairs ("Upstairs"), barn ("Barn")\n');
    expect((await runCli(storage, ['--block', 'attic', 'users', 'list'])).err).toContain('there is no block "attic"; the blocks are: upstairs ("Upstairs"), barn ("Barn")');
  });

  it('chooses the block whose files a command reads and writes', async () => {
    const storage = await twoBlocks();
    const run = await runCli(storage, ['--block', 'barn', 'users', 'add', 'carl', '--guest'], { secrets: ['carl-password'] });
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(names(storage, 'barn')).toEqual(['anna', 'guest-barn', 'carl']);
    expect(names(storage, 'upstairs')).toEqual(['anna', 'guest-upstairs']);
    const history = await runCli(storage, ['--block=upstairs', 'climate', 'history']);
    expect(history.out).toContain('upstairs: something');
    expect(history.out).not.toContain('barn');
  });

  it('is the only block when there is one, with or without an id', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-blocks-'));
    dirs.push(storage);
    writeFileSync(join(storage, 'config.json'), JSON.stringify({ platforms: [{ platform: 'VeluxClimate', id: 'loft', gateways: [] }] }));
    expect(await runCli(storage, ['users', 'add', 'anna'], { secrets: ['anna-password'] })).toMatchObject({ code: 0 });
    expect(names(storage, 'loft')).toEqual(['anna']);
  });
});

describe('privacy with several blocks', () => {
  it('export covers every block, or the one --block names', async () => {
    const storage = await twoBlocks();
    const all = JSON.parse((await runCli(storage, ['privacy', 'export'])).out) as { blocks: Record<string, { name: string; files: Record<string, unknown> }> };
    expect(Object.keys(all.blocks)).toEqual(['upstairs', 'barn']);
    expect(all.blocks['barn']?.name).toBe('Barn');
    expect(all.blocks['barn']?.files['home-state.json']).toMatchObject({ gatewayIds: { 'gw-barn': 'barn' } });
    const one = JSON.parse((await runCli(storage, ['--block', 'barn', 'privacy', 'export'])).out) as { blocks: object };
    expect(Object.keys(one.blocks)).toEqual(['barn']);
    const person = JSON.parse((await runCli(storage, ['privacy', 'export', '--user', 'anna'])).out) as { blocks: Array<{ block: string }> };
    expect(person.blocks.map((b) => b.block)).toEqual(['upstairs', 'barn']);
  });

  it('erase removes the person in every block that has them, and refuses the admin of any block with guests before changing anything', async () => {
    const storage = await twoBlocks();
    const admin = await runCli(storage, ['privacy', 'erase', '--user', 'anna']);
    expect(admin.code).toBe(1);
    expect(admin.err).toContain('"anna" is the admin of block upstairs; remove the 1 guest(s) first');
    expect(names(storage, 'upstairs')).toContain('anna');
    expect(names(storage, 'barn')).toContain('anna');

    expect(await runCli(storage, ['privacy', 'erase', '--user', 'guest-barn'])).toMatchObject({ code: 0, out: expect.stringContaining('Removed the account of guest-barn in block barn') });
    expect(names(storage, 'barn')).toEqual(['anna']);
    await runCli(storage, ['--block', 'upstairs', 'users', 'remove', 'guest-upstairs']);
    const both = await runCli(storage, ['privacy', 'erase', '--user', 'anna']);
    expect(both.code).toBe(0);
    expect(both.out.match(/Removed the account of anna in block/g)).toHaveLength(2);
    expect(names(storage, 'upstairs')).toEqual([]);
    expect(names(storage, 'barn')).toEqual([]);
  });

  it('reset resets every block unless --block names one', async () => {
    const storage = await twoBlocks();
    const one = await runCli(storage, ['--block', 'barn', 'privacy', 'reset', '--yes']);
    expect(one.code).toBe(0);
    expect(existsSync(join(pluginStorageDir(storage, 'barn'), 'climate-history.json'))).toBe(false);
    expect(existsSync(join(pluginStorageDir(storage, 'upstairs'), 'climate-history.json'))).toBe(true);
    expect(names(storage, 'upstairs')).toEqual(['anna', 'guest-upstairs']);
    const all = await runCli(storage, ['privacy', 'reset', '--yes']);
    expect(all.out).toContain('block upstairs:');
    expect(all.out).toContain('block barn:');
    for (const id of ['upstairs', 'barn']) {
      expect(readdirSync(pluginStorageDir(storage, id)).sort()).toEqual(['accounts.json', 'home-state.json']);
      expect(names(storage, id)).toEqual(['anna']);
      expect(openHomeStateFile(pluginStorageDir(storage, id), silentLogger).value).toEqual({ virtualAway: false, roomClimateEnabled: {}, gatewayIds: { [`gw-${id}`]: id } });
    }
  });

  it('uses a v0.1/v0.2 folder that Homebridge has not moved yet as the first block (moving nothing itself)', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-blocks-'));
    dirs.push(storage);
    await new AccountStore(join(storage, 'velux-climate', 'accounts.json'), { scrypt: TEST_SCRYPT }).add('anna', 'anna-password');
    const run = await runCli(storage, ['users', 'add', 'ben', '--guest'], { secrets: ['ben-password'] });
    expect(run.code).toBe(0);
    expect(readdirSync(join(storage, 'velux-climate'))).toEqual(['accounts.json']);
    expect(new AccountStore(join(storage, 'velux-climate', 'accounts.json')).list().map((a) => a.name)).toEqual(['anna', 'ben']);
  });
});

describe('devices list', () => {
  it("lists a block's devices with their gateway and since when a missing one is missing", async () => {
    const storage = await twoBlocks();
    const since = Date.UTC(2026, 11, 3, 12, 0, 0);
    openHomeStateFile(pluginStorageDir(storage, 'barn'), silentLogger).update((s) => ({
      ...s,
      devices: {
        'gw-barn/w1': { gatewayKey: 'gw-barn', descriptor: { id: 'w1', type: 'window', name: 'Barn window', room: 'Barn', features: {} } },
        'gw-barn/w2': { gatewayKey: 'gw-barn', descriptor: { id: 'w2', type: 'window', name: 'Loft window', features: {} }, missingSince: since },
      },
    }));
    const run = await runCli(storage, ['--block', 'barn', 'devices', 'list', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual([
      { key: 'gw-barn/w1', name: 'Barn window', type: 'window', room: 'Barn', gateway: 'gw-barn', missingSince: null },
      { key: 'gw-barn/w2', name: 'Loft window', type: 'window', room: '', gateway: 'gw-barn', missingSince: '2026-12-03T12:00:00.000Z' },
    ]);
    const table = await runCli(storage, ['--block', 'barn', 'devices', 'list']);
    expect(table.out).toMatch(/gw-barn\/w2 +Loft window +window +- +gw-barn +2026-12-03T12:00:00.000Z/);
    expect((await runCli(storage, ['--block', 'upstairs', 'devices', 'list'])).out).toContain('No devices recorded yet');
  });
});
