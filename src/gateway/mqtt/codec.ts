/**
 * Validation of everything an MQTT gateway publishes (docs/gateway-protocol.md), translated
 * to the neutral types of gateway/types.ts (wire names such as `rain_sensor` stop here).
 * Unknown fields are ignored for forward compatibility; a known field of the wrong type or
 * range rejects the whole payload, so invalid data never changes the plugin's view.
 */
import { z } from 'zod';
import { DEVICE_TYPES, GATEWAY_ERROR_CODES, MEASURES } from '../types.js';
import type { DeviceDescriptor, DeviceState, GatewayErrorCode, GatewayInfo, Weather } from '../types.js';

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Upper bound on one payload; a gateway with thousands of devices stays far below it. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

const percent = z.number().finite().min(0).max(100);
const text = (max: number) => z.string().max(max);

const onlineState = z.object({ state: z.enum(['online', 'offline']) });

const info = z.object({
  protocol: z.number().int().min(1),
  gateway: z.object({ id: text(128).min(1), model: text(128).optional(), firmware: text(64).optional() }),
});

const descriptor = z.object({
  id: z.string().regex(DEVICE_ID_PATTERN).refine((id) => id !== 'bridge', { message: '"bridge" is reserved' }),
  type: z.enum(DEVICE_TYPES),
  name: text(200).min(1),
  room: text(200).optional(),
  model: text(128).optional(),
  serial: text(128).optional(),
  firmware: text(64).optional(),
  features: z
    .object({
      rain_sensor: z.boolean().optional(),
      battery: z.boolean().optional(),
      measures: z.array(z.enum(MEASURES)).max(MEASURES.length).optional(),
    })
    .optional(),
});

const devices = z.array(descriptor).max(5000).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const d of list) {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', message: `duplicate device id "${d.id}"` });
    seen.add(d.id);
  }
});

const weather = z.object({
  temperature: z.number().finite().min(-60).max(70).optional(),
  wind_speed: z.number().finite().min(0).max(100).optional(),
  rain: z.boolean().optional(),
});

const deviceState = z.object({
  position: percent.optional(),
  target: percent.optional(),
  motion: z.enum(['opening', 'closing', 'stopped']).optional(),
  obstructed: z.boolean().optional(),
  rain: z.boolean().optional(),
  temperature: z.number().finite().min(-60).max(100).optional(),
  humidity: percent.optional(),
  co2: z.number().finite().min(0).max(100000).optional(),
  lux: z.number().finite().min(0).max(200000).optional(),
  away: z.boolean().optional(),
  battery: percent.optional(),
});

/** A gateway's answer on `<base>/<id>/response`, as the protocol has it (docs/gateway-protocol.md). */
export type GatewayResponse =
  | { transaction: string; status: 'ok' }
  | { transaction: string; status: 'error'; error: GatewayErrorCode; message: string };

// Read leniently: an error answer without its code or message still settles the command.
const response = z.object({
  transaction: text(200).min(1),
  status: z.enum(['ok', 'error']),
  error: z.enum(GATEWAY_ERROR_CODES).optional(),
  message: text(1000).optional(),
});
export type ReceivedResponse = z.infer<typeof response>;

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

function decode<S extends z.ZodType, T>(schema: S, payload: Buffer | string, map: (v: z.infer<S>) => T): Decoded<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload of ${size} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `${where}${issue?.message ?? 'invalid payload'}` };
  }
  return { ok: true, value: map(parsed.data) };
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
  decode(deviceState, p, (v) => compact({ ...v }) as DeviceState);
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
