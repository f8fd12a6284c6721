// `npm run bench [-- name ...]`: runs each benchmark in its own process, one after another, so
// they do not disturb each other; each writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './lib.mjs';

const ALL = ['modules', 'climate', 'sensor-history', 'eve', 'climate-real', 'homekit-latency', 'homekit-events', 'mosquitto-nodelay', 'matter', 'google', 'scale', 'klf200', 'kix300', 'ui'];
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
let failed = 0;
const started = Date.now();
for (const name of wanted) {
  const file = join(repoRoot, 'bench', `${name}.mjs`);
  if (!existsSync(file)) {
    console.error(`no benchmark "${name}" (have: ${ALL.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`--- ${name}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit', cwd: repoRoot });
  if (r.status !== 0) failed++;
}
console.log(`benchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);
