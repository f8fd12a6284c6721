/**
 * Report State and Request Sync. State changes in the home are reported to Google for every
 * linked person, coalesced: at most one report per device per second, and the last state is
 * always sent (a change during the quiet second is sent when it ends). A device becoming
 * unreachable is reported as `online:false`. When devices are added, removed or renamed, a
 * Request Sync follows after a short quiet period. A person who DISCONNECTs gets nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { HomeDevice, HomeEvents } from '../home/model.js';
import { Subscriptions, type Emitter } from '../events.js';
import type { Logger } from '../logger.js';
import type { HomeView, QueryState, States } from './devices/types.js';
import { DEPARTURE_MODE_ID } from './devices/departure-mode.js';
import { roomClimateId } from './devices/room-climate.js';
import { GOOGLE_KINDS, googleEntities, googleEntity } from './mapping.js';

/** The two HomeGraph calls this needs (homegraph-api.ts; a fake in tests). */
export interface HomeGraphApi {
  reportState(agentUserId: string, requestId: string, states: Record<string, States>): Promise<void>;
  requestSync(agentUserId: string): Promise<void>;
}

/** The home events this listens to; `Home` satisfies it. */
export interface ReportingHome extends HomeView, Emitter<HomeEvents> {}

export interface ReportStateOptions {
  home: ReportingHome;
  api: HomeGraphApi;
  /** The agentUserIds to report to, asked at every report (links come and go). */
  agentUserIds: () => string[];
  log: Logger;
  now: () => number;
  /** Minimum time between two reports of one device. Default 1000 ms. */
  minIntervalMs?: number;
  /** Quiet period before a Request Sync. Default 2000 ms. */
  requestSyncDelayMs?: number;
}

export class ReportState {
  private readonly minIntervalMs: number;
  private readonly requestSyncDelayMs: number;
  private readonly dirty = new Set<string>();
  private readonly lastSentAt = new Map<string, number>();
  private readonly lastReported = new Map<string, string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners: Subscriptions<HomeEvents>;
  private readonly loggedProblems = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private syncSignature?: string;
  private stopped = false;

  constructor(private readonly options: ReportStateOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.requestSyncDelayMs = options.requestSyncDelayMs ?? 2000;
    this.listeners = new Subscriptions(options.home);
  }

  start(): void {
    const on = this.listeners.on.bind(this.listeners);
    const deviceChanged = (device: HomeDevice) => this.markDirty(GOOGLE_KINDS[device.descriptor.type].reportedAs(device));
    on('state', deviceChanged);
    on('reachability', deviceChanged);
    on('mode', () => this.markDirty(DEPARTURE_MODE_ID));
    on('roomClimate', (room) => this.markDirty(roomClimateId(room)));
    for (const event of ['deviceAdded', 'deviceRemoved', 'deviceChanged', 'devicesChanged'] as const) on(event, () => this.scheduleSyncCheck());
    this.syncSignature = this.signature();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    clearTimeout(this.flushTimer);
    clearTimeout(this.syncTimer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** After a SYNC: this person gets every state once, whatever was reported before. */
  reportAllTo(agentUserId: string): void {
    if (this.stopped) return;
    const now = this.options.now();
    const states: Record<string, States> = {};
    for (const entity of googleEntities(this.options.home)) {
      const state = reportable(entity.query());
      if (!state) continue;
      states[entity.id] = state;
      // Counts toward "one report per device per second"; `lastReported` stays as it is,
      // because the others have not been sent this state.
      this.lastSentAt.set(entity.id, now);
    }
    if (Object.keys(states).length > 0) this.send([agentUserId], states);
  }

  private markDirty(id: string): void {
    if (this.stopped) return;
    this.dirty.add(id);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.dirty.size === 0) return;
    const now = this.options.now();
    let due = Infinity;
    for (const id of this.dirty) due = Math.min(due, (this.lastSentAt.get(id) ?? -Infinity) + this.minIntervalMs);
    // Same-turn changes (a whole device list, a burst of messages) go out together.
    this.flushTimer = setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.stopped) return;
    const now = this.options.now();
    const states: Record<string, States> = {};
    for (const id of [...this.dirty]) {
      const sentAt = this.lastSentAt.get(id);
      if (sentAt !== undefined && now - sentAt < this.minIntervalMs) continue;
      this.dirty.delete(id);
      const entity = googleEntity(this.options.home, id);
      if (!entity) {
        this.lastReported.delete(id);
        this.lastSentAt.delete(id);
        continue; // removed: Request Sync tells Google
      }
      const state = reportable(entity.query());
      if (!state) continue;
      const text = JSON.stringify(state);
      if (this.lastReported.get(id) === text) continue; // nothing Google can see changed
      this.lastReported.set(id, text);
      this.lastSentAt.set(id, now);
      states[id] = state;
    }
    if (Object.keys(states).length > 0) this.send(this.options.agentUserIds(), states);
    this.scheduleFlush();
  }

  private send(agentUserIds: string[], states: Record<string, States>): void {
    for (const agentUserId of agentUserIds) {
      this.track(
        this.options.api.reportState(agentUserId, randomUUID(), states).then(
          () => this.options.log.debug(`Google Home: reported ${Object.keys(states).length} state(s) for ${agentUserId}`),
          (err: unknown) => this.problem('Report State', agentUserId, err),
        ),
      );
    }
  }

  private scheduleSyncCheck(): void {
    if (this.stopped) return;
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => this.syncCheck(), this.requestSyncDelayMs);
  }

  private syncCheck(): void {
    this.syncTimer = undefined;
    if (this.stopped) return;
    const signature = this.signature();
    if (signature === this.syncSignature) return;
    this.syncSignature = signature;
    for (const agentUserId of this.options.agentUserIds()) {
      this.track(
        this.options.api.requestSync(agentUserId).then(
          () => this.options.log.info(`Google Home: devices changed; asked Google to sync (${agentUserId})`),
          (err: unknown) => this.problem('Request Sync', agentUserId, err),
        ),
      );
    }
  }

  /** What SYNC would tell Google, so only changes Google can see cause a Request Sync. */
  private signature(): string {
    return JSON.stringify(googleEntities(this.options.home).map((e) => e.sync(true)));
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private problem(what: string, agentUserId: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const key = `${what}:${message}`;
    // The same failure for every person and every change would flood the log: once each.
    if (this.loggedProblems.has(key)) return this.options.log.debug(`Google Home: ${what} for ${agentUserId} failed: ${message}`);
    if (this.loggedProblems.size > 100) this.loggedProblems.clear();
    this.loggedProblems.add(key);
    this.options.log.warn(`Google Home: ${what} failed (${message}); check google.serviceAccountKeyFile and that HomeGraph API is enabled`);
  }
}

/** The part of a QUERY state Google takes in Report State (no status, no error code). */
function reportable(state: QueryState): States | undefined {
  const { status, errorCode: _errorCode, ...rest } = state;
  if (status === 'OFFLINE' || !state.online) return { online: false };
  if (status !== 'SUCCESS') return undefined;
  return rest;
}
