import { describe, expect, it } from 'vitest';
import { positionStateOf } from '../../src/homekit/cover.js';
import { DAY_MS, PeakWindow } from '../../src/homekit/peak-window.js';
import { bridgeLimitMessage, MAX_BRIDGED_ACCESSORIES } from '../../src/homekit/bridge-limit.js';

describe('positionStateOf', () => {
  it('follows the reported motion', () => {
    expect(positionStateOf({ position: 10, motion: 'opening' })).toBe('increasing');
    expect(positionStateOf({ position: 10, motion: 'closing' })).toBe('decreasing');
    expect(positionStateOf({ position: 10, motion: 'stopped' })).toBe('stopped');
    expect(positionStateOf({ position: 10 })).toBe('stopped');
    expect(positionStateOf({})).toBeUndefined();
  });

  it('shows the direction of travel of a target just written, before the gateway reports motion', () => {
    expect(positionStateOf({ position: 10, motion: 'stopped' }, 80)).toBe('increasing');
    expect(positionStateOf({ position: 80, motion: 'stopped' }, 10)).toBe('decreasing');
    expect(positionStateOf({ position: 40, motion: 'opening' }, 40)).toBe('stopped');
    // no known position: fall back to what the gateway says
    expect(positionStateOf({ motion: 'closing' }, 50)).toBe('decreasing');
  });
});

describe('PeakWindow', () => {
  it('returns the highest value of the last 24 h', () => {
    const peak = new PeakWindow();
    const t0 = 1_000_000_000_000;
    peak.add(t0, 900);
    peak.add(t0 + 60_000, 1400);
    peak.add(t0 + 120_000, 700);
    expect(peak.peak(t0 + 120_000)).toBe(1400);
    expect(peak.peak(t0 + DAY_MS - 60 * 60_000)).toBe(1400);
    // a day and a quarter-hour later the 1400 has left the window
    peak.add(t0 + DAY_MS + 20 * 60_000, 650);
    expect(peak.peak(t0 + DAY_MS + 20 * 60_000)).toBe(650);
  });

  it('stays bounded however often values arrive', () => {
    const peak = new PeakWindow();
    const t0 = 0;
    for (let i = 0; i < 3 * 24 * 3600; i++) peak.add(t0 + i * 1000, 400 + (i % 1000));
    expect(peak.size).toBeLessThanOrEqual(DAY_MS / (15 * 60_000) + 1);
    expect(peak.peak(t0 + 3 * DAY_MS)).toBe(1399);
  });

  it('is empty once everything is older than the window', () => {
    const peak = new PeakWindow(60_000, 10_000);
    peak.add(0, 5);
    expect(peak.peak(5_000)).toBe(5);
    expect(peak.peak(200_000)).toBeUndefined();
    expect(() => new PeakWindow(1, 10)).toThrow(RangeError);
  });
});

describe('bridge limit message', () => {
  it('says how many were left out and what to do', () => {
    const message = bridgeLimitMessage('VeluxClimate', ['A', 'B', 'C', 'D', 'E'], 154);
    expect(message).toBe(
      `HomeKit allows at most ${MAX_BRIDGED_ACCESSORIES} accessories per bridge: 5 of 154 accessories were left out ` +
        `("A", "B", "C" and 2 more). To publish them all, split your gateways over several "VeluxClimate" platform blocks, ` +
        `each with its own "id" and child bridge ("_bridge"), so that none has more than 149 accessories.`,
    );
    expect(bridgeLimitMessage('VeluxClimate', ['Only one'], 150)).toContain('1 of 150 accessories were left out ("Only one")');
  });
});
