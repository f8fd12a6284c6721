/**
 * Reading what arrives on `<base>/<id>/set`, the way a strict gateway would: the envelope
 * (transaction, source) first, so an answer can be correlated, then the command body for
 * the addressed device's type. Unknown fields are ignored (forward compatible); known fields
 * with a wrong type or range make the command `invalid`.
 */
import { isCoverType, type DeviceCommand, type DeviceType } from '../gateway/types.js';

export type Envelope =
  | { ok: true; transaction: string; source: unknown; body: Record<string, unknown> }
  /** Without a transaction there is nothing to answer to. */
  | { ok: false; reason: string; body?: unknown };

export type CommandCheck = { ok: true; command: DeviceCommand } | { ok: false; message: string };

export function readEnvelope(payload: Buffer | string): Envelope {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  if (!isPlainObject(body)) return { ok: false, reason: 'payload is not a JSON object', body };
  const transaction = body['transaction'];
  if (typeof transaction !== 'string' || transaction.length === 0) {
    return { ok: false, reason: '"transaction" must be a non-empty string', body };
  }
  return { ok: true, transaction, source: body['source'], body };
}

export function checkCommand(type: DeviceType, body: Record<string, unknown>, source: unknown): CommandCheck {
  if (typeof source !== 'string' || source.length === 0) {
    return { ok: false, message: '"source" must be a non-empty string' };
  }
  if (type === 'departure_switch') {
    const away = body['away'];
    return typeof away === 'boolean'
      ? { ok: true, command: { away } }
      : { ok: false, message: 'departure switch expects {"away": true|false}' };
  }
  if (!isCoverType(type)) return { ok: false, message: `a ${type} accepts no commands` };
  return checkCoverCommand(type === 'window', body);
}

function checkCoverCommand(isWindow: boolean, body: Record<string, unknown>): CommandCheck {
  const { position, stop, force } = body;
  if (force !== undefined && typeof force !== 'boolean') return { ok: false, message: '"force" must be a boolean' };
  if (position !== undefined && stop !== undefined) {
    return { ok: false, message: 'give either "position" or "stop", not both' };
  }
  if (stop !== undefined) {
    return stop === true ? { ok: true, command: { stop: true } } : { ok: false, message: '"stop" must be true' };
  }
  if (position === undefined) return { ok: false, message: 'expected {"position": 0..100} or {"stop": true}' };
  if (typeof position !== 'number' || !Number.isFinite(position) || position < 0 || position > 100) {
    return { ok: false, message: '"position" must be a number from 0 to 100' };
  }
  // Gateways work in whole percent; a fractional position is rounded, not refused.
  const rounded = Math.round(position);
  // `force` only means something to a window's rain sensor; covers ignore it.
  return { ok: true, command: isWindow && force === true ? { position: rounded, force: true } : { position: rounded } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
