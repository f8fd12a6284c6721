/** Examples for each trigger and guard of the climate policy (docs: climate-control). */
import { describe, expect, it } from 'vitest';
import { recordManualCommand } from '../../src/climate/memory.js';
import { evaluate } from '../../src/climate/policy.js';
import type { ClimateMemory, PolicyInput, RoomDecision } from '../../src/climate/types.js';
import { blind, evaluateRoom, HOME_MEMORY, input, MINUTE, NOON, onlyRoom, room, sensor, window, type RoomOptions } from './fixtures.js';

/** Memory as if the algorithm opened the Kitchen window to 25 % at `at` for `reason`. */
function airingMemory(at = NOON, reason: 'co2' | 'humidity' | 'heat' | 'air_recycling' = 'co2'): ClimateMemory {
  return {
    away: false,
    rooms: { Kitchen: { airingSince: at, airingReason: reason, lastAirRecyclingAt: at, co2HighSince: at - 30 * MINUTE } },
    devices: { 'kitchen-window': { autoOpenedAt: at, autoOpenedTo: 25 } },
  };
}

const openKitchenWindow = window('Kitchen window', { position: 25, target: 25 });

/** The Kitchen at `now` with its window open (as the algorithm left it) and a fresh reading. */
function later(now: number, memory: ClimateMemory, readings: Parameters<typeof sensor>[0], options: RoomOptions = {}): RoomDecision {
  return onlyRoom(evaluate(input({ now, memory, rooms: [room({ windows: [openKitchenWindow], sensor: sensor(readings, now), ...options })] })));
}

describe('triggers', () => {
  it('co2: opens the closed windows to the ventilation position when CO2 is over the maximum', () => {
    const output = evaluate(input({ rooms: [room({ sensor: sensor({ co2: 1320 }) })] }));
    const decision = onlyRoom(output);
    expect(decision.actions).toEqual([
      {
        deviceKey: 'kitchen-window',
        command: { position: 25 },
        reason: 'co2',
        explanation: 'Kitchen: opening Kitchen window to 25 % — CO2 1320 ppm over 1150',
      },
    ]);
    expect(decision.wanted).toEqual(['co2']);
    expect(decision.state.airing).toEqual({ reason: 'co2', since: NOON, windows: ['kitchen-window'] });
    expect(output.memory.devices['kitchen-window']).toEqual({ autoOpenedAt: NOON, autoOpenedTo: 25 });
    expect(evaluateRoom({ rooms: [room({ sensor: sensor({ co2: 1150 }) })] }).actions).toEqual([]);
  });

  it('humidity: opens only after humidity stayed over the maximum for the delay', () => {
    const humid = (now: number, humidity: number, memory: ClimateMemory) =>
      evaluate(input({ now, memory, rooms: [room({ name: 'Bathroom', sensor: sensor({ humidity }, now) })] }));
    const first = humid(NOON, 82, HOME_MEMORY);
    expect(onlyRoom(first).actions).toEqual([]);
    expect(first.memory.rooms['Bathroom']?.humidityHighSince).toBe(NOON);
    const almost = humid(NOON + 14 * MINUTE, 80, first.memory);
    expect(onlyRoom(almost).actions).toEqual([]);
    const due = onlyRoom(humid(NOON + 15 * MINUTE, 80, almost.memory));
    expect(due.actions.map((action) => [action.reason, action.command.position])).toEqual([['humidity', 25]]);
    expect(due.actions[0]?.explanation).toBe('Bathroom: opening Kitchen window to 25 % — humidity 80 % over 70 % for 15 min');

    // A dip under the limit starts the delay again.
    const dip = humid(NOON + 10 * MINUTE, 60, almost.memory);
    expect(dip.memory.rooms['Bathroom']?.humidityHighSince).toBeUndefined();
    expect(onlyRoom(humid(NOON + 20 * MINUTE, 80, humid(NOON + 11 * MINUTE, 80, dip.memory).memory)).actions).toEqual([]);
  });

  it('heat: opens when indoors is over the cooling setpoint and outdoors at least 2 °C cooler', () => {
    const warm = room({ sensor: sensor({ temperature: 25 }) });
    expect(evaluateRoom({ rooms: [warm], weather: { temperature: 23 } }).actions.map((action) => action.reason)).toEqual(['heat']);
    expect(evaluateRoom({ rooms: [warm], weather: { temperature: 23.5 } }).actions).toEqual([]);
    expect(evaluateRoom({ rooms: [warm], weather: {} }).actions).toEqual([]);
    expect(evaluateRoom({ rooms: [room({ sensor: sensor({ temperature: 23 }) })], weather: { temperature: 15 } }).actions).toEqual([]);
  });

  it('air_recycling: airs every interval for the configured minutes, counting from the first evaluation', () => {
    const memory: ClimateMemory = { away: false, rooms: { Kitchen: { lastAirRecyclingAt: NOON - 3 * 60 * MINUTE } }, devices: {} };
    const due = evaluate(input({ memory }));
    expect(onlyRoom(due).actions.map((action) => action.reason)).toEqual(['air_recycling']);
    expect(due.memory.rooms['Kitchen']?.lastAirRecyclingAt).toBe(NOON);
    expect(evaluateRoom({ memory, rooms: [room({ settings: { airRecyclingIntervalHours: 0 } })] }).actions).toEqual([]);
    // Without memory the interval starts now.
    expect(evaluate(input()).memory.rooms['Kitchen']?.lastAirRecyclingAt).toBe(NOON);

    expect(later(NOON + 9 * MINUTE, due.memory, {}).actions).toEqual([]);
    const done = later(NOON + 10 * MINUTE, due.memory, {});
    expect(done.actions.map((action) => [action.reason, action.command.position])).toEqual([['comfort_reached', 0]]);
    expect(done.actions[0]?.explanation).toBe('Kitchen: closing Kitchen window — air recycling done after 10 min');
  });

  it('comfort_reached: closes after the minimum airing once CO2 is under maximum minus hysteresis', () => {
    const memory = airingMemory();
    const early = later(NOON + 3 * MINUTE, memory, { co2: 700 });
    expect(early.actions).toEqual([]);
    expect(early.notes).toEqual(['Kitchen: CO2 700 ppm under 750, but keeping the minimum airing until 12:05']);
    expect(later(NOON + 6 * MINUTE, memory, { co2: 750 }).actions).toEqual([]);
    const comfortable = later(NOON + 6 * MINUTE, memory, { co2: 740 });
    expect(comfortable.actions).toEqual([
      { deviceKey: 'kitchen-window', command: { position: 0 }, reason: 'comfort_reached', explanation: 'Kitchen: closing Kitchen window — CO2 740 ppm under 750' },
    ]);
  });

  it('max_airing: closes after the maximum airing even if the reason remains, then rests as long', () => {
    const memory = airingMemory();
    expect(later(NOON + 29 * MINUTE, memory, { co2: 1400 }).actions).toEqual([]);
    const output = evaluate(input({ now: NOON + 30 * MINUTE, memory, rooms: [room({ windows: [openKitchenWindow], sensor: sensor({ co2: 1400 }, NOON + 30 * MINUTE) })] }));
    expect(onlyRoom(output).actions.map((action) => [action.reason, action.command.position])).toEqual([['max_airing', 0]]);
    expect(onlyRoom(output).actions[0]?.explanation).toBe('Kitchen: closing Kitchen window — open for 30 min, maximum airing 30 min');

    const closedRoom = (now: number) => room({ sensor: sensor({ co2: 1400 }, now) });
    const resting = onlyRoom(evaluate(input({ now: NOON + 31 * MINUTE, memory: output.memory, rooms: [closedRoom(NOON + 31 * MINUTE)] })));
    expect(resting.actions).toEqual([]);
    expect(resting.state.restUntil).toBe(NOON + 60 * MINUTE);
    expect(resting.notes[0]).toContain('resting after the maximum airing until 13:00');
    const rested = onlyRoom(evaluate(input({ now: NOON + 60 * MINUTE, memory: output.memory, rooms: [closedRoom(NOON + 60 * MINUTE)] })));
    expect(rested.actions.map((action) => action.reason)).toEqual(['co2']);
  });

  it('too_cold: closes what the algorithm opened when the room falls under its minimum, and does not open then', () => {
    const cold = later(NOON + 2 * MINUTE, airingMemory(), { co2: 1400, temperature: 16.5 });
    expect(cold.actions.map((action) => [action.reason, action.command.position])).toEqual([['too_cold', 0]]);
    const chilly = evaluateRoom({ rooms: [room({ sensor: sensor({ co2: 1400, temperature: 17.2 }) })] });
    expect(chilly.actions).toEqual([]);
    expect(chilly.notes).toEqual(['Kitchen: CO2 1400 ppm over 1150, but the room is too cold to air (17.2 °C)']);
  });

  it('heat_protection: lowers covers against sun and heat, and puts them back once under setpoint − 1 °C', () => {
    const cover = (position: number) => blind('Kitchen blind', { position, target: position });
    const at = (now: number, position: number, readings: Parameters<typeof sensor>[0], memory: ClimateMemory) =>
      evaluate(input({ now, memory, rooms: [room({ windows: [], covers: [cover(position)], sensor: sensor(readings, now) })] }));

    const sunny = at(NOON, 80, { temperature: 24, lux: 30000 }, HOME_MEMORY);
    expect(onlyRoom(sunny).actions).toEqual([
      {
        deviceKey: 'kitchen-blind',
        command: { position: 10 },
        reason: 'heat_protection',
        explanation: 'Kitchen: lowering Kitchen blind to 10 % — 24.0 °C over the cooling setpoint 23 °C and 30000 lx over 20000',
      },
    ]);
    expect(sunny.memory.devices['kitchen-blind']).toEqual({ heatProtectedAt: NOON, heatProtectedFrom: 80, heatProtectedTo: 10 });
    expect(onlyRoom(sunny).state.heatProtected).toEqual(['kitchen-blind']);

    expect(onlyRoom(at(NOON + 60 * MINUTE, 10, { temperature: 22.5, lux: 100 }, sunny.memory)).actions).toEqual([]);
    const cool = at(NOON + 90 * MINUTE, 10, { temperature: 21.9 }, sunny.memory);
    expect(onlyRoom(cool).actions.map((action) => [action.reason, action.command.position, action.explanation])).toEqual([
      ['heat_protection', 80, 'Kitchen: raising Kitchen blind to 80 % — 21.9 °C under 22 °C, back to where it was'],
    ]);
    expect(cool.memory.devices['kitchen-blind']).toBeUndefined();

    // Without a light measurement only a room over its comfort band counts.
    expect(onlyRoom(at(NOON, 80, { temperature: 25, lux: undefined }, HOME_MEMORY)).actions).toEqual([]);
    expect(onlyRoom(at(NOON, 80, { temperature: 26.5, lux: undefined }, HOME_MEMORY)).actions.map((action) => action.command)).toEqual([{ position: 10 }]);
    // Dim light, or a cover already lower than the protection position: nothing to do.
    expect(onlyRoom(at(NOON, 80, { temperature: 27, lux: 5000 }, HOME_MEMORY)).actions).toEqual([]);
    expect(onlyRoom(at(NOON, 5, { temperature: 27, lux: 50000 }, HOME_MEMORY)).actions).toEqual([]);
  });

  describe('departure', () => {
    const rooms = (overrides: RoomOptions['settings'] = {}) => [
      room({
        settings: overrides,
        windows: [window('Kitchen window', { position: 40, target: 40 }), window('Kitchen roof window')],
        covers: [blind('Kitchen blind', { position: 100, target: 100 })],
      }),
    ];

    it('closes every open window when away starts (also ones a person opened), covers only if configured', () => {
      const output = evaluate(input({ away: true, rooms: rooms() }));
      expect(output.departureStarted).toBe(true);
      expect(output.memory.departureStartedAt).toBe(NOON);
      expect(onlyRoom(output).actions).toEqual([
        { deviceKey: 'kitchen-window', command: { position: 0 }, reason: 'departure', explanation: 'Kitchen: closing Kitchen window — departure mode started at 12:00' },
      ]);
      const withCovers = onlyRoom(evaluate(input({ away: true, rooms: rooms({ departureCloseCovers: true }) })));
      expect(withCovers.actions.map((action) => action.deviceKey)).toEqual(['kitchen-window', 'kitchen-blind']);
      expect(onlyRoom(evaluate(input({ away: true, rooms: rooms({ departureCloseWindows: false }) }))).actions).toEqual([]);
      // Also in a room where climate control is off: departure is about the home, not the climate.
      expect(onlyRoom(evaluate(input({ away: true, rooms: rooms({ enabled: false }) }))).actions).toHaveLength(1);
    });

    it('does not assume a departure at the first evaluation, when the previous mode is unknown', () => {
      const output = evaluate(input({ away: true, rooms: rooms(), memory: { rooms: {}, devices: {} } }));
      expect(output.departureStarted).toBe(false);
      expect(onlyRoom(output).actions).toEqual([]);
      expect(output.memory.away).toBe(true);
    });

    it('closes a window used by hand just before departure: pressing departure is the later word', () => {
      const memory = recordManualCommand(HOME_MEMORY, 'kitchen-window', NOON - 10 * MINUTE);
      const start = evaluate(input({ away: true, memory, rooms: rooms() }));
      expect(onlyRoom(start).blocked).toEqual([]);
      expect(onlyRoom(start).actions.map((action) => [action.deviceKey, action.command.position, action.reason])).toEqual([
        ['kitchen-window', 0, 'departure'],
      ]);
    });

    it('keeps trying while the gateway is offline, and leaves windows people open during departure alone', () => {
      const offline = evaluate(input({ away: true, gatewayOnline: false, rooms: rooms() }));
      expect(onlyRoom(offline).blocked.map((block) => [block.deviceKey, block.guard])).toEqual([['kitchen-window', 'gateway_offline']]);
      const online = evaluate(input({ now: NOON + MINUTE, away: true, memory: offline.memory, rooms: rooms() }));
      expect(onlyRoom(online).actions.map((action) => action.reason)).toEqual(['departure']);

      const openedByHand = recordManualCommand(online.memory, 'kitchen-roof-window', NOON + 2 * MINUTE);
      const roomsLater = [room({ windows: [window('Kitchen window'), window('Kitchen roof window', { position: 60, target: 60 })] })];
      const afterwards = evaluate(input({ now: NOON + 3 * MINUTE, away: true, memory: openedByHand, rooms: roomsLater }));
      expect(onlyRoom(afterwards).actions).toEqual([]);
    });

    it('never opens on entering or leaving departure; opening resumes at the next evaluation', () => {
      const stuffy = (now: number) => [room({ sensor: sensor({ co2: 1500 }, now) })];
      const away = evaluate(input({ away: true, rooms: stuffy(NOON) }));
      expect(onlyRoom(away).actions).toEqual([]);
      expect(onlyRoom(away).blocked.map((block) => [block.wanted, block.guard, block.detail])).toEqual([['co2', 'away', 'departure mode is on']]);
      const back = evaluate(input({ now: NOON + MINUTE, away: false, memory: away.memory, rooms: stuffy(NOON + MINUTE) }));
      expect(back.departureEnded).toBe(true);
      expect(onlyRoom(back).actions).toEqual([]);
      expect(onlyRoom(back).blocked[0]?.detail).toBe('departure mode just ended; automatic opening resumes at the next evaluation');
      const next = evaluate(input({ now: NOON + 2 * MINUTE, away: false, memory: back.memory, rooms: stuffy(NOON + 2 * MINUTE) }));
      expect(onlyRoom(next).actions.map((action) => action.reason)).toEqual(['co2']);
    });
  });
});

describe('guards', () => {
  const stuffy = (options: RoomOptions = {}) => room({ sensor: sensor({ co2: 1400 }), ...options });
  const roomBlock = (overrides: Partial<PolicyInput>) => {
    const decision = evaluateRoom(overrides);
    expect(decision.actions).toEqual([]);
    expect(decision.blocked).toHaveLength(1);
    const [block] = decision.blocked;
    if (!block) throw new Error('expected a blocked entry');
    return block;
  };

  it('rain: from the weather, or from the rain sensor of a window in any room', () => {
    expect(roomBlock({ rooms: [stuffy()], weather: { rain: true } })).toMatchObject({ wanted: 'co2', guard: 'rain', detail: 'rain reported (weather)' });
    const rooms = [stuffy(), room({ name: 'Attic', windows: [window('Attic window', { rain: true })] })];
    const output = evaluate(input({ rooms }));
    expect(output.rain).toBe(true);
    expect(output.rooms[0]?.blocked[0]).toMatchObject({ guard: 'rain', detail: 'rain reported (Attic window)' });
    expect(output.rooms[0]?.blocked[0]?.explanation).toBe('Kitchen: not opening windows (CO2 1400 ppm over 1150) — rain reported (Attic window)');
  });

  it('wind: over the maximum wind speed; unknown wind does not block', () => {
    expect(roomBlock({ rooms: [stuffy()], weather: { windSpeed: 9 } })).toMatchObject({ guard: 'wind', detail: 'wind 9.0 m/s over 8' });
    expect(evaluateRoom({ rooms: [stuffy()], weather: {} }).actions).toHaveLength(1);
    expect(evaluateRoom({ rooms: [stuffy()], weather: { windSpeed: 8 } }).actions).toHaveLength(1);
  });

  it('outdoor_temperature: outside the range allowed for opening', () => {
    expect(roomBlock({ rooms: [stuffy()], weather: { temperature: 2 } })).toMatchObject({ guard: 'outdoor_temperature', detail: 'outdoor 2.0 °C outside 4–30 °C' });
    expect(roomBlock({ rooms: [stuffy()], weather: { temperature: 31 } }).guard).toBe('outdoor_temperature');
  });

  it('sensor_stale: no reading for longer than the stale time', () => {
    const stale = stuffy({ sensor: sensor({ co2: 1400 }, NOON - 16 * MINUTE) });
    expect(roomBlock({ rooms: [stale] })).toMatchObject({ guard: 'sensor_stale', detail: 'no sensor reading since 11:44' });
    expect(evaluateRoom({ rooms: [stuffy({ sensor: sensor({ co2: 1400 }, NOON - 15 * MINUTE) })] }).actions).toHaveLength(1);
  });

  it('sensor_offline: sensor not reachable, or no sensor at all', () => {
    expect(roomBlock({ rooms: [stuffy({ sensor: sensor({ co2: 1400, reachable: false }) })] })).toMatchObject({ guard: 'sensor_offline', detail: 'the room sensor is not reachable' });
    const memory: ClimateMemory = { away: false, rooms: { Kitchen: { lastAirRecyclingAt: NOON - 4 * 60 * MINUTE } }, devices: {} };
    expect(roomBlock({ memory, rooms: [room({ sensor: undefined })] })).toMatchObject({ wanted: 'air_recycling', guard: 'sensor_offline', detail: 'the room has no sensor' });
  });

  it('gateway_offline: nothing is sent, neither opening nor closing; the close follows when it is back', () => {
    expect(roomBlock({ rooms: [stuffy()], gatewayOnline: false }).guard).toBe('gateway_offline');
    const memory = airingMemory();
    const overdue = (gatewayOnline: boolean) =>
      evaluateRoom({ now: NOON + 31 * MINUTE, gatewayOnline, memory, rooms: [room({ windows: [openKitchenWindow], sensor: sensor({ co2: 1400 }, NOON + 31 * MINUTE) })] });
    expect(overdue(false).blocked.map((block) => [block.deviceKey, block.wanted, block.guard])).toEqual([['kitchen-window', 'max_airing', 'gateway_offline']]);
    expect(overdue(true).actions.map((action) => action.reason)).toEqual(['max_airing']);
  });

  it('device_unreachable and obstructed: per window; the other windows still open', () => {
    const windows = [window('Kitchen window', { reachable: false }), window('Kitchen roof window', { obstructed: true }), window('Kitchen side window')];
    const decision = evaluateRoom({ rooms: [stuffy({ windows })] });
    expect(decision.actions.map((action) => action.deviceKey)).toEqual(['kitchen-side-window']);
    expect(decision.blocked.map((block) => [block.deviceKey, block.guard, block.detail])).toEqual([
      ['kitchen-window', 'device_unreachable', 'Kitchen window is not reachable'],
      ['kitchen-roof-window', 'obstructed', 'Kitchen roof window reports an obstruction'],
    ]);
  });

  it('manual_pause: no automatic command to a device for the pause after manual use', () => {
    const memory = recordManualCommand(HOME_MEMORY, 'kitchen-window', NOON - 59 * MINUTE);
    const decision = evaluateRoom({ memory, rooms: [stuffy()] });
    expect(decision.blocked.map((block) => [block.deviceKey, block.guard, block.detail])).toEqual([
      ['kitchen-window', 'manual_pause', 'Kitchen window was used by hand at 11:01; automation resumes at 12:01'],
    ]);
    expect(evaluateRoom({ now: NOON + 2 * MINUTE, memory, rooms: [room({ sensor: sensor({ co2: 1400 }, NOON + 2 * MINUTE) })] }).actions).toHaveLength(1);
  });

  it('quiet_hours: no automatic opening in quiet hours (local time, across midnight); closing still happens', () => {
    const settings = { quietHours: { start: '22:00', end: '07:00' } };
    const at = (localHour: number, minute = 0) => Date.UTC(2024, 5, 1, localHour - 2, minute); // local time is UTC+2
    const stuffyAt = (now: number) => [room({ settings, sensor: sensor({ co2: 1400 }, now) })];
    for (const now of [at(23, 30), at(2), at(6, 59)]) {
      expect(roomBlock({ now, timeZoneOffsetMinutes: 120, rooms: stuffyAt(now) })).toMatchObject({ guard: 'quiet_hours', detail: 'quiet hours 22:00–07:00' });
    }
    expect(evaluateRoom({ now: at(7), timeZoneOffsetMinutes: 120, rooms: stuffyAt(at(7)) }).actions).toHaveLength(1);
    expect(evaluateRoom({ now: at(21, 59), timeZoneOffsetMinutes: 120, rooms: stuffyAt(at(21, 59)) }).actions).toHaveLength(1);

    const night = at(23, 30);
    const closing = evaluateRoom({
      now: night,
      timeZoneOffsetMinutes: 120,
      memory: airingMemory(night - 30 * MINUTE),
      rooms: [room({ settings, windows: [openKitchenWindow], sensor: sensor({ co2: 1400 }, night) })],
    });
    expect(closing.actions.map((action) => action.reason)).toEqual(['max_airing']);
  });

  it('disabled: no new automatic opening, but windows the algorithm opened are still closed', () => {
    expect(roomBlock({ rooms: [stuffy({ settings: { enabled: false } })] })).toMatchObject({ guard: 'disabled', detail: 'climate control is off for this room' });
    const decision = later(NOON + 30 * MINUTE, airingMemory(), { co2: 1400 }, { settings: { enabled: false } });
    expect(decision.actions.map((action) => action.reason)).toEqual(['max_airing']);
  });

  it('wind also keeps awnings from being extended against heat', () => {
    const awning = blind('Terrace awning', { type: 'awning' });
    const decision = evaluateRoom({ weather: { windSpeed: 12 }, rooms: [room({ windows: [], covers: [awning], sensor: sensor({ temperature: 25, lux: 50000 }) })] });
    expect(decision.blocked.map((block) => [block.deviceKey, block.wanted, block.guard])).toEqual([['terrace-awning', 'heat_protection', 'wind']]);
  });
});

describe('what the algorithm owns', () => {
  it('never closes a window a person opened, whatever the air', () => {
    const byHand = window('Kitchen window', { position: 40, target: 40 });
    expect(evaluateRoom({ rooms: [room({ windows: [byHand], sensor: sensor({ co2: 500, temperature: 15 }) })] }).actions).toEqual([]);
  });

  it('hands a window back to people once someone commanded it after the algorithm opened it', () => {
    const memory = recordManualCommand(airingMemory(), 'kitchen-window', NOON + MINUTE);
    const decision = later(NOON + 40 * MINUTE, memory, { co2: 800 });
    expect(decision.actions).toEqual([]);
    expect(decision.state.airing).toBeUndefined();
  });

  it('treats a target it did not send as a person taking over', () => {
    const moved = window('Kitchen window', { position: 60, target: 60 });
    const output = evaluate(input({ now: NOON + 3 * MINUTE, memory: airingMemory(), rooms: [room({ windows: [moved], sensor: sensor({}, NOON + 3 * MINUTE) })] }));
    expect(onlyRoom(output).actions).toEqual([]);
    expect(onlyRoom(output).notes).toEqual(['Kitchen: Kitchen window was moved by someone else; the algorithm leaves it alone for 60 min']);
    expect(output.memory.devices['kitchen-window']).toEqual({ lastManualAt: NOON + 3 * MINUTE });
  });

  it('repeats a close it does not see happening, and stops once the window is closed', () => {
    const closedAt = later(NOON + 6 * MINUTE, airingMemory(), { co2: 700 });
    expect(closedAt.actions.map((action) => action.reason)).toEqual(['comfort_reached']);
    const memory = evaluate(input({ now: NOON + 6 * MINUTE, memory: airingMemory(), rooms: [room({ windows: [openKitchenWindow], sensor: sensor({ co2: 700 }, NOON + 6 * MINUTE) })] })).memory;
    const stillOpen = later(NOON + 7 * MINUTE, memory, { co2: 700 });
    expect(stillOpen.actions.map((action) => [action.reason, action.command.position])).toEqual([['comfort_reached', 0]]);
    const moving = window('Kitchen window', { position: 20, target: 0, motion: 'closing' });
    expect(later(NOON + 7 * MINUTE, memory, { co2: 700 }, { windows: [moving] }).actions).toEqual([]);
    const closed = evaluate(input({ now: NOON + 8 * MINUTE, memory, rooms: [room({ sensor: sensor({ co2: 700 }, NOON + 8 * MINUTE) })] }));
    expect(closed.memory.devices['kitchen-window']).toBeUndefined();
  });
});

describe('purity', () => {
  it('gives the same decisions for the same input and leaves the input untouched', () => {
    const given = input({ memory: airingMemory(NOON - 31 * MINUTE), rooms: [room({ windows: [openKitchenWindow], covers: [blind()], sensor: sensor({ temperature: 27, lux: 40000 }) })] });
    const copy = structuredClone(given);
    const first = evaluate(given);
    expect(evaluate(given)).toEqual(first);
    expect(given).toEqual(copy);
    expect(first.rooms[0]?.actions.length).toBeGreaterThan(0);
  });
});
