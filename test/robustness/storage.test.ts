/**
 * Storage under crashes: a writer process is SIGKILLed at random moments while it saves a
 * large document in a loop; after every kill the file must parse and be exactly one of the
 * versions written (never half of one), readers must ignore the temporary files a kill
 * leaves behind, and a corrupt file found at start-up is moved aside with a log line while
 * the defaults are used.
 *
 * The writer runs the built module (dist/storage/json-file.js): `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonFile, readJsonFile } from '../../src/storage/json-file.js';
import { openHomeStateFile } from '../../src/home/persistence.js';
import { recordingLogger } from '../helpers/log.js';
import { fuzzRuns } from './support/process-errors.js';

/** STORAGE_KILLS=<n> for a longer run. */
const KILLS = Number(process.env.STORAGE_KILLS ?? 30);
const DIST_MODULE = fileURLToPath(new URL('../../dist/storage/json-file.js', import.meta.url));
const SRC_MODULE = fileURLToPath(new URL('../../src/storage/json-file.ts', import.meta.url));

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The document for version `v` (about 1.3 MB of JSON), as JavaScript source so the writer
 * process and the test build exactly the same thing.
 */
const MAKE_DOC_SOURCE = `
  const items = [];
  for (let i = 0; i < 12000; i++) items.push({ i, v, text: 'room ' + ((i * 7919 + v) % 1000) + ' window ' + i + ' at version ' + v, open: (i + v) % 3 === 0 });
  return { version: v, savedBy: 'writer', items };
`;
// The same source runs in the writer process.
const makeDoc = new Function('v', MAKE_DOC_SOURCE) as (v: number) => { version: number; items: unknown[] };

const WRITER = `
  const { writeFileAtomic, JsonFile } = await import(process.env.JSON_FILE_MODULE);
  const makeDoc = new Function('v', process.env.MAKE_DOC_SOURCE);
  const path = process.env.TARGET;
  const useJsonFile = process.env.MODE === 'json-file';
  const file = useJsonFile ? new JsonFile(path, (x) => x, () => makeDoc(-1)) : undefined;
  process.stdout.write('ready\\n');
  for (let v = Number(process.env.START); ; v++) {
    const doc = makeDoc(v);
    if (file) file.update(() => doc);
    else writeFileAtomic(path, JSON.stringify(doc));
  }
`;

type Mode = 'atomic' | 'json-file';

/** The exact bytes each mode writes for version v. */
function textFor(mode: Mode, v: number): string {
  return mode === 'json-file' ? `${JSON.stringify(makeDoc(v), null, 2)}\n` : JSON.stringify(makeDoc(v));
}

function startWriter(path: string, start: number, mode: Mode): { child: ChildProcess; ready: Promise<void>; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER], {
    env: { ...process.env, JSON_FILE_MODULE: pathToFileURL(DIST_MODULE).href, MAKE_DOC_SOURCE, TARGET: path, START: String(start), MODE: mode },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    void exited.then((how) => reject(new Error(`the writer exited (${String(how)}) before it was ready: ${stderr}`)));
  });
  return { child, ready, exited };
}

/** What a reader sees: the version in the file, checked byte for byte against what was written. */
function readVersion(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  let doc: { version?: unknown };
  try {
    doc = JSON.parse(text) as { version?: unknown };
  } catch (err) {
    throw new Error(`${path} does not parse (${text.length} bytes): ${(err as Error).message}`);
  }
  const v = doc.version;
  if (typeof v !== 'number') throw new Error(`${path} has no version`);
  if (text !== textFor('atomic', v) && text !== textFor('json-file', v)) throw new Error(`${path} parses as version ${v} but is not what was written for it`);
  return v;
}

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('atomic writes under SIGKILL', () => {
  it(`leaves a complete old or new file after each of ${KILLS} kills at random moments`, async () => {
    if (!existsSync(DIST_MODULE)) throw new Error(`${DIST_MODULE} is missing: run \`npm run build\` (npm test does it first)`);
    if (statSync(DIST_MODULE).mtimeMs < statSync(SRC_MODULE).mtimeMs) {
      throw new Error(`${DIST_MODULE} is older than ${SRC_MODULE}: run \`npm run build\` so the writer runs the current code`);
    }
    const dir = tempDir('vc-kill-');
    const path = join(dir, 'state.json');
    let last = -1;
    let reads = 0;
    let progressed = 0;
    let midWrite = 0;
    let missingAtStart = 0;
    const random = fc.sample(fc.integer({ min: 0, max: 120 }), { numRuns: KILLS, seed: Number(process.env.KILL_SEED ?? Date.now() % 100000) });

    for (let round = 0; round < KILLS; round++) {
      const mode: Mode = round % 2 === 0 ? 'atomic' : 'json-file';
      const writer = startWriter(path, last + 1, mode);
      await writer.ready;
      let seen = last;
      // Two rounds in three wait for this writer's first finished write before the random delay
      // starts (on a loaded machine a writer can be killed before it ever wrote); the third kills
      // at a random moment after start, which may be before any write.
      if (round % 3 !== 0) {
        for (const until = Date.now() + 20_000; (readVersion(path) ?? -1) <= last && Date.now() < until; ) {
          reads++;
          await new Promise((r) => setTimeout(r, 3));
        }
      }
      // Read while it writes: every read sees a whole version, never going back.
      const deadline = Date.now() + random[round]!;
      do {
        const v = readVersion(path);
        reads++;
        if (v !== undefined) {
          expect(v).toBeGreaterThanOrEqual(seen);
          seen = v;
        }
        await new Promise((r) => setTimeout(r, 3));
      } while (Date.now() < deadline);
      writer.child.kill('SIGKILL');
      expect(await writer.exited).toBe('SIGKILL');

      const v = readVersion(path);
      if (v === undefined) {
        // killed before its first write ever finished: no file, so readers use the defaults
        expect(last).toBe(-1);
        missingAtStart++;
        continue;
      }
      expect(v).toBeGreaterThanOrEqual(last);
      if (v > last) progressed++;
      last = v;
      // A kill between write and rename leaves a temporary file: count them before the
      // plugin's own reader (which removes them) looks.
      midWrite += leftovers(dir).length;
      // The plugin's own reader agrees, and nothing is moved aside.
      const log = recordingLogger();
      const reader = readJsonFile(path, (x) => x as { version: number }, () => ({ version: -1 }), log);
      expect(reader.value.version).toBe(v);
      expect(reader.movedAside).toBeUndefined();
      expect(log.lines).toEqual([]);
    }

    console.log(
      `[storage] ${KILLS} kills: ${progressed} left a newer version, ${KILLS - progressed - missingAtStart} the previous one, ` +
        `${missingAtStart} before the first write; ${midWrite} temporary files left behind (removed by the next reader); ${reads} reads while writing; last version ${last}`,
    );
    expect(progressed).toBeGreaterThan(KILLS / 3);
    // Some kills must have landed mid-write, or this test proved nothing.
    expect(midWrite).toBeGreaterThan(0);
    expect(leftovers(dir)).toEqual([]);
    // The document is still exactly the last version.
    expect(readVersion(path)).toBe(last);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  }, Math.max(120_000, KILLS * 2000));
});

describe('corrupt files at start-up', () => {
  const CORRUPT: Array<[string, string | Buffer]> = [
    ['truncated JSON (a crash without atomic writes)', textFor('atomic', 3).slice(0, 5000)],
    ['an empty file', ''],
    ['zeros (a power cut on some file systems)', Buffer.alloc(4096)],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x80, 0x81])],
    ['JSON null', 'null'],
    ['a JSON array', '[1,2,3]'],
  ];

  it.each(CORRUPT)('JsonFile: %s is moved aside with one log line and the defaults are used', (_what, content) => {
    const dir = tempDir('vc-corrupt-');
    const path = join(dir, 'doc.json');
    writeFileSync(path, content);
    const log = recordingLogger();
    const isDoc = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { version?: unknown }).version === 'number' ? (v as { version: number }) : undefined);
    const file = new JsonFile(path, isDoc, () => ({ version: 0 }), log);
    expect(file.value).toEqual({ version: 0 });
    const aside = readdirSync(dir).filter((f) => f.startsWith('doc.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!))).toEqual(Buffer.from(content));
    expect(log.text('error')).toHaveLength(1);
    expect(log.text('error')[0]).toContain(path);
    expect(log.text('error')[0]).toContain(aside[0]);
    // The next save writes a good file that the next start reads without complaint.
    file.update(() => ({ version: 7 }));
    const next = recordingLogger();
    expect(new JsonFile(path, isDoc, () => ({ version: 0 }), next).value).toEqual({ version: 7 });
    expect(next.lines).toEqual([]);
  });

  const HOME_CORRUPT: Array<[string, string | Buffer]> = [
    ...CORRUPT,
    ['virtualAway of the wrong type', '{"virtualAway":"yes","roomClimateEnabled":{}}'],
    ['rooms as an array', '{"virtualAway":true,"roomClimateEnabled":[]}'],
    ['a room switch that is not a boolean', '{"virtualAway":true,"roomClimateEnabled":{"Kitchen":1}}'],
    ['a missing field', '{"virtualAway":true}'],
  ];

  it.each(HOME_CORRUPT)('openHomeStateFile: %s is moved aside and the home starts from defaults', (_what, content) => {
    const storage = tempDir('vc-home-corrupt-');
    const dir = join(storage, 'velux-climate');
    mkdirSync(dir);
    writeFileSync(join(dir, 'home-state.json'), content);
    const log = recordingLogger();
    const file = openHomeStateFile(join(storage, 'velux-climate'), log);
    expect(file.value).toEqual({ virtualAway: false, roomClimateEnabled: {} });
    expect(readdirSync(dir).filter((f) => f.startsWith('home-state.json.corrupt-'))).toHaveLength(1);
    expect(log.text('error')).toEqual([expect.stringContaining('home-state.json')]);
    file.update(() => ({ virtualAway: true, roomClimateEnabled: { Kitchen: false } }));
    expect(openHomeStateFile(join(storage, 'velux-climate'), recordingLogger()).value).toEqual({ virtualAway: true, roomClimateEnabled: { Kitchen: false } });
  });

  it('openHomeStateFile: a directory where the file should be is moved aside too', () => {
    const storage = tempDir('vc-home-dir-');
    mkdirSync(join(storage, 'velux-climate', 'home-state.json'), { recursive: true });
    const log = recordingLogger();
    const file = openHomeStateFile(join(storage, 'velux-climate'), log);
    expect(file.value).toEqual({ virtualAway: false, roomClimateEnabled: {} });
    expect(log.text('error')).toHaveLength(1);
    file.update(() => ({ virtualAway: true, roomClimateEnabled: {} }));
    expect(openHomeStateFile(join(storage, 'velux-climate'), recordingLogger()).value.virtualAway).toBe(true);
  });

  it(`openHomeStateFile: any content either reads as written or is moved aside for the defaults (${fuzzRuns(200)} cases)`, () => {
    const storage = tempDir('vc-home-fuzz-');
    const dir = join(storage, 'velux-climate');
    mkdirSync(dir);
    const state = fc.record({ virtualAway: fc.boolean(), roomClimateEnabled: fc.dictionary(fc.string({ maxLength: 20 }), fc.boolean(), { maxKeys: 5 }) });
    const content = fc.oneof(
      state.map((s) => JSON.stringify(s)),
      fc.tuple(state, fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })).map(([s, extra]) => JSON.stringify({ ...extra, ...s })),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      state.chain((s) => fc.nat().map((n) => JSON.stringify(s).slice(0, n % JSON.stringify(s).length))),
    );
    /** The contract read back from the persistence module's doc comment, independently. */
    const valid = (text: string): { virtualAway: boolean; roomClimateEnabled: Record<string, boolean> } | undefined => {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        return undefined;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      const o = v as Record<string, unknown>;
      const rooms = o.roomClimateEnabled;
      if (typeof o.virtualAway !== 'boolean' || typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) return undefined;
      if (!Object.values(rooms).every((x) => typeof x === 'boolean')) return undefined;
      return { virtualAway: o.virtualAway, roomClimateEnabled: rooms as Record<string, boolean> };
    };
    fc.assert(
      fc.property(content, (written) => {
        for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true });
        writeFileSync(join(dir, 'home-state.json'), written);
        const log = recordingLogger();
        const file = openHomeStateFile(join(storage, 'velux-climate'), log);
        const expected = valid(Buffer.from(written).toString('utf8'));
        if (expected) {
          expect(file.value).toEqual(expected);
          expect(log.lines).toEqual([]);
          expect(existsSync(join(dir, 'home-state.json'))).toBe(true);
        } else {
          expect(file.value).toEqual({ virtualAway: false, roomClimateEnabled: {} });
          expect(log.text('error')).toHaveLength(1);
          expect(existsSync(join(dir, 'home-state.json'))).toBe(false);
          expect(readdirSync(dir).filter((f) => f.startsWith('home-state.json.corrupt-'))).toHaveLength(1);
        }
      }),
      { numRuns: fuzzRuns(200) },
    );
  }, Math.max(30_000, fuzzRuns(200) * 20));

  it('readers ignore and remove temporary files left by a killed writer', () => {
    const storage = tempDir('vc-leftover-');
    const dir = join(storage, 'velux-climate');
    mkdirSync(dir);
    writeFileSync(join(dir, 'home-state.json'), '{"virtualAway":true,"roomClimateEnabled":{"Attic":false}}');
    const leftover = join(dir, '.home-state.json.4242.1700000000000.tmp');
    writeFileSync(leftover, '{"virtualAway":false,"roomClim');
    const log = recordingLogger();
    const file = openHomeStateFile(join(storage, 'velux-climate'), log);
    expect(file.value).toEqual({ virtualAway: true, roomClimateEnabled: { Attic: false } });
    expect(log.lines).toEqual([]);
    file.update((s) => ({ ...s, virtualAway: false }));
    expect(openHomeStateFile(join(storage, 'velux-climate'), recordingLogger()).value).toEqual({ virtualAway: false, roomClimateEnabled: { Attic: false } });
    // ...and the leftover is cleaned up instead of piling up across crashes.
    expect(existsSync(leftover)).toBe(false);
  });
});
