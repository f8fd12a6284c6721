/**
 * Payload generators for fuzzing the gateway contract (docs/gateway-protocol.md), written
 * from the protocol text rather than from the codec, so the codec is checked against an
 * independent reading of the contract:
 * - `valid*` arbitraries carry the value the bridge must decode them to;
 * - `invalid*` arbitraries are wrong by construction (wrong type, out of range, bad shape);
 * - `noise` is anything at all (random bytes, broken or arbitrary JSON): no expectation
 *   about validity, only that nothing breaks and that the decoded value (if any) is sound.
 */
import fc from 'fast-check';
import type { DeviceDescriptor, DeviceState, GatewayInfo, Weather } from '../../../src/gateway/types.js';

export const ONE_MIB = 1024 * 1024;

export type PayloadKind = 'bridgeState' | 'info' | 'devices' | 'weather' | 'response' | 'state' | 'availability';

export interface ValidPayload<T> {
  text: string;
  expected: T;
}

// ---------------------------------------------------------------- building blocks

const DEVICE_TYPES = ['window', 'blind', 'shutter', 'awning', 'sensor', 'departure_switch'] as const;
const MEASURES = ['temperature', 'humidity', 'co2', 'lux'] as const;
const ERROR_CODES = ['unknown_device', 'invalid', 'unreachable', 'rain', 'busy', 'internal'] as const;

/** A finite number in [min, max]: integers, doubles and the bounds themselves. */
function inRange(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(min, max),
    fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  );
}

/** JSON number text just outside [min, max] (or far outside), or not finite once parsed. */
function outOfRange(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.double({ min: max, max: 1e308, noNaN: true, noDefaultInfinity: true, minExcluded: true }).map(String),
      fc.double({ min: -1e308, max: min, noNaN: true, noDefaultInfinity: true, maxExcluded: true }).map(String),
      fc.constantFrom(String(max + 0.001), String(min - 0.001), String(max + 1), String(min - 1), '1e400', '-1e400'),
    )
    // -0 is "below" 0 for fast-check but prints as 0
    .filter((text) => !(Number(text) >= min && Number(text) <= max));
}

/** Strings of at most `max` UTF-16 units (the protocol's length limits), unicode included. */
function textUpTo(max: number, min = 0): fc.Arbitrary<string> {
  return fc
    .oneof(fc.string({ minLength: min, maxLength: Math.min(max, 40) }), fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 20) }), fc.constant('x'.repeat(max)))
    .filter((s) => s.length >= min && s.length <= max);
}

function textOver(max: number): fc.Arbitrary<string> {
  return fc.integer({ min: max + 1, max: max + 50 }).map((n) => 'y'.repeat(n));
}

const JSON_TYPES_OTHER_THAN: Record<'number' | 'string' | 'boolean' | 'object', fc.Arbitrary<string>> = {
  number: fc.constantFrom('"35"', 'true', 'null', '{}', '[]', '"NaN"'),
  string: fc.constantFrom('1', 'true', 'null', '{}', '[]'),
  boolean: fc.constantFrom('"true"', '"false"', '1', '0', 'null', '{}', '[]'),
  object: fc.constantFrom('1', '"x"', 'true', 'null', '[]'),
};

/** Unknown fields a newer gateway might add (ignored), including prototype-ish keys. */
const extraFields: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x-extra', 'version'), fc.string({ maxLength: 8 })),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
);

/** JSON text of `known` fields plus unknown `extra` fields (known fields win). */
function objectText(known: Record<string, unknown>, extra: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(extra)) if (!(k in known)) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(known)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

/** Replaces the value of `field` in a flat JSON object text with raw JSON text. */
function withRawField(known: Record<string, unknown>, field: string, raw: string): string {
  const rest = Object.entries(known)
    .filter(([k, v]) => k !== field && v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${[...rest, `${JSON.stringify(field)}:${raw}`].join(',')}}`;
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------- valid payloads

export const validOnlineState: fc.Arbitrary<ValidPayload<boolean>> = fc
  .tuple(fc.constantFrom('online', 'offline'), extraFields)
  .map(([state, extra]) => ({ text: objectText({ state }, extra), expected: state === 'online' }));

const stateFields = {
  position: inRange(0, 100),
  target: inRange(0, 100),
  motion: fc.constantFrom('opening', 'closing', 'stopped'),
  obstructed: fc.boolean(),
  rain: fc.boolean(),
  temperature: inRange(-60, 100),
  humidity: inRange(0, 100),
  co2: inRange(0, 100000),
  lux: inRange(0, 200000),
  away: fc.boolean(),
  battery: inRange(0, 100),
};
type StateField = keyof typeof stateFields;
const STATE_FIELDS = Object.keys(stateFields) as StateField[];

export const validDeviceState: fc.Arbitrary<ValidPayload<DeviceState>> = fc
  .tuple(fc.record(stateFields, { requiredKeys: [] }), extraFields)
  .map(([known, extra]) => ({ text: objectText(known, extra), expected: definedOnly(known) as DeviceState }));

export const validWeather: fc.Arbitrary<ValidPayload<Weather>> = fc
  .tuple(fc.record({ temperature: inRange(-60, 70), wind_speed: inRange(0, 100), rain: fc.boolean() }, { requiredKeys: [] }), extraFields)
  .map(([known, extra]) => ({
    text: objectText(known, extra),
    expected: definedOnly({ temperature: known.temperature, windSpeed: known.wind_speed, rain: known.rain }),
  }));

export const validInfo: fc.Arbitrary<ValidPayload<GatewayInfo>> = fc
  .tuple(
    fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1000 })),
    fc.record({ id: textUpTo(128, 1), model: textUpTo(128), firmware: textUpTo(64) }, { requiredKeys: ['id'] }),
    extraFields,
  )
  .map(([protocol, gateway, extra]) => ({
    text: objectText({ protocol, gateway }, extra),
    expected: definedOnly({ protocol, id: gateway.id, model: gateway.model, firmware: gateway.firmware }),
  }));

export const deviceId: fc.Arbitrary<string> = fc
  .stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
  .filter((id) => id !== 'bridge');

export function validDescriptor(id: fc.Arbitrary<string> = deviceId, type: fc.Arbitrary<(typeof DEVICE_TYPES)[number]> = fc.constantFrom(...DEVICE_TYPES)) {
  return fc
    .tuple(
      id,
      type,
      fc.record(
        { name: textUpTo(200, 1), room: textUpTo(200), model: textUpTo(128), serial: textUpTo(128), firmware: textUpTo(64) },
        { requiredKeys: ['name'] },
      ),
      fc.option(
        fc.record(
          { rain_sensor: fc.boolean(), battery: fc.boolean(), measures: fc.array(fc.constantFrom(...MEASURES), { maxLength: 4 }) },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
      extraFields,
    )
    .map(([id, type, texts, features, extra]) => {
      const known = { id, type, ...texts, features };
      // The wire's `rain_sensor` is `rainSensor` in the neutral contract (gateway/types.ts).
      const { rain_sensor: rainSensor, ...otherFeatures } = features ?? {};
      const expected = definedOnly({ ...known, features: definedOnly({ rainSensor, ...otherFeatures }) }) as DeviceDescriptor;
      return { known, extra, expected };
    });
}

function devicesPayload(list: Array<{ known: Record<string, unknown>; extra: Record<string, unknown>; expected: DeviceDescriptor }>): ValidPayload<DeviceDescriptor[]> {
  return { text: `[${list.map((d) => objectText(d.known, d.extra)).join(',')}]`, expected: list.map((d) => d.expected) };
}

export const validDevices: fc.Arbitrary<ValidPayload<DeviceDescriptor[]>> = fc
  .uniqueArray(validDescriptor(), { maxLength: 8, selector: (d) => d.known.id })
  .map(devicesPayload);

/**
 * A valid device list that keeps the given devices (same id and type; names, rooms and
 * features may change) and adds a few others, so a fuzz run keeps its targets.
 */
export function validDevicesKeeping(keep: ReadonlyArray<{ id: string; type: (typeof DEVICE_TYPES)[number] }>): fc.Arbitrary<ValidPayload<DeviceDescriptor[]>> {
  const kept = fc.tuple(...keep.map((k) => validDescriptor(fc.constant(k.id), fc.constant(k.type))));
  const others = fc.uniqueArray(
    validDescriptor(deviceId.filter((id) => !keep.some((k) => k.id === id))),
    { maxLength: 3, selector: (d) => d.known.id },
  );
  return fc.tuple(kept, others).map(([a, b]) => devicesPayload([...a, ...b]));
}

export const validResponse = fc
  .tuple(
    fc.record(
      { transaction: textUpTo(200, 1), status: fc.constantFrom('ok', 'error'), error: fc.constantFrom(...ERROR_CODES), message: textUpTo(1000) },
      { requiredKeys: ['transaction', 'status'] },
    ),
    extraFields,
  )
  .map(([known, extra]) => ({ text: objectText(known, extra), expected: definedOnly(known) }));

// ---------------------------------------------------------------- invalid payloads

/** JSON text that is not an object (every object topic must refuse it). */
const notAnObject = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1', '"online"', '""', '[]', '[{}]'),
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
);

const numberRanges: Partial<Record<StateField, [number, number]>> = {
  position: [0, 100],
  target: [0, 100],
  temperature: [-60, 100],
  humidity: [0, 100],
  co2: [0, 100000],
  lux: [0, 200000],
  battery: [0, 100],
};

/** A state payload with exactly one known field wrong (type or range); the rest valid. */
export const invalidDeviceState: fc.Arbitrary<string> = fc.oneof(
  notAnObject,
  fc
    .tuple(fc.record(stateFields, { requiredKeys: [] }), fc.constantFrom(...STATE_FIELDS), fc.nat())
    .chain(([known, field]) => {
      const range = numberRanges[field];
      let bad: fc.Arbitrary<string>;
      if (range) bad = fc.oneof(outOfRange(range[0], range[1]), JSON_TYPES_OTHER_THAN.number);
      else if (field === 'motion') bad = fc.oneof(fc.constantFrom('"up"', '"Opening"', '""', '1', 'null', 'true'));
      else bad = JSON_TYPES_OTHER_THAN.boolean;
      return bad.map((raw) => withRawField(known, field, raw));
    }),
);

export const invalidOnlineState: fc.Arbitrary<string> = fc.oneof(
  notAnObject,
  fc.constantFrom('{}', '{"state":"on"}', '{"state":"Online"}', '{"state":1}', '{"state":null}', '{"state":true}', '{"online":true}'),
  fc.string({ maxLength: 10 }).filter((s) => s !== 'online' && s !== 'offline').map((s) => JSON.stringify({ state: s })),
);

export const invalidWeather: fc.Arbitrary<string> = fc.oneof(
  notAnObject,
  fc
    .tuple(fc.record({ temperature: inRange(-60, 70), wind_speed: inRange(0, 100), rain: fc.boolean() }, { requiredKeys: [] }), fc.constantFrom('temperature', 'wind_speed', 'rain'))
    .chain(([known, field]) => {
      const bad =
        field === 'temperature'
          ? fc.oneof(outOfRange(-60, 70), JSON_TYPES_OTHER_THAN.number)
          : field === 'wind_speed'
            ? fc.oneof(outOfRange(0, 100), JSON_TYPES_OTHER_THAN.number)
            : JSON_TYPES_OTHER_THAN.boolean;
      return bad.map((raw) => withRawField(known, field, raw));
    }),
);

export const invalidInfo: fc.Arbitrary<string> = fc.oneof(
  notAnObject,
  fc.constantFrom(
    '{}',
    '{"protocol":1}',
    '{"gateway":{"id":"gw"}}',
    '{"protocol":0,"gateway":{"id":"gw"}}',
    '{"protocol":-1,"gateway":{"id":"gw"}}',
    '{"protocol":1.5,"gateway":{"id":"gw"}}',
    '{"protocol":"1","gateway":{"id":"gw"}}',
    '{"protocol":1e400,"gateway":{"id":"gw"}}',
    '{"protocol":1,"gateway":{"id":""}}',
    '{"protocol":1,"gateway":{"id":7}}',
    '{"protocol":1,"gateway":"gw"}',
    '{"protocol":1,"gateway":null}',
  ),
  textOver(128).map((id) => JSON.stringify({ protocol: 1, gateway: { id } })),
  textOver(128).map((model) => JSON.stringify({ protocol: 1, gateway: { id: 'gw', model } })),
  textOver(64).map((firmware) => JSON.stringify({ protocol: 1, gateway: { id: 'gw', firmware } })),
);

/** A device list with one broken descriptor (or a broken list) among valid ones. */
export const invalidDevices: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', '{}', '{"id":"a","type":"window","name":"A"}', '"[]"', '1', '[null]', '[[]]', '[1]'),
  fc
    .tuple(
      fc.uniqueArray(validDescriptor(), { maxLength: 4, selector: (d) => d.known.id }),
      fc.oneof(
        fc.constantFrom(
          { id: 'bridge', type: 'window', name: 'B' },
          { id: '', type: 'window', name: 'B' },
          { id: 'has space', type: 'window', name: 'B' },
          { id: 'slash/id', type: 'window', name: 'B' },
          { id: 'plus+', type: 'window', name: 'B' },
          { id: 'é', type: 'window', name: 'B' },
          { id: 'a'.repeat(65), type: 'window', name: 'B' },
          { id: 'ok', type: 'door', name: 'B' },
          { id: 'ok', type: 'Window', name: 'B' },
          { id: 'ok', type: 'window', name: '' },
          { id: 'ok', type: 'window' },
          { id: 'ok', name: 'B' },
          { type: 'window', name: 'B' },
          { id: 7, type: 'window', name: 'B' },
          { id: 'ok', type: 'window', name: 'B', room: 5 },
          { id: 'ok', type: 'window', name: 'B', features: [] },
          { id: 'ok', type: 'window', name: 'B', features: { rain_sensor: 'yes' } },
          { id: 'ok', type: 'window', name: 'B', features: { battery: 1 } },
          { id: 'ok', type: 'sensor', name: 'B', features: { measures: ['pressure'] } },
          { id: 'ok', type: 'sensor', name: 'B', features: { measures: 'co2' } },
          { id: 'ok', type: 'sensor', name: 'B', features: { measures: ['co2', 'co2', 'lux', 'lux', 'humidity'] } },
        ),
        textOver(200).map((name) => ({ id: 'ok', type: 'window', name })),
        textOver(200).map((room) => ({ id: 'ok', type: 'window', name: 'B', room })),
        textOver(128).map((serial) => ({ id: 'ok', type: 'window', name: 'B', serial })),
        textOver(64).map((firmware) => ({ id: 'ok', type: 'window', name: 'B', firmware })),
      ),
      fc.nat(),
    )
    .map(([valid, bad, at]) => {
      const items = valid.map((d) => objectText(d.known, d.extra)).filter((_, i) => (bad as { id?: unknown }).id !== valid[i]?.known.id);
      items.splice(at % (items.length + 1), 0, JSON.stringify(bad));
      return `[${items.join(',')}]`;
    }),
  // the same id twice
  fc.tuple(validDescriptor(), validDescriptor()).map(([a, b]) => `[${objectText(a.known, a.extra)},${objectText({ ...b.known, id: a.known.id }, b.extra)}]`),
);

export const invalidResponse: fc.Arbitrary<string> = fc.oneof(
  notAnObject,
  fc.constantFrom(
    '{}',
    '{"status":"ok"}',
    '{"transaction":"t"}',
    '{"transaction":"","status":"ok"}',
    '{"transaction":5,"status":"ok"}',
    '{"transaction":"t","status":"maybe"}',
    '{"transaction":"t","status":"OK"}',
    '{"transaction":"t","status":"error","error":"flood"}',
    '{"transaction":"t","status":"error","error":5}',
    '{"transaction":"t","status":"ok","message":5}',
    '{"transaction":null,"status":"ok"}',
  ),
  textOver(200).map((transaction) => JSON.stringify({ transaction, status: 'ok' })),
  textOver(1000).map((message) => JSON.stringify({ transaction: 't', status: 'error', error: 'busy', message })),
);

// ---------------------------------------------------------------- noise and huge payloads

/** Anything: random bytes, random text, arbitrary JSON, JSON-looking junk. No expectation. */
export const noise: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.anything({ maxDepth: 3 }).map((v) => Buffer.from(safeStringify(v))),
  fc
    .tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.constantFrom('', '}', ']', ',', 'garbage', '\u0000', '\uFFFF', 'NaN'))
    .map(([v, cut, tail]) => {
      const text = JSON.stringify(v) ?? 'null';
      return Buffer.from(text.slice(0, cut % (text.length + 1)) + tail);
    }),
  fc.constantFrom(
    '{"position":NaN}',
    '{"position":Infinity}',
    '{"position":1e400}',
    '{"position":-0}',
    '{"position":1e-400}',
    '{"position":100.00000000000001}',
    "{'state':'online'}",
    '{"state":"online",}',
    '{"state":"online"}{"state":"offline"}',
    '\uFEFF{"state":"online"}',
    ' {"state":"offline"} ',
    '{"__proto__":{"position":5},"position":5}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '[' .repeat(5000),
    '{"a":'.repeat(3000),
  ).map((s) => Buffer.from(s)),
);

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'undefined';
  } catch {
    return String(v);
  }
}

/** A payload over 1 MiB that would be valid if it were not so big. */
export function hugeValid(valid: fc.Arbitrary<{ text: string }>, kind: PayloadKind): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.integer({ min: 1, max: 4096 }), fc.constantFrom('ascii', 'utf8')).map(([v, over, charset]) => {
    if (kind === 'devices') {
      // pad inside the first descriptor's unknown field, or add one descriptor if the list is empty
      const pad = padding(ONE_MIB + over, charset === 'utf8');
      const body = v.text === '[]' ? `[{"id":"pad","type":"window","name":"P","pad":"${pad}"}]` : `[{"pad":"${pad}",${v.text.slice(2)}`;
      return Buffer.from(body);
    }
    return Buffer.from(`{"pad":"${padding(ONE_MIB + over, charset === 'utf8')}",${v.text.slice(1)}`);
  });
}

/** A string whose UTF-8 encoding is at least `bytes` long while its length stays under 1 Mi when multi-byte. */
function padding(bytes: number, multiByte: boolean): string {
  return multiByte ? 'é'.repeat(Math.ceil(bytes / 2)) : 'x'.repeat(bytes);
}

export const VALID: Record<PayloadKind, fc.Arbitrary<{ text: string; expected: unknown }>> = {
  bridgeState: validOnlineState,
  availability: validOnlineState,
  info: validInfo,
  devices: validDevices,
  weather: validWeather,
  response: validResponse,
  state: validDeviceState,
};

export const INVALID: Record<PayloadKind, fc.Arbitrary<string>> = {
  bridgeState: invalidOnlineState,
  availability: invalidOnlineState,
  info: invalidInfo,
  devices: invalidDevices,
  weather: invalidWeather,
  response: invalidResponse,
  state: invalidDeviceState,
};
