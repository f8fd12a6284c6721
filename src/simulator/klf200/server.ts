/**
 * The emulated KLF 200's connections (emulator.ts speaks the protocol over them): a TLS server,
 * at most `maxSessions` sessions at once (the KLF allows very few; more are closed at once),
 * sessions with no frame from the client for `idleTimeoutMs` dropped (real KLF: ~15 min), the
 * "refuse the next TLS handshakes" fault acting on the raw TCP connection, and each session's
 * SLIP-framed input handed on frame by frame.
 */
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { SlipReader } from './frames.js';
import type { KlfEmulatorStats } from './options.js';

export interface KlfSession {
  socket: TLSSocket;
  authenticated: boolean;
  /** The house status monitor is on: position changes are notified. */
  monitor: boolean;
  lastRx: number;
}

export interface KlfServerOptions {
  cert: string | Buffer;
  key: string | Buffer;
  maxSessions: number;
  idleTimeoutMs: number;
}

export interface KlfServerHandlers {
  frame: (session: KlfSession, unslipped: Buffer) => void;
  opened: (session: KlfSession) => void;
  closed: (session: KlfSession) => void;
}

export class KlfServer {
  readonly sessions = new Set<KlfSession>();
  idleTimeoutMs: number;
  private readonly server: Server;
  private readonly maxSessions: number;
  private idleTimer?: NodeJS.Timeout;
  private refuseHandshakes = 0;

  constructor(
    options: KlfServerOptions,
    private readonly stats: KlfEmulatorStats,
    private readonly handlers: KlfServerHandlers,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.maxSessions = options.maxSessions;
    this.server = createServer({ cert: options.cert, key: options.key });
    // The raw TCP connection, before TLS: where the "refuse the handshake" fault acts.
    this.server.on('connection', (raw: Socket) => {
      this.stats.connections++;
      if (this.refuseHandshakes > 0) {
        this.refuseHandshakes--;
        this.stats.handshakesRefused++;
        raw.destroy();
      }
    });
    this.server.on('tlsClientError', () => undefined);
    this.server.on('secureConnection', (socket) => this.onSession(socket));
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.idleTimer = setInterval(() => this.dropIdle(), Math.min(1000, Math.max(50, this.idleTimeoutMs / 4)));
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` connections fail their TLS handshake (the socket is reset). */
  refuseNextHandshakes(count: number): void {
    this.refuseHandshakes = count;
  }

  /** Drops every open session now. */
  dropAll(): void {
    for (const s of [...this.sessions]) s.socket.destroy();
  }

  private onSession(socket: TLSSocket): void {
    if (this.sessions.size >= this.maxSessions) {
      socket.destroy();
      return;
    }
    const session: KlfSession = { socket, authenticated: false, monitor: false, lastRx: Date.now() };
    this.sessions.add(session);
    this.stats.sessions++;
    this.stats.maxConcurrentSessions = Math.max(this.stats.maxConcurrentSessions, this.sessions.size);
    this.handlers.opened(session);
    const reader = new SlipReader((unslipped) => this.handlers.frame(session, unslipped));
    socket.on('data', (chunk: Buffer) => {
      session.lastRx = Date.now();
      reader.push(chunk);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.sessions.delete(session)) this.handlers.closed(session);
    });
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const s of [...this.sessions]) {
      if (now - s.lastRx > this.idleTimeoutMs) {
        this.stats.droppedIdle++;
        s.socket.destroy();
      }
    }
  }
}
