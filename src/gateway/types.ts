/**
 * The gateway contract as the rest of the plugin sees it: devices, their state and
 * reachability, and commands with a definite answer. The MQTT transport is one
 * implementation (docs/gateway-protocol.md); others can be added behind the same interface.
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
  rain_sensor?: boolean;
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

/** Who asked for a command. Anything that is not `climate` counts as manual use. */
export type CommandSource = 'homekit' | 'google' | 'climate' | 'cli' | 'demo' | 'test';

/** Errors the gateway can answer with, plus the ones the bridge decides itself. */
export type CommandErrorCode =
  | 'unknown_device'
  | 'invalid'
  | 'unreachable'
  | 'rain'
  | 'busy'
  | 'internal'
  | 'timeout' // no answer within commandTimeoutMs
  | 'gateway_offline'; // bridge/state offline or MQTT down: not sent, or its answer was lost with the connection

export type CommandResult =
  | { ok: true; superseded?: boolean }
  | { ok: false; error: CommandErrorCode; message: string; superseded?: boolean };

export interface GatewayEvents {
  /** Transport-level link (MQTT connected) combined with bridge/state: true when commands can be sent. */
  online: [online: boolean];
  info: [info: GatewayInfo];
  devices: [devices: DeviceDescriptor[]];
  state: [deviceId: string, state: DeviceState];
  availability: [deviceId: string, online: boolean];
  weather: [weather: Weather];
  /** A payload that failed validation (already logged once per topic by the transport). */
  invalid: [topic: string, reason: string];
}

export interface Gateway extends EventEmitter<GatewayEvents> {
  /** Stable key of this gateway inside the plugin (the MQTT base topic). */
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
}
