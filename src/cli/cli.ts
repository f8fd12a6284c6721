/**
 * `velux-climate`: the admin's tool for what lives in the Homebridge storage directory.
 * Commands come in groups (`users ...`); a group is one module with a name, its usage lines
 * and a `run`. To add one, write it like users.ts or privacy.ts and list it in COMMAND_GROUPS.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ScryptParams } from '../google/accounts.js';
import { AccountError } from '../google/accounts.js';
import { climateGroup } from './climate.js';
import { devicesGroup } from './devices.js';
import { gatewaysGroup } from './gateways.js';
import { CliError, type CliIo } from './io.js';
import { PLUGIN_FILES, privacyGroup } from './privacy.js';
import { knownBlocks, type CliBlock } from './blocks.js';
import { checkPluginFolder, dropRootForStorage } from './storage-guard.js';
import { usersGroup } from './users.js';

export interface CliContext {
  /** The Homebridge storage directory (the plugin's files are in its velux-climate/<block id>/). */
  storagePath: string;
  /** Every platform block of this storage (cli/blocks.ts). */
  blocks: CliBlock[];
  /** The value of `--block`, if given. */
  blockOption?: string;
  io: CliIo;
  /** Cost of new password hashes (tests); default scrypt N=2^15. */
  scrypt?: ScryptParams;
  /** How long `privacy erase` waits for a running server to revoke tokens itself (default 3 s). */
  serverWaitMs?: number;
}

export interface CommandGroup {
  name: string;
  summary: string;
  /** One line per subcommand, without the program name. */
  usage: string[];
  run(args: string[], context: CliContext): Promise<number>;
}

export const COMMAND_GROUPS: CommandGroup[] = [usersGroup, privacyGroup, climateGroup, gatewaysGroup, devicesGroup];

export const DEFAULT_STORAGE = join(homedir(), '.homebridge');

export function usage(): string {
  const lines = [
    'Usage: velux-climate [--storage <dir>] [--block <id>] <command> ...',
    '',
    'Options:',
    `  --storage <dir>  the Homebridge storage directory (default ${DEFAULT_STORAGE}, or what you pass to homebridge -U)`,
    '  --block <id>     the platform block (its "id" in config.json, "default" without one); needed with several',
    '                   blocks, except for privacy, which covers every block unless --block names one',
    '  --help           this text',
    '',
    'Commands:',
  ];
  for (const group of COMMAND_GROUPS) {
    lines.push(`  ${group.name}: ${group.summary}`);
    for (const line of group.usage) lines.push(`    velux-climate ${line}`);
  }
  lines.push('', 'Passwords are read from stdin when it is not a terminal (one per line), otherwise prompted for without echo.');
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI and returns the exit code (0 ok, 1 refused or failed, 2 wrong usage). */
export interface MainOptions {
  scrypt?: ScryptParams;
  serverWaitMs?: number;
  /**
   * Run as root on someone else's storage directory: switch to its owner (the installed
   * program does) instead of refusing (the default, for callers that must keep their identity).
   */
  switchUser?: boolean;
}

export async function main(argv: string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  let storage: string | undefined;
  let block: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--storage' || arg === '-U') {
      const value = argv[++i];
      if (!value) return fail(io, 'missing directory after --storage', 2);
      storage = value;
    } else if (arg.startsWith('--storage=')) {
      storage = arg.slice('--storage='.length);
      if (!storage) return fail(io, 'missing directory after --storage=', 2);
    } else if (arg === '--block') {
      block = argv[++i];
      if (!block) return fail(io, 'missing block id after --block', 2);
    } else if (arg.startsWith('--block=')) {
      block = arg.slice('--block='.length);
      if (!block) return fail(io, 'missing block id after --block=', 2);
    } else if (arg === '--help' || arg === '-h' || arg === 'help') {
      io.stdout.write(usage());
      return 0;
    } else {
      rest.push(arg);
    }
  }
  const [name, ...args] = rest;
  if (!name) {
    io.stderr.write(usage());
    return 2;
  }
  const group = COMMAND_GROUPS.find((g) => g.name === name);
  if (!group) return fail(io, `unknown command "${name}" (try --help)`, 2);
  const storagePath = resolve(storage ?? DEFAULT_STORAGE);
  try {
    // Before any file is opened: never act as root on a folder someone else controls.
    dropRootForStorage(storagePath, options.switchUser === true);
    const blocks = knownBlocks(storagePath);
    checkPluginFolder(storagePath, blocks.map((b) => b.dir), Object.values(PLUGIN_FILES));
    const context: CliContext = { storagePath, blocks, blockOption: block, io, scrypt: options.scrypt, serverWaitMs: options.serverWaitMs };
    return await group.run(args, context);
  } catch (err) {
    if (err instanceof CliError) return fail(io, err.message, err.exitCode);
    if (err instanceof AccountError) return fail(io, err.message, 1);
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) return fail(io, err.message, 2);
    return fail(io, err instanceof Error ? err.message : String(err), 1);
  }
}

function fail(io: CliIo, message: string, code: number): number {
  io.stderr.write(`velux-climate: ${message}\n`);
  return code;
}
