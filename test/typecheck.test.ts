// The repository's two TypeScript programs: tsconfig.json checks every TypeScript file git tracks
// (the test command runs it; vitest and ts-node only strip types, so nothing else would see a type
// error outside the app), and app/tsconfig.json builds the app alone into dist/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/stack';

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The repository's own files (relative paths) that `tsc -p config` reads, without compiling. */
function programFiles(config: string): string[] {
  return execFileSync(process.execPath, [TSC, '-p', config, '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.includes('/node_modules/'))
    .map((file) => path.relative(ROOT, file))
    .sort();
}

function trackedTypeScript(): string[] {
  return execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.cts', '*.tsx'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '')
    .sort();
}

describe('type-checking', () => {
  it('tsconfig.json reads every TypeScript file git tracks, and only those', () => {
    const tracked = trackedTypeScript();
    expect(tracked.length).toBeGreaterThan(100);
    expect(programFiles('tsconfig.json')).toEqual(tracked);
  });

  it('is strict and emits nothing; the build config is strict too and emits app/src alone', () => {
    const showConfig = (config: string) =>
      (JSON.parse(execFileSync(process.execPath, [TSC, '-p', config, '--showConfig'], { cwd: ROOT, encoding: 'utf8' })) as {
        compilerOptions: { strict?: boolean; noEmit?: boolean; outDir?: string };
      }).compilerOptions;
    expect(showConfig('tsconfig.json')).toMatchObject({ strict: true, noEmit: true });
    expect(showConfig(path.join('app', 'tsconfig.json'))).toMatchObject({ strict: true, noEmit: false, outDir: '../dist' });
    const built = programFiles(path.join('app', 'tsconfig.json'));
    expect(built.length).toBeGreaterThan(10);
    expect(built.filter((file) => !file.startsWith('app/src/'))).toEqual([]);
  });

  it('is part of the test command', () => {
    const script = readFileSync(path.join(ROOT, 'scripts', 'test.sh'), 'utf8');
    expect(script).toMatch(/^npm run typecheck$/m);
  });
});
