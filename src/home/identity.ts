/**
 * One identity per device, decided in one place (the Home, when a gateway first lists the
 * device) and used by every layer:
 * - `key`, `<gateway key prefix>/<device id>`: Google's device id, the climate memory's and the
 *   climate history's key, and the CLI's key (it reads it from the accessory context);
 * - `uuidSeed`, `velux-climate:<gateway id>:<device id>`: what HomeKit and Matter hash into their
 *   accessory UUIDs (their rooms, scenes and automations hang on it).
 * Both come from the gateway's record in the home state (PersistedHomeState): the first start
 * fixes the key prefix (the gateway's key, which its transport chose) and the gateway id (its own
 * id, or its key when it names none). A gateway whose transport settings change (a new base
 * topic) but which reports the same id of its own keeps its record, so its devices keep both.
 * For a v0.1 storage folder this gives exactly v0.1's keys and UUIDs (test/home/upgrade.test.ts).
 */

export interface DeviceIdentity {
  key: string;
  uuidSeed: string;
}

/** The stable key of a device: unique inside the plugin. */
export function deviceKey(keyPrefix: string, deviceId: string): string {
  return `${keyPrefix}/${deviceId}`;
}

/** UUID seeds: stable across restarts, so HomeKit and Matter keep rooms, scenes and automations. */
export const uuidSeed = {
  device: (gatewayId: string, deviceId: string) => `velux-climate:${gatewayId}:${deviceId}`,
  // A different prefix than devices, so no gateway id/device id pair can collide with these.
  departureMode: () => 'velux-climate-home:departure-mode',
  rain: () => 'velux-climate-home:rain',
  room: (room: string) => `velux-climate-room:${room}`,
} as const;

export function deviceIdentity(gateway: { keyPrefix: string; gatewayId: string }, deviceId: string): DeviceIdentity {
  return { key: deviceKey(gateway.keyPrefix, deviceId), uuidSeed: uuidSeed.device(gateway.gatewayId, deviceId) };
}

/** What the home state remembers about gateways (part of PersistedHomeState). */
export interface GatewayRecords {
  gatewayIds?: Record<string, string>;
  keyPrefixes?: Record<string, string>;
}

export interface GatewayIdentity {
  keyPrefix: string;
  gatewayId: string;
}

/**
 * A gateway's identity record, decided with its first device list and kept from then on.
 * `inUse` tells whether a gateway key belongs to a configured gateway. Returns the identity,
 * the records to persist when they changed, and the earlier key of a gateway recognised by its
 * own id after its transport settings changed.
 */
export function gatewayIdentity(
  records: GatewayRecords,
  gatewayKey: string,
  reportedId: string | undefined,
  inUse: (gatewayKey: string) => boolean,
): { identity: GatewayIdentity; records?: GatewayRecords; earlier?: string } {
  const { gatewayIds = {}, keyPrefixes = {} } = records;
  const known = gatewayIds[gatewayKey];
  if (known) return { identity: { keyPrefix: keyPrefixes[gatewayKey] ?? gatewayKey, gatewayId: known } };
  // A gateway we knew under another key (its transport settings changed) that no configured
  // gateway uses any more: same gateway, same identities.
  const earlier = reportedId !== undefined ? Object.keys(gatewayIds).find((key) => gatewayIds[key] === reportedId && !inUse(key)) : undefined;
  const keyPrefix = earlier !== undefined ? (keyPrefixes[earlier] ?? earlier) : gatewayKey;
  const gatewayId = reportedId ?? gatewayKey;
  const nextIds = { ...gatewayIds, [gatewayKey]: gatewayId };
  const nextPrefixes = { ...keyPrefixes };
  if (earlier !== undefined) {
    delete nextIds[earlier];
    delete nextPrefixes[earlier];
  }
  if (keyPrefix !== gatewayKey) nextPrefixes[gatewayKey] = keyPrefix;
  return {
    identity: { keyPrefix, gatewayId },
    records: { gatewayIds: nextIds, ...(Object.keys(nextPrefixes).length > 0 ? { keyPrefixes: nextPrefixes } : {}) },
    earlier,
  };
}
