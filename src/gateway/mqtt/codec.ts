/**
 * Validation of everything an MQTT gateway publishes (docs/gateway-protocol.md), translated
 * to the neutral types of gateway/types.ts (wire names such as `rain_sensor` stop here).
 * Unknown fields are ignored for forward compatibility; a known field of the wrong type or
 * range rejects the whole payload, so invalid data never changes the plugin's view.
 *
 * Hand-written readers (src/json-check.ts) rather than a schema library: this runs for every
 * message of every MQTT gateway. The reason for a refusal names the first bad field in payload
 * order (`0.type: Invalid option: …`).
 */
import { boolean, check, integer, Invalid, list, number, oneOf, shape, text, type Reader } from '../../json-check.js';
import { DEVICE_TYPES, GATEWAY_ERROR_CODES, MEASURES } from '../types.js';
import type { DeviceDescriptor, DeviceState, GatewayErrorCode, GatewayInfo, Measure, Weather } from '../types.js';

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Upper bound on one payload; a gateway with thousands of devices stays far below it. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

const percent = number(0, 100);

const onlineState = shape({ state: oneOf(['online', 'offline']) }, {});

const info = shape(
  { protocol: integer(1), gateway: shape({ id: text(128, 1) }, { model: text(128), firmware: text(64) }) },
  {},
);

const anyText = text(Number.POSITIVE_INFINITY);
const deviceId: Reader<string> = (input, path) => {
  const value = anyText(input, path);
  if (!DEVICE_ID_PATTERN.test(value)) throw new Invalid(path, `Invalid string: must match pattern ${String(DEVICE_ID_PATTERN)}`);
  if (value === 'bridge') throw new Invalid(path, '"bridge" is reserved');
  return value;
};

const descriptor = shape(
  { id: deviceId, type: oneOf(DEVICE_TYPES), name: text(200, 1) },
  {
    room: text(200),
    model: text(128),
    serial: text(128),
    firmware: text(64),
    features: shape({}, { rain_sensor: boolean, battery: boolean, measures: list<Measure>(oneOf(MEASURES), MEASURES.length) }),
  },
);

const devices: Reader<ReturnType<typeof descriptor>[]> = (value, path) => {
  const all = list(descriptor, 5000)(value, path);
  const seen = new Set<string>();
  for (const d of all) {
    if (seen.has(d.id)) throw new Invalid(path, `duplicate device id "${d.id}"`);
    seen.add(d.id);
  }
  return all;
};

const weather = shape({}, { temperature: number(-60, 70), wind_speed: number(0, 100), rain: boolean });

const deviceState: Reader<DeviceState> = shape(
  {},
  {
    position: percent,
    target: percent,
    motion: oneOf(['opening', 'closing', 'stopped']),
    obstructed: boolean,
    rain: boolean,
    temperature: number(-60, 100),
    humidity: percent,
    co2: number(0, 100000),
    lux: number(0, 200000),
    away: boolean,
    battery: percent,
  },
);

/** A gateway's answer on `<base>/<id>/response`, as the protocol has it (docs/gateway-protocol.md). */
export type GatewayResponse =
  | { transaction: string; status: 'ok' }
  | { transaction: string; status: 'error'; error: GatewayErrorCode; message: string };

// Read leniently: an error answer without its code or message still settles the command.
const response = shape(
  { transaction: text(200, 1), status: oneOf(['ok', 'error']) },
  { error: oneOf(GATEWAY_ERROR_CODES), message: text(1000) },
);
export type ReceivedResponse = { transaction: string; status: 'ok' | 'error'; error?: GatewayErrorCode; message?: string };

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

function decode<V, T>(read: Reader<V>, payload: Buffer | string, map: (v: V) => T): Decoded<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload of ${size} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  const result = check(read, json);
  return result.ok ? { ok: true, value: map(result.value) } : { ok: false, reason: result.invalid.message };
}

/** Drops keys whose value is undefined so state objects compare and serialise cleanly. */
function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

export const decodeOnlineState = (p: Buffer | string) => decode(onlineState, p, (v) => v.state === 'online');
export const decodeInfo = (p: Buffer | string): Decoded<GatewayInfo> =>
  decode(info, p, (v) => compact({ protocol: v.protocol, id: v.gateway.id, model: v.gateway.model, firmware: v.gateway.firmware }));
export const decodeDevices = (p: Buffer | string): Decoded<DeviceDescriptor[]> =>
  decode(devices, p, (list) =>
    list.map((d) => {
      const { rain_sensor: rainSensor, battery, measures } = d.features ?? {};
      return compact({ ...d, features: compact({ rainSensor, battery, measures }) }) as DeviceDescriptor;
    }),
  );
/** The wire form of a device list (`<base>/bridge/devices`), for gateways and emulators that publish one. */
export function encodeDevices(devices: readonly DeviceDescriptor[]): unknown[] {
  return devices.map(({ features: { rainSensor, ...features }, ...rest }) =>
    compact({ ...rest, features: compact({ rain_sensor: rainSensor, ...features }) }),
  );
}
export const decodeWeather = (p: Buffer | string): Decoded<Weather> =>
  decode(weather, p, (v) => compact({ temperature: v.temperature, windSpeed: v.wind_speed, rain: v.rain }));
export const decodeDeviceState = (p: Buffer | string): Decoded<DeviceState> =>
  decode(deviceState, p, (v) => v);
export const decodeResponse = (p: Buffer | string): Decoded<ReceivedResponse> => decode(response, p, (v) => v);

export type TopicKind =
  | { kind: 'bridgeState' }
  | { kind: 'info' }
  | { kind: 'devices' }
  | { kind: 'weather' }
  | { kind: 'response' }
  | { kind: 'state'; deviceId: string }
  | { kind: 'availability'; deviceId: string }
  | { kind: 'ignored' };

/** Classifies a topic under `<base>/`; our own `/set` and `/get` echoes and unknown topics are ignored. */
export function classifyTopic(baseTopic: string, topic: string): TopicKind {
  if (!topic.startsWith(`${baseTopic}/`)) return { kind: 'ignored' };
  const parts = topic.slice(baseTopic.length + 1).split('/');
  const [first, second] = parts;
  if (first === 'bridge' && parts.length === 2) {
    switch (second) {
      case 'state': return { kind: 'bridgeState' };
      case 'info': return { kind: 'info' };
      case 'devices': return { kind: 'devices' };
      case 'weather': return { kind: 'weather' };
      case 'response': return { kind: 'response' };
      default: return { kind: 'ignored' };
    }
  }
  if (first === undefined || first === 'bridge' || !DEVICE_ID_PATTERN.test(first)) return { kind: 'ignored' };
  if (parts.length === 1) return { kind: 'state', deviceId: first };
  if (parts.length === 2 && second === 'availability') return { kind: 'availability', deviceId: first };
  return { kind: 'ignored' };
}
