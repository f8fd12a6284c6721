/** The failure counter behind the sign-in and PIN lock-outs. */
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/google/failure-limiter.js';

const limits = { maxFailures: 5, windowMs: 60_000, lockoutMs: 60_000 };

describe('FailureLimiter', () => {
  it('never drops a locked key to make room, however many other names come after it', () => {
    let now = 0;
    const limiter = new FailureLimiter({ ...limits, now: () => now, maxKeys: 10 });
    for (let i = 0; i < 5; i++) limiter.fail('victim');
    expect(limiter.lockedFor('victim')).toBe(60_000);
    for (let i = 0; i < 50; i++) {
      now++;
      limiter.fail(`other-${i}`);
    }
    expect(limiter.lockedFor('victim')).toBeGreaterThan(0);
    // Memory stays bounded by the keys that may not be dropped.
    expect(limiter.size).toBeLessThanOrEqual(11);
  });

  it('counts checks in progress: no more than maxFailures may run, a success gives its place back', () => {
    const limiter = new FailureLimiter({ ...limits, now: () => 0 });
    const started = Array.from({ length: 8 }, () => limiter.begin('ben'));
    expect(started).toEqual([true, true, true, true, true, false, false, false]);
    limiter.end('ben', false); // the right password
    for (let i = 0; i < 3; i++) expect(limiter.end('ben', true)).toBe(false);
    // 3 failures + 1 still running: room for one more.
    expect(limiter.begin('ben')).toBe(true);
    expect(limiter.begin('ben')).toBe(false);
    expect(limiter.end('ben', true)).toBe(false);
    expect(limiter.end('ben', true)).toBe(true); // the 5th failure locks
    expect(limiter.begin('ben')).toBe(false);
  });
});
