/**
 * An in-memory gateway whose every event the test emits itself: for tests of the home, the
 * climate controller, Google and the CLI that need exact control rather than an MQTT broker.
 */
import { EventEmitter } from 'node:events';
import type { CommandResult, CommandSource, DeviceCommand, Gateway, GatewayEvents } from '../../src/gateway/types.js';

export interface ScriptedGatewayOptions {
  /** Online from the start (default true). */
  online?: boolean;
  /** Behave like the hardware: a position command moves the device there at once. */
  moves?: boolean;
}

export class ScriptedGateway extends EventEmitter<GatewayEvents> implements Gateway {
  readonly key = 'gw';
  readonly name = 'Scripted';
  online: boolean;
  readonly sent: Array<{ deviceId: string; command: DeviceCommand; source: CommandSource }> = [];
  /** What every command is answered with. */
  answer: CommandResult = { ok: true };
  private readonly moves: boolean;

  constructor(options: ScriptedGatewayOptions = {}) {
    super();
    this.online = options.online ?? true;
    this.moves = options.moves ?? false;
  }

  async start() {
    if (this.online) this.emit('online', true);
  }

  async stop() {}

  refresh() {}

  async send(deviceId: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult> {
    this.sent.push({ deviceId, command, source });
    if (this.moves && 'position' in command) this.emit('state', deviceId, { position: command.position, target: command.position, motion: 'stopped' });
    return this.answer;
  }

  setOnline(online: boolean) {
    this.online = online;
    this.emit('online', online);
  }
}
