/**
 * Pure conversions for the KLF 200 gateway (no I/O): the gateway's frames → node and position
 * records, a product → device descriptor, position / run-status / limitation → plugin state
 * and command results, and connection failures → the log line the user sees.
 * Values are those of the KLF API specification (docs/klf200.md).
 */
import type { IGW_FRAME_RCV } from 'klf-200-api';
import type { CommandResult, DeviceDescriptor, DeviceState } from '../types.js';
import { RAW_CLOSED, actuatorName, coverTypeOf, hasRainSensor, rawToPercent, serialHex } from './products.js';
import { errorText, SessionError } from './session.js';

/** klf-200-api's enums used by the gateway (values from the KLF API specification). */
export const RUN_STATUS_FAILED = 1;
export const REPLY = { NO_CONTACT: 0x02, LIMITATION_BY_RAIN: 0xe3 } as const;
export const ORIGINATOR_RAIN = 2;
export const NODE_STATE_EXECUTING = 4;
export const COMMAND_ACCEPTED = 1;
/** After this many failed TLS handshakes in a row the log tells the user to power-cycle. */
export const HANDSHAKE_FAILURES_BEFORE_HINT = 3;

/** One product as GW_GET_ALL_NODES_INFORMATION_NTF describes it. */
export interface NodeRecord {
  nodeId: number;
  name: string;
  actuatorType: number;
  subType: number;
  serial: Buffer;
}

/** A node's position as the gateway last reported it (raw values). */
export interface PositionRecord {
  current: number;
  target: number;
  state: number;
}

type Fields = IGW_FRAME_RCV & Record<string, unknown>;

export function nodeRecordOf(f: Fields): NodeRecord {
  return {
    nodeId: f.NodeID as number,
    name: f.Name as string,
    actuatorType: f.ActuatorType as number,
    subType: f.ActuatorSubType as number,
    serial: f.SerialNumber as Buffer,
  };
}

export function positionRecordOf(f: Fields): PositionRecord {
  return { current: f.CurrentPosition as number, target: f.TargetPosition as number, state: f.OperatingState as number };
}

/** The plugin's device id of a product: its serial, or its node id when it has none. */
export function productId(product: NodeRecord): string {
  return serialHex(product.serial) ?? `node-${product.nodeId}`;
}

/** The descriptor of a product, or undefined when it is not a window or cover. */
export function describeProduct(product: NodeRecord, configured?: { name?: string; room?: string }): DeviceDescriptor | undefined {
  const type = coverTypeOf(product.actuatorType);
  if (!type) return undefined;
  return {
    id: productId(product),
    type,
    name: configured?.name ?? product.name,
    room: configured?.room,
    model: actuatorName(product.actuatorType),
    serial: serialHex(product.serial),
    features: hasRainSensor(product.actuatorType, product.subType) ? { rainSensor: true } : {},
  };
}

/** The state after a position record: position, target and motion from the raw values. */
export function positionState(previous: DeviceState, record: PositionRecord): DeviceState {
  const position = rawToPercent(record.current);
  const targetPct = rawToPercent(record.target);
  const state: DeviceState = { ...previous };
  if (position !== undefined) state.position = position;
  if (targetPct !== undefined) state.target = targetPct;
  const executing = record.state === NODE_STATE_EXECUTING;
  // Moving is decided on the raw values, not the rounded percents: the last 0.5 % of a travel
  // rounds to the target already while the motor still runs, and "stopped" there would end a
  // wait (or a HomeKit spinner) before the product is where it was sent.
  // (Raw 0 is fully open.) Without a raw pair in range the percents known so far decide.
  const raw = position !== undefined && targetPct !== undefined;
  const towardsOpen = raw ? record.target < record.current : (state.target ?? 0) > (state.position ?? 0);
  const arrived = raw ? record.current === record.target : state.target === state.position;
  if (!executing || state.target === undefined || state.position === undefined || arrived) state.motion = 'stopped';
  else state.motion = towardsOpen ? 'opening' : 'closing';
  if (!executing && state.target !== undefined && state.position !== undefined) state.target = state.position;
  return state;
}

/** The result of a failed run status (GW_COMMAND_RUN_STATUS_NTF with RUN_STATUS_FAILED). */
export function failedRunResult(reply: number): CommandResult {
  if (reply === REPLY.LIMITATION_BY_RAIN) return { ok: false, error: 'rain', message: 'the window refuses to open while its rain sensor is wet' };
  if (reply === REPLY.NO_CONTACT) return { ok: false, error: 'unreachable', message: 'the KLF 200 has no radio contact with the product' };
  return { ok: false, error: 'internal', message: `the product did not run the command (status reply ${reply})` };
}

/** Rain limits opening: the allowed range no longer reaches raw 0 (open). */
export function rainFromLimitation(minRaw: number, maxRaw: number, originator: number): boolean {
  return originator === ORIGINATOR_RAIN && minRaw > 0 && minRaw <= RAW_CLOSED && maxRaw <= RAW_CLOSED;
}

/**
 * The log line for a failed connection attempt; `handshakeFailures` counts the failed TLS
 * handshakes in a row including this one.
 */
export function connectFailureMessage(err: unknown, host: string, handshakeFailures: number): { level: 'error' | 'warn'; text: string } {
  const where = `the KLF 200 at ${host}`;
  if (err instanceof SessionError && err.kind === 'handshake') {
    const n = handshakeFailures;
    if (n === HANDSHAKE_FAILURES_BEFORE_HINT || (n > HANDSHAKE_FAILURES_BEFORE_HINT && n % 10 === 0)) {
      return {
        level: 'error',
        text:
          `${where} failed the TLS handshake ${n} times in a row (${err.message}). ` +
          'A KLF 200 in this state usually needs a power cycle: unplug it for 10 seconds and plug it back in. ' +
          'The plugin keeps retrying.',
      };
    }
    return { level: 'warn', text: `Could not connect to ${where}: TLS handshake failed (${err.message}); retrying.` };
  }
  if (err instanceof SessionError && err.kind === 'login') {
    return { level: 'error', text: `${where} refused the password. Use the Wi-Fi password printed on the back of the KLF 200 (not the one of your home network).` };
  }
  if (err instanceof SessionError && err.kind === 'certificate') return { level: 'error', text: err.message };
  if (err instanceof SessionError && err.kind === 'timeout') {
    return { level: 'warn', text: `${where} accepted the connection but did not answer (${err.message}); it may be frozen. Retrying; if this persists, power-cycle the KLF 200.` };
  }
  return { level: 'warn', text: `Could not connect to ${where}: ${errorText(err)}; retrying. Check that the KLF 200 is powered and on your network.` };
}
