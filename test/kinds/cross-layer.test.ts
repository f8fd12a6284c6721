/**
 * One case per device kind: the same scripted gateway events go into a real Home, and what the
 * HomeKit accessory (through HAP's read entry point), the Google entity (QUERY) and the Matter
 * kind (its attribute updates) show must agree with each other and with the script: position,
 * moving, online/reachable and low battery. The cases come from the kinds tables, so a new
 * kind gets one as soon as it has entries (and the descriptor below, which does not compile
 * without it).
 *
 * What each layer has no way to show is left out of its comparison, listed in SHOWS: Google has
 * no battery state for these device types; Matter's reachability is set by the publisher
 * (src/matter/index.ts, tested in test/matter/availability.test.ts), not by the kind.
 */
import type { PlatformAccessory } from 'homebridge';
import { afterEach, describe, expect, it } from 'vitest';
import { HomebridgeAPI } from '../../node_modules/homebridge/dist/api.js';
import { DEVICE_TYPES, isCoverType, type DeviceDescriptor, type DeviceState, type DeviceType } from '../../src/gateway/types.js';
import { GOOGLE_KINDS, googleEntity } from '../../src/google/mapping.js';
import { Home, type HomeDevice } from '../../src/home/model.js';
import { HOMEKIT_KINDS } from '../../src/homekit/kinds.js';
import { HomeKitAccessories } from '../../src/homekit/registry.js';
import { lift100thsToOpenPercent, MovementStatus } from '../../src/matter/convert.js';
import { MATTER_KINDS } from '../../src/matter/kinds.js';
import { FakeBridge, PLATFORM_NAME, PLUGIN_NAME, read } from '../homekit/fixture.js';
import { recordingLogger } from '../helpers/log.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

interface View {
  position?: number;
  moving?: boolean;
  online?: boolean;
  lowBattery?: boolean;
}
type Property = keyof View;
type Layer = 'homekit' | 'google' | 'matter';

/** What each layer can show of a device of this kind. */
function shows(layer: Layer, type: DeviceType): Property[] {
  const cover: Property[] = isCoverType(type) ? ['position', 'moving'] : [];
  if (layer === 'homekit') return [...cover, 'online', 'lowBattery'];
  if (layer === 'google') return [...cover, 'online'];
  return [...cover, 'lowBattery'];
}

/** One device of each kind, with a battery (and, for the sensor, what Google needs to show it). */
const DEVICES: Record<DeviceType, DeviceDescriptor> = {
  window: { id: 'window', type: 'window', name: 'Roof window', room: 'Attic', features: { battery: true } },
  blind: { id: 'blind', type: 'blind', name: 'Blind', room: 'Attic', features: { battery: true } },
  shutter: { id: 'shutter', type: 'shutter', name: 'Shutter', room: 'Attic', features: { battery: true } },
  awning: { id: 'awning', type: 'awning', name: 'Awning', room: 'Attic', features: { battery: true } },
  sensor: { id: 'sensor', type: 'sensor', name: 'Sensor', room: 'Attic', features: { battery: true, measures: ['temperature', 'humidity', 'co2'] } },
  departure_switch: { id: 'departure', type: 'departure_switch', name: 'Departure', features: { battery: true } },
};

const SENSOR = { temperature: 21.5, humidity: 45, co2: 700 };

/** The script: gateway events, and what every layer must show afterwards. */
type Step =
  | { state: DeviceState; expect: View }
  | { availability: boolean; expect: View }
  | { gatewayOnline: boolean; expect: View };

const SCRIPT: Step[] = [
  { state: { position: 30, target: 30, motion: 'stopped', battery: 80, away: false, ...SENSOR }, expect: { position: 30, moving: false, online: true, lowBattery: false } },
  { state: { position: 40, target: 70, motion: 'opening', battery: 21, away: false, ...SENSOR }, expect: { position: 40, moving: true, online: true, lowBattery: false } },
  { state: { position: 70, target: 70, motion: 'stopped', battery: 20, away: true, ...SENSOR }, expect: { position: 70, moving: false, online: true, lowBattery: true } },
  { availability: false, expect: { online: false } },
  { availability: true, expect: { position: 70, moving: false, online: true, lowBattery: true } },
  { state: { position: 55, target: 10, motion: 'closing', battery: 4, away: false, ...SENSOR }, expect: { position: 55, moving: true, online: true, lowBattery: true } },
  { gatewayOnline: false, expect: { online: false } },
  { gatewayOnline: true, expect: { position: 55, moving: true, online: true, lowBattery: true } },
];

const NO_RESPONSE = -70402;

async function homekitView(api: HomebridgeAPI, accessory: PlatformAccessory): Promise<View> {
  const { Service: S, Characteristic: C } = api.hap;
  const view: View = {};
  let online = true;
  for (const service of accessory.services) {
    if (service.UUID === S.AccessoryInformation.UUID) continue;
    for (const characteristic of service.characteristics) {
      const value = await read(accessory, service, characteristic);
      if ((value as { status?: unknown }).status === NO_RESPONSE) online = false;
    }
  }
  view.online = online;
  if (!online) return view;
  const cover = accessory.getService(S.Window) ?? accessory.getService(S.WindowCovering);
  if (cover) {
    view.position = (await read(accessory, cover, C.CurrentPosition)) as number;
    view.moving = (await read(accessory, cover, C.PositionState)) !== C.PositionState.STOPPED;
  }
  const battery = accessory.getService(S.Battery);
  if (battery) view.lowBattery = (await read(accessory, battery, C.StatusLowBattery)) === C.StatusLowBattery.BATTERY_LEVEL_LOW;
  return view;
}

function googleView(home: Home, device: HomeDevice): View {
  const entity = googleEntity(home, GOOGLE_KINDS[device.descriptor.type].reportedAs(device));
  if (!entity) throw new Error(`Google shows nothing for ${device.key}`);
  const state = entity.query();
  const view: View = { online: state.online };
  if (typeof state['openPercent'] === 'number') view.position = state['openPercent'];
  if (typeof state['isRunning'] === 'boolean') view.moving = state['isRunning'];
  return view;
}

function matterView(device: HomeDevice): View {
  const view: View = {};
  for (const { cluster, attributes } of MATTER_KINDS[device.descriptor.type].state(device)) {
    if (cluster === 'windowCovering') {
      const lift = attributes['currentPositionLiftPercent100ths'];
      if (typeof lift === 'number') view.position = lift100thsToOpenPercent(lift);
      view.moving = (attributes['operationalStatus'] as { global: number }).global !== MovementStatus.Stopped;
    }
    if (cluster === 'powerSource') view.lowBattery = attributes['batChargeLevel'] !== 0;
  }
  return view;
}

describe('every device kind shows the same in HomeKit, Google and Matter', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('has a case for every kind in every layer', () => {
    const kinds = [...DEVICE_TYPES].sort();
    expect(Object.keys(HOMEKIT_KINDS).sort()).toEqual(kinds);
    expect(Object.keys(GOOGLE_KINDS).sort()).toEqual(kinds);
    expect(Object.keys(MATTER_KINDS).sort()).toEqual(kinds);
    expect(Object.keys(DEVICES).sort()).toEqual(kinds);
  });

  it.each(DEVICE_TYPES.map((type) => [type]))('%s', async (type) => {
    const gateway = new ScriptedGateway();
    const log = recordingLogger();
    const home = new Home({ log });
    home.addGateway(gateway);
    const api = new HomebridgeAPI();
    const bridge = new FakeBridge(api);
    const homekit = new HomeKitAccessories({ api, log, home, pluginName: PLUGIN_NAME, platformName: PLATFORM_NAME });
    stop = async () => {
      homekit.stop();
      await home.stop();
    };
    homekit.start();
    await home.start();
    const descriptor = DEVICES[type];
    gateway.emit('devices', [descriptor]);
    const device = home.device(`gw/${descriptor.id}`)!;
    await new Promise((resolve) => setImmediate(resolve)); // HomeKit registers new accessories in one batch
    const accessory = homekit.accessoryFor(device);
    expect(accessory, 'published in HomeKit').toBeDefined();
    expect(bridge.accessories.get(accessory!.UUID)).toBe(accessory);

    for (const [i, step] of SCRIPT.entries()) {
      if ('state' in step) gateway.emit('state', descriptor.id, step.state);
      else if ('availability' in step) gateway.emit('availability', descriptor.id, step.availability);
      else gateway.setOnline(step.gatewayOnline);
      const views: Record<Layer, View> = { homekit: await homekitView(api, accessory!), google: googleView(home, device), matter: matterView(device) };
      for (const layer of ['homekit', 'google', 'matter'] as const) {
        const wanted = Object.fromEntries(shows(layer, type).filter((p) => p in step.expect).map((p) => [p, step.expect[p]]));
        const shown = Object.fromEntries(Object.keys(wanted).map((p) => [p, views[layer][p as Property]]));
        expect(shown, `step ${i + 1} (${JSON.stringify(step)}): ${layer}`).toEqual(wanted);
      }
    }
  });
});
