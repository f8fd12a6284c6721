/** Command-line options of the standalone simulator (`node dist/simulator/main.js`). */
import { parseArgs } from 'node:util';

export interface SimulatorArgs {
  url: string;
  baseTopic: string;
  timeScale: number;
  username?: string;
  password?: string;
  /** Generate a home of this many devices instead of the default house. */
  devices?: number;
  seed: number;
  gatewayId?: string;
  responseDelayMs: number;
  help: boolean;
}

export const USAGE = `Usage: node dist/simulator/main.js [options]

Runs a simulated VELUX home that speaks the gateway MQTT protocol until Ctrl-C.

  --url <url>             broker URL (default mqtt://127.0.0.1:1883)
  --base <topic>          base topic (default velux)
  --speed <factor>        simulated seconds per real second (default 1)
  --username <name>       MQTT user name
  --password <secret>     MQTT password (or the MQTT_PASSWORD environment variable)
  --devices <n>           generate a home of n devices instead of the default house
  --seed <n>              seed for sensor noise (default 1)
  --gateway-id <id>       gateway id in bridge/info (default sim-gateway)
  --response-delay <ms>   real milliseconds before each command answer (default 50)
  -h, --help              show this help`;

/** Parse argv (without node and script); throws an Error with a user-facing message. */
export function parseSimulatorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): SimulatorArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      base: { type: 'string', default: 'velux' },
      speed: { type: 'string', default: '1' },
      username: { type: 'string' },
      password: { type: 'string' },
      devices: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'gateway-id': { type: 'string' },
      'response-delay': { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const timeScale = numberOption('--speed', values.speed, (value) => value > 0);
  const positiveInteger = (value: number): boolean => Number.isInteger(value) && value > 0;
  const devices = values.devices === undefined ? undefined : numberOption('--devices', values.devices, positiveInteger);
  return {
    url: values.url,
    baseTopic: values.base,
    timeScale,
    username: values.username,
    password: values.password ?? env['MQTT_PASSWORD'],
    devices,
    seed: numberOption('--seed', values.seed, Number.isInteger),
    gatewayId: values['gateway-id'],
    responseDelayMs: numberOption('--response-delay', values['response-delay'], (value) => value >= 0),
    help: values.help,
  };
}

function numberOption(name: string, raw: string, valid: (value: number) => boolean): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !valid(value)) throw new Error(`${name}: invalid value "${raw}"`);
  return value;
}
