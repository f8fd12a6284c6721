/**
 * When the home-wide "Rain" accessory goes (src/homekit/rain-sweep.ts), on a real Home fed by a
 * scripted gateway: only once every device list is in, only while the home has no rain source,
 * and not when a weather report arrives during the delay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Home } from '../../src/home/model.js';
import { RainSweep } from '../../src/homekit/rain-sweep.js';
import { recordingLogger } from '../helpers/log.js';
import { ScriptedGateway } from '../helpers/scripted-gateway.js';

const DELAY_MS = 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const homes: Home[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await home.stop();
});

async function homeWithBlind(): Promise<{ home: Home; gateway: ScriptedGateway }> {
  const home = new Home({ log: recordingLogger() });
  homes.push(home);
  const gateway = new ScriptedGateway();
  home.addGateway(gateway);
  await home.start();
  gateway.emit('devices', [{ id: 'blind', type: 'blind', name: 'Blind', room: 'Kitchen', features: {} }]);
  return { home, gateway };
}

describe('RainSweep', () => {
  it('sweeps after the delay once every list is in and the home has no rain source', async () => {
    const { home } = await homeWithBlind();
    let swept = 0;
    const sweep = new RainSweep(home, () => swept++, DELAY_MS);
    sweep.reconsider(false);
    await sleep(DELAY_MS * 3);
    expect(swept).toBe(0); // a gateway's list is still missing
    sweep.reconsider(true);
    expect(swept).toBe(0); // not at once: a weather report may follow the list
    await sleep(DELAY_MS * 3);
    expect(swept).toBe(1);
  });

  it('keeps the accessory when a weather report arrives during the delay, or when a window senses rain', async () => {
    const { home, gateway } = await homeWithBlind();
    let swept = 0;
    const sweep = new RainSweep(home, () => swept++, DELAY_MS);
    sweep.reconsider(true);
    gateway.emit('weather', { temperature: 10, windSpeed: 2, rain: false });
    await sleep(DELAY_MS * 3);
    expect(swept).toBe(0);

    const { home: other, gateway: otherGateway } = await homeWithBlind();
    otherGateway.emit('devices', [{ id: 'roof', type: 'window', name: 'Roof window', room: 'Attic', features: { rainSensor: true } }]);
    const second = new RainSweep(other, () => swept++, DELAY_MS);
    second.reconsider(true);
    await sleep(DELAY_MS * 3);
    expect(swept).toBe(0);
  });

  it('a new device list restarts the delay, and stop cancels it', async () => {
    const { home } = await homeWithBlind();
    let swept = 0;
    const sweep = new RainSweep(home, () => swept++, DELAY_MS);
    sweep.reconsider(true);
    await sleep(DELAY_MS / 2);
    sweep.reconsider(true);
    await sleep(DELAY_MS * 0.75);
    expect(swept).toBe(0); // more than the delay since the first call, less since the second
    sweep.stop();
    await sleep(DELAY_MS * 3);
    expect(swept).toBe(0);
  });
});
