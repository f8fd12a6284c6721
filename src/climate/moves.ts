/**
 * The bookkeeping of one room's evaluation: moves that are taken become actions, moves a
 * guard stops become blocked entries, each with a sentence a user can read.
 */
import { opensDevice } from './conditions.js';
import { deviceGuard, type GuardHit, type MoveKind, type RoomContext } from './guards.js';
import type { BlockedAction, ClimateAction, ClimateDevice, DeviceMemory, RoomMemory, TriggerCode } from './types.js';

export interface RoomWork {
  ctx: RoomContext;
  /** Device memory of this room, refreshed from observations and updated as decisions are made. */
  devices: Map<string, DeviceMemory>;
  room: RoomMemory;
  actions: ClimateAction[];
  blocked: BlockedAction[];
  notes: string[];
  wanted: Set<TriggerCode>;
}

export interface Move {
  kind: MoveKind;
  device: ClimateDevice;
  position: number;
  reason: TriggerCode;
  /** Why the algorithm wants it, e.g. "CO2 1320 ppm over 1150". */
  why: string;
}

export function memoryOf(work: RoomWork, deviceKey: string): DeviceMemory {
  return work.devices.get(deviceKey) ?? {};
}

export function describeMove(device: ClimateDevice, position: number): string {
  if (position === 0) return `closing ${device.name}`;
  const opening = opensDevice(device, position);
  if (device.type === 'window') return `${opening ? 'opening' : 'closing'} ${device.name} to ${position} %`;
  return `${opening ? 'raising' : 'lowering'} ${device.name} to ${position} %`;
}

/** Take the move unless a device guard holds; returns whether it was taken. */
export function attemptMove(work: RoomWork, move: Move): boolean {
  work.wanted.add(move.reason);
  const { device, position } = move;
  const hit = deviceGuard(move.kind, device, position, memoryOf(work, device.key), work.ctx);
  const room = work.ctx.room.name;
  if (hit) {
    work.blocked.push({
      deviceKey: device.key,
      wanted: move.reason,
      guard: hit.guard,
      detail: hit.detail,
      explanation: `${room}: not ${describeMove(device, position)} (${move.why}) — ${hit.detail}`,
    });
    return false;
  }
  work.actions.push({
    deviceKey: device.key,
    command: { position },
    reason: move.reason,
    explanation: `${room}: ${describeMove(device, position)} — ${move.why}`,
  });
  return true;
}

/** A guard that holds for the whole room: one entry instead of one per device. */
export function blockRoom(work: RoomWork, wanted: TriggerCode, hit: GuardHit, what: string, why: string): void {
  work.wanted.add(wanted);
  work.blocked.push({
    wanted,
    guard: hit.guard,
    detail: hit.detail,
    explanation: `${work.ctx.room.name}: not ${what} (${why}) — ${hit.detail}`,
  });
}

export function note(work: RoomWork, text: string): void {
  work.notes.push(`${work.ctx.room.name}: ${text}`);
}
