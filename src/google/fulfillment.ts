/**
 * Smart-home fulfillment: SYNC, QUERY, EXECUTE and DISCONNECT of one request that
 * request-schema.ts has validated, for the person the caller has authenticated. Our own
 * dispatch on `inputs[0].intent` (the request carries exactly one input): no library, so
 * Google Home loads no client of Google's APIs for it (docs/performance.md).
 *
 * EXECUTE answers from the home's own answer: SUCCESS only when the gateway accepted the
 * command, otherwise ERROR/OFFLINE with the code chosen in execute-errors.ts.
 */
import type { CommandResult, CommandSource, DeviceCommand } from '../gateway/types.js';
import type { Logger } from '../logger.js';
import type { Action, HomeView, States, SyncDevice } from './devices/types.js';
import { executeFailure } from './execute-errors.js';
import { googleEntities, googleEntity } from './mapping.js';
import type { LinkedUser } from './oauth-model.js';
import type { ExecuteInput, ExecutionInput, QueryInput, SmartHomeRequest } from './request-schema.js';
import type { SecondaryVerification, Verdict } from './verification.js';

/** The answers Google's smart-home API expects (developers.home.google.com, "Fulfillment"). */
export interface SyncResponse {
  requestId: string;
  payload: { agentUserId: string; devices: SyncDevice[] };
}
export interface QueryResponse {
  requestId: string;
  payload: { devices: Record<string, States> };
}
export interface ExecuteResponseCommand {
  ids: string[];
  status: 'SUCCESS' | 'OFFLINE' | 'ERROR';
  states?: States;
  errorCode?: string;
  challengeNeeded?: { type: string };
}
export interface ExecuteResponse {
  requestId: string;
  payload: { commands: ExecuteResponseCommand[] };
}
/** DISCONNECT is answered with an empty object. */
export type DisconnectResponse = Record<string, never>;
export type SmartHomeResponse = SyncResponse | QueryResponse | ExecuteResponse | DisconnectResponse;

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
  constructor(private readonly options: FulfillmentOptions) {}

  /** Answers one validated request for an authenticated person. */
  async handle(request: SmartHomeRequest, person: LinkedUser): Promise<SmartHomeResponse> {
    const input = request.inputs[0]; // request-schema.ts admits exactly one
    if (!input) throw new Error('a fulfillment request without an input');
    switch (input.intent) {
      case 'action.devices.SYNC':
        return this.sync(request.requestId, person);
      case 'action.devices.QUERY':
        return this.query(request.requestId, input);
      case 'action.devices.EXECUTE':
        return this.execute(request.requestId, input, person);
      case 'action.devices.DISCONNECT':
        this.options.onDisconnect(person);
        return {};
    }
  }

  private sync(requestId: string, person: LinkedUser): SyncResponse {
    const devices = googleEntities(this.options.home).map((e) => e.sync(this.options.willReportState));
    this.options.log.debug(`Google Home: SYNC for ${person.name}: ${devices.length} device(s)`);
    if (this.options.onSync) setImmediate(() => this.options.onSync?.(person));
    return { requestId, payload: { agentUserId: person.id, devices } };
  }

  private query(requestId: string, input: QueryInput): QueryResponse {
    // Null prototype: ids such as "__proto__" are answered like any other, not swallowed.
    const devices = Object.create(null) as Record<string, States>;
    for (const { id } of input.payload.devices) {
      devices[id] = googleEntity(this.options.home, id)?.query() ?? { online: false, status: 'ERROR', errorCode: 'deviceNotFound' };
    }
    return { requestId, payload: { devices } };
  }

  private async execute(requestId: string, input: ExecuteInput, person: LinkedUser): Promise<ExecuteResponse> {
    const verify = this.options.verification.forRequest(person);
    const work: Array<Promise<ExecuteResponseCommand>> = [];
    for (const command of input.payload.commands) {
      for (const target of command.devices) {
        work.push(this.executeOn(target.id, command.execution, verify, person));
      }
    }
    return { requestId, payload: { commands: await Promise.all(work) } };
  }

  private async executeOn(id: string, executions: ExecutionInput[], verify: Verify, person: LinkedUser): Promise<ExecuteResponseCommand> {
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

}

function challengeAnswer(id: string, verdict: Exclude<Verdict, { ok: true }>): ExecuteResponseCommand {
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
