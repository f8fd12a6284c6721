/**
 * The KLF 200 transport's entry in the transport list (gateway/transports.ts): its factory and
 * the config checks that JSON Schema cannot express.
 */
import { existsSync } from 'node:fs';
import type { Transport } from '../transport.js';
import type { Klf200GatewayConfig } from './gateway.js';
import { SERIAL_PATTERN } from './products.js';

/** The KLF API's password field holds 32 bytes. */
const MAX_PASSWORD_BYTES = 32;

export const klf200Transport: Transport<Klf200GatewayConfig> = {
  type: 'klf200',
  create: async (config, { log }) => new (await import('./gateway.js')).Klf200Gateway(config, log),
  validate(entries) {
    const problems: string[] = [];
    const hosts = new Map<string, number>();
    for (const { index, config } of entries) {
      const at = `gateways[${index}]`;
      const host = config.host.trim().toLowerCase();
      const first = hosts.get(host);
      // The KLF 200 allows very few sessions: two entries for one gateway would fight over them.
      if (first !== undefined) problems.push(`${at}.host: "${config.host}" is already used by gateways[${first}]; one entry per KLF 200`);
      else hosts.set(host, index);
      if (Buffer.byteLength(config.password, 'utf8') > MAX_PASSWORD_BYTES) {
        problems.push(`${at}.password: is longer than the KLF 200 accepts (${MAX_PASSWORD_BYTES} bytes)`);
      }
      if (config.ca && !existsSync(config.ca)) problems.push(`${at}.ca: no such file "${config.ca}"`);
      const serials = new Map<string, number>();
      (config.devices ?? []).forEach((d, i) => {
        // (the schema's pattern also admits VELUX ACTIVE serials; a KLF 200's are 8 bytes)
        if (!SERIAL_PATTERN.test(d.serial)) problems.push(`${at}.devices[${i}].serial: has the wrong format (16 lower-case hex digits, e.g. 53362726102f0080)`);
        const seen = serials.get(d.serial);
        if (seen !== undefined) problems.push(`${at}.devices[${i}].serial: "${d.serial}" is already listed as devices[${seen}]`);
        else serials.set(d.serial, i);
      });
    }
    return problems;
  },
  hints: {
    host: "the KLF 200's IP address or host name, e.g. 192.168.1.30",
    fingerprint: '20 hex bytes, e.g. 02:8C:23:A0:89:2B:62:98:C4:99:00:5B:D2:E7:2E:0A:70:3D:71:6A',
  },
};
