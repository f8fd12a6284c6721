/**
 * The rooms of the simulated home (home.ts): each room's climate and occupancy, advanced in
 * fixed steps of simulated time (with a bounded catch-up after a stall), driven by the room's
 * openings (how far its windows are open, how much its covers shade) and the outdoor weather.
 * One step's physics is climate.ts; this module keeps the rooms and does the stepping.
 */
import type { DeviceDescriptor } from '../gateway/types.js';
import { isCoverType } from '../gateway/types.js';
import { afterShower, BASE_HUMIDITY, BUILDING_TEMPERATURE, shadeFromCovers, stepRoomClimate, type RoomClimate } from './climate.js';
import type { SimWeather } from './home-types.js';
import { roomKey } from './readings.js';

export const CLIMATE_STEP_MS = 10_000;
/** After a long stall (laptop asleep) drop the backlog instead of replaying hours at once. */
const MAX_CLIMATE_CATCH_UP = 360;
const DEFAULT_CLIMATE: RoomClimate = { temperature: BUILDING_TEMPERATURE, humidity: BASE_HUMIDITY, co2: 600 };

export interface SimRoom {
  climate: RoomClimate;
  occupancy: number;
}

/** What a room's devices let through: the sum of its windows' openings (0..1 each) and the covers' shade. */
export interface RoomOpenings {
  windowOpening: number;
  shade: number;
}

/** The openings of one room, from the position (percent open) of every device in the home. */
export function roomOpenings(devices: Iterable<{ descriptor: DeviceDescriptor; position: number }>, roomName: string): RoomOpenings {
  let windowOpening = 0;
  const covers: number[] = [];
  for (const device of devices) {
    if (roomKey(device.descriptor) !== roomName) continue;
    if (device.descriptor.type === 'window') windowOpening += device.position / 100;
    else if (isCoverType(device.descriptor.type)) covers.push(device.position);
  }
  return { windowOpening, shade: shadeFromCovers(covers) };
}

export class SimRooms {
  private readonly map = new Map<string, SimRoom>();
  /** Simulated time up to which the climate has been stepped. */
  private steppedAt = 0;

  constructor(private readonly openings: (roomName: string) => RoomOpenings) {}

  /** Adds a room with the default climate, unless it exists. */
  ensure(name: string, occupancy = 0): void {
    if (!this.map.has(name)) this.map.set(name, { climate: { ...DEFAULT_CLIMATE }, occupancy });
  }

  get(name: string): SimRoom {
    const room = this.map.get(name);
    if (!room) throw new Error(`no room "${name}" in the simulated home`);
    return room;
  }

  setOccupancy(name: string, people: number): void {
    if (!Number.isInteger(people) || people < 0) throw new RangeError('people must be a non-negative integer');
    this.get(name).occupancy = people;
  }

  /** Someone showers: the room's humidity jumps. */
  shower(name: string): void {
    const room = this.get(name);
    room.climate = afterShower(room.climate);
  }

  /** The climate is stepped from `now` on. */
  startAt(now: number): void {
    this.steppedAt = now;
  }

  /** Steps every room up to `now` in whole steps; true when at least one step ran. */
  advance(now: number, weather: SimWeather): boolean {
    let steps = 0;
    while (now - this.steppedAt >= CLIMATE_STEP_MS && steps < MAX_CLIMATE_CATCH_UP) {
      this.step(CLIMATE_STEP_MS, weather);
      this.steppedAt += CLIMATE_STEP_MS;
      steps++;
    }
    if (steps === MAX_CLIMATE_CATCH_UP) this.steppedAt = now;
    return steps > 0;
  }

  private step(elapsedMs: number, weather: SimWeather): void {
    for (const [name, room] of this.map) {
      const { windowOpening, shade } = this.openings(name);
      const inputs = { occupancy: room.occupancy, windowOpening, shade, outdoorTemperature: weather.temperature, sunLux: weather.sunLux };
      room.climate = stepRoomClimate(room.climate, inputs, elapsedMs);
    }
  }
}
