import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../src/simulator/cli-args.js';
import { runConsoleCommand } from '../../src/simulator/console-commands.js';
import { SimulatedHome } from '../../src/simulator/mqtt/gateway.js';

describe('simulator command line', () => {
  it('has defaults that reach a local broker', () => {
    expect(parseSimulatorArgs([])).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      baseTopic: 'velux',
      timeScale: 1,
      seed: 1,
      responseDelayMs: 50,
      help: false,
    });
  });

  it('reads every option, the password also from the environment', () => {
    const args = parseSimulatorArgs(
      ['--url', 'mqtt://broker:1884', '--base', 'home/velux', '--speed', '10', '--devices', '250', '--username', 'sim', '--gateway-id', 'gw2'],
      { MQTT_PASSWORD: 'secret' },
    );
    expect(args).toMatchObject({
      url: 'mqtt://broker:1884',
      baseTopic: 'home/velux',
      timeScale: 10,
      devices: 250,
      username: 'sim',
      password: 'secret',
      gatewayId: 'gw2',
    });
  });

  it('refuses nonsense with a message naming the option', () => {
    expect(() => parseSimulatorArgs(['--speed', '0'])).toThrow(/--speed/);
    expect(() => parseSimulatorArgs(['--speed', 'fast'])).toThrow(/--speed/);
    expect(() => parseSimulatorArgs(['--devices', '1.5'])).toThrow(/--devices/);
    expect(() => parseSimulatorArgs(['--colour', 'red'])).toThrow();
  });
});

describe('simulator console', () => {
  // Not started: console commands change the home's state even without a broker.
  const home = new SimulatedHome({ url: 'mqtt://127.0.0.1:1' });

  it('changes weather, occupancy, departure mode and reachability', async () => {
    expect(await runConsoleCommand(home, 'rain on')).toBe('rain on');
    expect(home.state('kitchen-window')).toMatchObject({ rain: true });
    await runConsoleCommand(home, 'temp 4.5');
    expect(home.weather().temperature).toBe(4.5);
    await runConsoleCommand(home, 'people Living room 5');
    expect(home.roomClimate('Living room').occupancy).toBe(5);
    expect(await runConsoleCommand(home, 'press')).toBe('away on');
    await runConsoleCommand(home, 'shower Bathroom');
    expect(home.roomClimate('Bathroom').humidity).toBeGreaterThan(80);
    expect(await runConsoleCommand(home, 'state departure-switch')).toContain('"away":true');
  });

  it('explains what it did not understand', async () => {
    await expect(runConsoleCommand(home, 'dance')).rejects.toThrow(/unknown command/);
    await expect(runConsoleCommand(home, 'rain maybe')).rejects.toThrow(/on or off/);
    await expect(runConsoleCommand(home, 'people Attic 2')).rejects.toThrow(/no room/);
  });
});
