/**
 * The HomeKit accessories of one platform (one bridge): restores cached accessories, adds
 * new ones, updates changed ones and removes stale ones, and routes the home's events to the
 * per-accessory handlers.
 *
 * - Cached accessories answer "No Response" until their device is known again.
 * - A cached device accessory is removed only after its gateway's device list has arrived;
 *   home-wide ones (virtual departure switch, rooms, rain) only after every gateway's list.
 * - A HomeKit bridge holds at most 149 accessories: the rest are left out with one log line
 *   (bridge-limit.ts).
 * - Accessory UUIDs come from a cache (uuids.ts); when the "Rain" accessory goes is decided by
 *   rain-sweep.ts.
 */
import type { API, PlatformAccessory } from 'homebridge';
import type { Home, HomeDevice, HomeEvents } from '../home/model.js';
import { Subscriptions } from '../events.js';
import { BridgeLimit } from './bridge-limit.js';
import type { Logger } from '../logger.js';
import { markUnavailable } from './bindings.js';
import type { AccessoryContext, AccessoryRole } from './context.js';
import { DEPARTURE_MODE_NAME, VirtualDepartureHandler } from './departure.js';
import type { AccessoryHandler, DeviceHandler, HandlerDeps, VeluxAccessory } from './handler.js';
import { HOMEKIT_KINDS, type HomeWideRole } from './kinds.js';
import { sanitizeName } from '../home/names.js';
import { uuidSeed } from '../home/identity.js';
import { hasRainSource, RAIN_NAME, RainHandler } from './rain.js';
import { RainSweep } from './rain-sweep.js';
import { RoomClimateHandler } from './room-climate.js';
import { DEFAULT_CO2_LIMIT } from './sensor.js';
import type { SensorHistory } from '../history/sensor-history.js';
import { UuidCache } from './uuids.js';

export interface HomeKitAccessoriesOptions {
  api: API;
  log: Logger;
  home: Home;
  pluginName: string;
  platformName: string;
  /** CO2 ppm at which a room's CarbonDioxideSensor reports "detected" (default 1150). */
  co2Limit?: (room: string) => number;
  /** The sensor history, served to the Eve app on each climate sensor (none: no Eve history). */
  sensorHistory?: SensorHistory;
}

interface Entry {
  handler: AccessoryHandler;
  role: AccessoryRole;
}

export class HomeKitAccessories {
  private readonly api: API;
  private readonly log: Logger;
  private readonly home: Home;
  private readonly pluginName: string;
  private readonly platformName: string;
  private readonly co2Limit: (room: string) => number;
  private readonly deps: HandlerDeps;

  /** Restored from Homebridge's cache and not (yet) bound to anything: on the bridge, "No Response". */
  private readonly cached = new Map<string, VeluxAccessory>();
  /** Bound accessories by UUID: on the bridge, or about to be registered. */
  private readonly entries = new Map<string, Entry>();
  private readonly bridgeLimit: BridgeLimit;
  private toRegister: VeluxAccessory[] = [];
  private flushScheduled = false;
  /** Gateways whose device list has been applied at least once since start. */
  private readonly listed = new Set<string>();
  private readonly listeners: Subscriptions<HomeEvents>;
  private readonly rainSweep: RainSweep;
  private readonly uuids: UuidCache;
  private started = false;

  constructor(options: HomeKitAccessoriesOptions) {
    this.api = options.api;
    this.log = options.log;
    this.home = options.home;
    this.pluginName = options.pluginName;
    this.platformName = options.platformName;
    this.co2Limit = options.co2Limit ?? (() => DEFAULT_CO2_LIMIT);
    this.deps = { api: this.api, log: this.log, home: this.home, sensorHistory: options.sensorHistory };
    this.listeners = new Subscriptions(this.home);
    this.bridgeLimit = new BridgeLimit(this.log, this.platformName, () => this.accessoryCount);
    this.uuids = new UuidCache((seed) => this.api.hap.uuid.generate(seed));
    this.rainSweep = new RainSweep(this.home, () => {
      this.remove(this.uuid(uuidSeed.rain()));
      this.bridgeLimit.retry();
      this.flush();
      this.bridgeLimit.scheduleLog();
    });
  }

  /** Homebridge hands over each cached accessory before `didFinishLaunching`. */
  configureAccessory(accessory: PlatformAccessory): void {
    const restored = accessory as VeluxAccessory;
    if (this.entries.has(restored.UUID)) return;
    // Until its device is known again, nothing about it is live.
    markUnavailable(this.api, restored.services);
    this.cached.set(restored.UUID, restored);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.subscribe();

    const gatewayKeys = new Set(this.home.gatewayKeys);
    for (const [uuid, accessory] of [...this.cached]) {
      const role = accessory.context.role;
      if (!role || (role.kind === 'device' && !gatewayKeys.has(role.gatewayKey))) {
        this.log.info(`Removing "${accessory.displayName}" from HomeKit: its gateway is no longer configured`);
        this.remove(uuid);
        continue;
      }
      // Home-wide accessories live on plugin state: bind them at once.
      if (role.kind === 'departure-mode') this.ensureDepartureMode();
      else if (role.kind === 'room') this.ensureRoom(role.room);
      else if (role.kind === 'rain') this.ensureRain();
    }
    for (const device of this.home.devices()) this.addDevice(device);
    // Device lists that arrived before start(): a gateway with devices has had its list applied.
    for (const key of this.home.gatewayKeys) if (this.home.devicesOf(key).length > 0) this.onDevicesChanged(key);
    this.flush();
  }

  stop(): void {
    this.listeners.clear();
    this.rainSweep.stop();
    this.bridgeLimit.stop();
    for (const entry of this.entries.values()) entry.handler.dispose();
    this.started = false;
  }

  /** Accessories of this platform on the bridge (bound or restored from the cache). */
  get accessoryCount(): number {
    return this.cached.size + this.entries.size;
  }

  /** Names of the accessories that did not fit on the bridge. */
  get leftOutNames(): string[] {
    return this.bridgeLimit.names;
  }

  /** The bound accessory for a home device, if it is published. */
  accessoryFor(device: HomeDevice): PlatformAccessory | undefined {
    return this.entries.get(this.deviceUuid(device))?.handler.accessory;
  }

  // ---- home events ------------------------------------------------------------------------

  private subscribe(): void {
    const on = this.listeners.on.bind(this.listeners);
    on('deviceAdded', (device) => this.addDevice(device));
    on('deviceRemoved', (device) => this.remove(this.deviceUuid(device)));
    on('deviceChanged', (device) => {
      const entry = this.entries.get(this.deviceUuid(device));
      if (!entry) return;
      entry.handler.configure();
      this.persist(entry.handler.accessory);
    });
    on('devicesChanged', (gatewayKey) => this.onDevicesChanged(gatewayKey));
    on('state', (device) => {
      this.deviceHandler(device)?.stateChanged();
      for (const role of HOMEKIT_KINDS[device.descriptor.type].updatesOnState) this.updateRole(role);
    });
    on('reachability', (device) => {
      this.deviceHandler(device)?.update();
      for (const role of HOMEKIT_KINDS[device.descriptor.type].updatesOnReachability) this.updateRole(role);
    });
    on('gatewayOnline', () => this.updateRole('rain'));
    on('mode', () => {
      this.updateRole('departure-mode');
      for (const device of this.home.departureSwitches()) this.deviceHandler(device)?.update();
    });
    on('roomClimate', (room) => this.entries.get(this.uuid(uuidSeed.room(room)))?.handler.update());
    on('weather', () => {
      this.ensureRain();
      this.updateRole('rain');
      this.flush();
    });
  }

  private onDevicesChanged(gatewayKey: string): void {
    this.listed.add(gatewayKey);
    // Cached accessories of this gateway that no device claimed are gone for good.
    for (const [uuid, accessory] of [...this.cached]) {
      const role = accessory.context.role;
      if (role?.kind === 'device' && role.gatewayKey === gatewayKey) {
        this.log.info(`Removing "${accessory.displayName}" from HomeKit: the gateway no longer lists it`);
        this.remove(uuid);
      }
    }
    this.reconcileHomeAccessories();
    this.bridgeLimit.retry();
    this.flush();
    this.bridgeLimit.scheduleLog();
  }

  /** Virtual departure switch, room climate accessories and rain, as the home is now. */
  private reconcileHomeAccessories(): void {
    const allListed = this.home.gatewayKeys.every((key) => this.listed.has(key));

    const departureUuid = this.uuid(uuidSeed.departureMode());
    if (this.home.hasPhysicalDepartureSwitch) this.remove(departureUuid);
    else if (allListed) this.ensureDepartureMode();

    const climateRooms = new Set(this.home.rooms().filter((r) => r.climateCapable).map((r) => r.name));
    for (const room of climateRooms) this.ensureRoom(room);
    if (allListed) {
      for (const [uuid, role] of [...this.roles()]) {
        if (role.kind === 'room' && !climateRooms.has(role.room)) this.remove(uuid);
      }
    }

    this.ensureRain();
    this.rainSweep.reconsider(allListed);
  }

  // ---- adding and removing ------------------------------------------------------------------

  private addDevice(device: HomeDevice): void {
    const uuid = this.deviceUuid(device);
    const existing = this.entries.get(uuid);
    if (existing) {
      const role = existing.role;
      if (role.kind === 'device' && role.deviceKey !== device.key) {
        this.log.warn(`"${device.descriptor.name}" (${device.key}) has the same identity as ${role.deviceKey}; only the first is published`);
        return;
      }
      existing.handler.configure();
      return;
    }
    const role: AccessoryRole = { kind: 'device', gatewayKey: device.gatewayKey, deviceKey: device.key, type: device.descriptor.type };
    const name = sanitizeName(device.descriptor.name, device.descriptor.type);
    const kind = HOMEKIT_KINDS[device.descriptor.type];
    const create = (accessory: VeluxAccessory) => kind.create(this.deps, accessory, device.key, { co2Limit: this.co2Limit });
    this.ensure(uuid, role, name, kind.category(this.api.hap), create, () => {
      const current = this.home.device(device.key);
      if (current) this.addDevice(current);
    });
    this.scheduleFlush();
  }

  private ensureDepartureMode(): void {
    const role: AccessoryRole = { kind: 'departure-mode' };
    this.ensure(
      this.uuid(uuidSeed.departureMode()),
      role,
      DEPARTURE_MODE_NAME,
      this.api.hap.Categories.SWITCH,
      (accessory) => new VirtualDepartureHandler(this.deps, accessory),
      () => this.ensureDepartureMode(),
    );
  }

  private ensureRoom(room: string): void {
    const uuid = this.uuid(uuidSeed.room(room));
    if (this.entries.has(uuid)) return;
    this.ensure(
      uuid,
      { kind: 'room', room },
      sanitizeName(`${room} climate`, 'Room climate'),
      this.api.hap.Categories.SWITCH,
      (accessory) => new RoomClimateHandler(this.deps, accessory, room),
      () => this.ensureRoom(room),
    );
  }

  private ensureRain(): void {
    const uuid = this.uuid(uuidSeed.rain());
    if (this.entries.has(uuid)) return;
    if (!hasRainSource(this.home) && !this.cached.has(uuid)) return;
    this.ensure(uuid, { kind: 'rain' }, RAIN_NAME, this.api.hap.Categories.SENSOR, (a) => new RainHandler(this.deps, a), () => this.ensureRain());
  }

  /** Binds the cached accessory with this UUID, or creates one if the bridge has room. */
  private ensure(
    uuid: string,
    role: AccessoryRole,
    name: string,
    category: number,
    createHandler: (accessory: VeluxAccessory) => AccessoryHandler,
    retry: () => void,
  ): void {
    if (this.entries.has(uuid)) return;
    let accessory = this.cached.get(uuid);
    if (accessory) {
      this.cached.delete(uuid);
    } else {
      if (this.bridgeLimit.full) {
        this.bridgeLimit.leaveOut(uuid, name, retry);
        return;
      }
      accessory = new this.api.platformAccessory<AccessoryContext>(name, uuid, category);
      this.toRegister.push(accessory);
    }
    this.bridgeLimit.forget(uuid);
    accessory.context.role = role;
    const handler = createHandler(accessory);
    this.entries.set(uuid, { handler, role });
    handler.configure();
    if (!this.toRegister.includes(accessory)) this.persist(accessory);
  }

  /** Unbinds and unregisters an accessory (cached, bound or not yet registered). */
  private remove(uuid: string): void {
    this.bridgeLimit.forget(uuid);
    const entry = this.entries.get(uuid);
    const accessory = entry?.handler.accessory ?? this.cached.get(uuid);
    entry?.handler.dispose();
    this.entries.delete(uuid);
    this.cached.delete(uuid);
    if (!accessory) return;
    const waiting = this.toRegister.indexOf(accessory);
    if (waiting >= 0) this.toRegister.splice(waiting, 1);
    else {
      try {
        this.api.unregisterPlatformAccessories(this.pluginName, this.platformName, [accessory]);
      } catch (err) {
        // Only if it never made it onto the bridge (see flush): nothing left to remove.
        this.log.debug(`"${accessory.displayName}" was not on the bridge: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.bridgeLimit.retry();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
      this.bridgeLimit.scheduleLog();
    });
  }

  /** Registers new accessories with Homebridge in one batch. */
  private flush(): void {
    if (this.toRegister.length === 0) return;
    const batch = this.toRegister;
    this.toRegister = [];
    try {
      this.api.registerPlatformAccessories(this.pluginName, this.platformName, batch);
    } catch (err) {
      // HAP-NodeJS throws when the bridge is full, e.g. because other plugins share it.
      this.log.error(
        `Homebridge could not add ${batch.length} accessories (${err instanceof Error ? err.message : String(err)}). ` +
          `If other plugins share this bridge, run "${this.platformName}" as a child bridge ("_bridge") of its own.`,
      );
    }
  }

  private persist(accessory: VeluxAccessory): void {
    if (!this.toRegister.includes(accessory)) this.api.updatePlatformAccessories([accessory]);
  }

  // ---- lookups ------------------------------------------------------------------------------

  private uuid(seed: string): string {
    return this.uuids.get(seed);
  }

  private deviceUuid(device: HomeDevice): string {
    return this.uuid(device.uuidSeed);
  }

  private deviceHandler(device: HomeDevice): DeviceHandler | undefined {
    const entry = this.entries.get(this.deviceUuid(device));
    if (entry?.role.kind !== 'device' || entry.role.deviceKey !== device.key) return undefined;
    return entry.handler as DeviceHandler;
  }

  private *roles(): Iterable<[string, AccessoryRole]> {
    for (const [uuid, entry] of this.entries) yield [uuid, entry.role];
    for (const [uuid, accessory] of this.cached) if (accessory.context.role) yield [uuid, accessory.context.role];
  }

  private updateRole(kind: HomeWideRole): void {
    for (const entry of this.entries.values()) if (entry.role.kind === kind) entry.handler.update();
  }
}
