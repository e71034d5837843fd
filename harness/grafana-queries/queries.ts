// Runs the dashboard's own queries against a real Prometheus, as Grafana would: the template
// variables' options from label_values(), then every panel target with its variables and
// intervals substituted — query_range for time series, instant queries where the target asks.
import { VariableSort, type Dashboard, type Panel, type VariableModel } from '@grafana/schema';
import { queryInstant, queryRange, type Series } from '../prometheus-api';
import { prometheusTargets, variableQuery, type PrometheusTarget } from './dashboard';
import { gridPosOf, panelBox } from './grid';
import {
  alignToStep,
  computeIntervals,
  formatVariable,
  interpolateQuery,
  substituteVariables,
  type Selection,
} from './interpolate';

export interface TimeRange {
  /** Unix milliseconds. */
  fromMs: number;
  toMs: number;
}

/** A selection per variable name: "All", one value or several (overrides the dashboard's current). */
export type VariableOverrides = Readonly<Record<string, string | readonly string[]>>;

export interface ResolvedVariable {
  name: string;
  label: string;
  /** The selection as Grafana's variable bar shows it. */
  display: string;
  /** What replaces $name in queries. */
  formatted: string;
}

/** The datasource uid Grafana's provisioning pins (etc/grafana/datasources.yaml). */
export const DATASOURCE_UID = 'prometheus';

async function labelValues(prometheusUrl: string, query: string, range: TimeRange): Promise<string[]> {
  const match = /^label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query.trim());
  if (!match) throw new Error(`variable query "${query}" is not label_values(...): only that kind is run here`);
  const [, selector, label] = match;
  const params = new URLSearchParams({
    start: String(Math.floor(range.fromMs / 1000)),
    end: String(Math.ceil(range.toMs / 1000)),
  });
  if (selector) params.append('match[]', selector);
  const response = await fetch(`${prometheusUrl}/api/v1/label/${label}/values?${params}`);
  const body = (await response.json()) as { status: string; data: string[]; error?: string };
  if (body.status !== 'success') throw new Error(`label_values ${query}: ${body.error}`);
  return body.data;
}

function selectionOf(variable: VariableModel, override: string | readonly string[] | undefined): string[] {
  const chosen = override ?? variable.current?.value ?? [];
  return typeof chosen === 'string' ? [chosen] : [...chosen];
}

/** Resolves the variables in dashboard order, each query seeing the variables before it. */
export async function resolveVariables(
  dashboard: Dashboard,
  prometheusUrl: string,
  range: TimeRange,
  overrides: VariableOverrides = {},
): Promise<ResolvedVariable[]> {
  const resolved: ResolvedVariable[] = [];
  const formatted: Record<string, string> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const label = variable.label || variable.name;
    if (variable.type === 'datasource') {
      // Every panel names the datasource through this variable; here it is the Prometheus given.
      formatted[variable.name] = DATASOURCE_UID;
      resolved.push({ name: variable.name, label, display: 'Prometheus', formatted: DATASOURCE_UID });
      continue;
    }
    if (variable.type !== 'query') throw new Error(`variable ${variable.name}: type ${variable.type} is not supported`);
    let options = await labelValues(prometheusUrl, substituteVariables(variableQuery(variable), formatted), range);
    if (variable.regex) options = options.filter((option) => new RegExp(variable.regex as string).test(option));
    if (variable.sort === VariableSort.alphabeticalAsc || variable.sort === VariableSort.alphabeticalDesc) options.sort();
    if (variable.sort === VariableSort.alphabeticalDesc) options.reverse();
    const chosen = selectionOf(variable, overrides[variable.name]);
    const all = chosen.includes('$__all') || chosen.includes('All');
    const selection: Selection = { all, values: all ? [] : chosen, options };
    if (!all && !variable.multi && chosen.length !== 1) {
      throw new Error(`variable ${variable.name} takes one value, got ${JSON.stringify(chosen)}`);
    }
    formatted[variable.name] = formatVariable(variable, selection);
    resolved.push({
      name: variable.name,
      label,
      display: all ? `All (${options.length ? options.join(', ') : 'none'})` : chosen.join(' + '),
      formatted: formatted[variable.name],
    });
  }
  return resolved;
}

export interface SeriesData {
  refId: string;
  name: string;
  labels: Record<string, string>;
  /** [unix ms, value] pairs; a range query's points, or one point for an instant query. */
  points: [number, number][];
}

export interface TargetRun {
  refId: string;
  expr: string;
  kind: 'range' | 'instant';
  stepMs?: number;
  error?: string;
  seriesCount: number;
}

export interface PanelData {
  panel: Panel;
  series: SeriesData[];
  runs: TargetRun[];
  /** Time axis of range queries: aligned start, end, step. */
  grid?: { startMs: number; endMs: number; stepMs: number };
}

/** Grafana's legend text: "{{label}}" templates, "__auto" and "" show the metric and its labels. */
export function seriesName(labels: Record<string, string>, legendFormat: string | undefined, expr: string): string {
  if (legendFormat && legendFormat !== '__auto') {
    return legendFormat.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
  }
  const { __name__: metric = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}="${value}"`);
  if (!metric && pairs.length === 0) return expr;
  return `${metric}${pairs.length ? `{${pairs.join(', ')}}` : ''}`;
}

/** Targets Grafana runs as instant queries: "instant" set, or "range" explicitly off. */
function isInstant(target: PrometheusTarget): boolean {
  return target.instant === true && target.range !== true;
}

export async function runPanelQueries(
  panel: Panel,
  options: {
    prometheusUrl: string;
    range: TimeRange;
    variables: readonly ResolvedVariable[];
    scrapeInterval: string;
    /** Panel width in pixels, Grafana's default maxDataPoints; default: its width on GRID_WIDTH. */
    widthPx?: number;
  },
): Promise<PanelData> {
  const formatted = Object.fromEntries(options.variables.map((v) => [v.name, v.formatted]));
  const data: PanelData = { panel, series: [], runs: [] };
  const widthPx = options.widthPx ?? panelBox(gridPosOf(panel)).width;
  for (const target of prometheusTargets(panel)) {
    if (target.hide) continue;
    const intervals = computeIntervals({
      fromMs: options.range.fromMs,
      toMs: options.range.toMs,
      maxDataPoints: panel.maxDataPoints ?? Math.max(1, Math.round(widthPx)),
      scrapeInterval: options.scrapeInterval,
      panelMinInterval: panel.interval,
      targetMinStep: target.interval,
    });
    const expr = interpolateQuery(target.expr, formatted, intervals);
    const run: TargetRun = { refId: target.refId, expr, kind: isInstant(target) ? 'instant' : 'range', seriesCount: 0 };
    data.runs.push(run);
    try {
      let series: Series[];
      if (run.kind === 'instant') {
        const samples = await queryInstant(options.prometheusUrl, expr, options.range.toMs / 1000);
        series = samples.map((s) => ({ metric: s.metric, values: [[options.range.toMs / 1000, s.value]] }));
      } else {
        const stepMs = intervals.stepMs;
        const startMs = alignToStep(options.range.fromMs, stepMs);
        const endMs = alignToStep(options.range.toMs, stepMs);
        run.stepMs = stepMs;
        data.grid = { startMs, endMs, stepMs };
        series = await queryRange(options.prometheusUrl, expr, { start: startMs / 1000, end: endMs / 1000, step: stepMs / 1000 });
      }
      for (const s of series) {
        const points = s.values
          .filter(([, value]) => Number.isFinite(value))
          .map(([t, value]) => [Math.round(t * 1000), value] as [number, number]);
        if (points.length === 0) continue;
        data.series.push({ refId: target.refId, name: seriesName(s.metric, target.legendFormat, expr), labels: s.metric, points });
        run.seriesCount += 1;
      }
    } catch (error) {
      run.error = (error as Error).message;
    }
  }
  return data;
}
