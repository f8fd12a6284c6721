/**
 * Windows, blinds, roller shutters and awnings: Google types WINDOW, BLINDS, SHUTTER and
 * AWNING with OpenClose (openPercent: 100 = fully open, the gateway's own scale) and
 * StartStop, so "stop the blinds" halts a moving cover ("start" means nothing for a cover).
 * Opening a window is the one cover action that needs secondary verification.
 */
import type { CoverType } from '../../gateway/types.js';
import type { HomeDevice } from '../../home/model.js';
import {
  COMMAND,
  describeDevice,
  numberParam,
  OFFLINE_STATE,
  refuse,
  TRAIT,
  type Execution,
  type GoogleEntity,
  type Plan,
  type QueryState,
  type SyncDevice,
} from './types.js';

const GOOGLE_TYPE: Record<CoverType, string> = {
  window: 'action.devices.types.WINDOW',
  blind: 'action.devices.types.BLINDS',
  shutter: 'action.devices.types.SHUTTER',
  awning: 'action.devices.types.AWNING',
};

export function coverEntity(device: HomeDevice, type: CoverType): GoogleEntity {
  const position = (): number | undefined => device.state.position;
  const moving = (): boolean => device.state.motion === 'opening' || device.state.motion === 'closing';

  const moveTo = (target: number): Plan => {
    const current = position();
    const rounded = Math.round(target);
    const opens = current === undefined ? rounded > 0 : rounded > current;
    return {
      ok: true,
      action: {
        kind: 'device',
        key: device.key,
        command: { position: rounded },
        states: { openPercent: rounded, isRunning: current === undefined || rounded !== Math.round(current), isPaused: false },
      },
      sensitive: type === 'window' && opens ? 'opensWindow' : undefined,
    };
  };

  return {
    id: device.key,
    online: () => device.reachable,

    sync(willReportState): SyncDevice {
      return {
        id: device.key,
        type: GOOGLE_TYPE[type],
        traits: [TRAIT.OpenClose, TRAIT.StartStop],
        ...describeDevice(device),
        willReportState,
        attributes: {
          discreteOnlyOpenClose: false,
          commandOnlyOpenClose: false,
          queryOnlyOpenClose: false,
          pausable: false,
        },
      };
    },

    query(): QueryState {
      if (!device.reachable) return { ...OFFLINE_STATE };
      const current = position();
      // Reachable but the gateway never said where it is: nothing true to report yet.
      if (current === undefined) return { online: true, status: 'ERROR', errorCode: 'deviceNotReady' };
      return { online: true, status: 'SUCCESS', openPercent: current, isRunning: moving(), isPaused: false };
    },

    plan(execution: Execution): Plan {
      switch (execution.command) {
        case COMMAND.OpenClose: {
          const target = numberParam(execution, 'openPercent', 0, 100);
          if (typeof target !== 'number') return refuse(target.errorCode, 'openPercent must be 0-100');
          return moveTo(target);
        }
        case COMMAND.OpenCloseRelative: {
          const delta = numberParam(execution, 'openRelativePercent', -100, 100);
          if (typeof delta !== 'number') return refuse(delta.errorCode, 'openRelativePercent must be -100-100');
          const current = position();
          if (current === undefined) return refuse('deviceNotReady', 'position unknown');
          return moveTo(Math.min(100, Math.max(0, current + delta)));
        }
        case COMMAND.StartStop: {
          if (execution.params?.['start'] !== false) return refuse('functionNotSupported', 'a cover can only be stopped');
          const current = position();
          return {
            ok: true,
            action: {
              kind: 'device',
              key: device.key,
              command: { stop: true },
              states: { isRunning: false, isPaused: false, ...(current !== undefined ? { openPercent: current } : {}) },
            },
          };
        }
        default:
          return refuse('functionNotSupported', `${execution.command} is not a cover command`);
      }
    },
  };
}
