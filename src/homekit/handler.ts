/**
 * The per-accessory handler contract, and the base for accessories that stand for one
 * gateway device: identity, battery, reachability ("No Response") and commands.
 */
import type { SensorHistory } from '../history/sensor-history.js';
import type { API, PlatformAccessory, Service } from 'homebridge';
import type { DeviceCommand } from '../gateway/types.js';
import { LOW_BATTERY_PERCENT } from '../home/battery.js';
import type { Home, HomeDevice } from '../home/model.js';
import type { Logger } from '../logger.js';
import { Bindings } from './bindings.js';
import type { AccessoryContext } from './context.js';
import { sanitizeName, serialFromUuid } from '../home/names.js';
import { ensureService, removeOtherServices, setAccessoryInformation } from './services.js';

export interface HandlerDeps {
  api: API;
  log: Logger;
  home: Home;
  /** Where sensors' Eve history comes from (absent or disabled: no Eve history service). */
  sensorHistory?: SensorHistory;
}

export type VeluxAccessory = PlatformAccessory<AccessoryContext>;

/** Owns one accessory's services and keeps their characteristics in step with the home. */
export interface AccessoryHandler {
  readonly accessory: VeluxAccessory;
  /** (Re)build services, names and information from the home, then push all values. */
  configure(): void;
  /** Push the current values to HomeKit (only what changed; errors while unavailable). */
  update(): void;
  dispose(): void;
}

/** Battery service for any handler: level and low-battery status. */
export function bindBattery(api: API, accessory: VeluxAccessory, bindings: Bindings, name: string, level: () => number | undefined): Service {
  const { Service: S, Characteristic: C } = api.hap;
  const service = ensureService(api, accessory, S.Battery, sanitizeName(`${name} battery`));
  bindings.bind(service.getCharacteristic(C.BatteryLevel), () => {
    const value = level();
    return value === undefined ? undefined : clamp(Math.round(value), 0, 100);
  });
  bindings.bind(service.getCharacteristic(C.StatusLowBattery), () => {
    const value = level();
    if (value === undefined) return undefined;
    return value <= LOW_BATTERY_PERCENT ? C.StatusLowBattery.BATTERY_LEVEL_LOW : C.StatusLowBattery.BATTERY_LEVEL_NORMAL;
  });
  return service;
}

export abstract class DeviceHandler implements AccessoryHandler {
  protected readonly bindings: Bindings;

  constructor(
    protected readonly deps: HandlerDeps,
    readonly accessory: VeluxAccessory,
    readonly deviceKey: string,
  ) {
    this.bindings = new Bindings(deps.api, () => this.device?.reachable === true);
  }

  /** The device as the home knows it now; undefined once it is gone. */
  protected get device(): HomeDevice | undefined {
    return this.deps.home.device(this.deviceKey);
  }

  /** The accessory's name (sanitised device name). */
  get name(): string {
    const device = this.device;
    return device ? sanitizeName(device.descriptor.name, this.kindLabel) : this.accessory.displayName;
  }

  /** What to call this kind of device when it has no usable name, e.g. "Window". */
  protected abstract readonly kindLabel: string;

  /** Creates (or reuses) this kind's services and binds their characteristics. */
  protected abstract buildServices(device: HomeDevice, name: string): Service[];

  configure(): void {
    const device = this.device;
    if (!device) return;
    const name = this.name;
    setAccessoryInformation(this.deps.api, this.accessory, name, {
      model: device.descriptor.model ?? this.kindLabel,
      serial: device.descriptor.serial ?? serialFromUuid(this.accessory.UUID),
      firmware: device.descriptor.firmware ?? device.gatewayInfo?.firmware,
    });
    this.bindings.clear();
    const services = this.buildServices(device, name);
    if (device.descriptor.features.battery) {
      services.push(bindBattery(this.deps.api, this.accessory, this.bindings, name, () => this.device?.state.battery));
    }
    removeOtherServices(this.deps.api, this.accessory, services);
    this.update();
  }

  /** A new state message arrived for this device. */
  stateChanged(): void {
    this.update();
  }

  update(): void {
    this.bindings.refresh();
  }

  dispose(): void {
    this.bindings.clear();
  }

  /**
   * Sends a command through the home's command path and waits for the gateway's answer; a
   * failure becomes "No Response" in the Home app and one log line with the gateway's reason.
   */
  protected async send(command: DeviceCommand, what: string): Promise<void> {
    if (!this.device?.reachable) {
      this.deps.log.warn(`${this.name}: cannot ${what}: the device is not reachable (gateway offline, its link down or no state yet)`);
      throw this.bindings.noResponse();
    }
    const result = await this.deps.home.command(this.deviceKey, command, 'homekit');
    if (!result.ok) {
      this.deps.log.warn(`${this.name}: could not ${what}: ${result.message} (${result.error})`);
      throw this.bindings.noResponse();
    }
  }
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
