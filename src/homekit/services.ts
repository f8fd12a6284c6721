/**
 * Shared service plumbing: accessory information, services created once and reused from the
 * cache, names the user may override in the Home app, and removal of services a device no
 * longer has.
 */
import type { API, PlatformAccessory, Service, WithUUID } from 'homebridge';
import { firmwareRevision, sanitizeName } from '../home/names.js';
import type { AccessoryContext } from './context.js';

/** A concrete HAP service class such as `Service.Window`. */
export type ServiceType = WithUUID<new (displayName?: string, subtype?: string) => Service>;

export interface AccessoryInfo {
  model: string;
  serial: string;
  firmware?: string;
}

export function setAccessoryInformation(api: API, accessory: PlatformAccessory, name: string, info: AccessoryInfo): void {
  const { Service: S, Characteristic: C } = api.hap;
  const service = accessory.getService(S.AccessoryInformation) ?? accessory.addService(S.AccessoryInformation);
  service.updateCharacteristic(C.Manufacturer, 'VELUX');
  service.updateCharacteristic(C.Model, sanitizeName(info.model, 'VELUX'));
  service.updateCharacteristic(C.SerialNumber, info.serial);
  service.updateCharacteristic(C.Name, name);
  const firmware = firmwareRevision(info.firmware);
  if (firmware) service.updateCharacteristic(C.FirmwareRevision, firmware);
  if (accessory.displayName !== name) accessory.updateDisplayName(name);
}

/**
 * The accessory's service of `type`, created if missing, named `name`.
 * `ConfiguredName` is what the Home app shows and what the user edits there: it follows our
 * name only as long as the user has not renamed the service.
 */
export function ensureService(api: API, accessory: PlatformAccessory<AccessoryContext>, type: ServiceType, name: string): Service {
  const { Characteristic: C } = api.hap;
  // One service per type on our accessories, so the type alone finds it again in the cache.
  const service = accessory.services.find((s) => s.UUID === type.UUID) ?? accessory.addService(new type(name));
  service.updateCharacteristic(C.Name, name);
  const key = type.UUID;
  const defaults = (accessory.context.defaultNames ??= {});
  const previousDefault = defaults[key];
  if (!service.testCharacteristic(C.ConfiguredName)) {
    service.addOptionalCharacteristic(C.ConfiguredName);
    service.getCharacteristic(C.ConfiguredName).updateValue(name);
  } else {
    const current = service.getCharacteristic(C.ConfiguredName).value;
    if (current === previousDefault || current === '' || current === null) service.updateCharacteristic(C.ConfiguredName, name);
  }
  defaults[key] = name;
  return service;
}

/** Removes every service except the accessory information and `keep`. */
export function removeOtherServices(api: API, accessory: PlatformAccessory<AccessoryContext>, keep: readonly Service[]): void {
  const defaults = accessory.context.defaultNames ?? {};
  for (const service of [...accessory.services]) {
    if (service.UUID === api.hap.Service.AccessoryInformation.UUID || keep.includes(service)) continue;
    accessory.removeService(service);
    delete defaults[service.UUID];
  }
}
