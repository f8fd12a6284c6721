/**
 * A Homebridge storage directory filled by the plugin's own modules (accounts, Google token
 * store, home state, climate store) as a real installation would have it, and a way to run
 * the CLI against it through `main()` with scripted input and output.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/cli.js';
import { CliError, type CliIo } from '../../src/cli/io.js';
import { openClimateStore } from '../../src/climate/store.js';
import { AccountStore, type ScryptParams } from '../../src/google/accounts.js';
import { accountsFile, googleTokensFile } from '../../src/google/paths.js';
import { GoogleTokenStore, newSecret } from '../../src/google/token-store.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { SensorHistory, sensorHistoryFile } from '../../src/history/sensor-history.js';
import { silentLogger } from '../../src/logger.js';
import { DEFAULT_BLOCK_ID, pluginStorageDir } from '../../src/storage/paths.js';

/** The folder of the storage's only platform block (no `id`: "default"). */
export const blockDir = (storage: string): string => pluginStorageDir(storage, DEFAULT_BLOCK_ID);

export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1, keyLength: 32 };
export const CLIENT_ID = 'google-client-id';
export const REDIRECT_URI = 'https://oauth-redirect.googleusercontent.com/r/velux-test-project';

export interface IssuedSecrets {
  /** Every refresh token, access token and code issued, by person. */
  byName: Record<string, string[]>;
}

export interface Fixture {
  storage: string;
  accounts: AccountStore;
  secrets: IssuedSecrets;
  /** The ids of the people, by name. */
  ids: Record<string, string>;
}

/** anna (admin) with two Google links, ben (guest) with one link and a pending code, carl (guest) never linked. */
export async function populatedStorage(): Promise<Fixture> {
  const storage = mkdtempSync(join(tmpdir(), 'velux-privacy-'));
  const accounts = new AccountStore(accountsFile(blockDir(storage)), { scrypt: TEST_SCRYPT });
  const anna = await accounts.add('anna', 'anna-password');
  const ben = await accounts.add('ben', 'ben-password', 'guest');
  const carl = await accounts.add('carl', 'carl-password', 'guest');

  const tokens = new GoogleTokenStore(googleTokensFile(blockDir(storage)), Date.now);
  const secrets: IssuedSecrets = { byName: { anna: [], ben: [], carl: [] } };
  const linkFor = (name: string, userId: string) => {
    const refresh = newSecret();
    const access = newSecret();
    const link = tokens.createLink(refresh, { userId, clientId: CLIENT_ID, scope: undefined });
    tokens.saveAccessToken(access, { userId, clientId: CLIENT_ID, linkId: link.id, scope: undefined });
    secrets.byName[name]?.push(refresh, access);
    return link;
  };
  linkFor('anna', anna.id);
  linkFor('anna', anna.id);
  linkFor('ben', ben.id);
  const code = newSecret();
  tokens.saveCode(code, { userId: ben.id, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope: undefined });
  secrets.byName['ben']?.push(code);

  const homeState = openHomeStateFile(blockDir(storage), silentLogger);
  homeState.update(() => ({ virtualAway: true, roomClimateEnabled: { Kitchen: false, Attic: true }, gatewayIds: { velux: 'gw-1234' } }));

  const climate = openClimateStore(blockDir(storage), silentLogger);
  const at = Date.now();
  climate.saveMemory({ away: true, departureStartedAt: at - 60_000, rooms: { Kitchen: { lastAirRecyclingAt: at - 3_600_000 } }, devices: { 'gw/kitchen-window': { autoOpenedAt: at - 600_000, autoOpenedTo: 25 } } });
  climate.saveHistory([
    { at: at - 600_000, room: 'Kitchen', kind: 'action', trigger: 'co2', device: 'gw/kitchen-window', text: 'Kitchen: opening Kitchen window to 25 % — CO2 1320 ppm over 1150' },
    { at: at - 300_000, room: 'Attic', kind: 'blocked', trigger: 'humidity', guard: 'rain', text: 'Attic: airing wanted (humidity) but it rains' },
  ]);

  const sensors = new SensorHistory({ path: sensorHistoryFile(blockDir(storage)), days: 7 });
  sensors.record('gw/kitchen-sensor', 'Kitchen sensor', 'Kitchen', { temperature: 21.5, humidity: 48, co2: 1320 }, at - 1_200_000);
  sensors.record('gw/kitchen-sensor', 'Kitchen sensor', 'Kitchen', { temperature: 21.7, humidity: 47, co2: 900 }, at);
  sensors.stop();

  // Homebridge's accessory cache: one of ours, one of another plugin.
  mkdirSync(join(storage, 'accessories'), { recursive: true });
  writeFileSync(
    join(storage, 'accessories', 'cachedAccessories'),
    JSON.stringify([
      { plugin: 'homebridge-velux-climate', platform: 'VeluxClimate', displayName: 'Kitchen window', UUID: 'uuid-ours', context: { role: { kind: 'device', gatewayKey: 'gw', deviceKey: 'gw/kitchen-window', type: 'window' } }, services: [] },
      { plugin: 'homebridge-other', platform: 'Other', displayName: 'Someone else', UUID: 'uuid-theirs', context: {}, services: [] },
    ]),
  );
  return { storage, accounts, secrets, ids: { anna: anna.id, ben: ben.id, carl: carl.id } };
}

/** Every hash, salt and refresh hash in the plugin's files (none may ever be printed). */
export function storedHashes(storage: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key?: string) => {
    if ((key === 'hash' || key === 'salt' || key === 'refreshHash') && typeof value === 'string') found.push(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  for (const file of [accountsFile(blockDir(storage)), googleTokensFile(blockDir(storage))]) {
    try {
      walk(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // not there
    }
  }
  return found;
}

/** The text of every file in the plugin's directory, joined. */
export function pluginFilesText(storage: string): string {
  const dir = blockDir(storage);
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('\n');
}

export interface ScriptedIo extends CliIo {
  out: string;
  err: string;
  questions: string[];
}

export function scriptedIo(options: { interactive?: boolean; answers?: string[]; secrets?: string[] } = {}): ScriptedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const answers = [...(options.answers ?? [])];
  const secrets = [...(options.secrets ?? [])];
  const io: ScriptedIo = {
    out: '',
    err: '',
    questions: [],
    stdout,
    stderr,
    interactive: options.interactive ?? false,
    async readSecret() {
      const next = secrets.shift();
      if (next === undefined) throw new CliError('expected the password on stdin (one line), but stdin ended');
      return next;
    },
    async ask(question) {
      io.questions.push(question);
      return answers.shift() ?? '';
    },
  };
  stdout.on('data', (c: Buffer) => (io.out += c.toString()));
  stderr.on('data', (c: Buffer) => (io.err += c.toString()));
  return io;
}

export async function runCli(
  storage: string,
  args: string[],
  options: { interactive?: boolean; answers?: string[]; secrets?: string[]; serverWaitMs?: number } = {},
): Promise<{ code: number; out: string; err: string; questions: string[]; ms: number }> {
  const io = scriptedIo(options);
  const started = Date.now();
  const code = await main(['--storage', storage, ...args], io, { scrypt: TEST_SCRYPT, serverWaitMs: options.serverWaitMs ?? 300 });
  // Let the PassThrough streams deliver what was written.
  await new Promise((r) => setImmediate(r));
  return { code, out: io.out, err: io.err, questions: io.questions, ms: Date.now() - started };
}

/** `privacy export --user` of a storage with one block: the scope and that block's part (block, account, google). */
export function personPart(exported: unknown): Record<string, unknown> {
  const doc = exported as { scope: string; blocks: Array<Record<string, unknown>> };
  if (doc.blocks.length !== 1) throw new Error(`expected the person in one block, got ${doc.blocks.length}`);
  return { scope: doc.scope, ...doc.blocks[0] };
}

/** `privacy export` of a storage with only the block "default": the document with that block's files as `files`. */
export function bridgePart(exported: unknown): Record<string, unknown> {
  const doc = exported as { blocks: Record<string, { files: unknown }> };
  if (Object.keys(doc.blocks).join() !== 'default') throw new Error(`expected only the block "default", got ${Object.keys(doc.blocks).join(', ')}`);
  return { ...doc, files: doc.blocks['default']?.files };
}
