// Which folder may import which, read from the imports of every TypeScript file git tracks: the
// layout the README describes, kept by a test instead of by hope.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/stack';

interface Import {
  readonly from: string;
  /** The imported module: as written ('node:cluster', '../config'); in IMPORTS, from the repository root without extension. */
  readonly to: string;
}

const FILES = execFileSync('git', ['ls-files', '*.ts', '*.mts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '');

/** Every import of every file, the module as written. */
const SPECIFIERS: readonly Import[] = FILES.flatMap((from) => {
  const source = readFileSync(path.join(ROOT, from), 'utf8');
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((match) => ({ from, to: match[1] }));
});

/** The relative imports: the repository's own modules, from its root. */
const IMPORTS: readonly Import[] = SPECIFIERS.filter(({ to }) => /^\.{1,2}\//.test(to))
  .map(({ from, to }) => ({ from, to: path.normalize(path.join(path.dirname(from), to)) }));

const inside = (folder: string) => (file: string) => file === folder || file.startsWith(`${folder}/`);

function violations(
  importers: (file: string) => boolean,
  forbidden: (module: string) => boolean,
  imports: readonly Import[] = IMPORTS,
): string[] {
  return imports.filter(({ from, to }) => importers(from) && forbidden(to)).map(({ from, to }) => `${from} -> ${to}`);
}

/** The app outside the process model and its entry point: the wings and the shared modules. */
const appOutsideArbiter = (file: string) => inside('app/src')(file) && !inside('app/src/arbiter')(file) && file !== 'app/src/main.ts';

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

  it('only the entry point loads the arbiter: the wings and shared modules never reach into the process model', () => {
    expect(IMPORTS).toContainEqual({ from: 'app/src/main.ts', to: 'app/src/arbiter/master' });
    expect(violations(appOutsideArbiter, inside('app/src/arbiter'))).toEqual([]);
  });

  it('node:cluster is the arbiter\'s: outside it, only the entry point asks which role its process has', () => {
    expect(SPECIFIERS).toContainEqual({ from: 'app/src/arbiter/master.ts', to: 'node:cluster' });
    expect(violations(appOutsideArbiter, (module) => module === 'node:cluster' || module === 'cluster', SPECIFIERS)).toEqual([]);
  });

  it('the supervision decisions import nothing: pure functions, table-tested without forking', () => {
    expect(FILES).toContain('app/src/arbiter/supervision.ts');
    expect(violations((file) => file === 'app/src/arbiter/supervision.ts', () => true, SPECIFIERS)).toEqual([]);
  });

  it('the harness imports only itself: tests, bench, conformance, tools and the rule and dashboard generators build on it', () => {
    expect(violations(inside('harness'), (module) => !inside('harness')(module))).toEqual([]);
  });

  it("scripts read their command line one way: only harness/command-line.ts imports node:util's parseArgs", () => {
    const parsers = FILES.filter((file) => /\bimport\s*\{[^}]*\bparseArgs\b[^}]*\}\s*from\s*['"](?:node:)?util['"]/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(parsers).toEqual(['harness/command-line.ts']);
  });

  it('tools/ and conformance/ import no tests and no bench', () => {
    const importers = (file: string) => inside('tools')(file) || inside('conformance')(file);
    expect(violations(importers, (module) => inside('test')(module) || inside('bench')(module))).toEqual([]);
  });
});
