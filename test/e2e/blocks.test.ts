/**
 * Two VeluxClimate platform blocks, each in its own child bridge of one real Homebridge (a child
 * process of the test), climate control on in both, each with its own simulated MQTT gateway:
 * each block writes its own folder (velux-climate/<id>/), neither overwrites the other's, and
 * both keep their climate memory and gateway ids across a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '../../src/simulator/index.js';
import { startAedes, uniqueBaseTopic, type TestBroker } from '../helpers/broker.js';
import { freePort, randomUsername, startHomebridge, type RunningHomebridge } from '../helpers/homebridge.js';

interface Files {
  home: { gatewayIds?: Record<string, string> };
  memory: { rooms: Record<string, { lastAirRecyclingAt?: number; airingSince?: number }> };
}

const BLOCKS = ['upstairs', 'barn'] as const;

describe('two platform blocks, each with its own storage folder', () => {
  let broker: TestBroker;
  const sims: SimulatedHome[] = [];
  const topics: Record<string, string> = {};
  let homebridge: RunningHomebridge | undefined;

  const folder = (id: string) => join(homebridge!.storagePath, 'velux-climate', id);
  const read = (id: string): Files | undefined => {
    try {
      return {
        home: JSON.parse(readFileSync(join(folder(id), 'home-state.json'), 'utf8')) as Files['home'],
        memory: JSON.parse(readFileSync(join(folder(id), 'climate-state.json'), 'utf8')) as Files['memory'],
      };
    } catch {
      return undefined;
    }
  };
  /** Both blocks' files, once each block has its gateway id and climate memory for every room. */
  const settled = async (timeoutMs = 20_000): Promise<Record<string, Files>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const files = Object.fromEntries(BLOCKS.map((id) => [id, read(id)]));
      if (BLOCKS.every((id) => files[id]?.home.gatewayIds && Object.keys(files[id]!.memory.rooms).length > 0)) return files as Record<string, Files>;
      if (Date.now() > deadline) throw new Error(`the blocks' files did not appear: ${JSON.stringify(files)}\n${homebridge?.log() ?? ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    broker = await startAedes();
    for (const id of BLOCKS) {
      topics[id] = uniqueBaseTopic(`blocks-${id}`);
      const sim = new SimulatedHome({ url: broker.url, baseTopic: topics[id] });
      await sim.start();
      sims.push(sim);
    }
    // Homebridge runs a platform several times only in child bridges: one process per block,
    // started side by side (they bind where the main bridge binds: 127.0.0.1).
    const platforms = [];
    for (const id of BLOCKS) {
      platforms.push({
        platform: 'VeluxClimate',
        name: `VELUX ${id}`,
        id,
        gateways: [{ name: id, url: broker.url, baseTopic: topics[id] }],
        climate: { enabled: true },
        _bridge: { username: randomUsername(), port: await freePort() },
      });
    }
    homebridge = await startHomebridge({ platforms });
  }, 60_000);

  afterAll(async () => {
    await homebridge?.dispose();
    for (const sim of sims) await sim.stop();
    await broker?.close();
  });

  it('keeps each block in its own folder, and both keep their memory and gateway ids across a restart', async () => {
    const before = await settled();
    // Each block's home state names its own gateway only: nobody overwrote anybody.
    for (const id of BLOCKS) {
      const keys = Object.keys(before[id]!.home.gatewayIds!);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toContain(topics[id]);
    }
    expect(existsSync(join(homebridge!.storagePath, 'velux-climate', 'home-state.json'))).toBe(false);

    homebridge = await homebridge!.restart();
    for (const id of BLOCKS) await homebridge.waitForOutput(new RegExp(`${id}: \\d+ devices in \\d+ rooms are ready`), 20_000);
    const after = await settled();
    for (const id of BLOCKS) {
      expect(after[id]!.home.gatewayIds).toEqual(before[id]!.home.gatewayIds);
      expect(Object.keys(after[id]!.memory.rooms).sort()).toEqual(Object.keys(before[id]!.memory.rooms).sort());
      // A memory started afresh would count air recycling from this start: the kept one counts from the first.
      for (const [room, memory] of Object.entries(before[id]!.memory.rooms)) {
        if (memory.airingSince === undefined && after[id]!.memory.rooms[room]?.airingSince === undefined) {
          expect(after[id]!.memory.rooms[room]?.lastAirRecyclingAt, `${id}/${room}`).toBe(memory.lastAirRecyclingAt);
        }
      }
    }
    expect(homebridge.log()).not.toMatch(/use the storage id|Could not read/);
  }, 90_000);
});
