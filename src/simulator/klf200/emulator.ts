/**
 * An emulated VELUX KLF 200: a TLS server on port 51200 (server.ts) speaking the KLF API frames of the
 * public specification (frames.ts), with io-homecontrol products driven by the simulator's
 * motor physics and the fault modes KLF owners report: idle sessions dropped, a frozen
 * gateway (accepts, never answers), TLS handshakes refused until "rebooted", a short product
 * list while booting, and rain on a window (a limitation that closes it and refuses opening).
 *
 * What a real KLF 200 may do differently is listed in docs/klf200.md ("The emulator").
 */
import { EventEmitter } from 'node:events';
import { travel } from '../motor.js';
import {
  Cmd,
  ErrorNumber,
  RAW_MAX,
  RAW_STOP,
  RunStatus,
  StatusReply,
  decodeFrame,
  encodeFrame,
  readFixedString,
} from './frames.js';
import { KLF_PORT } from '../../gateway/klf200/session.js';
import { DEFAULT_KLF_PRODUCTS, nodeRecord, type KlfProductSpec } from './products.js';
import { limitationPayload, positionChangedPayload, remainingTimePayload, runStatusPayload, sessionIdPayload } from './payloads.js';
import type { KlfCommandRecord, KlfEmulatorEvents, KlfEmulatorOptions, KlfEmulatorStats } from './options.js';
import { KlfServer, type KlfSession as Session } from './server.js';

export { ActuatorType, DEFAULT_KLF_PRODUCTS, type KlfProductSpec } from './products.js';
export type { KlfCommandRecord, KlfEmulatorEvents, KlfEmulatorOptions, KlfEmulatorStats } from './options.js';

interface Product {
  spec: Required<KlfProductSpec>;
  /** Raw position as a float while moving. */
  position: number;
  target: number;
  moving: boolean;
  owner?: { session: Session; sessionId: number };
  rain: boolean;
  winks: number;
  lastTick: number;
}

export class KlfEmulator extends EventEmitter<KlfEmulatorEvents> {
  readonly host: string;
  readonly port: number;
  private readonly server: KlfServer;
  private readonly products = new Map<number, Product>();
  private readonly fullTravelMs: number;
  private readonly tickMs: number;
  private readonly softwareVersion: number[];
  private tickTimer?: NodeJS.Timeout;
  /** Fault state. */
  private frozen = false;
  private bootUntil = 0;
  private bootCount = 0;
  readonly commands: KlfCommandRecord[] = [];
  readonly stats: KlfEmulatorStats = {
    connections: 0,
    handshakesRefused: 0,
    logins: 0,
    failedLogins: 0,
    sessions: 0,
    maxConcurrentSessions: 0,
    droppedIdle: 0,
    framesReceived: 0,
  };

  constructor(private readonly options: KlfEmulatorOptions) {
    super();
    this.host = options.host;
    this.port = options.port ?? KLF_PORT;
    this.fullTravelMs = options.fullTravelMs ?? 20_000;
    this.tickMs = options.tickMs ?? 250;
    this.softwareVersion = options.softwareVersion ?? [0, 2, 0, 0, 71, 0];
    for (const spec of options.products ?? DEFAULT_KLF_PRODUCTS) this.addProduct(spec);
    const serverOptions = { cert: options.cert, key: options.key, maxSessions: options.maxSessions ?? 2, idleTimeoutMs: options.idleTimeoutMs ?? 15 * 60_000 };
    this.server = new KlfServer(serverOptions, this.stats, {
      frame: (session, unslipped) => this.onFrame(session, unslipped),
      opened: () => this.emit('session', true),
      closed: (session) => {
        for (const p of this.products.values()) if (p.owner?.session === session) p.owner = undefined;
        this.emit('session', false);
      },
    });
  }

  async start(): Promise<void> {
    await this.server.listen(this.port, this.host);
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    await this.server.close();
  }

  /** A session with no frame from the client for this long is dropped (checked at most every second). */
  get idleTimeoutMs(): number {
    return this.server.idleTimeoutMs;
  }

  set idleTimeoutMs(ms: number) {
    this.server.idleTimeoutMs = ms;
  }

  // ---- products and faults (the test's and the demo's handles) ----------------------------

  addProduct(spec: KlfProductSpec): void {
    const full: Required<KlfProductSpec> = { subType: 0, position: RAW_MAX, ...spec };
    this.products.set(spec.nodeId, {
      spec: full,
      position: full.position,
      target: full.position,
      moving: false,
      rain: false,
      winks: 0,
      lastTick: Date.now(),
    });
  }

  /** Raw position of a product (rounded). */
  position(nodeId: number): number {
    return Math.round(this.product(nodeId).position);
  }

  moving(nodeId: number): boolean {
    return this.product(nodeId).moving;
  }

  winks(nodeId: number): number {
    return this.product(nodeId).winks;
  }

  /** Moves a product as its own remote control would (no session of ours asked for it). */
  moveLocally(nodeId: number, raw: number): void {
    const p = this.product(nodeId);
    p.owner = undefined;
    this.startMove(p, raw);
  }

  /** The product is at `raw` now (moved by other means): one position notification, no motion. */
  jumpTo(nodeId: number, raw: number): void {
    const p = this.product(nodeId);
    if (p.owner) this.finishSession(p, RunStatus.COMPLETED, StatusReply.TARGET_MODIFIED);
    p.position = raw;
    p.target = raw;
    p.moving = false;
    this.positionChanged(p);
  }

  /** Rain on a window's sensor: it closes and refuses to open (a limitation by RAIN). */
  setRain(nodeId: number, wet: boolean): void {
    const p = this.product(nodeId);
    p.rain = wet;
    if (wet && p.target < RAW_MAX) {
      if (p.owner) this.finishSession(p, RunStatus.COMPLETED, StatusReply.LIMITATION_BY_RAIN);
      this.startMove(p, RAW_MAX);
    }
  }

  /** Frozen: connections are accepted, no frame is ever answered, no notification sent. */
  freeze(frozen = true): void {
    this.frozen = frozen;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** The next `count` connections fail their TLS handshake (the socket is reset). */
  refuseNextHandshakes(count: number): void {
    this.server.refuseNextHandshakes(count);
  }

  get sessionCount(): number {
    return this.server.sessions.size;
  }

  /** A reboot: all sessions close; for `shortForMs` the node list holds only the first `shortCount` products. */
  reboot(options: { shortForMs?: number; shortCount?: number } = {}): void {
    this.frozen = false;
    this.server.dropAll();
    if (options.shortForMs) {
      this.bootUntil = Date.now() + options.shortForMs;
      this.bootCount = options.shortCount ?? 1;
    }
  }

  /** Drops every open session now (as the KLF does after its idle timeout). */
  dropSessions(): void {
    this.server.dropAll();
  }

  // ---- frames (the sessions themselves: server.ts) --------------------------------------

  private send(session: Session, command: number, data?: Buffer): void {
    if (this.frozen || session.socket.destroyed) return;
    session.socket.write(encodeFrame(command, data));
  }

  private onFrame(session: Session, unslipped: Buffer): void {
    this.stats.framesReceived++;
    if (this.frozen) return;
    let frame;
    try {
      frame = decodeFrame(unslipped);
    } catch {
      this.send(session, Cmd.ERROR_NTF, Buffer.from([ErrorNumber.FRAME_ERROR]));
      return;
    }
    const { command, data } = frame;
    if (command === Cmd.PASSWORD_ENTER_REQ) {
      const ok = data.length === 32 && readFixedString(data) === this.options.password;
      session.authenticated = ok;
      if (ok) this.stats.logins++;
      else this.stats.failedLogins++;
      this.send(session, Cmd.PASSWORD_ENTER_CFM, Buffer.from([ok ? 0 : 1]));
      return;
    }
    if (!session.authenticated) {
      this.send(session, Cmd.ERROR_NTF, Buffer.from([ErrorNumber.NOT_AUTHENTICATED]));
      return;
    }
    switch (command) {
      case Cmd.GET_STATE_REQ:
        // Gateway state 2 = gateway mode with actuator nodes, sub-state 0 = idle.
        this.send(session, Cmd.GET_STATE_CFM, Buffer.from([2, 0, 0, 0, 0, 0]));
        return;
      case Cmd.GET_VERSION_REQ:
        // Software version (6), hardware version, product group 14, product type 3 (KLF 200).
        this.send(session, Cmd.GET_VERSION_CFM, Buffer.from([...this.softwareVersion, 6, 14, 3]));
        return;
      case Cmd.GET_PROTOCOL_VERSION_REQ: {
        const d = Buffer.alloc(4);
        d.writeUInt16BE(3, 0);
        d.writeUInt16BE(14, 2);
        this.send(session, Cmd.GET_PROTOCOL_VERSION_CFM, d);
        return;
      }
      case Cmd.HOUSE_STATUS_MONITOR_ENABLE_REQ:
        session.monitor = true;
        this.send(session, Cmd.HOUSE_STATUS_MONITOR_ENABLE_CFM);
        return;
      case Cmd.HOUSE_STATUS_MONITOR_DISABLE_REQ:
        session.monitor = false;
        this.send(session, Cmd.HOUSE_STATUS_MONITOR_DISABLE_CFM);
        return;
      case Cmd.GET_ALL_NODES_INFORMATION_REQ:
        return this.allNodes(session);
      case Cmd.GET_NODE_INFORMATION_REQ:
        return this.nodeInfo(session, data);
      case Cmd.COMMAND_SEND_REQ:
        return this.commandSend(session, data);
      case Cmd.WINK_SEND_REQ:
        return this.wink(session, data);
      case Cmd.GET_LIMITATION_STATUS_REQ:
        return this.limitationStatus(session, data);
      default:
        this.send(session, Cmd.ERROR_NTF, Buffer.from([ErrorNumber.UNKNOWN_COMMAND]));
    }
  }

  private visibleProducts(): Product[] {
    const all = [...this.products.values()].sort((a, b) => a.spec.nodeId - b.spec.nodeId);
    return Date.now() < this.bootUntil ? all.slice(0, this.bootCount) : all;
  }

  private allNodes(session: Session): void {
    const list = this.visibleProducts();
    this.send(session, Cmd.GET_ALL_NODES_INFORMATION_CFM, Buffer.from([0, list.length]));
    for (const p of list) this.send(session, Cmd.GET_ALL_NODES_INFORMATION_NTF, this.nodeRecord(p));
    this.send(session, Cmd.GET_ALL_NODES_INFORMATION_FINISHED_NTF);
  }

  private nodeInfo(session: Session, data: Buffer): void {
    const nodeId = data[0] ?? 255;
    const p = this.visibleProducts().find((x) => x.spec.nodeId === nodeId);
    this.send(session, Cmd.GET_NODE_INFORMATION_CFM, Buffer.from([p ? 0 : 2, nodeId]));
    if (p) this.send(session, Cmd.GET_NODE_INFORMATION_NTF, this.nodeRecord(p));
  }

  private nodeRecord(p: Product): Buffer {
    return nodeRecord({ ...p.spec, position: p.position }, p.target, p.moving, this.remainingSeconds(p), Date.now());
  }

  private remainingSeconds(p: Product): number {
    return Math.ceil((Math.abs(p.target - p.position) / RAW_MAX) * (this.fullTravelMs / 1000));
  }

  private indexArray(data: Buffer, countAt: number): number[] {
    const count = Math.min(20, data[countAt] ?? 0);
    return [...data.subarray(countAt + 1, countAt + 1 + count)];
  }

  private commandSend(session: Session, data: Buffer): void {
    if (data.length !== 66) {
      this.send(session, Cmd.ERROR_NTF, Buffer.from([ErrorNumber.FRAME_ERROR]));
      return;
    }
    const sessionId = data.readUInt16BE(0);
    const parameterActive = data[4]!;
    const raw = data.readUInt16BE(7);
    const nodes = this.indexArray(data, 41);
    const valid = parameterActive === 0 && (raw <= RAW_MAX || raw === RAW_STOP) && nodes.length > 0;
    const cfm = Buffer.alloc(3);
    cfm.writeUInt16BE(sessionId, 0);
    cfm[2] = valid ? 1 : 0;
    this.send(session, Cmd.COMMAND_SEND_CFM, cfm);
    if (!valid) {
      this.record({ at: Date.now(), nodeId: nodes[0] ?? -1, sessionId, raw, result: 'rejected' });
      return;
    }
    for (const nodeId of nodes) {
      const p = this.products.get(nodeId);
      if (!p) {
        this.runStatus(session, sessionId, nodeId, 0, RunStatus.FAILED, StatusReply.BAD_INDEX);
        this.sessionFinished(session, sessionId);
        this.record({ at: Date.now(), nodeId, sessionId, raw, result: 'bad_node' });
        continue;
      }
      // An open command beyond the rain limitation is refused by the window.
      if (p.rain && raw !== RAW_STOP && raw < RAW_MAX) {
        this.runStatus(session, sessionId, nodeId, Math.round(p.position), RunStatus.FAILED, StatusReply.LIMITATION_BY_RAIN);
        this.sessionFinished(session, sessionId);
        this.record({ at: Date.now(), nodeId, sessionId, raw, result: 'rain' });
        continue;
      }
      // A new command for a moving product ends the session that moved it.
      if (p.owner) this.finishSession(p, RunStatus.COMPLETED, StatusReply.TARGET_MODIFIED);
      p.owner = { session, sessionId };
      const target = raw === RAW_STOP ? p.position : raw;
      this.record({ at: Date.now(), nodeId, sessionId, raw, result: raw === RAW_STOP ? 'stopped' : 'moving' });
      this.runStatus(session, sessionId, nodeId, Math.round(p.position), RunStatus.ACTIVE, StatusReply.OK);
      this.startMove(p, target);
    }
  }

  private record(r: KlfCommandRecord): void {
    this.commands.push(r);
    this.emit('command', r);
  }

  private wink(session: Session, data: Buffer): void {
    const sessionId = data.readUInt16BE(0);
    const nodes = this.indexArray(data, 6);
    const cfm = Buffer.alloc(3);
    cfm.writeUInt16BE(sessionId, 0);
    cfm[2] = nodes.every((n) => this.products.has(n)) && nodes.length > 0 ? 1 : 0;
    this.send(session, Cmd.WINK_SEND_CFM, cfm);
    if (!cfm[2]) return;
    for (const n of nodes) {
      this.product(n).winks++;
      this.emit('wink', n);
    }
    setTimeout(() => {
      this.send(session, Cmd.WINK_SEND_NTF, sessionIdPayload(sessionId));
      this.sessionFinished(session, sessionId);
    }, 20).unref();
  }

  /**
   * GW_GET_LIMITATION_STATUS: CFM, one LIMITATION_STATUS_NTF per node, then (as the spec's
   * sequence shows) a COMMAND_RUN_STATUS_NTF and SESSION_FINISHED_NTF. The run status carries
   * the limitation value, not the position: a client must not take it for a position.
   */
  private limitationStatus(session: Session, data: Buffer): void {
    const sessionId = data.readUInt16BE(0);
    const nodes = this.indexArray(data, 2);
    const parameter = data[23] ?? 0;
    const type = data[24] ?? 0; // 0 = minimum, 1 = maximum
    const cfm = Buffer.alloc(3);
    cfm.writeUInt16BE(sessionId, 0);
    cfm[2] = nodes.length > 0 && nodes.every((n) => this.products.has(n)) ? 1 : 0;
    this.send(session, Cmd.GET_LIMITATION_STATUS_CFM, cfm);
    if (!cfm[2]) return;
    for (const n of nodes) {
      const p = this.product(n);
      const min = p.rain ? RAW_MAX : 0;
      const max = RAW_MAX;
      this.send(session, Cmd.LIMITATION_STATUS_NTF, limitationPayload(sessionId, n, parameter, min, max, p.rain));
      this.runStatus(session, sessionId, n, type === 0 ? min : max, RunStatus.COMPLETED, StatusReply.OK);
    }
    this.sessionFinished(session, sessionId);
  }

  // ---- motors ---------------------------------------------------------------------------

  private startMove(p: Product, target: number): void {
    p.target = Math.max(0, Math.min(RAW_MAX, target));
    p.lastTick = Date.now();
    p.moving = Math.round(p.position) !== Math.round(p.target);
    if (p.owner) this.remainingTime(p);
    if (!p.moving) {
      p.position = p.target;
      this.positionChanged(p);
      if (p.owner) this.finishSession(p, RunStatus.COMPLETED, StatusReply.OK);
      return;
    }
    this.positionChanged(p);
    if (!this.tickTimer) this.tickTimer = setInterval(() => this.tick(), this.tickMs);
  }

  private tick(): void {
    const now = Date.now();
    let anyMoving = false;
    for (const p of this.products.values()) {
      if (!p.moving) continue;
      const elapsed = now - p.lastTick;
      p.lastTick = now;
      // travel() works in percent: use percent-closed, raw 0 = 0 %.
      const pos = travel((p.position / RAW_MAX) * 100, (p.target / RAW_MAX) * 100, elapsed, this.fullTravelMs);
      p.position = (pos / 100) * RAW_MAX;
      if (Math.abs(p.position - p.target) < 1) {
        p.position = p.target;
        p.moving = false;
        this.positionChanged(p);
        if (p.owner) this.finishSession(p, RunStatus.COMPLETED, StatusReply.OK);
      } else {
        anyMoving = true;
        this.positionChanged(p);
      }
    }
    if (!anyMoving) {
      clearInterval(this.tickTimer);
      this.tickTimer = undefined;
    }
  }

  private positionChanged(p: Product): void {
    const d = positionChangedPayload(p.spec.nodeId, p.moving, p.position, p.target, this.remainingSeconds(p), Date.now());
    for (const s of this.server.sessions) if (s.authenticated && s.monitor) this.send(s, Cmd.NODE_STATE_POSITION_CHANGED_NTF, d);
  }

  private remainingTime(p: Product): void {
    if (!p.owner) return;
    this.send(p.owner.session, Cmd.COMMAND_REMAINING_TIME_NTF, remainingTimePayload(p.owner.sessionId, p.spec.nodeId, this.remainingSeconds(p)));
  }

  private finishSession(p: Product, runStatus: number, reply: number): void {
    const owner = p.owner;
    if (!owner) return;
    p.owner = undefined;
    this.runStatus(owner.session, owner.sessionId, p.spec.nodeId, Math.round(p.position), runStatus, reply);
    this.sessionFinished(owner.session, owner.sessionId);
  }

  private runStatus(session: Session, sessionId: number, nodeId: number, value: number, runStatus: number, reply: number): void {
    this.send(session, Cmd.COMMAND_RUN_STATUS_NTF, runStatusPayload(sessionId, nodeId, value, runStatus, reply));
  }

  private sessionFinished(session: Session, sessionId: number): void {
    this.send(session, Cmd.SESSION_FINISHED_NTF, sessionIdPayload(sessionId));
  }

  private product(nodeId: number): Product {
    const p = this.products.get(nodeId);
    if (!p) throw new Error(`no product with node id ${nodeId}`);
    return p;
  }
}
