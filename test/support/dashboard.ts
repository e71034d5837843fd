// Every target of every panel of the committed dashboard, run against a real Prometheus the way
// Grafana runs it (harness/grafana-queries, which the picture's tool uses too), so the tests check
// exactly the queries Grafana and the picture show.
import { dataPanels, loadDashboard } from '../../harness/grafana-queries/dashboard';
import { resolveVariables, runPanelQueries, type TimeRange, type VariableOverrides } from '../../harness/grafana-queries/queries';

export interface TargetResult {
  readonly panel: string;
  readonly refId: string;
  /** The expression as sent, after substitution. */
  readonly expr: string;
  /** Series with at least one finite value. */
  readonly series: number;
  readonly error?: string;
  /** Whether the expression reads the app's runtime metrics (job="app"), which only this app has. */
  readonly runtime: boolean;
  /** Whether it reads HAProxy's series (job="haproxy"), which only a stack with the front door has. */
  readonly frontDoor: boolean;
  /** Whether it reads the busy fraction of request slots, which only apps with sync or threaded
   *  workers have (etc/prometheus/apps.yml): not this app, whose workers are event loops. */
  readonly requestSlots: boolean;
}

export async function runDashboardQueries(options: {
  prometheusUrl: string;
  range: TimeRange;
  variables: VariableOverrides;
  /** The scrape interval of that Prometheus, for $__rate_interval. */
  scrapeInterval: string;
}): Promise<TargetResult[]> {
  const dashboard = loadDashboard();
  const variables = await resolveVariables(dashboard, options.prometheusUrl, options.range, options.variables);
  const results: TargetResult[] = [];
  for (const panel of dataPanels(dashboard)) {
    const data = await runPanelQueries(panel, {
      prometheusUrl: options.prometheusUrl,
      range: options.range,
      variables,
      scrapeInterval: options.scrapeInterval,
    });
    for (const run of data.runs) {
      results.push({
        panel: panel.title ?? `panel ${panel.id}`,
        refId: run.refId,
        expr: run.expr,
        series: run.seriesCount,
        error: run.error,
        runtime: /job="app"/.test(run.expr),
        frontDoor: /job="haproxy"/.test(run.expr),
        requestSlots: /app:gunicorn_worker_saturation:/.test(run.expr),
      });
    }
  }
  return results;
}

/** "panel [refId]: expr (why)" for each target that returned nothing or failed. */
export function emptyTargets(results: readonly TargetResult[]): string[] {
  return results
    .filter((r) => r.error !== undefined || r.series === 0)
    .map((r) => `${r.panel} [${r.refId}]: ${r.expr} (${r.error ?? 'no series'})`);
}
