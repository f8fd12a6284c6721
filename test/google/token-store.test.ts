/** The hashed token store: single-use codes, expiry by the plugin's clock, bounded size, revocation. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_MS, AUTHORIZATION_CODE_TTL_MS, GoogleTokenStore, readLinkCounts, sha256 } from '../../src/google/token-store.js';

const dir = mkdtempSync(join(tmpdir(), 'velux-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GoogleTokenStore', () => {
  it('keeps codes single use and lets them expire', () => {
    let now = 0;
    const store = new GoogleTokenStore(join(dir, 'codes.json'), () => now);
    store.saveCode('code-1', { userId: 'u-1', clientId: 'c', redirectUri: 'https://r' });
    expect(store.findCode('code-1')).toMatchObject({ userId: 'u-1', hash: sha256('code-1') });
    expect(store.useCode('code-1')).toBe(true);
    expect(store.useCode('code-1')).toBe(false);
    expect(store.findCode('code-1')).toBeUndefined();
    store.saveCode('code-2', { userId: 'u-1', clientId: 'c', redirectUri: 'https://r' });
    now += AUTHORIZATION_CODE_TTL_MS;
    expect(store.findCode('code-2')).toBeUndefined();
    expect(readFileSync(join(dir, 'codes.json'), 'utf8')).not.toContain('code-2');
  });

  it('expires access tokens, bounds them per link, and prunes on write', () => {
    let now = 0;
    const path = join(dir, 'access.json');
    const store = new GoogleTokenStore(path, () => now);
    const link = store.createLink('refresh-1', { userId: 'u-1', clientId: 'c' });
    for (let i = 0; i < 30; i++) store.saveAccessToken(`access-${i}`, { userId: 'u-1', clientId: 'c', linkId: link.id });
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { accessTokens: unknown[] };
    expect(saved.accessTokens).toHaveLength(10);
    expect(store.findAccessToken('access-29')).toBeDefined();
    expect(store.findAccessToken('access-0')).toBeUndefined();
    now += ACCESS_TOKEN_TTL_MS;
    expect(store.findAccessToken('access-29')).toBeUndefined();
    store.saveAccessToken('access-new', { userId: 'u-1', clientId: 'c', linkId: link.id });
    expect((JSON.parse(readFileSync(path, 'utf8')) as { accessTokens: unknown[] }).accessTokens).toHaveLength(1);
    // Refresh tokens do not expire.
    expect(store.findLinkByRefreshToken('refresh-1')?.id).toBe(link.id);
  });

  it('revokes a link with its access tokens, or everything of a person, and keeps few links each', () => {
    const path = join(dir, 'links.json');
    const store = new GoogleTokenStore(path, () => 0);
    const first = store.createLink('r-1', { userId: 'u-1', clientId: 'c' });
    store.saveAccessToken('a-1', { userId: 'u-1', clientId: 'c', linkId: first.id });
    expect(store.revokeLink(first.id)).toBe(true);
    expect(store.findAccessToken('a-1')).toBeUndefined();
    expect(store.findLinkByRefreshToken('r-1')).toBeUndefined();
    for (let i = 0; i < 8; i++) store.createLink(`r-u1-${i}`, { userId: 'u-1', clientId: 'c' });
    store.createLink('r-u2', { userId: 'u-2', clientId: 'c' });
    expect(readLinkCounts(path)).toEqual(new Map([['u-1', 5], ['u-2', 1]]));
    expect(store.findLinkByRefreshToken('r-u1-0')).toBeUndefined();
    expect(store.findLinkByRefreshToken('r-u1-7')).toBeDefined();
    expect(store.revokeUser('u-1')).toBe(5);
    expect(store.linkedUserIds()).toEqual(['u-2']);
    expect(readLinkCounts(join(dir, 'missing.json'))).toEqual(new Map());
  });
});
