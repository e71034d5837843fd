// Writes etc/dashboards/gunicorn.json, the file Grafana provisions, from dashboards/gunicorn.ts.
// `--check` writes nothing and exits 1 when the committed file differs from the generated one;
// any other argument exits 2, named, before anything is written.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readFlagsOrExit } from '../harness/command-line';
import { gunicornDashboard } from './gunicorn';

export const DASHBOARD_JSON = path.resolve(__dirname, '..', 'etc', 'dashboards', 'gunicorn.json');

export const USAGE = `Usage: npm run dashboard:generate [-- --check]
  --check   write nothing; exit 1 when the committed gunicorn.json differs from the generated one
`;

/** The JSON text of the dashboard, as committed: two-space indent, one trailing newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(gunicornDashboard, null, 2)}\n`;
}

function main(args: readonly string[]): number {
  const check = readFlagsOrExit('dashboards/generate.ts', args, { check: { type: 'boolean' } }, USAGE).boolean('check');
  const text = dashboardJson();
  if (check) {
    if (readFileSync(DASHBOARD_JSON, 'utf8') === text) return 0;
    console.error(`${DASHBOARD_JSON} differs from dashboards/gunicorn.ts: run \`npm run dashboard:generate\``);
    return 1;
  }
  writeFileSync(DASHBOARD_JSON, text);
  console.log(`wrote ${path.relative(process.cwd(), DASHBOARD_JSON)}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
