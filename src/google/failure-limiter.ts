/**
 * Counts failed attempts per key (a person, a sign-in name) and locks the key out for a
 * while after too many inside a window: 5 wrong PINs in 15 minutes lock for 15 minutes.
 * Memory stays bounded: keys with nothing recent are forgotten.
 */
export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  now: () => number;
  /** Most keys remembered at once; the oldest are dropped first. */
  maxKeys?: number;
}

interface Entry {
  failures: number[];
  lockedUntil?: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: FailureLimiterOptions) {}

  /** Milliseconds left of a lock-out, or 0. */
  lockedFor(key: string): number {
    const entry = this.entries.get(key);
    const until = entry?.lockedUntil;
    if (until === undefined) return 0;
    const left = until - this.options.now();
    if (left > 0) return left;
    this.entries.delete(key);
    return 0;
  }

  /** Records a failure; true when this one started a lock-out. */
  fail(key: string): boolean {
    const now = this.options.now();
    this.prune(now);
    const entry = this.entries.get(key) ?? { failures: [] };
    this.entries.delete(key); // re-insert: Map order is then least recently used first
    entry.failures = entry.failures.filter((t) => now - t < this.options.windowMs);
    entry.failures.push(now);
    let locked = false;
    if (entry.failures.length >= this.options.maxFailures) {
      entry.lockedUntil = now + this.options.lockoutMs;
      entry.failures = [];
      locked = true;
    }
    this.entries.set(key, entry);
    return locked;
  }

  succeed(key: string): void {
    if (this.lockedFor(key) === 0) this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      const recent = entry.failures.some((t) => now - t < this.options.windowMs);
      const locked = entry.lockedUntil !== undefined && entry.lockedUntil > now;
      if (!recent && !locked) this.entries.delete(key);
    }
    const max = this.options.maxKeys ?? 10_000;
    for (const key of this.entries.keys()) {
      if (this.entries.size < max) break;
      this.entries.delete(key);
    }
  }
}
