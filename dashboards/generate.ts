// Writes etc/dashboards/gunicorn.json, the file Grafana provisions, from dashboards/gunicorn.ts.
// `--check` writes nothing and exits 1 when the committed file differs from the generated one.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunicornDashboard } from './gunicorn';

export const DASHBOARD_JSON = path.resolve(__dirname, '..', 'etc', 'dashboards', 'gunicorn.json');

/** The JSON text of the dashboard, as committed: two-space indent, one trailing newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(gunicornDashboard, null, 2)}\n`;
}

function main(args: readonly string[]): number {
  const text = dashboardJson();
  if (args.includes('--check')) {
    if (readFileSync(DASHBOARD_JSON, 'utf8') === text) return 0;
    console.error(`${DASHBOARD_JSON} differs from dashboards/gunicorn.ts: run \`npm run dashboard:generate\``);
    return 1;
  }
  writeFileSync(DASHBOARD_JSON, text);
  console.log(`wrote ${path.relative(process.cwd(), DASHBOARD_JSON)}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
