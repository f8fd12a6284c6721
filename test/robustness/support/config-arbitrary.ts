/**
 * Platform configs for fuzzing: valid ones generated from config.schema.json plus the
 * semantic rules the schema cannot express (unique base topics, Google credentials when
 * enabled, min below max), and single mutations that make a valid config invalid by
 * construction, each naming the field a problem must point at.
 */
import { DEFAULT_ROOM_SETTINGS, checkRoomSettings, resolveRoomSettings, type RoomSettings, type RoomSettingsOverrides } from '../../../src/climate/settings.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean;
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: Json[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

export const SCHEMA = (JSON.parse(readFileSync(new URL('../../../config.schema.json', import.meta.url), 'utf8')) as { schema: SchemaNode }).schema;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = Array<string | number>;

/** `gateways[0].url`, the way validation problems name fields. */
export function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(platform block)';
}

function stringArb(node: SchemaNode): fc.Arbitrary<string> {
  const min = node.minLength ?? 0;
  const max = node.maxLength ?? 80;
  const base = node.pattern ? fc.stringMatching(new RegExp(node.pattern)) : fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: fc.constantFrom('a', 'Z', '0', ' ', '/', 'é', '"', '\\', '-', '_') });
  return base.filter((s) => s.length >= min && s.length <= max);
}

function numberArb(node: SchemaNode): fc.Arbitrary<number> {
  const min = node.minimum ?? -1e6;
  const max = node.maximum ?? 1e6;
  if (node.type === 'integer') return fc.integer({ min, max });
  return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)));
}

/** Any value the schema node accepts (schema rules only). */
export function fromSchema(node: SchemaNode, depth = 0): fc.Arbitrary<Json> {
  if (node.enum) return fc.constantFrom(...node.enum);
  switch (node.type) {
    case 'string':
      return stringArb(node);
    case 'integer':
    case 'number':
      return numberArb(node);
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(node.items ?? {}, depth + 1), { minLength: node.minItems ?? 0, maxLength: Math.min(node.maxItems ?? 4, 4) });
    case 'object': {
      const props = node.properties ?? {};
      const shape: Record<string, fc.Arbitrary<Json>> = {};
      for (const [k, child] of Object.entries(props)) shape[k] = fromSchema(child, depth + 1);
      // A required key with a default may be left out: validation fills it in.
      const required = (node.required ?? []).filter((k) => props[k]?.default === undefined);
      return fc.record(shape, { requiredKeys: required }) as fc.Arbitrary<Json>;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  }
}

type Obj = { [key: string]: Json };
const asObj = (v: Json | undefined): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);

/** The rules validate.ts adds on top of the schema, applied so the result is valid. */
const HOMEKIT_ONLY = ['setupCode', 'host', 'port', 'devices'];
const MQTT_ONLY = ['url', 'baseTopic', 'username', 'password', 'tls', 'commandTimeoutMs'];

function makeSemanticallyValid(config: Obj): Obj {
  const seen = new Set<string>();
  const names = new Set<string>();
  const hosts = new Set<string>();
  const gateways = (config.gateways as Obj[]).filter((g) => {
    if (g.type === 'klf200') {
      // the schema's if/then (host and password required), the KLF transport's checks
      const host = typeof g.host === 'string' ? g.host.toLowerCase() : undefined;
      const serials = Array.isArray(g.devices) ? g.devices.map((d) => asObj(d)?.serial) : [];
      if (host === undefined || hosts.has(host) || typeof g.password !== 'string' || Buffer.byteLength(g.password) > 32) return false;
      if (g.ca !== undefined || new Set(serials).size !== serials.length) return false;
      if (serials.some((x) => typeof x !== 'string' || !/^[0-9a-f]{16}$/.test(x))) return false;
      hosts.add(host);
      return true;
    }
    if (g.type === 'homekit') {
      // Fields of the other transport are ignored for it: leave them out.
      for (const k of MQTT_ONLY) delete g[k];
      const key = String(g.name ?? 'Home').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
      if (names.has(key)) return false;
      names.add(key);
      if (g.port !== undefined && g.host === undefined) delete g.port;
      const serials = new Set<string>();
      if (Array.isArray(g.devices)) g.devices = (g.devices as Obj[]).filter((d) => !serials.has(String(d.serial).toLowerCase()) && Boolean(serials.add(String(d.serial).toLowerCase())));
      return true;
    }
    for (const k of HOMEKIT_ONLY) delete g[k];
    const topic = String(g.baseTopic ?? 'velux');
    if (topic.startsWith('/') || topic.endsWith('/') || seen.has(topic)) return false;
    seen.add(topic);
    return true;
  });
  if (gateways.length === 0) gateways.push({ name: 'Home', url: 'mqtt://127.0.0.1:1', baseTopic: 'velux' });
  config.gateways = gateways;
  const google = asObj(config.google);
  if (google?.enabled === true) {
    google.projectId ??= 'velux-home';
    google.clientId ??= 'client-0001';
    google.clientSecret ??= 'secret-0123456789abcdef';
  }
  const climate = asObj(config.climate);
  // The combined room-setting rules (checkRoomSettings) apply to the defaults and to each room
  // with the defaults applied: drop a broken pair until both are satisfied.
  const PAIRS: Record<string, string[]> = {
    temperatureMin: ['temperatureMin', 'temperatureMax'],
    outdoorTemperatureMin: ['outdoorTemperatureMin', 'outdoorTemperatureMax'],
    minAiringMinutes: ['minAiringMinutes', 'maxAiringMinutes'],
    co2Hysteresis: ['co2Hysteresis', 'co2Max'],
  };
  const repair = (s: Obj | undefined, base: () => RoomSettings, defaultsToo?: Obj) => {
    if (!s) return;
    for (let round = 0; round < 8; round++) {
      const problems = checkRoomSettings(resolveRoomSettings(base(), s as RoomSettingsOverrides));
      if (problems.length === 0) return;
      for (const p of problems) {
        for (const key of PAIRS[p.key] ?? [p.key]) {
          delete s[key];
          if (round > 2 && defaultsToo) delete defaultsToo[key];
        }
      }
    }
  };
  const defaultsObj = asObj(climate?.defaults);
  repair(defaultsObj, () => DEFAULT_ROOM_SETTINGS);
  const defaults = () => resolveRoomSettings(DEFAULT_ROOM_SETTINGS, (defaultsObj ?? {}) as RoomSettingsOverrides);
  if (climate && Array.isArray(climate.rooms)) {
    const rooms = new Set<string>();
    climate.rooms = (climate.rooms as Obj[]).filter((r) => !rooms.has(String(r.room)) && rooms.add(String(r.room)));
    for (const r of climate.rooms as Obj[]) repair(r, defaults, defaultsObj);
    // A defaults key dropped for a later room may break an earlier one: one more pass.
    for (const r of climate.rooms as Obj[]) repair(r, defaults);
  }
  return config;
}

/** A valid platform block, as Homebridge hands it over (with `platform`, sometimes `_bridge`). */
export const validConfig: fc.Arbitrary<Obj> = fc
  .tuple(fromSchema(SCHEMA), fc.option(fc.record({ username: fc.constant('0E:11:22:33:44:55'), port: fc.integer({ min: 1, max: 65535 }) }), { nil: undefined }))
  .map(([config, bridge]) => {
    const block = makeSemanticallyValid({ platform: 'VeluxClimate', ...(structuredClone(config) as Obj) });
    if (bridge) block._bridge = bridge;
    return block;
  });

// ---------------------------------------------------------------- mutations

export interface Mutation {
  config: Obj;
  /** The field a problem must name. */
  field: string;
  what: string;
}

interface Site {
  path: Path;
  node: SchemaNode;
  value: Json;
}

function sitesOf(value: Json, node: SchemaNode, path: Path = []): Site[] {
  const out: Site[] = [{ path, node, value }];
  if (node.type === 'object' && asObj(value)) {
    for (const [k, v] of Object.entries(value as Obj)) {
      const child = node.properties?.[k];
      if (child) out.push(...sitesOf(v, child, [...path, k]));
    }
  }
  if (node.type === 'array' && Array.isArray(value) && node.items) value.forEach((v, i) => out.push(...sitesOf(v, node.items!, [...path, i])));
  return out;
}

function setAt(root: Obj, path: Path, value: Json | undefined): Obj {
  const copy = structuredClone(root);
  if (path.length === 0) return value as Obj;
  let at: Json = copy;
  for (const p of path.slice(0, -1)) at = (at as Record<string | number, Json>)[p]!;
  const last = path[path.length - 1]!;
  if (value === undefined) delete (at as Record<string | number, Json>)[last];
  else (at as Record<string | number, Json>)[last] = value;
  return copy;
}

const WRONG_TYPE: Record<NonNullable<SchemaNode['type']>, Json[]> = {
  string: [5, true, null, {}, []],
  integer: [1.5, '5', true, null, [], {}],
  number: ['5', true, null, [], {}],
  boolean: ['true', 1, 0, null, [], {}],
  object: [[], 'x', 1, null, true],
  array: [{}, 'x', 1, null, true],
};

/** Strings a pattern must refuse (tried in order; the first that does not match is used). */
const NOT_MATCHING = ['', ' ', 'a b', 'http://example.com', 'mqtt://', '#', '+', 'velux/#', '12', 'abc', '25:00', '7:00', 'X-Project', '1project', 'https:// x', '\u0000'];

/** Every way to break one field of a valid config, with the field the problem must name. */
function mutationsAt(config: Obj, site: Site): Array<Omit<Mutation, 'config'> & { apply: () => Obj }> {
  const { path, node, value } = site;
  const field = fieldName(path);
  const out: Array<Omit<Mutation, 'config'> & { apply: () => Obj }> = [];
  if (path.length > 0 && node.type) {
    for (const wrong of WRONG_TYPE[node.type]) out.push({ field, what: `${field} = ${JSON.stringify(wrong)}`, apply: () => setAt(config, path, wrong) });
  }
  if ((node.type === 'integer' || node.type === 'number') && node.minimum !== undefined) {
    out.push({ field, what: `${field} below its minimum`, apply: () => setAt(config, path, node.minimum! - (node.type === 'integer' ? 1 : 0.5)) });
  }
  if ((node.type === 'integer' || node.type === 'number') && node.maximum !== undefined) {
    out.push({ field, what: `${field} above its maximum`, apply: () => setAt(config, path, node.maximum! + (node.type === 'integer' ? 1 : 0.5)) });
  }
  if (node.type === 'string' && node.pattern) {
    const re = new RegExp(node.pattern);
    const bad = NOT_MATCHING.find((s) => !re.test(s) && s.length >= (node.minLength ?? 0));
    if (bad !== undefined) out.push({ field, what: `${field} = ${JSON.stringify(bad)}`, apply: () => setAt(config, path, bad) });
  }
  if (node.enum) {
    out.push({ field, what: `${field} not one of its values`, apply: () => setAt(config, path, 'not-one-of-them') });
  }
  if (node.type === 'string' && node.maxLength !== undefined) {
    out.push({ field, what: `${field} too long`, apply: () => setAt(config, path, 'a'.repeat(node.maxLength! + 1)) });
  }
  if (node.type === 'string' && node.minLength) {
    out.push({ field, what: `${field} too short`, apply: () => setAt(config, path, '') });
  }
  if (node.type === 'object' && node.additionalProperties === false && asObj(value)) {
    const key = 'colour';
    out.push({ field: fieldName([...path, key]), what: `unknown ${fieldName([...path, key])}`, apply: () => setAt(config, [...path, key], 'red') });
  }
  if (node.type === 'object' && asObj(value)) {
    for (const key of node.required ?? []) {
      if (node.properties?.[key]?.default !== undefined) continue; // filled in by validation
      out.push({ field: fieldName([...path, key]), what: `missing ${fieldName([...path, key])}`, apply: () => setAt(config, [...path, key], undefined) });
    }
  }
  if (node.type === 'array' && node.minItems) {
    out.push({ field, what: `${field} empty`, apply: () => setAt(config, path, []) });
  }
  // the semantic rules
  if (path.length === 2 && path[0] === 'gateways') {
    const klf = asObj(value)?.type === 'klf200';
    // (baseTopic means nothing on a homekit gateway: it is dropped there, not refused)
    const homekit = asObj(value)?.type === 'homekit';
    if (klf) {
      out.push({ field: `${field}.host`, what: 'klf200 without host', apply: () => setAt(config, [...path, 'host'], undefined) });
    } else if (!homekit) {
      out.push({ field: `${field}.baseTopic`, what: 'baseTopic with a leading slash', apply: () => setAt(config, [...path, 'baseTopic'], '/velux') });
      out.push({ field: `${field}.baseTopic`, what: 'baseTopic with a trailing slash', apply: () => setAt(config, [...path, 'baseTopic'], 'velux/') });
    }
    const gateways = config.gateways as Obj[];
    const index = path[1] as number;
    if (gateways.length < 16) {
      out.push({
        field: `gateways[${gateways.length}].${klf ? 'host' : homekit ? 'name' : 'baseTopic'}`,
        what: `gateways[${index}] listed twice`,
        apply: () => setAt(config, ['gateways', gateways.length], structuredClone(gateways[index]!)),
      });
    }
  }
  if (field === 'google') {
    for (const key of ['projectId', 'clientId', 'clientSecret']) {
      out.push({
        field: `google.${key}`,
        what: `google enabled without ${key}`,
        apply: () => setAt(setAt(config, ['google', 'enabled'], true), ['google', key], undefined),
      });
    }
  }
  if (field === 'climate.defaults' || /^climate\.rooms\[\d+\]$/.test(field)) {
    out.push({
      field: `${field}.temperatureMin`,
      what: `${field} temperatureMin above temperatureMax`,
      apply: () => setAt(setAt(config, [...path, 'temperatureMin'], 30), [...path, 'temperatureMax'], 20),
    });
    out.push({
      field: `${field}.outdoorTemperatureMin`,
      what: `${field} outdoorTemperatureMin equal to outdoorTemperatureMax`,
      apply: () => setAt(setAt(config, [...path, 'outdoorTemperatureMin'], 10), [...path, 'outdoorTemperatureMax'], 10),
    });
  }
  if (/^climate\.rooms\[\d+\]$/.test(field)) {
    const rooms = (asObj(config.climate)!.rooms as Obj[]);
    if (rooms.length < 200) {
      out.push({
        field: `climate.rooms[${rooms.length}].room`,
        what: `${field} listed twice`,
        apply: () => setAt(config, ['climate', 'rooms', rooms.length], { room: rooms[path[2] as number]!.room! }),
      });
    }
  }
  return out;
}

/** A valid config with exactly one thing broken. */
export const mutatedConfig: fc.Arbitrary<Mutation> = validConfig.chain((config) => {
  const { platform: _p, _bridge: _b, ...ours } = config;
  const options = sitesOf(ours, SCHEMA).flatMap((site) => mutationsAt(config, site));
  return fc.constantFrom(...options).map((m) => ({ config: m.apply(), field: m.field, what: m.what }));
});
