/**
 * Per-room automatic climate control as a SWITCH with OnOff (on = the plugin may open and
 * close this room's windows and covers by itself). Only rooms that can be climate-controlled
 * (a sensor and at least one window or cover) get one. The setting is the plugin's own, so
 * it is always reachable.
 */
import type { Room } from '../../home/model.js';
import { COMMAND, refuse, TRAIT, type GoogleEntity, type HomeView, type QueryState, type SyncDevice } from './types.js';

export const ROOM_CLIMATE_PREFIX = 'climate:';

export function roomClimateId(room: string): string {
  return `${ROOM_CLIMATE_PREFIX}${room}`;
}

export function roomClimateEntity(home: HomeView, room: Room): GoogleEntity {
  const id = roomClimateId(room.name);
  return {
    id,
    online: () => true,

    sync(willReportState): SyncDevice {
      return {
        id,
        type: 'action.devices.types.SWITCH',
        traits: [TRAIT.OnOff],
        name: { name: `${room.name} climate control`, nicknames: [`${room.name} automatic ventilation`] },
        roomHint: room.name,
        willReportState,
        attributes: { commandOnlyOnOff: false, queryOnlyOnOff: false },
      };
    },

    query(): QueryState {
      return { online: true, status: 'SUCCESS', on: home.roomClimate(room.name).enabled };
    },

    plan(execution) {
      if (execution.command !== COMMAND.OnOff) return refuse('functionNotSupported', `${execution.command} is not a switch command`);
      const on = execution.params?.['on'];
      if (typeof on !== 'boolean') return refuse('valueOutOfRange', 'on must be true or false');
      // On lets the plugin open this room's windows by itself: as sensitive as opening one.
      return { ok: true, action: { kind: 'roomClimate', room: room.name, enabled: on, states: { on } }, sensitive: on ? 'enablesClimateControl' : undefined };
    },
  };
}
