/**
 * `velux-climate climate status|history`: what the local climate control remembers
 * (climate-state.json) and what it decided (climate-history.json), in plain words
 * (docs/climate-control.md).
 *
 * Read-only, so it is safe while Homebridge runs: the files are written atomically (a reader
 * sees the old or the new file, never half of one), and this command never writes, moves or
 * repairs anything. The running controller saves its memory after every evaluation that
 * changed it and the history at most once a minute, so the newest minute may be missing.
 *
 * The memory knows devices only by their key (`<gateway>/<device>`): names come from
 * Homebridge's accessory cache, rooms from the history, and the times that depend on a
 * setting (end of a manual pause, latest close) from the settings in config.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClimateHistoryEntry } from '../climate/controller.js';
import { resolveClimateSettings, type RoomSettings } from '../climate/settings.js';
import { HEAT_PROTECTION_RELEASE_C } from '../climate/heatProtection.js';
import { CLIMATE_FILES, parseClimateHistory, parseClimateMemory } from '../climate/store.js';
import type { ClimateMemory, DeviceMemory, RoomMemory } from '../climate/types.js';
import { PLATFORM_NAME, PLUGIN_NAME, type ClimateConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { blocksOfConfig } from '../storage/blocks.js';
import { STORAGE_FILES } from '../storage/paths.js';
import { contextBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** As in the policy (climate/heatProtection.ts): covers go back once the room is this far under the cooling setpoint. */

export const climateGroup: CommandGroup = {
  name: 'climate',
  summary: 'what the local climate control remembers and decided (read-only, also while Homebridge runs)',
  usage: ['climate status [--room <name>] [--json]', 'climate history [--room <name>] [--days <n>] [--json]'],
  async run(args, context) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'status':
        return status(rest, context);
      case 'history':
        return history(rest, context);
      default:
        throw new CliError(`climate: expected status or history${sub ? `, not "${sub}"` : ''}`, 2);
    }
  },
};

// ---- reading, never writing ---------------------------------------------------------------

type Read<T> = { state: 'missing' } | { state: 'read'; value: T; changedAt: number };

/** Reads and checks a JSON file; a file that is there but unusable is an error, and is left as it is. */
function readChecked<T>(path: string, check: (v: unknown) => T | undefined): Read<T> {
  if (!existsSync(path)) return { state: 'missing' };
  let value: T | undefined;
  try {
    value = check(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new CliError(`cannot read ${path} (${err instanceof Error ? err.message : String(err)}); it was left as it is`);
  }
  if (value === undefined) throw new CliError(`cannot read ${path} (its content is not what the plugin writes); it was left as it is`);
  return { state: 'read', value, changedAt: statSync(path).mtimeMs };
}

/** Best effort, for names and settings: anything unreadable is simply not used. */
function readJsonQuietly(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The climate block of the first VeluxClimate platform in config.json, as the plugin reads it. */
interface SettingsSource {
  /** 'read': from config.json; otherwise the built-in defaults are used. */
  source: 'read' | 'no config.json' | 'no VeluxClimate platform' | 'invalid config';
  climate: ClimateConfig;
  settingsFor(room: string | undefined): RoomSettings;
  /** Whether rooms differ in a setting (so a device of unknown room may not have the defaults). */
  roomsDiffer(key: keyof RoomSettings): boolean;
}

function readSettings(storagePath: string, blockId: string): SettingsSource {
  const raw = readJsonQuietly(join(storagePath, 'config.json'));
  let source: SettingsSource['source'] = 'read';
  let climate: ClimateConfig = {};
  if (!isRecord(raw)) {
    source = 'no config.json';
  } else {
    // The n-th VeluxClimate block is the n-th of blocksOfConfig (which gives blocks without id theirs)
    const index = blocksOfConfig(raw).find((b) => b.id === blockId)?.index;
    const block = Array.isArray(raw.platforms) && index !== undefined ? raw.platforms.filter((p) => isRecord(p) && p.platform === PLATFORM_NAME)[index] : undefined;
    if (!block) {
      source = 'no VeluxClimate platform';
    } else {
      const result = validateConfig(block);
      if (result.ok) climate = result.config.climate ?? {};
      else source = 'invalid config';
    }
  }
  const { defaults, rooms, settingsFor } = resolveClimateSettings(climate);
  return {
    source,
    climate,
    settingsFor,
    roomsDiffer: (key) => rooms.some(({ settings }) => settings[key] !== defaults[key]),
  };
}

/** Device names from Homebridge's accessory cache (main and child bridges), by device key. */
function deviceNames(storagePath: string): Map<string, string> {
  const names = new Map<string, string>();
  const dir = join(storagePath, 'accessories');
  let files: string[];
  try {
    // Backups (".cachedAccessories.bak") only fill gaps.
    files = readdirSync(dir)
      .filter((name) => /^\.?cachedAccessories/.test(name))
      .sort((a, b) => Number(a.startsWith('.')) - Number(b.startsWith('.')) || a.localeCompare(b));
  } catch {
    return names;
  }
  for (const file of files) {
    const entries = readJsonQuietly(join(dir, file));
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (!isRecord(entry) || entry.plugin !== PLUGIN_NAME || typeof entry.displayName !== 'string') continue;
      const role = isRecord(entry.context) && isRecord(entry.context.role) ? entry.context.role : undefined;
      if (role?.kind === 'device' && typeof role.deviceKey === 'string' && !names.has(role.deviceKey)) names.set(role.deviceKey, entry.displayName);
    }
  }
  return names;
}

/** The room of each device the history mentions (the latest entry wins: devices can move). */
function deviceRooms(entries: readonly ClimateHistoryEntry[]): Map<string, string> {
  const rooms = new Map<string, string>();
  for (const entry of entries) if (typeof entry.device === 'string') rooms.set(entry.device, entry.room);
  return rooms;
}

function readHistory(context: CliContext): { path: string; read: Read<ClimateHistoryEntry[]> } {
  const path = join(contextBlock(context).dir, CLIMATE_FILES.history);
  return { path, read: readChecked(path, parseClimateHistory) };
}

/** "2026-11-21 14:03", local time of this machine (normally the one Homebridge runs on). */
export function formatTime(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

const iso = (at: number | undefined): string | undefined => (at === undefined ? undefined : new Date(at).toISOString());

/** The one room the user asked for: exact name, else the only case-insensitive match. */
function matchRoom(wanted: string | undefined, known: Iterable<string>): string | undefined {
  if (wanted === undefined) return undefined;
  const all = [...new Set(known)];
  if (all.includes(wanted)) return wanted;
  const loose = all.filter((room) => room.toLowerCase() === wanted.toLowerCase());
  return loose.length === 1 ? loose[0] : wanted;
}

// ---- history --------------------------------------------------------------------------------

function parseDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const days = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(days) || days < 1) throw new CliError(`--days: expected a whole number of days, at least 1 (not "${text}")`, 2);
  return days;
}

async function history(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { room: { type: 'string' }, days: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new CliError('usage: velux-climate climate history [--room <name>] [--days <n>] [--json]', 2);
  const days = parseDays(values.days);
  const { stdout } = context.io;
  const { path, read } = readHistory(context);
  const all = read.state === 'read' ? read.value : [];
  const room = matchRoom(values.room, all.map((entry) => entry.room));
  const since = days === undefined ? -Infinity : Date.now() - days * DAY_MS;
  const entries = all
    .filter((entry) => entry.at >= since && (room === undefined || entry.room === room))
    .sort((a, b) => a.at - b.at);

  if (values.json) {
    const names = deviceNames(context.storagePath);
    const rows = entries.map((entry) => ({
      at: iso(entry.at),
      room: entry.room,
      kind: entry.kind,
      trigger: entry.trigger,
      ...(entry.guard !== undefined && { guard: entry.guard }),
      ...(entry.device !== undefined && { device: entry.device }),
      ...(entry.device !== undefined && names.has(entry.device) && { deviceName: names.get(entry.device) }),
      text: entry.text,
    }));
    stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }

  if (entries.length === 0) {
    stdout.write(`${emptyHistoryReason(context, read.state === 'missing', path, all, room, days)}\n`);
    return 0;
  }
  for (const entry of entries) stdout.write(`${formatTime(entry.at)} ${entry.text}\n`);
  return 0;
}

function emptyHistoryReason(
  context: CliContext,
  missing: boolean,
  path: string,
  all: readonly ClimateHistoryEntry[],
  room: string | undefined,
  days: number | undefined,
): string {
  const settings = readSettings(context.storagePath, contextBlock(context).id);
  if (settings.source === 'read' && settings.climate.historyDays === 0) return 'No climate history: climate.historyDays is 0 in config.json, so none is kept.';
  if (settings.source === 'read' && settings.climate.enabled === false && missing) return 'No climate history: the climate control is switched off in config.json (climate.enabled: false).';
  if (missing) return `No climate history yet (${path} does not exist): the climate control has not decided anything yet.`;
  const window = days === undefined ? '' : ` in the last ${days} day${days === 1 ? '' : 's'}`;
  if (room !== undefined && !all.some((entry) => entry.room === room)) {
    const rooms = [...new Set(all.map((entry) => entry.room))].sort();
    return `No climate history for "${room}".${rooms.length > 0 ? ` Rooms in the history: ${rooms.join(', ')}.` : ''}`;
  }
  return `No climate decisions${room !== undefined ? ` for ${room}` : ''}${window}.`;
}

// ---- status ---------------------------------------------------------------------------------

/** A climate trigger in words (also the UI's Rooms page). */
export const TRIGGER_WORDS: Record<string, string> = {
  co2: 'CO2',
  humidity: 'humidity',
  heat: 'heat',
  air_recycling: 'air recycling',
  heat_protection: 'heat protection',
  departure: 'departure mode',
  comfort_reached: 'comfort reached',
  max_airing: 'the maximum airing time',
  too_cold: 'the room getting too cold',
};
const words = (trigger: string | undefined): string => (trigger === undefined ? 'an earlier decision' : (TRIGGER_WORDS[trigger] ?? trigger.replace(/_/g, ' ')));

interface DeviceRef {
  device: string;
  name?: string;
  room?: string;
}

export interface ClimateStatus {
  file: string;
  /** False when the climate control has no memory file yet. */
  exists: boolean;
  changedAt?: string;
  /** Where the settings used for the times below come from. */
  settings: SettingsSource['source'];
  climateEnabled: boolean;
  departure: { mode: 'away' | 'home' | 'unknown'; since?: string };
  openedWindows: Array<DeviceRef & { position?: number; since: string; closesBy: string }>;
  closing: Array<DeviceRef & { reason?: string; since: string }>;
  manualPauses: Array<DeviceRef & { usedAt: string; until: string; pauseMinutes: number; pauseMayDiffer: boolean }>;
  heatProtected: Array<DeviceRef & { position?: number; previousPosition?: number; since: string; backBelow: number }>;
  rooms: Array<{
    room: string;
    switchedOff?: 'config' | 'switch';
    airing?: { reason: string; since: string };
    restUntil?: string;
    humidityHighSince?: string;
    humidityOpensAt?: string;
    /** Air recycling counts from here: the start of the last airing, or when the room was first seen. */
    airRecyclingCountsFrom?: string;
    nextAirRecyclingAt?: string;
  }>;
}

export function climateStatus(context: CliContext, wantedRoom?: string, now = Date.now()): ClimateStatus {
  const block = contextBlock(context);
  const path = join(block.dir, CLIMATE_FILES.memory);
  const read = readChecked<ClimateMemory>(path, parseClimateMemory);
  const memory: ClimateMemory = read.state === 'read' ? read.value : { rooms: {}, devices: {} };
  const settings = readSettings(context.storagePath, block.id);
  const historyRead = readHistory(context).read;
  const rooms = deviceRooms(historyRead.state === 'read' ? historyRead.value : []);
  const names = deviceNames(context.storagePath);
  const homeState = readJsonQuietly(join(block.dir, STORAGE_FILES.home));
  const switches = isRecord(homeState) && isRecord(homeState.roomClimateEnabled) ? homeState.roomClimateEnabled : {};

  const knownRooms = [...Object.keys(memory.rooms), ...rooms.values(), ...Object.keys(switches), ...(settings.climate.rooms ?? []).map((r) => r.room)];
  const room = matchRoom(wantedRoom, knownRooms);
  const ref = (device: string): DeviceRef => ({
    device,
    ...(names.has(device) && { name: names.get(device) }),
    ...(rooms.has(device) && { room: rooms.get(device) }),
  });
  const inRoom = (device: string) => room === undefined || rooms.get(device) === room;

  const away = memory.away;
  const since = num(memory.departureStartedAt);
  const result: ClimateStatus = {
    file: path,
    exists: read.state === 'read',
    ...(read.state === 'read' && { changedAt: iso(read.changedAt) }),
    settings: settings.source,
    climateEnabled: settings.climate.enabled !== false,
    departure: away === undefined ? { mode: 'unknown' } : { mode: away ? 'away' : 'home', ...(away && since !== undefined && { since: iso(since) }) },
    openedWindows: [],
    closing: [],
    manualPauses: [],
    heatProtected: [],
    rooms: [],
  };

  for (const [device, entry] of Object.entries(memory.devices) as [string, DeviceMemory][]) {
    if (!isRecord(entry) || !inRoom(device)) continue;
    const roomSettings = settings.settingsFor(rooms.get(device));
    const closingSince = num(entry.closingSince);
    const openedAt = num(entry.autoOpenedAt);
    const protectedAt = num(entry.heatProtectedAt);
    const manualAt = num(entry.lastManualAt);
    const openedTo = num(entry.autoOpenedTo);
    const protectedTo = num(entry.heatProtectedTo);
    const protectedFrom = num(entry.heatProtectedFrom);
    if (closingSince !== undefined) {
      result.closing.push({ ...ref(device), ...(typeof entry.closingReason === 'string' && { reason: entry.closingReason }), since: iso(closingSince)! });
    } else {
      if (openedAt !== undefined) {
        result.openedWindows.push({
          ...ref(device),
          ...(openedTo !== undefined && { position: openedTo }),
          since: iso(openedAt)!,
          closesBy: iso(openedAt + roomSettings.maxAiringMinutes * MINUTE_MS)!,
        });
      }
      if (protectedAt !== undefined) {
        result.heatProtected.push({
          ...ref(device),
          ...(protectedTo !== undefined && { position: protectedTo }),
          ...(protectedFrom !== undefined && { previousPosition: protectedFrom }),
          since: iso(protectedAt)!,
          backBelow: roomSettings.coolingSetpoint - HEAT_PROTECTION_RELEASE_C,
        });
      }
    }
    if (manualAt !== undefined) {
      const until = manualAt + roomSettings.manualPauseMinutes * MINUTE_MS;
      // The end itself still counts as paused (climate/guards.ts).
      if (now <= until) {
        result.manualPauses.push({
          ...ref(device),
          usedAt: iso(manualAt)!,
          until: iso(until)!,
          pauseMinutes: roomSettings.manualPauseMinutes,
          pauseMayDiffer: !rooms.has(device) && settings.roomsDiffer('manualPauseMinutes'),
        });
      }
    }
  }

  const roomNames = new Set<string>([...Object.keys(memory.rooms), ...Object.keys(switches).filter((r) => switches[r] === false)]);
  for (const entry of settings.climate.rooms ?? []) if (entry.enabled === false) roomNames.add(entry.room);
  for (const name of [...roomNames].sort()) {
    if (room !== undefined && name !== room) continue;
    const roomMemory = (isRecord(memory.rooms[name]) ? memory.rooms[name] : {}) as RoomMemory;
    const roomSettings = settings.settingsFor(name);
    const line: ClimateStatus['rooms'][number] = { room: name };
    if (!roomSettings.enabled) line.switchedOff = 'config';
    else if (switches[name] === false) line.switchedOff = 'switch';
    const airingSince = num(roomMemory.airingSince);
    if (airingSince !== undefined && typeof roomMemory.airingReason === 'string') line.airing = { reason: roomMemory.airingReason, since: iso(airingSince)! };
    const restUntil = num(roomMemory.restUntil);
    if (restUntil !== undefined && restUntil > now) line.restUntil = iso(restUntil);
    const humidSince = num(roomMemory.humidityHighSince);
    if (humidSince !== undefined) {
      line.humidityHighSince = iso(humidSince);
      line.humidityOpensAt = iso(humidSince + roomSettings.humidityDelayMinutes * MINUTE_MS);
    }
    const lastAiring = num(roomMemory.lastAirRecyclingAt);
    if (lastAiring !== undefined) {
      line.airRecyclingCountsFrom = iso(lastAiring);
      if (roomSettings.airRecyclingIntervalHours > 0) line.nextAirRecyclingAt = iso(lastAiring + roomSettings.airRecyclingIntervalHours * HOUR_MS);
    }
    result.rooms.push(line);
  }
  const order = (a: DeviceRef, b: DeviceRef) => (a.room ?? '\uffff').localeCompare(b.room ?? '\uffff') || (a.name ?? a.device).localeCompare(b.name ?? b.device);
  for (const list of [result.openedWindows, result.closing, result.manualPauses, result.heatProtected]) list.sort(order);
  return result;
}

async function status(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { room: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new CliError('usage: velux-climate climate status [--room <name>] [--json]', 2);
  const now = Date.now();
  const report = climateStatus(context, values.room, now);
  context.io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describeStatus(report, values.room, now));
  return 0;
}

const at = (text: string | undefined): string => (text === undefined ? '?' : formatTime(Date.parse(text)));

function label(d: DeviceRef, kind: string): string {
  const name = d.name ?? `${kind} ${d.device}`;
  return d.room !== undefined && !name.includes(d.room) ? `${name} (${d.room})` : name;
}

/** The report in plain sentences. */
export function describeStatus(report: ClimateStatus, room: string | undefined, now: number): string {
  const out: string[] = [];
  const scope = room !== undefined ? ` for ${room}` : '';
  if (!report.exists) {
    out.push(`The climate control remembers nothing yet (${report.file} does not exist): it has not run, or its memory was reset.`);
  } else {
    out.push(`What the climate control remembers${scope} (${report.file}, last changed ${at(report.changedAt)}):`);
  }
  if (!report.climateEnabled) out.push('Note: the climate control is switched off in config.json (climate.enabled: false); this is what it remembered when it last ran.');
  if (report.settings !== 'read') {
    const why = { 'no config.json': 'no readable config.json', 'no VeluxClimate platform': 'no VeluxClimate platform in config.json', 'invalid config': 'config.json has problems (see the Homebridge log)' }[report.settings];
    out.push(`Note: ${why}; times below assume the built-in default settings.`);
  }
  out.push('');

  const { mode, since } = report.departure;
  out.push(
    mode === 'away'
      ? `Departure mode: on${since ? ` since ${at(since)}` : ''}. Nothing opens automatically until it ends.`
      : mode === 'home'
        ? 'Departure mode: off.'
        : 'Departure mode: not known yet (no evaluation since the memory was started).',
  );

  const section = (title: string, lines: string[]) => {
    out.push('', `${title}:`);
    out.push(...(lines.length > 0 ? lines.map((line) => `  ${line}`) : ['  none']));
  };
  section(
    'Windows it opened',
    report.openedWindows.map(
      (w) => `${label(w, 'window')}: opened${w.position !== undefined ? ` to ${w.position} %` : ''} at ${at(w.since)}; it closes it by ${at(w.closesBy)} at the latest`,
    ),
  );
  section(
    'Closing',
    report.closing.map((d) => `${label(d, 'device')}: to be closed since ${at(d.since)} (${words(d.reason)}); the close is repeated until it is seen closed`),
  );
  section(
    'Manual pauses running',
    report.manualPauses.map(
      (p) =>
        `${label(p, 'device')}: used by hand at ${at(p.usedAt)}; automation leaves it alone until ${at(p.until)}` +
        ` (${Math.max(0, Math.ceil((Date.parse(p.until) - now) / MINUTE_MS))} min left${p.pauseMayDiffer ? `; the default ${p.pauseMinutes}-min pause, its room may set another` : ''})`,
    ),
  );
  section(
    'Covers lowered against heat',
    report.heatProtected.map(
      (c) =>
        `${label(c, 'cover')}: lowered${c.position !== undefined ? ` to ${c.position} %` : ''} at ${at(c.since)}; ` +
        `goes back${c.previousPosition !== undefined ? ` to ${c.previousPosition} %` : ''} once the room is under ${c.backBelow} °C`,
    ),
  );
  section('Rooms', report.rooms.map((r) => describeRoom(r, now)));
  return `${out.join('\n')}\n`;
}

function describeRoom(r: ClimateStatus['rooms'][number], now: number): string {
  const parts: string[] = [];
  if (r.switchedOff === 'config') parts.push('climate control off in config.json');
  if (r.switchedOff === 'switch') parts.push('climate control switched off (Home app or Google)');
  if (r.airing) parts.push(`airing for ${words(r.airing.reason)} since ${at(r.airing.since)}`);
  if (r.restUntil) parts.push(`resting after the maximum airing until ${at(r.restUntil)} (no new airing before)`);
  if (r.humidityHighSince) parts.push(`humidity over the maximum since ${at(r.humidityHighSince)} (airing from ${at(r.humidityOpensAt)} if it stays high)`);
  if (r.airRecyclingCountsFrom !== undefined && r.airing === undefined) {
    if (r.nextAirRecyclingAt === undefined) parts.push('air recycling off');
    else parts.push(`air recycling due ${Date.parse(r.nextAirRecyclingAt) <= now ? 'since' : 'at'} ${at(r.nextAirRecyclingAt)}`);
  }
  return `${r.room}: ${parts.length > 0 ? parts.join('; ') : 'nothing remembered'}`;
}
