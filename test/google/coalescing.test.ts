/**
 * Report State timing, exactly (fake timers, a real Home fed by a scripted gateway): one
 * report per device per second at most, the last state always sent, nothing sent when
 * nothing Google can see changed, one Request Sync per quiet period.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceDescriptor, DeviceState } from '../../src/gateway/types.js';
import type { States } from '../../src/google/devices/types.js';
import { ReportState, type HomeGraphApi } from '../../src/google/report-state.js';
import { Home } from '../../src/home/model.js';
import { silentLogger } from '../../src/logger.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

interface Sent {
  at: number;
  kind: 'report' | 'sync';
  user: string;
  states?: Record<string, States>;
}

const blind: DeviceDescriptor = { id: 'blind', type: 'blind', name: 'Blind', room: 'Kitchen', features: { battery: true } };
const sensor: DeviceDescriptor = { id: 'sensor', type: 'sensor', name: 'Sensor', room: 'Kitchen', features: { measures: ['co2'] } };

let gateway: ScriptedGateway;
let home: Home;
let sent: Sent[];
let reportState: ReportState;
let users: string[];

beforeEach(async () => {
  vi.useFakeTimers({ now: 1_000_000 });
  gateway = new ScriptedGateway();
  home = new Home({ log: silentLogger });
  home.addGateway(gateway);
  await home.start();
  gateway.emit('devices', [blind, sensor]);
  gateway.emit('state', 'blind', { position: 100, motion: 'stopped', battery: 80 });
  gateway.emit('state', 'sensor', { co2: 600 });
  sent = [];
  users = ['u-anna', 'u-ben'];
  const api: HomeGraphApi = {
    reportState: async (user, _id, states) => void sent.push({ at: Date.now(), kind: 'report', user, states }),
    requestSync: async (user) => void sent.push({ at: Date.now(), kind: 'sync', user }),
  };
  reportState = new ReportState({ home, api, agentUserIds: () => users, log: silentLogger, now: Date.now, minIntervalMs: 1000, requestSyncDelayMs: 2000 });
  reportState.start();
});

afterEach(async () => {
  await reportState.stop();
  await home.stop();
  vi.useRealTimers();
});

const move = (position: number, motion: DeviceState['motion']) => gateway.emit('state', 'blind', { position, motion, battery: 80 });
const reportsOf = (user: string, id: string) => sent.filter((s) => s.kind === 'report' && s.user === user && s.states?.[id]);

describe('Report State coalescing', () => {
  it('sends a moving cover at most once a second, and its final state', async () => {
    const started = Date.now();
    for (let i = 1; i <= 12; i++) {
      move(100 - i * 5, i === 12 ? 'stopped' : 'closing');
      await vi.advanceTimersByTimeAsync(250);
    }
    await vi.advanceTimersByTimeAsync(2000);
    for (const user of users) {
      const reports = reportsOf(user, 'gw/blind');
      expect(reports.length).toBeGreaterThanOrEqual(3);
      expect(reports.length).toBeLessThanOrEqual(5); // 12 state messages over 3 s
      expect((reports[0]?.at ?? 0) - started).toBeLessThanOrEqual(1);
      for (let i = 1; i < reports.length; i++) expect((reports[i]?.at ?? 0) - (reports[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
      expect(reports.at(-1)?.states?.['gw/blind']).toEqual({ online: true, openPercent: 40, isRunning: false, isPaused: false });
    }
  });

  it('sends nothing when nothing Google can see changed', async () => {
    gateway.emit('state', 'blind', { position: 100, motion: 'stopped', battery: 79 });
    await vi.advanceTimersByTimeAsync(100);
    // The first look at a device reports it; after that only visible changes count.
    const first = sent.length;
    gateway.emit('state', 'blind', { position: 100, motion: 'stopped', battery: 78 });
    await vi.advanceTimersByTimeAsync(3000);
    expect(sent.length).toBe(first);
  });

  it('batches devices changed together into one call per person', async () => {
    gateway.emit('state', 'blind', { position: 50, motion: 'stopped' });
    gateway.emit('state', 'sensor', { co2: 900 });
    await vi.advanceTimersByTimeAsync(10);
    const anna = sent.filter((s) => s.user === 'u-anna');
    expect(anna).toHaveLength(1);
    expect(Object.keys(anna[0]?.states ?? {}).sort()).toEqual(['gw/blind', 'gw/sensor']);
    expect(anna[0]?.states?.['gw/sensor']).toEqual({ online: true, currentSensorStateData: [{ name: 'CarbonDioxideLevel', rawValue: 900 }] });
  });

  it('reports online:false at once when the gateway goes offline', async () => {
    await vi.advanceTimersByTimeAsync(1500);
    sent.length = 0;
    gateway.online = false;
    gateway.emit('online', false);
    await vi.advanceTimersByTimeAsync(10);
    const anna = sent.find((s) => s.user === 'u-anna');
    // Room climate control is the plugin's own setting: it stays online.
    expect(anna?.states).toEqual({ 'gw/blind': { online: false }, 'gw/sensor': { online: false } });
  });

  it('asks for one Request Sync per person after a quiet period, only for visible changes', async () => {
    gateway.emit('devices', [blind, sensor, { id: 'window', type: 'window', name: 'Window', room: 'Kitchen', features: {} }]);
    await vi.advanceTimersByTimeAsync(1000);
    gateway.emit('devices', [blind, sensor, { id: 'window', type: 'window', name: 'Roof window', room: 'Kitchen', features: {} }]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(sent.filter((s) => s.kind === 'sync')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.filter((s) => s.kind === 'sync').map((s) => s.user)).toEqual(['u-anna', 'u-ben']);
    // The same list again: nothing Google would see.
    gateway.emit('devices', [blind, sensor, { id: 'window', type: 'window', name: 'Roof window', room: 'Kitchen', features: {} }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent.filter((s) => s.kind === 'sync')).toHaveLength(2);
  });

  it('reports to nobody when nobody is linked', async () => {
    users = [];
    move(10, 'stopped');
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(0);
  });
});
