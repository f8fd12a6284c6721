/**
 * What the CLI checks before it touches the storage directory, because admins run it with
 * sudo (docs/security.md "Running the CLI as root"):
 * - as root on a storage directory that belongs to someone else, the program switches to
 *   that user and group for good (setgroups/setgid/setuid) before it opens any file, so it
 *   can do nothing there the owner could not do themselves and never hands a file over;
 * - the plugin folder and the plugin's files must be what they claim: a real folder inside
 *   the storage directory and plain files, never symbolic links (a link could point the
 *   CLI at /etc).
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { pluginRootDir } from '../storage/paths.js';
import { CliError } from './io.js';

/** Every file name the plugin keeps in its folder (checked for links; privacy.ts lists what each is). */
export type PluginFileNames = readonly string[];

export interface Identity {
  uid: number;
  gid: number;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The owner of the storage directory, or undefined when it does not exist yet. */
function storageOwner(storagePath: string): Identity | undefined {
  try {
    const { uid, gid } = statSync(storagePath);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Run as root on a storage directory owned by another user: become that user (`switchUser`,
 * the installed program) or refuse (a library caller such as a test, whose process must not
 * change identity). Returns the identity switched to, if any.
 */
export function dropRootForStorage(storagePath: string, switchUser: boolean): Identity | undefined {
  if (!isRoot()) return undefined;
  const owner = storageOwner(storagePath);
  if (!owner || owner.uid === 0) return undefined;
  if (!switchUser) {
    throw new CliError(`run as root, but ${storagePath} belongs to uid ${owner.uid}: run the velux-climate program (it switches to that user) or run it as that user`);
  }
  try {
    process.setgroups?.([owner.gid]);
    process.setgid?.(owner.gid);
    process.setuid?.(owner.uid);
  } catch (err) {
    throw new CliError(`could not switch from root to the owner of ${storagePath} (uid ${owner.uid}): ${err instanceof Error ? err.message : String(err)}; run it as that user instead`);
  }
  if (process.getuid?.() !== owner.uid) throw new CliError(`could not switch from root to uid ${owner.uid}; run it as that user instead`);
  return owner;
}

/**
 * Refuses a plugin folder (`velux-climate/` or a block's folder in it) that is a symbolic link
 * or lies outside the storage directory, and plugin files that are links or not plain files.
 * A folder that does not exist yet is fine (it is created 0700 on the first write).
 */
export function checkPluginFolder(storagePath: string, blockDirs: readonly string[], files: PluginFileNames): void {
  const root = pluginRootDir(storagePath);
  checkFolder(storagePath, root, []);
  for (const dir of blockDirs) checkFolder(storagePath, dir, files);
}

function checkFolder(storagePath: string, dir: string, files: PluginFileNames): void {
  let info;
  try {
    info = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`cannot look at ${dir}: ${(err as Error).message}`);
  }
  if (info.isSymbolicLink()) throw new CliError(`${dir} is a symbolic link; refusing to use it (make it a real folder)`);
  if (!info.isDirectory()) throw new CliError(`${dir} is not a folder; refusing to use it`);
  let inside = false;
  try {
    inside = realpathSync(dir).startsWith(realpathSync(storagePath) + sep);
  } catch {
    inside = false;
  }
  if (!inside) throw new CliError(`${dir} does not resolve to a folder inside ${storagePath}; refusing to use it`);
  for (const name of files) {
    const path = join(dir, name);
    let file;
    try {
      file = lstatSync(path);
    } catch {
      continue;
    }
    if (file.isSymbolicLink()) throw new CliError(`${path} is a symbolic link; refusing to use it (remove it)`);
    if (!file.isFile()) throw new CliError(`${path} is not a plain file; refusing to use it`);
  }
}
