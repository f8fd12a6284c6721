/**
 * Windows and coverings in HomeKit. A roof window becomes a Window; a blind, roller shutter or
 * awning a WindowCovering. Both have CurrentPosition, TargetPosition, PositionState,
 * HoldPosition (stop), ObstructionDetected, and Battery where the device has one.
 * Percentages mean the same on both sides (100 = fully open / most light), so no conversion.
 * A window's rain sensor is published on the home-wide "Rain" accessory (rain.ts).
 */
import type { Service } from 'homebridge';
import type { CoverType, DeviceState } from '../gateway/types.js';
import type { HomeDevice } from '../home/model.js';
import { clamp, DeviceHandler, type HandlerDeps, type VeluxAccessory } from './handler.js';
import type { HomeKitKind } from './kinds.js';
import type { ServiceType } from './services.js';
import { ensureService } from './services.js';

/** The HomeKit service (it decides the accessory category) and fallback name of each cover kind. */
const COVERS: Record<CoverType, { service: 'Window' | 'WindowCovering'; label: string }> = {
  window: { service: 'Window', label: 'Window' },
  blind: { service: 'WindowCovering', label: 'Blind' },
  shutter: { service: 'WindowCovering', label: 'Roller shutter' },
  awning: { service: 'WindowCovering', label: 'Awning' },
};

/** A cover kind's entry in the HomeKit kinds table (kinds.ts). */
export function coverKind(type: CoverType): HomeKitKind {
  const cover = COVERS[type];
  // A window's rain and reachability feed the home-wide Rain accessory.
  const rain = type === 'window' ? (['rain'] as const) : [];
  return {
    category: (hap) => (cover.service === 'Window' ? hap.Categories.WINDOW : hap.Categories.WINDOW_COVERING),
    create: (deps, accessory, deviceKey) => new CoverHandler(deps, accessory, deviceKey, deps.api.hap.Service[cover.service], cover.label),
    updatesOnState: rain,
    updatesOnReachability: rain,
  };
}

export type PositionStateName = 'increasing' | 'decreasing' | 'stopped';

/**
 * Direction of travel as HomeKit shows it. A target just written from HomeKit wins over the
 * reported motion until the gateway's state catches up, so the Home app says "Opening…" at
 * once instead of after the first state message.
 */
export function positionStateOf(state: DeviceState, pendingTarget?: number): PositionStateName | undefined {
  if (pendingTarget !== undefined && state.position !== undefined) {
    if (pendingTarget > state.position) return 'increasing';
    if (pendingTarget < state.position) return 'decreasing';
    return 'stopped';
  }
  if (state.motion === 'opening') return 'increasing';
  if (state.motion === 'closing') return 'decreasing';
  if (state.motion === 'stopped' || state.position !== undefined) return 'stopped';
  return undefined;
}

/**
 * A write from HomeKit the gateway's state has not confirmed yet: a new target, or a stop
 * (HoldPosition). Cleared by the first state that reflects it, or by any state after the
 * gateway accepted the command.
 */
type Pending = { kind: 'move'; target: number; accepted: boolean } | { kind: 'stop'; accepted: boolean };

export class CoverHandler extends DeviceHandler {
  private pending?: Pending;

  constructor(
    deps: HandlerDeps,
    accessory: VeluxAccessory,
    deviceKey: string,
    private readonly serviceType: ServiceType,
    protected readonly kindLabel: string,
  ) {
    super(deps, accessory, deviceKey);
    // HomeKit's Identify (Home app: accessory settings → Identify): the product shows itself if its gateway can.
    accessory.on('identify', () => {
      void deps.home.identify(deviceKey).then((result) => {
        if (!result.ok && result.error !== 'invalid') deps.log.warn(`${this.name}: identify failed: ${result.message}`);
      });
    });
  }

  protected buildServices(_device: HomeDevice, name: string): Service[] {
    const { Characteristic: C } = this.deps.api.hap;
    const service = ensureService(this.deps.api, this.accessory, this.serviceType, name);
    const state = () => this.device?.state ?? {};
    this.bindings.bind(service.getCharacteristic(C.CurrentPosition), () => percent(state().position));
    this.bindings.bind(service.getCharacteristic(C.TargetPosition), () => percent(this.targetPosition(state())));
    this.bindings.bind(service.getCharacteristic(C.PositionState), () => {
      const ps = this.pending?.kind === 'stop' ? 'stopped' : positionStateOf(state(), this.pending?.target);
      if (ps === undefined) return undefined;
      return { increasing: C.PositionState.INCREASING, decreasing: C.PositionState.DECREASING, stopped: C.PositionState.STOPPED }[ps];
    });
    this.bindings.bind(service.getCharacteristic(C.ObstructionDetected), () => state().obstructed === true);
    service.getCharacteristic(C.TargetPosition).onSet((value) => this.moveTo(Number(value)));
    service.getCharacteristic(C.HoldPosition).onSet((value) => (value ? this.hold() : undefined));
    return [service];
  }

  override stateChanged(): void {
    const pending = this.pending;
    if (pending && (pending.accepted || this.confirms(pending))) this.pending = undefined;
    this.update();
  }

  private targetPosition(state: DeviceState): number | undefined {
    if (this.pending?.kind === 'move') return this.pending.target;
    if (this.pending?.kind === 'stop') return state.position;
    return state.target ?? state.position;
  }

  /** Whether the device's state already shows the pending write. */
  private confirms(pending: Pending): boolean {
    const state = this.device?.state ?? {};
    return pending.kind === 'move' ? state.target === pending.target : state.motion === 'stopped';
  }

  private async moveTo(value: number): Promise<void> {
    const target = Math.round(value);
    await this.command({ kind: 'move', target, accepted: false }, { position: target }, `move to ${target} %`);
  }

  /** HoldPosition: stop where it is now. */
  private async hold(): Promise<void> {
    await this.command({ kind: 'stop', accepted: false }, { stop: true }, 'stop');
  }

  private async command(pending: Pending, command: { position: number } | { stop: true }, what: string): Promise<void> {
    if (!this.device?.reachable) return this.send(command, what); // throws "No Response"
    this.pending = pending;
    this.update();
    try {
      await this.send(command, what);
      if (this.pending === pending) {
        pending.accepted = true;
        if (this.confirms(pending)) {
          this.pending = undefined;
          this.update();
        }
      }
    } catch (error) {
      // Only the newest write decides what HomeKit shows; an older one's failure is still reported to its caller.
      if (this.pending === pending) {
        this.pending = undefined;
        this.update();
      }
      throw error;
    }
  }
}

function percent(value: number | undefined): number | undefined {
  return value === undefined ? undefined : clamp(Math.round(value), 0, 100);
}
