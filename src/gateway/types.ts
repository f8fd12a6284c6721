/**
 * The gateway contract as the rest of the plugin sees it: devices, their state and
 * reachability, and commands with a definite answer. Nothing here depends on how a gateway
 * is reached: each transport (one folder under src/gateway/, listed in transports.ts)
 * implements `Gateway` and translates its own wire format to these types.
 */
import type { EventEmitter } from 'node:events';

export const DEVICE_TYPES = ['window', 'blind', 'shutter', 'awning', 'sensor', 'departure_switch'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
export const COVER_TYPES = ['window', 'blind', 'shutter', 'awning'] as const;
export type CoverType = (typeof COVER_TYPES)[number];
export const MEASURES = ['temperature', 'humidity', 'co2', 'lux'] as const;
export type Measure = (typeof MEASURES)[number];
export type Motion = 'opening' | 'closing' | 'stopped';

export function isCoverType(type: DeviceType): type is CoverType {
  return (COVER_TYPES as readonly string[]).includes(type);
}

export interface DeviceFeatures {
  /** A window with its own rain sensor (it reports `rain` and closes itself in rain). */
  rainSensor?: boolean;
  battery?: boolean;
  measures?: Measure[];
}

export interface DeviceDescriptor {
  id: string;
  type: DeviceType;
  name: string;
  room?: string;
  model?: string;
  serial?: string;
  firmware?: string;
  features: DeviceFeatures;
}

/** Full device state as last reported; a missing field means unknown. */
export interface DeviceState {
  // covers (window, blind, shutter, awning)
  position?: number;
  target?: number;
  motion?: Motion;
  obstructed?: boolean;
  rain?: boolean;
  // sensors
  temperature?: number;
  humidity?: number;
  co2?: number;
  lux?: number;
  // departure switch
  away?: boolean;
  // any device with a battery
  battery?: number;
}

export interface GatewayInfo {
  protocol: number;
  id: string;
  model?: string;
  firmware?: string;
}

export interface Weather {
  temperature?: number;
  windSpeed?: number;
  rain?: boolean;
}

export type CoverCommand = { position: number; force?: boolean } | { stop: true };
export type DepartureCommand = { away: boolean };
export type DeviceCommand = CoverCommand | DepartureCommand;

/**
 * Who can ask for a command. Anything that is not `climate` counts as manual use.
 * A layer that issues commands adds its name here (or, outside src/, by declaration merging:
 * `declare module '…/gateway/types.js' { interface CommandSources { mine: true } }`).
 */
export interface CommandSources {
  homekit: true;
  google: true;
  matter: true;
  ui: true;
  climate: true;
  cli: true;
}
export type CommandSource = keyof CommandSources;

/** Errors a gateway itself answers a command with. */
export const GATEWAY_ERROR_CODES = ['unknown_device', 'invalid', 'unreachable', 'rain', 'busy', 'internal'] as const;
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** Errors the gateway can answer with, plus the ones the bridge decides itself. */
export type CommandErrorCode =
  | GatewayErrorCode
  | 'timeout' // no answer within commandTimeoutMs
  | 'gateway_offline'; // gateway offline or its link down: not sent, or its answer was lost with the connection

export type CommandResult =
  | { ok: true; superseded?: boolean }
  | { ok: false; error: CommandErrorCode; message: string; superseded?: boolean };

export interface GatewayEvents {
  /** The transport's link to the gateway and the gateway's own state combined: true when commands can be sent. */
  online: [online: boolean];
  info: [info: GatewayInfo];
  devices: [devices: DeviceDescriptor[]];
  state: [deviceId: string, state: DeviceState];
  availability: [deviceId: string, online: boolean];
  weather: [weather: Weather];
  /**
   * Data from the gateway that failed validation and changed nothing (already logged by the
   * transport). `where` names its origin in the transport's own terms (for MQTT: the topic).
   */
  invalid: [where: string, reason: string];
}

export interface Gateway extends EventEmitter<GatewayEvents> {
  /**
   * This gateway's key inside the plugin, chosen by its transport from the gateway's config:
   * - stable: the same on every start for the same configured gateway (it is part of every
   *   device key, `<gateway key>/<device id>`, and so of stored climate memory and Google ids);
   * - unique across all configured gateways of all transports (Home.addGateway refuses a
   *   second gateway with the same key; config validation reports it first);
   * - not a display name (renaming a gateway must not change it).
   * MQTT uses the base topic (v0.1 identities depend on it). Every other transport starts its
   * keys with `<type>:` (a base topic cannot contain ":"), so keys of different transports
   * never collide.
   */
  readonly key: string;
  /** Display name from the config. */
  readonly name: string;
  readonly online: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Send one command and resolve with the gateway's answer (never rejects). */
  send(deviceId: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult>;
  /** Ask the gateway to republish a device's state. */
  refresh(deviceId: string): void;
  /**
   * Optional: make the device show itself (e.g. a KLF 200 product winks). HomeKit's Identify
   * calls it; a transport without such a command leaves it out.
   */
  identify?(deviceId: string): Promise<CommandResult>;
}
