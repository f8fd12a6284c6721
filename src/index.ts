import type { API, DynamicPlatformPlugin, Logging, PlatformAccessory, PlatformConfig } from 'homebridge';
import { PLATFORM_NAME, PLUGIN_NAME } from './config/types.js';
import type { VeluxClimatePlatform } from './platform.js';

type MatterAccessory = Parameters<VeluxClimatePlatform['configureMatterAccessory']>[0];

/**
 * What Homebridge constructs for a VeluxClimate block. Homebridge imports the plugin in every
 * process, the main bridge included when every block of ours runs in a child bridge, so the
 * platform's modules (home model, HomeKit, climate control, Matter, the UI socket) are imported
 * only here, once a block is constructed in this process (issue 18). Until they are loaded,
 * the accessories Homebridge restores from its caches are held and then handed over in order;
 * if Homebridge has launched meanwhile, the platform starts at once.
 */
class VeluxClimateBlock implements DynamicPlatformPlugin {
  private platform?: VeluxClimatePlatform;
  private readonly held: Array<(platform: VeluxClimatePlatform) => void> = [];

  constructor(log: Logging, config: PlatformConfig, api: API) {
    let launched = false;
    let shutDown = false;
    api.on('didFinishLaunching', () => (launched = true));
    api.on('shutdown', () => (shutDown = true));
    import('./platform.js').then(
      ({ VeluxClimatePlatform }) => {
        if (shutDown) return;
        const platform = new VeluxClimatePlatform(log, config, api, launched);
        for (const handOver of this.held.splice(0)) handOver(platform);
        this.platform = platform;
      },
      (err: unknown) => log.error(`Could not load the plugin: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  configureAccessory(accessory: PlatformAccessory): void {
    if (this.platform) this.platform.configureAccessory(accessory);
    else this.held.push((platform) => platform.configureAccessory(accessory));
  }

  configureMatterAccessory(accessory: MatterAccessory): void {
    if (this.platform) this.platform.configureMatterAccessory(accessory);
    else this.held.push((platform) => platform.configureMatterAccessory(accessory));
  }
}

export default (api: API): void => {
  api.registerPlatform(PLUGIN_NAME, PLATFORM_NAME, VeluxClimateBlock);
};
