/** The simulated VELUX home: a gateway over MQTT for demos, end-to-end tests and benchmarks. */
export {
  SimulatedHome,
  type AnswerMode,
  type ReceivedCommand,
  type ScriptStep,
  type SimWeather,
  type SimulatedHomeEvents,
  type SimulatedHomeOptions,
  type StopOptions,
} from './sim-home.js';
export { defaultLayout, generateLayout, validateLayout, DEVICE_ID_PATTERN, type HomeLayout } from './layout.js';
export { ManualClock, ScaledClock, type SimClock, type CancelTimer } from './clock.js';
export type { GatewayErrorCode, GatewayResponse } from './commands.js';
export { FULL_TRAVEL_MS } from './motor.js';
