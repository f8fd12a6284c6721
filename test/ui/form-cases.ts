/**
 * What the settings-form test does in the real UI, as data. A transport that adds a gateway
 * `type` adds one entry to GATEWAY_TRANSPORTS (and, if its saved form looks different, a block
 * to UNTOUCHED_BLOCKS); see docs/settings-form.md.
 */
import type { Block } from './support/config-ui.js';

/** Blocks opened and saved without touching anything: the meaning must not change. */
export const UNTOUCHED_BLOCKS: Array<{ name: string; block: Block }> = [
  { name: 'one gateway, everything else default', block: { gateways: [{ url: 'mqtt://10.0.0.5:1883', baseTopic: 'attic', name: 'Attic' }] } },
  {
    name: 'a VELUX ACTIVE gateway with devices',
    block: {
      gateways: [
        {
          type: 'homekit',
          name: 'Attic gateway',
          host: '192.168.1.20',
          port: 5001,
          devices: [
            { serial: '5611111a114a111a', name: 'Attic window', room: 'Attic' },
            { serial: 'a11b111', room: 'Attic' },
          ],
        },
      ],
    },
  },
  {
    name: 'everything set, booleans against their defaults',
    block: {
      name: 'Roof',
      id: 'roof',
      gateways: [
        { type: 'mqtt', name: 'Attic', url: 'mqtt://10.0.0.5:1883', baseTopic: 'attic' },
        {
          name: 'Barn',
          url: 'mqtts://10.0.0.6:8883',
          baseTopic: 'farm/barn',
          username: 'velux',
          password: 'not-the-default',
          commandTimeoutMs: 7000,
          tls: { ca: '/etc/ssl/ca.pem', rejectUnauthorized: false },
        },
      ],
      google: {
        enabled: true,
        port: 9443,
        bind: '0.0.0.0',
        publicUrl: 'https://home.example.com',
        projectId: 'velux-home-42',
        clientId: 'client-id-123',
        clientSecret: 'a-client-secret-of-length',
        pin: '2468',
      },
      climate: {
        enabled: true,
        historyDays: 30,
        defaults: {
          enabled: false,
          heatProtection: false,
          departureCloseCovers: true,
          co2Max: 1000,
          humidityMax: 65.5,
          quietHours: { start: '22:00', end: '07:00' },
        },
        rooms: [
          { room: 'Bedroom', enabled: true, departureCloseWindows: false, co2Max: 900 },
          { room: 'Bath', humidityMax: 60, heatProtection: true },
        ],
      },
      debug: true,
    },
  },
  {
    name: 'a KLF 200 with products',
    block: {
      gateways: [
        {
          type: 'klf200',
          name: 'KLF',
          host: '192.168.1.30',
          password: 'velux123',
          devices: [{ serial: '53362726102f0080', name: 'Bedroom window', room: 'Bedroom' }, { serial: '53362726102f0081', room: 'Bedroom' }],
          keepAliveMs: 60000,
        },
      ],
    },
  },
  { name: 'climate control off, no history', block: { gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }], climate: { enabled: false, historyDays: 0 } } },
];

/** A value for every number in the form, typed exactly (decimals where the setting allows them). */
export const NUMBER_VALUES: Record<string, number> = {
  commandTimeoutMs: 6500,
  keepAliveMs: 45000,
  rainPollMs: 90000,
  reconnectMaxMs: 20000,
  bootGraceMs: 120000,
  historyDays: 14,
  deviceRemovalGraceHours: 2.5,
  port: 8765,
  co2Max: 1234,
  co2Hysteresis: 123,
  humidityMax: 62.5,
  humidityDelayMinutes: 12,
  triggerConfirmMinutes: 3,
  temperatureMin: 18.5,
  temperatureMax: 25.5,
  coolingSetpoint: 23.5,
  ventilationPosition: 33,
  minAiringMinutes: 4,
  maxAiringMinutes: 44,
  airingIntervalMinutes: 50,
  rainHoldMinutes: 25,
  airRecyclingIntervalHours: 2.5,
  airRecyclingMinutes: 9,
  outdoorTemperatureMin: -3.5,
  outdoorTemperatureMax: 29.5,
  maxWindSpeed: 7.5,
  manualPauseMinutes: 77,
  heatProtectionPosition: 12,
  heatProtectionLux: 23456,
  sensorStaleMinutes: 21,
};

export interface GatewayTransportCase {
  /** The `type` value saved, and the label of that choice in the "Gateway type" select. */
  type: string;
  label: string;
  /** Typed into the new gateway (input name → value). */
  typed: Record<string, string | number>;
  /** The controls the new gateway shows with this type (collapsed "Advanced" sections shut). */
  visible: string[];
  /** What config.json holds for the new gateway afterwards (compared after defaults are applied). */
  saved: Block;
}

export const GATEWAY_TRANSPORTS: GatewayTransportCase[] = [
  {
    type: 'mqtt',
    label: 'MQTT gateway (our gateway protocol)',
    typed: { name: 'Loft', url: 'mqtt://192.168.1.20:1883', baseTopic: 'loft/velux', username: 'loft-user', password: 'loft-pass' },
    visible: ['name', 'type', 'url', 'baseTopic', 'username', 'password'],
    saved: { type: 'mqtt', name: 'Loft', url: 'mqtt://192.168.1.20:1883', baseTopic: 'loft/velux', username: 'loft-user', password: 'loft-pass' },
  },
  {
    type: 'klf200',
    label: 'VELUX KLF 200 (local API)',
    typed: { name: 'Roof KLF', host: '192.168.1.30', password: 'klf-label-pw' },
    visible: ['name', 'type', 'host', 'password'],
    saved: { type: 'klf200', name: 'Roof KLF', host: '192.168.1.30', password: 'klf-label-pw' },
  },
  {
    type: 'homekit',
    label: 'VELUX ACTIVE gateway (KIX 300, HomeKit)',
    typed: { name: 'Attic gateway', setupCode: '468-51-927', host: '192.168.1.20', port: 5001 },
    // (the UI draws one blank device entry, dropped on Save when left blank)
    visible: ['name', 'type', 'setupCode', 'host', 'port', 'serial', 'name', 'room'],
    saved: { type: 'homekit', name: 'Attic gateway', setupCode: '468-51-927', host: '192.168.1.20', port: 5001 },
  },
];
