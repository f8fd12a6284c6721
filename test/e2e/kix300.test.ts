/**
 * End to end with a VELUX ACTIVE gateway (KIX 300): the emulated gateway (HAP-NodeJS) in this
 * process, a real Homebridge child process whose plugin pairs with it as a HomeKit controller,
 * and a HAP controller on the plugin's own bridge, as the Home app would be. Everything on
 * 127.0.0.1. A second, small emulated gateway (the loft) goes silent while the climate test
 * waits out its minute of CO2 readings on the first, so the two slowest cases overlap.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hap from '@homebridge/hap-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/google/accounts.js';
import { accountsFile } from '../../src/google/paths.js';
import { Kix300Emulator } from '../../src/simulator/kix300.js';
import { DEFAULT_BLOCK_ID, pluginStorageDir } from '../../src/storage/paths.js';
import { call, googleConfig, intents, link, TEST_SCRYPT } from '../google/helpers/bed.js';
import { accessoryName, accessorySerial, findCharacteristic, freePort, startHomebridge, type HapAccessory, type RunningHomebridge } from '../helpers/homebridge.js';
import { BridgeSession, waitFor } from './support/bridge-session.js';

const { Service: S, Characteristic: C } = hap;
const NO_RESPONSE = -70402;

const ATTIC_WINDOW = '5611111a114a111a';
const ATTIC_SKYLIGHT = '5611111a114a222b';
const ATTIC_SENSOR = 'a11b111';
const BEDROOM_WINDOW = '5622222b225b333c';
const BLIND = '5633333c336c444d';
/** Where the tests below leave the bedroom window (the climate test checks it stays there). */
const BEDROOM_PARKED = 45;
const LOFT_WINDOW = '5655555e558e666f';
const LOFT_SENSOR = 'a33d333';
/** Where the silent-gateway test moves the loft window while the plugin hears nothing. */
const LOFT_PARKED = 35;
const GOOGLE_USER = { name: 'anna', password: 'anna-password' };

describe('VELUX ACTIVE (KIX 300) end to end: emulated gateway → Homebridge with the plugin → HAP controller', () => {
  let emulator: Kix300Emulator;
  /** The loft's gateway: one window and one sensor, no climate room (only for the silent-gateway case). */
  let loft: Kix300Emulator;
  let loftConfig: Record<string, unknown>;
  let homebridge: RunningHomebridge | undefined;
  let session: BridgeSession | undefined;
  let accessories: HapAccessory[] = [];
  let gatewayConfig: Record<string, unknown>;
  let storage: string;
  let googleUrl: string;

  const hc = () => {
    if (!session) throw new Error('no controller');
    return session;
  };
  const char = (name: string, service: { UUID: string }, characteristic: { UUID: string }) => hc().char(name, service, characteristic);
  const readValue = (id: string) => hc().read(id);
  const eventsFor = (id: string) => hc().eventsFor(id);

  const connectController = async (pairing?: BridgeSession['controller']['pairing']) => {
    session = await BridgeSession.open(homebridge!, {
      pairing,
      ready: (list) => list.length >= 12,
      what: 'the gateway devices on the bridge',
      subscribe: (s) =>
        [
          s.char('Bedroom window', S.Window, C.CurrentPosition),
          s.char('Bedroom window', S.Window, C.PositionState),
          s.char('Attic window', S.Window, C.CurrentPosition),
          s.char('Attic sensor', S.CarbonDioxideSensor, C.CarbonDioxideLevel),
          s.char('Loft sensor', S.CarbonDioxideSensor, C.CarbonDioxideLevel),
        ].map((c) => c.id),
    });
    accessories = session.accessories;
  };

  beforeAll(async () => {
    emulator = new Kix300Emulator({ timeScale: 20 });
    loft = new Kix300Emulator({
      timeScale: 20,
      devices: [
        { serial: LOFT_SENSOR, kind: 'sensor', room: 'Loft', climate: { co2: 650 } },
        { serial: LOFT_WINDOW, kind: 'window', room: 'Loft', position: 20 },
      ],
    });
    await Promise.all([emulator.start(), loft.start()]);
    gatewayConfig = {
      type: 'homekit',
      name: 'Attic gateway',
      setupCode: emulator.setupCode,
      host: '127.0.0.1',
      port: emulator.port,
      devices: [
        { serial: ATTIC_WINDOW, name: 'Attic window', room: 'Attic' },
        { serial: ATTIC_SKYLIGHT, name: 'Attic skylight', room: 'Attic' },
        { serial: ATTIC_SENSOR.toUpperCase(), name: 'Attic sensor', room: 'Attic' },
        { serial: BEDROOM_WINDOW, name: 'Bedroom window', room: 'Bedroom' },
        { serial: 'a22c222', name: 'Bedroom sensor', room: 'Bedroom' },
      ],
    };
    // No rooms: no climate control in the loft.
    loftConfig = {
      type: 'homekit',
      name: 'Loft gateway',
      setupCode: loft.setupCode,
      host: '127.0.0.1',
      port: loft.port,
      devices: [
        { serial: LOFT_WINDOW, name: 'Loft window' },
        { serial: LOFT_SENSOR.toUpperCase(), name: 'Loft sensor' },
      ],
    };
    // A Google sign-in account, as `velux-climate users add` makes it (cheap hashing for the test).
    storage = mkdtempSync(join(tmpdir(), 'velux-kix300-e2e-'));
    // (in the platform block's folder, where the plugin's Google server reads them)
    await new AccountStore(accountsFile(pluginStorageDir(storage, DEFAULT_BLOCK_ID)), { scrypt: TEST_SCRYPT }).add(GOOGLE_USER.name, GOOGLE_USER.password);
    const googlePort = await freePort();
    googleUrl = `http://127.0.0.1:${googlePort}`;
    homebridge = await startHomebridge({
      storagePath: storage,
      echo: process.env.VELUX_E2E_ECHO === '1',
      platforms: [
        {
          platform: 'VeluxClimate',
          name: 'VELUX',
          gateways: [gatewayConfig, loftConfig],
          // Climate control only in the attic (the other tests move the bedroom by hand).
          climate: { defaults: { enabled: false, airRecyclingIntervalHours: 0 }, rooms: [{ room: 'Attic', enabled: true, co2Max: 1000, co2Hysteresis: 150, triggerConfirmMinutes: 1 }] },
          google: googleConfig({ port: googlePort }),
        },
      ],
    });
    await connectController();
  }, 90_000);

  afterAll(async () => {
    await session?.close().catch(() => undefined);
    await homebridge?.dispose().catch(() => undefined);
    await emulator?.stop();
    await loft?.stop();
    if (storage) rmSync(storage, { recursive: true, force: true });
  }, 30_000);

  it('pairs with the gateway using the setup code and keeps the keys in the plugin storage (0600)', async () => {
    expect(emulator.pairedControllers()).toBe(1);
    expect(loft.pairedControllers()).toBe(1);
    const file = join(homebridge!.storagePath, 'velux-climate', 'default', 'homekit-pairings.json');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keys = (JSON.parse(readFileSync(file, 'utf8')) as { gateways: Record<string, { keys: { iOSDeviceLTSK: string } }> }).gateways;
    const secret = Object.values(keys)[0]!.keys.iOSDeviceLTSK;
    expect(homebridge!.log()).not.toContain(secret);
    expect(homebridge!.log()).not.toContain(emulator.setupCode);
    expect(homebridge!.log()).toMatch(/paired with the VELUX gateway/);
  });

  it('publishes every device with the names and rooms from the config, distinct names for the rest', () => {
    const names = accessories.filter((a) => a.aid !== 1).map(accessoryName).sort();
    expect(names).toEqual(expect.arrayContaining(['Attic window', 'Attic skylight', 'Attic sensor', 'Bedroom window', 'Bedroom sensor', 'Blind 444d', 'Awning 555e']));
    const attic = accessories.find((a) => accessoryName(a) === 'Attic window')!;
    expect(accessorySerial(attic)).toBe(ATTIC_WINDOW);
    const types = (name: string) =>
      accessories
        .find((a) => accessoryName(a) === name)!
        .services.map((s) => s.type)
        .filter((t) => t !== S.AccessoryInformation.UUID && t !== S.ProtocolInformation.UUID)
        .sort();
    expect(types('Attic window')).toEqual([S.Window.UUID]);
    expect(types('Blind 444d')).toEqual([S.WindowCovering.UUID]);
    // plus the Eve app's history (docs/eve.md)
    expect(types('Attic sensor')).toEqual([S.TemperatureSensor.UUID, S.HumiditySensor.UUID, S.CarbonDioxideSensor.UUID, 'E863F007-079E-48FF-8F27-9C2605A29F52'].sort());
    // Rooms with a sensor and a window get climate control; a device without a room does not
    expect(names).toEqual(expect.arrayContaining(['Attic climate', 'Bedroom climate']));
    expect(homebridge!.log()).toMatch(/Blind 444d \(serial 5633333c336c444d\) has no room: it is controllable, but has no climate control/);
  });

  it('shows the sensor values of the gateway', async () => {
    // The emulated room drifts (its climate physics): compare within a small margin
    const co2 = await readValue(char('Attic sensor', S.CarbonDioxideSensor, C.CarbonDioxideLevel).id);
    expect(Math.abs(Number(co2.value) - emulator.sensor(ATTIC_SENSOR)!.co2)).toBeLessThan(5);
    const temperature = await readValue(char('Attic sensor', S.TemperatureSensor, C.CurrentTemperature).id);
    expect(Math.abs(Number(temperature.value) - emulator.sensor(ATTIC_SENSOR)!.temperature)).toBeLessThan(0.3);
    const humidity = await readValue(char('Attic sensor', S.HumiditySensor, C.CurrentRelativeHumidity).id);
    expect(Math.abs(Number(humidity.value) - emulator.sensor(ATTIC_SENSOR)!.humidity)).toBeLessThanOrEqual(1);
    // A change on the gateway arrives as an event
    const level = char('Attic sensor', S.CarbonDioxideSensor, C.CarbonDioxideLevel);
    emulator.setClimate(ATTIC_SENSOR, { co2: 888 });
    // The emulated room carries on from 888 at its next tick (every 3 s): a HAP event batch may carry
    // the next value instead, so accept any value near 888 (the level before was about 650).
    await waitFor(() => eventsFor(level.id).some((v) => Math.abs(Number(v) - 888) <= 25), 'the CO2 event', 10_000);
  });

  it('a HomeKit write reaches the gateway, and the movement on the gateway comes back as events', async () => {
    const target = char('Bedroom window', S.Window, C.TargetPosition);
    const current = char('Bedroom window', S.Window, C.CurrentPosition);
    const state = char('Bedroom window', S.Window, C.PositionState);
    const before = emulator.writes.length;
    expect(await hc().write(target.id, 60)).toBe(0);
    await waitFor(() => emulator.writes.length > before, 'the write on the gateway', 5000);
    expect(emulator.writes.slice(before)).toEqual([expect.objectContaining({ serial: BEDROOM_WINDOW, value: 60 })]);
    await waitFor(() => eventsFor(current.id).includes(60) && eventsFor(state.id).at(-1) === C.PositionState.STOPPED, 'window at 60, stopped');
    const positions = eventsFor(current.id) as number[];
    expect(positions.length).toBeGreaterThanOrEqual(2);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(eventsFor(state.id)).toContain(C.PositionState.INCREASING);
    // Moved on the gateway's side (the VELUX app, a keypad): HomeKit sees it too
    emulator.move(BEDROOM_WINDOW, 20);
    await waitFor(() => eventsFor(current.id).at(-1) === 20, 'window back at 20 from the gateway side');
    expect((await readValue(current.id)).value).toBe(20);
  });

  it('HoldPosition stops a moving cover where it is (the gateway has no stop: current position as target)', async () => {
    const target = char('Blind 444d', S.WindowCovering, C.TargetPosition);
    const hold = char('Blind 444d', S.WindowCovering, C.HoldPosition);
    expect(await hc().write(target.id, 0)).toBe(0);
    await waitFor(() => (emulator.cover(BLIND)?.position ?? 100) <= 75, 'blind moving', 5000);
    expect(await hc().write(hold.id, true)).toBe(0);
    await waitFor(() => emulator.cover(BLIND)?.motion === 'stopped', 'blind stopped', 5000);
    const at = emulator.cover(BLIND)!.position;
    // The plugin holds at the last position the gateway reported (it may lag the motor by a step)
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.cover(BLIND)!.position).toBe(at);
  });

  it('Google: EXECUTE through the fulfillment endpoint moves a window of the gateway, QUERY shows where it is', async () => {
    await homebridge!.waitForOutput(/Google Home: listening on/, 10_000);
    const token = (await link(googleUrl, GOOGLE_USER.name, GOOGLE_USER.password)).access_token;
    const sync = (await call(googleUrl, token, intents.sync())) as { payload: { devices: Array<{ id: string; name: { name: string }; type: string }> } };
    const window = sync.payload.devices.find((d) => d.name.name === 'Bedroom window');
    expect(window, JSON.stringify(sync.payload.devices.map((d) => d.name.name))).toBeDefined();
    expect(window!.type).toBe('action.devices.types.WINDOW');
    const before = emulator.writes.length;
    const executed = (await call(googleUrl, token, intents.execute([window!.id], 'action.devices.commands.OpenClose', { openPercent: 70 }))) as {
      payload: { commands: Array<{ ids: string[]; status: string }> };
    };
    expect(executed.payload.commands).toEqual([expect.objectContaining({ ids: [window!.id], status: 'SUCCESS' })]);
    // The command reached the gateway as one write, and the emulated window really moved there
    expect(emulator.writes.slice(before)).toEqual([expect.objectContaining({ serial: BEDROOM_WINDOW, value: 70 })]);
    await waitFor(() => emulator.cover(BEDROOM_WINDOW)?.position === 70 && emulator.cover(BEDROOM_WINDOW)?.motion === 'stopped', 'the window at 70 on the gateway', 10_000);
    // QUERY answers from what the gateway reported
    await waitFor(
      async () => {
        const queried = (await call(googleUrl, token, intents.query(window!.id))) as { payload: { devices: Record<string, { online?: boolean; openPercent?: number; status?: string }> } };
        const state = queried.payload.devices[window!.id];
        expect(state).toMatchObject({ online: true, status: 'SUCCESS' });
        return state?.openPercent === 70;
      },
      'QUERY showing openPercent 70',
      10_000,
      200,
    );
  });

  it('gateway gone → No Response; back → values again (each well within 30 s)', async () => {
    const current = char('Bedroom window', S.Window, C.CurrentPosition);
    const lostAt = Date.now();
    await emulator.setReachability('down');
    await waitFor(async () => (await readValue(current.id)).status === NO_RESPONSE, 'No Response', 30_000);
    const offlineAfter = Date.now() - lostAt;
    emulator.move(BEDROOM_WINDOW, BEDROOM_PARKED); // moves while the plugin cannot see it
    await new Promise((r) => setTimeout(r, 1500));
    const backAt = Date.now();
    await emulator.setReachability('up');
    await waitFor(async () => (await readValue(current.id)).value === BEDROOM_PARKED, 'the current position after the return', 30_000);
    const onlineAfter = Date.now() - backAt;
    expect(offlineAfter).toBeLessThan(30_000);
    expect(onlineAfter).toBeLessThan(30_000);
    console.log(`KIX 300 e2e: No Response after ${offlineAfter} ms, values back after ${onlineAfter} ms`);
  }, 70_000);

  // The next two run at the same time (it.concurrent): the silent spell of the loft's gateway
  // (about 30 s: the health check's interval and timeout, then the reconnect) passes while the
  // attic's CO2 readings are being confirmed (a minute). The climate control counts a gateway
  // offline for every room (its "gateway offline" guard), so the attic window may only open
  // once the loft answers again: the confirmation takes longer than the spell, and the
  // climate test waits for the open itself, not for a time.
  it.concurrent('gateway silent (connection kept, nothing answered, no events) → No Response; answering again → values (each within 30 s)', async ({ expect }) => {
    const current = char('Loft window', S.Window, C.CurrentPosition);
    expect((await readValue(current.id)).value).toBe(20);
    const offset = homebridge!.log().length;
    const silentAt = Date.now();
    await loft.setReachability('silent');
    // Nothing closes the connection: only the plugin's health check can notice
    await waitFor(async () => (await readValue(current.id)).status === NO_RESPONSE, 'No Response', 30_000, 200);
    const offlineAfter = Date.now() - silentAt;
    expect(homebridge!.log().slice(offset)).toMatch(/\[Loft gateway\] lost the VELUX gateway \(no answer from the gateway within \d+ ms\)/);
    loft.move(LOFT_WINDOW, LOFT_PARKED); // moves while the plugin hears nothing
    await new Promise((r) => setTimeout(r, 1500));
    const backAt = Date.now();
    await loft.setReachability('up');
    await waitFor(async () => (await readValue(current.id)).value === LOFT_PARKED, 'the current position after the gateway answers again', 30_000);
    const onlineAfter = Date.now() - backAt;
    // …and the gateway's events flow again on the new session
    const level = char('Loft sensor', S.CarbonDioxideSensor, C.CarbonDioxideLevel);
    loft.setClimate(LOFT_SENSOR, { co2: 777 });
    await waitFor(() => eventsFor(level.id).some((v) => Math.abs(Number(v) - 777) <= 25), 'a CO2 event after the return', 10_000);
    expect(offlineAfter).toBeLessThan(30_000);
    expect(onlineAfter).toBeLessThan(30_000);
    console.log(`KIX 300 e2e: silent gateway → No Response after ${offlineAfter} ms, values back after ${onlineAfter} ms`);
  }, 70_000);

  it.concurrent('CO2 above the room maximum opens that room\'s window (climate), departure mode closes it and keeps it closed', async ({ expect }) => {
    const attic = char('Attic window', S.Window, C.CurrentPosition);
    const offset = homebridge!.log().length;
    emulator.setClimate(ATTIC_SENSOR, { co2: 1600 });
    // The climate control confirms a trigger for at least a minute (triggerConfirmMinutes) of
    // readings over the limit: the emulated sensor reports every 3 s (time x20).
    await waitFor(() => (emulator.cover(ATTIC_WINDOW)?.position ?? 0) > 0, 'the attic window to open', 100_000);
    // (the open itself, not a "not opening …" line while the loft's gateway was silent)
    const climateLine = await homebridge!.waitForOutput(/Attic: opening Attic (window|skylight)/, 5000, offset);
    expect(climateLine).toMatch(/CO2/);
    // The KIX 300 reports no weather: the log names the guards without data (and they block nothing)
    expect(homebridge!.log()).toMatch(/Attic: no data for the rain, wind and outdoor-temperature guards/);
    expect(emulator.cover(BEDROOM_WINDOW)!.target).toBe(BEDROOM_PARKED); // another room: untouched
    await waitFor(() => eventsFor(attic.id).some((v) => Number(v) > 0), 'HomeKit sees the attic window open', 10_000);
    // Departure mode on (the plugin's switch: the gateway has none)
    const departure = accessories.find((a) => a.services.some((s) => s.type === S.Switch.UUID) && /departure/i.test(accessoryName(a)));
    expect(departure, 'a departure mode switch').toBeDefined();
    const on = findCharacteristic(accessories, accessoryName(departure!), S.Switch.UUID, C.On.UUID);
    expect(await hc().write(on.id, true)).toBe(0);
    await waitFor(() => emulator.cover(ATTIC_WINDOW)?.position === 0 && emulator.cover(ATTIC_WINDOW)?.motion === 'stopped', 'the attic window closed', 20_000);
    // CO2 still high: it stays closed
    emulator.setClimate(ATTIC_SENSOR, { co2: 1900 });
    const writes = emulator.writes.length;
    await new Promise((r) => setTimeout(r, 4000));
    expect(emulator.writes.slice(writes).filter((w) => w.serial === ATTIC_WINDOW && w.value > 0)).toEqual([]);
    expect(emulator.cover(ATTIC_WINDOW)!.position).toBe(0);
    expect(await hc().write(on.id, false)).toBe(0);
    emulator.setClimate(ATTIC_SENSOR, { co2: 600 });
  }, 180_000);

  it('restarts without the setup code: same accessories, no new pairing', async () => {
    const before = accessories.map((a) => `${a.aid}:${accessoryName(a)}`).sort();
    const pairing = hc().controller.pairing;
    await session!.close();
    session = undefined;
    delete gatewayConfig.setupCode;
    delete loftConfig.setupCode;
    homebridge = await homebridge!.restart();
    const gateways = JSON.parse(readFileSync(join(homebridge.storagePath, 'config.json'), 'utf8')).platforms[0].gateways as Array<{ setupCode?: string }>;
    expect(gateways.map((gateway) => gateway.setupCode)).toEqual([undefined, undefined]);
    await connectController(pairing);
    await waitFor(async () => (await readValue(char('Bedroom window', S.Window, C.CurrentPosition).id)).value === emulator.cover(BEDROOM_WINDOW)!.position, 'values after the restart', 20_000);
    expect(accessories.map((a) => `${a.aid}:${accessoryName(a)}`).sort()).toEqual(before);
    expect(emulator.pairedControllers()).toBe(1);
    expect(loft.pairedControllers()).toBe(1);
    expect(homebridge.log()).not.toMatch(/pairing with the VELUX gateway/);
    expect(homebridge.log()).toMatch(/connected to the VELUX gateway at 127\.0\.0\.1/);
  }, 60_000);
});
