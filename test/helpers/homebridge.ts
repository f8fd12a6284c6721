/**
 * A real Homebridge process with this plugin, for end-to-end tests: a temporary storage
 * directory with config.json, `homebridge -I -U <storage> -P <repo> --strict-plugin-resolution`
 * loading the plugin from dist/, and a paired HAP controller (hap-controller's HttpClient)
 * talking to the bridge over loopback. Everything stays on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hapController from 'hap-controller';

const { HttpClient } = hapController;
type HttpClientInstance = InstanceType<typeof HttpClient>;
export type PairingData = NonNullable<ReturnType<HttpClientInstance['getLongTermData']>>;

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The Homebridge package the tests run: the devDependency (2.x), or another installed copy named
 * by TEST_HOMEBRIDGE_DIR (its package folder), e.g. Homebridge 1.8 in .ci/run:
 * `npm install --prefix /tmp/hb18 homebridge@~1.8` and TEST_HOMEBRIDGE_DIR=/tmp/hb18/node_modules/homebridge.
 */
export const HOMEBRIDGE_DIR = process.env.TEST_HOMEBRIDGE_DIR || join(REPO_ROOT, 'node_modules', 'homebridge');
const homebridgePackage = JSON.parse(readFileSync(join(HOMEBRIDGE_DIR, 'package.json'), 'utf8')) as { version: string; bin: { homebridge: string } };
/** bin/homebridge.js on 2.x, bin/homebridge on 1.x. */
const HOMEBRIDGE_BIN = join(HOMEBRIDGE_DIR, homebridgePackage.bin.homebridge);
/** That Homebridge's version, e.g. "1.8.5" (Matter exists from 2.0 on). */
export const HOMEBRIDGE_VERSION = homebridgePackage.version;
export const DEFAULT_PIN = '031-45-154';

export interface HomebridgeOptions {
  /** Platform blocks for config.json. */
  platforms: Array<Record<string, unknown>>;
  /** Reuse a storage directory (a restart); default: a new temporary one. */
  storagePath?: string;
  /** Bridge MAC-style username; default a random locally administered one (0E:…). */
  username?: string;
  /** HAP port; default a free loopback port. */
  port?: number;
  pin?: string;
  /** Echo Homebridge's output to the console while it runs. */
  echo?: boolean;
  /** Start with -D (debug logging). */
  debug?: boolean;
  /** Where Homebridge loads the plugin from (-P). Default: this repository (its dist/). */
  pluginPath?: string;
  /** How long to wait for the bridge to be published. Default 30 s. */
  startTimeoutMs?: number;
  /** A `bridge.matter` block (Homebridge 2): Matter on for the main bridge. */
  matter?: Record<string, unknown>;
}

/** Every Homebridge this module started and has not seen exit: killed when the test process ends. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class RunningHomebridge {
  private output = '';
  private readonly exit: Promise<number | null>;

  private constructor(
    readonly options: Required<Pick<HomebridgeOptions, 'platforms' | 'storagePath' | 'username' | 'port' | 'pin'>> & HomebridgeOptions,
    private readonly child: ChildProcess,
    /** Whether the storage directory is ours to delete. */
    private readonly ownsStorage: boolean,
  ) {
    running.add(child);
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output += text;
      if (options.echo) process.stdout.write(text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
  }

  static start(options: HomebridgeOptions): Promise<RunningHomebridge> {
    return RunningHomebridge.launch(options, !options.storagePath);
  }

  private static async launch(options: HomebridgeOptions, ownsStorage: boolean): Promise<RunningHomebridge> {
    ensureBuilt();
    const storagePath = options.storagePath ?? mkdtempSync(join(tmpdir(), 'velux-homebridge-'));
    const resolved = {
      ...options,
      storagePath,
      username: options.username ?? randomUsername(),
      port: options.port ?? (await freePort()),
      pin: options.pin ?? DEFAULT_PIN,
    };
    const config = {
      bridge: {
        name: 'VELUX Test Bridge',
        username: resolved.username,
        port: resolved.port,
        pin: resolved.pin,
        // Matter's mDNS wants an interface name; HAP takes either (lo = 127.0.0.1 and ::1).
        bind: options.matter ? ['lo'] : ['127.0.0.1'],
        ...(options.matter ? { matter: options.matter } : {}),
      },
      accessories: [],
      platforms: resolved.platforms,
    };
    writeFileSync(join(storagePath, 'config.json'), JSON.stringify(config, null, 2));
    const args = [HOMEBRIDGE_BIN, '-I', '-Q', '-T', '-U', storagePath, '-P', options.pluginPath ?? REPO_ROOT, '--strict-plugin-resolution'];
    if (options.debug) args.push('-D');
    // Homebridge keeps Matter storage only under ~/.homebridge, /var/lib/homebridge or the working directory.
    const cwd = options.matter ? storagePath : REPO_ROOT;
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const homebridge = new RunningHomebridge(resolved, child, ownsStorage);
    try {
      await homebridge.waitForOutput(/is running on port \d+/, options.startTimeoutMs ?? 30_000);
    } catch (error) {
      await homebridge.dispose();
      throw error;
    }
    return homebridge;
  }

  get storagePath(): string {
    return this.options.storagePath;
  }

  get port(): number {
    return this.options.port;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything Homebridge printed so far. */
  log(): string {
    return this.output;
  }

  /** Resolves with the matching line once Homebridge prints it. */
  async waitForOutput(pattern: RegExp | string, timeoutMs = 10_000, fromOffset = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const test = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
    let exited = false;
    void this.exit.then(() => (exited = true));
    for (;;) {
      const text = this.output.slice(fromOffset);
      const line = text.split('\n').find(test);
      if (line !== undefined) return line;
      if (exited) throw new Error(`Homebridge exited before printing ${String(pattern)}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`Homebridge did not print ${String(pattern)} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM (Homebridge saves its cache and runs the plugin's shutdown), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exit;
    clearTimeout(killer);
  }

  /** Stops and starts again with the same storage, bridge identity and port (the new one owns the storage now). */
  async restart(): Promise<RunningHomebridge> {
    await this.stop();
    return RunningHomebridge.launch({ ...this.options }, this.ownsStorage);
  }

  /** Stops and deletes the temporary storage directory if this harness created it. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsStorage) rmSync(this.options.storagePath, { recursive: true, force: true });
  }
}

export function startHomebridge(options: HomebridgeOptions): Promise<RunningHomebridge> {
  return RunningHomebridge.start(options);
}

// ---- HAP controller ------------------------------------------------------------------------

export interface HapCharacteristic {
  aid: number;
  iid: number;
  type: string;
  value?: unknown;
  perms: string[];
  format?: string;
  status?: number;
}

export interface HapService {
  iid: number;
  type: string;
  characteristics: HapCharacteristic[];
}

export interface HapAccessory {
  aid: number;
  services: HapService[];
}

/**
 * A paired controller for one bridge, over loopback with persistent connections (as the
 * Home app keeps them), plus helpers to find characteristics by accessory name and type.
 */
export class HapController {
  readonly client: HttpClientInstance;

  constructor(homebridge: { port: number; options: { username: string } }, pairing?: PairingData) {
    this.client = new HttpClient(homebridge.options.username, '127.0.0.1', homebridge.port, pairing, {
      usePersistentConnections: true,
    });
  }

  /** Pairs with the bridge's setup code (first use of a fresh bridge). */
  static async pair(homebridge: RunningHomebridge): Promise<HapController> {
    const controller = new HapController(homebridge);
    await controller.client.pairSetup(homebridge.options.pin);
    return controller;
  }

  get pairing(): PairingData {
    const data = this.client.getLongTermData();
    if (!data) throw new Error('not paired');
    return data;
  }

  async accessories(): Promise<HapAccessory[]> {
    const result = (await within(this.client.getAccessories(), 'listing accessories')) as unknown as { accessories: HapAccessory[] };
    return result.accessories.map((a) => ({
      aid: Number(a.aid),
      services: a.services.map((s) => ({
        ...s,
        iid: Number(s.iid),
        type: longUuid(s.type),
        characteristics: s.characteristics.map((c) => ({ ...c, aid: Number(a.aid), iid: Number(c.iid), type: longUuid(c.type) })),
      })),
    }));
  }

  /** Reads characteristics ("aid.iid"); each result has `value` or a HAP `status`. */
  async read(...ids: string[]): Promise<Array<{ aid: number; iid: number; value?: unknown; status?: number }>> {
    const result = (await within(this.client.getCharacteristics(ids), `reading ${ids.join(',')}`)) as unknown as {
      characteristics: Array<{ aid: number; iid: number; value?: unknown; status?: number }>;
    };
    return result.characteristics.map((c) => ({ ...c, aid: Number(c.aid), iid: Number(c.iid) }));
  }

  /** Writes one characteristic; resolves with the HAP status (0 = success). */
  async write(id: string, value: unknown): Promise<number> {
    const result = (await within(this.client.setCharacteristics({ [id]: value }), `writing ${id}`)) as {
      characteristics?: Array<{ status?: number }>;
    };
    return result.characteristics?.[0]?.status ?? 0;
  }

  async close(): Promise<void> {
    try {
      await within(this.client.unsubscribeCharacteristics(), 'unsubscribing', 2000);
    } catch {}
    this.client.closePersistentConnection();
    await this.client.close().catch(() => undefined);
  }
}

/** HAP short UUIDs ("8B") to the full form used by HAP-NodeJS ("0000008B-0000-1000-8000-0026BB765291"). */
export function longUuid(type: string): string {
  const upper = String(type).toUpperCase();
  if (upper.includes('-')) return upper;
  return `${upper.padStart(8, '0')}-0000-1000-8000-0026BB765291`;
}

/** `"aid.iid"` of the characteristic `charType` in service `serviceType` of the accessory named `name`. */
export function findCharacteristic(
  accessories: HapAccessory[],
  name: string,
  serviceType: string,
  charType: string,
): HapCharacteristic & { id: string } {
  const accessory = accessories.find((a) => accessoryName(a) === name);
  if (!accessory) throw new Error(`no accessory named "${name}" (have ${accessories.map(accessoryName).join(', ')})`);
  const service = accessory.services.find((s) => s.type === serviceType.toUpperCase());
  if (!service) throw new Error(`"${name}" has no service ${serviceType}`);
  const characteristic = service.characteristics.find((c) => c.type === charType.toUpperCase());
  if (!characteristic) throw new Error(`"${name}" has no characteristic ${charType} in service ${serviceType}`);
  return { ...characteristic, id: `${accessory.aid}.${characteristic.iid}` };
}

const ACCESSORY_INFORMATION = longUuid('3E');
const NAME = longUuid('23');
const SERIAL_NUMBER = longUuid('30');

export function accessoryName(accessory: HapAccessory): string {
  return String(infoValue(accessory, NAME) ?? '');
}

export function accessorySerial(accessory: HapAccessory): string {
  return String(infoValue(accessory, SERIAL_NUMBER) ?? '');
}

function infoValue(accessory: HapAccessory, type: string): unknown {
  return accessory.services.find((s) => s.type === ACCESSORY_INFORMATION)?.characteristics.find((c) => c.type === type)?.value;
}

// ---- plumbing ------------------------------------------------------------------------------

/** HAP requests answer within HAP-NodeJS's own 10 s limit; fail instead of hanging a suite. */
function within<T>(promise: Promise<T>, what: string, ms = 12_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`HAP controller: ${what} got no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** A free TCP port on loopback (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A random, locally administered MAC-style bridge username, e.g. 0E:4F:…. */
export function randomUsername(): string {
  const bytes = [0x0e, ...randomBytes(5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/**
 * Homebridge loads the plugin from dist/: build it when it is missing or older than src/
 * (`npm test` builds in its pretest step; this covers running one e2e file directly).
 */
export function ensureBuilt(): void {
  const entry = join(REPO_ROOT, 'dist', 'index.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const newestSource = newestMtime(join(REPO_ROOT, 'src'));
  const newestBuilt = existsSync(join(REPO_ROOT, 'dist')) ? newestMtime(join(REPO_ROOT, 'dist')) : 0;
  if (built > 0 && newestBuilt >= newestSource) return;
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(REPO_ROOT, 'tsconfig.build.json')], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; only a missing entry point is fatal.
    if (!existsSync(entry)) throw new Error(`npm run build failed and dist/index.js is missing: ${String(error)}`);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (/\.(ts|js)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}
