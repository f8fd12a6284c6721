import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonFile, writeFileAtomic } from '../../src/storage/json-file.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { recordingLogger } from '../helpers/log.js';
import { pluginStorageDir } from '../../src/storage/paths.js';

const isCounter = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { n?: unknown }).n === 'number' ? (v as { n: number }) : undefined);

describe('storage', () => {
  it('writes atomically and leaves no temporary files behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-store-'));
    const path = join(dir, 'sub', 'file.json');
    writeFileAtomic(path, '{"n":1}');
    writeFileAtomic(path, '{"n":2}');
    expect(readFileSync(path, 'utf8')).toBe('{"n":2}');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['file.json']);
  });

  it('removes temporaries left by a killed writer when the file is opened again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-store-'));
    const path = join(dir, 'c.json');
    writeFileAtomic(path, '{"n":3}');
    writeFileSync(join(dir, '.c.json.999999.1700000000000.tmp'), '{"n":');
    writeFileSync(join(dir, '.other.json.999999.1.tmp'), 'x'); // another file's: not ours to touch
    expect(new JsonFile(path, isCounter, () => ({ n: 0 })).value).toEqual({ n: 3 });
    expect(readdirSync(dir).sort()).toEqual(['.other.json.999999.1.tmp', 'c.json']);
  });

  it('keeps the temporary of another writer still at work on the same file (its rename must not fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-store-'));
    const path = join(dir, 'c.json');
    writeFileAtomic(path, '{"n":3}');
    const live = `.c.json.${process.ppid}.${Date.now()}.0a1b2c3d.tmp`; // our parent runs
    const stale = `.c.json.${process.ppid}.1700000000000.0a1b2c3d.tmp`; // same pid, but from 2023
    writeFileSync(join(dir, live), '{"n":4}');
    writeFileSync(join(dir, stale), '{"n":');
    expect(new JsonFile(path, isCounter, () => ({ n: 0 })).value).toEqual({ n: 3 });
    expect(readdirSync(dir).sort()).toEqual([live, 'c.json']);
  });

  it('keeps a value across instances and saves on update', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-store-'));
    const path = join(dir, 'c.json');
    const a = new JsonFile(path, isCounter, () => ({ n: 0 }));
    expect(a.value).toEqual({ n: 0 });
    a.update((v) => ({ n: v.n + 5 }));
    expect(new JsonFile(path, isCounter, () => ({ n: 0 })).value).toEqual({ n: 5 });
  });

  it.each([
    ['unparseable', '{"n":'],
    ['the wrong shape', '{"m":1}'],
  ])('moves an %s file aside with a log line and starts from defaults', (_what, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-store-'));
    const path = join(dir, 'c.json');
    writeFileSync(path, content);
    const log = recordingLogger();
    const file = new JsonFile(path, isCounter, () => ({ n: 0 }), log);
    expect(file.value).toEqual({ n: 0 });
    expect(existsSync(path)).toBe(false);
    const aside = readdirSync(dir).find((f) => f.startsWith('c.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(dir, aside!), 'utf8')).toBe(content);
    expect(log.text('error')).toHaveLength(1);
    expect(log.text('error')[0]).toContain('moved it to');
  });

  it("persists the home state in the block's folder velux-climate/<block id>/ of the storage directory", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-home-'));
    const file = openHomeStateFile(pluginStorageDir(dir, 'upstairs'), recordingLogger());
    expect(file.value).toEqual({ virtualAway: false, roomClimateEnabled: {} });
    file.update(() => ({ virtualAway: true, roomClimateEnabled: { Kitchen: false } }));
    expect(JSON.parse(readFileSync(join(dir, 'velux-climate', 'upstairs', 'home-state.json'), 'utf8'))).toEqual({
      virtualAway: true,
      roomClimateEnabled: { Kitchen: false },
    });
    expect(openHomeStateFile(pluginStorageDir(dir, 'upstairs'), recordingLogger()).value.virtualAway).toBe(true);
  });

  it('keeps the gateway identity records (ids and key prefixes) across a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-home-'));
    const state = {
      virtualAway: false,
      roomClimateEnabled: {},
      gatewayIds: { 'new/topic': 'gw-1' },
      keyPrefixes: { 'new/topic': 'old/topic' },
    };
    openHomeStateFile(dir, recordingLogger()).update(() => state);
    expect(openHomeStateFile(dir, recordingLogger()).value).toEqual(state);
  });
});
