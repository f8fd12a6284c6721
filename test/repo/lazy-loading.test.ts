/**
 * A configuration loads only what it uses (issue 18, docs/performance.md "Where the memory
 * goes"): Homebridge imports the plugin in every process (the main bridge and each child
 * bridge), so the entry must not pull in a transport's library, Google's server or the config
 * schema compiler. Runs the built plugin (dist/, `npm test` builds first) in a fresh Node process
 * and lists the packages it imported, seen by a module resolve hook and Node's CommonJS cache.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
const hooks = 'let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
const require = createRequire(import.meta.url);
async function packages() {
  await new Promise((r) => setTimeout(r, 50)); // let the hook's messages arrive
  const names = new Set();
  for (const f of [...seen, ...Object.keys(require.cache)]) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}
const out = {};
const plugin = (await import('./dist/index.js')).default;
plugin({ registerPlatform() {} });
out.entry = await packages();
const { validateConfig } = await import('./dist/config/validate.js');
const result = validateConfig({ platform: 'VeluxClimate', gateways: [{ name: 'Home', url: 'mqtt://127.0.0.1:1', baseTopic: 'velux' }] });
if (!result.ok) throw new Error(result.problems.join('; '));
out.validated = await packages();
const { createGateway } = await import('./dist/gateway/transports.js');
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const gateway = await createGateway(result.config.gateways[0], { log: quiet, storageDir: '/nonexistent' });
out.mqttGateway = await packages();
await gateway.start(); // connects (refused: nothing listens on port 1) and stops again
await new Promise((r) => setTimeout(r, 100));
await gateway.stop();
out.mqttStarted = await packages();
await import('./dist/platform.js'); // everything a running block imports besides its transports
out.platform = await packages();
port1.close();
console.log(JSON.stringify(out));
`;

const HEAVY = ['mqtt', 'zod', 'klf-200-api', 'hap-controller', 'ajv', 'express', 'actions-on-google', '@node-oauth/oauth2-server', '@googleapis/homegraph'];

describe('what the plugin loads', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: root, encoding: 'utf8' })) as Record<string, string[]>;

  it('its entry (loaded by every Homebridge process) and the config check import none of the heavy libraries', () => {
    expect(out.entry!.filter((p) => HEAVY.includes(p))).toEqual([]);
    expect(out.validated!.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it('an MQTT gateway loads mqtt, and not the other transports, Google, zod or ajv', () => {
    expect(out.mqttGateway).toContain('mqtt');
    expect(out.mqttGateway!.filter((p) => ['klf-200-api', 'hap-controller', 'ajv', 'zod', 'express', 'actions-on-google', '@googleapis/homegraph'].includes(p))).toEqual([]);
  });

  it('a started MQTT gateway on a plain mqtt:// URL loads none of mqtt\'s WebSocket and SOCKS transports', () => {
    expect(out.mqttStarted).toContain('mqtt');
    expect(out.mqttStarted!.filter((p) => ['ws', 'socks', 'ip-address', 'smart-buffer'].includes(p))).toEqual([]);
  });

  it('a running block with an MQTT gateway and Google off loads no zod (the MQTT payloads are checked by hand)', () => {
    expect(out.platform).toContain('mqtt');
    expect(out.platform!.filter((p) => HEAVY.includes(p) && p !== 'mqtt')).toEqual([]);
  });
});
