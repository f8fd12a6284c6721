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
import { redactUrl } from '../../../src/gateway/mqtt/gateway.js';

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
