/**
 * The fulfillment requests Google sends, checked before anything acts on them. Unknown
 * fields are dropped; anything malformed is a 400 with a JSON error naming the first bad
 * field. Hand-written readers (src/json-check.ts): this runs for every request.
 */
import { boolean, check, list, literal, record, shape, tagged, text, type Reader } from '../json-check.js';

const Id = text(512, 1);
const Target = shape({ id: Id }, { customData: record });

const Execution = shape(
  { command: text(200, 1) },
  { params: record, challenge: shape({}, { pin: text(64), ack: boolean }) },
);

const Sync = shape({ intent: literal('action.devices.SYNC') }, {});
const Query = shape({ intent: literal('action.devices.QUERY'), payload: shape({ devices: list(Target, 1000) }, {}) }, {});
const Execute = shape(
  {
    intent: literal('action.devices.EXECUTE'),
    payload: shape({ commands: list(shape({ devices: list(Target, 1000), execution: list(Execution, 20, 1) }, {}), 100, 1) }, {}),
  },
  {},
);
const Disconnect = shape({ intent: literal('action.devices.DISCONNECT') }, {});

export type QueryInput = ReturnType<typeof Query>;
export type ExecuteInput = ReturnType<typeof Execute>;
export type ExecutionInput = ReturnType<typeof Execution>;
type Input = ReturnType<typeof Sync> | QueryInput | ExecuteInput | ReturnType<typeof Disconnect>;

const Request = shape(
  {
    // Declared a UUID by Google's schema, but Google sends long numeric strings.
    requestId: text(200, 1),
    inputs: list(
      tagged<Input>('intent', {
        'action.devices.SYNC': Sync,
        'action.devices.QUERY': Query,
        'action.devices.EXECUTE': Execute,
        'action.devices.DISCONNECT': Disconnect,
      }),
      1,
      1,
    ),
  },
  {},
);
export type SmartHomeRequest = ReturnType<typeof Request>;

/** The request, or where it first goes wrong (a dotted path, `body` for the whole). */
export function readSmartHomeRequest(body: unknown): { ok: true; request: SmartHomeRequest } | { ok: false; where: string } {
  const result = check(Request as Reader<SmartHomeRequest>, body);
  return result.ok ? { ok: true, request: result.value } : { ok: false, where: result.invalid.path || 'body' };
}
