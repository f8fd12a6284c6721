/**
 * KLF 200 API framing, written from VELUX's public "KLF 200 API" technical specification
 * (not from the client library, so that a test of the client against this emulator cannot
 * agree with itself):
 *
 *   SLIP( ProtocolID=0 | Length | Command (2 bytes, big endian) | Data | Checksum )
 *
 * Length counts Length, Command and Data (3 + data bytes); Checksum is the XOR of every byte
 * before it. SLIP: END = 0xC0 starts and ends a frame, ESC = 0xDB; 0xC0 inside is sent as
 * DB DC and 0xDB as DB DD.
 */

export const SLIP_END = 0xc0;
const SLIP_ESC = 0xdb;
const SLIP_ESC_END = 0xdc;
const SLIP_ESC_ESC = 0xdd;

/** Command numbers used by the emulator (spec chapter "List of commands"). */
export const Cmd = {
  ERROR_NTF: 0x0000,
  GET_VERSION_REQ: 0x0008,
  GET_VERSION_CFM: 0x0009,
  GET_PROTOCOL_VERSION_REQ: 0x000a,
  GET_PROTOCOL_VERSION_CFM: 0x000b,
  GET_STATE_REQ: 0x000c,
  GET_STATE_CFM: 0x000d,
  GET_NODE_INFORMATION_REQ: 0x0200,
  GET_NODE_INFORMATION_CFM: 0x0201,
  GET_ALL_NODES_INFORMATION_REQ: 0x0202,
  GET_ALL_NODES_INFORMATION_CFM: 0x0203,
  GET_ALL_NODES_INFORMATION_NTF: 0x0204,
  GET_ALL_NODES_INFORMATION_FINISHED_NTF: 0x0205,
  GET_NODE_INFORMATION_NTF: 0x0210,
  NODE_STATE_POSITION_CHANGED_NTF: 0x0211,
  HOUSE_STATUS_MONITOR_ENABLE_REQ: 0x0240,
  HOUSE_STATUS_MONITOR_ENABLE_CFM: 0x0241,
  HOUSE_STATUS_MONITOR_DISABLE_REQ: 0x0242,
  HOUSE_STATUS_MONITOR_DISABLE_CFM: 0x0243,
  COMMAND_SEND_REQ: 0x0300,
  COMMAND_SEND_CFM: 0x0301,
  COMMAND_RUN_STATUS_NTF: 0x0302,
  COMMAND_REMAINING_TIME_NTF: 0x0303,
  SESSION_FINISHED_NTF: 0x0304,
  WINK_SEND_REQ: 0x0308,
  WINK_SEND_CFM: 0x0309,
  WINK_SEND_NTF: 0x030a,
  GET_LIMITATION_STATUS_REQ: 0x0312,
  GET_LIMITATION_STATUS_CFM: 0x0313,
  LIMITATION_STATUS_NTF: 0x0314,
  PASSWORD_ENTER_REQ: 0x3000,
  PASSWORD_ENTER_CFM: 0x3001,
} as const;

/** GW_ERROR_NTF error numbers. */
export const ErrorNumber = { UNKNOWN_COMMAND: 1, FRAME_ERROR: 2, BUSY: 7, NOT_AUTHENTICATED: 12 } as const;

/** Run status and status reply values of GW_COMMAND_RUN_STATUS_NTF. */
export const RunStatus = { COMPLETED: 0, FAILED: 1, ACTIVE: 2 } as const;
export const StatusReply = {
  OK: 0x01,
  NO_CONTACT: 0x02,
  TARGET_MODIFIED: 0x13,
  BAD_INDEX: 0x1c,
  LIMITATION_BY_RAIN: 0xe3,
} as const;
/** Operating state of a node (GW_NODE_STATE_POSITION_CHANGED_NTF). */
export const NodeState = { NON_EXECUTING: 0, EXECUTING: 4, DONE: 5 } as const;
/** Command originators (also the originator of a limitation). */
export const Originator = { USER: 1, RAIN: 2 } as const;

/** Raw position range of the main parameter: 0x0000 = open/up/retracted, 0xC800 = closed/down. */
export const RAW_MAX = 0xc800;
export const RAW_STOP = 0xd200;

export interface Frame {
  command: number;
  data: Buffer;
}

export function slipEncode(payload: Buffer): Buffer {
  const out: number[] = [SLIP_END];
  for (const byte of payload) {
    if (byte === SLIP_END) out.push(SLIP_ESC, SLIP_ESC_END);
    else if (byte === SLIP_ESC) out.push(SLIP_ESC, SLIP_ESC_ESC);
    else out.push(byte);
  }
  out.push(SLIP_END);
  return Buffer.from(out);
}

export function slipDecode(body: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte !== SLIP_ESC) {
      out.push(byte);
      continue;
    }
    const next = body[++i];
    if (next === SLIP_ESC_END) out.push(SLIP_END);
    else if (next === SLIP_ESC_ESC) out.push(SLIP_ESC);
    else throw new Error('bad SLIP escape');
  }
  return Buffer.from(out);
}

/** One frame ready for the socket. */
export function encodeFrame(command: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(data.length + 5);
  body[0] = 0; // ProtocolID
  body[1] = data.length + 3;
  body.writeUInt16BE(command, 2);
  data.copy(body, 4);
  let xor = 0;
  for (let i = 0; i < body.length - 1; i++) xor ^= body[i]!;
  body[body.length - 1] = xor;
  return slipEncode(body);
}

/** The transport layer of one SLIP-decoded frame; throws on a bad checksum or length. */
export function decodeFrame(unslipped: Buffer): Frame {
  if (unslipped.length < 5) throw new Error('frame too short');
  if (unslipped[0] !== 0) throw new Error(`unknown protocol id ${unslipped[0]}`);
  let xor = 0;
  for (let i = 0; i < unslipped.length - 1; i++) xor ^= unslipped[i]!;
  if (xor !== unslipped[unslipped.length - 1]) throw new Error('bad checksum');
  if (unslipped[1] !== unslipped.length - 2) throw new Error('bad length');
  return { command: unslipped.readUInt16BE(2), data: unslipped.subarray(4, unslipped.length - 1) };
}

/** Splits a byte stream into SLIP frames (bytes between two END marks). */
export class SlipReader {
  private parts: Buffer[] = [];
  private inFrame = false;

  constructor(private readonly onFrame: (unslipped: Buffer) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== SLIP_END) continue;
      if (this.inFrame) {
        this.parts.push(chunk.subarray(start, i));
        const body = Buffer.concat(this.parts);
        this.parts = [];
        if (body.length > 0) {
          this.onFrame(slipDecode(body));
          // A frame ends here; the next END starts another one.
          this.inFrame = false;
        }
        // Two END marks in a row: the second starts the frame (tolerated).
        else this.inFrame = true;
      } else this.inFrame = true;
      start = i + 1;
    }
    if (this.inFrame && start < chunk.length) this.parts.push(chunk.subarray(start));
  }
}

/** Zero-padded UTF-8 string field. */
export function fixedString(text: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  Buffer.from(text, 'utf8').subarray(0, size - 1).copy(out);
  return out;
}

export function readFixedString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end === -1 ? data.length : end).toString('utf8');
}
