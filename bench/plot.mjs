// Draws docs/performance-scale.svg from bench/results/scale.json: four small charts (publish
// time, memory, event-loop delay under the storm, Google SYNC/QUERY) against home size on a
// log axis, with the targets as dashed lines. Hand-written SVG, no plotting package.
//   node bench/plot.mjs   (bench/scale.mjs calls it after measuring)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, resultsDir } from './lib.mjs';

const W = 360;
const H = 230;
const M = { left: 52, right: 14, top: 50, bottom: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * p >= v) return m * p; // quarters stay round
  return 10 * p;
}

/** One chart: series [{name, points:[[x,y]]}], optional target {y, label}; returns an SVG <g>. */
function chart({ x0, y0, title, unit, xs, series, target }) {
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const lx = (x) => Math.log10(x);
  const [xmin, xmax] = [lx(Math.min(...xs)) - 0.1, lx(Math.max(...xs)) + 0.1];
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const ymax = niceMax(Math.max(...values, target?.y ?? 0) * 1.1);
  const px = (x) => x0 + M.left + ((lx(x) - xmin) / (xmax - xmin)) * iw;
  const py = (y) => y0 + M.top + ih - (y / ymax) * ih;
  const out = [];
  out.push(`<text x="${x0 + M.left}" y="${y0 + 18}" font-size="12" font-weight="bold">${esc(title)}</text>`);
  // Axes, grid and ticks.
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    const y = py(v);
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + iw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + M.left - 6}" y="${y + 4}" font-size="10" text-anchor="end">${+v.toPrecision(3)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${y0 + M.top + ih}" y2="${y0 + M.top + ih + 4}" stroke="#333"/>`);
    out.push(`<text x="${px(x)}" y="${y0 + M.top + ih + 16}" font-size="10" text-anchor="middle">${x}</text>`);
  }
  out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + iw}" y1="${y0 + M.top + ih}" y2="${y0 + M.top + ih}" stroke="#333"/>`);
  out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left}" y1="${y0 + M.top}" y2="${y0 + M.top + ih}" stroke="#333"/>`);
  out.push(`<text x="${x0 + M.left + iw / 2}" y="${y0 + H - 6}" font-size="10" text-anchor="middle">devices (log scale)</text>`);
  out.push(`<text transform="translate(${x0 + 12} ${y0 + M.top + ih / 2}) rotate(-90)" font-size="10" text-anchor="middle">${esc(unit)}</text>`);
  if (target) {
    const y = py(target.y);
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + iw}" y1="${y}" y2="${y}" stroke="#e67e22" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${x0 + M.left + iw - 2}" y="${y - 4}" font-size="10" text-anchor="end" fill="#e67e22">${esc(target.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}: ${x} devices → ${y} ${unit}`)}</title></circle>`);
    // Legend under the title, outside the plot area.
    const ly = y0 + 33 + Math.floor(i / 2) * 12;
    const lx = x0 + M.left + (i % 2) * 150;
    out.push(`<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}" font-size="10">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

export function renderSvg(result) {
  const sizes = result.sizes;
  const xs = sizes.map((s) => s.devices);
  const pts = (f) => sizes.map((s) => [s.devices, f(s)]);
  const t = result.target;
  const charts = [
    chart({
      x0: 0,
      y0: 0,
      title: 'Start → all accessories published',
      unit: 's',
      xs,
      series: [
        { name: 'plugin', points: pts((s) => s.publishSeconds) },
        { name: 'floor (same accessories)', points: pts((s) => s.floor?.publishSeconds) },
      ],
      target: { y: t.publishSeconds, label: `target ${t.publishSeconds} s @ ${t.devices}` },
    }),
    chart({
      x0: W,
      y0: 0,
      title: 'Memory (RSS, all Homebridge processes)',
      unit: 'MiB',
      xs,
      series: [
        { name: 'plugin − bare', points: pts((s) => s.memoryAboveBareMiB) },
        { name: 'floor − bare', points: pts((s) => s.floor?.memoryAboveBareMiB) },
        { name: 'plugin − floor', points: pts((s) => s.memoryAboveFloorMiB) },
      ],
      target: { y: t.memoryAboveBareMiB, label: `target ${t.memoryAboveBareMiB} MB @ ${t.devices}` },
    }),
    chart({
      x0: 0,
      y0: H,
      title: `Event-loop delay, ${result.stormRatePerSecond} sensor msg/s`,
      unit: 'ms',
      xs,
      series: [
        { name: 'p99 (worst bridge)', points: pts((s) => s.eventLoop.p99MsMax) },
        { name: 'p50 (worst bridge)', points: pts((s) => s.eventLoop.p50MsMax) },
      ],
      target: { y: t.eventLoopP99Ms, label: `target p99 ${t.eventLoopP99Ms} ms @ ${t.devices}` },
    }),
    chart({
      x0: W,
      y0: H,
      title: 'Google, whole home (median)',
      unit: 'ms',
      xs,
      series: [
        { name: 'SYNC', points: pts((s) => s.google?.syncMs.median) },
        { name: 'QUERY (all devices)', points: pts((s) => s.google?.queryMs.median) },
      ],
    }),
  ];
  const machine = result.machine ? `${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}` : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${2 * H + 24}" viewBox="0 0 ${2 * W} ${2 * H + 24}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    charts.join('\n'),
    `<text x="8" y="${2 * H + 16}" font-size="10" fill="#555">${esc(`homebridge-velux-climate, npm run bench -- scale, ${result.date ?? ''} ${machine}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export function writePlot(result, file = join(repoRoot, 'docs', 'performance-scale.svg')) {
  writeFileSync(file, renderSvg(result));
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = JSON.parse(readFileSync(join(resultsDir, 'scale.json'), 'utf8'));
  console.log(`wrote ${writePlot(result)}`);
}
