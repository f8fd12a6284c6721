/**
 * What a transport provides to the rest of the plugin: a factory for its `Gateway` and the
 * checks of its config entries. The list of transports is gateway/transports.ts. A transport's
 * entry must stay light: its library (mqtt, klf-200-api, hap-controller) is imported by
 * `create` only, so a configuration loads only the transports it uses.
 */
import type { Logger } from '../logger.js';
import type { Gateway } from './types.js';

/** The fields every `gateways[]` entry has, whatever its transport. */
export interface GatewayConfigBase {
  /** Selects the transport; absent means "mqtt" (configs written for v0.1). */
  type?: string;
  /** Display name (log lines, the settings form); never part of an identity. */
  name: string;
}

export interface TransportContext {
  log: Logger;
  /** This platform block's storage folder (storage/paths.ts pluginStorageDir), for transports that keep state such as pairing keys. */
  storageDir: string;
}

export interface Transport<C extends GatewayConfigBase> {
  /** The value of `type` in the config that selects this transport. */
  readonly type: string;
  /**
   * Builds the gateway for one validated config entry (importing the transport's code on first
   * use); it connects only on `start()`.
   */
  create(config: C, context: TransportContext): Promise<Gateway>;
  /**
   * Checks of this transport's entries beyond config.schema.json (e.g. two entries that would be
   * the same gateway). Gets all entries of this type with their index in `gateways[]`; returns
   * problems as `gateways[<index>].<field>: <message>`.
   */
  validate?(entries: ReadonlyArray<{ index: number; config: C }>): string[];
  /**
   * The config fields only this transport uses (besides `type` and `name`). Fields of another
   * transport in an entry (the settings form keeps them when the type changes; schema defaults
   * fill them in) are dropped from the validated entry. Leave out to keep everything.
   */
  readonly fields?: readonly string[];
  /** What a field's value should look like, for "wrong format" errors, by field name. */
  hints?: Readonly<Record<string, string>>;
}
