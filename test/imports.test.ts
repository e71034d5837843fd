// Which folder may import which, read from the relative imports of every TypeScript file git
// tracks: the layout the README describes, kept by a test instead of by hope.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/stack';

interface Import {
  readonly from: string;
  /** The imported module, relative to the repository root, without extension. */
  readonly to: string;
}

const FILES = execFileSync('git', ['ls-files', '*.ts', '*.mts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '');

const IMPORTS: readonly Import[] = FILES.flatMap((from) => {
  const source = readFileSync(path.join(ROOT, from), 'utf8');
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)]
    .map((match) => ({ from, to: path.normalize(path.join(path.dirname(from), match[1])) }));
});

const inside = (folder: string) => (file: string) => file === folder || file.startsWith(`${folder}/`);

function violations(importers: (file: string) => boolean, forbidden: (module: string) => boolean): string[] {
  return IMPORTS.filter(({ from, to }) => importers(from) && forbidden(to)).map(({ from, to }) => `${from} -> ${to}`);
}

describe('imports between the folders', () => {
  it('are read from every file (there are enough to mean something)', () => {
    expect(IMPORTS.length).toBeGreaterThan(200);
  });

  it('nothing outside test/ imports from test/', () => {
    expect(violations((file) => !inside('test')(file), inside('test'))).toEqual([]);
  });

  it('the app imports nothing outside app/src', () => {
    expect(violations(inside('app/src'), (module) => !inside('app/src')(module))).toEqual([]);
  });

  it("the StatsD client does not import the config (the config builds the client's options)", () => {
    expect(violations(inside('app/src/statsd'), inside('app/src/config'))).toEqual([]);
  });

  it('the harness imports only itself: tests, bench, conformance and tools build on it', () => {
    expect(violations(inside('harness'), (module) => !inside('harness')(module))).toEqual([]);
  });

  it('tools/ and conformance/ import no tests and no bench', () => {
    const importers = (file: string) => inside('tools')(file) || inside('conformance')(file);
    expect(violations(importers, (module) => inside('test')(module) || inside('bench')(module))).toEqual([]);
  });
});
