/**
 * Facts the policy derives from its inputs before deciding anything: is it raining anywhere,
 * is the sensor fresh, is it quiet hours, is a device closed. Pure helpers only.
 */
import type { Weather } from '../gateway/types.js';
import { parseClockTime, type QuietHours, type RoomSettings } from './settings.js';
import type { ClimateDevice, RoomInput, SensorReading, SensorStatus, WeatherGuardCode } from './types.js';

export const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

export interface HomeConditions {
  now: number;
  timeZoneOffsetMinutes: number;
  away: boolean;
  /** Away has just ended at this evaluation: opening waits for the next one. */
  departureEnded: boolean;
  departureStarted: boolean;
  gatewayOnline: boolean;
  rain: boolean;
  /** The last evaluation that saw rain, this one included; openings wait `rainHoldMinutes` after it. */
  lastRainAt?: number;
  /** Which source reported rain, for explanations. */
  rainSource?: string;
  outdoorTemperature?: number;
  windSpeed?: number;
  /** Whether the weather says whether it rains (windows' rain sensors aside). */
  weatherRainKnown: boolean;
}

/** Rain is a home-wide fact: the weather, or the rain sensor of any window in any room. */
export function findRain(weather: Weather | undefined, rooms: readonly RoomInput[]): { rain: boolean; source?: string } {
  if (weather?.rain === true) return { rain: true, source: 'weather' };
  for (const room of rooms) {
    for (const window of room.windows) {
      if (window.rain === true) return { rain: true, source: window.name };
    }
  }
  return { rain: false };
}

/** The weather guards without data for a room, in the order the guards are checked. */
export function guardsWithoutData(home: HomeConditions, room: RoomInput): WeatherGuardCode[] {
  const missing: WeatherGuardCode[] = [];
  if (!home.weatherRainKnown && !room.windows.some((w) => w.rainSensor)) missing.push('rain');
  if (home.windSpeed === undefined) missing.push('wind');
  if (home.outdoorTemperature === undefined) missing.push('outdoor_temperature');
  return missing;
}

export function sensorStatus(sensor: SensorReading | undefined, settings: RoomSettings, now: number): SensorStatus {
  if (!sensor || !sensor.reachable) return 'offline';
  if (sensor.updatedAt === undefined) return 'stale';
  return now - sensor.updatedAt > settings.sensorStaleMinutes * MINUTE_MS ? 'stale' : 'fresh';
}

export function localMinuteOfDay(now: number, timeZoneOffsetMinutes: number): number {
  const minutes = Math.floor(now / MINUTE_MS) + Math.round(timeZoneOffsetMinutes);
  return ((minutes % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
}

export function isQuietTime(quietHours: QuietHours | undefined, minuteOfDay: number): boolean {
  if (!quietHours) return false;
  const start = parseClockTime(quietHours.start);
  const end = parseClockTime(quietHours.end);
  if (start === undefined || end === undefined || start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** "HH:MM" local time of a moment, for explanations. */
export function clockTime(at: number, timeZoneOffsetMinutes: number): string {
  const minute = localMinuteOfDay(at, timeZoneOffsetMinutes);
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/**
 * Closed and at rest, with no other target pending: the only state from which the algorithm
 * opens a window, so any later target it did not send is somebody else's.
 */
export function isClosedAndSettled(device: ClimateDevice): boolean {
  return device.position === 0 && (device.target === undefined || device.target === 0) && device.motion !== 'opening';
}

/** Closed, or already on its way to closed: no need to repeat a close command. */
export function isClosedOrClosing(device: ClimateDevice): boolean {
  if (device.position === 0 && device.motion !== 'opening') return true;
  return device.target === 0 && device.motion === 'closing';
}

/** Standing still at a known position, with no other target pending. */
export function isSettled(device: ClimateDevice): device is ClimateDevice & { position: number } {
  return (
    device.position !== undefined &&
    device.motion !== 'opening' &&
    device.motion !== 'closing' &&
    (device.target === undefined || device.target === device.position)
  );
}

/** Whether a command to `position` would move the device up (more open) from where it is or is heading. */
export function opensDevice(device: ClimateDevice, position: number): boolean {
  if (device.position === undefined) return true;
  return position > device.position || (device.target !== undefined && position > device.target);
}
