/**
 * `velux-climate climate status|history` through `main()`, against a storage directory
 * written by the plugin's own climate store (and, end to end, by a running controller):
 * plain-word output, --room/--days/--json, and that reading never changes a file.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/io.js';
import { ClimateController, type ClimateHistoryEntry } from '../../src/climate/controller.js';
import { DEFAULT_ROOM_SETTINGS } from '../../src/climate/settings.js';
import type { ClimateMemory } from '../../src/climate/types.js';
import { CLIMATE_FILES, openClimateStore } from '../../src/climate/store.js';
import { Home } from '../../src/home/model.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { silentLogger } from '../../src/logger.js';
import { ManualClock } from '../../src/simulator/clock.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';
import { blockDir } from '../privacy/fixture.js';

const MINUTE = 60_000;
/** A local wall-clock time on 2026-11-21 (local, so the printed times do not depend on the machine's zone). */
const T = (hours: number, minutes: number, day = 21): number => new Date(2026, 10, day, hours, minutes).getTime();
const NOW = T(14, 20);

function scriptedIo(): CliIo & { out: string; err: string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const io = {
    out: '',
    err: '',
    stdout,
    stderr,
    interactive: false,
    async readSecret(): Promise<string> {
      throw new Error('no secrets here');
    },
  };
  stdout.on('data', (c: Buffer) => (io.out += c.toString()));
  stderr.on('data', (c: Buffer) => (io.err += c.toString()));
  return io;
}

async function run(storage: string, args: string[]) {
  const io = scriptedIo();
  const code = await main(['--storage', storage, ...args], io);
  return { code, out: io.out, err: io.err };
}

const KITCHEN_OPEN = 'Kitchen: opening Kitchen window to 25 % — CO2 1320 ppm over 1150';
const history: ClimateHistoryEntry[] = [
  {
    at: T(9, 15, 18),
    room: 'Bathroom',
    kind: 'blocked',
    trigger: 'humidity',
    guard: 'rain',
    text: 'Bathroom: not opening windows (humidity 78 % over 70 % for 15 min) — rain reported (weather)',
  },
  { at: T(12, 10), room: 'Living room', kind: 'action', trigger: 'heat_protection', device: 'gw/lb', text: 'Living room: lowering Living room blind to 10 % — 25.3 °C over the cooling setpoint 24 °C and 31000 lx over 20000' },
  { at: T(13, 49), room: 'Attic', kind: 'action', trigger: 'air_recycling', device: 'gw/aw', text: 'Attic: opening Attic window to 25 % — air recycling, last airing at 10:49' },
  { at: T(14, 0), room: 'Kitchen', kind: 'blocked', trigger: 'co2', guard: 'manual_pause', device: 'gw/ks', text: 'Kitchen: not opening Kitchen skylight to 25 % (CO2 1320 ppm over 1150) — Kitchen skylight was used by hand at 14:00; automation resumes at 14:45' },
  { at: T(14, 3), room: 'Kitchen', kind: 'action', trigger: 'co2', device: 'gw/kw', text: KITCHEN_OPEN },
  { at: T(14, 19), room: 'Attic', kind: 'action', trigger: 'max_airing', device: 'gw/aw', text: 'Attic: closing Attic window — open for 30 min, maximum airing 30 min' },
];

const memory: ClimateMemory = {
  away: false,
  rooms: {
    Kitchen: { airingReason: 'co2', airingSince: T(14, 3), lastAirRecyclingAt: T(14, 3) },
    Bathroom: { humidityHighSince: T(14, 10), lastAirRecyclingAt: T(12, 0) },
    Attic: { restUntil: T(14, 49), lastAirRecyclingAt: T(13, 49) },
    'Living room': { lastAirRecyclingAt: T(10, 0) },
  },
  devices: {
    'gw/kw': { autoOpenedAt: T(14, 3), autoOpenedTo: 25 },
    'gw/ks': { lastManualAt: T(14, 0) },
    'gw/kb': { lastManualAt: T(13, 40) },
    'gw/lb': { heatProtectedAt: T(12, 10), heatProtectedFrom: 80, heatProtectedTo: 10 },
    'gw/aw': { closingSince: T(14, 19), closingReason: 'max_airing' },
    'gw/old': { lastManualAt: T(9, 0) },
  },
};

const config = {
  bridge: { name: 'Homebridge', username: '0E:00:00:00:00:01', port: 51826, pin: '031-45-154' },
  platforms: [
    { platform: 'Other' },
    {
      platform: 'VeluxClimate',
      gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }],
      climate: {
        defaults: { airRecyclingIntervalHours: 4 },
        rooms: [
          { room: 'Kitchen', manualPauseMinutes: 45 },
          { room: 'Living room', coolingSetpoint: 24 },
          { room: 'Cellar', enabled: false },
        ],
      },
    },
  ],
};

function accessory(deviceKey: string, displayName: string, type: string) {
  return { plugin: 'homebridge-velux-climate', platform: 'VeluxClimate', displayName, UUID: `uuid-${deviceKey}`, context: { role: { kind: 'device', gatewayKey: 'gw', deviceKey, type } }, services: [] };
}

/** A storage directory as a running installation has it, written by the plugin's own stores. */
function populated(): string {
  const storage = mkdtempSync(join(tmpdir(), 'velux-climate-cli-'));
  const store = openClimateStore(blockDir(storage), silentLogger);
  store.saveMemory(memory);
  store.saveHistory(history);
  openHomeStateFile(blockDir(storage), silentLogger).update(() => ({ virtualAway: false, roomClimateEnabled: { Bathroom: false, Kitchen: true } }));
  writeFileSync(join(storage, 'config.json'), JSON.stringify(config, null, 2));
  mkdirSync(join(storage, 'accessories'));
  writeFileSync(
    join(storage, 'accessories', 'cachedAccessories'),
    JSON.stringify([
      accessory('gw/kw', 'Kitchen window', 'window'),
      accessory('gw/ks', 'Kitchen skylight', 'window'),
      accessory('gw/kb', 'Kitchen blind', 'blind'),
      accessory('gw/lb', 'Living room blind', 'blind'),
      { plugin: 'homebridge-other', displayName: 'Not ours', context: { role: { kind: 'device', deviceKey: 'gw/aw' } } },
    ]),
  );
  return storage;
}

/** Every file under the storage directory with its content and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[full] = `${statSync(full).mtimeMs} ${readFileSync(full, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

let storage: string;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  storage = populated();
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(storage, { recursive: true, force: true });
});

describe('velux-climate climate history', () => {
  it('prints every stored decision, oldest first, as "date time text"', async () => {
    const { code, out, err } = await run(storage, ['climate', 'history']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out.split('\n').filter(Boolean)).toEqual(history.map((h) => `${formatLocal(h.at)} ${h.text}`));
    expect(out).toContain(`2026-11-21 14:03 ${KITCHEN_OPEN}\n`);
  });

  it('keeps to one room (--room, any letter case) and the last days (--days)', async () => {
    const kitchen = await run(storage, ['climate', 'history', '--room', 'kitchen']);
    expect(kitchen.out.split('\n').filter(Boolean)).toHaveLength(2);
    expect(kitchen.out).not.toContain('Attic');
    const recent = await run(storage, ['climate', 'history', '--days', '1']);
    expect(recent.out).not.toContain('Bathroom');
    expect(recent.out.split('\n').filter(Boolean)).toHaveLength(history.length - 1);
    const none = await run(storage, ['climate', 'history', '--room', 'Bathroom', '--days', '2']);
    expect(none).toMatchObject({ code: 0, out: 'No climate decisions for Bathroom in the last 2 days.\n' });
  });

  it('answers in JSON with ISO times and device names', async () => {
    const { code, out } = await run(storage, ['climate', 'history', '--json', '--room', 'Kitchen']);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({ at: new Date(T(14, 0)).toISOString(), kind: 'blocked', guard: 'manual_pause', device: 'gw/ks', deviceName: 'Kitchen skylight' }),
      { at: new Date(T(14, 3)).toISOString(), room: 'Kitchen', kind: 'action', trigger: 'co2', device: 'gw/kw', deviceName: 'Kitchen window', text: KITCHEN_OPEN },
    ]);
  });

  it('explains an empty answer: unknown room, no file yet, history switched off', async () => {
    const unknown = await run(storage, ['climate', 'history', '--room', 'Garage']);
    expect(unknown.out).toBe('No climate history for "Garage". Rooms in the history: Attic, Bathroom, Kitchen, Living room.\n');

    rmSync(join(blockDir(storage), CLIMATE_FILES.history));
    const missing = await run(storage, ['climate', 'history']);
    expect(missing).toMatchObject({ code: 0 });
    expect(missing.out).toMatch(/^No climate history yet \(.*climate-history\.json does not exist\)/);

    const off = structuredClone(config);
    (off.platforms[1] as { climate: Record<string, unknown> }).climate.historyDays = 0;
    writeFileSync(join(storage, 'config.json'), JSON.stringify(off));
    expect((await run(storage, ['climate', 'history'])).out).toBe('No climate history: climate.historyDays is 0 in config.json, so none is kept.\n');
  });

  it('refuses wrong usage with exit code 2', async () => {
    for (const args of [['--days', '0'], ['--days', 'two'], ['--days', '1.5'], ['--colour'], ['extra']]) {
      const result = await run(storage, ['climate', 'history', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.out).toBe('');
    }
    expect((await run(storage, ['climate'])).code).toBe(2);
    expect((await run(storage, ['climate', 'now'])).err).toContain('climate: expected status or history, not "now"');
  });
});

describe('velux-climate climate status', () => {
  it('says in plain words what the algorithm remembers', async () => {
    const { code, out, err } = await run(storage, ['climate', 'status']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^What the climate control remembers \(.*climate-state\.json, last changed \d{4}-\d\d-\d\d \d\d:\d\d\):$/);
    expect(lines).toContain('Departure mode: off.');
    // Windows it opened: closed by 14:03 + the maximum airing (30 min by default).
    expect(lines).toContain('  Kitchen window: opened to 25 % at 2026-11-21 14:03; it closes it by 2026-11-21 14:33 at the latest');
    expect(lines).toContain('  device gw/aw (Attic): to be closed since 2026-11-21 14:19 (the maximum airing time); the close is repeated until it is seen closed');
    // The Kitchen has its own 45-min pause; the blind's room is unknown (no history), so the default 60 min, said so.
    expect(lines).toContain('  Kitchen skylight: used by hand at 2026-11-21 14:00; automation leaves it alone until 2026-11-21 14:45 (25 min left)');
    expect(lines).toContain(
      '  Kitchen blind: used by hand at 2026-11-21 13:40; automation leaves it alone until 2026-11-21 14:40 (20 min left; the default 60-min pause, its room may set another)',
    );
    expect(out).not.toContain('gw/old'); // its pause ended long ago
    // The living room's cooling setpoint is 24 °C: back below 23 °C.
    expect(lines).toContain('  Living room blind: lowered to 10 % at 2026-11-21 12:10; goes back to 80 % once the room is under 23 °C');
    expect(lines).toContain('  Attic: resting after the maximum airing until 2026-11-21 14:49 (no new airing before); air recycling due at 2026-11-21 17:49');
    expect(lines).toContain(
      '  Bathroom: climate control switched off (Home app or Google); humidity over the maximum since 2026-11-21 14:10 (airing from 2026-11-21 14:25 if it stays high); air recycling due since 2026-11-21 16:00'.replace(
        'due since 2026-11-21 16:00',
        'due at 2026-11-21 16:00',
      ),
    );
    expect(lines).toContain('  Cellar: climate control off in config.json');
    expect(lines).toContain('  Kitchen: airing for CO2 since 2026-11-21 14:03');
    expect(lines).toContain('  Living room: air recycling due since 2026-11-21 14:00');
  });

  it('keeps to one room with --room', async () => {
    const { out } = await run(storage, ['climate', 'status', '--room', 'Kitchen']);
    expect(out).toContain('What the climate control remembers for Kitchen');
    expect(out).toContain('Kitchen window: opened to 25 %');
    expect(out).toContain('Kitchen skylight: used by hand');
    expect(out).not.toMatch(/Attic|Bathroom|Living room|Kitchen blind/);
  });

  it('answers in JSON', async () => {
    const { code, out } = await run(storage, ['climate', 'status', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as Record<string, unknown>;
    expect(report).toMatchObject({
      exists: true,
      settings: 'read',
      climateEnabled: true,
      departure: { mode: 'home' },
      openedWindows: [{ device: 'gw/kw', name: 'Kitchen window', room: 'Kitchen', position: 25, since: new Date(T(14, 3)).toISOString(), closesBy: new Date(T(14, 33)).toISOString() }],
      heatProtected: [{ device: 'gw/lb', position: 10, previousPosition: 80, backBelow: 23 }],
      closing: [{ device: 'gw/aw', room: 'Attic', reason: 'max_airing' }],
    });
    expect((report.manualPauses as Array<{ device: string }>).map((p) => p.device)).toEqual(['gw/ks', 'gw/kb']);
  });

  it('tells departure mode, and when it started', async () => {
    openClimateStore(blockDir(storage), silentLogger).saveMemory({ away: true, departureStartedAt: T(8, 0), rooms: {}, devices: {} });
    const { out } = await run(storage, ['climate', 'status']);
    expect(out).toContain('Departure mode: on since 2026-11-21 08:00. Nothing opens automatically until it ends.');
    expect(out).toContain('Windows it opened:\n  none\n');
  });

  it('says when there is no memory yet, or no config to take the settings from', async () => {
    rmSync(join(blockDir(storage), CLIMATE_FILES.memory));
    rmSync(join(storage, 'config.json'));
    const { code, out } = await run(storage, ['climate', 'status']);
    expect(code).toBe(0);
    expect(out).toMatch(/^The climate control remembers nothing yet \(.*climate-state\.json does not exist\)/);
    expect(out).toContain('Note: no readable config.json; times below assume the built-in default settings.');
    expect(out).toContain('Departure mode: not known yet');
  });
});

describe('reading only', () => {
  it('changes no file, with every command and option', async () => {
    const before = snapshot(storage);
    for (const args of [['status'], ['status', '--json'], ['status', '--room', 'Attic'], ['history'], ['history', '--json', '--days', '3'], ['history', '--room', 'x']]) {
      expect((await run(storage, ['climate', ...args])).code).toBe(0);
    }
    expect(snapshot(storage)).toEqual(before);
  });

  it('reports a corrupt file and leaves it where it is (the plugin moves it aside at its next start, not the CLI)', async () => {
    const path = join(blockDir(storage), CLIMATE_FILES.memory);
    writeFileSync(path, '{"rooms": {');
    const before = snapshot(storage);
    const result = await run(storage, ['climate', 'status']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^velux-climate: cannot read .*climate-state\.json \(.*\); it was left as it is\n$/);
    writeFileSync(join(blockDir(storage), CLIMATE_FILES.history), '{"not": "a list"}');
    const history = await run(storage, ['climate', 'history']);
    expect(history.code).toBe(1);
    expect(history.err).toContain('its content is not what the plugin writes');
    expect(readdirSync(blockDir(storage)).sort()).toEqual(Object.keys(before).filter((f) => f.startsWith(blockDir(storage))).map((f) => f.slice(blockDir(storage).length + 1)).sort());
  });

  it('is listed in --help', async () => {
    const { out } = await run(storage, ['--help']);
    expect(out).toContain('velux-climate climate status [--room <name>] [--json]');
    expect(out).toContain('velux-climate climate history [--room <name>] [--days <n>] [--json]');
  });
});

// ---- end to end: what a running controller wrote ------------------------------------------

describe('against files a running controller wrote', () => {
  it('shows the window it opened and the decision, while the controller still runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'velux-climate-cli-live-'));
    try {
      const clock = new ManualClock();
      clock.advance(T(14, 1));
      vi.setSystemTime(clock.now());
      const gw = new ScriptedGateway({ moves: true });
      const home = new Home({ log: silentLogger, now: () => clock.now() });
      home.addGateway(gw);
      gw.emit('online', true);
      gw.emit('devices', [
        { id: 'kw', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: {} },
        { id: 'ks', type: 'sensor', name: 'Kitchen sensor', room: 'Kitchen', features: { measures: ['temperature', 'humidity', 'co2'] } },
      ]);
      gw.emit('state', 'kw', { position: 0, target: 0, motion: 'stopped' });
      gw.emit('weather', { temperature: 15, windSpeed: 1, rain: false });
      const reading = () => gw.emit('state', 'ks', { temperature: 21, humidity: 45, co2: 1320 });
      reading();
      const controller = new ClimateController({
        home,
        log: silentLogger,
        store: openClimateStore(blockDir(dir), silentLogger),
        settingsFor: () => ({ ...DEFAULT_ROOM_SETTINGS, airRecyclingIntervalHours: 0 }),
        historyDays: 7,
        clock,
        historyFlushMs: MINUTE,
      });
      controller.start();
      // Readings at 14:01, 14:02 and 14:03: the third confirms CO2 over the limit (two minutes).
      for (const seconds of [60, 60, 70]) {
        for (let i = 0; i < seconds; i++) {
          clock.advance(1000);
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (seconds === 60) reading();
      }
      vi.setSystemTime(clock.now());

      const historyRun = await run(dir, ['climate', 'history']);
      expect(historyRun.out).toMatch(/^2026-11-21 14:03 Kitchen: opening Kitchen window to 25 % — CO2 1320 ppm over 1150\n$/);
      const statusRun = await run(dir, ['climate', 'status']);
      expect(statusRun.out).toContain('  window gw/kw (Kitchen): opened to 25 % at 2026-11-21 14:03; it closes it by 2026-11-21 14:33 at the latest');
      expect(statusRun.out).toContain('  Kitchen: airing for CO2 since 2026-11-21 14:03');
      controller.stop();
      await home.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function formatLocal(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
