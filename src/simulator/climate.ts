/**
 * Room climate physics of the simulated home, deliberately simple and deterministic.
 *
 * One well-mixed room of ~50 m³ per room name. Every quantity relaxes exponentially toward
 * an equilibrium, solved exactly per step so any step length is stable:
 * - air exchange (per hour) = 0.3 background infiltration + 8 per fully open window;
 * - CO2: each person adds 360 ppm/h (≈18 L/h in 50 m³); air exchange pulls it toward the
 *   outdoor 420 ppm;
 * - humidity: people add 1 %RH/h each, a shower adds a 30 %RH spike; air exchange plus
 *   0.5/h of absorption pull it toward 45 %RH;
 * - temperature: the heated building pulls it toward 21 °C at 0.5/h, air exchange pulls it
 *   toward the outdoor temperature, sunshine through the glazing (reduced by covers) and
 *   people add heat.
 * The numbers are plausible, not calibrated: the point is that the bridge and the climate
 * algorithm see CO2 rise with occupancy and fall with open windows, showers, and warm rooms.
 */
export interface RoomClimate {
  temperature: number; // °C
  humidity: number; // %RH
  co2: number; // ppm
}

export interface RoomInputs {
  /** People in the room. */
  occupancy: number;
  /** Sum over the room's windows of position/100 (two fully open windows = 2). */
  windowOpening: number;
  /** Fraction of sunlight the covers let through, 0..1 (1 = no covers or all retracted). */
  shade: number;
  outdoorTemperature: number;
  /** Outdoor illuminance in lux (sunshine). */
  sunLux: number;
}

export const OUTDOOR_CO2_PPM = 420;
export const BASE_HUMIDITY = 45;
export const BUILDING_TEMPERATURE = 21;

const BACKGROUND_AIR_CHANGES_PER_H = 0.3;
const WINDOW_AIR_CHANGES_PER_H = 8;
const CO2_PPM_PER_PERSON_H = 360;
const HUMIDITY_PER_PERSON_H = 1;
export const HUMIDITY_ABSORPTION_PER_H = 0.5;
const BUILDING_COUPLING_PER_H = 0.5;
const SOLAR_GAIN_C_PER_H_PER_LUX = 1.5 / 50_000;
const PERSON_GAIN_C_PER_H = 0.2;
const GLAZING_LUX_FACTOR = 0.03;
const ARTIFICIAL_LUX = 50;
export const SHOWER_HUMIDITY_SPIKE = 30;

export function airChangesPerHour(windowOpening: number): number {
  return BACKGROUND_AIR_CHANGES_PER_H + WINDOW_AIR_CHANGES_PER_H * Math.max(0, windowOpening);
}

/** Exact solution of dx/dt = rate·(equilibrium − x) over `hours`. */
function relax(value: number, equilibrium: number, ratePerH: number, hours: number): number {
  return equilibrium + (value - equilibrium) * Math.exp(-ratePerH * hours);
}

export function stepRoomClimate(climate: RoomClimate, inputs: RoomInputs, elapsedMs: number): RoomClimate {
  const hours = Math.max(0, elapsedMs) / 3_600_000;
  const people = Math.max(0, inputs.occupancy);
  const exchange = airChangesPerHour(inputs.windowOpening);

  const co2Equilibrium = OUTDOOR_CO2_PPM + (people * CO2_PPM_PER_PERSON_H) / exchange;

  const humidityRate = exchange + HUMIDITY_ABSORPTION_PER_H;
  const humidityEquilibrium = BASE_HUMIDITY + (people * HUMIDITY_PER_PERSON_H) / humidityRate;

  const temperatureRate = BUILDING_COUPLING_PER_H + exchange;
  const heatGain =
    inputs.sunLux * clamp(inputs.shade, 0, 1) * SOLAR_GAIN_C_PER_H_PER_LUX + people * PERSON_GAIN_C_PER_H;
  const temperatureEquilibrium =
    (BUILDING_COUPLING_PER_H * BUILDING_TEMPERATURE + exchange * inputs.outdoorTemperature + heatGain) /
    temperatureRate;

  return {
    co2: relax(climate.co2, co2Equilibrium, exchange, hours),
    humidity: clamp(relax(climate.humidity, humidityEquilibrium, humidityRate, hours), 0, 100),
    temperature: relax(climate.temperature, temperatureEquilibrium, temperatureRate, hours),
  };
}

/** What a room sensor's light meter reads: daylight through the glazing and covers, plus lamps. */
export function indoorLux(sunLux: number, shade: number): number {
  return ARTIFICIAL_LUX + Math.max(0, sunLux) * GLAZING_LUX_FACTOR * clamp(shade, 0, 1);
}

export function afterShower(climate: RoomClimate): RoomClimate {
  return { ...climate, humidity: Math.min(95, climate.humidity + SHOWER_HUMIDITY_SPIKE) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Fraction of daylight let through by the room's covers (a closed cover still leaks 10 %). */
export function shadeFromCovers(coverPositions: readonly number[]): number {
  if (coverPositions.length === 0) return 1;
  const total = coverPositions.reduce((sum, position) => sum + 0.1 + (0.9 * clamp(position, 0, 100)) / 100, 0);
  return total / coverPositions.length;
}
