// Grafana's grid geometry: where a panel sits, and the width that sets its queries' resolution.
import { describe, expect, it } from 'vitest';
import type { AnyPanel } from '../../../harness/grafana-queries/dashboard';
import { GRID_WIDTH, gridHeight, gridPosOf, panelBox } from '../../../harness/grafana-queries/grid';

describe('panelBox (24 columns, 30 px rows, 8 px gaps)', () => {
  // 1568 px wide: columns of (1568 - 23 × 8) / 24 = 57.67 px.
  it.each([
    ['full width', { x: 0, y: 0, w: 24, h: 1 }, { left: 0, top: 0, width: 1568, height: 30 }],
    ['right half', { x: 12, y: 0, w: 12, h: 8 }, { left: 788, top: 0, width: 780, height: 296 }],
    ['a quarter, one row down', { x: 6, y: 1, w: 6, h: 4 }, { left: 394, top: 38, width: 386, height: 144 }],
  ])('%s', (_, grid, box) => {
    expect(panelBox(grid, 1568)).toEqual(box);
  });

  it('is computed on the grid of a 1600 px screen unless told otherwise', () => {
    expect(GRID_WIDTH).toBe(1568);
  });
});

describe('gridPosOf and gridHeight', () => {
  const panel = (id: number, type: string, y: number, h: number): AnyPanel =>
    ({ id, type, title: `p${id}`, gridPos: { x: 0, y, w: 24, h } });
  it("gives a panel stored without a place Grafana's default (12 wide, 9 high, top left)", () => {
    expect(gridPosOf({ type: 'stat' })).toEqual({ x: 0, y: 0, w: 12, h: 9 });
  });
  it('is as tall as the lowest panel', () => {
    expect(gridHeight([panel(1, 'row', 0, 1), panel(2, 'stat', 1, 4)])).toBe(5 * 38 - 8);
  });
});
