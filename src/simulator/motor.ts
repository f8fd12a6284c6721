/**
 * Cover motor physics: a constant-speed drive, the way VELUX io-homecontrol motors behave
 * closely enough for the bridge to see realistic intermediate positions.
 */
import type { Motion } from '../gateway/types.js';

/** Simulated milliseconds for a full 0→100 travel. */
export const FULL_TRAVEL_MS = 20_000;

/** Position after running for `elapsedMs` toward `target` (never overshoots). */
export function travel(position: number, target: number, elapsedMs: number, fullTravelMs = FULL_TRAVEL_MS): number {
  const step = (Math.max(0, elapsedMs) / fullTravelMs) * 100;
  return target >= position ? Math.min(target, position + step) : Math.max(target, position - step);
}

export function motionToward(position: number, target: number): Motion {
  if (target > position) return 'opening';
  if (target < position) return 'closing';
  return 'stopped';
}
