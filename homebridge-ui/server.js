/**
 * The server part of the plugin's Homebridge UI pages, started by the Homebridge UI (as a child
 * process, only while the plugin's settings are open). The handlers live in src/ui/server.ts
 * (dist/ui/server.js); docs/ui.md says what each does and how the page reaches the plugin.
 * It reports ready at once and then loads the handlers: the dialog loads the page while the
 * modules load, and a request that comes earlier waits for them. Rooms and History need only a
 * few of the plugin's modules (src/ui/server.ts loads the CLI when People or Privacy ask).
 */
import { HomebridgePluginUiServer, RequestError } from '@homebridge/plugin-ui-utils';
import { LIVE_PUSH_MS, UI_ROUTES } from '../dist/ui/routes.js';

class VeluxClimateUiServer extends HomebridgePluginUiServer {
  constructor() {
    super();
    const storagePath = this.homebridgeStoragePath ?? '';
    let loading;
    const handlers = () => (loading ??= import('../dist/ui/server.js').then((m) => m.createUiHandlers({ storagePath })));
    for (const path of UI_ROUTES) {
      this.onRequest(path, async (body) => {
        try {
          return await (await handlers())[path](body);
        } catch (err) {
          // A refusal for the page to show; plugin-ui-utils would print anything else as a stack trace.
          const message = err instanceof Error ? err.message : String(err);
          throw new RequestError(message, { message });
        }
      });
    }
    this.ready();
    setImmediate(() => void handlers().catch(() => {}));
    // Live state: pushed every LIVE_PUSH_MS while the settings dialog is open (a request per
    // poll would put one line per poll into the Homebridge UI's log).
    let busy = false;
    setInterval(() => {
      if (busy) return;
      busy = true;
      handlers()
        .then((h) => h['/state']({}))
        .then((data) => this.pushEvent('state', data))
        .catch(() => {})
        .finally(() => (busy = false));
    }, LIVE_PUSH_MS);
  }
}

new VeluxClimateUiServer();
