// Benchmark reference only (bench/homekit-*.mjs, bench/scale.mjs): the least a Homebridge
// dynamic platform can do, so that comparing it with the bare HAP-NodeJS floor shows what
// Homebridge itself costs, and comparing the plugin with it shows what the plugin's own code
// costs. Two modes, by config:
//  - { url, baseTopic }: one cover and one temperature sensor wired straight to MQTT (the same
//    wiring as bench/floor-hap.mjs, inside Homebridge);
//  - { devices: [descriptors] }: the same HAP accessories and services the plugin publishes for
//    those devices (device accessories, one climate switch + "ventilation blocked" sensor per
//    room with a sensor and a window or cover, Rain, a virtual departure switch when there is
//    no physical one), with fixed values and no logic at all.
export default (api) => {
  const { Service: S, Characteristic: C, Categories, uuid } = api.hap;
  const PLUGIN = 'homebridge-velux-bench-floor';
  const PLATFORM = 'BenchFloor';

  function accessory(name, seed, category, services) {
    const a = new api.platformAccessory(name, uuid.generate(`velux-bench-floor-${seed}`), category);
    a.getService(S.AccessoryInformation).setCharacteristic(C.Manufacturer, 'Bench').setCharacteristic(C.Model, 'Floor').setCharacteristic(C.SerialNumber, seed);
    for (const [type, subName, values] of services) {
      const service = a.addService(type, subName, subName);
      for (const [characteristic, value] of values) service.getCharacteristic(characteristic).updateValue(value);
    }
    return a;
  }

  const cover = (type) => [type, 'cover', [[C.CurrentPosition, 0], [C.TargetPosition, 0], [C.PositionState, 2], [C.ObstructionDetected, false], [C.HoldPosition, false]]];
  const battery = [S.Battery, 'battery', [[C.BatteryLevel, 90], [C.StatusLowBattery, 0]]];

  function staticAccessories(devices) {
    const list = [];
    const rooms = new Map();
    for (const d of devices) {
      if (d.room) rooms.set(d.room, [...(rooms.get(d.room) ?? []), d]);
      if (d.type === 'window') list.push(accessory(d.name, d.id, Categories.WINDOW, [cover(S.Window), ...(d.features.battery ? [battery] : [])]));
      else if (['blind', 'shutter', 'awning'].includes(d.type)) list.push(accessory(d.name, d.id, Categories.WINDOW_COVERING, [cover(S.WindowCovering)]));
      else if (d.type === 'departure_switch') list.push(accessory(d.name, d.id, Categories.SWITCH, [[S.Switch, 'switch', [[C.On, false]]], battery]));
      else if (d.type === 'sensor') {
        const m = d.features.measures ?? ['temperature', 'humidity', 'co2'];
        const services = [];
        if (m.includes('temperature')) services.push([S.TemperatureSensor, 'temperature', [[C.CurrentTemperature, 21]]]);
        if (m.includes('humidity')) services.push([S.HumiditySensor, 'humidity', [[C.CurrentRelativeHumidity, 45]]]);
        if (m.includes('co2')) services.push([S.CarbonDioxideSensor, 'co2', [[C.CarbonDioxideDetected, 0], [C.CarbonDioxideLevel, 600], [C.CarbonDioxidePeakLevel, 600]]]);
        if (m.includes('lux')) services.push([S.LightSensor, 'light', [[C.CurrentAmbientLightLevel, 300]]]);
        if (d.features.battery) services.push(battery);
        list.push(accessory(d.name, d.id, Categories.SENSOR, services));
      }
    }
    for (const [room, ds] of rooms) {
      if (ds.some((d) => d.type === 'sensor') && ds.some((d) => d.type !== 'sensor' && d.type !== 'departure_switch')) {
        list.push(accessory(`${room} climate`, `room-${room}`, Categories.SWITCH, [[S.Switch, 'control', [[C.On, true]]], [S.OccupancySensor, 'blocked', [[C.OccupancyDetected, 0]]]]));
      }
    }
    if (devices.some((d) => d.type === 'window' && (d.features.rainSensor ?? d.features.rain_sensor))) list.push(accessory('Rain', 'rain', Categories.SENSOR, [[S.OccupancySensor, 'rain', [[C.OccupancyDetected, 0]]]]));
    if (!devices.some((d) => d.type === 'departure_switch')) list.push(accessory('Departure mode', 'departure', Categories.SWITCH, [[S.Switch, 'switch', [[C.On, false]]]]));
    return list;
  }

  async function mqttAccessories(log, config) {
    const { default: mqtt } = await import('mqtt');
    const client = mqtt.connect(config.url, { clientId: `hb-floor-${process.pid}`, reconnectPeriod: 250 });
    client.on('connect', () => client.stream?.setNoDelay?.(true));
    const coverAccessory = new api.platformAccessory('Floor cover', uuid.generate('velux-bench-hb-floor-cover'));
    const covering = coverAccessory.addService(S.WindowCovering, 'Floor cover');
    covering.getCharacteristic(C.CurrentPosition).updateValue(0);
    covering.getCharacteristic(C.PositionState).updateValue(C.PositionState.STOPPED);
    let transaction = 0;
    covering.getCharacteristic(C.TargetPosition).onSet((value) => {
      const payload = JSON.stringify({ position: Math.round(Number(value)), transaction: `hbfloor-${(++transaction).toString(36)}`, source: 'homekit' });
      client.publish(`${config.baseTopic}/floor-cover/set`, payload, { qos: 1, retain: false });
    });
    const sensorAccessory = new api.platformAccessory('Floor sensor', uuid.generate('velux-bench-hb-floor-sensor'));
    const temperature = sensorAccessory.addService(S.TemperatureSensor, 'Floor sensor').getCharacteristic(C.CurrentTemperature).setProps({ minValue: -50, maxValue: 100 });
    client.on('message', (_topic, payload) => {
      const t = JSON.parse(payload.toString()).temperature;
      if (typeof t === 'number') temperature.updateValue(Math.round(t * 10) / 10);
    });
    client.subscribe(`${config.baseTopic}/floor-sensor`, { qos: 1 }, () => log.info('bench floor subscribed'));
    api.on('shutdown', () => client.end(true));
    return [coverAccessory, sensorAccessory];
  }

  api.registerPlatform(PLUGIN, PLATFORM, class {
    constructor(log, config) {
      api.on('didFinishLaunching', async () => {
        const list = config.devices ? staticAccessories(config.devices) : await mqttAccessories(log, config);
        api.registerPlatformAccessories(PLUGIN, PLATFORM, list);
        log.info(`bench floor: ${list.length} accessories`);
      });
    }
    configureAccessory() {}
  });
};
