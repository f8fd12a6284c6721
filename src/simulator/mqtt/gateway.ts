/**
 * The simulated home behind an MQTT gateway, speaking protocol 1 exactly as a real gateway
 * would (docs/gateway-protocol.md): retained bridge and device topics, commands on
 * `<base>/<id>/set` answered once on `<base>/bridge/response`, and the gateway's own faults
 * (offline, hung, late answers, an unclean disconnect that fires the last will); its publishes
 * are tracked until acknowledged in publisher.ts. Everything physical (rooms, motors, sensors,
 * scripts, device faults) is the transport-neutral SimHome.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import type { DeviceCommand, DeviceDescriptor, DeviceState, GatewayErrorCode } from '../../gateway/types.js';
import { encodeDevices, type GatewayResponse } from '../../gateway/mqtt/codec.js';
import type { SimClock } from '../clock.js';
import { checkCommand, readEnvelope } from '../commands.js';
import { round, SimHome, type ScriptStep, type SimHomeOptions, type SimWeather } from '../home.js';
import type { RoomClimate } from '../climate.js';
import { asError, TrackedPublisher } from './publisher.js';

/** How the gateway answers commands: normally, never (hung), or late by `delayMs` real ms. */
export type AnswerMode = 'normal' | 'never' | { delayMs: number };

export interface SimulatedHomeOptions extends SimHomeOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** One base topic = one gateway. Default `velux`. */
  baseTopic?: string;
  /** Default `sim-gateway`. */
  gatewayId?: string;
  mqttOptions?: { username?: string; password?: string; clientId?: string };
  /** Real milliseconds before each answer (the bridge's timeout runs in real time). Default 0. */
  responseDelayMs?: number;
  /** Receives one line per notable event (rejected payloads, connection trouble). */
  log?: (message: string) => void;
  /** Use this home instead of building one from the options (several gateways, one home). */
  home?: SimHome;
}

/** A command as it arrived on `<base>/<id>/set`, before the gateway decided anything. */
export interface ReceivedCommand {
  deviceId: string;
  /** The validated command; undefined when the device is unknown or the payload invalid for it. */
  command?: DeviceCommand;
  transaction: string;
  source?: string;
  /** The payload as received (parsed JSON). */
  payload: Record<string, unknown>;
  /** True when this transaction was already received (it is then ignored). */
  duplicate: boolean;
}

export interface SimulatedHomeEvents {
  command: [received: ReceivedCommand];
  response: [response: GatewayResponse];
  /** A `/set` payload that could not be answered at all (no JSON object or no transaction). */
  rejected: [rejection: { topic: string; reason: string }];
}

export interface StopOptions {
  /**
   * Leave the retained topics as they are (with `bridge/state` offline), as a real gateway
   * that powers down would. Default false: clear every retained topic this home published.
   */
  keepRetained?: boolean;
}

const RECENT_LIMIT = 1_000;

export class SimulatedHome extends EventEmitter<SimulatedHomeEvents> {
  readonly baseTopic: string;
  readonly gatewayId: string;
  /** The physics behind this gateway. */
  readonly home: SimHome;

  private readonly options: SimulatedHomeOptions;
  private readonly prefix: string;
  private readonly log: (message: string) => void;
  private readonly received: ReceivedCommand[] = [];
  private readonly seenTransactions = new Set<string>();
  /** What this gateway last published per device (it republishes that while the device is out of reach). */
  private readonly published = new Map<string, DeviceState>();
  /** Removed while offline: their retained topics are cleared at the next resync. */
  private readonly uncleared = new Set<string>();
  private readonly publisher: TrackedPublisher;
  private readonly answerTimers = new Set<NodeJS.Timeout>();
  private answerMode: AnswerMode = 'normal';
  private client: MqttClient | undefined;
  private gatewayOnline = true;
  private started = false;
  private stopped = false;

  constructor(options: SimulatedHomeOptions) {
    super();
    this.options = options;
    this.baseTopic = options.baseTopic ?? 'velux';
    if (!/^[^+#]+$/.test(this.baseTopic) || this.baseTopic.startsWith('/') || this.baseTopic.endsWith('/')) {
      throw new Error(`invalid base topic "${this.baseTopic}": no wildcards, no leading or trailing "/"`);
    }
    this.prefix = `${this.baseTopic}/`;
    this.gatewayId = options.gatewayId ?? 'sim-gateway';
    this.log = options.log ?? (() => undefined);
    this.publisher = new TrackedPublisher(this.prefix, this.log);
    this.home = options.home ?? new SimHome(options);
    this.home.on('state', (id, state) => this.publishState(id, state));
    this.home.on('availability', (id) => this.publishAvailability(id));
    this.home.on('weather', () => this.publishWeather());
    this.home.on('devices', ({ added, removed }) => {
      if (removed) this.uncleared.add(removed);
      if (!this.canReport()) return;
      this.publishDevices();
      if (removed) this.clearRemoved();
      if (added) {
        this.home.reportState(added);
        this.publishAvailability(added);
      }
    });
  }

  get clock(): SimClock {
    return this.home.clock;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connect, publish everything retained, and start the physics. Rejects if the broker cannot be reached. */
  async start(): Promise<void> {
    if (this.started) throw new Error('SimulatedHome already started');
    this.started = true;
    this.home.start();
    try {
      await this.connect();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stop every timer and end the MQTT session cleanly (so the last will is not fired). */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.home.stop();
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();

    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      if (options.keepRetained) {
        this.publisher.publish(client, 'bridge/state', { state: 'offline' }, true);
      } else {
        for (const topic of this.retainedTopics()) this.publisher.publish(client, topic, '', true);
      }
      await this.publisher.flush(client, 2_000).catch((error: unknown) => this.log(`stop: ${asError(error).message}`));
      await client.endAsync();
    } else {
      await client.endAsync(true);
    }
    this.publisher.forget(client);
  }

  /** Resolves once the broker has acknowledged everything published so far on the current connection. */
  async flush(timeoutMs = 5_000): Promise<void> {
    if (this.client) await this.publisher.flush(this.client, timeoutMs);
  }

  // ---------------------------------------------------------------- gateway faults

  /** Publish `bridge/state` offline and stop answering and reporting, as a gateway that lost its radio. */
  async goOffline(): Promise<void> {
    this.gatewayOnline = false;
    if (this.client?.connected) this.publisher.publish(this.client, 'bridge/state', { state: 'offline' }, true);
    await this.flush();
  }

  /** Back online: reconnects if needed, republishes everything and publishes `bridge/state` online. */
  async goOnline(): Promise<void> {
    this.gatewayOnline = true;
    if (this.stopped) throw new Error('SimulatedHome is stopped');
    if (!this.client) await this.connect();
    else if (this.client.connected) this.publishAll();
    await this.flush();
  }

  /** Drop the TCP connection without a DISCONNECT so the broker publishes the last will. */
  async disconnectUnclean(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.publisher.forget(client);
    await client.endAsync(true);
  }

  setAnswerMode(mode: AnswerMode): void {
    if (typeof mode === 'object' && !(mode.delayMs >= 0)) throw new RangeError('delayMs must be >= 0');
    this.answerMode = mode;
  }

  /** Publish anything on `<base>/<topicSuffix>` (fuzz tests of the bridge's codec). */
  async publishRaw(topicSuffix: string, payload: string | Buffer, options: { retain?: boolean } = {}): Promise<void> {
    if (this.client?.connected) this.publisher.publish(this.client, topicSuffix, payload, options.retain ?? false);
    await this.flush();
  }

  /** Every `/set` received so far (the latest 1000), oldest first. */
  receivedCommands(): readonly ReceivedCommand[] {
    return [...this.received];
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  // ---------------------------------------------------------------- the home (see SimHome)

  setReachable(deviceId: string, reachable: boolean): void {
    this.home.setReachable(deviceId, reachable);
  }
  failNextCommands(deviceId: string, error: GatewayErrorCode, count = 1): void {
    this.home.failNextCommands(deviceId, error, count);
  }
  setObstructed(deviceId: string, obstructed: boolean): void {
    this.home.setObstructed(deviceId, obstructed);
  }
  setBattery(deviceId: string, percent: number): void {
    this.home.setBattery(deviceId, percent);
  }
  addDevice(descriptor: DeviceDescriptor, initialState?: DeviceState): void {
    this.home.addDevice(descriptor, initialState);
  }
  removeDevice(deviceId: string): void {
    this.home.removeDevice(deviceId);
  }
  pressDepartureSwitch(deviceId?: string): boolean {
    return this.home.pressDepartureSwitch(deviceId);
  }
  setOccupancy(room: string, people: number): void {
    this.home.setOccupancy(room, people);
  }
  shower(room: string): void {
    this.home.shower(room);
  }
  setWeather(change: Partial<SimWeather>): void {
    this.home.setWeather(change);
  }
  runScript(steps: readonly ScriptStep<SimulatedHome>[]): Promise<void> {
    return this.home.runScript(steps, this);
  }
  state(deviceId: string): DeviceState | undefined {
    return this.home.state(deviceId);
  }
  devices(): DeviceDescriptor[] {
    return this.home.devices();
  }
  rooms(): string[] {
    return this.home.rooms();
  }
  roomClimate(room: string): RoomClimate & { occupancy: number } {
    return this.home.roomClimate(room);
  }
  weather(): SimWeather {
    return this.home.weather();
  }

  // ---------------------------------------------------------------- MQTT

  private connect(): Promise<void> {
    const { username, password, clientId } = this.options.mqttOptions ?? {};
    const client = connect(this.options.url, {
      clientId: clientId ?? `velux-sim-${this.gatewayId}-${Math.random().toString(16).slice(2, 10)}`,
      username,
      password,
      clean: true,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      will: { topic: `${this.prefix}bridge/state`, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    this.client = client;
    return new Promise((resolve, reject) => {
      let first = true;
      const failFirst = (error: Error): void => {
        if (!first) return;
        first = false;
        if (this.client === client) this.client = undefined;
        client.end(true);
        reject(new Error(`cannot connect to ${this.options.url}: ${error.message}`));
      };
      client.on('connect', () => {
        if (this.client !== client) return;
        disableNagle(client);
        this.onConnect(client).then(
          () => {
            if (first) {
              first = false;
              resolve();
            }
          },
          (error: unknown) => {
            if (first) failFirst(asError(error));
            else this.log(`resync after reconnect failed: ${asError(error).message}`);
          },
        );
      });
      client.on('error', (error) => {
        if (first) failFirst(error);
        else this.log(`MQTT error: ${error.message}`);
      });
      client.on('close', () => {
        if (first) failFirst(new Error('connection closed'));
      });
      client.on('message', (topic, payload) => {
        if (this.client === client) this.onMessage(topic, payload);
      });
    });
  }

  /** On every (re)connect: subscribe, then make the retained topics the truth again. */
  private async onConnect(client: MqttClient): Promise<void> {
    await client.subscribeAsync([`${this.prefix}+/set`, `${this.prefix}+/get`], { qos: 1 });
    if (this.gatewayOnline) this.publishAll();
    else this.publisher.publish(client, 'bridge/state', { state: 'offline' }, true);
    await this.publisher.flush(client, 10_000);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(this.prefix)) return;
    const parts = topic.slice(this.prefix.length).split('/');
    const [deviceId, verb] = parts;
    if (parts.length !== 2 || !deviceId || deviceId === 'bridge') return;
    if (verb === 'set') this.handleSet(topic, deviceId, payload);
    else if (verb === 'get') this.handleGet(deviceId);
  }

  private handleSet(topic: string, deviceId: string, payload: Buffer): void {
    const envelope = readEnvelope(payload);
    if (!envelope.ok) {
      this.log(`${topic}: ignored, ${envelope.reason}`);
      this.emit('rejected', { topic, reason: envelope.reason });
      return;
    }
    const { transaction, source, body } = envelope;
    const descriptor = this.home.descriptor(deviceId);
    const check = descriptor ? checkCommand(descriptor.type, body, source) : undefined;
    const duplicate = this.seenTransactions.has(transaction);
    this.remember(transaction, {
      deviceId,
      command: check?.ok ? check.command : undefined,
      transaction,
      source: typeof source === 'string' ? source : undefined,
      payload: body,
      duplicate,
    });
    // A hung or offline gateway hears the command but neither acts nor answers.
    if (duplicate || !this.gatewayOnline || this.answerMode === 'never') return;

    if (!descriptor || !check) return this.answerError(transaction, 'unknown_device', `no device "${deviceId}"`);
    if (!check.ok) return this.answerError(transaction, 'invalid', check.message);
    const outcome = this.home.command(deviceId, check.command);
    if (!outcome.ok) return this.answerError(transaction, outcome.error, outcome.message);
    this.answer({ transaction, status: 'ok' });
  }

  private handleGet(deviceId: string): void {
    if (!this.home.has(deviceId) || !this.canReport() || !this.client) return;
    const last = this.published.get(deviceId);
    if (this.home.reachable(deviceId)) this.home.reportState(deviceId);
    else if (last) this.publisher.publish(this.client, deviceId, last, true);
    this.publishAvailability(deviceId);
  }

  private remember(transaction: string, received: ReceivedCommand): void {
    this.seenTransactions.add(transaction);
    if (this.seenTransactions.size > RECENT_LIMIT) {
      const oldest = this.seenTransactions.values().next().value;
      if (oldest !== undefined) this.seenTransactions.delete(oldest);
    }
    this.received.push(received);
    if (this.received.length > RECENT_LIMIT) this.received.shift();
    this.emit('command', received);
  }

  private answerError(transaction: string, error: GatewayErrorCode, message: string): void {
    this.answer({ transaction, status: 'error', error, message });
  }

  private answer(response: GatewayResponse): void {
    const delayMs = typeof this.answerMode === 'object' ? this.answerMode.delayMs : (this.options.responseDelayMs ?? 0);
    const send = (): void => {
      if (!this.client?.connected || !this.gatewayOnline) return;
      this.publisher.publish(this.client, 'bridge/response', response, false);
      this.emit('response', response);
    };
    if (delayMs <= 0) return send();
    // Real time on purpose: the bridge measures its command timeout in real time.
    const timer = setTimeout(() => {
      this.answerTimers.delete(timer);
      send();
    }, delayMs);
    this.answerTimers.add(timer);
  }

  private canReport(): boolean {
    return this.gatewayOnline && (this.client?.connected ?? false);
  }

  private publishAll(): void {
    const client = this.client;
    if (!client) return;
    this.publisher.publish(client, 'bridge/info', {
      protocol: 1,
      gateway: { id: this.gatewayId, model: 'KIG 300', firmware: '1.0.0-sim' },
    });
    this.publishDevices();
    this.clearRemoved();
    this.publishWeather();
    for (const { id } of this.home.devices()) {
      this.home.reportState(id);
      this.publishAvailability(id);
    }
    // Last, so a bridge that sees "online" already has the whole home.
    this.publisher.publish(client, 'bridge/state', { state: 'online' }, true);
  }

  private clearRemoved(): void {
    if (!this.client) return;
    for (const id of this.uncleared) {
      this.publisher.publish(this.client, id, '', true);
      this.publisher.publish(this.client, `${id}/availability`, '', true);
      this.published.delete(id);
    }
    this.uncleared.clear();
  }

  private publishDevices(): void {
    if (this.canReport() && this.client) this.publisher.publish(this.client, 'bridge/devices', encodeDevices(this.home.devices()));
  }

  private publishWeather(): void {
    if (!this.canReport() || !this.client) return;
    const { temperature, windSpeed, rain } = this.home.weather();
    const payload = { temperature: round(temperature, 1), wind_speed: round(windSpeed, 1), rain };
    this.publisher.publish(this.client, 'bridge/weather', payload);
  }

  private publishAvailability(deviceId: string): void {
    if (!this.canReport() || !this.client || !this.home.has(deviceId)) return;
    this.publisher.publish(this.client, `${deviceId}/availability`, { state: this.home.reachable(deviceId) ? 'online' : 'offline' });
  }

  private publishState(deviceId: string, state: DeviceState): void {
    if (!this.canReport() || !this.client) return;
    this.published.set(deviceId, state);
    this.publisher.publish(this.client, deviceId, state, true);
  }

  private retainedTopics(): string[] {
    const ids = [...this.home.devices().map((d) => d.id), ...this.uncleared];
    const deviceTopics = ids.flatMap((id) => [id, `${id}/availability`]);
    return [...deviceTopics, 'bridge/devices', 'bridge/info', 'bridge/weather', 'bridge/state'];
  }
}

/**
 * A gateway answers with several small packets in a row (PUBACK, state, response); with
 * Nagle's algorithm on, each burst waits ~40 ms for a delayed ACK. Only TCP sockets have it.
 */
function disableNagle(client: MqttClient): void {
  const stream: unknown = client.stream;
  if (stream instanceof Socket) stream.setNoDelay(true);
}
