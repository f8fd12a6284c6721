/**
 * The Google mapping without HTTP: what each device kind tells SYNC and QUERY, and what an
 * EXECUTE would do (or why not), decided purely from the home's state. Plus the small
 * pure pieces: error mapping, secondary verification, failure limiter, form tokens.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceDescriptor, DeviceState } from '../../src/gateway/types.js';
import { DEPARTURE_MODE_ID } from '../../src/google/devices/departure-mode.js';
import type { HomeView } from '../../src/google/devices/types.js';
import { executeFailure } from '../../src/google/execute-errors.js';
import { FailureLimiter } from '../../src/google/failure-limiter.js';
import { FormTokens, readCookie } from '../../src/google/form-token.js';
import { googleEntities, googleEntity } from '../../src/google/mapping.js';
import { SecondaryVerification } from '../../src/google/verification.js';
import type { HomeDevice, Room, RoomClimateStatus } from '../../src/home/model.js';
import { silentLogger } from '../../src/logger.js';
import { recordingLogger } from './helpers/bed.js';
import { expectValidExecute, expectValidQuery, expectValidSync } from './helpers/schemas.js';

function device(descriptor: Partial<DeviceDescriptor> & Pick<DeviceDescriptor, 'id' | 'type'>, state: DeviceState = {}, reachable = true): HomeDevice {
  const d: DeviceDescriptor = { name: descriptor.id, features: {}, ...descriptor };
  return { key: `gw/${d.id}`, uuidSeed: `velux-climate:gw:${d.id}`, gatewayKey: 'gw', id: d.id, gatewayId: 'gw', descriptor: d, state, available: true, reachable, stateUpdatedAt: reachable ? 1 : undefined };
}

class FakeHome implements HomeView {
  away = false;
  climate: Record<string, boolean> = {};
  constructor(readonly list: HomeDevice[]) {}
  devices() {
    return this.list;
  }
  device(key: string) {
    return this.list.find((d) => d.key === key);
  }
  rooms(): Room[] {
    const names = [...new Set(this.list.map((d) => d.descriptor.room).filter((r): r is string => !!r))];
    return names.map((name) => {
      const devices = this.list.filter((d) => d.descriptor.room === name);
      return { name, devices, climateCapable: devices.some((d) => d.descriptor.type === 'sensor') && devices.some((d) => d.descriptor.type !== 'sensor' && d.descriptor.type !== 'departure_switch') };
    });
  }
  roomClimate(room: string): RoomClimateStatus {
    return { enabled: this.climate[room] ?? true };
  }
  departureSwitches() {
    return this.list.filter((d) => d.descriptor.type === 'departure_switch');
  }
}

const kitchenWindow = device({ id: 'kitchen-window', type: 'window', name: 'Kitchen window', room: 'Kitchen', model: 'GGL', firmware: '1.2' }, { position: 20, target: 20, motion: 'stopped' });
const blind = device({ id: 'blind', type: 'blind', room: 'Kitchen' }, { position: 100, motion: 'opening' });
const shutter = device({ id: 'shutter', type: 'shutter', room: 'Bedroom' }, { position: 0, motion: 'stopped' });
const awning = device({ id: 'awning', type: 'awning' }, { position: 50, motion: 'closing' });
const sensor = device({ id: 'sensor', type: 'sensor', room: 'Kitchen', features: { measures: ['temperature', 'humidity', 'co2', 'lux'] } }, { temperature: 21.44, humidity: 48.6, co2: 812.4, lux: 300 });
const thermo = device({ id: 'thermo', type: 'sensor', room: 'Bedroom', features: { measures: ['temperature', 'humidity'] } }, { temperature: 19, humidity: 0.2 });
const luxOnly = device({ id: 'lux', type: 'sensor', features: { measures: ['lux'] } }, { lux: 5 });
const departure = device({ id: 'departure', type: 'departure_switch', room: 'Hallway' }, { away: false });

describe('SYNC and QUERY per device kind', () => {
  const home = new FakeHome([kitchenWindow, blind, shutter, awning, sensor, thermo, luxOnly, departure]);

  it('describes every kind with valid types, traits and attributes', () => {
    const devices = googleEntities(home).map((e) => e.sync(true));
    const traits = expectValidSync({ requestId: '1', payload: { agentUserId: 'u-1', devices } });
    const byId = Object.fromEntries(devices.map((d) => [d.id, d]));
    expect(byId['gw/kitchen-window']?.type).toBe('action.devices.types.WINDOW');
    expect(byId['gw/blind']?.type).toBe('action.devices.types.BLINDS');
    expect(byId['gw/shutter']?.type).toBe('action.devices.types.SHUTTER');
    expect(byId['gw/awning']?.type).toBe('action.devices.types.AWNING');
    expect(byId['gw/kitchen-window']?.traits).toEqual(['action.devices.traits.OpenClose', 'action.devices.traits.StartStop']);
    expect(byId['gw/kitchen-window']).toMatchObject({ roomHint: 'Kitchen', name: { name: 'Kitchen window', defaultNames: ['GGL'] }, deviceInfo: { model: 'GGL', swVersion: '1.2' } });
    expect(byId['gw/sensor']?.traits).toEqual(['action.devices.traits.SensorState', 'action.devices.traits.TemperatureControl', 'action.devices.traits.HumiditySetting']);
    expect(byId['gw/sensor']?.attributes).toMatchObject({
      sensorStatesSupported: [{ name: 'CarbonDioxideLevel', numericCapabilities: { rawValueUnit: 'PARTS_PER_MILLION' } }],
      temperatureUnitForUX: 'C',
      queryOnlyTemperatureControl: true,
      queryOnlyHumiditySetting: true,
    });
    expect(byId['gw/thermo']?.traits).toEqual(['action.devices.traits.TemperatureControl', 'action.devices.traits.HumiditySetting']);
    expect(byId['gw/lux']).toBeUndefined();
    expect(byId['gw/departure']).toBeUndefined(); // the switch is the departure-mode entity
    expect(byId[DEPARTURE_MODE_ID]).toMatchObject({ type: 'action.devices.types.SWITCH', traits: ['action.devices.traits.OnOff'] });
    expect(byId['climate:Kitchen']).toMatchObject({ type: 'action.devices.types.SWITCH', roomHint: 'Kitchen' });
    expect(byId['climate:Bedroom']).toMatchObject({ name: { name: 'Bedroom climate control' } });
    expect(byId['climate:Hallway']).toBeUndefined(); // no sensor and cover there

    const states = Object.fromEntries(devices.map((d) => [d.id, googleEntity(home, d.id)?.query()]));
    expectValidQuery({ requestId: '1', payload: { devices: states } }, traits);
    expect(states['gw/kitchen-window']).toEqual({ online: true, status: 'SUCCESS', openPercent: 20, isRunning: false, isPaused: false });
    expect(states['gw/blind']).toMatchObject({ openPercent: 100, isRunning: true });
    expect(states['gw/sensor']).toEqual({
      online: true,
      status: 'SUCCESS',
      currentSensorStateData: [{ name: 'CarbonDioxideLevel', rawValue: 812 }],
      temperatureAmbientCelsius: 21.4,
      humidityAmbientPercent: 49,
    });
    expect(states['gw/thermo']).toMatchObject({ humidityAmbientPercent: 1 });
    expect(states[DEPARTURE_MODE_ID]).toEqual({ online: true, status: 'SUCCESS', on: false });
    expect(states['climate:Kitchen']).toEqual({ online: true, status: 'SUCCESS', on: true });
  });

  it('reports unreachable devices offline and unknown positions as not ready', () => {
    const offline = device({ id: 'w', type: 'window' }, { position: 10 }, false);
    const unknown = device({ id: 'u', type: 'blind' }, { motion: 'stopped' });
    const offlineSwitch = device({ id: 'd', type: 'departure_switch' }, { away: true }, false);
    const h = new FakeHome([offline, unknown, offlineSwitch]);
    expect(googleEntity(h, 'gw/w')?.query()).toEqual({ online: false, status: 'OFFLINE', errorCode: 'deviceOffline' });
    expect(googleEntity(h, 'gw/u')?.query()).toEqual({ online: true, status: 'ERROR', errorCode: 'deviceNotReady' });
    expect(googleEntity(h, DEPARTURE_MODE_ID)?.query()).toMatchObject({ online: false, status: 'OFFLINE' });
    expect(googleEntity(h, DEPARTURE_MODE_ID)?.online()).toBe(false);
    // Without a physical switch the virtual one is always there.
    expect(googleEntity(new FakeHome([]), DEPARTURE_MODE_ID)?.online()).toBe(true);
    expect(googleEntity(h, 'gw/nothing')).toBeUndefined();
    expect(googleEntity(h, 'climate:Nowhere')).toBeUndefined();
  });
});

describe('EXECUTE plans', () => {
  const home = new FakeHome([kitchenWindow, blind, sensor, departure]);
  const plan = (id: string, command: string, params: Record<string, unknown>) => googleEntity(home, id)?.plan({ command, params });

  it('moves covers and flags only window opening as sensitive', () => {
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenClose', { openPercent: 60 })).toEqual({
      ok: true,
      action: { kind: 'device', key: 'gw/kitchen-window', command: { position: 60 }, states: { openPercent: 60, isRunning: true, isPaused: false } },
      sensitive: 'opensWindow',
    });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenClose', { openPercent: 10 })).toMatchObject({ ok: true, sensitive: undefined });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenClose', { openPercent: 20 })).toMatchObject({ ok: true, sensitive: undefined });
    expect(plan('gw/blind', 'action.devices.commands.OpenClose', { openPercent: 100 })).toMatchObject({ ok: true, sensitive: undefined });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenCloseRelative', { openRelativePercent: 15 })).toMatchObject({
      action: { command: { position: 35 } },
      sensitive: 'opensWindow',
    });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenCloseRelative', { openRelativePercent: -50 })).toMatchObject({
      action: { command: { position: 0 } },
      sensitive: undefined,
    });
    expect(plan('gw/blind', 'action.devices.commands.StartStop', { start: false })).toMatchObject({ action: { command: { stop: true }, states: { isRunning: false, openPercent: 100 } } });
    const unknownPosition = new FakeHome([device({ id: 'w', type: 'window' }, {})]);
    expect(googleEntity(unknownPosition, 'gw/w')?.plan({ command: 'action.devices.commands.OpenClose', params: { openPercent: 1 } })).toMatchObject({ sensitive: 'opensWindow' });
    expect(googleEntity(unknownPosition, 'gw/w')?.plan({ command: 'action.devices.commands.OpenCloseRelative', params: { openRelativePercent: 10 } })).toMatchObject({
      ok: false,
      errorCode: 'deviceNotReady',
    });
  });

  it('refuses what a kind cannot do, and values out of range', () => {
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenClose', { openPercent: 101 })).toMatchObject({ ok: false, errorCode: 'valueOutOfRange' });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenClose', { openPercent: '50' })).toMatchObject({ ok: false, errorCode: 'valueOutOfRange' });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OpenCloseRelative', { openRelativePercent: -101 })).toMatchObject({ ok: false, errorCode: 'valueOutOfRange' });
    expect(plan('gw/kitchen-window', 'action.devices.commands.StartStop', { start: true })).toMatchObject({ ok: false, errorCode: 'functionNotSupported' });
    expect(plan('gw/kitchen-window', 'action.devices.commands.OnOff', { on: true })).toMatchObject({ ok: false, errorCode: 'functionNotSupported' });
    expect(plan('gw/sensor', 'action.devices.commands.SetTemperature', { temperature: 20 })).toMatchObject({ ok: false, errorCode: 'functionNotSupported' });
    expect(plan(DEPARTURE_MODE_ID, 'action.devices.commands.OnOff', { on: 'yes' })).toMatchObject({ ok: false, errorCode: 'valueOutOfRange' });
    expect(plan('climate:Kitchen', 'action.devices.commands.OpenClose', { openPercent: 1 })).toMatchObject({ ok: false, errorCode: 'functionNotSupported' });
  });

  it('flags ending departure mode as sensitive only while away', () => {
    expect(plan(DEPARTURE_MODE_ID, 'action.devices.commands.OnOff', { on: false })).toMatchObject({ ok: true, sensitive: undefined });
    home.away = true;
    expect(plan(DEPARTURE_MODE_ID, 'action.devices.commands.OnOff', { on: false })).toEqual({
      ok: true,
      action: { kind: 'away', away: false, states: { on: false } },
      sensitive: 'endsDepartureMode',
    });
    expect(plan(DEPARTURE_MODE_ID, 'action.devices.commands.OnOff', { on: true })).toMatchObject({ ok: true, sensitive: undefined });
    home.away = false;
    expect(plan('climate:Kitchen', 'action.devices.commands.OnOff', { on: false })).toEqual({
      ok: true,
      action: { kind: 'roomClimate', room: 'Kitchen', enabled: false, states: { on: false } },
    });
  });
});

describe('error codes for refused commands', () => {
  it('maps every home error to a documented Google code, never SUCCESS for a command not accepted', () => {
    expect(executeFailure({ ok: true })).toBeUndefined();
    expect(executeFailure({ ok: true, superseded: true })).toEqual({ status: 'ERROR', errorCode: 'deviceBusy' });
    const table = {
      gateway_offline: ['OFFLINE', 'deviceOffline'],
      unreachable: ['OFFLINE', 'deviceOffline'],
      unknown_device: ['ERROR', 'deviceNotFound'],
      invalid: ['ERROR', 'notSupported'],
      rain: ['ERROR', 'rainDetected'],
      busy: ['ERROR', 'deviceBusy'],
      timeout: ['ERROR', 'transientError'],
      internal: ['ERROR', 'hardError'],
    } as const;
    for (const [error, [status, errorCode]] of Object.entries(table)) {
      expect(executeFailure({ ok: false, error: error as keyof typeof table, message: 'x' })).toEqual({ status, errorCode });
    }
  });
});

describe('secondary verification', () => {
  const person = { id: 'u-1', name: 'anna' };

  it('asks for the PIN, refuses a wrong one, locks out after 5 wrong PINs within 15 minutes', () => {
    let now = 0;
    const log = recordingLogger();
    const verification = new SecondaryVerification({ pin: '4711', log, now: () => now });
    const check = (pin?: string) => verification.forRequest(person)('opensWindow', pin === undefined ? undefined : { pin }, false);
    expect(check()).toEqual({ ok: false, challenge: 'pinNeeded' });
    expect(check('4711')).toEqual({ ok: true });
    for (let i = 0; i < 4; i++) expect(check('0000')).toEqual({ ok: false, challenge: 'challengeFailedPinNeeded' });
    now += 14 * 60_000;
    expect(check('1111')).toEqual({ ok: false, errorCode: 'tooManyFailedAttempts' });
    expect(log.joined('warn')).toMatch(/locked out for 15 minutes/);
    expect(check('4711')).toEqual({ ok: false, errorCode: 'tooManyFailedAttempts' });
    // Another person is not affected.
    expect(verification.forRequest({ id: 'u-2', name: 'ben' })('opensWindow', { pin: '4711' }, false)).toEqual({ ok: true });
    now += 15 * 60_000;
    expect(check('4711')).toEqual({ ok: true });
  });

  it('forgets failures older than the window', () => {
    let now = 0;
    const verification = new SecondaryVerification({ pin: '4711', log: silentLogger, now: () => now });
    for (let i = 0; i < 4; i++) verification.forRequest(person)('opensWindow', { pin: '0' }, false);
    now += 16 * 60_000;
    expect(verification.forRequest(person)('opensWindow', { pin: '0' }, false)).toEqual({ ok: false, challenge: 'challengeFailedPinNeeded' });
  });

  it('counts one wrong PIN once per request, however many devices it names', () => {
    const verification = new SecondaryVerification({ pin: '4711', log: silentLogger, now: () => 0 });
    for (let request = 0; request < 4; request++) {
      const check = verification.forRequest(person);
      for (let deviceIndex = 0; deviceIndex < 5; deviceIndex++) expect(check('opensWindow', { pin: '1' }, false)).toMatchObject({ challenge: 'challengeFailedPinNeeded' });
    }
    expect(verification.forRequest(person)('opensWindow', { pin: '4711' }, false)).toEqual({ ok: true });
  });

  it('without a PIN asks for an acknowledgement only while away', () => {
    const verification = new SecondaryVerification({ log: silentLogger, now: () => 0 });
    const check = verification.forRequest(person);
    expect(check('opensWindow', undefined, false)).toEqual({ ok: true });
    expect(check('opensWindow', undefined, true)).toEqual({ ok: false, challenge: 'ackNeeded' });
    expect(check('opensWindow', { pin: '1234' }, true)).toEqual({ ok: false, challenge: 'ackNeeded' });
    expect(check('endsDepartureMode', { ack: true }, true)).toEqual({ ok: true });
  });
});

describe('small parts', () => {
  it('failure limiter keeps its memory bounded', () => {
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, lockoutMs: 1000, now: () => 0, maxKeys: 10 });
    for (let i = 0; i < 100; i++) limiter.fail(`k${i}`);
    expect((limiter as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(10);
  });

  it('form tokens bind the nonce, the parameters and the time', () => {
    let now = 1_000_000;
    const tokens = new FormTokens(() => now);
    const params = { client_id: 'c', redirect_uri: 'https://r', state: 's', response_type: 'code' };
    const token = tokens.issue('nonce', params);
    expect(tokens.verify(token, 'nonce', params)).toBe(true);
    expect(tokens.verify(token, 'other', params)).toBe(false);
    expect(tokens.verify(token, 'nonce', { ...params, state: 't' })).toBe(false);
    expect(tokens.verify(token, 'nonce', { ...params, scope: 'x' })).toBe(false);
    expect(tokens.verify(`${token}x`, 'nonce', params)).toBe(false);
    expect(tokens.verify(undefined, 'nonce', params)).toBe(false);
    now += 16 * 60_000;
    expect(tokens.verify(token, 'nonce', params)).toBe(false);
    expect(readCookie('a=1; vc_signin=xyz; b=2', 'vc_signin')).toBe('xyz');
    expect(readCookie(undefined, 'vc_signin')).toBeUndefined();
  });
});

describe('the schema helper itself', () => {
  it('rejects what Google would reject, so passing it means something', () => {
    const sync = (device: Record<string, unknown>) => ({ requestId: '1', payload: { agentUserId: 'u', devices: [{ id: 'x', name: { name: 'x' }, willReportState: false, ...device }] } });
    expect(() => expectValidSync(sync({ type: 'action.devices.types.WINDOW', traits: ['action.devices.traits.OnOff'] }))).toThrow(/required trait/);
    expect(() => expectValidSync(sync({ type: 'action.devices.types.SENSOR', traits: ['action.devices.traits.SensorState'], attributes: { sensorStatesSupported: [{ name: 'CarbonDioxideLevel', numericCapabilities: { rawValueUnit: 'LUX' } }] } }))).toThrow(/sensorstate/);
    expect(() => expectValidSync(sync({ type: 'action.devices.types.WINDOW', traits: ['action.devices.traits.OpenClose'], extra: 1 }))).toThrow(/additional/);
    const openClose = new Map([['x', ['action.devices.traits.OpenClose']]]);
    expect(() => expectValidQuery({ requestId: 'not-a-uuid', payload: { devices: {} } }, openClose)).toThrow(/format/);
    expect(() => expectValidQuery({ requestId: '1', payload: { devices: { x: { online: true, status: 'SUCCESS', openPercent: 140 } } } }, openClose)).toThrow(/maximum|oneOf/);
    expect(() => expectValidQuery({ requestId: '1', payload: { devices: { x: { online: true, status: 'GREAT' } } } }, openClose)).toThrow();
    expect(() => expectValidExecute({ requestId: '1', payload: { commands: [{ ids: ['x'], status: 'ERROR', errorCode: 'madeUpCode' }] } }, openClose)).toThrow(/madeUpCode/);
    expect(() =>
      expectValidExecute({ requestId: '1', payload: { commands: [{ ids: ['x'], status: 'ERROR', errorCode: 'challengeNeeded', challengeNeeded: { type: 'fingerprint' } }] } }, openClose),
    ).toThrow();
    expectValidExecute({ requestId: '1', payload: { commands: [{ ids: ['x'], status: 'ERROR', errorCode: 'challengeNeeded', challengeNeeded: { type: 'pinNeeded' } }] } }, openClose);
  });
});
