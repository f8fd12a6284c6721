/**
 * The plugin's Unix socket for its Homebridge UI pages (src/ui/plugin-socket.ts) against the
 * simulated home: only its owner may use it, bad requests change nothing, commands travel the
 * home's one command path as source `ui`, and no config value crosses it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiSocketPath } from '../../src/storage/paths.js';
import { askPlugin, MAX_REQUEST_BYTES, UiSocketServer, type UiSnapshot } from '../../src/ui/plugin-socket.js';
import { startSimRig, type SimRig } from '../helpers/sim-rig.js';
import { waitFor } from '../helpers/log.js';
import type { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';

function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the UI socket of the running plugin', () => {
  let rig: SimRig<SimulatedHome>;
  let storage: string;
  let server: UiSocketServer;
  let path: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'velux-ui-socket-'));
    rig = await startSimRig({ timeScale: 20 });
    path = uiSocketPath(storage);
    server = new UiSocketServer(path, rig.home, undefined, rig.log);
    expect(await server.start()).toBe(true);
  });

  afterAll(async () => {
    await server?.stop();
    await rig?.close();
    rmSync(storage, { recursive: true, force: true });
  });

  it('is a socket only its owner can open, in a folder only its owner can enter', () => {
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
  });

  it('answers a snapshot with rooms, devices and gateways, and nothing of the config', async () => {
    const answer = await askPlugin(path, { op: 'snapshot' });
    expect(answer.ok).toBe(true);
    const snapshot = (answer as { snapshot: UiSnapshot }).snapshot;
    expect(snapshot.rooms.map((r) => r.name).sort()).toEqual(rig.physics.rooms().sort());
    expect(snapshot.devices).toHaveLength(rig.physics.devices().length);
    expect(snapshot.gateways).toEqual([expect.objectContaining({ name: 'Home', online: true, devices: rig.physics.devices().length })]);
    // the broker URL (which may carry a password) is config: it never crosses the socket
    expect(JSON.stringify(snapshot)).not.toContain(rig.config.type === 'mqtt' ? rig.config.url : '\0');
  });

  it('moves a window through the command path with source "ui"', async () => {
    const sources: string[] = [];
    rig.home.on('commandIssued', (_d, _c, source) => sources.push(source));
    const answer = await askPlugin(path, { op: 'command', device: rig.key('bathroom-window'), command: { position: 30 } });
    expect(answer).toEqual({ ok: true, result: expect.objectContaining({ ok: true }) });
    expect(sources).toEqual(['ui']);
    await waitFor(() => rig.physics.state('bathroom-window')?.position === 30, 15_000, 'the window at 30 %');
  });

  it('refuses bad requests with a reason and changes nothing', async () => {
    const issued: string[] = [];
    rig.home.on('commandIssued', (device) => issued.push(device.key));
    const enabled = rig.home.roomClimate('Bathroom').enabled;
    const cases = [
      'not json\n',
      '[]\n',
      '{"op":"format-disk"}\n',
      `{"op":"command","device":"${rig.key('bathroom-window')}","command":{"position":250}}\n`,
      `{"op":"command","device":"${rig.key('bathroom-window')}","command":{"position":20,"force":true}}\n`,
      '{"op":"away","away":"yes"}\n',
      '{"op":"roomClimate","room":"Nowhere","enabled":false}\n',
    ];
    for (const text of cases) {
      const answer = JSON.parse(await raw(path, text)) as { ok: boolean; error?: string };
      expect(answer.ok, text).toBe(false);
      expect(answer.error, text).toMatch(/\w/);
    }
    const big = JSON.parse(await raw(path, `{"op":"snapshot","pad":"${'x'.repeat(MAX_REQUEST_BYTES)}"}\n`)) as { ok: boolean; error: string };
    expect(big).toEqual({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
    expect(issued).toEqual([]);
    expect(rig.home.roomClimate('Bathroom').enabled).toBe(enabled);
    expect(rig.home.away).toBe(false);
  });

  it('switches a room’s climate control as source "ui"', async () => {
    const answer = await askPlugin(path, { op: 'roomClimate', room: 'Kitchen', enabled: false });
    expect(answer.ok).toBe(true);
    expect(rig.home.roomClimate('Kitchen').enabled).toBe(false);
    expect(rig.log.joined()).toMatch(/Kitchen: climate control off \(ui\)/);
  });

  it('a second server on the same path steps back; after a stop the path is free again', async () => {
    const second = new UiSocketServer(path, rig.home, undefined, rig.log);
    expect(await second.start()).toBe(false);
    expect(rig.log.joined('warn')).toMatch(/another Homebridge already serves/);
    expect((await askPlugin(path, { op: 'snapshot' })).ok).toBe(true);
  });
});
