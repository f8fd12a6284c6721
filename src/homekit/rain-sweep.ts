/**
 * When the home-wide "Rain" accessory (rain.ts) goes: once every gateway's device list has
 * arrived and the home still has no source of rain (no weather report, no rain-sensing window),
 * it is removed after a short delay, unless a source turned up meanwhile (a gateway's weather
 * report may arrive just after its device list). The HomeKit registry does the removing.
 */
import type { Home } from '../home/model.js';
import { hasRainSource } from './rain.js';

/** How long a rain accessory without any rain source is kept after every device list arrived. */
export const RAIN_SWEEP_DELAY_MS = 5000;

export class RainSweep {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly home: Home,
    private readonly sweep: () => void,
    private readonly delayMs = RAIN_SWEEP_DELAY_MS,
  ) {}

  /** After device lists changed: (re)starts the delay when every list is in and no source exists. */
  reconsider(allListed: boolean): void {
    clearTimeout(this.timer);
    if (!allListed || hasRainSource(this.home)) return;
    this.timer = setTimeout(() => {
      if (!hasRainSource(this.home)) this.sweep();
    }, this.delayMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
