/**
 * The HomeKit layer against a real Home, MqttGateway, aedes broker and simulated home, with
 * Homebridge's API object standing in for the bridge. Reads and writes go through the same
 * HAP entry points a controller's requests do (handleGetRequest / handleSetRequest).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultLayout, type HomeLayout } from '../../src/simulator/index.js';
import { characteristicOf, read, startFixture, waitFor, write, type Fixture } from './fixture.js';
import { DEFAULT_HOME_ACCESSORIES } from '../helpers/default-home.js';

const NO_RESPONSE = { status: -70402 };

describe('the default home', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ timeScale: 20, co2Limit: (room) => (room === 'Kitchen' ? 1000 : 1150) });
  });
  afterAll(async () => f?.close());

  const hap = () => f.api.hap;
  const acc = (name: string) => f.bridge.byName(name);

  it('publishes one accessory per device plus room climate and rain, in one batch', async () => {
    await waitFor(() => f.bridge.accessories.size === 18, '18 accessories');
    expect(f.bridge.names()).toEqual(DEFAULT_HOME_ACCESSORIES);
    expect(f.bridge.registerCalls).toBeLessThanOrEqual(2);
    expect(f.hk.accessoryCount).toBe(18);
    expect(f.log.text('warn')).toEqual([]);
  });

  it('maps each device kind to its services', () => {
    const { Service: S } = hap();
    const services = (name: string) =>
      acc(name)
        .services.filter((s) => s.UUID !== S.AccessoryInformation.UUID)
        .map((s) => s.constructor.name)
        .sort();
    expect(services('Kitchen window')).toEqual(['Window']);
    expect(services('Living room window right')).toEqual(['Battery', 'Window']);
    expect(services('Living room blind')).toEqual(['WindowCovering']);
    expect(services('Bedroom roller shutter')).toEqual(['WindowCovering']);
    expect(services('Kitchen awning')).toEqual(['WindowCovering']);
    expect(services('Living room sensor')).toEqual(['Battery', 'CarbonDioxideSensor', 'HumiditySensor', 'LightSensor', 'TemperatureSensor']);
    expect(services('Bedroom sensor')).toEqual(['Battery', 'CarbonDioxideSensor', 'HumiditySensor', 'TemperatureSensor']);
    expect(services('Departure switch')).toEqual(['Battery', 'Switch']);
    expect(services('Kitchen climate')).toEqual(['OccupancySensor', 'Switch']);
    expect(services('Rain')).toEqual(['OccupancySensor']);
  });

  it('fills in accessory information and stable UUIDs', () => {
    const { Service: S, Characteristic: C, uuid } = hap();
    const window = acc('Kitchen window');
    const info = window.getService(S.AccessoryInformation)!;
    expect(info.getCharacteristic(C.Manufacturer).value).toBe('VELUX');
    expect(info.getCharacteristic(C.Model).value).toBe('GGL INTEGRA');
    expect(info.getCharacteristic(C.SerialNumber).value).toBe('5A1B-000A');
    expect(info.getCharacteristic(C.FirmwareRevision).value).toBe('54.0.0');
    expect(window.UUID).toBe(uuid.generate(`velux-climate:${f.sim.gatewayId}:kitchen-window`));
    const departure = acc('Departure switch').getService(S.AccessoryInformation)!;
    expect(departure.getCharacteristic(C.FirmwareRevision).value).toBe('2.1.0');
    const room = acc('Kitchen climate').getService(S.AccessoryInformation)!;
    expect(room.getCharacteristic(C.SerialNumber).value).toMatch(/^[0-9A-F]{12}$/);
  });

  it('names services and sets ConfiguredName', () => {
    const { Service: S, Characteristic: C } = hap();
    const climate = acc('Kitchen climate');
    expect(climate.getService(S.Switch)!.getCharacteristic(C.ConfiguredName).value).toBe('Kitchen climate control');
    expect(climate.getService(S.OccupancySensor)!.getCharacteristic(C.ConfiguredName).value).toBe('Kitchen ventilation blocked');
    expect(acc('Departure switch').getService(S.Switch)!.getCharacteristic(C.Name).value).toBe('Departure mode');
    expect(acc('Living room sensor').getService(S.TemperatureSensor)!.getCharacteristic(C.Name).value).toBe('Living room sensor temperature');
  });

  it('moves a window: PositionState at once in the direction of travel, then position events until it stops', async () => {
    const { Service: S, Characteristic: C } = hap();
    const window = acc('Bathroom window');
    expect(await read(window, S.Window, C.CurrentPosition)).toBe(0);
    const positions: number[] = [];
    const states: number[] = [];
    const current = characteristicOf(window, S.Window, C.CurrentPosition);
    const positionState = characteristicOf(window, S.Window, C.PositionState);
    current.on('change', (c) => positions.push(c.newValue as number));
    positionState.on('change', (c) => states.push(c.newValue as number));

    const written = write(window, S.Window, C.TargetPosition, 60);
    // before the gateway has even answered
    expect(positionState.value).toBe(C.PositionState.INCREASING);
    expect(characteristicOf(window, S.Window, C.TargetPosition).value).toBe(60);
    expect(await written).toBeUndefined();
    await waitFor(() => current.value === 60 && positionState.value === C.PositionState.STOPPED, 'window at 60 and stopped');
    expect(positions.length).toBeGreaterThan(2);
    expect(positions.at(-1)).toBe(60);
    expect(states[0]).toBe(C.PositionState.INCREASING);
    expect(states.at(-1)).toBe(C.PositionState.STOPPED);
    expect(await read(window, S.Window, C.TargetPosition)).toBe(60);
    const received = f.sim.receivedCommands().filter((c) => c.deviceId === 'bathroom-window');
    expect(received.at(-1)).toMatchObject({ command: { position: 60 }, source: 'homekit' });
  });

  it('stops a moving cover with HoldPosition', async () => {
    const { Service: S, Characteristic: C } = hap();
    const blind = acc('Living room blind');
    expect(await write(blind, S.WindowCovering, C.TargetPosition, 0)).toBeUndefined();
    await waitFor(() => (f.sim.state('living-blind')?.position ?? 100) < 80, 'blind moving');
    expect(await read(blind, S.WindowCovering, C.PositionState)).toBe(C.PositionState.DECREASING);
    expect(await write(blind, S.WindowCovering, C.HoldPosition, true)).toBeUndefined();
    await waitFor(() => characteristicOf(blind, S.WindowCovering, C.PositionState).value === C.PositionState.STOPPED, 'stopped');
    const stoppedAt = f.sim.state('living-blind')!.position!;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(f.sim.receivedCommands().at(-1)).toMatchObject({ deviceId: 'living-blind', command: { stop: true }, source: 'homekit' });
    await new Promise((r) => setTimeout(r, 150));
    expect(await read(blind, S.WindowCovering, C.CurrentPosition)).toBe(stoppedAt);
    expect(await read(blind, S.WindowCovering, C.TargetPosition)).toBe(stoppedAt);
  });

  it('answers a refused command with a communication failure and a log line, and shows the real target again', async () => {
    const { Service: S, Characteristic: C } = hap();
    const window = acc('Kitchen window');
    f.sim.failNextCommands('kitchen-window', 'busy');
    expect(await write(window, S.Window, C.TargetPosition, 40)).toEqual(NO_RESPONSE);
    expect(f.log.text('warn').at(-1)).toBe('Kitchen window: could not move to 40 %: simulated busy failure (busy)');
    expect(await read(window, S.Window, C.TargetPosition)).toBe(0);
    expect(await read(window, S.Window, C.PositionState)).toBe(C.PositionState.STOPPED);
  });

  it('reports obstruction', async () => {
    const { Service: S, Characteristic: C } = hap();
    f.sim.setObstructed('bedroom-shutter', true);
    await waitFor(() => characteristicOf(acc('Bedroom roller shutter'), S.WindowCovering, C.ObstructionDetected).value === true, 'obstructed');
    f.sim.setObstructed('bedroom-shutter', false);
    await waitFor(() => characteristicOf(acc('Bedroom roller shutter'), S.WindowCovering, C.ObstructionDetected).value === false, 'clear');
  });

  it('publishes sensor readings, CO2 at the room limit and the 24 h peak, light only where measured, low battery at 20 %', async () => {
    const { Service: S, Characteristic: C } = hap();
    const kitchen = acc('Kitchen sensor');
    const publish = (state: object) => f.sim.publishRaw('kitchen-sensor', JSON.stringify(state), { retain: true });
    await publish({ temperature: -12.34, humidity: 48.4, co2: 999, lux: 0, battery: 21 });
    // (HAP itself snaps floats to minValue + n·minStep, hence not exactly -12.3)
    await waitFor(() => Math.abs((characteristicOf(kitchen, S.TemperatureSensor, C.CurrentTemperature).value as number) + 12.3) < 1e-9, 'negative temperature');
    expect(characteristicOf(kitchen, S.TemperatureSensor, C.CurrentTemperature).props.minValue).toBe(-50);
    expect(await read(kitchen, S.HumiditySensor, C.CurrentRelativeHumidity)).toBe(48);
    expect(await read(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideLevel)).toBe(999);
    expect(await read(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideDetected)).toBe(C.CarbonDioxideDetected.CO2_LEVELS_NORMAL);
    expect(await read(kitchen, S.LightSensor, C.CurrentAmbientLightLevel)).toBe(0.0001);
    expect(await read(kitchen, S.Battery, C.StatusLowBattery)).toBe(C.StatusLowBattery.BATTERY_LEVEL_NORMAL);

    await publish({ temperature: 21, humidity: 50, co2: 1000, lux: 250, battery: 20 });
    await waitFor(() => characteristicOf(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideLevel).value === 1000, 'co2 1000');
    // Kitchen's limit is 1000 in this fixture; other rooms keep the default 1150
    expect(await read(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideDetected)).toBe(C.CarbonDioxideDetected.CO2_LEVELS_ABNORMAL);
    expect(await read(kitchen, S.Battery, C.StatusLowBattery)).toBe(C.StatusLowBattery.BATTERY_LEVEL_LOW);
    expect(await read(kitchen, S.Battery, C.BatteryLevel)).toBe(20);

    await publish({ temperature: 21, humidity: 50, co2: 1400, lux: 250, battery: 20 });
    await publish({ temperature: 21, humidity: 50, co2: 700, lux: 250, battery: 20 });
    await waitFor(() => characteristicOf(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideLevel).value === 700, 'co2 700');
    expect(await read(kitchen, S.CarbonDioxideSensor, C.CarbonDioxidePeakLevel)).toBe(1400);
    expect(await read(kitchen, S.CarbonDioxideSensor, C.CarbonDioxideDetected)).toBe(C.CarbonDioxideDetected.CO2_LEVELS_NORMAL);

    const living = acc('Living room sensor');
    await f.sim.publishRaw('living-sensor', JSON.stringify({ temperature: 21, humidity: 50, co2: 1100, lux: 10 }), { retain: true });
    await waitFor(() => characteristicOf(living, S.CarbonDioxideSensor, C.CarbonDioxideLevel).value === 1100, 'living co2');
    expect(await read(living, S.CarbonDioxideSensor, C.CarbonDioxideDetected)).toBe(C.CarbonDioxideDetected.CO2_LEVELS_NORMAL);
    // a state without battery: the battery is unknown, not "full"
    expect(await read(living, S.Battery, C.BatteryLevel)).toEqual(NO_RESPONSE);
    expect(acc('Bedroom sensor').getService(S.LightSensor)).toBeUndefined();
  });

  it('switches departure mode from HomeKit and shows presses of the physical switch', async () => {
    const { Service: S, Characteristic: C } = hap();
    const departure = acc('Departure switch');
    expect(await read(departure, S.Switch, C.On)).toBe(false);
    expect(await write(departure, S.Switch, C.On, true)).toBeUndefined();
    expect(f.sim.receivedCommands().at(-1)).toMatchObject({ deviceId: 'departure-switch', command: { away: true }, source: 'homekit' });
    await waitFor(() => f.sim.state('departure-switch')?.away === true && f.home.away, 'away');
    expect(await read(departure, S.Switch, C.On)).toBe(true);

    const on = characteristicOf(departure, S.Switch, C.On);
    const events: unknown[] = [];
    on.on('change', (c) => events.push(c.newValue));
    expect(f.sim.pressDepartureSwitch()).toBe(false);
    await waitFor(() => on.value === false, 'switch off after the press');
    expect(events).toEqual([false]);
    expect(f.bridge.names()).not.toContain('Departure mode'); // no virtual switch next to a physical one
  });

  it('binds room climate control and the ventilation-blocked sensor', async () => {
    const { Service: S, Characteristic: C } = hap();
    const kitchen = acc('Kitchen climate');
    expect(await read(kitchen, S.Switch, C.On)).toBe(true);
    expect(await write(kitchen, S.Switch, C.On, false)).toBeUndefined();
    expect(f.home.roomClimate('Kitchen').enabled).toBe(false);
    expect(f.persisted.roomClimateEnabled).toEqual({ Kitchen: false });
    f.home.setRoomClimateEnabled('Kitchen', true, 'cli');
    expect(characteristicOf(kitchen, S.Switch, C.On).value).toBe(true);

    const blocked = characteristicOf(kitchen, S.OccupancySensor, C.OccupancyDetected);
    expect(blocked.value).toBe(C.OccupancyDetected.OCCUPANCY_NOT_DETECTED);
    f.home.setRoomVentilationBlocked('Kitchen', { guard: 'rain', detail: 'it is raining' });
    expect(blocked.value).toBe(C.OccupancyDetected.OCCUPANCY_DETECTED);
    expect(await read(kitchen, S.OccupancySensor, C.OccupancyDetected)).toBe(C.OccupancyDetected.OCCUPANCY_DETECTED);
    f.home.setRoomVentilationBlocked('Kitchen', undefined);
    expect(blocked.value).toBe(C.OccupancyDetected.OCCUPANCY_NOT_DETECTED);
    expect(f.bridge.names()).not.toContain('Hallway climate'); // a room with only a switch is not climate-capable
  });

  it('reports rain from the weather and the windows', async () => {
    const { Service: S, Characteristic: C } = hap();
    const rain = characteristicOf(acc('Rain'), S.OccupancySensor, C.OccupancyDetected);
    expect(rain.value).toBe(C.OccupancyDetected.OCCUPANCY_NOT_DETECTED);
    f.sim.setWeather({ rain: true });
    await waitFor(() => rain.value === C.OccupancyDetected.OCCUPANCY_DETECTED, 'rain detected');
    await waitFor(() => f.home.device(`${f.baseTopic}/kitchen-window`)?.state.rain === true, 'window rain sensor');
    // opening a window while its rain sensor is active is refused by the gateway
    const window = acc('Kitchen window');
    expect(await write(window, S.Window, C.TargetPosition, 100)).toEqual(NO_RESPONSE);
    expect(f.log.text('warn').at(-1)).toBe('Kitchen window: could not move to 100 %: rain sensor active (rain)');
    f.sim.setWeather({ rain: false });
    await waitFor(() => rain.value === C.OccupancyDetected.OCCUPANCY_NOT_DETECTED, 'rain over');
  });

  it('answers "No Response" while a device is unreachable, and recovers', async () => {
    const { Service: S, Characteristic: C } = hap();
    const window = acc('Living room window left');
    const current = characteristicOf(window, S.Window, C.CurrentPosition);
    f.sim.setReachable('living-window-1', false);
    await waitFor(() => current.statusCode === -70402, 'error pushed');
    expect(await read(window, S.Window, C.CurrentPosition)).toEqual(NO_RESPONSE);
    expect(await read(window, S.Window, C.PositionState)).toEqual(NO_RESPONSE);
    expect(await write(window, S.Window, C.TargetPosition, 30)).toEqual(NO_RESPONSE);
    // other devices are unaffected
    expect(await read(acc('Bathroom window'), S.Window, C.CurrentPosition)).toBe(60);
    f.sim.setReachable('living-window-1', true);
    await waitFor(() => current.statusCode === 0, 'value pushed again');
    expect(await read(window, S.Window, C.CurrentPosition)).toBe(0);
  });

  it('answers "No Response" everywhere while the gateway is offline, and recovers', async () => {
    const { Service: S, Characteristic: C } = hap();
    await f.sim.goOffline();
    await waitFor(() => !f.home.gatewayOnline(f.baseTopic), 'gateway offline');
    expect(await read(acc('Bathroom window'), S.Window, C.CurrentPosition)).toEqual(NO_RESPONSE);
    expect(await read(acc('Kitchen sensor'), S.TemperatureSensor, C.CurrentTemperature)).toEqual(NO_RESPONSE);
    expect(await read(acc('Departure switch'), S.Switch, C.On)).toEqual(NO_RESPONSE);
    expect(await read(acc('Rain'), S.OccupancySensor, C.OccupancyDetected)).toEqual(NO_RESPONSE);
    expect(await write(acc('Bathroom window'), S.Window, C.TargetPosition, 10)).toEqual(NO_RESPONSE);
    expect(await write(acc('Departure switch'), S.Switch, C.On, true)).toEqual(NO_RESPONSE);
    expect(characteristicOf(acc('Kitchen sensor'), S.TemperatureSensor, C.CurrentTemperature).statusCode).toBe(-70402);
    // plugin-side state stays available
    expect(await read(acc('Kitchen climate'), S.Switch, C.On)).toBe(true);
    const sent = f.sim.receivedCommands().length;

    await f.sim.goOnline();
    await waitFor(() => f.home.devices().every((d) => d.reachable), 'all reachable');
    expect(await read(acc('Bathroom window'), S.Window, C.CurrentPosition)).toBe(60);
    expect(await read(acc('Rain'), S.OccupancySensor, C.OccupancyDetected)).toBe(C.OccupancyDetected.OCCUPANCY_NOT_DETECTED);
    expect(f.sim.receivedCommands().length).toBe(sent); // nothing was sent while offline
  });

  it('answers "No Response" while the MQTT connection is down, and recovers when it reconnects', async () => {
    const { Service: S, Characteristic: C } = hap();
    const window = acc('Kitchen window');
    const current = characteristicOf(window, S.Window, C.CurrentPosition);
    const seen: Array<{ reachable: boolean; pushed: number; read: Promise<unknown> }> = [];
    const onReachability = (device: { id: string; reachable: boolean }) => {
      if (device.id === 'kitchen-window') seen.push({ reachable: device.reachable, pushed: current.statusCode, read: read(window, S.Window, C.CurrentPosition) });
    };
    f.home.on('reachability', onReachability);
    try {
      // drop the plugin's connection at the broker (it reconnects on its own)
      const aedes = (f.broker as unknown as { aedes: { clients: Record<string, { close(): void }> } }).aedes;
      const pluginClient = Object.keys(aedes.clients).find((id) => id.startsWith('velux-climate-'));
      expect(pluginClient).toBeDefined();
      aedes.clients[pluginClient!]!.close();
      await waitFor(() => seen.length >= 2, 'down and up again');
      expect(seen.map((s) => [s.reachable, s.pushed])).toEqual([
        [false, -70402],
        [true, 0],
      ]);
      expect(await seen[0]!.read).toEqual(NO_RESPONSE);
      expect(await seen[1]!.read).toBe(0);
    } finally {
      f.home.off('reachability', onReachability);
    }
  });

  it('adds and removes accessories at runtime', async () => {
    const { Service: S, Characteristic: C } = hap();
    f.sim.addDevice(
      { id: 'attic-window', type: 'window', name: 'Attic window', room: 'Attic', model: 'GGL', serial: 'ATTIC-1', features: {} },
      { position: 25 },
    );
    await waitFor(() => f.bridge.names().includes('Attic window'), 'attic window added');
    await waitFor(() => characteristicOf(acc('Attic window'), S.Window, C.CurrentPosition).value === 25, 'attic position');
    // no firmware of its own: the gateway's ("1.0.0-sim") in HomeKit's format
    const info = acc('Attic window').getService(S.AccessoryInformation)!;
    expect(info.getCharacteristic(C.FirmwareRevision).value).toBe('1.0.0');
    expect(info.getCharacteristic(C.SerialNumber).value).toBe('ATTIC-1');
    expect(f.bridge.names()).not.toContain('Attic climate'); // no sensor in the attic
    f.sim.removeDevice('attic-window');
    await waitFor(() => !f.bridge.names().includes('Attic window'), 'attic window removed');
    expect(f.hk.accessoryCount).toBe(18);
  });

  it('follows a rename unless the user renamed the service in the Home app', async () => {
    const { Service: S, Characteristic: C } = hap();
    const window = acc('Bathroom window');
    await write(window, S.Window, C.ConfiguredName, 'Skylight');
    const blind = acc('Living room blind');
    const devices = f.sim.devices();
    // rename both devices on the gateway side by republishing bridge/devices
    const renamed = devices.map((d) =>
      d.id === 'bathroom-window' ? { ...d, name: 'Bath window' } : d.id === 'living-blind' ? { ...d, name: 'Lounge blind' } : d,
    );
    await f.sim.publishRaw('bridge/devices', JSON.stringify(renamed), { retain: true });
    await waitFor(() => window.displayName === 'Bath window' && blind.displayName === 'Lounge blind', 'renamed');
    expect(window.getService(S.Window)!.getCharacteristic(C.Name).value).toBe('Bath window');
    expect(window.getService(S.Window)!.getCharacteristic(C.ConfiguredName).value).toBe('Skylight');
    expect(blind.getService(S.WindowCovering)!.getCharacteristic(C.ConfiguredName).value).toBe('Lounge blind');
    await f.sim.publishRaw('bridge/devices', JSON.stringify(devices), { retain: true });
    await waitFor(() => window.displayName === 'Bathroom window', 'renamed back');
  });
});

describe('restart with the accessory cache', () => {
  it('restores cached accessories as "No Response", binds them without re-registering, and removes stale ones only after the device list', async () => {
    const first = await startFixture({ timeScale: 20 });
    await waitFor(() => first.bridge.accessories.size === 18, '18 accessories');
    const { Service: S, Characteristic: C } = first.api.hap;
    const uuids = [...first.bridge.accessories.keys()].sort();
    await first.stopPlugin();
    const cache = first.bridge.cacheRoundTrip();

    // while the plugin is down, the awning is removed from the gateway
    first.sim.removeDevice('kitchen-awning');
    const second = await startFixture({ reuse: first, cached: cache, noWait: true });
    try {
      // straight after start: nothing known yet, nothing removed, nothing stale shown as live
      const window = second.bridge.byName('Kitchen window');
      expect(await read(window, S.Window, C.CurrentPosition)).toEqual(NO_RESPONSE);
      expect(characteristicOf(window, S.Window, C.CurrentPosition).statusCode).toBe(-70402);
      expect(await write(window, S.Window, C.TargetPosition, 50)).toEqual(NO_RESPONSE);
      expect(second.bridge.names()).toContain('Kitchen awning');
      // plugin-side accessories are live at once
      expect(await read(second.bridge.byName('Kitchen climate'), S.Switch, C.On)).toBe(true);

      await waitFor(() => !second.bridge.names().includes('Kitchen awning'), 'stale awning removed');
      await waitFor(() => second.home.devices().every((d) => d.reachable), 'devices reachable');
      expect(await read(window, S.Window, C.CurrentPosition)).toBe(0);
      expect(second.bridge.registerCalls).toBe(0);
      expect([...second.bridge.accessories.keys()].sort()).toEqual(uuids.filter((u) => u !== first.api.hap.uuid.generate(`velux-climate:${first.sim.gatewayId}:kitchen-awning`)));
      expect(second.log.text('info')).toContain('Removing "Kitchen awning" from HomeKit: the gateway no longer lists it');
    } finally {
      await second.stopPlugin();
      await first.close();
    }
  });

  it('removes cached accessories of a gateway that is no longer configured at start', async () => {
    const first = await startFixture({ timeScale: 20 });
    await waitFor(() => first.bridge.accessories.size === 18, '18 accessories');
    await first.stopPlugin();
    const cache = first.bridge.cacheRoundTrip();
    for (const a of cache) {
      const role = a.context.role as { kind: string; gatewayKey?: string } | undefined;
      if (role?.kind === 'device') role.gatewayKey = 'old-base-topic';
    }
    const second = await startFixture({ reuse: first, cached: cache, noWait: true });
    try {
      // device accessories went at once; home-wide ones stay until the device lists say otherwise
      expect(second.bridge.names()).toEqual(['Bathroom climate', 'Bedroom climate', 'Kitchen climate', 'Living room climate', 'Rain']);
      await waitFor(() => second.bridge.accessories.size === 18, 'devices published again');
    } finally {
      await second.stopPlugin();
      await first.close();
    }
  });
});

describe('a home without a physical departure switch', () => {
  const layout = (): HomeLayout => {
    const base = defaultLayout();
    return { ...base, devices: base.devices.filter((d) => d.type !== 'departure_switch') };
  };

  it('publishes a virtual "Departure mode" whose state the home persists', async () => {
    const first = await startFixture({ layout: layout() });
    let second: Fixture | undefined;
    try {
      const { Service: S, Characteristic: C } = first.api.hap;
      await waitFor(() => first.bridge.names().includes('Departure mode'), 'virtual departure switch');
      const departure = first.bridge.byName('Departure mode');
      expect(await read(departure, S.Switch, C.On)).toBe(false);
      expect(await write(departure, S.Switch, C.On, true)).toBeUndefined();
      expect(first.home.away).toBe(true);
      expect(first.persisted.virtualAway).toBe(true);
      expect(first.sim.receivedCommands()).toEqual([]);
      await first.stopPlugin();

      second = await startFixture({ reuse: first, cached: first.bridge.cacheRoundTrip(), persisted: first.persisted });
      const restored = second.bridge.byName('Departure mode');
      expect(restored.UUID).toBe(departure.UUID);
      expect(await read(restored, S.Switch, C.On)).toBe(true);

      // a physical switch appears: the virtual one goes
      first.sim.addDevice({ id: 'switch', type: 'departure_switch', name: 'Hall switch', room: 'Hallway', features: {} }, { away: false });
      await waitFor(() => !second!.bridge.names().includes('Departure mode') && second!.bridge.names().includes('Hall switch'), 'physical switch');
    } finally {
      await second?.stopPlugin();
      await first.close();
    }
  });
});

describe('the 149-accessory limit of a HomeKit bridge', () => {
  let f: Fixture | undefined;
  afterEach(async () => f?.close());

  it('publishes the first 149, leaves the rest out with one log line, and fills freed places', async () => {
    const blinds = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({
        id: `blind-${from + i}`,
        type: 'blind' as const,
        name: `Blind ${from + i}`,
        features: {},
      }));
    // 152 blinds without rooms, plus the virtual departure switch and rain (the simulator reports weather): 154 accessories
    f = await startFixture({ layout: { devices: blinds(0, 152) }, timeScale: 20 });
    const limitLines = () => f!.log.text('warn').filter((l) => l.startsWith('HomeKit allows at most 149'));
    await waitFor(() => f!.bridge.accessories.size === 149, '149 published');
    await waitFor(() => limitLines().length > 0, 'the limit line');
    await new Promise((r) => setTimeout(r, 1200));
    expect(f.bridge.accessories.size).toBe(149);
    expect(f.hk.leftOutNames).toEqual(['Blind 149', 'Blind 150', 'Blind 151', 'Departure mode', 'Rain']);
    expect(limitLines()).toEqual([
      'HomeKit allows at most 149 accessories per bridge: 5 of 154 accessories were left out ("Blind 149", "Blind 150", "Blind 151" and 2 more). ' +
        'To publish them all, split your gateways over several "VeluxClimate" platform blocks, each with its own "id" and child bridge ("_bridge"), ' +
        'so that none has more than 149 accessories.',
    ]);

    f.sim.removeDevice('blind-0');
    f.sim.removeDevice('blind-1');
    await waitFor(() => f!.hk.leftOutNames.length === 3, 'two fit now');
    expect(f.bridge.accessories.size).toBe(149);
    expect(f.bridge.names()).toContain('Blind 149');
    expect(f.bridge.names()).toContain('Blind 150');
    await waitFor(() => limitLines().length === 2, 'an updated limit line');
    expect(limitLines().at(-1)).toContain('3 of 152 accessories were left out');
  });

  it('logs a clear error when a bridge shared with other plugins is full', async () => {
    f = await startFixture({ foreignAccessories: 140 });
    await waitFor(() => f!.log.text('error').length > 0, 'an error line');
    expect(f.log.text('error')).toEqual([
      'Homebridge could not add 18 accessories (Cannot Bridge more than 149 Accessories). ' +
        'If other plugins share this bridge, run "VeluxClimate" as a child bridge ("_bridge") of its own.',
    ]);
  });
});
