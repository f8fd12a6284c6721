/**
 * The home as Google sees it: one entity per window/cover and sensor, one departure-mode
 * switch, one climate-control switch per climate-capable room. Ids: the device key
 * (`<gateway>/<device>`), `departure-mode`, `climate:<room>`. Pure: reads the home, no I/O.
 */
import type { CoverType, DeviceType } from '../gateway/types.js';
import type { HomeDevice } from '../home/model.js';
import { coverEntity } from './devices/cover.js';
import { DEPARTURE_MODE_ID, departureModeEntity } from './devices/departure-mode.js';
import { ROOM_CLIMATE_PREFIX, roomClimateEntity } from './devices/room-climate.js';
import { sensorEntity } from './devices/sensor.js';
import type { GoogleEntity, HomeView } from './devices/types.js';

export interface GoogleKind {
  /** The device's own entity; undefined when Google sees it only through a home-wide entity. */
  entity(device: HomeDevice): GoogleEntity | undefined;
  /** The entity whose state shows this device's state (what Report State reports when it changes). */
  reportedAs(device: HomeDevice): string;
}

function coverKind(type: CoverType): GoogleKind {
  return { entity: (device) => coverEntity(device, type), reportedAs: (device) => device.key };
}

/** What every device kind becomes on Google. Adding a kind does not compile until it has an entry. */
export const GOOGLE_KINDS: Record<DeviceType, GoogleKind> = {
  window: coverKind('window'),
  blind: coverKind('blind'),
  shutter: coverKind('shutter'),
  awning: coverKind('awning'),
  sensor: { entity: sensorEntity, reportedAs: (device) => device.key },
  // Departure switches are the departure-mode entity.
  departure_switch: { entity: () => undefined, reportedAs: () => DEPARTURE_MODE_ID },
};

export function deviceEntity(device: HomeDevice): GoogleEntity | undefined {
  return GOOGLE_KINDS[device.descriptor.type].entity(device);
}

export function googleEntities(home: HomeView): GoogleEntity[] {
  const entities: GoogleEntity[] = [];
  for (const device of home.devices()) {
    const entity = deviceEntity(device);
    if (entity) entities.push(entity);
  }
  entities.push(departureModeEntity(home));
  for (const room of home.rooms()) if (room.climateCapable) entities.push(roomClimateEntity(home, room));
  return entities;
}

export function googleEntity(home: HomeView, id: string): GoogleEntity | undefined {
  const device = home.device(id);
  if (device) return deviceEntity(device);
  if (id === DEPARTURE_MODE_ID) return departureModeEntity(home);
  if (id.startsWith(ROOM_CLIMATE_PREFIX)) {
    const name = id.slice(ROOM_CLIMATE_PREFIX.length);
    const room = home.rooms().find((r) => r.name === name && r.climateCapable);
    return room ? roomClimateEntity(home, room) : undefined;
  }
  return undefined;
}
