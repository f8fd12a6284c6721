/**
 * Google Home for the plugin: the HTTP(S) server for account linking and fulfillment, plus
 * Report State / Request Sync when a service-account key is configured. Everything is built
 * in `start()`; the constructor does no work. Files live in the block's storage folder (`storageDir`).
 */
import type { GoogleConfig } from '../config/types.js';
import type { Home } from '../home/model.js';
import type { Logger } from '../logger.js';
import { AccountStore, type ScryptParams } from './accounts.js';
import { resolveGoogleConfig } from './config.js';
import { Fulfillment } from './fulfillment.js';
import { createHomeGraphApi } from './homegraph-api.js';
import { close, createRequestListener, listen, type RequestWay } from './http-server.js';
import { LinkedPeople } from './linked-people.js';
import { createOAuthModel } from './oauth-model.js';
import { createOAuth } from './oauth-routes.js';
import { accountsFile, googleTokensFile } from './paths.js';
import { ReportState, type HomeGraphApi } from './report-state.js';
import { GoogleTokenStore } from './token-store.js';
import { SecondaryVerification } from './verification.js';
import type { Server } from 'node:http';

export { GoogleConfigError, DEFAULT_BIND, DEFAULT_PORT } from './config.js';

/**
 * How often the server looks whether accounts.json changed (one stat). Every token use
 * looks too; this makes a removal by the CLI (`users remove`, `privacy erase`) also clear
 * the person's token hashes from google-tokens.json within a second when nobody calls.
 */
export const ACCOUNT_CHECK_INTERVAL_MS = 1000;
export { AccountStore, AccountError, MAX_GUESTS } from './accounts.js';

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface GoogleTuning {
  /** Minimum time between two Report State calls for one device (default 1000 ms). */
  reportIntervalMs?: number;
  /** Quiet period before Request Sync (default 2000 ms). */
  requestSyncDelayMs?: number;
  /** Longest wait for the gateway's answer to an EXECUTE (default 7000 ms). */
  executeDeadlineMs?: number;
  /** Cost of password hashes written by this process (default scrypt N=2^15). */
  scrypt?: ScryptParams;
  /** Replaces the HomeGraph client (tests). */
  homeGraph?: HomeGraphApi;
  /** Every request through express, the short way for fulfillment off (tests compare both). */
  expressOnly?: boolean;
  /** Told which way each request took (tests). */
  onRequestWay?: (way: RequestWay) => void;
}

export interface GoogleHomeOptions {
  home: Home;
  log: Logger;
  config: GoogleConfig;
  /** The Homebridge storage directory. */
  /** The platform block's storage folder (storage/paths.ts pluginStorageDir). */
  storageDir: string;
  now?: () => number;
  tuning?: GoogleTuning;
}

export class GoogleHome {
  private server?: Server;
  private reportState?: ReportState;
  private accountCheck?: NodeJS.Timeout;
  private starting = false;

  constructor(private readonly options: GoogleHomeOptions) {}

  async start(): Promise<{ url: string; port: number }> {
    if (this.starting) throw new Error('GoogleHome.start() was called twice');
    this.starting = true;
    const { home, log, storageDir, tuning = {} } = this.options;
    const now = this.options.now ?? Date.now;
    const config = resolveGoogleConfig(this.options.config);

    const accounts = new AccountStore(accountsFile(storageDir), { log, scrypt: tuning.scrypt, now });
    const tokens = new GoogleTokenStore(googleTokensFile(storageDir), now, log);
    const people = new LinkedPeople(accounts, tokens, log);
    people.check();
    if (accounts.list().length === 0) {
      log.warn('Google Home: no local accounts yet; create the admin with: velux-climate --storage <Homebridge storage dir> users add <name>');
    }

    const api = tuning.homeGraph ?? (await this.homeGraph(config.serviceAccountKeyFile, config.homegraphUrl));
    const reportState = api
      ? new ReportState({
          home,
          api,
          agentUserIds: () => people.agentUserIds(),
          log,
          now,
          minIntervalMs: tuning.reportIntervalMs,
          requestSyncDelayMs: tuning.requestSyncDelayMs,
        })
      : undefined;

    const fulfillment = new Fulfillment({
      home,
      verification: new SecondaryVerification({ pin: config.pin, log, now }),
      log,
      willReportState: reportState !== undefined,
      executeDeadlineMs: tuning.executeDeadlineMs,
      onSync: (person) => reportState?.reportAllTo(person.id),
      onDisconnect: (person) => {
        const links = people.disconnect(person.id);
        log.info(`Google Home: ${person.name} unlinked Google; ${links} link(s) revoked, no more state reports for them`);
      },
    });
    const oauth = createOAuth({
      config,
      model: createOAuthModel({
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUris: config.redirectUris,
        people,
        tokens,
        now,
        onCodeReplay: (userId) =>
          log.warn(`Google Home: an authorization code of ${people.account(userId)?.name ?? 'a removed account'} was used twice; revoked the Google link it had created`),
      }),
      people,
      log,
      now,
      secureCookie: config.tls !== undefined || config.publicUrl?.startsWith('https:') === true,
    });
    const app = createRequestListener({
      oauth,
      fulfillment,
      log,
      tls: config.tls !== undefined,
      trustProxy: config.trustProxy,
      fast: tuning.expressOnly !== true,
      onWay: tuning.onRequestWay,
    });
    const { server, port } = await listen(app, { port: config.port, bind: config.bind, tls: config.tls });
    this.server = server;
    let checkFailing = false;
    this.accountCheck = setInterval(() => {
      try {
        people.check();
        checkFailing = false;
      } catch (err) {
        // Once per episode: this runs every second.
        if (!checkFailing) log.warn(`Google Home: could not check the accounts file: ${err instanceof Error ? err.message : String(err)}`);
        checkFailing = true;
      }
    }, ACCOUNT_CHECK_INTERVAL_MS);
    this.accountCheck.unref();
    reportState?.start();
    this.reportState = reportState;

    const url = `${config.tls ? 'https' : 'http'}://${config.bind.includes(':') ? `[${config.bind}]` : config.bind}:${port}`;
    log.info(`Google Home: listening on ${url}`);
    const base = config.publicUrl;
    if (base) {
      log.info(`Google Home: Actions console settings: fulfillment ${base}/smarthome, authorization ${base}/oauth/authorize, token ${base}/oauth/token`);
      if (!base.startsWith('https:')) log.warn('Google Home: google.publicUrl is not https; Google only talks to https endpoints');
    } else {
      log.warn('Google Home: google.publicUrl is not set; Google needs an https URL that reaches this server (e.g. a reverse proxy)');
    }
    if (!config.tls && !isLoopback(config.bind)) {
      log.warn(`Google Home: serving plain HTTP on ${config.bind}; put it behind an HTTPS reverse proxy or set google.tls`);
    }
    return { url, port };
  }

  async stop(): Promise<void> {
    clearInterval(this.accountCheck);
    this.accountCheck = undefined;
    await this.reportState?.stop();
    this.reportState = undefined;
    if (this.server) await close(this.server);
    this.server = undefined;
  }

  private async homeGraph(keyFile: string | undefined, rootUrl: string | undefined): Promise<HomeGraphApi | undefined> {
    const { log } = this.options;
    if (!keyFile) {
      log.info('Google Home: Report State is off (set google.serviceAccountKeyFile to keep Google up to date without asking)');
      return undefined;
    }
    try {
      return await createHomeGraphApi({ keyFile, rootUrl });
    } catch (err) {
      log.error(`Google Home: Report State is off: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
}

function isLoopback(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || bind.startsWith('127.');
}
