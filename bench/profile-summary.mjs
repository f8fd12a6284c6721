// Summarises a V8 .cpuprofile (node --cpu-prof): self time by package/area and the top
// functions, and the inclusive (total) time of functions whose name or file matches a filter.
//   node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--match text] [--until ms]
// --until: only the first <ms> of the profile (e.g. a process's start-up).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, match: { type: 'string', multiple: true }, until: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--match text]…');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
if (values.until !== undefined) {
  // Keep the samples of the first `until` ms only.
  const limit = Number(values.until) * 1000;
  let t = 0;
  let keep = 0;
  while (keep < profile.samples.length && t + (profile.timeDeltas[keep] ?? 0) <= limit) t += profile.timeDeltas[keep++] ?? 0;
  profile.samples = profile.samples.slice(0, keep);
  profile.timeDeltas = profile.timeDeltas.slice(0, keep);
}
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas (µs).
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

export function area(url) {
  if (!url) return '(native/V8)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = u.indexOf('/dist/');
  if (dist >= 0 && !u.includes('node_modules')) return `plugin dist/${u.slice(dist + 6).split('/').slice(0, -1).join('/') || '.'}`;
  if (u.startsWith('node:')) return 'node: core';
  return u;
}

const byArea = new Map();
const byFunction = new Map();
for (const [id, us] of self) {
  const n = nodes.get(id);
  const cf = n.callFrame;
  const name = cf.functionName || '(anonymous)';
  if (['(idle)', '(program)', '(garbage collector)', '(root)'].includes(name)) {
    byArea.set(name, (byArea.get(name) ?? 0) + us);
    continue;
  }
  const a = area(cf.url);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${name}  ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${cf.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const ms = (us) => (us / 1000).toFixed(1);
const pct = (us) => ((100 * us) / totalUs).toFixed(1);
const busy = totalUs - (byArea.get('(idle)') ?? 0);
console.log(`${file}: ${ms(totalUs)} ms sampled, ${ms(busy)} ms not idle`);
console.log('\nself time by area:');
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${ms(us).padStart(9)} ms ${pct(us).padStart(5)} %  ${a}`);
console.log(`\ntop ${values.top} functions by self time:`);
for (const [f, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${ms(us).padStart(9)} ms ${pct(us).padStart(5)} %  ${f}`);

for (const text of values.match ?? []) {
  // Inclusive time: a sample counts once for each distinct matching frame on its stack.
  let inclusive = 0;
  const hits = new Map();
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = nodes.get(cur).callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\//, '')}:${cf.lineNumber + 1}`;
      if ((cf.functionName.includes(text) || cf.url.includes(text)) && !seen.has(key)) {
        seen.add(key);
        hits.set(key, (hits.get(key) ?? 0) + dt);
      }
    }
    if (seen.size > 0) inclusive += dt;
  });
  console.log(`\ninclusive time of frames matching "${text}": ${ms(inclusive)} ms (${pct(inclusive)} %)`);
  for (const [k, us] of [...hits].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${ms(us).padStart(9)} ms  ${k}`);
}
