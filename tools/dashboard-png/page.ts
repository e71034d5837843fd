// Builds the HTML page: the panels' data and display options as a JSON model, uPlot and its CSS,
// units.ts and client.ts transpiled in, a dark Grafana-like stylesheet. Also decides, before
// anything is drawn, which panels or options the page cannot draw faithfully: those are drawn as
// a labelled placeholder instead.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  BigValueGraphMode,
  GraphDrawStyle,
  GraphThresholdsStyleMode,
  ScaleDistribution,
  StackingMode,
  VizOrientation,
  type FieldConfigSource,
  type GraphFieldConfig,
  type Panel,
  type Threshold,
  type ValueMapping,
} from '@grafana/schema';
import type * as barGauge from '@grafana/schema/dist/types/raw/composable/bargauge/panelcfg/x/types.gen';
import type * as stat from '@grafana/schema/dist/types/raw/composable/stat/panelcfg/x/types.gen';
import type * as timeSeries from '@grafana/schema/dist/types/raw/composable/timeseries/panelcfg/x/types.gen';
import * as ts from 'typescript';
import { isRow, type AnyPanel } from '../../harness/grafana-queries/dashboard';
import { GRID_WIDTH, gridHeight, gridPosOf, panelBox, SCREEN_WIDTH, type PixelBox } from '../../harness/grafana-queries/grid';
import type { PanelData, ResolvedVariable, TimeRange } from '../../harness/grafana-queries/queries';
import { CALC_TITLES, KNOWN_CALCS, reduce } from './calcs';
import { KNOWN_UNITS } from './units';

type FieldOverride = FieldConfigSource['overrides'][number];
/** The options of the panel types drawn here, as their plugins' published types declare them; a
 *  stored panel may leave any of them out. */
export type DrawnOptions = Partial<stat.Options> & Partial<barGauge.Options> & Partial<timeSeries.Options>;
/** The time series plugin's field config, which the page reads for every panel type. */
export type DrawnFieldConfig = Partial<GraphFieldConfig>;

function optionsOf(panel: Panel): DrawnOptions {
  return (panel.options ?? {}) as DrawnOptions;
}

function customOf(panel: Panel): DrawnFieldConfig {
  return (panel.fieldConfig?.defaults.custom ?? {}) as DrawnFieldConfig;
}

/** Panel types the page draws; a panel of any other type is drawn as a placeholder. */
export const DRAWN_PANEL_TYPES: readonly string[] = ['timeseries', 'stat', 'bargauge', 'row'];

const UPLOT_DIR = path.dirname(require.resolve('uplot/package.json'));

export interface PageSeries {
  name: string;
  refId: string;
  color: string | null;
  /** Values on the panel's time grid (null = no sample), for time series. */
  values?: (number | null)[];
  /** The reduced value, for stats and bar gauges. */
  value?: number | null;
  /** Legend columns: calc id → value. */
  calcs: Record<string, number | null>;
}

export interface PagePanel {
  id: number;
  type: string;
  title: string;
  box: PixelBox;
  unit: string;
  decimals?: number;
  min?: number;
  max?: number;
  colorMode: string;
  fixedColor?: string;
  thresholds: Threshold[];
  thresholdsStyle: string;
  mappings: ValueMapping[];
  custom: DrawnFieldConfig;
  options: DrawnOptions;
  /** Seconds since the epoch, for uPlot's x axis. */
  xs?: number[];
  range: { from: number; to: number };
  series: PageSeries[];
  legendCalcs: { id: string; title: string }[];
  errors: string[];
  /** Set when the page does not draw this panel: the reason, shown in a placeholder in its place. */
  unsupported?: string;
}

export interface PageModel {
  title: string;
  timeText: string;
  variables: { label: string; display: string }[];
  provenance: string;
  width: number;
  gridHeight: number;
  panels: PagePanel[];
}

/** Page width in CSS pixels: the screen the grid's geometry assumes. */
export const PAGE_WIDTH = SCREEN_WIDTH;

const SUPPORTED_OVERRIDE_MATCHERS = ['byName', 'byFrameRefID', 'byRegexp'];
const SUPPORTED_OVERRIDE_PROPERTIES = ['color', 'displayName'];
const SUPPORTED_THRESHOLD_STYLES: readonly string[] = [
  GraphThresholdsStyleMode.Off, GraphThresholdsStyleMode.Line, GraphThresholdsStyleMode.Dashed,
  GraphThresholdsStyleMode.Area, GraphThresholdsStyleMode.LineAndArea, GraphThresholdsStyleMode.DashedAndArea,
];

/** Why the page cannot draw this panel as Grafana would, or [] when it can. */
export function undrawableReasons(panel: AnyPanel): string[] {
  const reasons: string[] = [];
  if (!DRAWN_PANEL_TYPES.includes(panel.type)) return [`panel type "${panel.type}" is not drawn by the renderer`];
  if (isRow(panel)) return [];
  const defaults = panel.fieldConfig?.defaults ?? {};
  const custom = customOf(panel);
  const options = optionsOf(panel);
  const unit = defaults.unit;
  if (!unit) reasons.push('no unit');
  else if (!KNOWN_UNITS.includes(unit)) reasons.push(`unit "${unit}" is not one the renderer formats`);
  for (const override of panel.fieldConfig?.overrides ?? []) {
    if (!SUPPORTED_OVERRIDE_MATCHERS.includes(override.matcher.id)) reasons.push(`override matcher "${override.matcher.id}"`);
    for (const property of override.properties) {
      if (!SUPPORTED_OVERRIDE_PROPERTIES.includes(property.id)) reasons.push(`override property "${property.id}"`);
    }
  }
  if (panel.transformations?.length) reasons.push('transformations');
  if (panel.timeFrom || panel.timeShift) reasons.push('a time range of its own (timeFrom, timeShift)');
  if (panel.repeat) reasons.push(`repeated by variable "${panel.repeat}"`);
  for (const mapping of defaults.mappings ?? []) {
    if ((mapping.type as string) !== 'value') reasons.push(`value mapping of type "${mapping.type}"`);
  }
  const stacking = custom.stacking?.mode;
  if (stacking && stacking !== StackingMode.None) reasons.push(`stacking "${stacking}"`);
  const scale = custom.scaleDistribution?.type;
  if (scale && scale !== ScaleDistribution.Linear) reasons.push(`scale "${scale}"`);
  if (custom.drawStyle && custom.drawStyle !== GraphDrawStyle.Line) reasons.push(`draw style "${custom.drawStyle}"`);
  const thresholdsStyle = custom.thresholdsStyle?.mode ?? GraphThresholdsStyleMode.Off;
  if (!SUPPORTED_THRESHOLD_STYLES.includes(thresholdsStyle)) reasons.push(`thresholds style "${thresholdsStyle}"`);
  const calcs = [...(options.reduceOptions?.calcs ?? []), ...(options.legend?.calcs ?? [])];
  for (const calc of calcs) if (!KNOWN_CALCS.includes(calc)) reasons.push(`reducer "${calc}"`);
  if (panel.type === 'stat' && options.graphMode && options.graphMode !== BigValueGraphMode.None) {
    reasons.push(`stat graph mode "${options.graphMode}" (sparklines are not drawn)`);
  }
  if (panel.type === 'bargauge' && options.orientation === VizOrientation.Vertical) reasons.push('vertical bar gauge');
  if (options.reduceOptions?.values) reasons.push('reduce "all values"');
  return reasons;
}

// Grafana's classic palette, in the order it hands colours to a panel's series.
const CLASSIC_PALETTE = [
  '#7EB26D', '#EAB839', '#6ED0E0', '#EF843C', '#E24D42', '#1F78C1', '#BA43A9', '#705DA0',
  '#508642', '#CCA300', '#447EBC', '#C15C17', '#890F02', '#0A437C', '#6D1F62', '#584477',
];

function overrideMatches(override: FieldOverride, name: string, refId: string): boolean {
  switch (override.matcher.id) {
    case 'byName':
      return override.matcher.options === name;
    case 'byFrameRefID':
      return override.matcher.options === refId;
    case 'byRegexp':
      return new RegExp(String(override.matcher.options)).test(name);
    default:
      return false;
  }
}

function seriesStyle(panel: Panel, name: string, refId: string, index: number): { name: string; color: string | null } {
  const defaults = panel.fieldConfig?.defaults ?? {};
  let color: string | null = null;
  const mode = defaults.color?.mode ?? (panel.type === 'timeseries' ? 'palette-classic' : 'thresholds');
  if (mode === 'fixed') color = defaults.color?.fixedColor ?? null;
  else if (mode.startsWith('palette-classic')) color = CLASSIC_PALETTE[index % CLASSIC_PALETTE.length];
  let displayName = name;
  for (const override of panel.fieldConfig?.overrides ?? []) {
    if (!overrideMatches(override, name, refId)) continue;
    for (const property of override.properties) {
      if (property.id === 'color') color = (property.value as { fixedColor?: string }).fixedColor ?? color;
      if (property.id === 'displayName') displayName = String(property.value);
    }
  }
  return { name: displayName, color };
}

function timeGrid(data: PanelData): number[] | undefined {
  if (!data.grid) return undefined;
  const xs: number[] = [];
  for (let t = data.grid.startMs; t <= data.grid.endMs; t += data.grid.stepMs) xs.push(t / 1000);
  return xs;
}

export function buildPanelModel(data: PanelData, range: TimeRange): PagePanel {
  const { panel } = data;
  const defaults = panel.fieldConfig?.defaults ?? {};
  const options = optionsOf(panel);
  const reasons = undrawableReasons(panel);
  const legendCalcs = (options.legend?.calcs ?? []).map((id) => ({ id, title: CALC_TITLES[id] ?? id }));
  const reduceCalc = (options.reduceOptions?.calcs ?? ['lastNotNull'])[0];
  const xs = timeGrid(data);
  const series: PageSeries[] = data.series.map((s, index) => {
    const style = seriesStyle(panel, s.name, s.refId, index);
    const page: PageSeries = { ...style, refId: s.refId, calcs: {} };
    if (panel.type === 'timeseries' && xs) {
      const byTime = new Map(s.points.map(([t, v]) => [t / 1000, v]));
      page.values = xs.map((x) => byTime.get(x) ?? null);
    }
    if (reasons.length === 0) {
      if (panel.type === 'stat' || panel.type === 'bargauge') page.value = reduce(s.points, reduceCalc);
      for (const { id } of legendCalcs) page.calcs[id] = reduce(s.points, id);
    }
    return page;
  });
  const custom = customOf(panel);
  return {
    id: panel.id ?? 0,
    type: panel.type,
    title: panel.title ?? '',
    box: panelBox(gridPosOf(panel), GRID_WIDTH),
    unit: defaults.unit ?? 'none',
    decimals: defaults.decimals,
    min: defaults.min,
    max: defaults.max,
    colorMode: defaults.color?.mode ?? (panel.type === 'timeseries' ? 'palette-classic' : 'thresholds'),
    fixedColor: defaults.color?.fixedColor,
    thresholds: defaults.thresholds?.steps ?? [],
    thresholdsStyle: custom.thresholdsStyle?.mode ?? GraphThresholdsStyleMode.Off,
    mappings: defaults.mappings ?? [],
    custom,
    options,
    xs,
    range: { from: range.fromMs / 1000, to: range.toMs / 1000 },
    series,
    legendCalcs,
    errors: data.runs.filter((run) => run.error).map((run) => `${run.refId}: ${run.error}`),
    unsupported: reasons.length ? reasons.join('; ') : undefined,
  };
}

/** A TypeScript file as a browser script: transpiled, its exports put on window[global]. */
function browserScript(file: string, global: string): string {
  const source = readFileSync(path.join(__dirname, file), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, removeComments: true },
  });
  return `(function () { var exports = {}; var module = { exports: exports };\n${outputText}\nwindow.${global} = module.exports; })();`;
}

/** Inside a <script>, "</script" would end it early. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

export function buildPage(model: PageModel): string {
  const uplotJs = readFileSync(path.join(UPLOT_DIR, 'dist', 'uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(path.join(UPLOT_DIR, 'dist', 'uPlot.min.css'), 'utf8');
  const styles = readFileSync(path.join(__dirname, 'page.css'), 'utf8');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model.title)}</title>
<style>${uplotCss}</style>
<style>${styles}</style>
</head><body>
<div id="app" style="width:${model.width}px"></div>
<script>${scriptSafe(uplotJs)}</script>
<script>${scriptSafe(browserScript('units.ts', 'units'))}</script>
<script>window.__model = ${scriptSafe(JSON.stringify(model))};</script>
<script>${scriptSafe(browserScript('client.ts', 'dashboardClient'))}</script>
<script>window.dashboardClient.render(window.__model);</script>
</body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pageModel(options: {
  title: string;
  range: TimeRange;
  variables: readonly ResolvedVariable[];
  provenance: string;
  panels: readonly PagePanel[];
  allPanels: readonly AnyPanel[];
}): PageModel {
  const fmt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return {
    title: options.title,
    timeText: `${fmt(options.range.fromMs)} → ${fmt(options.range.toMs)}`,
    variables: options.variables.map((v) => ({ label: v.label, display: v.display })),
    provenance: options.provenance,
    width: PAGE_WIDTH,
    gridHeight: gridHeight(options.allPanels),
    panels: [...options.panels],
  };
}
