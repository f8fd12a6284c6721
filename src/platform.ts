/**
 * Homebridge glue only: read the config, build the pieces, start and stop them.
 * Everything else is usable and testable without Homebridge.
 */
import type { API, DynamicPlatformPlugin, Logging, PlatformAccessory, PlatformConfig as HomebridgeConfig } from 'homebridge';
import { validateConfig } from './config/validate.js';
import { PLATFORM_NAME, PLUGIN_NAME, type PlatformConfig } from './config/types.js';
import { createGateway } from './gateway/transports.js';
import type { Gateway } from './gateway/types.js';
import { DEFAULT_REMOVAL_GRACE_MS, Home } from './home/model.js';
import { openHomeStateFile } from './home/persistence.js';
import type { Logger } from './logger.js';
import { ClimateController, pruneHistory } from './climate/controller.js';
import { resolveClimateSettings } from './climate/settings.js';
import { openClimateStore } from './climate/store.js';
import { SensorHistory, sensorHistoryFile } from './history/sensor-history.js';
import { openBlockStorage } from './storage/blocks.js';
import { HomeKitAccessories } from './homekit/registry.js';
import type { GoogleHome } from './google/index.js';
import { MatterPublisher, matterAvailable } from './matter/index.js';
import { uiSocketPath } from './storage/paths.js';
import { UiSocketServer } from './ui/plugin-socket.js';

export class VeluxClimatePlatform implements DynamicPlatformPlugin {
  private readonly cached: PlatformAccessory[] = [];
  private home?: Home;
  private climate?: ClimateController;
  private sensorHistory?: SensorHistory;
  private homekit?: HomeKitAccessories;
  /** Google Home is loaded only when enabled: its modules cost every (child) bridge ~70 ms and ~6 MB. */
  private google?: () => Promise<GoogleHome>;
  /** Matter publishing, when Homebridge offers it for this bridge and the config does not turn it off. */
  private matter?: MatterPublisher;
  /** Each gateway's factory: a transport's code and library are imported at start-up, and only for the types configured (gateway/transports.ts). */
  private gateways: Array<() => Promise<Gateway>> = [];
  /** This block's folder (storage/paths.ts). */
  private storageDir = '';
  private readonly stopSteps: Array<() => Promise<void> | void> = [];
  private shuttingDown = false;

  constructor(
    private readonly log: Logging,
    rawConfig: HomebridgeConfig,
    private readonly api: API,
  ) {
    const result = validateConfig(rawConfig);
    if (!result.ok) {
      for (const problem of result.problems) log.error(`Config: ${problem}`);
      log.error('The plugin stays idle until the config is fixed (Homebridge settings → VELUX Climate).');
      return;
    }
    try {
      this.build(result.config);
    } catch (err) {
      // Never take Homebridge down with us: log and stay idle.
      log.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`);
      this.home = undefined;
    }
  }

  /** Homebridge hands us accessories restored from its cache before didFinishLaunching. */
  configureAccessory(accessory: PlatformAccessory): void {
    if (this.homekit) this.homekit.configureAccessory(accessory);
    else this.cached.push(accessory); // idle (bad config): keep them cached, untouched
  }

  /** Homebridge 2 hands over accessories restored from its Matter cache (never called on 1.8). */
  configureMatterAccessory(accessory: Parameters<MatterPublisher['configureMatterAccessory']>[0]): void {
    this.matter?.configureMatterAccessory(accessory);
  }

  private build(config: PlatformConfig): void {
    const log: Logger = config.debug ? { ...this.log, debug: (m: string, ...a: unknown[]) => this.log.info(m, ...a) } : this.log;
    // This block's own folder (one per platform block / child bridge), settled before any file is read.
    const { dir: storageDir } = openBlockStorage(this.api.user.storagePath(), configPathOf(this.api), config, log);
    this.storageDir = storageDir;
    const { settingsFor } = resolveClimateSettings(config.climate);
    const homeState = openHomeStateFile(storageDir, log);
    const home = new Home({
      log,
      persisted: homeState.value,
      persist: (state) => homeState.update(() => state),
      roomClimateDefault: (room) => settingsFor(room).enabled,
      removalGraceMs: (config.deviceRemovalGraceHours ?? DEFAULT_REMOVAL_GRACE_MS / 3600_000) * 3600_000,
    });
    this.gateways = config.gateways.map((gateway) => () => createGateway(gateway, { log, storageDir }));
    this.home = home;
    // Sensor values for charts and the Eve app, kept as long as the climate history.
    const historyDays = config.climate?.historyDays ?? 7;
    const sensorHistory = new SensorHistory({ path: sensorHistoryFile(storageDir), days: historyDays, log });
    this.sensorHistory = sensorHistory;
    this.homekit = new HomeKitAccessories({
      sensorHistory,
      api: this.api,
      log,
      home,
      pluginName: PLUGIN_NAME,
      platformName: PLATFORM_NAME,
      co2Limit: (room) => settingsFor(room).co2Max,
    });
    const googleConfig = config.google;
    if (googleConfig?.enabled) {
      this.google = async () => new (await import('./google/index.js')).GoogleHome({ home, log, config: googleConfig, storageDir });
    }
    // Matter only where Homebridge offers it for this bridge (Homebridge 2 with `bridge.matter`): on 1.8 nothing happens.
    if (config.matter !== false && matterAvailable(this.api)) {
      this.matter = new MatterPublisher({ api: this.api, log, home, pluginName: PLUGIN_NAME, platformName: PLATFORM_NAME });
    }
    const climateStore = openClimateStore(storageDir, log);
    if (config.climate?.enabled !== false) {
      this.climate = new ClimateController({ home, log, store: climateStore, settingsFor, historyDays });
    } else {
      // Switched off, the history still obeys its retention (docs/privacy.md).
      const kept = pruneHistory(climateStore.history, historyDays, Date.now());
      if (kept.length !== climateStore.history.length) climateStore.saveHistory(kept);
    }


    this.api.on('didFinishLaunching', () => {
      this.start().catch((err: unknown) => log.error(`Start-up failed: ${err instanceof Error ? err.message : String(err)}`));
    });
    this.api.on('shutdown', () => {
      void this.stop();
    });
  }

  private async start(): Promise<void> {
    const home = this.home;
    if (!home) return;
    // One summary line per gateway the first time its device list arrives.
    const announced = new Set<string>();
    home.on('devicesChanged', (gatewayKey) => {
      if (announced.has(gatewayKey)) return;
      announced.add(gatewayKey);
      const devices = home.devicesOf(gatewayKey);
      const rooms = new Set(devices.map((d) => d.descriptor.room).filter(Boolean));
      this.log.info(`${home.gatewayName(gatewayKey)}: ${devices.length} devices in ${rooms.size} rooms are ready`);
    });
    // The gateways before HomeKit starts (it removes cached accessories of gateways no longer configured).
    for (const gateway of this.gateways) home.addGateway(await gateway());
    // Listeners first, then the connection: no early device event can be missed.
    const homekit = this.homekit;
    if (homekit) {
      homekit.start();
      this.onStop(() => homekit.stop());
    }
    const sensorHistory = this.sensorHistory;
    if (sensorHistory) {
      sensorHistory.attach(home);
      this.onStop(() => sensorHistory.stop());
    }
    await home.start();
    this.onStop(() => home.stop());
    const matter = this.matter;
    if (matter) {
      matter.start();
      this.onStop(() => matter.stop());
    }
    const climate = this.climate;
    if (climate) {
      climate.start();
      this.onStop(() => climate.stop());
    }
    // The live state for the plugin's Homebridge UI pages (docs/ui.md): a 0600 Unix socket, no port.
    const uiSocket = new UiSocketServer(uiSocketPath(this.storageDir), home, climate, this.log);
    if (await uiSocket.start()) this.onStop(() => uiSocket.stop());
    if (this.google) {
      // A Google endpoint that cannot start (port taken, bad TLS files) must not take HomeKit down.
      try {
        const google = await this.google();
        await google.start();
        this.onStop(() => google.stop());
      } catch (err) {
        this.log.error(`Google Home: could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Registers how to stop a started part; if Homebridge is already shutting down (start-up was
   * still awaiting something), stops it right away so nothing keeps running after shutdown. */
  private onStop(step: () => Promise<void> | void): void {
    if (this.shuttingDown) void this.runStep(step);
    else this.stopSteps.push(step);
  }

  private async stop(): Promise<void> {
    this.shuttingDown = true;
    for (const step of this.stopSteps.splice(0).reverse()) await this.runStep(step);
  }

  private async runStep(step: () => Promise<void> | void): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.log.warn(`Shutdown step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Homebridge's config.json (every Homebridge has it; an API without it means: this block is the only one known). */
function configPathOf(api: API): string | undefined {
  return typeof api.user.configPath === 'function' ? api.user.configPath() : undefined;
}
