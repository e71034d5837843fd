// What the page refuses to draw rather than draw differently from Grafana.
import { describe, expect, it } from 'vitest';
import type { Panel } from '../../../tools/dashboard-png/dashboard';
import { undrawableReasons } from '../../../tools/dashboard-png/page';

const base: Panel = {
  id: 1,
  type: 'timeseries',
  title: 't',
  gridPos: { x: 0, y: 0, w: 12, h: 8 },
  fieldConfig: { defaults: { unit: 's' } },
};
const withCustom = (custom: Record<string, unknown>): Panel => ({ ...base, fieldConfig: { defaults: { unit: 's', custom } } });

describe('undrawableReasons', () => {
  it.each([
    ['a plain time series', base, []],
    ['a row', { ...base, type: 'row', fieldConfig: undefined }, []],
    ['a type the page does not draw', { ...base, type: 'heatmap' }, ['panel type "heatmap" is not drawn by the renderer']],
    ['no unit', { ...base, fieldConfig: { defaults: {} } }, ['no unit']],
    ['a unit it cannot format', { ...base, fieldConfig: { defaults: { unit: 'dtdurations' } } }, ['unit "dtdurations" is not one the renderer formats']],
    ['stacking', withCustom({ stacking: { mode: 'normal' } }), ['stacking "normal"']],
    ['bars', withCustom({ drawStyle: 'bars' }), ['draw style "bars"']],
    ['a log scale', withCustom({ scaleDistribution: { type: 'log' } }), ['scale "log"']],
    ['a stat sparkline', { ...base, type: 'stat', options: { graphMode: 'area' } }, ['stat graph mode "area" (sparklines are not drawn)']],
    ['an unknown reducer', { ...base, type: 'stat', options: { reduceOptions: { calcs: ['p95'] } } }, ['reducer "p95"']],
    ['an override it does not apply', { ...base, fieldConfig: { defaults: { unit: 's' }, overrides: [{ matcher: { id: 'byType', options: 'number' }, properties: [{ id: 'unit', value: 'ms' }] }] } },
      ['override matcher "byType"', 'override property "unit"']],
  ])('%s', (_, panel, reasons) => {
    expect(undrawableReasons(panel as Panel)).toEqual(reasons);
  });
});
