/**
 * The plugin's UI pages with several platform blocks: the server part lists the blocks, and
 * after a pick Rooms, People, Privacy and Gateways work on the picked block's folder (real
 * files, the CLI's own code; the page's picker calls these two routes).
 */
import { describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/google/accounts.js';
import { accountsFile } from '../../src/google/paths.js';
import { pluginStorageDir } from '../../src/storage/paths.js';
import { createUiHandlers } from '../../src/ui/server.js';
import { twoBlockStorage, tempFolders } from '../helpers/two-blocks.js';
import { TEST_SCRYPT } from '../privacy/fixture.js';

const dirs = tempFolders();

async function twoBlocks(): Promise<string> {
  return twoBlockStorage(dirs, 'velux-ui-blocks-', async (dir, id) => {
    const accounts = new AccountStore(accountsFile(dir), { scrypt: TEST_SCRYPT });
    await accounts.add(`admin-${id}`, 'a-long-password');
  });
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
