// Per-instance views of what an exporter or Prometheus holds: series told apart by their instance
// label (an app's --dogstatsd-tags instance:<host>).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Sample } from '../../harness/prometheus-api';
import { ETC } from '../../harness/stack';
import { exporterSamples } from './exporter';

/** The sum of `name`'s samples for `app`, by instance label. */
export function byInstance(samples: readonly { metric: Record<string, string>; value: number }[], name: string, app: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of samples) {
    if ((sample.metric.__name__ !== undefined && sample.metric.__name__ !== name) || sample.metric.app !== app) continue;
    const instance = sample.metric.instance ?? '(none)';
    out[instance] = (out[instance] ?? 0) + sample.value;
  }
  return out;
}

/** byInstance of what the exporter at `exporterUrl` holds now. */
export async function exporterByInstance(exporterUrl: string, name: string, app: string): Promise<Record<string, number>> {
  return byInstance(await exporterSamples(exporterUrl), name, app);
}

/** Every sample of one instance as "name{labels} value" lines, sorted: to compare an instance's series whole. */
export function seriesOf(samples: readonly Sample[], instance: string): string[] {
  return samples
    .filter((sample) => sample.metric.instance === instance)
    .map((sample) => {
      const { __name__: name, ...labels } = sample.metric;
      const text = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`).join(',');
      return `${name}{${text}} ${sample.value}`;
    })
    .sort();
}

/** The dashboard's Workers panel queries for `app`: the total, then the per-instance breakdown. */
export function workersPanelQueries(app: string): { total: string; perInstance: string } {
  const dashboard = JSON.parse(readFileSync(path.join(ETC, 'dashboards', 'gunicorn.json'), 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  const exprs = (dashboard.panels.find((panel) => panel.title === 'Workers')?.targets ?? []).map((target) => target.expr.replaceAll('$app', app));
  if (exprs.length !== 2) throw new Error(`the Workers panel has ${exprs.length} queries, not a total and a per-instance one`);
  return { total: exprs[0], perInstance: exprs[1] };
}
