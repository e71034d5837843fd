// The dashboard is code: dashboards/gunicorn.ts, type-checked against Grafana 13.2's published
// types, generates the etc/dashboards/gunicorn.json that Grafana provisions.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_JSON, dashboardJson, USAGE } from '../../dashboards/generate';
import { badCheckFlags, expectRefused, runGenerator } from '../support/generator';

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(args: readonly string[]) {
  return spawnSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('dashboards/', () => {
  // Inside the repository, so that the scratch file resolves the pinned node_modules.
  mkdirSync(path.join(ROOT, '.artifacts'), { recursive: true });
  const scratch = mkdtempSync(path.join(ROOT, '.artifacts', 'dashboard-types-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('generates exactly the committed etc/dashboards/gunicorn.json', () => {
    // On failure: run `npm run dashboard:generate` and commit the result.
    expect(readFileSync(DASHBOARD_JSON, 'utf8')).toBe(dashboardJson());
  });

  it('`dashboards/generate.ts --check` exits 0 on the committed file', () => {
    const result = runGenerator('dashboards/generate.ts', ['--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(badCheckFlags(USAGE))('`dashboards/generate.ts` refuses %s, naming it, and writes nothing', (_, args, message) => {
    expectRefused('dashboards/generate.ts', args, message, DASHBOARD_JSON);
  });

  it('is typed against the schema of the Grafana version the stack runs (scripts/versions.env)', () => {
    const grafana = /^GRAFANA_VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8'))?.[1];
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@grafana', 'schema', 'package.json'), 'utf8')) as { version: string };
    expect(grafana).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies['@grafana/schema']).toBe(grafana);
    expect(installed.version).toBe(grafana);
  });

  it('type-checks against @grafana/schema (strict, no emit)', () => {
    const result = tsc(['-p', path.join('dashboards', 'tsconfig.json'), '--noEmit']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('rejects, at compile time, a panel option Grafana 13 does not have', () => {
    // The same builders, one option misspelt: the schema's stat options have no "colourMode".
    const file = path.join(scratch, 'misspelt.ts');
    writeFileSync(file, [
      'import { BigValueColorMode } from "@grafana/schema";',
      'import type * as stat from "@grafana/schema/dist/types/raw/composable/stat/panelcfg/x/types.gen";',
      'export const right: Partial<stat.Options> = { colorMode: BigValueColorMode.Value };',
      'export const wrong: Partial<stat.Options> = { colourMode: BigValueColorMode.Value };',
    ].join('\n'));
    const result = tsc(['--noEmit', '--strict', '--skipLibCheck', '--esModuleInterop', '--types', 'node',
      file]);
    expect(result.status).not.toBe(0);
    // One error, on the misspelt line only.
    expect(result.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/misspelt\.ts\(4,\d+\): error TS2561: .*'colourMode' does not exist in type 'Partial<Options>'/),
    ]);
  });
});
