import { describe, expect, it } from 'vitest';
import {
  checkRoomSettings,
  DEFAULT_ROOM_SETTINGS,
  parseClockTime,
  resolveRoomSettings,
  ROOM_SETTING_KEYS,
  SETTINGS_RANGES,
} from '../../src/climate/settings.js';

describe('room settings', () => {
  it('has the documented defaults under the keys of the config file', () => {
    expect(DEFAULT_ROOM_SETTINGS).toEqual({
      enabled: true,
      co2Max: 1150,
      co2Hysteresis: 400,
      humidityMax: 70,
      humidityDelayMinutes: 15,
      triggerConfirmMinutes: 2,
      temperatureMin: 17,
      temperatureMax: 26,
      coolingSetpoint: 23,
      ventilationPosition: 25,
      minAiringMinutes: 5,
      maxAiringMinutes: 30,
      airingIntervalMinutes: 60,
      rainHoldMinutes: 15,
      airRecyclingIntervalHours: 3,
      airRecyclingMinutes: 10,
      outdoorTemperatureMin: 4,
      outdoorTemperatureMax: 30,
      maxWindSpeed: 8,
      manualPauseMinutes: 60,
      heatProtection: true,
      heatProtectionPosition: 10,
      heatProtectionLux: 20000,
      departureCloseWindows: true,
      departureCloseCovers: false,
      sensorStaleMinutes: 15,
    });
    expect(DEFAULT_ROOM_SETTINGS.quietHours).toBeUndefined();
  });

  it('has a range for every key, and the defaults are inside them', () => {
    expect([...ROOM_SETTING_KEYS].sort()).toEqual([...Object.keys(DEFAULT_ROOM_SETTINGS), 'quietHours'].sort());
    expect(SETTINGS_RANGES.co2Max).toEqual({ type: 'number', min: 400, max: 5000, integer: true, unit: 'ppm' });
    expect(SETTINGS_RANGES.outdoorTemperatureMin).toMatchObject({ min: -30, max: 45 });
    expect(SETTINGS_RANGES.quietHours).toEqual({ type: 'quietHours' });
    expect(checkRoomSettings(DEFAULT_ROOM_SETTINGS)).toEqual([]);
  });

  it('resolves overrides over defaults, ignoring undefined and removing quiet hours with null', () => {
    const home = resolveRoomSettings(DEFAULT_ROOM_SETTINGS, { quietHours: { start: '22:00', end: '07:00' }, co2Max: 1000 });
    const bathroom = resolveRoomSettings(home, { humidityMax: 65, co2Max: undefined, quietHours: null });
    expect(home).toMatchObject({ co2Max: 1000, quietHours: { start: '22:00', end: '07:00' } });
    expect(bathroom.co2Max).toBe(1000);
    expect(bathroom.humidityMax).toBe(65);
    expect('quietHours' in bathroom).toBe(false);
    expect(DEFAULT_ROOM_SETTINGS.co2Max).toBe(1150);
  });

  it('reports values out of range, of the wrong kind, and contradicting each other', () => {
    const problems = checkRoomSettings({
      ...DEFAULT_ROOM_SETTINGS,
      co2Max: 300,
      co2Hysteresis: 150,
      ventilationPosition: 12.5,
      temperatureMin: 27,
      minAiringMinutes: 40,
      maxAiringMinutes: 20,
      quietHours: { start: '7:00', end: '22:00' },
    });
    expect(problems.map((problem) => problem.key).sort()).toEqual(
      ['co2Max', 'minAiringMinutes', 'quietHours', 'temperatureMin', 'ventilationPosition'].sort(),
    );
    expect(problems.find((problem) => problem.key === 'co2Max')?.message).toBe('co2Max must be between 400 and 5000 ppm (is 300)');
    expect(checkRoomSettings({ ...DEFAULT_ROOM_SETTINGS, quietHours: { start: '08:00', end: '08:00' } })).toHaveLength(1);
  });

  it('reads clock times as minutes after midnight', () => {
    expect(parseClockTime('00:00')).toBe(0);
    expect(parseClockTime('07:30')).toBe(450);
    expect(parseClockTime('23:59')).toBe(1439);
    expect(parseClockTime('24:00')).toBeUndefined();
    expect(parseClockTime('7:30')).toBeUndefined();
  });
});
