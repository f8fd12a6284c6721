/**
 * One simulated gateway of any transport with the plugin's real gateway and home on it: the
 * transport-neutral SimHome (src/simulator/home.ts) behind that transport's emulator, the
 * gateway built through the plugin's own transport list (src/gateway/transports.ts), and a
 * Home that has loaded every device. A new transport adds its emulator to RIG_TRANSPORTS.
 */
import { createGateway, type GatewayConfig } from '../../src/gateway/transports.js';
import type { Gateway } from '../../src/gateway/types.js';
import { Home, type HomeOptions } from '../../src/home/model.js';
import { deviceKey } from '../../src/home/identity.js';
import type { Logger } from '../../src/logger.js';
import type { SimClock } from '../../src/simulator/clock.js';
import type { SimHome } from '../../src/simulator/home.js';
import type { HomeLayout } from '../../src/simulator/layout.js';
import { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from './broker.js';
import { recordingLogger, waitFor, type RecordingLogger } from './log.js';

export interface EmulatorOptions {
  layout?: HomeLayout;
  timeScale?: number;
  clock?: SimClock;
  /** Gateway name in the plugin's config. */
  name: string;
  commandTimeoutMs?: number;
  /** MQTT: a broker to use (default: a fresh in-process aedes, closed with the rig). */
  broker?: TestBroker;
  /** MQTT: a base topic prefix (default "rig"). */
  topicPrefix?: string;
  /** MQTT: this exact base topic (default: a unique one). */
  baseTopic?: string;
  /** The emulated gateway's own id (MQTT: bridge/info). */
  gatewayId?: string;
}

/** A running emulator and the config entry that makes the plugin talk to it. */
export interface Emulated<E> {
  emulator: E;
  physics: SimHome;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** The emulator type of each transport. */
export interface RigEmulators {
  mqtt: SimulatedHome;
}
export type RigTransport = keyof RigEmulators;

export const RIG_TRANSPORTS: { [T in RigTransport]: (options: EmulatorOptions) => Promise<Emulated<RigEmulators[T]>> } = {
  async mqtt(options) {
    const broker = options.broker ?? (await startAedes());
    const sim = new SimulatedHome({
      url: broker.url,
      baseTopic: options.baseTopic ?? uniqueBaseTopic(options.topicPrefix ?? 'rig'),
      gatewayId: options.gatewayId,
      layout: options.layout,
      timeScale: options.timeScale,
      clock: options.clock,
    });
    await sim.start();
    return {
      emulator: sim,
      physics: sim.home,
      config: { type: 'mqtt', name: options.name, url: broker.url, baseTopic: sim.baseTopic, commandTimeoutMs: options.commandTimeoutMs },
      async close() {
        await sim.stop();
        if (!options.broker) await broker.close();
      },
    };
  },
};

export interface SimRigOptions<T extends RigTransport> extends Partial<EmulatorOptions> {
  transport?: T;
  /** The plugin's logger (default: a fresh recording logger). */
  log?: RecordingLogger;
  /** Passed to the Home (persisted state, clock). */
  home?: Omit<HomeOptions, 'log'>;
  /** Do not wait for every device to be reachable. */
  noWait?: boolean;
  /** Use the running emulator of an earlier rig (a plugin restart); the new rig does not close it. */
  emulated?: Emulated<RigEmulators[T]>;
  /** The plugin's storage folder (transports that keep pairing keys need a real one). */
  storagePath?: string;
  /** Listeners to attach before the home starts (e.g. a HomeKit layer). */
  beforeStart?: (home: Home) => void;
}

export interface SimRig<E> {
  emulator: E;
  emulated: Emulated<E>;
  physics: SimHome;
  gateway: Gateway;
  home: Home;
  log: RecordingLogger;
  config: GatewayConfig;
  /** The home's key of a simulated device. */
  key(deviceId: string): string;
  /** Stops the plugin side only (home and gateway). */
  stopPlugin(): Promise<void>;
  /** Stops everything the rig started. */
  close(): Promise<void>;
}

export async function startSimRig<T extends RigTransport = 'mqtt'>(options: SimRigOptions<T> = {}): Promise<SimRig<RigEmulators[T]>> {
  const transport = (options.transport ?? 'mqtt') as T;
  const log = options.log ?? recordingLogger();
  const emulated = options.emulated ?? ((await RIG_TRANSPORTS[transport]({ ...options, name: options.name ?? 'Home' })) as Emulated<RigEmulators[T]>);
  const gateway = await createGateway(emulated.config, { log: log as Logger, storageDir: options.storagePath ?? '/nonexistent' });
  const home = new Home({ ...options.home, log });
  home.addGateway(gateway);
  options.beforeStart?.(home);
  await home.start();
  let pluginStopped = false;
  const stopPlugin = async () => {
    if (pluginStopped) return;
    pluginStopped = true;
    await home.stop();
  };
  const rig: SimRig<RigEmulators[T]> = {
    emulator: emulated.emulator,
    emulated,
    physics: emulated.physics,
    gateway,
    home,
    log,
    config: emulated.config,
    key: (deviceId) => deviceKey(gateway.key, deviceId),
    stopPlugin,
    async close() {
      await stopPlugin();
      if (!options.emulated) await emulated.close();
    },
  };
  if (!options.noWait) {
    const expected = emulated.physics.devices().length;
    await waitFor(() => home.devices().length === expected && home.devices().every((d) => d.reachable), 5000, 'every device reachable');
  }
  return rig;
}
