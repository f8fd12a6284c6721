/**
 * The KIX 300 transport against the emulated gateway (HAP-NodeJS over loopback): pairing,
 * the device list, live events, writes, stop, refused and unanswered writes, losing and
 * regaining the gateway, and connecting again from the stored pairing without the code.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kix300Gateway, type HomekitGatewayConfig } from '../../src/gateway/kix300/kix300-gateway.js';
import { pairingsPath } from '../../src/gateway/kix300/pairing-store.js';
import type { DeviceDescriptor, DeviceState } from '../../src/gateway/types.js';
import { Kix300Emulator } from '../../src/simulator/kix300.js';
import { recordingLogger, waitFor, type RecordingLogger } from '../helpers/log.js';

// Quick to notice a lost gateway, but patient with pairing and connecting (SRP takes seconds on
// a loaded machine).
const FAST = {
  commandTimeoutMs: 1500,
  healthIntervalMs: 300,
  healthTimeoutMs: 1000,
  connectTimeoutMs: 20_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 400,
};

const WINDOW = '5611111a114a111a';
const BLIND = '5633333c336c444d';

interface Harness {
  gateway: Kix300Gateway;
  log: RecordingLogger;
  devices: () => DeviceDescriptor[];
  states: Map<string, DeviceState>;
  stateLog: Array<{ id: string; state: DeviceState }>;
  online: boolean[];
}

describe('KIX 300 transport against the emulated gateway', () => {
  let emulator: Kix300Emulator;
  let storage: string;
  const started: Kix300Gateway[] = [];

  const open = (config: Partial<HomekitGatewayConfig> = {}): Harness => {
    const log = recordingLogger();
    const gateway = new Kix300Gateway({
      config: { type: 'homekit', name: 'Attic gateway', host: '127.0.0.1', port: emulator.port, setupCode: emulator.setupCode, ...config },
      log,
      storageDir: storage,
      timing: FAST,
    });
    let devices: DeviceDescriptor[] = [];
    const states = new Map<string, DeviceState>();
    const stateLog: Harness['stateLog'] = [];
    const online: boolean[] = [];
    gateway.on('devices', (d) => (devices = d));
    gateway.on('state', (id, state) => {
      states.set(id, state);
      stateLog.push({ id, state });
    });
    gateway.on('online', (o) => online.push(o));
    started.push(gateway);
    return { gateway, log, devices: () => devices, states, stateLog, online };
  };

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'velux-kix-'));
    // (room physics effectively off: the tests set the readings)
    emulator = new Kix300Emulator({ timeScale: 20, climateStepMs: 24 * 3_600_000 });
    await emulator.start();
  });

  afterEach(async () => {
    for (const g of started.splice(0)) await g.stop();
    await emulator.setReachability('up');
    emulator.writeMode = 'normal';
  });

  afterAll(async () => {
    await emulator?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  it('pairs with the setup code, stores the keys 0600 and never logs them', async () => {
    expect(emulator.isPaired()).toBe(false);
    const h = open({ devices: [{ serial: WINDOW, name: 'Attic window', room: 'Attic' }, { serial: 'a11b111', name: 'Attic sensor', room: 'Attic' }] });
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    expect(emulator.pairedControllers()).toBe(1);
    const file = pairingsPath(storage);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { gateways: Record<string, { keys: Record<string, string> }> };
    const keys = doc.gateways['homekit:attic-gateway']!.keys;
    expect(keys.iOSDeviceLTSK).toMatch(/^[0-9a-f]{64,}$/);
    const logged = h.log.text().join('\n');
    for (const secret of Object.values(keys)) expect(logged).not.toContain(secret);
    expect(logged).not.toContain(emulator.setupCode);
  });

  it('lists every device with names and rooms from the config by serial, distinct names otherwise', async () => {
    const h = open({ devices: [{ serial: WINDOW, name: 'Attic window', room: 'Attic' }, { serial: 'A11B111', name: 'Attic sensor', room: 'Attic' }] });
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    const byId = new Map(h.devices().map((d) => [d.id, d]));
    expect(h.devices()).toHaveLength(7);
    expect(byId.get(WINDOW)).toMatchObject({ type: 'window', name: 'Attic window', room: 'Attic', serial: WINDOW, model: 'VELUX Window' });
    expect(byId.get('a11b111')).toMatchObject({ type: 'sensor', name: 'Attic sensor', room: 'Attic', features: { measures: ['temperature', 'humidity', 'co2'] } });
    expect(byId.get(BLIND)).toMatchObject({ type: 'blind', name: 'Blind 444d' });
    expect(byId.get(BLIND)!.room).toBeUndefined();
    expect(byId.get('5644444d447d555e')).toMatchObject({ type: 'awning', name: 'Awning 555e' });
    expect(byId.get('5611111a114a222b')).toMatchObject({ type: 'window', name: 'Window 222b' });
    const names = h.devices().map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    // Devices without a room: one line each, saying how to assign one
    const roomless = h.log.text('info').filter((l) => l.includes('has no room'));
    expect(roomless).toHaveLength(5);
    expect(roomless.find((l) => l.includes(BLIND))).toContain(`"serial": "${BLIND}", "room"`);
    // Initial values from the database
    expect(h.states.get('a11b111')).toMatchObject({ temperature: 21, humidity: 45, co2: 650 });
    expect(h.states.get(WINDOW)).toMatchObject({ position: 0, target: 0, motion: 'stopped' });
  });

  it('connects again from the stored pairing without the setup code (no new pairing)', async () => {
    const h = open({ setupCode: undefined });
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    expect(emulator.pairedControllers()).toBe(1);
    expect(h.log.text().some((l) => l.includes('pairing with'))).toBe(false);
  });

  it('a write reaches the gateway, and the movement comes back as events until it stops', { timeout: 60_000 }, async () => {
    const h = open();
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    const before = emulator.writes.length;
    expect(await h.gateway.send(WINDOW, { position: 80 }, 'test')).toEqual({ ok: true });
    expect(emulator.writes.slice(before)).toEqual([expect.objectContaining({ serial: WINDOW, value: 80 })]);
    await waitFor(() => h.states.get(WINDOW)?.position === 80 && h.states.get(WINDOW)?.motion === 'stopped', 25_000, 'window at 80');
    const positions = h.stateLog.filter((s) => s.id === WINDOW).map((s) => s.state.position!);
    expect(new Set(positions).size).toBeGreaterThanOrEqual(3); // an intermediate position, not just start and end
    expect(h.stateLog.some((s) => s.id === WINDOW && s.state.motion === 'opening')).toBe(true);
    // Movement started on the gateway's side (the VELUX app, a keypad) arrives too
    emulator.move(WINDOW, 0);
    await waitFor(() => h.states.get(WINDOW)?.position === 0 && h.states.get(WINDOW)?.target === 0, 25_000, 'window closed from the gateway');
    // Sensor changes arrive as events
    emulator.setClimate('a11b111', { co2: 1480 });
    await waitFor(() => h.states.get('a11b111')?.co2 === 1480, 3000, 'co2 event');
  });

  it('stop writes the current position as the target and the cover holds there', async () => {
    const h = open();
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    expect(await h.gateway.send(BLIND, { position: 0 }, 'test')).toEqual({ ok: true });
    await waitFor(() => (h.states.get(BLIND)?.position ?? 100) <= 70, 8000, 'blind moving');
    const result = await h.gateway.send(BLIND, { stop: true }, 'test');
    expect(result).toEqual({ ok: true });
    const held = emulator.writes.at(-1)!;
    expect(held.serial).toBe(BLIND);
    await waitFor(() => emulator.cover(BLIND)?.motion === 'stopped', 3000, 'blind stopped');
    const at = emulator.cover(BLIND)!.position;
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(100);
    expect(Math.abs(at - held.value)).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.cover(BLIND)!.position).toBe(at);
  });

  it('a refused write and an unanswered write fail visibly', async () => {
    const h = open();
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    expect(await h.gateway.send(WINDOW, { away: true }, 'test')).toMatchObject({ ok: false, error: 'invalid' });
    expect(await h.gateway.send('nope', { position: 1 }, 'test')).toMatchObject({ ok: false, error: 'unknown_device' });
    emulator.writeMode = 'refuse';
    const refused = await h.gateway.send(WINDOW, { position: 30 }, 'test');
    expect(refused).toMatchObject({ ok: false, error: 'unreachable' });
    expect(refused.ok ? '' : refused.message).toContain('HAP status -70402');
    emulator.writeMode = 'hang';
    const started = Date.now();
    const hung = await h.gateway.send(WINDOW, { position: 30 }, 'test');
    expect(hung).toMatchObject({ ok: false, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(FAST.commandTimeoutMs + 2000);
  });

  it('goes offline when the gateway vanishes or goes silent and comes back with current values', async () => {
    const h = open();
    await h.gateway.start();
    await waitFor(() => h.gateway.online, 20_000, 'online');
    await emulator.setReachability('down');
    await waitFor(() => !h.gateway.online, 5000, 'offline after the gateway vanished');
    expect(await h.gateway.send(WINDOW, { position: 10 }, 'test')).toMatchObject({ ok: false, error: 'gateway_offline' });
    emulator.setClimate('a11b111', { co2: 1234 });
    await emulator.setReachability('up');
    await waitFor(() => h.gateway.online, 15_000, 'back online');
    await waitFor(() => h.states.get('a11b111')?.co2 === 1234, 15_000, 'values read again after the return');
    // A gateway that keeps the connection but answers nothing is found by the health check
    await emulator.setReachability('silent');
    await waitFor(() => !h.gateway.online, 5000, 'offline after the gateway went silent');
    await emulator.setReachability('up');
    await waitFor(() => h.gateway.online, 15_000, 'back online after silence');
    expect(h.online.filter((o) => !o).length).toBeGreaterThanOrEqual(2);
  });
});

describe('KIX 300 pairing problems', () => {
  it('says clearly, once, when the gateway is already paired with another controller, and when no setup code is known', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-kix-'));
    const emulator = new Kix300Emulator();
    await emulator.start();
    const other = mkdtempSync(join(tmpdir(), 'velux-kix-other-'));
    const config: HomekitGatewayConfig = { type: 'homekit', name: 'Loft', host: '127.0.0.1', port: emulator.port, setupCode: emulator.setupCode };
    const gateways: Kix300Gateway[] = [];
    try {
      // Someone else (the Home app) paired first
      const first = new Kix300Gateway({ config, log: recordingLogger(), storageDir: other, timing: FAST });
      gateways.push(first);
      await first.start();
      await waitFor(() => first.online, 20_000, 'first controller online');
      const log = recordingLogger();
      const second = new Kix300Gateway({ config, log, storageDir: storage, timing: FAST });
      gateways.push(second);
      await second.start();
      await waitFor(() => log.text('error').length > 0, 20_000, 'an error line');
      await new Promise((r) => setTimeout(r, 500));
      const errors = log.text('error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('already paired with another controller');
      expect(errors[0]).toContain('Remove it from the Home app');
      expect(second.online).toBe(false);
      // Without the code and without a stored pairing
      const log2 = recordingLogger();
      const third = new Kix300Gateway({ config: { ...config, name: 'Loft 2', setupCode: undefined }, log: log2, storageDir: storage, timing: FAST });
      gateways.push(third);
      await third.start();
      await waitFor(() => log2.text('error').length > 0, 3000, 'an error line');
      expect(log2.text('error')[0]).toContain('add the setup code');
    } finally {
      for (const g of gateways) await g.stop();
      await emulator.stop();
      rmSync(storage, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);
});
