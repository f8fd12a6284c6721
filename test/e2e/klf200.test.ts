/**
 * End to end with the KLF 200 transport: the emulated KLF 200 (TLS, public frame format) in
 * this process, a real Homebridge child process with the plugin, and a paired HAP controller.
 * What the Home app would see: every product, movement, stop, Identify, rain refusal, "No
 * Response" while the KLF is frozen and each fault mode survived (recovery times printed as
 * `[klf200 e2e] …`); and a mixed home where an MQTT climate sensor drives a KLF window.
 */
import hap from '@homebridge/hap-nodejs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedHome } from '../../src/simulator/index.js';
import type { HomeLayout } from '../../src/simulator/layout.js';
import { percentToRaw } from '../../src/gateway/klf200/products.js';
import type { KlfEmulator } from '../../src/simulator/klf200/emulator.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import { accessoryName, startHomebridge, type HapAccessory, type RunningHomebridge } from '../helpers/homebridge.js';
import { BLIND, FAST, LIVING_WINDOW, PASSWORD, WINDOW, certificate, startEmulator } from '../klf200/support.js';
import { BridgeSession, waitFor as until } from './support/bridge-session.js';

const { Service: S, Characteristic: C } = hap;
const NO_RESPONSE = -70402;

function klfGateway(emulator: KlfEmulator, devices: Array<{ serial: string; name?: string; room?: string }>) {
  return { type: 'klf200', name: 'KLF', host: emulator.host, password: PASSWORD, fingerprint: certificate().fingerprint, devices, ...FAST };
}

function report(what: string, ms: number): void {
  console.log(`[klf200 e2e] ${what}: ${ms} ms`);
}

describe('KLF 200 end to end (emulated KLF 200 + Homebridge child process + HAP controller)', () => {
  let emulator: KlfEmulator;
  let homebridge: RunningHomebridge | undefined;
  let session: BridgeSession | undefined;
  let accessories: HapAccessory[] = [];
  const hc = () => session!;
  const char = (name: string, service: { UUID: string }, characteristic: { UUID: string }) => hc().char(name, service, characteristic);
  const eventsFor = (id: string) => hc().eventsFor(id);
  const readStatus = (id: string) => hc().read(id);

  beforeAll(async () => {
    emulator = await startEmulator({ fullTravelMs: 3000 });
    homebridge = await startHomebridge({
      echo: process.env.VELUX_E2E_ECHO === '1',
      platforms: [
        {
          platform: 'VeluxClimate',
          name: 'VELUX',
          gateways: [klfGateway(emulator, [{ serial: WINDOW, name: 'Attic window', room: 'Attic' }])],
          climate: { enabled: false },
        },
      ],
    });
    session = await BridgeSession.open(homebridge, {
      ready: (list) => list.length >= 7,
      what: 'all products published',
      subscribe: (s) =>
        [
          s.char('Living room window', S.Window, C.CurrentPosition),
          s.char('Living room window', S.Window, C.PositionState),
          s.char('Bedroom blind', S.WindowCovering, C.PositionState),
          s.char('Rain', S.OccupancySensor, C.OccupancyDetected),
        ].map((c) => c.id),
    });
    accessories = session.accessories;
  }, 60_000);

  // The accessories are listed as soon as the KLF 200's product list is read; the gateway goes
  // online (values readable, writes accepted) a round trip later, after its rain read. Each test
  // starts from an online gateway, also after a test that froze or rebooted the KLF.
  beforeEach(async () => {
    const current = char('Living room window', S.Window, C.CurrentPosition);
    await until(async () => (await readStatus(current.id)).value !== undefined, 'the KLF 200 online (a value readable)', 30_000);
  }, 40_000);

  afterAll(async () => {
    await session?.close().catch(() => undefined);
    await homebridge?.dispose().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
  }, 30_000);

  it('publishes every window and cover of the KLF 200 (named by the config or the KLF), and the rain sensor', () => {
    const names = accessories.filter((a) => a.aid !== 1).map(accessoryName).sort();
    // (plus the virtual Departure mode switch: the KLF 200 has no departure switch)
    expect(names).toEqual(['Attic window', 'Bedroom blind', 'Departure mode', 'Living room shutter', 'Living room window', 'Rain', 'Terrace awning']);
    const types = (name: string) => accessories.find((a) => accessoryName(a) === name)!.services.map((s) => s.type);
    expect(types('Attic window')).toContain(S.Window.UUID);
    expect(types('Bedroom blind')).toContain(S.WindowCovering.UUID);
    expect(types('Terrace awning')).toContain(S.WindowCovering.UUID);
  });

  it('a TargetPosition write moves the product; HomeKit sees the movement until it stops', async () => {
    const current = char('Living room window', S.Window, C.CurrentPosition);
    const state = char('Living room window', S.Window, C.PositionState);
    const target = char('Living room window', S.Window, C.TargetPosition);
    expect((await readStatus(current.id)).value).toBe(0);
    const t0 = Date.now();
    expect(await hc().write(target.id, 40)).toBe(0);
    await until(() => eventsFor(current.id).includes(40) && eventsFor(state.id).at(-1) === C.PositionState.STOPPED, 'window at 40 %');
    report('write 40 % → CurrentPosition 40 event (3 s full travel)', Date.now() - t0);
    const positions = eventsFor(current.id) as number[];
    expect(positions.length).toBeGreaterThan(3);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(eventsFor(state.id)).toContain(C.PositionState.INCREASING);
    expect(emulator.position(3)).toBe(percentToRaw(40));
  });

  it('HoldPosition stops a moving blind', async () => {
    const target = char('Bedroom blind', S.WindowCovering, C.TargetPosition);
    const hold = char('Bedroom blind', S.WindowCovering, C.HoldPosition);
    const state = char('Bedroom blind', S.WindowCovering, C.PositionState);
    expect(await hc().write(target.id, 0)).toBe(0);
    await until(() => emulator.position(1) > 0x2000, 'blind moving');
    expect(await hc().write(hold.id, true)).toBe(0);
    await until(() => eventsFor(state.id).at(-1) === C.PositionState.STOPPED, 'stopped');
    await until(() => !emulator.moving(1), 'the motor stopped');
    const at = emulator.position(1);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(0xc800);
  });

  it('Identify makes the product wink', async () => {
    const identify = char('Bedroom blind', S.AccessoryInformation, C.Identify);
    const before = emulator.winks(1);
    expect(await hc().write(identify.id, true)).toBe(0);
    await until(() => emulator.winks(1) > before, 'a wink');
  });

  it('rain: the Rain sensor turns on and an open is refused visibly', async () => {
    const rain = char('Rain', S.OccupancySensor, C.OccupancyDetected);
    const target = char('Attic window', S.Window, C.TargetPosition);
    emulator.setRain(0, true);
    await until(() => eventsFor(rain.id).at(-1) === 1, 'rain detected in HomeKit');
    const status = await hc().write(target.id, 50);
    expect(status).not.toBe(0);
    expect(emulator.commands.at(-1)).toMatchObject({ nodeId: 0, result: 'rain' });
    expect(emulator.position(0)).toBe(0xc800);
    emulator.setRain(0, false);
    await until(() => eventsFor(rain.id).at(-1) === 0, 'rain over');
  });

  it('frozen KLF: No Response within seconds, values back after it answers again', async () => {
    const current = char('Terrace awning', S.WindowCovering, C.CurrentPosition);
    await until(async () => (await readStatus(current.id)).value !== undefined, 'the awning readable before the freeze');
    console.log(homebridge!.log().split('\n').filter((l) => /KLF/.test(l) && !/climate:|homekit:/.test(l)).slice(-8).join('\n'));
    const frozenAt = Date.now();
    emulator.freeze(true);
    await until(async () => (await readStatus(current.id)).status === NO_RESPONSE, 'No Response', 30_000);
    report('freeze → No Response in HomeKit', Date.now() - frozenAt);
    await new Promise((r) => setTimeout(r, 2000));
    const thawAt = Date.now();
    emulator.freeze(false);
    await until(async () => (await readStatus(current.id)).value !== undefined, 'values back', 30_000);
    report('freeze ended → values in HomeKit again', Date.now() - thawAt);
    expect(Date.now() - frozenAt).toBeLessThan(60_000);
    expect(homebridge!.log()).toMatch(/may be frozen/);
  });

  it('refused TLS handshakes and a short product list while booting: survived, nothing removed', async () => {
    const current = char('Bedroom blind', S.WindowCovering, C.CurrentPosition);
    emulator.refuseNextHandshakes(3);
    emulator.reboot({ shortForMs: 2500, shortCount: 1 });
    const rebootAt = Date.now();
    await until(async () => (await readStatus(current.id)).status === NO_RESPONSE, 'No Response while rebooting', 10_000);
    await until(async () => (await readStatus(current.id)).value !== undefined, 'the blind back', 40_000);
    report('3 refused handshakes + short list → blind readable again', Date.now() - rebootAt);
    expect(emulator.stats.handshakesRefused).toBeGreaterThanOrEqual(3);
    expect(homebridge!.log()).toMatch(/power cycle/);
    const names = (await hc().controller.accessories()).filter((a) => a.aid !== 1).map(accessoryName);
    expect(names).toHaveLength(7);
    expect(emulator.stats.maxConcurrentSessions).toBe(1);
  });
});

describe('mixed home: KLF 200 window + MQTT climate sensor in the same room', () => {
  let broker: TestBroker;
  let sim: SimulatedHome;
  let emulator: KlfEmulator;
  let homebridge: RunningHomebridge | undefined;

  beforeAll(async () => {
    broker = await startAedes();
    const baseTopic = uniqueBaseTopic('klfmix');
    const layout: HomeLayout = {
      devices: [
        { id: 'attic-sensor', type: 'sensor', name: 'Attic sensor', room: 'Attic', features: { measures: ['temperature', 'humidity', 'co2'] } },
        { id: 'departure', type: 'departure_switch', name: 'Departure switch', room: 'Hallway', features: {} },
      ],
      initialState: { 'attic-sensor': { temperature: 22, humidity: 45, co2: 1800 }, departure: { away: false } },
      occupancy: { Attic: 3 },
    };
    sim = new SimulatedHome({ url: broker.url, baseTopic, layout, timeScale: 1, sensorIntervalMs: 3000, weather: { temperature: 15, windSpeed: 1, rain: false } });
    await sim.start();
    emulator = await startEmulator({ fullTravelMs: 2000 });
    homebridge = await startHomebridge({
      echo: process.env.VELUX_E2E_ECHO === '1',
      platforms: [
        {
          platform: 'VeluxClimate',
          name: 'VELUX',
          debug: true,
          gateways: [
            { name: 'Sensors', url: broker.url, baseTopic },
            klfGateway(emulator, [{ serial: WINDOW, name: 'Attic window', room: 'Attic' }]),
          ],
          // the shortest confirmation the settings allow: CO2 must stay high for a minute before a window opens
          climate: { enabled: true, defaults: { triggerConfirmMinutes: 1 } },
        },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await homebridge?.dispose().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await broker?.close().catch(() => undefined);
  }, 30_000);

  it('high CO2 from the MQTT sensor opens the KLF window (source climate); departure mode closes it', { timeout: 150_000 }, async () => {
    await until(() => emulator.position(0) < 0xc800 && !emulator.moving(0), 'the KLF window opened by the climate control', 100_000);
    expect(emulator.commands.filter((c) => c.nodeId === 0).at(-1)).toMatchObject({ result: 'moving' });
    expect(homebridge!.log()).toMatch(/\[KLF\] climate: Attic window → \d+%/);
    // other KLF products (not in a room with a sensor) were left alone
    expect(emulator.commands.filter((c) => c.nodeId !== 0)).toEqual([]);
    expect(sim.pressDepartureSwitch()).toBe(true);
    await until(() => emulator.position(0) === 0xc800 && !emulator.moving(0), 'the KLF window closed for departure', 30_000);
    expect(homebridge!.log()).toMatch(/\[KLF\] climate: Attic window → 0%/);
  });
});

export { BLIND, LIVING_WINDOW };
