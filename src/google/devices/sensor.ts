/**
 * Indoor climate sensors: Google type SENSOR with, for what the sensor measures,
 * SensorState CarbonDioxideLevel (ppm), TemperatureControl (query only, ambient °C) and
 * HumiditySetting (query only, ambient %RH). Lux and battery have no fitting Google state.
 * A sensor that measures none of the three is not shown to Google at all.
 */
import type { HomeDevice } from '../../home/model.js';
import { describeDevice, OFFLINE_STATE, refuse, TRAIT, type GoogleEntity, type QueryState, type States, type SyncDevice } from './types.js';

/** The usual range of indoor climate sensor chips; Google wants a range even when query-only. */
const TEMPERATURE_RANGE = { minThresholdCelsius: -40, maxThresholdCelsius: 85 };

export function sensorEntity(device: HomeDevice): GoogleEntity | undefined {
  const measures = new Set(device.descriptor.features.measures ?? []);
  const co2 = measures.has('co2');
  const temperature = measures.has('temperature');
  const humidity = measures.has('humidity');
  if (!co2 && !temperature && !humidity) return undefined;

  return {
    id: device.key,
    online: () => device.reachable,

    sync(willReportState): SyncDevice {
      const traits: string[] = [];
      const attributes: Record<string, unknown> = {};
      if (co2) {
        traits.push(TRAIT.SensorState);
        attributes['sensorStatesSupported'] = [{ name: 'CarbonDioxideLevel', numericCapabilities: { rawValueUnit: 'PARTS_PER_MILLION' } }];
      }
      if (temperature) {
        traits.push(TRAIT.TemperatureControl);
        attributes['temperatureRange'] = TEMPERATURE_RANGE;
        attributes['temperatureUnitForUX'] = 'C';
        attributes['queryOnlyTemperatureControl'] = true;
      }
      if (humidity) {
        traits.push(TRAIT.HumiditySetting);
        attributes['queryOnlyHumiditySetting'] = true;
      }
      return { id: device.key, type: 'action.devices.types.SENSOR', traits, ...describeDevice(device), willReportState, attributes };
    },

    query(): QueryState {
      if (!device.reachable) return { ...OFFLINE_STATE };
      const s = device.state;
      const states: States = {};
      if (co2 && typeof s.co2 === 'number') {
        states['currentSensorStateData'] = [{ name: 'CarbonDioxideLevel', rawValue: Math.round(s.co2) }];
      }
      if (temperature && typeof s.temperature === 'number') states['temperatureAmbientCelsius'] = Math.round(s.temperature * 10) / 10;
      // Google takes whole percent from 1 to 100.
      if (humidity && typeof s.humidity === 'number') states['humidityAmbientPercent'] = Math.min(100, Math.max(1, Math.round(s.humidity)));
      return { online: true, status: 'SUCCESS', ...states };
    },

    plan: (execution) => refuse('functionNotSupported', `${execution.command}: sensors are read-only`),
  };
}
