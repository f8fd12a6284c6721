/**
 * Roof window → HomeKit Window: CurrentPosition, TargetPosition, PositionState,
 * HoldPosition (stop), ObstructionDetected, and Battery where the window has one.
 * A window's rain sensor is published on the home-wide "Rain" accessory (rain.ts).
 */
import { CoverHandler } from './cover.js';
import type { HandlerDeps, VeluxAccessory } from './handler.js';

export function createWindowHandler(deps: HandlerDeps, accessory: VeluxAccessory, deviceKey: string): CoverHandler {
  return new CoverHandler(deps, accessory, deviceKey, deps.api.hap.Service.Window, 'Window');
}
