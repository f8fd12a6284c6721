// Preloaded into the UI server parts by bench/ui.mjs (`node --expose-gc --import bench/ui-probe.mjs`).
// Answers {action:'bench-memory'} on the IPC channel the Homebridge UI uses with the process's
// RSS (before a GC) and heap (after a full GC); @homebridge/plugin-ui-utils ignores the action.
import process from 'node:process';

process.on('message', (m) => {
  if (m?.action !== 'bench-memory') return;
  const rss = process.memoryUsage.rss();
  globalThis.gc?.();
  const { heapUsed, heapTotal, external } = process.memoryUsage();
  process.send?.({ action: 'bench-memory', payload: { rss, heapUsed, heapTotal, external } });
});
