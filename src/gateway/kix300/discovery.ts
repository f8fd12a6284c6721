/**
 * Finding VELUX ACTIVE gateways with mDNS: HomeKit accessories advertise `_hap._tcp`; a
 * VELUX gateway's model (`md`) names VELUX. The status flag (`sf`) says whether it still
 * waits for its first controller.
 */
import hapController from 'hap-controller';

const { IPDiscovery } = hapController;

export interface DiscoveredGateway {
  /** The advertised instance name, e.g. "VELUX Gateway". */
  name: string;
  /** HAP device id (AA:BB:CC:DD:EE:FF): the AccessoryPairingID a pairing refers to. */
  id: string;
  host: string;
  port: number;
  model: string;
  /** false while the gateway waits for its first controller. */
  paired: boolean;
}

export function isVeluxModel(model: string, name = ''): boolean {
  return /velux/i.test(model) || /velux/i.test(name);
}

/** Browses for `timeoutMs` and returns the VELUX gateways seen (all `_hap._tcp` with `all`). */
export function discoverVeluxGateways(timeoutMs: number, options: { all?: boolean; iface?: string } = {}): Promise<DiscoveredGateway[]> {
  return new Promise((resolve) => {
    const found = new Map<string, DiscoveredGateway>();
    let discovery: InstanceType<typeof IPDiscovery> | undefined;
    const finish = () => {
      try {
        discovery?.stop();
      } catch {}
      resolve([...found.values()]);
    };
    try {
      discovery = new IPDiscovery(options.iface);
      discovery.on('serviceUp', (s: { name: string; id: string; address: string; port: number; md: string; sf: number }) => {
        if (!options.all && !isVeluxModel(String(s.md ?? ''), String(s.name ?? ''))) return;
        found.set(s.id, { name: s.name, id: s.id, host: s.address, port: s.port, model: String(s.md ?? ''), paired: (Number(s.sf) & 1) === 0 });
      });
      discovery.start();
    } catch {
      // mDNS unavailable (no multicast interface): nothing found
      resolve([]);
      return;
    }
    setTimeout(finish, timeoutMs).unref?.();
  });
}
