/**
 * config.schema.json (the settings form and start-up validation) against the climate policy's
 * own table of settings (src/climate/settings.ts): the same keys, types and ranges in
 * `climate.defaults` and in every `climate.rooms[]` entry, placeholders showing the real
 * defaults, every setting in the form's layout, and `validateConfig` refusing a value just
 * outside each numeric range. SETTINGS_RANGES is the engineering truth; the schema follows it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRoomSettings, DEFAULT_ROOM_SETTINGS, ROOM_SETTING_KEYS, SETTINGS_RANGES, type RoomSettings } from '../../src/climate/settings.js';
import { validateConfig } from '../../src/config/validate.js';

interface JsonSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  placeholder?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  additionalProperties?: boolean;
  pattern?: string;
}

interface SchemaFile {
  schema: JsonSchema;
  layout: unknown[];
}

const file = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../config.schema.json'), 'utf8')) as SchemaFile;
const climate = file.schema.properties?.['climate'];
const defaultsSchema = climate?.properties?.['defaults'];
const roomSchema = climate?.properties?.['rooms']?.items;

const minimal = { platform: 'VeluxClimate', gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] };

/** Where room settings are written in the config, with a way to put one setting there. */
const places = [
  { where: 'climate.defaults', schema: () => defaultsSchema, config: (settings: Record<string, unknown>) => ({ ...minimal, climate: { defaults: settings } }) },
  {
    where: 'climate.rooms[0]',
    schema: () => roomSchema,
    config: (settings: Record<string, unknown>) => ({ ...minimal, climate: { rooms: [{ room: 'Kitchen', ...settings }] } }),
  },
] as const;

const numericKeys = ROOM_SETTING_KEYS.filter((key) => SETTINGS_RANGES[key].type === 'number');

/** The smallest step that leaves a range: 1 for whole numbers, a tenth otherwise. */
function stepFor(key: keyof RoomSettings): number {
  const range = SETTINGS_RANGES[key];
  return range.type === 'number' && range.integer ? 1 : 0.1;
}

describe('config.schema.json room settings agree with SETTINGS_RANGES', () => {
  it('finds the climate blocks in the schema', () => {
    expect(defaultsSchema?.properties).toBeDefined();
    expect(roomSchema?.properties).toBeDefined();
    expect(roomSchema?.required).toEqual(['room']);
  });

  for (const place of places) {
    describe(place.where, () => {
      it('has exactly the keys of SETTINGS_RANGES (plus the room name in rooms[]), and no others', () => {
        const keys = Object.keys(place.schema()?.properties ?? {}).filter((key) => key !== 'room');
        expect(keys.sort()).toEqual([...ROOM_SETTING_KEYS].sort());
        expect(place.schema()?.additionalProperties).toBe(false);
      });

      it.each([...ROOM_SETTING_KEYS])('%s: same type and range', (key) => {
        const property = place.schema()?.properties?.[key];
        const range = SETTINGS_RANGES[key];
        expect(property, `${place.where}.${key} missing`).toBeDefined();
        if (!property) return;
        switch (range.type) {
          case 'boolean':
            expect(property.type).toBe('boolean');
            break;
          case 'number':
            expect({ type: property.type, minimum: property.minimum, maximum: property.maximum }).toEqual({
              type: range.integer ? 'integer' : 'number',
              minimum: range.min,
              maximum: range.max,
            });
            break;
          case 'quietHours':
            expect(property.type).toBe('object');
            expect(property.required).toEqual(['start', 'end']);
            expect(property.additionalProperties).toBe(false);
            for (const end of ['start', 'end']) {
              expect(property.properties?.[end]?.type).toBe('string');
              expect(property.properties?.[end]?.pattern).toBe('^([01][0-9]|2[0-3]):[0-5][0-9]$');
            }
            break;
        }
      });

      it('shows the real defaults: placeholders for values, `default` only for the on/off switches of climate.defaults', () => {
        for (const key of ROOM_SETTING_KEYS) {
          const property = place.schema()?.properties?.[key] as (JsonSchema & { default?: unknown }) | undefined;
          // A checkbox has no placeholder and the UI saves an undrawn one as false, so the
          // switches in climate.defaults carry their real default; everything else (and every
          // room setting, which must inherit climate.defaults) stays unwritten until set.
          if (place.where === 'climate.defaults' && SETTINGS_RANGES[key].type === 'boolean') {
            expect(property?.default, `${place.where}.${key} default`).toBe(DEFAULT_ROOM_SETTINGS[key]);
            continue;
          }
          expect(property && 'default' in property, `${place.where}.${key} has a default`).toBe(false);
          if (key === 'quietHours') continue;
          expect(property?.placeholder, `${place.where}.${key} placeholder`).toBe(DEFAULT_ROOM_SETTINGS[key]);
        }
      });

      it('lists every setting in the form layout', () => {
        const layoutKeys = new Set<string>();
        const walk = (node: unknown): void => {
          if (typeof node === 'string') layoutKeys.add(node);
          else if (Array.isArray(node)) node.forEach(walk);
          else if (node !== null && typeof node === 'object') {
            const { key, items } = node as { key?: unknown; items?: unknown };
            if (typeof key === 'string') layoutKeys.add(key);
            walk(items);
          }
        };
        walk(file.layout);
        const prefix = place.where === 'climate.defaults' ? 'climate.defaults' : 'climate.rooms[]';
        for (const key of ROOM_SETTING_KEYS) {
          if (key === 'quietHours') {
            expect(layoutKeys).toContain(`${prefix}.quietHours.start`);
            expect(layoutKeys).toContain(`${prefix}.quietHours.end`);
          } else {
            expect(layoutKeys).toContain(`${prefix}.${key}`);
          }
        }
      });
    });
  }
});

describe('DEFAULT_ROOM_SETTINGS', () => {
  it('has a value of the right type inside its range for every key but quietHours (none by default)', () => {
    for (const key of ROOM_SETTING_KEYS) {
      const range = SETTINGS_RANGES[key];
      const value = DEFAULT_ROOM_SETTINGS[key];
      if (range.type === 'quietHours') {
        expect(value).toBeUndefined();
      } else if (range.type === 'boolean') {
        expect(typeof value, key).toBe('boolean');
      } else {
        expect(typeof value, key).toBe('number');
        expect(value as number, key).toBeGreaterThanOrEqual(range.min);
        expect(value as number, key).toBeLessThanOrEqual(range.max);
        if (range.integer) expect(Number.isInteger(value), key).toBe(true);
      }
    }
    expect(checkRoomSettings(DEFAULT_ROOM_SETTINGS)).toEqual([]);
  });

  it('passes validateConfig when written out in full, in the defaults and for a room', () => {
    const { quietHours: _none, ...all } = DEFAULT_ROOM_SETTINGS;
    for (const place of places) expect(validateConfig(place.config({ ...all })), place.where).toMatchObject({ ok: true });
  });
});

/** Settings whose valid values depend on another one (checkRoomSettings' combined rules). */
const PARTNERS: Partial<Record<string, { key: string; value: (v: number) => number }>> = {
  temperatureMin: { key: 'temperatureMax', value: () => 35 },
  temperatureMax: { key: 'temperatureMin', value: () => 5 },
  outdoorTemperatureMin: { key: 'outdoorTemperatureMax', value: () => 45 },
  outdoorTemperatureMax: { key: 'outdoorTemperatureMin', value: () => -30 },
  minAiringMinutes: { key: 'maxAiringMinutes', value: () => 240 },
  maxAiringMinutes: { key: 'minAiringMinutes', value: () => 0 },
  co2Hysteresis: { key: 'co2Max', value: () => 5000 },
  co2Max: { key: 'co2Hysteresis', value: () => 0 },
};

describe('validateConfig and the numeric ranges', () => {
  for (const place of places) {
    describe(place.where, () => {
      it.each(numericKeys)('%s: accepts both ends of the range', (key) => {
        const range = SETTINGS_RANGES[key];
        if (range.type !== 'number') throw new Error('not numeric');
        for (const value of [range.min, range.max]) {
          // A key paired with another (min below max, hysteresis below the limit) is tried with
          // its partner at the far end, so only the range itself is under test here.
          const partner = PARTNERS[key];
          const extra = partner ? { [partner.key]: partner.value(value) } : {};
          const result = validateConfig(place.config({ [key]: value, ...extra }));
          // At the very ends of two equal ranges (temperatureMin 35 needs a max above 35) no
          // partner fits: then only the combined rule may object, never the range.
          const problems = result.ok ? [] : result.problems;
          expect(problems.filter((p) => !/must be below|must not be above/.test(p)), `${key} = ${value}`).toEqual([]);
          if (!partner) expect(result.ok, `${key} = ${value}`).toBe(true);
        }
      });

      it.each(numericKeys)('%s: refuses a value just below and just above the range, naming the field', (key) => {
        const range = SETTINGS_RANGES[key];
        if (range.type !== 'number') throw new Error('not numeric');
        const step = stepFor(key);
        const below = validateConfig(place.config({ [key]: range.min - step }));
        const above = validateConfig(place.config({ [key]: range.max + step }));
        expect(below).toEqual({ ok: false, problems: [`${place.where}.${key}: must be at least ${range.min}`] });
        expect(above).toEqual({ ok: false, problems: [`${place.where}.${key}: must be at most ${range.max}`] });
      });

      it.each(numericKeys.filter((key) => stepFor(key) === 1))('%s: refuses a fraction (whole numbers only)', (key) => {
        const range = SETTINGS_RANGES[key];
        if (range.type !== 'number') throw new Error('not numeric');
        const result = validateConfig(place.config({ [key]: range.min + 0.5 }));
        expect(result).toEqual({ ok: false, problems: [`${place.where}.${key}: must be a whole number`] });
      });

      it.each(numericKeys)('%s: refuses a string', (key) => {
        const result = validateConfig(place.config({ [key]: '10' }));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.problems).toHaveLength(1);
        if (!result.ok) expect(result.problems[0]).toMatch(new RegExp(`^${place.where.replace(/[[\]]/g, '\\$&')}\\.${key}: must be a (whole number|number)$`));
      });
    });
  }
});
