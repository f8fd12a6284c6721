/**
 * End to end: the simulated home on an aedes broker, a real Homebridge child process with
 * this plugin (from dist/), and a paired HAP controller over loopback. What the Home app
 * would see and do, checked at the protocol level.
 */
import { performance } from 'node:perf_hooks';
import hap from '@homebridge/hap-nodejs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '../../src/simulator/index.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import {
  accessoryName,
  accessorySerial,
  findCharacteristic,
  HapController,
  HOMEBRIDGE_VERSION,
  startHomebridge,
  type HapAccessory,
  type RunningHomebridge,
} from '../helpers/homebridge.js';
import { DEFAULT_HOME_ACCESSORIES } from '../helpers/default-home.js';

const { Service: S, Characteristic: C } = hap;
const NO_RESPONSE = -70402;
const EVE_HISTORY_SERVICE = 'E863F007-079E-48FF-8F27-9C2605A29F52';

const EXPECTED_ACCESSORIES = DEFAULT_HOME_ACCESSORIES;

/** Resolves like `promise`, or rejects after `ms` (a hung HAP request must not hang the suite). */
function withTimeout<T>(promise: Promise<T> | undefined, ms: number, what = 'operation'): Promise<T | undefined> {
  if (!promise) return Promise.resolve(undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

interface HapEvent {
  aid: number;
  iid: number;
  value: unknown;
}

describe(`HomeKit end to end (Homebridge ${HOMEBRIDGE_VERSION} child process + HAP controller)`, () => {
  let broker: TestBroker;
  let sim: SimulatedHome;
  let homebridge: RunningHomebridge | undefined;
  let controller: HapController | undefined;
  let observer: MqttClient | undefined;
  let accessories: HapAccessory[] = [];
  const events: HapEvent[] = [];
  const setMessages: Array<{ at: number; topic: string; payload: Record<string, unknown> }> = [];

  const char = (name: string, service: { UUID: string }, characteristic: { UUID: string }) =>
    findCharacteristic(accessories, name, service.UUID, characteristic.UUID);
  const hc = () => {
    if (!controller) throw new Error('no controller');
    return controller;
  };
  const refresh = async () => {
    accessories = await hc().accessories();
    return accessories;
  };
  const waitFor = async <T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const eventsFor = (id: string) => {
    const [aid, iid] = id.split('.').map(Number);
    return events.filter((e) => e.aid === aid && e.iid === iid).map((e) => e.value);
  };
  const readValue = async (id: string) => (await hc().read(id))[0]!;

  beforeAll(async () => {
    broker = await startAedes();
    const baseTopic = uniqueBaseTopic('e2e');
    sim = new SimulatedHome({ url: broker.url, baseTopic, timeScale: 20 });
    await sim.start();

    observer = mqtt.connect(broker.url, { clientId: `e2e-observer-${process.pid}` });
    await new Promise<void>((resolve, reject) => {
      observer!.once('connect', () => resolve());
      observer!.once('error', reject);
    });
    await observer.subscribeAsync(`${baseTopic}/+/set`, { qos: 1 });
    observer.on('message', (topic, payload) => setMessages.push({ at: performance.now(), topic, payload: JSON.parse(payload.toString()) }));

    homebridge = await startHomebridge({
      // Debugging aids: load the plugin from elsewhere, or echo Homebridge's output.
      pluginPath: process.env.VELUX_E2E_PLUGIN_PATH,
      echo: process.env.VELUX_E2E_ECHO === '1',
      platforms: [
        {
          platform: 'VeluxClimate',
          name: 'VELUX',
          gateways: [{ name: 'Home', url: broker.url, baseTopic }],
          // The automation would move windows on its own (CO2, departure mode); these tests drive them.
          climate: { enabled: false },
          // A device missing from the gateway's list is kept as No Response for this long (3.6 s).
          deviceRemovalGraceHours: 0.001,
        },
      ],
    });
    controller = await HapController.pair(homebridge);
    hc().client.on('event', (ev: { characteristics: HapEvent[] }) => {
      // HAP-NodeJS sends each batch newest-first (Apple's controllers process it in reverse):
      // reverse it back to get the events in the order they happened.
      for (const c of [...ev.characteristics].reverse()) events.push({ aid: Number(c.aid), iid: Number(c.iid), value: c.value });
    });
    await waitFor(async () => (await refresh()).length === EXPECTED_ACCESSORIES.length + 1, 'all accessories published', 15_000);
    // Subscribe once, up front, as the Home app does (hap-controller can lose a second
    // subscribe request on the event connection while events are streaming in).
    await hc().client.subscribeCharacteristics(
      [
        char('Bathroom window', S.Window, C.CurrentPosition),
        char('Bathroom window', S.Window, C.PositionState),
        char('Bathroom window', S.Window, C.TargetPosition),
        char('Living room blind', S.WindowCovering, C.PositionState),
        char('Departure switch', S.Switch, C.On),
        char('Rain', S.OccupancySensor, C.OccupancyDetected),
      ].map((c) => c.id),
    );
  }, 60_000);

  afterAll(async () => {
    await withTimeout(controller?.close(), 3000).catch(() => undefined);
    await homebridge?.dispose().catch(() => undefined);
    await observer?.endAsync(true).catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await broker?.close().catch(() => undefined);
  }, 30_000);

  it('publishes one accessory per simulated device plus room climate, rain and the bridge', async () => {
    const names = accessories.filter((a) => a.aid !== 1).map(accessoryName).sort();
    expect(names).toEqual(EXPECTED_ACCESSORIES);
    const serviceTypes = (name: string) =>
      accessories
        .find((a) => accessoryName(a) === name)!
        .services.map((s) => s.type)
        .filter((t) => t !== S.AccessoryInformation.UUID && t !== S.ProtocolInformation.UUID)
        .sort();
    expect(serviceTypes('Kitchen window')).toEqual([S.Window.UUID]);
    expect(serviceTypes('Living room window right')).toEqual([S.Window.UUID, S.Battery.UUID].sort());
    expect(serviceTypes('Kitchen awning')).toEqual([S.WindowCovering.UUID]);
    expect(serviceTypes('Living room sensor')).toEqual(
      // plus the Eve app's history (docs/eve.md)
      [S.TemperatureSensor.UUID, S.HumiditySensor.UUID, S.CarbonDioxideSensor.UUID, S.LightSensor.UUID, S.Battery.UUID, EVE_HISTORY_SERVICE].sort(),
    );
    expect(serviceTypes('Departure switch')).toEqual([S.Switch.UUID, S.Battery.UUID].sort());
    expect(serviceTypes('Kitchen climate')).toEqual([S.Switch.UUID, S.OccupancySensor.UUID].sort());
    expect(serviceTypes('Rain')).toEqual([S.OccupancySensor.UUID]);
    const kitchen = accessories.find((a) => accessoryName(a) === 'Kitchen window')!;
    expect(accessorySerial(kitchen)).toBe('5A1B-000A');
    expect(char('Kitchen sensor', S.TemperatureSensor, C.CurrentTemperature).value).toBeTypeOf('number');
  });

  it('moves a window on a TargetPosition write, with PositionState and CurrentPosition events until it stops', async () => {
    const current = char('Bathroom window', S.Window, C.CurrentPosition);
    const state = char('Bathroom window', S.Window, C.PositionState);
    const target = char('Bathroom window', S.Window, C.TargetPosition);
    expect((await readValue(current.id)).value).toBe(0);

    expect(await hc().write(target.id, 50)).toBe(0);
    await waitFor(
      () => eventsFor(current.id).includes(50) && eventsFor(state.id).includes(C.PositionState.STOPPED),
      'window at 50 and stopped',
    );
    const positions = eventsFor(current.id) as number[];
    expect(positions.length).toBeGreaterThan(5);
    expect(positions).toEqual([...positions].sort((a, b) => a - b)); // only ever opening
    expect(positions.at(-1)).toBe(50);
    expect(eventsFor(state.id)).toEqual([C.PositionState.INCREASING, C.PositionState.STOPPED]);
    expect(eventsFor(target.id)).toEqual([50]);
    // "Opening…" is announced before the first position report
    const at = (id: string) => events.findIndex((e) => `${e.aid}.${e.iid}` === id);
    expect(at(state.id)).toBeLessThan(at(current.id));
    expect((await readValue(current.id)).value).toBe(50);
    expect((await readValue(state.id)).value).toBe(C.PositionState.STOPPED);
    expect((await readValue(target.id)).value).toBe(50);
    expect(sim.state('bathroom-window')).toMatchObject({ position: 50, motion: 'stopped' });
  });

  it('stops a moving cover with HoldPosition', async () => {
    const target = char('Living room blind', S.WindowCovering, C.TargetPosition);
    const hold = char('Living room blind', S.WindowCovering, C.HoldPosition);
    const state = char('Living room blind', S.WindowCovering, C.PositionState);
    const current = char('Living room blind', S.WindowCovering, C.CurrentPosition);
    expect(await hc().write(target.id, 0)).toBe(0);
    await waitFor(() => (sim.state('living-blind')?.position ?? 100) <= 80, 'blind moving');
    expect(await hc().write(hold.id, true)).toBe(0);
    await waitFor(() => eventsFor(state.id).at(-1) === C.PositionState.STOPPED, 'stopped');
    expect(eventsFor(state.id)).toEqual([C.PositionState.DECREASING, C.PositionState.STOPPED]);
    const stoppedAt = sim.state('living-blind')!.position!;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.state('living-blind')!.position).toBe(stoppedAt);
    expect((await readValue(current.id)).value).toBe(stoppedAt);
    expect(setMessages.at(-1)).toMatchObject({ payload: { stop: true, source: 'homekit' } });
  });

  it('switches departure mode both ways', async () => {
    const on = char('Departure switch', S.Switch, C.On);
    // HAP-NodeJS sends booleans as 0/1 on the wire
    const asBool = (value: unknown) => value === true || value === 1;
    expect(asBool((await readValue(on.id)).value)).toBe(false);
    expect(await hc().write(on.id, true)).toBe(0);
    expect(setMessages.at(-1)).toMatchObject({ topic: expect.stringMatching(/\/departure-switch\/set$/), payload: { away: true, source: 'homekit' } });
    await waitFor(() => sim.state('departure-switch')?.away === true, 'gateway switch away');
    await waitFor(async () => asBool((await readValue(on.id)).value), 'switch reads on');

    const before = eventsFor(on.id).length;
    expect(sim.pressDepartureSwitch()).toBe(false);
    await waitFor(() => eventsFor(on.id).slice(before).some((v) => !asBool(v)), 'event: departure mode off');
    expect(asBool((await readValue(on.id)).value)).toBe(false);
  });

  it('reflects rain starting and stopping', async () => {
    const rain = char('Rain', S.OccupancySensor, C.OccupancyDetected);
    expect((await readValue(rain.id)).value).toBe(C.OccupancyDetected.OCCUPANCY_NOT_DETECTED);
    sim.setWeather({ rain: true });
    await waitFor(() => eventsFor(rain.id).at(-1) === C.OccupancyDetected.OCCUPANCY_DETECTED, 'rain event');
    sim.setWeather({ rain: false });
    await waitFor(() => eventsFor(rain.id).at(-1) === C.OccupancyDetected.OCCUPANCY_NOT_DETECTED, 'rain over event');
  });

  it('answers -70402 on reads and writes while the gateway is offline, and recovers', async () => {
    const position = char('Kitchen window', S.Window, C.CurrentPosition);
    const target = char('Kitchen window', S.Window, C.TargetPosition);
    const temperature = char('Kitchen sensor', S.TemperatureSensor, C.CurrentTemperature);
    const departure = char('Departure switch', S.Switch, C.On);
    await sim.goOffline();
    await waitFor(async () => (await readValue(position.id)).status === NO_RESPONSE, 'No Response');
    const reads = await hc().read(position.id, temperature.id, departure.id);
    expect(reads.map((r) => r.status)).toEqual([NO_RESPONSE, NO_RESPONSE, NO_RESPONSE]);
    const sent = setMessages.length;
    expect(await hc().write(target.id, 30)).toBe(NO_RESPONSE);
    expect(await hc().write(departure.id, true)).toBe(NO_RESPONSE);
    expect(setMessages.length).toBe(sent); // nothing reached the gateway

    await sim.goOnline();
    await waitFor(async () => (await readValue(position.id)).status === undefined, 'values again');
    expect((await readValue(position.id)).value).toBe(0);
    expect((await readValue(temperature.id)).value).toBeTypeOf('number');
  });

  it('adds and removes an accessory at runtime', async () => {
    sim.addDevice(
      { id: 'attic-window', type: 'window', name: 'Attic window', room: 'Attic', model: 'GGL', serial: 'ATTIC-1', features: {} },
      { position: 20 },
    );
    await waitFor(async () => (await refresh()).some((a) => accessoryName(a) === 'Attic window'), 'attic window listed');
    const position = char('Attic window', S.Window, C.CurrentPosition);
    await waitFor(async () => (await readValue(position.id)).value === 20, 'attic window position');
    const removedAt = performance.now();
    sim.removeDevice('attic-window');
    // First No Response (the gateway may only be rebooting), then gone once the grace period is over.
    await waitFor(async () => (await readValue(position.id)).status === NO_RESPONSE, 'attic window No Response');
    expect((await refresh()).some((a) => accessoryName(a) === 'Attic window')).toBe(true);
    await waitFor(async () => !(await refresh()).some((a) => accessoryName(a) === 'Attic window'), 'attic window gone');
    expect(performance.now() - removedAt).toBeGreaterThanOrEqual(3000);
    expect(accessories.length).toBe(EXPECTED_ACCESSORIES.length + 1);
  });

  it('measures the time from a TargetPosition write to the /set message at the broker', async () => {
    const target = char('Bedroom window', S.Window, C.TargetPosition);
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const value = 10 + (i % 2) * 10 + (i % 7); // always different from the previous write
      const from = setMessages.length;
      const start = performance.now();
      const written = hc().write(target.id, value);
      const arrived = await waitFor(
        () => setMessages.slice(from).find((m) => m.topic.endsWith('/bedroom-window/set') && m.payload.position === value),
        `/set with ${value}`,
      );
      samples.push(arrived.at - start);
      expect(await written).toBe(0);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    const p99 = samples[Math.ceil(samples.length * 0.99) - 1]!;
    console.log(`TargetPosition write → /set at the broker over ${samples.length} writes: median ${median.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
  });

  it('gives HAP-NodeJS nothing to warn about (names, values, slow handlers)', () => {
    const complaints = homebridge!
      .log()
      .split('\n')
      .filter((line) => /HAP-NodeJS WARNING|generated a warning|threw an error|slows down Homebridge|illegal value|invalid '/i.test(line));
    expect(complaints).toEqual([]);
  });

  it('keeps accessory ids, names and serials across a Homebridge restart', async () => {
    const identity = (list: HapAccessory[]) =>
      list
        .map((a) => ({ aid: a.aid, name: accessoryName(a), serial: accessorySerial(a) }))
        .sort((a, b) => a.aid - b.aid);
    const before = identity(await refresh());
    const pairing = hc().pairing;
    await controller!.close();
    controller = undefined;

    homebridge = await homebridge!.restart();
    controller = new HapController(homebridge, pairing);
    await waitFor(async () => (await refresh()).length === EXPECTED_ACCESSORIES.length + 1, 'accessories after restart', 15_000);
    expect(identity(accessories)).toEqual(before);
    // and live again once the gateway's retained state is in
    const position = char('Bathroom window', S.Window, C.CurrentPosition);
    await waitFor(async () => (await readValue(position.id)).value === 50, 'live value after restart');
  }, 60_000);
});
