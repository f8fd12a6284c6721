/**
 * The plugin's settings form in the real Homebridge UI (homebridge-config-ui-x, pinned) driven
 * by a real headless Chromium: what a user gets when they open Plugins → VELUX Climate →
 * Plugin Config and press Save. One UI server and one browser serve every case.
 * UPDATE_SCREENSHOTS=1 also writes the screenshots in docs/images/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { kix300Transport } from '../../src/gateway/kix300/transport.js';
import { REPO_ROOT } from '../helpers/homebridge.js';
import { GATEWAY_TRANSPORTS, NUMBER_VALUES, UNTOUCHED_BLOCKS } from './form-cases.js';
import { CHROMIUM, ConfigUi, type Block, type SettingsForm } from './support/config-ui.js';

if (!CHROMIUM) console.warn('SKIPPED test/ui/settings-form.test.ts: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');

const SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';

/** What a block means to the plugin: validated, with every default the plugin applies filled in. */
function meaning(block: Block | undefined): unknown {
  expect(block, 'the VeluxClimate block').toBeDefined();
  const copy = structuredClone(block ?? {}) as Block & { gateways?: Block[]; google?: Block; climate?: Block & { defaults?: Block } };
  copy.google ??= {};
  copy.climate ??= {};
  copy.climate.defaults ??= {};
  for (const gateway of copy.gateways ?? []) gateway['tls'] ??= {};
  const result = validateConfig({ ...copy, platform: 'VeluxClimate' });
  if (!result.ok) throw new Error(`the plugin refuses the saved block:\n${result.problems.join('\n')}\n${JSON.stringify(block, null, 2)}`);
  return result.config;
}

/** Every number setting in config.schema.json, as the input names the form uses. */
function schemaNumbers(): string[] {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'config.schema.json'), 'utf8')) as { schema: Record<string, unknown> };
  const out: string[] = [];
  // A VELUX ACTIVE gateway's fields show only for that type (its case is in GATEWAY_TRANSPORTS).
  const gatewayItems = (schema.schema as { properties: { gateways: { items: unknown } } }).properties.gateways.items;
  const walk = (node: Record<string, unknown>, name: string): void => {
    if (node['type'] === 'integer' || node['type'] === 'number') out.push(name);
    for (const [key, child] of Object.entries((node['properties'] ?? {}) as Record<string, Record<string, unknown>>)) {
      if (node === gatewayItems && kix300Transport.fields?.includes(key)) continue;
      walk(child, key);
    }
    if (node['items']) walk(node['items'] as Record<string, unknown>, name);
  };
  walk(schema.schema, '');
  return out.sort();
}

// Generous per-test time: a loaded CI machine runs the browser and the UI beside the other suites.
describe.skipIf(!CHROMIUM)('the settings form in the real Homebridge UI', { timeout: 120_000 }, () => {
  let ui: ConfigUi;
  let form: SettingsForm | undefined;

  beforeAll(async () => {
    ui = await ConfigUi.start();
  }, 120_000);

  afterAll(async () => {
    await form?.close();
    await ui?.stop();
  });

  async function open(block: Block | undefined, viewport?: { width: number; height: number }): Promise<SettingsForm> {
    await form?.close();
    await ui.setBlock(block);
    form = await ui.openSettings(viewport);
    return form;
  }

  describe.each(UNTOUCHED_BLOCKS)('opened and saved untouched: $name', ({ block }) => {
    it('Save is enabled, one array entry per gateway shows the configured URL (or address), and the saved block means the same', async () => {
      const f = await open(block);
      expect(await f.saveEnabled()).toBe(true);
      const gateways = block['gateways'] as Block[];
      expect(await f.markItems('Add gateway', 'gw')).toBe(gateways.length);
      for (const [i, gateway] of gateways.entries()) {
        // each transport's address field: the broker URL, or a KLF 200's or VELUX ACTIVE gateway's host
        const [field, value] = gateway['type'] === 'klf200' || gateway['type'] === 'homekit' ? ['host', gateway['host']] : ['url', gateway['url']];
        expect(await f.field(field as string, `gw-${i}`).inputValue()).toBe(value);
      }
      const saved = await f.save();
      expect(meaning(saved)).toEqual(meaning(block));
    });
  });

  it('a new block: Save is enabled on first open and saves a config the plugin accepts', async () => {
    const f = await open(undefined, SCREENSHOTS ? { width: 900, height: 1500 } : undefined);
    if (SCREENSHOTS) await f.modal.screenshot({ path: join(REPO_ROOT, 'docs/images/settings-form.png') });
    expect(await f.saveEnabled()).toBe(true);
    const saved = await f.save();
    expect(meaning(saved)).toEqual(meaning({ gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] }));
  });

  it('draws checkboxes whose default is on checked, before anything is saved', async () => {
    const f = await open({ gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] });
    await f.expandAll();
    const defaults = 'Defaults for all rooms';
    expect(await f.field('enabled', 'Climate control').isChecked()).toBe(true);
    expect(await f.field('enabled', defaults).isChecked()).toBe(true);
    expect(await f.field('heatProtection', defaults).isChecked()).toBe(true);
    expect(await f.field('departureCloseWindows', defaults).isChecked()).toBe(true);
    expect(await f.field('departureCloseCovers', defaults).isChecked()).toBe(false);
    expect(await f.field('rejectUnauthorized', 'gw-0').isChecked().catch(() => undefined)).not.toBe(false);
  });

  it('shows every number as a visible number input and saves exactly what was typed', { timeout: 120_000 }, async () => {
    // one gateway of each type, so every transport's numbers show
    const f = await open({
      gateways: [
        { name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' },
        { type: 'klf200', name: 'KLF', host: '192.168.1.30', password: 'velux123' },
      ],
    });
    await f.expandAll();
    // The UI always draws one blank entry in an empty array (dropped on Save if left blank).
    expect(await f.markItems('Add room', 'room')).toBe(1);
    await f.fill({ room: 'Study' }, 'room-0');
    expect(await f.modal.locator('input[type="range"]').count(), 'sliders in the form').toBe(0);
    const numbers = await f.visibleControls(undefined, 'number');
    // defaults and the room share the room-setting names
    expect([...new Set(numbers)].sort()).toEqual([...new Set(schemaNumbers())].sort());
    expect(numbers.length).toBe(schemaNumbers().length + 1); // commandTimeoutMs in both gateways
    const inputs = f.modal.locator('input[type="number"]');
    for (let i = 0; i < (await inputs.count()); i++) {
      const input = inputs.nth(i);
      const name = (await input.getAttribute('name')) ?? '';
      expect(NUMBER_VALUES[name], `a value for ${name}`).toBeDefined();
      await input.fill(String(NUMBER_VALUES[name]));
      expect(await input.inputValue()).toBe(String(NUMBER_VALUES[name]));
    }
    expect(await f.saveEnabled()).toBe(true);
    const saved = (await f.save()) as Block & { gateways: Block[]; google: Block; climate: Block & { defaults: Block; rooms: Block[] } };
    meaning(saved);
    expect(saved.gateways[0]?.['commandTimeoutMs']).toBe(NUMBER_VALUES['commandTimeoutMs']);
    const klfNumbers = ['commandTimeoutMs', 'keepAliveMs', 'rainPollMs', 'reconnectMaxMs', 'bootGraceMs'];
    for (const key of klfNumbers) expect(saved.gateways[1]?.[key], `gateways[1].${key}`).toBe(NUMBER_VALUES[key]);
    expect(saved.google['port']).toBe(NUMBER_VALUES['port']);
    expect(saved.climate['historyDays']).toBe(NUMBER_VALUES['historyDays']);
    expect(saved['deviceRemovalGraceHours']).toBe(NUMBER_VALUES['deviceRemovalGraceHours']);
    for (const key of schemaNumbers().filter((k) => ![...klfNumbers, 'port', 'historyDays', 'deviceRemovalGraceHours'].includes(k))) {
      expect(saved.climate.defaults[key], `climate.defaults.${key}`).toBe(NUMBER_VALUES[key]);
      expect(saved.climate.rooms[0]?.[key], `climate.rooms[0].${key}`).toBe(NUMBER_VALUES[key]);
    }
  });

  describe.each(GATEWAY_TRANSPORTS)('adding a gateway of type $type', (transport) => {
    it('adds exactly one gateway with the typed values, showing only that transport’s fields', async () => {
      const first = { name: 'Attic', url: 'mqtt://10.0.0.5:1883', baseTopic: 'attic' };
      const f = await open({ gateways: [first] });
      await f.clickAdd('Add gateway');
      expect(await f.markItems('Add gateway', 'gw')).toBe(2);
      await f.fill({ type: transport.label }, 'gw-1');
      expect(await f.visibleControls('gw-1')).toEqual(transport.visible);
      await f.fill(transport.typed, 'gw-1');
      expect(await f.saveEnabled()).toBe(true);
      const saved = await f.save();
      const gateways = (meaning(saved) as { gateways: Block[] }).gateways;
      expect(gateways).toHaveLength(2);
      expect(gateways[0]).toEqual((meaning({ gateways: [first] }) as { gateways: Block[] }).gateways[0]);
      expect(gateways[1]).toEqual((meaning({ gateways: [first, transport.saved] }) as { gateways: Block[] }).gateways[1]);
    });
  });

  it('Google Home: enable, fill the fields, save → a config the plugin accepts with those values', async () => {
    const f = await open({ gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] }, SCREENSHOTS ? { width: 900, height: 2200 } : undefined);
    await f.expandAll();
    const google = { publicUrl: 'https://velux.example.org', projectId: 'my-velux-home', clientId: 'google-client-1', clientSecret: 'sixteen-or-more-chars', pin: '9753', port: 8600 };
    await f.fill({ enabled: true, ...google }, 'Google Home');
    if (SCREENSHOTS) await f.scope('Google Home').screenshot({ path: join(REPO_ROOT, 'docs/images/settings-google.png') });
    const saved = await f.save();
    const typed = { gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }], google: { enabled: true, ...google } };
    expect((meaning(saved) as { google: Block }).google).toEqual((meaning(typed) as { google: Block }).google);
    expect(saved?.['google']).toMatchObject(typed.google);
  });

  it('climate control: defaults and a new room, save → a config the plugin accepts with exactly those settings', async () => {
    const f = await open({ gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1883', baseTopic: 'velux' }] }, SCREENSHOTS ? { width: 900, height: 4200 } : undefined);
    await f.expandAll();
    expect(await f.markItems('Add room', 'room')).toBe(1);
    await f.fill({ heatProtection: false, co2Max: 1000, departureCloseCovers: true }, 'Defaults for all rooms');
    await f.fill({ room: 'Bath', humidityMax: 60.5, departureCloseWindows: 'Off', enabled: 'On' }, 'room-0');
    if (SCREENSHOTS) {
      const box = await f.scope('Climate control').boundingBox();
      if (box) await f.page.screenshot({ path: join(REPO_ROOT, 'docs/images/settings-climate.png'), clip: { ...box, height: Math.min(box.height, 1500) } });
    }
    const saved = (await f.save()) as Block & { climate: Block & { defaults: Block; rooms: Block[] } };
    meaning(saved);
    expect(saved.climate.defaults).toEqual({ enabled: true, heatProtection: false, co2Max: 1000, departureCloseWindows: true, departureCloseCovers: true });
    expect(saved.climate.rooms).toEqual([{ room: 'Bath', humidityMax: 60.5, departureCloseWindows: false, enabled: true }]);
  });
});
