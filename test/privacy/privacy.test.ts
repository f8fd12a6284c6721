/**
 * `velux-climate privacy export|erase|reset` against a storage directory the plugin's own
 * modules filled: what is exported (and never: hashes), that erase leaves nothing of the
 * person (with and without a running Google endpoint), and what reset removes and keeps.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openClimateStore } from '../../src/climate/store.js';
import { AccountStore } from '../../src/google/accounts.js';
import { GoogleHome } from '../../src/google/index.js';
import { accountsFile, googleTokensFile } from '../../src/google/paths.js';
import { GoogleTokenStore, readTokensFile } from '../../src/google/token-store.js';
import { Home } from '../../src/home/model.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { silentLogger } from '../../src/logger.js';
import { fulfill, googleConfig, intents, link } from '../google/helpers/bed.js';
import { blockDir, bridgePart, personPart, pluginFilesText, populatedStorage, runCli, storedHashes, TEST_SCRYPT, type Fixture } from './fixture.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await populatedStorage();
});
afterEach(() => rmSync(fixture.storage, { recursive: true, force: true }));

const tokensOf = (storage: string) => {
  const doc = readTokensFile(googleTokensFile(blockDir(storage)));
  if (typeof doc === 'string') throw new Error(`google-tokens.json is ${doc}`);
  return doc;
};

describe('privacy export --user', () => {
  it('shows the account, its links and tokens as dates, and says that hashes exist without showing them', async () => {
    const { code, out, err } = await runCli(fixture.storage, ['privacy', 'export', '--user', 'Anna']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const data = personPart(JSON.parse(out)) as unknown as {
      scope: string;
      account: Record<string, unknown>;
      google: { links: Array<{ id: string; createdAt: string; lastUsedAt: string; accessTokens: Array<{ expiresAt: string }> }>; pendingAuthorizationCodes: unknown[] };
    };
    expect(data.scope).toBe('person');
    expect(data.account).toMatchObject({ name: 'anna', role: 'admin', id: fixture.ids['anna'] });
    expect(String(data.account['password'])).toMatch(/scrypt hash of the password is stored \(not shown\)/);
    expect(data.google.links).toHaveLength(2);
    for (const l of data.google.links) {
      expect(l.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(l.lastUsedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(l.accessTokens).toHaveLength(1);
      expect(Date.parse(l.accessTokens[0]?.expiresAt ?? '')).toBeGreaterThan(Date.now());
    }
    // Only anna's: ben's link and code are not in her export.
    const tokens = tokensOf(fixture.storage);
    const bensLink = tokens.links.find((l) => l.userId === fixture.ids['ben']);
    expect(out).not.toContain(bensLink?.id);
    expect(out).not.toContain(fixture.ids['ben']);
    expect(data.google.pendingAuthorizationCodes).toEqual([]);
    // No hash, salt or secret of any kind.
    const hashes = storedHashes(fixture.storage);
    expect(hashes.length).toBeGreaterThan(8);
    for (const h of hashes) expect(out).not.toContain(h);
    for (const s of fixture.secrets.byName['anna'] ?? []) expect(out).not.toContain(s);
    expect(out).not.toContain('anna-password');
  });

  it("shows a guest's pending authorization code by its expiry", async () => {
    const data = personPart(JSON.parse((await runCli(fixture.storage, ['privacy', 'export', '--user', 'ben'])).out)) as unknown as {
      google: { links: unknown[]; pendingAuthorizationCodes: Array<{ expiresAt: string; redirectUri: string; code: string }> };
    };
    expect(data.google.links).toHaveLength(1);
    expect(data.google.pendingAuthorizationCodes).toEqual([
      { expiresAt: expect.stringMatching(/^\d{4}-/), redirectUri: expect.stringContaining('oauth-redirect.googleusercontent.com'), code: expect.stringContaining('hash is stored (not shown)') },
    ]);
  });

  it('refuses an unknown name', async () => {
    expect(await runCli(fixture.storage, ['privacy', 'export', '--user', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('no account named "nobody"') });
  });
});

describe('privacy export (the whole bridge)', () => {
  it('copies every plugin file with hashes redacted, and only our accessories from the cache', async () => {
    // An earlier corrupt accounts file moved aside by the plugin: described, never printed.
    writeFileSync(join(blockDir(fixture.storage), 'accounts.json.corrupt-2025-01-01T00-00-00-000Z'), '{"accounts":[{"password":{"hash":"c29tZS1vbGQtaGFzaA=="');
    const { code, out } = await runCli(fixture.storage, ['privacy', 'export']);
    expect(code).toBe(0);
    const data = bridgePart(JSON.parse(out)) as unknown as { scope: string; files: Record<string, unknown>; homebridgeAccessoryCache: Record<string, Array<{ plugin: string }>> };
    expect(data.scope).toBe('bridge');
    expect(Object.keys(data.files).sort()).toEqual([
      'accounts.json',
      'accounts.json.corrupt-2025-01-01T00-00-00-000Z',
      'climate-history.json',
      'climate-state.json',
      'google-tokens.json',
      'home-state.json',
      'sensor-history.json',
    ]);
    const accounts = data.files['accounts.json'] as { accounts: Array<{ name: string; password: unknown }> };
    expect(accounts.accounts.map((a) => a.name)).toEqual(['anna', 'ben', 'carl']);
    for (const a of accounts.accounts) expect(a.password).toBe('[hash]');
    const tokens = data.files['google-tokens.json'] as { links: Array<{ refreshHash: string; userId: string }>; accessTokens: Array<{ hash: string }>; codes: Array<{ hash: string }> };
    expect(tokens.links).toHaveLength(3);
    for (const r of [...tokens.links.map((l) => l.refreshHash), ...tokens.accessTokens.map((t) => t.hash), ...tokens.codes.map((c) => c.hash)]) expect(r).toBe('[hash]');
    expect(data.files['home-state.json']).toEqual({ virtualAway: true, roomClimateEnabled: { Kitchen: false, Attic: true }, gatewayIds: { velux: 'gw-1234' } });
    expect(data.files['climate-history.json']).toHaveLength(2);
    expect(data.files['climate-state.json']).toMatchObject({ away: true });
    expect(data.files['sensor-history.json']).toMatchObject({ series: { 'gw/kitchen-sensor': { room: 'Kitchen', co2: [1320] } } });
    expect(data.files['accounts.json.corrupt-2025-01-01T00-00-00-000Z']).toMatchObject({ unreadable: expect.stringContaining('not shown') });
    expect(out).not.toContain('c29tZS1vbGQtaGFzaA==');
    for (const h of storedHashes(fixture.storage)) expect(out).not.toContain(h);
    expect(data.homebridgeAccessoryCache).toEqual({ 'accessories/cachedAccessories': [expect.objectContaining({ plugin: 'homebridge-velux-climate', displayName: 'Kitchen window' })] });
  });

  it('never prints a secret from another JSON file someone put into the folder', async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
    writeFileSync(join(blockDir(fixture.storage), 'homegraph-key.json'), JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: key, nested: { clientSecret: 'a-client-secret-123456' } }));
    const { out } = await runCli(fixture.storage, ['privacy', 'export']);
    const data = bridgePart(JSON.parse(out)) as unknown as { files: Record<string, unknown> };
    expect(data.files['homegraph-key.json']).toEqual({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: '[secret]', nested: { clientSecret: '[secret]' } });
    expect(out).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
    expect(out).not.toContain('a-client-secret-123456');
  });

  it('is an empty export for a bridge that stored nothing', async () => {
    const empty = join(fixture.storage, 'empty');
    mkdirSync(empty);
    const data = bridgePart(JSON.parse((await runCli(empty, ['privacy', 'export'])).out)) as unknown as { files: object; homebridgeAccessoryCache: object };
    expect(data.files).toEqual({});
    expect(data.homebridgeAccessoryCache).toEqual({});
  });
});

describe('privacy erase --user', () => {
  it('removes the account, links, tokens and codes when no Homebridge runs (after waiting for one)', async () => {
    const benId = fixture.ids['ben'] ?? '';
    // A leftover of an account removed while nothing ran: not ben's, not this command's business.
    new GoogleTokenStore(googleTokensFile(blockDir(fixture.storage)), Date.now).createLink('old-refresh-token', { userId: 'u-0000000000000000', clientId: 'c', scope: undefined });
    const bensHashes = tokensOf(fixture.storage)
      .links.filter((l) => l.userId === benId)
      .map((l) => l.refreshHash);
    const { code, out, ms } = await runCli(fixture.storage, ['privacy', 'erase', '--user', 'ben'], { serverWaitMs: 300 });
    expect(code).toBe(0);
    expect(out).toContain('Removed the account of ben');
    expect(out).toContain('Removed their 1 Google link and tokens from google-tokens.json');
    expect(tokensOf(fixture.storage).links.filter((l) => l.userId === 'u-0000000000000000')).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(300); // it gave a running server its chance first
    const text = pluginFilesText(fixture.storage);
    expect(text).not.toContain(benId);
    expect(text).not.toContain('"ben"');
    for (const h of bensHashes) expect(text).not.toContain(h);
    // Everyone else is untouched.
    const tokens = tokensOf(fixture.storage);
    expect(tokens.links.filter((l) => l.userId === fixture.ids['anna'])).toHaveLength(2);
    expect(tokens.accessTokens.filter((t) => t.userId === fixture.ids['anna'])).toHaveLength(2);
    expect(new AccountStore(accountsFile(blockDir(fixture.storage))).list().map((a) => a.name)).toEqual(['anna', 'carl']);
  });

  it('for someone never linked, removes the account without waiting', async () => {
    const { code, out, ms } = await runCli(fixture.storage, ['privacy', 'erase', '--user', 'carl'], { serverWaitMs: 5000 });
    expect(code).toBe(0);
    expect(out).toContain('They had no Google links or tokens');
    expect(ms).toBeLessThan(2000);
    expect(pluginFilesText(fixture.storage)).not.toContain(fixture.ids['carl']);
  });

  it('while the Google endpoint runs: the server revokes the tokens itself, and they stop working at once', async () => {
    const home = new Home({ log: silentLogger });
    const google = new GoogleHome({ home, log: silentLogger, config: googleConfig(), storageDir: blockDir(fixture.storage), tuning: { scrypt: TEST_SCRYPT } });
    const { url } = await google.start();
    try {
      const ben = await link(url, 'ben', 'ben-password');
      const anna = await link(url, 'anna', 'anna-password');
      expect((await fulfill(url, ben.access_token, intents.sync())).status).toBe(200);
      const { code, out } = await runCli(fixture.storage, ['privacy', 'erase', '--user', 'ben'], { serverWaitMs: 3000 });
      expect(code).toBe(0);
      expect(out).toContain('The running Homebridge revoked their 2 Google links and tokens');
      expect((await fulfill(url, ben.access_token, intents.sync())).status).toBe(401);
      expect((await fulfill(url, anna.access_token, intents.sync())).status).toBe(200);
      const text = pluginFilesText(fixture.storage);
      expect(text).not.toContain(fixture.ids['ben']);
      // The server's next writes (anna's use above) did not bring anything of ben back.
      expect(tokensOf(fixture.storage).links.filter((l) => l.userId === fixture.ids['anna'])).toHaveLength(3);
    } finally {
      await google.stop();
    }
  });

  it('refuses the admin while guests remain, and unknown names', async () => {
    expect(await runCli(fixture.storage, ['privacy', 'erase', '--user', 'anna'])).toMatchObject({ code: 1, err: expect.stringContaining('remove the 2 guest(s) first') });
    expect(await runCli(fixture.storage, ['privacy', 'erase', '--user', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('no account named "nobody"') });
    expect(await runCli(fixture.storage, ['privacy', 'erase'])).toMatchObject({ code: 2 });
    expect(new AccountStore(accountsFile(blockDir(fixture.storage))).list()).toHaveLength(3);
  });

  it('reports a token file it cannot read instead of claiming success', async () => {
    writeFileSync(googleTokensFile(blockDir(fixture.storage)), '{ not json');
    const result = await runCli(fixture.storage, ['privacy', 'erase', '--user', 'ben']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('cannot be read, so it may still hold token hashes');
    expect(readFileSync(googleTokensFile(blockDir(fixture.storage)), 'utf8')).toBe('{ not json'); // never moved aside by the CLI
  });
});

describe('privacy reset', () => {
  const expectUntouched = (storage: string) => {
    expect(new AccountStore(accountsFile(blockDir(storage))).list()).toHaveLength(3);
    expect(tokensOf(storage).links).toHaveLength(3);
    expect(openHomeStateFile(blockDir(storage), silentLogger).value.virtualAway).toBe(true);
  };

  it('needs --yes when nobody can confirm, and a "yes" typed at a terminal', async () => {
    const piped = await runCli(fixture.storage, ['privacy', 'reset']);
    expect(piped).toMatchObject({ code: 2, err: expect.stringContaining('pass --yes') });
    expectUntouched(fixture.storage);
    const declined = await runCli(fixture.storage, ['privacy', 'reset'], { interactive: true, answers: ['n'] });
    expect(declined.code).toBe(1);
    expect(declined.questions).toHaveLength(1);
    expect(declined.out).toContain('Nothing was changed');
    expectUntouched(fixture.storage);
    const confirmed = await runCli(fixture.storage, ['privacy', 'reset'], { interactive: true, answers: ['yes'] });
    expect(confirmed.code).toBe(0);
    expect(new AccountStore(accountsFile(blockDir(fixture.storage))).list().map((a) => a.name)).toEqual(['anna']);
  });

  it('removes guests, links, tokens, climate history and memory, departure and room switches; keeps the admin as a new person', async () => {
    const dir = blockDir(fixture.storage);
    writeFileSync(join(dir, 'google-tokens.json.corrupt-2025-01-01T00-00-00-000Z'), 'old');
    writeFileSync(join(dir, '.climate-history.json.123.456.tmp'), '[]');
    const oldIds = Object.values(fixture.ids);
    const { code, out } = await runCli(fixture.storage, ['privacy', 'reset', '--yes']);
    expect(code).toBe(0);
    expect(out).toContain('2 guest accounts (ben, carl)');
    expect(out).toContain('removed google-tokens.json, climate-state.json, climate-history.json, sensor-history.json, departure mode and room switches from home-state.json');
    expect(out).toContain('removed 2 leftover files');
    // What else to reset, for the person moving out.
    expect(out).toMatch(/remove the bridge in the Home app/);
    expect(out).toMatch(/persist\/ and accessories\/ folders/);
    expect(out).toMatch(/Google Cloud project/);
    expect(out).toMatch(/gateway/);

    const accounts = new AccountStore(accountsFile(blockDir(fixture.storage)), { scrypt: TEST_SCRYPT });
    expect(accounts.list()).toHaveLength(1);
    const admin = accounts.admin;
    expect(admin?.name).toBe('anna');
    expect(oldIds).not.toContain(admin?.id);
    expect(await accounts.verify('anna', 'anna-password')).toBeDefined();
    expect(existsSync(googleTokensFile(blockDir(fixture.storage)))).toBe(false);
    const text = pluginFilesText(fixture.storage);
    for (const id of oldIds) expect(text).not.toContain(id);
    expect(text).not.toContain('Kitchen');
    // The plugin's own modules start from their defaults; the gateway ids (HomeKit identities) stay.
    expect(openHomeStateFile(blockDir(fixture.storage), silentLogger).value).toEqual({ virtualAway: false, roomClimateEnabled: {}, gatewayIds: { velux: 'gw-1234' } });
    const climate = openClimateStore(blockDir(fixture.storage), silentLogger);
    expect(climate.history).toEqual([]);
    expect(climate.memory).toEqual({ rooms: {}, devices: {} });
  });

  describe('refuses while Homebridge seems to run', () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    it('something answers on the bridge port from config.json', async () => {
      server = createServer((s) => s.destroy());
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      writeFileSync(join(fixture.storage, 'config.json'), JSON.stringify({ bridge: { port, pin: '031-45-154' }, platforms: [] }));
      const result = await runCli(fixture.storage, ['privacy', 'reset', '--yes']);
      expect(result.code).toBe(1);
      expect(result.err).toContain(`Homebridge seems to be running (something answers on the bridge port ${port})`);
      expectUntouched(fixture.storage);
      // Once it is stopped, reset goes ahead.
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server = undefined;
      expect((await runCli(fixture.storage, ['privacy', 'reset', '--yes'])).code).toBe(0);
    });

    it("the plugin's Google endpoint answers", async () => {
      const home = new Home({ log: silentLogger });
      const google = new GoogleHome({ home, log: silentLogger, config: googleConfig(), storageDir: blockDir(fixture.storage), tuning: { scrypt: TEST_SCRYPT } });
      const { port } = await google.start();
      try {
        writeFileSync(
          join(fixture.storage, 'config.json'),
          JSON.stringify({ bridge: {}, platforms: [{ platform: 'VeluxClimate', google: { enabled: true, port, bind: '127.0.0.1' } }] }),
        );
        const result = await runCli(fixture.storage, ['privacy', 'reset', '--yes']);
        expect(result.code).toBe(1);
        expect(result.err).toContain(`the Google endpoint 127.0.0.1:${port}`);
      } finally {
        await google.stop();
      }
      expectUntouched(fixture.storage);
    });
  });
});

describe('help', () => {
  it('lists the privacy commands', async () => {
    const { out } = await runCli(fixture.storage, ['--help']);
    expect(out).toContain('velux-climate privacy export [--user <name>]');
    expect(out).toContain('velux-climate privacy erase --user <name>');
    expect(out).toContain('velux-climate privacy reset [--yes]');
  });
});
