/**
 * Blind, roller shutter and awning → HomeKit WindowCovering, with the same characteristics as
 * a window. 100 % is fully retracted (most light) on both sides.
 */
import type { CoverType } from '../gateway/types.js';
import { CoverHandler } from './cover.js';
import type { HandlerDeps, VeluxAccessory } from './handler.js';

const LABELS: Record<Exclude<CoverType, 'window'>, string> = { blind: 'Blind', shutter: 'Roller shutter', awning: 'Awning' };

export function createCoveringHandler(
  deps: HandlerDeps,
  accessory: VeluxAccessory,
  deviceKey: string,
  type: Exclude<CoverType, 'window'>,
): CoverHandler {
  return new CoverHandler(deps, accessory, deviceKey, deps.api.hap.Service.WindowCovering, LABELS[type]);
}
