// The HomeKit floor: a bare @homebridge/hap-nodejs bridge (no Homebridge, no plugin) in its
// own process with one WindowCovering and one TemperatureSensor accessory, wired straight to
// MQTT — the least any HomeKit ↔ MQTT bridge has to do:
//  - a TargetPosition write publishes `<base>/floor-cover/set` (QoS 1, same payload shape as
//    the plugin's commands) from the SET handler;
//  - a message on `<base>/floor-sensor` sets CurrentTemperature (rounded to 0.1, like the plugin).
// argv: <mqtt url> <base topic> <HAP port> <username> <storage dir>. Tells the parent
// {kind:'ready'} over IPC once the HAP server listens and the MQTT subscription is active.
import hapNodeJs from '@homebridge/hap-nodejs';
import mqtt from 'mqtt';

const [url, base, portText, username, storage] = process.argv.slice(2);
const { Accessory, Bridge, Categories, Characteristic, HAPStorage, Service, uuid } = hapNodeJs;
HAPStorage.setCustomStoragePath(storage);

const client = mqtt.connect(url, { clientId: `floor-${process.pid}`, reconnectPeriod: 0 });
await new Promise((resolve, reject) => {
  client.once('connect', resolve);
  client.once('error', reject);
});
client.stream?.setNoDelay?.(true);

const bridge = new Bridge('Floor Bridge', uuid.generate('velux-bench-floor-bridge'));

const coverAccessory = new Accessory('Floor cover', uuid.generate('velux-bench-floor-cover'));
const cover = coverAccessory.addService(Service.WindowCovering, 'Floor cover');
cover.getCharacteristic(Characteristic.CurrentPosition).updateValue(0);
cover.getCharacteristic(Characteristic.PositionState).updateValue(Characteristic.PositionState.STOPPED);
let transaction = 0;
cover.getCharacteristic(Characteristic.TargetPosition).onSet((value) => {
  const payload = JSON.stringify({ position: Math.round(Number(value)), transaction: `floor-${(++transaction).toString(36)}`, source: 'homekit' });
  client.publish(`${base}/floor-cover/set`, payload, { qos: 1, retain: false });
});

const sensorAccessory = new Accessory('Floor sensor', uuid.generate('velux-bench-floor-sensor'));
const temperature = sensorAccessory
  .addService(Service.TemperatureSensor, 'Floor sensor')
  .getCharacteristic(Characteristic.CurrentTemperature)
  .setProps({ minValue: -50, maxValue: 100 });
client.on('message', (_topic, payload) => {
  const t = JSON.parse(payload.toString()).temperature;
  if (typeof t === 'number') temperature.updateValue(Math.round(t * 10) / 10);
});
await client.subscribeAsync(`${base}/floor-sensor`, { qos: 1 });

bridge.addBridgedAccessories([coverAccessory, sensorAccessory]);
bridge.on('listening', () => process.send?.({ kind: 'ready' }));
await bridge.publish(
  { username, pincode: '031-45-154', port: Number(portText), category: Categories.BRIDGE, bind: '127.0.0.1', advertiser: 'ciao' },
  true,
);
process.on('SIGTERM', () => {
  void bridge.unpublish().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
process.on('disconnect', () => process.exit(0));
