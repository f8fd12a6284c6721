/**
 * The MQTT gateway emulator's tracked publishes (src/simulator/mqtt/publisher.ts) against a real
 * aedes broker that holds back its acknowledgement of chosen publishes, as a busy broker would.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { TrackedPublisher } from '../../src/simulator/mqtt/publisher.js';

interface HoldingBroker {
  url: string;
  /** Acknowledges every held publish. */
  release(): void;
  /** Resolves once the broker holds `count` publishes. */
  holding(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Publishes to a topic ending in `/held` are acknowledged only on `release()`. */
async function holdingBroker(): Promise<HoldingBroker> {
  const held: Array<() => void> = [];
  const aedes = await Aedes.createBroker({
    authorizePublish: (_client, packet, callback) => {
      if (packet.topic.endsWith('/held')) held.push(() => callback(null));
      else callback(null);
    },
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release: () => held.splice(0).forEach((ack) => ack()),
    holding: async (count) => {
      while (held.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    close: () => new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve()))),
  };
}

describe('TrackedPublisher.flush', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ broker: HoldingBroker; client: MqttClient; publisher: TrackedPublisher; logged: string[] }> {
    const broker = await holdingBroker();
    cleanups.push(() => broker.close());
    const client = await connectAsync(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    const logged: string[] = [];
    return { broker, client, publisher: new TrackedPublisher('home/', (m) => logged.push(m)), logged };
  }

  it('waits for what was published before it, not for what is published while it waits', async () => {
    const { broker, client, publisher, logged } = await setUp();
    publisher.publish(client, 'first/held', { n: 1 });
    let flushed = false;
    const flush = publisher.flush(client, 5_000).then(() => (flushed = true));
    // A home simulated fast keeps publishing while the start-up flush waits.
    publisher.publish(client, 'second/held', { n: 2 });
    await broker.holding(2);
    expect(flushed).toBe(false); // the first is not acknowledged yet
    broker.release(); // acknowledges the first ...
    publisher.publish(client, 'third/held', { n: 3 }); // ... and a newer one stays outstanding
    await flush;
    expect(flushed).toBe(true);
    await broker.holding(1);
    broker.release();
    await publisher.flush(client, 5_000);
    expect(logged).toEqual([]);
  });

  it('fails with a clear message when the broker does not acknowledge in time', async () => {
    const { client, publisher } = await setUp();
    publisher.publish(client, 'never/held', 'x');
    await expect(publisher.flush(client, 200)).rejects.toThrow('broker did not acknowledge publishes within 200 ms');
  });

  it('returns at once when nothing is outstanding', async () => {
    const { client, publisher } = await setUp();
    publisher.publish(client, 'quick', 'x');
    await publisher.flush(client, 5_000);
    await expect(publisher.flush(client, 1)).resolves.toBeUndefined();
  });
});
