/**
 * Per room with automatic climate control: a Switch "<room> climate control" (on = the
 * automation may move this room's windows and covers) and a sensor "<room> ventilation
 * blocked" that trips while the controller wants to ventilate but a guard (rain, wind,
 * departure mode, …) stops it.
 *
 * The sensor is an OccupancySensor: the Home app offers notifications and automations for it
 * like for a contact sensor, but shows "Detected" instead of "Open" (a ContactSensor would be
 * counted among open doors and windows in the Home summary), and it has none of the
 * critical-alert styling of leak, smoke or carbon-monoxide sensors.
 */
import { Bindings } from './bindings.js';
import type { AccessoryHandler, HandlerDeps, VeluxAccessory } from './handler.js';
import { sanitizeName, serialFromUuid } from '../home/names.js';
import { ensureService, removeOtherServices, setAccessoryInformation } from './services.js';

export class RoomClimateHandler implements AccessoryHandler {
  private readonly bindings: Bindings;

  constructor(
    private readonly deps: HandlerDeps,
    readonly accessory: VeluxAccessory,
    readonly room: string,
  ) {
    // The status lives in the plugin itself: always available.
    this.bindings = new Bindings(deps.api, () => true);
  }

  configure(): void {
    const { api, home, log } = this.deps;
    const { Service: S, Characteristic: C } = api.hap;
    const room = this.room;
    setAccessoryInformation(api, this.accessory, sanitizeName(`${room} climate`, 'Room climate'), {
      model: 'Room climate control',
      serial: serialFromUuid(this.accessory.UUID),
    });
    this.bindings.clear();

    const control = ensureService(api, this.accessory, S.Switch, sanitizeName(`${room} climate control`, 'Climate control'));
    const on = control.getCharacteristic(C.On);
    this.bindings.bind(on, () => home.roomClimate(room).enabled);
    on.onSet((value) => {
      home.setRoomClimateEnabled(room, Boolean(value), 'homekit');
      log.debug(`${room}: climate control switched ${value ? 'on' : 'off'} from HomeKit`);
    });

    const blocked = ensureService(api, this.accessory, S.OccupancySensor, sanitizeName(`${room} ventilation blocked`, 'Ventilation blocked'));
    this.bindings.bind(blocked.getCharacteristic(C.OccupancyDetected), () =>
      home.roomClimate(room).blocked ? C.OccupancyDetected.OCCUPANCY_DETECTED : C.OccupancyDetected.OCCUPANCY_NOT_DETECTED,
    );

    removeOtherServices(api, this.accessory, [control, blocked]);
    this.update();
  }

  update(): void {
    this.bindings.refresh();
  }

  dispose(): void {
    this.bindings.clear();
  }
}
