/**
 * The controller between the home and the pure policy: commands go through the command path
 * tagged `climate`, manual use pauses automation, memory survives a restart, blocks are
 * reported once and drive the room's "ventilation blocked" status.
 */
import { describe, expect, it } from 'vitest';
import { ClimateController, type ClimateHistoryEntry, type ClimateStore } from '../../src/climate/controller.js';
import { EMPTY_CLIMATE_MEMORY } from '../../src/climate/memory.js';
import { DEFAULT_ROOM_SETTINGS, type RoomSettings } from '../../src/climate/settings.js';
import type { ClimateMemory } from '../../src/climate/types.js';
import { Home } from '../../src/home/model.js';
import { ManualClock } from '../../src/simulator/clock.js';
import { recordingLogger } from '../helpers/log.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

const MINUTE = 60_000;
// 2026-06-01 12:00 UTC: daytime, so quiet hours (none by default) and clocks are unremarkable.
const START = Date.UTC(2026, 5, 1, 12, 0, 0);

function memoryStore(initial: ClimateMemory = EMPTY_CLIMATE_MEMORY): ClimateStore & { saves: number } {
  const store = {
    memory: initial,
    history: [] as ClimateHistoryEntry[],
    saves: 0,
    saveMemory(m: ClimateMemory) {
      store.memory = m;
      store.saves++;
    },
    saveHistory(h: ClimateHistoryEntry[]) {
      store.history = h;
    },
  };
  return store;
}

async function settle(clock: ManualClock, ms: number) {
  // Step in small increments so timers and promise callbacks interleave as in real life.
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(Math.min(1000, ms - t));
    await new Promise((r) => setImmediate(r));
  }
}

function setUp(store = memoryStore(), clock = new ManualClock(), extra: Partial<RoomSettings> = {}) {
  clock.advance(START - clock.now());
  const gw = new ScriptedGateway({ moves: true });
  const log = recordingLogger();
  // As in the platform: the config's per-room `enabled` is the default of the room's switch.
  const home = new Home({ log, now: () => clock.now(), roomClimateDefault: () => extra.enabled ?? true });
  home.addGateway(gw);
  gw.emit('online', true);
  gw.emit('devices', [
    { id: 'kw', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: {} },
    { id: 'ks', type: 'sensor', name: 'Kitchen sensor', room: 'Kitchen', features: { measures: ['temperature', 'humidity', 'co2'] } },
  ]);
  gw.emit('state', 'kw', { position: 0, target: 0, motion: 'stopped' });
  gw.emit('weather', { temperature: 15, windSpeed: 1, rain: false });
  const controller = new ClimateController({
    home,
    log,
    store,
    settingsFor: () => ({ ...DEFAULT_ROOM_SETTINGS, airRecyclingIntervalHours: 0, ...extra }),
    historyDays: 7,
    clock,
    timeZoneOffsetMinutes: () => 0,
  });
  const sensor = (co2: number, extra: Record<string, number> = {}) => gw.emit('state', 'ks', { temperature: 21, humidity: 45, co2, ...extra });
  /** Three readings a minute apart (the default confirmation is two minutes of readings), then the usual 2 s. */
  const risen = async (co2: number) => {
    for (let reading = 0; reading < 3; reading++) {
      if (reading > 0) await settle(clock, MINUTE - 2000);
      sensor(co2);
      await settle(clock, 2000);
    }
  };
  return { gw, home, log, controller, clock, store, sensor, risen };
}

describe('ClimateController', () => {
  it('airs on CO2 through the command path tagged climate, explains it, and closes when comfort returns', async () => {
    const { gw, log, controller, clock, sensor, store, risen } = setUp();
    controller.start();
    sensor(1320);
    await settle(clock, 50_000);
    expect(gw.sent).toEqual([]); // one reading is not confirmed yet
    await risen(1320);
    expect(gw.sent).toEqual([{ deviceId: 'kw', command: { position: 25 }, source: 'climate' }]);
    expect(log.text('info').some((l) => /Kitchen: opening Kitchen window to 25 %.*CO2 1320 ppm/.test(l))).toBe(true);
    expect(store.memory.devices['gw/kw']?.autoOpenedAt).toBeDefined();
    sensor(700);
    await settle(clock, 6 * MINUTE);
    expect(gw.sent.at(-1)).toEqual({ deviceId: 'kw', command: { position: 0 }, source: 'climate' });
    controller.stop();
    expect(store.history.map((h) => h.trigger)).toEqual(['co2', 'comfort_reached']);
  });

  it('treats any other source as manual use and pauses automation for that window', async () => {
    const { gw, home, controller, clock, sensor } = setUp();
    controller.start();
    sensor(800);
    await settle(clock, 2000);
    await home.command('gw/kw', { position: 0 }, 'homekit');
    sensor(1400);
    await settle(clock, 30 * MINUTE);
    expect(gw.sent.filter((s) => s.source === 'climate')).toEqual([]);
    await settle(clock, 31 * MINUTE); // the 60-minute pause is over
    sensor(1400); // a fresh reading (older ones count as stale after 15 minutes)
    await settle(clock, 2000);
    expect(gw.sent.filter((s) => s.source === 'climate').map((s) => s.command)).toEqual([{ position: 25 }]);
    controller.stop();
  });

  it('closes an auto-opened window on time after a restart with the persisted memory', async () => {
    const first = setUp();
    first.controller.start();
    await first.risen(1400);
    expect(first.gw.sent.at(-1)?.command).toEqual({ position: 25 });
    first.controller.stop();
    await first.home.stop();

    // "Restart" 20 minutes later: new home, new controller, same store and the window still open.
    const clock = first.clock;
    await settle(clock, 20 * MINUTE);
    const second = setUp(first.store, clock);
    second.gw.emit('state', 'kw', { position: 25, target: 25, motion: 'stopped' });
    second.sensor(1400); // CO2 still high: only the maximum airing time can close it
    second.controller.start();
    await settle(second.clock, 9 * MINUTE);
    expect(second.gw.sent.filter((s) => s.source === 'climate')).toEqual([]);
    await settle(second.clock, 3 * MINUTE); // 30 min maximum airing + one evaluation period
    expect(second.gw.sent.filter((s) => s.source === 'climate').map((s) => s.command)).toEqual([{ position: 0 }]);
    second.controller.stop();
  });

  it('reports a block once, drives the blocked status, and clears it', async () => {
    const { gw, home, log, controller, clock, sensor, risen } = setUp();
    gw.emit('weather', { temperature: 15, windSpeed: 1, rain: true });
    controller.start();
    await risen(1400);
    await settle(clock, 3 * MINUTE);
    expect(gw.sent).toEqual([]);
    const blockedLines = log.text('info').filter((l) => l.includes('Kitchen') && /rain/i.test(l));
    expect(blockedLines).toHaveLength(1);
    expect(home.roomClimate('Kitchen').blocked?.guard).toBe('rain');
    gw.emit('weather', { temperature: 15, windSpeed: 1, rain: false });
    await settle(clock, 2000);
    // The 15-minute hold after rain: still blocked by `rain` (the same block, not logged again), nothing sent.
    expect(home.roomClimate('Kitchen').blocked).toMatchObject({ guard: 'rain', detail: expect.stringContaining('rain last reported at') });
    expect(gw.sent).toEqual([]);
    expect(log.text('info').filter((l) => l.includes('Kitchen') && /rain/i.test(l))).toHaveLength(1);
    for (let minute = 0; minute < 15; minute++) {
      sensor(1400);
      await settle(clock, MINUTE);
    }
    expect(home.roomClimate('Kitchen').blocked).toBeUndefined();
    expect(gw.sent.map((s) => s.command)).toEqual([{ position: 25 }]);
    controller.stop();
  });

  it('applies the history retention at start-up', () => {
    const store = memoryStore();
    const day = 86_400_000;
    store.history = [
      { at: START - 8 * day, room: 'Kitchen', kind: 'action', trigger: 'co2', text: 'old' },
      { at: START - 1 * day, room: 'Kitchen', kind: 'action', trigger: 'co2', text: 'recent' },
    ];
    const { controller } = setUp(store);
    expect(controller.historyOf().map((h) => h.text)).toEqual(['recent']);
    expect(store.history.map((h) => h.text)).toEqual(['recent']);
  });

  it('does not flag quiet hours as blocked ventilation (it would trip every night)', async () => {
    const { gw, home, controller, risen } = setUp(undefined, undefined, { quietHours: { start: '11:00', end: '13:00' } });
    controller.start();
    await risen(1400);
    expect(gw.sent).toEqual([]);
    expect(controller.lastDecisions?.rooms[0]?.blocked.map((b) => b.guard)).toContain('quiet_hours');
    expect(home.roomClimate('Kitchen').blocked).toBeUndefined();
    controller.stop();
  });

  it("lets the room's switch turn on a room the config starts switched off", async () => {
    const { gw, home, controller, clock, risen } = setUp(undefined, undefined, { enabled: false });
    controller.start();
    await risen(1400);
    expect(gw.sent).toEqual([]);
    home.setRoomClimateEnabled('Kitchen', true, 'homekit');
    await settle(clock, 2000);
    expect(gw.sent.map((s) => s.command)).toEqual([{ position: 25 }]);
    controller.stop();
  });

  it('does nothing in a room the user switched off, and does not flag it as blocked', async () => {
    const { gw, home, controller, clock, risen } = setUp();
    home.setRoomClimateEnabled('Kitchen', false, 'homekit');
    controller.start();
    await risen(1400);
    await settle(clock, 3 * MINUTE);
    expect(gw.sent).toEqual([]);
    expect(home.roomClimate('Kitchen').blocked).toBeUndefined();
    home.setRoomClimateEnabled('Kitchen', true, 'google');
    await settle(clock, 2000);
    expect(gw.sent.map((s) => s.command)).toEqual([{ position: 25 }]);
    controller.stop();
  });
});
