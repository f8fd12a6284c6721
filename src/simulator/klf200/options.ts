/** Options, statistics, command records and events of the emulated KLF 200 (emulator.ts). */
import type { KlfProductSpec } from './products.js';

export interface KlfEmulatorOptions {
  /** Loopback address to listen on (port 51200 is fixed by the KLF API). */
  host: string;
  port?: number;
  password: string;
  cert: string | Buffer;
  key: string | Buffer;
  products?: KlfProductSpec[];
  /** Milliseconds for a full travel (default 20 s, the simulator's motors). */
  fullTravelMs?: number;
  /** Motor/notification tick (default 250 ms). */
  tickMs?: number;
  /** A session with no frame from the client for this long is dropped (real KLF: ~15 min). */
  idleTimeoutMs?: number;
  /** Concurrent sessions accepted (the KLF allows very few); more are closed at once. Default 2. */
  maxSessions?: number;
  /** Software version reported by GW_GET_VERSION_CFM. Default 0.2.0.0.71.0. */
  softwareVersion?: number[];
}

export interface KlfCommandRecord {
  at: number;
  nodeId: number;
  sessionId: number;
  raw: number;
  result: 'moving' | 'stopped' | 'rain' | 'bad_node' | 'rejected';
}

export interface KlfEmulatorStats {
  connections: number;
  handshakesRefused: number;
  logins: number;
  failedLogins: number;
  sessions: number;
  maxConcurrentSessions: number;
  droppedIdle: number;
  framesReceived: number;
}

export interface KlfEmulatorEvents {
  command: [record: KlfCommandRecord];
  wink: [nodeId: number];
  session: [open: boolean];
}
