/**
 * Validation of everything an MQTT gateway publishes (docs/gateway-protocol.md), translated
 * to the neutral types of gateway/types.ts (wire names such as `rain_sensor` stop here).
 * Unknown fields are ignored for forward compatibility; a known field of the wrong type or
 * range rejects the whole payload, so invalid data never changes the plugin's view.
 *
 * Hand-written rather than a schema library: this runs for every message of every MQTT gateway,
 * and zod alone costs a Homebridge process ~13 MiB (docs/performance.md, issue 18). The reason
 * for a refusal names the first bad field in payload order (`0.type: Invalid option: …`).
 */
import { DEVICE_TYPES, GATEWAY_ERROR_CODES, MEASURES } from '../types.js';
import type { DeviceDescriptor, DeviceState, GatewayErrorCode, GatewayInfo, Measure, Weather } from '../types.js';

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Upper bound on one payload; a gateway with thousands of devices stays far below it. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Reads one value found at `path` (dotted, '' for the whole payload); throws `Invalid` if it is not acceptable. */
type Reader<T> = (value: unknown, path: string) => T;

class Invalid extends Error {
  constructor(path: string, problem: string) {
    super(path === '' ? problem : `${path}: ${problem}`);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return typeof value;
}

function expected(what: string, value: unknown, path: string): never {
  throw new Invalid(path, `Invalid input: expected ${what}, received ${kindOf(value)}`);
}

const at = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

const boolean: Reader<boolean> = (value, path) => (typeof value === 'boolean' ? value : expected('boolean', value, path));

function finite(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : expected('number', value, path);
}

function number(min: number, max: number): Reader<number> {
  return (value, path) => {
    const n = finite(value, path);
    if (n < min) throw new Invalid(path, `Too small: expected number to be >=${min}`);
    if (n > max) throw new Invalid(path, `Too big: expected number to be <=${max}`);
    return n;
  };
}

function integer(min: number): Reader<number> {
  return (value, path) => {
    const n = finite(value, path);
    if (!Number.isInteger(n)) throw new Invalid(path, 'Invalid input: expected int, received number');
    if (n > Number.MAX_SAFE_INTEGER) throw new Invalid(path, `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
    if (n < Number.MIN_SAFE_INTEGER) throw new Invalid(path, `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
    if (n < min) throw new Invalid(path, `Too small: expected number to be >=${min}`);
    return n;
  };
}

function text(max: number, min = 0): Reader<string> {
  return (value, path) => {
    if (typeof value !== 'string') return expected('string', value, path);
    if (value.length > max) throw new Invalid(path, `Too big: expected string to have <=${max} characters`);
    if (value.length < min) throw new Invalid(path, `Too small: expected string to have >=${min} characters`);
    return value;
  };
}

function oneOf<const T extends string>(options: readonly T[]): Reader<T> {
  const problem = `Invalid option: expected one of ${options.map((o) => JSON.stringify(o)).join('|')}`;
  return (value, path) => {
    if ((options as readonly unknown[]).includes(value)) return value as T;
    throw new Invalid(path, problem);
  };
}

function list<T>(item: Reader<T>, max: number): Reader<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return expected('array', value, path);
    if (value.length > max) throw new Invalid(path, `Too big: expected array to have <=${max} items`);
    return value.map((v: unknown, i) => item(v, at(path, i)));
  };
}

type Fields = Record<string, Reader<unknown>>;
type Read<F extends Fields> = { [K in keyof F]: F[K] extends Reader<infer V> ? V : never };

/**
 * An object with `required` fields, then `optional` ones, checked in that order (the order the
 * protocol lists them in); other keys are dropped, absent optional ones stay absent.
 */
function shape<R extends Fields, O extends Fields>(required: R, optional: O): Reader<Read<R> & Partial<Read<O>>> {
  const mandatory = Object.entries(required);
  const extra = Object.entries(optional);
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return expected('object', value, path);
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, read] of mandatory) out[key] = read(input[key], at(path, key));
    for (const [key, read] of extra) {
      const v = input[key];
      if (v !== undefined) out[key] = read(v, at(path, key));
    }
    return out as Read<R> & Partial<Read<O>>;
  };
}

const percent = number(0, 100);

const onlineState = shape({ state: oneOf(['online', 'offline']) }, {});

const info = shape(
  { protocol: integer(1), gateway: shape({ id: text(128, 1) }, { model: text(128), firmware: text(64) }) },
  {},
);

const deviceId: Reader<string> = (value, path) => {
  if (typeof value !== 'string') return expected('string', value, path);
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
  let value: V;
  try {
    value = read(json, '');
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
  return { ok: true, value: map(value) };
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
