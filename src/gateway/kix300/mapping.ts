/**
 * From a KIX 300's HAP accessory database to the plugin's devices. The gateway names every
 * window "VELUX Window" and every sensor "VELUX Sensor" and tells no rooms: names and rooms
 * come from the config's `devices[]` by serial number; a device without a configured name
 * gets a distinct one built from its serial (stable across restarts).
 */
import type { DeviceDescriptor, DeviceState, DeviceType, Measure, Motion } from '../types.js';

/** HAP short type ids (upper case, no leading zeros) of what the gateway exposes. */
const T = {
  accessoryInformation: '3E',
  name: '23',
  manufacturer: '20',
  model: '21',
  serial: '30',
  firmware: '52',
  window: '8B',
  windowCovering: '8C',
  temperatureSensor: '8A',
  humiditySensor: '82',
  co2Sensor: '97',
  currentPosition: '6D',
  targetPosition: '7C',
  positionState: '72',
  currentTemperature: '11',
  currentHumidity: '10',
  co2Level: '93',
} as const;

export interface RawCharacteristic {
  type: string;
  iid: number;
  perms?: string[];
  value?: unknown;
}
export interface RawService {
  type: string;
  iid: number;
  characteristics: RawCharacteristic[];
}
export interface RawAccessory {
  aid: number;
  services: RawService[];
}

export interface KixDeviceConfig {
  serial: string;
  name?: string;
  room?: string;
}

/** Which device field a characteristic carries. */
export type StateField = 'position' | 'target' | 'motion' | 'temperature' | 'humidity' | 'co2';

export interface MappedDevice {
  descriptor: DeviceDescriptor;
  state: DeviceState;
  /** Characteristic id "aid.iid" of TargetPosition (covers). */
  targetId?: string;
  /** Whether `devices[]` named it / gave it a room. */
  configured: { name: boolean; room: boolean };
}

export interface MappedHome {
  devices: MappedDevice[];
  /** "aid.iid" → device id and field, for reads and events. */
  fields: Map<string, { deviceId: string; field: StateField }>;
  /** The gateway's own accessory (aid 1): identity for the info event. */
  gateway?: { name?: string; model?: string; serial?: string; firmware?: string };
  /** Accessories the plugin does not understand (logged once). */
  skipped: string[];
}

/** "0000008B-0000-1000-8000-0026BB765291" or "8B" → "8B". */
export function shortType(type: string): string {
  const upper = String(type).toUpperCase();
  const m = /^([0-9A-F]{1,8})-0000-1000-8000-0026BB765291$/.exec(upper);
  return (m ? m[1]! : upper).replace(/^0+(?=.)/, '');
}

function info(accessory: RawAccessory): Record<'name' | 'manufacturer' | 'model' | 'serial' | 'firmware', string | undefined> {
  const service = accessory.services.find((s) => shortType(s.type) === T.accessoryInformation);
  const value = (type: string) => {
    const v = service?.characteristics.find((c) => shortType(c.type) === type)?.value;
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  return { name: value(T.name), manufacturer: value(T.manufacturer), model: value(T.model), serial: value(T.serial), firmware: value(T.firmware) };
}

function serviceOf(accessory: RawAccessory, type: string): RawService | undefined {
  return accessory.services.find((s) => shortType(s.type) === type);
}

function charOf(service: RawService | undefined, type: string): RawCharacteristic | undefined {
  return service?.characteristics.find((c) => shortType(c.type) === type);
}

/** Device id from the serial: lower-case letters, digits, `_` and `-`. */
export function deviceIdFor(serial: string | undefined, aid: number): string {
  const cleaned = (serial ?? '').toLowerCase().replace(/[^a-z0-9_-]/g, '').slice(0, 64);
  return cleaned || `aid-${aid}`;
}

const KIND_LABEL: Record<DeviceType, string> = {
  window: 'Window',
  blind: 'Blind',
  shutter: 'Shutter',
  awning: 'Awning',
  sensor: 'Sensor',
  departure_switch: 'Departure switch',
};

/**
 * The plugin's type for a cover: windows are windows; covers the gateway calls "Internal"
 * are blinds; external covers are awnings when the gateway names the service an awning
 * (recorded: "Awning Blinds"), roller shutters otherwise.
 */
function coverType(accessory: RawAccessory, service: RawService, isWindow: boolean): DeviceType {
  if (isWindow) return 'window';
  const { name, model } = info(accessory);
  const label = `${name ?? ''} ${model ?? ''}`.toLowerCase();
  const serviceName = String(charOf(service, T.name)?.value ?? '').toLowerCase();
  if (label.includes('internal') || label.includes('interior')) return 'blind';
  if (label.includes('external') || label.includes('exterior')) return serviceName.includes('awning') ? 'awning' : 'shutter';
  if (serviceName.includes('awning')) return 'awning';
  if (serviceName.includes('shutter')) return 'shutter';
  return 'blind';
}

export function positionStateToMotion(value: unknown): Motion | undefined {
  if (value === 0) return 'closing';
  if (value === 1) return 'opening';
  if (value === 2) return 'stopped';
  return undefined;
}

/** Applies one characteristic value to a state (returns false when the value is unusable). */
export function applyValue(state: DeviceState, field: StateField, value: unknown): boolean {
  if (field === 'motion') {
    const motion = positionStateToMotion(typeof value === 'number' ? value : Number(value));
    if (!motion) return false;
    state.motion = motion;
    return true;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return false;
  if (field === 'position' || field === 'target' || field === 'humidity') {
    state[field] = Math.min(100, Math.max(0, Math.round(n)));
  } else if (field === 'co2') {
    state.co2 = Math.max(0, Math.round(n));
  } else {
    state.temperature = Math.round(n * 10) / 10;
  }
  return true;
}

export function mapAccessories(accessories: RawAccessory[], configured: KixDeviceConfig[] = []): MappedHome {
  const bySerial = new Map(configured.map((d) => [d.serial.trim().toLowerCase(), d]));
  const fields = new Map<string, { deviceId: string; field: StateField }>();
  const devices: MappedDevice[] = [];
  const skipped: string[] = [];
  let gateway: MappedHome['gateway'];
  for (const accessory of [...accessories].sort((a, b) => a.aid - b.aid)) {
    const meta = info(accessory);
    const windowService = serviceOf(accessory, T.window);
    const coverService = windowService ?? serviceOf(accessory, T.windowCovering);
    const sensorServices = [T.temperatureSensor, T.humiditySensor, T.co2Sensor].map((t) => serviceOf(accessory, t));
    const id = deviceIdFor(meta.serial, accessory.aid);
    const own = meta.serial ? bySerial.get(meta.serial.toLowerCase()) : undefined;
    const state: DeviceState = {};
    const track = (service: RawService | undefined, type: string, field: StateField) => {
      const c = charOf(service, type);
      if (!c) return false;
      fields.set(`${accessory.aid}.${c.iid}`, { deviceId: id, field });
      if (c.value !== undefined && c.value !== null) applyValue(state, field, c.value);
      return true;
    };
    let type: DeviceType;
    let targetId: string | undefined;
    let measures: Measure[] | undefined;
    if (coverService) {
      const target = charOf(coverService, T.targetPosition);
      if (!target || !charOf(coverService, T.currentPosition)) {
        skipped.push(`${meta.name ?? `accessory ${accessory.aid}`} (a cover without positions)`);
        continue;
      }
      type = coverType(accessory, coverService, windowService !== undefined);
      track(coverService, T.currentPosition, 'position');
      track(coverService, T.targetPosition, 'target');
      if (!track(coverService, T.positionState, 'motion')) state.motion = 'stopped';
      targetId = `${accessory.aid}.${target.iid}`;
    } else if (sensorServices.some(Boolean)) {
      type = 'sensor';
      measures = [];
      if (track(sensorServices[0], T.currentTemperature, 'temperature')) measures.push('temperature');
      if (track(sensorServices[1], T.currentHumidity, 'humidity')) measures.push('humidity');
      if (track(sensorServices[2], T.co2Level, 'co2')) measures.push('co2');
    } else {
      if (accessory.aid === 1) gateway = meta;
      else skipped.push(`${meta.name ?? 'an accessory'} (aid ${accessory.aid}, serial ${meta.serial ?? 'none'})`);
      continue;
    }
    const room = own?.room?.trim() || undefined;
    devices.push({
      descriptor: {
        id,
        type,
        name: own?.name?.trim() || '',
        ...(room ? { room } : {}),
        ...(meta.model ? { model: meta.model } : {}),
        ...(meta.serial ? { serial: meta.serial } : {}),
        ...(meta.firmware ? { firmware: meta.firmware } : {}),
        features: type === 'sensor' ? { measures } : {},
      },
      state,
      targetId,
      configured: { name: Boolean(own?.name?.trim()), room: Boolean(room) },
    });
  }
  nameUnnamed(devices);
  return { devices, fields, gateway, skipped };
}

/**
 * Unnamed devices: "<kind> <end of serial>", with as many serial characters as needed to
 * tell them apart from each other and from configured names.
 */
function nameUnnamed(devices: MappedDevice[]): void {
  const taken = new Set(devices.filter((d) => d.descriptor.name).map((d) => d.descriptor.name.toLowerCase()));
  const unnamed = devices.filter((d) => !d.descriptor.name);
  for (let length = 4; unnamed.some((d) => !d.descriptor.name); length += 2) {
    const proposals = unnamed.map((d) => `${KIND_LABEL[d.descriptor.type]} ${d.descriptor.id.slice(-length)}`);
    const counts = new Map<string, number>();
    for (const p of proposals) counts.set(p.toLowerCase(), (counts.get(p.toLowerCase()) ?? 0) + 1);
    unnamed.forEach((d, i) => {
      const p = proposals[i]!;
      const unique = counts.get(p.toLowerCase()) === 1 && !taken.has(p.toLowerCase());
      if (!d.descriptor.name && (unique || length >= 64)) {
        d.descriptor.name = length >= 64 && !unique ? `${p} (${i + 1})` : p;
        taken.add(d.descriptor.name.toLowerCase());
      }
    });
  }
}
