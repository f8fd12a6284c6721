import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { GATEWAY_TYPES } from '../../src/gateway/transports.js';

const minimal = { platform: 'VeluxClimate', gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] };

describe('config validation', () => {
  it('accepts the minimal block and fills defaults from config.schema.json', () => {
    const r = validateConfig(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.name).toBe('VELUX');
    expect((r.config.gateways[0] as { commandTimeoutMs?: number } | undefined)?.commandTimeoutMs).toBe(5000);
    expect(r.config.gateways[0]).toMatchObject({ type: 'mqtt' });
    expect(r.config.platform).toBe('VeluxClimate');
  });

  it('ignores the keys Homebridge itself adds', () => {
    expect(validateConfig({ ...minimal, _bridge: { username: '0E:00:00:00:00:01', port: 51900 } }).ok).toBe(true);
  });

  it('reports one problem per field, naming the field', () => {
    const r = validateConfig({
      platform: 'VeluxClimate',
      gateways: [
        { name: 'Home', url: 'http://nope', baseTopic: 'velux/#' },
        { url: 'mqtt://h', baseTopic: 'b', commandTimeoutMs: 10, colour: 'red' },
      ],
      google: { enabled: 'yes', pin: '12' },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'gateways[0].url: has the wrong format (expected e.g. mqtt://192.168.1.10:1883)',
        'gateways[0].baseTopic: has the wrong format (letters, digits, _ - and /, no wildcards)',
        'gateways[1].commandTimeoutMs: must be at least 500',
        'gateways[1].colour: is not a known setting (check the spelling)',
        'google.enabled: must be a boolean',
        'google.pin: has the wrong format (4 to 12 digits)',
      ]),
    );
    // defaults fill a missing name, so that is not a problem
    expect(r.problems.some((p) => p.startsWith('gateways[1].name'))).toBe(false);
  });

  it.each([
    [{ platform: 'VeluxClimate' }, 'gateways: is required'],
    [{ platform: 'VeluxClimate', gateways: [] }, 'gateways: needs at least 1 entry'],
    [{ ...minimal, gateways: [...minimal.gateways, { name: 'B', url: 'mqtt://x', baseTopic: 'velux' }] }, 'gateways[1].baseTopic: "velux" is already used by gateways[0]; one base topic is one gateway'],
    [{ ...minimal, google: { enabled: true } }, 'google.projectId: is required when google.enabled is true'],
    [{ ...minimal, climate: { defaults: { temperatureMin: 25, temperatureMax: 20 } } }, 'climate.defaults.temperatureMin: temperatureMin must be below temperatureMax'],
    [{ ...minimal, climate: { defaults: { co2Max: 1000 }, rooms: [{ room: 'Bath', co2Hysteresis: 1000 }] } }, 'climate.rooms[0].co2Hysteresis: co2Hysteresis must be below co2Max (room "Bath", with the defaults applied)'],
    [{ ...minimal, climate: { rooms: [{ room: 'Bath', minAiringMinutes: 40, maxAiringMinutes: 20 }] } }, 'climate.rooms[0].minAiringMinutes: minAiringMinutes must not be above maxAiringMinutes (room "Bath", with the defaults applied)'],
    [{ ...minimal, climate: { rooms: [{ room: 'Kitchen' }, { room: 'Kitchen' }] } }, 'climate.rooms[1].room: "Kitchen" is listed twice'],
    [{ ...minimal, climate: { rooms: [{ room: 'Kitchen', co2Max: 99999 }] } }, 'climate.rooms[0].co2Max: must be at most 5000'],
    [{ ...minimal, climate: { defaults: { quietHours: { start: '25:00', end: '07:00' } } } }, 'climate.defaults.quietHours.start: has the wrong format (expected HH:MM)'],
    [{ ...minimal, gateways: [{ ...minimal.gateways[0], type: 'zigbee' }] }, 'gateways[0].type: must be one of "mqtt", "homekit", "klf200"'],
    ['nonsense', 'the platform block must be an object'],
  ])('refuses %j', (config, problem) => {
    const r = validateConfig(config);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain(problem);
  });

  it('does not change the object it was given', () => {
    const input = structuredClone(minimal);
    validateConfig(input);
    expect(input).toEqual(minimal);
  });

  it('keeps the fixed key names in config.schema.json', () => {
    const schema = JSON.parse(readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'));
    expect(schema.pluginAlias).toBe('VeluxClimate');
    expect(schema.pluginType).toBe('platform');
    expect(Object.keys(schema.schema.properties.gateways.items.properties).sort()).toEqual(
      [
        ...['baseTopic', 'commandTimeoutMs', 'name', 'password', 'tls', 'type', 'url', 'username'],
        // klf200 (name, password and commandTimeoutMs shared)
        ...['host', 'fingerprint', 'ca', 'devices', 'keepAliveMs', 'rainPollMs', 'reconnectMaxMs', 'bootGraceMs'],
        // homekit (name, host and devices shared)
        ...['setupCode', 'port'],
      ].sort(),
    );
    expect(Object.keys(schema.schema.properties.google.properties).sort()).toEqual(
      ['bind', 'clientId', 'clientSecret', 'enabled', 'homegraphUrl', 'pin', 'port', 'projectId', 'publicUrl', 'serviceAccountKeyFile', 'tls', 'trustProxy'].sort(),
    );
  });

  it('reads a gateway without a type as an MQTT gateway, so v0.1 configs keep working', () => {
    const r = validateConfig(minimal);
    expect(r.ok && r.config.gateways[0]?.type).toBe('mqtt');
    const explicit = validateConfig({ ...minimal, gateways: [{ ...minimal.gateways[0], type: 'mqtt' }] });
    expect(explicit.ok).toBe(true);
  });

  it('offers exactly the transports of gateway/transports.ts as gateway types', () => {
    const schema = JSON.parse(readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'));
    // Wherever the form declares `type` (one list or one branch per transport), the union of
    // its values must be the transport list, with "mqtt" as the default.
    const offered = new Set<string>();
    const defaults = new Set<unknown>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      const type = (node as { properties?: { type?: { enum?: string[]; const?: string; default?: unknown } } }).properties?.type;
      if (type?.enum) type.enum.forEach((t) => offered.add(t));
      if (type?.const) offered.add(type.const);
      if (type && 'default' in type) defaults.add(type.default);
      Object.values(node).forEach(visit);
    };
    visit(schema.schema.properties.gateways.items);
    expect([...offered].sort()).toEqual([...GATEWAY_TYPES].sort());
    expect([...defaults]).toEqual(['mqtt']);
  });

  describe('klf200 gateways', () => {
    const klf = { name: 'KLF', type: 'klf200', host: '192.168.1.30', password: 'velux123' };
    it('accepts the fixed keys and a device list by serial number', () => {
      const r = validateConfig({ platform: 'VeluxClimate', gateways: [{ ...klf, devices: [{ serial: '53362726102f0080', name: 'Bedroom window', room: 'Bedroom' }] }] });
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.config.gateways[0]).toMatchObject({ type: 'klf200', host: '192.168.1.30', devices: [{ serial: '53362726102f0080' }] });
    });
    it.each([
      [{ ...klf, host: undefined }, 'gateways[0].host: is required'],
      [{ ...klf, password: undefined }, 'gateways[0].password: is required'],
      [{ ...klf, devices: [{ serial: '53362726102F0080' }] }, 'gateways[0].devices[0].serial: has the wrong format (16 lower-case hex digits, e.g. 53362726102f0080)'],
      [{ ...klf, fingerprint: 'abc' }, 'gateways[0].fingerprint: has the wrong format (20 hex bytes, e.g. 02:8C:23:A0:89:2B:62:98:C4:99:00:5B:D2:E7:2E:0A:70:3D:71:6A)'],
      [{ ...klf, password: 'x'.repeat(33) }, 'gateways[0].password: is longer than the KLF 200 accepts (32 bytes)'],
      [{ ...klf, devices: [{ serial: '53362726102f0080' }, { serial: '53362726102f0080' }] }, 'gateways[0].devices[1].serial: "53362726102f0080" is already listed as devices[0]'],
    ])('refuses %j', (gateway, problem) => {
      const r = validateConfig({ platform: 'VeluxClimate', gateways: [gateway] });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems).toContain(problem);
    });
    it('refuses two entries for one KLF 200', () => {
      const r = validateConfig({ platform: 'VeluxClimate', gateways: [klf, { ...klf, name: 'Again' }] });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems).toContain('gateways[1].host: "192.168.1.30" is already used by gateways[0]; one entry per KLF 200');
    });
  });
});

describe('gateways of type "homekit" (VELUX ACTIVE, KIX 300)', () => {
  const kix = { type: 'homekit', name: 'Attic gateway', setupCode: '123-45-678', host: '192.168.1.20', port: 5001, devices: [{ serial: '5611111a114a111a', name: 'Attic window', room: 'Attic' }] };

  it('accepts the fixed keys, with or without host, port and setup code', () => {
    for (const entry of [kix, { type: 'homekit', name: 'Loft' }, { ...kix, setupCode: undefined }]) {
      const r = validateConfig({ platform: 'VeluxClimate', gateways: [JSON.parse(JSON.stringify(entry))] });
      expect(r.ok ? [] : r.problems).toEqual([]);
    }
    const mixed = validateConfig({ platform: 'VeluxClimate', gateways: [...minimal.gateways, kix] });
    expect(mixed.ok).toBe(true);
  });

  it.each([
    [{ ...kix, setupCode: '12345678' }, 'gateways[0].setupCode: has the wrong format (the code printed on the gateway, e.g. 123-45-678)'],
    [{ ...kix, port: 70000 }, 'gateways[0].port: must be at most 65535'],
    [{ ...kix, host: undefined }, 'gateways[0].host: is required when port is set'],
    [{ ...kix, devices: [{ name: 'x' }] }, 'gateways[0].devices[0].serial: is required'],
    [{ ...kix, devices: [{ serial: 'ab', room: 'A' }, { serial: 'AB' }] }, 'gateways[0].devices[1].serial: "AB" is already listed as devices[0]'],
  ])('rejects %j', (entry, problem) => {
    const r = validateConfig({ platform: 'VeluxClimate', gateways: [entry] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain(problem);
  });

  it('needs distinct names for VELUX ACTIVE gateways (the name keeps the pairing)', () => {
    const r = validateConfig({ platform: 'VeluxClimate', gateways: [kix, { ...kix, name: 'attic  gateway' }] });
    expect(r.ok ? [] : r.problems).toEqual([expect.stringContaining('gateways[1].name: "attic  gateway" is too close')]);
  });
});

describe('fields of another transport in a gateway entry', () => {
  it('are dropped: the settings form keeps them when the type changes, and schema defaults fill them in', () => {
    const kix = validateConfig({ platform: 'VeluxClimate', gateways: [{ type: 'homekit', name: 'Loft', url: 'mqtt://x', baseTopic: 'velux' }] });
    expect(kix.ok && kix.config.gateways[0]).toEqual({ type: 'homekit', name: 'Loft' });
    const plain = validateConfig({ platform: 'VeluxClimate', gateways: [{ type: 'homekit', name: 'Loft' }] });
    expect(plain.ok && plain.config.gateways[0]).toEqual({ type: 'homekit', name: 'Loft' });
    const mqtt = validateConfig({ platform: 'VeluxClimate', gateways: [{ name: 'Home', url: 'mqtt://h', baseTopic: 'b', setupCode: '123-45-678', devices: [] }] });
    expect(mqtt.ok && mqtt.config.gateways[0]).toEqual({ type: 'mqtt', name: 'Home', url: 'mqtt://h', baseTopic: 'b', commandTimeoutMs: 5000 });
  });
});
