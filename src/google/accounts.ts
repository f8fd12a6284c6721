/**
 * Local accounts people sign in with when they link Google Home: one admin and at most
 * 20 guests (the vendor's limit). The CLI writes the file; the running server re-reads it
 * whenever it changed on disk, so adding, removing or re-keying someone needs no restart.
 * Passwords are stored only as scrypt hashes, each with its own salt and parameters.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { statSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { readJsonFile, writeFileAtomic } from '../storage/json-file.js';

export const MAX_GUESTS = 20;
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;

export type Role = 'admin' | 'guest';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

/** About 50-100 ms per hash on a Raspberry Pi 4 class machine; stored with each hash. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keyLength: 64 };

const PasswordHashSchema = z.object({
  algorithm: z.literal('scrypt'),
  N: z.number().int().min(2),
  r: z.number().int().min(1),
  p: z.number().int().min(1),
  keyLength: z.number().int().min(16).max(256),
  salt: z.string().min(1),
  hash: z.string().min(1),
});
export type PasswordHash = z.infer<typeof PasswordHashSchema>;

const AccountSchema = z.object({
  /** Stable and opaque: this is the person's Google `agentUserId`, never their name. */
  id: z.string().regex(/^u-[0-9a-f]{16,64}$/),
  name: z.string().min(1),
  role: z.enum(['admin', 'guest']),
  createdAt: z.string(),
  passwordChangedAt: z.string(),
  password: PasswordHashSchema,
  /**
   * Grows with every new password and every `users unlink`: Google links made in an older
   * epoch are revoked by the server (absent in files of v0.1: 0).
   */
  linkEpoch: z.number().int().min(0).optional(),
});
export type Account = z.infer<typeof AccountSchema>;

const AccountsDocumentSchema = z.object({ version: z.literal(1), accounts: z.array(AccountSchema) });
type AccountsDocument = z.infer<typeof AccountsDocumentSchema>;

/** A refusal with a message meant for the person at the keyboard. */
export class AccountError extends Error {
  override name = 'AccountError';
}

export function nameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return 'a name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit';
  }
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password can have at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, params);
  return { algorithm: 'scrypt', ...params, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scrypt(password, Buffer.from(stored.salt, 'base64'), stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function sameName(a: string, b: string): boolean {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}

export interface AccountStoreOptions {
  log?: Logger;
  /** Cost of new hashes (tests use cheap ones); existing hashes keep their own. */
  scrypt?: ScryptParams;
  now?: () => number;
}

export class AccountStore {
  private document: AccountsDocument = { version: 1, accounts: [] };
  /** Identity of the file version in memory; a rename-over gives a new inode. */
  private stamp: string | undefined;
  /** Hashed against when a name is unknown, so a wrong name costs as long as a wrong password. */
  private decoy?: Promise<PasswordHash>;
  private changes = 0;

  constructor(
    readonly path: string,
    private readonly options: AccountStoreOptions = {},
  ) {
    this.refresh();
  }

  /** Re-reads the file if it changed since the last look; true when it did. Cheap: one stat. */
  refresh(): boolean {
    const stamp = fileStamp(this.path);
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    this.document = readJsonFile(
      this.path,
      (v) => {
        const parsed = AccountsDocumentSchema.safeParse(v);
        return parsed.success ? parsed.data : undefined;
      },
      () => ({ version: 1 as const, accounts: [] }),
      this.options.log,
    ).value;
    // A file moved aside as corrupt leaves no file: remember that state, not the old stamp.
    this.stamp = fileStamp(this.path);
    this.changes++;
    return true;
  }

  /**
   * refresh() for the read paths: at most one stat per event-loop turn. One authenticated
   * fulfillment request asks three times (token check, person, account); a change made by
   * the CLI is still seen by every request that starts after it.
   */
  private refreshOncePerTurn(): void {
    if (this.checkedThisTurn) return;
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    });
    this.refresh();
  }
  private checkedThisTurn = false;

  /** Grows whenever the accounts in memory change (read from disk or written here). */
  get generation(): number {
    this.refreshOncePerTurn();
    return this.changes;
  }

  list(): readonly Account[] {
    this.refreshOncePerTurn();
    return this.document.accounts;
  }

  byId(id: string): Account | undefined {
    return this.list().find((a) => a.id === id);
  }

  byName(name: string): Account | undefined {
    return this.list().find((a) => sameName(a.name, name));
  }

  get admin(): Account | undefined {
    return this.list().find((a) => a.role === 'admin');
  }

  /**
   * Adds someone. The first account is the admin; later ones are guests (at most 20).
   * `role` only states the intent explicitly and is refused when it cannot be honoured.
   */
  async add(name: string, password: string, role?: Role): Promise<Account> {
    const problem = nameProblem(name) ?? passwordProblem(password);
    if (problem) throw new AccountError(problem);
    const hash = await hashPassword(password, this.options.scrypt);
    this.refresh();
    const accounts = this.document.accounts;
    if (accounts.some((a) => sameName(a.name, name))) throw new AccountError(`there is already an account named "${name}"`);
    const admin = accounts.find((a) => a.role === 'admin');
    let newRole: Role;
    if (!admin) {
      if (role === 'guest') throw new AccountError('the first account is the admin: add it without --guest');
      newRole = 'admin';
    } else {
      if (role === 'admin') throw new AccountError(`there is already an admin ("${admin.name}"); a home has exactly one`);
      newRole = 'guest';
      const guests = accounts.filter((a) => a.role === 'guest').length;
      if (guests >= MAX_GUESTS) {
        throw new AccountError(
          `this home already has ${MAX_GUESTS} guests, the most it can have; remove one first (velux-climate users remove <name>)`,
        );
      }
    }
    const at = new Date(this.now()).toISOString();
    const account: Account = {
      id: newAccountId(),
      name: name.normalize('NFC'),
      role: newRole,
      createdAt: at,
      passwordChangedAt: at,
      password: hash,
    };
    this.write({ ...this.document, accounts: [...accounts, account] });
    return account;
  }

  /** Removes someone; the server revokes their Google tokens when it sees the change. */
  remove(name: string): Account {
    this.refresh();
    const account = this.byName(name);
    if (!account) throw new AccountError(`there is no account named "${name}"`);
    const guests = this.document.accounts.filter((a) => a.role === 'guest');
    if (account.role === 'admin' && guests.length > 0) {
      throw new AccountError(`"${account.name}" is the admin; remove the ${guests.length} guest(s) first (the admin is the last account to go)`);
    }
    this.write({ ...this.document, accounts: this.document.accounts.filter((a) => a.id !== account.id) });
    return account;
  }

  /**
   * Gives someone a new id (their Google `agentUserId`), keeping name and password: to Google
   * they are a new person, and the server revokes every link of the old id as for a removed
   * account (`privacy reset` when moving house).
   */
  renewId(name: string): Account {
    this.refresh();
    const account = this.byName(name);
    if (!account) throw new AccountError(`there is no account named "${name}"`);
    const renewed: Account = { ...account, id: newAccountId() };
    this.write({ ...this.document, accounts: this.document.accounts.map((a) => (a.id === account.id ? renewed : a)) });
    return renewed;
  }

  /** Ends every Google link of a person (the server revokes them when it sees the change); they can link again. */
  unlink(name: string): Account {
    this.refresh();
    const account = this.byName(name);
    if (!account) throw new AccountError(`there is no account named "${name}"`);
    const updated: Account = { ...account, linkEpoch: (account.linkEpoch ?? 0) + 1 };
    this.write({ ...this.document, accounts: this.document.accounts.map((a) => (a.id === account.id ? updated : a)) });
    return updated;
  }

  async setPassword(name: string, password: string): Promise<Account> {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError(problem);
    const hash = await hashPassword(password, this.options.scrypt);
    this.refresh();
    const account = this.byName(name);
    if (!account) throw new AccountError(`there is no account named "${name}"`);
    // A new password also ends every Google link made with the old one.
    const updated: Account = { ...account, password: hash, passwordChangedAt: new Date(this.now()).toISOString(), linkEpoch: (account.linkEpoch ?? 0) + 1 };
    this.write({ ...this.document, accounts: this.document.accounts.map((a) => (a.id === account.id ? updated : a)) });
    return updated;
  }

  /** The account when name and password match, else undefined (in about the same time either way). */
  async verify(name: string, password: string): Promise<Account | undefined> {
    const account = this.byName(name);
    if (!account) {
      this.decoy ??= hashPassword('decoy password', this.options.scrypt ?? DEFAULT_SCRYPT);
      await verifyPassword(password, await this.decoy);
      return undefined;
    }
    return (await verifyPassword(password, account.password)) ? account : undefined;
  }

  private write(document: AccountsDocument): void {
    writeFileAtomic(this.path, `${JSON.stringify(document, null, 2)}\n`);
    this.document = document;
    this.stamp = fileStamp(this.path);
    this.changes++;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function newAccountId(): string {
  return `u-${randomBytes(12).toString('hex')}`;
}

function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}
