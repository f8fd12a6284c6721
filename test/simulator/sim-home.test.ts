/**
 * The simulated home as a bridge sees it: everything is asserted on what arrives at a
 * separate MQTT subscriber. Runs against in-process aedes, and also against MQTT_URL when set.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_TYPES, type DeviceDescriptor } from '../../src/gateway/types.js';
import { encodeDevices } from '../../src/gateway/mqtt/codec.js';
import { DEVICE_ID_PATTERN } from '../../src/simulator/layout.js';
import { SimulatedHome, type ReceivedCommand } from '../../src/simulator/mqtt/gateway.js';
import { brokers, Recorder, sleep, uniqueBase, type Broker, type CoverStatePayload } from './support.js';

/** 40× faster: a full 0→100 travel takes 0.5 s real. */
const SPEED = 40;

describe.each(brokers())('simulated home on $name', (factory) => {
  let broker: Broker;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    broker = await factory.start();
  });
  afterAll(async () => {
    await broker.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A started home plus a subscriber that was listening before the home connected. */
  async function setup(options: { timeScale?: number } = {}): Promise<{ home: SimulatedHome; bridge: Recorder }> {
    const base = uniqueBase();
    const bridge = await Recorder.connect(broker.url, base);
    cleanups.push(() => bridge.close());
    const home = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: options.timeScale ?? SPEED });
    cleanups.push(() => home.stop());
    await home.start();
    await bridge.waitForJson('bridge/state', (s) => s['state'] === 'online');
    return { home, bridge };
  }

  it('publishes the whole home as retained topics with valid payloads', async () => {
    // Real time: at 40× a climate step (every 250 ms real) re-reads the sensors and reports
    // them only when due, so the retained state and home.state() could differ by noise.
    const { home } = await setup({ timeScale: 1 });
    // A bridge that connects afterwards rebuilds everything from retained messages alone.
    const late = await Recorder.connect(broker.url, home.baseTopic);
    cleanups.push(() => late.close());
    const devices = home.devices();
    await late.waitFor((m) => m.suffix === `${devices.at(-1)?.id ?? ''}/availability`);
    await late.waitFor((m) => m.suffix === 'bridge/state');
    expect(late.messages.every((m) => m.retain)).toBe(true);

    expect(late.latest('bridge/state')).toEqual({ state: 'online' });
    expect(late.latest('bridge/info')).toEqual({
      protocol: 1,
      gateway: { id: 'sim-gateway', model: expect.any(String), firmware: expect.any(String) },
    });
    expect(late.latest('bridge/weather')).toEqual({ temperature: 12, wind_speed: 3, rain: false });

    // On the wire the features keep their protocol names (docs/gateway-protocol.md).
    const published = late.latest('bridge/devices') as Array<Omit<DeviceDescriptor, 'features'> & { features: { rain_sensor?: boolean; measures?: string[] } }>;
    expect(published).toEqual(encodeDevices(devices));
    expect(published.find((d) => d.id === 'living-window-1')?.features).toEqual({ rain_sensor: true, battery: false });
    expect(published.length).toBeGreaterThanOrEqual(13);
    for (const device of published) {
      expect(device.id).toMatch(DEVICE_ID_PATTERN);
      expect(DEVICE_TYPES).toContain(device.type);
      expect(late.latest(`${device.id}/availability`)).toEqual({ state: 'online' });
      const state = late.latest(device.id) as Record<string, unknown>;
      expect(state).toEqual(home.state(device.id));
      if (device.type === 'sensor') {
        for (const measure of device.features.measures ?? []) expect(typeof state[measure]).toBe('number');
        expect(state['battery']).toEqual(expect.any(Number));
      } else if (device.type === 'departure_switch') {
        expect(state).toEqual({ away: false, battery: 80 });
      } else {
        expect(state).toMatchObject({ motion: 'stopped', obstructed: false });
        expect(state['position']).toBe(state['target']);
        expect('rain' in state).toBe(device.features.rain_sensor === true);
      }
    }
    const kinds = new Set(published.map((device) => device.type));
    expect([...kinds].sort()).toEqual([...DEVICE_TYPES].sort());
  });

  it('moves a window to a commanded position with intermediate states and answers ok once', async () => {
    const { home, bridge } = await setup();
    const commands: ReceivedCommand[] = [];
    home.on('command', (received) => commands.push(received));
    const from = bridge.messages.length;

    const transaction = await bridge.send('living-window-1', { position: 60 }, 'homekit');
    expect(await bridge.responseTo(transaction)).toEqual({ transaction, status: 'ok' });
    await bridge.waitForJson<CoverStatePayload>('living-window-1', (s) => s.position === 60 && s.motion === 'stopped');

    const states = bridge.json('living-window-1').slice(-200) as CoverStatePayload[];
    const during = states.filter((s) => s.motion === 'opening');
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(during.every((s) => s.target === 60)).toBe(true);
    expect(during.some((s) => s.position > 0 && s.position < 60)).toBe(true);
    const positions = states.map((s) => s.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(home.state('living-window-1')).toMatchObject({ position: 60, target: 60, motion: 'stopped' });

    expect(commands).toEqual([
      expect.objectContaining({ deviceId: 'living-window-1', command: { position: 60 }, transaction, source: 'homekit' }),
    ]);
    await sleep(100);
    expect(bridge.responsesTo(transaction)).toHaveLength(1);
    expect(bridge.messages.slice(from).every((m) => m.suffix !== 'bridge/response' || !m.retain)).toBe(true);
  });

  it('stops where the motor is, and a new target redirects it', async () => {
    const { home, bridge } = await setup();
    await bridge.command('kitchen-awning', { position: 0 });
    await bridge.waitForJson<CoverStatePayload>('kitchen-awning', (s) => s.position <= 60 && s.motion === 'closing');
    const beforeStop = bridge.messages.length;
    expect(await bridge.command('kitchen-awning', { stop: true })).toMatchObject({ status: 'ok' });
    const stopped = await bridge.waitForJson<CoverStatePayload>('kitchen-awning', (s) => s.motion === 'stopped', 3_000, beforeStop);
    expect(stopped.position).toBeGreaterThan(0);
    expect(stopped.position).toBeLessThan(100);
    expect(stopped.target).toBe(stopped.position);
    await sleep(200);
    expect(home.state('kitchen-awning')).toMatchObject({ position: stopped.position, motion: 'stopped' });

    // Retarget mid-travel: latest command wins.
    await bridge.command('bedroom-window', { position: 100 });
    await bridge.waitForJson<CoverStatePayload>('bedroom-window', (s) => s.position >= 30);
    const beforeRetarget = bridge.messages.length;
    await bridge.command('bedroom-window', { position: 10 });
    await bridge.waitForJson<CoverStatePayload>('bedroom-window', (s) => s.motion === 'closing' && s.target === 10);
    const final = await bridge.waitForJson<CoverStatePayload>('bedroom-window', (s) => s.motion === 'stopped', 3_000, beforeRetarget);
    expect(final).toMatchObject({ position: 10, target: 10 });
  });

  it('closes rain-sensing windows when rain starts and refuses unforced opening', async () => {
    const { home, bridge } = await setup();
    await bridge.command('kitchen-window', { position: 50 });
    await bridge.command('bathroom-window', { position: 40 });
    await bridge.waitForJson<CoverStatePayload>('kitchen-window', (s) => s.position === 50 && s.motion === 'stopped');
    await bridge.waitForJson<CoverStatePayload>('bathroom-window', (s) => s.position === 40 && s.motion === 'stopped');
    const beforeRain = bridge.messages.length;

    home.setWeather({ rain: true });
    expect(await bridge.waitForJson('bridge/weather', (w) => w['rain'] === true)).toMatchObject({ rain: true });
    await bridge.waitForJson<CoverStatePayload>('kitchen-window', (s) => s.rain === true && s.motion === 'closing', 3_000, beforeRain);
    await bridge.waitForJson<CoverStatePayload>('kitchen-window', (s) => s.position === 0 && s.motion === 'stopped', 3_000, beforeRain);
    await bridge.waitForJson<CoverStatePayload>('living-window-1', (s) => s.rain === true, 3_000, beforeRain);
    // A window without a rain sensor stays where it was and has no rain field.
    expect(home.state('bathroom-window')).toMatchObject({ position: 40 });
    expect(home.state('bathroom-window')).not.toHaveProperty('rain');

    expect(await bridge.command('kitchen-window', { position: 30 })).toMatchObject({ status: 'error', error: 'rain' });
    expect(await bridge.command('kitchen-window', { position: 0 })).toMatchObject({ status: 'ok' });
    expect(await bridge.command('bathroom-window', { position: 60 })).toMatchObject({ status: 'ok' });
    expect(await bridge.command('kitchen-window', { position: 30, force: true })).toMatchObject({ status: 'ok' });
    await bridge.waitForJson<CoverStatePayload>('kitchen-window', (s) => s.position === 30 && s.rain === true);

    const beforeDry = bridge.messages.length;
    home.setWeather({ rain: false });
    await bridge.waitForJson<CoverStatePayload>('kitchen-window', (s) => s.rain === false, 3_000, beforeDry);
    expect(await bridge.command('kitchen-window', { position: 80 })).toMatchObject({ status: 'ok' });
  });

  it('answers unreachable for a device that lost its radio and reports its availability', async () => {
    const { home, bridge } = await setup();
    home.setReachable('bedroom-window', false);
    await bridge.waitForJson('bedroom-window/availability', (a) => a['state'] === 'offline');
    expect(await bridge.command('bedroom-window', { position: 20 })).toMatchObject({ status: 'error', error: 'unreachable' });
    expect(home.state('bedroom-window')).toMatchObject({ position: 0, motion: 'stopped' });
    // Other devices are unaffected.
    expect(await bridge.command('bedroom-shutter', { position: 80 })).toMatchObject({ status: 'ok' });

    const beforeBack = bridge.messages.length;
    home.setReachable('bedroom-window', true);
    await bridge.waitForJson('bedroom-window/availability', (a) => a['state'] === 'online', 3_000, beforeBack);
    expect(await bridge.command('bedroom-window', { position: 20 })).toMatchObject({ status: 'ok' });
  });

  it('goes offline (no answers), comes back online, and its last will fires on an unclean disconnect', async () => {
    const { home, bridge } = await setup();
    await home.goOffline();
    await bridge.waitForJson('bridge/state', (s) => s['state'] === 'offline');
    const unanswered = await bridge.send('living-blind', { position: 10 });
    await sleep(300);
    expect(bridge.responsesTo(unanswered)).toEqual([]);
    expect(home.state('living-blind')).toMatchObject({ position: 100 });

    await home.goOnline();
    await bridge.waitForJson('bridge/state', (s) => s['state'] === 'online', 3_000, bridge.messages.length - 1);
    expect(await bridge.command('living-blind', { position: 10 })).toMatchObject({ status: 'ok' });

    const beforeDrop = bridge.messages.length;
    await home.disconnectUnclean();
    expect(home.connected).toBe(false);
    await bridge.waitForJson('bridge/state', (s) => s['state'] === 'offline', 3_000, beforeDrop);
    // The will is retained: a bridge connecting now learns the gateway is offline.
    const late = await Recorder.connect(broker.url, home.baseTopic);
    cleanups.push(() => late.close());
    expect(await late.waitForJson('bridge/state')).toEqual({ state: 'offline' });

    const beforeReconnect = bridge.messages.length;
    await home.goOnline();
    await bridge.waitForJson('bridge/state', (s) => s['state'] === 'online', 3_000, beforeReconnect);
    expect(await bridge.command('living-blind', { position: 50 })).toMatchObject({ status: 'ok' });
  });

  it('can hang (never answer) or answer late', async () => {
    const { home, bridge } = await setup();
    const received: ReceivedCommand[] = [];
    home.on('command', (command) => received.push(command));

    home.setAnswerMode('never');
    const lost = await bridge.send('living-window-2', { position: 40 });
    await sleep(300);
    expect(received.map((r) => r.transaction)).toEqual([lost]);
    expect(bridge.responsesTo(lost)).toEqual([]);

    home.setAnswerMode({ delayMs: 250 });
    const sentAt = Date.now();
    const late = await bridge.send('living-window-2', { position: 40 });
    const answer = await bridge.waitFor((m) => m.suffix === 'bridge/response' && m.text.includes(late));
    expect(answer.at - sentAt).toBeGreaterThanOrEqual(240);
    expect(JSON.parse(answer.text)).toEqual({ transaction: late, status: 'ok' });

    home.setAnswerMode('normal');
    expect(await bridge.command('living-window-2', { stop: true }, 200)).toMatchObject({ status: 'ok' });
    expect(bridge.responsesTo(lost)).toEqual([]);
  });

  it('adds and removes devices, republishing bridge/devices and clearing retained topics', async () => {
    const { home, bridge } = await setup();
    const attic: DeviceDescriptor = {
      id: 'attic-window',
      type: 'window',
      name: 'Attic window',
      room: 'Attic',
      model: 'GGL INTEGRA',
      serial: '5A1B-0100',
      features: { rainSensor: true, battery: false },
    };
    const before = bridge.messages.length;
    home.addDevice(attic, { position: 25 });
    const withAttic = await bridge.waitForJson<DeviceDescriptor[]>('bridge/devices', (d) => d.some((x) => x.id === 'attic-window'), 3_000, before);
    expect(withAttic).toHaveLength(14);
    expect(await bridge.waitForJson('attic-window')).toMatchObject({ position: 25, motion: 'stopped', rain: false });
    expect(await bridge.waitForJson('attic-window/availability')).toEqual({ state: 'online' });
    expect(await bridge.command('attic-window', { position: 30 })).toMatchObject({ status: 'ok' });
    expect(() => home.addDevice(attic)).toThrow(/already exists/);
    expect(() => home.addDevice({ ...attic, id: 'bad id!' })).toThrow(/invalid device id/);

    const beforeRemove = bridge.messages.length;
    home.removeDevice('bathroom-window');
    const without = await bridge.waitForJson<DeviceDescriptor[]>('bridge/devices', () => true, 3_000, beforeRemove);
    expect(without.map((d) => d.id)).not.toContain('bathroom-window');
    const cleared = await bridge.waitFor((m) => m.suffix === 'bathroom-window' && m.text === '', 3_000, beforeRemove);
    expect(cleared.retain).toBe(false); // delivered live: a retained flag is only set on replay
    await bridge.waitFor((m) => m.suffix === 'bathroom-window/availability' && m.text === '', 3_000, beforeRemove);
    expect(await bridge.command('bathroom-window', { position: 10 })).toMatchObject({ status: 'error', error: 'unknown_device' });

    // A bridge connecting now no longer hears of the removed device at all.
    const late = await Recorder.connect(broker.url, home.baseTopic);
    cleanups.push(() => late.close());
    await late.waitFor((m) => m.suffix === 'bridge/state');
    await sleep(100);
    expect(late.messages.filter((m) => m.suffix.startsWith('bathroom-window'))).toEqual([]);
    expect(late.messages.some((m) => m.suffix === 'attic-window')).toBe(true);
  });

  it('flips departure mode on a press and on an away command', async () => {
    const { home, bridge } = await setup();
    expect(home.pressDepartureSwitch()).toBe(true);
    expect(await bridge.waitForJson('departure-switch', (s) => s['away'] === true)).toEqual({ away: true, battery: 80 });
    expect(await bridge.command('departure-switch', { away: false })).toMatchObject({ status: 'ok' });
    await bridge.waitForJson('departure-switch', (s) => s['away'] === false, 3_000, bridge.messages.length - 2);
    expect(home.state('departure-switch')).toEqual({ away: false, battery: 80 });
    expect(home.pressDepartureSwitch()).toBe(true);
  });

  it('answers invalid for malformed commands and unknown_device for unknown ids', async () => {
    const { home, bridge } = await setup();
    const rejected: string[] = [];
    home.on('rejected', (r) => rejected.push(r.reason));
    const invalid: Array<[string, object]> = [
      ['living-window-1', { position: 150 }],
      ['living-window-1', { position: -1 }],
      ['living-window-1', { position: '50' }],
      ['living-window-1', { position: null }],
      ['living-window-1', { stop: false }],
      ['living-window-1', { position: 10, stop: true }],
      ['living-window-1', {}],
      ['living-window-1', { away: true }],
      ['living-window-1', { position: 10, force: 'yes' }],
      ['departure-switch', { position: 10 }],
      ['departure-switch', { away: 'yes' }],
      ['living-sensor', { position: 10 }],
    ];
    for (const [id, body] of invalid) {
      const answer = await bridge.command(id, body);
      expect(answer, `${id} ${JSON.stringify(body)}`).toMatchObject({ status: 'error', error: 'invalid' });
      expect(answer.message).toEqual(expect.any(String));
    }
    // Missing or wrong source.
    await bridge.publish('living-window-1/set', { position: 10, transaction: 'no-source' });
    expect(await bridge.responseTo('no-source')).toMatchObject({ status: 'error', error: 'invalid' });
    await bridge.publish('living-window-1/set', { position: 10, transaction: 'num-source', source: 3 });
    expect(await bridge.responseTo('num-source')).toMatchObject({ status: 'error', error: 'invalid' });

    expect(await bridge.command('cellar-window', { position: 10 })).toMatchObject({ status: 'error', error: 'unknown_device' });
    // Unknown fields are ignored; a fractional position is rounded.
    expect(await bridge.command('living-blind', { position: 33.4, colour: 'red' })).toMatchObject({ status: 'ok' });
    await bridge.waitForJson<CoverStatePayload>('living-blind', (s) => s.target === 33);
    // A blind ignores `force`.
    expect(await bridge.command('living-blind', { position: 40, force: true })).toMatchObject({ status: 'ok' });

    // Nothing to correlate an answer with: no answer, but the home tells the test.
    const responsesBefore = bridge.json('bridge/response').length;
    await bridge.publish('living-window-1/set', 'not json');
    await bridge.publish('living-window-1/set', { position: 10, source: 'test' });
    await bridge.publish('living-window-1/set', '[1,2]');
    await sleep(150);
    expect(bridge.json('bridge/response')).toHaveLength(responsesBefore);
    expect(rejected).toHaveLength(3);
    expect(home.state('living-window-1')).toMatchObject({ position: 0, motion: 'stopped' });
  });

  it('answers a duplicated transaction once and republishes state on /get', async () => {
    const { home, bridge } = await setup();
    await bridge.publish('living-blind/set', { position: 90, transaction: 'dup', source: 'test' });
    await bridge.publish('living-blind/set', { position: 20, transaction: 'dup', source: 'test' });
    await bridge.responseTo('dup');
    await sleep(150);
    expect(bridge.responsesTo('dup')).toHaveLength(1);
    expect(home.receivedCommands().map((r) => r.duplicate)).toEqual([false, true]);
    expect(home.state('living-blind')).toMatchObject({ target: 90 });

    const before = bridge.messages.length;
    await bridge.publish('bathroom-window/get', {});
    const republished = await bridge.waitForJson('bathroom-window', () => true, 3_000, before);
    expect(republished).toEqual({ position: 0, target: 0, motion: 'stopped', obstructed: false });
    await bridge.publish('living-sensor/get', {});
    expect(await bridge.waitForJson('living-sensor', () => true, 3_000, before)).toMatchObject({ co2: expect.any(Number) });
  });

  it('reports obstruction and battery, clears a device removed while offline, and publishes raw payloads', async () => {
    const { home, bridge } = await setup();
    await bridge.command('bedroom-shutter', { position: 0 });
    await bridge.waitForJson<CoverStatePayload>('bedroom-shutter', (s) => s.motion === 'closing');
    home.setObstructed('bedroom-shutter', true);
    const blocked = await bridge.waitForJson<CoverStatePayload>('bedroom-shutter', (s) => s.obstructed);
    expect(blocked.motion).toBe('stopped');
    expect(blocked.position).toBeGreaterThan(0);
    expect(await bridge.command('bedroom-shutter', { position: 0 })).toMatchObject({ status: 'ok' });
    await bridge.waitForJson<CoverStatePayload>('bedroom-shutter', (s) => !s.obstructed && s.position === 0);

    home.setBattery('living-window-2', 7);
    expect(await bridge.waitForJson('living-window-2', (s) => s['battery'] === 7)).toMatchObject({ position: 0 });

    await home.goOffline();
    home.removeDevice('kitchen-awning');
    const beforeOnline = bridge.messages.length;
    await home.goOnline();
    await bridge.waitFor((m) => m.suffix === 'kitchen-awning' && m.text === '', 3_000, beforeOnline);
    const devices = await bridge.waitForJson<DeviceDescriptor[]>('bridge/devices', () => true, 3_000, beforeOnline);
    expect(devices.map((d) => d.id)).not.toContain('kitchen-awning');

    await home.publishRaw('bridge/devices', '{"not":"an array"', { retain: false });
    await bridge.waitFor((m) => m.suffix === 'bridge/devices' && m.text === '{"not":"an array"');
  });

  it('answers busy and internal when told to fail', async () => {
    const { home, bridge } = await setup();
    home.failNextCommands('kitchen-awning', 'busy');
    home.failNextCommands('kitchen-awning', 'internal');
    expect(await bridge.command('kitchen-awning', { position: 0 })).toMatchObject({ status: 'error', error: 'busy' });
    expect(await bridge.command('kitchen-awning', { position: 0 })).toMatchObject({ status: 'error', error: 'internal' });
    expect(await bridge.command('kitchen-awning', { position: 0 })).toMatchObject({ status: 'ok' });
  });

  it('raises CO2 with occupancy and lowers it through an open window', async () => {
    // 1200×: ten simulated minutes take half a second.
    const { home, bridge } = await setup({ timeScale: 1_200 });
    type Reading = { co2: number; temperature: number; humidity: number };
    const start = (await bridge.waitForJson<Reading>('bedroom-sensor')).co2;
    home.setOccupancy('Bedroom', 4);
    const crowded = await bridge.waitForJson<Reading>('bedroom-sensor', (s) => s.co2 >= start + 150, 5_000);
    expect(home.roomClimate('Bedroom').occupancy).toBe(4);

    home.setOccupancy('Bedroom', 0);
    expect(await bridge.command('bedroom-window', { position: 100 })).toMatchObject({ status: 'ok' });
    const aired = await bridge.waitForJson<Reading>('bedroom-sensor', (s) => s.co2 <= crowded.co2 - 300 && s.co2 < 700, 5_000);
    expect(aired.co2).toBeGreaterThanOrEqual(400);
    // Outdoor air at 12 °C cools the room.
    expect(aired.temperature).toBeLessThan(19.5);

    // A shower is reported at once, and an open window dries the room again.
    const before = bridge.messages.length;
    home.shower('Bathroom');
    const steamy = await bridge.waitForJson<Reading>('bathroom-sensor', (s) => s.humidity >= 80, 1_000, before);
    expect(await bridge.command('bathroom-window', { position: 100 })).toMatchObject({ status: 'ok' });
    await bridge.waitForJson<Reading>('bathroom-sensor', (s) => s.humidity <= steamy.humidity - 15, 5_000);
  });

  it('plays a scripted timeline in simulated time', async () => {
    const { home, bridge } = await setup({ timeScale: 200 });
    const started = Date.now();
    await home.runScript([
      { at: 20_000, weather: { temperature: 5, windSpeed: 12.34 } },
      { at: 60_000, weather: { rain: true }, pressDepartureSwitch: true },
    ]);
    // 60 simulated seconds at 200× ≈ 300 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await bridge.waitForJson('bridge/weather', (w) => w['rain'] === true)).toEqual({
      temperature: 5,
      wind_speed: 12.3,
      rain: true,
    });
    expect(home.state('departure-switch')).toMatchObject({ away: true });
    expect(home.state('living-window-1')).toMatchObject({ rain: true });
  });

  it('clears its retained topics on stop, or leaves them offline when asked', async () => {
    const base = uniqueBase();
    const first = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: SPEED });
    await first.start();
    await first.stop({ keepRetained: true });
    const kept = await Recorder.connect(broker.url, base);
    cleanups.push(() => kept.close());
    expect(await kept.waitForJson('bridge/state')).toEqual({ state: 'offline' });
    await kept.waitForJson('kitchen-window');

    const second = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: SPEED });
    await second.start();
    await second.stop();
    const cleared = await Recorder.connect(broker.url, base);
    cleanups.push(() => cleared.close());
    await sleep(200);
    expect(cleared.messages).toEqual([]);
  });
});

it('fails to start against a broker that is not there', async () => {
  const home = new SimulatedHome({ url: 'mqtt://127.0.0.1:1', baseTopic: uniqueBase() });
  await expect(home.start()).rejects.toThrow(/cannot connect/);
  expect(home.connected).toBe(false);
});
