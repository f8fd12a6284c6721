/**
 * The highest value seen over a sliding time window, in bounded memory: samples are folded
 * into fixed buckets (by default 96 quarter-hours for 24 h), so memory does not grow with the
 * reporting rate. The window is therefore exact to one bucket.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;

interface Bucket {
  start: number;
  max: number;
}

export class PeakWindow {
  private readonly buckets: Bucket[] = [];

  constructor(
    readonly windowMs = DAY_MS,
    readonly bucketMs = 15 * 60 * 1000,
  ) {
    if (!(bucketMs > 0 && windowMs >= bucketMs)) throw new RangeError('need windowMs >= bucketMs > 0');
  }

  add(at: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const start = at - (at % this.bucketMs);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.start === start) last.max = Math.max(last.max, value);
    else if (!last || start > last.start) this.buckets.push({ start, max: value });
    else {
      // A late sample (clock skew): fold it into its bucket if that is still kept.
      const bucket = this.buckets.find((b) => b.start === start);
      if (bucket) bucket.max = Math.max(bucket.max, value);
    }
    this.prune(at);
  }

  /** The peak over the window ending at `now`; undefined when nothing was seen in it. */
  peak(now: number): number | undefined {
    this.prune(now);
    let peak: number | undefined;
    for (const b of this.buckets) peak = peak === undefined ? b.max : Math.max(peak, b.max);
    return peak;
  }

  /** How many buckets are held (bounded by windowMs / bucketMs + 1). */
  get size(): number {
    return this.buckets.length;
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.buckets.length > 0 && (this.buckets[0]?.start ?? 0) + this.bucketMs <= oldest) this.buckets.shift();
    const limit = Math.ceil(this.windowMs / this.bucketMs) + 1;
    while (this.buckets.length > limit) this.buckets.shift();
  }
}
