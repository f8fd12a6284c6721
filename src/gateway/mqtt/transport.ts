/**
 * The MQTT transport's entry in the transport list (gateway/transports.ts): its factory and
 * the config checks that JSON Schema cannot express.
 */
import type { Transport } from '../transport.js';
import type { MqttGatewayConfig } from './gateway.js';

export const mqttTransport: Transport<MqttGatewayConfig> = {
  type: 'mqtt',
  fields: ['url', 'baseTopic', 'username', 'password', 'tls', 'commandTimeoutMs'],
  create: async (config, { log }) => new (await import('./gateway.js')).MqttGateway(config, log),
  validate(entries) {
    const problems: string[] = [];
    const topics = new Map<string, number>();
    for (const { index, config } of entries) {
      const where = `gateways[${index}].baseTopic`;
      if (config.baseTopic.startsWith('/') || config.baseTopic.endsWith('/')) problems.push(`${where}: must not start or end with "/"`);
      const first = topics.get(config.baseTopic);
      if (first !== undefined) problems.push(`${where}: "${config.baseTopic}" is already used by gateways[${first}]; one base topic is one gateway`);
      else topics.set(config.baseTopic, index);
    }
    return problems;
  },
  hints: {
    url: 'expected e.g. mqtt://192.168.1.10:1883',
    baseTopic: 'letters, digits, _ - and /, no wildcards',
  },
};
