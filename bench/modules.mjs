// Modules: what importing each part of the plugin (and each library on its own) costs a fresh
// Node process: RSS and V8 heap growth after the import and a full GC, and the import time;
// median of REPEATS fresh processes per entry. Every Homebridge process (main bridge and each
// child bridge) imports the plugin's entry; a configuration then loads only its transports and,
// with Google Home on, google/. BENCH_BASELINE=<dir> (an older built checkout) adds its entry,
// measured in the same run.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, summarize, writeResult } from './lib.mjs';

const REPEATS = Number(process.env.BENCH_MODULES_REPEATS ?? 5);
const dist = (path, root = repoRoot) => pathToFileURL(join(root, 'dist', path)).href;
const ENTRIES = [
  ['plugin entry (dist/index.js)', dist('index.js')],
  ...(process.env.BENCH_BASELINE ? [[`baseline entry (${process.env.BENCH_BASELINE})`, dist('index.js', process.env.BENCH_BASELINE)]] : []),
  ['MQTT transport (gateway/mqtt/gateway.js)', dist('gateway/mqtt/gateway.js')],
  ['KLF 200 transport (gateway/klf200/gateway.js)', dist('gateway/klf200/gateway.js')],
  ['VELUX ACTIVE transport (gateway/kix300/kix300-gateway.js)', dist('gateway/kix300/kix300-gateway.js')],
  ['Google Home (google/index.js)', dist('google/index.js')],
  ...(process.env.BENCH_BASELINE ? [['baseline Google Home (google/index.js + its lazy actions-on-google)', 'BASELINE_GOOGLE']] : []),
  ['Matter (matter/index.js)', dist('matter/index.js')],
  ...['mqtt', 'zod', 'ajv', 'klf-200-api', 'hap-controller', 'express', '@node-oauth/oauth2-server', '@googleapis/homegraph'].map((name) => [`library ${name}`, name]),
];

// In a fresh process: import, full GC, report growth.
const PROBE = `
const mib = (b) => b / 1048576;
globalThis.gc(); const before = process.memoryUsage(); const t = performance.now();
if (process.argv[1] === 'BASELINE_GOOGLE') { await import(process.argv[2] + '/dist/google/index.js'); await import(process.argv[2] + '/node_modules/actions-on-google/dist/index.js'); }
else await import(process.argv[1]);
const ms = performance.now() - t; globalThis.gc(); const after = process.memoryUsage();
console.log(JSON.stringify({ rssMiB: mib(after.rss - before.rss), heapMiB: mib(after.heapUsed - before.heapUsed), ms }));
`;

function once(spec) {
  const args = spec === 'BASELINE_GOOGLE' ? [spec, pathToFileURL(process.env.BENCH_BASELINE).href] : [spec];
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

const rows = [];
for (const [what, spec] of ENTRIES) {
  let samples;
  try {
    samples = Array.from({ length: REPEATS }, () => once(spec));
  } catch (err) {
    console.log(`modules: ${what}: not importable here (${String(err.message).split('\n')[0]})`);
    continue;
  }
  const row = {
    what,
    rssMiB: summarize(samples.map((s) => s.rssMiB)).median,
    heapMiB: summarize(samples.map((s) => s.heapMiB)).median,
    importMs: summarize(samples.map((s) => s.ms)).median,
  };
  rows.push(row);
  console.log(`modules: ${what.padEnd(60)} +${row.rssMiB} MiB RSS, +${row.heapMiB} MiB heap, ${row.importMs} ms`);
}
const file = writeResult('modules', {
  what: 'import() of each entry in a fresh Node process: RSS and heap growth after a full GC, import time; median of repeats',
  repeats: REPEATS,
  rows,
});
console.log(`modules → ${file}`);
