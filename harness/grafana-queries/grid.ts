// Grafana's grid geometry (react-grid-layout: 24 columns, rows of 30 px, 8 px between cells, no
// outer padding). It places a panel, and it sets the panel's width in pixels, which is Grafana's
// default maxDataPoints and so the step of the panel's range queries.
import { defaultGridPos, type GridPos } from '@grafana/schema';
import type { AnyPanel } from './dashboard';

export const GRID_COLUMNS = 24;
export const GRID_CELL_HEIGHT = 30;
export const GRID_CELL_MARGIN = 8;

/** The screen the dashboard is viewed on, and the 16 px Grafana leaves around the grid. */
export const SCREEN_WIDTH = 1600;
export const SCREEN_PADDING = 16;
/** The grid's width on that screen: what panel widths, and so query steps, are computed from. */
export const GRID_WIDTH = SCREEN_WIDTH - 2 * SCREEN_PADDING;

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The panel's place on the grid; a panel stored without one gets Grafana's default. */
export function gridPosOf(panel: AnyPanel): GridPos {
  return { ...(defaultGridPos as GridPos), ...panel.gridPos };
}

export function panelBox(grid: GridPos, containerWidth: number = GRID_WIDTH): PixelBox {
  const column = (containerWidth - GRID_CELL_MARGIN * (GRID_COLUMNS - 1)) / GRID_COLUMNS;
  return {
    left: Math.round(grid.x * (column + GRID_CELL_MARGIN)),
    top: Math.round(grid.y * (GRID_CELL_HEIGHT + GRID_CELL_MARGIN)),
    width: Math.round(grid.w * column + Math.max(0, grid.w - 1) * GRID_CELL_MARGIN),
    height: Math.round(grid.h * GRID_CELL_HEIGHT + Math.max(0, grid.h - 1) * GRID_CELL_MARGIN),
  };
}

/** Height in pixels of the grid holding these panels. */
export function gridHeight(panels: readonly AnyPanel[]): number {
  const rows = Math.max(0, ...panels.map((panel) => {
    const grid = gridPosOf(panel);
    return grid.y + grid.h;
  }));
  return rows * (GRID_CELL_HEIGHT + GRID_CELL_MARGIN) - GRID_CELL_MARGIN;
}
