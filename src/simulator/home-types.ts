/** The simulated home's options, weather, script steps and events (home.ts). */
import type { GatewayErrorCode, DeviceState } from '../gateway/types.js';
import type { SimClock } from './clock.js';
import type { SimHome } from './home.js';
import type { HomeLayout } from './layout.js';

/** Outdoor conditions; `sunLux` drives heat gain and indoor light but is not reported as weather. */
export interface SimWeather {
  temperature: number;
  windSpeed: number;
  rain: boolean;
  sunLux: number;
}

export interface SimHomeOptions {
  /** Simulated seconds per real second. Default 1; 10 = ten times faster. Ignored when `clock` is given. */
  timeScale?: number;
  /** Default: `defaultLayout()`. */
  layout?: HomeLayout;
  /** Simulated milliseconds between state reports of a moving cover. Default 250. */
  tickMs?: number;
  /** Simulated milliseconds between routine sensor reports. Default 30 000. */
  sensorIntervalMs?: number;
  /** Seed for sensor noise. Default 1. */
  seed?: number;
  /** Replace the scaled real-time clock, e.g. with a ManualClock in tests. */
  clock?: SimClock;
  /** Outdoor conditions at start. */
  weather?: Partial<SimWeather>;
}

/** One scripted moment, `at` simulated milliseconds after `runScript` was called. */
export interface ScriptStep<H = SimHome> {
  at: number;
  weather?: Partial<SimWeather>;
  occupancy?: Record<string, number>;
  shower?: string;
  pressDepartureSwitch?: boolean;
  reachable?: Record<string, boolean>;
  run?: (home: H) => void;
}

/** What the home reports; an adapter passes these on in its protocol's terms. */
export interface SimHomeEvents {
  /** A device reports its state (only while it is in radio reach; repeats are left out unless forced). */
  state: [deviceId: string, state: DeviceState];
  /** A device came into or went out of radio reach. */
  availability: [deviceId: string, reachable: boolean];
  /** The device list changed (`added` or `removed` names the device). */
  devices: [change: { added?: string; removed?: string }];
  /** The outdoor weather changed. */
  weather: [weather: SimWeather];
}

export type CommandOutcome = { ok: true } | { ok: false; error: GatewayErrorCode; message: string };
