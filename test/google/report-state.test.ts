/**
 * Report State and Request Sync against a local fake HomeGraph (with its own OAuth token
 * endpoint, reached through the service-account key's token_uri): state changes in the
 * simulated home reach it within 2 s, coalesced to one report per device per second with
 * the last state always sent, for every linked person and nobody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recorded } from './helpers/fake-homegraph.js';
import { call, intents, link, startBed, waitUntil, type Bed } from './helpers/bed.js';
import { expectValidReportState, expectValidSync, type TraitsById } from './helpers/schemas.js';

type States = Record<string, Record<string, unknown>>;
const statesOf = (r: Recorded) => (r.body['payload'] as { devices: { states: States } }).devices.states;
const userOf = (r: Recorded) => r.body['agentUserId'] as string;

let bed: Bed;
let anna: { id: string; token: string };
let ben: { id: string; token: string };
let traits: TraitsById;

beforeAll(async () => {
  bed = await startBed({ homegraph: true, timeScale: 4 });
  const a = await link(bed.url, 'anna', 'anna-password');
  const b = await link(bed.url, 'ben', 'ben-password');
  anna = { id: bed.accounts.byName('anna')?.id ?? '', token: a.access_token };
  ben = { id: bed.accounts.byName('ben')?.id ?? '', token: b.access_token };
  traits = expectValidSync(await call(bed.url, anna.token, intents.sync()));
  await call(bed.url, ben.token, intents.sync());
});

afterAll(async () => {
  expect(bed.homegraph?.problems).toEqual([]);
  await bed?.close();
});

const fake = () => {
  if (!bed.homegraph) throw new Error('no fake HomeGraph');
  return bed.homegraph;
};

/** The first report after `from` for this person that has a state for `id` matching `match`. */
function findReport(from: number, agentUserId: string, id: string, match: (state: Record<string, unknown>) => boolean = () => true): Recorded | undefined {
  return fake().reports.slice(from).find((r) => userOf(r) === agentUserId && statesOf(r)[id] !== undefined && match(statesOf(r)[id] ?? {}));
}

describe('Report State', () => {
  it('sends every state once after a SYNC, signed in with the service account', async () => {
    const full = await fake().waitFor(() => fake().reports.find((r) => userOf(r) === anna.id && Object.keys(statesOf(r)).length > 5));
    const states = statesOf(full);
    expect(Object.keys(states).sort()).toEqual([...traits.keys()].sort());
    for (const report of fake().reports) expectValidReportState(report.body, traits);
    expect(states[bed.id('living-blind')]).toEqual({ online: true, openPercent: 100, isRunning: false, isPaused: false });
    expect(states['departure-mode']).toEqual({ online: true, on: false });
    expect(fake().tokensIssued).toBeGreaterThanOrEqual(1);
  });

  it('reports a simulated sensor change within 2 s, to every linked person', async () => {
    const from = fake().reports.length;
    const id = bed.id('bathroom-sensor');
    const before = bed.home.device(id)?.state.humidity ?? 0;
    const started = Date.now();
    bed.sim.shower('Bathroom');
    const higher = (s: Record<string, unknown>) => typeof s['humidityAmbientPercent'] === 'number' && s['humidityAmbientPercent'] > Math.round(before);
    const forAnna = await fake().waitFor(() => findReport(from, anna.id, id, higher), 2000);
    const forBen = await fake().waitFor(() => findReport(from, ben.id, id, higher), 2000);
    expect(forAnna.at - started).toBeLessThan(2000);
    expect(forBen.at - started).toBeLessThan(2000);
    expectValidReportState(forAnna.body, traits);
  });

  it('coalesces a moving cover to one report per second and always sends the final state', async () => {
    const from = fake().reports.length;
    const id = bed.id('living-blind');
    const stateMessages: number[] = [];
    const onState = (device: { key: string }) => {
      if (device.key === id) stateMessages.push(Date.now());
    };
    bed.home.on('state', onState);
    const result = await bed.home.command(id, { position: 40 }, 'test');
    expect(result.ok).toBe(true);
    // Watch the bridge's view, not sim.state(): that accessor settles the motor as a side
    // effect and can swallow the simulator's final "stopped" report.
    await waitUntil(() => bed.home.device(id)?.state.motion === 'stopped' && bed.home.device(id)?.state.position === 40, 8000, 'the blind to arrive');
    const final = await fake().waitFor(() => findReport(from, anna.id, id, (s) => s['openPercent'] === 40 && s['isRunning'] === false), 2500);
    bed.home.off('state', onState);
    const mine = fake().reports.slice(from).filter((r) => userOf(r) === anna.id && statesOf(r)[id]);
    expect(stateMessages.length).toBeGreaterThan(mine.length); // the gateway said more than Google heard
    // At most one report per device per second for each person, over the whole run. These
    // are arrival times at the fake (HTTP jitter of a loaded machine included, hence 500 ms:
    // without coalescing they would follow the motor's 250 ms ticks); coalescing.test.ts checks
    // the send times exactly.
    for (const person of [anna.id, ben.id]) {
      const all = fake().reports.filter((r) => userOf(r) === person && statesOf(r)[id]);
      for (let i = 1; i < all.length; i++) expect((all[i]?.at ?? 0) - (all[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(500);
    }
    expect(mine.at(-1)).toBe(final);
    for (const report of mine) expectValidReportState(report.body, traits);
  });

  it('reports online:false when a device becomes unreachable, and its state when it is back', async () => {
    const from = fake().reports.length;
    const id = bed.id('bedroom-window');
    bed.sim.setReachable('bedroom-window', false);
    const offline = await fake().waitFor(() => findReport(from, anna.id, id, (s) => s['online'] === false), 2000);
    expect(statesOf(offline)[id]).toEqual({ online: false });
    bed.sim.setReachable('bedroom-window', true);
    await fake().waitFor(() => findReport(from, anna.id, id, (s) => s['online'] === true && s['openPercent'] === 0), 2500);
  });

  it('reports departure mode and room climate changes', async () => {
    const from = fake().reports.length;
    bed.sim.pressDepartureSwitch();
    await fake().waitFor(() => findReport(from, anna.id, 'departure-mode', (s) => s['on'] === true), 2000);
    bed.sim.pressDepartureSwitch();
    await fake().waitFor(() => findReport(from, anna.id, 'departure-mode', (s) => s['on'] === false), 2500);
    bed.home.setRoomClimateEnabled('Kitchen', false, 'test');
    await fake().waitFor(() => findReport(from, anna.id, 'climate:Kitchen', (s) => s['on'] === false), 2000);
    bed.home.setRoomClimateEnabled('Kitchen', true, 'test');
  });
});

describe('Request Sync', () => {
  it('asks Google to sync every linked person after a device is added, then after it is removed', async () => {
    const from = fake().syncs.length;
    bed.sim.addDevice({ id: 'attic-window', type: 'window', name: 'Attic window', room: 'Attic', features: {} });
    await fake().waitFor(() => (fake().syncs.length - from >= 2 ? true : undefined), 3000);
    const users = fake().syncs.slice(from).map((s) => s.body['agentUserId']);
    expect(users.sort()).toEqual([anna.id, ben.id].sort());
    expect(fake().syncs.slice(from).every((s) => s.body['async'] === true)).toBe(true);
    const json = await call(bed.url, anna.token, intents.sync());
    const updated = expectValidSync(json);
    expect(updated.has(bed.id('attic-window'))).toBe(true);

    const before = fake().syncs.length;
    bed.sim.removeDevice('attic-window');
    await fake().waitFor(() => (fake().syncs.length - before >= 2 ? true : undefined), 3000);
    // One quiet-period later, nothing more: one Request Sync per person per change.
    await new Promise((r) => setTimeout(r, 400));
    expect(fake().syncs.length - before).toBe(2);
  });

  it('a state change alone does not ask for a sync', async () => {
    const before = fake().syncs.length;
    bed.sim.shower('Kitchen');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake().syncs.length).toBe(before);
  });
});

describe('after DISCONNECT', () => {
  it('reports only to the people still linked', async () => {
    await call(bed.url, ben.token, intents.disconnect());
    const from = fake().reports.length;
    const id = bed.id('living-sensor');
    bed.sim.shower('Living room');
    await fake().waitFor(() => findReport(from, anna.id, id), 2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake().reports.slice(from).some((r) => userOf(r) === ben.id)).toBe(false);
    expect(bed.log.joined('info')).toMatch(/ben unlinked Google/);
  });

  it('logs a HomeGraph failure once, as something the user can act on, and keeps going', async () => {
    fake().failNext(404, 1);
    const from = fake().reports.length;
    bed.sim.shower('Bedroom');
    await new Promise((r) => setTimeout(r, 400));
    expect(bed.log.joined('warn')).toMatch(/Report State failed.*serviceAccountKeyFile/);
    bed.sim.shower('Kitchen');
    await fake().waitFor(() => findReport(from, anna.id, bed.id('kitchen-sensor')), 2500);
  });
});
