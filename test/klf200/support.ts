/**
 * The emulated KLF 200 for tests: its own random loopback address (port 51200 is fixed by the
 * KLF API, so every test server needs its own address), a certificate made at test time.
 */
import { makeEmulatorCertificate, type EmulatorCertificate } from '../../src/simulator/klf200/cert.js';
import { KlfEmulator, type KlfEmulatorOptions } from '../../src/simulator/klf200/emulator.js';
import { Klf200Gateway, type Klf200GatewayConfig } from '../../src/gateway/klf200/gateway.js';
import type { Logger } from '../../src/logger.js';
import type { DeviceDescriptor, DeviceState } from '../../src/gateway/types.js';
import { recordingLogger, waitFor } from '../helpers/log.js';

export const PASSWORD = 'velux123';

let cached: EmulatorCertificate | undefined;
export function certificate(): EmulatorCertificate {
  cached ??= makeEmulatorCertificate();
  return cached;
}

function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 253);
  return `127.${b()}.${b()}.${b()}`;
}

export async function startEmulator(options: Partial<KlfEmulatorOptions> = {}): Promise<KlfEmulator> {
  const cert = certificate();
  for (let attempt = 0; ; attempt++) {
    const emulator = new KlfEmulator({ host: randomLoopback(), password: PASSWORD, cert: cert.cert, key: cert.key, fullTravelMs: 2000, tickMs: 100, ...options });
    try {
      await emulator.start();
      return emulator;
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
}

/** Fast timeouts for tests; production defaults are in docs/klf200.md. */
export const FAST = { commandTimeoutMs: 1500, keepAliveMs: 500, rainPollMs: 1000, reconnectMaxMs: 2000, bootGraceMs: 3000 };

export function gatewayFor(emulator: KlfEmulator, log: Logger, extra: Partial<Klf200GatewayConfig> = {}): Klf200Gateway {
  return new Klf200Gateway(
    { type: 'klf200', name: 'KLF', host: emulator.host, password: PASSWORD, fingerprint: certificate().fingerprint, ...FAST, ...extra },
    log,
  );
}

export const WINDOW = '53362726102f0080';
export const BLIND = '53362726102f0081';
export const SHUTTER = '53362726102f0082';
export const LIVING_WINDOW = '53362726102f0083';
export const AWNING = '53362726102f0084';

/** Stops what `connected` started; call from afterEach. */
export const cleanups: Array<() => Promise<void>> = [];
export async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** An emulator and a started, online gateway, with every device list, state and online change recorded. */
export async function connected(options: Partial<KlfEmulatorOptions> = {}, extra: Partial<Klf200GatewayConfig> = {}) {
  const emulator = await startEmulator(options);
  const log = recordingLogger();
  const gateway = gatewayFor(emulator, log, extra);
  const lists: DeviceDescriptor[][] = [];
  const states = new Map<string, DeviceState[]>();
  const onlineChanges: Array<{ at: number; online: boolean }> = [];
  gateway.on('devices', (list) => lists.push(list));
  gateway.on('state', (id, s) => states.set(id, [...(states.get(id) ?? []), s]));
  gateway.on('online', (online) => onlineChanges.push({ at: Date.now(), online }));
  cleanups.push(async () => {
    await gateway.stop();
    await emulator.stop();
  });
  await gateway.start();
  await waitFor(() => gateway.online, 10_000, 'the gateway online');
  const last = (id: string) => states.get(id)?.at(-1) ?? {};
  return { emulator, gateway, log, lists, states, last, onlineChanges };
}
