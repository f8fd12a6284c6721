/**
 * Secondary verification for the risky things Google can ask: opening a window, ending
 * departure mode and switching a room's climate control on (it opens windows by itself).
 * With a PIN configured all three need it (Google requires a PIN for window integrations);
 * without one, the first two need a spoken acknowledgement while departure mode is on
 * (nobody is supposed to be home), and climate control on needs nothing (departure mode
 * holds it back). Five wrong PINs in 15 minutes from one person
 * lock that person out for 15 minutes. PINs are compared in constant time.
 */
import type { Logger } from '../logger.js';
import type { Sensitivity } from './devices/types.js';
import { FailureLimiter } from './failure-limiter.js';
import { secretsEqual } from './oauth-model.js';

const WHAT: Record<Sensitivity, string> = {
  opensWindow: 'opening a window',
  endsDepartureMode: 'ending departure mode',
  enablesClimateControl: "switching a room's climate control on",
};

export const PIN_FAILURES = { maxFailures: 5, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000 };

export interface Challenge {
  pin?: string;
  ack?: boolean;
}

export type ChallengeType = 'pinNeeded' | 'challengeFailedPinNeeded' | 'ackNeeded';

export type Verdict = { ok: true } | { ok: false; challenge: ChallengeType } | { ok: false; errorCode: 'tooManyFailedAttempts' };

export interface Person {
  id: string;
  name: string;
}

export class SecondaryVerification {
  private readonly failures: FailureLimiter;

  constructor(
    private readonly options: { pin?: string; log: Logger; now: () => number },
  ) {
    this.failures = new FailureLimiter({ ...PIN_FAILURES, now: options.now });
  }

  get usesPin(): boolean {
    return this.options.pin !== undefined;
  }

  /**
   * A view for one EXECUTE request: Google sends the same challenge with every device of a
   * request ("open all windows"), so each distinct PIN is judged, counted and logged once.
   */
  forRequest(person: Person): (sensitivity: Sensitivity, challenge: Challenge | undefined, away: boolean) => Verdict {
    const judged = new Map<string, Verdict>();
    let lockLogged = false;
    return (sensitivity, challenge, away) => {
      const pin = this.options.pin;
      if (pin === undefined) {
        // While away, departure mode holds the climate control back: only a PIN guards switching it on.
        if (!away || sensitivity === 'enablesClimateControl') return { ok: true };
        return challenge?.ack === true ? { ok: true } : { ok: false, challenge: 'ackNeeded' };
      }
      if (this.failures.lockedFor(person.id) > 0) {
        if (!lockLogged) this.options.log.warn(`Google Home: ${person.name} is locked out of PIN actions after too many wrong PINs`);
        lockLogged = true;
        return { ok: false, errorCode: 'tooManyFailedAttempts' };
      }
      const given = challenge?.pin;
      if (given === undefined || given === '') return { ok: false, challenge: 'pinNeeded' };
      const earlier = judged.get(given);
      if (earlier) return earlier;
      let verdict: Verdict;
      if (secretsEqual(given, pin)) {
        this.failures.succeed(person.id);
        verdict = { ok: true };
      } else if (this.failures.fail(person.id)) {
        this.options.log.warn(
          `Google Home: wrong PIN from ${person.name} (${WHAT[sensitivity]}); ` +
            `locked out for ${PIN_FAILURES.lockoutMs / 60_000} minutes after ${PIN_FAILURES.maxFailures} wrong PINs`,
        );
        verdict = { ok: false, errorCode: 'tooManyFailedAttempts' };
      } else {
        this.options.log.warn(`Google Home: wrong PIN from ${person.name}`);
        verdict = { ok: false, challenge: 'challengeFailedPinNeeded' };
      }
      judged.set(given, verdict);
      return verdict;
    };
  }
}
