/**
 * The one list of transports, keyed by the config's `type`. Adding a transport is a folder under
 * src/gateway/ plus one line here (and its fields in config.schema.json); nothing above
 * src/gateway/ names a transport.
 */
import type { Gateway } from './types.js';
import type { GatewayConfigBase, Transport, TransportContext } from './transport.js';
import type { DiscoveredGateway } from './kix300/discovery.js';
import { mqttTransport } from './mqtt/transport.js';
import { klf200Transport } from './klf200/transport.js';
import { kix300Transport } from './kix300/transport.js';

export const TRANSPORTS = {
  mqtt: mqttTransport,
  homekit: kix300Transport,
  klf200: klf200Transport,
} satisfies Record<string, Transport<GatewayConfigBase>>;

export type GatewayType = keyof typeof TRANSPORTS;
export const DEFAULT_GATEWAY_TYPE: GatewayType = 'mqtt';
export const GATEWAY_TYPES = Object.keys(TRANSPORTS) as GatewayType[];

type ConfigOf<T> = T extends Transport<infer C> ? C : never;
/** One `gateways[]` entry: a union keyed by `type` with one member per transport. */
export type GatewayConfig = { [T in GatewayType]: ConfigOf<(typeof TRANSPORTS)[T]> }[GatewayType];

function transportFor(config: GatewayConfigBase): Transport<GatewayConfigBase> {
  const type = config.type ?? DEFAULT_GATEWAY_TYPE;
  const transport = (TRANSPORTS as Record<string, Transport<GatewayConfigBase> | undefined>)[type];
  if (!transport) throw new Error(`gateway "${config.name}": unknown type "${type}" (known: ${GATEWAY_TYPES.join(', ')})`);
  return transport;
}

/**
 * Builds the gateway for one validated config entry with its transport's factory, which imports
 * that transport's code (and library) only now: a configuration loads only what it uses.
 */
export async function createGateway(config: GatewayConfig, context: TransportContext): Promise<Gateway> {
  return transportFor(config).create(config, context);
}

/** Each transport's own checks over its entries (see Transport.validate). */
export function gatewayConfigProblems(gateways: readonly GatewayConfig[]): string[] {
  const byType = new Map<string, Array<{ index: number; config: GatewayConfigBase }>>();
  gateways.forEach((config, index) => {
    const type = config.type ?? DEFAULT_GATEWAY_TYPE;
    byType.set(type, [...(byType.get(type) ?? []), { index, config }]);
  });
  const problems: string[] = [];
  for (const [type, entries] of byType) {
    const transport = (TRANSPORTS as Record<string, Transport<GatewayConfigBase> | undefined>)[type];
    if (!transport) problems.push(...entries.map(({ index }) => `gateways[${index}].type: "${type}" is not a known gateway type`));
    else if (transport.validate) problems.push(...transport.validate(entries));
  }
  return problems;
}

/** The format hint for a gateway field (by field name), from whichever transport has that field. */
export function gatewayFieldHint(field: string): string | undefined {
  for (const transport of Object.values(TRANSPORTS) as Transport<GatewayConfigBase>[]) {
    const hint = transport.hints?.[field];
    if (hint) return hint;
  }
  return undefined;
}

/** Which transports own a field (Transport.fields). */
function ownersOf(field: string): string[] {
  return (Object.values(TRANSPORTS) as Transport<GatewayConfigBase>[]).filter((t) => t.fields?.includes(field)).map((t) => t.type);
}

function foreignFields(entry: Record<string, unknown>): string[] {
  const type = typeof entry.type === 'string' ? entry.type : DEFAULT_GATEWAY_TYPE;
  const own = (TRANSPORTS as Record<string, Transport<GatewayConfigBase> | undefined>)[type];
  if (!own?.fields) return [];
  return Object.keys(entry).filter((k) => !own.fields!.includes(k) && ownersOf(k).length > 0);
}

/** Drops from validated entries the fields of other transports (Transport.fields). */
export function dropForeignFields(gateways: readonly GatewayConfig[]): void {
  for (const entry of gateways as unknown as Array<Record<string, unknown>>) {
    for (const field of foreignFields(entry)) delete entry[field];
  }
}

/** For the CLI (gateways discover, privacy): the VELUX ACTIVE transport's discovery (loads hap-controller on call) and pairing file. */
export type { DiscoveredGateway } from './kix300/discovery.js';
export async function discoverVeluxGateways(timeoutMs: number, options: { all?: boolean; iface?: string } = {}): Promise<DiscoveredGateway[]> {
  return (await import('./kix300/discovery.js')).discoverVeluxGateways(timeoutMs, options);
}
export { PAIRINGS_FILE, PairingStore } from './kix300/pairing-store.js';
