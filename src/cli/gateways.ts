/**
 * `velux-climate gateways discover`: the VELUX ACTIVE gateways (KIX 300) that mDNS finds on
 * this network (`_hap._tcp`), with their address, HomeKit port, whether they are paired, and
 * whether it is the plugin that holds the pairing.
 */
import { parseArgs } from 'node:util';
import { discoverVeluxGateways, PairingStore, type DiscoveredGateway } from '../gateway/transports.js';
import { silentLogger } from '../logger.js';
import { contextBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

export const gatewaysGroup: CommandGroup = {
  name: 'gateways',
  summary: 'find VELUX ACTIVE gateways (KIX 300) on the network (docs/velux-active-homekit.md)',
  usage: ['gateways discover [--seconds <n>] [--all] [--json]'],
  async run(args, context) {
    const [sub, ...rest] = args;
    if (sub !== 'discover') throw new CliError(`gateways: expected discover${sub ? `, not "${sub}"` : ''}`, 2);
    return discover(rest, context);
  },
};

async function discover(args: string[], context: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '5' }, all: { type: 'boolean' }, json: { type: 'boolean' } }, strict: true });
  const seconds = Number(values.seconds);
  if (!(seconds > 0 && seconds <= 60)) throw new CliError('--seconds must be a number from 1 to 60', 2);
  const found = await discoverVeluxGateways(seconds * 1000, { all: values.all });
  const store = new PairingStore(contextBlock(context).dir, silentLogger);
  const ours = new Map<string, string>();
  for (const key of store.keys()) {
    const id = store.get(key)?.keys.AccessoryPairingID;
    if (id) ours.set(id.toLowerCase(), key);
  }
  const rows = found.map((g: DiscoveredGateway) => ({ ...g, pluginPairing: ours.get(g.id.toLowerCase()) }));
  const out = context.io.stdout;
  if (values.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    out.write(`No ${values.all ? 'HomeKit accessories' : 'VELUX gateways'} found within ${seconds} s (mDNS _hap._tcp). Is this machine in the gateway's network? Multicast may be blocked: then set "host" and "port" in the config.\n`);
    return 1;
  }
  for (const g of rows) {
    const state = g.pluginPairing ? 'paired with this plugin' : g.paired ? 'paired with another controller (e.g. the Home app)' : 'not paired: ready for the setup code';
    out.write(`${g.name}  ${g.host}:${g.port}  id ${g.id}  model ${g.model || '?'}  ${state}\n`);
  }
  out.write('\nConfig: { "type": "homekit", "name": "…", "host": "<address>", "port": <port>, "setupCode": "<code on the gateway>" }\n');
  return 0;
}
