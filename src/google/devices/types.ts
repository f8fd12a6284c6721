/**
 * What every Google device kind provides: its SYNC description, its QUERY state and, for an
 * EXECUTE, a plan (what to do in the home, or why not) decided without any I/O. The
 * fulfillment runs the plans; Report State reuses the QUERY states.
 */
import type { DeviceCommand } from '../../gateway/types.js';
import type { HomeDevice, Room, RoomClimateStatus } from '../../home/model.js';

export const TRAIT = {
  OpenClose: 'action.devices.traits.OpenClose',
  StartStop: 'action.devices.traits.StartStop',
  OnOff: 'action.devices.traits.OnOff',
  SensorState: 'action.devices.traits.SensorState',
  TemperatureControl: 'action.devices.traits.TemperatureControl',
  HumiditySetting: 'action.devices.traits.HumiditySetting',
} as const;

export const COMMAND = {
  OpenClose: 'action.devices.commands.OpenClose',
  OpenCloseRelative: 'action.devices.commands.OpenCloseRelative',
  StartStop: 'action.devices.commands.StartStop',
  OnOff: 'action.devices.commands.OnOff',
} as const;

/** Trait states as Google names them (`openPercent`, `on`, ...), plus `online`. */
export type States = Record<string, unknown>;

export interface SyncDevice {
  id: string;
  type: string;
  traits: string[];
  name: { name: string; defaultNames?: string[]; nicknames?: string[] };
  willReportState: boolean;
  roomHint?: string;
  deviceInfo?: { manufacturer?: string; model?: string; hwVersion?: string; swVersion?: string };
  attributes?: Record<string, unknown>;
}

export type QueryStatus = 'SUCCESS' | 'OFFLINE' | 'ERROR';

export interface QueryState extends States {
  online: boolean;
  status: QueryStatus;
  errorCode?: string;
}

export interface Execution {
  command: string;
  params?: Record<string, unknown>;
}

/** Something to do in the home, with the states Google is told on success. */
export type Action =
  | { kind: 'device'; key: string; command: DeviceCommand; states: States }
  | { kind: 'away'; away: boolean; states: States }
  | { kind: 'roomClimate'; room: string; enabled: boolean; states: States };

/**
 * Why an action needs secondary verification (see verification.ts). Switching a room's
 * climate control on lets the plugin open its windows (CO2, humidity, air recycling).
 */
export type Sensitivity = 'opensWindow' | 'endsDepartureMode' | 'enablesClimateControl';

export type Plan =
  | { ok: true; action: Action; sensitive?: Sensitivity }
  | { ok: false; errorCode: string; status?: 'ERROR' | 'OFFLINE'; detail?: string };

export interface GoogleEntity {
  readonly id: string;
  /** False when Google should call it unreachable (QUERY `online:false`, EXECUTE `OFFLINE`). */
  online(): boolean;
  sync(willReportState: boolean): SyncDevice;
  query(): QueryState;
  plan(execution: Execution): Plan;
}

/** What the mapping reads from the home; `Home` satisfies it, tests can fake it. */
export interface HomeView {
  devices(): HomeDevice[];
  device(key: string): HomeDevice | undefined;
  rooms(): Room[];
  readonly away: boolean;
  roomClimate(room: string): RoomClimateStatus;
  departureSwitches(): HomeDevice[];
}

export const OFFLINE_STATE: QueryState = { online: false, status: 'OFFLINE', errorCode: 'deviceOffline' };

export function refuse(errorCode: string, detail?: string): Plan {
  return { ok: false, errorCode, detail };
}

/** A number parameter within bounds, or the Google error code to answer with. */
export function numberParam(execution: Execution, key: string, min: number, max: number): number | { errorCode: string } {
  const value = execution.params?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return { errorCode: 'valueOutOfRange' };
  if (value < min || value > max) return { errorCode: 'valueOutOfRange' };
  return value;
}

/** Names and device info for devices the gateway describes. */
export function describeDevice(device: HomeDevice): Pick<SyncDevice, 'name' | 'roomHint' | 'deviceInfo'> {
  const d = device.descriptor;
  const info: NonNullable<SyncDevice['deviceInfo']> = {};
  if (d.model) info.model = d.model;
  if (d.firmware) info.swVersion = d.firmware;
  const room = d.room?.trim();
  return {
    name: { name: d.name, ...(d.model ? { defaultNames: [d.model] } : {}) },
    ...(room ? { roomHint: room } : {}),
    ...(Object.keys(info).length > 0 ? { deviceInfo: info } : {}),
  };
}
