/**
 * A tiny seeded pseudo-random generator (mulberry32) so a simulated home with a given seed
 * produces the same sensor noise every run: tests and benchmarks stay reproducible.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform noise in [-amplitude, +amplitude]. */
export function jitter(random: Random, amplitude: number): number {
  return (random() * 2 - 1) * amplitude;
}
