/**
 * Matter's units against the home's: lift is 1/100 % CLOSED on Matter, percent OPEN in the home.
 */
import { describe, expect, it } from 'vitest';
import {
  AirQualityLevel,
  airQualityFromCo2,
  batteryState,
  humidity100ths,
  lift100thsToOpenPercent,
  MovementStatus,
  openPercentToLift100ths,
  temperature100ths,
  windowCoveringState,
} from '../../src/matter/convert.js';

describe('lift', () => {
  it('maps both ends and the middle', () => {
    expect(openPercentToLift100ths(100)).toBe(0); // fully open
    expect(openPercentToLift100ths(0)).toBe(10_000); // fully closed
    expect(openPercentToLift100ths(50)).toBe(5000);
    expect(openPercentToLift100ths(25)).toBe(7500);
    expect(lift100thsToOpenPercent(0)).toBe(100);
    expect(lift100thsToOpenPercent(10_000)).toBe(0);
    expect(lift100thsToOpenPercent(5000)).toBe(50);
    expect(lift100thsToOpenPercent(7500)).toBe(25);
  });

  it('rounds to whole percent and clamps out-of-range values', () => {
    expect(lift100thsToOpenPercent(2549)).toBe(75); // 74.51 % open
    expect(lift100thsToOpenPercent(2551)).toBe(74);
    expect(lift100thsToOpenPercent(1)).toBe(100);
    expect(lift100thsToOpenPercent(9999)).toBe(0);
    expect(lift100thsToOpenPercent(-5)).toBe(100);
    expect(lift100thsToOpenPercent(12_000)).toBe(0);
    expect(openPercentToLift100ths(120)).toBe(0);
    expect(openPercentToLift100ths(-3)).toBe(10_000);
  });

  it('round-trips every whole percent', () => {
    for (let open = 0; open <= 100; open++) expect(lift100thsToOpenPercent(openPercentToLift100ths(open))).toBe(open);
  });

  it('builds the WindowCovering state from a cover state, unknown as null', () => {
    expect(windowCoveringState({ position: 20, target: 60, motion: 'opening' })).toEqual({
      currentPositionLiftPercent100ths: 8000,
      targetPositionLiftPercent100ths: 4000,
      operationalStatus: { global: MovementStatus.Opening, lift: MovementStatus.Opening, tilt: MovementStatus.Stopped },
    });
    expect(windowCoveringState({ position: 60, motion: 'closing' }).operationalStatus.lift).toBe(MovementStatus.Closing);
    expect(windowCoveringState({ position: 60 }).targetPositionLiftPercent100ths).toBe(4000);
    expect(windowCoveringState({})).toMatchObject({ currentPositionLiftPercent100ths: null, targetPositionLiftPercent100ths: null });
  });
});

describe('measurements', () => {
  it('converts temperature and humidity to hundredths, unknown as null', () => {
    expect(temperature100ths(21.5)).toBe(2150);
    expect(temperature100ths(-3.25)).toBe(-325);
    expect(temperature100ths(undefined)).toBeNull();
    expect(temperature100ths(Number.NaN)).toBeNull();
    expect(humidity100ths(46)).toBe(4600);
    expect(humidity100ths(104)).toBe(10_000);
    expect(humidity100ths(undefined)).toBeNull();
  });

  it('derives the air quality level from CO2', () => {
    expect(airQualityFromCo2(undefined)).toBe(AirQualityLevel.Unknown);
    expect(airQualityFromCo2(450)).toBe(AirQualityLevel.Good);
    expect(airQualityFromCo2(900)).toBe(AirQualityLevel.Fair);
    expect(airQualityFromCo2(1200)).toBe(AirQualityLevel.Moderate);
    expect(airQualityFromCo2(1500)).toBe(AirQualityLevel.Poor);
    expect(airQualityFromCo2(2500)).toBe(AirQualityLevel.VeryPoor);
    expect(airQualityFromCo2(6000)).toBe(AirQualityLevel.ExtremelyPoor);
  });

  it('reports battery in half percent with a charge level', () => {
    expect(batteryState(85)).toEqual({ batPercentRemaining: 170, batChargeLevel: 0, batReplacementNeeded: false });
    expect(batteryState(15)).toEqual({ batPercentRemaining: 30, batChargeLevel: 1, batReplacementNeeded: true });
    expect(batteryState(3)).toMatchObject({ batChargeLevel: 2 });
    expect(batteryState(undefined)).toMatchObject({ batPercentRemaining: null });
  });
});
