/**
 * Values between the home model and Matter's units. Pure functions, no Homebridge or matter.js.
 *
 * Lift: the home counts percent OPEN (100 = fully open / retracted, most light); Matter's
 * WindowCovering counts 1/100 % CLOSED (0 = fully open, 10000 = fully closed).
 */
import type { DeviceState, Motion } from '../gateway/types.js';
import { CRITICAL_BATTERY_PERCENT, LOW_BATTERY_PERCENT } from '../home/battery.js';

export const LIFT_FULLY_CLOSED_100THS = 10_000;

/** Matter WindowCovering.MovementStatus (spec 5.3.5.13). */
export const MovementStatus = { Stopped: 0, Opening: 1, Closing: 2 } as const;

/** Matter AirQuality.AirQualityEnum (spec 2.9.5.1). */
export const AirQualityLevel = { Unknown: 0, Good: 1, Fair: 2, Moderate: 3, Poor: 4, VeryPoor: 5, ExtremelyPoor: 6 } as const;

/** Home percent open (0–100) → Matter lift in 1/100 % closed (0–10000). */
export function openPercentToLift100ths(open: number): number {
  const clamped = Math.min(100, Math.max(0, open));
  return Math.round((100 - clamped) * 100);
}

/** Matter lift in 1/100 % closed (0–10000) → home percent open, whole percent (0–100). */
export function lift100thsToOpenPercent(lift100ths: number): number {
  const clamped = Math.min(LIFT_FULLY_CLOSED_100THS, Math.max(0, lift100ths));
  return Math.round(100 - clamped / 100);
}

export function movementStatus(motion: Motion | undefined): number {
  if (motion === 'opening') return MovementStatus.Opening;
  if (motion === 'closing') return MovementStatus.Closing;
  return MovementStatus.Stopped;
}

/** The WindowCovering attributes that follow a cover's state (null = unknown). */
export function windowCoveringState(state: DeviceState): {
  currentPositionLiftPercent100ths: number | null;
  targetPositionLiftPercent100ths: number | null;
  operationalStatus: { global: number; lift: number; tilt: number };
} {
  const current = state.position === undefined ? null : openPercentToLift100ths(state.position);
  const wanted = state.target ?? state.position;
  const target = wanted === undefined ? null : openPercentToLift100ths(wanted);
  const lift = movementStatus(state.motion);
  return {
    currentPositionLiftPercent100ths: current,
    targetPositionLiftPercent100ths: target,
    operationalStatus: { global: lift, lift, tilt: MovementStatus.Stopped },
  };
}

/** °C → Matter TemperatureMeasurement (1/100 °C, int16), null when unknown. */
export function temperature100ths(celsius: number | undefined): number | null {
  if (celsius === undefined || !Number.isFinite(celsius)) return null;
  return Math.max(-27315, Math.min(32767, Math.round(celsius * 100)));
}

/** %RH → Matter RelativeHumidityMeasurement (1/100 %, 0–10000), null when unknown. */
export function humidity100ths(percent: number | undefined): number | null {
  if (percent === undefined || !Number.isFinite(percent)) return null;
  return Math.max(0, Math.min(10_000, Math.round(percent * 100)));
}

/**
 * CO2 ppm → Matter AirQuality. Bands for indoor CO2 as commonly used for ventilation advice
 * (outdoor air is ~420 ppm; above 1000 ppm airing is advised, above 2000 ppm it is poor).
 */
export function airQualityFromCo2(ppm: number | undefined): number {
  if (ppm === undefined || !Number.isFinite(ppm)) return AirQualityLevel.Unknown;
  if (ppm < 800) return AirQualityLevel.Good;
  if (ppm < 1000) return AirQualityLevel.Fair;
  if (ppm < 1400) return AirQualityLevel.Moderate;
  if (ppm < 2000) return AirQualityLevel.Poor;
  if (ppm < 5000) return AirQualityLevel.VeryPoor;
  return AirQualityLevel.ExtremelyPoor;
}

/** Battery percent → Matter PowerSource (Battery feature) attributes. */
export function batteryState(percent: number | undefined): {
  batPercentRemaining: number | null;
  batChargeLevel: number;
  batReplacementNeeded: boolean;
} {
  if (percent === undefined || !Number.isFinite(percent)) {
    return { batPercentRemaining: null, batChargeLevel: 0, batReplacementNeeded: false };
  }
  const p = Math.max(0, Math.min(100, percent));
  // BatChargeLevelEnum: 0 Ok, 1 Warning, 2 Critical. Remaining is in half percent (0–200).
  const level = p <= CRITICAL_BATTERY_PERCENT ? 2 : p <= LOW_BATTERY_PERCENT ? 1 : 0;
  return { batPercentRemaining: Math.round(p * 2), batChargeLevel: level, batReplacementNeeded: level > 0 };
}
