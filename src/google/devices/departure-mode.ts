/**
 * Departure mode (away) as a SWITCH with OnOff: on = away. It is the home's mode, not one
 * device: the gateway's departure switch(es) when there are any, else the plugin's virtual
 * one. Turning it off (coming home) needs secondary verification.
 */
import { COMMAND, OFFLINE_STATE, refuse, TRAIT, type GoogleEntity, type HomeView, type QueryState, type SyncDevice } from './types.js';

export const DEPARTURE_MODE_ID = 'departure-mode';

export function departureModeEntity(home: HomeView): GoogleEntity {
  // With physical switches the mode is only as reachable as they are (setAway goes to all).
  const online = () => home.departureSwitches().every((d) => d.reachable);
  return {
    id: DEPARTURE_MODE_ID,
    online,

    sync(willReportState): SyncDevice {
      return {
        id: DEPARTURE_MODE_ID,
        type: 'action.devices.types.SWITCH',
        traits: [TRAIT.OnOff],
        name: { name: 'Departure mode', nicknames: ['Away mode'] },
        willReportState,
        attributes: { commandOnlyOnOff: false, queryOnlyOnOff: false },
      };
    },

    query(): QueryState {
      if (!online()) return { ...OFFLINE_STATE };
      return { online: true, status: 'SUCCESS', on: home.away };
    },

    plan(execution) {
      if (execution.command !== COMMAND.OnOff) return refuse('functionNotSupported', `${execution.command} is not a switch command`);
      const on = execution.params?.['on'];
      if (typeof on !== 'boolean') return refuse('valueOutOfRange', 'on must be true or false');
      return {
        ok: true,
        action: { kind: 'away', away: on, states: { on } },
        sensitive: !on && home.away ? 'endsDepartureMode' : undefined,
      };
    },
  };
}
