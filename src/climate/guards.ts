/**
 * Guards: the reasons a wanted action is not taken. Each kind of move has its own list, in
 * the order a user should hear about them (the first one that holds is reported).
 */
import { clockTime, MINUTE_MS, opensDevice, type HomeConditions } from './conditions.js';
import type { RoomSettings } from './settings.js';
import type { ClimateDevice, DeviceMemory, GuardCode, RoomInput, SensorStatus } from './types.js';

/**
 * - `airing`: opening a window to air the room (all weather and sensor guards apply)
 * - `finish`: undoing what the algorithm did (closing a window it opened, departure close,
 *   putting a cover back): only what makes sending impossible or was a person's choice
 * - `heat_protection`: lowering a cover against heat
 */
export type MoveKind = 'airing' | 'finish' | 'heat_protection';

export interface RoomContext {
  home: HomeConditions;
  room: RoomInput;
  settings: RoomSettings;
  sensor: SensorStatus;
  quiet: boolean;
}

export interface GuardHit {
  guard: GuardCode;
  detail: string;
}

type Check = () => GuardHit | undefined;

const hit = (guard: GuardCode, detail: string): GuardHit => ({ guard, detail });
const degrees = (value: number): string => `${value.toFixed(1)} °C`;

function checkDisabled(ctx: RoomContext): Check {
  return () => (ctx.settings.enabled ? undefined : hit('disabled', 'climate control is off for this room'));
}

function checkAway(ctx: RoomContext): Check {
  return () => {
    if (ctx.home.away) return hit('away', 'departure mode is on');
    if (ctx.home.departureEnded) return hit('away', 'departure mode just ended; automatic opening resumes at the next evaluation');
    return undefined;
  };
}

function checkGateway(ctx: RoomContext): Check {
  return () => (ctx.home.gatewayOnline ? undefined : hit('gateway_offline', 'the gateway is offline'));
}

function checkSensor(ctx: RoomContext): Check {
  return () => {
    if (ctx.sensor === 'offline') {
      return hit('sensor_offline', ctx.room.sensor ? 'the room sensor is not reachable' : 'the room has no sensor');
    }
    if (ctx.sensor === 'stale') {
      const updatedAt = ctx.room.sensor?.updatedAt;
      return hit(
        'sensor_stale',
        updatedAt === undefined ? 'no sensor reading yet' : `no sensor reading since ${clockTime(updatedAt, ctx.home.timeZoneOffsetMinutes)}`,
      );
    }
    return undefined;
  };
}

function checkRain(ctx: RoomContext): Check {
  return () => {
    const { home, settings } = ctx;
    if (home.rain) return hit('rain', `rain reported (${home.rainSource ?? 'unknown source'})`);
    // Passing showers: the hold after the last rain keeps windows from cycling with each one.
    if (home.lastRainAt === undefined) return undefined;
    const holdEnd = home.lastRainAt + settings.rainHoldMinutes * MINUTE_MS;
    if (home.now >= holdEnd) return undefined;
    const zone = home.timeZoneOffsetMinutes;
    return hit('rain', `rain last reported at ${clockTime(home.lastRainAt, zone)}; opening again from ${clockTime(holdEnd, zone)}`);
  };
}

function checkWind(ctx: RoomContext): Check {
  return () => {
    const wind = ctx.home.windSpeed;
    return wind !== undefined && wind > ctx.settings.maxWindSpeed
      ? hit('wind', `wind ${wind.toFixed(1)} m/s over ${ctx.settings.maxWindSpeed}`)
      : undefined;
  };
}

function checkOutdoorTemperature(ctx: RoomContext): Check {
  return () => {
    const outdoor = ctx.home.outdoorTemperature;
    const { outdoorTemperatureMin: min, outdoorTemperatureMax: max } = ctx.settings;
    return outdoor !== undefined && (outdoor < min || outdoor > max)
      ? hit('outdoor_temperature', `outdoor ${degrees(outdoor)} outside ${min}–${max} °C`)
      : undefined;
  };
}

function checkQuietHours(ctx: RoomContext): Check {
  return () => {
    const quiet = ctx.settings.quietHours;
    return ctx.quiet && quiet ? hit('quiet_hours', `quiet hours ${quiet.start}–${quiet.end}`) : undefined;
  };
}

/** Guards that hold for the whole room, for a kind of move. */
export function roomGuard(kind: MoveKind, ctx: RoomContext): GuardHit | undefined {
  const checks: Check[] =
    kind === 'airing'
      ? [
          checkDisabled(ctx),
          checkAway(ctx),
          checkGateway(ctx),
          checkSensor(ctx),
          checkRain(ctx),
          checkWind(ctx),
          checkOutdoorTemperature(ctx),
          checkQuietHours(ctx),
        ]
      : kind === 'heat_protection'
        ? [checkDisabled(ctx), checkGateway(ctx), checkSensor(ctx)]
        : [checkGateway(ctx)];
  return firstHit(checks);
}

/**
 * When the manual pause after a person's command to this device ends, if it is still running.
 * The end itself still counts as paused, so the algorithm always acts strictly after a
 * manual command (even with a pause of 0) and "manual at or after the algorithm's step"
 * reliably means the person came second.
 */
export function manualPauseEnd(memory: DeviceMemory | undefined, settings: RoomSettings, now: number): number | undefined {
  if (memory?.lastManualAt === undefined) return undefined;
  const end = memory.lastManualAt + settings.manualPauseMinutes * MINUTE_MS;
  return now <= end ? end : undefined;
}

/**
 * Guards for one device and one commanded position. Opening anything (a window, or a cover
 * going back up) also waits for home mode and quiet hours, whatever the kind of move.
 */
export function deviceGuard(
  kind: MoveKind,
  device: ClimateDevice,
  position: number,
  memory: DeviceMemory | undefined,
  ctx: RoomContext,
): GuardHit | undefined {
  const opening = opensDevice(device, position);
  const checks: Check[] = [
    () => (opening ? checkAway(ctx)() : undefined),
    checkGateway(ctx),
    () => (device.reachable ? undefined : hit('device_unreachable', `${device.name} is not reachable`)),
    () => (device.obstructed === true ? hit('obstructed', `${device.name} reports an obstruction`) : undefined),
    () => {
      // Pressing departure is the person's latest word: it closes a window they opened by
      // hand shortly before leaving. Hand use after departure started is left alone (memory.ts).
      if (isDepartureClose(kind, position, memory)) return undefined;
      const end = manualPauseEnd(memory, ctx.settings, ctx.home.now);
      if (end === undefined || memory?.lastManualAt === undefined) return undefined;
      const zone = ctx.home.timeZoneOffsetMinutes;
      return hit('manual_pause', `${device.name} was used by hand at ${clockTime(memory.lastManualAt, zone)}; automation resumes at ${clockTime(end, zone)}`);
    },
    // Extending an awning in strong wind can damage it.
    () => (kind === 'heat_protection' && device.type === 'awning' ? checkWind(ctx)() : undefined),
    () => (opening ? checkQuietHours(ctx)() : undefined),
  ];
  return firstHit(checks);
}

/** The close departure mode asked for, of a device last used by hand before departure started. */
export function isDepartureClose(kind: MoveKind, position: number, memory: DeviceMemory | undefined): boolean {
  if (kind !== 'finish' || position !== 0 || memory?.closingReason !== 'departure' || memory.closingSince === undefined) return false;
  return memory.lastManualAt === undefined || memory.lastManualAt < memory.closingSince;
}

function firstHit(checks: readonly Check[]): GuardHit | undefined {
  for (const check of checks) {
    const found = check();
    if (found) return found;
  }
  return undefined;
}
