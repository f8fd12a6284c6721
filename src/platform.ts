/**
 * Homebridge glue only: read the config, build the pieces, start and stop them.
 * Everything else is usable and testable without Homebridge.
 */
import type { API, DynamicPlatformPlugin, Logging, PlatformAccessory, PlatformConfig as HomebridgeConfig } from 'homebridge';
import { validateConfig } from './config/validate.js';
import type { PlatformConfig } from './config/types.js';
import { MqttGateway } from './gateway/mqtt-gateway.js';
import { Home } from './home/model.js';
import { openHomeStateFile } from './home/persistence.js';
import type { Logger } from './logger.js';

export class VeluxClimatePlatform implements DynamicPlatformPlugin {
  private readonly cached: PlatformAccessory[] = [];
  private home?: Home;
  private readonly stopSteps: Array<() => Promise<void> | void> = [];

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
    this.cached.push(accessory);
  }

  private build(config: PlatformConfig): void {
    const log: Logger = config.debug ? { ...this.log, debug: (m: string, ...a: unknown[]) => this.log.info(m, ...a) } : this.log;
    const storagePath = this.api.user.storagePath();
    const homeState = openHomeStateFile(storagePath, log);
    const home = new Home({
      log,
      persisted: homeState.value,
      persist: (state) => homeState.update(() => state),
    });
    for (const gateway of config.gateways) home.addGateway(new MqttGateway(gateway, log));
    this.home = home;

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
    await home.start();
    this.stopSteps.push(() => home.stop());
  }

  private async stop(): Promise<void> {
    for (const step of this.stopSteps.reverse()) {
      try {
        await step();
      } catch (err) {
        this.log.warn(`Shutdown step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
