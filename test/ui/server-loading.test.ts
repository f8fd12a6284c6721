/**
 * The UI server part loads only what a page uses (docs/performance.md, "UI server part"): the
 * dialog opens on Rooms and asks for the live state every 2 s, so Rooms and History must not
 * pull in the CLI, Google's account and token code or the privacy commands; People and Privacy
 * load them when first asked. Runs the built server part (dist/, `npm test` builds first) in a
 * fresh Node process and lists the plugin's modules it imported, seen by a module load hook.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// A load hook (off the main thread) appends every module URL to a file as it loads (URLs hold no spaces).
const PROBE = `
import { readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
const [storagePath, log] = process.argv.slice(1);
writeFileSync(log, '');
register('data:text/javascript,' + encodeURIComponent('import { appendFileSync } from "node:fs"; export async function load(url, context, next) { appendFileSync(' + JSON.stringify(log) + ', url + " "); return next(url, context); }'));
const modules = () => readFileSync(log, 'utf8').split(' ').flatMap((u) => /\\/dist\\/(.+)$/.exec(u)?.[1] ?? []).sort();
const out = {};
const { createUiHandlers } = await import('./dist/ui/server.js');
const ui = createUiHandlers({ storagePath });
await ui['/blocks']({});
await ui['/state']({});
await ui['/history']({ days: 7 });
out.roomsAndHistory = modules();
await ui['/users']({});
await ui['/privacy/inventory']({});
out.people = modules();
console.log(JSON.stringify(out));
`;

describe('what the UI server part loads', () => {
  const storage = mkdtempSync(join(tmpdir(), 'velux-ui-loading-'));
  afterAll(() => rmSync(storage, { recursive: true, force: true }));
  writeFileSync(join(storage, 'config.json'), JSON.stringify({ bridge: {}, platforms: [{ platform: 'VeluxClimate', name: 'VELUX', gateways: [] }] }));
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, storage, join(storage, 'loaded.txt')], { cwd: root, encoding: 'utf8' })) as Record<string, string[]>;
  const heavy = (list: string[]) => list.filter((m) => m === 'cli/cli.js' || m === 'cli/privacy.js' || m === 'cli/users.js' || m.startsWith('google/'));

  it('Rooms and History load neither the CLI nor Google’s account code', () => {
    expect(out.roomsAndHistory).toContain('ui/plugin-socket.js');
    expect(out.roomsAndHistory).toContain('history/sensor-history.js');
    expect(heavy(out.roomsAndHistory!)).toEqual([]);
  });

  it('People and Privacy load them when first asked', () => {
    expect(heavy(out.people!)).toEqual(expect.arrayContaining(['cli/cli.js', 'cli/privacy.js', 'google/accounts.js']));
  });
});
