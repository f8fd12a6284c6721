/** Time as the plugin's long-running parts see it; tests and demos swap in faster clocks. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds; only differences and (for quiet hours) wall-clock time matter. */
  now(): number;
  after(ms: number, fn: () => void): Cancel;
  every(ms: number, fn: () => void): Cancel;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};
