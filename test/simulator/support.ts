/**
 * Test support for the simulator: brokers (in-process aedes on a loopback ephemeral port,
 * plus the broker at MQTT_URL when set) and an MQTT subscriber that records what a bridge
 * would see, so assertions are made on real MQTT traffic rather than on internals.
 */
import { createServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';

export interface Broker {
  url: string;
  close(): Promise<void>;
}

export interface BrokerFactory {
  name: string;
  start(): Promise<Broker>;
}

async function startAedes(): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve()))),
  };
}

export function brokers(): BrokerFactory[] {
  const list: BrokerFactory[] = [{ name: 'aedes', start: startAedes }];
  const external = process.env['MQTT_URL'];
  if (external) list.push({ name: `external ${external}`, start: async () => ({ url: external, close: async () => {} }) });
  return list;
}

let counter = 0;
/** A base topic nobody else uses, so retained messages on a shared broker never collide. */
export function uniqueBase(): string {
  return `simtest-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export interface Message {
  /** Topic without the `<base>/` prefix. */
  suffix: string;
  text: string;
  retain: boolean;
  at: number;
}

export class Recorder {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];
  private transactionCounter = 0;

  private constructor(
    private readonly client: MqttClient,
    readonly base: string,
  ) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        suffix: topic.slice(base.length + 1),
        text: payload.toString(),
        retain: packet.retain,
        at: Date.now(),
      });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, base: string): Promise<Recorder> {
    const client = await connectAsync(url, { reconnectPeriod: 0 });
    // Without this every publish after a PUBACK waits ~40 ms for a delayed TCP ACK.
    if (client.stream instanceof Socket) client.stream.setNoDelay(true);
    const recorder = new Recorder(client, base);
    await client.subscribeAsync(`${base}/#`, { qos: 1 });
    return recorder;
  }

  /** Parsed JSON payloads received on one topic suffix, oldest first (empty payloads skipped). */
  json(suffix: string): unknown[] {
    return this.messages.filter((m) => m.suffix === suffix && m.text !== '').map((m) => JSON.parse(m.text) as unknown);
  }

  latest(suffix: string): unknown {
    return this.json(suffix).at(-1);
  }

  /** Waits for a message, searching from `from` (an index into `messages`), and returns it. */
  async waitFor(predicate: (message: Message) => boolean, timeoutMs = 3_000, from = 0): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    let index = from;
    for (;;) {
      for (; index < this.messages.length; index++) {
        const message = this.messages[index];
        if (message && predicate(message)) return message;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for a message`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a JSON message on `suffix` whose payload satisfies `predicate`. */
  async waitForJson<T = Record<string, unknown>>(
    suffix: string,
    predicate: (payload: T) => boolean = () => true,
    timeoutMs = 3_000,
    from = 0,
  ): Promise<T> {
    const message = await this.waitFor(
      (m) => m.suffix === suffix && m.text !== '' && predicate(JSON.parse(m.text) as T),
      timeoutMs,
      from,
    );
    return JSON.parse(message.text) as T;
  }

  async publish(suffix: string, payload: string | object): Promise<void> {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await this.client.publishAsync(`${this.base}/${suffix}`, text, { qos: 1 });
  }

  /** Sends a command the way the bridge does and returns the transaction id. */
  async send(deviceId: string, body: object, source = 'test'): Promise<string> {
    const transaction = `t-${++this.transactionCounter}-${Math.random().toString(36).slice(2, 8)}`;
    await this.publish(`${deviceId}/set`, { ...body, transaction, source });
    return transaction;
  }

  /** Sends a command and waits for its answer on bridge/response. */
  async command(deviceId: string, body: object, timeoutMs = 3_000): Promise<Response> {
    const transaction = await this.send(deviceId, body);
    return this.responseTo(transaction, timeoutMs);
  }

  responseTo(transaction: string, timeoutMs = 3_000): Promise<Response> {
    return this.waitForJson<Response>('bridge/response', (r) => r.transaction === transaction, timeoutMs);
  }

  responsesTo(transaction: string): Response[] {
    return (this.json('bridge/response') as Response[]).filter((r) => r.transaction === transaction);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

export interface Response {
  transaction: string;
  status: 'ok' | 'error';
  error?: string;
  message?: string;
}

export interface CoverStatePayload {
  position: number;
  target: number;
  motion: 'opening' | 'closing' | 'stopped';
  obstructed: boolean;
  rain?: boolean;
  battery?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
