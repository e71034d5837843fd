// Grafana's grid geometry as the renderer places panels.
import { describe, expect, it } from 'vitest';
import { flattenPanels, gridHeight, panelBox, type Panel } from '../../../tools/dashboard-png/dashboard';

describe('panelBox (24 columns, 30 px rows, 8 px gaps)', () => {
  // 1568 px wide: columns of (1568 - 23 × 8) / 24 = 57.67 px.
  it.each([
    ['full width', { x: 0, y: 0, w: 24, h: 1 }, { left: 0, top: 0, width: 1568, height: 30 }],
    ['right half', { x: 12, y: 0, w: 12, h: 8 }, { left: 788, top: 0, width: 780, height: 296 }],
    ['a quarter, one row down', { x: 6, y: 1, w: 6, h: 4 }, { left: 394, top: 38, width: 386, height: 144 }],
  ])('%s', (_, grid, box) => {
    expect(panelBox(grid, 1568)).toEqual(box);
  });
});

describe('flattenPanels and gridHeight', () => {
  const panel = (id: number, type: string, y: number, h: number, panels?: Panel[]): Panel =>
    ({ id, type, title: `p${id}`, gridPos: { x: 0, y, w: 24, h }, panels });
  it('puts the panels of a collapsed row after it', () => {
    const panels = [panel(1, 'row', 0, 1, [panel(2, 'stat', 1, 4)]), panel(3, 'timeseries', 1, 8)];
    expect(flattenPanels(panels).map((p) => p.id)).toEqual([1, 2, 3]);
  });
  it('is as tall as the lowest panel', () => {
    expect(gridHeight([panel(1, 'row', 0, 1), panel(2, 'stat', 1, 4)])).toBe(5 * 38 - 8);
  });
});
