/**
 * The fulfillment requests Google sends, checked before anything acts on them. Unknown
 * fields are dropped; anything malformed is a 400 with a JSON error.
 */
import { z } from 'zod';

const Id = z.string().min(1).max(512);
const Target = z.object({ id: Id, customData: z.record(z.string(), z.unknown()).optional() });

const Execution = z.object({
  command: z.string().min(1).max(200),
  params: z.record(z.string(), z.unknown()).optional(),
  challenge: z.object({ pin: z.string().max(64).optional(), ack: z.boolean().optional() }).optional(),
});

const Sync = z.object({ intent: z.literal('action.devices.SYNC') });
const Query = z.object({
  intent: z.literal('action.devices.QUERY'),
  payload: z.object({ devices: z.array(Target).max(1000) }),
});
const Execute = z.object({
  intent: z.literal('action.devices.EXECUTE'),
  payload: z.object({
    commands: z
      .array(z.object({ devices: z.array(Target).max(1000), execution: z.array(Execution).min(1).max(20) }))
      .min(1)
      .max(100),
  }),
});
const Disconnect = z.object({ intent: z.literal('action.devices.DISCONNECT') });

export const SmartHomeRequest = z.object({
  // Declared a UUID by Google's schema, but Google sends long numeric strings.
  requestId: z.string().min(1).max(200),
  inputs: z.array(z.discriminatedUnion('intent', [Sync, Query, Execute, Disconnect])).length(1),
});
export type SmartHomeRequest = z.infer<typeof SmartHomeRequest>;
export type QueryInput = z.infer<typeof Query>;
export type ExecuteInput = z.infer<typeof Execute>;
export type ExecutionInput = z.infer<typeof Execution>;
