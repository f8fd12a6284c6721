/**
 * VELUX ACTIVE with NETATMO gateway (KIX 300) over HomeKit, locally: the plugin is a HomeKit
 * controller of the gateway (hap-controller). It pairs once with the setup code, keeps the
 * pairing keys in its storage, and then holds one persistent, encrypted session on which it
 * reads the accessory database, subscribes to every position and sensor characteristic and
 * writes target positions. docs/velux-active-homekit.md describes the behaviour.
 *
 * - Stop: the gateway has no HoldPosition; the current position is written as the target.
 * - A lost session (the gateway closed it, or a health read got no answer) marks the gateway
 *   offline at once and reconnects with backoff; writes then fail with `gateway_offline`.
 * - A write the gateway refuses or does not answer resolves with an error, never hangs.
 */
import { EventEmitter } from 'node:events';
import hapController from 'hap-controller';
import type { Logger } from '../../logger.js';
import type { CommandResult, CommandSource, DeviceCommand, DeviceState, Gateway, GatewayEvents } from '../types.js';
import { applyValue, mapAccessories, type KixDeviceConfig, type MappedDevice, type RawAccessory, type StateField } from './mapping.js';
import { PairingStore, type StoredPairingKeys } from './pairing-store.js';
import { discoverVeluxGateways, type DiscoveredGateway } from './discovery.js';
import { homekitGatewayKey } from './key.js';

export { homekitGatewayKey };

const { HttpClient } = hapController;
type Client = InstanceType<typeof HttpClient>;

export interface HomekitGatewayConfig {
  type: 'homekit';
  name: string;
  /** The code printed on the gateway ("123-45-678"); needed for the first pairing only. */
  setupCode?: string;
  /** Without host/port the gateway is found by mDNS (_hap._tcp). */
  host?: string;
  port?: number;
  devices?: KixDeviceConfig[];
}

export interface Kix300Timing {
  /** Longest wait for the gateway's answer to a write. Default 5000 ms. */
  commandTimeoutMs: number;
  /** A read of the gateway's firmware every this often proves the session alive. Default 10 000 ms. */
  healthIntervalMs: number;
  /** …and must answer within this. Default 5000 ms. */
  healthTimeoutMs: number;
  /** Connect, pair-verify and read the database within this. Default 15 000 ms. */
  connectTimeoutMs: number;
  reconnectMinMs: number;
  /** Capped so that a returning gateway is back within 30 s. Default 10 000 ms. */
  reconnectMaxMs: number;
  /** How long mDNS may look for the gateway. Default 10 000 ms. */
  discoveryTimeoutMs: number;
}

export const DEFAULT_KIX300_TIMING: Kix300Timing = {
  commandTimeoutMs: 5000,
  healthIntervalMs: 10_000,
  healthTimeoutMs: 5000,
  connectTimeoutMs: 15_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
  discoveryTimeoutMs: 10_000,
};

const PAIRING_TIMEOUT_MS = 30_000;
/** After a pairing problem that needs a person (already paired elsewhere, wrong code), retry this rarely. */
const PAIRING_RETRY_MS = 60_000;

export interface Kix300GatewayOptions {
  config: HomekitGatewayConfig;
  log: Logger;
  /** Homebridge's storage path (the pairing keys go to <storage>/velux-climate/). */
  /** The platform block's storage folder (the pairing keys live there). */
  storageDir: string;
  timing?: Partial<Kix300Timing>;
  /** mDNS lookup, replaceable in tests. */
  discover?: (timeoutMs: number) => Promise<DiscoveredGateway[]>;
}

class PairingProblem extends Error {}

export class Kix300Gateway extends EventEmitter<GatewayEvents> implements Gateway {
  readonly key: string;
  readonly name: string;
  private readonly config: HomekitGatewayConfig;
  private readonly log: Logger;
  private readonly timing: Kix300Timing;
  private readonly store: PairingStore;
  private client?: Client;
  private session = 0;
  private isOnline = false;
  private stopped = true;
  private devices = new Map<string, MappedDevice>();
  private fields = new Map<string, { deviceId: string; field: StateField }>();
  private healthTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private wake?: () => void;
  private reconnectDelay: number;
  private lastProblem?: string;
  private announcedRooms = false;

  constructor(private readonly options: Kix300GatewayOptions) {
    super();
    this.config = options.config;
    this.log = options.log;
    this.name = options.config.name;
    this.key = homekitGatewayKey(options.config.name);
    this.timing = { ...DEFAULT_KIX300_TIMING, ...options.timing };
    this.reconnectDelay = this.timing.reconnectMinMs;
    this.store = new PairingStore(options.storageDir, options.log);
  }

  get online(): boolean {
    return this.isOnline;
  }

  async start(): Promise<void> {
    this.stopped = false;
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wake?.();
    await this.dropSession();
  }

  send(deviceId: string, command: DeviceCommand, _source: CommandSource): Promise<CommandResult> {
    return this.write(deviceId, command).catch((err: unknown) => ({
      ok: false as const,
      error: 'internal' as const,
      message: `${this.name}: ${messageOf(err)}`,
    }));
  }

  refresh(deviceId: string): void {
    const client = this.client;
    const device = this.devices.get(deviceId);
    if (!client || !this.isOnline || !device) return;
    const ids = [...this.fields.entries()].filter(([, f]) => f.deviceId === deviceId).map(([id]) => id);
    void within(client.getCharacteristics(ids), this.timing.healthTimeoutMs, 'refresh')
      .then((r) => this.applyValues(r.characteristics as Array<{ aid: unknown; iid: unknown; value?: unknown }>))
      .catch(() => undefined);
  }

  // ---- commands ------------------------------------------------------------------------

  private async write(deviceId: string, command: DeviceCommand): Promise<CommandResult> {
    const device = this.devices.get(deviceId);
    if (!device) return { ok: false, error: 'unknown_device', message: `${this.name}: no device ${deviceId}` };
    const client = this.client;
    if (!client || !this.isOnline) {
      return { ok: false, error: 'gateway_offline', message: `${this.name}: the VELUX gateway is not reachable; nothing was sent` };
    }
    if ('away' in command || !device.targetId) {
      return { ok: false, error: 'invalid', message: `${this.name}: ${device.descriptor.name} cannot do that` };
    }
    let value: number;
    if ('stop' in command) {
      // No HoldPosition on the gateway: hold the cover where it is now.
      const position = device.state.position;
      if (position === undefined) return { ok: false, error: 'internal', message: `${this.name}: the position of ${device.descriptor.name} is unknown; cannot stop it` };
      value = position;
    } else {
      value = Math.min(100, Math.max(0, Math.round(command.position)));
    }
    const session = this.session;
    let answer: Record<string, unknown>;
    try {
      answer = await within(client.setCharacteristics({ [device.targetId]: value }), this.timing.commandTimeoutMs, 'write');
    } catch (err) {
      if (err instanceof Timeout) {
        return { ok: false, error: 'timeout', message: `${this.name}: the gateway did not answer within ${this.timing.commandTimeoutMs} ms` };
      }
      if (session !== this.session || !this.isOnline) {
        return { ok: false, error: 'gateway_offline', message: `${this.name}: the connection to the gateway was lost before it answered` };
      }
      const status = hapStatusOf((err as { body?: unknown }).body);
      if (status !== undefined) return refused(this.name, device, status);
      return { ok: false, error: 'gateway_offline', message: `${this.name}: could not send: ${messageOf(err)}` };
    }
    const status = hapStatusOf(answer);
    if (status !== undefined && status !== 0) return refused(this.name, device, status);
    // Show the new target at once (the gateway's event follows).
    if (device.state.target !== value) {
      device.state.target = value;
      this.emit('state', deviceId, { ...device.state });
    }
    return { ok: true };
  }

  // ---- connection ----------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = this.reconnectDelay;
      try {
        await this.connect();
        this.reconnectDelay = this.timing.reconnectMinMs;
        this.lastProblem = undefined;
        await this.sessionEnded();
        if (this.stopped) break;
        wait = this.timing.reconnectMinMs;
      } catch (err) {
        await this.dropSession();
        if (this.stopped) break;
        const message = messageOf(err);
        if (err instanceof PairingProblem) {
          wait = PAIRING_RETRY_MS;
        } else {
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.timing.reconnectMaxMs);
        }
        if (message !== this.lastProblem) {
          if (err instanceof PairingProblem) this.log.error(`[${this.name}] ${message}`);
          else this.log.warn(`[${this.name}] ${message}`);
          this.lastProblem = message;
        } else {
          this.log.debug(`[${this.name}] ${message} (retrying in ${wait} ms)`);
        }
      }
      await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }

  private async address(keys: StoredPairingKeys | undefined): Promise<{ host: string; port: number; id?: string }> {
    if (this.config.host) return { host: this.config.host, port: this.config.port ?? 5001 };
    const discover = this.options.discover ?? ((ms: number) => discoverVeluxGateways(ms));
    const found = await discover(this.timing.discoveryTimeoutMs);
    if (keys) {
      const match = found.find((g) => g.id.toLowerCase() === keys.AccessoryPairingID.toLowerCase());
      if (match) return match;
      const stored = this.store.get(this.key);
      if (stored?.host && stored.port) return { host: stored.host, port: stored.port };
      throw new Error('the paired VELUX gateway was not found on the network (mDNS _hap._tcp); set "host" and "port" in the config if mDNS does not reach it');
    }
    const unpaired = found.filter((g) => !g.paired);
    if (unpaired.length === 1) return unpaired[0]!;
    if (unpaired.length > 1) {
      throw new PairingProblem(`${unpaired.length} unpaired VELUX gateways found (${unpaired.map((g) => `${g.host}:${g.port}`).join(', ')}); set "host" and "port" to choose one`);
    }
    if (found.length > 0) {
      throw new PairingProblem(
        `the VELUX gateway at ${found[0]!.host}:${found[0]!.port} is already paired with another controller (e.g. the Home app). Remove it from the Home app (or reset the gateway), then restart: the plugin pairs with it and republishes its devices to Apple Home`,
      );
    }
    throw new Error('no VELUX gateway found on the network (mDNS _hap._tcp); set "host" and "port" in the config if mDNS does not reach it');
  }

  private async connect(): Promise<void> {
    const stored = this.store.get(this.key);
    let keys = stored?.keys;
    if (!keys && !this.config.setupCode) {
      throw new PairingProblem('not paired yet: add the setup code printed on the VELUX gateway ("setupCode": "123-45-678") to this gateway in the config for the first pairing');
    }
    const { host, port, id } = await this.address(keys);
    if (!keys) keys = await this.pair(host, port, id);
    const session = ++this.session;
    const client = new HttpClient(keys.AccessoryPairingID, host, port, keys, { usePersistentConnections: true, subscriptionsUseSameConnection: true });
    this.client = client;
    client.on('event', (ev: { characteristics?: Array<{ aid: unknown; iid: unknown; value?: unknown }> }) => {
      // A batch lists the newest change first (HAP-NodeJS does; Apple's controllers read it in
      // reverse): apply it oldest first so the last value of each characteristic wins.
      if (session === this.session) this.applyValues([...(ev.characteristics ?? [])].reverse());
    });
    client.on('event-disconnect', () => {
      if (session === this.session) this.lose('the gateway closed the connection');
    });
    let database: { accessories: RawAccessory[] };
    try {
      database = (await within(client.getAccessories(), this.timing.connectTimeoutMs, 'reading the accessories')) as unknown as { accessories: RawAccessory[] };
    } catch (err) {
      if (isAuthenticationError(err)) {
        throw new PairingProblem(
          `the VELUX gateway no longer accepts the plugin's pairing (it was reset or the pairing was removed). Delete this gateway's entry with "velux-climate privacy reset" or add the setup code again: ${messageOf(err)}`,
        );
      }
      throw new Error(`could not reach the VELUX gateway at ${host}:${port}: ${messageOf(err)}`);
    }
    const accessories = normalise(database.accessories);
    const mapped = mapAccessories(accessories, this.config.devices);
    this.devices = new Map(mapped.devices.map((d) => [d.descriptor.id, d]));
    this.fields = mapped.fields;
    for (const s of mapped.skipped) this.log.debug(`[${this.name}] ignoring ${s}`);
    this.announceRooms(mapped.devices);
    this.emit('info', { protocol: 1, id: keys.AccessoryPairingID, model: mapped.gateway?.model ?? 'VELUX Gateway', firmware: mapped.gateway?.firmware });
    this.emit('devices', mapped.devices.map((d) => d.descriptor));
    for (const d of mapped.devices) this.emit('state', d.descriptor.id, { ...d.state });
    await within(client.subscribeCharacteristics([...this.fields.keys()]), this.timing.connectTimeoutMs, 'subscribing to events');
    if (session !== this.session) throw new Error('the connection was lost while subscribing');
    this.store.remember(this.key, host, port);
    this.log.info(`[${this.name}] connected to the VELUX gateway at ${host}:${port} (${mapped.devices.length} devices)`);
    this.setOnline(true);
    this.healthTimer = setInterval(() => void this.checkHealth(session), this.timing.healthIntervalMs);
  }

  private async pair(host: string, port: number, id: string | undefined): Promise<StoredPairingKeys> {
    const code = this.config.setupCode ?? '';
    if (!/^\d{3}-\d{2}-\d{3}$/.test(code)) throw new PairingProblem('setupCode must look like 123-45-678 (the code printed on the gateway)');
    this.log.info(`[${this.name}] pairing with the VELUX gateway at ${host}:${port} using the setup code`);
    const client = new HttpClient(id ?? host, host, port);
    try {
      // SRP is slow on small machines (seconds on a Raspberry Pi): give pairing more time.
      await within(client.pairSetup(code), Math.max(this.timing.connectTimeoutMs, PAIRING_TIMEOUT_MS), 'pairing');
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 6) {
        throw new PairingProblem(
          `the VELUX gateway at ${host}:${port} is already paired with another controller (e.g. the Home app). Remove it from the Home app (or reset the gateway), then restart: the plugin pairs with it and republishes its devices to Apple Home`,
        );
      }
      if (status === 2 || /Invalid PIN/.test(messageOf(err))) {
        throw new PairingProblem('the gateway refused the setup code: check "setupCode" (the code printed on the gateway, 123-45-678)');
      }
      if (status === 3 || status === 5) throw new PairingProblem('the gateway refuses pairing after too many attempts; restart the gateway, then Homebridge');
      throw new Error(`pairing with the VELUX gateway at ${host}:${port} failed: ${messageOf(err)}`);
    } finally {
      await client.close().catch(() => undefined);
    }
    const data = client.getLongTermData();
    if (!data) throw new Error('pairing finished without keys');
    const keys: StoredPairingKeys = {
      AccessoryPairingID: String(data.AccessoryPairingID),
      AccessoryLTPK: String(data.AccessoryLTPK),
      iOSDevicePairingID: String(data.iOSDevicePairingID),
      iOSDeviceLTSK: String(data.iOSDeviceLTSK),
      iOSDeviceLTPK: String(data.iOSDeviceLTPK),
    };
    this.store.save(this.key, { keys, host, port, pairedAt: new Date().toISOString() });
    this.log.info(`[${this.name}] paired with the VELUX gateway; from now on the setup code is not needed (it may be removed from the config)`);
    return keys;
  }

  private announceRooms(devices: MappedDevice[]): void {
    if (this.announcedRooms) return;
    this.announcedRooms = true;
    for (const d of devices) {
      if (d.configured.room) continue;
      const serial = d.descriptor.serial ?? d.descriptor.id;
      this.log.info(
        `[${this.name}] ${d.descriptor.name} (serial ${serial}) has no room: it is controllable, but has no climate control. Assign one in the settings (this gateway's devices: serial ${serial}, room) or in config.json: "devices": [{ "serial": "${serial}", "room": "Attic" }]`,
      );
    }
  }

  private async checkHealth(session: number): Promise<void> {
    const client = this.client;
    if (!client || session !== this.session) return;
    try {
      await within(client.getCharacteristics(['1.2']), this.timing.healthTimeoutMs, 'health check');
    } catch (err) {
      if (session === this.session) this.lose(err instanceof Timeout ? `no answer from the gateway within ${this.timing.healthTimeoutMs} ms` : messageOf(err));
    }
  }

  private ended?: () => void;

  private sessionEnded(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.client) return resolve();
      this.ended = resolve;
    });
  }

  private lose(why: string): void {
    if (this.stopped) return;
    this.log.warn(`[${this.name}] lost the VELUX gateway (${why}); its devices show No Response until it is back`);
    void this.dropSession();
  }

  private async dropSession(): Promise<void> {
    this.session++;
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    const client = this.client;
    this.client = undefined;
    this.setOnline(false);
    const ended = this.ended;
    this.ended = undefined;
    ended?.();
    if (client) {
      client.removeAllListeners();
      client.closePersistentConnection();
      await client.close().catch(() => undefined);
    }
  }

  private setOnline(online: boolean): void {
    if (this.isOnline === online) return;
    this.isOnline = online;
    this.emit('online', online);
  }

  private applyValues(values: Array<{ aid: unknown; iid: unknown; value?: unknown }>): void {
    const changed = new Set<string>();
    for (const v of values) {
      const f = this.fields.get(`${Number(v.aid)}.${Number(v.iid)}`);
      const device = f && this.devices.get(f.deviceId);
      if (!f || !device || v.value === undefined) continue;
      const before = device.state[f.field as keyof DeviceState];
      if (!applyValue(device.state, f.field, v.value)) {
        this.emit('invalid', `${v.aid as string}.${v.iid as string}`, `unusable value ${JSON.stringify(v.value)}`);
        continue;
      }
      if (device.state[f.field as keyof DeviceState] !== before) changed.add(f.deviceId);
    }
    for (const id of changed) this.emit('state', id, { ...this.devices.get(id)!.state });
  }
}

// ---- helpers ----------------------------------------------------------------------------

class Timeout extends Error {}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function isAuthenticationError(err: unknown): boolean {
  const status = (err as { statusCode?: number }).statusCode;
  return status === 2 || /M[24]: Error: 2|Signature verification failed|Wrong accessory pairing ID/.test(messageOf(err));
}

/** The first non-zero HAP status in a (multi-status) answer body, if any. */
function hapStatusOf(body: unknown): number | undefined {
  let parsed = body;
  if (Buffer.isBuffer(parsed)) {
    try {
      parsed = JSON.parse(parsed.toString());
    } catch {
      return undefined;
    }
  }
  const list = (parsed as { characteristics?: Array<{ status?: unknown }> } | undefined)?.characteristics;
  if (!Array.isArray(list)) return undefined;
  for (const c of list) if (c.status !== undefined && Number(c.status) !== 0) return Number(c.status);
  return list.length ? 0 : undefined;
}

function refused(gatewayName: string, device: MappedDevice, status: number): CommandResult {
  const error = status === -70403 ? 'busy' : status === -70408 ? 'timeout' : status === -70410 ? 'invalid' : status === -70402 ? 'unreachable' : 'internal';
  return { ok: false, error, message: `${gatewayName}: the gateway refused to move ${device.descriptor.name} (HAP status ${status})` };
}

/** hap-controller returns ids as numbers or big numbers and types in short or long form. */
function normalise(accessories: RawAccessory[]): RawAccessory[] {
  return accessories.map((a) => ({
    aid: Number(a.aid),
    services: a.services.map((s) => ({
      type: String(s.type),
      iid: Number(s.iid),
      characteristics: s.characteristics.map((c) => ({ ...c, type: String(c.type), iid: Number(c.iid) })),
    })),
  }));
}
