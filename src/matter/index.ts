/**
 * Matter publishing: the third mapping of the home beside HomeKit and Google. Used only when
 * Homebridge offers `api.matter` and Matter is enabled for this bridge (Homebridge 2); on
 * Homebridge 1.8 the platform never constructs it.
 *
 * - One bridged Matter accessory per device (MATTER_KINDS), plus home-wide ones: departure mode
 *   (when no gateway has a departure switch) and each climate-capable room's climate control.
 * - State follows the home's events; an unreachable device or offline gateway is `reachable =
 *   false` on its bridged node.
 * - Homebridge registers accessories asynchronously: updates wait until an accessory is live.
 */
import type { API, MatterAPI } from 'homebridge';
import { Subscriptions } from '../events.js';
import type { Home, HomeDevice, HomeEvents } from '../home/model.js';
import type { Logger } from '../logger.js';
import { sanitizeName, serialFromUuid } from '../home/names.js';
import { uuidSeed } from '../home/identity.js';
import { departureHandlers, MATTER_KINDS, MatterCommandError, withBattery, type ClusterUpdate, type KindContext, type MatterShape } from './kinds.js';

export const MANUFACTURER = 'VELUX';
export const DEPARTURE_MODE_NAME = 'Departure mode';
/** How long to wait for Homebridge to finish registering an accessory before giving up on it. */
const REGISTER_TIMEOUT_MS = 60_000;
const REGISTER_POLL_MS = 20;

type MatterAccessory = Parameters<MatterAPI['registerPlatformAccessories']>[2][number];

export interface MatterPublisherOptions {
  api: API;
  log: Logger;
  home: Home;
  pluginName: string;
  platformName: string;
}

/** Whether this Homebridge offers Matter and has it enabled for the bridge running this platform. */
export function matterAvailable(api: API): boolean {
  const enabled = (api as Partial<Pick<API, 'isMatterEnabled'>>).isMatterEnabled;
  return api.matter !== undefined && typeof enabled === 'function' && enabled.call(api) === true;
}

type Role = { kind: 'device'; key: string } | { kind: 'departure-mode' } | { kind: 'room'; room: string };

interface Entry {
  uuid: string;
  role: Role;
  accessory: MatterAccessory;
  ready: boolean;
  /** Updates that arrived before Homebridge finished registering: a full sync follows. */
  dirty: boolean;
}

export class MatterPublisher {
  private readonly matter: MatterAPI;
  private readonly log: Logger;
  private readonly home: Home;
  private readonly ctx: KindContext;
  private readonly entries = new Map<string, Entry>();
  /** Accessories Homebridge restored from its Matter cache; unregistered if nothing claims them. */
  private readonly cached = new Set<string>();
  private readonly listed = new Set<string>();
  private readonly listeners: Subscriptions<HomeEvents>;
  private stopped = false;

  constructor(private readonly options: MatterPublisherOptions) {
    if (!options.api.matter) throw new Error('Matter is not available in this Homebridge');
    this.matter = options.api.matter;
    this.log = options.log;
    this.home = options.home;
    this.ctx = { matter: this.matter, home: this.home, log: this.log };
    this.listeners = new Subscriptions(this.home);
  }

  /** Homebridge hands over each cached Matter accessory before `didFinishLaunching`. */
  configureMatterAccessory(accessory: MatterAccessory): void {
    this.cached.add(accessory.UUID);
  }

  start(): void {
    this.subscribe();
    for (const device of this.home.devices()) this.addDevice(device);
    for (const key of this.home.gatewayKeys) if (this.home.devicesOf(key).length > 0) this.listed.add(key);
    this.syncHomeWide();
  }

  stop(): void {
    this.stopped = true;
    this.listeners.clear();
  }

  /** Names of the accessories published on Matter (for logs and tests). */
  get names(): string[] {
    return [...this.entries.values()].map((e) => e.accessory.displayName);
  }

  private subscribe(): void {
    const on = this.listeners.on.bind(this.listeners);
    on('deviceAdded', (device) => this.addDevice(device));
    on('deviceRemoved', (device) => this.remove(this.deviceUuid(device)));
    on('deviceChanged', (device) => {
      // Name, room or features changed: publish it again with the new shape.
      const uuid = this.deviceUuid(device);
      if (!this.entries.has(uuid)) return;
      void this.unregister(uuid).then(() => this.addDevice(device));
    });
    on('devicesChanged', (gatewayKey) => {
      this.listed.add(gatewayKey);
      this.syncHomeWide();
    });
    on('state', (device) => this.pushDevice(device));
    on('reachability', (device) => this.push(this.deviceUuid(device), [this.reachableUpdate(device.reachable)]));
    on('mode', (away) => {
      for (const entry of this.entries.values()) {
        if (entry.role.kind === 'departure-mode' || (entry.role.kind === 'device' && this.home.device(entry.role.key)?.descriptor.type === 'departure_switch')) {
          this.push(entry.uuid, [{ cluster: 'onOff', attributes: { onOff: away } }]);
        }
      }
    });
    on('roomClimate', (room, status) => this.push(this.uuid(uuidSeed.room(room)), [{ cluster: 'onOff', attributes: { onOff: status.enabled } }]));
  }

  // ---- identities ---------------------------------------------------------------------------

  private uuid(seed: string): string {
    // A prefix of its own: Matter and HomeKit identities never collide.
    return this.matter.uuid.generate(`matter:${seed}`);
  }

  private deviceUuid(device: HomeDevice): string {
    return this.uuid(device.uuidSeed);
  }

  // ---- accessories ----------------------------------------------------------------------------

  private addDevice(device: HomeDevice): void {
    const uuid = this.deviceUuid(device);
    if (this.entries.has(uuid)) return;
    const kind = MATTER_KINDS[device.descriptor.type];
    const shape = kind.shape(this.ctx, device);
    const name = sanitizeName(device.descriptor.name, kind.model);
    const accessory = this.accessory(uuid, name, kind.model, { ...shape, deviceType: withBattery(this.matter, device, shape.deviceType) }, {
      serial: device.descriptor.serial,
      firmware: device.descriptor.firmware,
      model: device.descriptor.model,
    });
    this.register({ uuid, role: { kind: 'device', key: device.key }, accessory, ready: false, dirty: false });
  }

  /** Virtual departure mode and room climate switches, as the home is now. */
  private syncHomeWide(): void {
    if (this.stopped) return;
    const allListed = this.home.gatewayKeys.every((k) => this.listed.has(k));
    const departureUuid = this.uuid(uuidSeed.departureMode());
    if (this.home.hasPhysicalDepartureSwitch) this.remove(departureUuid);
    else if (allListed && !this.entries.has(departureUuid)) {
      const shape: MatterShape = {
        deviceType: this.matter.deviceTypes.OnOffOutlet,
        clusters: { onOff: { onOff: this.home.away } },
        handlers: departureHandlers(this.ctx),
      };
      this.register({
        uuid: departureUuid,
        role: { kind: 'departure-mode' },
        accessory: this.accessory(departureUuid, DEPARTURE_MODE_NAME, 'Virtual departure switch', shape),
        ready: false,
        dirty: false,
      });
    }
    const rooms = new Set(this.home.rooms().filter((r) => r.climateCapable).map((r) => r.name));
    for (const room of rooms) this.ensureRoom(room);
    if (allListed) {
      for (const entry of [...this.entries.values()]) if (entry.role.kind === 'room' && !rooms.has(entry.role.room)) this.remove(entry.uuid);
      // Cached accessories nothing claimed after every gateway listed its devices: gone for good.
      for (const uuid of [...this.cached]) if (!this.entries.has(uuid)) void this.unregister(uuid);
      this.cached.clear();
    }
  }

  private ensureRoom(room: string): void {
    const uuid = this.uuid(uuidSeed.room(room));
    if (this.entries.has(uuid)) return;
    const set = async (enabled: boolean) => {
      this.home.setRoomClimateEnabled(room, enabled, 'matter');
    };
    const shape: MatterShape = {
      deviceType: this.matter.deviceTypes.OnOffOutlet,
      clusters: { onOff: { onOff: this.home.roomClimate(room).enabled } },
      handlers: { onOff: { on: () => set(true), off: () => set(false), toggle: () => set(!this.home.roomClimate(room).enabled) } },
    };
    const name = sanitizeName(`${room} climate control`, 'Climate control');
    this.register({ uuid, role: { kind: 'room', room }, accessory: this.accessory(uuid, name, 'Room climate control', shape), ready: false, dirty: false });
  }

  private accessory(
    uuid: string,
    displayName: string,
    model: string,
    shape: MatterShape,
    info: { serial?: string; firmware?: string; model?: string } = {},
  ): MatterAccessory {
    return {
      UUID: uuid,
      displayName,
      deviceType: shape.deviceType,
      serialNumber: (info.serial?.trim() || serialFromUuid(uuid)).slice(0, 32),
      manufacturer: MANUFACTURER,
      model: (info.model?.trim() || model).slice(0, 32),
      ...(info.firmware ? { softwareVersion: info.firmware.slice(0, 64) } : {}),
      context: {},
      clusters: shape.clusters,
      handlers: shape.handlers as MatterAccessory['handlers'],
      parts: shape.parts as MatterAccessory['parts'],
    };
  }

  private register(entry: Entry): void {
    this.entries.set(entry.uuid, entry);
    this.cached.delete(entry.uuid);
    const { pluginName, platformName } = this.options;
    this.matter.registerPlatformAccessories(pluginName, platformName, [entry.accessory]).catch((err: unknown) => {
      this.log.error(`Matter: could not publish "${entry.accessory.displayName}": ${message(err)}`);
    });
    void this.whenRegistered(entry).then((ok) => {
      if (!ok || this.entries.get(entry.uuid) !== entry) return;
      entry.ready = true;
      this.syncEntry(entry);
    });
  }

  /** Homebridge registers in the background: poll until the endpoint answers. */
  private async whenRegistered(entry: Entry): Promise<boolean> {
    const deadline = Date.now() + REGISTER_TIMEOUT_MS;
    while (!this.stopped && this.entries.get(entry.uuid) === entry) {
      const state = await this.matter.getAccessoryState(entry.uuid, 'bridgedDeviceBasicInformation').catch(() => undefined);
      if (state) return true;
      if (Date.now() > deadline) {
        this.log.warn(`Matter: "${entry.accessory.displayName}" was not published within ${REGISTER_TIMEOUT_MS / 1000} s`);
        return false;
      }
      await new Promise((r) => setTimeout(r, REGISTER_POLL_MS));
    }
    return false;
  }

  private remove(uuid: string): void {
    if (!this.entries.has(uuid)) return;
    void this.unregister(uuid);
  }

  private async unregister(uuid: string): Promise<void> {
    const entry = this.entries.get(uuid);
    this.entries.delete(uuid);
    const accessory = entry?.accessory ?? ({ UUID: uuid } as MatterAccessory);
    try {
      await this.matter.unregisterPlatformAccessories(this.options.pluginName, this.options.platformName, [accessory]);
    } catch (err) {
      this.log.warn(`Matter: could not remove "${accessory.displayName ?? uuid}": ${message(err)}`);
    }
  }

  // ---- state ----------------------------------------------------------------------------------

  private reachableUpdate(reachable: boolean): ClusterUpdate {
    return { cluster: 'bridgedDeviceBasicInformation', attributes: { reachable } };
  }

  /** Everything an accessory shows, from the home as it is now. */
  private syncEntry(entry: Entry): void {
    entry.dirty = false;
    const role = entry.role;
    if (role.kind === 'device') {
      const device = this.home.device(role.key);
      if (!device) return;
      const updates = [this.reachableUpdate(device.reachable), ...MATTER_KINDS[device.descriptor.type].state(device)];
      if (device.descriptor.type === 'departure_switch') updates.push({ cluster: 'onOff', attributes: { onOff: this.home.away } });
      this.send(entry, updates);
    } else if (role.kind === 'departure-mode') {
      this.send(entry, [this.reachableUpdate(true), { cluster: 'onOff', attributes: { onOff: this.home.away } }]);
    } else {
      this.send(entry, [this.reachableUpdate(true), { cluster: 'onOff', attributes: { onOff: this.home.roomClimate(role.room).enabled } }]);
    }
  }

  private pushDevice(device: HomeDevice): void {
    this.push(this.deviceUuid(device), MATTER_KINDS[device.descriptor.type].state(device));
  }

  private push(uuid: string, updates: ClusterUpdate[]): void {
    const entry = this.entries.get(uuid);
    if (!entry) return;
    if (!entry.ready) {
      entry.dirty = true;
      return;
    }
    this.send(entry, updates);
  }

  private send(entry: Entry, updates: ClusterUpdate[]): void {
    if (this.stopped) return;
    for (const u of updates) {
      this.matter.updateAccessoryState(entry.uuid, u.cluster, u.attributes, u.partId).catch((err: unknown) => {
        this.log.debug(`Matter: update of ${u.cluster} on "${entry.accessory.displayName}" failed: ${message(err)}`);
      });
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export { MatterCommandError };
