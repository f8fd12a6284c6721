// Preloaded into Homebridge processes by the benchmarks (`node --import bench/probe.mjs …`;
// child bridges inherit it through fork's execArgv). Does nothing unless BENCH_PROBE_DIR is
// set. Writes JSON lines to <BENCH_PROBE_DIR>/<pid>.jsonl:
//  - {kind:'start'} with argv, so the benchmark can tell the main process from child bridges;
//  - {kind:'listening', port} when a HAP server listens, and {kind:'accessories', count} each
//    time Homebridge adds bridged accessories to it (HAP-NodeJS's Accessory is wrapped; the
//    plugin is not touched), to time "all accessories published" without polling;
//  - {kind:'eld', …} event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution)
//    between two SIGUSR2 signals: the first resets and starts the histogram, the second writes it;
//  - {kind:'mem', …} at the first of those signals: RSS, V8 heap used and committed, external.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import v8 from 'node:v8';

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  const now = () => performance.timeOrigin + performance.now();
  const write = (record) => {
    try {
      appendFileSync(file, `${JSON.stringify({ t: now(), pid: process.pid, ...record })}\n`);
    } catch {}
  };
  write({ kind: 'start', ppid: process.ppid, argv: process.argv.slice(1) });

  // Event-loop delay, on demand.
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let recordingSince;
  process.on('SIGUSR2', () => {
    if (recordingSince === undefined) {
      // Where this process's memory is at this moment (the benchmarks signal after settling).
      const m = process.memoryUsage();
      const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { sizeMiB: mib(sp.space_size), usedMiB: mib(sp.space_used_size) }]));
      write({ kind: 'mem', rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers), spaces });
      histogram.reset();
      histogram.enable();
      recordingSince = now();
      return;
    }
    histogram.disable();
    const ms = (ns) => Math.round((ns / 1e6) * 1000) / 1000;
    const mem = process.memoryUsage();
    write({
      kind: 'eld',
      seconds: Math.round((now() - recordingSince) / 100) / 10,
      count: histogram.count,
      min: ms(histogram.min),
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean),
      heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
      rssMiB: Math.round(mem.rss / 2 ** 20),
    });
    recordingSince = undefined;
  });

  // Accessory publication, seen from HAP-NodeJS (resolved the way Homebridge resolves it).
  try {
    const fromHomebridge = createRequire(createRequire(import.meta.url).resolve('homebridge'));
    const hap = fromHomebridge('@homebridge/hap-nodejs');
    const proto = hap.Accessory.prototype;
    const addBridgedAccessories = proto.addBridgedAccessories;
    proto.addBridgedAccessories = function (accessories) {
      const result = addBridgedAccessories.call(this, accessories);
      write({ kind: 'accessories', count: this.bridgedAccessories.length });
      return result;
    };
    const onListening = proto.onListening;
    proto.onListening = function (port, hostname) {
      write({ kind: 'listening', port, count: this.bridgedAccessories?.length ?? 0 });
      return onListening.call(this, port, hostname);
    };
  } catch (err) {
    write({ kind: 'probe-error', message: String(err) });
  }
}
