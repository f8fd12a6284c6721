/**
 * The MQTT transport against real brokers (in-process aedes; Mosquitto too when MQTT_URL is
 * set), with a hand-driven "gateway" client so every message is under the test's control.
 */
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { MqttGateway } from '../../../src/gateway/mqtt/gateway.js';
import { Home } from '../../../src/home/model.js';
import { brokerFactories, uniqueBaseTopic, type TestBroker } from '../../helpers/broker.js';
import { recordingLogger, waitFor, type RecordingLogger } from '../../helpers/log.js';

const DEVICES = [
  { id: 'kitchen-window', type: 'window', name: 'Kitchen window', room: 'Kitchen', features: { rain_sensor: true } },
  { id: 'kitchen-sensor', type: 'sensor', name: 'Kitchen sensor', room: 'Kitchen', features: { measures: ['temperature', 'humidity', 'co2'] } },
  { id: 'departure', type: 'departure_switch', name: 'Departure switch', features: {} },
];

interface FakeGateway {
  client: MqttClient;
  base: string;
  commands: Array<{ topic: string; payload: Record<string, unknown> }>;
  answer: 'ok' | 'never' | { error: string };
  publish(suffix: string, payload: unknown, retain?: boolean): Promise<void>;
}

async function fakeGateway(url: string, base: string): Promise<FakeGateway> {
  const client = await mqtt.connectAsync(url, { clientId: `fake-gw-${base}`, will: { topic: `${base}/bridge/state`, payload: Buffer.from('{"state":"offline"}'), retain: true, qos: 1 } });
  const fake: FakeGateway = {
    client,
    base,
    commands: [],
    answer: 'ok',
    publish: async (suffix, payload, retain = true) => {
      await client.publishAsync(`${base}/${suffix}`, typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), { retain, qos: 1 });
    },
  };
  await client.subscribeAsync(`${base}/+/set`, { qos: 1 });
  client.on('message', (topic, buf) => {
    const payload = JSON.parse(buf.toString()) as Record<string, unknown>;
    fake.commands.push({ topic, payload });
    const answer = fake.answer;
    if (answer === 'never') return;
    const body = answer === 'ok' ? { transaction: payload.transaction, status: 'ok' } : { transaction: payload.transaction, status: 'error', error: answer.error, message: 'refused' };
    void client.publishAsync(`${base}/bridge/response`, JSON.stringify(body), { qos: 1 });
  });
  await fake.publish('bridge/state', { state: 'online' });
  await fake.publish('bridge/info', { protocol: 1, gateway: { id: 'gw-test', model: 'KIX 300', firmware: '1.0' } });
  await fake.publish('bridge/devices', DEVICES);
  await fake.publish('bridge/weather', { temperature: 12, wind_speed: 2, rain: false });
  await fake.publish('kitchen-window', { position: 0, target: 0, motion: 'stopped', obstructed: false, rain: false });
  await fake.publish('kitchen-window/availability', { state: 'online' });
  await fake.publish('kitchen-sensor', { temperature: 21.5, humidity: 45, co2: 800 });
  await fake.publish('departure', { away: false });
  return fake;
}

async function clearRetained(fake: FakeGateway) {
  for (const t of ['bridge/state', 'bridge/info', 'bridge/devices', 'bridge/weather', 'kitchen-window', 'kitchen-window/availability', 'kitchen-sensor', 'departure']) {
    await fake.client.publishAsync(`${fake.base}/${t}`, '', { retain: true, qos: 1 });
  }
  await fake.client.endAsync();
}

for (const factory of brokerFactories()) {
  describe(`MqttGateway + Home over ${factory.name}`, () => {
    let broker: TestBroker;
    let fake: FakeGateway;
    let home: Home;
    let log: RecordingLogger;

    beforeAll(async () => {
      broker = await factory.start();
    });
    afterAll(async () => {
      await broker.close();
    });

    async function setUp(options: { commandTimeoutMs?: number } = {}) {
      const base = uniqueBaseTopic();
      fake = await fakeGateway(broker.url, base);
      log = recordingLogger();
      home = new Home({ log });
      home.addGateway(new MqttGateway({ name: 'Test', url: broker.url, baseTopic: base, commandTimeoutMs: options.commandTimeoutMs ?? 1000 }, log));
      await home.start();
      await waitFor(() => home.device(`${base}/kitchen-window`)?.reachable, 5000, 'the window to be reachable');
      return base;
    }

    afterEach(async () => {
      await home.stop();
      await clearRetained(fake);
    });

    it('builds the home from retained messages', async () => {
      const base = await setUp();
      await waitFor(() => home.device(`${base}/kitchen-sensor`)?.reachable);
      expect(home.devices().map((d) => d.id).sort()).toEqual(['departure', 'kitchen-sensor', 'kitchen-window']);
      const window = home.device(`${base}/kitchen-window`);
      expect(window?.state).toEqual({ position: 0, target: 0, motion: 'stopped', obstructed: false, rain: false });
      expect(window?.gatewayId).toBe('gw-test');
      expect(home.device(`${base}/kitchen-sensor`)?.state.co2).toBe(800);
      expect(home.weather).toEqual({ temperature: 12, windSpeed: 2, rain: false });
      expect(home.rooms().map((r) => [r.name, r.climateCapable])).toEqual([['Kitchen', true]]);
      expect(home.away).toBe(false);
    });

    it('sends a command with transaction and source, and resolves with the gateway answer', async () => {
      const base = await setUp();
      const result = await home.command(`${base}/kitchen-window`, { position: 42.4 }, 'homekit');
      expect(result).toEqual({ ok: true });
      expect(fake.commands).toHaveLength(1);
      expect(fake.commands[0]?.topic).toBe(`${base}/kitchen-window/set`);
      expect(fake.commands[0]?.payload).toMatchObject({ position: 42, source: 'homekit', transaction: expect.any(String) });

      fake.answer = { error: 'rain' };
      expect(await home.command(`${base}/kitchen-window`, { position: 80 }, 'google')).toEqual({ ok: false, error: 'rain', message: 'refused' });
    });

    it('writes its packets without mqtt-packet\'s table of 65,536 number buffers', async () => {
      // The copy of mqtt-packet that mqtt itself loads (the table is that module's, for the whole process).
      const packet = createRequire(createRequire(import.meta.url).resolve('mqtt'))('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
      const base = await setUp();
      expect(await home.command(`${base}/kitchen-window`, { position: 30 }, 'homekit')).toEqual({ ok: true });
      expect(packet.writeToStream.cacheNumbers).toBe(false);
    });

    it('times out a command the gateway never answers', async () => {
      const base = await setUp({ commandTimeoutMs: 300 });
      fake.answer = 'never';
      const result = await home.command(`${base}/kitchen-window`, { position: 50 }, 'homekit');
      expect(result).toMatchObject({ ok: false, error: 'timeout' });
      expect(fake.commands).toHaveLength(1);
    });

    it('sends nothing while the gateway is offline and marks every device unreachable', async () => {
      const base = await setUp();
      await fake.publish('bridge/state', { state: 'offline' });
      await waitFor(() => !home.device(`${base}/kitchen-window`)?.reachable, 3000, 'unreachable');
      expect(home.devices().every((d) => !d.reachable)).toBe(true);
      const result = await home.command(`${base}/kitchen-window`, { position: 50 }, 'homekit');
      expect(result).toMatchObject({ ok: false, error: 'gateway_offline' });
      await new Promise((r) => setTimeout(r, 100));
      expect(fake.commands).toHaveLength(0);
      await fake.publish('bridge/state', { state: 'online' });
      await waitFor(() => home.device(`${base}/kitchen-window`)?.reachable, 3000, 'reachable again');
    });

    it('refuses commands to a device that is out of radio reach without sending', async () => {
      const base = await setUp();
      await fake.publish('kitchen-window/availability', { state: 'offline' });
      await waitFor(() => !home.device(`${base}/kitchen-window`)?.reachable);
      expect(await home.command(`${base}/kitchen-window`, { position: 50 }, 'homekit')).toMatchObject({ ok: false, error: 'unreachable' });
      expect(fake.commands).toHaveLength(0);
    });

    it('follows the physical departure switch and sends departure commands', async () => {
      const base = await setUp();
      const modes: boolean[] = [];
      home.on('mode', (away) => modes.push(away));
      await fake.publish('departure', { away: true });
      await waitFor(() => home.away, 3000, 'away');
      expect(await home.setAway(false, 'homekit')).toEqual({ ok: true });
      expect(fake.commands.at(-1)?.payload).toMatchObject({ away: false, source: 'homekit' });
      expect(fake.commands.at(-1)?.topic).toBe(`${base}/departure/set`);
      expect(modes).toEqual([true, false]);
    });

    it('adds and removes devices when bridge/devices changes', async () => {
      const base = await setUp();
      const added: string[] = [];
      const removed: string[] = [];
      home.on('deviceAdded', (d) => added.push(d.id));
      home.on('deviceRemoved', (d) => removed.push(d.id));
      await fake.publish('bridge/devices', [...DEVICES.slice(1), { id: 'bath-window', type: 'window', name: 'Bathroom window', room: 'Bathroom' }]);
      await waitFor(() => removed.length > 0 && added.length > 0);
      expect(added).toEqual(['bath-window']);
      expect(removed).toEqual(['kitchen-window']);
      expect(home.device(`${base}/kitchen-window`)).toBeUndefined();
      expect(await home.command(`${base}/kitchen-window`, { position: 1 }, 'cli')).toMatchObject({ ok: false, error: 'unknown_device' });
    });

    it('logs one line per topic for malformed payloads and changes nothing', async () => {
      const base = await setUp();
      // The retained home arrives topic by topic: take the snapshot only once all of it is in.
      await waitFor(() => home.devices().length === 3 && home.devices().every((d) => d.reachable) && home.weather?.temperature !== undefined, 5000, 'the whole retained home');
      const window = home.device(`${base}/kitchen-window`);
      const before = JSON.stringify({ devices: home.devices().map((d) => [d.id, d.state, d.reachable]), weather: home.weather, away: home.away });
      const bad: Array<[string, string]> = [
        ['bridge/state', '{"state":"sleeping"}'],
        ['bridge/info', 'not json'],
        ['bridge/devices', '{"id":"x"}'],
        ['bridge/weather', '{"rain":"yes"}'],
        ['bridge/response', '{"status":"ok"}'],
        ['kitchen-window', '{"position":250}'],
        ['kitchen-window/availability', '{"state":1}'],
        ['kitchen-sensor', '{"co2":"high"}'],
        ['departure', '[1,2,3]'],
      ];
      for (let round = 0; round < 2; round++) {
        for (const [topic, payload] of bad) await fake.publish(topic, payload, topic !== 'bridge/response');
      }
      await waitFor(() => log.text('warn').filter((l) => l.includes('ignoring invalid payload')).length >= bad.length, 3000, 'warnings');
      await new Promise((r) => setTimeout(r, 200));
      const warnings = log.text('warn').filter((l) => l.includes('ignoring invalid payload'));
      expect(warnings).toHaveLength(bad.length); // once per topic, not once per message
      for (const [topic] of bad) expect(warnings.some((w) => w.includes(`${base}/${topic}:`))).toBe(true);
      const after = JSON.stringify({ devices: home.devices().map((d) => [d.id, d.state, d.reachable]), weather: home.weather, away: home.away });
      expect(after).toBe(before);
      expect(home.device(`${base}/kitchen-window`)).toBe(window);
    });
  });
}
