/**
 * Per-device command serialisation, latest wins.
 * - A command waits one event-loop turn before it is sent, so a burst of writes in the same
 *   turn (a slider dragged in the Home app) becomes one gateway command.
 * - While a command is in flight, a newer one replaces whatever is still waiting; nothing is
 *   sent twice, and every caller gets an answer: replaced callers get the answer of the
 *   command that replaced them, marked `superseded`.
 */
import type { CommandResult, CommandSource, DeviceCommand } from '../gateway/types.js';
import type { HomeDevice } from './model.js';

type Send = (device: HomeDevice, command: DeviceCommand, source: CommandSource) => Promise<CommandResult>;

interface Waiting {
  device: HomeDevice;
  command: DeviceCommand;
  source: CommandSource;
  callers: Array<{ resolve: (r: CommandResult) => void; superseded: boolean }>;
}

interface Lane {
  inFlight: boolean;
  waiting?: Waiting;
  scheduled: boolean;
}

export class CommandPath {
  private readonly lanes = new Map<string, Lane>();
  private stopped = false;

  constructor(private readonly send: Send) {}

  submit(device: HomeDevice, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    if (this.stopped) return Promise.resolve({ ok: false, error: 'gateway_offline', message: 'the plugin is shutting down' });
    return new Promise((resolve) => {
      let lane = this.lanes.get(device.key);
      if (!lane) {
        lane = { inFlight: false, scheduled: false };
        this.lanes.set(device.key, lane);
      }
      const previous = lane.waiting?.callers.map((c) => ({ ...c, superseded: true })) ?? [];
      lane.waiting = { device, command, source, callers: [...previous, { resolve, superseded: false }] };
      this.schedule(device.key, lane);
    });
  }

  /** Answers everything waiting for a device that went away. */
  forget(key: string, result: CommandResult): void {
    const lane = this.lanes.get(key);
    if (!lane?.waiting) return;
    const waiting = lane.waiting;
    lane.waiting = undefined;
    for (const c of waiting.callers) c.resolve({ ...result, superseded: c.superseded || undefined });
  }

  stop(): void {
    this.stopped = true;
    for (const key of this.lanes.keys()) this.forget(key, { ok: false, error: 'gateway_offline', message: 'the plugin is shutting down' });
  }

  private schedule(key: string, lane: Lane): void {
    if (lane.inFlight || lane.scheduled) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      void this.flush(key, lane);
    });
  }

  private async flush(key: string, lane: Lane): Promise<void> {
    const waiting = lane.waiting;
    if (!waiting || lane.inFlight) return;
    lane.waiting = undefined;
    lane.inFlight = true;
    let result: CommandResult;
    try {
      result = await this.send(waiting.device, waiting.command, waiting.source);
    } catch (err) {
      result = { ok: false, error: 'internal', message: err instanceof Error ? err.message : String(err) };
    }
    lane.inFlight = false;
    for (const c of waiting.callers) c.resolve(c.superseded ? { ...result, superseded: true } : result);
    if (lane.waiting) this.schedule(key, lane);
    else this.lanes.delete(key);
  }
}
