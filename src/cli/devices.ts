/**
 * `velux-climate devices list`: the devices a block's gateways listed (from its home state),
 * each with its gateway and, for a device missing from its gateway's list, since when it is
 * missing (it is removed when deviceRemovalGraceHours have passed since then). Read-only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STORAGE_FILES } from '../storage/paths.js';
import { contextBlock } from './blocks.js';
import type { CliContext, CommandGroup } from './cli.js';
import { CliError } from './io.js';

export const devicesGroup: CommandGroup = {
  name: 'devices',
  summary: "the devices the gateways listed, and since when a missing one is missing (README, devices that vanish)",
  usage: ['devices list [--json]'],
  async run(args, context) {
    const [sub, ...rest] = args;
    if (sub !== 'list') throw new CliError(`devices: expected list${sub ? `, not "${sub}"` : ''}`, 2);
    return list(rest, context);
  },
};

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
