// The forwarding floor for the KIX 300 benchmark: the least a HomeKit-controller → HomeKit-
// accessory relay has to do, in its own process, with no plugin logic (no home model, no
// mapping, no command path, no climate control):
//  - a hap-controller client on the emulated gateway (the plugin's pairing keys, one persistent
//    session, subscribed to one sensor's CurrentTemperature);
//  - a bare @homebridge/hap-nodejs bridge with one WindowCovering and one TemperatureSensor:
//    a TargetPosition write is written on to the gateway's cover (answered once the gateway
//    answers, as the plugin does), a temperature event from the gateway is set on the sensor.
// argv: <gateway port> <pairing keys JSON> <cover serial> <sensor serial> <HAP port> <username> <storage dir>.
// Tells the parent {kind:'ready'} over IPC once both sides are up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import hapNodeJs from '@homebridge/hap-nodejs';
import hapController from 'hap-controller';
import { repoRoot } from './lib.mjs';

const [gatewayPort, keysFile, coverSerial, sensorSerial, portText, username, storage] = process.argv.slice(2);
const { Accessory, Bridge, Categories, Characteristic, HAPStorage, Service, uuid } = hapNodeJs;
const { listenOnLoopbackOnly } = await import(pathToFileURL(join(repoRoot, 'dist', 'simulator', 'loopback.js')).href);
HAPStorage.setCustomStoragePath(storage);

// ---- controller side: the gateway ----
const keys = JSON.parse(readFileSync(keysFile, 'utf8'));
const gateway = new hapController.HttpClient(keys.AccessoryPairingID, '127.0.0.1', Number(gatewayPort), keys, {
  usePersistentConnections: true,
  subscriptionsUseSameConnection: true,
});
const { accessories } = await gateway.getAccessories();
const short = (t) => String(t).split('-')[0].replace(/^0+/, '').toUpperCase();
const bySerial = (serial) =>
  accessories.find((a) => a.services.some((s) => short(s.type) === '3E' && s.characteristics.some((c) => short(c.type) === '30' && String(c.value).toLowerCase() === serial)));
const idOf = (serial, charType) => {
  const a = bySerial(serial);
  for (const s of a?.services ?? []) for (const c of s.characteristics) if (short(c.type) === charType) return `${a.aid}.${c.iid}`;
  throw new Error(`no characteristic ${charType} on ${serial}`);
};
const gatewayTarget = idOf(coverSerial, '7C');
const gatewayTemperature = idOf(sensorSerial, '11');

// ---- accessory side: the bridge ----
const bridge = new Bridge('KIX Floor Bridge', uuid.generate('velux-bench-kix-floor-bridge'));
const coverAccessory = new Accessory('Floor cover', uuid.generate('velux-bench-kix-floor-cover'));
const cover = coverAccessory.addService(Service.WindowCovering, 'Floor cover');
cover.getCharacteristic(Characteristic.CurrentPosition).updateValue(0);
cover.getCharacteristic(Characteristic.PositionState).updateValue(Characteristic.PositionState.STOPPED);
cover.getCharacteristic(Characteristic.TargetPosition).onSet(async (value) => {
  await gateway.setCharacteristics({ [gatewayTarget]: Math.round(Number(value)) });
});
const sensorAccessory = new Accessory('Floor sensor', uuid.generate('velux-bench-kix-floor-sensor'));
const temperature = sensorAccessory.addService(Service.TemperatureSensor, 'Floor sensor').getCharacteristic(Characteristic.CurrentTemperature).setProps({ minValue: -50, maxValue: 100 });
gateway.on('event', (ev) => {
  for (const c of ev.characteristics ?? []) if (`${c.aid}.${c.iid}` === gatewayTemperature) temperature.updateValue(Number(c.value));
});
await gateway.subscribeCharacteristics([gatewayTemperature]);

bridge.addBridgedAccessories([coverAccessory, sensorAccessory]);
bridge.on('listening', () => process.send?.({ kind: 'ready' }));
const restore = listenOnLoopbackOnly();
await bridge.publish({ username, pincode: '031-45-154', port: Number(portText), category: Categories.BRIDGE, bind: '127.0.0.1', advertiser: 'ciao' }, true);
restore();
process.on('SIGTERM', () => {
  void bridge.unpublish().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
process.on('disconnect', () => process.exit(0));
