/**
 * The Google endpoint on 127.0.0.1 port 0 with a real Home fed by the simulated gateway over
 * aedes, and a clock the test can move forward (lock-outs expire by it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MqttGateway } from '../../../src/gateway/mqtt/gateway.js';
import { AccountStore } from '../../../src/google/accounts.js';
import { GoogleHome } from '../../../src/google/index.js';
import { accountsFile } from '../../../src/google/paths.js';
import { Home } from '../../../src/home/model.js';
import { silentLogger } from '../../../src/logger.js';
import { SimulatedHome } from '../../../src/simulator/mqtt/gateway.js';
import { startAedes, uniqueBaseTopic } from '../../helpers/broker.js';
import { googleConfig, recordingLogger, TEST_SCRYPT, waitUntil } from '../../google/helpers/bed.js';

export interface ClockedStack {
  url: string;
  base: string;
  home: Home;
  accounts: AccountStore;
  log: ReturnType<typeof recordingLogger>;
  /** Moves the plugin's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startClockedStack(options: { pin?: string; names?: string[]; trustProxy?: boolean } = {}): Promise<ClockedStack> {
  const broker = await startAedes();
  const base = uniqueBaseTopic('security');
  const sim = new SimulatedHome({ url: broker.url, baseTopic: base, timeScale: 20 });
  await sim.start();
  const gateway = new MqttGateway({ name: 'Test gateway', url: broker.url, baseTopic: base, commandTimeoutMs: 3000 }, silentLogger);
  const home = new Home({ log: silentLogger });
  home.addGateway(gateway);
  await home.start();
  await waitUntil(() => home.devices().length === sim.devices().length && home.devices().every((d) => d.reachable), 5000, 'the home to load');

  const storage = mkdtempSync(join(tmpdir(), 'velux-security-'));
  const accounts = new AccountStore(accountsFile(storage), { scrypt: TEST_SCRYPT });
  for (const [i, name] of (options.names ?? ['anna', 'ben']).entries()) await accounts.add(name, `${name}-password`, i === 0 ? undefined : 'guest');
  let offset = 0;
  const log = recordingLogger();
  const google = new GoogleHome({
    home,
    log,
    storageDir: storage,
    config: googleConfig({ pin: options.pin, trustProxy: options.trustProxy ?? true }),
    now: () => Date.now() + offset,
    tuning: { scrypt: TEST_SCRYPT },
  });
  const { url } = await google.start();
  return {
    url,
    base,
    home,
    accounts,
    log,
    advance: (ms) => (offset += ms),
    async close() {
      await google.stop();
      await home.stop();
      await sim.stop();
      await broker.close();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
