/**
 * Simulated time. Everything in the simulated home (motors, climate, scripts) reads and
 * schedules through a SimClock so that one knob (timeScale) speeds the whole home up, and
 * tests can swap in a ManualClock to step time deterministically without real waiting.
 */
export type CancelTimer = () => void;

export interface SimClock {
  /** Simulated milliseconds since an arbitrary origin; only differences matter. */
  now(): number;
  /** Run `fn` once after `simMs` simulated milliseconds. */
  after(simMs: number, fn: () => void): CancelTimer;
  /** Run `fn` every `simMs` simulated milliseconds until cancelled. */
  every(simMs: number, fn: () => void): CancelTimer;
}

/**
 * Real timers with simulated durations divided by `timeScale` (10 = ten times faster).
 * Repeating timers never fire more often than every `minRealIntervalMs` real milliseconds:
 * callers compute progress from `now()`, so a coarser real tick only means fewer
 * intermediate updates, never wrong ones.
 */
export class ScaledClock implements SimClock {
  private readonly origin = performance.now();

  constructor(
    readonly timeScale = 1,
    private readonly minRealIntervalMs = 5,
  ) {
    if (!Number.isFinite(timeScale) || timeScale <= 0) {
      throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
    }
  }

  now(): number {
    return (performance.now() - this.origin) * this.timeScale;
  }

  after(simMs: number, fn: () => void): CancelTimer {
    const handle = setTimeout(fn, Math.max(0, simMs / this.timeScale));
    return () => clearTimeout(handle);
  }

  every(simMs: number, fn: () => void): CancelTimer {
    const handle = setInterval(fn, Math.max(this.minRealIntervalMs, simMs / this.timeScale));
    return () => clearInterval(handle);
  }
}

interface ManualTimer {
  id: number;
  due: number;
  interval?: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in due order during `advance`. */
export class ManualClock implements SimClock {
  private time = 0;
  private nextId = 0;
  private timers: ManualTimer[] = [];

  now(): number {
    return this.time;
  }

  after(simMs: number, fn: () => void): CancelTimer {
    return this.add({ id: this.nextId++, due: this.time + Math.max(0, simMs), fn });
  }

  every(simMs: number, fn: () => void): CancelTimer {
    if (!(simMs > 0)) throw new RangeError(`interval must be positive, got ${simMs}`);
    return this.add({ id: this.nextId++, due: this.time + simMs, interval: simMs, fn });
  }

  /** Move time forward by `simMs`, firing every timer that falls due on the way. */
  advance(simMs: number): void {
    const end = this.time + Math.max(0, simMs);
    for (;;) {
      const next = this.earliestDue(end);
      if (!next) break;
      this.time = next.due;
      if (next.interval === undefined) this.remove(next.id);
      else next.due += next.interval;
      next.fn();
    }
    this.time = end;
  }

  /** Number of timers still scheduled (tests use it to prove nothing leaks). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  private earliestDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due <= limit && (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id))) {
        best = timer;
      }
    }
    return best;
  }

  private add(timer: ManualTimer): CancelTimer {
    this.timers.push(timer);
    return () => this.remove(timer.id);
  }

  private remove(id: number): void {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }
}
