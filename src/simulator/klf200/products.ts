/**
 * The emulated KLF 200's products: the actuator types of the KLF API specification, a product's
 * description, the default set, and the 124-byte node record the gateway sends for each
 * (GW_GET_(ALL_)NODE(S)_INFORMATION_NTF). Pure: no I/O.
 */
import { NodeState, RAW_MAX, fixedString } from './frames.js';

/** Actuator types of the specification (NodeTypeSubType >> 6). */
export const ActuatorType = {
  INTERIOR_VENETIAN_BLIND: 0x01,
  ROLLER_SHUTTER: 0x02,
  AWNING: 0x03,
  WINDOW_OPENER: 0x04,
  GARAGE_OPENER: 0x05,
  LIGHT: 0x06,
  VERTICAL_EXTERIOR_AWNING: 0x0a,
  DUAL_ROLLER_SHUTTER: 0x0b,
  HORIZONTAL_AWNING: 0x0d,
  EXTERIOR_VENETIAN_BLIND: 0x0e,
  LOUVRE_BLIND: 0x0f,
  CURTAIN_TRACK: 0x10,
  SWINGING_SHUTTERS: 0x15,
} as const;

export interface KlfProductSpec {
  nodeId: number;
  name: string;
  /** 16 lower-case hex digits (8 bytes). */
  serial: string;
  actuatorType: number;
  subType?: number;
  /** Raw main-parameter position, 0 = open/up … 0xC800 = closed/down. */
  position?: number;
}

export const DEFAULT_KLF_PRODUCTS: KlfProductSpec[] = [
  { nodeId: 0, name: 'Bedroom window', serial: '53362726102f0080', actuatorType: ActuatorType.WINDOW_OPENER, subType: 1, position: RAW_MAX },
  { nodeId: 1, name: 'Bedroom blind', serial: '53362726102f0081', actuatorType: ActuatorType.INTERIOR_VENETIAN_BLIND, position: 0 },
  { nodeId: 2, name: 'Living room shutter', serial: '53362726102f0082', actuatorType: ActuatorType.ROLLER_SHUTTER, position: 0 },
  { nodeId: 3, name: 'Living room window', serial: '53362726102f0083', actuatorType: ActuatorType.WINDOW_OPENER, subType: 1, position: RAW_MAX },
  { nodeId: 4, name: 'Terrace awning', serial: '53362726102f0084', actuatorType: ActuatorType.AWNING, position: 0 },
  { nodeId: 5, name: 'Garage door', serial: '53362726102f0085', actuatorType: ActuatorType.GARAGE_OPENER, position: RAW_MAX },
];

/**
 * The 124-byte node record shared by GW_GET_(ALL_)NODE(S)_INFORMATION_NTF. `spec.position` is
 * the current raw position (a float while moving); `nowMs` gives the record's time stamp.
 */
export function nodeRecord(
  spec: Required<KlfProductSpec>,
  target: number,
  moving: boolean,
  remainingSeconds: number,
  nowMs: number,
): Buffer {
  const d = Buffer.alloc(124);
  d[0] = spec.nodeId;
  d.writeUInt16BE(spec.nodeId, 1); // order
  d[3] = 0; // placement (room index)
  fixedString(spec.name, 64).copy(d, 4);
  d[68] = 0; // velocity: default
  d.writeUInt16BE((spec.actuatorType << 6) | (spec.subType & 0x3f), 69);
  d[71] = 0; // product group
  d[72] = 0; // product type
  d[73] = 0; // node variation
  d[74] = 0; // power mode: always alive
  d[75] = 0; // build number
  Buffer.from(spec.serial, 'hex').copy(d, 76, 0, 8);
  d[84] = moving ? NodeState.EXECUTING : NodeState.DONE;
  d.writeUInt16BE(Math.round(spec.position), 85);
  d.writeUInt16BE(Math.round(target), 87);
  for (let fp = 0; fp < 4; fp++) d.writeUInt16BE(0xf7ff, 89 + 2 * fp); // FP1-4: not used
  d.writeUInt16BE(remainingSeconds, 97);
  d.writeUInt32BE(Math.floor(nowMs / 1000), 99);
  d[103] = 0; // no aliases
  return d;
}
