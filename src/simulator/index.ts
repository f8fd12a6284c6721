/**
 * The simulated VELUX home for demos, end-to-end tests and benchmarks: transport-neutral
 * physics (home.ts) behind a protocol adapter (mqtt/gateway.ts: our MQTT gateway contract).
 */
export { SimHome, type CommandOutcome, type ScriptStep, type SimHomeEvents, type SimHomeOptions, type SimWeather } from './home.js';
export {
  SimulatedHome,
  type AnswerMode,
  type ReceivedCommand,
  type SimulatedHomeEvents,
  type SimulatedHomeOptions,
  type StopOptions,
} from './mqtt/gateway.js';
export { defaultLayout, generateLayout, validateLayout, DEVICE_ID_PATTERN, type HomeLayout } from './layout.js';
export { ManualClock, ScaledClock, type SimClock, type CancelTimer } from './clock.js';
export { FULL_TRAVEL_MS } from './motor.js';
