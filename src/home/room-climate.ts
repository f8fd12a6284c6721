/**
 * Per-room climate-control status: the user's on/off (kept in the home state, default from the
 * config) and the block the climate controller sets while wanted ventilation is held back.
 */
import type { CommandSource } from '../gateway/types.js';
import type { Logger } from '../logger.js';
import type { HomeStateStore } from './home-state.js';
import type { RoomClimateStatus } from './model.js';

export interface RoomClimateHost {
  log: Logger;
  now: () => number;
  state: HomeStateStore;
  /** Default for rooms the user never switched. */
  enabledByDefault: (room: string) => boolean;
  changed: (room: string, status: RoomClimateStatus) => void;
}

export class RoomClimateStatuses {
  private readonly blocked = new Map<string, NonNullable<RoomClimateStatus['blocked']>>();
  private readonly withoutData = new Map<string, string[]>();

  constructor(private readonly host: RoomClimateHost) {}

  status(room: string): RoomClimateStatus {
    return {
      enabled: this.host.state.current.roomClimateEnabled[room] ?? this.host.enabledByDefault(room),
      blocked: this.blocked.get(room),
      ...(this.withoutData.has(room) && { guardsWithoutData: [...this.withoutData.get(room)!] }),
    };
  }

  setEnabled(room: string, enabled: boolean, source: CommandSource): void {
    const saved = this.host.state.current.roomClimateEnabled;
    if (this.status(room).enabled === enabled && saved[room] !== undefined) return;
    this.host.state.update({ roomClimateEnabled: { ...saved, [room]: enabled } });
    this.host.log.info(`${room}: climate control ${enabled ? 'on' : 'off'} (${source})`);
    this.host.changed(room, this.status(room));
  }

  /** Undefined clears the block. */
  setBlocked(room: string, blocked: { guard: string; detail: string } | undefined): void {
    const current = this.blocked.get(room);
    if (!blocked) {
      if (!current) return;
      this.blocked.delete(room);
    } else {
      if (current && current.guard === blocked.guard && current.detail === blocked.detail) return;
      this.blocked.set(room, { ...blocked, since: current?.guard === blocked.guard ? current.since : this.host.now() });
    }
    this.host.changed(room, this.status(room));
  }

  setGuardsWithoutData(room: string, guards: readonly string[]): void {
    const current = this.withoutData.get(room) ?? [];
    if (current.length === guards.length && current.every((g, i) => g === guards[i])) return;
    if (guards.length === 0) this.withoutData.delete(room);
    else this.withoutData.set(room, [...guards]);
    this.host.changed(room, this.status(room));
  }
}
