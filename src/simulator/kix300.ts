/**
 * An emulated VELUX ACTIVE with NETATMO gateway (KIX 300): a HomeKit bridge built with
 * HAP-NodeJS whose accessory database follows what real gateways expose, as recorded in Home
 * Assistant's homekit_controller fixtures (velux_gateway.json, velux_window.json,
 * velux_window_cover.json, velux_active_netatmo_co2.json):
 * - accessory 1 "VELUX Gateway" (manufacturer VELUX, firmware "70") with the HAP Protocol
 *   Information service;
 * - every window "VELUX Window" with one Window service "Roof Window" (TargetPosition pr/pw/ev,
 *   CurrentPosition and PositionState pr/ev), no HoldPosition, no ObstructionDetected;
 * - covers "VELUX External Cover" / "VELUX Internal Cover" with one WindowCovering service;
 * - every climate sensor "VELUX Sensor" with Temperature (0–50 °C, step 0.1), Humidity (step 1)
 *   and Carbon Dioxide (Detected, Level 0–5000) services;
 * - no rooms, no battery, no rain, no departure switch: only the serial number tells devices apart.
 *
 * Motors travel at constant speed (the MQTT simulator's motor), rooms breathe with the same
 * climate physics as the MQTT simulator. HAP-NodeJS is a development dependency: this module
 * is for tests and the demo from a clone, never loaded by the plugin.
 *
 * A small TCP relay sits in front of the HAP server so that tests can make the gateway vanish
 * (connections refused and cut) or go silent (connections kept, nothing answered) and come
 * back with the same identity and pairings. docs/velux-active-homekit.md lists what a real
 * gateway may do differently.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import hap from '@homebridge/hap-nodejs';
import { ScaledClock, type CancelTimer, type SimClock } from './clock.js';
import { stepRoomClimate, type RoomClimate } from './climate.js';
import { motionToward, travel, FULL_TRAVEL_MS } from './motor.js';
import { listenOnLoopbackOnly } from './loopback.js';

const { Accessory, Bridge, Categories, Characteristic, HAPStatus, HAPStorage, HapStatusError, Service, uuid } = hap;
type HapAccessory = InstanceType<typeof Accessory>;
type HapCharacteristic = InstanceType<typeof Characteristic>;

export type KixDeviceKind = 'window' | 'internal_cover' | 'external_cover' | 'sensor';

export interface KixDevice {
  serial: string;
  kind: KixDeviceKind;
  /** Where the emulated home puts it (rooms drive the climate physics; a real gateway does not tell them). */
  room?: string;
  /** Percent open at start (covers). Default 0 (closed / lowered). */
  position?: number;
  /** Service name of a WindowCovering (recorded: "Awning Blinds" on an external cover). */
  serviceName?: string;
  /** Start climate (sensors; defaults 21 °C, 45 %RH, 600 ppm). */
  climate?: Partial<RoomClimate>;
}

export interface Kix300Options {
  /** Default: `defaultKixLayout()`. */
  devices?: KixDevice[];
  /** Setup code printed on the gateway. Default 468-51-927. */
  setupCode?: string;
  /** HAP identity (MAC-style). Default: random, locally administered. */
  username?: string;
  /** Port the gateway answers on (the relay). Default 0 = any free loopback port. */
  port?: number;
  /** Where HAP-NodeJS keeps the gateway's keys and pairings (process-wide, set once). */
  storagePath?: string;
  /** Keep the gateway's pairings when it stops (the demo: the plugin stays paired across runs). Default false: forgotten. */
  keepPairings?: boolean;
  /** Simulated seconds per real second. Default 1. */
  timeScale?: number;
  clock?: SimClock;
  /** Simulated ms for a full travel. Default 20 000. */
  fullTravelMs?: number;
  /** Simulated ms between position reports of a moving cover. Default 500. */
  tickMs?: number;
  /** Simulated ms between climate steps. Default 60 000. */
  climateStepMs?: number;
  /** People per room (drive CO2 and humidity up). */
  occupancy?: Record<string, number>;
  outdoorTemperature?: number;
  /** Publish an mDNS advertisement (HAP-NodeJS's ciao) on loopback. Default false. */
  advertise?: boolean;
  log?: (message: string) => void;
}

/** How the gateway treats writes: normally, refused with a HAP error, or never answered. */
export type WriteMode = 'normal' | 'refuse' | 'hang';
/** up: normal; down: connections refused and open ones cut; silent: connections accepted and kept, nothing answered. */
export type Reachability = 'up' | 'down' | 'silent';

export interface ReceivedWrite {
  serial: string;
  value: number;
  at: number;
}

export interface CoverState {
  position: number;
  target: number;
  motion: 'opening' | 'closing' | 'stopped';
}

interface CoverEntry {
  device: KixDevice;
  accessory: HapAccessory;
  current: HapCharacteristic;
  target: HapCharacteristic;
  positionState: HapCharacteristic;
  position: number;
  targetValue: number;
  stopMotor?: CancelTimer;
}

interface SensorEntry {
  device: KixDevice;
  accessory: HapAccessory;
  temperature: HapCharacteristic;
  humidity: HapCharacteristic;
  co2Detected: HapCharacteristic;
  co2Level: HapCharacteristic;
  climate: RoomClimate;
}

export const DEFAULT_KIX_SETUP_CODE = '468-51-927';

/** A small VELUX ACTIVE home: one sensor per room, roof windows, an internal and an external cover. */
export function defaultKixLayout(): KixDevice[] {
  return [
    { serial: 'a11b111', kind: 'sensor', room: 'Attic', climate: { co2: 650 } },
    { serial: '5611111a114a111a', kind: 'window', room: 'Attic' },
    { serial: '5611111a114a222b', kind: 'window', room: 'Attic' },
    { serial: 'a22c222', kind: 'sensor', room: 'Bedroom', climate: { co2: 700, humidity: 50 } },
    { serial: '5622222b225b333c', kind: 'window', room: 'Bedroom' },
    { serial: '5633333c336c444d', kind: 'internal_cover', room: 'Bedroom', position: 100 },
    { serial: '5644444d447d555e', kind: 'external_cover', room: 'Bedroom', position: 100, serviceName: 'Awning Blinds' },
  ];
}

const ACCESSORY_NAMES: Record<KixDeviceKind, string> = {
  window: 'VELUX Window',
  internal_cover: 'VELUX Internal Cover',
  external_cover: 'VELUX External Cover',
  sensor: 'VELUX Sensor',
};
const FIRMWARE: Record<KixDeviceKind, string> = { window: '48', internal_cover: '15', external_cover: '15', sensor: '16' };
const CO2_DETECTED_PPM = 2000;

let storageDir: string | undefined;

export class Kix300Emulator extends EventEmitter<{ write: [write: ReceivedWrite]; log: [message: string] }> {
  readonly setupCode: string;
  readonly username: string;
  readonly writes: ReceivedWrite[] = [];
  writeMode: WriteMode = 'normal';
  private readonly bridge: InstanceType<typeof Bridge>;
  private readonly covers = new Map<string, CoverEntry>();
  private readonly sensors = new Map<string, SensorEntry>();
  private readonly clock: SimClock;
  private readonly fullTravelMs: number;
  private readonly tickMs: number;
  private readonly occupancy: Record<string, number>;
  private relay?: Server;
  private relayPort = 0;
  private hapPort = 0;
  private readonly sockets = new Set<Socket>();
  private reachability: Reachability = 'up';
  private stopClimate?: CancelTimer;
  private started = false;

  constructor(private readonly options: Kix300Options = {}) {
    super();
    this.setupCode = options.setupCode ?? DEFAULT_KIX_SETUP_CODE;
    this.username = options.username ?? randomMac();
    this.clock = options.clock ?? new ScaledClock(options.timeScale ?? 1);
    this.fullTravelMs = options.fullTravelMs ?? FULL_TRAVEL_MS;
    this.tickMs = options.tickMs ?? 500;
    this.occupancy = { ...(options.occupancy ?? {}) };
    useStorage(options.storagePath);

    this.bridge = new Bridge('VELUX Gateway', uuid.generate(`velux-kix300-emulator:${this.username}`));
    this.bridge
      .getService(Service.AccessoryInformation)!
      .setCharacteristic(Characteristic.Manufacturer, 'VELUX')
      .setCharacteristic(Characteristic.Model, 'VELUX Gateway')
      .setCharacteristic(Characteristic.SerialNumber, this.username.replace(/:/g, '').slice(0, 7).toLowerCase())
      .setCharacteristic(Characteristic.FirmwareRevision, '70');
    // Recorded order: the sensors come first (aid 2), then the windows and covers.
    const devices = options.devices ?? defaultKixLayout();
    const ordered = [...devices.filter((d) => d.kind === 'sensor'), ...devices.filter((d) => d.kind !== 'sensor')];
    for (const device of ordered) this.addDevice(device);
  }

  /** The HAP server's own port, which mDNS advertises (behind the relay). */
  get advertisedPort(): number {
    return this.hapPort;
  }

  /** The port controllers connect to (the relay in front of the HAP server). */
  get port(): number {
    return this.relayPort;
  }

  async start(): Promise<void> {
    const listening = new Promise<number>((resolve) => this.bridge.once(hap.AccessoryEventTypes.LISTENING, (port: number) => resolve(port)));
    // HAP-NodeJS would listen on every interface (bind only limits what it advertises): keep the
    // emulated gateway, whose setup code is printed, on loopback while its server starts.
    const restoreListen = listenOnLoopbackOnly();
    try {
      await this.bridge.publish(
        {
          username: this.username,
          pincode: this.setupCode as `${number}-${number}-${number}`,
          category: Categories.BRIDGE,
          port: 0,
          bind: ['127.0.0.1'],
          addIdentifyingMaterial: false,
          advertiser: this.options.advertise ? hap.MDNSAdvertiser.CIAO : undefined,
        },
        false,
      );
      this.hapPort = await listening;
    } finally {
      restoreListen();
    }
    await this.listenRelay(this.options.port ?? 0);
    this.started = true;
    const stepMs = this.options.climateStepMs ?? 60_000;
    this.stopClimate = this.clock.every(stepMs, () => this.stepClimate(stepMs));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopClimate?.();
    for (const c of this.covers.values()) c.stopMotor?.();
    this.cutConnections();
    await new Promise<void>((resolve) => (this.relay ? this.relay.close(() => resolve()) : resolve()));
    this.relay = undefined;
    if (this.options.keepPairings) await this.bridge.unpublish();
    else await this.bridge.destroy();
  }

  /** Makes the gateway vanish (`down`), hang (`silent`) or come back (`up`) on the same port. */
  async setReachability(mode: Reachability): Promise<void> {
    if (mode === this.reachability) return;
    const previous = this.reachability;
    this.reachability = mode;
    this.say(`reachability ${mode}`);
    if (mode === 'down') {
      this.cutConnections();
      await new Promise<void>((resolve) => (this.relay ? this.relay.close(() => resolve()) : resolve()));
      this.relay = undefined;
    } else if (mode === 'silent') {
      for (const s of this.sockets) {
        s.unpipe();
        s.pause();
      }
    } else {
      if (previous === 'down') await this.listenRelay(this.relayPort);
      // A silent spell ends with the connections reset, as a gateway that rebooted would.
      this.cutConnections();
    }
  }

  /** Number of controllers paired with the gateway. */
  pairedControllers(): number {
    const info = (this.bridge as unknown as { _accessoryInfo?: { pairedClients: Record<string, unknown> } })._accessoryInfo;
    return info ? Object.keys(info.pairedClients).length : 0;
  }

  isPaired(): boolean {
    return this.pairedControllers() > 0;
  }

  /** Cover state by serial. */
  cover(serial: string): CoverState | undefined {
    const c = this.covers.get(serial);
    if (!c) return undefined;
    return { position: Math.round(c.position), target: c.targetValue, motion: motionToward(c.position, c.targetValue) };
  }

  /** Climate of a sensor by serial. */
  sensor(serial: string): RoomClimate | undefined {
    const s = this.sensors.get(serial);
    return s ? { ...s.climate } : undefined;
  }

  /** Moves a cover from the gateway's side (the VELUX app, a keypad, the window's rain sensor). */
  move(serial: string, target: number): void {
    const c = this.covers.get(serial);
    if (!c) throw new Error(`no cover ${serial}`);
    this.startMotor(c, target);
  }

  /** Sets a sensor's readings (the emulated room then carries on from there). */
  setClimate(serial: string, climate: Partial<RoomClimate>): void {
    const s = this.sensors.get(serial);
    if (!s) throw new Error(`no sensor ${serial}`);
    s.climate = { ...s.climate, ...climate };
    this.publishClimate(s);
  }

  setOccupancy(room: string, people: number): void {
    this.occupancy[room] = people;
  }

  private addDevice(device: KixDevice): void {
    const name = ACCESSORY_NAMES[device.kind];
    const accessory = new Accessory(name, uuid.generate(`velux-kix300-emulator:${this.username}:${device.serial}`));
    accessory
      .getService(Service.AccessoryInformation)!
      .setCharacteristic(Characteristic.Manufacturer, device.kind === 'window' || device.kind === 'sensor' ? 'VELUX' : 'Netatmo')
      .setCharacteristic(Characteristic.Model, name)
      .setCharacteristic(Characteristic.SerialNumber, device.serial)
      .setCharacteristic(Characteristic.FirmwareRevision, FIRMWARE[device.kind]);
    if (device.kind === 'sensor') this.addSensor(device, accessory);
    else this.addCover(device, accessory);
    this.bridge.addBridgedAccessory(accessory);
  }

  private addSensor(device: KixDevice, accessory: HapAccessory): void {
    const temperatureService = accessory.addService(Service.TemperatureSensor, 'Temperature sensor');
    const temperature = temperatureService.getCharacteristic(Characteristic.CurrentTemperature).setProps({ minValue: 0, maxValue: 50, minStep: 0.1 });
    const humidityService = accessory.addService(Service.HumiditySensor, 'Humidity sensor');
    const humidity = humidityService.getCharacteristic(Characteristic.CurrentRelativeHumidity).setProps({ minValue: 0, maxValue: 100, minStep: 1 });
    const co2Service = accessory.addService(Service.CarbonDioxideSensor, 'Carbon Dioxide sensor');
    const co2Detected = co2Service.getCharacteristic(Characteristic.CarbonDioxideDetected);
    const co2Level = co2Service.addCharacteristic(Characteristic.CarbonDioxideLevel).setProps({ minValue: 0, maxValue: 5000 });
    temperatureService.setPrimaryService(true);
    const entry: SensorEntry = {
      device,
      accessory,
      temperature,
      humidity,
      co2Detected,
      co2Level,
      climate: { temperature: 21, humidity: 45, co2: 600, ...device.climate },
    };
    this.sensors.set(device.serial, entry);
    this.publishClimate(entry);
  }

  private addCover(device: KixDevice, accessory: HapAccessory): void {
    const service =
      device.kind === 'window'
        ? accessory.addService(Service.Window, 'Roof Window')
        : accessory.addService(Service.WindowCovering, device.serviceName ?? (device.kind === 'internal_cover' ? 'Interior Blinds' : 'Awning Blinds'));
    service.setPrimaryService(true);
    const position = clampPercent(device.position ?? 0);
    const current = service.getCharacteristic(Characteristic.CurrentPosition);
    const target = service.getCharacteristic(Characteristic.TargetPosition);
    const positionState = service.getCharacteristic(Characteristic.PositionState);
    const entry: CoverEntry = { device, accessory, current, target, positionState, position, targetValue: position };
    current.updateValue(position);
    target.updateValue(position);
    positionState.updateValue(Characteristic.PositionState.STOPPED);
    target.onSet((value) => this.onTargetWrite(entry, Number(value)));
    this.covers.set(device.serial, entry);
  }

  private async onTargetWrite(entry: CoverEntry, value: number): Promise<void> {
    const write = { serial: entry.device.serial, value, at: performance.now() };
    this.writes.push(write);
    this.emit('write', write);
    if (this.writeMode === 'refuse') throw new HapStatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    if (this.writeMode === 'hang') return new Promise<void>(() => undefined);
    this.startMotor(entry, value);
  }

  private startMotor(entry: CoverEntry, target: number): void {
    entry.stopMotor?.();
    entry.stopMotor = undefined;
    entry.targetValue = clampPercent(target);
    entry.target.updateValue(entry.targetValue);
    const motion = motionToward(entry.position, entry.targetValue);
    if (motion === 'stopped') {
      entry.positionState.updateValue(Characteristic.PositionState.STOPPED);
      return;
    }
    entry.positionState.updateValue(motion === 'opening' ? Characteristic.PositionState.INCREASING : Characteristic.PositionState.DECREASING);
    let last = this.clock.now();
    entry.stopMotor = this.clock.every(this.tickMs, () => {
      const now = this.clock.now();
      entry.position = travel(entry.position, entry.targetValue, now - last, this.fullTravelMs);
      last = now;
      entry.current.updateValue(Math.round(entry.position));
      if (entry.position === entry.targetValue) {
        entry.stopMotor?.();
        entry.stopMotor = undefined;
        entry.positionState.updateValue(Characteristic.PositionState.STOPPED);
      }
    });
  }

  private stepClimate(elapsedMs: number): void {
    for (const s of this.sensors.values()) {
      const room = s.device.room;
      const windows = [...this.covers.values()].filter((c) => c.device.kind === 'window' && c.device.room !== undefined && c.device.room === room);
      s.climate = stepRoomClimate(
        s.climate,
        {
          occupancy: room ? (this.occupancy[room] ?? 0) : 0,
          windowOpening: windows.reduce((sum, w) => sum + w.position / 100, 0),
          shade: 1,
          outdoorTemperature: this.options.outdoorTemperature ?? 15,
          sunLux: 0,
        },
        elapsedMs,
      );
      this.publishClimate(s);
    }
  }

  private publishClimate(s: SensorEntry): void {
    s.temperature.updateValue(Math.round(Math.min(50, Math.max(0, s.climate.temperature)) * 10) / 10);
    s.humidity.updateValue(Math.round(Math.min(100, Math.max(0, s.climate.humidity))));
    const co2 = Math.round(Math.min(5000, Math.max(0, s.climate.co2)));
    s.co2Level.updateValue(co2);
    s.co2Detected.updateValue(co2 >= CO2_DETECTED_PPM ? 1 : 0);
  }

  private listenRelay(port: number): Promise<void> {
    const relay = createServer((client) => this.onClient(client));
    this.relay = relay;
    return new Promise((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        this.relayPort = (relay.address() as AddressInfo).port;
        relay.off('error', reject);
        resolve();
      });
    });
  }

  private onClient(client: Socket): void {
    client.setNoDelay(true);
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    if (this.reachability === 'silent') {
      client.pause();
      return;
    }
    const upstream = connect(this.hapPort, '127.0.0.1');
    upstream.setNoDelay(true);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private cutConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private say(message: string): void {
    this.options.log?.(`KIX 300 emulator: ${message}`);
    this.emit('log', message);
  }
}

function useStorage(path: string | undefined): void {
  // HAP-NodeJS keeps its storage location per process: the first emulator decides it.
  if (storageDir) return;
  storageDir = path ?? `${process.env.TMPDIR ?? '/tmp'}/velux-kix300-emulator-${process.pid}`;
  mkdirSync(storageDir, { recursive: true });
  HAPStorage.setCustomStoragePath(storageDir);
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

function randomMac(): string {
  return [0x0e, ...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
