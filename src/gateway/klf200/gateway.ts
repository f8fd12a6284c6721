/**
 * Gateway for the VELUX KLF 200 over its local TLS socket API (port 51200), on klf-200-api.
 *
 * One session at a time. The plugin opens the TLS socket itself (certificate pinning, an
 * error handler that stays, a close event the library does not give) and hands it to a NEW
 * klf-200-api Connection for every attempt; after any timeout the whole connection is
 * replaced. Products are re-read and the house-status monitor re-enabled on every session.
 * The library's Connection, framing and frame classes are used; its Products/Product layer is
 * not (it misses notifications that arrive with their confirmation: docs/klf200.md).
 * State comes from the gateway's notifications (GW_NODE_STATE_POSITION_CHANGED_NTF, run
 * status of our own command sessions, limitation status for rain), not from polling.
 * docs/klf200.md describes setup, behaviour and troubleshooting; the traps of klf-200-api
 * 3.5.0 this works around are listed there too.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  Gateway as KlfGatewayApi,
  GatewayCommand,
  GW_GET_STATE_REQ,
  GW_WINK_SEND_REQ,
  type IGW_FRAME_RCV,
} from 'klf-200-api';
import type { Logger } from '../../logger.js';
import { CommandSessions, offline } from './commands.js';
import { DEFAULTS, type Klf200DeviceConfig, type Klf200GatewayConfig } from './config.js';
import type {
  CommandResult,
  CommandSource,
  DeviceCommand,
  DeviceDescriptor,
  DeviceState,
  Gateway,
  GatewayEvents,
  GatewayInfo,
} from '../types.js';
import { RAW_STOP, actuatorName, percentToRaw, serialHex } from './products.js';
import {
  connectTls,
  errorText,
  firmwareAtLeast,
  normalizeFingerprint,
  SessionError,
  socketSession,
  VELUX_FINGERPRINT,
  withTimeout,
  type Session,
} from './session.js';
import {
  COMMAND_ACCEPTED,
  connectFailureMessage,
  describeProduct,
  nodeRecordOf,
  positionRecordOf,
  positionState,
  productId,
  rainFromLimitation,
  type NodeRecord,
  type PositionRecord,
} from './state.js';

import { SessionRequests } from './requests.js';

export { HANDSHAKE_FAILURES_BEFORE_HINT } from './state.js';

export type { Klf200DeviceConfig, Klf200GatewayConfig } from './config.js';

const RECONNECT_MIN_MS = 1000;

interface KnownProduct {
  nodeId: number;
  descriptor: DeviceDescriptor;
  state: DeviceState;
}

export class Klf200Gateway extends EventEmitter<GatewayEvents> implements Gateway {
  readonly key: string;
  readonly name: string;
  private readonly opts: typeof DEFAULTS;
  private readonly byId = new Map<string, KnownProduct>();
  private readonly byNode = new Map<number, KnownProduct>();
  private readonly commands = new CommandSessions();
  private readonly requests = new SessionRequests();
  /** Last position record per node, also for nodes not yet known (discovery notifications come first). */
  private readonly lastPosition = new Map<number, PositionRecord>();
  private readonly configured: Map<string, Klf200DeviceConfig>;
  private readonly unsupportedLogged = new Set<string>();
  private session?: Session;
  private isOnline = false;
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private handshakeFailures = 0;
  private everConnected = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly ca?: Buffer;
  private readonly fingerprint: string;
  /** Measured for tests and the log: when the gateway last went down / came back. */
  lastDownAt?: number;
  lastUpAt?: number;
  sessionsOpened = 0;

  constructor(
    private readonly config: Klf200GatewayConfig,
    private readonly log: Logger,
  ) {
    super();
    this.key = `klf200:${config.host}`;
    this.name = config.name;
    this.opts = {
      commandTimeoutMs: config.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
      keepAliveMs: config.keepAliveMs ?? DEFAULTS.keepAliveMs,
      rainPollMs: config.rainPollMs ?? DEFAULTS.rainPollMs,
      reconnectMaxMs: config.reconnectMaxMs ?? DEFAULTS.reconnectMaxMs,
      bootGraceMs: config.bootGraceMs ?? DEFAULTS.bootGraceMs,
    };
    this.configured = new Map((config.devices ?? []).map((d) => [d.serial.toLowerCase(), d]));
    this.ca = config.ca ? readFileSync(config.ca) : undefined;
    this.fingerprint = normalizeFingerprint(config.fingerprint ?? (config.ca ? '' : VELUX_FINGERPRINT));
  }

  get online(): boolean {
    return this.isOnline;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.connectLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.clearTimers();
    this.session?.close('the plugin is shutting down');
    this.commands.failAll('gateway_offline', 'the plugin is shutting down');
    await this.loop;
    this.setOnline(false);
  }

  refresh(deviceId: string): void {
    const known = this.byId.get(deviceId);
    if (known) this.emit('state', deviceId, { ...known.state });
  }

  /** Makes the product wink (HomeKit Identify). */
  async identify(deviceId: string): Promise<CommandResult> {
    const known = this.byId.get(deviceId);
    if (!known) return { ok: false, error: 'unknown_device', message: `no KLF 200 product "${deviceId}"` };
    const session = this.session;
    if (!session || !this.isOnline) return offline();
    const frame = new GW_WINK_SEND_REQ(known.nodeId, true, 254);
    try {
      const cfm = (await session.conn.sendFrameAsync(frame, this.opts.commandTimeoutMs / 1000)) as IGW_FRAME_RCV & { Status: number };
      return cfm.Status === COMMAND_ACCEPTED ? { ok: true } : { ok: false, error: 'invalid', message: 'the KLF 200 refused to wink' };
    } catch (err) {
      this.onRequestFailure(session, err);
      return { ok: false, error: 'timeout', message: 'the KLF 200 did not answer the wink' };
    }
  }

  async send(deviceId: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    const known = this.byId.get(deviceId);
    if (!known) return { ok: false, error: 'unknown_device', message: `no KLF 200 product "${deviceId}"` };
    if ('away' in command) return { ok: false, error: 'invalid', message: 'the KLF 200 has no departure switch' };
    const session = this.session;
    if (!session || !this.isOnline) return offline();
    const raw = 'stop' in command ? RAW_STOP : percentToRaw(command.position);
    const { sessionId, result } = this.commands.send(session, known.nodeId, raw, this.opts.commandTimeoutMs);
    this.log.debug(`[${this.name}] ${source}: ${known.descriptor.name} → ${'stop' in command ? 'stop' : `${command.position}%`} (session ${sessionId})`);
    return result;
  }

  // ---- connection loop ------------------------------------------------------------------

  private async connectLoop(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!this.stopped) {
      let session: Session | undefined;
      try {
        session = await this.openSession();
        this.handshakeFailures = 0;
        delay = RECONNECT_MIN_MS;
        const reason = await session.closed;
        if (this.stopped) break;
        this.log.warn(`[${this.name}] Connection to the KLF 200 at ${this.config.host} lost: ${reason}. Reconnecting…`);
      } catch (err) {
        session?.close('set-up failed');
        if (this.stopped) break;
        this.explainFailure(err);
      } finally {
        this.clearTimers();
        this.session = undefined;
        this.requests.reset();
        this.setOnline(false);
        this.commands.failAll('gateway_offline', 'the connection to the KLF 200 was lost');
      }
      if (this.stopped) break;
      await this.sleep(delay);
      delay = Math.min(this.opts.reconnectMaxMs, delay * 2);
    }
  }

  private explainFailure(err: unknown): void {
    if (err instanceof SessionError && err.kind === 'handshake') this.handshakeFailures++;
    const { level, text } = connectFailureMessage(err, this.config.host, this.handshakeFailures);
    this.log[level](`[${this.name}] ${text}`);
  }

  /** TLS, login, version, house-status monitor, products, limitations. */
  private async openSession(): Promise<Session> {
    const socket = await connectTls({
      host: this.config.host,
      port: this.config.port,
      ca: this.ca,
      fingerprint: this.fingerprint,
      timeoutMs: this.opts.commandTimeoutMs,
    });
    const session = socketSession(socket, this.config.host);
    const { conn, close } = session;
    this.session = session;
    const timeoutS = this.opts.commandTimeoutMs / 1000;
    const step = <T>(what: string, p: Promise<T>) => withTimeout(session, what, p, this.opts.commandTimeoutMs);
    try {
      try {
        await step('login', conn.loginAsync(this.config.password, timeoutS));
      } catch (err) {
        if (err instanceof SessionError) throw err;
        throw new SessionError(errorText(err), errorText(err) === 'Login failed.' ? 'login' : 'other');
      }
      this.sessionsOpened++;
      // First listener on the connection: the library's emitter skips the next listener when one
      // removes itself during an event, so ours goes before any of the library's.
      conn.on((frame) => this.onFrame(session, frame));
      const api = new KlfGatewayApi(conn);
      const version = await step('version', api.getVersionAsync());
      const v = version.SoftwareVersion;
      // Software version 0.2.0.0.71.0 is what VELUX calls firmware 2.0.0.71.
      const firmware = [v.MainVersion, v.SubVersion, v.BranchID, v.Build].join('.');
      const info: GatewayInfo = { protocol: 1, id: this.key, model: 'KLF 200', firmware };
      this.emit('info', info);
      if (!firmwareAtLeast(firmware, [2, 0, 0, 71])) {
        this.log.warn(`[${this.name}] KLF 200 firmware ${firmware} is older than 2.0.0.71, the first with this API: update it in the KLF 200's web interface.`);
      }
      await step('house status monitor', api.enableHouseStatusMonitorAsync());
      const nodes = await withTimeout(session, 'product list', this.readNodes(session), 3 * this.opts.commandTimeoutMs);
      this.applyProducts(nodes, session);
      await this.readRain(session);
      this.setOnline(true);
      this.startTimers(session);
      return session;
    } catch (err) {
      close('set-up failed');
      throw err;
    }
  }

  private startTimers(session: Session): void {
    const keepAlive = setInterval(() => {
      session.conn
        .sendFrameAsync(new GW_GET_STATE_REQ(), this.opts.commandTimeoutMs / 1000)
        .catch((err: unknown) => this.onRequestFailure(session, err));
    }, this.opts.keepAliveMs);
    const rain = setInterval(() => void this.readRain(session).catch(() => undefined), this.opts.rainPollMs);
    this.timers.push(keepAlive, rain);
  }

  private clearTimers(): void {
    for (const t of this.timers.splice(0)) {
      clearInterval(t);
      clearTimeout(t);
    }
  }

  private onRequestFailure(session: Session, err: unknown): void {
    if (session.isClosed()) return;
    this.log.debug(`[${this.name}] request failed: ${errorText(err)}`);
    session.close(`no answer from the KLF 200 (${errorText(err)}); it may be frozen`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private setOnline(online: boolean): void {
    if (this.isOnline === online) return;
    this.isOnline = online;
    if (online) {
      this.lastUpAt = Date.now();
      const again = this.everConnected ? 'Reconnected to' : 'Connected to';
      this.everConnected = true;
      this.log.info(`[${this.name}] ${again} the KLF 200 at ${this.config.host}: ${this.byNode.size} products.`);
    } else this.lastDownAt = Date.now();
    this.emit('online', online);
  }

  // ---- products and state -----------------------------------------------------------------

  private applyProducts(products: NodeRecord[], session: Session): void {
    const seen = new Set<string>();
    this.byNode.clear();
    for (const product of products) {
      const serial = serialHex(product.serial);
      const id = productId(product);
      const descriptor = describeProduct(product, serial ? this.configured.get(serial) : undefined);
      if (!descriptor) {
        if (!this.unsupportedLogged.has(id)) {
          this.unsupportedLogged.add(id);
          this.log.info(`[${this.name}] "${product.name}" (${actuatorName(product.actuatorType)}) is not a window or cover: not published.`);
        }
        continue;
      }
      const previous = this.byId.get(id);
      const known: KnownProduct = { nodeId: product.nodeId, descriptor, state: previous?.state ?? {} };
      this.byId.set(id, known);
      this.byNode.set(product.nodeId, known);
      seen.add(id);
      const record = this.lastPosition.get(product.nodeId);
      if (record) this.onPosition(product.nodeId, record, session);
    }
    const missing = [...this.byId.keys()].filter((id) => !seen.has(id));
    const missingConfigured = [...this.configured.keys()].filter((s) => !seen.has(s) && !this.byId.has(s));
    if (missing.length > 0 || missingConfigured.length > 0) {
      // A KLF 200 that is still booting reports its products one by one: keep the ones we knew,
      // show them as not responding, and look again later before removing anything.
      this.log.warn(
        `[${this.name}] The KLF 200 reported ${seen.size} products, ${missing.length + missingConfigured.length} fewer than expected; ` +
          `it may still be starting. Keeping the others for ${Math.round(this.opts.bootGraceMs / 1000)} s before removing them.`,
      );
      const timer = setTimeout(() => void this.rediscover(session), this.opts.bootGraceMs);
      this.timers.push(timer);
    }
    this.emit('devices', [...this.byId.values()].map((k) => k.descriptor));
    for (const [id, known] of this.byId) {
      this.emit('availability', id, seen.has(id));
      if (seen.has(id)) this.emit('state', id, { ...known.state });
    }
  }

  /** A second product list, after the boot grace: now missing products are really gone. */
  private async rediscover(session: Session): Promise<void> {
    if (session.isClosed() || this.stopped) return;
    try {
      const list = await withTimeout(session, 'product list', this.readNodes(session), 3 * this.opts.commandTimeoutMs);
      const present = new Set(list.map(productId));
      for (const id of [...this.byId.keys()]) {
        if (!present.has(id)) {
          this.log.warn(`[${this.name}] "${this.byId.get(id)?.descriptor.name}" is no longer known to the KLF 200: removed.`);
          this.byId.delete(id);
        }
      }
      for (const s of [...this.configured.keys()]) if (!present.has(s)) this.configured.delete(s);
      this.applyProducts(list, session);
      await this.readRain(session);
    } catch (err) {
      this.onRequestFailure(session, err);
    }
  }

  private readNodes(session: Session): Promise<NodeRecord[]> {
    return this.requests.readNodes(session, this.opts.commandTimeoutMs);
  }

  /** Reads the limitation of every rain-sensing window (the KLF sends no event when rain starts). */
  private async readRain(session: Session): Promise<void> {
    for (const known of this.byNode.values()) {
      if (!known.descriptor.features.rainSensor) continue;
      if (session.isClosed()) return;
      await withTimeout(session, 'limitation', this.readLimitation(session, known.nodeId), this.opts.commandTimeoutMs);
    }
  }

  private readLimitation(session: Session, nodeId: number): Promise<void> {
    return this.requests.readLimitation(session, nodeId, this.opts.commandTimeoutMs);
  }

  private onFrame(session: Session, frame: IGW_FRAME_RCV): void {
    if (session !== this.session) return;
    const f = frame as IGW_FRAME_RCV & Record<string, unknown>;
    switch (frame.Command) {
      case GatewayCommand.GW_GET_ALL_NODES_INFORMATION_NTF: {
        const record = positionRecordOf(f);
        this.lastPosition.set(f.NodeID as number, record);
        this.onPosition(f.NodeID as number, record, session);
        this.requests.onNode(nodeRecordOf(f));
        return;
      }
      case GatewayCommand.GW_GET_ALL_NODES_INFORMATION_FINISHED_NTF:
        this.requests.onNodesFinished();
        return;
      case GatewayCommand.GW_SESSION_FINISHED_NTF: {
        this.requests.onSessionFinished(f.SessionID as number);
        return;
      }
      case GatewayCommand.GW_GET_NODE_INFORMATION_NTF:
      case GatewayCommand.GW_NODE_STATE_POSITION_CHANGED_NTF: {
        const record = positionRecordOf(f);
        this.lastPosition.set(f.NodeID as number, record);
        this.onPosition(f.NodeID as number, record, session);
        return;
      }
      case GatewayCommand.GW_COMMAND_RUN_STATUS_NTF:
        this.onRunStatus(f.SessionID as number, f.NodeID as number, f.RunStatus as number, f.StatusReply as number);
        return;
      case GatewayCommand.GW_LIMITATION_STATUS_NTF:
        this.onLimitation(f.NodeID as number, f.LimitationValueMin as number, f.LimitationValueMax as number, f.LimitationOriginator as number);
        return;
      default:
        return;
    }
  }

  private onPosition(nodeId: number, record: PositionRecord, session: Session): void {
    const known = this.byNode.get(nodeId);
    if (!known) return;
    const state = positionState(known.state, record);
    const startedClosing = state.motion === 'closing' && known.state.motion !== 'closing';
    this.setState(known, state);
    // A window closing on its own may be its rain sensor: read its limitation now.
    if (startedClosing && known.descriptor.features.rainSensor && !this.commands.owns(nodeId) && this.isOnline) {
      withTimeout(session, 'limitation', this.readLimitation(session, nodeId), this.opts.commandTimeoutMs).catch(() => undefined);
    }
  }

  private onRunStatus(sessionId: number, nodeId: number, runStatus: number, reply: number): void {
    const result = this.commands.onRunStatus(sessionId, nodeId, runStatus, reply);
    const known = this.byNode.get(nodeId);
    // Refused because of rain: the window's sensor is wet, whether or not a limitation said so.
    if (result?.ok === false && result.error === 'rain' && known && known.state.rain !== true) this.setState(known, { ...known.state, rain: true });
  }

  private onLimitation(nodeId: number, minRaw: number, maxRaw: number, originator: number): void {
    const known = this.byNode.get(nodeId);
    if (!known || !known.descriptor.features.rainSensor) return;
    const rain = rainFromLimitation(minRaw, maxRaw, originator);
    if (known.state.rain !== rain) {
      if (rain) this.log.info(`[${this.name}] ${known.descriptor.name}: rain sensor wet, the window stays closed.`);
      this.setState(known, { ...known.state, rain });
    }
  }

  private setState(known: KnownProduct, state: DeviceState): void {
    if (known.descriptor.features.rainSensor && state.rain === undefined) state.rain = false;
    known.state = state;
    if (this.isOnline || this.session) this.emit('state', known.descriptor.id, { ...state });
  }
}
