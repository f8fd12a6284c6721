import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCoverType } from '../../src/gateway/types.js';
import { defaultLayout, DEVICE_ID_PATTERN, generateLayout, validateLayout } from '../../src/simulator/layout.js';

describe('default layout', () => {
  const layout = defaultLayout();
  const byId = new Map(layout.devices.map((device) => [device.id, device]));

  it('has the rooms and devices the demo and the end-to-end tests rely on', () => {
    expect(() => validateLayout(layout)).not.toThrow();
    const rooms = new Set(layout.devices.map((device) => device.room));
    for (const room of ['Living room', 'Bedroom', 'Bathroom', 'Kitchen']) expect(rooms).toContain(room);
    expect(byId.get('living-window-1')?.features.rainSensor).toBe(true);
    expect(byId.get('living-window-2')?.type).toBe('window');
    expect(byId.get('living-blind')?.type).toBe('blind');
    expect(byId.get('bedroom-window')?.features.rainSensor).toBe(true);
    expect(byId.get('bedroom-shutter')?.type).toBe('shutter');
    expect(byId.get('bathroom-window')?.features.rainSensor).toBe(false);
    expect(byId.get('kitchen-window')?.features.rainSensor).toBe(true);
    expect(byId.get('kitchen-awning')?.type).toBe('awning');
    expect(byId.get('departure-switch')?.type).toBe('departure_switch');
    for (const room of ['Living room', 'Bedroom', 'Bathroom', 'Kitchen']) {
      const sensors = layout.devices.filter((device) => device.room === room && device.type === 'sensor');
      expect(sensors).toHaveLength(1);
      expect(sensors[0]?.features.measures).toEqual(expect.arrayContaining(['temperature', 'humidity', 'co2']));
      expect(sensors[0]?.features.battery).toBe(true);
    }
    expect(layout.devices.some((device) => device.features.measures?.includes('lux'))).toBe(true);
    for (const device of layout.devices) {
      expect(device.model).toEqual(expect.any(String));
      expect(device.serial).toEqual(expect.any(String));
    }
  });

  it('returns a fresh copy each time', () => {
    const first = defaultLayout();
    first.devices.pop();
    expect(defaultLayout().devices).toHaveLength(layout.devices.length);
  });

  it('refuses broken layouts', () => {
    const device = layout.devices[0]!;
    expect(() => validateLayout({ devices: [device, device] })).toThrow(/duplicate/);
    expect(() => validateLayout({ devices: [{ ...device, id: 'bridge' }] })).toThrow(/invalid device id/);
    expect(() => validateLayout({ devices: [{ ...device, id: 'a/b' }] })).toThrow(/invalid device id/);
  });
});

describe('generateLayout', () => {
  it('produces exactly N valid devices in rooms of about five with one sensor each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000 }), (count) => {
        const { devices } = generateLayout(count);
        expect(devices).toHaveLength(count);
        expect(() => validateLayout({ devices })).not.toThrow();
        const rooms = new Map<string, typeof devices>();
        for (const device of devices) {
          expect(device.id).toMatch(DEVICE_ID_PATTERN);
          const list = rooms.get(device.room ?? '') ?? [];
          list.push(device);
          rooms.set(device.room ?? '', list);
        }
        for (const [room, members] of rooms) {
          if (room === 'Hallway') continue;
          expect(members.length).toBeLessThanOrEqual(5);
          expect(members.filter((device) => device.type === 'sensor')).toHaveLength(1);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('mixes windows and covers and is stable for the same count', () => {
    const { devices } = generateLayout(1_000);
    expect(devices.filter((device) => device.type === 'window').length).toBeGreaterThan(300);
    expect(devices.filter((device) => isCoverType(device.type) && device.type !== 'window').length).toBeGreaterThan(300);
    expect(generateLayout(1_000)).toEqual({ devices });
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => generateLayout(0)).toThrow(RangeError);
    expect(() => generateLayout(2.5)).toThrow(RangeError);
  });
});
