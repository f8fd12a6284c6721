/**
 * The invariants of the climate policy (docs: climate-control, "Invariants"), each checked on
 * random event sequences played through the simulation. Runs per invariant:
 * CLIMATE_PROPERTY_RUNS (default 1000; raise it for a nightly run).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluate } from '../../src/climate/policy.js';
import type { ClimateAction, PolicyInput, PolicyOutput } from '../../src/climate/types.js';
import { outlierScenario, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS, scenario } from './arbitraries.js';
import { closes, MINUTE, opens, simulate, type Evaluation, type Scenario } from './simulation.js';

function eachAction(evaluation: Evaluation, check: (action: ClimateAction, room: string) => void): void {
  for (const decision of evaluation.output.rooms) for (const action of decision.actions) check(action, decision.room);
}

function violation(evaluation: Evaluation, message: string): Error {
  const when = new Date(evaluation.input.now).toISOString();
  return new Error(`${when}: ${message}`);
}

/** Run `runs` random scenarios; a checker made per scenario sees every evaluation. */
function holdsForEveryScenario(makeChecker: () => (evaluation: Evaluation) => void, scenarios: fc.Arbitrary<Scenario> = scenario): void {
  fc.assert(
    fc.property(scenarios, (generated: Scenario) => {
      simulate(generated, { onEvaluation: makeChecker() });
    }),
    { numRuns: PROPERTY_RUNS },
  );
}

/**
 * Invariant 5's checker, made per scenario: windows the algorithm opened are tracked from the
 * open until it sends a close, a person moves them, or they are seen closed at rest; a
 * tracked window neither closed nor closing at an evaluation after its deadline at which a
 * close could be sent is a violation.
 */
function invariant5Checker(): (evaluation: Evaluation) => void {
  /** Windows the algorithm opened and has not closed yet, with the time of the open. */
  const openedAt = new Map<string, number>();
  return (evaluation) => {
    const { input, truth } = evaluation;
    for (const [key, at] of openedAt) {
      const manualAt = truth.lastManualAt.get(key);
      if (manualAt !== undefined && manualAt >= at) openedAt.delete(key);
      // Seen closed and at rest without a person (a rain sensor closed it): the window
      // is closed again, and a close command to it would change nothing.
      const { device } = evaluation.device(key);
      if (device.position === 0 && device.motion !== 'opening' && (device.target ?? 0) === 0) openedAt.delete(key);
    }
    eachAction(evaluation, (action) => {
      const { device } = evaluation.device(action.deviceKey);
      if (device.type !== 'window') return;
      if (action.command.position === 0) openedAt.delete(action.deviceKey);
      else if (opens(device, action.command.position) && !openedAt.has(action.deviceKey)) openedAt.set(action.deviceKey, input.now);
    });
    for (const [key, at] of openedAt) {
      const { device, room } = evaluation.device(key);
      // The simulation evaluates at least once per period, so "the first evaluation at or
      // after the deadline at which a close can be sent" is within deadline + one period
      // whenever the close was possible throughout.
      const deadline = at + room.settings.maxAiringMinutes * MINUTE;
      const closePossible = input.gatewayOnline && device.reachable && device.obstructed !== true;
      // Already on its way to closed without a person (its rain sensor started closing it):
      // that is the state a close command would put it in, so the algorithm rightly sends
      // none (it repeats its close only when it does not see one happening). The checker used
      // to count only a close command or a window at rest at 0 and so, with a slow move, flagged
      // a window still closing at the deadline (seed -197663261). It stays tracked until seen
      // closed at rest: should it stop short of closed, the algorithm must still close it.
      const closingAlready = device.target === 0 && device.motion === 'closing';
      if (input.now >= deadline && closePossible && !closingAlready) {
        throw violation(evaluation, `${device.name} opened at ${new Date(at).toISOString()} still not closed (max airing ${room.settings.maxAiringMinutes} min)`);
      }
    }
  };
}

describe('climate policy invariants (property-based)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('invariant 1: no automatic open command while away mode is on', () => {
    holdsForEveryScenario(() => (evaluation) => {
      if (!evaluation.input.away) return;
      eachAction(evaluation, (action) => {
        const { device } = evaluation.device(action.deviceKey);
        if (opens(device, action.command.position)) throw violation(evaluation, `opened ${device.name} while away: ${action.explanation}`);
      });
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 2: no automatic open while rain, wind, outdoor temperature, a stale or offline sensor or an offline gateway forbid it', () => {
    holdsForEveryScenario(() => (evaluation) => {
      const { input } = evaluation;
      const rain = input.weather?.rain === true || input.rooms.some((room) => room.windows.some((window) => window.rain === true));
      eachAction(evaluation, (action) => {
        const { device, room } = evaluation.device(action.deviceKey);
        if (!opens(device, action.command.position)) return;
        const settings = room.settings;
        const sensor = room.sensor;
        const sensorBad =
          !sensor || !sensor.reachable || sensor.updatedAt === undefined || input.now - sensor.updatedAt > settings.sensorStaleMinutes * MINUTE;
        const wind = input.weather?.windSpeed;
        const outdoor = input.weather?.temperature;
        const reasons = [
          rain && 'rain',
          wind !== undefined && wind > settings.maxWindSpeed && 'wind',
          outdoor !== undefined && (outdoor < settings.outdoorTemperatureMin || outdoor > settings.outdoorTemperatureMax) && 'outdoor temperature',
          sensorBad && 'sensor stale or offline',
          !input.gatewayOnline && 'gateway offline',
        ].filter((reason): reason is string => typeof reason === 'string');
        // Rain, wind and outdoor temperature are about airing; covers going back up only need
        // a live sensor and gateway.
        const forbidding = device.type === 'window' ? reasons : reasons.filter((reason) => reason === 'sensor stale or offline' || reason === 'gateway offline');
        if (forbidding.length > 0) throw violation(evaluation, `opened ${device.name} despite ${forbidding.join(', ')}: ${action.explanation}`);
      });
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 3: no automatic command to a window or cover within the pause after a manual command to it', () => {
    holdsForEveryScenario(() => (evaluation) => {
      eachAction(evaluation, (action) => {
        const { device, room } = evaluation.device(action.deviceKey);
        const manualAt = evaluation.truth.lastManualAt.get(action.deviceKey);
        if (manualAt === undefined) return;
        // Documented exception (docs/climate-control.md): pressing departure is a person's later
        // word and closes windows used by hand before departure started.
        const departureAt = evaluation.output.memory.departureStartedAt;
        if (action.reason === 'departure' && departureAt !== undefined && manualAt < departureAt) return;
        const sinceManual = evaluation.input.now - manualAt;
        if (sinceManual < room.settings.manualPauseMinutes * MINUTE) {
          throw violation(evaluation, `commanded ${device.name} ${Math.round(sinceManual / 1000)} s after a manual command: ${action.explanation}`);
        }
      });
    });
  }, PROPERTY_TIMEOUT_MS);

  it("invariant 4: no automatic opening beyond the room's ventilation position", () => {
    holdsForEveryScenario(() => (evaluation) => {
      eachAction(evaluation, (action) => {
        const { device, room } = evaluation.device(action.deviceKey);
        if (device.type !== 'window' || !opens(device, action.command.position)) return;
        if (action.command.position > room.settings.ventilationPosition) {
          throw violation(evaluation, `opened ${device.name} to ${action.command.position} % (ventilation position ${room.settings.ventilationPosition})`);
        }
      });
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 5: every window the algorithm opened is closed by it within the maximum airing time plus one evaluation period, unless a person moved it', () => {
    holdsForEveryScenario(invariant5Checker);
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 5, found counterexample (seed -197663261): the window its rain sensor is still closing at the deadline counts as closing', () => {
    // Shrunk from `Property failed after 28703 tests { seed: -197663261, path: "28702:0:0:1:…" }`.
    // Air recycling opens the window at 00:00 (5 s move). Departure starts with the gateway
    // offline, so its close is blocked. At 00:00:58 rain starts and the window's own rain
    // sensor begins closing it; the gateway comes back, and the algorithm sees the window on
    // its way to closed and does not repeat the close. At the deadline (00:01) the window is
    // still moving; it arrives closed at 00:01:03.
    const counterexample: Scenario = {
      start: Date.UTC(2024, 0, 1),
      timeZoneOffsetMinutes: -300,
      commandDelayMs: 5000,
      rooms: [
        {
          settings: {
            ...{ co2Max: 600, co2Hysteresis: 0, humidityMax: 40, humidityDelayMinutes: 0, triggerConfirmMinutes: 1 },
            ...{ temperatureMin: 10, temperatureMax: 22, coolingSetpoint: 18, ventilationPosition: 1 },
            ...{ minAiringMinutes: 0, maxAiringMinutes: 1, airingIntervalMinutes: 0, rainHoldMinutes: 0 },
            ...{ airRecyclingIntervalHours: 0.5, airRecyclingMinutes: 1, outdoorTemperatureMin: 0, outdoorTemperatureMax: 20 },
            ...{ maxWindSpeed: 3, manualPauseMinutes: 0, heatProtection: false, heatProtectionPosition: 0, heatProtectionLux: 0 },
            ...{ departureCloseWindows: true, departureCloseCovers: false, sensorStaleMinutes: 1, enabled: true },
          },
          hasSensor: true,
          windows: [{ rainSensor: true, position: 0 }],
          covers: [],
        },
      ],
      lastAiringAgoMinutes: 30,
      steps: [
        { kind: 'gateway', online: false },
        { kind: 'away', away: true },
        { kind: 'tick', ms: 58_000 },
        { kind: 'windowRain', room: 0, window: 0, rain: true },
        { kind: 'gateway', online: true },
        { kind: 'tick', ms: 1000 },
        { kind: 'tick', ms: 1000 },
        { kind: 'tick', ms: 5 * MINUTE },
      ],
    };
    const check = invariant5Checker();
    const seen: { at: number; position: number | undefined; motion: string | undefined; closes: number }[] = [];
    simulate(counterexample, {
      onEvaluation: (evaluation) => {
        check(evaluation);
        const window = evaluation.input.rooms[0]?.windows[0];
        const closes = evaluation.output.rooms.flatMap((decision) => decision.actions).filter((action) => action.command.position === 0).length;
        seen.push({ at: evaluation.input.now - counterexample.start, position: window?.position, motion: window?.motion, closes });
      },
    });
    // The scenario does what the comment says: open at once, no close sent (gateway offline,
    // then the window already closing), still closing at the deadline, closed after it.
    expect(seen[0]?.closes).toBe(0);
    expect(seen.find((entry) => entry.at === MINUTE)).toMatchObject({ position: 1, motion: 'closing' });
    expect(seen.reduce((sum, entry) => sum + entry.closes, 0)).toBe(0);
    expect(seen.at(-1)).toMatchObject({ position: 0, motion: 'stopped' });
  });

  it('invariant 6: the algorithm closes only windows it opened itself, except when departure mode starts', () => {
    holdsForEveryScenario(() => {
      const openedAt = new Map<string, number>();
      return (evaluation) => {
        const { input, truth } = evaluation;
        eachAction(evaluation, (action) => {
          const { device, room } = evaluation.device(action.deviceKey);
          if (device.type !== 'window') return;
          const position = action.command.position;
          if (closes(device, position)) {
            const manualAt = truth.lastManualAt.get(action.deviceKey) ?? -Infinity;
            const opened = openedAt.get(action.deviceKey);
            const ownsIt = opened !== undefined && opened > manualAt;
            const departure = truth.departureStartedAt;
            const departureClose = input.away && room.settings.departureCloseWindows && departure !== undefined && manualAt < departure;
            if (!ownsIt && !departureClose) throw violation(evaluation, `closed ${device.name}, which it did not open: ${action.explanation}`);
          }
          if (opens(device, position)) openedAt.set(action.deviceKey, input.now);
        });
      };
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 7: entering departure mode never opens anything, and leaving it never opens anything by itself', () => {
    holdsForEveryScenario(() => (evaluation) => {
      if (evaluation.previousAway === undefined || evaluation.previousAway === evaluation.input.away) return;
      eachAction(evaluation, (action) => {
        const { device } = evaluation.device(action.deviceKey);
        if (opens(device, action.command.position)) {
          const change = evaluation.input.away ? 'entering' : 'leaving';
          throw violation(evaluation, `opened ${device.name} on ${change} departure mode: ${action.explanation}`);
        }
      });
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 8: decisions are a pure function of inputs and the clock (same inputs, same decisions)', () => {
    const deepFreeze = <T>(value: T): T => {
      if (value && typeof value === 'object' && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const field of Object.values(value)) deepFreeze(field);
      }
      return value;
    };
    /** Evaluate a frozen copy (mutation throws) and the original, and insist on equal answers. */
    const evaluateTwice = (input: PolicyInput): PolicyOutput => {
      const first = evaluate(deepFreeze(structuredClone(input)));
      const second = evaluate(input);
      // Outputs are plain JSON data; comparing their text is much faster than a deep equal.
      if (JSON.stringify(second) !== JSON.stringify(first)) expect(second).toEqual(first);
      return first;
    };
    /** The whole run under a given wall clock and random source, recorded as text. */
    const run = (generated: Scenario, wallClock: number, random: number, policy: (input: PolicyInput) => PolicyOutput): string => {
      vi.setSystemTime(wallClock);
      vi.spyOn(Math, 'random').mockReturnValue(random);
      const outputs: string[] = [];
      simulate(generated, { onEvaluation: (evaluation) => outputs.push(JSON.stringify(evaluation.output)), evaluate: policy });
      vi.restoreAllMocks();
      return outputs.join('\n');
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    fc.assert(
      fc.property(scenario, (generated: Scenario) => {
        const first = run(generated, Date.UTC(2001, 0, 1), 0.1, evaluateTwice);
        const second = run(generated, Date.UTC(2031, 6, 15), 0.9, evaluate);
        expect(second).toBe(first);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 9: no automatic opening of a window within the hold after rain was last reported', () => {
    holdsForEveryScenario(() => {
      let lastRainAt: number | undefined;
      return (evaluation) => {
        const { input } = evaluation;
        const rain = input.weather?.rain === true || input.rooms.some((room) => room.windows.some((window) => window.rain === true));
        if (rain) lastRainAt = input.now;
        eachAction(evaluation, (action) => {
          const { device, room } = evaluation.device(action.deviceKey);
          if (device.type !== 'window' || !opens(device, action.command.position) || lastRainAt === undefined) return;
          const sinceRain = input.now - lastRainAt;
          if (sinceRain < room.settings.rainHoldMinutes * MINUTE) {
            throw violation(evaluation, `opened ${device.name} ${Math.round(sinceRain / 1000)} s after rain (hold ${room.settings.rainHoldMinutes} min): ${action.explanation}`);
          }
        });
      };
    });
  }, PROPERTY_TIMEOUT_MS);

  it('invariant 10: a single outlier reading (CO2, humidity or temperature over its limit between readings under it) never opens a window', () => {
    holdsForEveryScenario(
      () => (evaluation) => {
        eachAction(evaluation, (action) => {
          const { device } = evaluation.device(action.deviceKey);
          if (device.type !== 'window' || !opens(device, action.command.position)) return;
          if (action.reason === 'co2' || action.reason === 'humidity' || action.reason === 'heat') {
            throw violation(evaluation, `opened ${device.name} on one reading: ${action.explanation}`);
          }
        });
      },
      outlierScenario,
    );
  }, PROPERTY_TIMEOUT_MS);
});
