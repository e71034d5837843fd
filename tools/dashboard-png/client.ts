/// <reference lib="dom" />
// Runs in the page (page.ts transpiles it in): draws window.__model — panels at their grid
// boxes, time series with uPlot, stats and bar gauges as values — in a dark Grafana-like theme.
// A panel it cannot draw gets a labelled placeholder. Sets window.__renderDone when finished and
// lists in window.__problems what it met while drawing (a colour it does not know, a failed panel).
// The panel's options and field config come typed by @grafana/schema; fields whose type is one of
// the schema's enums are read as the strings they are stored as, since a page script cannot import
// the enums.
import type { PageModel, PagePanel, PageSeries } from './page';
import type { Threshold, ValueMap, ValueMapping } from '@grafana/schema';

type Units = typeof import('./units');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const uPlot: any;

const win = window as unknown as {
  units: Units;
  __problems: string[];
  __renderDone: boolean;
};
win.__problems = [];

const FONT = "Inter, Helvetica, 'Liberation Sans', Arial, sans-serif";
const TEXT = '#ccccdc';
const TEXT_SECONDARY = 'rgba(204, 204, 220, 0.65)';
const GRID_LINE = 'rgba(204, 204, 220, 0.07)';

// Grafana's dark theme palette for the colour names a dashboard may use.
const NAMED_COLORS: Record<string, string> = {
  green: '#73BF69', 'dark-green': '#37872D', 'semi-dark-green': '#56A64B', 'light-green': '#96D98D',
  red: '#F2495C', 'dark-red': '#C4162A', 'semi-dark-red': '#E02F44', 'light-red': '#FF7383',
  orange: '#FF9830', 'dark-orange': '#FA6400', 'semi-dark-orange': '#FF780A', 'light-orange': '#FFB357',
  yellow: '#FADE2A', 'dark-yellow': '#E0B400', 'semi-dark-yellow': '#F2CC0C', 'light-yellow': '#FFEE52',
  blue: '#5794F2', 'dark-blue': '#1F60C4', 'semi-dark-blue': '#3274D9', 'light-blue': '#8AB8FF',
  purple: '#B877D9', 'dark-purple': '#8F3BB8', 'semi-dark-purple': '#A352CC', 'light-purple': '#CA95E5',
  text: TEXT,
  transparent: 'transparent',
};

function color(name: string | null | undefined, panel: string): string {
  if (!name) return TEXT;
  if (name.startsWith('#') || name.startsWith('rgb')) return name;
  const known = NAMED_COLORS[name];
  if (!known) win.__problems.push(`${panel}: colour "${name}" is not one the renderer knows`);
  return known ?? TEXT;
}

function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function format(panel: PagePanel, value: number | null): string {
  return win.units.formatValue(value, panel.unit, panel.decimals);
}

/** The threshold step a value falls in: the last whose value is not above it (base = -∞). */
function thresholdColor(steps: Threshold[], value: number | null, panel: string): string {
  let chosen = steps[0]?.color;
  if (value !== null) for (const step of steps) if (step.value === null || value >= step.value) chosen = step.color;
  return color(chosen, panel);
}

// The schema's MappingType is an enum, which this page script cannot import: the stored string is compared.
function mapped(mappings: ValueMapping[], value: number | null): { text?: string; color?: string } | undefined {
  if (value === null) return undefined;
  for (const mapping of mappings) {
    const result = (mapping.type as string) === 'value' ? (mapping as ValueMap).options[String(value)] : undefined;
    if (result) return result;
  }
  return undefined;
}

function seriesColor(panel: PagePanel, series: PageSeries): string {
  if (series.color) return color(series.color, panel.title);
  if (panel.colorMode === 'thresholds') return thresholdColor(panel.thresholds, series.value ?? null, panel.title);
  return TEXT;
}

// --- time series --------------------------------------------------------------------------------

function legendBox(panel: PagePanel): HTMLElement | null {
  const legend = (panel.options.legend ?? {}) as { showLegend?: boolean; displayMode?: string; placement?: string };
  if (legend.showLegend === false || legend.displayMode === 'hidden' || panel.series.length === 0) return null;
  const box = el('div', `legend legend-${legend.placement === 'right' ? 'right' : 'bottom'}`);
  const swatch = (series: PageSeries) => {
    const s = el('span', 'legend-swatch');
    s.style.background = seriesColor(panel, series);
    return s;
  };
  if (legend.displayMode === 'table') {
    const table = el('table', 'legend-table');
    const head = el('tr');
    head.append(el('th', 'legend-name-head', 'Name'));
    for (const calc of panel.legendCalcs) head.append(el('th', undefined, calc.title));
    table.append(head);
    for (const series of panel.series) {
      const row = el('tr');
      const name = el('td', 'legend-name');
      name.append(swatch(series), el('span', undefined, series.name));
      row.append(name);
      for (const calc of panel.legendCalcs) row.append(el('td', 'legend-value', format(panel, series.calcs[calc.id] ?? null)));
      table.append(row);
    }
    box.append(table);
  } else {
    for (const series of panel.series) {
      const item = el('span', 'legend-item');
      item.append(swatch(series), el('span', undefined, series.name));
      for (const calc of panel.legendCalcs) {
        item.append(el('span', 'legend-calc', `${calc.title}: ${format(panel, series.calcs[calc.id] ?? null)}`));
      }
      box.append(item);
    }
  }
  return box;
}

function drawThresholds(panel: PagePanel, u: { ctx: CanvasRenderingContext2D; bbox: { left: number; top: number; width: number; height: number }; valToPos(v: number, scale: string, canvas: boolean): number }, part: 'area' | 'line'): void {
  const mode = panel.thresholdsStyle;
  if (mode === 'off' || panel.thresholds.length === 0) return;
  const { ctx, bbox } = u;
  const steps = panel.thresholds;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  if (part === 'area' && mode.includes('area')) {
    steps.forEach((step, i) => {
      const lower = step.value === null ? bbox.top + bbox.height : u.valToPos(step.value, 'y', true);
      const next = steps[i + 1];
      const upper = next && next.value !== null ? u.valToPos(next.value, 'y', true) : bbox.top;
      ctx.fillStyle = withAlpha(color(step.color, panel.title), 0.12);
      ctx.fillRect(bbox.left, upper, bbox.width, lower - upper);
    });
  }
  if (part === 'line' && (mode.includes('line') || mode.includes('dashed'))) {
    ctx.lineWidth = 1.5;
    ctx.setLineDash(mode.includes('dashed') ? [10, 10] : []);
    for (const step of steps) {
      if (step.value === null) continue;
      const y = Math.round(u.valToPos(step.value, 'y', true)) + 0.5;
      ctx.strokeStyle = color(step.color, panel.title);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
  }
  ctx.restore();
}

function yRange(panel: PagePanel): [number, number] {
  const values = panel.series.flatMap((s) => (s.values ?? []).filter((v): v is number => v !== null));
  const { custom } = panel;
  let lo = Math.min(...values, custom.axisSoftMin ?? Infinity);
  let hi = Math.max(...values, custom.axisSoftMax ?? -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (panel.min !== undefined) lo = panel.min;
  if (panel.max !== undefined) hi = panel.max;
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const [niceLo, niceHi] = uPlot.rangeNum(lo, hi, 0.1, true) as [number, number];
  return [panel.min ?? (lo >= 0 ? Math.max(0, niceLo) : niceLo), panel.max ?? niceHi];
}

function measure(text: string, font: string): number {
  const canvas = (measure as unknown as { canvas?: HTMLCanvasElement }).canvas ?? document.createElement('canvas');
  (measure as unknown as { canvas?: HTMLCanvasElement }).canvas = canvas;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.font = font;
  return ctx.measureText(text).width;
}

function drawTimeseries(panel: PagePanel, body: HTMLElement): void {
  const legend = legendBox(panel);
  const plot = el('div', 'plot');
  const right = legend?.classList.contains('legend-right');
  body.classList.add(right ? 'body-row' : 'body-column');
  body.append(plot);
  if (legend) body.append(legend);
  const custom = panel.custom as {
    lineWidth?: number; fillOpacity?: number; lineInterpolation?: string; showPoints?: string;
    spanNulls?: boolean; gradientMode?: string; pointSize?: number;
  };
  const paths = (() => {
    switch (custom.lineInterpolation) {
      case 'stepAfter': return uPlot.paths.stepped({ align: 1 });
      case 'stepBefore': return uPlot.paths.stepped({ align: -1 });
      case 'smooth': return uPlot.paths.spline();
      default: return uPlot.paths.linear();
    }
  })();
  const axisFont = `12px ${FONT}`;
  const stepSeconds = panel.xs && panel.xs.length > 1 ? panel.xs[1] - panel.xs[0] : 60;
  const timeFormat = uPlot.fmtDate(panel.range.to - panel.range.from <= 600 && stepSeconds < 60 ? '{HH}:{mm}:{ss}' : '{HH}:{mm}');
  const [lo, hi] = yRange(panel);
  const opts = {
    width: Math.max(50, plot.clientWidth),
    height: Math.max(50, plot.clientHeight),
    legend: { show: false },
    cursor: { show: false },
    // Room on the right for the last time label, which uPlot centres on its tick.
    padding: [8, 22, 0, 0],
    scales: {
      x: { time: true, range: () => [panel.range.from, panel.range.to] },
      y: { range: () => [lo, hi] },
    },
    axes: [
      {
        stroke: TEXT_SECONDARY,
        font: axisFont,
        grid: { stroke: GRID_LINE, width: 1 },
        ticks: { stroke: GRID_LINE, width: 1, size: 4 },
        // uPlot's time increments jump from 1 to 5 minutes: 55 px keeps minute ticks on narrow panels.
        space: 55,
        values: (_u: unknown, splits: number[]) => splits.map((s) => timeFormat(new Date(s * 1000))),
      },
      {
        stroke: TEXT_SECONDARY,
        font: axisFont,
        grid: { stroke: GRID_LINE, width: 1 },
        ticks: { stroke: GRID_LINE, width: 1, size: 4 },
        space: 28,
        values: (_u: unknown, splits: number[]) => splits.map((v) => format(panel, v)),
        size: (_u: unknown, values: string[] | null) =>
          Math.ceil(Math.max(24, ...(values ?? []).map((v) => measure(v, axisFont)))) + 14,
      },
    ],
    series: [
      {},
      ...panel.series.map((series) => {
        const stroke = seriesColor(panel, series);
        const opacity = (custom.fillOpacity ?? 0) / 100;
        let fill: unknown;
        if (opacity > 0 && custom.gradientMode === 'opacity') {
          fill = (u: { ctx: CanvasRenderingContext2D; bbox: { top: number; height: number } }) => {
            const gradient = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
            gradient.addColorStop(0, withAlpha(stroke, opacity));
            gradient.addColorStop(1, withAlpha(stroke, 0));
            return gradient;
          };
        } else if (opacity > 0) {
          fill = withAlpha(stroke, opacity);
        }
        return {
          label: series.name,
          stroke,
          width: custom.lineWidth ?? 1,
          fill,
          paths,
          spanGaps: custom.spanNulls === true,
          points: { show: custom.showPoints === 'always', size: custom.pointSize ?? 5, fill: stroke },
        };
      }),
    ],
    hooks: {
      drawClear: [(u: Parameters<typeof drawThresholds>[1]) => drawThresholds(panel, u, 'area')],
      draw: [(u: Parameters<typeof drawThresholds>[1]) => drawThresholds(panel, u, 'line')],
    },
  };
  const data = [panel.xs ?? [], ...panel.series.map((s) => s.values ?? [])];
  new uPlot(opts, data, plot);
}

// --- stat ---------------------------------------------------------------------------------------

function fitFont(text: string, width: number, height: number, weight: number): number {
  let size = Math.min(height, 120);
  while (size > 8 && measure(text, `${weight} ${size}px ${FONT}`) > width) size -= 1;
  return size;
}

function drawStat(panel: PagePanel, body: HTMLElement): void {
  const options = panel.options as { colorMode?: string; textMode?: string; orientation?: string };
  const colorMode = options.colorMode ?? 'value';
  const showNames = options.textMode === 'value_and_name' || (options.textMode !== 'value' && panel.series.length > 1);
  const horizontal = options.orientation === 'horizontal' ? false : body.clientWidth >= body.clientHeight || options.orientation === 'vertical';
  body.classList.add(horizontal ? 'stat-row' : 'stat-column');
  const count = panel.series.length;
  const tileWidth = horizontal ? body.clientWidth / count - 8 : body.clientWidth - 8;
  const tileHeight = horizontal ? body.clientHeight - 8 : body.clientHeight / count - 8;
  for (const series of panel.series) {
    const value = series.value ?? null;
    const mapping = mapped(panel.mappings, value);
    const text = mapping?.text ?? format(panel, value);
    const tint = mapping?.color ? color(mapping.color, panel.title) : seriesColor(panel, series);
    const tile = el('div', 'stat-tile');
    tile.style.width = `${tileWidth}px`;
    tile.style.height = `${tileHeight}px`;
    if (colorMode === 'background') {
      tile.style.background = `linear-gradient(120deg, ${withAlpha(tint, 0.75)}, ${tint})`;
    }
    if (showNames) {
      const name = el('div', 'stat-name', series.name);
      name.style.fontSize = `${Math.max(11, Math.min(16, fitFont(series.name, tileWidth * 0.9, tileHeight * 0.2, 500)))}px`;
      tile.append(name);
    }
    const valueNode = el('div', 'stat-value', text);
    valueNode.style.fontSize = `${fitFont(text, tileWidth * 0.85, tileHeight * (showNames ? 0.5 : 0.62), 500)}px`;
    valueNode.style.color = colorMode === 'background' ? '#ffffff' : colorMode === 'none' ? TEXT : tint;
    tile.append(valueNode);
    body.append(tile);
  }
}

// --- bar gauge ----------------------------------------------------------------------------------

function drawBarGauge(panel: PagePanel, body: HTMLElement): void {
  const options = panel.options as { displayMode?: string };
  const min = panel.min ?? 0;
  const max = panel.max ?? Math.max(...panel.series.map((s) => s.value ?? 0), 1);
  body.classList.add('bars');
  const rowHeight = Math.min(44, (body.clientHeight - 4) / Math.max(1, panel.series.length));
  const nameWidth = Math.min(140, Math.max(...panel.series.map((s) => measure(s.name, `13px ${FONT}`))) + 12);
  for (const series of panel.series) {
    const value = series.value ?? null;
    const tint = seriesColor(panel, series);
    const row = el('div', 'bar-row');
    row.style.height = `${rowHeight}px`;
    const name = el('div', 'bar-name', series.name);
    name.style.width = `${nameWidth}px`;
    const track = el('div', 'bar-track');
    const fill = el('div', 'bar-fill');
    const share = value === null ? 0 : Math.min(1, Math.max(0, (value - min) / (max - min)));
    fill.style.width = `${share * 100}%`;
    fill.style.background = options.displayMode === 'gradient'
      ? `linear-gradient(90deg, ${withAlpha(tint, 0.35)}, ${tint})`
      : tint;
    track.append(fill);
    const text = el('div', 'bar-value', format(panel, value));
    text.style.color = tint;
    row.append(name, track, text);
    body.append(row);
  }
}

// --- page ---------------------------------------------------------------------------------------

function drawPanel(panel: PagePanel, grid: HTMLElement): void {
  const box = el('div', panel.type === 'row' ? 'row-header' : 'panel');
  Object.assign(box.style, {
    left: `${panel.box.left}px`,
    top: `${panel.box.top}px`,
    width: `${panel.box.width}px`,
    height: `${panel.box.height}px`,
  });
  grid.append(box);
  if (panel.type === 'row') {
    box.append(el('span', 'row-chevron', '⌄'), el('span', 'row-title', panel.title));
    return;
  }
  const header = el('div', 'panel-header');
  header.append(el('span', 'panel-title', panel.title));
  const body = el('div', 'panel-body');
  box.append(header, body);
  if (panel.unsupported) {
    placeholder(box, body, panel.unsupported);
    return;
  }
  if (panel.errors.length) {
    // Already reported by render.ts as an empty panel.
    body.append(el('div', 'panel-error', panel.errors.join('\n')));
    return;
  }
  if (panel.series.length === 0) {
    body.append(el('div', 'panel-message', 'No data'));
    return;
  }
  try {
    if (panel.type === 'timeseries') drawTimeseries(panel, body);
    else if (panel.type === 'stat') drawStat(panel, body);
    else if (panel.type === 'bargauge') drawBarGauge(panel, body);
  } catch (error) {
    // A panel the page fails to draw is shown as such, not half drawn.
    win.__problems.push(`${panel.title}: ${(error as Error).message}`);
    body.replaceChildren();
    placeholder(box, body, (error as Error).message);
  }
}

/** The panel's box with its title and, in place of the picture, why the imitation does not draw it. */
function placeholder(box: HTMLElement, body: HTMLElement, why: string): void {
  box.classList.add('panel-unsupported');
  body.append(el('div', 'panel-message', `Not drawn by this imitation of Grafana: ${why}`));
}

export function render(model: PageModel): void {
  const app = document.getElementById('app') as HTMLElement;
  const top = el('div', 'topbar');
  const crumbs = el('div', 'title');
  crumbs.append(el('span', 'title-home', 'Dashboards › '), el('span', undefined, model.title));
  top.append(crumbs, el('div', 'timerange', model.timeText));
  const variables = el('div', 'variables');
  for (const v of model.variables) {
    const item = el('div', 'variable');
    item.append(el('span', 'variable-label', v.label), el('span', 'variable-value', v.display));
    variables.append(item);
  }
  const grid = el('div', 'grid');
  grid.style.height = `${model.gridHeight}px`;
  const footer = el('div', 'provenance', model.provenance);
  app.append(top, variables, grid, footer);
  for (const panel of model.panels) drawPanel(panel, grid);
  win.__renderDone = true;
}
