/**
 * The platform block in Homebridge's config.json, after validation against
 * config.schema.json (the one source of truth: see config/validate.ts).
 */
import type { GatewayConfig } from '../gateway/transports.js';

export const PLUGIN_NAME = 'homebridge-velux-climate';
export const PLATFORM_NAME = 'VeluxClimate';

/** One `gateways[]` entry: a union keyed by `type` (default "mqtt"), one member per transport. */
export type { GatewayConfig };

export interface GoogleConfig {
  enabled: boolean;
  /** default 8582 */
  port?: number;
  /** default 127.0.0.1 */
  bind?: string;
  /**
   * A reverse proxy on this machine sets X-Forwarded-For (believed from a loopback peer only).
   * Default false: the connection's own address counts.
   */
  trustProxy?: boolean;
  /** https URL under which Google reaches this server, e.g. https://home.example.com */
  publicUrl?: string;
  projectId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Secondary-verification PIN (digits) for opening windows, leaving departure mode and switching climate control on. */
  pin?: string;
  /** Service-account key (JSON file path) for Report State / Request Sync. */
  serviceAccountKeyFile?: string;
  /** Override of the HomeGraph API root URL (tests, proxies). */
  homegraphUrl?: string;
  tls?: { cert: string; key: string };
}

/** Per-room climate settings overrides; keys and ranges in climate/settings.ts. */
export type RoomSettingsOverrides = Record<string, unknown> & { room: string };

export interface ClimateConfig {
  enabled?: boolean;
  /** Days of per-room decision history kept; 0 = none. Default 7. */
  historyDays?: number;
  defaults?: Record<string, unknown>;
  rooms?: RoomSettingsOverrides[];
}

export interface PlatformConfig {
  platform: string;
  name?: string;
  /**
   * This block's storage id: its files live in `<storage>/velux-climate/<id>/` (storage/paths.ts).
   * Absent = "default". Needed only with several VeluxClimate blocks; unique among them.
   */
  id?: string;
  gateways: GatewayConfig[];
  google?: GoogleConfig;
  climate?: ClimateConfig;
  /** Publish on Matter when the bridge has Matter enabled (default true). */
  matter?: boolean;
  debug?: boolean;
  /**
   * Hours a device missing from its gateway's device list stays (as No Response / offline)
   * before it is removed; 0 = at once. Default 24.
   */
  deviceRemovalGraceHours?: number;
}
