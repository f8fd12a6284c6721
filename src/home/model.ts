/**
 * The home as the plugin knows it: one source of truth for devices, rooms, departure mode,
 * last-known state with timestamps, reachability and per-room climate-control status.
 * Every command, whoever asks (HomeKit, Google, the climate algorithm, the CLI), goes through
 * `command()`, tagged with its source. Devices missing from their gateway's list wait out the
 * removal grace period in device-removal.ts.
 */
import { EventEmitter } from 'node:events';
import { Subscriptions } from '../events.js';
import type { Logger } from '../logger.js';
import {
  isCoverType,
  type CommandResult,
  type CommandSource,
  type DeviceCommand,
  type DeviceDescriptor,
  type DeviceState,
  type Gateway,
  type GatewayEvents,
  type GatewayInfo,
  type Weather,
} from '../gateway/types.js';
import { checkCommand } from './check-command.js';
import { CommandPath } from './command-path.js';
import { DepartureMode } from './departure-mode.js';
import { DeviceRemoval } from './device-removal.js';
import { HomeStateStore } from './home-state.js';
import { deviceIdentity, deviceKey, gatewayIdentity, type GatewayIdentity } from './identity.js';
import { RoomClimateStatuses } from './room-climate.js';

export interface HomeDevice {
  /** The device's stable key (identity.ts): Google's id, the climate memory's and the CLI's key. */
  readonly key: string;
  /** What HomeKit and Matter hash into the accessory UUID (identity.ts). */
  readonly uuidSeed: string;
  readonly gatewayKey: string;
  readonly id: string;
  /** The gateway's own id (its `info` event; falls back to the gateway key). */
  gatewayId: string;
  gatewayInfo?: GatewayInfo;
  descriptor: DeviceDescriptor;
  state: DeviceState;
  /** When the last valid state message arrived (ms, the home's clock); undefined = never. */
  stateUpdatedAt?: number;
  /** The device's own radio availability as the gateway reports it. */
  available: boolean;
  /** Commands can reach it and its state is live: gateway online, device available, state known, listed. */
  reachable: boolean;
  /**
   * Since when the device is missing from its gateway's device list (the home's clock), while
   * it is kept for the removal grace period; undefined while listed.
   */
  missingSince?: number;
}

export type ModeSource = CommandSource | 'gateway' | 'restore';

export interface RoomClimateStatus {
  /** The user's on/off for automatic control of this room. */
  enabled: boolean;
  /** Set by the climate controller while wanted automatic ventilation is blocked. */
  blocked?: { guard: string; detail: string; since: number };
  /** Set by the climate controller: weather guards that have no data for this room (e.g. no gateway reports weather). */
  guardsWithoutData?: string[];
}

export interface Room {
  name: string;
  devices: HomeDevice[];
  /** A room can be climate-controlled when it has a sensor and at least one window or cover. */
  climateCapable: boolean;
}

export interface HomeEvents {
  deviceAdded: [device: HomeDevice];
  deviceRemoved: [device: HomeDevice];
  /** Name, room or features changed in the gateway's device list. */
  deviceChanged: [device: HomeDevice];
  /** After a gateway's device list has been applied (adds/removes/changes done). */
  devicesChanged: [gatewayKey: string];
  state: [device: HomeDevice, previous: DeviceState];
  reachability: [device: HomeDevice];
  gatewayOnline: [gatewayKey: string, online: boolean];
  mode: [away: boolean, source: ModeSource];
  weather: [weather: Weather];
  roomClimate: [room: string, status: RoomClimateStatus];
  commandIssued: [device: HomeDevice, command: DeviceCommand, source: CommandSource];
  commandSettled: [device: HomeDevice, command: DeviceCommand, source: CommandSource, result: CommandResult];
}

/** What the home keeps across restarts (the caller decides where: see storage/). */
export interface PersistedHomeState {
  /** Departure mode of the virtual switch, used when no gateway has a departure switch. */
  virtualAway: boolean;
  /** Per-room climate control on/off set by the user (HomeKit switch, Google, CLI). */
  roomClimateEnabled: Record<string, boolean>;
  /**
   * The gateway id first used for each gateway key: accessory identities derive from it, so it
   * must not change when the gateway's `info` arrives late on one start and in time on the next.
   */
  gatewayIds?: Record<string, string>;
  /**
   * The device-key prefix of a gateway whose key changed (its transport settings changed) but which
   * reported the same id of its own: its devices keep their keys. Absent = the gateway key.
   */
  keyPrefixes?: Record<string, string>;
  /**
   * The devices the gateways listed (by device key), and since when each missing one is missing:
   * a device still missing at the next start stays (unreachable) for what is left of the grace
   * period instead of disappearing with the stale cache.
   */
  devices?: Record<string, PersistedDevice>;
}

export interface PersistedDevice {
  gatewayKey: string;
  descriptor: DeviceDescriptor;
  /** The home's clock when the device was first seen missing from its gateway's list. */
  missingSince?: number;
}

export interface HomeOptions {
  log: Logger;
  now?: () => number;
  persisted?: PersistedHomeState;
  persist?: (state: PersistedHomeState) => void;
  /** Default for rooms the user never switched (from the config). */
  roomClimateDefault?: (room: string) => boolean;
  /**
   * How long a device missing from its gateway's device list is kept (unreachable) before it
   * is removed; 0 (the default here) removes it at once. The platform passes the config's
   * `deviceRemovalGraceHours` (default 24 h: DEFAULT_REMOVAL_GRACE_MS). Gateways
   * report short lists while they restart; removing the accessory would make Apple Home
   * delete every automation and scene that used it.
   */
  removalGraceMs?: number;
}

export const DEFAULT_REMOVAL_GRACE_MS = 24 * 3600_000;

interface GatewayEntry {
  gateway: Gateway;
  /** Decided with the first device list (identity.ts). */
  identity?: GatewayIdentity;
  info?: GatewayInfo;
  weather?: Weather;
  /** This home's listeners on the gateway. */
  listeners: Subscriptions<GatewayEvents>;
}

export class Home extends EventEmitter<HomeEvents> {
  readonly now: () => number;
  private readonly log: Logger;
  private readonly gateways = new Map<string, GatewayEntry>();
  private readonly devicesByKey = new Map<string, HomeDevice>();
  private readonly commands: CommandPath;
  private readonly state: HomeStateStore;
  private readonly departure: DepartureMode;
  private readonly roomStatuses: RoomClimateStatuses;
  private readonly removal: DeviceRemoval;

  constructor(options: HomeOptions) {
    super();
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.state = new HomeStateStore(options.persisted, options.persist);
    this.commands = new CommandPath((device, command, source) => this.dispatch(device, command, source));
    const host = { log: this.log, now: this.now, state: this.state };
    const removalHost = {
      ...host,
      devices: this.devicesByKey,
      hasGateway: (key: string) => this.gateways.has(key),
      add: (device: HomeDevice) => {
        this.devicesByKey.set(device.key, device);
        this.emit('deviceAdded', device);
      },
      remove: (device: HomeDevice) => this.removeDevice(device),
      refreshReachability: (device: HomeDevice) => this.refreshReachability(device),
    };
    this.removal = new DeviceRemoval(removalHost, options.removalGraceMs ?? 0);
    this.departure = new DepartureMode({
      ...host,
      switches: () => this.departureSwitches(),
      command: (key, command, source) => this.command(key, command, source),
      changed: (away, source) => this.emit('mode', away, source),
    });
    this.roomStatuses = new RoomClimateStatuses({
      ...host,
      enabledByDefault: options.roomClimateDefault ?? (() => true),
      changed: (room, status) => this.emit('roomClimate', room, status),
    });
  }

  // ---- gateways -------------------------------------------------------------------------

  addGateway(gateway: Gateway): void {
    if (this.gateways.has(gateway.key)) throw new Error(`two gateways have the key "${gateway.key}"`);
    const entry: GatewayEntry = { gateway, listeners: new Subscriptions(gateway) };
    this.gateways.set(gateway.key, entry);
    const on = entry.listeners.on.bind(entry.listeners);
    on('online', (online) => {
      for (const d of this.devicesOf(gateway.key)) this.refreshReachability(d);
      this.emit('gatewayOnline', gateway.key, online);
      this.updateMode('gateway');
    });
    on('info', (info) => {
      entry.info = info;
      for (const d of this.devicesOf(gateway.key)) {
        d.gatewayInfo = info;
      }
    });
    on('devices', (list) => this.applyDevices(entry, list));
    on('state', (id, state) => this.applyState(entry, id, state));
    on('availability', (id, online) => {
      const d = this.deviceOf(entry, id);
      if (!d) return;
      d.available = online;
      this.refreshReachability(d);
    });
    on('weather', (w) => {
      entry.weather = w;
      this.emit('weather', this.weather ?? w);
    });
  }

  async start(): Promise<void> {
    await Promise.all([...this.gateways.values()].map((g) => g.gateway.start()));
  }

  async stop(): Promise<void> {
    this.removal.stop();
    this.commands.stop();
    await Promise.all(
      [...this.gateways.values()].map(async (g) => {
        g.listeners.clear();
        await g.gateway.stop();
      }),
    );
  }

  gatewayOnline(gatewayKey: string): boolean {
    return this.gateways.get(gatewayKey)?.gateway.online ?? false;
  }

  get gatewayKeys(): string[] {
    return [...this.gateways.keys()];
  }

  gatewayName(gatewayKey: string): string {
    return this.gateways.get(gatewayKey)?.gateway.name ?? gatewayKey;
  }

  /** Outdoor weather from the first gateway that reports it. */
  get weather(): Weather | undefined {
    for (const g of this.gateways.values()) if (g.weather) return g.weather;
    return undefined;
  }

  // ---- devices and rooms ----------------------------------------------------------------

  devices(): HomeDevice[] {
    return [...this.devicesByKey.values()];
  }

  device(key: string): HomeDevice | undefined {
    return this.devicesByKey.get(key);
  }

  devicesOf(gatewayKey: string): HomeDevice[] {
    return this.devices().filter((d) => d.gatewayKey === gatewayKey);
  }

  rooms(): Room[] {
    const byName = new Map<string, HomeDevice[]>();
    for (const d of this.devicesByKey.values()) {
      const room = d.descriptor.room?.trim();
      if (!room) continue;
      const list = byName.get(room) ?? [];
      list.push(d);
      byName.set(room, list);
    }
    return [...byName.entries()].map(([name, devices]) => ({
      name,
      devices,
      climateCapable: devices.some((d) => d.descriptor.type === 'sensor') && devices.some((d) => isCoverType(d.descriptor.type)),
    }));
  }

  private applyDevices(entry: GatewayEntry, list: DeviceDescriptor[]): void {
    const gatewayKey = entry.gateway.key;
    const seen = new Set<string>();
    const identity = (entry.identity ??= this.gatewayIdentity(gatewayKey, entry.info));
    const gatewayId = identity.gatewayId;
    for (const descriptor of list) {
      const { key, uuidSeed } = deviceIdentity(identity, descriptor.id);
      seen.add(key);
      const existing = this.devicesByKey.get(key);
      if (!existing) {
        const device: HomeDevice = {
          key,
          uuidSeed,
          gatewayKey,
          id: descriptor.id,
          gatewayId,
          gatewayInfo: entry.info,
          descriptor,
          state: {},
          available: true,
          reachable: false,
        };
        this.devicesByKey.set(key, device);
        this.emit('deviceAdded', device);
        continue;
      }
      if (existing.descriptor.type !== descriptor.type) {
        // A device that changes kind is a different accessory: remove and add again.
        this.removeDevice(existing);
        const device: HomeDevice = { ...existing, descriptor, state: {}, stateUpdatedAt: undefined, reachable: false };
        this.devicesByKey.set(key, device);
        this.emit('deviceAdded', device);
        continue;
      }
      if (existing.missingSince !== undefined) this.removal.foundAgain(existing);
      if (JSON.stringify(existing.descriptor) !== JSON.stringify(descriptor)) {
        existing.descriptor = descriptor;
        this.emit('deviceChanged', existing);
      }
    }
    this.removal.restoreOnce(gatewayKey, entry.info, identity, seen);
    for (const d of this.devicesOf(gatewayKey)) if (!seen.has(d.key)) this.removal.missing(d);
    this.removal.save();
    this.emit('devicesChanged', gatewayKey);
    this.updateMode('gateway');
  }

  /** The gateway's record for device identities (identity.ts): kept from the first start on. */
  private gatewayIdentity(gatewayKey: string, info: GatewayInfo | undefined): GatewayIdentity {
    const { identity, records, earlier } = gatewayIdentity(this.state.current, gatewayKey, info?.id, (key) => this.gateways.has(key));
    if (earlier !== undefined) {
      this.log.info(
        `${this.gatewayName(gatewayKey)}: recognised as the gateway formerly at "${earlier}" (same id "${identity.gatewayId}"); its devices keep their identities`,
      );
    }
    if (records) this.state.update(records);
    return identity;
  }

  private deviceOf(entry: GatewayEntry, deviceId: string): HomeDevice | undefined {
    return entry.identity ? this.devicesByKey.get(deviceKey(entry.identity.keyPrefix, deviceId)) : undefined;
  }

  /** Removes every device that is missing from its gateway's list now, without waiting (number removed). */
  pruneMissing(): number {
    return this.removal.pruneMissing();
  }

  private removeDevice(device: HomeDevice): void {
    this.devicesByKey.delete(device.key);
    this.commands.forget(device.key, {
      ok: false,
      error: 'unknown_device',
      message: `${device.descriptor.name} was removed from the gateway`,
    });
    this.emit('deviceRemoved', device);
  }

  private applyState(entry: GatewayEntry, id: string, state: DeviceState): void {
    const device = this.deviceOf(entry, id);
    if (!device) return; // state for a device the gateway has not (yet) listed
    const previous = device.state;
    device.state = state;
    device.stateUpdatedAt = this.now();
    this.refreshReachability(device);
    this.emit('state', device, previous);
    if (device.descriptor.type === 'departure_switch' && state.away !== previous.away) this.updateMode('gateway');
  }

  private refreshReachability(device: HomeDevice): void {
    const reachable = this.gatewayOnline(device.gatewayKey) && device.available && device.stateUpdatedAt !== undefined && device.missingSince === undefined;
    if (reachable === device.reachable) return;
    device.reachable = reachable;
    this.emit('reachability', device);
  }

  // ---- commands -------------------------------------------------------------------------

  /**
   * The one command path. Commands to one device are serialised, latest wins: a command
   * that arrives while another is in flight replaces any that is still waiting, and the
   * replaced one's caller gets the answer of the command that replaced it.
   */
  command(key: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    const device = this.devicesByKey.get(key);
    if (!device) return Promise.resolve({ ok: false, error: 'unknown_device', message: `no device "${key}"` });
    const problem = checkCommand(device.descriptor.type, command);
    if (problem) return Promise.resolve({ ok: false, error: 'invalid', message: `${device.descriptor.name}: ${problem}` });
    const normalised: DeviceCommand = 'position' in command ? { ...command, position: Math.round(command.position) } : command;
    this.emit('commandIssued', device, normalised, source);
    return this.commands.submit(device, normalised, source).then((result) => {
      this.emit('commandSettled', device, normalised, source, result);
      return result;
    });
  }

  /** Asks the device's gateway to make it show itself (Identify), if the transport can. */
  identify(key: string): Promise<CommandResult> {
    const device = this.devicesByKey.get(key);
    if (!device) return Promise.resolve({ ok: false, error: 'unknown_device', message: `no device "${key}"` });
    const gateway = this.gateways.get(device.gatewayKey)?.gateway;
    if (!gateway?.identify) return Promise.resolve({ ok: false, error: 'invalid', message: `${device.descriptor.name} cannot identify itself` });
    return gateway.identify(device.id);
  }

  private dispatch(device: HomeDevice, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    const entry = this.gateways.get(device.gatewayKey);
    if (!this.devicesByKey.has(device.key) || !entry) {
      return Promise.resolve({ ok: false, error: 'unknown_device', message: `${device.descriptor.name} is no longer known` });
    }
    if (!entry.gateway.online) {
      return Promise.resolve({ ok: false, error: 'gateway_offline', message: `${entry.gateway.name} is offline; nothing was sent` });
    }
    if (!device.available) {
      return Promise.resolve({ ok: false, error: 'unreachable', message: `${device.descriptor.name} is out of radio reach` });
    }
    return entry.gateway.send(device.id, command, source);
  }

  // ---- departure mode -------------------------------------------------------------------

  /** Departure switches reported by gateways; when there are none, a virtual one is used. */
  departureSwitches(): HomeDevice[] {
    return this.devices().filter((d) => d.descriptor.type === 'departure_switch');
  }

  get hasPhysicalDepartureSwitch(): boolean {
    return this.departureSwitches().length > 0;
  }

  /** Away (departure mode) is on when any departure switch says so, or the virtual one. */
  get away(): boolean {
    return this.departure.away;
  }

  /** Sets departure mode: through the gateway's switch(es) if there are any, else the virtual one. */
  setAway(away: boolean, source: CommandSource): Promise<CommandResult> {
    return this.departure.set(away, source);
  }

  private updateMode(source: ModeSource): void {
    this.departure.update(source);
  }

  // ---- per-room climate control status ---------------------------------------------------

  roomClimate(room: string): RoomClimateStatus {
    return this.roomStatuses.status(room);
  }

  setRoomClimateEnabled(room: string, enabled: boolean, source: CommandSource): void {
    this.roomStatuses.setEnabled(room, enabled, source);
  }

  /** Called by the climate controller; undefined clears the block. */
  setRoomVentilationBlocked(room: string, blocked: { guard: string; detail: string } | undefined): void {
    this.roomStatuses.setBlocked(room, blocked);
  }

  /** Called by the climate controller: the weather guards without data for a room (empty: all have data). */
  setRoomGuardsWithoutData(room: string, guards: readonly string[]): void {
    this.roomStatuses.setGuardsWithoutData(room, guards);
  }

  get persistedState(): PersistedHomeState {
    return this.state.snapshot();
  }
}
