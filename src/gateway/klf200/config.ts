/** Configuration of a KLF 200 gateway entry (`gateways[]` with `type: "klf200"`) and its defaults. */

export interface Klf200DeviceConfig {
  serial: string;
  name?: string;
  room?: string;
}

export interface Klf200GatewayConfig {
  type: 'klf200';
  name: string;
  host: string;
  password: string;
  /** SHA-1 fingerprint of the gateway's certificate (hex, colons optional). Default: VELUX's. */
  fingerprint?: string;
  /** PEM file of a CA that signed the gateway's certificate (instead of a fingerprint). */
  ca?: string;
  devices?: Klf200DeviceConfig[];
  /** Answer time for one request or command (default 5000 ms, as for MQTT). */
  commandTimeoutMs?: number;
  /** A GW_GET_STATE_REQ probe this often (default 30 000 ms; the KLF drops idle sessions after ~15 min). */
  keepAliveMs?: number;
  /** Rain (limitation) re-read for rain-sensing windows this often (default 120 000 ms). */
  rainPollMs?: number;
  /** Longest wait between reconnect attempts (default 30 000 ms; the first waits 1 s, then doubling). */
  reconnectMaxMs?: number;
  /** A product missing after (re)connecting is kept this long while the KLF finishes booting (default 300 000 ms). */
  bootGraceMs?: number;
  /** TCP port (default 51200; the KLF's is fixed, tests may use it). */
  port?: number;
}

export const DEFAULTS = {
  commandTimeoutMs: 5000,
  keepAliveMs: 30_000,
  rainPollMs: 120_000,
  reconnectMaxMs: 30_000,
  bootGraceMs: 300_000,
};
