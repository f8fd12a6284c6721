/**
 * `sudo velux-climate ...` (docs/security.md "Running the CLI as root"): the installed
 * program, run as root on a storage directory that belongs to an unprivileged user, becomes
 * that user before it touches a file, and refuses a plugin folder or file that is a symbolic
 * link. Runs only as root (as in CI and this workspace); the storage belongs to `nobody`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/homebridge.js';

const PROGRAM = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

function velux(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROGRAM, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let base: string;
/** A storage directory owned by `nobody`, inside a folder everyone may enter. */
function nobodysStorage(): string {
  base = mkdtempSync(join(tmpdir(), 'velux-root-'));
  chmodSync(base, 0o755);
  const storage = join(base, 'storage');
  mkdirSync(storage, { mode: 0o755 });
  chownSync(storage, NOBODY, NOBODY);
  return storage;
}
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe.runIf(asRoot)('velux-climate run as root', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('refuses a plugin folder that is a symbolic link to a root-owned folder, and never hands it over', async () => {
    const storage = nobodysStorage();
    const target = join(base, 'etc-like');
    mkdirSync(target, { mode: 0o755 });
    writeFileSync(join(target, 'passwd'), 'root:x:0:0\n', { mode: 0o644 });
    symlinkSync(target, join(storage, 'velux-climate'));
    lchownSync(join(storage, 'velux-climate'), NOBODY, NOBODY);

    for (const args of [['users', 'add', 'anna'], ['privacy', 'reset', '--yes'], ['users', 'list']]) {
      const run = await velux(['--storage', storage, ...args], 'anna-password\n');
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr).toMatch(/velux-climate is a symbolic link; refusing to use it/);
    }
    expect(statSync(target)).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(join(target, 'passwd'))).toMatchObject({ uid: 0, gid: 0 });
    expect(readdirSync(target)).toEqual(['passwd']);
  });

  it('refuses a plugin file that is a symbolic link', async () => {
    const storage = nobodysStorage();
    const secret = join(base, 'secret.json');
    writeFileSync(secret, '{"version":1,"accounts":[]}\n', { mode: 0o644 });
    mkdirSync(join(storage, 'velux-climate', 'default'), { recursive: true, mode: 0o700 });
    chownSync(join(storage, 'velux-climate'), NOBODY, NOBODY);
    chownSync(join(storage, 'velux-climate', 'default'), NOBODY, NOBODY);
    symlinkSync(secret, join(storage, 'velux-climate', 'default', 'accounts.json'));
    const run = await velux(['--storage', storage, 'users', 'add', 'anna'], 'anna-password\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/default\/accounts\.json is a symbolic link; refusing to use it/);
    // The same link in a storage folder of v0.1/v0.2 (files directly in velux-climate/).
    rmSync(join(storage, 'velux-climate', 'default'), { recursive: true });
    symlinkSync(secret, join(storage, 'velux-climate', 'accounts.json'));
    const old = await velux(['--storage', storage, 'users', 'add', 'anna'], 'anna-password\n');
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/velux-climate\/accounts\.json is a symbolic link; refusing to use it/);
    expect(statSync(secret)).toMatchObject({ uid: 0, gid: 0 });
    expect(readFileSync(secret, 'utf8')).toBe('{"version":1,"accounts":[]}\n');
  });

  it("works as the storage owner: what it writes is theirs (folder 0700, files 0600), and it cannot do more than they can", async () => {
    const storage = nobodysStorage();
    const run = await velux(['--storage', storage, 'users', 'add', 'anna'], 'anna-password\n');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(join(storage, 'velux-climate'))).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(join(storage, 'velux-climate')).mode & 0o777).toBe(0o700);
    const dir = join(storage, 'velux-climate', 'default');
    expect(statSync(dir)).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'accounts.json'))).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(join(dir, 'accounts.json')).mode & 0o777).toBe(0o600);

    // A plugin folder only root may write: root could, the storage owner cannot, so the program is not root.
    const locked = nobodysStorage();
    mkdirSync(join(locked, 'velux-climate'), { mode: 0o755 });
    const refused = await velux(['--storage', locked, 'users', 'add', 'ben'], 'ben-password\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/EACCES|permission denied/i);
    expect(existsSync(join(locked, 'velux-climate', 'default', 'accounts.json'))).toBe(false);
  });
});
