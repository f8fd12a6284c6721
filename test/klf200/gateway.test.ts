/**
 * The KLF 200 transport against the emulated gateway (real TLS, the public frame format,
 * the real klf-200-api client): products, positions both ways, stop, wink, rain.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { percentToRaw, rawToPercent } from '../../src/gateway/klf200/products.js';
import type { Klf200Gateway } from '../../src/gateway/klf200/gateway.js';
import { ActuatorType, type KlfEmulator } from '../../src/simulator/klf200/emulator.js';
import { makeEmulatorCertificate } from '../../src/simulator/klf200/cert.js';
import { recordingLogger, waitFor } from '../helpers/log.js';
import { AWNING, BLIND, SHUTTER, WINDOW, cleanUp, cleanups, connected, gatewayFor, startEmulator } from './support.js';

afterEach(cleanUp);
const setUp = connected;

describe('position conversion', () => {
  it('raw 0 is open (100 %) and 0xC800 closed (0 %) for every type, both ways', () => {
    expect(rawToPercent(0)).toBe(100);
    expect(rawToPercent(0xc800)).toBe(0);
    expect(rawToPercent(0x6400)).toBe(50);
    expect(rawToPercent(0xf7ff)).toBeUndefined();
    expect(rawToPercent(0xd200)).toBeUndefined();
    for (let p = 0; p <= 100; p++) expect(rawToPercent(percentToRaw(p))).toBe(p);
  });
});

describe('KLF 200 transport', () => {
  it('publishes windows, blinds, shutters and awnings by actuator type, named by the config or the KLF', async () => {
    const { lists: devices, log } = await setUp(
      {},
      { devices: [{ serial: WINDOW, name: 'Roof window', room: 'Bedroom' }] },
    );
    const list = devices.at(-1)!;
    const byId = new Map(list.map((d) => [d.id, d]));
    expect(list.map((d) => d.type).sort()).toEqual(['awning', 'blind', 'shutter', 'window', 'window']);
    expect(byId.get(WINDOW)).toMatchObject({ type: 'window', name: 'Roof window', room: 'Bedroom', serial: WINDOW, features: { rainSensor: true } });
    expect(byId.get(BLIND)).toMatchObject({ type: 'blind', name: 'Bedroom blind' });
    expect(byId.get(SHUTTER)?.type).toBe('shutter');
    expect(byId.get(AWNING)?.type).toBe('awning');
    expect(log.text('info').some((l) => l.includes('"Garage door" (Garage door opener) is not a window or cover'))).toBe(true);
  });

  it('reads the right positions after discovery (a limitation read does not overwrite them)', async () => {
    const { last, emulator } = await setUp({
      products: [
        { nodeId: 0, name: 'W', serial: WINDOW, actuatorType: ActuatorType.WINDOW_OPENER, subType: 1, position: 0x6400 },
        { nodeId: 1, name: 'B', serial: BLIND, actuatorType: ActuatorType.INTERIOR_VENETIAN_BLIND, position: 0x3200 },
      ],
    });
    await waitFor(() => last(WINDOW).position !== undefined && last(BLIND).position !== undefined, 3000, JSON.stringify([last(WINDOW), last(BLIND)])).catch((e) => { throw new Error(`${e} ${JSON.stringify([last(WINDOW), last(BLIND)])}`); });
    expect(emulator.position(0)).toBe(0x6400);
    expect(last(WINDOW)).toMatchObject({ position: 50, motion: 'stopped', rain: false });
    expect(last(BLIND)).toMatchObject({ position: 75, motion: 'stopped' });
  });

  it('a write moves the product; its notifications show the movement and the end position', async () => {
    const { gateway, emulator, states, last } = await setUp();
    const result = await gateway.send(WINDOW, { position: 30 }, 'test');
    expect(result).toEqual({ ok: true });
    expect(emulator.commands.at(-1)).toMatchObject({ nodeId: 0, raw: percentToRaw(30), result: 'moving' });
    await waitFor(() => last(WINDOW).position === 30 && last(WINDOW).motion === 'stopped', 5000, 'the window at 30 %');
    const seen = states.get(WINDOW)!.map((s) => s.position);
    expect(seen.some((p) => p !== undefined && p > 0 && p < 30)).toBe(true); // intermediate positions
    expect(states.get(WINDOW)!.some((s) => s.motion === 'opening')).toBe(true);
    expect(emulator.position(0)).toBe(percentToRaw(30));
    // and back: a shutter closes (0 %) to raw 0xC800
    expect(await gateway.send(SHUTTER, { position: 0 }, 'test')).toEqual({ ok: true });
    await waitFor(() => last(SHUTTER).position === 0 && last(SHUTTER).motion === 'stopped', 5000, 'the shutter closed');
    expect(emulator.position(2)).toBe(0xc800);
  });

  it('stop halts a moving product where it is', async () => {
    const { gateway, emulator, last } = await setUp({ fullTravelMs: 4000 });
    expect(await gateway.send(BLIND, { position: 0 }, 'test')).toEqual({ ok: true });
    await waitFor(() => (last(BLIND).position ?? 100) < 80, 5000, 'the blind moving');
    expect(await gateway.send(BLIND, { stop: true }, 'test')).toEqual({ ok: true });
    await waitFor(() => last(BLIND).motion === 'stopped', 3000, 'stopped');
    const stoppedAt = emulator.position(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.moving(1)).toBe(false);
    expect(emulator.position(1)).toBe(stoppedAt);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(0xc800);
    expect(last(BLIND).position).toBe(rawToPercent(stoppedAt));
  });

  it('identify makes the product wink', async () => {
    const { gateway, emulator } = await setUp();
    expect(await gateway.identify(BLIND)).toEqual({ ok: true });
    expect(emulator.winks(1)).toBe(1);
  });

  it('rain: the window closes, reports rain, refuses to open with `rain`, and still closes', async () => {
    const { gateway, emulator, last } = await setUp();
    expect(await gateway.send(WINDOW, { position: 60 }, 'test')).toEqual({ ok: true });
    await waitFor(() => last(WINDOW).position === 60 && last(WINDOW).motion === 'stopped', 5000, 'open');
    emulator.setRain(0, true);
    await waitFor(() => last(WINDOW).rain === true, 3000, 'rain reported');
    await waitFor(() => last(WINDOW).position === 0, 5000, 'the window closed by its rain sensor');
    const refused = await gateway.send(WINDOW, { position: 50 }, 'test');
    expect(refused).toMatchObject({ ok: false, error: 'rain' });
    expect(emulator.position(0)).toBe(0xc800);
    expect(await gateway.send(WINDOW, { position: 0 }, 'test')).toEqual({ ok: true });
    emulator.setRain(0, false);
    await waitFor(() => last(WINDOW).rain === false, 3000, 'rain over (next limitation read)');
    expect(await gateway.send(WINDOW, { position: 20 }, 'test')).toEqual({ ok: true });
  });

  it('a command for a product that is gone or a departure command is refused clearly', async () => {
    const { gateway } = await setUp();
    expect(await gateway.send('0000000000000001', { position: 1 }, 'test')).toMatchObject({ ok: false, error: 'unknown_device' });
    expect(await gateway.send(WINDOW, { away: true }, 'test')).toMatchObject({ ok: false, error: 'invalid' });
  });

  it('accepts the expired VELUX-style certificate when its fingerprint is pinned, refuses another', async () => {
    const expired = makeEmulatorCertificate({ expired: true });
    const emulator = await startEmulator({ cert: expired.cert, key: expired.key });
    const log = recordingLogger();
    const good = gatewayFor(emulator, log, { fingerprint: expired.fingerprint });
    cleanups.push(async () => {
      await good.stop();
      await emulator.stop();
    });
    await good.start();
    await waitFor(() => good.online, 10_000, 'online with the expired certificate');
    await good.stop();
    const badLog = recordingLogger();
    const bad = gatewayFor(emulator, badLog, { fingerprint: 'AA:'.repeat(19) + 'AA' });
    cleanups.push(() => bad.stop());
    await bad.start();
    await waitFor(() => badLog.text('error').some((l) => l.includes('presented a certificate with SHA-1 fingerprint')), 5000, 'the certificate error');
    expect(bad.online).toBe(false);
    expect(badLog.text('error').join('\n')).toContain('"fingerprint" setting');
  });

  it('a wrong password is reported plainly and never logged', async () => {
    const emulator = await startEmulator();
    const log = recordingLogger();
    const gateway = gatewayFor(emulator, log, { password: 'not-the-password' });
    cleanups.push(async () => {
      await gateway.stop();
      await emulator.stop();
    });
    await gateway.start();
    await waitFor(() => log.text('error').some((l) => l.includes('refused the password')), 5000, 'the password error');
    expect(gateway.online).toBe(false);
    expect(log.lines.map((l) => l.message).join('\n')).not.toContain('not-the-password');
  });
});

export type { Klf200Gateway, KlfEmulator };
