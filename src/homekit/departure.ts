/**
 * Departure mode → Switch "Departure mode" (on = away).
 * - On the gateway's departure switch accessory, with its battery: writes go to the switch
 *   through the gateway, and pressing the physical switch shows up in HomeKit.
 * - Without any physical switch, on a virtual accessory whose state the home keeps (and
 *   persists) itself: always available.
 */
import type { Service } from 'homebridge';
import type { HomeDevice } from '../home/model.js';
import { Bindings } from './bindings.js';
import { DeviceHandler, type AccessoryHandler, type HandlerDeps, type VeluxAccessory } from './handler.js';
import { serialFromUuid } from '../home/names.js';
import { ensureService, removeOtherServices, setAccessoryInformation } from './services.js';

export const DEPARTURE_MODE_NAME = 'Departure mode';

function bindDepartureSwitch(deps: HandlerDeps, accessory: VeluxAccessory, bindings: Bindings, describe: () => string, reachable: () => boolean): Service {
  const { Service: S, Characteristic: C } = deps.api.hap;
  const service = ensureService(deps.api, accessory, S.Switch, DEPARTURE_MODE_NAME);
  const on = service.getCharacteristic(C.On);
  bindings.bind(on, () => deps.home.away);
  on.onSet(async (value) => {
    const away = Boolean(value);
    if (!reachable()) {
      deps.log.warn(`${describe()}: cannot turn departure mode ${away ? 'on' : 'off'}: the switch is not reachable`);
      throw bindings.noResponse();
    }
    const result = await deps.home.setAway(away, 'homekit');
    if (!result.ok) {
      deps.log.warn(`${describe()}: could not turn departure mode ${away ? 'on' : 'off'}: ${result.message} (${result.error})`);
      bindings.refresh();
      throw bindings.noResponse();
    }
    bindings.refresh();
  });
  return service;
}

/** The gateway's physical departure switch. */
export class DepartureSwitchHandler extends DeviceHandler {
  protected readonly kindLabel = 'Departure switch';

  protected buildServices(_device: HomeDevice): Service[] {
    return [bindDepartureSwitch(this.deps, this.accessory, this.bindings, () => this.name, () => this.device?.reachable === true)];
  }
}

/** Departure mode kept by the plugin when no gateway has a departure switch. */
export class VirtualDepartureHandler implements AccessoryHandler {
  private readonly bindings: Bindings;

  constructor(
    private readonly deps: HandlerDeps,
    readonly accessory: VeluxAccessory,
  ) {
    this.bindings = new Bindings(deps.api, () => true);
  }

  configure(): void {
    setAccessoryInformation(this.deps.api, this.accessory, DEPARTURE_MODE_NAME, {
      model: 'Virtual departure switch',
      serial: serialFromUuid(this.accessory.UUID),
    });
    this.bindings.clear();
    const service = bindDepartureSwitch(this.deps, this.accessory, this.bindings, () => DEPARTURE_MODE_NAME, () => true);
    removeOtherServices(this.deps.api, this.accessory, [service]);
    this.update();
  }

  update(): void {
    this.bindings.refresh();
  }

  dispose(): void {
    this.bindings.clear();
  }
}
