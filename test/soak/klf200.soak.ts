/**
 * Soak of the KLF 200 transport against the emulated KLF 200: commands flow continuously to
 * every product while faults hit at random moments — the gateway freezes, drops the session,
 * refuses TLS handshakes, reboots with a short product list, rain on a window. At the end it
 * prints the figures and fails on any lost command (a send that never got an answer, or an
 * answered success the KLF never received) or false success.
 *
 *   SOAK_MINUTES=10 npx vitest run --config test/soak/vitest.config.ts test/soak/klf200.soak.ts
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { percentToRaw } from '../../src/gateway/klf200/products.js';
import type { CommandResult } from '../../src/gateway/types.js';
import { recordingLogger } from '../helpers/log.js';
import { AWNING, BLIND, LIVING_WINDOW, SHUTTER, WINDOW, gatewayFor, startEmulator } from '../klf200/support.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const PRODUCTS = [
  { id: WINDOW, node: 0 },
  { id: BLIND, node: 1 },
  { id: SHUTTER, node: 2 },
  { id: LIVING_WINDOW, node: 3 },
  { id: AWNING, node: 4 },
];
type FaultKind = 'freeze' | 'drop' | 'handshake' | 'reboot' | 'rain';

describe('KLF 200 soak', () => {
  it(`survives ${MINUTES} minutes of KLF 200 faults with no lost command and no false success (seed ${SEED})`, async () => {
    const emulator = await startEmulator({ fullTravelMs: 1500 });
    const log = recordingLogger();
    const gateway = gatewayFor(emulator, log, { commandTimeoutMs: 1500, keepAliveMs: 500, rainPollMs: 1000, reconnectMaxMs: 2000, bootGraceMs: 4000 });
    await gateway.start();
    const random = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 100_000, seed: SEED });
    let r = 0;
    const next = (n: number) => random[r++ % random.length]! % n;
    const outcomes = new Map<string, number>();
    const problems: string[] = [];
    let sent = 0;
    let answered = 0;
    let oks = 0;
    const recovery: Record<string, number[]> = {};
    let running = true;
    const commander = (async () => {
      while (running) {
        const p = PRODUCTS[next(PRODUCTS.length)]!;
        const stop = next(10) === 0;
        const position = next(101);
        const command = stop ? { stop: true as const } : { position };
        const startedAt = Date.now();
        const receivedBefore = emulator.commands.length;
        sent++;
        const result = await Promise.race<CommandResult | 'hang'>([
          gateway.send(p.id, command, 'climate'),
          new Promise<'hang'>((res) => setTimeout(() => res('hang'), 10_000)),
        ]);
        if (result === 'hang') {
          problems.push(`lost: ${p.id} ${JSON.stringify(command)} got no answer within 10 s`);
          continue;
        }
        answered++;
        const key = result.ok ? 'ok' : result.error;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (result.ok) {
          oks++;
          const raw = stop ? 0xd200 : percentToRaw(position);
          const got = emulator.commands.slice(receivedBefore).find((c) => c.nodeId === p.node && c.raw === raw && c.at >= startedAt - 5);
          if (!got || (got.result !== 'moving' && got.result !== 'stopped')) {
            problems.push(`false success: ${p.id} ${JSON.stringify(command)} answered ok, KLF record ${JSON.stringify(got)}`);
          }
        } else if (result.error === 'rain') {
          const got = emulator.commands.slice(receivedBefore).find((c) => c.nodeId === p.node && c.result === 'rain');
          if (!got) problems.push(`false rain: ${p.id} answered rain without a refusal by the KLF`);
        }
        await new Promise((res) => setTimeout(res, 50 + next(150)));
      }
    })();

    const deadline = Date.now() + MINUTES * 60_000;
    const kinds: FaultKind[] = ['freeze', 'drop', 'handshake', 'reboot', 'rain'];
    let faults = 0;
    while (Date.now() + 15_000 < deadline) {
      await new Promise((res) => setTimeout(res, 1000 + next(4000)));
      const kind = kinds[next(kinds.length)]!;
      faults++;
      let at = Date.now();
      const sessionsBefore = gateway.sessionsOpened;
      if (kind === 'freeze') {
        emulator.freeze(true);
        await new Promise((res) => setTimeout(res, 500 + next(5000)));
        emulator.freeze(false);
        at = Date.now(); // recovery counted from the moment the KLF answers again
      } else if (kind === 'drop') emulator.dropSessions();
      else if (kind === 'handshake') {
        emulator.refuseNextHandshakes(1 + next(4));
        emulator.dropSessions();
      } else if (kind === 'reboot') emulator.reboot({ shortForMs: 500 + next(2000), shortCount: 1 + next(4) });
      else {
        const node = next(2) === 0 ? 0 : 3;
        emulator.setRain(node, true);
        await new Promise((res) => setTimeout(res, 500 + next(3000)));
        emulator.setRain(node, false);
      }
      if (kind !== 'rain') {
        // Back online on a new session (a short freeze may pass unnoticed: then nothing to recover).
        const waitStart = Date.now();
        while (!(gateway.online && gateway.sessionsOpened > sessionsBefore) && Date.now() - waitStart < 60_000) {
          if (kind === 'freeze' && gateway.online && gateway.sessionsOpened === sessionsBefore && Date.now() - waitStart > 3000) break;
          await new Promise((res) => setTimeout(res, 20));
        }
        if (!gateway.online) problems.push(`not back online within 60 s after ${kind}`);
        else if (gateway.sessionsOpened > sessionsBefore) (recovery[kind] ??= []).push(Date.now() - at);
      }
    }
    running = false;
    await commander;
    // Settle: every product to a known position, and the KLF must agree.
    while (!gateway.online) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 500));
    for (const p of PRODUCTS) expect(await gateway.send(p.id, { position: 100 - p.node * 10 }, 'test')).toEqual({ ok: true });
    await new Promise((res) => setTimeout(res, 2500));
    for (const p of PRODUCTS) expect(emulator.position(p.node)).toBe(percentToRaw(100 - p.node * 10));
    const summary = Object.fromEntries(Object.entries(recovery).map(([k, v]) => [k, { n: v.length, medianMs: v.sort((a, b) => a - b)[Math.floor(v.length / 2)], maxMs: Math.max(...v) }]));
    console.log(
      `[klf200 soak] ${MINUTES} min, seed ${SEED}: ${faults} faults, ${sent} commands sent, ${answered} answered, ${oks} ok; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
        `sessions ${emulator.stats.sessions}, max concurrent ${emulator.stats.maxConcurrentSessions}; recovery ${JSON.stringify(summary)}; problems ${problems.length}`,
    );
    await gateway.stop();
    await emulator.stop();
    expect(problems).toEqual([]);
    expect(answered).toBe(sent);
    expect(emulator.stats.maxConcurrentSessions).toBe(1);
  });
});
