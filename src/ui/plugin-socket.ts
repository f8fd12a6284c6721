/**
 * The running plugin's side of the custom Homebridge UI (docs/ui.md): a Unix domain socket in
 * the plugin's storage folder, `<plugin folder>/ui/plugin.sock`, through which the UI's server
 * part (homebridge-ui/server.js, a separate process started by the Homebridge UI) reads the
 * live home and sends commands. No TCP port is opened.
 *
 * Who can use it: the folder `ui/` is created 0700 before the socket exists and the socket is
 * chmod 0600, so only the user Homebridge runs as (the storage owner) can connect; there is
 * no moment in which another user could. Nothing secret crosses it: device states, names,
 * rooms and the climate control's words; never a config value, password, token or key.
 *
 * Protocol: the client writes one JSON request and a newline, the plugin answers with one JSON
 * line and closes. Requests bigger than 16 KiB, or not one of REQUEST kinds, get an error
 * answer and change nothing. Commands go through the home's one command path with source `ui`.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ClimateHistoryEntry } from '../climate/controller.js';
import type { CommandResult, DeviceCommand, DeviceState } from '../gateway/types.js';
import type { Home } from '../home/model.js';
import type { Logger } from '../logger.js';
import { answers } from '../net-probe.js';

export const MAX_REQUEST_BYTES = 16 * 1024;
/** Unix socket paths longer than this do not fit sockaddr_un on Linux (108 bytes with the NUL). */
export const MAX_SOCKET_PATH = 107;

export interface UiDevice {
  key: string;
  name: string;
  room?: string;
  type: string;
  gateway: string;
  state: DeviceState;
  stateUpdatedAt?: number;
  reachable: boolean;
  missingSince?: number;
}

export interface UiRoom {
  name: string;
  climateCapable: boolean;
  climateEnabled: boolean;
  blocked?: { guard: string; detail: string; since: number };
  /** Why nothing happens where a user might expect something, from the last evaluation. */
  notes: string[];
  /** The newest climate decisions for this room (newest last). */
  recent: ClimateHistoryEntry[];
}

export interface UiSnapshot {
  now: number;
  away: boolean;
  physicalDepartureSwitch: boolean;
  climateRunning: boolean;
  weather?: { temperature?: number; windSpeed?: number; rain?: boolean };
  gateways: Array<{ key: string; name: string; online: boolean; devices: number; lastMessageAt?: number }>;
  devices: UiDevice[];
  rooms: UiRoom[];
}

export type UiRequest =
  | { op: 'snapshot' }
  | { op: 'command'; device: string; command: { position: number } | { stop: true } }
  | { op: 'away'; away: boolean }
  | { op: 'roomClimate'; room: string; enabled: boolean }
  /** `velux-climate devices prune`: remove the devices missing from their gateway's list now. */
  | { op: 'prune' };

export type UiAnswer = { ok: true; snapshot?: UiSnapshot; result?: CommandResult; pruned?: number } | { ok: false; error: string };

/** What the socket needs of the climate control (absent when it is switched off). */
export interface ClimateView {
  lastDecisions?: { rooms: Array<{ room: string; notes: string[] }> };
  historyOf(room?: string): ClimateHistoryEntry[];
}

const RECENT_DECISIONS = 5;

/** Checks a request read from the socket; a string is the reason it is refused. */
export function parseUiRequest(text: string): UiRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the request is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the request is not a JSON object';
  const r = value as Record<string, unknown>;
  switch (r['op']) {
    case 'snapshot':
      return { op: 'snapshot' };
    case 'command': {
      if (typeof r['device'] !== 'string' || r['device'].length === 0 || r['device'].length > 512) return 'command: "device" must be a device key';
      const c = r['command'];
      if (typeof c !== 'object' || c === null) return 'command: "command" must be {"position": 0-100} or {"stop": true}';
      const command = c as Record<string, unknown>;
      if (command['stop'] === true && Object.keys(command).length === 1) return { op: 'command', device: r['device'], command: { stop: true } };
      const position = command['position'];
      if (typeof position === 'number' && Number.isFinite(position) && position >= 0 && position <= 100 && Object.keys(command).length === 1) {
        return { op: 'command', device: r['device'], command: { position } };
      }
      return 'command: "command" must be {"position": 0-100} or {"stop": true}';
    }
    case 'away':
      return typeof r['away'] === 'boolean' ? { op: 'away', away: r['away'] } : 'away: "away" must be true or false';
    case 'roomClimate':
      if (typeof r['room'] !== 'string' || r['room'].length === 0 || r['room'].length > 256) return 'roomClimate: "room" must be a room name';
      return typeof r['enabled'] === 'boolean' ? { op: 'roomClimate', room: r['room'], enabled: r['enabled'] } : 'roomClimate: "enabled" must be true or false';
    case 'prune':
      return Object.keys(r).length === 1 ? { op: 'prune' } : 'prune: takes no fields';
    default:
      return 'unknown request (expected op snapshot, command, away, roomClimate or prune)';
  }
}

/** The live home as the UI shows it: states and words, nothing from the config. */
export function snapshot(home: Home, climate: ClimateView | undefined): UiSnapshot {
  const devices: UiDevice[] = home.devices().map((d) => ({
    key: d.key,
    name: d.descriptor.name,
    ...(d.descriptor.room?.trim() ? { room: d.descriptor.room.trim() } : {}),
    type: d.descriptor.type,
    gateway: d.gatewayKey,
    state: { ...d.state },
    ...(d.stateUpdatedAt !== undefined && { stateUpdatedAt: d.stateUpdatedAt }),
    reachable: d.reachable,
    ...(d.missingSince !== undefined && { missingSince: d.missingSince }),
  }));
  const notes = new Map((climate?.lastDecisions?.rooms ?? []).map((r) => [r.room, r.notes]));
  const rooms: UiRoom[] = home
    .rooms()
    .map((room) => {
      const status = home.roomClimate(room.name);
      return {
        name: room.name,
        climateCapable: room.climateCapable,
        climateEnabled: status.enabled,
        ...(status.blocked && { blocked: { ...status.blocked } }),
        notes: notes.get(room.name) ?? [],
        recent: climate ? climate.historyOf(room.name).slice(-RECENT_DECISIONS) : [],
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const weather = home.weather;
  return {
    now: home.now(),
    away: home.away,
    physicalDepartureSwitch: home.hasPhysicalDepartureSwitch,
    climateRunning: climate !== undefined,
    ...(weather && { weather: { ...weather } }),
    gateways: home.gatewayKeys.map((key) => {
      const own = home.devicesOf(key);
      const times = own.map((d) => d.stateUpdatedAt).filter((t): t is number => t !== undefined);
      return {
        key,
        name: home.gatewayName(key),
        online: home.gatewayOnline(key),
        devices: own.length,
        ...(times.length > 0 && { lastMessageAt: Math.max(...times) }),
      };
    }),
    devices,
    rooms,
  };
}

/** Answers one request against the running home. */
export async function answer(request: UiRequest, home: Home, climate: ClimateView | undefined): Promise<UiAnswer> {
  switch (request.op) {
    case 'snapshot':
      return { ok: true, snapshot: snapshot(home, climate) };
    case 'command': {
      const command: DeviceCommand = request.command;
      return { ok: true, result: await home.command(request.device, command, 'ui') };
    }
    case 'away':
      return { ok: true, result: await home.setAway(request.away, 'ui') };
    case 'roomClimate':
      if (!home.rooms().some((r) => r.name === request.room)) return { ok: false, error: `there is no room "${request.room}"` };
      home.setRoomClimateEnabled(request.room, request.enabled, 'ui');
      return { ok: true, result: { ok: true } };
    case 'prune':
      return { ok: true, pruned: home.pruneMissing() };
  }
}

export class UiSocketServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly home: Home,
    private readonly climate: ClimateView | undefined,
    private readonly log: Logger,
  ) {}

  /** Starts listening; a problem is logged (the plugin runs on without the live UI). */
  async start(): Promise<boolean> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH) {
      this.log.warn(`Homebridge UI: the socket path ${this.path} is longer than ${MAX_SOCKET_PATH} bytes; the plugin's UI pages show no live state`);
      return false;
    }
    try {
      const dir = dirname(this.path);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      if (existsSync(this.path)) {
        if (await answers({ path: this.path })) {
          this.log.warn(`Homebridge UI: another Homebridge already serves ${this.path}; this one shows no live state in the UI`);
          return false;
        }
        if (!lstatSync(this.path).isSocket()) throw new Error(`${this.path} exists and is not a socket; left as it is`);
        unlinkSync(this.path); // left over from a crash
      }
      const server = createServer((socket) => this.serve(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chmodSync(this.path, 0o600);
      server.on('error', (err) => this.log.warn(`Homebridge UI socket: ${err.message}`));
      this.server = server;
      return true;
    } catch (err) {
      this.log.warn(`Homebridge UI: cannot serve the live state (${err instanceof Error ? err.message : String(err)}); the plugin runs on without it`);
      return false;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {}
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(60_000, () => socket.destroy());
    let buffer = '';
    let done = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (done) return;
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0 && Buffer.byteLength(buffer) <= MAX_REQUEST_BYTES) return;
      done = true;
      const reply = (a: UiAnswer) => {
        if (!socket.destroyed) socket.end(`${JSON.stringify(a)}\n`);
      };
      if (newline < 0 || newline > MAX_REQUEST_BYTES) return reply({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
      const request = parseUiRequest(buffer.slice(0, newline));
      if (typeof request === 'string') return reply({ ok: false, error: request });
      answer(request, this.home, this.climate).then(reply, (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : String(err) }));
    });
  }
}

/** The UI server's side: one request, one answer (docs/ui.md). */
export function askPlugin(path: string, request: UiRequest, timeoutMs = 15_000): Promise<UiAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error('the plugin did not answer in time'));
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (err) => reject(err));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as UiAnswer);
      } catch {
        reject(new Error('the plugin sent an answer that is not JSON'));
      }
    });
  });
}
