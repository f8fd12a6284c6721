/**
 * The plugin's UI pages with several platform blocks: the server part lists the blocks, and
 * after a pick Rooms, People, Privacy and Gateways work on the picked block's folder (real
 * files, the CLI's own code; the page's picker calls these two routes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/google/accounts.js';
import { accountsFile } from '../../src/google/paths.js';
import { pluginStorageDir } from '../../src/storage/paths.js';
import { createUiHandlers } from '../../src/ui/server.js';
import { TEST_SCRYPT } from '../privacy/fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function twoBlocks(): Promise<string> {
  const storage = mkdtempSync(join(tmpdir(), 'velux-ui-blocks-'));
  dirs.push(storage);
  writeFileSync(
    join(storage, 'config.json'),
    JSON.stringify({
      bridge: {},
      platforms: [
        { platform: 'VeluxClimate', name: 'Upstairs', id: 'upstairs', gateways: [] },
        { platform: 'VeluxClimate', name: 'Barn', id: 'barn', gateways: [] },
      ],
    }),
  );
  for (const id of ['upstairs', 'barn']) {
    const accounts = new AccountStore(accountsFile(pluginStorageDir(storage, id)), { scrypt: TEST_SCRYPT });
    await accounts.add(`admin-${id}`, 'a-long-password');
  }
  return storage;
}

const names = (users: unknown) => (users as Array<{ name: string }>).map((u) => u.name);

describe('the UI pages with several platform blocks', () => {
  it('lists the blocks, shows the first until another is picked, then works on the picked one', async () => {
    const storage = await twoBlocks();
    const ui = createUiHandlers({ storagePath: storage, scrypt: TEST_SCRYPT });
    expect(await ui['/blocks']({})).toEqual({ blocks: [{ id: 'upstairs', name: 'Upstairs' }, { id: 'barn', name: 'Barn' }], selected: 'upstairs' });
    expect(names(await ui['/users']({}))).toEqual(['admin-upstairs']);

    expect(await ui['/blocks/select']({ id: 'barn' })).toMatchObject({ selected: 'barn' });
    expect(names(await ui['/users']({}))).toEqual(['admin-barn']);
    expect(((await ui['/privacy/inventory']({})) as { folder: string }).folder).toBe(pluginStorageDir(storage, 'barn'));
    await ui['/users/add']({ name: 'guest', password: 'guest-password', role: 'guest' });
    expect(names(await ui['/users']({}))).toEqual(['admin-barn', 'guest']);
    expect(new AccountStore(accountsFile(pluginStorageDir(storage, 'upstairs'))).list().map((a) => a.name)).toEqual(['admin-upstairs']);
    // No plugin runs for the block: the live state says so (from the picked block's socket path)
    expect(await ui['/state']({})).toMatchObject({ running: false, offline: expect.stringContaining('not running') });
  });

  it('refuses a block that does not exist and keeps the pick', async () => {
    const storage = await twoBlocks();
    const ui = createUiHandlers({ storagePath: storage, scrypt: TEST_SCRYPT });
    await ui['/blocks/select']({ id: 'barn' });
    await expect(ui['/blocks/select']({ id: 'cellar' })).rejects.toThrow('there is no block "cellar"');
    await expect(ui['/blocks/select']({})).rejects.toThrow('the block is missing');
    expect(((await ui['/blocks']({})) as { selected: string }).selected).toBe('barn');
  });
});
