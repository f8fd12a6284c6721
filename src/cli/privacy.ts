/**
 * `velux-climate privacy export|erase|reset`: what the plugin stores, about one person or
 * the whole bridge (docs/privacy.md), in every platform block's folder (or the one `--block` names).
 *
 * Who writes what, and why erase works while Homebridge runs:
 * - accounts.json belongs to the CLI. The running server re-reads it when it changed (one
 *   stat, every second and before every token use) and revokes the links and tokens of every
 *   person whose id is gone (google/linked-people.ts).
 * - google-tokens.json belongs to the server, which keeps it in memory and rewrites it whole
 *   on every change. A CLI write while it runs is not dangerous for the erased person (the
 *   server removes them from memory before it writes anything, see above), but it could drop
 *   a record the server wrote a moment earlier from the disk copy (back at its next write).
 *   So `erase` removes the account, then waits a few seconds for a running server to rewrite
 *   the file without the person; only if nobody did does it rewrite the file itself
 *   (atomically). Either way nothing of the person is left on disk when it returns.
 * - home-state.json and the climate files are held in memory by a running Homebridge and
 *   written back on the next change, so `reset` refuses to run while something answers on
 *   the bridge or Google port from config.json: stop Homebridge first.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIMATE_FILES } from '../climate/store.js';
import { DEFAULT_BIND, DEFAULT_PORT } from '../google/config.js';
import { AccountStore, type Account } from '../google/accounts.js';
import { accountsFile, googleTokensFile } from '../google/paths.js';
import { GoogleTokenStore, readTokensFile, type TokensDocument } from '../google/token-store.js';
import { openHomeStateFile } from '../home/persistence.js';
import { silentLogger } from '../logger.js';
import { answers } from '../net-probe.js';
import { STORAGE_FILES } from '../storage/paths.js';
import { PAIRINGS_FILE } from '../gateway/transports.js';
import { SENSOR_HISTORY_FILE } from '../history/sensor-history.js';
import { blocksFor, type CliBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

const PLUGIN_NAME = 'homebridge-velux-climate';
const PLATFORM_NAME = 'VeluxClimate';
/** How long `erase` waits for a running server to revoke the person's tokens itself. */
export const DEFAULT_SERVER_WAIT_MS = 3000;
const REDACTED = '[hash]';

/** Every file the plugin writes in a block's folder, `<storage>/velux-climate/<block id>/`. */
export const PLUGIN_FILES = {
  accounts: 'accounts.json',
  googleTokens: 'google-tokens.json',
  homeState: STORAGE_FILES.home,
  climateMemory: CLIMATE_FILES.memory,
  climateHistory: CLIMATE_FILES.history,
  sensorHistory: SENSOR_HISTORY_FILE,
  homekitPairings: PAIRINGS_FILE,
} as const;

/** One line per file on what it holds (the full table is docs/privacy.md); the UI's Privacy page shows these. */
export const PLUGIN_FILE_NOTES: Record<keyof typeof PLUGIN_FILES, string> = {
  accounts: 'local accounts for linking Google: names, roles, dates and a scrypt hash of each password',
  googleTokens: 'Google links by person id: when made and last used, hashes of refresh and access tokens',
  homeState: 'departure mode of the virtual switch, the room climate switches, each gateway id',
  climateMemory: "the climate control's memory: when the home was left, when someone last moved a window by hand",
  climateHistory: "the climate control's decisions (time, room, what and why), kept climate.historyDays days",
  sensorHistory: 'each climate sensor\'s temperature, humidity and CO2 as 10-minute means, kept climate.historyDays days',
  homekitPairings: "the plugin's HomeKit pairing keys with VELUX ACTIVE gateways (never shown)",
};

export const privacyGroup: CommandGroup = {
  name: 'privacy',
  summary: 'see, erase or reset what the plugin stores (docs/privacy.md)',
  usage: ['privacy export [--user <name>]', 'privacy erase --user <name>', 'privacy reset [--yes]', '(every block, or only the one --block names)'],
  async run(args, context) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'export':
        return exportData(rest, context);
      case 'erase':
        return erase(rest, context);
      case 'reset':
        return reset(rest, context);
      default:
        throw new CliError(`privacy: expected export, erase or reset${sub ? `, not "${sub}"` : ''}`, 2);
    }
  },
};

function accountStore(context: CliContext, block: CliBlock): AccountStore {
  return new AccountStore(accountsFile(block.dir), { scrypt: context.scrypt });
}

const iso = (ms: number): string => new Date(ms).toISOString();

// ---- export ------------------------------------------------------------------------------

async function exportData(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { user: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new CliError('usage: velux-climate privacy export [--user <name>]', 2);
  const data = values.user === undefined ? exportBridge(context) : exportPerson(context, values.user);
  context.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  return 0;
}

/**
 * Everything stored about one person: their account and their Google links, never a hash, in
 * every block where an account has that name (accounts belong to a block).
 */
export function exportPerson(context: CliContext, name: string): Record<string, unknown> {
  const blocks = blocksFor(context.blocks, context.blockOption);
  const found = blocks.flatMap((block) => {
    const account = accountStore(context, block).byName(name);
    return account ? [{ block, account }] : [];
  });
  if (found.length === 0) throw new CliError(`there is no account named "${name}"${blocks.length > 1 ? ' in any block' : ''}`);
  return {
    exportedAt: new Date().toISOString(),
    scope: 'person',
    storage: context.storagePath,
    blocks: found.map(({ block, account }) => personInBlock(block, account)),
    notAboutOnePerson:
      'Device states, departure mode, room switches, the climate history and the sensor history are about the home as a whole: see `velux-climate privacy export` without --user.',
    logs: "Homebridge's log may mention this name (sign-ins, failed sign-ins, wrong PINs, commands from Google); Homebridge keeps that log, not the plugin.",
  };
}

function personInBlock(block: CliBlock, account: Account): Record<string, unknown> {
  const tokens = readTokensFile(googleTokensFile(block.dir));
  const doc = typeof tokens === 'string' ? undefined : tokens;
  const links = (doc?.links ?? []).filter((l) => l.userId === account.id);
  const accessTokens = (doc?.accessTokens ?? []).filter((t) => t.userId === account.id);
  const codes = (doc?.codes ?? []).filter((c) => c.userId === account.id);
  return {
    block: block.id,
    folder: block.dir,
    account: {
      name: account.name,
      role: account.role,
      id: account.id,
      idIsYourGoogleAgentUserId: true,
      createdAt: account.createdAt,
      passwordChangedAt: account.passwordChangedAt,
      password: `a ${account.password.algorithm} hash of the password is stored (not shown); the password itself is never stored`,
    },
    google: {
      tokensFile: typeof tokens === 'string' ? tokens : 'read',
      links: links.map((l) => ({
        id: l.id,
        createdAt: iso(l.createdAt),
        lastUsedAt: iso(l.lastUsedAt),
        scope: l.scope ?? null,
        refreshToken: 'a SHA-256 hash is stored (not shown); it does not expire until revoked',
        accessTokens: accessTokens
          .filter((t) => t.linkId === l.id)
          .map((t) => ({ expiresAt: iso(t.expiresAt), token: 'a SHA-256 hash is stored (not shown)' })),
      })),
      pendingAuthorizationCodes: codes.map((c) => ({ expiresAt: iso(c.expiresAt), redirectUri: c.redirectUri, code: 'a SHA-256 hash is stored (not shown)' })),
    },
  };
}

/** Every plugin file of every block (or the one --block names) with secrets redacted, plus the plugin's entries in Homebridge's accessory cache. */
export function exportBridge(context: CliContext): Record<string, unknown> {
  const blocks: Record<string, unknown> = {};
  for (const block of blocksFor(context.blocks, context.blockOption)) {
    const files: Record<string, unknown> = {};
    for (const name of listFiles(block.dir)) files[name] = readRedacted(join(block.dir, name));
    blocks[block.id] = { folder: block.dir, ...(block.name !== undefined ? { name: block.name } : {}), files };
  }
  return {
    exportedAt: new Date().toISOString(),
    scope: 'bridge',
    storage: context.storagePath,
    redacted: `password hashes, salts and token hashes are shown as "${REDACTED}", other secrets (a private key, a client secret) as "[secret]"`,
    notIncluded:
      "config.json (Homebridge's settings: it holds the Google client secret, the PIN and MQTT passwords) and Homebridge's own files (persist/: the HomeKit pairing keys; the log)",
    blocks,
    homebridgeAccessoryCache: accessoryCache(context.storagePath),
  };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function readRedacted(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { unreadable: err instanceof Error ? err.message : String(err) };
  }
  try {
    return redact(JSON.parse(text));
  } catch {
    // A file moved aside as corrupt may hold hashes in any shape: describe it, never print it.
    return { unreadable: 'not valid JSON (not shown: it may hold password or token hashes)', bytes: Buffer.byteLength(text) };
  }
}

/** Fields that hold a secret whatever file they are in (e.g. a key file dropped into the folder). */
const SECRET_KEYS = new Set([
  'private_key',
  'privateKey',
  'client_secret',
  'clientSecret',
  'secret',
  'pin',
  'access_token',
  'refresh_token',
  'token',
  // HomeKit pairing keys with VELUX ACTIVE gateways (homekit-pairings.json)
  'iOSDeviceLTSK',
  'iOSDeviceLTPK',
  'AccessoryLTPK',
  'setupCode',
]);

/** Replaces every password hash, salt and token hash, and any other secret, wherever it sits in a document. */
export function redact(value: unknown, key?: string): unknown {
  if (key === 'hash' || key === 'refreshHash' || key === 'salt') return REDACTED;
  if (key === 'password' && value !== null && typeof value === 'object') return REDACTED;
  if (key !== undefined && (SECRET_KEYS.has(key) || key === 'password') && typeof value === 'string') return '[secret]';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

/** The plugin's accessories in Homebridge's cache files (main bridge and child bridges, and their backups). */
function accessoryCache(storagePath: string): Record<string, unknown> {
  const dir = join(storagePath, 'accessories');
  const result: Record<string, unknown> = {};
  for (const name of listFiles(dir)) {
    if (!/^\.?cachedAccessories/.test(name)) continue;
    try {
      const entries = JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
      if (!Array.isArray(entries)) continue;
      const ours = entries.filter((e) => e !== null && typeof e === 'object' && (e as { plugin?: unknown }).plugin === PLUGIN_NAME);
      if (ours.length > 0) result[`accessories/${name}`] = ours;
    } catch {
      result[`accessories/${name}`] = { unreadable: 'not valid JSON' };
    }
  }
  return result;
}

// ---- erase ---------------------------------------------------------------------------------

async function erase(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { user: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0 || !values.user) throw new CliError('usage: velux-climate privacy erase --user <name>', 2);
  const name = values.user;
  // Accounts belong to a block: erase the person in every block that has them (or in --block).
  const blocks = blocksFor(context.blocks, context.blockOption);
  const found = blocks.flatMap((block) => {
    const accounts = accountStore(context, block);
    const account = accounts.byName(name);
    return account ? [{ block, accounts, account }] : [];
  });
  if (found.length === 0) throw new CliError(`there is no account named "${name}"${blocks.length > 1 ? ' in any block' : ''}`);
  // The admin goes last (AccountStore refuses otherwise): that message says what to do. Checked
  // in every block before anything is removed, so the person is erased everywhere or nowhere.
  for (const { block, accounts, account } of found) {
    const guests = accounts.list().filter((a) => a.role === 'guest').length;
    if (account.role === 'admin' && guests > 0) {
      const where = context.blocks.length > 1 ? ` of block ${block.id}` : '';
      throw new CliError(`"${account.name}" is the admin${where}; remove the ${guests} guest(s) first (the admin is the last account to go); nothing was changed`);
    }
  }
  const out = context.io.stdout;
  let ok = true;
  for (const { block, accounts, account } of found) {
    const where = context.blocks.length > 1 ? ` in block ${block.id}` : '';
    const before = readTokensFile(googleTokensFile(block.dir));
    accounts.remove(account.name);
    out.write(`Removed the account of ${account.name}${where} (name, role, dates, password hash).\n`);
    const outcome = await revokeErased(context, block, account.id, before);
    out.write(`${outcome.message}\n`);
    ok &&= outcome.ok;
    for (const path of leftovers(block.dir, [PLUGIN_FILES.accounts, PLUGIN_FILES.googleTokens])) {
      out.write(`Note: ${path} was moved aside as unreadable earlier and may still name them; delete it if you do not need it.\n`);
    }
  }
  out.write(
    `Nothing else the plugin stores is about ${name}. Their Google Home app may still show the devices until they remove "VELUX Climate" there; ` +
      "Homebridge's own log may still mention the name.\n",
  );
  return ok ? 0 : 1;
}

interface Revocation {
  ok: boolean;
  message: string;
}

/**
 * Makes google-tokens.json hold nothing of the erased person: waits for a running server to
 * do it (it checks the accounts every second and removes everyone whose account is gone),
 * otherwise does it here.
 */
async function revokeErased(context: CliContext, block: CliBlock, personId: string, before: TokensDocument | 'missing' | 'unreadable'): Promise<Revocation> {
  const path = googleTokensFile(block.dir);
  const unreadable = { ok: false, message: `${path} cannot be read, so it may still hold token hashes; delete it (everyone then links Google again).` };
  if (before === 'missing') return { ok: true, message: 'There are no Google links on this bridge.' };
  if (before === 'unreadable') return unreadable;
  const mentions = (doc: TokensDocument) => [...doc.codes, ...doc.links, ...doc.accessTokens].some((r) => r.userId === personId);
  if (!mentions(before)) return { ok: true, message: 'They had no Google links or tokens.' };
  const links = plural(before.links.filter((l) => l.userId === personId).length, 'Google link');

  const deadline = Date.now() + (context.serverWaitMs ?? DEFAULT_SERVER_WAIT_MS);
  for (;;) {
    const now = readTokensFile(path);
    if (typeof now !== 'string' && !mentions(now)) return { ok: true, message: `The running Homebridge revoked their ${links} and tokens.` };
    if (typeof now === 'string' || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Nobody rewrote it: no Google endpoint is running (or an older version without the
  // check). Safe to write: a running server drops this person before it writes anything.
  const current = readTokensFile(path);
  if (current === 'missing') return { ok: true, message: `Their ${links} are gone.` };
  if (current === 'unreadable') return unreadable;
  new GoogleTokenStore(path, Date.now).revokeUser(personId);
  return { ok: true, message: `Removed their ${links} and tokens from google-tokens.json.` };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Copies of plugin files moved aside as corrupt, and temporary files of interrupted writes. */
function leftovers(dir: string, names: readonly string[]): string[] {
  return listFiles(dir)
    .filter((file) => names.some((name) => file.startsWith(`${name}.corrupt-`) || (file.startsWith(`.${name}.`) && file.endsWith('.tmp'))))
    .map((file) => join(dir, file));
}

// ---- reset ---------------------------------------------------------------------------------

async function reset(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { yes: { type: 'boolean', short: 'y' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new CliError('usage: velux-climate privacy reset [--yes]', 2);
  const { io } = context;

  const running = await runningHomebridge(context.storagePath);
  if (running) {
    throw new CliError(
      `Homebridge seems to be running (${running}). Stop it first: it keeps departure mode and the climate memory in memory and would write them back. Then run privacy reset again.`,
    );
  }

  // One plan per block (all blocks, or the one --block names), confirmed once, then carried out.
  const plans = blocksFor(context.blocks, context.blockOption).map((block) => {
    const accounts = accountStore(context, block);
    const guests = accounts.list().filter((a) => a.role === 'guest');
    const tokens = readTokensFile(googleTokensFile(block.dir));
    return { block, accounts, guests, admin: accounts.admin, links: typeof tokens === 'string' ? 0 : tokens.links.length };
  });
  for (const { block, guests, admin, links } of plans) {
    const plan = [
      `${plural(guests.length, 'guest account')}${guests.length ? ` (${guests.map((g) => g.name).join(', ')})` : ''}`,
      `all Google links and tokens (${links} link${links === 1 ? '' : 's'})${admin ? `; ${admin.name} (the admin) keeps their account but is a new person to Google` : ''}`,
      `the climate history, the sensor history and the climate control's memory`,
      'departure mode of the virtual switch and the per-room climate control switches',
      "the plugin's HomeKit pairings with VELUX ACTIVE gateways (the next start pairs again with the setup code)",
    ];
    io.stdout.write(`This resets the VELUX Climate data of block ${block.id} in ${block.dir}:\n${plan.map((p) => `  - ${p}\n`).join('')}`);
  }

  if (!values.yes) {
    if (!io.interactive || !io.ask) throw new CliError('privacy reset changes the bridge for good: run it at a terminal to confirm, or pass --yes', 2);
    const answer = (await io.ask('Reset? Type "yes" to go on: ')).trim().toLowerCase();
    if (answer !== 'yes' && answer !== 'y') {
      io.stdout.write('Nothing was changed.\n');
      return 1;
    }
  }

  const out = io.stdout;
  out.write('\nDone:\n');
  for (const { block, accounts, guests, admin } of plans) {
    const dir = block.dir;
    for (const guest of guests) accounts.remove(guest.name);
    const renewed: Account | undefined = admin ? accounts.renewId(admin.name) : undefined;
    const removed: string[] = [];
    for (const name of [PLUGIN_FILES.googleTokens, PLUGIN_FILES.climateMemory, PLUGIN_FILES.climateHistory, PLUGIN_FILES.sensorHistory, PLUGIN_FILES.homekitPairings]) {
      const path = join(dir, name);
      if (existsSync(path)) {
        rmSync(path, { force: true });
        removed.push(name);
      }
    }
    // home-state.json also keeps each gateway's id, from which HomeKit identities derive: keep
    // that, forget departure mode and the room switches (written by the home's own module).
    const homeStatePath = join(dir, PLUGIN_FILES.homeState);
    if (existsSync(homeStatePath)) {
      openHomeStateFile(dir, silentLogger).update((state) => ({ ...state, virtualAway: false, roomClimateEnabled: {} }));
      removed.push(`departure mode and room switches from ${PLUGIN_FILES.homeState}`);
    }
    const stale = leftovers(dir, Object.values(PLUGIN_FILES));
    for (const path of stale) rmSync(path, { force: true });

    out.write(`block ${block.id}:\n`);
    out.write(`  - removed ${plural(guests.length, 'guest account')}${renewed ? `; ${renewed.name} stays the admin with a new Google id` : ''}\n`);
    out.write(`  - removed ${removed.length ? removed.join(', ') : 'no other files (there were none)'}\n`);
    if (stale.length) out.write(`  - removed ${plural(stale.length, 'leftover file')} (copies moved aside as unreadable, interrupted writes)\n`);
  }
  out.write(
    [
      '',
      'The plugin forgot which windows its climate control had opened: close any that are open.',
      '',
      'Also reset what the plugin does not own:',
      '  - Apple Home: remove the bridge in the Home app (Home settings > the bridge > Remove Bridge from Home),',
      "    then delete Homebridge's persist/ and accessories/ folders in the storage directory, or use",
      '    "Reset Homebridge Accessory" / "Unpair Bridges" in the Homebridge UI, so the next owner pairs a new bridge.',
      '  - Google Home: everyone who linked removes "VELUX Climate" in their Google Home app; delete or hand over',
      "    the Google Cloud project, or at least change google.clientSecret and delete the service-account key.",
      '  - The gateway: reset it as its maker describes, and change the MQTT passwords in the broker and config.json.',
      '    A VELUX ACTIVE gateway still lists the removed pairing: reset the gateway (or remove the pairing with another',
      '    HomeKit controller) before the plugin or the Home app can pair with it again.',
      "  - config.json keeps the PIN, the Google client secret and the MQTT passwords: change them for the next owner.",
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * A best-effort look whether Homebridge runs on this storage: does anything answer on the
 * bridge port, a VELUX Climate child bridge port or the Google port named in config.json?
 * Loopback only, half a second at most. Returns what answered, or undefined.
 */
export async function runningHomebridge(storagePath: string): Promise<string | undefined> {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(join(storagePath, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const candidates: Array<{ host: string; port: number; what: string }> = [];
  const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const portOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536 ? v : undefined);
  const local = (bind: unknown): string => (typeof bind === 'string' && bind !== '0.0.0.0' && bind !== '::' && bind !== '' ? bind : '127.0.0.1');
  const bridgePort = portOf(record(record(config)['bridge'])['port']);
  if (bridgePort) candidates.push({ host: '127.0.0.1', port: bridgePort, what: `the bridge port ${bridgePort}` });
  const platforms = record(config)['platforms'];
  for (const platform of Array.isArray(platforms) ? platforms.map(record) : []) {
    if (platform['platform'] !== PLATFORM_NAME) continue;
    const child = portOf(record(platform['_bridge'])['port']);
    if (child) candidates.push({ host: '127.0.0.1', port: child, what: `the child bridge port ${child}` });
    const google = record(platform['google']);
    if (google['enabled'] === true) {
      const port = portOf(google['port']) ?? DEFAULT_PORT;
      const host = local(google['bind'] ?? DEFAULT_BIND);
      candidates.push({ host, port, what: `the Google endpoint ${host}:${port}` });
    }
  }
  const answered = await Promise.all(candidates.map((c) => answers({ host: c.host, port: c.port })));
  const found = candidates.filter((_, i) => answered[i]);
  return found.length ? `something answers on ${found.map((c) => c.what).join(' and ')}` : undefined;
}
