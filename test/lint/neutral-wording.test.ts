/**
 * Issue 12: the layers above the gateway contract speak no transport's language. A word such as
 * "MQTT" or "base topic" in them (code or comment) is a sign that a transport's idea leaked upwards.
 * Transports live in src/gateway/<type>/ and the simulators in src/simulator/; those may say it.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT as ROOT, repoFiles as files } from '../helpers/repo-files.js';

const NEUTRAL = ['src/home', 'src/homekit', 'src/google', 'src/climate', 'src/matter', 'src/platform.ts'];
const TRANSPORT_WORDS = /\bmqtt\b|base[ -]?topic/gi;

export function transportWords(text: string): string[] {
  return text.match(TRANSPORT_WORDS) ?? [];
}

describe('the transport-neutral layers', () => {
  it('the check recognises transport wording', () => {
    expect(transportWords('// the MQTT base topic of the gateway')).toEqual(['MQTT', 'base topic']);
    expect(transportWords("const t = 'mqtt';")).toEqual(['mqtt']);
    expect(transportWords('const baseTopic = x;')).toEqual(['baseTopic']);
    expect(transportWords('the gateway key, whatever the transport')).toEqual([]);
  });

  it('no file in src/home, homekit, google, climate, matter or platform.ts names MQTT or a base topic', () => {
    const hits = NEUTRAL.flatMap((p) => files(join(ROOT, p)))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) => (transportWords(line).length > 0 ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(hits).toEqual([]);
  });
});
