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
