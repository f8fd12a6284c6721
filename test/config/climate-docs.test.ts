/**
 * docs/climate-control.md stays true to the code: its settings table is the one generated from
 * SETTINGS_RANGES and DEFAULT_ROOM_SETTINGS, its config example passes validateConfig, it names
 * every invariant test exactly as test/climate/invariants.test.ts does, and README links to it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_SETTINGS, ROOM_SETTING_KEYS, SETTINGS_RANGES, type RoomSettings } from '../../src/climate/settings.js';
import { validateConfig } from '../../src/config/validate.js';

const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(resolve(ROOT, 'docs/climate-control.md'), 'utf8');

/** The default and range cells of a setting's row, as the table writes them. */
function settingCells(key: keyof RoomSettings): { default: string; range: string } {
  const range = SETTINGS_RANGES[key];
  const value = DEFAULT_ROOM_SETTINGS[key];
  switch (range.type) {
    case 'number':
      return { default: `${String(value)} ${range.unit}`, range: `${range.min} to ${range.max} ${range.unit}${range.integer ? ', whole numbers' : ''}` };
    case 'boolean':
      return { default: String(value), range: 'true or false' };
    case 'quietHours':
      return { default: value === undefined ? 'none' : JSON.stringify(value), range: '`{"start": "HH:MM", "end": "HH:MM"}`' };
  }
}

/** Rows of the settings table: `| \`key\` | default | range | meaning |`. */
function tableRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const match = /^\| `([A-Za-z0-9]+)` \| (.*) \|$/.exec(line);
    if (!match) continue;
    rows.set(match[1]!, match[2]!.split(' | '));
  }
  return rows;
}

describe('docs/climate-control.md', () => {
  it('has one settings row per key of SETTINGS_RANGES, with the default and range from the code', () => {
    const rows = tableRows();
    expect([...rows.keys()].sort()).toEqual([...ROOM_SETTING_KEYS].sort());
    for (const key of ROOM_SETTING_KEYS) {
      const [defaultCell, rangeCell, meaning] = rows.get(key) ?? [];
      expect({ key, default: defaultCell, range: rangeCell }).toEqual({ key, ...settingCells(key) });
      expect(meaning?.length, `${key} has a meaning`).toBeGreaterThan(10);
    }
  });

  it('has a config example that passes validateConfig and uses every level (defaults, rooms)', () => {
    const example = /## Example[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = JSON.parse(example ?? '') as Record<string, unknown>;
    const result = validateConfig(config);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.config.climate?.defaults).toBeDefined();
    expect(result.config.climate?.rooms?.length).toBeGreaterThan(0);
  });

  it('names every invariant test exactly as invariants.test.ts does', () => {
    const tests = readFileSync(resolve(ROOT, 'test/climate/invariants.test.ts'), 'utf8');
    const names = [...tests.matchAll(/it\(\s*(['"])(invariant \d+: .*?)\1,/g)].map((m) => m[2]!.replace(/\\'/g, "'"));
    expect(names.map((name) => Number(/^invariant (\d+)/.exec(name)?.[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const [i, name] of names.entries()) {
      const row = doc.split('\n').find((line) => line.startsWith(`| ${i + 1} |`));
      expect(row, `row for invariant ${i + 1}`).toContain(`\`${name}\``);
    }
  });

  it('is linked from the README', () => {
    expect(readFileSync(resolve(ROOT, 'README.md'), 'utf8')).toContain('(docs/climate-control.md)');
  });
});
