/**
 * Which commands each device kind takes, checked before anything reaches a gateway.
 */
import type { DeviceCommand, DeviceType } from '../gateway/types.js';

interface Accepts {
  /** Position and stop. */
  move: boolean;
  /** Opening in rain with `force` (a window whose rain sensor would close it again). */
  force: boolean;
  away: boolean;
}

const ACCEPTS: Record<DeviceType, Accepts> = {
  window: { move: true, force: true, away: false },
  blind: { move: true, force: false, away: false },
  shutter: { move: true, force: false, away: false },
  awning: { move: true, force: false, away: false },
  sensor: { move: false, force: false, away: false },
  departure_switch: { move: false, force: false, away: true },
};

/** Why a device of this kind cannot take the command, or undefined when it can. */
export function checkCommand(type: DeviceType, command: DeviceCommand): string | undefined {
  const accepts = ACCEPTS[type];
  if ('away' in command) {
    if (!accepts.away) return 'only the departure switch takes an away command';
    return typeof command.away === 'boolean' ? undefined : 'away must be true or false';
  }
  if (!accepts.move) return `a ${type} cannot be moved`;
  if ('stop' in command) return command.stop === true ? undefined : 'stop must be true';
  if (typeof command.position !== 'number' || !Number.isFinite(command.position) || command.position < 0 || command.position > 100) {
    return 'position must be a number from 0 to 100';
  }
  if (command.force && !accepts.force) return 'only windows can be forced open in rain';
  return undefined;
}
