/**
 * Devices that vanish for a moment (issue 11): a gateway that reports a short device list
 * (as a KLF 200 does while it reboots) must not make the home drop the devices, because
 * HomeKit would remove their accessories and Apple Home every automation and scene using
 * them. Against a real Mosquitto (started by the test when installed) and aedes: a short list
 * for 10 s, then the full list → the same devices (same keys, so the same accessory ids),
 * unreachable meanwhile, no removal; with a grace of 0 the old behaviour (removed at once).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttGateway } from '../../src/gateway/mqtt/gateway.js';
import { Home, type HomeDevice } from '../../src/home/model.js';
import { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import { recordingLogger } from '../helpers/log.js';
import { MosquittoProcess, mosquittoAvailable } from '../robustness/support/mosquitto.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const brokers: Array<{ name: string; start: () => Promise<TestBroker> }> = [{ name: 'aedes', start: startAedes }];
if (mosquittoAvailable()) {
  brokers.push({
    name: 'mosquitto',
    start: async () => {
      const m = await MosquittoProcess.create();
      await m.start();
      return { name: 'mosquitto', url: m.url, close: () => m.dispose() };
    },
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(brokerStart: () => Promise<TestBroker>, removalGraceMs: number) {
  const broker = await brokerStart();
  cleanups.push(() => broker.close());
  const base = uniqueBaseTopic('vanish');
  const sim = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: 20 });
  await sim.start();
  cleanups.push(() => sim.stop());
  const log = recordingLogger();
  const home = new Home({ log, removalGraceMs });
  home.addGateway(new MqttGateway({ name: 'Test gateway', url: broker.url, baseTopic: base, commandTimeoutMs: 3000 }, log));
  const removed: string[] = [];
  home.on('deviceRemoved', (d) => removed.push(d.key));
  await home.start();
  cleanups.push(() => home.stop());
  await waitFor(() => home.devices().length === sim.devices().length && home.devices().every((d) => d.reachable), 10_000, 'the home to load');
  return { sim, home, log, removed };
}

describe.each(brokers)('devices missing from the list ($name)', ({ start }) => {
  it('a short list for 10 s, then the full list: same devices, unreachable meanwhile, nothing removed', async () => {
    const { sim, home, log, removed } = await rig(start, 24 * 3600_000);
    const before = new Map(home.devices().map((d) => [d.key, d]));
    const gone = sim.devices().filter((d) => d.type === 'window' || d.type === 'sensor').slice(0, 3);
    expect(gone.length).toBe(3);
    for (const d of gone) sim.removeDevice(d.id);
    const keys = gone.map((d) => [...before.values()].find((h) => h.id === d.id)!.key);
    await waitFor(() => keys.every((k) => home.device(k)?.missingSince !== undefined), 5000, 'the short list');
    for (const k of keys) expect(home.device(k)).toMatchObject({ reachable: false });
    await sleep(10_000);
    for (const d of gone) sim.addDevice(d);
    await waitFor(() => keys.every((k) => home.device(k)?.reachable === true), 10_000, 'the devices to be back');
    expect(removed).toEqual([]);
    // The very same device objects: HomeKit and Google keep their accessory ids and everything attached.
    expect(home.devices().map((d) => d.key).sort()).toEqual([...before.keys()].sort());
    for (const d of home.devices()) expect(d).toBe(before.get(d.key));
    const text = log.lines.map((l) => l.message).join('\n');
    expect(text).not.toMatch(/removed(?! if it is still missing)/);
    expect(text).toMatch(/is missing from the gateway's device list; shown as unreachable, removed if it is still missing after 24 h/);
    expect(text).toMatch(/is listed by the gateway again after 1\d s; kept/);
  }, 40_000);

  it('removes a device that stays missing for the grace period, and `pruneMissing` removes missing ones at once', async () => {
    const { sim, home, removed } = await rig(start, 1500);
    const [first, second] = sim.devices().filter((d) => d.type === 'window');
    sim.removeDevice(first!.id);
    const firstKey = home.devices().find((d) => d.id === first!.id)!.key;
    await waitFor(() => home.device(firstKey)?.missingSince !== undefined, 5000, 'the short list');
    await waitFor(() => home.device(firstKey) === undefined, 5000, 'the removal after the grace period');
    expect(removed).toEqual([firstKey]);
    sim.removeDevice(second!.id);
    const secondKey = home.devices().find((d) => d.id === second!.id)!.key;
    await waitFor(() => home.device(secondKey)?.missingSince !== undefined, 5000, 'the second short list');
    expect(home.pruneMissing()).toBe(1);
    expect(home.device(secondKey)).toBeUndefined();
    expect(removed).toEqual([firstKey, secondKey]);
  }, 30_000);

  it('with a grace of 0 removes a missing device at once (the behaviour before)', async () => {
    const { sim, home, removed } = await rig(start, 0);
    const device = home.devices().find((d) => d.descriptor.type === 'window') as HomeDevice;
    sim.removeDevice(device.id);
    await waitFor(() => home.device(device.key) === undefined, 5000, 'the removal');
    expect(removed).toEqual([device.key]);
    expect(device.missingSince).toBeUndefined();
  }, 30_000);
});
