/**
 * One entry per device kind: what a home device becomes in HomeKit (accessory category and
 * handler) and which home-wide accessories also show part of its state. Adding a device kind
 * does not compile until it has an entry here.
 */
import type { API } from 'homebridge';
import type { DeviceType } from '../gateway/types.js';
import { coverKind } from './cover.js';
import { DepartureSwitchHandler } from './departure.js';
import type { DeviceHandler, HandlerDeps, VeluxAccessory } from './handler.js';
import { SensorHandler } from './sensor.js';

/** Home-wide accessories that show something of a device's state. */
export type HomeWideRole = 'rain' | 'departure-mode';

export interface KindOptions {
  /** CO2 ppm at which a room's CarbonDioxideSensor reports "detected". */
  co2Limit: (room: string) => number;
}

export interface HomeKitKind {
  /** The accessory category (HAP's Categories is a const enum: read through the API). */
  category(hap: API['hap']): number;
  create(deps: HandlerDeps, accessory: VeluxAccessory, deviceKey: string, options: KindOptions): DeviceHandler;
  /** Home-wide accessories to update when a device of this kind reports a state. */
  updatesOnState: readonly HomeWideRole[];
  /** Home-wide accessories to update when its reachability changes. */
  updatesOnReachability: readonly HomeWideRole[];
}

export const HOMEKIT_KINDS: Record<DeviceType, HomeKitKind> = {
  window: coverKind('window'),
  blind: coverKind('blind'),
  shutter: coverKind('shutter'),
  awning: coverKind('awning'),
  sensor: {
    category: (hap) => hap.Categories.SENSOR,
    create: (deps, accessory, deviceKey, options) => new SensorHandler(deps, accessory, deviceKey, options.co2Limit),
    updatesOnState: [],
    updatesOnReachability: [],
  },
  departure_switch: {
    category: (hap) => hap.Categories.SWITCH,
    create: (deps, accessory, deviceKey) => new DepartureSwitchHandler(deps, accessory, deviceKey),
    // The home-wide departure accessory (virtual switch) follows a physical switch's state.
    updatesOnState: ['departure-mode'],
    updatesOnReachability: [],
  },
};
