import { describe, expect, it } from 'vitest';
import { HomebridgeAPI } from '../../node_modules/homebridge/dist/api.js';
import { firmwareRevision, MAX_NAME_LENGTH, sanitizeName, serialFromUuid } from '../../src/home/names.js';
import { uuidSeed } from '../../src/home/identity.js';

/** HAP-NodeJS's own check (util/checkName.js), which the brief's rule is a strict subset of. */
const HAP_NAME = /^[\p{L}\p{N}][\p{L}\p{N}\p{Zs}\u2019'&!._:;()/,-]*[\p{L}\p{N}]$/u;
const BRIEF_RULE = /^[\p{L}\p{N}]([\p{L}\p{N} '\u2019.,-]*[\p{L}\p{N}])?$/u;

describe('sanitizeName', () => {
  it.each([
    ['Kitchen window', 'Kitchen window'],
    ['  Kitchen   window  ', 'Kitchen window'],
    ['Kitchen window (left)', 'Kitchen window left'],
    ['Mum’s room, 1st floor', 'Mum’s room, 1st floor'],
    ["Kid's room.", "Kid's room"],
    ['-- Attic --', 'Attic'],
    ['Bad/Room #2!', 'Bad Room 2'],
    ['Wohnzimmer Fenster Süd', 'Wohnzimmer Fenster Süd'],
    ['Dachfenster 🌧️ Nord', 'Dachfenster Nord'],
    ['Salle de bain: fenêtre', 'Salle de bain fenêtre'],
    ['Tab\tand\nnewline', 'Tab and newline'],
    ['St.-Georg-Str. 5', 'St.-Georg-Str. 5'],
    ['寝室の窓', '寝室の窓'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
  });

  it('falls back when too little is left, keeping a lone letter or digit', () => {
    expect(sanitizeName('', 'Window')).toBe('Window');
    expect(sanitizeName('🌧️', 'Window')).toBe('Window');
    expect(sanitizeName('7', 'Window')).toBe('Window 7');
    expect(sanitizeName('!!', '#')).toBe('VELUX');
    expect(sanitizeName('x', '')).toBe('VELUX x');
  });

  it('keeps names within 64 characters and still ends on a letter or digit', () => {
    const long = `${'a'.repeat(63)} b c`;
    const name = sanitizeName(long);
    expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(name).toBe('a'.repeat(63));
    expect(sanitizeName(`${'a'.repeat(62)}.-xyz`)).toBe('a'.repeat(62));
  });

  it('always yields a name both the brief rule and HAP-NodeJS accept', () => {
    const samples = ['', ' ', "'", 'a', '1.', '.1.', '—', '∆ delta', 'x'.repeat(100), 'Ünïcödé–dash', "'quoted'", '(a)', 'é'];
    for (let i = 0; i < 300; i++) {
      samples.push(String.fromCodePoint(...Array.from({ length: 1 + (i % 9) }, (_, j) => 32 + ((i * 7919 + j * 104729) % 0x2fff))));
    }
    for (const input of samples) {
      const name = sanitizeName(input, 'Window');
      expect(name, JSON.stringify(input)).toMatch(BRIEF_RULE);
      expect(name, JSON.stringify(input)).toMatch(HAP_NAME);
      expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    }
  });
});

describe('identities', () => {
  const api = new HomebridgeAPI();

  it('derives stable UUIDs from gateway id and device id', () => {
    const a = api.hap.uuid.generate(uuidSeed.device('sim-gateway', 'kitchen-window'));
    expect(a).toBe(api.hap.uuid.generate('velux-climate:sim-gateway:kitchen-window'));
    expect(a).not.toBe(api.hap.uuid.generate(uuidSeed.device('other-gateway', 'kitchen-window')));
    // home-wide accessories cannot collide with any gateway/device pair
    expect(uuidSeed.room('Kitchen')).not.toMatch(/^velux-climate:/);
    expect(uuidSeed.departureMode()).not.toMatch(/^velux-climate:/);
    expect(uuidSeed.rain()).not.toMatch(/^velux-climate:/);
  });

  it('derives a serial number from the UUID', () => {
    const uuid = api.hap.uuid.generate('x');
    expect(serialFromUuid(uuid)).toMatch(/^[0-9A-F]{12}$/);
    expect(serialFromUuid(uuid)).toBe(serialFromUuid(uuid));
  });

  it.each([
    ['1.0.0-sim', '1.0.0'],
    ['v2.1', '2.1'],
    ['3', '3'],
    ['1.2.3.4', '1.2.3'],
    ['beta', undefined],
    [undefined, undefined],
  ])('firmware %j → %j', (input, expected) => {
    expect(firmwareRevision(input)).toBe(expected);
  });
});
