/**
 * The privacy commands as the installed `velux-climate` program (dist/cli/main.js, spawned
 * with a pipe for stdin, so not a terminal): JSON on stdout, the refusal without --yes, and
 * an erase that waits for a running server before it writes the token file itself.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFile, googleTokensFile } from '../../src/google/paths.js';
import { AccountStore } from '../../src/google/accounts.js';
import { readTokensFile } from '../../src/google/token-store.js';
import { ensureBuilt, REPO_ROOT } from '../helpers/homebridge.js';
import { blockDir, bridgePart, personPart, pluginFilesText, populatedStorage, storedHashes, type Fixture } from './fixture.js';

const PROGRAM = join(REPO_ROOT, 'dist', 'cli', 'main.js');

function velux(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROGRAM, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    child.stdin.end(stdin);
  });
}

let fixture: Fixture;
beforeAll(async () => {
  ensureBuilt();
  fixture = await populatedStorage();
}, 120_000);
afterAll(() => rmSync(fixture.storage, { recursive: true, force: true }));

describe('velux-climate privacy (the program)', () => {
  it('exports one person and the whole bridge as JSON on stdout, without hashes', async () => {
    const person = await velux(['--storage', fixture.storage, 'privacy', 'export', '--user', 'ben']);
    expect(person.stderr).toBe('');
    expect(person.code).toBe(0);
    expect(personPart(JSON.parse(person.stdout))).toMatchObject({ scope: 'person', account: { name: 'ben', role: 'guest' } });
    const bridge = await velux(['--storage', fixture.storage, 'privacy', 'export']);
    expect(bridge.code).toBe(0);
    expect(Object.keys(bridgePart(JSON.parse(bridge.stdout)).files as object)).toContain('google-tokens.json');
    for (const h of storedHashes(fixture.storage)) {
      expect(person.stdout).not.toContain(h);
      expect(bridge.stdout).not.toContain(h);
    }
  });

  it('refuses reset without --yes when stdin is not a terminal, changing nothing', async () => {
    const result = await velux(['--storage', fixture.storage, 'privacy', 'reset'], 'yes\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('velux-climate: privacy reset changes the bridge for good: run it at a terminal to confirm, or pass --yes');
    expect(new AccountStore(accountsFile(blockDir(fixture.storage))).list()).toHaveLength(3);
  });

  it('erases a linked person: waits for a running server (there is none), then rewrites the token file itself', async () => {
    const result = await velux(['--storage', fixture.storage, 'privacy', 'erase', '--user', 'ben']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Removed their 1 Google link and tokens from google-tokens.json');
    expect(result.ms).toBeGreaterThanOrEqual(3000);
    expect(pluginFilesText(fixture.storage)).not.toContain(fixture.ids['ben']);
    const tokens = readTokensFile(googleTokensFile(blockDir(fixture.storage)));
    expect(typeof tokens === 'string' ? [] : tokens.links.map((l) => l.userId)).toEqual([fixture.ids['anna'], fixture.ids['anna']]);
  }, 20_000);
});
