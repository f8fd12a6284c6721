/**
 * The requests the plugin's pages make to their server part (src/ui/server.ts). Kept apart and
 * free of imports so homebridge-ui/server.js can register them and tell the Homebridge UI it is
 * ready at once, before the handlers' modules (the CLI, the transports) are loaded.
 */
export const UI_ROUTES = [
  '/blocks',
  '/blocks/select',
  '/state',
  '/command',
  '/away',
  '/room-climate',
  '/users',
  '/users/add',
  '/users/passwd',
  '/users/unlink',
  '/users/remove',
  '/privacy/inventory',
  '/privacy/export',
  '/privacy/erase',
  '/privacy/reset',
  '/gateways',
  '/gateways/discover',
  '/config/check',
  '/history',
] as const;

export type UiRoute = (typeof UI_ROUTES)[number];

/** How often homebridge-ui/server.js pushes the live state to an open page. */
export const LIVE_PUSH_MS = 2000;
