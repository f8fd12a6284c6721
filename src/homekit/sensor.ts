/**
 * Indoor climate sensor → TemperatureSensor, HumiditySensor, CarbonDioxideSensor and, where
 * the sensor measures light, LightSensor; Battery where it has one. Only what the descriptor
 * says the sensor measures is published.
 */
import type { Service } from 'homebridge';
import type { Measure } from '../gateway/types.js';
import type { HomeDevice } from '../home/model.js';
import { clamp, DeviceHandler, type HandlerDeps, type VeluxAccessory } from './handler.js';
import { sanitizeName } from '../home/names.js';
import { PeakWindow } from './peak-window.js';
import { ensureService } from './services.js';
import { EveRoomHistory, ensureEveHistoryService } from './eve-history.js';
import { BUCKET_MS } from '../history/sensor-history.js';

/** CO2 level (ppm) at which CarbonDioxideDetected trips when the room has no setting of its own. */
export const DEFAULT_CO2_LIMIT = 1150;
/** Sensors whose descriptor lists no measures are taken to report these. */
const DEFAULT_MEASURES: readonly Measure[] = ['temperature', 'humidity', 'co2'];
/** HomeKit's TemperatureSensor range, widened below zero for unheated attics and outdoor-facing rooms. */
export const TEMPERATURE_RANGE = { minValue: -50, maxValue: 100 } as const;
const LUX_RANGE = { min: 0.0001, max: 100_000 } as const;
const CO2_RANGE = { min: 0, max: 100_000 } as const;

export type Co2Limit = (room: string) => number;

export class SensorHandler extends DeviceHandler {
  protected readonly kindLabel = 'Sensor';
  private readonly co2Peak = new PeakWindow();
  private eve?: EveRoomHistory;

  constructor(
    deps: HandlerDeps,
    accessory: VeluxAccessory,
    deviceKey: string,
    private readonly co2Limit: Co2Limit = () => DEFAULT_CO2_LIMIT,
  ) {
    super(deps, accessory, deviceKey);
  }

  protected buildServices(device: HomeDevice, name: string): Service[] {
    const { api } = this.deps;
    const { Service: S, Characteristic: C } = api.hap;
    const measures = device.descriptor.features.measures ?? DEFAULT_MEASURES;
    const state = () => this.device?.state ?? {};
    const services: Service[] = [];
    this.recordCo2();

    if (measures.includes('temperature')) {
      const service = ensureService(api, this.accessory, S.TemperatureSensor, sanitizeName(`${name} temperature`));
      const characteristic = service.getCharacteristic(C.CurrentTemperature).setProps(TEMPERATURE_RANGE);
      this.bindings.bind(characteristic, () => roundTo(state().temperature, 0.1, TEMPERATURE_RANGE.minValue, TEMPERATURE_RANGE.maxValue));
      services.push(service);
    }
    if (measures.includes('humidity')) {
      const service = ensureService(api, this.accessory, S.HumiditySensor, sanitizeName(`${name} humidity`));
      this.bindings.bind(service.getCharacteristic(C.CurrentRelativeHumidity), () => roundTo(state().humidity, 1, 0, 100));
      services.push(service);
    }
    if (measures.includes('co2')) {
      const service = ensureService(api, this.accessory, S.CarbonDioxideSensor, sanitizeName(`${name} CO2`));
      this.bindings.bind(service.getCharacteristic(C.CarbonDioxideDetected), () => {
        const co2 = state().co2;
        if (co2 === undefined) return undefined;
        return co2 >= this.limit() ? C.CarbonDioxideDetected.CO2_LEVELS_ABNORMAL : C.CarbonDioxideDetected.CO2_LEVELS_NORMAL;
      });
      this.bindings.bind(service.getCharacteristic(C.CarbonDioxideLevel), () => roundTo(state().co2, 1, CO2_RANGE.min, CO2_RANGE.max));
      this.bindings.bind(service.getCharacteristic(C.CarbonDioxidePeakLevel), () =>
        roundTo(this.co2Peak.peak(this.deps.home.now()) ?? state().co2, 1, CO2_RANGE.min, CO2_RANGE.max),
      );
      services.push(service);
    }
    if (measures.includes('lux')) {
      const service = ensureService(api, this.accessory, S.LightSensor, sanitizeName(`${name} light`));
      this.bindings.bind(service.getCharacteristic(C.CurrentAmbientLightLevel), () => {
        const lux = state().lux;
        return lux === undefined ? undefined : clamp(lux, LUX_RANGE.min, LUX_RANGE.max);
      });
      services.push(service);
    }
    const history = this.deps.sensorHistory;
    if (history?.enabled && measures.some((m) => m === 'temperature' || m === 'humidity' || m === 'co2')) {
      // Closed buckets only: an entry, once read by the app, never changes.
      this.eve ??= new EveRoomHistory(() => history.series(this.deviceKey, 0, Math.floor(this.deps.home.now() / BUCKET_MS) * BUCKET_MS - 1));
      services.push(ensureEveHistoryService(api, this.accessory, this.eve));
    }
    return services;
  }

  override stateChanged(): void {
    this.recordCo2();
    super.stateChanged();
  }

  private limit(): number {
    const room = this.device?.descriptor.room?.trim() ?? '';
    const limit = this.co2Limit(room);
    return Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_CO2_LIMIT;
  }

  private recordCo2(): void {
    const device = this.device;
    const co2 = device?.state.co2;
    if (device && co2 !== undefined) this.co2Peak.add(device.stateUpdatedAt ?? this.deps.home.now(), co2);
  }
}

/** Rounds to `step` and clamps into HomeKit's range; undefined stays unknown. */
function roundTo(value: number | undefined, step: number, min: number, max: number): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const rounded = Math.round(value / step) * step;
  return clamp(Number(rounded.toFixed(step < 1 ? 1 : 0)), min, max);
}
