// The dashboard JSON as the renderer reads it: the fields Grafana's classic model gives a panel,
// the flattening of rows, and Grafana's grid geometry (24 columns, 30 px rows, 8 px gaps).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const DASHBOARD_FILE = path.resolve(__dirname, '..', '..', 'etc', 'dashboards', 'gunicorn.json');

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  hide?: boolean;
  interval?: string;
  datasource?: DataSourceRef;
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface ValueMapping {
  type: string;
  options: Record<string, { text?: string; color?: string; index?: number }>;
}

export interface FieldOverride {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}

export interface FieldConfig {
  defaults: {
    unit?: string;
    decimals?: number;
    min?: number;
    max?: number;
    color?: { mode: string; fixedColor?: string };
    thresholds?: { mode: string; steps: ThresholdStep[] };
    mappings?: ValueMapping[];
    custom?: Record<string, unknown>;
  };
  overrides?: FieldOverride[];
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DataSourceRef;
  targets?: Target[];
  fieldConfig?: FieldConfig;
  options?: Record<string, unknown>;
  interval?: string;
  maxDataPoints?: number;
  collapsed?: boolean;
  panels?: Panel[];
}

export interface VariableModel {
  name: string;
  type: string;
  label?: string;
  datasource?: { type?: string; uid?: string } | null;
  query?: string | { query?: string };
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  current?: { text?: string | string[]; value?: string | string[] };
  regex?: string;
  sort?: number;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: VariableModel[] };
}

export function loadDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel in grid order, rows included, with the panels of collapsed rows after their row. */
export function flattenPanels(panels: readonly Panel[]): Panel[] {
  const flat: Panel[] = [];
  for (const panel of panels) {
    flat.push(panel);
    if (panel.type === 'row' && panel.panels) flat.push(...panel.panels);
  }
  return flat;
}

/** The variable's query text, whichever of Grafana's two shapes it is stored in. */
export function variableQuery(variable: VariableModel): string {
  if (typeof variable.query === 'string') return variable.query;
  return variable.query?.query ?? variable.definition ?? '';
}

// Grafana's react-grid-layout: 24 columns, rows of 30 px, 8 px between cells, no outer padding.
export const GRID_COLUMNS = 24;
export const GRID_CELL_HEIGHT = 30;
export const GRID_CELL_MARGIN = 8;

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function panelBox(grid: GridPos, containerWidth: number): PixelBox {
  const column = (containerWidth - GRID_CELL_MARGIN * (GRID_COLUMNS - 1)) / GRID_COLUMNS;
  return {
    left: Math.round(grid.x * (column + GRID_CELL_MARGIN)),
    top: Math.round(grid.y * (GRID_CELL_HEIGHT + GRID_CELL_MARGIN)),
    width: Math.round(grid.w * column + Math.max(0, grid.w - 1) * GRID_CELL_MARGIN),
    height: Math.round(grid.h * GRID_CELL_HEIGHT + Math.max(0, grid.h - 1) * GRID_CELL_MARGIN),
  };
}

/** Height in pixels of the grid holding these panels. */
export function gridHeight(panels: readonly Panel[]): number {
  const rows = Math.max(0, ...panels.map((p) => p.gridPos.y + p.gridPos.h));
  return rows * (GRID_CELL_HEIGHT + GRID_CELL_MARGIN) - GRID_CELL_MARGIN;
}
