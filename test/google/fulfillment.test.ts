/**
 * Fulfillment end to end: Google's requests over HTTP → GoogleHome → the real Home and
 * MqttGateway → aedes → the simulated VELUX home, with every answer validated against
 * Google's schemas and every command checked on the broker.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, intents, link, startBed, waitUntil, type Bed } from './helpers/bed.js';
import { expectValidDisconnect, expectValidExecute, expectValidQuery, expectValidSync, type TraitsById } from './helpers/schemas.js';

interface SetMessage {
  deviceId: string;
  payload: Record<string, unknown>;
}

/** Every `/set` the gateway receives, as seen by another client on the broker. */
async function watchCommands(bed: Bed): Promise<{ seen: SetMessage[]; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(bed.brokerUrl, { reconnectPeriod: 0 });
  const seen: SetMessage[] = [];
  client.on('message', (topic, payload) => {
    const deviceId = topic.slice(bed.base.length + 1, -'/set'.length);
    seen.push({ deviceId, payload: JSON.parse(payload.toString()) as Record<string, unknown> });
  });
  await client.subscribeAsync(`${bed.base}/+/set`, { qos: 1 });
  return { seen, close: () => client.endAsync() };
}

type Command = { ids: string[]; status: string; errorCode?: string; states?: Record<string, unknown>; challengeNeeded?: { type: string } };

function setup(options: Parameters<typeof startBed>[0]) {
  const ctx = {} as { bed: Bed; token: string; traits: TraitsById; watch: Awaited<ReturnType<typeof watchCommands>> };
  beforeAll(async () => {
    ctx.bed = await startBed(options);
    ctx.token = (await link(ctx.bed.url, 'anna', 'anna-password')).access_token;
    ctx.traits = expectValidSync(await call(ctx.bed.url, ctx.token, intents.sync()));
    ctx.watch = await watchCommands(ctx.bed);
  });
  afterAll(async () => {
    await ctx.watch?.close();
    await ctx.bed?.close();
  });
  beforeEach(() => {
    ctx.watch.seen.length = 0;
  });
  const execute = async (ids: string[], command: string, params: Record<string, unknown>, challenge?: { pin?: string; ack?: boolean }): Promise<Command[]> => {
    const json = await call(ctx.bed.url, ctx.token, intents.execute(ids, command, params, challenge));
    expectValidExecute(json, ctx.traits);
    return (json as { payload: { commands: Command[] } }).payload.commands;
  };
  const query = async (...ids: string[]): Promise<Record<string, Record<string, unknown>>> => {
    const json = await call(ctx.bed.url, ctx.token, intents.query(...ids));
    expectValidQuery(json, ctx.traits);
    return (json as { payload: { devices: Record<string, Record<string, unknown>> } }).payload.devices;
  };
  return { ctx, execute, query };
}

const OPEN_CLOSE = 'action.devices.commands.OpenClose';
const RELATIVE = 'action.devices.commands.OpenCloseRelative';
const START_STOP = 'action.devices.commands.StartStop';
const ON_OFF = 'action.devices.commands.OnOff';

describe('without a PIN', () => {
  const { ctx, execute, query } = setup({ commandTimeoutMs: 800 });

  it('SYNC lists every device kind, the departure mode and each climate-capable room', async () => {
    const json = (await call(ctx.bed.url, ctx.token, intents.sync())) as { payload: { devices: Array<{ id: string; type: string; roomHint?: string; willReportState: boolean }> } };
    const types = Object.fromEntries(json.payload.devices.map((d) => [d.id, d.type]));
    const id = ctx.bed.id;
    expect(types[id('living-window-1')]).toBe('action.devices.types.WINDOW');
    expect(types[id('living-blind')]).toBe('action.devices.types.BLINDS');
    expect(types[id('bedroom-shutter')]).toBe('action.devices.types.SHUTTER');
    expect(types[id('kitchen-awning')]).toBe('action.devices.types.AWNING');
    expect(types[id('kitchen-sensor')]).toBe('action.devices.types.SENSOR');
    expect(types['departure-mode']).toBe('action.devices.types.SWITCH');
    expect(Object.keys(types).filter((k) => k.startsWith('climate:')).sort()).toEqual(['climate:Bathroom', 'climate:Bedroom', 'climate:Kitchen', 'climate:Living room']);
    expect(types[id('departure-switch')]).toBeUndefined();
    expect(json.payload.devices.find((d) => d.id === id('bedroom-window'))?.roomHint).toBe('Bedroom');
    // No service-account key in this setup: Google must poll.
    expect(json.payload.devices.every((d) => d.willReportState === false)).toBe(true);
  });

  it('QUERY answers every device with the simulator\'s values', async () => {
    const ids = [...ctx.traits.keys()];
    const id = ctx.bed.id;
    // The simulator re-reads its sensors with noise between reports: QUERY answers what the
    // gateway last reported, i.e. the sensor state just before or just after the request.
    const sensorBefore = { ...ctx.bed.home.device(id('bedroom-sensor'))?.state };
    const devices = await query(...ids);
    const sensorAfter = { ...ctx.bed.home.device(id('bedroom-sensor'))?.state };
    expect(devices[id('living-blind')]).toEqual({ online: true, status: 'SUCCESS', openPercent: 100, isRunning: false, isPaused: false });
    expect(devices[id('living-window-1')]).toMatchObject({ online: true, status: 'SUCCESS', openPercent: 0 });
    const expected = (sensor: { co2?: number; temperature?: number; humidity?: number }) => ({
      online: true,
      status: 'SUCCESS',
      currentSensorStateData: [{ name: 'CarbonDioxideLevel', rawValue: Math.round(sensor.co2 ?? -1) }],
      temperatureAmbientCelsius: Math.round((sensor.temperature ?? -1) * 10) / 10,
      humidityAmbientPercent: Math.round(sensor.humidity ?? -1),
    });
    // The bridge's values are the simulator's own (reported over the broker).
    const simSensor = ctx.bed.sim.state('bedroom-sensor');
    expect(Math.abs((sensorAfter.co2 ?? 0) - (simSensor?.co2 ?? -1))).toBeLessThan(50);
    expect([expected(sensorBefore), expected(sensorAfter)]).toContainEqual(devices[id('bedroom-sensor')]);
    expect(devices['departure-mode']).toEqual({ online: true, status: 'SUCCESS', on: false });
    expect(devices['climate:Kitchen']).toEqual({ online: true, status: 'SUCCESS', on: true });
    const unknown = await query('no/such-device', 'climate:Garage');
    expect(unknown['no/such-device']).toEqual({ online: false, status: 'ERROR', errorCode: 'deviceNotFound' });
    expect(unknown['climate:Garage']).toMatchObject({ errorCode: 'deviceNotFound' });
    // Ids that are special to JavaScript objects are answered like any other.
    const odd = await query('__proto__', 'constructor', 'toString');
    expect(Object.keys(odd).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    for (const id of ['__proto__', 'constructor', 'toString']) expect(Object.getOwnPropertyDescriptor(odd, id)?.value).toMatchObject({ errorCode: 'deviceNotFound' });
  });

  it('EXECUTE moves a simulated window: the gateway /set is on the broker and the answer follows the gateway', async () => {
    const id = ctx.bed.id('living-window-2');
    const [result] = await execute([id], OPEN_CLOSE, { openPercent: 40 });
    expect(result).toEqual({ ids: [id], status: 'SUCCESS', states: { online: true, openPercent: 40, isRunning: true, isPaused: false } });
    await waitUntil(() => ctx.watch.seen.length > 0, 2000, 'the /set on the broker');
    expect(ctx.watch.seen).toHaveLength(1);
    expect(ctx.watch.seen[0]).toMatchObject({ deviceId: 'living-window-2', payload: { position: 40, source: 'google' } });
    expect(typeof ctx.watch.seen[0]?.payload['transaction']).toBe('string');
    expect(ctx.bed.sim.state('living-window-2')?.target).toBe(40);
    await waitUntil(() => ctx.bed.home.device(id)?.state.motion === 'opening', 2000, 'the window to move');
    const moving = await query(id);
    expect(moving[id]).toMatchObject({ isRunning: true });
  });

  it('EXECUTE covers every cover command and kind', async () => {
    const id = ctx.bed.id;
    const [blind] = await execute([id('living-blind')], RELATIVE, { openRelativePercent: -30 });
    expect(blind).toMatchObject({ status: 'SUCCESS', states: { openPercent: 70 } });
    const [awning] = await execute([id('kitchen-awning')], OPEN_CLOSE, { openPercent: 0 });
    expect(awning).toMatchObject({ status: 'SUCCESS', states: { openPercent: 0 } });
    await waitUntil(() => ctx.bed.sim.state('kitchen-awning')?.motion === 'closing', 2000, 'the awning to move');
    const [stopped] = await execute([id('kitchen-awning')], START_STOP, { start: false });
    expect(stopped).toMatchObject({ status: 'SUCCESS', states: { isRunning: false } });
    const [started] = await execute([id('bedroom-shutter')], START_STOP, { start: true });
    expect(started).toMatchObject({ status: 'ERROR', errorCode: 'functionNotSupported' });
    const [shutter] = await execute([id('bedroom-shutter')], OPEN_CLOSE, { openPercent: 50 });
    expect(shutter).toMatchObject({ status: 'SUCCESS', states: { openPercent: 50 } });
    expect(ctx.watch.seen.map((m) => [m.deviceId, m.payload['position'] ?? m.payload['stop']])).toEqual([
      ['living-blind', 70],
      ['kitchen-awning', 0],
      ['kitchen-awning', true],
      ['bedroom-shutter', 50],
    ]);
  });

  it('EXECUTE on several devices answers per device', async () => {
    const id = ctx.bed.id;
    const commands = await execute([id('bathroom-window'), id('kitchen-window'), 'no/such'], OPEN_CLOSE, { openPercent: 10 });
    expect(commands).toHaveLength(3);
    expect(commands.find((c) => c.ids[0] === id('bathroom-window'))).toMatchObject({ status: 'SUCCESS' });
    expect(commands.find((c) => c.ids[0] === id('kitchen-window'))).toMatchObject({ status: 'SUCCESS' });
    expect(commands.find((c) => c.ids[0] === 'no/such')).toEqual({ ids: ['no/such'], status: 'ERROR', errorCode: 'deviceNotFound' });
    await execute([id('bathroom-window'), id('kitchen-window')], OPEN_CLOSE, { openPercent: 0 });
  });

  it('refuses bad values and commands a kind does not have before anything is sent', async () => {
    const id = ctx.bed.id;
    expect((await execute([id('living-blind')], OPEN_CLOSE, { openPercent: 150 }))[0]).toMatchObject({ status: 'ERROR', errorCode: 'valueOutOfRange' });
    expect((await execute([id('living-sensor')], 'action.devices.commands.SetTemperature', { temperature: 20 }))[0]).toMatchObject({ errorCode: 'functionNotSupported' });
    expect((await execute([id('living-blind')], ON_OFF, { on: true }))[0]).toMatchObject({ errorCode: 'functionNotSupported' });
    expect(ctx.watch.seen).toHaveLength(0);
  });

  it('answers what the gateway says: rain, busy, internal error, no answer', async () => {
    const id = ctx.bed.id;
    ctx.bed.sim.setWeather({ rain: true });
    await waitUntil(() => ctx.bed.home.device(id('kitchen-window'))?.state.rain === true, 2000, 'rain');
    expect((await execute([id('kitchen-window')], OPEN_CLOSE, { openPercent: 30 }))[0]).toEqual({ ids: [id('kitchen-window')], status: 'ERROR', errorCode: 'rainDetected' });
    ctx.bed.sim.setWeather({ rain: false });

    ctx.bed.sim.failNextCommands('living-blind', 'busy');
    expect((await execute([id('living-blind')], OPEN_CLOSE, { openPercent: 20 }))[0]).toMatchObject({ status: 'ERROR', errorCode: 'deviceBusy' });
    ctx.bed.sim.failNextCommands('living-blind', 'internal');
    expect((await execute([id('living-blind')], OPEN_CLOSE, { openPercent: 20 }))[0]).toMatchObject({ status: 'ERROR', errorCode: 'hardError' });
    ctx.bed.sim.failNextCommands('living-blind', 'invalid');
    expect((await execute([id('living-blind')], OPEN_CLOSE, { openPercent: 20 }))[0]).toMatchObject({ status: 'ERROR', errorCode: 'notSupported' });

    ctx.bed.sim.setAnswerMode('never');
    try {
      const started = Date.now();
      expect((await execute([id('living-blind')], OPEN_CLOSE, { openPercent: 25 }))[0]).toMatchObject({ status: 'ERROR', errorCode: 'transientError' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    } finally {
      ctx.bed.sim.setAnswerMode('normal');
    }
    // Every one of those reached the gateway; none was reported as a success.
    expect(ctx.watch.seen.filter((m) => m.deviceId === 'living-blind')).toHaveLength(4);
  });

  it('reports unreachable devices offline and sends them nothing', async () => {
    const id = ctx.bed.id('bathroom-window');
    ctx.bed.sim.setReachable('bathroom-window', false);
    await waitUntil(() => ctx.bed.home.device(id)?.reachable === false, 2000, 'unreachable');
    expect((await query(id))[id]).toEqual({ online: false, status: 'OFFLINE', errorCode: 'deviceOffline' });
    expect((await execute([id], OPEN_CLOSE, { openPercent: 0 }))[0]).toEqual({ ids: [id], status: 'OFFLINE', errorCode: 'deviceOffline' });
    expect(ctx.watch.seen).toHaveLength(0);
    ctx.bed.sim.setReachable('bathroom-window', true);
    await waitUntil(() => ctx.bed.home.device(id)?.reachable === true, 2000, 'reachable again');
    expect((await query(id))[id]).toMatchObject({ online: true, status: 'SUCCESS' });
  });

  it('reports everything offline while the gateway is offline', async () => {
    const windowId = ctx.bed.id('living-window-1');
    await ctx.bed.sim.goOffline();
    try {
      await waitUntil(() => ctx.bed.home.device(windowId)?.reachable === false, 2000, 'gateway offline');
      const devices = await query(windowId, ctx.bed.id('living-sensor'), 'departure-mode', 'climate:Kitchen');
      expect(devices[windowId]).toMatchObject({ online: false, status: 'OFFLINE' });
      expect(devices[ctx.bed.id('living-sensor')]).toMatchObject({ online: false });
      expect(devices['departure-mode']).toMatchObject({ online: false });
      expect(devices['climate:Kitchen']).toMatchObject({ online: true }); // the plugin's own setting
      expect((await execute([windowId], OPEN_CLOSE, { openPercent: 0 }))[0]).toMatchObject({ status: 'OFFLINE', errorCode: 'deviceOffline' });
      expect((await execute(['departure-mode'], ON_OFF, { on: true }))[0]).toMatchObject({ status: 'OFFLINE', errorCode: 'deviceOffline' });
    } finally {
      await ctx.bed.sim.goOnline();
    }
    await waitUntil(() => ctx.bed.home.device(windowId)?.reachable === true, 3000, 'gateway online');
    expect(ctx.watch.seen).toHaveLength(0);
  });

  it('departure mode: on at once; while away, opening a window or ending it needs an acknowledgement', async () => {
    const windowId = ctx.bed.id('living-window-1');
    expect((await execute(['departure-mode'], ON_OFF, { on: true }))[0]).toEqual({ ids: ['departure-mode'], status: 'SUCCESS', states: { online: true, on: true } });
    await waitUntil(() => ctx.bed.sim.state('departure-switch')?.away === true, 2000, 'the switch to flip');
    expect(ctx.bed.home.away).toBe(true);
    ctx.watch.seen.length = 0;

    const [needsAck] = await execute([windowId], OPEN_CLOSE, { openPercent: 30 });
    expect(needsAck).toEqual({ ids: [windowId], status: 'ERROR', errorCode: 'challengeNeeded', challengeNeeded: { type: 'ackNeeded' } });
    // Closing is never challenged.
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 0 }))[0]).toMatchObject({ status: 'SUCCESS' });
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 30 }, { ack: true }))[0]).toMatchObject({ status: 'SUCCESS' });

    const [offNeedsAck] = await execute(['departure-mode'], ON_OFF, { on: false });
    expect(offNeedsAck).toMatchObject({ status: 'ERROR', challengeNeeded: { type: 'ackNeeded' } });
    expect(ctx.bed.home.away).toBe(true);
    expect((await execute(['departure-mode'], ON_OFF, { on: false }, { ack: true }))[0]).toMatchObject({ status: 'SUCCESS', states: { on: false } });
    await waitUntil(() => ctx.bed.sim.state('departure-switch')?.away === false, 2000, 'the switch to flip back');
    expect(ctx.watch.seen.map((m) => m.payload['position'] ?? m.payload['away'])).toEqual([0, 30, false]);
    // At home, opening needs nothing.
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 50 }))[0]).toMatchObject({ status: 'SUCCESS' });
    await execute([windowId], OPEN_CLOSE, { openPercent: 0 });
  });

  it('switches a room\'s climate control', async () => {
    expect((await execute(['climate:Kitchen'], ON_OFF, { on: false }))[0]).toEqual({ ids: ['climate:Kitchen'], status: 'SUCCESS', states: { online: true, on: false } });
    expect(ctx.bed.home.roomClimate('Kitchen').enabled).toBe(false);
    expect((await query('climate:Kitchen'))['climate:Kitchen']).toMatchObject({ on: false });
    await execute(['climate:Kitchen'], ON_OFF, { on: true });
    expect(ctx.bed.home.roomClimate('Kitchen').enabled).toBe(true);
  });

  it('DISCONNECT answers {} and ends the link', async () => {
    const ben = await link(ctx.bed.url, 'ben', 'ben-password');
    const json = await call(ctx.bed.url, ben.access_token, intents.disconnect());
    expectValidDisconnect(json);
    expect(json).toEqual({});
    const again = await fetch(`${ctx.bed.url}/smarthome`, { method: 'POST', headers: { authorization: `Bearer ${ben.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(intents.sync()) });
    expect(again.status).toBe(401);
  });
});

describe('with a PIN', () => {
  const { ctx, execute } = setup({ pin: '4711' });

  it('opening a window needs the PIN; closing and blinds do not', async () => {
    const windowId = ctx.bed.id('bedroom-window');
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 20 }))[0]).toEqual({
      ids: [windowId],
      status: 'ERROR',
      errorCode: 'challengeNeeded',
      challengeNeeded: { type: 'pinNeeded' },
    });
    expect((await execute([windowId], RELATIVE, { openRelativePercent: 10 }))[0]).toMatchObject({ challengeNeeded: { type: 'pinNeeded' } });
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 20 }, { pin: '1234' }))[0]).toMatchObject({ challengeNeeded: { type: 'challengeFailedPinNeeded' } });
    expect(ctx.watch.seen).toHaveLength(0);
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 20 }, { pin: '4711' }))[0]).toMatchObject({ status: 'SUCCESS', states: { openPercent: 20 } });
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 0 }))[0]).toMatchObject({ status: 'SUCCESS' });
    expect((await execute([ctx.bed.id('bedroom-shutter')], OPEN_CLOSE, { openPercent: 100 }))[0]).toMatchObject({ status: 'SUCCESS' });
    expect(ctx.watch.seen.map((m) => [m.deviceId, m.payload['position']])).toEqual([
      ['bedroom-window', 20],
      ['bedroom-window', 0],
      ['bedroom-shutter', 100],
    ]);
  });

  it('ending departure mode needs the PIN; starting it does not', async () => {
    expect((await execute(['departure-mode'], ON_OFF, { on: true }))[0]).toMatchObject({ status: 'SUCCESS' });
    expect((await execute(['departure-mode'], ON_OFF, { on: false }))[0]).toMatchObject({ challengeNeeded: { type: 'pinNeeded' } });
    expect((await execute(['departure-mode'], ON_OFF, { on: false }, { ack: true }))[0]).toMatchObject({ challengeNeeded: { type: 'pinNeeded' } });
    expect(ctx.bed.home.away).toBe(true);
    expect((await execute(['departure-mode'], ON_OFF, { on: false }, { pin: '4711' }))[0]).toMatchObject({ status: 'SUCCESS', states: { on: false } });
    expect(ctx.bed.home.away).toBe(false);
  });

  it("switching a room's climate control on needs the PIN (it opens windows); off does not", async () => {
    expect((await execute(['climate:Kitchen'], ON_OFF, { on: false }))[0]).toMatchObject({ status: 'SUCCESS', states: { on: false } });
    expect(ctx.bed.home.roomClimate('Kitchen').enabled).toBe(false);
    expect((await execute(['climate:Kitchen'], ON_OFF, { on: true }))[0]).toMatchObject({ errorCode: 'challengeNeeded', challengeNeeded: { type: 'pinNeeded' } });
    expect((await execute(['climate:Kitchen'], ON_OFF, { on: true }, { pin: '0000' }))[0]).toMatchObject({ challengeNeeded: { type: 'challengeFailedPinNeeded' } });
    expect(ctx.bed.home.roomClimate('Kitchen').enabled).toBe(false);
    expect((await execute(['climate:Kitchen'], ON_OFF, { on: true }, { pin: '4711' }))[0]).toMatchObject({ status: 'SUCCESS', states: { on: true } });
    expect(ctx.bed.home.roomClimate('Kitchen').enabled).toBe(true);
  });

  it('locks a person out after 5 wrong PINs, logs it, and keeps others working', async () => {
    const windowId = ctx.bed.id('living-window-1');
    for (let i = 0; i < 4; i++) {
      expect((await execute([windowId], OPEN_CLOSE, { openPercent: 10 }, { pin: `000${i}` }))[0]).toMatchObject({ challengeNeeded: { type: 'challengeFailedPinNeeded' } });
    }
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 10 }, { pin: '9999' }))[0]).toEqual({ ids: [windowId], status: 'ERROR', errorCode: 'tooManyFailedAttempts' });
    expect((await execute([windowId], OPEN_CLOSE, { openPercent: 10 }, { pin: '4711' }))[0]).toMatchObject({ errorCode: 'tooManyFailedAttempts' });
    expect(ctx.bed.log.joined('warn')).toMatch(/wrong PIN from anna.*locked out for 15 minutes/);
    expect(ctx.watch.seen).toHaveLength(0);
    // Ben is his own person with his own count.
    const ben = (await link(ctx.bed.url, 'ben', 'ben-password')).access_token;
    const json = await call(ctx.bed.url, ben, intents.execute([windowId], OPEN_CLOSE, { openPercent: 10 }, { pin: '4711' }));
    expectValidExecute(json, ctx.traits);
    expect((json as { payload: { commands: Command[] } }).payload.commands[0]).toMatchObject({ status: 'SUCCESS' });
    await execute([windowId], OPEN_CLOSE, { openPercent: 0 });
  });
});
