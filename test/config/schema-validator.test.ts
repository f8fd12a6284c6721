/**
 * The config validator is compiled from config.schema.json at build time
 * (scripts/generate-config-validator.mjs); the committed file must be what the script writes
 * for the schema of this commit, or the form and the start-up check would disagree.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without types
import { generate, TARGET } from '../../scripts/generate-config-validator.mjs';
import { validateConfig } from '../../src/config/validate.js';

describe('the precompiled config validator', () => {
  it('is up to date with config.schema.json (run `npm run build` after changing the schema)', () => {
    expect(readFileSync(TARGET as string, 'utf8')).toBe((generate as () => string)());
  });

  it('counts string lengths in code points, as JSON Schema does (its one inlined ajv helper)', () => {
    // name: minLength 1, maxLength 64. 64 emoji are 128 UTF-16 units but 64 characters.
    const base = { gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] };
    expect(validateConfig({ ...base, name: '🏠'.repeat(64) }).ok).toBe(true);
    const tooLong = validateConfig({ ...base, name: '🏠'.repeat(65) });
    expect(tooLong.ok).toBe(false);
    expect(tooLong.ok ? [] : tooLong.problems).toContain('name: must NOT have more than 64 characters');
  });
});
