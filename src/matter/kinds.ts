/**
 * One entry per device kind: what a home device becomes on Matter, which commands it takes and
 * which attributes follow its state. Reads the home model only; every command goes through the
 * home's one command path with source `matter`.
 */
import type { MatterAPI } from 'homebridge';
import type { CoverType, DeviceType } from '../gateway/types.js';
import type { Home, HomeDevice } from '../home/model.js';
import type { Logger } from '../logger.js';
import {
  airQualityFromCo2,
  batteryState,
  humidity100ths,
  lift100thsToOpenPercent,
  temperature100ths,
  windowCoveringState,
} from './convert.js';

/** One attribute update: cluster name, attributes, and the part (child endpoint) if not the main one. */
export interface ClusterUpdate {
  cluster: string;
  attributes: Record<string, unknown>;
  partId?: string;
}

/** A Matter device type (a matter.js endpoint type, as Homebridge's `api.matter.deviceTypes` hands them out). */
export type MatterDeviceType = Parameters<MatterAPI['registerPlatformAccessories']>[2][number]['deviceType'];

/** What a kind contributes to a Matter accessory, besides identity. */
export interface MatterShape {
  deviceType: MatterDeviceType;
  clusters: Record<string, Record<string, unknown>>;
  handlers?: Record<string, Record<string, (args?: unknown) => Promise<void>>>;
  parts?: Array<{
    id: string;
    displayName: string;
    deviceType: MatterDeviceType;
    clusters: Record<string, Record<string, unknown>>;
  }>;
}

export interface KindContext {
  matter: MatterAPI;
  home: Home;
  log: Logger;
}

export interface MatterKind {
  /** Model string shown by controllers. */
  readonly model: string;
  shape(ctx: KindContext, device: HomeDevice): MatterShape;
  /** Attribute updates that show the device's current state. */
  state(device: HomeDevice): ClusterUpdate[];
}

/** A failed home command, thrown from a handler: Homebridge answers the controller FAILURE. */
export class MatterCommandError extends Error {}

// ---- covers ------------------------------------------------------------------------------

/** Matter WindowCovering.Type per cover kind (spec 5.3.5.2); a roof window has no own value. */
const COVER_TYPE: Record<CoverType, { type: number; endProductType: number; model: string }> = {
  window: { type: 255, endProductType: 255, model: 'Roof window' },
  blind: { type: 0, endProductType: 0, model: 'Blind' },
  shutter: { type: 6, endProductType: 17, model: 'Roller shutter' },
  awning: { type: 5, endProductType: 19, model: 'Awning' },
};

function coverKind(type: CoverType): MatterKind {
  const info = COVER_TYPE[type];
  return {
    model: info.model,
    shape(ctx, device) {
      const move = (position: number) => sendCover(ctx, device.key, position);
      return {
        deviceType: ctx.matter.deviceTypes.WindowCovering,
        clusters: {
          windowCovering: {
            type: info.type,
            endProductType: info.endProductType,
            // Lift + PositionAwareLift: Homebridge derives the features from these attributes.
            configStatus: { operational: true, onlineReserved: true, liftPositionAware: true, liftMovementReversed: false },
            ...windowCoveringState(device.state),
          },
          ...batteryClusters(device),
        },
        handlers: {
          windowCovering: {
            goToLiftPercentage: async (args) => {
              const value = (args as { liftPercent100thsValue?: unknown } | undefined)?.liftPercent100thsValue;
              if (typeof value !== 'number' || !Number.isFinite(value)) throw new MatterCommandError('liftPercent100thsValue is missing');
              await move(lift100thsToOpenPercent(value));
            },
            upOrOpen: () => move(100),
            downOrClose: () => move(0),
            stopMotion: async () => {
              const result = await ctx.home.command(device.key, { stop: true }, 'matter');
              if (!result.ok) throw new MatterCommandError(`${result.message} (${result.error})`);
            },
          },
        },
      };
    },
    state(device) {
      return [{ cluster: 'windowCovering', attributes: windowCoveringState(device.state) }, ...batteryUpdates(device)];
    },
  };
}

/**
 * Opening a roof window over Matter is refused while departure mode is on: nobody should be
 * home, and Matter has no way to ask for a PIN or a confirmation (docs/security.md).
 */
async function sendCover(ctx: KindContext, key: string, position: number): Promise<void> {
  const device = ctx.home.device(key);
  if (!device) throw new MatterCommandError('the device is gone');
  const name = device.descriptor.name;
  const opening = position > (device.state.position ?? 0);
  if (device.descriptor.type === 'window' && opening && ctx.home.away) {
    ctx.log.warn(`Matter: refused to open ${name} while departure mode is on`);
    throw new MatterCommandError('departure mode is on: windows are not opened over Matter');
  }
  const result = await ctx.home.command(key, { position }, 'matter');
  if (!result.ok) {
    ctx.log.warn(`Matter: could not move ${name} to ${position} % open: ${result.message} (${result.error})`);
    throw new MatterCommandError(`${result.message} (${result.error})`);
  }
}

// ---- battery (any device that reports one) ------------------------------------------------

function hasBattery(device: HomeDevice): boolean {
  return device.descriptor.features.battery === true;
}

function batteryClusters(device: HomeDevice): Record<string, Record<string, unknown>> {
  if (!hasBattery(device)) return {};
  return {
    powerSource: {
      status: 1, // Active
      order: 0,
      description: 'Battery',
      batReplaceability: 0, // Unspecified
      ...batteryState(device.state.battery),
    },
  };
}

function batteryUpdates(device: HomeDevice): ClusterUpdate[] {
  return hasBattery(device) ? [{ cluster: 'powerSource', attributes: batteryState(device.state.battery) }] : [];
}

/** The device type with the PowerSource server (Battery feature) when the device has a battery. */
export function withBattery(matter: MatterAPI, device: HomeDevice, deviceType: MatterDeviceType): MatterDeviceType {
  if (!hasBattery(device)) return deviceType;
  const optional = matter.deviceTypes.BridgedNode.requirements.server.optional as unknown as Record<string, { with(...f: string[]): unknown }>;
  const powerSource = optional.PowerSource?.with('Battery');
  if (!powerSource) return deviceType;
  return (deviceType as unknown as { with(...b: unknown[]): MatterDeviceType }).with(powerSource);
}

// ---- climate sensor ------------------------------------------------------------------------

export const HUMIDITY_PART = 'humidity';
export const AIR_QUALITY_PART = 'air-quality';

/**
 * Homebridge 2.1 has no named CO2 cluster: the AirQualitySensor device type is extended with
 * its optional CarbonDioxideConcentrationMeasurement server (NumericMeasurement feature).
 */
function airQualityWithCo2(matter: MatterAPI): MatterDeviceType {
  const airQuality = matter.deviceTypes.AirQualitySensor;
  type Extensible = { with(...features: string[]): unknown };
  const optional = airQuality.requirements.server.optional as unknown as Record<string, Extensible>;
  const behaviors = [
    optional.CarbonDioxideConcentrationMeasurement?.with('NumericMeasurement'),
    // The base AirQuality cluster knows only Unknown, Good and Poor: the finer levels are features.
    (airQuality.behaviors as unknown as Record<string, Extensible>).airQuality?.with('Fair', 'Moderate', 'VeryPoor', 'ExtremelyPoor'),
  ].filter((b) => b !== undefined);
  return (airQuality as unknown as { with(...b: unknown[]): MatterDeviceType }).with(...behaviors);
}

const sensorKind: MatterKind = {
  model: 'Indoor climate sensor',
  shape(ctx, device): MatterShape {
    const s = device.state;
    return {
      deviceType: ctx.matter.deviceTypes.TemperatureSensor,
      clusters: {
        temperatureMeasurement: { measuredValue: temperature100ths(s.temperature), minMeasuredValue: -4000, maxMeasuredValue: 8500 },
        ...batteryClusters(device),
      },
      parts: [
        {
          id: HUMIDITY_PART,
          displayName: `${device.descriptor.name} humidity`,
          deviceType: ctx.matter.deviceTypes.HumiditySensor,
          clusters: { relativeHumidityMeasurement: { measuredValue: humidity100ths(s.humidity), minMeasuredValue: 0, maxMeasuredValue: 10000 } },
        },
        {
          id: AIR_QUALITY_PART,
          displayName: `${device.descriptor.name} air quality`,
          deviceType: airQualityWithCo2(ctx.matter),
          clusters: {
            airQuality: { airQuality: airQualityFromCo2(s.co2) },
            carbonDioxideConcentrationMeasurement: {
              measuredValue: s.co2 ?? null,
              minMeasuredValue: 0,
              maxMeasuredValue: 10000,
              measurementUnit: 0, // ppm
              measurementMedium: 0, // air
            },
          },
        },
      ],
    };
  },
  state(device) {
    const s = device.state;
    return [
      { cluster: 'temperatureMeasurement', attributes: { measuredValue: temperature100ths(s.temperature) } },
      { cluster: 'relativeHumidityMeasurement', attributes: { measuredValue: humidity100ths(s.humidity) }, partId: HUMIDITY_PART },
      { cluster: 'airQuality', attributes: { airQuality: airQualityFromCo2(s.co2) }, partId: AIR_QUALITY_PART },
      { cluster: 'carbonDioxideConcentrationMeasurement', attributes: { measuredValue: s.co2 ?? null }, partId: AIR_QUALITY_PART },
      ...batteryUpdates(device),
    ];
  },
};

// ---- departure switch ----------------------------------------------------------------------

/** On/off handlers that set departure mode (on = away) through the home. */
export function departureHandlers(ctx: KindContext): NonNullable<MatterShape['handlers']> {
  const set = async (away: boolean) => {
    const result = await ctx.home.setAway(away, 'matter');
    if (!result.ok) {
      ctx.log.warn(`Matter: could not turn departure mode ${away ? 'on' : 'off'}: ${result.message} (${result.error})`);
      throw new MatterCommandError(`${result.message} (${result.error})`);
    }
  };
  return { onOff: { on: () => set(true), off: () => set(false), toggle: () => set(!ctx.home.away) } };
}

const departureKind: MatterKind = {
  model: 'Departure switch',
  shape(ctx, device) {
    return {
      deviceType: ctx.matter.deviceTypes.OnOffOutlet,
      clusters: { onOff: { onOff: ctx.home.away }, ...batteryClusters(device) },
      handlers: departureHandlers(ctx),
    };
  },
  state(device) {
    return batteryUpdates(device);
  },
};

/** What every device kind becomes on Matter. */
export const MATTER_KINDS: Record<DeviceType, MatterKind> = {
  window: coverKind('window'),
  blind: coverKind('blind'),
  shutter: coverKind('shutter'),
  awning: coverKind('awning'),
  sensor: sensorKind,
  departure_switch: departureKind,
};
