/**
 * `velux-climate users add|list|remove|passwd`: the local accounts people sign in with to
 * link Google Home (one admin, at most 20 guests). A running Homebridge sees every change
 * at once (it re-reads the file when it changed); removing someone ends their Google link.
 */
import { parseArgs } from 'node:util';
import { AccountStore, MAX_GUESTS, passwordProblem, type Account } from '../google/accounts.js';
import { accountsFile, googleTokensFile } from '../google/paths.js';
import { readLinkCounts } from '../google/token-store.js';
import { contextBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

export const usersGroup: CommandGroup = {
  name: 'users',
  summary: 'local accounts for linking Google Home (one admin, up to 20 guests)',
  usage: ['users add <name> [--guest | --admin]', 'users list [--json]', 'users remove <name>', 'users passwd <name>', 'users unlink <name>'],
  async run(args, context) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'add':
        return add(rest, context);
      case 'list':
        return list(rest, context);
      case 'remove':
        return remove(rest, context);
      case 'passwd':
        return passwd(rest, context);
      case 'unlink':
        return unlink(rest, context);
      default:
        throw new CliError(`users: expected add, list, remove, passwd or unlink${sub ? `, not "${sub}"` : ''}`, 2);
    }
  },
};

function store(context: CliContext): AccountStore {
  return new AccountStore(accountsFile(contextBlock(context).dir), { scrypt: context.scrypt });
}

function oneName(args: string[], command: string, flags: Record<string, { type: 'boolean' }> = {}) {
  const { positionals, values } = parseArgs({ args, options: flags, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !positionals[0]) throw new CliError(`usage: velux-climate users ${command} <name>`, 2);
  return { name: positionals[0], values: values as Record<string, boolean | undefined> };
}

/** A new password: typed twice at a terminal, or one line from a pipe. */
async function newPassword(context: CliContext, name: string): Promise<string> {
  const { io } = context;
  const password = await io.readSecret(`Password for ${name}: `);
  const problem = passwordProblem(password);
  if (problem) throw new CliError(problem);
  if (io.interactive) {
    const again = await io.readSecret('Repeat the password: ');
    if (again !== password) throw new CliError('the two passwords differ; nothing was changed');
  }
  return password;
}

async function add(args: string[], context: CliContext): Promise<number> {
  const { name, values } = oneName(args, 'add <name> [--guest | --admin]', { guest: { type: 'boolean' }, admin: { type: 'boolean' } });
  if (values['guest'] && values['admin']) throw new CliError('choose --guest or --admin, not both', 2);
  const accounts = store(context);
  const role = values['admin'] ? 'admin' : values['guest'] ? 'guest' : undefined;
  // Refuse before asking for a password when the answer is already known.
  if (accounts.byName(name)) throw new CliError(`there is already an account named "${name}"`);
  const guests = accounts.list().filter((a) => a.role === 'guest').length;
  if (accounts.admin && role !== 'admin' && guests >= MAX_GUESTS) {
    throw new CliError(`this home already has ${MAX_GUESTS} guests, the most it can have; remove one first (velux-climate users remove <name>)`);
  }
  const password = await newPassword(context, name);
  const account = await accounts.add(name, password, role);
  const usedGuests = accounts.list().filter((a) => a.role === 'guest').length;
  context.io.stdout.write(
    account.role === 'admin'
      ? `Added ${account.name} as the admin. They can now sign in to link Google Home.\n`
      : `Added ${account.name} as a guest (${usedGuests} of ${MAX_GUESTS} guest places used). They can now sign in to link Google Home.\n`,
  );
  return 0;
}

async function list(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new CliError('usage: velux-climate users list [--json]', 2);
  const accounts = store(context).list();
  const links = readLinkCounts(googleTokensFile(contextBlock(context).dir), new Map(accounts.map((a) => [a.id, a.linkEpoch ?? 0])));
  const rows = accounts.map((a: Account) => ({ name: a.name, role: a.role, googleLinks: links.get(a.id) ?? 0, createdAt: a.createdAt }));
  const { stdout } = context.io;
  if (values.json) {
    stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    stdout.write('No accounts yet. Add the admin with: velux-climate users add <name>\n');
    return 0;
  }
  const table = [['NAME', 'ROLE', 'GOOGLE', 'CREATED'], ...rows.map((r) => [r.name, r.role, r.googleLinks > 0 ? 'linked' : '-', r.createdAt.slice(0, 10)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  const guests = rows.filter((r) => r.role === 'guest').length;
  stdout.write(`\n${guests} of ${MAX_GUESTS} guest places used.\n`);
  return 0;
}

async function remove(args: string[], context: CliContext): Promise<number> {
  const { name } = oneName(args, 'remove');
  const account = store(context).remove(name);
  context.io.stdout.write(`Removed ${account.name}. Their Google Home link, if any, stops working at once.\n`);
  return 0;
}

async function passwd(args: string[], context: CliContext): Promise<number> {
  const { name } = oneName(args, 'passwd');
  const accounts = store(context);
  if (!accounts.byName(name)) throw new CliError(`there is no account named "${name}"`);
  const password = await newPassword(context, name);
  const account = await accounts.setPassword(name, password);
  context.io.stdout.write(`Changed the password of ${account.name}. ${LINKS_END}\n`);
  return 0;
}

/** Ends someone's Google links without touching their account: they can link again with their password. */
async function unlink(args: string[], context: CliContext): Promise<number> {
  const { name } = oneName(args, 'unlink');
  const account = store(context).unlink(name);
  context.io.stdout.write(`Ended the Google Home links of ${account.name}; they can sign in to link again. ${LINKS_END}\n`);
  return 0;
}

const LINKS_END =
  'Their existing Google Home links stop working at once if Homebridge runs (within a second), otherwise when it next starts.';
