import { describe, expect, it } from 'vitest';
import { ManualClock, ScaledClock } from '../../src/simulator/clock.js';

describe('ManualClock', () => {
  it('fires timers in due order while advancing, with now() at each due time', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.after(300, () => fired.push(`once@${clock.now()}`));
    const cancel = clock.every(100, () => fired.push(`tick@${clock.now()}`));
    clock.advance(350);
    expect(fired).toEqual(['tick@100', 'tick@200', 'once@300', 'tick@300']);
    expect(clock.now()).toBe(350);
    cancel();
    clock.advance(1_000);
    expect(fired).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a timer schedule another one inside the same advance', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.after(10, () => clock.after(10, () => fired.push(clock.now())));
    clock.advance(25);
    expect(fired).toEqual([20]);
  });
});

describe('ScaledClock', () => {
  it('runs simulated time faster by the time scale', async () => {
    const clock = new ScaledClock(100);
    const start = clock.now();
    const realStart = Date.now();
    await new Promise<void>((resolve) => clock.after(5_000, resolve));
    expect(Date.now() - realStart).toBeLessThan(1_000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(4_500);
  });

  it('rejects a time scale that is not a positive number', () => {
    expect(() => new ScaledClock(0)).toThrow(RangeError);
    expect(() => new ScaledClock(Number.NaN)).toThrow(RangeError);
  });
});
