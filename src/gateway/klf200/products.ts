/**
 * KLF 200 products as plugin devices: which actuator types become which cover type, and
 * how positions convert.
 *
 * Positions on the wire: the main parameter runs from raw 0x0000 to 0xC800, and 0x0000 is
 * fully OPEN / up / retracted for EVERY product type (window sash open, blind and shutter
 * up, awning retracted); 0xC800 is fully closed / down / extended. (klf-200-api's 0–1
 * fraction inverts this for window openers only; the plugin uses raw values and one rule.)
 * The plugin's positions are percent open (100 = open, docs/gateway-protocol.md), so:
 *
 *   percent = round(100 × (1 − raw / 0xC800))      raw = round(0xC800 × (1 − percent / 100))
 *
 * Raw values above 0xC800 are not positions (0xF7FF = unknown, 0xD200 = stop, …): unknown.
 */
import type { CoverType } from '../types.js';

export const RAW_OPEN = 0x0000;
export const RAW_CLOSED = 0xc800;
export const RAW_STOP = 0xd200;

export function rawToPercent(raw: number): number | undefined {
  if (!Number.isInteger(raw) || raw < 0 || raw > RAW_CLOSED) return undefined;
  return Math.round(100 * (1 - raw / RAW_CLOSED));
}

export function percentToRaw(percent: number): number {
  const p = Math.max(0, Math.min(100, percent));
  return Math.round(RAW_CLOSED * (1 - p / 100));
}

/** Actuator type (NodeTypeSubType >> 6) → cover type; anything else is not published. */
export function coverTypeOf(actuatorType: number): CoverType | undefined {
  switch (actuatorType) {
    case 0x04: // window opener
      return 'window';
    case 0x01: // interior venetian blind (VELUX interior blinds)
    case 0x0e: // exterior venetian blind
    case 0x0f: // louvre blind
    case 0x10: // curtain track
      return 'blind';
    case 0x02: // roller shutter
    case 0x0b: // dual roller shutter
    case 0x15: // swinging shutters
      return 'shutter';
    case 0x03: // awning (window awning blind)
    case 0x0a: // vertical exterior awning
    case 0x0d: // horizontal awning
      return 'awning';
    default:
      return undefined;
  }
}

const ACTUATOR_NAMES: Record<number, string> = {
  0x01: 'Interior venetian blind',
  0x02: 'Roller shutter',
  0x03: 'Awning',
  0x04: 'Window opener',
  0x05: 'Garage door opener',
  0x06: 'Light',
  0x07: 'Gate opener',
  0x08: 'Rolling door opener',
  0x09: 'Lock',
  0x0a: 'Vertical exterior awning',
  0x0b: 'Dual roller shutter',
  0x0c: 'On/off switch',
  0x0d: 'Horizontal awning',
  0x0e: 'Exterior venetian blind',
  0x0f: 'Louvre blind',
  0x10: 'Curtain track',
  0x11: 'Ventilation point',
  0x12: 'Exterior heating',
  0x13: 'Heat pump',
  0x14: 'Intrusion alarm',
  0x15: 'Swinging shutters',
};

export function actuatorName(actuatorType: number): string {
  return ACTUATOR_NAMES[actuatorType] ?? `Actuator type ${actuatorType}`;
}

/** Window openers with sub-type 1 have an integrated rain sensor. */
export function hasRainSensor(actuatorType: number, subType: number): boolean {
  return actuatorType === 0x04 && subType === 1;
}

/** Serial number bytes → the config's form: 16 lower-case hex digits. */
export function serialHex(serial: Buffer | undefined): string | undefined {
  if (!serial || serial.length !== 8) return undefined;
  const hex = serial.toString('hex');
  // All zero or all 0xFF: the product did not report one.
  if (/^0+$/.test(hex) || /^f+$/.test(hex)) return undefined;
  return hex;
}

export const SERIAL_PATTERN = /^[0-9a-f]{16}$/;
