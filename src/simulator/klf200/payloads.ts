/**
 * Payloads of the emulated KLF 200's notifications, laid out as the KLF API specification gives
 * them (the frame around them: frames.ts). Pure: no I/O.
 */
import { NodeState, Originator } from './frames.js';

/** A payload that is just the 2-byte session id (GW_SESSION_FINISHED_NTF, GW_WINK_SEND_NTF). */
export function sessionIdPayload(sessionId: number): Buffer {
  const d = Buffer.alloc(2);
  d.writeUInt16BE(sessionId, 0);
  return d;
}

/** GW_NODE_STATE_POSITION_CHANGED_NTF. */
export function positionChangedPayload(nodeId: number, moving: boolean, position: number, target: number, remainingSeconds: number, nowMs: number): Buffer {
  const d = Buffer.alloc(20);
  d[0] = nodeId;
  d[1] = moving ? NodeState.EXECUTING : NodeState.DONE;
  d.writeUInt16BE(Math.round(position), 2);
  d.writeUInt16BE(Math.round(target), 4);
  for (let fp = 0; fp < 4; fp++) d.writeUInt16BE(0xf7ff, 6 + 2 * fp);
  d.writeUInt16BE(remainingSeconds, 14);
  d.writeUInt32BE(Math.floor(nowMs / 1000), 16);
  return d;
}

/** GW_COMMAND_REMAINING_TIME_NTF (main parameter). */
export function remainingTimePayload(sessionId: number, nodeId: number, remainingSeconds: number): Buffer {
  const d = Buffer.alloc(6);
  d.writeUInt16BE(sessionId, 0);
  d[2] = nodeId;
  d[3] = 0;
  d.writeUInt16BE(remainingSeconds, 4);
  return d;
}

/** GW_COMMAND_RUN_STATUS_NTF (status owner: user, main parameter). */
export function runStatusPayload(sessionId: number, nodeId: number, value: number, runStatus: number, reply: number): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt16BE(sessionId, 0);
  d[2] = 1; // status owner: user
  d[3] = nodeId;
  d[4] = 0; // main parameter
  d.writeUInt16BE(value, 5);
  d[7] = runStatus;
  d[8] = reply;
  d.writeUInt32BE(0, 9);
  return d;
}

/** GW_LIMITATION_STATUS_NTF: a wet rain sensor limits by rain for an unlimited time. */
export function limitationPayload(sessionId: number, nodeId: number, parameter: number, min: number, max: number, rain: boolean): Buffer {
  const d = Buffer.alloc(10);
  d.writeUInt16BE(sessionId, 0);
  d[2] = nodeId;
  d[3] = parameter;
  d.writeUInt16BE(min, 4);
  d.writeUInt16BE(max, 6);
  d[8] = rain ? Originator.RAIN : Originator.USER;
  d[9] = rain ? 253 : 255; // 253 = unlimited time, 255 = no limitation
  return d;
}
