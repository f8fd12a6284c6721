// Shared helpers for the benchmarks: statistics, machine facts, result files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(repoRoot, 'bench', 'results');

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Median, p90, p99, min, max and mean of a list of numbers (milliseconds unless said). */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  const r = (x) => Math.round(x * 1000) / 1000;
  return { n: s.length, median: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), min: r(s[0] ?? NaN), max: r(s.at(-1) ?? NaN), mean: r(mean) };
}

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

export function writeResult(name, data) {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  const body = { name, date: new Date().toISOString(), machine: machine(), command: `npm run bench -- ${name}`, ...data };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
