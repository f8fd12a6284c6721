/**
 * The `velux-climate users` commands: through `main()` with scripted input and output, and
 * as the real program (dist/cli/main.js, spawned with piped stdin), including the limit of 20
 * guests and a running server seeing changes without a restart.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { CliError, PipedLines, promptHidden, type CliIo } from '../../src/cli/io.js';
import { AccountStore, MAX_GUESTS } from '../../src/google/accounts.js';
import { GoogleHome } from '../../src/google/index.js';
import { accountsFile } from '../../src/google/paths.js';
import { Home } from '../../src/home/model.js';
import { silentLogger } from '../../src/logger.js';
import { fulfill, googleConfig, intents, link, TEST_SCRYPT } from './helpers/bed.js';
import { blockDir } from '../privacy/fixture.js';
import { ensureBuilt } from '../helpers/homebridge.js';

const ROOT = resolve(import.meta.dirname, '../..');

function scriptedIo(secrets: string[], interactive = false): CliIo & { out: string; err: string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const io = {
    out: '',
    err: '',
    stdout,
    stderr,
    interactive,
    async readSecret() {
      const next = secrets.shift();
      if (next === undefined) throw new CliError('expected the password on stdin (one line), but stdin ended');
      return next;
    },
  };
  stdout.on('data', (c: Buffer) => (io.out += c.toString()));
  stderr.on('data', (c: Buffer) => (io.err += c.toString()));
  return io;
}

async function run(storage: string, args: string[], secrets: string[] = [], interactive = false) {
  const io = scriptedIo(secrets, interactive);
  const code = await main(['--storage', storage, ...args], io, { scrypt: TEST_SCRYPT });
  return { code, out: io.out, err: io.err };
}

let storage: string;
beforeAll(() => {
  storage = mkdtempSync(join(tmpdir(), 'velux-cli-'));
});
afterAll(() => rmSync(storage, { recursive: true, force: true }));

describe('users, through main()', () => {
  it('makes the first account the admin and later ones guests', async () => {
    const first = await run(storage, ['users', 'add', 'anna'], ['anna-password']);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('anna as the admin');
    const second = await run(storage, ['users', 'add', 'ben'], ['ben-password']);
    expect(second.out).toContain('ben as a guest (1 of 20 guest places used)');
    const store = new AccountStore(accountsFile(blockDir(storage)));
    expect(store.list().map((a) => [a.name, a.role])).toEqual([
      ['anna', 'admin'],
      ['ben', 'guest'],
    ]);
    const file = readFileSync(accountsFile(blockDir(storage)), 'utf8');
    expect(file).not.toContain('anna-password');
    expect(file).toContain('"algorithm": "scrypt"');
    expect(statSync(accountsFile(blockDir(storage))).mode & 0o077).toBe(0);
  });

  it('refuses what it cannot do, with a clear message', async () => {
    expect(await run(storage, ['users', 'add', 'Anna'], ['x-password'])).toMatchObject({ code: 1, err: expect.stringContaining('already an account named "Anna"') });
    expect(await run(storage, ['users', 'add', 'carl', '--admin'], ['carl-password'])).toMatchObject({ code: 1, err: expect.stringContaining('already an admin ("anna")') });
    expect(await run(storage, ['users', 'add', 'carl'], ['short'])).toMatchObject({ code: 1, err: expect.stringContaining('at least 8 characters') });
    expect(await run(storage, ['users', 'add', 'bad name'], ['carl-password'])).toMatchObject({ code: 1, err: expect.stringContaining('a name is 1 to 64') });
    expect(await run(storage, ['users', 'add', 'carl'], [])).toMatchObject({ code: 1, err: expect.stringContaining('stdin') });
    expect(await run(storage, ['users', 'add', 'carl', '--frobnicate'], ['carl-password'])).toMatchObject({ code: 2 });
    expect(await run(storage, ['users', 'remove', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('no account named "nobody"') });
    expect(await run(storage, ['users', 'remove', 'anna'])).toMatchObject({ code: 1, err: expect.stringContaining('remove the 1 guest(s) first') });
    expect(await run(storage, ['users', 'frob'])).toMatchObject({ code: 2 });
    expect(await run(storage, ['frob'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "frob"') });
    // A person typing must type the same password twice.
    expect(await run(storage, ['users', 'add', 'carl'], ['carl-password', 'carl-passw0rd'], true)).toMatchObject({ code: 1, err: expect.stringContaining('differ') });
    expect(new AccountStore(accountsFile(blockDir(storage))).byName('carl')).toBeUndefined();
  });

  it('refuses the 21st guest, and takes one again after a removal', async () => {
    for (let i = 2; i <= MAX_GUESTS; i++) expect((await run(storage, ['users', 'add', `guest${i}`, '--guest'], [`password-${i}`])).code).toBe(0);
    const full = await run(storage, ['users', 'add', 'one-too-many'], ['password-21']);
    expect(full.code).toBe(1);
    expect(full.err).toContain('already has 20 guests, the most it can have; remove one first');
    expect(new AccountStore(accountsFile(blockDir(storage))).list()).toHaveLength(21);
    expect((await run(storage, ['users', 'remove', 'guest20'])).code).toBe(0);
    expect((await run(storage, ['users', 'add', 'one-more'], ['password-22'])).code).toBe(0);
    expect((await run(storage, ['users', 'list'])).out).toContain('20 of 20 guest places used');
  });

  it('lists accounts as a table and as JSON, and changes passwords', async () => {
    const table = await run(storage, ['users', 'list']);
    expect(table.out).toMatch(/^NAME\s+ROLE\s+GOOGLE\s+CREATED$/m);
    expect(table.out).toMatch(/^anna\s+admin\s+-\s+\d{4}-\d{2}-\d{2}$/m);
    const json = JSON.parse((await run(storage, ['users', 'list', '--json'])).out) as Array<{ name: string; role: string; googleLinks: number }>;
    expect(json[0]).toMatchObject({ name: 'anna', role: 'admin', googleLinks: 0 });
    expect(JSON.stringify(json)).not.toContain('scrypt');
    const passwd = await run(storage, ['users', 'passwd', 'ben'], ['new-ben-password']);
    expect(passwd.code).toBe(0);
    expect(passwd.out).toContain('Their existing Google Home links stop working');
    const unlink = await run(storage, ['users', 'unlink', 'ben']);
    expect(unlink).toMatchObject({ code: 0, out: expect.stringContaining('Ended the Google Home links of ben') });
    expect(new AccountStore(accountsFile(blockDir(storage))).byName('ben')?.linkEpoch).toBe(2);
    const store = new AccountStore(accountsFile(blockDir(storage)));
    expect(await store.verify('ben', 'new-ben-password')).toBeDefined();
    expect(await store.verify('ben', 'ben-password')).toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)('called in-process as root on storage owned by someone else, refuses instead of changing identity', async () => {
    // The installed program switches to the owner instead (test/security/cli-root.test.ts).
    const owned = mkdtempSync(join(tmpdir(), 'velux-cli-owner-'));
    try {
      chownSync(owned, 4321, 4321);
      const refused = await run(owned, ['users', 'add', 'root-made'], ['root-password']);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/belongs to uid 4321: run the velux-climate program/);
      expect(existsSync(blockDir(owned))).toBe(false);
      expect(process.getuid?.()).toBe(0);
    } finally {
      rmSync(owned, { recursive: true, force: true });
    }
  });

  it('refuses an empty --storage= instead of using the current folder', async () => {
    const io = scriptedIo([]);
    expect(await main(['--storage=', 'users', 'list'], io)).toBe(2);
    expect(io.err).toContain('missing directory after --storage=');
  });

  it('prints help with every command group', async () => {
    const io = scriptedIo([]);
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toContain('velux-climate users add <name> [--guest | --admin]');
    expect(io.out).toContain('--storage <dir>');
  });

  it('prompts at a terminal without echo', async () => {
    const fakeTty = () => {
      const stream = new PassThrough() as PassThrough & { isRaw: boolean; setRawMode(raw: boolean): unknown };
      stream.isRaw = false;
      stream.setRawMode = (raw: boolean) => (stream.isRaw = raw);
      return stream;
    };
    const input = fakeTty();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c: Buffer) => (shown += c.toString()));
    const typed = promptHidden('Password: ', input as unknown as NodeJS.ReadStream, output);
    input.write('secr\u007fet pass\r');
    expect(await typed).toBe('secet pass');
    expect(shown).toBe('Password: \n');
    expect(input.isRaw).toBe(false);
    const tty = fakeTty();
    const cancelled = promptHidden('Password: ', tty as unknown as NodeJS.ReadStream, output);
    tty.write('ab\u0003');
    await expect(cancelled).rejects.toMatchObject({ exitCode: 130 });
  });

  it('reads one password per line from a pipe', async () => {
    const stream = new PassThrough();
    const lines = new PipedLines(stream);
    stream.write('first pass\r\nsecond');
    setTimeout(() => stream.end(' pass\n'), 10);
    expect(await lines.next()).toBe('first pass');
    expect(await lines.next()).toBe('second pass');
    expect(await lines.next()).toBeUndefined();
  });
});

describe('the velux-climate program', () => {
  // The program as shipped (package.json "bin"): `npm test` builds dist/ in its pretest step,
  // ensureBuilt() covers running this file alone. (It used to compile its own copy here, a
  // type-checked tsc run that alone took 20 s on a quiet machine and over the hook's 120 s
  // limit on a loaded one.)
  const program = join(ROOT, 'dist', 'cli', 'main.js');
  let dir: string;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'velux-cli-bin-'));
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function spawnCli(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, [program, '--storage', dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolveRun({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it('starts with a node shebang', () => {
    expect(readFileSync(program, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('takes passwords from stdin, and a running server sees the change at once', async () => {
    const home = new Home({ log: silentLogger });
    const google = new GoogleHome({ home, log: silentLogger, config: googleConfig(), storageDir: blockDir(dir), tuning: { scrypt: TEST_SCRYPT } });
    const { url } = await google.start();
    try {
      expect(await spawnCli(['users', 'add', 'dora'], 'dora-password-1\n')).toMatchObject({ code: 0, stdout: expect.stringContaining('dora as the admin') });
      expect(await spawnCli(['users', 'add', 'emil', '--guest'], 'emil-password-1')).toMatchObject({ code: 0 });
      const tokens = await link(url, 'emil', 'emil-password-1');
      expect((await fulfill(url, tokens.access_token, intents.sync())).status).toBe(200);
      const listed = await spawnCli(['users', 'list'], '');
      expect(listed.stdout).toMatch(/^emil\s+guest\s+linked/m);
      expect(await spawnCli(['users', 'passwd', 'emil'], 'emil-password-2\n')).toMatchObject({ code: 0 });
      await expect(link(url, 'emil', 'emil-password-2')).resolves.toBeDefined();
      expect(await spawnCli(['users', 'remove', 'emil'], '')).toMatchObject({ code: 0, stdout: expect.stringContaining('Removed emil') });
      expect((await fulfill(url, tokens.access_token, intents.sync())).status).toBe(401);
      const missing = await spawnCli(['users', 'add', 'fred'], '');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('velux-climate: expected the password on stdin');
    } finally {
      await google.stop();
    }
    // Six program starts, four of them hashing with the real scrypt cost: slow on a loaded machine.
  }, 90_000);
});
