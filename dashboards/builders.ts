// Typed builders for the panels of the dashboards in this folder. Every object they return is
// checked by the compiler against Grafana 13.2's own published types (@grafana/schema, pinned):
// the dashboard model, and each panel plugin's options and field config. A misspelt option or a
// value Grafana does not know is a compile error here, not a panel that silently ignores it.
import {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  FieldColorModeId,
  GraphDrawStyle,
  GraphGradientMode,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LineInterpolation,
  PercentChangeColorMode,
  ScaleDistribution,
  SortOrder,
  StackingMode,
  ThresholdsMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizOrientation,
  AxisPlacement,
  type DataQuery,
  type DataSourceRef,
  type FieldConfig,
  type FieldConfigSource,
  type GridPos,
  type Panel,
  type RowPanel,
  type Threshold,
  type ValueMapping,
} from '@grafana/schema';
import type * as barGauge from '@grafana/schema/dist/types/raw/composable/bargauge/panelcfg/x/types.gen';
import type * as stat from '@grafana/schema/dist/types/raw/composable/stat/panelcfg/x/types.gen';
import type * as timeSeries from '@grafana/schema/dist/types/raw/composable/timeseries/panelcfg/x/types.gen';

/** Every panel and query reads the datasource the dashboard's `datasource` variable selects. */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A Prometheus query as Grafana 13 stores it. The Prometheus datasource's query type ships with
 *  Grafana's Prometheus plugin, not with @grafana/schema, so its fields are declared here on top
 *  of the schema's common DataQuery. */
export interface PrometheusQuery extends DataQuery {
  datasource: DataSourceRef;
  editorMode: 'code' | 'builder';
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
}

/** A query of a panel: its PromQL and the legend of the series it returns. */
export interface QuerySpec {
  expr: string;
  legend?: string;
}

type Overrides = FieldConfigSource['overrides'];

export interface PanelSpec {
  id: number;
  title: string;
  description: string;
  gridPos: GridPos;
  unit: string;
  queries: readonly QuerySpec[];
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: readonly Threshold[];
  mappings?: ValueMapping[];
  overrides?: Overrides;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

// The schema's Panel takes options and targets as open records (each plugin defines its own); an
// interface has no index signature, so each typed value is checked first and then spread into one.
function targets(queries: readonly QuerySpec[], instant: boolean): Record<string, unknown>[] {
  return queries.map((query, i): PrometheusQuery => ({
    refId: REF_IDS[i],
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: query.expr,
    legendFormat: query.legend ?? '',
    range: !instant,
    instant,
  })).map((query) => ({ ...query }));
}

function thresholds(steps: readonly Threshold[] | undefined, base: string) {
  return { mode: ThresholdsMode.Absolute, steps: [...(steps ?? [{ color: base, value: null }])] };
}

/** Colours series by their display name (a legend such as "5xx" or "critical"). */
/** Field defaults of the single-value panels (stat, bar gauge): coloured by their thresholds. */
function colouredByThresholds(spec: PanelSpec, base: string): FieldConfig {
  return {
    unit: spec.unit,
    decimals: spec.decimals,
    min: spec.min,
    max: spec.max,
    color: { mode: FieldColorModeId.Thresholds },
    thresholds: thresholds(spec.thresholds, base),
  };
}

export function colourByName(colours: Readonly<Record<string, string>>): Overrides {
  return Object.entries(colours).map(([name, colour]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: colour } }],
  }));
}

/** Colours the series of one query (by its refId). */
export function colourByQuery(refId: string, colour: string): Overrides {
  return [{
    matcher: { id: 'byFrameRefID', options: refId },
    properties: [{ id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: colour } }],
  }];
}

export function row(id: number, title: string, y: number): RowPanel {
  return { type: 'row', title, id, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

/** The panel of one plugin type: its typed options and field defaults, checked by the caller. */
function assemble(spec: PanelSpec, type: string, options: object, defaults: FieldConfig, instant: boolean): Panel {
  return {
    type,
    title: spec.title,
    description: spec.description,
    id: spec.id,
    datasource: DATASOURCE,
    gridPos: spec.gridPos,
    fieldConfig: { defaults, overrides: spec.overrides ?? [] },
    options: { ...options },
    targets: targets(spec.queries, instant),
  };
}

/** A single value, the latest of an instant query. */
export function statPanel(spec: PanelSpec & { colorMode?: BigValueColorMode }): Panel {
  const options: stat.Options = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: VizOrientation.Auto,
    textMode: BigValueTextMode.Auto,
    colorMode: spec.colorMode ?? BigValueColorMode.Value,
    graphMode: BigValueGraphMode.None,
    justifyMode: BigValueJustifyMode.Auto,
    wideLayout: true,
    showPercentChange: false,
    percentChangeColorMode: PercentChangeColorMode.Standard,
  };
  const defaults: FieldConfig = { ...colouredByThresholds(spec, 'text'), mappings: spec.mappings ?? [] };
  return assemble(spec, 'stat', options, defaults, true);
}

export interface TimeSeriesSpec extends PanelSpec {
  fillOpacity?: number;
  lineInterpolation?: LineInterpolation;
  /** Draws the thresholds as dashed lines (alert levels). */
  dashedThresholds?: boolean;
  softMax?: number;
  legendCalcs?: string[];
}

/** Lines over the dashboard's time range. */
export function timeSeriesPanel(spec: TimeSeriesSpec): Panel {
  const custom: timeSeries.FieldConfig = {
    drawStyle: GraphDrawStyle.Line,
    lineInterpolation: spec.lineInterpolation ?? LineInterpolation.Linear,
    lineWidth: 2,
    fillOpacity: spec.fillOpacity ?? 12,
    gradientMode: GraphGradientMode.Opacity,
    showPoints: VisibilityMode.Never,
    pointSize: 4,
    spanNulls: false,
    stacking: { mode: StackingMode.None, group: 'A' },
    axisPlacement: AxisPlacement.Auto,
    axisLabel: '',
    axisSoftMin: 0,
    axisSoftMax: spec.softMax,
    scaleDistribution: { type: ScaleDistribution.Linear },
    thresholdsStyle: { mode: spec.dashedThresholds ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off },
  };
  const options: timeSeries.Options = {
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: spec.legendCalcs ?? [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
  };
  const defaults: FieldConfig = {
    unit: spec.unit,
    decimals: spec.decimals,
    min: spec.min ?? 0,
    max: spec.max,
    color: { mode: FieldColorModeId.PaletteClassic },
    custom: { ...custom },
    thresholds: thresholds(spec.thresholds, 'green'),
  };
  return assemble(spec, 'timeseries', options, defaults, false);
}

/** Horizontal bars, one per series, of the latest values of an instant query. */
export function barGaugePanel(spec: PanelSpec): Panel {
  const options: barGauge.Options = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: VizOrientation.Horizontal,
    displayMode: BarGaugeDisplayMode.Gradient,
    valueMode: BarGaugeValueMode.Color,
    namePlacement: BarGaugeNamePlacement.Left,
    showUnfilled: true,
    sizing: BarGaugeSizing.Auto,
    minVizWidth: 8,
    minVizHeight: 16,
    maxVizHeight: 300,
    legend: { showLegend: false, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
  };
  return assemble(spec, 'bargauge', options, colouredByThresholds(spec, 'blue'), true);
}
