/**
 * MQTT brokers for tests: an in-process aedes on a loopback ephemeral port, and, when
 * MQTT_URL is set (CI starts Mosquitto), that real broker too.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  name: string;
  url: string;
  close(): Promise<void>;
}

export async function startAedes(): Promise<TestBroker & { server: Server; aedes: Aedes }> {
  const aedes = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    server,
    aedes,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
        // Connected clients keep the server open; closing aedes disconnects them.
      }),
  };
}

/** The brokers a protocol test should run against: aedes always, Mosquitto when MQTT_URL is set. */
export function brokerFactories(): Array<{ name: string; start: () => Promise<TestBroker> }> {
  const list: Array<{ name: string; start: () => Promise<TestBroker> }> = [{ name: 'aedes', start: startAedes }];
  const external = process.env.MQTT_URL;
  if (external) list.push({ name: 'mosquitto', start: async () => ({ name: 'mosquitto', url: external, close: async () => {} }) });
  return list;
}

let topicCounter = 0;
/** A base topic no other test uses, so retained messages on a shared broker never collide. */
export function uniqueBaseTopic(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++topicCounter}`;
}
