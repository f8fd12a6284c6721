/**
 * The KLF 200's position records turned into the plugin's device state (src/gateway/klf200/state.ts).
 * Raw positions: 0 is fully open, 0xC800 fully closed; OperatingState 4 is "executing", 5 "done".
 */
import { describe, expect, it } from 'vitest';
import { NODE_STATE_EXECUTING, positionState } from '../../src/gateway/klf200/state.js';

const DONE = 5;
const NO_TARGET = 0xf7ff; // outside the position range: "no target known"

describe('positionState', () => {
  it('keeps a product moving while its motor runs the last fraction of a percent', () => {
    // 0xC7E6 rounds to 0 % open, like the target 0xC800, but the shutter has not arrived.
    const state = positionState({ position: 3, motion: 'closing' }, { current: 0xc7e6, target: 0xc800, state: NODE_STATE_EXECUTING });
    expect(state).toMatchObject({ position: 0, target: 0, motion: 'closing' });
    const arrived = positionState(state, { current: 0xc800, target: 0xc800, state: NODE_STATE_EXECUTING });
    expect(arrived).toMatchObject({ position: 0, motion: 'stopped' });
  });

  it('tells opening from closing by the raw direction', () => {
    expect(positionState({}, { current: 0x6400, target: 0, state: NODE_STATE_EXECUTING }).motion).toBe('opening');
    expect(positionState({}, { current: 0x6400, target: 0xc800, state: NODE_STATE_EXECUTING }).motion).toBe('closing');
    expect(positionState({}, { current: 0x19, target: 0, state: NODE_STATE_EXECUTING })).toMatchObject({ position: 100, motion: 'opening' });
  });

  it('is stopped once the product is done, with the target where it stopped', () => {
    const state = positionState({ position: 40, target: 10, motion: 'opening' }, { current: 0x6400, target: 0x1400, state: DONE });
    expect(state).toMatchObject({ position: 50, target: 50, motion: 'stopped' });
  });

  it('falls back to the percents known so far when the record carries no target', () => {
    const state = positionState({ position: 60, target: 30, motion: 'closing' }, { current: 0x6400, target: NO_TARGET, state: NODE_STATE_EXECUTING });
    expect(state).toMatchObject({ position: 50, target: 30, motion: 'closing' });
    const reached = positionState({ position: 60, target: 50 }, { current: 0x6400, target: NO_TARGET, state: NODE_STATE_EXECUTING });
    expect(reached.motion).toBe('stopped');
  });
});
