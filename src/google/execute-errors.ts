/**
 * How a refused command is told to Google. Codes come from Google's documented error list;
 * each choice says why it is the most truthful one.
 */
import type { CommandResult } from '../gateway/types.js';

export interface ExecuteFailure {
  status: 'ERROR' | 'OFFLINE';
  errorCode: string;
}

export function executeFailure(result: CommandResult): ExecuteFailure | undefined {
  if (result.ok) {
    // Another command to the same device (any source, latest wins) replaced this one before
    // it was sent, so the gateway never accepted *this* command: not a SUCCESS. The device
    // is doing something else that was asked later, which is what "deviceBusy" says.
    return result.superseded ? { status: 'ERROR', errorCode: 'deviceBusy' } : undefined;
  }
  switch (result.error) {
    case 'gateway_offline': // gateway or its link down: nothing was sent
    case 'unreachable': // the device is out of radio reach
      return { status: 'OFFLINE', errorCode: 'deviceOffline' };
    case 'unknown_device':
      return { status: 'ERROR', errorCode: 'deviceNotFound' };
    case 'invalid':
      // Parameters are checked before sending, so this is the gateway refusing the command
      // for this device: the device does not support it.
      return { status: 'ERROR', errorCode: 'notSupported' };
    case 'rain':
      // The window's rain sensor refused to open (Google's own code for exactly this).
      return { status: 'ERROR', errorCode: 'rainDetected' };
    case 'busy':
      return { status: 'ERROR', errorCode: 'deviceBusy' };
    case 'timeout':
      // No answer in time: we do not know whether it moved. "transientError" ("something
      // went wrong, try again") is honest; the real outcome follows through Report State.
      return { status: 'ERROR', errorCode: 'transientError' };
    case 'internal':
      // The gateway reported a fault of its own: the device could not be controlled.
      return { status: 'ERROR', errorCode: 'hardError' };
  }
}
