/**
 * A real Mosquitto for fault injection: started by the test on a free loopback port with
 * persistence (so retained messages survive a restart, as on a real installation), killed
 * with SIGKILL and started again on the same port with the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export function mosquittoAvailable(): boolean {
  try {
    accessSync(MOSQUITTO_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class MosquittoProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  /** How many times it was started. */
  starts = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(): Promise<MosquittoProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'vc-mosquitto-'));
    // Started as root, Mosquitto drops to its own user: it must still be able to save here.
    chmodSync(dir, 0o777);
    const port = await freePort();
    const conf = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      // Save the retained messages every second, so a SIGKILL loses at most the last one.
      'autosave_interval 1',
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
    ].join('\n');
    writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\n`);
    return new MosquittoProcess(port, dir);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the broker; resolves with the moment it accepted its first connection. */
  async start(timeoutMs = 5000): Promise<number> {
    if (this.child) throw new Error('mosquitto is already running');
    const child = spawn(MOSQUITTO_BIN, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void this.exited.then(() => (gone = true));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await accepts(this.port)) return Date.now();
      if (gone) {
        this.child = undefined;
        throw new Error(`mosquitto exited at start: ${stderr.trim()} ${this.logTail()}`);
      }
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.port} within ${timeoutMs} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** SIGKILL, as a crash or power cut would: no clean shutdown, no last save. Resolves once it is gone. */
  async kill(): Promise<number> {
    const child = this.child;
    if (!child) throw new Error('mosquitto is not running');
    child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
    return Date.now();
  }

  /** Stops it (if running) and removes its files. */
  async dispose(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      this.child = undefined;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 20): string {
    const file = join(this.dir, 'mosquitto.log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '';
  }
}
