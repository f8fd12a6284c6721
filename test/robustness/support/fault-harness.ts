/**
 * Fault injection against a real Mosquitto, the simulated home and a real Home +
 * MqttGateway, shared by test/robustness/faults.test.ts and the soak (test/soak/).
 *
 * Commands flow continuously from one loop per cover (source 'test'); every command is
 * tracked from the caller, through the bridge's MQTT client (its transaction), to the
 * simulator (its arrival), so the invariants can be checked exactly:
 * - every command issued while the broker is down is answered with an error;
 * - no transaction is sent twice, none arrives twice, and no command arrives at the
 *   gateway after its caller was told it failed;
 * - every `ok` was really executed by the gateway;
 * - devices are unreachable for the whole outage and the home is rebuilt on return.
 */
import type { MqttClient } from 'mqtt';
import { MqttGateway } from '../../../src/gateway/mqtt/gateway.js';
import type { CommandResult } from '../../../src/gateway/types.js';
import { isCoverType } from '../../../src/gateway/types.js';
import { Home } from '../../../src/home/model.js';
import { SimulatedHome } from '../../../src/simulator/index.js';
import { uniqueBaseTopic } from '../../helpers/broker.js';
import { recordingLogger, waitFor, type RecordingLogger } from '../../helpers/log.js';
import { MosquittoProcess } from './mosquitto.js';
import { captureProcessErrors, type ProcessErrors } from './process-errors.js';

export type Phase = 'up' | 'killing' | 'down' | 'returning';

export interface IssuedCommand {
  seq: number;
  deviceId: string;
  position: number;
  phase: Phase;
  /** Which outage it was issued in (0 before the first). */
  outage: number;
  /** Issued after the bridge had noticed the outage (so it must not even be sent). */
  noticed: boolean;
  issuedAt: number;
  result?: CommandResult;
  settledAt?: number;
  /** Transactions the bridge published for it (at most one is allowed). */
  transactions: string[];
}

interface Publish {
  deviceId: string;
  transaction: string;
  at: number;
  /** Whether the MQTT client was connected when the bridge published (else mqtt.js would queue it). */
  connected: boolean;
}

interface Receipt {
  deviceId: string;
  transaction: string;
  position: unknown;
  duplicate: boolean;
  at: number;
}

export interface OutageFigures {
  index: number;
  downMs: number;
  /** Kill → every device unreachable. */
  detectMs: number;
  /** Broker listening again → gateway online, device list and every device's state received again. */
  recoveryMs: number;
  /** Whether that happened before the simulated gateway itself reconnected (from the broker's persisted retained messages). */
  fromPersistedRetained: boolean;
  /** Broker listening again → the first command answered `ok`. */
  serviceMs: number;
  /** Gateway dropouts: how long the simulated gateway took to reconnect and publish everything. */
  gatewayBackMs?: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultRig {
  readonly base = uniqueBaseTopic('faults');
  readonly log: RecordingLogger = recordingLogger();
  readonly simLog: string[] = [];
  readonly errors: ProcessErrors = captureProcessErrors();
  readonly receipts: Receipt[] = [];
  readonly publishes: Publish[] = [];
  readonly responses = new Map<string, { at: number; status: string }>();
  readonly violations: string[] = [];
  /** When the broker listened again, or the gateway came back: a new connection for everyone. */
  readonly reconnects: number[] = [];
  /** The bridge's view of the gateway over time, for diagnosing a broken invariant. */
  readonly onlineTimeline: Array<{ at: number; online: boolean }> = [];
  broker!: MosquittoProcess;
  sim!: SimulatedHome;
  home!: Home;
  gateway!: MqttGateway;
  /** Set while the broker is down (after detection): any device becoming reachable is a violation. */
  private expectUnreachable = false;
  private readonly lastStateAt = new Map<string, number>();
  private devicesAt = 0;
  private recoveryWatch?: { since: number; resolve: (at: number) => void };
  /** Hook for the command traffic: a transaction published for a device. */
  onPublish?: (p: Publish) => void;

  constructor(readonly options: { timeScale: number; commandTimeoutMs: number }) {}

  static async start(options: { timeScale?: number; commandTimeoutMs?: number } = {}): Promise<FaultRig> {
    const rig = new FaultRig({ timeScale: options.timeScale ?? 20, commandTimeoutMs: options.commandTimeoutMs ?? 1500 });
    await rig.setUp();
    return rig;
  }

  private async setUp(): Promise<void> {
    this.broker = await MosquittoProcess.create();
    await this.broker.start();
    this.sim = new SimulatedHome({
      url: this.broker.url,
      baseTopic: this.base,
      timeScale: this.options.timeScale,
      // one state report per simulated second of travel keeps the broker's autosave cheap
      tickMs: 1000,
      log: (m) => this.simLog.push(m),
    });
    this.sim.on('command', (r) =>
      this.receipts.push({ deviceId: r.deviceId, transaction: r.transaction, position: r.payload.position, duplicate: r.duplicate, at: Date.now() }),
    );
    this.sim.on('response', (r) => this.responses.set(r.transaction, { at: Date.now(), status: r.status }));
    await this.sim.start();

    this.home = new Home({ log: this.log });
    this.gateway = new MqttGateway({ name: 'Faults', url: this.broker.url, baseTopic: this.base, commandTimeoutMs: this.options.commandTimeoutMs }, this.log);
    this.home.addGateway(this.gateway);
    this.home.on('state', (d) => {
      this.lastStateAt.set(d.id, Date.now());
      this.checkRecovery();
    });
    this.home.on('devicesChanged', () => {
      this.devicesAt = Date.now();
      this.checkRecovery();
    });
    this.home.on('reachability', (d) => {
      if (this.expectUnreachable && d.reachable) this.violations.push(`${d.id} became reachable while the broker was down`);
      this.checkRecovery();
    });
    this.home.on('gatewayOnline', (_key, online) => {
      this.onlineTimeline.push({ at: Date.now(), online });
      if (this.expectUnreachable && online) this.violations.push('the gateway came online while the broker was down');
      this.checkRecovery();
    });
    await this.home.start();
    this.observeBridgePublishes();
    await waitFor(() => this.allReachable(), 10_000, 'the simulated home to be reachable');
  }

  /**
   * Test-only introspection: wraps the transport's MQTT client (a private field) so each
   * command's transaction is known at the moment the bridge publishes it. The client object
   * stays the same across reconnects.
   */
  private observeBridgePublishes(): void {
    const client = (this.gateway as unknown as { client?: MqttClient }).client;
    if (!client) throw new Error('MqttGateway has no MQTT client after start()');
    const publish = client.publish.bind(client) as (...args: unknown[]) => MqttClient;
    const prefix = `${this.base}/`;
    (client as unknown as { publish: (...args: unknown[]) => MqttClient }).publish = (...args: unknown[]) => {
      const [topic, message] = args as [string, string | Buffer];
      if (topic.startsWith(prefix) && topic.endsWith('/set')) {
        const deviceId = topic.slice(prefix.length, -'/set'.length);
        const { transaction } = JSON.parse(message.toString()) as { transaction: string };
        const p: Publish = { deviceId, transaction, at: Date.now(), connected: client.connected };
        this.publishes.push(p);
        if (!p.connected) this.violations.push(`the bridge published ${transaction} to ${deviceId} while its MQTT client was disconnected (mqtt.js would queue it)`);
        this.onPublish?.(p);
      }
      return publish(...args);
    };
  }

  /** Test-only introspection for leak checks: what the transport still holds. */
  internals(): { pendingCommands: number; mqttInFlight: number; mqttListeners: number; gatewayListeners: number } {
    const gateway = this.gateway as unknown as { pending: Map<string, unknown>; client?: MqttClient };
    const client = gateway.client;
    const count = (e: { eventNames(): Array<string | symbol>; listenerCount(name: string | symbol): number }) =>
      e.eventNames().reduce((n, name) => n + e.listenerCount(name), 0);
    return {
      pendingCommands: gateway.pending.size,
      mqttInFlight: client ? Object.keys(client.outgoing).length : 0,
      mqttListeners: client ? count(client) : 0,
      gatewayListeners: count(this.gateway),
    };
  }

  get deviceIds(): string[] {
    return this.sim.devices().map((d) => d.id);
  }

  get coverIds(): string[] {
    return this.sim.devices().filter((d) => isCoverType(d.type)).map((d) => d.id);
  }

  key(id: string): string {
    return `${this.base}/${id}`;
  }

  allReachable(): boolean {
    return this.deviceIds.every((id) => this.home.device(this.key(id))?.reachable === true);
  }

  allUnreachable(): boolean {
    return !this.home.gatewayOnline(this.base) && this.home.devices().every((d) => !d.reachable);
  }

  private recovered(since: number): boolean {
    return (
      this.home.gatewayOnline(this.base) &&
      this.devicesAt >= since &&
      this.deviceIds.every((id) => this.home.device(this.key(id))?.reachable === true && (this.lastStateAt.get(id) ?? 0) >= since)
    );
  }

  private checkRecovery(): void {
    const watch = this.recoveryWatch;
    if (watch && this.recovered(watch.since)) {
      this.recoveryWatch = undefined;
      watch.resolve(Date.now());
    }
  }

  /** Resolves with the moment the home is rebuilt from messages received after `since`. */
  recoveredAt(since: number, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.recoveryWatch = undefined;
        reject(new Error(`the home was not rebuilt within ${timeoutMs} ms of the broker's return (${this.describe()})`));
      }, timeoutMs);
      this.recoveryWatch = {
        since,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.checkRecovery();
    });
  }

  private describe(): string {
    const missing = this.deviceIds.filter((id) => !this.home.device(this.key(id))?.reachable);
    return `online=${this.home.gatewayOnline(this.base)} unreachable=[${missing.join(', ')}] simConnected=${this.sim.connected}`;
  }

  /**
   * Kills the broker with SIGKILL, keeps it down for `downMs`, starts it again and
   * measures detection, recovery and the first successful command.
   */
  async brokerOutage(traffic: CommandTraffic | undefined, index: number, downMs: number): Promise<OutageFigures> {
    if (traffic) {
      traffic.outage = index;
      traffic.phase = 'killing';
    }
    const killAt = Date.now();
    const goneAt = await this.broker.kill();
    if (traffic) traffic.phase = 'down';
    await waitFor(() => this.allUnreachable(), 3000, 'every device to be unreachable after the broker died');
    const detectMs = Date.now() - killAt;
    if (traffic) traffic.noticed = true;
    this.expectUnreachable = true;
    await sleep(Math.max(0, downMs - (Date.now() - goneAt)));
    this.expectUnreachable = false;
    if (traffic) {
      traffic.phase = 'returning';
      traffic.noticed = false;
    }
    const backAt = await this.broker.start();
    this.reconnects.push(backAt);
    const rebuiltAt = await this.recoveredAt(backAt);
    const fromPersistedRetained = !this.sim.connected;
    let serviceAt: number;
    if (traffic) {
      serviceAt = await waitFor(() => traffic.firstOkAfter(backAt), 15_000, 'a command to succeed after the broker returned');
    } else {
      await waitFor(() => this.sim.connected, 15_000, 'the simulator to reconnect');
      serviceAt = Date.now();
    }
    if (traffic) traffic.phase = 'up';
    return { index, downMs: backAt - goneAt, detectMs, recoveryMs: rebuiltAt - backAt, fromPersistedRetained, serviceMs: serviceAt - backAt };
  }

  /**
   * The gateway drops off the network without a goodbye (its last will takes it offline),
   * stays away for `downMs` and comes back; measured like a broker outage.
   */
  async gatewayDropout(traffic: CommandTraffic | undefined, index: number, downMs: number): Promise<OutageFigures> {
    if (traffic) {
      traffic.outage = index;
      traffic.phase = 'killing';
    }
    const dropAt = Date.now();
    await this.sim.disconnectUnclean();
    await waitFor(() => this.allUnreachable(), 3000, 'the last will to make every device unreachable');
    const detectMs = Date.now() - dropAt;
    if (traffic) {
      traffic.phase = 'down';
      traffic.noticed = true;
    }
    this.expectUnreachable = true;
    await sleep(Math.max(0, downMs - detectMs));
    this.expectUnreachable = false;
    if (traffic) {
      traffic.phase = 'returning';
      traffic.noticed = false;
    }
    const backAt = Date.now();
    this.reconnects.push(backAt);
    const recovered = this.recoveredAt(backAt);
    await this.sim.goOnline();
    const gatewayBackMs = Date.now() - backAt;
    const rebuiltAt = await recovered;
    const serviceAt = traffic ? await waitFor(() => traffic.firstOkAfter(backAt), 15_000, 'a command to succeed after the gateway returned') : Date.now();
    if (traffic) traffic.phase = 'up';
    return { index, downMs: backAt - dropAt, detectMs, recoveryMs: rebuiltAt - backAt, gatewayBackMs, fromPersistedRetained: false, serviceMs: serviceAt - backAt };
  }

  /** Waits for the covers to stop and checks that the home shows exactly what the gateway reports. */
  async expectConverged(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.coverIds.every((id) => this.sim.state(id)?.motion === 'stopped'), timeoutMs, 'the covers to stop');
    await waitFor(
      () =>
        this.deviceIds.every((id) => {
          const truth = this.sim.state(id);
          const seen = this.home.device(this.key(id))?.state;
          if (!truth || !seen) return false;
          if (!isCoverType(this.home.device(this.key(id))!.descriptor.type) && this.home.device(this.key(id))!.descriptor.type !== 'departure_switch') return true;
          return JSON.stringify(seen) === JSON.stringify(truth);
        }),
      timeoutMs,
      'the home to show what the simulated gateway reports',
    );
  }

  async stop(): Promise<void> {
    await this.home?.stop();
    if (this.broker && !this.broker.running) await this.broker.start().catch(() => undefined);
    await this.sim?.stop().catch(() => undefined);
    await this.broker?.dispose();
    this.errors.dispose();
  }
}

/** Commands from one loop per cover, with every answer recorded. */
export class CommandTraffic {
  phase: Phase = 'up';
  outage = 0;
  /** Set once the bridge has noticed the current outage (every device unreachable). */
  noticed = false;
  readonly issued: IssuedCommand[] = [];
  private readonly inFlight = new Map<string, IssuedCommand>();
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;

  constructor(
    private readonly rig: FaultRig,
    private readonly pauseMs: [number, number] = [15, 45],
  ) {}

  start(deviceIds: string[] = this.rig.coverIds): void {
    this.running = true;
    this.rig.onPublish = (p) => {
      const command = this.inFlight.get(p.deviceId);
      if (command) command.transactions.push(p.transaction);
      else this.rig.violations.push(`the bridge published ${p.transaction} to ${p.deviceId} with no command in flight`);
    };
    this.loops = deviceIds.map((id, i) => this.loop(id, i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.rig.onPublish = undefined;
  }

  private async loop(deviceId: string, offset: number): Promise<void> {
    let n = offset * 13;
    while (this.running) {
      const position = (n++ * 37) % 101;
      const command: IssuedCommand = {
        seq: ++this.seq,
        deviceId,
        position,
        phase: this.phase,
        outage: this.outage,
        noticed: this.phase === 'down' && this.noticed,
        issuedAt: Date.now(),
        transactions: [],
      };
      this.issued.push(command);
      this.inFlight.set(deviceId, command);
      const result = await this.rig.home.command(this.rig.key(deviceId), { position }, 'test');
      this.inFlight.delete(deviceId);
      command.result = result;
      command.settledAt = Date.now();
      const [lo, hi] = this.pauseMs;
      await sleep(lo + Math.random() * (hi - lo));
    }
  }

  firstOkAfter(t: number): number | undefined {
    let first: number | undefined;
    for (const c of this.issued) if (c.result?.ok && c.issuedAt >= t && (first === undefined || c.settledAt! < first)) first = c.settledAt;
    return first;
  }

  /** Answers to the commands issued while the broker was down, per error code. */
  outageAnswers(outage?: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.issued) {
      if (c.phase !== 'down' || (outage !== undefined && c.outage !== outage)) continue;
      const key = !c.result ? 'unanswered' : c.result.ok ? 'ok' : c.result.error;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * Commands in flight when the broker died that had already been delivered to the gateway:
   * the caller was told the connection was lost before an answer came (true), and the
   * gateway got the command anyway (it was on its way). Not a replay; counted, not a failure.
   */
  readonly inFlightAtCrash: string[] = [];

  /** Every broken invariant, as a sentence. Call after stop(). */
  check(): string[] {
    this.inFlightAtCrash.length = 0;
    const problems = [...this.rig.violations];
    const byTransaction = new Map<string, IssuedCommand>();
    for (const c of this.issued) {
      if (!c.result) problems.push(`command #${c.seq} to ${c.deviceId} was never answered`);
      if (c.phase === 'down' && c.result?.ok) problems.push(`command #${c.seq} to ${c.deviceId}, issued during outage ${c.outage}, was answered ok`);
      if (c.transactions.length > 1) problems.push(`command #${c.seq} to ${c.deviceId} was published ${c.transactions.length} times`);
      if (c.noticed && c.transactions.length > 0) {
        problems.push(`command #${c.seq} to ${c.deviceId}, issued in outage ${c.outage} after the bridge had noticed it, was published (${c.transactions.join(', ')})`);
      }
      for (const t of c.transactions) byTransaction.set(t, c);
    }
    const arrivals = new Map<string, number>();
    for (const r of this.rig.receipts) {
      const c = byTransaction.get(r.transaction);
      if (!c) continue; // a scenario's own command, not this traffic's
      arrivals.set(r.transaction, (arrivals.get(r.transaction) ?? 0) + 1);
      if (r.duplicate) problems.push(`${r.transaction} (#${c.seq}) arrived at the gateway again`);
      if (r.position !== c.position) problems.push(`${r.transaction} (#${c.seq}) arrived with position ${String(r.position)} instead of ${c.position}`);
      if (c.result && !c.result.ok && c.settledAt! < r.at) {
        const reconnectedSince = this.rig.reconnects.some((t) => t > c.settledAt! && t <= r.at);
        if (!reconnectedSince && c.result.error === 'gateway_offline' && c.result.message.includes('connection to the MQTT broker was lost')) {
          this.inFlightAtCrash.push(`#${c.seq} to ${c.deviceId} (outage ${c.outage}) reached the gateway ${r.at - c.settledAt!} ms after the bridge saw the connection drop`);
          continue;
        }
        const around = this.rig.onlineTimeline
          .filter((e) => e.at >= c.issuedAt - 1000 && e.at <= r.at + 100)
          .map((e) => `${e.online ? 'online' : 'offline'}@${e.at - c.issuedAt}`)
          .join(' ');
        problems.push(
          `#${c.seq} to ${c.deviceId} (outage ${c.outage}, ${c.phase}) was answered ${c.result.error} ${c.settledAt! - c.issuedAt} ms after it was issued ` +
            `and arrived at the gateway ${r.at - c.settledAt!} ms later [bridge: ${around}] (${c.result.message})`,
        );
      }
    }
    for (const [t, n] of arrivals) if (n > 1) problems.push(`${t} arrived ${n} times`);
    for (const c of this.issued) {
      if (c.result?.ok && !c.transactions.some((t) => arrivals.has(t))) problems.push(`#${c.seq} to ${c.deviceId} was answered ok but never reached the gateway`);
    }
    return problems;
  }

  summary(): { issued: number; ok: number; errors: Record<string, number>; published: number; arrived: number } {
    const errors: Record<string, number> = {};
    let ok = 0;
    for (const c of this.issued) {
      if (c.result?.ok) ok++;
      else if (c.result) errors[c.result.error] = (errors[c.result.error] ?? 0) + 1;
    }
    const mine = new Set(this.issued.flatMap((c) => c.transactions));
    return {
      issued: this.issued.length,
      ok,
      errors,
      published: mine.size,
      arrived: new Set(this.rig.receipts.filter((r) => mine.has(r.transaction)).map((r) => r.transaction)).size,
    };
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
