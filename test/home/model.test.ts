/**
 * Home model behaviour that does not depend on the transport: a scripted in-memory gateway
 * drives it, so each event is under the test's control.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceCommand } from '../../src/gateway/types.js';
import { Home, type PersistedHomeState } from '../../src/home/model.js';
import { recordingLogger } from '../helpers/log.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

function setUp(persisted?: PersistedHomeState) {
  const gw = new ScriptedGateway({ online: false });
  const saved: PersistedHomeState[] = [];
  const home = new Home({ log: recordingLogger(), persisted, persist: (s) => saved.push(s), now: () => 1000 });
  home.addGateway(gw);
  return { gw, home, saved };
}

describe('Home', () => {
  it('is reachable only with the gateway online, the device available and a state known', () => {
    const { gw, home } = setUp();
    gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', room: 'R', features: {} }]);
    const w = home.device('gw/w')!;
    expect(w.reachable).toBe(false);
    gw.setOnline(true);
    expect(w.reachable).toBe(false); // no state yet: never invent one
    gw.emit('state', 'w', { position: 10 });
    expect(w.reachable).toBe(true);
    expect(w.stateUpdatedAt).toBe(1000);
    gw.emit('availability', 'w', false);
    expect(w.reachable).toBe(false);
    gw.emit('availability', 'w', true);
    gw.setOnline(false);
    expect(w.reachable).toBe(false);
  });

  it('ignores state for devices the gateway has not listed', () => {
    const { gw, home } = setUp();
    gw.emit('state', 'ghost', { position: 10 });
    expect(home.devices()).toHaveLength(0);
  });

  it('refuses invalid commands before they reach the gateway', async () => {
    const { gw, home } = setUp();
    gw.setOnline(true);
    gw.emit('devices', [
      { id: 'w', type: 'window', name: 'W', features: {} },
      { id: 'b', type: 'blind', name: 'B', features: {} },
      { id: 's', type: 'sensor', name: 'S', features: {} },
    ]);
    for (const [key, command] of [
      ['gw/w', { position: 101 }],
      ['gw/w', { position: Number.NaN }],
      ['gw/w', { away: true }],
      ['gw/s', { position: 10 }],
      ['gw/b', { position: 10, force: true }],
    ] as Array<[string, DeviceCommand]>) {
      expect(await home.command(key, command, 'test'), JSON.stringify(command)).toMatchObject({ ok: false, error: 'invalid' });
    }
    expect(gw.sent).toHaveLength(0);
    expect(await home.command('gw/w', { position: 33.6, force: true }, 'google')).toEqual({ ok: true });
    expect(gw.sent).toEqual([{ deviceId: 'w', command: { position: 34, force: true }, source: 'google' }]);
  });

  it('reports issued and settled commands with their source', async () => {
    const { gw, home } = setUp();
    gw.setOnline(true);
    gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', features: {} }]);
    const seen: string[] = [];
    home.on('commandIssued', (d, c, s) => seen.push(`issued ${d.id} ${JSON.stringify(c)} ${s}`));
    home.on('commandSettled', (d, _c, s, r) => seen.push(`settled ${d.id} ${s} ${r.ok}`));
    gw.answer = { ok: false, error: 'rain', message: 'raining' };
    await home.command('gw/w', { position: 50 }, 'climate');
    expect(seen).toEqual(['issued w {"position":50} climate', 'settled w climate false']);
  });

  it('uses a persisted virtual departure switch when the gateway has none', async () => {
    const { gw, home, saved } = setUp({ virtualAway: true, roomClimateEnabled: {} });
    gw.setOnline(true);
    gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', features: {} }]);
    expect(home.hasPhysicalDepartureSwitch).toBe(false);
    expect(home.away).toBe(true);
    const modes: Array<[boolean, string]> = [];
    home.on('mode', (away, source) => modes.push([away, source]));
    expect(await home.setAway(false, 'homekit')).toEqual({ ok: true });
    expect(home.away).toBe(false);
    expect(saved.at(-1)?.virtualAway).toBe(false);
    expect(modes).toEqual([[false, 'homekit']]);
    expect(gw.sent).toHaveLength(0);
  });

  it('follows the physical switch once the gateway lists one, and reports a refused change', async () => {
    const { gw, home } = setUp();
    gw.setOnline(true);
    const modes: Array<[boolean, string]> = [];
    home.on('mode', (away, source) => modes.push([away, source]));
    gw.emit('devices', [{ id: 'dep', type: 'departure_switch', name: 'Departure', features: {} }]);
    gw.emit('state', 'dep', { away: true });
    expect(home.away).toBe(true);
    expect(modes).toEqual([[true, 'gateway']]);
    gw.answer = { ok: false, error: 'unreachable', message: 'out of reach' };
    expect(await home.setAway(false, 'google')).toMatchObject({ ok: false, error: 'unreachable' });
    expect(home.away).toBe(true);
    gw.answer = { ok: true };
    expect(await home.setAway(false, 'google')).toEqual({ ok: true });
    expect(modes.at(-1)).toEqual([false, 'google']);
    expect(gw.sent.at(-1)).toEqual({ deviceId: 'dep', command: { away: false }, source: 'google' });
  });

  it('keeps per-room climate on/off (persisted) and the blocked status', () => {
    const { gw, home, saved } = setUp({ virtualAway: false, roomClimateEnabled: { Bedroom: false } });
    gw.emit('devices', [
      { id: 'w', type: 'window', name: 'W', room: 'Kitchen', features: {} },
      { id: 's', type: 'sensor', name: 'S', room: 'Kitchen', features: {} },
      { id: 'b', type: 'window', name: 'B', room: 'Bedroom', features: {} },
    ]);
    expect(home.rooms().map((r) => [r.name, r.climateCapable])).toEqual([
      ['Kitchen', true],
      ['Bedroom', false],
    ]);
    expect(home.roomClimate('Kitchen').enabled).toBe(true);
    expect(home.roomClimate('Bedroom').enabled).toBe(false);
    const events: string[] = [];
    home.on('roomClimate', (room, s) => events.push(`${room} ${s.enabled} ${s.blocked?.guard ?? '-'}`));
    home.setRoomClimateEnabled('Kitchen', false, 'homekit');
    expect(saved.at(-1)?.roomClimateEnabled).toEqual({ Bedroom: false, Kitchen: false });
    home.setRoomVentilationBlocked('Kitchen', { guard: 'rain', detail: 'raining' });
    home.setRoomVentilationBlocked('Kitchen', { guard: 'rain', detail: 'raining' }); // no duplicate event
    home.setRoomVentilationBlocked('Kitchen', undefined);
    expect(events).toEqual(['Kitchen false -', 'Kitchen false rain', 'Kitchen false -']);
  });

  it('keeps the first gateway id per gateway key, so accessory identities never change', () => {
    const first = setUp();
    first.gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', features: {} }]); // no bridge/info yet
    expect(first.home.device('gw/w')?.gatewayId).toBe('gw');
    const persisted = first.saved.at(-1)!;
    expect(persisted.gatewayIds).toEqual({ gw: 'gw' });
    const second = setUp(persisted);
    second.gw.emit('info', { protocol: 1, id: 'hardware-1' }); // this time info is in time
    second.gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', features: {} }]);
    expect(second.home.device('gw/w')?.gatewayId).toBe('gw');
    const fresh = setUp();
    fresh.gw.emit('info', { protocol: 1, id: 'hardware-1' });
    fresh.gw.emit('devices', [{ id: 'w', type: 'window', name: 'W', features: {} }]);
    expect(fresh.home.device('gw/w')?.gatewayId).toBe('hardware-1');
  });

  it('credits a departure change to whoever asked, even when the switch confirms first', async () => {
    const { gw, home } = setUp();
    gw.setOnline(true);
    gw.emit('devices', [{ id: 'dep', type: 'departure_switch', name: 'Departure', features: {} }]);
    gw.emit('state', 'dep', { away: false });
    const modes: Array<[boolean, string]> = [];
    home.on('mode', (away, source) => modes.push([away, source]));
    gw.send = async (deviceId, command, source) => {
      gw.sent.push({ deviceId, command, source });
      gw.emit('state', 'dep', { away: true }); // the gateway's state arrives before its answer
      return { ok: true };
    };
    await home.setAway(true, 'homekit');
    gw.emit('state', 'dep', { away: false }); // later, a press on the physical switch
    expect(modes).toEqual([
      [true, 'homekit'],
      [false, 'gateway'],
    ]);
  });

  it('replaces a device whose type changed and removes vanished ones', () => {
    const { gw, home } = setUp();
    const log: string[] = [];
    home.on('deviceAdded', (d) => log.push(`+${d.id}:${d.descriptor.type}`));
    home.on('deviceRemoved', (d) => log.push(`-${d.id}:${d.descriptor.type}`));
    home.on('deviceChanged', (d) => log.push(`~${d.id}:${d.descriptor.name}`));
    gw.emit('devices', [{ id: 'a', type: 'window', name: 'A', features: {} }]);
    gw.emit('devices', [{ id: 'a', type: 'window', name: 'A renamed', features: {} }]);
    gw.emit('devices', [{ id: 'a', type: 'blind', name: 'A renamed', features: {} }]);
    gw.emit('devices', []);
    expect(log).toEqual(['+a:window', '~a:A renamed', '-a:window', '+a:blind', '-a:blind']);
  });
});
