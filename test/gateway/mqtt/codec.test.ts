import { describe, expect, it } from 'vitest';
import {
  classifyTopic,
  decodeDeviceState,
  decodeDevices,
  decodeInfo,
  decodeOnlineState,
  decodeResponse,
  decodeWeather,
  MAX_PAYLOAD_BYTES,
} from '../../../src/gateway/mqtt/codec.js';
import { plainTcpBroker, redactUrl } from '../../../src/gateway/mqtt/gateway.js';

describe('gateway codec', () => {
  it('decodes a full device list and fills features', () => {
    const r = decodeDevices(
      JSON.stringify([
        { id: 'kitchen-window', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: { rain_sensor: true }, extra: 1 },
        { id: 'k-sensor', type: 'sensor', name: 'Kitchen sensor', features: { measures: ['temperature', 'co2'], battery: true } },
        { id: 'dep', type: 'departure_switch', name: 'Departure' },
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(3);
    expect(r.value[0]).toEqual({ id: 'kitchen-window', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: { rainSensor: true } });
    expect(r.value[2]?.features).toEqual({});
  });

  it.each([
    ['not JSON', '{"id":', 'not valid JSON'],
    ['an object instead of an array', '{"id":"a"}', 'expected array'],
    ['an unknown type', '[{"id":"a","type":"door","name":"A"}]', '0.type'],
    ['a bad id', '[{"id":"a b","type":"window","name":"A"}]', '0.id'],
    ['the reserved id', '[{"id":"bridge","type":"window","name":"A"}]', 'reserved'],
    ['duplicate ids', '[{"id":"a","type":"window","name":"A"},{"id":"a","type":"blind","name":"B"}]', 'duplicate'],
    ['an empty name', '[{"id":"a","type":"window","name":""}]', '0.name'],
  ])('rejects a device list with %s', (_what, payload, reason) => {
    const r = decodeDevices(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('decodes states and rejects wrong types and ranges', () => {
    expect(decodeDeviceState('{"position":35,"target":35,"motion":"stopped","obstructed":false,"rain":false,"x":1}')).toEqual({
      ok: true,
      value: { position: 35, target: 35, motion: 'stopped', obstructed: false, rain: false },
    });
    expect(decodeDeviceState('{"temperature":-12.5,"humidity":48,"co2":812,"lux":0,"battery":90}').ok).toBe(true);
    for (const bad of ['{"position":101}', '{"position":-1}', '{"position":"35"}', '{"motion":"up"}', '{"co2":-5}', '{"away":"yes"}', '[]', 'null', '42']) {
      expect(decodeDeviceState(bad).ok, bad).toBe(false);
    }
  });

  // Every field of every payload, with the reason the warning in the log gives (the first bad field, by its path).
  it.each([
    [decodeDeviceState, '{"position":101}', 'position: Too big: expected number to be <=100'],
    [decodeDeviceState, '{"target":-1}', 'target: Too small: expected number to be >=0'],
    [decodeDeviceState, '{"motion":"up"}', 'motion: Invalid option: expected one of "opening"|"closing"|"stopped"'],
    [decodeDeviceState, '{"obstructed":1}', 'obstructed: Invalid input: expected boolean, received number'],
    [decodeDeviceState, '{"rain":null}', 'rain: Invalid input: expected boolean, received null'],
    [decodeDeviceState, '{"temperature":100.5}', 'temperature: Too big: expected number to be <=100'],
    [decodeDeviceState, '{"temperature":1e400}', 'temperature: Invalid input: expected number, received Infinity'],
    [decodeDeviceState, '{"humidity":"48"}', 'humidity: Invalid input: expected number, received string'],
    [decodeDeviceState, '{"co2":100001}', 'co2: Too big: expected number to be <=100000'],
    [decodeDeviceState, '{"lux":-0.5}', 'lux: Too small: expected number to be >=0'],
    [decodeDeviceState, '{"away":[]}', 'away: Invalid input: expected boolean, received array'],
    [decodeDeviceState, '{"battery":{}}', 'battery: Invalid input: expected number, received object'],
    [decodeDeviceState, '{"position":"x","target":200}', 'position: Invalid input: expected number, received string'],
    [decodeDeviceState, '[]', 'Invalid input: expected object, received array'],
    [decodeWeather, '{"temperature":-61}', 'temperature: Too small: expected number to be >=-60'],
    [decodeWeather, '{"wind_speed":101}', 'wind_speed: Too big: expected number to be <=100'],
    [decodeWeather, '{"rain":"no"}', 'rain: Invalid input: expected boolean, received string'],
    [decodeOnlineState, '{}', 'state: Invalid option: expected one of "online"|"offline"'],
    [decodeInfo, '{"protocol":0,"gateway":{"id":"g"}}', 'protocol: Too small: expected number to be >=1'],
    [decodeInfo, '{"protocol":1.5,"gateway":{"id":"g"}}', 'protocol: Invalid input: expected int, received number'],
    [decodeInfo, '{"protocol":1e300,"gateway":{"id":"g"}}', 'protocol: Too big: expected int to be <=9007199254740991'],
    [decodeInfo, '{"protocol":1}', 'gateway: Invalid input: expected object, received undefined'],
    [decodeInfo, '{"protocol":1,"gateway":{"id":""}}', 'gateway.id: Too small: expected string to have >=1 characters'],
    [decodeInfo, `{"protocol":1,"gateway":{"id":"g","model":"${'m'.repeat(129)}"}}`, 'gateway.model: Too big: expected string to have <=128 characters'],
    [decodeInfo, '{"protocol":1,"gateway":{"id":"g","firmware":2}}', 'gateway.firmware: Invalid input: expected string, received number'],
    [decodeDevices, '[{"id":7,"type":"window","name":"A"}]', '0.id: Invalid input: expected string, received number'],
    [decodeDevices, '[{"id":"a b","type":"window","name":"A"}]', '0.id: Invalid string: must match pattern /^[A-Za-z0-9_-]{1,64}$/'],
    [decodeDevices, '[{"id":"bridge","type":"window","name":"A"}]', '0.id: "bridge" is reserved'],
    [decodeDevices, '[{"id":"a","name":"A"}]', '0.type: Invalid option: expected one of "window"|"blind"|"shutter"|"awning"|"sensor"|"departure_switch"'],
    [decodeDevices, '[{"id":"a","type":"window"}]', '0.name: Invalid input: expected string, received undefined'],
    [decodeDevices, `[{"id":"a","type":"window","name":"A","room":"${'r'.repeat(201)}"}]`, '0.room: Too big: expected string to have <=200 characters'],
    [decodeDevices, '[{"id":"a","type":"window","name":"A","model":false}]', '0.model: Invalid input: expected string, received boolean'],
    [decodeDevices, `[{"id":"a","type":"window","name":"A","serial":"${'s'.repeat(129)}"}]`, '0.serial: Too big: expected string to have <=128 characters'],
    [decodeDevices, `[{"id":"a","type":"window","name":"A","firmware":"${'f'.repeat(65)}"}]`, '0.firmware: Too big: expected string to have <=64 characters'],
    [decodeDevices, '[{"id":"a","type":"window","name":"A","features":[]}]', '0.features: Invalid input: expected object, received array'],
    [decodeDevices, '[{"id":"a","type":"window","name":"A","features":{"rain_sensor":"yes"}}]', '0.features.rain_sensor: Invalid input: expected boolean, received string'],
    [decodeDevices, '[{"id":"a","type":"sensor","name":"A","features":{"battery":0}}]', '0.features.battery: Invalid input: expected boolean, received number'],
    [decodeDevices, '[{"id":"a","type":"sensor","name":"A","features":{"measures":["co2","noise"]}}]', '0.features.measures.1: Invalid option: expected one of "temperature"|"humidity"|"co2"|"lux"'],
    [decodeDevices, '[{"id":"a","type":"sensor","name":"A","features":{"measures":["co2","co2","co2","co2","co2"]}}]', '0.features.measures: Too big: expected array to have <=4 items'],
    [decodeDevices, '[{"id":"a","type":"window","name":"A"},{"id":"b","type":"window","name":"B"},{"id":"a","type":"blind","name":"C"}]', 'duplicate device id "a"'],
    [decodeDevices, JSON.stringify(Array.from({ length: 5001 }, (_, i) => ({ id: `d${i}`, type: 'window', name: 'W' }))), 'Too big: expected array to have <=5000 items'],
    [decodeResponse, '{"status":"ok"}', 'transaction: Invalid input: expected string, received undefined'],
    [decodeResponse, `{"transaction":"${'t'.repeat(201)}","status":"ok"}`, 'transaction: Too big: expected string to have <=200 characters'],
    [decodeResponse, '{"transaction":"t","status":"error","error":"flood"}', 'error: Invalid option: expected one of "unknown_device"|"invalid"|"unreachable"|"rain"|"busy"|"internal"'],
    [decodeResponse, `{"transaction":"t","status":"error","message":"${'m'.repeat(1001)}"}`, 'message: Too big: expected string to have <=1000 characters'],
  ] as const)('%#: refuses %s with its reason', (decoder: (p: string) => { ok: boolean; reason?: string }, payload, reason) => {
    expect(decoder(payload)).toEqual({ ok: false, reason });
  });

  it('keeps optional fields absent, drops unknown ones, and reads the lenient response forms', () => {
    expect(decodeDeviceState('{}')).toEqual({ ok: true, value: {} });
    expect(decodeDeviceState('{"away":true,"battery":5,"future":{"x":1}}')).toEqual({ ok: true, value: { away: true, battery: 5 } });
    expect(decodeWeather('{"rain":true,"gusts":9}')).toEqual({ ok: true, value: { rain: true } });
    expect(decodeInfo('{"protocol":2,"gateway":{"id":"g"}}')).toEqual({ ok: true, value: { protocol: 2, id: 'g' } });
    expect(decodeResponse('{"transaction":"t","status":"error"}')).toEqual({ ok: true, value: { transaction: 't', status: 'error' } });
    expect(decodeResponse('{"transaction":"t","status":"ok","extra":1}')).toEqual({ ok: true, value: { transaction: 't', status: 'ok' } });
    const list = decodeDevices('[{"id":"s","type":"sensor","name":"S","room":"R","model":"M","serial":"1","firmware":"F","features":{"battery":true,"measures":["lux"],"x":1}}]');
    expect(list).toEqual({
      ok: true,
      value: [{ id: 's', type: 'sensor', name: 'S', room: 'R', model: 'M', serial: '1', firmware: 'F', features: { battery: true, measures: ['lux'] } }],
    });
  });

  it('refuses payloads over the size limit before parsing', () => {
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    const r = decodeDeviceState(huge);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('limit') });
  });

  it('decodes bridge topics', () => {
    expect(decodeOnlineState('{"state":"online"}')).toEqual({ ok: true, value: true });
    expect(decodeOnlineState('{"state":"offline"}')).toEqual({ ok: true, value: false });
    expect(decodeOnlineState('{"state":"on"}').ok).toBe(false);
    expect(decodeInfo('{"protocol":1,"gateway":{"id":"gw-1","model":"KIX 300","firmware":"1.2"}}')).toEqual({
      ok: true,
      value: { protocol: 1, id: 'gw-1', model: 'KIX 300', firmware: '1.2' },
    });
    expect(decodeInfo('{"protocol":1}').ok).toBe(false);
    expect(decodeWeather('{"temperature":12.5,"wind_speed":3.2,"rain":false}')).toEqual({
      ok: true,
      value: { temperature: 12.5, windSpeed: 3.2, rain: false },
    });
    expect(decodeWeather('{"wind_speed":-1}').ok).toBe(false);
    expect(decodeResponse('{"transaction":"t1","status":"error","error":"rain","message":"rain sensor active"}').ok).toBe(true);
    expect(decodeResponse('{"transaction":"t1","status":"maybe"}').ok).toBe(false);
    expect(decodeResponse('{"transaction":"t1","status":"error","error":"flood"}').ok).toBe(false);
  });

  it('classifies topics under the base topic only', () => {
    expect(classifyTopic('velux', 'velux/bridge/state')).toEqual({ kind: 'bridgeState' });
    expect(classifyTopic('velux', 'velux/bridge/devices')).toEqual({ kind: 'devices' });
    expect(classifyTopic('velux', 'velux/kitchen-window')).toEqual({ kind: 'state', deviceId: 'kitchen-window' });
    expect(classifyTopic('velux', 'velux/kitchen-window/availability')).toEqual({ kind: 'availability', deviceId: 'kitchen-window' });
    expect(classifyTopic('velux', 'velux/kitchen-window/set')).toEqual({ kind: 'ignored' });
    expect(classifyTopic('velux', 'velux/bridge/other')).toEqual({ kind: 'ignored' });
    expect(classifyTopic('velux', 'veluxx/kitchen-window')).toEqual({ kind: 'ignored' });
    expect(classifyTopic('home/velux', 'home/velux/a')).toEqual({ kind: 'state', deviceId: 'a' });
  });
});

describe('broker URL in log lines', () => {
  it('hides credentials written into the URL', () => {
    expect(redactUrl('mqtt://user:s3cret@10.0.0.2:1883')).toBe('mqtt://***:***@10.0.0.2:1883');
    expect(redactUrl('mqtts://token@broker.local')).not.toContain('token');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  });
});

describe('broker URLs the client connects to over a plain TCP socket of its own', () => {
  it('takes host and port of a plain mqtt:// or tcp:// URL, with mqtt.js\'s defaults', () => {
    expect(plainTcpBroker('mqtt://127.0.0.1:1883', {})).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(plainTcpBroker('mqtt://192.168.1.10:1884/', {})).toEqual({ host: '192.168.1.10', port: 1884 });
    expect(plainTcpBroker('tcp://broker.local', {})).toEqual({ host: 'broker.local', port: 1883 });
    expect(plainTcpBroker('mqtt://[::1]:1885', {})).toEqual({ host: '::1', port: 1885 });
  });

  it('leaves every other URL to mqtt.connect(): TLS, WebSocket, credentials, path or query in the URL, a SOCKS proxy', () => {
    for (const url of ['mqtts://broker.local:8883', 'ssl://broker.local', 'ws://broker.local:9001', 'wss://broker.local', 'mqtt://user:pw@broker.local', 'mqtt://broker.local?clientId=x', 'mqtt://broker.local/path', 'not a url']) {
      expect(plainTcpBroker(url, {}), url).toBeUndefined();
    }
    expect(plainTcpBroker('mqtt://127.0.0.1:1883', { MQTTJS_SOCKS_PROXY: 'socks5://127.0.0.1:1080' })).toBeUndefined();
  });
});
