/**
 * Smoke run of bench/google-load.ts (100 requests per scenario); GOOGLE_LOAD=<n> for a real
 * measurement. Prints median and p99 latencies; asserts only that every request succeeded.
 */
import { expect, it } from 'vitest';
import { formatStats, runGoogleLoad } from '../../bench/google-load.js';

it('answers QUERY and EXECUTE under sequential and concurrent load', async () => {
  const requests = Number(process.env['GOOGLE_LOAD'] ?? 100);
  const stats = await runGoogleLoad(requests);
  console.log(`Google fulfillment latency (local):\n${formatStats(stats)}`);
  for (const s of stats) expect(s.failures, s.scenario).toBe(0);
}, 600_000);
