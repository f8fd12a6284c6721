/**
 * The emulated KLF 200 for tests: its own random loopback address (port 51200 is fixed by the
 * KLF API, so every test server needs its own address), a certificate made at test time.
 */
import { makeEmulatorCertificate, type EmulatorCertificate } from '../../src/simulator/klf200/cert.js';
import { KlfEmulator, type KlfEmulatorOptions } from '../../src/simulator/klf200/emulator.js';
import { Klf200Gateway, type Klf200GatewayConfig } from '../../src/gateway/klf200/gateway.js';
import type { Logger } from '../../src/logger.js';

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
