// The committed dashboard read through Grafana's own published types (@grafana/schema, the types
// dashboards/ builds it with): its panels in grid order, each panel's Prometheus queries and each
// variable's query. No model of its own: where the schema leaves a field open (a target's fields
// belong to its datasource plugin), the fields read here are checked as they are read.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Dashboard, DataQuery, Panel, RowPanel, VariableModel } from '@grafana/schema';

export const DASHBOARD_FILE = path.resolve(__dirname, '..', '..', 'etc', 'dashboards', 'gunicorn.json');

/** A panel of the dashboard's list: a row or a panel that shows data. */
export type AnyPanel = Panel | RowPanel;

/** A Prometheus query as a panel stores it: the schema's common query fields and the plugin's own. */
export interface PrometheusTarget extends DataQuery {
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  /** The query's "Min step". */
  interval?: string;
}

export function loadDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

export function isRow(panel: AnyPanel): panel is RowPanel {
  return panel.type === 'row';
}

/** Every panel in grid order, rows included, with the panels of collapsed rows after their row. */
export function flattenPanels(panels: readonly AnyPanel[]): AnyPanel[] {
  return panels.flatMap((panel) => (isRow(panel) ? [panel, ...panel.panels] : [panel]));
}

/** The panels that run queries, in grid order. */
export function dataPanels(dashboard: Dashboard): Panel[] {
  return flattenPanels(dashboard.panels ?? []).filter((panel): panel is Panel => !isRow(panel));
}

/** The panel's targets as Prometheus queries; a target without a refId or an expression is an error. */
export function prometheusTargets(panel: Panel): PrometheusTarget[] {
  return (panel.targets ?? []).map((target, index) => {
    if (typeof target.refId !== 'string' || typeof target.expr !== 'string') {
      throw new Error(`panel "${panel.title ?? panel.id}": target ${index + 1} has no refId or no expr: not a Prometheus query`);
    }
    return target as unknown as PrometheusTarget;
  });
}

/** The variable's query text, whichever of Grafana's two shapes it is stored in. */
export function variableQuery(variable: VariableModel): string {
  const { query } = variable;
  if (typeof query === 'string') return query;
  if (typeof query?.query === 'string') return query.query;
  const definition = (variable as { definition?: unknown }).definition;
  return typeof definition === 'string' ? definition : '';
}
