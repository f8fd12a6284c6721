/**
 * A fresh clone has nothing beside it: no test, benchmark, script or source may read a path
 * outside the repository (such as a `shared` folder beside it, where a development workspace once
 * kept Google's schemas). .ci/run also runs the Google tests from a bare clone in a temporary folder.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT as ROOT, repoFiles } from '../helpers/repo-files.js';

const SCANNED = ['src', 'test', 'bench', '.ci', 'package.json', 'vitest.config.ts', 'eslint.config.js', 'tsconfig.json', 'tsconfig.build.json'];
const SKIPPED = new Set(['node_modules', 'results', 'fixtures']);
/** The folder beside the repository, spelled in parts so this guard does not name it itself. */
const BESIDE = ['..', 'shared'].join('/');
const WORKSPACE = ['', 'work', 'shared'].join('/');
/** The environment variable that once pointed the schema tests outside the repository (in parts, as above). */
const SCHEMA_DIR_VARIABLE = ['GOOGLE', 'SMART', 'HOME', 'SCHEMA', 'DIR'].join('_');
const OUTSIDE = [/\.\.\/(?:\.\.\/)*shared\b/, /\/work\/shared\b/, /\/work\/(?:wt|main)\b/, new RegExp(SCHEMA_DIR_VARIABLE)];

const files = (path: string): string[] => repoFiles(path, SKIPPED);

export function outsideReferences(text: string): string[] {
  return OUTSIDE.flatMap((re) => text.match(new RegExp(re.source, 'g')) ?? []);
}

describe('the repository is self-contained', () => {
  it('the guard recognises a path outside the repository', () => {
    expect(outsideReferences(`new URL('../../../${BESIDE}/google-smart-home-schema', import.meta.url)`)).toEqual([`../../../${BESIDE}`]);
    expect(outsideReferences(`readFileSync('${WORKSPACE}/design/x.md')`)).toEqual([WORKSPACE]);
    expect(outsideReferences("readFileSync(join(ROOT, 'test/fixtures/x.json'))")).toEqual([]);
  });

  it('no source, test, benchmark or CI script refers to a path outside it', () => {
    const self = fileURLToPath(import.meta.url);
    const hits: string[] = [];
    const scanned = SCANNED.flatMap((p) => files(join(ROOT, p))).filter((f) => f !== self && /\.(?:[cm]?[jt]s|json|sh|md)$|\/run$/.test(f));
    expect(scanned.length).toBeGreaterThan(50);
    for (const file of scanned) {
      for (const hit of outsideReferences(readFileSync(file, 'utf8'))) hits.push(`${relative(ROOT, file)}: ${hit}`);
    }
    expect(hits).toEqual([]);
  });

  it('the vendored Google schemas carry their licence and origin', () => {
    const dir = join(ROOT, 'test/fixtures/google-smart-home-schema');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(dir, 'NOTICE'), 'utf8')).toContain('https://github.com/google-home/smart-home-schema');
  });
});
