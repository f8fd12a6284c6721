/**
 * What each accessory remembers in Homebridge's accessory cache (`accessory.context`), so a
 * cached accessory can be matched to its device, room or home-wide role after a restart.
 */
import type { DeviceType } from '../gateway/types.js';

export type AccessoryRole =
  | { kind: 'device'; gatewayKey: string; deviceKey: string; type: DeviceType }
  | { kind: 'departure-mode' }
  | { kind: 'rain' }
  | { kind: 'room'; room: string };

export interface AccessoryContext {
  role?: AccessoryRole;
  /** The names we gave each service (by service UUID), to tell them from the user's own. */
  defaultNames?: Record<string, string>;
}
