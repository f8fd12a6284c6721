/**
 * Soak: the fault injection of test/robustness/faults.test.ts for a long time. Commands
 * flow continuously while the broker is SIGKILLed and restarted (and now and then the
 * gateway drops off via its last will) at random moments for random lengths; at the end it
 * prints the figures and fails if any invariant broke.
 *
 *   SOAK_MINUTES=10 npx vitest run --config test/soak/vitest.config.ts
 *
 * SOAK_SEED makes the schedule of faults repeatable.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CommandTraffic, FaultRig, median, sleep, type OutageFigures } from '../robustness/support/fault-harness.js';
import { MOSQUITTO_BIN, mosquittoAvailable } from '../robustness/support/mosquitto.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const available = mosquittoAvailable();
if (!available) console.warn(`[soak] skipped: no Mosquitto at ${MOSQUITTO_BIN} (apt-get install mosquitto, or set MOSQUITTO_BIN)`);

interface Fault {
  kind: 'broker' | 'gateway';
  upMs: number;
  downMs: number;
}

/** A repeatable random schedule: mostly broker crashes, one in five a gateway dropout. */
function schedule(count: number): Fault[] {
  const fault = fc.record({
    kind: fc.constantFrom<Fault['kind']>('broker', 'broker', 'broker', 'broker', 'gateway'),
    upMs: fc.integer({ min: 500, max: 4000 }),
    downMs: fc.integer({ min: 100, max: 5000 }),
  });
  return fc.sample(fault, { numRuns: count, seed: SEED });
}

function stats(values: number[]): string {
  if (values.length === 0) return 'n/a';
  return `median ${median(values)} ms, max ${Math.max(...values)} ms, min ${Math.min(...values)} ms`;
}

describe.skipIf(!available)('soak', () => {
  it(`survives ${MINUTES} minutes of broker crashes and gateway dropouts (seed ${SEED})`, async () => {
    const rig = await FaultRig.start({ timeScale: 20, commandTimeoutMs: 1500 });
    const traffic = new CommandTraffic(rig);
    const figures: Array<OutageFigures & { kind: Fault['kind'] }> = [];
    const heap = () => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    };
    const heapBefore = heap();
    const internalsBefore = rig.internals();
    const started = Date.now();
    const deadline = started + MINUTES * 60_000;
    let failure: unknown;
    try {
      traffic.start();
      let nextReport = started + 60_000;
      for (const fault of schedule(100_000)) {
        if (Date.now() + fault.upMs + fault.downMs > deadline) break;
        await sleep(fault.upMs);
        const index = figures.length + 1;
        const f = fault.kind === 'broker' ? await rig.brokerOutage(traffic, index, fault.downMs) : await rig.gatewayDropout(traffic, index, fault.downMs);
        figures.push({ ...f, kind: fault.kind });
        if (process.env.SOAK_VERBOSE) console.log(`[soak] fault ${index}: ${fault.kind} ${JSON.stringify(f)}`);
        if (Date.now() >= nextReport) {
          nextReport += 60_000;
          const s = traffic.summary();
          console.log(`[soak] ${Math.round((Date.now() - started) / 60_000)} min: ${figures.length} faults, ${s.issued} commands, recovery max ${Math.max(...figures.map((x) => x.recoveryMs))} ms, ${traffic.check().filter((p) => !p.includes('never answered')).length} broken invariants so far`);
        }
      }
    } catch (err) {
      failure = err;
    } finally {
      await traffic.stop();
    }
    await sleep(500);
    const problems = traffic.check();
    const summary = traffic.summary();
    const broker = figures.filter((f) => f.kind === 'broker');
    const gateway = figures.filter((f) => f.kind === 'gateway');
    const duringOutages = traffic.outageAnswers();
    const unhandled = rig.errors.errors.length;
    const heapAfter = heap();
    const internalsAfter = rig.internals();
    const records = traffic.issued.length + rig.receipts.length + rig.publishes.length + rig.log.lines.length;
    console.log(
      [
        `[soak] ${((Date.now() - started) / 60_000).toFixed(1)} minutes, seed ${SEED}`,
        `[soak] broker restarts survived: ${broker.length}; gateway dropouts (last will) survived: ${gateway.length}`,
        `[soak] commands: ${summary.issued} issued, ${summary.ok} ok, errors ${JSON.stringify(summary.errors)}; ${summary.published} published, ${summary.arrived} arrived at the gateway`,
        `[soak] commands issued during outages: ${Object.values(duringOutages).reduce((a, b) => a + b, 0)}, answered ${JSON.stringify(duringOutages)}`,
        `[soak] commands in flight at a crash that reached the gateway although the caller was told the connection was lost: ${traffic.inFlightAtCrash.length}`,
        `[soak] broker recovery (return → home rebuilt): ${stats(broker.map((f) => f.recoveryMs))}; ${broker.filter((f) => f.fromPersistedRetained).length} rebuilt from the broker's persisted retained messages before the gateway was back`,
        `[soak] broker return → first ok command: ${stats(broker.map((f) => f.serviceMs))}`,
        `[soak] kill → every device unreachable: ${stats(broker.map((f) => f.detectMs))}`,
        `[soak] gateway dropout: unreachable after ${stats(gateway.map((f) => f.detectMs))}; gateway reconnected ${stats(gateway.map((f) => f.gatewayBackMs ?? 0))}; home rebuilt ${stats(gateway.map((f) => f.recoveryMs))}`,
        ...(rig.simLog.length > 0 ? [`[soak] simulator log (last 10): ${rig.simLog.slice(-10).join(' | ')}`] : []),
        `[soak] unhandled errors: ${unhandled}; error lines logged: ${rig.log.text('error').length}; warnings: ${rig.log.text('warn').length}`,
        `[soak] heap after GC: ${(heapBefore / 1e6).toFixed(1)} MB → ${(heapAfter / 1e6).toFixed(1)} MB, including the soak's own ${records} records`,
        `[soak] transport before → after: ${JSON.stringify(internalsBefore)} → ${JSON.stringify(internalsAfter)}`,
        `[soak] broken invariants: ${problems.length}${problems.length ? `\n  ${problems.slice(0, 50).join('\n  ')}` : ''}`,
      ].join('\n'),
    );
    await rig.stop();
    if (failure) throw failure;
    expect(problems).toEqual([]);
    expect(rig.errors.errors).toEqual([]);
    expect(rig.log.text('error')).toEqual([]);
    expect(Math.max(...broker.map((f) => f.recoveryMs), 0)).toBeLessThanOrEqual(2000);
    expect(duringOutages.ok ?? 0).toBe(0);
    expect(broker.length).toBeGreaterThan(0);
    // nothing left behind in the transport after hours of faults
    expect(internalsAfter.pendingCommands).toBe(0);
    expect(internalsAfter.mqttInFlight).toBe(0);
    expect(internalsAfter.mqttListeners).toBe(internalsBefore.mqttListeners);
    expect(internalsAfter.gatewayListeners).toBe(internalsBefore.gatewayListeners);
  });
});
