/**
 * "Rain": one home-wide sensor, detected while the gateway's weather reports rain or any
 * window's rain sensor does. An OccupancySensor, for the same reason as "ventilation blocked"
 * (room-climate.ts): users can automate on it and opt into plain notifications, without the
 * alarm styling of a leak sensor or the "Open" wording of a contact sensor.
 */
import type { Home, HomeDevice } from '../home/model.js';
import { Bindings } from './bindings.js';
import type { AccessoryHandler, HandlerDeps, VeluxAccessory } from './handler.js';
import { serialFromUuid } from '../home/names.js';
import { ensureService, removeOtherServices, setAccessoryInformation } from './services.js';

export const RAIN_NAME = 'Rain';

/** Windows that report rain from their own sensor. */
export function rainSensingWindows(home: Home): HomeDevice[] {
  return home.devices().filter((d) => d.descriptor.type === 'window' && d.descriptor.features.rainSensor === true);
}

/** Whether the home has any source of rain information (so the accessory is worth publishing). */
export function hasRainSource(home: Home): boolean {
  return home.weather?.rain !== undefined || rainSensingWindows(home).length > 0;
}

/**
 * Rain now, or undefined while no source is live (weather only counts while a gateway is
 * online; a window only while it is reachable).
 */
export function rainNow(home: Home): boolean | undefined {
  const weatherRain = home.weather?.rain;
  const weatherLive = weatherRain !== undefined && home.gatewayKeys.some((key) => home.gatewayOnline(key));
  const windows = rainSensingWindows(home).filter((d) => d.reachable && d.state.rain !== undefined);
  if (!weatherLive && windows.length === 0) return undefined;
  return (weatherLive && weatherRain === true) || windows.some((d) => d.state.rain === true);
}

export class RainHandler implements AccessoryHandler {
  private readonly bindings: Bindings;

  constructor(
    private readonly deps: HandlerDeps,
    readonly accessory: VeluxAccessory,
  ) {
    this.bindings = new Bindings(deps.api, () => rainNow(deps.home) !== undefined);
  }

  configure(): void {
    const { api, home } = this.deps;
    const { Service: S, Characteristic: C } = api.hap;
    setAccessoryInformation(api, this.accessory, RAIN_NAME, { model: 'Rain sensor', serial: serialFromUuid(this.accessory.UUID) });
    this.bindings.clear();
    const service = ensureService(api, this.accessory, S.OccupancySensor, RAIN_NAME);
    this.bindings.bind(service.getCharacteristic(C.OccupancyDetected), () => {
      const rain = rainNow(home);
      if (rain === undefined) return undefined;
      return rain ? C.OccupancyDetected.OCCUPANCY_DETECTED : C.OccupancyDetected.OCCUPANCY_NOT_DETECTED;
    });
    removeOtherServices(api, this.accessory, [service]);
    this.update();
  }

  update(): void {
    this.bindings.refresh();
  }

  dispose(): void {
    this.bindings.clear();
  }
}
