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
import { MqttGateway } from '../../src/gateway/mqtt/gateway.js';
import { Home, type PersistedHomeState } from '../../src/home/model.js';
import { HomeKitAccessories } from '../../src/homekit/registry.js';
import type { Logger } from '../../src/logger.js';
import { SimulatedHome, type HomeLayout } from '../../src/simulator/index.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';

export const PLUGIN_NAME = 'homebridge-velux-climate';
export const PLATFORM_NAME = 'VeluxClimate';

export interface CapturingLogger extends Logger {
  lines: Array<{ level: 'info' | 'warn' | 'error' | 'debug'; message: string }>;
  text(level?: 'info' | 'warn' | 'error' | 'debug'): string[];
}

export function capturingLogger(): CapturingLogger {
  const lines: CapturingLogger['lines'] = [];
  const at = (level: CapturingLogger['lines'][number]['level']) => (message: string) => void lines.push({ level, message });
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    text: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.message),
  };
}

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
  /** Reuse a broker (and simulator) from an earlier fixture. */
  broker?: TestBroker;
  sim?: SimulatedHome;
  /** Do not wait for every device to be reachable. */
  noWait?: boolean;
  commandTimeoutMs?: number;
  /** Accessories of other plugins already on the bridge. */
  foreignAccessories?: number;
}

export interface Fixture {
  broker: TestBroker;
  sim: SimulatedHome;
  baseTopic: string;
  api: HomebridgeAPI;
  bridge: FakeBridge;
  home: Home;
  gateway: MqttGateway;
  hk: HomeKitAccessories;
  log: CapturingLogger;
  persisted: PersistedHomeState;
  /** Stops the plugin side only (HomeKit layer, home, gateway). */
  stopPlugin(): Promise<void>;
  /** Stops everything this fixture started (the broker and simulator only if it created them). */
  close(): Promise<void>;
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const broker = options.broker ?? (await startAedes());
  const ownsBroker = !options.broker;
  const sim =
    options.sim ??
    new SimulatedHome({ url: broker.url, baseTopic: uniqueBaseTopic('hk'), timeScale: options.timeScale ?? 20, layout: options.layout });
  const ownsSim = !options.sim;
  if (ownsSim) await sim.start();

  const api = new HomebridgeAPI();
  const bridge = new FakeBridge(api);
  for (let i = 0; i < (options.foreignAccessories ?? 0); i++) {
    const foreign = new api.platformAccessory(`Other plugin ${i}`, api.hap.uuid.generate(`foreign-${i}`));
    bridge.accessories.set(foreign.UUID, foreign);
  }
  const log = capturingLogger();
  const fixture: Partial<Fixture> = {};
  fixture.persisted = structuredClone(options.persisted ?? { virtualAway: false, roomClimateEnabled: {} });
  const home = new Home({ log, persisted: fixture.persisted, persist: (s) => (fixture.persisted = s) });
  const gateway = new MqttGateway(
    { name: 'Home', url: broker.url, baseTopic: sim.baseTopic, commandTimeoutMs: options.commandTimeoutMs ?? 2000 },
    log,
  );
  home.addGateway(gateway);
  const hk = new HomeKitAccessories({ api, log, home, pluginName: PLUGIN_NAME, platformName: PLATFORM_NAME, co2Limit: options.co2Limit });
  for (const cached of options.cached ?? []) {
    bridge.accessories.set(cached.UUID, cached); // Homebridge puts restored accessories on the bridge itself
    hk.configureAccessory(cached);
  }
  await home.start();
  hk.start();
  let pluginStopped = false;
  const stopPlugin = async () => {
    if (pluginStopped) return;
    pluginStopped = true;
    hk.stop();
    await home.stop();
  };
  Object.assign(fixture, {
    broker,
    sim,
    baseTopic: sim.baseTopic,
    api,
    bridge,
    home,
    gateway,
    hk,
    log,
    stopPlugin,
    close: async () => {
      await stopPlugin();
      if (ownsSim) await sim.stop();
      if (ownsBroker) await broker.close();
    },
  });
  if (!options.noWait) {
    const expected = sim.devices().length;
    await waitFor(() => home.devices().length === expected && home.devices().every((d) => d.reachable), 'every device reachable');
  }
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
