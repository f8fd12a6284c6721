/**
 * Pure helpers of the simulated home (home.ts): what a sensor reads from its room's climate (with
 * seeded noise), when a change is notable enough to report at once, and small state helpers.
 */
import type { DeviceDescriptor, DeviceState } from '../gateway/types.js';
import type { RoomClimate } from './climate.js';
import { jitter, type Random } from './random.js';

/** Changes that are reported at once instead of waiting for the routine sensor interval. */
export const NOTABLE = { temperature: 0.5, humidity: 5, co2: 100 } as const;

/** A sensor's reading of its room: `measures` picks the values, `lux` is the room's light before noise. */
export function sensorReading(measures: readonly string[], climate: RoomClimate, lux: number, random: Random): DeviceState {
  const reading: DeviceState = {};
  if (measures.includes('temperature')) reading.temperature = round(climate.temperature + jitter(random, 0.05), 1);
  if (measures.includes('humidity')) {
    reading.humidity = Math.round(Math.min(100, Math.max(0, climate.humidity + jitter(random, 0.4))));
  }
  if (measures.includes('co2')) reading.co2 = Math.max(0, Math.round(climate.co2 + jitter(random, 4)));
  if (measures.includes('lux')) reading.lux = Math.max(0, Math.round(lux * (1 + jitter(random, 0.02))));
  return reading;
}

/** Devices without a room name get a room of their own, so every sensor has a climate. */
export function roomKey(descriptor: DeviceDescriptor): string {
  return descriptor.room ?? `#${descriptor.id}`;
}

export function changedNotably(before: DeviceState, after: DeviceState): boolean {
  return (
    Math.abs((after.temperature ?? 0) - (before.temperature ?? 0)) >= NOTABLE.temperature ||
    Math.abs((after.humidity ?? 0) - (before.humidity ?? 0)) >= NOTABLE.humidity ||
    Math.abs((after.co2 ?? 0) - (before.co2 ?? 0)) >= NOTABLE.co2
  );
}

export function sameState(a: DeviceState, b: DeviceState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function withBattery(state: DeviceState, battery: number | undefined): DeviceState {
  return battery === undefined ? state : { ...state, battery };
}

export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

export function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
  return value;
}
