/**
 * The removal grace period of the home (model.ts): a device its gateway leaves out of the
 * device list is kept, unreachable, for `graceMs` before it is removed (gateways report short
 * lists while they restart; removing the accessory would make Apple Home delete every
 * automation and scene that used it). The listed devices and since when each missing one is
 * missing are kept in the home state, so the grace period runs on across restarts.
 */
import type { GatewayInfo } from '../gateway/types.js';
import type { Logger } from '../logger.js';
import type { HomeStateStore } from './home-state.js';
import { deviceIdentity, type GatewayIdentity } from './identity.js';
import type { HomeDevice, PersistedDevice } from './model.js';

/** setTimeout fires at once above this (about 24.8 days); a longer grace waits in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeviceRemovalHost {
  log: Logger;
  now: () => number;
  state: HomeStateStore;
  /** The home's devices by key. */
  devices: ReadonlyMap<string, HomeDevice>;
  hasGateway: (gatewayKey: string) => boolean;
  /** Adds a device brought back from the home state. */
  add: (device: HomeDevice) => void;
  remove: (device: HomeDevice) => void;
  refreshReachability: (device: HomeDevice) => void;
}

export class DeviceRemoval {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Gateways whose persisted devices were brought back (their first list this run). */
  private readonly restoredGateways = new Set<string>();

  constructor(
    private readonly host: DeviceRemovalHost,
    private readonly graceMs: number,
  ) {}

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** A device left out of its gateway's list: unreachable now, removed after the grace period. */
  missing(device: HomeDevice): void {
    if (this.graceMs <= 0) return this.host.remove(device);
    if (this.timers.has(device.key)) return;
    if (device.missingSince === undefined) {
      device.missingSince = this.host.now();
      this.host.refreshReachability(device);
      const hours = this.graceMs / 3600_000;
      this.host.log.warn(
        `${device.descriptor.name} (${device.key}) is missing from the gateway's device list; shown as unreachable, ` +
          `removed if it is still missing after ${Number.isInteger(hours) ? hours : hours.toFixed(2)} h (deviceRemovalGraceHours)`,
      );
    }
    this.scheduleRemoval(device);
  }

  foundAgain(device: HomeDevice): void {
    const since = device.missingSince ?? this.host.now();
    device.missingSince = undefined;
    this.cancel(device);
    this.host.log.info(`${device.descriptor.name} (${device.key}) is listed by the gateway again after ${Math.round((this.host.now() - since) / 1000)} s; kept`);
    this.host.refreshReachability(device);
  }

  /** Removes every device that is missing from its gateway's list now, without waiting (number removed). */
  pruneMissing(): number {
    const missing = [...this.host.devices.values()].filter((d) => d.missingSince !== undefined);
    for (const device of missing) {
      this.cancel(device);
      this.host.remove(device);
    }
    if (missing.length > 0) this.save();
    return missing.length;
  }

  /**
   * At a gateway's first list of this run: the devices it listed before (home state) that it
   * leaves out now come back as missing since they were first missing (or since now, if they
   * vanished while Homebridge was stopped), so their accessories stay as No Response.
   */
  restoreOnce(gatewayKey: string, info: GatewayInfo | undefined, identity: GatewayIdentity, seen: ReadonlySet<string>): void {
    if (this.restoredGateways.has(gatewayKey)) return;
    this.restoredGateways.add(gatewayKey);
    if (this.graceMs <= 0) return;
    for (const [key, record] of Object.entries(this.host.state.current.devices ?? {})) {
      if (record.gatewayKey !== gatewayKey || seen.has(key) || this.host.devices.has(key)) continue;
      const { key: derived, uuidSeed } = deviceIdentity(identity, record.descriptor.id);
      if (derived !== key) continue;
      const missingSince = record.missingSince ?? this.host.now();
      this.host.add({
        key,
        uuidSeed,
        gatewayKey,
        id: record.descriptor.id,
        gatewayId: identity.gatewayId,
        gatewayInfo: info,
        descriptor: record.descriptor,
        state: {},
        available: true,
        reachable: false,
        missingSince,
      });
      this.host.log.warn(
        `${record.descriptor.name} (${key}) is still missing from the gateway's device list (since ${new Date(missingSince).toISOString()}); ` +
          `shown as unreachable until ${new Date(missingSince + this.graceMs).toISOString()} (deviceRemovalGraceHours)`,
      );
    }
  }

  /** Writes the devices as they are now to the home state (gateways not listed yet this run keep their records). */
  save(): void {
    const { state } = this.host;
    const records: Record<string, PersistedDevice> = {};
    for (const [key, record] of Object.entries(state.current.devices ?? {})) {
      if (!this.restoredGateways.has(record.gatewayKey) && this.host.hasGateway(record.gatewayKey)) records[key] = record;
    }
    for (const d of this.host.devices.values()) {
      records[d.key] = { gatewayKey: d.gatewayKey, descriptor: d.descriptor, ...(d.missingSince !== undefined ? { missingSince: d.missingSince } : {}) };
    }
    if (JSON.stringify(records) !== JSON.stringify(state.current.devices ?? {})) state.update({ devices: records });
  }

  /** Removes a missing device when its grace period (counted from when it was first missing) is over. */
  private scheduleRemoval(device: HomeDevice): void {
    const due = (device.missingSince ?? this.host.now()) + this.graceMs;
    const wait = due - this.host.now();
    if (wait <= 0) {
      this.timers.delete(device.key);
      if (this.host.devices.get(device.key) !== device || device.missingSince === undefined) return;
      this.host.log.info(`${device.descriptor.name} (${device.key}) stayed missing from the gateway's device list; removed`);
      this.host.remove(device);
      this.save();
      return;
    }
    const timer = setTimeout(() => this.scheduleRemoval(device), Math.min(wait, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(device.key, timer);
  }

  private cancel(device: HomeDevice): void {
    clearTimeout(this.timers.get(device.key));
    this.timers.delete(device.key);
  }
}
