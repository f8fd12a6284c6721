/**
 * The plugin's HomeKit pairings with VELUX ACTIVE gateways: after the first pairing with the
 * setup code, the controller's long-term keys (its private key included) let the plugin
 * connect without the code. One file per platform block, `<storage>/velux-climate/<block id>/homekit-pairings.json`,
 * mode 0600, written atomically; never logged; redacted by `privacy export`, deleted by
 * `privacy reset` (docs/privacy.md).
 */
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import { readJsonFile, writeFileAtomic } from '../../storage/json-file.js';

export const PAIRINGS_FILE = 'homekit-pairings.json';

/** What hap-controller needs to connect again (all hex strings). */
export interface StoredPairingKeys {
  AccessoryPairingID: string;
  AccessoryLTPK: string;
  iOSDevicePairingID: string;
  iOSDeviceLTSK: string;
  iOSDeviceLTPK: string;
}

export interface StoredPairing {
  keys: StoredPairingKeys;
  /** Where the gateway answered last (used when the config gives no host and mDNS finds nothing). */
  host?: string;
  port?: number;
  pairedAt: string;
}

interface PairingsDocument {
  version: 1;
  gateways: Record<string, StoredPairing>;
}

const KEY_FIELDS = ['AccessoryPairingID', 'AccessoryLTPK', 'iOSDevicePairingID', 'iOSDeviceLTSK', 'iOSDeviceLTPK'] as const;

/** The pairings file in a block's storage folder (storage/paths.ts pluginStorageDir). */
export function pairingsPath(storageDir: string): string {
  return join(storageDir, PAIRINGS_FILE);
}

function validate(value: unknown): PairingsDocument | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const doc = value as Partial<PairingsDocument>;
  if (doc.version !== 1 || typeof doc.gateways !== 'object' || doc.gateways === null) return undefined;
  const gateways: Record<string, StoredPairing> = {};
  for (const [key, entry] of Object.entries(doc.gateways)) {
    const keys = (entry as Partial<StoredPairing> | null)?.keys as Record<string, unknown> | undefined;
    if (!keys || !KEY_FIELDS.every((f) => typeof keys[f] === 'string' && keys[f] !== '')) return undefined;
    gateways[key] = entry;
  }
  return { version: 1, gateways };
}

export class PairingStore {
  private readonly path: string;

  constructor(
    storageDir: string,
    private readonly log?: Logger,
  ) {
    this.path = pairingsPath(storageDir);
  }

  /** Read fresh every time: the file is small and the CLI may have reset it meanwhile. */
  private read(): PairingsDocument {
    return readJsonFile(this.path, validate, () => ({ version: 1 as const, gateways: {} }), this.log).value;
  }

  get(gatewayKey: string): StoredPairing | undefined {
    return this.read().gateways[gatewayKey];
  }

  save(gatewayKey: string, pairing: StoredPairing): void {
    const doc = this.read();
    doc.gateways[gatewayKey] = pairing;
    writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
  }

  /** Remembers where the gateway answered, without touching the keys. */
  remember(gatewayKey: string, host: string, port: number): void {
    const doc = this.read();
    const entry = doc.gateways[gatewayKey];
    if (!entry || (entry.host === host && entry.port === port)) return;
    doc.gateways[gatewayKey] = { ...entry, host, port };
    writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
  }

  forget(gatewayKey: string): void {
    const doc = this.read();
    if (!(gatewayKey in doc.gateways)) return;
    delete doc.gateways[gatewayKey];
    if (Object.keys(doc.gateways).length === 0 && existsSync(this.path)) unlinkSync(this.path);
    else writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
  }

  /** Gateway keys with a stored pairing. */
  keys(): string[] {
    return Object.keys(this.read().gateways);
  }
}
