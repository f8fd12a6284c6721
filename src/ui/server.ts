/**
 * The server part of the plugin's Homebridge UI pages (homebridge-ui/server.js starts it inside
 * the Homebridge UI; docs/ui.md). Every request the page makes lands in one of these handlers:
 * - live state and commands go to the running plugin over its Unix socket (plugin-socket.ts);
 * - people, privacy and gateway discovery run the very commands of the `velux-climate` CLI
 *   (cli.ts `main`), so the same rules, checks and messages apply;
 * - the climate control's remembered state comes from the CLI's `climate status` reading.
 * Nothing returned here holds a secret: no config value except gateway names and types, no
 * password, hash, token, PIN or pairing key (privacy export redacts as the CLI does).
 *
 * Rooms and History (what the dialog opens on, and asks every 2 s) load only what they use: the
 * CLI (Google accounts and tokens, the privacy commands), the transports' pairing store are
 * imported when People, Privacy or Gateways first ask (docs/performance.md, "UI server part").
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PLATFORM_NAME } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { climateStatus, type ClimateStatus } from '../cli/climate.js';
import type { ScryptParams } from '../google/accounts.js';
import { knownBlocks, type CliBlock } from '../cli/blocks.js';
import { uiSocketPath } from '../storage/paths.js';
import { askPlugin, type UiRequest, type UiRoom, type UiSnapshot } from './plugin-socket.js';
import { CLIMATE_FILES } from '../climate/store.js';
import { climateEvents, readClimateHistoryFile } from '../history/climate-events.js';
import { querySeries, readSensorHistoryFile, sensorHistoryFile } from '../history/sensor-history.js';
import { describeRoom } from './room-words.js';
import type { UiRoute } from './routes.js';

export type Handler = (body: unknown) => Promise<unknown>;

export interface UiServerOptions {
  storagePath: string;
  /** Cost of new password hashes (tests use cheap ones). */
  scrypt?: ScryptParams;
  /** How long `privacy erase` waits for a running server (tests: short). */
  serverWaitMs?: number;
}

/** A refusal with a message for the person in front of the page. */
export class UiError extends Error {
  override name = 'UiError';
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function text(body: unknown, key: string, what: string, max = 1024): string {
  const value = record(body)[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new UiError(`${what} is missing`);
  return value;
}

export function createUiHandlers(options: UiServerOptions): Record<UiRoute, Handler> {
  const { storagePath } = options;
  /**
   * The platform block the pages show: the one picked with `/blocks/select` (the page's block
   * picker, shown with several blocks), else the first in config.json (storage/paths.ts); its
   * folder holds the running plugin's socket and its files. Privacy export/erase/reset cover
   * every block, as the CLI does. One server part serves one open settings dialog, so the pick
   * lives here.
   */
  let selected: string | undefined;
  const block = (): CliBlock => {
    const blocks = knownBlocks(storagePath);
    return blocks.find((b) => b.id === selected) ?? blocks[0]!;
  };
  const blockList = () => ({ blocks: knownBlocks(storagePath).map((b) => ({ id: b.id, name: b.name ?? b.id })), selected: block().id });

  /** Runs one `velux-climate` command as the CLI would, passwords given as piped lines. */
  async function cli(args: string[], secrets: string[] = []): Promise<CliRun> {
    const out = collector();
    const err = collector();
    const lines = [...secrets];
    const { main } = await import('../cli/cli.js');
    const code = await main(['--storage', storagePath, ...args], {
      stdout: out.stream,
      stderr: err.stream,
      interactive: false,
      readSecret: async () => lines.shift() ?? '',
    }, { scrypt: options.scrypt, serverWaitMs: options.serverWaitMs });
    return { code, stdout: out.text(), stderr: err.text() };
  }

  /** Runs a command that must succeed; its refusal becomes the page's error message. */
  async function cliOk(args: string[], secrets: string[] = []): Promise<string> {
    const run = await cli(args, secrets);
    if (run.code !== 0) throw new UiError(run.stderr.replace(/^velux-climate: /, '').trim() || run.stdout.trim() || `velux-climate ${args[0]} failed`);
    return run.stdout;
  }

  async function plugin(request: UiRequest): Promise<UiSnapshot | { ok: boolean; message?: string }> {
    let answer;
    try {
      answer = await askPlugin(uiSocketPath(block().dir), request);
    } catch (err) {
      throw new UiError(notRunning(err));
    }
    if (!answer.ok) throw new UiError(answer.error);
    if (answer.snapshot) return answer.snapshot;
    const result = answer.result;
    return result?.ok ? { ok: true } : { ok: false, message: result && !result.ok ? result.message : 'refused' };
  }

  async function state(): Promise<unknown> {
    let snapshot: UiSnapshot | undefined;
    let offline: string | undefined;
    try {
      const answer = await askPlugin(uiSocketPath(block().dir), { op: 'snapshot' }, 5000);
      if (answer.ok) snapshot = answer.snapshot;
      else offline = answer.error;
    } catch (err) {
      offline = notRunning(err);
    }
    let status: ClimateStatus | undefined;
    try {
      status = climateStatus({ storagePath, io: undefined as never, blocks: knownBlocks(storagePath), blockOption: block().id });
    } catch {
      status = undefined;
    }
    const now = snapshot?.now ?? Date.now();
    return {
      running: snapshot !== undefined,
      ...(offline !== undefined && { offline }),
      now,
      ...(snapshot && {
        away: snapshot.away,
        physicalDepartureSwitch: snapshot.physicalDepartureSwitch,
        weather: snapshot.weather,
        gateways: snapshot.gateways,
        rooms: snapshot.rooms.map((room: UiRoom) => ({
          name: room.name,
          climateCapable: room.climateCapable,
          climateEnabled: room.climateEnabled,
          words: describeRoom(room, snapshot!.devices.filter((d) => d.room === room.name), status, now, snapshot!.climateRunning),
          devices: snapshot!.devices.filter((d) => d.room === room.name).sort((a, b) => a.name.localeCompare(b.name)),
        })),
        otherDevices: snapshot.devices.filter((d) => d.room === undefined),
      }),
    };
  }

  async function gateways(): Promise<unknown> {
    const live = await state();
    const [{ PairingStore }, { silentLogger }] = await Promise.all([import('../gateway/transports.js'), import('../logger.js')]);
    const pairings = new PairingStore(block().dir, silentLogger);
    let paired: Set<string>;
    try {
      paired = new Set(pairings.keys());
    } catch {
      paired = new Set();
    }
    const list = ((live as { gateways?: UiSnapshot['gateways'] }).gateways ?? []).map((g) => {
      const type = /^([a-z0-9]+):/.exec(g.key)?.[1] ?? 'mqtt';
      return { ...g, type, ...(type === 'homekit' && { paired: paired.has(g.key) }) };
    });
    return { running: (live as { running: boolean }).running, offline: (live as { offline?: string }).offline, gateways: list };
  }

  return {
    '/blocks': async () => blockList(),
    '/blocks/select': async (body) => {
      const id = text(body, 'id', 'the block', 64);
      if (!knownBlocks(storagePath).some((b) => b.id === id)) throw new UiError(`there is no block "${id}"`);
      selected = id;
      return blockList();
    },
    '/state': state,
    '/command': async (body) => {
      const device = text(body, 'device', 'the device');
      const b = record(body);
      if (b['stop'] === true) return plugin({ op: 'command', device, command: { stop: true } });
      const position = b['position'];
      if (typeof position !== 'number' || !(position >= 0 && position <= 100)) throw new UiError('the position must be 0 to 100 %');
      return plugin({ op: 'command', device, command: { position } });
    },
    '/away': async (body) => {
      const away = record(body)['away'];
      if (typeof away !== 'boolean') throw new UiError('away must be true or false');
      return plugin({ op: 'away', away });
    },
    '/room-climate': async (body) => {
      const enabled = record(body)['enabled'];
      if (typeof enabled !== 'boolean') throw new UiError('enabled must be true or false');
      return plugin({ op: 'roomClimate', room: text(body, 'room', 'the room'), enabled });
    },

    // ---- people (Google Home accounts): the CLI's `users` commands -------------------------
    '/users': async () => JSON.parse(await cliOk(['--block', block().id, 'users', 'list', '--json'])) as unknown,
    '/users/add': async (body) => ({
      message: (await cliOk(['--block', block().id, 'users', 'add', text(body, 'name', 'the name', 64), record(body)['role'] === 'admin' ? '--admin' : '--guest'], [text(body, 'password', 'the password')])).trim(),
    }),
    '/users/passwd': async (body) => ({ message: (await cliOk(['--block', block().id, 'users', 'passwd', text(body, 'name', 'the name', 64)], [text(body, 'password', 'the password')])).trim() }),
    '/users/unlink': async (body) => ({ message: (await cliOk(['--block', block().id, 'users', 'unlink', text(body, 'name', 'the name', 64)])).trim() }),
    '/users/remove': async (body) => ({ message: (await cliOk(['--block', block().id, 'users', 'remove', text(body, 'name', 'the name', 64)])).trim() }),

    // ---- privacy: the CLI's `privacy` commands ----------------------------------------------
    '/privacy/inventory': async () => ({ folder: block().dir, files: await inventory(block().dir) }),
    '/privacy/export': async (body) => {
      const user = record(body)['user'];
      const args = ['privacy', 'export', ...(typeof user === 'string' && user !== '' ? ['--user', user] : [])];
      return { filename: `velux-climate-export${typeof user === 'string' && user ? `-${user.replace(/[^\p{L}\p{N}._-]/gu, '_')}` : ''}.json`, json: await cliOk(args) };
    },
    '/privacy/erase': async (body) => {
      const run = await cli(['privacy', 'erase', '--user', text(body, 'user', 'the person', 64)]);
      if (run.code !== 0 && run.stdout === '') throw new UiError(run.stderr.replace(/^velux-climate: /, '').trim());
      return { ok: run.code === 0, message: run.stdout.trim() };
    },
    '/privacy/reset': async () => {
      const run = await cli(['privacy', 'reset', '--yes']);
      if (run.code !== 0) throw new UiError(run.stderr.replace(/^velux-climate: /, '').trim());
      return { message: run.stdout.trim() };
    },

    // ---- gateways -------------------------------------------------------------------------
    '/gateways': gateways,
    '/config/check': async (body) => ({ problems: configProblems(body) }),
    '/history': async (body) => history(block().dir, body),
    '/gateways/discover': async () => {
      const run = await cli(['--block', block().id, 'gateways', 'discover', '--json', '--seconds', '3']);
      // exit 1 with an explanation when nothing is found
      if (run.code === 0) return { found: JSON.parse(run.stdout) as unknown };
      return { found: [], message: (run.stdout || run.stderr).replace(/^velux-climate: /, '').trim() };
    },
  };
}

const DAY_MS = 86_400_000;

/**
 * One room's chart data over the last day or week: the sensor history's 10-minute means and
 * the climate control's decisions on the same time line, read from the plugin's files (the
 * running plugin writes the sensor history every few minutes, the decisions every minute).
 */
function history(dir: string, body: unknown): unknown {
  const doc = readSensorHistoryFile(sensorHistoryFile(dir));
  const decisions = readClimateHistoryFile(join(dir, CLIMATE_FILES.history));
  const rooms = [...new Set([...Object.values(doc.series).flatMap((s) => (s.room ? [s.room] : [])), ...decisions.map((e) => e.room)])].sort();
  const wanted = record(body)['room'];
  const room = typeof wanted === 'string' && rooms.includes(wanted) ? wanted : rooms[0];
  const days = record(body)['days'] === 7 ? 7 : 1;
  const to = Date.now();
  const from = to - days * DAY_MS;
  if (room === undefined) return { rooms, days, from, to, points: [], events: [] };
  return {
    rooms,
    room,
    days,
    from,
    to,
    points: querySeries(doc, room, from, to),
    events: climateEvents(decisions, room, from, to).map((e) => ({ at: e.at, kind: e.kind, trigger: e.trigger, text: e.text })),
  };
}

/** The plugin's own config check on a block from the settings form (nothing is stored). */
function configProblems(body: unknown): string[] {
  const result = validateConfig({ ...record(record(body)['block']), platform: PLATFORM_NAME });
  return result.ok ? [] : result.problems;
}

function notRunning(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return 'The plugin is not running (or not on this Homebridge): start Homebridge to see live state.';
  if (code === 'EACCES') return 'The Homebridge UI runs as another user than Homebridge and may not use the plugin socket.';
  return `The plugin does not answer: ${err instanceof Error ? err.message : String(err)}`;
}

/** The plugin's files (the privacy inventory, docs/privacy.md) with whether each exists and its size. */
async function inventory(dir: string): Promise<Array<{ file: string; holds: string; exists: boolean; bytes?: number }>> {
  const { PLUGIN_FILE_NOTES, PLUGIN_FILES } = await import('../cli/privacy.js');
  return (Object.keys(PLUGIN_FILES) as Array<keyof typeof PLUGIN_FILES>).map((key) => {
    const file = PLUGIN_FILES[key];
    const holds = PLUGIN_FILE_NOTES[key];
    try {
      return { file, holds, exists: true, bytes: statSync(join(dir, file)).size };
    } catch {
      return { file, holds, exists: false };
    }
  });
}
