/**
 * With a ManualClock the simulated home is fully deterministic: same seed, same commands,
 * same time steps, same readings. Also proves stop() leaves no timer behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/simulator/clock.js';
import { generateLayout } from '../../src/simulator/layout.js';
import { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';
import { brokers, Recorder, uniqueBase, type Broker } from './support.js';

describe('simulated home on a manual clock', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await brokers()[0]!.start();
  });
  afterAll(async () => {
    await broker.close();
  });

  async function run(seed: number): Promise<{ states: unknown[]; home: SimulatedHome; clock: ManualClock }> {
    const clock = new ManualClock();
    const base = uniqueBase();
    const bridge = await Recorder.connect(broker.url, base);
    const home = new SimulatedHome({ url: broker.url, baseTopic: base, clock, seed });
    await home.start();
    try {
      home.setOccupancy('Bedroom', 3);
      clock.advance(5 * 60_000);
      expect(await bridge.command('bedroom-window', { position: 50 })).toMatchObject({ status: 'ok' });
      clock.advance(5_000); // a quarter of the full travel time
      expect(home.state('bedroom-window')).toMatchObject({ position: 25, target: 50, motion: 'opening' });
      clock.advance(5_000);
      expect(home.state('bedroom-window')).toMatchObject({ position: 50, motion: 'stopped' });
      home.shower('Bathroom');
      clock.advance(20 * 60_000);
      return { states: home.devices().map((device) => home.state(device.id)), home, clock };
    } finally {
      await bridge.close();
    }
  }

  it('gives the same readings for the same seed and different noise for another', async () => {
    const first = await run(7);
    const second = await run(7);
    const other = await run(8);
    expect(second.states).toEqual(first.states);
    expect(other.states).not.toEqual(first.states);
    for (const { home } of [first, second, other]) await home.stop();
  });

  it('publishes the final stopped state even when state() was read as the cover arrived', async () => {
    const clock = new ManualClock();
    const base = uniqueBase();
    const bridge = await Recorder.connect(broker.url, base);
    // Motor reports every 3 s: ticks at 9 s (not there yet) and 12 s; arrival is at 10 s.
    const home = new SimulatedHome({ url: broker.url, baseTopic: base, clock, tickMs: 3_000 });
    await home.start();
    try {
      expect(await bridge.command('living-blind', { position: 50 })).toMatchObject({ status: 'ok' });
      clock.advance(10_000);
      // Reading the state exactly on arrival used to end the movement silently.
      expect(home.state('living-blind')).toMatchObject({ position: 50, motion: 'stopped' });
      clock.advance(2_000);
      await bridge.waitForJson('living-blind', (s: { position?: number; motion?: string }) => s.position === 50 && s.motion === 'stopped');
    } finally {
      await bridge.close();
      await home.stop();
    }
  });

  it('leaves no timer running after stop, even mid-travel and mid-script', async () => {
    const clock = new ManualClock();
    const home = new SimulatedHome({ url: broker.url, baseTopic: uniqueBase(), clock });
    await home.start();
    home.setWeather({ rain: true });
    const script = home.runScript([{ at: 60_000, weather: { rain: false } }]);
    clock.advance(1_000);
    expect(home.state('kitchen-window')).toMatchObject({ rain: true });
    home.pressDepartureSwitch();
    const bridge = await Recorder.connect(broker.url, home.baseTopic);
    await bridge.command('living-blind', { position: 0 });
    await bridge.close();
    expect(home.state('living-blind')).toMatchObject({ motion: 'closing' });
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await home.stop();
    await script; // resolved by stop, not left hanging
    expect(clock.pendingTimers).toBe(0);
    expect(home.connected).toBe(false);
  });

  it('starts a generated home of 500 devices and reports every one of them', async () => {
    const base = uniqueBase();
    const home = new SimulatedHome({ url: broker.url, baseTopic: base, clock: new ManualClock(), layout: generateLayout(500) });
    await home.start();
    const bridge = await Recorder.connect(broker.url, base);
    await bridge.waitFor((m) => m.suffix === 'bridge/state');
    const ids = new Set(home.devices().map((device) => device.id));
    expect(ids.size).toBe(500);
    const reported = await bridge.waitFor(() => bridge.messages.filter((m) => ids.has(m.suffix)).length === 500, 5_000);
    expect(reported).toBeDefined();
    await bridge.close();
    await home.stop();
  });
});

describe('simulated home before it connects', () => {
  it('starts in rain with its rain-sensing windows closed and reporting rain', () => {
    const home = new SimulatedHome({
      url: 'mqtt://127.0.0.1:1',
      weather: { rain: true, temperature: undefined },
      layout: { devices: [], initialState: {} },
    });
    expect(home.weather()).toMatchObject({ rain: true, temperature: 12 });
    home.addDevice(
      { id: 'w', type: 'window', name: 'W', room: 'R', features: { rainSensor: true } },
      { position: 40 },
    );
    expect(home.state('w')).toMatchObject({ position: 0, rain: true });
    const wet = new SimulatedHome({ url: 'mqtt://127.0.0.1:1', weather: { rain: true } });
    expect(wet.state('kitchen-window')).toMatchObject({ position: 0, rain: true, motion: 'stopped' });
    expect(wet.state('bathroom-window')).not.toHaveProperty('rain');
  });

  it('refuses options and layouts that break the protocol', () => {
    expect(() => new SimulatedHome({ url: 'mqtt://x', baseTopic: 'velux/#' })).toThrow(/base topic/);
    expect(() => new SimulatedHome({ url: 'mqtt://x', timeScale: 0 })).toThrow(/timeScale/);
    expect(
      () => new SimulatedHome({ url: 'mqtt://x', layout: { devices: [{ id: 'bridge', type: 'sensor', name: 'B', features: {} }] } }),
    ).toThrow(/invalid device id/);
  });
});
