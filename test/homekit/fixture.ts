/**
 * A HomeKit layer under test without a Homebridge process: a real Home and MqttGateway
 * against an in-process aedes broker with the simulated home on the other side, and
 * Homebridge's own API object (its `hap`, `platformAccessory`, and register/unregister
 * events standing in for the bridge).
 */
import type { EventEmitter } from 'node:events';
import type { PlatformAccessory } from 'homebridge';
import { HomebridgeAPI } from '../../node_modules/homebridge/dist/api.js';
import { PlatformAccessory as PlatformAccessoryClass } from '../../node_modules/homebridge/dist/platformAccessory.js';
import type { Gateway } from '../../src/gateway/types.js';
import type { Home, PersistedHomeState } from '../../src/home/model.js';
import { HomeKitAccessories } from '../../src/homekit/registry.js';
import type { HomeLayout, SimulatedHome } from '../../src/simulator/index.js';
import { startAedes, type TestBroker } from '../helpers/broker.js';
import { recordingLogger, type RecordingLogger } from '../helpers/log.js';
import { startSimRig, type SimRig } from '../helpers/sim-rig.js';

export const PLUGIN_NAME = 'homebridge-velux-climate';
export const PLATFORM_NAME = 'VeluxClimate';

/** What Homebridge's bridge would hold: accessories registered minus unregistered. */
export class FakeBridge {
  readonly accessories = new Map<string, PlatformAccessory>();
  registerCalls = 0;

  constructor(readonly api: HomebridgeAPI) {
    // Homebridge's bridge listens to these internal events of the API object.
    const events: EventEmitter = api;
    events.on('registerPlatformAccessories', (list: PlatformAccessory[]) => {
      this.registerCalls++;
      for (const a of list) {
        if (this.accessories.has(a.UUID)) throw new Error(`duplicate UUID ${a.UUID}`);
        this.accessories.set(a.UUID, a);
      }
      if (this.accessories.size > 149) throw new Error('Cannot Bridge more than 149 Accessories');
    });
    events.on('unregisterPlatformAccessories', (list: PlatformAccessory[]) => {
      for (const a of list) this.accessories.delete(a.UUID);
    });
  }

  byName(name: string): PlatformAccessory {
    const found = [...this.accessories.values()].find((a) => a.displayName === name);
    if (!found) throw new Error(`no accessory "${name}" (have: ${this.names().join(', ')})`);
    return found;
  }

  names(): string[] {
    return [...this.accessories.values()].map((a) => a.displayName).sort();
  }

  /** Serialised and restored, as Homebridge's accessory cache does across a restart. */
  cacheRoundTrip(): PlatformAccessory[] {
    return [...this.accessories.values()].map((a) => PlatformAccessoryClass.deserialize(PlatformAccessoryClass.serialize(a)));
  }
}

export interface FixtureOptions {
  layout?: HomeLayout;
  timeScale?: number;
  co2Limit?: (room: string) => number;
  /** Accessories restored from the cache before start (from a previous fixture's bridge). */
  cached?: PlatformAccessory[];
  persisted?: PersistedHomeState;
  /** The simulated gateway's base topic and own id (default: a unique topic, "sim-gateway"). */
  baseTopic?: string;
  gatewayId?: string;
  /** Reuse the broker and simulator of an earlier fixture (a plugin restart). */
  reuse?: Fixture;
  /** Do not wait for every device to be reachable. */
  noWait?: boolean;
  commandTimeoutMs?: number;
  /** Accessories of other plugins already on the bridge. */
  foreignAccessories?: number;
  /** How long a device missing from the gateway's list is kept (default 0: removed at once). */
  removalGraceMs?: number;
}

export interface Fixture {
  broker: TestBroker;
  sim: SimulatedHome;
  baseTopic: string;
  api: HomebridgeAPI;
  bridge: FakeBridge;
  home: Home;
  gateway: Gateway;
  hk: HomeKitAccessories;
  log: RecordingLogger;
  rig: SimRig<SimulatedHome>;
  persisted: PersistedHomeState;
  /** Stops the plugin side only (HomeKit layer, home, gateway). */
  stopPlugin(): Promise<void>;
  /** Stops everything this fixture started (the broker and simulator only if it created them). */
  close(): Promise<void>;
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const broker = options.reuse?.broker ?? (await startAedes());
  const ownsBroker = !options.reuse;

  const api = new HomebridgeAPI();
  const bridge = new FakeBridge(api);
  for (let i = 0; i < (options.foreignAccessories ?? 0); i++) {
    const foreign = new api.platformAccessory(`Other plugin ${i}`, api.hap.uuid.generate(`foreign-${i}`));
    bridge.accessories.set(foreign.UUID, foreign);
  }
  const log = recordingLogger();
  const fixture: Partial<Fixture> = {};
  fixture.persisted = structuredClone(options.persisted ?? { virtualAway: false, roomClimateEnabled: {} });
  let hk: HomeKitAccessories | undefined;
  const rig = await startSimRig({
    broker,
    topicPrefix: 'hk',
    baseTopic: options.baseTopic,
    gatewayId: options.gatewayId,
    timeScale: options.timeScale ?? 20,
    layout: options.layout,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    emulated: options.reuse?.rig.emulated,
    log,
    noWait: options.noWait,
    home: { persisted: fixture.persisted, persist: (s) => (fixture.persisted = s), removalGraceMs: options.removalGraceMs },
    beforeStart: (home) => {
      hk = new HomeKitAccessories({ api, log, home, pluginName: PLUGIN_NAME, platformName: PLATFORM_NAME, co2Limit: options.co2Limit });
      for (const cached of options.cached ?? []) {
        bridge.accessories.set(cached.UUID, cached); // Homebridge puts restored accessories on the bridge itself
        hk.configureAccessory(cached);
      }
      hk.start();
    },
  });
  const homekit = hk as HomeKitAccessories;
  const sim = rig.emulator;
  let pluginStopped = false;
  const stopPlugin = async () => {
    if (pluginStopped) return;
    pluginStopped = true;
    homekit.stop();
    await rig.stopPlugin();
  };
  Object.assign(fixture, {
    broker,
    sim,
    baseTopic: sim.baseTopic,
    api,
    bridge,
    home: rig.home,
    gateway: rig.gateway,
    hk: homekit,
    log,
    rig,
    stopPlugin,
    close: async () => {
      await stopPlugin();
      await rig.close();
      if (ownsBroker) await broker.close();
    },
  });
  return fixture as Fixture;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** What a HomeKit controller gets for a read: the value, or the HAP status code it failed with. */
export async function read(accessory: PlatformAccessory, service: { UUID: string }, characteristic: { UUID: string }): Promise<unknown> {
  const c = characteristicOf(accessory, service, characteristic);
  try {
    return await c.handleGetRequest();
  } catch (status) {
    return { status };
  }
}

/** What a HomeKit controller gets for a write: undefined on success, or `{status}`. */
export async function write(
  accessory: PlatformAccessory,
  service: { UUID: string },
  characteristic: { UUID: string },
  value: boolean | number | string,
): Promise<undefined | { status: unknown }> {
  const c = characteristicOf(accessory, service, characteristic);
  try {
    await c.handleSetRequest(value);
    return undefined;
  } catch (status) {
    return { status };
  }
}

export function characteristicOf(accessory: PlatformAccessory, service: { UUID: string }, characteristic: { UUID: string }) {
  const s = accessory.services.find((x) => x.UUID === service.UUID);
  if (!s) throw new Error(`${accessory.displayName} has no service ${service.UUID}`);
  const c = s.characteristics.find((x) => x.UUID === characteristic.UUID);
  if (!c) throw new Error(`${accessory.displayName}/${s.displayName} has no characteristic ${characteristic.UUID}`);
  return c;
}
