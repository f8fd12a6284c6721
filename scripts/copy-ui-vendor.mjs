/**
 * Copies the chart library the plugin's History page uses (uPlot, MIT) with its licence into
 * homebridge-ui/public/vendor/ at build time, so the page works offline (no CDN) and the
 * published package carries it. The folder is generated: not in git.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'node_modules', 'uplot');
const to = join(root, 'homebridge-ui', 'public', 'vendor');
mkdirSync(to, { recursive: true });
for (const [source, target] of [
  ['dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['dist/uPlot.min.css', 'uPlot.min.css'],
  ['LICENSE', 'uPlot.LICENSE'],
]) {
  copyFileSync(join(from, source), join(to, target));
}
