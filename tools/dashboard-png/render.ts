// renderDashboard(): the committed dashboard, its queries run against a real Prometheus over a
// time range, drawn to a PNG. Used by `npm run dashboard:png` (main.ts) and the end-to-end test.
// What the imitation cannot draw is drawn as a labelled placeholder and reported, never dropped.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { screenshot } from './browser';
import { DASHBOARD_FILE, flattenPanels, isRow, loadDashboard } from '../../harness/grafana-queries/dashboard';
import { DEFAULT_SCRAPE_INTERVAL } from '../../harness/grafana-queries/interpolate';
import { resolveVariables, runPanelQueries, type VariableOverrides } from '../../harness/grafana-queries/queries';
import { buildPage, buildPanelModel, PAGE_WIDTH, pageModel } from './page';

const DATASOURCES_FILE = path.resolve(__dirname, '..', '..', 'etc', 'grafana', 'datasources.yaml');

export interface RenderOptions {
  prometheusUrl: string;
  /** The time range: Dates or Unix milliseconds. */
  start: Date | number;
  end: Date | number;
  /** Where the PNG goes. */
  out: string;
  /** Variable selections by name (e.g. { app: 'flask_app' }); default: the dashboard's current (All). */
  variables?: VariableOverrides;
  /** The scrape interval of that Prometheus, for $__rate_interval; default: the provisioned
   *  datasource's timeInterval (etc/grafana/datasources.yaml), as Grafana would use. */
  scrapeInterval?: string;
  dashboardFile?: string;
  /** Shown under the picture: how it was made. */
  provenance?: string;
}

export interface RenderResult {
  /** Panels whose queries returned no series (or failed), each as "title: why". */
  emptyPanels: string[];
  /** Panels drawn as a labelled placeholder because the imitation does not draw them, as "title: label". */
  placeholders: string[];
  /** What the page met while drawing (a colour it does not know, a panel that failed), one per line. */
  problems: string[];
}

/** The provisioned datasource's jsonData.timeInterval: Grafana's scrape interval for $__rate_interval. */
export function provisionedScrapeInterval(file = DATASOURCES_FILE): string {
  if (!existsSync(file)) return DEFAULT_SCRAPE_INTERVAL;
  const config = parse(readFileSync(file, 'utf8')) as { datasources?: { jsonData?: { timeInterval?: string } }[] };
  return config.datasources?.[0]?.jsonData?.timeInterval ?? DEFAULT_SCRAPE_INTERVAL;
}

const ms = (time: Date | number) => (typeof time === 'number' ? time : time.getTime());

export async function renderDashboard(options: RenderOptions): Promise<RenderResult> {
  const dashboard = loadDashboard(options.dashboardFile ?? DASHBOARD_FILE);
  const range = { fromMs: ms(options.start), toMs: ms(options.end) };
  if (!(range.toMs > range.fromMs)) throw new Error('renderDashboard: end must be after start');
  const scrapeInterval = options.scrapeInterval ?? provisionedScrapeInterval();
  const variables = await resolveVariables(dashboard, options.prometheusUrl, range, options.variables);
  const panels = flattenPanels(dashboard.panels ?? []);

  const emptyPanels: string[] = [];
  const models = [];
  for (const panel of panels) {
    if (isRow(panel)) {
      models.push(buildPanelModel({ panel, series: [], runs: [] }, range));
      continue;
    }
    const data = await runPanelQueries(panel, { prometheusUrl: options.prometheusUrl, range, variables, scrapeInterval });
    const errors = data.runs.filter((run) => run.error).map((run) => `${run.refId} failed: ${run.error}`);
    if (errors.length) emptyPanels.push(`${panel.title}: ${errors.join('; ')}`);
    else if (data.series.length === 0) emptyPanels.push(`${panel.title}: no series (${data.runs.map((r) => r.expr).join(' | ')})`);
    models.push(buildPanelModel(data, range));
  }

  const provenance = options.provenance ??
    `Drawn by tools/dashboard-png from etc/dashboards/gunicorn.json: every panel's own queries, ` +
      `substituted as Grafana does ($__rate_interval with a ${scrapeInterval} scrape interval), run against a real ` +
      `Prometheus; time series drawn with uPlot. Not a Grafana screenshot.`;
  const model = pageModel({ title: dashboard.title ?? '', range, variables, provenance, panels: models, allPanels: panels });
  const { problems, placeholders } = await screenshot(buildPage(model), options.out, PAGE_WIDTH);

  for (const line of placeholders) process.stderr.write(`dashboard-png: drawn as a placeholder: ${line}\n`);
  for (const line of emptyPanels) process.stderr.write(`dashboard-png: empty: ${line}\n`);
  for (const line of problems) process.stderr.write(`dashboard-png: page: ${line}\n`);
  return { emptyPanels, placeholders, problems };
}
