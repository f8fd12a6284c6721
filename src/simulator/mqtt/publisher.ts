/**
 * The MQTT gateway emulator's publishes (gateway.ts): QoS 1 under the gateway's base topic,
 * tracked per connection until the broker acknowledges them, so a caller can wait for
 * everything sent so far (`flush`). A dropped connection's publishes never settle: they are
 * forgotten with it.
 */
import type { MqttClient } from 'mqtt';

export class TrackedPublisher {
  private readonly pending = new Map<MqttClient, Set<Promise<void>>>();

  constructor(
    private readonly prefix: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Publishes on `<prefix><suffix>`; objects are sent as JSON. */
  publish(client: MqttClient, suffix: string, payload: unknown, retain = true): void {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const topic = `${this.prefix}${suffix}`;
    const pending = client.publishAsync(topic, body, { qos: 1, retain }).then(
      () => undefined,
      (error: unknown) => this.log(`publish to ${topic} failed: ${asError(error).message}`),
    );
    let set = this.pending.get(client);
    if (!set) this.pending.set(client, (set = new Set()));
    const owner = set;
    owner.add(pending);
    void pending.finally(() => owner.delete(pending));
  }

  /**
   * Resolves once the broker has acknowledged everything published so far on this connection.
   * Publishes made while waiting are not waited for: a home simulated fast publishes sensor
   * readings all the time, and waiting until none is outstanding could wait for ever.
   */
  async flush(client: MqttClient, timeoutMs: number): Promise<void> {
    const pending = this.pending.get(client);
    if (!pending || pending.size === 0) return;
    const sofar = [...pending];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`broker did not acknowledge publishes within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(sofar), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets a connection that is gone (its publishes will never be acknowledged). */
  forget(client: MqttClient): void {
    this.pending.delete(client);
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
