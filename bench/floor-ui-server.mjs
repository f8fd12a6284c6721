// The floor of bench/ui.mjs: a bare @homebridge/plugin-ui-utils server part that does nothing,
// started as homebridge-config-ui-x starts a plugin's homebridge-ui/server.js. It registers the
// plugin's routes (the same names, so the same requests reach a handler) and answers each with
// an empty object: what any custom UI costs before it does anything of its own.
import { HomebridgePluginUiServer } from '@homebridge/plugin-ui-utils';
import { UI_ROUTES } from '../dist/ui/routes.js';

class FloorUiServer extends HomebridgePluginUiServer {
  constructor() {
    super();
    for (const path of UI_ROUTES) this.onRequest(path, async () => ({}));
    this.ready();
  }
}

new FloorUiServer();
