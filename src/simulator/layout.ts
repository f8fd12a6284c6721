/**
 * Homes for the simulator: a realistic default home for demos and end-to-end tests, and
 * generated homes of any size for scale benchmarks.
 */
import { DEVICE_TYPES, MEASURES, type DeviceDescriptor, type DeviceState, type Measure } from '../gateway/types.js';

/** The protocol's device id rule; `bridge` is reserved for the gateway's own topics. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface HomeLayout {
  devices: DeviceDescriptor[];
  /** Starting state per device id; sensors' values seed their room's climate. */
  initialState?: Record<string, DeviceState>;
  /** People per room name at start. */
  occupancy?: Record<string, number>;
}

const ALL_MEASURES = ['temperature', 'humidity', 'co2', 'lux'] as const;
const NO_LUX = ['temperature', 'humidity', 'co2'] as const;

/** A four-room house with a hallway departure switch, modelled on a VELUX ACTIVE install. */
export function defaultLayout(): HomeLayout {
  const devices: DeviceDescriptor[] = [
    window('living-window-1', 'Living room window left', 'Living room', 'GGL INTEGRA', '5A1B-0001', { rainSensor: true }),
    window('living-window-2', 'Living room window right', 'Living room', 'GGU SOLAR', '5A1B-0002', { battery: true }),
    cover('living-blind', 'blind', 'Living room blind', 'Living room', 'DML', '5A1B-0003'),
    sensor('living-sensor', 'Living room sensor', 'Living room', '5A1B-0004', [...ALL_MEASURES]),
    window('bedroom-window', 'Bedroom window', 'Bedroom', 'GGL INTEGRA', '5A1B-0005', { rainSensor: true }),
    cover('bedroom-shutter', 'shutter', 'Bedroom roller shutter', 'Bedroom', 'SML', '5A1B-0006'),
    sensor('bedroom-sensor', 'Bedroom sensor', 'Bedroom', '5A1B-0007', [...NO_LUX]),
    window('bathroom-window', 'Bathroom window', 'Bathroom', 'GGU INTEGRA', '5A1B-0008', {}),
    sensor('bathroom-sensor', 'Bathroom sensor', 'Bathroom', '5A1B-0009', [...NO_LUX]),
    window('kitchen-window', 'Kitchen window', 'Kitchen', 'GGL INTEGRA', '5A1B-000A', { rainSensor: true }),
    cover('kitchen-awning', 'awning', 'Kitchen awning', 'Kitchen', 'MSG', '5A1B-000B'),
    sensor('kitchen-sensor', 'Kitchen sensor', 'Kitchen', '5A1B-000C', [...ALL_MEASURES]),
    {
      id: 'departure-switch',
      type: 'departure_switch',
      name: 'Departure switch',
      room: 'Hallway',
      model: 'KLN 300',
      serial: '5A1B-000D',
      firmware: '2.1.0',
      features: { battery: true },
    },
  ];
  return {
    devices,
    initialState: {
      'living-window-2': { battery: 85 },
      'living-blind': { position: 100 },
      'bedroom-shutter': { position: 100 },
      'kitchen-awning': { position: 100 },
      'living-sensor': { temperature: 21.5, humidity: 46, co2: 650, battery: 90 },
      'bedroom-sensor': { temperature: 19.5, humidity: 52, co2: 900, battery: 75 },
      'bathroom-sensor': { temperature: 22, humidity: 58, co2: 550, battery: 95 },
      'kitchen-sensor': { temperature: 21, humidity: 50, co2: 700, battery: 60 },
      'departure-switch': { away: false, battery: 80 },
    },
    occupancy: { 'Living room': 2, Bedroom: 0, Bathroom: 0, Kitchen: 1 },
  };
}

/** Kinds of cover a generated room cycles through after its two windows. */
const GENERATED_COVERS = ['blind', 'shutter', 'awning'] as const;

/**
 * A home of exactly `deviceCount` devices for scale benchmarks: one departure switch, then
 * rooms of five (sensor, rain-sensing window, window, two covers); the last room may be
 * partial. Same count, same home.
 */
export function generateLayout(deviceCount: number): HomeLayout {
  if (!Number.isInteger(deviceCount) || deviceCount < 1) {
    throw new RangeError(`deviceCount must be a positive integer, got ${deviceCount}`);
  }
  const devices: DeviceDescriptor[] = [
    {
      id: 'departure-switch',
      type: 'departure_switch',
      name: 'Departure switch',
      room: 'Hallway',
      model: 'KLN 300',
      serial: serialOf(0),
      features: { battery: true },
    },
  ];
  const roomCount = Math.ceil((deviceCount - 1) / 5);
  const width = String(roomCount).length;
  for (let index = 0; devices.length < deviceCount; index++) {
    const number = String(Math.floor(index / 5) + 1).padStart(width, '0');
    const room = `Room ${number}`;
    const prefix = `room-${number}`;
    const serial = serialOf(devices.length);
    switch (index % 5) {
      case 0:
        devices.push(sensor(`${prefix}-sensor`, `${room} sensor`, room, serial, [...ALL_MEASURES]));
        break;
      case 1:
        devices.push(window(`${prefix}-window-1`, `${room} window 1`, room, 'GGL INTEGRA', serial, { rainSensor: true }));
        break;
      case 2:
        devices.push(window(`${prefix}-window-2`, `${room} window 2`, room, 'GGU INTEGRA', serial, {}));
        break;
      default: {
        // Rotate kinds across rooms so every kind shows up even in small homes.
        const kind = GENERATED_COVERS[(index + Math.floor(index / 5)) % GENERATED_COVERS.length] ?? 'blind';
        const ordinal = (index % 5) - 2;
        const name = `${room} ${kind} ${ordinal}`;
        devices.push(cover(`${prefix}-${kind}-${ordinal}`, kind, name, room, coverModel(kind), serial));
      }
    }
  }
  return { devices };
}

/** Throws a message naming the offending device when a layout breaks the protocol's rules. */
export function validateLayout(layout: HomeLayout): void {
  const seen = new Set<string>();
  for (const device of layout.devices) {
    validateDescriptor(device);
    if (seen.has(device.id)) throw new Error(`duplicate device id "${device.id}"`);
    seen.add(device.id);
  }
}

export function validateDescriptor(device: DeviceDescriptor): void {
  if (!DEVICE_ID_PATTERN.test(device.id) || device.id === 'bridge') {
    throw new Error(`invalid device id "${device.id}": must match ${DEVICE_ID_PATTERN.source} and not be "bridge"`);
  }
  if (!(DEVICE_TYPES as readonly string[]).includes(device.type)) {
    throw new Error(`device "${device.id}" has unknown type "${String(device.type)}"`);
  }
  for (const measure of device.features.measures ?? []) {
    if (!(MEASURES as readonly string[]).includes(measure)) {
      throw new Error(`device "${device.id}" measures unknown quantity "${String(measure)}"`);
    }
  }
}

function window(
  id: string,
  name: string,
  room: string,
  model: string,
  serial: string,
  extra: { rainSensor?: boolean; battery?: boolean },
): DeviceDescriptor {
  return {
    id,
    type: 'window',
    name,
    room,
    model,
    serial,
    firmware: '54.0.0',
    features: { rainSensor: extra.rainSensor ?? false, battery: extra.battery ?? false },
  };
}

function cover(
  id: string,
  type: 'blind' | 'shutter' | 'awning',
  name: string,
  room: string,
  model: string,
  serial: string,
): DeviceDescriptor {
  return { id, type, name, room, model, serial, firmware: '21.0.0', features: { battery: false } };
}

function sensor(id: string, name: string, room: string, serial: string, measures: Measure[]): DeviceDescriptor {
  const features = { measures, battery: true };
  return { id, type: 'sensor', name, room, model: 'KLA 100', serial, firmware: '3.2.0', features };
}

function coverModel(kind: 'blind' | 'shutter' | 'awning'): string {
  return { blind: 'DML', shutter: 'SML', awning: 'MSG' }[kind];
}

function serialOf(index: number): string {
  return `5A2C-${index.toString(16).toUpperCase().padStart(4, '0')}`;
}
