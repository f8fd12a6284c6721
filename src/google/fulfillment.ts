/**
 * Smart-home fulfillment: SYNC, QUERY, EXECUTE and DISCONNECT through actions-on-google's
 * `smarthome()` app. The caller has already authenticated the request; the person it acts
 * for travels with the request in an AsyncLocalStorage context.
 *
 * EXECUTE answers from the home's own answer: SUCCESS only when the gateway accepted the
 * command, otherwise ERROR/OFFLINE with the code chosen in execute-errors.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  SmartHomeApp,
  SmartHomeV1ExecuteRequest,
  SmartHomeV1ExecuteResponse,
  SmartHomeV1ExecuteResponseCommands,
  SmartHomeV1QueryRequest,
  SmartHomeV1QueryResponse,
  SmartHomeV1SyncRequest,
  SmartHomeV1SyncResponse,
} from 'actions-on-google';
import type { CommandResult, CommandSource, DeviceCommand } from '../gateway/types.js';
import type { Logger } from '../logger.js';
import type { Action, HomeView, States } from './devices/types.js';
import { executeFailure } from './execute-errors.js';
import { googleEntities, googleEntity } from './mapping.js';
import type { LinkedUser } from './oauth-model.js';
import type { ExecutionInput, SmartHomeRequest } from './request-schema.js';
import type { SecondaryVerification, Verdict } from './verification.js';

/** Google gives up on an EXECUTE after several seconds; answer before it does. */
export const EXECUTE_DEADLINE_MS = 7_000;
const SOURCE: CommandSource = 'google';

/** The home as the fulfillment uses it; `Home` satisfies it. */
export interface FulfillmentHome extends HomeView {
  command(key: string, command: DeviceCommand, source: CommandSource): Promise<CommandResult>;
  setAway(away: boolean, source: CommandSource): Promise<CommandResult>;
  setRoomClimateEnabled(room: string, enabled: boolean, source: CommandSource): void;
}

export interface FulfillmentOptions {
  home: FulfillmentHome;
  verification: SecondaryVerification;
  log: Logger;
  willReportState: boolean;
  /** After a SYNC answer (Report State sends that person everything once). */
  onSync?: (person: LinkedUser) => void;
  /** DISCONNECT: revoke the person's tokens and stop reporting to them. */
  onDisconnect: (person: LinkedUser) => void;
  executeDeadlineMs?: number;
}

type Verify = ReturnType<SecondaryVerification['forRequest']>;

export class Fulfillment {
  private readonly context = new AsyncLocalStorage<LinkedUser>();

  private constructor(
    private readonly app: SmartHomeApp,
    private readonly options: FulfillmentOptions,
  ) {
    app.onSync((body) => this.sync(body));
    app.onQuery((body) => this.query(body));
    app.onExecute((body) => this.execute(body));
    app.onDisconnect(() => this.disconnect());
  }

  static async create(options: FulfillmentOptions): Promise<Fulfillment> {
    // Loaded on demand: the library pulls in googleapis, which nobody needs without Google.
    const { smarthome } = await import('actions-on-google');
    return new Fulfillment(smarthome(), options);
  }

  /** Answers one validated request for an authenticated person. */
  async handle(request: SmartHomeRequest, person: LinkedUser): Promise<unknown> {
    const result = await this.context.run(person, () => this.app.handler(request as unknown as Parameters<SmartHomeApp['handler']>[0], {}));
    return result.body;
  }

  private person(): LinkedUser {
    const person = this.context.getStore();
    if (!person) throw new Error('fulfillment called outside an authenticated request');
    return person;
  }

  private sync(body: SmartHomeV1SyncRequest): SmartHomeV1SyncResponse {
    const person = this.person();
    const devices = googleEntities(this.options.home).map((e) => e.sync(this.options.willReportState));
    this.options.log.debug(`Google Home: SYNC for ${person.name}: ${devices.length} device(s)`);
    if (this.options.onSync) setImmediate(() => this.options.onSync?.(person));
    return { requestId: body.requestId, payload: { agentUserId: person.id, devices: devices as SmartHomeV1SyncResponse['payload']['devices'] } };
  }

  private query(body: SmartHomeV1QueryRequest): SmartHomeV1QueryResponse {
    // Null prototype: ids such as "__proto__" are answered like any other, not swallowed.
    const devices = Object.create(null) as Record<string, States>;
    for (const input of body.inputs) {
      for (const { id } of input.payload.devices) {
        devices[id] = googleEntity(this.options.home, id)?.query() ?? { online: false, status: 'ERROR', errorCode: 'deviceNotFound' };
      }
    }
    return { requestId: body.requestId, payload: { devices } };
  }

  private async execute(body: SmartHomeV1ExecuteRequest): Promise<SmartHomeV1ExecuteResponse> {
    const person = this.person();
    const verify = this.options.verification.forRequest(person);
    const work: Array<Promise<SmartHomeV1ExecuteResponseCommands>> = [];
    for (const input of body.inputs) {
      for (const command of input.payload.commands) {
        for (const target of command.devices) {
          work.push(this.executeOn(target.id, command.execution as ExecutionInput[], verify, person));
        }
      }
    }
    return { requestId: body.requestId, payload: { commands: await Promise.all(work) } };
  }

  private async executeOn(id: string, executions: ExecutionInput[], verify: Verify, person: LinkedUser): Promise<SmartHomeV1ExecuteResponseCommands> {
    const { home, log } = this.options;
    let states: States = {};
    for (const execution of executions) {
      // Fresh per step: a previous step may have changed what the home knows.
      const entity = googleEntity(home, id);
      if (!entity) return { ids: [id], status: 'ERROR', errorCode: 'deviceNotFound' };
      if (!entity.online()) return { ids: [id], status: 'OFFLINE', errorCode: 'deviceOffline' };
      const plan = entity.plan(execution);
      if (!plan.ok) {
        log.debug(`Google Home: ${person.name}: ${execution.command} on ${id} refused (${plan.errorCode}${plan.detail ? `: ${plan.detail}` : ''})`);
        return { ids: [id], status: plan.status ?? 'ERROR', errorCode: plan.errorCode };
      }
      if (plan.sensitive) {
        const verdict = verify(plan.sensitive, execution.challenge, home.away);
        if (!verdict.ok) return challengeAnswer(id, verdict);
      }
      const result = await this.run(plan.action);
      const failure = executeFailure(result);
      if (failure) {
        log.info(`Google Home: ${person.name}: ${describeAction(plan.action)} failed: ${result.ok ? 'replaced by a newer command' : result.message}`);
        return { ids: [id], status: failure.status, errorCode: failure.errorCode };
      }
      log.debug(`Google Home: ${person.name}: ${describeAction(plan.action)}`);
      states = { ...states, ...plan.action.states };
    }
    return { ids: [id], status: 'SUCCESS', states: { online: true, ...states } };
  }

  private run(action: Action): Promise<CommandResult> {
    const { home } = this.options;
    switch (action.kind) {
      case 'device':
        return withDeadline(home.command(action.key, action.command, SOURCE), this.options.executeDeadlineMs ?? EXECUTE_DEADLINE_MS);
      case 'away':
        return withDeadline(home.setAway(action.away, SOURCE), this.options.executeDeadlineMs ?? EXECUTE_DEADLINE_MS);
      case 'roomClimate':
        home.setRoomClimateEnabled(action.room, action.enabled, SOURCE);
        return Promise.resolve({ ok: true });
    }
  }

  private disconnect(): Record<string, never> {
    this.options.onDisconnect(this.person());
    return {};
  }
}

function challengeAnswer(id: string, verdict: Exclude<Verdict, { ok: true }>): SmartHomeV1ExecuteResponseCommands {
  if ('challenge' in verdict) return { ids: [id], status: 'ERROR', errorCode: 'challengeNeeded', challengeNeeded: { type: verdict.challenge } };
  return { ids: [id], status: 'ERROR', errorCode: verdict.errorCode };
}

function withDeadline(work: Promise<CommandResult>, ms: number): Promise<CommandResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CommandResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: 'timeout', message: `no answer within ${ms} ms` }), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function describeAction(action: Action): string {
  switch (action.kind) {
    case 'device':
      return `${action.key} ${'stop' in action.command ? 'stop' : 'position' in action.command ? `→ ${action.command.position} %` : `away ${action.command.away}`}`;
    case 'away':
      return `departure mode ${action.away ? 'on' : 'off'}`;
    case 'roomClimate':
      return `${action.room} climate control ${action.enabled ? 'on' : 'off'}`;
  }
}
