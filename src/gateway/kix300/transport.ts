/**
 * The VELUX ACTIVE (KIX 300) transport's entry in the transport list (gateway/transports.ts):
 * config `"type": "homekit"`, its factory, and the checks JSON Schema cannot express.
 */
import type { Transport } from '../transport.js';
import type { HomekitGatewayConfig } from './kix300-gateway.js';
import { homekitGatewayKey } from './key.js';

export const kix300Transport: Transport<HomekitGatewayConfig> = {
  type: 'homekit',
  fields: ['setupCode', 'host', 'port', 'devices'],
  create: async (config, { log, storageDir }) => new (await import('./kix300-gateway.js')).Kix300Gateway({ config, log, storageDir }),
  validate(entries) {
    const problems: string[] = [];
    const keys = new Map<string, number>();
    for (const { index, config } of entries) {
      const key = homekitGatewayKey(config.name);
      const first = keys.get(key);
      if (first !== undefined) {
        problems.push(`gateways[${index}].name: "${config.name}" is too close to the name of gateways[${first}]; VELUX ACTIVE gateways need distinct names (the name keeps the pairing)`);
      } else {
        keys.set(key, index);
      }
      if (config.port !== undefined && !config.host) problems.push(`gateways[${index}].host: is required when port is set`);
      const serials = new Map<string, number>();
      (config.devices ?? []).forEach((d, j) => {
        const serial = d.serial.toLowerCase();
        const seen = serials.get(serial);
        if (seen !== undefined) problems.push(`gateways[${index}].devices[${j}].serial: "${d.serial}" is already listed as devices[${seen}]`);
        else serials.set(serial, j);
      });
    }
    return problems;
  },
  hints: {
    setupCode: 'the code printed on the gateway, e.g. 123-45-678',
    serial: 'the serial number: letters and digits, e.g. 5611111a114a111a',
    host: 'an IP address or host name, e.g. 192.168.1.20',
  },
};
