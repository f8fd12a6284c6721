/**
 * Fuzzing the gateway contract (docs/gateway-protocol.md).
 *
 * 1. Through a real broker (in-process aedes; Mosquitto too when MQTT_URL is set) into a
 *    real MqttGateway + Home: random bytes, broken JSON, wrong types, out-of-range numbers,
 *    payloads over 1 MiB, unknown device ids and unknown topics. After every payload:
 *    - an invalid payload changed nothing (the home is snapshotted before and after),
 *    - a valid one changed the home to exactly the decoded value and nothing else,
 *    - warnings: exactly one per topic until a valid payload arrives there again,
 *    - no crash, no unhandled rejection.
 * 2. The codec directly: thousands of cases per decoder.
 *
 * FUZZ_RUNS=<n> runs n cases per broker property (and 10 n per codec property).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { Socket } from 'node:net';
import {
  classifyTopic,
  decodeDeviceState,
  decodeDevices,
  decodeInfo,
  decodeOnlineState,
  decodeResponse,
  decodeWeather,
  encodeDevices,
  MAX_PAYLOAD_BYTES,
  type Decoded,
} from '../../src/gateway/mqtt/codec.js';
import { MqttGateway } from '../../src/gateway/mqtt/gateway.js';
import type { CommandResult, DeviceDescriptor, DeviceState, GatewayInfo, Weather } from '../../src/gateway/types.js';
import { Home } from '../../src/home/model.js';
import { brokerFactories, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import { recordingLogger, waitFor, type RecordingLogger } from '../helpers/log.js';
import { captureProcessErrors, fuzzRuns } from './support/process-errors.js';
import {
  deviceId,
  hugeValid,
  INVALID,
  noise,
  ONE_MIB,
  VALID,
  validDevicesKeeping,
  validResponse,
  type PayloadKind,
} from './support/payloads.js';

const BROKER_RUNS = fuzzRuns(1500);
const CODEC_RUNS = fuzzRuns(3000, 10);
const processErrors = captureProcessErrors();
afterAll(() => processErrors.dispose());

// ---------------------------------------------------------------- the home under fuzz

const BASELINE: DeviceDescriptor[] = [
  { id: 'win', type: 'window', name: 'Window', room: 'Attic', features: { rainSensor: true } },
  { id: 'blind', type: 'blind', name: 'Blind', room: 'Attic', features: {} },
  { id: 'sensor', type: 'sensor', name: 'Sensor', room: 'Attic', features: { measures: ['temperature', 'humidity', 'co2', 'lux'], battery: true } },
  { id: 'dep', type: 'departure_switch', name: 'Departure switch', features: {} },
];
const BASELINE_STATE: Record<string, DeviceState> = {
  win: { position: 0, target: 0, motion: 'stopped', obstructed: false, rain: false },
  blind: { position: 100, target: 100, motion: 'stopped', obstructed: false },
  sensor: { temperature: 21.5, humidity: 45, co2: 800, lux: 300, battery: 90 },
  dep: { away: false },
};
const BASELINE_INFO = { protocol: 1, gateway: { id: 'gw-fuzz', model: 'KIX 300', firmware: '1.0' } };
const KNOWN_IDS = BASELINE.map((d) => d.id);
const SENTINEL_ID = 'zz-sentinel';

interface DeviceSnapshot {
  key: string;
  gatewayId: string;
  gatewayInfo?: GatewayInfo;
  descriptor: DeviceDescriptor;
  state: DeviceState;
  updated?: number;
  available: boolean;
  reachable: boolean;
}
interface HomeSnapshot {
  online: boolean;
  weather?: Weather;
  away: boolean;
  /** By `slot(id)`: device ids such as `__proto__` are valid and must not touch a prototype. */
  devices: Record<string, DeviceSnapshot>;
}
const slot = (id: string) => `#${id}`;

type Target = { suffix: string; kind: PayloadKind | 'ignored'; deviceId?: string };

interface Case {
  target: Target;
  payload: Buffer;
  /** What the payload is by construction; `noise` has no expectation. */
  made: 'valid' | 'invalid' | 'huge' | 'noise' | 'empty';
  expected?: unknown;
}

const DECODERS: Record<PayloadKind, (p: Buffer | string) => Decoded<unknown>> = {
  bridgeState: decodeOnlineState,
  availability: decodeOnlineState,
  info: decodeInfo,
  devices: decodeDevices,
  weather: decodeWeather,
  response: decodeResponse,
  state: decodeDeviceState,
};

class FuzzRig {
  readonly base = uniqueBaseTopic('fuzz');
  readonly log: RecordingLogger = recordingLogger();
  readonly home = new Home({ log: this.log });
  readonly gateway: MqttGateway;
  publisher!: MqttClient;
  /** Commands the fake gateway received on `<base>/+/set`. */
  readonly commands: Array<Record<string, unknown>> = [];
  private sentinelWaiter?: () => void;
  /** Topics whose last payload was invalid (the transport has warned once for them). */
  private readonly badTopics = new Set<string>();
  private readonly expectedWarnings = new Map<string, number>();
  /** The last valid bridge/info, as the home should know it. */
  private info: GatewayInfo = { protocol: 1, id: 'gw-fuzz', model: 'KIX 300', firmware: '1.0' };
  /** Devices keep the gateway id first used for this gateway (stable accessory identities). */
  private readonly firstGatewayId = BASELINE_INFO.gateway.id;
  readonly counts = { cases: 0, valid: 0, invalid: 0, ignored: 0, huge: 0, restores: 0 };

  constructor(private readonly url: string) {
    this.gateway = new MqttGateway({ name: 'Fuzz', url, baseTopic: this.base, commandTimeoutMs: 20_000 }, this.log);
    this.gateway.on('invalid', (topic) => {
      if (topic === this.topic(SENTINEL_ID)) this.sentinelWaiter?.();
    });
  }

  topic(suffix: string): string {
    return `${this.base}/${suffix}`;
  }

  async start(): Promise<void> {
    this.publisher = await mqtt.connectAsync(this.url, { clientId: `fuzz-gw-${this.base}`, reconnectPeriod: 0 });
    if (this.publisher.stream instanceof Socket) this.publisher.stream.setNoDelay(true);
    await this.publisher.subscribeAsync(this.topic('+/set'), { qos: 1 });
    this.publisher.on('message', (_topic, payload) => {
      // The fuzz itself publishes junk on `<id>/set` (an ignored topic for the bridge).
      try {
        const command = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (typeof command?.transaction === 'string' && command.source === 'test') this.commands.push(command);
      } catch {
        // not a command from the bridge
      }
    });
    await this.publish('bridge/info', JSON.stringify(BASELINE_INFO), true);
    await this.publish('bridge/devices', JSON.stringify(encodeDevices(BASELINE)), true);
    await this.publish('bridge/weather', JSON.stringify({ temperature: 12, wind_speed: 2, rain: false }), true);
    for (const d of BASELINE) {
      await this.publish(d.id, JSON.stringify(BASELINE_STATE[d.id]), true);
      await this.publish(`${d.id}/availability`, '{"state":"online"}', true);
    }
    await this.publish('bridge/state', '{"state":"online"}', true);
    this.home.addGateway(this.gateway);
    await this.home.start();
    await waitFor(() => this.home.devices().length === BASELINE.length && this.home.devices().every((d) => d.reachable) && this.home.weather, 5000, 'the baseline home');
  }

  async stop(): Promise<void> {
    await this.home.stop();
    for (const suffix of ['bridge/state', 'bridge/info', 'bridge/devices', 'bridge/weather', ...KNOWN_IDS, ...KNOWN_IDS.map((id) => `${id}/availability`)]) {
      await this.publish(suffix, '', true);
    }
    await this.publisher.endAsync();
  }

  publish(suffix: string, payload: string | Buffer, retain = false): Promise<void> {
    return this.publisher.publishAsync(this.topic(suffix), payload, { qos: 1, retain }).then(() => undefined);
  }

  /** Resolves once everything published before it has been processed by the gateway. */
  async sync(): Promise<void> {
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the sentinel message did not arrive within 10 s')), 10_000);
      this.sentinelWaiter = () => {
        clearTimeout(timer);
        this.sentinelWaiter = undefined;
        resolve();
      };
    });
    await this.publish(SENTINEL_ID, 'sentinel');
    await arrived;
  }

  snapshot(): HomeSnapshot {
    const devices: Record<string, DeviceSnapshot> = {};
    for (const d of this.home.devices()) {
      devices[slot(d.id)] = structuredClone({
        key: d.key,
        gatewayId: d.gatewayId,
        gatewayInfo: d.gatewayInfo,
        descriptor: d.descriptor,
        state: d.state,
        updated: d.stateUpdatedAt,
        available: d.available,
        reachable: d.reachable,
      });
    }
    return structuredClone({ online: this.home.gatewayOnline(this.base), weather: this.home.weather, away: this.home.away, devices });
  }

  warningsFor(topic: string): number {
    return this.log.text('warn').filter((l) => l.includes(`ignoring invalid payload on ${topic}: `)).length;
  }

  /** Publishes one case and checks every invariant. */
  async check(c: Case): Promise<void> {
    this.counts.cases++;
    const topic = this.topic(c.target.suffix);
    const before = this.snapshot();
    const warningsBefore = this.warningsFor(topic);
    await this.publish(c.target.suffix, c.payload);
    await this.sync();
    const after = this.snapshot();
    const kind = c.target.kind;
    const where = `${c.made} payload on ${c.target.suffix} (${c.payload.length} bytes): ${preview(c.payload)}`;

    // Ignored topics, and empty (retained-clearing) payloads on any topic but the response.
    if (kind === 'ignored' || (c.payload.length === 0 && kind !== 'response')) {
      this.counts.ignored++;
      expect(after, where).toEqual(before);
      expect(this.warningsFor(topic), where).toBe(warningsBefore);
      return;
    }

    const decoded = DECODERS[kind](c.payload);
    if (c.made === 'valid') {
      expect(decoded, where).toEqual({ ok: true, value: c.expected });
    } else if (c.made === 'invalid' || c.made === 'huge' || c.made === 'empty') {
      expect(decoded.ok, where).toBe(false);
      if (c.made === 'huge') expect(decoded.ok ? '' : decoded.reason, where).toContain('limit');
    }

    if (!decoded.ok) {
      this.counts.invalid++;
      if (c.made === 'huge') this.counts.huge++;
      expect(after, where).toEqual(before);
      if (!this.badTopics.has(topic)) {
        this.badTopics.add(topic);
        this.expectedWarnings.set(topic, (this.expectedWarnings.get(topic) ?? 0) + 1);
      }
    } else {
      this.counts.valid++;
      this.badTopics.delete(topic);
      expect(after, where).toEqual(this.expectedAfter(before, after, c.target, decoded.value));
    }
    expect(this.warningsFor(topic), `warnings for ${topic} after ${where}`).toBe(this.expectedWarnings.get(topic) ?? 0);
    await this.restoreBaseline();
  }

  /** The home after a valid payload: exactly the decoded value applied, nothing else. */
  private expectedAfter(before: HomeSnapshot, after: HomeSnapshot, target: Target, value: unknown): HomeSnapshot {
    const next = structuredClone(before);
    switch (target.kind) {
      case 'bridgeState':
        next.online = value as boolean;
        break;
      case 'info':
        this.info = value as GatewayInfo;
        for (const d of Object.values(next.devices)) d.gatewayInfo = structuredClone(this.info);
        break;
      case 'weather':
        next.weather = value as Weather;
        break;
      case 'response':
        break; // no command is pending: nothing to settle
      case 'devices': {
        const devices: Record<string, DeviceSnapshot> = {};
        for (const descriptor of value as DeviceDescriptor[]) {
          const previous = next.devices[slot(descriptor.id)];
          if (previous && previous.descriptor.type === descriptor.type) devices[slot(descriptor.id)] = { ...previous, descriptor };
          else if (previous) devices[slot(descriptor.id)] = { ...previous, descriptor, state: {}, updated: undefined };
          else {
            devices[slot(descriptor.id)] = {
              key: this.topic(descriptor.id),
              gatewayId: this.firstGatewayId,
              gatewayInfo: structuredClone(this.info),
              descriptor,
              state: {},
              updated: undefined,
              available: true,
              reachable: false,
            };
          }
        }
        next.devices = devices;
        break;
      }
      case 'state': {
        const device = next.devices[slot(target.deviceId!)];
        if (device) {
          device.state = value as DeviceState;
          const stamped = after.devices[slot(target.deviceId!)]?.updated;
          expect(stamped).toBeGreaterThanOrEqual(device.updated ?? 0);
          device.updated = stamped;
        }
        break;
      }
      case 'availability': {
        const device = next.devices[slot(target.deviceId!)];
        if (device) device.available = value as boolean;
        break;
      }
      case 'ignored':
        break;
    }
    for (const d of Object.values(next.devices)) d.reachable = next.online && d.available && d.updated !== undefined;
    const switches = Object.values(next.devices).filter((d) => d.descriptor.type === 'departure_switch');
    next.away = switches.length > 0 ? switches.some((d) => d.state.away === true) : false;
    return next;
  }

  /**
   * Valid random payloads may take the gateway offline or replace the device list; put the
   * baseline back (with valid payloads, which also end those topics' "invalid" spell).
   */
  private async restoreBaseline(): Promise<void> {
    const snap = this.snapshot();
    const devicesOk = BASELINE.every((b) => snap.devices[slot(b.id)]?.descriptor.type === b.type);
    const missing = KNOWN_IDS.filter((id) => !snap.devices[slot(id)]?.available || snap.devices[slot(id)]?.updated === undefined);
    if (snap.online && devicesOk && missing.length === 0) return;
    this.counts.restores++;
    const restore: Array<[string, string]> = [];
    if (!devicesOk) restore.push(['bridge/devices', JSON.stringify(BASELINE)]);
    for (const id of devicesOk ? missing : KNOWN_IDS) {
      restore.push([id, JSON.stringify(BASELINE_STATE[id])], [`${id}/availability`, '{"state":"online"}']);
    }
    restore.push(['bridge/state', '{"state":"online"}']);
    for (const [suffix, payload] of restore) {
      await this.publish(suffix, payload);
      this.badTopics.delete(this.topic(suffix));
    }
    await this.sync();
    const back = this.snapshot();
    expect(back.online).toBe(true);
    for (const b of BASELINE) expect(back.devices[slot(b.id)]?.reachable, `${b.id} restored`).toBe(true);
  }

  /** Warning and error lines other than the once-per-topic invalid-payload warnings. */
  unexpectedLogLines(): string[] {
    return this.log.lines
      .filter((l) => l.level === 'warn' || l.level === 'error')
      .map((l) => l.message)
      .filter(
        (m) =>
          !m.includes('ignoring invalid payload on ') &&
          !/gateway speaks protocol \d+; this plugin knows protocol 1/.test(m) &&
          m !== '[Fuzz] the gateway is offline', // a valid {"state":"offline"}
      );
  }
}

function preview(payload: Buffer): string {
  const text = payload.toString('utf8');
  return JSON.stringify(text.length > 160 ? `${text.slice(0, 160)}…` : text);
}

// ---------------------------------------------------------------- case generation

const IGNORED_SUFFIXES = [
  'bridge',
  'bridge/',
  'bridge/other',
  'bridge/state/extra',
  'bridge/devices/0',
  'win/set',
  'win/get',
  'win/availability/extra',
  'win/x/y',
  'has space',
  'dot.id',
  'é',
  'a'.repeat(65),
  '',
  '/win',
  'win/',
];

const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Target>({ suffix: 'bridge/state', kind: 'bridgeState' }, { suffix: 'bridge/info', kind: 'info' }, { suffix: 'bridge/devices', kind: 'devices' }, { suffix: 'bridge/weather', kind: 'weather' }, { suffix: 'bridge/response', kind: 'response' }) },
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_IDS).map<Target>((id) => ({ suffix: id, kind: 'state', deviceId: id })) },
  { weight: 2, arbitrary: fc.constantFrom(...KNOWN_IDS).map<Target>((id) => ({ suffix: `${id}/availability`, kind: 'availability', deviceId: id })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(deviceId.filter((id) => !KNOWN_IDS.includes(id) && id !== SENTINEL_ID), fc.boolean())
      .map<Target>(([id, availability]) => (availability ? { suffix: `${id}/availability`, kind: 'availability', deviceId: id } : { suffix: id, kind: 'state', deviceId: id })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...IGNORED_SUFFIXES).map<Target>((suffix) => ({ suffix, kind: 'ignored' })) },
);

/** Valid payloads for bridge/devices mostly keep the baseline devices so the other topics keep their targets. */
const VALID_FOR_RIG: Record<PayloadKind, fc.Arbitrary<{ text: string; expected: unknown }>> = {
  ...VALID,
  devices: fc.oneof({ weight: 4, arbitrary: validDevicesKeeping(BASELINE) }, { weight: 1, arbitrary: VALID.devices }),
};

const caseArb: fc.Arbitrary<Case> = targetArb.chain((target) => {
  const kind: PayloadKind = target.kind === 'ignored' ? 'state' : target.kind;
  return fc.oneof(
    { weight: 30, arbitrary: VALID_FOR_RIG[kind].map<Case>((v) => ({ target, payload: Buffer.from(v.text), made: 'valid', expected: v.expected })) },
    { weight: 30, arbitrary: INVALID[kind].map<Case>((text) => ({ target, payload: Buffer.from(text), made: 'invalid' })) },
    { weight: 30, arbitrary: noise.map<Case>((payload) => ({ target, payload, made: 'noise' })) },
    { weight: 3, arbitrary: hugeValid(VALID[kind], kind).map<Case>((payload) => ({ target, payload, made: 'huge' })) },
    { weight: 2, arbitrary: fc.constant<Case>({ target, payload: Buffer.alloc(0), made: 'empty' }) },
  );
});

// ---------------------------------------------------------------- through a real broker

for (const factory of brokerFactories()) {
  describe(`gateway fuzz through ${factory.name}`, () => {
    let broker: TestBroker;
    let rig: FuzzRig;

    beforeAll(async () => {
      broker = await factory.start();
      rig = new FuzzRig(broker.url);
      await rig.start();
    });
    afterAll(async () => {
      await rig?.stop();
      await broker?.close();
    });

    it(
      `keeps the home unchanged by invalid payloads and exact for valid ones (${BROKER_RUNS} cases)`,
      async () => {
        await fc.assert(
          fc.asyncProperty(caseArb, (c) => rig.check(c)),
          { numRuns: BROKER_RUNS, endOnFailure: true },
        );
        expect(rig.unexpectedLogLines()).toEqual([]);
        expect(processErrors.errors).toEqual([]);
        // The run must have covered what it claims to.
        expect(rig.counts.valid).toBeGreaterThan(BROKER_RUNS / 10);
        expect(rig.counts.invalid).toBeGreaterThan(BROKER_RUNS / 4);
        expect(rig.counts.ignored).toBeGreaterThan(0);
        expect(rig.counts.huge).toBeGreaterThan(0);
        console.log(`[gateway fuzz ${factory.name}] ${JSON.stringify(rig.counts)}`);
      },
      Math.max(60_000, BROKER_RUNS * 100),
    );

    it('accepts a payload of exactly 1 MiB and refuses one byte more', async () => {
      const state = '{"position":37,"target":37,"motion":"stopped"';
      const exact = Buffer.from(`${state},"pad":"${'x'.repeat(ONE_MIB - state.length - 10)}"}`);
      expect(exact.length).toBe(MAX_PAYLOAD_BYTES);
      await rig.check({ target: { suffix: 'win', kind: 'state', deviceId: 'win' }, payload: exact, made: 'valid', expected: { position: 37, target: 37, motion: 'stopped' } });
      const over = Buffer.concat([exact.subarray(0, exact.length - 1), Buffer.from(' }')]);
      await rig.check({ target: { suffix: 'win', kind: 'state', deviceId: 'win' }, payload: over, made: 'huge' });
      expect(rig.home.device(rig.topic('win'))?.state.position).toBe(37);
    });

    it('settles a pending command only with a valid answer carrying its own transaction', async () => {
      let result: CommandResult | undefined;
      const sentBefore = rig.commands.length;
      void rig.home.command(rig.topic('blind'), { position: 40 }, 'test').then((r) => (result = r));
      const command = await waitFor(() => rig.commands[sentBefore], 3000, 'the command at the fake gateway');
      const transaction = String(command.transaction);
      const foreign = validResponse.filter((r) => !r.text.includes(JSON.stringify(transaction)));
      const broken = fc.oneof(
        INVALID.response,
        noise.map((b) => b.toString()),
        fc.constantFrom(
          `{"transaction":${JSON.stringify(transaction)}}`,
          `{"transaction":${JSON.stringify(transaction)},"status":"maybe"}`,
          `{"transaction":${JSON.stringify(transaction)},"status":"error","error":"flood"}`,
          `{"transaction":${JSON.stringify(transaction)},"status":"ok","message":7}`,
          `{"transaction":[${JSON.stringify(transaction)}],"status":"ok"}`,
          `{"transaction":${JSON.stringify(transaction.toUpperCase() === transaction ? `${transaction}x` : transaction.toUpperCase())},"status":"ok"}`,
          `{"pad":"${'x'.repeat(ONE_MIB)}","transaction":${JSON.stringify(transaction)},"status":"ok"}`,
        ),
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(foreign.map((r) => r.text), broken), async (text) => {
          await rig.publish('bridge/response', text);
          await rig.sync();
          expect(result, `settled by ${preview(Buffer.from(text))}`).toBeUndefined();
        }),
        { numRuns: Math.min(300, BROKER_RUNS), endOnFailure: true },
      );
      await rig.publish('bridge/response', JSON.stringify({ transaction, status: 'error', error: 'busy', message: 'motor busy' }));
      await waitFor(() => result, 3000, 'the answer');
      expect(result).toEqual({ ok: false, error: 'busy', message: 'motor busy' });
      // A second answer for the same transaction is ignored.
      await rig.publish('bridge/response', JSON.stringify({ transaction, status: 'ok' }));
      await rig.sync();
      expect(rig.commands.length - sentBefore).toBe(1);
      expect(processErrors.errors).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------- the codec alone

/** Independent soundness checks of decoded values (the protocol's ranges and types). */
const isPercent = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100;
const inRange = (n: unknown, lo: number, hi: number) => typeof n === 'number' && Number.isFinite(n) && n >= lo && n <= hi;
const optional = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v);
const isBool = (v: unknown) => typeof v === 'boolean';
const plainWithKeys = (v: unknown, keys: string[]) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).every((k) => keys.includes(k)) && Object.values(v).every((x) => x !== undefined);

const SOUND: Record<PayloadKind, (v: unknown) => boolean> = {
  bridgeState: isBool,
  availability: isBool,
  state: (v) => {
    const s = v as Record<string, unknown>;
    return (
      plainWithKeys(v, ['position', 'target', 'motion', 'obstructed', 'rain', 'temperature', 'humidity', 'co2', 'lux', 'away', 'battery']) &&
      optional(s.position, isPercent) &&
      optional(s.target, isPercent) &&
      optional(s.motion, (m) => m === 'opening' || m === 'closing' || m === 'stopped') &&
      optional(s.obstructed, isBool) &&
      optional(s.rain, isBool) &&
      optional(s.temperature, (n) => inRange(n, -60, 100)) &&
      optional(s.humidity, isPercent) &&
      optional(s.co2, (n) => inRange(n, 0, 100000)) &&
      optional(s.lux, (n) => inRange(n, 0, 200000)) &&
      optional(s.away, isBool) &&
      optional(s.battery, isPercent)
    );
  },
  weather: (v) => {
    const w = v as Record<string, unknown>;
    return plainWithKeys(v, ['temperature', 'windSpeed', 'rain']) && optional(w.temperature, (n) => inRange(n, -60, 70)) && optional(w.windSpeed, (n) => inRange(n, 0, 100)) && optional(w.rain, isBool);
  },
  info: (v) => {
    const i = v as Record<string, unknown>;
    return plainWithKeys(v, ['protocol', 'id', 'model', 'firmware']) && Number.isInteger(i.protocol) && (i.protocol as number) >= 1 && typeof i.id === 'string' && i.id.length >= 1 && i.id.length <= 128;
  },
  devices: (v) =>
    Array.isArray(v) &&
    v.length <= 5000 &&
    new Set(v.map((d: DeviceDescriptor) => d.id)).size === v.length &&
    v.every((d: DeviceDescriptor) => /^[A-Za-z0-9_-]{1,64}$/.test(d.id) && d.id !== 'bridge' && typeof d.name === 'string' && d.name.length >= 1 && plainWithKeys(d.features, ['rainSensor', 'battery', 'measures'])),
  response: (v) => {
    const r = v as Record<string, unknown>;
    return plainWithKeys(v, ['transaction', 'status', 'error', 'message']) && typeof r.transaction === 'string' && r.transaction.length >= 1 && (r.status === 'ok' || r.status === 'error');
  },
};

const KINDS: PayloadKind[] = ['bridgeState', 'availability', 'info', 'devices', 'weather', 'response', 'state'];

describe('codec fuzz', () => {
  it.each(KINDS)(`%s: never throws; decodes valid payloads exactly, refuses invalid and huge ones, and only ever yields sound values (${CODEC_RUNS} cases each)`, (kind) => {
    const decode = DECODERS[kind];
    const payloads = fc.oneof(
      VALID[kind].map((v) => ({ made: 'valid' as const, payload: Buffer.from(v.text), expected: v.expected as unknown })),
      INVALID[kind].map((text) => ({ made: 'invalid' as const, payload: Buffer.from(text), expected: undefined as unknown })),
      noise.map((payload) => ({ made: 'noise' as const, payload, expected: undefined as unknown })),
    );
    fc.assert(
      fc.property(payloads, fc.boolean(), ({ made, payload, expected }, asString) => {
        const decoded = asString ? decode(payload.toString('utf8')) : decode(payload);
        if (made === 'valid') expect(decoded).toEqual({ ok: true, value: expected });
        if (made === 'invalid') expect(decoded.ok).toBe(false);
        if (decoded.ok) expect(SOUND[kind](decoded.value), JSON.stringify(decoded.value)).toBe(true);
        else expect(decoded.reason.length).toBeGreaterThan(0);
        // Nothing leaks onto Object.prototype, whatever the payload says about __proto__.
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(({} as Record<string, unknown>).position).toBeUndefined();
      }),
      { numRuns: CODEC_RUNS },
    );
  }, Math.max(30_000, CODEC_RUNS));

  it.each(KINDS)('%s: refuses anything over 1 MiB, counting bytes, before parsing', (kind) => {
    fc.assert(
      fc.property(hugeValid(VALID[kind], kind), fc.boolean(), (payload, asString) => {
        expect(payload.length).toBeGreaterThan(MAX_PAYLOAD_BYTES);
        const decoded = DECODERS[kind](asString ? payload.toString('utf8') : payload);
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) expect(decoded.reason).toContain('limit');
      }),
      { numRuns: Math.max(20, Math.round(CODEC_RUNS / 100)) },
    );
  });

  it(`classifies any topic without throwing, the way the protocol names topics (${CODEC_RUNS} cases)`, () => {
    const segment = fc.oneof(fc.constantFrom('bridge', 'state', 'info', 'devices', 'weather', 'response', 'availability', 'set', 'get', 'win', '', 'a b', 'é', '+', '#'), deviceId, fc.string({ maxLength: 6 }));
    const base = fc.constantFrom('velux', 'home/velux', 'v');
    fc.assert(
      fc.property(base, fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('', 'other/'), (b, segments, prefix) => {
        const topic = `${prefix}${b}/${segments.join('/')}`;
        const kind = classifyTopic(b, topic);
        const rest = topic.startsWith(`${b}/`) ? topic.slice(b.length + 1).split('/') : undefined;
        const bridgeTopics: Record<string, string> = { state: 'bridgeState', info: 'info', devices: 'devices', weather: 'weather', response: 'response' };
        let expected: unknown = { kind: 'ignored' };
        if (rest && rest[0] === 'bridge' && rest.length === 2 && bridgeTopics[rest[1]!]) expected = { kind: bridgeTopics[rest[1]!] };
        else if (rest && rest[0] !== 'bridge' && /^[A-Za-z0-9_-]{1,64}$/.test(rest[0]!)) {
          if (rest.length === 1) expected = { kind: 'state', deviceId: rest[0] };
          else if (rest.length === 2 && rest[1] === 'availability') expected = { kind: 'availability', deviceId: rest[0] };
        }
        expect(kind, topic).toEqual(expected);
      }),
      { numRuns: CODEC_RUNS },
    );
  }, Math.max(30_000, CODEC_RUNS));
});
