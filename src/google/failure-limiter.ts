/**
 * Counts failed attempts per key (a person, a sign-in name, a client address) and locks the
 * key out for a while after too many inside a window: 5 wrong PINs in 15 minutes lock for
 * 15 minutes.
 *
 * Checks that take time (a password hash) are counted before they run (`begin`) and settled
 * after (`end`): a check in progress counts as a failure until it turns out right, so
 * parallel attempts cannot get more checks than the limit allows.
 *
 * Memory stays bounded: keys with nothing recent are forgotten, and above `maxKeys` the
 * least recently used keys that are neither locked nor being checked are dropped. Locked keys
 * are never dropped (that would lift a lock-out); they are bounded by the checks themselves
 * (`maxFailures` checks per lock-out, at most two password checks at a time).
 */
export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  now: () => number;
  /** Most keys remembered at once, apart from locked ones and ones being checked. */
  maxKeys?: number;
}

interface Entry {
  failures: number[];
  lockedUntil?: number;
  /** Checks started (`begin`) and not yet settled (`end`). */
  pending: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: FailureLimiterOptions) {}

  /** Milliseconds left of a lock-out, or 0. */
  lockedFor(key: string): number {
    const entry = this.entries.get(key);
    const until = entry?.lockedUntil;
    if (entry === undefined || until === undefined) return 0;
    const left = until - this.options.now();
    if (left > 0) return left;
    entry.lockedUntil = undefined;
    if (entry.pending === 0 && entry.failures.length === 0) this.entries.delete(key);
    return 0;
  }

  /**
   * Starts a check: false (and nothing counted) when the key is locked or when its recent
   * failures plus the checks already running reach the limit.
   */
  begin(key: string): boolean {
    if (this.lockedFor(key) > 0) return false;
    const now = this.options.now();
    const entry = this.touch(key, now);
    if (entry.failures.length + entry.pending >= this.options.maxFailures) return false;
    entry.pending++;
    return true;
  }

  /** Settles a check started with `begin`; true when this failure started a lock-out. */
  end(key: string, failed: boolean): boolean {
    const entry = this.entries.get(key);
    if (entry && entry.pending > 0) entry.pending--;
    if (failed) return this.fail(key);
    if (entry && entry.pending === 0 && entry.failures.length === 0 && entry.lockedUntil === undefined) this.entries.delete(key);
    return false;
  }

  /** Records a failure; true when this one started a lock-out. */
  fail(key: string): boolean {
    const now = this.options.now();
    const entry = this.touch(key, now);
    entry.failures.push(now);
    if (entry.failures.length < this.options.maxFailures) return false;
    entry.lockedUntil = now + this.options.lockoutMs;
    entry.failures = [];
    return true;
  }

  succeed(key: string): void {
    const entry = this.entries.get(key);
    if (entry && this.lockedFor(key) === 0 && entry.pending === 0) this.entries.delete(key);
  }

  /** How many keys are remembered (tests). */
  get size(): number {
    return this.entries.size;
  }

  /** The key's entry, recent failures only, moved to the most recently used end. */
  private touch(key: string, now: number): Entry {
    this.prune(now, key);
    const entry = this.entries.get(key) ?? { failures: [], pending: 0 };
    this.entries.delete(key); // re-insert: Map order is then least recently used first
    entry.failures = entry.failures.filter((t) => now - t < this.options.windowMs);
    this.entries.set(key, entry);
    return entry;
  }

  private prune(now: number, keep: string): void {
    const locked = (entry: Entry) => entry.lockedUntil !== undefined && entry.lockedUntil > now;
    for (const [key, entry] of this.entries) {
      const recent = entry.failures.some((t) => now - t < this.options.windowMs);
      if (!recent && !locked(entry) && entry.pending === 0) this.entries.delete(key);
    }
    const max = this.options.maxKeys ?? 10_000;
    if (this.entries.size < max) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size < max) break;
      if (key !== keep && !locked(entry) && entry.pending === 0) this.entries.delete(key);
    }
  }
}
