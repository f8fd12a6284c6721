/**
 * Gateway over MQTT (protocol 1, docs/gateway-protocol.md).
 * The retained topics are the truth: after every (re)connect the view is rebuilt from them.
 * A command is only sent while the broker link is up and the gateway says it is online, and
 * every command gets exactly one answer: the gateway's, a timeout, or "offline".
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from '../../logger.js';
import {
  classifyTopic,
  decodeDeviceState,
  decodeDevices,
  decodeInfo,
  decodeOnlineState,
  decodeResponse,
  decodeWeather,
  type Decoded,
  type ReceivedResponse,
} from './codec.js';
import type {
  CommandResult,
  CommandSource,
  DeviceCommand,
  DeviceDescriptor,
  Gateway,
  GatewayEvents,
  GatewayInfo,
} from '../types.js';

/** One `gateways[]` entry of type "mqtt" (the default: v0.1 configs have no `type`). */
export interface MqttGatewayConfig {
  type?: 'mqtt';
  name: string;
  url: string;
  baseTopic: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  commandTimeoutMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
/**
 * Reconnect backoff: quick first retries, capped so the home is rebuilt within 2 s of the
 * broker's return: the longest wait between attempts plus connect, subscribe and the
 * retained messages (tens of ms) must stay under that.
 */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 1500;
/** How long to hold back `bridge/devices` while waiting for `bridge/info` (it names the gateway). */
const INFO_GRACE_MS = 3000;

interface Pending {
  resolve: (r: CommandResult) => void;
  timer: NodeJS.Timeout;
}

export class MqttGateway extends EventEmitter<GatewayEvents> implements Gateway {
  readonly key: string;
  readonly name: string;
  private client?: MqttClient;
  private connected = false;
  private bridgeOnline = false;
  private info?: GatewayInfo;
  private heldDevices?: DeviceDescriptor[];
  private infoGraceTimer?: NodeJS.Timeout;
  private readonly pending = new Map<string, Pending>();
  private readonly badTopics = new Set<string>();
  private reconnectDelay = RECONNECT_MIN_MS;
  private transactionCounter = 0;
  private readonly sessionTag = randomBytes(3).toString('hex');
  private stopped = false;

  constructor(
    private readonly config: MqttGatewayConfig,
    private readonly log: Logger,
  ) {
    super();
    this.key = config.baseTopic;
    this.name = config.name;
  }

  /** The broker URL for log lines: credentials written into it never reach the log. */
  get safeUrl(): string {
    return redactUrl(this.config.url);
  }

  get online(): boolean {
    return this.connected && this.bridgeOnline;
  }

  get gatewayInfo(): GatewayInfo | undefined {
    return this.info;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const options: IClientOptions = {
      clientId: `velux-climate-${this.sessionTag}`,
      clean: true,
      reconnectPeriod: RECONNECT_MIN_MS,
      connectTimeout: 5000,
      keepalive: 30,
      username: this.config.username,
      password: this.config.password,
      resubscribe: false, // we subscribe on every connect ourselves
      // mqtt-packet would otherwise fill a table of 65,536 two-byte Buffers (~6 MiB of V8 heap for
      // the life of the process) at the first packet written, and that burst at start-up doubles
      // V8's young generation for good (docs/performance.md §4); numbers are then written into
      // small fresh buffers, which at a gateway's message rates costs nothing measurable.
      writeCache: false,
    };
    if (this.config.tls) {
      const { ca, cert, key, rejectUnauthorized } = this.config.tls;
      if (ca) options.ca = readFileSync(ca);
      if (cert) options.cert = readFileSync(cert);
      if (key) options.key = readFileSync(key);
      if (rejectUnauthorized !== undefined) options.rejectUnauthorized = rejectUnauthorized;
    }
    const tcp = this.config.tls ? undefined : plainTcpBroker(this.config.url);
    const client = tcp
      ? new MqttClient(() => createConnection(tcp), { ...options, protocol: 'mqtt', hostname: tcp.host, port: tcp.port })
      : mqtt.connect(this.config.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('reconnect', () => this.log.debug(`[${this.name}] reconnecting to ${this.safeUrl}`));
    client.on('error', (err) => this.log.warn(`[${this.name}] MQTT: ${err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.infoGraceTimer);
    this.failAllPending('gateway_offline', 'the plugin is shutting down');
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
    this.setConnected(false);
  }

  send(deviceId: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    const client = this.client;
    if (!client || !this.online) {
      const why = !this.connected ? 'the MQTT broker is not reachable' : 'the gateway reports itself offline';
      return Promise.resolve({ ok: false, error: 'gateway_offline', message: `${this.name}: ${why}` });
    }
    const transaction = `${this.sessionTag}-${(++this.transactionCounter).toString(36)}`;
    const timeoutMs = this.config.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise<CommandResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        resolve({ ok: false, error: 'timeout', message: `${this.name}: no answer from the gateway within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(transaction, { resolve, timer });
      const payload = JSON.stringify({ ...command, transaction, source });
      client.publish(`${this.key}/${deviceId}/set`, payload, { qos: 1, retain: false }, (err) => {
        if (err) this.settle(transaction, { ok: false, error: 'gateway_offline', message: `${this.name}: could not send: ${err.message}` });
      });
    });
  }

  refresh(deviceId: string): void {
    if (this.client && this.connected) this.client.publish(`${this.key}/${deviceId}/get`, '{}', { qos: 0 });
  }

  private onConnect(): void {
    // Small command messages must not wait for Nagle's algorithm (~40 ms on loopback).
    const stream = this.client?.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
    stream?.setNoDelay?.(true);
    this.reconnectDelay = RECONNECT_MIN_MS;
    if (this.client) this.client.options.reconnectPeriod = RECONNECT_MIN_MS;
    this.log.info(`[${this.name}] connected to ${this.safeUrl}`);
    this.connected = true;
    // Until the retained bridge/state arrives, the gateway counts as offline.
    this.client?.subscribe(`${this.key}/#`, { qos: 1 }, (err) => {
      if (err) this.log.error(`[${this.name}] could not subscribe to ${this.key}/#: ${err.message}`);
    });
  }

  private onClose(): void {
    if (this.connected && !this.stopped) this.log.warn(`[${this.name}] lost the connection to ${this.safeUrl}; devices are unreachable until it returns`);
    // Commands not yet acknowledged by the broker must not be replayed after reconnect:
    // their callers are told they failed, so executing them later would be a surprise.
    const client = this.client;
    if (client) {
      for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      client.options.reconnectPeriod = this.reconnectDelay;
    }
    this.failAllPending('gateway_offline', 'the connection to the MQTT broker was lost before the gateway answered');
    this.setConnected(false);
  }

  private setConnected(connected: boolean): void {
    const wasOnline = this.online;
    this.connected = connected;
    if (!connected) this.bridgeOnline = false;
    if (wasOnline !== this.online) this.emit('online', this.online);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    const kind = classifyTopic(this.key, topic);
    // An empty retained payload clears a topic (e.g. a removed device); nothing to apply.
    if (kind.kind === 'ignored' || (payload.length === 0 && kind.kind !== 'response')) return;
    switch (kind.kind) {
      case 'bridgeState':
        return this.accept(topic, decodeOnlineState(payload), (online) => {
          const wasOnline = this.online;
          this.bridgeOnline = online;
          if (wasOnline !== this.online) {
            if (!this.online) {
              this.failAllPending('gateway_offline', 'the gateway went offline before answering');
              this.log.warn(`[${this.name}] the gateway is offline`);
            } else {
              this.log.info(`[${this.name}] the gateway is online`);
            }
            this.emit('online', this.online);
          }
        });
      case 'info':
        return this.accept(topic, decodeInfo(payload), (info) => {
          if (info.protocol !== 1) this.log.warn(`[${this.name}] gateway speaks protocol ${info.protocol}; this plugin knows protocol 1`);
          this.info = info;
          this.emit('info', info);
          if (this.heldDevices) this.releaseDevices();
        });
      case 'devices':
        return this.accept(topic, decodeDevices(payload), (devices) => {
          this.heldDevices = devices;
          if (this.info) return this.releaseDevices();
          this.infoGraceTimer ??= setTimeout(() => {
            this.log.warn(`[${this.name}] no ${this.key}/bridge/info received; using the base topic as the gateway's identity`);
            this.releaseDevices();
          }, INFO_GRACE_MS);
        });
      case 'weather':
        return this.accept(topic, decodeWeather(payload), (w) => this.emit('weather', w));
      case 'response':
        return this.accept(topic, decodeResponse(payload), (r) => this.onResponse(r));
      case 'state':
        return this.accept(topic, decodeDeviceState(payload), (s) => this.emit('state', kind.deviceId, s));
      case 'availability':
        return this.accept(topic, decodeOnlineState(payload), (online) => this.emit('availability', kind.deviceId, online));
    }
  }

  private releaseDevices(): void {
    clearTimeout(this.infoGraceTimer);
    this.infoGraceTimer = undefined;
    const devices = this.heldDevices;
    this.heldDevices = undefined;
    if (devices) this.emit('devices', devices);
  }

  /** Applies a valid payload; logs an invalid one once per topic (until that topic is valid again). */
  private accept<T>(topic: string, decoded: Decoded<T>, apply: (value: T) => void): void {
    if (decoded.ok) {
      this.badTopics.delete(topic);
      apply(decoded.value);
      return;
    }
    if (!this.badTopics.has(topic)) {
      this.badTopics.add(topic);
      this.log.warn(`[${this.name}] ignoring invalid payload on ${topic}: ${decoded.reason}`);
    }
    this.emit('invalid', topic, decoded.reason);
  }

  private onResponse(r: ReceivedResponse): void {
    if (r.status === 'ok') return this.settle(r.transaction, { ok: true });
    const error = r.error ?? 'internal';
    this.settle(r.transaction, { ok: false, error, message: r.message ?? `the gateway refused the command (${error})` });
  }

  private settle(transaction: string, result: CommandResult): void {
    const p = this.pending.get(transaction);
    if (!p) return; // not ours, or already timed out
    this.pending.delete(transaction);
    clearTimeout(p.timer);
    p.resolve(result);
  }

  private failAllPending(error: 'gateway_offline', message: string): void {
    for (const transaction of [...this.pending.keys()]) this.settle(transaction, { ok: false, error, message: `${this.name}: ${message}` });
  }
}

/**
 * Host and port of a plain `mqtt://` (or `tcp://`) broker URL with nothing else in it (no
 * credentials, path or query), when no SOCKS proxy is set for mqtt.js (`MQTTJS_SOCKS_PROXY`);
 * otherwise undefined. Such a broker gets a client over a plain TCP socket built here, because
 * mqtt.connect() loads all its transports on its first call whatever the URL (WebSocket, TLS,
 * SOCKS: the ws, socks, ip-address and smart-buffer packages, ~1.3 MiB of heap and ~4 MiB RSS
 * in every child bridge; docs/performance.md §4). Every other URL still goes to mqtt.connect().
 */
export function plainTcpBroker(url: string, env: NodeJS.ProcessEnv = process.env): { host: string; port: number } | undefined {
  if (env.MQTTJS_SOCKS_PROXY) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') return undefined;
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '' && u.pathname !== '/')) return undefined;
  // mqtt's defaults: localhost, port 1883; an IPv6 literal without its brackets.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = u.port ? Number(u.port) : 1883;
  return { host, port };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = u.username ? '***' : '';
    u.password = u.password ? '***' : '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
