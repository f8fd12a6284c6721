/**
 * `velux-climate devices list`: the devices a block's gateways listed (from its home state),
 * each with its gateway and, for a device missing from its gateway's list, since when it is
 * missing (it is removed when deviceRemovalGraceHours have passed since then). Read-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openHomeStateFile } from '../home/persistence.js';
import { silentLogger, type Logger } from '../logger.js';
import { STORAGE_FILES, uiSocketPath } from '../storage/paths.js';
import { askPlugin } from '../ui/plugin-socket.js';
import { contextBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

export const devicesGroup: CommandGroup = {
  name: 'devices',
  summary: "the devices the gateways listed, and since when a missing one is missing (README, devices that vanish)",
  usage: ['devices list [--json]', 'devices prune'],
  async run(args, context) {
    const [sub, ...rest] = args;
    if (sub === 'list') return list(rest, context);
    if (sub === 'prune') return prune(rest, context);
    throw new CliError(`devices: expected list or prune${sub ? `, not "${sub}"` : ''}`, 2);
  },
};

/**
 * `devices prune`: removes the devices missing from their gateway's list now, instead of after
 * deviceRemovalGraceHours. A running Homebridge does it itself (asked over the block's plugin
 * socket, docs/ui.md: HomeKit, Google and Matter drop them at once); with Homebridge stopped,
 * their records leave the home state, so the next start removes their cached accessories.
 */
async function prune(args: string[], context: CliContext): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  const block = contextBlock(context);
  const out = context.io.stdout;
  const socket = uiSocketPath(block.dir);
  if (existsSync(socket)) {
    let answer;
    try {
      answer = await askPlugin(socket, { op: 'prune' }, 10_000);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A socket left by a Homebridge that was killed: nobody runs, prune the file instead.
      if (code !== 'ECONNREFUSED' && code !== 'ENOENT') throw new CliError(`cannot ask the running Homebridge (${err instanceof Error ? err.message : String(err)}); nothing removed`);
    }
    if (answer && !answer.ok) throw new CliError(`the running Homebridge refused: ${answer.error}`);
    if (answer) {
      const n = answer.pruned ?? 0;
      out.write(n === 0 ? 'No device is missing from its gateway; nothing removed.\n' : `Removed ${n} missing device${n === 1 ? '' : 's'} (the running Homebridge removed ${n === 1 ? 'it' : 'them'} from HomeKit, Google and Matter).\n`);
      return 0;
    }
  }
  // Homebridge is stopped: the home state is the plugin's own file, read and written as the plugin does.
  const file = openHomeStateFile(block.dir, quietLog(context));
  const devices = file.value.devices ?? {};
  const missing = Object.keys(devices).filter((key) => devices[key]!.missingSince !== undefined);
  if (missing.length === 0) {
    out.write('No device is missing from its gateway; nothing removed.\n');
    return 0;
  }
  file.update((state) => ({ ...state, devices: Object.fromEntries(Object.entries(devices).filter(([key]) => !missing.includes(key))) }));
  out.write(`Homebridge is not running: removed ${missing.length} missing device${missing.length === 1 ? '' : 's'} (${missing.join(', ')}) from ${file.path}; their accessories go at the next start.\n`);
  return 0;
}

interface Row {
  key: string;
  name: string;
  type: string;
  room: string;
  gateway: string;
  missingSince: string | null;
}

function list(args: string[], context: CliContext): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const path = join(contextBlock(context).dir, STORAGE_FILES.home);
  let devices: Record<string, { gatewayKey?: unknown; missingSince?: unknown; descriptor?: Record<string, unknown> }> = {};
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as { devices?: typeof devices };
    devices = state.devices ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const rows: Row[] = Object.entries(devices)
    .map(([key, d]) => ({
      key,
      name: text(d.descriptor?.name),
      type: text(d.descriptor?.type),
      room: text(d.descriptor?.room),
      gateway: text(d.gatewayKey),
      missingSince: typeof d.missingSince === 'number' ? new Date(d.missingSince).toISOString() : null,
    }))
    .sort((a, b) => a.gateway.localeCompare(b.gateway) || a.key.localeCompare(b.key));
  const out = context.io.stdout;
  if (values.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    out.write(`No devices recorded yet in ${path} (Homebridge writes them when a gateway lists its devices).\n`);
    return 0;
  }
  const table = [['KEY', 'NAME', 'TYPE', 'ROOM', 'GATEWAY', 'MISSING SINCE'], ...rows.map((r) => [r.key, r.name, r.type, r.room || '-', r.gateway, r.missingSince ?? '-'])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) out.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  return 0;
}

/** The home-state file's warnings (e.g. a file moved aside) go to stderr. */
function quietLog(context: CliContext): Logger {
  const say = (m: string) => context.io.stderr.write(`${m}\n`);
  return { ...silentLogger, warn: say, error: say };
}
