/**
 * Characteristic values computed from the home, with "No Response" built in: while the
 * source is unavailable (or a value is unknown), reads fail with a communication failure and
 * the cached value is marked as an error, so the Home app never shows a stale value as live.
 */
import type { API, Characteristic, CharacteristicValue, HapStatusError } from 'homebridge';

/** Computes a characteristic's value; undefined = unknown (answered as "No Response"). */
export type Read = () => CharacteristicValue | undefined;

interface Binding {
  characteristic: Characteristic;
  read: Read;
  /** What was last pushed with updateValue; NO_RESPONSE after an error, UNSET before anything. */
  last: CharacteristicValue | typeof NO_RESPONSE | typeof UNSET;
}

const NO_RESPONSE = Symbol('no response');
const UNSET = Symbol('unset');

export class Bindings {
  private readonly bindings: Binding[] = [];

  constructor(
    private readonly api: API,
    /** Whether the values are live (device reachable); checked on every read and refresh. */
    private readonly available: () => boolean,
  ) {}

  /** A HapStatusError HomeKit shows as "No Response". */
  noResponse(): HapStatusError {
    return new this.api.hap.HapStatusError(this.api.hap.HAPStatus.SERVICE_COMMUNICATION_FAILURE);
  }

  /** Binds a read-only view: GET answers from `read`, `refresh()` pushes changes. */
  bind(characteristic: Characteristic, read: Read): Characteristic {
    const binding: Binding = { characteristic, read, last: UNSET };
    characteristic.onGet(() => {
      const value = this.valueOf(binding);
      if (value === undefined) throw this.noResponse();
      return value;
    });
    this.bindings.push(binding);
    return characteristic;
  }

  /** Recomputes every bound value and pushes what changed (errors while unavailable). */
  refresh(): void {
    for (const binding of this.bindings) {
      const value = this.valueOf(binding);
      if (value === undefined) {
        if (binding.last === NO_RESPONSE) continue;
        binding.last = NO_RESPONSE;
        binding.characteristic.updateValue(this.noResponse());
        continue;
      }
      if (value === binding.last) continue;
      binding.last = value;
      binding.characteristic.updateValue(value);
    }
  }

  /** Forget the bindings (the handlers stay on the characteristics until replaced). */
  clear(): void {
    this.bindings.length = 0;
  }

  private valueOf(binding: Binding): CharacteristicValue | undefined {
    if (!this.available()) return undefined;
    return binding.read();
  }
}

/**
 * Marks every characteristic of a cached accessory as "No Response" until its device is
 * known again: Homebridge publishes cached accessories with their last values, which must not
 * look live.
 */
export function markUnavailable(api: API, services: Iterable<{ UUID: string; characteristics: Characteristic[] }>): void {
  const { Service, Characteristic: C, HapStatusError: StatusError, HAPStatus } = api.hap;
  const fail = () => {
    throw new StatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE);
  };
  for (const service of services) {
    if (service.UUID === Service.AccessoryInformation.UUID) continue;
    for (const characteristic of service.characteristics) {
      if (characteristic.UUID === C.Name.UUID || characteristic.UUID === C.ConfiguredName.UUID) continue;
      characteristic.onGet(fail);
      if (characteristic.props.perms.includes(api.hap.Perms.PAIRED_WRITE)) characteristic.onSet(fail);
      characteristic.updateValue(new StatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE));
    }
  }
}
