/**
 * Devices that vanish, across a restart (issue 11): a device missing from its gateway's list
 * stays as No Response for the grace period counted from when it was FIRST seen missing, also
 * when Homebridge restarts meanwhile (the missing-since time is kept in home-state.json), and
 * also when it vanished while Homebridge was stopped; once the grace period is over it is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFixture, read, waitFor, type Fixture } from './fixture.js';

const NO_RESPONSE = { status: -70402 };
const GRACE_MS = 8000;

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0).reverse()) await f.close();
});

describe('a device missing from the gateway across a restart', () => {
  it('stays as No Response until the grace period since it was first missing is over, then it is gone', async () => {
    const first = await startFixture({ removalGraceMs: GRACE_MS });
    fixtures.push(first);
    const kitchen = first.home.devices().find((d) => d.id === 'kitchen-window')!;
    const bedroom = first.home.devices().find((d) => d.id === 'bedroom-window')!;
    const uuids = [first.hk.accessoryFor(kitchen)!.UUID, first.hk.accessoryFor(bedroom)!.UUID];
    // Missing while running: shown as unreachable, its missing-since time in the home state.
    first.sim.removeDevice('kitchen-window');
    await waitFor(() => first.home.device(kitchen.key)?.missingSince !== undefined, 'the kitchen window missing');
    const since = first.home.device(kitchen.key)!.missingSince!;
    expect(first.persisted.devices?.[kitchen.key]?.missingSince).toBe(since);
    await first.stopPlugin();
    // Gone while Homebridge was stopped: missing from the next start on.
    first.sim.removeDevice('bedroom-window');

    const second = await startFixture({ reuse: first, cached: first.bridge.cacheRoundTrip(), persisted: first.persisted, removalGraceMs: GRACE_MS, noWait: true });
    fixtures.push(second);
    await waitFor(() => second.home.devices().some((d) => d.reachable), 'the restarted home to load', 10_000);
    const restarted = Date.now();
    for (const uuid of uuids) expect(second.bridge.accessories.has(uuid)).toBe(true);
    const { Service: S, Characteristic: C } = second.api.hap;
    const kitchenAccessory = second.bridge.accessories.get(uuids[0]!)!;
    const bedroomAccessory = second.bridge.accessories.get(uuids[1]!)!;
    expect(await read(kitchenAccessory, S.Window, C.CurrentPosition)).toEqual(NO_RESPONSE);
    expect(await read(bedroomAccessory, S.Window, C.CurrentPosition)).toEqual(NO_RESPONSE);
    expect(second.home.device(kitchen.key)?.missingSince).toBe(since); // counted from the first time, not from this start
    expect(second.home.device(bedroom.key)?.missingSince).toBeGreaterThanOrEqual(restarted - 10_000);
    expect(second.log.text('warn').join('\n')).toContain(`(${kitchen.key}) is still missing from the gateway's device list (since ${new Date(since).toISOString()})`);

    // The kitchen window goes when its grace period (from `since`) is over, the bedroom window later.
    await waitFor(() => !second.bridge.accessories.has(uuids[0]!), 'the kitchen window removed', GRACE_MS + 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(since + GRACE_MS);
    expect(second.persisted.devices?.[kitchen.key]).toBeUndefined();
    expect(second.log.text('info').join('\n')).toContain(`(${kitchen.key}) stayed missing from the gateway's device list; removed`);
    await waitFor(() => !second.bridge.accessories.has(uuids[1]!), 'the bedroom window removed', GRACE_MS + 5000);
    expect(second.home.device(bedroom.key)).toBeUndefined();
  }, 40_000);

  it('a device listed again after the restart keeps its accessory and is no longer missing', async () => {
    const first = await startFixture({ removalGraceMs: GRACE_MS });
    fixtures.push(first);
    const kitchen = first.home.devices().find((d) => d.id === 'kitchen-window')!;
    const uuid = first.hk.accessoryFor(kitchen)!.UUID;
    const removed = first.sim.devices().find((d) => d.id === 'kitchen-window')!;
    first.sim.removeDevice('kitchen-window');
    await waitFor(() => first.home.device(kitchen.key)?.missingSince !== undefined, 'the kitchen window missing');
    await first.stopPlugin();
    first.sim.addDevice(removed);
    const second = await startFixture({ reuse: first, cached: first.bridge.cacheRoundTrip(), persisted: first.persisted, removalGraceMs: GRACE_MS });
    fixtures.push(second);
    expect(second.bridge.accessories.has(uuid)).toBe(true);
    expect(second.home.device(kitchen.key)?.missingSince).toBeUndefined();
    expect(second.persisted.devices?.[kitchen.key]?.missingSince).toBeUndefined();
  }, 30_000);
});
