import type { API } from 'homebridge';
import { PLATFORM_NAME, PLUGIN_NAME } from './config/types.js';
import { VeluxClimatePlatform } from './platform.js';

export default (api: API): void => {
  api.registerPlatform(PLUGIN_NAME, PLATFORM_NAME, VeluxClimatePlatform);
};
