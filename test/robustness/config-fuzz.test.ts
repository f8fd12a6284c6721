/**
 * Fuzzing the config path: whatever Homebridge hands over (config.json is edited by hand,
 * by the settings UI, and by other tools), `validateConfig` answers with problems that each
 * name a field and never says ok to an invalid block, and the platform constructor never
 * throws: it logs what to fix and stays idle.
 *
 * FUZZ_RUNS=<n> runs n cases per property.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as hap from '@homebridge/hap-nodejs';
import type { API, Logging, PlatformConfig } from 'homebridge';
import { PlatformAccessory } from '../../node_modules/homebridge/dist/platformAccessory.js';
import { validateConfig } from '../../src/config/validate.js';
import { VeluxClimatePlatform } from '../../src/platform.js';
import { captureProcessErrors, fuzzRuns } from './support/process-errors.js';
import { fieldName, mutatedConfig, SCHEMA, validConfig } from './support/config-arbitrary.js';

const RUNS = fuzzRuns(300);
/** About 3 ms per case at worst (the platform constructor), with room to spare. */
const TIMEOUT = Math.max(30_000, RUNS * 5 * 10);
const processErrors = captureProcessErrors();
const storage = mkdtempSync(join(tmpdir(), 'vc-config-fuzz-'));
afterAll(() => {
  processErrors.dispose();
  rmSync(storage, { recursive: true, force: true });
});

/** Nesting deeper than structuredClone / recursive validators can follow. */
function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  const text = kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return JSON.parse(text);
}

const minimal = { platform: 'VeluxClimate', gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1', baseTopic: 'velux' }] };

/** Random blocks: anything at all, anything shaped like a config, and valid blocks with junk. */
const anyConfig: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 4, withBoxedValues: true, withMap: true, withSet: true, withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true, withUnicodeString: true }),
  fc.jsonValue({ maxDepth: 5 }),
  fc.record(
    {
      platform: fc.oneof(fc.constant('VeluxClimate'), fc.anything()),
      name: fc.anything({ maxDepth: 1 }),
      gateways: fc.oneof(fc.array(fc.dictionary(fc.constantFrom('name', 'url', 'baseTopic', 'commandTimeoutMs', 'tls', 'username', 'x'), fc.jsonValue({ maxDepth: 2 }))), fc.anything({ maxDepth: 2 })),
      google: fc.anything({ maxDepth: 2 }),
      climate: fc.oneof(fc.record({ defaults: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })), rooms: fc.array(fc.dictionary(fc.constantFrom('room', 'co2Max', 'quietHours'), fc.jsonValue({ maxDepth: 1 }))) }, { requiredKeys: [] }), fc.anything({ maxDepth: 2 })),
      debug: fc.anything({ maxDepth: 1 }),
      _bridge: fc.anything({ maxDepth: 1 }),
      ['__proto__']: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  validConfig.chain((config) =>
    fc.tuple(fc.string(), fc.anything({ maxDepth: 2 })).map(([key, junk]) => ({ ...config, [key]: junk })),
  ),
  fc.constantFrom<unknown>(
    JSON.parse('{"platform":"VeluxClimate","gateways":[{"url":"mqtt://127.0.0.1:1","__proto__":{"baseTopic":"#"}}]}'),
    JSON.parse('{"platform":"VeluxClimate","__proto__":{"gateways":[]},"gateways":[{}]}'),
    { ...minimal, gateways: new Array(1_000).fill(minimal.gateways[0]) },
    { ...minimal, platform: Object.create(null) as unknown },
    { ...minimal, platform: { toString: 'VeluxClimate' } },
  ),
);

/** Blocks too deep for fast-check to print: checked one by one below. */
const DEEP: Array<[string, unknown]> = [
  ['an unknown key', { ...minimal, extra: deeplyNested(20_000, 'array') }],
  ['an unknown key (objects)', { ...minimal, extra: deeplyNested(20_000, 'object') }],
  ['gateways[0].tls', { ...minimal, gateways: [{ ...minimal.gateways[0], tls: deeplyNested(20_000, 'object') }] }],
  ['climate.rooms', { ...minimal, climate: { rooms: deeplyNested(20_000, 'array') } }],
];

const SCHEMA_KEYS = Object.keys(SCHEMA.properties ?? {});

/** True when the problem starts by naming a field (or the block itself). */
function namesAField(problem: string): boolean {
  if (problem === 'the platform block must be an object') return true;
  if (problem.startsWith('(platform block): ')) return true;
  return SCHEMA_KEYS.some((k) => problem.startsWith(`${k}: `) || problem.startsWith(`${k}.`) || problem.startsWith(`${k}[`));
}

function checkResult(raw: unknown): ReturnType<typeof validateConfig> {
  const result = validateConfig(raw);
  if (result.ok) {
    // ok only for a block with at least one gateway, and the result validates again unchanged
    expect(Array.isArray(result.config.gateways) && result.config.gateways.length > 0).toBe(true);
    for (const g of result.config.gateways) {
      if (g.type === 'homekit') continue;
      if (g.type === 'klf200') expect(typeof g.host === 'string' && typeof g.password === 'string').toBe(true);
      else expect(typeof g.url === 'string' && typeof g.baseTopic === 'string').toBe(true);
    }
    const again = validateConfig(result.config);
    expect(again).toEqual(result);
  } else {
    expect(result.problems.length).toBeGreaterThan(0);
    for (const p of result.problems) expect(namesAField(p), p).toBe(true);
    expect(new Set(result.problems).size).toBe(result.problems.length);
  }
  return result;
}

describe('validateConfig fuzz', () => {
  it(`never throws on random blocks; every problem names a field (${RUNS * 5} cases)`, () => {
    fc.assert(
      fc.property(anyConfig, (raw) => {
        checkResult(raw);
      }),
      { numRuns: RUNS * 5 },
    );
    expect(processErrors.errors).toEqual([]);
  }, TIMEOUT);

  it.each(DEEP)('does not throw on nesting 20,000 deep in %s', (_where, raw) => {
    const result = checkResult(raw);
    expect(result.ok).toBe(false);
  });

  it(`accepts every valid block, fills defaults, and leaves the input alone (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const before = structuredClone(config);
        const result = checkResult(config);
        expect(result.ok ? [] : result.problems).toEqual([]);
        expect(config).toEqual(before);
        if (result.ok) {
          expect(result.config.name).toEqual(expect.any(String));
          for (const g of result.config.gateways as Array<{ type?: string; commandTimeoutMs?: unknown }>) if (g.type !== 'homekit') expect(g.commandTimeoutMs).toEqual(expect.any(Number));
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it(`refuses every valid block with one thing broken, naming that field (${RUNS * 2} cases)`, () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(mutatedConfig, ({ config, field, what }) => {
        seen.add(what.replace(/\[\d+\]/g, '[]').replace(/ = .*/, ' = …'));
        const result = checkResult(config);
        expect(result.ok, what).toBe(false);
        if (!result.ok) expect(result.problems.some((p) => p.startsWith(`${field}: `) || p.startsWith(`${field}.`) || p.startsWith(`${field}[`)), `${what}: ${JSON.stringify(result.problems)}`).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
    // the mutations reached far into the schema
    expect(seen.size).toBeGreaterThan(40);
  }, TIMEOUT);
});

// ---------------------------------------------------------------- the platform constructor

interface FakeLog extends Logging {
  lines: Array<{ level: string; message: string }>;
}

function fakeLog(): FakeLog {
  const lines: FakeLog['lines'] = [];
  const at = (level: string) => (message: string, ...params: unknown[]) => void lines.push({ level, message: [message, ...params.map(String)].join(' ') });
  const log = Object.assign((message: string, ...params: unknown[]) => at('info')(message, ...params), {
    prefix: 'VeluxClimate',
    lines,
    info: at('info'),
    success: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    log: (level: string, message: string, ...params: unknown[]) => at(level)(message, ...params),
  });
  return log as unknown as FakeLog;
}

/** The few parts of Homebridge's API the platform may touch, with HAP itself real. */
function fakeApi(storagePath: string): API & EventEmitter {
  const api = new EventEmitter();
  return Object.assign(api, {
    version: 2.7,
    serverVersion: '2.1.0',
    hap,
    hapLegacyTypes: {},
    platformAccessory: PlatformAccessory,
    user: { storagePath: () => storagePath, configPath: () => join(storagePath, 'config.json'), cachedAccessoryPath: () => join(storagePath, 'accessories'), persistPath: () => join(storagePath, 'persist') },
    versionGreaterOrEqual: () => true,
    registerPlatformAccessories: () => undefined,
    updatePlatformAccessories: () => undefined,
    unregisterPlatformAccessories: () => undefined,
    publishExternalAccessories: () => undefined,
    registerAccessory: () => undefined,
    registerPlatform: () => undefined,
  }) as unknown as API & EventEmitter;
}

describe('platform constructor fuzz', () => {
  it(`never throws; an invalid block is logged field by field and the plugin stays idle (${RUNS} cases)`, () => {
    let idle = 0;
    let built = 0;
    fc.assert(
      fc.property(fc.oneof(anyConfig, mutatedConfig.map((m) => m.config), validConfig), (raw) => {
        const log = fakeLog();
        const api = fakeApi(storage);
        const result = validateConfig(raw);
        expect(() => new VeluxClimatePlatform(log, raw as PlatformConfig, api)).not.toThrow();
        const errors = log.lines.filter((l) => l.level === 'error').map((l) => l.message);
        if (!result.ok) {
          idle++;
          expect(errors.length).toBe(result.problems.length + 1);
          for (const p of result.problems) expect(errors).toContain(`Config: ${p}`);
          expect(errors.at(-1)).toContain('stays idle');
          // idle: nothing waits for Homebridge to finish launching, nothing was written
          expect(api.listenerCount('didFinishLaunching')).toBe(0);
          api.emit('didFinishLaunching');
          api.emit('shutdown');
        } else {
          built++;
          // a block validation accepts must also build (the two must not disagree)
          expect(errors, JSON.stringify(raw)).toEqual([]);
          expect(api.listenerCount('didFinishLaunching')).toBe(1);
        }
      }),
      { numRuns: RUNS },
    );
    expect(readdirSync(storage).filter((f) => !f.startsWith('velux-climate'))).toEqual([]);
    expect(idle).toBeGreaterThan(0);
    expect(built).toBeGreaterThan(0);
    expect(processErrors.errors).toEqual([]);
  }, TIMEOUT);

  it.each(DEEP)('does not throw on nesting 20,000 deep in %s', (_where, raw) => {
    const log = fakeLog();
    expect(() => new VeluxClimatePlatform(log, raw as PlatformConfig, fakeApi(storage))).not.toThrow();
    expect(log.lines.filter((l) => l.level === 'error').at(-1)?.message).toContain('stays idle');
  });

  it('starts and shuts down with a valid block whose broker is not there, without a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-platform-'));
    const log = fakeLog();
    const api = fakeApi(dir);
    // port 1 on loopback: nothing listens, connecting fails at once
    const platform = new VeluxClimatePlatform(log, { ...minimal, climate: { historyDays: 0 } } as PlatformConfig, api);
    expect(platform).toBeDefined();
    api.emit('didFinishLaunching');
    // The transport is imported on demand at start-up: wait for the refused connection (not a fixed time)
    const refused = () => log.lines.some((l) => l.level === 'warn' && l.message.includes('ECONNREFUSED'));
    for (const deadline = Date.now() + 15_000; !refused() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 25));
    api.emit('shutdown');
    await new Promise((r) => setTimeout(r, 200));
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([]);
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('ECONNREFUSED'))).toBe(true);
    expect(processErrors.errors).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('field names', () => {
  it('formats paths the way problems name them', () => {
    expect(fieldName(['gateways', 0, 'url'])).toBe('gateways[0].url');
    expect(fieldName([])).toBe('(platform block)');
  });
});
