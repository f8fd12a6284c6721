/**
 * Faults against a real Mosquitto started by this test (persistence on, so retained
 * messages survive a restart), the simulated home and a real Home + MqttGateway:
 * - the broker SIGKILLed and restarted 5 times while commands flow continuously;
 * - the gateway going offline through its last will; a gateway that never answers, and one
 *   that answers after the timeout; a device out of radio reach; a device removed from
 *   `bridge/devices` while commands for it wait.
 * Skipped (with a message) when Mosquitto is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/gateway/types.js';
import { waitFor } from '../helpers/log.js';
import { CommandTraffic, FaultRig, median, sleep, type OutageFigures } from './support/fault-harness.js';
import { MOSQUITTO_BIN, mosquittoAvailable } from './support/mosquitto.js';

const available = mosquittoAvailable();
if (!available) console.warn(`[faults] skipped: no Mosquitto at ${MOSQUITTO_BIN} (apt-get install mosquitto, or set MOSQUITTO_BIN)`);

/**
 * Outage lengths that meet every step of the bridge's reconnect backoff (attempts ~250, 750,
 * 1750, 3250 ms after the drop), including the worst case: the broker returning just after a
 * failed attempt (1760 and 3260 ms), when the next attempt is a whole backoff step away.
 */
const OUTAGES_MS = [400, 1300, 1760, 3260, 900];
const COMMAND_TIMEOUT_MS = 1500;

describe.skipIf(!available)(`faults against a real Mosquitto (${MOSQUITTO_BIN})`, () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({ timeScale: 20, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it(
    `survives ${OUTAGES_MS.length} broker kills while commands flow: errors during outages, no replays, rebuilt within 2 s`,
    async () => {
      const traffic = new CommandTraffic(rig);
      traffic.start();
      await sleep(1000);
      const figures: OutageFigures[] = [];
      for (const [i, downMs] of OUTAGES_MS.entries()) {
        figures.push(await rig.brokerOutage(traffic, i + 1, downMs));
        await sleep(800); // commands flow normally between outages
      }
      await traffic.stop();

      const summary = traffic.summary();
      const perOutage = figures.map((f) => ({ ...f, answers: traffic.outageAnswers(f.index) }));
      console.log(
        [
          `[faults] ${figures.length} broker restarts survived; ${summary.issued} commands (${summary.ok} ok, errors ${JSON.stringify(summary.errors)}); ${summary.published} published, ${summary.arrived} arrived`,
          ...perOutage.map(
            (f) =>
              `[faults]   outage ${f.index}: down ${f.downMs} ms, unreachable after ${f.detectMs} ms, rebuilt ${f.recoveryMs} ms after return` +
              `${f.fromPersistedRetained ? ' (from the broker’s persisted retained messages)' : ''}, first ok command after ${f.serviceMs} ms; ` +
              `commands during the outage: ${JSON.stringify(f.answers)}`,
          ),
          `[faults] recovery median ${median(figures.map((f) => f.recoveryMs))} ms, max ${Math.max(...figures.map((f) => f.recoveryMs))} ms`,
        ].join('\n'),
      );

      const problems = traffic.check();
      if (problems.length > 0) console.log(`[faults] broken invariants:\n  ${problems.join('\n  ')}`);
      if (traffic.inFlightAtCrash.length > 0) console.log(`[faults] in flight at a crash, reached the gateway anyway: ${traffic.inFlightAtCrash.join('; ')}`);
      expect(problems).toEqual([]);
      expect(rig.errors.errors).toEqual([]);
      for (const f of perOutage) {
        expect(f.detectMs, `outage ${f.index}: devices unreachable after the kill`).toBeLessThan(1000);
        expect(f.recoveryMs, `outage ${f.index}: rebuilt after the broker's return`).toBeLessThanOrEqual(2000);
        // commands did flow during each outage, and none was answered ok
        expect(Object.values(f.answers).reduce((a, b) => a + b, 0), `outage ${f.index}: commands issued`).toBeGreaterThan(0);
        expect(f.answers.ok ?? 0).toBe(0);
      }
      await rig.expectConverged();
      expect(rig.log.text('error')).toEqual([]);
    },
    120_000,
  );

  it('marks everything unreachable on the gateway’s last will and sends nothing until it is back', async () => {
    const window = rig.key('kitchen-window');
    const arrivedBefore = rig.receipts.length;
    await rig.sim.disconnectUnclean();
    const offlineAt = Date.now();
    await waitFor(() => rig.allUnreachable(), 3000, 'the last will to take the gateway offline');
    console.log(`[faults] last will: every device unreachable ${Date.now() - offlineAt} ms after the gateway dropped`);
    expect(await rig.home.command(window, { position: 30 }, 'test')).toMatchObject({ ok: false, error: 'gateway_offline' });
    await sleep(200);
    expect(rig.receipts.length).toBe(arrivedBefore);
    expect(rig.log.text('warn')).toContain('[Faults] the gateway is offline');

    const backAt = Date.now();
    await rig.sim.goOnline();
    await waitFor(() => rig.allReachable(), 5000, 'the gateway to be back');
    console.log(`[faults] last will: reachable again ${Date.now() - backAt} ms after the gateway reconnected`);
    expect(await rig.home.command(window, { position: 30 }, 'test')).toEqual({ ok: true });
  });

  it('times out a command the gateway never answers; the gateway did receive it once', async () => {
    const blind = rig.key('living-blind');
    rig.sim.setAnswerMode('never');
    try {
      const sentAt = Date.now();
      const before = rig.receipts.length;
      const result = await rig.home.command(blind, { position: 20 }, 'test');
      const took = Date.now() - sentAt;
      expect(result).toMatchObject({ ok: false, error: 'timeout' });
      expect(took).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(COMMAND_TIMEOUT_MS + 500);
      const arrived = rig.receipts.slice(before).filter((r) => r.deviceId === 'living-blind');
      expect(arrived).toHaveLength(1);
      expect(rig.home.device(blind)?.reachable).toBe(true);
    } finally {
      rig.sim.setAnswerMode('normal');
    }
    expect(await rig.home.command(blind, { position: 20 }, 'test')).toEqual({ ok: true });
  });

  it('ignores an answer that comes after the timeout; the caller already got `timeout`', async () => {
    const awning = rig.key('kitchen-awning');
    rig.sim.setAnswerMode({ delayMs: COMMAND_TIMEOUT_MS + 400 });
    const before = rig.receipts.length;
    let late: CommandResult;
    let lateSettledAt: number;
    try {
      late = await rig.home.command(awning, { position: 40 }, 'test');
      lateSettledAt = Date.now();
    } finally {
      rig.sim.setAnswerMode('normal');
    }
    expect(late).toMatchObject({ ok: false, error: 'timeout' });
    const lateTransaction = rig.receipts.slice(before).find((r) => r.deviceId === 'kitchen-awning')!.transaction;
    // the next command goes out while the late answer is still on its way
    const next = rig.home.command(awning, { position: 60 }, 'test');
    expect(await next).toEqual({ ok: true });
    const answered = await waitFor(() => rig.responses.get(lateTransaction), 3000, 'the late answer');
    expect(answered.status).toBe('ok');
    expect(answered.at).toBeGreaterThan(lateSettledAt);
    await sleep(100);
    expect(late).toMatchObject({ ok: false, error: 'timeout' });
    expect(rig.log.text('warn').filter((l) => l.includes('bridge/response'))).toEqual([]);
    expect(rig.errors.errors).toEqual([]);
  });

  it('answers `unreachable` for a device out of radio reach, and commands it again once back', async () => {
    const id = 'bedroom-window';
    const key = rig.key(id);
    rig.sim.setReachable(id, false);
    // sent at once: the gateway itself may be the one to answer
    const immediate = await rig.home.command(key, { position: 10 }, 'test');
    expect(immediate).toMatchObject({ ok: false, error: 'unreachable' });
    await waitFor(() => rig.home.device(key)?.reachable === false, 3000, 'the window to be unreachable');
    const before = rig.receipts.length;
    expect(await rig.home.command(key, { position: 10 }, 'test')).toMatchObject({ ok: false, error: 'unreachable' });
    expect(rig.receipts.length).toBe(before); // refused by the bridge: nothing sent
    expect(rig.home.devices().filter((d) => d.id !== id).every((d) => d.reachable)).toBe(true);
    rig.sim.setReachable(id, true);
    await waitFor(() => rig.home.device(key)?.reachable, 3000, 'the window to be reachable again');
    expect(await rig.home.command(key, { position: 10 }, 'test')).toEqual({ ok: true });
  });

  it('answers commands waiting for a device `unknown_device` when bridge/devices drops it mid-command', async () => {
    const id = 'bathroom-window';
    const key = rig.key(id);
    const descriptor = rig.sim.devices().find((d) => d.id === id)!;
    rig.sim.setAnswerMode({ delayMs: 500 });
    const before = rig.receipts.length;
    let inFlight: Promise<CommandResult>;
    let waiting: Array<Promise<CommandResult>>;
    try {
      inFlight = rig.home.command(key, { position: 50 }, 'test');
      await waitFor(() => rig.receipts.slice(before).some((r) => r.deviceId === id), 2000, 'the first command at the gateway');
      waiting = [rig.home.command(key, { position: 70 }, 'test'), rig.home.command(key, { position: 80 }, 'google')];
      await sleep(20);
      rig.sim.removeDevice(id);
      const answers = await Promise.all(waiting);
      expect(answers[0]).toMatchObject({ ok: false, error: 'unknown_device', superseded: true });
      expect(answers[1]).toMatchObject({ ok: false, error: 'unknown_device' });
      expect(answers[1]?.superseded).toBeUndefined();
      // the command already at the gateway gets the gateway's own answer
      expect(await inFlight).toEqual({ ok: true });
    } finally {
      rig.sim.setAnswerMode('normal');
    }
    expect(rig.home.device(key)).toBeUndefined();
    expect(await rig.home.command(key, { position: 1 }, 'test')).toMatchObject({ ok: false, error: 'unknown_device' });
    await sleep(200);
    expect(rig.receipts.slice(before).filter((r) => r.deviceId === id)).toHaveLength(1); // the waiting ones were never sent

    // and a device that comes back is added without a restart
    rig.sim.addDevice(descriptor);
    await waitFor(() => rig.home.device(key)?.reachable, 3000, 'the window to come back');
    expect(await rig.home.command(key, { position: 5 }, 'test')).toEqual({ ok: true });
    expect(rig.errors.errors).toEqual([]);
  });
});
