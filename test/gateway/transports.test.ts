import { describe, expect, it } from 'vitest';
import { MqttGateway } from '../../src/gateway/mqtt/gateway.js';
import { createGateway, GATEWAY_TYPES, gatewayConfigProblems, type GatewayConfig } from '../../src/gateway/transports.js';
import { Home } from '../../src/home/model.js';
import { recordingLogger } from '../helpers/log.js';

const context = { log: recordingLogger(), storageDir: '/nonexistent' };
const mqtt = { name: 'Home', url: 'mqtt://127.0.0.1:1', baseTopic: 'velux' };

describe('the transport list', () => {
  it('builds an MQTT gateway for an entry without a type (v0.1 configs) and for type "mqtt"', async () => {
    for (const config of [mqtt, { ...mqtt, type: 'mqtt' as const }]) {
      const gateway = await createGateway(config, context);
      expect(gateway).toBeInstanceOf(MqttGateway);
      // The MQTT key stays the base topic: device keys, Google ids and climate memory of v0.1 use it.
      expect(gateway.key).toBe('velux');
      expect(gateway.name).toBe('Home');
      expect(gateway.online).toBe(false);
    }
  });

  it('refuses a type it does not know with a message naming the known ones', async () => {
    const config = { ...mqtt, type: 'zigbee' } as unknown as GatewayConfig;
    await expect(createGateway(config, context)).rejects.toThrow(`gateway "Home": unknown type "zigbee" (known: ${GATEWAY_TYPES.join(', ')})`);
    expect(gatewayConfigProblems([config])).toEqual(['gateways[0].type: "zigbee" is not a known gateway type']);
  });

  it("runs each transport's own checks over its entries, with their index in gateways[]", () => {
    const problems = gatewayConfigProblems([mqtt, { ...mqtt, name: 'Other', baseTopic: 'other/' }, { ...mqtt, name: 'Copy' }]);
    expect(problems).toEqual([
      'gateways[1].baseTopic: must not start or end with "/"',
      'gateways[2].baseTopic: "velux" is already used by gateways[0]; one base topic is one gateway',
    ]);
  });

  it('a home refuses a second gateway with the same key', async () => {
    const home = new Home({ log: recordingLogger() });
    home.addGateway(await createGateway(mqtt, context));
    const again = await createGateway({ ...mqtt, name: 'Again' }, context);
    expect(() => home.addGateway(again)).toThrow('two gateways have the key "velux"');
  });
});
