/**
 * A home whose gateways report no weather (the VELUX ACTIVE over HomeKit): the room's status
 * and the log name the weather guards that have no data, once per change; airing on CO2 still
 * works; when weather arrives the guards have data again.
 */
import { describe, expect, it } from 'vitest';
import { ClimateController, type ClimateHistoryEntry } from '../../src/climate/controller.js';
import { EMPTY_CLIMATE_MEMORY } from '../../src/climate/memory.js';
import { evaluate } from '../../src/climate/policy.js';
import { DEFAULT_ROOM_SETTINGS } from '../../src/climate/settings.js';
import type { ClimateMemory, RoomInput } from '../../src/climate/types.js';
import { Home } from '../../src/home/model.js';
import { ManualClock } from '../../src/simulator/clock.js';
import { recordingLogger } from '../helpers/log.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 5, 1, 12, 0, 0);

async function settle(clock: ManualClock, ms: number) {
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(Math.min(1000, ms - t));
    await new Promise((r) => setImmediate(r));
  }
}

function setUp(windowFeatures: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  clock.advance(START - clock.now());
  const gw = new ScriptedGateway({ moves: true });
  const log = recordingLogger();
  const home = new Home({ log, now: () => clock.now(), roomClimateDefault: () => true });
  home.addGateway(gw);
  gw.emit('online', true);
  gw.emit('devices', [
    // Named as the plugin names an unnamed KIX 300 window (the gateway calls them all "VELUX Window")
    { id: '5611111a114a111a', type: 'window', name: 'Window 111a', room: 'Attic', serial: '5611111a114a111a', features: windowFeatures },
    { id: 'a11b111', type: 'sensor', name: 'Attic sensor', room: 'Attic', serial: 'a11b111', features: { measures: ['temperature', 'humidity', 'co2'] } },
  ]);
  gw.emit('state', '5611111a114a111a', { position: 0, target: 0, motion: 'stopped' });
  let memory: ClimateMemory = EMPTY_CLIMATE_MEMORY;
  const controller = new ClimateController({
    home,
    log,
    store: {
      memory,
      history: [] as ClimateHistoryEntry[],
      saveMemory: (m) => (memory = m),
      saveHistory: () => undefined,
    },
    settingsFor: () => ({ ...DEFAULT_ROOM_SETTINGS, airRecyclingIntervalHours: 0 }),
    historyDays: 7,
    clock,
    timeZoneOffsetMinutes: () => 0,
  });
  const sensor = (co2: number) => gw.emit('state', 'a11b111', { temperature: 21, humidity: 45, co2 });
  return { gw, home, log, controller, clock, sensor };
}

const noDataLines = (log: ReturnType<typeof recordingLogger>) => log.text('info').filter((l) => /no data for the/.test(l));

describe('weather guards without data', () => {
  it('the room status and one log line name them; CO2 airing still works; weather arriving gives them data again', async () => {
    const { gw, home, log, controller, clock, sensor } = setUp();
    controller.start();
    sensor(700);
    await settle(clock, 5 * MINUTE);
    expect(home.roomClimate('Attic').guardsWithoutData).toEqual(['rain', 'wind', 'outdoor_temperature']);
    expect(noDataLines(log)).toEqual([
      "Attic: no data for the rain, wind and outdoor-temperature guards (no gateway reports that weather; no window of the room reports rain): they block nothing; airing on CO2 and humidity stays within the room's indoor limits",
    ]);
    // Names only: never a serial, never an empty name
    for (const line of log.text('info')) {
      expect(line).not.toMatch(/5611111a114a111a|a11b111/);
      expect(line).not.toMatch(/^: |\s{2}|""/);
    }

    // No weather guard can block: CO2 over the limit opens the window
    for (let reading = 0; reading < 3; reading++) {
      sensor(1320);
      await settle(clock, MINUTE);
    }
    expect(gw.sent).toEqual([{ deviceId: '5611111a114a111a', command: { position: 25 }, source: 'climate' }]);
    expect(log.text('info').some((l) => /^Attic: opening Window 111a to 25 %/.test(l))).toBe(true);
    expect(noDataLines(log)).toHaveLength(1); // not repeated at every evaluation

    // Part of the weather: the rest is still named
    gw.emit('weather', { temperature: 14 });
    await settle(clock, 2000);
    expect(home.roomClimate('Attic').guardsWithoutData).toEqual(['rain', 'wind']);
    expect(noDataLines(log).at(-1)).toMatch(/^Attic: no data for the rain and wind guards/);

    gw.emit('weather', { temperature: 14, windSpeed: 2, rain: false });
    await settle(clock, 2000);
    expect(home.roomClimate('Attic').guardsWithoutData).toBeUndefined();
    expect(log.text('info')).toContain('Attic: every weather guard (rain, wind, outdoor temperature) has data again');
    controller.stop();
  });

  it('a window with its own rain sensor gives the rain guard data', async () => {
    const { home, log, controller, clock, sensor } = setUp({ rainSensor: true });
    controller.start();
    sensor(700);
    await settle(clock, 2000);
    expect(home.roomClimate('Attic').guardsWithoutData).toEqual(['wind', 'outdoor_temperature']);
    expect(noDataLines(log)).toEqual([expect.stringMatching(/^Attic: no data for the wind and outdoor-temperature guards \(no gateway reports that weather\)/)]);
    controller.stop();
  });
});

describe('policy: guardsWithoutData in the room state', () => {
  const room = (rainSensor: boolean): RoomInput => ({
    name: 'Attic',
    settings: DEFAULT_ROOM_SETTINGS,
    sensor: { temperature: 21, humidity: 45, co2: 600, updatedAt: START, reachable: true },
    windows: [{ key: 'gw/w', name: 'Attic window', type: 'window', position: 0, target: 0, motion: 'stopped', reachable: true, rainSensor }],
    covers: [],
  });
  const state = (weather: Parameters<typeof evaluate>[0]['weather'], rainSensor = false) =>
    evaluate({ now: START, timeZoneOffsetMinutes: 0, away: false, gatewayOnline: true, weather, rooms: [room(rainSensor)], memory: EMPTY_CLIMATE_MEMORY }).rooms[0]!.state;

  it('lists exactly the weather parts nobody reports', () => {
    expect(state(undefined).guardsWithoutData).toEqual(['rain', 'wind', 'outdoor_temperature']);
    expect(state(undefined, true).guardsWithoutData).toEqual(['wind', 'outdoor_temperature']);
    expect(state({ windSpeed: 3 }).guardsWithoutData).toEqual(['rain', 'outdoor_temperature']);
    expect(state({ rain: false, temperature: 10 }).guardsWithoutData).toEqual(['wind']);
    expect(state({ rain: false, temperature: 10, windSpeed: 0 })).not.toHaveProperty('guardsWithoutData');
  });
});
